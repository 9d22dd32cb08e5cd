//! Evidence anchors: `path:line` or `path:line-line`, and whether they resolve.
//!
//! Agents write anchors with absolute paths of the machine they ran on (the runbook asks for
//! "absolute path + line anchors"). Those are mapped into the target through configured
//! worktree prefixes (and the target's own absolute path); anything else absolute, or a
//! relative path escaping the repository, does not resolve. An anchor resolves when the file
//! exists inside the repository and the line (or both ends of the range) exist in it.

use gates_core::fs::probe::Probe;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::markdown::{self, InlineKind};

/// One anchor as written, and where in its line it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Anchor {
    pub raw: String,
    pub path: String,
    pub start: u32,
    pub end: u32,
    /// 1-based column of the anchor in its line.
    pub col: u32,
}

/// The worktrees the pass root's documents say they were written in: a `Worktree:` line
/// (`Worktree: `/Users/me/worktrees/wt-phase-a``, as a list item or bold key too) naming an
/// absolute folder, in any markdown file directly in the pass root. Absolute evidence paths
/// under one of them stand for the target's root, as through `worktree_prefixes`.
pub fn declared_worktrees(pass_root: &Path) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let Ok(dir) = gates_core::fs::probe::read_dir(pass_root) else {
        return out;
    };
    let mut files: Vec<std::path::PathBuf> = dir
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    for f in files {
        let Ok(text) = crate::fs::careful::read_document(&f) else {
            continue;
        };
        for line in text.lines() {
            let t = markdown::strip_line_markers(line.trim());
            let t = t.trim_start_matches(['*', '_']);
            let Some(rest) = t
                .strip_prefix("Worktree")
                .or_else(|| t.strip_prefix("worktree"))
            else {
                continue;
            };
            let Some(v) = rest.trim_start_matches(['*', '_']).strip_prefix(':') else {
                continue;
            };
            let v = markdown::strip_emphasis(v.trim_start_matches(['*', '_']).trim());
            let v = v.trim_end_matches(['.', ',', ';']).trim_end_matches('/');
            if v.starts_with('/') && !v.contains(char::is_whitespace) && !out.iter().any(|o| o == v)
            {
                out.push(v.to_string());
            }
        }
    }
    out
}

/// Parses one token as an anchor: `<path>:<n>`, `<path>:<n>-<m>` or `<path>:<n>:<column>`. The path must look like
/// a file path (contain `/` or `.`), which keeps times (`10:30`) and URLs out.
pub fn parse_anchor(token: &str) -> Option<(String, u32, u32)> {
    let t = token.trim_matches(|c: char| {
        matches!(
            c,
            '(' | ')' | ',' | ';' | '"' | '\'' | '[' | ']' | '<' | '>'
        )
    });
    let t = t.strip_suffix('.').unwrap_or(t);
    // GitHub's line fragments: `path#L96`, `path#L96-L120`.
    let (path, spec) = match t.rfind("#L") {
        Some(h) => (&t[..h], t[h + 2..].replacen("-L", "-", 1)),
        None => {
            let colon = t.rfind(':')?;
            let (head, tail) = (&t[..colon], &t[colon + 1..]);
            let number = |s: &str| !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit());
            // `path:line:column`, as compilers, linters and this tool's own findings write
            // it: the column is dropped.
            match head.rfind(':') {
                Some(c) if number(&head[c + 1..]) && number(tail) => {
                    (&head[..c], head[c + 1..].to_string())
                }
                _ => (head, tail.to_string()),
            }
        }
    };
    let spec = spec.as_str();
    if path.is_empty() || path.contains("://") || !(path.contains('/') || path.contains('.')) {
        return None;
    }
    let (a, b) = match spec.split_once('-') {
        Some((a, b)) => (a, b),
        None => (spec, spec),
    };
    if a.is_empty()
        || b.is_empty()
        || !a.bytes().all(|c| c.is_ascii_digit())
        || !b.bytes().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    Some((path.to_string(), a.parse().ok()?, b.parse().ok()?))
}

/// Every anchor in one line of markdown: inside code spans, as link targets, and as bare
/// words. Each anchor is reported once, at its first position.
pub fn anchors_in_line(line: &str) -> Vec<Anchor> {
    let mut out: Vec<Anchor> = Vec::new();
    let mut push = |raw: &str, col: u32| {
        if let Some((path, start, end)) = parse_anchor(raw)
            && !out.iter().any(|a| a.col == col)
        {
            out.push(Anchor {
                raw: raw.to_string(),
                path,
                start,
                end,
                col,
            });
        }
    };
    let inl = markdown::inlines(line);
    for i in &inl {
        match i.kind {
            InlineKind::Code => {
                // A code span may hold several anchors separated by spaces or commas.
                for (off, word) in words(&i.text) {
                    push(word, i.col + off);
                }
            }
            InlineKind::LinkTarget => push(&i.text, i.col),
            InlineKind::Strong => {}
        }
    }
    // Bare words outside code spans and links.
    let masked = mask_inlines(line);
    for (off, word) in words(&masked) {
        push(word, off + 1);
    }
    out.sort_by_key(|a| a.col);
    out
}

/// The line with code spans and link targets blanked out (same character positions).
fn mask_inlines(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let mut masked = chars.clone();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] == '`' {
            let ticks = chars[i..].iter().take_while(|c| **c == '`').count();
            let mut j = i + ticks;
            let mut closed = None;
            while j < chars.len() {
                if chars[j] == '`' {
                    let n = chars[j..].iter().take_while(|c| **c == '`').count();
                    if n == ticks {
                        closed = Some(j + n);
                        break;
                    }
                    j += n;
                } else {
                    j += 1;
                }
            }
            match closed {
                Some(end) => {
                    for m in masked.iter_mut().take(end).skip(i) {
                        *m = ' ';
                    }
                    i = end;
                }
                None => i += ticks,
            }
        } else if chars[i] == ']' && chars.get(i + 1) == Some(&'(') {
            let mut j = i + 2;
            while j < chars.len() && chars[j] != ')' {
                j += 1;
            }
            for m in masked.iter_mut().take(j.min(chars.len() - 1) + 1).skip(i) {
                *m = ' ';
            }
            i = j + 1;
        } else {
            i += 1;
        }
    }
    masked.into_iter().collect()
}

/// Words split on whitespace and commas, with their 0-based character offsets.
fn words(s: &str) -> Vec<(u32, &str)> {
    let mut out = Vec::new();
    let mut start: Option<(usize, u32)> = None;
    for (col, (b, c)) in s.char_indices().enumerate() {
        let col = col as u32;
        let sep = c.is_whitespace() || c == ',' || c == '|';
        match (sep, start) {
            (true, Some((sb, sc))) => {
                out.push((sc, &s[sb..b]));
                start = None;
            }
            (false, None) => start = Some((b, col)),
            _ => {}
        }
    }
    if let Some((sb, sc)) = start {
        out.push((sc, &s[sb..]));
    }
    out
}

/// Why an anchor does not resolve; the rule id says which way.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unresolved {
    pub rule: &'static str,
    pub message: String,
}

/// Resolves anchors against one repository, caching line counts.
#[derive(Debug)]
pub struct Resolver {
    repo: PathBuf,
    repo_canon: PathBuf,
    prefixes: Vec<String>,
    lines: HashMap<PathBuf, Result<u32, String>>,
    /// Repository-relative folders a relative path is tried against before the root, in
    /// order: the citing document's folder, then the spec packet.
    bases: Vec<String>,
    /// The file names the phase's cleanup deletes as superseded ([`Resolver::with_superseded`]).
    superseded: std::collections::BTreeSet<String>,
}

impl Resolver {
    /// `prefixes` are absolute directories that stand for the repository root in anchors
    /// (the worktrees the agents ran in). The repository's own absolute path always does.
    pub fn new(repo: &Path, prefixes: &[String]) -> Resolver {
        let repo_canon =
            gates_core::fs::probe::canonicalize(repo).unwrap_or_else(|_| repo.to_path_buf());
        let mut prefixes: Vec<String> = prefixes
            .iter()
            .map(|p| p.trim_end_matches('/').to_string())
            .collect();
        prefixes.push(
            repo_canon
                .to_string_lossy()
                .trim_end_matches('/')
                .to_string(),
        );
        Resolver {
            repo: repo.to_path_buf(),
            repo_canon,
            prefixes,
            lines: HashMap::new(),
            bases: Vec::new(),
            superseded: std::collections::BTreeSet::new(),
        }
    }

    /// Relative paths resolve against `doc_dir` (the citing document's folder), then
    /// `packet` (the spec packet: the pass root's parent), then the repository root.
    /// A document written before the cleanup cites its sources, which the cleanup then
    /// deletes as superseded: a citation of a missing file whose name is one of `names` is
    /// history, the warning `cited-artifact-deleted-by-cleanup`, not `cited-artifact-missing`
    /// ([`check_citations`]; compared by file name, the way such a document cites a sibling).
    pub fn with_superseded(mut self, names: impl IntoIterator<Item = String>) -> Resolver {
        self.superseded = names.into_iter().filter(|n| !n.is_empty()).collect();
        self
    }

    pub fn with_bases(mut self, doc_dir: &str, packet: &str) -> Resolver {
        self.set_bases(doc_dir, packet);
        self
    }

    pub fn set_bases(&mut self, doc_dir: &str, packet: &str) {
        self.bases = [doc_dir, packet]
            .iter()
            .map(|b| b.trim_end_matches('/').to_string())
            .filter(|b| !b.is_empty())
            .collect();
        self.bases.dedup();
    }

    /// The repository-relative file a cited path stands for: the first of the bases (then
    /// the root) under which it exists; `Err` when it exists under none.
    pub fn locate(&self, path: &str) -> Result<String, Unresolved> {
        let rel = self.map_path(path)?;
        if path.starts_with('/') {
            return Ok(rel);
        }
        let mut tried = Vec::new();
        let mut inside = false;
        for b in self.bases.iter().map(String::as_str).chain([""]) {
            let Some(cand) = join_rel(b, &rel) else {
                continue;
            };
            inside = true;
            if gates_core::fs::probe::symlink_metadata(self.repo.join(&cand)).is_ok() {
                return Ok(cand);
            }
            tried.push(cand);
        }
        if !inside {
            return Err(Unresolved {
                rule: "evidence-outside-repo",
                message: format!("`{path}` climbs out of the repository with `..`"),
            });
        }
        Err(Unresolved {
            rule: "evidence-file-missing",
            message: format!(
                "`{path}` is not in the document's folder, the spec packet or the repository root (looked for `{}`)",
                tried.first().cloned().unwrap_or_default()
            ),
        })
    }

    /// The repository-relative path an anchor's path stands for.
    pub fn map_path(&self, path: &str) -> Result<String, Unresolved> {
        let rel = if path.starts_with('/') {
            let hit = self
                .prefixes
                .iter()
                .find_map(|pre| strip_prefix_pattern(path, pre));
            match hit {
                Some(r) => r,
                None => {
                    return Err(Unresolved {
                        rule: "evidence-outside-repo",
                        message: format!(
                            "absolute path `{path}` is not inside the target or any configured worktree prefix"
                        ),
                    });
                }
            }
        } else {
            path.strip_prefix("./").unwrap_or(path).to_string()
        };
        if path.starts_with('/') && rel.split('/').any(|c| c == "..") {
            return Err(Unresolved {
                rule: "evidence-outside-repo",
                message: format!("`{path}` climbs out of the repository with `..`"),
            });
        }
        Ok(rel)
    }

    /// Checks that the anchor's file exists inside the repository and has its lines.
    /// Returns the repository-relative path on success.
    pub fn resolve(&mut self, a: &Anchor) -> Result<String, Unresolved> {
        let rel = match self.locate(&a.path) {
            Ok(r) => r,
            Err(u) if u.rule == "evidence-file-missing" => {
                return Err(Unresolved {
                    rule: u.rule,
                    message: format!(
                        "`{}` cites `{}`, which does not exist in the target ({})",
                        a.raw, a.path, u.message
                    ),
                });
            }
            Err(u) => return Err(u),
        };
        let full = self.repo.join(&rel);
        let canon = match gates_core::fs::probe::canonicalize(&full) {
            Ok(c) => c,
            Err(_) => {
                return Err(Unresolved {
                    rule: "evidence-file-missing",
                    message: format!(
                        "`{}` cites `{rel}`, which does not exist in the target",
                        a.raw
                    ),
                });
            }
        };
        if !canon.starts_with(&self.repo_canon) {
            return Err(Unresolved {
                rule: "evidence-outside-repo",
                message: format!("`{rel}` resolves outside the repository (through a symlink)"),
            });
        }
        if !canon.probe_is_file() {
            return Err(Unresolved {
                rule: "evidence-file-missing",
                message: format!("`{}` cites `{rel}`, which is not a file", a.raw),
            });
        }
        let count = self
            .lines
            .entry(canon.clone())
            .or_insert_with(|| count_lines(&canon))
            .clone();
        let count = count.map_err(|e| Unresolved {
            rule: "evidence-file-missing",
            message: e,
        })?;
        if a.start == 0 || a.end < a.start {
            return Err(Unresolved {
                rule: "evidence-line-out-of-range",
                message: format!(
                    "`{}`: line numbers start at 1 and a range must not run backwards",
                    a.raw
                ),
            });
        }
        if a.end > count {
            return Err(Unresolved {
                rule: "evidence-line-out-of-range",
                message: format!("`{}`: `{rel}` has {count} lines", a.raw),
            });
        }
        Ok(rel)
    }
}

/// `path` below the directory `pattern` names, as a relative path. A `*` component in the
/// pattern matches any one component: `/Users/me/worktrees/*` stands for every worktree
/// there, so anchors written in any of the agents' worktrees map into the target.
pub fn strip_prefix_pattern(path: &str, pattern: &str) -> Option<String> {
    let pat: Vec<&str> = pattern.split('/').filter(|c| !c.is_empty()).collect();
    let parts: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    if !path.starts_with('/') || parts.len() <= pat.len() {
        return None;
    }
    pat.iter()
        .zip(&parts)
        .all(|(p, c)| *p == "*" || p == c)
        .then(|| parts[pat.len()..].join("/"))
}

/// `dir/rel` normalised; `None` when `..` climbs above the repository root.
pub fn join_rel(dir: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = if dir.is_empty() {
        Vec::new()
    } else {
        dir.split('/').collect()
    };
    for c in rel.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

/// Whether a code span's text names a file a reader would look for: a pass-root artifact
/// name, a markdown file name (`ARCHITECTURE.md`), or one token with a `/` and a file
/// extension (`apps/server/src/rawr.ts`, `../PLAN.md`). Globs, package specifiers, URLs and commands are not citations.
pub fn looks_like_file(t: &str) -> bool {
    if t.is_empty()
        || t.contains(char::is_whitespace)
        || t.contains(['*', '<', '>', '{', '}', '?', '"', '\''])
        || t.starts_with('@')
        || t.contains("://")
    {
        return false;
    }
    if super::names::is_artifact_name(t) {
        return true;
    }
    let file = t.rsplit('/').next().unwrap_or(t);
    let ext_ok = file.rsplit_once('.').is_some_and(|(stem, ext)| {
        !stem.is_empty()
            && (1..=5).contains(&ext.len())
            && ext.chars().all(|c| c.is_ascii_alphanumeric())
            && ext.chars().any(|c| c.is_ascii_alphabetic())
    });
    // A bare markdown file name (`ARCHITECTURE.md`) names a document of the packet; other
    // bare names (`rawr.hq.ts`, `package.json`) are too often mentions, not citations.
    ext_ok && (t.contains('/') || t.ends_with(".md"))
}

/// A git revision range (`codex/phase-f..HEAD`, `main...topic`): `..` joining two names,
/// not a path component.
pub fn is_git_range(t: &str) -> bool {
    t.match_indices("..").any(|(at, _)| {
        let before = t[..at].chars().next_back();
        let after = t[at..].trim_start_matches('.').chars().next();
        before.is_some_and(|c| c != '/' && c != '.') && after.is_some_and(|c| c != '/')
    })
}

/// Whether an absolute path lies in a folder of the user's own configuration, outside any
/// repository: a dot-folder directly under a home directory (`/Users/me/.codex/skills/…`,
/// `/home/me/.config/…`, `~/.agents/prompts/…`). Such a file (a skill, a prompt) is context
/// for the reader, not a file of the target.
pub fn in_user_config(path: &str) -> bool {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["~", dot, ..] => dot.starts_with('.') && dot.len() > 1,
        ["", "Users" | "home", _, dot, _, ..] => dot.starts_with('.') && dot.len() > 1,
        ["", "root", dot, _, ..] => dot.starts_with('.') && dot.len() > 1,
        _ => false,
    }
}

/// What a line says of the file it cites at the 1-based column `col`: that it must not
/// exist, stays absent on purpose, or is written later. Such a citation is no dangling
/// reference. Only the citation's own clause counts (`;` and `. ` end one): in "`a.ts`
/// removed; the old call is forbidden" the citation of `a.ts` is still checked.
pub fn says_absent(line: &str, col: u32) -> bool {
    let at = line
        .char_indices()
        .nth((col as usize).saturating_sub(1))
        .map_or(line.len(), |(i, _)| i);
    let start = line[..at].rfind([';']).map_or(0, |i| i + 1);
    let start = line[..at].rfind(". ").map_or(start, |i| start.max(i + 2));
    let end = [line[at..].find(';'), line[at..].find(". ")]
        .into_iter()
        .flatten()
        .min()
        .map_or(line.len(), |i| at + i);
    let l = line[start..end].to_ascii_lowercase();
    [
        "must not exist",
        "should not exist",
        "does not exist",
        "not exist",
        "intentionally absent",
        "remains absent",
        "remain absent",
        "stays absent",
        "is absent",
        "are absent",
        "not yet written",
        "written later",
        "will be written",
        "will be published",
        "to be written",
        "to be published",
        "publish `",
        "is not created",
        "not allowed",
        "forbidden",
        "forbids",
        "forbid `",
    ]
    .iter()
    .any(|p| l.contains(p))
}

/// A file a document cites: where, and the path as written (a `:line` suffix kept for the
/// anchor check).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Citation {
    pub line: u32,
    pub col: u32,
    pub text: String,
}

/// Every file a document cites: relative link targets, and code spans that name a file
/// (see [`looks_like_file`]; `path:line` anchors included).
pub fn citations(doc: &markdown::Doc) -> Vec<Citation> {
    let mut out = Vec::new();
    for (line, i) in doc.inlines_in(doc.all()) {
        let text = match i.kind {
            InlineKind::LinkTarget => match markdown::local_link_path(&i.text) {
                Some(t) => t.to_string(),
                None => continue,
            },
            InlineKind::Code => {
                let file = parse_anchor(&i.text)
                    .map(|(p, _, _)| p)
                    .unwrap_or_else(|| i.text.clone());
                if !looks_like_file(&file) || is_git_range(&file) {
                    continue;
                }
                i.text.clone()
            }
            InlineKind::Strong => continue,
        };
        out.push(Citation {
            line,
            col: i.col,
            text,
        });
    }
    out
}

/// Number of lines of a file (a last line without a newline counts).
fn count_lines(path: &Path) -> Result<u32, String> {
    let bytes = crate::fs::careful::read_document_bytes(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let n = bytes.iter().filter(|b| **b == b'\n').count();
    let extra = usize::from(!bytes.is_empty() && bytes.last() != Some(&b'\n'));
    Ok((n + extra) as u32)
}

/// Every file a closure document cites (a relative link, an artifact name or a path in a
/// code span) must exist, looked for from the document's folder, the spec packet and the
/// repository root; a `path:line` citation must also have the line.
pub fn check_citations(
    rel: &str,
    text: &str,
    resolver: &mut Resolver,
    findings: &mut Vec<crate::finding::Finding>,
    anchors: bool,
) -> usize {
    let doc = markdown::Doc::parse(text);
    let cites = citations(&doc);
    // Lines naming a file of the user's own configuration: a bare name there is of the
    // same folder (`` `~/.x/prompts/a.md` maps to `b.md` ``).
    let config_lines: Vec<u32> = cites
        .iter()
        .filter(|c| in_user_config(&c.text))
        .map(|c| c.line)
        .collect();
    for c in &cites {
        if !anchors && parse_anchor(&c.text).is_some() {
            continue;
        }
        let line_text = doc
            .lines
            .get(c.line as usize - 1)
            .map_or("", |l| l.text.as_str());
        // An anchor (`path:line`) says a line exists: never an absence.
        if in_user_config(&c.text)
            || (!c.text.contains('/') && config_lines.contains(&c.line))
            || (parse_anchor(&c.text).is_none() && says_absent(line_text, c.col))
        {
            continue;
        }
        let err = match parse_anchor(&c.text) {
            Some((path, start, end)) => resolver
                .resolve(&Anchor {
                    raw: c.text.clone(),
                    path,
                    start,
                    end,
                    col: c.col,
                })
                .err(),
            None => resolver.locate(&c.text).err(),
        };
        let Some(u) = err else { continue };
        let (rule, help) = match u.rule {
            "evidence-outside-repo" => (
                "cited-artifact-outside-repo",
                "cite a file inside the target",
            ),
            "evidence-line-out-of-range" => (
                "evidence-line-out-of-range",
                "point the anchor at a line that exists (after edits, lines move)",
            ),
            _ => (
                "cited-artifact-missing",
                "restore the artifact, or cite where it was archived",
            ),
        };
        let message = format!("cites `{}`: {}", c.text, u.message);
        let name = c.text.rsplit('/').next().unwrap_or(&c.text);
        let finding = if rule == "cited-artifact-missing" && resolver.superseded.contains(name) {
            crate::finding::Finding::error(
                "cited-artifact-deleted-by-cleanup",
                rel,
                c.line,
                c.col,
                format!(
                    "{message} (the phase's cleanup manifest deletes it as superseded: the citation is history)"
                ),
            )
            .with_severity(crate::finding::Severity::Warning)
        } else {
            crate::finding::Finding::error(rule, rel, c.line, c.col, message)
        };
        findings.push(finding.with_help(help));
    }
    cites.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anchors_are_found_in_code_links_and_words() {
        let v = anchors_in_line(
            "- `a/b.ts:3`, see [c](docs/x.md:4-9) and pkg/y.json:2. Not 10:30 nor http://h:80",
        );
        let got: Vec<(&str, u32, u32, u32)> = v
            .iter()
            .map(|a| (a.path.as_str(), a.start, a.end, a.col))
            .collect();
        assert_eq!(
            got,
            vec![
                ("a/b.ts", 3, 3, 4),
                ("docs/x.md", 4, 9, 23),
                ("pkg/y.json", 2, 2, 42)
            ]
        );
    }

    #[test]
    fn a_column_after_the_line_is_dropped() {
        assert_eq!(
            parse_anchor("apps/server/src/rawr.ts:166:7"),
            Some(("apps/server/src/rawr.ts".into(), 166, 166))
        );
        assert_eq!(parse_anchor("a/b.ts:3-9"), Some(("a/b.ts".into(), 3, 9)));
        // Something other than a number after the last colon is no anchor.
        assert_eq!(parse_anchor("run.log:10:30:x"), None);
    }

    #[test]
    fn absolute_paths_map_through_prefixes() {
        let r = Resolver::new(
            Path::new("/nonexistent-repo"),
            &[
                "/Users/x/wt/".to_string(),
                "/Users/y/worktrees/*".to_string(),
            ],
        );
        assert_eq!(r.map_path("/Users/x/wt/src/a.ts").unwrap(), "src/a.ts");
        assert_eq!(
            r.map_path("/Users/y/worktrees/wt-b/src/a.ts").unwrap(),
            "src/a.ts"
        );
        assert_eq!(
            r.map_path("/Users/y/worktrees/a.ts").unwrap_err().rule,
            "evidence-outside-repo"
        );
        assert_eq!(
            r.map_path("/elsewhere/a.ts").unwrap_err().rule,
            "evidence-outside-repo"
        );
        assert_eq!(
            r.locate("../a.ts").unwrap_err().rule,
            "evidence-outside-repo"
        );
        // From a document's folder, `..` may climb as long as it stays inside.
        let r = r.with_bases("docs/spec/pass", "docs/spec");
        assert_eq!(
            r.locate("../../../../a.ts").unwrap_err().rule,
            "evidence-outside-repo"
        );
        assert_eq!(
            r.locate("../x.md").unwrap_err().rule,
            "evidence-file-missing"
        );
    }
}

#[cfg(test)]
mod absent_tests {
    use super::says_absent;

    #[test]
    fn an_absence_is_said_of_the_citation_in_its_own_clause() {
        let col = |line: &str, span: &str| line.find(span).unwrap() as u32 + 2;
        for (line, span) in [
            (
                "- `F4_TRIGGER_EVIDENCE.md` remains intentionally absent",
                "F4_",
            ),
            ("the deferred state forbids `X.md`", "X.md"),
            ("`K7_PHASE_L_READINESS.md` will be written by K7", "K7_"),
        ] {
            assert!(says_absent(line, col(line, span)), "{line}");
        }
        for (line, span) in [
            ("`a.ts` removed; the old call is forbidden", "a.ts"),
            ("See `b.md`. Direct writes are not allowed.", "b.md"),
        ] {
            assert!(!says_absent(line, col(line, span)), "{line}");
        }
    }
}

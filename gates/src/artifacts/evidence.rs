//! Evidence anchors: `path:line` or `path:line-line`, and whether they resolve.
//!
//! Agents write anchors with absolute paths of the machine they ran on (the runbook asks for
//! "absolute path + line anchors"). Those are mapped into the target through configured
//! worktree prefixes (and the target's own absolute path); anything else absolute, or a
//! relative path escaping the repository, does not resolve. An anchor resolves when the file
//! exists inside the repository and the line (or both ends of the range) exist in it.

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

/// Parses one token as an anchor: `<path>:<n>` or `<path>:<n>-<m>`. The path must look like
/// a file path (contain `/` or `.`), which keeps times (`10:30`) and URLs out.
pub fn parse_anchor(token: &str) -> Option<(String, u32, u32)> {
    let t = token.trim_matches(|c: char| {
        matches!(
            c,
            '(' | ')' | ',' | ';' | '"' | '\'' | '[' | ']' | '<' | '>'
        )
    });
    let t = t.strip_suffix('.').unwrap_or(t);
    let colon = t.rfind(':')?;
    let (path, spec) = (&t[..colon], &t[colon + 1..]);
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
}

impl Resolver {
    /// `prefixes` are absolute directories that stand for the repository root in anchors
    /// (the worktrees the agents ran in). The repository's own absolute path always does.
    pub fn new(repo: &Path, prefixes: &[String]) -> Resolver {
        let repo_canon = std::fs::canonicalize(repo).unwrap_or_else(|_| repo.to_path_buf());
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
        }
    }

    /// The repository-relative path an anchor's path stands for.
    pub fn map_path(&self, path: &str) -> Result<String, Unresolved> {
        let rel = if path.starts_with('/') {
            let hit = self.prefixes.iter().find_map(|pre| {
                path.strip_prefix(pre.as_str())
                    .and_then(|rest| rest.strip_prefix('/'))
                    .map(str::to_string)
            });
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
        if Path::new(&rel)
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
        {
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
        let rel = self.map_path(&a.path)?;
        let full = self.repo.join(&rel);
        let canon = match std::fs::canonicalize(&full) {
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
        if !canon.is_file() {
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

/// Number of lines of a file (a last line without a newline counts).
fn count_lines(path: &Path) -> Result<u32, String> {
    let bytes =
        crate::careful::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let n = bytes.iter().filter(|b| **b == b'\n').count();
    let extra = usize::from(!bytes.is_empty() && bytes.last() != Some(&b'\n'));
    Ok((n + extra) as u32)
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
    fn absolute_paths_map_through_prefixes() {
        let r = Resolver::new(
            Path::new("/nonexistent-repo"),
            &["/Users/x/wt/".to_string()],
        );
        assert_eq!(r.map_path("/Users/x/wt/src/a.ts").unwrap(), "src/a.ts");
        assert_eq!(
            r.map_path("/elsewhere/a.ts").unwrap_err().rule,
            "evidence-outside-repo"
        );
        assert_eq!(
            r.map_path("../a.ts").unwrap_err().rule,
            "evidence-outside-repo"
        );
    }
}

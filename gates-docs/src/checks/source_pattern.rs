//! `source-pattern`: files of the target exist, and their text matches (or does not match)
//! regular expressions, with counts and either/or alternatives.
//!
//! **What it checks.** Every path of `exist` is a regular file. Every entry of `patterns`
//! names files (`files`: repository-relative paths or globs such as `apps/*/src/**/*.ts`) and
//! one expression (`regex`, or `literal` for text taken as written) and how often it must
//! occur in each file: at least once by default, `min`/`max`/`count` for counts, `absent =
//! true` for never. An entry with `any_of` holds when one of its alternatives holds, each
//! alternative a list of entries that must all hold (their `files` default to the entry's):
//! "the assertion is inline in both handlers, or in a shared helper both handlers call". An
//! entry with `exists = true` or `false` and no expression asks only whether its files are
//! there ("a triggered state has its evidence, a deferred one has none").
//!
//! Expressions are the `regex` crate's syntax (no look-around or back-references), matched
//! against the whole file: `.` stops at a line end, `[\s\S]` does not, `(?m)` makes `^`/`$`
//! match at every line. Files are read through the careful reader: inside the target, no
//! link out of it, no binary or huge file.
//!
//! **Why.** The phases' verification scripts pin a contract by its source: an exported name,
//! a route mounted once, a marker asserted in every handler. Held as data in the pipeline,
//! each broken promise is a finding at the line that broke it (or the file that lacks it)
//! instead of the first thrown message.
//!
//! **How to fix.** Restore what the pattern pins (the finding's message says what, and the
//! entry's `message` why), or change the pipeline when the contract changed on purpose.

use gates_core::fs::probe::Probe;
use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

use super::{Capability, CheckCtx, CheckDef, CheckOutput, ParamError, Rule, error, no_roles};
use crate::error::GateError;
use crate::finding::Finding;
use crate::fs::source::{self, SourceFile};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Repository-relative paths that must be regular files.
    #[serde(default)]
    pub exist: Vec<String>,
    /// What the files' text must (not) contain.
    #[serde(default)]
    pub patterns: Vec<Entry>,
}

/// One expectation: an expression and how often it occurs in each file, or alternatives.
#[derive(Deserialize, Default, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Repository-relative paths or globs (`*` stays within a folder, `**` crosses them).
    #[serde(default)]
    pub files: Vec<String>,
    pub regex: Option<String>,
    /// Text taken as written.
    pub literal: Option<String>,
    /// The expression must not occur.
    #[serde(default)]
    pub absent: bool,
    pub min: Option<usize>,
    pub max: Option<usize>,
    pub count: Option<usize>,
    /// Without an expression: `true`, the files must exist; `false`, they must not.
    pub exists: Option<bool>,
    /// Why the pattern matters, shown in its findings.
    pub message: Option<String>,
    /// Alternatives: the entry holds when every entry of one of them holds.
    pub any_of: Option<Vec<Vec<Entry>>>,
}

pub fn def() -> CheckDef {
    CheckDef {
        name: "source-pattern",
        summary: "files exist and their text matches (or does not match) expressions, with counts and either/or alternatives",
        capabilities: &[Capability::WorkTree],
        rules: &[RULES, super::common::SOURCES],
        parts: None,
        aliases: &[],
        validate,
        roles: no_roles,
        run,
    }
}

const FIX: &str = "restore what the pattern pins (the message says what), or change the pipeline's pattern when the contract changed on purpose";

/// Every rule of the source-pattern check.
pub const RULES: &[Rule] = &[
    error(
        "file-missing",
        "a file the gate names does not exist (or is no regular file)",
        "add the file, or fix the path in the pipeline",
    ),
    error(
        "files-unmatched",
        "a glob of `files` matches no file (where the entry asks for an occurrence or `exists = true`; a forbidding glob that matches nothing breaks nothing)",
        "add the files, or fix the glob in the pipeline",
    ),
    error(
        "file-present",
        "a file an entry with `exists = false` forbids is there",
        "remove the file, or change the pipeline when it belongs there now",
    ),
    error(
        "pattern-missing",
        "an expression occurs fewer times than required (at least once by default) in a file",
        FIX,
    ),
    error(
        "pattern-too-many",
        "an expression occurs more often than `max` or `count` allows in a file",
        FIX,
    ),
    error(
        "pattern-forbidden",
        "an expression the gate forbids (`absent = true`) occurs in a file",
        "remove what the pattern forbids, or change the pipeline when it is now allowed",
    ),
    error(
        "alternatives-unmet",
        "none of an entry's `any_of` alternatives holds",
        FIX,
    ),
];

pub fn validate(t: &toml::Table) -> Result<(), ParamError> {
    let p: Params = super::parse_params(t)?;
    let bad = |message: String, key: &str| ParamError {
        message,
        key: Some(key.into()),
    };
    for e in &p.exist {
        if crate::fs::escapes(e) || e.is_empty() {
            return Err(bad(
                format!("`exist` path {e:?} must be relative to the repository and stay inside it"),
                "exist",
            ));
        }
    }
    if p.exist.is_empty() && p.patterns.is_empty() {
        return Err(ParamError {
            message: "give `exist` paths or `patterns`: the gate checks nothing".into(),
            key: None,
        });
    }
    for (i, e) in p.patterns.iter().enumerate() {
        validate_entry(e, &format!("patterns[{i}]"), false).map_err(|m| bad(m, "patterns"))?;
    }
    Ok(())
}

/// Checks one entry (`at` names it in messages); `inherited`: files come from an outer entry.
fn validate_entry(e: &Entry, at: &str, inherited: bool) -> Result<(), String> {
    if e.files.is_empty() && !inherited {
        return Err(format!("{at}: `files` is empty"));
    }
    for f in &e.files {
        if f.is_empty() || crate::fs::escapes(f) {
            return Err(format!(
                "{at}: file {f:?} must be relative to the repository and stay inside it"
            ));
        }
        if is_glob(f) {
            glob(f).map_err(|m| format!("{at}: {m}"))?;
        }
    }
    if let Some(alts) = &e.any_of {
        if e.regex.is_some() || e.literal.is_some() || e.absent || counted(e) || e.exists.is_some()
        {
            return Err(format!(
                "{at}: an entry with `any_of` has no expression, count or `exists` of its own (put them in the alternatives)"
            ));
        }
        if alts.len() < 2 {
            return Err(format!("{at}: `any_of` needs at least two alternatives"));
        }
        for (j, alt) in alts.iter().enumerate() {
            if alt.is_empty() {
                return Err(format!("{at}.any_of[{j}] is empty"));
            }
            for (k, inner) in alt.iter().enumerate() {
                validate_entry(
                    inner,
                    &format!("{at}.any_of[{j}][{k}]"),
                    inherited || !e.files.is_empty(),
                )?;
            }
        }
        return Ok(());
    }
    if e.exists.is_some() {
        if e.regex.is_some() || e.literal.is_some() || e.absent || counted(e) {
            return Err(format!(
                "{at}: `exists` takes no expression or count (it asks whether the files are there)"
            ));
        }
        return Ok(());
    }
    match (&e.regex, &e.literal) {
        (Some(_), Some(_)) => return Err(format!("{at}: give `regex` or `literal`, not both")),
        (None, None) => {
            return Err(format!(
                "{at}: give `regex`, `literal`, `exists` or `any_of`"
            ));
        }
        (Some(r), None) => {
            compile(r).map_err(|m| format!("{at}: {m}"))?;
        }
        (None, Some(l)) if l.is_empty() => return Err(format!("{at}: `literal` is empty")),
        _ => {}
    }
    if e.absent && counted(e) {
        return Err(format!(
            "{at}: `absent = true` takes no `min`, `max` or `count`"
        ));
    }
    if e.count.is_some() && (e.min.is_some() || e.max.is_some()) {
        return Err(format!("{at}: give `count`, or `min`/`max`, not both"));
    }
    if let (Some(lo), Some(hi)) = (e.min, e.max)
        && lo > hi
    {
        return Err(format!("{at}: `min` ({lo}) is above `max` ({hi})"));
    }
    Ok(())
}

fn counted(e: &Entry) -> bool {
    e.min.is_some() || e.max.is_some() || e.count.is_some()
}

/// Compiles a pipeline's expression, with the error as a message.
pub fn compile(r: &str) -> Result<regex::Regex, String> {
    regex::RegexBuilder::new(r)
        .size_limit(1 << 22)
        .build()
        .map_err(|e| format!("invalid regex {r:?}: {e}"))
}

fn is_glob(f: &str) -> bool {
    f.contains(['*', '?', '[', '{'])
}

fn glob(f: &str) -> Result<globset::GlobMatcher, String> {
    globset::GlobBuilder::new(f)
        .literal_separator(true)
        .build()
        .map(|g| g.compile_matcher())
        .map_err(|e| format!("invalid glob {f:?}: {e}"))
}

/// A target file as the careful reader gives it, or the finding that says why not:
/// `file-missing` when nothing is there, else the reader's (`unreadable-file`, `read-failed`).
pub fn read_target(repo: &Path, rel: &str) -> Result<Result<SourceFile, Finding>, GateError> {
    if crate::fs::escapes(rel) {
        return Err(GateError::msg(format!(
            "path {rel:?} escapes the target repository"
        )));
    }
    // A link out of the repository (the file's or a folder's on the way) is the reader's
    // finding (`unreadable-file`, "resolves outside the repository"), never followed.
    let abs = repo.join(rel);
    // A link out of the target on the way (a folder's or the file's): refused as the reader
    // refuses it, and nothing outside is looked at.
    if let Some(escape) =
        crate::fs::inside::link_out(repo, Path::new(rel), crate::fs::inside::TARGET)
            .map_err(|e| GateError::io(&abs, e))?
    {
        return Ok(Err(Finding::error(
            "unreadable-file",
            rel,
            0,
            0,
            format!("`{rel}` resolves outside the repository: {escape}"),
        )));
    }
    match abs.probe_symlink_metadata() {
        Err(e) if source::is_missing(&e) => {
            crate::fs::record::file_read(&abs, Err(&e));
            return Ok(Err(Finding::error(
                "file-missing",
                rel,
                0,
                0,
                format!("`{rel}` does not exist"),
            )));
        }
        Err(e) => return Ok(Err(source::read_failed(rel, &e))),
        Ok(_) => {}
    }
    Ok(source::read(repo, &abs).map_err(|e| {
        let mut f = e.finding;
        f.path = Some(rel.to_string());
        f
    }))
}

/// The files a gate reads, each read once.
struct Files<'a> {
    repo: &'a Path,
    read: BTreeMap<String, Result<SourceFile, Finding>>,
    /// Globs expanded, as sorted repository-relative paths.
    globbed: BTreeMap<String, Vec<String>>,
}

impl Files<'_> {
    fn get(&mut self, rel: &str) -> Result<&Result<SourceFile, Finding>, GateError> {
        if !self.read.contains_key(rel) {
            let r = read_target(self.repo, rel)?;
            self.read.insert(rel.to_string(), r);
        }
        Ok(&self.read[rel])
    }

    /// The files of a glob: the folders under its literal prefix, walked without following
    /// links, matched against the whole relative path.
    fn expand(&mut self, pattern: &str) -> Result<Vec<String>, GateError> {
        if let Some(v) = self.globbed.get(pattern) {
            return Ok(v.clone());
        }
        let m = glob(pattern).map_err(GateError::msg)?;
        let prefix: Vec<&str> = pattern.split('/').take_while(|c| !is_glob(c)).collect();
        // The folders before the first component with a glob character are walked.
        let dir = prefix.join("/");
        let base = if dir.is_empty() {
            self.repo.to_path_buf()
        } else {
            crate::fs::resolve_inside(self.repo, &dir)?
        };
        let mut out = Vec::new();
        if !base.probe_is_dir() {
            // Recorded as absent, so a cached verdict is judged again once the folder appears.
            crate::fs::record::dir_listed(&base);
        } else {
            for f in crate::artifacts::names::walk(&base)? {
                let rel = if dir.is_empty() {
                    f
                } else {
                    format!("{dir}/{f}")
                };
                if m.is_match(&rel) {
                    out.push(rel);
                }
            }
        }
        self.globbed.insert(pattern.to_string(), out.clone());
        Ok(out)
    }
}

pub fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let p: Params = ctx.params()?;
    let mut out = CheckOutput::default();
    let mut files = Files {
        repo: ctx.repo,
        read: BTreeMap::new(),
        globbed: BTreeMap::new(),
    };
    for rel in &p.exist {
        if let Err(f) = files.get(rel)? {
            out.findings.push(f.clone());
        }
    }
    let mut checked = 0usize;
    for e in &p.patterns {
        if ctx.cancelled() {
            break;
        }
        let found = judge(e, &[], &mut files, &mut checked)?;
        for f in found {
            if !out.findings.contains(&f) {
                out.findings.push(f);
            }
        }
    }
    out.notes.push(format!(
        "{} file(s) named in `exist`, {} pattern(s) checked over {} file(s)",
        p.exist.len(),
        checked,
        files.read.len()
    ));
    Ok(out)
}

/// The findings of one entry (none when it holds). `outer`: the files an enclosing `any_of`
/// entry names, for alternatives that name none.
fn judge(
    e: &Entry,
    outer: &[String],
    files: &mut Files,
    checked: &mut usize,
) -> Result<Vec<Finding>, GateError> {
    let names: Vec<String> = if e.files.is_empty() {
        outer.to_vec()
    } else {
        e.files.clone()
    };
    if let Some(alts) = &e.any_of {
        let mut failures: Vec<Vec<Finding>> = Vec::new();
        for alt in alts {
            let mut found = Vec::new();
            for inner in alt {
                found.extend(judge(inner, &names, files, checked)?);
            }
            if found.is_empty() {
                return Ok(Vec::new());
            }
            failures.push(found);
        }
        // A file an alternative could not read is reported as it is: the alternatives
        // were not judged.
        let unread: Vec<Finding> = failures
            .iter()
            .flatten()
            .filter(|f| FILE_RULES.contains(&f.rule.as_str()))
            .cloned()
            .collect();
        if !unread.is_empty() {
            return Ok(unread);
        }
        // Shown where the alternative that came closest (fewest failures; the first of
        // equals) failed: a deferred state with evidence points at the evidence.
        let closest = failures
            .iter()
            .min_by_key(|f| f.len())
            .expect("at least two alternatives");
        let first = &closest[0];
        let why: Vec<String> = failures
            .iter()
            .enumerate()
            .map(|(i, f)| format!("alternative {}: {}", i + 1, f[0].message))
            .collect();
        let mut f = Finding::error(
            "alternatives-unmet",
            first.path.clone().unwrap_or_default(),
            first.line,
            first.col,
            format!(
                "{}none of {} alternatives holds ({})",
                prefix(e.message.as_deref()),
                failures.len(),
                why.join("; ")
            ),
        );
        if first.path.is_none() {
            f.path = None;
        }
        return Ok(vec![f.with_help(FIX)]);
    }
    if let Some(want) = e.exists {
        let mut found = Vec::new();
        let mut paths = Vec::new();
        for n in &names {
            if !is_glob(n) {
                paths.push(n.clone());
                continue;
            }
            let v = files.expand(n)?;
            if v.is_empty() && want {
                found.push(Finding::error(
                    "files-unmatched",
                    n.clone(),
                    0,
                    0,
                    format!("{}no file matches `{n}`", prefix(e.message.as_deref())),
                ));
            }
            paths.extend(v);
        }
        for rel in &paths {
            let here = files.get(rel)?;
            match (want, here) {
                (true, Err(f)) => found.push(f.clone()),
                (false, Ok(_)) => found.push(
                    Finding::error(
                        "file-present",
                        rel.clone(),
                        0,
                        0,
                        format!("{}`{rel}` must not exist", prefix(e.message.as_deref())),
                    )
                    .with_help("remove the file, or change the pipeline when it belongs there now"),
                ),
                // Something is there but unreadable (a directory, a link out): present.
                (false, Err(f)) if f.rule != "file-missing" => found.push(Finding::error(
                    "file-present",
                    rel.clone(),
                    0,
                    0,
                    format!("{}`{rel}` must not exist", prefix(e.message.as_deref())),
                )),
                _ => {}
            }
        }
        return Ok(found);
    }
    let re = match (&e.regex, &e.literal) {
        (Some(r), _) => compile(r).map_err(GateError::msg)?,
        (None, Some(l)) => compile(&regex::escape(l)).map_err(GateError::msg)?,
        (None, None) => return Ok(Vec::new()),
    };
    let shown = e
        .regex
        .clone()
        .unwrap_or_else(|| e.literal.clone().unwrap_or_default());
    let what = if e.literal.is_some() {
        "text"
    } else {
        "pattern"
    };
    let mut found = Vec::new();
    let mut targets = Vec::new();
    for n in &names {
        if is_glob(n) {
            let v = files.expand(n)?;
            // A glob that matches nothing breaks no `absent` rule.
            if v.is_empty() && !e.absent {
                found.push(Finding::error(
                    "files-unmatched",
                    n.clone(),
                    0,
                    0,
                    format!("no file matches `{n}`"),
                ));
            }
            targets.extend(v);
        } else {
            targets.push(n.clone());
        }
    }
    for rel in targets {
        let sf = match files.get(&rel)? {
            Ok(sf) => sf,
            Err(f) => {
                found.push(f.clone());
                continue;
            }
        };
        *checked += 1;
        let matches: Vec<regex::Match> = re.find_iter(&sf.text).collect();
        let n = matches.len();
        let note = prefix(e.message.as_deref());
        if e.absent {
            for m in &matches {
                found.push(
                    sf.finding_at(
                        "pattern-forbidden",
                        m.start(),
                        format!("{note}forbidden {what} `{shown}` occurs"),
                    )
                    .with_help(FIX),
                );
            }
            continue;
        }
        let (lo, hi) = match e.count {
            Some(c) => (c, Some(c)),
            None => (e.min.unwrap_or(1), e.max),
        };
        if n < lo {
            let mut f = Finding::error(
                "pattern-missing",
                rel.clone(),
                1,
                1,
                if n == 0 {
                    format!("{note}{what} `{shown}` does not occur")
                } else {
                    format!("{note}{what} `{shown}` occurs {n} time(s), at least {lo} required")
                },
            );
            f = f.with_help(FIX);
            found.push(f);
        } else if let Some(hi) = hi
            && n > hi
        {
            found.push(
                sf.finding_at(
                    "pattern-too-many",
                    matches[hi].start(),
                    format!("{note}{what} `{shown}` occurs {n} time(s), at most {hi} allowed"),
                )
                .with_help(FIX),
            );
        }
    }
    Ok(found)
}

/// The rules of a file that is there but could not be read: its alternatives were not judged.
const FILE_RULES: &[&str] = &["unreadable-file", source::READ_FAILED];

/// A finding's lead-in from an entry's `message` (`"<message>: "`, or nothing).
pub(crate) fn prefix(message: Option<&str>) -> String {
    message.map(|m| format!("{m}: ")).unwrap_or_default()
}

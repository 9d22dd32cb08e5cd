//! `doc-contains`: documents carry the key lines, headings and text the phase asks of them,
//! and none of what they must not.
//!
//! **What it checks.** Each entry of `documents` names a document (`path`, relative to the
//! pass root, or to the repository with `root = "repo"`) and what it must hold:
//! - `key_lines`: a `key: value` line (`state: deferred`, `- disposition: approve`, `**Posture:**
//!   ready`; read as the closure gates read key lines, outside code and comments), with
//!   `value` (compared without case, backticks or a final period) or `matches` (an
//!   expression the value must match), or only the key;
//! - `headings`: a heading of any level whose title is this text (without case);
//! - `contains` / `not_contains`: expressions over the text as written (code included).
//!
//! **Why.** The phases' verification scripts ask a disposition for its sections ("Trigger
//! Matrix Summary", "Carry-Forward Watchpoints"), its decision line and the gates it
//! references, and a manifest for its inventory table. As data in the pipeline each gap is a
//! finding at the document (or at the line that breaks a must-not).
//!
//! **How to fix.** Write what the document lacks (or remove what it must not say), or change
//! the pipeline when the phase's documents changed on purpose.

use serde::Deserialize;

use super::{Capability, CheckCtx, CheckDef, CheckOutput, ParamError, Rule, error, no_roles};
use crate::artifacts::{git, markdown};
use crate::error::GateError;
use crate::finding::Finding;
use crate::text::LineIndex;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub documents: Vec<DocSpec>,
}

#[derive(Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Root {
    /// The pipeline's pass root.
    #[default]
    Pass,
    /// The target repository.
    Repo,
}

/// One document and what it must (not) hold.
#[derive(Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct DocSpec {
    pub path: String,
    #[serde(default)]
    pub root: Root,
    #[serde(default)]
    pub key_lines: Vec<KeyLine>,
    #[serde(default)]
    pub headings: Vec<String>,
    #[serde(default)]
    pub contains: Vec<String>,
    #[serde(default)]
    pub not_contains: Vec<String>,
    /// Why it matters, shown in the findings.
    pub message: Option<String>,
}

/// A `key: value` line the document must have.
#[derive(Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct KeyLine {
    pub key: String,
    pub value: Option<String>,
    pub matches: Option<String>,
}

pub fn def() -> CheckDef {
    CheckDef {
        name: "doc-contains",
        summary: "documents have the key lines, headings and text the phase asks, and none of what they must not",
        capabilities: &[Capability::WorkTree],
        rules: &[RULES, super::common::DOCUMENT],
        parts: None,
        aliases: &[],
        validate,
        roles: no_roles,
        run,
    }
}

const FIX: &str = "write what the document lacks, or change the pipeline when the phase's documents changed on purpose";

/// Every rule of the doc-contains check.
pub const RULES: &[Rule] = &[
    error(
        "document-missing",
        "a document the gate names does not exist",
        "write the document, or fix its path in the pipeline",
    ),
    error("key-line-missing", "no `key: value` line with the key", FIX),
    error(
        "key-line-differs",
        "the key's lines have another value than the one required",
        FIX,
    ),
    error("heading-missing", "no heading with the title", FIX),
    error(
        "text-missing",
        "an expression of `contains` does not occur",
        FIX,
    ),
    error(
        "text-forbidden",
        "an expression of `not_contains` occurs",
        "remove what the document must not say, or change the pipeline",
    ),
];

pub fn validate(t: &toml::Table) -> Result<(), ParamError> {
    let p: Params = super::parse_params(t)?;
    let bad = |message: String| ParamError {
        message,
        key: Some("documents".into()),
    };
    if p.documents.is_empty() {
        return Err(bad("`documents` is empty: the gate checks nothing".into()));
    }
    for (i, d) in p.documents.iter().enumerate() {
        let at = format!("documents[{i}]");
        if d.path.is_empty() || crate::fs::escapes(&d.path) {
            return Err(bad(format!(
                "{at}: path {:?} must be relative and stay inside its root",
                d.path
            )));
        }
        for k in &d.key_lines {
            if k.key.trim().is_empty() {
                return Err(bad(format!("{at}: a key line with an empty `key`")));
            }
            if k.value.is_some() && k.matches.is_some() {
                return Err(bad(format!(
                    "{at}: key line `{}`: give `value` or `matches`, not both",
                    k.key
                )));
            }
            if let Some(r) = &k.matches {
                super::source_pattern::compile(r).map_err(|m| bad(format!("{at}: {m}")))?;
            }
        }
        for r in d.contains.iter().chain(&d.not_contains) {
            super::source_pattern::compile(r).map_err(|m| bad(format!("{at}: {m}")))?;
        }
    }
    Ok(())
}

/// A key line's value as compared: without backticks, emphasis, a final period or case.
fn plain(v: &str) -> String {
    v.trim()
        .trim_matches('`')
        .trim()
        .trim_end_matches('.')
        .trim_matches('`')
        .to_lowercase()
}

pub fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let p: Params = ctx.params()?;
    let mut out = CheckOutput::default();
    let pass_rel = git::rel_str(&ctx.pipeline.target.pass_root);
    for d in &p.documents {
        let (base, rel) = match d.root {
            Root::Pass => (ctx.pass_root, format!("{pass_rel}/{}", d.path)),
            Root::Repo => (ctx.repo, d.path.clone()),
        };
        let full = super::resolve_inside(base, &d.path)?;
        let text = match crate::fs::careful::read_document_bytes(&full) {
            Ok(bytes) => match super::document_text(bytes, &rel, &mut out) {
                Some(t) => t,
                None => continue,
            },
            Err(e) if crate::fs::source::is_missing(&e) => {
                out.findings.push(Finding::error(
                    "document-missing",
                    &rel,
                    0,
                    0,
                    format!("`{rel}` does not exist"),
                ));
                continue;
            }
            Err(e) => return Err(GateError::io(&full, e)),
        };
        let note = super::source_pattern::prefix(d.message.as_deref());
        let at_file =
            |rule: &str, msg: String| Finding::error(rule, &rel, 1, 1, msg).with_help(FIX);
        let doc = markdown::Doc::parse(&text);
        for k in &d.key_lines {
            let lines = markdown::key_value_lines(&doc, &k.key);
            let re = k
                .matches
                .as_ref()
                .map(|r| super::source_pattern::compile(r).ok());
            let ok = |v: &str| match (&k.value, &re) {
                (Some(want), _) => plain(v) == plain(want),
                (None, Some(re)) => re.as_ref().is_some_and(|re| re.is_match(v)),
                (None, None) => true,
            };
            if lines.iter().any(|(_, v, _)| ok(v)) {
                continue;
            }
            let want = match (&k.value, &k.matches) {
                (Some(v), _) => format!("`{}: {v}`", k.key),
                (None, Some(r)) => format!("`{}:` matching `{r}`", k.key),
                (None, None) => format!("`{}:`", k.key),
            };
            match lines.first() {
                None => out
                    .findings
                    .push(at_file("key-line-missing", format!("{note}no {want} line"))),
                Some((line, v, col)) => out.findings.push(
                    Finding::error(
                        "key-line-differs",
                        &rel,
                        *line,
                        *col,
                        format!("{note}`{}: {v}`, expected {want}", k.key),
                    )
                    .with_help(FIX),
                ),
            }
        }
        if !d.headings.is_empty() {
            let titles: Vec<String> = doc
                .headings()
                .iter()
                .map(|h| h.title.trim().to_lowercase())
                .collect();
            for h in &d.headings {
                if !titles.contains(&h.trim().to_lowercase()) {
                    out.findings.push(at_file(
                        "heading-missing",
                        format!("{note}no heading `{h}`"),
                    ));
                }
            }
        }
        let mut index: Option<LineIndex> = None;
        for r in &d.contains {
            let re = super::source_pattern::compile(r).map_err(GateError::msg)?;
            if !re.is_match(&text) {
                out.findings.push(at_file(
                    "text-missing",
                    format!("{note}`{r}` does not occur"),
                ));
            }
        }
        for r in &d.not_contains {
            let re = super::source_pattern::compile(r).map_err(GateError::msg)?;
            for m in re.find_iter(&text) {
                let idx = index.get_or_insert_with(|| LineIndex::new(&text));
                let (line, col) = idx.line_col(&text, m.start());
                out.findings.push(
                    Finding::error(
                        "text-forbidden",
                        &rel,
                        line,
                        col,
                        format!("{note}`{}` must not occur (`{r}`)", m.as_str()),
                    )
                    .with_help("remove what the document must not say, or change the pipeline"),
                );
            }
        }
    }
    Ok(out)
}

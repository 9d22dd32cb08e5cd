//! `agent-outputs` (A7): agent final outputs are complete and everything cited exists.
//!
//! **What it checks.** The pass root holds at least one `AGENT_<N>_FINAL_<OBJECTIVE>.md`.
//! Each has the five sections *Skills Introspected*, *Evidence Map*, *Assumptions*, *Risks*,
//! *Unresolved Questions* (as headings), none empty; the Evidence Map has at least one
//! `path:line` / `path:line-line` anchor and every anchor resolves to an existing file and
//! line inside the target (absolute paths are mapped through `worktree_prefixes`). Every
//! artifact a closure document cites (a relative link, or an artifact name in a code span)
//! exists.
//!
//! **Why.** The runbook makes these sections the contract of an agent's output, and the user's
//! repository published a review disposition citing six reports that were not in the tree:
//! a citation that does not resolve is not evidence.
//!
//! **How to fix.** Add the missing section (write "None." when there is nothing to say);
//! point anchors at lines that exist (after edits, lines move); restore a cited artifact, or
//! update the citation to where the artifact was archived.

use serde::Deserialize;

use super::{CheckCtx, CheckOutput, ParamError, parse_params};
use crate::artifacts::evidence::{self, Resolver};
use crate::artifacts::git;
use crate::artifacts::markdown::{self, Doc, InlineKind, normalise_key};
use crate::artifacts::names::{self, AgentFile};
use crate::error::GateError;
use crate::finding::Finding;

pub const SECTIONS: &[&str] = &[
    "Skills Introspected",
    "Evidence Map",
    "Assumptions",
    "Risks",
    "Unresolved Questions",
];

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Absolute directories that stand for the target's root in evidence anchors.
    #[serde(default)]
    pub worktree_prefixes: Vec<String>,
    /// Closure documents (relative to the pass root) whose citations must resolve.
    pub closure_documents: Option<Vec<String>>,
}

pub fn validate(t: &toml::Table) -> Result<(), ParamError> {
    parse_params::<Params>(t).map(|_| ())
}

pub fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let p: Params = ctx.params()?;
    let pass_rel = git::rel_str(&ctx.pipeline.target.pass_root);
    let mut out = CheckOutput::default();
    if !ctx.pass_root.is_dir() {
        out.findings.push(Finding::error(
            "pass-root-missing",
            &pass_rel,
            0,
            0,
            "the pass root does not exist",
        ));
        return Ok(out);
    }
    let mut resolver = Resolver::new(ctx.repo, &p.worktree_prefixes);
    let files: Vec<String> = names::walk(ctx.pass_root)?
        .into_iter()
        .filter(|f| !f.contains('/'))
        .collect();
    let finals: Vec<&String> = files
        .iter()
        .filter(|f| matches!(names::agent_file(f), Some((_, AgentFile::Final(_)))))
        .collect();
    if finals.is_empty() {
        out.findings.push(
            Finding::error(
                "agent-finals-missing",
                &pass_rel,
                0,
                0,
                "the pass root holds no `AGENT_<N>_FINAL_<OBJECTIVE>.md`",
            )
            .with_help("every agent publishes its final output in the pass root"),
        );
    }
    for f in &finals {
        let rel = format!("{pass_rel}/{f}");
        let Some(text) = read_text(&ctx.pass_root.join(f), &rel, &mut out)? else {
            continue;
        };
        check_final(&rel, &text, &mut resolver, &mut out.findings);
    }
    out.notes
        .push(format!("{} agent final(s) checked", finals.len()));

    let docs: Vec<String> = p.closure_documents.clone().unwrap_or_else(|| {
        names::CLOSURE_DOCUMENTS
            .iter()
            .map(|s| s.to_string())
            .collect()
    });
    for d in &docs {
        let full = super::resolve_inside(ctx.pass_root, d)?;
        if !full.is_file() {
            continue;
        }
        let rel = format!("{pass_rel}/{d}");
        let Some(text) = read_text(&full, &rel, &mut out)? else {
            continue;
        };
        let doc_dir = std::path::Path::new(&rel)
            .parent()
            .map(git::rel_str)
            .unwrap_or_default();
        check_citations(ctx, &rel, &doc_dir, &pass_rel, &text, &mut out.findings);
    }
    Ok(out)
}

fn read_text(
    path: &std::path::Path,
    rel: &str,
    out: &mut CheckOutput,
) -> Result<Option<String>, GateError> {
    let bytes = crate::careful::read(path).map_err(|e| GateError::io(path, e))?;
    match String::from_utf8(bytes) {
        Ok(t) => Ok(Some(t)),
        Err(e) => {
            out.findings.push(Finding::error(
                "document-not-utf8",
                rel,
                0,
                0,
                format!("not UTF-8 text: {e}"),
            ));
            Ok(None)
        }
    }
}

/// The five sections and the Evidence Map's anchors of one final.
pub fn check_final(rel: &str, text: &str, resolver: &mut Resolver, findings: &mut Vec<Finding>) {
    let doc = Doc::parse(text);
    let headings = doc.headings();
    for name in SECTIONS {
        let want = normalise_key(name);
        // A heading repeated (e.g. a second Evidence Map) is checked like the first.
        let sections = doc.sections(|t| normalise_key(t.trim_end_matches(':')) == want);
        if sections.is_empty() {
            findings.push(
                Finding::error(
                    "final-section-missing",
                    rel,
                    0,
                    0,
                    format!("no `{name}` section"),
                )
                .with_help(format!(
                    "add a `## {name}` heading; write \"None.\" when there is nothing to say"
                )),
            );
            continue;
        }
        for (h, range) in sections {
            // A section ends at the next of the five sections whatever its level: under
            // `# Risks`, a `## Unresolved Questions` is not Risks' content (it made an
            // empty Risks look filled, and lent its anchors to an Evidence Map above it).
            let end = headings
                .iter()
                .filter(|x| range.contains(&x.index))
                .find(|x| {
                    let k = normalise_key(x.title.trim_end_matches(':'));
                    SECTIONS.iter().any(|s| normalise_key(s) == k)
                })
                .map_or(range.end, |x| x.index);
            let range = range.start..end;
            if !markdown::has_content(doc.visible(range.clone())) {
                findings.push(Finding::error(
                    "final-section-empty",
                    rel,
                    h.line,
                    1,
                    format!("the `{name}` section is empty"),
                ));
                continue;
            }
            if want == normalise_key("Evidence Map") {
                let mut n = 0;
                for l in doc.visible(range) {
                    for a in evidence::anchors_in_line(&markdown::strip_inline_comments(l.text)) {
                        n += 1;
                        if let Err(u) = resolver.resolve(&a) {
                            findings.push(Finding::error(u.rule, rel, l.no, a.col, u.message));
                        }
                    }
                }
                if n == 0 {
                    findings.push(Finding::error(
                        "evidence-map-without-anchors",
                        rel,
                        h.line,
                        1,
                        "the Evidence Map has no `path:line` anchor",
                    ));
                }
            }
        }
    }
}

/// Relative links and artifact names in code spans must exist.
fn check_citations(
    ctx: &CheckCtx,
    rel: &str,
    doc_dir: &str,
    pass_rel: &str,
    text: &str,
    findings: &mut Vec<Finding>,
) {
    let doc = Doc::parse(text);
    for l in doc.visible(doc.all()) {
        for i in markdown::inlines(&markdown::strip_inline_comments(l.text)) {
            let target = match i.kind {
                InlineKind::LinkTarget => match markdown::local_link_path(&i.text) {
                    // A link may carry a line anchor: `AGENT_4_FINAL_X.md:12`.
                    Some(t) => {
                        let file = evidence::parse_anchor(t)
                            .map(|(p, _, _)| p)
                            .unwrap_or_else(|| t.to_string());
                        join_rel(doc_dir, &file)
                    }
                    None => continue,
                },
                InlineKind::Code if names::is_artifact_name(&i.text) => {
                    Some(format!("{pass_rel}/{}", i.text))
                }
                InlineKind::Code => continue,
            };
            let Some(target) = target else {
                findings.push(Finding::error(
                    "cited-artifact-outside-repo",
                    rel,
                    l.no,
                    i.col,
                    format!("`{}` points outside the target repository", i.text),
                ));
                continue;
            };
            if !ctx.repo.join(&target).exists() {
                findings.push(
                    Finding::error(
                        "cited-artifact-missing",
                        rel,
                        l.no,
                        i.col,
                        format!("cites `{}`, which does not exist (`{target}`)", i.text),
                    )
                    .with_help("restore the artifact, or cite where it was archived"),
                );
            }
        }
    }
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

//! `review-closure` (A7) and `structural-closure` (B4A): the disposition document closes the
//! review.
//!
//! **What it checks.** The pass root's disposition document (`A7_REVIEW_DISPOSITION.md`, or
//! `B4A_STRUCTURAL_DISPOSITION.md`; configurable) has a findings table (id, severity
//! blocking|high|medium|low, status open|resolved|deferred|accepted, evidence `path:line`,
//! owner, rationale, target slice) and exactly one decision line. It fails on any blocking
//! or high finding that is not resolved, a deferred or accepted medium without owner,
//! rationale and target slice, evidence that does not resolve to an existing file and line,
//! and a missing, invalid or `reject` decision. Every error points at its document line.
//!
//! **Why.** The runbook's exit condition for A7 and B4A is "no unresolved blocking/high
//! findings; accepted mediums dispositioned with owner and follow-up". The user's own
//! disposition cited reports and lines that were not in the tree; evidence has to resolve.
//!
//! **How to fix.** Edit the document in the format of `docs/closure-format.md`: fix and
//! re-review blocking/high findings and mark them resolved with evidence; give deferred
//! mediums an owner, a rationale and a target slice; state `Decision: approve`.

use serde::Deserialize;

use super::{CheckCtx, CheckOutput, ParamError, parse_params};
use crate::artifacts::evidence::Resolver;
use crate::artifacts::{disposition, git};
use crate::error::GateError;
use crate::finding::Finding;

pub const REVIEW_DOCUMENT: &str = "A7_REVIEW_DISPOSITION.md";
pub const STRUCTURAL_DOCUMENT: &str = "B4A_STRUCTURAL_DISPOSITION.md";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The disposition document, relative to the pass root.
    pub document: Option<String>,
    /// Absolute directories that stand for the target's root in evidence anchors.
    #[serde(default)]
    pub worktree_prefixes: Vec<String>,
}

pub fn validate(t: &toml::Table) -> Result<(), ParamError> {
    parse_params::<Params>(t).map(|_| ())
}

pub fn run_review(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    run(ctx, REVIEW_DOCUMENT)
}

pub fn run_structural(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    run(ctx, STRUCTURAL_DOCUMENT)
}

fn run(ctx: &CheckCtx, default_doc: &str) -> Result<CheckOutput, GateError> {
    let p: Params = ctx.params()?;
    let doc = p.document.as_deref().unwrap_or(default_doc);
    let full = super::resolve_inside(ctx.pass_root, doc)?;
    let pass_rel = git::rel_str(&ctx.pipeline.target.pass_root);
    let rel = format!("{pass_rel}/{doc}");
    let mut out = CheckOutput::default();
    let text = match crate::careful::read(&full) {
        Ok(b) => match String::from_utf8(b) {
            Ok(t) => t,
            Err(e) => {
                out.findings.push(Finding::error(
                    "document-not-utf8",
                    &rel,
                    0,
                    0,
                    format!("not UTF-8 text: {e}"),
                ));
                return Ok(out);
            }
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            out.findings.push(
                Finding::error(
                    "disposition-missing",
                    &rel,
                    0,
                    0,
                    format!("`{doc}` does not exist in the pass root"),
                )
                .with_help("write it in the format of docs/closure-format.md"),
            );
            return Ok(out);
        }
        Err(e) => return Err(GateError::io(full, e)),
    };
    let mut resolver = Resolver::new(ctx.repo, &p.worktree_prefixes);
    let d = disposition::check(&rel, &text, &mut resolver);
    let open = d.items.iter().filter(|i| i.status == "open").count();
    out.notes.push(format!(
        "{rel}: {} finding(s), {open} open; decision: {}",
        d.items.len(),
        d.decision.map(|(x, _)| x.as_str()).unwrap_or("none")
    ));
    out.findings = d.findings;
    Ok(out)
}

//! `phase-b-readiness` (A9): the Phase B kickoff posture is explicit and consistent.
//!
//! **What it checks.** `A9_PHASE_B_READINESS.md` states one decision, `ready` or
//! `not-ready` (a token under a heading naming the decision, or a `Posture:` line); `ready`
//! lists no blockers (a Blockers section saying "No kickoff blockers." lists none) and
//! `not-ready` lists at least one; the owner matrix names an owner for each opening slice (a
//! slice of the order with no dependency) and no undeclared slice; the ordered sequence's
//! dependency rules ("`B1` depends on `B0`", or a `depends on` column) name declared slices
//! earlier in the order. A consistent `not-ready` fails (`phase-b-not-ready`; a warning
//! with `require_ready = false`): Phase B does not open on it.
//!
//! **Why.** The runbook ends Phase A with an explicit Phase B posture: "ready or not-ready,
//! blockers, owners, order". A `ready` with blockers, or an order that cannot be executed,
//! hands the next phase a contradiction.
//!
//! **How to fix.** Edit the document in the format of `docs/closure-format.md`.

use serde::Deserialize;

use super::{CheckCtx, CheckOutput, ParamError, parse_params};
use crate::artifacts::{git, names, readiness};
use crate::error::GateError;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The readiness document, relative to the pass root.
    pub document: Option<String>,
    /// Fail on a consistent `not-ready` posture (the default: Phase B does not open on
    /// `not-ready`); `false` makes it a warning.
    pub require_ready: Option<bool>,
}

pub fn validate(t: &toml::Table) -> Result<(), ParamError> {
    parse_params::<Params>(t).map(|_| ())
}

pub fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let p: Params = ctx.params()?;
    let doc = p.document.as_deref().unwrap_or(names::READINESS);
    let full = super::resolve_inside(ctx.pass_root, doc)?;
    let rel = format!("{}/{doc}", git::rel_str(&ctx.pipeline.target.pass_root));
    let mut out = CheckOutput::default();
    let Some(text) =
        super::read_pass_document(&full, &rel, doc, "readiness-missing", None, &mut out)?
    else {
        return Ok(out);
    };
    // The next phase's packet (`PHASE_<X>_EXECUTION_PACKET.md` in the spec packet, the pass
    // root's parent): until it is written, the order may be opening steps naming no slice.
    let packet = ctx.pass_root.parent().unwrap_or(ctx.pass_root);
    let next = readiness::next_phase(&text);
    let written = next.is_some_and(|x| {
        packet
            .join(format!("PHASE_{x}_EXECUTION_PACKET.md"))
            .is_file()
    });
    let r = readiness::check_with(&rel, &text, p.require_ready.unwrap_or(true), written);
    out.notes.push(format!(
        "{rel}: posture {}, {} blocker(s), {} slice(s) in order, {} owner(s)",
        r.posture.map(|x| x.as_str()).unwrap_or("none"),
        r.blockers.len(),
        r.order.len(),
        r.owners.len() + r.concern_owners.len()
    ));
    if !r.steps.is_empty() {
        out.notes.push(format!(
            "the order has {} opening step(s) naming no slice: the packet of phase {} is not written yet",
            r.steps.len(),
            next.map_or("(unnamed)".to_string(), |c| c.to_string())
        ));
    }
    if !r.concern_owners.is_empty() {
        out.notes.push(format!(
            "owners by concern ({}), not matched with slices",
            r.concern_owners.len()
        ));
    }
    out.findings = r.findings;
    Ok(out)
}

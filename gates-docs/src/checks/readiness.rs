//! `readiness`: the next phase's kickoff posture is explicit and consistent.
//!
//! **What it checks.** The readiness document (the pipeline's `[documents] readiness`, or the
//! gate's `document`) states one decision, `ready` or
//! `not-ready` (a token under a heading naming the decision, or a `Posture:` line); `ready`
//! lists no blockers (a Blockers section saying "No kickoff blockers." lists none) and
//! `not-ready` lists at least one; the owner matrix names an owner for each opening slice (a
//! slice of the order with no dependency) and no undeclared slice; the ordered sequence's
//! dependency rules ("`B1` depends on `B0`", or a `depends on` column) name declared slices
//! earlier in the order. A consistent `not-ready` fails (`next-phase-not-ready`; a warning
//! with `require_ready = false`): the next phase does not open on it.
//!
//! **Why.** The runbook ends each phase with an explicit posture for the next: "ready or
//! not-ready, blockers, owners, order". A `ready` with blockers, or an order that cannot be
//! executed, hands the next phase a contradiction.
//!
//! **How to fix.** Edit the document in the format of `docs/closure-format.md`.

use gates_core::fs::probe::Probe;
use serde::Deserialize;

use super::{
    Alias, Capability, CheckCtx, CheckDef, CheckOutput, ParamError, Role, Rule, error, parse_params,
};
use crate::artifacts::{git, readiness};
use crate::error::GateError;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The readiness document, relative to the pass root.
    pub document: Option<String>,
    /// Fail on a consistent `not-ready` posture (the default: the next phase does not open
    /// on `not-ready`); `false` makes it a warning.
    pub require_ready: Option<bool>,
}

pub fn validate(t: &toml::Table) -> Result<(), ParamError> {
    parse_params::<Params>(t).map(|_| ())
}

pub fn def() -> CheckDef {
    CheckDef {
        name: "readiness",
        summary: "the next phase's posture is explicit and consistent with blockers, owners and order",
        capabilities: &[Capability::WorkTree],
        rules: &[RULES, super::common::DOCUMENT],
        parts: None,
        // The check's old name, kept so existing pipelines load.
        aliases: &[Alias {
            name: "phase-b-readiness",
            params: &[],
        }],
        validate,
        roles,
        run,
    }
}

/// The readiness document's role, unless the gate's `document` names the file.
pub fn roles(t: &toml::Table) -> Vec<Role> {
    match parse_params::<Params>(t) {
        Ok(p) if p.document.is_none() => vec![Role::Readiness],
        _ => Vec::new(),
    }
}

pub fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let p: Params = ctx.params()?;
    let doc = p
        .document
        .as_deref()
        .or_else(|| ctx.pipeline.documents.file(Role::Readiness))
        .unwrap_or_default();
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
            .probe_is_file()
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

/// How to fix what the rules below report.
const FIX: &str = "edit the readiness document in the format of docs/closure-format.md";

/// Every rule of the readiness check.
pub const RULES: &[Rule] = &[
    error("readiness-missing", "the document does not exist", FIX),
    error("posture-missing", "no decision", FIX),
    error("posture-invalid", "`Posture: x` with another value", FIX),
    error("posture-conflict", "two different decisions", FIX),
    error(
        "ready-with-blockers",
        "`ready` while blockers are listed (one finding per blocker, at its line)",
        FIX,
    ),
    error(
        "not-ready-without-blockers",
        "`not-ready` with nothing listed as blocking",
        FIX,
    ),
    error(
        "next-phase-not-ready",
        "a consistent `not-ready`: the next phase does not open (a warning with `require_ready = false`)",
        FIX,
    ),
    error("blockers-section-missing", "a missing section", FIX),
    error("owners-section-missing", "a missing section", FIX),
    error("order-section-missing", "a missing section", FIX),
    error(
        "blockers-unstated",
        "a Blockers section that states nothing: neither blockers nor, in words, that there are none",
        FIX,
    ),
    error("owners-table-missing", "no owner table or list", FIX),
    error("order-empty", "an order naming no slice", FIX),
    error(
        "opening-slice-without-owner",
        "the owner matrix does not match the order; a row naming no slice",
        FIX,
    ),
    error(
        "owner-for-undeclared-slice",
        "the owner matrix does not match the order; a row naming no slice",
        FIX,
    ),
    error(
        "owner-slice-missing",
        "the owner matrix does not match the order; a row naming no slice",
        FIX,
    ),
    error("order-slice-missing", "an item or row without slice", FIX),
    error("order-slice-duplicate", "a slice listed twice", FIX),
    error(
        "dependency-undeclared",
        "a dependency on (or of) a slice outside the order, on a later slice, or on itself",
        FIX,
    ),
    error(
        "dependency-out-of-order",
        "a dependency on (or of) a slice outside the order, on a later slice, or on itself",
        FIX,
    ),
    error(
        "dependency-cycle",
        "a dependency on (or of) a slice outside the order, on a later slice, or on itself",
        FIX,
    ),
];

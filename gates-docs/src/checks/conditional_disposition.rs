//! `conditional-disposition`: the conditional decision slice (`D4`, `E4`, `F4`) is decided,
//! and its decision agrees with its evidence.
//!
//! **What it checks.** The disposition (param `document`, e.g. `F4_DISPOSITION.md`) declares
//! exactly one `state: triggered` or `state: deferred` key line. Every scan result the
//! slice's assess script wrote (param `scan_results`, file-name globs in the pass root;
//! default `<slice>_*SCAN_RESULT*.json`) has a boolean `triggered` field, and the state
//! agrees with them: `triggered` when one of them triggered, `deferred` when none did. A
//! triggered state requires the trigger evidence document (param `trigger_evidence`, default
//! `<slice>_TRIGGER_EVIDENCE.md`); a deferred one forbids it.
//!
//! **Why.** The runbooks make a conditional decision an explicit artifact with trigger
//! evidence and a written disposition, never implicit: a state that contradicts its own scan,
//! or evidence published for a trigger that was deferred, hands the next phase a wrong lock.
//!
//! **How to fix.** Re-run the assess script, write the state it found, and publish (or
//! remove) the trigger evidence to match.

use gates_core::fs::probe::Probe;
use serde::Deserialize;

use super::{
    Capability, CheckCtx, CheckDef, CheckOutput, ParamError, Rule, error, no_roles, parse_params,
};
use crate::artifacts::{git, markdown};
use crate::error::GateError;
use crate::finding::Finding;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The disposition, relative to the pass root (`D4_DISPOSITION.md`).
    pub document: String,
    /// The scan results, as file-name globs in the pass root (default: the document's slice
    /// followed by `_*SCAN_RESULT*.json`).
    pub scan_results: Option<Vec<String>>,
    /// The trigger evidence document (default: `<slice>_TRIGGER_EVIDENCE.md`).
    pub trigger_evidence: Option<String>,
}

pub fn def() -> CheckDef {
    CheckDef {
        name: "conditional-disposition",
        summary: "a conditional decision slice declares one state (triggered/deferred) agreeing with its scan results and trigger evidence",
        capabilities: &[Capability::WorkTree],
        rules: &[RULES, super::common::DOCUMENT],
        parts: None,
        aliases: &[],
        validate,
        roles: no_roles,
        run,
    }
}

/// How to fix what the rules below report.
const FIX: &str = "re-run the assess script, write the state it found, and publish (or remove) the trigger evidence to match";

/// Every rule of the conditional-disposition check.
pub const RULES: &[Rule] = &[
    error(
        "conditional-disposition-missing",
        "the conditional slice's disposition does not exist",
        FIX,
    ),
    error(
        "state-invalid",
        "a `state:` line with another value than triggered/deferred",
        FIX,
    ),
    error("state-duplicate", "more than one `state:` line", FIX),
    error("state-missing", "no `state:` line", FIX),
    error(
        "scan-result-invalid",
        "a scan result that is not JSON with a boolean `triggered` at its top level",
        FIX,
    ),
    error(
        "state-disagrees-with-scan",
        "the declared state contradicts the scan results",
        FIX,
    ),
    error(
        "trigger-evidence-missing",
        "a triggered state without its trigger evidence document",
        FIX,
    ),
    error(
        "trigger-evidence-present",
        "a deferred state with a trigger evidence document",
        FIX,
    ),
];

pub fn validate(t: &toml::Table) -> Result<(), ParamError> {
    let p: Params = parse_params(t)?;
    for g in p.scan_results.iter().flatten() {
        if let Err(e) = globset::Glob::new(g) {
            return Err(ParamError {
                message: format!("`scan_results` glob {g:?} is invalid: {e}"),
                key: Some("scan_results".into()),
            });
        }
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum State {
    Triggered,
    Deferred,
}

/// The `state:` key lines of a disposition: (line, column, value as written).
pub fn states(text: &str) -> Vec<(u32, u32, String)> {
    let doc = markdown::Doc::parse(text);
    markdown::key_value_lines_in(&doc, doc.all(), &["state"])
        .into_iter()
        .map(|(line, v, col)| (line, col, v))
        .collect()
}

fn parse_state(v: &str) -> Option<State> {
    match v.trim().trim_end_matches('.').to_ascii_lowercase().as_str() {
        "triggered" => Some(State::Triggered),
        "deferred" => Some(State::Deferred),
        _ => None,
    }
}

pub fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let p: Params = ctx.params()?;
    let pass_rel = git::rel_str(&ctx.pipeline.target.pass_root);
    let rel = format!("{pass_rel}/{}", p.document);
    let full = super::resolve_inside(ctx.pass_root, &p.document)?;
    let mut out = CheckOutput::default();
    let Some(text) = super::read_pass_document(
        &full,
        &rel,
        &p.document,
        "conditional-disposition-missing",
        Some("write the disposition with one `state: triggered` or `state: deferred` line"),
        &mut out,
    )?
    else {
        return Ok(out);
    };
    let slice = p.document.split('_').next().unwrap_or("").to_string();
    let err = |rule: &str, path: &str, line: u32, col: u32, msg: String| {
        Finding::error(rule, path, line, col, msg)
    };

    // Exactly one state.
    let found = states(&text);
    let mut state: Option<(State, u32, u32)> = None;
    for (k, (line, col, v)) in found.iter().enumerate() {
        match parse_state(v) {
            None => out.findings.push(err(
                "state-invalid",
                &rel,
                *line,
                *col,
                format!("state `{v}` is neither `triggered` nor `deferred`"),
            )),
            Some(_) if k > 0 || state.is_some() => out.findings.push(err(
                "state-duplicate",
                &rel,
                *line,
                *col,
                format!("a second state line (`{v}`): the disposition declares exactly one state"),
            )),
            Some(s) => state = Some((s, *line, *col)),
        }
    }
    if found.is_empty() {
        out.findings.push(
            err(
                "state-missing",
                &rel,
                0,
                0,
                "no `state:` line: the disposition declares neither `triggered` nor `deferred`"
                    .into(),
            )
            .with_help("write `state: deferred` (or `state: triggered`) under the title"),
        );
    }
    let Some((state, sline, scol)) = state.filter(|_| {
        !out.findings
            .iter()
            .any(|f| f.rule == "state-duplicate" || f.rule == "state-invalid")
    }) else {
        return Ok(out);
    };

    // The scan results.
    let globs = p
        .scan_results
        .clone()
        .unwrap_or_else(|| vec![format!("{slice}_*SCAN_RESULT*.json")]);
    let mut b = globset::GlobSetBuilder::new();
    for g in &globs {
        b.add(globset::Glob::new(g).map_err(|e| GateError::msg(e.to_string()))?);
    }
    let set = b.build().map_err(|e| GateError::msg(e.to_string()))?;
    let mut scans: Vec<String> = crate::artifacts::names::walk(ctx.pass_root)?
        .into_iter()
        .filter(|f| !f.contains('/') && set.is_match(f))
        .collect();
    scans.sort();
    let mut any_triggered = false;
    for f in &scans {
        let frel = format!("{pass_rel}/{f}");
        // Through the careful reader and its size cap, as every document of the pass root.
        let path = ctx.pass_root.join(f);
        let bytes = match crate::fs::careful::read_document_bytes(&path) {
            Ok(b) => b,
            Err(e) if crate::fs::careful::too_large(&e) => return Err(GateError::io(path, e)),
            Err(e) => {
                out.findings.push(err(
                    "scan-result-invalid",
                    &frel,
                    0,
                    0,
                    format!("cannot be read: {e}"),
                ));
                continue;
            }
        };
        let Some(raw) = super::document_text(bytes, &frel, &mut out) else {
            continue;
        };
        let index = crate::text::LineIndex::new(&raw);
        let root = match crate::repo::json::parse(&raw) {
            Ok(d) => d.root,
            Err(e) => {
                let (line, col) = index.line_col(&raw, e.offset);
                out.findings.push(err(
                    "scan-result-invalid",
                    &frel,
                    line,
                    col,
                    format!("not JSON: {}", e.message),
                ));
                continue;
            }
        };
        // The top-level `"triggered"` key, for findings (not a nested one, not a string).
        let member = root.member("triggered");
        let (tline, tcol) = member.map_or((0, 0), |m| index.line_col(&raw, m.key_span.start));
        let triggered = member.and_then(|m| match m.value.value {
            crate::repo::json::Value::Bool(b) => Some(b),
            _ => None,
        });
        match triggered {
            None => out.findings.push(err(
                "scan-result-invalid",
                &frel,
                tline,
                tcol,
                "no boolean `triggered` field".into(),
            )),
            Some(t) => {
                any_triggered |= t;
                if t && state == State::Deferred {
                    out.findings.push(err(
                        "state-disagrees-with-scan",
                        &rel,
                        sline,
                        scol,
                        format!("the state is `deferred`, but `{f}` reports `triggered: true` (line {tline})"),
                    ));
                }
            }
        }
    }
    if state == State::Triggered && !scans.is_empty() && !any_triggered {
        out.findings.push(err(
            "state-disagrees-with-scan",
            &rel,
            sline,
            scol,
            format!(
                "the state is `triggered`, but no scan result triggered ({})",
                scans.join(", ")
            ),
        ));
    }

    // The trigger evidence.
    let evidence = p
        .trigger_evidence
        .clone()
        .unwrap_or_else(|| format!("{slice}_TRIGGER_EVIDENCE.md"));
    let present = super::resolve_inside(ctx.pass_root, &evidence)?.probe_is_file();
    match (state, present) {
        (State::Triggered, false) => out.findings.push(
            err(
                "trigger-evidence-missing",
                &rel,
                sline,
                scol,
                format!("the state is `triggered`, but `{evidence}` does not exist"),
            )
            .with_help("publish the trigger evidence with the triggered state"),
        ),
        (State::Deferred, true) => out.findings.push(
            err(
                "trigger-evidence-present",
                &format!("{pass_rel}/{evidence}"),
                0,
                0,
                format!("the state is `deferred` (line {sline}), but the trigger evidence exists: evidence is published only for a triggered state"),
            )
            .with_help("remove it, or change the state to triggered if the trigger is met"),
        ),
        _ => {}
    }
    out.notes.push(format!(
        "{rel}: state {}; scan results: {}; trigger evidence `{evidence}` {}",
        match state {
            State::Triggered => "triggered",
            State::Deferred => "deferred",
        },
        if scans.is_empty() {
            "none".to_string()
        } else {
            scans.join(", ")
        },
        if present { "present" } else { "absent" }
    ));
    Ok(out)
}

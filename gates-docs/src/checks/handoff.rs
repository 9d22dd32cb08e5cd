//! `handoff` (Stage 6): the pass is handed off complete, truthfully and committed.
//!
//! **What it checks.** Every required output exists in the pass root (the pipeline's
//! `[documents] required`, by default its orchestrator outputs). The execution report and the
//! handoff (`[documents] report`, `handoff`) state claims, read from their prose and key lines
//! ("<phase> is complete", "<review slice>: complete (`approve`)", "Current readiness:
//! `ready`") and from the claims block `cargo xtask report` writes. A decision or posture
//! claim must be what the review disposition and the readiness document state. Slice and
//! gate claims must agree with the run: inside a pipeline run, the results this run already finished (gates outside the
//! run's selection are taken as passed, as CI runs one stage per job); run alone, the last
//! run's record (`rawr-gates/last-run.json` under the target's git directory) when there is one (without one, prose claims are checked against the
//! documents only; a claims block needs the record). A document claiming green where the run
//! is red fails, and so does the reverse (a stale report). This gate's own claim is not
//! compared, nor are the gates of its own slice (they run beside it). A run that is red in the
//! slices it hands off fails the handoff (`run-not-green`). Finally the git
//! work tree under the target is clean (the tool's own files excepted).
//!
//! **Why.** The runbook's Stage 6: outputs integrated, everything committed, clean worktree.
//! A hand-written "all green" is what let the user's broken state pass before.
//!
//! **How to fix.** Correct the claim, or run the pipeline, then `cargo xtask report`,
//! commit, and run again. The accepted forms are in `docs/closure-format.md`.

use gates_core::fs::probe::Probe;
use std::collections::BTreeMap;

use serde::Deserialize;

use super::{
    Capability, CheckCtx, CheckDef, CheckOutput, ParamError, Role, Rule, error, parse_params,
};
use crate::artifacts::git;
use crate::artifacts::report::{self, status_word};
use crate::error::GateError;
use crate::finding::Finding;
use crate::record::Status;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Required outputs, relative to the pass root.
    pub required: Option<Vec<String>>,
}

pub fn validate(t: &toml::Table) -> Result<(), ParamError> {
    parse_params::<Params>(t).map(|_| ())
}

/// What each gate's status is, per the reference (this run, or the last run's record).
enum Reference {
    /// Gate id → status; `None` for a selected gate that has not finished yet.
    Known(BTreeMap<String, Option<Status>>),
    /// The last run's record lacks some gates (it was a partial run): the statuses it has,
    /// the gates it lacks, and its selection.
    Partial(BTreeMap<String, Option<Status>>, Vec<String>, String),
    Missing(String),
    /// No run record at all: prose claims are checked against the closure documents only.
    NoRecord,
}

/// The gates of the slices holding this gate (itself included): they run beside the
/// handoff, so it neither waits for nor judges them.
fn own_slice_gates<'a>(ctx: &'a CheckCtx) -> std::collections::BTreeSet<&'a str> {
    let mut own: std::collections::BTreeSet<&str> = ctx
        .pipeline
        .slices_of_gate(ctx.gate_id)
        .flat_map(|s| s.gates.iter().map(String::as_str))
        .collect();
    own.insert(ctx.gate_id);
    own
}

fn reference(ctx: &CheckCtx) -> Reference {
    let mut m = BTreeMap::new();
    match ctx.run {
        Some(run) => {
            for id in ctx.pipeline.gates.keys() {
                m.insert(id.clone(), run.status_of(id));
            }
            Reference::Known(m)
        }
        None => match crate::record::read_last_run_if_any(ctx.repo) {
            Ok(Some(rec)) => {
                // Every run writes the record, `cargo xtask gate <id>` included, so the last
                // run may have covered a single gate. A gate it did not run proves nothing:
                // taking it as passed would hand off a phase whose last full run was red
                // (or that never ran at all). Such gates are listed, not compared.
                let mut not_run = Vec::new();
                for id in ctx.pipeline.gates.keys() {
                    let st = rec.gates.iter().find(|g| &g.id == id).map(|g| g.status);
                    if st.is_none() && id.as_str() != ctx.gate_id {
                        not_run.push(id.clone());
                    }
                    m.insert(id.clone(), st);
                }
                if not_run.is_empty() {
                    Reference::Known(m)
                } else {
                    Reference::Partial(m, not_run, rec.selection)
                }
            }
            Ok(None) => Reference::NoRecord,
            Err(e) => Reference::Missing(e.to_string()),
        },
    }
}

pub fn def() -> CheckDef {
    CheckDef {
        name: "handoff",
        summary: "Stage 6: required outputs exist, the report agrees with the run, the worktree is clean",
        capabilities: &[
            Capability::WorkTree,
            Capability::Commit,
            Capability::RunRecord,
        ],
        rules: &[RULES, super::common::DOCUMENT],
        parts: None,
        aliases: &[],
        validate,
        roles,
        run,
    }
}

/// The report and handoff documents: the handoff reads them (and `cargo xtask report` writes
/// them).
pub fn roles(_: &toml::Table) -> Vec<Role> {
    vec![Role::Report, Role::Handoff]
}

/// How to fix what the rules below report.
const FIX: &str = "correct the claim, or run the pipeline, then `cargo xtask report`, commit, and run again (docs/closure-format.md)";

/// Every rule of the handoff check.
pub const RULES: &[Rule] = &[
    error(
        "required-output-missing",
        "a required output (param `required`; default: the runbook's seven orchestrator outputs) is absent",
        FIX,
    ),
    error(
        "report-claims-missing",
        "a document with no claim the gate can read (no claims block, no slice status, decision or posture in its prose)",
        FIX,
    ),
    error(
        "report-claim-invalid",
        "a status word that is not one of passed, failed, skipped, timed-out, errored",
        FIX,
    ),
    error(
        "handoff-contradicts-document",
        "a decision or posture claim the closure document does not state",
        FIX,
    ),
    error(
        "report-claims-green-but-run-red",
        "the document says passed / complete, the run says otherwise",
        FIX,
    ),
    error(
        "report-stale",
        "the document says not passed, the run passed",
        FIX,
    ),
    error(
        "handoff-says-incomplete",
        "the document says the phase is not complete, and the run is red or there is none to compare (a green run makes the same line `report-stale`)",
        FIX,
    ),
    error(
        "report-status-mismatch",
        "both not passed, but different (e.g. failed vs skipped)",
        FIX,
    ),
    error(
        "report-unknown-gate",
        "a claim about a gate the pipeline lacks",
        FIX,
    ),
    error("report-missing-gate", "a gate without a claim", FIX),
    error(
        "last-run-missing",
        "a claims block, run alone with no last-run record, or one lacking some of the pipeline's gates",
        FIX,
    ),
    error(
        "last-run-partial",
        "a claims block, run alone with no last-run record, or one lacking some of the pipeline's gates",
        FIX,
    ),
    error(
        "run-not-green",
        "a gate of a slice the handoff hands off is not green in the run (run alone, or under `--all`); the gates of the handoff's own slice (`agent-outputs` in the default pipeline) run beside it and are not its business",
        FIX,
    ),
    error(
        "worktree-dirty",
        "something under the target is not committed",
        FIX,
    ),
    error(
        "not-a-git-repo",
        "the target is not inside a git work tree, so nothing handed off is committed",
        FIX,
    ),
    error(
        "git-operation-in-progress",
        "a merge, rebase, cherry-pick, revert, `git am` or bisect is half-done (even with a clean status)",
        FIX,
    ),
];

pub fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let p: Params = ctx.params()?;
    let pass_rel = git::rel_str(&ctx.pipeline.target.pass_root);
    let mut out = CheckOutput::default();
    let docs = report::Docs::of(ctx.pipeline);
    let generated: Vec<&str> = docs
        .report
        .iter()
        .chain(docs.handoff.iter())
        .map(String::as_str)
        .collect();
    let required: Vec<String> = p.required.unwrap_or_else(|| docs.required.clone());
    let deleted = super::Deletions::of(ctx);
    for r in &required {
        if !super::resolve_inside(ctx.pass_root, r)?.probe_exists() {
            // The later runbooks' cleanup deletes the scratchpads once the closure documents
            // exist: an output the phase's own manifest deletes is not missing.
            if let Some((manifest, line)) = deleted.file(r) {
                out.notes.push(format!(
                    "{pass_rel}/{r} was deleted by the cleanup manifest ({pass_rel}/{manifest}:{line})"
                ));
                continue;
            }
            out.findings.push(
                Finding::error(
                    "required-output-missing",
                    format!("{pass_rel}/{r}"),
                    0,
                    0,
                    format!("required output `{r}` does not exist"),
                )
                .with_help(if docs.is_generated(r) {
                    "generate it with `cargo xtask report`"
                } else {
                    "write it; see docs/closure-format.md"
                }),
            );
        }
    }

    let reference = reference(ctx);
    let has_block = generated.iter().any(|d| {
        crate::fs::careful::read_document(ctx.pass_root.join(d))
            .ok()
            .and_then(|t| report::parse_claims(&t))
            .is_some()
    });
    match &reference {
        Reference::NoRecord if has_block => out.findings.push(
            Finding::general(
                "last-run-missing",
                "no run record to compare the claims block with".to_string(),
            )
            .with_help(format!("run `{}` first (or run this gate inside it)", docs.command)),
        ),
        Reference::NoRecord => out.notes.push(
            "no run record: the documents' claims are checked against the closure documents only".into(),
        ),
        Reference::Missing(why) => out.findings.push(
            Finding::general(
                "last-run-missing",
                format!("no run to compare the report with: {why}"),
            )
            .with_help(format!("run `{}` first (or run this gate inside it)", docs.command)),
        ),
        Reference::Partial(_, not_run, selection) if has_block => out.findings.push(
            Finding::general(
                "last-run-partial",
                format!(
                    "the last run (selection: {selection}) did not run {} gate(s) of the pipeline ({}): it cannot vouch for the phase",
                    not_run.len(),
                    not_run.join(", ")
                ),
            )
            .with_help(format!("run the whole pipeline (`{}`), or run this gate inside it", docs.command)),
        ),
        Reference::Partial(_, not_run, _) => out.notes.push(format!(
            "the last run did not run {} gate(s); claims about them are not compared",
            not_run.len()
        )),
        Reference::Known(_) => out.notes.push(if ctx.run.is_some() {
            "claims compared with this run's results (gates outside the selection taken as passed)"
                .into()
        } else {
            "claims compared with the last run's record (rawr-gates/last-run.json under the target's git directory)".into()
        }),
    }
    // The run being handed off must be green: the slices the handoff hands off, that is every
    // gate outside the handoff's own slice (its siblings there run beside it and are judged
    // beside it, not by it). Inside a gating pipeline run this always holds, since the handoff
    // only runs after every slice before it is green; run alone, or under `--all`, the run
    // may be red.
    let own = own_slice_gates(ctx);
    if let Reference::Known(actual) | Reference::Partial(actual, ..) = &reference {
        let red: Vec<String> = actual
            .iter()
            .filter(|(id, st)| {
                !own.contains(id.as_str()) && matches!(st, Some(s) if *s != Status::Passed)
            })
            .map(|(id, st)| format!("{id} {}", status_word(st.expect("filtered"))))
            .collect();
        if !red.is_empty() {
            out.findings.push(
                Finding::general(
                    "run-not-green",
                    format!("the run being handed off is not green: {}", red.join(", ")),
                )
                .with_help(
                    "fix the failing slices in place and run again; a red phase is not handed off",
                ),
            );
        }
    }
    for doc in generated.iter().copied() {
        let path = ctx.pass_root.join(doc);
        let rel = format!("{pass_rel}/{doc}");
        let text = match crate::fs::careful::read_document_bytes(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue, // reported above when required
            Err(e) => return Err(GateError::io(path, e)),
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        };
        // Claims in prose and key lines ("<slice>: complete (`approve`)", "<phase> is complete").
        // A document with a claims block states the slices' statuses there (and in the tables
        // the report writes); its prose is read for the decisions and the posture only.
        let has_claims_block = report::parse_claims(&text).is_some();
        let prose: Vec<(u32, Claim)> = prose_claims(&text, ctx.pipeline)
            .into_iter()
            .filter(|(_, c)| !(has_claims_block && matches!(c, Claim::Slice(..))))
            .collect();
        out.notes.push(format!(
            "{rel}: {} claim(s) read from its prose and key lines",
            prose.len()
        ));
        check_prose(ctx, &rel, &prose, &reference, &mut out.findings);
        let Some((open, claims)) = report::parse_claims(&text) else {
            if prose.is_empty() {
                out.findings.push(
                    Finding::error(
                        "report-claims-missing",
                        &rel,
                        0,
                        0,
                        "the document states no claim the gate can read (no slice status, decision or posture, no claims block)",
                    )
                    .with_help("state each slice's status (`- <slice>: complete (`approve`)`), or generate it with `cargo xtask report`"),
                );
            }
            continue;
        };
        let (Reference::Known(actual) | Reference::Partial(actual, ..)) = &reference else {
            continue;
        };
        for c in &claims {
            let Some(claimed) = c.status else {
                out.findings.push(Finding::error(
                    "report-claim-invalid",
                    &rel,
                    c.line,
                    1,
                    format!("`{}` is not a status", c.raw),
                ));
                continue;
            };
            if c.gate == ctx.gate_id {
                continue;
            }
            match actual.get(&c.gate) {
                None => out.findings.push(Finding::error(
                    "report-unknown-gate",
                    &rel,
                    c.line,
                    1,
                    format!(
                        "claims gate `{}`, which the pipeline does not declare",
                        c.gate
                    ),
                )),
                Some(None) => out.notes.push(format!(
                    "{rel}: `{}` has not finished in this run (or is not in the last run); its claim was not compared",
                    c.gate
                )),
                Some(Some(st)) if *st == claimed => {}
                Some(Some(st)) => {
                    let rule = if claimed == Status::Passed {
                        "report-claims-green-but-run-red"
                    } else if *st == Status::Passed {
                        "report-stale"
                    } else {
                        "report-status-mismatch"
                    };
                    out.findings.push(
                        Finding::error(
                            rule,
                            &rel,
                            c.line,
                            1,
                            format!(
                                "claims `{}` {}, but the run says {}",
                                c.gate,
                                status_word(claimed),
                                status_word(*st)
                            ),
                        )
                        .with_help(
                            "regenerate with `cargo xtask report` after the run you hand off",
                        ),
                    );
                }
            }
        }
        for id in actual.keys().filter(|id| id.as_str() != ctx.gate_id) {
            if !claims.iter().any(|c| &c.gate == id) {
                out.findings.push(Finding::error(
                    "report-missing-gate",
                    &rel,
                    open,
                    1,
                    format!("makes no claim about gate `{id}`"),
                ));
            }
        }
    }

    // Everything committed.
    if git::place(ctx.repo)?.is_none() {
        out.findings.push(Finding::general(
            "not-a-git-repo",
            "the target is not inside a git work tree: nothing is committed",
        ));
    } else {
        let scratchpad = git::scratchpad_rel(&pass_rel, &ctx.pipeline.documents.scratchpad);
        let (dirty, ignored) = git::dirty_and_ignored(ctx.repo, &scratchpad)?;
        out.notes.extend(git::tool_files_note(&ignored));
        // A half-done merge or rebase is not a committed state, even with a clean status.
        if let Some(what) = git::operation_in_progress(ctx.repo)? {
            out.findings.push(
                Finding::general(
                    "git-operation-in-progress",
                    format!("{what} is in progress in the target's work tree: the handoff is not committed"),
                )
                .with_help("finish it (commit / `--continue`) or abort it (`--abort`), then run again"),
            );
        }
        for c in dirty {
            out.findings.push(
                Finding::error(
                    "worktree-dirty",
                    &c.path,
                    0,
                    0,
                    format!("not committed (`git status`: `{}`)", c.code),
                )
                .with_help("commit it: the handoff is the committed state"),
            );
        }
    }
    Ok(out)
}

/// One claim a document makes in prose or a key line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The slice is complete (`true`) or not (`false`).
    Slice(String, bool),
    /// The review or structural decision is this token.
    Decision(DecisionRole, crate::artifacts::disposition::Decision),
    /// The next phase's posture is this token.
    Posture(crate::artifacts::readiness::Posture),
    /// The document says the phase as a whole is not complete ("Phase C is not complete",
    /// "Phase C is still in progress").
    PhaseIncomplete,
}

/// Whose decision a claim states: the review's or the structural assessment's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionRole {
    Review,
    Structural,
}

fn completion_word(w: &str) -> Option<bool> {
    match w.to_ascii_lowercase().as_str() {
        "complete" | "completed" | "done" | "green" | "passed" | "pass" | "closed" | "landed"
        | "delivered" => Some(true),
        "incomplete" | "failed" | "fail" | "red" | "blocked" | "pending" | "open" | "skipped"
        | "progress" | "ongoing" | "wip" | "unfinished" | "outstanding" | "partial"
        | "partially" => Some(false),
        _ => None,
    }
}

/// The claims of a document, with their lines: per slice (`C1..C3: complete`), the
/// decision and posture tokens next to a slice or key naming them, and "<phase> is
/// complete" for every slice.
pub fn prose_claims(text: &str, p: &crate::pipeline::Pipeline) -> Vec<(u32, Claim)> {
    use crate::artifacts::disposition::Decision;
    use crate::artifacts::markdown::{Doc, strip_line_markers};
    use crate::artifacts::readiness::Posture;
    let doc = Doc::parse(text);
    let ids: Vec<&str> = p.slices.iter().map(|s| s.id.as_str()).collect();
    let docs = report::Docs::of(p);
    let phase_name = (!p.phase.id.is_empty()).then(|| p.phase.name.to_ascii_lowercase());
    let review = docs.review_slice.as_deref();
    let structural = docs.structural_slice.as_deref();
    let readiness = docs.readiness_slice.as_deref();
    let headings = doc.headings();
    let mut out = Vec::new();
    for l in doc.visible(doc.all()) {
        // Table rows are data, not prose claims.
        if l.text.trim_start().starts_with('|') {
            continue;
        }
        let heading = headings
            .iter()
            .rev()
            .find(|h| h.line < l.no)
            .map(|h| h.title.to_ascii_lowercase())
            .unwrap_or_default();
        let t = strip_line_markers(l.text.trim()).replace('`', "");
        let lower = t.to_ascii_lowercase();
        let named = slices_named(&t, &ids);
        let phase = phase_name.as_deref().and_then(|n| phase_claim(&lower, n));
        // The status: the first status word after the colon (or anywhere for a sentence).
        let after = t.split_once(':').map_or(t.as_str(), |(_, v)| v);
        let status = status_of(after);
        // "A0..A6: complete except A5 route negatives": the slices named after the exception
        // are not complete (all of them when it names none).
        let after_lower = after.to_ascii_lowercase();
        let exception = [" except", "other than", "apart from"]
            .iter()
            .filter_map(|k| after_lower.find(k).map(|p| p + k.len()))
            .min();
        let excepted: Option<Vec<String>> =
            exception.map(|p| slices_named(after.get(p..).unwrap_or(""), &ids));
        let negated = lower.contains("not complete") || lower.contains("not done");
        if phase == Some(true) && !negated {
            for id in &ids {
                out.push((l.no, Claim::Slice(id.to_string(), true)));
            }
        } else if phase == Some(false) {
            out.push((l.no, Claim::PhaseIncomplete));
        } else if let Some(st) = status.filter(|_| t.contains(':')).or_else(|| {
            list_item(&l.text)
                .then(|| heading_status(&heading))
                .flatten()
        }) {
            // A status after the slice's colon, or, for an item of a list under a heading
            // that states one ("## Delivered Slice Branches": `1. F1: `branch``), the
            // heading's.
            for s in &named {
                let done = match &excepted {
                    Some(ex) if ex.is_empty() || ex.contains(s) => false,
                    _ => st,
                };
                out.push((l.no, Claim::Slice(s.clone(), done && !negated)));
            }
        }
        // Decision and posture tokens: in code spans, next to the slice that decides.
        let codes: Vec<String> = doc
            .inlines_in(l.no as usize - 1..l.no as usize)
            .into_iter()
            .filter(|(_, i)| i.kind == crate::artifacts::markdown::InlineKind::Code)
            .map(|(_, i)| i.text.to_ascii_lowercase())
            .collect();
        let readiness_line = named.iter().any(|s| Some(s.as_str()) == readiness)
            || lower.contains("readiness")
            || lower.contains("posture")
            || heading.contains("readiness")
            || heading.contains("posture");
        for c in &codes {
            match c.trim_end_matches('.') {
                "approve" | "approved" | "reject" | "rejected" => {
                    let d = if c.starts_with("approve") {
                        Decision::Approve
                    } else {
                        Decision::Reject
                    };
                    let structural_named = structural.is_some()
                        && named.iter().any(|s| Some(s.as_str()) == structural);
                    let role = if structural_named {
                        DecisionRole::Structural
                    } else {
                        DecisionRole::Review
                    };
                    if named.is_empty()
                        || structural_named
                        || named.iter().any(|s| Some(s.as_str()) == review)
                        || lower.contains("review")
                    {
                        out.push((l.no, Claim::Decision(role, d)));
                    }
                }
                "ready" if readiness_line => out.push((l.no, Claim::Posture(Posture::Ready))),
                "not-ready" | "not ready" if readiness_line => {
                    out.push((l.no, Claim::Posture(Posture::NotReady)))
                }
                _ => {}
            }
        }
    }
    out
}

/// The status a heading states for the slices listed under it: "Delivered Slice Branches",
/// "Completed Slices", "Landed", and "Pending/Incomplete/Outstanding Slices". A heading
/// such as "Open Questions" or "Blocked By" states nothing about the slices it lists.
fn heading_status(heading: &str) -> Option<bool> {
    let words: Vec<&str> = heading
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let negated = words.iter().any(|w| matches!(*w, "not" | "no" | "never"));
    words.iter().find_map(|w| match *w {
        "delivered" | "completed" | "complete" | "landed" | "done" | "closed" => Some(!negated),
        "pending" | "incomplete" | "outstanding" | "unfinished" => Some(false),
        _ => None,
    })
}

/// Whether a line is a list item (`- x`, `* x`, `+ x`, `1. x`, `1) x`).
fn list_item(line: &str) -> bool {
    let t = line.trim_start();
    if t.starts_with("- ") || t.starts_with("* ") || t.starts_with("+ ") {
        return true;
    }
    let digits = t.chars().take_while(char::is_ascii_digit).count();
    digits > 0 && (t[digits..].starts_with(". ") || t[digits..].starts_with(") "))
}

/// The slices a text names, ranges (`A0..A6`, `A0-A6`) expanded in pipeline order.
fn slices_named(t: &str, ids: &[&str]) -> Vec<String> {
    let mut named: Vec<String> = Vec::new();
    for w in t
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '.'))
        .filter(|w| !w.is_empty())
    {
        let w = w.trim_end_matches('.');
        if let Some((a, b)) = w.split_once("..").or_else(|| {
            w.split_once('-')
                .filter(|(a, b)| ids.contains(a) && ids.contains(b))
        }) && let (Some(i), Some(j)) = (
            ids.iter().position(|x| *x == a),
            ids.iter().position(|x| *x == b),
        ) {
            named.extend(ids[i.min(j)..=i.max(j)].iter().map(|s| s.to_string()));
            continue;
        }
        if ids.contains(&w) {
            named.push(w.to_string());
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    named.retain(|s| seen.insert(s.clone()));
    named
}

/// What a line (lower-cased) says of the phase (`phase`, lower-cased: "phase c") as a
/// whole: "<phase> is complete" / "<phase> complete" (`Some(true)`), "<phase> is not
/// complete", "… is incomplete", "… is still in progress", "… remains open" (`Some(false)`);
/// `None` when it says neither.
fn phase_claim(lower: &str, phase: &str) -> Option<bool> {
    if lower.contains(&format!("{phase} complete")) {
        return Some(true);
    }
    // "Phase D mandatory slices through docs/cleanup are closed and verified": the phase's
    // slices, then their status.
    if let Some(p) = lower.find(phase)
        && let Some(s) = lower[p..]
            .find(" slices ")
            .map(|s| p + s + " slices ".len())
        && let Some(rest) = [" are ", " were ", " have been "]
            .iter()
            .find_map(|k| lower[s..].find(k).map(|q| &lower[s + q + k.len()..]))
    {
        let near: Vec<&str> = rest
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(4)
            .collect();
        if let Some(st) = status_of(&near.join(" ")) {
            return Some(st);
        }
    }
    let rest = [" is ", " remains ", " has "].iter().find_map(|k| {
        let k = format!("{phase}{k}");
        lower.find(&k).map(|p| &lower[p + k.len()..])
    })?;
    // The status in the next few words: "is not complete" is not complete, "has no open
    // items" is.
    let near: Vec<&str> = rest
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(4)
        .collect();
    status_of(&near.join(" "))
}

/// The status a text states: its first completion word, turned over by a `no`, `not` or
/// `never` one or two words before it ("no open items" is complete, "not yet done" is not).
fn status_of(text: &str) -> Option<bool> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    words.iter().enumerate().find_map(|(i, w)| {
        // "PR pending", "merge open": the state of a publication step, not of the slice.
        if i > 0
            && matches!(
                words[i - 1].as_str(),
                "pr" | "prs" | "merge" | "publication" | "submission"
            )
        {
            return None;
        }
        completion_word(w).map(|st| {
            let turned = words[i.saturating_sub(2)..i]
                .iter()
                .any(|p| matches!(p.as_str(), "no" | "not" | "never"));
            st != turned
        })
    })
}

/// Prose claims against the closure documents (always) and the run (when there is one).
fn check_prose(
    ctx: &CheckCtx,
    rel: &str,
    claims: &[(u32, Claim)],
    reference: &Reference,
    findings: &mut Vec<Finding>,
) {
    use crate::artifacts::{disposition, readiness};
    let docs = report::Docs::of(ctx.pipeline);
    let read = |d: &str| crate::fs::careful::read_document(ctx.pass_root.join(d)).ok();
    for (line, c) in claims {
        match c {
            Claim::Decision(role, d) => {
                let (doc, slice) = match role {
                    DecisionRole::Structural => (&docs.structural, &docs.structural_slice),
                    DecisionRole::Review => (&docs.review, &docs.review_slice),
                };
                let slice = slice.as_deref().unwrap_or(match role {
                    DecisionRole::Structural => "the structural assessment",
                    DecisionRole::Review => "the review",
                });
                let Some(doc) = doc else { continue };
                if *role == DecisionRole::Structural && read(doc).is_none() {
                    continue; // the structural record is kept elsewhere
                }
                let actual = read(doc).and_then(|t| disposition::decision_of(&t));
                if actual != Some(*d) {
                    findings.push(Finding::error(
                        "handoff-contradicts-document",
                        rel,
                        *line,
                        1,
                        format!(
                            "claims {slice} `{}`, but `{doc}` states {}",
                            d.as_str(),
                            actual.map_or("no clear decision".to_string(), |a| format!(
                                "`{}`",
                                a.as_str()
                            ))
                        ),
                    ));
                }
            }
            Claim::Posture(pz) => {
                let Some(readiness_doc) = &docs.readiness else {
                    continue;
                };
                let actual = read(readiness_doc).and_then(|t| readiness::posture_of(&t));
                if actual != Some(*pz) {
                    findings.push(Finding::error(
                        "handoff-contradicts-document",
                        rel,
                        *line,
                        1,
                        format!(
                            "claims the posture `{}`, but `{}` states {}",
                            pz.as_str(),
                            readiness_doc,
                            actual.map_or("no clear posture".to_string(), |a| format!(
                                "`{}`",
                                a.as_str()
                            ))
                        ),
                    ));
                }
            }
            Claim::PhaseIncomplete => {
                // Not complete is true of a red run, and stale for a green one: either way
                // the phase is not handed off complete.
                let green = match reference {
                    Reference::Known(actual) | Reference::Partial(actual, ..) => {
                        let own = own_slice_gates(ctx);
                        ctx.pipeline
                            .gates
                            .keys()
                            .filter(|g| !own.contains(g.as_str()))
                            .all(|g| matches!(actual.get(g), Some(Some(Status::Passed))))
                    }
                    _ => false,
                };
                findings.push(if green {
                    Finding::error(
                        "report-stale",
                        rel,
                        *line,
                        1,
                        format!("says {} is not complete, but every gate of the slices it hands off passed in the run", docs.phase),
                    )
                } else {
                    Finding::error(
                        "handoff-says-incomplete",
                        rel,
                        *line,
                        1,
                        format!("says {} is not complete: a phase is handed off complete", docs.phase),
                    )
                    .with_help("finish the open slices in place, then update the document")
                });
            }
            Claim::Slice(slice, done) => {
                let (Reference::Known(actual) | Reference::Partial(actual, ..)) = reference else {
                    continue;
                };
                let Some(sl) = ctx.pipeline.slices.iter().find(|s| &s.id == slice) else {
                    continue;
                };
                // The handoff's own slice cannot be judged here: its gates run beside this one.
                let own = own_slice_gates(ctx);
                if sl.gates.iter().all(|g| own.contains(g.as_str())) {
                    continue;
                }
                let red: Vec<String> = sl
                    .gates
                    .iter()
                    .filter(|g| !own.contains(g.as_str()))
                    .filter_map(|g| match actual.get(g) {
                        Some(Some(st)) if *st != Status::Passed => {
                            Some(format!("{g} {}", status_word_of(*st)))
                        }
                        _ => None,
                    })
                    .collect();
                let all_passed = sl
                    .gates
                    .iter()
                    .filter(|g| !own.contains(g.as_str()))
                    .all(|g| matches!(actual.get(g), Some(Some(Status::Passed))));
                if *done && !red.is_empty() {
                    findings.push(
                        Finding::error(
                            "report-claims-green-but-run-red",
                            rel,
                            *line,
                            1,
                            format!(
                                "claims {slice} complete, but the run says {}",
                                red.join(", ")
                            ),
                        )
                        .with_help("fix the slice and run again, or correct the claim"),
                    );
                } else if !done && all_passed {
                    findings.push(Finding::error(
                        "report-stale",
                        rel,
                        *line,
                        1,
                        format!(
                            "claims {slice} not complete, but every gate of it passed in the run"
                        ),
                    ));
                }
            }
        }
    }
}

fn status_word_of(s: Status) -> &'static str {
    report::status_word(s)
}

//! `handoff` (Stage 6): the pass is handed off complete, truthfully and committed.
//!
//! **What it checks.** Every required output exists in the pass root (the runbook's seven
//! orchestrator outputs by default). `PHASE_A_EXECUTION_REPORT.md` and
//! `FINAL_PHASE_A_HANDOFF.md` carry the claims block `cargo xtask report` writes, and every
//! claim agrees with the run: inside `cargo xtask phase-a`, with the results of the gates
//! this run already finished (gates outside the run's selection are taken as passed, as CI
//! runs one stage per job); run alone, with the last run's record (`.rawr-gates/last-run.json`).
//! A report claiming green where the run is red fails, and so does the reverse (a stale
//! report). This gate's own claim is not compared (it cannot know its own outcome). The run
//! itself must be green (`run-not-green`, only possible when the gate runs alone after a red
//! run). Finally the git work tree under the target is clean (the tool's own files excepted).
//!
//! **Why.** The runbook's Stage 6: outputs integrated, everything committed, clean worktree.
//! A hand-written "all green" is what let the user's broken state pass before.
//!
//! **How to fix.** Run the pipeline, then `cargo xtask report`, commit, and run again.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::{CheckCtx, CheckOutput, ParamError, parse_params};
use crate::artifacts::report::{self, status_word};
use crate::artifacts::{git, names};
use crate::error::GateError;
use crate::finding::Finding;
use crate::run::Status;

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
}

fn reference(ctx: &CheckCtx) -> Reference {
    let mut m = BTreeMap::new();
    match ctx.run {
        Some(run) => {
            for id in ctx.pipeline.gates.keys() {
                let st = if let Some(r) = run.earlier.iter().find(|r| &r.id == id) {
                    Some(r.status)
                } else if run.selected.contains(id) {
                    None
                } else {
                    Some(Status::Passed)
                };
                m.insert(id.clone(), st);
            }
            Reference::Known(m)
        }
        None => match crate::run::session::read_last_run(ctx.repo) {
            Ok(rec) => {
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
            Err(e) => Reference::Missing(e.to_string()),
        },
    }
}

pub fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let p: Params = ctx.params()?;
    let pass_rel = git::rel_str(&ctx.pipeline.target.pass_root);
    let mut out = CheckOutput::default();
    let required: Vec<String> = p.required.unwrap_or_else(|| {
        names::ORCHESTRATOR_OUTPUTS
            .iter()
            .map(|s| s.to_string())
            .collect()
    });
    for r in &required {
        if !super::resolve_inside(ctx.pass_root, r)?.exists() {
            out.findings.push(
                Finding::error(
                    "required-output-missing",
                    format!("{pass_rel}/{r}"),
                    0,
                    0,
                    format!("required output `{r}` does not exist"),
                )
                .with_help(
                    if r == names::EXECUTION_REPORT || r == names::HANDOFF {
                        "generate it with `cargo xtask report`"
                    } else {
                        "write it; see docs/closure-format.md"
                    },
                ),
            );
        }
    }

    let reference = reference(ctx);
    match &reference {
        Reference::Missing(why) => out.findings.push(
            Finding::general(
                "last-run-missing",
                format!("no run to compare the report with: {why}"),
            )
            .with_help("run `cargo xtask phase-a` first (or run this gate inside it)"),
        ),
        Reference::Partial(_, not_run, selection) => out.findings.push(
            Finding::general(
                "last-run-partial",
                format!(
                    "the last run (selection: {selection}) did not run {} gate(s) of the pipeline ({}): it cannot vouch for the phase",
                    not_run.len(),
                    not_run.join(", ")
                ),
            )
            .with_help("run the whole pipeline (`cargo xtask phase-a`), or run this gate inside it"),
        ),
        Reference::Known(_) => out.notes.push(if ctx.run.is_some() {
            "claims compared with this run's results (gates outside the selection taken as passed)"
                .into()
        } else {
            "claims compared with the last run's record (.rawr-gates/last-run.json)".into()
        }),
    }
    // The run being handed off must be green (this gate's own result aside). Inside
    // `phase-a` this always holds, since the handoff only runs after every slice before it
    // is green; run alone, the last run may be red.
    if let Reference::Known(actual) | Reference::Partial(actual, ..) = &reference {
        let red: Vec<String> = actual
            .iter()
            .filter(|(id, st)| {
                id.as_str() != ctx.gate_id && matches!(st, Some(s) if *s != Status::Passed)
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
    for doc in [names::EXECUTION_REPORT, names::HANDOFF] {
        let path = ctx.pass_root.join(doc);
        let rel = format!("{pass_rel}/{doc}");
        let text = match crate::careful::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue, // reported above when required
            Err(e) => return Err(GateError::io(path, e)),
            Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        };
        let Some((open, claims)) = report::parse_claims(&text) else {
            out.findings.push(
                Finding::error(
                    "report-claims-missing",
                    &rel,
                    0,
                    0,
                    "no `rawr-gates:claims` block: the document's claims cannot be checked",
                )
                .with_help("generate it with `cargo xtask report`"),
            );
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
        out.notes.push(git::tool_files_note(&pass_rel));
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
        for c in git::dirty_paths(ctx.repo, &pass_rel)? {
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

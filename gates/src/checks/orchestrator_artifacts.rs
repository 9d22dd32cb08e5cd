//! `orchestrator-artifacts` (Stage 0): the orchestrator plan and scratchpad are written.
//!
//! **What it checks.** `ORCHESTRATOR_PLAN_VERBATIM.md` exists in the pass root, opens with
//! the header `cargo xtask artifacts init` writes, and its body still hashes to the recorded
//! SHA-256 (and, when `runbook` is configured, equals that file byte for byte).
//! `ORCHESTRATOR_SCRATCHPAD.md` exists and is not empty; when a version of it is committed,
//! that version is a prefix of the current file (the scratchpad is append-only).
//!
//! **Why.** The runbook's first act is to write the plan and the scratchpad; every later
//! slice is judged against that plan, so it must be the runbook as written, unedited, and the
//! log must only ever grow.
//!
//! **How to fix.** Run `cargo xtask artifacts init --runbook FILE`. If the plan was edited,
//! restore it from git; a changed runbook belongs in a new pass root. Never rewrite the
//! scratchpad's committed entries; append instead.

use serde::Deserialize;

use super::{CheckCtx, CheckOutput, ParamError, parse_params};
use crate::artifacts::{SCRATCHPAD, git, plan};
use crate::error::GateError;
use crate::finding::Finding;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The runbook inside the target (repository-relative) the plan must equal, if any.
    pub runbook: Option<String>,
}

pub fn validate(t: &toml::Table) -> Result<(), ParamError> {
    parse_params::<Params>(t).map(|_| ())
}

pub fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let p: Params = ctx.params()?;
    let pass_rel = git::rel_str(&ctx.pipeline.target.pass_root);
    let mut out = CheckOutput::default();
    let fix = "run `cargo xtask artifacts init --runbook FILE`";

    let plan_rel = format!("{pass_rel}/{}", plan::PLAN);
    let plan_path = ctx.pass_root.join(plan::PLAN);
    match crate::careful::read(&plan_path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            out.findings.push(
                Finding::error(
                    "plan-missing",
                    &plan_rel,
                    0,
                    0,
                    "the orchestrator plan has not been written down",
                )
                .with_help(fix),
            );
        }
        Err(e) => return Err(GateError::io(plan_path, e)),
        Ok(bytes) => match plan::parse(&bytes) {
            Err(why) => out.findings.push(
                Finding::error(
                    "plan-checksum-missing",
                    &plan_rel,
                    1,
                    1,
                    format!("{why}; the plan's integrity cannot be verified"),
                )
                .with_help(fix),
            ),
            Ok((h, body)) => {
                let actual = plan::sha256_hex(body);
                if actual != h.sha256 || body.len() != h.bytes {
                    out.findings.push(
                        Finding::error(
                            "plan-checksum-mismatch",
                            &plan_rel,
                            1,
                            1,
                            format!(
                                "the plan was changed after it was written down: recorded sha256 {} ({} bytes), now {actual} ({} bytes)",
                                h.sha256,
                                h.bytes,
                                body.len()
                            ),
                        )
                        .with_help("restore the plan from git; the runbook is written down once, verbatim"),
                    );
                }
                if let Some(rb) = &p.runbook {
                    let rb_path = ctx.repo_path(rb)?;
                    match crate::careful::read(&rb_path) {
                        Ok(src) if src == body => {}
                        Ok(_) => out.findings.push(Finding::error(
                            "plan-differs-from-runbook",
                            &plan_rel,
                            2,
                            1,
                            format!("the plan's body is not the runbook `{rb}` verbatim"),
                        )),
                        Err(e) => return Err(GateError::io(rb_path, e)),
                    }
                }
                out.notes.push(format!("{plan_rel}: sha256 {actual}"));
            }
        },
    }

    let sp_rel = format!("{pass_rel}/{SCRATCHPAD}");
    let sp_path = ctx.pass_root.join(SCRATCHPAD);
    match crate::careful::read(&sp_path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => out.findings.push(
            Finding::error(
                "scratchpad-missing",
                &sp_rel,
                0,
                0,
                "the orchestrator scratchpad does not exist",
            )
            .with_help(fix),
        ),
        Err(e) => return Err(GateError::io(sp_path, e)),
        Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => {
            out.findings.push(Finding::error(
                "scratchpad-empty",
                &sp_rel,
                0,
                0,
                "the orchestrator scratchpad is empty",
            ))
        }
        Ok(bytes) => {
            // Append-only: a committed version must be a prefix of the current file.
            if git::place(ctx.repo)?.is_some() && git::is_tracked(ctx.repo, &sp_rel)? {
                let spec = format!("HEAD:./{sp_rel}");
                let head = git::run(ctx.repo, &["show", &spec])?;
                if head.status.success() && !bytes.starts_with(&head.stdout) {
                    let common = head
                        .stdout
                        .iter()
                        .zip(&bytes)
                        .take_while(|(a, b)| a == b)
                        .count();
                    let line = bytes[..common].iter().filter(|b| **b == b'\n').count() as u32 + 1;
                    out.findings.push(
                        Finding::error(
                            "scratchpad-rewritten",
                            &sp_rel,
                            line,
                            1,
                            "the scratchpad differs from its committed version before its end: it is append-only",
                        )
                        .with_help("restore the committed entries (`git checkout -p`) and append corrections as new entries"),
                    );
                }
            }
        }
    }
    Ok(out)
}

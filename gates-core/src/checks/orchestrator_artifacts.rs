//! `orchestrator-artifacts` (Stage 0): the orchestrator plan and scratchpad are written.
//!
//! **What it checks.** `ORCHESTRATOR_PLAN_VERBATIM.md` exists in the pass root and is not
//! empty; when a runbook is given (the gate's `runbook` parameter, or `cargo xtask artifacts
//! check --runbook FILE`) it equals that file byte for byte. The checksum header `cargo xtask
//! artifacts init` writes is optional (people write the runbook down themselves); when
//! present, the body under it must still hash to the recorded SHA-256.
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
    /// The runbook the plan must equal, if any: repository-relative, or absolute (as
    /// `cargo xtask artifacts check --runbook FILE` sets it).
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
    match crate::fs::careful::read(&plan_path) {
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
        Ok(bytes) => {
            // The checksum header `artifacts init` writes is optional; when present it must
            // hold, and the runbook comparison is on the body under it.
            let body: &[u8] = if bytes.starts_with(plan::MARK.as_bytes()) {
                match plan::parse(&bytes) {
                    Err(why) => {
                        out.findings.push(
                            Finding::error("plan-header-invalid", &plan_rel, 1, 1, why).with_help(
                                "restore the header `artifacts init` wrote, or remove it",
                            ),
                        );
                        &bytes
                    }
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
                        body
                    }
                }
            } else {
                &bytes
            };
            if body.iter().all(u8::is_ascii_whitespace) {
                out.findings.push(
                    Finding::error(
                        "plan-empty",
                        &plan_rel,
                        1,
                        1,
                        "the orchestrator plan is empty",
                    )
                    .with_help(fix),
                );
            } else if let Some(rb) = &p.runbook {
                let rb_path = if std::path::Path::new(rb).is_absolute() {
                    std::path::PathBuf::from(rb)
                } else {
                    ctx.repo_path(rb)?
                };
                match crate::fs::careful::read(&rb_path) {
                    Ok(src) if src == body => out
                        .notes
                        .push(format!("{plan_rel}: the runbook `{rb}` verbatim")),
                    Ok(src) => {
                        let common = src.iter().zip(body).take_while(|(a, b)| a == b).count();
                        let line = body[..common].iter().filter(|b| **b == b'\n').count() as u32
                            + 1
                            + u32::from(bytes.starts_with(plan::MARK.as_bytes()));
                        out.findings.push(Finding::error(
                            "plan-differs-from-runbook",
                            &plan_rel,
                            line,
                            1,
                            format!("the plan is not the runbook `{rb}` verbatim: they differ from this line"),
                        ))
                    }
                    Err(e) => return Err(GateError::io(rb_path, e)),
                }
            } else {
                out.notes.push(format!(
                    "{plan_rel}: present ({} bytes, sha256 {}); no runbook configured to compare it with",
                    body.len(),
                    plan::sha256_hex(body)
                ));
            }
        }
    }

    let sp_rel = format!("{pass_rel}/{SCRATCHPAD}");
    let sp_path = ctx.pass_root.join(SCRATCHPAD);
    match crate::fs::careful::read(&sp_path) {
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

//! `workbreakdown-drift`: the pipeline's slices and dependencies are the phase packet's.
//!
//! **What it checks.** It reads the phase's `PHASE_<X>_WORKBREAKDOWN.yaml` in the target
//! repository and compares it with the pipeline being run: every slice of the work breakdown
//! is a slice of the pipeline and the other way round (`slice-missing`, `slice-extra`), every
//! `depends_on` and `depends_on_if_triggered` edge of the one is an edge of the same kind of
//! the other (`dependency-missing` at the work breakdown's line, `dependency-extra` at the
//! pipeline's), and a slice is `conditional` in both or neither (`conditional-drift`). An
//! owner that differs is a warning (`owner-drift`). A work breakdown that is missing or not
//! valid YAML is a finding at its place.
//!
//! **Why.** The pipeline is written from the packet (`cargo xtask init`) and then edited; the
//! packet stays the phase's contract. A slice added to the packet after the pipeline was
//! written, or a dependency the pipeline lost, would make the gates judge a different order
//! than the one the phase runs, silently, as a stale workflow does for `ci-drift`.
//!
//! **How to fix.** Change the pipeline to match the work breakdown (or the work breakdown,
//! if it is the one that is wrong); `cargo xtask init --force` writes the pipeline again
//! from the packet. Slices the pipeline adds on purpose (a stage-0 or handoff slice) are
//! listed in `pipeline_only`.
//!
//! Parameters: `workbreakdown` (required), the work breakdown relative to the target
//! repository; `pipeline_only` (optional), slices of the pipeline the work breakdown does
//! not list.

use gates_core::fs::probe::Probe;
use serde::Deserialize;

use super::{Capability, CheckCtx, CheckDef, CheckOutput, ParamError, Rule, parse_params};
use crate::error::GateError;
use crate::finding::{Finding, Severity};
use crate::packet::workbreakdown;
use crate::pipeline::Pipeline;
use crate::pipeline::model::Pos;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    workbreakdown: String,
    #[serde(default)]
    pipeline_only: Vec<String>,
}

pub fn validate(table: &toml::Table) -> Result<(), ParamError> {
    let p: Params = parse_params(table)?;
    if crate::fs::resolve_inside(std::path::Path::new("."), &p.workbreakdown).is_err() {
        return Err(ParamError {
            message: format!(
                "`workbreakdown` {:?} must be a relative path inside the target repository",
                p.workbreakdown
            ),
            key: Some("workbreakdown".into()),
        });
    }
    Ok(())
}

pub fn def() -> CheckDef {
    CheckDef {
        name: "workbreakdown-drift",
        summary: "the pipeline's slices and dependencies are those of the phase's PHASE_<X>_WORKBREAKDOWN.yaml",
        capabilities: &[Capability::WorkTree, Capability::Workspace],
        rules: &[RULES],
        parts: None,
        aliases: &[],
        validate,
        roles: super::no_roles,
        run,
    }
}

const FIX: &str = "make the pipeline's slices and dependencies the work breakdown's (`cargo xtask init --force` writes them again), or correct the work breakdown";

/// Every rule of the workbreakdown-drift check.
pub const RULES: &[Rule] = &[
    super::error(
        "workbreakdown-missing",
        "the work breakdown the gate names does not exist",
        "name the phase's PHASE_<X>_WORKBREAKDOWN.yaml in the gate's `workbreakdown` parameter",
    ),
    super::error(
        "workbreakdown-invalid",
        "the work breakdown is not valid YAML or not in the packet's shape",
        "fix the YAML at the line and column given",
    ),
    super::error(
        "slice-missing",
        "a slice of the work breakdown is not in the pipeline",
        FIX,
    ),
    super::error(
        "slice-extra",
        "a slice of the pipeline is not in the work breakdown",
        "remove it, add it to the work breakdown, or list it in the gate's `pipeline_only`",
    ),
    super::error(
        "dependency-missing",
        "a depends_on or depends_on_if_triggered edge of the work breakdown is not in the pipeline",
        FIX,
    ),
    super::error(
        "dependency-extra",
        "a dependency of the pipeline is not in the work breakdown (or not of the same kind)",
        FIX,
    ),
    super::error(
        "conditional-drift",
        "a slice is conditional in one and not in the other",
        FIX,
    ),
    super::warning(
        "owner-drift",
        "a slice's owner differs from the work breakdown's",
        "make the owners agree",
    ),
];

/// An edge: (slice, dependency, only if triggered).
type Edge = (String, String, bool);

/// The pipeline's edges with where each is written.
fn pipeline_edges(p: &Pipeline) -> Vec<(Edge, Pos)> {
    let mut out = Vec::new();
    for s in &p.slices {
        for (i, d) in s.depends_on.iter().enumerate() {
            let pos = s
                .depends_on_pos
                .get(i)
                .cloned()
                .unwrap_or_else(|| s.pos.clone());
            let cond = s.depends_on_if_triggered.contains(d);
            out.push(((s.id.clone(), d.clone(), cond), pos));
        }
    }
    out
}

/// The pipeline file as findings name it: relative to the current directory when it is
/// below it, else as given.
fn pipeline_path(p: &Pipeline) -> String {
    let file = &p.file;
    let rel = std::env::current_dir()
        .ok()
        .and_then(|cwd| file.strip_prefix(cwd).ok().map(|r| r.to_path_buf()))
        .unwrap_or_else(|| file.clone());
    rel.to_string_lossy().replace('\\', "/")
}

pub fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let params: Params = ctx.params()?;
    let mut out = CheckOutput::default();
    let rel = params.workbreakdown.clone();
    let full = ctx.repo_path(&rel)?;
    if !full.probe_exists() {
        out.findings.push(
            Finding::error(
                "workbreakdown-missing",
                &rel,
                0,
                0,
                format!("the work breakdown {rel} does not exist"),
            )
            .with_help("name the phase's PHASE_<X>_WORKBREAKDOWN.yaml in the gate's `workbreakdown` parameter"),
        );
        return Ok(out);
    }
    let wb = match workbreakdown::read(&full, &rel) {
        Ok(wb) => wb,
        Err(e) => {
            out.findings.push(Finding::error(
                "workbreakdown-invalid",
                &rel,
                e.line,
                e.col,
                e.message,
            ));
            return Ok(out);
        }
    };
    let p = ctx.pipeline;
    let pfile = pipeline_path(p);
    out.notes.push(format!(
        "compared {} slice(s) of {rel} (phase {}) with {} slice(s) of {pfile}",
        wb.slices.len(),
        wb.phase,
        p.slices.len()
    ));

    for s in &wb.slices {
        match p.slice(&s.id) {
            None => out.findings.push(
                Finding::error(
                    "slice-missing",
                    &rel,
                    s.pos.line,
                    s.pos.col,
                    format!(
                        "slice `{}` of the work breakdown is not in the pipeline",
                        s.id
                    ),
                )
                .with_help(format!(
                    "add a `[[slice]]` with id = \"{}\" to {pfile}",
                    s.id
                )),
            ),
            Some(ps) => {
                if ps.conditional != s.conditional {
                    out.findings.push(Finding::error(
                        "conditional-drift",
                        &rel,
                        s.pos.line,
                        s.pos.col,
                        format!(
                            "slice `{}` is {}conditional in the work breakdown, {}conditional in the pipeline ({pfile}:{})",
                            s.id,
                            if s.conditional { "" } else { "not " },
                            if ps.conditional { "" } else { "not " },
                            ps.pos.line
                        ),
                    ));
                }
                if !s.owner.is_empty() && ps.owner != s.owner {
                    out.findings.push(Finding::error(
                        "owner-drift",
                        &pfile,
                        ps.pos.line,
                        ps.pos.col,
                        format!(
                            "slice `{}`: the pipeline's owner is `{}`, the work breakdown's `{}` ({rel}:{})",
                            s.id, ps.owner, s.owner, s.pos.line
                        ),
                    ).with_severity(Severity::Warning));
                }
            }
        }
    }
    for ps in &p.slices {
        if wb.slice(&ps.id).is_none() && !params.pipeline_only.contains(&ps.id) {
            out.findings.push(
                Finding::error(
                    "slice-extra",
                    &pfile,
                    ps.pos.line,
                    ps.pos.col,
                    format!("slice `{}` of the pipeline is not in the work breakdown {rel}", ps.id),
                )
                .with_help("remove it, add it to the work breakdown, or list it in the gate's `pipeline_only`"),
            );
        }
    }

    let ours = pipeline_edges(p);
    let mut theirs: Vec<(Edge, workbreakdown::Ref)> = Vec::new();
    for s in &wb.slices {
        for d in &s.depends_on {
            theirs.push(((s.id.clone(), d.id.clone(), false), d.clone()));
        }
        for d in &s.depends_on_if_triggered {
            theirs.push(((s.id.clone(), d.id.clone(), true), d.clone()));
        }
    }
    let kind = |c: bool| {
        if c {
            "depends_on_if_triggered"
        } else {
            "depends_on"
        }
    };
    for ((slice, dep, cond), r) in &theirs {
        // Edges of slices the pipeline lacks are already `slice-missing`.
        if p.slice(slice).is_none() {
            continue;
        }
        if !ours
            .iter()
            .any(|(e, _)| e.0 == *slice && e.1 == *dep && e.2 == *cond)
        {
            out.findings.push(
                Finding::error(
                    "dependency-missing",
                    &rel,
                    r.pos.line,
                    r.pos.col,
                    format!(
                        "`{slice}` {} `{dep}` in the work breakdown, not in the pipeline",
                        kind(*cond)
                    ),
                )
                .with_help(format!(
                    "add \"{dep}\" to the `{}` of slice `{slice}` in {pfile}",
                    kind(*cond)
                )),
            );
        }
    }
    for ((slice, dep, cond), pos) in &ours {
        if wb.slice(slice).is_none() {
            continue;
        }
        if !theirs
            .iter()
            .any(|(e, _)| e.0 == *slice && e.1 == *dep && e.2 == *cond)
        {
            out.findings.push(
                Finding::error(
                    "dependency-extra",
                    &pfile,
                    pos.line,
                    pos.col,
                    format!(
                        "`{slice}` {} `{dep}` in the pipeline, not in the work breakdown {rel}",
                        kind(*cond)
                    ),
                )
                .with_help(format!(
                    "remove \"{dep}\" from the `{}` of slice `{slice}`, or add it to the work breakdown",
                    kind(*cond)
                )),
            );
        }
    }
    Ok(out)
}

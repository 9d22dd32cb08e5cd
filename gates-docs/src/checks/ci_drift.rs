//! `ci-drift`: the generated GitHub Actions workflow matches the pipeline file.
//!
//! **What it checks.** It renders the workflow from the pipeline being run (the stages,
//! their DAG and the `[ci]` table) and compares it with the workflow file of the pipeline's
//! workspace, the repository holding `ci/phase-a.toml` (`Pipeline::base_dir`), not the
//! target repository. A missing file or any difference is an error finding at the first line
//! that differs, with the unified diff in the help text.
//!
//! **Why.** The workflow is how the gates run in CI, one job per stage. If someone edits
//! the pipeline (a new slice dependency, a moved stage, a new setup step) and does not
//! re-render, CI silently runs a different DAG than `cargo xtask phase-a` does locally.
//!
//! **How to fix.** Run `cargo xtask ci render` and commit the result; never edit the
//! workflow by hand (change `ci/phase-a.toml` instead).
//!
//! Parameters: `workflow` (optional), the workflow path relative to the pipeline's
//! workspace; default: the `[ci] workflow` of the pipeline, itself defaulting to
//! `.github/workflows/phase-a.yml`.

use serde::Deserialize;

use super::{Capability, CheckCtx, CheckDef, CheckOutput, ParamError, Rule, error, parse_params};
use crate::ci::{self, Drift, config::check_workflow_path};
use crate::error::GateError;
use crate::finding::Finding;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    workflow: Option<String>,
}

/// How many lines of the diff a finding's help carries; the full diff is one
/// `cargo xtask ci check` away.
const HELP_DIFF_LINES: usize = 60;

pub fn validate(table: &toml::Table) -> Result<(), ParamError> {
    let p: Params = parse_params(table)?;
    if let Some(w) = &p.workflow {
        check_workflow_path(w).map_err(|message| ParamError {
            message,
            key: Some("workflow".into()),
        })?;
    }
    Ok(())
}

pub fn def() -> CheckDef {
    CheckDef {
        name: "ci-drift",
        summary: "the generated GitHub Actions workflow matches the pipeline file",
        capabilities: &[Capability::Workspace],
        rules: &[RULES],
        parts: None,
        aliases: &[],
        validate,
        roles: super::no_roles,
        run,
    }
}

/// How to fix what the rules below report.
const FIX: &str = "run `cargo xtask ci render` and commit the result; never edit the workflow by hand (change the pipeline file instead)";

/// Every rule of the ci-drift check.
pub const RULES: &[Rule] = &[
    error(
        "workflow-missing",
        "the generated workflow does not exist",
        FIX,
    ),
    error(
        "workflow-drift",
        "the workflow on disk differs from what the pipeline renders",
        FIX,
    ),
];

pub fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let params: Params = ctx.params()?;
    let result =
        ci::check(ctx.pipeline, params.workflow.as_deref()).map_err(|e| GateError::msg(e.0))?;
    // `ci render` writes the path `[ci]` declares; when the parameter names another file,
    // say so, or the advice would not fix what this gate compares.
    let fix = if result.path == result.rendered.path {
        format!("run `{}` and commit the file", result.regenerate)
    } else {
        format!(
            "`{}` writes {} ([ci] workflow); this gate compares {} (its `workflow` parameter): make them name the same file, re-render and commit",
            result.regenerate, result.rendered.path, result.path
        )
    };
    let mut out = CheckOutput::default();
    out.notes.push(format!(
        "compared {} of the pipeline's workspace (the repository holding the pipeline file, not the target)",
        result.path
    ));
    match &result.drift {
        Drift::UpToDate => {}
        Drift::Missing => out.findings.push(
            Finding::error(
                "workflow-missing",
                &result.path,
                0,
                0,
                format!("the generated workflow {} does not exist", result.path),
            )
            .with_help(fix),
        ),
        Drift::Differs { diff, line } => {
            let mut shown: Vec<&str> = diff.lines().take(HELP_DIFF_LINES).collect();
            let total = diff.lines().count();
            let more = if total > HELP_DIFF_LINES {
                format!(
                    "\n... {} more diff lines (`cargo xtask ci check` shows all)",
                    total - HELP_DIFF_LINES
                )
            } else {
                String::new()
            };
            shown.insert(0, "");
            out.findings.push(
                Finding::error(
                    "workflow-drift",
                    &result.path,
                    *line,
                    1,
                    format!("{} differs from what the pipeline renders (first difference at line {line})", result.path),
                )
                .with_help(format!("{fix}{}{more}", shown.join("\n"))),
            );
        }
    }
    Ok(out)
}

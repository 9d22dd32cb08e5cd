//! Built-in checks. One file per check; each opens with what it checks, why, and how to fix.
//!
//! A check is registered in [`registry`] with a name (the `check = "..."` value in the
//! pipeline file), a parameter validator that runs when the pipeline is loaded (so bad
//! parameters are reported with their position before anything runs) and a `run` function.

pub mod all_of;
pub mod discovery_roots;
pub mod harness_matrix;
pub mod host_composition_guard;
pub mod import_boundary;
pub mod legacy_metadata_guard;
pub mod manifest_smoke;
pub mod route_probe;

pub use gates_core::checks::discovery_implementation;
pub use gates_core::checks::{
    CheckCtx, CheckDef, CheckKind, CheckOutput, ParamError, RunSoFar, parse_params, resolve_inside,
};
pub use gates_core::checks::{
    agent_outputs, ci_drift, closure, docs_cleanup, handoff, metadata_contract,
    observability_contract, orchestrator_artifacts, preflight, readiness,
};

/// Every built-in check as the pipeline loader sees it (name and params validation).
pub fn kinds() -> Vec<CheckKind> {
    registry()
        .iter()
        .map(|d| CheckKind {
            name: d.name,
            validate: d.validate,
        })
        .collect()
}

/// Every built-in check.
pub fn registry() -> Vec<CheckDef> {
    vec![
        CheckDef {
            name: "preflight",
            summary: "Stage 0: the target is a clean git work tree on the expected branch; parent branch and worktree exist",
            validate: preflight::validate,
            run: preflight::run,
        },
        CheckDef {
            name: "orchestrator-artifacts",
            summary: "Stage 0: the orchestrator plan (verbatim, checksum intact) and the append-only scratchpad exist",
            validate: orchestrator_artifacts::validate,
            run: orchestrator_artifacts::run,
        },
        CheckDef {
            name: "agent-outputs",
            summary: "agent finals have the five sections, resolving evidence; cited artifacts exist",
            validate: agent_outputs::validate,
            run: agent_outputs::run,
        },
        CheckDef {
            name: "docs-cleanup",
            summary: "A8: the cleanup manifest agrees with the tree; no doc links to a deleted path",
            validate: docs_cleanup::validate,
            run: docs_cleanup::run,
        },
        CheckDef {
            name: "phase-b-readiness",
            summary: "A9: the Phase B posture is explicit and consistent with blockers, owners and order",
            validate: readiness::validate,
            run: readiness::run,
        },
        CheckDef {
            name: "handoff",
            summary: "Stage 6: required outputs exist, the report agrees with the run, the worktree is clean",
            validate: handoff::validate,
            run: handoff::run,
        },
        CheckDef {
            name: "review-closure",
            summary: "A7: the review disposition has no open blocking/high finding, complete deferrals, resolving evidence, an approve decision",
            validate: closure::validate,
            run: closure::run_review,
        },
        CheckDef {
            name: "structural-closure",
            summary: "B4A: the structural disposition closes like A7",
            validate: closure::validate,
            run: closure::run_structural,
        },
        CheckDef {
            name: "ci-drift",
            summary: "the generated GitHub Actions workflow matches the pipeline file",
            validate: ci_drift::validate,
            run: ci_drift::run,
        },
        manifest_smoke::def(),
        host_composition_guard::def(),
        harness_matrix::def(),
        harness_matrix::instance_isolation_def(),
        observability_contract::def(),
        route_probe::def(),
        metadata_contract::def(),
        discovery_roots::def(),
        import_boundary::def(),
        legacy_metadata_guard::def(),
        all_of::def(),
    ]
}

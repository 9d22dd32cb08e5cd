//! Built-in checks. One file per check; each opens with what it checks, why, and how to fix.
//!
//! A check is registered in [`registry`] with a name (the `check = "..."` value in the
//! pipeline file), a parameter validator that runs when the pipeline is loaded (so bad
//! parameters are reported with their position before anything runs) and a `run` function.

pub mod discovery_roots;
pub mod harness_matrix;
pub mod host_composition_guard;
pub mod import_boundary;
pub mod legacy_metadata_guard;
pub mod manifest_smoke;
pub mod route_probe;

pub use gates_core::checks::discovery_implementation;
pub use gates_core::checks::{
    Alias, Capability, CheckCtx, CheckDef, CheckKind, CheckOutput, ParamError, Role, Rule,
    RunSoFar, no_roles, parse_params, resolve_inside,
};
pub use gates_core::checks::{
    agent_outputs, ci_drift, closure, docs_cleanup, handoff, metadata_contract,
    orchestrator_artifacts, preflight, readiness, workbreakdown_drift,
};

/// Every built-in check as the pipeline loader sees it (name, aliases, params validation,
/// document roles).
pub fn kinds() -> Vec<CheckKind> {
    registry().iter().map(CheckDef::kind).collect()
}

/// The check named `name` (its own name, as the loader resolves aliases), from the registry.
pub fn find(name: &str) -> Option<&'static CheckDef> {
    registry().iter().find(|d| d.name == name)
}

/// Every built-in check, built once. Adding a check: its file (with `pub fn def()`) and one
/// line here (docs/architecture.md, "Adding a check").
pub fn registry() -> &'static [CheckDef] {
    static REGISTRY: std::sync::OnceLock<Vec<CheckDef>> = std::sync::OnceLock::new();
    REGISTRY.get_or_init(|| {
        vec![
            preflight::def(),
            orchestrator_artifacts::def(),
            agent_outputs::def(),
            docs_cleanup::def(),
            readiness::def(),
            handoff::def(),
            closure::def(),
            ci_drift::def(),
            workbreakdown_drift::def(),
            manifest_smoke::def(),
            host_composition_guard::def(),
            harness_matrix::def(),
            harness_matrix::instance_isolation_def(),
            route_probe::def(),
            metadata_contract::def(),
            discovery_roots::def(),
            import_boundary::def(),
            legacy_metadata_guard::def(),
        ]
    })
}

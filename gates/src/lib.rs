//! The phase gate library: a phase's runbook as machine-checked gates.
//!
//! The crates below it are cut by idea: `gates-core` (the engine's base: pipeline, files,
//! processes, record, the check interface; no check and no phase), `gates-docs` (the checks
//! of the phase's documents) and `gates-ts` (the checks of the target's TypeScript, with
//! oxc), the last two compiling side by side. Their modules are re-exported here under the
//! same paths.
//!
//! `xtask` is a thin command-line layer over this crate. Everything with logic lives here:
//! the pipeline model and its loader ([`pipeline`]), the executor that runs gates in
//! dependency order ([`run`]), the built-in checks ([`checks`]), the renderers for every
//! output format ([`report`]) and the pass-root artifacts ([`artifacts`]).

pub mod bench;
pub mod checks;
pub mod fuzz_bodies;
pub mod fuzzing;
pub mod history;
pub mod load;
pub mod report;
pub mod run;

pub use gates_core::{
    Finding, GateError, LoadError, Severity, ci, devtest, error, finding, fs, git, packet,
    pipeline, process, record, testreport, text,
};
pub use gates_docs::artifacts;
pub use gates_ts::repo;

//! The phase gate library: a phase's runbook as machine-checked gates.
//!
//! The modules that read no TypeScript live in the `gates-core` crate (so that they compile
//! while oxc does) and are re-exported here under the same paths.
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
pub mod repo;
pub mod report;
pub mod run;

pub use gates_core::{
    Finding, GateError, LoadError, Severity, artifacts, ci, devtest, error, finding, fs, packet,
    pipeline, process, record, testreport, text,
};

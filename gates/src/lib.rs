//! The Phase A gate library.
//!
//! `xtask` is a thin command-line layer over this crate. Everything with logic lives here:
//! the pipeline model and its loader ([`pipeline`]), the executor that runs gates in
//! dependency order ([`run`]), the built-in checks ([`checks`]), the renderers for every
//! output format ([`report`]) and the pass-root artifacts ([`artifacts`]).

pub mod artifacts;
pub mod bench;
pub mod checks;
pub mod ci;
pub mod devtest;
pub mod error;
pub mod finding;
pub mod fs;
pub mod fuzzing;
pub mod history;
pub mod load;
pub mod pipeline;
pub mod process;
pub mod record;
pub mod repo;
pub mod report;
pub mod run;
pub mod testreport;
pub mod text;

pub use error::{GateError, LoadError};
pub use finding::{Finding, Severity};

//! The phase gate library's base: everything that does not read TypeScript.
//!
//! The pipeline model and its loader ([`pipeline`]), files and processes ([`fs`],
//! [`process`]), the run record ([`record`]), the runners' test reports ([`testreport`]), the
//! pass-root artifacts ([`artifacts`]), the phase's packet ([`packet`]: work breakdown and
//! acceptance gates), the generated workflow ([`ci`]), the JSON, plugin and
//! workspace model of the target ([`repo`]) and the checks that need no TypeScript
//! ([`checks`], with the interface every check implements).
//!
//! It is a crate of its own so that it compiles while oxc does: the `gates` crate above it
//! (the TypeScript-reading checks, the registry, the executor and the reports) is all that a
//! cold build still compiles after oxc. `gates` re-exports every module here, so
//! `gates::fs`, `gates::checks::closure`, `gates::repo::json` are the paths to use.

pub mod artifacts;
pub mod checks;
pub mod ci;
pub mod devtest;
pub mod error;
pub mod finding;
pub mod fs;
pub mod packet;
pub mod pipeline;
pub mod process;
pub mod record;
pub mod repo;
pub mod testreport;
pub mod text;

pub use error::{GateError, LoadError};
pub use finding::{Finding, Severity};

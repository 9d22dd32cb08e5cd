//! The engine's base: no check and no phase in it.
//!
//! The pipeline model and its loader ([`pipeline`], with the interface every check
//! implements: `CheckDef`, `CheckCtx`, rules), files and processes ([`fs`], [`process`],
//! [`git`]), the run record ([`record`]), the runners' test reports ([`testreport`]), the
//! phase's packet ([`packet`]: work breakdown and acceptance gates), the generated workflow
//! ([`ci`]), the JSON, plugin and workspace model of the target ([`repo`]) and the helpers and
//! shared rule tables of the checks ([`checks`]).
//!
//! The checks live in the crates above it, cut by what they read: `gates-docs` (the phase's
//! documents, the packet and JSON) and `gates-ts` (the target's TypeScript, with oxc), which
//! compile side by side. `gates` registers both, runs pipelines and renders reports, and
//! re-exports every module, so `gates::fs`, `gates::checks::closure`, `gates::repo::json` are
//! the paths to use.

pub mod checks;
pub mod ci;
pub mod devtest;
pub mod error;
pub mod finding;
pub mod fs;
pub mod git;
pub mod packet;
pub mod pipeline;
pub mod process;
pub mod record;
pub mod repo;
pub mod testreport;
pub mod text;

pub use error::{GateError, LoadError};
pub use finding::{Finding, Severity};

//! The checks that read the target's TypeScript. One file per check; each opens with what it
//! checks, why, and how to fix. The check interface and the shared helpers are
//! `gates_core::checks`, re-exported here so a check's `super::` and `crate::checks::` reach
//! them.

pub mod discovery_roots;
pub mod harness_matrix;
pub mod host_composition_guard;
pub mod import_boundary;
pub mod legacy_metadata_guard;
pub mod manifest_smoke;
pub mod route_probe;

pub use gates_core::checks::*;

//! The pipeline: a phase's stages, slices, gates and documents as a pipeline file declares
//! them (`docs/pipeline.md`).
//!
//! [`load`] reads and validates the file (every error points into it), [`plan`] orders the
//! slices topologically and groups them into levels, and [`select`] narrows a plan to what
//! a command line asked for. [`check`] is the interface every check implements, since a
//! loaded gate holds its check's definition.

pub mod check;
pub mod ci;
pub mod load;
pub mod model;
pub mod plan;
pub mod select;

pub use load::{Alias, ParamError, load_file_with, load_str_with, no_roles};
pub use model::{
    CommandSpec, ConditionalDocument, Documents, Gate, GateKind, Phase, Pipeline, ReportSpec, Role,
    RoleDocument, SetupSpec, Slice, Stage, Target,
};
pub use plan::Plan;

/// The pipeline `cargo xtask` reads without `--pipeline`, relative to its workspace.
pub const DEFAULT_PIPELINE: &str = "ci/phase-a.toml";
pub use select::Selection;

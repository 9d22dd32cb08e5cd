//! The pipeline: stages, slices and gates as declared in `ci/phase-a.toml`.
//!
//! [`load`] reads and validates the file (every error points into it), [`plan`] orders the
//! slices topologically and groups them into levels, and [`select`] narrows a plan to what
//! a command line asked for.

pub mod ci;
pub mod load;
pub mod model;
pub mod plan;
pub mod select;

pub use load::{CheckKind, ParamError, load_file_with, load_str_with};
pub use model::{
    CommandSpec, Gate, GateKind, Pipeline, ReportSpec, SetupSpec, Slice, Stage, Target,
};
pub use plan::Plan;
pub use select::Selection;

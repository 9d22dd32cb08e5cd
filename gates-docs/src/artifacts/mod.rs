//! Pass-root artifacts written by the tool itself: the append-only orchestrator scratchpad
//! and the machine-readable record of the last run.

pub mod cleanup;
pub mod disposition;
pub mod evidence;
pub mod markdown;
pub mod names;
pub mod plan;
pub mod readiness;
pub mod report;
pub mod scratchpad;

pub use crate::fs::state::{STATE_DIR, STATE_NAME, state_dir};
pub use crate::fs::write_atomic;
pub use crate::record::{LAST_RUN, last_run_path};
pub use gates_core::git;
/// The default scratchpad (`[documents] scratchpad`).
pub const SCRATCHPAD: &str = crate::pipeline::load::DEFAULT_SCRATCHPAD;

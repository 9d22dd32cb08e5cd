//! Pass-root artifacts written by the tool itself: the append-only orchestrator scratchpad
//! and the machine-readable record of the last run.

pub mod cleanup;
pub mod disposition;
pub mod evidence;
pub mod git;
pub mod markdown;
pub mod names;
pub mod plan;
pub mod readiness;
pub mod report;
pub mod scratchpad;

use std::path::{Path, PathBuf};

/// The directory (inside the target repository) where the tool keeps its own state: the run
/// lock and the last run's record. Cleanliness checks ignore it; targets should gitignore it.
pub const STATE_DIR: &str = ".rawr-gates";
pub const LAST_RUN: &str = "last-run.json";
pub const SCRATCHPAD: &str = "ORCHESTRATOR_SCRATCHPAD.md";

pub fn state_dir(repo: &Path) -> PathBuf {
    repo.join(STATE_DIR)
}

pub fn last_run_path(repo: &Path) -> PathBuf {
    state_dir(repo).join(LAST_RUN)
}

/// Writes `bytes` to the output file `path` atomically (see [`crate::output`]): a temporary
/// file beside it, synced, then renamed over it; a symlink is written through, a
/// directory, FIFO or device refused. A crash leaves either the old file or the new one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    crate::output::write(path, bytes)
}

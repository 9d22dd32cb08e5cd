//! The floor of the house: file access and paths. Joining a configured path onto a root
//! without escaping it ([`resolve_inside`]), reading a repository file carefully (inside the
//! repository, no binary or huge files, positions for every finding: [`source`]), writing a
//! file atomically ([`write_atomic`]) and where the tool keeps its state for a target
//! ([`state`]). Nothing here knows about gates, checks or runs.

pub mod careful;
pub mod output;
pub mod record;
pub mod source;
pub mod state;

use std::path::{Path, PathBuf};

use crate::error::GateError;

/// Joins `rel` onto `root`, refusing absolute paths and `..` components.
pub fn resolve_inside(root: &Path, rel: &str) -> Result<PathBuf, GateError> {
    let p = Path::new(rel);
    if p.is_absolute()
        || p.components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(GateError::msg(format!(
            "path {rel:?} escapes the target repository"
        )));
    }
    Ok(root.join(p))
}

/// Writes `bytes` to the output file `path` atomically (see [`output`]): a temporary file
/// beside it, synced, then renamed over it; a symlink is written through, a directory, FIFO
/// or device refused. A crash leaves either the old file or the new one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    output::write(path, bytes)
}

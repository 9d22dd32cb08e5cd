//! The floor of the house: file access and paths. Joining a configured path onto a root
//! without escaping it ([`resolve_inside`]), reading a repository file carefully (inside the
//! repository, no binary or huge files, positions for every finding: [`source`]), writing a
//! file atomically ([`write_atomic`]) and where the tool keeps its state for a target
//! ([`state`]). Nothing here knows about gates, checks or runs.

pub mod careful;
pub mod inside;
pub mod output;
pub mod probe;
pub mod record;
pub mod source;
pub mod state;

use crate::fs::probe::Probe;
use std::path::{Path, PathBuf};

use crate::error::GateError;

/// Joins `rel` onto `root`, refusing absolute paths, `..` components and a symbolic link
/// along the way that leads out of `root` ([`inside::link_out`]; links inside are fine).
pub fn resolve_inside(root: &Path, rel: &str) -> Result<PathBuf, GateError> {
    if escapes(rel) {
        return Err(GateError::msg(format!(
            "path {rel:?} escapes the target repository"
        )));
    }
    let p = Path::new(rel);
    if root.probe_exists() {
        match inside::link_out(root, p, inside::TARGET) {
            Ok(None) => {}
            Ok(Some(escape)) => return Err(GateError::msg(format!("path {rel:?}: {escape}"))),
            Err(e) => return Err(GateError::io(root.join(p), e)),
        }
    }
    Ok(root.join(p))
}

/// Whether the configured path `rel` leaves whatever root it is joined onto, as written: an
/// absolute path or a `..` component (no file is looked at; [`resolve_inside`] also checks
/// the links).
pub fn escapes(rel: &str) -> bool {
    let p = Path::new(rel);
    p.is_absolute()
        || p.components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
}

/// Writes `bytes` to the output file `path` atomically (see [`output`]): a temporary file
/// beside it, synced, then renamed over it; a symlink is written through (not out of the
/// target or the state directory: [`inside`]), a directory, FIFO or device refused. A crash leaves either the old file or the new one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    output::write(path, bytes)
}

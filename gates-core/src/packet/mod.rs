//! A phase's packet, as `cargo xtask init` and the `workbreakdown-drift` check read it: the
//! work breakdown (`PHASE_<X>_WORKBREAKDOWN.yaml`: slices, owners, dependencies), the
//! acceptance gates (`PHASE_<X>_ACCEPTANCE_GATES.md`: each slice's gate commands) and the
//! pass roots beside them (`_phase-<x>-runtime-execution-pass-…`,
//! `_phase-<x>-planning-pass-…`).

pub mod acceptance;
pub mod init;
pub mod workbreakdown;
pub mod yaml;

use std::path::{Path, PathBuf};

/// Every `PHASE_<X>_WORKBREAKDOWN.yaml` under `dir` (not inside `node_modules`, `_archive`
/// or a hidden directory), at most `depth` levels down, sorted.
pub fn workbreakdowns(dir: &Path, depth: usize) -> Vec<PathBuf> {
    let mut found = Vec::new();
    walk(dir, depth, &mut found);
    found.sort();
    found
}

fn walk(dir: &Path, depth: usize, found: &mut Vec<PathBuf>) {
    let Ok(entries) = crate::fs::probe::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Ok(ft) = e.file_type() else { continue };
        if ft.is_dir() {
            if depth > 0
                && !name.starts_with('.')
                && name != "node_modules"
                && name != "_archive"
                && name != "target"
            {
                walk(&e.path(), depth - 1, found);
            }
        } else if ft.is_file() && workbreakdown::phase_of_file_name(&name).is_some() {
            found.push(e.path());
        }
    }
}

/// Of several work breakdowns, the one of the latest phase (the highest `<X>`), preferring
/// the copy outside a pass root when the packet is in both places.
pub fn latest(found: &[PathBuf]) -> Option<&PathBuf> {
    found.iter().max_by_key(|p| {
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned());
        let phase = name
            .as_deref()
            .and_then(workbreakdown::phase_of_file_name)
            .unwrap_or_default();
        let outside_pass_root = !in_pass_root(p);
        (phase.len(), phase, outside_pass_root)
    })
}

/// Whether the file sits in a pass root (`_phase-…` directory).
fn in_pass_root(file: &Path) -> bool {
    file.parent()
        .and_then(Path::file_name)
        .is_some_and(|n| n.to_string_lossy().starts_with("_phase-"))
}

/// The spec root a packet file belongs to: its directory, or the parent of the pass root
/// it was copied into.
pub fn spec_root(file: &Path) -> PathBuf {
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    if in_pass_root(file) {
        dir.parent().map(Path::to_path_buf).unwrap_or(dir)
    } else {
        dir
    }
}

/// The phase's pass root of `kind` (`runtime-execution` or `planning`) in `spec_root`: the
/// last by name of `_phase-<x>-<kind>-pass-*` directories.
pub fn pass_root(spec_root: &Path, phase: &str, kind: &str) -> Option<String> {
    let prefix = format!("_phase-{}-{kind}-pass-", phase.to_ascii_lowercase());
    let mut names: Vec<String> = crate::fs::probe::read_dir(spec_root)
        .ok()?
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(&prefix))
        .collect();
    names.sort();
    names.pop()
}

/// Files of `dir` whose name starts with `prefix` and ends with `suffix`, sorted.
pub fn files_like(dir: &Path, prefix: &str, suffix: &str) -> Vec<String> {
    let mut names: Vec<String> = crate::fs::probe::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with(prefix) && n.ends_with(suffix))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

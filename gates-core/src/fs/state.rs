//! Where the tool keeps its own state for a target (the run lock, the last run's record, the
//! test runner's reports): a directory under the target's per-worktree git directory, never
//! in its work tree.
//!
//! The tool's state directory, no gate's input.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};

/// The tool's state directory as it was named inside the work tree by earlier versions;
/// cleanliness checks still ignore it so an old checkout's leftovers do not fail preflight.
pub const STATE_DIR: &str = ".rawr-gates";
/// The name of the state directory under the target's git directory.
pub const STATE_NAME: &str = "rawr-gates";

/// Where the tool keeps its own state for a target (the run lock, the last run's record, the
/// test runner's reports): never in the work tree, so a run leaves `git status` as it was.
/// In a git checkout it is `rawr-gates/` under the per-worktree git directory
/// (`git rev-parse --absolute-git-dir`; a linked worktree has its own); a directory outside
/// git gets one under this workspace's `target/`, keyed by the target's path.
///
/// The directory is declared a confined root ([`crate::fs::inside::confine`]): nothing the
/// tool reads or writes there follows a symbolic link out of it.
pub fn state_dir(repo: &Path) -> PathBuf {
    let dir = state_dir_of(repo);
    crate::fs::inside::confine(&dir, crate::fs::inside::STATE);
    dir
}

fn state_dir_of(repo: &Path) -> PathBuf {
    if let Some(git_dir) = git_dir(repo) {
        return git_dir.join(STATE_NAME);
    }
    let key = {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        std::fs::canonicalize(repo)
            .unwrap_or_else(|_| repo.to_path_buf())
            .hash(&mut h);
        format!("{:016x}", h.finish())
    };
    let name = repo
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "target".into());
    workspace_target_dir()
        .join(STATE_NAME)
        .join(format!("{name}-{key}"))
}

/// The state directory of `repo` when it is the top of a git work tree (under its git
/// directory, private to this checkout), else `None`.
///
/// Confined like [`state_dir`]'s.
pub fn git_state_dir(repo: &Path) -> Option<PathBuf> {
    let dir = git_dir(repo)?.join(STATE_NAME);
    crate::fs::inside::confine(&dir, crate::fs::inside::STATE);
    Some(dir)
}

/// The per-worktree git directory of `repo`, when `repo` is the top of a git work tree
/// (a directory inside another repository's tree is not its own checkout).
fn git_dir(repo: &Path) -> Option<PathBuf> {
    let out = std::process::Command::new("git")
        .args(["-c", "core.fsmonitor=false"])
        .arg("-C")
        .arg(repo)
        .args(["rev-parse", "--show-toplevel", "--absolute-git-dir"])
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let top = PathBuf::from(lines.next()?);
    let dir = PathBuf::from(lines.next()?);
    let same = |a: &Path, b: &Path| {
        std::fs::canonicalize(a)
            .ok()
            .is_some_and(|a| std::fs::canonicalize(b).ok() == Some(a))
    };
    same(&top, repo).then_some(dir)
}

/// This workspace's `target/` (`CARGO_TARGET_DIR` when set at run time).
fn workspace_target_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("CARGO_TARGET_DIR") {
        return PathBuf::from(d);
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(|ws| ws.join("target"))
        .unwrap_or_else(|| std::env::temp_dir().join("rawr-gates-target"))
}

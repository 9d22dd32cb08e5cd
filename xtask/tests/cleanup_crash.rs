//! `cargo xtask cleanup apply` killed after each of its steps (the manifest write and every
//! git action) loses nothing, and re-running it finishes the job.
//!
//! The process is aborted for real (`RAWR_GATES_TEST_ABORT_AFTER_STEP=k` makes it call
//! `abort()` right after step k: no destructors, no cleanup), then the tree is inspected.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

use crate::support;

use support::{copy_dir, git, workspace};

/// The cleanup-before fixture as a committed git repository, without a manifest (so `apply`
/// plans and writes it as its first step).
fn target() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    copy_dir(
        &workspace().join("tests/fixtures/closure/cleanup-before"),
        t.path(),
    );
    git(t.path(), &["init", "-q", "-b", "main"]);
    git(t.path(), &["add", "-A"]);
    git(t.path(), &["commit", "-q", "-m", "before cleanup"]);
    t
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    gates::artifacts::names::walk(dir)
        .unwrap()
        .into_iter()
        .filter(|p| !p.starts_with(".git/"))
        .map(|p| {
            let b = std::fs::read(dir.join(&p)).unwrap();
            (p, b)
        })
        .collect()
}

fn apply(dir: &Path, abort_after: Option<usize>) -> std::process::Output {
    let mut c = Command::cargo_bin("xtask").unwrap();
    c.arg("--pipeline")
        .arg(workspace().join("tests/fixtures/closure/pipeline.toml"))
        .args(["cleanup", "apply", "--yes", "--repo"])
        .arg(dir);
    match abort_after {
        Some(k) => c.env(
            gates::artifacts::cleanup::ABORT_AFTER_STEP_ENV,
            k.to_string(),
        ),
        None => c.env_remove(gates::artifacts::cleanup::ABORT_AFTER_STEP_ENV),
    };
    c.output().unwrap()
}

/// Where each original file must be after any prefix of the apply: in place, at its archive
/// destination, or (for deletions only) gone from the work tree but intact in HEAD.
fn assert_nothing_lost(dir: &Path, before: &BTreeMap<String, Vec<u8>>, k: usize) {
    let now = files(dir);
    for (path, bytes) in before {
        let archived = format!("pass/_archive/{}", path.trim_start_matches("pass/"));
        let in_place = now.get(path) == Some(bytes);
        let at_archive = path.starts_with("pass/") && now.get(&archived) == Some(bytes);
        let deletable = [
            "AGENT_1_PLAN_VERBATIM.md",
            "AGENT_1_SCRATCHPAD.md",
            "AGENT_3_REVIEW_DRAFT.md",
        ]
        .iter()
        .any(|d| path == &format!("pass/{d}"));
        let in_head = git(dir, &["show", &format!("HEAD:{path}")]).into_bytes() == *bytes;
        assert!(
            in_place ^ at_archive || (deletable && !in_place && in_head),
            "after a crash at step {k}, `{path}` is lost or duplicated (in place: {in_place}, archived: {at_archive})"
        );
    }
}

#[test]
fn a_crash_after_any_step_loses_nothing_and_a_rerun_finishes() {
    // The reference: an uninterrupted apply.
    let reference = target();
    let before = files(reference.path());
    let out = apply(reference.path(), None);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let steps = String::from_utf8_lossy(&out.stdout).lines().count();
    // The manifest write plus six actions (three deletions, three archives).
    assert_eq!(steps, 7, "{}", String::from_utf8_lossy(&out.stdout));
    let want_files = files(reference.path());
    let want_status = git(
        reference.path(),
        &["status", "--porcelain=v1", "--untracked-files=all"],
    );

    for k in 1..=steps {
        let t = target();
        let out = apply(t.path(), Some(k));
        assert!(
            !out.status.success(),
            "step {k}: the process was meant to die"
        );
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(&format!("aborting after step {k}")),
            "step {k}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_nothing_lost(t.path(), &before, k);
        assert!(
            !t.path().join(".git/index.lock").exists(),
            "step {k}: a git lock was left behind"
        );

        // Re-running finishes the job and ends where the uninterrupted run ended.
        let out = apply(t.path(), None);
        assert!(
            out.status.success(),
            "step {k}: re-run failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            files(t.path()),
            want_files,
            "step {k}: the re-run ended elsewhere"
        );
        assert_eq!(
            git(
                t.path(),
                &["status", "--porcelain=v1", "--untracked-files=all"]
            ),
            want_status,
            "step {k}"
        );
        // And once more: nothing to do.
        let out = apply(t.path(), None);
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("nothing to do"),
            "step {k}"
        );
    }

    // There is no step after the last one: the hook past the end lets the run complete.
    let t = target();
    let out = apply(t.path(), Some(steps + 1));
    assert!(out.status.success());
    assert_eq!(files(t.path()), want_files);
}

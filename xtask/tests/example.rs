//! The main job end to end: the bundled pipeline against a fresh git copy of `examples/hq`
//! passes every gate, as `cargo xtask phase-a` does on a fresh clone. The copy installs the
//! example's dependencies (a bun workspace: `bun install --frozen-lockfile` from its
//! `bun.lock`) through the harness gates' own setup step; `cargo xtask test` installs bun
//! from the npm registry when it is missing.

use std::path::Path;
use std::process::Command;

use assert_cmd::cargo::CommandCargoExt;

use crate::support;

use support::{copy_dir, git};

#[test]
fn the_bundled_pipeline_passes_on_a_fresh_copy_of_the_example() {
    let ws = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("hq");
    copy_dir(&ws.join("examples/hq"), &repo);
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "example"]);

    let out = Command::cargo_bin("xtask")
        .unwrap()
        .args(["phase-a", "--repo"])
        .arg(&repo)
        .args(["--format", "json"])
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let record: serde_json::Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}\n{stdout}\n{stderr}"));
    let bad: Vec<String> = record["gates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["status"] != "passed")
        .map(|g| {
            format!(
                "{} {}: {} {}",
                g["id"], g["status"], g["reason"], g["findings"]
            )
        })
        .collect();
    assert!(
        bad.is_empty(),
        "gates not green on the example:\n{}\n{stderr}",
        bad.join("\n")
    );
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(record["counts"]["planned"], record["counts"]["passed"]);
    assert_eq!(record["slices"].as_array().unwrap().len(), 13);
    // The run left the tree as it was: nothing modified, nothing untracked (the installed
    // node_modules is ignored by the example's own .gitignore; the run's state is under .git).
    let status = Command::new("git")
        .args(["status", "--porcelain", "--untracked-files=all"])
        .current_dir(&repo)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&status.stdout), "");
}

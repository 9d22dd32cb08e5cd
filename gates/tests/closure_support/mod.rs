//! Shared helpers of the closure tests: fixture copies, temporary git repositories, running
//! one gate or the whole fixture pipeline, and findings in a form easy to compare.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use gates::checks::RunSoFar;
use gates::finding::Severity;
use gates::pipeline::{Pipeline, Selection};
use gates::run::{GateResult, RunRecord, executor, session};

#[path = "../../../tests/support/common.rs"]
mod common;

#[allow(unused_imports)]
pub use common::{copy_dir, git, git_env, workspace};

pub fn fixtures() -> PathBuf {
    workspace().join("tests/fixtures/closure")
}

/// A fresh copy of `tests/fixtures/closure/<name>` in a temporary directory.
pub fn fixture(name: &str) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    copy_dir(&fixtures().join(name), t.path());
    t
}

/// Makes `dir` a git repository on branch `main` with everything committed.
pub fn git_repo(dir: &Path) {
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "initial"]);
}

pub fn pipeline() -> Pipeline {
    gates::load::load_file(&fixtures().join("pipeline.toml")).unwrap()
}

/// The fixture pipeline with `old` replaced by `new` in its text.
pub fn pipeline_with(old: &str, new: &str) -> Pipeline {
    let file = fixtures().join("pipeline.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.contains(old), "the fixture pipeline has no {old:?}");
    gates::load::load_str(&text.replace(old, new), &file, &workspace()).unwrap()
}

pub fn run(gate: &str, repo: &Path, so_far: Option<&RunSoFar>) -> GateResult {
    run_in(&pipeline(), gate, repo, so_far)
}

pub fn run_in(p: &Pipeline, gate: &str, repo: &Path, so_far: Option<&RunSoFar>) -> GateResult {
    let repo = std::fs::canonicalize(repo).unwrap();
    let r = executor::run_gate(
        p,
        &p.gates[gate],
        &repo,
        &repo.join(&p.target.pass_root),
        &AtomicBool::new(false),
        so_far,
    );
    assert!(
        r.status != gates::run::Status::Errored,
        "{gate} errored: {:?}",
        r.reason
    );
    r
}

/// Runs the whole fixture pipeline on `repo` like `cargo xtask phase-a`.
pub fn run_pipeline(repo: &Path) -> (RunRecord, Vec<String>) {
    let p = Arc::new(pipeline());
    let opts = session::RunOptions {
        jobs: 1,
        keep_going: true,
        all: false,
        // These scenarios follow the runbook's logging: outcomes go to the scratchpad.
        log_scratchpad: true,
        repo: std::fs::canonicalize(repo).unwrap(),
        selection: Selection::all(&p),
    };
    session::run_pipeline(&p, &opts, &executor::NoopObserver, &AtomicBool::new(false)).unwrap()
}

pub type F = (String, String, u32, u32);

pub fn f(rule: &str, path: &str, line: u32, col: u32) -> F {
    (rule.to_string(), path.to_string(), line, col)
}

fn of(r: &GateResult, s: Severity) -> Vec<F> {
    r.findings
        .iter()
        .filter(|x| x.severity == s)
        .map(|x| {
            (
                x.rule.clone(),
                x.path.clone().unwrap_or_default(),
                x.line,
                x.col,
            )
        })
        .collect()
}

pub fn errors(r: &GateResult) -> Vec<F> {
    of(r, Severity::Error)
}

pub fn warnings(r: &GateResult) -> Vec<F> {
    of(r, Severity::Warning)
}

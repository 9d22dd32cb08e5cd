//! Gate setup steps (`setup = { command, unless_exists }`): run before the gate's command,
//! skipped when their marker exists, run one at a time so two gates needing the same
//! installation do not run it concurrently, and a failing step fails the gate.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::thread;

use gates::run::{Status, executor};

use crate::one_slice;

fn pipeline_text(setup: &str) -> String {
    one_slice::text(
        &["one", "two"],
        &format!(
            "[gate.one]\ncommand = [\"true\"]\nsetup = {setup}\n\n[gate.two]\ncommand = [\"true\"]\nsetup = {setup}\n"
        ),
    )
}

#[test]
fn a_shared_setup_runs_once_even_when_gates_run_concurrently() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().to_path_buf();
    // The step is slow and creates its marker last, like an installation.
    let p = gates::load::load_str(
        &pipeline_text(
            r#"{ command = ["sh", "-c", "echo run >> count; sleep 0.3; mkdir -p deps/done"], unless_exists = "deps/done" }"#,
        ),
        Path::new("ci/t.toml"),
        Path::new("."),
    )
    .unwrap();
    let results: Vec<Status> = thread::scope(|s| {
        let hs: Vec<_> = ["one", "two"]
            .iter()
            .map(|g| {
                let (p, repo) = (&p, &repo);
                s.spawn(move || {
                    executor::run_gate(
                        p,
                        &p.gates[*g],
                        repo,
                        &repo.join("pass"),
                        &AtomicBool::new(false),
                        None,
                    )
                    .status
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(results, vec![Status::Passed, Status::Passed]);
    assert_eq!(
        std::fs::read_to_string(repo.join("count")).unwrap(),
        "run\n"
    );
}

#[test]
fn a_failing_setup_errors_the_gate_before_its_command() {
    let dir = tempfile::tempdir().unwrap();
    let p = gates::load::load_str(
        &pipeline_text(r#"{ command = ["sh", "-c", "echo no network >&2; exit 7"] }"#),
        Path::new("ci/t.toml"),
        Path::new("."),
    )
    .unwrap();
    let r = executor::run_gate(
        &p,
        &p.gates["one"],
        dir.path(),
        &dir.path().join("pass"),
        &AtomicBool::new(false),
        None,
    );
    // The gate's own check never ran: it could not judge (exit 2), not a failure of the
    // target.
    assert_eq!(r.status, Status::Errored);
    assert_eq!(
        r.reason.as_deref(),
        Some("could not judge: setup `sh -c echo no network >&2; exit 7` exited with status 7")
    );
    assert_eq!(r.findings.len(), 1);
    assert_eq!(r.findings[0].rule, "setup-failed");
    assert_eq!(
        r.findings[0].message,
        "setup `sh -c echo no network >&2; exit 7` exited with status 7"
    );
    assert!(
        r.findings[0]
            .help
            .as_deref()
            .unwrap()
            .contains("no network")
    );
}

#[test]
fn a_markerless_install_of_a_bun_workspace_runs_once_per_process() {
    // `{installed}` has no marker for bun: the step runs for the first gate and, having
    // succeeded, not again for the second. The stand-in `{install}` would be `bun install`,
    // so this pipeline spells the command itself and keeps the marker placeholder.
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().to_path_buf();
    std::fs::write(repo.join("bun.lock"), "{}\n").unwrap();
    let p = gates::load::load_str(
        &pipeline_text(
            r#"{ command = ["sh", "-c", "echo run >> count"], unless_exists = "{installed}" }"#,
        ),
        Path::new("ci/t.toml"),
        Path::new("."),
    )
    .unwrap();
    for g in ["one", "two"] {
        let r = executor::run_gate(
            &p,
            &p.gates[g],
            &repo,
            &repo.join("pass"),
            &AtomicBool::new(false),
            None,
        );
        assert_eq!(r.status, Status::Passed);
    }
    assert_eq!(
        std::fs::read_to_string(repo.join("count")).unwrap(),
        "run\n"
    );
    // With npm's marker the marker decides: it is missing, so the step runs each time.
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().to_path_buf();
    std::fs::write(repo.join("package-lock.json"), "{}\n").unwrap();
    for g in ["one", "two"] {
        executor::run_gate(
            &p,
            &p.gates[g],
            &repo,
            &repo.join("pass"),
            &AtomicBool::new(false),
            None,
        );
    }
    assert_eq!(
        std::fs::read_to_string(repo.join("count")).unwrap(),
        "run\nrun\n"
    );
}

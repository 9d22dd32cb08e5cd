//! The closure subcommands end to end: `artifacts init|check`, `cleanup plan|check|apply`,
//! `report`, on copies of the closure fixtures, with the fixture pipeline.

use std::path::Path;
use std::process::{Command, Output};

use assert_cmd::cargo::CommandCargoExt;

use crate::support;

use support::{copy_dir, git, workspace};

fn fixture(name: &str) -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    copy_dir(
        &workspace().join("tests/fixtures/closure").join(name),
        t.path(),
    );
    t
}

fn xtask(repo: &Path, args: &[&str]) -> Output {
    let mut c = Command::cargo_bin("xtask").unwrap();
    c.arg("--pipeline")
        .arg(workspace().join("tests/fixtures/closure/pipeline.toml"))
        .args(args)
        .arg("--repo")
        .arg(repo);
    c.env("NO_COLOR", "1")
        .env_remove(gates::artifacts::cleanup::ABORT_AFTER_STEP_ENV);
    c.output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn artifacts_init_writes_the_plan_once_with_its_checksum() {
    let t = fixture("pruned-pass-root");
    let runbook = t.path().join("runbook.md");
    std::fs::write(
        &runbook,
        "# Runbook\n\nVerbatim, with `code` and trailing spaces.  \n",
    )
    .unwrap();
    let o = xtask(
        t.path(),
        &["artifacts", "init", "--runbook", runbook.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let plan = std::fs::read(t.path().join("pass/ORCHESTRATOR_PLAN_VERBATIM.md")).unwrap();
    let (h, body) = gates::artifacts::plan::parse(&plan).unwrap();
    assert_eq!(body, std::fs::read(&runbook).unwrap());
    assert_eq!(h.sha256, gates::artifacts::plan::sha256_hex(body));
    // Only the runbook's file name is recorded, never the machine path it was read from.
    let header = String::from_utf8_lossy(&plan[..plan.iter().position(|b| *b == b'\n').unwrap()])
        .into_owned();
    assert!(
        header.contains("source=\"runbook.md\"") && !header.contains(t.path().to_str().unwrap()),
        "{header}"
    );
    assert!(t.path().join("pass/ORCHESTRATOR_SCRATCHPAD.md").is_file());

    // A second init refuses and changes nothing.
    std::fs::write(&runbook, "# Another runbook\n").unwrap();
    let o = xtask(
        t.path(),
        &["artifacts", "init", "--runbook", runbook.to_str().unwrap()],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("already exists"), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(t.path().join("pass/ORCHESTRATOR_PLAN_VERBATIM.md")).unwrap(),
        plan
    );
}

#[test]
fn artifacts_check_runs_the_orchestrator_and_agent_output_gates() {
    let t = fixture("complete");
    let o = xtask(t.path(), &["artifacts", "check"]);
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(
        stdout(&o).contains("PASS orchestrator-artifacts")
            && stdout(&o).contains("PASS agent-outputs"),
        "{}",
        stdout(&o)
    );

    let t = fixture("pruned-pass-root");
    let o = xtask(t.path(), &["artifacts", "check"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    assert!(
        out.contains("pass/ORCHESTRATOR_PLAN_VERBATIM.md: [plan-missing]"),
        "{out}"
    );
    assert!(
        out.contains("pass/A7_REVIEW_DISPOSITION.md:5:23: [cited-artifact-missing]"),
        "{out}"
    );
}

#[test]
fn cleanup_plan_check_apply() {
    let t = fixture("cleanup-before");
    git(t.path(), &["init", "-q", "-b", "main"]);
    git(t.path(), &["add", "-A"]);
    git(t.path(), &["commit", "-q", "-m", "before"]);
    // No manifest yet: the gate fails and says how to write one.
    let o = xtask(t.path(), &["cleanup", "check"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stdout(&o).contains("[manifest-missing]"), "{}", stdout(&o));

    let o = xtask(t.path(), &["cleanup", "plan"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("delete   AGENT_1_PLAN_VERBATIM.md"),
        "{}",
        stdout(&o)
    );
    assert!(t.path().join("pass/A8_CLEANUP_MANIFEST.md").is_file());

    // Dry run by default.
    let o = xtask(t.path(), &["cleanup", "apply"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("would git rm -- pass/AGENT_1_PLAN_VERBATIM.md"),
        "{}",
        stdout(&o)
    );
    assert!(stdout(&o).contains("pass --yes to apply"));
    assert!(t.path().join("pass/AGENT_1_PLAN_VERBATIM.md").exists());

    let o = xtask(t.path(), &["cleanup", "apply", "--yes"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!t.path().join("pass/AGENT_1_PLAN_VERBATIM.md").exists());
    // The guide still links to the deleted plan: check names the place.
    let o = xtask(t.path(), &["cleanup", "check"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("docs/guide.md:3:45: [link-to-deleted-path]"),
        "{}",
        stdout(&o)
    );
}

/// `cleanup plan` on a manifest a person wrote: it says what it kept, added and left out.
#[test]
fn cleanup_plan_on_a_hand_written_manifest_says_what_it_kept_and_added() {
    let t = fixture("hand-written-manifest");
    let m = t.path().join("pass/A8_CLEANUP_MANIFEST.md");
    let before = std::fs::read(&m).unwrap();
    let o = xtask(t.path(), &["cleanup", "plan"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let shown = stdout(&o).replace(&m.display().to_string(), "MANIFEST");
    assert_eq!(
        shown,
        "MANIFEST: every file of the pass root is in it (13 entries); nothing added, the file is unchanged\n\
         not added, written by the cleanup slice or after it (docs-cleanup accepts them unmentioned): A9_PHASE_B_READINESS.md, AGENT_A8_REVIEW.md, AGENT_A8_REVIEW_RERUN.md\n"
    );
    assert_eq!(std::fs::read(&m).unwrap(), before);

    std::fs::write(t.path().join("pass/notes.txt"), "loose\n").unwrap();
    let o = xtask(t.path(), &["cleanup", "plan"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let shown = stdout(&o).replace(&m.display().to_string(), "MANIFEST");
    assert_eq!(
        shown,
        "archive  notes.txt  (not a known pass artifact: archived rather than deleted)\n\
         added 1 file(s) the manifest did not mention, under `Added by cleanup plan` at its end; everything it said is kept as written: MANIFEST\n\
         not added, written by the cleanup slice or after it (docs-cleanup accepts them unmentioned): A9_PHASE_B_READINESS.md, AGENT_A8_REVIEW.md, AGENT_A8_REVIEW_RERUN.md\n"
    );
    assert!(std::fs::read(&m).unwrap().starts_with(&before));
}

/// A document over the cap is not read whole (a 190 MB disposition took 32 s and 2.5 GB,
/// then passed): the gate could not judge it, exit 2, naming the file and the cap.
#[test]
fn an_oversized_document_is_refused_naming_the_file_and_the_cap() {
    let t = fixture("complete");
    let doc = t.path().join("pass/A7_REVIEW_DISPOSITION.md");
    std::fs::File::options()
        .write(true)
        .open(&doc)
        .unwrap()
        .set_len(190 * 1024 * 1024)
        .unwrap();
    let o = xtask(t.path(), &["gate", "review-closure"]);
    assert_eq!(o.status.code(), Some(2), "{}", stdout(&o));
    assert!(
        stdout(&o).contains(&format!(
            "{}: is over the 8 MiB limit of a document the gates read (8388608 bytes)",
            doc.display()
        )),
        "{}",
        stdout(&o)
    );
}

#[test]
fn cleanup_apply_refusal_exits_2_and_changes_nothing() {
    let t = fixture("cleanup-before");
    git(t.path(), &["init", "-q", "-b", "main"]);
    git(t.path(), &["add", "-A"]);
    git(t.path(), &["commit", "-q", "-m", "before"]);
    std::fs::write(t.path().join("src/app.ts"), "export {};\n").unwrap();
    let o = xtask(t.path(), &["cleanup", "apply", "--yes"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("refused, nothing was changed"),
        "{}",
        stderr(&o)
    );
    assert!(t.path().join("pass/AGENT_1_PLAN_VERBATIM.md").exists());
    assert!(!t.path().join("pass/A8_CLEANUP_MANIFEST.md").exists());
}

#[test]
fn report_needs_a_run_then_writes_both_documents() {
    let t = fixture("complete");
    std::fs::remove_file(t.path().join("pass/PHASE_A_EXECUTION_REPORT.md")).unwrap();
    std::fs::remove_file(t.path().join("pass/FINAL_PHASE_A_HANDOFF.md")).unwrap();
    git(t.path(), &["init", "-q", "-b", "main"]);
    git(t.path(), &["add", "-A"]);
    git(t.path(), &["commit", "-q", "-m", "pass"]);
    let o = xtask(t.path(), &["report"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("last-run.json"), "{}", stderr(&o));

    // First run: A8 fails (the manifest retains the two documents, which do not exist yet).
    let phase_a = |t: &Path| {
        let mut c = Command::cargo_bin("xtask").unwrap();
        c.arg("--pipeline")
            .arg(workspace().join("tests/fixtures/closure/pipeline.toml"))
            .args(["phase-a", "-j", "1", "--repo"])
            .arg(t)
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let o = phase_a(t.path());
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let o = xtask(t.path(), &["report"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let report =
        std::fs::read_to_string(t.path().join("pass/PHASE_A_EXECUTION_REPORT.md")).unwrap();
    assert!(
        report.contains("gate docs-cleanup: failed") && report.contains("gate preflight: passed"),
        "{report}"
    );
    assert!(
        !report.contains(t.path().to_str().unwrap()),
        "the report names a machine path"
    );
    // Handing off that red run fails, however truthful the report is.
    git(t.path(), &["add", "-A"]);
    git(t.path(), &["commit", "-q", "-m", "report of a red run"]);
    let o = xtask(t.path(), &["gate", "handoff"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o)
            .contains("[run-not-green] the run being handed off is not green: docs-cleanup failed"),
        "{}",
        stdout(&o)
    );

    // Second run: green up to the handoff, which finds the committed report stale.
    let o = phase_a(t.path());
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert!(stdout(&o).contains("[report-stale]"), "{}", stdout(&o));
    // Regenerated and committed, the report agrees; a third run is green.
    assert_eq!(xtask(t.path(), &["report"]).status.code(), Some(0));
    git(t.path(), &["add", "-A"]);
    git(t.path(), &["commit", "-q", "-m", "report"]);
    let o = xtask(t.path(), &["gate", "handoff"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let o = phase_a(t.path());
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

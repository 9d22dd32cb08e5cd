//! `preflight` and `handoff`: the gates that read git state and the run, on temporary git
//! repositories built from the complete fixture.

use crate::closure_support;

use std::path::Path;

use closure_support::*;
use gates::checks::RunSoFar;
use gates::run::Status;

const PREFLIGHT: &str = "[gate.preflight]\ncheck = \"preflight\"\n";

fn preflight_with(params: &str) -> gates::pipeline::Pipeline {
    pipeline_with(PREFLIGHT, &format!("{PREFLIGHT}params = {params}\n"))
}

fn general(r: &gates::run::GateResult) -> Vec<String> {
    r.findings
        .iter()
        .filter(|f| f.path.is_none())
        .map(|f| f.rule.clone())
        .collect()
}

#[test]
fn preflight_passes_on_a_clean_repo_and_says_the_branch_is_not_checked() {
    let t = fixture("complete");
    git_repo(t.path());
    let r = run("preflight", t.path(), None);
    assert_eq!(errors(&r), vec![]);
    assert!(
        r.notes.iter().any(|n| n.contains("branch is not checked")),
        "{:?}",
        r.notes
    );
    // Nothing of the tool's was ignored: no note about it (every preflight printed one).
    assert!(
        !r.notes.iter().any(|n| n.contains("tool's own files")),
        "{:?}",
        r.notes
    );
    // When one is ignored, a short note names it.
    std::fs::write(
        t.path().join("pass/ORCHESTRATOR_SCRATCHPAD.md"),
        "# Scratchpad\n\n- appended by a run\n",
    )
    .unwrap();
    let r = run("preflight", t.path(), None);
    assert_eq!(errors(&r), vec![]);
    assert!(
        r.notes
            .iter()
            .any(|n| n == "ignored, the tool's own files: pass/ORCHESTRATOR_SCRATCHPAD.md"),
        "{:?}",
        r.notes
    );
    git(
        t.path(),
        &["checkout", "--", "pass/ORCHESTRATOR_SCRATCHPAD.md"],
    );

    let p = preflight_with("{ branch = \"main\", parent_branch = \"main\" }");
    assert_eq!(errors(&run_in(&p, "preflight", t.path(), None)), vec![]);
}

#[test]
fn preflight_reports_each_uncommitted_path() {
    let t = fixture("complete");
    git_repo(t.path());
    std::fs::write(t.path().join("src/app.ts"), "export {};\n").unwrap();
    std::fs::write(t.path().join("src/new.ts"), "export {};\n").unwrap();
    std::fs::write(t.path().join("docs/staged.md"), "# staged\n").unwrap();
    git(t.path(), &["add", "docs/staged.md"]);
    let r = run("preflight", t.path(), None);
    assert_eq!(
        errors(&r),
        vec![
            f("worktree-dirty", "docs/staged.md", 0, 0),
            f("worktree-dirty", "src/app.ts", 0, 0),
            f("worktree-dirty", "src/new.ts", 0, 0),
        ]
    );
}

#[test]
fn preflight_ignores_the_tools_own_files() {
    let t = fixture("complete");
    git_repo(t.path());
    std::fs::create_dir_all(t.path().join(".rawr-gates")).unwrap();
    std::fs::write(t.path().join(".rawr-gates/last-run.json"), "{}").unwrap();
    let sp = t.path().join("pass/ORCHESTRATOR_SCRATCHPAD.md");
    let mut text = std::fs::read_to_string(&sp).unwrap();
    text.push_str("- 2026-02-20T10:00:00Z run started\n");
    std::fs::write(&sp, text).unwrap();
    assert_eq!(errors(&run("preflight", t.path(), None)), vec![]);
}

#[test]
fn preflight_checks_branch_and_parent() {
    let t = fixture("complete");
    git_repo(t.path());
    let p = preflight_with("{ branch = \"codex/phase-a\", parent_branch = \"codex/assessment\" }");
    let r = run_in(&p, "preflight", t.path(), None);
    assert_eq!(general(&r), vec!["parent-branch-missing", "wrong-branch"]);

    git(t.path(), &["switch", "-q", "-c", "codex/phase-a"]);
    git(t.path(), &["branch", "codex/assessment", "main"]);
    assert_eq!(
        general(&run_in(&p, "preflight", t.path(), None)),
        Vec::<String>::new()
    );

    git(t.path(), &["switch", "-q", "--detach"]);
    assert_eq!(
        general(&run_in(&p, "preflight", t.path(), None)),
        vec!["detached-head"]
    );
}

/// Leaves a merge in progress whose result is HEAD's tree: `git status` lists nothing.
fn start_a_clean_looking_merge(dir: &Path) {
    git(dir, &["switch", "-q", "-c", "other"]);
    std::fs::write(dir.join("docs/other.md"), "# other\n").unwrap();
    git(dir, &["add", "docs/other.md"]);
    git(dir, &["commit", "-q", "-m", "other"]);
    git(dir, &["switch", "-q", "main"]);
    git(dir, &["merge", "-q", "-s", "ours", "--no-commit", "other"]);
    // Nothing but the tool's own files (a run's record and scratchpad entries).
    let status = git(dir, &["status", "--porcelain"]);
    let other: Vec<&str> = status
        .lines()
        .filter(|l| !l.ends_with(".rawr-gates/") && !l.ends_with("ORCHESTRATOR_SCRATCHPAD.md"))
        .collect();
    assert_eq!(other, Vec::<&str>::new());
}

#[test]
fn preflight_refuses_a_merge_in_progress_even_with_a_clean_status() {
    let t = fixture("complete");
    git_repo(t.path());
    start_a_clean_looking_merge(t.path());
    let r = run("preflight", t.path(), None);
    assert_eq!(errors(&r), vec![f("git-operation-in-progress", "", 0, 0)]);
    assert!(
        r.findings[0].message.contains("a merge"),
        "{:?}",
        r.findings
    );
    git(t.path(), &["merge", "--abort"]);
    assert_eq!(errors(&run("preflight", t.path(), None)), vec![]);
}

#[test]
fn preflight_prints_the_worktree_creation_command_when_it_is_missing() {
    let t = fixture("complete");
    git_repo(t.path());
    let wt = tempfile::tempdir().unwrap();
    let wt_path = wt.path().join("wt-phase-a");
    let cmd = format!("git worktree add -b phase-a {} main", wt_path.display());
    let p = preflight_with(&format!(
        "{{ worktree = {:?}, create_command = {:?} }}",
        wt_path.display().to_string(),
        cmd
    ));
    let r = run_in(&p, "preflight", t.path(), None);
    assert_eq!(general(&r), vec!["worktree-missing"]);
    assert_eq!(
        r.findings[0].help.as_deref(),
        Some(format!("create it with: {cmd}").as_str())
    );
    assert!(r.notes.iter().any(|n| n.contains(&cmd)));
    // The gate did not create it.
    assert!(!wt_path.exists());

    std::fs::create_dir_all(&wt_path).unwrap();
    assert_eq!(
        general(&run_in(&p, "preflight", t.path(), None)),
        vec!["worktree-not-registered"]
    );
    std::fs::remove_dir(&wt_path).unwrap();
    git(
        t.path(),
        &[
            "worktree",
            "add",
            "-q",
            "-b",
            "phase-a",
            &wt_path.display().to_string(),
            "main",
        ],
    );
    assert_eq!(
        general(&run_in(&p, "preflight", t.path(), None)),
        Vec::<String>::new()
    );
    // The execution worktree must be clean too.
    std::fs::write(wt_path.join("src/app.ts"), "export {};\n").unwrap();
    let r = run_in(&p, "preflight", t.path(), None);
    assert_eq!(general(&r), vec!["worktree-dirty"]);
    assert!(
        r.findings[0].message.contains("`src/app.ts`"),
        "{}",
        r.findings[0].message
    );
}

#[test]
fn preflight_judges_only_the_target_inside_a_larger_repository() {
    let outer = tempfile::tempdir().unwrap();
    let target = outer.path().join("examples/hq");
    std::fs::create_dir_all(&target).unwrap();
    let t = fixture("complete");
    for e in std::fs::read_dir(t.path()).unwrap() {
        let e = e.unwrap();
        std::fs::rename(e.path(), target.join(e.file_name())).unwrap();
    }
    std::fs::write(outer.path().join("Cargo.toml"), "[workspace]\n").unwrap();
    git_repo(outer.path());
    // Dirt outside the target does not count; dirt inside does, relative to the target.
    std::fs::write(
        outer.path().join("Cargo.toml"),
        "[workspace]\nmembers = []\n",
    )
    .unwrap();
    assert_eq!(errors(&run("preflight", &target, None)), vec![]);
    std::fs::write(target.join("src/app.ts"), "export {};\n").unwrap();
    assert_eq!(
        errors(&run("preflight", &target, None)),
        vec![f("worktree-dirty", "src/app.ts", 0, 0)]
    );
}

#[test]
fn preflight_outside_git_is_a_finding() {
    let t = fixture("complete");
    let r = run("preflight", t.path(), None);
    assert_eq!(general(&r), vec!["not-a-git-repo"]);
}

#[test]
fn preflight_never_changes_git_state() {
    let t = fixture("complete");
    git_repo(t.path());
    // A touched file makes a plain `git status` refresh (rewrite) the index.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let app = t.path().join("src/app.ts");
    let text = std::fs::read(&app).unwrap();
    std::fs::write(&app, &text).unwrap();
    let index = t.path().join(".git/index");
    let before = std::fs::read(&index).unwrap();
    let head = git(t.path(), &["rev-parse", "HEAD"]);
    let p = preflight_with("{ branch = \"main\", parent_branch = \"main\" }");
    assert_eq!(errors(&run_in(&p, "preflight", t.path(), None)), vec![]);
    assert_eq!(
        std::fs::read(&index).unwrap(),
        before,
        "the index was rewritten"
    );
    assert_eq!(git(t.path(), &["rev-parse", "HEAD"]), head);
    assert!(!t.path().join(".git/index.lock").exists());
}

fn line_of(path: &Path, needle: &str) -> u32 {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .position(|l| l.trim() == needle)
        .unwrap_or_else(|| panic!("{needle:?} not in {}", path.display())) as u32
        + 1
}

const REPORT: &str = "pass/PHASE_A_EXECUTION_REPORT.md";
const HANDOFF: &str = "pass/FINAL_PHASE_A_HANDOFF.md";

#[test]
fn handoff_alone_without_a_last_run_says_so() {
    let t = fixture("complete");
    git_repo(t.path());
    let r = run("handoff", t.path(), None);
    assert_eq!(general(&r), vec!["last-run-missing"]);
}

#[test]
fn handoff_alone_compares_with_the_last_run() {
    let t = fixture("complete");
    git_repo(t.path());
    let (record, _) = run_pipeline(t.path());
    assert_eq!(record.exit_code, 0, "{:#?}", record.gates);
    // The run appended to the scratchpad (asked to log): the tree still counts as clean.
    assert_eq!(errors(&run("handoff", t.path(), None)), vec![]);
}

#[test]
fn handoff_alone_after_a_one_gate_run_does_not_take_the_rest_as_passed() {
    let t = fixture("complete");
    // Make the review red, run everything: the phase is red.
    let a7 = t.path().join("pass/A7_REVIEW_DISPOSITION.md");
    let text = std::fs::read_to_string(&a7)
        .unwrap()
        .replace("| R-1 | high | resolved |", "| R-1 | high | open |");
    std::fs::write(&a7, text).unwrap();
    git_repo(t.path());
    let (record, _) = run_pipeline(t.path());
    assert_ne!(record.exit_code, 0);
    // Then one green gate alone (`cargo xtask gate preflight`) overwrites the record: it
    // holds that gate only. The committed report still claims everything passed.
    let last = gates::artifacts::last_run_path(t.path());
    let mut json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&last).unwrap()).unwrap();
    json["gates"]
        .as_array_mut()
        .unwrap()
        .retain(|g| g["id"] == "preflight");
    json["selection"] = "gate preflight".into();
    std::fs::write(&last, serde_json::to_vec(&json).unwrap()).unwrap();
    let r = run("handoff", t.path(), None);
    // Before: review-closure and the rest were taken as passed, and the handoff was green.
    assert_eq!(errors(&r), vec![f("last-run-partial", "", 0, 0)]);
    let msg = &r.findings[0].message;
    assert!(
        msg.contains("selection: gate preflight") && msg.contains("review-closure"),
        "{msg}"
    );
}

#[test]
fn handoff_refuses_a_merge_in_progress_even_with_a_clean_status() {
    let t = fixture("complete");
    git_repo(t.path());
    let (record, _) = run_pipeline(t.path());
    assert_eq!(record.exit_code, 0, "{:#?}", record.gates);
    start_a_clean_looking_merge(t.path());
    assert_eq!(
        errors(&run("handoff", t.path(), None)),
        vec![f("git-operation-in-progress", "", 0, 0)]
    );
}

#[test]
fn a_report_claiming_green_after_a_red_run_fails() {
    let t = fixture("complete");
    // Make the review red: an open high finding.
    let a7 = t.path().join("pass/A7_REVIEW_DISPOSITION.md");
    let text = std::fs::read_to_string(&a7)
        .unwrap()
        .replace("| R-1 | high | resolved |", "| R-1 | high | open |");
    std::fs::write(&a7, text).unwrap();
    git_repo(t.path());
    let (record, _) = run_pipeline(t.path());
    let red: Vec<(&str, Status)> = record
        .gates
        .iter()
        .filter(|g| g.status != Status::Passed)
        .map(|g| (g.id.as_str(), g.status))
        .collect();
    assert_eq!(red[0], ("review-closure", Status::Failed));
    // The committed report still claims everything passed.
    let r = run("handoff", t.path(), None);
    let mut want = Vec::new();
    for doc in [REPORT, HANDOFF] {
        let path = t.path().join(doc);
        want.push(f(
            "report-claims-green-but-run-red",
            doc,
            line_of(&path, "gate review-closure: passed"),
            1,
        ));
        // Under --keep-going the dependents ran or were skipped; each disagreeing claim is
        // reported, except the handoff gate's own (it cannot know its own outcome).
        for (id, _) in red.iter().skip(1).filter(|(id, _)| *id != "handoff") {
            want.push(f(
                "report-claims-green-but-run-red",
                doc,
                line_of(&path, &format!("gate {id}: passed")),
                1,
            ));
        }
    }
    // And the run being handed off is not green.
    want.push(f("run-not-green", "", 0, 0));
    want.sort();
    let mut got = errors(&r);
    got.sort();
    assert_eq!(got, want);
}

#[test]
fn a_stale_report_claiming_red_after_a_green_run_fails_inside_the_run() {
    let t = fixture("complete");
    for doc in [REPORT, HANDOFF] {
        let p = t.path().join(doc);
        let text = std::fs::read_to_string(&p)
            .unwrap()
            .replace("gate docs-cleanup: passed", "gate docs-cleanup: failed");
        std::fs::write(&p, text).unwrap();
    }
    git_repo(t.path());
    // Inside a run: docs-cleanup passed earlier in this run; the gates not selected (here
    // everything before A9, as under `--stage 5 --stage 6`) count as passed.
    let so_far = RunSoFar {
        earlier: vec![],
        selected: ["phase-b-readiness", "handoff"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    let r = run("handoff", t.path(), Some(&so_far));
    assert_eq!(
        errors(&r),
        vec![
            f(
                "report-stale",
                HANDOFF,
                line_of(&t.path().join(HANDOFF), "gate docs-cleanup: failed"),
                1
            ),
            f(
                "report-stale",
                REPORT,
                line_of(&t.path().join(REPORT), "gate docs-cleanup: failed"),
                1
            ),
        ]
    );
    // A gate of this run that has not finished is not compared, and says so.
    let so_far = RunSoFar {
        earlier: vec![],
        selected: ["docs-cleanup", "handoff"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    let r = run("handoff", t.path(), Some(&so_far));
    assert_eq!(errors(&r), vec![]);
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("`docs-cleanup` has not finished")),
        "{:?}",
        r.notes
    );
}

#[test]
fn handoff_inside_a_run_uses_this_runs_results() {
    let t = fixture("complete");
    git_repo(t.path());
    let mut earlier = run("docs-cleanup", t.path(), None);
    earlier.status = Status::Failed;
    let so_far = RunSoFar {
        earlier: vec![earlier],
        selected: ["docs-cleanup", "handoff"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
    };
    let r = run("handoff", t.path(), Some(&so_far));
    assert_eq!(
        errors(&r),
        vec![
            // Cannot happen in a real run (the handoff would be skipped), but judged all the same.
            f("run-not-green", "", 0, 0),
            f(
                "report-claims-green-but-run-red",
                HANDOFF,
                line_of(&t.path().join(HANDOFF), "gate docs-cleanup: passed"),
                1
            ),
            f(
                "report-claims-green-but-run-red",
                REPORT,
                line_of(&t.path().join(REPORT), "gate docs-cleanup: passed"),
                1
            ),
        ]
    );
}

#[test]
fn handoff_requires_outputs_claims_and_a_committed_tree() {
    let t = fixture("complete");
    std::fs::remove_file(t.path().join(HANDOFF)).unwrap();
    let p = t.path().join(REPORT);
    let text = std::fs::read_to_string(&p).unwrap();
    let start = text.find("<!-- rawr-gates:claims").unwrap();
    std::fs::write(&p, &text[..start]).unwrap();
    git_repo(t.path());
    std::fs::write(t.path().join("src/app.ts"), "export {};\n").unwrap();
    let so_far = RunSoFar::default();
    let r = run("handoff", t.path(), Some(&so_far));
    assert_eq!(
        errors(&r),
        vec![
            f("required-output-missing", HANDOFF, 0, 0),
            f("report-claims-missing", REPORT, 0, 0),
            f("worktree-dirty", "src/app.ts", 0, 0),
        ]
    );
}

#[test]
fn handoff_flags_unknown_and_missing_gate_claims() {
    let t = fixture("complete");
    for doc in [REPORT, HANDOFF] {
        let p = t.path().join(doc);
        let text = std::fs::read_to_string(&p)
            .unwrap()
            .replace(
                "gate agent-outputs: passed\n",
                "gate agent-output: passed\n",
            )
            .replace("gate docs-cleanup: passed\n", "gate docs-cleanup: green\n");
        std::fs::write(&p, text).unwrap();
    }
    git_repo(t.path());
    let r = run("handoff", t.path(), Some(&RunSoFar::default()));
    let mut want = Vec::new();
    for doc in [REPORT, HANDOFF] {
        let path = t.path().join(doc);
        want.push(f(
            "report-unknown-gate",
            doc,
            line_of(&path, "gate agent-output: passed"),
            1,
        ));
        want.push(f(
            "report-claim-invalid",
            doc,
            line_of(&path, "gate docs-cleanup: green"),
            1,
        ));
        // `agent-outputs` has no claim left; `docs-cleanup` has one, invalid, reported once.
        want.push(f(
            "report-missing-gate",
            doc,
            line_of(&path, "<!-- rawr-gates:claims"),
            1,
        ));
    }
    want.sort();
    let mut got = errors(&r);
    got.sort();
    assert_eq!(got, want);
}

//! The harness matrix on recorded runner reports: one fixture tree per scenario under
//! `tests/fixtures/harness/`, each judged through the pipeline like a real run, with the exact
//! findings asserted. The vitest reports were produced by running vitest 3 on the fixture
//! trees; absolute paths in them are stored as `@ROOT@` and rewritten to the copy's location.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use gates::Severity;
use gates::checks::harness_matrix;
use gates::run::{GateResult, Status, executor};

use crate::fixture_tree;
use crate::one_slice;

fn copy_fixture(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    fixture_tree::copy("harness", name)
}

/// A one-gate pipeline whose gate `harness-matrix` has the given body.
fn pipeline_with(gate_body: &str) -> gates::pipeline::Pipeline {
    one_slice::pipeline(
        &["harness-matrix"],
        &format!("[gate.harness-matrix]\n{gate_body}\n"),
    )
}

fn run(repo: &Path, gate_body: &str) -> GateResult {
    let p = pipeline_with(gate_body);
    let g = &p.gates["harness-matrix"];
    executor::run_gate(
        &p,
        g,
        repo,
        &repo.join("pass"),
        &AtomicBool::new(false),
        None,
    )
}

fn judge(scenario: &str, gate_body: &str) -> GateResult {
    let (_dir, root) = copy_fixture(scenario);
    run(&root, gate_body)
}

type Row = (String, Option<String>, u32, u32);

fn errors(r: &GateResult) -> Vec<Row> {
    r.findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| (f.rule.clone(), f.path.clone(), f.line, f.col))
        .collect()
}

fn row(rule: &str, path: Option<&str>, line: u32, col: u32) -> Row {
    (rule.into(), path.map(str::to_string), line, col)
}

const VITEST: &str = r#"check = "harness-matrix"
params = { report = "report.json" }"#;

#[test]
fn all_passing_is_green_with_every_default_id_passed() {
    let r = judge("all-passing", VITEST);
    assert_eq!(r.status, Status::Passed, "{r:#?}");
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    let matrix = r.notes.iter().find(|n| n.starts_with("matrix: ")).unwrap();
    for id in harness_matrix::DEFAULT_SUITES
        .iter()
        .chain(harness_matrix::DEFAULT_ASSERTIONS)
    {
        assert!(
            matrix.contains(&format!("{id}: passed")),
            "{id} in {matrix}"
        );
    }
}

#[test]
fn ids_only_in_a_constant_or_a_comment_are_declared_only() {
    let r = judge("ids-only-in-constant-or-comment", VITEST);
    assert_eq!(r.status, Status::Failed);
    assert_eq!(
        errors(&r),
        vec![
            row(
                "harness-declared-only",
                Some("packages/hq/test/metadata-import-boundary.test.ts"),
                3,
                34
            ),
            row(
                "harness-declared-only",
                Some("plugins/cli/plugins/test/in-process.test.ts"),
                4,
                6
            ),
        ]
    );
    assert!(
        r.findings[0]
            .message
            .contains("a string that is neither a test's name")
    );
    assert!(r.findings[1].message.contains("a comment"));
}

#[test]
fn a_skipped_suite_is_skipped() {
    let r = judge("skipped-suite", VITEST);
    assert_eq!(
        errors(&r),
        vec![row(
            "harness-skipped",
            Some("apps/server/test/route-boundary-matrix.test.ts"),
            20,
            16
        )]
    );
    assert!(
        r.findings[0]
            .message
            .starts_with("`suite:api:boundary`: skipped")
    );
}

#[test]
fn a_todo_assertion_is_todo() {
    let r = judge("todo-assertion", VITEST);
    assert_eq!(
        errors(&r),
        vec![row(
            "harness-todo",
            Some("plugins/cli/plugins/test/in-process.test.ts"),
            7,
            12
        )]
    );
}

#[test]
fn a_suite_without_tests_is_zero_tests() {
    let r = judge("zero-tests", VITEST);
    assert_eq!(
        errors(&r),
        vec![row(
            "harness-zero-tests",
            Some("apps/server/test/route-boundary-matrix.test.ts"),
            26,
            11
        )]
    );
}

#[test]
fn a_failing_negative_fails_its_assertion_and_its_suite() {
    let r = judge("failing-negative", VITEST);
    assert_eq!(
        errors(&r),
        vec![
            row(
                "harness-failed",
                Some("apps/server/test/route-boundary-matrix.test.ts"),
                5,
                11
            ),
            row(
                "harness-failed",
                Some("apps/server/test/route-boundary-matrix.test.ts"),
                9,
                7
            ),
        ]
    );
    let msgs: Vec<&str> = r.findings.iter().map(|f| f.message.as_str()).collect();
    assert!(
        msgs[0].starts_with("`suite:web:first-party-rpc`: failed"),
        "{msgs:?}"
    );
    assert!(
        msgs[1].starts_with("`assertion:reject-rpc-from-external-callers`: failed"),
        "{msgs:?}"
    );
    assert!(msgs[1].contains("AssertionError"), "{msgs:?}");
}

#[test]
fn a_missing_suite_and_its_assertion_are_missing() {
    let r = judge("missing-suite", VITEST);
    assert_eq!(
        errors(&r),
        vec![
            row("harness-missing", None, 0, 0),
            row("harness-missing", None, 0, 0),
        ]
    );
    let msgs: Vec<&str> = r.findings.iter().map(|f| f.message.as_str()).collect();
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("`suite:cli:in-process`: missing"))
    );
    assert!(
        msgs.iter()
            .any(|m| m.starts_with("`assertion:in-process-no-local-http-self-call`: missing"))
    );
}

#[test]
fn a_file_that_fails_to_load_is_reported_and_its_ids_are_declared_only() {
    let r = judge("file-fails-to-load", VITEST);
    let f = "packages/hq/test/metadata-import-boundary.test.ts";
    assert_eq!(
        errors(&r),
        vec![
            row("harness-file-failed", Some(f), 0, 0),
            row("harness-declared-only", Some(f), 4, 11),
        ]
    );
    assert!(r.findings[0].message.contains("Cannot find module"));
}

#[test]
fn junit_reports_an_empty_suite_as_zero_tests() {
    let r = judge(
        "junit-zero-tests",
        r#"check = "harness-matrix"
params = { report = "junit.xml", report_format = "junit" }"#,
    );
    assert_eq!(
        errors(&r),
        vec![row(
            "harness-zero-tests",
            Some("apps/server/test/route-boundary-matrix.test.ts"),
            26,
            11
        )]
    );
}

#[test]
fn nextest_list_and_junit_give_every_outcome_for_rust_targets() {
    nextest_outcomes(r#"nextest_list = "list.json""#);
}

#[test]
fn the_nextest_list_can_come_from_a_command() {
    // `cat` stands in for `cargo nextest list --message-format json`: what matters here is
    // that the whole stdout is kept and parsed, not only the output tail.
    nextest_outcomes(r#"nextest_list_command = ["cat", "list.json"]"#);
}

#[test]
fn a_failing_list_command_is_a_finding() {
    let r = judge(
        "nextest",
        r#"check = "harness-matrix"
params = { report = "junit.xml", nextest_list_command = ["sh", "-c", "echo does not compile >&2; exit 101"] }"#,
    );
    assert_eq!(errors(&r), vec![row("harness-list-failed", None, 0, 0)]);
    assert!(
        r.findings[0]
            .help
            .as_deref()
            .unwrap()
            .contains("does not compile")
    );
}

fn nextest_outcomes(list: &str) {
    let r = judge(
        "nextest",
        &format!(
            r#"check = "harness-matrix"
[gate.harness-matrix.params]
report = "junit.xml"
{list}
test_roots = ["src"]
suites = ["suite:web:first-party-rpc", "suite:runtime:ingress", "suite:api:boundary"]
assertions = ["assertion:reject-rpc-from-external-callers"]"#
        ),
    );
    let got: Vec<(String, String)> = r
        .findings
        .iter()
        .map(|f| (f.rule.clone(), f.message.clone()))
        .collect();
    assert_eq!(got.len(), 3, "{got:#?}");
    assert_eq!(got[0].0, "harness-failed");
    assert!(
        got[0].1.starts_with("`suite:api:boundary`: failed"),
        "{got:?}"
    );
    assert!(got[0].1.contains("panicked at src/lib.rs:16:18"), "{got:?}");
    assert_eq!(got[1].0, "harness-missing");
    assert!(
        got[1]
            .1
            .starts_with("`assertion:reject-rpc-from-external-callers`")
    );
    assert_eq!(got[2].0, "harness-skipped");
    assert!(
        got[2].1.contains("suite_runtime_ingress::ignored_case"),
        "{got:?}"
    );
    let matrix = r.notes.iter().find(|n| n.starts_with("matrix: ")).unwrap();
    assert!(
        matrix.contains("suite:web:first-party-rpc: passed"),
        "{matrix}"
    );
}

/// The all-passing fixture with its report moved aside, so a command can "write" it: the
/// run's `startTime` becomes `@START@`, which the command stamps with the time it runs (a
/// copied report that keeps its old start time is an earlier run's, and stale).
fn with_report_source() -> (tempfile::TempDir, PathBuf) {
    let (dir, root) = copy_fixture("all-passing");
    let text = std::fs::read_to_string(root.join("report.json")).unwrap();
    let stamped = text.replacen("\"startTime\": 1795492673868", "\"startTime\": @START@", 1);
    assert_ne!(stamped, text, "the fixture's run start time");
    std::fs::write(root.join("recorded.json"), stamped).unwrap();
    std::fs::remove_file(root.join("report.json")).unwrap();
    (dir, root)
}

const COMMAND_GATE: &str = r#"check = "harness-matrix"
command = ["sh", "-c", "sed \"s/@START@/$(date +%s)000/\" recorded.json > .rawr-gates/report.json"]
report = { path = ".rawr-gates/report.json", format = "vitest-json" }
setup = { command = ["mkdir", "-p", ".rawr-gates"], unless_exists = ".rawr-gates" }"#;

#[test]
fn a_command_gate_runs_setup_then_the_runner_and_records_the_revision() {
    let (_dir, root) = with_report_source();
    let r = run(&root, COMMAND_GATE);
    assert_eq!(r.status, Status::Passed, "{r:#?}");
    let prov = harness_matrix::Provenance::read(&root.join(".rawr-gates/report.json"))
        .expect("provenance recorded next to the report");
    assert_eq!(prov.gate, "harness-matrix");
    assert_eq!(prov.exit_code, Some(0));
    assert!(
        r.notes
            .iter()
            .any(|n| n.starts_with("report .rawr-gates/report.json made at revision"))
    );

    // Judging the same report later, without running anything, states its age and revision.
    let p = pipeline_with(COMMAND_GATE);
    let later = harness_matrix::judge_existing_result(
        &p.gates["harness-matrix"],
        &root,
        &root.join(".rawr-gates/report.json"),
    );
    assert_eq!(later.status, Status::Passed, "{later:#?}");
    let note = &later.notes[0];
    assert!(
        note.contains("old (from the report's own start time)"),
        "{note}"
    );
    assert!(note.contains("recorded by gate `harness-matrix`"), "{note}");
}

#[test]
fn judging_a_report_without_provenance_says_the_revision_is_unknown() {
    let (_dir, root) = copy_fixture("failing-negative");
    let p = pipeline_with(VITEST);
    let r = harness_matrix::judge_existing_result(
        &p.gates["harness-matrix"],
        &root,
        &root.join("report.json"),
    );
    assert_eq!(r.status, Status::Failed);
    assert!(
        r.notes[0].contains("revision: unknown: no provenance was recorded"),
        "{}",
        r.notes[0]
    );
}

#[test]
fn a_runner_that_writes_no_report_is_a_finding() {
    let (_dir, root) = with_report_source();
    let r = run(
        &root,
        r#"check = "harness-matrix"
command = ["sh", "-c", "echo cannot find vitest >&2; exit 127"]
report = { path = "out/report.json", format = "vitest-json" }"#,
    );
    assert_eq!(
        errors(&r),
        vec![row("harness-report-missing", Some("out/report.json"), 0, 0)]
    );
    assert!(
        r.findings[0]
            .help
            .as_deref()
            .unwrap()
            .contains("cannot find vitest")
    );
}

#[test]
fn a_report_the_command_did_not_rewrite_is_stale() {
    let (_dir, root) = copy_fixture("all-passing");
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(root.join("report.json"))
        .unwrap()
        .set_modified(old)
        .unwrap();
    let r = run(
        &root,
        r#"check = "harness-matrix"
command = ["true"]
report = { path = "report.json", format = "vitest-json" }"#,
    );
    assert_eq!(
        errors(&r),
        vec![row("harness-report-stale", Some("report.json"), 0, 0)]
    );
}

#[test]
fn a_copied_report_from_an_earlier_run_is_stale_despite_its_fresh_mtime() {
    // `cp` gives the old report a new mtime; its own `startTime` still says when it ran.
    let (_dir, root) = copy_fixture("all-passing");
    std::fs::rename(root.join("report.json"), root.join("old.json")).unwrap();
    let r = run(
        &root,
        r#"check = "harness-matrix"
command = ["cp", "old.json", "report.json"]
report = { path = "report.json", format = "vitest-json" }"#,
    );
    assert_eq!(r.status, Status::Failed, "{r:#?}");
    assert_eq!(
        errors(&r),
        vec![row("harness-report-stale", Some("report.json"), 0, 0)]
    );
    assert!(
        r.findings[0].message.contains("`startTime`"),
        "{:#?}",
        r.findings
    );
}

#[test]
fn an_assertion_declared_fails_is_failed_although_the_runner_says_passed() {
    // vitest reports `it.fails(...)` as passed when its body throws: the negative does not hold.
    let r = judge("assertion-declared-fails", VITEST);
    assert_eq!(r.status, Status::Failed, "{r:#?}");
    assert_eq!(
        errors(&r),
        vec![
            row(
                "harness-failed",
                Some("apps/server/test/route-boundary-matrix.test.ts"),
                5,
                11
            ),
            row(
                "harness-failed",
                Some("apps/server/test/route-boundary-matrix.test.ts"),
                10,
                13
            ),
        ]
    );
    assert!(
        r.findings.iter().all(|f| f.message.contains("`.fails`")),
        "{:#?}",
        r.findings
    );
}

#[test]
fn a_runner_failing_although_every_case_passed_is_a_finding() {
    let (_dir, root) = with_report_source();
    let r = run(
        &root,
        r#"check = "harness-matrix"
command = ["sh", "-c", "sed \"s/@START@/$(date +%s)000/\" recorded.json > report.json; exit 1"]
report = { path = "report.json", format = "vitest-json" }"#,
    );
    assert_eq!(errors(&r), vec![row("harness-runner-failed", None, 0, 0)]);
}

#[test]
fn a_malformed_report_is_a_positioned_finding() {
    let (_dir, root) = copy_fixture("all-passing");
    std::fs::write(
        root.join("report.json"),
        "{\"testResults\": [\n  {\"name\": 3}\n]}",
    )
    .unwrap();
    let r = run(&root, VITEST);
    assert_eq!(
        errors(&r),
        vec![row("harness-report-unreadable", Some("report.json"), 2, 12)]
    );
    // Nothing could be judged from it: the gate errored (exit 2), it did not fail.
    assert_eq!(r.status, Status::Errored);
    assert_eq!(
        r.reason,
        Some(format!(
            "could not judge: report.json:2:12: {}",
            r.findings[0].message
        ))
    );
}

#[test]
fn unknown_params_and_bad_ids_are_load_errors() {
    let bad = |body: &str| {
        let text = format!(
            "[target]\nrepo = \".\"\npass_root = \"p\"\n[[stage]]\nnumber = 1\ntitle = \"t\"\n[[slice]]\nid = \"A5\"\nstage = 1\ntitle = \"t\"\nowner = \"o\"\ngates = [\"h\"]\n[gate.h]\n{body}\n"
        );
        gates::load::load_str(&text, Path::new("ci/t.toml"), Path::new("."))
            .err()
            .map(|e| e.to_string())
    };
    let e = bad("check = \"harness-matrix\"\nparams = { suites = [\"bad id\"] }").unwrap();
    assert!(e.contains("not an ID"), "{e}");
    let e = bad("check = \"harness-matrix\"\nparams = { sutes = [] }").unwrap();
    assert!(e.contains("unknown field `sutes`"), "{e}");
    let e = bad("check = \"harness-matrix\"\nparams = { report = \"../x.json\" }").unwrap();
    assert!(e.contains("inside the target repository"), "{e}");
    let e = bad("command = [\"true\"]\nsetup = { command = [] }").unwrap();
    assert!(e.contains("empty `setup.command`"), "{e}");
}

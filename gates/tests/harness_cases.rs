//! The harness matrix on suites written as case tables (SPEC §5): IDs carried by the cases a
//! passed test executes, and A6's instance-isolation assertions found by place and title.
//! One fixture tree per scenario under `tests/fixtures/harness/`, most of them a `case.toml`
//! changing the base tree `table-loop-passing` (see `fixture_tree`); each report was
//! produced by running vitest 3 on the resulting tree (absolute paths stored as `@ROOT@`).

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use gates::Severity;
use gates::pipeline;
use gates::run::{GateResult, Status, executor};

use crate::fixture_tree;
use crate::one_slice;

fn copy_fixture(name: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    fixture_tree::copy("harness", name)
}

fn judge_with(scenario: &str, check: &str) -> GateResult {
    let (_dir, root) = copy_fixture(scenario);
    let p = one_slice::pipeline(
        &["g"],
        &format!("[gate.g]\ncheck = \"{check}\"\nparams = {{ report = \"report.json\" }}\n"),
    );
    executor::run_gate(
        &p,
        &p.gates["g"],
        &root,
        &root.join("pass"),
        &AtomicBool::new(false),
        None,
    )
}

fn judge(scenario: &str) -> GateResult {
    judge_with(scenario, "harness-matrix")
}

type Row = (String, Option<String>, u32, u32);

fn errors(r: &GateResult) -> Vec<Row> {
    r.findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| (f.rule.clone(), f.path.clone(), f.line, f.col))
        .collect()
}

const MATRIX: &str = "apps/server/test/route-boundary-matrix.test.ts";

fn at(rule: &str, line: u32, col: u32) -> Row {
    (rule.into(), Some(MATRIX.into()), line, col)
}

fn matrix_note(r: &GateResult) -> &str {
    r.notes
        .iter()
        .find(|n| n.starts_with("matrix: "))
        .map(String::as_str)
        .unwrap_or("")
}

/// The positions of the ID fields of the fixture's route cases (suite, then assertion key).
fn route_case_ids(rule: &str) -> Vec<Row> {
    [
        (51, 15),
        (61, 20),
        (69, 15),
        (78, 15),
        (79, 20),
        (87, 15),
        (96, 15),
        (97, 20),
    ]
    .into_iter()
    .map(|(l, c)| at(rule, l, c))
    .collect()
}

#[test]
fn a_loop_inside_one_test_executes_the_table_and_reading_it_does_not() {
    let r = judge("table-loop-passing");
    assert_eq!(r.status, Status::Passed, "{r:#?}");
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert!(!matrix_note(&r).contains(": declared-only"));
    // Eight cases; the two table checks iterate them without executing any: exactly one
    // executing use per case (route loop, guarded in-process loop, filtered forEach).
    assert!(
        r.notes
            .iter()
            .any(|n| n == "case tables: 8 cases, 37 case uses by tests (8 executing)"),
        "{:#?}",
        r.notes
    );
}

#[test]
fn it_each_and_template_tables_execute_their_cases() {
    let r = judge("table-each");
    assert_eq!(r.status, Status::Passed, "{r:#?}");
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert!(matrix_note(&r).contains("assertion:in-process-no-local-http-self-call: passed"));
}

#[test]
fn cases_imported_from_another_module_one_test_per_case() {
    let r = judge("table-imported");
    assert_eq!(r.status, Status::Passed, "{r:#?}");
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert!(
        r.notes
            .iter()
            .any(|n| n == "case tables: 7 cases, 7 case uses by tests (7 executing)"),
        "{:#?}",
        r.notes
    );
}

#[test]
fn an_undecidable_filter_is_a_finding_never_a_pass() {
    let r = judge("table-filter-undecidable");
    assert_eq!(r.status, Status::Failed);
    assert_eq!(errors(&r), route_case_ids("harness-undecidable"));
    let m = &r.findings[0].message;
    assert!(
        m.starts_with("`suite:web:first-party-rpc`: undecidable: test `route boundary matrix > executes route cases` (apps/server/test/route-boundary-matrix.test.ts:142:6) may execute the case at apps/server/test/route-boundary-matrix.test.ts:49:3, but the `.filter` predicate at apps/server/test/route-boundary-matrix.test.ts:143:20 cannot be decided"),
        "{m}"
    );
    // The in-process and contract cases are executed by other tests and pass.
    assert!(matrix_note(&r).contains("suite:cli:in-process: passed"));
}

#[test]
fn a_case_deleted_while_its_id_stays_listed_is_declared_only_at_the_list() {
    let r = judge("table-case-deleted");
    assert_eq!(r.status, Status::Failed);
    assert_eq!(
        errors(&r),
        vec![
            at("harness-declared-only", 10, 4),
            at("harness-test-failed", 111, 3),
        ]
    );
    assert!(
        r.findings[0]
            .message
            .starts_with("`suite:workflow:trigger-status`: declared-only: named only in a string that is neither a test's name nor an ID field of a case a test executes")
    );
    let matrix = matrix_note(&r);
    assert_eq!(matrix.matches(": declared-only").count(), 1, "{matrix}");
}

#[test]
fn the_executing_test_skipped_skips_every_id_of_its_cases() {
    let r = judge("table-test-skipped");
    assert_eq!(r.status, Status::Failed);
    assert_eq!(errors(&r), route_case_ids("harness-skipped"));
    assert!(r.findings[0].message.contains(
        "(the case at apps/server/test/route-boundary-matrix.test.ts:49:3 is executed by test `route boundary matrix > executes route cases`)"
    ));
}

#[test]
fn a_failing_case_fails_the_ids_of_the_test_that_executes_it() {
    let r = judge("table-case-fails");
    assert_eq!(r.status, Status::Failed);
    assert_eq!(errors(&r), route_case_ids("harness-failed"));
    assert!(
        r.findings[5].message.starts_with(
            "`suite:workflow:trigger-status`: failed: 1 of 1 executed tests carrying it failed, first `route boundary matrix > executes route cases`: AssertionError: suite:workflow:trigger-status /api/workflows/support/status: expected 200 to be 201"
        ),
        "{}",
        r.findings[5].message
    );
    // The failing test carries IDs, so it is not reported again as an unrelated failure.
    assert!(!r.findings.iter().any(|f| f.rule == "harness-test-failed"));
}

#[test]
fn a_describe_level_skip_skips_the_cases_its_tests_execute() {
    let r = judge("table-describe-skip");
    assert_eq!(r.status, Status::Failed);
    assert_eq!(
        errors(&r),
        vec![
            at("harness-skipped", 105, 15),
            at("harness-skipped", 106, 20)
        ]
    );
    assert!(
        r.findings[0]
            .message
            .contains("`route boundary matrix > in-process > executes in-process cases`")
    );
}

#[test]
fn instance_isolation_passes_on_both_install_state_packages() {
    let r = judge_with("instance-isolation-passing", "instance-isolation");
    assert_eq!(r.status, Status::Passed, "{r:#?}");
    assert_eq!(
        matrix_note(&r),
        "matrix: assertion:instance-local-canonical-root-default in packages/hq/test: passed; \
         assertion:instance-local-canonical-root-default in plugins/cli/plugins/test: passed; \
         assertion:global-owner-explicit-opt-in in packages/hq/test: passed; \
         assertion:global-owner-explicit-opt-in in plugins/cli/plugins/test: passed"
    );
}

#[test]
fn instance_isolation_fails_on_a_missing_or_skipped_assertion() {
    let r = judge_with("instance-isolation-missing", "instance-isolation");
    assert_eq!(r.status, Status::Failed);
    assert_eq!(
        errors(&r),
        vec![
            ("harness-missing".into(), None, 0, 0),
            ("harness-missing".into(), None, 0, 0),
            (
                "harness-skipped".into(),
                Some("packages/hq/test/install-state.test.ts".into()),
                21,
                6
            ),
        ]
    );
    let msgs: BTreeSet<&str> = r.findings.iter().map(|f| f.message.as_str()).collect();
    assert!(msgs.contains(
        "`assertion:instance-local-canonical-root-default in plugins/cli/plugins/test`: missing: no test under plugins/cli/plugins/test has `canonical` and `instance-local|instance local|instance-scoped|local workspace|current workspace` in its name"
    ));
    // A test about the global owner that does not make it opt-in is not the assertion.
    assert!(msgs.iter().any(|m| m.starts_with(
        "`assertion:global-owner-explicit-opt-in in plugins/cli/plugins/test`: missing"
    )));
}

/// Two gates naming the same suite command judge one run of it.
#[test]
fn gates_naming_the_same_command_share_one_run_per_pipeline_run() {
    let (_dir, root) = copy_fixture("instance-isolation-passing");
    // The recorded run's start time is stamped when the command "runs" it (an older one
    // would be an earlier run's report).
    let text = std::fs::read_to_string(root.join("report.json")).unwrap();
    let start = text.find("\"startTime\": ").expect("startTime") + "\"startTime\": ".len();
    let end = start + text[start..].find(',').unwrap();
    let stamped = format!("{}@START@{}", &text[..start], &text[end..]);
    std::fs::write(root.join("recorded.json"), stamped).unwrap();
    let command = r#"command = ["sh", "-c", "echo run >> runs.log; echo suites ran; mkdir -p out && sed \"s/@START@/$(date +%s)000/\" recorded.json > out/report.json"]
report = { path = "out/report.json", format = "vitest-json" }"#;
    let p = Arc::new(one_slice::pipeline(
        &["harness-matrix", "instance-isolation"],
        &format!(
            "[gate.harness-matrix]\ncheck = \"harness-matrix\"\n{command}\nparams = {{ suites = [], assertions = [], title_assertions = [{{ id = \"assertion:x\", roots = [\"packages/hq/test\"], words = [\"canonical\"] }}] }}\n\n[gate.instance-isolation]\ncheck = \"instance-isolation\"\n{command}\n"
        ),
    ));
    let selection = pipeline::select::select(&p, &pipeline::select::SelectArgs::default()).unwrap();
    let exec = executor::execute(
        &p,
        &selection,
        &executor::ExecOptions {
            jobs: 2,
            keep_going: true,
            all: false,
            repo: root.clone(),
        },
        &executor::NoopObserver,
        &AtomicBool::new(false),
    );
    for g in &exec.gates {
        assert_eq!(g.status, Status::Passed, "{g:#?}");
    }
    let runs = std::fs::read_to_string(root.join("runs.log")).unwrap();
    assert_eq!(runs.lines().count(), 1, "the suites ran once: {runs:?}");
    let reused = exec
        .gates
        .iter()
        .filter(|g| {
            g.notes
                .iter()
                .any(|n| n.contains("was run once in this pipeline run, by gate"))
        })
        .count();
    assert_eq!(reused, 1);
    // The runner's whole output is kept next to the report and named.
    let log = std::fs::read_to_string(root.join("out/report.json.output.txt")).unwrap();
    assert!(log.contains("suites ran"), "{log}");
    assert!(exec.gates.iter().all(|g| {
        g.notes
            .iter()
            .any(|n| n == "the runner's full output is in out/report.json.output.txt")
    }));

    // `gate X` alone runs what it needs.
    let alone = executor::run_gate(
        &p,
        &p.gates["instance-isolation"],
        &root,
        &root.join("pass"),
        &AtomicBool::new(false),
        None,
    );
    assert_eq!(alone.status, Status::Passed, "{alone:#?}");
    let runs = std::fs::read_to_string(root.join("runs.log")).unwrap();
    assert_eq!(runs.lines().count(), 2);
}

//! JUnit and SARIF reports place every gate and every finding somewhere a reporter can
//! annotate: JUnit test cases carry `file` and `line`, every SARIF result has a location
//! (a finding without a path is placed at the pipeline line declaring its gate), and the
//! SARIF run's `automationDetails.id` is the category the generated workflow uploads it as.

use std::path::{Path, PathBuf};

use gates::finding::Finding;
use gates::load::load_file;
use gates::pipeline::Pipeline;
use gates::report::{Origin, junit, sarif};
use gates::run::{Counts, GateResult, RunRecord, SliceResult, Status};

fn example() -> Pipeline {
    let ws: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .into();
    load_file(&ws.join("ci/phase-a.toml")).unwrap()
}

fn gate(id: &str, stage: u32, status: Status, findings: Vec<Finding>) -> GateResult {
    GateResult {
        id: id.into(),
        check: None,
        command: None,
        slices: vec!["A5".into()],
        stage,
        status,
        reason: None,
        duration_ms: 10,
        findings,
        notes: vec![],
        output: String::new(),
        cached: false,
    }
}

fn record(gates: Vec<GateResult>) -> RunRecord {
    RunRecord {
        tool: "rawr-gates 0.1.0".into(),
        pipeline: "phase-a".into(),
        phase: Some("Phase A".into()),
        pipeline_file: "ci/phase-a.toml".into(),
        repo: "examples/hq".into(),
        revision: None,
        selection: "stage 1".into(),
        started_at: "2026-01-01T00:00:00Z".into(),
        finished_at: "2026-01-01T00:00:05Z".into(),
        duration_ms: 5000,
        interrupted: false,
        exit_code: 1,
        counts: Counts::of(&gates),
        slices: vec![SliceResult {
            id: "A5".into(),
            stage: 1,
            title: "t".into(),
            owner: "o".into(),
            status: Status::Failed,
            reason: None,
            cause: None,
            blocked_by: None,
            gates: gates.iter().map(|g| g.id.clone()).collect(),
        }],
        gates,
    }
}

/// The 1-based line of `[gate.<id>]` in the pipeline file, found independently of the loader.
fn declared_line(p: &Pipeline, id: &str) -> u32 {
    let text = std::fs::read_to_string(&p.file).unwrap();
    text.lines()
        .position(|l| l.trim() == format!("[gate.{id}]"))
        .unwrap() as u32
        + 1
}

fn sample() -> Vec<GateResult> {
    vec![
        gate("ci-drift", 1, Status::Passed, vec![]),
        gate(
            "harness-matrix",
            1,
            Status::Failed,
            vec![
                Finding::general("command-failed", "`vitest run` exited with status 1"),
                Finding::error("missing-test", "apps/server/test/a.test.ts", 14, 3, "x"),
            ],
        ),
        gate(
            "route-probe",
            1,
            Status::Failed,
            vec![Finding::general("probe-refused", "connection refused")],
        ),
    ]
}

#[test]
fn junit_cases_carry_file_and_line() {
    let p = example();
    let xml = junit::render(&record(sample()), &Origin::of(&p));
    // A finding with a path wins; a gate without one points at its declaration.
    assert!(
        xml.contains(&format!(
            "<testcase name=\"ci-drift\" classname=\"phase-a.A5\" time=\"0.010\" file=\"ci/phase-a.toml\" line=\"{}\"",
            declared_line(&p, "ci-drift")
        )),
        "{xml}"
    );
    assert!(
        xml.contains("<testcase name=\"harness-matrix\" classname=\"phase-a.A5\" time=\"0.010\" file=\"apps/server/test/a.test.ts\" line=\"14\""),
        "{xml}"
    );
    assert!(
        xml.contains(&format!(
            "name=\"route-probe\" classname=\"phase-a.A5\" time=\"0.010\" file=\"ci/phase-a.toml\" line=\"{}\"",
            declared_line(&p, "route-probe")
        )),
        "{xml}"
    );
    assert_eq!(xml.matches("<testcase ").count(), 3);
    assert_eq!(xml.matches(" file=\"").count(), 3);
}

#[test]
fn every_sarif_result_has_a_location_and_the_run_names_its_stage() {
    let p = example();
    let v: serde_json::Value =
        serde_json::from_str(&sarif::render(&record(sample()), &Origin::of(&p))).unwrap();
    let run = &v["runs"][0];
    let locs: Vec<(String, u64)> = run["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let pl = &r["locations"][0]["physicalLocation"];
            (
                pl["artifactLocation"]["uri"].as_str().unwrap().to_string(),
                pl["region"]["startLine"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        locs,
        [
            (
                "ci/phase-a.toml".to_string(),
                declared_line(&p, "harness-matrix") as u64
            ),
            ("apps/server/test/a.test.ts".to_string(), 14),
            (
                "ci/phase-a.toml".to_string(),
                declared_line(&p, "route-probe") as u64
            ),
        ]
    );
    // The id is the category the generated stage job uploads under, plus the `/` that
    // makes it a category alone.
    let id = run["automationDetails"]["id"].as_str().unwrap();
    assert_eq!(id, "phase-a/stage-1/");
    let workflow = gates::ci::render(&p).unwrap().text;
    assert!(
        workflow.contains(&format!("category: {}\n", id.trim_end_matches('/'))),
        "{workflow}"
    );
    // A run across stages says which.
    let mut across = sample();
    across[0].stage = 0;
    let v: serde_json::Value =
        serde_json::from_str(&sarif::render(&record(across), &Origin::of(&p))).unwrap();
    assert_eq!(
        v["runs"][0]["automationDetails"]["id"],
        "phase-a/stages-0-1/"
    );
}

#[test]
fn junit_text_from_the_target_stays_well_formed_and_reads_back() {
    let p = example();
    let mut failed = gate(
        "harness-matrix",
        1,
        Status::Failed,
        vec![Finding::error(
            "missing-test",
            "apps/server/test/a.test.ts",
            14,
            3,
            "title `<a & \"b\">` \u{1b}[31mred\u{1b}[0m\u{0}\u{7}",
        )],
    );
    failed.output = "vitest \u{1b}[1mFAIL\u{1b}[22m <x> & y\u{8}".into();
    let mut errored = gate("route-probe", 1, Status::Errored, vec![]);
    errored.reason = Some("host <exited> \u{1b}]8;;u\u{7}early".into());
    let mut skipped = gate("ci-drift", 1, Status::Skipped, vec![]);
    skipped.reason = Some("blocked".into());
    let xml = junit::render(&record(vec![failed, errored, skipped]), &Origin::of(&p));
    assert!(
        !xml.chars()
            .any(|c| c < ' ' && !matches!(c, '\n' | '\r' | '\t')),
        "{xml}"
    );
    assert!(
        xml.contains("[missing-test] title `&lt;a &amp; &quot;b&quot;&gt;` red</failure>"),
        "{xml}"
    );
    assert!(
        xml.contains("<system-out>vitest FAIL &lt;x&gt; &amp; y</system-out>"),
        "{xml}"
    );
    assert!(xml.contains(
        "<testsuites name=\"rawr-gates phase-a\" tests=\"3\" skipped=\"1\" failures=\"1\" errors=\"1\" time=\"5.000\">"
    ), "{xml}");
    // The project's own JUnit reader reads what the writer wrote.
    let run = gates::testreport::junit::parse(&xml).unwrap();
    let got: Vec<_> = run
        .cases
        .iter()
        .map(|c| (c.display_name(), c.status, c.message.clone()))
        .collect();
    use gates::testreport::CaseStatus;
    assert_eq!(
        got,
        vec![
            (
                "harness-matrix".to_string(),
                CaseStatus::Failed,
                Some("1 finding".into())
            ),
            (
                "route-probe".into(),
                CaseStatus::Failed,
                Some("host <exited> early".into())
            ),
            ("ci-drift".into(), CaseStatus::Skipped, None),
        ]
    );
}

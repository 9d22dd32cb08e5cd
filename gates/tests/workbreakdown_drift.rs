//! `workbreakdown-drift` on the packet fixture (`tests/fixtures/packet/`): the pipeline
//! written for its PHASE_Q_WORKBREAKDOWN.yaml passes; each way of disagreeing is one exact
//! finding (rule, path, line, column).

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use gates::finding::Severity;
use gates::pipeline::Pipeline;
use gates::run::{GateResult, Status, executor};

use crate::closure_support as common;

const YAML: &str = "docs/spec/PHASE_Q_WORKBREAKDOWN.yaml";

fn dir() -> PathBuf {
    common::workspace().join("tests/fixtures/packet")
}

fn pipeline_file() -> PathBuf {
    dir().join("pipeline.toml")
}

/// The pipeline file as the check names it (relative to the current directory when below it).
fn pipeline_name() -> String {
    let f = pipeline_file();
    let cwd = std::env::current_dir().unwrap();
    f.strip_prefix(&cwd)
        .map(Path::to_path_buf)
        .unwrap_or(f)
        .to_string_lossy()
        .into_owned()
}

/// The fixture pipeline with `old` replaced by `new`.
fn pipeline_with(old: &str, new: &str) -> Pipeline {
    let text = std::fs::read_to_string(pipeline_file()).unwrap();
    assert!(text.contains(old), "the fixture pipeline has no {old:?}");
    gates::load::load_str(
        &text.replace(old, new),
        &pipeline_file(),
        &common::workspace().join("tests/fixtures"),
    )
    .unwrap()
}

fn run(p: &Pipeline, repo: &Path) -> GateResult {
    let repo = std::fs::canonicalize(repo).unwrap();
    let r = executor::run_gate(
        p,
        &p.gates["workbreakdown-drift"],
        &repo,
        &repo.join(&p.target.pass_root),
        &AtomicBool::new(false),
        None,
    );
    assert_ne!(r.status, Status::Errored, "{:?}", r.reason);
    r
}

fn findings(r: &GateResult) -> Vec<(String, Severity, String, u32, u32)> {
    r.findings
        .iter()
        .map(|f| {
            (
                f.rule.clone(),
                f.severity,
                f.path.clone().unwrap_or_default(),
                f.line,
                f.col,
            )
        })
        .collect()
}

fn repo() -> PathBuf {
    dir().join("repo")
}

fn e(rule: &str, path: &str, line: u32, col: u32) -> (String, Severity, String, u32, u32) {
    (rule.into(), Severity::Error, path.into(), line, col)
}

#[test]
fn the_pipeline_of_the_work_breakdown_passes() {
    let p = gates::load::load_file(&pipeline_file()).unwrap();
    let r = run(&p, &repo());
    assert_eq!(findings(&r), vec![]);
    assert_eq!(r.status, Status::Passed);
    assert_eq!(
        r.notes,
        vec![format!(
            "compared 8 slice(s) of {YAML} (phase Q) with 8 slice(s) of {}",
            pipeline_name()
        )]
    );
}

#[test]
fn an_edge_removed_from_the_pipeline_is_missing_at_the_yaml_line() {
    // Q3 depends on [Q1, Q2]; the pipeline drops Q2.
    let p = pipeline_with("depends_on = [\"Q1\", \"Q2\"]", "depends_on = [\"Q1\"]");
    let r = run(&p, &repo());
    assert_eq!(findings(&r), vec![e("dependency-missing", YAML, 28, 22)]);
    assert_eq!(r.status, Status::Failed);
    assert_eq!(
        r.findings[0].message,
        "`Q3` depends_on `Q2` in the work breakdown, not in the pipeline"
    );
}

#[test]
fn an_edge_added_to_the_pipeline_is_extra_at_the_pipeline_line() {
    let p = pipeline_with("depends_on = [\"Q4\"]", "depends_on = [\"Q4\", \"Q2\"]");
    let r = run(&p, &repo());
    assert_eq!(
        findings(&r),
        vec![e("dependency-extra", &pipeline_name(), 73, 21)]
    );
}

#[test]
fn a_conditional_edge_made_plain_is_both_missing_and_extra() {
    let p = pipeline_with(
        "depends_on = [\"Q2\"]\ndepends_on_if_triggered = [\"Q3\"]",
        "depends_on = [\"Q2\", \"Q3\"]",
    );
    let r = run(&p, &repo());
    assert_eq!(
        findings(&r),
        vec![
            e("dependency-extra", &pipeline_name(), 64, 21),
            e("dependency-missing", YAML, 36, 31),
        ]
    );
}

#[test]
fn slices_missing_extra_and_conditional_flags() {
    let text = std::fs::read_to_string(pipeline_file()).unwrap();
    // Q6 gone, a stage-0 slice added, Q3 no longer conditional.
    let cut = text.find("[[slice]]\nid = \"Q6\"").unwrap();
    let end = text[cut..].find("[gate.").unwrap() + cut;
    let text = format!(
        "{}[[slice]]\nid = \"stage-0\"\nstage = 1\ntitle = \"Preflight\"\nowner = \"orchestrator\"\ngates = [\"workbreakdown-drift\"]\n\n{}",
        &text[..cut],
        &text[end..]
    )
    .replace("conditional = true\n", "")
    .replace("depends_on_if_triggered = [\"Q3\"]\n", "");
    let p = gates::load::load_str(
        &text,
        &pipeline_file(),
        &common::workspace().join("tests/fixtures"),
    )
    .unwrap();
    let r = run(&p, &repo());
    let mut got = findings(&r);
    got.sort();
    let mut want = vec![
        e("conditional-drift", YAML, 25, 9),
        e("dependency-missing", YAML, 36, 31),
        e("slice-missing", YAML, 45, 9),
        e("slice-extra", &pipeline_name(), 82, 1),
    ];
    want.sort();
    assert_eq!(got, want);
    // A slice the pipeline adds on purpose is named in `pipeline_only`.
    let p2 = gates::load::load_str(
        &text.replace(
            "params = { workbreakdown = ",
            "params = { pipeline_only = [\"stage-0\"], workbreakdown = ",
        ),
        &pipeline_file(),
        &common::workspace().join("tests/fixtures"),
    )
    .unwrap();
    let r = run(&p2, &repo());
    assert!(
        !findings(&r).iter().any(|f| f.0 == "slice-extra"),
        "{:?}",
        findings(&r)
    );
}

#[test]
fn an_owner_that_differs_is_a_warning() {
    let p = pipeline_with("owner = \"@team-docs\"", "owner = \"@someone-else\"");
    let r = run(&p, &repo());
    assert_eq!(
        findings(&r),
        vec![(
            "owner-drift".into(),
            Severity::Warning,
            pipeline_name(),
            76,
            1
        )]
    );
    assert_eq!(r.status, Status::Passed);
}

#[test]
fn a_missing_or_broken_work_breakdown_is_a_finding_at_its_place() {
    let t = tempfile::tempdir().unwrap();
    common::copy_dir(&repo(), t.path());
    let p = gates::load::load_file(&pipeline_file()).unwrap();
    let yaml = t.path().join(YAML);
    let text = std::fs::read_to_string(&yaml).unwrap();
    std::fs::write(
        &yaml,
        text.replace("depends_on: [Q2]\n", "depends_on: [Q2\n"),
    )
    .unwrap();
    let r = run(&p, t.path());
    let got = findings(&r);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        (got[0].0.as_str(), got[0].2.as_str()),
        ("workbreakdown-invalid", YAML)
    );
    assert!(got[0].3 >= 35, "{got:?}");
    assert!(
        r.findings[0].message.starts_with("invalid YAML: "),
        "{:?}",
        r.findings
    );
    std::fs::remove_file(&yaml).unwrap();
    let r = run(&p, t.path());
    assert_eq!(findings(&r), vec![e("workbreakdown-missing", YAML, 0, 0)]);
}

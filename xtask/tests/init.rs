//! `cargo xtask init` on the packet fixture (`tests/fixtures/packet/repo`, phase Q): the
//! pipeline it writes (snapshot), its plan (the work breakdown's slices and edges exactly),
//! `workbreakdown-drift` on it with one edge removed, and the ways init refuses.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;

use crate::support;

/// A temporary workspace: `repo/` (a copy of the fixture's) and `ci/`.
struct Ws {
    dir: tempfile::TempDir,
}

impl Ws {
    fn new() -> Ws {
        let dir = tempfile::tempdir().unwrap();
        support::copy_dir(
            &support::workspace().join("tests/fixtures/packet/repo"),
            &dir.path().join("repo"),
        );
        std::fs::create_dir_all(dir.path().join("ci")).unwrap();
        Ws { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn out(&self) -> PathBuf {
        self.root().join("ci/phase-q.toml")
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = Command::cargo_bin("xtask")
            .unwrap()
            .args(args)
            .current_dir(self.root())
            .env_remove("GITHUB_ACTIONS")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let f = |b: &[u8]| {
            let root = std::fs::canonicalize(self.root()).unwrap();
            String::from_utf8_lossy(b)
                .replace(&root.display().to_string(), "[WS]")
                .replace(&self.root().display().to_string(), "[WS]")
        };
        (
            out.status.code().unwrap_or(-1),
            f(&out.stdout),
            f(&out.stderr),
        )
    }

    fn init(&self, extra: &[&str]) -> (i32, String, String) {
        let mut args = vec!["init", "--repo", "repo", "--out", "ci/phase-q.toml"];
        args.extend_from_slice(extra);
        self.run(&args)
    }
}

#[test]
fn init_writes_the_packets_pipeline() {
    let ws = Ws::new();
    let (code, out, err) = ws.init(&[]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out,
        "wrote ci/phase-q.toml: phase Q, 8 slices, 9 dependencies, 10 command gates (from repo/docs/spec/PHASE_Q_ACCEPTANCE_GATES.md)\n"
    );
    let text = std::fs::read_to_string(ws.out()).unwrap();
    insta::assert_snapshot!("init_phase_q", text);
}

#[test]
fn the_plan_lists_the_work_breakdowns_slices_and_edges_exactly() {
    let ws = Ws::new();
    assert_eq!(ws.init(&[]).0, 0);
    let (code, out, err) = ws.run(&["plan", "--pipeline", "ci/phase-q.toml", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let plan: serde_json::Value = serde_json::from_str(&out).unwrap();
    let mut edges: Vec<String> = Vec::new();
    let mut slices: Vec<String> = Vec::new();
    for s in plan["slices"].as_array().unwrap() {
        let id = s["id"].as_str().unwrap();
        slices.push(id.to_string());
        let triggered: Vec<&str> = s["depends_on_if_triggered"]
            .as_array()
            .map(|a| a.iter().map(|d| d.as_str().unwrap()).collect())
            .unwrap_or_default();
        for d in s["depends_on"].as_array().unwrap() {
            let d = d.as_str().unwrap();
            let kind = if triggered.contains(&d) {
                "if-triggered"
            } else {
                ""
            };
            edges.push(format!("{id}<-{d}{kind}"));
        }
    }
    slices.sort();
    edges.sort();
    // PHASE_Q_WORKBREAKDOWN.yaml, by hand.
    assert_eq!(slices, ["Q0", "Q1", "Q2", "Q3", "Q4", "Q4A", "Q5", "Q6"]);
    assert_eq!(
        edges,
        [
            "Q1<-Q0",
            "Q2<-Q1",
            "Q3<-Q1",
            "Q3<-Q2",
            "Q4<-Q2",
            "Q4<-Q3if-triggered",
            "Q4A<-Q4",
            "Q5<-Q4A",
            "Q6<-Q5",
        ]
    );
}

#[test]
fn workbreakdown_drift_fails_on_the_pipeline_with_one_edge_removed() {
    let ws = Ws::new();
    assert_eq!(ws.init(&[]).0, 0);
    let gate = [
        "gate",
        "workbreakdown-drift",
        "--pipeline",
        "ci/phase-q.toml",
        "--repo",
        "repo",
    ];
    let (code, out, err) = ws.run(&gate);
    assert_eq!(code, 0, "{out}{err}");
    let text = std::fs::read_to_string(ws.out()).unwrap();
    let cut = text.replace("depends_on = [\"Q1\", \"Q2\"]", "depends_on = [\"Q1\"]");
    assert_ne!(cut, text);
    std::fs::write(ws.out(), cut).unwrap();
    let (code, out, err) = ws.run(&gate);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("docs/spec/PHASE_Q_WORKBREAKDOWN.yaml:28:22")
            && out.contains("dependency-missing")
            && out.contains("`Q3` depends_on `Q2` in the work breakdown, not in the pipeline"),
        "{out}"
    );
}

#[test]
fn init_refuses_to_overwrite_without_force() {
    let ws = Ws::new();
    assert_eq!(ws.init(&[]).0, 0);
    std::fs::write(ws.out(), "# edited\n").unwrap();
    let (code, out, err) = ws.init(&[]);
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(
        err,
        "error: [WS]/ci/phase-q.toml exists; pass --force to write it again (the edits in it would be lost)\n"
    );
    assert_eq!(std::fs::read_to_string(ws.out()).unwrap(), "# edited\n");
    assert_eq!(ws.init(&["--force"]).0, 0);
    assert!(
        std::fs::read_to_string(ws.out())
            .unwrap()
            .starts_with("# Phase Q")
    );
}

#[test]
fn bad_yaml_is_an_error_at_its_place_and_nothing_is_written() {
    let ws = Ws::new();
    let yaml = ws.root().join("repo/docs/spec/PHASE_Q_WORKBREAKDOWN.yaml");
    let text = std::fs::read_to_string(&yaml).unwrap();
    std::fs::write(
        &yaml,
        text.replace("    depends_on: [Q4A]\n", "    depends_on: [Q4A\n"),
    )
    .unwrap();
    let (code, out, err) = ws.init(&[]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(
        err.starts_with("error: repo/docs/spec/PHASE_Q_WORKBREAKDOWN.yaml:")
            && err.contains(": invalid YAML: "),
        "{err}"
    );
    assert!(!ws.out().exists());
    // A dependency on a slice that does not exist: its line and column.
    std::fs::write(&yaml, text.replace("depends_on: [Q4A]", "depends_on: [Q9]")).unwrap();
    let (code, _, err) = ws.init(&[]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: repo/docs/spec/PHASE_Q_WORKBREAKDOWN.yaml:44:18: slice `Q5` depends on unknown slice `Q9`\n  | depends_on: [Q9]\n"
    );
    std::fs::remove_file(&yaml).unwrap();
    let (code, _, err) = ws.init(&[]);
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: no PHASE_<X>_WORKBREAKDOWN.yaml under [WS]/repo; name one with --workbreakdown FILE\n"
    );
}

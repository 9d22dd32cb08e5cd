//! `all-of`: a gate that is the conjunction of other gates (or checks with params), as the
//! packet's `legacy-metadata-hard-delete-static-guard` is. On a copy of the bundled example it
//! passes; with a legacy key in an active manifest it fails with the findings of every part
//! that sees it (each keeping its rule and position); bad parts are load errors.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use gates::load::load_str;
use gates::run::{Status, executor};

use crate::closure_support::{copy_dir, workspace};

fn pipeline(repo: &Path, parts: &str) -> Result<gates::pipeline::Pipeline, String> {
    let text = format!(
        r#"[target]
repo = "{}"
pass_root = "docs"

[[stage]]
number = 0
title = "zero"

[[slice]]
id = "A6"
stage = 0
title = "t"
owner = "o"
gates = ["legacy-metadata-guard", "metadata-contract", "hard-delete"]

[gate.legacy-metadata-guard]
check = "legacy-metadata-guard"
params = {{ mode = "enforce" }}

[gate.metadata-contract]
check = "metadata-contract"

[gate.hard-delete]
check = "all-of"
params = {{ parts = [{parts}] }}
"#,
        repo.display()
    );
    load_str(&text, Path::new("ci/phase-a.toml"), Path::new(".")).map_err(|e| e.to_string())
}

fn judge(repo: &Path, p: &gates::pipeline::Pipeline) -> (Status, Vec<String>, Vec<String>) {
    let g = &p.gates["hard-delete"];
    let r = executor::run_gate(
        p,
        g,
        repo,
        &repo.join("docs"),
        &AtomicBool::new(false),
        None,
    );
    let findings = r
        .findings
        .iter()
        .map(|f| format!("{} {}", f.rule, f.location()))
        .collect();
    let parts = r
        .notes
        .iter()
        .filter(|n| n.starts_with("part "))
        .cloned()
        .collect();
    (r.status, findings, parts)
}

const BOTH: &str = r#"{ gate = "legacy-metadata-guard" }, { gate = "metadata-contract" }"#;

#[test]
fn every_part_judges_and_every_finding_counts() {
    let tree = tempfile::tempdir().unwrap();
    let repo = tree.path();
    copy_dir(&workspace().join("examples/hq"), repo);
    let p = pipeline(repo, BOTH).unwrap();
    let (status, findings, parts) = judge(repo, &p);
    assert_eq!(status, Status::Passed, "{findings:?}");
    assert_eq!(
        parts,
        [
            "part `legacy-metadata-guard`: passed",
            "part `metadata-contract`: passed"
        ]
    );

    // A legacy key back in an active manifest: both parts see it, at the key.
    let manifest = repo.join("plugins/api/status/package.json");
    let text = std::fs::read_to_string(&manifest).unwrap();
    std::fs::write(
        &manifest,
        text.replace(
            "\"capability\": \"status\"",
            "\"capability\": \"status\",\n    \"channel\": \"B\"",
        ),
    )
    .unwrap();
    let (status, findings, parts) = judge(repo, &p);
    assert_eq!(status, Status::Failed);
    assert_eq!(
        parts,
        [
            "part `legacy-metadata-guard`: 1 error finding(s)",
            "part `metadata-contract`: 1 error finding(s)"
        ]
    );
    assert_eq!(
        findings,
        [
            "forbidden-legacy-key plugins/api/status/package.json:9:5",
            "legacy-key-manifest plugins/api/status/package.json:9:5"
        ]
    );

    // One part alone would not see a missing capability: the conjunction does.
    std::fs::write(
        &manifest,
        text.replace("\"capability\": \"status\"", "\"capabilities\": \"status\""),
    )
    .unwrap();
    let guard_only = pipeline(repo, r#"{ gate = "legacy-metadata-guard" }"#).unwrap();
    assert_eq!(judge(repo, &guard_only).0, Status::Passed);
    let (status, findings, _) = judge(repo, &p);
    assert_eq!(status, Status::Failed);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(
        findings[0].starts_with("missing-capability plugins/api/status/package.json"),
        "{findings:?}"
    );
}

#[test]
fn bad_parts_are_load_errors_or_named_when_run() {
    let dir = tempfile::tempdir().unwrap();
    let e = pipeline(dir.path(), "").unwrap_err();
    assert!(
        e.contains("parts: a conjunction of nothing would always pass"),
        "{e}"
    );
    let e = pipeline(dir.path(), r#"{ check = "all-of" }"#).unwrap_err();
    assert!(
        e.contains("parts[0]: a part cannot itself be `all-of`"),
        "{e}"
    );
    let e = pipeline(dir.path(), r#"{ check = "nope" }"#).unwrap_err();
    assert!(e.contains("parts[0]: unknown check \"nope\""), "{e}");
    let e = pipeline(
        dir.path(),
        r#"{ gate = "metadata-contract", params = { plugins_dir = "x" } }"#,
    )
    .unwrap_err();
    assert!(e.contains("give `params` only with `check`"), "{e}");
    let e = pipeline(
        dir.path(),
        r#"{ check = "legacy-metadata-guard", params = { mode = "sometimes" } }"#,
    )
    .unwrap_err();
    assert!(
        e.contains("parts[0] (check `legacy-metadata-guard`)"),
        "{e}"
    );

    // A gate part that names no gate is the tool's error when the gate runs.
    let p = pipeline(dir.path(), r#"{ gate = "ghost" }"#).unwrap();
    let g = &p.gates["hard-delete"];
    let r = executor::run_gate(
        &p,
        g,
        dir.path(),
        &dir.path().join("docs"),
        &AtomicBool::new(false),
        None,
    );
    assert_eq!(r.status, Status::Errored);
    assert_eq!(
        r.reason.as_deref(),
        Some("part `ghost` names no gate of the pipeline")
    );
}

/// An `all-of` runs the target's code when a part does: it is then no static gate for
/// `history`, and the executor's guard against links out of the target applies before it
/// runs. A composition of static checks stays static.
#[test]
fn an_all_of_with_a_part_that_runs_code_is_not_static() {
    let text = r#"[target]
repo = "."
pass_root = "docs"

[[stage]]
number = 0
title = "zero"

[[slice]]
id = "A6"
stage = 0
title = "t"
owner = "o"
gates = ["suite", "static-pair", "with-suite", "with-probe"]

[gate.suite]
command = ["sh", "-c", "true"]

[gate.static-pair]
check = "all-of"
params = { parts = [{ check = "metadata-contract" }, { check = "legacy-metadata-guard", params = { mode = "enforce" } }] }

[gate.with-suite]
check = "all-of"
params = { parts = [{ check = "metadata-contract" }, { gate = "suite" }] }

[gate.with-probe]
check = "all-of"
params = { parts = [{ check = "metadata-contract" }, { check = "route-probe", params = { base_url = "http://127.0.0.1:1" } }] }
"#;
    let p = load_str(text, Path::new("ci/phase-a.toml"), Path::new(".")).unwrap();
    let runs = |id: &str| executor::runs_target_code(&p, &p.gates[id]);
    assert!(!runs("static-pair"));
    assert!(runs("with-suite"));
    assert!(runs("with-probe"));
    assert!(gates::history::is_static(&p, "static-pair"));
    assert!(!gates::history::is_static(&p, "with-suite"));
    assert!(!gates::history::is_static(&p, "with-probe"));
}

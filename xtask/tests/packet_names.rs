//! The phase packet's gate names (PHASE_A_EXECUTION_PACKET.md "Gate Contract (Concrete)",
//! PHASE_A_IMPLEMENTATION_SPEC.md §7) work as they are written: each is a gate of the bundled
//! pipeline or an alias of one, `list` shows it, and `cargo xtask gate NAME` runs it.

use crate::support::xtask;

/// Every gate the packet requires, as the packet spells it.
const PACKET: &[&str] = &[
    "metadata-contract",
    "import-boundary",
    "manifest-smoke-baseline",
    "host-composition-guard",
    "route-negative-assertions",
    "harness-matrix",
    "observability-contract",
    "manifest-smoke-completion",
    "legacy-metadata-hard-delete-static-guard",
    "review-closure",
    "docs-sync-cleanup",
    "phase-sequence-readjustment",
];

#[test]
fn every_packet_gate_name_is_listed_and_runs() {
    let out = xtask().arg("list").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let list = String::from_utf8(out.stdout).unwrap();
    let gates_section = list.split("\nGates:\n").nth(1).unwrap();
    for name in PACKET {
        let as_id = gates_section
            .lines()
            .any(|l| l.split_whitespace().next() == Some(name));
        let as_alias = gates_section.lines().any(|l| {
            l.trim_start()
                .strip_prefix("also: ")
                .is_some_and(|a| a.split(", ").any(|x| x == *name))
        });
        assert!(as_id || as_alias, "`{name}` is not in `list`:\n{list}");
    }

    // An alias runs its gate (static ones here; the suite gates are run by the example and
    // observability tests).
    for (alias, id) in [
        ("manifest-smoke-completion", "manifest-smoke"),
        ("docs-sync-cleanup", "docs-cleanup"),
        ("phase-sequence-readjustment", "phase-b-readiness"),
    ] {
        let out = xtask()
            .args(["gate", alias, "--format", "json"])
            .output()
            .unwrap();
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(r["id"], id, "{alias}");
        assert_eq!(r["status"], "passed", "{alias}: {r}");
        assert_eq!(out.status.code(), Some(0));
    }
    let out = xtask().args(["gate", "no-such-gate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// The packet's names select their gates wherever a gate is named: `run --only` and
/// `history --gates` take an alias as the gate it names.
#[test]
fn an_alias_selects_its_gate_in_run_and_history() {
    use crate::support::{copy_dir, git, workspace};
    let out = xtask()
        .args(["run", "--only", "docs-sync-cleanup", "--format", "json"])
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    let ids: Vec<&str> = r["gates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["docs-cleanup"], "{r}");
    assert_eq!(out.status.code(), Some(0));

    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("hq");
    copy_dir(&workspace().join("examples/hq"), &repo);
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "example"]);
    let out = xtask()
        .args([
            "history",
            "--gates",
            "manifest-smoke-completion,docs-sync-cleanup",
            "--format",
            "json",
            "--repo",
        ])
        .arg(&repo)
        .arg("HEAD")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    assert_eq!(
        v["gates"],
        serde_json::json!(["manifest-smoke", "docs-cleanup"])
    );
    // An unknown name is still an error naming it.
    let out = xtask()
        .args(["run", "--only", "no-such-gate"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-gate"));
}

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

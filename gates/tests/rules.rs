//! The check registry as a catalogue: docs/rules.md is what the registry says, every declared
//! rule is one the library reports, a document check declares every rule its own source
//! reports, and SARIF `rules` carry the declared words. (Every finding of the closure tests is
//! also checked against its check's declarations, in `closure_support::run_in`.)

use std::path::Path;

use gates::checks::{self, Capability};
use gates::finding::Finding;
use gates::run::{GateResult, Status};

use crate::closure_support::workspace;

#[test]
fn docs_rules_md_is_the_registry() {
    let on_disk = std::fs::read_to_string(workspace().join("docs/rules.md")).unwrap();
    assert!(
        on_disk == checks::catalogue(),
        "docs/rules.md is stale: run `cargo xtask rules`"
    );
}

fn sources(dir: &Path, out: &mut String) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push_str(&without_rules(&std::fs::read_to_string(&p).unwrap()));
        }
    }
}

/// A source text without its `RULES` declarations.
fn without_rules(text: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for l in text.lines() {
        if l.starts_with("pub const ") && l.contains(": &[Rule] = &[") {
            inside = true;
        }
        if !inside {
            out.push_str(l);
            out.push('\n');
        }
        if inside && l == "];" {
            inside = false;
        }
    }
    out
}

#[test]
fn every_declared_rule_is_reported_somewhere() {
    let mut src = String::new();
    sources(&workspace().join("gates-core/src"), &mut src);
    sources(&workspace().join("gates/src"), &mut src);
    for d in checks::registry() {
        for r in d.rules() {
            assert!(
                src.contains(&format!("\"{}\"", r.id)),
                "check `{}` declares `{}`, which no source reports",
                d.name,
                r.id
            );
        }
        let mut ids: Vec<&str> = d.rules().map(|r| r.id).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n, "check `{}` declares a rule twice", d.name);
    }
}

#[test]
fn a_document_check_declares_every_rule_its_source_reports() {
    let re_finding = |text: &str| -> Vec<String> {
        // `Finding::error("rule"`, `Finding::general(\n "rule"` …
        let mut out = Vec::new();
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for part in flat.split("Finding::").skip(1) {
            let Some(rest) = ["error(", "warning(", "general(", "note("]
                .iter()
                .find_map(|k| part.strip_prefix(k))
            else {
                continue;
            };
            let rest = rest.trim_start();
            if let Some(lit) = rest.strip_prefix('"')
                && let Some(end) = lit.find('"')
            {
                out.push(lit[..end].to_string());
            }
        }
        out
    };
    let mut undeclared = Vec::new();
    for (check, file) in [
        ("closure", "gates-core/src/checks/closure.rs"),
        ("closure", "gates-core/src/artifacts/disposition.rs"),
        ("agent-outputs", "gates-core/src/checks/agent_outputs.rs"),
        ("handoff", "gates-core/src/checks/handoff.rs"),
        ("preflight", "gates-core/src/checks/preflight.rs"),
        (
            "orchestrator-artifacts",
            "gates-core/src/checks/orchestrator_artifacts.rs",
        ),
        ("ci-drift", "gates-core/src/checks/ci_drift.rs"),
        ("docs-cleanup", "gates-core/src/artifacts/cleanup.rs"),
        ("readiness", "gates-core/src/artifacts/readiness.rs"),
    ] {
        let text = std::fs::read_to_string(workspace().join(file)).unwrap();
        let text = text.split("#[cfg(test)]").next().unwrap();
        let def = checks::find(check).unwrap();
        let found = re_finding(text);
        assert!(
            !found.is_empty() || matches!(check, "readiness" | "closure"),
            "{file}: no rule found"
        );
        for id in found {
            if def.rule(&id).is_none() {
                undeclared.push(format!("{file}: `{id}` (check `{check}`)"));
            }
        }
    }
    assert!(
        undeclared.is_empty(),
        "reported but not declared:\n{}",
        undeclared.join("\n")
    );
}

#[test]
fn checks_declare_what_they_need() {
    let caps = |name: &str| checks::find(name).unwrap().capabilities;
    assert!(caps("route-probe").contains(&Capability::Service));
    assert!(caps("harness-matrix").contains(&Capability::CommandOutcome));
    assert!(caps("handoff").contains(&Capability::RunRecord));
    assert!(caps("ci-drift").contains(&Capability::Workspace));
    for d in checks::registry() {
        assert!(!d.capabilities.is_empty(), "{}", d.name);
    }
    // Every name a pipeline may write resolves to one check.
    let mut names: Vec<&str> = checks::registry()
        .iter()
        .flat_map(|d| std::iter::once(d.name).chain(d.aliases.iter().map(|a| a.name)))
        .collect();
    names.sort();
    let n = names.len();
    names.dedup();
    assert_eq!(names.len(), n, "a check name or alias is used twice");
}

#[test]
fn sarif_rules_carry_the_declared_words() {
    let g = GateResult {
        id: "review-closure".into(),
        check: Some("closure".into()),
        command: None,
        slices: vec!["A7".into()],
        stage: 2,
        status: Status::Failed,
        reason: None,
        duration_ms: 0,
        findings: vec![
            Finding::error("decision-missing", "pass/D.md", 3, 1, "no decision"),
            Finding::error("not-in-the-catalogue", "pass/D.md", 4, 1, "x"),
        ],
        notes: vec![],
        output: String::new(),
        cached: false,
    };
    let log = gates::report::sarif::log(&[g], &gates::report::Origin::default());
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let declared = checks::rule("closure", "decision-missing").unwrap();
    assert_eq!(rules[0]["id"], "decision-missing");
    assert_eq!(rules[0]["shortDescription"]["text"], declared.summary);
    assert_eq!(rules[0]["help"]["text"], declared.help);
    assert_eq!(rules[1]["id"], "not-in-the-catalogue");
    assert!(rules[1].get("help").is_none());
}

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
        // A table's last line (`];`, or `)];` for a one-rule table).
        if inside && (l == "];" || l == ")];") {
            inside = false;
        }
    }
    out
}

#[test]
fn every_declared_rule_is_reported_somewhere() {
    let mut src = String::new();
    for d in [
        "gates-core/src",
        "gates-docs/src",
        "gates-ts/src",
        "gates/src",
    ] {
        sources(&workspace().join(d), &mut src);
    }
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
        ("closure", "gates-docs/src/checks/closure.rs"),
        ("closure", "gates-docs/src/artifacts/disposition.rs"),
        ("agent-outputs", "gates-docs/src/checks/agent_outputs.rs"),
        ("handoff", "gates-docs/src/checks/handoff.rs"),
        ("preflight", "gates-docs/src/checks/preflight.rs"),
        (
            "orchestrator-artifacts",
            "gates-docs/src/checks/orchestrator_artifacts.rs",
        ),
        ("ci-drift", "gates-docs/src/checks/ci_drift.rs"),
        ("docs-cleanup", "gates-docs/src/artifacts/cleanup.rs"),
        ("readiness", "gates-docs/src/artifacts/readiness.rs"),
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
fn every_check_declares_its_rules() {
    for d in checks::registry() {
        // A check reporting only its parts' findings (`all-of`) declares them through its
        // parts' checks; every other check has at least one rule of its own.
        assert!(
            d.rules().next().is_some() || d.parts.is_some(),
            "check `{}` declares no rule: fill its `RULES` (docs/architecture.md, \"Adding a check\")",
            d.name
        );
        for r in d.rules() {
            assert!(
                !r.summary.trim().is_empty() && !r.help.trim().is_empty(),
                "check `{}`: rule `{}` needs a summary and a fix",
                d.name,
                r.id
            );
            assert_ne!(
                r.severity,
                gates::finding::Severity::Note,
                "check `{}`: rule `{}`",
                d.name,
                r.id
            );
        }
    }
}

/// The string literals of Rust source `text`, outside comments (char literals and lifetimes
/// are told apart; raw strings are read to their closing `"#`).
fn string_literals(text: &str) -> Vec<String> {
    let b: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            '/' if b.get(i + 1) == Some(&'/') => {
                while i < b.len() && b[i] != '\n' {
                    i += 1;
                }
            }
            '/' if b.get(i + 1) == Some(&'*') => {
                i += 2;
                while i + 1 < b.len() && !(b[i] == '*' && b[i + 1] == '/') {
                    i += 1;
                }
                i += 2;
            }
            'r' if matches!(b.get(i + 1), Some('"' | '#'))
                && (i == 0 || !(b[i - 1].is_alphanumeric() || b[i - 1] == '_')) =>
            {
                let mut j = i + 1;
                let mut hashes = 0;
                while b.get(j) == Some(&'#') {
                    hashes += 1;
                    j += 1;
                }
                if b.get(j) != Some(&'"') {
                    i += 1;
                    continue;
                }
                let start = j + 1;
                let mut k = start;
                while k < b.len()
                    && !(b[k] == '"' && (0..hashes).all(|h| b.get(k + 1 + h) == Some(&'#')))
                {
                    k += 1;
                }
                out.push(b[start..k.min(b.len())].iter().collect());
                i = k + 1 + hashes;
            }
            '"' => {
                let mut s = String::new();
                i += 1;
                while i < b.len() && b[i] != '"' {
                    if b[i] == '\\' {
                        i += 1;
                    }
                    if let Some(c) = b.get(i) {
                        s.push(*c);
                    }
                    i += 1;
                }
                out.push(s);
                i += 1;
            }
            // `'"'`, `'\''`, `'\\'`: a char literal; `'a` alone is a lifetime.
            '\'' if b.get(i + 1) == Some(&'\\') => {
                i += 3;
                while i < b.len() && b[i] != '\'' {
                    i += 1;
                }
                i += 1;
            }
            '\'' if b.get(i + 2) == Some(&'\'') => i += 3,
            _ => i += 1,
        }
    }
    out
}

/// Whether a literal has the shape of a rule id (`kebab-case`, at least two words).
fn rule_like(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.contains('-')
        && !s.contains("--")
        && !s.ends_with('-')
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// Literals of the TypeScript checks' sources that have a rule's shape but are not rule ids.
const NOT_RULES: &[&str] = &[
    // serde's `rename_all`
    "kebab-case",
    // harness-matrix: an outcome's name in the matrix note (its rule is `harness-declared-only`);
    // `Outcome::Passed` has a rule id but a passed requirement reports no finding
    "declared-only",
    "harness-passed",
    // git's subcommand
    "rev-parse",
    // route-probe: HTTP headers, caller labels, cell ids, the forged key
    "content-type",
    "content-length",
    "transfer-encoding",
    "x-inngest-signature",
    "x-rawr-caller-surface",
    "x-inngest-sdk",
    "x-inngest-framework",
    "first-party",
    "not-found",
    "inngest-unsigned",
    "inngest-forged",
    "inngest-expired",
    "inngest-valid",
    "signkey-forged-00000000000000000000000000000000",
    // the allow marker's prefix (`rawr-gates: allow(key)`)
    "rawr-gates",
];

/// The sources of a check that reads TypeScript (its file, and the folder of its submodules).
fn check_sources(file: &str) -> Vec<(String, String)> {
    let path = workspace().join(file);
    let mut files = vec![path.clone()];
    let dir = path.with_extension("");
    if dir.is_dir() {
        let mut subs: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        subs.sort();
        files.extend(subs);
    }
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            // Test modules at the end of the file are not the check.
            let text = text.split("\n#[cfg(test)]").next().unwrap().to_string();
            (p.display().to_string(), text)
        })
        .collect()
}

#[test]
fn a_typescript_check_declares_every_rule_its_source_reports() {
    use gates::checks::common;
    // Every rule id in a check's own files, and every rule of a reader it calls, is declared.
    let mut undeclared = Vec::new();
    let mut covered = std::collections::BTreeSet::new();
    for (check, file) in [
        ("discovery-roots", "gates-ts/src/checks/discovery_roots.rs"),
        ("import-boundary", "gates-ts/src/checks/import_boundary.rs"),
        ("manifest-smoke", "gates-ts/src/checks/manifest_smoke.rs"),
        (
            "host-composition-guard",
            "gates-ts/src/checks/host_composition_guard.rs",
        ),
        ("harness-matrix", "gates-ts/src/checks/harness_matrix.rs"),
        (
            "instance-isolation",
            "gates-ts/src/checks/harness_matrix.rs",
        ),
        ("route-probe", "gates-ts/src/checks/route_probe.rs"),
        (
            "legacy-metadata-guard",
            "gates-ts/src/checks/legacy_metadata_guard.rs",
        ),
        (
            "metadata-contract",
            "gates-docs/src/checks/metadata_contract.rs",
        ),
        ("all-of", "gates/src/checks/all_of.rs"),
    ] {
        let def = checks::find(check).unwrap();
        let mut found = 0;
        for (path, text) in check_sources(file) {
            covered.insert(path.clone());
            for lit in string_literals(&text) {
                if !rule_like(&lit)
                    || NOT_RULES.contains(&lit.as_str())
                    || checks::find(&lit).is_some()
                {
                    continue;
                }
                found += 1;
                if def.rule(&lit).is_none() {
                    undeclared.push(format!("{path}: `{lit}` (check `{check}`)"));
                }
            }
            // The readers that report their problems as findings: a check calling one
            // declares its table. (`source::read` and `ts::parse` are left out: a check may
            // skip what they cannot read, as route-probe does where it derives paths.)
            for (call, table, name) in [
                ("load_host(", common::HOST, "HOST"),
                ("forwarding_closure(", common::FORWARDING, "FORWARDING"),
                ("discovery_implementation(", common::DISCOVERY, "DISCOVERY"),
                ("ModuleSet::new(", common::SYNTAX, "SYNTAX"),
                ("testsrc::scan(", common::SYNTAX, "SYNTAX"),
            ] {
                for r in table {
                    if text.contains(call) && def.rule(r.id).is_none() {
                        undeclared.push(format!(
                            "{path}: calls `{call}` but does not declare `{}` (common::{name})",
                            r.id
                        ));
                    }
                }
            }
        }
        assert!(
            found > 0 || def.parts.is_some(),
            "{file}: no rule found (check `{check}`)"
        );
    }
    // Every TypeScript check's file is read above.
    let files = ["gates-ts/src/checks", "gates/src/checks"]
        .into_iter()
        .flat_map(|d| std::fs::read_dir(workspace().join(d)).unwrap());
    for e in files {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("mod.rs") {
            assert!(
                covered.contains(&p.display().to_string()),
                "{}: add its check to this test",
                p.display()
            );
        }
    }
    // The readers' own rules are in the shared tables that describe them.
    for (file, tables) in [
        ("gates-core/src/fs/source.rs", vec![common::SOURCES]),
        ("gates-core/src/repo/plugins.rs", vec![common::SOURCES]),
        ("gates-ts/src/repo/ts.rs", vec![common::SYNTAX]),
        ("gates-ts/src/repo/host.rs", vec![common::HOST]),
        (
            "gates-ts/src/repo/flow/forwarding.rs",
            vec![common::FORWARDING],
        ),
        (
            "gates-core/src/checks/mod.rs",
            vec![common::DISCOVERY, common::DOCUMENT],
        ),
    ] {
        let mut found = 0;
        for (path, text) in check_sources(file) {
            for lit in string_literals(&text) {
                if !rule_like(&lit) || NOT_RULES.contains(&lit.as_str()) {
                    continue;
                }
                found += 1;
                if !tables.iter().any(|t| t.iter().any(|r| r.id == lit)) {
                    undeclared.push(format!(
                        "{path}: `{lit}` is in no shared table of its reader"
                    ));
                }
            }
        }
        assert!(found > 0, "{file}: no rule found");
    }
    assert!(
        undeclared.is_empty(),
        "reported but not declared:\n{}",
        undeclared.join("\n")
    );
}

#[test]
fn string_literals_are_read_as_rust_reads_them() {
    let text = r##"let a = "x-y"; // "in-comment"
/* "block-comment" */ let c = '"'; let d = r#"raw-"str"#; fn f<'a>(s: &'a str) {} let e = "esc\"-q";"##;
    assert_eq!(string_literals(text), vec!["x-y", "raw-\"str", "esc\"-q"]);
}

#[test]
fn an_all_of_finding_carries_its_parts_rules() {
    let repo = tempfile::tempdir().unwrap();
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
gates = ["metadata-contract", "hard-delete"]

[gate.metadata-contract]
check = "metadata-contract"

[gate.hard-delete]
check = "all-of"
params = {{ parts = [{{ gate = "metadata-contract" }}, {{ check = "legacy-metadata-guard", params = {{ mode = "enforce" }} }}] }}
"#,
        repo.path().display()
    );
    let p = gates::load::load_str(&text, Path::new("ci/phase-a.toml"), Path::new(".")).unwrap();
    let g = &p.gates["hard-delete"];
    let def = g.kind.check().unwrap();
    let params = g.kind.params().unwrap();
    // A part's rule is the all-of gate's; a rule no part declares is not.
    let declared = checks::rule("metadata-contract", "forbidden-legacy-key").unwrap();
    let got = def
        .finding_rule("forbidden-legacy-key", params, &p)
        .unwrap();
    assert_eq!(got.summary, declared.summary);
    assert!(
        def.finding_rule("legacy-key-manifest", params, &p)
            .is_some()
    );
    assert!(def.finding_rule("decision-missing", params, &p).is_none());
    assert!(def.rule("forbidden-legacy-key").is_none());
    // SARIF `rules` carry the part's words.
    let r = GateResult {
        id: "hard-delete".into(),
        check: Some("all-of".into()),
        command: None,
        slices: vec!["A6".into()],
        stage: 0,
        status: Status::Failed,
        reason: None,
        duration_ms: 0,
        findings: vec![Finding::error(
            "forbidden-legacy-key",
            "plugins/web/a/package.json",
            3,
            5,
            "legacy key",
        )],
        notes: vec![],
        output: String::new(),
        cached: false,
    };
    let log = gates::report::sarif::log(&[r], &gates::report::Origin::of(&p));
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules[0]["id"], "forbidden-legacy-key");
    assert_eq!(rules[0]["shortDescription"]["text"], declared.summary);
    assert_eq!(rules[0]["help"]["text"], declared.help);
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

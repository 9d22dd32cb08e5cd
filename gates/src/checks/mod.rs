//! The registry of built-in checks: the document checks (`gates-docs`), the TypeScript
//! checks (`gates-ts`) and `all-of`, which composes the others. One file per check; each
//! opens with what it checks, why, and how to fix.
//!
//! A check is registered in [`registry`] with a name (the `check = "..."` value in the
//! pipeline file), its rules, a parameter validator that runs when the pipeline is loaded (so
//! bad parameters are reported with their position before anything runs) and a `run`
//! function.

pub mod all_of;

// Every check module of both crates (and the interface, which both re-export from
// `gates_core::checks`) under `gates::checks::…`: a new check's module needs no line here.
pub use gates_docs::checks::*;
pub use gates_ts::checks::*;

/// The check named `name` (its own name, as the loader resolves aliases), from the registry.
pub fn find(name: &str) -> Option<&'static CheckDef> {
    registry().iter().find(|d| d.name == name)
}

/// Every built-in check, built once. Adding a check: its file (with `pub fn def()`) and one
/// line here (docs/architecture.md, "Adding a check").
pub fn registry() -> &'static [CheckDef] {
    static REGISTRY: std::sync::OnceLock<Vec<CheckDef>> = std::sync::OnceLock::new();
    REGISTRY.get_or_init(|| {
        vec![
            preflight::def(),
            orchestrator_artifacts::def(),
            agent_outputs::def(),
            docs_cleanup::def(),
            readiness::def(),
            handoff::def(),
            closure::def(),
            ci_drift::def(),
            workbreakdown_drift::def(),
            manifest_smoke::def(),
            host_composition_guard::def(),
            harness_matrix::def(),
            harness_matrix::instance_isolation_def(),
            observability_contract::def(),
            route_probe::def(),
            metadata_contract::def(),
            discovery_roots::def(),
            import_boundary::def(),
            legacy_metadata_guard::def(),
            conditional_disposition::def(),
            source_pattern::def(),
            json_field::def(),
            doc_contains::def(),
            all_of::def(),
        ]
    })
}

/// The checks that judge a test report, and so can judge one named on the command line
/// (`cargo xtask gate <id> --report FILE`) instead of running their command.
pub fn judges_a_report(check: &str) -> bool {
    harness_matrix::flavor_of(check).is_some() || check == "observability-contract"
}

/// `gate`'s verdict on the test report `report` (see [`judges_a_report`]), without running
/// its command.
pub fn judge_report(
    gate: &crate::pipeline::Gate,
    repo: &std::path::Path,
    report: &std::path::Path,
) -> crate::record::GateResult {
    let check = gate.kind.check_name().unwrap_or_default();
    if harness_matrix::flavor_of(check).is_some() {
        return harness_matrix::judge_existing_result(gate, repo, report);
    }
    let start = std::time::Instant::now();
    let output = observability_contract::judge_existing(gate, repo, report);
    result_of(gate, output, start)
}

/// The rule catalogue (`docs/rules.md`): every check with its summary, what it reads, its old
/// names and its rules. `cargo xtask rules` writes it; a test keeps the file up to date.
pub fn catalogue() -> String {
    let cell = |s: &str| s.replace('|', "\\|").replace('\n', " ");
    let mut s = String::from(
        "# Rules\n\n<!-- Generated from the check registry (`gates::checks::registry`) by `cargo xtask rules`; do not edit by hand. -->\n\nEvery check a pipeline's gate can name (`check = \"...\"`), what it needs, and the rules its\nfindings carry (the same ids as in SARIF `rules`, JUnit and the human output). Adding a\ncheck: docs/architecture.md, \"Adding a check\".\n\n| check | reads | old names | summary |\n| --- | --- | --- | --- |\n",
    );
    let mut defs: Vec<&CheckDef> = registry().iter().collect();
    defs.sort_by_key(|d| d.name);
    for d in &defs {
        let caps: Vec<&str> = d.capabilities.iter().map(|c| c.describe()).collect();
        let aliases: Vec<String> = d.aliases.iter().map(|a| format!("`{}`", a.name)).collect();
        s.push_str(&format!(
            "| [`{}`](#{}) | {} | {} | {} |\n",
            d.name,
            d.name,
            caps.join(", "),
            if aliases.is_empty() {
                "—".to_string()
            } else {
                aliases.join(", ")
            },
            cell(d.summary)
        ));
    }
    for d in &defs {
        s.push_str(&format!("\n## {}\n\n{}\n\n", d.name, cell(d.summary)));
        for a in d.aliases {
            let fixed: Vec<String> = a
                .params
                .iter()
                .map(|(k, v)| format!("`{k} = \"{v}\"`"))
                .collect();
            s.push_str(&format!(
                "- old name `{}`{}\n",
                a.name,
                if fixed.is_empty() {
                    String::new()
                } else {
                    format!(" (with {})", fixed.join(", "))
                }
            ));
        }
        if !d.aliases.is_empty() {
            s.push('\n');
        }
        if d.parts.is_some() {
            s.push_str(
                "Its findings are its parts': each carries the rule its part's check declares (see that check).\n",
            );
        }
        if d.rules().next().is_none() {
            continue;
        }
        if d.parts.is_some() {
            s.push('\n');
        }
        s.push_str("| rule | severity | when | how to fix |\n| --- | --- | --- | --- |\n");
        for r in d.rules() {
            s.push_str(&format!(
                "| `{}` | {} | {} | {} |\n",
                r.id,
                r.severity.as_str(),
                cell(r.summary),
                cell(r.help)
            ));
        }
    }
    s
}

/// The declared rule `id` of check `check`, if any.
pub fn rule(check: &str, id: &str) -> Option<&'static Rule> {
    find(check).and_then(|d| d.rule(id))
}

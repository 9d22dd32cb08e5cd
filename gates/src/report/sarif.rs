//! `--sarif FILE`: the findings of every gate as one SARIF 2.1.0 run, for GitHub code
//! scanning and any SARIF viewer.
//!
//! Generic over gates: every finding of every gate becomes a result whose `ruleId` is the
//! finding's stable rule id (one `reportingDescriptor` per rule id, listing the gates that
//! reported it) and whose location is the repository-relative path under `%SRCROOT%`.
//! Columns count Unicode code points, as the findings do (`columnKind`). Gates that could not
//! judge (errored, timed out) are tool execution notifications, so a broken run never looks
//! like a clean one.
//!
//! Every result has a location, since code scanning drops results without one: a finding
//! without a path is placed at the pipeline file's line declaring its gate ([`Origin`]).
//! The run's `automationDetails.id` names the stage it covers (`phase-a/stage-1/`), the same
//! as the `category` the generated workflow uploads it under, so each stage's upload
//! replaces only that stage's earlier analysis.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::Origin;
use crate::finding::{Finding, Severity};
use crate::record::{GateResult, RunRecord, Status};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The SARIF log of a whole run.
pub fn render(record: &RunRecord, origin: &Origin) -> String {
    render_gates(&record.gates, origin)
}

/// The SARIF log of some gate results (one gate for `cargo xtask gate`).
pub fn render_gates(gates: &[GateResult], origin: &Origin) -> String {
    let mut out = serde_json::to_string_pretty(&log(gates, origin)).expect("SARIF serializes");
    out.push('\n');
    out
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// The SARIF document as a JSON value.
/// The run's `automationDetails.id`: the category of the one stage its gates belong to
/// (what the generated workflow uploads it as), or of the stages it spans.
pub fn automation_id(gates: &[GateResult], origin: &Origin) -> String {
    let stages: std::collections::BTreeSet<u32> = gates.iter().map(|g| g.stage).collect();
    let category = match stages.len() {
        1 => crate::ci::render::sarif_category(&origin.pipeline, *stages.first().unwrap()),
        _ => format!(
            "{}/stages-{}",
            crate::ci::render::slug(&origin.pipeline),
            stages
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join("-")
        ),
    };
    // A trailing `/` makes the whole id the category, with no run id after it.
    format!("{category}/")
}

pub fn log(gates: &[GateResult], origin: &Origin) -> Value {
    // rule id -> (gates reporting it, most severe level seen, the rule as its check declares
    // it in the registry, when it does)
    type Seen<'a> = (Vec<&'a str>, Severity, Option<&'static crate::checks::Rule>);
    let mut rules: BTreeMap<&str, Seen> = BTreeMap::new();
    for g in gates {
        for f in &g.findings {
            let declared = g
                .check
                .as_deref()
                .and_then(|c| origin.rule(&g.id, c, &f.rule));
            let e = rules
                .entry(f.rule.as_str())
                .or_insert((Vec::new(), f.severity, declared));
            if e.2.is_none() {
                e.2 = declared;
            }
            if !e.0.contains(&g.id.as_str()) {
                e.0.push(g.id.as_str());
            }
            e.1 = e.1.min(f.severity);
        }
    }
    let index: BTreeMap<&str, usize> = rules.keys().enumerate().map(|(i, r)| (*r, i)).collect();
    let descriptors: Vec<Value> = rules
        .iter()
        .map(|(id, (gate_ids, sev, declared))| match declared {
            // The catalogue's words (docs/rules.md): what the rule means and how to fix it.
            Some(r) => json!({
                "id": id,
                "shortDescription": { "text": r.summary },
                "fullDescription": { "text": format!("{} (reported by {})", r.summary, gate_ids.join(", ")) },
                "help": { "text": r.help },
                "defaultConfiguration": { "level": level(*sev) },
                "properties": { "gates": gate_ids },
            }),
            None => json!({
                "id": id,
                "shortDescription": { "text": format!("{id} (reported by {})", gate_ids.join(", ")) },
                "defaultConfiguration": { "level": level(*sev) },
                "properties": { "gates": gate_ids },
            }),
        })
        .collect();
    let mut results = Vec::new();
    for g in gates {
        for f in &g.findings {
            results.push(result(g, f, index[f.rule.as_str()], origin));
        }
    }
    let notifications: Vec<Value> = gates
        .iter()
        .filter(|g| matches!(g.status, Status::Errored | Status::TimedOut))
        .map(|g| {
            json!({
                "level": "error",
                "message": { "text": format!("gate {} {}: {}", g.id, g.status.as_str(), g.reason.as_deref().unwrap_or("no reason given")) },
                "descriptor": { "id": g.id },
            })
        })
        .collect();
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "rawr-gates",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": descriptors,
            }},
            "invocations": [{
                "executionSuccessful": notifications.is_empty(),
                "toolExecutionNotifications": notifications,
            }],
            "automationDetails": { "id": automation_id(gates, origin) },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    })
}

fn result(g: &GateResult, f: &Finding, rule_index: usize, origin: &Origin) -> Value {
    let mut text = f.message.clone();
    if let Some(help) = &f.help {
        text.push_str("\nhelp: ");
        text.push_str(help);
    }
    let mut r = json!({
        "ruleId": f.rule,
        "ruleIndex": rule_index,
        "level": level(f.severity),
        "message": { "text": text },
        "properties": { "gate": g.id },
    });
    let (path, line, col) = match &f.path {
        Some(path) => (path.as_str(), f.line, f.col),
        None => {
            let (file, line) = origin.of_gate(&g.id);
            (file, line, 0)
        }
    };
    let mut physical = json!({
        "artifactLocation": { "uri": uri_path(path), "uriBaseId": "%SRCROOT%" },
    });
    if line > 0 {
        let mut region = json!({ "startLine": line });
        if col > 0 {
            region["startColumn"] = json!(col);
        }
        physical["region"] = region;
    }
    r["locations"] = json!([{ "physicalLocation": physical }]);
    r
}

/// A repository-relative path as a relative URI reference: every byte outside RFC 3986's
/// unreserved set and `/` is percent-encoded, so spaces, `%`, `#` and non-ASCII survive.
pub fn uri_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uris_are_relative_and_percent_encoded() {
        assert_eq!(
            uri_path("plugins/web/a b/package.json"),
            "plugins/web/a%20b/package.json"
        );
        assert_eq!(uri_path("src/100%#é.ts"), "src/100%25%23%C3%A9.ts");
    }
}

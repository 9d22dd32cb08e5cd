//! Review and structural disposition documents (`A7_REVIEW_DISPOSITION.md`, the B4A
//! structural disposition): a findings table and a decision line, in the human-editable
//! format documented in `docs/closure-format.md`.
//!
//! The parser is tolerant about presentation (column order, header case, emphasis, extra
//! columns) and strict about content: every finding has a known severity and status and
//! `path:line` evidence, and the document states exactly one decision.

use super::evidence::{self, Resolver};
use super::markdown::{self, Doc, is_blank_value, strip_emphasis};
use crate::finding::{Finding, Severity};

/// The columns of the findings table, by their normalised names.
pub const COLUMNS: &[&str] = &[
    "id",
    "severity",
    "status",
    "evidence",
    "owner",
    "rationale",
    "target slice",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Approve => "approve",
            Decision::Reject => "reject",
        }
    }
}

/// A finding row's disposition, as far as the document states it.
#[derive(Clone, Debug)]
pub struct Item {
    pub line: u32,
    pub id: String,
    pub severity: String,
    pub status: String,
    pub owner: String,
    pub rationale: String,
    pub target_slice: String,
}

/// What a disposition document says, plus every problem with it as findings.
#[derive(Debug, Default)]
pub struct Disposition {
    pub items: Vec<Item>,
    /// The decision and its line, when exactly one valid decision line is present.
    pub decision: Option<(Decision, u32)>,
    pub findings: Vec<Finding>,
}

/// The decision a document states, if exactly one valid decision line is present (used by
/// the report generator; the gates use [`check`]).
pub fn decision_of(text: &str) -> Option<Decision> {
    let doc = Doc::parse(text);
    let kv = markdown::key_value_lines(&doc, "decision");
    match kv.as_slice() {
        [(_, v, _)] => parse_decision(v),
        _ => None,
    }
}

fn parse_decision(v: &str) -> Option<Decision> {
    match v.trim().trim_end_matches('.').to_ascii_lowercase().as_str() {
        "approve" | "approved" => Some(Decision::Approve),
        "reject" | "rejected" => Some(Decision::Reject),
        _ => None,
    }
}

/// Parses and judges a disposition document. `path` is the document's repository-relative
/// path (used in findings); anchors are resolved with `resolver`.
pub fn check(path: &str, text: &str, resolver: &mut Resolver) -> Disposition {
    let doc = Doc::parse(text);
    let mut d = Disposition::default();
    let err =
        |rule: &str, line: u32, col: u32, msg: String| Finding::error(rule, path, line, col, msg);

    // The findings tables: every table with an `id` and a `severity` column (a document may
    // split its findings, e.g. one table per review perspective; none may be skipped).
    let tables = doc.tables(doc.all());
    let findings_tables: Vec<_> = tables
        .iter()
        .filter(|t| t.column("id").is_some() && t.column("severity").is_some())
        .collect();
    if findings_tables.is_empty() {
        d.findings.push(
            err("findings-table-missing", 0, 0, "no findings table (a table with the columns id, severity, status, evidence, owner, rationale, target slice)".into())
                .with_help("add the table even when the review found nothing; see docs/closure-format.md"),
        );
    }
    let mut seen: Vec<(String, u32)> = Vec::new();
    for t in findings_tables {
        let idx: Vec<Option<usize>> = COLUMNS.iter().map(|c| t.column(c)).collect();
        let missing: Vec<&str> = COLUMNS
            .iter()
            .zip(&idx)
            .filter(|(_, i)| i.is_none())
            .map(|(c, _)| *c)
            .collect();
        if !missing.is_empty() {
            d.findings.push(err(
                "findings-table-column-missing",
                t.header_line,
                t.header.first().map(|c| c.col).unwrap_or(1),
                format!(
                    "the findings table lacks the column(s): {}",
                    missing.join(", ")
                ),
            ));
        }
        for row in &t.rows {
            let cell = |k: usize| idx[k].and_then(|i| row.cells.get(i));
            let text_of = |k: usize| cell(k).map(|c| c.text.clone()).unwrap_or_default();
            let col_of = |k: usize| cell(k).map(|c| c.col).unwrap_or(1);
            let id = strip_emphasis(&text_of(0));
            let label = if id.is_empty() {
                format!("the finding on line {}", row.line)
            } else {
                format!("finding `{id}`")
            };
            if id.is_empty() {
                d.findings.push(err(
                    "finding-id-missing",
                    row.line,
                    col_of(0),
                    "a finding row has no id".into(),
                ));
            } else if let Some((_, first)) = seen.iter().find(|(s, _)| *s == id) {
                d.findings.push(err(
                    "finding-id-duplicate",
                    row.line,
                    col_of(0),
                    format!("finding id `{id}` is used again (first on line {first})"),
                ));
            } else {
                seen.push((id.clone(), row.line));
            }
            let severity = strip_emphasis(&text_of(1)).to_ascii_lowercase();
            let status = strip_emphasis(&text_of(2)).to_ascii_lowercase();
            let sev_ok = matches!(severity.as_str(), "blocking" | "high" | "medium" | "low");
            let status_ok = matches!(
                status.as_str(),
                "open" | "resolved" | "deferred" | "accepted"
            );
            if idx[1].is_some() && !sev_ok {
                d.findings.push(err(
                    "invalid-severity",
                    row.line,
                    col_of(1),
                    format!(
                        "{label}: severity `{}` is not one of blocking, high, medium, low",
                        text_of(1)
                    ),
                ));
            }
            if idx[2].is_some() && !status_ok {
                d.findings.push(err(
                    "invalid-status",
                    row.line,
                    col_of(2),
                    format!(
                        "{label}: status `{}` is not one of open, resolved, deferred, accepted",
                        text_of(2)
                    ),
                ));
            }
            if sev_ok && status_ok {
                if matches!(severity.as_str(), "blocking" | "high") && status != "resolved" {
                    d.findings.push(
                            err(
                                "blocking-or-high-not-resolved",
                                row.line,
                                col_of(2),
                                format!("{label} is {severity} and {status}: blocking and high findings must be resolved in-run"),
                            )
                            .with_help("fix it, re-test, re-review, then mark it resolved with the evidence of the fix"),
                        );
                }
                if severity == "medium" && matches!(status.as_str(), "deferred" | "accepted") {
                    for (k, name) in [(4, "owner"), (5, "rationale"), (6, "target slice")] {
                        if idx[k].is_some() && is_blank_value(&text_of(k)) {
                            d.findings.push(err(
                                "medium-disposition-incomplete",
                                row.line,
                                col_of(k),
                                format!("{label} is a {status} medium without {name}"),
                            ));
                        }
                    }
                }
                if severity == "medium" && status == "open" {
                    d.findings.push(
                            err(
                                "medium-open",
                                row.line,
                                col_of(2),
                                format!("{label} is a medium left open: resolve it, or defer/accept it with owner, rationale and target slice"),
                            )
                            .with_severity(Severity::Warning),
                        );
                }
            }
            if idx[3].is_some() {
                let ev = cell(3);
                let anchors = ev
                    .map(|c| evidence::anchors_in_line(&c.text))
                    .unwrap_or_default();
                if anchors.is_empty() {
                    d.findings.push(err(
                        "evidence-missing",
                        row.line,
                        col_of(3),
                        format!("{label} has no `path:line` evidence"),
                    ));
                }
                for a in anchors {
                    if let Err(u) = resolver.resolve(&a) {
                        d.findings
                            .push(err(u.rule, row.line, col_of(3) + a.col - 1, u.message));
                    }
                }
            }
            d.items.push(Item {
                line: row.line,
                id,
                severity,
                status,
                owner: text_of(4),
                rationale: text_of(5),
                target_slice: text_of(6),
            });
        }
    }

    // The decision line.
    let kv = markdown::key_value_lines(&doc, "decision");
    match kv.as_slice() {
        [] => d.findings.push(
            err(
                "decision-missing",
                0,
                0,
                "no decision line (`Decision: approve` or `Decision: reject`)".into(),
            )
            .with_help("state the outcome of the re-review on its own line"),
        ),
        [(line, v, col)] => match parse_decision(v) {
            Some(Decision::Approve) => d.decision = Some((Decision::Approve, *line)),
            Some(Decision::Reject) => {
                d.decision = Some((Decision::Reject, *line));
                d.findings.push(err(
                    "decision-reject",
                    *line,
                    *col,
                    "the decision is `reject`: the slice is not closed".into(),
                ));
            }
            None => d.findings.push(err(
                "decision-invalid",
                *line,
                *col,
                format!("decision `{v}` is neither `approve` nor `reject`"),
            )),
        },
        [(first, ..), rest @ ..] => {
            for (line, _, col) in rest {
                d.findings.push(err(
                    "decision-duplicate",
                    *line,
                    *col,
                    format!(
                        "a second decision line (the first is on line {first}); state one decision"
                    ),
                ));
            }
        }
    }
    d
}

//! `A9_PHASE_B_READINESS.md`: the Phase B kickoff posture, in the format documented in
//! `docs/closure-format.md`.
//!
//! ```markdown
//! Posture: ready            (or: not-ready)
//!
//! ## Blockers
//! - <one list item or table row per blocker; "None." when there are none>
//!
//! ## Owners
//! | slice | owner |
//!
//! ## Order
//! | slice | depends on |
//! ```

use super::markdown::{self, Doc, is_blank_value, normalise_key, strip_emphasis};
use crate::finding::{Finding, Severity};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Posture {
    Ready,
    NotReady,
}

impl Posture {
    pub fn as_str(self) -> &'static str {
        match self {
            Posture::Ready => "ready",
            Posture::NotReady => "not-ready",
        }
    }
}

/// What the readiness document states, and its problems as findings.
#[derive(Debug, Default)]
pub struct Readiness {
    pub posture: Option<Posture>,
    /// Blockers with their lines.
    pub blockers: Vec<(u32, String)>,
    /// Slices in order, with their dependencies.
    pub order: Vec<(String, Vec<String>)>,
    pub owners: Vec<(String, String)>,
    pub findings: Vec<Finding>,
}

fn section_named<'a>(
    doc: &'a Doc,
    name: &str,
) -> Option<(markdown::Heading, std::ops::Range<usize>)> {
    let want = normalise_key(name);
    doc.section(|t| normalise_key(t.trim_end_matches(':')) == want)
}

/// Parses and judges the readiness document at repository-relative `path`.
/// `require_ready` turns a consistent `not-ready` posture from a warning into an error.
pub fn check(path: &str, text: &str, require_ready: bool) -> Readiness {
    let doc = Doc::parse(text);
    let mut r = Readiness::default();
    let err =
        |rule: &str, line: u32, col: u32, msg: String| Finding::error(rule, path, line, col, msg);

    // Posture.
    let kv = markdown::key_value_lines(&doc, "posture");
    let mut posture_line = 0;
    match kv.as_slice() {
        [] => r.findings.push(
            err(
                "posture-missing",
                0,
                0,
                "no posture line (`Posture: ready` or `Posture: not-ready`)".into(),
            )
            .with_help("state the Phase B kickoff posture explicitly"),
        ),
        [(line, v, col), rest @ ..] => {
            posture_line = *line;
            match v
                .trim()
                .trim_end_matches('.')
                .to_ascii_lowercase()
                .replace(['_', ' '], "-")
                .as_str()
            {
                "ready" => r.posture = Some(Posture::Ready),
                "not-ready" => r.posture = Some(Posture::NotReady),
                _ => r.findings.push(err(
                    "posture-invalid",
                    *line,
                    *col,
                    format!("posture `{v}` is neither `ready` nor `not-ready`"),
                )),
            }
            for (l, _, c) in rest {
                r.findings.push(err(
                    "posture-duplicate",
                    *l,
                    *c,
                    format!("a second posture line (the first is on line {line})"),
                ));
            }
        }
    }

    // Blockers: list items or table rows under `## Blockers`; "None" items do not count.
    // Every `Blockers` section is read: a document with a "None." section and, further
    // down, a second one listing a real blocker is not ready.
    let want_blockers = normalise_key("Blockers");
    let blocker_sections =
        doc.sections(|t| normalise_key(t.trim_end_matches(':')) == want_blockers);
    if blocker_sections.is_empty() {
        r.findings.push(err(
            "blockers-section-missing",
            0,
            0,
            "no `Blockers` section".into(),
        ));
    }
    for (_, range) in blocker_sections {
        {
            let tables = doc.tables(range.clone());
            let table_lines: Vec<u32> = tables
                .iter()
                .flat_map(|t| {
                    std::iter::once(t.header_line).chain(std::iter::once(t.header_line + 1))
                })
                .collect();
            for t in &tables {
                for row in &t.rows {
                    let text: Vec<String> = row.cells.iter().map(|c| c.text.clone()).collect();
                    if !row.cells.iter().all(|c| is_blank_value(&c.text)) {
                        r.blockers.push((row.line, text.join(" | ")));
                    }
                }
            }
            for l in doc.visible(range) {
                if table_lines.contains(&l.no)
                    || tables.iter().any(|t| t.rows.iter().any(|x| x.line == l.no))
                {
                    continue;
                }
                let t = markdown::strip_inline_comments(&l.text);
                let t = t.trim_start();
                let item = t
                    .strip_prefix("- ")
                    .or_else(|| t.strip_prefix("* "))
                    .or_else(|| t.strip_prefix("+ "))
                    .or_else(|| {
                        let d = t.chars().take_while(char::is_ascii_digit).count();
                        (d > 0)
                            .then(|| {
                                t[d..]
                                    .strip_prefix(". ")
                                    .or_else(|| t[d..].strip_prefix(") "))
                            })
                            .flatten()
                    });
                if let Some(item) = item
                    && !is_blank_value(item)
                {
                    r.blockers.push((l.no, strip_emphasis(item)));
                }
            }
        }
    }
    // Nested `Blockers` sections overlap: one blocker per line.
    r.blockers.sort();
    r.blockers.dedup();

    // Order: the ordered sequence with dependency rules.
    match section_named(&doc, "Order") {
        None => r.findings.push(err(
            "order-section-missing",
            0,
            0,
            "no `Order` section".into(),
        )),
        Some((h, range)) => {
            let tables = doc.tables(range);
            let t = tables.iter().find(|t| t.column("slice").is_some());
            match t {
                None => r.findings.push(err(
                    "order-table-missing",
                    h.line,
                    1,
                    "the `Order` section has no table with the columns slice, depends on".into(),
                )),
                Some(t) => {
                    let si = t.column("slice").expect("found by column");
                    let di = t.column("depends on").or_else(|| t.column("after"));
                    if di.is_none() {
                        r.findings.push(err(
                            "order-table-column-missing",
                            t.header_line,
                            1,
                            "the order table lacks the `depends on` column".into(),
                        ));
                    }
                    for row in &t.rows {
                        let Some(sc) = row.cells.get(si) else {
                            continue;
                        };
                        let slice = strip_emphasis(&sc.text);
                        if is_blank_value(&slice) {
                            r.findings.push(err(
                                "order-slice-missing",
                                row.line,
                                sc.col,
                                "an order row names no slice".into(),
                            ));
                            continue;
                        }
                        if r.order.iter().any(|(s, _)| *s == slice) {
                            r.findings.push(err(
                                "order-slice-duplicate",
                                row.line,
                                sc.col,
                                format!("slice `{slice}` appears twice in the order"),
                            ));
                            continue;
                        }
                        let mut deps = Vec::new();
                        if let Some(dc) = di.and_then(|i| row.cells.get(i))
                            && !is_blank_value(&dc.text)
                        {
                            for dep in dc
                                .text
                                .split([',', ';'])
                                .map(strip_emphasis)
                                .filter(|d| !d.is_empty())
                            {
                                if dep == slice {
                                    r.findings.push(err(
                                        "dependency-cycle",
                                        row.line,
                                        dc.col,
                                        format!("slice `{slice}` depends on itself"),
                                    ));
                                } else if !r.order.iter().any(|(s, _)| *s == dep) {
                                    // Declared later (out of order) or not at all.
                                    let later = t.rows.iter().any(|x| {
                                        x.cells.get(si).map(|c| strip_emphasis(&c.text))
                                            == Some(dep.clone())
                                    });
                                    let (rule, why) = if later {
                                        (
                                            "dependency-out-of-order",
                                            "is declared later in the order",
                                        )
                                    } else {
                                        ("dependency-undeclared", "is not a declared slice")
                                    };
                                    r.findings.push(err(
                                        rule,
                                        row.line,
                                        dc.col,
                                        format!("slice `{slice}` depends on `{dep}`, which {why}"),
                                    ));
                                }
                                deps.push(dep);
                            }
                        }
                        r.order.push((slice, deps));
                    }
                    if r.order.is_empty() {
                        r.findings.push(err(
                            "order-empty",
                            t.header_line,
                            1,
                            "the order declares no slice".into(),
                        ));
                    }
                }
            }
        }
    }

    // Owners: each opening slice (no dependencies) has one; no owner row for an undeclared slice.
    match section_named(&doc, "Owners") {
        None => r.findings.push(err(
            "owners-section-missing",
            0,
            0,
            "no `Owners` section".into(),
        )),
        Some((h, range)) => {
            let tables = doc.tables(range);
            match tables
                .iter()
                .find(|t| t.column("slice").is_some() && t.column("owner").is_some())
            {
                None => r.findings.push(err(
                    "owners-table-missing",
                    h.line,
                    1,
                    "the `Owners` section has no table with the columns slice, owner".into(),
                )),
                Some(t) => {
                    let (si, oi) = (
                        t.column("slice").expect("found"),
                        t.column("owner").expect("found"),
                    );
                    for row in &t.rows {
                        let Some(sc) = row.cells.get(si) else {
                            continue;
                        };
                        let slice = strip_emphasis(&sc.text);
                        let owner = row
                            .cells
                            .get(oi)
                            .map(|c| c.text.clone())
                            .unwrap_or_default();
                        if !r.order.is_empty() && !r.order.iter().any(|(s, _)| *s == slice) {
                            r.findings.push(err(
                                "owner-for-undeclared-slice",
                                row.line,
                                sc.col,
                                format!("`{slice}` has an owner but is not in the order"),
                            ));
                        }
                        if !is_blank_value(&owner) {
                            r.owners.push((slice, owner));
                        }
                    }
                    for (slice, deps) in &r.order {
                        if deps.is_empty() && !r.owners.iter().any(|(s, _)| s == slice) {
                            r.findings.push(err(
                                "opening-slice-without-owner",
                                t.header_line,
                                1,
                                format!("opening slice `{slice}` has no owner in the owner matrix"),
                            ));
                        }
                    }
                }
            }
        }
    }

    // The posture agrees with the blockers.
    match r.posture {
        Some(Posture::Ready) => {
            for (line, b) in &r.blockers {
                r.findings.push(
                    err(
                        "ready-with-blockers",
                        *line,
                        1,
                        format!("the posture is `ready` but a blocker is listed: {b}"),
                    )
                    .with_help("resolve the blocker and remove it, or state `Posture: not-ready`"),
                );
            }
        }
        Some(Posture::NotReady) => {
            if r.blockers.is_empty() {
                r.findings.push(err(
                    "not-ready-without-blockers",
                    posture_line,
                    1,
                    "the posture is `not-ready` but no blocker is listed".into(),
                ));
            } else {
                let f = err(
                    "phase-b-not-ready",
                    posture_line,
                    1,
                    format!(
                        "Phase B is not ready: {} blocker(s) listed",
                        r.blockers.len()
                    ),
                );
                r.findings.push(if require_ready {
                    f
                } else {
                    f.with_severity(Severity::Warning)
                });
            }
        }
        None => {}
    }
    r
}

/// The posture a readiness document states, if exactly one valid line is present.
pub fn posture_of(text: &str) -> Option<Posture> {
    let r = check("", text, false);
    r.posture
        .filter(|_| !r.findings.iter().any(|f| f.rule == "posture-duplicate"))
}

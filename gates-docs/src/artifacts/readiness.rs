//! The readiness document (`[documents] readiness`): the next phase's kickoff posture, read
//! as people write it
//! (`docs/closure-format.md`).
//!
//! ```markdown
//! ## Readiness Decision
//! `ready`
//!
//! ## Blockers
//! No kickoff blockers.
//!
//! ## Owner Matrix (Next Phase Opening)
//! | Slice | Owner |
//! | --- | --- |
//! | `B0` auth hardening | `@runtime` |
//!
//! ## Ordered Opening Sequence
//! 1. `B0` auth hardening.
//! 2. `B1` router isolation.
//!
//! Dependency rule:
//! - `B1` depends on `B0`.
//! ```

use super::disposition::{DECISION_WORDS, decision_tokens};
use super::markdown::{self, Doc, Table, is_blank_value, normalise_key, strip_emphasis};
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
    /// Owners by concern (concern, owner), when the owners are not given per slice.
    pub concern_owners: Vec<(String, String)>,
    /// Opening steps of an order naming no slice (line, text), before the next packet.
    pub steps: Vec<(u32, String)>,
    pub findings: Vec<Finding>,
}

fn parse_posture(v: &str) -> Option<Posture> {
    let t = v
        .trim()
        .trim_end_matches(['.', '!'])
        .to_ascii_lowercase()
        .replace(['_', ' '], "-");
    match t.as_str() {
        "ready" => Some(Posture::Ready),
        "not-ready" | "notready" | "not-yet-ready" => Some(Posture::NotReady),
        _ => None,
    }
}

/// A statement that there are no blockers: empty or a dash, "none" in a sentence ("None.",
/// "None identified; kickoff can proceed.", "None at this time."), a "no" about blockers
/// ("No kickoff blockers.", "There are currently no blocking issues.", "Kickoff has no open
/// blockers."), "Nothing blocks kickoff.", or a key line saying so ("Blockers: none"). A
/// statement that qualifies its "none" (but, except, unless, until, however, other than) is
/// not none, nor is an unknown ("TBD", "?"): a blocker that is not known to be absent is
/// read as a blocker. "No reviewer for B1" is a blocker: its "no" is not about blockers.
pub fn says_none(s: &str) -> bool {
    let t = strip_emphasis(s).to_ascii_lowercase();
    let t = t.trim().trim_end_matches(['.', '!']).trim();
    if matches!(t, "tbd" | "todo" | "?" | "unknown") {
        return false;
    }
    if is_blank_value(t) {
        return true;
    }
    // A key line: "Blockers: none", "Kickoff blockers — none".
    for sep in [":", " — ", " – ", " - "] {
        if let Some((k, v)) = t.split_once(sep)
            && k.split_whitespace().any(|w| w.starts_with("block"))
            && k.split_whitespace().count() <= 3
        {
            return says_none(v);
        }
    }
    let all: Vec<&str> = t
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let qualified = all.iter().any(|w| {
        matches!(
            *w,
            "but" | "except" | "unless" | "until" | "however" | "besides"
        )
    }) || t.contains("other than")
        || t.contains("apart from");
    if qualified {
        return false;
    }
    // Words that only set the scene before the statement: "There are currently no …",
    // "At present, none."
    const LEAD: &[&str] = &[
        "there",
        "are",
        "is",
        "currently",
        "at",
        "present",
        "we",
        "have",
        "so",
        "far",
        "as",
        "of",
        "now",
        "today",
        "right",
        "still",
    ];
    let words: Vec<&str> = all
        .iter()
        .copied()
        .skip_while(|w| LEAD.contains(w))
        .collect();
    let about_blockers = |w: &&str| {
        w.starts_with("block")
            || w.starts_with("issue")
            || w.starts_with("impediment")
            || w.starts_with("item")
            || w.starts_with("concern")
    };
    match words.first() {
        Some(&("none" | "nothing" | "nil")) => true,
        Some(&("no" | "zero")) => words.len() <= 2 || words.iter().any(about_blockers),
        // "Kickoff has no open blockers": a "no" that a blocker word follows closely.
        _ => words
            .iter()
            .enumerate()
            .any(|(i, w)| *w == "no" && words[i + 1..].iter().take(3).any(about_blockers)),
    }
}

/// A slice id (`B0`, `B1`, `A4B`): one to four capitals, digits, an optional capital.
pub(crate) fn slice_id(w: &str) -> Option<String> {
    let w = w.trim_matches(|c: char| !c.is_ascii_alphanumeric());
    let caps = w.chars().take_while(|c| c.is_ascii_uppercase()).count();
    let digits = w[caps..].chars().take_while(char::is_ascii_digit).count();
    let rest = &w[caps + digits..];
    ((1..=4).contains(&caps)
        && (1..=3).contains(&digits)
        && rest.len() <= 1
        && rest.chars().all(|c| c.is_ascii_uppercase()))
    .then(|| w.to_string())
}

/// The first slice id of a text.
fn first_slice(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, '`' | '*' | ',' | ':' | '(' | ')' | '|'))
        .find_map(slice_id)
}

/// Every slice id of a text, in order.
fn all_slices(text: &str) -> Vec<String> {
    text.split(|c: char| {
        c.is_whitespace() || matches!(c, '`' | '*' | ',' | ':' | '(' | ')' | ';' | '|')
    })
    .filter_map(slice_id)
    .collect()
}

/// The owner column of an owner table: `Owner`, `Owners`, `Owner(s)`, `Primary Owner`,
/// `Owning team`, else one named `Lead`, `DRI`, `Assignee` or `Responsible`. A backup's or
/// deputy's column (`Backup Owner`) is not the owner's.
fn owner_column(t: &Table) -> Option<usize> {
    let names: Vec<String> = t
        .header
        .iter()
        .map(|c| normalise_key(&strip_emphasis(&c.text)))
        .collect();
    let backup = |k: &str| {
        ["backup", "secondary", "deputy", "alternate"]
            .iter()
            .any(|b| k.contains(b))
    };
    names
        .iter()
        .position(|k| matches!(k.as_str(), "owner" | "owners" | "owner(s)"))
        .or_else(|| {
            names
                .iter()
                .position(|k| (k.contains("owner") || k.contains("owning")) && !backup(k))
        })
        .or_else(|| {
            names.iter().position(|k| {
                matches!(
                    k.as_str(),
                    "lead" | "dri" | "assignee" | "responsible" | "accountableowner"
                )
            })
        })
}

/// Table lines (header, delimiter, rows) so line readers can skip them.
fn table_lines(tables: &[Table]) -> Vec<u32> {
    tables
        .iter()
        .flat_map(|t| {
            [t.header_line, t.header_line + 1]
                .into_iter()
                .chain(t.rows.iter().map(|r| r.line))
        })
        .collect()
}

/// Parses and judges the readiness document at repository-relative `path`.
/// `require_ready` turns a consistent `not-ready` posture from a warning into an error.
pub fn check(path: &str, text: &str, require_ready: bool) -> Readiness {
    check_with(path, text, require_ready, true)
}

/// The phase a readiness document opens: the letter of the first `Phase X` in its title, else
/// in a heading naming the order (`## Ordering Guidance for Phase E Start`).
pub fn next_phase(text: &str) -> Option<char> {
    let doc = Doc::parse(text);
    let heads = doc.headings();
    let of = |t: &str| {
        let w: Vec<&str> = t.split(|c: char| !c.is_ascii_alphanumeric()).collect();
        w.windows(2).find_map(|p| {
            (p[0].eq_ignore_ascii_case("phase") && p[1].len() == 1)
                .then(|| p[1].chars().next())
                .flatten()
                .filter(char::is_ascii_uppercase)
        })
    };
    heads
        .first()
        .and_then(|h| of(&h.title))
        .or_else(|| heads.iter().find_map(|h| of(&h.title)))
}

/// [`check`], saying whether the next phase's packet is written (`next_packet`): until it
/// is, the order may be a list of opening steps that names no slice of it ("Start with the
/// Phase E planning packet", "F1+ runtime slices in packet order"), and owners may be given
/// by concern.
pub fn check_with(path: &str, text: &str, require_ready: bool, next_packet: bool) -> Readiness {
    let doc = Doc::parse(text);
    let mut r = Readiness::default();
    let err =
        |rule: &str, line: u32, col: u32, msg: String| Finding::error(rule, path, line, col, msg);

    // Posture: a token under a heading naming the decision, or a `Posture:` line.
    let (tokens, invalid) = decision_tokens(&doc, DECISION_WORDS, parse_posture);
    let mut posture_line = 0;
    for (line, col, v) in &invalid {
        r.findings.push(err(
            "posture-invalid",
            *line,
            *col,
            format!("posture `{v}` is neither `ready` nor `not-ready`"),
        ));
    }
    match tokens.first() {
        None if invalid.is_empty() => r.findings.push(
            err(
                "posture-missing",
                0,
                0,
                "no posture: no `ready` or `not-ready` under a heading naming the decision, nor a `Posture:` line".into(),
            )
            .with_help("state the next phase's kickoff posture: `## Readiness Decision` then `ready`"),
        ),
        None => {}
        Some(&(line, _, first)) => {
            posture_line = line;
            let conflict: Vec<_> = tokens.iter().filter(|t| t.2 != first).collect();
            for (l, c, v) in &conflict {
                r.findings.push(err(
                    "posture-conflict",
                    *l,
                    *c,
                    format!(
                        "the document states `{}` here and `{}` on line {line}: one posture",
                        v.as_str(),
                        first.as_str()
                    ),
                ));
            }
            if conflict.is_empty() && invalid.is_empty() {
                r.posture = Some(first);
            }
        }
    }

    // Blockers: every statement of every section whose heading names blockers, unless it
    // says there are none; or a `Blockers:` line.
    // `## Blockers`, `## Blocking Items`; not `## Non-Blocking Carry-Forward`.
    let blocker_sections = doc.sections(|t| {
        let l = t.to_ascii_lowercase();
        markdown::has_word(t, &["blockers", "blocker"])
            || (markdown::has_word(t, &["blocking"])
                && !l.contains("non-blocking")
                && !l.contains("non blocking")
                && !l.contains("nonblocking"))
    });
    let kv = markdown::key_value_lines(&doc, "blockers");
    if blocker_sections.is_empty() && kv.is_empty() {
        r.findings.push(err(
            "blockers-section-missing",
            0,
            0,
            "no `Blockers` section (write \"No blockers.\" under it when there are none)".into(),
        ));
    }
    // Whether anything states the blockers, as blockers or as none: an empty section says
    // neither, and is not read as "none" (SPEC §7: none when the section says so in words).
    let mut stated = !kv.is_empty();
    for (line, v, _) in kv {
        if !says_none(&v) {
            r.blockers.push((line, v));
        }
    }
    let first_heading = blocker_sections.first().map(|(h, _)| h.line);
    let heading_lines: Vec<u32> = doc.headings().iter().map(|h| h.line).collect();
    for (_, range) in blocker_sections {
        let tables = doc.tables(range.clone());
        for t in &tables {
            for row in &t.rows {
                stated = true;
                let text: Vec<String> = row.cells.iter().map(|c| c.text.clone()).collect();
                if !row.cells.iter().all(|c| says_none(&c.text)) {
                    r.blockers.push((row.line, text.join(" | ")));
                }
            }
        }
        let skip = table_lines(&tables);
        for l in doc.visible(range) {
            // A sub-heading (`### Kickoff`) is structure, not a statement.
            if skip.contains(&l.no) || heading_lines.contains(&l.no) {
                continue;
            }
            let t = markdown::strip_line_markers(l.text.trim());
            if t.is_empty() {
                continue;
            }
            stated = true;
            if says_none(t) {
                continue;
            }
            r.blockers.push((l.no, strip_emphasis(t)));
        }
    }
    if let (Some(line), false) = (first_heading, stated) {
        r.findings.push(
            err(
                "blockers-unstated",
                line,
                1,
                "the `Blockers` section is empty: it states neither blockers nor that there are none"
                    .into(),
            )
            .with_help("write the blockers, or \"No blockers.\" when there are none"),
        );
    }
    r.blockers.sort();
    r.blockers.dedup();

    // Order: a table or a list under a heading naming the order or the sequence, with
    // dependency rules in a `depends on` column or stated as "B1 depends on B0".
    let mut rules: Vec<(u32, u32, String, Vec<String>)> = Vec::new();
    let mut explicit_deps = false;
    match doc.section(|t| {
        markdown::has_word(
            t,
            &["order", "ordered", "ordering", "sequence", "sequencing"],
        )
    }) {
        None => r.findings.push(err(
            "order-section-missing",
            0,
            0,
            "no section naming the order (e.g. `## Ordered Opening Sequence`)".into(),
        )),
        Some((h, range)) => {
            let tables = doc.tables(range.clone());
            let skip = table_lines(&tables);
            let mut declared: Vec<(u32, u32, String)> = Vec::new();
            if let Some(t) = tables.first() {
                let si = t.column_containing(&["slice"]).unwrap_or(0);
                let di = t.column_containing(&["depends", "after", "dependency"]);
                for row in &t.rows {
                    let Some(sc) = row.cells.get(si) else {
                        continue;
                    };
                    match first_slice(&sc.text) {
                        None => r.findings.push(err(
                            "order-slice-missing",
                            row.line,
                            sc.col,
                            "an order row names no slice".into(),
                        )),
                        Some(s) => {
                            declared.push((row.line, sc.col, s.clone()));
                            if let Some(dc) = di.and_then(|i| row.cells.get(i)) {
                                explicit_deps = true;
                                if !is_blank_value(&dc.text) {
                                    let deps = dc
                                        .text
                                        .split([',', ';'])
                                        .map(strip_emphasis)
                                        .filter(|d| !d.is_empty())
                                        .collect();
                                    rules.push((row.line, dc.col, s, deps));
                                }
                            }
                        }
                    }
                }
            }
            let items = doc.items(range.clone());
            let min_depth = items.iter().map(|i| i.depth).min().unwrap_or(0);
            for it in items
                .iter()
                .filter(|i| i.depth == min_depth && !skip.contains(&i.line))
            {
                if it.text.to_ascii_lowercase().contains("depends on") {
                    continue; // a dependency rule, read below
                }
                match first_slice(&it.text) {
                    Some(s) => declared.push((it.line, it.col, s)),
                    // An opening step before the next packet names its slices.
                    None if !next_packet => r.steps.push((it.line, it.text.clone())),
                    None => r.findings.push(err(
                        "order-slice-missing",
                        it.line,
                        it.col,
                        "an item of the order names no slice".into(),
                    )),
                }
            }
            // Neither a table nor a list: a chain on a line of its own, "B0 → B1 → B2".
            if declared.is_empty() {
                let item_lines: Vec<u32> = items.iter().map(|i| i.line).collect();
                for l in doc.visible(range.clone()) {
                    if skip.contains(&l.no) || item_lines.contains(&l.no) {
                        continue;
                    }
                    let chained = ["→", "->", "=>", "⟶", "➝"]
                        .iter()
                        .fold(l.text.clone(), |t, a| t.replace(a, "  "));
                    if chained == l.text {
                        continue;
                    }
                    let mut from = 0;
                    for sl in all_slices(&chained) {
                        // Each id is a piece of the line; look for it after the previous one.
                        let Some(at) = l.text.get(from..).and_then(|t| t.find(&sl)) else {
                            declared.push((l.no, 1, sl));
                            continue;
                        };
                        let at = from + at;
                        let col = l.text[..at].chars().count() as u32 + 1;
                        from = at + sl.len();
                        declared.push((l.no, col, sl));
                    }
                }
            }
            // Dependency rules: "`B1` depends on `B0`" anywhere in the section.
            for l in doc.visible(range) {
                let lower = l.text.to_ascii_lowercase();
                let Some(p) = lower.find("depends on") else {
                    continue;
                };
                let Some(s) = all_slices(&l.text[..p]).pop() else {
                    continue;
                };
                let deps = all_slices(&l.text[p + "depends on".len()..]);
                let col = l.text[..p].chars().count() as u32 + 1;
                explicit_deps = true;
                rules.push((l.no, col, s, deps));
            }
            declared.sort_by_key(|(l, c, _)| (*l, *c));
            for (line, col, s) in &declared {
                if r.order.iter().any(|(x, _)| x == s) {
                    r.findings.push(err(
                        "order-slice-duplicate",
                        *line,
                        *col,
                        format!("slice `{s}` appears twice in the order"),
                    ));
                } else {
                    r.order.push((s.clone(), Vec::new()));
                }
            }
            if r.order.is_empty() && r.steps.is_empty() {
                r.findings.push(err(
                    "order-empty",
                    h.line,
                    1,
                    "the order declares no slice".into(),
                ));
            }
            // Without any stated dependency the order is a plain sequence.
            if !explicit_deps {
                for k in 1..r.order.len() {
                    let prev = r.order[k - 1].0.clone();
                    r.order[k].1.push(prev);
                }
            }
            for (line, col, s, deps) in &rules {
                let Some(pos) = r.order.iter().position(|(x, _)| x == s) else {
                    r.findings.push(err(
                        "dependency-undeclared",
                        *line,
                        *col,
                        format!("a dependency rule names `{s}`, which is not a slice of the order"),
                    ));
                    continue;
                };
                for d in deps {
                    let dpos = r.order.iter().position(|(x, _)| x == d);
                    let problem = match dpos {
                        _ if d == s => {
                            Some(("dependency-cycle", format!("slice `{s}` depends on itself")))
                        }
                        None => Some((
                            "dependency-undeclared",
                            format!(
                                "slice `{s}` depends on `{d}`, which is not a slice of the order"
                            ),
                        )),
                        Some(dp) if dp > pos => Some((
                            "dependency-out-of-order",
                            format!("slice `{s}` depends on `{d}`, which comes later in the order"),
                        )),
                        Some(_) => None,
                    };
                    if let Some((rule, msg)) = problem {
                        r.findings.push(err(rule, *line, *col, msg));
                    }
                    if !r.order[pos].1.contains(d) {
                        r.order[pos].1.push(d.clone());
                    }
                }
            }
        }
    }

    // Owners: a table (or list) under a heading naming the owners; every opening slice has
    // one, and no owner is given for a slice outside the order.
    match doc.section(|t| markdown::has_word(t, &["owner", "owners", "ownership"])) {
        None => r.findings.push(err(
            "owners-section-missing",
            0,
            0,
            "no section naming the owners (e.g. `## Owner Matrix`)".into(),
        )),
        Some((h, range)) => {
            let tables = doc.tables(range.clone());
            let mut rows: Vec<(u32, u32, String, String)> = Vec::new();
            let mut matrix_line = h.line;
            if let Some((t, oi)) = tables
                .iter()
                .find_map(|t| owner_column(t).map(|oi| (t, oi)))
            {
                matrix_line = t.header_line;
                let by_concern =
                    t.column_containing(&["slice"]).is_none() && t.column("concern").is_some();
                let si = t.column_containing(&["slice"]).unwrap_or(0);
                for row in t.rows.iter().filter(|_| by_concern) {
                    // Owners by concern (`| Concern | Owner | … |`): each concern has one.
                    let owner = row
                        .cells
                        .get(oi)
                        .map(|c| c.text.clone())
                        .unwrap_or_default();
                    let concern = row
                        .cells
                        .get(si)
                        .map(|c| c.text.clone())
                        .unwrap_or_default();
                    if is_blank_value(&owner) {
                        r.findings.push(err(
                            "owner-missing",
                            row.line,
                            row.cells.get(oi).map_or(1, |c| c.col),
                            format!("concern `{}` has no owner", strip_emphasis(&concern)),
                        ));
                    } else {
                        r.concern_owners.push((strip_emphasis(&concern), owner));
                    }
                }
                for row in t.rows.iter().filter(|_| !by_concern) {
                    let Some(sc) = row.cells.get(si) else {
                        continue;
                    };
                    let owner = row
                        .cells
                        .get(oi)
                        .map(|c| c.text.clone())
                        .unwrap_or_default();
                    match first_slice(&sc.text) {
                        Some(s) => rows.push((row.line, sc.col, s, owner)),
                        None => r.findings.push(err(
                            "owner-slice-missing",
                            row.line,
                            sc.col,
                            "an owner row names no slice".into(),
                        )),
                    }
                }
            } else {
                for it in doc.items(range.clone()) {
                    if let Some(s) = first_slice(&it.text) {
                        let rest = it.text.split_once(s.as_str()).map_or("", |x| x.1);
                        let owner = rest
                            .trim_matches(|c: char| {
                                c.is_whitespace() || matches!(c, ':' | '-' | '—' | '`')
                            })
                            .to_string();
                        rows.push((it.line, it.col, s, owner));
                    }
                }
                if rows.is_empty() {
                    // A list of teams, each with what it owns: `` `@runtime-host`: own the
                    // slice sequencing``, `Steward/orchestrator: enforce …`.
                    for it in doc.items(range.clone()) {
                        // A note or a placeholder (`Note: TBD`) is no owner.
                        let label = strip_emphasis(it.text.split(':').next().unwrap_or(""))
                            .trim()
                            .to_ascii_lowercase();
                        if let Some((who, what)) = it.text.split_once(':')
                            && !is_blank_value(who)
                            && who.split_whitespace().count() <= 3
                            && !is_blank_value(what)
                            && !matches!(
                                label.as_str(),
                                "note" | "notes" | "nb" | "todo" | "tbd" | "caveat" | "example"
                            )
                        {
                            r.concern_owners
                                .push((what.trim().to_string(), strip_emphasis(who.trim())));
                        }
                    }
                }
                if rows.is_empty() && r.concern_owners.is_empty() {
                    r.findings.push(err(
                        "owners-table-missing",
                        h.line,
                        1,
                        "the owners section has no table with an `Owner` column, nor a list of slices and owners".into(),
                    ));
                }
            }
            for (line, col, slice, owner) in rows {
                if !r.order.is_empty() && !r.order.iter().any(|(s, _)| *s == slice) {
                    r.findings.push(err(
                        "owner-for-undeclared-slice",
                        line,
                        col,
                        format!("`{slice}` has an owner but is not in the order"),
                    ));
                }
                if !is_blank_value(&owner) {
                    r.owners.push((slice, owner));
                }
            }
            // Owners by concern are not matched with slices.
            for (slice, deps) in r.order.iter().filter(|_| r.concern_owners.is_empty()) {
                if deps.is_empty() && !r.owners.iter().any(|(s, _)| s == slice) {
                    r.findings.push(err(
                        "opening-slice-without-owner",
                        matrix_line,
                        1,
                        format!("opening slice `{slice}` has no owner in the owner matrix"),
                    ));
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
                    .with_help(
                        "resolve the blocker and remove it, or change the decision to `not-ready`",
                    ),
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
                    "next-phase-not-ready",
                    posture_line,
                    1,
                    format!(
                        "the next phase is not ready: {} blocker(s) listed",
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
}

#[cfg(test)]
mod tests {
    use super::says_none;

    #[test]
    fn statements_of_no_blockers() {
        for s in [
            "No kickoff blockers.",
            "There are no blockers.",
            "There are currently no blocking issues.",
            "Kickoff has no open blockers.",
            "Nothing blocks kickoff.",
            "None.",
            "None at this time.",
            "None identified; kickoff can proceed.",
            "At present, none.",
            "Blockers: none.",
            "Kickoff blockers — none",
            "No known issues.",
            "No.",
            "N/A",
            "—",
            "",
        ] {
            assert!(says_none(s), "{s:?} says there are none");
        }
    }

    #[test]
    fn statements_that_are_blockers_or_unknown() {
        for s in [
            "No reviewer for B1",
            "No owner for B2 yet.",
            "None, but B0 waits on the auth provider.",
            "No blockers except the B0 sign-off.",
            "Nothing until the auth review lands.",
            "None other than the B0 sign-off.",
            "Blockers: B0 sign-off",
            "B0 waits on the session provider contract.",
            "TBD",
            "?",
        ] {
            assert!(!says_none(s), "{s:?} is a blocker");
        }
    }
}

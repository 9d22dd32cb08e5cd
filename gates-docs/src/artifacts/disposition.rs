//! Review and structural disposition documents (`C5_REVIEW_DISPOSITION.md`, a structural
//! record): findings and a decision, as people write them (`docs/closure-format.md`).
//!
//! Findings are a table (id, severity, status, evidence, owner, rationale, target slice) or
//! a list under a heading naming findings, each item carrying its status as a bold or code
//! token (`1. Caller policy drift: **resolved**.`). The decision is a token (`approve`,
//! `reject`) in the section under a heading naming the decision (`## Final C5 Decision`
//! then `` `approve` ``), as a code span, bold, or a `Decision: approve` line anywhere. The
//! reader is tolerant about presentation and strict about content: a finding without a
//! readable status, two different decisions, or none, is a finding, never a pass.

use super::evidence::{self, Resolver};
use super::markdown::{self, Doc, Inline, InlineKind, is_blank_value, strip_emphasis};
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

/// The decision a document states, if it states one decision without conflict (used by
/// the report generator; the gates use [`check`]). A review history's last decision, in a
/// final or re-review section, stands over the earlier ones ([`settle`]).
pub fn decision_of(text: &str) -> Option<Decision> {
    let doc = Doc::parse(text);
    let vocab = Vocabulary::default();
    let closed = changes_closed(&doc);
    let (tokens, invalid) = decision_tokens_keyed(&doc, DECISION_WORDS, DECISION_KEYS, |v| {
        vocab.parse(v, closed)
    });
    if !invalid.is_empty() {
        return None;
    }
    match settle(&doc, &tokens) {
        Settled::One(i) | Settled::History(i) => Some(tokens[i].2),
        Settled::None | Settled::Conflict => None,
    }
}

/// Words a heading or key uses to name the decision.
pub const DECISION_WORDS: &[&str] = &["decision", "verdict", "posture", "outcome"];

/// Words a key line uses to state the decision: the heading words and `disposition`
/// (`- Disposition: `not_ready``, `disposition: approve`, `- Final disposition: `approve``).
/// A heading with `disposition` is not a decision section by that word alone (`## Finding
/// Disposition` holds the findings); see [`closing_heading`].
pub const DECISION_KEYS: &[&str] = &["decision", "verdict", "posture", "outcome", "disposition"];

/// The words a pipeline accepts as decisions (the review and structural gates' param
/// `decisions`), with their meaning. A value is compared with case, spaces, `-` and `_`
/// ignored (`not ready`, `not-ready` and `not_ready` are one word).
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vocabulary {
    /// The slice is closed: default `approve`, `approved`, `approval`, `ready`.
    #[serde(default = "default_approve")]
    pub approve: Vec<String>,
    /// The slice is not closed: default `reject`, `rejected`, `rejection`, `not_ready`.
    #[serde(default = "default_reject")]
    pub reject: Vec<String>,
    /// Approve once the requested changes are made, which the document states with a
    /// `status: closed` (or `resolved`, `done`, `complete`) key line outside the findings;
    /// a reject otherwise. Default `approve_with_changes`, `approved_with_changes`.
    #[serde(default = "default_conditional")]
    pub approve_when_closed: Vec<String>,
}

fn default_approve() -> Vec<String> {
    ["approve", "approved", "approval", "ready"]
        .map(String::from)
        .to_vec()
}

fn default_reject() -> Vec<String> {
    ["reject", "rejected", "rejection", "not_ready"]
        .map(String::from)
        .to_vec()
}

fn default_conditional() -> Vec<String> {
    ["approve_with_changes", "approved_with_changes"]
        .map(String::from)
        .to_vec()
}

impl Default for Vocabulary {
    fn default() -> Self {
        Vocabulary {
            approve: default_approve(),
            reject: default_reject(),
            approve_when_closed: default_conditional(),
        }
    }
}

impl Vocabulary {
    /// The decision `v` states; `closed` says whether the document states its changes made.
    pub fn parse(&self, v: &str, closed: bool) -> Option<Decision> {
        let key = markdown::normalise_key(v.trim().trim_end_matches(['.', '!']));
        if key.is_empty() {
            return None;
        }
        let has = |list: &[String]| list.iter().any(|w| markdown::normalise_key(w) == key);
        if has(&self.approve) {
            Some(Decision::Approve)
        } else if has(&self.reject) {
            Some(Decision::Reject)
        } else if has(&self.approve_when_closed) {
            Some(if closed {
                Decision::Approve
            } else {
                Decision::Reject
            })
        } else {
            None
        }
    }
}

/// Whether the document states its review closed: a `status: closed` key line (also
/// `resolved`, `done`, `complete`) outside the findings.
fn changes_closed(doc: &Doc) -> bool {
    let findings: Vec<std::ops::Range<usize>> = doc
        .sections(|t| markdown::has_word(t, &["findings", "finding"]))
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    markdown::key_value_lines_in(doc, doc.all(), &["status"])
        .iter()
        .filter(|(l, _, _)| !findings.iter().any(|r| r.contains(&(*l as usize - 1))))
        .any(|(_, v, _)| {
            matches!(
                v.trim_end_matches('.').to_ascii_lowercase().as_str(),
                "closed" | "resolved" | "done" | "complete" | "completed"
            )
        })
}

/// How the decision tokens of a document settle.
#[derive(Debug, PartialEq, Eq)]
pub enum Settled {
    None,
    /// Every token states the same decision: the first one's index.
    One(usize),
    /// A review history: the rounds (one section each: `## Initial Review`, `## Re-Review`,
    /// `## Final Disposition`) state different decisions, and the last one, in a section
    /// or on a key line naming it final or a re-review, stands. Its index.
    History(usize),
    /// Two different decisions in one section, or with no final one: a conflict.
    Conflict,
}

/// Settles the tokens of [`decision_tokens`] (see [`Settled`]).
pub fn settle<T: Copy + PartialEq>(doc: &Doc, tokens: &[(u32, u32, T)]) -> Settled {
    let Some(first) = tokens.first() else {
        return Settled::None;
    };
    if tokens.iter().all(|t| t.2 == first.2) {
        return Settled::One(0);
    }
    let heads = doc.headings();
    // The section a line is in: its heading's index (a heading line is its own section).
    let section_of = |line: u32| heads.iter().rposition(|h| h.line <= line);
    for a in tokens {
        if tokens
            .iter()
            .any(|b| section_of(a.0) == section_of(b.0) && a.2 != b.2)
        {
            return Settled::Conflict;
        }
    }
    let last = tokens.len() - 1;
    let line = tokens[last].0;
    let final_section = section_of(line)
        .and_then(|i| heads.get(i))
        .is_some_and(|h| {
            let t = h.title.to_ascii_lowercase();
            h.line != line
                && (markdown::has_word(&t, &["final"])
                    || t.contains("re-review")
                    || t.contains("rereview"))
        });
    let final_key = doc
        .lines
        .get(line as usize - 1)
        .and_then(|l| l.text.split(':').next())
        .is_some_and(|k| markdown::has_word(k, &["final"]));
    if final_section || final_key {
        Settled::History(last)
    } else {
        Settled::Conflict
    }
}

/// A section heading that holds the decision without naming it: `## Disposition`, `## Final
/// C5 Disposition`, `## Conclusion`, `## Sign-off`. Below the title only (`# C5 Review
/// Disposition` is the whole document), and only of those words and the slice's
/// (`## Finding Disposition` holds the findings).
fn closing_heading(h: &markdown::Heading) -> bool {
    let words: Vec<String> = h
        .title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    h.level >= 2
        && words.iter().any(|w| {
            matches!(
                w.as_str(),
                "disposition" | "conclusion" | "signoff" | "sign"
            )
        })
        && words.iter().all(|w| {
            super::readiness::slice_id(&w.to_ascii_uppercase()).is_some()
                || matches!(
                    w.as_str(),
                    "final"
                        | "a7"
                        | "b4a"
                        | "review"
                        | "structural"
                        | "disposition"
                        | "conclusion"
                        | "signoff"
                        | "sign"
                        | "off"
                )
        })
}

/// The decision tokens of a document: `Key: value` lines whose key names the decision (an
/// unknown value is returned in the second list), and, in every section whose heading names
/// the decision, code spans, bold runs and lines that are a token. Each as (line, column,
/// value), in document order, one per position.
/// Tokens found (line, column, value) and unreadable `Decision:` values (line, column, text).
pub type Tokens<T> = (Vec<(u32, u32, T)>, Vec<(u32, u32, String)>);

pub fn decision_tokens<T: Copy + PartialEq>(
    doc: &Doc,
    words: &[&str],
    parse: impl Fn(&str) -> Option<T>,
) -> Tokens<T> {
    decision_tokens_keyed(doc, words, words, parse)
}

/// Headings of sections that report checks run, not decisions: a `- Outcome: pass` there
/// is a command's result.
const VERIFICATION_WORDS: &[&str] = &["verification", "validation", "commands", "checks"];

/// [`decision_tokens`] with the words of key lines apart from the words of headings
/// (`key_words`: [`DECISION_KEYS`] for dispositions). Key lines in a section whose heading
/// names verification (`## Verification Command Outcomes`) are results, not decisions.
pub fn decision_tokens_keyed<T: Copy + PartialEq>(
    doc: &Doc,
    words: &[&str],
    key_words: &[&str],
    parse: impl Fn(&str) -> Option<T>,
) -> Tokens<T> {
    let mut tokens: Vec<(u32, u32, T)> = Vec::new();
    // The lines with a token so far (a look-up per line, not a scan of every token).
    let mut token_lines: std::collections::HashSet<u32> = std::collections::HashSet::new();
    let mut invalid = Vec::new();
    let results: Vec<std::ops::Range<usize>> = doc
        .sections(|t| markdown::has_word(t, VERIFICATION_WORDS))
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    for l in doc.visible(doc.all()) {
        let t = markdown::strip_line_markers(l.text.trim_start());
        let Some(colon) = t.find(':') else { continue };
        let key = t[..colon].trim_matches(['*', '_', '`', ' ']);
        if key.is_empty()
            || key.split_whitespace().count() > 4
            || !markdown::has_word(key, key_words)
            || results.iter().any(|r| r.contains(&(l.no as usize - 1)))
        {
            continue;
        }
        let v = t[colon + 1..].trim_start_matches('*');
        let value = strip_emphasis(v.trim());
        let col = (l.text.len() - v.trim_start().len()) as u32 + 1;
        let col = l.text[..(col as usize - 1).min(l.text.len())]
            .chars()
            .count() as u32
            + 1;
        // `Decision: `approve` (after re-review)`: the first word decides.
        let head = value.split_whitespace().next().unwrap_or("");
        match parse(&value).or_else(|| parse(&strip_emphasis(head))) {
            Some(d) => {
                tokens.push((l.no, col, d));
                token_lines.insert(l.no);
            }
            // Only a key that is the decision word itself (`Decision: maybe`) states an
            // unreadable decision; "Keep forward-only posture: no rollback" is prose.
            None if key_words.iter().any(|w| key.eq_ignore_ascii_case(w))
                || key.eq_ignore_ascii_case("final decision")
                || key.eq_ignore_ascii_case("final disposition") =>
            {
                invalid.push((l.no, col, value))
            }
            None => {}
        }
    }
    for (_, range) in
        doc.sections_where(|h| markdown::has_word(&h.title, words) || closing_heading(h))
    {
        for (line, i) in doc.inlines_in(range.clone()) {
            if i.kind == InlineKind::LinkTarget {
                continue;
            }
            if let Some(d) = parse(&i.text) {
                tokens.push((line, i.col, d));
                token_lines.insert(line);
            }
        }
        for l in doc.visible(range) {
            if token_lines.contains(&l.no) {
                continue; // a code span or bold run on the line already states it
            }
            let t = markdown::strip_line_markers(l.text.trim_start());
            let plain = strip_emphasis(t);
            // A line that is the token, or a short one that opens with it ("Approved ✅",
            // "Approve with follow-ups.", "Not ready: B0 has no owner."); a longer sentence
            // opening with the word ("Rejected alternatives: …") is prose.
            let words: Vec<&str> = plain
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
                .filter(|w| !w.is_empty())
                .collect();
            let lead = (words.len() <= 6)
                .then(|| {
                    (1..=words.len().min(3))
                        .rev()
                        .find_map(|n| parse(&words[..n].join("-")).map(|d| (n, d)))
                })
                .flatten()
                // "Approve? No — reject.": a line that goes on to the other token states
                // neither with certainty.
                .filter(|(n, d)| words[*n..].iter().all(|w| parse(w).is_none_or(|x| x == *d)))
                .map(|(_, d)| d);
            if let Some(d) = parse(&plain).or(lead) {
                let col = (l.text.len() - t.len()) as u32 + 1;
                tokens.push((l.no, col, d));
                token_lines.insert(l.no);
            }
        }
    }
    // One token per line and value: `**`approve`**` is one statement, while "`approve`
    // (not `reject`)" states both and stays a conflict.
    tokens.sort_by_key(|(l, c, _)| (*l, *c));
    // The values already seen on the current line (tokens are sorted by line; a line holds
    // at most one of each value once deduplicated, so this stays short).
    let mut seen: (u32, Vec<T>) = (0, Vec::new());
    tokens.retain(|(l, _, v)| {
        if seen.0 != *l {
            seen = (*l, Vec::new());
        }
        let new = !seen.1.contains(v);
        if new {
            seen.1.push(*v);
        }
        new
    });
    (tokens, invalid)
}

/// Status words of a prose finding, with what they mean.
fn parse_status(v: &str) -> Option<&'static str> {
    let w = v
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '-')
        .find(|w| !w.is_empty())?;
    match w.to_ascii_lowercase().as_str() {
        "resolved" | "fixed" | "closed" | "done" => Some("resolved"),
        "open" | "unresolved" | "pending" => Some("open"),
        "deferred" => Some("deferred"),
        "accepted" => Some("accepted"),
        _ => None,
    }
}

fn parse_severity(v: &str) -> Option<&'static str> {
    v.split(|c: char| !c.is_ascii_alphanumeric()).find_map(|w| {
        match w.to_ascii_lowercase().as_str() {
            "blocking" | "blocker" | "critical" | "p0" => Some("blocking"),
            "high" | "p1" => Some("high"),
            "medium" | "p2" => Some("medium"),
            "low" | "p3" | "nit" => Some("low"),
            _ => None,
        }
    })
}

/// Findings written as a list under a heading naming them: one top-level item per finding,
/// its status a bold or code token (or `Status: x`), its severity likewise when given.
fn prose_findings(path: &str, doc: &Doc, resolver: &mut Resolver, d: &mut Disposition) -> bool {
    let sections = doc.sections(|t| {
        t.split(|c: char| !c.is_ascii_alphanumeric())
            .any(|w| w.eq_ignore_ascii_case("findings") || w.eq_ignore_ascii_case("finding"))
    });
    let mut any = false;
    for (_, range) in sections {
        let items = doc.items(range.clone());
        let inl = doc.inlines_in(range.clone());
        let top: Vec<usize> = (0..items.len())
            .filter(|&k| items[k].depth == items.iter().map(|i| i.depth).min().unwrap_or(0))
            .collect();
        for (n, &k) in top.iter().enumerate() {
            any = true;
            let it = &items[k];
            let end_line = top
                .get(n + 1)
                .map(|&j| items[j].line)
                .unwrap_or(range.end as u32 + 1);
            // Tokens on the item's own first line(s): before its nested items.
            let own_end = items
                .get(k + 1)
                .filter(|x| x.depth > it.depth)
                .map(|x| x.line)
                .unwrap_or(end_line);
            let toks: Vec<&(u32, Inline)> = inl
                .iter()
                .filter(|(l, i)| *l >= it.line && *l < own_end && i.kind != InlineKind::LinkTarget)
                .collect();
            let kv = |key: &str| {
                let lower = it.text.to_ascii_lowercase();
                lower
                    .find(&format!("{key}:"))
                    .map(|p| it.text[p + key.len() + 1..].trim().to_string())
            };
            let status = toks
                .iter()
                .find_map(|(l, i)| parse_status(&i.text).map(|s| (s, i.col, *l)))
                .or_else(|| {
                    kv("status")
                        .and_then(|v| parse_status(&v))
                        .map(|s| (s, it.col, it.line))
                })
                .or_else(|| {
                    // A task-list item: `- [x] …` is done, `- [ ] …` is not.
                    let t = it.text.trim_start();
                    let s = if t.starts_with("[x]") || t.starts_with("[X]") {
                        "resolved"
                    } else if t.starts_with("[ ]") {
                        "open"
                    } else {
                        return None;
                    };
                    Some((s, it.col, it.line))
                })
                .or_else(|| {
                    // In words, with no token: `(fixed)`, `fixed in `6b83860``.
                    status_in_words(&it.text).map(|s| (s, word_col(doc, it, s), it.line))
                });
            if status.is_none() && states_none(&it.text) {
                // "None.", "- blocking/high: none", "No material debt requiring changes.":
                // the review found nothing here; not a finding.
                continue;
            }
            let severity = toks
                .iter()
                .find_map(|(_, i)| parse_severity(&i.text))
                .or_else(|| kv("severity").and_then(|v| parse_severity(&v)))
                .or_else(|| {
                    // "(high)", "[Medium]": a severity in brackets in the item's text.
                    let lower = it.text.to_ascii_lowercase();
                    ["blocking", "critical", "high", "medium", "low"]
                        .iter()
                        .find_map(|w| {
                            (lower.contains(&format!("({w})")) || lower.contains(&format!("[{w}]")))
                                .then(|| parse_severity(w))
                                .flatten()
                        })
                })
                .or_else(|| leading_severity(&it.text));
            let id = format!("{}", n + 1);
            let label = format!("finding {} (`{}`)", n + 1, short(&it.text));
            let err =
                |rule: &str, col: u32, msg: String| Finding::error(rule, path, it.line, col, msg);
            let Some((status, scol, sline)) = status else {
                d.findings.push(
                    err(
                        "finding-status-missing",
                        it.col,
                        format!("{label} states no status (resolved, open, deferred, accepted)"),
                    )
                    .with_help("write its status in bold or as a code span: `**resolved**`"),
                );
                continue;
            };
            match (status, severity) {
                ("resolved", _) | (_, Some("low")) => {}
                ("open", Some("medium")) => d.findings.push(
                    err("medium-open", scol, format!("{label} is a medium left open"))
                        .with_severity(Severity::Warning),
                ),
                ("open", sev) => d.findings.push(
                    err(
                        "blocking-or-high-not-resolved",
                        scol,
                        format!(
                            "{label} is {} and open: blocking and high findings must be resolved in-run",
                            sev.unwrap_or("of unstated severity (read as high)")
                        ),
                    )
                    .with_help("resolve it, or state its severity when it is medium or low"),
                ),
                (st, Some(sev @ ("blocking" | "high"))) => d.findings.push(err(
                    "blocking-or-high-not-resolved",
                    scol,
                    format!("{label} is {sev} and {st}: blocking and high findings must be resolved in-run"),
                )),
                // Deferred or accepted with no severity: it may be high, so it is not read as
                // a pass (SPEC §6: only mediums may be deferred).
                (st, None) => d.findings.push(
                    err(
                        "blocking-or-high-not-resolved",
                        scol,
                        format!(
                            "{label} is of unstated severity (read as high) and {st}: blocking and high findings must be resolved in-run"
                        ),
                    )
                    .with_help("state its severity when it is medium or low: `(medium)`"),
                ),
                (st, Some(_)) => {
                    let said = Said::read(doc, n + 1, it.line, end_line, sline, scol);
                    for name in missing_medium_fields(&said) {
                        d.findings.push(
                            err(
                                "medium-disposition-incomplete",
                                scol,
                                format!("{label} is a {st} medium without {name}"),
                            )
                            .with_help(
                                "say it under the finding or where the document names it (`Finding 4 is owned by agent-2 and lands in B1`): `Owner: …`, `Rationale: …`, `Target slice: …`",
                            ),
                        );
                    }
                }
            }
            // Anchors in the finding resolve.
            for (l, i) in inl.iter().filter(|(l, _)| *l >= it.line && *l < end_line) {
                if i.kind != InlineKind::Code {
                    continue;
                }
                for a in evidence::anchors_in_line(&format!("`{}`", i.text)) {
                    if let Err(u) = resolver.resolve(&a) {
                        d.findings
                            .push(Finding::error(u.rule, path, *l, i.col, u.message));
                    }
                }
            }
            d.items.push(Item {
                line: it.line,
                id,
                severity: severity.unwrap_or("").to_string(),
                status: status.to_string(),
                owner: String::new(),
                rationale: String::new(),
                target_slice: String::new(),
            });
        }
    }
    any
}

/// What a prose finding says of its disposition, lowercase: the item's line from its status
/// token on (the title before it names what the finding is about, not where it goes), its
/// nested lines, and every line elsewhere that names it as `finding <n>` (people write a
/// "Deferred" section: `Finding 4 is owned by agent-2 and lands with Phase D slice D1.`).
struct Said {
    status_line: String,
    nested: Vec<String>,
    elsewhere: Vec<String>,
}

impl Said {
    fn read(doc: &Doc, n: usize, start: u32, end: u32, sline: u32, scol: u32) -> Said {
        let name = format!("finding {n}");
        let names_it = |t: &str| {
            t.match_indices(&name).any(|(p, _)| {
                !t[p + name.len()..]
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_digit())
            })
        };
        let mut said = Said {
            status_line: String::new(),
            nested: Vec::new(),
            elsewhere: Vec::new(),
        };
        for l in doc.visible(doc.all()) {
            let lower = l.text.to_ascii_lowercase();
            if (start..end).contains(&l.no) {
                if l.no == sline {
                    // Columns count characters.
                    let at = lower
                        .char_indices()
                        .nth(scol.saturating_sub(1) as usize)
                        .map_or(lower.len(), |(b, _)| b);
                    said.status_line = lower[at..].to_string();
                } else if l.no > sline {
                    said.nested.push(lower);
                }
            } else if names_it(&lower) {
                said.elsewhere.push(lower);
            }
        }
        said
    }

    fn all(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.status_line.as_str())
            .chain(self.nested.iter().map(String::as_str))
            .chain(self.elsewhere.iter().map(String::as_str))
    }
}

/// Which of owner, rationale and target slice a deferred or accepted medium does not state
/// (see [`Said`]). Owner: `owner: x`, `owner is x`, `owned by x`, `assigned to x`. Target
/// slice: `target: x`, `target slice: x`, or a slice (`D1`, `C7`, `D5A`, `Phase D`) after
/// `to`, `until`, `into`, `in`, `for`, `with`, `slice`. Rationale: `rationale:`, `reason:`,
/// `because`, `since`, or a nested line of the finding that says more than owner or target.
fn missing_medium_fields(said: &Said) -> Vec<&'static str> {
    let has = |keys: &[&str]| said.all().any(|t| keys.iter().any(|k| t.contains(k)));
    let mut missing = Vec::new();
    if !has(&[
        "owner:",
        "owner is ",
        "owner - ",
        "owner — ",
        "owned by ",
        "assigned to ",
        "(owner ",
    ]) {
        missing.push("an owner");
    }
    let target = has(&["target:", "target slice:"])
        || said.all().any(|t| {
            let words: Vec<&str> = t
                .split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
                .collect();
            words.windows(2).any(|p| {
                (matches!(
                    p[0],
                    "to" | "until" | "into" | "in" | "for" | "with" | "slice"
                ) && super::readiness::slice_id(&p[1].to_ascii_uppercase()).is_some())
                    || (p[0] == "phase" && matches!(p[1], "b" | "c" | "d"))
            })
        });
    if !target {
        missing.push("a target slice");
    }
    let explained = said.nested.iter().any(|l| {
        let l = markdown::strip_line_markers(l.trim_start());
        l.split_whitespace().count() >= 3
            && !["owner", "owned by", "target", "assigned to"]
                .iter()
                .any(|k| l.starts_with(k))
    });
    if !explained && !has(&["rationale:", "reason:", "because", "since ", "why:"]) {
        missing.push("a rationale");
    }
    missing
}

fn short(s: &str) -> String {
    let t: String = s.chars().take(48).collect();
    if t.len() < s.len() {
        format!("{t}…")
    } else {
        t
    }
}

/// Parses and judges a disposition document. `path` is the document's repository-relative
/// path (used in findings); anchors are resolved with `resolver`.
pub fn check(path: &str, text: &str, resolver: &mut Resolver) -> Disposition {
    check_with(path, text, resolver, &Vocabulary::default())
}

/// [`check`] with the decision words of a pipeline.
pub fn check_with(
    path: &str,
    text: &str,
    resolver: &mut Resolver,
    vocab: &Vocabulary,
) -> Disposition {
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
    let listed = !findings_tables.is_empty() || prose_findings(path, &doc, resolver, &mut d);
    let history = history_findings(path, &doc, &mut d);
    // A document stating its review closed (`- status: `closed``) with an approving
    // decision needs no findings list: the changes it lists are the closed findings.
    if !listed && !history && !changes_closed(&doc) && !none_stated(&doc) {
        d.findings.push(
            err("findings-missing", 0, 0, "no findings: neither a findings table (id, severity, status, evidence, owner, rationale, target slice) nor a list under a heading naming the findings".into())
                .with_help("list the findings, even when the review found nothing (a table with no rows); see docs/closure-format.md"),
        );
    }
    let mut seen: std::collections::HashMap<String, u32> = std::collections::HashMap::new();
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
            } else if let Some(first) = seen.get(&id) {
                d.findings.push(err(
                    "finding-id-duplicate",
                    row.line,
                    col_of(0),
                    format!("finding id `{id}` is used again (first on line {first})"),
                ));
            } else {
                seen.insert(id.clone(), row.line);
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

    // The decision.
    let closed = changes_closed(&doc);
    let (tokens, invalid) = decision_tokens_keyed(&doc, DECISION_WORDS, DECISION_KEYS, |v| {
        vocab.parse(v, closed)
    });
    for (line, col, v) in &invalid {
        d.findings.push(err(
            "decision-invalid",
            *line,
            *col,
            format!("decision `{v}` is neither `approve` nor `reject`"),
        ));
    }
    let settled = settle(&doc, &tokens);
    match settled {
        Settled::None if invalid.is_empty() => d.findings.push(
            err(
                "decision-missing",
                0,
                0,
                "no decision: no `approve` or `reject` under a heading naming the decision, nor a `Decision:` line".into(),
            )
            .with_help("state the outcome of the re-review: `## Decision` then `approve`"),
        ),
        Settled::None => {}
        Settled::Conflict => {
            let (line, _, first) = tokens[0];
            for (l, c, v) in tokens.iter().filter(|t| t.2 != first) {
                d.findings.push(err(
                    "decision-conflict",
                    *l,
                    *c,
                    format!(
                        "the document states `{}` here and `{}` on line {line}: one decision",
                        v.as_str(),
                        first.as_str()
                    ),
                ));
            }
        }
        Settled::One(i) | Settled::History(i) => {
            let (line, col, decision) = tokens[i];
            if invalid.is_empty() {
                d.decision = Some((decision, line));
                if decision == Decision::Reject {
                    let word = doc
                        .lines
                        .get(line as usize - 1)
                        .and_then(|l| {
                            let rest: String = l.text.chars().skip(col as usize - 1).collect();
                            rest.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-'))
                                .find(|w| !w.is_empty())
                                .map(str::to_string)
                        })
                        .unwrap_or_else(|| "reject".into());
                    d.findings.push(err(
                        "decision-reject",
                        line,
                        col,
                        format!("the decision is `{word}`: the slice is not closed"),
                    ));
                }
            }
        }
    }
    // Every file the document cites exists.
    // (An anchor already judged as a finding's evidence is not reported twice.)
    let mut cited = Vec::new();
    super::evidence::check_citations(path, text, resolver, &mut cited, true);
    let mut judged: std::collections::HashSet<(u32, u32)> =
        d.findings.iter().map(|g| (g.line, g.col)).collect();
    for f in cited {
        if judged.insert((f.line, f.col)) {
            d.findings.push(f);
        }
    }
    d
}

/// The status words a finding may carry in plain words (no token), and what they mean.
const STATUS_WORDS: &[&str] = &["resolved", "fixed", "closed", "addressed"];

/// A finding's status stated in words in its own text, when it carries no token: a word of
/// [`STATUS_WORDS`] in brackets (`(fixed)`), before `in`, `by`, `via`, `with`, `through` or
/// `and` (`fixed in `6b83860``, `resolved in B5 by …`), or ending the text. A word turned
/// over or put off within three words before it (`not fixed`, `not yet fixed`, `has not
/// been addressed`, `to be fixed`) states nothing.
fn status_in_words(text: &str) -> Option<&'static str> {
    let lower = text.to_ascii_lowercase();
    let words: Vec<(usize, &str)> = lower
        .split_inclusive(|c: char| !c.is_ascii_alphanumeric())
        .scan(0usize, |at, w| {
            let start = *at;
            *at += w.len();
            Some((
                start,
                w.trim_end_matches(|c: char| !c.is_ascii_alphanumeric()),
            ))
        })
        .filter(|(_, w)| !w.is_empty())
        .collect();
    for (k, (at, w)) in words.iter().enumerate() {
        if !STATUS_WORDS.contains(w) {
            continue;
        }
        // Turned over or put off by one of the three words before it (`not fixed`, `not yet
        // fixed`, `has not been addressed`, `to be fixed`).
        // The look-back stays in the word's clause: `Not a blocker; fixed in 6b83860` is fixed.
        let mut turned = false;
        let mut j = k;
        while j > 0 && k - j < 3 {
            let (p_at, p) = words[j - 1];
            let gap = &lower[p_at + p.len()..words[j].0];
            if gap.chars().any(|c| !c.is_whitespace() && c != '-') {
                break;
            }
            if matches!(
                p,
                "not" | "never" | "be" | "unless" | "until" | "if" | "once" | "when" | "un" | "yet"
            ) {
                turned = true;
                break;
            }
            j -= 1;
        }
        if turned {
            continue;
        }
        let bracketed = lower[..*at].ends_with('(') && lower[at + w.len()..].starts_with(')');
        let next = words.get(k + 1).map(|n| n.1);
        let led = next
            .is_some_and(|n| matches!(n, "in" | "by" | "via" | "with" | "through" | "and" | "at"));
        let last = next.is_none();
        if bracketed || led || last {
            return Some("resolved");
        }
    }
    None
}

/// The column of a status stated in words ([`status_in_words`]) on the item's line: the
/// first status word there, else the item's own column.
fn word_col(doc: &Doc, it: &markdown::Item, _status: &str) -> u32 {
    let Some(line) = doc.lines.get(it.line as usize - 1) else {
        return it.col;
    };
    let lower = line.text.to_ascii_lowercase();
    STATUS_WORDS
        .iter()
        .filter_map(|w| lower.find(w))
        .min()
        .map_or(it.col, |b| lower[..b].chars().count() as u32 + 1)
}

/// A severity leading a finding's text: `High: stale lock reclaim …`, `**Medium**: …`.
fn leading_severity(text: &str) -> Option<&'static str> {
    let t = strip_emphasis(text.trim_start());
    let (head, _) = t.split_once(':')?;
    let head = strip_emphasis(head).to_ascii_lowercase();
    match head.trim() {
        "blocking" | "blocker" | "critical" | "p0" => Some("blocking"),
        "high" | "p1" => Some("high"),
        "medium" | "p2" => Some("medium"),
        "low" | "p3" | "nit" => Some("low"),
        _ => None,
    }
}

/// Whether a findings item says the review found nothing: `None.`, `None (`P0`/`P1`): no
/// blocking findings identified`, `blocking/high: none`, `Nothing to report`, or a sentence
/// opening with `No` about findings, issues, debt or action (`No material structural debt
/// requiring changes.`, `No architecture pivots recommended.`).
fn states_none(text: &str) -> bool {
    let t = strip_emphasis(text.trim()).to_ascii_lowercase();
    let t = t.trim_start_matches(['-', '*', ' ']);
    let first = t
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| !w.is_empty())
        .unwrap_or("");
    if matches!(first, "none" | "nothing") {
        return true;
    }
    // `blocking/high: none`, `medium: none.`
    if let Some((k, v)) = t.split_once(':') {
        let v = v.trim().trim_end_matches('.');
        if matches!(v, "none" | "no findings" | "0" | "nothing")
            && k.split(|c: char| !c.is_ascii_alphanumeric())
                .filter(|w| !w.is_empty())
                .all(|w| parse_severity(w).is_some() || matches!(w, "findings" | "issues"))
        {
            return true;
        }
    }
    // `No material structural debt …`, `No blocking/high findings identified`: what there is
    // none of is named within the words right after `no`. `No rate limiting on /login —
    // high, regression risk` is a finding that begins with "no", not a statement of none.
    let head: String = t
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(6)
        .collect::<Vec<_>>()
        .join(" ");
    first == "no"
        && [
            "finding",
            "issue",
            "debt",
            "action",
            "change",
            "pivot",
            "blocker",
            "problem",
            "defect",
            "regression",
            "required",
            "recommended",
            "identified",
            "needed",
        ]
        .iter()
        .any(|w| head.contains(w))
        && ![
            "(high)",
            "(blocking)",
            "(critical)",
            "(medium)",
            "[high]",
            "[medium]",
        ]
        .iter()
        .any(|w| t.contains(w))
}

/// Findings written as a review history rather than under a findings heading: items led by
/// a severity (`1. High: stale-lock reclaim …`) in the sections of each review round (`##
/// Initial Review` with `- Findings:`, `## Re-Review` with `- Remaining issue:`). Each is
/// closed by its own words (`(fixed)`, `fixed in …`), by a later closure statement (`High
/// finding closed.`, `All findings closed.`), or by the next fix section (a heading naming a
/// fix: `## Fix Cycle 1`) when that lists at least one fix per finding of its round
/// (numbered items under a `Fixes applied:` or `Implemented fixes:` item). One that nothing
/// closes is open. Returns whether the document has such findings.
fn history_findings(path: &str, doc: &Doc, d: &mut Disposition) -> bool {
    let heads = doc.headings();
    let findings_sections: Vec<std::ops::Range<usize>> = doc
        .sections(|t| markdown::has_word(t, &["findings", "finding"]))
        .into_iter()
        .map(|(_, r)| r)
        .collect();
    let heading_of = |index: usize| heads.iter().rev().find(|h| h.index <= index);
    let is_fix_heading =
        |h: &markdown::Heading| markdown::has_word(&h.title, &["fix", "fixes", "remediation"]);
    let items = doc.items(doc.all());
    // The label an item sits under: the nearest earlier item of the same section ending with
    // `:` (`- Fixes applied:`, `- Verification:`), or its parent's text.
    let label_of = |k: usize| -> String {
        let sec = heading_of(items[k].index).map(|h| h.index);
        if let Some(p) = items[k].parent {
            return items[p].text.to_ascii_lowercase();
        }
        items[..k]
            .iter()
            .rev()
            .take_while(|x| heading_of(x.index).map(|h| h.index) == sec)
            .find(|x| x.text.trim_end().ends_with(':'))
            .map(|x| x.text.to_ascii_lowercase())
            .unwrap_or_default()
    };
    // Fix sections in order: (heading index, fixes listed).
    let mut fixes: Vec<(usize, usize)> = Vec::new();
    for h in heads.iter().filter(|h| is_fix_heading(h)) {
        let n = items
            .iter()
            .enumerate()
            .filter(|(_, x)| heading_of(x.index).is_some_and(|hh| hh.index == h.index))
            .filter(|(k, x)| {
                !x.text.trim_end().ends_with(':') && {
                    let l = label_of(*k);
                    markdown::has_word(&l, &["fix", "fixes", "fixed", "changes", "implemented"])
                }
            })
            .count();
        fixes.push((h.index, n));
    }
    // Closure statements: (line index, severity or None for all).
    let mut closures: Vec<(usize, Option<&'static str>)> = Vec::new();
    for l in doc.visible(doc.all()) {
        let t = markdown::strip_line_markers(l.text.trim_start()).to_ascii_lowercase();
        let w: Vec<&str> = t
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .collect();
        if w.len() < 3 || w.len() > 6 {
            continue;
        }
        let closed = matches!(w[w.len() - 1], "closed" | "resolved" | "fixed");
        let negated = w.iter().any(|x| matches!(*x, "not" | "no" | "never"));
        if !closed || negated {
            continue;
        }
        if w[0] == "all" && w.iter().any(|x| matches!(*x, "findings" | "issues")) {
            closures.push((l.no as usize - 1, None));
        } else if let Some(sev) = parse_severity(w[0])
            .filter(|_| matches!(w[1], "finding" | "findings" | "issue" | "issues"))
        {
            closures.push((l.no as usize - 1, Some(sev)));
        }
    }
    // The findings, grouped in rounds by the fix sections after them.
    let found: Vec<(usize, &'static str)> = items
        .iter()
        .enumerate()
        .filter(|(_, x)| !findings_sections.iter().any(|r| r.contains(&x.index)))
        .filter(|(_, x)| !heading_of(x.index).is_some_and(&is_fix_heading))
        .filter_map(|(k, x)| leading_severity(&x.text).map(|s| (k, s)))
        .collect();
    let round_of = |index: usize| fixes.iter().position(|(h, _)| *h > index);
    for (n, &(k, sev)) in found.iter().enumerate() {
        let it = &items[k];
        let round = round_of(it.index);
        let in_round = found
            .iter()
            .filter(|(j, _)| round_of(items[*j].index) == round)
            .count();
        let by_words = status_in_words(&it.text).is_some();
        let by_statement = closures
            .iter()
            .any(|(at, s)| *at > it.index && s.is_none_or(|s| s == sev));
        let by_fixes = round.is_some_and(|r| fixes[r].1 >= in_round);
        let resolved = by_words || by_statement || by_fixes;
        let label = format!("finding {} (`{}`)", n + 1, short(&it.text));
        if !resolved {
            match sev {
                "low" => {}
                "medium" => d.findings.push(
                    Finding::error(
                        "medium-open",
                        path,
                        it.line,
                        it.col,
                        format!("{label} is a medium that no later fix or closure closes"),
                    )
                    .with_severity(Severity::Warning),
                ),
                _ => d.findings.push(
                    Finding::error(
                        "blocking-or-high-not-resolved",
                        path,
                        it.line,
                        it.col,
                        format!(
                            "{label} is {sev} and nothing closes it: no status in its words, no later `{} finding closed`, and no fix section after it listing a fix for each finding of its round",
                            capitalise(sev)
                        ),
                    )
                    .with_help("record the fix: a `## Fix Cycle` listing the fixes, or a closure line (`High finding closed.`) after the re-review"),
                ),
            }
        }
        d.items.push(Item {
            line: it.line,
            id: format!("{}", n + 1),
            severity: sev.to_string(),
            status: if resolved { "resolved" } else { "open" }.to_string(),
            owner: String::new(),
            rationale: String::new(),
            target_slice: String::new(),
        });
    }
    !found.is_empty()
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
        .unwrap_or_default()
}

/// Whether a key line says there is nothing to find: `findings: none`, `- architecture
/// drift: none`, `follow-up required: none`, `blocking/high: none`.
fn none_stated(doc: &Doc) -> bool {
    doc.visible(doc.all()).any(|l| {
        let t = markdown::strip_line_markers(l.text.trim_start()).to_ascii_lowercase();
        let Some((k, v)) = t.split_once(':') else {
            return false;
        };
        let v = strip_emphasis(v.trim()).trim_end_matches('.').to_string();
        v == "none"
            && k.split_whitespace().count() <= 4
            && [
                "finding",
                "issue",
                "follow-up",
                "followup",
                "drift",
                "debt",
                "blocker",
                "blocking",
                "high",
            ]
            .iter()
            .any(|w| k.contains(w))
    })
}

#[cfg(test)]
mod words_tests {
    use super::status_in_words;

    #[test]
    fn a_status_word_turned_over_within_its_clause_states_nothing() {
        for resolved in [
            "HIGH-01 fixed in `6b83860`",
            "Duplicate parser (fixed)",
            "Not a blocker; fixed in `6b83860`",
            "The route guard was fixed",
        ] {
            assert_eq!(status_in_words(resolved), Some("resolved"), "{resolved}");
        }
        for open in [
            "HIGH-02 not fixed",
            "HIGH-02 not yet fixed",
            "The spoof has not been addressed",
            "to be fixed in B5",
            "never resolved",
        ] {
            assert_eq!(status_in_words(open), None, "{open}");
        }
    }

    #[test]
    fn none_is_what_the_words_after_no_name() {
        for none in [
            "None.",
            "- blocking/high: none",
            "No material structural debt requiring changes.",
            "No blocking/high findings identified",
            "No changes required.",
        ] {
            assert!(super::states_none(none), "{none}");
        }
        for finding in [
            "No rate limiting on /login — **high**, regression risk",
            "No timeout on the ingress handler: a stuck request blocks the worker (defect)",
        ] {
            assert!(!super::states_none(finding), "{finding}");
        }
    }
}

//! `closure`, kind `review` (the gate `review-closure`) and kind `structural`
//! (`structural-closure`): the review is closed, and so is the structural assessment.
//!
//! **What it checks.** The review kind reads the pass root's review disposition (the
//! pipeline's `[documents] review`, or the gate's `document`) as people write it: findings as a list with a
//! bold status (`1. Caller drift (high): **resolved**.`) or as a table (id, severity, status,
//! evidence, owner, rationale, target slice), and one decision token (`approve`/`reject`) under
//! a heading naming the decision or on a `Decision:` line. It fails on a blocking or high
//! finding that is not resolved (an open finding of unstated severity counts as high), a
//! finding with no readable status, a deferred or accepted medium of the table without owner,
//! rationale and target slice, evidence that does not resolve, a file the document cites that
//! does not exist (looked for in its folder, the spec packet, the repository root), and a
//! missing, conflicting or `reject` decision. The structural kind judges the structural
//! disposition (`[documents] structural`) the same way when it exists; otherwise it finds the
//! structural record where it is kept (param `record`, default the structural refactor and the
//! reviews: `AGENT_*STRUCTURAL*.md`, `AGENT_Q*_*REVIEW*.md`, `<structural slice>_*.md`) and
//! fails when there is none, or when a blocking/high finding there is neither resolved in
//! place nor closed by an approving disposition (param `closed_by`, default the review
//! disposition) that cites the document.
//!
//! **Why.** The runbook's exit condition for the review and structural slices is "no unresolved blocking/high
//! findings; accepted mediums dispositioned with owner and follow-up". The user's own
//! disposition cited six reports that were not in the tree; a citation has to resolve.
//!
//! **How to fix.** Fix and re-review blocking/high findings and mark them resolved; restore a
//! cited report or cite where it was archived; state one decision (`## Decision` then
//! `` `approve` ``). Every accepted form is in `docs/closure-format.md`.

use gates_core::fs::probe::Probe;
use serde::Deserialize;

use super::{
    Alias, Capability, CheckCtx, CheckDef, CheckOutput, ParamError, Role, Rule, error,
    parse_params, warning,
};
use crate::artifacts::{disposition, git};
use crate::error::GateError;
use crate::finding::Finding;

/// Which closure a gate judges: the review's or the structural assessment's.
#[derive(Deserialize, Clone, Copy, Debug, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    Review,
    Structural,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// `review` or `structural` (fixed by the old names `review-closure` and
    /// `structural-closure`).
    pub kind: Option<Kind>,
    /// The disposition document, relative to the pass root (default: the pipeline's
    /// `[documents]` `review` or `structural`).
    pub document: Option<String>,
    /// `structural` only: where the structural record is kept when there is no
    /// disposition document: file-name globs in the pass root (default: the structural
    /// refactor and the reviews, `AGENT_*STRUCTURAL*.md`, `AGENT_Q*_*REVIEW*.md`, and
    /// `<structural slice>_*.md`).
    pub record: Option<Vec<String>>,
    /// `structural` only: the disposition that closes the record's findings when it
    /// cites a record document and approves (default: the review document).
    pub closed_by: Option<String>,
    /// Absolute directories that stand for the target's root in evidence anchors.
    #[serde(default)]
    pub worktree_prefixes: Vec<String>,
    /// The decision words and their meaning (`approve`, `reject`, `approve_when_closed`
    /// lists; each defaults as in docs/closure-format.md).
    pub decisions: Option<disposition::Vocabulary>,
}

pub fn validate(t: &toml::Table) -> Result<(), ParamError> {
    let p = parse_params::<Params>(t)?;
    if p.kind.is_none() {
        return Err(ParamError {
            message: "`kind` must be \"review\" or \"structural\"".into(),
            key: Some("kind".into()),
        });
    }
    for g in p.record.iter().flatten() {
        if let Err(e) = globset::Glob::new(g) {
            return Err(ParamError {
                message: format!("`record` glob {g:?} is invalid: {e}"),
                key: Some("record".into()),
            });
        }
    }
    Ok(())
}

/// The document roles a closure gate reads: the review's disposition (unless `document`
/// names it), and for the structural kind the review's as the record's closer (unless
/// `closed_by` names it). The structural disposition itself is optional (the record may be
/// kept elsewhere).
pub fn roles(t: &toml::Table) -> Vec<Role> {
    let Ok(p) = parse_params::<Params>(t) else {
        return Vec::new();
    };
    match p.kind {
        Some(Kind::Review) if p.document.is_none() => vec![Role::Review],
        Some(Kind::Structural) if p.closed_by.is_none() => vec![Role::Review],
        _ => Vec::new(),
    }
}

pub fn def() -> CheckDef {
    CheckDef {
        name: "closure",
        summary: "a review or structural disposition has no open blocking/high finding, complete deferrals, resolving evidence, an approve decision",
        capabilities: &[Capability::WorkTree, Capability::Commit],
        rules: &[RULES, super::common::EVIDENCE, super::common::DOCUMENT],
        parts: None,
        aliases: &[
            Alias {
                name: "review-closure",
                params: &[("kind", "review")],
            },
            Alias {
                name: "structural-closure",
                params: &[("kind", "structural")],
            },
        ],
        validate,
        roles,
        run: run_closure,
    }
}

pub fn run_closure(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let p: Params = ctx.params()?;
    match p.kind {
        Some(Kind::Structural) => run_structural(ctx),
        _ => run_review(ctx),
    }
}

pub fn run_review(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let default = ctx
        .pipeline
        .documents
        .file(Role::Review)
        .unwrap_or_default();
    run(ctx, default)
}

/// The default places of the structural record: the structural refactor and the reviews
/// around it (`AGENT_R1_FINAL_STRUCTURAL_REFACTOR.md`, `AGENT_Q1_FINAL_…_REVIEW.md`,
/// `AGENT_Q1_REFACTOR_REVIEW.md`), and documents named after the structural slice.
pub const STRUCTURAL_RECORD: &[&str] = &["AGENT_*STRUCTURAL*.md", "AGENT_Q*_*REVIEW*.md"];

pub fn run_structural(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let p: Params = ctx.params()?;
    let doc = p
        .document
        .as_deref()
        .or_else(|| ctx.pipeline.documents.file(Role::Structural));
    if let Some(doc) = doc
        && super::resolve_inside(ctx.pass_root, doc)?.probe_is_file()
    {
        return run(ctx, doc);
    }
    structural_record(ctx, &p, doc)
}

/// The structural assessment recorded as the structural refactor and its reviews: the
/// record exists, and every blocking or high finding it raises is resolved in place or
/// closed by an approving disposition that cites the document.
fn structural_record(
    ctx: &CheckCtx,
    p: &Params,
    doc: Option<&str>,
) -> Result<CheckOutput, GateError> {
    let pass_rel = git::rel_str(&ctx.pipeline.target.pass_root);
    let mut out = CheckOutput::default();
    let globs: Vec<String> = p.record.clone().unwrap_or_else(|| {
        let mut g: Vec<String> = STRUCTURAL_RECORD.iter().map(|s| s.to_string()).collect();
        if let Some(slice) = ctx.pipeline.documents.slice(Role::Structural) {
            g.push(format!("{slice}_*.md"));
        }
        g
    });
    let mut b = globset::GlobSetBuilder::new();
    for g in &globs {
        b.add(globset::Glob::new(g).map_err(|e| {
            GateError::msg(format!(
                "structural-closure: invalid record glob {g:?}: {e}"
            ))
        })?);
    }
    let set = b.build().map_err(|e| GateError::msg(e.to_string()))?;
    let files: Vec<String> = if ctx.pass_root.probe_is_dir() {
        crate::artifacts::names::walk(ctx.pass_root)?
            .into_iter()
            .filter(|f| !f.contains('/') && set.is_match(f))
            .filter(|f| p.record.is_some() || !implementation_final(f))
            .collect()
    } else {
        Vec::new()
    };
    if files.is_empty() {
        let (path, neither) = match doc {
            Some(doc) => (format!("{pass_rel}/{doc}"), format!("neither `{doc}` nor")),
            None => (
                pass_rel.clone(),
                "no structural disposition, nor".to_string(),
            ),
        };
        out.findings.push(
            Finding::error(
                "structural-record-missing",
                path,
                0,
                0,
                format!(
                    "no structural record in the pass root: {neither} a document matching {}",
                    globs.join(", ")
                ),
            )
            .with_help("keep the structural assessment in the pass root, or point the gate's `record` parameter at it"),
        );
        return Ok(out);
    }
    // The disposition that closes the record.
    let closer = p
        .closed_by
        .as_deref()
        .or_else(|| ctx.pipeline.documents.file(Role::Review))
        .unwrap_or_default();
    let closer_rel = format!("{pass_rel}/{closer}");
    let (closes, why_not): (Vec<String>, String) =
        match crate::fs::careful::read_document(super::resolve_inside(ctx.pass_root, closer)?) {
            Err(e) if crate::fs::careful::too_large(&e) => {
                return Err(GateError::io(ctx.pass_root.join(closer), e));
            }
            Err(_) => (Vec::new(), format!("`{closer}` does not exist")),
            Ok(text) => {
                let mut r = super::evidence_resolver(ctx, &p.worktree_prefixes);
                let vocab = p.decisions.clone().unwrap_or_default();
                let d = disposition::check_with(&closer_rel, &text, &mut r, &vocab);
                let open = d
                    .items
                    .iter()
                    .filter(|i| !matches!(i.status.as_str(), "resolved"))
                    .filter(|i| !matches!(i.severity.as_str(), "medium" | "low"))
                    .count();
                match d.decision {
                    Some((disposition::Decision::Approve, _)) if open == 0 => {
                        let md = crate::artifacts::markdown::Doc::parse(&text);
                        let cited = crate::artifacts::evidence::citations(&md)
                            .into_iter()
                            .map(|c| c.text.rsplit('/').next().unwrap_or("").to_string())
                            .collect();
                        (cited, String::new())
                    }
                    Some((disposition::Decision::Approve, _)) => (
                        Vec::new(),
                        format!("`{closer}` leaves {open} finding(s) not resolved"),
                    ),
                    _ => (Vec::new(), format!("`{closer}` does not approve")),
                }
            }
        };
    let mut highs = 0;
    for f in &files {
        let rel = format!("{pass_rel}/{f}");
        let text = crate::fs::careful::read_document(ctx.pass_root.join(f))
            .map_err(|e| GateError::io(ctx.pass_root.join(f), e))?;
        let closed = closes.iter().any(|c| c == f);
        for (line, col, sev, title) in serious_findings(&text) {
            highs += 1;
            if closed {
                continue;
            }
            out.findings.push(
                Finding::error(
                    "blocking-or-high-not-resolved",
                    &rel,
                    line,
                    col,
                    format!(
                        "{sev} finding `{title}` is not resolved here, and no approving disposition closes this document ({})",
                        if why_not.is_empty() {
                            format!("`{closer}` does not cite `{f}`")
                        } else {
                            why_not.clone()
                        }
                    ),
                )
                .with_help("resolve it and record the resolution (a `**resolved**` status under the finding, or the review disposition citing this review and approving)"),
            );
        }
    }
    out.notes.push(format!(
        "structural record: {} ({highs} blocking/high finding(s); closed by `{closer}` when it cites the document and approves)",
        files.join(", ")
    ));
    Ok(out)
}

/// Blocking and high findings a review raises and does not mark resolved in place: a
/// heading, list item or table row carrying the severity (`### 1. HIGH: …`,
/// `### 2) [High] …`, a `severity` column).
fn serious_findings(text: &str) -> Vec<(u32, u32, &'static str, String)> {
    use crate::artifacts::markdown::{Doc, strip_emphasis};
    let doc = Doc::parse(text);
    let sev_of = |t: &str| -> Option<&'static str> {
        let words: Vec<String> = t
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .take(4)
            .map(str::to_ascii_lowercase)
            .collect();
        // The severity leads the title: `1. HIGH: …`, `1) [High] …`, `High — …`.
        words
            .iter()
            .find_map(|w| match w.as_str() {
                "blocking" | "blocker" | "critical" => Some("blocking"),
                "high" => Some("high"),
                _ => None,
            })
            .filter(|_| {
                let first_non_num = words
                    .iter()
                    .find(|w| !w.chars().all(|c| c.is_ascii_digit()));
                first_non_num.is_some_and(|w| {
                    matches!(
                        w.as_str(),
                        "blocking" | "blocker" | "critical" | "high" | "severity"
                    )
                })
            })
    };
    let resolved_in = |range: std::ops::Range<usize>| {
        doc.inlines_in(range.clone()).iter().any(|(_, i)| {
            i.kind != crate::artifacts::markdown::InlineKind::LinkTarget
                && strip_emphasis(&i.text)
                    .to_ascii_lowercase()
                    .starts_with("resolved")
        }) || crate::artifacts::markdown::key_value_lines_in(&doc, range, &["status"])
            .iter()
            .any(|(_, v, _)| v.to_ascii_lowercase().starts_with("resolved"))
    };
    let mut out = Vec::new();
    let heads = doc.headings();
    for (k, h) in heads.iter().enumerate() {
        let Some(sev) = sev_of(&h.title) else {
            continue;
        };
        let end = heads[k + 1..]
            .iter()
            .find(|n| n.level <= h.level)
            .map_or(doc.lines.len(), |n| n.index);
        if !resolved_in(h.index..end) {
            out.push((h.line, 1, sev, h.title.clone()));
        }
    }
    for t in doc.tables(doc.all()) {
        let (Some(si), st) = (t.column("severity"), t.column("status")) else {
            continue;
        };
        for row in &t.rows {
            let Some(c) = row.cells.get(si) else { continue };
            let sev = match strip_emphasis(&c.text).to_ascii_lowercase().as_str() {
                "blocking" | "critical" => "blocking",
                "high" => "high",
                _ => continue,
            };
            let resolved = st
                .and_then(|i| row.cells.get(i))
                .is_some_and(|s| strip_emphasis(&s.text).eq_ignore_ascii_case("resolved"));
            if !resolved {
                let title = row
                    .cells
                    .first()
                    .map(|c| c.text.clone())
                    .unwrap_or_default();
                out.push((row.line, c.col, sev, title));
            }
        }
    }
    out
}

fn run(ctx: &CheckCtx, default_doc: &str) -> Result<CheckOutput, GateError> {
    let p: Params = ctx.params()?;
    let doc = p.document.as_deref().unwrap_or(default_doc);
    let full = super::resolve_inside(ctx.pass_root, doc)?;
    let pass_rel = git::rel_str(&ctx.pipeline.target.pass_root);
    let rel = format!("{pass_rel}/{doc}");
    let mut out = CheckOutput::default();
    let Some(text) = super::read_pass_document(
        &full,
        &rel,
        doc,
        "disposition-missing",
        Some("write it in the format of docs/closure-format.md"),
        &mut out,
    )?
    else {
        return Ok(out);
    };
    let packet = super::agent_outputs::packet_of(&pass_rel);
    let doc_dir = std::path::Path::new(&rel)
        .parent()
        .map(git::rel_str)
        .unwrap_or_default();
    let mut resolver = super::evidence_resolver(ctx, &p.worktree_prefixes)
        .with_bases(&doc_dir, &packet)
        .with_superseded(super::Deletions::of(ctx).names());
    let vocab = p.decisions.clone().unwrap_or_default();
    let d = disposition::check_with(&rel, &text, &mut resolver, &vocab);
    let open = d.items.iter().filter(|i| i.status == "open").count();
    out.notes.push(format!(
        "{rel}: {} finding(s), {open} open; decision: {}",
        d.items.len(),
        d.decision.map(|(x, _)| x.as_str()).unwrap_or("none")
    ));
    out.findings = d.findings;
    Ok(out)
}

/// How to fix what the rules below report.
const FIX: &str = "fix and re-review blocking/high findings and mark them resolved; restore a cited report or cite where it was archived; state one decision; the accepted forms are in docs/closure-format.md";

/// Every rule of the closure check (the disposition reader's rules included).
pub const RULES: &[Rule] = &[
    error("disposition-missing", "the document does not exist", FIX),
    error(
        "findings-missing",
        "neither a findings table nor a findings list",
        FIX,
    ),
    error(
        "findings-table-column-missing",
        "a findings table lacks one of the seven columns",
        FIX,
    ),
    error(
        "finding-id-missing",
        "a row without id, or an id used twice",
        FIX,
    ),
    error(
        "finding-id-duplicate",
        "a row without id, or an id used twice",
        FIX,
    ),
    error(
        "invalid-severity",
        "a table value outside the lists above",
        FIX,
    ),
    error(
        "invalid-status",
        "a table value outside the lists above",
        FIX,
    ),
    error(
        "finding-status-missing",
        "a list finding with no status token",
        FIX,
    ),
    error(
        "blocking-or-high-not-resolved",
        "a blocking or high finding (or an open, deferred or accepted one of unstated severity) not `resolved`",
        FIX,
    ),
    error(
        "medium-disposition-incomplete",
        "a `deferred` or `accepted` medium (table or list) without owner, rationale or target slice (one per missing field)",
        FIX,
    ),
    warning("medium-open", "a medium left `open`", FIX),
    error(
        "evidence-missing",
        "a table finding without any anchor",
        FIX,
    ),
    error("decision-missing", "no decision", FIX),
    error("decision-invalid", "`Decision: x` with another value", FIX),
    error("decision-conflict", "two different decisions", FIX),
    error("decision-reject", "a `reject`", FIX),
    error(
        "structural-record-missing",
        "neither the disposition nor any record document exists",
        FIX,
    ),
];

/// An agent document of another slice that happens to say "structural" in its name
/// (`AGENT_3_FINAL_F3_STRUCTURAL_EVIDENCE_GATES.md`, `AGENT_7_FINAL_E7_STEWARD_STRUCTURAL_CHECK.md`):
/// after the agent's id, its name names a slice without the structural suffix (`F3`, not
/// `F5A`). It is not the structural record.
fn implementation_final(f: &str) -> bool {
    let stem = f.strip_suffix(".md").unwrap_or(f);
    stem.split('_').skip(2).any(|w| {
        crate::artifacts::readiness::slice_id(w)
            .is_some_and(|id| id.ends_with(|c: char| c.is_ascii_digit()))
    })
}

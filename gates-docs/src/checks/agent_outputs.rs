//! `agent-outputs`: agent final outputs are complete and everything cited exists.
//!
//! **What it checks.** Every `AGENT_*.md` of the pass root is an agent document; the pass
//! root holds at least one final (an agent document with `FINAL` among the words of its name:
//! `AGENT_1_FINAL_A6_HARD_DELETE.md`, `AGENT_A4_FINAL.md`, `AGENT_4_REVIEW_REPORT_FINAL.md`).
//! Each final has the five sections *Skills Introspected*, *Evidence Map*, *Assumptions*,
//! *Risks*, *Unresolved Questions* (as headings: a parenthesised note, a leading number and
//! names joined by `/`, `&` or `and` allowed), none empty;
//! every `path:line` / `path#L12` anchor of the Evidence Map resolves to an existing file and
//! line (relative paths from the document's folder, the spec packet, the repository root;
//! absolute ones through `worktree_prefixes`, where `*` matches one folder), and every file it
//! cites without a line exists. Every file a closure document cites (a relative link, an
//! artifact or markdown file name, or a path in a code span) exists.
//!
//! **Why.** The runbook makes these sections the contract of an agent's output, and the user's
//! repository published a review disposition citing six reports that were not in the tree:
//! a citation that does not resolve is not evidence.
//!
//! An anchor into an agent's plan, scratchpad or draft that the cleanup manifest lists as
//! deleted, while that agent's final is in the pass root, is a warning
//! (`evidence-deleted-by-cleanup`): the runbook deletes exactly those files once their final
//! exists, so the citation was evidence when written and its file is gone by the rule, on the
//! record. Any other missing file stays an error: a final, a closure output, a file the
//! manifest does not list, or one deleted with no final of its agent.
//!
//! **How to fix.** Add the missing section (write "None." when there is nothing to say);
//! point anchors at lines that exist (after edits, lines move); restore a cited artifact, or
//! update the citation to where the artifact was archived.

use gates_core::fs::probe::Probe;
use serde::Deserialize;

use super::{
    Capability, CheckCtx, CheckDef, CheckOutput, ParamError, Role, Rule, error, parse_params,
    warning,
};
use std::collections::BTreeMap;

use crate::artifacts::cleanup::{self, Action};
use crate::artifacts::evidence::{self, Resolver};
use crate::artifacts::git;
use crate::artifacts::markdown::{self, Doc, normalise_key};
use crate::artifacts::names;
use crate::error::GateError;
use crate::finding::Finding;

pub const SECTIONS: &[&str] = &[
    "Skills Introspected",
    "Evidence Map",
    "Assumptions",
    "Risks",
    "Unresolved Questions",
];

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Absolute directories that stand for the target's root in evidence anchors.
    #[serde(default)]
    pub worktree_prefixes: Vec<String>,
    /// Closure documents (relative to the pass root) whose citations must resolve.
    pub closure_documents: Option<Vec<String>>,
}

pub fn validate(t: &toml::Table) -> Result<(), ParamError> {
    parse_params::<Params>(t).map(|_| ())
}

pub fn def() -> CheckDef {
    CheckDef {
        name: "agent-outputs",
        summary: "agent finals have the five sections, resolving evidence; cited artifacts exist",
        capabilities: &[Capability::WorkTree],
        rules: &[RULES, super::common::EVIDENCE, super::common::DOCUMENT],
        parts: None,
        aliases: &[],
        validate,
        roles: super::no_roles,
        run,
    }
}

/// How to fix what the rules below report.
const FIX: &str = "add the missing section (\"None.\" when there is nothing to say); point anchors at lines that exist; restore a cited artifact or cite where it was archived (docs/closure-format.md)";

/// Every rule of the agent-outputs check.
pub const RULES: &[Rule] = &[
    error("pass-root-missing", "the pass root does not exist", FIX),
    error(
        "agent-finals-missing",
        "no agent final output in the pass root",
        FIX,
    ),
    error("final-section-missing", "a section absent or empty", FIX),
    error("final-section-empty", "a section absent or empty", FIX),
    error(
        "evidence-map-without-anchors",
        "the Evidence Map cites nothing",
        FIX,
    ),
    warning(
        "evidence-map-without-line-anchors",
        "it cites files but no line",
        FIX,
    ),
    warning(
        "evidence-deleted-by-cleanup",
        "the file is an agent's plan, scratchpad or draft, gone, listed under a Deleted heading of the cleanup manifest, and a final of the same agent is in the pass root: the runbook deletes exactly these once the final exists. A final, a closure output, a file the manifest does not list, or one whose agent has no final stays `evidence-file-missing`",
        FIX,
    ),
];

pub fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let p: Params = ctx.params()?;
    let pass_rel = git::rel_str(&ctx.pipeline.target.pass_root);
    let mut out = CheckOutput::default();
    if !ctx.pass_root.probe_is_dir() {
        out.findings.push(Finding::error(
            "pass-root-missing",
            &pass_rel,
            0,
            0,
            "the pass root does not exist",
        ));
        return Ok(out);
    }
    let packet_rel = packet_of(&pass_rel);
    // A citation of a file the cleanup deletes as superseded is history (a warning).
    let mut resolver = super::evidence_resolver(ctx, &p.worktree_prefixes)
        .with_bases(&pass_rel, &packet_rel)
        .with_superseded(super::Deletions::of(ctx).names());
    let files: Vec<String> = names::walk(ctx.pass_root)?
        .into_iter()
        .filter(|f| !f.contains('/'))
        .collect();
    let finals: Vec<&String> = files.iter().filter(|f| names::is_agent_final(f)).collect();
    let agent_docs = files
        .iter()
        .filter(|f| names::agent_file(f).is_some())
        .count();
    if finals.is_empty() {
        out.findings.push(
            Finding::error(
                "agent-finals-missing",
                &pass_rel,
                0,
                0,
                "the pass root holds no agent final output (an `AGENT_*.md` with `FINAL` in its name)",
            )
            .with_help("every agent publishes its final output in the pass root"),
        );
    }
    let deleted = superseded_deletions(ctx, &pass_rel, &files)?;
    for f in &finals {
        let rel = format!("{pass_rel}/{f}");
        let Some(text) = read_text(&ctx.pass_root.join(f), &rel, &mut out)? else {
            continue;
        };
        check_final(&rel, &text, &mut resolver, &deleted, &mut out.findings);
    }
    out.notes.push(format!(
        "{agent_docs} agent document(s) in the pass root, {} final(s) checked for the five sections",
        finals.len()
    ));

    let documents = &ctx.pipeline.documents;
    let docs: Vec<String> = p
        .closure_documents
        .clone()
        .unwrap_or_else(|| documents.closure_documents());
    // The dispositions: their `path:line` evidence is judged by their own gate.
    let dispositions: Vec<&str> = [Role::Review, Role::Structural]
        .into_iter()
        .filter_map(|r| documents.file(r))
        .collect();
    for d in &docs {
        let full = super::resolve_inside(ctx.pass_root, d)?;
        if !full.probe_is_file() {
            continue;
        }
        let rel = format!("{pass_rel}/{d}");
        let Some(text) = read_text(&full, &rel, &mut out)? else {
            continue;
        };
        let doc_dir = std::path::Path::new(&rel)
            .parent()
            .map(git::rel_str)
            .unwrap_or_default();
        resolver.set_bases(&doc_dir, &packet_rel);
        // A disposition's `path:line` evidence is judged by its own gate (the closure
        // gates); here only the files it cites.
        let anchors = !dispositions.contains(&d.as_str());
        check_citations(&rel, &text, &mut resolver, &mut out.findings, anchors);
    }
    Ok(out)
}

/// Superseded agent files the cleanup deleted on the record: repository-relative path →
/// where the manifest lists it (`<manifest>.md:20`). An entry counts when the
/// manifest deletes it, the file is gone, it is an agent's plan, scratchpad or other
/// non-final document, and a final of the same agent is in the pass root (SPEC §7: such
/// files are deleted once their final exists). The manifest's own problems are the
/// `docs-cleanup` gate's findings; an unreadable manifest records nothing here.
pub type Deletions = BTreeMap<String, String>;

fn superseded_deletions(
    ctx: &CheckCtx,
    pass_rel: &str,
    files: &[String],
) -> Result<Deletions, GateError> {
    let cfg = super::docs_cleanup::config_of(ctx.pipeline)?;
    let path = super::resolve_inside(ctx.pass_root, &cfg.manifest)?;
    let mut out = Deletions::new();
    if !path.probe_is_file() {
        return Ok(out);
    }
    let text = match crate::fs::careful::read_document(&path) {
        Ok(t) => t,
        Err(e) if crate::fs::careful::too_large(&e) => return Err(GateError::io(&path, e)),
        Err(_) => return Ok(out),
    };
    let manifest_rel = format!("{pass_rel}/{}", cfg.manifest);
    let (manifest, _) = cleanup::parse(&manifest_rel, &text);
    for e in manifest
        .entries
        .iter()
        .filter(|e| e.action == Action::Delete)
    {
        if files.contains(&e.path) {
            continue;
        }
        let Some((agent, kind)) = names::agent_file(&e.path) else {
            continue;
        };
        if matches!(kind, names::AgentFile::Final(_)) {
            continue;
        }
        if files
            .iter()
            .any(|f| names::is_agent_final(f) && names::is_final_of(f, &agent))
        {
            out.insert(
                format!("{pass_rel}/{}", e.path),
                format!("{}:{}", cfg.manifest, e.line),
            );
        }
    }
    Ok(out)
}

/// Where the cleanup manifest deleted the file `cited` stands for, when it is one of
/// `deleted` (see [`Deletions`]); `doc_dir` is the citing document's folder.
fn on_record<'d>(
    resolver: &Resolver,
    deleted: &'d Deletions,
    doc_dir: &str,
    cited: &str,
) -> Option<&'d String> {
    let p = resolver.map_path(cited).ok()?;
    deleted
        .get(&p)
        .or_else(|| evidence::join_rel(doc_dir, &p).and_then(|j| deleted.get(&j)))
}

/// The warning for a citation (`cited`, as written) of a superseded agent file deleted on
/// the record at `at`.
fn deleted_by_cleanup(cited: &str, at: &str, rel: &str, line: u32, col: u32) -> Finding {
    Finding::error(
        "evidence-deleted-by-cleanup",
        rel,
        line,
        col,
        format!(
            "`{cited}` is a superseded agent file the cleanup deleted once its final existed ({at})"
        ),
    )
    .with_severity(crate::finding::Severity::Warning)
    .with_help("cite the lasting record instead: the final, the code, or a retained document")
}

/// A document found in the pass root, as text (see [`super::document_text`]).
fn read_text(
    path: &std::path::Path,
    rel: &str,
    out: &mut CheckOutput,
) -> Result<Option<String>, GateError> {
    let bytes =
        crate::fs::careful::read_document_bytes(path).map_err(|e| GateError::io(path, e))?;
    Ok(super::document_text(bytes, rel, out))
}

/// The spec packet of a pass root: its parent folder (the root itself for a top-level pass
/// root).
pub fn packet_of(pass_rel: &str) -> String {
    std::path::Path::new(pass_rel)
        .parent()
        .map(git::rel_str)
        .unwrap_or_default()
}

/// The five sections and the Evidence Map's anchors of one final.
pub fn check_final(
    rel: &str,
    text: &str,
    resolver: &mut Resolver,
    deleted: &Deletions,
    findings: &mut Vec<Finding>,
) {
    let doc = Doc::parse(text);
    let doc_dir = std::path::Path::new(rel)
        .parent()
        .map(git::rel_str)
        .unwrap_or_default();
    let headings = doc.headings();
    for name in SECTIONS {
        let want = normalise_key(name);
        // A heading repeated (e.g. a second Evidence Map) is checked like the first.
        let sections = doc.sections(|t| section_keys(t).contains(&want));
        if sections.is_empty() {
            findings.push(
                Finding::error(
                    "final-section-missing",
                    rel,
                    0,
                    0,
                    format!("no `{name}` section"),
                )
                .with_help(format!(
                    "add a `## {name}` heading; write \"None.\" when there is nothing to say"
                )),
            );
            continue;
        }
        for (h, range) in sections {
            // A section ends at the next of the five sections whatever its level: under
            // `# Risks`, a `## Unresolved Questions` is not Risks' content (it made an
            // empty Risks look filled, and lent its anchors to an Evidence Map above it).
            let end = headings
                .iter()
                .filter(|x| range.contains(&x.index))
                .find(|x| {
                    let ks = section_keys(&x.title);
                    SECTIONS.iter().any(|s| ks.contains(&normalise_key(s)))
                })
                .map_or(range.end, |x| x.index);
            let range = range.start..end;
            if !markdown::has_content(doc.visible(range.clone())) {
                findings.push(Finding::error(
                    "final-section-empty",
                    rel,
                    h.line,
                    1,
                    format!("the `{name}` section is empty"),
                ));
                continue;
            }
            if want == normalise_key("Evidence Map") {
                let mut n = 0;
                let mut files = 0;
                for l in doc.visible(range.clone()) {
                    for a in evidence::anchors_in_line(&l.text) {
                        n += 1;
                        match resolver.resolve(&a) {
                            Ok(_) => {}
                            Err(u) if u.rule == "evidence-file-missing" => findings.push(
                                match on_record(resolver, deleted, &doc_dir, &a.path) {
                                    Some(at) => deleted_by_cleanup(&a.raw, at, rel, l.no, a.col),
                                    None => Finding::error(u.rule, rel, l.no, a.col, u.message),
                                },
                            ),
                            Err(u) => {
                                findings.push(Finding::error(u.rule, rel, l.no, a.col, u.message))
                            }
                        }
                    }
                }
                // Files cited without a line: they must exist too.
                for (line, i) in doc.inlines_in(range) {
                    if i.kind != markdown::InlineKind::Code
                        || evidence::parse_anchor(&i.text).is_some()
                        || !evidence::looks_like_file(&i.text)
                    {
                        continue;
                    }
                    files += 1;
                    // A file the line says must not exist or is absent on purpose
                    // (`deferred posture forbids `X.md``) is no dangling citation.
                    if doc
                        .lines
                        .get((line as usize).saturating_sub(1))
                        .is_some_and(|l| evidence::says_absent(&l.text, i.col))
                    {
                        continue;
                    }
                    match resolver.locate(&i.text) {
                        Ok(_) => {}
                        // A path outside the target (a skill file, another machine's
                        // folder) is context, not evidence of this repository.
                        Err(u) if u.rule == "evidence-outside-repo" => {}
                        Err(u) if u.rule == "evidence-file-missing" => {
                            if let Some(at) = on_record(resolver, deleted, &doc_dir, &i.text) {
                                findings.push(deleted_by_cleanup(&i.text, at, rel, line, i.col));
                            } else {
                                findings.push(Finding::error(
                                    u.rule,
                                    rel,
                                    line,
                                    i.col,
                                    format!("cites `{}`: {}", i.text, u.message),
                                ));
                            }
                        }
                        Err(u) => findings.push(Finding::error(
                            u.rule,
                            rel,
                            line,
                            i.col,
                            format!("cites `{}`: {}", i.text, u.message),
                        )),
                    }
                }
                if n == 0 && files == 0 {
                    findings.push(Finding::error(
                        "evidence-map-without-anchors",
                        rel,
                        h.line,
                        1,
                        "the Evidence Map cites nothing: no `path:line` anchor, no file",
                    ));
                } else if n == 0 {
                    findings.push(
                        Finding::error(
                            "evidence-map-without-line-anchors",
                            rel,
                            h.line,
                            1,
                            format!(
                                "the Evidence Map cites {files} file(s) but no line (`path:line`)"
                            ),
                        )
                        .with_severity(crate::finding::Severity::Warning),
                    );
                }
            }
        }
    }
}

/// The section names a heading stands for: `Evidence Map (absolute paths + line anchors)` is
/// the Evidence Map (a trailing `:` and a parenthesised note are ignored), `5. Risks` is
/// Risks (a leading number is ignored), and a heading joining names with `/`, `&` or `and`
/// stands for each (`Unresolved Questions / Follow-ups`, `Assumptions and Risks`).
fn section_keys(title: &str) -> Vec<String> {
    let t = title.trim().trim_end_matches(':');
    let t = match t.find(" (") {
        Some(p) if t.ends_with(')') => &t[..p],
        _ => t,
    };
    let t = t
        .trim_start_matches(|c: char| c.is_ascii_digit())
        .strip_prefix(['.', ')'])
        .filter(|_| t.starts_with(|c: char| c.is_ascii_digit()))
        .unwrap_or(t)
        .trim();
    let mut keys = vec![normalise_key(t)];
    for part in t.split(['/', '&']).flat_map(|p| p.split(" and ")) {
        let k = normalise_key(part.trim());
        if !k.is_empty() && !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys
}

pub use crate::artifacts::evidence::check_citations;

#[cfg(test)]
mod tests {
    use super::section_keys;

    #[test]
    fn headings_stand_for_the_section_names_they_carry() {
        let has = |title: &str, name: &str| section_keys(title).contains(&name.to_string());
        assert!(has(
            "Evidence Map (absolute paths + line anchors)",
            "evidencemap"
        ));
        assert!(has("Risks:", "risks"));
        assert!(has("5. Unresolved Questions", "unresolvedquestions"));
        assert!(has("3) Assumptions", "assumptions"));
        assert!(has(
            "Unresolved Questions / Follow-ups",
            "unresolvedquestions"
        ));
        assert!(has("Open / Unresolved Questions", "unresolvedquestions"));
        assert!(has("Assumptions and Risks", "assumptions"));
        assert!(has("Assumptions & Risks", "risks"));
        assert!(!has("Open Questions", "unresolvedquestions"));
        assert!(!has("Risks Accepted By Owner", "risks"));
        assert!(!has("2026 Risks", "risks"));
    }
}

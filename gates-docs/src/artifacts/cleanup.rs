//! The cleanup manifest (the pipeline's `[documents] cleanup`): plan it, check it against the tree,
//! apply it with git.
//!
//! The manifest is a person's markdown (lists under Deleted / Archived / Retained headings,
//! see docs/closure-format.md) or the table `cleanup plan` writes, one row per file of the
//! pass root: `path` (relative to the pass root), `action` (`delete` | `archive` |
//! `retain`), `destination` (for archives) and `rationale`. `cleanup plan` never rewrites an
//! existing manifest: it appends the files it does not mention, under a marked heading.
//!
//! Crash safety of `apply`: the manifest (the intent) is on disk before any file moves; each
//! action is one git operation that leaves the file either in place or at its archive
//! destination (`git mv` is a rename); deletions only remove files whose committed content
//! git still holds. Re-running `apply` after a crash finishes the remaining actions: the
//! changes it finds are exactly those the manifest explains, so the clean-tree rule lets it
//! go on, and every action is idempotent.

use gates_core::fs::probe::Probe;
use std::collections::BTreeSet;
use std::path::Path;

use super::markdown::{self, Doc, is_blank_value, strip_emphasis};
use super::names::{self, AgentFile};
use super::{git, write_atomic};
use crate::error::GateError;
use crate::finding::Finding;

/// Where things are and what counts as a closure document.
#[derive(Clone, Debug)]
pub struct Config {
    /// The manifest, relative to the pass root.
    pub manifest: String,
    /// The archive folder, relative to the pass root.
    pub archive_dir: String,
    /// Directories (relative to the target) whose markdown must not link to deleted paths.
    pub canonical_docs: Vec<String>,
    /// Closure documents (relative to the pass root): their citations are retained.
    pub closure_documents: Vec<String>,
    /// The outputs the phase requires (never deleted or archived).
    pub protected: Vec<String>,
    /// The orchestrator's plan and scratchpad.
    pub orchestrator: Vec<String>,
    /// The scratchpad (a run with `--log-scratchpad` appends to it: not a dirty file).
    pub scratchpad: String,
    /// The documents `cargo xtask report` writes after the cleanup (report, handoff).
    pub generated: Vec<String>,
    /// The slices whose documents are written after the manifest (the cleanup slice and the
    /// readiness slice): a file with one of them among its `_`-separated words.
    pub later_slices: Vec<String>,
    /// The manifest's title when `cleanup plan` writes it.
    pub title: String,
    /// The files the cleanup must retain, as file-name globs (`PHASE_*_EXECUTION_REPORT.md`,
    /// `*_REVIEW_DISPOSITION.md`), from the gate's `protected` param; `None`: the phase's
    /// required outputs, orchestrator files, agent finals and closure outputs.
    pub protected_globs: Option<Vec<String>>,
}

impl Config {
    /// The cleanup configuration the pipeline's documents give (the `docs-cleanup` gate's
    /// params override it, see `checks::docs_cleanup::config_of`).
    pub fn of(p: &crate::pipeline::Pipeline) -> Config {
        use crate::pipeline::Role;
        let d = &p.documents;
        let cleanup_slice = d.slice(Role::Cleanup);
        Config {
            manifest: d.file(Role::Cleanup).unwrap_or_default().to_string(),
            archive_dir: "_archive".into(),
            canonical_docs: vec!["docs".into()],
            closure_documents: d.closure_documents(),
            protected: d.required.clone(),
            orchestrator: vec![d.plan.clone(), d.scratchpad.clone()],
            scratchpad: d.scratchpad.clone(),
            generated: d.report.iter().chain(d.handoff.iter()).cloned().collect(),
            later_slices: [cleanup_slice, d.slice(Role::Readiness)]
                .into_iter()
                .flatten()
                .map(str::to_string)
                .collect(),
            title: match cleanup_slice {
                Some(s) => format!("{s} Cleanup Manifest"),
                None => "Cleanup Manifest".into(),
            },
            protected_globs: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Delete,
    Archive,
    Retain,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Delete => "delete",
            Action::Archive => "archive",
            Action::Retain => "retain",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub path: String,
    pub action: Action,
    pub destination: Option<String>,
    pub rationale: String,
    /// 1-based line in the manifest (0 for entries not read from a file).
    pub line: u32,
    pub path_col: u32,
    pub dest_col: u32,
}

impl Entry {
    /// The archive destination: the given one, or the path under the archive folder.
    pub fn archive_destination(&self, cfg: &Config) -> String {
        self.destination
            .clone()
            .unwrap_or_else(|| format!("{}/{}", cfg.archive_dir.trim_end_matches('/'), self.path))
    }
}

#[derive(Clone, Debug, Default)]
pub struct Manifest {
    pub entries: Vec<Entry>,
    /// Entries for files outside the pass root, named by their repository-relative path (the
    /// canonical docs a cleanup updates: `docs/…/README.md` with the action `update`).
    pub outside: Vec<Entry>,
}

/// A table row's action: `delete` (`deleted`, `remove`), `archive` (`moved`), or one that
/// leaves the file in place, which must then exist: `retain`, `keep`, `update`, `add`,
/// `finalize`, `create`, with a note (`retain (untouched)`).
fn table_action(v: &str) -> Option<Action> {
    let first = v
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| !w.is_empty())?
        .to_ascii_lowercase();
    match first.as_str() {
        "delete" | "deleted" | "remove" | "removed" => Some(Action::Delete),
        "archive" | "archived" | "move" | "moved" => Some(Action::Archive),
        "retain" | "retained" | "keep" | "kept" | "update" | "updated" | "add" | "added"
        | "finalize" | "finalized" | "finalise" | "finalised" | "create" | "created" => {
            Some(Action::Retain)
        }
        _ => None,
    }
}

/// A manifest path as the pass root sees it: `./X.md` is `X.md`, and a repository-relative
/// path into the pass root is the path inside it. `Err` carries a repository-relative path
/// outside the pass root (it starts with the pass root's first folder: `docs/…`).
fn normalise_path(pass_rel: &str, p: &str) -> Result<String, String> {
    let p = p.trim_start_matches("./");
    if pass_rel.is_empty() {
        return Ok(p.to_string());
    }
    if let Some(r) = p.strip_prefix(&format!("{pass_rel}/")) {
        return Ok(r.to_string());
    }
    let top = pass_rel.split('/').next().unwrap_or("");
    if pass_rel.contains('/') && p.starts_with(&format!("{top}/")) {
        return Err(p.to_string());
    }
    Ok(p.to_string())
}

/// Parses a manifest. Problems come back as findings at `path` (the manifest's
/// repository-relative path).
pub fn parse(path: &str, text: &str) -> (Manifest, Vec<Finding>) {
    let doc = Doc::parse(text);
    let mut m = Manifest::default();
    let mut problems = Vec::new();
    let pass_rel = path.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let tables = doc.tables(doc.all());
    // Every table with `path` and `action` columns (a person may split the manifest by action).
    let manifest_tables: Vec<_> = tables
        .iter()
        .filter(|t| t.column("path").is_some() && t.column("action").is_some())
        .collect();
    let manifest_tables_found = manifest_tables.len();
    for t in manifest_tables {
        let (pi, ai) = (
            t.column("path").expect("found"),
            t.column("action").expect("found"),
        );
        let di = t.column("destination");
        let ri = t.column("rationale");
        if ri.is_none() {
            problems.push(Finding::error(
                "manifest-column-missing",
                path,
                t.header_line,
                1,
                "the manifest lacks the `rationale` column",
            ));
        }
        for row in &t.rows {
            let get = |i: Option<usize>| i.and_then(|i| row.cells.get(i));
            let Some(pc) = get(Some(pi)) else { continue };
            let p = strip_emphasis(&pc.text);
            let ac = get(Some(ai));
            let action_text = ac.map(|c| strip_emphasis(&c.text).to_ascii_lowercase());
            let action = match action_text.as_deref().and_then(table_action) {
                Some(a) => a,
                None => {
                    let other = action_text.as_deref();
                    problems.push(Finding::error(
                        "invalid-action",
                        path,
                        row.line,
                        ac.map(|c| c.col).unwrap_or(1),
                        format!(
                            "action `{}` is not one of delete, archive, retain (or update, add, finalize: the file stays)",
                            other.unwrap_or("")
                        ),
                    ));
                    continue;
                }
            };
            // Table rows are read like list rows: a repository-relative path into the pass
            // root is the path inside it; one elsewhere is a canonical doc of the repository.
            let (p, outside) = match normalise_path(pass_rel, &p) {
                Ok(p) => (p, false),
                Err(p) => (p, true),
            };
            if p.is_empty() {
                problems.push(Finding::error(
                    "manifest-path-missing",
                    path,
                    row.line,
                    pc.col,
                    "a manifest row names no path",
                ));
                continue;
            }
            let dest = get(di).filter(|c| !is_blank_value(&c.text));
            let rationale = get(ri).map(|c| c.text.clone()).unwrap_or_default();
            if ri.is_some() && is_blank_value(&rationale) {
                problems.push(Finding::error(
                    "rationale-missing",
                    path,
                    row.line,
                    get(ri).map(|c| c.col).unwrap_or(1),
                    format!("`{p}` has no rationale"),
                ));
            }
            let e = Entry {
                path: p,
                action,
                destination: dest.map(|c| {
                    let d = strip_emphasis(&c.text);
                    normalise_path(pass_rel, &d).unwrap_or(d)
                }),
                rationale,
                line: row.line,
                path_col: pc.col,
                dest_col: dest.map(|c| c.col).unwrap_or(0),
            };
            if outside {
                m.outside.push(e);
            } else {
                m.entries.push(e);
            }
        }
    }
    let before = m.entries.len();
    let listed = list_entries(path, &doc, &mut m);
    if let Some(f) = list_rationale_missing(path, &doc, &m.entries[before..]) {
        problems.push(f);
    }
    if manifest_tables_found == 0 && listed == 0 {
        problems.push(
            Finding::error(
                "manifest-entries-missing",
                path,
                0,
                0,
                "the manifest lists no path: no table with the columns path and action, and no paths in code spans under a Deleted, Removed, Archived, Retained or Kept heading or item",
            )
            .with_help("list the paths (see docs/closure-format.md), or regenerate it with `cargo xtask cleanup plan`"),
        );
    }
    (m, problems)
}

/// The action a heading or a list item's opening word names: "Deleted Artifacts",
/// "Retained Artifacts (Core)", "Kept canonical closure artifacts:", "Removed …".
fn action_named(text: &str, whole_title: bool) -> Option<Action> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let of = |w: &str| match w {
        "deleted" | "delete" | "removed" | "remove" | "deletions" | "removals" => {
            Some(Action::Delete)
        }
        "archived" | "archive" | "moved" => Some(Action::Archive),
        "retained" | "retain" | "kept" | "keep" | "preserved" => Some(Action::Retain),
        _ => None,
    };
    if whole_title {
        // A heading names one action; "Deleted and Retained" names none with certainty.
        let acts: Vec<Action> = words.iter().filter_map(|w| of(w)).collect();
        match acts.as_slice() {
            [a, rest @ ..] if rest.iter().all(|b| b == a) => Some(*a),
            _ => None,
        }
    } else {
        words.first().and_then(|w| of(w))
    }
}

/// Paths in code spans of list items under headings naming an action, and of list items
/// opening with an action word (with their nested items). Globs (`*_PLAN_VERBATIM.md`) are
/// descriptions, not paths. Returns how many entries were read.
fn list_entries(manifest_rel: &str, doc: &Doc, m: &mut Manifest) -> usize {
    let pass_rel = manifest_rel.rsplit_once('/').map(|(d, _)| d).unwrap_or("");
    let items = doc.items(doc.all());
    let heads = doc.headings();
    let mut n = 0;
    // Each item's action from its own words or, failing that, its parent's (parents come
    // first): the nearest item, itself or an ancestor, opening with an action word. One pass,
    // so a deeply nested list costs no more than a flat one.
    let mut item_action: Vec<Option<Action>> = Vec::with_capacity(items.len());
    let mut listed: std::collections::HashSet<(String, Action, bool)> = m
        .entries
        .iter()
        .map(|e| (e.path.clone(), e.action, false))
        .chain(m.outside.iter().map(|e| (e.path.clone(), e.action, true)))
        .collect();
    let mut head = 0;
    for it in &items {
        let own = action_named(&it.text, false).or_else(|| {
            it.parent
                .and_then(|p| item_action.get(p).copied().flatten())
        });
        item_action.push(own);
        // Else the heading the item sits under (items and headings are in document order).
        while heads.get(head).is_some_and(|h| h.index < it.index) {
            head += 1;
        }
        let action = own.or_else(|| {
            head.checked_sub(1)
                .and_then(|h| action_named(&heads[h].title, true))
        });
        let Some(action) = action else { continue };
        // The item's own text: up to its first nested list.
        let spans: Vec<(u32, markdown::Inline)> = doc
            .inlines_at(it.own.clone())
            .into_iter()
            .filter(|(_, i)| i.kind == markdown::InlineKind::Code)
            .filter(|(_, i)| {
                let t = &i.text;
                !t.is_empty()
                    && !t.contains(['*', '?', '[', ' '])
                    && (t.ends_with(".md")
                        || super::evidence::looks_like_file(t)
                        || is_artifact_file(t))
            })
            .collect();
        let strip = |t: &str| normalise_path(pass_rel, t);
        // An archived item may name its destination as a second path (`A.md` → `_archive/A.md`);
        // otherwise every path of the item is an entry.
        type Span = (u32, markdown::Inline);
        let pairs: Vec<(&Span, Option<&Span>)> = if action == Action::Archive && spans.len() == 2 {
            vec![(&spans[0], Some(&spans[1]))]
        } else {
            spans.iter().map(|s| (s, None)).collect()
        };
        // The item's words are each path's rationale; an item listing many paths shares
        // them, so a long one is cut (its words are only counted, and shown in messages).
        let rationale = cut(&it.text, MAX_ITEM_RATIONALE);
        for ((line, first), dest) in pairs {
            let (path, outside) = match strip(&first.text) {
                Ok(p) => (p, false),
                Err(p) => (p, true),
            };
            if !listed.insert((path.clone(), action, outside)) {
                continue; // listed again under another heading with the same action
            }
            let list = if outside {
                &mut m.outside
            } else {
                &mut m.entries
            };
            list.push(Entry {
                path,
                action,
                destination: dest.map(|(_, d)| strip(&d.text).unwrap_or_else(|e| e)),
                rationale: rationale.clone(),
                line: *line,
                path_col: first.col,
                dest_col: dest.map(|(_, d)| d.col).unwrap_or(0),
            });
            n += 1;
        }
    }
    n
}

/// The longest rationale a list item gives each of its paths, in bytes.
const MAX_ITEM_RATIONALE: usize = 1000;

/// `t` cut to at most `max` bytes at a character boundary, with `…` when cut.
fn cut(t: &str, max: usize) -> String {
    if t.len() <= max {
        return t.to_string();
    }
    let mut end = max;
    while !t.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &t[..end])
}

/// A list manifest gives the rationale of its deleted and archived paths (SPEC: "every
/// archived/deleted path with rationale") in a section whose heading names it (`##
/// Rationale`, `## Why`, `## Reasons`), a `Rationale:` line, prose under the heading that
/// lists them, or each item's own words after its path (`AGENT_1_SCRATCHPAD.md` —
/// superseded by the final). With none of these, one finding at the first such entry.
fn list_rationale_missing(path: &str, doc: &Doc, listed: &[Entry]) -> Option<Finding> {
    let moved: Vec<&Entry> = listed
        .iter()
        .filter(|e| e.action != Action::Retain)
        .collect();
    let first = moved.first()?;
    let words = |t: &str| {
        t.split(|c: char| !c.is_alphanumeric())
            .filter(|w| w.len() > 1)
            .count()
    };
    let rationale_heading = |t: &str| {
        markdown::has_word(
            t,
            &["rationale", "why", "reason", "reasons", "justification"],
        )
    };
    let in_sections = doc
        .sections(rationale_heading)
        .into_iter()
        .any(|(_, r)| markdown::has_content(doc.visible(r)));
    let key_line = doc.visible(doc.all()).any(|l| {
        let t = markdown::strip_line_markers(l.text.trim()).to_ascii_lowercase();
        t.strip_prefix("rationale:")
            .or_else(|| t.strip_prefix("**rationale**:"))
            .or_else(|| t.strip_prefix("**rationale:**"))
            .is_some_and(|v| words(v) > 0)
    });
    // Prose (not a list item, not a heading) in a section whose heading names the action.
    let items: std::collections::HashSet<u32> =
        doc.items(doc.all()).iter().map(|i| i.line).collect();
    let heads: std::collections::HashSet<u32> = doc.headings().iter().map(|h| h.line).collect();
    let prose = doc
        .sections(|t| {
            matches!(
                action_named(t, true),
                Some(Action::Delete | Action::Archive)
            )
        })
        .into_iter()
        .any(|(h, r)| {
            // The heading itself may say why: `## Deleted (superseded scratch/plan
            // artifacts)`, `## Deleted as Superseded in B5`.
            let why = h
                .title
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| w.len() > 1)
                .filter(|w| {
                    action_named(w, false).is_none()
                        && !matches!(
                            w.to_ascii_lowercase().as_str(),
                            "artifacts"
                                | "artifact"
                                | "files"
                                | "file"
                                | "paths"
                                | "path"
                                | "in"
                                | "the"
                        )
                })
                .count();
            why >= 2
                || doc.visible(r).any(|l| {
                    !items.contains(&l.no) && !heads.contains(&l.no) && words(&l.text) >= 3
                })
        });
    // Each item's own words beyond its paths.
    let own = moved.iter().all(|e| {
        let without: String = e
            .rationale
            .replace(&e.path, " ")
            .replace(e.destination.as_deref().unwrap_or("\u{0}"), " ");
        words(&without) >= 2
    });
    if in_sections || key_line || prose || own {
        return None;
    }
    Some(
        Finding::error(
            "rationale-missing",
            path,
            first.line,
            first.path_col,
            format!(
                "the manifest gives no rationale for the {} deleted or archived path(s) it lists",
                moved.len()
            ),
        )
        .with_help("say why under a `## Rationale` heading, or after each path (`X.md` — superseded by its final)"),
    )
}

/// Renders a manifest (entries sorted by path).
pub fn render(m: &Manifest, cfg: &Config) -> String {
    let mut entries = m.entries.clone();
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    let mut s = String::new();
    s.push_str(&format!("# {}\n\n", cfg.title));
    s.push_str(
        "<!-- Written by `cargo xtask cleanup plan`. Human-editable: change an action or a rationale and\n     `cleanup plan` keeps it. Paths are relative to the pass root. Format: docs/closure-format.md. -->\n\n",
    );
    s.push_str(&format!("Archive folder: `{}`\n\n", cfg.archive_dir));
    s.push_str(TABLE_HEADER);
    for e in &entries {
        s.push_str(&row(e, Some(e.archive_destination(cfg))));
    }
    s
}

/// The entries the cleanup manifest `manifest` (in the pass root) lists for deletion; none
/// when it is absent or cannot be read.
pub fn deletions(pass_root: &Path, pass_rel: &str, manifest: &str) -> Vec<Entry> {
    let Ok(text) = crate::fs::careful::read_document(pass_root.join(manifest)) else {
        return Vec::new();
    };
    parse(&format!("{pass_rel}/{manifest}"), &text)
        .0
        .entries
        .into_iter()
        .filter(|e| e.action == Action::Delete)
        .collect()
}

/// Whether a pass-root file is one the cleanup slice or a later slice writes, which a
/// manifest written before it cannot mention: the cleanup and readiness slices' documents
/// (agent finals and reviews of those slices, the readiness), the execution report and the
/// handoff: by the pipeline's documents and slices, and by their role whatever the phase (a
/// readiness, an execution report, a handoff, a realignment: `B6_PHASE_C_READINESS.md`,
/// `PHASE_E_EXECUTION_REPORT.md`, `FINAL_PHASE_F_HANDOFF.md`, `AGENT_6_FINAL_REALIGNMENT.md`).
pub fn written_after_cleanup(f: &str, cfg: &Config) -> bool {
    if f.contains('/') {
        return false;
    }
    let stem = f.strip_suffix(".md").unwrap_or(f);
    let words: Vec<&str> = stem.split('_').collect();
    let by_role = |w: &str| matches!(w, "READINESS" | "HANDOFF" | "REALIGNMENT");
    cfg.generated
        .iter()
        .any(|g| stem == g.trim_end_matches(".md"))
        || words
            .iter()
            .any(|w| by_role(w) || cfg.later_slices.iter().any(|s| s == w))
        || words.windows(2).any(|p| p == ["EXECUTION", "REPORT"])
}

/// Whether a pass-root path is one the runbook says must be retained: orchestrator files,
/// finals and closure outputs.
pub fn is_protected(path: &str, cfg: &Config) -> bool {
    if path.contains('/') {
        return false;
    }
    if let Some(globs) = &cfg.protected_globs {
        return path == cfg.manifest
            || globs
                .iter()
                .any(|g| globset::Glob::new(g).is_ok_and(|g| g.compile_matcher().is_match(path)));
    }
    path == cfg.manifest
        || cfg.protected.iter().any(|o| o == path)
        || cfg.closure_documents.iter().any(|d| d == path)
        || matches!(names::agent_file(path), Some((_, AgentFile::Final(_))))
}

/// Artifacts the closure documents cite (pass-root-relative), so the plan never drops them.
fn cited(pass_root: &Path, cfg: &Config) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for d in &cfg.closure_documents {
        let Ok(text) = crate::fs::careful::read_document(pass_root.join(d)) else {
            continue;
        };
        let doc = Doc::parse(&text);
        for l in doc.visible(doc.all()) {
            for i in markdown::inlines(&markdown::strip_inline_comments(&l.text)) {
                match i.kind {
                    markdown::InlineKind::Code if names::is_artifact_name(&i.text) => {
                        out.insert(i.text.clone());
                    }
                    markdown::InlineKind::LinkTarget => {
                        if let Some(t) = markdown::local_link_path(&i.text) {
                            let t = super::evidence::parse_anchor(t)
                                .map(|(p, _, _)| p)
                                .unwrap_or_else(|| t.to_string());
                            let t = t.strip_prefix("./").unwrap_or(&t);
                            if !t.contains("..") {
                                out.insert(t.to_string());
                            }
                        }
                    }
                    _ => {}
                }
            }
        }
    }
    out
}

/// Classifies every file of the pass root. Entries of an existing manifest win for files
/// still present (a person may have changed them) and are kept for files already deleted or
/// archived, so planning again after `apply` changes nothing.
pub fn plan(
    pass_root: &Path,
    cfg: &Config,
    existing: Option<&Manifest>,
) -> Result<Manifest, GateError> {
    let files = names::walk(pass_root)?;
    let present: BTreeSet<&str> = files.iter().map(String::as_str).collect();
    let cited = cited(pass_root, cfg);
    let finals: Vec<String> = files
        .iter()
        .filter(|f| !f.contains('/') && names::is_agent_final(f))
        .cloned()
        .collect();
    let final_of = |n: &str| finals.iter().find(|f| names::is_final_of(f, n)).cloned();
    let mut entries: Vec<Entry> = Vec::new();
    let prior = |p: &str| existing.and_then(|m| m.entries.iter().find(|e| e.path == p));
    let archived_dest = |p: &str| {
        existing.is_some_and(|m| {
            m.entries
                .iter()
                .any(|e| e.action == Action::Archive && e.archive_destination(cfg) == p)
        })
    };
    for f in &files {
        if f == &cfg.manifest {
            continue;
        }
        if archived_dest(f) {
            continue;
        }
        if let Some(e) = prior(f) {
            entries.push(Entry {
                line: 0,
                ..e.clone()
            });
            continue;
        }
        let (action, rationale) = classify(f, cfg, &cited, final_of);
        entries.push(Entry {
            path: f.clone(),
            action,
            destination: None,
            rationale,
            line: 0,
            path_col: 0,
            dest_col: 0,
        });
    }
    if let Some(m) = existing {
        for e in &m.entries {
            if !present.contains(e.path.as_str()) && !entries.iter().any(|x| x.path == e.path) {
                entries.push(Entry {
                    line: 0,
                    ..e.clone()
                });
            }
        }
    }
    entries.push(Entry {
        path: cfg.manifest.clone(),
        action: Action::Retain,
        destination: None,
        rationale: "closure output: this manifest".into(),
        line: 0,
        path_col: 0,
        dest_col: 0,
    });
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Manifest {
        entries,
        outside: Vec::new(),
    })
}

fn classify(
    f: &str,
    cfg: &Config,
    cited: &BTreeSet<String>,
    final_of: impl Fn(&str) -> Option<String>,
) -> (Action, String) {
    let archive_prefix = format!("{}/", cfg.archive_dir.trim_end_matches('/'));
    if f.starts_with(&archive_prefix) {
        return (Action::Retain, "already archived".into());
    }
    if cfg.orchestrator.iter().any(|o| o == f) {
        return (Action::Retain, "orchestrator file".into());
    }
    if is_protected(f, cfg) {
        return match names::agent_file(f) {
            Some((n, AgentFile::Final(_))) => {
                (Action::Retain, format!("final output of agent {n}"))
            }
            _ => (Action::Retain, "closure output".into()),
        };
    }
    if cited.contains(f) {
        return (Action::Retain, "cited by a closure document".into());
    }
    match (names::agent_file(f), f.contains('/')) {
        (Some((n, kind)), false) => match (kind, final_of(&n)) {
            (AgentFile::Plan, Some(fin)) => (
                Action::Delete,
                format!("superseded plan: agent {n}'s final `{fin}` exists"),
            ),
            (AgentFile::Scratchpad, Some(fin)) => (
                Action::Delete,
                format!("superseded scratch notes: agent {n}'s final `{fin}` exists"),
            ),
            (AgentFile::Other(o), Some(fin))
                if o.to_ascii_uppercase().split('_').any(|w| w == "DRAFT") =>
            {
                (
                    Action::Delete,
                    format!("intermediate draft: agent {n}'s final `{fin}` exists"),
                )
            }
            (AgentFile::Other(_), Some(fin)) => (
                Action::Archive,
                format!("record value beyond agent {n}'s final `{fin}`; archived, not deleted"),
            ),
            (AgentFile::Final(_), Some(_)) => {
                (Action::Retain, format!("final output of agent {n}"))
            }
            (_, None) => (
                Action::Archive,
                format!("record value: agent {n} has no final output"),
            ),
        },
        _ => (
            Action::Archive,
            "not a known pass artifact: archived rather than deleted".into(),
        ),
    }
}

/// Whether a pass-root-relative path stays inside the pass root: not absolute, no `..`,
/// no symlink on the way (existing components are inspected).
fn path_problem(pass_root: &Path, rel: &str) -> Option<String> {
    let p = Path::new(rel);
    if rel.is_empty() || p.is_absolute() || rel.starts_with('/') || rel.starts_with('\\') {
        return Some(format!("`{rel}` is absolute"));
    }
    if p.components().any(|c| {
        !matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::CurDir
        )
    }) {
        return Some(format!("`{rel}` climbs out of the pass root with `..`"));
    }
    let mut cur = pass_root.to_path_buf();
    for c in p.components() {
        cur.push(c);
        match gates_core::fs::probe::symlink_metadata(&cur) {
            Ok(md) if md.file_type().is_symlink() => {
                return Some(format!(
                    "`{rel}` goes through the symlink `{}`",
                    cur.strip_prefix(pass_root).unwrap_or(&cur).display()
                ));
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    None
}

/// `cleanup check`: the manifest agrees with the tree.
pub fn check(
    repo: &Path,
    pass_rel: &str,
    cfg: &Config,
) -> Result<(Vec<Finding>, Vec<String>), GateError> {
    let pass_root = repo.join(pass_rel);
    let manifest_rel = format!("{pass_rel}/{}", cfg.manifest);
    let mut findings = Vec::new();
    let mut notes = Vec::new();
    let text = match crate::fs::careful::read_document_bytes(pass_root.join(&cfg.manifest)) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            findings.push(
                Finding::error(
                    "manifest-missing",
                    &manifest_rel,
                    0,
                    0,
                    "the cleanup manifest does not exist",
                )
                .with_help("write it with `cargo xtask cleanup plan`"),
            );
            return Ok((findings, notes));
        }
        Err(e) => return Err(GateError::io(pass_root.join(&cfg.manifest), e)),
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
    };
    let (m, problems) = parse(&manifest_rel, &text);
    findings.extend(problems);
    let mf = |rule: &str, e: &Entry, col: u32, msg: String| {
        Finding::error(rule, &manifest_rel, e.line, col, msg)
    };

    // The readiness slice has not run while neither its readiness nor its handoff exists:
    // until then, a retained document of that slice may be missing.
    let readiness_written = names::walk(&pass_root)?.iter().any(|f| {
        !f.contains('/')
            && f.strip_suffix(".md")
                .is_some_and(|s| s.split('_').any(|w| matches!(w, "READINESS" | "HANDOFF")))
    });
    let mut seen: std::collections::HashMap<&str, u32> = std::collections::HashMap::new();
    let mut accounted: BTreeSet<String> = BTreeSet::from([cfg.manifest.clone()]);
    let mut gone: Vec<(String, Action, Option<String>)> = Vec::new();
    for e in &m.entries {
        if let Some(first) = seen.get(e.path.as_str()) {
            findings.push(mf(
                "duplicate-entry",
                e,
                e.path_col,
                format!("`{}` is listed again (first on line {first})", e.path),
            ));
            continue;
        }
        seen.insert(&e.path, e.line);
        if let Some(why) = path_problem(&pass_root, &e.path) {
            findings.push(mf("path-outside-pass-root", e, e.path_col, why));
            continue;
        }
        accounted.insert(e.path.clone());
        let exists = gates_core::fs::probe::symlink_metadata(pass_root.join(&e.path)).is_ok();
        if e.action != Action::Retain && is_protected(&e.path, cfg) {
            findings.push(mf(
                "protected-file-not-retained",
                e,
                e.path_col,
                format!(
                    "`{}` must be retained (orchestrator file, final or closure output), not {}d",
                    e.path,
                    e.action.as_str()
                ),
            ));
        }
        match e.action {
            Action::Retain => {
                if !exists && written_after_cleanup(&e.path, cfg) && !readiness_written {
                    notes.push(format!(
                        "`{}` is retained and written after the cleanup (its role: readiness, report, handoff): not there yet",
                        e.path
                    ));
                } else if !exists {
                    findings.push(mf(
                        "retained-path-missing",
                        e,
                        e.path_col,
                        format!("`{}` is to be retained but does not exist", e.path),
                    ));
                }
            }
            Action::Delete => {
                if exists {
                    findings.push(
                        mf(
                            "deleted-path-present",
                            e,
                            e.path_col,
                            format!("`{}` is listed as deleted but still exists", e.path),
                        )
                        .with_help("run `cargo xtask cleanup apply --yes`"),
                    );
                }
                gone.push((e.path.clone(), Action::Delete, None));
            }
            Action::Archive => {
                let dest = e.archive_destination(cfg);
                if let Some(why) = path_problem(&pass_root, &dest) {
                    findings.push(mf("path-outside-pass-root", e, e.dest_col.max(1), why));
                    continue;
                }
                accounted.insert(dest.clone());
                let dest_exists = pass_root.join(&dest).probe_exists();
                match (exists, dest_exists) {
                    (false, true) => {}
                    (true, false) => findings.push(
                        mf(
                            "archive-not-applied",
                            e,
                            e.path_col,
                            format!(
                                "`{}` is to be archived to `{dest}` but has not moved",
                                e.path
                            ),
                        )
                        .with_help("run `cargo xtask cleanup apply --yes`"),
                    ),
                    (true, true) => findings.push(mf(
                        "archive-source-present",
                        e,
                        e.path_col,
                        format!(
                            "`{}` is archived to `{dest}` but also still exists in place",
                            e.path
                        ),
                    )),
                    (false, false) => findings.push(mf(
                        "archived-path-missing",
                        e,
                        e.dest_col.max(e.path_col),
                        format!(
                            "`{}` was to be archived to `{dest}`, which does not exist",
                            e.path
                        ),
                    )),
                }
                gone.push((e.path.clone(), Action::Archive, Some(dest)));
            }
        }
    }
    // Files outside the pass root the cleanup touched (canonical docs it updated): named
    // from the repository root, they exist unless deleted.
    for e in &m.outside {
        let bad = e.path.split('/').any(|c| c == ".." || c == ".") || e.path.starts_with('/');
        if bad {
            findings.push(mf(
                "path-outside-pass-root",
                e,
                e.path_col,
                format!("`{}` climbs with `..` or is absolute", e.path),
            ));
            continue;
        }
        // A folder link out of the target on the way: the path is not the target's, and
        // nothing outside is looked at.
        if let Ok(Some(escape)) = crate::fs::inside::link_out(
            repo,
            std::path::Path::new(&e.path),
            crate::fs::inside::TARGET,
        ) {
            findings.push(mf(
                "path-outside-pass-root",
                e,
                e.path_col,
                format!("`{}`: {escape}", e.path),
            ));
            continue;
        }
        let exists = gates_core::fs::probe::symlink_metadata(repo.join(&e.path)).is_ok();
        match e.action {
            Action::Retain if !exists => findings.push(mf(
                "retained-path-missing",
                e,
                e.path_col,
                format!("`{}` is kept (or updated) but does not exist", e.path),
            )),
            Action::Delete if exists => findings.push(mf(
                "deleted-path-present",
                e,
                e.path_col,
                format!("`{}` is listed as deleted but still exists", e.path),
            )),
            _ => {}
        }
    }
    if !m.outside.is_empty() {
        notes.push(format!(
            "{} entr(y/ies) outside the pass root, checked from the repository root: {}",
            m.outside.len(),
            m.outside
                .iter()
                .map(|e| e.path.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let mut later = Vec::new();
    for f in names::walk(&pass_root)? {
        if accounted.contains(&f) {
            continue;
        }
        if written_after_cleanup(&f, cfg) {
            later.push(f);
            continue;
        }
        findings.push(
            Finding::error(
                "unaccounted-file",
                format!("{}/{f}", pass_rel),
                0,
                0,
                format!("`{f}` is not mentioned in {}", cfg.manifest),
            )
            .with_severity(crate::finding::Severity::Warning)
            .with_help("list it under the heading of what the cleanup did with it (Retained, Deleted, Archived), or run `cargo xtask cleanup plan`"),
        );
    }
    if !later.is_empty() {
        notes.push(format!(
            "not in the manifest, written by the cleanup slice or after it (accepted): {}",
            later.join(", ")
        ));
    }
    // No canonical or closure document links to a path that is gone.
    let gone_rel: Vec<(String, Action, Option<String>)> = gone
        .into_iter()
        .map(|(p, a, d)| {
            (
                format!("{pass_rel}/{p}"),
                a,
                d.map(|d| format!("{pass_rel}/{d}")),
            )
        })
        .collect();
    if !gone_rel.is_empty() {
        let archive_rel = format!("{pass_rel}/{}/", cfg.archive_dir.trim_end_matches('/'));
        let mut docs: BTreeSet<String> = BTreeSet::new();
        for dir in &cfg.canonical_docs {
            let d = crate::fs::resolve_inside(repo, dir)?;
            if d.probe_is_dir() {
                for f in names::walk(&d)? {
                    if f.ends_with(".md") {
                        docs.insert(format!("{}/{f}", dir.trim_end_matches('/')));
                    }
                }
            }
        }
        for f in names::walk(&pass_root)? {
            if f.ends_with(".md") {
                docs.insert(format!("{pass_rel}/{f}"));
            }
        }
        let gone_names: Vec<&str> = gone_rel
            .iter()
            .filter_map(|(p, _, _)| p.rsplit('/').next())
            .collect();
        // One scan of each document for all the names at once (a manifest may list
        // thousands).
        let any_gone = aho_corasick::AhoCorasick::new(&gone_names)
            .map_err(|e| GateError::msg(format!("the deleted and archived paths: {e}")))?;
        let gone_at: std::collections::HashMap<&str, (Action, Option<&str>)> = gone_rel
            .iter()
            .map(|(p, a, d)| (p.as_str(), (*a, d.as_deref())))
            .collect();
        for doc in docs.iter().filter(|d| !d.starts_with(&archive_rel)) {
            let text = match crate::fs::careful::read_document(repo.join(doc)) {
                Ok(t) => t,
                Err(e) if crate::fs::careful::too_large(&e) => {
                    return Err(GateError::io(repo.join(doc), e));
                }
                Err(_) => continue,
            };
            // Only a document naming one of the gone files can link to it: skip the parse
            // of every other one (hundreds of canonical docs in a real packet).
            if !any_gone.is_match(&text) {
                continue;
            }
            let dir = Path::new(doc)
                .parent()
                .map(git::rel_str)
                .unwrap_or_default();
            let md = Doc::parse(&text);
            for l in md.visible(md.all()) {
                for i in markdown::inlines(&markdown::strip_inline_comments(&l.text)) {
                    if i.kind != markdown::InlineKind::LinkTarget {
                        continue;
                    }
                    let Some(t) = markdown::local_link_path(&i.text) else {
                        continue;
                    };
                    let Some(target) = super::evidence::join_rel(&dir, t) else {
                        continue;
                    };
                    if let Some((a, d)) = gone_at.get(target.as_str()) {
                        let (rule, msg) = match a {
                            Action::Archive => (
                                "link-to-archived-path",
                                format!(
                                    "links to `{t}`, which the cleanup archived to `{}`",
                                    d.unwrap_or("")
                                ),
                            ),
                            _ => (
                                "link-to-deleted-path",
                                format!("links to `{t}`, which the cleanup deletes"),
                            ),
                        };
                        findings.push(
                            Finding::error(rule, doc, l.no, i.col, msg)
                                .with_help("update or remove the link"),
                        );
                    }
                }
            }
        }
        notes.push(format!(
            "links checked in {} markdown document(s) under {} and the pass root (the archive folder is history and is not checked)",
            docs.len(),
            cfg.canonical_docs.join(", ")
        ));
    }
    notes.push(format!("{} manifest entries", m.entries.len()));
    Ok((findings, notes))
}

/// What `apply` did or would do.
#[derive(Debug, Default)]
pub struct ApplyOutcome {
    pub wrote_manifest: bool,
    /// Human-readable actions, in order (`git rm ...`, `git mv ...`).
    pub actions: Vec<String>,
    pub dry_run: bool,
}

/// The environment variable of the crash-test hook: when set to `k`, `apply` aborts the
/// process right after its k-th step (the manifest write and each git action are steps).
/// Tests use it to prove a crash at any point loses nothing.
pub const ABORT_AFTER_STEP_ENV: &str = "RAWR_GATES_TEST_ABORT_AFTER_STEP";

fn step_done(step: &mut usize) {
    *step += 1;
    if let Ok(k) = std::env::var(ABORT_AFTER_STEP_ENV)
        && k.trim().parse::<usize>().ok() == Some(*step)
    {
        eprintln!("{ABORT_AFTER_STEP_ENV}={k}: aborting after step {step}");
        std::process::abort();
    }
}

/// One planned git operation.
enum Op {
    /// Write the manifest (it did not exist).
    WriteManifest(String),
    GitRm(String),
    StageDeletion(String),
    Move {
        src: String,
        dst: String,
        tracked: bool,
    },
    StageMove {
        src: String,
        dst: String,
    },
}

/// `cleanup apply`: carry out the manifest with git. Dry-run unless `yes`.
pub fn apply(
    repo: &Path,
    pass_rel: &str,
    cfg: &Config,
    yes: bool,
) -> Result<ApplyOutcome, GateError> {
    let pass_root = repo.join(pass_rel);
    let manifest_rel = format!("{pass_rel}/{}", cfg.manifest);
    if git::place(repo)?.is_none() {
        return Err(GateError::msg(format!(
            "{} is not inside a git work tree; cleanup apply works through git",
            repo.display()
        )));
    }
    if let Some(why) = path_problem(repo, pass_rel) {
        return Err(GateError::msg(format!("the pass root is unsafe: {why}")));
    }
    let manifest_path = pass_root.join(&cfg.manifest);
    let mut ops: Vec<Op> = Vec::new();
    let m = match crate::fs::careful::read_document(&manifest_path) {
        Ok(text) => {
            let (m, problems) = parse(&manifest_rel, &text);
            if let Some(p) = problems.first() {
                return Err(GateError::msg(format!(
                    "{}:{}: {}; fix the manifest first",
                    manifest_rel, p.line, p.message
                )));
            }
            m
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let m = plan(&pass_root, cfg, None)?;
            ops.push(Op::WriteManifest(render(&m, cfg)));
            m
        }
        Err(e) => return Err(GateError::io(manifest_path, e)),
    };

    // Validate everything before touching anything.
    let mut refusals = Vec::new();
    let mut explained: BTreeSet<String> = BTreeSet::from([manifest_rel.clone()]);
    let mut seen = BTreeSet::new();
    for e in &m.entries {
        if !seen.insert(e.path.clone()) {
            refusals.push(format!("line {}: `{}` is listed twice", e.line, e.path));
            continue;
        }
        if let Some(why) = path_problem(&pass_root, &e.path) {
            refusals.push(format!("line {}: {why}", e.line));
            continue;
        }
        if e.action != Action::Retain && is_protected(&e.path, cfg) {
            refusals.push(format!("line {}: `{}` is an orchestrator file, final or closure output and must be retained", e.line, e.path));
            continue;
        }
        let src_rel = format!("{pass_rel}/{}", e.path);
        let exists = gates_core::fs::probe::symlink_metadata(pass_root.join(&e.path)).is_ok();
        match e.action {
            Action::Retain => {}
            Action::Delete => {
                explained.insert(src_rel.clone());
                let tracked = git::is_tracked(repo, &src_rel)?;
                if exists && !tracked {
                    refusals.push(format!(
                        "line {}: `{}` is not tracked by git, so deleting it would lose it; commit it or archive it instead",
                        e.line, e.path
                    ));
                } else if exists {
                    ops.push(Op::GitRm(src_rel));
                } else if tracked {
                    ops.push(Op::StageDeletion(src_rel));
                }
            }
            Action::Archive => {
                let dest = e.archive_destination(cfg);
                if let Some(why) = path_problem(&pass_root, &dest) {
                    refusals.push(format!("line {}: destination {why}", e.line));
                    continue;
                }
                let dst_rel = format!("{pass_rel}/{dest}");
                explained.insert(src_rel.clone());
                explained.insert(dst_rel.clone());
                let dest_exists =
                    gates_core::fs::probe::symlink_metadata(pass_root.join(&dest)).is_ok();
                match (exists, dest_exists) {
                    (true, false) => {
                        let tracked = git::is_tracked(repo, &src_rel)?;
                        ops.push(Op::Move {
                            src: src_rel,
                            dst: dst_rel,
                            tracked,
                        });
                    }
                    (false, true) => {
                        let src_tracked = git::is_tracked(repo, &src_rel)?;
                        let dst_tracked = git::is_tracked(repo, &dst_rel)?;
                        let dst_ignored = git::run(repo, &["check-ignore", "-q", "--", &dst_rel])?
                            .status
                            .success();
                        if src_tracked || (!dst_tracked && !dst_ignored) {
                            ops.push(Op::StageMove {
                                src: src_rel,
                                dst: dst_rel,
                            });
                        }
                    }
                    (true, true) => refusals.push(format!(
                        "line {}: both `{}` and its archive `{dest}` exist; resolve by hand",
                        e.line, e.path
                    )),
                    (false, false) => refusals.push(format!(
                        "line {}: neither `{}` nor its archive `{dest}` exists",
                        e.line, e.path
                    )),
                }
            }
        }
    }
    // A dirty tree is refused, except for changes this manifest explains (a previous apply
    // that was interrupted).
    for c in git::dirty_paths(repo, &git::scratchpad_rel(pass_rel, &cfg.scratchpad))? {
        let ok =
            explained.contains(&c.path) && c.from.as_ref().is_none_or(|f| explained.contains(f));
        if !ok {
            refusals.push(format!(
                "uncommitted change `{}` {} (commit or stash it first)",
                c.code, c.path
            ));
        }
    }
    if !refusals.is_empty() {
        return Err(GateError::msg(format!(
            "cleanup apply refused, nothing was changed:\n  - {}",
            refusals.join("\n  - ")
        )));
    }

    let mut outcome = ApplyOutcome {
        dry_run: !yes,
        ..ApplyOutcome::default()
    };
    let mut step = 0usize;
    for op in ops {
        let desc = match &op {
            Op::WriteManifest(_) => format!("write {manifest_rel}"),
            Op::GitRm(p) => format!("git rm -- {p}"),
            Op::StageDeletion(p) => {
                format!("git rm --cached -- {p} (already gone from the work tree)")
            }
            Op::Move {
                src,
                dst,
                tracked: true,
            } => format!("git mv -- {src} {dst}"),
            Op::Move {
                src,
                dst,
                tracked: false,
            } => format!("mv {src} {dst} (not tracked by git)"),
            Op::StageMove { src, dst } => format!("git add -A -- {src} {dst} (already moved)"),
        };
        outcome.actions.push(desc);
        if !yes {
            continue;
        }
        match op {
            Op::WriteManifest(text) => {
                write_atomic(&manifest_path, text.as_bytes())
                    .map_err(|e| GateError::io(&manifest_path, e))?;
                outcome.wrote_manifest = true;
            }
            Op::GitRm(p) => {
                git::run_ok(repo, &["rm", "-q", "--", &p])?;
            }
            Op::StageDeletion(p) => {
                git::run_ok(
                    repo,
                    &["rm", "-q", "--cached", "--ignore-unmatch", "--", &p],
                )?;
            }
            Op::Move { src, dst, tracked } => {
                let full_dst = repo.join(&dst);
                if let Some(parent) = full_dst.parent() {
                    std::fs::create_dir_all(parent).map_err(|e| GateError::io(parent, e))?;
                }
                if tracked {
                    git::run_ok(repo, &["mv", "--", &src, &dst])?;
                } else {
                    std::fs::rename(repo.join(&src), &full_dst)
                        .map_err(|e| GateError::io(repo.join(&src), e))?;
                }
            }
            Op::StageMove { src, dst } => {
                if git::is_tracked(repo, &src)? {
                    git::run_ok(repo, &["rm", "-q", "--cached", "--", &src])?;
                }
                let ignored = git::run(repo, &["check-ignore", "-q", "--", &dst])?
                    .status
                    .success();
                if !ignored {
                    git::run_ok(repo, &["add", "--", &dst])?;
                }
            }
        }
        step_done(&mut step);
    }
    Ok(outcome)
}

/// The heading `cleanup plan` puts above the rows it adds to a manifest a person wrote.
pub const ADDED_TITLE: &str = "Added by cleanup plan";

/// What `cleanup plan` did.
#[derive(Debug)]
pub struct Planned {
    /// The manifest file.
    pub path: std::path::PathBuf,
    /// Every entry of the manifest as it now stands.
    pub manifest: Manifest,
    /// There was no manifest: the plan wrote one, one row per file.
    pub created: bool,
    /// The rows added to an existing manifest, for the files it did not mention (empty when
    /// it mentioned them all: the file is then left untouched).
    pub added: Vec<Entry>,
    /// Files an existing manifest does not mention that the plan leaves out: written by the
    /// cleanup slice or after it, which `docs-cleanup` accepts unmentioned.
    pub later: Vec<String>,
}

/// `cleanup plan`: classifies the pass root and writes the manifest atomically. Returns its
/// path and entries. See [`write_plan_merged`].
pub fn write_plan(
    repo: &Path,
    pass_rel: &str,
    cfg: &Config,
) -> Result<(std::path::PathBuf, Manifest), GateError> {
    let p = write_plan_merged(repo, pass_rel, cfg)?;
    Ok((p.path, p.manifest))
}

/// `cleanup plan`. Without a manifest it writes one in the table form, one row per file of
/// the pass root. An existing manifest is a person's document and is never rewritten: every
/// byte of it is kept, and the files of the pass root it does not mention (other than those
/// written by the cleanup slice or after it) are appended as rows of one table under a
/// marked heading ([`ADDED_TITLE`]). A path it lists, whatever the action, is never
/// re-classified; when it mentions every file, the file is not touched at all, so planning
/// twice adds nothing the second time.
pub fn write_plan_merged(repo: &Path, pass_rel: &str, cfg: &Config) -> Result<Planned, GateError> {
    let pass_root = repo.join(pass_rel);
    if !pass_root.probe_is_dir() {
        return Err(GateError::msg(format!(
            "the pass root {} does not exist",
            pass_root.display()
        )));
    }
    let path = pass_root.join(&cfg.manifest);
    let rel = format!("{pass_rel}/{}", cfg.manifest);
    let text = match crate::fs::careful::read_document(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let m = plan(&pass_root, cfg, None)?;
            write_atomic(&path, render(&m, cfg).as_bytes()).map_err(|e| GateError::io(&path, e))?;
            return Ok(Planned {
                path,
                manifest: m,
                created: true,
                added: Vec::new(),
                later: Vec::new(),
            });
        }
        Err(e) => return Err(GateError::io(path, e)),
    };
    let (existing, problems) = parse(&rel, &text);
    // A row it could not read would be added again as missing: the person fixes it first.
    if let Some(p) = problems
        .iter()
        .find(|p| matches!(p.rule.as_str(), "invalid-action" | "manifest-path-missing"))
    {
        return Err(GateError::msg(format!(
            "{rel}:{}:{}: {}; fix it by hand (the plan keeps a person's words, so it adds nothing to a manifest it cannot read whole)",
            p.line, p.col, p.message
        )));
    }
    let mut mentioned: BTreeSet<String> = BTreeSet::from([cfg.manifest.clone()]);
    for e in &existing.entries {
        mentioned.insert(e.path.clone());
        if e.action == Action::Archive {
            mentioned.insert(e.archive_destination(cfg));
        }
    }
    let fresh = plan(&pass_root, cfg, None)?;
    let (mut added, mut later) = (Vec::new(), Vec::new());
    for e in fresh.entries {
        if mentioned.contains(&e.path) {
            continue;
        }
        if written_after_cleanup(&e.path, cfg) {
            later.push(e.path);
            continue;
        }
        added.push(Entry {
            destination: (e.action == Action::Archive).then(|| e.archive_destination(cfg)),
            ..e
        });
    }
    if added.is_empty() {
        return Ok(Planned {
            path,
            manifest: existing,
            created: false,
            added,
            later,
        });
    }
    let merged = append_added(&text, &added);
    write_atomic(&path, merged.as_bytes()).map_err(|e| GateError::io(&path, e))?;
    let (manifest, _) = parse(&rel, &merged);
    Ok(Planned {
        path,
        manifest,
        created: false,
        added,
        later,
    })
}

/// `text` with the rows of `added` appended under the marked heading: `text` itself is
/// kept byte for byte as the prefix (a missing final newline is supplied). The heading takes
/// the level of the document's sections (the shallowest heading after its first; `##` when
/// it has none), so it closes the last of them rather than nesting in it.
pub fn append_added(text: &str, added: &[Entry]) -> String {
    let doc = Doc::parse(text);
    let level = doc
        .headings()
        .iter()
        .skip(1)
        .map(|h| h.level)
        .min()
        .unwrap_or(2);
    let mut s = String::with_capacity(text.len() + 200 + 100 * added.len());
    s.push_str(text);
    if !s.is_empty() && !s.ends_with('\n') {
        s.push('\n');
    }
    if !s.is_empty() {
        s.push('\n');
    }
    s.push_str(
        "<!-- Added by `cargo xtask cleanup plan`: files of the pass root the lists above do not\n     mention, as the tool classifies them; everything above is kept as written. Review each\n     row (change an action or a rationale, or move it into your own lists): the next plan\n     adds only files still unmentioned. Format: docs/closure-format.md. -->\n",
    );
    s.push_str(&format!("{} {ADDED_TITLE}\n\n", "#".repeat(level)));
    s.push_str(TABLE_HEADER);
    for e in added {
        s.push_str(&row(e, e.destination.clone()));
    }
    s
}

const TABLE_HEADER: &str =
    "| path | action | destination | rationale |\n| --- | --- | --- | --- |\n";

/// One table row; `dest` is shown for archives.
fn row(e: &Entry, dest: Option<String>) -> String {
    let dest = match (e.action, dest) {
        (Action::Archive, Some(d)) => format!("`{d}`"),
        _ => "—".into(),
    };
    format!(
        "| `{}` | {} | {} | {} |\n",
        e.path,
        e.action.as_str(),
        dest,
        e.rationale.replace('|', "\\|").replace('\n', " ")
    )
}

/// A pass-root artifact other than markdown, named bare in a manifest list: upper-case words
/// and an extension (`D4_DEDUPE_SCAN_RESULT.json`).
fn is_artifact_file(t: &str) -> bool {
    t.rsplit_once('.').is_some_and(|(stem, ext)| {
        stem.len() > 2
            && stem.contains('_')
            && stem
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
            && (2..=5).contains(&ext.len())
            && ext.chars().all(|c| c.is_ascii_lowercase())
    })
}

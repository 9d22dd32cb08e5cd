//! `docs-cleanup` (the cleanup slice): the cleanup manifest agrees with the tree.
//!
//! **What it checks.** The cleanup manifest (`[documents] cleanup`, or the gate's `manifest`)
//! exists and lists paths: in code spans under
//! Deleted / Removed / Archived / Retained / Kept headings or list items (the way people write
//! it), or in the `path | action` table `cleanup plan` writes. Every path stays inside the pass
//! root (no absolute path, no `..`, no symlink on the way); deleted paths are absent; retained
//! and kept paths exist; archived paths exist at their destination and no longer in place;
//! orchestrator files, finals and closure outputs are retained; no canonical document (under
//! `canonical_docs`) or closure document links to a deleted or archived path. A file the
//! manifest does not mention is accepted when the cleanup slice or a later one wrote it (the
//! cleanup and readiness slices' documents, the report, the handoff) and a warning otherwise.
//!
//! **Why.** The runbook's cleanup slice deletes superseded scratch and archives what has record value,
//! with a manifest as the record. A manifest that does not match the tree is no record, and
//! a canonical doc linking to a deleted file is a broken doc.
//!
//! **How to fix.** `cargo xtask cleanup plan` classifies every file and writes the manifest;
//! `cargo xtask cleanup apply --yes` carries it out with git; update links it reports.

use serde::Deserialize;

use super::{
    Capability, CheckCtx, CheckDef, CheckOutput, ParamError, Role, Rule, error, parse_params,
    warning,
};
use crate::artifacts::cleanup::Config;
use crate::artifacts::{cleanup, git};
use crate::error::GateError;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The manifest, relative to the pass root.
    pub manifest: Option<String>,
    /// The archive folder, relative to the pass root.
    pub archive_dir: Option<String>,
    /// Directories (relative to the target) whose markdown must not link to deleted paths.
    pub canonical_docs: Option<Vec<String>>,
    /// Closure documents (relative to the pass root).
    pub closure_documents: Option<Vec<String>>,
    /// The files the cleanup must retain, as file-name globs (default: the phase's required
    /// outputs, the orchestrator files, agent finals and closure outputs). The later runbooks
    /// keep a minimal set: report, handoff, dispositions, manifest, readiness.
    pub protected: Option<Vec<String>>,
}

impl Params {
    /// The configuration of pipeline `p` with these params over its documents.
    pub fn config(self, p: &crate::pipeline::Pipeline) -> Config {
        let d = Config::of(p);
        Config {
            manifest: self.manifest.unwrap_or(d.manifest),
            archive_dir: self.archive_dir.unwrap_or(d.archive_dir),
            canonical_docs: self.canonical_docs.unwrap_or(d.canonical_docs),
            closure_documents: self.closure_documents.unwrap_or(d.closure_documents),
            protected_globs: self.protected,
            ..d
        }
    }
}

pub fn def() -> CheckDef {
    CheckDef {
        name: "docs-cleanup",
        summary: "the cleanup manifest agrees with the tree; no doc links to a deleted path",
        capabilities: &[Capability::WorkTree, Capability::Commit],
        rules: &[RULES, super::common::DOCUMENT],
        parts: None,
        aliases: &[],
        validate,
        roles,
        run,
    }
}

/// The cleanup manifest's role, unless the gate's `manifest` names the file.
pub fn roles(t: &toml::Table) -> Vec<Role> {
    match parse_params::<Params>(t) {
        Ok(p) if p.manifest.is_none() => vec![Role::Cleanup],
        _ => Vec::new(),
    }
}

/// How to fix what the rules below report.
const FIX: &str = "`cargo xtask cleanup plan` classifies every file and writes the manifest; `cargo xtask cleanup apply --yes` carries it out with git; update the links it reports (docs/closure-format.md)";

/// Every rule of the docs-cleanup check.
pub const RULES: &[Rule] = &[
    error("manifest-missing", "no manifest", FIX),
    error(
        "manifest-entries-missing",
        "no path listed (no table with `path` and `action`, no path under an action heading or item)",
        FIX,
    ),
    error(
        "manifest-column-missing",
        "a table without a `rationale` column",
        FIX,
    ),
    error(
        "invalid-action",
        "a malformed row; `rationale-missing` also for a list manifest that says nowhere why it deletes or archives",
        FIX,
    ),
    error(
        "manifest-path-missing",
        "a malformed row; `rationale-missing` also for a list manifest that says nowhere why it deletes or archives",
        FIX,
    ),
    error(
        "rationale-missing",
        "a malformed row; `rationale-missing` also for a list manifest that says nowhere why it deletes or archives",
        FIX,
    ),
    error(
        "duplicate-entry",
        "a malformed row; `rationale-missing` also for a list manifest that says nowhere why it deletes or archives",
        FIX,
    ),
    error(
        "path-outside-pass-root",
        "an absolute path, `..`, or a symlink on the way",
        FIX,
    ),
    error(
        "protected-file-not-retained",
        "an orchestrator file, final or closure output marked delete or archive",
        FIX,
    ),
    error("deleted-path-present", "a deleted path still exists", FIX),
    error(
        "retained-path-missing",
        "a retained or kept path does not exist",
        FIX,
    ),
    error("archive-not-applied", "the archive has not moved", FIX),
    error("archive-source-present", "both copies exist", FIX),
    error("archived-path-missing", "neither exists", FIX),
    warning(
        "unaccounted-file",
        "a file of the pass root (archive folder included) the manifest does not mention, other than the later documents above",
        FIX,
    ),
    error(
        "link-to-deleted-path",
        "a markdown link, in `canonical_docs` (default `docs`) or the pass root, to a path that is gone",
        FIX,
    ),
    error(
        "link-to-archived-path",
        "the archive folder is history and is not checked",
        FIX,
    ),
];

pub fn validate(t: &toml::Table) -> Result<(), ParamError> {
    let p: Params = parse_params(t)?;
    for g in p.protected.iter().flatten() {
        if let Err(e) = globset::Glob::new(g) {
            return Err(ParamError {
                message: format!("`protected` glob {g:?} is invalid: {e}"),
                key: Some("protected".into()),
            });
        }
    }
    if let Some(a) = &p.archive_dir {
        let path = std::path::Path::new(a);
        if a.is_empty()
            || path.is_absolute()
            || path
                .components()
                .any(|c| !matches!(c, std::path::Component::Normal(_)))
        {
            return Err(ParamError {
                message: format!(
                    "`archive_dir` = {a:?} must be a relative folder inside the pass root"
                ),
                key: Some("archive_dir".into()),
            });
        }
    }
    Ok(())
}

/// The cleanup configuration of a pipeline: the params of its `docs-cleanup` gate, if any.
pub fn config_of(p: &crate::pipeline::Pipeline) -> Result<Config, GateError> {
    let params = p
        .gates
        .values()
        .find(|g| g.kind.check_name() == Some("docs-cleanup"))
        .and_then(|g| g.kind.params());
    match params {
        Some(t) => parse_params::<Params>(t)
            .map(|x| x.config(p))
            .map_err(|e| GateError::msg(format!("invalid docs-cleanup params: {}", e.message))),
        None => Ok(Config::of(p)),
    }
}

/// The cleanup configuration of a pipeline that must name its manifest (`cleanup plan`,
/// `cleanup apply`): an error when neither `[documents] cleanup` nor the gate names it.
pub fn manifest_config(p: &crate::pipeline::Pipeline) -> Result<Config, GateError> {
    let cfg = config_of(p)?;
    if cfg.manifest.is_empty() {
        return Err(GateError::msg(format!(
            "{}: the pipeline names no cleanup manifest: add `cleanup = {{ slice = \"…\", file = \"…\" }}` to its `[documents]` (docs/pipeline.md), or set the docs-cleanup gate's `manifest`",
            p.file.display()
        )));
    }
    Ok(cfg)
}

pub fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let cfg = ctx.params::<Params>()?.config(ctx.pipeline);
    let pass_rel = git::rel_str(&ctx.pipeline.target.pass_root);
    let (findings, notes) = cleanup::check(ctx.repo, &pass_rel, &cfg)?;
    Ok(CheckOutput { findings, notes })
}

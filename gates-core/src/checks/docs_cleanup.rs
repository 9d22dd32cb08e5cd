//! `docs-cleanup` (A8): the cleanup manifest agrees with the tree.
//!
//! **What it checks.** `A8_CLEANUP_MANIFEST.md` exists and lists paths: in code spans under
//! Deleted / Removed / Archived / Retained / Kept headings or list items (the way people write
//! it), or in the `path | action` table `cleanup plan` writes. Every path stays inside the pass
//! root (no absolute path, no `..`, no symlink on the way); deleted paths are absent; retained
//! and kept paths exist; archived paths exist at their destination and no longer in place;
//! orchestrator files, finals and closure outputs are retained; no canonical document (under
//! `canonical_docs`) or closure document links to a deleted or archived path. A file the
//! manifest does not mention is accepted when the cleanup slice or a later one wrote it (A8/A9
//! documents, the readiness, the report, the handoff) and a warning otherwise.
//!
//! **Why.** The runbook's A8 deletes superseded scratch and archives what has record value,
//! with a manifest as the record. A manifest that does not match the tree is no record, and
//! a canonical doc linking to a deleted file is a broken doc.
//!
//! **How to fix.** `cargo xtask cleanup plan` classifies every file and writes the manifest;
//! `cargo xtask cleanup apply --yes` carries it out with git; update links it reports.

use serde::Deserialize;

use super::{CheckCtx, CheckOutput, ParamError, parse_params};
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
    /// The files the cleanup must retain, as file-name globs (default: the Phase A
    /// runbook's orchestrator files, agent finals and closure outputs). The later runbooks
    /// keep a minimal set: report, handoff, dispositions, manifest, readiness.
    pub protected: Option<Vec<String>>,
}

impl Params {
    pub fn config(self) -> Config {
        let d = Config::default();
        Config {
            manifest: self.manifest.unwrap_or(d.manifest),
            archive_dir: self.archive_dir.unwrap_or(d.archive_dir),
            canonical_docs: self.canonical_docs.unwrap_or(d.canonical_docs),
            closure_documents: self.closure_documents.unwrap_or(d.closure_documents),
            protected: self.protected,
        }
    }
}

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
            .map(Params::config)
            .map_err(|e| GateError::msg(format!("invalid docs-cleanup params: {}", e.message))),
        None => Ok(Config::default()),
    }
}

pub fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let cfg = ctx.params::<Params>()?.config();
    let pass_rel = git::rel_str(&ctx.pipeline.target.pass_root);
    let (findings, notes) = cleanup::check(ctx.repo, &pass_rel, &cfg)?;
    Ok(CheckOutput { findings, notes })
}

//! The check interface (re-exported from [`crate::pipeline::check`]) and the built-in checks
//! that read no TypeScript. One file per check; each opens with what it checks, why, and how
//! to fix. The registry of every check, and the checks that read TypeScript, are
//! `gates::checks`.

pub mod agent_outputs;
pub mod ci_drift;
pub mod closure;
pub mod common;
pub mod conditional_disposition;
pub mod doc_contains;
pub mod docs_cleanup;
pub mod handoff;
pub mod json_field;
pub mod metadata_contract;
pub mod observability_contract;
pub mod orchestrator_artifacts;
pub mod preflight;
pub mod readiness;
pub mod source_pattern;
pub mod workbreakdown_drift;

use std::path::{Path, PathBuf};

use crate::error::GateError;
use crate::finding::Finding;

// The check interface is part of the pipeline model (a gate holds its check's definition);
// every check names it from here.
pub use crate::pipeline::check::{
    Capability, CheckCtx, CheckDef, CheckOutput, Rule, RunSoFar, error, parse_params, warning,
};

pub use crate::fs::resolve_inside;

/// Where the phase's cleanup manifest (the pipeline's `cleanup` document) deletes the
/// pass-root file `file`: the manifest's name and the line listing it. `None` when the
/// manifest does not delete it (or there is no readable manifest: its problems are the
/// `docs-cleanup` gate's).
pub fn deleted_by_cleanup(ctx: &CheckCtx, file: &str) -> Option<(String, u32)> {
    cleanup_deletion(ctx, |deleted| deleted == file)
}

/// [`deleted_by_cleanup`] for a file a document cites as written (a bare name, a
/// pass-root-relative or repository-relative path): compared by file name, the way a
/// document written before the cleanup cites a sibling it later deletes.
pub fn cited_deleted_by_cleanup(ctx: &CheckCtx, cited: &str) -> Option<(String, u32)> {
    let name = |p: &str| p.rsplit('/').next().unwrap_or(p).to_string();
    let want = name(cited);
    cleanup_deletion(ctx, |deleted| !want.is_empty() && name(deleted) == want)
}

fn cleanup_deletion(ctx: &CheckCtx, matches: impl Fn(&str) -> bool) -> Option<(String, u32)> {
    let manifest = ctx
        .pipeline
        .documents
        .file(crate::pipeline::Role::Cleanup)?;
    let pass_rel = crate::artifacts::git::rel_str(&ctx.pipeline.target.pass_root);
    crate::artifacts::cleanup::deletions(ctx.pass_root, &pass_rel, manifest)
        .into_iter()
        .find(|e| matches(&e.path))
        .map(|e| (manifest.to_string(), e.line))
}

/// Resolves a configured discovery implementation inside the repository. When nothing at
/// all is there, reports `implementation-missing` and returns `None` (and when the system
/// will not say, a folder on the way being closed to the tool, `read-failed`). Anything else (a
/// directory, a dangling link, a symlink loop) is returned and left to the reader, which
/// reports the precise problem with its position.
pub fn discovery_implementation(
    repo: &Path,
    imp: &str,
    out: &mut CheckOutput,
) -> Result<Option<PathBuf>, GateError> {
    let path = resolve_inside(repo, imp)?;
    match path.symlink_metadata() {
        Ok(_) => Ok(Some(path)),
        Err(e) if crate::fs::source::is_missing(&e) => {
            out.findings.push(Finding::error(
                "implementation-missing",
                imp.to_string(),
                0,
                0,
                format!("discovery implementation {imp} does not exist"),
            ));
            Ok(None)
        }
        // A folder on the way the tool may not search: it could not judge the file.
        Err(e) => {
            out.findings.push(crate::fs::source::read_failed(imp, &e));
            Ok(None)
        }
    }
}

/// A document's bytes as text. Bytes that are not UTF-8 are the finding `document-not-utf8`
/// at `rel`, and `None`: the check reports what it found and goes on.
pub fn document_text(bytes: Vec<u8>, rel: &str, out: &mut CheckOutput) -> Option<String> {
    match String::from_utf8(bytes) {
        Ok(text) => Some(text),
        Err(e) => {
            out.findings.push(Finding::error(
                "document-not-utf8",
                rel,
                0,
                0,
                format!("not UTF-8 text: {e}"),
            ));
            None
        }
    }
}

/// Reads the pass-root document `doc` (at `full`, reported as `rel`) as text. A missing
/// document is the finding `missing_rule` (with `help` when given), one that is not UTF-8 is
/// `document-not-utf8` ([`document_text`]); either way `None` is returned and the check
/// reports what it found. Any other read error is the tool's.
pub fn read_pass_document(
    full: &Path,
    rel: &str,
    doc: &str,
    missing_rule: &str,
    help: Option<&str>,
    out: &mut CheckOutput,
) -> Result<Option<String>, GateError> {
    match crate::fs::careful::read_document_bytes(full) {
        Ok(bytes) => Ok(document_text(bytes, rel, out)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut f = Finding::error(
                missing_rule,
                rel,
                0,
                0,
                format!("`{doc}` does not exist in the pass root"),
            );
            if let Some(h) = help {
                f = f.with_help(h);
            }
            out.findings.push(f);
            Ok(None)
        }
        Err(e) => Err(GateError::io(full, e)),
    }
}

pub use crate::pipeline::{Alias, ParamError, Role, no_roles};

/// The evidence resolver of a check: absolute paths map through the gate's
/// `worktree_prefixes` and the worktrees the pass root's documents declare
/// ([`crate::artifacts::evidence::declared_worktrees`]).
pub fn evidence_resolver(
    ctx: &CheckCtx,
    prefixes: &[String],
) -> crate::artifacts::evidence::Resolver {
    let mut all = prefixes.to_vec();
    for w in crate::artifacts::evidence::declared_worktrees(ctx.pass_root) {
        if !all.contains(&w) {
            all.push(w);
        }
    }
    crate::artifacts::evidence::Resolver::new(ctx.repo, &all)
}

//! The checks that read the phase's documents, its packet and JSON. One file per check; each
//! opens with what it checks, why, and how to fix. The check interface and the shared helpers
//! are `gates_core::checks`, re-exported here so a check's `super::` reaches them.

pub mod agent_outputs;
pub mod ci_drift;
pub mod closure;
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

pub use gates_core::checks::*;

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

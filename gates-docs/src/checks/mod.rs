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

/// What the phase's cleanup manifest deletes (the docs-cleanup gate's manifest, else the
/// pipeline's `cleanup` document), read once per gate. Empty when there is no readable
/// manifest: its problems are the `docs-cleanup` gate's.
pub struct Deletions {
    manifest: String,
    entries: Vec<crate::artifacts::cleanup::Entry>,
}

impl Deletions {
    pub fn of(ctx: &CheckCtx) -> Deletions {
        let manifest = docs_cleanup::config_of(ctx.pipeline)
            .map(|c| c.manifest)
            .unwrap_or_default();
        let pass_rel = crate::artifacts::git::rel_str(&ctx.pipeline.target.pass_root);
        let entries = if manifest.is_empty() {
            Vec::new()
        } else {
            crate::artifacts::cleanup::deletions(ctx.pass_root, &pass_rel, &manifest)
        };
        Deletions { manifest, entries }
    }

    /// Where the manifest deletes the pass-root file `file`: its name and the line.
    pub fn file(&self, file: &str) -> Option<(&str, u32)> {
        self.find(|deleted| deleted == file)
    }

    /// The file names the manifest deletes, for the evidence resolver
    /// ([`crate::artifacts::evidence::Resolver::with_superseded`]).
    pub fn names(&self) -> Vec<String> {
        self.entries
            .iter()
            .map(|e| e.path.rsplit('/').next().unwrap_or(&e.path).to_string())
            .collect()
    }

    fn find(&self, matches: impl Fn(&str) -> bool) -> Option<(&str, u32)> {
        self.entries
            .iter()
            .find(|e| matches(&e.path))
            .map(|e| (self.manifest.as_str(), e.line))
    }
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

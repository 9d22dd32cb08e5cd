//! The GitHub Actions workflow generated from the pipeline, and its drift check.
//!
//! `cargo xtask ci render` writes the workflow ([`render`]), `cargo xtask ci check` and the
//! `ci-drift` gate re-render and compare ([`check`]). Both read the same pipeline file as
//! `cargo xtask run`, so what CI runs and what runs locally cannot drift apart: the jobs
//! are the pipeline's stages, their `needs:` the stage DAG ([`stage_needs`]), and each job
//! runs `run --stage N`, i.e. the selection `run` itself computes.

pub mod actions;
pub mod check;
pub use crate::pipeline::ci as config;
pub mod node;
pub mod render;
pub mod yaml;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

pub use check::{Drift, check};
pub use config::CiConfig;
pub use render::{Rendered, render};

use crate::pipeline::Pipeline;

/// Something that keeps the workflow from being rendered or compared. The message names the
/// file at fault.
#[derive(Debug)]
pub struct CiError(pub String);

impl std::fmt::Display for CiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CiError {}

/// The stage DAG: for every stage, the stages it needs. Stage A needs stage B (B ≠ A) when a
/// slice of A depends on a slice of B. Every declared stage has an entry.
pub fn stage_needs(p: &Pipeline) -> BTreeMap<u32, BTreeSet<u32>> {
    let mut needs: BTreeMap<u32, BTreeSet<u32>> = p
        .stages
        .iter()
        .map(|s| (s.number, BTreeSet::new()))
        .collect();
    for s in &p.slices {
        for d in &s.depends_on {
            let dep_stage = p.slice(d).expect("validated: dependencies resolve").stage;
            if dep_stage != s.stage {
                needs.entry(s.stage).or_default().insert(dep_stage);
            }
        }
    }
    needs
}

/// The pipeline file relative to its workspace (`Pipeline::base_dir`), `/`-separated: what
/// the generated jobs pass to `--pipeline`, since they run at the root of the checkout.
pub fn pipeline_rel(p: &Pipeline) -> Result<String, CiError> {
    let rel = p.file.strip_prefix(&p.base_dir).map_err(|_| {
        CiError(format!(
            "{}: the pipeline file is not inside its workspace {}, so no workflow there can name it",
            p.file.display(),
            p.base_dir.display()
        ))
    })?;
    let parts: Option<Vec<&str>> = rel
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .map(|c| match c {
            Component::Normal(s) => s.to_str(),
            _ => None,
        })
        .collect();
    match parts {
        Some(parts) if !parts.is_empty() => Ok(parts.join("/")),
        _ => Err(CiError(format!(
            "{}: cannot express the pipeline file relative to its workspace",
            p.file.display()
        ))),
    }
}

/// The default pipeline of this workspace, as `cargo xtask` resolves it without `--pipeline`.
fn default_pipeline() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the gates crate sits in the workspace")
        .join(crate::pipeline::DEFAULT_PIPELINE)
}

/// The command that regenerates `p`'s workflow, run from the root of its workspace.
pub fn regenerate_command(p: &Pipeline) -> Result<String, CiError> {
    let rel = pipeline_rel(p)?;
    // The pipeline file and this workspace's default one: the tool's files, not the target's.
    #[allow(clippy::disallowed_methods)]
    let is_default = match (
        std::fs::canonicalize(&p.file),
        std::fs::canonicalize(default_pipeline()),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    Ok(if is_default {
        "cargo xtask ci render".to_string()
    } else {
        format!(
            "cargo xtask --pipeline {} ci render",
            render::shell_quote(&rel)
        )
    })
}

/// Where `p`'s workflow lives on disk.
pub fn workflow_path(p: &Pipeline, rel: &str) -> PathBuf {
    p.base_dir.join(rel)
}

/// Renders `p`'s workflow and writes it (atomically) unless it is already up to date.
/// Returns the path written and whether the file changed.
pub fn write(p: &Pipeline) -> Result<(PathBuf, bool), CiError> {
    let r = render(p)?;
    let path = workflow_path(p, &r.path);
    if crate::fs::careful::read(&path).is_ok_and(|old| old == r.text.as_bytes()) {
        return Ok((path, false));
    }
    crate::fs::write_atomic(&path, r.text.as_bytes())
        .map_err(|e| CiError(format!("cannot write {}: {e}", path.display())))?;
    Ok((path, true))
}

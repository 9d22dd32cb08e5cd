//! The check interface ([`CheckCtx`], [`CheckOutput`], [`CheckDef`]) and the built-in checks
//! that read no TypeScript. One file per check; each opens with what it checks, why, and how
//! to fix. The registry of every check, and the checks that read TypeScript, are
//! `gates::checks`.

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

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::de::DeserializeOwned;

use crate::error::GateError;
use crate::finding::Finding;
use crate::pipeline::Pipeline;
use crate::process::command::CommandRun;

/// What a check needs to judge the target.
pub struct CheckCtx<'a> {
    pub gate_id: &'a str,
    /// The target repository root (absolute, canonical).
    pub repo: &'a Path,
    /// The pass root, absolute (`repo` joined with the pipeline's `target.pass_root`).
    pub pass_root: &'a Path,
    pub params: &'a toml::Table,
    pub pipeline: &'a Pipeline,
    /// For gates that run a command first: its outcome.
    pub command: Option<&'a CommandRun>,
    /// Set when the run is interrupted or the gate timed out; long checks should poll it.
    pub cancel: &'a AtomicBool,
    /// When the gate runs inside `phase-a`: what this run has decided so far. `None` when the
    /// gate runs alone (`cargo xtask gate ID`).
    pub run: Option<&'a RunSoFar>,
}

/// The part of the current run a gate can see: results of the gates that finished before it
/// started, and which gates the run selected at all (gates outside the selection, e.g. earlier
/// stages under `--stage N`, are taken as passed by the selection).
#[derive(Clone, Debug, Default)]
pub struct RunSoFar {
    pub earlier: Vec<crate::record::GateResult>,
    pub selected: std::collections::BTreeSet<String>,
}

impl RunSoFar {
    /// The verdict of gate `id` as this run sees it: its status when it finished before this
    /// gate started, `None` while it is selected but not finished, `Passed` when the selection
    /// left it out. Checks read the run through here, so the verdict cache records what they
    /// used ([`crate::fs::record::run_fact`]).
    pub fn status_of(&self, id: &str) -> Option<crate::record::Status> {
        let st = self.peek(id);
        crate::fs::record::run_fact(id, &Self::fact_text(st));
        st
    }

    /// [`RunSoFar::status_of`] as the verdict cache records it, without recording.
    pub fn fact(&self, id: &str) -> String {
        Self::fact_text(self.peek(id))
    }

    fn peek(&self, id: &str) -> Option<crate::record::Status> {
        if let Some(r) = self.earlier.iter().find(|r| r.id == id) {
            Some(r.status)
        } else if self.selected.contains(id) {
            None
        } else {
            Some(crate::record::Status::Passed)
        }
    }

    fn fact_text(st: Option<crate::record::Status>) -> String {
        st.map_or("pending", |s| s.as_str()).to_string()
    }
}

impl CheckCtx<'_> {
    /// Deserializes this gate's parameters (already validated at load time).
    pub fn params<P: DeserializeOwned>(&self) -> Result<P, GateError> {
        parse_params(self.params)
            .map_err(|e| GateError::msg(format!("invalid params: {}", e.message)))
    }

    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Resolves a repository-relative path, refusing paths that escape the repository.
    pub fn repo_path(&self, rel: &str) -> Result<PathBuf, GateError> {
        resolve_inside(self.repo, rel)
    }

    /// A file the gate's command writes: under the tool's state directory when it starts
    /// with `{state}/` (outside the work tree), else inside the repository.
    pub fn output_path(&self, path: &str) -> Result<PathBuf, GateError> {
        match path.strip_prefix("{state}/") {
            Some(rest) => resolve_inside(&crate::fs::state::state_dir(self.repo), rest),
            None => self.repo_path(path),
        }
    }
}

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

/// What a check reports: findings (a gate fails when any has `Severity::Error`) and notes
/// (context printed with the result, e.g. which paths were excluded).
#[derive(Debug, Default)]
pub struct CheckOutput {
    pub findings: Vec<Finding>,
    pub notes: Vec<String>,
}

pub use crate::pipeline::{Alias, CheckKind, ParamError, Role, no_roles};

/// Deserializes a params table into `P`, naming the offending key when serde does.
pub fn parse_params<P: DeserializeOwned>(table: &toml::Table) -> Result<P, ParamError> {
    toml::Value::Table(table.clone())
        .try_into::<P>()
        .map_err(|e| {
            let message = e.message().trim().to_string();
            // serde names fields in backticks: "unknown field `foo`, expected ...".
            let key = message.split('`').nth(1).map(str::to_string);
            ParamError { message, key }
        })
}

/// A check as the registry holds it: its name, what it reads, every rule its findings
/// carry, and its functions. Each check's file defines one (`pub fn def() -> CheckDef`) and
/// the registry (`gates::checks::registry`) lists it: adding a check is that file and one
/// line (docs/architecture.md, "Adding a check").
pub struct CheckDef {
    /// The `check = "..."` value in a pipeline file.
    pub name: &'static str,
    pub summary: &'static str,
    /// What the check needs of the target and the run (docs/rules.md).
    pub capabilities: &'static [Capability],
    /// Every rule its findings carry (docs/rules.md, SARIF `rules`).
    pub rules: &'static [Rule],
    /// Old names kept so existing pipelines load, with the parameters they fix.
    pub aliases: &'static [Alias],
    /// Validates a gate's `params` at load time.
    pub validate: fn(&toml::Table) -> Result<(), ParamError>,
    /// The document roles a gate with these parameters reads (checked at load against the
    /// pipeline's `[documents]`).
    pub roles: fn(&toml::Table) -> Vec<Role>,
    pub run: fn(&CheckCtx) -> Result<CheckOutput, GateError>,
}

impl CheckDef {
    /// The check as the pipeline loader sees it.
    pub fn kind(&self) -> CheckKind {
        CheckKind {
            name: self.name,
            validate: self.validate,
            aliases: self.aliases,
            roles: self.roles,
        }
    }

    /// The rule `id`, if the check declares it.
    pub fn rule(&self, id: &str) -> Option<&'static Rule> {
        self.rules.iter().find(|r| r.id == id)
    }
}

/// What a check needs to judge: what it reads of the target and the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capability {
    /// The target's work tree (files as they are on disk).
    WorkTree,
    /// The target's commit and history (git objects: HEAD, earlier commits, the index).
    Commit,
    /// The outcome of the gate's own command (exit status, report file).
    CommandOutcome,
    /// A running service: the check starts the target's host and talks to it.
    Service,
    /// The results of the run so far or the last recorded run.
    RunRecord,
    /// This tool's workspace (the pipeline file and what is generated from it).
    Workspace,
}

impl Capability {
    pub fn describe(self) -> &'static str {
        match self {
            Capability::WorkTree => "reads the work tree",
            Capability::Commit => "reads the commit and its history",
            Capability::CommandOutcome => "judges its command's outcome",
            Capability::Service => "needs a running service",
            Capability::RunRecord => "reads the run's results",
            Capability::Workspace => "reads the tool's workspace",
        }
    }
}

/// One rule a check's findings carry: its stable id, its usual severity, what it means and
/// how to fix it.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub id: &'static str,
    pub severity: crate::finding::Severity,
    pub summary: &'static str,
    pub help: &'static str,
}

/// A rule of severity error.
pub const fn error(id: &'static str, summary: &'static str, help: &'static str) -> Rule {
    Rule {
        id,
        severity: crate::finding::Severity::Error,
        summary,
        help,
    }
}

/// A rule of severity warning.
pub const fn warning(id: &'static str, summary: &'static str, help: &'static str) -> Rule {
    Rule {
        id,
        severity: crate::finding::Severity::Warning,
        summary,
        help,
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

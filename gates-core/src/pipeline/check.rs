//! The check interface: what a check is given ([`CheckCtx`]), what it reports
//! ([`CheckOutput`]) and how it is registered ([`CheckDef`]: name, capabilities, declared
//! [`Rule`]s, params validation, document roles, `run`). It is part of the pipeline model
//! because a loaded gate holds its check's definition (resolved once, at load); the checks
//! themselves, and their registry, are the checks layer's (`checks`, `gates::checks`).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use serde::de::DeserializeOwned;

use super::{Alias, ParamError, Pipeline, Role};
use crate::error::GateError;
use crate::finding::Finding;
use crate::fs::resolve_inside;
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

/// What a check reports: findings (a gate fails when any has `Severity::Error`) and notes
/// (context printed with the result, e.g. which paths were excluded).
#[derive(Debug, Default)]
pub struct CheckOutput {
    pub findings: Vec<Finding>,
    pub notes: Vec<String>,
}

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
    /// Every rule its findings carry (docs/rules.md, SARIF `rules`): its own table, and the
    /// shared tables (`checks::common`) of the readers it uses.
    pub rules: &'static [&'static [Rule]],
    /// For a check that also reports other checks' findings under their own rules (`all-of`
    /// reports its parts'): the checks a gate with these params delegates to in the pipeline.
    /// A finding of such a gate carries a rule of the check or of one of these
    /// ([`CheckDef::finding_rule`]). `None` for a check that reports only its own rules.
    pub parts: Option<fn(&toml::Table, &Pipeline) -> Vec<&'static CheckDef>>,
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
    /// Every rule the check declares, its own first.
    pub fn rules(&self) -> impl Iterator<Item = &'static Rule> + use<> {
        self.rules.iter().flat_map(|t| t.iter())
    }

    /// The rule `id`, if the check declares it.
    pub fn rule(&self, id: &str) -> Option<&'static Rule> {
        self.rules().find(|r| r.id == id)
    }

    /// The declared rule of a finding `id` that a gate of this check reports with `params` in
    /// `pipeline`: the check's own, or, for a check that reports its parts' findings
    /// ([`CheckDef::parts`]), the rule as the part's check declares it (parts are not
    /// themselves checks with parts: `all-of` refuses a part that is `all-of`).
    pub fn finding_rule(
        &self,
        id: &str,
        params: &toml::Table,
        pipeline: &Pipeline,
    ) -> Option<&'static Rule> {
        self.rule(id).or_else(|| {
            let parts = self.parts?;
            parts(params, pipeline).into_iter().find_map(|d| d.rule(id))
        })
    }
}

impl std::fmt::Debug for CheckDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "check `{}`", self.name)
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

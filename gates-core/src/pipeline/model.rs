//! The validated, resolved pipeline model.
//!
//! Everything here has been checked by the loader: ids are unique, references resolve, the
//! slice graph is acyclic and stage order is respected. Positions of the declarations are
//! kept (`Pos`) so later stages (checks, CI rendering) can still point into the file.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use super::check::CheckDef;

/// A place in the pipeline file (1-based).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub col: u32,
}

#[derive(Clone, Debug)]
pub struct Pipeline {
    /// The pipeline file as given (used in messages).
    pub file: PathBuf,
    /// The directory relative paths in the file are resolved against: the workspace root,
    /// i.e. the parent of the directory holding the file (`ci/phase-a.toml` → `.`).
    pub base_dir: PathBuf,
    pub name: String,
    /// Which phase of the workflow the pipeline checks (`[phase]`): the words every generated
    /// text uses for it.
    pub phase: Phase,
    /// The phase's documents by role (`[documents]`): checks read them through these roles.
    pub documents: Documents,
    pub target: Target,
    pub stages: Vec<Stage>,
    /// In file order.
    pub slices: Vec<Slice>,
    /// By id (sorted, for determinism).
    pub gates: BTreeMap<String, Gate>,
    /// The raw `[ci]` table: setup steps and options for the generated workflow.
    pub ci: toml::Table,
    /// Default timeout for gates that do not set one.
    pub default_timeout: Duration,
}

#[derive(Clone, Debug)]
pub struct Target {
    /// The target repository, relative to `Pipeline::base_dir` unless absolute.
    pub repo: PathBuf,
    /// The runtime pass root, relative to the target repository.
    pub pass_root: PathBuf,
    /// The planning pass root (the full runbook of the phase), relative to the target
    /// repository, when the phase has one.
    pub planning_pass_root: Option<PathBuf>,
}

/// The phase a pipeline checks (`[phase]`). Every text the tool writes about the phase (the
/// run's heading, the report and handoff, the workflow's summary, JUnit suite names) comes
/// from here, so the engine names no phase of its own.
#[derive(Clone, Debug)]
pub struct Phase {
    /// The phase's id as its documents write it (`"A"`); empty when the file has no `[phase]`.
    pub id: String,
    /// How texts name the phase (`"Phase C"`); default `Phase <id>`, or the pipeline's name
    /// when there is no id.
    pub name: String,
    /// The next phase's id (`"B"`), if the file names it.
    pub next: Option<String>,
    /// How texts name the next phase (`"Phase D"`); default `Phase <next>`, else
    /// `the next phase`.
    pub next_name: String,
    /// The command that runs this pipeline, as reports and help texts print it (default
    /// `cargo xtask run --pipeline <file>`; `ci/phase-a.toml` sets `cargo xtask phase-a`).
    pub command: String,
}

/// A phase's documents by role (`[documents]`), file names relative to the runtime pass
/// root. A check that reads a role's document reads it from here (or from its gate's own
/// `document` parameter); a role a check needs but the file does not name is a load error.
#[derive(Clone, Debug, Default)]
pub struct Documents {
    /// The orchestrator's verbatim plan (default `ORCHESTRATOR_PLAN_VERBATIM.md`).
    pub plan: String,
    /// The orchestrator's append-only scratchpad (default `ORCHESTRATOR_SCRATCHPAD.md`).
    pub scratchpad: String,
    /// The execution report `cargo xtask report` writes.
    pub report: Option<String>,
    /// The final handoff `cargo xtask report` writes.
    pub handoff: Option<String>,
    /// The review disposition and the slice that closes the review.
    pub review: Option<RoleDocument>,
    /// The structural disposition and the slice that closes the structural assessment.
    pub structural: Option<RoleDocument>,
    /// The cleanup manifest and the cleanup slice.
    pub cleanup: Option<RoleDocument>,
    /// The next phase's readiness document and the readiness slice.
    pub readiness: Option<RoleDocument>,
    /// The conditional slice's disposition, its scan results and trigger evidence.
    pub conditional: Option<ConditionalDocument>,
    /// The outputs the handoff requires, in order (default: plan, scratchpad, report,
    /// review, cleanup, readiness, handoff — those the file names).
    pub required: Vec<String>,
}

/// A role's document and the slice that plays the role.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleDocument {
    pub slice: Option<String>,
    pub file: String,
}

/// The disposition of a conditional slice (one that runs only when its trigger scan says
/// so), the scan results it is decided from and the trigger evidence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConditionalDocument {
    pub slice: Option<String>,
    pub file: String,
    pub scan: Vec<String>,
    pub trigger_evidence: Vec<String>,
}

/// A document role a check reads (see [`Documents`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Plan,
    Scratchpad,
    Report,
    Handoff,
    Review,
    Structural,
    Cleanup,
    Readiness,
    Conditional,
}

impl Role {
    /// The role's key in `[documents]`.
    pub fn key(self) -> &'static str {
        match self {
            Role::Plan => "plan",
            Role::Scratchpad => "scratchpad",
            Role::Report => "report",
            Role::Handoff => "handoff",
            Role::Review => "review",
            Role::Structural => "structural",
            Role::Cleanup => "cleanup",
            Role::Readiness => "readiness",
            Role::Conditional => "conditional",
        }
    }
}

impl Documents {
    /// The file of `role`, if the pipeline names one.
    pub fn file(&self, role: Role) -> Option<&str> {
        match role {
            Role::Plan => Some(&self.plan),
            Role::Scratchpad => Some(&self.scratchpad),
            Role::Report => self.report.as_deref(),
            Role::Handoff => self.handoff.as_deref(),
            Role::Review => self.review.as_ref().map(|d| d.file.as_str()),
            Role::Structural => self.structural.as_ref().map(|d| d.file.as_str()),
            Role::Cleanup => self.cleanup.as_ref().map(|d| d.file.as_str()),
            Role::Readiness => self.readiness.as_ref().map(|d| d.file.as_str()),
            Role::Conditional => self.conditional.as_ref().map(|d| d.file.as_str()),
        }
    }

    /// The slice that plays `role`, if the pipeline names one.
    pub fn slice(&self, role: Role) -> Option<&str> {
        match role {
            Role::Review => self.review.as_ref().and_then(|d| d.slice.as_deref()),
            Role::Structural => self.structural.as_ref().and_then(|d| d.slice.as_deref()),
            Role::Cleanup => self.cleanup.as_ref().and_then(|d| d.slice.as_deref()),
            Role::Readiness => self.readiness.as_ref().and_then(|d| d.slice.as_deref()),
            Role::Conditional => self.conditional.as_ref().and_then(|d| d.slice.as_deref()),
            _ => None,
        }
    }

    /// Documents that close a slice or the pass (they cite other artifacts): review,
    /// structural, readiness, report, handoff — those the pipeline names.
    pub fn closure_documents(&self) -> Vec<String> {
        [
            Role::Review,
            Role::Structural,
            Role::Readiness,
            Role::Report,
            Role::Handoff,
        ]
        .iter()
        .filter_map(|r| self.file(*r).map(str::to_string))
        .collect()
    }

    /// Whether `name` is the report or the handoff (the documents `cargo xtask report` writes).
    pub fn is_generated(&self, name: &str) -> bool {
        self.report.as_deref() == Some(name) || self.handoff.as_deref() == Some(name)
    }
}

#[derive(Clone, Debug)]
pub struct Stage {
    pub number: u32,
    /// How the phase's documents name the stage (`"1.5"` for a half stage); default the
    /// number.
    pub label: String,
    pub title: String,
    pub pos: Pos,
}

#[derive(Clone, Debug)]
pub struct Slice {
    pub id: String,
    pub stage: u32,
    pub title: String,
    pub owner: String,
    /// Every slice this one waits for: its `depends_on` followed by its
    /// `depends_on_if_triggered` (the engine orders and skips by all of them).
    pub depends_on: Vec<String>,
    /// Where each entry of `depends_on` is written, in the same order.
    pub depends_on_pos: Vec<Pos>,
    /// The dependencies on conditional slices (`depends_on_if_triggered`), also in
    /// `depends_on`: a conditional slice that was not triggered passes its disposition gate,
    /// so it does not block.
    pub depends_on_if_triggered: Vec<String>,
    /// The slice runs only when its trigger scan says so (`conditional = true`).
    pub conditional: bool,
    pub gates: Vec<String>,
    pub pos: Pos,
}

impl Slice {
    /// The unconditional dependencies (`depends_on` as the file writes it).
    pub fn required_deps(&self) -> impl Iterator<Item = &String> {
        self.depends_on
            .iter()
            .filter(|d| !self.depends_on_if_triggered.contains(d))
    }
}

#[derive(Clone, Debug)]
pub struct Gate {
    pub id: String,
    pub title: String,
    pub kind: GateKind,
    pub timeout: Duration,
    /// Run before the gate (e.g. installing the target's dependencies when they are missing).
    pub setup: Option<SetupSpec>,
    /// Other names of the gate (`aliases = [...]`), e.g. the names a phase packet gives its
    /// gates; unique, and never the id of a gate.
    pub aliases: Vec<String>,
    /// What the gate's commands read, as globs over the target (`inputs = [...]`); `None`
    /// means everything the target tracks or could track, and its lockfile (see
    /// `gates::run::cache`).
    pub inputs: Option<Vec<String>>,
    pub pos: Pos,
}

/// A preparation step of a gate: `argv` runs in `cwd` unless `unless_exists` already exists
/// (both relative to the target repository). Steps of all gates run one at a time, so two
/// gates needing the same installation do not run it concurrently.
#[derive(Clone, Debug)]
pub struct SetupSpec {
    pub argv: Vec<String>,
    pub cwd: PathBuf,
    pub unless_exists: Option<PathBuf>,
}

/// What a gate runs.
#[derive(Clone, Debug)]
pub enum GateKind {
    /// A built-in check, parameterised from the file.
    Check {
        check: &'static CheckDef,
        params: toml::Table,
    },
    /// An external command. Passes when it exits 0.
    Command(CommandSpec),
    /// An external command whose outcome (exit status, report file) is judged by a
    /// built-in check, e.g. a test run judged by the harness matrix.
    CommandWithCheck {
        command: CommandSpec,
        check: &'static CheckDef,
        params: toml::Table,
    },
}

impl GateKind {
    pub fn check_name(&self) -> Option<&str> {
        self.check().map(|c| c.name)
    }

    /// The built-in check that judges the gate, if any.
    pub fn check(&self) -> Option<&'static CheckDef> {
        match self {
            GateKind::Check { check, .. } | GateKind::CommandWithCheck { check, .. } => {
                Some(*check)
            }
            GateKind::Command(_) => None,
        }
    }

    pub fn command(&self) -> Option<&CommandSpec> {
        match self {
            GateKind::Command(c) | GateKind::CommandWithCheck { command: c, .. } => Some(c),
            GateKind::Check { .. } => None,
        }
    }

    pub fn params(&self) -> Option<&toml::Table> {
        match self {
            GateKind::Check { params, .. } | GateKind::CommandWithCheck { params, .. } => {
                Some(params)
            }
            GateKind::Command(_) => None,
        }
    }
}

#[derive(Clone, Debug)]
pub struct CommandSpec {
    /// Program and arguments; run without a shell.
    pub argv: Vec<String>,
    /// Working directory, relative to the target repository.
    pub cwd: PathBuf,
    pub env: BTreeMap<String, String>,
    pub report: Option<ReportSpec>,
}

/// A report file the command writes, and its format.
#[derive(Clone, Debug)]
pub struct ReportSpec {
    /// Relative to the target repository.
    pub path: PathBuf,
    pub format: String,
}

impl Pipeline {
    /// Sets a string parameter on every gate whose check is `check` (a command-line option
    /// overriding the pipeline file, e.g. `artifacts check --runbook FILE`).
    pub fn set_check_param(&mut self, check: &str, key: &str, value: &str) {
        for g in self.gates.values_mut() {
            if let GateKind::Check { check: c, params }
            | GateKind::CommandWithCheck {
                check: c, params, ..
            } = &mut g.kind
                && c.name == check
            {
                params.insert(key.into(), toml::Value::String(value.into()));
            }
        }
    }

    /// The gate with this id, or whose `aliases` name it.
    pub fn gate_named(&self, name: &str) -> Option<&Gate> {
        self.gates.get(name).or_else(|| {
            self.gates
                .values()
                .find(|g| g.aliases.iter().any(|a| a == name))
        })
    }

    pub fn slice(&self, id: &str) -> Option<&Slice> {
        self.slices.iter().find(|s| s.id == id)
    }

    pub fn stage(&self, number: u32) -> Option<&Stage> {
        self.stages.iter().find(|s| s.number == number)
    }

    /// The target repository as a path (relative to the current directory or absolute).
    pub fn repo_path(&self) -> PathBuf {
        if self.target.repo.is_absolute() {
            self.target.repo.clone()
        } else {
            self.base_dir.join(&self.target.repo)
        }
    }

    /// The slices that require `gate`, in file order.
    pub fn slices_of_gate<'a>(&'a self, gate: &'a str) -> impl Iterator<Item = &'a Slice> + 'a {
        self.slices
            .iter()
            .filter(move |s| s.gates.iter().any(|g| g == gate))
    }
}

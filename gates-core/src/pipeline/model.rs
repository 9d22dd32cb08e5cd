//! The validated, resolved pipeline model.
//!
//! Everything here has been checked by the loader: ids are unique, references resolve, the
//! slice graph is acyclic and stage order is respected. Positions of the declarations are
//! kept (`Pos`) so later stages (checks, CI rendering) can still point into the file.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

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
    /// The pass root, relative to the target repository.
    pub pass_root: PathBuf,
}

#[derive(Clone, Debug)]
pub struct Stage {
    pub number: u32,
    pub title: String,
    pub pos: Pos,
}

#[derive(Clone, Debug)]
pub struct Slice {
    pub id: String,
    pub stage: u32,
    pub title: String,
    pub owner: String,
    pub depends_on: Vec<String>,
    pub gates: Vec<String>,
    pub pos: Pos,
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
    Check { check: String, params: toml::Table },
    /// An external command. Passes when it exits 0.
    Command(CommandSpec),
    /// An external command whose outcome (exit status, report file) is judged by a
    /// built-in check, e.g. a test run judged by the harness matrix.
    CommandWithCheck {
        command: CommandSpec,
        check: String,
        params: toml::Table,
    },
}

impl GateKind {
    pub fn check_name(&self) -> Option<&str> {
        match self {
            GateKind::Check { check, .. } | GateKind::CommandWithCheck { check, .. } => Some(check),
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
                && c == check
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

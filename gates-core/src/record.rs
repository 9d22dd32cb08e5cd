//! The run record: what a run of the pipeline decided, gate by gate ([`RunRecord`],
//! [`GateResult`], [`Status`]), and where the last one is kept for a target
//! ([`last_run_path`], [`read_last_run`]). The executor writes it; the handoff check, the
//! reports and the history read it. It is data, below both the checks and the executor.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::error::GateError;

use crate::finding::{Finding, Severity};

/// The outcome of one gate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Passed,
    Failed,
    Skipped,
    TimedOut,
    Errored,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Failed => "failed",
            Status::Skipped => "skipped",
            Status::TimedOut => "timed out",
            Status::Errored => "errored",
        }
    }
}

/// One gate's result. `reason` says why a gate was skipped, timed out or errored.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GateResult {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// The selected slices that require this gate.
    pub slices: Vec<String>,
    pub stage: u32,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub duration_ms: u64,
    pub findings: Vec<Finding>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// The tail of a command gate's combined output.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub output: String,
    /// The verdict and findings were reused from an earlier run whose recorded inputs are all
    /// unchanged (the verdict cache); not judged again.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cached: bool,
}

/// Finding rules that mean the gate could not judge the target (its evidence was unusable),
/// not that the target is wrong: a gate with one of them is `Errored` (exit 2), the finding
/// kept for its position.
pub const COULD_NOT_JUDGE: &[&str] = &[
    "harness-report-unreadable",
    "setup-failed",
    // A symbolic link out of the target: the gate's commands were not run.
    "link-out-of-target",
    crate::fs::source::READ_FAILED,
];

impl GateResult {
    /// Sets `status` (and `reason`) from the findings: `Errored` when one says the gate
    /// could not judge ([`COULD_NOT_JUDGE`]), else `Failed` on an error finding, else
    /// `Passed`.
    pub fn judge_findings(&mut self) {
        let unjudged = self
            .findings
            .iter()
            .find(|f| f.severity == Severity::Error && COULD_NOT_JUDGE.contains(&f.rule.as_str()));
        if let Some(f) = unjudged {
            self.status = Status::Errored;
            let at = f.location();
            self.reason = Some(if at.is_empty() {
                format!("could not judge: {}", f.message)
            } else {
                format!("could not judge: {at}: {}", f.message)
            });
        } else if self.error_count() > 0 {
            self.status = Status::Failed;
        } else {
            self.status = Status::Passed;
        }
    }

    pub fn error_count(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }
}

/// One slice's result: green only when every one of its selected gates passed.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SliceResult {
    pub id: String,
    pub stage: u32,
    pub title: String,
    pub owner: String,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// For a slice that is not green: the first gate upstream that failed, timed out or
    /// errored (or why nothing ran), e.g. "gate `preflight` failed in stage-0".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cause: Option<String>,
    pub gates: Vec<String>,
    /// Under `phase-a --all`: the dependency (and its root cause) that would have blocked
    /// this slice in a gating run; its status is then its own gates' verdict.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocked_by: Option<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub planned: usize,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub timed_out: usize,
    pub errored: usize,
}

impl Counts {
    pub fn of(gates: &[GateResult]) -> Counts {
        let mut c = Counts {
            planned: gates.len(),
            ..Counts::default()
        };
        for g in gates {
            match g.status {
                Status::Passed => c.passed += 1,
                Status::Failed => c.failed += 1,
                Status::Skipped => c.skipped += 1,
                Status::TimedOut => c.timed_out += 1,
                Status::Errored => c.errored += 1,
            }
        }
        c
    }

    /// 0 all passed, 1 a gate failed or timed out, 2 a gate errored (the tool could not
    /// judge) or the run was interrupted.
    pub fn exit_code(&self, interrupted: bool) -> i32 {
        if interrupted || self.errored > 0 {
            2
        } else if self.failed > 0 || self.timed_out > 0 || self.skipped > 0 {
            1
        } else {
            0
        }
    }
}

/// The machine-readable result of a run: what every renderer and the report generator read.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RunRecord {
    pub tool: String,
    pub pipeline: String,
    /// How the pipeline names its phase (`[phase]`, e.g. "Phase C"); absent for a pipeline
    /// without one. Headings of the run's outputs use it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    pub pipeline_file: String,
    pub repo: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
    pub selection: String,
    pub started_at: String,
    pub finished_at: String,
    pub duration_ms: u64,
    pub interrupted: bool,
    pub exit_code: i32,
    pub counts: Counts,
    pub slices: Vec<SliceResult>,
    pub gates: Vec<GateResult>,
}

/// The last run's record, in the target's state directory.
pub const LAST_RUN: &str = "last-run.json";

pub fn last_run_path(repo: &Path) -> PathBuf {
    crate::fs::state::state_dir(repo).join(LAST_RUN)
}

/// Reads the last run's record of a target.
pub fn read_last_run(repo: &Path) -> Result<RunRecord, GateError> {
    read_last_run_if_any(repo)?.ok_or_else(|| {
        GateError::msg(format!(
            "{}: no run recorded for this target yet; run the pipeline (`cargo xtask run`, with the same --repo) first",
            last_run_path(repo).display()
        ))
    })
}

/// The last run's record, or `None` when no run was recorded for this target yet.
pub fn read_last_run_if_any(repo: &Path) -> Result<Option<RunRecord>, GateError> {
    let path = last_run_path(repo);
    let bytes = match crate::fs::careful::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(GateError::io(&path, e)),
    };
    serde_json::from_slice(&bytes).map(Some).map_err(|e| {
        GateError::msg(format!(
            "{}:{}:{}: not a run record: {e}",
            path.display(),
            e.line(),
            e.column()
        ))
    })
}

impl RunRecord {
    /// The heading of the run's outputs: "<phase> gates", or "Gates" for a pipeline that
    /// names no phase.
    pub fn heading(&self) -> String {
        match &self.phase {
            Some(p) => format!("{p} gates"),
            None => "Gates".into(),
        }
    }
}

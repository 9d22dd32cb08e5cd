//! A whole run against a target: take the run lock, execute, keep the machine-readable
//! record for report generation (under the tool's state directory, outside the work tree),
//! and, only when asked, log the outcomes to the orchestrator scratchpad.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::executor::{self, ExecOptions, Observer};
use super::{Counts, GateResult, RunRecord, SliceResult};
use crate::artifacts::{self, scratchpad};
use crate::error::GateError;
use crate::pipeline::{Pipeline, Selection};

pub struct RunOptions {
    pub jobs: usize,
    pub keep_going: bool,
    /// Run every gate whatever failed before it (`phase-a --all`).
    pub all: bool,
    /// Append the run's outcomes to the pass root's orchestrator scratchpad (the runbook's
    /// "log outcomes in orchestrator scratchpad"): a tracked file, so only on request.
    pub log_scratchpad: bool,
    /// The target repository, absolute.
    pub repo: PathBuf,
    pub selection: Selection,
}

/// Holds the per-target run lock for the life of a run. Two runs on one target would race
/// on the scratchpad order and the run record, so the second waits for the first.
pub struct RunLock {
    _file: File,
}

impl RunLock {
    pub fn acquire(repo: &Path, on_wait: impl FnOnce(&Path)) -> Result<RunLock, GateError> {
        let dir = artifacts::state_dir(repo);
        std::fs::create_dir_all(&dir).map_err(|e| GateError::io(&dir, e))?;
        let path = dir.join("run.lock");
        let file = crate::fs::careful::open_with(
            &path,
            OpenOptions::new().create(true).truncate(false).write(true),
        )
        .map_err(|e| GateError::io(&path, e))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                on_wait(&path);
                file.lock().map_err(|e| GateError::io(&path, e))?;
            }
            Err(std::fs::TryLockError::Error(e)) => return Err(GateError::io(&path, e)),
        }
        Ok(RunLock { _file: file })
    }
}

struct Logging<'a> {
    inner: &'a dyn Observer,
    scratchpad: Option<PathBuf>,
    run_id: String,
    problems: Mutex<Vec<String>>,
    gates: Mutex<Vec<GateResult>>,
}

impl Logging<'_> {
    fn log(&self, entry: &str) {
        if let Some(path) = &self.scratchpad
            && let Err(e) = scratchpad::append(path, entry)
        {
            self.problems
                .lock()
                .expect("lock")
                .push(format!("could not append to {}: {e}", path.display()));
        }
    }
}

impl Observer for Logging<'_> {
    fn gate_started(&self, gate: &str) {
        self.inner.gate_started(gate);
    }
    fn gate_finished(&self, result: &GateResult) {
        self.gates.lock().expect("lock").push(result.clone());
        self.inner.gate_finished(result);
    }
    fn slice_finished(&self, r: &SliceResult) {
        let gates = self.gates.lock().expect("lock");
        let detail: Vec<String> = r
            .gates
            .iter()
            .filter_map(|g| gates.iter().find(|x| &x.id == g))
            .map(|g| {
                let n = g.error_count();
                if n > 0 {
                    format!("{} {} ({n} findings)", g.id, g.status.as_str())
                } else {
                    format!("{} {}", g.id, g.status.as_str())
                }
            })
            .collect();
        drop(gates);
        let mut entry = format!(
            "- {} [run {}] slice {} {}: {}",
            scratchpad::now_rfc3339(),
            self.run_id,
            r.id,
            r.status.as_str().to_uppercase(),
            detail.join(", ")
        );
        if let Some(reason) = &r.reason {
            entry.push_str(&format!(" — {reason}"));
        }
        self.log(&entry);
        self.inner.slice_finished(r);
    }
}

/// Runs the selection against the target and returns the record (also written to
/// `last-run.json` in the target's state directory, [`artifacts::state_dir`]). Problems writing the scratchpad are returned
/// as warnings; they do not change gate outcomes.
pub fn run_pipeline(
    pipeline: &Arc<Pipeline>,
    opts: &RunOptions,
    observer: &dyn Observer,
    interrupt: &AtomicBool,
) -> Result<(RunRecord, Vec<String>), GateError> {
    let _lock = RunLock::acquire(&opts.repo, |path| {
        eprintln!(
            "waiting: another run holds the lock on this target ({}); it will go on when that run ends",
            path.display()
        );
    })?;
    let started_at = scratchpad::now_rfc3339();
    let clock = Instant::now();
    let run_id = run_id();
    // A pass root that leads out of the target through a symbolic link is refused: the
    // closure gates would judge another tree's documents, the scratchpad be written there.
    let pass_root =
        crate::fs::resolve_inside(&opts.repo, &pipeline.target.pass_root.to_string_lossy())?;
    let mut warnings = Vec::new();
    let scratch = if !opts.log_scratchpad {
        None
    } else if pass_root.is_dir() {
        // Refused before any gate runs when the scratchpad is a link out of the target.
        let path = pass_root.join(&pipeline.documents.scratchpad);
        crate::fs::inside::check_path(&path)
            .map_err(|e| GateError::msg(format!("--log-scratchpad: {}: {e}", path.display())))?;
        Some(path)
    } else {
        warnings.push(format!(
            "scratchpad not written: the pass root {} does not exist (create it with `cargo xtask artifacts init`)",
            pipeline.target.pass_root.display()
        ));
        None
    };
    let revision = git_revision(&opts.repo);
    let logging = Logging {
        inner: observer,
        scratchpad: scratch,
        run_id: run_id.clone(),
        problems: Mutex::new(Vec::new()),
        gates: Mutex::new(Vec::new()),
    };
    logging.log(&format!(
        "\n## {started_at} run {run_id} started\n\n- pipeline `{}` ({}), selection: {}, revision: {}",
        pipeline.name,
        shown_path(&pipeline.file),
        opts.selection.description,
        revision.as_deref().unwrap_or("unknown")
    ));
    let exec = executor::execute(
        pipeline,
        &opts.selection,
        &ExecOptions {
            jobs: opts.jobs,
            keep_going: opts.keep_going,
            all: opts.all,
            repo: opts.repo.clone(),
        },
        &logging,
        interrupt,
    );
    let counts = Counts::of(&exec.gates);
    let exit_code = counts.exit_code(exec.interrupted);
    let record = RunRecord {
        tool: format!("rawr-gates {}", env!("CARGO_PKG_VERSION")),
        pipeline: pipeline.name.clone(),
        phase: (!pipeline.phase.id.is_empty()).then(|| pipeline.phase.name.clone()),
        pipeline_file: pipeline.file.display().to_string(),
        repo: opts.repo.display().to_string(),
        revision,
        selection: opts.selection.description.clone(),
        started_at,
        finished_at: scratchpad::now_rfc3339(),
        duration_ms: clock.elapsed().as_millis() as u64,
        interrupted: exec.interrupted,
        exit_code,
        counts,
        slices: exec.slices,
        gates: exec.gates,
    };
    logging.log(&format!(
        "- {} [run {run_id}] finished: {} planned, {} passed, {} failed, {} skipped, {} timed out, {} errored{}",
        record.finished_at,
        counts.planned,
        counts.passed,
        counts.failed,
        counts.skipped,
        counts.timed_out,
        counts.errored,
        if record.interrupted { " (interrupted)" } else { "" }
    ));
    warnings.extend(logging.problems.into_inner().expect("lock"));
    let json = serde_json::to_vec_pretty(&record).expect("the record serializes");
    let last = artifacts::last_run_path(&opts.repo);
    if let Err(e) = artifacts::write_atomic(&last, &json) {
        warnings.push(format!(
            "could not write the run record {}: {e}",
            last.display()
        ));
    }
    Ok((record, warnings))
}

pub use crate::record::{read_last_run, read_last_run_if_any};

fn run_id() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!(
        "{:08x}",
        (nanos as u64 ^ ((std::process::id() as u64) << 32)) & 0xffff_ffff
    )
}

fn git_revision(repo: &Path) -> Option<String> {
    let out = crate::artifacts::git::run_unrecorded(repo, &["rev-parse", "HEAD"]).ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A path as it is safe to write into a tracked log: relative to the current directory when
/// it lies below it, else its file name, never an absolute path of this machine.
fn shown_path(path: &Path) -> String {
    let abs = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if let Ok(cwd) = std::env::current_dir().and_then(std::fs::canonicalize)
        && let Ok(rel) = abs.strip_prefix(&cwd)
    {
        return rel.display().to_string();
    }
    if path.is_relative() {
        return path.display().to_string();
    }
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

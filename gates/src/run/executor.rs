//! The DAG scheduler.
//!
//! Gates run on worker threads, at most `jobs` at a time. A gate becomes runnable when at
//! least one selected slice that requires it can start, i.e. every selected slice that slice
//! depends on is green (all its gates passed). A gate required by several slices runs once
//! and its result is shared. When every slice requiring a gate is blocked by a dependency
//! that is not green, the gate is skipped with a reason that names the root cause (the
//! first gate that failed, timed out or errored upstream). Without `keep_going` the run
//! stops scheduling after the first such failure; running gates finish, the rest are skipped.
//! With `all` (assessing a repository rather than gating it) every gate runs, still in
//! dependency order (a gate waits until the slices it depends on are settled, whatever
//! their outcome); a slice whose dependency is not green is marked `blocked_by` it, with its
//! own gates' verdict as its status.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use super::command::{self, CommandRun};
use super::{GateResult, SliceResult, Status};
use crate::checks::{self, CheckCtx, CheckOutput, RunSoFar};
use crate::error::GateError;
use crate::finding::{Finding, sort_findings};
use crate::pipeline::{Gate, GateKind, Pipeline, Plan, Selection, SetupSpec};
use crate::repo::toolchain::Toolchain;

#[derive(Clone, Debug)]
pub struct ExecOptions {
    pub jobs: usize,
    pub keep_going: bool,
    /// Run every gate whatever failed before it; mark the slices that would have been blocked.
    pub all: bool,
    /// The target repository, absolute.
    pub repo: PathBuf,
}

/// Told about progress as it happens (live output, scratchpad entries).
pub trait Observer: Sync {
    fn gate_started(&self, _gate: &str) {}
    fn gate_finished(&self, _result: &GateResult) {}
    fn slice_finished(&self, _result: &SliceResult) {}
}

pub struct NoopObserver;
impl Observer for NoopObserver {}

/// The outcome of executing a selection.
pub struct Execution {
    pub gates: Vec<GateResult>,
    pub slices: Vec<SliceResult>,
    pub interrupted: bool,
}

enum GateState {
    Pending,
    Running {
        started: Instant,
        cancel: Arc<AtomicBool>,
        timeout: Duration,
        watch: bool,
    },
    Done(GateResult),
}

/// Runs the selected gates of `pipeline`. `interrupt` is polled; when it is set, running
/// gates are cancelled (command gates are killed) and pending ones are skipped.
pub fn execute(
    pipeline: &Arc<Pipeline>,
    selection: &Selection,
    opts: &ExecOptions,
    observer: &dyn Observer,
    interrupt: &AtomicBool,
) -> Execution {
    let plan = Plan::new(pipeline);
    let selected: HashSet<&str> = selection.slices.iter().map(|(s, _)| s.as_str()).collect();
    // Slices in plan order, with their selected gates.
    let slices: Vec<(&str, &[String])> = plan
        .order
        .iter()
        .filter(|s| selected.contains(s.as_str()))
        .map(|s| (s.as_str(), selection.gates_of(s)))
        .collect();
    let gate_order: Vec<String> = plan
        .gate_order
        .iter()
        .filter(|g| slices.iter().any(|(_, gs)| gs.contains(g)))
        .cloned()
        .collect();
    let slices_of: HashMap<&str, Vec<&str>> = gate_order
        .iter()
        .map(|g| {
            (
                g.as_str(),
                slices
                    .iter()
                    .filter(|(_, gs)| gs.contains(g))
                    .map(|(s, _)| *s)
                    .collect(),
            )
        })
        .collect();

    let pass_root = opts.repo.join(&pipeline.target.pass_root);
    let shared = Arc::new(super::shared::SharedRuns::default());
    // The verdict cache, with the target's listing as the run starts.
    let cache = super::cache::Session::for_target(&opts.repo);
    let mut state: HashMap<String, GateState> = gate_order
        .iter()
        .map(|g| (g.clone(), GateState::Pending))
        .collect();
    let mut slice_done: HashMap<&str, SliceResult> = HashMap::new();
    let (tx, rx) = mpsc::channel::<(String, GateResult)>();
    let mut running = 0usize;
    let mut stop_cause: Option<String> = None;
    let mut interrupted = false;
    let jobs = opts.jobs.max(1);

    loop {
        if interrupt.load(Ordering::Relaxed) && !interrupted {
            interrupted = true;
            for st in state.values() {
                if let GateState::Running { cancel, .. } = st {
                    cancel.store(true, Ordering::SeqCst);
                }
            }
        }

        // Settle slices whose gates are all done, and skip pending gates whose every slice is
        // blocked by a dependency that is not green. Repeat until nothing changes, so a skip
        // propagates down a whole chain with the root cause in each reason.
        loop {
            settle_slices(
                pipeline,
                &slices,
                &state,
                &mut slice_done,
                observer,
                opts.all,
            );
            let mut changed = false;
            for g in &gate_order {
                if !matches!(state[g], GateState::Pending) {
                    continue;
                }
                if opts.all {
                    continue;
                }
                if let Some(reason) =
                    blocked_reason(pipeline, &slices_of[g.as_str()], &selected, &slice_done)
                {
                    skip(
                        pipeline,
                        g,
                        &slices_of[g.as_str()],
                        reason,
                        observer,
                        &mut state,
                    );
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        // After a failure without --keep-going (or an interrupt), once the running gates have
        // settled, whatever is still pending will not run.
        if running == 0 && (interrupted || stop_cause.is_some()) {
            let reason = if interrupted {
                "not run: the run was interrupted".to_string()
            } else {
                format!(
                    "not run: the run stopped after {} (pass --keep-going to run independent gates)",
                    stop_cause.as_deref().unwrap_or("a failure")
                )
            };
            for g in &gate_order {
                if matches!(state[g], GateState::Pending) {
                    let why = reason.clone();
                    skip(
                        pipeline,
                        g,
                        &slices_of[g.as_str()],
                        why,
                        observer,
                        &mut state,
                    );
                }
            }
            settle_slices(
                pipeline,
                &slices,
                &state,
                &mut slice_done,
                observer,
                opts.all,
            );
        }

        // Launch what is ready.
        for g in &gate_order {
            if running >= jobs || interrupted || stop_cause.is_some() {
                break;
            }
            if !matches!(state[g], GateState::Pending) {
                continue;
            }
            let ready = slices_of[g.as_str()].iter().any(|s| {
                let slice = pipeline.slice(s).expect("slice");
                slice
                    .depends_on
                    .iter()
                    .filter(|d| selected.contains(d.as_str()))
                    .all(|d| {
                        slice_done
                            .get(d.as_str())
                            .is_some_and(|r| opts.all || r.status == Status::Passed)
                    })
            });
            if !ready {
                continue;
            }
            let gate = pipeline.gates[g].clone();
            let cancel = Arc::new(AtomicBool::new(false));
            // Command gates enforce their own timeout (and kill their process group); a
            // built-in check is watched here and abandoned if it overruns.
            let watch = gate.kind.command().is_none();
            state.insert(
                g.clone(),
                GateState::Running {
                    started: Instant::now(),
                    cancel: cancel.clone(),
                    timeout: gate.timeout,
                    watch,
                },
            );
            running += 1;
            observer.gate_started(g);
            let so_far = RunSoFar {
                earlier: state
                    .values()
                    .filter_map(|s| match s {
                        GateState::Done(r) => Some(r.clone()),
                        _ => None,
                    })
                    .collect(),
                selected: gate_order.iter().cloned().collect(),
            };
            let shared = shared.clone();
            let cache = cache.clone();
            let tx = tx.clone();
            let p = pipeline.clone();
            let repo = opts.repo.clone();
            let pass_root = pass_root.clone();
            thread::Builder::new()
                .name(format!("gate-{g}"))
                .spawn(move || {
                    let r = run_gate_shared(
                        &p,
                        &gate,
                        &repo,
                        &pass_root,
                        &cancel,
                        Some(&so_far),
                        Some(&shared),
                        cache.as_deref(),
                    );
                    let _ = tx.send((gate.id.clone(), r));
                })
                .expect("spawning a gate thread");
        }

        if running == 0 && state.values().all(|s| matches!(s, GateState::Done(_))) {
            break;
        }

        match rx.recv_timeout(Duration::from_millis(20)) {
            Ok((id, mut r)) => {
                if matches!(state.get(&id), Some(GateState::Running { .. })) {
                    running -= 1;
                    if interrupted && r.status != Status::Passed && r.status != Status::Failed {
                        r.status = Status::Errored;
                        r.reason = Some(format!(
                            "interrupted: the gate was stopped by {}",
                            crate::process::interrupt::cause().unwrap_or("an interrupt")
                        ));
                    }
                    let r = finish(pipeline, &id, &slices_of[id.as_str()], r);
                    if !keep_going_ok(opts, &r) && stop_cause.is_none() {
                        stop_cause = Some(format!("gate `{}` {}", r.id, r.status.as_str()));
                    }
                    observer.gate_finished(&r);
                    state.insert(id, GateState::Done(r));
                }
                // A result for a gate already marked timed out is dropped.
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                unreachable!("the scheduler holds a sender")
            }
        }

        // Built-in checks that overran their timeout.
        let overdue: Vec<String> = state
            .iter()
            .filter_map(|(g, s)| match s {
                GateState::Running {
                    started,
                    timeout,
                    watch: true,
                    ..
                } if started.elapsed() > *timeout => Some(g.clone()),
                _ => None,
            })
            .collect();
        for g in overdue {
            if let Some(GateState::Running {
                cancel,
                timeout,
                started,
                ..
            }) = state.get(&g)
            {
                cancel.store(true, Ordering::SeqCst);
                let mut r = skeleton(
                    pipeline,
                    &g,
                    &slices_of[g.as_str()],
                    Status::TimedOut,
                    Some(format!(
                        "did not finish within {}",
                        humantime::format_duration(*timeout)
                    )),
                );
                r.duration_ms = started.elapsed().as_millis() as u64;
                running -= 1;
                if !opts.keep_going && !opts.all && stop_cause.is_none() {
                    stop_cause = Some(format!("gate `{g}` timed out"));
                }
                observer.gate_finished(&r);
                state.insert(g, GateState::Done(r));
            }
        }
    }
    settle_slices(
        pipeline,
        &slices,
        &state,
        &mut slice_done,
        observer,
        opts.all,
    );

    let gates = gate_order
        .iter()
        .map(|g| match state.remove(g) {
            Some(GateState::Done(r)) => r,
            _ => unreachable!("every gate is done when the loop ends"),
        })
        .collect();
    let slices = slices
        .iter()
        .map(|(s, _)| slice_done.remove(s).expect("every slice settles"))
        .collect();
    Execution {
        gates,
        slices,
        interrupted,
    }
}

fn keep_going_ok(opts: &ExecOptions, r: &GateResult) -> bool {
    opts.keep_going || opts.all || r.status == Status::Passed
}

/// A result with everything but the outcome filled in.
fn skeleton(
    p: &Pipeline,
    gate: &str,
    slices: &[&str],
    status: Status,
    reason: Option<String>,
) -> GateResult {
    GateResult {
        slices: slices.iter().map(|s| s.to_string()).collect(),
        stage: slices
            .first()
            .and_then(|s| p.slice(s))
            .map(|s| s.stage)
            .unwrap_or(0),
        status,
        reason,
        ..skeleton_free(&p.gates[gate])
    }
}

/// Records gate `g` as skipped for `reason`, without running it.
fn skip(
    p: &Pipeline,
    g: &str,
    slices: &[&str],
    reason: String,
    observer: &dyn Observer,
    state: &mut HashMap<String, GateState>,
) {
    let r = skeleton(p, g, slices, Status::Skipped, Some(reason));
    observer.gate_finished(&r);
    state.insert(g.to_string(), GateState::Done(r));
}

fn finish(p: &Pipeline, gate: &str, slices: &[&str], r: GateResult) -> GateResult {
    let s = skeleton(p, gate, slices, r.status, r.reason);
    GateResult {
        duration_ms: r.duration_ms,
        findings: r.findings,
        notes: r.notes,
        output: r.output,
        cached: r.cached,
        ..s
    }
}

/// Why a pending gate cannot run, if every slice requiring it is blocked.
fn blocked_reason(
    p: &Pipeline,
    slices: &[&str],
    selected: &HashSet<&str>,
    done: &HashMap<&str, SliceResult>,
) -> Option<String> {
    let mut first = None;
    for s in slices {
        let slice = p.slice(s).expect("slice");
        let bad = slice
            .depends_on
            .iter()
            .filter(|d| selected.contains(d.as_str()))
            .find_map(|d| done.get(d.as_str()).filter(|r| r.status != Status::Passed));
        match bad {
            None => return None,
            Some(dep) => {
                if first.is_none() {
                    first = Some(format!(
                        "slice {s} is blocked by {}: {}",
                        dep.id,
                        dep.cause.as_deref().unwrap_or("not green")
                    ));
                }
            }
        }
    }
    first
}

/// Marks slices done once all their selected gates are, and tells the observer.
fn settle_slices<'a>(
    p: &Pipeline,
    slices: &[(&'a str, &[String])],
    state: &HashMap<String, GateState>,
    done: &mut HashMap<&'a str, SliceResult>,
    observer: &dyn Observer,
    all: bool,
) {
    for (id, gates) in slices {
        if done.contains_key(id) {
            continue;
        }
        let results: Option<Vec<&GateResult>> = gates
            .iter()
            .map(|g| match &state[g] {
                GateState::Done(r) => Some(r),
                _ => None,
            })
            .collect();
        let Some(results) = results else { continue };
        let slice = p.slice(id).expect("slice");
        // A slice whose dependency is not green is not green either, even if the gates it
        // shares with other slices happened to pass.
        // (Under `all`, a dependency that passed its own gates but would itself have been
        // blocked blocks too: the runbook would never have reached it.)
        let blocked_dep = slice.depends_on.iter().find_map(|d| {
            done.get(d.as_str())
                .filter(|r| r.status != Status::Passed || r.blocked_by.is_some())
        });
        let blocked_by = blocked_dep.filter(|_| all).map(|dep| {
            let root = dep.cause.clone().unwrap_or_else(|| {
                dep.blocked_by
                    .as_deref()
                    .map(|b| b.split_once(": ").map_or(b, |(_, c)| c).to_string())
                    .unwrap_or_else(|| "not green".into())
            });
            format!("{}: {root}", dep.id)
        });
        let blocked_dep = blocked_dep.filter(|_| !all);
        let (status, reason, cause) = if let Some(dep) = blocked_dep {
            let cause = dep
                .cause
                .clone()
                .unwrap_or_else(|| format!("{} is not green", dep.id));
            (
                Status::Skipped,
                Some(format!("blocked by {}: {cause}", dep.id)),
                Some(cause),
            )
        } else if results.iter().all(|r| r.status == Status::Passed) {
            (Status::Passed, None, None)
        } else {
            let worst = [Status::Errored, Status::TimedOut, Status::Failed]
                .into_iter()
                .find(|st| results.iter().any(|r| r.status == *st))
                .unwrap_or(Status::Skipped);
            let cause = match results
                .iter()
                .find(|r| r.status == worst && worst != Status::Skipped)
            {
                Some(r) => format!("gate `{}` {} in {}", r.id, r.status.as_str(), id),
                None => results
                    .iter()
                    .find_map(|r| r.reason.clone())
                    .unwrap_or_else(|| "gates were skipped".into()),
            };
            (worst, Some(cause.clone()), Some(cause))
        };
        let r = SliceResult {
            id: id.to_string(),
            stage: slice.stage,
            title: slice.title.clone(),
            owner: slice.owner.clone(),
            status,
            reason: match (&blocked_by, reason) {
                (Some(b), None) => Some(format!("would have been blocked by {b}")),
                (Some(b), Some(r)) => Some(format!("{r}; would have been blocked by {b}")),
                (None, r) => r,
            },
            cause,
            gates: gates.to_vec(),
            blocked_by,
        };
        observer.slice_finished(&r);
        done.insert(id, r);
    }
}

/// Runs one gate to completion (no scheduling, no dependencies). Used by the scheduler's
/// workers and by `cargo xtask gate ID`.
pub fn run_gate(
    p: &Pipeline,
    gate: &Gate,
    repo: &Path,
    pass_root: &Path,
    cancel: &AtomicBool,
    run: Option<&RunSoFar>,
) -> GateResult {
    let cache = super::cache::Session::for_target(repo);
    run_gate_shared(
        p,
        gate,
        repo,
        pass_root,
        cancel,
        run,
        None,
        cache.as_deref(),
    )
}

/// [`run_gate`] within a pipeline run: a command judged by a check is run once per
/// `shared` (see [`super::shared`]) and its run reused by every gate naming the same one.
/// With `cache`, a gate whose recorded inputs are unchanged reuses its verdict
/// ([`super::cache`]); otherwise it is judged with its reads recorded.
#[allow(clippy::too_many_arguments)]
pub fn run_gate_shared(
    p: &Pipeline,
    gate: &Gate,
    repo: &Path,
    pass_root: &Path,
    cancel: &AtomicBool,
    run: Option<&RunSoFar>,
    shared: Option<&super::shared::SharedRuns>,
    cache: Option<&super::cache::Session>,
) -> GateResult {
    let Some(cache) = cache else {
        return judge(p, gate, repo, pass_root, cancel, run, shared);
    };
    if let Some(r) = cache.lookup(p, gate, pass_root, run) {
        return r;
    }
    if runs_target_code(p, gate) {
        cache.target_code_runs();
    }
    let rec = crate::fs::record::Recorder::new(repo);
    let r = crate::fs::record::scope(Some(rec.clone()), || {
        judge(p, gate, repo, pass_root, cancel, run, shared)
    });
    if !cancel.load(Ordering::SeqCst) {
        cache.store(p, gate, pass_root, run, &rec, &r);
    }
    r
}

/// Judges one gate: its setup, its command, its check.
fn judge(
    p: &Pipeline,
    gate: &Gate,
    repo: &Path,
    pass_root: &Path,
    cancel: &AtomicBool,
    run: Option<&RunSoFar>,
    shared: Option<&super::shared::SharedRuns>,
) -> GateResult {
    let start = Instant::now();
    let mut r = skeleton_free(gate);
    // Nothing this gate reads or writes follows a link out of the target.
    crate::fs::inside::confine(repo, crate::fs::inside::TARGET);
    // The target's own commands would follow its links out of it: none runs while one is there.
    if runs_target_code(p, gate) {
        let links = crate::repo::links::findings(repo);
        if !links.is_empty() {
            r.findings = links;
            r.judge_findings();
            r.duration_ms = start.elapsed().as_millis() as u64;
            return r;
        }
    }
    // Placeholders of the pipeline's commands (`{install}`, `{exec}`, `{state}`, …) follow
    // the target's own toolchain.
    // (The record keeps the command as the pipeline wrote it: the expansion holds paths of
    // this machine, and the record feeds committed reports.)
    let tc = Toolchain::detect(repo);
    if let Some(setup) = &gate.setup {
        match run_setup(setup, repo, &tc, gate.timeout, cancel) {
            Ok(None) => {}
            Ok(Some(run)) => {
                r.output = run.tail(40);
                if run.timed_out {
                    r.status = Status::TimedOut;
                    r.reason = Some(format!(
                        "setup `{}` did not finish within {}; its process group was killed",
                        run.argv.join(" "),
                        humantime::format_duration(gate.timeout)
                    ));
                } else if run.cancelled {
                    r.status = Status::Errored;
                    r.reason = Some("interrupted: the setup command was killed".into());
                } else if !run.success() {
                    let mut f = command_failed(&run);
                    f.rule = "setup-failed".into();
                    f.message = format!("setup {}", f.message);
                    r.findings.push(f);
                    // The gate's own check never ran: it could not judge.
                    r.judge_findings();
                }
                if r.status != Status::Passed {
                    r.duration_ms = start.elapsed().as_millis() as u64;
                    return r;
                }
            }
            Err(e) => return errored(r, start, e),
        }
    }
    let command_run = match gate.kind.command() {
        None => None,
        Some(spec) => {
            let cwd = match crate::fs::resolve_inside(repo, &spec.cwd.to_string_lossy()) {
                Ok(c) => c,
                Err(e) => return errored(r, start, e),
            };
            let env: Vec<(String, String)> = spec
                .env
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            // A command judged by a check against its report keeps its whole output next to
            // the report, and is shared with the other gates of this run naming the same one.
            let argv = tc.expand(&spec.argv, None);
            if let Err(e) = tc.ensure_available(&argv) {
                return errored(r, start, e);
            }
            let log = match spec.report.as_ref() {
                Some(rep) => match report_file(repo, &rep.path.to_string_lossy()) {
                    Ok(p) => Some(output_log_path(&p)),
                    Err(e) => return errored(r, start, e),
                },
                None => None,
            };
            let make = || match (&log, &gate.kind) {
                (Some(log), GateKind::CommandWithCheck { .. }) => {
                    command::run_logged(&argv, &cwd, &env, gate.timeout, cancel, log)
                }
                _ => command::run(&argv, &cwd, &env, gate.timeout, cancel),
            };
            let made = match (shared, &gate.kind) {
                (Some(shared), GateKind::CommandWithCheck { .. }) => {
                    let key = super::shared::RunKey {
                        argv: argv.clone(),
                        cwd: cwd.clone(),
                        env: env.clone(),
                        report: spec.report.as_ref().map(|r| r.path.clone()),
                    };
                    shared.get_or_run(key, &gate.id, make).map(|s| {
                        if let Some(by) = &s.ran_by {
                            r.notes.push(format!(
                                "`{}` was run once in this pipeline run, by gate `{by}`; this gate judged the same report",
                                s.run.argv.join(" ")
                            ));
                        }
                        s.run
                    })
                }
                _ => make(),
            };
            match made {
                Err(e) => return errored(r, start, e),
                Ok(run) => Some(run),
            }
        }
    };
    if let Some(run) = &command_run {
        r.output = run.tail(40);
        if run.timed_out {
            r.status = Status::TimedOut;
            r.reason = Some(format!(
                "`{}` did not finish within {}; its process group was killed",
                run.argv.join(" "),
                humantime::format_duration(gate.timeout)
            ));
            r.duration_ms = start.elapsed().as_millis() as u64;
            return r;
        }
        if run.cancelled {
            r.status = Status::Errored;
            r.reason = Some("interrupted: the command was killed".into());
            r.duration_ms = start.elapsed().as_millis() as u64;
            return r;
        }
    }
    match &gate.kind {
        GateKind::Command(_) => {
            let run = command_run
                .as_ref()
                .expect("command gates ran their command");
            if !run.success() {
                r.findings.push(command_failed(run));
            }
        }
        GateKind::Check { check: def, params }
        | GateKind::CommandWithCheck {
            check: def, params, ..
        } => {
            let ctx = CheckCtx {
                gate_id: &gate.id,
                repo,
                pass_root,
                params,
                pipeline: p,
                command: command_run.as_ref(),
                cancel,
                run,
            };
            match (def.run)(&ctx) {
                Ok(CheckOutput { findings, notes }) => {
                    // Every rule a check reports is in its declared table (docs/rules.md,
                    // SARIF `rules`), or its parts' (`all-of`); the test suite runs every
                    // check's failing fixtures.
                    let undeclared = |f: &&Finding| def.finding_rule(&f.rule, params, p).is_none();
                    debug_assert!(
                        !findings.iter().any(|f| undeclared(&f)),
                        "check `{}` reported an undeclared rule: {:?}",
                        def.name,
                        findings
                            .iter()
                            .filter(undeclared)
                            .map(|f| &f.rule)
                            .collect::<Vec<_>>()
                    );
                    r.findings = findings;
                    r.notes.extend(notes);
                }
                Err(e) => return errored(r, start, e),
            }
        }
    }
    sort_findings(&mut r.findings);
    r.judge_findings();
    r.duration_ms = start.elapsed().as_millis() as u64;
    r
}

/// Whether the gate runs commands of the target: a setup step, a command, a check that
/// starts the target's host (`route-probe`) or lists its tests (`nextest_list_command`).
/// A gate composed of parts (`all-of`) runs the target's code when one of its parts does: a
/// part gate that does, or a part check that starts a service or lists the target's tests.
pub fn runs_target_code(p: &Pipeline, gate: &Gate) -> bool {
    fn check_runs(check: &checks::CheckDef, params: &toml::Table) -> bool {
        check.capabilities.contains(&checks::Capability::Service)
            || params.contains_key("nextest_list_command")
    }
    fn of(p: &Pipeline, gate: &Gate, depth: u8) -> bool {
        let params = gate.kind.params();
        if gate.setup.is_some()
            || gate.kind.command().is_some()
            || gate
                .kind
                .check()
                .zip(params)
                .is_some_and(|(c, t)| check_runs(c, t))
        {
            return true;
        }
        let composed = gate.kind.check().is_some_and(|c| c.parts.is_some());
        let parts = params
            .and_then(|t| t.get("parts"))
            .and_then(toml::Value::as_array);
        // Deeper than any pipeline nests: taken as running code (the safe side).
        if composed && depth > 8 {
            return true;
        }
        composed
            && parts.is_some_and(|parts| {
                parts.iter().filter_map(toml::Value::as_table).any(|part| {
                    let empty = toml::Table::new();
                    let part_params = part
                        .get("params")
                        .and_then(toml::Value::as_table)
                        .unwrap_or(&empty);
                    match (part.get("gate"), part.get("check")) {
                        (Some(id), _) => id
                            .as_str()
                            .and_then(|id| p.gates.get(id))
                            .is_none_or(|g| of(p, g, depth + 1)),
                        (None, Some(c)) => c
                            .as_str()
                            .and_then(checks::find)
                            .is_none_or(|c| check_runs(c, part_params)),
                        (None, None) => true,
                    }
                })
            })
    }
    of(p, gate, 0)
}

/// A report path as the pipeline writes it: under the tool's state directory when it starts
/// with `{state}/` (outside the work tree), else inside the repository.
fn report_file(repo: &Path, rel: &str) -> Result<PathBuf, GateError> {
    match rel.strip_prefix("{state}/") {
        Some(rest) => crate::fs::resolve_inside(&crate::fs::state::state_dir(repo), rest),
        None => crate::fs::resolve_inside(repo, rel),
    }
}

/// Where a gate's command keeps its whole output: next to its report, `<report>.output.txt`.
pub fn output_log_path(report: &Path) -> PathBuf {
    let mut name = report.file_name().unwrap_or_default().to_os_string();
    name.push(".output.txt");
    report.with_file_name(name)
}

/// Setup steps run one at a time across the whole process (see [`SetupSpec`]).
static SETUP_LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
/// Marker-less setup steps (argv, directory) that succeeded in this process.
static SETUP_DONE: std::sync::Mutex<std::collections::BTreeSet<(Vec<String>, PathBuf)>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

/// Runs a gate's setup step unless its marker exists; `None` when there was nothing to do.
fn run_setup(
    setup: &SetupSpec,
    repo: &Path,
    tc: &Toolchain,
    timeout: Duration,
    cancel: &AtomicBool,
) -> Result<Option<CommandRun>, GateError> {
    let _guard = SETUP_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    let argv = tc.expand(&setup.argv, None);
    let cwd = crate::fs::resolve_inside(repo, &setup.cwd.to_string_lossy())?;
    // Without a marker file (bun's install leaves none), a step that already succeeded in
    // this process for the same directory is not run again by the next gate that needs it.
    let key = (argv.clone(), cwd.clone());
    if let Some(marker) = &setup.unless_exists {
        match tc.expand_marker(&marker.to_string_lossy()) {
            Some(marker) => {
                if crate::fs::resolve_inside(repo, &marker)?.exists() {
                    return Ok(None);
                }
            }
            None => {
                if SETUP_DONE
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .contains(&key)
                {
                    return Ok(None);
                }
            }
        }
    }
    let mut installed_tool = None;
    if tc.ensure_available(&argv).is_err() {
        // A missing package manager comes from the npm registry (`npm install -g bun`), as
        // a person would get it; when that fails, the error names the command.
        if let Some(install) = tc.tool_install_argv(&argv) {
            let run = command::run(&install, repo, &[], timeout, cancel)?;
            if run.cancelled || run.timed_out {
                return Ok(Some(run));
            }
            installed_tool = Some(run);
        }
        tc.ensure_available(&argv)?;
    }
    let mut run = command::run(&argv, &cwd, &[], timeout, cancel)?;
    if run.success() && !run.timed_out && !run.cancelled {
        SETUP_DONE
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key);
    }
    if let Some(first) = installed_tool {
        run.stdout = format!(
            "$ {}\n{}{}\n$ {}\n{}",
            first.argv.join(" "),
            first.stdout,
            first.stderr,
            run.argv.join(" "),
            run.stdout
        );
    }
    Ok(Some(run))
}

fn skeleton_free(gate: &Gate) -> GateResult {
    GateResult {
        id: gate.id.clone(),
        check: gate.kind.check_name().map(str::to_string),
        command: gate.kind.command().map(|c| c.argv.clone()),
        slices: Vec::new(),
        stage: 0,
        status: Status::Passed,
        reason: None,
        duration_ms: 0,
        findings: Vec::new(),
        notes: Vec::new(),
        output: String::new(),
        cached: false,
    }
}

fn errored(mut r: GateResult, start: Instant, e: GateError) -> GateResult {
    r.status = Status::Errored;
    r.reason = Some(e.to_string());
    r.duration_ms = start.elapsed().as_millis() as u64;
    r
}

fn command_failed(run: &CommandRun) -> Finding {
    let how = match run.exit_code {
        Some(c) => format!("exited with status {c}"),
        None => "was killed by a signal".to_string(),
    };
    let mut f = Finding::general("command-failed", format!("`{}` {how}", run.argv.join(" ")));
    let tail = run.tail(20);
    if !tail.trim().is_empty() {
        f = f.with_help(tail);
    }
    f
}

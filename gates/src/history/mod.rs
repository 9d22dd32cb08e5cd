//! `cargo xtask history`: the pipeline's gates over a range of commits, as a gate × commit
//! matrix, and `--bisect` for the first commit where one gate fails.
//!
//! Each commit is checked out into its own temporary repository ([`checkout`]; the user's work
//! tree, index, HEAD and worktree list are never touched) and the selected gates run against
//! it through the executor's one-gate runner ([`executor::run_gate`]), in the pipeline's gate
//! order, each seeing the results of the gates before it (as inside `phase-a`; gates outside
//! the selection are taken as passed, as under `--stage`). Unlike `phase-a`, a gate runs even
//! when a gate it depends on failed: a history wants every cell's own verdict. Up to `jobs`
//! commits are checked out and judged at once; each worker owns its checkout, so nothing
//! mutable is shared. Every checkout lives under one temporary folder that is removed when the
//! run ends, also when it is interrupted (the executor's Ctrl-C flag is polled between gates
//! and cancels running command gates).
//!
//! Which gates run by default: the *static* ones, built-in checks that run no command, no
//! setup step and no service ([`is_static`]), minus those whose verdict does not belong to the
//! commit ([`NOT_OF_THE_COMMIT`]). `--with-suites` adds the command gates (their setup installs
//! the target's dependencies) and the live probe. The command is verdict-agnostic: it only
//! reports what the pipeline's gates decide.

pub mod bisect;
pub mod checkout;
pub mod render;
pub mod reuse;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::checks::RunSoFar;
use crate::error::GateError;
use crate::pipeline::{GateKind, Pipeline, Plan};
use crate::record::{Counts, GateResult, Status};
use crate::run::executor;
use checkout::{Checkout, Checkouts, Source};

/// Checks whose verdict in a history run says nothing about the commit, left out of the
/// default selection (they still run when named with `--gates`):
/// - `ci-drift` compares this workspace's generated workflow with its pipeline, not the target;
/// - `preflight` judges the user's working state (clean tree, expected branch, worktree), and
///   a fresh detached checkout is always clean and never on the branch.
pub const NOT_OF_THE_COMMIT: &[&str] = &["ci-drift", "preflight"];

/// True for a gate that only reads the tree: a built-in check with no command, no setup step,
/// and that starts no service.
pub fn is_static(p: &Pipeline, id: &str) -> bool {
    let Some(g) = p.gates.get(id) else {
        return false;
    };
    matches!(g.kind, GateKind::Check { .. }) && !crate::run::executor::runs_target_code(p, g)
}

/// Which gates a history run judges, in the pipeline's gate order.
pub fn select_gates(
    p: &Pipeline,
    named: &[String],
    with_suites: bool,
) -> Result<Vec<String>, GateError> {
    let order = Plan::new(p).gate_order;
    if !named.is_empty() {
        // A gate's id or one of its `aliases` (the packet's name for it), as its id.
        let mut ids: Vec<String> = Vec::new();
        for id in named {
            let Some(g) = p.gate_named(id) else {
                let known: Vec<&str> = p.gates.keys().map(String::as_str).collect();
                return Err(GateError::msg(format!(
                    "unknown gate `{id}` (known: {})",
                    known.join(", ")
                )));
            };
            if !ids.contains(&g.id) {
                ids.push(g.id.clone());
            }
        }
        let named = &ids;
        // Gates outside every slice are not in the plan's order: keep them, after it.
        let mut out: Vec<String> = order
            .iter()
            .filter(|g| named.contains(g))
            .cloned()
            .collect();
        for id in named {
            if !out.contains(id) {
                out.push(id.clone());
            }
        }
        return Ok(out);
    }
    Ok(order
        .into_iter()
        .filter(|id| {
            let check = p.gates[id].kind.check_name();
            !check.is_some_and(|c| NOT_OF_THE_COMMIT.contains(&c))
                && (with_suites || is_static(p, id))
        })
        .collect())
}

/// What to run.
pub struct Options {
    /// The target directory (absolute); its repository provides the commits.
    pub repo: PathBuf,
    /// Revisions as the user wrote them: single revisions, or one `A..B` range.
    pub revs: Vec<String>,
    /// Gate ids named with `--gates` (empty: the default selection).
    pub gates: Vec<String>,
    pub with_suites: bool,
    pub jobs: usize,
}

/// One cell of the matrix: a gate at a commit.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Cell {
    pub gate: String,
    pub status: Status,
    /// Findings of severity error.
    pub errors: usize,
    /// Findings of severity warning or note.
    pub warnings: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub duration_ms: u64,
    /// The verdict of an earlier commit, reused because nothing the gate read differs here
    /// ([`reuse`]); the findings are that verdict's, the same a judgement would give.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cached: bool,
    pub findings: Vec<crate::finding::Finding>,
}

impl Cell {
    fn of(r: &GateResult) -> Cell {
        let errors = r.error_count();
        Cell {
            gate: r.id.clone(),
            status: r.status,
            errors,
            warnings: r.findings.len() - errors,
            reason: r.reason.clone(),
            duration_ms: r.duration_ms,
            cached: r.cached,
            findings: r.findings.clone(),
        }
    }
}

/// One commit's column.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CommitResult {
    /// The revision as the user wrote it (a commit id when it came from a range).
    pub rev: String,
    pub sha: String,
    pub subject: String,
    /// Time to check the commit out.
    pub checkout_ms: u64,
    /// Time the gates took.
    pub gates_ms: u64,
    /// Why the commit could not be judged at all (its checkout failed); `cells` is then empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub cells: Vec<Cell>,
}

impl CommitResult {
    pub fn cell(&self, gate: &str) -> Option<&Cell> {
        self.cells.iter().find(|c| c.gate == gate)
    }
}

/// Where a gate turned green and red along the commits.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Transition {
    pub gate: String,
    /// The first commit (in the run's order) where the gate passed.
    pub first_green: Option<String>,
    /// Each commit where the gate did not pass right after a commit where it did.
    pub red_again: Vec<String>,
}

/// A whole history run: what every renderer reads.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct History {
    pub tool: String,
    pub pipeline: String,
    /// The gates judged, in order (the matrix rows).
    pub gates: Vec<String>,
    /// How the gates were chosen: `static` (the default), `with-suites`, or `named` (`--gates`).
    pub selection: String,
    /// The commits, in the run's order (the matrix columns).
    pub commits: Vec<CommitResult>,
    pub transitions: Vec<Transition>,
    pub duration_ms: u64,
    pub interrupted: bool,
    pub exit_code: i32,
}

/// Expands the user's revisions: each single revision as written, or one `A..B` range (oldest
/// first). Returns `(as written, commit id)` pairs.
pub fn expand_revs(src: &Source, revs: &[String]) -> Result<Vec<(String, String)>, GateError> {
    if revs.is_empty() {
        return Err(GateError::msg(
            "no commits given: name revisions (`REV…`) or a range (`A..B`)",
        ));
    }
    let mut out = Vec::new();
    for rev in revs {
        if let Some((a, b)) = rev.split_once("..") {
            if b.starts_with('.') {
                return Err(GateError::msg(format!(
                    "`{rev}`: symmetric differences (`A...B`) are not a history; use `A..B`"
                )));
            }
            let a = if a.is_empty() { "HEAD" } else { a };
            let b = if b.is_empty() { "HEAD" } else { b };
            let commits = src.range(a, b, false)?;
            if commits.is_empty() {
                return Err(GateError::msg(format!("the range `{rev}` holds no commit")));
            }
            out.extend(commits.into_iter().map(|c| (c.clone(), c)));
        } else {
            out.push((rev.clone(), src.resolve(rev)?));
        }
    }
    Ok(out)
}

/// Told about progress (one line per finished commit on a terminal).
pub trait Progress: Sync {
    fn commit_done(&self, _done: usize, _total: usize, _c: &CommitResult) {}
}

pub struct NoProgress;
impl Progress for NoProgress {}

/// Runs the gates over the commits and returns the matrix.
pub fn run(
    p: &Arc<Pipeline>,
    opts: &Options,
    interrupt: &AtomicBool,
    progress: &dyn Progress,
) -> Result<History, GateError> {
    let clock = Instant::now();
    let src = Source::of(&opts.repo)?;
    let gates = select_gates(p, &opts.gates, opts.with_suites)?;
    if gates.is_empty() {
        return Err(GateError::msg(
            "no gate selected: the pipeline has no static gate (name gates with --gates, or add --with-suites)",
        ));
    }
    let revs = expand_revs(&src, &opts.revs)?;
    let shas: Vec<String> = revs.iter().map(|(_, s)| s.clone()).collect();
    let subjects = src.subjects(&shas)?;
    let root = Checkouts::for_source(&src, crate::run::cache::enabled())?;
    let jobs = opts.jobs.max(1).min(revs.len());
    // Each worker takes a contiguous run of commits, so its checkout moves between
    // neighbours (few files differ) instead of being written whole for every commit.
    let chunk = revs.len().div_ceil(jobs);
    let done = Mutex::new(0usize);
    let results: Mutex<Vec<Option<CommitResult>>> = Mutex::new(vec![None; revs.len()]);
    let checkouts = (0..jobs)
        .map(|w| root.take(w))
        .collect::<Result<Vec<_>, _>>()?;
    std::thread::scope(|s| {
        for (w, co) in checkouts.into_iter().enumerate() {
            let (revs, subjects, gates, src) = (&revs, &subjects, &gates, &src);
            let (done, results) = (&done, &results);
            s.spawn(move || {
                let mut co = co;
                // Verdicts reused from this worker's previous commits (not with --no-cache).
                let mut reuse = crate::run::cache::enabled().then(reuse::Reuse::new);
                // Reads of this thread outside a recorded gate (finding the pass root, a
                // gate whose verdict will not be kept) are nobody's input: a sink takes
                // them for nothing, and they do not spoil the other worker's recording.
                let sink = reuse.is_some().then(crate::fs::record::Recorder::sink);
                crate::fs::record::scope(sink, || {
                    let end = ((w + 1) * chunk).min(revs.len());
                    if let Some(r) = &mut reuse {
                        let mine = &revs[(w * chunk).min(end)..end];
                        let pairs: Vec<(&str, &str)> = mine
                            .windows(2)
                            .map(|p| (p[0].1.as_str(), p[1].1.as_str()))
                            .collect();
                        r.prepare(src, &pairs);
                    }
                    for i in w * chunk..end {
                        if interrupt.load(Ordering::Relaxed) {
                            break;
                        }
                        let (rev, sha) = &revs[i];
                        // The commit this worker judges next: verdicts are recorded for reuse
                        // only when it can reuse them (it has the same paths).
                        let next = revs[..end].get(i + 1).map(|(_, s)| s.as_str());
                        let mut c = judge_commit(
                            p,
                            src,
                            sha,
                            &mut co,
                            gates,
                            interrupt,
                            reuse.as_mut().map(|r| (r, next)),
                        );
                        c.rev = rev.clone();
                        c.subject = subjects[i].clone();
                        if interrupt.load(Ordering::Relaxed) {
                            // Cells of a commit cut short are not verdicts.
                            break;
                        }
                        let n = {
                            let mut d = done.lock().expect("lock");
                            *d += 1;
                            *d
                        };
                        progress.commit_done(n, revs.len(), &c);
                        results.lock().expect("lock")[i] = Some(c);
                    }
                });
                co.remove();
            });
        }
    });
    root.prune(opts.jobs.max(1));
    drop(root);
    let interrupted = interrupt.load(Ordering::Relaxed);
    let commits: Vec<CommitResult> = results
        .into_inner()
        .expect("lock")
        .into_iter()
        .flatten()
        .collect();
    let transitions = transitions(&gates, &commits);
    let all: Vec<&Cell> = commits.iter().flat_map(|c| c.cells.iter()).collect();
    let counts = counts_of(&all);
    let unjudged = commits.iter().any(|c| c.error.is_some());
    let exit_code = if unjudged {
        2
    } else {
        counts.exit_code(interrupted)
    };
    Ok(History {
        tool: format!("rawr-gates {}", env!("CARGO_PKG_VERSION")),
        pipeline: p.name.clone(),
        gates,
        selection: if !opts.gates.is_empty() {
            "named"
        } else if opts.with_suites {
            "with-suites"
        } else {
            "static"
        }
        .to_string(),
        commits,
        transitions,
        duration_ms: clock.elapsed().as_millis() as u64,
        interrupted,
        exit_code,
    })
}

fn counts_of(cells: &[&Cell]) -> Counts {
    let mut c = Counts {
        planned: cells.len(),
        ..Counts::default()
    };
    for cell in cells {
        match cell.status {
            Status::Passed => c.passed += 1,
            Status::Failed => c.failed += 1,
            Status::Skipped => c.skipped += 1,
            Status::TimedOut => c.timed_out += 1,
            Status::Errored => c.errored += 1,
        }
    }
    c
}

/// Puts `checkout` at `sha` and runs `gates` in order against it.
pub(crate) fn judge_commit(
    p: &Pipeline,
    src: &Source,
    sha: &str,
    checkout: &mut Checkout,
    gates: &[String],
    interrupt: &AtomicBool,
    reuse: Option<(&mut reuse::Reuse, Option<&str>)>,
) -> CommitResult {
    let (mut reuse, next) = match reuse {
        Some((r, next)) => (Some(r), next),
        None => (None, None),
    };
    let mut c = CommitResult {
        rev: sha.to_string(),
        sha: sha.to_string(),
        subject: String::new(),
        checkout_ms: 0,
        gates_ms: 0,
        error: None,
        cells: Vec::new(),
    };
    let t = Instant::now();
    let target = checkout.switch(src, sha);
    c.checkout_ms = t.elapsed().as_millis() as u64;
    let target = match target {
        Ok(t) => t,
        Err(e) => {
            c.error = Some(e.to_string());
            return c;
        }
    };
    let t = Instant::now();
    let pass_root = match crate::fs::resolve_inside(&target, &p.target.pass_root.to_string_lossy())
    {
        Ok(p) => p,
        Err(e) => {
            c.error = Some(e.to_string());
            return c;
        }
    };
    let mut so_far = RunSoFar {
        earlier: Vec::new(),
        selected: gates.iter().cloned().collect::<BTreeSet<_>>(),
    };
    let record = reuse
        .as_deref_mut()
        .is_some_and(|ru| next.is_some_and(|n| ru.may_reuse_between(src, sha, n)));
    for id in gates {
        if interrupt.load(Ordering::Relaxed) {
            break;
        }
        let g = &p.gates[id];
        // No verdict cache on disk: a throw-away checkout's cache would be thrown away with
        // it. Verdicts are reused from the worker's previous commit instead ([`reuse`]).
        let reused = reuse
            .as_deref_mut()
            .and_then(|ru| ru.lookup(src, g, sha, &target, &so_far));
        let mut r = match reused {
            Some(r) => r,
            None => match reuse.as_deref_mut() {
                Some(ru) if record && reuse::Reuse::may_keep(g) => {
                    let rec = crate::fs::record::Recorder::new(&target);
                    let r = crate::fs::record::scope(Some(rec.clone()), || {
                        executor::run_gate_shared(
                            p,
                            g,
                            &target,
                            &pass_root,
                            interrupt,
                            Some(&so_far),
                            None,
                            None,
                        )
                    });
                    if !interrupt.load(Ordering::Relaxed) {
                        ru.keep(g, sha, rec.finish(), &r);
                    }
                    r
                }
                other => {
                    // Nothing to keep for the next commit (it creates or deletes a path).
                    if let Some(ru) = other {
                        ru.forget(g);
                    }
                    executor::run_gate_shared(
                        p,
                        g,
                        &target,
                        &pass_root,
                        interrupt,
                        Some(&so_far),
                        None,
                        None,
                    )
                }
            },
        };
        r.slices = p.slices_of_gate(id).map(|s| s.id.clone()).collect();
        r.stage = p.slices_of_gate(id).next().map(|s| s.stage).unwrap_or(0);
        c.cells.push(Cell::of(&r));
        so_far.earlier.push(r);
    }
    c.gates_ms = t.elapsed().as_millis() as u64;
    c
}

/// For each gate: the first commit where it passed, and each commit where it stopped passing
/// after having passed at the commit before.
pub fn transitions(gates: &[String], commits: &[CommitResult]) -> Vec<Transition> {
    gates
        .iter()
        .map(|g| {
            let mut first_green = None;
            let mut red_again = Vec::new();
            let mut prev_green = false;
            for c in commits {
                let Some(cell) = c.cell(g) else {
                    prev_green = false;
                    continue;
                };
                let green = cell.status == Status::Passed;
                if green && first_green.is_none() {
                    first_green = Some(c.sha.clone());
                }
                if !green && prev_green {
                    red_again.push(c.sha.clone());
                }
                prev_green = green;
            }
            Transition {
                gate: g.clone(),
                first_green,
                red_again,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::finding::Finding;
    use std::path::Path;

    const PIPELINE: &str = r#"
[target]
repo = "."
pass_root = "pass"
[[stage]]
number = 0
title = "s"
[[slice]]
id = "stage-0"
stage = 0
title = "t"
owner = "o"
depends_on = []
gates = ["preflight", "ci-drift", "contract", "suite", "probe", "checked-suite", "set-up"]
[gate.preflight]
title = "t"
check = "preflight"
[gate.ci-drift]
title = "t"
check = "ci-drift"
[gate.contract]
title = "t"
check = "metadata-contract"
[gate.suite]
title = "t"
command = ["true"]
[gate.probe]
title = "t"
check = "route-probe"
params = { rpc_path = "/rpc/x", orpc_path = "/api/orpc/x", signing_key = "k", start = { command = ["true"] } }
[gate.checked-suite]
title = "t"
check = "harness-matrix"
command = ["true"]
report = { path = "r.json", format = "vitest-json" }
[gate.set-up]
title = "t"
check = "metadata-contract"
setup = { command = ["true"] }
"#;

    fn pipeline() -> Pipeline {
        crate::load::load_str(PIPELINE, Path::new("p.toml"), Path::new("."))
            .expect("the test pipeline loads")
    }

    #[test]
    fn the_default_selection_is_the_static_gates_of_the_commit() {
        let p = pipeline();
        assert_eq!(select_gates(&p, &[], false).unwrap(), ["contract"]);
        assert_eq!(
            select_gates(&p, &[], true).unwrap(),
            ["contract", "suite", "probe", "checked-suite", "set-up"]
        );
        // Named gates run whatever their kind, in the pipeline's order.
        let named = vec!["contract".to_string(), "preflight".to_string()];
        assert_eq!(
            select_gates(&p, &named, false).unwrap(),
            ["preflight", "contract"]
        );
        let err = select_gates(&p, &["nope".to_string()], false).unwrap_err();
        assert!(err.to_string().starts_with("unknown gate `nope`"), "{err}");
    }

    fn commit(sha: &str, statuses: &[(&str, Status)]) -> CommitResult {
        CommitResult {
            rev: sha.into(),
            sha: sha.into(),
            subject: String::new(),
            checkout_ms: 0,
            gates_ms: 0,
            error: None,
            cells: statuses
                .iter()
                .map(|(g, st)| Cell {
                    gate: g.to_string(),
                    status: *st,
                    errors: 0,
                    warnings: 0,
                    reason: None,
                    duration_ms: 0,
                    cached: false,
                    findings: Vec::new(),
                })
                .collect(),
        }
    }

    #[test]
    fn transitions_name_the_first_green_and_each_turn_to_red() {
        use Status::*;
        let commits = [
            commit("c1", &[("a", Failed), ("b", Passed)]),
            commit("c2", &[("a", Passed), ("b", Errored)]),
            commit("c3", &[("a", Failed), ("b", Passed)]),
            commit("c4", &[("a", Failed), ("b", Passed)]),
            commit("c5", &[("a", Passed), ("b", TimedOut)]),
            commit("c6", &[("a", Errored)]),
        ];
        let t = transitions(&["a".into(), "b".into(), "z".into()], &commits);
        let want = |g: &str, first: Option<&str>, red: &[&str]| Transition {
            gate: g.into(),
            first_green: first.map(str::to_string),
            red_again: red.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(
            t,
            [
                want("a", Some("c2"), &["c3", "c6"]),
                want("b", Some("c1"), &["c2", "c5"]),
                want("z", None, &[]),
            ]
        );
    }

    #[test]
    fn bisect_diffs_findings_by_file_and_message_not_line() {
        let f = |line: u32, msg: &str| Finding::error("r", "a.json", line, 1, msg);
        let good = [f(3, "x"), f(4, "y")];
        let bad = [f(5, "x"), f(6, "y"), f(7, "y"), f(8, "z")];
        let appeared = bisect::minus(&bad, &good);
        assert_eq!(appeared, [f(7, "y"), f(8, "z")]);
        assert!(bisect::minus(&good, &bad).is_empty());
    }
}

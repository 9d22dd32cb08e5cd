//! `cargo xtask history --bisect GATE GOOD BAD`: the first commit where one gate stops
//! passing, and the findings that appeared there.
//!
//! The search runs over `git rev-list --ancestry-path GOOD..BAD` (the commits that descend
//! from GOOD and lead to BAD, oldest first) instead of driving `git bisect`: `git bisect`
//! keeps its state in the repository it runs in (refs/bisect/*, BISECT_LOG) and checks each
//! step out into one work tree, so it would either write into the user's repository or need a
//! registered worktree; searching the list ourselves reuses the same throw-away checkouts as
//! the matrix, runs up to `jobs` probes at once (a k-ary search: `jobs` evenly spaced commits
//! per round), and needs no cleanup of bisect state when interrupted. Like `git bisect`, it
//! assumes the gate passes up to some commit and fails from there on; on a history with merges
//! the ancestry path is searched in topological order.
//!
//! A commit counts as bad when the gate did not pass there (failed, timed out, or could not
//! judge; the report shows which). GOOD should pass and BAD not; when it is the other way round
//! the search finds where the gate turned green instead (as `git bisect` with the terms
//! old/new). When both have the same verdict the search cannot start and says why.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

use super::checkout::{Checkout, Source, TempRoot, short};
use super::render::{cell_text, finding_line};
use super::{Cell, CommitResult, judge_commit};
use crate::error::GateError;
use crate::finding::Finding;
use crate::pipeline::Pipeline;
use crate::record::Status;

pub struct Options {
    pub repo: std::path::PathBuf,
    pub gate: String,
    pub good: String,
    pub bad: String,
    pub jobs: usize,
}

/// One judged commit of the search.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Step {
    pub sha: String,
    pub subject: String,
    pub status: Status,
    pub findings: usize,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// The outcome of a bisect.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Bisect {
    pub gate: String,
    pub good: String,
    pub bad: String,
    /// Commits on the ancestry path GOOD..BAD (BAD included, GOOD not).
    pub candidates: usize,
    /// Every judged commit, in the order they were judged.
    pub steps: Vec<Step>,
    /// `red` when the gate passes at GOOD and not at BAD (the search finds where it broke),
    /// `green` when it is the other way round (where it was fixed); absent when the search
    /// could not start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turned: Option<String>,
    /// The first commit with BAD's verdict.
    pub first: Option<Step>,
    /// The commit before it on the path (GOOD itself when `first` is the first commit).
    pub last_before: Option<Step>,
    /// Findings at `first` that `last_before` did not have.
    pub appeared: Vec<Finding>,
    /// Findings of `last_before` gone at `first`.
    pub disappeared: Vec<Finding>,
    /// Why the search could not finish, if it could not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub interrupted: bool,
    pub duration_ms: u64,
    pub exit_code: i32,
}

fn step_of(c: &CommitResult, gate: &str) -> Step {
    match c.cell(gate) {
        Some(cell) => Step {
            sha: c.sha.clone(),
            subject: c.subject.clone(),
            status: cell.status,
            findings: cell.findings.len(),
            reason: cell.reason.clone(),
        },
        None => Step {
            sha: c.sha.clone(),
            subject: c.subject.clone(),
            status: Status::Errored,
            findings: 0,
            reason: c.error.clone(),
        },
    }
}

/// A finding's identity across commits: its place by file, not by line (lines move).
fn key(f: &Finding) -> (String, String, Option<String>, String) {
    (
        f.severity.as_str().to_string(),
        f.rule.clone(),
        f.path.clone(),
        f.message.clone(),
    )
}

/// Findings of `after` that `before` lacks (as multisets).
pub(crate) fn minus(after: &[Finding], before: &[Finding]) -> Vec<Finding> {
    let mut left: HashMap<_, usize> = HashMap::new();
    for f in before {
        *left.entry(key(f)).or_default() += 1;
    }
    after
        .iter()
        .filter(|f| match left.get_mut(&key(f)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .cloned()
        .collect()
}

/// Runs the search.
pub fn run(p: &Arc<Pipeline>, opts: &Options, interrupt: &AtomicBool) -> Result<Bisect, GateError> {
    let clock = std::time::Instant::now();
    if !p.gates.contains_key(&opts.gate) {
        let known: Vec<&str> = p.gates.keys().map(String::as_str).collect();
        return Err(GateError::msg(format!(
            "unknown gate `{}` (known: {})",
            opts.gate,
            known.join(", ")
        )));
    }
    let src = Source::of(&opts.repo)?;
    let good = src.resolve(&opts.good)?;
    let bad = src.resolve(&opts.bad)?;
    let path = src.range(&good, &bad, true)?;
    if path.last() != Some(&bad) {
        return Err(GateError::msg(format!(
            "{} is not a descendant of {}: nothing to bisect between them",
            opts.bad, opts.good
        )));
    }
    let gates = vec![opts.gate.clone()];
    let root = TempRoot::create()?;
    let mut out = Bisect {
        gate: opts.gate.clone(),
        good: good.clone(),
        bad: bad.clone(),
        candidates: path.len(),
        steps: Vec::new(),
        turned: None,
        first: None,
        last_before: None,
        appeared: Vec::new(),
        disappeared: Vec::new(),
        error: None,
        interrupted: false,
        duration_ms: 0,
        exit_code: 2,
    };
    // index -1 stands for GOOD, path.len()-1 is BAD.
    let mut judged: HashMap<i64, CommitResult> = HashMap::new();
    let at = |i: i64| -> &str { if i < 0 { &good } else { &path[i as usize] } };
    let mut slots: Vec<Checkout> = Vec::new();
    let mut probe =
        |idx: &[i64], judged: &mut HashMap<i64, CommitResult>, steps: &mut Vec<Step>| {
            let shas: Vec<String> = idx.iter().map(|i| at(*i).to_string()).collect();
            let subjects = src.subjects(&shas).unwrap_or_default();
            while slots.len() < shas.len() {
                slots.push(Checkout::new(root.path().join(format!("w{}", slots.len()))));
            }
            let results: Vec<CommitResult> = std::thread::scope(|s| {
                let handles: Vec<_> = shas
                    .iter()
                    .zip(slots.iter_mut())
                    .map(|(sha, co)| {
                        let (src, gates) = (&src, &gates);
                        s.spawn(move || judge_commit(p, src, sha, co, gates, interrupt, None))
                    })
                    .collect();
                handles
                    .into_iter()
                    .map(|h| h.join().expect("a bisect probe panicked"))
                    .collect()
            });
            for (k, (i, mut c)) in idx.iter().zip(results).enumerate() {
                c.subject = subjects.get(k).cloned().unwrap_or_default();
                steps.push(step_of(&c, &opts.gate));
                judged.insert(*i, c);
            }
        };
    let passes = |c: &CommitResult| c.cell(&opts.gate).map(|x| x.status) == Some(Status::Passed);

    let last = path.len() as i64 - 1;
    let jobs = opts.jobs.max(1);
    if jobs >= 2 {
        probe(&[-1, last], &mut judged, &mut out.steps);
    } else {
        probe(&[-1], &mut judged, &mut out.steps);
        probe(&[last], &mut judged, &mut out.steps);
    }
    let finish = |mut out: Bisect, interrupted: bool| {
        out.interrupted = interrupted;
        out.duration_ms = clock.elapsed().as_millis() as u64;
        out
    };
    if interrupt.load(Ordering::Relaxed) {
        return Ok(finish(out, true));
    }
    // `same(c)`: the commit still has GOOD's verdict.
    let good_passes = passes(&judged[&-1]);
    if good_passes == passes(&judged[&last]) {
        let verdict = |i: i64| cell_text(judged[&i].cell(&opts.gate));
        out.error = Some(if good_passes {
            format!(
                "the gate passes at GOOD {} and at BAD {}: nothing turned red between them",
                short(&good),
                short(&bad)
            )
        } else {
            format!(
                "the gate does not pass at GOOD {} ({}) nor at BAD {} ({}): nothing turned red or green between them",
                short(&good),
                verdict(-1),
                short(&bad),
                verdict(last)
            )
        });
        return Ok(finish(out, false));
    }
    out.turned = Some(if good_passes { "red" } else { "green" }.to_string());
    let same = |c: &CommitResult| passes(c) == good_passes;
    let (mut lo, mut hi) = (-1i64, last);
    while hi - lo > 1 {
        if interrupt.load(Ordering::Relaxed) {
            return Ok(finish(out, true));
        }
        let gap = hi - lo;
        let k = (jobs as i64).min(gap - 1);
        let mut idx: Vec<i64> = (1..=k).map(|i| lo + gap * i / (k + 1)).collect();
        idx.dedup();
        probe(&idx, &mut judged, &mut out.steps);
        if interrupt.load(Ordering::Relaxed) {
            return Ok(finish(out, true));
        }
        // The first probe that does not pass bounds the search from above; the last passing
        // probe before it bounds it from below.
        let mut new_hi = hi;
        for i in &idx {
            if !same(&judged[i]) {
                new_hi = *i;
                break;
            }
        }
        let new_lo = idx
            .iter()
            .copied()
            .filter(|i| *i < new_hi && same(&judged[i]))
            .max()
            .unwrap_or(lo);
        lo = new_lo.max(lo);
        hi = new_hi;
    }
    drop(root);
    let bad_c = &judged[&hi];
    let good_c = &judged[&lo];
    let empty: Vec<Finding> = Vec::new();
    let findings = |c: &CommitResult| -> Vec<Finding> {
        c.cell(&opts.gate)
            .map(|x: &Cell| x.findings.clone())
            .unwrap_or_else(|| empty.clone())
    };
    out.appeared = minus(&findings(bad_c), &findings(good_c));
    out.disappeared = minus(&findings(good_c), &findings(bad_c));
    out.first = Some(step_of(bad_c, &opts.gate));
    out.last_before = Some(step_of(good_c, &opts.gate));
    out.exit_code = 0;
    Ok(finish(out, false))
}

/// The bisect report for a terminal.
pub fn text(b: &Bisect) -> String {
    let mut out = format!(
        "bisect {}: {}..{} ({} commit{} on the ancestry path, {} judged)\n",
        b.gate,
        short(&b.good),
        short(&b.bad),
        b.candidates,
        if b.candidates == 1 { "" } else { "s" },
        b.steps.len()
    );
    for s in &b.steps {
        let mut cell = status_text(s);
        if let Some(r) = &s.reason {
            cell.push_str(&format!(" ({})", r.lines().next().unwrap_or_default()));
        }
        out.push_str(&format!("  {}  {cell}\n", short(&s.sha)));
    }
    if let Some(e) = &b.error {
        out.push_str(&format!("cannot bisect: {e}\n"));
    }
    if b.interrupted {
        out.push_str("interrupted: the search did not finish\n");
    }
    if let (Some(first), Some(before)) = (&b.first, &b.last_before) {
        let (now, then) = if b.turned.as_deref() == Some("green") {
            ("green", "red")
        } else {
            ("bad", "good")
        };
        out.push_str(&format!(
            "\nfirst {now} commit: {}  {}  [{}]\n",
            short(&first.sha),
            first.subject,
            status_text(first)
        ));
        out.push_str(&format!(
            "last {then} commit: {}  {}  [{}]\n",
            short(&before.sha),
            before.subject,
            status_text(before)
        ));
        out.push_str(&format!(
            "\nfindings that appeared ({}):\n",
            b.appeared.len()
        ));
        for f in &b.appeared {
            out.push_str(&format!("  {}\n", finding_line(f)));
        }
        if !b.disappeared.is_empty() || b.turned.as_deref() == Some("green") {
            out.push_str(&format!(
                "findings that went away ({}):\n",
                b.disappeared.len()
            ));
            for f in &b.disappeared {
                out.push_str(&format!("  {}\n", finding_line(f)));
            }
        }
    }
    out
}

fn status_text(s: &Step) -> String {
    let word = match s.status {
        Status::Passed => "pass",
        Status::Failed => "fail",
        Status::Skipped => "skip",
        Status::TimedOut => "timeout",
        Status::Errored => "error",
    };
    if s.findings > 0 {
        format!("{word}({})", s.findings)
    } else {
        word.into()
    }
}

/// The bisect result as JSON (see docs/history.md).
pub fn json(b: &Bisect) -> String {
    let mut s = serde_json::to_string_pretty(b).expect("the bisect result serializes");
    s.push('\n');
    s
}

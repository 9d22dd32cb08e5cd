//! `cargo xtask bench executor`: the scheduler's overhead per gate.
//!
//! A generated pipeline of N trivial command gates (`true`) runs through the real executor in
//! two shapes: a chain (every slice depends on the previous one, so nothing overlaps and the
//! scheduler's reaction time is on the critical path) and a wide level (all slices
//! independent, run with one job per core). The cost of the work itself, spawning `true` N
//! times, is measured directly with the same process-group spawning, and subtracted; what is
//! left is the executor's own overhead per gate.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::{describe, measure, median};
use crate::load::load_str;
use crate::pipeline::{Pipeline, Selection};
use crate::process::command;
use crate::run::executor::{ExecOptions, NoopObserver, execute};

fn generate(n: usize, chain: bool, repo: &Path) -> Arc<Pipeline> {
    let mut t = format!(
        "[target]\nrepo = {:?}\npass_root = \"pass\"\n\n[[stage]]\nnumber = 0\ntitle = \"bench\"\n\n",
        repo.display().to_string()
    );
    for i in 0..n {
        let deps = if chain && i > 0 {
            format!("[\"s{}\"]", i - 1)
        } else {
            "[]".into()
        };
        t.push_str(&format!(
            "[[slice]]\nid = \"s{i}\"\nstage = 0\ntitle = \"t\"\nowner = \"o\"\ndepends_on = {deps}\ngates = [\"g{i}\"]\n\n[gate.g{i}]\ncommand = [\"true\"]\n\n"
        ));
    }
    Arc::new(
        load_str(&t, Path::new("bench.toml"), Path::new("/")).expect("generated pipeline is valid"),
    )
}

pub fn run(gates: usize, runs: usize) -> String {
    let dir = std::env::temp_dir().join(format!("rawr-gates-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let never = AtomicBool::new(false);
    let mut out = format!(
        "executor overhead: {gates} trivial gates (`true`), {runs} runs each, {cores} cores\n"
    );

    let spawn = measure(runs, || {
        for _ in 0..gates {
            let s = std::process::Command::new("true")
                .current_dir(&dir)
                .status()
                .expect("spawn true");
            assert!(s.success());
        }
    });
    out.push_str(&format!(
        "  baseline, {gates} plain spawns in sequence: {}\n",
        describe(&spawn)
    ));
    let runner = measure(runs, || {
        for _ in 0..gates {
            let r = command::run(
                &["true".to_string()],
                &dir,
                &[],
                Duration::from_secs(10),
                &never,
            )
            .expect("spawn true");
            assert!(r.success());
        }
    });
    out.push_str(&format!(
        "  command runner (group, capture, reap):  {}  → {:.3} ms/gate over plain spawns\n",
        describe(&runner),
        median(&runner).saturating_sub(median(&spawn)).as_secs_f64() * 1e3 / gates as f64
    ));

    let load = measure(runs, || {
        let _ = generate(gates, true, &dir);
    });
    out.push_str(&format!(
        "  loading + validating the pipeline:  {}\n",
        describe(&load)
    ));

    for (shape, chain, jobs) in [
        ("chain, -j 1", true, 1),
        ("chain, -j cores", true, cores),
        ("wide, -j 1", false, 1),
        ("wide, -j cores", false, cores),
    ] {
        let p = generate(gates, chain, &dir);
        let sel = Selection::all(&p);
        let opts = ExecOptions {
            all: false,
            jobs,
            keep_going: false,
            repo: dir.clone(),
        };
        let times = measure(runs, || {
            let e = execute(&p, &sel, &opts, &NoopObserver, &never);
            assert!(
                e.gates
                    .iter()
                    .all(|g| g.status == crate::record::Status::Passed)
            );
        });
        let overhead = if jobs == 1 || chain {
            median(&times).saturating_sub(median(&spawn))
        } else {
            // In parallel the work itself takes about spawn/jobs.
            median(&times).saturating_sub(median(&spawn) / jobs as u32)
        };
        out.push_str(&format!(
            "  {shape:<16} total {}  → overhead {:.3} ms/gate\n",
            describe(&times),
            overhead.as_secs_f64() * 1e3 / gates as f64
        ));
    }
    let _ = std::fs::remove_dir_all(&dir);
    out
}

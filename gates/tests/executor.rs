//! The DAG executor, driven through command gates in a temporary target repository.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use gates::load::load_str;
use gates::pipeline::select::{SelectArgs, select};
use gates::pipeline::{Pipeline, Selection};
use gates::run::executor::{ExecOptions, NoopObserver, execute};
use gates::run::{Counts, GateResult, Status};

/// A pipeline with one stage; `slices` are `(id, depends_on, gates)`, `gates` are `(id, argv, timeout)`.
fn pipeline(
    repo: &Path,
    slices: &[(&str, &[&str], &[&str])],
    gates: &[(&str, &[&str], &str)],
) -> Arc<Pipeline> {
    let mut t = format!(
        "[target]\nrepo = {:?}\npass_root = \"pass\"\n\n[[stage]]\nnumber = 0\ntitle = \"s\"\n\n",
        repo.display().to_string()
    );
    for (id, deps, gs) in slices {
        t.push_str(&format!(
            "[[slice]]\nid = \"{id}\"\nstage = 0\ntitle = \"t\"\nowner = \"o\"\ndepends_on = {deps:?}\ngates = {gs:?}\n\n"
        ));
    }
    for (id, argv, timeout) in gates {
        t.push_str(&format!(
            "[gate.{id}]\ncommand = {argv:?}\ntimeout = \"{timeout}\"\n\n"
        ));
    }
    Arc::new(load_str(&t, Path::new("test.toml"), Path::new("/")).expect("valid test pipeline"))
}

fn run(
    p: &Arc<Pipeline>,
    repo: &Path,
    sel: &Selection,
    jobs: usize,
    keep_going: bool,
) -> Vec<GateResult> {
    let opts = ExecOptions {
        jobs,
        keep_going,
        all: false,
        repo: repo.to_path_buf(),
    };
    execute(p, sel, &opts, &NoopObserver, &AtomicBool::new(false)).gates
}

fn status<'a>(gates: &'a [GateResult], id: &str) -> &'a GateResult {
    gates
        .iter()
        .find(|g| g.id == id)
        .unwrap_or_else(|| panic!("no gate {id}"))
}

const SH: &str = "sh";

#[test]
fn gates_really_run_in_parallel() {
    // Each gate announces it started, then waits for the other to start. Run one at a time
    // they deadlock until the timeout; run in parallel they both pass at once.
    let d = tempfile::tempdir().unwrap();
    let a = "touch a.started; while [ ! -f b.started ]; do sleep 0.01; done";
    let b = "touch b.started; while [ ! -f a.started ]; do sleep 0.01; done";
    let p = pipeline(
        d.path(),
        &[("S", &[], &["a", "b"])],
        &[("a", &[SH, "-c", a], "3s"), ("b", &[SH, "-c", b], "3s")],
    );
    let sel = Selection::all(&p);
    let t = Instant::now();
    let r = run(&p, d.path(), &sel, 2, false);
    assert_eq!(status(&r, "a").status, Status::Passed);
    assert_eq!(status(&r, "b").status, Status::Passed);
    assert!(
        t.elapsed() < Duration::from_secs(3),
        "parallel run took {:?}",
        t.elapsed()
    );

    let d = tempfile::tempdir().unwrap();
    let p = pipeline(
        d.path(),
        &[("S", &[], &["a", "b"])],
        &[("a", &[SH, "-c", a], "1s"), ("b", &[SH, "-c", b], "1s")],
    );
    let r = run(&p, d.path(), &Selection::all(&p), 1, true);
    assert_eq!(
        status(&r, "a").status,
        Status::TimedOut,
        "serially, the first gate waits forever"
    );
}

#[test]
fn dependents_of_a_failure_are_skipped_with_the_root_cause() {
    let d = tempfile::tempdir().unwrap();
    let p = pipeline(
        d.path(),
        &[
            ("S", &[], &["ok"]),
            ("A", &["S"], &["bad"]),
            ("B", &["A"], &["after"]),
            ("C", &["S"], &["indep"]),
        ],
        &[
            ("ok", &["true"], "5s"),
            ("bad", &["false"], "5s"),
            ("after", &["true"], "5s"),
            ("indep", &["true"], "5s"),
        ],
    );
    // Without --keep-going, one job: `bad` runs first (file order), then the run stops.
    let r = run(&p, d.path(), &Selection::all(&p), 1, false);
    assert_eq!(status(&r, "bad").status, Status::Failed);
    assert_eq!(status(&r, "bad").findings[0].rule, "command-failed");
    let after = status(&r, "after");
    assert_eq!(after.status, Status::Skipped);
    assert_eq!(
        after.reason.as_deref(),
        Some("slice B is blocked by A: gate `bad` failed in A")
    );
    let indep = status(&r, "indep");
    assert_eq!(indep.status, Status::Skipped);
    assert_eq!(
        indep.reason.as_deref(),
        Some(
            "not run: the run stopped after gate `bad` failed (pass --keep-going to run independent gates)"
        )
    );
    let c = Counts::of(&r);
    assert_eq!((c.planned, c.passed, c.failed, c.skipped), (4, 1, 1, 2));
    assert_eq!(c.exit_code(false), 1);

    // With --keep-going the independent slice still runs; the dependent is still skipped.
    let r = run(&p, d.path(), &Selection::all(&p), 1, true);
    assert_eq!(status(&r, "indep").status, Status::Passed);
    assert_eq!(status(&r, "after").status, Status::Skipped);
    let c = Counts::of(&r);
    assert_eq!(
        c.planned,
        c.passed + c.failed + c.skipped + c.timed_out + c.errored
    );
}

#[test]
fn a_slice_starts_only_after_its_dependencies_are_green() {
    let d = tempfile::tempdir().unwrap();
    // `second` fails unless `first` has finished writing its marker.
    let p = pipeline(
        d.path(),
        &[("S", &[], &["first"]), ("T", &["S"], &["second"])],
        &[
            ("first", &[SH, "-c", "sleep 0.3; touch first.done"], "5s"),
            ("second", &["test", "-f", "first.done"], "5s"),
        ],
    );
    let r = run(&p, d.path(), &Selection::all(&p), 4, false);
    assert_eq!(status(&r, "second").status, Status::Passed);
}

#[test]
fn a_gate_shared_by_slices_runs_once() {
    let d = tempfile::tempdir().unwrap();
    let p = pipeline(
        d.path(),
        &[("S", &[], &["shared"]), ("T", &["S"], &["other", "shared"])],
        &[
            ("shared", &[SH, "-c", "echo run >> shared.log"], "5s"),
            ("other", &["true"], "5s"),
        ],
    );
    let r = run(&p, d.path(), &Selection::all(&p), 2, false);
    assert_eq!(r.len(), 2);
    assert_eq!(status(&r, "shared").slices, ["S", "T"]);
    assert_eq!(
        std::fs::read_to_string(d.path().join("shared.log")).unwrap(),
        "run\n"
    );
}

fn pid_alive(pid: &str) -> bool {
    std::process::Command::new("kill")
        .args(["-0", pid.trim()])
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn wait_gone(pid: &str) -> bool {
    // The group was sent SIGKILL; give the kernel a moment to reap.
    for _ in 0..100 {
        if !pid_alive(pid) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn a_timeout_kills_the_whole_process_group() {
    let d = tempfile::tempdir().unwrap();
    let script = "sleep 300 & echo $! > grandchild.pid; sleep 300";
    let p = pipeline(
        d.path(),
        &[("S", &[], &["slow"])],
        &[("slow", &[SH, "-c", script], "1s")],
    );
    let t = Instant::now();
    let r = run(&p, d.path(), &Selection::all(&p), 1, false);
    let g = status(&r, "slow");
    assert_eq!(g.status, Status::TimedOut);
    assert!(
        g.reason
            .as_deref()
            .unwrap()
            .contains("did not finish within 1s"),
        "{:?}",
        g.reason
    );
    assert!(t.elapsed() < Duration::from_secs(10));
    let pid = std::fs::read_to_string(d.path().join("grandchild.pid")).unwrap();
    assert!(wait_gone(&pid), "grandchild {pid} survived the timeout");
    assert_eq!(Counts::of(&r).exit_code(false), 1);
}

#[test]
fn a_command_that_exits_leaves_no_grandchild_behind() {
    let d = tempfile::tempdir().unwrap();
    let script = "sleep 300 > /dev/null 2>&1 & echo $! > grandchild.pid; exit 0";
    let p = pipeline(
        d.path(),
        &[("S", &[], &["quick"])],
        &[("quick", &[SH, "-c", script], "10s")],
    );
    let r = run(&p, d.path(), &Selection::all(&p), 1, false);
    assert_eq!(status(&r, "quick").status, Status::Passed);
    let pid = std::fs::read_to_string(d.path().join("grandchild.pid")).unwrap();
    assert!(wait_gone(&pid), "grandchild {pid} outlived its gate");
}

#[test]
fn a_process_that_leaves_the_group_holding_stdout_does_not_hang_the_gate() {
    let d = tempfile::tempdir().unwrap();
    // `setsid` puts the sleeper in a new session, out of reach of the group kill, with the
    // gate's stdout and stderr still open: reading to end-of-file would wait 30 s.
    let script = "setsid sleep 30 & echo $! > daemon.pid; echo started; exit 0";
    let p = pipeline(
        d.path(),
        &[("S", &[], &["daemon"])],
        &[("daemon", &[SH, "-c", script], "20s")],
    );
    let t = Instant::now();
    let r = run(&p, d.path(), &Selection::all(&p), 1, false);
    let took = t.elapsed();
    let pid = std::fs::read_to_string(d.path().join("daemon.pid")).unwrap();
    // On Linux the sleeper is ended with the gate (see `process::tree`).
    let left = pid_alive(&pid);
    let _ = std::process::Command::new("kill").arg(pid.trim()).status();
    assert_eq!(status(&r, "daemon").status, Status::Passed);
    assert!(took < Duration::from_secs(15), "the gate took {took:?}");
    if cfg!(target_os = "linux") {
        assert!(!left, "the setsid sleeper {pid} outlived its gate");
    }
}

/// A daemon as a test suite may start one: out of the group (`setsid`), deaf to SIGTERM,
/// holding the gate's output open. The command waits until it is set up (its pid written).
#[cfg(target_os = "linux")]
const DAEMON: &str = "setsid sh -c \"trap '' TERM; echo \\$\\$ > daemon.pid.tmp; mv daemon.pid.tmp daemon.pid; exec sleep 307\" & while [ ! -f daemon.pid ]; do sleep 0.01; done; echo started";

#[cfg(target_os = "linux")]
#[test]
fn a_daemon_that_left_the_group_and_ignores_sigterm_ends_with_the_gate() {
    // Passing, five times over (ending it used to depend on timing), failing, timing out.
    for (then, timeout, expected) in [
        ("exit 0", "20s", Status::Passed),
        ("exit 0", "20s", Status::Passed),
        ("exit 0", "20s", Status::Passed),
        ("exit 0", "20s", Status::Passed),
        ("exit 0", "20s", Status::Passed),
        ("exit 3", "20s", Status::Failed),
        ("sleep 300", "1s", Status::TimedOut),
    ] {
        let d = tempfile::tempdir().unwrap();
        let script = format!("{DAEMON}; {then}");
        let p = pipeline(
            d.path(),
            &[("S", &[], &["daemon"])],
            &[("daemon", &[SH, "-c", &script], timeout)],
        );
        let t = Instant::now();
        let r = run(&p, d.path(), &Selection::all(&p), 1, false);
        let pid = std::fs::read_to_string(d.path().join("daemon.pid")).unwrap();
        // Gone when the run returns: no waiting.
        let left = pid_alive(&pid);
        if left {
            let _ = std::process::Command::new("kill")
                .args(["-9", pid.trim()])
                .status();
        }
        assert!(!left, "{then}: the daemon {} outlived its gate", pid.trim());
        assert_eq!(status(&r, "daemon").status, expected, "{then}");
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "{then}: took {:?}",
            t.elapsed()
        );
        // Nothing held the output open past the command.
        let g = status(&r, "daemon");
        assert!(!g.output.contains("output still open"), "{}", g.output);
    }
}

/// Workers that exited after their parent (zombies in the command's group, re-parented to
/// the tool) are reaped at once: they do not keep the group looking alive.
#[test]
fn zombies_left_in_the_group_do_not_hold_the_gate() {
    let d = tempfile::tempdir().unwrap();
    let script = "sh -c 'sleep 0.1 & exec sleep 0.3' & exec sleep 0.5";
    let p = pipeline(
        d.path(),
        &[("S", &[], &["workers"])],
        &[("workers", &[SH, "-c", script], "20s")],
    );
    let t = Instant::now();
    let r = run(&p, d.path(), &Selection::all(&p), 1, false);
    assert_eq!(status(&r, "workers").status, Status::Passed);
    assert!(
        t.elapsed() < Duration::from_millis(2500),
        "took {:?}",
        t.elapsed()
    );
}

#[test]
fn a_command_that_cannot_start_is_errored() {
    let d = tempfile::tempdir().unwrap();
    let p = pipeline(
        d.path(),
        &[("S", &[], &["nope"])],
        &[("nope", &["./no-such-program"], "5s")],
    );
    let r = run(&p, d.path(), &Selection::all(&p), 1, false);
    let g = status(&r, "nope");
    assert_eq!(g.status, Status::Errored);
    assert!(
        g.reason
            .as_deref()
            .unwrap()
            .starts_with("cannot start `./no-such-program`"),
        "{:?}",
        g.reason
    );
    assert_eq!(Counts::of(&r).exit_code(false), 2);
}

#[test]
fn interrupting_cancels_running_gates_and_skips_the_rest() {
    let d = tempfile::tempdir().unwrap();
    let p = pipeline(
        d.path(),
        &[("S", &[], &["long"]), ("T", &["S"], &["later"])],
        &[
            (
                "long",
                &[SH, "-c", "sleep 300 & echo $! > gc.pid; sleep 300"],
                "60s",
            ),
            ("later", &["true"], "5s"),
        ],
    );
    let flag = Arc::new(AtomicBool::new(false));
    let f = flag.clone();
    let repo = d.path().to_path_buf();
    let pid_file = repo.join("gc.pid");
    std::thread::spawn(move || {
        while !pid_file.exists() {
            std::thread::sleep(Duration::from_millis(10));
        }
        f.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    let opts = ExecOptions {
        jobs: 2,
        keep_going: false,
        all: false,
        repo: repo.clone(),
    };
    let e = execute(&p, &Selection::all(&p), &opts, &NoopObserver, &flag);
    assert!(e.interrupted);
    assert_eq!(status(&e.gates, "long").status, Status::Errored);
    assert_eq!(status(&e.gates, "later").status, Status::Skipped);
    let pid = std::fs::read_to_string(repo.join("gc.pid")).unwrap();
    assert!(wait_gone(&pid));
    assert_eq!(Counts::of(&e.gates).exit_code(e.interrupted), 2);
}

#[test]
fn selection_by_stage_only_and_from() {
    let d = tempfile::tempdir().unwrap();
    let p = pipeline(
        d.path(),
        &[
            ("S", &[], &["g1"]),
            ("A", &["S"], &["g2", "g3"]),
            ("B", &["A"], &["g4"]),
            ("C", &["S"], &["g5"]),
        ],
        &[
            ("g1", &["true"], "5s"),
            ("g2", &["true"], "5s"),
            ("g3", &["true"], "5s"),
            ("g4", &["true"], "5s"),
            ("g5", &["true"], "5s"),
        ],
    );
    let ids = |a: SelectArgs| {
        let s = select(&p, &a).unwrap();
        s.slices
            .iter()
            .map(|(s, g)| format!("{s}:{}", g.join("+")))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(SelectArgs {
            from: Some("A".into()),
            ..Default::default()
        }),
        ["A:g2+g3", "B:g4"]
    );
    assert_eq!(
        ids(SelectArgs {
            only: vec!["g3".into(), "C".into()],
            ..Default::default()
        }),
        ["A:g3", "C:g5"]
    );
    assert_eq!(
        ids(SelectArgs {
            from: Some("g4".into()),
            ..Default::default()
        }),
        ["B:g4"]
    );
    let e = select(
        &p,
        &SelectArgs {
            only: vec!["zz".into()],
            ..Default::default()
        },
    )
    .unwrap_err();
    assert!(e.starts_with("unknown slice or gate id `zz`"), "{e}");
    let e = select(
        &p,
        &SelectArgs {
            stages: vec![7],
            ..Default::default()
        },
    )
    .unwrap_err();
    assert_eq!(e, "unknown stage 7 (known: 0)");

    // Dependencies outside the selection are taken as passed: B runs alone.
    let sel = select(
        &p,
        &SelectArgs {
            only: vec!["B".into()],
            ..Default::default()
        },
    )
    .unwrap();
    let r = run(&p, d.path(), &sel, 1, false);
    assert_eq!(r.len(), 1);
    assert_eq!(status(&r, "g4").status, Status::Passed);
}

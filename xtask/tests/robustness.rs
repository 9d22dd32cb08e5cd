//! Bad input never hangs, panics, clobbers or leaves processes behind: FIFOs where files are
//! expected, output paths that are not regular files, closed and full stdout, a killed run,
//! unusable targets, control characters from the target, and the exit code of each case.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::support;

use support::{workspace, xtask};

/// Runs `cmd`; fails the test (killing the process) if it has not ended within `limit`.
fn run_within(mut cmd: Command, limit: Duration) -> (Output, Duration) {
    let start = Instant::now();
    let child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => (out.unwrap(), start.elapsed()),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(pid.to_string()).status();
            panic!("the command did not end within {limit:?}: {cmd:?}");
        }
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A copy of the example target (without installed dependencies or run state).
fn example_copy(dir: &Path) -> PathBuf {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let name = e.file_name();
            if name == "node_modules" || name == ".rawr-gates" {
                continue;
            }
            let ft = e.file_type().unwrap();
            if ft.is_dir() {
                copy(&e.path(), &to.join(&name));
            } else if ft.is_file() {
                std::fs::copy(e.path(), to.join(&name)).unwrap();
            }
        }
    }
    let repo = dir.join("hq");
    copy(&workspace().join("examples/hq"), &repo);
    repo
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    let _ = std::fs::remove_file(path);
    let ok = Command::new("mkfifo").arg(path).status().unwrap().success();
    assert!(ok, "mkfifo {}", path.display());
}

/// A workspace with its own pipeline (one stage, one slice, the given gates) and a target
/// `repo/` holding a package.json.
struct Ws {
    dir: tempfile::TempDir,
}

impl Ws {
    fn new(gates: &str) -> Ws {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("ci")).unwrap();
        std::fs::create_dir_all(dir.path().join("repo/pass")).unwrap();
        std::fs::write(dir.path().join("repo/package.json"), "{\"name\":\"t\"}\n").unwrap();
        let ids: Vec<String> = gates
            .lines()
            .filter_map(|l| l.strip_prefix("[gate."))
            .map(|l| format!("\"{}\"", l.trim_end_matches(']')))
            .collect();
        let text = format!(
            "[target]\nrepo = \"repo\"\npass_root = \"pass\"\n\n[documents]\nreport = \"REPORT.md\"\nhandoff = \"HANDOFF.md\"\ncleanup = {{ file = \"CLEANUP.md\" }}\n\n[[stage]]\nnumber = 0\ntitle = \"t\"\n\n[[slice]]\nid = \"S0\"\nstage = 0\ntitle = \"t\"\nowner = \"o\"\ngates = [{}]\n\n{gates}",
            ids.join(", ")
        );
        std::fs::write(dir.path().join("ci/phase-a.toml"), text).unwrap();
        Ws { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn repo(&self) -> PathBuf {
        self.root().join("repo")
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = xtask();
        c.arg("--pipeline")
            .arg(self.root().join("ci/phase-a.toml"))
            .args(args);
        c
    }
}

const TOUCH_GATE: &str = "[gate.touch]\ncommand = [\"sh\", \"-c\", \"touch ran\"]\n";

// ---- 1. a FIFO where a file is expected -------------------------------------------

#[cfg(unix)]
#[test]
fn a_fifo_among_the_target_files_is_refused_at_once() {
    for (gate, rel, rule) in [
        (
            "metadata-contract",
            "plugins/api/status/package.json",
            "manifest-unreadable",
        ),
        (
            "legacy-metadata-guard",
            "packages/hq/src/workspace/plugins.ts",
            "unreadable-file",
        ),
        ("manifest-smoke", "rawr.hq.ts", "unreadable-file"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let repo = example_copy(dir.path());
        mkfifo(&repo.join(rel));
        let mut c = xtask();
        c.args(["gate", gate, "--repo"]).arg(&repo);
        let (out, took) = run_within(c, Duration::from_secs(20));
        assert!(took < Duration::from_secs(1), "{gate}: took {took:?}");
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(1), "{gate}: {stdout}");
        assert!(
            stdout.contains(&format!(
                "{rel}: [{rule}] {rel} is a FIFO (named pipe), not a regular file"
            )),
            "{gate}: {stdout}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_as_pipeline_or_runbook_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("phase-a.toml");
    mkfifo(&fifo);
    let mut c = xtask();
    c.arg("--pipeline").arg(&fifo).arg("list");
    let (out, took) = run_within(c, Duration::from_secs(20));
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: {}: cannot read the pipeline file: is a FIFO (named pipe), not a regular file\n",
            fifo.display()
        )
    );

    let repo = example_copy(dir.path());
    let mut c = xtask();
    c.args(["artifacts", "init", "--runbook"])
        .arg(&fifo)
        .arg("--repo")
        .arg(&repo);
    let (out, took) = run_within(c, Duration::from_secs(20));
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: {}: is a FIFO (named pipe), not a regular file\n",
            fifo.display()
        )
    );
}

#[test]
fn errors_print_the_os_error_once_and_say_what_to_do() {
    let mut c = xtask();
    c.args(["--pipeline", "no/such/phase-a.toml", "list"]);
    let (out, _) = run_within(c, Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: no/such/phase-a.toml: cannot read the pipeline file: No such file or directory (os error 2)\n"
    );

    let ws = Ws::new(TOUCH_GATE);
    let (out, _) = run_within(ws.cmd(&["report"]), Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.ends_with(
            "last-run.json: no run recorded for this target yet; run the pipeline (`cargo xtask run`, with the same --repo) first\n"
        ),
        "{stderr}"
    );
    // The state directory being a file: the OS error once.
    let state = gates::artifacts::state_dir(&ws.repo());
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    let _ = std::fs::remove_dir_all(&state);
    std::fs::write(&state, "").unwrap();
    let (out, _) = run_within(ws.cmd(&["report"]), Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert_eq!(stderr.matches("os error").count(), 1, "{stderr}");
    assert!(stderr.contains("Not a directory (os error 20)"), "{stderr}");
    std::fs::remove_file(&state).unwrap();
}

// ---- 2. output files ------------------------------------------------------------

#[test]
fn an_output_path_that_is_a_directory_is_refused_before_any_gate_runs() {
    let ws = Ws::new(TOUCH_GATE);
    let out_dir = ws.root().join("reports");
    std::fs::create_dir(&out_dir).unwrap();
    for args in [
        vec!["phase-a", "--sarif"],
        vec!["phase-a", "--junit"],
        vec!["gate", "touch", "--sarif"],
    ] {
        let mut c = ws.cmd(&args);
        c.arg(&out_dir);
        let (out, _) = run_within(c, Duration::from_secs(20));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let flag = args.last().unwrap();
        assert_eq!(
            text(&out.stderr),
            format!(
                "error: {flag} {}: is a directory; an output file must be a regular file or a path that does not exist yet\n",
                out_dir.display()
            )
        );
        assert!(!ws.repo().join("ran").exists(), "{args:?}: a gate ran");
        assert!(out_dir.is_dir());
    }
}

#[cfg(unix)]
#[test]
fn a_fifo_or_a_device_as_output_is_refused_and_left_alone() {
    use std::os::unix::fs::FileTypeExt;
    let ws = Ws::new(TOUCH_GATE);
    let fifo = ws.root().join("out.xml");
    mkfifo(&fifo);
    let mut c = ws.cmd(&["phase-a", "--junit"]);
    c.arg(&fifo);
    let (out, took) = run_within(c, Duration::from_secs(20));
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("is a FIFO (named pipe); an output file must be"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        std::fs::symlink_metadata(&fifo)
            .unwrap()
            .file_type()
            .is_fifo()
    );
    // A character device (here through a link, so nothing real is at stake): refused, the
    // device is still a device.
    let dev = ws.root().join("dev.sarif");
    std::os::unix::fs::symlink("/dev/null", &dev).unwrap();
    let mut c = ws.cmd(&["gate", "touch", "--sarif"]);
    c.arg(&dev);
    let (out, _) = run_within(c, Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains(
            "is a character device (through a symbolic link to /dev/null); an output file must be"
        ),
        "{}",
        text(&out.stderr)
    );
    assert!(
        std::fs::metadata("/dev/null")
            .unwrap()
            .file_type()
            .is_char_device()
    );
    assert!(!ws.repo().join("ran").exists());
}

#[cfg(unix)]
#[test]
fn a_symlinked_output_is_written_through() {
    let ws = Ws::new(TOUCH_GATE);
    let real = ws.root().join("real.xml");
    std::fs::write(&real, "old").unwrap();
    let link = ws.root().join("junit.xml");
    std::os::unix::fs::symlink("real.xml", &link).unwrap();
    let mut c = ws.cmd(&["phase-a", "--junit"]);
    c.arg(&link);
    let (out, _) = run_within(c, Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        std::fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert!(
        std::fs::read_to_string(&real)
            .unwrap()
            .contains("<testsuites")
    );
}

#[test]
fn the_summary_is_printed_when_a_report_cannot_be_written() {
    // The gate itself puts a directory where the report goes, after the early check.
    let ws = Ws::new("[gate.squat]\ncommand = [\"mkdir\", \"out.xml\"]\n");
    let target = ws.repo().join("out.xml");
    let mut c = ws.cmd(&["phase-a", "--junit"]);
    c.arg(&target);
    let (out, _) = run_within(c, Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(2));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("1 planned = 1 passed + 0 failed"),
        "{stdout}"
    );
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "error: cannot write --junit {}: is a directory;",
            target.display()
        )),
        "{stderr}"
    );
}

// ---- 3. closed and full stdout ---------------------------------------------------

/// Runs `cmd` with stdout a pipe whose reading end is already closed.
fn into_closed_pipe(mut cmd: Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    Output {
        status,
        stdout: Vec::new(),
        stderr: stderr.into_bytes(),
    }
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    let ws = Ws::new(TOUCH_GATE);
    for args in [
        vec!["phase-a"],
        vec!["phase-a", "--format", "json"],
        vec!["plan", "--format", "json"],
        vec!["list"],
        vec!["gate", "touch"],
    ] {
        let out = into_closed_pipe(ws.cmd(&args));
        let stderr = text(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(!stderr.contains("error"), "{args:?}: {stderr}");
        // The verdict stays the exit code.
        assert_eq!(out.status.code(), Some(0), "{args:?}: {stderr}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_failed_write_of_the_main_output_is_exit_2() {
    let ws = Ws::new(TOUCH_GATE);
    for args in [
        vec!["plan", "--format", "json"],
        vec!["phase-a"],
        vec!["gate", "touch"],
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = ws
            .cmd(&args)
            .stdout(Stdio::from(full))
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(
            text(&out.stderr).lines().last(),
            Some("error: cannot write the output to stdout: No space left on device (os error 28)"),
            "{args:?}"
        );
    }
}

// ---- 4. a killed run leaves nothing behind ---------------------------------------

/// Processes whose working directory is `dir` (or below it).
#[cfg(target_os = "linux")]
fn processes_in(dir: &Path) -> Vec<u32> {
    let dir = std::fs::canonicalize(dir).unwrap();
    let mut pids = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        if let Ok(cwd) = std::fs::read_link(e.path().join("cwd"))
            && cwd.starts_with(&dir)
        {
            pids.push(pid);
        }
    }
    pids
}

#[cfg(target_os = "linux")]
#[test]
fn a_sigkilled_run_leaves_no_process_behind() {
    let ws = Ws::new(
        "[gate.long]\ncommand = [\"sh\", \"-c\", \"sleep 300 & sleep 300; wait\"]\ntimeout = \"10m\"\n",
    );
    let mut child = ws
        .cmd(&["phase-a"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait for the gate's shell and its two sleeps (a child and a grandchild of the tool).
    let deadline = Instant::now() + Duration::from_secs(30);
    while processes_in(&ws.repo()).len() < 3 {
        assert!(
            Instant::now() < deadline,
            "the gate's processes never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL: the tool runs no code of its own.
    child.wait().unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = processes_in(&ws.repo());
        if left.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "processes left behind: {left:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

// ---- 5. exit codes -----------------------------------------------------------------

#[test]
fn could_not_judge_is_exit_2() {
    // A garbage report named with --report.
    let dir = tempfile::tempdir().unwrap();
    let repo = example_copy(dir.path());
    let garbage = dir.path().join("report.json");
    std::fs::write(&garbage, "{ not json").unwrap();
    let mut c = xtask();
    c.args(["gate", "harness-matrix", "--repo"])
        .arg(&repo)
        .arg("--report")
        .arg(&garbage);
    let (out, _) = run_within(c, Duration::from_secs(30));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(stdout.starts_with("ERR  harness-matrix"), "{stdout}");
    assert!(stdout.contains("could not judge:"), "{stdout}");
    // A --report file that does not exist.
    let mut c = xtask();
    c.args(["gate", "harness-matrix", "--repo"])
        .arg(&repo)
        .arg("--report")
        .arg(dir.path().join("none.json"));
    let (out, _) = run_within(c, Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));

    // A setup step that fails: the gate's own check never ran.
    let ws =
        Ws::new("[gate.needs-setup]\ncommand = [\"true\"]\nsetup = { command = [\"false\"] }\n");
    let (out, _) = run_within(ws.cmd(&["phase-a"]), Duration::from_secs(30));
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout
            .contains("ERR  needs-setup [S0]: could not judge: setup `false` exited with status 1"),
        "{stdout}"
    );
}

#[test]
fn unusable_targets_are_refused() {
    let ws = Ws::new(TOUCH_GATE);
    let (out, _) = run_within(ws.cmd(&["phase-a", "--repo", "/"]), Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: the target repository / is the filesystem root; name the monorepo's root directory with --repo DIR\n"
    );
    let bare = ws.root().join("bare");
    std::fs::create_dir(&bare).unwrap();
    for args in [vec!["phase-a"], vec!["gate", "touch"], vec!["report"]] {
        let mut c = ws.cmd(&args);
        c.arg("--repo").arg(&bare);
        let (out, _) = run_within(c, Duration::from_secs(20));
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            text(&out.stderr).ends_with(
                "has no package.json: it is not the root of a RAWR HQ monorepo (name that root with --repo DIR)\n"
            ),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
    assert!(!bare.join(".rawr-gates").exists());
}

// ---- 8. control characters from the target -------------------------------------

#[test]
fn control_characters_from_the_target_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let repo = example_copy(dir.path());
    std::fs::write(
        repo.join("plugins/api/status/package.json"),
        "{\"name\": \"@rawr/status\", \"rawr\": {\"kind\": \"\\u001b]0;owned\\u0007\\u001b[2J\\rapi\", \"capability\": \"status\"}}\n",
    )
    .unwrap();
    let mut c = xtask();
    c.args(["gate", "metadata-contract", "--repo"]).arg(&repo);
    let (out, _) = run_within(c, Duration::from_secs(20));
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        !stdout.bytes().any(|b| b == 0x1b || b == b'\r' || b == 0x07),
        "{stdout:?}"
    );
    assert!(stdout.contains(r"\x1b]0;owned\x07\x1b[2J\rapi"), "{stdout}");
}

// ---- 5. one rule for every command ------------------------------------------------

#[test]
fn every_command_follows_the_exit_code_rule() {
    let ws = Ws::new(
        "[gate.touch]\ncommand = [\"sh\", \"-c\", \"touch ran\"]\n\n[gate.fails]\ncommand = [\"false\"]\n",
    );
    let broken = Ws::new("[gate.touch]\ncommand = []\n");
    let code = |ws: &Ws, args: &[&str]| {
        let (out, _) = run_within(ws.cmd(args), Duration::from_secs(60));
        out.status.code()
    };
    let cases: &[(&Ws, &[&str], i32)] = &[
        (&ws, &["report"], 2), // no run yet
        (&ws, &["phase-a", "--only", "touch"], 0),
        (&ws, &["report"], 0), // now there is a run to report on
        (&ws, &["phase-a"], 1),
        (&ws, &["phase-a", "--only", "nope"], 2),
        (&ws, &["gate", "touch"], 0),
        (&ws, &["gate", "fails"], 1),
        (&ws, &["gate", "nope"], 2),
        (&ws, &["plan"], 0),
        (&broken, &["plan"], 2),
        (&ws, &["list"], 0),
        (&broken, &["list"], 2),
        (&ws, &["artifacts", "check"], 2), // the pipeline has no such gates
        (&ws, &["cleanup", "check"], 2),
        (&ws, &["cleanup", "plan"], 0), // the default cleanup configuration
        (&ws, &["ci", "check"], 1),     // the workflow is missing: drift
        (&ws, &["ci", "render"], 0),
        (&ws, &["ci", "check"], 0),
        (&broken, &["ci", "render"], 2),
        (&ws, &["fuzz", "no-such-target"], 2),
        (&ws, &["no-such-command"], 2),
    ];
    for (w, args, want) in cases {
        assert_eq!(code(w, args), Some(*want), "{args:?}");
    }
}

/// Without a terminal a command gate is not silent: a line when it starts, naming its
/// command, and one per period while it runs (`RAWR_GATES_PROGRESS_EVERY`, default 10 s).
#[test]
fn a_command_gate_without_a_terminal_says_it_runs_and_is_still_running() {
    let ws = Ws::new("[gate.slow]\ncommand = [\"sleep\", \"2.5\"]\n");
    let mut c = ws.cmd(&["gate", "slow", "--repo"]);
    c.arg(ws.repo()).env("RAWR_GATES_PROGRESS_EVERY", "1");
    let (out, _) = run_within(c, Duration::from_secs(30));
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        text(&out.stderr),
        "running slow: sleep 2.5\n  ... slow still running (1s)\n  ... slow still running (2s)\n"
    );
}

//! Every process a gate starts ends with the gate, a `setsid` daemon that ignores SIGTERM
//! included, whichever way the gate or the run ends (pass, timeout, SIGTERM, SIGHUP, Ctrl-C,
//! `kill -9` of the tool); and SIGTERM and SIGHUP end a run as Ctrl-C does: exit 2, the
//! summary, the record marked interrupted, the JUnit and SARIF files.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::CommandCargoExt;

/// A daemon as a test suite may start one: out of the group and the session (`setsid`),
/// deaf to SIGTERM, holding the gate's output open, sleeping for a duration no other test
/// uses. The command goes on once the daemon is set up (its pid file written).
const DAEMON: &str = r#"setsid sh -c "trap '' TERM; echo \$\$ > daemon.pid.tmp; mv daemon.pid.tmp daemon.pid; exec sleep 307" & while [ ! -f daemon.pid ]; do sleep 0.01; done; echo started"#;

/// A workspace: `ci/phase-a.toml` with the gate `daemon` (slice S0) and the gate `later`
/// (slice S1, after it), and the target `repo/`.
struct Ws {
    dir: tempfile::TempDir,
}

impl Ws {
    /// `then`: what the gate's shell does once the daemon is up.
    fn new(then: &str, timeout: &str) -> Ws {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("ci")).unwrap();
        std::fs::create_dir_all(dir.path().join("repo/pass")).unwrap();
        std::fs::write(dir.path().join("repo/package.json"), "{\"name\":\"t\"}\n").unwrap();
        let command = toml_string(&format!("{DAEMON}; {then}"));
        let text = format!(
            "[target]\nrepo = \"repo\"\npass_root = \"pass\"\n\n\
             [[stage]]\nnumber = 0\ntitle = \"Work\"\n\n\
             [[slice]]\nid = \"S0\"\nstage = 0\ntitle = \"daemon\"\nowner = \"o\"\ngates = [\"daemon\"]\n\n\
             [[slice]]\nid = \"S1\"\nstage = 0\ntitle = \"later\"\nowner = \"o\"\ndepends_on = [\"S0\"]\ngates = [\"later\"]\n\n\
             [gate.daemon]\ncommand = [\"sh\", \"-c\", {command}]\ntimeout = \"{timeout}\"\n\n\
             [gate.later]\ncommand = [\"true\"]\n"
        );
        std::fs::write(dir.path().join("ci/phase-a.toml"), text).unwrap();
        Ws { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn repo(&self) -> PathBuf {
        std::fs::canonicalize(self.root().join("repo")).unwrap()
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::cargo_bin("xtask").unwrap();
        c.arg("--pipeline")
            .arg(self.root().join("ci/phase-a.toml"))
            .args(args)
            .current_dir(self.root())
            .env_remove("GITHUB_ACTIONS")
            .env_remove("GITHUB_STEP_SUMMARY")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        c
    }

    /// Waits until the daemon wrote its pid file.
    fn wait_for_daemon(&self) {
        let file = self.root().join("repo/daemon.pid");
        let deadline = Instant::now() + Duration::from_secs(30);
        while !file.exists() {
            assert!(Instant::now() < deadline, "the daemon never started");
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// The daemons of this workspace still running (`sleep 307` working in `repo/`), read
    /// from `/proc` as `ps` does; any found is killed, so a failing test leaves none.
    fn daemons_left(&self) -> Vec<u32> {
        let left = sleepers_in(&self.repo());
        for pid in &left {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
        left
    }
}

/// A TOML basic string.
fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Live processes whose command line is `sleep 307` and whose working directory is `dir`.
fn sleepers_in(dir: &Path) -> Vec<u32> {
    let mut pids = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()) else {
            continue;
        };
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        if cmdline != b"sleep\x00307\x00" {
            continue;
        }
        if std::fs::read_link(e.path().join("cwd")).is_ok_and(|cwd| cwd == dir) {
            pids.push(pid);
        }
    }
    pids
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn finish(child: Child) -> Output {
    child.wait_with_output().unwrap()
}

#[cfg(target_os = "linux")]
#[test]
fn a_daemon_that_left_the_group_ends_with_a_passing_gate() {
    // Ending it used to depend on timing (about one run in three): five runs.
    for round in 0..5 {
        let ws = Ws::new("exit 0", "1m");
        let out = ws.cmd(&["phase-a"]).output().unwrap();
        let left = ws.daemons_left();
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stdout));
        assert!(ws.root().join("repo/daemon.pid").exists());
        assert_eq!(
            left,
            Vec::<u32>::new(),
            "round {round}: the daemon outlived its gate"
        );
    }
}

#[cfg(target_os = "linux")]
#[test]
fn a_daemon_that_left_the_group_ends_with_a_timed_out_gate() {
    let ws = Ws::new("sleep 300", "1s");
    let t = Instant::now();
    let out = ws.cmd(&["phase-a"]).output().unwrap();
    let left = ws.daemons_left();
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("did not finish within 1s"), "{stdout}");
    assert_eq!(left, Vec::<u32>::new(), "the daemon outlived its gate");
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
}

#[cfg(target_os = "linux")]
#[test]
fn a_sigkilled_run_leaves_no_daemon_behind() {
    let ws = Ws::new("sleep 300", "10m");
    let mut child = ws.cmd(&["phase-a"]).spawn().unwrap();
    ws.wait_for_daemon();
    // Its pid is written just before it becomes `sleep 307`.
    let deadline = Instant::now() + Duration::from_secs(10);
    while sleepers_in(&ws.repo()).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the daemon never ran `sleep 307`"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL: the tool runs no code of its own.
    child.wait().unwrap();
    // The guardian ends it, shortly after.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !sleepers_in(&ws.repo()).is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(
        ws.daemons_left(),
        Vec::<u32>::new(),
        "the daemon outlived the killed tool"
    );
}

/// SIGTERM (a CI runner cancelling the job), SIGHUP (a closed terminal) and SIGINT (Ctrl-C)
/// end the run alike: the running gate and its daemon are stopped, the rest is skipped, and
/// the summary, the record and the reports are all there, with exit code 2.
#[cfg(unix)]
#[test]
fn sigterm_sighup_and_ctrl_c_end_a_run_with_its_summary_record_and_reports() {
    for (signal, cause) in [("TERM", "SIGTERM"), ("HUP", "SIGHUP"), ("INT", "Ctrl-C")] {
        let ws = Ws::new("sleep 300", "10m");
        let junit = ws.root().join("out/phase-a.xml");
        let sarif = ws.root().join("out/phase-a.sarif");
        std::fs::create_dir_all(ws.root().join("out")).unwrap();
        let mut c = ws.cmd(&["phase-a"]);
        c.arg("--junit").arg(&junit).arg("--sarif").arg(&sarif);
        let child = c.spawn().unwrap();
        ws.wait_for_daemon();
        let sent = Command::new("kill")
            .args(["-s", signal, &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        let out = finish(child);
        let stdout = text(&out.stdout);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{signal}: {stdout}\n{stderr}");
        assert!(
            stdout
                .contains("2 planned = 0 passed + 0 failed + 1 skipped + 0 timed out + 1 errored"),
            "{signal}: {stdout}"
        );
        assert!(stdout.contains("(interrupted)"), "{signal}: {stdout}");
        let reason = format!("interrupted: the gate was stopped by {cause}");
        assert!(stdout.contains(&reason), "{signal}: {stdout}");
        // The record.
        let record: serde_json::Value = serde_json::from_slice(
            &std::fs::read(gates::artifacts::last_run_path(&ws.repo())).unwrap(),
        )
        .unwrap();
        assert_eq!(record["interrupted"], true, "{signal}");
        assert_eq!(record["exit_code"], 2, "{signal}");
        let daemon = record["gates"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| g["id"] == "daemon")
            .unwrap();
        assert_eq!(daemon["status"], "errored", "{signal}");
        assert_eq!(daemon["reason"], reason.as_str(), "{signal}");
        // The reports.
        let junit = std::fs::read_to_string(&junit).unwrap();
        assert!(junit.contains("<testsuites"), "{signal}: {junit}");
        assert!(junit.contains(&reason), "{signal}: {junit}");
        let sarif: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
        assert_eq!(sarif["version"], "2.1.0", "{signal}");
        // And nothing the gate started is left.
        if cfg!(target_os = "linux") {
            assert_eq!(ws.daemons_left(), Vec::<u32>::new(), "{signal}");
        }
    }
}

/// A terminal closed with SIGHUP takes stdout with it: the summary cannot be printed, and the
/// reports are written all the same (exit 2 for the failed write).
#[cfg(target_os = "linux")]
#[test]
fn the_reports_are_written_when_stdout_cannot_be() {
    let ws = Ws::new("exit 0", "1m");
    let junit = ws.root().join("phase-a.xml");
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let mut c = ws.cmd(&["phase-a", "--junit"]);
    c.arg(&junit).stdout(Stdio::from(full));
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("cannot write the output to stdout"),
        "{}",
        text(&out.stderr)
    );
    let junit = std::fs::read_to_string(&junit).unwrap();
    assert!(junit.contains("<testsuites"), "{junit}");
    assert_eq!(ws.daemons_left(), Vec::<u32>::new());
}

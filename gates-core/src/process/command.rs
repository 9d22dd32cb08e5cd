//! Command gates: run an argv without a shell, in its own process group, with a timeout
//! that kills the whole group (grandchildren included), and capture its output.
//!
//! Why a process group: a test runner typically forks workers; killing only the direct child
//! on timeout would leave them running as orphans. The child is made leader of a new group
//! (`process_group(0)`), and on timeout, cancellation or normal exit the whole group gets
//! SIGTERM and then SIGKILL, and with it (on Linux) every process the command started that
//! left the group ([`super::tree`]): nothing it started outlives the gate. Each group is also
//! listed with the [`super::guardian`], which kills it should the tool itself be killed.
//!
//! Only on Unix: elsewhere there are no process groups to kill, and a timeout that cannot
//! stop a command's tree would not hold, so command gates and services refuse to start there
//! with an error saying so ([`UNSUPPORTED_PLATFORM`]) instead of running without one.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::tree::Scope;
use crate::error::GateError;

/// How much output is kept per stream (the tail).
const KEEP_BYTES: usize = 64 * 1024;
/// How long the output readers may take to reach end-of-file once the group is gone.
pub(crate) const READER_GRACE: Duration = Duration::from_secs(2);

/// Why a command cannot be started on this platform (see the module doc).
pub const UNSUPPORTED_PLATFORM: &str = "command gates need a Unix-like system (Linux, macOS): on this platform a timed-out command and the processes it started could not be killed, so the gate's timeout would not hold; run the gates under WSL or on a Linux or macOS machine";

/// Refuses to start `program` where process groups cannot be killed (`unix` false).
fn platform_check(unix: bool, program: &str) -> Result<(), GateError> {
    if unix {
        Ok(())
    } else {
        Err(GateError::msg(format!(
            "cannot start `{program}`: {UNSUPPORTED_PLATFORM}"
        )))
    }
}

/// The outcome of a command that was started.
#[derive(Clone, Debug)]
pub struct CommandRun {
    pub argv: Vec<String>,
    pub cwd: PathBuf,
    /// `None` when killed by a signal (including our own timeout kill).
    pub exit_code: Option<i32>,
    pub timed_out: bool,
    pub cancelled: bool,
    pub duration: Duration,
    /// When the command was started (wall clock).
    pub started_at: std::time::SystemTime,
    /// The file holding the command's whole output, when it was kept (see [`run_logged`]).
    pub log: Option<PathBuf>,
    /// Tail of stdout and stderr, interleaved per stream (stdout first).
    pub stdout: String,
    pub stderr: String,
}

impl CommandRun {
    pub fn success(&self) -> bool {
        self.exit_code == Some(0) && !self.timed_out && !self.cancelled
    }

    /// The last `n` lines of combined output, for summaries.
    pub fn tail(&self, n: usize) -> String {
        let mut lines: Vec<&str> = self.stdout.lines().chain(self.stderr.lines()).collect();
        if lines.len() > n {
            lines.drain(..lines.len() - n);
        }
        lines.join("\n")
    }
}

/// Runs `argv` in `cwd` with `env` added, until it exits, `timeout` passes or `cancel` is set.
pub fn run(
    argv: &[String],
    cwd: &Path,
    env: &[(String, String)],
    timeout: Duration,
    cancel: &AtomicBool,
) -> Result<CommandRun, GateError> {
    run_with(argv, cwd, env, timeout, cancel, None)
}

/// Like [`run`], but the whole stdout goes to `stdout_file` (for machine output too large for
/// the kept tail, e.g. `cargo nextest list --message-format json`); `CommandRun::stdout` is
/// then empty.
pub fn run_to_file(
    argv: &[String],
    cwd: &Path,
    env: &[(String, String)],
    timeout: Duration,
    cancel: &AtomicBool,
    stdout_file: &Path,
) -> Result<CommandRun, GateError> {
    run_with(argv, cwd, env, timeout, cancel, Some(stdout_file))
}

fn run_with(
    argv: &[String],
    cwd: &Path,
    env: &[(String, String)],
    timeout: Duration,
    cancel: &AtomicBool,
    stdout_file: Option<&Path>,
) -> Result<CommandRun, GateError> {
    let program = argv.first().cloned().unwrap_or_default();
    let start = Instant::now();
    let started_at = std::time::SystemTime::now();
    let Grouped {
        mut child,
        scope,
        out,
        err,
        readers,
        ..
    } = spawn_grouped(argv, cwd, env, stdout_file)?;

    // A waiter thread owns the child and reports its exit at once; this thread only wakes
    // for the timeout and to notice cancellation.
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let mut timed_out = false;
    let mut cancelled = false;
    let status = loop {
        let left = timeout.saturating_sub(start.elapsed());
        match rx.recv_timeout(left.min(Duration::from_millis(50))) {
            Ok(Ok(status)) => break Some(status),
            Ok(Err(e)) => return Err(GateError::msg(format!("waiting for `{program}`: {e}"))),
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                return Err(GateError::msg(format!("lost track of `{program}`")));
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
        }
        if start.elapsed() >= timeout {
            timed_out = true;
            break None;
        }
        if cancel.load(Ordering::Relaxed) {
            cancelled = true;
            break None;
        }
    };
    // Whatever happened, the group goes, and every process that left it: a gate's command
    // may not leave processes behind.
    end_scope(&scope, || {});
    let status = match status {
        Some(s) => Some(s),
        None => rx.recv().ok().and_then(Result::ok),
    };
    let _ = waiter.join();
    let duration = start.elapsed();
    let held = join_readers(readers, READER_GRACE);
    let mut stderr_note = String::new();
    if held {
        // A process the tool could not end (of another user, or one that cleared its
        // environment and left the tree; see `super::tree`) still holds the pipe open:
        // waiting for end-of-file would hang the gate past its timeout, for as long as that
        // process lives. Keep what was read and say so.
        stderr_note = format!(
            "\n[rawr-gates: output still open {}s after the command ended (a process the tool could not end holds it); stopped reading]\n",
            READER_GRACE.as_secs()
        );
    }
    let exit_code = if timed_out || cancelled {
        None
    } else {
        status.and_then(|s| s.code())
    };
    let stdout = out.lock().map(|t| t.text()).unwrap_or_default();
    let mut stderr = err.lock().map(|t| t.text()).unwrap_or_default();
    stderr.push_str(&stderr_note);
    Ok(CommandRun {
        argv: argv.to_vec(),
        cwd: cwd.to_path_buf(),
        exit_code,
        timed_out,
        cancelled,
        duration,
        started_at,
        log: None,
        stdout,
        stderr,
    })
}

/// Like [`run`], but the whole output is kept in `log` (stdout, then stderr's tail), and
/// the run's `stdout` holds the last lines of it: a test runner's full output stays
/// readable after the gate summarised it.
pub fn run_logged(
    argv: &[String],
    cwd: &Path,
    env: &[(String, String)],
    timeout: Duration,
    cancel: &AtomicBool,
    log: &Path,
) -> Result<CommandRun, GateError> {
    if let Some(dir) = log.parent() {
        std::fs::create_dir_all(dir).map_err(|e| GateError::io(dir, e))?;
    }
    let mut run = run_with(argv, cwd, env, timeout, cancel, Some(log))?;
    let whole = std::fs::read(log).unwrap_or_default();
    let from = whole.len().saturating_sub(KEEP_BYTES);
    let mut from = from;
    while from < whole.len() && (whole[from] & 0xC0) == 0x80 {
        from += 1;
    }
    run.stdout = String::from_utf8_lossy(&whole[from..]).into_owned();
    if !run.stderr.trim().is_empty() {
        use std::io::Write;
        if let Ok(mut f) = std::fs::OpenOptions::new().append(true).open(log) {
            let _ = write!(f, "\n---- stderr ----\n{}", run.stderr);
        }
    }
    run.log = Some(log.to_path_buf());
    Ok(run)
}

/// A process started as the leader of a new process group, with its output being captured.
pub(crate) struct Grouped {
    pub child: Child,
    /// Process id, also the process group id.
    pub pid: u32,
    /// Every process the command starts (see [`super::tree`]).
    pub scope: Scope,
    pub out: Arc<Mutex<Tail>>,
    pub err: Arc<Mutex<Tail>>,
    pub readers: Vec<thread::JoinHandle<()>>,
}

/// Starts `argv` (no shell) in `cwd` with `env` added, stdin closed, as the leader of a new
/// process group, capturing the tails of stderr and of stdout (or sending the whole stdout
/// to `stdout_file`). Shared by command gates and long-running services.
pub(crate) fn spawn_grouped(
    argv: &[String],
    cwd: &Path,
    env: &[(String, String)],
    stdout_file: Option<&Path>,
) -> Result<Grouped, GateError> {
    let (program, args) = argv
        .split_first()
        .ok_or_else(|| GateError::msg("empty argv"))?;
    platform_check(cfg!(unix), program)?;
    crate::fs::record::spawned(program);
    if !cwd.is_dir() {
        return Err(GateError::msg(format!(
            "working directory {} does not exist",
            cwd.display()
        )));
    }
    // The variable every process the command starts inherits, and the tool a subreaper:
    // both find what left the group when the gate ends.
    let scope_env = Scope::next_env();
    super::tree::become_subreaper();
    let mut cmd = Command::new(program);
    cmd.args(args)
        .current_dir(cwd)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .env(&scope_env.0, &scope_env.1)
        .stdin(Stdio::null())
        .stderr(Stdio::piped());
    match stdout_file {
        None => cmd.stdout(Stdio::piped()),
        Some(path) => {
            let file = crate::fs::careful::open_with(
                path,
                std::fs::OpenOptions::new()
                    .create(true)
                    .write(true)
                    .truncate(true),
            )
            .map_err(|e| GateError::io(path, e))?;
            cmd.stdout(Stdio::from(file))
        }
    };
    #[cfg(unix)]
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    // Killed with the tool should the tool be killed before it can kill the group itself.
    super::guardian::watch_on_exec(&mut cmd);
    let mut child = cmd.spawn().map_err(|e| {
        GateError::msg(format!(
            "cannot start `{program}` in {}: {e}",
            cwd.display()
        ))
    })?;
    let pid = child.id();
    let scope = Scope::of(pid, &scope_env);
    let out = Arc::new(Mutex::new(Tail::default()));
    let err = Arc::new(Mutex::new(Tail::default()));
    let readers = [
        spawn_reader(
            child
                .stdout
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
            out.clone(),
        ),
        spawn_reader(
            child
                .stderr
                .take()
                .map(|s| Box::new(s) as Box<dyn Read + Send>),
            err.clone(),
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    Ok(Grouped {
        child,
        pid,
        scope,
        out,
        err,
        readers,
    })
}

/// Ends every process of `scope`: the group and what left it get SIGTERM, then SIGKILL
/// until none is left ([`super::tree::end`]). `reap` is called while waiting, so a caller
/// that owns the leader can reap it and keep a zombie leader from making the group look alive.
pub(crate) fn end_scope(scope: &Scope, reap: impl FnMut()) {
    super::tree::end(scope, reap);
}

/// Waits up to `grace` for the reader threads to finish; returns true when one is still
/// blocked (it is left detached: it ends when the last writer closes the pipe).
pub(crate) fn join_readers(
    readers: impl IntoIterator<Item = thread::JoinHandle<()>>,
    grace: Duration,
) -> bool {
    let deadline = Instant::now() + grace;
    let mut held = false;
    for r in readers {
        // The readers normally reach end-of-file microseconds after the group is gone:
        // start polling fast and back off, so the common case costs no fixed sleep.
        let mut pause = Duration::from_micros(20);
        while !r.is_finished() && Instant::now() < deadline {
            thread::sleep(pause);
            pause = (pause * 2).min(Duration::from_millis(5));
        }
        if r.is_finished() {
            let _ = r.join();
        } else {
            held = true;
        }
    }
    held
}

#[derive(Default)]
pub(crate) struct Tail {
    buf: Vec<u8>,
    dropped: usize,
}

impl Tail {
    pub(crate) fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() > KEEP_BYTES * 2 {
            let cut = self.buf.len() - KEEP_BYTES;
            self.dropped += cut;
            self.buf.drain(..cut);
        }
    }

    pub(crate) fn text(&self) -> String {
        let keep = self.buf.len().saturating_sub(KEEP_BYTES);
        let mut s = String::new();
        if self.dropped + keep > 0 {
            s.push_str(&format!(
                "[... {} earlier bytes not kept ...]\n",
                self.dropped + keep
            ));
        }
        s.push_str(&String::from_utf8_lossy(&self.buf[keep..]));
        s
    }
}

pub(crate) fn spawn_reader(
    stream: Option<Box<dyn Read + Send>>,
    sink: Arc<Mutex<Tail>>,
) -> Option<thread::JoinHandle<()>> {
    let mut stream = stream?;
    Some(thread::spawn(move || {
        let mut buf = [0u8; 8192];
        loop {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if let Ok(mut t) = sink.lock() {
                        t.push(&buf[..n]);
                    }
                }
            }
        }
    }))
}

#[cfg(test)]
mod platform_tests {
    use super::*;

    #[test]
    fn without_process_groups_a_command_gate_refuses_to_start() {
        assert!(platform_check(true, "vitest").is_ok());
        let e = platform_check(false, "vitest").unwrap_err().to_string();
        assert!(
            e.starts_with("cannot start `vitest`: command gates need a Unix-like system"),
            "{e}"
        );
        assert!(e.contains("timeout would not hold"), "{e}");
        // This platform runs them, through the check.
        let dir = tempfile::tempdir().unwrap();
        let r = spawn_grouped(&["true".to_string()], dir.path(), &[], None);
        assert_eq!(r.is_ok(), cfg!(unix));
        if let Ok(mut g) = r {
            let _ = g.child.wait();
            end_scope(&g.scope, || {});
        }
    }
}

//! A long-running process a gate needs while it works (e.g. the host a live probe talks to):
//! started in its own process group, waited for until it answers, and torn down, whole group
//! included, when the [`Service`] is dropped, whatever path the gate takes out.

use std::io::Read;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::command::{READER_GRACE, Tail, join_readers, spawn_reader};
use crate::error::GateError;

/// A started process group. Dropping it kills the group (SIGTERM, then SIGKILL).
pub struct Service {
    child: Child,
    pid: u32,
    argv: Vec<String>,
    out: Arc<Mutex<Tail>>,
    err: Arc<Mutex<Tail>>,
    readers: Vec<JoinHandle<()>>,
    stopped: bool,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service")
            .field("pid", &self.pid)
            .field("argv", &self.argv)
            .finish()
    }
}

/// Why waiting for a service failed.
#[derive(Debug)]
pub enum WaitError {
    /// The process exited before it became ready.
    Exited(Option<i32>),
    /// It did not become ready in time.
    TimedOut,
    /// The gate was cancelled.
    Cancelled,
}

impl Service {
    /// Starts `argv` in `cwd` with `env` added, in a new process group, output captured.
    pub fn start(
        argv: &[String],
        cwd: &Path,
        env: &[(String, String)],
    ) -> Result<Service, GateError> {
        let (program, args) = argv
            .split_first()
            .ok_or_else(|| GateError::msg("empty argv"))?;
        if !cwd.is_dir() {
            return Err(GateError::msg(format!(
                "working directory {} does not exist",
                cwd.display()
            )));
        }
        let mut cmd = Command::new(program);
        cmd.args(args)
            .current_dir(cwd)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        #[cfg(unix)]
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let mut child = cmd.spawn().map_err(|e| {
            GateError::msg(format!(
                "cannot start `{program}` in {}: {e}",
                cwd.display()
            ))
        })?;
        let pid = child.id();
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
        Ok(Service {
            child,
            pid,
            argv: argv.to_vec(),
            out,
            err,
            readers,
            stopped: false,
        })
    }

    /// The process id (also the process group id).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Polls `ready` every few milliseconds until it returns true, the process exits,
    /// `timeout` passes or `cancel` is set.
    pub fn wait_ready(
        &mut self,
        timeout: Duration,
        cancel: &AtomicBool,
        mut ready: impl FnMut() -> bool,
    ) -> Result<Duration, WaitError> {
        let start = Instant::now();
        let mut poll = Duration::from_millis(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(WaitError::Exited(status.code()));
            }
            if ready() {
                return Ok(start.elapsed());
            }
            if cancel.load(Ordering::Relaxed) {
                return Err(WaitError::Cancelled);
            }
            if start.elapsed() >= timeout {
                return Err(WaitError::TimedOut);
            }
            thread::sleep(poll);
            poll = (poll * 2).min(Duration::from_millis(200));
        }
    }

    /// Whether the process has exited, and with which code.
    pub fn exited(&mut self) -> Option<Option<i32>> {
        self.child.try_wait().ok().flatten().map(|s| s.code())
    }

    /// Kills the group and returns the tail of its output (stdout then stderr).
    pub fn stop(&mut self) -> String {
        if !self.stopped {
            kill_group(self.pid, &mut self.child);
            let _ = self.child.wait();
            // Bounded: a process that left the group may hold the pipes open forever.
            join_readers(self.readers.drain(..), READER_GRACE);
            self.stopped = true;
        }
        self.output_tail(30)
    }

    /// The last `n` lines of output so far.
    pub fn output_tail(&self, n: usize) -> String {
        let out = self.out.lock().map(|t| t.text()).unwrap_or_default();
        let err = self.err.lock().map(|t| t.text()).unwrap_or_default();
        let mut lines: Vec<&str> = out.lines().chain(err.lines()).collect();
        if lines.len() > n {
            lines.drain(..lines.len() - n);
        }
        lines.join("\n")
    }
}

/// Grace between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_millis(500);

/// SIGTERM to the whole group, SIGKILL to whatever is left after [`GRACE`]. The leader is
/// reaped while waiting, so that as a zombie it does not keep the group looking alive.
#[cfg(unix)]
#[allow(unsafe_code)]
fn kill_group(pid: u32, child: &mut Child) {
    let pgid = pid as libc::pid_t;
    // SAFETY: killpg only sends a signal; a group that no longer exists yields ESRCH.
    let alive = unsafe { libc::killpg(pgid, libc::SIGTERM) } == 0;
    if alive {
        let deadline = Instant::now() + GRACE;
        while Instant::now() < deadline {
            let _ = child.try_wait();
            // SAFETY: signal 0 only probes whether the group still has members.
            if unsafe { libc::killpg(pgid, 0) } != 0 {
                return;
            }
            thread::sleep(Duration::from_millis(5));
        }
        // SAFETY: as above.
        unsafe { libc::killpg(pgid, libc::SIGKILL) };
    }
}

#[cfg(not(unix))]
fn kill_group(_pid: u32, child: &mut Child) {
    let _ = child.kill();
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Whether something accepts TCP connections at `host:port` (a short connect attempt).
pub fn port_in_use(host: &str, port: u16) -> bool {
    let Ok(addrs) = (host, port).to_socket_addrs() else {
        return false;
    };
    addrs
        .into_iter()
        .any(|a: SocketAddr| TcpStream::connect_timeout(&a, Duration::from_millis(200)).is_ok())
}

/// A free TCP port on the loopback interface (bound and released; another process could
/// take it in between, which the start-up then reports as a failure to become ready).
pub fn free_loopback_port() -> Result<u16, GateError> {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| GateError::msg(format!("cannot find a free loopback port: {e}")))
}

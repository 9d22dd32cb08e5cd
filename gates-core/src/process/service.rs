//! A long-running process a gate needs while it works (e.g. the host a live probe talks to):
//! started in its own process group, waited for until it answers, and torn down, whole group
//! included (and what left it, see [`super::tree`]), when the [`Service`] is dropped,
//! whatever path the gate takes out.

use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::Path;
use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::command::{Grouped, READER_GRACE, Tail, end_scope, join_readers, spawn_grouped};
use super::tree::Scope;
use crate::error::GateError;

/// A started process group. Dropping it kills the group (SIGTERM, then SIGKILL).
pub struct Service {
    child: Child,
    pid: u32,
    scope: Scope,
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
        let Grouped {
            child,
            pid,
            scope,
            out,
            err,
            readers,
        } = spawn_grouped(argv, cwd, env, None)?;
        Ok(Service {
            child,
            pid,
            scope,
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

    /// Kills the group, and every process that left it, and returns the tail of its output (stdout then stderr).
    pub fn stop(&mut self) -> String {
        if !self.stopped {
            let child = &mut self.child;
            end_scope(&self.scope, || {
                let _ = child.try_wait();
            });
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

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    /// A service that daemonises part of itself (out of its group with `setsid`, deaf to
    /// SIGTERM) is stopped whole: the daemon is gone, reaped, when `stop` returns.
    #[test]
    fn stopping_a_service_ends_what_left_its_group() {
        let dir = tempfile::tempdir().unwrap();
        let script = "setsid sh -c \"trap '' TERM; echo \\$\\$ > d.tmp; mv d.tmp daemon.pid; exec sleep 311\" & while [ ! -f daemon.pid ]; do sleep 0.01; done; exec sleep 300";
        let argv: Vec<String> = ["sh", "-c", script].map(String::from).to_vec();
        let mut s = Service::start(&argv, dir.path(), &[]).unwrap();
        let pid_file = dir.path().join("daemon.pid");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !pid_file.exists() {
            assert!(Instant::now() < deadline, "the daemon never started");
            thread::sleep(Duration::from_millis(10));
        }
        let pid = std::fs::read_to_string(&pid_file).unwrap();
        let stat = format!("/proc/{}/stat", pid.trim());
        assert!(std::path::Path::new(&stat).exists());
        s.stop();
        // Not even a zombie is left.
        let left = std::fs::read_to_string(&stat).ok();
        if left.is_some() {
            let _ = std::process::Command::new("kill")
                .args(["-9", pid.trim()])
                .status();
        }
        assert_eq!(left, None, "the daemon {} outlived the service", pid.trim());
    }
}

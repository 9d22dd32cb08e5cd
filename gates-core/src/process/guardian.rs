//! Children die with the tool, even when the tool is killed with SIGKILL.
//!
//! Why: every gate command runs in a process group of its own, and the tool kills that
//! group when the gate ends, times out or is interrupted. A tool that is itself killed
//! (`kill -9`, the OOM killer, a CI runner's hard cancel) runs no code at all, and a test
//! runner and the server it started would go on under PID 1, writing into the target. A
//! parent-death signal (`PR_SET_PDEATHSIG`) would reach only the direct child, not the
//! workers it forked, and a subreaper is no help once the subreaper is dead.
//!
//! How: on the first gate command the tool starts a guardian, a tiny `/bin/sh` loop in a
//! process group of its own (so a Ctrl-C at the terminal does not reach it), whose stdin is
//! a pipe only the tool holds. Each gate command writes `+ PGID` into it itself, between
//! fork and exec (so it is listed before it can start anything), and the tool writes
//! `- PGID` once it has killed the group. When the tool dies for any reason, the kernel closes the pipe,
//! the guardian reads end-of-file and sends SIGKILL to every group still listed, and (on
//! Linux) to every process that carries this run's variable ([`super::tree::run_var`]):
//! those that left their group (`setsid`, daemons), until `/proc` shows none. Then it exits.
//! When the tool exits normally nothing is listed or left and the guardian just exits.

use std::io::Write;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// The guardian's program: keeps the listed groups, kills them at end-of-file, then every
/// process whose environment holds the variable named by `$1` (the guardian itself, `grep`
/// and `sed` do not: the tool's own environment has no such variable).
const SCRIPT: &str = r#"trap '' INT HUP
live=' '
while IFS=' ' read -r op g; do
  case $op in
    +) live="$live$g " ;;
    -) case $live in *" $g "*) live="${live%% $g *} ${live#* $g }" ;; esac ;;
  esac
done
for g in $live; do kill -s KILL -- "-$g" 2>/dev/null; done
[ -n "$1" ] || exit 0
n=0
while [ $n -lt 50 ]; do
  pids=$(grep -lsF -- "$1=" /proc/[0-9]*/environ | sed 's,^/proc/,,;s,/environ$,,')
  [ -n "$pids" ] || break
  kill -s KILL $pids 2>/dev/null
  n=$((n+1))
done
"#;

static GUARDIAN: OnceLock<Option<Mutex<ChildStdin>>> = OnceLock::new();

fn guardian() -> Option<&'static Mutex<ChildStdin>> {
    GUARDIAN.get_or_init(start).as_ref()
}

#[cfg(unix)]
fn start() -> Option<Mutex<ChildStdin>> {
    use std::os::unix::process::CommandExt;
    let mut child = Command::new("/bin/sh")
        .args(["-c", SCRIPT, "rawr-gates-guardian", super::tree::run_var()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0)
        .spawn()
        .ok()?;
    let stdin = child.stdin.take()?;
    // The guardian is never waited for: it outlives the tool by design. It is reaped by
    // whoever inherits it, and exits as soon as the tool's end of the pipe closes.
    std::mem::forget(child);
    Some(Mutex::new(stdin))
}

#[cfg(not(unix))]
fn start() -> Option<Mutex<ChildStdin>> {
    None
}

fn send(line: String) {
    if let Some(g) = guardian()
        && let Ok(mut stdin) = g.lock()
    {
        // A guardian that is gone (killed by someone) only costs its protection.
        let _ = stdin.write_all(line.as_bytes());
        let _ = stdin.flush();
    }
}

/// Has the command list its own process group with the guardian, from the child between
/// fork and exec: the group is listed before it runs anything, so a tool killed at any
/// moment after the spawn leaves nothing. Call before `spawn`, after `process_group(0)`.
#[cfg(unix)]
#[allow(unsafe_code)]
pub(crate) fn watch_on_exec(cmd: &mut Command) {
    use std::os::fd::AsRawFd;
    use std::os::unix::process::CommandExt;
    let Some(fd) = guardian().and_then(|g| g.lock().ok().map(|s| s.as_raw_fd())) else {
        return;
    };
    // SAFETY: the closure runs in the forked child before exec. It only calls `getpid` and
    // `write` (both async-signal-safe) on a buffer on the stack, and allocates nothing. The
    // descriptor is the guardian's pipe, held open for the life of the process; a line of a
    // few bytes is written atomically (under PIPE_BUF), so it never interleaves with the
    // tool's own lines.
    unsafe {
        cmd.pre_exec(move || {
            let mut buf = [0u8; 24];
            let n = plus_line(&mut buf, libc::getpid() as u32);
            libc::write(fd, buf.as_ptr().cast(), n);
            Ok(())
        });
    }
}

#[cfg(not(unix))]
pub(crate) fn watch_on_exec(_cmd: &mut Command) {}

/// Writes `+ PID\n` into `buf` without allocating; returns its length.
fn plus_line(buf: &mut [u8; 24], pid: u32) -> usize {
    let mut digits = [0u8; 10];
    let mut n = 0;
    let mut v = pid;
    loop {
        digits[n] = b'0' + (v % 10) as u8;
        n += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf[0] = b'+';
    buf[1] = b' ';
    for i in 0..n {
        buf[2 + i] = digits[n - 1 - i];
    }
    buf[2 + n] = b'\n';
    3 + n
}

/// Takes `pgid` off the guardian's list (the tool has killed it itself).
pub(crate) fn release(pgid: u32) {
    send(format!("- {pgid}\n"));
}

/// Releases a group when dropped, whichever way its killer returns.
pub(crate) struct Release(pub u32);

impl Drop for Release {
    fn drop(&mut self) {
        release(self.0);
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn the_listing_line_is_written_without_allocating() {
        let mut buf = [0u8; 24];
        let n = plus_line(&mut buf, 0);
        assert_eq!(&buf[..n], b"+ 0\n");
        let n = plus_line(&mut buf, u32::MAX);
        assert_eq!(&buf[..n], b"+ 4294967295\n");
    }

    /// The script itself: a listed group is killed at end-of-file, a released one is not.
    #[test]
    fn the_script_kills_listed_groups_at_end_of_file() {
        let spawn_group = || {
            use std::os::unix::process::CommandExt;
            Command::new("sleep")
                .arg("30")
                .process_group(0)
                .spawn()
                .unwrap()
        };
        let mut kept = spawn_group();
        let mut released = spawn_group();
        let mut g = Command::new("/bin/sh")
            .args([
                "-c",
                SCRIPT,
                "guardian-test",
                "RAWR_GATES_GUARDIAN_TEST_UNUSED",
            ])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stdin = g.stdin.take().unwrap();
        writeln!(stdin, "+ {}", kept.id()).unwrap();
        writeln!(stdin, "+ {}", released.id()).unwrap();
        writeln!(stdin, "- {}", released.id()).unwrap();
        writeln!(stdin, "- 999999999").unwrap();
        drop(stdin);
        assert!(g.wait().unwrap().success());
        let status = kept.wait().unwrap();
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9));
        assert!(released.try_wait().unwrap().is_none());
        released.kill().unwrap();
        released.wait().unwrap();
    }

    /// At end-of-file the script also kills every process carrying the run's variable, in a
    /// group of its own and never listed (a `setsid` daemon); a process without it is left.
    #[cfg(target_os = "linux")]
    #[test]
    fn the_script_kills_the_runs_processes_outside_any_listed_group() {
        use std::os::unix::process::CommandExt;
        use std::os::unix::process::ExitStatusExt;
        let var = format!("RAWR_GATES_GUARDIAN_TEST_{}", std::process::id());
        let mut carrier = Command::new("sleep")
            .arg("30")
            .env(&var, "1")
            .process_group(0)
            .spawn()
            .unwrap();
        let mut bystander = Command::new("sleep")
            .arg("30")
            .process_group(0)
            .spawn()
            .unwrap();
        let mut g = Command::new("/bin/sh")
            .args(["-c", SCRIPT, "guardian-test", &var])
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        drop(g.stdin.take());
        assert!(g.wait().unwrap().success());
        assert_eq!(carrier.wait().unwrap().signal(), Some(9));
        assert!(bystander.try_wait().unwrap().is_none());
        bystander.kill().unwrap();
        bystander.wait().unwrap();
    }
}

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
//! a pipe only the tool holds. The tool writes `+ PGID` when it starts a group and `- PGID`
//! once it has killed it. When the tool dies for any reason, the kernel closes the pipe,
//! the guardian reads end-of-file and sends SIGKILL to every group still listed, then
//! exits. When the tool exits normally the list is empty and the guardian just exits.
//! (A group started in the instant before the tool is killed and before its `+` line is
//! written can escape; that window is a few system calls wide.)

use std::io::Write;
use std::process::{ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};

/// The guardian's program: keeps the listed groups, kills them at end-of-file.
const SCRIPT: &str = r#"trap '' INT HUP
live=' '
while IFS=' ' read -r op g; do
  case $op in
    +) live="$live$g " ;;
    -) case $live in *" $g "*) live="${live%% $g *} ${live#* $g }" ;; esac ;;
  esac
done
for g in $live; do kill -s KILL -- "-$g" 2>/dev/null; done
"#;

static GUARDIAN: OnceLock<Option<Mutex<ChildStdin>>> = OnceLock::new();

fn guardian() -> Option<&'static Mutex<ChildStdin>> {
    GUARDIAN.get_or_init(start).as_ref()
}

#[cfg(unix)]
fn start() -> Option<Mutex<ChildStdin>> {
    use std::os::unix::process::CommandExt;
    let mut child = Command::new("/bin/sh")
        .args(["-c", SCRIPT, "rawr-gates-guardian"])
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

/// Lists the process group `pgid` with the guardian: killed if the tool dies.
pub(crate) fn watch(pgid: u32) {
    send(format!("+ {pgid}\n"));
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
            .args(["-c", SCRIPT, "guardian-test"])
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
}

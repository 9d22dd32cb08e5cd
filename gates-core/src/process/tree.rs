//! Every process a gate command started, found and ended with the gate: its process group,
//! and on Linux whatever left the group (`setsid`, a daemon's double fork, a child that was
//! orphaned on the way).
//!
//! Why: killing the command's process group is not enough. A process that calls `setsid`
//! (or `setpgid`) leaves the group, and once its parent exits it is nobody's child the tool
//! knows: a test suite's daemon, a server started in the background, a `sleep` that ignores
//! SIGTERM would go on after the gate, holding its output pipe open and writing into the
//! target.
//!
//! How (Linux; the approach of Jenkins' process tree killer and Bazel's process wrapper):
//!
//! - Each command is started with a variable of its own in its environment
//!   (`RAWR_GATES_SCOPE_<run>=<n>`, the run's name unique to this process of the tool), which
//!   every process it starts inherits, `setsid` or not.
//! - The tool makes itself a child subreaper (`PR_SET_CHILD_SUBREAPER`): a process orphaned
//!   below it is re-parented to the tool instead of to PID 1, so the tool can reap what it
//!   kills and no zombie is left.
//! - When the gate ends (its command exited, timed out, or the run was interrupted), the
//!   members are read from `/proc`: the command's process group, every process carrying the
//!   gate's variable, and every descendant of these. They get SIGTERM; after a grace of
//!   half a second whatever is still there gets SIGKILL, and `/proc` is read again and again
//!   until no member is left, so a process forked meanwhile is found on the next pass: the
//!   end does not depend on timing.
//! - Should the tool itself be killed (`kill -9`), the [`super::guardian`] kills the listed
//!   groups and every process that carries this run's variable.
//!
//! Limits, said plainly: a process that clears its environment (`env -i`) or hides it (a
//! setuid or non-dumpable program, whose `/proc/PID/environ` the tool may not read) *and*
//! leaves the tree (its parent gone) can no longer be told apart from other processes and
//! outlives the gate; a process of another user cannot be signalled. Elsewhere than Linux (macOS) there is
//! no `/proc` and no subreaper: the process group is killed, as before. A PID namespace
//! would contain everything, but needs privileges (or unprivileged user namespaces, which
//! CI runners and containers often refuse), so it is not relied on.

use std::collections::HashSet;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant};

/// Grace between SIGTERM and SIGKILL.
pub(crate) const GRACE: Duration = Duration::from_millis(500);
/// How long SIGKILL is retried on a process that will not go (another user's, say).
const KILL_FOR: Duration = Duration::from_secs(5);

/// The name of this run's variable: `RAWR_GATES_SCOPE_<pid>_<nanoseconds>`, unique to this
/// process of the tool, so a tool started by a gate (a nested run) adds its own beside it.
pub fn run_var() -> &'static str {
    static VAR: OnceLock<String> = OnceLock::new();
    VAR.get_or_init(|| {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        format!("RAWR_GATES_SCOPE_{}_{nanos}", std::process::id())
    })
}

/// One command's processes: the group it leads and its variable's value.
#[derive(Clone, Debug)]
pub(crate) struct Scope {
    /// The leader's process id, also the process group id.
    pub leader: u32,
    /// The value of [`run_var`] in this command's environment.
    pub id: u64,
    /// The leader's start time (clock ticks after boot): a member started no earlier.
    pub start: u64,
}

impl Scope {
    /// A new scope's variable, to add to the command's environment before it starts.
    pub(crate) fn next_env() -> (String, String) {
        static NEXT: AtomicU64 = AtomicU64::new(1);
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        (run_var().to_string(), id.to_string())
    }

    /// The scope of the started `leader`, whose environment got `env` (from [`Scope::next_env`]).
    pub(crate) fn of(leader: u32, env: &(String, String)) -> Scope {
        Scope {
            leader,
            id: env.1.parse().unwrap_or(0),
            start: linux::stat(leader).map(|p| p.start).unwrap_or(0),
        }
    }
}

/// Makes the tool a child subreaper (Linux; once): orphans of its commands come back to it.
pub(crate) fn become_subreaper() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(linux::set_subreaper);
}

/// Ends every process of `scope`: SIGTERM, [`GRACE`], then SIGKILL until none is left.
/// `reap` is called while waiting, so a caller that owns the leader can reap it and keep a
/// zombie leader from making the group look alive.
pub(crate) fn end(scope: &Scope, mut reap: impl FnMut()) {
    let _release = super::guardian::Release(scope.leader);
    let ours = std::process::id();
    // Every member seen, but the leader (its owner reaps it): those that end up the tool's
    // children (orphans re-parented to it) are reaped here, so no zombie is left.
    let mut seen: HashSet<u32> = HashSet::new();
    // Whether the group has a live member. A zombie counts for `killpg` but not here: one
    // re-parented to the tool (a worker that exited after its parent) is reaped instead of
    // holding the gate until the deadline.
    let group_alive = |seen: &mut HashSet<u32>| {
        signal_group(scope.leader, 0) && linux::group_live(scope, ours, seen)
    };
    let first = linux::members(scope, ours);
    if first.is_empty() && !group_alive(&mut seen) {
        linux::reap(&mut seen);
        return;
    }
    // One SIGTERM each: the group at once, the members outside it one by one.
    signal_group(scope.leader, TERM);
    for m in first.iter().filter(|m| m.pgrp != scope.leader) {
        signal(m.pid, TERM);
    }
    seen.extend(first.iter().map(|m| m.pid));
    seen.remove(&scope.leader);
    let deadline = Instant::now() + GRACE;
    loop {
        reap();
        linux::reap(&mut seen);
        let gone = first.iter().all(|m| !linux::alive(m.pid)) && !group_alive(&mut seen);
        if gone || Instant::now() >= deadline {
            break;
        }
        thread::sleep(Duration::from_millis(5));
    }
    // Whatever is left, and whatever was started meanwhile: SIGKILL until `/proc` shows
    // no member.
    let deadline = Instant::now() + KILL_FOR;
    loop {
        reap();
        linux::reap(&mut seen);
        let left = linux::members(scope, ours);
        if (left.is_empty() && !group_alive(&mut seen)) || Instant::now() >= deadline {
            break;
        }
        signal_group(scope.leader, KILL);
        for m in &left {
            signal(m.pid, KILL);
        }
        seen.extend(left.iter().map(|m| m.pid));
        seen.remove(&scope.leader);
        thread::sleep(Duration::from_millis(2));
    }
    reap();
    linux::reap(&mut seen);
}

#[cfg(unix)]
const TERM: i32 = libc::SIGTERM;
#[cfg(unix)]
const KILL: i32 = libc::SIGKILL;
#[cfg(not(unix))]
const TERM: i32 = 15;
#[cfg(not(unix))]
const KILL: i32 = 9;

/// Sends `sig` to the process group `pgid` (0 only probes); true when it has a member.
#[cfg(unix)]
#[allow(unsafe_code)]
fn signal_group(pgid: u32, sig: i32) -> bool {
    // SAFETY: killpg only sends a signal; a group that no longer exists yields ESRCH.
    unsafe { libc::killpg(pgid as libc::pid_t, sig) == 0 }
}

#[cfg(unix)]
#[allow(unsafe_code)]
fn signal(pid: u32, sig: i32) {
    // SAFETY: kill only sends a signal; a process that is gone yields ESRCH.
    unsafe {
        libc::kill(pid as libc::pid_t, sig);
    }
}

/// Never reached: no command starts where there are no process groups.
#[cfg(not(unix))]
fn signal_group(_pgid: u32, _sig: i32) -> bool {
    false
}

#[cfg(not(unix))]
fn signal(_pid: u32, _sig: i32) {}

#[cfg(target_os = "linux")]
mod linux {
    use super::Scope;
    use std::collections::HashSet;

    /// What the tool needs of a process, from `/proc/PID/stat`.
    #[derive(Clone, Debug)]
    pub(crate) struct Proc {
        pub pid: u32,
        pub ppid: u32,
        pub pgrp: u32,
        state: u8,
        pub start: u64,
    }

    impl Proc {
        /// A zombie (or a process being torn down) is gone for our purpose.
        fn gone(&self) -> bool {
            matches!(self.state, b'Z' | b'X' | b'x')
        }
    }

    #[allow(unsafe_code)]
    pub(super) fn set_subreaper() {
        // SAFETY: prctl with PR_SET_CHILD_SUBREAPER only sets a flag of this process.
        unsafe {
            libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        }
    }

    /// `/proc/PID/stat`, parsed: `pid (comm) state ppid pgrp session tty tpgid flags minflt
    /// cminflt majflt cmajflt utime stime cutime cstime priority nice threads itrealvalue
    /// starttime ...`. The command name may hold spaces and parentheses: the fields are
    /// read after its last `)`.
    pub(crate) fn stat(pid: u32) -> Option<Proc> {
        let text = std::fs::read(format!("/proc/{pid}/stat")).ok()?;
        parse_stat(pid, &text)
    }

    pub(crate) fn parse_stat(pid: u32, text: &[u8]) -> Option<Proc> {
        let close = text.iter().rposition(|&b| b == b')')?;
        let rest = std::str::from_utf8(&text[close + 1..]).ok()?;
        let f: Vec<&str> = rest.split_ascii_whitespace().collect();
        // f[0] is the state, f[1] ppid, f[2] pgrp, f[19] starttime.
        Some(Proc {
            pid,
            state: *f.first()?.as_bytes().first()?,
            ppid: f.get(1)?.parse().ok()?,
            pgrp: f.get(2)?.parse().ok()?,
            start: f.get(19)?.parse().ok()?,
        })
    }

    /// Whether `pid` is a live process (not a zombie).
    pub(crate) fn alive(pid: u32) -> bool {
        stat(pid).is_some_and(|p| !p.gone())
    }

    /// Every process, from `/proc`.
    fn table() -> Vec<Proc> {
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return Vec::new();
        };
        dir.flatten()
            .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
            .filter_map(stat)
            .collect()
    }

    /// Whether the environment `pid` started with holds exactly `entry` (`NAME=value`).
    ///
    /// While a process is in `execve` its environment reads empty for a moment (the new
    /// program's is not mapped yet): a gate's daemon that `exec`s as the gate ends
    /// (`sh -c '…; exec sleep 300'`) would be missed and outlive it. An orphan re-parented to
    /// the tool (`ppid == ours`: only a gate's commands leave those) whose environment reads
    /// empty is read again until it is not, for a short while.
    fn carries(p: &Proc, ours: u32, entry: &[u8]) -> bool {
        let read = || std::fs::read(format!("/proc/{}/environ", p.pid)).ok();
        let mut env = read();
        if p.ppid == ours {
            for _ in 0..50 {
                if env.as_ref().is_some_and(|e| !e.is_empty()) || !alive(p.pid) {
                    break;
                }
                std::thread::sleep(std::time::Duration::from_millis(2));
                env = read();
            }
        }
        env.is_some_and(|env| env.split(|&b| b == 0).any(|e| e == entry))
    }

    /// The live members of `scope`: its process group, every process carrying its variable
    /// (started no earlier than its leader), and every descendant of these. Never the tool.
    pub(crate) fn members(scope: &Scope, ours: u32) -> Vec<Proc> {
        let entry = format!("{}={}", super::run_var(), scope.id).into_bytes();
        let table: Vec<Proc> = table()
            .into_iter()
            .filter(|p| !p.gone() && p.pid != ours)
            .collect();
        let mut set: HashSet<u32> = table
            .iter()
            .filter(|p| {
                p.pgrp == scope.leader || (p.start >= scope.start && carries(p, ours, &entry))
            })
            .map(|p| p.pid)
            .collect();
        loop {
            let more: Vec<u32> = table
                .iter()
                .filter(|p| !set.contains(&p.pid) && set.contains(&p.ppid))
                .map(|p| p.pid)
                .collect();
            if more.is_empty() {
                break;
            }
            set.extend(more);
        }
        table.into_iter().filter(|p| set.contains(&p.pid)).collect()
    }

    /// Whether the group of `scope` has a live member; its zombies that are the tool's
    /// children (other than the leader, which its owner reaps) join `reapable`.
    pub(crate) fn group_live(scope: &Scope, ours: u32, reapable: &mut HashSet<u32>) -> bool {
        let mut live = false;
        for p in table().into_iter().filter(|p| p.pgrp == scope.leader) {
            if !p.gone() {
                live = true;
            } else if p.ppid == ours && p.pid != scope.leader {
                reapable.insert(p.pid);
            }
        }
        live
    }

    /// Reaps those of `pids` that are the tool's children and have exited (members
    /// re-parented to the tool); each one reaped leaves the set.
    #[allow(unsafe_code)]
    pub(crate) fn reap(pids: &mut HashSet<u32>) {
        pids.retain(|&pid| {
            let mut status = 0;
            // SAFETY: waitpid on one process id with WNOHANG never blocks and fails with
            // ECHILD on a process that is not the tool's child. The ids are members of a
            // gate's command, never a child other code of the tool waits for: those carry no
            // scope variable and are not in the command's group, and the leader, which its
            // owner waits for, is left out.
            let r = unsafe { libc::waitpid(pid as libc::pid_t, &mut status, libc::WNOHANG) };
            r <= 0
        });
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn the_stat_line_is_read_after_the_command_name() {
            let line = b"4242 (we ird) name)) S 17 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 987654 1 2 3\n";
            let p = parse_stat(4242, line).unwrap();
            assert_eq!((p.ppid, p.pgrp, p.start, p.state), (17, 4242, 987654, b'S'));
            assert!(parse_stat(1, b"1 (x) S 0").is_none());
        }
    }
}

/// Without `/proc` only the process group is known.
#[cfg(not(target_os = "linux"))]
mod linux {
    use super::Scope;
    use std::collections::HashSet;

    #[derive(Clone, Debug)]
    #[allow(dead_code)]
    pub(crate) struct Proc {
        pub pid: u32,
        pub ppid: u32,
        pub pgrp: u32,
        pub start: u64,
    }

    pub(super) fn set_subreaper() {}

    pub(crate) fn stat(_pid: u32) -> Option<Proc> {
        None
    }

    pub(crate) fn alive(_pid: u32) -> bool {
        false
    }

    pub(crate) fn members(_scope: &Scope, _ours: u32) -> Vec<Proc> {
        Vec::new()
    }

    /// Without `/proc`, the group's probe is all there is.
    pub(crate) fn group_live(_scope: &Scope, _ours: u32, _reapable: &mut HashSet<u32>) -> bool {
        true
    }

    pub(crate) fn reap(_pids: &mut HashSet<u32>) {}
}

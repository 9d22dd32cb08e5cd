//! Interrupts: Ctrl-C (SIGINT), SIGTERM and SIGHUP set a process-wide flag the executor
//! polls. Running command gates are killed (every process they started, see
//! [`super::tree`]), pending ones are skipped, and the run still ends as a run: the summary,
//! the record (`interrupted: true`), the JUnit and SARIF files, exit code 2.
//!
//! Why all three: a CI runner cancels a job with SIGTERM (GitHub Actions sends SIGINT, then
//! SIGTERM), `timeout(1)` and container stops send SIGTERM, and a closed terminal or SSH
//! session sends SIGHUP. Left at their default, each killed the tool on the spot: no
//! summary, no record, no reports, and an exit code of 143 or 129 that says nothing.
//!
//! How: on Unix a `sigaction` handler (with `SA_RESTART`, so no read or wait of the tool sees
//! `EINTR`) stores the signal's number and sets the flag, two atomic stores, which is all a
//! handler may safely do. Elsewhere the `ctrlc` crate catches the console's Ctrl-C.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};

static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
/// The first interrupting signal's number (0: none yet).
static SIGNAL: AtomicI32 = AtomicI32::new(0);

/// The shared interrupt flag, installing the handlers on first use.
pub fn flag() -> Arc<AtomicBool> {
    let mut fresh = false;
    let f = FLAG
        .get_or_init(|| {
            fresh = true;
            Arc::new(AtomicBool::new(false))
        })
        .clone();
    if fresh {
        install();
    }
    f
}

/// What interrupted the run, in words for a gate's reason ("Ctrl-C", "SIGTERM", "SIGHUP"),
/// or `None` when no signal arrived (the flag was set by a caller).
pub fn cause() -> Option<&'static str> {
    name(SIGNAL.load(Ordering::SeqCst))
}

fn name(signal: i32) -> Option<&'static str> {
    #[cfg(unix)]
    {
        match signal {
            libc::SIGINT => Some("Ctrl-C"),
            libc::SIGTERM => Some("SIGTERM"),
            libc::SIGHUP => Some("SIGHUP"),
            _ => None,
        }
    }
    #[cfg(not(unix))]
    {
        (signal != 0).then_some("Ctrl-C")
    }
}

#[cfg(unix)]
extern "C" fn on_signal(signal: libc::c_int) {
    // Only atomic stores: async-signal-safe. The first signal names the cause.
    let _ = SIGNAL.compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
    if let Some(f) = FLAG.get() {
        f.store(true, Ordering::SeqCst);
    }
}

#[cfg(unix)]
#[allow(unsafe_code)]
fn install() {
    for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: a zeroed `sigaction` is a valid value (no flags, empty mask) that is then
        // filled in; the handler only does atomic stores (see `on_signal`). A signal the
        // embedding program ignores (`nohup` ignores SIGHUP) is left ignored.
        unsafe {
            let mut old: libc::sigaction = std::mem::zeroed();
            if libc::sigaction(signal, std::ptr::null(), &mut old) == 0
                && old.sa_sigaction == libc::SIG_IGN
            {
                continue;
            }
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

#[cfg(not(unix))]
fn install() {
    // If a handler is already installed (e.g. by an embedding program) we keep theirs; the
    // run then simply cannot be interrupted through this flag.
    let _ = ctrlc::set_handler(|| {
        let _ = SIGNAL.compare_exchange(0, 1, Ordering::SeqCst, Ordering::SeqCst);
        if let Some(f) = FLAG.get() {
            f.store(true, Ordering::SeqCst);
        }
    });
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn signals_are_named_for_the_reason() {
        assert_eq!(name(libc::SIGINT), Some("Ctrl-C"));
        assert_eq!(name(libc::SIGTERM), Some("SIGTERM"));
        assert_eq!(name(libc::SIGHUP), Some("SIGHUP"));
        assert_eq!(name(0), None);
    }
}

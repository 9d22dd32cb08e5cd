//! One run of a command per pipeline run, however many gates judge it.
//!
//! The harness gates (`harness-matrix`, `instance-isolation`) each judge the target's test
//! suites from the runner's report. Running the suites once per gate would double the
//! slowest part of the pipeline, so gates whose command is the same (same argv, working
//! directory, environment and report file) share one run: the first gate to need it runs it
//! while the others wait, then every gate judges the same report. `cargo xtask gate ID`
//! alone runs what that gate needs.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use super::command::CommandRun;
use crate::error::GateError;

/// What makes two gates' commands the same run.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RunKey {
    pub argv: Vec<String>,
    pub cwd: PathBuf,
    pub env: Vec<(String, String)>,
    pub report: Option<PathBuf>,
}

type Slot = Arc<Mutex<Option<Result<CommandRun, String>>>>;

/// The commands of one pipeline run, by key.
#[derive(Debug, Default)]
pub struct SharedRuns {
    slots: Mutex<HashMap<RunKey, Slot>>,
    /// Which gate ran each key (for the notes of the gates that reused it).
    owners: Mutex<HashMap<RunKey, String>>,
}

/// A shared run as a gate sees it.
pub struct Shared {
    pub run: CommandRun,
    /// The gate that ran it, when it was not this one.
    pub ran_by: Option<String>,
}

impl SharedRuns {
    /// The run for `key`: made by `make` if no gate made it yet (the caller blocks while
    /// another gate is making it).
    pub fn get_or_run(
        &self,
        key: RunKey,
        gate: &str,
        make: impl FnOnce() -> Result<CommandRun, GateError>,
    ) -> Result<Shared, GateError> {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
            slots.entry(key.clone()).or_default().clone()
        };
        let mut held = slot.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(done) = held.as_ref() {
            // A run that was cancelled or killed is not reused: this gate runs it again.
            let reusable = matches!(done, Ok(r) if !r.cancelled);
            if reusable {
                let ran_by = self
                    .owners
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(&key)
                    .cloned()
                    .filter(|g| g != gate);
                return match done {
                    Ok(r) => Ok(Shared {
                        run: r.clone(),
                        ran_by,
                    }),
                    Err(e) => Err(GateError::msg(e.clone())),
                };
            }
        }
        let made = make();
        *held = Some(made.as_ref().map(Clone::clone).map_err(|e| e.to_string()));
        self.owners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, gate.to_string());
        made.map(|run| Shared { run, ran_by: None })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::{Duration, SystemTime};

    fn fake(argv: &str) -> CommandRun {
        CommandRun {
            argv: vec![argv.into()],
            cwd: PathBuf::from("."),
            exit_code: Some(0),
            timed_out: false,
            cancelled: false,
            duration: Duration::from_millis(1),
            started_at: SystemTime::now(),
            log: None,
            stdout: String::new(),
            stderr: String::new(),
        }
    }

    fn key(argv: &str) -> RunKey {
        RunKey {
            argv: vec![argv.into()],
            cwd: PathBuf::from("."),
            env: Vec::new(),
            report: None,
        }
    }

    #[test]
    fn one_run_per_key_across_threads() {
        let shared = Arc::new(SharedRuns::default());
        let made = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let shared = shared.clone();
                let made = made.clone();
                std::thread::spawn(move || {
                    let gate = format!("g{i}");
                    shared
                        .get_or_run(key("vitest"), &gate, || {
                            made.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(Duration::from_millis(30));
                            Ok(fake("vitest"))
                        })
                        .unwrap()
                        .ran_by
                })
            })
            .collect();
        let reused = handles
            .into_iter()
            .map(|h| h.join().unwrap())
            .filter(Option::is_some)
            .count();
        assert_eq!(made.load(Ordering::SeqCst), 1);
        assert_eq!(reused, 3);
        // Another command is another run.
        shared
            .get_or_run(key("other"), "g0", || {
                made.fetch_add(1, Ordering::SeqCst);
                Ok(fake("other"))
            })
            .unwrap();
        assert_eq!(made.load(Ordering::SeqCst), 2);
    }

    #[test]
    fn a_cancelled_run_is_not_reused() {
        let shared = SharedRuns::default();
        let mut c = fake("vitest");
        c.cancelled = true;
        shared.get_or_run(key("vitest"), "a", || Ok(c)).unwrap();
        let again = shared
            .get_or_run(key("vitest"), "b", || Ok(fake("vitest")))
            .unwrap();
        assert!(!again.run.cancelled);
        assert_eq!(again.ran_by, None);
    }
}

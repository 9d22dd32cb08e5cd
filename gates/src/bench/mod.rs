//! `cargo xtask bench <name>`: benchmarks over generated inputs. Speed and memory targets are
//! checked here, never by timed unit tests. Each benchmark generates its input in a temporary
//! directory, runs the measured code several times and prints the median and spread.

pub mod documents;
pub mod executor;
pub mod guard;
pub mod metadata_contract;

use std::time::{Duration, Instant};

/// Runs `f` `runs` times after one warm-up and returns the sorted durations.
pub fn measure(runs: usize, mut f: impl FnMut()) -> Vec<Duration> {
    f();
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times
}

/// Median of sorted durations.
pub fn median(sorted: &[Duration]) -> Duration {
    sorted[sorted.len() / 2]
}

/// `median (min … max)` in milliseconds.
pub fn describe(sorted: &[Duration]) -> String {
    format!(
        "{:.2} ms (min {:.2}, max {:.2}, n={})",
        median(sorted).as_secs_f64() * 1e3,
        sorted[0].as_secs_f64() * 1e3,
        sorted[sorted.len() - 1].as_secs_f64() * 1e3,
        sorted.len()
    )
}

//! Human output: a live line per running gate on a terminal, plain lines otherwise, and a
//! closing summary whose counts add up and which repeats every failure with its first
//! findings. Colour by `--color` and the environment's conventions ([`colour`]). Text from
//! the target is escaped first ([`super::terminal`]).

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::colour::{self, ColorChoice};
use crate::finding::Severity;
use crate::record::{GateResult, RunRecord, SliceResult, Status};
use crate::run::executor::Observer;

/// How many findings per failed gate the summary repeats.
pub const SUMMARY_FINDINGS: usize = 5;

#[derive(Clone, Copy, Debug)]
pub struct Style {
    pub colour: bool,
}

impl Style {
    /// The style of a stream: `choice` (`--color`) and the environment's conventions
    /// decide ([`colour::from_env`]).
    pub fn detect(choice: ColorChoice, is_tty: bool) -> Style {
        Style {
            colour: colour::from_env(choice, is_tty),
        }
    }

    fn paint(&self, style: anstyle::Style, s: &str) -> String {
        if self.colour {
            format!("{style}{s}{style:#}")
        } else {
            s.to_string()
        }
    }

    pub fn status(&self, st: Status) -> String {
        use anstyle::AnsiColor::{Green, Magenta, Red, Yellow};
        let (colour, word) = match st {
            Status::Passed => (Green, "PASS"),
            Status::Failed => (Red, "FAIL"),
            Status::Skipped => (Yellow, "SKIP"),
            Status::TimedOut => (Red, "TIME"),
            Status::Errored => (Magenta, "ERR "),
        };
        self.paint(colour.on_default(), word)
    }

    pub fn dim(&self, s: &str) -> String {
        self.paint(anstyle::Style::new().dimmed(), s)
    }

    pub fn bold(&self, s: &str) -> String {
        self.paint(anstyle::Style::new().bold(), s)
    }
}

pub fn secs(ms: u64) -> String {
    format!("{:.2}s", ms as f64 / 1000.0)
}

/// One finished gate as a line.
pub fn gate_line(style: &Style, g: &GateResult) -> String {
    let g = &super::terminal::gate(g);
    let mut line = format!(
        "{} {:<28} {:>7}",
        style.status(g.status),
        g.id,
        secs(g.duration_ms)
    );
    if g.cached {
        line.push_str(&format!(" {}", style.dim("(cached)")));
    }
    // By severity, as `history` counts them: errors fail the gate, warnings and notes
    // do not.
    let count = |sev: Severity| g.findings.iter().filter(|f| f.severity == sev).count();
    for (n, word) in [
        (count(Severity::Error), "error"),
        (count(Severity::Warning), "warning"),
        (count(Severity::Note), "note"),
    ] {
        if n > 0 {
            line.push_str(&format!("  {n} {word}{}", if n == 1 { "" } else { "s" }));
        }
    }
    if let Some(r) = &g.reason {
        line.push_str(&format!("  {}", style.dim(r)));
    }
    line
}

/// Live progress. On a terminal it keeps one line per running gate at the bottom and
/// redraws it; elsewhere it prints one plain line per finished gate.
pub struct Live {
    style: Style,
    tty: bool,
    state: Arc<Mutex<LiveState>>,
    stop: Arc<std::sync::atomic::AtomicBool>,
    ticker: Option<std::thread::JoinHandle<()>>,
}

#[derive(Default)]
struct LiveState {
    running: Vec<(String, Instant)>,
    drawn: usize,
    /// Without a terminal: for each running gate, the progress lines printed so far.
    told: Vec<(String, u64)>,
}

/// The environment variable setting, in seconds, how often a gate still running is reported
/// when stderr is not a terminal (default 10).
pub const PROGRESS_EVERY_ENV: &str = "RAWR_GATES_PROGRESS_EVERY";

fn progress_every() -> Duration {
    let secs = std::env::var(PROGRESS_EVERY_ENV)
        .ok()
        .and_then(|v| v.trim().parse::<u64>().ok())
        .filter(|s| *s > 0)
        .unwrap_or(10);
    Duration::from_secs(secs)
}

/// Without a terminal, a plain line for each gate that has run another period, so a log is
/// never silent for long: `  ... harness-matrix still running (10s)`.
fn tell_progress(s: &mut LiveState, every: Duration) {
    let mut lines = String::new();
    let LiveState { running, told, .. } = s;
    for (g, t) in running.iter() {
        let periods = (t.elapsed().as_secs_f64() / every.as_secs_f64()) as u64;
        let Some(n) = told.iter_mut().find(|(x, _)| x == g).map(|(_, n)| n) else {
            continue;
        };
        if periods > *n {
            *n = periods;
            lines.push_str(&format!(
                "  ... {g} still running ({}s)\n",
                periods * every.as_secs()
            ));
        }
    }
    if !lines.is_empty() {
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(lines.as_bytes());
        let _ = err.flush();
    }
}

impl Live {
    pub fn new(style: Style, tty: bool) -> Live {
        let state = Arc::new(Mutex::new(LiveState::default()));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let every = progress_every();
        let ticker = Some({
            let state = state.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                loop {
                    // Woken early by `finish` (which would otherwise wait out the tick: up to
                    // 200 ms added to every run, and to each verdict under `--watch`).
                    std::thread::park_timeout(Duration::from_millis(200));
                    if stop.load(std::sync::atomic::Ordering::Relaxed) {
                        break;
                    }
                    let mut s = state.lock().expect("lock");
                    if tty {
                        redraw(&style, &mut s, None);
                    } else {
                        tell_progress(&mut s, every);
                    }
                }
            })
        });
        Live {
            style,
            tty,
            state,
            stop,
            ticker,
        }
    }

    /// Stops the ticker and clears the live lines.
    pub fn finish(mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            t.thread().unpark();
            let _ = t.join();
        }
        if self.tty {
            let mut s = self.state.lock().expect("lock");
            s.running.clear();
            redraw(&self.style, &mut s, None);
        }
    }
}

fn redraw(style: &Style, s: &mut LiveState, above: Option<&str>) {
    let mut err = std::io::stderr().lock();
    let mut buf = String::new();
    if s.drawn > 0 {
        buf.push_str(&format!("\x1b[{}A\x1b[J", s.drawn));
    }
    if let Some(line) = above {
        buf.push_str(line);
        buf.push('\n');
    }
    for (g, t) in &s.running {
        buf.push_str(&format!(
            "{} {g} {}\n",
            style.dim("  ..."),
            style.dim(&format!("{:.1}s", t.elapsed().as_secs_f64()))
        ));
    }
    s.drawn = s.running.len();
    let _ = err.write_all(buf.as_bytes());
    let _ = err.flush();
}

impl Observer for Live {
    fn gate_started(&self, gate: &str) {
        let mut s = self.state.lock().expect("lock");
        s.running.push((gate.to_string(), Instant::now()));
        if self.tty {
            redraw(&self.style, &mut s, None);
        } else {
            s.told.push((gate.to_string(), 0));
        }
    }

    fn gate_finished(&self, r: &GateResult) {
        let line = gate_line(&self.style, r);
        if self.tty {
            let mut s = self.state.lock().expect("lock");
            s.running.retain(|(g, _)| g != &r.id);
            redraw(&self.style, &mut s, Some(&line));
        } else {
            let mut s = self.state.lock().expect("lock");
            s.running.retain(|(g, _)| g != &r.id);
            s.told.retain(|(g, _)| g != &r.id);
            // A closed stderr must not end the run: the result is still recorded.
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    }

    fn slice_finished(&self, _r: &SliceResult) {}
}

/// The closing summary.
pub fn summary(style: &Style, record: &RunRecord) -> String {
    let record = &super::terminal::record(record);
    let c = &record.counts;
    let mut out = String::new();
    out.push_str(&format!(
        "\n{}\n",
        style.bold(&format!(
            "{}: {} ({})",
            record.heading(),
            record.pipeline,
            record.selection
        ))
    ));
    out.push_str("slices:");
    for s in &record.slices {
        out.push_str(&format!(" {}={}", s.id, s.status.as_str()));
        if s.blocked_by.is_some() {
            out.push_str("(blocked)");
        }
    }
    out.push('\n');
    let blocked: Vec<&SliceResult> = record
        .slices
        .iter()
        .filter(|s| s.blocked_by.is_some())
        .collect();
    if !blocked.is_empty() {
        out.push_str("would have been blocked in a gating run (--all ran them anyway):\n");
        for s in blocked {
            out.push_str(&format!(
                "  {} by {}\n",
                s.id,
                s.blocked_by.as_deref().unwrap_or_default()
            ));
        }
    }

    let bad: Vec<&GateResult> = record
        .gates
        .iter()
        .filter(|g| {
            matches!(
                g.status,
                Status::Failed | Status::TimedOut | Status::Errored
            )
        })
        .collect();
    if !bad.is_empty() {
        out.push_str(&format!("\n{}\n", style.bold("failures:")));
        for g in &bad {
            out.push_str(&format!(
                "{} {} [{}]",
                style.status(g.status),
                g.id,
                g.slices.join(", ")
            ));
            if let Some(r) = &g.reason {
                out.push_str(&format!(": {r}"));
            }
            out.push('\n');
            let errors: Vec<_> = g
                .findings
                .iter()
                .filter(|f| f.severity == Severity::Error)
                .collect();
            for f in errors.iter().take(SUMMARY_FINDINGS) {
                let loc = f.location();
                if loc.is_empty() {
                    out.push_str(&format!(
                        "    {} {}\n",
                        style.dim(&format!("[{}]", f.rule)),
                        f.message
                    ));
                } else {
                    out.push_str(&format!(
                        "    {loc} {} {}\n",
                        style.dim(&format!("[{}]", f.rule)),
                        f.message
                    ));
                }
                if let Some(help) = &f.help {
                    let lines: Vec<&str> = help.lines().collect();
                    let shown = lines.len().min(3);
                    for l in &lines[lines.len() - shown..] {
                        out.push_str(&format!("      {}\n", style.dim(l)));
                    }
                }
            }
            if errors.len() > SUMMARY_FINDINGS {
                out.push_str(&format!(
                    "    ... and {} more: `cargo xtask gate {}` lists them all (with the same --repo), as does --format json\n",
                    errors.len() - SUMMARY_FINDINGS,
                    g.id
                ));
            }
        }
    }
    let skipped = record
        .gates
        .iter()
        .filter(|g| g.status == Status::Skipped)
        .count();
    if skipped > 0 {
        out.push_str(&format!(
            "\n{skipped} gate(s) skipped; see the lines above for each reason.\n"
        ));
    }
    out.push_str(&format!(
        "\n{} planned = {} passed + {} failed + {} skipped + {} timed out + {} errored  in {}{}\n",
        c.planned,
        c.passed,
        c.failed,
        c.skipped,
        c.timed_out,
        c.errored,
        secs(record.duration_ms),
        if record.interrupted {
            "  (interrupted)"
        } else {
            ""
        }
    ));
    out
}

/// Full details of one gate, for `cargo xtask gate ID`.
pub fn gate_details(style: &Style, g: &GateResult) -> String {
    let g = &super::terminal::gate(g);
    let mut out = format!("{}\n", gate_line(style, g));
    for n in &g.notes {
        out.push_str(&format!("  note: {n}\n"));
    }
    for f in &g.findings {
        let loc = f.location();
        let sev = if f.severity == Severity::Error {
            String::new()
        } else {
            format!("{}: ", f.severity.as_str())
        };
        if loc.is_empty() {
            out.push_str(&format!("  {sev}[{}] {}\n", f.rule, f.message));
        } else {
            out.push_str(&format!("  {loc}: {sev}[{}] {}\n", f.rule, f.message));
        }
        if let Some(h) = &f.help {
            for l in h.lines() {
                out.push_str(&format!("      {l}\n"));
            }
        }
    }
    if !g.output.is_empty() && g.status != Status::Passed {
        out.push_str("  output (tail):\n");
        for l in g.output.lines() {
            out.push_str(&format!("    {l}\n"));
        }
    }
    out
}

#[cfg(test)]
mod live_tests {
    use super::*;

    #[test]
    fn finishing_does_not_wait_out_the_tick() {
        let live = Live::new(Style::detect(ColorChoice::Never, false), false);
        let t = std::time::Instant::now();
        live.finish();
        // The ticker sleeps 200 ms between ticks; finishing wakes it.
        assert!(
            t.elapsed() < Duration::from_millis(120),
            "{:?}",
            t.elapsed()
        );
    }
}

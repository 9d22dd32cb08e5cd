//! `cargo xtask fuzz [TARGET] [--time S]`: runs the cargo-fuzz targets of `fuzz/` (the
//! readers of untrusted input: JSON, pipeline, markdown, test reports, the TypeScript flow
//! and host gates, the Inngest signature) one after the other, each for `S` seconds, and
//! prints the executions and crashes of each.
//!
//! Needs a nightly toolchain and cargo-fuzz (`rustup toolchain install nightly`,
//! `cargo install cargo-fuzz`). The committed seeds are in `fuzz/seeds/TARGET/`; what
//! libFuzzer finds goes to `fuzz/corpus/TARGET/` and a crash to `fuzz/artifacts/TARGET/`
//! (both ignored by git). A crash is fixed with a regression test of the input in the
//! crate that crashed, and the input added to the seeds.

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// One target's outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub target: String,
    pub seconds: u64,
    /// Executions libFuzzer reported (`Done N runs` / `stat::number_of_executed_units`).
    pub runs: Option<u64>,
    /// Whether libFuzzer stopped on a crash (its artifact is under `fuzz/artifacts/`).
    pub crashed: bool,
}

fn cargo_fuzz(workspace: &Path) -> Command {
    let mut c = Command::new("cargo");
    c.arg("+nightly").arg("fuzz").current_dir(workspace);
    c
}

/// The fuzz targets (`cargo fuzz list`).
pub fn targets(workspace: &Path) -> Result<Vec<String>, String> {
    let out = cargo_fuzz(workspace)
        .arg("list")
        .output()
        .map_err(|e| format!("cannot run `cargo +nightly fuzz list`: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "`cargo +nightly fuzz list` failed (install a nightly toolchain and cargo-fuzz: `rustup toolchain install nightly`, `cargo install cargo-fuzz`):\n{}",
            String::from_utf8_lossy(&out.stderr).trim_end()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_string)
        .collect())
}

/// The executions count in a libFuzzer output line, if it states the final one.
pub fn runs_in_line(line: &str) -> Option<u64> {
    if let Some(rest) = line.strip_prefix("stat::number_of_executed_units:") {
        return rest.trim().parse().ok();
    }
    let rest = line.strip_prefix("Done ")?;
    rest.split_whitespace().next()?.parse().ok()
}

/// Runs one target for `seconds`, its output passed through to stderr.
pub fn run_target(workspace: &Path, target: &str, seconds: u64) -> Result<Outcome, String> {
    let corpus = workspace.join("fuzz/corpus").join(target);
    let seeds = workspace.join("fuzz/seeds").join(target);
    std::fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
    let mut cmd = cargo_fuzz(workspace);
    cmd.args(["run", target]).arg(&corpus);
    if seeds.is_dir() {
        cmd.arg(&seeds);
    }
    cmd.arg("--")
        .arg(format!("-max_total_time={seconds}"))
        // An input taking longer is a finding: the readers must stay linear (the markdown
        // target grows short units into 64 KB documents).
        .arg("-timeout=10")
        .arg("-print_final_stats=1")
        .stdout(Stdio::inherit())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .map_err(|e| format!("cannot run `cargo +nightly fuzz run {target}`: {e}"))?;
    let mut runs = None;
    if let Some(err) = child.stderr.take() {
        let mut stderr = std::io::stderr();
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if let Some(n) = runs_in_line(&line) {
                runs = Some(n);
            }
            let _ = writeln!(stderr, "{line}");
        }
    }
    let status = child
        .wait()
        .map_err(|e| format!("waiting for the fuzzer: {e}"))?;
    Ok(Outcome {
        target: target.to_string(),
        seconds,
        runs,
        crashed: !status.success(),
    })
}

/// Runs `only` (or every target) for `seconds` each; prints a line per target. Exit code:
/// 0 no crash, 1 a target crashed, 2 the fuzzer could not run.
pub fn run(workspace: &Path, only: Option<&str>, seconds: u64) -> Result<(i32, String), String> {
    let all = targets(workspace)?;
    let chosen: Vec<String> = match only {
        None => all,
        Some(t) if all.iter().any(|a| a == t) => vec![t.to_string()],
        Some(t) => {
            return Err(format!(
                "unknown fuzz target `{t}` (known: {})",
                all.join(", ")
            ));
        }
    };
    let mut summary = String::from("fuzz target          seconds        runs  result\n");
    let mut crashed = false;
    for t in &chosen {
        let o = run_target(workspace, t, seconds)?;
        crashed |= o.crashed;
        summary.push_str(&format!(
            "{:<20} {:>7} {:>11}  {}\n",
            o.target,
            o.seconds,
            o.runs.map(|r| r.to_string()).unwrap_or_else(|| "?".into()),
            if o.crashed {
                format!("CRASH (see fuzz/artifacts/{t}/)")
            } else {
                "no crash".into()
            }
        ));
    }
    Ok((i32::from(crashed), summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_final_execution_count_is_read_from_libfuzzer_output() {
        assert_eq!(
            runs_in_line("Done 1234567 runs in 61 second(s)"),
            Some(1_234_567)
        );
        assert_eq!(
            runs_in_line("stat::number_of_executed_units: 98765"),
            Some(98_765)
        );
        assert_eq!(runs_in_line("#1024\tpulse  cov: 12 ft: 13"), None);
        assert_eq!(runs_in_line("Done"), None);
    }
}

//! `cargo xtask bench cold-build`: how long a first `cargo build -p xtask` takes (what every
//! user's first `cargo xtask` and every CI run pays), against its target.
//!
//! The committed state (HEAD) is cloned into a temporary directory and built with an empty
//! target directory each run, with the dependencies' sources already fetched (`cargo fetch`
//! first, not timed): no compiled artifact is reused, no download is counted. cargo's own
//! `--timings` report then says where the time went: the sum of the units' compile times,
//! and how long the build ran after the last dependency was done (the `gates` and `xtask`
//! crates alone, which nothing else can overlap).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// One unit of cargo's timing report.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub name: String,
    pub start: f64,
    pub duration: f64,
}

/// The units of a `cargo build --timings` HTML report (its `UNIT_DATA` array).
pub fn units(html: &str) -> anyhow::Result<Vec<Unit>> {
    const MARK: &str = "const UNIT_DATA = ";
    let at = html
        .find(MARK)
        .context("the timing report has no UNIT_DATA")?
        + MARK.len();
    let end = html[at..]
        .find(";\n")
        .context("the timing report's UNIT_DATA does not end")?;
    let data: serde_json::Value =
        serde_json::from_str(&html[at..at + end]).context("the timing report's UNIT_DATA")?;
    let Some(list) = data.as_array() else {
        bail!("the timing report's UNIT_DATA is not a list");
    };
    list.iter()
        .map(|u| {
            Ok(Unit {
                name: u["name"]
                    .as_str()
                    .context("a timing unit without a name")?
                    .to_string(),
                start: u["start"].as_f64().context("a timing unit without start")?,
                duration: u["duration"]
                    .as_f64()
                    .context("a timing unit without duration")?,
            })
        })
        .collect()
}

/// What one build's units say: the summed compile time, and the time from the end of the
/// last unit that is not one of `own` to the end of the build.
pub fn summary(units: &[Unit], own: &[&str]) -> (f64, f64) {
    let sum = units.iter().map(|u| u.duration).sum();
    let end = units
        .iter()
        .map(|u| u.start + u.duration)
        .fold(0.0, f64::max);
    let deps_done = units
        .iter()
        .filter(|u| !own.contains(&u.name.as_str()))
        .map(|u| u.start + u.duration)
        .fold(0.0, f64::max);
    (sum, end - deps_done)
}

/// The CPU time this process's waited-for children used so far (Linux: `/proc/self/stat`,
/// in the kernel's 100 Hz user ticks); `None` elsewhere.
fn children_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // cutime and cstime are fields 16 and 17 of the whole line, 14 and 15 after the name.
    let ticks: u64 = fields.get(13)?.parse::<u64>().ok()? + fields.get(14)?.parse::<u64>().ok()?;
    Some(Duration::from_millis(ticks * 10))
}

/// A directory under the system's temporary directory, removed when dropped.
struct TempDir(std::path::PathBuf);

impl TempDir {
    fn create() -> anyhow::Result<TempDir> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let path = std::env::temp_dir().join(format!(
            "rawr-gates-cold-build-{}-{nanos:x}",
            std::process::id()
        ));
        std::fs::create_dir(&path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(TempDir(path))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run(cmd: &mut Command, what: &str) -> anyhow::Result<()> {
    let status = cmd.status().with_context(|| format!("cannot run {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}

/// Builds the xtask from scratch `runs` times; prints each run and the median against
/// `target_secs`. Returns whether the median is within the target.
pub fn bench(workspace: &Path, runs: usize, target_secs: f64) -> anyhow::Result<bool> {
    let tmp = TempDir::create()?;
    let src = tmp.0.join("src");
    run(
        Command::new("git")
            .args(["clone", "--quiet", "--no-hardlinks"])
            .arg(workspace)
            .arg(&src),
        "git clone of the workspace",
    )?;
    let head = String::from_utf8_lossy(
        &Command::new("git")
            .args(["rev-parse", "--short", "HEAD"])
            .current_dir(&src)
            .output()
            .context("git rev-parse")?
            .stdout,
    )
    .trim()
    .to_string();
    run(
        Command::new("cargo")
            .args(["fetch", "--locked", "--quiet"])
            .current_dir(&src),
        "cargo fetch",
    )?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    eprintln!(
        "cold `cargo build -p xtask` of {head} on {cores} core(s), {runs} run(s), each with an empty target directory"
    );
    let mut walls = Vec::new();
    for i in 1..=runs.max(1) {
        let target = tmp.0.join(format!("target-{i}"));
        let cpu_before = children_cpu();
        let t = Instant::now();
        run(
            Command::new("cargo")
                .args(["build", "-p", "xtask", "--locked", "--timings", "--quiet"])
                .current_dir(&src)
                .env("CARGO_TARGET_DIR", &target)
                // The profile's choice counts, not the caller's.
                .env_remove("CARGO_INCREMENTAL")
                .env_remove("RUSTC_WRAPPER")
                .stdout(Stdio::null()),
            "cargo build -p xtask",
        )?;
        let wall = t.elapsed().as_secs_f64();
        let cpu = match (cpu_before, children_cpu()) {
            (Some(a), Some(b)) => format!("{:.1} s CPU", (b - a).as_secs_f64()),
            _ => "CPU n/a".into(),
        };
        let html = std::fs::read_to_string(target.join("cargo-timings/cargo-timing.html"))
            .context("cargo's timing report")?;
        let units = units(&html)?;
        let (sum, tail) = summary(&units, &["gates", "xtask"]);
        let mut top: Vec<&Unit> = units.iter().collect();
        top.sort_by(|a, b| b.duration.total_cmp(&a.duration));
        let top: Vec<String> = top
            .iter()
            .take(5)
            .map(|u| format!("{} {:.1}", u.name, u.duration))
            .collect();
        println!(
            "run {i}: {wall:.1} s wall, {cpu}; {} units summing to {sum:.1} s; {tail:.1} s after the last dependency (gates + xtask); slowest: {}",
            units.len(),
            top.join(", ")
        );
        walls.push(wall);
        std::fs::remove_dir_all(&target).ok();
    }
    walls.sort_by(f64::total_cmp);
    let median = walls[walls.len() / 2];
    let met = median <= target_secs;
    println!(
        "median {median:.1} s (min {:.1}, max {:.1}); target {target_secs:.0} s: {}",
        walls[0],
        walls[walls.len() - 1],
        if met {
            "met".to_string()
        } else {
            format!("over by {:.1} s", median - target_secs)
        }
    );
    Ok(met)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HTML: &str = "<script>\nconst UNIT_DATA = [{\"i\":0,\"name\":\"serde\",\"version\":\"1\",\"mode\":\"todo\",\"target\":\"\",\"start\":0.5,\"duration\":2.0,\"rmeta_time\":1.0,\"unlocked_units\":[],\"unlocked_rmeta_units\":[]},{\"i\":1,\"name\":\"oxc_ast\",\"start\":1.0,\"duration\":9.0},{\"i\":2,\"name\":\"gates\",\"start\":10.0,\"duration\":12.5},{\"i\":3,\"name\":\"xtask\",\"start\":22.5,\"duration\":1.0}];\nconst CONCURRENCY_DATA = [];\n</script>";

    #[test]
    fn the_units_of_a_timing_report() {
        let u = units(HTML).unwrap();
        assert_eq!(u.len(), 4);
        assert_eq!(
            u[1],
            Unit {
                name: "oxc_ast".into(),
                start: 1.0,
                duration: 9.0
            }
        );
        let (sum, tail) = summary(&u, &["gates", "xtask"]);
        assert_eq!(sum, 24.5);
        // The last dependency (oxc_ast) ends at 10.0, the build at 23.5.
        assert_eq!(tail, 13.5);
    }

    #[test]
    fn a_report_without_unit_data_is_an_error() {
        let e = units("<html></html>").unwrap_err();
        assert_eq!(e.to_string(), "the timing report has no UNIT_DATA");
        let e = units("const UNIT_DATA = [{\"name\":\"a\"}];\n").unwrap_err();
        assert_eq!(e.to_string(), "a timing unit without start");
    }
}

//! `cargo xtask bench metadata-contract`: the `metadata-contract` check over a generated tree
//! of plugin manifests (default 10 000, spread over the five roots; about 3 % carry a
//! violation, so the reporting path is measured too). Target: ≤ 110 ms for 10k manifests.

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::checks::metadata_contract::{self, Config};
use crate::error::GateError;
use crate::repo::plugins::DEFAULT_ROOTS;

/// The figure the issue asks for, for 10k manifests.
pub const TARGET: Duration = Duration::from_millis(110);

/// A generated tree, removed when dropped.
struct Tree(PathBuf);

impl Drop for Tree {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn generate(dir: &Path, manifests: usize) -> std::io::Result<usize> {
    let mut bad = 0;
    for i in 0..manifests {
        let (root, kind) = DEFAULT_ROOTS[i % DEFAULT_ROOTS.len()];
        let name = format!("plugin-{i:06}");
        let d = dir.join("plugins").join(root).join(&name);
        std::fs::create_dir_all(&d)?;
        // Every 32nd manifest still carries a legacy key; every 97th lacks a capability.
        let legacy = if i % 32 == 0 {
            bad += 1;
            ",\n    \"channel\": \"B\""
        } else {
            ""
        };
        let capability = if i % 97 == 0 {
            bad += 1;
            String::new()
        } else {
            format!(",\n    \"capability\": \"{name}\"")
        };
        let text = format!(
            "{{\n  \"name\": \"@rawr/{name}\",\n  \"version\": \"0.1.0\",\n  \"private\": true,\n  \"type\": \"module\",\n  \"description\": \"generated plugin {i} for the metadata-contract benchmark\",\n  \"exports\": {{ \".\": \"./src/index.ts\" }},\n  \"scripts\": {{ \"build\": \"tsc -p .\", \"test\": \"vitest run\" }},\n  \"dependencies\": {{ \"@rawr/hq\": \"workspace:*\" }},\n  \"rawr\": {{\n    \"kind\": \"{kind}\"{capability}{legacy}\n  }}\n}}\n"
        );
        std::fs::write(d.join("package.json"), text)?;
    }
    Ok(bad)
}

/// Generates the tree, runs the check `runs` times and prints the figures. Returns whether
/// the median met the target (only judged at the 10k size the target is set for).
pub fn run(manifests: usize, runs: usize) -> Result<bool, GateError> {
    let dir = std::env::temp_dir().join(format!(
        "rawr-gates-bench-metadata-{}-{}",
        std::process::id(),
        manifests
    ));
    let _ = std::fs::remove_dir_all(&dir);
    let tree = Tree(dir);
    let bad = generate(&tree.0, manifests).map_err(|e| GateError::io(&tree.0, e))?;
    // Write the tree back to disk first, so that writeback does not overlap the timed runs.
    let _ = std::process::Command::new("sync").status();
    let repo = std::fs::canonicalize(&tree.0).map_err(|e| GateError::io(&tree.0, e))?;
    let cfg = Config::default();
    // Sanity: the check must see every manifest and every planted violation.
    let out = metadata_contract::check_repo(&repo, &cfg)?;
    let errors = out.findings.len();
    if errors != bad {
        return Err(GateError::msg(format!(
            "benchmark tree: expected {bad} findings, the check reported {errors}"
        )));
    }
    let mut failure = None;
    let cpu_before = process_cpu_ticks();
    let times = super::measure(runs, || {
        if let Err(e) = metadata_contract::check_repo(&repo, &cfg) {
            failure.get_or_insert(e);
        }
    });
    let cpu = process_cpu_ticks()
        .zip(cpu_before)
        .map(|(after, before)| (after - before) as f64 * 10.0 / (runs + 1) as f64);
    if let Some(e) = failure {
        return Err(e);
    }
    let median = super::median(&times);
    println!(
        "metadata-contract: {manifests} manifests ({bad} with violations), {} threads",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
    println!("  check (wall): {}", super::describe(&times));
    if let Some(ms) = cpu {
        // CPU time is what a busy machine does not inflate: the wall figure above includes
        // waiting for a core when other processes compete for it.
        println!("  check (CPU, user+sys, all threads): {ms:.0} ms per run");
    }
    let met = median <= TARGET.mul_f64(manifests as f64 / 10_000.0);
    println!(
        "  target: ≤ {} ms per 10k manifests → {}",
        TARGET.as_millis(),
        if met { "met" } else { "NOT met" }
    );
    Ok(met)
}

/// User + system CPU time of this process so far, in clock ticks (1/100 s on Linux), read
/// from `/proc/self/stat`; `None` elsewhere.
fn process_cpu_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses and may contain spaces).
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

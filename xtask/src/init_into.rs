//! `cargo xtask init --into DIR`: make the tool the target repository's own `cargo xtask`.
//!
//! Writes, at the target's root: a Rust workspace (`Cargo.toml`, with this workspace's
//! profiles for a short first build, and `Cargo.lock`), a thin `xtask/` crate whose binary
//! is `xtask` and whose only code calls this workspace's command line with the target's
//! pipeline as the default ([`crate::main_in`]), the `cargo xtask` alias
//! (`.cargo/config.toml`), the pipeline `ci/phase-a.toml` (this workspace's pipeline, or
//! `--pipeline`, with `target.repo = "."`) and the workflow rendered from it (the target's
//! lockfile at its root decides how the stage jobs install). The dependency on this
//! workspace is a relative path to this checkout, or `--git URL [--rev REV]`.
//!
//! Nothing is overwritten without `--force`: when any of these files exists, nothing at all
//! is written and the error lists them. A path that leads out of the target through a
//! symlink is refused. `/target/` is appended to `.gitignore` when git does not ignore it
//! already (the build output must not make the work tree dirty: the preflight gate wants it
//! clean). Every file written is named in the output.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};

/// How the target's xtask depends on this workspace.
pub enum Dependency {
    /// A path to this checkout (written relative to the target when possible).
    Path(PathBuf),
    /// A git repository, at a revision (default: the commit this checkout is at).
    Git { url: String, rev: Option<String> },
}

pub struct Options {
    pub into: PathBuf,
    pub force: bool,
    /// The pipeline to start from.
    pub template: PathBuf,
    pub dep: Dependency,
    /// This tool's workspace (its `Cargo.lock` seeds the target's).
    pub tool_root: PathBuf,
}

/// What was done, line by line; `complete` is false when a step after the writing failed.
pub struct Done {
    pub lines: Vec<String>,
    pub complete: bool,
}

/// The package name of the thin crate (its binary is `xtask`; the package cannot be called
/// `xtask` too, since it depends on this workspace's `xtask` package).
const PACKAGE: &str = "rawr-xtask";

pub fn run(o: &Options) -> anyhow::Result<Done> {
    let root =
        std::fs::canonicalize(&o.into).with_context(|| format!("--into {}", o.into.display()))?;
    if !root.is_dir() {
        bail!("--into {}: not a directory", o.into.display());
    }
    if root.parent().is_none() {
        bail!(
            "--into {}: the filesystem root is not a repository",
            o.into.display()
        );
    }

    let dep = match &o.dep {
        Dependency::Path(ws) => {
            let ws = std::fs::canonicalize(ws)?.join("xtask");
            format!(
                "{{ package = \"xtask\", path = {} }}",
                toml_str(&crate::relative_path(&root.join("xtask"), &ws, 0))
            )
        }
        Dependency::Git { url, rev } => {
            let rev = match rev {
                Some(r) => r.clone(),
                None => head_of(&o.tool_root).context(
                    "--git without --rev: this checkout's commit is unknown; give --rev REV",
                )?,
            };
            format!(
                "{{ package = \"xtask\", git = {}, rev = {} }}",
                toml_str(url),
                toml_str(&rev)
            )
        }
    };

    let template = gates::fs::careful::read_to_string(&o.template)
        .with_context(|| format!("the pipeline {}", o.template.display()))?;
    let pipeline_text = with_target_repo_here(&template)
        .with_context(|| format!("{}: no `target.repo` to set", o.template.display()))?;
    let pipeline_file = root.join("ci").join("phase-a.toml");
    let pipeline = gates::load::load_str(&pipeline_text, &pipeline_file, &root)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    if pipeline.target.repo != Path::new(".") {
        bail!(
            "{}: could not set `target.repo` to \".\"",
            o.template.display()
        );
    }
    let workflow = gates::ci::render(&pipeline).map_err(|e| anyhow::anyhow!("{e}"))?;
    let lock_seed = gates::fs::careful::read_to_string(o.tool_root.join("Cargo.lock"))
        .context("this workspace's Cargo.lock")?;

    let files: Vec<(String, String)> = vec![
        ("Cargo.toml".into(), WORKSPACE_MANIFEST.into()),
        ("Cargo.lock".into(), lock_seed),
        (
            "xtask/Cargo.toml".into(),
            XTASK_MANIFEST
                .replace("{dep}", &dep)
                .replace("{package}", PACKAGE),
        ),
        ("xtask/src/main.rs".into(), XTASK_MAIN.into()),
        (
            ".cargo/config.toml".into(),
            CARGO_CONFIG.replace("{package}", PACKAGE),
        ),
        ("ci/phase-a.toml".into(), pipeline_text),
        (workflow.path.clone(), workflow.text),
    ];

    // Refuse before writing anything: a path leading out through a symlink, or (without
    // --force) a file that exists.
    let mut existing = Vec::new();
    for (rel, _) in &files {
        let path = root.join(rel);
        check_inside(&root, &path, rel)?;
        if path.symlink_metadata().is_ok() {
            existing.push(rel.clone());
        }
    }
    if !existing.is_empty() && !o.force {
        bail!(
            "{} already has {}; nothing was written (--force overwrites them)",
            root.display(),
            existing.join(", ")
        );
    }
    let gitignore = root.join(".gitignore");
    check_inside(&root, &gitignore, ".gitignore")?;

    let mut lines = Vec::new();
    for (rel, text) in &files {
        let path = root.join(rel);
        gates::fs::write_atomic(&path, text.as_bytes())
            .with_context(|| format!("cannot write {}", path.display()))?;
        let how = if existing.contains(rel) {
            "overwrote"
        } else {
            "wrote"
        };
        lines.push(format!("{how} {rel}"));
    }
    if !target_ignored(&root) {
        let mut text = gates::fs::careful::read_to_string(&gitignore).unwrap_or_default();
        if !text.is_empty() && !text.ends_with('\n') {
            text.push('\n');
        }
        text.push_str("# the xtask's build output (cargo xtask)\n/target/\n");
        gates::fs::write_atomic(&gitignore, text.as_bytes())
            .with_context(|| format!("cannot write {}", gitignore.display()))?;
        lines.push("appended /target/ to .gitignore".into());
    }

    // The lockfile: this workspace's, completed with the thin crate (offline first: every
    // dependency is already in cargo's cache when this checkout has been built).
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let metadata = |offline: bool| {
        let mut c = Command::new(&cargo);
        c.args(["metadata", "--format-version", "1"])
            .arg("--manifest-path")
            .arg(root.join("Cargo.toml"))
            .stdout(std::process::Stdio::null());
        if offline {
            c.arg("--offline");
        }
        c.output()
    };
    let complete = match metadata(true) {
        Ok(out) if out.status.success() => true,
        _ => match metadata(false) {
            Ok(out) if out.status.success() => true,
            Ok(out) => {
                lines.push(format!(
                    "Cargo.lock is not complete: `cargo metadata` failed:\n{}\nrun `cargo generate-lockfile` in {}",
                    String::from_utf8_lossy(&out.stderr).trim(),
                    root.display()
                ));
                false
            }
            Err(e) => {
                lines.push(format!("Cargo.lock is not complete: cannot run cargo: {e}"));
                false
            }
        },
    };
    if complete {
        lines.push("resolved Cargo.lock".into());
    }
    lines.push(format!(
        "commit them, then run `cargo xtask phase-a` in {} (`cargo xtask ci check` keeps the workflow in step with ci/phase-a.toml)",
        root.display()
    ));
    Ok(Done { lines, complete })
}

/// Refuses `path` (`rel` inside `root`) when a symlink along it, a dangling one included,
/// leads outside `root` (the one resolver every write goes through: `fs::inside`).
fn check_inside(root: &Path, path: &Path, rel: &str) -> anyhow::Result<()> {
    match gates::fs::inside::link_out(root, Path::new(rel), gates::fs::inside::TARGET) {
        Ok(None) => Ok(()),
        Ok(Some(escape)) => bail!(
            "{rel}: {} leads out of the target (to {}) through a symlink; refusing to write there",
            escape.link.display(),
            escape.to.display()
        ),
        Err(e) => bail!("{}: {e}", path.display()),
    }
}

/// Whether git ignores `target/` in `root` (false outside git).
fn target_ignored(root: &Path) -> bool {
    Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["check-ignore", "-q", "target/"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The commit `dir` is at.
fn head_of(dir: &Path) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "HEAD"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// A TOML basic string.
fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The pipeline text with `target.repo` set to `"."`, every other byte kept: the value of
/// the `repo = "..."` line of the `[target]` table (the loader checks the result).
fn with_target_repo_here(text: &str) -> anyhow::Result<String> {
    let mut in_target = false;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t = line.trim();
        if t.starts_with('[') {
            in_target = t.split('#').next().map(str::trim) == Some("[target]");
        } else if in_target
            && let Some(rest) = t.strip_prefix("repo")
            && let Some(value) = rest.trim_start().strip_prefix('=')
        {
            let value = value.trim_start();
            let quote = value.chars().next().filter(|c| *c == '"' || *c == '\'');
            if let Some(q) = quote
                && let Some(len) = value[1..].find(q)
            {
                let start = offset + line.find(value).expect("the value is in the line");
                let end = start + len + 2;
                return Ok(format!("{}\".\"{}", &text[..start], &text[end..]));
            }
        }
        offset += line.len();
    }
    bail!("no `repo = \"...\"` line in its `[target]` table")
}

const WORKSPACE_MANIFEST: &str = r#"# The Rust workspace of this repository's `cargo xtask` (written by `cargo xtask init --into`).
[workspace]
resolver = "3"
members = ["xtask"]

# The tool's profiles: no debug info or incremental cache and no unwinding make the first
# `cargo xtask` (every clone, every CI run) compile much faster.
[profile.dev]
debug = false
incremental = false
panic = "abort"

[profile.release]
panic = "abort"
"#;

const XTASK_MANIFEST: &str = r#"# This repository's `cargo xtask`: the rawr-gates command line (written by `cargo xtask init --into`).
[package]
name = "{package}"
version = "0.1.0"
edition = "2024"
publish = false

[[bin]]
name = "xtask"
path = "src/main.rs"

[dependencies]
rawr-gates = {dep}
"#;

const XTASK_MAIN: &str = r#"//! This repository's `cargo xtask`: the rawr-gates command line, with this repository's
//! `ci/phase-a.toml` as its default pipeline (written by `cargo xtask init --into`).

fn main() -> std::process::ExitCode {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the xtask crate sits at the repository's root");
    rawr_gates::main_in(root)
}
"#;

const CARGO_CONFIG: &str = r#"[alias]
# Without `--quiet`: the first `cargo xtask` compiles for a while, and cargo shows its progress.
xtask = "run --package {package} --"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_written_relative_and_the_target_repo_is_set_in_place() {
        assert_eq!(
            crate::relative_path(
                Path::new("/w/hq/xtask"),
                Path::new("/w/tools/rawr-gates/xtask"),
                0
            ),
            "../../tools/rawr-gates/xtask"
        );
        let text = "# keep\n[target]\nrepo = \"examples/hq\"  # comment\npass_root = \"p\"\n";
        assert_eq!(
            with_target_repo_here(text).unwrap(),
            "# keep\n[target]\nrepo = \".\"  # comment\npass_root = \"p\"\n"
        );
        assert_eq!(toml_str("a\"b\\c"), r#""a\"b\\c""#);
    }
}

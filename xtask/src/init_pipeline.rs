//! `cargo xtask init [--repo DIR] [--packet DIR | --workbreakdown FILE] [--out FILE]
//! [--force]`: a pipeline file written from a phase's own packet (`gates::packet`).

use std::path::{Path, PathBuf};

use gates::packet::{self, acceptance, init, workbreakdown};

/// What `init` was told.
pub struct Options {
    pub repo: Option<PathBuf>,
    pub packet: Option<PathBuf>,
    pub workbreakdown: Option<PathBuf>,
    pub out: Option<PathBuf>,
    pub force: bool,
}

/// How deep `init` looks for a work breakdown under the repository (the user's is at
/// `docs/projects/<spec>/`, or one level deeper in a pass root).
const SEARCH_DEPTH: usize = 5;

/// Writes the pipeline; returns the lines to print.
pub fn run(o: &Options, workspace: &Path) -> anyhow::Result<Vec<String>> {
    let cwd = std::env::current_dir()?;
    let repo = o.repo.clone().unwrap_or_else(|| cwd.clone());
    if !repo.is_dir() {
        anyhow::bail!(
            "the target repository {} does not exist or is not a directory",
            repo.display()
        );
    }
    let repo = std::fs::canonicalize(&repo)
        .map_err(|e| anyhow::anyhow!("the target repository {}: {e}", repo.display()))?;
    let mut lines = Vec::new();
    let wb_path = match (&o.workbreakdown, &o.packet) {
        (Some(f), _) => std::path::absolute(f)?,
        (None, dir) => {
            let (dir, depth) = match dir {
                Some(d) => (std::path::absolute(d)?, 1),
                None => (repo.clone(), SEARCH_DEPTH),
            };
            if !dir.is_dir() {
                anyhow::bail!("the packet directory {} does not exist", dir.display());
            }
            let found = packet::workbreakdowns(&dir, depth);
            let Some(latest) = packet::latest(&found) else {
                anyhow::bail!(
                    "no PHASE_<X>_WORKBREAKDOWN.yaml under {}; name one with --workbreakdown FILE",
                    dir.display()
                );
            };
            if found.len() > 1 {
                lines.push(format!(
                    "note: {} work breakdowns under {}; read the latest phase's, {} (--workbreakdown FILE for another)",
                    found.len(),
                    dir.display(),
                    latest.display()
                ));
            }
            latest.clone()
        }
    };
    let wb_path = std::fs::canonicalize(&wb_path)
        .map_err(|e| anyhow::anyhow!("the work breakdown {}: {e}", wb_path.display()))?;
    let wb_rel = rel_inside(&repo, &wb_path).ok_or_else(|| {
        anyhow::anyhow!(
            "the work breakdown {} is not inside the target repository {} (the workbreakdown-drift gate reads it there; name the repository with --repo DIR)",
            wb_path.display(),
            repo.display()
        )
    })?;
    let wb = workbreakdown::read(&wb_path, &display(&cwd, &wb_path))?;
    let spec_root = packet::spec_root(&wb_path);
    let acc_name = format!("PHASE_{}_ACCEPTANCE_GATES.md", wb.phase);
    let acc_path = [
        wb_path.parent().map(|d| d.join(&acc_name)),
        Some(spec_root.join(&acc_name)),
    ]
    .into_iter()
    .flatten()
    .find(|p| p.is_file());
    let ids: Vec<String> = wb.slices.iter().map(|s| s.id.clone()).collect();
    let acc = match &acc_path {
        Some(p) => {
            let bytes =
                gates::fs::careful::read(p).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| anyhow::anyhow!("{}: not UTF-8 text", p.display()))?;
            Some(acceptance::parse(&text, &ids))
        }
        None => None,
    };
    let spec_rel = rel_inside(&repo, &spec_root).unwrap_or_default();
    let join = |name: &str| {
        if spec_rel.is_empty() {
            name.to_string()
        } else {
            format!("{spec_rel}/{name}")
        }
    };
    let x = wb.phase.to_ascii_lowercase();
    let pass_root = match packet::pass_root(&spec_root, &wb.phase, "runtime-execution") {
        Some(n) => join(&n),
        None => {
            let n = format!("_phase-{x}-runtime-execution-pass-01");
            lines.push(format!(
                "note: no runtime pass root _phase-{x}-runtime-execution-pass-* in {}; wrote {n}: edit `target.pass_root`",
                spec_root.display()
            ));
            join(&n)
        }
    };
    let planning = packet::pass_root(&spec_root, &wb.phase, "planning").map(|n| join(&n));
    let pass_abs = repo.join(&pass_root);
    let out = match &o.out {
        Some(f) => std::path::absolute(f)?,
        None => workspace.join("ci").join(format!("phase-{x}.toml")),
    };
    // Relative paths of a pipeline resolve against the parent of its directory.
    let base = out
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let input = init::Input {
        repo: crate::relative_path(&base, &repo, 1),
        pass_root,
        planning_pass_root: planning,
        workbreakdown: wb_rel,
        acceptance_file: acc_path.as_ref().and_then(|p| rel_inside(&repo, p)),
        pass_root_files: packet::files_like(&pass_abs, "", ""),
    };
    let r = init::render(&wb, acc.as_ref(), &input);
    // What init writes must load; anything else is this tool's bug, not the user's.
    if let Err(e) = gates::load::load_str(&r.text, &out, &base) {
        anyhow::bail!(
            "the pipeline written from {} does not load: {e}",
            wb_path.display()
        );
    }
    if out.exists() && !o.force {
        anyhow::bail!(
            "{} exists; pass --force to write it again (the edits in it would be lost)",
            out.display()
        );
    }
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    let checked =
        gates::fs::output::check(&out).map_err(|e| anyhow::anyhow!("{}: {e}", out.display()))?;
    gates::fs::output::write_checked(&checked, r.text.as_bytes())
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", out.display()))?;
    let edges: usize = wb
        .slices
        .iter()
        .map(|s| s.depends_on.len() + s.depends_on_if_triggered.len())
        .sum();
    let commands = acc.as_ref().map_or(0, |a| {
        let mut c: Vec<&str> = a.commands.iter().map(|c| c.command.as_str()).collect();
        c.sort_unstable();
        c.dedup();
        c.len()
    });
    lines.push(format!(
        "wrote {}: phase {}, {} slices, {} dependencies, {} command gates{}",
        display(&cwd, &out),
        wb.phase,
        wb.slices.len(),
        edges,
        commands,
        match &acc_path {
            Some(p) => format!(" (from {})", display(&cwd, p)),
            None => String::new(),
        }
    ));
    for n in r.notes {
        lines.push(format!("note: {n}"));
    }
    Ok(lines)
}

/// `path` relative to `root` with `/`, when it is inside it.
fn rel_inside(root: &Path, path: &Path) -> Option<String> {
    path.strip_prefix(root)
        .ok()
        .map(|r| r.to_string_lossy().replace('\\', "/"))
}

/// `path` as printed: relative to the current directory when below it.
fn display(cwd: &Path, path: &Path) -> String {
    path.strip_prefix(cwd)
        .map(|r| r.display().to_string())
        .unwrap_or_else(|_| path.display().to_string())
}

//! Read-only git queries about the target, and the few writes `cleanup apply` makes.
//!
//! Every query runs with `--no-optional-locks` (and `GIT_OPTIONAL_LOCKS=0`), so asking
//! `git status` never rewrites the index: the gates must not change git state. The target
//! may be a subdirectory of a larger repository (the bundled example sits inside the tool's
//! own repository), so status is asked for the target directory only and paths are made
//! relative to it.

use crate::fs::probe::Probe;
use std::path::Path;
use std::process::{Command, Output};

use crate::error::GateError;
use crate::fs::state::STATE_DIR;

fn git(repo: &Path) -> Command {
    let mut c = Command::new("git");
    // A command named in the repository's configuration (`core.fsmonitor`) is the target's
    // code: the static gates run none.
    c.arg("--no-optional-locks")
        .args(["-c", "core.fsmonitor=false"])
        .arg("-C")
        .arg(repo)
        .env("GIT_OPTIONAL_LOCKS", "0")
        // Run from inside a git hook, these would point every query at the hook's repository.
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE");
    // A user's pager or colour settings must not leak into parsed output.
    c.env("GIT_PAGER", "cat").env("LC_ALL", "C");
    c
}

/// Runs git with `args` in `repo` and returns its output (whatever the exit status).
pub fn run(repo: &Path, args: &[&str]) -> Result<Output, GateError> {
    let out = git(repo)
        .args(args)
        .output()
        .map_err(|e| GateError::msg(format!("cannot run git (is it installed?): {e}")))?;
    // The answer is an input of the gate asking (the verdict cache asks again to compare).
    crate::fs::record::git_output(repo, args, &out);
    Ok(out)
}

/// [`run`] without telling the verdict cache: for answers that only describe the moment
/// (a note saying at which revision a report was made), not what a verdict depends on.
pub fn run_unrecorded(repo: &Path, args: &[&str]) -> Result<Output, GateError> {
    git(repo)
        .args(args)
        .output()
        .map_err(|e| GateError::msg(format!("cannot run git (is it installed?): {e}")))
}

/// The files git tracks in `repo` (`git ls-files -z`, relative to it), unrecorded: for the
/// tool's own view of the target (the verdict cache's listing, the folders `--watch`
/// watches); `None` when git cannot say (not a work tree).
pub fn tracked_files(repo: &Path) -> Option<Vec<String>> {
    let out = run_unrecorded(repo, &["ls-files", "-z"]).ok()?;
    out.status.success().then(|| {
        out.stdout
            .split(|b| *b == 0)
            .filter(|n| !n.is_empty())
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .collect()
    })
}

/// Runs a git query exactly as [`run`] does and returns the hash the recorder keeps of its
/// answer ([`crate::fs::record::git_answer`]), for the verdict cache to compare.
pub fn answer(repo: &Path, args: &[&str]) -> Option<String> {
    let out = git(repo).args(args).output().ok()?;
    Some(crate::fs::record::git_answer(&out))
}

/// Runs git and returns stdout, or an error quoting git's stderr.
pub fn run_ok(repo: &Path, args: &[&str]) -> Result<String, GateError> {
    let out = run(repo, args)?;
    if !out.status.success() {
        return Err(GateError::msg(format!(
            "`git {}` failed in {}: {}",
            args.join(" "),
            repo.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The target's place in its repository: `None` when `repo` is not inside a git work tree.
#[derive(Clone, Debug)]
pub struct Place {
    /// The work tree's top level, absolute.
    pub toplevel: String,
    /// The target directory relative to the top level, with a trailing `/` (empty at the top).
    pub prefix: String,
}

pub fn place(repo: &Path) -> Result<Option<Place>, GateError> {
    let out = run(
        repo,
        &[
            "rev-parse",
            "--is-inside-work-tree",
            "--show-toplevel",
            "--show-prefix",
        ],
    )?;
    if !out.status.success() {
        if let Some(refusal) = refusal_in(&String::from_utf8_lossy(&out.stderr)) {
            return Err(GateError::msg(format!("{}: {refusal}", repo.display())));
        }
        return Ok(None);
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    if lines.next() != Some("true") {
        return Ok(None);
    }
    let toplevel = lines.next().unwrap_or("").to_string();
    let prefix = lines.next().unwrap_or("").to_string();
    Ok(Some(Place { toplevel, prefix }))
}

/// Why git refuses to work in `repo` at all, if it does: a repository owned by another user
/// (git's `safe.directory` check). Git's own words, and how to fix it.
pub fn refusal(repo: &Path) -> Option<String> {
    let out = run(repo, &["rev-parse", "--git-dir"]).ok()?;
    if out.status.success() {
        return None;
    }
    refusal_in(&String::from_utf8_lossy(&out.stderr))
}

/// [`refusal`] read from git's stderr.
fn refusal_in(stderr: &str) -> Option<String> {
    let line = stderr
        .lines()
        .find(|l| l.contains("detected dubious ownership"))?;
    let said = line.trim().trim_start_matches("fatal: ");
    // Git names the directory to trust in the command it suggests.
    let dir = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("git config --global --add safe.directory ")
        })
        .map(str::to_string)
        .or_else(|| {
            said.split_once(" at '")
                .map(|(_, d)| d.trim_end_matches('\'').to_string())
        })
        .unwrap_or_else(|| "DIR".into());
    Some(format!(
        "git refuses to work in it: \"{said}\" (the repository belongs to another user than the one running the tool); if you trust it, run `git config --global --add safe.directory {dir}`, or run the tool as the repository's owner"
    ))
}

/// Whether `path` is a bare git repository (no work tree).
pub fn is_bare(path: &Path) -> bool {
    run(path, &["rev-parse", "--is-bare-repository"])
        .ok()
        .filter(|o| o.status.success())
        .is_some_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "true")
}

/// The git operation left in progress in the target's work tree, if any: a merge, rebase,
/// cherry-pick, revert, `git am` or bisect. `git status --porcelain` can be empty then (a
/// merge resolved to HEAD's tree, a rebase stopped at an `edit` step), so a clean status
/// alone does not mean the state is committed.
pub fn operation_in_progress(repo: &Path) -> Result<Option<&'static str>, GateError> {
    // The per-worktree git dir, where these markers live.
    let dir = run_ok(repo, &["rev-parse", "--absolute-git-dir"])?;
    let dir = Path::new(dir.trim());
    let markers: [(&str, &str); 6] = [
        ("MERGE_HEAD", "a merge"),
        ("rebase-merge", "a rebase"),
        ("rebase-apply", "a rebase or `git am`"),
        ("CHERRY_PICK_HEAD", "a cherry-pick"),
        ("REVERT_HEAD", "a revert"),
        ("BISECT_LOG", "a bisect"),
    ];
    Ok(markers
        .iter()
        .find(|(m, _)| dir.join(m).probe_exists())
        .map(|(_, what)| *what))
}

/// One changed path from `git status`, relative to the target directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The two status letters (`XY` of porcelain v1), e.g. `??`, ` M`, `D `, `R `.
    pub code: String,
    pub path: String,
    /// For renames and copies: the source path.
    pub from: Option<String>,
}

/// Every change under the target directory (staged, unstaged, untracked; ignored files
/// excluded), with paths relative to the target.
pub fn changes(repo: &Path) -> Result<Vec<Change>, GateError> {
    let place = place(repo)?.ok_or_else(|| {
        GateError::msg(format!("{} is not inside a git work tree", repo.display()))
    })?;
    let out = run_ok(
        repo,
        &[
            "status",
            "--porcelain=v1",
            "-z",
            "--untracked-files=all",
            "--",
            ".",
        ],
    )?;
    let strip = |p: &str| {
        p.strip_prefix(place.prefix.as_str())
            .unwrap_or(p)
            .to_string()
    };
    let mut fields = out.split('\0').filter(|s| !s.is_empty());
    let mut v = Vec::new();
    while let Some(entry) = fields.next() {
        if entry.len() < 4 {
            continue;
        }
        let code = entry[..2].to_string();
        let path = strip(&entry[3..]);
        let from = if code.starts_with('R') || code.starts_with('C') {
            fields.next().map(strip)
        } else {
            None
        };
        v.push(Change { code, path, from });
    }
    Ok(v)
}

/// Whether `rel` (relative to the target) is one of the tool's own files, which every
/// cleanliness check ignores: a state directory in the work tree left by earlier versions,
/// and the pass root's orchestrator scratchpad (`scratchpad_rel`, relative to the target:
/// the pipeline's `[documents] scratchpad` in its pass root), which a run with
/// `--log-scratchpad` appends to before Stage 0 runs.
pub fn is_tool_file(rel: &str, scratchpad_rel: &str) -> bool {
    let rel = rel.trim_start_matches("./");
    rel == STATE_DIR || rel.starts_with(&format!("{STATE_DIR}/")) || rel == scratchpad_rel
}

/// The scratchpad `name` of the pass root `pass_root_rel`, relative to the target.
pub fn scratchpad_rel(pass_root_rel: &str, name: &str) -> String {
    format!("{}/{name}", pass_root_rel.trim_end_matches('/'))
}

/// The note a cleanliness check prints when it ignored some of the tool's own files, so the
/// exclusion is never silent (and costs no line when nothing was ignored).
pub fn tool_files_note(ignored: &[String]) -> Option<String> {
    (!ignored.is_empty()).then(|| format!("ignored, the tool's own files: {}", ignored.join(", ")))
}

/// Changes under the target that are not the tool's own files.
pub fn dirty_paths(repo: &Path, scratchpad_rel: &str) -> Result<Vec<Change>, GateError> {
    Ok(dirty_and_ignored(repo, scratchpad_rel)?.0)
}

/// Changes under the target: those that are not the tool's own files, and the paths of
/// those that are (ignored).
pub fn dirty_and_ignored(
    repo: &Path,
    scratchpad_rel: &str,
) -> Result<(Vec<Change>, Vec<String>), GateError> {
    let (tool, other): (Vec<Change>, Vec<Change>) = changes(repo)?
        .into_iter()
        .partition(|c| is_tool_file(&c.path, scratchpad_rel));
    Ok((other, tool.into_iter().map(|c| c.path).collect()))
}

/// Whether `rel` (relative to the target) is tracked in the index.
pub fn is_tracked(repo: &Path, rel: &str) -> Result<bool, GateError> {
    let out = run(repo, &["ls-files", "--error-unmatch", "--", rel])?;
    Ok(out.status.success())
}

/// The pass root relative to the target, '/'-separated.
pub fn rel_str(p: &Path) -> String {
    p.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

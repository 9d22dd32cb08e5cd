//! `preflight` (Stage 0): the target is a clean git work tree on the expected branch.
//!
//! **What it checks.** The target directory is inside a git work tree; nothing under it is
//! modified, staged or untracked (the tool's own files excepted, see below); when `branch` is
//! configured, HEAD is that branch; when `parent_branch` is configured, it exists; when
//! `worktree` is configured, that directory exists and is a registered worktree (and, when it
//! is not the target itself, is clean too), otherwise the finding carries `create_command` so
//! the user can create it.
//!
//! It never changes git state: only read-only git commands run, with optional locks off,
//! so not even the index is refreshed.
//!
//! The tool keeps its state under the target's git directory; what is still ignored is a
//! `.rawr-gates/` left by earlier versions and the pass root's `ORCHESTRATOR_SCRATCHPAD.md`,
//! which a run asked to `--log-scratchpad` appends to before Stage 0.
//! The target may sit inside a larger repository: only changes under the target count.
//!
//! **Why.** The runbook starts with "verify clean status and branch context"; work that
//! starts on the wrong branch, or on top of uncommitted edits, cannot be handed off cleanly.
//!
//! **How to fix.** Commit or stash the listed changes; check out the expected branch; create
//! the worktree with the printed command.

use gates_core::fs::probe::Probe;
use serde::Deserialize;

use super::{Capability, CheckCtx, CheckDef, CheckOutput, ParamError, Rule, error, parse_params};
use crate::artifacts::git;
use crate::error::GateError;
use crate::finding::Finding;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The implementation branch HEAD must be on. Not checked when absent.
    pub branch: Option<String>,
    /// The branch the implementation branch was created from; must exist.
    pub parent_branch: Option<String>,
    /// The implementation worktree (absolute, or relative to the target); must exist.
    pub worktree: Option<String>,
    /// The command that creates the worktree, printed when it is missing.
    pub create_command: Option<String>,
}

pub fn validate(t: &toml::Table) -> Result<(), ParamError> {
    let p: Params = parse_params(t)?;
    for (k, v) in [("branch", &p.branch), ("parent_branch", &p.parent_branch)] {
        if let Some(b) = v
            && (b.trim().is_empty() || b.starts_with('-') || b.contains(char::is_whitespace))
        {
            return Err(ParamError {
                message: format!("`{k}` = {b:?} is not a branch name"),
                key: Some(k.into()),
            });
        }
    }
    Ok(())
}

pub fn def() -> CheckDef {
    CheckDef {
        name: "preflight",
        summary: "Stage 0: the target is a clean git work tree on the expected branch; parent branch and worktree exist",
        capabilities: &[Capability::Commit, Capability::WorkTree],
        rules: &[RULES],
        parts: None,
        aliases: &[],
        validate,
        roles: super::no_roles,
        run,
    }
}

/// How to fix what the rules below report.
const FIX: &str = "commit or stash the listed changes; check out the expected branch; create the worktree with the printed command";

/// Every rule of the preflight check.
pub const RULES: &[Rule] = &[
    error(
        "not-a-git-repo",
        "the target is not inside a git work tree",
        FIX,
    ),
    error(
        "worktree-dirty",
        "a path under the target is not committed",
        FIX,
    ),
    error(
        "git-operation-in-progress",
        "a merge, rebase, cherry-pick, revert, `git am` or bisect is half-done",
        FIX,
    ),
    error(
        "detached-head",
        "HEAD is detached, not on the expected branch",
        FIX,
    ),
    error(
        "wrong-branch",
        "HEAD is on another branch than `branch`",
        FIX,
    ),
    error(
        "parent-branch-missing",
        "the `parent_branch` does not exist",
        FIX,
    ),
    error(
        "worktree-missing",
        "the implementation `worktree` does not exist",
        FIX,
    ),
    error(
        "worktree-not-registered",
        "the `worktree` exists but git does not know it as a worktree of the target",
        FIX,
    ),
];

pub fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let p: Params = ctx.params()?;
    let mut out = CheckOutput::default();
    let pass_rel = git::rel_str(&ctx.pipeline.target.pass_root);
    let scratchpad = git::scratchpad_rel(&pass_rel, &ctx.pipeline.documents.scratchpad);

    // The worktree first: when it is missing, nothing else can be judged there.
    if let Some(wt) = &p.worktree {
        let path = if std::path::Path::new(wt).is_absolute() {
            wt.into()
        } else {
            ctx.repo.join(wt)
        };
        if !path.probe_is_dir() {
            let mut f = Finding::general(
                "worktree-missing",
                format!("the implementation worktree `{wt}` does not exist"),
            );
            match &p.create_command {
                Some(cmd) => {
                    f = f.with_help(format!("create it with: {cmd}"));
                    out.notes.push(format!("create the worktree with: {cmd}"));
                }
                None => {
                    f = f.with_help("create it with `git worktree add -b <branch> <path> <parent>`")
                }
            }
            out.findings.push(f);
        }
    }

    let Some(place) = git::place(ctx.repo)? else {
        out.findings.push(
            Finding::general(
                "not-a-git-repo",
                format!(
                    "the target {} is not inside a git work tree",
                    ctx.repo.display()
                ),
            )
            .with_help("the runbook's work happens on a branch of a git repository"),
        );
        return Ok(out);
    };
    if let Some(wt) = &p.worktree {
        let path = if std::path::Path::new(wt).is_absolute() {
            wt.into()
        } else {
            ctx.repo.join(wt)
        };
        if path.probe_is_dir() {
            let listed = git::run_ok(ctx.repo, &["worktree", "list", "--porcelain"])?;
            let want = gates_core::fs::probe::canonicalize(&path).unwrap_or(path);
            let registered = listed
                .lines()
                .filter_map(|l| l.strip_prefix("worktree "))
                .any(|w| {
                    gates_core::fs::probe::canonicalize(w)
                        .map(|c| c == want)
                        .unwrap_or(false)
                });
            let target_top = gates_core::fs::probe::canonicalize(&place.toplevel).ok();
            if !registered {
                out.findings.push(Finding::general(
                    "worktree-not-registered",
                    format!("`{wt}` exists but is not a worktree of this repository (`git worktree list`)"),
                ));
            } else if target_top.as_ref() != Some(&want) {
                // The runbook verifies clean state "in repo root and execution worktree": when
                // the worktree is not the target itself, it must be clean too.
                for c in git::dirty_paths(&want, &scratchpad)? {
                    out.findings.push(
                        Finding::general(
                            "worktree-dirty",
                            format!(
                                "in the worktree `{wt}`: {} `{}` (`git status`: `{}`)",
                                describe(&c.code),
                                c.path,
                                c.code
                            ),
                        )
                        .with_help("commit or stash it before the run starts"),
                    );
                }
            }
        }
    }

    // Clean state under the target.
    let (dirty, ignored) = git::dirty_and_ignored(ctx.repo, &scratchpad)?;
    out.notes.extend(git::tool_files_note(&ignored));
    for c in dirty {
        let what = describe(&c.code);
        out.findings.push(
            Finding::error(
                "worktree-dirty",
                &c.path,
                0,
                0,
                format!("{what} (`git status`: `{}`)", c.code),
            )
            .with_help("commit or stash it before the run starts"),
        );
    }

    // A merge, rebase, ... left half-done is no clean start, even when `git status` lists
    // nothing (e.g. a merge that resolved to HEAD's tree, a rebase stopped at `edit`).
    if let Some(what) = git::operation_in_progress(ctx.repo)? {
        out.findings.push(
            Finding::general(
                "git-operation-in-progress",
                format!("{what} is in progress in the target's work tree"),
            )
            .with_help("finish it (commit / `--continue`) or abort it (`--abort`) first"),
        );
    }

    // Branch context.
    let head = git::run(ctx.repo, &["symbolic-ref", "--quiet", "--short", "HEAD"])?;
    let current = head
        .status
        .success()
        .then(|| String::from_utf8_lossy(&head.stdout).trim().to_string());
    match (&p.branch, &current) {
        (None, _) => out.notes.push(format!(
            "the branch is not checked (no `branch` param); HEAD is {}",
            current.as_deref().unwrap_or("detached")
        )),
        (Some(want), None) => out.findings.push(
            Finding::general(
                "detached-head",
                format!("HEAD is detached; expected branch `{want}`"),
            )
            .with_help(format!("git switch {want}")),
        ),
        (Some(want), Some(cur)) if cur != want => out.findings.push(
            Finding::general(
                "wrong-branch",
                format!("HEAD is on `{cur}`; expected `{want}`"),
            )
            .with_help(format!("git switch {want}")),
        ),
        _ => {}
    }
    if let Some(parent) = &p.parent_branch {
        let spec = format!("{parent}^{{commit}}");
        let ok = git::run(
            ctx.repo,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                "--end-of-options",
                &spec,
            ],
        )?
        .status
        .success();
        if !ok {
            out.findings.push(Finding::general(
                "parent-branch-missing",
                format!("the parent branch `{parent}` does not exist in this repository"),
            ));
        }
    }
    out.notes.push(format!(
        "git work tree: {} (target prefix `{}`)",
        place.toplevel, place.prefix
    ));
    Ok(out)
}

fn describe(code: &str) -> &'static str {
    match code {
        "??" => "untracked file",
        c if c.starts_with('R') => "renamed (staged)",
        c if c.starts_with('D') || c.ends_with('D') => "deleted",
        c if c.starts_with('A') => "added (staged)",
        c if c.starts_with('U') || c.ends_with('U') || c == "AA" || c == "DD" => "unmerged",
        c if c.starts_with(' ') => "modified, not staged",
        _ => "modified (staged)",
    }
}

//! What the command-line tests share: the workspace, copying a tree and git (from
//! `tests/support/common.rs`, shared with the gates tests), and the xtask binary with a
//! neutral environment.

#![allow(dead_code)]

use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;

#[path = "../../../tests/support/common.rs"]
mod common;

#[allow(unused_imports)]
pub use common::{copy_dir, git, git_env, workspace};

/// git with a fixed author and no user configuration: commits made with it are the same on
/// every run (a history matrix shows their author).
pub fn git_fixed(dir: &std::path::Path, args: &[&str]) -> String {
    git_env(
        dir,
        args,
        &[
            ("GIT_CONFIG_GLOBAL", "/dev/null"),
            ("GIT_CONFIG_NOSYSTEM", "1"),
            ("GIT_AUTHOR_NAME", "Agent One"),
            ("GIT_AUTHOR_EMAIL", "agent-1@example.test"),
            ("GIT_COMMITTER_NAME", "Agent One"),
            ("GIT_COMMITTER_EMAIL", "agent-1@example.test"),
        ],
    )
}

/// The xtask binary, run from the workspace, without colour, outside GitHub Actions and with
/// no standard input.
pub fn xtask() -> Command {
    let mut c = Command::cargo_bin("xtask").expect("the xtask binary");
    c.current_dir(workspace())
        .env("NO_COLOR", "1")
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY")
        .stdin(Stdio::null());
    c
}

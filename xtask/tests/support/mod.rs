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

//! Symbolic links of the target that lead out of it, found before the target's own commands
//! run.
//!
//! Why: the tool never follows such a link itself ([`crate::fs::inside`]), but the commands a
//! gate runs (the package manager's install, the test runner, the host) read the target's
//! files on their own. A committed `plugins/web/dashboard/package.json -> /etc/shadow` makes
//! the package manager print a line of `/etc/shadow` in its parse error, and that output
//! would go into the gate's output, the run record and the SARIF that CI uploads. So before
//! a gate runs a command, the tool looks for links out of the target and refuses to run
//! anything while one is there.
//!
//! Which links: in a git checkout, the symbolic links git tracks (a pull request can only
//! bring those; `node_modules` and other ignored folders, where installs put their own
//! links, are not looked at); outside git, every link of the tree except those below
//! ignored folders, `node_modules` and `.git`.
//!
//! How to fix a refusal: replace the link with the file itself, or point it inside the
//! repository.
//!
//! Looked at only before a gate runs the target's code; such a gate is judged by its command
//! inputs, not by what it read.
#![allow(clippy::disallowed_methods)]

use std::path::Path;

use crate::finding::Finding;
use crate::fs::inside::{self, Escape};

/// The rule of the refusal; a gate with such a finding could not judge.
pub const RULE: &str = "link-out-of-target";

/// Every symbolic link of the target at `repo` that leads outside it (see the module doc),
/// in path order.
pub fn links_out(repo: &Path) -> std::io::Result<Vec<Escape>> {
    let mut out = Vec::new();
    for rel in candidate_links(repo)? {
        if let Some(e) = inside::link_out(repo, Path::new(&rel), inside::TARGET)? {
            // A link inside a folder that is itself a link out is reported once, as the folder.
            if !out.iter().any(|o: &Escape| o.link == e.link) {
                out.push(e);
            }
        }
    }
    Ok(out)
}

/// The findings for [`links_out`]: one per link, at its repository-relative path. Its
/// message names where the link leads, never anything read through it.
pub fn findings(repo: &Path) -> Vec<Finding> {
    match links_out(repo) {
        Ok(links) => links
            .iter()
            .map(|e| {
                let rel = crate::fs::source::rel_path(repo, &e.link);
                Finding::error(
                    RULE,
                    rel,
                    0,
                    0,
                    format!(
                        "is a symbolic link leading outside the target repository (to {}); the gate's commands would read through it (a package manager prints what it cannot parse), so none is run",
                        e.to.display()
                    ),
                )
                .with_help("replace the link with the file itself, or point it inside the repository")
            })
            .collect(),
        Err(e) => vec![Finding::general(
            RULE,
            format!(
                "cannot look for symbolic links out of the target before running its commands: {e}"
            ),
        )],
    }
}

/// Repository-relative paths of the links to look at.
fn candidate_links(repo: &Path) -> std::io::Result<Vec<String>> {
    // Relative to the target (`-C` it, no `--full-name`): only its own files.
    let tracked = crate::git::run_unrecorded(repo, &["ls-files", "-s", "-z"]);
    if let Ok(out) = tracked
        && out.status.success()
    {
        // `<mode> <object> <stage>\t<path>`; 120000 is a symbolic link.
        return Ok(out
            .stdout
            .split(|b| *b == 0)
            .filter_map(|rec| {
                let rec = std::str::from_utf8(rec).ok()?;
                let (meta, path) = rec.split_once('\t')?;
                meta.starts_with("120000 ").then_some(path.to_string())
            })
            .collect());
    }
    let mut links = Vec::new();
    let walk = ignore::WalkBuilder::new(repo)
        .hidden(false)
        .require_git(false)
        .follow_links(false)
        .filter_entry(|e| {
            let name = e.file_name();
            name != "node_modules" && name != ".git"
        })
        .build();
    for entry in walk {
        let entry = entry.map_err(std::io::Error::other)?;
        if entry.path_is_symlink() {
            links.push(crate::fs::source::rel_path(repo, entry.path()));
        }
    }
    links.sort();
    Ok(links)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    fn git(dir: &Path, args: &[&str]) {
        let ok = std::process::Command::new("git")
            .args(["-c", "core.fsmonitor=false"])
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    }

    #[test]
    fn tracked_links_out_are_found_and_ignored_folders_are_not_looked_at() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("secret.txt");
        std::fs::write(&outside, "secret").unwrap();
        let top = dir.path().join("top");
        let repo = top.join("sub");
        std::fs::create_dir_all(repo.join("pkg")).unwrap();
        std::fs::write(repo.join("package.json"), "{}").unwrap();
        std::fs::write(repo.join(".gitignore"), "node_modules\n").unwrap();
        symlink(&outside, repo.join("pkg/package.json")).unwrap();
        symlink("../package.json", repo.join("pkg/inner.json")).unwrap();
        std::fs::create_dir_all(repo.join("node_modules")).unwrap();
        symlink(&outside, repo.join("node_modules/x")).unwrap();
        // Outside git: the walk finds the link out, not the one inside nor node_modules'.
        let found = links_out(&repo).unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].link, repo.join("pkg/package.json"));
        // In git (the target a subdirectory of the work tree): the tracked link.
        git(&top, &["init", "-q"]);
        git(&top, &["add", "."]);
        git(&top, &["commit", "-qm", "x"]);
        let f = findings(&repo);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].rule, RULE);
        assert_eq!(f[0].path.as_deref(), Some("pkg/package.json"));
    }
}

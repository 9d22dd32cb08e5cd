//! Checkouts of a target's commits, without touching the target's work tree, index or refs.
//!
//! A checkout is its own repository: `git init` (no templates), an `objects/info/alternates`
//! line pointing at the target's object store, then `git checkout --detach <commit>`; it then
//! moves from commit to commit ([`Checkout::switch`]). The gates see a proper git work tree
//! (HEAD at the commit, a clean status, `git ls-files` works), yet nothing of the user's is
//! touched: no worktree is registered, no ref, index or HEAD of the user's changes. That is
//! why this is used instead of `git worktree add`: a run killed at any moment (even by
//! SIGKILL) never leaves a stale entry in the user's worktree list, and removing a checkout is
//! a plain directory removal (`git worktree remove` costs a `git status` per worktree). A
//! first checkout costs the same as `git worktree add` (the whole tree is written).
//!
//! The checkouts live in the tool's state directory of the repository and are kept for the
//! next run ([`Checkouts::Kept`]), or, with `--no-cache` or outside a work tree's top, in a
//! temporary folder removed at the end ([`TempRoot`]).
//!
//! When the target is a subdirectory of its repository (e.g. a monorepo's package), the whole
//! commit is checked out and the gates are pointed at the same subdirectory inside it.
//! Files stored with Git LFS stay pointer files (`GIT_LFS_SKIP_SMUDGE=1`): the checkout has no
//! remote to fetch them from, and the static gates read source, not large binaries.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::GateError;

/// Where the target sits in its repository.
#[derive(Clone, Debug)]
pub struct Source {
    /// The repository's object store (absolute), shared read-only with every checkout.
    pub objects: PathBuf,
    /// The target directory relative to the top level ("" at the top, else ending in `/`).
    pub prefix: String,
    /// A directory of the repository to run read-only git queries in.
    pub dir: PathBuf,
}

pub(crate) fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    // No command of a repository's configuration runs (`fsmonitor`), nothing is logged
    // (a reflog that is a link), and objects are what their ids say (no replace refs).
    c.arg("--no-optional-locks")
        .arg("--no-replace-objects")
        .args([
            "-c",
            "core.fsmonitor=false",
            "-c",
            "core.logAllRefUpdates=false",
        ])
        .arg("-C")
        .arg(dir)
        .env("GIT_OPTIONAL_LOCKS", "0")
        .env("GIT_PAGER", "cat")
        .env("LC_ALL", "C")
        // Run from inside a git hook, these would point every command at the hook's repository.
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .env("GIT_LFS_SKIP_SMUDGE", "1");
    c
}

/// Runs git and returns its stdout, or an error quoting git's stderr.
pub(crate) fn git_ok(dir: &Path, args: &[&str]) -> Result<String, GateError> {
    let out = git(dir)
        .args(args)
        .output()
        .map_err(|e| GateError::msg(format!("cannot run git (is it installed?): {e}")))?;
    if !out.status.success() {
        return Err(GateError::msg(format!(
            "`git {}` failed in {}: {}",
            args.join(" "),
            dir.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

impl Source {
    /// The repository `dir` belongs to; an error when it is not inside a git work tree.
    pub fn of(dir: &Path) -> Result<Source, GateError> {
        let out = git_ok(
            dir,
            &[
                "rev-parse",
                "--path-format=absolute",
                "--git-common-dir",
                "--show-prefix",
            ],
        )
        .map_err(|e| {
            GateError::msg(format!(
                "{} is not inside a git repository, so it has no history to check: {e}",
                dir.display()
            ))
        })?;
        let mut lines = out.lines();
        let common = lines.next().unwrap_or_default().trim().to_string();
        let prefix = lines.next().unwrap_or_default().trim().to_string();
        if common.is_empty() {
            return Err(GateError::msg(format!(
                "{}: git did not name the repository's directory",
                dir.display()
            )));
        }
        Ok(Source {
            objects: PathBuf::from(common).join("objects"),
            prefix,
            dir: dir.to_path_buf(),
        })
    }

    /// The full commit id `rev` names; a clear error when it names none.
    pub fn resolve(&self, rev: &str) -> Result<String, GateError> {
        if rev.starts_with('-') {
            return Err(GateError::msg(format!(
                "`{rev}` is not a revision (revisions do not start with `-`)"
            )));
        }
        let spec = format!("{rev}^{{commit}}");
        git_ok(&self.dir, &["rev-parse", "--verify", "--quiet", &spec])
            .map(|s| s.trim().to_string())
            .map_err(|_| GateError::msg(format!("`{rev}` does not name a commit of the target")))
    }

    /// The commits of `A..B`, oldest first (`git rev-list --reverse --topo-order`); with
    /// `ancestry_path`, only those that descend from A (what bisect searches).
    pub fn range(&self, a: &str, b: &str, ancestry_path: bool) -> Result<Vec<String>, GateError> {
        let a = self.resolve(a)?;
        let b = self.resolve(b)?;
        let spec = format!("{a}..{b}");
        let mut args = vec!["rev-list", "--reverse", "--topo-order"];
        if ancestry_path {
            args.push("--ancestry-path");
        }
        args.push(&spec);
        Ok(git_ok(&self.dir, &args)?
            .lines()
            .map(str::to_string)
            .collect())
    }

    /// Each commit's subject line.
    pub fn subjects(&self, commits: &[String]) -> Result<Vec<String>, GateError> {
        if commits.is_empty() {
            return Ok(Vec::new());
        }
        let mut args = vec!["log", "--no-walk=unsorted", "--format=%H %s"];
        args.extend(commits.iter().map(String::as_str));
        let out = git_ok(&self.dir, &args)?;
        let mut by_sha = std::collections::HashMap::new();
        for line in out.lines() {
            if let Some((sha, subject)) = line.split_once(' ') {
                by_sha.insert(sha.to_string(), subject.to_string());
            }
        }
        Ok(commits
            .iter()
            .map(|c| by_sha.get(c).cloned().unwrap_or_default())
            .collect())
    }
}

/// One worker's checkout, moved from commit to commit. The first commit is a full checkout
/// into a fresh repository; each later one removes whatever the gates left behind
/// (`git clean -ffdx`: untracked and ignored files, installed dependencies too) and switches
/// with `git checkout --force`, which writes only the files that differ. The tree a gate sees
/// is exactly the commit's either way; switching is what makes a run over consecutive commits
/// cheap (a full checkout of a mid-sized monorepo costs ~0.4 s, a switch ~0.05 s).
pub struct Checkout {
    dir: PathBuf,
    ready: bool,
    /// A kept checkout ([`Checkouts::Kept`]): the lock on its slot, held while it is used.
    kept: Option<std::fs::File>,
    /// A checkout of its own temporary folder (a kept slot could not be used).
    _temp: Option<TempRoot>,
}

impl Checkout {
    /// A checkout that will live in `dir` (created on the first [`Checkout::switch`]).
    pub fn new(dir: PathBuf) -> Checkout {
        Checkout {
            dir,
            ready: false,
            kept: None,
            _temp: None,
        }
    }

    /// The kept checkout in `dir` (its slot's lock `lock` taken), to move on from whatever
    /// commit it was left at. Its git directory is made anew around the index it had: nothing
    /// anyone put there (a configuration with a hook path, a filter or an `fsmonitor`
    /// command, a `commondir` naming another repository, replace refs, a reflog that is a
    /// link) is left, and `git init` detects the file system's settings again (case, modes).
    /// The index (only the stat data that spares rewriting unchanged files) is kept when it
    /// is a regular file marking no entry skip-worktree or assume-unchanged (such a file
    /// would keep its edited content through a switch); otherwise the checkout starts fresh.
    fn kept(dir: PathBuf, lock: std::fs::File, src: &Source) -> Checkout {
        let git = dir.join(".git");
        let index = git.join("index");
        let saved = dir.with_extension("index");
        let real_dir = |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.is_dir());
        let regular =
            |p: &Path| std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_file());
        let ready = real_dir(&dir)
            && real_dir(&git)
            && regular(&index)
            && std::fs::rename(&index, &saved).is_ok()
            && {
                remove_tree(&git);
                std::fs::symlink_metadata(&git).is_err()
            }
            && init(&dir, src).is_ok()
            && std::fs::rename(&saved, &index).is_ok()
            && no_flagged_entries(&dir);
        let _ = std::fs::remove_file(&saved);
        if !ready {
            remove_tree(&dir);
        }
        Checkout {
            dir,
            ready,
            kept: Some(lock),
            _temp: None,
        }
    }

    /// Puts the work tree at `commit` and returns the target directory inside it.
    pub fn switch(&mut self, src: &Source, commit: &str) -> Result<PathBuf, GateError> {
        let switch = [
            "-c",
            "advice.detachedHead=false",
            "-c",
            "core.hooksPath=/dev/null",
            "checkout",
            "-q",
            "--force",
            "--detach",
            commit,
        ];
        if self.ready {
            let r =
                git_ok(&self.dir, &["clean", "-ffdxq"]).and_then(|_| git_ok(&self.dir, &switch));
            if r.is_err() {
                // Whatever a gate did to the checkout, a fresh one is still exact.
                self.ready = false;
                remove_tree(&self.dir);
            }
        }
        if !self.ready {
            init(&self.dir, src)?;
            git_ok(&self.dir, &switch)?;
            self.ready = true;
        }
        let target = self.dir.join(src.prefix.trim_end_matches('/'));
        // A committed link on the way to the target would have the gates judge wherever it
        // leads.
        if let Ok(Some(escape)) = crate::fs::inside::link_out(
            &self.dir,
            Path::new(src.prefix.trim_end_matches('/')),
            crate::fs::inside::TARGET,
        ) {
            return Err(GateError::msg(format!(
                "at commit {}: {escape}",
                short(commit)
            )));
        }
        if !target.is_dir() {
            return Err(GateError::msg(format!(
                "the target directory {} does not exist at commit {}",
                src.prefix.trim_end_matches('/'),
                short(commit)
            )));
        }
        Ok(target)
    }

    /// Removes the checkout. A kept one stays for the next run, its slot unlocked, without
    /// what the gates left in it (installed dependencies, reports).
    pub fn remove(self) {
        if self.kept.is_none() {
            remove_tree(&self.dir);
        } else if self.ready {
            let _ = git_ok(&self.dir, &["clean", "-ffdxq"]);
        }
    }
}

/// Makes `dir` a repository of its own (no templates) that borrows `src`'s objects.
fn init(dir: &Path, src: &Source) -> Result<(), GateError> {
    let d = dir.to_string_lossy().into_owned();
    let parent = dir.parent().unwrap_or(dir);
    git_ok(parent, &["init", "-q", "--template=", &d])?;
    let info = dir.join(".git").join("objects").join("info");
    std::fs::create_dir_all(&info).map_err(|e| GateError::io(&info, e))?;
    let alternates = info.join("alternates");
    let mut line = src.objects.to_string_lossy().into_owned();
    line.push('\n');
    crate::fs::write_atomic(&alternates, line.as_bytes()).map_err(|e| GateError::io(&alternates, e))
}

/// Whether no entry of `dir`'s index is marked skip-worktree or assume-unchanged
/// (`git ls-files -v`: `S` or a lower-case tag).
fn no_flagged_entries(dir: &Path) -> bool {
    git_ok(dir, &["ls-files", "-v", "-z"]).is_ok_and(|out| {
        out.split('\0').filter(|e| !e.is_empty()).all(|e| {
            e.chars()
                .next()
                .is_some_and(|t| t.is_ascii_uppercase() && t != 'S')
        })
    })
}

/// How many kept checkouts a repository may have.
const SLOTS: usize = 16;

/// The kept checkouts this process has taken.
static TAKEN: std::sync::Mutex<std::collections::BTreeSet<PathBuf>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

fn release(slot: &Path) {
    TAKEN.lock().unwrap_or_else(|e| e.into_inner()).remove(slot);
}

impl Drop for Checkout {
    fn drop(&mut self) {
        if self.kept.is_some() {
            release(&self.dir);
        }
    }
}

/// Where a run's checkouts live: a temporary folder removed at the end, or kept between runs
/// in the tool's state directory of the repository (`rawr-gates/history/w<N>` under its git
/// directory), so that the next run moves each from the commit it was left at instead of
/// writing the whole tree again (a first checkout of a mid-sized monorepo costs ~1 s of
/// system time, a switch ~0.03 s). A kept checkout is taken under a lock (`w<N>.lock`):
/// runs at the same time take different ones. Nothing is registered in the repository
/// either way. `--no-cache` uses a temporary folder.
pub enum Checkouts {
    Temp(TempRoot),
    Kept { dir: PathBuf, src: Source },
}

impl Checkouts {
    /// Kept checkouts for `src` when `keep` and its directory is the top of a git work tree,
    /// else a temporary folder.
    pub fn for_source(src: &Source, keep: bool) -> Result<Checkouts, GateError> {
        if keep && let Some(state) = crate::fs::state::git_state_dir(&src.dir) {
            return Ok(Checkouts::Kept {
                dir: state.join("history"),
                src: src.clone(),
            });
        }
        Ok(Checkouts::Temp(TempRoot::create()?))
    }

    /// A checkout for worker `w`: a free kept one, or, when none can be taken, one of its
    /// own temporary folder.
    pub fn take(&self, w: usize) -> Result<Checkout, GateError> {
        match self {
            Checkouts::Temp(root) => Ok(Checkout::new(root.path().join(format!("w{w}")))),
            Checkouts::Kept { dir, src } => {
                if let Some(co) = Self::free_slot(dir, src) {
                    return Ok(co);
                }
                let temp = TempRoot::create()?;
                let mut co = Checkout::new(temp.path().join("w"));
                co._temp = Some(temp);
                Ok(co)
            }
        }
    }

    /// Removes the kept checkouts beyond the first `keep` that no run holds now: runs at the
    /// same time take one each, and without pruning there would stay as many as the most
    /// workers that ever ran at once.
    pub fn prune(&self, keep: usize) {
        let Checkouts::Kept { dir, .. } = self else {
            return;
        };
        if crate::fs::inside::check_path(&dir.join("w")).is_err() {
            return;
        }
        for k in keep..SLOTS {
            let slot = dir.join(format!("w{k}"));
            let lock_path = dir.join(format!("w{k}.lock"));
            if std::fs::symlink_metadata(&lock_path).is_err() {
                continue;
            }
            let Ok(lock) =
                crate::fs::careful::open_with(&lock_path, std::fs::OpenOptions::new().write(true))
            else {
                continue;
            };
            if TAKEN
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .contains(&slot)
                || lock.try_lock().is_err()
            {
                continue;
            }
            if std::fs::symlink_metadata(&slot).is_ok_and(|m| m.is_dir()) {
                remove_tree(&slot);
            }
            let _ = std::fs::remove_file(&lock_path);
        }
    }

    fn free_slot(dir: &Path, src: &Source) -> Option<Checkout> {
        // Not through a link out of the state directory.
        crate::fs::inside::check_path(&dir.join("w")).ok()?;
        std::fs::create_dir_all(dir).ok()?;
        for k in 0..SLOTS {
            let lock_path = dir.join(format!("w{k}.lock"));
            let Ok(lock) = crate::fs::careful::open_with(
                &lock_path,
                std::fs::OpenOptions::new()
                    .create(true)
                    .truncate(false)
                    .write(true),
            ) else {
                continue;
            };
            let slot = dir.join(format!("w{k}"));
            // Taken by another worker of this process: a lock file system that does not tell
            // one process's locks apart (an NFS client's emulation) would let it through.
            if !TAKEN
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(slot.clone())
            {
                continue;
            }
            match lock.try_lock() {
                Ok(()) => {}
                Err(_) => {
                    release(&slot);
                    continue;
                }
            }
            // Anything but a folder of its own (a link, a file) is not a checkout to use.
            match std::fs::symlink_metadata(&slot) {
                Ok(m) if !m.is_dir() => {
                    release(&slot);
                    continue;
                }
                _ => {}
            }
            return Some(Checkout::kept(slot, lock, src));
        }
        None
    }
}

/// The first eight characters of a commit id.
pub fn short(sha: &str) -> &str {
    &sha[..sha.len().min(8)]
}

/// One temporary folder holding every checkout of a run; removed when dropped (also when
/// the run is interrupted or fails). A panic aborts the tool (the `dev` and `release` profiles
/// set `panic = "abort"`) and leaves the folder in the temporary directory, as `kill -9` would.
pub struct TempRoot {
    path: PathBuf,
}

impl TempRoot {
    /// Creates `rawr-gates-history-<pid>-<n>` in the system's temporary directory (`TMPDIR`).
    pub fn create() -> Result<TempRoot, GateError> {
        let base = std::env::temp_dir();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        for attempt in 0..100u32 {
            let path = base.join(format!(
                "rawr-gates-history-{}-{:x}",
                std::process::id(),
                nanos.wrapping_add(attempt)
            ));
            match std::fs::create_dir(&path) {
                Ok(()) => return Ok(TempRoot { path }),
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(GateError::io(&path, e)),
            }
        }
        Err(GateError::msg(format!(
            "cannot create a temporary folder in {}",
            base.display()
        )))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempRoot {
    fn drop(&mut self) {
        remove_tree(&self.path);
    }
}

/// Removes a directory tree, making read-only directories writable first if a plain removal
/// fails (a gate's tool may leave such files behind).
pub fn remove_tree(path: &Path) {
    if std::fs::remove_dir_all(path).is_ok() || !path.exists() {
        return;
    }
    for entry in dirs_below(path) {
        if let Ok(meta) = std::fs::symlink_metadata(&entry)
            && meta.is_dir()
        {
            let mut perm = meta.permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            perm.set_readonly(false);
            let _ = std::fs::set_permissions(&entry, perm);
        }
    }
    let _ = std::fs::remove_dir_all(path);
}

fn dirs_below(root: &Path) -> Vec<PathBuf> {
    let mut out = vec![root.to_path_buf()];
    let mut i = 0;
    while i < out.len() {
        let dir = out[i].clone();
        i += 1;
        if let Ok(rd) = std::fs::read_dir(&dir) {
            for e in rd.flatten() {
                if e.file_type().is_ok_and(|t| t.is_dir()) {
                    out.push(e.path());
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn a_read_only_directory_left_by_a_gate_is_removed_too() {
        use std::os::unix::fs::PermissionsExt;
        let t = tempfile::tempdir().unwrap();
        let root = t.path().join("co");
        let locked = root.join("node_modules/pkg");
        std::fs::create_dir_all(&locked).unwrap();
        std::fs::write(locked.join("index.js"), "x").unwrap();
        std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o555)).unwrap();
        remove_tree(&root);
        assert!(!root.exists());
    }

    #[test]
    fn a_temporary_root_is_removed_when_dropped() {
        let r = TempRoot::create().unwrap();
        let p = r.path().to_path_buf();
        std::fs::create_dir_all(p.join("w0/a")).unwrap();
        assert!(p.is_dir());
        drop(r);
        assert!(!p.exists());
    }

    #[test]
    fn each_worker_takes_a_kept_checkout_of_its_own_and_gives_it_back() {
        let t = tempfile::tempdir().unwrap();
        let repo = std::fs::canonicalize(t.path()).unwrap();
        let ok = Command::new("git")
            .arg("-C")
            .arg(&repo)
            .args(["init", "-q"])
            .status()
            .unwrap()
            .success();
        assert!(ok);
        let src = Source::of(&repo).unwrap();
        let kept = Checkouts::for_source(&src, true).unwrap();
        let a = kept.take(0).unwrap();
        let b = kept.take(1).unwrap();
        assert!(a.kept.is_some() && b.kept.is_some());
        assert_ne!(a.dir, b.dir);
        let a_dir = a.dir.clone();
        a.remove();
        let c = kept.take(2).unwrap();
        assert_eq!(c.dir, a_dir, "a slot given back is taken again");
        // Pruned to one: the slot still held stays, the one given back goes.
        let b_dir = b.dir.clone();
        std::fs::create_dir_all(&b_dir).unwrap();
        b.remove();
        kept.prune(1);
        assert!(!b_dir.exists(), "{b_dir:?} was not pruned");
        let d = kept.take(3).unwrap();
        assert_eq!(d.dir, b_dir, "pruned slots are taken anew");
        drop((c, d));
        // Without keeping: a temporary folder.
        let temp = Checkouts::for_source(&src, false).unwrap();
        assert!(temp.take(0).unwrap().kept.is_none());
    }

    #[cfg(unix)]
    #[test]
    fn a_target_folder_that_is_a_link_out_at_a_commit_is_refused() {
        let t = tempfile::tempdir().unwrap();
        let root = std::fs::canonicalize(t.path()).unwrap();
        let (repo, outside) = (root.join("repo"), root.join("outside"));
        std::fs::create_dir_all(&repo).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        let git = |args: &[&str]| {
            let ok = Command::new("git")
                .arg("-C")
                .arg(&repo)
                .args(["-c", "user.name=a", "-c", "user.email=a@example.test"])
                .args(args)
                .status()
                .unwrap()
                .success();
            assert!(ok, "git {args:?}");
        };
        git(&["init", "-q"]);
        std::os::unix::fs::symlink(&outside, repo.join("sub")).unwrap();
        git(&["add", "-A"]);
        git(&["commit", "-qm", "a link"]);
        std::fs::remove_file(repo.join("sub")).unwrap();
        std::fs::create_dir_all(repo.join("sub")).unwrap();
        std::fs::write(repo.join("sub/a.md"), "a\n").unwrap();
        git(&["add", "-A"]);
        git(&["commit", "-qm", "a folder"]);
        let src = Source::of(&repo.join("sub")).unwrap();
        let linked = src.resolve("HEAD~1").unwrap();
        let mut co = Checkout::new(root.join("co"));
        let err = co.switch(&src, &linked).unwrap_err().to_string();
        assert!(err.contains("symbolic link"), "{err}");
        assert!(co.switch(&src, &src.resolve("HEAD").unwrap()).is_ok());
        co.remove();
    }
}

//! `--watch`: wait for the target to change, then judge again. With the verdict cache
//! ([`super::cache`]) only the gates whose recorded inputs changed are judged; the rest are
//! reused in the time it takes to compare them.
//!
//! The watcher is `notify` (inotify on Linux, kqueue on macOS, none of its optional
//! features). It watches each directory of the target's listing on its own, not the tree
//! recursively: an ignored `node_modules` holds tens of thousands of directories, each a
//! kernel watch. A created directory shows up in its parent's events and is watched from the
//! next round on ([`Watch::sync`]). The tool's own state (the run record, the cache) lives in
//! the git directory, whose changes are ignored except for the files a commit or checkout
//! moves (`HEAD`, `index`, `refs/`), which the git-reading gates depend on, and `info/`
//! (`exclude` says what is ignored).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use notify::Watcher;

use crate::error::GateError;

/// Watches a target for changes.
pub struct Watch {
    repo: PathBuf,
    git_dir: Option<PathBuf>,
    watcher: notify::RecommendedWatcher,
    rx: mpsc::Receiver<notify::Result<notify::Event>>,
    watched: BTreeSet<PathBuf>,
    /// Folders watched only because they hold a file git tracks (an ignore rule matches
    /// them): there, only the tracked files count.
    ignored_dirs: BTreeSet<PathBuf>,
    /// The tracked files in [`Watch::ignored_dirs`].
    tracked_in_ignored: BTreeSet<PathBuf>,
    /// The paths changed since the last [`Watch::changes`]; `None` when some change could
    /// not be named (the kernel's queue overflowed, a rescan was asked for).
    changed: Option<BTreeSet<PathBuf>>,
}

impl Watch {
    /// Starts watching the directories of `repo` (tracked or not ignored) and its git
    /// directory's top.
    pub fn new(repo: &Path) -> Result<Watch, GateError> {
        let (tx, rx) = mpsc::channel();
        let watcher = notify::recommended_watcher(move |e| {
            let _ = tx.send(e);
        })
        .map_err(|e| GateError::msg(format!("cannot watch {}: {e}", repo.display())))?;
        let git_dir =
            crate::fs::state::git_state_dir(repo).and_then(|s| s.parent().map(Path::to_path_buf));
        let mut w = Watch {
            repo: repo.to_path_buf(),
            git_dir,
            watcher,
            rx,
            watched: BTreeSet::new(),
            ignored_dirs: BTreeSet::new(),
            tracked_in_ignored: BTreeSet::new(),
            changed: Some(BTreeSet::new()),
        };
        w.sync()?;
        Ok(w)
    }

    /// Watches the directories created since the last call: those of the target's listing
    /// (not ignored, or holding a tracked file: a file git tracks is the target's even where
    /// an ignore rule matches it) and the git directory's top, `refs/heads` and `info` (its
    /// `exclude` decides what is ignored).
    pub fn sync(&mut self) -> Result<(), GateError> {
        let mut dirs: BTreeSet<PathBuf> = BTreeSet::from([self.repo.clone()]);
        for e in ignore::WalkBuilder::new(&self.repo)
            .hidden(false)
            .require_git(false)
            .filter_entry(|e| !(e.depth() == 1 && e.file_name() == ".git"))
            .build()
            .flatten()
        {
            if e.file_type().is_some_and(|t| t.is_dir()) {
                dirs.insert(e.path().to_path_buf());
            }
        }
        if let Some(files) = crate::artifacts::git::tracked_files(&self.repo) {
            let mut ignored_dirs = BTreeSet::new();
            let mut tracked = Vec::new();
            for name in files {
                let path = self.repo.join(name);
                let mut dir = path.parent();
                while let Some(d) = dir
                    && d.starts_with(&self.repo)
                    && dirs.insert(d.to_path_buf())
                {
                    ignored_dirs.insert(d.to_path_buf());
                    dir = d.parent();
                }
                tracked.push(path);
            }
            self.tracked_in_ignored = tracked
                .into_iter()
                .filter(|p| p.parent().is_some_and(|d| ignored_dirs.contains(d)))
                .collect();
            self.ignored_dirs = ignored_dirs;
        }
        if let Some(g) = &self.git_dir {
            dirs.insert(g.clone());
            dirs.insert(g.join("refs/heads"));
            dirs.insert(g.join("info"));
        }
        for d in dirs {
            if self.watched.contains(&d) {
                continue;
            }
            match self.watcher.watch(&d, notify::RecursiveMode::NonRecursive) {
                Ok(()) => {
                    self.watched.insert(d);
                }
                // Gone already (a directory removed since it was listed): nothing to watch.
                Err(_) if !d.exists() => {}
                Err(e) => {
                    return Err(GateError::msg(format!("cannot watch {}: {e}", d.display())));
                }
            }
        }
        self.watched.retain(|d| d.exists());
        Ok(())
    }

    /// Whether an event at `path` can change a verdict.
    fn relevant(&self, path: &Path) -> bool {
        // In a folder an ignore rule matches, only the files git tracks and the folders
        // leading to them count (build output or a log written beside them does not).
        if path.parent().is_some_and(|d| self.ignored_dirs.contains(d)) {
            return self.tracked_in_ignored.contains(path) || self.ignored_dirs.contains(path);
        }
        match &self.git_dir {
            Some(g) if path.starts_with(g) => {
                let rel = path.strip_prefix(g).unwrap_or(path);
                let first = rel.components().next().map(|c| c.as_os_str().to_owned());
                matches!(
                    first.as_deref().and_then(|f| f.to_str()),
                    Some("HEAD" | "index" | "refs" | "packed-refs" | "info")
                )
            }
            _ => true,
        }
    }

    /// Blocks until the target changes, then waits until it has been quiet for `debounce`
    /// (an editor's save is often several writes). Returns false when `interrupt` is set.
    pub fn wait(&mut self, debounce: Duration, interrupt: &AtomicBool) -> bool {
        let poll = Duration::from_millis(25);
        let mut last_change: Option<Instant> = None;
        loop {
            if interrupt.load(Ordering::Relaxed) {
                return false;
            }
            let wait = match last_change {
                Some(t) => debounce.saturating_sub(t.elapsed()).min(poll),
                None => poll,
            };
            match self.rx.recv_timeout(wait) {
                Ok(Ok(e)) => {
                    if !matches!(e.kind, notify::EventKind::Access(_))
                        && e.paths.iter().any(|p| self.relevant(p))
                    {
                        last_change = Some(Instant::now());
                        let paths: Vec<PathBuf> = e
                            .paths
                            .iter()
                            .filter(|p| self.relevant(p))
                            .cloned()
                            .collect();
                        if e.need_rescan() {
                            self.changed = None;
                        } else if let Some(c) = &mut self.changed {
                            c.extend(paths);
                        }
                    }
                }
                // An overflow or watcher error: something changed, and we cannot say what.
                Ok(Err(_)) => {
                    last_change = Some(Instant::now());
                    self.changed = None;
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return false,
            }
            if last_change.is_some_and(|t| t.elapsed() >= debounce) {
                return true;
            }
        }
    }
}

impl Watch {
    /// The paths changed since the last call (`None`: unknown, treat everything as changed).
    pub fn changes(&mut self) -> Option<Vec<PathBuf>> {
        self.changed
            .replace(BTreeSet::new())
            .map(|c| c.into_iter().collect())
    }
}

/// Now, to the millisecond (RFC 3339, UTC), for the line opening each run.
pub fn now_text() -> String {
    humantime::format_rfc3339_millis(std::time::SystemTime::now()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(repo: &Path, args: &[&str]) {
        let ok = std::process::Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    }

    /// Whether the watch reports a change within `within`.
    fn changes_within(w: &mut Watch, within: Duration) -> bool {
        let stop = AtomicBool::new(false);
        std::thread::scope(|s| {
            let timer = s.spawn(|| {
                let end = Instant::now() + within;
                while Instant::now() < end && !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(10));
                }
                stop.store(true, Ordering::Relaxed);
            });
            let seen = w.wait(Duration::from_millis(50), &stop);
            stop.store(true, Ordering::Relaxed);
            let _ = timer.join();
            seen
        })
    }

    /// The next change the watch reports, within a few seconds.
    fn next_change(w: &mut Watch) -> Vec<PathBuf> {
        assert!(
            changes_within(w, Duration::from_secs(5)),
            "no change seen within 5 s"
        );
        w.changes().expect("named changes")
    }

    /// A repository in a temporary folder with `.gitignore` ignoring `ignored`, and `kept`
    /// (in that folder) tracked all the same.
    fn repo_with_a_tracked_file_in(ignored: &str, kept: &str) -> (tempfile::TempDir, PathBuf) {
        let t = tempfile::tempdir().unwrap();
        let repo = std::fs::canonicalize(t.path()).unwrap();
        git(&repo, &["init", "-q"]);
        std::fs::write(repo.join(".gitignore"), format!("{ignored}\n")).unwrap();
        let kept_path = repo.join(kept);
        std::fs::create_dir_all(kept_path.parent().unwrap()).unwrap();
        std::fs::write(&kept_path, "one\n").unwrap();
        git(&repo, &["add", "-f", kept, ".gitignore"]);
        (t, repo)
    }

    #[test]
    fn a_tracked_file_in_an_ignored_folder_and_the_exclude_file_are_watched() {
        let (_t, repo) = repo_with_a_tracked_file_in("build/", "build/out/keep.txt");
        let mut w = Watch::new(&repo).unwrap();
        // A file git tracks, though an ignore rule matches its folder.
        std::fs::write(repo.join("build/out/keep.txt"), "two\n").unwrap();
        assert!(next_change(&mut w).contains(&repo.join("build/out/keep.txt")));
        // What git ignores besides `.gitignore`.
        std::fs::create_dir_all(repo.join(".git/info")).unwrap();
        std::fs::write(repo.join(".git/info/exclude"), "*.log\n").unwrap();
        let changed = next_change(&mut w);
        assert!(
            changed
                .iter()
                .any(|p| p.starts_with(repo.join(".git/info"))),
            "{changed:?}"
        );
    }

    /// A file git ignores and does not track, written in a folder watched only because it
    /// holds a tracked file (build output, a log): no verdict can change, so no new run.
    #[test]
    fn an_ignored_file_beside_a_tracked_one_is_no_change() {
        let (_t, repo) = repo_with_a_tracked_file_in("logs/", "logs/.gitkeep");
        let mut w = Watch::new(&repo).unwrap();
        std::fs::write(repo.join("logs/run.log"), "written by a gate\n").unwrap();
        let seen = changes_within(&mut w, Duration::from_millis(1500));
        assert!(!seen, "changed: {:?}", w.changes());
    }
}

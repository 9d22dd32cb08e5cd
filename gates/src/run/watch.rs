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
//! moves (`HEAD`, `index`, `refs/`), which the git-reading gates depend on.

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
            changed: Some(BTreeSet::new()),
        };
        w.sync()?;
        Ok(w)
    }

    /// Watches the directories created since the last call.
    pub fn sync(&mut self) -> Result<(), GateError> {
        let mut dirs: Vec<PathBuf> = vec![self.repo.clone()];
        for e in ignore::WalkBuilder::new(&self.repo)
            .hidden(false)
            .require_git(false)
            .filter_entry(|e| !(e.depth() == 1 && e.file_name() == ".git"))
            .build()
            .flatten()
        {
            if e.file_type().is_some_and(|t| t.is_dir()) {
                dirs.push(e.path().to_path_buf());
            }
        }
        if let Some(g) = &self.git_dir {
            dirs.push(g.clone());
            dirs.push(g.join("refs/heads"));
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
        match &self.git_dir {
            Some(g) if path.starts_with(g) => {
                let rel = path.strip_prefix(g).unwrap_or(path);
                let first = rel.components().next().map(|c| c.as_os_str().to_owned());
                matches!(
                    first.as_deref().and_then(|f| f.to_str()),
                    Some("HEAD" | "index" | "refs" | "packed-refs")
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

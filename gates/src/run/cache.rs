//! The verdict cache: a gate whose recorded inputs are all unchanged reuses its verdict and
//! findings instead of judging again (marked `cached` in the reports).
//!
//! What a gate depends on is what it read, recorded while it ran ([`crate::fs::record`]):
//! every file through the careful reader (by SHA-256), every directory it listed, where a
//! path led through symlinks, every git query and its answer, the verdicts of earlier gates
//! it asked for. To that the cache adds, for every gate:
//!
//! - the **key**: this build of the tool ([`tool_id`]: its version and the SHA-256 of its
//!   executable, so a rebuilt tool judges again), the gate as the pipeline declares
//!   it (check, params, command, setup) and the whole pipeline (a check may read any of it);
//! - the **listing** of the target: the path, type and link target of every file and
//!   directory that is tracked or not ignored. A check may ask whether a path exists without
//!   reading it; any such answer changes only when the listing does, so a created, deleted,
//!   renamed or retargeted path anywhere makes every built-in check judge again. (An edit
//!   inside a file changes only the gates that read it.)
//! - for a gate that started a process (a command gate, a setup step, a check starting a
//!   service): what a process reads is not known, so its inputs are the content of the files
//!   its `inputs` globs match, or, without `inputs`, of every tracked and untracked
//!   non-ignored file and the lockfile; and the program's executable found on `PATH`.
//!   Only a pass of such a gate is kept (a failure may be the machine's, not the code's).
//!
//! When anything cannot be compared (a read on a thread the recorder did not follow, a gate
//! that errored, timed out or was interrupted), nothing is kept: when in doubt, the gate runs.
//!
//! The cache lives in the target's state directory (`rawr-gates/cache/` under its git
//! directory), one file per gate, and is used only for a target that is the top of a git
//! work tree (a directory elsewhere has its state in this workspace's `target/`, shared by
//! every checkout of that path). `--no-cache` turns it off ([`set_enabled`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::checks::RunSoFar;
use crate::fs::record::{self, FileState, Inputs, Recorder, sha256_hex};
use crate::pipeline::{Gate, Pipeline};
use crate::record::{GateResult, Status};

static ENABLED: AtomicBool = AtomicBool::new(false);
static TOOL: Mutex<Option<String>> = Mutex::new(None);
/// The session `--watch` keeps up to date between runs ([`refresh_live`]), by target.
static LIVE: Mutex<Option<Arc<Session>>> = Mutex::new(None);

/// Turns the cache on or off for this process (the command line turns it on unless
/// `--no-cache`; the library starts with it off).
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::SeqCst);
}

pub fn enabled() -> bool {
    ENABLED.load(Ordering::SeqCst)
}

/// This build of the tool: its version and the SHA-256 of its executable, so a rebuilt tool
/// with changed code never reuses a verdict of the old one. The hash is computed once per
/// build and remembered by the executable's identity (path, size, times, inode) in
/// `memo`, so later runs pay a `stat`, not a read of the whole executable. (Identity alone
/// would do on one machine, but a CI job unpacks the same build anew each time.)
pub fn tool_id(memo: Option<&Path>) -> String {
    let mut t = TOOL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(id) = &*t {
        return id.clone();
    }
    let exe = std::env::current_exe().ok();
    let stat = exe
        .as_ref()
        .and_then(|p| std::fs::metadata(p).ok())
        .map(|m| format!("{exe:?} {}", stat_text(&m)));
    let remembered: Option<(String, String)> = memo
        .and_then(|m| crate::fs::careful::read_whole(m).ok())
        .and_then(|b| serde_json::from_slice(&b).ok());
    let hash = match (&stat, remembered) {
        (Some(stat), Some((s, h))) if *stat == s => Some(h),
        _ => {
            let h = exe
                .as_ref()
                .and_then(|p| std::fs::read(p).ok())
                .map(|b| sha256_hex(&b));
            if let (Some(m), Some(stat), Some(h)) = (memo, &stat, &h)
                && let Ok(json) = serde_json::to_vec(&(stat, h))
            {
                let _ = crate::fs::write_atomic(m, &json);
            }
            h
        }
    };
    // Without its executable's bytes the build is unknown: a fresh id per process keeps
    // nothing it judged from being reused by another.
    let id = format!(
        "rawr-gates {} {}",
        env!("CARGO_PKG_VERSION"),
        hash.unwrap_or_else(|| format!("unknown-{}-{}", std::process::id(), now_ns()))
    );
    *t = Some(id.clone());
    id
}

fn stat_text(m: &std::fs::Metadata) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        format!(
            "{} {} {}.{} {}.{} {}",
            m.dev(),
            m.ino(),
            m.mtime(),
            m.mtime_nsec(),
            m.ctime(),
            m.ctime_nsec(),
            m.len()
        )
    }
    #[cfg(not(unix))]
    {
        format!("{:?} {}", m.modified().ok(), m.len())
    }
}

/// Lockfiles that are inputs of every command gate without `inputs`, even when ignored.
const LOCKFILES: &[&str] = &[
    "bun.lock",
    "bun.lockb",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "pnpm-lock.yaml",
    "yarn.lock",
];

/// One node of the target's listing.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Node {
    kind: char,
    link: Option<String>,
    hash: Option<String>,
}

/// The target as a run found it: its listing, and the content hash of each file.
pub struct Tree {
    root: PathBuf,
    nodes: BTreeMap<String, Node>,
    listing: String,
    content: OnceLock<String>,
}

/// A remembered hash: the file's identity when it was hashed, and when.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Hashed {
    stat: String,
    /// The file's change time was this long (nanoseconds) before it was hashed; a file
    /// changed less than [`RACY_NS`] before is hashed again each time (a write in the same
    /// clock tick as the hash would keep its times).
    age_ns: i128,
    hash: String,
}

const RACY_NS: i128 = 2_000_000_000;

impl Tree {
    /// Lists the target (tracked files and everything not ignored, `.git` aside) and hashes
    /// its files, reusing the hash of a file whose identity is unchanged since it was hashed
    /// (kept in `hashes_path`, in the state directory under the git directory).
    fn snapshot(root: &Path, hashes_path: &Path) -> Tree {
        let mut names: std::collections::BTreeSet<String> = std::collections::BTreeSet::new();
        for e in ignore::WalkBuilder::new(root)
            .hidden(false)
            .require_git(false)
            .filter_entry(|e| !(e.depth() == 1 && e.file_name() == ".git"))
            .build()
            .flatten()
        {
            if e.depth() > 0 {
                names.insert(crate::fs::source::rel_path(root, e.path()));
            }
        }
        // Tracked files an ignore rule matches are still the target's.
        // (Unrecorded: the snapshot is no gate's input.)
        names.extend(crate::artifacts::git::tracked_files(root).unwrap_or_default());
        for l in LOCKFILES {
            names.insert((*l).to_string());
        }
        let old: BTreeMap<String, Hashed> = crate::fs::careful::read_whole(hashes_path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default();
        let mut fresh: BTreeMap<String, Hashed> = BTreeMap::new();
        let mut nodes = BTreeMap::new();
        let mut listing = hmac_sha256::Hash::new();
        for name in names {
            let path = root.join(&name);
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            let ft = meta.file_type();
            let (kind, link, hash) = if ft.is_symlink() {
                let to = std::fs::read_link(&path)
                    .map(|t| t.to_string_lossy().into_owned())
                    .unwrap_or_default();
                ('l', Some(to), None)
            } else if ft.is_dir() {
                ('d', None, None)
            } else if ft.is_file() {
                let stat = stat_text(&meta);

                let hash = match old.get(&name) {
                    Some(h) if h.stat == stat && h.age_ns > RACY_NS => h.clone(),
                    _ => {
                        let now = now_ns();
                        let Ok(bytes) = crate::fs::careful::read_whole(&path) else {
                            continue;
                        };
                        Hashed {
                            stat,
                            age_ns: now - ctime_ns(&meta),
                            hash: sha256_hex(&bytes),
                        }
                    }
                };
                let h = hash.hash.clone();
                fresh.insert(name.clone(), hash);
                (file_kind(&meta), None, Some(h))
            } else {
                ('o', None, None)
            };
            listing.update(format!(
                "{kind}\0{name}\0{}\0",
                link.as_deref().unwrap_or("")
            ));
            nodes.insert(name, Node { kind, link, hash });
        }
        // What decides which files a check's walk sees: the ignore files' contents (a tracked
        // file stays in the listing when a rule starts to match it, but a walk no longer
        // yields it), the repository's `info/exclude` and the user's global excludes file.
        for (name, n) in &nodes {
            let file = name.rsplit('/').next().unwrap_or(name);
            if matches!(file, ".gitignore" | ".ignore") {
                listing.update(format!("i\0{name}\0{}\0", n.hash.as_deref().unwrap_or("")));
            }
        }
        let exclude = hashes_path
            .parent()
            .and_then(Path::parent)
            .map(|git_dir| git_dir.join("info").join("exclude"));
        for file in exclude
            .into_iter()
            .chain(ignore::gitignore::gitconfig_excludes_path())
        {
            let state = record::file_state(crate::fs::careful::read_whole(&file).as_deref());
            listing.update(format!("x\0{}\0{state:?}\0", file.display()));
        }
        if let Ok(json) = serde_json::to_vec(&fresh) {
            let _ = crate::fs::write_atomic(hashes_path, &json);
        }
        Tree {
            root: root.to_path_buf(),
            nodes,
            listing: record::hex(&listing.finalize()),
            content: OnceLock::new(),
        }
    }

    /// The hash of every file's content (the default inputs of a command gate).
    fn content(&self) -> String {
        self.content
            .get_or_init(|| self.content_of(|_| true))
            .clone()
    }

    fn content_of(&self, keep: impl Fn(&str) -> bool) -> String {
        let mut h = hmac_sha256::Hash::new();
        for (name, n) in &self.nodes {
            if n.kind == 'd' || !keep(name) {
                continue;
            }
            h.update(format!(
                "{}\0{name}\0{}\0{}\0",
                n.kind,
                n.link.as_deref().unwrap_or(""),
                n.hash.as_deref().unwrap_or("")
            ));
        }
        record::hex(&h.finalize())
    }

    /// The content hash of the files `globs` match, and of the lockfile. A glob starting
    /// with `!` takes files out; with only such globs, every other file is in.
    fn content_matching(&self, globs: &[String]) -> String {
        let mut inc = globset::GlobSetBuilder::new();
        let mut exc = globset::GlobSetBuilder::new();
        let mut any_inc = false;
        for g in globs {
            let (b, pat) = match g.strip_prefix('!') {
                Some(p) => (&mut exc, p),
                None => {
                    any_inc = true;
                    (&mut inc, g.as_str())
                }
            };
            if let Ok(g) = globset::Glob::new(pat) {
                b.add(g);
            }
        }
        let inc = inc.build().unwrap_or_else(|_| globset::GlobSet::empty());
        let exc = exc.build().unwrap_or_else(|_| globset::GlobSet::empty());
        self.content_of(|name| {
            LOCKFILES.contains(&name) || ((!any_inc || inc.is_match(name)) && !exc.is_match(name))
        })
    }

    /// What a read of the file `key` would find now.
    fn file_now(&self, key: &str) -> FileState {
        if let Some(rel) = key.strip_prefix("./")
            && let Some(Node {
                kind: 'f' | 'x',
                hash: Some(h),
                ..
            }) = self.nodes.get(rel)
        {
            return FileState::Content(h.clone());
        }
        let path = record::path_of(&self.root, key);
        record::file_state(crate::fs::careful::read_whole(&path).as_deref())
    }
}

/// A regular file's kind in the listing: `x` when executable (a command may run it, or
/// refuse to), else `f`.
fn file_kind(meta: &std::fs::Metadata) -> char {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        if meta.permissions().mode() & 0o111 != 0 {
            return 'x';
        }
    }
    let _ = meta;
    'f'
}

fn now_ns() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}

fn ctime_ns(m: &std::fs::Metadata) -> i128 {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let c = m.ctime() as i128 * 1_000_000_000 + m.ctime_nsec() as i128;
        let t = m.mtime() as i128 * 1_000_000_000 + m.mtime_nsec() as i128;
        c.max(t)
    }
    #[cfg(not(unix))]
    {
        m.modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map(|d| d.as_nanos() as i128)
            .unwrap_or(i128::MAX)
    }
}

/// What the cache keeps for a gate.
#[derive(Debug, Serialize, Deserialize)]
struct Entry {
    key: String,
    inputs: Inputs,
    listing: String,
    /// For a gate that started processes: the content hash of its inputs.
    #[serde(default)]
    command_inputs: Option<String>,
    /// For a gate that started processes: each program's executable, by identity.
    #[serde(default)]
    programs: BTreeMap<String, String>,
    /// For a gate that started processes: the environment they inherited, each variable's
    /// value hashed ([`command_env`]).
    #[serde(default)]
    command_env: Option<BTreeMap<String, String>>,
    result: GateResult,
}

/// The cache for one run over one target: the target's listing is taken once, when the run
/// starts, and shared by its gates.
pub struct Session {
    dir: PathBuf,
    repo: PathBuf,
    tool: String,
    tree: Tree,
    /// Set once a gate of this run starts the target's code: a command may rewrite files of
    /// the target, and `tree` is the target as the run found it, so from then on no verdict
    /// is reused in this run (each is still kept for the next run).
    target_code_ran: AtomicBool,
    /// This checkout's salt for the values of variables that may hold secrets
    /// ([`command_env`]).
    salt: String,
}

impl Session {
    /// The cache of `repo` for a run starting now, or `None` when the cache is off or the
    /// target is not the top of a git work tree.
    pub fn for_target(repo: &Path) -> Option<Arc<Session>> {
        if !enabled() {
            return None;
        }
        if let Some(live) = &*LIVE.lock().unwrap_or_else(|e| e.into_inner())
            && live.repo == repo
        {
            return Some(live.clone());
        }
        let state = crate::fs::state::git_state_dir(repo)?;
        Session::open(repo, &tool_id(Some(&state.join("tool.json"))))
    }

    /// This session after the files `changed` (absolute paths) were edited in place, without
    /// listing the target again; `None` when a change may have changed the listing (a path
    /// created, deleted or changing kind, a directory, an ignore file, anything in the git
    /// directory or outside the target), which only a new snapshot can tell.
    fn edited(&self, changed: &[PathBuf]) -> Option<Session> {
        let mut nodes = self.tree.nodes.clone();
        for path in changed {
            let rel = path.strip_prefix(&self.repo).ok()?;
            let rel = crate::fs::source::rel_path(Path::new(""), rel);
            let name = rel.rsplit('/').next().unwrap_or(&rel);
            if rel.is_empty()
                || rel == ".git"
                || rel.starts_with(".git/")
                || matches!(name, ".gitignore" | ".ignore")
            {
                return None;
            }
            let meta = std::fs::symlink_metadata(path);
            match (nodes.get(&rel), meta) {
                // A file of the listing, still a file of the same kind: its content may
                // have changed.
                (Some(Node { kind, .. }), Ok(m))
                    if m.file_type().is_file() && *kind == file_kind(&m) =>
                {
                    let kind = *kind;
                    let bytes = crate::fs::careful::read_whole(path).ok()?;
                    nodes.insert(
                        rel,
                        Node {
                            kind,
                            link: None,
                            hash: Some(sha256_hex(&bytes)),
                        },
                    );
                }
                // Not in the listing and not there (an editor's temporary file, written and
                // removed again): the listing is as it was.
                (None, Err(e)) if e.kind() == std::io::ErrorKind::NotFound => {}
                _ => return None,
            }
        }
        let listing = self.tree.listing.clone();
        Some(Session {
            dir: self.dir.clone(),
            repo: self.repo.clone(),
            tool: self.tool.clone(),
            tree: Tree {
                root: self.tree.root.clone(),
                nodes,
                listing,
                content: OnceLock::new(),
            },
            target_code_ran: AtomicBool::new(false),
            salt: self.salt.clone(),
        })
    }

    /// The cache of `repo` for a run starting now by the tool `tool` ([`tool_id`]), whether
    /// or not [`enabled`]; `None` when `repo` is not the top of a git work tree.
    pub fn open(repo: &Path, tool: &str) -> Option<Arc<Session>> {
        let state = crate::fs::state::git_state_dir(repo)?;
        // The snapshot reads the target's files: not through a link out of it.
        crate::fs::inside::confine(repo, crate::fs::inside::TARGET);
        // The remembered file hashes stay beside the cache, not in it: they are this
        // checkout's (inodes, times), and CI saves and restores only `cache/`.
        let tree = Tree::snapshot(repo, &state.join("hashes.json"));
        let dir = state.join("cache");
        Some(Arc::new(Session {
            dir,
            repo: repo.to_path_buf(),
            tool: tool.to_string(),
            tree,
            target_code_ran: AtomicBool::new(false),
            salt: salt(&state.join("env-salt")),
        }))
    }

    fn entry_path(&self, gate: &str) -> PathBuf {
        self.dir.join("gates").join(format!("{gate}.json"))
    }

    fn key(&self, p: &Pipeline, gate: &Gate, pass_root: &Path, run: Option<&RunSoFar>) -> String {
        sha256_hex(
            format!(
                "{}\n{:?}\n{:?}\n{}\n{}\n{}",
                self.tool,
                gate,
                p,
                self.repo.display(),
                pass_root.display(),
                run.is_some()
            )
            .as_bytes(),
        )
    }

    /// The gate's kept result, when every input it recorded is unchanged; marked `cached`.
    pub fn lookup(
        &self,
        p: &Pipeline,
        gate: &Gate,
        pass_root: &Path,
        run: Option<&RunSoFar>,
    ) -> Option<GateResult> {
        if self.target_code_ran.load(Ordering::SeqCst) {
            return None;
        }
        let start = Instant::now();
        let bytes = crate::fs::careful::read_whole(&self.entry_path(&gate.id)).ok()?;
        let e: Entry = serde_json::from_slice(&bytes).ok()?;
        if e.key != self.key(p, gate, pass_root, run) || !e.inputs.complete {
            return None;
        }
        if !self.unchanged(gate, &e, run) {
            return None;
        }
        let mut r = e.result;
        r.cached = true;
        r.duration_ms = start.elapsed().as_millis() as u64;
        Some(r)
    }

    fn unchanged(&self, gate: &Gate, e: &Entry, run: Option<&RunSoFar>) -> bool {
        match self.changed(gate, e, run) {
            None => true,
            Some(why) => {
                if std::env::var_os("RAWR_GATES_CACHE_DEBUG").is_some() {
                    eprintln!("cache: {} runs again: {why}", gate.id);
                }
                false
            }
        }
    }

    /// The first recorded input of `e` that is not as it was, in words.
    fn changed(&self, gate: &Gate, e: &Entry, run: Option<&RunSoFar>) -> Option<String> {
        let i = &e.inputs;
        if e.listing != self.tree.listing {
            return Some("a path of the target was created, deleted or retargeted".into());
        }
        if let Some(c) = &e.command_inputs
            && *c != self.command_inputs(gate)
        {
            return Some("a file its commands read changed".into());
        }
        if let Some((p, _)) = e.programs.iter().find(|(p, id)| program_id(p) != **id) {
            return Some(format!("the program `{p}` changed"));
        }
        if let Some(was) = &e.command_env {
            let now = command_env(&self.salt);
            if let Some(v) = was
                .keys()
                .chain(now.keys())
                .find(|v| was.get(*v) != now.get(*v))
            {
                return Some(format!(
                    "the environment variable {v}, which its commands inherit, changed"
                ));
            }
        }
        i.first_change(&Now { session: self, run })
    }

    fn command_inputs(&self, gate: &Gate) -> String {
        match &gate.inputs {
            Some(globs) => self.tree.content_matching(globs),
            None => self.tree.content(),
        }
    }

    /// Keeps `result` with what `rec` recorded, when it can be trusted later.
    /// A gate that runs the target's code is about to be judged (not reused): the tree this
    /// run found may change under the gates after it.
    pub fn target_code_runs(&self) {
        self.target_code_ran.store(true, Ordering::SeqCst);
    }

    pub fn store(
        &self,
        p: &Pipeline,
        gate: &Gate,
        pass_root: &Path,
        run: Option<&RunSoFar>,
        rec: &Recorder,
        result: &GateResult,
    ) {
        let inputs = rec.finish();
        let spawned = !inputs.spawned.is_empty() || gate.kind.command().is_some();
        let keep = inputs.complete
            && match result.status {
                Status::Passed => true,
                Status::Failed => !spawned,
                _ => false,
            };
        let path = self.entry_path(&gate.id);
        if !keep {
            // Not through a link out of the state directory.
            if crate::fs::inside::check_path(&path).is_ok() {
                let _ = std::fs::remove_file(&path);
            }
            return;
        }
        let mut result = result.clone();
        result.cached = false;
        let e = Entry {
            key: self.key(p, gate, pass_root, run),
            listing: self.tree.listing.clone(),
            command_inputs: spawned.then(|| self.command_inputs(gate)),
            command_env: spawned.then(|| command_env(&self.salt)),
            programs: inputs
                .spawned
                .iter()
                .map(|p| (p.clone(), program_id(p)))
                .collect(),
            inputs,
            result,
        };
        if let Ok(json) = serde_json::to_vec(&e) {
            let _ = crate::fs::write_atomic(&path, &json);
        }
    }
}

/// The target as this run found it, for comparing a kept gate's inputs.
struct Now<'a> {
    session: &'a Session,
    run: Option<&'a RunSoFar>,
}

impl record::World for Now<'_> {
    fn root(&self) -> &Path {
        &self.session.repo
    }
    fn file_same(&self, key: &str, was: &FileState) -> bool {
        self.session.tree.file_now(key) == *was
    }
    fn run_fact(&self, gate: &str) -> Option<String> {
        self.run.map(|r| r.fact(gate))
    }
    fn git_answer(&self, cwd: &Path, args: &[&str]) -> Option<String> {
        crate::artifacts::git::answer(cwd, args)
    }
}

/// `--watch` keeps one session of `repo` between its runs: taken whole when `changed` is
/// `None` (the first run, or changes the watcher could not name), else brought up to date
/// from the changed paths alone when they are all edits inside files of the listing. Returns
/// true when the target was listed again (its directories may have changed). Does nothing
/// when the cache is off or `repo` is not the top of a git work tree.
pub fn refresh_live(repo: &Path, changed: Option<&[PathBuf]>) -> bool {
    if !enabled() {
        return true;
    }
    let mut live = LIVE.lock().unwrap_or_else(|e| e.into_inner());
    if let (Some(changed), Some(s)) = (changed, &*live)
        && s.repo == repo
        && let Some(next) = s.edited(changed)
    {
        *live = Some(Arc::new(next));
        return false;
    }
    *live = None;
    let Some(state) = crate::fs::state::git_state_dir(repo) else {
        return true;
    };
    *live = Session::open(repo, &tool_id(Some(&state.join("tool.json"))));
    true
}

/// Variables that say where and how the tool was started (a terminal, a shell, a login
/// session, a CI job's context), not what a command computes: left out of [`command_env`],
/// with the names starting with [`VOLATILE_PREFIXES`]. Every other variable is in it.
const VOLATILE_ENV: &[&str] = &[
    "_",
    "OLDPWD",
    "PWD",
    "SHLVL",
    "COLUMNS",
    "LINES",
    "TERM",
    "COLORTERM",
    "WINDOWID",
    "DBUS_SESSION_BUS_ADDRESS",
    "GPG_AGENT_INFO",
    "HISTFILE",
    "LS_COLORS",
    "PS1",
    "PROMPT_COMMAND",
    "STY",
    "INVOCATION_ID",
    "JOURNAL_STREAM",
    "RAWR_GATES_CACHE_DEBUG",
    "COLORFGBG",
    "SECURITYSESSIONID",
    "TERMINAL_EMULATOR",
    "INSIDE_EMACS",
    "VTE_VERSION",
    "GPG_TTY",
    "STARSHIP_SESSION_KEY",
    "STARSHIP_SHELL",
    "WSL_INTEROP",
    "SESSION_MANAGER",
    "XAUTHORITY",
    "SYSTEMD_EXEC_PID",
    "MEMORY_PRESSURE_WATCH",
    "MEMORY_PRESSURE_WRITE",
    "LaunchInstanceID",
    "SHELL_SESSION_ID",
    "NVIM",
    "__INTELLIJ_COMMAND_HISTFILE__",
    "HOSTNAME",
];
const VOLATILE_PREFIXES: &[&str] = &[
    "SSH_",
    "TERM_",
    "TMUX",
    "VSCODE_",
    "ITERM_",
    "KITTY_",
    "WT_",
    "XDG_SESSION_",
    "LC_TERMINAL",
    "ZELLIJ",
    "KONSOLE_",
    "GNOME_TERMINAL_",
    "ALACRITTY_",
    "WEZTERM_",
    "GHOSTTY_",
    "XPC_",
    "__CF",
    // direnv's own bookkeeping (what it loaded, where): the variables it sets count.
    "DIRENV_",
    // A benchmark harness's per-run padding.
    "HYPERFINE_",
    // A CI job's context: its run, step files, runner, commit and ref. (A command that reads
    // them would be reused across commits and runs: the pipeline's gates do not.)
    "GITHUB_",
    "RUNNER_",
    "ACTIONS_",
];

/// The environment a gate's commands inherit (all of this process's variables but the
/// [`VOLATILE_ENV`] ones), each value hashed: a command may read any of them (`NODE_ENV`,
/// `CI`, a toolchain's settings), so a pass kept under one environment is not reused under
/// another. `RAWR_GATES_CACHE_DEBUG=1` names the variable that changed.
///
/// A variable whose name says it may hold a secret ([`secret_like`]) is hashed with `salt`,
/// this checkout's own ([`salt`]): the cache travels (CI saves it, a pull request's run may
/// restore it), and a plain hash of a short password can be guessed back. Where the salt
/// differs (another machine, a fresh CI job) such a variable counts as changed.
fn command_env(salt: &str) -> BTreeMap<String, String> {
    std::env::vars_os()
        .filter_map(|(k, v)| {
            let k = k.to_string_lossy().into_owned();
            let volatile = VOLATILE_ENV.contains(&k.as_str())
                || VOLATILE_PREFIXES.iter().any(|p| k.starts_with(p));
            if volatile {
                return None;
            }
            let hash = if secret_like(&k) {
                let mut h = hmac_sha256::Hash::new();
                h.update(salt.as_bytes());
                h.update([0u8]);
                h.update(v.as_encoded_bytes());
                format!("salted:{}", record::hex(&h.finalize()))
            } else {
                sha256_hex(v.as_encoded_bytes())
            };
            Some((k, hash))
        })
        .collect()
}

/// Whether a variable's name says it may hold a secret (a token, a password, a key, a
/// connection string).
fn secret_like(name: &str) -> bool {
    let n = name.to_ascii_uppercase();
    [
        "TOKEN",
        "SECRET",
        "PASSW",
        "PASSPHRASE",
        "CREDENTIAL",
        "AUTH",
        "COOKIE",
        "PRIVATE",
        "KEY",
        "_URL",
        "_URI",
        "DSN",
        "CONNECTION",
    ]
    .iter()
    .any(|w| n.contains(w))
}

/// This checkout's salt (`env-salt` in the state directory, beside the cache and never in
/// it: CI saves only the cache), made from the system's random source the first time.
fn salt(path: &Path) -> String {
    if let Ok(b) = crate::fs::careful::read_whole(path)
        && b.len() == 64
        && b.iter().all(u8::is_ascii_hexdigit)
    {
        return String::from_utf8_lossy(&b).into_owned();
    }
    let mut bytes = [0u8; 32];
    let random = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes));
    if random.is_err() {
        let seed = format!(
            "{:?} {} {:p}",
            SystemTime::now(),
            std::process::id(),
            &bytes
        );
        bytes = hmac_sha256::Hash::hash(seed.as_bytes());
    }
    let salt = record::hex(&bytes);
    let _ = crate::fs::write_atomic(path, salt.as_bytes());
    salt
}

/// A program as `PATH` finds it now: its resolved path and identity.
fn program_id(program: &str) -> String {
    let found = if program.contains('/') {
        Some(PathBuf::from(program))
    } else {
        std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|d| d.join(program))
                .find(|p| p.is_file())
        })
    };
    match found.and_then(|p| std::fs::canonicalize(p).ok()) {
        Some(p) => {
            let meta = std::fs::metadata(&p)
                .map(|m| stat_text(&m))
                .unwrap_or_default();
            format!("{} {meta}", p.display())
        }
        None => "not found".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn watch_keeps_the_listing_from_edits_and_lists_again_for_anything_else() {
        let t = tempfile::tempdir().unwrap();
        let repo = t.path();
        let ok = std::process::Command::new("git")
            .arg("-C")
            .arg(repo)
            .args(["init", "-q"])
            .status()
            .unwrap();
        assert!(ok.success());
        let a = repo.join("a.txt");
        std::fs::write(&a, "one").unwrap();
        set_enabled(true);
        assert!(refresh_live(repo, None));
        let live = || Session::for_target(repo).unwrap();
        let before = live();
        assert_eq!(
            before.tree.file_now("./a.txt"),
            FileState::Content(sha256_hex(b"one"))
        );
        // An edit inside a file of the listing: no new listing, the new content is seen.
        std::fs::write(&a, "two").unwrap();
        assert!(!refresh_live(repo, Some(std::slice::from_ref(&a))));
        let after = live();
        assert_eq!(after.tree.listing, before.tree.listing);
        assert_eq!(
            after.tree.file_now("./a.txt"),
            FileState::Content(sha256_hex(b"two"))
        );
        // An editor's temporary file, gone again: nothing to list.
        assert!(!refresh_live(repo, Some(&[repo.join(".a.txt.swp")])));
        // A created file, a deleted one, an ignore file, a directory, the git directory:
        // listed again.
        let b = repo.join("b.txt");
        std::fs::write(&b, "b").unwrap();
        assert!(refresh_live(repo, Some(std::slice::from_ref(&b))));
        assert_ne!(live().tree.listing, before.tree.listing);
        std::fs::remove_file(&b).unwrap();
        assert!(refresh_live(repo, Some(&[b])));
        assert_eq!(live().tree.listing, before.tree.listing);
        std::fs::write(repo.join(".gitignore"), "x\n").unwrap();
        assert!(refresh_live(repo, Some(&[repo.join(".gitignore")])));
        std::fs::create_dir(repo.join("d")).unwrap();
        assert!(refresh_live(repo, Some(&[repo.join("d")])));
        assert!(refresh_live(repo, Some(&[repo.join(".git/index")])));
        // Changes the watcher could not name: listed again.
        assert!(refresh_live(repo, None));
    }
}

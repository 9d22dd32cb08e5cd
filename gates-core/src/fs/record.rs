//! What a gate read, recorded while it runs, so its verdict can be reused while all of it is
//! unchanged (the verdict cache, `gates::run::cache`).
//!
//! The executor opens a [`Recorder`] around each gate ([`scope`]); the readers of this layer
//! and the few other places a check learns something about the target report to it:
//! [`file_read`] (the careful reader: the bytes' SHA-256, or that the file was absent or
//! unreadable), [`resolved`] (where a path led through symlinks), [`dir_listed`] (a directory
//! listing, by its sorted names), [`git_output`] (a git query and its answer), [`spawned`] (a
//! process was started: what it reads is unknown, so the gate's inputs widen to the whole
//! target), and [`run_fact`] (a verdict of an earlier gate of the run).
//!
//! The recorder lives in a thread-local: a check that hands work to threads of its own carries
//! it over with [`current`] and [`scope`]. Should a read happen on a thread without one while
//! a gate is being recorded, nobody can say whose input it was, so every recording open at
//! that moment is spoiled ([`Inputs::complete`] is false) and its verdict is not kept.
//! When no gate is being recorded, each hook costs one thread-local read.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

/// What is known of one file a gate read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FileState {
    /// Read whole: the SHA-256 of its bytes, in hex.
    Content(String),
    /// Not there.
    Absent,
    /// There but refused or unreadable (a directory, a FIFO, too large...): the error's kind.
    Unreadable(String),
}

/// Everything one gate read. Paths are keys as [`Recorder::key`] makes them: `./rel` below
/// the target, else absolute.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inputs {
    #[serde(default)]
    pub files: BTreeMap<String, FileState>,
    /// A directory's sorted names, hashed (`absent` when it could not be listed).
    #[serde(default)]
    pub dirs: BTreeMap<String, String>,
    /// Where a path led (`canonicalize`), or `None` when it did not resolve.
    #[serde(default)]
    pub resolved: BTreeMap<String, Option<String>>,
    /// A git query (`cwd` NUL `args` joined by NUL) and the hash of its status and stdout.
    #[serde(default)]
    pub git: BTreeMap<String, String>,
    /// Verdicts of earlier gates of the run the check asked for, by gate id.
    #[serde(default)]
    pub run: BTreeMap<String, String>,
    /// What a probe of a path found ([`crate::fs::probe`]), by `F` (links followed) or `L`
    /// (not) and the path's key: the kind of thing there, or `absent`.
    #[serde(default)]
    pub probes: BTreeMap<String, String>,
    /// Environment variables read, with the hash of their value (`unset` when unset).
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// Programs started (argv[0] as given).
    #[serde(default)]
    pub spawned: BTreeSet<String>,
    /// False when a read may have escaped the recording (see the module doc).
    #[serde(default)]
    pub complete: bool,
}

/// Where a recording's inputs are compared with how things are now ([`Inputs::first_change`]):
/// the target at `root()` (keys are resolved against it), a quicker way to know a file's
/// state where one is known, and the verdicts of the run's earlier gates.
pub trait World {
    /// The target the keys stand for paths of.
    fn root(&self) -> &Path;
    /// Whether a read of the file `key` would find what it found before, `was` (by default,
    /// it is read again).
    fn file_same(&self, key: &str, was: &FileState) -> bool {
        file_state(crate::fs::careful::read_whole(&path_of(self.root(), key)).as_deref()) == *was
    }
    /// The verdict of the run's gate `gate` as the check would be told it; `None` when there
    /// is no run to ask.
    fn run_fact(&self, gate: &str) -> Option<String>;
    /// The hash of the answer to the git query `args` in `cwd` now ([`git_answer`]).
    fn git_answer(&self, cwd: &Path, args: &[&str]) -> Option<String>;
}

impl Inputs {
    /// The first input that is not as it was recorded in `world`, in words; `None` when
    /// every one is the same. Cheap comparisons first, the git queries last.
    pub fn first_change(&self, world: &dyn World) -> Option<String> {
        let root = world.root();
        if let Some((g, _)) = self
            .run
            .iter()
            .find(|(g, v)| world.run_fact(g).as_ref() != Some(*v))
        {
            return Some(format!("the verdict of gate `{g}` changed"));
        }
        if let Some((v, _)) = self.env.iter().find(|(v, h)| env_value(v) != **h) {
            return Some(format!("the environment variable {v} changed"));
        }
        if let Some((k, _)) = self.files.iter().find(|(k, st)| !world.file_same(k, st)) {
            return Some(format!("{k} changed"));
        }
        if let Some((k, _)) = self
            .dirs
            .iter()
            .find(|(k, h)| listing_hash(&path_of(root, k)) != **h)
        {
            return Some(format!("the listing of {k} changed"));
        }
        for (k, was) in &self.probes {
            let mut chars = k.chars();
            let look = chars.next().and_then(crate::fs::probe::Look::of_tag);
            let Some(look) = look else {
                return Some(format!("an unknown probe {k}"));
            };
            let key = chars.as_str();
            let now = crate::fs::probe::state(&path_of(root, key), look);
            if now != *was {
                return Some(format!("{key} is now {now}"));
            }
        }
        if let Some((k, _)) = self.resolved.iter().find(|(k, real)| {
            #[allow(clippy::disallowed_methods)]
            let now = std::fs::canonicalize(path_of(root, k));
            now.ok().map(|p| key_of(root, &p)) != **real
        }) {
            return Some(format!("{k} now leads elsewhere"));
        }
        self.git
            .iter()
            .find(|(k, answer)| {
                let mut parts = k.split('\0');
                let cwd = path_of(root, parts.next().unwrap_or(""));
                let args: Vec<&str> = parts.collect();
                world.git_answer(&cwd, &args).as_deref() != Some(answer.as_str())
            })
            .map(|(k, _)| {
                format!(
                    "the answer to `git {}` changed",
                    k.split('\0').skip(1).collect::<Vec<_>>().join(" ")
                )
            })
    }
}

/// Records one gate's reads.
#[derive(Debug)]
pub struct Recorder {
    root: PathBuf,
    inputs: Mutex<Inputs>,
    epoch: u64,
    /// A sink ([`Recorder::sink`]): takes a thread's reads and keeps none.
    discard: bool,
}

thread_local! {
    static CURRENT: RefCell<Option<Arc<Recorder>>> = const { RefCell::new(None) };
}

/// Recorders open anywhere in the process.
static OPEN: AtomicUsize = AtomicUsize::new(0);
/// Bumped by every read on a thread without a recorder while some recorder is open.
static STRAYS: AtomicU64 = AtomicU64::new(0);

impl Recorder {
    /// A recorder for a gate judging the target at `root`.
    pub fn new(root: &Path) -> Arc<Recorder> {
        OPEN.fetch_add(1, Ordering::SeqCst);
        Arc::new(Recorder {
            root: root.to_path_buf(),
            inputs: Mutex::new(Inputs::default()),
            epoch: STRAYS.load(Ordering::SeqCst),
            discard: false,
        })
    }

    /// A recorder that keeps nothing, for a thread whose reads are nobody's input (a
    /// worker between gates, or judging a gate whose verdict will not be kept): its reads
    /// cost nothing and are not strays that would spoil the recordings open elsewhere.
    pub fn sink() -> Arc<Recorder> {
        Arc::new(Recorder {
            root: PathBuf::new(),
            inputs: Mutex::new(Inputs::default()),
            epoch: 0,
            discard: true,
        })
    }

    /// The key of `path`: `./rel` below the target, else the path itself.
    pub fn key(&self, path: &Path) -> String {
        key_of(&self.root, path)
    }

    /// What was recorded; `complete` says whether nothing escaped.
    pub fn finish(&self) -> Inputs {
        let mut inputs = self
            .inputs
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        inputs.complete = STRAYS.load(Ordering::SeqCst) == self.epoch;
        inputs
    }

    fn with(&self, f: impl FnOnce(&mut Inputs)) {
        f(&mut self.inputs.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        if !self.discard {
            OPEN.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

/// The key of `path` for a target at `root`: `./rel` below it, else the path as given.
pub fn key_of(root: &Path, path: &Path) -> String {
    match path.strip_prefix(root) {
        Ok(rel) => format!("./{}", crate::fs::source::rel_path(Path::new(""), rel)),
        Err(_) => path.to_string_lossy().into_owned(),
    }
}

/// The path a key stands for, for a target at `root`.
pub fn path_of(root: &Path, key: &str) -> PathBuf {
    match key.strip_prefix("./") {
        Some("") => root.to_path_buf(),
        Some(rel) => root.join(rel),
        None => PathBuf::from(key),
    }
}

/// Runs `f` with `rec` recording this thread's reads (none: nothing recorded), then puts back
/// whatever was recording before.
pub fn scope<R>(rec: Option<Arc<Recorder>>, f: impl FnOnce() -> R) -> R {
    let before = CURRENT.with(|c| std::mem::replace(&mut *c.borrow_mut(), rec));
    struct Restore(Option<Option<Arc<Recorder>>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            let before = self.0.take().flatten();
            let _ = CURRENT.try_with(|c| *c.borrow_mut() = before);
        }
    }
    let _restore = Restore(Some(before));
    f()
}

/// The recorder of this thread, to carry into threads a check starts.
pub fn current() -> Option<Arc<Recorder>> {
    CURRENT.with(|c| c.borrow().clone())
}

fn record(f: impl FnOnce(&Recorder)) {
    let rec = CURRENT.with(|c| c.borrow().clone());
    match rec {
        Some(rec) if rec.discard => {}
        Some(rec) => f(&rec),
        None => {
            if OPEN.load(Ordering::SeqCst) > 0 {
                STRAYS.fetch_add(1, Ordering::SeqCst);
                if std::env::var_os("RAWR_GATES_CACHE_DEBUG").is_some() {
                    eprintln!(
                        "cache: a read on thread {:?} outside any gate's recording; the gates running now are not kept",
                        std::thread::current().name()
                    );
                }
            }
        }
    }
}

/// SHA-256 of `bytes`, in hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&hmac_sha256::Hash::hash(bytes))
}

/// Lower-case hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The state of a file as a read of it ended.
pub fn file_state(result: Result<&[u8], &io::Error>) -> FileState {
    match result {
        Ok(bytes) => FileState::Content(sha256_hex(bytes)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => FileState::Absent,
        Err(e) => FileState::Unreadable(format!("{:?}", e.kind())),
    }
}

/// The careful reader read `path` (whole, or failed to).
pub fn file_read(path: &Path, result: Result<&[u8], &io::Error>) {
    record(|r| {
        let state = file_state(result);
        r.with(|i| {
            i.files.insert(r.key(path), state);
        })
    });
}

/// What a reader learned of `path` without reading it whole (e.g. its type or size).
pub fn file_seen(path: &Path, state: FileState) {
    record(|r| {
        r.with(|i| {
            i.files.insert(r.key(path), state);
        })
    });
}

/// `path` resolved (through symlinks) to `real`, or did not resolve.
pub fn resolved(path: &Path, real: Option<&Path>) {
    record(|r| {
        let real = real.map(|p| r.key(p));
        r.with(|i| {
            i.resolved.insert(r.key(path), real);
        })
    });
}

/// The hash of a listing: each entry's name and kind (`d`, `f`, `l`, `o`), sorted.
pub fn listing_of(entries: impl Iterator<Item = (Vec<u8>, char)>) -> String {
    let mut names: Vec<(Vec<u8>, char)> = entries.collect();
    names.sort();
    let mut h = hmac_sha256::Hash::new();
    for (n, k) in &names {
        h.update(n);
        h.update([0u8, *k as u8, 0u8]);
    }
    hex(&h.finalize())
}

/// The hash of a directory's names and kinds as [`dir_listed`] records it (`absent` when it
/// is not there, else the error's kind when it cannot be listed).
pub fn listing_hash(dir: &Path) -> String {
    #[allow(clippy::disallowed_methods)]
    let rd = std::fs::read_dir(dir);
    match rd.and_then(|rd| rd.collect::<io::Result<Vec<_>>>()) {
        Ok(es) => listing_of(es.iter().map(crate::fs::probe::entry_name_kind)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => "absent".into(),
        Err(e) => format!("error {:?}", e.kind()),
    }
}

/// Whether a gate is being recorded on this thread (else a hook that must work to say what
/// it saw can skip the work).
fn recording() -> bool {
    CURRENT.with(|c| c.borrow().as_ref().is_some_and(|r| !r.discard))
}

/// A check listed the directory `dir` by other means than [`crate::fs::probe::read_dir`]
/// (a walk): its names are listed again here and hashed.
pub fn dir_listed(dir: &Path) {
    if !recording() {
        record(|_| {});
        return;
    }
    let hash = listing_hash(dir);
    listed(dir, hash);
}

/// The directory `dir` listed as `hash` ([`listing_of`]).
pub fn listed(dir: &Path, hash: String) {
    record(|r| {
        r.with(|i| {
            i.dirs.insert(r.key(dir), hash);
        })
    });
}

/// A probe of `path` ([`crate::fs::probe`]) found `state`.
pub fn probed(path: &Path, look: crate::fs::probe::Look, state: String) {
    record(|r| probe_into(r, path, look, state));
}

/// What the layer's own link checks saw of `path` ([`crate::fs::inside::link_out`]), for the
/// gate recorded on this thread, if any. Those checks also guard the tool's own writes (the
/// cache, the run record) between gates: on a thread no gate is recorded on, they are no
/// gate's input, and not a stray read that would spoil the recordings open elsewhere.
pub fn probed_if_recording(path: &Path, look: crate::fs::probe::Look, state: String) {
    let rec = CURRENT.with(|c| c.borrow().clone());
    if let Some(r) = rec
        && !r.discard
    {
        probe_into(&r, path, look, state);
    }
}

fn probe_into(r: &Recorder, path: &Path, look: crate::fs::probe::Look, state: String) {
    let key = format!("{}{}", look.tag(), r.key(path));
    r.with(|i| {
        i.probes.insert(key, state);
    })
}

/// The key of a git query in [`Inputs::git`].
pub fn git_key(cwd: &str, args: &[&str]) -> String {
    let mut k = cwd.to_string();
    for a in args {
        k.push('\0');
        k.push_str(a);
    }
    k
}

/// The hash of a git query's answer: its status, its output and what it said on stderr (a
/// check may read that too, as the refusal of a repository another user owns).
pub fn git_answer(out: &std::process::Output) -> String {
    let mut h = hmac_sha256::Hash::new();
    h.update(format!("{:?}\0", out.status.code()).as_bytes());
    h.update(&out.stdout);
    h.update([0u8]);
    h.update(&out.stderr);
    hex(&h.finalize())
}

/// A git query `args` ran in `cwd` and answered `out`.
pub fn git_output(cwd: &Path, args: &[&str], out: &std::process::Output) {
    record(|r| {
        let key = git_key(&r.key(cwd), args);
        let answer = git_answer(out);
        r.with(|i| {
            i.git.insert(key, answer);
        })
    });
}

/// The hash [`env_var`] records for the variable `name` as it is now.
pub fn env_value(name: &str) -> String {
    match std::env::var_os(name) {
        Some(v) => sha256_hex(v.as_encoded_bytes()),
        None => "unset".into(),
    }
}

/// Reads the environment variable `name` for a check, recording what it found.
pub fn env_var(name: &str) -> Option<String> {
    record(|r| {
        let v = env_value(name);
        r.with(|i| {
            i.env.insert(name.to_string(), v);
        })
    });
    std::env::var(name).ok()
}

/// A process `program` was started.
pub fn spawned(program: &str) {
    record(|r| {
        r.with(|i| {
            i.spawned.insert(program.to_string());
        })
    });
}

/// The check used the verdict `value` of the run's gate `gate`.
pub fn run_fact(gate: &str, value: &str) {
    record(|r| {
        r.with(|i| {
            i.run.insert(gate.to_string(), value.to_string());
        })
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_in_scope_are_recorded_and_strays_spoil_open_recordings() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::write(root.join("a.txt"), "a").unwrap();
        let rec = Recorder::new(root);
        scope(Some(rec.clone()), || {
            let _ = crate::fs::careful::read(root.join("a.txt"));
            let _ = crate::fs::careful::read(root.join("gone.txt"));
            dir_listed(root);
            // Carried into a thread of the check: recorded.
            let carried = current();
            std::thread::scope(|s| {
                s.spawn(|| scope(carried, || run_fact("g", "passed")));
            });
        });
        let got = rec.finish();
        assert!(got.complete);
        assert_eq!(got.files["./a.txt"], FileState::Content(sha256_hex(b"a")));
        assert_eq!(got.files["./gone.txt"], FileState::Absent);
        assert_eq!(got.dirs["./"], listing_hash(root));
        assert_eq!(got.run["g"], "passed");
        // A read on a thread that was not given the recorder spoils it.
        scope(Some(rec.clone()), || {
            std::thread::scope(|s| {
                s.spawn(|| crate::fs::careful::read(root.join("a.txt")));
            });
        });
        assert!(!rec.finish().complete);

        // A sink keeps nothing, and reads under it are no strays.
        let rec = Recorder::new(root);
        let sink = Recorder::sink();
        std::thread::scope(|s| {
            s.spawn(|| {
                scope(Some(sink.clone()), || {
                    let _ = crate::fs::careful::read(root.join("a.txt"));
                    dir_listed(root);
                })
            });
        });
        assert_eq!(sink.finish().files.len(), 0);
        assert!(rec.finish().complete);
    }

    #[test]
    fn the_tools_own_writes_between_gates_spoil_no_recording() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state");
        std::fs::create_dir_all(&state).unwrap();
        crate::fs::inside::confine(&state, crate::fs::inside::STATE);
        // A gate is being recorded on another thread...
        let rec = Recorder::new(dir.path());
        // ...while this thread, recording nothing, writes a file of the tool's state (the
        // cache keeps a verdict): the link checks of the write are nobody's input.
        crate::fs::write_atomic(&state.join("cache/g.json"), b"{}").unwrap();
        assert!(rec.finish().complete);
        // The same link checks on a recorded thread are its gate's input.
        scope(Some(rec.clone()), || {
            crate::fs::inside::check_path(&state.join("cache/g.json")).unwrap();
        });
        let got = rec.finish();
        assert!(got.complete && !got.probes.is_empty(), "{got:?}");
    }

    #[cfg(unix)]
    #[test]
    fn a_git_answer_differs_when_only_its_stderr_does() {
        use std::os::unix::process::ExitStatusExt;
        let out = |stderr: &[u8]| std::process::Output {
            status: std::process::ExitStatus::from_raw(128 << 8),
            stdout: Vec::new(),
            stderr: stderr.to_vec(),
        };
        // Git refusing a repository another user owns says so on stderr only.
        assert_ne!(
            git_answer(&out(b"fatal: not a git repository")),
            git_answer(&out(b"fatal: detected dubious ownership in repository"))
        );
    }
}

//! `history` reuses a gate's verdict from one commit at the next when everything the gate read
//! is the same there (the verdict cache's rule, [`crate::run::cache`], applied across commits).
//!
//! Each worker keeps, per gate, the verdict it last judged (or reused) and what the gate read
//! then ([`crate::fs::record::Inputs`]), anchored at that commit. At the next commit of the
//! worker, the verdict is reused when:
//!
//! - the two commits' trees differ only in files whose content changed, files created and
//!   files deleted (`git diff-tree -r --raw`): none renamed as such, retyped, re-moded, a
//!   symlink or a submodule; no `.gitignore`, `.ignore` or `.gitattributes` among them (which
//!   files a walk sees, what a checkout writes); and when a path was created or deleted,
//!   neither tree holds a symlink (where a link leads could change what a path means);
//! - no file the gate read is among the changed, created or deleted ones (when the tree
//!   holds a symlink, each file it read is hashed again in the checkout instead: a link's
//!   target may have changed under its unchanged name); files outside the target, or in its
//!   git directory, are hashed again too;
//! - each directory it listed lists the same names and kinds, each path it probed is the
//!   same kind of thing ([`crate::fs::probe`]: a check learns whether a path exists only
//!   through it, so a file created where no check looked changes no verdict), each path it
//!   resolved leads to the same place, each git query it made gives the same answer in the
//!   checkout (a check that reads the commit id, a date or the log of `HEAD` asked git, so
//!   its verdict is not reused at another commit unless the answer is the same), each
//!   environment variable and each earlier gate's verdict it asked for is as it was
//!   ([`crate::fs::record::Inputs::first_change`]).
//!
//! Only a pass or a failure of a gate that started no process is kept, and only when its
//! recording is complete. Checks that read the clock or a file's times (the harness matrix's
//! report age) are never reused: their findings could differ from a fresh judgement.
//! A worker's checkout keeps its path from commit to commit, so a finding that names a path
//! of the checkout is the same either way. When in doubt, the gate is judged.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::time::Instant;

use crate::checks::RunSoFar;
use crate::fs::record::{self, Inputs};
use crate::pipeline::Gate;
use crate::record::{GateResult, Status};

use super::checkout::{Source, git_ok};

/// Checks whose findings depend on the clock or on a file's times.
const NEVER_REUSED: &[&str] = &["harness-matrix"];

/// What changed between two commits, as far as reuse is concerned.
struct Diff {
    /// The repository paths whose content changed, that were created or that were deleted;
    /// `None` when reuse is impossible (a path retyped or re-moded, a symlink or submodule
    /// changed, an ignore or attributes file changed, a path created or deleted while a
    /// tree holds a symlink, or git could not say).
    modified: Option<BTreeSet<String>>,
    /// Some path was created or deleted.
    created: bool,
    /// The new tree holds a symlink: files are hashed again instead of looked up by name.
    symlinks: bool,
}

struct Kept {
    sha: String,
    inputs: Inputs,
    result: GateResult,
}

/// One worker's kept verdicts.
pub struct Reuse {
    kept: HashMap<String, Kept>,
    diffs: HashMap<(String, String), std::sync::Arc<Diff>>,
    symlinks: HashMap<String, bool>,
}

impl Default for Reuse {
    fn default() -> Self {
        Self::new()
    }
}

impl Reuse {
    pub fn new() -> Reuse {
        Reuse {
            kept: HashMap::new(),
            diffs: HashMap::new(),
            symlinks: HashMap::new(),
        }
    }

    /// Whether `gate`'s verdict can ever be kept.
    pub fn may_keep(gate: &Gate) -> bool {
        gate.kind.command().is_none()
            && gate.setup.is_none()
            && !gate
                .kind
                .check_name()
                .is_some_and(|c| NEVER_REUSED.contains(&c))
    }

    /// The gate's verdict at `sha` (checked out at `target`), when the kept one still holds
    /// there; marked `cached` and re-anchored at `sha`.
    pub fn lookup(
        &mut self,
        src: &Source,
        gate: &Gate,
        sha: &str,
        target: &Path,
        run: &RunSoFar,
    ) -> Option<GateResult> {
        let start = Instant::now();
        let from = self.kept.get(&gate.id)?.sha.clone();
        let diff = self.diff(src, &from, sha)?;
        let kept = self.kept.get_mut(&gate.id)?;
        if let Some(why) = changed(src, &kept.inputs, &diff, target, run) {
            if std::env::var_os("RAWR_GATES_CACHE_DEBUG").is_some() {
                eprintln!(
                    "history: {} judged again at {}: {why}",
                    gate.id,
                    super::checkout::short(sha)
                );
            }
            self.kept.remove(&gate.id);
            return None;
        }
        kept.sha = sha.to_string();
        let mut r = kept.result.clone();
        r.cached = true;
        r.duration_ms = start.elapsed().as_millis() as u64;
        Some(r)
    }

    /// Whether a verdict at `from` can be reused at `to` at all (the two commits have the
    /// same paths): when not, recording what a gate reads at `from` is wasted work.
    pub fn may_reuse_between(&mut self, src: &Source, from: &str, to: &str) -> bool {
        self.diff(src, from, to)
            .is_some_and(|d| d.modified.is_some())
    }

    /// Drops the kept verdict of `gate` (judged again without recording).
    pub fn forget(&mut self, gate: &Gate) {
        self.kept.remove(&gate.id);
    }

    /// Keeps `result`, judged at `sha` with `inputs` recorded, when it can be trusted later.
    pub fn keep(&mut self, gate: &Gate, sha: &str, inputs: Inputs, result: &GateResult) {
        let keep = Self::may_keep(gate)
            && inputs.complete
            && inputs.spawned.is_empty()
            && matches!(result.status, Status::Passed | Status::Failed);
        if !keep {
            self.kept.remove(&gate.id);
            return;
        }
        let mut result = result.clone();
        result.cached = false;
        self.kept.insert(
            gate.id.clone(),
            Kept {
                sha: sha.to_string(),
                inputs,
                result,
            },
        );
    }

    /// Compares each pair of commits (from, to) at once, in one `git diff-tree --stdin`
    /// (a worker's neighbouring commits, which [`Reuse::may_reuse_between`] asks about one
    /// by one). Pairs git does not answer for are compared one by one when asked.
    pub fn prepare(&mut self, src: &Source, pairs: &[(&str, &str)]) {
        if pairs.is_empty() {
            return;
        }
        let mut input = String::new();
        for (a, b) in pairs {
            input.push_str(&format!("{a} {b}\n"));
        }
        let out = (|| {
            use std::io::Write;
            let mut child = super::checkout::git(&src.dir)
                .args([
                    "diff-tree",
                    "--stdin",
                    "--always",
                    "-r",
                    "-z",
                    "--no-renames",
                    "--raw",
                ])
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::null())
                .spawn()
                .ok()?;
            let mut stdin = child.stdin.take()?;
            // Git writes as it reads: feed it from a thread so neither side blocks.
            let feed = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
            let out = child.wait_with_output().ok()?;
            feed.join().ok()?.ok()?;
            out.status
                .success()
                .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
        })();
        let Some(out) = out else { return };
        // Each pair's answer opens with a line naming its first commit, then its raw entries.
        let mut answers: Vec<String> = Vec::new();
        let mut tokens = out.split('\0');
        while let Some(t) = tokens.next() {
            let t = t.trim_start_matches('\n');
            if t.is_empty() {
                continue;
            }
            if t.starts_with(':') {
                let Some(path) = tokens.next() else { return };
                let Some(last) = answers.last_mut() else {
                    return;
                };
                last.push_str(t);
                last.push('\0');
                last.push_str(path);
                last.push('\0');
            } else {
                answers.push(String::new());
            }
        }
        if answers.len() != pairs.len() {
            return;
        }
        for ((a, b), raw) in pairs.iter().zip(answers) {
            let d = parse_raw(&raw);
            self.store_diff(src, a, b, d);
        }
    }

    fn store_diff(
        &mut self,
        src: &Source,
        from: &str,
        to: &str,
        mut d: Diff,
    ) -> std::sync::Arc<Diff> {
        if d.modified.is_some() {
            match self.has_symlinks(src, to) {
                Some(l) => d.symlinks = l,
                None => d.modified = None,
            }
            // A created or deleted path where links are: what a probed path means may have
            // changed without its name showing it.
            if d.created && (d.symlinks || self.has_symlinks(src, from) != Some(false)) {
                d.modified = None;
            }
        }
        let d = std::sync::Arc::new(d);
        self.diffs
            .insert((from.to_string(), to.to_string()), d.clone());
        d
    }

    fn has_symlinks(&mut self, src: &Source, commit: &str) -> Option<bool> {
        if let Some(l) = self.symlinks.get(commit) {
            return Some(*l);
        }
        let l = has_symlinks(src, commit)?;
        self.symlinks.insert(commit.to_string(), l);
        Some(l)
    }

    fn diff(&mut self, src: &Source, from: &str, to: &str) -> Option<std::sync::Arc<Diff>> {
        let key = (from.to_string(), to.to_string());
        if let Some(d) = self.diffs.get(&key) {
            return Some(d.clone());
        }
        let d = tree_diff(src, from, to);
        Some(self.store_diff(src, from, to, d))
    }
}

/// The paths whose content differs between two commits, or that one of them lacks, from
/// `git diff-tree -r -z --raw`'s output; `modified` is `None` when any path changed kind or
/// mode, is not a regular file, or is an ignore or attributes file.
fn parse_raw(out: &str) -> Diff {
    let none = Diff {
        modified: None,
        created: false,
        symlinks: false,
    };
    let mut modified = BTreeSet::new();
    let mut created = false;
    let mut parts = out.split('\0');
    let regular = |m: &str| matches!(m, "100644" | "100755");
    while let Some(meta) = parts.next() {
        if meta.is_empty() {
            continue;
        }
        let Some(path) = parts.next() else {
            return none;
        };
        // ":<old mode> <new mode> <old blob> <new blob> <status>"
        let fields: Vec<&str> = meta.trim_start_matches(':').split(' ').collect();
        let [old_mode, new_mode, _, _, status] = fields[..] else {
            return none;
        };
        let name = path.rsplit('/').next().unwrap_or(path);
        if matches!(name, ".gitignore" | ".ignore" | ".gitattributes") {
            return none;
        }
        let ok = match status {
            "M" => old_mode == new_mode && regular(new_mode),
            "A" => regular(new_mode),
            "D" => regular(old_mode),
            _ => false,
        };
        if !ok {
            return none;
        }
        created |= status != "M";
        modified.insert(path.to_string());
    }
    Diff {
        modified: Some(modified),
        created,
        symlinks: false,
    }
}

/// The paths whose content differs between the commits `from` and `to`; `modified` is `None`
/// when any path was created, deleted or changed kind, or git could not say.
fn tree_diff(src: &Source, from: &str, to: &str) -> Diff {
    let none = Diff {
        modified: None,
        created: false,
        symlinks: false,
    };
    let Ok(out) = git_ok(
        &src.dir,
        &["diff-tree", "-r", "-z", "--no-renames", "--raw", from, to],
    ) else {
        return none;
    };
    parse_raw(&out)
}

/// Whether the tree of `commit` holds a symlink (or a submodule); `None` when git cannot say.
fn has_symlinks(src: &Source, commit: &str) -> Option<bool> {
    let out = git_ok(&src.dir, &["ls-tree", "-r", "-z", "--full-tree", commit]).ok()?;
    Some(
        out.split('\0')
            .any(|e| e.starts_with("120000 ") || e.starts_with("160000 ")),
    )
}

/// A worker's checkout at the next commit, for comparing a kept gate's inputs.
struct Then<'a> {
    src: &'a Source,
    modified: &'a BTreeSet<String>,
    symlinks: bool,
    target: &'a Path,
    run: &'a RunSoFar,
}

impl record::World for Then<'_> {
    fn root(&self) -> &Path {
        self.target
    }
    fn file_same(&self, key: &str, was: &record::FileState) -> bool {
        // A file of the tree, with no link in it: the same unless git says it, or a folder
        // on its way (a file created where a folder was, or the other way), changed.
        if let Some(rel) = key.strip_prefix("./")
            && !(rel.is_empty() || rel == ".git" || rel.starts_with(".git/") || self.symlinks)
        {
            let path = format!("{}{rel}", self.src.prefix);
            let mut on_the_way = Some(path.as_str());
            while let Some(p) = on_the_way {
                if self.modified.contains(p) {
                    return false;
                }
                on_the_way = p.rsplit_once('/').map(|(dir, _)| dir);
            }
            return true;
        }
        let path = record::path_of(self.target, key);
        record::file_state(crate::fs::careful::read_whole(&path).as_deref()) == *was
    }
    fn run_fact(&self, gate: &str) -> Option<String> {
        Some(self.run.fact(gate))
    }
    fn git_answer(&self, cwd: &Path, args: &[&str]) -> Option<String> {
        crate::artifacts::git::answer(cwd, args)
    }
}

/// The first input of `i` that is not the same in the checkout at `target`, in words.
fn changed(src: &Source, i: &Inputs, diff: &Diff, target: &Path, run: &RunSoFar) -> Option<String> {
    let Some(modified) = &diff.modified else {
        return Some("a path changed kind, or was created or deleted where links are".into());
    };
    i.first_change(&Then {
        src,
        modified,
        symlinks: diff.symlinks,
        target,
        run,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::checkout::Checkout;
    use crate::pipeline::Pipeline;
    use std::collections::BTreeMap;

    const PIPELINE: &str = r#"
[target]
repo = "."
pass_root = "."
[[stage]]
number = 0
title = "s"
[[slice]]
id = "s"
stage = 0
title = "t"
owner = "o"
depends_on = []
gates = ["g"]
[gate.g]
title = "t"
check = "metadata-contract"
"#;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = std::process::Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(["-c", "user.name=a", "-c", "user.email=a@example.test"])
            .args(["-c", "commit.gpgsign=false"])
            .args(args)
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A verdict whose check asked git `args` (answered as at commit `at`) and read `a.md`.
    fn kept_with_git(r: &mut Reuse, gate: &Gate, at: &str, target: &Path, args: &[&str]) {
        let mut inputs = Inputs {
            complete: true,
            ..Inputs::default()
        };
        let answer = crate::artifacts::git::answer(target, args).unwrap();
        inputs.git = BTreeMap::from([(record::git_key("./", args), answer)]);
        inputs.files = BTreeMap::from([(
            "./a.md".to_string(),
            record::file_state(std::fs::read(target.join("a.md")).as_deref()),
        )]);
        let result = GateResult {
            id: gate.id.clone(),
            check: gate.kind.check_name().map(str::to_string),
            command: None,
            slices: Vec::new(),
            stage: 0,
            status: Status::Passed,
            reason: None,
            duration_ms: 0,
            findings: Vec::new(),
            notes: Vec::new(),
            output: String::new(),
            cached: false,
        };
        r.keep(gate, at, inputs, &result);
    }

    /// A repository in `t` (`repo/`), empty.
    fn repo(t: &tempfile::TempDir) -> std::path::PathBuf {
        let repo = t.path().join("repo");
        std::fs::create_dir_all(&repo).unwrap();
        git(&repo, &["init", "-q"]);
        repo
    }

    /// Writes `files` (path, text) in `repo`, commits everything and returns the commit.
    fn commit(repo: &Path, files: &[(&str, &str)]) -> String {
        for (path, text) in files {
            std::fs::write(repo.join(path), text).unwrap();
        }
        git(repo, &["add", "-A"]);
        git(repo, &["commit", "-qm", "c"]);
        git(repo, &["rev-parse", "HEAD"])
    }

    /// What a reuse test judges with: the one-gate pipeline, the source, a checkout in `t`
    /// and an empty run.
    fn world(t: &tempfile::TempDir, repo: &Path) -> (Pipeline, Source, Checkout, RunSoFar) {
        let p = crate::load::load_str(PIPELINE, Path::new("p.toml"), Path::new(".")).unwrap();
        let src = Source::of(repo).unwrap();
        let co = Checkout::new(t.path().join("co"));
        let run = RunSoFar {
            earlier: Vec::new(),
            selected: BTreeSet::new(),
        };
        (p, src, co, run)
    }

    #[test]
    fn a_git_answer_that_names_the_commit_is_not_reused_at_another() {
        let t = tempfile::tempdir().unwrap();
        let repo = repo(&t);
        let one = commit(&repo, &[("a.md", "a\n"), ("b.md", "b\n")]);
        let two = commit(&repo, &[("b.md", "b, edited\n")]);
        let three = commit(&repo, &[("a.md", "a, edited\n")]);
        let (p, src, mut co, run) = world(&t, &repo);
        let gate = &p.gates["g"];
        let same = ["rev-parse", "--is-inside-work-tree"];
        let head = ["log", "-1", "--format=%H %s"];

        // Asked something every commit answers the same: reused at the next commit...
        let target = co.switch(&src, &one).unwrap();
        let mut r = Reuse::new();
        kept_with_git(&mut r, gate, &one, &target, &same);
        let target = co.switch(&src, &two).unwrap();
        let got = r.lookup(&src, gate, &two, &target, &run).expect("reused");
        assert!(got.cached);
        // ...but not where a file it read changed.
        let target = co.switch(&src, &three).unwrap();
        assert!(r.lookup(&src, gate, &three, &target, &run).is_none());

        // Comparing many pairs at once gives what comparing each does.
        let mut batch = Reuse::new();
        let four = commit(&repo, &[("c.md", "c\n")]);
        let pairs = [
            (one.as_str(), two.as_str()),
            (two.as_str(), two.as_str()),
            (one.as_str(), three.as_str()),
            (three.as_str(), four.as_str()),
        ];
        batch.prepare(&src, &pairs);
        assert_eq!(batch.diffs.len(), pairs.len());
        for (a, b) in pairs {
            let got = &batch.diffs[&(a.to_string(), b.to_string())];
            assert_eq!(got.modified, tree_diff(&src, a, b).modified, "{a}..{b}");
        }
        let modified = |a: &str, b: &str| {
            batch.diffs[&(a.to_string(), b.to_string())]
                .modified
                .clone()
        };
        assert_eq!(
            modified(&one, &three),
            Some(BTreeSet::from(["a.md".to_string(), "b.md".to_string()]))
        );
        assert_eq!(modified(&two, &two), Some(BTreeSet::new()));
        // A created file is among the paths to compare, not a reason to judge everything.
        assert_eq!(
            modified(&three, &four),
            Some(BTreeSet::from(["c.md".to_string()]))
        );

        // Asked for HEAD's commit: judged again at the next commit, though no file it read
        // changed.
        let target = co.switch(&src, &one).unwrap();
        let mut r = Reuse::new();
        kept_with_git(&mut r, gate, &one, &target, &head);
        let target = co.switch(&src, &two).unwrap();
        assert!(r.lookup(&src, gate, &two, &target, &run).is_none());
        co.remove();
    }

    #[test]
    fn a_file_created_where_a_read_path_had_a_folder_is_judged_again() {
        // A gate tried to read `orch/PLAN.md` (absent); the next commit creates the file
        // `orch`. A read of `orch/PLAN.md` now fails with "not a directory", not "not
        // found" (orchestrator-artifacts: an error instead of a `plan-missing` failure),
        // though the path it read is not among the created ones.
        let t = tempfile::tempdir().unwrap();
        let repo = repo(&t);
        let one = commit(&repo, &[("a.md", "a\n")]);
        let two = commit(&repo, &[("orch", "x\n")]);
        let (p, src, mut co, run) = world(&t, &repo);
        let gate = &p.gates["g"];
        let target = co.switch(&src, &one).unwrap();
        let mut r = Reuse::new();
        kept_with_git(
            &mut r,
            gate,
            &one,
            &target,
            &["rev-parse", "--is-inside-work-tree"],
        );
        let was = record::file_state(
            crate::fs::careful::read_whole(&target.join("orch/PLAN.md")).as_deref(),
        );
        assert_eq!(was, record::FileState::Absent);
        r.kept
            .get_mut("g")
            .unwrap()
            .inputs
            .files
            .insert("./orch/PLAN.md".into(), was.clone());
        let target = co.switch(&src, &two).unwrap();
        let now = record::file_state(
            crate::fs::careful::read_whole(&target.join("orch/PLAN.md")).as_deref(),
        );
        assert_ne!(now, was, "a fresh read finds something else");
        assert!(
            r.lookup(&src, gate, &two, &target, &run).is_none(),
            "reused though a read of orch/PLAN.md now fails differently"
        );
        co.remove();
    }

    #[test]
    fn a_created_path_re_judges_only_a_gate_that_looked_there() {
        let t = tempfile::tempdir().unwrap();
        let repo = repo(&t);
        let one = commit(&repo, &[("a.md", "x\n")]);
        let two = commit(&repo, &[("x.md", "x\n")]);
        let three = commit(&repo, &[("y.md", "x\n")]);
        std::os::unix::fs::symlink("a.md", repo.join("l.md")).unwrap();
        let four = commit(&repo, &[]);
        let five = commit(&repo, &[("z.md", "x\n")]);
        let (p, src, mut co, run) = world(&t, &repo);
        let gate = &p.gates["g"];
        let same = ["rev-parse", "--is-inside-work-tree"];
        // A gate that read `a.md` and asked whether `y.md` exists.
        let keep = |r: &mut Reuse, at: &str, target: &Path| {
            kept_with_git(r, gate, at, target, &same);
            let k = r.kept.get_mut("g").unwrap();
            k.inputs.probes.insert(
                "F./y.md".into(),
                crate::fs::probe::state(&target.join("y.md"), crate::fs::probe::Look::Follow),
            );
        };
        let target = co.switch(&src, &one).unwrap();
        let mut r = Reuse::new();
        keep(&mut r, &one, &target);
        // `x.md` created where it did not look: reused.
        let target = co.switch(&src, &two).unwrap();
        assert!(r.lookup(&src, gate, &two, &target, &run).is_some());
        // `y.md` created where it looked: judged again.
        let target = co.switch(&src, &three).unwrap();
        assert!(r.lookup(&src, gate, &three, &target, &run).is_none());
        // A created path in a tree with a link: judged again, though it did not look there.
        let target = co.switch(&src, &four).unwrap();
        keep(&mut r, &four, &target);
        let target = co.switch(&src, &five).unwrap();
        assert!(r.lookup(&src, gate, &five, &target, &run).is_none());
        co.remove();
    }
}

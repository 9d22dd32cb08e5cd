//! `history` reuses a gate's verdict from one commit at the next when everything the gate read
//! is the same there (the verdict cache's rule, [`crate::run::cache`], applied across commits).
//!
//! Each worker keeps, per gate, the verdict it last judged (or reused) and what the gate read
//! then ([`crate::fs::record::Inputs`]), anchored at that commit. At the next commit of the
//! worker, the verdict is reused when:
//!
//! - the two commits' trees have the same paths (`git diff-tree -r --raw`: only files whose
//!   content changed, none added, deleted, renamed, retyped, re-moded or a symlink): a check
//!   may ask whether a path exists without reading it, so, as in the cache, a created or
//!   deleted path anywhere re-judges every gate; nor did a `.gitignore`, `.ignore` or
//!   `.gitattributes` change (which files a walk sees, what a checkout writes);
//! - no file the gate read is among the changed ones (when the tree holds a symlink, each
//!   file it read is hashed again in the checkout instead: a link's target may have changed
//!   under its unchanged name); files outside the target, or in its git directory, are hashed
//!   again too;
//! - each directory it listed lists the same names, each path it resolved leads to the same
//!   place, each git query it made gives the same answer in the checkout (a check that reads
//!   the commit id, a date or the log of `HEAD` asked git, so its verdict is not reused at
//!   another commit unless the answer is the same), each environment variable and each
//!   earlier gate's verdict it asked for is as it was.
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
    /// Some path was created, deleted, retyped or re-moded, an ignore or attributes file
    /// changed, or the tree holds a symlink whose target's change would not show by name.
    /// `None` when reuse is impossible; else the repository paths whose content changed.
    modified: Option<BTreeSet<String>>,
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
            let links = match self.symlinks.get(to) {
                Some(l) => Some(*l),
                None => has_symlinks(src, to),
            };
            match links {
                Some(l) => {
                    self.symlinks.insert(to.to_string(), l);
                    d.symlinks = l;
                }
                None => d.modified = None,
            }
        }
        let d = std::sync::Arc::new(d);
        self.diffs
            .insert((from.to_string(), to.to_string()), d.clone());
        d
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

/// The paths whose content differs between two commits, from `git diff-tree -r -z --raw`'s
/// output; `modified` is `None` when any path was created, deleted or changed kind.
fn parse_raw(out: &str) -> Diff {
    let none = Diff {
        modified: None,
        symlinks: false,
    };
    let mut modified = BTreeSet::new();
    let mut parts = out.split('\0');
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
        if status != "M"
            || old_mode != new_mode
            || !matches!(new_mode, "100644" | "100755")
            || matches!(name, ".gitignore" | ".ignore" | ".gitattributes")
        {
            return none;
        }
        modified.insert(path.to_string());
    }
    Diff {
        modified: Some(modified),
        symlinks: false,
    }
}

/// The paths whose content differs between the commits `from` and `to`; `modified` is `None`
/// when any path was created, deleted or changed kind, or git could not say.
fn tree_diff(src: &Source, from: &str, to: &str) -> Diff {
    let none = Diff {
        modified: None,
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

/// The first input of `i` that is not the same in the checkout at `target`, in words.
fn changed(src: &Source, i: &Inputs, diff: &Diff, target: &Path, run: &RunSoFar) -> Option<String> {
    let Some(modified) = &diff.modified else {
        return Some("a path was created, deleted or changed kind".into());
    };
    if let Some((g, _)) = i.run.iter().find(|(g, v)| run.fact(g) != **v) {
        return Some(format!("the verdict of gate `{g}` changed"));
    }
    if let Some((v, _)) = i.env.iter().find(|(v, h)| record::env_value(v) != **h) {
        return Some(format!("the environment variable {v} changed"));
    }
    let by_name = |key: &str| -> Option<String> {
        let rel = key.strip_prefix("./")?;
        if rel.is_empty() || rel == ".git" || rel.starts_with(".git/") || diff.symlinks {
            return None;
        }
        Some(format!("{}{rel}", src.prefix))
    };
    for (k, st) in &i.files {
        let same = match by_name(k) {
            Some(path) => !modified.contains(&path),
            None => {
                let path = record::path_of(target, k);
                record::file_state(
                    crate::fs::careful::read_whole(&path)
                        .as_ref()
                        .map(|b| &b[..]),
                ) == *st
            }
        };
        if !same {
            return Some(format!("{k} changed"));
        }
    }
    if let Some((k, _)) = i
        .dirs
        .iter()
        .find(|(k, h)| record::listing_hash(&record::path_of(target, k)) != **h)
    {
        return Some(format!("the listing of {k} changed"));
    }
    if let Some((k, _)) = i.resolved.iter().find(|(k, real)| {
        std::fs::canonicalize(record::path_of(target, k))
            .ok()
            .map(|p| record::key_of(target, &p))
            != **real
    }) {
        return Some(format!("{k} now leads elsewhere"));
    }
    i.git
        .iter()
        .find(|(k, answer)| {
            let mut parts = k.split('\0');
            let cwd = record::path_of(target, parts.next().unwrap_or(""));
            let args: Vec<&str> = parts.collect();
            crate::artifacts::git::answer(&cwd, &args).as_deref() != Some(answer.as_str())
        })
        .map(|(k, _)| {
            format!(
                "the answer to `git {}` changed",
                k.split('\0').skip(1).collect::<Vec<_>>().join(" ")
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::checkout::Checkout;
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

    #[test]
    fn a_git_answer_that_names_the_commit_is_not_reused_at_another() {
        let t = tempfile::tempdir().unwrap();
        let repo = t.path().join("repo");
        std::fs::create_dir_all(&repo).unwrap();
        git(&repo, &["init", "-q"]);
        std::fs::write(repo.join("a.md"), "a\n").unwrap();
        std::fs::write(repo.join("b.md"), "b\n").unwrap();
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-qm", "one"]);
        let one = git(&repo, &["rev-parse", "HEAD"]);
        std::fs::write(repo.join("b.md"), "b, edited\n").unwrap();
        git(&repo, &["commit", "-qam", "two"]);
        let two = git(&repo, &["rev-parse", "HEAD"]);
        std::fs::write(repo.join("a.md"), "a, edited\n").unwrap();
        git(&repo, &["commit", "-qam", "three"]);
        let three = git(&repo, &["rev-parse", "HEAD"]);

        let p = crate::load::load_str(PIPELINE, Path::new("p.toml"), Path::new(".")).unwrap();
        let gate = &p.gates["g"];
        let src = Source::of(&repo).unwrap();
        let mut co = Checkout::new(t.path().join("co"));
        let run = RunSoFar {
            earlier: Vec::new(),
            selected: BTreeSet::new(),
        };
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
        let four = {
            std::fs::write(repo.join("c.md"), "c\n").unwrap();
            git(&repo, &["add", "-A"]);
            git(&repo, &["commit", "-qm", "four"]);
            git(&repo, &["rev-parse", "HEAD"])
        };
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
        assert_eq!(modified(&three, &four), None);

        // Asked for HEAD's commit: judged again at the next commit, though no file it read
        // changed.
        let target = co.switch(&src, &one).unwrap();
        let mut r = Reuse::new();
        kept_with_git(&mut r, gate, &one, &target, &head);
        let target = co.switch(&src, &two).unwrap();
        assert!(r.lookup(&src, gate, &two, &target, &run).is_none());
        co.remove();
    }
}

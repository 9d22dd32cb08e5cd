//! `history` reuses a gate's verdict at the next commit when nothing it read differs there,
//! and judges again whenever something it read, listed or asked about may have changed: a
//! path created or deleted where no check looked changes no verdict.
//! Every matrix is compared with a `--no-cache` run over the same commits: a reused verdict
//! carries exactly the findings a fresh judgement gives.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;

use crate::support;

const PIPELINE: &str = r#"[pipeline]
name = "phase-a"

[target]
repo = "hq"
pass_root = "docs/pass"

[[stage]]
number = 0
title = "Preflight"

[[stage]]
number = 1
title = "Work"

[[slice]]
id = "stage-0"
stage = 0
title = "Preflight"
owner = "orchestrator"
depends_on = []
gates = ["preflight"]

[[slice]]
id = "A1"
stage = 1
title = "Metadata contract"
owner = "agent-1"
depends_on = ["stage-0"]
gates = ["metadata-contract", "legacy-metadata-guard"]

[gate.preflight]
title = "clean git state"
check = "preflight"

[gate.metadata-contract]
title = "manifests follow rawr.kind + rawr.capability"
check = "metadata-contract"
params = { roots = { cli = "toolkit" } }

[gate.legacy-metadata-guard]
title = "no legacy key"
check = "legacy-metadata-guard"
params = { mode = "enforce", surfaces = ["plugins/*/*/package.json"] }
"#;

const GOOD: &str = "{\n  \"name\": \"@hq/hello\",\n  \"rawr\": { \"kind\": \"toolkit\", \"capability\": \"hello\" }\n}\n";
const LEGACY: &str = "{\n  \"name\": \"@hq/hello\",\n  \"rawr\": {\n    \"kind\": \"toolkit\",\n    \"capability\": \"hello\",\n    \"channel\": \"B\"\n  }\n}\n";

enum Op {
    Write(&'static str, &'static str),
    Delete(&'static str),
    Link(&'static str, &'static str),
}
use Op::*;

/// Each commit's subject and what it does, oldest first.
const HISTORY: &[(&str, &[Op])] = &[
    (
        "scaffold",
        &[
            Write("package.json", "{ \"name\": \"hq\", \"private\": true }\n"),
            Write("plugins/cli/hello/package.json", GOOD),
            Write("docs/pass/README.md", "# pass\n"),
            Write("docs/notes.md", "# notes\n"),
        ],
    ),
    // 1: only a document's content changes: the code gates' verdicts are reused.
    (
        "docs: edit the notes",
        &[Write("docs/notes.md", "# notes, edited\n")],
    ),
    // 2: a file both gates read changes: judged again (and now failing).
    (
        "add a legacy key",
        &[Write("plugins/cli/hello/package.json", LEGACY)],
    ),
    // 3: a failure is reused too, with the same findings.
    (
        "docs: edit again",
        &[Write("docs/notes.md", "# notes, again\n")],
    ),
    // 4: a new file where neither code gate looks: reused.
    ("docs: a new page", &[Write("docs/more.md", "# more\n")]),
    // 5: a deleted file where neither looks: reused.
    ("docs: drop the page", &[Delete("docs/more.md")]),
    // 6: a new file in a folder both list (a plugin folder of `plugins/cli`): judged again.
    (
        "add a plugin",
        &[Write("plugins/cli/other/package.json", LEGACY)],
    ),
    // 7: the plugin goes again: judged again.
    (
        "drop the plugin",
        &[Delete("plugins/cli/other/package.json")],
    ),
    // 6: a symlink appears: judged again.
    (
        "docs: link the notes",
        &[Link("docs/current.md", "notes.md")],
    ),
    // 7: a content change in a tree with a symlink: read files are hashed again, reused.
    (
        "docs: edit with a link",
        &[Write("docs/notes.md", "# notes, linked\n")],
    ),
    // 8: the symlink is retargeted: judged again.
    (
        "docs: retarget the link",
        &[Link("docs/current.md", "pass/README.md")],
    ),
    // 9: the manifest is fixed: judged again, passing.
    (
        "fix the manifest",
        &[Write("plugins/cli/hello/package.json", GOOD)],
    ),
];

struct Ws {
    dir: tempfile::TempDir,
    commits: Vec<String>,
}

impl Ws {
    fn new() -> Ws {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("ci")).unwrap();
        std::fs::write(dir.path().join("ci/phase-a.toml"), PIPELINE).unwrap();
        let repo = dir.path().join("hq");
        std::fs::create_dir_all(&repo).unwrap();
        support::git_fixed(&repo, &["init", "-q", "-b", "main"]);
        let mut commits = Vec::new();
        for (subject, ops) in HISTORY {
            for op in *ops {
                match op {
                    Write(path, text) => {
                        let p = repo.join(path);
                        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                        std::fs::write(p, text).unwrap();
                    }
                    Delete(path) => std::fs::remove_file(repo.join(path)).unwrap(),
                    Link(path, to) => {
                        let p = repo.join(path);
                        let _ = std::fs::remove_file(&p);
                        std::os::unix::fs::symlink(to, p).unwrap();
                    }
                }
            }
            support::git_fixed(&repo, &["add", "-A"]);
            support::git_fixed(
                &repo,
                &["-c", "commit.gpgsign=false", "commit", "-q", "-m", subject],
            );
            commits.push(
                support::git_fixed(&repo, &["rev-parse", "HEAD"])
                    .trim()
                    .to_string(),
            );
        }
        Ws { dir, commits }
    }

    fn repo(&self) -> PathBuf {
        self.dir.path().join("hq")
    }

    /// `history` over every commit in one worker (so each commit follows the one before),
    /// as JSON.
    fn history(&self, global: &[&str], extra: &[&str]) -> serde_json::Value {
        let tmp = self.dir.path().join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        let mut c = Command::cargo_bin("xtask").unwrap();
        c.args(global)
            .arg("--pipeline")
            .arg(self.dir.path().join("ci/phase-a.toml"))
            .arg("history")
            .arg("--repo")
            .arg(self.repo())
            .args(["--format", "json", "-j", "1"])
            .args(&self.commits)
            .args(extra)
            .current_dir(self.dir.path())
            .env("TMPDIR", &tmp)
            .env_remove("GITHUB_ACTIONS")
            .env_remove("RAWR_GATES_CACHE_DEBUG")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        let out = c.output().unwrap();
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

/// Per commit, the gates whose verdict was reused.
fn reused(h: &serde_json::Value) -> Vec<Vec<String>> {
    h["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            c["cells"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|cell| cell["cached"] == serde_json::json!(true))
                .map(|cell| cell["gate"].as_str().unwrap().to_string())
                .collect()
        })
        .collect()
}

/// The document without timings and reuse markers: what must equal a fresh judgement.
fn verdicts(mut v: serde_json::Value) -> serde_json::Value {
    fn strip(v: &mut serde_json::Value) {
        match v {
            serde_json::Value::Object(m) => {
                m.retain(|k, _| !k.ends_with("_ms") && k != "cached");
                m.values_mut().for_each(strip);
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

fn statuses(h: &serde_json::Value, gate: &str) -> Vec<String> {
    h["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let cell = c["cells"]
                .as_array()
                .unwrap()
                .iter()
                .find(|cell| cell["gate"] == gate)
                .unwrap();
            format!("{}({})", cell["status"].as_str().unwrap(), cell["errors"])
        })
        .collect()
}

#[test]
fn a_commit_leaving_a_gates_inputs_unchanged_reuses_its_verdict() {
    let ws = Ws::new();
    let h = ws.history(&[], &[]);
    let both = || {
        vec![
            "metadata-contract".to_string(),
            "legacy-metadata-guard".into(),
        ]
    };
    let none = Vec::<String>::new;
    assert_eq!(
        reused(&h),
        [
            none(), // 0: first commit, judged
            both(), // 1: docs content only
            none(), // 2: a read manifest changed
            both(), // 3: docs content only, the failures reused
            both(), // 4: a created path where no check looked
            both(), // 5: a deleted path where no check looked
            none(), // 6: a created path in a listed folder
            none(), // 7: a deleted path in a listed folder
            none(), // 8: a created symlink
            both(), // 9: docs content only, in a tree with a symlink
            none(), // 10: a retargeted symlink
            none(), // 11: a read manifest changed
        ]
    );
    assert_eq!(
        statuses(&h, "legacy-metadata-guard"),
        [
            "passed(0)",
            "passed(0)",
            "failed(1)",
            "failed(1)",
            "failed(1)",
            "failed(1)",
            "failed(2)",
            "failed(1)",
            "failed(1)",
            "failed(1)",
            "failed(1)",
            "passed(0)"
        ]
    );
    // The same matrix, findings and all, as judging every commit afresh.
    let fresh = ws.history(&["--no-cache"], &[]);
    assert!(reused(&fresh).iter().all(Vec::is_empty));
    assert_eq!(verdicts(h), verdicts(fresh));
}

#[test]
fn a_gate_that_read_git_is_reused_only_where_git_answers_the_same() {
    let ws = Ws::new();
    let gates = ["--gates", "preflight,legacy-metadata-guard"];
    let h = ws.history(&[], &gates);
    // Preflight asked git about the checkout (its branch, its status, its worktrees): the
    // same answers at each docs-only commit of a detached clean checkout, so it is reused
    // where the guard is. (A query whose answer names the commit is the reuse module's unit
    // test.)
    let r = reused(&h);
    let both = || vec!["preflight".to_string(), "legacy-metadata-guard".into()];
    assert_eq!(r[1], both());
    assert_eq!(r[4], both());
    assert_eq!(r[6], vec!["preflight".to_string()]);
    assert_eq!(r[9], both());
    let fresh = ws.history(&["--no-cache"], &gates);
    assert_eq!(verdicts(h), verdicts(fresh));
}

#[test]
fn the_reused_matrix_in_text_is_the_fresh_one() {
    let ws = Ws::new();
    let text = |extra: &[&str]| {
        let mut c = Command::cargo_bin("xtask").unwrap();
        let tmp = ws.dir.path().join("tmp");
        std::fs::create_dir_all(&tmp).unwrap();
        c.args(extra)
            .arg("--pipeline")
            .arg(ws.dir.path().join("ci/phase-a.toml"))
            .arg("history")
            .arg("--repo")
            .arg(ws.repo())
            .args(&ws.commits)
            .current_dir(ws.dir.path())
            .env("TMPDIR", &tmp)
            .env("NO_COLOR", "1")
            .env_remove("GITHUB_ACTIONS")
            .stdin(Stdio::null());
        String::from_utf8(c.output().unwrap().stdout).unwrap()
    };
    let reused = text(&[]);
    assert!(reused.contains("legacy-metadata-guard"), "{reused}");
    assert_eq!(reused, text(&["--no-cache"]));
}

//! `cargo xtask history` end to end on a repository the test builds: a small RAWR HQ-shaped
//! repository whose commits break and fix the manifest contract and the legacy-key guard.
//! Exact matrices in every format, the default gate selection, `--bisect`, that the target's
//! repository is left as it was (but for the checkouts kept in the tool's state directory),
//! and that Ctrl-C leaves no temporary folder.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

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
gates = ["preflight", "ci-drift"]

[[slice]]
id = "A1"
stage = 1
title = "Metadata contract"
owner = "agent-1"
depends_on = ["stage-0"]
gates = ["metadata-contract", "suites"]

[[slice]]
id = "A6"
stage = 1
title = "Hard delete"
owner = "agent-1"
depends_on = ["A1"]
gates = ["legacy-metadata-guard"]

[gate.preflight]
title = "clean git state"
check = "preflight"

[gate.ci-drift]
title = "the workflow matches the pipeline"
check = "ci-drift"

[gate.metadata-contract]
title = "manifests follow rawr.kind + rawr.capability"
check = "metadata-contract"
params = { roots = { cli = "toolkit" } }

[gate.legacy-metadata-guard]
title = "no legacy key"
check = "legacy-metadata-guard"
params = { mode = "enforce", surfaces = ["plugins/*/*/package.json"] }

[gate.suites]
title = "the suites"
command = ["sh", "-c", "test -f suite-ok"]
"#;

/// A workspace: `ci/phase-a.toml` and the target repository `hq/` with its history.
struct Ws {
    dir: tempfile::TempDir,
    /// The commits, oldest first.
    commits: Vec<String>,
}

fn git(dir: &Path, args: &[&str]) -> String {
    // The commits need a fixed author (the matrix shows it) and no user configuration.
    support::git_fixed(dir, args)
}

/// (subject, files to write, files to delete) for each commit.
type Step<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a [&'a str]);

const HISTORY: &[Step] = &[
    (
        "scaffold with a legacy manifest",
        &[
            ("package.json", "{ \"name\": \"hq\", \"private\": true }\n"),
            (
                "plugins/cli/hello/package.json",
                "{\n  \"name\": \"@hq/hello\",\n  \"rawr\": { \"templateRole\": \"operational\" }\n}\n",
            ),
            ("docs/pass/README.md", "# pass\n"),
        ],
        &[],
    ),
    (
        "A1: manifest contract",
        &[(
            "plugins/cli/hello/package.json",
            "{\n  \"name\": \"@hq/hello\",\n  \"rawr\": { \"kind\": \"toolkit\", \"capability\": \"hello\" }\n}\n",
        )],
        &[],
    ),
    ("docs: notes", &[("docs/notes.md", "# notes\n")], &[]),
    (
        "add the bye plugin",
        &[(
            "plugins/cli/bye/package.json",
            "{\n  \"name\": \"@hq/bye\",\n  \"rawr\": {\n    \"kind\": \"toolkit\",\n    \"capability\": \"bye\",\n    \"channel\": \"B\"\n  }\n}\n",
        )],
        &[],
    ),
    ("docs: more notes", &[("docs/more.md", "# more\n")], &[]),
    (
        "A6: drop the channel key",
        &[
            (
                "plugins/cli/bye/package.json",
                "{\n  \"name\": \"@hq/bye\",\n  \"rawr\": { \"kind\": \"toolkit\", \"capability\": \"bye\" }\n}\n",
            ),
            ("suite-ok", ""),
        ],
        &[],
    ),
];

impl Ws {
    fn new() -> Ws {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("ci")).unwrap();
        std::fs::write(dir.path().join("ci/phase-a.toml"), PIPELINE).unwrap();
        let repo = dir.path().join("hq");
        std::fs::create_dir_all(&repo).unwrap();
        git(&repo, &["init", "-q", "-b", "main"]);
        let mut commits = Vec::new();
        for (n, (subject, write, delete)) in HISTORY.iter().enumerate() {
            for (path, text) in *write {
                let p = repo.join(path);
                std::fs::create_dir_all(p.parent().unwrap()).unwrap();
                std::fs::write(p, text).unwrap();
            }
            for path in *delete {
                std::fs::remove_file(repo.join(path)).unwrap();
            }
            git(&repo, &["add", "-A"]);
            // Fixed dates make the commit ids the same on every run.
            let date = format!("2026-02-20T10:{n:02}:00Z");
            let out = Command::new("git")
                .arg("-C")
                .arg(&repo)
                .args(["-c", "commit.gpgsign=false", "commit", "-q", "-m", subject])
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1")
                .env("GIT_AUTHOR_NAME", "Agent One")
                .env("GIT_AUTHOR_EMAIL", "agent-1@example.test")
                .env("GIT_COMMITTER_NAME", "Agent One")
                .env("GIT_COMMITTER_EMAIL", "agent-1@example.test")
                .env("GIT_AUTHOR_DATE", &date)
                .env("GIT_COMMITTER_DATE", &date)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            commits.push(git(&repo, &["rev-parse", "HEAD"]).trim().to_string());
        }
        Ws { dir, commits }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn repo(&self) -> PathBuf {
        self.root().join("hq")
    }

    fn tmp(&self) -> PathBuf {
        let t = self.root().join("tmp");
        std::fs::create_dir_all(&t).unwrap();
        t
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::cargo_bin("xtask").unwrap();
        c.arg("--pipeline")
            .arg(self.root().join("ci/phase-a.toml"))
            .arg("history")
            .arg("--repo")
            .arg(self.repo())
            .args(args)
            .current_dir(self.root())
            .env("TMPDIR", self.tmp())
            .env_remove("GITHUB_ACTIONS")
            .env("NO_COLOR", "1");
        c
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let out = self.cmd(args).stdin(Stdio::null()).output().unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    /// Everything about the target's repository a run must not change (the tool's state
    /// directory under the git directory aside: a run keeps its checkouts there).
    fn repo_state(&self) -> String {
        let repo = self.repo();
        let mut s = git(&repo, &["worktree", "list", "--porcelain"]);
        s.push_str(&git(&repo, &["status", "--porcelain", "--ignored"]));
        s.push_str(&git(&repo, &["rev-parse", "HEAD"]));
        s.push_str(&git(&repo, &["for-each-ref"]));
        let mut entries: Vec<String> = std::fs::read_dir(repo.join(".git"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != "rawr-gates")
            .collect();
        entries.sort();
        s.push_str(&entries.join(","));
        s.push_str(&format!(
            "{:?}",
            std::fs::read(repo.join(".git/index")).unwrap()
        ));
        s
    }

    /// Waits until the slow gate (`touch started; sleep 300`) runs inside a checkout under
    /// the temporary folder.
    fn wait_until_a_gate_runs_in_a_checkout(&self) {
        let started = || -> bool {
            let Ok(rd) = std::fs::read_dir(self.tmp()) else {
                return false;
            };
            rd.flatten().any(|root| {
                std::fs::read_dir(root.path())
                    .map(|ws| ws.flatten().any(|w| w.path().join("started").exists()))
                    .unwrap_or(false)
            })
        };
        for _ in 0..1000 {
            if started() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        panic!("no gate started in a temporary checkout");
    }

    /// Replaces the suites gate's command with one that marks its start and then sleeps.
    fn make_the_suites_slow(&self) {
        let path = self.root().join("ci/phase-a.toml");
        let text = std::fs::read_to_string(&path).unwrap().replace(
            r#"command = ["sh", "-c", "test -f suite-ok"]"#,
            r#"command = ["sh", "-c", "touch started; sleep 300"]"#,
        );
        std::fs::write(path, text).unwrap();
    }

    fn tmp_entries(&self) -> Vec<String> {
        std::fs::read_dir(self.tmp())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }
}

fn short(c: &str) -> &str {
    &c[..8]
}

#[test]
fn the_text_matrix_of_a_range() {
    let ws = Ws::new();
    // An uncommitted edit in the user's work tree: kept, and not seen by the history.
    std::fs::write(ws.repo().join("docs/notes.md"), "# edited\n").unwrap();
    let before = ws.repo_state();
    let c = &ws.commits;
    let range = format!("{}..main", c[0]);
    let mut args = vec![c[0].as_str()];
    args.push(&range);
    args.extend(["-j", "2"]);
    let (code, stdout, _) = ws.run(&args);
    assert_eq!(code, 1, "{stdout}");
    let s: Vec<&str> = c.iter().map(|x| short(x)).collect();
    let expected = format!(
        "6 commits × 2 static gates

gate                   {}  {}  {}  {}  {}  {}
metadata-contract      fail(3)   pass      pass      fail(1)   fail(1)   pass
legacy-metadata-guard  fail(1)   pass      pass      fail(1)   fail(1)   pass

(n) = errors the gate reported (warnings and notes: --format json)

metadata-contract      first green {}, red again {}
legacy-metadata-guard  first green {}, red again {}

{}  scaffold with a legacy manifest
{}  A1: manifest contract
{}  docs: notes
{}  add the bye plugin
{}  docs: more notes
{}  A6: drop the channel key
",
        s[0],
        s[1],
        s[2],
        s[3],
        s[4],
        s[5],
        s[1],
        s[3],
        s[1],
        s[3],
        s[0],
        s[1],
        s[2],
        s[3],
        s[4],
        s[5]
    );
    assert_eq!(stdout, expected);
    assert_eq!(ws.repo_state(), before);
    assert_eq!(
        std::fs::read_to_string(ws.repo().join("docs/notes.md")).unwrap(),
        "# edited\n"
    );
    assert!(ws.tmp_entries().is_empty(), "{:?}", ws.tmp_entries());
    // The two workers' checkouts are kept for the next run, under the tool's state directory.
    let kept = ws.repo().join(".git/rawr-gates/history");
    assert!(kept.join("w0/.git").is_dir() && kept.join("w1/.git").is_dir());
}

/// The next run moves the kept checkouts on from where they were left, and whatever was
/// done to one in between (a file left behind, a command put in its git configuration, the
/// slot replaced by a link) changes no verdict, runs nothing and touches nothing outside.
#[cfg(unix)]
#[test]
fn kept_checkouts_are_exact_whatever_was_done_to_them() {
    let ws = Ws::new();
    let c = &ws.commits;
    let all: Vec<&str> = c.iter().map(String::as_str).collect();
    let with = |extra: &[&str]| {
        let mut a = all.clone();
        a.extend(["-j", "1", "--format", "json"]);
        a.extend(extra);
        let (code, out, err) = ws.run(&a);
        assert_eq!(code, 1, "{err}");
        let mut v: serde_json::Value = serde_json::from_str(&out).unwrap();
        without_timings(&mut v);
        v
    };
    let fresh = with(&["--no-cache"]);
    assert!(
        !ws.repo().join(".git/rawr-gates/history").exists(),
        "--no-cache keeps no checkout"
    );
    let strip_cached = |mut v: serde_json::Value| {
        for commit in v["commits"].as_array_mut().unwrap() {
            for cell in commit["cells"].as_array_mut().unwrap() {
                cell.as_object_mut().unwrap().remove("cached");
            }
        }
        v
    };
    assert_eq!(strip_cached(with(&[])), fresh);
    let slot = ws.repo().join(".git/rawr-gates/history/w0");
    assert!(slot.join(".git").is_dir());

    // A file left behind and a configuration pointing git at another folder.
    let victim = ws.root().join("victim");
    std::fs::create_dir_all(&victim).unwrap();
    std::fs::write(victim.join("precious.txt"), "keep me\n").unwrap();
    std::fs::write(slot.join("plugins/cli/stray.json"), "{}\n").unwrap();
    let marker = victim.join("fsmonitor-ran");
    std::fs::write(
        slot.join(".git/config"),
        format!(
            "[core]\n\trepositoryformatversion = 0\n\tfsmonitor = touch {}; true\n",
            marker.display()
        ),
    )
    .unwrap();
    assert_eq!(strip_cached(with(&[])), fresh);
    assert!(
        !marker.exists(),
        "ran a command of the checkout's configuration"
    );
    assert!(!slot.join("plugins/cli/stray.json").exists());

    // The slot replaced by a link to another folder: not used, not followed.
    std::fs::remove_dir_all(&slot).unwrap();
    std::os::unix::fs::symlink(&victim, &slot).unwrap();
    assert_eq!(strip_cached(with(&[])), fresh);
    let left: Vec<_> = std::fs::read_dir(&victim)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["precious.txt"]);
}

#[test]
fn the_markdown_matrix_with_the_suites() {
    let ws = Ws::new();
    let c = &ws.commits;
    let (code, stdout, _) = ws.run(&[
        &c[0],
        &c[3],
        &c[5],
        "--with-suites",
        "--format",
        "markdown",
        "-j",
        "1",
    ]);
    assert_eq!(code, 1, "{stdout}");
    let s: Vec<&str> = c.iter().map(|x| short(x)).collect();
    let expected = format!(
        "### Gate history: 3 commits × 3 gates

| gate | `{a}` | `{b}` | `{c}` | first green | red again |
| --- | :---: | :---: | :---: | --- | --- |
| `metadata-contract` | ❌ 3 | ❌ 1 | ✅ | `{c}` |  |
| `suites` | ❌ 1 | ❌ 1 | ✅ | `{c}` |  |
| `legacy-metadata-guard` | ❌ 1 | ❌ 1 | ✅ | `{c}` |  |

✅ passed · ❌ failed · ⚠️ could not judge · ⏱️ timed out · ⏭️ skipped; a number counts the gate's errors (warnings and notes: `--format json`).

<details><summary>Commits</summary>

| commit | subject |
| --- | --- |
| `{a}` | scaffold with a legacy manifest |
| `{b}` | add the bye plugin |
| `{c}` | A6: drop the channel key |

</details>
",
        a = s[0],
        b = s[3],
        c = s[5]
    );
    assert_eq!(stdout, expected);
    assert!(ws.tmp_entries().is_empty());
}

#[test]
fn the_json_matrix_and_named_gates() {
    let ws = Ws::new();
    let c = &ws.commits;
    let (code, stdout, _) = ws.run(&[
        &c[2],
        &c[3],
        "--gates",
        "legacy-metadata-guard,preflight",
        "--format",
        "json",
    ]);
    // preflight judges a fresh checkout (clean, detached): it runs because it was named.
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(v["pipeline"], "phase-a");
    assert_eq!(
        v["gates"],
        serde_json::json!(["preflight", "legacy-metadata-guard"])
    );
    assert_eq!(v["interrupted"], false);
    assert_eq!(v["exit_code"], 1);
    assert_eq!(v["selection"], "named");
    let commits = v["commits"].as_array().unwrap();
    assert_eq!(commits.len(), 2);
    assert_eq!(commits[0]["sha"], c[2].as_str());
    assert_eq!(commits[0]["rev"], c[2].as_str());
    assert_eq!(commits[0]["subject"], "docs: notes");
    let cells = |i: usize| -> Vec<(String, String, u64, u64)> {
        commits[i]["cells"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                (
                    x["gate"].as_str().unwrap().to_string(),
                    x["status"].as_str().unwrap().to_string(),
                    x["errors"].as_u64().unwrap(),
                    x["warnings"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let cell = |g: &str, st: &str, e: u64| (g.to_string(), st.to_string(), e, 0);
    assert_eq!(
        cells(0),
        [
            cell("preflight", "passed", 0),
            cell("legacy-metadata-guard", "passed", 0)
        ]
    );
    assert_eq!(
        cells(1),
        [
            cell("preflight", "passed", 0),
            cell("legacy-metadata-guard", "failed", 1)
        ]
    );
    let f = &commits[1]["cells"][1]["findings"][0];
    assert_eq!(f["path"], "plugins/cli/bye/package.json");
    assert_eq!((f["line"].as_u64(), f["col"].as_u64()), (Some(6), Some(5)));
    assert_eq!(f["severity"], "error");
    assert_eq!(
        v["transitions"],
        serde_json::json!([
            {"gate": "preflight", "first_green": c[2], "red_again": []},
            {"gate": "legacy-metadata-guard", "first_green": c[2], "red_again": [c[3]]},
        ])
    );
}

#[test]
fn bisect_finds_the_commit_that_broke_the_gate_and_its_findings() {
    let ws = Ws::new();
    let before = ws.repo_state();
    let c = &ws.commits;
    for jobs in ["1", "2"] {
        let (code, stdout, stderr) =
            ws.run(&["--bisect", "metadata-contract", &c[1], &c[4], "-j", jobs]);
        assert_eq!(code, 0, "{stdout}{stderr}");
        let tail = stdout.split_once("\n\n").unwrap().1;
        assert_eq!(
            tail,
            format!(
                "first bad commit: {}  add the bye plugin  [fail(1)]
last good commit: {}  docs: notes  [pass]

findings that appeared (1):
  plugins/cli/bye/package.json:6:5: error [forbidden-legacy-key] legacy key `rawr.channel` is forbidden (hard-deleted)
",
                short(&c[3]),
                short(&c[2])
            ),
            "{stdout}"
        );
        assert!(
            stdout.starts_with(&format!(
                "bisect metadata-contract: {}..{} (3 commits on the ancestry path,",
                short(&c[1]),
                short(&c[4])
            )),
            "{stdout}"
        );
    }
    assert_eq!(ws.repo_state(), before);
    assert!(ws.tmp_entries().is_empty());
}

#[test]
fn bisect_refuses_ends_with_the_same_verdict() {
    let ws = Ws::new();
    let c = &ws.commits;
    let (code, stdout, _) = ws.run(&["--bisect", "metadata-contract", &c[0], &c[4]]);
    assert_eq!(code, 2, "{stdout}");
    assert!(
        stdout.contains(&format!(
            "cannot bisect: the gate does not pass at GOOD {} (fail(3)) nor at BAD {} (fail(1)): nothing turned red or green between them",
            short(&c[0]),
            short(&c[4])
        )),
        "{stdout}"
    );
    let (code, stdout, _) = ws.run(&["--bisect", "metadata-contract", &c[1], &c[2]]);
    assert_eq!(code, 2, "{stdout}");
    assert!(
        stdout.contains("and at BAD") && stdout.contains("nothing turned red between them"),
        "{stdout}"
    );
    let (code, _, stderr) = ws.run(&["--bisect", "metadata-contract", &c[3], &c[1]]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains(&format!("{} is not a descendant of {}", c[1], c[3])),
        "{stderr}"
    );
}

#[test]
fn bisect_from_a_failing_to_a_passing_commit_finds_where_it_turned_green() {
    let ws = Ws::new();
    let c = &ws.commits;
    let (code, stdout, _) = ws.run(&[
        "--bisect",
        "metadata-contract",
        &c[3],
        &c[5],
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{stdout}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["turned"], "green");
    assert_eq!(v["candidates"], 2);
    assert_eq!(v["first"]["sha"], c[5].as_str());
    assert_eq!(v["first"]["status"], "passed");
    assert_eq!(v["last_before"]["sha"], c[4].as_str());
    assert_eq!(v["last_before"]["status"], "failed");
    assert_eq!(v["appeared"], serde_json::json!([]));
    let gone = v["disappeared"].as_array().unwrap();
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0]["rule"], "forbidden-legacy-key");
    assert_eq!(gone[0]["path"], "plugins/cli/bye/package.json");
    assert_eq!(v["exit_code"], 0);
    assert!(ws.tmp_entries().is_empty());
}

#[test]
fn bad_revisions_and_gates_are_errors_naming_them() {
    let ws = Ws::new();
    let (code, _, stderr) = ws.run(&["no-such-rev"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("`no-such-rev` does not name a commit of the target"),
        "{stderr}"
    );
    let (code, _, stderr) = ws.run(&["main", "--gates", "nope"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown gate `nope`"), "{stderr}");
    let (code, _, stderr) = ws.run(&[]);
    assert_eq!(code, 2);
    assert!(stderr.contains("no commits given"), "{stderr}");
    assert!(ws.tmp_entries().is_empty());
}

#[test]
fn ctrl_c_leaves_no_checkout_and_no_temporary_folder() {
    let ws = Ws::new();
    // A slow command gate keeps every commit busy; the temporary checkouts (`--no-cache`:
    // none kept) exist while it runs.
    ws.make_the_suites_slow();
    let before = ws.repo_state();
    let c = &ws.commits;
    let child = ws
        .cmd(&[
            &c[0],
            &c[1],
            &c[2],
            &c[3],
            "--gates",
            "suites",
            "-j",
            "2",
            "--no-cache",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    ws.wait_until_a_gate_runs_in_a_checkout();
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("interrupted: commits not finished are left out"),
        "{stdout}"
    );
    assert!(ws.tmp_entries().is_empty(), "{:?}", ws.tmp_entries());
    assert_eq!(ws.repo_state(), before);
}

#[test]
fn a_target_below_the_top_of_its_repository() {
    // The pipeline's target is a subdirectory: the whole commit is checked out and the gates
    // look at the same subdirectory.
    let ws = Ws::new();
    let outer = ws.root().join("outer");
    std::fs::create_dir_all(&outer).unwrap();
    git(&outer, &["init", "-q"]);
    let hq = outer.join("apps/hq");
    std::fs::create_dir_all(hq.join("plugins/cli/x")).unwrap();
    std::fs::write(hq.join("package.json"), "{ \"private\": true }\n").unwrap();
    std::fs::write(
        hq.join("plugins/cli/x/package.json"),
        "{ \"rawr\": { \"kind\": \"web\", \"capability\": \"x\" } }\n",
    )
    .unwrap();
    git(&outer, &["add", "-A"]);
    git(
        &outer,
        &["-c", "commit.gpgsign=false", "commit", "-q", "-m", "one"],
    );
    let mut c = Command::cargo_bin("xtask").unwrap();
    let out = c
        .arg("--pipeline")
        .arg(ws.root().join("ci/phase-a.toml"))
        .args(["history", "HEAD", "--gates", "metadata-contract", "--repo"])
        .arg(&hq)
        .env("TMPDIR", ws.tmp())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("metadata-contract  fail(1)"), "{stdout}");
    assert!(ws.tmp_entries().is_empty());
}

/// Sets every timing in a JSON document to 0.
fn without_timings(v: &mut serde_json::Value) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m.iter_mut() {
                if k.ends_with("_ms") {
                    *x = serde_json::json!(0);
                } else {
                    without_timings(x);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter_mut().for_each(without_timings),
        _ => {}
    }
}

#[test]
fn the_exact_json_document() {
    let ws = Ws::new();
    let c = &ws.commits;
    let (code, stdout, _) = ws.run(&[
        "HEAD~2",
        &c[5],
        "--gates",
        "legacy-metadata-guard",
        "--format",
        "json",
    ]);
    assert_eq!(code, 1, "{stdout}");
    let mut v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    without_timings(&mut v);
    let expected = serde_json::json!({
        "tool": format!("rawr-gates {}", env!("CARGO_PKG_VERSION")),
        "pipeline": "phase-a",
        "gates": ["legacy-metadata-guard"],
        "selection": "named",
        "commits": [
            {
                "rev": "HEAD~2",
                "sha": c[3],
                "subject": "add the bye plugin",
                "checkout_ms": 0,
                "gates_ms": 0,
                "cells": [{
                    "gate": "legacy-metadata-guard",
                    "status": "failed",
                    "errors": 1,
                    "warnings": 0,
                    "duration_ms": 0,
                    "findings": [{
                        "rule": "legacy-key-manifest",
                        "severity": "error",
                        "path": "plugins/cli/bye/package.json",
                        "line": 6,
                        "col": 5,
                        "message": "legacy key `channel` declared in the manifest at `rawr.channel`",
                        "help": "delete `rawr.channel`: plugin identity is rawr.kind + rawr.capability (JSON has no comments, so manifests cannot carry allow markers)",
                    }],
                }],
            },
            {
                "rev": c[5],
                "sha": c[5],
                "subject": "A6: drop the channel key",
                "checkout_ms": 0,
                "gates_ms": 0,
                "cells": [{
                    "gate": "legacy-metadata-guard",
                    "status": "passed",
                    "errors": 0,
                    "warnings": 0,
                    "duration_ms": 0,
                    "findings": [],
                }],
            },
        ],
        "transitions": [
            {"gate": "legacy-metadata-guard", "first_green": c[5], "red_again": []},
        ],
        "duration_ms": 0,
        "interrupted": false,
        "exit_code": 1,
    });
    assert_eq!(
        serde_json::to_string_pretty(&v).unwrap(),
        serde_json::to_string_pretty(&expected).unwrap()
    );
}

#[test]
fn ctrl_c_during_bisect_leaves_no_temporary_folder() {
    let ws = Ws::new();
    ws.make_the_suites_slow();
    let before = ws.repo_state();
    let c = &ws.commits;
    let child = ws
        .cmd(&["--bisect", "suites", &c[0], &c[5], "-j", "2"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    ws.wait_until_a_gate_runs_in_a_checkout();
    assert!(
        Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status()
            .unwrap()
            .success()
    );
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("interrupted: the search did not finish"),
        "{stdout}"
    );
    assert!(ws.tmp_entries().is_empty(), "{:?}", ws.tmp_entries());
    assert_eq!(ws.repo_state(), before);
}

/// A gate already green at the first commit shown did not turn green there: the matrix says
/// it was green from the start, not "first green".
#[test]
fn a_gate_green_at_the_first_commit_shown_is_green_from_the_start() {
    let ws = Ws::new();
    let c = &ws.commits;
    let (code, stdout, _) = ws.run(&[c[1].as_str(), c[3].as_str(), "-j", "1"]);
    assert_eq!(code, 1, "{stdout}");
    let (s1, s3) = (short(&c[1]), short(&c[3]));
    assert!(
        stdout.contains(&format!(
            "metadata-contract      green from the first commit shown, {s1}, red again {s3}\n"
        )),
        "{stdout}"
    );
}

/// The matrix (JSON, timings and `cached` left out) of `commits` with `-j 1` and `extra`.
fn review_matrix(ws: &Ws, commits: &[&str], extra: &[&str]) -> serde_json::Value {
    let mut a: Vec<&str> = commits.to_vec();
    a.extend(["-j", "1", "--format", "json"]);
    a.extend(extra);
    let (code, out, err) = ws.run(&a);
    assert!(code == 0 || code == 1, "exit {code}: {err}");
    let mut v: serde_json::Value = serde_json::from_str(&out).unwrap();
    without_timings(&mut v);
    for commit in v["commits"].as_array_mut().unwrap() {
        for cell in commit["cells"].as_array_mut().unwrap() {
            cell.as_object_mut().unwrap().remove("cached");
        }
    }
    v
}

/// A kept checkout's git directory naming another common directory (`commondir`): the
/// configuration the tool writes is not the one git reads there, so a command of that other
/// configuration must not run (a history without `--with-suites` runs nothing of the target).
#[cfg(unix)]
#[test]
fn a_kept_checkout_with_a_commondir_runs_nothing_of_it() {
    let ws = Ws::new();
    let all: Vec<&str> = ws.commits.iter().map(String::as_str).collect();
    let fresh = review_matrix(&ws, &all, &["--no-cache"]);
    assert_eq!(review_matrix(&ws, &all, &[]), fresh);
    let slot = ws.repo().join(".git/rawr-gates/history/w0");
    assert!(slot.join(".git").is_dir());
    let other = ws.root().join("other-common");
    std::fs::create_dir_all(other.join("objects/info")).unwrap();
    std::fs::create_dir_all(other.join("refs")).unwrap();
    std::fs::write(
        other.join("objects/info/alternates"),
        format!("{}\n", ws.repo().join(".git/objects").display()),
    )
    .unwrap();
    let marker = ws.root().join("fsmonitor-ran");
    std::fs::write(
        other.join("config"),
        format!(
            "[core]\n\trepositoryformatversion = 0\n\tbare = false\n\tfsmonitor = \"touch {}; false #\"\n",
            marker.display()
        ),
    )
    .unwrap();
    std::fs::write(
        slot.join(".git/commondir"),
        format!("{}\n", other.display()),
    )
    .unwrap();
    assert_eq!(review_matrix(&ws, &all, &[]), fresh);
    assert!(
        !marker.exists(),
        "ran a command of the configuration a kept checkout's commondir names"
    );
}

/// A replace ref in a kept checkout (`git replace A B`) must not make commit A be judged on
/// B's tree.
#[cfg(unix)]
#[test]
fn a_replace_ref_in_a_kept_checkout_changes_no_verdict() {
    let ws = Ws::new();
    let all: Vec<&str> = ws.commits.iter().map(String::as_str).collect();
    let fresh = review_matrix(&ws, &all, &["--no-cache"]);
    assert_eq!(review_matrix(&ws, &all, &[]), fresh);
    let slot = ws.repo().join(".git/rawr-gates/history/w0");
    git(&slot, &["replace", all[0], all[1]]);
    assert_eq!(review_matrix(&ws, &all, &[]), fresh);
}

/// A file of a kept checkout changed and hidden from git with the skip-worktree bit (what a
/// gate's `git sparse-checkout` or `update-index --skip-worktree` leaves): the next run's
/// tree must still be exactly each commit's.
#[cfg(unix)]
#[test]
fn a_skip_worktree_bit_in_a_kept_checkout_changes_no_verdict() {
    let ws = Ws::new();
    let all: Vec<&str> = ws.commits.iter().map(String::as_str).collect();
    // From the second commit on, the hello manifest is the same file in every commit.
    let later = &all[1..];
    let fresh = review_matrix(&ws, later, &["--no-cache"]);
    assert_eq!(review_matrix(&ws, later, &[]), fresh);
    let slot = ws.repo().join(".git/rawr-gates/history/w0");
    let manifest = "plugins/cli/hello/package.json";
    // The legacy manifest of the first commit, in place of the fixed one.
    std::fs::write(
        slot.join(manifest),
        "{\n  \"name\": \"@hq/hello\",\n  \"rawr\": { \"templateRole\": \"operational\" }\n}\n",
    )
    .unwrap();
    git(&slot, &["update-index", "--skip-worktree", manifest]);
    assert_eq!(review_matrix(&ws, later, &[]), fresh);
}

/// A kept checkout's reflog replaced by a link to a file outside: moving the checkout must
/// not append to that file (git appends to an existing `logs/HEAD`, following the link).
#[cfg(unix)]
#[test]
fn a_linked_reflog_in_a_kept_checkout_writes_nothing_outside() {
    let ws = Ws::new();
    let all: Vec<&str> = ws.commits.iter().map(String::as_str).collect();
    let fresh = review_matrix(&ws, &all, &["--no-cache"]);
    assert_eq!(review_matrix(&ws, &all, &[]), fresh);
    let slot = ws.repo().join(".git/rawr-gates/history/w0");
    let precious = ws.root().join("precious.txt");
    std::fs::write(&precious, "keep me\n").unwrap();
    let log = slot.join(".git/logs/HEAD");
    std::fs::create_dir_all(log.parent().unwrap()).unwrap();
    let _ = std::fs::remove_file(&log);
    std::os::unix::fs::symlink(&precious, &log).unwrap();
    assert_eq!(review_matrix(&ws, &all, &[]), fresh);
    assert_eq!(std::fs::read_to_string(&precious).unwrap(), "keep me\n");
}

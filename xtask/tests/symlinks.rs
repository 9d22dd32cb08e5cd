//! Nothing escapes the target through a symbolic link it holds (a pull request can commit
//! one): no write follows a link out of the target, no read echoes a file outside it, the
//! target's commands do not run while such a link is there, and no output flag overwrites
//! what the run reads or the target tracks. Each case checks that the outside file is
//! untouched (content and modification time) and unread (its content in no output).

#![cfg(unix)]

use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::SystemTime;

use crate::support::{copy_dir, git, workspace, xtask};

/// What an outside file holds: it must never show up in anything the tool prints or writes.
const SECRET: &str = "root:rawr-outside-secret-7f3a:19000:0:99999:7:::\n";

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A file outside the target, with its content and modification time as they were.
struct Outside {
    path: PathBuf,
    mtime: SystemTime,
}

impl Outside {
    fn new(path: PathBuf) -> Outside {
        std::fs::write(&path, SECRET).unwrap();
        let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
        Outside { path, mtime }
    }

    /// Untouched: same content, same modification time.
    fn assert_untouched(&self) {
        assert_eq!(std::fs::read_to_string(&self.path).unwrap(), SECRET);
        assert_eq!(
            std::fs::metadata(&self.path).unwrap().modified().unwrap(),
            self.mtime,
            "{} was written",
            self.path.display()
        );
    }
}

/// Unread: the secret is in none of the outputs.
fn assert_unread(out: &Output, files: &[&Path]) {
    let secret = SECRET.trim_end();
    let key = "rawr-outside-secret";
    assert!(
        !text(&out.stdout).contains(key),
        "stdout: {}",
        text(&out.stdout)
    );
    assert!(
        !text(&out.stderr).contains(key),
        "stderr: {}",
        text(&out.stderr)
    );
    for f in files {
        if let Ok(t) = std::fs::read_to_string(f) {
            assert!(!t.contains(key), "{} holds {secret}", f.display());
        }
    }
}

/// A workspace with its own pipeline (one slice, the given gates) and a target `repo/`
/// (pass root `pass/`), optionally a git repository with everything committed.
struct Ws {
    dir: tempfile::TempDir,
}

impl Ws {
    fn new(gates: &str) -> Ws {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("ci")).unwrap();
        std::fs::create_dir_all(dir.path().join("repo/pass")).unwrap();
        std::fs::create_dir_all(dir.path().join("outside")).unwrap();
        std::fs::write(dir.path().join("repo/package.json"), "{\"name\":\"t\"}\n").unwrap();
        let ids: Vec<String> = gates
            .lines()
            .filter_map(|l| l.strip_prefix("[gate."))
            .map(|l| format!("\"{}\"", l.trim_end_matches(']')))
            .collect();
        let text = format!(
            "[target]\nrepo = \"repo\"\npass_root = \"pass\"\n\n[[stage]]\nnumber = 0\ntitle = \"t\"\n\n[[slice]]\nid = \"S0\"\nstage = 0\ntitle = \"t\"\nowner = \"o\"\ngates = [{}]\n\n{gates}",
            ids.join(", ")
        );
        std::fs::write(dir.path().join("ci/phase-a.toml"), text).unwrap();
        Ws { dir }
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn repo(&self) -> PathBuf {
        self.root().join("repo")
    }

    fn outside(&self) -> PathBuf {
        self.root().join("outside")
    }

    fn pipeline(&self) -> PathBuf {
        self.root().join("ci/phase-a.toml")
    }

    fn commit(&self) {
        git(&self.repo(), &["init", "-q"]);
        git(&self.repo(), &["add", "-A"]);
        git(&self.repo(), &["commit", "-qm", "x"]);
    }

    fn run(&self, args: &[&str]) -> Output {
        xtask()
            .arg("--pipeline")
            .arg(self.pipeline())
            .args(args)
            .output()
            .unwrap()
    }
}

const TOUCH_GATE: &str = "[gate.touch]\ncommand = [\"sh\", \"-c\", \"touch ran\"]\n";

fn assert_refused(out: &Output, words: &[&str]) {
    let stderr = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(2),
        "stdout: {}\nstderr: {stderr}",
        text(&out.stdout)
    );
    for w in words {
        assert!(stderr.contains(w), "{w:?} not in: {stderr}");
    }
}

// ---- writes ------------------------------------------------------------------------

#[test]
fn log_scratchpad_does_not_append_through_a_link_out_of_the_target() {
    let ws = Ws::new(TOUCH_GATE);
    let outside = Outside::new(ws.outside().join("o"));
    symlink(
        &outside.path,
        ws.repo().join("pass/ORCHESTRATOR_SCRATCHPAD.md"),
    )
    .unwrap();
    let out = ws.run(&["phase-a", "--log-scratchpad"]);
    assert_refused(
        &out,
        &[
            "--log-scratchpad",
            "pass/ORCHESTRATOR_SCRATCHPAD.md",
            "is a symbolic link leading outside the target repository",
        ],
    );
    assert!(!ws.repo().join("ran").exists(), "no gate runs");
    outside.assert_untouched();
    assert_unread(&out, &[]);
}

#[test]
fn report_does_not_read_or_write_through_a_link_out_of_the_target() {
    let ws = Ws::new(&format!(
        "[documents]\nreport = \"PHASE_A_EXECUTION_REPORT.md\"\nhandoff = \"FINAL_PHASE_A_HANDOFF.md\"\n\n{TOUCH_GATE}"
    ));
    let out = ws.run(&["phase-a"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report = Outside::new(ws.outside().join("report.md"));
    symlink(
        &report.path,
        ws.repo().join("pass/PHASE_A_EXECUTION_REPORT.md"),
    )
    .unwrap();
    let out = ws.run(&["report"]);
    assert_refused(
        &out,
        &[
            "PHASE_A_EXECUTION_REPORT.md",
            "is a symbolic link leading outside the target repository",
        ],
    );
    report.assert_untouched();
    assert_unread(&out, &[]);
    // Nothing was written: not the other document either.
    assert!(!ws.repo().join("pass/FINAL_PHASE_A_HANDOFF.md").exists());
}

#[test]
fn cleanup_plan_and_apply_do_not_create_a_file_through_a_dangling_link_out() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("hq");
    copy_dir(&workspace().join("examples/hq"), &repo);
    let pass = repo.join(
        "docs/projects/orpc-ingest-workflows-spec/_phase-a-runtime-execution-pass-01-2026-02-20",
    );
    let manifest = pass.join("A8_CLEANUP_MANIFEST.md");
    std::fs::remove_file(&manifest).unwrap();
    let target = dir.path().join("made-outside.md");
    symlink(&target, &manifest).unwrap();
    let out = xtask()
        .args(["cleanup", "plan", "--repo"])
        .arg(&repo)
        .output()
        .unwrap();
    assert_refused(
        &out,
        &[
            "A8_CLEANUP_MANIFEST.md",
            "is a symbolic link leading outside the target repository",
        ],
    );
    assert!(!target.exists(), "the plan was written outside the target");
    // `cleanup apply --yes` (which writes a missing manifest first) refuses the link too.
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "x"]);
    let out = xtask()
        .args(["cleanup", "apply", "--yes", "--repo"])
        .arg(&repo)
        .output()
        .unwrap();
    assert_refused(
        &out,
        &[
            "A8_CLEANUP_MANIFEST.md",
            "is a symbolic link leading outside the target repository",
        ],
    );
    assert!(
        !target.exists(),
        "the manifest was written outside the target"
    );
}

#[test]
fn artifacts_init_writes_nothing_when_the_scratchpad_links_out() {
    let ws = Ws::new(TOUCH_GATE);
    let outside = Outside::new(ws.outside().join("scratch.md"));
    symlink(
        &outside.path,
        ws.repo().join("pass/ORCHESTRATOR_SCRATCHPAD.md"),
    )
    .unwrap();
    let runbook = ws.root().join("runbook.md");
    std::fs::write(&runbook, "# Runbook\n").unwrap();
    let out = ws.run(&["artifacts", "init", "--runbook", runbook.to_str().unwrap()]);
    assert_refused(
        &out,
        &[
            "ORCHESTRATOR_SCRATCHPAD.md",
            "is a symbolic link leading outside the target repository",
        ],
    );
    outside.assert_untouched();
    assert!(
        !ws.repo()
            .join("pass/ORCHESTRATOR_PLAN_VERBATIM.md")
            .exists()
    );
}

#[test]
fn a_test_report_path_through_a_link_out_gets_no_output_file_beside_it() {
    // An untracked link (the tracked-link check before commands does not see it): the
    // report path itself is refused, and the runner's output is not kept outside.
    let ws = Ws::new(
        "[gate.suite]\ncheck = \"harness-matrix\"\ncommand = [\"sh\", \"-c\", \"echo '{}' > reports/r.json\"]\nreport = { path = \"reports/r.json\", format = \"vitest-json\" }\n",
    );
    ws.commit();
    symlink(ws.outside(), ws.repo().join("reports")).unwrap();
    let out = ws.run(&["phase-a"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("reports")
            && stdout.contains("is a symbolic link leading outside the target repository"),
        "{stdout}"
    );
    let left: Vec<_> = std::fs::read_dir(ws.outside()).unwrap().collect();
    assert!(left.is_empty(), "written outside: {left:?}");
}

// ---- reads -------------------------------------------------------------------------

#[test]
fn a_pass_root_linked_out_of_the_target_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("hq");
    copy_dir(&workspace().join("examples/hq"), &repo);
    let rel =
        "docs/projects/orpc-ingest-workflows-spec/_phase-a-runtime-execution-pass-01-2026-02-20";
    // The documents sit outside; the pass root is a link to them.
    let elsewhere = dir.path().join("elsewhere");
    std::fs::rename(repo.join(rel), &elsewhere).unwrap();
    symlink(&elsewhere, repo.join(rel)).unwrap();
    for args in [
        &["gate", "review-closure"][..],
        &["phase-a", "--only", "A7"][..],
        &["report"][..],
    ] {
        let out = xtask()
            .args(args)
            .arg("--repo")
            .arg(&repo)
            .output()
            .unwrap();
        assert_refused(
            &out,
            &[
                "_phase-a-runtime-execution-pass-01-2026-02-20",
                "is a symbolic link leading outside the target repository",
            ],
        );
    }
}

#[test]
fn a_document_linked_out_of_the_target_is_not_read() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("hq");
    copy_dir(&workspace().join("examples/hq"), &repo);
    let doc = repo.join("docs/projects/orpc-ingest-workflows-spec/_phase-a-runtime-execution-pass-01-2026-02-20/A7_REVIEW_DISPOSITION.md");
    let outside = dir.path().join("disposition.md");
    std::fs::write(
        &outside,
        format!("# Review\n\n## Final A7 Decision\n\n`approve`\n\n{SECRET}"),
    )
    .unwrap();
    std::fs::remove_file(&doc).unwrap();
    symlink(&outside, &doc).unwrap();
    let sarif = dir.path().join("s.sarif");
    let out = xtask()
        .args(["gate", "review-closure", "--repo"])
        .arg(&repo)
        .arg("--sarif")
        .arg(&sarif)
        .output()
        .unwrap();
    let stdout = text(&out.stdout);
    assert_ne!(out.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("A7_REVIEW_DISPOSITION.md")
            && stdout.contains("is a symbolic link leading outside the target repository"),
        "{stdout}"
    );
    assert_unread(&out, &[&sarif]);
}

#[test]
fn a_gate_cwd_through_a_link_out_is_refused() {
    let ws = Ws::new("[gate.touch]\ncommand = [\"sh\", \"-c\", \"touch ran\"]\ncwd = \"sub\"\n");
    ws.commit();
    // Untracked: the cwd itself is refused (a tracked one stops every command first).
    symlink(ws.outside(), ws.repo().join("sub")).unwrap();
    let out = ws.run(&["phase-a"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    assert!(
        text(&out.stdout).contains("/sub is a symbolic link leading outside the target repository"),
        "{}",
        text(&out.stdout)
    );
    assert!(
        !ws.outside().join("ran").exists(),
        "the command ran outside"
    );
}

#[test]
fn a_tracked_package_json_linked_out_stops_the_targets_commands() {
    // The gate's command stands for a package manager that prints the file it cannot parse.
    let ws = Ws::new(
        "[gate.install]\ncommand = [\"sh\", \"-c\", \"cat plugins/web/dashboard/package.json; exit 1\"]\n",
    );
    let outside = Outside::new(ws.outside().join("shadow"));
    let pkg = ws.repo().join("plugins/web/dashboard");
    std::fs::create_dir_all(&pkg).unwrap();
    symlink(&outside.path, pkg.join("package.json")).unwrap();
    ws.commit();
    let sarif = ws.root().join("s.sarif");
    let junit = ws.root().join("j.xml");
    let out = xtask()
        .arg("--pipeline")
        .arg(ws.pipeline())
        .args(["phase-a", "--sarif"])
        .arg(&sarif)
        .arg("--junit")
        .arg(&junit)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("plugins/web/dashboard/package.json")
            && stdout.contains("is a symbolic link leading outside the target repository"),
        "{stdout}"
    );
    let record = ws.repo().join(".git/rawr-gates/last-run.json");
    assert!(record.is_file());
    let sarif_text = std::fs::read_to_string(&sarif).unwrap();
    assert!(sarif_text.contains("link-out-of-target"), "{sarif_text}");
    assert!(
        sarif_text.contains("plugins/web/dashboard/package.json"),
        "{sarif_text}"
    );
    assert_unread(&out, &[&sarif, &junit, &record]);
    outside.assert_untouched();
}

// ---- output flags ------------------------------------------------------------------

#[test]
fn output_flags_never_overwrite_each_other_the_pipeline_or_a_tracked_file() {
    let ws = Ws::new(TOUCH_GATE);
    ws.commit();
    let pipeline_before = std::fs::read(ws.pipeline()).unwrap();
    let package_before = std::fs::read(ws.repo().join("package.json")).unwrap();
    let same = ws.root().join("out.xml");
    let same_again = ws.root().join("./sub/../out.xml");
    std::fs::create_dir_all(ws.root().join("sub")).unwrap();
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--junit".into(), s(&same), "--sarif".into(), s(&same_again)],
            "the same file as --junit",
        ),
        (
            vec!["--sarif".into(), s(&ws.repo().join("package.json"))],
            "is a file the target tracks (package.json)",
        ),
        (
            vec!["--junit".into(), s(&ws.pipeline())],
            "is the pipeline being run",
        ),
    ];
    for (args, words) in cases {
        let out = xtask()
            .arg("--pipeline")
            .arg(ws.pipeline())
            .arg("phase-a")
            .args(&args)
            .output()
            .unwrap();
        assert_refused(&out, &[words]);
        assert!(!ws.repo().join("ran").exists(), "a gate ran: {args:?}");
    }
    assert!(!same.exists());
    assert_eq!(std::fs::read(ws.pipeline()).unwrap(), pipeline_before);
    assert_eq!(
        std::fs::read(ws.repo().join("package.json")).unwrap(),
        package_before
    );
    // The same refusal for `gate`.
    let out = xtask()
        .arg("--pipeline")
        .arg(ws.pipeline())
        .args(["gate", "touch", "--sarif"])
        .arg(ws.repo().join("package.json"))
        .output()
        .unwrap();
    assert_refused(&out, &["is a file the target tracks"]);
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

#[test]
fn the_sarif_of_a_judged_report_is_not_written_over_that_report() {
    let ws = Ws::new(
        "[gate.suite]\ncheck = \"harness-matrix\"\nparams = { report = \"report.json\" }\n",
    );
    let report = ws.root().join("report.json");
    std::fs::write(&report, "{\"testResults\": []}\n").unwrap();
    let before = std::fs::read(&report).unwrap();
    let out = xtask()
        .arg("--pipeline")
        .arg(ws.pipeline())
        .args(["gate", "suite", "--report"])
        .arg(&report)
        .arg("--sarif")
        .arg(ws.root().join("./report.json"))
        .output()
        .unwrap();
    assert_refused(&out, &["is the test report being judged"]);
    assert_eq!(std::fs::read(&report).unwrap(), before);
}

//! Messages that name the real cause: a broken root `package.json` (not the file whose
//! imports it leaves unresolved), a repository git refuses (another user's: git's words and
//! the fix), a bare repository, a device named as runbook or report (refused before
//! anything is printed), and a file the tool may not read: "could not judge", exit 2, for a
//! source as for a document.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::support;

use support::{copy_dir, git, workspace, xtask};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A copy of the example target in `dir` (not a git repository).
fn example_copy(dir: &Path) -> PathBuf {
    let repo = dir.join("hq");
    copy_dir(&workspace().join("examples/hq"), &repo);
    repo
}

fn run(args: &[&str], repo: &Path) -> Output {
    let mut c = xtask();
    c.args(args).arg("--repo").arg(repo);
    c.output().unwrap()
}

#[test]
fn a_broken_root_package_json_is_named_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    let repo = example_copy(dir.path());
    // Binary: the imports of workspace packages cannot be resolved, which used to read as
    // `workspace-plugins.ts does not import the contract`.
    std::fs::write(repo.join("package.json"), b"\xff\xfe{\"name\":\"x\"}\x00").unwrap();
    let out = run(&["gate", "import-boundary"], &repo);
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert_eq!(
        stdout
            .lines()
            .next()
            .unwrap_or("")
            .split_whitespace()
            .next(),
        Some("ERR"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "package.json:1:1: is not valid UTF-8 (at byte 0); the workspace packages are declared there, so imports of them cannot be resolved"
        ),
        "{stdout}"
    );
    assert!(!stdout.contains("workspace-plugins.ts"), "{stdout}");
    // Not JSON: the line and column of the parser's complaint.
    std::fs::write(
        repo.join("package.json"),
        "{\n  \"name\": \"x\",\n  \"workspaces\": [\n}\n",
    )
    .unwrap();
    for gate in [
        "discovery-roots",
        "host-composition-guard",
        "manifest-smoke",
    ] {
        let out = run(&["gate", gate], &repo);
        let stdout = text(&out.stdout);
        assert_eq!(out.status.code(), Some(2), "{gate}: {stdout}");
        assert!(
            stdout.contains("package.json:4:1: is not valid JSON: expected value;"),
            "{gate}: {stdout}"
        );
    }
}

#[test]
fn a_repository_git_refuses_is_reported_with_gits_words_and_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let repo = example_copy(dir.path());
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-qm", "x"]);
    let repo = std::fs::canonicalize(&repo).unwrap();
    // Git's own switch for its ownership check (`safe.directory`): the repository reads as
    // another user's. No global or system configuration, which may trust every directory
    // (`safe.directory = *`, as CI containers often set).
    let mut c = xtask();
    c.args(["phase-a", "--repo"])
        .arg(&repo)
        .env("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1");
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: the target repository {r}: git refuses to work in it: \"detected dubious ownership in repository at '{r}'\" (the repository belongs to another user than the one running the tool); if you trust it, run `git config --global --add safe.directory {r}`, or run the tool as the repository's owner\n",
            r = repo.display()
        )
    );
    // No state was written anywhere: not under the git directory, not elsewhere.
    assert!(!repo.join(".git/rawr-gates").exists());
    assert!(!gates::artifacts::last_run_path(&repo).exists());
}

#[test]
fn a_bare_repository_is_named_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let bare = dir.path().join("hq.git");
    std::fs::create_dir(&bare).unwrap();
    git(&bare, &["init", "-q", "--bare"]);
    let bare = std::fs::canonicalize(&bare).unwrap();
    for args in [vec!["history", "HEAD"], vec!["phase-a"]] {
        let out = run(&args, &bare);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(
            text(&out.stderr),
            format!(
                "error: the target repository {b} is a bare git repository: it has no work tree to judge; clone it (`git clone {b} DIR`) and name the clone with --repo DIR\n",
                b = bare.display()
            ),
            "{args:?}"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_device_as_runbook_or_report_is_refused_before_anything_is_printed() {
    let dir = tempfile::tempdir().unwrap();
    let repo = example_copy(dir.path());
    let out = run(&["artifacts", "check", "--runbook", "/dev/zero"], &repo);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        "error: --runbook /dev/zero: is a character device, not a regular file; name a regular file\n"
    );
    let out = run(&["gate", "harness-matrix", "--report", "/dev/zero"], &repo);
    assert_eq!(out.status.code(), Some(2));
    // No report "age", no verdict line: nothing was judged.
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        "error: --report /dev/zero: is a character device, not a regular file; name a regular file\n"
    );
    // A missing runbook still says so.
    let out = run(
        &["artifacts", "check", "--runbook", "no-such-runbook.md"],
        &repo,
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        text(&out.stderr),
        "error: no-such-runbook.md: the runbook does not exist\n"
    );
}

/// The effective user id, from `/proc/self/status`.
#[cfg(target_os = "linux")]
fn euid() -> u32 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(2).unwrap().parse().unwrap()
}

/// A source and a document the tool may not read (mode 000), and the files of a folder it
/// may not search, are all "could not judge", exit 2. Root reads any file whatever its mode, so as root the tool is run as `nobody`
/// (65534), with the copy opened to it.
#[cfg(target_os = "linux")]
#[test]
fn a_file_the_tool_cannot_read_is_could_not_judge_for_a_source_and_a_document() {
    use std::os::unix::fs::PermissionsExt;
    use std::os::unix::process::CommandExt;
    let dir = tempfile::tempdir().unwrap();
    let repo = example_copy(dir.path());
    let as_root = euid() == 0;
    if as_root {
        let open = Command::new("chmod")
            .arg("-R")
            .arg("a+rX")
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(open.success());
    }
    let pass =
        "docs/projects/orpc-ingest-workflows-spec/_phase-a-runtime-execution-pass-01-2026-02-20";
    let lib = "plugins/cli/plugins/src/lib";
    let imp = format!("{lib}/workspace-plugins.ts");
    // (gate, what is closed (mode 000), the file the verdict names)
    let cases = [
        ("import-boundary", imp.clone(), imp.clone()),
        (
            "review-closure",
            format!("{pass}/A7_REVIEW_DISPOSITION.md"),
            format!("{pass}/A7_REVIEW_DISPOSITION.md"),
        ),
        // A folder the tool may not search: its files are not "missing".
        ("import-boundary", lib.to_string(), imp.clone()),
        (
            "legacy-metadata-guard",
            lib.to_string(),
            format!("{lib}/install-state.ts"),
        ),
    ];
    for (gate, closed, file) in &cases {
        let path = repo.join(closed);
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
        let mut c = xtask();
        c.args(["gate", gate, "--repo"])
            .arg(&repo)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if as_root {
            c.uid(65534).gid(65534);
        }
        let out = c.output().unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        let stdout = text(&out.stdout);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{gate}: {stdout}{}",
            text(&out.stderr)
        );
        let first = stdout.lines().next().unwrap_or("");
        assert!(first.starts_with(&format!("ERR  {gate}")), "{stdout}");
        assert!(first.contains(file.as_str()), "{stdout}");
        assert!(first.contains("Permission denied"), "{stdout}");
        assert!(!stdout.contains("does not exist"), "{stdout}");
    }
}

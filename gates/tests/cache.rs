//! The verdict cache (gates::run::cache): a gate is reused only while everything it read is
//! unchanged. Each invalidation test starts from a kept green (or red) verdict and changes one
//! input; a cache that missed that input would hand back the stale verdict.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;

use gates::load::load_str;
use gates::pipeline::Pipeline;
use gates::run::cache::Session;
use gates::run::executor::run_gate_shared;
use gates::run::{GateResult, Status};

const TOOL: &str = "rawr-gates test build 1";

/// A git work tree (the cache is kept for git targets only) with `files` written.
fn target(files: &[(&str, &str)]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let repo = std::fs::canonicalize(dir.path()).unwrap();
    let ok = std::process::Command::new("git")
        .args(["init", "-q"])
        .current_dir(&repo)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    for (path, text) in files {
        write(&repo, path, text);
    }
    (dir, repo)
}

fn write(repo: &Path, path: &str, text: &str) {
    let p = repo.join(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A pipeline of one gate, declared by `gate` (the body of its `[gate.g]` table).
fn pipeline(repo: &Path, gate: &str) -> Pipeline {
    let t = format!(
        "[target]\nrepo = {:?}\npass_root = \"pass\"\n\n[[stage]]\nnumber = 0\ntitle = \"s\"\n\n\
         [[slice]]\nid = \"S\"\nstage = 0\ntitle = \"t\"\nowner = \"o\"\ngates = [\"g\"]\n\n\
         [gate.g]\n{gate}\n",
        repo.display().to_string()
    );
    load_str(&t, Path::new("test.toml"), Path::new("/")).expect("valid test pipeline")
}

/// The guard over `src/**/*.ts` for the key `templateRole` (and `extra` surfaces).
fn guard(repo: &Path, extra: &str) -> Pipeline {
    pipeline(
        repo,
        &format!(
            "check = \"legacy-metadata-guard\"\nparams = {{ mode = \"enforce\", surfaces = [{extra}\"src/**/*.ts\"], keys = [\"templateRole\"] }}"
        ),
    )
}

/// Judges the pipeline's gate once, with the cache of a run starting now.
fn judge_with(repo: &Path, p: &Pipeline, tool: &str) -> GateResult {
    let session = Session::open(repo, tool).expect("a git target has a cache");
    run_gate_shared(
        p,
        &p.gates["g"],
        repo,
        &repo.join("pass"),
        &AtomicBool::new(false),
        None,
        None,
        Some(&session),
    )
}

fn judge(repo: &Path, p: &Pipeline) -> GateResult {
    judge_with(repo, p, TOOL)
}

/// (status, cached, rule of each finding with its path)
fn verdict(r: &GateResult) -> (Status, bool, Vec<String>) {
    (
        r.status,
        r.cached,
        r.findings
            .iter()
            .map(|f| format!("{} {}", f.rule, f.path.as_deref().unwrap_or("")))
            .collect(),
    )
}

const CLEAN: &str = "export const m = { role: \"a\" };\n";
const LEGACY: &str = "export const m = { templateRole: \"a\" };\n";

fn green() -> (Status, bool, Vec<String>) {
    (Status::Passed, false, vec![])
}

fn cached_green() -> (Status, bool, Vec<String>) {
    (Status::Passed, true, vec![])
}

fn legacy_at(path: &str) -> Vec<String> {
    vec![format!("legacy-key-property {path}")]
}

#[test]
fn an_unchanged_target_reuses_the_verdict_and_findings_marked_cached() {
    let (_d, repo) = target(&[("src/a.ts", CLEAN), ("src/b.ts", LEGACY)]);
    let p = guard(&repo, "");
    let first = judge(&repo, &p);
    assert_eq!(
        verdict(&first),
        (Status::Failed, false, legacy_at("src/b.ts"))
    );
    let again = judge(&repo, &p);
    assert_eq!(
        verdict(&again),
        (Status::Failed, true, legacy_at("src/b.ts"))
    );
    assert_eq!(again.findings[0].line, first.findings[0].line);
    // The JSON of a reused gate says so; a judged one has no such field.
    let json = serde_json::to_value(&again).unwrap();
    assert_eq!(json["cached"], true);
    assert!(
        serde_json::to_value(&first)
            .unwrap()
            .get("cached")
            .is_none()
    );
}

#[test]
fn an_edited_file_the_check_read_is_judged_again() {
    let (_d, repo) = target(&[("src/a.ts", "export const m = { tmplateRoleX: 1 };\n")]);
    let p = guard(&repo, "");
    assert_eq!(verdict(&judge(&repo, &p)), green());
    assert_eq!(verdict(&judge(&repo, &p)), cached_green());
    // Same size, same listing, within the same second: only the content says it changed.
    write(&repo, "src/a.ts", "export const m = { templateRole: 1 };\n");
    assert_eq!(
        verdict(&judge(&repo, &p)),
        (Status::Failed, false, legacy_at("src/a.ts"))
    );
}

#[test]
fn a_new_file_in_a_listed_folder_is_judged_again_even_when_git_ignores_it() {
    // The guard walks ignored files too (generated code is still shipped code), so the
    // listing of `src/gen` it made is an input, not only the target's non-ignored listing.
    let (_d, repo) = target(&[
        ("src/a.ts", CLEAN),
        (".gitignore", "src/gen/\n"),
        ("src/gen/ok.ts", CLEAN),
    ]);
    let p = guard(&repo, "");
    assert_eq!(verdict(&judge(&repo, &p)), green());
    assert_eq!(verdict(&judge(&repo, &p)), cached_green());
    write(&repo, "src/gen/new.ts", LEGACY);
    assert_eq!(
        verdict(&judge(&repo, &p)),
        (Status::Failed, false, legacy_at("src/gen/new.ts"))
    );
    // And a new file that is not ignored.
    std::fs::remove_file(repo.join("src/gen/new.ts")).unwrap();
    assert_eq!(verdict(&judge(&repo, &p)), green());
    write(&repo, "src/more/b.ts", LEGACY);
    assert_eq!(
        verdict(&judge(&repo, &p)),
        (Status::Failed, false, legacy_at("src/more/b.ts"))
    );
}

#[test]
fn a_deleted_file_is_judged_again() {
    // `src/a.ts` is a listed surface: the guard only asks whether it exists.
    let (_d, repo) = target(&[("src/a.ts", CLEAN)]);
    let p = guard(&repo, "\"src/a.ts\", ");
    assert_eq!(verdict(&judge(&repo, &p)), green());
    assert_eq!(verdict(&judge(&repo, &p)), cached_green());
    std::fs::remove_file(repo.join("src/a.ts")).unwrap();
    let r = judge(&repo, &p);
    assert_eq!(r.status, Status::Failed);
    assert!(!r.cached);
    assert!(
        r.findings
            .iter()
            .any(|f| f.rule == "legacy-guard-missing-surface"),
        "{:?}",
        r.findings
    );
}

#[test]
fn changed_params_are_judged_again() {
    let (_d, repo) = target(&[("src/a.ts", "export const m = { channel: 1 };\n")]);
    let p = guard(&repo, "");
    assert_eq!(verdict(&judge(&repo, &p)), green());
    assert_eq!(verdict(&judge(&repo, &p)), cached_green());
    let p = pipeline(
        &repo,
        "check = \"legacy-metadata-guard\"\nparams = { mode = \"enforce\", surfaces = [\"src/**/*.ts\"], keys = [\"templateRole\", \"channel\"] }",
    );
    assert_eq!(
        verdict(&judge(&repo, &p)),
        (Status::Failed, false, legacy_at("src/a.ts"))
    );
}

#[test]
fn a_new_build_of_the_tool_judges_again() {
    let (_d, repo) = target(&[("src/a.ts", CLEAN)]);
    let p = guard(&repo, "");
    assert_eq!(verdict(&judge_with(&repo, &p, "build 1")), green());
    assert_eq!(verdict(&judge_with(&repo, &p, "build 1")), cached_green());
    // A new build's check may judge the same files differently: nothing of build 1 is reused.
    assert_eq!(verdict(&judge_with(&repo, &p, "build 2")), green());
    assert_eq!(verdict(&judge_with(&repo, &p, "build 2")), cached_green());
    // This process's own build is known by its executable's bytes, remembered by identity.
    let memo = repo.join("tool.json");
    let id = gates::run::cache::tool_id(Some(&memo));
    let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
    let want = gates::fs::record::sha256_hex(&exe);
    assert_eq!(
        id,
        format!("rawr-gates {} {want}", env!("CARGO_PKG_VERSION"))
    );
    assert!(std::fs::read_to_string(&memo).unwrap().contains(&want));
}

#[test]
fn a_changed_lockfile_reruns_a_command_gate_even_when_ignored() {
    let (_d, repo) = target(&[
        ("bun.lock", "pinned: good\n"),
        (".gitignore", "bun.lock\n"),
        ("src/a.ts", CLEAN),
    ]);
    // The command reads only the lockfile; a cache keyed on the tracked files would miss it.
    let p = pipeline(
        &repo,
        "command = [\"grep\", \"-q\", \"good\", \"bun.lock\"]",
    );
    assert_eq!(verdict(&judge(&repo, &p)), green());
    assert_eq!(verdict(&judge(&repo, &p)), cached_green());
    write(&repo, "bun.lock", "pinned: bad!\n");
    let r = judge(&repo, &p);
    assert_eq!((r.status, r.cached), (Status::Failed, false));
    // A failed command is not kept: after the fix it runs again and passes.
    write(&repo, "bun.lock", "pinned: good\n");
    assert_eq!(verdict(&judge(&repo, &p)), green());
}

#[test]
fn declared_inputs_limit_a_command_gate_to_what_it_reads() {
    let (_d, repo) = target(&[
        ("bun.lock", "x\n"),
        ("docs/a.md", "a\n"),
        ("src/t.txt", "ok\n"),
    ]);
    let p = pipeline(
        &repo,
        "command = [\"grep\", \"-q\", \"ok\", \"src/t.txt\"]\ninputs = [\"src/**\"]",
    );
    assert_eq!(verdict(&judge(&repo, &p)), green());
    // A document edit is outside the declared inputs: reused.
    write(&repo, "docs/a.md", "b\n");
    assert_eq!(verdict(&judge(&repo, &p)), cached_green());
    write(&repo, "src/t.txt", "no\n");
    assert_eq!((judge(&repo, &p).status), Status::Failed);
    // `!glob` takes files out of everything: the documents here.
    write(&repo, "src/t.txt", "ok\n");
    let p = pipeline(
        &repo,
        "command = [\"grep\", \"-q\", \"ok\", \"src/t.txt\"]\ninputs = [\"!docs/**\"]",
    );
    assert_eq!(verdict(&judge(&repo, &p)), green());
    write(&repo, "docs/a.md", "c\n");
    assert_eq!(verdict(&judge(&repo, &p)), cached_green());
    write(&repo, "src/other.txt", "new\n");
    assert_eq!(verdict(&judge(&repo, &p)), green());
    // The lockfile is an input whatever the globs say.
    write(&repo, "bun.lock", "y\n");
    assert_eq!(verdict(&judge(&repo, &p)), green());
}

#[test]
fn an_undeclared_command_gate_reads_every_file_of_the_target() {
    let (_d, repo) = target(&[("docs/a.md", "a\n"), ("src/t.txt", "ok\n")]);
    let p = pipeline(&repo, "command = [\"grep\", \"-q\", \"a\", \"docs/a.md\"]");
    assert_eq!(verdict(&judge(&repo, &p)), green());
    assert_eq!(verdict(&judge(&repo, &p)), cached_green());
    write(&repo, "docs/a.md", "b\n");
    assert_eq!(judge(&repo, &p).status, Status::Failed);
}

#[cfg(unix)]
#[test]
fn a_retargeted_symlink_is_judged_again() {
    let (_d, repo) = target(&[("lib/clean.ts", CLEAN), ("lib/dirty.ts", LEGACY)]);
    std::fs::create_dir_all(repo.join("src")).unwrap();
    std::os::unix::fs::symlink("../lib/clean.ts", repo.join("src/link.ts")).unwrap();
    let p = guard(&repo, "");
    assert_eq!(verdict(&judge(&repo, &p)), green());
    assert_eq!(verdict(&judge(&repo, &p)), cached_green());
    std::fs::remove_file(repo.join("src/link.ts")).unwrap();
    std::os::unix::fs::symlink("../lib/dirty.ts", repo.join("src/link.ts")).unwrap();
    assert_eq!(
        verdict(&judge(&repo, &p)),
        (Status::Failed, false, legacy_at("src/link.ts"))
    );
}

#[test]
fn a_target_outside_git_has_no_cache() {
    let dir = tempfile::tempdir().unwrap();
    assert!(Session::open(dir.path(), TOOL).is_none());
}

/// A command of the run rewrites a file a later check read: the run's listing of the target
/// is from before the command, so no verdict is reused after it (the later check sees the
/// rewritten file and fails, where reusing would have kept last run's green).
#[test]
fn no_verdict_is_reused_after_a_command_of_the_run() {
    let (_d, repo) = target(&[("trigger", "ok\n"), ("src/a.ts", "export const ok = 1;\n")]);
    let text = format!(
        "[target]\nrepo = {:?}\npass_root = \"pass\"\n\n[[stage]]\nnumber = 0\ntitle = \"s\"\n\n\
         [[slice]]\nid = \"S\"\nstage = 0\ntitle = \"t\"\nowner = \"o\"\ngates = [\"w\", \"g\"]\n\n\
         [gate.w]\ncommand = [\"sh\", \"-c\", \"grep -q ok trigger && echo 'export const ok = 1;' > src/a.ts || echo 'const x = {{ templateRole: 1 }};' > src/a.ts\"]\ninputs = [\"trigger\"]\n\n\
         [gate.g]\ncheck = \"legacy-metadata-guard\"\nparams = {{ mode = \"enforce\", surfaces = [\"src/**/*.ts\"], keys = [\"templateRole\"] }}\n",
        repo.display().to_string()
    );
    let p = load_str(&text, Path::new("test.toml"), Path::new("/")).unwrap();
    let run = |p: &Pipeline| -> Vec<(Status, bool)> {
        let session = Session::open(&repo, TOOL).unwrap();
        ["w", "g"]
            .iter()
            .map(|id| {
                let r = run_gate_shared(
                    p,
                    &p.gates[*id],
                    &repo,
                    &repo.join("pass"),
                    &AtomicBool::new(false),
                    None,
                    None,
                    Some(&session),
                );
                (r.status, r.cached)
            })
            .collect()
    };
    assert_eq!(
        run(&p),
        vec![(Status::Passed, false), (Status::Passed, false)]
    );
    // Nothing changed: both reused.
    assert_eq!(
        run(&p),
        vec![(Status::Passed, true), (Status::Passed, true)]
    );
    // The command's input changes: it runs again and rewrites src/a.ts with a legacy key.
    write(&repo, "trigger", "bad\n");
    assert_eq!(
        run(&p),
        vec![(Status::Passed, false), (Status::Failed, false)]
    );
}

#[cfg(unix)]
#[test]
fn a_file_losing_its_exec_bit_reruns_a_command_gate() {
    use std::os::unix::fs::PermissionsExt;
    let (_d, repo) = target(&[("tool.sh", "#!/bin/sh\n")]);
    let mode = |m: u32| {
        std::fs::set_permissions(repo.join("tool.sh"), std::fs::Permissions::from_mode(m)).unwrap()
    };
    mode(0o755);
    let p = pipeline(&repo, "command = [\"test\", \"-x\", \"tool.sh\"]");
    assert_eq!(verdict(&judge(&repo, &p)), green());
    assert_eq!(verdict(&judge(&repo, &p)), cached_green());
    // Same content, same names: only the mode says the command would fail now.
    mode(0o644);
    let r = judge(&repo, &p);
    assert_eq!((r.status, r.cached), (Status::Failed, false));
}

#[test]
fn a_tracked_file_an_ignore_rule_newly_matches_is_judged_again() {
    // import-boundary walks the target with git's ignore rules. A tracked file stays in the
    // target's listing (`git ls-files`) when an ignore rule starts to match it, and no file
    // or folder the gate recorded changes, yet the walk no longer sees it: the verdict must
    // not be reused.
    let (_d, repo) = target(&[
        ("package.json", "{\"name\":\"x\",\"private\":true}\n"),
        (
            "src/contract.ts",
            "export function parseManifest(pkg: any) { return [pkg.rawr.kind, pkg.rawr.capability]; }\n",
        ),
        (
            "src/impl.ts",
            "import { parseManifest } from \"./contract\";\nexport const found = parseManifest({});\n",
        ),
        (
            "src/dup.ts",
            "export function parse(pkg: any) { return [pkg.rawr.kind, pkg.rawr.capability]; }\n",
        ),
        (".gitignore", "node_modules/\n"),
    ]);
    let ok = std::process::Command::new("git")
        .args(["add", "-A"])
        .current_dir(&repo)
        .status()
        .unwrap()
        .success();
    assert!(ok);
    let p = pipeline(
        &repo,
        "check = \"import-boundary\"\nparams = { implementations = [\"src/impl.ts\"], contract = \"src/contract.ts\" }",
    );
    let dup = vec![
        "duplicate-parser src/dup.ts".to_string(),
        "duplicate-parser src/dup.ts".to_string(),
    ];
    assert_eq!(
        verdict(&judge(&repo, &p)),
        (Status::Failed, false, dup.clone())
    );
    assert_eq!(verdict(&judge(&repo, &p)), (Status::Failed, true, dup));
    write(&repo, ".gitignore", "node_modules/\nsrc/dup.ts\n");
    assert_eq!(verdict(&judge(&repo, &p)), green());
}

#[cfg(unix)]
#[test]
fn an_ignored_folder_link_retargeted_into_the_target_is_judged_again() {
    // source-pattern refuses `gen/file.md` while the ignored link `gen` leads out of the
    // target, before probing or reading it: the link check's answer must be an input (an
    // ignored link is not in the target's listing).
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("file.md"), "ok\n").unwrap();
    let (_d, repo) = target(&[("real/file.md", "ok\n"), (".gitignore", "gen\n")]);
    std::os::unix::fs::symlink(outside.path(), repo.join("gen")).unwrap();
    let p = pipeline(
        &repo,
        "check = \"source-pattern\"\nparams = { exist = [\"gen/file.md\"] }",
    );
    let refused = vec!["unreadable-file gen/file.md".to_string()];
    assert_eq!(
        verdict(&judge(&repo, &p)),
        (Status::Failed, false, refused.clone())
    );
    assert_eq!(verdict(&judge(&repo, &p)), (Status::Failed, true, refused));
    std::fs::remove_file(repo.join("gen")).unwrap();
    std::os::unix::fs::symlink("real", repo.join("gen")).unwrap();
    assert_eq!(verdict(&judge(&repo, &p)), green());
}

//! The A8 cleanup manifest: `plan` classifies, `check` (gate `docs-cleanup`) compares with the
//! tree, `apply` carries it out with git and refuses anything unsafe. The crash test (a
//! process killed after every step) is in `xtask/tests/cleanup_crash.rs`.

use crate::closure_support;

use std::path::Path;

use closure_support::*;
use gates::artifacts::cleanup::{self, Action, Config};

const PASS: &str = "pass";

fn cfg() -> Config {
    gates::checks::docs_cleanup::config_of(&pipeline()).unwrap()
}

fn actions(m: &cleanup::Manifest) -> Vec<(String, Action)> {
    m.entries
        .iter()
        .map(|e| (e.path.clone(), e.action))
        .collect()
}

fn status(dir: &Path) -> String {
    git(dir, &["status", "--porcelain=v1", "--untracked-files=all"])
}

fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = gates::artifacts::names::walk(dir)
        .unwrap()
        .into_iter()
        .filter(|p| !p.starts_with(".git/"))
        .map(|p| {
            let bytes = std::fs::read(dir.join(&p)).unwrap_or_default();
            (p, bytes)
        })
        .collect();
    v.sort();
    v
}

#[test]
fn plan_classifies_every_file_of_the_pass_root() {
    let t = fixture("cleanup-before");
    let (_, m) = cleanup::write_plan(t.path(), PASS, &cfg()).unwrap();
    use Action::*;
    let want: Vec<(String, Action)> = [
        ("A7_REVIEW_DISPOSITION.md", Retain),
        ("A8_CLEANUP_MANIFEST.md", Retain),
        ("AGENT_1_FINAL_HOST.md", Retain),
        ("AGENT_1_PLAN_VERBATIM.md", Delete),
        ("AGENT_1_SCRATCHPAD.md", Delete),
        // Agent 2 has no final: its plan has record value.
        ("AGENT_2_PLAN_VERBATIM.md", Archive),
        ("AGENT_3_FINAL_REVIEW.md", Retain),
        ("AGENT_3_NOTES.md", Archive),
        ("AGENT_3_REVIEW_DRAFT.md", Delete),
        // Cited by the A7 disposition: never dropped.
        ("AGENT_3_REVIEW_TS.md", Retain),
        ("ORCHESTRATOR_PLAN_VERBATIM.md", Retain),
        ("ORCHESTRATOR_SCRATCHPAD.md", Retain),
        ("notes.txt", Archive),
    ]
    .iter()
    .map(|(p, a)| (p.to_string(), *a))
    .collect();
    assert_eq!(actions(&m), want);
    assert!(m.entries.iter().all(|e| !e.rationale.trim().is_empty()));
    // The written manifest parses back to the same entries.
    let text = std::fs::read_to_string(t.path().join("pass/A8_CLEANUP_MANIFEST.md")).unwrap();
    let (back, problems) = cleanup::parse("pass/A8_CLEANUP_MANIFEST.md", &text);
    assert_eq!(problems, vec![]);
    assert_eq!(actions(&back), want);
}

#[test]
fn check_before_apply_then_apply_then_fix_links() {
    let t = fixture("cleanup-before");
    git_repo(t.path());
    cleanup::write_plan(t.path(), PASS, &cfg()).unwrap();
    git(t.path(), &["add", "-A"]);
    git(t.path(), &["commit", "-q", "-m", "plan"]);
    let r = run("docs-cleanup", t.path(), None);
    let m = "pass/A8_CLEANUP_MANIFEST.md";
    // Rows are sorted by path; the table starts on line 8 (header) so row 1 is line 10.
    assert_eq!(
        errors(&r),
        vec![
            // The canonical guide links to a path the manifest deletes.
            f("link-to-deleted-path", "docs/guide.md", 3, 45),
            f("deleted-path-present", m, 13, 3),
            f("deleted-path-present", m, 14, 3),
            f("archive-not-applied", m, 15, 3),
            f("archive-not-applied", m, 17, 3),
            f("deleted-path-present", m, 18, 3),
            f("archive-not-applied", m, 22, 3),
        ]
    );

    let out = cleanup::apply(t.path(), PASS, &cfg(), true).unwrap();
    assert_eq!(out.actions.len(), 6, "{:#?}", out.actions);
    // Deletions and moves are staged with git; archived files are at their destination.
    assert!(t.path().join("pass/_archive/AGENT_3_NOTES.md").is_file());
    assert!(t.path().join("pass/_archive/notes.txt").is_file());
    assert!(!t.path().join("pass/AGENT_1_PLAN_VERBATIM.md").exists());
    let st = status(t.path());
    assert!(st.contains("D  pass/AGENT_1_PLAN_VERBATIM.md"), "{st}");
    assert!(
        st.contains("R  pass/notes.txt -> pass/_archive/notes.txt"),
        "{st}"
    );

    // The tree now agrees with the manifest; the canonical guide still links to the deleted plan.
    let r = run("docs-cleanup", t.path(), None);
    assert_eq!(
        errors(&r),
        vec![f("link-to-deleted-path", "docs/guide.md", 3, 45)]
    );
    std::fs::write(
        t.path().join("docs/guide.md"),
        "# Guide\n\nSee [agent 1's final](../pass/AGENT_1_FINAL_HOST.md).\n",
    )
    .unwrap();
    assert_eq!(errors(&run("docs-cleanup", t.path(), None)), vec![]);

    // Idempotent: nothing left to do, and planning again changes nothing.
    git(t.path(), &["add", "-A"]);
    git(t.path(), &["commit", "-q", "-m", "cleanup"]);
    let before = std::fs::read(t.path().join(m)).unwrap();
    assert!(
        cleanup::apply(t.path(), PASS, &cfg(), true)
            .unwrap()
            .actions
            .is_empty()
    );
    cleanup::write_plan(t.path(), PASS, &cfg()).unwrap();
    assert_eq!(std::fs::read(t.path().join(m)).unwrap(), before);
}

#[test]
fn plan_keeps_a_persons_edits() {
    let t = fixture("cleanup-before");
    let (path, _) = cleanup::write_plan(t.path(), PASS, &cfg()).unwrap();
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "| `notes.txt` | archive | `_archive/notes.txt` | not a known pass artifact: archived rather than deleted |",
        "| `notes.txt` | delete | — | duplicate of the scratchpad |",
    );
    std::fs::write(&path, text).unwrap();
    std::fs::write(t.path().join("pass/AGENT_4_PLAN_VERBATIM.md"), "# new\n").unwrap();
    let (_, m) = cleanup::write_plan(t.path(), PASS, &cfg()).unwrap();
    let notes = m.entries.iter().find(|e| e.path == "notes.txt").unwrap();
    assert_eq!(
        (notes.action, notes.rationale.as_str()),
        (Action::Delete, "duplicate of the scratchpad")
    );
    assert!(
        m.entries
            .iter()
            .any(|e| e.path == "AGENT_4_PLAN_VERBATIM.md" && e.action == Action::Archive)
    );
}

#[test]
fn dry_run_changes_nothing() {
    let t = fixture("cleanup-before");
    git_repo(t.path());
    let before = (snapshot(t.path()), status(t.path()));
    let out = cleanup::apply(t.path(), PASS, &cfg(), false).unwrap();
    assert!(out.dry_run);
    // It would write the manifest first, then act.
    assert_eq!(out.actions[0], "write pass/A8_CLEANUP_MANIFEST.md");
    assert_eq!(out.actions.len(), 7);
    assert_eq!((snapshot(t.path()), status(t.path())), before);
}

fn refused(t: &Path, needle: &str) {
    let before = (snapshot(t), status(t));
    let err = cleanup::apply(t, PASS, &cfg(), true)
        .unwrap_err()
        .to_string();
    assert!(err.contains(needle), "{err}");
    assert!(err.contains("nothing was changed"), "{err}");
    assert_eq!(
        (snapshot(t), status(t)),
        before,
        "a refused apply changed the tree"
    );
}

fn edit_manifest(t: &Path, row: &str) {
    let (path, _) = cleanup::write_plan(t, PASS, &cfg()).unwrap();
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.push_str(row);
    std::fs::write(&path, text).unwrap();
    git(t, &["add", "-A"]);
    git(t, &["commit", "-q", "-m", "manifest"]);
}

#[test]
fn apply_refuses_a_dirty_tree() {
    let t = fixture("cleanup-before");
    git_repo(t.path());
    std::fs::write(t.path().join("src/app.ts"), "export {};\n").unwrap();
    refused(t.path(), "uncommitted change ` M` src/app.ts");
}

#[test]
fn apply_refuses_paths_escaping_the_pass_root() {
    let t = fixture("cleanup-before");
    git_repo(t.path());
    edit_manifest(t.path(), "| `../src/app.ts` | delete | — | escape |\n");
    refused(t.path(), "climbs out of the pass root");

    let t = fixture("cleanup-before");
    git_repo(t.path());
    edit_manifest(t.path(), "| `/etc/hostname` | delete | — | escape |\n");
    refused(t.path(), "is absolute");

    let t = fixture("cleanup-before");
    std::os::unix::fs::symlink(t.path().join("src"), t.path().join("pass/linked")).unwrap();
    git_repo(t.path());
    edit_manifest(
        t.path(),
        "| `linked/app.ts` | delete | — | through a symlink |\n",
    );
    refused(t.path(), "goes through the symlink `linked`");
}

#[test]
fn apply_refuses_to_remove_protected_or_untracked_files() {
    let t = fixture("cleanup-before");
    git_repo(t.path());
    let (path, _) = cleanup::write_plan(t.path(), PASS, &cfg()).unwrap();
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "| `AGENT_1_FINAL_HOST.md` | retain |",
        "| `AGENT_1_FINAL_HOST.md` | delete |",
    );
    std::fs::write(&path, text).unwrap();
    refused(
        t.path(),
        "`AGENT_1_FINAL_HOST.md` is an orchestrator file, final or closure output",
    );
    // The gate says the same, at the row.
    let r = run("docs-cleanup", t.path(), None);
    assert!(
        errors(&r).contains(&f(
            "protected-file-not-retained",
            "pass/A8_CLEANUP_MANIFEST.md",
            12,
            3
        )),
        "{:?}",
        errors(&r)
    );

    let t = fixture("cleanup-before");
    std::fs::write(t.path().join(".gitignore"), "pass/notes.txt\n").unwrap();
    git_repo(t.path());
    let (path, _) = cleanup::write_plan(t.path(), PASS, &cfg()).unwrap();
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "| `notes.txt` | archive | `_archive/notes.txt` |",
        "| `notes.txt` | delete | — |",
    );
    std::fs::write(&path, text).unwrap();
    git(t.path(), &["add", "-A"]);
    git(t.path(), &["commit", "-q", "-m", "manifest"]);
    refused(
        t.path(),
        "`notes.txt` is not tracked by git, so deleting it would lose it",
    );
}

#[test]
fn a_manifest_split_over_several_tables_is_read_whole() {
    let t = fixture("complete");
    let m = t.path().join("pass/A8_CLEANUP_MANIFEST.md");
    let text = std::fs::read_to_string(&m).unwrap();
    // Move the delete row into a second table under its own heading.
    let row = "| `AGENT_1_PLAN_VERBATIM.md` | delete | — | superseded plan |\n";
    assert!(text.contains(row));
    let text = text.replace(row, "")
        + "\n## Deleted\n\n| path | action | destination | rationale |\n| --- | --- | --- | --- |\n"
        + row;
    std::fs::write(&m, &text).unwrap();
    assert_eq!(errors(&run("docs-cleanup", t.path(), None)), vec![]);
    // The second table is really read: the deleted file reappearing is caught there.
    std::fs::write(t.path().join("pass/AGENT_1_PLAN_VERBATIM.md"), "# back\n").unwrap();
    assert_eq!(
        errors(&run("docs-cleanup", t.path(), None)),
        vec![f(
            "deleted-path-present",
            "pass/A8_CLEANUP_MANIFEST.md",
            23,
            3
        )]
    );
}

#[test]
fn check_reports_unaccounted_files_and_bad_rows() {
    let t = fixture("complete");
    std::fs::write(t.path().join("pass/STRAY.md"), "# stray\n").unwrap();
    std::fs::write(t.path().join("pass/_archive/LOOSE.md"), "# loose\n").unwrap();
    let m = t.path().join("pass/A8_CLEANUP_MANIFEST.md");
    let mut text = std::fs::read_to_string(&m).unwrap();
    text.push_str("| `AGENT_1_FINAL_HOST.md` | retain | — | again |\n| `X.md` | shred | — | no such action |\n| `Y.md` | retain | — | |\n");
    std::fs::write(&m, text).unwrap();
    let r = run("docs-cleanup", t.path(), None);
    assert_eq!(
        errors(&r),
        vec![
            f("duplicate-entry", "pass/A8_CLEANUP_MANIFEST.md", 19, 3),
            f("invalid-action", "pass/A8_CLEANUP_MANIFEST.md", 20, 12),
            f(
                "retained-path-missing",
                "pass/A8_CLEANUP_MANIFEST.md",
                21,
                3
            ),
            f("rationale-missing", "pass/A8_CLEANUP_MANIFEST.md", 21, 25),
        ]
    );
    // A file the manifest does not mention is a warning (SPEC §7): nothing is excluded
    // silently, and nothing fails on it alone.
    assert_eq!(
        warnings(&r),
        vec![
            f("unaccounted-file", "pass/STRAY.md", 0, 0),
            f("unaccounted-file", "pass/_archive/LOOSE.md", 0, 0),
        ]
    );
}

/// A manifest written by hand in the form people use (Date/Branch lines, a goal, executed
/// actions, a Deleted list of files long gone, a Retained list with nested items, a
/// rationale section), with the later A8/A9 documents beside it. `plan` rewrote it in its own
/// table form: every line but the title was lost, the Deleted list vanished and the A8
/// reviews were scheduled for archival, turning the green gate red.
#[test]
fn plan_leaves_a_hand_written_manifest_that_mentions_every_file_untouched() {
    let t = fixture("hand-written-manifest");
    let m = "pass/A8_CLEANUP_MANIFEST.md";
    let before = std::fs::read(t.path().join(m)).unwrap();
    let r = run("docs-cleanup", t.path(), None);
    assert_eq!((errors(&r), warnings(&r)), (vec![], vec![]));

    let p = cleanup::write_plan_merged(t.path(), PASS, &cfg()).unwrap();
    assert!(!p.created);
    assert_eq!(p.added, vec![]);
    assert_eq!(
        p.later,
        vec![
            "A9_PHASE_B_READINESS.md",
            "AGENT_A8_REVIEW.md",
            "AGENT_A8_REVIEW_RERUN.md"
        ]
    );
    assert_eq!(std::fs::read(t.path().join(m)).unwrap(), before);
    // The person's six deletions are all still there, as deletions.
    let deleted: Vec<&str> = p
        .manifest
        .entries
        .iter()
        .filter(|e| e.action == Action::Delete)
        .map(|e| e.path.as_str())
        .collect();
    assert_eq!(deleted.len(), 6, "{deleted:?}");
    let r = run("docs-cleanup", t.path(), None);
    assert_eq!((errors(&r), warnings(&r)), (vec![], vec![]));
}

/// Files the hand-written manifest does not mention are appended under a marked heading;
/// the person's text is the unchanged prefix of the new file, and a second plan adds
/// nothing.
#[test]
fn plan_appends_only_what_a_hand_written_manifest_misses_and_is_idempotent() {
    let t = fixture("hand-written-manifest");
    let m = t.path().join("pass/A8_CLEANUP_MANIFEST.md");
    let before = std::fs::read_to_string(&m).unwrap();
    std::fs::write(t.path().join("pass/AGENT_1_REVIEW_DRAFT.md"), "# draft\n").unwrap();
    std::fs::write(t.path().join("pass/AGENT_4_SCRATCHPAD.md"), "# notes\n").unwrap();
    // A file the person listed as deleted that has come back is not re-classified.
    std::fs::write(t.path().join("pass/AGENT_1_SCRATCHPAD.md"), "# back\n").unwrap();

    let p = cleanup::write_plan_merged(t.path(), PASS, &cfg()).unwrap();
    let after = std::fs::read_to_string(&m).unwrap();
    assert!(after.starts_with(&before), "the person's text is not kept");
    assert_eq!(
        &after[before.len()..],
        "
<!-- Added by `cargo xtask cleanup plan`: files of the pass root the lists above do not
     mention, as the tool classifies them; everything above is kept as written. Review each
     row (change an action or a rationale, or move it into your own lists): the next plan
     adds only files still unmentioned. Format: docs/closure-format.md. -->
## Added by cleanup plan

| path | action | destination | rationale |
| --- | --- | --- | --- |
| `AGENT_1_REVIEW_DRAFT.md` | delete | — | intermediate draft: agent 1's final `AGENT_1_FINAL_HOST.md` exists |
| `AGENT_4_SCRATCHPAD.md` | archive | `_archive/AGENT_4_SCRATCHPAD.md` | record value: agent 4 has no final output |
"
    );
    assert_eq!(p.added.len(), 2);
    // What the person listed is read as before, and the additions after it.
    let (back, problems) = cleanup::parse("pass/A8_CLEANUP_MANIFEST.md", &after);
    assert_eq!(problems, vec![]);
    let (orig, _) = cleanup::parse("pass/A8_CLEANUP_MANIFEST.md", &before);
    // (tables are read before lists: the added rows come first)
    assert_eq!(actions(&back)[2..], actions(&orig)[..]);
    assert!(actions(&back).contains(&("AGENT_1_SCRATCHPAD.md".to_string(), Action::Delete)));

    // Idempotent: the second plan adds nothing and leaves the file as it is.
    let again = cleanup::write_plan_merged(t.path(), PASS, &cfg()).unwrap();
    assert_eq!(again.added, vec![]);
    assert_eq!(std::fs::read_to_string(&m).unwrap(), after);
}

/// A manifest without a final newline still keeps its last line; the added heading takes
/// the level of the document's sections.
#[test]
fn appended_rows_follow_a_last_line_without_newline_at_the_sections_level() {
    let e = cleanup::Entry {
        path: "X.md".into(),
        action: Action::Retain,
        destination: None,
        rationale: "kept | on purpose".into(),
        line: 0,
        path_col: 0,
        dest_col: 0,
    };
    let s = cleanup::append_added("# Title\n### Kept\n- `A.md`", std::slice::from_ref(&e));
    assert!(
        s.starts_with("# Title\n### Kept\n- `A.md`\n\n<!-- Added"),
        "{s}"
    );
    assert!(
        s.ends_with("### Added by cleanup plan\n\n| path | action | destination | rationale |\n| --- | --- | --- | --- |\n| `X.md` | retain | — | kept \\| on purpose |\n"),
        "{s}"
    );
}

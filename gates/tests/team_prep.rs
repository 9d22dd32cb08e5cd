//! Stage 0's order of events (`orchestrator-artifacts`): team prep (agent sweep, freshness,
//! capacity) is logged in the scratchpad and dated before the first implementation slice's
//! first commit. Scenarios in the shape of the user's history: A0's commit authored
//! 2026-02-20T19:05:20-05:00 (00:05:20Z) and the scratchpad committed later, so only the
//! entry's own time and the commit's author date can tell the order.

use std::path::Path;

use crate::closure_support::{errors, f, fixture, git, git_env, pipeline_with, run_in};

const SP: &str = "pass/ORCHESTRATOR_SCRATCHPAD.md";

const START: &str = "# ORCHESTRATOR_SCRATCHPAD\n\n## 2026-02-20T23:31:38Z - Stage 0 Start\n- Execution runbook written verbatim.\n- Next: agent sweep, then Stage 1.\n\n";

const TEAM_PREP: &str = "## 2026-02-20T23:31:46Z - Team Prep Sweep\n- Active agents from context: none retained.\n- Freshness decision: fresh default agents for A0/A1/A3.\n- Capacity target: 3 concurrent.\n\n";

fn at(d: &str) -> [(&str, &str); 2] {
    [("GIT_AUTHOR_DATE", d), ("GIT_COMMITTER_DATE", d)]
}

/// A git history like the user's: the fixture, then A0's commit (its message names the
/// slice), then the scratchpad `text` committed later.
fn history(repo: &Path, text: &str) -> String {
    std::fs::remove_file(repo.join(SP)).unwrap();
    git(repo, &["init", "-q", "-b", "main"]);
    git(repo, &["add", "-A"]);
    git_env(
        repo,
        &["commit", "-q", "-m", "docs: spec packet"],
        &at("2026-02-20T18:00:00-05:00"),
    );
    std::fs::write(repo.join("gate.ts"), "export {};\n").unwrap();
    git(repo, &["add", "gate.ts"]);
    git_env(
        repo,
        &[
            "commit",
            "-q",
            "-m",
            "feat(phase-a): wire gate scaffolding and baseline checks",
            "-m",
            "Implements A0 gate/script scaffolding.",
        ],
        &at("2026-02-20T19:05:20-05:00"),
    );
    let a0 = git(repo, &["rev-parse", "--short=8", "HEAD"])
        .trim()
        .to_string();
    std::fs::write(repo.join(SP), text).unwrap();
    git(repo, &["add", SP]);
    git_env(
        repo,
        &[
            "commit",
            "-q",
            "-m",
            "docs(phase-a): publish report and handoff",
        ],
        &at("2026-02-20T22:11:38-05:00"),
    );
    a0
}

fn judge(repo: &Path) -> gates::run::GateResult {
    let p = pipeline_with(
        "check = \"orchestrator-artifacts\"\nparams = { append_only = true, entry_timestamps = true, team_prep = true }\n",
        "check = \"orchestrator-artifacts\"\nparams = { first_slice = \"A0\", append_only = true, entry_timestamps = true, team_prep = true }\n",
    );
    run_in(&p, "orchestrator-artifacts", repo, None)
}

#[test]
fn team_prep_dated_before_the_first_implementation_commit_passes() {
    let t = fixture("complete");
    let a0 = history(t.path(), &format!("{START}{TEAM_PREP}"));
    let r = judge(t.path());
    assert_eq!(errors(&r), vec![], "{:#?}", r.findings);
    assert!(
        r.notes.iter().any(|n| n.contains(&format!(
            "{SP}:7, 2026-02-20T23:31:46) is dated before commit {a0}, the first commit of A0 (authored 2026-02-21T00:05:20Z)"
        ))),
        "{:#?}",
        r.notes
    );
}

#[test]
fn team_prep_dated_after_the_first_implementation_commit_fails_naming_it() {
    let t = fixture("complete");
    let late = TEAM_PREP.replace("2026-02-20T23:31:46Z", "2026-02-21T00:12:03Z");
    let a0 = history(t.path(), &format!("{START}{late}"));
    let r = judge(t.path());
    assert_eq!(
        errors(&r),
        vec![f("team-prep-after-implementation", SP, 7, 1)]
    );
    assert_eq!(
        r.findings[0].message,
        format!(
            "team prep is dated 2026-02-21T00:12:03, after commit {a0}, the first commit of A0 (authored 2026-02-21T00:05:20Z): no implementation begins until team prep is complete and logged"
        )
    );
}

#[test]
fn no_team_prep_or_an_incomplete_one_fails() {
    let t = fixture("complete");
    history(t.path(), START);
    assert_eq!(
        errors(&judge(t.path())),
        vec![f("team-prep-missing", SP, 0, 0)]
    );

    let t = fixture("complete");
    let no_capacity = TEAM_PREP.replace("- Capacity target: 3 concurrent.\n", "");
    history(t.path(), &format!("{START}{no_capacity}"));
    let r = judge(t.path());
    assert_eq!(errors(&r), vec![f("team-prep-incomplete", SP, 7, 1)]);
    assert_eq!(
        r.findings[0].message,
        "team prep records no capacity decision"
    );
}

/// Team prep is a rule of the runbook that asks for it: a pipeline that does not turn it on
/// (the later phases keep a preflight ledger instead) gets no team-prep finding.
#[test]
fn team_prep_is_judged_only_when_the_pipeline_turns_it_on() {
    let t = fixture("complete");
    history(t.path(), START);
    let p = pipeline_with(
        "check = \"orchestrator-artifacts\"\nparams = { append_only = true, entry_timestamps = true, team_prep = true }\n",
        "check = \"orchestrator-artifacts\"\nparams = { first_slice = \"A0\", append_only = true, entry_timestamps = true }\n",
    );
    let r = run_in(&p, "orchestrator-artifacts", t.path(), None);
    assert!(
        r.findings.iter().all(|f| !f.rule.starts_with("team-prep")),
        "{:?}",
        r.findings
    );
    assert_eq!(
        errors(&judge(t.path())),
        vec![f("team-prep-missing", SP, 0, 0)]
    );
}

#[test]
fn the_first_commit_can_be_named_when_no_message_names_the_slice() {
    let t = fixture("complete");
    history(t.path(), &format!("{START}{TEAM_PREP}"));
    // The earliest commit of the history, 23:00Z, is before the team prep entry.
    let first = git(t.path(), &["rev-list", "--max-parents=0", "HEAD"])
        .trim()
        .to_string();
    let p = pipeline_with(
        "check = \"orchestrator-artifacts\"\nparams = { append_only = true, entry_timestamps = true, team_prep = true }\n",
        &format!(
            "check = \"orchestrator-artifacts\"\nparams = {{ first_slice = \"A0\", first_commit = \"{first}\", append_only = true, entry_timestamps = true, team_prep = true }}\n"
        ),
    );
    let r = run_in(&p, "orchestrator-artifacts", t.path(), None);
    assert_eq!(
        errors(&r),
        vec![f("team-prep-after-implementation", SP, 7, 1)]
    );
}

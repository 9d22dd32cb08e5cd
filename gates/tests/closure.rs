//! The closure gates on the fixture pass roots of `tests/fixtures/closure/`: one tree per
//! scenario, exact findings (rule, path, line, column) per gate.

use crate::closure_support;

use closure_support::*;

#[test]
fn complete_pass_root_passes_every_file_gate() {
    let t = fixture("complete");
    for gate in [
        "orchestrator-artifacts",
        "agent-outputs",
        "review-closure",
        "structural-closure",
        "docs-cleanup",
        "phase-b-readiness",
    ] {
        let r = run(gate, t.path(), None);
        assert_eq!(errors(&r), vec![], "{gate}: {:#?}", r.findings);
        assert_eq!(
            r.status,
            gates::run::Status::Passed,
            "{gate}: {:?}",
            r.reason
        );
    }
}

#[test]
fn complete_pass_root_passes_preflight_and_handoff_in_a_full_run() {
    let t = fixture("complete");
    git_repo(t.path());
    let (record, _) = run_pipeline(t.path());
    let statuses: Vec<(String, gates::run::Status)> = record
        .gates
        .iter()
        .map(|g| (g.id.clone(), g.status))
        .collect();
    assert!(
        record
            .gates
            .iter()
            .all(|g| g.status == gates::run::Status::Passed),
        "{statuses:#?}\n{:#?}",
        record.gates
    );
    // The run appended to the scratchpad and wrote .rawr-gates/; neither makes the tree dirty.
    let handoff = record.gates.iter().find(|g| g.id == "handoff").unwrap();
    assert!(
        handoff
            .notes
            .iter()
            .any(|n| n.contains("ORCHESTRATOR_SCRATCHPAD.md")),
        "{:?}",
        handoff.notes
    );
}

#[test]
fn manifest_listing_retained_files_that_do_not_exist() {
    let t = fixture("manifest-retains-missing-files");
    let r = run("docs-cleanup", t.path(), None);
    assert_eq!(
        errors(&r),
        vec![
            f(
                "retained-path-missing",
                "pass/A8_CLEANUP_MANIFEST.md",
                12,
                3
            ),
            f(
                "retained-path-missing",
                "pass/A8_CLEANUP_MANIFEST.md",
                20,
                3
            ),
        ]
    );
}

#[test]
fn dangling_evidence_in_finals_and_disposition() {
    let t = fixture("dangling-evidence");
    assert_eq!(
        errors(&run("agent-outputs", t.path(), None)),
        vec![
            f(
                "evidence-line-out-of-range",
                "pass/AGENT_1_FINAL_HOST.md",
                9,
                17
            ),
            f(
                "evidence-file-missing",
                "pass/AGENT_1_FINAL_HOST.md",
                10,
                13
            ),
            f(
                "evidence-outside-repo",
                "pass/AGENT_1_FINAL_HOST.md",
                11,
                14
            ),
        ]
    );
    assert_eq!(
        errors(&run("review-closure", t.path(), None)),
        vec![f(
            "evidence-file-missing",
            "pass/A7_REVIEW_DISPOSITION.md",
            7,
            44
        )]
    );
}

#[test]
fn open_high_finding_fails_review_closure() {
    let t = fixture("open-high-finding");
    assert_eq!(
        errors(&run("review-closure", t.path(), None)),
        vec![f(
            "blocking-or-high-not-resolved",
            "pass/A7_REVIEW_DISPOSITION.md",
            7,
            16
        )]
    );
}

#[test]
fn deferred_medium_without_owner_and_target_slice() {
    let t = fixture("deferred-medium-without-owner");
    assert_eq!(
        errors(&run("review-closure", t.path(), None)),
        vec![
            f(
                "medium-disposition-incomplete",
                "pass/A7_REVIEW_DISPOSITION.md",
                8,
                46
            ),
            f(
                "medium-disposition-incomplete",
                "pass/A7_REVIEW_DISPOSITION.md",
                8,
                83
            ),
        ]
    );
}

#[test]
fn not_ready_with_blockers_is_consistent_but_fails_unless_not_ready_is_accepted() {
    let t = fixture("not-ready-with-blockers");
    // Phase B does not open on `not-ready`: the gate fails by default.
    let r = run("phase-b-readiness", t.path(), None);
    assert_eq!(
        errors(&r),
        vec![f(
            "next-phase-not-ready",
            "pass/A9_PHASE_B_READINESS.md",
            3,
            1
        )]
    );
    // With require_ready = false a consistent not-ready is a warning.
    let p = pipeline_with(
        "[gate.phase-b-readiness]\ncheck = \"phase-b-readiness\"\n",
        "[gate.phase-b-readiness]\ncheck = \"phase-b-readiness\"\nparams = { require_ready = false }\n",
    );
    let r = run_in(&p, "phase-b-readiness", t.path(), None);
    assert_eq!(r.status, gates::run::Status::Passed);
    assert_eq!(errors(&r), vec![]);
    assert_eq!(
        warnings(&r),
        vec![f(
            "next-phase-not-ready",
            "pass/A9_PHASE_B_READINESS.md",
            3,
            1
        )]
    );
}

#[test]
fn ready_with_blockers_fails_at_each_blocker() {
    let t = fixture("ready-with-blockers");
    assert_eq!(
        errors(&run("phase-b-readiness", t.path(), None)),
        vec![
            f("ready-with-blockers", "pass/A9_PHASE_B_READINESS.md", 7, 1),
            f("ready-with-blockers", "pass/A9_PHASE_B_READINESS.md", 9, 1),
        ]
    );
}

#[test]
fn pruned_pass_root_with_only_closure_documents() {
    let t = fixture("pruned-pass-root");
    assert_eq!(
        errors(&run("orchestrator-artifacts", t.path(), None)),
        vec![
            f("plan-missing", "pass/ORCHESTRATOR_PLAN_VERBATIM.md", 0, 0),
            f(
                "scratchpad-missing",
                "pass/ORCHESTRATOR_SCRATCHPAD.md",
                0,
                0
            ),
        ]
    );
    assert_eq!(
        errors(&run("agent-outputs", t.path(), None)),
        vec![
            f("agent-finals-missing", "pass", 0, 0),
            // The disposition cites three reports that are not in the tree.
            f(
                "cited-artifact-missing",
                "pass/A7_REVIEW_DISPOSITION.md",
                5,
                23
            ),
            f(
                "cited-artifact-missing",
                "pass/A7_REVIEW_DISPOSITION.md",
                6,
                17
            ),
            f(
                "cited-artifact-missing",
                "pass/A7_REVIEW_DISPOSITION.md",
                7,
                4
            ),
            // The handoff names outputs that were pruned.
            f(
                "cited-artifact-missing",
                "pass/FINAL_PHASE_A_HANDOFF.md",
                12,
                17
            ),
            f(
                "cited-artifact-missing",
                "pass/FINAL_PHASE_A_HANDOFF.md",
                29,
                8
            ),
            f(
                "cited-artifact-missing",
                "pass/FINAL_PHASE_A_HANDOFF.md",
                30,
                8
            ),
            f(
                "cited-artifact-missing",
                "pass/FINAL_PHASE_A_HANDOFF.md",
                31,
                8
            ),
        ]
    );
    assert_eq!(
        errors(&run("docs-cleanup", t.path(), None)),
        vec![
            f(
                "retained-path-missing",
                "pass/A8_CLEANUP_MANIFEST.md",
                10,
                3
            ),
            f(
                "retained-path-missing",
                "pass/A8_CLEANUP_MANIFEST.md",
                12,
                3
            ),
            f(
                "archived-path-missing",
                "pass/A8_CLEANUP_MANIFEST.md",
                13,
                34
            ),
            f(
                "retained-path-missing",
                "pass/A8_CLEANUP_MANIFEST.md",
                16,
                3
            ),
            // A retained scratchpad must exist like any retained file.
            f(
                "retained-path-missing",
                "pass/A8_CLEANUP_MANIFEST.md",
                17,
                3
            ),
            f(
                "retained-path-missing",
                "pass/A8_CLEANUP_MANIFEST.md",
                18,
                3
            ),
        ]
    );
    // The disposition rests on reviews the pruning removed: review-closure names every
    // dangling reference (a link, a link, a name in a code span).
    assert_eq!(
        errors(&run("review-closure", t.path(), None)),
        vec![
            f(
                "cited-artifact-missing",
                "pass/A7_REVIEW_DISPOSITION.md",
                5,
                23
            ),
            f(
                "cited-artifact-missing",
                "pass/A7_REVIEW_DISPOSITION.md",
                6,
                17
            ),
            f(
                "cited-artifact-missing",
                "pass/A7_REVIEW_DISPOSITION.md",
                7,
                4
            ),
        ]
    );
    for gate in ["structural-closure", "phase-b-readiness"] {
        assert_eq!(errors(&run(gate, t.path(), None)), vec![], "{gate}");
    }
}

#[test]
fn edited_plan_fails_its_checksum() {
    let t = fixture("complete");
    let plan = t.path().join("pass/ORCHESTRATOR_PLAN_VERBATIM.md");
    let text = std::fs::read_to_string(&plan)
        .unwrap()
        .replace("Run the slices.", "Run some slices.");
    std::fs::write(&plan, text).unwrap();
    assert_eq!(
        errors(&run("orchestrator-artifacts", t.path(), None)),
        vec![f(
            "plan-checksum-mismatch",
            "pass/ORCHESTRATOR_PLAN_VERBATIM.md",
            1,
            1
        )]
    );
    // The header is optional: a plan written down by hand is present and not empty.
    std::fs::write(&plan, "# Runbook\n\nno header\n").unwrap();
    assert_eq!(
        errors(&run("orchestrator-artifacts", t.path(), None)),
        vec![]
    );
    std::fs::write(&plan, "\n  \n").unwrap();
    assert_eq!(
        errors(&run("orchestrator-artifacts", t.path(), None)),
        vec![f("plan-empty", "pass/ORCHESTRATOR_PLAN_VERBATIM.md", 1, 1)]
    );
    // A header that is there but broken is a finding, not a plan without a header.
    std::fs::write(
        &plan,
        "<!-- rawr-gates:plan-verbatim sha256=xyz -->\n# Runbook\n",
    )
    .unwrap();
    assert_eq!(
        errors(&run("orchestrator-artifacts", t.path(), None)),
        vec![f(
            "plan-header-invalid",
            "pass/ORCHESTRATOR_PLAN_VERBATIM.md",
            1,
            1
        )]
    );
}

#[test]
fn rewritten_committed_scratchpad_fails() {
    let t = fixture("complete");
    git_repo(t.path());
    let sp = t.path().join("pass/ORCHESTRATOR_SCRATCHPAD.md");
    // Appending is fine.
    let mut text = std::fs::read_to_string(&sp).unwrap();
    text.push_str("- 2026-02-20T09:00:00Z A0 green\n");
    std::fs::write(&sp, &text).unwrap();
    assert_eq!(
        errors(&run("orchestrator-artifacts", t.path(), None)),
        vec![]
    );
    // Rewriting a committed entry is not.
    std::fs::write(&sp, text.replace("agents 1 and 2 fresh", "agents reused")).unwrap();
    assert_eq!(
        errors(&run("orchestrator-artifacts", t.path(), None)),
        vec![f(
            "scratchpad-rewritten",
            "pass/ORCHESTRATOR_SCRATCHPAD.md",
            3,
            1
        )]
    );
}

#[test]
fn a_scratchpad_rewritten_in_an_earlier_commit_fails() {
    let t = fixture("complete");
    git_repo(t.path());
    let sp = t.path().join("pass/ORCHESTRATOR_SCRATCHPAD.md");
    let commit = |msg: &str| {
        git(t.path(), &["commit", "-q", "-am", msg]);
    };
    let text = std::fs::read_to_string(&sp).unwrap();
    std::fs::write(&sp, format!("{text}- 2026-02-20T09:00:00Z A0 green\n")).unwrap();
    commit("append");
    assert_eq!(
        errors(&run("orchestrator-artifacts", t.path(), None)),
        vec![]
    );
    // A later commit rewrites the first entry and appends: the work tree is clean, the
    // history is not append-only.
    let text = std::fs::read_to_string(&sp).unwrap();
    std::fs::write(
        &sp,
        format!(
            "{}- 2026-02-20T10:00:00Z A1 green\n",
            text.replace("agents 1 and 2 fresh", "agents reused")
        ),
    )
    .unwrap();
    commit("rewrite");
    let r = run("orchestrator-artifacts", t.path(), None);
    assert_eq!(
        errors(&r),
        vec![f(
            "scratchpad-rewritten",
            "pass/ORCHESTRATOR_SCRATCHPAD.md",
            3,
            1
        )]
    );
    assert!(r.findings[0].message.contains("append-only"));
}

#[test]
fn scratchpad_entries_carry_timestamps_in_order() {
    let sp = "pass/ORCHESTRATOR_SCRATCHPAD.md";
    let with = |text: &str| {
        let t = fixture("complete");
        std::fs::write(t.path().join(sp), text).unwrap();
        run("orchestrator-artifacts", t.path(), None)
    };
    // Entries as headings, the way people write them; details below them are free.
    let r = with(
        "# ORCHESTRATOR_SCRATCHPAD\n\n## 2026-02-20T23:31:38Z - Stage 0 Start\n- Runbook written verbatim.\n\n## 2026-02-20T23:31:46Z - Team Prep Sweep\n- No stale agents; fresh agents; capacity 3.\n\n## 2026-02-20 23:44 UTC - Recovery Decision\n### Why\n- Collision.\n",
    );
    assert_eq!(errors(&r), vec![]);
    assert_eq!(warnings(&r), vec![]);
    // An entry without a time; one timestamped before the entry above it (a warning).
    let r = with(
        "# ORCHESTRATOR_SCRATCHPAD\n\n## 2026-02-20T23:31:38Z - Stage 0 Start\n\n## Team Prep Sweep: no stale agents, fresh agents, capacity 3\n\n## 2026-02-20T22:00:00Z - Recovery Decision\n",
    );
    assert_eq!(
        errors(&r),
        vec![f("scratchpad-entry-untimestamped", sp, 5, 1)]
    );
    assert_eq!(
        warnings(&r),
        vec![f("scratchpad-entry-out-of-order", sp, 7, 1)]
    );
    // Entries as list items, the way the tool appends them.
    let r = with(
        "# Orchestrator scratchpad\n\n- 2026-02-20T08:00:00Z plan; team prep: none stale, fresh agents, capacity 2\n- A0 green\n",
    );
    assert_eq!(
        errors(&r),
        vec![f("scratchpad-entry-untimestamped", sp, 4, 1)]
    );
    // Prose with no entry and no time at all.
    let r = with("# Orchestrator scratchpad\n\nStarted the pass.\n");
    assert_eq!(
        errors(&r),
        vec![
            f("team-prep-missing", sp, 0, 0),
            f("scratchpad-untimestamped", sp, 1, 1)
        ]
    );
}

#[test]
fn agent_final_missing_and_empty_sections() {
    let t = fixture("complete");
    std::fs::write(
        t.path().join("pass/AGENT_3_FINAL_DOCS.md"),
        "# Agent 3\n\n## Skills Introspected\n\n<!-- to do -->\n\n## Evidence Map\n\nSee the code.\n\n## Risks:\n\nNone.\n",
    )
    .unwrap();
    assert_eq!(
        errors(&run("agent-outputs", t.path(), None)),
        vec![
            f("final-section-missing", "pass/AGENT_3_FINAL_DOCS.md", 0, 0),
            f("final-section-missing", "pass/AGENT_3_FINAL_DOCS.md", 0, 0),
            f("final-section-empty", "pass/AGENT_3_FINAL_DOCS.md", 3, 1),
            f(
                "evidence-map-without-anchors",
                "pass/AGENT_3_FINAL_DOCS.md",
                7,
                1
            ),
        ]
    );
}

#[test]
fn agent_final_sections_end_at_the_next_required_section_whatever_its_level() {
    let t = fixture("complete");
    // `# Evidence Map` and `# Risks` are empty: the level-2 sections under them are their
    // own. (They passed: Risks "held" the Unresolved Questions, the Evidence Map borrowed
    // the Assumptions' anchor.)
    std::fs::write(
        t.path().join("pass/AGENT_3_FINAL_DOCS.md"),
        "# Agent 3\n\n## Skills Introspected\n\nNone.\n\n# Evidence Map\n\n## Assumptions\n\n`src/app.ts:1` holds it.\n\n# Risks\n## Unresolved Questions\n\nNone.\n",
    )
    .unwrap();
    assert_eq!(
        errors(&run("agent-outputs", t.path(), None)),
        vec![
            f("final-section-empty", "pass/AGENT_3_FINAL_DOCS.md", 7, 1),
            f("final-section-empty", "pass/AGENT_3_FINAL_DOCS.md", 13, 1),
        ]
    );
}

#[test]
fn plan_must_equal_the_configured_runbook() {
    let t = fixture("complete");
    let p = pipeline_with(
        "[gate.orchestrator-artifacts]\ncheck = \"orchestrator-artifacts\"\nparams = { append_only = true, entry_timestamps = true, team_prep = true }\n",
        "[gate.orchestrator-artifacts]\ncheck = \"orchestrator-artifacts\"\nparams = { runbook = \"docs/runbook.md\", append_only = true, entry_timestamps = true, team_prep = true }\n",
    );
    let plan = std::fs::read(t.path().join("pass/ORCHESTRATOR_PLAN_VERBATIM.md")).unwrap();
    let (_, body) = gates::artifacts::plan::parse(&plan).unwrap();
    std::fs::write(t.path().join("docs/runbook.md"), body).unwrap();
    assert_eq!(
        errors(&run_in(&p, "orchestrator-artifacts", t.path(), None)),
        vec![]
    );
    // The runbook moved on after the plan was written down: the plan is not that runbook.
    let mut newer = body.to_vec();
    newer.extend_from_slice(b"3. Hand off.\n");
    std::fs::write(t.path().join("docs/runbook.md"), newer).unwrap();
    assert_eq!(
        errors(&run_in(&p, "orchestrator-artifacts", t.path(), None)),
        vec![f(
            "plan-differs-from-runbook",
            "pass/ORCHESTRATOR_PLAN_VERBATIM.md",
            6,
            1
        )]
    );
}

#[test]
fn unknown_params_are_load_errors_with_their_position() {
    let file = fixtures().join("pipeline.toml");
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "params = { archive_dir = \"_archive\", canonical_docs = [\"docs\"] }",
        "params = { archive_dir = \"_archive\", canonical_doc = [\"docs\"] }",
    );
    let err = gates::load::load_str(&text, &file, &workspace()).unwrap_err();
    assert!(err.message.contains("canonical_doc"), "{err}");
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "params = { archive_dir = \"_archive\", canonical_docs = [\"docs\"] }",
        "params = { archive_dir = \"../out\" }",
    );
    let err = gates::load::load_str(&text, &file, &workspace()).unwrap_err();
    assert!(err.message.contains("archive_dir"), "{err}");
    // A structural record glob that is not a glob is a load error, not a gate error later.
    let text = std::fs::read_to_string(&file).unwrap().replace(
        "check = \"structural-closure\"\nparams = { worktree_prefixes = [\"/worktrees/hq\"] }",
        "check = \"structural-closure\"\nparams = { record = [\"AGENT_[*.md\"] }",
    );
    let err = gates::load::load_str(&text, &file, &workspace()).unwrap_err();
    assert!(err.message.contains("record"), "{err}");
}

#[test]
fn a_repeated_evidence_map_is_checked_too() {
    let t = fixture("complete");
    let p = t.path().join("pass/AGENT_2_FINAL_REVIEW.md");
    let mut text = std::fs::read_to_string(&p).unwrap();
    text.push_str("\n## Evidence Map\n\n- later addition: `src/app.ts:7`\n");
    std::fs::write(&p, text).unwrap();
    assert_eq!(
        errors(&run("agent-outputs", t.path(), None)),
        vec![f(
            "evidence-line-out-of-range",
            "pass/AGENT_2_FINAL_REVIEW.md",
            27,
            20
        )]
    );
}

/// A scratchpad the phase's own cleanup manifest deletes (the later runbooks prune it once
/// the closure documents exist) is not missing; one gone without a deletion is.
#[test]
fn a_scratchpad_the_cleanup_manifest_deletes_is_not_missing() {
    let t = fixture("complete");
    std::fs::remove_file(t.path().join("pass/ORCHESTRATOR_SCRATCHPAD.md")).unwrap();
    assert_eq!(
        errors(&run("orchestrator-artifacts", t.path(), None)),
        vec![f(
            "scratchpad-missing",
            "pass/ORCHESTRATOR_SCRATCHPAD.md",
            0,
            0
        )]
    );
    let m = t.path().join("pass/A8_CLEANUP_MANIFEST.md");
    let text = std::fs::read_to_string(&m).unwrap().replace(
        "| `ORCHESTRATOR_SCRATCHPAD.md` | retain | — | orchestrator file |",
        "| `ORCHESTRATOR_SCRATCHPAD.md` | delete | — | the ledger is superseded by the report |",
    );
    std::fs::write(&m, text).unwrap();
    let r = run("orchestrator-artifacts", t.path(), None);
    assert_eq!(errors(&r), vec![]);
    assert!(
        r.notes.iter().any(|n| n
            == "pass/ORCHESTRATOR_SCRATCHPAD.md was deleted by the cleanup manifest (pass/A8_CLEANUP_MANIFEST.md:17)"),
        "{:?}",
        r.notes
    );
}

/// A file the evidence map says must stay absent is no dangling citation; one it only names
/// is.
#[test]
fn an_evidence_map_file_said_to_be_absent_is_not_missing() {
    let t = fixture("complete");
    let p = t.path().join("pass/AGENT_2_FINAL_REVIEW.md");
    let text = std::fs::read_to_string(&p).unwrap();
    let with = |line: &str| {
        std::fs::write(&p, format!("{text}\n## Evidence Map\n\n{line}\n")).unwrap();
        errors(&run("agent-outputs", t.path(), None))
    };
    assert_eq!(
        with("- the deferred state forbids `TRIGGER_EVIDENCE.md`"),
        vec![]
    );
    assert_eq!(
        with("- the deferred state needs `TRIGGER_EVIDENCE.md`"),
        vec![f(
            "evidence-file-missing",
            "pass/AGENT_2_FINAL_REVIEW.md",
            27,
            29
        )]
    );
}

/// Append-only and per-entry timestamps are the Phase A runbook's rules, turned on in its
/// pipeline; a pipeline that does not turn them on accepts a scratchpad edited in place and
/// entries without times (the later runbooks' registry tables).
#[test]
fn scratchpad_rules_are_off_unless_the_pipeline_turns_them_on() {
    let t = fixture("complete");
    git_repo(t.path());
    let sp = t.path().join("pass/ORCHESTRATOR_SCRATCHPAD.md");
    let text = std::fs::read_to_string(&sp).unwrap();
    std::fs::write(
        &sp,
        text.replace("agents 1 and 2 fresh", "agents reused")
            + "\n## Slice Registry\n| slice | status |\n| --- | --- |\n| A0 | done |\n",
    )
    .unwrap();
    let off = pipeline_with(
        "params = { append_only = true, entry_timestamps = true, team_prep = true }\n",
        "",
    );
    assert_eq!(
        errors(&run_in(&off, "orchestrator-artifacts", t.path(), None)),
        vec![]
    );
    // The fixture pipeline turns them on, as ci/phase-a.toml does.
    assert_eq!(
        errors(&run("orchestrator-artifacts", t.path(), None)),
        vec![
            f(
                "scratchpad-rewritten",
                "pass/ORCHESTRATOR_SCRATCHPAD.md",
                3,
                1
            ),
            f(
                "scratchpad-entry-untimestamped",
                "pass/ORCHESTRATOR_SCRATCHPAD.md",
                5,
                1
            )
        ]
    );
}

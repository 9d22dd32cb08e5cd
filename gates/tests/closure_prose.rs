//! The closure gates on a pass root written the way people write it (the `prose` fixture):
//! decisions as code spans under headings, findings as lists with a bold status, blockers
//! in words, an owner matrix and an ordered sequence with dependency rules, a cleanup
//! manifest as path lists under Deleted/Retained headings, agent documents named
//! `AGENT_A1_FINAL.md` / `AGENT_R1_…` / `AGENT_Q1_…`, the structural assessment kept as the
//! R1 refactor and the Q1 review, and evidence relative to the spec packet. One passing
//! tree, then one change per way it can fail, with exact findings.

use crate::closure_support;

use closure_support::*;
use gates::pipeline::Pipeline;

const PASS: &str = "docs/spec/_pass-01";

/// The closure pipeline with the pass root inside a spec packet, and the agents' worktrees
/// (one named, the others by a `*` pattern).
fn prose_pipeline() -> Pipeline {
    let file = fixtures().join("pipeline.toml");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("pass_root = \"pass\"", &format!("pass_root = \"{PASS}\""))
        .replace(
            "worktree_prefixes = [\"/worktrees/hq\"]",
            "worktree_prefixes = [\"/worktrees/hq\", \"/srv/agents/*\"]",
        );
    gates::load::load_str(&text, &file, &workspace()).unwrap()
}

fn p(name: &str) -> String {
    format!("{PASS}/{name}")
}

fn gate(t: &tempfile::TempDir, id: &str) -> gates::run::GateResult {
    run_in(&prose_pipeline(), id, t.path(), None)
}

fn edit(t: &tempfile::TempDir, rel: &str, from: &str, to: &str) {
    let path = t.path().join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{rel} has no {from:?}");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// The prose fixture with one edit made (see [`edit`]).
fn edited(rel: &str, from: &str, to: &str) -> tempfile::TempDir {
    let t = fixture("prose");
    edit(&t, rel, from, to);
    t
}

#[test]
fn the_prose_pass_root_passes_every_closure_gate() {
    let t = fixture("prose");
    for id in [
        "orchestrator-artifacts",
        "agent-outputs",
        "review-closure",
        "structural-closure",
        "docs-cleanup",
        "phase-b-readiness",
    ] {
        let r = gate(&t, id);
        assert_eq!(errors(&r), vec![], "{id}: {:#?}", r.findings);
        assert_eq!(warnings(&r), vec![], "{id}: {:#?}", r.findings);
        assert_eq!(r.status, gates::run::Status::Passed, "{id}");
    }
    // The handoff's prose claims agree with the documents (no run record: not compared).
    git_repo(t.path());
    let r = gate(&t, "handoff");
    assert_eq!(errors(&r), vec![], "{:#?}", r.findings);
}

/// The pass root before the reviews landed: the disposition cites them, the manifest
/// retains them, the structural record is missing.
#[test]
fn reviews_cited_but_absent_are_named_everywhere() {
    let t = fixture("prose");
    for f in [
        "AGENT_4_REVIEW_REPORT_FINAL.md",
        "AGENT_R1_FINAL_STRUCTURAL_REFACTOR.md",
        "AGENT_Q1_FINAL_API_REVIEW.md",
    ] {
        std::fs::remove_file(t.path().join(PASS).join(f)).unwrap();
    }
    let a7 = p("A7_REVIEW_DISPOSITION.md");
    assert_eq!(
        errors(&gate(&t, "review-closure")),
        vec![
            f("cited-artifact-missing", &a7, 10, 4),
            f("cited-artifact-missing", &a7, 11, 4),
            f("cited-artifact-missing", &a7, 12, 4),
        ]
    );
    let a8 = p("A8_CLEANUP_MANIFEST.md");
    assert_eq!(
        errors(&gate(&t, "docs-cleanup")),
        vec![
            f("retained-path-missing", &a8, 21, 6),
            f("retained-path-missing", &a8, 22, 6),
            f("retained-path-missing", &a8, 23, 6),
        ]
    );
    assert_eq!(
        errors(&gate(&t, "structural-closure")),
        vec![f(
            "structural-record-missing",
            &p("B4A_STRUCTURAL_DISPOSITION.md"),
            0,
            0
        )]
    );
}

#[test]
fn a_high_finding_no_approving_disposition_closes_fails_the_structural_record() {
    let t = edited(
        &p("A7_REVIEW_DISPOSITION.md"),
        "- `AGENT_Q1_FINAL_API_REVIEW.md`\n",
        "",
    );
    assert_eq!(
        errors(&gate(&t, "structural-closure")),
        vec![f(
            "blocking-or-high-not-resolved",
            &p("AGENT_Q1_FINAL_API_REVIEW.md"),
            5,
            1
        )]
    );
    // Resolved in place: closed.
    edit(
        &t,
        &p("AGENT_Q1_FINAL_API_REVIEW.md"),
        "The plugin keeps its own copy of the root scan.",
        "The plugin keeps its own copy of the root scan.\n\nStatus: **resolved** by R1.",
    );
    assert_eq!(errors(&gate(&t, "structural-closure")), vec![]);
}

#[test]
fn readiness_without_the_document_and_with_a_dangling_reference() {
    let t = edited(
        &p("A9_PHASE_B_READINESS.md"),
        "`docs/spec/EXECUTION_PACKET.md`",
        "`docs/spec/PHASE_B_PACKET.md`",
    );
    // The readiness itself is consistent; the dangling reference is agent-outputs' finding.
    assert_eq!(errors(&gate(&t, "phase-b-readiness")), vec![]);
    assert_eq!(
        errors(&gate(&t, "agent-outputs")),
        vec![f(
            "cited-artifact-missing",
            &p("A9_PHASE_B_READINESS.md"),
            37,
            4
        )]
    );
    std::fs::remove_file(t.path().join(PASS).join("A9_PHASE_B_READINESS.md")).unwrap();
    assert_eq!(
        errors(&gate(&t, "phase-b-readiness")),
        vec![f("readiness-missing", &p("A9_PHASE_B_READINESS.md"), 0, 0)]
    );
}

#[test]
fn the_owner_column_by_its_usual_names() {
    let a9 = p("A9_PHASE_B_READINESS.md");
    let header = "| Slice | Owner | Backup |";
    for name in [
        "Owner(s)",
        "Primary Owner",
        "Owning team",
        "Lead",
        "DRI",
        "Assignee",
    ] {
        let t = edited(&a9, header, &format!("| Slice | {name} | Backup |"));
        let r = gate(&t, "phase-b-readiness");
        assert_eq!(errors(&r), vec![], "{name}: {:#?}", r.findings);
    }
    // A backup's column is not the owner's.
    let t = edited(&a9, header, "| Slice | Notes | Backup Owner |");
    let found: Vec<String> = errors(&gate(&t, "phase-b-readiness"))
        .into_iter()
        .map(|e| e.0)
        .collect();
    assert!(
        found.contains(&"owners-table-missing".to_string()),
        "{found:?}"
    );
}

#[test]
fn the_order_as_a_chain() {
    let a9 = p("A9_PHASE_B_READINESS.md");
    let list = "1. `B0` `/rpc` auth-source hardening.\n2. `B1` trigger router isolation.\n3. `B2` gate hardening.";
    let t = edited(&a9, list, "`B0` → `B1` → `B2`");
    let r = gate(&t, "phase-b-readiness");
    assert_eq!(errors(&r), vec![], "{:#?}", r.findings);
    assert!(
        r.notes.iter().any(|n| n.contains("3 slice(s) in order")),
        "{:?}",
        r.notes
    );
    // The chain is the order the dependency rules are checked against.
    let t = edited(&a9, list, "B0 -> B2 -> B1");
    assert_eq!(
        errors(&gate(&t, "phase-b-readiness")),
        vec![f("dependency-out-of-order", &a9, 32, 8)]
    );
}

#[test]
fn blockers_are_none_only_when_the_section_says_so_in_words() {
    let a9 = p("A9_PHASE_B_READINESS.md");
    let t = edited(&a9, "No kickoff blockers.\n", "");
    assert_eq!(
        errors(&gate(&t, "phase-b-readiness")),
        vec![f("blockers-unstated", &a9, 12, 1)]
    );
    // "None" in any words, or a dash, states it; a sub-heading is not a statement.
    for none in [
        "- None.",
        "Nothing blocks kickoff.",
        "—",
        "None identified; kickoff can proceed.",
        "Blockers: none.",
        "- None at this time.",
        "### Kickoff\nNo kickoff blockers.",
    ] {
        let t = edited(&a9, "No kickoff blockers.", none);
        assert_eq!(errors(&gate(&t, "phase-b-readiness")), vec![], "{none}");
    }
    // An unknown is not none, and a sub-heading alone states nothing.
    let t = edited(&a9, "No kickoff blockers.", "TBD");
    assert_eq!(
        errors(&gate(&t, "phase-b-readiness")),
        vec![f("ready-with-blockers", &a9, 13, 1)]
    );
    let t = edited(&a9, "No kickoff blockers.", "### Kickoff");
    assert_eq!(
        errors(&gate(&t, "phase-b-readiness")),
        vec![f("blockers-unstated", &a9, 12, 1)]
    );
}

#[test]
fn a_real_blocker_or_a_not_ready_decision_fails_readiness() {
    let t = fixture("prose");
    let a9 = p("A9_PHASE_B_READINESS.md");
    edit(
        &t,
        &a9,
        "No kickoff blockers.",
        "No kickoff blockers.\n- `B0` waits on the session provider contract.",
    );
    assert_eq!(
        errors(&gate(&t, "phase-b-readiness")),
        vec![f("ready-with-blockers", &a9, 14, 1)]
    );
    let t = edited(&a9, "`ready`", "`not-ready`");
    assert_eq!(
        errors(&gate(&t, "phase-b-readiness")),
        vec![f("not-ready-without-blockers", &a9, 6, 1)]
    );
    // The handoff and the report still say `ready`: both contradict the document.
    git_repo(t.path());
    assert_eq!(
        errors(&gate(&t, "handoff")),
        vec![
            f(
                "handoff-contradicts-document",
                &p("FINAL_PHASE_A_HANDOFF.md"),
                15,
                1
            ),
            f(
                "handoff-contradicts-document",
                &p("PHASE_A_EXECUTION_REPORT.md"),
                18,
                1
            ),
        ]
    );
}

#[test]
fn evidence_resolves_through_the_spec_packet_and_goes_stale_past_the_end() {
    let t = fixture("prose");
    // The report cites `ARCHITECTURE.md` of the spec packet, the A1 final an anchor in it.
    std::fs::remove_file(t.path().join("docs/spec/ARCHITECTURE.md")).unwrap();
    assert_eq!(
        errors(&gate(&t, "agent-outputs")),
        vec![
            f(
                "evidence-file-missing",
                &p("AGENT_5_FINAL_A8_DOCS_CLEANUP.md"),
                7,
                4
            ),
            f("evidence-file-missing", &p("AGENT_A1_FINAL.md"), 12, 6),
            f(
                "cited-artifact-missing",
                &p("PHASE_A_EXECUTION_REPORT.md"),
                12,
                6
            ),
        ]
    );
    // Lines past the end of a file are stale.
    let t = fixture("prose");
    let app = t.path().join("src/app.ts");
    let text = std::fs::read_to_string(&app).unwrap();
    let six: Vec<&str> = text.lines().take(6).collect();
    std::fs::write(&app, six.join("\n") + "\n").unwrap();
    assert_eq!(
        errors(&gate(&t, "agent-outputs")),
        vec![f(
            "evidence-line-out-of-range",
            &p("AGENT_4_REVIEW_REPORT_FINAL.md"),
            7,
            4
        )]
    );
}

#[test]
fn the_decision_as_a_short_line_opening_with_it() {
    let a7 = p("A7_REVIEW_DISPOSITION.md");
    let a9 = p("A9_PHASE_B_READINESS.md");
    for line in ["Approved ✅", "Approve with follow-ups."] {
        let t = edited(&a7, "`approve`", line);
        let r = gate(&t, "review-closure");
        assert_eq!(errors(&r), vec![], "{line}: {:#?}", r.findings);
    }
    // A sentence that opens with the word is prose, not a decision.
    let t = edited(
        &a7,
        "`approve`",
        "Rejected alternatives were weighed and dropped in the review.",
    );
    assert_eq!(
        errors(&gate(&t, "review-closure"))
            .into_iter()
            .map(|e| e.0)
            .collect::<Vec<_>>(),
        vec!["decision-missing"]
    );
    // A short line that goes on to the other token decides nothing.
    let t = edited(&a7, "`approve`", "Approve? No — reject.");
    assert_eq!(
        errors(&gate(&t, "review-closure"))
            .into_iter()
            .map(|e| e.0)
            .collect::<Vec<_>>(),
        vec!["decision-missing"]
    );
    // The posture alike, "not ready" in words included.
    let t = edited(&a9, "`ready`", "Ready for Phase B kickoff.");
    assert_eq!(errors(&gate(&t, "phase-b-readiness")), vec![]);
    let t = edited(&a9, "`ready`", "Not ready: B0 has no owner.");
    assert_eq!(
        errors(&gate(&t, "phase-b-readiness")),
        vec![f("not-ready-without-blockers", &a9, 6, 1)]
    );
}

#[test]
fn the_decision_under_a_disposition_or_conclusion_heading() {
    let a7 = p("A7_REVIEW_DISPOSITION.md");
    for heading in [
        "## Disposition",
        "## Final A7 Disposition",
        "## Conclusion",
        "## Sign-off",
    ] {
        let t = edited(&a7, "## Final A7 Decision", heading);
        // A token elsewhere (under the title, which names the document, not the decision)
        // is not a second decision.
        edit(
            &t,
            &a7,
            "Disposition of the TypeScript",
            "An earlier draft said `reject`. Disposition of the TypeScript",
        );
        let r = gate(&t, "review-closure");
        assert_eq!(errors(&r), vec![], "{heading}: {:#?}", r.findings);
    }
    // The findings' heading does not hold the decision.
    let t = edited(
        &a7,
        "## Final A7 Decision",
        "## Finding Disposition (cont.)",
    );
    assert_eq!(
        errors(&gate(&t, "review-closure"))
            .into_iter()
            .map(|e| e.0)
            .collect::<Vec<_>>(),
        vec!["decision-missing"]
    );
}

#[test]
fn findings_as_a_task_list() {
    let a7 = p("A7_REVIEW_DISPOSITION.md");
    let t = edited(
        &a7,
        "1. `/rpc` unlabeled caller handling: **resolved**.",
        "- [x] `/rpc` unlabeled caller handling.",
    );
    let r = gate(&t, "review-closure");
    assert_eq!(errors(&r), vec![], "{:#?}", r.findings);
    // An unticked box is open, and of unstated severity: read as high.
    let t = edited(
        &a7,
        "1. `/rpc` unlabeled caller handling: **resolved**.",
        "- [ ] `/rpc` unlabeled caller handling.",
    );
    assert_eq!(
        errors(&gate(&t, "review-closure")),
        vec![f("blocking-or-high-not-resolved", &a7, 15, 1)]
    );
}

#[test]
fn deferred_list_findings_state_severity_owner_rationale_and_target() {
    let a7 = p("A7_REVIEW_DISPOSITION.md");
    let item3 =
        "3. Duplicate discovery logic across package and plugin: **resolved in targeted scope**.";
    let review = |t: &tempfile::TempDir| errors(&gate(t, "review-closure"));
    // Deferred with no severity: it may be high, so it is read as high.
    let t = edited(&a7, item3, "3. Duplicate discovery logic: **deferred**.");
    assert_eq!(
        review(&t),
        vec![f("blocking-or-high-not-resolved", &a7, 18, 33)]
    );
    // A deferred medium that says nothing more: one finding per missing field.
    let t = edited(
        &a7,
        item3,
        "3. Duplicate discovery logic (medium): **deferred**.",
    );
    assert_eq!(
        review(&t),
        vec![f("medium-disposition-incomplete", &a7, 18, 42); 3]
    );
    // Target after the status, owner on a nested line; the title's slice does not count,
    // nor does a line about another finding (31).
    let t = edited(
        &a7,
        item3,
        "3. A2 discovery logic (medium): **accepted**.\n   - Owner: agent-2.",
    );
    edit(
        &t,
        &a7,
        "## Verification Reruns",
        "- Finding 31 lands in B2 because of the cutover.\n\n## Verification Reruns",
    );
    let r = gate(&t, "review-closure");
    assert_eq!(
        r.findings
            .iter()
            .map(|x| x.message.rsplit(" without ").next().unwrap().to_string())
            .collect::<Vec<_>>(),
        vec!["a rationale", "a target slice"]
    );
    // A title in other scripts and arrows: the status is found by character, and a slice
    // the title names (`B2`) is not the target.
    let t = edited(
        &a7,
        item3,
        "3. ———————————— „Paket“ → a fix for B2 (medium): **deferred**.\n   - Owner: agent-2.\n   - Merging them changes the published package surface.",
    );
    let r = gate(&t, "review-closure");
    assert_eq!(
        r.findings
            .iter()
            .map(|x| x.message.rsplit(" without ").next().unwrap().to_string())
            .collect::<Vec<_>>(),
        vec!["a target slice"]
    );
    // All three: target after the status, a nested explanation, the owner where the
    // document's deferred section names the finding.
    let t = edited(
        &a7,
        item3,
        "3. A2 discovery logic (medium): **deferred** to B1.\n   - Merging them changes the published package surface.",
    );
    edit(
        &t,
        &a7,
        "- Session-derived caller classification",
        "- Finding 3 is owned by agent-2.\n- Session-derived caller classification",
    );
    let r = gate(&t, "review-closure");
    assert_eq!(errors(&r), vec![], "{:#?}", r.findings);
    assert_eq!(r.status, gates::run::Status::Passed);
}

#[test]
fn final_sections_under_numbered_or_joined_headings() {
    let r1 = p("AGENT_R1_FINAL_STRUCTURAL_REFACTOR.md");
    let t = edited(&r1, "## Assumptions", "## 4. Assumptions");
    edit(&t, &r1, "## Risks", "## Risks & Mitigations");
    edit(
        &t,
        &r1,
        "## Unresolved Questions",
        "## 6) Unresolved Questions / Follow-ups",
    );
    let r = gate(&t, "agent-outputs");
    assert_eq!(errors(&r), vec![], "{:#?}", r.findings);
    // A different name is not the section.
    let t = edited(&r1, "## Unresolved Questions", "## Open Questions");
    assert_eq!(
        errors(&gate(&t, "agent-outputs")),
        vec![f("final-section-missing", &r1, 0, 0)]
    );
}

#[test]
fn absolute_evidence_under_a_worktree_the_documents_declare() {
    let a1 = p("AGENT_A1_FINAL.md");
    let t = edited(
        &a1,
        "`/worktrees/hq/src/app.ts:5`",
        "`/home/dev/rawr/src/app.ts:5`",
    );
    assert_eq!(
        errors(&gate(&t, "agent-outputs")),
        vec![f("evidence-outside-repo", &a1, 8, 6)]
    );
    // A document of the pass root says where the agents worked: its paths map into the target.
    edit(
        &t,
        &p("A7_REVIEW_DISPOSITION.md"),
        "Date: 2026-02-21\n",
        "Date: 2026-02-21\nWorktree: `/home/dev/rawr`\n",
    );
    let r = gate(&t, "agent-outputs");
    assert_eq!(errors(&r), vec![], "{:#?}", r.findings);
    // The declared folder is the target's root: a line past the end is still stale.
    edit(
        &t,
        &a1,
        "`/home/dev/rawr/src/app.ts:5`",
        "`/home/dev/rawr/src/app.ts:500`",
    );
    assert_eq!(
        errors(&gate(&t, "agent-outputs")),
        vec![f("evidence-line-out-of-range", &a1, 8, 6)]
    );
}

#[test]
fn evidence_into_files_the_cleanup_deleted_as_superseded_is_a_warning() {
    let t = fixture("prose");
    let a1 = p("AGENT_A1_FINAL.md");
    // The manifest also deletes a scratchpad of an agent with no final, and a final.
    edit(
        &t,
        &p("A8_CLEANUP_MANIFEST.md"),
        "- `AGENT_4_REVIEW_REPORT.md`\n",
        "- `AGENT_4_REVIEW_REPORT.md`\n- `AGENT_Z9_SCRATCHPAD.md`\n- `AGENT_R2_FINAL.md`\n",
    );
    edit(
        &t,
        &a1,
        "## Assumptions",
        "- Scratch notes:\n  \
         - `/worktrees/hq/docs/spec/_pass-01/AGENT_A1_SCRATCHPAD.md:12`\n  \
         - `AGENT_4_REVIEW_REPORT.md#L3`\n  \
         - `AGENT_A1_PLAN_VERBATIM.md`\n  \
         - `AGENT_Q1_SCRATCHPAD.md:2`\n  \
         - `AGENT_Z9_SCRATCHPAD.md:4`\n  \
         - `AGENT_R2_FINAL.md:1`\n\n## Assumptions",
    );
    let r = gate(&t, "agent-outputs");
    // Deleted on the record, superseded by the agent's final (A1's plan and scratchpad, the
    // draft of agent 4's review report): warnings, at the citation.
    assert_eq!(
        warnings(&r),
        vec![
            f("evidence-deleted-by-cleanup", &a1, 15, 6),
            f("evidence-deleted-by-cleanup", &a1, 16, 6),
            f("evidence-deleted-by-cleanup", &a1, 17, 6),
        ]
    );
    // Not listed; listed, but no final of its agent; a final, which is never deletable.
    assert_eq!(
        errors(&r),
        vec![
            f("evidence-file-missing", &a1, 18, 6),
            f("evidence-file-missing", &a1, 19, 6),
            f("evidence-file-missing", &a1, 20, 6),
        ]
    );
    let deleted = r
        .findings
        .iter()
        .find(|x| x.rule == "evidence-deleted-by-cleanup")
        .unwrap();
    assert!(
        deleted.message.contains("(A8_CLEANUP_MANIFEST.md:13)"),
        "{}",
        deleted.message
    );
    // Without the manifest the same citations are missing files.
    std::fs::remove_file(t.path().join(p("A8_CLEANUP_MANIFEST.md"))).unwrap();
    let r = gate(&t, "agent-outputs");
    assert_eq!(warnings(&r), vec![]);
    let in_a1: Vec<F> = errors(&r).into_iter().filter(|e| e.1 == a1).collect();
    assert_eq!(
        in_a1,
        (15..=20)
            .map(|line| f("evidence-file-missing", &a1, line, 6))
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_list_manifest_says_why_it_deletes() {
    let a8 = p("A8_CLEANUP_MANIFEST.md");
    let why = "## Rationale\n- Deleted files were superseded once the finals existed.\n";
    let t = edited(&a8, why, "");
    assert_eq!(
        errors(&gate(&t, "docs-cleanup")),
        vec![f("rationale-missing", &a8, 12, 4)]
    );
    // Said in a key line, in prose under the Deleted heading, or after each path.
    let t = edited(&a8, why, "Rationale: superseded once each final existed.\n");
    let r = gate(&t, "docs-cleanup");
    assert_eq!(errors(&r), vec![], "{:#?}", r.findings);
    let t = edited(&a8, why, "");
    edit(
        &t,
        &a8,
        "## Deleted Artifacts\n",
        "## Deleted Artifacts\nThese were superseded once each agent's final existed.\n\n",
    );
    let r = gate(&t, "docs-cleanup");
    assert_eq!(errors(&r), vec![], "{:#?}", r.findings);
    let t = edited(&a8, why, "");
    for path in [
        "AGENT_A1_PLAN_VERBATIM.md",
        "AGENT_A1_SCRATCHPAD.md",
        "AGENT_4_REVIEW_REPORT.md",
    ] {
        edit(
            &t,
            &a8,
            &format!("- `{path}`\n"),
            &format!("- `{path}` — superseded by its final\n"),
        );
    }
    let r = gate(&t, "docs-cleanup");
    assert_eq!(errors(&r), vec![], "{:#?}", r.findings);
}

#[test]
fn the_cleanup_manifest_as_lists() {
    let t = fixture("prose");
    let a8 = p("A8_CLEANUP_MANIFEST.md");
    // A deleted path back in the tree; a stray file nobody mentions (a warning).
    std::fs::write(
        t.path().join(PASS).join("AGENT_A1_SCRATCHPAD.md"),
        "# notes\n",
    )
    .unwrap();
    std::fs::write(t.path().join(PASS).join("NOTES.md"), "# stray\n").unwrap();
    let r = gate(&t, "docs-cleanup");
    assert_eq!(errors(&r), vec![f("deleted-path-present", &a8, 13, 4)]);
    assert_eq!(
        warnings(&r),
        vec![f("unaccounted-file", &p("NOTES.md"), 0, 0)]
    );
    // A manifest that lists nothing it can read.
    std::fs::write(
        t.path().join(&a8),
        "# A8 Cleanup Manifest\n\nEverything superseded was removed.\n",
    )
    .unwrap();
    assert!(errors(&gate(&t, "docs-cleanup")).contains(&f("manifest-entries-missing", &a8, 0, 0)));
}

#[test]
fn the_plan_equals_the_runbook_when_one_is_given() {
    let t = fixture("prose");
    let plan = std::fs::read(t.path().join(PASS).join("ORCHESTRATOR_PLAN_VERBATIM.md")).unwrap();
    std::fs::write(t.path().join("docs/runbook.md"), &plan).unwrap();
    let file = fixtures().join("pipeline.toml");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("pass_root = \"pass\"", &format!("pass_root = \"{PASS}\""))
        .replace(
            "check = \"orchestrator-artifacts\"\nparams = { append_only = true, entry_timestamps = true, team_prep = true }\n",
            "check = \"orchestrator-artifacts\"\nparams = { runbook = \"docs/runbook.md\", append_only = true, entry_timestamps = true, team_prep = true }\n",
        );
    let pl = gates::load::load_str(&text, &file, &workspace()).unwrap();
    assert_eq!(
        errors(&run_in(&pl, "orchestrator-artifacts", t.path(), None)),
        vec![]
    );
    let mut edited = plan.clone();
    edited.extend_from_slice(b"4. Celebrate.\n");
    std::fs::write(t.path().join("docs/runbook.md"), edited).unwrap();
    assert_eq!(
        errors(&run_in(&pl, "orchestrator-artifacts", t.path(), None)),
        vec![f(
            "plan-differs-from-runbook",
            &p("ORCHESTRATOR_PLAN_VERBATIM.md"),
            7,
            1
        )]
    );
}

/// The handoff's prose says Phase A (and A8) is complete; the run says the cleanup failed.
#[test]
fn a_handoff_contradicting_the_run_is_a_finding() {
    let t = fixture("prose");
    git_repo(t.path());
    // A run in which docs-cleanup failed (a retained final is gone).
    let gone = t
        .path()
        .join(PASS)
        .join("AGENT_R1_FINAL_STRUCTURAL_REFACTOR.md");
    let kept = std::fs::read(&gone).unwrap();
    std::fs::remove_file(&gone).unwrap();
    let cleanup = gate(&t, "docs-cleanup");
    assert_eq!(cleanup.status, gates::run::Status::Failed);
    std::fs::write(&gone, kept).unwrap();
    let pl = prose_pipeline();
    let so_far = gates::checks::RunSoFar {
        earlier: vec![cleanup],
        selected: pl.gates.keys().cloned().collect(),
    };
    let h = p("FINAL_PHASE_A_HANDOFF.md");
    assert_eq!(
        errors(&run_in(&pl, "handoff", t.path(), Some(&so_far))),
        vec![
            f("run-not-green", "", 0, 0),
            f("report-claims-green-but-run-red", &h, 4, 1),
            f("report-claims-green-but-run-red", &h, 14, 1),
            // "## Scope Completed" / "- A8 cleanup manifest completed.": the report says so too.
            f(
                "report-claims-green-but-run-red",
                &p("PHASE_A_EXECUTION_REPORT.md"),
                8,
                1
            ),
        ]
    );
}

/// A handoff that says something is not complete: stale when the run is green, and never a
/// handoff of a complete phase when it is red or unknown.
#[test]
fn a_handoff_saying_not_complete_is_a_finding() {
    let h = p("FINAL_PHASE_A_HANDOFF.md");
    let pl = prose_pipeline();
    // Every gate but the handoff taken as passed: a green run.
    let green = gates::checks::RunSoFar {
        earlier: vec![],
        selected: ["handoff".to_string()].into(),
    };
    let with = |from: &str, to: &str| {
        let t = edited(&h, from, to);
        git_repo(t.path());
        t
    };
    let t = with("A8: complete.", "A8: in progress.");
    assert_eq!(
        errors(&run_in(&pl, "handoff", t.path(), Some(&green))),
        vec![f("report-stale", &h, 14, 1)]
    );
    // Only the slice named after the exception is not complete.
    let t = with(
        "A8: complete.",
        "A8..A9: complete except the A9 owner sign-off.",
    );
    let r = run_in(&pl, "handoff", t.path(), Some(&green));
    assert_eq!(errors(&r), vec![f("report-stale", &h, 14, 1)]);
    assert!(r.findings[0].message.contains("claims A9 not complete"));
    let t = with("A8: complete.", "A8: not yet complete.");
    assert_eq!(
        errors(&run_in(&pl, "handoff", t.path(), Some(&green))),
        vec![f("report-stale", &h, 14, 1)]
    );
    // "No open items" says complete, of a slice and of the phase.
    let t = with("A8: complete.", "A8: no open items.");
    assert_eq!(
        errors(&run_in(&pl, "handoff", t.path(), Some(&green))),
        vec![]
    );
    let t = with(
        "Phase A is complete and execution-ready for Phase B.",
        "Phase A has no open items.",
    );
    assert_eq!(
        errors(&run_in(&pl, "handoff", t.path(), Some(&green))),
        vec![]
    );
    // The phase as a whole.
    let phase = "Phase A is complete and execution-ready for Phase B.";
    for says in [
        "Phase A is not complete; A8 cleanup is still open.",
        "Phase A is still in progress.",
        "Phase A remains open.",
    ] {
        let t = with(phase, says);
        let r = run_in(&pl, "handoff", t.path(), Some(&green));
        assert_eq!(errors(&r), vec![f("report-stale", &h, 4, 1)], "{says}");
        // With no run to compare, or a red one, the handoff still does not hand off a
        // complete phase.
        assert_eq!(
            errors(&run_in(&pl, "handoff", t.path(), None)),
            vec![f("handoff-says-incomplete", &h, 4, 1)],
            "{says}"
        );
    }
}

/// The pass root pruned to its canonical files later, the manifest rewritten as a history
/// with a Kept item and a pointer to where the later cleanup is recorded.
#[test]
fn a_pruned_pass_root_with_a_kept_list() {
    let t = fixture("prose");
    let root = t.path().join(PASS);
    for f in std::fs::read_dir(&root).unwrap() {
        let name = f.unwrap().file_name().into_string().unwrap();
        if name.starts_with("AGENT_") || name.starts_with("ORCHESTRATOR_") {
            std::fs::remove_file(root.join(name)).unwrap();
        }
    }
    let a8 = p("A8_CLEANUP_MANIFEST.md");
    std::fs::write(
        t.path().join(&a8),
        "# A8 Cleanup Manifest\n\n## A8 Actions (Historical)\n1. Removed superseded `*_PLAN_VERBATIM.md` and `*_SCRATCHPAD.md` artifacts.\n2. Removed intermediate review drafts.\n3. Kept canonical closure artifacts required to finish the phase:\n   - `A7_REVIEW_DISPOSITION.md`\n   - `A8_CLEANUP_MANIFEST.md`\n\n## Current State Note\nA later cleanup removed the agent reports; see:\n- `docs/spec/ARCHITECTURE.md`\n",
    )
    .unwrap();
    let r = gate(&t, "docs-cleanup");
    assert_eq!(errors(&r), vec![]);
    assert_eq!(warnings(&r), vec![]);
    // A kept path that is gone is a finding like any retained one.
    std::fs::remove_file(root.join("A7_REVIEW_DISPOSITION.md")).unwrap();
    assert_eq!(
        errors(&gate(&t, "docs-cleanup")),
        vec![f("retained-path-missing", &a8, 7, 7)]
    );
}

/// The gates beside the handoff in its own slice (the agent documents, in the default
/// pipeline) run with it and are judged beside it: their failure does not make the handoff
/// red. The same failure in a slice the handoff hands off does.
#[test]
fn a_failing_gate_beside_the_handoff_is_not_a_slice_it_hands_off() {
    let t = fixture("prose");
    git_repo(t.path());
    let failed_docs = || {
        let mut r = gate(&t, "agent-outputs");
        r.status = gates::run::Status::Failed;
        r
    };
    // agent-outputs moved beside the handoff, as in ci/phase-a.toml.
    let file = fixtures().join("pipeline.toml");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("pass_root = \"pass\"", &format!("pass_root = \"{PASS}\""))
        .replace(
            "worktree_prefixes = [\"/worktrees/hq\"]",
            "worktree_prefixes = [\"/worktrees/hq\", \"/srv/agents/*\"]",
        )
        .replace(
            "gates = [\"review-closure\", \"agent-outputs\"]",
            "gates = [\"review-closure\"]",
        )
        .replace(
            "gates = [\"handoff\"]",
            "gates = [\"agent-outputs\", \"handoff\"]",
        );
    let beside = gates::load::load_str(&text, &file, &workspace()).unwrap();
    let so_far = |pl: &Pipeline| gates::checks::RunSoFar {
        earlier: vec![failed_docs()],
        selected: pl.gates.keys().cloned().collect(),
    };
    assert_eq!(
        errors(&run_in(
            &beside,
            "handoff",
            t.path(),
            Some(&so_far(&beside))
        )),
        vec![]
    );
    // In A7, a slice the handoff hands off (and claims complete): red, at the claims.
    let pl = prose_pipeline();
    let h = p("FINAL_PHASE_A_HANDOFF.md");
    let found = errors(&run_in(&pl, "handoff", t.path(), Some(&so_far(&pl))));
    assert_eq!(found[0], f("run-not-green", "", 0, 0));
    assert!(
        found
            .iter()
            .any(|x| *x == f("report-claims-green-but-run-red", &h, 4, 1)),
        "{found:?}"
    );
}

/// The later phases' handoff shapes: the slices listed under a heading that states their
/// status ("Delivered Slice Branches"), a publication step's state beside a slice ("PR
/// pending") that says nothing of the slice, "<phase> … slices … are closed", and the posture
/// as a code span under a `### Posture` heading. Each is a claim, checked like the others.
#[test]
fn a_handoff_in_the_later_phases_shape() {
    let h = p("FINAL_PHASE_A_HANDOFF.md");
    let pl = prose_pipeline();
    let green = gates::checks::RunSoFar {
        earlier: vec![],
        selected: ["handoff".to_string()].into(),
    };
    let later = "# Final Phase A Handoff\n\n## Delivered Slice Branches\n1. A7: `codex/phase-a-a7-review` -> PR #12\n2. A8: `codex/phase-a-a8-docs-cleanup` -> PR pending\n3. A9: `codex/phase-a-a9-realignment` (this branch)\n\n## Phase Exit Posture\n### Posture\n`ready`\n\n## Net Result\nPhase A mandatory slices through docs/cleanup are closed and verified.\n\n## Open Questions\n1. Whether A9 needs a second owner.\n";
    let with = |text: &str| {
        let t = fixture("prose");
        std::fs::write(t.path().join(&h), text).unwrap();
        git_repo(t.path());
        t
    };
    let t = with(later);
    let r = run_in(&pl, "handoff", t.path(), Some(&green));
    assert_eq!(errors(&r), vec![]);
    // The six slices of the phase line, the three delivered and the posture: read, not
    // skipped.
    let note = r
        .notes
        .iter()
        .find(|n| n.starts_with(&h))
        .expect("a note on the handoff");
    assert!(note.contains(": 10 claim(s)"), "{note}");
    // A red slice listed as delivered is a claim of green against a red run.
    let t = with(later);
    let gone = t.path().join(PASS).join("A8_CLEANUP_MANIFEST.md");
    let kept = std::fs::read(&gone).unwrap();
    std::fs::remove_file(&gone).unwrap();
    let cleanup = gate(&t, "docs-cleanup");
    assert_eq!(cleanup.status, gates::run::Status::Failed);
    std::fs::write(&gone, kept).unwrap();
    let so_far = gates::checks::RunSoFar {
        earlier: vec![cleanup],
        selected: pl.gates.keys().cloned().collect(),
    };
    assert_eq!(
        errors(&run_in(&pl, "handoff", t.path(), Some(&so_far))),
        vec![
            f("run-not-green", "", 0, 0),
            f("report-claims-green-but-run-red", &h, 5, 1),
            f("report-claims-green-but-run-red", &h, 13, 1),
            f(
                "report-claims-green-but-run-red",
                &p("PHASE_A_EXECUTION_REPORT.md"),
                8,
                1
            ),
        ]
    );
    // The posture under its heading against the readiness document.
    let t = with(&later.replace("### Posture\n`ready`", "### Posture\n`not-ready`"));
    assert_eq!(
        errors(&run_in(&pl, "handoff", t.path(), Some(&green))),
        vec![f("handoff-contradicts-document", &h, 10, 1)]
    );
    // A pending slice, not a pending PR, is not complete.
    let t = with(&later.replace("-> PR pending", "-> pending"));
    assert_eq!(
        errors(&run_in(&pl, "handoff", t.path(), Some(&green))),
        vec![f("report-stale", &h, 5, 1)]
    );
    // A list under "Open Questions" states nothing of the slice it names.
    let t = with(&later.replace("## Open Questions", "## Open Items"));
    assert_eq!(
        errors(&run_in(&pl, "handoff", t.path(), Some(&green))),
        vec![]
    );
    // With nothing read, the handoff says nothing the gate can check.
    let t = with("# Final Phase A Handoff\n\n## Branches\n1. A7: `codex/phase-a-a7-review`\n");
    assert_eq!(
        errors(&run_in(&pl, "handoff", t.path(), Some(&green))),
        vec![f("report-claims-missing", &h, 0, 0)]
    );
}

/// A closure document written before the cleanup cites sources the cleanup then deletes as
/// superseded: the review gate and `agent-outputs` read the same citation the same way (a
/// warning naming the manifest's deletion), and a citation the manifest does not delete stays
/// missing in both. A required output the manifest deletes is not missing either.
#[test]
fn citations_and_outputs_the_cleanup_deleted_on_the_record() {
    let d = p("A7_REVIEW_DISPOSITION.md");
    let t = edited(
        &d,
        "- `AGENT_Q1_FINAL_API_REVIEW.md`\n",
        "- `AGENT_Q1_FINAL_API_REVIEW.md`\n- `AGENT_4_REVIEW_REPORT.md`\n- `AGENT_9_REVIEW_REPORT.md`\n",
    );
    for id in ["review-closure", "agent-outputs"] {
        let r = gate(&t, id);
        assert_eq!(
            warnings(&r)
                .into_iter()
                .filter(|w| w.0 == "cited-artifact-deleted-by-cleanup")
                .collect::<Vec<_>>(),
            vec![f("cited-artifact-deleted-by-cleanup", &d, 13, 4)],
            "{id}"
        );
        assert_eq!(
            errors(&r),
            vec![f("cited-artifact-missing", &d, 14, 4)],
            "{id}"
        );
    }
    // The scratchpad deleted on the record: neither the handoff nor the orchestrator gate
    // calls it missing; deleted without a word, both do.
    let t = fixture("prose");
    git_repo(t.path());
    let manifest = p("A8_CLEANUP_MANIFEST.md");
    edit(
        &t,
        &manifest,
        "- `AGENT_4_REVIEW_REPORT.md`\n",
        "- `AGENT_4_REVIEW_REPORT.md`\n- `ORCHESTRATOR_SCRATCHPAD.md`\n",
    );
    edit(
        &t,
        &manifest,
        "- `ORCHESTRATOR_SCRATCHPAD.md`\n- All",
        "- All",
    );
    std::fs::remove_file(t.path().join(p("ORCHESTRATOR_SCRATCHPAD.md"))).unwrap();
    let pl = prose_pipeline();
    let green = gates::checks::RunSoFar {
        earlier: vec![],
        selected: ["handoff".to_string()].into(),
    };
    let missing = |r: &gates::run::GateResult| -> Vec<F> {
        errors(r)
            .into_iter()
            .filter(|e| e.0.ends_with("-missing"))
            .collect()
    };
    let h = run_in(&pl, "handoff", t.path(), Some(&green));
    assert_eq!(missing(&h), vec![]);
    assert!(
        h.notes.iter().any(|n| n
            .contains("ORCHESTRATOR_SCRATCHPAD.md was deleted by the cleanup manifest")
            && n.contains("A8_CLEANUP_MANIFEST.md:15")),
        "{:?}",
        h.notes
    );
    assert_eq!(missing(&gate(&t, "orchestrator-artifacts")), vec![]);
    edit(&t, &manifest, "- `ORCHESTRATOR_SCRATCHPAD.md`\n", "");
    let scratch = p("ORCHESTRATOR_SCRATCHPAD.md");
    assert_eq!(
        missing(&run_in(&pl, "handoff", t.path(), Some(&green))),
        vec![f("required-output-missing", &scratch, 0, 0)]
    );
    assert_eq!(
        missing(&gate(&t, "orchestrator-artifacts")),
        vec![f("scratchpad-missing", &scratch, 0, 0)]
    );
}

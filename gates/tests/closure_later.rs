//! The closure documents in the shapes of the later phases (B to F): review histories, key
//! lines, statements of none, table manifests with repository-relative paths, readiness by
//! concern. Each shape passes as written, and each way it breaks is an exact finding.

use std::path::Path;

use gates::artifacts::evidence::Resolver;
use gates::artifacts::{cleanup, disposition, readiness};
use gates::finding::{Finding, Severity};

type R = (String, u32, u32);

fn errors(findings: &[Finding]) -> Vec<R> {
    let mut v: Vec<R> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| (f.rule.clone(), f.line, f.col))
        .collect();
    v.sort_by_key(|r| (r.1, r.2, r.0.clone()));
    v
}

fn r(rule: &str, line: u32, col: u32) -> R {
    (rule.to_string(), line, col)
}

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A target with a pass root holding the review's sources and one source file.
fn target() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    for f in [
        "spec/_pass/AGENT_7_REVIEW_REPORT.md",
        "spec/_pass/AGENT_7_RE_REVIEW_REPORT.md",
        "spec/_pass/AGENT_FIX_2_FINAL.md",
    ] {
        write(t.path(), f, "# notes\n");
    }
    write(t.path(), "src/lock.ts", "a\nb\nc\n");
    write(t.path(), "scripts/verify.mjs", &"x\n".repeat(10));
    t
}

fn judge(text: &str) -> disposition::Disposition {
    let t = target();
    let mut resolver = Resolver::new(t.path(), &[]).with_bases("spec/_pass", "spec");
    disposition::check("spec/_pass/K5_REVIEW_DISPOSITION.md", text, &mut resolver)
}

fn decision(d: &disposition::Disposition) -> Option<(&'static str, u32)> {
    d.decision.map(|(x, l)| (x.as_str(), l))
}

/// A review history: the first round is not ready, a fix cycle, a re-review that approves,
/// and a final disposition.
const HISTORY: &str = "# K5 Review Disposition

## First Review
- Source: `AGENT_7_REVIEW_REPORT.md`
- Disposition: `not_ready`
- Findings:
1. High: the lock is taken back from a live holder when its file is old.
2. Low: a test leaves a folder behind.

## Fix Cycle
- Source: `AGENT_FIX_2_FINAL.md`
- Implemented fixes:
1. The holder's process is checked before the lock is taken back.
2. A test covers a live holder.
3. The test removes its folder.
- Verification:
1. `bunx vitest run src/lock.test.ts`

## Re-Review
- Source: `AGENT_7_RE_REVIEW_REPORT.md`
- Disposition: `approve`

## Final K5 Disposition
`approve`
";

#[test]
fn a_review_history_ends_with_its_last_decision() {
    let d = judge(HISTORY);
    assert_eq!(errors(&d.findings), vec![]);
    assert_eq!(decision(&d), Some(("approve", 24)));
    assert_eq!(
        d.items
            .iter()
            .map(|i| (i.severity.as_str(), i.status.as_str()))
            .collect::<Vec<_>>(),
        vec![("high", "resolved"), ("low", "resolved")]
    );
    // The last decision flipped: the history ends not ready.
    let flipped = HISTORY.replace(
        "## Final K5 Disposition\n`approve`",
        "## Final K5 Disposition\n`not_ready`",
    );
    assert_eq!(
        errors(&judge(&flipped).findings),
        vec![r("decision-reject", 24, 2)]
    );
    // A later round that is neither final nor a re-review: two decisions, no history to
    // settle them.
    let unsettled = HISTORY
        .replace("## Final K5 Disposition\n`approve`\n", "")
        .replace("## Re-Review", "## Second Look");
    assert_eq!(
        errors(&judge(&unsettled).findings),
        vec![r("decision-conflict", 21, 16)]
    );
}

#[test]
fn a_high_that_no_fix_closes_stays_open() {
    // A high added to the first round: three findings, one fix short of closing them.
    let text = HISTORY.replace(
        "2. Low: a test leaves a folder behind.",
        "2. Low: a test leaves a folder behind.\n3. High: a reclaim races a second writer.\n4. Medium: the timeout is not configurable.",
    );
    assert_eq!(
        errors(&judge(&text).findings),
        vec![
            r("blocking-or-high-not-resolved", 7, 1),
            r("blocking-or-high-not-resolved", 9, 1)
        ]
    );
    // A closure line after the re-review closes the highs.
    let closed = text.replace(
        "- Disposition: `approve`\n",
        "- Disposition: `approve`\n- Closure:\n1. High findings closed.\n",
    );
    assert_eq!(errors(&judge(&closed).findings), vec![]);
    // A high raised by the re-review, with nothing after it.
    let late = HISTORY.replace(
        "- Disposition: `approve`\n",
        "- Disposition: `approve`\n- Remaining issue:\n1. High: a reclaim races a second writer.\n",
    );
    assert_eq!(
        errors(&judge(&late).findings),
        vec![r("blocking-or-high-not-resolved", 23, 1)]
    );
}

/// Findings said in words, a plain key line under the title, none found, and a verification
/// section's outcome.
const PLAIN: &str = "# K5 Review Disposition

disposition: approve

## Findings (by severity)
1. None (`P0`/`P1`): no blocking or high findings identified.

## Verification Results
1. `bun run k:gates`
- Outcome: pass
";

#[test]
fn plain_key_lines_and_statements_of_none() {
    let d = judge(PLAIN);
    assert_eq!(errors(&d.findings), vec![]);
    assert_eq!(decision(&d), Some(("approve", 3)));
    assert!(d.items.is_empty());
    assert_eq!(
        errors(&judge(&PLAIN.replace("disposition: approve", "disposition: reject")).findings),
        vec![r("decision-reject", 3, 14)]
    );
    // The same outcome line outside a verification section states a decision it cannot read.
    assert_eq!(
        errors(&judge(&PLAIN.replace("## Verification Results", "## Notes")).findings),
        vec![r("decision-invalid", 10, 12)]
    );
    let listed = "# K5A Structural Disposition\n\n## Findings\n- blocking/high: none\n- medium: none\n\n## Disposition\n- outcome: `approve`\n- follow-up required: none\n";
    let d = judge(listed);
    assert_eq!(errors(&d.findings), vec![]);
    assert_eq!(decision(&d), Some(("approve", 8)));
    let debt = "# K5A Structural Disposition\n\ndisposition: approve\n\n## Findings\n1. No material debt requiring changes.\n2. No architecture pivots recommended.\n";
    assert_eq!(errors(&judge(debt).findings), vec![]);
}

#[test]
fn findings_resolved_in_words_and_a_ready_disposition() {
    let text = "# K4 Review Disposition\n\n## Disposition\n`ready`\n\n## Findings Resolution\n1. `HIGH-01` (trusted header): fixed in `6b83860` by dropping the header path.\n2. `MEDIUM-01` (docs drift): resolved in K5 by rewriting the gate list.\n3. Medium: one helper is duplicated (fixed)\n";
    let d = judge(text);
    assert_eq!(errors(&d.findings), vec![]);
    assert_eq!(decision(&d), Some(("approve", 4)));
    assert_eq!(d.items.len(), 3);
    // "fixed later" puts it off: no status.
    let later = text.replace(
        "fixed in `6b83860` by dropping the header path.",
        "to be fixed later.",
    );
    assert_eq!(
        errors(&judge(&later).findings),
        vec![r("finding-status-missing", 7, 1)]
    );
}

#[test]
fn approve_with_changes_needs_the_changes_closed() {
    let text = "# K5A Structural Disposition\n\n- decision: `approve_with_changes`\n- status: `closed`\n\n## Applied Structural Changes\n1. Two handlers share one flow.\n";
    let d = judge(text);
    assert_eq!(errors(&d.findings), vec![]);
    assert_eq!(decision(&d), Some(("approve", 3)));
    assert_eq!(
        errors(&judge(&text.replace("- status: `closed`\n", "")).findings),
        vec![r("findings-missing", 0, 0), r("decision-reject", 3, 13)]
    );
}

#[test]
fn citations_that_are_not_files_of_the_target() {
    let text = "# K5 Review Disposition\n\ndisposition: approve\n\n## Findings\n1. None.\n\n## Scope\n- Range: `codex/phase-k-runtime..HEAD` at `6b83860`.\n- Skill: `/Users/someone/.agents/skills/review/SKILL.md`.\n- Prompt `/Users/someone/.agents/prompts/a-to-b.md` maps to `a-to-b-canonical.md` here.\n- `K4_TRIGGER_EVIDENCE.md` remains intentionally absent while the state is deferred.\n- `scripts/verify.mjs:8` (the deferred state forbids `K4_TRIGGER_LOG.md`).\n- Evidence: `src/lock.ts:3`, `/home/dev/checkouts/hq/src/lock.ts:2`.\n";
    let t = target();
    let mut resolver = Resolver::new(t.path(), &["/home/dev/checkouts/hq".to_string()])
        .with_bases("spec/_pass", "spec");
    let d = disposition::check("spec/_pass/K5_REVIEW_DISPOSITION.md", text, &mut resolver);
    assert_eq!(errors(&d.findings), vec![]);
    // A file of the target that does not exist is still dangling.
    let missing = text.replace("`src/lock.ts:3`", "`src/unlock.ts:3`");
    let d = disposition::check(
        "spec/_pass/K5_REVIEW_DISPOSITION.md",
        &missing,
        &mut resolver,
    );
    assert_eq!(
        errors(&d.findings),
        vec![r("cited-artifact-missing", 14, 14)]
    );
}

/// A table manifest: canonical docs outside the pass root, pass-root files named from the
/// repository root, actions that keep the file, and no deletion.
const MANIFEST: &str = "# K6 Cleanup Manifest

## Path Actions
| Path | Action | Rationale |
| --- | --- | --- |
| `spec/README.md` | `update` | The index routes to this pass. |
| `spec/_pass/K6_CLEANUP_MANIFEST.md` | `finalize` | This record. |
| `spec/_pass/AGENT_2_FINAL_K6_DOCS.md` | `add` | The cleanup agent's report. |
| `spec/_pass/K5_REVIEW_DISPOSITION.md` | `retain` | Review lineage. |
| `spec/_pass/ORCHESTRATOR_SCRATCHPAD.md` | `retain (untouched)` | The ledger stays as written. |

## Deletions
- `none`

## Deletion Rationale
Nothing superseded is safe to remove before the handoff.
";

fn cleanup_target() -> tempfile::TempDir {
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "spec/README.md", "# spec\n");
    for f in [
        "K6_CLEANUP_MANIFEST.md",
        "AGENT_2_FINAL_K6_DOCS.md",
        "K5_REVIEW_DISPOSITION.md",
        "ORCHESTRATOR_SCRATCHPAD.md",
        // Written after the cleanup: known by their roles.
        "K7_PHASE_L_READINESS.md",
        "PHASE_K_EXECUTION_REPORT.md",
        "FINAL_PHASE_K_HANDOFF.md",
    ] {
        let text = if f == "K6_CLEANUP_MANIFEST.md" {
            MANIFEST
        } else {
            "# doc\n"
        };
        write(t.path(), &format!("spec/_pass/{f}"), text);
    }
    t
}

fn cleanup_findings(t: &Path) -> (Vec<R>, Vec<Finding>) {
    // A later phase's documents: the cleanup slice K6, the readiness slice K7.
    let cfg = cleanup::Config {
        manifest: "K6_CLEANUP_MANIFEST.md".into(),
        archive_dir: "_archive".into(),
        canonical_docs: vec!["spec".into()],
        closure_documents: vec!["K5_REVIEW_DISPOSITION.md".into()],
        protected: vec![],
        orchestrator: vec![
            "ORCHESTRATOR_PLAN_VERBATIM.md".into(),
            "ORCHESTRATOR_SCRATCHPAD.md".into(),
        ],
        scratchpad: "ORCHESTRATOR_SCRATCHPAD.md".into(),
        generated: vec![
            "PHASE_K_EXECUTION_REPORT.md".into(),
            "FINAL_PHASE_K_HANDOFF.md".into(),
        ],
        later_slices: vec!["K6".into(), "K7".into()],
        title: "K6 Cleanup Manifest".into(),
        protected_globs: None,
    };
    let (f, _) = cleanup::check(t, "spec/_pass", &cfg).unwrap();
    (errors(&f), f)
}

#[test]
fn a_table_manifest_with_repository_paths() {
    let t = cleanup_target();
    let (errs, all) = cleanup_findings(t.path());
    assert_eq!(errs, vec![]);
    assert!(all.iter().all(|f| f.rule != "unaccounted-file"), "{all:?}");
    // A retained path deleted, and a canonical doc the cleanup updated gone.
    std::fs::remove_file(t.path().join("spec/_pass/K5_REVIEW_DISPOSITION.md")).unwrap();
    std::fs::remove_file(t.path().join("spec/README.md")).unwrap();
    assert_eq!(
        cleanup_findings(t.path()).0,
        vec![
            r("retained-path-missing", 6, 3),
            r("retained-path-missing", 9, 3)
        ]
    );
}

#[test]
fn a_table_action_outside_the_vocabulary_is_invalid() {
    let t = cleanup_target();
    let text = MANIFEST.replace("| `update` |", "| `rewrite` |");
    write(t.path(), "spec/_pass/K6_CLEANUP_MANIFEST.md", &text);
    assert_eq!(
        cleanup_findings(t.path()).0,
        vec![r("invalid-action", 6, 22)]
    );
}

/// Readiness in the later shape: owners by concern, an order of opening steps before the
/// next packet exists.
const READY: &str = "# K7 Phase L Readiness

## Posture
`ready`

## Blocking Items
None.

## Non-Blocking Carry-Forward
1. A lock policy stays open.

## Owner Matrix for Phase L Kickoff
| Concern | Owner | Priority |
| --- | --- | --- |
| Phase L packet | `@sequencing` | P0 |
| Runtime seams | `@runtime-host` | P1 |

## Recommended Opening Order
1. Publish the Phase L packet before runtime edits.
2. Run the slices in the packet's order.
";

#[test]
fn readiness_by_concern_with_opening_steps() {
    let r0 = readiness::check_with("K7.md", READY, true, false);
    assert_eq!(errors(&r0.findings), vec![]);
    assert_eq!(r0.steps.len(), 2);
    assert_eq!(r0.concern_owners.len(), 2);
    assert_eq!(readiness::next_phase(READY), Some('L'));
    // Once the packet is written, the order names its slices.
    assert_eq!(
        errors(&readiness::check_with("K7.md", READY, true, true).findings),
        vec![
            r("order-empty", 18, 1),
            r("order-slice-missing", 19, 1),
            r("order-slice-missing", 20, 1)
        ]
    );
    // The blockers emptied: the section states nothing.
    assert_eq!(
        errors(
            &readiness::check_with("K7.md", &READY.replace("None.\n", ""), true, false).findings
        ),
        vec![r("blockers-unstated", 6, 1)]
    );
    // A concern without an owner.
    assert_eq!(
        errors(
            &readiness::check_with("K7.md", &READY.replace("`@runtime-host`", "—"), true, false)
                .findings
        ),
        vec![r("owner-missing", 16, 19)]
    );
    // Owners as a list of teams.
    let teams = READY.replace(
        "| Concern | Owner | Priority |\n| --- | --- | --- |\n| Phase L packet | `@sequencing` | P0 |\n| Runtime seams | `@runtime-host` | P1 |\n",
        "1. `@runtime-host`: own the runtime slices.\n2. Steward/orchestrator: enforce the closure loop.\n",
    );
    let rt = readiness::check_with("K7.md", &teams, true, false);
    assert_eq!(errors(&rt.findings), vec![]);
    assert_eq!(rt.concern_owners.len(), 2);
    // A note or a placeholder in that list is no owner: with nothing else there, the section
    // names no owner at all.
    let notes = READY.replace(
        "| Concern | Owner | Priority |\n| --- | --- | --- |\n| Phase L packet | `@sequencing` | P0 |\n| Runtime seams | `@runtime-host` | P1 |\n",
        "1. Note: owners are assigned at kickoff.\n2. `@runtime-host`: TBD\n",
    );
    let rn = readiness::check_with("K7.md", &notes, true, false);
    assert_eq!(rn.concern_owners.len(), 0);
    assert_eq!(
        errors(&rn.findings)
            .into_iter()
            .filter(|f| f.0 == "owners-table-missing")
            .count(),
        1
    );
}

/// The conditional decision slice, run as a gate of a pipeline over a temporary target.
fn conditional(files: &[(&str, &str)]) -> Vec<(String, String, u32, u32)> {
    let t = tempfile::tempdir().unwrap();
    for (f, text) in files {
        write(t.path(), &format!("spec/_pass/{f}"), text);
    }
    let text = format!(
        "[pipeline]\nname = \"k\"\n\n[target]\nrepo = {:?}\npass_root = \"spec/_pass\"\n\n[[stage]]\nnumber = 0\ntitle = \"s\"\n\n[[slice]]\nid = \"K4\"\nstage = 0\ntitle = \"conditional\"\nowner = \"o\"\ndepends_on = []\ngates = [\"k4\"]\n\n[gate.k4]\ncheck = \"conditional-disposition\"\nparams = {{ document = \"K4_DISPOSITION.md\" }}\n",
        t.path().to_str().unwrap()
    );
    let file = t.path().join("pipeline.toml");
    let p = gates::load::load_str(&text, &file, t.path()).unwrap();
    let repo = std::fs::canonicalize(t.path()).unwrap();
    let res = gates::run::executor::run_gate(
        &p,
        &p.gates["k4"],
        &repo,
        &repo.join("spec/_pass"),
        &std::sync::atomic::AtomicBool::new(false),
        None,
    );
    let mut v: Vec<(String, String, u32, u32)> = res
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| {
            (
                f.rule.clone(),
                f.path.clone().unwrap_or_default(),
                f.line,
                f.col,
            )
        })
        .collect();
    v.sort();
    v
}

const DEFERRED: &str = "# K4 Disposition\n\nstate: deferred\n\n## Summary\nNo trigger criterion is met; `K4_TRIGGER_EVIDENCE.md` stays absent until one is.\n";
const SCAN_QUIET: &str = "{\n  \"criterion\": \"k4-scan\",\n  \"triggered\": false\n}\n";
const SCAN_FIRED: &str = "{\n  \"criterion\": \"k4-scan\",\n  \"triggered\": true\n}\n";

fn c(rule: &str, path: &str, line: u32, col: u32) -> (String, String, u32, u32) {
    (rule.into(), format!("spec/_pass/{path}"), line, col)
}

#[test]
fn conditional_disposition_states_agree_with_scans_and_evidence() {
    // Deferred with a quiet scan and no evidence; triggered with a fired scan and evidence.
    assert_eq!(
        conditional(&[
            ("K4_DISPOSITION.md", DEFERRED),
            ("K4_TRIGGER_SCAN_RESULT.json", SCAN_QUIET)
        ]),
        vec![]
    );
    let triggered = DEFERRED.replace("state: deferred", "state: triggered");
    assert_eq!(
        conditional(&[
            ("K4_DISPOSITION.md", &triggered),
            ("K4_TRIGGER_SCAN_RESULT.json", SCAN_FIRED),
            ("K4_TRIGGER_EVIDENCE.md", "# K4 Trigger Evidence\n"),
        ]),
        vec![]
    );
    // Trigger evidence added while the state is deferred.
    assert_eq!(
        conditional(&[
            ("K4_DISPOSITION.md", DEFERRED),
            ("K4_TRIGGER_SCAN_RESULT.json", SCAN_QUIET),
            ("K4_TRIGGER_EVIDENCE.md", "# K4 Trigger Evidence\n"),
        ]),
        vec![c(
            "trigger-evidence-present",
            "K4_TRIGGER_EVIDENCE.md",
            0,
            0
        )]
    );
    // Deferred against a scan that fired; triggered without evidence nor a fired scan.
    assert_eq!(
        conditional(&[
            ("K4_DISPOSITION.md", DEFERRED),
            ("K4_TRIGGER_SCAN_RESULT.json", SCAN_FIRED)
        ]),
        vec![c("state-disagrees-with-scan", "K4_DISPOSITION.md", 3, 8)]
    );
    assert_eq!(
        conditional(&[
            ("K4_DISPOSITION.md", &triggered),
            ("K4_TRIGGER_SCAN_RESULT.json", SCAN_QUIET)
        ]),
        vec![
            c("state-disagrees-with-scan", "K4_DISPOSITION.md", 3, 8),
            c("trigger-evidence-missing", "K4_DISPOSITION.md", 3, 8)
        ]
    );
    // Exactly one state: none, two, an unknown word; a scan without its field.
    assert_eq!(
        conditional(&[(
            "K4_DISPOSITION.md",
            "# K4 Disposition\n\nDeferred for now.\n"
        )]),
        vec![c("state-missing", "K4_DISPOSITION.md", 0, 0)]
    );
    assert_eq!(
        conditional(&[(
            "K4_DISPOSITION.md",
            &DEFERRED.replace("state: deferred\n", "state: deferred\n- state: triggered\n")
        )]),
        vec![c("state-duplicate", "K4_DISPOSITION.md", 4, 10)]
    );
    assert_eq!(
        conditional(&[(
            "K4_DISPOSITION.md",
            &DEFERRED.replace("deferred\n", "maybe\n")
        )]),
        vec![c("state-invalid", "K4_DISPOSITION.md", 3, 8)]
    );
    assert_eq!(
        conditional(&[
            ("K4_DISPOSITION.md", DEFERRED),
            ("K4_TRIGGER_SCAN_RESULT.json", "{\n  \"fired\": 1\n}\n")
        ]),
        vec![c(
            "scan-result-invalid",
            "K4_TRIGGER_SCAN_RESULT.json",
            0,
            0
        )]
    );
    assert_eq!(
        conditional(&[]),
        vec![c(
            "conditional-disposition-missing",
            "K4_DISPOSITION.md",
            0,
            0
        )]
    );
}

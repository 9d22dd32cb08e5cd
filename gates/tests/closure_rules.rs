//! Every rule of the disposition and readiness formats (docs/closure-format.md), on small
//! documents written inline, with exact line and column; and the report generator keeping
//! human-written sections.

use crate::closure_support;

use closure_support::*;
use gates::artifacts::evidence::Resolver;
use gates::artifacts::{disposition, readiness, report};
use gates::finding::{Finding, Severity};

type R = (String, u32, u32);

fn rules(findings: &[Finding], severity: Severity) -> Vec<R> {
    let mut v: Vec<R> = findings
        .iter()
        .filter(|f| f.severity == severity)
        .map(|f| (f.rule.clone(), f.line, f.col))
        .collect();
    v.sort_by_key(|r| (r.1, r.2, r.0.clone()));
    v
}

fn r(rule: &str, line: u32, col: u32) -> R {
    (rule.to_string(), line, col)
}

fn disposition_findings(text: &str) -> Vec<R> {
    let t = fixture("complete");
    let mut resolver = Resolver::new(t.path(), &[]).with_bases("pass", "");
    rules(
        &disposition::check("D.md", text, &mut resolver).findings,
        Severity::Error,
    )
}

const HEAD: &str = "| id | severity | status | evidence | owner | rationale | target slice |\n| --- | --- | --- | --- | --- | --- | --- |\n";

#[test]
fn disposition_values_ids_and_evidence() {
    let text = format!(
        "# D\n\n{HEAD}\
| R-1 | critical | done | `src/app.ts:1` | a | b | c |\n\
| R-1 | low | resolved | `src/app.ts:1` | a | b | c |\n\
|  | low | resolved | no anchor here | a | b | c |\n\
| R-4 | blocking | deferred | `src/app.ts:0` | a | b | c |\n\
| R-5 | medium | accepted | `src/app.ts:9-2` | — | n/a | TBD |\n\
\nDecision: approve\n"
    );
    assert_eq!(
        disposition_findings(&text),
        vec![
            r("invalid-severity", 5, 9),
            r("invalid-status", 5, 20),
            r("finding-id-duplicate", 6, 3),
            r("finding-id-missing", 7, 4),
            r("evidence-missing", 7, 23),
            r("blocking-or-high-not-resolved", 8, 20),
            r("evidence-line-out-of-range", 8, 32),
            r("evidence-line-out-of-range", 9, 30),
            r("medium-disposition-incomplete", 9, 48),
            r("medium-disposition-incomplete", 9, 52),
            r("medium-disposition-incomplete", 9, 58),
        ]
    );
}

#[test]
fn disposition_decision_rules() {
    let base = format!("# D\n\n{HEAD}| R-1 | low | resolved | `src/app.ts:1` | a | b | c |\n\n");
    assert_eq!(
        disposition_findings(&base),
        vec![r("decision-missing", 0, 0)]
    );
    assert_eq!(
        disposition_findings(&format!("{base}Decision: reject\n")),
        vec![r("decision-reject", 7, 11)]
    );
    assert_eq!(
        disposition_findings(&format!("{base}Decision: maybe\n")),
        vec![r("decision-invalid", 7, 11)]
    );
    // The same decision stated twice is one decision; two different ones conflict.
    assert_eq!(
        disposition_findings(&format!(
            "{base}Decision: approve\n\n- **Decision:** approve\n"
        )),
        vec![]
    );
    // A decision inside a code fence or a comment does not count.
    assert_eq!(
        disposition_findings(&format!(
            "{base}```\nDecision: approve\n```\n<!--\nDecision: approve\n-->\n"
        )),
        vec![r("decision-missing", 0, 0)]
    );
    assert_eq!(
        disposition_findings(&format!("{base}**Decision:** `approve`\n")),
        vec![]
    );
    // A reject a renderer shows (quoted, as a heading) next to an approve is a second
    // decision, not invisible (it was ignored, and the document approved).
    assert_eq!(
        disposition_findings(&format!(
            "{base}Decision: approve\n\n> **Decision:** reject\n\n## Decision: reject\n"
        )),
        vec![
            r("decision-conflict", 9, 17),
            r("decision-conflict", 11, 14)
        ]
    );
}

/// The user's shape: findings as a numbered list with a bold status, the decision a code
/// span under a heading naming it, the reviews cited by name.
const PROSE: &str = "# A7 Review Disposition\n\n## Primary Evidence\n- `AGENT_1_FINAL_HOST.md`\n\n## Finding Disposition\n1. `/rpc` caller drift: **resolved**.\n   - Default deny now.\n2. Timeout fragility: **resolved in targeted scope**.\n\n## Final A7 Decision\n`approve`\n\nRationale: blocking/high items are resolved.\n";

#[test]
fn disposition_in_prose() {
    assert_eq!(disposition_findings(PROSE), vec![]);
    let d = disposition::check(
        "D.md",
        PROSE,
        &mut Resolver::new(fixture("complete").path(), &[]),
    );
    assert_eq!(d.items.len(), 2);
    assert_eq!(
        d.decision.map(|(x, l)| (x.as_str(), l)),
        Some(("approve", 12))
    );
    // A dangling review reference, as the user's disposition had before its reviews landed.
    assert_eq!(
        disposition_findings(&PROSE.replace(
            "AGENT_1_FINAL_HOST.md",
            "AGENT_R1_FINAL_STRUCTURAL_REFACTOR.md"
        )),
        vec![r("cited-artifact-missing", 4, 4)]
    );
    // Decisions: reject, none, conflicting, a bold token.
    assert_eq!(
        disposition_findings(&PROSE.replace("`approve`", "`reject`")),
        vec![r("decision-reject", 12, 2)]
    );
    assert_eq!(
        disposition_findings(&PROSE.replace("`approve`", "pending")),
        vec![r("decision-missing", 0, 0)]
    );
    assert_eq!(
        disposition_findings(&PROSE.replace("`approve`", "`approve`\n\n**reject**")),
        vec![r("decision-conflict", 14, 3)]
    );
    assert_eq!(
        disposition_findings(&PROSE.replace("`approve`", "**approved**")),
        vec![]
    );
    // Two decisions on one line are still two.
    assert_eq!(
        disposition_findings(&PROSE.replace("`approve`", "`approve` (or `reject`?)")),
        vec![r("decision-conflict", 12, 16)]
    );
    // A finding left open (no severity stated: read as high), one without a status, a
    // medium left open (a warning, not an error).
    assert_eq!(
        disposition_findings(&PROSE.replace("**resolved**.", "**open**.")),
        vec![r("blocking-or-high-not-resolved", 7, 27)]
    );
    assert_eq!(
        disposition_findings(&PROSE.replace(": **resolved**.", " fixed later.")),
        vec![r("finding-status-missing", 7, 1)]
    );
    assert_eq!(
        disposition_findings(&PROSE.replace("**resolved**.", "**open** (`medium`).")),
        vec![]
    );
    // No findings at all: neither a table nor a findings list.
    assert_eq!(
        disposition_findings("# D\n\n## Decision\n`approve`\n"),
        vec![r("findings-missing", 0, 0)]
    );
}

#[test]
fn disposition_table_shape() {
    assert_eq!(
        disposition_findings("# D\n\nDecision: approve\n"),
        vec![r("findings-missing", 0, 0)]
    );
    assert_eq!(
        disposition_findings(
            "# D\n\n| ID | Severity | Status | Evidence |\n| - | - | - | - |\n| R-1 | low | resolved | `src/app.ts:2` |\n\nDecision: approve\n"
        ),
        vec![r("findings-table-column-missing", 3, 3)]
    );
    // Column order, header spelling and extra columns are free; an empty table is a clean review.
    assert_eq!(
        disposition_findings(
            "# D\n\n| Target_Slice | Rationale | Owner | Evidence | Status | Severity | ID | note |\n|---|---|---|---|---|---|---|---|\n\nDecision: approve\n"
        ),
        vec![]
    );
    // A table in a code fence is an example, not the findings table.
    assert_eq!(
        disposition_findings(&format!(
            "# D\n\n```markdown\n{HEAD}| R-1 | high | open | x | a | b | c |\n```\n\nDecision: approve\n"
        )),
        vec![r("findings-missing", 0, 0)]
    );
}

#[test]
fn every_findings_table_is_read() {
    // Findings split over two tables (one per perspective): an open high in the second one
    // still fails, and ids are unique across both.
    let text = format!(
        "# D\n\n## TypeScript\n\n{HEAD}| R-1 | low | resolved | `src/app.ts:1` | a | b | c |\n\n## oRPC\n\n{HEAD}| R-2 | high | open | `src/app.ts:2` | a | b | c |\n| R-1 | low | resolved | `src/app.ts:3` | a | b | c |\n\nDecision: approve\n"
    );
    assert_eq!(
        disposition_findings(&text),
        vec![
            r("blocking-or-high-not-resolved", 13, 16),
            r("finding-id-duplicate", 14, 3)
        ]
    );
}

#[test]
fn medium_open_is_a_warning() {
    let t = fixture("complete");
    let text = format!(
        "# D\n\n{HEAD}| R-1 | medium | open | `src/app.ts:1` | | | |\n\nDecision: approve\n"
    );
    let d = disposition::check("D.md", &text, &mut Resolver::new(t.path(), &[]));
    assert_eq!(rules(&d.findings, Severity::Error), vec![]);
    assert_eq!(
        rules(&d.findings, Severity::Warning),
        vec![r("medium-open", 5, 18)]
    );
}

fn readiness_findings(text: &str) -> Vec<R> {
    rules(
        &readiness::check("A9.md", text, false).findings,
        Severity::Error,
    )
}

const OWNERS: &str = "## Owners\n\n| slice | owner |\n| --- | --- |\n| B0 | agent-1 |\n\n";

#[test]
fn readiness_posture_rules() {
    let rest = format!(
        "## Blockers\n\nNone.\n\n{OWNERS}## Order\n\n| slice | depends on |\n| --- | --- |\n| B0 | — |\n"
    );
    assert_eq!(
        readiness_findings(&format!("# A9\n\n{rest}")),
        vec![r("posture-missing", 0, 0)]
    );
    assert_eq!(
        readiness_findings(&format!("# A9\n\nPosture: almost\n\n{rest}")),
        vec![r("posture-invalid", 3, 10)]
    );
    assert_eq!(
        readiness_findings(&format!("# A9\n\nPosture: ready\nPosture: ready\n\n{rest}")),
        vec![]
    );
    // Two different postures: a conflict, and no posture is taken.
    assert_eq!(
        readiness_findings(&format!(
            "# A9\n\nPosture: ready\n> Posture: not-ready\n\n{rest}"
        )),
        vec![r("posture-conflict", 4, 12)]
    );
    // The user's shape: a decision heading, a code-span token, blockers in words.
    let prose = "# A9\n\n## Readiness Decision\n`ready`\n\nRationale:\n1. Gates are green (`phase-a:gates:exit`).\n\n## Blockers\nNo kickoff blockers.\n\n## Owner Matrix (Phase B Opening)\n| Slice | Owner | Backup |\n| --- | --- | --- |\n| `B0` auth hardening | `@runtime` | `@duty` |\n| `B1` router isolation | `@plugins` | `@duty` |\n\n## Ordered Opening Sequence\n1. `B0` auth hardening.\n2. `B1` router isolation.\n\nDependency rule:\n- `B1` depends on `B0`.\n";
    assert_eq!(readiness_findings(prose), vec![]);
    assert_eq!(
        readiness_findings(&prose.replace("`ready`", "`not-ready`")),
        vec![r("not-ready-without-blockers", 4, 1)]
    );
    assert_eq!(
        readiness_findings(&prose.replace(
            "No kickoff blockers.",
            "No kickoff blockers.\n- `B0` waits on the auth provider contract."
        )),
        vec![r("ready-with-blockers", 11, 1)]
    );
    assert_eq!(
        readiness_findings(&prose.replace("`ready`", "**ready**\n`not-ready`")),
        vec![r("posture-conflict", 5, 2)]
    );
    assert_eq!(
        readiness_findings(&prose.replace("- `B1` depends on `B0`.", "- `B1` depends on `B7`.")),
        vec![r("dependency-undeclared", 23, 8)]
    );
    assert_eq!(
        readiness_findings(&prose.replace(
            "| `B0` auth hardening | `@runtime` |",
            "| `B0` auth hardening | — |"
        )),
        vec![r("opening-slice-without-owner", 13, 1)]
    );
    assert_eq!(
        readiness_findings(&format!("# A9\n\nPosture: not-ready\n\n{rest}")),
        vec![r("not-ready-without-blockers", 3, 1)]
    );
    assert_eq!(
        readiness_findings(&format!("# A9\n\n**Posture:** ready\n\n{rest}")),
        vec![]
    );
    // Blockers in a table count too.
    let table = format!(
        "# A9\n\nPosture: ready\n\n## Blockers\n\n| blocker | owner |\n| --- | --- |\n| no reviewer for B1 | agent-2 |\n\n{OWNERS}## Order\n\n| slice | depends on |\n| --- | --- |\n| B0 | — |\n"
    );
    assert_eq!(
        readiness_findings(&table),
        vec![r("ready-with-blockers", 9, 1)]
    );
    // A second `Blockers` section further down is read too (only the first, "None.", was).
    assert_eq!(
        readiness_findings(&format!(
            "# A9\n\nPosture: ready\n\n{rest}\n## Blockers:\n\n- B0 has no reviewer\n"
        )),
        vec![r("ready-with-blockers", 23, 1)]
    );
}

#[test]
fn readiness_owner_and_order_rules() {
    let text = "# A9\n\nPosture: ready\n\n## Blockers\n\n- None\n\n## Owners\n\n| slice | owner |\n| --- | --- |\n| B0 | agent-1 |\n| B9 | agent-9 |\n| B4 | TBD |\n\n## Order\n\n| slice | depends on |\n| --- | --- |\n| B0 | — |\n| B1 | B2 |\n| B2 | B0, BX |\n| B3 | B3 |\n| B2 | B0 |\n| B4 | |\n";
    assert_eq!(
        readiness_findings(text),
        vec![
            r("opening-slice-without-owner", 11, 1),
            r("owner-for-undeclared-slice", 14, 3),
            r("dependency-out-of-order", 22, 8),
            r("dependency-undeclared", 23, 8),
            r("dependency-cycle", 24, 8),
            r("order-slice-duplicate", 25, 3),
        ]
    );
    assert_eq!(
        readiness_findings("# A9\n\nPosture: ready\n\n## Blockers\n\nNone.\n"),
        vec![
            r("order-section-missing", 0, 0),
            r("owners-section-missing", 0, 0)
        ]
    );
}

fn record(statuses: &[(&str, gates::run::Status)]) -> gates::run::RunRecord {
    let gates_: Vec<gates::run::GateResult> = statuses
        .iter()
        .map(|(id, st)| gates::run::GateResult {
            id: id.to_string(),
            check: Some(id.to_string()),
            command: None,
            slices: vec!["A7".into()],
            stage: 2,
            status: *st,
            reason: None,
            duration_ms: 12,
            findings: vec![],
            notes: vec![],
            output: String::new(),
            cached: false,
        })
        .collect();
    gates::run::RunRecord {
        tool: "rawr-gates test".into(),
        pipeline: "closure-fixture".into(),
        phase: Some("Phase A".into()),
        pipeline_file: "ci/phase-a.toml".into(),
        repo: ".".into(),
        revision: Some("abc123".into()),
        selection: "all stages".into(),
        started_at: "2026-02-20T18:00:00Z".into(),
        finished_at: "2026-02-20T18:00:01Z".into(),
        duration_ms: 1000,
        interrupted: false,
        exit_code: 0,
        counts: gates::run::Counts::of(&gates_),
        slices: vec![],
        gates: gates_,
    }
}

#[test]
fn report_keeps_human_sections_and_records_the_closure() {
    use gates::run::Status::*;
    let t = fixture("complete");
    let pass = t.path().join("pass");
    let docs = report::Docs::of(&pipeline());
    let rec = record(&[("review-closure", Passed), ("docs-cleanup", Failed)]);
    // Hand-written notes in the existing report survive, and so does a section the template
    // no longer has.
    let path = pass.join("PHASE_A_EXECUTION_REPORT.md");
    let old = std::fs::read_to_string(&path).unwrap().replace(
        "<!-- human:begin notes -->\n",
        "<!-- human:begin notes -->\nA1 and A3 ran in parallel.\n\n| kept | table |\n",
    ) + "\n<!-- human:begin retired -->\nold words\n<!-- human:end retired -->\n";
    std::fs::write(&path, &old).unwrap();
    report::write(t.path(), &pass, &rec, &docs).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains(
            "<!-- human:begin notes -->\nA1 and A3 ran in parallel.\n\n| kept | table |\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("<!-- human:begin retired -->\nold words\n<!-- human:end retired -->"),
        "{text}"
    );
    assert!(text.contains("- A7 review disposition (`A7_REVIEW_DISPOSITION.md`): `approve`"));
    assert!(
        text.contains("- A9 Phase B posture (`A9_PHASE_B_READINESS.md`): `ready`, 0 blocker(s)")
    );
    assert!(
        text.contains("| `docs-cleanup` | A7 | failed | 12 ms | 0 | 0 | check `docs-cleanup` |"),
        "{text}"
    );
    let (_, claims) = report::parse_claims(&text).unwrap();
    let got: Vec<(String, Option<gates::run::Status>)> =
        claims.into_iter().map(|c| (c.gate, c.status)).collect();
    assert_eq!(
        got,
        vec![
            ("review-closure".into(), Some(Passed)),
            ("docs-cleanup".into(), Some(Failed))
        ]
    );
    // Regenerating is stable.
    report::write(t.path(), &pass, &rec, &docs).unwrap();
    assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    // The handoff lists follow-ups from the dispositions.
    let handoff = std::fs::read_to_string(pass.join("FINAL_PHASE_A_HANDOFF.md")).unwrap();
    assert!(
        handoff.contains("| `A7_REVIEW_DISPOSITION.md` | R-2 | medium | deferred | agent-1 | B1 |"),
        "{handoff}"
    );
}

#[test]
fn report_refuses_a_malformed_human_section_and_writes_nothing() {
    let t = fixture("complete");
    let pass = t.path().join("pass");
    let path = pass.join("FINAL_PHASE_A_HANDOFF.md");
    let broken = std::fs::read_to_string(&path)
        .unwrap()
        .replace("<!-- human:end notes -->", "");
    std::fs::write(&path, &broken).unwrap();
    let report_before = std::fs::read(pass.join("PHASE_A_EXECUTION_REPORT.md")).unwrap();
    let err = report::write(
        t.path(),
        &pass,
        &record(&[]),
        &report::Docs::of(&pipeline()),
    )
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("never closed") && err.contains("nothing was written"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), broken);
    assert_eq!(
        std::fs::read(pass.join("PHASE_A_EXECUTION_REPORT.md")).unwrap(),
        report_before
    );
}

#[test]
fn binary_and_non_utf8_documents_are_findings_not_panics() {
    let t = fixture("complete");
    std::fs::write(
        t.path().join("pass/A7_REVIEW_DISPOSITION.md"),
        [0xff, 0xfe, 0x00, 0x41],
    )
    .unwrap();
    std::fs::write(
        t.path().join("pass/AGENT_3_FINAL_BIN.md"),
        [0x00, 0xc3, 0x28],
    )
    .unwrap();
    assert_eq!(
        errors(&run("review-closure", t.path(), None)),
        vec![f(
            "document-not-utf8",
            "pass/A7_REVIEW_DISPOSITION.md",
            0,
            0
        )]
    );
    let e = errors(&run("agent-outputs", t.path(), None));
    assert!(
        e.contains(&f("document-not-utf8", "pass/AGENT_3_FINAL_BIN.md", 0, 0)),
        "{e:?}"
    );
    assert!(
        e.contains(&f(
            "document-not-utf8",
            "pass/A7_REVIEW_DISPOSITION.md",
            0,
            0
        )),
        "{e:?}"
    );
    // Evidence pointing at a binary file counts its lines like any other file.
    std::fs::write(t.path().join("src/blob.bin"), [0u8, 1, 2, b'\n', 3]).unwrap();
    let mut res = Resolver::new(t.path(), &[]);
    let a = gates::artifacts::evidence::anchors_in_line("`src/blob.bin:2`").remove(0);
    assert_eq!(res.resolve(&a).unwrap(), "src/blob.bin");
}

#[test]
fn evidence_through_a_symlink_out_of_the_repo_does_not_resolve() {
    let t = fixture("complete");
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("x.ts"), "a\nb\n").unwrap();
    std::os::unix::fs::symlink(outside.path(), t.path().join("src/out")).unwrap();
    let mut res = Resolver::new(t.path(), &[]);
    let a = gates::artifacts::evidence::anchors_in_line("`src/out/x.ts:1`").remove(0);
    assert_eq!(res.resolve(&a).unwrap_err().rule, "evidence-outside-repo");
    // A symlink loop is a missing file, not a hang.
    std::os::unix::fs::symlink(t.path().join("src/loop"), t.path().join("src/loop")).unwrap();
    let a = gates::artifacts::evidence::anchors_in_line("`src/loop:1`").remove(0);
    assert_eq!(res.resolve(&a).unwrap_err().rule, "evidence-file-missing");
}

#[test]
fn generated_report_and_handoff_text() {
    use gates::run::Status::*;
    let t = fixture("complete");
    let pass = t.path().join("pass");
    let docs = report::Docs::of(&pipeline());
    let mut rec = record(&[
        ("preflight", Passed),
        ("review-closure", Passed),
        ("docs-cleanup", Failed),
        ("handoff", Skipped),
    ]);
    rec.gates[2].command = Some(vec!["npm".into(), "test".into()]);
    rec.gates[2].findings.push(Finding::error(
        "deleted-path-present",
        "pass/A8.md",
        3,
        3,
        "still there",
    ));
    rec.exit_code = 1;
    rec.counts = gates::run::Counts::of(&rec.gates);
    let closure = report::read_closure(t.path(), &pass, &docs);
    insta::assert_snapshot!(
        "execution_report",
        report::execution_report(&rec, &closure, &docs, None).unwrap()
    );
    insta::assert_snapshot!(
        "handoff",
        report::handoff(&rec, &closure, &docs, &pass, None).unwrap()
    );
}

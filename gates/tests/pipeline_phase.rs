//! The phase as data: `[phase]`, `[documents]` by role, the planning pass root, stage labels,
//! conditional slices, check aliases, and the roles a gate's check reads, each with its load
//! errors pointing into the file. And the checks reading their documents through the roles.

use std::path::Path;

use gates::load::load_str;
use gates::pipeline::{GateKind, Pipeline, Role};

use crate::closure_support::{self, errors};

/// A Phase C shaped pipeline: a half stage, a conditional slice and a dependency on it if
/// triggered, every document role.
const PHASE_C: &str = r#"[phase]
id = "C"
next = "D"

[target]
repo = "repo"
pass_root = "docs/spec/_phase-c-runtime-execution-pass-01"
planning_pass_root = "docs/spec/_phase-c-planning-pass-01"

[documents]
report = "PHASE_C_EXECUTION_REPORT.md"
handoff = "FINAL_PHASE_C_HANDOFF.md"
review = { slice = "C5", file = "C5_REVIEW_DISPOSITION.md" }
cleanup = { slice = "C6", file = "C6_CLEANUP_MANIFEST.md" }
readiness = { slice = "C7", file = "C7_PHASE_D_READINESS.md" }
conditional = { slice = "C4", file = "C4_DISPOSITION.md", scan = ["c4-dedupe-scan.json"], trigger_evidence = ["C4_TRIGGER_EVIDENCE.md"] }

[[stage]]
number = 0
title = "implementation"

[[stage]]
number = 1
label = "G1.5"
title = "conditional tightening"

[[stage]]
number = 2
title = "closure"

[[slice]]
id = "C3"
stage = 0
title = "t"
owner = "o"
gates = ["g"]

[[slice]]
id = "C4"
stage = 1
title = "t"
owner = "o"
depends_on = ["C3"]
conditional = true
gates = ["g"]

[[slice]]
id = "C5"
stage = 2
title = "t"
owner = "o"
depends_on = ["C3"]
depends_on_if_triggered = ["C4"]
gates = ["review-closure"]

[[slice]]
id = "C6"
stage = 2
title = "t"
owner = "o"
depends_on = ["C5"]
gates = ["g"]

[[slice]]
id = "C7"
stage = 2
title = "t"
owner = "o"
depends_on = ["C6"]
gates = ["readiness"]

[gate.g]
command = ["true"]

[gate.review-closure]
check = "review-closure"

[gate.readiness]
check = "phase-b-readiness"
"#;

fn load(text: &str) -> Pipeline {
    load_str(text, Path::new("ci/phase-c.toml"), Path::new(".")).unwrap()
}

/// The load error of `text` as `(line, col, message)`.
fn err(text: &str) -> (u32, u32, String) {
    match load_str(text, Path::new("ci/phase-c.toml"), Path::new(".")) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => (e.line, e.col, e.message),
    }
}

/// `PHASE_C` with `old` replaced by `new`.
fn edited(old: &str, new: &str) -> String {
    assert!(PHASE_C.contains(old), "{old:?}");
    PHASE_C.replacen(old, new, 1)
}

#[test]
fn a_phase_pipeline_loads_its_words_documents_labels_and_conditional_slices() {
    let p = load(PHASE_C);
    assert_eq!(p.phase.id, "C");
    assert_eq!(p.phase.name, "Phase C");
    assert_eq!(p.phase.next.as_deref(), Some("D"));
    assert_eq!(p.phase.next_name, "Phase D");
    assert_eq!(
        p.phase.command,
        "cargo xtask run --pipeline ci/phase-c.toml"
    );
    assert_eq!(p.name, "phase-c", "the name defaults to the file's stem");
    assert_eq!(
        p.target.planning_pass_root.as_deref(),
        Some(Path::new("docs/spec/_phase-c-planning-pass-01"))
    );
    let d = &p.documents;
    assert_eq!(d.plan, "ORCHESTRATOR_PLAN_VERBATIM.md");
    assert_eq!(d.file(Role::Review), Some("C5_REVIEW_DISPOSITION.md"));
    assert_eq!(d.slice(Role::Readiness), Some("C7"));
    assert_eq!(d.file(Role::Structural), None);
    let c = d.conditional.as_ref().unwrap();
    assert_eq!(c.slice.as_deref(), Some("C4"));
    assert_eq!(c.scan, ["c4-dedupe-scan.json"]);
    assert_eq!(c.trigger_evidence, ["C4_TRIGGER_EVIDENCE.md"]);
    // The required outputs default to the named roles, in the workflow's order.
    assert_eq!(
        d.required,
        [
            "ORCHESTRATOR_PLAN_VERBATIM.md",
            "ORCHESTRATOR_SCRATCHPAD.md",
            "PHASE_C_EXECUTION_REPORT.md",
            "C5_REVIEW_DISPOSITION.md",
            "C6_CLEANUP_MANIFEST.md",
            "C7_PHASE_D_READINESS.md",
            "FINAL_PHASE_C_HANDOFF.md",
        ]
    );
    assert_eq!(
        d.closure_documents(),
        [
            "C5_REVIEW_DISPOSITION.md",
            "C7_PHASE_D_READINESS.md",
            "PHASE_C_EXECUTION_REPORT.md",
            "FINAL_PHASE_C_HANDOFF.md",
        ]
    );
    // Stage labels, defaulting to the number.
    let labels: Vec<&str> = p.stages.iter().map(|s| s.label.as_str()).collect();
    assert_eq!(labels, ["0", "G1.5", "2"]);
    // The engine waits for both kinds of dependency; the file's own `depends_on` is kept.
    let c5 = p.slice("C5").unwrap();
    assert_eq!(c5.depends_on, ["C3", "C4"]);
    assert_eq!(c5.depends_on_if_triggered, ["C4"]);
    assert_eq!(c5.required_deps().collect::<Vec<_>>(), ["C3"]);
    assert!(p.slice("C4").unwrap().conditional);
    let plan = gates::pipeline::Plan::new(&p);
    let level_of = |id: &str| {
        plan.levels
            .iter()
            .position(|l| l.iter().any(|s| s == id))
            .unwrap()
    };
    assert!(level_of("C5") > level_of("C4"));
}

#[test]
fn old_check_names_load_as_the_phase_neutral_checks() {
    let p = load(PHASE_C);
    match &p.gates["review-closure"].kind {
        GateKind::Check { check, params } => {
            assert_eq!(check.name, "closure");
            assert_eq!(params.get("kind").and_then(|v| v.as_str()), Some("review"));
        }
        k => panic!("{k:?}"),
    }
    assert_eq!(p.gates["readiness"].kind.check_name(), Some("readiness"));
    // The new names load too, and an alias contradicting the kind it stands for is an error.
    let p = load(&edited(
        "check = \"review-closure\"",
        "check = \"closure\"\nparams = { kind = \"review\" }",
    ));
    assert_eq!(p.gates["review-closure"].kind.check_name(), Some("closure"));
    let (line, col, msg) = err(&edited(
        "check = \"review-closure\"",
        "check = \"review-closure\"\nparams = { kind = \"structural\" }",
    ));
    assert_eq!((line, col), (77, 12), "{msg}");
    assert_eq!(
        msg,
        "gate `review-closure`: check `review-closure` is `closure` with kind = \"review\"; this `kind` contradicts it"
    );
    let (_, _, msg) = err(&edited("check = \"review-closure\"", "check = \"closure\""));
    assert_eq!(
        msg,
        "gate `review-closure`: invalid params for check `closure`: `kind` must be \"review\" or \"structural\""
    );
}

#[test]
fn a_role_a_gate_reads_must_be_named() {
    // The structural closure reads the review disposition as its closer: without `review`
    // in [documents] (and no `closed_by`), the gate cannot say what it judges.
    let text = edited(
        "review = { slice = \"C5\", file = \"C5_REVIEW_DISPOSITION.md\" }\n",
        "",
    );
    let (line, col, msg) = err(&text);
    assert_eq!((line, col), (75, 9), "{msg}");
    assert_eq!(
        msg,
        "gate `review-closure`: check `closure` reads the phase's review document, which the pipeline does not name: add `review` to `[documents]` (docs/pipeline.md) or set the gate's `document`"
    );
    // The gate's own `document` names it instead.
    load(&text.replace(
        "check = \"review-closure\"",
        "check = \"review-closure\"\nparams = { document = \"C5_REVIEW_DISPOSITION.md\" }",
    ));
    let (_, _, msg) = err(&edited(
        "readiness = { slice = \"C7\", file = \"C7_PHASE_D_READINESS.md\" }\n",
        "",
    ));
    assert!(
        msg.starts_with("gate `readiness`: check `readiness` reads the phase's readiness document"),
        "{msg}"
    );
}

#[test]
fn phase_errors_point_into_the_file() {
    let cases: &[(&str, &str, (u32, u32), &str)] = &[
        (
            "conditional = true",
            "conditional = false",
            (53, 28),
            "slice `C5` depends on `C4` if triggered, but `C4` is not `conditional = true`",
        ),
        (
            "depends_on_if_triggered = [\"C4\"]",
            "depends_on_if_triggered = [\"C9\"]",
            (53, 28),
            "slice `C5` depends on unknown slice `C9`",
        ),
        (
            "cleanup = { slice = \"C6\",",
            "cleanup = { slice = \"C8\",",
            (14, 21),
            "`documents.cleanup.slice` names `C8`, which is not a slice of this pipeline",
        ),
        (
            "file = \"C6_CLEANUP_MANIFEST.md\"",
            "file = \"../C6_CLEANUP_MANIFEST.md\"",
            (14, 34),
            "`documents.cleanup` must be a file name inside the pass root (relative, without `..`)",
        ),
        (
            "label = \"G1.5\"",
            "label = \"G 1.5\"",
            (24, 9),
            "a stage `label` is one word, e.g. \"1.5\" or \"G1.5\"",
        ),
        (
            "planning_pass_root = \"docs/spec/_phase-c-planning-pass-01\"",
            "planning_pass_root = \"/abs/planning\"",
            (8, 22),
            "`target.planning_pass_root` must be a path inside the target repository (relative, without `..`)",
        ),
    ];
    for (old, new, at, want) in cases {
        let (line, col, msg) = err(&edited(old, new));
        assert_eq!((line, col, msg.as_str()), (at.0, at.1, *want), "{new}");
    }
}

#[test]
fn the_bundled_pipeline_states_phase_a_as_data() {
    let p = gates::load::load_file(&closure_support::workspace().join("ci/phase-a.toml")).unwrap();
    assert_eq!(p.phase.name, "Phase A");
    assert_eq!(p.phase.next_name, "Phase B");
    assert_eq!(p.phase.command, "cargo xtask phase-a");
    for (role, slice, file) in [
        (Role::Review, "A7", "A7_REVIEW_DISPOSITION.md"),
        (Role::Structural, "B4A", "B4A_STRUCTURAL_DISPOSITION.md"),
        (Role::Cleanup, "A8", "A8_CLEANUP_MANIFEST.md"),
        (Role::Readiness, "A9", "A9_PHASE_B_READINESS.md"),
    ] {
        assert_eq!(p.documents.slice(role), Some(slice));
        assert_eq!(p.documents.file(role), Some(file));
    }
    assert_eq!(
        p.documents.required,
        [
            "ORCHESTRATOR_PLAN_VERBATIM.md",
            "ORCHESTRATOR_SCRATCHPAD.md",
            "PHASE_A_EXECUTION_REPORT.md",
            "A7_REVIEW_DISPOSITION.md",
            "A8_CLEANUP_MANIFEST.md",
            "A9_PHASE_B_READINESS.md",
            "FINAL_PHASE_A_HANDOFF.md",
        ],
        "the runbook's seven orchestrator outputs"
    );
    // The user-facing gate ids stay; their checks are the phase-neutral ones.
    assert_eq!(p.gates["review-closure"].kind.check_name(), Some("closure"));
    assert_eq!(
        p.gates["structural-closure"].kind.check_name(),
        Some("closure")
    );
    assert_eq!(
        p.gates["phase-b-readiness"].kind.check_name(),
        Some("readiness")
    );
}

// ---- checks read their documents through the roles ---------------------------------

#[test]
fn handoff_reads_the_report_and_handoff_the_pipeline_names() {
    // The complete fixture passes with its Phase A names. Named for another phase, the
    // handoff gate looks for that phase's documents (it used to read fixed names, and passed
    // without reading them).
    let t = closure_support::fixture("complete");
    closure_support::git_repo(t.path());
    let p = closure_support::pipeline_with(
        "report = \"PHASE_A_EXECUTION_REPORT.md\"\nhandoff = \"FINAL_PHASE_A_HANDOFF.md\"",
        "report = \"PHASE_F_EXECUTION_REPORT.md\"\nhandoff = \"FINAL_PHASE_F_HANDOFF.md\"",
    );
    let r = closure_support::run_in(&p, "handoff", t.path(), None);
    let missing: Vec<_> = errors(&r)
        .into_iter()
        .filter(|f| f.0 == "required-output-missing")
        .collect();
    assert_eq!(
        missing,
        [
            closure_support::f(
                "required-output-missing",
                "pass/FINAL_PHASE_F_HANDOFF.md",
                0,
                0
            ),
            closure_support::f(
                "required-output-missing",
                "pass/PHASE_F_EXECUTION_REPORT.md",
                0,
                0
            ),
        ]
    );
    let r = closure_support::run("handoff", t.path(), None);
    assert!(
        !errors(&r).iter().any(|f| f.0 == "required-output-missing"),
        "{:?}",
        r.findings
    );
}

#[test]
fn structural_record_globs_follow_the_structural_slice() {
    // Without a structural disposition, the record is looked for under the structural
    // slice's name: `F5A_*.md` for a slice F5A, not another phase's `B4A_*.md`.
    let t = closure_support::fixture("complete");
    let pass = t.path().join("pass");
    std::fs::remove_file(pass.join("B4A_STRUCTURAL_DISPOSITION.md")).unwrap();
    for f in gates::artifacts::names::walk(&pass).unwrap() {
        if f.contains("STRUCTURAL") || f.starts_with("AGENT_Q") {
            std::fs::remove_file(pass.join(&f)).unwrap();
        }
    }
    std::fs::write(pass.join("B4A_NOTES.md"), "# notes\n").unwrap();
    closure_support::git_repo(t.path());
    // The fixture pipeline with its structural slice called F5A.
    let file = closure_support::fixtures().join("pipeline.toml");
    let text = std::fs::read_to_string(&file)
        .unwrap()
        .replace("\"B4A\"", "\"F5A\"")
        .replace(
            "B4A_STRUCTURAL_DISPOSITION.md",
            "F5A_STRUCTURAL_DISPOSITION.md",
        );
    let p = load_str(&text, &file, &closure_support::workspace()).unwrap();
    assert_eq!(p.documents.slice(Role::Structural), Some("F5A"));
    let r = closure_support::run_in(&p, "structural-closure", t.path(), None);
    assert_eq!(
        errors(&r),
        [closure_support::f(
            "structural-record-missing",
            "pass/F5A_STRUCTURAL_DISPOSITION.md",
            0,
            0
        )]
    );
    // Under the Phase A names, the same file is the record.
    let r = closure_support::run("structural-closure", t.path(), None);
    assert!(
        !errors(&r)
            .iter()
            .any(|f| f.0 == "structural-record-missing"),
        "{:?}",
        r.findings
    );
}

#[test]
fn the_scratchpad_the_tool_appends_to_is_the_pipelines() {
    // A run with --log-scratchpad appends to the pipeline's scratchpad before Stage 0, so
    // cleanliness checks leave that file alone; with the scratchpad renamed, the old name is
    // an ordinary file again.
    let t = closure_support::fixture("complete");
    let pass = t.path().join("pass");
    std::fs::copy(
        pass.join("ORCHESTRATOR_SCRATCHPAD.md"),
        pass.join("ORCH_NOTES.md"),
    )
    .unwrap();
    closure_support::git_repo(t.path());
    let p = closure_support::pipeline_with(
        "[documents]\n",
        "[documents]\nscratchpad = \"ORCH_NOTES.md\"\n",
    );
    for f in ["ORCH_NOTES.md", "ORCHESTRATOR_SCRATCHPAD.md"] {
        let mut text = std::fs::read_to_string(pass.join(f)).unwrap();
        text.push_str("\n- 2026-02-21T10:00:00Z appended\n");
        std::fs::write(pass.join(f), text).unwrap();
    }
    let dirty = |p: &Pipeline| -> Vec<String> {
        let r = closure_support::run_in(p, "preflight", t.path(), None);
        errors(&r)
            .into_iter()
            .filter(|f| f.0 == "worktree-dirty")
            .map(|f| f.1)
            .collect()
    };
    assert_eq!(dirty(&p), ["pass/ORCHESTRATOR_SCRATCHPAD.md"]);
    assert_eq!(dirty(&closure_support::pipeline()), ["pass/ORCH_NOTES.md"]);
}

//! The GitHub Actions renderer: the step summary table and the `::group::` per gate, on a
//! run with every status, findings carrying markdown/HTML/workflow-command text from the
//! target, and more findings than the summary shows.

use gates::finding::{Finding, Severity};
use gates::report::github_summary::{self, emit, escape_data, groups, md_cell, step_summary};
use gates::run::{Counts, GateResult, RunRecord, Status};

fn gate(id: &str, slices: &[&str], status: Status) -> GateResult {
    GateResult {
        id: id.into(),
        check: None,
        command: None,
        slices: slices.iter().map(|s| s.to_string()).collect(),
        stage: 1,
        status,
        reason: None,
        duration_ms: 1234,
        findings: Vec::new(),
        notes: Vec::new(),
        output: String::new(),
        cached: false,
    }
}

fn record() -> RunRecord {
    let passed = gate("ci-drift", &["A0"], Status::Passed);
    let mut failed = gate("metadata-contract", &["A1", "A6"], Status::Failed);
    failed.findings = vec![
        Finding::error(
            "missing-capability",
            "plugins/api/x/package.json",
            3,
            5,
            "`rawr.capability` is missing",
        ),
        Finding::error(
            "forbidden-legacy-key",
            "plugins/web/y|z/package.json",
            7,
            9,
            "key `channel` <script>alert(1)</script> is **forbidden** | [link](http://x)",
        ),
        Finding::error(
            "forbidden-legacy-key",
            "plugins/web/y/package.json",
            8,
            1,
            "second line follows\n::error::injected",
        ),
        Finding::error(
            "forbidden-legacy-key",
            "plugins/web/y/package.json",
            9,
            1,
            "fourth",
        ),
        Finding::general("kind-mismatch", "fifth"),
    ];
    failed.findings.insert(
        0,
        Finding::error("report-only", "a.ts", 1, 1, "a warning first in the list")
            .with_severity(Severity::Warning),
    );
    failed.notes = vec!["excluded: **/_archive/**".into()];
    let mut command = gate("harness-matrix", &["A5"], Status::Failed);
    command.findings = vec![Finding::general(
        "command-failed",
        "`vitest run` exited with status 1",
    )];
    command.output =
        "FAIL test/a.test.ts\n::error::not from us\n::endgroup::\n::stop-commands::guess\n".into();
    let mut skipped = gate("discovery-roots", &["A2"], Status::Skipped);
    skipped.reason = Some(
        "slice A2 depends on A1, which is not green: gate `metadata-contract` failed (in A1)"
            .into(),
    );
    skipped.duration_ms = 0;
    let mut timed = gate("route-probe", &["A5"], Status::TimedOut);
    timed.reason =
        Some("`bun run host` did not finish within 10m; its process group was killed".into());
    let mut errored = gate("manifest-smoke", &["A4"], Status::Errored);
    errored.reason = Some("rawr.hq.ts: cannot read: permission denied (100%)".into());
    let gates = vec![passed, failed, command, skipped, timed, errored];
    RunRecord {
        tool: "rawr-gates 0.1.0".into(),
        pipeline: "phase-a".into(),
        phase: Some("Phase A".into()),
        pipeline_file: "ci/phase-a.toml".into(),
        repo: "examples/hq".into(),
        revision: None,
        selection: "stage 1".into(),
        started_at: "2026-01-01T00:00:00Z".into(),
        finished_at: "2026-01-01T00:00:05Z".into(),
        duration_ms: 5000,
        interrupted: false,
        exit_code: 2,
        counts: Counts::of(&gates),
        // The renderer reads gates only.
        slices: Vec::new(),
        gates,
    }
}

#[test]
fn step_summary_table() {
    insta::assert_snapshot!(step_summary(&record()));
}

#[test]
fn groups_per_gate() {
    let text = groups(&record(), "TOKEN");
    insta::assert_snapshot!(text);
}

#[test]
fn untrusted_text_never_reaches_the_runner_as_a_command() {
    let text = groups(&record(), "TOKEN");
    // Every line that looks like a workflow command is either ours or inside a fence that
    // stops command processing until `::TOKEN::`.
    let mut fenced = false;
    for line in text.lines() {
        if line == "::stop-commands::TOKEN" {
            assert!(!fenced);
            fenced = true;
        } else if line == "::TOKEN::" {
            assert!(fenced);
            fenced = false;
        } else if !fenced {
            assert!(
                line.starts_with("::group::") || line == "::endgroup::",
                "unfenced line: {line:?}"
            );
        }
    }
    assert!(!fenced);
    // The output's own `::endgroup::` and `::error::` are inside the fence.
    assert!(text.contains("::stop-commands::TOKEN\nFAIL harness-matrix"));
}

#[test]
fn tokens_are_fresh() {
    let a = github_summary::stop_token();
    let b = github_summary::stop_token();
    assert_ne!(a, b);
    assert!(
        a.len() >= 32 && a.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-'),
        "{a}"
    );
}

#[test]
fn escaping() {
    assert_eq!(escape_data("50% done\r\nnext"), "50%25 done%0D%0Anext");
    assert_eq!(
        md_cell("a|b <i>&</i> `c` *d* _e_ [f](g) \\ #h\ni"),
        "a\\|b &lt;i&gt;&amp;&lt;/i&gt; \\`c\\` \\*d\\* \\_e\\_ \\[f\\](g) \\\\ \\#h<br>i"
    );
}

#[test]
fn emit_prints_groups_and_appends_the_summary() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "earlier step\n").unwrap();
    let mut out = Vec::new();
    let warnings = emit(&record(), &mut out, Some(&summary));
    assert!(warnings.is_empty(), "{warnings:?}");
    let out = String::from_utf8(out).unwrap();
    assert_eq!(out.matches("::group::").count(), 6);
    let written = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(
        written,
        format!("earlier step\n{}", step_summary(&record()))
    );

    let mut out = Vec::new();
    let warnings = emit(&record(), &mut out, None);
    assert_eq!(
        warnings,
        ["GITHUB_STEP_SUMMARY is not set; no step summary written"]
    );
    let warnings = emit(
        &record(),
        &mut Vec::new(),
        Some(&dir.path().join("no/such/dir/summary.md")),
    );
    assert_eq!(warnings.len(), 1);
    assert!(
        warnings[0].starts_with("could not append the step summary to "),
        "{warnings:?}"
    );
}

#[test]
fn the_summary_counts_findings_beyond_the_steps_annotation_budget() {
    // Two gates of one step with 7 errors each: 10 fit GitHub's per-step budget, 4 do not,
    // and the summary says so (the record above stays within it and says nothing).
    assert!(!step_summary(&record()).contains("not annotated"));
    let mut rec = record();
    for (i, id) in ["guard", "contract"].iter().enumerate() {
        let mut g = gate(id, &["A6"], Status::Failed);
        g.findings = (1..=7)
            .map(|l| Finding::error("r", "src/a.ts", l + 10 * i as u32, 1, "bad"))
            .collect();
        rec.gates.push(g);
    }
    // Errors, and the gates that could not judge (annotated as errors too), before ours.
    let errors_before: usize = record()
        .gates
        .iter()
        .map(|g| {
            g.error_count() + usize::from(matches!(g.status, Status::Errored | Status::TimedOut))
        })
        .sum();
    assert!(errors_before < 10);
    let dropped = errors_before + 14 - 10;
    let s = step_summary(&rec);
    assert!(
        s.contains(&format!(
            "\n{dropped} finding(s) not annotated: GitHub keeps 10 error and 10 warning annotations per step, shared by every gate of the step; all findings are in the job log and the JUnit and SARIF reports.\n"
        )),
        "{s}"
    );
}

/// The closing summary repeats five errors of a failed gate; the line for the rest says how
/// to see them.
#[test]
fn the_summary_says_how_to_see_the_findings_it_leaves_out() {
    let mut rec = record();
    let mut g = gate("legacy-metadata-guard", &["A6"], Status::Failed);
    g.findings = (1..=12)
        .map(|l| Finding::error("r", "src/a.ts", l, 1, "bad"))
        .collect();
    rec.gates = vec![g];
    let style =
        gates::report::human::Style::detect(gates::report::colour::ColorChoice::Never, false);
    let s = gates::report::human::summary(&style, &rec);
    assert!(
        s.contains("    ... and 7 more: `cargo xtask gate legacy-metadata-guard` lists them all (with the same --repo), as does --format json\n"),
        "{s}"
    );
}

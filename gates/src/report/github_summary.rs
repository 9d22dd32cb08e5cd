//! GitHub Actions output: a collapsible `::group::` per gate in the job log, and the job's
//! step summary (a markdown table of gates with status and first findings).
//!
//! `phase-a` uses it when `GITHUB_ACTIONS=true`. Everything a gate reports can carry text
//! from the target repository (a key name, a test runner's output), so the body of each group
//! is fenced with `::stop-commands::` and a random token: a line like `::error::` or
//! `::add-mask::` inside a command's output is printed, never executed. Group titles are
//! escaped as workflow-command data, summary cells as markdown (and HTML, which the summary
//! also renders).

use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::human::{self, Style, secs};
use crate::finding::Severity;
use crate::record::{GateResult, RunRecord, Status};

/// How many findings per gate the summary shows.
pub const SUMMARY_FINDINGS: usize = 3;
/// Longest finding message shown in a summary cell, in characters.
const CELL_MESSAGE_CHARS: usize = 200;
/// GitHub refuses step summaries over 1 MiB; stay well below it.
const SUMMARY_LIMIT: usize = 900 * 1024;

/// True when running as a GitHub Actions step.
pub fn enabled() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// The step summary file the runner gives this step (`GITHUB_STEP_SUMMARY`).
pub fn summary_path() -> Option<PathBuf> {
    std::env::var_os("GITHUB_STEP_SUMMARY")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// Prints the groups to `out` and appends the step summary to `summary` (the runner's
/// [`summary_path`]). Problems (no summary file, a write error) come back as warnings: they
/// do not change the run's verdict.
pub fn emit(record: &RunRecord, out: &mut dyn Write, summary: Option<&Path>) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Err(e) = out
        .write_all(groups(record, &stop_token()).as_bytes())
        .and_then(|()| out.flush())
    {
        warnings.push(format!("could not print the gate groups: {e}"));
    }
    match summary {
        None => warnings.push("GITHUB_STEP_SUMMARY is not set; no step summary written".into()),
        Some(path) => {
            // Appending: earlier steps of the job may have written their own part.
            let written = crate::fs::careful::open_with(
                path,
                std::fs::OpenOptions::new().create(true).append(true),
            )
            .and_then(|mut f| f.write_all(step_summary(record).as_bytes()));
            if let Err(e) = written {
                warnings.push(format!(
                    "could not append the step summary to {}: {e}",
                    path.display()
                ));
            }
        }
    }
    warnings
}

/// A fresh, unguessable token for `::stop-commands::`, so text inside a group cannot
/// resume command processing by naming it.
pub fn stop_token() -> String {
    let a = std::collections::hash_map::RandomState::new()
        .build_hasher()
        .finish();
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.write_u32(std::process::id());
    format!("rawr-gates-{a:016x}{:016x}", h.finish())
}

/// One `::group::` per gate, in the record's order, with the gate's notes, findings and
/// output tail inside; the body is fenced by `::stop-commands::{token}`.
pub fn groups(record: &RunRecord, token: &str) -> String {
    let style = Style { colour: false };
    let mut out = String::new();
    for g in &record.gates {
        out.push_str(&format!("::group::{}\n", escape_data(&group_title(g))));
        out.push_str(&format!("::stop-commands::{token}\n"));
        out.push_str(&human::gate_details(&style, g));
        out.push_str(&format!("::{token}::\n"));
        out.push_str("::endgroup::\n");
    }
    out
}

fn group_title(g: &GateResult) -> String {
    let slices = if g.slices.is_empty() {
        String::new()
    } else {
        format!(" [{}]", g.slices.join(", "))
    };
    let errors = g.error_count();
    let count = if errors > 0 {
        format!(", {errors} finding{}", if errors == 1 { "" } else { "s" })
    } else {
        String::new()
    };
    format!(
        "{} {}{slices} ({}{count})",
        label(g.status),
        g.id,
        secs(g.duration_ms)
    )
}

fn label(s: Status) -> &'static str {
    match s {
        Status::Passed => "PASS",
        Status::Failed => "FAIL",
        Status::Skipped => "SKIP",
        Status::TimedOut => "TIME",
        Status::Errored => "ERR",
    }
}

fn icon(s: Status) -> &'static str {
    match s {
        Status::Passed => "✅",
        Status::Failed => "❌",
        Status::Skipped => "⏭️",
        Status::TimedOut => "⏱️",
        Status::Errored => "⚠️",
    }
}

/// Escapes workflow-command data (`%`, CR, LF), as the runner decodes it.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes text for a markdown table cell: table pipes, markdown emphasis and links, HTML,
/// and line breaks (as `<br>`).
pub fn md_cell(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' => out.push_str("<br>"),
            '\r' => {}
            '|' | '\\' | '`' | '*' | '_' | '[' | ']' | '#' | '~' | '!' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

fn truncate(s: &str, max: usize) -> String {
    let first_line = s.lines().next().unwrap_or("");
    if first_line.chars().count() > max || s.lines().nth(1).is_some() {
        let cut: String = first_line.chars().take(max).collect();
        format!("{cut}…")
    } else {
        first_line.to_string()
    }
}

/// What the last column says about a gate: its first findings (errors first), or the reason
/// it was skipped, timed out or errored.
fn first_findings(g: &GateResult) -> String {
    let mut findings: Vec<_> = g.findings.iter().collect();
    findings.sort_by_key(|f| f.severity);
    let mut parts: Vec<String> = findings
        .iter()
        .take(SUMMARY_FINDINGS)
        .map(|f| {
            let loc = f.location();
            let sev = if f.severity == Severity::Error {
                String::new()
            } else {
                format!("{}: ", f.severity.as_str())
            };
            let text = format!(
                "{sev}[{}] {}",
                f.rule,
                truncate(&f.message, CELL_MESSAGE_CHARS)
            );
            if loc.is_empty() {
                md_cell(&text)
            } else {
                format!("{} {}", md_cell(&loc), md_cell(&text))
            }
        })
        .collect();
    if findings.len() > SUMMARY_FINDINGS {
        parts.push(format!("… and {} more", findings.len() - SUMMARY_FINDINGS));
    }
    if let Some(r) = g.reason.as_ref().filter(|_| g.status != Status::Passed) {
        parts.insert(0, md_cell(&truncate(r, CELL_MESSAGE_CHARS)));
    }
    parts.join("<br>")
}

/// The step summary: a heading naming the selection, a table of every gate, and the counts.
pub fn step_summary(record: &RunRecord) -> String {
    let c = &record.counts;
    let mut out = format!(
        "### {} {}: {} ({})\n\n",
        icon(if record.exit_code == 0 {
            Status::Passed
        } else {
            Status::Failed
        }),
        md_cell(&record.heading()),
        md_cell(&record.pipeline),
        md_cell(&record.selection)
    );
    out.push_str("| | gate | slices | status | time | first findings |\n");
    out.push_str("| --- | --- | --- | --- | --- | --- |\n");
    let mut left_out = 0usize;
    for g in &record.gates {
        let row = format!(
            "| {} | `{}` | {} | {} | {} | {} |\n",
            icon(g.status),
            g.id,
            md_cell(&g.slices.join(", ")),
            g.status.as_str(),
            secs(g.duration_ms),
            first_findings(g)
        );
        if out.len() + row.len() > SUMMARY_LIMIT {
            left_out += 1;
            continue;
        }
        out.push_str(&row);
    }
    if left_out > 0 {
        out.push_str(&format!("\n{left_out} more gate(s) left out to stay within GitHub's summary size limit; see the job log.\n"));
    }
    let not_annotated =
        super::github::annotate(&record.gates, super::github::Budget::STEP).not_annotated;
    if not_annotated > 0 {
        out.push_str(&format!(
            "\n{}.\n",
            md_cell(&super::github::not_annotated_message(not_annotated))
        ));
    }
    out.push_str(&format!(
        "\n**{} planned = {} passed + {} failed + {} skipped + {} timed out + {} errored** in {}{}\n\n",
        c.planned,
        c.passed,
        c.failed,
        c.skipped,
        c.timed_out,
        c.errored,
        secs(record.duration_ms),
        if record.interrupted { " (interrupted)" } else { "" }
    ));
    out
}

//! GitHub Actions annotations (`::error file=…,line=…,col=…,title=…::message`), printed when
//! `GITHUB_ACTIONS=true`, so findings show up on the pull request's changed lines.
//!
//! Escaping follows the runner's workflow-command parser: in the message `%`, `\r` and `\n`
//! are percent-encoded; in property values `:` and `,` are too (they delimit properties).
//! GitHub shows only a handful of annotations per step, so each gate gets at most
//! [`MAX_PER_GATE`] (errors first), then one notice saying how many more it has.

use crate::finding::{Finding, Severity};
use crate::record::{GateResult, Status};

/// Annotations per gate before the "N more" line.
pub const MAX_PER_GATE: usize = 10;

/// Whether this process runs inside GitHub Actions.
pub fn enabled() -> bool {
    std::env::var("GITHUB_ACTIONS").is_ok_and(|v| v == "true")
}

/// Escapes the message part of a workflow command.
pub fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value (`file=`, `title=`) of a workflow command.
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

fn command(sev: Severity) -> &'static str {
    match sev {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "notice",
    }
}

/// One finding as an annotation line (without the trailing newline).
pub fn annotation(gate: &str, f: &Finding) -> String {
    let mut props = Vec::new();
    if let Some(path) = &f.path {
        props.push(format!("file={}", escape_property(path)));
        if f.line > 0 {
            props.push(format!("line={}", f.line));
            if f.col > 0 {
                props.push(format!("col={}", f.col));
            }
        }
    }
    props.push(format!(
        "title={}",
        escape_property(&format!("{gate}: {}", f.rule))
    ));
    let mut message = f.message.clone();
    if let Some(help) = &f.help {
        message.push_str("\nhelp: ");
        message.push_str(help);
    }
    format!(
        "::{} {}::{}",
        command(f.severity),
        props.join(","),
        escape_data(&message)
    )
}

/// The annotation lines for some gate results, capped per gate.
pub fn render(gates: &[GateResult]) -> String {
    let mut out = String::new();
    for g in gates {
        if matches!(g.status, Status::Errored | Status::TimedOut) {
            out.push_str(&format!(
                "::error title={}::{}\n",
                escape_property(&g.id),
                escape_data(&format!(
                    "gate {} {}: {}",
                    g.id,
                    g.status.as_str(),
                    g.reason.as_deref().unwrap_or("no reason given")
                ))
            ));
        }
        // Errors first so the cap never hides an error behind warnings.
        let mut findings: Vec<&Finding> = g.findings.iter().collect();
        findings.sort_by_key(|f| f.severity);
        for f in findings.iter().take(MAX_PER_GATE) {
            out.push_str(&annotation(&g.id, f));
            out.push('\n');
        }
        if findings.len() > MAX_PER_GATE {
            let more = findings.len() - MAX_PER_GATE;
            out.push_str(&format!(
                "::notice title={}::{}\n",
                escape_property(&g.id),
                escape_data(&format!(
                    "{more} more finding(s) of gate {} not annotated (at most {MAX_PER_GATE} per gate); see the job log or the SARIF report",
                    g.id
                ))
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_and_properties_are_escaped() {
        assert_eq!(escape_data("100% done\r\nnext"), "100%25 done%0D%0Anext");
        assert_eq!(escape_property("a:b,c%d\ne"), "a%3Ab%2Cc%25d%0Ae");
    }

    #[test]
    fn annotation_has_file_line_col_title() {
        let f = Finding::error(
            "legacy-key-access",
            "src/a,b:c.ts",
            3,
            7,
            "x.channel: 50%\nread",
        )
        .with_help("delete it");
        assert_eq!(
            annotation("legacy-metadata-guard", &f),
            "::error file=src/a%2Cb%3Ac.ts,line=3,col=7,title=legacy-metadata-guard%3A legacy-key-access::x.channel: 50%25%0Aread%0Ahelp: delete it"
        );
        let w =
            Finding::general("legacy-guard-no-match", "nothing").with_severity(Severity::Warning);
        assert_eq!(
            annotation("g", &w),
            "::warning title=g%3A legacy-guard-no-match::nothing"
        );
    }
}

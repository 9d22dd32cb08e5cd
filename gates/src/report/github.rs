//! GitHub Actions annotations (`::error file=…,line=…,col=…,title=…::message`), printed when
//! `GITHUB_ACTIONS=true`, so findings show up on the pull request's changed lines.
//!
//! Escaping follows the runner's workflow-command parser: in the message `%`, `\r` and `\n`
//! are percent-encoded; in property values `:` and `,` are too (they delimit properties).
//!
//! GitHub keeps at most 10 error and 10 warning annotations per step (and 50 per job) and
//! drops the rest silently. Every gate of a `phase-a` run reports from the same step, so the
//! budget ([`Budget::STEP`]) is shared by all of them: errors first, and within a severity
//! the gates take turns, so one gate with a hundred findings cannot hide another gate's
//! only finding. A gate that errored or timed out is annotated before any finding. What did
//! not fit is counted ([`Annotations::not_annotated`]), named in one closing notice and in
//! the step summary; every finding stays in the job log and the JUnit and SARIF reports.

use crate::finding::{Finding, Severity};
use crate::record::{GateResult, Status};

/// How many annotations of each kind one step may print before GitHub drops the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Budget {
    pub errors: usize,
    pub warnings: usize,
    pub notices: usize,
}

impl Budget {
    /// GitHub's limits per step: 10 errors, 10 warnings; notices are held to 10 as well,
    /// which keeps a step at 30, under the 50 per job.
    pub const STEP: Budget = Budget {
        errors: 10,
        warnings: 10,
        notices: 10,
    };

    fn slot(&mut self, sev: Severity) -> &mut usize {
        match sev {
            Severity::Error => &mut self.errors,
            Severity::Warning => &mut self.warnings,
            Severity::Note => &mut self.notices,
        }
    }
}

/// The annotation lines of a step and how many findings did not fit its budget.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Annotations {
    pub text: String,
    pub not_annotated: usize,
}

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

/// The annotation lines for some gate results printed from one step, within GitHub's
/// per-step budget.
pub fn render(gates: &[GateResult]) -> String {
    annotate(gates, Budget::STEP).text
}

/// The annotations of `gates` within `budget` (see the module doc for the order).
pub fn annotate(gates: &[GateResult], mut budget: Budget) -> Annotations {
    let mut out = String::new();
    let mut not_annotated = 0usize;
    // The closing notice needs a notice slot of its own; keep one back when anything may
    // be dropped.
    let total = |sev: Severity| {
        gates
            .iter()
            .flat_map(|g| &g.findings)
            .filter(|f| f.severity == sev)
            .count()
    };
    let undecided = gates
        .iter()
        .filter(|g| matches!(g.status, Status::Errored | Status::TimedOut))
        .count();
    let may_drop = undecided + total(Severity::Error) > budget.errors
        || total(Severity::Warning) > budget.warnings
        || total(Severity::Note) > budget.notices;
    if may_drop {
        budget.notices = budget.notices.saturating_sub(1);
    }
    for g in gates {
        if matches!(g.status, Status::Errored | Status::TimedOut) {
            if budget.errors == 0 {
                not_annotated += 1;
                continue;
            }
            budget.errors -= 1;
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
    }
    for sev in [Severity::Error, Severity::Warning, Severity::Note] {
        // Each gate's findings of this severity, in its order; the gates take turns.
        let mut queues: Vec<(&str, std::collections::VecDeque<&Finding>)> = gates
            .iter()
            .map(|g| {
                (
                    g.id.as_str(),
                    g.findings.iter().filter(|f| f.severity == sev).collect(),
                )
            })
            .filter(|(_, q): &(&str, std::collections::VecDeque<&Finding>)| !q.is_empty())
            .collect();
        let mut picked: Vec<Vec<&Finding>> = vec![Vec::new(); queues.len()];
        let slot = budget.slot(sev);
        'turns: loop {
            let mut any = false;
            for (i, (_, q)) in queues.iter_mut().enumerate() {
                if *slot == 0 {
                    break 'turns;
                }
                if let Some(f) = q.pop_front() {
                    picked[i].push(f);
                    *slot -= 1;
                    any = true;
                }
            }
            if !any {
                break;
            }
        }
        // Printed gate by gate, so a gate's annotations stay together in the log.
        for ((gate, rest), fs) in queues.iter().zip(&picked) {
            for f in fs {
                out.push_str(&annotation(gate, f));
                out.push('\n');
            }
            not_annotated += rest.len();
        }
    }
    if not_annotated > 0 {
        out.push_str(&format!(
            "::notice title=rawr-gates::{}\n",
            escape_data(&not_annotated_message(not_annotated))
        ));
    }
    Annotations {
        text: out,
        not_annotated,
    }
}

/// What the closing notice and the step summary say about findings left out.
pub fn not_annotated_message(n: usize) -> String {
    format!(
        "{n} finding(s) not annotated: GitHub keeps {} error and {} warning annotations per step, shared by every gate of the step; all findings are in the job log and the JUnit and SARIF reports",
        Budget::STEP.errors,
        Budget::STEP.warnings
    )
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

    fn gate(id: &str, status: Status, findings: Vec<Finding>) -> GateResult {
        GateResult {
            id: id.into(),
            check: None,
            command: None,
            slices: vec![],
            stage: 0,
            status,
            reason: matches!(status, Status::Errored).then(|| "no input".to_string()),
            duration_ms: 0,
            findings,
            notes: vec![],
            output: String::new(),
            cached: false,
        }
    }

    fn errors(n: usize, rule: &str) -> Vec<Finding> {
        (1..=n)
            .map(|i| Finding::error(rule, "src/a.ts", i as u32, 1, "bad"))
            .collect()
    }

    fn kinds(text: &str) -> Vec<(String, String)> {
        text.lines()
            .map(|l| {
                let kind = l[2..].split([' ', ':']).next().unwrap().to_string();
                let title = l
                    .split("title=")
                    .nth(1)
                    .map(|t| t.split(['%', ':']).next().unwrap().to_string())
                    .unwrap_or_default();
                (kind, title)
            })
            .collect()
    }

    #[test]
    fn the_step_budget_is_shared_by_every_gate_of_the_step() {
        // Three failing gates, 12 + 2 + 1 errors, and a gate that errored: 10 error
        // annotations in all, the errored gate first, then the gates in turns.
        let gates = [
            gate("big", Status::Failed, errors(12, "r-big")),
            gate("small", Status::Failed, errors(2, "r-small")),
            gate("broken", Status::Errored, vec![]),
            gate("one", Status::Failed, errors(1, "r-one")),
        ];
        let a = annotate(&gates, Budget::STEP);
        let k = kinds(&a.text);
        let count =
            |kind: &str, title: &str| k.iter().filter(|(kk, t)| kk == kind && t == title).count();
        assert_eq!(k.iter().filter(|(kk, _)| kk == "error").count(), 10);
        assert_eq!(count("error", "broken"), 1);
        assert_eq!(count("error", "small"), 2);
        assert_eq!(count("error", "one"), 1);
        assert_eq!(count("error", "big"), 6);
        assert_eq!(a.not_annotated, 6);
        assert_eq!(
            k.last().unwrap(),
            &("notice".to_string(), "rawr-gates".to_string())
        );
        assert!(
            a.text
                .ends_with("::notice title=rawr-gates::6 finding(s) not annotated: GitHub keeps 10 error and 10 warning annotations per step, shared by every gate of the step; all findings are in the job log and the JUnit and SARIF reports\n"),
            "{}",
            a.text
        );
    }

    #[test]
    fn warnings_have_their_own_budget_and_nothing_dropped_means_no_notice() {
        let warn = |n: usize| -> Vec<Finding> {
            errors(n, "w")
                .into_iter()
                .map(|f| f.with_severity(Severity::Warning))
                .collect()
        };
        let gates = [
            gate("a", Status::Failed, errors(10, "e")),
            gate("b", Status::Passed, warn(10)),
        ];
        let a = annotate(&gates, Budget::STEP);
        assert_eq!(a.not_annotated, 0);
        assert_eq!(a.text.lines().count(), 20);
        assert!(!a.text.contains("::notice"));
        let gates = [gate("b", Status::Passed, warn(11))];
        let a = annotate(&gates, Budget::STEP);
        assert_eq!(a.not_annotated, 1);
        assert_eq!(a.text.matches("::warning ").count(), 10);
    }
}

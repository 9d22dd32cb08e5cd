//! `--junit FILE`: one test suite per slice, one test case per gate in it. Failed gates
//! carry their findings; skipped gates their reason; timed-out and errored gates are errors.
//!
//! Every test case carries `file` and `line` attributes, which JUnit reporter actions turn
//! into annotations: the first finding with a path (errors first), else the pipeline file at
//! the line declaring the gate ([`Origin`]).

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use super::Origin;
use crate::finding::Finding;
use crate::record::{GateResult, RunRecord, Status};

/// The `file` and `line` of a gate's test case.
pub fn case_location(g: &GateResult, origin: &Origin) -> (String, u32) {
    let mut with_path: Vec<&Finding> = g.findings.iter().filter(|f| f.path.is_some()).collect();
    with_path.sort_by_key(|f| f.severity);
    match with_path.first() {
        Some(f) => (f.path.clone().unwrap_or_default(), f.line),
        None => {
            let (file, line) = origin.of_gate(&g.id);
            (file.to_string(), line)
        }
    }
}

pub fn render(record: &RunRecord, origin: &Origin) -> String {
    let mut report = Report::new(format!("rawr-gates {}", record.pipeline));
    report.set_time(std::time::Duration::from_millis(record.duration_ms));
    for slice in &record.slices {
        let mut suite = TestSuite::new(format!("{} (stage {})", slice.id, slice.stage));
        for gid in &slice.gates {
            let Some(g) = record.gates.iter().find(|g| &g.id == gid) else {
                continue;
            };
            let mut status = match g.status {
                Status::Passed => TestCaseStatus::success(),
                Status::Failed => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    let n = g.error_count();
                    s.set_message(format!("{n} finding{}", if n == 1 { "" } else { "s" }));
                    s.set_type("findings");
                    s
                }
                Status::TimedOut | Status::Errored => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Error);
                    s.set_message(g.reason.clone().unwrap_or_default());
                    s.set_type(g.status.as_str());
                    s
                }
                Status::Skipped => {
                    let mut s = TestCaseStatus::skipped();
                    s.set_message(g.reason.clone().unwrap_or_default());
                    s
                }
            };
            if let TestCaseStatus::NonSuccess { description, .. } = &mut status {
                let text: Vec<String> = g
                    .findings
                    .iter()
                    .map(|f| {
                        format!("{} [{}] {}", f.location(), f.rule, f.message)
                            .trim_start()
                            .to_string()
                    })
                    .collect();
                if !text.is_empty() {
                    *description = Some(text.join("\n").into());
                }
            }
            let mut case = TestCase::new(g.id.clone(), status);
            case.set_classname(format!("phase-a.{}", slice.id));
            let (file, line) = case_location(g, origin);
            case.extra.insert("file".into(), file.into());
            if line > 0 {
                case.extra.insert("line".into(), line.to_string().into());
            }
            case.set_time(std::time::Duration::from_millis(g.duration_ms));
            if !g.output.is_empty() {
                case.set_system_out(g.output.clone());
            }
            suite.add_test_case(case);
        }
        report.add_test_suite(suite);
    }
    report.to_string().expect("JUnit XML serializes")
}

//! vitest's JSON reporter (`vitest run --reporter=json --outputFile=FILE`), which follows
//! Jest's result shape: one entry per test file, one assertion result per test case.
//!
//! Unknown fields are ignored (runners add fields between versions); a missing
//! `testResults` is an error, because a report without it says nothing about what ran.

use std::time::{Duration, SystemTime};

use serde::Deserialize;

use super::{CaseStatus, FileError, ReportError, TestCase, TestRun};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Report {
    test_results: Vec<FileResult>,
    #[serde(default)]
    start_time: Option<f64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FileResult {
    name: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    assertion_results: Vec<Assertion>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Assertion {
    #[serde(default)]
    ancestor_titles: Vec<String>,
    title: String,
    status: String,
    #[serde(default)]
    failure_messages: Vec<String>,
    #[serde(default)]
    location: Option<Location>,
}

#[derive(Deserialize)]
struct Location {
    line: u32,
    column: u32,
}

/// Parses the text of a vitest JSON report.
pub fn parse(text: &str) -> Result<TestRun, ReportError> {
    let report: Report = serde_json::from_str(text).map_err(|e| ReportError {
        line: e.line() as u32,
        col: e.column() as u32,
        message: format!("is not a vitest JSON report: {e}"),
    })?;
    let mut run = TestRun {
        started_at: report
            .start_time
            .filter(|t| t.is_finite() && *t > 0.0)
            .map(|ms| SystemTime::UNIX_EPOCH + Duration::from_millis(ms as u64)),
        ..TestRun::default()
    };
    for file in report.test_results {
        run.files.push(file.name.clone());
        let case_failed = file.assertion_results.iter().any(|a| a.status == "failed");
        if file.status == "failed"
            && !case_failed
            && (file.assertion_results.is_empty() || !file.message.trim().is_empty())
        {
            // The file itself failed (it did not load, or a hook such as `afterAll` threw)
            // while none of its cases did. (A file failed only by a suite without tests
            // carries no message; the empty suite is reported from the source instead.)
            run.file_errors.push(FileError {
                file: file.name.clone(),
                message: first_line(&file.message)
                    .unwrap_or_else(|| "the test file failed without running a test".into()),
            });
        }
        for a in file.assertion_results {
            let status = match a.status.as_str() {
                "passed" => CaseStatus::Passed,
                "failed" => CaseStatus::Failed,
                "todo" => CaseStatus::Todo,
                // "skipped", "pending", "disabled" and anything a later version invents:
                // none of them is a pass.
                _ => CaseStatus::Skipped,
            };
            let mut names = a.ancestor_titles;
            names.push(a.title);
            let (line, col) = a.location.map(|l| (l.line, l.column)).unwrap_or((0, 0));
            run.cases.push(TestCase {
                file: Some(file.name.clone()),
                group: None,
                names,
                status,
                line,
                col,
                message: a.failure_messages.first().and_then(|m| first_line(m)),
                empty_suite: false,
            });
        }
    }
    Ok(run)
}

fn first_line(s: &str) -> Option<String> {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_cases_statuses_locations_and_file_errors() {
        let text = r#"{"startTime": 1700000000000, "testResults": [
          {"name": "/r/a.test.ts", "status": "failed", "message": "", "assertionResults": [
            {"ancestorTitles": ["suite:x"], "title": "assertion:y does", "status": "passed", "location": {"line": 5, "column": 3}},
            {"ancestorTitles": ["suite:x"], "title": "later", "status": "todo"},
            {"ancestorTitles": [], "title": "skipped one", "status": "skipped"},
            {"ancestorTitles": [], "title": "bad", "status": "failed", "failureMessages": ["\nAssertionError: no\n at x"]}
          ]},
          {"name": "/r/broken.test.ts", "status": "failed", "message": "SyntaxError: Unexpected token\n  at y", "assertionResults": []},
          {"name": "/r/hook.test.ts", "status": "failed", "message": "Error: afterAll boom", "assertionResults": [
            {"ancestorTitles": [], "title": "fine", "status": "passed"}
          ]},
          {"name": "/r/empty-suite.test.ts", "status": "failed", "message": "", "assertionResults": [
            {"ancestorTitles": [], "title": "fine", "status": "passed"}
          ]}
        ]}"#;
        let run = parse(text).unwrap();
        let got: Vec<_> = run.cases[..4]
            .iter()
            .map(|c| (c.display_name(), c.status, c.line, c.col, c.message.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "suite:x > assertion:y does".into(),
                    CaseStatus::Passed,
                    5,
                    3,
                    None
                ),
                ("suite:x > later".into(), CaseStatus::Todo, 0, 0, None),
                ("skipped one".into(), CaseStatus::Skipped, 0, 0, None),
                (
                    "bad".into(),
                    CaseStatus::Failed,
                    0,
                    0,
                    Some("AssertionError: no".into())
                ),
            ]
        );
        assert_eq!(
            run.file_errors,
            vec![
                FileError {
                    file: "/r/broken.test.ts".into(),
                    message: "SyntaxError: Unexpected token".into()
                },
                FileError {
                    file: "/r/hook.test.ts".into(),
                    message: "Error: afterAll boom".into()
                }
            ]
        );
        assert_eq!(
            run.started_at,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        );
    }

    #[test]
    fn malformed_json_is_positioned() {
        let e = parse("{\"testResults\": [\n  {\"name\": 3}\n]}").unwrap_err();
        assert_eq!((e.line, e.col), (2, 12));
        let e = parse("{}").unwrap_err();
        assert!(e.message.contains("testResults"), "{}", e.message);
    }
}

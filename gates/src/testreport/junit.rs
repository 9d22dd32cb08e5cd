//! JUnit XML from any runner (vitest's `--reporter=junit`, nextest's JUnit profile, jest-junit,
//! pytest), read with quick-junit.
//!
//! Names: vitest joins suite titles and the test title with ` > `; nextest names a case by
//! its Rust path (`module::test`). Both are split into name paths so that an ID is matched
//! against whole titles, never against a substring of the joined name.

use std::time::{Duration, SystemTime};

use quick_junit::{NonSuccessKind, Report, TestCaseStatus};

use super::{CaseStatus, ReportError, TestCase, TestRun};

/// The message vitest writes for a suite that declared no test.
const VITEST_EMPTY_SUITE: &str = "No test found in suite ";

/// Parses the text of a JUnit XML report.
pub fn parse(text: &str) -> Result<TestRun, ReportError> {
    let report = Report::deserialize_from_str(text).map_err(|e| ReportError {
        line: 0,
        col: 0,
        message: format!("is not a JUnit XML report: {e}"),
    })?;
    let mut run = TestRun::default();
    let mut earliest: Option<i64> = None;
    for ts in [report.timestamp]
        .into_iter()
        .chain(report.test_suites.iter().map(|s| s.timestamp))
        .flatten()
    {
        let t = ts.timestamp();
        earliest = Some(earliest.map_or(t, |e| e.min(t)));
    }
    run.started_at = earliest
        .filter(|t| *t > 0)
        .map(|t| SystemTime::UNIX_EPOCH + Duration::from_secs(t as u64));
    for suite in &report.test_suites {
        let suite_name = suite.name.as_str().to_string();
        run.files.push(suite_name.clone());
        for case in &suite.test_cases {
            let name = case.name.as_str();
            let names: Vec<String> = if name.contains(" > ") {
                name.split(" > ").map(str::to_string).collect()
            } else if name.contains("::") {
                name.split("::").map(str::to_string).collect()
            } else {
                vec![name.to_string()]
            };
            let (status, message) = match &case.status {
                TestCaseStatus::Success { .. } => (CaseStatus::Passed, None),
                TestCaseStatus::NonSuccess {
                    kind: NonSuccessKind::Failure | NonSuccessKind::Error,
                    message,
                    description,
                    ..
                } => (
                    CaseStatus::Failed,
                    message
                        .as_ref()
                        .map(|m| m.as_str().to_string())
                        .or_else(|| {
                            description
                                .as_ref()
                                .and_then(|d| d.as_str().lines().find(|l| !l.trim().is_empty()))
                                .map(|l| l.trim().to_string())
                        }),
                ),
                TestCaseStatus::Skipped { .. } => (CaseStatus::Skipped, None),
            };
            let empty_suite = status == CaseStatus::Failed
                && message
                    .as_deref()
                    .is_some_and(|m| m.starts_with(VITEST_EMPTY_SUITE));
            // The file: vitest writes it as the classname; nextest writes the binary id there,
            // which is no file, so only a classname that looks like a path counts.
            let file = case
                .classname
                .as_ref()
                .map(|c| c.as_str().to_string())
                .filter(|c| c.contains('/') || c.contains('.'))
                .filter(|c| !c.contains("::"))
                .or_else(|| Some(suite_name.clone()).filter(|s| s.contains('/')));
            run.cases.push(TestCase {
                file,
                group: Some(suite_name.clone()),
                names,
                status,
                line: 0,
                col: 0,
                message,
                empty_suite,
            });
        }
    }
    Ok(run)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vitest_junit_including_empty_suites() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8" ?>
<testsuites name="vitest tests" tests="3" failures="1" errors="0" time="0.02">
  <testsuite name="test/a.test.ts" timestamp="2026-01-01T00:00:00.000Z" hostname="h" tests="3" failures="1" errors="0" skipped="1" time="0.02">
    <testcase classname="test/a.test.ts" name="suite:x &gt; assertion:y works" time="0.01"></testcase>
    <testcase classname="test/a.test.ts" name="suite:s &gt; t" time="0"><skipped/></testcase>
    <testcase classname="test/a.test.ts" name="suite:empty" time="0.001">
      <failure message="No test found in suite suite:empty" type="Error">Error: No test found in suite suite:empty</failure>
    </testcase>
  </testsuite>
</testsuites>"#;
        let run = parse(xml).unwrap();
        let got: Vec<_> = run
            .cases
            .iter()
            .map(|c| (c.names.clone(), c.status, c.empty_suite, c.file.clone()))
            .collect();
        let f = Some("test/a.test.ts".to_string());
        assert_eq!(
            got,
            vec![
                (
                    vec!["suite:x".to_string(), "assertion:y works".into()],
                    CaseStatus::Passed,
                    false,
                    f.clone()
                ),
                (
                    vec!["suite:s".into(), "t".into()],
                    CaseStatus::Skipped,
                    false,
                    f.clone()
                ),
                (vec!["suite:empty".into()], CaseStatus::Failed, true, f),
            ]
        );
        assert_eq!(
            run.started_at,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600))
        );
    }

    #[test]
    fn reads_nextest_names_as_rust_paths() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="nextest-run" tests="1" failures="1" errors="0">
  <testsuite name="demo::harness" tests="1" disabled="0" errors="0" failures="1">
    <testcase name="suite_web_first_party_rpc::works" classname="demo::harness" timestamp="2026-01-01T00:00:00.000+00:00" time="0.001">
      <failure type="test failure">thread panicked</failure>
    </testcase>
  </testsuite>
</testsuites>"#;
        let run = parse(xml).unwrap();
        assert_eq!(
            run.cases[0].names,
            vec!["suite_web_first_party_rpc".to_string(), "works".into()]
        );
        assert_eq!(run.cases[0].status, CaseStatus::Failed);
        assert_eq!(run.cases[0].file, None);
        assert_eq!(run.cases[0].message.as_deref(), Some("thread panicked"));
    }

    #[test]
    fn malformed_xml_is_an_error() {
        assert!(parse("<testsuites><testsuite").is_err());
    }
}

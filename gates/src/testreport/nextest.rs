//! The tests a Rust target declares, from `cargo nextest list --message-format json`
//! (read with nextest-metadata, the format's own crate).
//!
//! nextest's JUnit report only holds the tests that ran; the list says which exist, so a
//! required test that is listed but absent from the results was not executed (filtered or
//! marked ignored), which the harness matrix reports instead of "missing".

use nextest_metadata::TestListSummary;

use super::ReportError;

/// One test of the list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListedTest {
    /// The binary id (`crate`, `crate::test-file`), which nextest's JUnit uses as suite name.
    pub binary_id: String,
    /// The test's Rust path split at `::`.
    pub names: Vec<String>,
    /// Marked ignored: listed but not run unless asked for.
    pub ignored: bool,
}

/// Parses `cargo nextest list --message-format json` output.
pub fn parse_list(text: &str) -> Result<Vec<ListedTest>, ReportError> {
    let summary = TestListSummary::parse_json(text).map_err(|e| ReportError {
        line: e.line() as u32,
        col: e.column() as u32,
        message: format!("is not `cargo nextest list --message-format json` output: {e}"),
    })?;
    let mut out = Vec::new();
    for (binary_id, suite) in &summary.rust_suites {
        for (name, case) in &suite.test_cases {
            out.push(ListedTest {
                binary_id: binary_id.as_str().to_string(),
                names: name.as_str().split("::").map(str::to_string).collect(),
                ignored: case.ignored,
            });
        }
    }
    Ok(out)
}

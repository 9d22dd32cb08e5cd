//! The tests a Rust target declares, from `cargo nextest list --message-format json`.
//!
//! nextest's JUnit report only holds the tests that ran; the list says which exist, so a
//! required test that is listed but absent from the results was not executed (filtered or
//! marked ignored), which the harness matrix reports instead of "missing".
//!
//! Only the fields read here are typed (`rust-suites` → `testcases` → `ignored`), with
//! serde, rather than through nextest-metadata: that crate models the whole list (build
//! metadata, target triples through target-spec and cfg-expr) at a cost of eight crates in
//! every cold build, for three fields. Unknown fields are ignored, so newer nextest versions
//! that add some still parse; a missing or mistyped field is an error with its position.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::ReportError;

#[derive(Deserialize)]
struct TestList {
    #[serde(rename = "rust-suites")]
    rust_suites: BTreeMap<String, Suite>,
}

#[derive(Deserialize)]
struct Suite {
    testcases: BTreeMap<String, Case>,
}

#[derive(Deserialize)]
struct Case {
    ignored: bool,
}

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
    let list: TestList = serde_json::from_str(text).map_err(|e| ReportError {
        line: e.line() as u32,
        col: e.column() as u32,
        message: format!("is not `cargo nextest list --message-format json` output: {e}"),
    })?;
    let mut out = Vec::new();
    for (binary_id, suite) in list.rust_suites {
        for (name, case) in suite.testcases {
            out.push(ListedTest {
                binary_id: binary_id.clone(),
                names: name.split("::").map(str::to_string).collect(),
                ignored: case.ignored,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fields_read_and_their_errors() {
        let text = r#"{"rust-build-meta":{"target-directory":"t"},"test-count":2,
            "rust-suites":{"gates::ci":{"binary-id":"gates::ci","kind":"test",
              "testcases":{"a::b":{"ignored":false,"filter-match":{"status":"matches"}},
                           "c":{"ignored":true}}}}}"#;
        assert_eq!(
            parse_list(text).unwrap(),
            [
                ListedTest {
                    binary_id: "gates::ci".into(),
                    names: vec!["a".into(), "b".into()],
                    ignored: false,
                },
                ListedTest {
                    binary_id: "gates::ci".into(),
                    names: vec!["c".into()],
                    ignored: true,
                },
            ]
        );
        let e =
            parse_list("{\"rust-suites\":{\"x\":{\"testcases\":{\"t\":{\"ignored\":\"no\"}}}}}")
                .unwrap_err();
        assert_eq!((e.line, e.col), (1, 53));
        assert!(e.message.starts_with("is not `cargo nextest list --message-format json` output: invalid type: string \"no\", expected a boolean"), "{}", e.message);
        let e = parse_list("{\"test-count\":0}").unwrap_err();
        assert!(
            e.message.contains("missing field `rust-suites`"),
            "{}",
            e.message
        );
    }
}

//! JUnit XML from any runner (vitest's `--reporter=junit`, nextest's JUnit profile, jest-junit,
//! pytest), read with quick-xml's pull reader.
//!
//! Names: vitest joins suite titles and the test title with ` > `; nextest names a case by
//! its Rust path (`module::test`). Both are split into name paths so that an ID is matched
//! against whole titles, never against a substring of the joined name.
//!
//! What is read: `testsuites`/`testsuite` (name, timestamp), `testcase` (name, classname)
//! and a case's outcome: a `failure` or `error` child fails it (its `message`, else the first
//! non-empty line of its text), a `skipped` child skips it, anything else passes it. The
//! retries some runners record (`flakyFailure`, `rerunFailure`, ...) do not change it.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

use super::{CaseStatus, ReportError, TestCase, TestRun};
use crate::text::{LineIndex, xml_text};

/// The message vitest writes for a suite that declared no test.
const VITEST_EMPTY_SUITE: &str = "No test found in suite ";

/// A case being read: its attributes and what its children said.
struct OpenCase {
    name: String,
    classname: Option<String>,
    outcome: Option<(CaseStatus, Option<String>)>,
}

/// The outcome element being read inside a case, and its text so far.
struct OpenOutcome {
    status: CaseStatus,
    message: Option<String>,
    text: String,
}

/// The attribute `key` of `e`, unescaped; an attribute that is not well-formed is an error.
fn attr(e: &BytesStart<'_>, key: &[u8]) -> Result<Option<String>, String> {
    for a in e.attributes() {
        let a = a.map_err(|err| format!("malformed attribute: {err}"))?;
        if a.key.as_ref() == key {
            let raw = std::str::from_utf8(&a.value).map_err(|err| err.to_string())?;
            let v = quick_xml::escape::unescape(raw).map_err(|err| err.to_string())?;
            return Ok(Some(xml_text(&v)));
        }
    }
    Ok(None)
}

/// The unix time of an RFC 3339 timestamp as runners write them (`2026-01-01T00:00:00.000Z`,
/// `...+02:00`, or without a zone, read as UTC); `None` when it is not one.
fn unix_time(ts: &str) -> Option<i64> {
    let ts = ts.trim();
    let (main, offset_secs) = if let Some(m) = ts.strip_suffix('Z').or(ts.strip_suffix('z')) {
        (m, 0)
    } else if let Some(i) = ts
        .char_indices()
        .find(|&(i, c)| i >= 19 && (c == '+' || c == '-'))
        .map(|(i, _)| i)
    {
        // `±HH:MM`, as RFC 3339 writes it.
        let (h, m) = ts[i + 1..].split_once(':')?;
        let two_digits = |s: &str| s.len() == 2 && s.bytes().all(|b| b.is_ascii_digit());
        if !two_digits(h) || !two_digits(m) {
            return None;
        }
        let (h, m) = (h.parse::<i64>().ok()?, m.parse::<i64>().ok()?);
        if h > 23 || m > 59 {
            return None;
        }
        let secs = h * 3600 + m * 60;
        (&ts[..i], if &ts[i..=i] == "-" { -secs } else { secs })
    } else {
        (ts, 0)
    };
    let t = humantime::parse_rfc3339_weak(main).ok()?;
    let secs = match t.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).ok()?,
        Err(e) => -i64::try_from(e.duration().as_secs()).ok()?,
    };
    Some(secs - offset_secs)
}

/// Parses the text of a JUnit XML report.
pub fn parse(text: &str) -> Result<TestRun, ReportError> {
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(false);
    let index = LineIndex::new(text);
    let err_at = |offset: u64, message: String| {
        let (line, col) = index.line_col(text, usize::try_from(offset).unwrap_or(usize::MAX));
        ReportError {
            line,
            col,
            message: format!("is not a JUnit XML report: {message}"),
        }
    };
    let mut run = TestRun::default();
    let mut earliest: Option<i64> = None;
    let mut root_seen = false;
    // The innermost `testsuite` names the cases' group.
    let mut suites: Vec<String> = Vec::new();
    let mut case: Option<OpenCase> = None;
    let mut outcome: Option<OpenOutcome> = None;
    // Elements opened inside a case that are not its outcome (`system-out`, `properties`,
    // `flakyFailure`, ...): their content is not read.
    let mut other_depth = 0usize;
    loop {
        let at = reader.buffer_position();
        let event = reader
            .read_event()
            .map_err(|e| err_at(reader.error_position(), e.to_string()))?;
        let bad = |m: String| err_at(at, m);
        match event {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let empty = matches!(event, Event::Empty(_));
                let name = e.name();
                let name = name.as_ref();
                if other_depth > 0 || outcome.is_some() {
                    if !empty {
                        other_depth += 1;
                    }
                    continue;
                }
                match name {
                    b"testsuites" | b"testsuite" => {
                        if case.is_some() {
                            return Err(bad(format!(
                                "<{}> inside a <testcase>",
                                String::from_utf8_lossy(name)
                            )));
                        }
                        root_seen = true;
                        if let Some(ts) = attr(e, b"timestamp").map_err(&bad)?
                            && let Some(t) = unix_time(&ts)
                        {
                            earliest = Some(earliest.map_or(t, |x| x.min(t)));
                        }
                        if name == b"testsuite" {
                            let suite_name = attr(e, b"name").map_err(&bad)?.unwrap_or_default();
                            run.files.push(suite_name.clone());
                            if !empty {
                                suites.push(suite_name);
                            }
                        }
                    }
                    b"testcase" if !root_seen => {
                        return Err(bad("<testcase> outside a <testsuite>".into()));
                    }
                    b"testcase" if case.is_some() => {
                        return Err(bad("<testcase> inside a <testcase>".into()));
                    }
                    b"testcase" => {
                        let Some(name) = attr(e, b"name").map_err(&bad)? else {
                            return Err(bad("a <testcase> without a `name`".into()));
                        };
                        let open = OpenCase {
                            name,
                            classname: attr(e, b"classname").map_err(&bad)?,
                            outcome: None,
                        };
                        if empty {
                            push_case(&mut run, &suites, open);
                        } else {
                            case = Some(open);
                        }
                    }
                    b"failure" | b"error" | b"skipped" if case.is_some() => {
                        let status = if name == b"skipped" {
                            CaseStatus::Skipped
                        } else {
                            CaseStatus::Failed
                        };
                        let open = OpenOutcome {
                            status,
                            message: attr(e, b"message").map_err(&bad)?,
                            text: String::new(),
                        };
                        if empty {
                            close_outcome(case.as_mut(), open);
                        } else {
                            outcome = Some(open);
                        }
                    }
                    _ if case.is_some() && !empty => other_depth += 1,
                    _ if !root_seen => {
                        return Err(bad(format!(
                            "the root element is <{}>, not <testsuites> or <testsuite>",
                            String::from_utf8_lossy(name)
                        )));
                    }
                    _ => {}
                }
            }
            Event::End(ref e) => {
                if other_depth > 0 {
                    other_depth -= 1;
                    continue;
                }
                match e.name().as_ref() {
                    b"failure" | b"error" | b"skipped" if outcome.is_some() => {
                        if let Some(o) = outcome.take() {
                            close_outcome(case.as_mut(), o);
                        }
                    }
                    b"testcase" => {
                        if let Some(c) = case.take() {
                            push_case(&mut run, &suites, c);
                        }
                    }
                    b"testsuite" => {
                        suites.pop();
                    }
                    _ => {}
                }
            }
            Event::Text(t) if outcome.is_some() && other_depth == 0 => {
                let raw = t.decode().map_err(|e| bad(e.to_string()))?;
                let text = quick_xml::escape::unescape(&raw).map_err(|e| bad(e.to_string()))?;
                if let Some(o) = outcome.as_mut() {
                    o.text.push_str(&text);
                }
            }
            Event::CData(t) if outcome.is_some() && other_depth == 0 => {
                let text = t.decode().map_err(|e| bad(e.to_string()))?;
                if let Some(o) = outcome.as_mut() {
                    o.text.push_str(&text);
                }
            }
            Event::GeneralRef(r) if outcome.is_some() && other_depth == 0 => {
                let name = r.decode().map_err(|e| bad(e.to_string()))?;
                let resolved: Cow<'_, str> = if r.is_char_ref() {
                    match r.resolve_char_ref().map_err(|e| bad(e.to_string()))? {
                        Some(c) => Cow::Owned(c.to_string()),
                        None => Cow::Borrowed(""),
                    }
                } else {
                    Cow::Borrowed(
                        quick_xml::escape::resolve_predefined_entity(&name)
                            .ok_or_else(|| bad(format!("unknown entity `&{name};`")))?,
                    )
                };
                if let Some(o) = outcome.as_mut() {
                    o.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !root_seen {
        return Err(err_at(0, "no <testsuites> or <testsuite> element".into()));
    }
    if case.is_some() || outcome.is_some() || !suites.is_empty() {
        return Err(err_at(
            u64::try_from(text.len()).unwrap_or(u64::MAX),
            "the report ends inside an element".into(),
        ));
    }
    run.started_at = earliest
        .filter(|t| *t > 0)
        .map(|t| SystemTime::UNIX_EPOCH + Duration::from_secs(t.unsigned_abs()));
    Ok(run)
}

/// Records an outcome on its case: the first failure wins over a skip.
fn close_outcome(case: Option<&mut OpenCase>, o: OpenOutcome) {
    let Some(case) = case else { return };
    let text = xml_text(&o.text);
    let message = match o.status {
        CaseStatus::Failed => o.message.or_else(|| {
            text.lines()
                .find(|l| !l.trim().is_empty())
                .map(|l| l.trim().to_string())
        }),
        _ => None,
    };
    match &case.outcome {
        Some((CaseStatus::Failed, _)) => {}
        Some(_) if o.status != CaseStatus::Failed => {}
        _ => case.outcome = Some((o.status, message)),
    }
}

fn push_case(run: &mut TestRun, suites: &[String], c: OpenCase) {
    let suite_name = suites.last().cloned().unwrap_or_default();
    let names: Vec<String> = if c.name.contains(" > ") {
        c.name.split(" > ").map(str::to_string).collect()
    } else if c.name.contains("::") {
        c.name.split("::").map(str::to_string).collect()
    } else {
        vec![c.name.clone()]
    };
    let (status, message) = c.outcome.unwrap_or((CaseStatus::Passed, None));
    let empty_suite = status == CaseStatus::Failed
        && message
            .as_deref()
            .is_some_and(|m| m.starts_with(VITEST_EMPTY_SUITE));
    // The file: vitest writes it as the classname; nextest writes the binary id there,
    // which is no file, so only a classname that looks like a path counts.
    let file = c
        .classname
        .filter(|c| c.contains('/') || c.contains('.'))
        .filter(|c| !c.contains("::"))
        .or_else(|| Some(suite_name.clone()).filter(|s| s.contains('/')));
    run.cases.push(TestCase {
        file,
        group: Some(suite_name),
        names,
        status,
        line: 0,
        col: 0,
        message,
        empty_suite,
    });
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
    fn malformed_xml_is_an_error_with_its_position() {
        let e =
            parse("<testsuites>\n  <testsuite name=\"a\">\n    <testcase name=\"x\"></testsuite>")
                .unwrap_err();
        assert_eq!((e.line, e.col), (3, 24), "{}", e.message);
        assert!(
            e.message.starts_with("is not a JUnit XML report: "),
            "{}",
            e.message
        );
        let e = parse("<testsuites><testsuite name=\"a\">").unwrap_err();
        assert_eq!(
            e.message,
            "is not a JUnit XML report: the report ends inside an element"
        );
        let e = parse("<html><testcase name=\"x\"/></html>").unwrap_err();
        assert_eq!(
            (e.line, e.col, e.message.as_str()),
            (
                1,
                1,
                "is not a JUnit XML report: the root element is <html>, not <testsuites> or <testsuite>"
            )
        );
        let e =
            parse("<testsuite name=\"s\">\n<testcase classname=\"c\"/></testsuite>").unwrap_err();
        assert_eq!(
            (e.line, e.col, e.message.as_str()),
            (
                2,
                1,
                "is not a JUnit XML report: a <testcase> without a `name`"
            )
        );
        assert!(parse("").is_err());
    }

    #[test]
    fn a_bare_testsuite_root_entities_cdata_and_colour_are_read() {
        let xml = "<?xml version=\"1.0\"?>\n<testsuite name=\"pkg/a.test.ts\" timestamp=\"2026-01-01T02:00:00+02:00\">\n<testcase name=\"a &amp; b &gt; c\" classname=\"pkg/a.test.ts\"><failure>\n\n  \u{1b}[31mexpected &#52;&#x32; &lt;= 1\u{1b}[39m\nstack</failure><system-out><failure message=\"not an outcome\"/></system-out></testcase>\n<testcase name=\"s\"><skipped/><error message=\"teardown\"/></testcase>\n<testcase name=\"cd\"><error><![CDATA[<boom>]]></error></testcase>\n</testsuite>";
        let run = parse(xml).unwrap();
        let got: Vec<_> = run
            .cases
            .iter()
            .map(|c| (c.names.clone(), c.status, c.message.clone()))
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    vec!["a & b".to_string(), "c".into()],
                    CaseStatus::Failed,
                    Some("expected 42 <= 1".into())
                ),
                (
                    vec!["s".into()],
                    CaseStatus::Failed,
                    Some("teardown".into())
                ),
                (vec!["cd".into()], CaseStatus::Failed, Some("<boom>".into())),
            ]
        );
        assert_eq!(run.files, vec!["pkg/a.test.ts".to_string()]);
        // 02:00 at +02:00 is midnight UTC.
        assert_eq!(
            run.started_at,
            Some(SystemTime::UNIX_EPOCH + Duration::from_secs(1_767_225_600))
        );
    }

    #[test]
    fn timestamps_in_the_forms_runners_write() {
        assert_eq!(unix_time("2026-01-01T00:00:00.000Z"), Some(1_767_225_600));
        assert_eq!(
            unix_time("2026-01-01T00:00:00.000+00:00"),
            Some(1_767_225_600)
        );
        assert_eq!(unix_time("2025-12-31T23:30:00-00:30"), Some(1_767_225_600));
        assert_eq!(unix_time("2026-01-01T00:00:00.123456"), Some(1_767_225_600));
        assert_eq!(unix_time("yesterday"), None);
        assert_eq!(unix_time("2026-01-01T00:00:00+xx:00"), None);
        // Found by fuzzing: a multi-byte character across byte 19 once panicked.
        assert_eq!(unix_time("2026-01-01T00:00:0\u{feff}0+01:00"), None);
        assert_eq!(unix_time("2026-01-01T00:00:00\u{feff}"), None);
        // Found by fuzzing: a huge offset once overflowed.
        assert_eq!(
            unix_time("2026-11-24T00:46:58.742+0000000000000000000150820620:00"),
            None
        );
        assert_eq!(unix_time("2026-01-01T00:00:00+24:00"), None);
        assert_eq!(unix_time("2026-01-01T00:00:00+1:00"), None);
    }
}

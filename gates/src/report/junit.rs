//! `--junit FILE`: one test suite per slice, one test case per gate in it. Failed gates
//! carry their findings; skipped gates their reason; timed-out and errored gates are errors.
//!
//! Every test case carries `file` and `line` attributes, which JUnit reporter actions turn
//! into annotations: the first finding with a path (errors first), else the pipeline file at
//! the line declaring the gate ([`Origin`]).

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};

use super::Origin;
use crate::finding::Finding;
use crate::record::{GateResult, RunRecord, Status};
use crate::text::xml_text;

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

/// Seconds with three decimals, as JUnit readers expect.
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// A gate's outcome element: (tag, message, type), or `None` for a pass.
fn outcome(g: &GateResult) -> Option<(&'static str, String, Option<&'static str>)> {
    match g.status {
        Status::Passed => None,
        Status::Failed => {
            let n = g.error_count();
            Some((
                "failure",
                format!("{n} finding{}", if n == 1 { "" } else { "s" }),
                Some("findings"),
            ))
        }
        Status::TimedOut | Status::Errored => Some((
            "error",
            g.reason.clone().unwrap_or_default(),
            Some(g.status.as_str()),
        )),
        Status::Skipped => Some(("skipped", g.reason.clone().unwrap_or_default(), None)),
    }
}

/// Writes one event; writing into a `Vec` cannot fail.
fn put(w: &mut Writer<Vec<u8>>, e: Event<'_>) {
    w.write_event(e).expect("writing XML into memory");
}

fn element_with_text(w: &mut Writer<Vec<u8>>, start: BytesStart<'_>, text: &str) {
    let end = BytesEnd::new(String::from_utf8_lossy(start.name().as_ref()).into_owned());
    put(w, Event::Start(start));
    put(w, Event::Text(BytesText::new(&xml_text(text))));
    put(w, Event::End(end));
}

pub fn render(record: &RunRecord, origin: &Origin) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 4);
    put(
        &mut w,
        Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)),
    );
    let in_run: Vec<(&str, &str, &GateResult)> = record
        .slices
        .iter()
        .flat_map(|slice| {
            slice.gates.iter().filter_map(|gid| {
                record
                    .gates
                    .iter()
                    .find(|g| &g.id == gid)
                    .map(|g| (slice.id.as_str(), gid.as_str(), g))
            })
        })
        .collect();
    let count = |gates: &mut dyn Iterator<Item = &GateResult>| {
        let (mut tests, mut skipped, mut failures, mut errors) = (0, 0, 0, 0);
        for g in gates {
            tests += 1;
            match g.status {
                Status::Passed => {}
                Status::Failed => failures += 1,
                Status::TimedOut | Status::Errored => errors += 1,
                Status::Skipped => skipped += 1,
            }
        }
        [tests, skipped, failures, errors].map(|n: u64| n.to_string())
    };
    let [tests, skipped, failures, errors] = count(&mut in_run.iter().map(|(_, _, g)| *g));
    let mut root = BytesStart::new("testsuites");
    root.push_attribute((
        "name",
        xml_text(&format!("rawr-gates {}", record.pipeline)).as_str(),
    ));
    root.push_attribute(("tests", tests.as_str()));
    root.push_attribute(("skipped", skipped.as_str()));
    root.push_attribute(("failures", failures.as_str()));
    root.push_attribute(("errors", errors.as_str()));
    root.push_attribute(("time", seconds(record.duration_ms).as_str()));
    put(&mut w, Event::Start(root));
    for slice in &record.slices {
        let gates: Vec<&GateResult> = in_run
            .iter()
            .filter(|(s, _, _)| *s == slice.id)
            .map(|(_, _, g)| *g)
            .collect();
        let [tests, skipped, failures, errors] = count(&mut gates.iter().copied());
        let mut suite = BytesStart::new("testsuite");
        suite.push_attribute((
            "name",
            xml_text(&format!("{} (stage {})", slice.id, slice.stage)).as_str(),
        ));
        suite.push_attribute(("tests", tests.as_str()));
        suite.push_attribute(("skipped", skipped.as_str()));
        suite.push_attribute(("errors", errors.as_str()));
        suite.push_attribute(("failures", failures.as_str()));
        if gates.is_empty() {
            put(&mut w, Event::Empty(suite));
            continue;
        }
        put(&mut w, Event::Start(suite));
        for g in gates {
            let mut case = BytesStart::new("testcase");
            case.push_attribute(("name", xml_text(&g.id).as_str()));
            case.push_attribute((
                "classname",
                xml_text(&format!("{}.{}", record.pipeline, slice.id)).as_str(),
            ));
            case.push_attribute(("time", seconds(g.duration_ms).as_str()));
            let (file, line) = case_location(g, origin);
            case.push_attribute(("file", xml_text(&file).as_str()));
            if line > 0 {
                case.push_attribute(("line", line.to_string().as_str()));
            }
            let outcome = outcome(g);
            if outcome.is_none() && g.output.is_empty() {
                put(&mut w, Event::Empty(case));
                continue;
            }
            put(&mut w, Event::Start(case));
            if let Some((tag, message, ty)) = outcome {
                let mut el = BytesStart::new(tag);
                el.push_attribute(("message", xml_text(&message).as_str()));
                if let Some(ty) = ty {
                    el.push_attribute(("type", ty));
                }
                // Skips carry their reason only; failures and errors their findings.
                let text: Vec<String> = if tag == "skipped" {
                    Vec::new()
                } else {
                    g.findings
                        .iter()
                        .map(|f| {
                            format!("{} [{}] {}", f.location(), f.rule, f.message)
                                .trim_start()
                                .to_string()
                        })
                        .collect()
                };
                if text.is_empty() {
                    put(&mut w, Event::Empty(el));
                } else {
                    element_with_text(&mut w, el, &text.join("\n"));
                }
            }
            if !g.output.is_empty() {
                element_with_text(&mut w, BytesStart::new("system-out"), &g.output);
            }
            put(&mut w, Event::End(BytesEnd::new("testcase")));
        }
        put(&mut w, Event::End(BytesEnd::new("testsuite")));
    }
    put(&mut w, Event::End(BytesEnd::new("testsuites")));
    w.write_indent().expect("writing XML into memory");
    String::from_utf8(w.into_inner()).expect("the XML written is UTF-8")
}

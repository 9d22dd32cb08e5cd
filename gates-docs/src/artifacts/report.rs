//! Stage 6 documents: the execution report and the final handoff (the pipeline's `report`
//! and `handoff` documents),
//! generated from the last run's record (`cargo xtask report`).
//!
//! Both are regenerated whole, except for human-written sections, which are delimited by
//! `<!-- human:begin ID -->` and `<!-- human:end ID -->` and carried over verbatim. A section
//! the new template does not have is kept too, at the end, so regeneration never drops a
//! person's words; a malformed section makes the generator refuse rather than guess.
//!
//! Each document embeds a machine-readable block of claims (one line per gate, with the
//! status the run recorded) inside an HTML comment; the `handoff` gate compares those claims
//! with the run, so a report that claims green after a red run fails.

use gates_core::fs::probe::Probe;
use std::path::Path;

use super::disposition::{self, Decision};
use super::evidence::Resolver;
use super::readiness::{self, Posture};
use super::write_atomic;
use crate::error::GateError;
use crate::record::{RunRecord, Status};

pub const CLAIMS_OPEN: &str = "<!-- rawr-gates:claims";
const HUMAN_BEGIN: &str = "<!-- human:begin ";
const HUMAN_END: &str = "<!-- human:end ";

/// The status word used in claims (stable, kebab-case).
pub fn status_word(s: Status) -> &'static str {
    match s {
        Status::Passed => "passed",
        Status::Failed => "failed",
        Status::Skipped => "skipped",
        Status::TimedOut => "timed-out",
        Status::Errored => "errored",
    }
}

pub fn parse_status(w: &str) -> Option<Status> {
    Some(match w {
        "passed" => Status::Passed,
        "failed" => Status::Failed,
        "skipped" => Status::Skipped,
        "timed-out" => Status::TimedOut,
        "errored" => Status::Errored,
        _ => return None,
    })
}

/// One gate claim with its 1-based line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Claim {
    pub gate: String,
    pub status: Option<Status>,
    pub raw: String,
    pub line: u32,
}

/// The claims block of a document: its opening line and the claims. `None` when absent.
pub fn parse_claims(text: &str) -> Option<(u32, Vec<Claim>)> {
    let mut lines = text.lines().enumerate();
    let open = lines
        .find(|(_, l)| l.trim_start().starts_with(CLAIMS_OPEN))?
        .0 as u32
        + 1;
    let mut claims = Vec::new();
    for (i, l) in lines {
        let t = l.trim();
        if t.starts_with("-->") {
            break;
        }
        if let Some(rest) = t.strip_prefix("gate ")
            && let Some((id, st)) = rest.split_once(':')
        {
            let raw = st.trim().to_string();
            claims.push(Claim {
                gate: id.trim().to_string(),
                status: parse_status(&raw),
                raw,
                line: i as u32 + 1,
            });
        }
    }
    Some((open, claims))
}

/// Human-written sections of an existing document, in order. Errors on a malformed one.
pub fn human_sections(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut out: Vec<(String, String)> = Vec::new();
    let mut cur: Option<(String, usize, Vec<&str>)> = None;
    for (i, l) in text.lines().enumerate() {
        let t = l.trim();
        if let Some(rest) = t.strip_prefix(HUMAN_BEGIN) {
            let id = rest.trim_end_matches("-->").trim().to_string();
            if let Some((open, line, _)) = &cur {
                return Err(format!(
                    "line {}: section `{id}` opens inside `{open}` (opened on line {line})",
                    i + 1
                ));
            }
            if out.iter().any(|(x, _)| *x == id) {
                return Err(format!(
                    "line {}: a second human-written section `{id}`",
                    i + 1
                ));
            }
            cur = Some((id, i + 1, Vec::new()));
        } else if let Some(rest) = t.strip_prefix(HUMAN_END) {
            let id = rest.trim_end_matches("-->").trim().to_string();
            match cur.take() {
                Some((open, _, body)) if open == id => out.push((id, body.join("\n"))),
                Some((open, line, _)) => {
                    return Err(format!(
                        "line {}: `{id}` closes, but `{open}` (line {line}) is open",
                        i + 1
                    ));
                }
                None => {
                    return Err(format!(
                        "line {}: `{id}` closes but was never opened",
                        i + 1
                    ));
                }
            }
        } else if let Some((_, _, body)) = &mut cur {
            body.push(l);
        }
    }
    if let Some((id, line, _)) = cur {
        return Err(format!(
            "line {line}: human-written section `{id}` is never closed"
        ));
    }
    Ok(out)
}

/// What the closure documents say, for the report.
#[derive(Debug, Default)]
pub struct Closure {
    pub review: Option<Decision>,
    pub structural: Option<Decision>,
    /// Whether the structural disposition document exists (the structural assessment may be
    /// kept as the structural refactor and its reviews instead).
    pub structural_document: bool,
    pub posture: Option<Posture>,
    pub blockers: usize,
    /// Deferred or accepted findings: (source document, id, severity, status, owner, target slice).
    pub follow_ups: Vec<[String; 6]>,
}

/// The phase's documents and words as the report, the handoff and the `handoff` check use
/// them: the pipeline's `[phase]` and `[documents]`, with the closure gates' own `document`
/// parameters (and the handoff gate's `required`) taking precedence.
#[derive(Clone, Debug, Default)]
pub struct Docs {
    pub review: Option<String>,
    pub structural: Option<String>,
    pub readiness: Option<String>,
    pub report: Option<String>,
    pub handoff: Option<String>,
    pub required: Vec<String>,
    /// The slices that play the review, structural and readiness roles.
    pub review_slice: Option<String>,
    pub structural_slice: Option<String>,
    pub readiness_slice: Option<String>,
    /// How texts name the phase and the next one, and the command that runs the pipeline.
    pub phase: String,
    pub next_phase: String,
    pub command: String,
}

impl Docs {
    /// The documents and words of pipeline `p`.
    pub fn of(p: &crate::pipeline::Pipeline) -> Docs {
        use crate::pipeline::Role;
        let d = &p.documents;
        let mut out = Docs {
            review: d.file(Role::Review).map(str::to_string),
            structural: d.file(Role::Structural).map(str::to_string),
            readiness: d.file(Role::Readiness).map(str::to_string),
            report: d.report.clone(),
            handoff: d.handoff.clone(),
            required: d.required.clone(),
            review_slice: d.slice(Role::Review).map(str::to_string),
            structural_slice: d.slice(Role::Structural).map(str::to_string),
            readiness_slice: d.slice(Role::Readiness).map(str::to_string),
            phase: p.phase.name.clone(),
            next_phase: p.phase.next_name.clone(),
            command: p.phase.command.clone(),
        };
        let param = |check: &str, kind: Option<&str>, key: &str| {
            p.gates
                .values()
                .filter(|g| g.kind.check_name() == Some(check))
                .filter_map(|g| g.kind.params())
                .find(|t| kind.is_none_or(|k| t.get("kind").and_then(|v| v.as_str()) == Some(k)))
                .and_then(|t| t.get(key).cloned())
        };
        let s = |v: Option<toml::Value>| v.and_then(|v| v.as_str().map(str::to_string));
        if let Some(x) = s(param("closure", Some("review"), "document")) {
            out.review = Some(x);
        }
        if let Some(x) = s(param("closure", Some("structural"), "document")) {
            out.structural = Some(x);
        }
        if let Some(x) = s(param("readiness", None, "document")) {
            out.readiness = Some(x);
        }
        if let Some(toml::Value::Array(a)) = param("handoff", None, "required") {
            out.required = a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect();
        }
        out
    }

    /// Whether `name` is one of the documents `cargo xtask report` writes.
    pub fn is_generated(&self, name: &str) -> bool {
        self.report.as_deref() == Some(name) || self.handoff.as_deref() == Some(name)
    }

    /// A role's slice as texts name it (`C5`), or the role's own word.
    fn slice_word<'a>(slice: &'a Option<String>, role: &'a str) -> &'a str {
        slice.as_deref().unwrap_or(role)
    }
}

pub fn read_closure(repo: &Path, pass_root: &Path, docs: &Docs) -> Closure {
    let mut c = Closure::default();
    let mut resolver = Resolver::new(repo, &[]);
    for (doc, slot) in [(&docs.review, 0), (&docs.structural, 1)] {
        let Some(doc) = doc else { continue };
        let Ok(text) = crate::fs::careful::read_document(pass_root.join(doc)) else {
            continue;
        };
        let d = disposition::check(doc, &text, &mut resolver);
        let decision = disposition::decision_of(&text);
        if slot == 0 {
            c.review = decision;
        } else {
            c.structural = decision;
            c.structural_document = true;
        }
        for i in d
            .items
            .iter()
            .filter(|i| matches!(i.status.as_str(), "deferred" | "accepted"))
        {
            c.follow_ups.push([
                doc.clone(),
                i.id.clone(),
                i.severity.clone(),
                i.status.clone(),
                i.owner.clone(),
                i.target_slice.clone(),
            ]);
        }
    }
    if let Some(doc) = &docs.readiness
        && let Ok(text) = crate::fs::careful::read_document(pass_root.join(doc))
    {
        let r = readiness::check(doc, &text, false);
        c.posture = r.posture;
        c.blockers = r.blockers.len();
    }
    c
}

fn dur(ms: u64) -> String {
    if ms < 1000 {
        format!("{ms} ms")
    } else {
        format!("{:.1} s", ms as f64 / 1000.0)
    }
}

fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

fn header(title: &str) -> String {
    format!(
        "# {title}\n\n<!-- rawr-gates:generated by `cargo xtask report` from the last run's record (rawr-gates/last-run.json in the target's git directory).\n     Regenerate it rather than edit it. Only the human-written sections (between human:begin and\n     human:end markers) are yours; regeneration keeps them verbatim. -->\n\n"
    )
}

fn claims_block(r: &RunRecord) -> String {
    let mut s = format!(
        "{CLAIMS_OPEN}\n   machine-readable: the `handoff` gate compares these claims with the run.\nrun-started: {}\nrevision: {}\nselection: {}\n",
        r.started_at,
        r.revision.as_deref().unwrap_or("unknown"),
        r.selection
    );
    for g in &r.gates {
        s.push_str(&format!("gate {}: {}\n", g.id, status_word(g.status)));
    }
    s.push_str("-->\n");
    s
}

fn human(id: &str, title: &str, default: &str, kept: &[(String, String)]) -> String {
    let body = kept
        .iter()
        .find(|(k, _)| k == id)
        .map_or(default, |(_, v)| v.as_str());
    format!("## {title} (human-written)\n\n{HUMAN_BEGIN}{id} -->\n{body}\n{HUMAN_END}{id} -->\n\n")
}

fn leftovers(kept: &[(String, String)], used: &[&str]) -> String {
    let rest: Vec<&(String, String)> = kept
        .iter()
        .filter(|(id, _)| !used.contains(&id.as_str()))
        .collect();
    if rest.is_empty() {
        return String::new();
    }
    let mut s = "## Kept human-written sections\n\nThese sections are no longer part of the template; they are kept so nothing written by hand is lost.\n\n".to_string();
    for (id, body) in rest {
        s.push_str(&format!(
            "{HUMAN_BEGIN}{id} -->\n{body}\n{HUMAN_END}{id} -->\n\n"
        ));
    }
    s
}

fn overall(r: &RunRecord) -> String {
    let c = &r.counts;
    let word = if r.exit_code == 0 {
        "all gates passed"
    } else {
        "NOT green"
    };
    format!(
        "{word}: {} planned, {} passed, {} failed, {} skipped, {} timed out, {} errored (exit {}){}",
        c.planned,
        c.passed,
        c.failed,
        c.skipped,
        c.timed_out,
        c.errored,
        r.exit_code,
        if r.interrupted { ", interrupted" } else { "" }
    )
}

/// The closure decisions, written the way the gates read them back: each token a code
/// span on a line naming its slice (the `handoff` gate checks them against the documents).
fn decisions(c: &Closure, docs: &Docs) -> String {
    let d = |x: Option<Decision>| {
        x.map(|d| format!("`{}`", d.as_str()))
            .unwrap_or_else(|| "none stated".into())
    };
    let name = |x: &Option<String>| x.as_deref().unwrap_or("not configured").to_string();
    let structural_slice = Docs::slice_word(&docs.structural_slice, "structural");
    let structural = if c.structural_document {
        format!(
            "- {structural_slice} structural disposition (`{}`): {}\n",
            name(&docs.structural),
            d(c.structural)
        )
    } else {
        format!(
            "- {structural_slice} structural assessment: kept as the structural refactor and its reviews (judged by the `structural-closure` gate)\n"
        )
    };
    format!(
        "- {} review disposition (`{}`): {}\n{structural}- {} {} posture (`{}`): {}, {} blocker(s)\n",
        Docs::slice_word(&docs.review_slice, "review"),
        name(&docs.review),
        d(c.review),
        Docs::slice_word(&docs.readiness_slice, "readiness"),
        docs.next_phase,
        name(&docs.readiness),
        c.posture
            .map(|p| format!("`{}`", p.as_str()))
            .unwrap_or_else(|| "none stated".into()),
        c.blockers
    )
}

/// The execution report's text.
pub fn execution_report(
    r: &RunRecord,
    c: &Closure,
    docs: &Docs,
    existing: Option<&str>,
) -> Result<String, String> {
    let kept = existing
        .map(human_sections)
        .transpose()?
        .unwrap_or_default();
    let mut s = header(&format!("{} execution report", docs.phase));
    s.push_str("## Run\n\n| | |\n| --- | --- |\n");
    s.push_str(&format!("| pipeline | `{}` |\n", r.pipeline));
    s.push_str(&format!("| selection | {} |\n", cell(&r.selection)));
    s.push_str(&format!(
        "| revision | `{}` |\n",
        r.revision.as_deref().unwrap_or("unknown")
    ));
    s.push_str(&format!(
        "| started | {} |\n| finished | {} |\n| duration | {} |\n",
        r.started_at,
        r.finished_at,
        dur(r.duration_ms)
    ));
    s.push_str(&format!(
        "| result | {} |\n| tool | {} |\n\n",
        overall(r),
        r.tool
    ));
    s.push_str("## Slices\n\n| slice | stage | title | owner | status | note |\n| --- | --- | --- | --- | --- | --- |\n");
    for sl in &r.slices {
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            sl.id,
            sl.stage,
            cell(&sl.title),
            cell(&sl.owner),
            status_word(sl.status),
            cell(sl.reason.as_deref().unwrap_or("—"))
        ));
    }
    s.push_str("\n## Gates\n\n| gate | slices | status | duration | errors | warnings | runs |\n| --- | --- | --- | --- | --- | --- | --- |\n");
    for g in &r.gates {
        let errors = g.error_count();
        let warnings = g
            .findings
            .iter()
            .filter(|f| f.severity == crate::finding::Severity::Warning)
            .count();
        let runs = match (&g.command, &g.check) {
            (Some(argv), Some(ch)) => {
                format!("`{}`, judged by check `{ch}`", cell(&argv.join(" ")))
            }
            (Some(argv), None) => format!("`{}`", cell(&argv.join(" "))),
            (None, Some(ch)) => format!("check `{ch}`"),
            (None, None) => "—".into(),
        };
        s.push_str(&format!(
            "| `{}` | {} | {} | {} | {errors} | {warnings} | {runs} |\n",
            g.id,
            g.slices.join(", "),
            status_word(g.status),
            dur(g.duration_ms)
        ));
    }
    let red: Vec<&crate::record::GateResult> = r
        .gates
        .iter()
        .filter(|g| g.status != Status::Passed)
        .collect();
    if !red.is_empty() {
        s.push_str("\n## Gates that did not pass\n\n");
        for g in red {
            let why = g
                .reason
                .as_deref()
                .map(|x| format!(": {x}"))
                .unwrap_or_default();
            s.push_str(&format!(
                "- `{}` {}{}\n",
                g.id,
                status_word(g.status),
                cell(&why)
            ));
            for f in g
                .findings
                .iter()
                .filter(|f| f.severity == crate::finding::Severity::Error)
            {
                let at = f.location();
                let at = if at.is_empty() {
                    String::new()
                } else {
                    format!("`{at}` ")
                };
                s.push_str(&format!(
                    "  - {at}[{}] {}\n",
                    f.rule,
                    f.message.replace('\n', " ")
                ));
            }
        }
    }
    s.push_str("\n## Closure decisions\n\n");
    s.push_str(&decisions(c, docs));
    s.push_str("\n## Commands\n\n");
    s.push_str(&format!(
        "- The run: `{}` (selection: {}); one gate alone: `cargo xtask gate <id>`.\n- This report: `cargo xtask report`.\n",
        docs.command, r.selection
    ));
    let cmds: Vec<String> = r
        .gates
        .iter()
        .filter_map(|g| {
            g.command
                .as_ref()
                .map(|a| format!("- `{}`: `{}`", g.id, a.join(" ")))
        })
        .collect();
    if !cmds.is_empty() {
        s.push_str("- Commands run by gates:\n");
        for c in cmds {
            s.push_str(&format!("  {c}\n"));
        }
    }
    s.push('\n');
    s.push_str(&human(
        "notes",
        "Notes",
        "_Write observations about this pass here; `cargo xtask report` keeps this section._",
        &kept,
    ));
    s.push_str(&leftovers(&kept, &["notes"]));
    s.push_str(&claims_block(r));
    Ok(s)
}

/// The handoff's text.
pub fn handoff(
    r: &RunRecord,
    c: &Closure,
    docs: &Docs,
    pass_root: &Path,
    existing: Option<&str>,
) -> Result<String, String> {
    let kept = existing
        .map(human_sections)
        .transpose()?
        .unwrap_or_default();
    let mut s = header(&format!("Final {} handoff", docs.phase));
    s.push_str("## Status\n\n");
    s.push_str(&format!(
        "- Result of the last run ({}): {}\n",
        r.started_at,
        overall(r)
    ));
    s.push_str(&format!(
        "- Revision: `{}`\n",
        r.revision.as_deref().unwrap_or("unknown")
    ));
    let red: Vec<String> = r
        .slices
        .iter()
        .filter(|x| x.status != Status::Passed)
        .map(|x| format!("{} ({})", x.id, status_word(x.status)))
        .collect();
    if r.slices.is_empty() {
        s.push_str("- Slices: none recorded\n");
    } else if red.is_empty() {
        s.push_str(&format!("- Slices: all {} green\n", r.slices.len()));
    } else {
        s.push_str(&format!("- Slices not green: {}\n", red.join(", ")));
    }
    let red_gates: Vec<String> = r
        .gates
        .iter()
        .filter(|g| g.status != Status::Passed)
        .map(|g| format!("`{}` ({})", g.id, status_word(g.status)))
        .collect();
    if !red_gates.is_empty() {
        s.push_str(&format!("- Gates not green: {}\n", red_gates.join(", ")));
    }
    if let Some(report) = &docs.report {
        s.push_str(&format!("- Full detail: `{report}`\n\n"));
    } else {
        s.push('\n');
    }
    s.push_str("## Closure\n\n");
    s.push_str(&decisions(c, docs));
    s.push_str(&format!(
        "\n## Follow-ups carried into {}\n\n",
        docs.next_phase
    ));
    if c.follow_ups.is_empty() {
        s.push_str("None: no finding was deferred or accepted.\n\n");
    } else {
        s.push_str("| source | id | severity | status | owner | target slice |\n| --- | --- | --- | --- | --- | --- |\n");
        for f in &c.follow_ups {
            s.push_str(&format!(
                "| `{}` | {} | {} | {} | {} | {} |\n",
                f[0],
                cell(&f[1]),
                f[2],
                f[3],
                cell(&f[4]),
                cell(&f[5])
            ));
        }
        s.push('\n');
    }
    s.push_str("## Required outputs\n\n");
    for o in &docs.required {
        let present = pass_root.join(o).probe_exists() || docs.is_generated(o);
        s.push_str(&format!("- [{}] `{o}`\n", if present { "x" } else { " " }));
    }
    s.push('\n');
    s.push_str(&human(
        "next-steps",
        "Next steps",
        &format!(
            "_Who picks up {}, and what they do first._",
            docs.next_phase
        ),
        &kept,
    ));
    s.push_str(&human(
        "notes",
        "Notes",
        "_Anything the next team should know that the gates cannot say._",
        &kept,
    ));
    s.push_str(&leftovers(&kept, &["next-steps", "notes"]));
    s.push_str(&claims_block(r));
    Ok(s)
}

/// Writes both documents into the pass root (atomically, each); returns their paths.
pub fn write(
    repo: &Path,
    pass_root: &Path,
    record: &RunRecord,
    docs: &Docs,
) -> Result<Vec<std::path::PathBuf>, GateError> {
    let (Some(report_name), Some(handoff_name)) = (&docs.report, &docs.handoff) else {
        return Err(GateError::msg(
            "the pipeline names no report or handoff document: add `report` and `handoff` to its `[documents]` (docs/pipeline.md)",
        ));
    };
    let closure = read_closure(repo, pass_root, docs);
    let report_path = pass_root.join(report_name);
    let handoff_path = pass_root.join(handoff_name);
    let read = |p: &Path| match crate::fs::careful::read_document(p) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(GateError::io(p, e)),
    };
    let (old_report, old_handoff) = (read(&report_path)?, read(&handoff_path)?);
    // Render both before writing either, so a malformed human section stops everything.
    let report = execution_report(record, &closure, docs, old_report.as_deref()).map_err(|e| {
        GateError::msg(format!(
            "{}: {e}; fix it by hand, nothing was written",
            report_path.display()
        ))
    })?;
    let hand = handoff(record, &closure, docs, pass_root, old_handoff.as_deref()).map_err(|e| {
        GateError::msg(format!(
            "{}: {e}; fix it by hand, nothing was written",
            handoff_path.display()
        ))
    })?;
    std::fs::create_dir_all(pass_root).map_err(|e| GateError::io(pass_root, e))?;
    write_atomic(&report_path, report.as_bytes()).map_err(|e| GateError::io(&report_path, e))?;
    write_atomic(&handoff_path, hand.as_bytes()).map_err(|e| GateError::io(&handoff_path, e))?;
    Ok(vec![report_path, handoff_path])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn human_sections_round_trip_and_refuse_malformed() {
        let t = "x\n<!-- human:begin notes -->\nkeep *me*\n\nand me\n<!-- human:end notes -->\n";
        assert_eq!(
            human_sections(t).unwrap(),
            vec![("notes".to_string(), "keep *me*\n\nand me".to_string())]
        );
        assert!(
            human_sections("<!-- human:begin a -->\nx\n")
                .unwrap_err()
                .contains("never closed")
        );
        assert!(human_sections("<!-- human:end a -->\n").is_err());
    }

    #[test]
    fn claims_parse_with_lines() {
        let t = "# R\n<!-- rawr-gates:claims\nrun-started: x\ngate a: passed\ngate b: timed-out\ngate c: green\n-->\ngate d: passed\n";
        let (open, claims) = parse_claims(t).unwrap();
        assert_eq!(open, 2);
        assert_eq!(claims.len(), 3);
        assert_eq!(
            claims[1],
            Claim {
                gate: "b".into(),
                status: Some(Status::TimedOut),
                raw: "timed-out".into(),
                line: 5
            }
        );
        assert_eq!(claims[2].status, None);
    }
}

//! The check interface (re-exported from [`crate::pipeline::check`]) and the built-in checks
//! that read no TypeScript. One file per check; each opens with what it checks, why, and how
//! to fix. The registry of every check, and the checks that read TypeScript, are
//! `gates::checks`.

pub mod common;

use crate::fs::probe::Probe;
use std::path::{Path, PathBuf};

use crate::error::GateError;
use crate::finding::Finding;

// The check interface is part of the pipeline model (a gate holds its check's definition);
// every check names it from here.
pub use crate::pipeline::check::{
    Capability, CheckCtx, CheckDef, CheckOutput, Rule, RunSoFar, error, parse_params, warning,
};

pub use crate::fs::resolve_inside;

/// Resolves a configured discovery implementation inside the repository. When nothing at
/// all is there, reports `implementation-missing` and returns `None` (and when the system
/// will not say, a folder on the way being closed to the tool, `read-failed`). Anything else (a
/// directory, a dangling link, a symlink loop) is returned and left to the reader, which
/// reports the precise problem with its position.
pub fn discovery_implementation(
    repo: &Path,
    imp: &str,
    out: &mut CheckOutput,
) -> Result<Option<PathBuf>, GateError> {
    let path = resolve_inside(repo, imp)?;
    match path.probe_symlink_metadata() {
        Ok(_) => Ok(Some(path)),
        Err(e) if crate::fs::source::is_missing(&e) => {
            out.findings.push(Finding::error(
                "implementation-missing",
                imp.to_string(),
                0,
                0,
                format!("discovery implementation {imp} does not exist"),
            ));
            Ok(None)
        }
        // A folder on the way the tool may not search: it could not judge the file.
        Err(e) => {
            out.findings.push(crate::fs::source::read_failed(imp, &e));
            Ok(None)
        }
    }
}

/// A document's bytes as text. Bytes that are not UTF-8 are the finding `document-not-utf8`
/// at `rel`, and `None`: the check reports what it found and goes on.
pub fn document_text(bytes: Vec<u8>, rel: &str, out: &mut CheckOutput) -> Option<String> {
    match String::from_utf8(bytes) {
        Ok(text) => Some(text),
        Err(e) => {
            out.findings.push(Finding::error(
                "document-not-utf8",
                rel,
                0,
                0,
                format!("not UTF-8 text: {e}"),
            ));
            None
        }
    }
}

/// Reads the pass-root document `doc` (at `full`, reported as `rel`) as text. A missing
/// document is the finding `missing_rule` (with `help` when given), one that is not UTF-8 is
/// `document-not-utf8` ([`document_text`]); either way `None` is returned and the check
/// reports what it found. Any other read error is the tool's.
pub fn read_pass_document(
    full: &Path,
    rel: &str,
    doc: &str,
    missing_rule: &str,
    help: Option<&str>,
    out: &mut CheckOutput,
) -> Result<Option<String>, GateError> {
    match crate::fs::careful::read_document_bytes(full) {
        Ok(bytes) => Ok(document_text(bytes, rel, out)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut f = Finding::error(
                missing_rule,
                rel,
                0,
                0,
                format!("`{doc}` does not exist in the pass root"),
            );
            if let Some(h) = help {
                f = f.with_help(h);
            }
            out.findings.push(f);
            Ok(None)
        }
        Err(e) => Err(GateError::io(full, e)),
    }
}

pub use crate::pipeline::{Alias, ParamError, Role, no_roles};

/// For a test report judged without running its gate's command (`gate <id> --report FILE`):
/// its format (the gate's `report_format` param, else its command's declared `report`) and
/// the folder the command runs in (the report's relative paths are relative to it).
pub fn report_format_and_dir(
    gate: &crate::pipeline::Gate,
    repo: &Path,
    param_format: Option<&str>,
) -> Result<(Option<crate::testreport::ReportFormat>, PathBuf), GateError> {
    let declared = gate
        .kind
        .command()
        .and_then(|c| c.report.as_ref())
        .map(|r| r.format.clone());
    let format = param_format
        .or(declared.as_deref())
        .and_then(crate::testreport::ReportFormat::parse);
    let cwd = match gate.kind.command() {
        Some(s) => resolve_inside(repo, &s.cwd.to_string_lossy())?,
        None => repo.to_path_buf(),
    };
    Ok((format, cwd))
}

/// A gate's result from a check's output (or its error), judged as the executor judges one,
/// for a gate judged outside a run (`gate <id> --report FILE`); `start` is when it began.
pub fn result_of(
    gate: &crate::pipeline::Gate,
    output: Result<CheckOutput, GateError>,
    start: std::time::Instant,
) -> crate::record::GateResult {
    use crate::record::{GateResult, Status};
    let mut r = GateResult {
        id: gate.id.clone(),
        check: gate.kind.check_name().map(str::to_string),
        command: None,
        slices: Vec::new(),
        stage: 0,
        status: Status::Passed,
        reason: None,
        duration_ms: 0,
        findings: Vec::new(),
        notes: Vec::new(),
        output: String::new(),
        cached: false,
    };
    match output {
        Ok(out) => {
            r.findings = out.findings;
            r.notes = out.notes;
            crate::finding::sort_findings(&mut r.findings);
            r.judge_findings();
        }
        Err(e) => {
            r.status = Status::Errored;
            r.reason = Some(e.to_string());
        }
    }
    r.duration_ms = start.elapsed().as_millis() as u64;
    r
}

//! The drift check: re-render the workflow and compare it with the file on disk.
//!
//! On drift the result carries a unified diff (committed → rendered, so `+` lines are what
//! `ci render` would write) and the first line of the committed file that differs, for a
//! positioned finding.

use similar::{DiffOp, TextDiff};

use super::{CiError, Rendered, regenerate_command, render, workflow_path};
use crate::pipeline::Pipeline;

/// How the file on disk compares with the rendered workflow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Drift {
    UpToDate,
    /// The workflow file does not exist.
    Missing,
    /// The file differs; `line` is the first line of the file on disk that differs (1-based).
    Differs {
        diff: String,
        line: u32,
    },
}

/// The outcome of a check: what was compared, and how it went.
#[derive(Clone, Debug)]
pub struct CheckResult {
    /// The workflow path relative to the workspace, `/`-separated.
    pub path: String,
    pub rendered: Rendered,
    pub drift: Drift,
    /// The command that brings the file up to date.
    pub regenerate: String,
}

impl CheckResult {
    /// A human report: nothing when up to date; otherwise what is wrong, the diff and the
    /// regenerate command.
    pub fn report(&self) -> String {
        match &self.drift {
            Drift::UpToDate => format!("{} is up to date with the pipeline\n", self.path),
            Drift::Missing => format!(
                "{} does not exist; the pipeline declares it.\nrun `{}` to generate it\n",
                self.path, self.regenerate
            ),
            Drift::Differs { diff, .. } => format!(
                "{} differs from what the pipeline renders:\n\n{diff}\nrun `{}` to regenerate it\n",
                self.path, self.regenerate
            ),
        }
    }
}

/// Re-renders `p`'s workflow and compares it with the file at `workflow` (relative to the
/// pipeline's workspace; default: the path `[ci]` declares).
pub fn check(p: &Pipeline, workflow: Option<&str>) -> Result<CheckResult, CiError> {
    let rendered = render(p)?;
    let rel = workflow.unwrap_or(&rendered.path).to_string();
    let path = workflow_path(p, &rel);
    let regenerate = regenerate_command(p)?;
    let on_disk = match crate::fs::careful::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok(CheckResult {
                path: rel,
                rendered,
                drift: Drift::Missing,
                regenerate,
            });
        }
        Err(e) => return Err(CiError(format!("cannot read {}: {e}", path.display()))),
    };
    // A checkout with `core.autocrlf` has CRLF line ends; GitHub reads the committed blob,
    // so line ends alone are not drift.
    let old = String::from_utf8_lossy(&on_disk).replace("\r\n", "\n");
    let drift = compare(&old, &rendered.text, &rel);
    Ok(CheckResult {
        path: rel,
        rendered,
        drift,
        regenerate,
    })
}

/// Compares `old` (on disk) with `new` (rendered).
pub fn compare(old: &str, new: &str, name: &str) -> Drift {
    if old == new {
        return Drift::UpToDate;
    }
    let diff = TextDiff::from_lines(old, new);
    let line = diff
        .ops()
        .iter()
        .find(|op| !matches!(op, DiffOp::Equal { .. }))
        .map(|op| op.old_range().start + 1)
        .unwrap_or(1);
    // An insertion after the last line points at the last line.
    let last = old.lines().count().max(1);
    let line = line.min(last) as u32;
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("{name} (on disk)"), &format!("{name} (rendered)"))
        .to_string();
    Drift::Differs { diff: text, line }
}

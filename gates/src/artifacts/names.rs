//! The pass root's naming scheme (runbook, "Artifact Root and Required Outputs"): which file
//! is an orchestrator file, a closure output, an agent's plan, scratchpad or final.

use std::path::Path;

use crate::error::GateError;

/// The orchestrator outputs the runbook requires, in its order.
pub const ORCHESTRATOR_OUTPUTS: &[&str] = &[
    "ORCHESTRATOR_PLAN_VERBATIM.md",
    "ORCHESTRATOR_SCRATCHPAD.md",
    "PHASE_A_EXECUTION_REPORT.md",
    "A7_REVIEW_DISPOSITION.md",
    "A8_CLEANUP_MANIFEST.md",
    "A9_PHASE_B_READINESS.md",
    "FINAL_PHASE_A_HANDOFF.md",
];

/// Documents that close a slice or the pass; they cite other artifacts.
pub const CLOSURE_DOCUMENTS: &[&str] = &[
    "A7_REVIEW_DISPOSITION.md",
    "B4A_STRUCTURAL_DISPOSITION.md",
    "A9_PHASE_B_READINESS.md",
    "PHASE_A_EXECUTION_REPORT.md",
    "FINAL_PHASE_A_HANDOFF.md",
];

pub const EXECUTION_REPORT: &str = "PHASE_A_EXECUTION_REPORT.md";
pub const HANDOFF: &str = "FINAL_PHASE_A_HANDOFF.md";
pub const READINESS: &str = "A9_PHASE_B_READINESS.md";
pub const CLEANUP_MANIFEST: &str = "A8_CLEANUP_MANIFEST.md";

/// What an agent file is, by name: `AGENT_<N>_PLAN_VERBATIM.md`, `AGENT_<N>_SCRATCHPAD.md`,
/// `AGENT_<N>_FINAL_<OBJECTIVE>.md`, or another `AGENT_<N>_*.md` (drafts, reports).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgentFile {
    Plan,
    Scratchpad,
    Final(String),
    Other(String),
}

/// `Some((n, kind))` for an agent file name.
pub fn agent_file(name: &str) -> Option<(u32, AgentFile)> {
    let rest = name.strip_prefix("AGENT_")?.strip_suffix(".md")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let n: u32 = digits.parse().ok()?;
    let tail = rest[digits.len()..].strip_prefix('_')?;
    if tail.is_empty() {
        return None;
    }
    let kind = match tail {
        "PLAN_VERBATIM" => AgentFile::Plan,
        "SCRATCHPAD" => AgentFile::Scratchpad,
        t => match t.strip_prefix("FINAL_") {
            Some(obj) if !obj.is_empty() => AgentFile::Final(obj.to_string()),
            _ => AgentFile::Other(t.to_string()),
        },
    };
    Some((n, kind))
}

/// Whether a bare file name follows the pass root's artifact naming scheme, so that a
/// closure document naming it in a code span cites an artifact.
pub fn is_artifact_name(name: &str) -> bool {
    if name.contains('/') || !name.ends_with(".md") {
        return false;
    }
    agent_file(name).is_some()
        || name.starts_with("ORCHESTRATOR_")
        || name.starts_with("PHASE_A_")
        || name.starts_with("FINAL_")
        || name.starts_with("B4A_")
        || (name.starts_with('A')
            && name[1..].chars().take_while(char::is_ascii_digit).count() > 0
            && name[1..]
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .starts_with('_'))
}

/// Files of the pass root, recursively, as '/'-separated paths relative to it, sorted.
/// Symlinks are listed (never followed); `.git` is skipped.
pub fn walk(root: &Path) -> Result<Vec<String>, GateError> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let entries = std::fs::read_dir(&dir).map_err(|e| GateError::io(&dir, e))?;
        for e in entries {
            let e = e.map_err(|e| GateError::io(&dir, e))?;
            let name = e.file_name().to_string_lossy().into_owned();
            if name == ".git" {
                continue;
            }
            let rel = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}/{name}")
            };
            let ft = e.file_type().map_err(|err| GateError::io(e.path(), err))?;
            if ft.is_dir() {
                stack.push((e.path(), rel));
            } else {
                out.push(rel);
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agent_names() {
        assert_eq!(
            agent_file("AGENT_4_PLAN_VERBATIM.md"),
            Some((4, AgentFile::Plan))
        );
        assert_eq!(
            agent_file("AGENT_12_FINAL_REVIEW.md"),
            Some((12, AgentFile::Final("REVIEW".into())))
        );
        assert_eq!(
            agent_file("AGENT_4_REVIEW_DRAFT.md"),
            Some((4, AgentFile::Other("REVIEW_DRAFT".into())))
        );
        assert_eq!(agent_file("AGENT_X_FINAL.md"), None);
        assert!(is_artifact_name("A7_REVIEW_DISPOSITION.md"));
        assert!(is_artifact_name("B4A_STRUCTURAL_DISPOSITION.md"));
        assert!(!is_artifact_name("ARCHITECTURE.md"));
        assert!(!is_artifact_name("docs/A7_X.md"));
    }
}

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

/// What an agent file is, by name. Every `AGENT_*.md` is an agent document; real names
/// vary (`AGENT_1_FINAL_A6_HARD_DELETE.md`, `AGENT_A4_FINAL.md`,
/// `AGENT_R1_FINAL_STRUCTURAL_REFACTOR.md`, `AGENT_4_REVIEW_REPORT_FINAL.md`): one with
/// `FINAL` among its `_`-separated words is a final output, `…_PLAN_VERBATIM.md` a plan,
/// `…_SCRATCHPAD.md` a scratchpad, anything else another agent document (drafts, reviews).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AgentFile {
    Plan,
    Scratchpad,
    /// The words after `FINAL` (the objective), possibly empty.
    Final(String),
    Other(String),
}

/// `Some((agent, kind))` for an agent file name; `agent` is the name between `AGENT_` and
/// the kind (`FIX_C` for `AGENT_FIX_C_PLAN_VERBATIM.md`), or its first word for finals and
/// other documents (`4` for `AGENT_4_REVIEW_REPORT_FINAL.md`).
pub fn agent_file(name: &str) -> Option<(String, AgentFile)> {
    let stem = name.strip_prefix("AGENT_")?.strip_suffix(".md")?;
    if stem.is_empty() || stem.contains('/') {
        return None;
    }
    if let Some(id) = stem.strip_suffix("_PLAN_VERBATIM") {
        return Some((id.to_string(), AgentFile::Plan));
    }
    if let Some(id) = stem.strip_suffix("_SCRATCHPAD") {
        return Some((id.to_string(), AgentFile::Scratchpad));
    }
    let words: Vec<&str> = stem.split('_').collect();
    let first = words[0].to_string();
    match words.iter().position(|w| *w == "FINAL") {
        Some(p) => Some((first, AgentFile::Final(words[p + 1..].join("_")))),
        None => Some((first, AgentFile::Other(words[1..].join("_")))),
    }
}

/// Whether `final_name` (an agent final) is the final of the agent a plan or scratchpad
/// names `agent`: its name continues `AGENT_<agent>_` (`AGENT_4_REVIEW_REPORT_FINAL.md` is
/// agent 4's; `AGENT_A4B_FINAL.md` is not agent A4's).
pub fn is_final_of(final_name: &str, agent: &str) -> bool {
    final_name
        .strip_prefix("AGENT_")
        .and_then(|r| r.strip_prefix(agent))
        .is_some_and(|r| r.starts_with('_'))
}

/// Whether a file name is an agent final output.
pub fn is_agent_final(name: &str) -> bool {
    matches!(agent_file(name), Some((_, AgentFile::Final(_))))
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
        crate::fs::record::dir_listed(&dir);
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
        let k = agent_file;
        assert_eq!(
            k("AGENT_4_PLAN_VERBATIM.md"),
            Some(("4".into(), AgentFile::Plan))
        );
        assert_eq!(
            k("AGENT_FIX_C_SCRATCHPAD.md"),
            Some(("FIX_C".into(), AgentFile::Scratchpad))
        );
        assert_eq!(
            k("AGENT_12_FINAL_REVIEW.md"),
            Some(("12".into(), AgentFile::Final("REVIEW".into())))
        );
        assert_eq!(
            k("AGENT_4_REVIEW_REPORT_FINAL.md"),
            Some(("4".into(), AgentFile::Final(String::new())))
        );
        assert_eq!(
            k("AGENT_R1_FINAL_STRUCTURAL_REFACTOR.md"),
            Some(("R1".into(), AgentFile::Final("STRUCTURAL_REFACTOR".into())))
        );
        assert_eq!(
            k("AGENT_Q1_REFACTOR_REVIEW.md"),
            Some(("Q1".into(), AgentFile::Other("REFACTOR_REVIEW".into())))
        );
        assert_eq!(
            k("AGENT_X_FINAL.md").map(|x| x.1),
            Some(AgentFile::Final(String::new()))
        );
        assert!(is_final_of("AGENT_4_REVIEW_REPORT_FINAL.md", "4"));
        assert!(!is_final_of("AGENT_A4B_FINAL.md", "A4"));
        assert!(is_final_of("AGENT_FIX_C_FINAL.md", "FIX_C"));
        assert!(is_artifact_name(
            "AGENT_Q2_FINAL_PACKAGING_DOMAIN_REVIEW.md"
        ));
        assert!(is_artifact_name("A7_REVIEW_DISPOSITION.md"));
        assert!(is_artifact_name("B4A_STRUCTURAL_DISPOSITION.md"));
        assert!(!is_artifact_name("ARCHITECTURE.md"));
        assert!(!is_artifact_name("docs/A7_X.md"));
    }
}

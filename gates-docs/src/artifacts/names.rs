//! The pass root's naming scheme (runbook, "Artifact Root and Required Outputs"): which file
//! is an orchestrator file, a closure output, an agent's plan, scratchpad or final.

use std::path::Path;

use crate::error::GateError;

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
/// closure document naming it in a code span cites an artifact: an agent file, an
/// orchestrator file, a phase-level document (`PHASE_<X>_…`, `FINAL_…`), or a document named
/// after its slice (`C5_REVIEW_DISPOSITION.md`, `D5A_STRUCTURAL_DISPOSITION.md`: a capital
/// letter, digits, optional capitals, then `_`).
pub fn is_artifact_name(name: &str) -> bool {
    if name.contains('/') || !name.ends_with(".md") {
        return false;
    }
    agent_file(name).is_some()
        || name.starts_with("ORCHESTRATOR_")
        || name.starts_with("PHASE_")
        || name.starts_with("FINAL_")
        || is_slice_document(name)
}

/// `X7_…`, `X4A_…`: a capital letter, digits, optional capitals, then `_`.
fn is_slice_document(name: &str) -> bool {
    let b = name.as_bytes();
    if !b.first().is_some_and(u8::is_ascii_uppercase) {
        return false;
    }
    let digits = b[1..].iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 {
        return false;
    }
    let rest = &b[1 + digits..];
    let caps = rest.iter().take_while(|c| c.is_ascii_uppercase()).count();
    rest.get(caps) == Some(&b'_')
}

/// Files of the pass root, recursively, as '/'-separated paths relative to it, sorted.
/// Symlinks are listed (never followed); `.git` is skipped.
pub fn walk(root: &Path) -> Result<Vec<String>, GateError> {
    let mut out = Vec::new();
    let mut stack = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = stack.pop() {
        let entries = gates_core::fs::probe::read_dir(&dir).map_err(|e| GateError::io(&dir, e))?;
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
        // Later phases' documents, by the same scheme.
        for n in [
            "C5_REVIEW_DISPOSITION.md",
            "D5A_STRUCTURAL_DISPOSITION.md",
            "E7_PHASE_F_READINESS.md",
            "PHASE_C_EXECUTION_REPORT.md",
            "FINAL_PHASE_F_HANDOFF.md",
        ] {
            assert!(is_artifact_name(n), "{n}");
        }
        for n in ["README_A.md", "AB1_X.md", "C_X.md", "C5.md", "C5a_X.md"] {
            assert!(!is_artifact_name(n), "{n}");
        }
    }
}

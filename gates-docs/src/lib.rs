//! The checks that read the phase's documents, and their readers: the closure documents
//! (review and structural dispositions, the cleanup manifest, the readiness, the execution
//! report and handoff, the agents' outputs, the orchestrator's plan and scratchpad) in
//! [`artifacts`], the checks in [`checks`]; also the checks of the packet, JSON and plain
//! text (`workbreakdown-drift`, `metadata-contract`, `json-field`, `source-pattern`,
//! `doc-contains`, `ci-drift`, `preflight`). No TypeScript: this crate compiles beside
//! `gates-ts`. `gates` registers the checks and re-exports both modules.

pub mod artifacts;
pub mod checks;

// The engine's modules under the paths the checks use (`crate::fs`, `crate::finding`…).
use gates_core::{ci, error, finding, fs, packet, pipeline, record, repo, testreport, text};

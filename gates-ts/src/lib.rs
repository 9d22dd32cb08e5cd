//! The checks that read the target's TypeScript (with oxc) and their model of it: [`repo`]
//! (sources parsed with positions, modules and workspace packages resolved, values followed
//! through calls and imports, the host's route registrations, test cases) and [`checks`]
//! (discovery roots, import boundary, host composition, manifest smoke, the legacy-key guard,
//! the harness matrix and the route probe). It compiles beside `gates-docs`; `gates`
//! registers the checks and re-exports both modules.

pub mod checks;
pub mod repo;

// The engine's modules under the paths the checks use (`crate::fs`, `crate::finding`…).
use gates_core::{error, finding, fs, git, pipeline, process, record, testreport};

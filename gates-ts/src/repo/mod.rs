//! The target repository's model, as the checks see it (its files are read carefully by
//! [`crate::fs::source`]): JSON with spans
//! ([`json`]), plugin manifests discovered ([`plugins`]), TypeScript
//! parsed with positions ([`ts`]), and workspace packages with `exports`-aware import
//! resolution ([`workspace`]).

pub use gates_core::repo::{json, links, plugins, toolchain, workspace};

pub mod calls;
pub mod cases;
pub mod flow;
pub mod host;
pub mod modules;
pub mod testsrc;
pub mod ts;

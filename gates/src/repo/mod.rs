//! The target repository's model, as the checks see it (its files are read carefully by
//! [`crate::fs::source`]): JSON with spans
//! ([`json`]), plugin manifests discovered ([`plugins`]), TypeScript
//! parsed with positions ([`ts`]), and workspace packages with `exports`-aware import
//! resolution ([`workspace`]).

pub mod calls;
pub mod cases;
pub mod flow;
pub mod host;
pub mod json;
pub mod modules;
pub mod plugins;
pub mod testsrc;
pub mod toolchain;
pub mod ts;
pub mod workspace;

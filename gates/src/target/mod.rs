//! The target repository as the checks see it: files read safely ([`source`]), JSON with spans
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
pub mod source;
pub mod testsrc;
pub mod toolchain;
pub mod ts;
pub mod workspace;

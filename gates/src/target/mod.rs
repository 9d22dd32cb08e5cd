//! The target repository as the checks see it: files read safely ([`source`]), TypeScript
//! parsed with positions ([`ts`]), and workspace packages with `exports`-aware import
//! resolution ([`workspace`]).

pub mod calls;
pub mod host;
pub mod modules;
pub mod source;
pub mod testsrc;
pub mod ts;
pub mod workspace;

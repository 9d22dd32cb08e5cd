//! The target repository's model that needs no TypeScript parser: JSON with spans
//! ([`json`]), plugin manifests discovered ([`plugins`]), the target's toolchain
//! ([`toolchain`]), symbolic links out of the target ([`links`]) and workspace packages with `exports`-aware import resolution
//! ([`workspace`]). The TypeScript side is `gates::repo`.

pub mod json;
pub mod links;
pub mod plugins;
pub mod toolchain;
pub mod workspace;

//! The actions the generated workflow uses, at their current majors, in one place.
//!
//! Every `actions/*` action here runs on the Node 24 action runtime (Node 20 actions are
//! deprecated on GitHub's runners): checkout and setup-node from v5, upload-artifact from v6,
//! download-artifact from v7 (v8 stops unzipping, which the jobs do not need), cache from
//! v5, and codeql-action from v4. Bump a major here and re-render (`cargo xtask ci render`).

pub const CHECKOUT: &str = "actions/checkout@v6";
pub const SETUP_NODE: &str = "actions/setup-node@v6";
pub const UPLOAD_ARTIFACT: &str = "actions/upload-artifact@v7";
pub const DOWNLOAD_ARTIFACT: &str = "actions/download-artifact@v7";
pub const CACHE: &str = "actions/cache@v5";
pub const CACHE_RESTORE: &str = "actions/cache/restore@v5";
pub const CACHE_SAVE: &str = "actions/cache/save@v5";
pub const UPLOAD_SARIF: &str = "github/codeql-action/upload-sarif@v4";
pub const RUST_TOOLCHAIN: &str = "dtolnay/rust-toolchain@stable";
pub const RUST_CACHE: &str = "Swatinem/rust-cache@v2";
pub const SETUP_BUN: &str = "oven-sh/setup-bun@v2";
pub const SETUP_PNPM: &str = "pnpm/action-setup@v4";

/// The pnpm major installed when the target's `package.json` does not pin one.
pub const PNPM_VERSION: &str = "10";

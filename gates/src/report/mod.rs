//! One renderer per output format. Every renderer reads the same [`RunRecord`], so the
//! human summary, JSON and JUnit always agree.
//!
//! [`RunRecord`]: crate::record::RunRecord

pub mod github;
pub mod github_summary;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;

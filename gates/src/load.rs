//! Loading a pipeline file with the built-in checks: the pipeline's loader
//! ([`crate::pipeline::load`]) validates each gate's `params` against the check it names,
//! and the checks sit above the pipeline (they read it), so the two meet here, above both.

use std::path::Path;

use crate::error::LoadError;
use crate::pipeline::{self, Pipeline};

/// Reads and validates a pipeline file (see [`pipeline::load_file_with`]).
pub fn load_file(path: &Path) -> Result<Pipeline, LoadError> {
    pipeline::load_file_with(path, crate::checks::registry())
}

/// Validates pipeline text (see [`pipeline::load_str_with`]).
pub fn load_str(text: &str, file: &Path, base_dir: &Path) -> Result<Pipeline, LoadError> {
    pipeline::load_str_with(text, file, base_dir, crate::checks::registry())
}

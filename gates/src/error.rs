//! Typed errors that carry their place.

use std::path::PathBuf;

/// The pipeline file could not be loaded or is invalid. Carries `file:line:col` and the
/// offending text, so the user can jump straight to it (line 0 when the error is about the
/// whole file, e.g. it cannot be read: then only the file is named). Exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}{}", place(.file, *.line, *.col), snippet_suffix(.snippet))]
pub struct LoadError {
    pub file: String,
    pub line: u32,
    pub col: u32,
    pub message: String,
    /// The offending text, as written in the file.
    pub snippet: String,
}

fn place(file: &str, line: u32, col: u32) -> String {
    if line == 0 {
        file.to_string()
    } else {
        format!("{file}:{line}:{col}")
    }
}

fn snippet_suffix(snippet: &str) -> String {
    if snippet.is_empty() {
        String::new()
    } else {
        format!("\n  | {snippet}")
    }
}

/// A gate could not judge the target (bad parameters, unreadable input, a command that could
/// not be started). The gate's status becomes `Errored` with this message.
#[derive(Debug, thiserror::Error)]
pub enum GateError {
    /// The OS error is printed once: it is part of the message, not a `source` (an error
    /// chain printer would repeat it).
    #[error("{}: {error}", path.display())]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{0}")]
    Message(String),
}

impl GateError {
    pub fn msg(message: impl Into<String>) -> Self {
        GateError::Message(message.into())
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        GateError::Io {
            path: path.into(),
            error: source,
        }
    }
}

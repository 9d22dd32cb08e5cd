//! Typed errors that carry their place.

use std::path::PathBuf;

/// The pipeline file could not be loaded or is invalid. Carries `file:line:col` and the
/// offending text, so the user can jump straight to it (line 0 when the error is about the
/// whole file, e.g. it cannot be read: then only the file is named). Exit code 2.
#[derive(Debug)]
pub struct LoadError {
    pub file: String,
    pub line: u32,
    pub col: u32,
    pub message: String,
    /// The offending text, as written in the file.
    pub snippet: String,
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}: {}{}",
            place(&self.file, self.line, self.col),
            self.message,
            snippet_suffix(&self.snippet)
        )
    }
}

impl std::error::Error for LoadError {}

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
#[derive(Debug)]
pub enum GateError {
    /// The OS error is printed once: it is part of the message, not a `source` (an error
    /// chain printer would repeat it).
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    Message(String),
}

impl std::fmt::Display for GateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            GateError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            GateError::Message(m) => f.write_str(m),
        }
    }
}

/// No `source`: the OS error is already in the message.
impl std::error::Error for GateError {}

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

//! Reading target files without trusting them: no escaping the repository (also through
//! symlinks), no huge or binary files, UTF-8 required, a BOM stripped and remembered.
//!
//! The source reader records where a path led and what it read itself.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};

use crate::finding::Finding;
use crate::text::LineIndex;

/// Files larger than this are not parsed (a source or manifest file this large is not
/// something a human wrote, and parsing it would only slow every gate down).
pub const MAX_FILE_BYTES: u64 = 8 * 1024 * 1024;

/// A text file of the target, read and checked.
#[derive(Debug)]
pub struct SourceFile {
    /// Absolute path.
    pub path: PathBuf,
    /// Repository-relative path with `/` separators, as used in findings.
    pub rel: String,
    /// The text, without a leading BOM.
    pub text: String,
    /// Whether the file started with a UTF-8 BOM (offsets in `text` are after it).
    pub had_bom: bool,
    /// Line starts, found on first use (most files read by a check yield no finding).
    lines: std::sync::OnceLock<LineIndex>,
}

impl SourceFile {
    /// A source file of `text` (already checked and without a BOM).
    pub fn new(path: PathBuf, rel: String, text: String, had_bom: bool) -> SourceFile {
        SourceFile {
            path,
            rel,
            text,
            had_bom,
            lines: std::sync::OnceLock::new(),
        }
    }

    /// The line index of `text`.
    pub fn lines(&self) -> &LineIndex {
        self.lines.get_or_init(|| LineIndex::new(&self.text))
    }

    /// 1-based line and column of a byte offset into `text`.
    pub fn line_col(&self, offset: usize) -> (u32, u32) {
        self.lines().line_col(&self.text, offset)
    }

    /// An error finding at a byte offset of this file.
    pub fn finding_at(&self, rule: &str, offset: usize, message: impl Into<String>) -> Finding {
        let (line, col) = self.line_col(offset);
        Finding::error(rule, self.rel.clone(), line, col, message)
    }
}

/// The rule of a file the system would not let the tool read (permission denied, an I/O
/// error): the gate could not judge it (see [`crate::record::COULD_NOT_JUDGE`]), exit 2.
pub const READ_FAILED: &str = "read-failed";

/// Whether an error of a stat or an open means there is nothing at the path (rather than
/// that the system would not say, e.g. a folder on the way the tool may not search).
pub fn is_missing(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
    )
}

/// The [`READ_FAILED`] finding for `rel`, which the system would not let the tool read.
pub fn read_failed(rel: &str, e: &std::io::Error) -> Finding {
    Finding::error(
        READ_FAILED,
        rel.to_string(),
        0,
        0,
        format!("{rel} cannot be read: {e}"),
    )
}

/// Why a file could not be read as text. Each carries a positioned finding (rule
/// `unreadable-file` for what the file is: a loop, not a regular file, too large, binary,
/// not UTF-8; [`READ_FAILED`] when the system refused the read) so a check can report it
/// without crashing.
#[derive(Debug)]
pub struct ReadError {
    pub finding: Finding,
}

/// Repository-relative path of `abs` with `/` separators (or the path itself if outside).
pub fn rel_path(repo: &Path, abs: &Path) -> String {
    let rel = abs.strip_prefix(repo).unwrap_or(abs);
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Reads `abs` (a path inside `repo`) as a text source file.
///
/// Refuses: paths that resolve outside the repository (through `..` or symlinks), symlink
/// loops, anything but a regular file (a directory, a FIFO, a device: refused without
/// opening it), files over [`MAX_FILE_BYTES`], files with NUL bytes (binary) and
/// invalid UTF-8 (reported at the first bad byte).
pub fn read(repo: &Path, abs: &Path) -> Result<SourceFile, ReadError> {
    let rel = rel_path(repo, abs);
    let fail = |line: u32, col: u32, msg: String| ReadError {
        finding: Finding::error("unreadable-file", rel.clone(), line, col, msg),
    };
    // The system refused the read (permissions, an I/O error): the tool could not judge
    // the file, as for a document it cannot read (exit 2), rather than a finding about it.
    let refused = |e: std::io::Error| ReadError {
        finding: read_failed(&rel, &e),
    };
    let real = std::fs::canonicalize(abs);
    crate::fs::record::resolved(abs, real.as_deref().ok());
    let real = real.map_err(|e| {
        if e.raw_os_error() == Some(libc::ELOOP) {
            fail(0, 0, format!("{rel} is a symlink loop"))
        } else {
            refused(e)
        }
    })?;
    let repo_real = std::fs::canonicalize(repo).unwrap_or_else(|_| repo.to_path_buf());
    if !real.starts_with(&repo_real) {
        return Err(fail(
            0,
            0,
            format!(
                "{rel} resolves outside the repository (to {})",
                real.display()
            ),
        ));
    }
    let meta = std::fs::metadata(&real).map_err(|e| {
        crate::fs::record::file_read(&real, Err(&e));
        refused(e)
    })?;
    if !meta.is_file() || meta.len() > MAX_FILE_BYTES {
        // Refused without reading: what it is (and how large) is what the finding says.
        crate::fs::record::file_seen(
            &real,
            crate::fs::record::FileState::Unreadable(format!(
                "{} {}",
                crate::fs::careful::kind_of(&meta),
                meta.len()
            )),
        );
    }
    if !meta.is_file() {
        let e = crate::fs::careful::not_regular(&meta);
        return Err(fail(0, 0, format!("{rel} {e}")));
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(fail(
            0,
            0,
            format!(
                "{rel} is {} bytes, over the {} byte limit for source files",
                meta.len(),
                MAX_FILE_BYTES
            ),
        ));
    }
    let bytes = crate::fs::careful::read(&real).map_err(|e| {
        // A file swapped for a FIFO or device after the check above is still its shape.
        if matches!(
            e.kind(),
            std::io::ErrorKind::InvalidInput | std::io::ErrorKind::IsADirectory
        ) {
            fail(0, 0, format!("{rel} {e}"))
        } else {
            refused(e)
        }
    })?;
    from_bytes(abs, rel, bytes)
}

/// Checks bytes already read from `abs` (shown as `rel`) the way [`read`] does: no NUL
/// bytes, valid UTF-8 (reported at the first bad byte), a leading BOM stripped and noted.
/// For callers that opened the file themselves (e.g. without following symlinks).
pub fn from_bytes(abs: &Path, rel: String, mut bytes: Vec<u8>) -> Result<SourceFile, ReadError> {
    let fail = |line: u32, col: u32, msg: String| ReadError {
        finding: Finding::error("unreadable-file", rel.clone(), line, col, msg),
    };
    if let Some(nul) = memchr::memchr(0, &bytes) {
        let (line, col) = position_in_bytes(&bytes, nul);
        return Err(fail(
            line,
            col,
            format!("{rel} is binary (NUL byte at offset {nul})"),
        ));
    }
    let had_bom = bytes.starts_with(&[0xEF, 0xBB, 0xBF]);
    if had_bom {
        bytes.drain(..3);
    }
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let (line, col) = position_in_bytes(e.as_bytes(), at);
        fail(
            line,
            col,
            format!("{rel} is not valid UTF-8 (at byte {at})"),
        )
    })?;
    Ok(SourceFile::new(abs.to_path_buf(), rel, text, had_bom))
}

/// Line and column of a byte offset in bytes that may not be valid UTF-8.
fn position_in_bytes(bytes: &[u8], at: usize) -> (u32, u32) {
    let prefix = String::from_utf8_lossy(&bytes[..at.min(bytes.len())]);
    let idx = LineIndex::new(&prefix);
    idx.line_col(&prefix, prefix.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_binary_invalid_utf8_and_escapes() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join("repo");
        std::fs::create_dir_all(&repo).unwrap();
        std::fs::write(repo.join("bin.ts"), b"ab\ncd\0").unwrap();
        std::fs::write(repo.join("bad.ts"), b"ok\n\xff").unwrap();
        std::fs::write(repo.join("bom.ts"), b"\xEF\xBB\xBFconst a = 1;").unwrap();
        std::fs::write(dir.path().join("outside.ts"), b"x").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(dir.path().join("outside.ts"), repo.join("escape.ts"))
                .unwrap();
            std::os::unix::fs::symlink(repo.join("loop2.ts"), repo.join("loop1.ts")).unwrap();
            std::os::unix::fs::symlink(repo.join("loop1.ts"), repo.join("loop2.ts")).unwrap();
        }
        let e = read(&repo, &repo.join("bin.ts")).unwrap_err().finding;
        assert_eq!((e.line, e.col), (2, 3));
        assert!(e.message.contains("binary"), "{}", e.message);
        let e = read(&repo, &repo.join("bad.ts")).unwrap_err().finding;
        assert_eq!((e.line, e.col), (2, 1));
        let f = read(&repo, &repo.join("bom.ts")).unwrap();
        assert!(f.had_bom);
        assert_eq!(f.text, "const a = 1;");
        #[cfg(unix)]
        {
            let e = read(&repo, &repo.join("escape.ts")).unwrap_err().finding;
            assert!(
                e.message.contains("outside the repository"),
                "{}",
                e.message
            );
            let e = read(&repo, &repo.join("loop1.ts")).unwrap_err().finding;
            assert!(e.message.contains("symlink loop"), "{}", e.message);
        }
        let e = read(&repo, &repo).unwrap_err().finding;
        assert!(e.message.contains("directory"), "{}", e.message);
    }
}

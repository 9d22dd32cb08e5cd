//! The one careful reader: every file the tool reads (target files, the pipeline, the
//! runbook, test reports, closure documents, its own state) is opened here.
//!
//! Why: a plain `File::open` of a FIFO blocks until a writer appears, forever; of a device
//! it may block, or read without end. A path a user or a target repository names can be
//! anything, so the file is opened without blocking (`O_NONBLOCK`, which has no effect on a
//! regular file), its type is asked of the open descriptor (`fstat`, so nothing can be
//! swapped in between), and anything but a regular file is refused with an error saying
//! what it is. The caller names the path in its message (`{path}: {error}`).
//!
//! A path under the target repository or the tool's state directory must not lead out of it
//! through a symbolic link ([`crate::fs::inside`]): refused before a byte is read.
//!
//! How to fix a refusal: put a regular file at the path (or follow the link to one).
//!
//! The careful reader records what it read itself (`record::file_read`).
#![allow(clippy::disallowed_methods)]

use std::fs::{File, Metadata, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// Whether to follow a symlink at the last component of the path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Links {
    Follow,
    /// Refuse a symlink there (`O_NOFOLLOW`): the open fails with `ELOOP`.
    NoFollow,
}

/// What a non-regular file is, in words, for messages.
pub fn kind_of(meta: &Metadata) -> &'static str {
    let ft = meta.file_type();
    if ft.is_dir() {
        return "a directory";
    }
    if ft.is_symlink() {
        return "a symbolic link";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if ft.is_char_device() {
            return "a character device";
        }
        if ft.is_block_device() {
            return "a block device";
        }
        if ft.is_socket() {
            return "a socket";
        }
    }
    "not a regular file"
}

/// The error for a path that is not a regular file: "is a FIFO (named pipe), not a regular
/// file". Its kind is `InvalidInput` (a directory keeps `IsADirectory`).
pub fn not_regular(meta: &Metadata) -> io::Error {
    let kind = kind_of(meta);
    let message = if kind == "not a regular file" {
        "is not a regular file".to_string()
    } else {
        format!("is {kind}, not a regular file")
    };
    let error_kind = if meta.is_dir() {
        io::ErrorKind::IsADirectory
    } else {
        io::ErrorKind::InvalidInput
    };
    io::Error::new(error_kind, message)
}

/// Opens `path` for reading, refusing anything but a regular file without ever blocking.
pub fn open(path: &Path, links: Links) -> io::Result<File> {
    use crate::fs::inside::{self, Opening};
    let opening = inside::before_open(path)?;
    let f = match opening {
        // Below a root: a link at the last component is looked at before it is followed.
        Opening::LastComponent if links == Links::Follow && cfg!(unix) => {
            match open_raw(path, Links::NoFollow) {
                Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
                    inside::check_path(path)?;
                    open_raw(path, Links::Follow)?
                }
                r => r?,
            }
        }
        Opening::LastComponent if links == Links::Follow => {
            inside::check_path(path)?;
            open_raw(path, links)?
        }
        _ => open_raw(path, links)?,
    };
    if opening == Opening::AfterOpen {
        inside::check_opened(path, &f)?;
    }
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    Ok(f)
}

/// The open itself: read-only, never blocking, without following a link at the last
/// component when asked.
fn open_raw(path: &Path, links: Links) -> io::Result<File> {
    let mut opts = OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let mut flags = libc::O_NONBLOCK | libc::O_NOCTTY;
        if links == Links::NoFollow {
            flags |= libc::O_NOFOLLOW;
        }
        opts.custom_flags(flags);
    }
    #[cfg(not(unix))]
    {
        // Without a non-blocking open, ask first (a small window remains).
        let meta = match links {
            Links::Follow => std::fs::metadata(path)?,
            Links::NoFollow => std::fs::symlink_metadata(path)?,
        };
        if !meta.is_file() {
            return Err(not_regular(&meta));
        }
    }
    opts.open(path)
}

/// Opens `path` with `opts` (for appending or locking: files the tool writes in place),
/// without blocking and refusing anything but a regular file. A FIFO without a reader is
/// refused by the open itself (`ENXIO`), one with a reader by the type check.
pub fn open_with(path: &Path, opts: &mut OpenOptions) -> io::Result<File> {
    // It may create the file: checked before it is touched.
    crate::fs::inside::check_path(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY);
    }
    #[cfg(not(unix))]
    if let Ok(meta) = std::fs::metadata(path)
        && !meta.is_file()
    {
        return Err(not_regular(&meta));
    }
    let f = match opts.open(path) {
        Err(e) if e.raw_os_error() == Some(libc::ENXIO) => {
            let meta = std::fs::metadata(path)?;
            return Err(not_regular(&meta));
        }
        r => r?,
    };
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Err(not_regular(&meta));
    }
    Ok(f)
}

/// Reads all of the regular file at `path` (following links).
pub fn read(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let path = path.as_ref();
    let result = read_whole(path);
    crate::fs::record::file_read(path, result.as_deref());
    result
}

/// [`read`] without telling the recorder of the current gate ([`crate::fs::record`]): for
/// the verdict cache comparing what a gate read with what is there now.
pub fn read_whole(path: &Path) -> io::Result<Vec<u8>> {
    let mut f = open(path, Links::Follow)?;
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Reads the regular file at `path` as UTF-8 text (following links).
pub fn read_to_string(path: impl AsRef<Path>) -> io::Result<String> {
    let bytes = read(path)?;
    String::from_utf8(bytes).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "is not valid UTF-8 (at byte {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Reads at most `max` bytes of the regular file at `path` into `buf` (cleared first); a
/// longer file is an error saying so, after reading no more than `max + 1` bytes.
pub fn read_limited(path: &Path, links: Links, max: u64, buf: &mut Vec<u8>) -> io::Result<()> {
    let result = read_limited_unrecorded(path, links, max, buf);
    crate::fs::record::file_read(path, result.as_ref().map(|()| buf.as_slice()));
    result
}

fn read_limited_unrecorded(
    path: &Path,
    links: Links,
    max: u64,
    buf: &mut Vec<u8>,
) -> io::Result<()> {
    buf.clear();
    let f = open(path, links)?;
    f.take(max + 1).read_to_end(buf)?;
    if buf.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("is over the {max} byte limit"),
        ));
    }
    Ok(())
}

/// The largest markdown document the gates read (closure documents, the cleanup manifest,
/// the orchestrator plan and scratchpad, the canonical docs, a file an anchor cites): the
/// cap of source files ([`crate::fs::source::MAX_FILE_BYTES`]). A real closure document is a
/// few kilobytes; reading a larger one whole would only cost time and memory.
pub const MAX_DOCUMENT_BYTES: u64 = crate::fs::source::MAX_FILE_BYTES;

/// Reads a document (following links), refusing one over [`MAX_DOCUMENT_BYTES`] after
/// reading no more than that: the error (`FileTooLarge`) says "is over the 8 MiB limit of a
/// document the gates read (8388608 bytes)"; the caller names the path.
pub fn read_document_bytes(path: impl AsRef<Path>) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    match read_limited(path.as_ref(), Links::Follow, MAX_DOCUMENT_BYTES, &mut buf) {
        Err(e) if too_large(&e) => Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!(
                "is over the {} MiB limit of a document the gates read ({MAX_DOCUMENT_BYTES} bytes)",
                MAX_DOCUMENT_BYTES / (1024 * 1024)
            ),
        )),
        r => r.map(|()| buf),
    }
}

/// [`read_document_bytes`] as UTF-8 text.
pub fn read_document(path: impl AsRef<Path>) -> io::Result<String> {
    let bytes = read_document_bytes(path)?;
    String::from_utf8(bytes).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "is not valid UTF-8 (at byte {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Whether a read failed on a size limit ([`read_limited`], [`read_document`]).
pub fn too_large(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::FileTooLarge
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    #[test]
    fn reads_a_regular_file_and_refuses_a_directory() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.txt");
        std::fs::write(&p, "text").unwrap();
        assert_eq!(read_to_string(&p).unwrap(), "text");
        let e = read(dir.path()).unwrap_err();
        assert_eq!(e.to_string(), "is a directory, not a regular file");
        let mut buf = Vec::new();
        let e = read_limited(&p, Links::Follow, 2, &mut buf).unwrap_err();
        assert_eq!(e.to_string(), "is over the 2 byte limit");
        read_limited(&p, Links::Follow, 4, &mut buf).unwrap();
        assert_eq!(buf, b"text");
    }

    /// A document over the cap is refused after reading no more than the cap (a sparse
    /// file of 2.5 GB is refused at once), with the limit in the message.
    #[test]
    fn a_document_over_the_cap_is_refused_without_reading_it_whole() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("A7_REVIEW_DISPOSITION.md");
        let f = std::fs::File::create(&p).unwrap();
        f.set_len(MAX_DOCUMENT_BYTES).unwrap();
        assert_eq!(
            read_document_bytes(&p).unwrap().len() as u64,
            MAX_DOCUMENT_BYTES
        );
        f.set_len(2_500_000_000).unwrap();
        let e = read_document(&p).unwrap_err();
        assert!(too_large(&e));
        assert_eq!(
            e.to_string(),
            "is over the 8 MiB limit of a document the gates read (8388608 bytes)"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_and_a_device_are_refused_at_once() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let start = Instant::now();
        let e = read(&fifo).unwrap_err();
        assert_eq!(e.to_string(), "is a FIFO (named pipe), not a regular file");
        let e = read("/dev/zero").unwrap_err();
        assert_eq!(e.to_string(), "is a character device, not a regular file");
        assert!(start.elapsed() < Duration::from_secs(1));
        // A link to the FIFO is followed, and refused for what it points at.
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&fifo, &link).unwrap();
        assert!(
            read(&link)
                .unwrap_err()
                .to_string()
                .contains("FIFO (named pipe)")
        );
        // Opened for appending: refused at once too, with or without a reader.
        let e = open_with(&fifo, OpenOptions::new().append(true)).unwrap_err();
        assert_eq!(e.to_string(), "is a FIFO (named pipe), not a regular file");
        let e = open_with(Path::new("/dev/null"), OpenOptions::new().append(true)).unwrap_err();
        assert_eq!(e.to_string(), "is a character device, not a regular file");
        // Unless links are not followed.
        let e = open(&link, Links::NoFollow).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ELOOP));
    }
}

//! Output files: every file the tool writes (`--junit`, `--sarif`, the generated reports and
//! workflow, the run record) goes through here.
//!
//! Why: writing a report must never destroy something else. A regular file (or a path that
//! does not exist yet) is written to a temporary file beside it, synced, and renamed over
//! it, so a crash leaves the old file or the new one, never half of either. A symlink is
//! written through (the file it points at is replaced, the link stays), unless the path lies
//! in the target repository or the tool's state directory and the link leads out of it
//! ([`crate::fs::inside`]): a link the target holds is never followed out of it. Anything else (a
//! directory, a FIFO, a device such as `/dev/full`) is refused: renaming over it would
//! replace a device node with a regular file, and opening it could block or fail late.
//! [`check`] says so before any gate runs, so a run is never wasted on an unwritable path.
//!
//! How to fix a refusal: name a regular file, or a path that does not exist yet.
//!
//! The tool's own writes, no gate's input.
#![allow(clippy::disallowed_methods)]

use std::fs::Metadata;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// How many symlinks are followed before giving up (the kernel's own limit is 40).
const MAX_LINKS: usize = 40;

/// An output path checked for writing: `target` is where the bytes go (the file a symlink
/// at `path` points at, or `path` itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output {
    pub path: PathBuf,
    pub target: PathBuf,
}

/// Checks that `path` can be written as an output file: it does not exist, is a regular
/// file, or is a symlink (chain) to one of these. The error says what is there instead; the
/// caller names the path (`{path}: {error}`).
pub fn check(path: &Path) -> io::Result<Output> {
    crate::fs::inside::check_path(path)?;
    let mut target = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        let meta = match std::fs::symlink_metadata(&target) {
            Ok(m) => m,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Ok(Output {
                    path: path.to_path_buf(),
                    target,
                });
            }
            Err(e) => return Err(e),
        };
        if meta.file_type().is_symlink() {
            let to = std::fs::read_link(&target)?;
            target = match target.parent() {
                Some(dir) if to.is_relative() => dir.join(to),
                _ => to,
            };
            continue;
        }
        if meta.is_file() {
            return Ok(Output {
                path: path.to_path_buf(),
                target,
            });
        }
        return Err(refused(path, &target, &meta));
    }
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("more than {MAX_LINKS} symbolic links to follow (a link loop?)"),
    ))
}

fn refused(path: &Path, target: &Path, meta: &Metadata) -> io::Error {
    let what = crate::fs::careful::kind_of(meta);
    let through = if target == path {
        String::new()
    } else {
        format!(" (through a symbolic link to {})", target.display())
    };
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!(
            "is {what}{through}; an output file must be a regular file or a path that does not exist yet"
        ),
    )
}

/// Writes `bytes` to the output file at `path` (see the module doc): checked again at write
/// time, parent directories created, a temporary file beside the target renamed over it.
/// An existing file keeps its permissions.
pub fn write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let out = check(path)?;
    write_checked(&out, bytes)
}

/// Writes an output that [`check`] accepted (checking it again: the tree may have changed
/// while the gates ran).
pub fn write_checked(out: &Output, bytes: &[u8]) -> io::Result<()> {
    let out = check(&out.path)?;
    let target = &out.target;
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "file".into());
    static SEQ: AtomicU32 = AtomicU32::new(0);
    let tmp = dir.join(format!(
        ".{name}.tmp-{}-{}",
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)?;
        if let Ok(meta) = std::fs::metadata(target) {
            f.set_permissions(meta.permissions())?;
        }
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, target)
    })();
    written.inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_or_regular_file_is_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("sub/report.xml");
        write(&p, b"one").unwrap();
        write(&p, b"two").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"two");
        // Nothing but the file is left beside it.
        let names: Vec<_> = std::fs::read_dir(dir.path().join("sub"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("report.xml")]);
    }

    #[test]
    fn a_directory_is_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let e = check(dir.path()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("is a directory; an output file must be a regular file or a path that does not exist yet"),
            "{e}"
        );
        assert!(write(dir.path(), b"x").is_err());
        assert!(dir.path().is_dir());
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_is_written_through_and_a_device_or_fifo_refused() {
        use std::os::unix::fs::FileTypeExt;
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.sarif");
        std::fs::write(&real, "old").unwrap();
        let link = dir.path().join("link.sarif");
        std::os::unix::fs::symlink("real.sarif", &link).unwrap();
        write(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read(&real).unwrap(), b"new");
        // A dangling link creates its target.
        let dangling = dir.path().join("dangling.xml");
        std::os::unix::fs::symlink("made.xml", &dangling).unwrap();
        write(&dangling, b"made").unwrap();
        assert_eq!(std::fs::read(dir.path().join("made.xml")).unwrap(), b"made");

        let fifo = dir.path().join("fifo");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        let e = write(&fifo, b"x").unwrap_err();
        assert!(e.to_string().contains("is a FIFO (named pipe)"), "{e}");
        assert!(
            std::fs::symlink_metadata(&fifo)
                .unwrap()
                .file_type()
                .is_fifo()
        );
        // A link to a device: refused, the device untouched.
        let dev = dir.path().join("null.xml");
        std::os::unix::fs::symlink("/dev/null", &dev).unwrap();
        let e = check(&dev).unwrap_err();
        assert!(
            e.to_string()
                .contains("is a character device (through a symbolic link to /dev/null)"),
            "{e}"
        );
        let e = check(Path::new("/dev/null")).unwrap_err();
        assert!(e.to_string().contains("character device"), "{e}");
    }
}

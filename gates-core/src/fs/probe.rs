//! What a check learns of the target's paths without reading them: whether a path is there,
//! what kind of thing it is, which names a directory holds, where a path leads. Each answer
//! is recorded for the gate being judged ([`crate::fs::record`]), so that a verdict can be
//! reused at another state of the target when every such answer is still the same there,
//! even when files were created or deleted elsewhere ([`Inputs::first_change`]).
//!
//! Check code asks through these functions, never `Path::exists`, `std::fs::metadata`,
//! `read_dir` and the like directly: the crates that hold checks forbid those in their
//! `clippy.toml`, so an unrecorded question cannot creep in.
//!
//! [`Inputs::first_change`]: crate::fs::record::Inputs::first_change
#![allow(clippy::disallowed_methods)]

use std::fs::{DirEntry, Metadata};
use std::io;
use std::path::{Path, PathBuf};

use crate::fs::record;

/// How a probe looked at its path: following symbolic links, or at the link itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Look {
    Follow,
    NoFollow,
}

impl Look {
    pub(crate) fn tag(self) -> char {
        match self {
            Look::Follow => 'F',
            Look::NoFollow => 'L',
        }
    }

    pub(crate) fn of_tag(c: char) -> Option<Look> {
        match c {
            'F' => Some(Look::Follow),
            'L' => Some(Look::NoFollow),
            _ => None,
        }
    }
}

/// The answer a probe of `path` gives now, as recorded: the kind of thing there (`f` file,
/// `d` directory, `o` anything else, `l` a link and where it points), `absent`, or the
/// error's kind.
pub fn state(path: &Path, look: Look) -> String {
    let meta = match look {
        Look::Follow => std::fs::metadata(path),
        Look::NoFollow => std::fs::symlink_metadata(path),
    };
    state_of(path, &meta)
}

fn state_of(path: &Path, meta: &io::Result<Metadata>) -> String {
    match meta {
        Ok(m) if m.file_type().is_symlink() => {
            let to = std::fs::read_link(path)
                .map(|t| t.to_string_lossy().into_owned())
                .unwrap_or_default();
            format!("l {to}")
        }
        Ok(m) if m.is_dir() => "d".into(),
        Ok(m) if m.is_file() => "f".into(),
        Ok(_) => "o".into(),
        Err(e) if e.kind() == io::ErrorKind::NotFound => "absent".into(),
        Err(e) => format!("error {:?}", e.kind()),
    }
}

fn looked(path: &Path, look: Look) -> io::Result<Metadata> {
    let meta = match look {
        Look::Follow => std::fs::metadata(path),
        Look::NoFollow => std::fs::symlink_metadata(path),
    };
    record::probed(path, look, state_of(path, &meta));
    meta
}

/// Records what a look at `path` found, for the layer's own link checks
/// ([`crate::fs::inside::link_out`]): whether a folder on a configured path is a link, and
/// where it leads, decides whether the path is refused before anything is read.
pub(crate) fn seen(path: &Path, look: Look, meta: &io::Result<Metadata>) {
    record::probed_if_recording(path, look, state_of(path, meta));
}

/// `std::fs::metadata`, recorded by the kind of thing found (not its size or times: a check
/// that uses those reads the file).
pub fn metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    looked(path.as_ref(), Look::Follow)
}

/// `std::fs::symlink_metadata`, recorded by the kind of thing found (and a link's target).
pub fn symlink_metadata(path: impl AsRef<Path>) -> io::Result<Metadata> {
    looked(path.as_ref(), Look::NoFollow)
}

/// `Path::exists`: something is there, following links.
pub fn exists(path: impl AsRef<Path>) -> bool {
    metadata(path).is_ok()
}

/// `Path::is_file`: a regular file is there, following links.
pub fn is_file(path: impl AsRef<Path>) -> bool {
    metadata(path).is_ok_and(|m| m.is_file())
}

/// `Path::is_dir`: a directory is there, following links.
pub fn is_dir(path: impl AsRef<Path>) -> bool {
    metadata(path).is_ok_and(|m| m.is_dir())
}

/// `std::fs::read_dir`, whole: the entries (unsorted, as the system gives them), recorded by
/// their names and kinds ([`record::listing_of`]).
pub fn read_dir(dir: impl AsRef<Path>) -> io::Result<Entries> {
    let dir = dir.as_ref();
    let entries = std::fs::read_dir(dir).and_then(|rd| rd.collect::<io::Result<Vec<_>>>());
    match &entries {
        Ok(es) => record::listed(dir, record::listing_of(es.iter().map(entry_name_kind))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => record::listed(dir, "absent".into()),
        Err(e) => record::listed(dir, format!("error {:?}", e.kind())),
    }
    entries.map(|es| Entries {
        inner: es.into_iter(),
    })
}

/// The entries [`read_dir`] found, in the shape `std::fs::read_dir` gives them.
pub struct Entries {
    inner: std::vec::IntoIter<DirEntry>,
}

impl Iterator for Entries {
    type Item = io::Result<DirEntry>;
    fn next(&mut self) -> Option<Self::Item> {
        self.inner.next().map(Ok)
    }
}

/// The probes as methods of a path (`path.probe_is_file()` for `path.is_file()`).
pub trait Probe {
    fn probe_exists(&self) -> bool;
    fn probe_is_file(&self) -> bool;
    fn probe_is_dir(&self) -> bool;
    fn probe_symlink_metadata(&self) -> io::Result<Metadata>;
}

impl Probe for Path {
    fn probe_exists(&self) -> bool {
        exists(self)
    }
    fn probe_is_file(&self) -> bool {
        is_file(self)
    }
    fn probe_is_dir(&self) -> bool {
        is_dir(self)
    }
    fn probe_symlink_metadata(&self) -> io::Result<Metadata> {
        symlink_metadata(self)
    }
}

/// A directory entry's name and kind, as a listing records it (`d`, `f`, `l` or `o`; the
/// kind is the entry's own, links not followed).
pub fn entry_name_kind(e: &DirEntry) -> (Vec<u8>, char) {
    let kind = match e.file_type() {
        Ok(t) if t.is_symlink() => 'l',
        Ok(t) if t.is_dir() => 'd',
        Ok(t) if t.is_file() => 'f',
        _ => 'o',
    };
    (e.file_name().as_encoded_bytes().to_vec(), kind)
}

/// `std::fs::canonicalize`, recorded as where the path led (or that it did not resolve).
pub fn canonicalize(path: impl AsRef<Path>) -> io::Result<PathBuf> {
    let path = path.as_ref();
    let real = std::fs::canonicalize(path);
    record::resolved(path, real.as_deref().ok());
    real
}

/// Walks as `builder` says, recording the listing of every directory the walk yields (its
/// names and kinds, ignored names too: a created file anywhere the walk went counts) and
/// whether its root is there. A check walks the target only through this.
pub fn walk(builder: &ignore::WalkBuilder, root: &Path) -> Walk {
    record::probed(root, Look::NoFollow, state(root, Look::NoFollow));
    Walk {
        inner: builder.build(),
    }
}

/// A walk whose directories are recorded as they are yielded ([`walk`]).
pub struct Walk {
    inner: ignore::Walk,
}

impl Iterator for Walk {
    type Item = Result<ignore::DirEntry, ignore::Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let next = self.inner.next()?;
        // The root too when it is a link to a folder (the walk reports it as a link).
        if let Ok(e) = &next
            && (e.depth() == 0 || e.file_type().is_some_and(|t| t.is_dir()))
        {
            record::dir_listed(e.path());
        }
        Some(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fs::record::{Recorder, scope};

    #[test]
    fn each_probe_is_recorded_with_what_it_found() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir(root.join("d")).unwrap();
        std::fs::write(root.join("d/a.md"), "a").unwrap();
        std::os::unix::fs::symlink("d/a.md", root.join("link")).unwrap();
        let rec = Recorder::new(root);
        scope(Some(rec.clone()), || {
            assert!(is_file(root.join("d/a.md")));
            assert!(!exists(root.join("gone")));
            assert!(is_dir(root.join("d")));
            assert!(symlink_metadata(root.join("link")).is_ok());
            assert_eq!(read_dir(root.join("d")).unwrap().count(), 1);
            let d = root.join("d");
            let walked: Vec<_> = walk(&ignore::WalkBuilder::new(&d), &d).flatten().collect();
            assert_eq!(walked.len(), 2);
        });
        let got = rec.finish();
        assert!(got.complete);
        assert_eq!(got.probes["F./d/a.md"], "f");
        assert_eq!(got.probes["F./gone"], "absent");
        assert_eq!(got.probes["F./d"], "d");
        assert_eq!(got.probes["L./link"], "l d/a.md");
        assert_eq!(got.probes["L./d"], "d");
        assert_eq!(got.dirs["./d"], record::listing_hash(&root.join("d")));
        assert!(!got.dirs.contains_key("./"));
        // Each answer is as it would be asked again now, and changes with the path.
        struct Here<'a>(&'a Path);
        impl record::World for Here<'_> {
            fn root(&self) -> &Path {
                self.0
            }
            fn run_fact(&self, _: &str) -> Option<String> {
                None
            }
            fn git_answer(&self, _: &Path, _: &[&str]) -> Option<String> {
                None
            }
        }
        assert_eq!(got.first_change(&Here(root)), None);
        std::fs::write(root.join("gone"), "").unwrap();
        assert_eq!(
            got.first_change(&Here(root)).as_deref(),
            Some("./gone is now f")
        );
        std::fs::remove_file(root.join("gone")).unwrap();
        std::fs::write(root.join("d/b.md"), "").unwrap();
        assert_eq!(
            got.first_change(&Here(root)).as_deref(),
            Some("the listing of ./d changed")
        );
    }
}

//! Staying inside: no read or write of the tool follows a symbolic link out of the target
//! repository (or out of the tool's state directory).
//!
//! Why: the target is untrusted input. A pull request can commit a symlink
//! (`ORCHESTRATOR_SCRATCHPAD.md -> /tmp/o`, `package.json -> /etc/shadow`, a pass root that
//! points at another checkout); followed, it would make the tool overwrite a file of the
//! machine, judge documents that are not the target's, or print an outside file's content
//! into its output, its record and the SARIF that CI uploads. Links that stay inside the
//! root are fine (a workspace package linked into another folder).
//!
//! How: [`link_out`] walks a path below a root one component at a time and, at each symbolic
//! link, resolves where the link really leads (a chain of links followed, a missing tail
//! kept as written); a link that leads outside the root is named. [`confine`] declares a
//! root for the whole process (the target, its state directory); the careful reader and the
//! output writer then check every path under a declared root: [`check_path`] before a write
//! or an open that may create; [`before_open`] before a read-only open, which verifies the
//! folders along the path (each once) and has the last component opened without following
//! a link, so a read costs no system call more than a plain open. Paths outside every root (a pipeline, a runbook, `--sarif` somewhere else)
//! are the user's own and followed as given.
//!
//! How to fix a refusal: replace the link with the file itself, or point it inside the
//! repository.
//!
//! Link checks of the readers and writers: a read they guard is recorded by its reader; where a link leads
//! is part of the listing the cache compares, and `history` reuses nothing across a created path where
//! links are.
#![allow(clippy::disallowed_methods)]

use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};
use std::sync::RwLock;

/// How many symbolic links are followed while resolving one path (the kernel's own limit).
const MAX_LINKS: usize = 40;

/// A symbolic link below a root that leads outside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Escape {
    /// The link, as a path below the root as the root was given.
    pub link: PathBuf,
    /// Where it leads (resolved; the file need not exist).
    pub to: PathBuf,
    /// What the root is, in words ("the target repository").
    pub root_is: &'static str,
}

impl Escape {
    /// The refusal as an I/O error (kind `PermissionDenied`); the caller names the path it
    /// was asked to read or write (`{path}: {error}`).
    pub fn error(&self) -> io::Error {
        io::Error::new(io::ErrorKind::PermissionDenied, self.to_string())
    }

    /// [`Escape::error`] for the caller's `path`: the link is not named twice when it is
    /// the path itself.
    pub fn error_for(&self, path: &Path) -> io::Error {
        let same = std::path::absolute(path).is_ok_and(|p| normalise(&p) == self.link);
        if !same {
            return self.error();
        }
        io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "is a symbolic link leading outside {} (to {}): refused, links out of {} are not followed",
                self.root_is,
                self.to.display(),
                self.root_is
            ),
        )
    }
}

impl std::fmt::Display for Escape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} is a symbolic link leading outside {} (to {}): refused, links out of {} are not followed",
            self.link.display(),
            self.root_is,
            self.to.display(),
            self.root_is
        )
    }
}

/// The first symbolic link along `rel` (a path below `root`) that leads outside `root`, or
/// `None`. `root` must exist; the components of `rel` need not (the walk stops at the first
/// missing one: nothing below it can be a link). A `..` that climbs out of `root` is an
/// escape too. Links inside `root`, also chains of them, are fine.
pub fn link_out(root: &Path, rel: &Path, root_is: &'static str) -> io::Result<Option<Escape>> {
    let root_real = std::fs::canonicalize(root)?;
    let mut cur = root_real.clone();
    let mut shown = root.to_path_buf();
    for c in rel.components() {
        let name = match c {
            Component::CurDir => continue,
            Component::ParentDir => {
                cur.pop();
                shown.push("..");
                if !cur.starts_with(&root_real) {
                    return Ok(Some(Escape {
                        link: shown,
                        to: cur,
                        root_is,
                    }));
                }
                continue;
            }
            Component::Normal(n) => n,
            Component::RootDir | Component::Prefix(_) => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{} is not a relative path", rel.display()),
                ));
            }
        };
        shown.push(name);
        let next = cur.join(name);
        let meta = std::fs::symlink_metadata(&next);
        crate::fs::probe::seen(&next, crate::fs::probe::Look::NoFollow, &meta);
        let meta = match meta {
            Ok(m) => m,
            Err(e)
                if e.kind() == io::ErrorKind::NotFound
                    || e.raw_os_error() == Some(libc::ENOTDIR) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        if !meta.file_type().is_symlink() {
            cur = next;
            continue;
        }
        let real = resolve(&next)?;
        if !real.starts_with(&root_real) {
            return Ok(Some(Escape {
                link: shown,
                to: real,
                root_is,
            }));
        }
        cur = real;
    }
    Ok(None)
}

/// Where the absolute path `path` really leads: every symbolic link along it followed
/// (chains too, at most [`MAX_LINKS`]), `..` taken physically, and a missing tail kept as
/// written. Like `realpath`, but for paths that do not exist yet (a dangling link that a
/// write would create a file through).
pub fn resolve(path: &Path) -> io::Result<PathBuf> {
    let mut out = PathBuf::from("/");
    let mut todo: std::collections::VecDeque<OsString> = std::collections::VecDeque::new();
    push_front(&mut todo, path);
    let mut links = 0;
    while let Some(c) = todo.pop_front() {
        if c == ".." {
            out.pop();
            continue;
        }
        let next = out.join(&c);
        match std::fs::symlink_metadata(&next) {
            Ok(m) if m.file_type().is_symlink() => {
                links += 1;
                if links > MAX_LINKS {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!(
                            "more than {MAX_LINKS} symbolic links to follow (a link loop?) at {}",
                            next.display()
                        ),
                    ));
                }
                let to = std::fs::read_link(&next)?;
                if to.is_absolute() {
                    out = PathBuf::from("/");
                }
                push_front(&mut todo, &to);
            }
            _ => out = next,
        }
    }
    Ok(out)
}

/// Puts the components of `p` (names and `..`) in front of `todo`, in order.
fn push_front(todo: &mut std::collections::VecDeque<OsString>, p: &Path) {
    for c in p.components().rev() {
        match c {
            Component::Normal(n) => todo.push_front(n.to_os_string()),
            Component::ParentDir => todo.push_front("..".into()),
            _ => {}
        }
    }
}

/// A root declared with [`confine`].
#[derive(Clone, Debug)]
struct Root {
    /// As given, made absolute.
    given: PathBuf,
    /// Canonical.
    real: PathBuf,
    is: &'static str,
    /// The root is itself a symbolic link where none may be (the state directory): every
    /// path below it is refused.
    linked: bool,
}

impl Root {
    /// The refusal of every path below a [`Root::linked`] root.
    fn linked_out(&self) -> io::Result<()> {
        if !self.linked {
            return Ok(());
        }
        Err(Escape {
            link: self.given.clone(),
            to: self.real.clone(),
            root_is: self.is,
        }
        .error())
    }
}

static ROOTS: RwLock<Vec<Root>> = RwLock::new(Vec::new());

/// The words for the target repository in refusals.
pub const TARGET: &str = "the target repository";
/// The words for the tool's state directory in refusals.
pub const STATE: &str = "the tool's state directory";

/// Declares `root` (an existing directory) as a tree that the careful reader and the output
/// writer must not leave through a symbolic link, for the rest of the process. `is` names it
/// in refusals ([`TARGET`], [`STATE`]). Declaring a root twice does nothing; a root that
/// does not exist (yet) is declared by its path as given.
pub fn confine(root: &Path, is: &'static str) {
    let Ok(given) = std::path::absolute(root) else {
        return;
    };
    let given = normalise(&given);
    let real = std::fs::canonicalize(&given).unwrap_or_else(|_| given.clone());
    // The tool's state directory is the tool's own: when it is itself a link, what is
    // written there would land wherever the link points, so every path below it is refused.
    let linked =
        is == STATE && std::fs::symlink_metadata(&given).is_ok_and(|m| m.file_type().is_symlink());
    // Folders verified earlier may have changed since (a history checkout moves to another
    // commit): verified again from now on.
    CLEAN.lock().unwrap_or_else(|e| e.into_inner()).clear();
    let mut roots = ROOTS.write().unwrap_or_else(|e| e.into_inner());
    if roots
        .iter()
        .any(|r| r.given == given && r.real == real && r.linked == linked)
    {
        return;
    }
    roots.retain(|r| r.given != given);
    roots.push(Root {
        given,
        real,
        is,
        linked,
    });
}

/// Folders (absolute, as written below a root) verified to lead nowhere outside their root.
static CLEAN: std::sync::LazyLock<std::sync::Mutex<std::collections::HashSet<OsString>>> =
    std::sync::LazyLock::new(Default::default);

/// How the careful reader is to open a path ([`before_open`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opening {
    /// Outside every declared root: as given.
    Free,
    /// Below a root, its folders verified: open without following a link at the last
    /// component (`O_NOFOLLOW`); should it be one, [`check_path`] decides before it is
    /// followed. No system call more than a plain open in the common case.
    LastComponent,
    /// Below a root through `..`: [`check_opened`] after the open.
    AfterOpen,
}

/// Prepares a read-only open of `path` (see [`Opening`]): refuses it at once when one of
/// the folders along it is a link out of its root. Each folder is looked at once
/// (`lstat`) and remembered until the next [`confine`].
pub fn before_open(path: &Path) -> io::Result<Opening> {
    let Some((root, rel)) = root_of(path) else {
        return Ok(Opening::Free);
    };
    root.linked_out()?;
    if path.components().any(|c| matches!(c, Component::ParentDir)) {
        return Ok(Opening::AfterOpen);
    }
    if let Some(dir) = rel.parent() {
        verify_dir(&root, dir)?;
    }
    Ok(Opening::LastComponent)
}

/// Verifies that the folder `rel` below `root` (no `..`) leads nowhere outside it: its
/// parent first (remembered), then one `lstat` of its own.
fn verify_dir(root: &Root, rel: &Path) -> io::Result<()> {
    if rel.as_os_str().is_empty() {
        return Ok(());
    }
    let abs = root.given.join(rel);
    if CLEAN
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .contains(abs.as_os_str())
    {
        return Ok(());
    }
    if let Some(parent) = rel.parent() {
        verify_dir(root, parent)?;
    }
    match std::fs::symlink_metadata(&abs) {
        Ok(m) if m.file_type().is_symlink() => {
            let real = resolve(&abs)?;
            if !real.starts_with(&root.real) {
                return Err(Escape {
                    link: abs,
                    to: real,
                    root_is: root.is,
                }
                .error());
            }
        }
        Ok(_) => {}
        // Missing: the open fails on its own; nothing to remember.
        Err(_) => return Ok(()),
    }
    CLEAN
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(abs.into_os_string());
    Ok(())
}

/// The declared root that holds `path` (the deepest one), and `path` below it.
fn root_of(path: &Path) -> Option<(Root, PathBuf)> {
    let roots = ROOTS.read().unwrap_or_else(|e| e.into_inner());
    if roots.is_empty() {
        return None;
    }
    let plain = path.is_absolute()
        && !path
            .components()
            .any(|c| matches!(c, Component::CurDir | Component::ParentDir));
    let owned;
    let abs: &Path = if plain {
        path
    } else {
        owned = normalise(&std::path::absolute(path).ok()?);
        &owned
    };
    let mut best: Option<(usize, &Root, PathBuf)> = None;
    for r in roots.iter() {
        for form in [&r.given, &r.real] {
            let depth = form.components().count();
            if let Ok(rel) = abs.strip_prefix(form)
                && best.as_ref().is_none_or(|(d, _, _)| depth > *d)
            {
                best = Some((depth, r, rel.to_path_buf()));
            }
        }
    }
    best.map(|(_, r, rel)| (r.clone(), rel))
}

/// `.` dropped and `..` taken lexically (for deciding which root a path names; the walk
/// itself takes `..` physically).
pub fn normalise(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

/// Refuses `path` when it lies under a declared root and a symbolic link along it leads out
/// of that root (see [`link_out`]); any other path passes. For writes and for opens that may
/// create a file: checked before the file is touched.
pub fn check_path(path: &Path) -> io::Result<()> {
    let Some((root, rel)) = root_of(path) else {
        return Ok(());
    };
    root.linked_out()?;
    match link_out(&root.given, &rel, root.is) {
        Ok(Some(escape)) => Err(escape.error_for(path)),
        Ok(None) => Ok(()),
        // The root itself is gone: nothing below it can be reached through it.
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// Refuses `file`, just opened read-only at `path`, when `path` lies under a declared root
/// and the file is not inside it (a link along the path led out). Asks the open descriptor
/// where it is (one system call on Linux); the walk runs only to name the link of a
/// refusal. Nothing has been read from the file. For paths with `..` ([`Opening::AfterOpen`]).
pub fn check_opened(path: &Path, file: &std::fs::File) -> io::Result<()> {
    let Some((root, rel)) = root_of(path) else {
        return Ok(());
    };
    root.linked_out()?;
    let real = match opened_path(file) {
        Some(p) => p,
        None => std::fs::canonicalize(path)?,
    };
    if real.starts_with(&root.real) {
        return Ok(());
    }
    match link_out(&root.given, &rel, root.is)? {
        Some(escape) => Err(escape.error_for(path)),
        // The tree changed between the open and the walk: refuse all the same.
        None => Err(Escape {
            link: path.to_path_buf(),
            to: real,
            root_is: root.is,
        }
        .error()),
    }
}

/// Where an open file is, from its descriptor, where the system says so cheaply.
fn opened_path(file: &std::fs::File) -> Option<PathBuf> {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let p = std::fs::read_link(format!("/proc/self/fd/{}", file.as_raw_fd())).ok()?;
        // Not a path ("pipe:[…]"), or no /proc: the caller asks the path instead.
        p.is_absolute().then_some(p)
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = file;
        None
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn links_inside_pass_and_links_out_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir_all(root.join("a/b")).unwrap();
        std::fs::write(root.join("a/b/f.txt"), "in").unwrap();
        std::fs::write(dir.path().join("outside.txt"), "out").unwrap();
        symlink("a/b", root.join("inner")).unwrap();
        symlink("../../outside.txt", root.join("a/out.txt")).unwrap();
        symlink(dir.path(), root.join("up")).unwrap();
        // A dangling link out: a write would create the file outside.
        symlink(dir.path().join("new.txt"), root.join("dangling")).unwrap();
        // A chain: inside first, then out.
        symlink("a/out.txt", root.join("chain")).unwrap();

        assert_eq!(
            link_out(&root, Path::new("inner/f.txt"), TARGET).unwrap(),
            None
        );
        assert_eq!(
            link_out(&root, Path::new("missing/x"), TARGET).unwrap(),
            None
        );
        let real_dir = std::fs::canonicalize(dir.path()).unwrap();
        let e = link_out(&root, Path::new("a/out.txt"), TARGET)
            .unwrap()
            .unwrap();
        assert_eq!(e.link, root.join("a/out.txt"));
        assert_eq!(e.to, real_dir.join("outside.txt"));
        let e = link_out(&root, Path::new("up/repo/a/b/f.txt"), TARGET)
            .unwrap()
            .unwrap();
        assert_eq!(e.link, root.join("up"));
        let e = link_out(&root, Path::new("dangling"), TARGET)
            .unwrap()
            .unwrap();
        assert_eq!(e.to, real_dir.join("new.txt"));
        let e = link_out(&root, Path::new("chain"), TARGET)
            .unwrap()
            .unwrap();
        assert_eq!(e.link, root.join("chain"));
        assert_eq!(e.to, real_dir.join("outside.txt"));
        let e = link_out(&root, Path::new("a/../../outside.txt"), TARGET)
            .unwrap()
            .unwrap();
        assert!(
            e.to_string().contains("outside the target repository"),
            "{e}"
        );
    }

    #[test]
    fn a_link_loop_is_an_error_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        symlink("l2", dir.path().join("l1")).unwrap();
        symlink("l1", dir.path().join("l2")).unwrap();
        let e = link_out(dir.path(), Path::new("l1"), TARGET).unwrap_err();
        assert!(e.to_string().contains("link loop"), "{e}");
    }

    #[test]
    fn below_a_confined_root_the_reader_and_the_writer_do_not_follow_links_out() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("confined");
        std::fs::create_dir_all(root.join("a")).unwrap();
        std::fs::write(root.join("a/f.txt"), "in").unwrap();
        let outside = dir.path().join("outside.txt");
        std::fs::write(&outside, "secret").unwrap();
        symlink(&outside, root.join("out.txt")).unwrap();
        symlink("a/f.txt", root.join("in.txt")).unwrap();
        symlink(dir.path().join("new.txt"), root.join("dangling.txt")).unwrap();
        // Outside every root, a link is the user's and is followed.
        symlink(&outside, dir.path().join("mine.txt")).unwrap();
        confine(&root, TARGET);

        assert_eq!(
            crate::fs::careful::read_to_string(root.join("in.txt")).unwrap(),
            "in"
        );
        let e = crate::fs::careful::read_to_string(root.join("out.txt")).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
        assert!(
            e.to_string()
                .starts_with("is a symbolic link leading outside the target repository (to "),
            "{e}"
        );
        // Another spelling of the same path is caught too, and a folder on the way is named.
        let rel = root.join("a/../out.txt");
        assert!(crate::fs::careful::read(&rel).is_err());
        symlink(dir.path(), root.join("up")).unwrap();
        let e = crate::fs::careful::read(root.join("up/outside.txt")).unwrap_err();
        assert!(
            e.to_string()
                .contains("up is a symbolic link leading outside"),
            "{e}"
        );

        let e = crate::fs::output::write(&root.join("dangling.txt"), b"x").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("is a symbolic link leading outside"),
            "{e}"
        );
        assert!(!dir.path().join("new.txt").exists());
        assert!(crate::fs::output::write(&root.join("out.txt"), b"x").is_err());
        let e = crate::fs::careful::open_with(
            &root.join("out.txt"),
            std::fs::OpenOptions::new().append(true),
        )
        .unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::PermissionDenied);
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "secret");

        crate::fs::output::write(&dir.path().join("mine.txt"), b"mine").unwrap();
        assert_eq!(std::fs::read_to_string(&outside).unwrap(), "mine");
    }
}

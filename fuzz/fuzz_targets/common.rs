//! A small target repository in a temporary directory, shared by the TypeScript targets:
//! each input overwrites some of its files, then a check runs on it.

use std::path::{Path, PathBuf};

pub struct Repo {
    _dir: tempfile_free::Dir,
    pub root: PathBuf,
}

/// A directory under the system's temporary directory, removed at exit (no tempfile crate:
/// the fuzz build stays small).
mod tempfile_free {
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

impl Repo {
    /// A repository holding `files` (path, text).
    pub fn new(name: &str, files: &[(&str, &str)]) -> Repo {
        let root = std::env::temp_dir().join(format!("gates-fuzz-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        for (p, text) in files {
            write(&root, p, text.as_bytes());
        }
        Repo {
            _dir: tempfile_free::Dir(root.clone()),
            root,
        }
    }

    pub fn write(&self, rel: &str, bytes: &[u8]) {
        write(&self.root, rel, bytes);
    }
}

fn write(root: &Path, rel: &str, bytes: &[u8]) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, bytes).unwrap();
}

/// Splits an input into `n` texts at the byte 0xFF (never in UTF-8 text), missing ones empty.
pub fn split(data: &[u8], n: usize) -> Vec<&[u8]> {
    let mut parts: Vec<&[u8]> = data.splitn(n, |&b| b == 0xFF).collect();
    parts.resize(n, &[]);
    parts
}

//! The fixture trees under `tests/fixtures/<family>/`, copied into a temporary directory for
//! a test.
//!
//! A tree is either whole, or a case of another tree of its family: its `case.toml` names the
//! `base`, the base's files it `remove`s and the `[[edit]]`s it makes (a `find` text that must
//! occur exactly once in the base's `file`, and its `replace`ment), and the files beside
//! `case.toml` are added or replace the base's. So a case holds only what makes it a case: its
//! change to the sources and, for the harness, `report.json`, the report vitest wrote for the
//! resulting tree. Absolute paths in reports are stored as `@ROOT@` and rewritten to the
//! copy's location.

#![allow(dead_code)]

use std::ops::Deref;
use std::path::{Path, PathBuf};

use serde::Deserialize;

pub fn fixture(family: &str, name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures")
        .join(family)
        .join(name)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    base: String,
    #[serde(default)]
    remove: Vec<String>,
    #[serde(default)]
    edit: Vec<Edit>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Edit {
    file: String,
    find: String,
    replace: String,
}

/// A tree copied for one test; removed when dropped. Derefs to its root.
pub struct Tree {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

impl Deref for Tree {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.root
    }
}

impl AsRef<Path> for Tree {
    fn as_ref(&self) -> &Path {
        &self.root
    }
}

/// The tree `family/name`, copied.
pub fn tree(family: &str, name: &str) -> Tree {
    let (dir, root) = copy(family, name);
    Tree { _dir: dir, root }
}

/// Copies the tree `family/name` (resolving its base, if it is a case) into a temporary
/// directory and rewrites `@ROOT@` in its reports.
pub fn copy(family: &str, name: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().canonicalize().unwrap().join(name);
    materialize(family, name, &root);
    for report in ["report.json", "junit.xml"] {
        let p = root.join(report);
        if let Ok(text) = std::fs::read_to_string(&p) {
            std::fs::write(&p, text.replace("@ROOT@", &root.to_string_lossy())).unwrap();
        }
    }
    (dir, root)
}

/// Writes the files of tree `family/name` under `to`.
pub fn materialize(family: &str, name: &str, to: &Path) {
    let src = fixture(family, name);
    let case_file = src.join("case.toml");
    let Ok(text) = std::fs::read_to_string(&case_file) else {
        copy_dir(&src, to, None);
        return;
    };
    let case: Case =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", case_file.display()));
    materialize(family, &case.base, to);
    for r in &case.remove {
        std::fs::remove_file(to.join(r))
            .unwrap_or_else(|e| panic!("{name}: cannot remove `{r}` of {}: {e}", case.base));
    }
    for e in &case.edit {
        let p = to.join(&e.file);
        let before = std::fs::read_to_string(&p)
            .unwrap_or_else(|err| panic!("{name}: `{}` of {}: {err}", e.file, case.base));
        let n = before.matches(e.find.as_str()).count();
        assert_eq!(
            n, 1,
            "{name}: the edit's `find` occurs {n} times in `{}` of {} (must be once):\n{}",
            e.file, case.base, e.find
        );
        std::fs::write(&p, before.replacen(e.find.as_str(), &e.replace, 1)).unwrap();
    }
    copy_dir(&src, to, Some(&case_file));
}

fn copy_dir(from: &Path, to: &Path, skip: Option<&Path>) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if Some(e.path().as_path()) == skip {
            continue;
        }
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target, skip);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

//! Plugin discovery as the target's own runtime does it: `plugins/<root>/<name>/package.json`
//! for each discovery root, where `<name>` is a directory not starting with `.` and a
//! directory without a `package.json` is not a plugin.
//!
//! Only the directory structure is decided here; reading and judging the manifest is the
//! caller's business (a manifest that is a directory, a symlink loop or binary is still a
//! plugin whose manifest is broken, and must be reported as such, not skipped).

use crate::fs::probe::Probe;
use std::path::{Path, PathBuf};

use crate::error::GateError;
use crate::finding::Finding;

use crate::fs::source::rel_path;

/// The five discovery roots and the `rawr.kind` each requires (SPEC §2).
pub const DEFAULT_ROOTS: [(&str, &str); 5] = [
    ("cli", "toolkit"),
    ("agents", "agent"),
    ("web", "web"),
    ("api", "api"),
    ("workflows", "workflows"),
];

/// The directory holding the roots, relative to the repository.
pub const DEFAULT_PLUGINS_DIR: &str = "plugins";

/// One discovered plugin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PluginDir {
    /// The discovery root it was found under (`cli`, `web`, ...).
    pub root: String,
    /// The plugin's directory name.
    pub name: String,
    /// Absolute path of the plugin directory.
    pub dir: PathBuf,
    /// Absolute path of its `package.json` (which may turn out unreadable).
    pub manifest: PathBuf,
    /// Repository-relative path of the manifest, `/`-separated.
    pub manifest_rel: String,
    /// The plugin directory lies inside the repository with no symlink on the way (the
    /// manifest itself may still be one): opening the manifest without following links
    /// is then as safe as [`crate::fs::source::read`], and much cheaper.
    pub direct: bool,
}

/// What discovery found: the plugins (sorted by root order, then name), the roots that do
/// not exist, and entries that could not be inspected (positioned findings, rule
/// `unreadable-file`).
#[derive(Debug, Default)]
pub struct Discovery {
    pub plugins: Vec<PluginDir>,
    pub missing_roots: Vec<String>,
    pub problems: Vec<Finding>,
}

/// Discovers plugins under `<repo>/<plugins_dir>/<root>/*` for each of `roots`.
///
/// Fails (the gate cannot judge) only when `plugins_dir` itself exists but cannot be listed.
pub fn discover(repo: &Path, plugins_dir: &str, roots: &[&str]) -> Result<Discovery, GateError> {
    let mut d = candidates(repo, plugins_dir, roots)?;
    // Any entry named package.json (file, directory, link) makes a plugin; only its
    // absence means "not a plugin".
    d.plugins
        .retain(|p| crate::fs::probe::symlink_metadata(&p.manifest).is_ok());
    Ok(d)
}

/// Like [`discover`], but without checking that each directory holds a `package.json`
/// (saving one system call per plugin): the caller must treat a manifest that does not exist
/// (`ENOENT` when opening it) as "not a plugin".
pub fn candidates(repo: &Path, plugins_dir: &str, roots: &[&str]) -> Result<Discovery, GateError> {
    let base = crate::fs::resolve_inside(repo, plugins_dir)?;
    // The roots are listed in parallel (listing is bound by system calls), merged in order.
    let rec = crate::fs::record::current();
    let parts: Vec<Result<Discovery, GateError>> = std::thread::scope(|s| {
        let handles: Vec<_> = roots
            .iter()
            .map(|root| {
                let base = &base;
                let rec = rec.clone();
                s.spawn(move || crate::fs::record::scope(rec, || list_root(repo, base, root)))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(GateError::msg("plugin discovery thread panicked")))
            })
            .collect()
    });
    let mut out = Discovery::default();
    for part in parts {
        let part = part?;
        out.plugins.extend(part.plugins);
        out.missing_roots.extend(part.missing_roots);
        out.problems.extend(part.problems);
    }
    Ok(out)
}

/// The plugin candidates of one root.
fn list_root(repo: &Path, base: &Path, root: &str) -> Result<Discovery, GateError> {
    let mut out = Discovery::default();
    {
        let root_dir = base.join(root);
        // Whether the root directory is inside the repository without symlinks.
        let root_direct = crate::fs::probe::canonicalize(&root_dir)
            .ok()
            .zip(crate::fs::probe::canonicalize(repo).ok())
            .is_some_and(|(real, repo_real)| {
                real.starts_with(&repo_real) && real == crate::repo::workspace::normalize(&root_dir)
            });
        let entries = match crate::fs::probe::read_dir(&root_dir) {
            Ok(rd) => rd,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                out.missing_roots.push(root.to_string());
                return Ok(out);
            }
            Err(e) if root_dir.probe_is_file() => {
                let _ = e;
                out.problems.push(Finding::error(
                    "unreadable-file",
                    rel_path(repo, &root_dir),
                    0,
                    0,
                    format!(
                        "discovery root {} is a file, not a directory",
                        rel_path(repo, &root_dir)
                    ),
                ));
                return Ok(out);
            }
            Err(e) => return Err(GateError::io(&root_dir, e)),
        };
        let mut names: Vec<(String, PathBuf, bool)> = Vec::new();
        for e in entries {
            let e = e.map_err(|e| GateError::io(&root_dir, e))?;
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            // A real directory (not a link) needs no further stat.
            let real_dir = e.file_type().is_ok_and(|t| t.is_dir());
            names.push((name, e.path(), real_dir));
        }
        names.sort();
        for (name, dir, real_dir) in names {
            // Follow a symlinked plugin directory; a loop or dangling link is reported.
            let meta = if real_dir {
                Ok(None)
            } else {
                crate::fs::probe::metadata(&dir).map(Some)
            };
            match meta {
                Ok(None) => {}
                Ok(Some(m)) if m.is_dir() => {}
                Ok(_) => continue, // a plain file in a root is not a plugin
                Err(e) => {
                    let why = if e.raw_os_error() == Some(libc::ELOOP) {
                        "is a symlink loop".to_string()
                    } else {
                        format!("cannot be inspected: {e}")
                    };
                    out.problems.push(Finding::error(
                        "unreadable-file",
                        rel_path(repo, &dir),
                        0,
                        0,
                        format!("plugin directory {} {why}", rel_path(repo, &dir)),
                    ));
                    continue;
                }
            }
            let manifest = dir.join("package.json");
            out.plugins.push(PluginDir {
                root: root.to_string(),
                name,
                manifest_rel: rel_path(repo, &manifest),
                dir,
                manifest,
                direct: root_direct && real_dir,
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_plugins_skipping_dot_dirs_and_dirs_without_manifest() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        for p in [
            "plugins/cli/a/package.json",
            "plugins/cli/.hidden/package.json",
            "plugins/web/b/package.json",
            "plugins/api/c/package.json/inner",
        ] {
            std::fs::create_dir_all(r.join(p).parent().unwrap()).unwrap();
            std::fs::write(r.join(p), "{}").unwrap();
        }
        std::fs::create_dir_all(r.join("plugins/web/no-manifest/src")).unwrap();
        std::fs::write(r.join("plugins/web/README.md"), "x").unwrap();
        let found = discover(r, "plugins", &["cli", "agents", "web", "api"]).unwrap();
        let names: Vec<_> = found
            .plugins
            .iter()
            .map(|p| p.manifest_rel.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "plugins/cli/a/package.json",
                "plugins/web/b/package.json",
                "plugins/api/c/package.json"
            ]
        );
        assert_eq!(found.missing_roots, ["agents"]);
        assert!(found.problems.is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn a_looping_plugin_dir_is_a_problem_not_a_hang() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        std::fs::create_dir_all(r.join("plugins/cli")).unwrap();
        std::os::unix::fs::symlink(r.join("plugins/cli/x"), r.join("plugins/cli/y")).unwrap();
        std::os::unix::fs::symlink(r.join("plugins/cli/y"), r.join("plugins/cli/x")).unwrap();
        let found = discover(r, "plugins", &["cli"]).unwrap();
        assert!(found.plugins.is_empty());
        assert_eq!(found.problems.len(), 2);
        assert!(found.problems[0].message.contains("symlink loop"));
    }
}

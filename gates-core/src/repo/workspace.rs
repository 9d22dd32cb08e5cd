//! Workspace packages and import resolution without `node_modules`.
//!
//! The gates read a target without installing its dependencies, so a bare specifier such as
//! `@rawr/hq/workspace` cannot be found the way Node or Bun would (through `node_modules`).
//! Instead the workspace's own packages are indexed from the root `package.json`
//! `workspaces` globs, and a specifier naming one of them is resolved through that package's
//! `exports` map (conditions, subpaths and `*` patterns), falling back to `main`/`module`.
//! Relative specifiers are resolved with TypeScript's extension rules (`./x` → `./x.ts`,
//! `./x.js` → `./x.ts`, `./dir` → `./dir/index.ts`).

use crate::fs::probe::Probe;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Extensions tried, in order, for an extensionless relative or package target.
const EXTENSIONS: &[&str] = &["ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs"];
/// Export conditions, in the order a Bun/TypeScript source checkout would pick them.
const CONDITIONS: &[&str] = &[
    "bun", "source", "import", "module", "default", "node", "require", "types",
];

#[derive(Clone, Debug)]
pub struct Package {
    pub name: String,
    /// Absolute directory.
    pub dir: PathBuf,
    pub manifest: Value,
}

/// The target's workspace packages, by name.
#[derive(Clone, Debug, Default)]
pub struct Workspace {
    pub root: PathBuf,
    pub packages: BTreeMap<String, Package>,
}

/// Where a specifier leads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Resolution {
    /// A file of the target.
    File(PathBuf),
    /// A bare specifier that names no workspace package (an npm dependency or a builtin).
    External(String),
    /// A relative or workspace specifier whose target does not exist; the text says why.
    NotFound(String),
}

impl Workspace {
    /// Indexes the packages named by the root `package.json` `workspaces` field (an array of
    /// globs, or `{ "packages": [...] }`). A missing or unreadable root manifest yields an
    /// empty workspace: relative imports still resolve.
    pub fn load(repo: &Path) -> Workspace {
        let mut ws = Workspace {
            root: repo.to_path_buf(),
            packages: BTreeMap::new(),
        };
        let Some(root) = read_json(&repo.join("package.json")) else {
            return ws;
        };
        let globs: Vec<String> = match root.get("workspaces") {
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            Some(Value::Object(o)) => o
                .get("packages")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|v| v.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        for g in globs {
            if g.starts_with('!') {
                continue;
            }
            for dir in expand_dir_glob(repo, &g) {
                if let Some(m) = read_json(&dir.join("package.json"))
                    && let Some(name) = m.get("name").and_then(Value::as_str)
                {
                    ws.packages.entry(name.to_string()).or_insert(Package {
                        name: name.to_string(),
                        dir: dir.clone(),
                        manifest: m.clone(),
                    });
                }
            }
        }
        ws
    }

    /// Resolves `specifier` as imported from the file `from`.
    pub fn resolve(&self, from: &Path, specifier: &str) -> Resolution {
        if specifier.starts_with("./")
            || specifier.starts_with("../")
            || specifier == "."
            || specifier == ".."
        {
            let base = from.parent().unwrap_or(Path::new("."));
            let target = normalize(&base.join(specifier));
            return match probe(&target) {
                Some(p) => Resolution::File(p),
                None => Resolution::NotFound(format!(
                    "no file for `{specifier}` (tried {})",
                    target.display()
                )),
            };
        }
        if specifier.starts_with('/') {
            return Resolution::NotFound(format!("absolute import `{specifier}` is not resolved"));
        }
        let (name, sub) = split_package(specifier);
        let Some(pkg) = self.packages.get(name) else {
            return Resolution::External(specifier.to_string());
        };
        let subpath = if sub.is_empty() {
            ".".to_string()
        } else {
            format!("./{sub}")
        };
        match pkg.manifest.get("exports") {
            Some(exports) => match resolve_exports(exports, &subpath) {
                Some(t) => match probe(&normalize(&pkg.dir.join(&t))) {
                    Some(p) => Resolution::File(p),
                    None => Resolution::NotFound(format!(
                        "`{specifier}`: package `{name}` exports `{subpath}` as `{t}`, which does not exist"
                    )),
                },
                None => Resolution::NotFound(format!(
                    "`{specifier}`: package `{name}` does not export `{subpath}`"
                )),
            },
            None => {
                let target = if sub.is_empty() {
                    ["module", "main"]
                        .iter()
                        .find_map(|k| pkg.manifest.get(*k).and_then(Value::as_str))
                        .unwrap_or("index")
                        .to_string()
                } else {
                    sub.to_string()
                };
                match probe(&normalize(&pkg.dir.join(&target))) {
                    Some(p) => Resolution::File(p),
                    None => Resolution::NotFound(format!(
                        "`{specifier}`: no file `{target}` in package `{name}`"
                    )),
                }
            }
        }
    }
}

fn read_json(path: &Path) -> Option<Value> {
    let text = crate::fs::careful::read_to_string(path).ok()?;
    serde_json::from_str(text.trim_start_matches('\u{feff}')).ok()
}

/// Checks that the root `package.json`, when there is one, can be read as JSON: the
/// workspace packages come from it, so without it every import of one looks unresolved, and
/// a gate judging imports would blame the importing files (`workspace-plugins.ts does not
/// import the contract`) for what is a broken manifest. A gate that resolves imports calls
/// this first and, on an error, could not judge (exit 2); the error names `package.json`
/// with the line and column of the problem.
pub fn check_root_manifest(repo: &Path) -> Result<(), crate::error::GateError> {
    let path = repo.join("package.json");
    let bytes = match crate::fs::careful::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(crate::error::GateError::msg(format!(
                "package.json: {e}; the workspace packages are declared there, so imports of them cannot be resolved"
            )));
        }
    };
    let broken = |line: usize, col: usize, why: String| {
        crate::error::GateError::msg(format!(
            "package.json:{line}:{col}: {why}; the workspace packages are declared there, so imports of them cannot be resolved"
        ))
    };
    let text = match std::str::from_utf8(&bytes) {
        Ok(t) => t,
        Err(e) => {
            let at = e.valid_up_to();
            let before = &bytes[..at];
            let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
            let line_start = before
                .iter()
                .rposition(|&b| b == b'\n')
                .map_or(0, |i| i + 1);
            // Columns count characters; what precedes `at` on its line is valid UTF-8.
            let col = String::from_utf8_lossy(&before[line_start..])
                .chars()
                .count()
                + 1;
            return Err(broken(
                line,
                col,
                format!("is not valid UTF-8 (at byte {at})"),
            ));
        }
    };
    match serde_json::from_str::<Value>(text.trim_start_matches('\u{feff}')) {
        Ok(_) => Ok(()),
        Err(e) => {
            let said = e.to_string();
            let said = said
                .rsplit_once(" at line ")
                .map_or(said.as_str(), |(m, _)| m);
            Err(broken(
                e.line(),
                e.column(),
                format!("is not valid JSON: {said}"),
            ))
        }
    }
}

/// `@scope/name/sub/path` → (`@scope/name`, `sub/path`); `name/sub` → (`name`, `sub`).
fn split_package(spec: &str) -> (&str, &str) {
    let mut idx = spec.match_indices('/').map(|(i, _)| i);
    let cut = if spec.starts_with('@') {
        idx.nth(1)
    } else {
        idx.next()
    };
    match cut {
        Some(i) => (&spec[..i], &spec[i + 1..]),
        None => (spec, ""),
    }
}

/// Resolves a subpath (`.` or `./x`) through an `exports` value.
fn resolve_exports(exports: &Value, subpath: &str) -> Option<String> {
    let is_subpath_map =
        matches!(exports, Value::Object(o) if o.keys().any(|k| k.starts_with('.')));
    if !is_subpath_map {
        return (subpath == ".")
            .then(|| resolve_target(exports, None))
            .flatten();
    }
    let map = exports.as_object()?;
    if let Some(v) = map.get(subpath) {
        return resolve_target(v, None);
    }
    // Patterns: the longest prefix before `*` wins.
    let mut best: Option<(&str, &Value, String)> = None;
    for (k, v) in map {
        let Some(star) = k.find('*') else { continue };
        let (pre, post) = (&k[..star], &k[star + 1..]);
        if subpath.len() >= pre.len() + post.len()
            && subpath.starts_with(pre)
            && subpath.ends_with(post)
        {
            let hole = subpath[pre.len()..subpath.len() - post.len()].to_string();
            if best
                .as_ref()
                .is_none_or(|(bk, _, _)| pre.len() > bk.find('*').unwrap_or(0))
            {
                best = Some((k.as_str(), v, hole));
            }
        }
    }
    let (_, v, hole) = best?;
    resolve_target(v, Some(&hole))
}

fn resolve_target(v: &Value, hole: Option<&str>) -> Option<String> {
    match v {
        Value::String(s) => Some(match hole {
            Some(h) => s.replace('*', h),
            None => s.clone(),
        }),
        Value::Object(o) => CONDITIONS
            .iter()
            .find_map(|c| o.get(*c).and_then(|v| resolve_target(v, hole))),
        Value::Array(a) => a.iter().find_map(|v| resolve_target(v, hole)),
        _ => None,
    }
}

/// The file a module path denotes, with TypeScript's extension rules.
fn probe(target: &Path) -> Option<PathBuf> {
    if target.probe_is_file() {
        return Some(target.to_path_buf());
    }
    // `./x.js` written in TypeScript source refers to `./x.ts`.
    if let Some(ext) = target.extension().and_then(|e| e.to_str()) {
        let alts: &[&str] = match ext {
            "js" => &["ts", "tsx"],
            "jsx" => &["tsx"],
            "mjs" => &["mts"],
            "cjs" => &["cts"],
            _ => &[],
        };
        for a in alts {
            let p = target.with_extension(a);
            if p.probe_is_file() {
                return Some(p);
            }
        }
    }
    for ext in EXTENSIONS {
        let mut s = target.as_os_str().to_owned();
        s.push(format!(".{ext}"));
        let p = PathBuf::from(s);
        if p.probe_is_file() {
            return Some(p);
        }
    }
    if target.probe_is_dir() {
        for ext in EXTENSIONS {
            let p = target.join(format!("index.{ext}"));
            if p.probe_is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Removes `.` and resolves `..` lexically.
pub use crate::fs::inside::normalise as normalize;

/// Directories matching a workspace glob such as `packages/*` or `plugins/*/*`.
/// Each segment is a literal or a glob; `**` matches any depth. Dot-directories and
/// `node_modules` are never workspace packages.
pub fn expand_dir_glob(repo: &Path, pattern: &str) -> Vec<PathBuf> {
    let segs: Vec<&str> = pattern
        .trim_start_matches("./")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let mut current = vec![repo.to_path_buf()];
    for (i, seg) in segs.iter().enumerate() {
        let mut next = Vec::new();
        if *seg == "**" {
            // Any depth: every directory below each current one (bounded by the walker).
            for dir in &current {
                next.push(dir.clone());
                for e in crate::fs::probe::walk(
                    ignore::WalkBuilder::new(dir)
                        .standard_filters(true)
                        .hidden(true),
                    dir,
                )
                .flatten()
                {
                    if e.file_type().is_some_and(|t| t.is_dir())
                        && !e
                            .path()
                            .components()
                            .any(|c| c.as_os_str() == "node_modules")
                    {
                        next.push(e.path().to_path_buf());
                    }
                }
            }
        } else {
            let Ok(glob) = globset::Glob::new(seg) else {
                return Vec::new();
            };
            let m = glob.compile_matcher();
            for dir in &current {
                let Ok(rd) = crate::fs::probe::read_dir(dir) else {
                    continue;
                };
                let mut names: Vec<_> = rd.flatten().collect();
                names.sort_by_key(|e| e.file_name());
                for e in names {
                    let name = e.file_name();
                    let name = name.to_string_lossy();
                    if name.starts_with('.') || name == "node_modules" {
                        continue;
                    }
                    if e.path().probe_is_dir() && m.is_match(name.as_ref()) {
                        next.push(e.path());
                    }
                }
            }
        }
        let _ = i;
        current = next;
    }
    current.sort();
    current.dedup();
    current
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(root: &Path, rel: &str, text: &str) {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }

    #[test]
    fn resolves_relative_and_workspace_exports() {
        let d = tempfile::tempdir().unwrap();
        let r = d.path();
        write(
            r,
            "package.json",
            r#"{"workspaces":["packages/*","plugins/*/*"]}"#,
        );
        write(
            r,
            "packages/hq/package.json",
            r#"{"name":"@rawr/hq","exports":{".":"./src/index.ts","./workspace":{"types":"./dist/w.d.ts","bun":"./src/workspace/index.ts"},"./lib/*":"./src/lib/*.ts"}}"#,
        );
        write(r, "packages/hq/src/index.ts", "");
        write(r, "packages/hq/src/workspace/index.ts", "");
        write(r, "packages/hq/src/lib/a.ts", "");
        write(
            r,
            "plugins/cli/plugins/package.json",
            r#"{"name":"@rawr/plugin-plugins","main":"src/main"}"#,
        );
        write(r, "plugins/cli/plugins/src/main.ts", "");
        write(r, "plugins/cli/plugins/src/lib/x.ts", "");
        write(r, "plugins/cli/plugins/src/lib/dir/index.ts", "");
        let ws = Workspace::load(r);
        assert_eq!(ws.packages.len(), 2);
        let from = r.join("plugins/cli/plugins/src/lib/y.ts");
        assert_eq!(
            ws.resolve(&from, "./x"),
            Resolution::File(r.join("plugins/cli/plugins/src/lib/x.ts"))
        );
        assert_eq!(
            ws.resolve(&from, "./x.js"),
            Resolution::File(r.join("plugins/cli/plugins/src/lib/x.ts"))
        );
        assert_eq!(
            ws.resolve(&from, "./dir"),
            Resolution::File(r.join("plugins/cli/plugins/src/lib/dir/index.ts"))
        );
        assert_eq!(
            ws.resolve(&from, "@rawr/hq"),
            Resolution::File(r.join("packages/hq/src/index.ts"))
        );
        assert_eq!(
            ws.resolve(&from, "@rawr/hq/workspace"),
            Resolution::File(r.join("packages/hq/src/workspace/index.ts"))
        );
        assert_eq!(
            ws.resolve(&from, "@rawr/hq/lib/a"),
            Resolution::File(r.join("packages/hq/src/lib/a.ts"))
        );
        assert!(matches!(
            ws.resolve(&from, "@rawr/hq/nope"),
            Resolution::NotFound(_)
        ));
        assert_eq!(
            ws.resolve(&from, "@rawr/plugin-plugins"),
            Resolution::File(r.join("plugins/cli/plugins/src/main.ts"))
        );
        assert_eq!(ws.resolve(&from, "zod"), Resolution::External("zod".into()));
        assert!(matches!(
            ws.resolve(&from, "./missing"),
            Resolution::NotFound(_)
        ));
    }
}

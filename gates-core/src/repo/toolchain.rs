//! The target's JavaScript toolchain, found from the target itself: its package manager
//! (from the lockfile), the commands that install its dependencies and run its tools, and
//! how its host is started. The pipeline's commands name these through placeholders, so one
//! pipeline fits a bun workspace and an npm one alike:
//!
//! | placeholder | expands to |
//! | --- | --- |
//! | `{install}` (a whole argument) | the install command: `bun install --frozen-lockfile`, `npm install --no-audit --no-fund --no-save`, `pnpm install --frozen-lockfile` |
//! | `{exec}` (a whole argument) | the runner of installed binaries: `bunx`, `npx`, `pnpm exec` |
//! | `{host}` (a whole argument) | the host's start command (route-probe's `start.command`; see [`HostEntry`]) |
//! | `{installed}` (in `unless_exists`) | the file an install leaves (`node_modules/.package-lock.json`, `node_modules/.modules.yaml`); bun has none, so its install runs once per process (a second when nothing changed) |
//! | `{state}` (anywhere in an argument or report path) | the tool's state directory for this target ([`crate::fs::state::state_dir`]), outside the work tree |
//!
//! Lockfiles: `bun.lock`/`bun.lockb` → bun, `pnpm-lock.yaml` → pnpm, `package-lock.json` →
//! npm; without one, `packageManager` in `package.json`, else npm.
//!
//! The toolchain shapes the commands a gate runs; a gate that runs one is judged by its
//! command inputs, not by what it read. Finding the host's entry ([`host_entry`]) asks
//! through the recorded probes: the route probe fails without starting anything when the
//! entry is missing, and that verdict is kept.
#![allow(clippy::disallowed_methods)]

use std::path::{Path, PathBuf};

use crate::error::GateError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PackageManager {
    Bun,
    Npm,
    Pnpm,
}

impl PackageManager {
    pub fn name(self) -> &'static str {
        match self {
            PackageManager::Bun => "bun",
            PackageManager::Npm => "npm",
            PackageManager::Pnpm => "pnpm",
        }
    }

    pub fn install(self) -> &'static [&'static str] {
        match self {
            PackageManager::Bun => &["bun", "install", "--frozen-lockfile"],
            // `npm ci` of npm 11 rejects a lockfile that lacks other platforms' optional
            // packages; `install --no-save` installs what the lockfile pins without rewriting it.
            PackageManager::Npm => &["npm", "install", "--no-audit", "--no-fund", "--no-save"],
            PackageManager::Pnpm => &["pnpm", "install", "--frozen-lockfile"],
        }
    }

    pub fn exec(self) -> &'static [&'static str] {
        match self {
            PackageManager::Bun => &["bunx"],
            PackageManager::Npm => &["npx"],
            PackageManager::Pnpm => &["pnpm", "exec"],
        }
    }

    /// The file a finished install leaves, when the package manager writes one.
    pub fn installed_marker(self) -> Option<&'static str> {
        match self {
            PackageManager::Bun => None,
            PackageManager::Npm => Some("node_modules/.package-lock.json"),
            PackageManager::Pnpm => Some("node_modules/.modules.yaml"),
        }
    }

    /// How to get the package manager itself when it is missing.
    pub fn install_hint(self) -> &'static str {
        match self {
            PackageManager::Bun => "npm install -g bun",
            PackageManager::Npm => "install Node.js (it ships npm)",
            PackageManager::Pnpm => "npm install -g pnpm",
        }
    }
}

/// What the toolchain was decided from, for the gate's notes.
#[derive(Clone, Debug)]
pub struct Toolchain {
    pub pm: PackageManager,
    /// `bun.lock`, `package.json packageManager`, or `default`.
    pub evidence: String,
    repo: PathBuf,
    /// The state directory, found (with a `git` call) on first use.
    state: std::sync::OnceLock<PathBuf>,
}

const LOCKFILES: &[(&str, PackageManager)] = &[
    ("bun.lock", PackageManager::Bun),
    ("bun.lockb", PackageManager::Bun),
    ("pnpm-lock.yaml", PackageManager::Pnpm),
    ("package-lock.json", PackageManager::Npm),
];

impl Toolchain {
    pub fn detect(repo: &Path) -> Toolchain {
        let state = std::sync::OnceLock::new();
        let repo_buf = repo.to_path_buf();
        for (file, pm) in LOCKFILES {
            if repo.join(file).is_file() {
                return Toolchain {
                    pm: *pm,
                    evidence: (*file).to_string(),
                    repo: repo_buf,
                    state,
                };
            }
        }
        let declared = crate::fs::careful::read(repo.join("package.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v.get("packageManager")?.as_str().map(str::to_string));
        if let Some(d) = declared {
            let pm = match d.split('@').next().unwrap_or("") {
                "bun" => Some(PackageManager::Bun),
                "pnpm" => Some(PackageManager::Pnpm),
                "npm" => Some(PackageManager::Npm),
                _ => None,
            };
            if let Some(pm) = pm {
                return Toolchain {
                    pm,
                    evidence: format!("package.json packageManager {d:?}"),
                    repo: repo_buf,
                    state,
                };
            }
        }
        Toolchain {
            pm: PackageManager::Npm,
            evidence: "no lockfile: npm by default".into(),
            repo: repo_buf,
            state,
        }
    }

    /// The tool's state directory for this target.
    pub fn state(&self) -> &Path {
        self.state
            .get_or_init(|| crate::fs::state::state_dir(&self.repo))
    }

    /// `{state}` in a string replaced by the state directory.
    pub fn expand_str(&self, s: &str) -> String {
        if s.contains("{state}") {
            s.replace("{state}", &self.state().to_string_lossy())
        } else {
            s.to_string()
        }
    }

    /// An argv with its placeholders expanded (`host` is what `{host}` stands for, when the
    /// caller knows it).
    pub fn expand(&self, argv: &[String], host: Option<&[String]>) -> Vec<String> {
        let mut out = Vec::with_capacity(argv.len() + 4);
        for a in argv {
            match a.as_str() {
                "{install}" => out.extend(self.pm.install().iter().map(|s| s.to_string())),
                "{exec}" => out.extend(self.pm.exec().iter().map(|s| s.to_string())),
                "{host}" if host.is_some() => out.extend(host.unwrap_or_default().iter().cloned()),
                _ => out.push(self.expand_str(a)),
            }
        }
        out
    }

    /// `unless_exists` with `{installed}` expanded; `None` when the marker is `{installed}`
    /// and the package manager leaves none (the setup then runs once per process).
    pub fn expand_marker(&self, marker: &str) -> Option<String> {
        if marker.contains("{installed}") {
            return self
                .pm
                .installed_marker()
                .map(|m| marker.replace("{installed}", m));
        }
        Some(self.expand_str(marker))
    }

    /// The command that installs the package manager's own tool `argv[0]` from the npm
    /// registry (`npm install -g bun`), when it is one and npm is there to run it.
    pub fn tool_install_argv(&self, argv: &[String]) -> Option<Vec<String>> {
        let tool = match argv.first()?.as_str() {
            "bun" | "bunx" => "bun",
            "pnpm" => "pnpm",
            _ => return None,
        };
        on_path("npm").then(|| {
            ["npm", "install", "-g", "--no-audit", "--no-fund", tool]
                .map(String::from)
                .to_vec()
        })
    }

    /// Fails with the command that installs the program when `argv[0]` is the package
    /// manager's own tool (`bun`/`bunx`, `pnpm`) and it is not on `PATH`.
    pub fn ensure_available(&self, argv: &[String]) -> Result<(), GateError> {
        self.ensure_available_in(argv, std::env::var_os("PATH").unwrap_or_default())
    }

    fn ensure_available_in(
        &self,
        argv: &[String],
        path: std::ffi::OsString,
    ) -> Result<(), GateError> {
        let Some(program) = argv.first() else {
            return Ok(());
        };
        let (tool, pm) = match program.as_str() {
            "bun" | "bunx" => ("bun", PackageManager::Bun),
            "pnpm" => ("pnpm", PackageManager::Pnpm),
            _ => return Ok(()),
        };
        if on_path_in(program, &path) {
            return Ok(());
        }
        Err(GateError::msg(format!(
            "`{program}` is not installed, and the target is a {tool} workspace ({}): install it with `{}`, then run again",
            self.evidence,
            pm.install_hint()
        )))
    }
}

/// Whether `program` is an executable file in a directory of `PATH`.
pub fn on_path(program: &str) -> bool {
    on_path_in(program, &std::env::var_os("PATH").unwrap_or_default())
}

fn on_path_in(program: &str, path: &std::ffi::OsStr) -> bool {
    std::env::split_paths(path).any(|d| {
        let p = d.join(program);
        p.is_file()
            && std::fs::metadata(&p).is_ok_and(|m| {
                use std::os::unix::fs::PermissionsExt;
                m.permissions().mode() & 0o111 != 0
            })
    })
}

/// The host's entry module and the program that runs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostEntry {
    /// Repository-relative path of the entry module.
    pub entry: String,
    /// The start command, run from the repository root.
    pub argv: Vec<String>,
    /// Where it was found, for the gate's notes.
    pub evidence: String,
}

const ENTRY_SCRIPTS: &[&str] = &["start", "dev", "serve"];
const ENTRY_CANDIDATES: &[&str] = &[
    "src/index.ts",
    "src/main.ts",
    "src/server.ts",
    "src/index.js",
    "src/main.js",
];
const SCRIPT_EXTENSIONS: &[&str] = &[".ts", ".tsx", ".mts", ".js", ".mjs", ".cjs"];

/// Finds how the host in `app_dir` (repository-relative, e.g. `apps/server`) starts: `entry`
/// when configured, else the module the app's `start`/`dev`/`serve` script runs, else the
/// first of `src/index.ts`, `src/main.ts`, `src/server.ts` that exists. The runner is the one
/// the script names (`bun`, `tsx`, `node`), else bun for a bun workspace and `tsx` through
/// the package manager's exec for the others.
pub fn host_entry(
    repo: &Path,
    tc: &Toolchain,
    app_dir: &str,
    entry: Option<&str>,
) -> Result<HostEntry, String> {
    let app = repo.join(app_dir);
    let mut runner: Option<String> = None;
    let mut evidence;
    let rel = if let Some(e) = entry {
        evidence = "configured `entry`".to_string();
        e.to_string()
    } else {
        let scripts = crate::fs::careful::read(app.join("package.json"))
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .and_then(|v| v.get("scripts").cloned());
        let mut found = None;
        for name in ENTRY_SCRIPTS {
            let Some(script) = scripts.as_ref().and_then(|s| s.get(name)?.as_str()) else {
                continue;
            };
            let words: Vec<&str> = script.split_whitespace().collect();
            let Some(file) = words.iter().find(|w| {
                SCRIPT_EXTENSIONS.iter().any(|x| w.ends_with(x))
                    && crate::fs::probe::is_file(app.join(w))
            }) else {
                continue;
            };
            runner = words
                .iter()
                .take_while(|w| *w != file)
                .find(|w| matches!(**w, "bun" | "tsx" | "node" | "ts-node"))
                .map(|w| w.to_string());
            found = Some((name, format!("{app_dir}/{file}")));
            break;
        }
        match found {
            Some((name, path)) => {
                evidence = format!("{app_dir}/package.json script `{name}`");
                path
            }
            None => {
                let Some(c) = ENTRY_CANDIDATES
                    .iter()
                    .find(|c| crate::fs::probe::is_file(app.join(c)))
                else {
                    return Err(format!(
                        "no host entry found in {app_dir}: no start/dev/serve script names a module, and none of {} exists; set the route probe's `entry`",
                        ENTRY_CANDIDATES.join(", ")
                    ));
                };
                evidence = format!("{app_dir}/{c} exists");
                format!("{app_dir}/{c}")
            }
        }
    };
    let rel = rel.trim_start_matches("./").to_string();
    if !crate::fs::probe::is_file(repo.join(&rel)) {
        return Err(format!("the host entry {rel} does not exist"));
    }
    let runner = runner.unwrap_or_else(|| match tc.pm {
        PackageManager::Bun => "bun".into(),
        _ => "tsx".into(),
    });
    let mut argv: Vec<String> = match runner.as_str() {
        "bun" => vec!["bun".into()],
        "node" => vec!["node".into()],
        other => tc
            .pm
            .exec()
            .iter()
            .map(|s| s.to_string())
            .chain(std::iter::once(other.to_string()))
            .collect(),
    };
    argv.push(rel.clone());
    evidence.push_str(&format!(", run with {runner}"));
    Ok(HostEntry {
        entry: rel,
        argv,
        evidence,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        for (p, text) in files {
            let p = t.path().join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        t
    }

    #[test]
    fn the_lockfile_decides_the_package_manager() {
        for (file, pm) in [
            ("bun.lock", PackageManager::Bun),
            ("bun.lockb", PackageManager::Bun),
            ("pnpm-lock.yaml", PackageManager::Pnpm),
            ("package-lock.json", PackageManager::Npm),
        ] {
            let t = tree(&[(file, "")]);
            let tc = Toolchain::detect(t.path());
            assert_eq!((tc.pm, tc.evidence.as_str()), (pm, file));
        }
        let t = tree(&[("package.json", r#"{"packageManager":"bun@1.3.7"}"#)]);
        assert_eq!(Toolchain::detect(t.path()).pm, PackageManager::Bun);
        let t = tree(&[("package.json", "{}")]);
        assert_eq!(Toolchain::detect(t.path()).pm, PackageManager::Npm);
    }

    #[test]
    fn placeholders_expand_per_package_manager() {
        let t = tree(&[("bun.lock", "")]);
        let tc = Toolchain::detect(t.path());
        let argv: Vec<String> = ["{exec}", "vitest", "--outputFile.json={state}/h/v.json"]
            .map(String::from)
            .to_vec();
        let got = tc.expand(&argv, None);
        assert_eq!(&got[..2], ["bunx", "vitest"]);
        assert_eq!(
            got[2],
            format!("--outputFile.json={}/h/v.json", tc.state().display())
        );
        assert_eq!(
            tc.expand(&["{install}".into()], None),
            ["bun", "install", "--frozen-lockfile"]
        );
        assert_eq!(tc.expand_marker("{installed}"), None);
        let t = tree(&[("pnpm-lock.yaml", "")]);
        let tc = Toolchain::detect(t.path());
        assert_eq!(
            tc.expand(&["{exec}".into(), "vitest".into()], None),
            ["pnpm", "exec", "vitest"]
        );
        assert_eq!(
            tc.expand_marker("{installed}").as_deref(),
            Some("node_modules/.modules.yaml")
        );
    }

    #[test]
    fn the_host_entry_comes_from_the_app_script_or_a_conventional_file() {
        // A bun workspace whose server's dev script runs src/index.ts with bun.
        let t = tree(&[
            ("bun.lock", ""),
            (
                "apps/server/package.json",
                r#"{"scripts":{"dev":"bun --hot src/index.ts"}}"#,
            ),
            ("apps/server/src/index.ts", ""),
        ]);
        let tc = Toolchain::detect(t.path());
        let h = host_entry(t.path(), &tc, "apps/server", None).unwrap();
        assert_eq!(h.argv, ["bun", "apps/server/src/index.ts"]);
        assert_eq!(
            h.evidence,
            "apps/server/package.json script `dev`, run with bun"
        );
        // An npm workspace whose start script uses tsx.
        let t = tree(&[
            ("package-lock.json", ""),
            (
                "apps/server/package.json",
                r#"{"scripts":{"start":"tsx src/main.ts"}}"#,
            ),
            ("apps/server/src/main.ts", ""),
        ]);
        let tc = Toolchain::detect(t.path());
        let h = host_entry(t.path(), &tc, "apps/server", None).unwrap();
        assert_eq!(h.argv, ["npx", "tsx", "apps/server/src/main.ts"]);
        // No script: the conventional file, run by the workspace's runner.
        let t = tree(&[("bun.lock", ""), ("apps/server/src/main.ts", "")]);
        let tc = Toolchain::detect(t.path());
        let h = host_entry(t.path(), &tc, "apps/server", None).unwrap();
        assert_eq!(h.argv, ["bun", "apps/server/src/main.ts"]);
        // Configured, and a configured entry that does not exist.
        let h = host_entry(
            t.path(),
            &tc,
            "apps/server",
            Some("apps/server/src/main.ts"),
        )
        .unwrap();
        assert_eq!(h.evidence, "configured `entry`, run with bun");
        let e = host_entry(t.path(), &tc, "apps/server", Some("apps/x.ts")).unwrap_err();
        assert_eq!(e, "the host entry apps/x.ts does not exist");
        let t = tree(&[("bun.lock", "")]);
        let e = host_entry(t.path(), &tc, "apps/server", None).unwrap_err();
        assert!(e.starts_with("no host entry found in apps/server"), "{e}");
    }

    #[test]
    fn a_missing_bun_is_named_with_the_command_that_installs_it() {
        let t = tree(&[("bun.lock", "")]);
        let tc = Toolchain::detect(t.path());
        let empty = tempfile::tempdir().unwrap();
        let path = empty.path().as_os_str().to_os_string();
        let e = tc
            .ensure_available_in(&["bun".into(), "install".into()], path.clone())
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "`bun` is not installed, and the target is a bun workspace (bun.lock): install it with `npm install -g bun`, then run again"
        );
        // Other programs are the command's own business (a spawn error names them).
        assert!(
            tc.ensure_available_in(&["npx".into()], path.clone())
                .is_ok()
        );
        // Found on PATH: fine.
        let bin = empty.path().join("bunx");
        std::fs::write(&bin, "#!/bin/sh\n").unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&bin, std::fs::Permissions::from_mode(0o755)).unwrap();
        assert!(tc.ensure_available_in(&["bunx".into()], path).is_ok());
    }

    /// A missing entry fails the route probe before anything starts, and that failure is
    /// kept: every path the search looked at is recorded, so creating the entry judges again.
    #[test]
    fn the_host_entry_search_records_where_it_looked() {
        let t = tree(&[("bun.lock", ""), ("apps/server/package.json", "{}")]);
        let tc = Toolchain::detect(t.path());
        let rec = crate::fs::record::Recorder::new(t.path());
        let found = crate::fs::record::scope(Some(rec.clone()), || {
            host_entry(t.path(), &tc, "apps/server", None)
        });
        assert!(found.is_err());
        let got = rec.finish();
        for c in ENTRY_CANDIDATES {
            let key = format!("F./apps/server/{c}");
            assert_eq!(
                got.probes.get(&key).map(String::as_str),
                Some("absent"),
                "{key}"
            );
        }
    }
}

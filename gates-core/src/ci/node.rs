//! The target's JavaScript toolchain in the generated stage jobs: which package manager the
//! target uses, and the steps that set it up with a dependency cache keyed on its lockfile.
//!
//! The package manager follows the target's lockfile, by the one rule the gates' commands use
//! too (`repo::toolchain`): `bun.lock`/`bun.lockb` → bun, `pnpm-lock.yaml` → pnpm,
//! `package-lock.json` → npm, else a `packageManager` field in `package.json`, else npm. Each gets the
//! cache its own tooling provides: `actions/setup-node`'s `cache:` for npm and pnpm (after
//! `pnpm/action-setup`, which setup-node needs to find the pnpm store), and `actions/cache`
//! over bun's install cache for bun (after `oven-sh/setup-bun`). Node is set up in every
//! case, since gates run `node`/`npx` tools of the target whatever installs them.

use crate::fs::probe::Probe;
use std::collections::BTreeMap;
use std::path::Path;

use super::actions;
use super::config::{CiConfig, PackageManagerChoice, Scalar, Step, StepAction};

/// A package manager the generated jobs know how to set up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PackageManager {
    Npm,
    Pnpm,
    Bun,
}

impl PackageManager {
    pub fn as_str(self) -> &'static str {
        match self {
            PackageManager::Npm => "npm",
            PackageManager::Pnpm => "pnpm",
            PackageManager::Bun => "bun",
        }
    }

    /// The lockfiles of this package manager, preferred first.
    pub fn lockfiles(self) -> &'static [&'static str] {
        match self {
            PackageManager::Npm => &["package-lock.json"],
            PackageManager::Pnpm => &["pnpm-lock.yaml"],
            PackageManager::Bun => &["bun.lock", "bun.lockb"],
        }
    }

    /// The install command that keeps the lockfile as it is.
    ///
    /// npm: `npm install --no-save` rather than `npm ci`, because `npm ci` of npm 11 rejects
    /// a lockfile that lacks other platforms' optional packages, which lockfiles written on
    /// one platform often do; `--no-save` still installs what the lockfile pins.
    pub fn install_command(self, has_lockfile: bool) -> &'static str {
        match (self, has_lockfile) {
            (PackageManager::Npm, _) => "npm install --no-audit --no-fund --no-save",
            (PackageManager::Pnpm, true) => "pnpm install --frozen-lockfile",
            (PackageManager::Pnpm, false) => "pnpm install",
            (PackageManager::Bun, true) => "bun install --frozen-lockfile",
            (PackageManager::Bun, false) => "bun install",
        }
    }
}

/// What the stage jobs set up for the target: its package manager and lockfile (relative to
/// the target directory), when there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toolchain {
    pub manager: PackageManager,
    pub lockfile: Option<&'static str>,
    /// The `packageManager` field of the target's `package.json`, when it names `manager`
    /// (pnpm and bun setup actions read their version from it).
    pub pinned_version: bool,
}

/// The `packageManager` field of `dir/package.json` (`"bun@1.2.3"`), if any.
fn package_manager_field(dir: &Path) -> Option<String> {
    let text = crate::fs::careful::read_to_string(dir.join("package.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).ok()?;
    v.get("packageManager")?.as_str().map(str::to_string)
}

fn named(field: &str) -> Option<PackageManager> {
    let name = field.split('@').next()?;
    match name {
        "npm" => Some(PackageManager::Npm),
        "pnpm" => Some(PackageManager::Pnpm),
        "bun" => Some(PackageManager::Bun),
        _ => None,
    }
}

/// The package manager of the target at `dir`, by the rule the gates' own commands follow
/// ([`crate::repo::toolchain::Toolchain::detect`]: the lockfile, else the `packageManager`
/// field, else npm), so the workflow sets up what the gates then run; none when `dir` has
/// neither a lockfile nor a `package.json` (no JavaScript project to set up).
pub fn detect(dir: &Path) -> Option<PackageManager> {
    use crate::repo::toolchain::{PackageManager as Pm, Toolchain};
    let any_lockfile = [
        PackageManager::Bun,
        PackageManager::Pnpm,
        PackageManager::Npm,
    ]
    .iter()
    .any(|pm| pm.lockfiles().iter().any(|f| dir.join(f).probe_is_file()));
    if !any_lockfile && !dir.join("package.json").probe_is_file() {
        return None;
    }
    Some(match Toolchain::detect(dir).pm {
        Pm::Bun => PackageManager::Bun,
        Pm::Npm => PackageManager::Npm,
        Pm::Pnpm => PackageManager::Pnpm,
    })
}

/// The toolchain the stage jobs set up for the target at `dir` under `choice`.
pub fn toolchain(choice: PackageManagerChoice, dir: &Path) -> Option<Toolchain> {
    let manager = match choice {
        PackageManagerChoice::None => return None,
        PackageManagerChoice::Auto => detect(dir)?,
        PackageManagerChoice::Npm => PackageManager::Npm,
        PackageManagerChoice::Pnpm => PackageManager::Pnpm,
        PackageManagerChoice::Bun => PackageManager::Bun,
    };
    let lockfile = manager
        .lockfiles()
        .iter()
        .copied()
        .find(|f| dir.join(f).probe_is_file());
    let pinned_version = package_manager_field(dir)
        .as_deref()
        .and_then(named)
        .is_some_and(|pm| pm == manager);
    Some(Toolchain {
        manager,
        lockfile,
        pinned_version,
    })
}

/// A step that runs an action with its `with:` inputs.
pub(super) fn uses(name: &str, action: &str, with: &[(&str, Scalar)]) -> Step {
    Step {
        name: name.into(),
        id: None,
        condition: None,
        action: StepAction::Uses {
            uses: action.into(),
            with: with
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        },
        env: BTreeMap::new(),
    }
}

fn s(v: &str) -> Scalar {
    Scalar::Str(v.to_string())
}

/// `dir/file` with `/`, or `file` when `dir` is the checkout root.
fn join(dir: &str, file: &str) -> String {
    if dir.is_empty() || dir == "." {
        file.to_string()
    } else {
        format!("{}/{file}", dir.trim_end_matches('/'))
    }
}

/// The steps that set up `tc` for the target at `dir` (relative to the checkout root,
/// `/`-separated) and install its dependencies.
pub fn steps(cfg: &CiConfig, tc: &Toolchain, dir: &str) -> Vec<Step> {
    let mut out = Vec::new();
    let node_version = ("node-version", s(cfg.node_version.as_str()));
    let lock_path = tc.lockfile.map(|f| join(dir, f));
    match tc.manager {
        PackageManager::Npm | PackageManager::Pnpm => {
            if tc.manager == PackageManager::Pnpm {
                let version = if tc.pinned_version {
                    ("package_json_file", s(&join(dir, "package.json")))
                } else {
                    ("version", s(actions::PNPM_VERSION))
                };
                out.push(uses("pnpm", actions::SETUP_PNPM, &[version]));
            }
            let mut with = vec![node_version];
            if let Some(lock) = &lock_path {
                with.push(("cache", s(tc.manager.as_str())));
                with.push(("cache-dependency-path", s(lock)));
            } else {
                // Without a lockfile there is nothing to key a cache on; setup-node's
                // automatic cache would fail looking for one.
                with.push(("package-manager-cache", Scalar::Bool(false)));
            }
            out.push(uses("Node.js", actions::SETUP_NODE, &with));
        }
        PackageManager::Bun => {
            out.push(uses(
                "Node.js",
                actions::SETUP_NODE,
                &[node_version, ("package-manager-cache", Scalar::Bool(false))],
            ));
            let version = if tc.pinned_version {
                ("bun-version-file", s(&join(dir, "package.json")))
            } else {
                ("bun-version", s("latest"))
            };
            out.push(uses("Bun", actions::SETUP_BUN, &[version]));
            if let Some(lock) = &lock_path {
                out.push(uses(
                    "Bun install cache",
                    actions::CACHE,
                    &[
                        ("path", s("~/.bun/install/cache")),
                        (
                            "key",
                            s(&format!(
                                "bun-${{{{ runner.os }}}}-${{{{ hashFiles('{lock}') }}}}"
                            )),
                        ),
                        ("restore-keys", s("bun-${{ runner.os }}-")),
                    ],
                ));
            }
        }
    }
    let install = cfg
        .install
        .as_ref()
        .map(|c| c.as_str().to_string())
        .unwrap_or_else(|| tc.manager.install_command(tc.lockfile.is_some()).into());
    out.push(Step {
        name: "Install the target's dependencies".into(),
        id: None,
        condition: None,
        action: StepAction::Run {
            run: install,
            shell: None,
            working_directory: (!dir.is_empty() && dir != ".").then(|| dir.to_string()),
        },
        env: BTreeMap::new(),
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let d = tempfile::tempdir().unwrap();
        for (f, text) in files {
            std::fs::write(d.path().join(f), text).unwrap();
        }
        d
    }

    #[test]
    fn the_lockfile_names_the_package_manager() {
        type Files<'a> = &'a [(&'a str, &'a str)];
        let cases: &[(Files, Option<PackageManager>)] = &[
            (
                &[("package.json", "{}"), ("bun.lock", "")],
                Some(PackageManager::Bun),
            ),
            (&[("bun.lockb", "")], Some(PackageManager::Bun)),
            (&[("pnpm-lock.yaml", "")], Some(PackageManager::Pnpm)),
            (&[("package-lock.json", "{}")], Some(PackageManager::Npm)),
            (&[("package.json", "{}")], Some(PackageManager::Npm)),
            (&[("README.md", "")], None),
            // The lockfile decides first, as for the gates' own commands; the field decides
            // where there is none.
            (
                &[
                    ("package.json", r#"{"packageManager":"pnpm@10.1.0"}"#),
                    ("package-lock.json", "{}"),
                ],
                Some(PackageManager::Npm),
            ),
            (
                &[("package.json", r#"{"packageManager":"pnpm@10.1.0"}"#)],
                Some(PackageManager::Pnpm),
            ),
        ];
        for (files, want) in cases {
            let d = tree(files);
            assert_eq!(detect(d.path()), *want, "{files:?}");
        }
    }

    #[test]
    fn each_package_manager_gets_its_cache_and_frozen_install() {
        let cfg = CiConfig::default();
        let names = |steps: &[Step]| -> Vec<String> {
            steps
                .iter()
                .map(|s| match &s.action {
                    StepAction::Uses { uses, with } => format!(
                        "{uses} {}",
                        with.iter()
                            .map(|(k, v)| format!("{k}={v:?}"))
                            .collect::<Vec<_>>()
                            .join(" ")
                    ),
                    StepAction::Run {
                        run,
                        working_directory,
                        ..
                    } => format!("run {run} in {working_directory:?}"),
                })
                .collect()
        };
        let d = tree(&[("package.json", "{}"), ("bun.lock", "")]);
        let tc = toolchain(PackageManagerChoice::Auto, d.path()).unwrap();
        assert_eq!(
            names(&steps(&cfg, &tc, "app")),
            [
                format!(
                    "{} node-version=Str(\"24\") package-manager-cache=Bool(false)",
                    actions::SETUP_NODE
                ),
                format!("{} bun-version=Str(\"latest\")", actions::SETUP_BUN),
                format!(
                    "{} key=Str(\"bun-${{{{ runner.os }}}}-${{{{ hashFiles('app/bun.lock') }}}}\") path=Str(\"~/.bun/install/cache\") restore-keys=Str(\"bun-${{{{ runner.os }}}}-\")",
                    actions::CACHE
                ),
                "run bun install --frozen-lockfile in Some(\"app\")".to_string(),
            ]
        );
        let d = tree(&[
            ("package.json", r#"{"packageManager":"pnpm@10.1.0"}"#),
            ("pnpm-lock.yaml", ""),
        ]);
        let tc = toolchain(PackageManagerChoice::Auto, d.path()).unwrap();
        assert_eq!(
            names(&steps(&cfg, &tc, ".")),
            [
                format!(
                    "{} package_json_file=Str(\"package.json\")",
                    actions::SETUP_PNPM
                ),
                format!(
                    "{} cache=Str(\"pnpm\") cache-dependency-path=Str(\"pnpm-lock.yaml\") node-version=Str(\"24\")",
                    actions::SETUP_NODE
                ),
                "run pnpm install --frozen-lockfile in None".to_string(),
            ]
        );
        let d = tree(&[("package-lock.json", "{}")]);
        let tc = toolchain(PackageManagerChoice::Auto, d.path()).unwrap();
        assert_eq!(
            names(&steps(&cfg, &tc, "examples/hq")),
            [
                format!(
                    "{} cache=Str(\"npm\") cache-dependency-path=Str(\"examples/hq/package-lock.json\") node-version=Str(\"24\")",
                    actions::SETUP_NODE
                ),
                "run npm install --no-audit --no-fund --no-save in Some(\"examples/hq\")"
                    .to_string(),
            ]
        );
        // `none`, and an explicit choice over what the lockfile says.
        assert_eq!(toolchain(PackageManagerChoice::None, d.path()), None);
        assert_eq!(
            toolchain(PackageManagerChoice::Bun, d.path())
                .unwrap()
                .manager,
            PackageManager::Bun
        );
    }
}

//! Check `discovery-roots`: each workspace discovery implementation really scans all five
//! plugin roots (SPEC §2; slice A2).
//!
//! What it checks: for each configured implementation (default: the two of SPEC §1), the
//! TypeScript is parsed and every place a scan path is built is found: `path.join(…,
//! "plugins", x)` / `resolve`, template strings `` `${ws}/plugins/${x}` ``, `+` chains,
//! `[…].join("/")` and glob strings (`plugins/*/*/package.json`). The value of `x` is
//! evaluated statically: literals, loops over arrays, `Object.keys`/`entries` of a map,
//! `.map`/`.forEach` callbacks, a helper called once per root, constants imported from other
//! modules, `readdir` of the plugins directory (every root). The roots covered are the union
//! over those scan paths. A constant that lists five roots but never reaches a scan path does
//! not count: the user's repository had exactly that (a contract constant naming five roots
//! while discovery scanned three).
//!
//! Forwarding: an implementation that re-exports another module, or calls a function it
//! imports, is judged together with what it forwards to (relative imports and workspace
//! package `exports`).
//!
//! Why: A2 added `plugins/api/*` and `plugins/workflows/*`; a discovery path that still scans
//! three roots silently drops those plugins at runtime.
//!
//! How to fix: build the scan paths from the full list of roots (ideally the shared
//! contract's constant) in the reported implementation.

use serde::Deserialize;

use crate::checks::{
    Capability, CheckCtx, CheckDef, CheckOutput, ParamError, Rule, common, error, no_roles,
    parse_params,
};
use crate::error::GateError;
use crate::finding::Finding;
use crate::repo::flow::{self, Modules, Strs};
use crate::repo::plugins::DEFAULT_ROOTS;
use crate::repo::workspace::Workspace;

/// SPEC §1: the two workspace discovery implementations.
pub const DEFAULT_IMPLEMENTATIONS: [&str; 2] = [
    "packages/hq/src/workspace/plugins.ts",
    "plugins/cli/plugins/src/lib/workspace-plugins.ts",
];

/// How many modules a forwarding chain may span before the check stops following it.
const MAX_MODULES: usize = 64;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// Discovery implementations (repository-relative TS/JS files).
    #[serde(default)]
    implementations: Option<Vec<String>>,
    /// The roots every implementation must scan.
    #[serde(default)]
    roots: Option<Vec<String>>,
}

pub fn def() -> CheckDef {
    CheckDef {
        name: "discovery-roots",
        summary: "each discovery implementation builds scan paths for all five plugin roots",
        capabilities: &[Capability::WorkTree],
        rules: &[
            RULES,
            common::DISCOVERY,
            common::FORWARDING,
            common::SOURCES,
            common::SYNTAX,
        ],
        parts: None,
        aliases: &[],
        roles: no_roles,
        validate,
        run,
    }
}

const FIX: &str = "build the scan paths from the full list of roots (ideally the shared contract's constant) in the reported implementation";

/// Every rule of the discovery-roots check.
pub const RULES: &[Rule] = &[
    error(
        "no-scan-path",
        "a discovery implementation, with the modules it forwards to, builds no plugin scan path at all",
        "build the scan paths as `path.join(workspaceRoot, \"plugins\", root)` over every root",
    ),
    error(
        "missing-discovery-roots",
        "the scan paths a discovery implementation builds (their roots evaluated statically) do not cover every configured root; a constant listing the roots that never reaches a scan path does not count",
        FIX,
    ),
];

fn validate(t: &toml::Table) -> Result<(), ParamError> {
    let p: Params = parse_params(t)?;
    if p.implementations.as_ref().is_some_and(Vec::is_empty) {
        return Err(ParamError {
            message: "`implementations` must name at least one file".into(),
            key: Some("implementations".into()),
        });
    }
    if p.roots.as_ref().is_some_and(Vec::is_empty) {
        return Err(ParamError {
            message: "`roots` must name at least one root".into(),
            key: Some("roots".into()),
        });
    }
    Ok(())
}

fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let p: Params = ctx.params()?;
    let implementations: Vec<String> = p.implementations.unwrap_or_else(|| {
        DEFAULT_IMPLEMENTATIONS
            .iter()
            .map(|s| s.to_string())
            .collect()
    });
    let roots: Vec<String> = p
        .roots
        .unwrap_or_else(|| DEFAULT_ROOTS.iter().map(|(r, _)| r.to_string()).collect());
    check_repo(ctx.repo, &implementations, &roots)
}

/// Replaces the holes of a scan's roots (parameters of an exported function) by what the
/// callers in the implementation's module closure pass, or by the parameter's default when
/// no module of the closure calls it. One level deep: a hole filled with another hole is
/// taken at its default.
fn fill_holes(
    modules: &Modules,
    closure: &[flow::Summary],
    at: &flow::Summary,
    roots: &Strs,
) -> Strs {
    let mut out = Strs {
        holes: Default::default(),
        ..roots.clone()
    };
    for hole in &roots.holes {
        let mut supplied: Option<Strs> = None;
        for caller in closure.iter().filter(|c| c.path != at.path) {
            if let Some(v) = modules.call_args(&caller.path, &at.path, hole) {
                supplied = Some(match supplied {
                    Some(s) => s.union(v),
                    None => v,
                });
            }
        }
        let v = supplied
            .or_else(|| hole.default.as_deref().cloned())
            .unwrap_or_else(|| Strs {
                unresolved: true,
                ..Strs::default()
            });
        let inner_holes = v.holes.clone();
        out = out.union(Strs {
            holes: Default::default(),
            ..v
        });
        for h in inner_holes {
            out = out.union(match h.default {
                Some(d) => Strs {
                    holes: Default::default(),
                    ..*d
                },
                None => Strs {
                    unresolved: true,
                    ..Strs::default()
                },
            });
        }
    }
    out
}

/// Runs the check on `repo`.
pub fn check_repo(
    repo: &std::path::Path,
    implementations: &[String],
    roots: &[String],
) -> Result<CheckOutput, GateError> {
    crate::repo::workspace::check_root_manifest(repo)?;
    let ws = Workspace::load(repo);
    let modules = Modules::new(repo, &ws);
    let mut out = CheckOutput::default();
    for imp in implementations {
        let Some(path) = crate::checks::discovery_implementation(repo, imp, &mut out)? else {
            continue;
        };
        let (closure, problems) = flow::forwarding_closure(&modules, &path, MAX_MODULES);
        out.findings.extend(problems);
        let mut judgeable = true;
        for s in &closure {
            if !s.errors.is_empty() {
                judgeable = false;
                out.findings.extend(s.errors.iter().cloned());
            }
        }
        if closure.is_empty() || !judgeable {
            continue;
        }
        let mut covered = std::collections::BTreeSet::new();
        let mut unresolved = Vec::new();
        let mut first_scan = None;
        for s in closure.iter().filter(|s| s.used) {
            for scan in &s.scans {
                let effective = fill_holes(&modules, &closure, s, &scan.roots);
                covered.extend(effective.covers(roots));
                if effective.unresolved {
                    unresolved.push(format!("{}:{}:{}", s.rel, scan.line, scan.col));
                }
                first_scan.get_or_insert((s.rel.clone(), scan.line, scan.col));
            }
        }
        let via: Vec<&str> = closure
            .iter()
            .filter(|s| s.used)
            .map(|s| s.rel.as_str())
            .collect();
        let missing: Vec<&str> = roots
            .iter()
            .filter(|r| !covered.contains(*r))
            .map(String::as_str)
            .collect();
        let list = |v: &[&str]| {
            v.iter()
                .map(|r| format!("plugins/{r}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let unresolved_note = if unresolved.is_empty() {
            String::new()
        } else {
            format!(
                "; the roots of the scan path(s) at {} could not be determined statically",
                unresolved.join(", ")
            )
        };
        match first_scan {
            None => {
                let (line, col) = closure[0]
                    .first_function
                    .as_ref()
                    .map(|(_, l, c)| (*l, *c))
                    .unwrap_or((1, 1));
                out.findings.push(
                    Finding::error(
                        "no-scan-path",
                        closure[0].rel.clone(),
                        line,
                        col,
                        format!(
                            "discovery implementation {imp} builds no plugin scan path (looked in {}); missing roots: {}",
                            via.join(", "),
                            list(&missing)
                        ),
                    )
                    .with_help("build the scan paths as path.join(workspaceRoot, \"plugins\", root) over all five roots"),
                );
            }
            Some((rel, line, col)) if !missing.is_empty() => {
                let covered: Vec<&str> = roots
                    .iter()
                    .filter(|r| covered.contains(*r))
                    .map(String::as_str)
                    .collect();
                out.findings.push(
                    Finding::error(
                        "missing-discovery-roots",
                        rel,
                        line,
                        col,
                        format!(
                            "discovery implementation {imp} does not scan {} (scans: {}){unresolved_note}",
                            list(&missing),
                            if covered.is_empty() { "none".into() } else { list(&covered) },
                        ),
                    )
                    .with_help("iterate every discovery root where the scan paths are built"),
                );
            }
            Some(_) => out.notes.push(format!(
                "{imp}: scans all {} roots (modules: {})",
                roots.len(),
                via.join(" → ")
            )),
        }
    }
    Ok(out)
}

//! Check `metadata-contract`: every plugin manifest follows the `rawr.kind` +
//! `rawr.capability` contract (SPEC §2; slices A1 and A6).
//!
//! What it checks, for each `plugins/<root>/<name>/package.json` under the configured roots:
//! the file is readable UTF-8 JSON without a BOM or duplicate keys; it is an object with an
//! object `rawr`; `rawr.kind` is one of the known kinds and matches its discovery root;
//! `rawr.capability` is a non-blank string; no forbidden legacy key (`templateRole`,
//! `channel`, `publishTier`, `published`) appears anywhere under `rawr`; and no two plugins
//! claim the same kind + capability. Every violation is reported (not just the first) at the
//! `line:col` of the offending key or value, or of `rawr` when something in it is missing.
//!
//! Why: runtime identity is `rawr.kind` + `rawr.capability` + manifest registration; the
//! legacy keys encoded command surfaces ("Channel A/B") as runtime metadata and were
//! hard-deleted. A manifest the runtime cannot load, or two plugins with one identity, break
//! discovery silently, so those fail too.
//!
//! How to fix: edit the named manifest at the reported position: add the missing field,
//! delete the legacy key, make the kind match the directory the plugin lives in, or give the
//! duplicate plugin its own capability.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::checks::{
    Capability, CheckCtx, CheckDef, CheckOutput, ParamError, Rule, error, parse_params,
};
use crate::error::GateError;
use crate::finding::Finding;
use crate::fs::source::{self, SourceFile};
use crate::repo::json::{self, Member, Node, Value};
use crate::repo::plugins::{self, DEFAULT_PLUGINS_DIR, DEFAULT_ROOTS, PluginDir};

/// The legacy keys hard-deleted from the manifest contract.
pub const FORBIDDEN_KEYS: [&str; 4] = ["templateRole", "channel", "publishTier", "published"];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// Directory holding the discovery roots (default `plugins`).
    #[serde(default)]
    plugins_dir: Option<String>,
    /// Discovery root → required `rawr.kind` (default: SPEC §2's five roots).
    #[serde(default)]
    roots: Option<BTreeMap<String, String>>,
    /// Keys forbidden anywhere under `rawr` (default: the four legacy keys).
    #[serde(default)]
    forbidden_keys: Option<Vec<String>>,
}

/// The configuration the check runs with, defaults applied.
#[derive(Clone, Debug)]
pub struct Config {
    pub plugins_dir: String,
    /// (root, kind), in discovery order.
    pub roots: Vec<(String, String)>,
    pub forbidden_keys: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            plugins_dir: DEFAULT_PLUGINS_DIR.into(),
            roots: DEFAULT_ROOTS
                .iter()
                .map(|(r, k)| (r.to_string(), k.to_string()))
                .collect(),
            forbidden_keys: FORBIDDEN_KEYS.iter().map(|k| k.to_string()).collect(),
        }
    }
}

impl Config {
    fn from_params(p: Params) -> Result<Config, String> {
        let mut c = Config::default();
        if let Some(d) = p.plugins_dir {
            c.plugins_dir = d;
        }
        if let Some(r) = p.roots {
            if r.is_empty() {
                return Err("`roots` must name at least one discovery root".into());
            }
            // Keep the SPEC order for known roots, then the rest alphabetically.
            let mut v: Vec<(String, String)> = r.into_iter().collect();
            v.sort_by_key(|(root, _)| {
                DEFAULT_ROOTS
                    .iter()
                    .position(|(d, _)| d == root)
                    .unwrap_or(usize::MAX)
            });
            c.roots = v;
        }
        if let Some(k) = p.forbidden_keys {
            c.forbidden_keys = k;
        }
        Ok(c)
    }
}

pub fn def() -> CheckDef {
    CheckDef {
        name: "metadata-contract",
        summary: "plugin manifests carry rawr.kind (matching their root) and rawr.capability, no legacy keys, no duplicate identities",
        capabilities: &[Capability::WorkTree],
        rules: &[RULES, super::common::SOURCES],
        parts: None,
        aliases: &[],
        validate,
        roles: super::no_roles,
        run,
    }
}

const FIX: &str = "edit the named manifest at the reported position: add the missing field, delete the legacy key, make the kind match the directory the plugin lives in, or give the duplicate plugin its own capability";

/// Every rule of the metadata-contract check.
pub const RULES: &[Rule] = &[
    error(
        "manifest-unreadable",
        "a plugin manifest cannot be read as text: a symlink loop, a link out of the target, not a regular file, over the size cap, binary or not UTF-8",
        "make the manifest a regular UTF-8 JSON file of the plugin",
    ),
    error(
        "manifest-bom",
        "the manifest starts with a byte order mark, which `JSON.parse` rejects",
        "save the file as UTF-8 without BOM",
    ),
    error(
        "manifest-syntax",
        "the manifest is not valid JSON",
        "fix the JSON at the position given",
    ),
    error(
        "duplicate-key",
        "a key repeats in one object of the manifest (`JSON.parse` keeps only the last)",
        "keep one of the two keys",
    ),
    error(
        "manifest-not-object",
        "the manifest is not a JSON object",
        FIX,
    ),
    error(
        "missing-rawr",
        "the manifest has no `rawr` member",
        "add \"rawr\": { \"kind\": \"<kind of its root>\", \"capability\": \"<name>\" }",
    ),
    error("rawr-not-object", "`rawr` is not an object", FIX),
    error("missing-kind", "`rawr.kind` is missing", FIX),
    error(
        "invalid-kind",
        "`rawr.kind` is not a string, or not one of the kinds of the configured roots",
        FIX,
    ),
    error(
        "kind-root-mismatch",
        "`rawr.kind` is a known kind, but not the one the plugin's discovery root requires",
        FIX,
    ),
    error("missing-capability", "`rawr.capability` is missing", FIX),
    error("blank-capability", "`rawr.capability` is blank", FIX),
    error(
        "invalid-capability",
        "`rawr.capability` is not a string",
        FIX,
    ),
    error(
        "forbidden-legacy-key",
        "a forbidden legacy key (`templateRole`, `channel`, `publishTier`, `published` by default) anywhere under `rawr`, arrays included",
        "delete it; runtime identity is rawr.kind + rawr.capability",
    ),
    error(
        "duplicate-identity",
        "two plugins claim the same `rawr.kind` + `rawr.capability` (reported at each later claim)",
        "each plugin needs its own rawr.kind + rawr.capability",
    ),
    error(
        "no-plugins",
        "no plugin manifest is found under the discovery roots (a wrong `plugins_dir`, roots or target would otherwise look green)",
        "check the gate's `plugins_dir` and `roots` and the target repository",
    ),
];

fn validate(t: &toml::Table) -> Result<(), ParamError> {
    let p: Params = parse_params(t)?;
    Config::from_params(p)
        .map(|_| ())
        .map_err(|message| ParamError {
            message,
            key: Some("roots".into()),
        })
}

fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let p: Params = ctx.params()?;
    let cfg = Config::from_params(p).map_err(GateError::msg)?;
    check_repo(ctx.repo, &cfg)
}

/// The claim a valid manifest makes, for the duplicate-identity check.
struct Identity {
    kind: String,
    capability: String,
    path: String,
    line: u32,
    col: u32,
}

/// Runs the whole check on `repo` (also used by the benchmark).
pub fn check_repo(repo: &std::path::Path, cfg: &Config) -> Result<CheckOutput, GateError> {
    let roots: Vec<&str> = cfg.roots.iter().map(|(r, _)| r.as_str()).collect();
    let found = plugins::candidates(repo, &cfg.plugins_dir, &roots)?;
    let mut out = CheckOutput {
        findings: found.problems,
        notes: Vec::new(),
    };
    if !found.missing_roots.is_empty() {
        out.notes.push(format!(
            "no plugins: discovery root(s) absent: {}",
            found
                .missing_roots
                .iter()
                .map(|r| format!("{}/{r}", cfg.plugins_dir))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let results = check_manifests(repo, cfg, &found.plugins);
    let mut identities = Vec::new();
    let mut checked = 0;
    for r in results {
        // `None`: the directory holds no package.json, so it is not a plugin.
        let Some((findings, identity)) = r else {
            continue;
        };
        checked += 1;
        out.findings.extend(findings);
        identities.extend(identity);
    }

    out.notes.push(format!(
        "{checked} plugin manifest(s) checked under {}/{{{}}}",
        cfg.plugins_dir,
        roots.join(",")
    ));
    if checked == 0 && out.findings.is_empty() {
        // Nothing to judge is not a pass: a wrong `plugins_dir` or target would look green.
        out.findings.push(
            Finding::general(
                "no-plugins",
                format!(
                    "no plugin manifest found under {}/{{{}}}/*/package.json",
                    cfg.plugins_dir,
                    roots.join(",")
                ),
            )
            .with_help("check the gate's `plugins_dir` and `roots` and the target repository"),
        );
    }

    // Two plugins with one kind + capability: reported at each later claim.
    let mut seen: BTreeMap<(String, String), &Identity> = BTreeMap::new();
    for id in &identities {
        let key = (id.kind.clone(), id.capability.clone());
        match seen.get(&key) {
            Some(first) => out.findings.push(
                Finding::error(
                    "duplicate-identity",
                    id.path.clone(),
                    id.line,
                    id.col,
                    format!(
                        "kind `{}` + capability `{}` is already claimed by {}:{}:{}",
                        id.kind, id.capability, first.path, first.line, first.col
                    ),
                )
                .with_help("each plugin needs its own rawr.kind + rawr.capability"),
            ),
            None => {
                seen.insert(key, id);
            }
        }
    }
    Ok(out)
}

/// Checks each manifest; parallel over two threads (manifests are independent).
fn check_manifests(
    repo: &std::path::Path,
    cfg: &Config,
    plugins: &[PluginDir],
) -> Vec<Option<(Vec<Finding>, Option<Identity>)>> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    if threads <= 1 || plugins.len() < 64 {
        return plugins.iter().map(|p| check_one(repo, cfg, p)).collect();
    }
    let chunk = plugins.len().div_ceil(threads);
    let rec = crate::fs::record::current();
    std::thread::scope(|s| {
        let handles: Vec<_> = plugins
            .chunks(chunk)
            .map(|c| {
                let rec = rec.clone();
                s.spawn(move || {
                    crate::fs::record::scope(rec, || {
                        c.iter()
                            .map(|p| check_one(repo, cfg, p))
                            .collect::<Vec<_>>()
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    })
}

fn check_one(
    repo: &std::path::Path,
    cfg: &Config,
    plugin: &PluginDir,
) -> Option<(Vec<Finding>, Option<Identity>)> {
    let file = match read_manifest(repo, plugin)? {
        Ok(f) => f,
        Err(e) => {
            let mut f = e.finding;
            // What the file is; a read the system refused stays "could not judge".
            if f.rule != crate::fs::source::READ_FAILED {
                f.rule = "manifest-unreadable".into();
            }
            return Some((vec![f], None));
        }
    };
    let mut findings = Vec::new();
    if file.had_bom {
        findings.push(
            Finding::error(
                "manifest-bom",
                file.rel.clone(),
                1,
                1,
                "manifest starts with a byte order mark; JSON.parse rejects it",
            )
            .with_help("save the file as UTF-8 without BOM"),
        );
    }
    // Only `rawr` is judged; the rest is still checked for syntax and repeated keys.
    let doc = match json::parse_keeping(&file.text, &["rawr"]) {
        Ok(d) => d,
        Err(e) => {
            findings.push(file.finding_at(
                "manifest-syntax",
                e.offset,
                format!("invalid JSON: {}", e.message),
            ));
            return Some((findings, None));
        }
    };
    for d in &doc.duplicates {
        let (l, c) = file.line_col(d.first.start);
        findings.push(file.finding_at(
            "duplicate-key",
            d.duplicate.start,
            format!(
                "key `{}` repeats the one at {l}:{c}; JSON.parse keeps only the last",
                d.key
            ),
        ));
    }
    let kind_for_root = cfg
        .roots
        .iter()
        .find(|(r, _)| *r == plugin.root)
        .map(|(_, k)| k.as_str())
        .unwrap_or_default();
    let identity = judge(
        &file,
        &doc.root,
        cfg,
        kind_for_root,
        &plugin.root,
        &mut findings,
    );
    Some((findings, identity))
}

/// Reads a manifest; `None` when there is none (the directory is not a plugin).
///
/// When the plugin directory is known to lie inside the repository without symlinks, the
/// file is opened by the careful reader without following links and read with no other
/// system call than its `fstat` (a link, a directory, a FIFO or anything unusual falls back
/// to the full, canonicalising [`source::read`], which names it): the check is bound by
/// system calls, and this saves a third of them.
fn read_manifest(
    repo: &std::path::Path,
    plugin: &PluginDir,
) -> Option<Result<SourceFile, source::ReadError>> {
    if plugin.direct {
        let mut bytes = Vec::with_capacity(16 * 1024);
        // A directory, a FIFO or a link fails here and takes the full path below.
        match crate::fs::careful::read_limited(
            &plugin.manifest,
            crate::fs::careful::Links::NoFollow,
            source::MAX_FILE_BYTES,
            &mut bytes,
        ) {
            Ok(()) => {
                return Some(source::from_bytes(
                    &plugin.manifest,
                    plugin.manifest_rel.clone(),
                    bytes,
                ));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return None,
            Err(_) => {}
        }
    }
    gates_core::fs::probe::symlink_metadata(&plugin.manifest).ok()?;
    Some(source::read(repo, &plugin.manifest))
}

/// Judges the parsed manifest; returns its identity when kind and capability are valid.
fn judge(
    file: &SourceFile,
    root: &Node,
    cfg: &Config,
    expected_kind: &str,
    plugin_root: &str,
    findings: &mut Vec<Finding>,
) -> Option<Identity> {
    if root.as_object().is_none() {
        findings.push(file.finding_at(
            "manifest-not-object",
            root.span.start,
            format!(
                "manifest must be a JSON object, found {}",
                root.value.type_name()
            ),
        ));
        return None;
    }
    let Some(rawr) = root.member("rawr") else {
        findings.push(
            file.finding_at(
                "missing-rawr",
                root.span.start,
                "manifest has no `rawr` object (needs rawr.kind and rawr.capability)",
            )
            .with_help(format!(
                "add \"rawr\": {{ \"kind\": \"{expected_kind}\", \"capability\": \"<name>\" }}"
            )),
        );
        return None;
    };
    if rawr.value.as_object().is_none() {
        findings.push(file.finding_at(
            "rawr-not-object",
            rawr.value.span.start,
            format!(
                "`rawr` must be an object, found {}",
                rawr.value.value.type_name()
            ),
        ));
        return None;
    }
    forbidden_under(file, rawr, "rawr", cfg, findings);

    let known_kinds: Vec<&str> = cfg.roots.iter().map(|(_, k)| k.as_str()).collect();
    let kind = match rawr.value.get("kind") {
        None => {
            findings.push(file.finding_at(
                "missing-kind",
                rawr.key_span.start,
                format!(
                    "`rawr.kind` is missing (plugins under {plugin_root}/ need \"{expected_kind}\")"
                ),
            ));
            None
        }
        Some(Node {
            value: Value::String(k),
            span,
        }) => {
            if !known_kinds.contains(&k.as_str()) {
                findings.push(file.finding_at(
                    "invalid-kind",
                    span.start,
                    format!(
                        "`rawr.kind` is \"{k}\", not one of {}",
                        known_kinds.join(", ")
                    ),
                ));
                None
            } else if k != expected_kind {
                findings.push(file.finding_at(
                    "kind-root-mismatch",
                    span.start,
                    format!(
                        "`rawr.kind` is \"{k}\" but the plugin lives under {plugin_root}/, which requires \"{expected_kind}\""
                    ),
                ));
                None
            } else {
                Some(k.clone())
            }
        }
        Some(other) => {
            findings.push(file.finding_at(
                "invalid-kind",
                other.span.start,
                format!(
                    "`rawr.kind` must be a string, found {}",
                    other.value.type_name()
                ),
            ));
            None
        }
    };
    let capability = match rawr.value.get("capability") {
        None => {
            findings.push(file.finding_at(
                "missing-capability",
                rawr.key_span.start,
                "`rawr.capability` is missing",
            ));
            None
        }
        Some(Node {
            value: Value::String(c),
            span,
        }) => {
            if c.trim().is_empty() {
                findings.push(file.finding_at(
                    "blank-capability",
                    span.start,
                    "`rawr.capability` is blank",
                ));
                None
            } else {
                Some((c.trim().to_string(), span.start))
            }
        }
        Some(other) => {
            findings.push(file.finding_at(
                "invalid-capability",
                other.span.start,
                format!(
                    "`rawr.capability` must be a string, found {}",
                    other.value.type_name()
                ),
            ));
            None
        }
    };
    let (kind, (capability, at)) = (kind?, capability?);
    let (line, col) = file.line_col(at);
    Some(Identity {
        kind,
        capability,
        path: file.rel.clone(),
        line,
        col,
    })
}

/// Reports every forbidden key anywhere under `member` (objects inside arrays included).
fn forbidden_under(
    file: &SourceFile,
    member: &Member,
    path: &str,
    cfg: &Config,
    findings: &mut Vec<Finding>,
) {
    fn walk(file: &SourceFile, node: &Node, path: &str, cfg: &Config, findings: &mut Vec<Finding>) {
        match &node.value {
            Value::Object(members) => {
                for m in members {
                    let here = format!("{path}.{}", m.key);
                    if cfg.forbidden_keys.contains(&m.key) {
                        findings.push(
                            file.finding_at(
                                "forbidden-legacy-key",
                                m.key_span.start,
                                format!("legacy key `{here}` is forbidden (hard-deleted)"),
                            )
                            .with_help(
                                "delete it; runtime identity is rawr.kind + rawr.capability",
                            ),
                        );
                    }
                    walk(file, &m.value, &here, cfg, findings);
                }
            }
            Value::Array(items) => {
                for (i, it) in items.iter().enumerate() {
                    walk(file, it, &format!("{path}[{i}]"), cfg, findings);
                }
            }
            _ => {}
        }
    }
    walk(file, &member.value, path, cfg, findings);
}

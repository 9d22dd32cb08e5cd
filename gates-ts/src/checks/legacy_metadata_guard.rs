//! `legacy-metadata-guard`: the structure-aware static guard for the hard-deleted plugin
//! metadata keys (`templateRole`, `channel`, `publishTier`, `published`).
//!
//! **What it checks.** Every configured non-archival surface (files and globs; by default the
//! eight runtime/tooling/scaffold files of the runbook and every active plugin manifest
//! `plugins/*/*/package.json`) is read structurally:
//! - JSON files: any key named like a forbidden key anywhere under `rawr` (rule
//!   `legacy-key-manifest`);
//! - TypeScript/JavaScript (oxc parser): a forbidden key used as a key or a name — object,
//!   class, type and enum members (`legacy-key-property`), member accesses with dot or
//!   bracket, indexed-access type keys, `in` checks and reflective key arguments
//!   (`legacy-key-access`), destructuring (`legacy-key-destructuring`), variables,
//!   parameters, functions and imports (`legacy-key-identifier`); and string or template
//!   text that mentions `rawr.<key>` (`legacy-key-string-mention`).
//!
//! Comments are never findings, nor are longer names that merely contain a key (`channelId`,
//! `publishedAt`) or prose and ids in strings (`"suite:web:published-openapi"`). Archival
//! surfaces (globs) are excluded and every exclusion is printed as a note. A listed file that
//! does not exist is an error. Directories linked into the tree (a symlinked plugin) are
//! scanned under the path they have there; a link to a directory outside the repository is
//! an error, and link loops end. A line may keep a key only with an inline comment
//! `rawr-gates: allow(<key>) <reason>` on that line (or alone on the line above it); a marker
//! without a reason is itself a finding, and a marker that allows nothing is a warning.
//!
//! **Modes.** `report-only` (slice A0, the "scaffold" guard): key findings are warnings and
//! the gate passes. `enforce` (slice A6 on): they are errors. In both modes a missing listed
//! surface, an unreadable file or a syntax error in what the guard parses is an error: the
//! guard cannot vouch for a file it could not read. (A file that never mentions a key is not
//! parsed, nor, in a `.ts` file, a top-level declaration that does not; see Speed.)
//!
//! **Why.** The runbook hard-deletes these keys: runtime identity is `rawr.kind` +
//! `rawr.capability` + manifest registration. The original guard was a whole-word regex over a
//! file list; it flagged comments and could not tell a property access from prose, so people
//! learnt to ignore it.
//!
//! **How to fix.** Key lifecycle decisions on `rawr.kind` and `rawr.capability`; delete the
//! legacy key (from the manifest, the type, the reader). If a line must keep the word as a key
//! (e.g. a migration shim that strips it), add `// rawr-gates: allow(channel) <why>`.
//!
//! Speed: a byte prefilter (Aho-Corasick over the keys and the marker prefix, `memchr` for
//! escapes) means only files that could contain a finding are parsed: a key must occur as a
//! whole word, and in `.ts` files outside the comments an exact scan is certain of. In those
//! files the same scan finds the top-level `export` declarations holding the mentions, and
//! only they are parsed, each on its own; whenever the scan is unsure, the file has a marker
//! or an escape, or a declaration does not parse cleanly alone, the whole file is parsed. A
//! test holds the two ways to the same findings over every fixture and example file. Globs
//! are walked in parallel with the `ignore` crate from their literal prefix only.
//! `cargo xtask bench guard` measures it against `rg -w -c`.

pub mod corpus;
mod prescan;
mod ts_keys;

use gates_core::fs::probe::Probe;
use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use aho_corasick::AhoCorasick;
use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use oxc_allocator::Allocator;
use serde::Deserialize;

use super::{
    Capability, CheckCtx, CheckDef, CheckOutput, ParamError, Rule, error, no_roles, parse_params,
    warning,
};
use crate::error::GateError;
use crate::finding::{Finding, Severity};
use crate::fs::source::{self, MAX_FILE_BYTES, SourceFile};
use crate::repo::ts;

use ts_keys::is_ident_byte;
pub use ts_keys::{Family, rawr_mentions};

/// The check's registry entry.
pub fn def() -> CheckDef {
    CheckDef {
        name: "legacy-metadata-guard",
        summary: "structure-aware static guard: the hard-deleted legacy plugin metadata keys are not declared or read on runtime/tooling/scaffold surfaces or active manifests",
        capabilities: &[Capability::WorkTree],
        rules: &[RULES, super::common::SOURCES, super::common::SYNTAX],
        parts: None,
        aliases: &[],
        roles: no_roles,
        validate,
        run,
    }
}

const FIX: &str = "base lifecycle decisions on rawr.kind and rawr.capability and delete the legacy key (from the manifest, the type, the reader); a line that must keep it as a key takes `// rawr-gates: allow(<key>) <reason>`";

/// Every rule of the legacy-metadata-guard check. The key rules and the marker rules are
/// errors in mode `enforce` and warnings in `report-only`.
pub const RULES: &[Rule] = &[
    error(
        "legacy-key-manifest",
        "a legacy key anywhere under `rawr` in a JSON manifest (a warning in report-only mode)",
        "delete the key: plugin identity is rawr.kind + rawr.capability (JSON has no comments, so a manifest cannot carry an allow marker)",
    ),
    error(
        "legacy-key-property",
        "a legacy key declared as a member of an object literal, class, interface or type literal, enum or JSX element (a warning in report-only mode)",
        FIX,
    ),
    error(
        "legacy-key-access",
        "a legacy key read or written through a member access (dot or bracket), an indexed-access type, `in`, or a reflective key argument such as `Object.hasOwn(x, \"channel\")` (a warning in report-only mode)",
        FIX,
    ),
    error(
        "legacy-key-destructuring",
        "a legacy key pulled out by destructuring, in a binding or an assignment (a warning in report-only mode)",
        FIX,
    ),
    error(
        "legacy-key-identifier",
        "a variable, parameter, function or import named like a legacy key (a warning in report-only mode)",
        FIX,
    ),
    error(
        "legacy-key-string-mention",
        "a string or template literal whose text mentions `rawr.<key>` of a legacy key (a warning in report-only mode)",
        FIX,
    ),
    error(
        "legacy-guard-allow-unknown-key",
        "an allow marker names no key, or a key the guard does not guard (a warning in report-only mode)",
        "name one of the gate's `keys` in the marker (`rawr-gates: allow(<key>) <reason>`), or remove it",
    ),
    error(
        "legacy-guard-allow-without-reason",
        "an allow marker gives no reason (a warning in report-only mode)",
        "write the reason after the marker: `rawr-gates: allow(<key>) <why this line must keep the key>`",
    ),
    warning(
        "legacy-guard-allow-unused",
        "an allow marker allows nothing on the line it covers",
        "remove the marker",
    ),
    error(
        "legacy-guard-missing-surface",
        "a surface file the gate lists does not exist",
        "a listed file that is missing is not a pass: restore it, or change the gate's `surfaces` if it moved",
    ),
    error(
        "legacy-guard-link-outside",
        "a directory the surface globs reach is a symbolic link to a directory outside the repository; the guard does not follow it",
        "the surfaces must be files of this repository: replace the link, or exclude it if it is archival",
    ),
    error(
        "legacy-guard-unsupported-file",
        "a surface is neither JSON nor TypeScript/JavaScript, so the guard cannot read it structurally",
        "list only .json and .ts/.tsx/.mts/.cts/.js/.jsx/.mjs/.cjs surfaces",
    ),
    warning(
        "legacy-guard-no-match",
        "a surface glob matched no file, so it checks nothing",
        "check the gate's `surfaces` against the target's layout",
    ),
];

/// The forbidden keys of SPEC §2.
pub const DEFAULT_KEYS: [&str; 4] = ["templateRole", "channel", "publishTier", "published"];

/// The default surfaces of SPEC §3: the active manifests and the eight runtime, tooling and
/// scaffold files named in the runbook's execution packet.
pub const DEFAULT_SURFACES: [&str; 9] = [
    "plugins/*/*/package.json",
    "packages/hq/src/workspace/plugins.ts",
    "plugins/cli/plugins/src/lib/workspace-plugins.ts",
    "packages/hq/src/install/state.ts",
    "plugins/cli/plugins/src/lib/install-state.ts",
    "plugins/cli/plugins/src/commands/plugins/web/enable.ts",
    "plugins/cli/plugins/src/commands/plugins/web/enable/all.ts",
    "plugins/cli/plugins/src/commands/plugins/cli/install/all.ts",
    "plugins/cli/plugins/src/commands/plugins/scaffold/web-plugin.ts",
];

/// Archival surfaces excluded by default: archive folders, the spec packet's pass
/// directories, and test fixtures (which exist to assert the rejection).
pub const DEFAULT_EXCLUDE: [&str; 4] = [
    "**/_archive/**",
    "docs/projects/*/_*pass*/**",
    "**/__fixtures__/**",
    "**/test/fixtures/**",
];

/// `report-only` (A0) or `enforce` (A6).
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    ReportOnly,
    Enforce,
}

/// The gate's parameters in the pipeline file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub mode: Mode,
    /// Repository-relative files and globs (`*` stays within a path segment, `**` crosses).
    #[serde(default = "default_surfaces")]
    pub surfaces: Vec<String>,
    /// Archival globs; matching files are not scanned and are listed in the notes.
    #[serde(default = "default_exclude")]
    pub exclude: Vec<String>,
    #[serde(default = "default_keys")]
    pub keys: Vec<String>,
}

fn default_surfaces() -> Vec<String> {
    DEFAULT_SURFACES.map(String::from).to_vec()
}
fn default_exclude() -> Vec<String> {
    DEFAULT_EXCLUDE.map(String::from).to_vec()
}
fn default_keys() -> Vec<String> {
    DEFAULT_KEYS.map(String::from).to_vec()
}

impl Params {
    /// The default configuration in the given mode.
    pub fn defaults(mode: Mode) -> Params {
        Params {
            mode,
            surfaces: default_surfaces(),
            exclude: default_exclude(),
            keys: default_keys(),
        }
    }
}

fn validate(table: &toml::Table) -> Result<(), ParamError> {
    let p: Params = parse_params(table)?;
    Guard::new(&p).map(|_| ())
}

fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let p: Params = ctx.params()?;
    let guard = Guard::new(&p).map_err(|e| GateError::msg(e.message))?;
    Ok(guard.scan(ctx.repo, ctx.cancel).output)
}

fn has_glob_meta(s: &str) -> bool {
    s.contains(['*', '?', '[', '{', '\\'])
}

fn glob(pattern: &str) -> Result<Glob, globset::Error> {
    GlobBuilder::new(pattern).literal_separator(true).build()
}

/// A compiled guard configuration.
#[derive(Debug)]
pub struct Guard {
    mode: Mode,
    keys: Vec<String>,
    /// Listed files (no glob characters), in configuration order.
    files: Vec<String>,
    /// Surface globs, and the set matching them (indices line up).
    globs: Vec<String>,
    glob_set: GlobSet,
    /// Where to walk for the globs: (root relative to the repo, max depth or unlimited).
    walk_roots: Vec<(String, Option<usize>)>,
    exclude: Vec<String>,
    exclude_set: GlobSet,
    prefilter: AhoCorasick,
}

/// What a scan found, with the counts the benchmark reports.
#[derive(Debug, Default)]
pub struct ScanReport {
    pub output: CheckOutput,
    /// Surface files considered (after exclusions).
    pub files: usize,
    /// Of those, the files the prefilter let through to a parser.
    pub parsed: usize,
}

impl Guard {
    pub fn new(p: &Params) -> Result<Guard, ParamError> {
        let perr = |key: &str, message: String| ParamError {
            message,
            key: Some(key.to_string()),
        };
        if p.keys.is_empty() {
            return Err(perr("keys", "`keys` must name at least one key".into()));
        }
        for k in &p.keys {
            if k.is_empty()
                || !k
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'$')
            {
                return Err(perr(
                    "keys",
                    format!("`keys`: {k:?} is not an identifier-like key"),
                ));
            }
        }
        if p.surfaces.is_empty() {
            return Err(perr(
                "surfaces",
                "`surfaces` is empty: the guard would check nothing".into(),
            ));
        }
        let mut files = Vec::new();
        let mut globs = Vec::new();
        let mut gsb = GlobSetBuilder::new();
        for s in &p.surfaces {
            let rel = s.trim_start_matches("./");
            if rel.is_empty() || Path::new(rel).is_absolute() || rel.split('/').any(|c| c == "..") {
                return Err(perr(
                    "surfaces",
                    format!("surface {s:?} must be a path inside the repository"),
                ));
            }
            if has_glob_meta(rel) {
                let g =
                    glob(rel).map_err(|e| perr("surfaces", format!("surface glob {s:?}: {e}")))?;
                gsb.add(g);
                globs.push(rel.to_string());
            } else {
                files.push(rel.to_string());
            }
        }
        let glob_set = gsb
            .build()
            .map_err(|e| perr("surfaces", format!("surface globs: {e}")))?;
        let mut esb = GlobSetBuilder::new();
        for e in &p.exclude {
            esb.add(glob(e).map_err(|err| perr("exclude", format!("exclude glob {e:?}: {err}")))?);
        }
        let exclude_set = esb
            .build()
            .map_err(|e| perr("exclude", format!("exclude globs: {e}")))?;
        // Only the keys and the marker prefix: short patterns such as the two-byte escapes
        // would cost the automaton its fast SIMD search, so escapes are looked for separately
        // (see `Guard::escape_could_spell_key`).
        let mut patterns: Vec<String> = p.keys.clone();
        patterns.push(MARKER_PREFIX.to_string());
        let prefilter = AhoCorasick::builder()
            .match_kind(aho_corasick::MatchKind::LeftmostLongest)
            .build(&patterns)
            .map_err(|e| perr("keys", format!("cannot build the key prefilter: {e}")))?;
        Ok(Guard {
            mode: p.mode,
            keys: p.keys.clone(),
            walk_roots: walk_roots(&globs),
            files,
            globs,
            glob_set,
            exclude: p.exclude.clone(),
            exclude_set,
            prefilter,
        })
    }

    /// The severity of key and marker findings in this mode.
    fn key_severity(&self) -> Severity {
        match self.mode {
            Mode::ReportOnly => Severity::Warning,
            Mode::Enforce => Severity::Error,
        }
    }

    /// Scans `repo` (absolute). Never fails: problems with the target are findings.
    pub fn scan(&self, repo: &Path, cancel: &AtomicBool) -> ScanReport {
        let acc = Accumulator::new(self);
        let listed: HashSet<&str> = self.files.iter().map(String::as_str).collect();
        for rel in &self.files {
            if let Some(i) = self.excluded_by(rel) {
                acc.exclude(i, rel);
                continue;
            }
            let abs = repo.join(rel);
            match gates_core::fs::probe::symlink_metadata(&abs) {
                Ok(_) => {}
                Err(e) if crate::fs::source::is_missing(&e) => {
                    acc.add_findings(vec![
                        Finding::error(
                            "legacy-guard-missing-surface",
                            rel.clone(),
                            0,
                            0,
                            format!("listed surface {rel} does not exist"),
                        )
                        .with_help(
                            "a listed file that is missing is not a pass: restore it, or change the gate's `surfaces` if it moved",
                        ),
                    ]);
                    continue;
                }
                // A folder on the way the tool may not search: it could not judge the file.
                Err(e) => {
                    acc.add_findings(vec![crate::fs::source::read_failed(rel, &e)]);
                    continue;
                }
            }
            self.visit_file(repo, &abs, rel.clone(), &acc, false);
        }
        if !self.globs.is_empty() {
            self.walk(repo, &listed, &acc, cancel);
        }
        acc.finish(self)
    }

    fn excluded_by(&self, rel: &str) -> Option<usize> {
        self.exclude_set.matches(rel).first().copied()
    }

    fn walk(&self, repo: &Path, listed: &HashSet<&str>, acc: &Accumulator, cancel: &AtomicBool) {
        let deep = self.walk_roots.iter().any(|(_, d)| d.is_none());
        let repo_real =
            gates_core::fs::probe::canonicalize(repo).unwrap_or_else(|_| repo.to_path_buf());
        for (root, depth) in &self.walk_roots {
            let dir = if root.is_empty() {
                repo.to_path_buf()
            } else {
                repo.join(root)
            };
            if !dir.probe_is_dir() {
                continue;
            }
            // Directories reached through a symlink are walked after the tree they sit in,
            // each once (by real path, which also ends link loops), with the depth that is
            // left below the link. Their files are read by the careful reader.
            let mut seen: HashSet<std::path::PathBuf> = HashSet::new();
            seen.extend(gates_core::fs::probe::canonicalize(&dir).ok());
            let mut pending: Vec<(std::path::PathBuf, Option<usize>, bool)> =
                vec![(dir, *depth, false)];
            while let Some((dir, depth, linked)) = pending.pop() {
                let links = Mutex::new(Vec::new());
                self.walk_dir(repo, &dir, depth, linked, deep, listed, acc, cancel, &links);
                for (link, left) in links.into_inner().expect("lock") {
                    let rel = source::rel_path(repo, &link);
                    if !self.globs.iter().any(|g| could_match_below(g, &rel)) {
                        continue;
                    }
                    match gates_core::fs::probe::canonicalize(&link) {
                        Ok(real) if !real.starts_with(&repo_real) => acc.add_findings(vec![
                            Finding::error(
                                "legacy-guard-link-outside",
                                rel.clone(),
                                0,
                                0,
                                format!(
                                    "{rel} links to a directory outside the repository ({}); the guard does not follow it",
                                    real.display()
                                ),
                            )
                            .with_help(
                                "the surfaces must be files of this repository: replace the link, or exclude it if it is archival",
                            ),
                        ]),
                        Ok(real) => {
                            if seen.insert(real) {
                                pending.push((link, left, true));
                            }
                        }
                        // Dangling by now: nothing to read.
                        Err(_) => {}
                    }
                }
            }
        }
    }

    /// Walks one directory for the surface globs. Symlinks to directories are not followed
    /// but collected in `links`, with the depth left below them, for [`Guard::walk`].
    #[allow(clippy::too_many_arguments)]
    fn walk_dir(
        &self,
        repo: &Path,
        dir: &Path,
        depth: Option<usize>,
        linked: bool,
        parallel: bool,
        listed: &HashSet<&str>,
        acc: &Accumulator,
        cancel: &AtomicBool,
        links: &Mutex<Vec<(std::path::PathBuf, Option<usize>)>>,
    ) {
        let mut wb = ignore::WalkBuilder::new(dir);
        wb.standard_filters(false)
            .hidden(true)
            .max_depth(depth)
            .filter_entry(|e| e.file_name() != "node_modules");
        let handle = |entry: ignore::DirEntry| {
            let Some(ft) = entry.file_type() else {
                return;
            };
            // Depth 0 is the directory walked (possibly through a link).
            if ft.is_dir() || entry.depth() == 0 {
                // Ignored files are walked too: the listing is an input of the verdict.
                crate::fs::record::dir_listed(entry.path());
                return;
            }
            if ft.is_symlink() && entry.path().probe_is_dir() {
                let left = depth.map(|d| d.saturating_sub(entry.depth()));
                if left != Some(0) {
                    links
                        .lock()
                        .expect("lock")
                        .push((entry.path().to_path_buf(), left));
                }
                return;
            }
            let rel = match entry.path().strip_prefix(repo).ok().and_then(Path::to_str) {
                Some(r) if std::path::MAIN_SEPARATOR == '/' => r.to_string(),
                _ => source::rel_path(repo, entry.path()),
            };
            let cand = globset::Candidate::new(&rel);
            // Which globs matched is only needed until each has matched once (to warn
            // about globs that match nothing); after that a yes/no is enough.
            if acc.all_globs_seen.load(Ordering::Relaxed) {
                if !self.glob_set.is_match_candidate(&cand) {
                    return;
                }
            } else {
                let matched = self.glob_set.matches_candidate(&cand);
                if matched.is_empty() {
                    return;
                }
                for &i in &matched {
                    acc.glob_hits[i].fetch_add(1, Ordering::Relaxed);
                }
                if acc.glob_hits.iter().all(|h| h.load(Ordering::Relaxed) > 0) {
                    acc.all_globs_seen.store(true, Ordering::Relaxed);
                }
            }
            if listed.contains(rel.as_str()) {
                return;
            }
            if self.exclude_set.is_match_candidate(&cand) {
                let i = self.exclude_set.matches_candidate(&cand)[0];
                acc.exclude(i, &rel);
                return;
            }
            // A regular file reached without any symlink can be read directly; anything
            // else goes through the careful reader (escapes, loops, special files).
            let walked = ft.is_file() && !linked;
            self.visit_file(repo, entry.path(), rel, acc, walked);
        };
        if parallel {
            // Deep globs can cover the whole repository: walk it on every core.
            wb.threads(
                std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1),
            );
            let rec = crate::fs::record::current();
            // Each directory the walk yields is recorded in `handle` (`dir_listed`).
            #[allow(clippy::disallowed_methods)]
            let walk = wb.build_parallel();
            walk.run(|| {
                let rec = rec.clone();
                Box::new(move |r| {
                    if cancel.load(Ordering::Relaxed) {
                        return ignore::WalkState::Quit;
                    }
                    if let Ok(e) = r {
                        crate::fs::record::scope(rec.clone(), || handle(e));
                    }
                    ignore::WalkState::Continue
                })
            });
        } else {
            // Shallow globs (`plugins/*/*/package.json`) touch a few directories; threads
            // would cost more than they save.
            // Each directory the walk yields is recorded in `handle` (`dir_listed`).
            #[allow(clippy::disallowed_methods)]
            let walk = wb.build();
            for e in walk.flatten() {
                if cancel.load(Ordering::Relaxed) {
                    break;
                }
                handle(e);
            }
        }
    }

    /// Prefilters, parses and judges one surface file. `walked` files were reached by the
    /// directory walk through no symlink, so they are inside the repository and can be read
    /// once; listed files and files under linked directories go through the careful reader
    /// (symlinks, escapes).
    fn visit_file(&self, repo: &Path, abs: &Path, rel: String, acc: &Accumulator, walked: bool) {
        acc.files.fetch_add(1, Ordering::Relaxed);
        let (file, plan) = if walked {
            thread_local! {
                static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
            }
            let read = BUF.with(|b| {
                let mut buf = b.borrow_mut();
                match quick_read(abs, &mut buf) {
                    Ok(()) => match self.plan(&rel, without_bom(&buf)) {
                        Plan::Skip => None,
                        plan => Some((source::from_bytes(abs, rel.clone(), buf.clone()), plan)),
                    },
                    // A special or oversized or unreadable file: the careful reader says
                    // exactly what is wrong.
                    Err(_) => Some((source::read(repo, abs), Plan::Whole)),
                }
            });
            match read {
                None => return,
                Some(r) => r,
            }
        } else {
            match source::read(repo, abs) {
                Ok(f) => match self.plan(&rel, f.text.as_bytes()) {
                    Plan::Skip => return,
                    plan => (Ok(f), plan),
                },
                Err(e) => (Err(e), Plan::Whole),
            }
        };
        acc.parsed.fetch_add(1, Ordering::Relaxed);
        let file = match file {
            Ok(f) => f,
            Err(e) => return acc.add_findings(vec![e.finding]),
        };
        let (findings, allowed) = self.judge(&file, rel, &plan);
        acc.add_findings(findings);
        if !allowed.is_empty() {
            acc.allowed.lock().expect("lock").extend(allowed);
        }
    }

    /// The prefilter: could this text hold a finding, and where? It could when a key occurs
    /// as a whole word (a key used as a name or key is always delimited by non-identifier
    /// bytes; `channelId` is not) outside a comment, when a marker is there, or when an escape
    /// could spell a key without its bytes (`"chan\u006eel"`, `\x`, octal, `"ch\annel"`).
    ///
    /// In `.ts`/`.mts`/`.cts` files, [`prescan::Prescan`] tells comments apart and finds the
    /// top-level `export` declarations around each mention; only those declarations are
    /// parsed ([`Plan::Regions`]). Whenever the scan is not certain, a marker is present, an
    /// escape could spell a key, or the file is of another kind, the whole file is parsed.
    fn plan(&self, rel: &str, bytes: &[u8]) -> Plan {
        static EXPORT_LINE: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"\nexport"));
        let n = self.keys.len();
        let plain_ts = [".ts", ".mts", ".cts"].iter().any(|e| rel.ends_with(e));
        let mut scan: Option<prescan::Prescan> = None;
        // Whole-word mentions in code, and the starts of the top-level declarations seen so
        // far (the start of the text counts as one).
        let mut hits: Vec<usize> = Vec::new();
        let mut starts: Vec<usize> = vec![0];
        // Lines that begin with the keyword `export`: candidate declaration starts, confirmed
        // by the scan when it finds them in top-level code.
        let mut candidates = EXPORT_LINE
            .find_iter(bytes)
            .map(|p| p + 1)
            .filter(|&p| !bytes.get(p + 6).is_some_and(|b| is_ident_byte(*b)))
            .peekable();
        // A leftmost (not overlapping) search keeps the automaton's SIMD prefilter; after a
        // near-miss the search restarts one byte later, so a match hidden inside or behind
        // the near-miss is still seen.
        let mut pos = 0;
        while let Some(m) = self
            .prefilter
            .find(aho_corasick::Input::new(bytes).range(pos..))
        {
            if m.pattern().as_usize() >= n {
                return Plan::Whole;
            }
            let (s, e) = (m.start(), m.end());
            pos = s + 1;
            let whole_word = (s == 0 || !is_ident_byte(bytes[s - 1]))
                && (e == bytes.len() || !is_ident_byte(bytes[e]));
            if !whole_word {
                continue;
            }
            if !plain_ts {
                return Plan::Whole;
            }
            let scan = scan.get_or_insert_with(|| prescan::Prescan::new(bytes));
            while let Some(&c) = candidates.peek()
                && c <= s
            {
                candidates.next();
                match scan.starts_statement(c) {
                    Some(true) => starts.push(c),
                    Some(false) => {}
                    None => return Plan::Whole,
                }
            }
            match scan.at(s) {
                Some(prescan::Where::Comment) => {}
                Some(_) => hits.push(s),
                None => return Plan::Whole,
            }
        }
        if self.escape_could_spell_key(bytes) {
            return Plan::Whole;
        }
        let (Some(&last), Some(scan)) = (hits.last(), scan.as_mut()) else {
            return Plan::Skip;
        };
        // The declaration holding the last mention ends where the next one starts (or, when
        // the scan cannot tell, at the end of the text).
        let mut end = bytes.len();
        for c in candidates {
            match scan.starts_statement(c) {
                Some(true) if c > last => {
                    end = c;
                    break;
                }
                Some(_) => {}
                None => break,
            }
        }
        starts.push(end);
        let mut regions: Vec<(usize, usize)> = Vec::new();
        for h in hits {
            let i = starts.partition_point(|&b| b <= h);
            let region = (starts[i - 1], starts[i]);
            match regions.last_mut() {
                // Already covered (mentions come in order, so only the last region can).
                Some(r) if region.0 < r.1 => {}
                // Neighbouring declarations are parsed together.
                Some(r) if r.1 == region.0 => r.1 = region.1,
                _ => regions.push(region),
            }
        }
        if regions == [(0, bytes.len())] {
            Plan::Whole
        } else {
            Plan::Regions(regions)
        }
    }

    /// Whether an escape in `bytes` could spell a key without the key's bytes. `\u`, `\x`,
    /// octal escapes and line continuations (`\` before a line break, U+2028 or U+2029)
    /// always count. An identity escape in a string (`"ch\annel"` is `"channel"`) counts when
    /// the run of name characters around it, with its escapes decoded, contains a key. The
    /// common escapes (`\n`, `\t`, `\\`, `\"`) cannot spell a name and are passed over.
    fn escape_could_spell_key(&self, bytes: &[u8]) -> bool {
        memchr::memchr_iter(b'\\', bytes).any(|i| match bytes.get(i + 1) {
            Some(b'u' | b'x' | b'0'..=b'7' | b'\n' | b'\r' | 0xE2) => true,
            Some(&c) if is_identity_escape(c) => self.decoded_run_has_key(bytes, i),
            _ => false,
        })
    }

    /// Decodes the run of name characters and escapes around the escape at `at` and looks
    /// for a key in it (as a substring: this only decides whether to parse).
    fn decoded_run_has_key(&self, bytes: &[u8], at: usize) -> bool {
        let in_run = |b: &u8| is_ident_byte(*b) || *b == b'\\';
        let start = bytes[..at]
            .iter()
            .rposition(|b| !in_run(b))
            .map_or(0, |p| p + 1);
        let end = bytes[at..]
            .iter()
            .position(|b| !in_run(b))
            .map_or(bytes.len(), |p| at + p);
        let mut decoded = Vec::with_capacity(end - start);
        let mut j = start;
        while j < end {
            if bytes[j] == b'\\' {
                match bytes.get(j + 1) {
                    Some(&c) if j + 1 < end && is_identity_escape(c) => decoded.push(c),
                    // Any other escape stands for something that is not a name character.
                    _ => decoded.push(b' '),
                }
                j += 2;
            } else {
                decoded.push(bytes[j]);
                j += 1;
            }
        }
        self.keys
            .iter()
            .any(|k| memchr::memmem::find(&decoded, k.as_bytes()).is_some())
    }

    /// Judges one in-memory file as if it were the surface `rel` (for the benchmark, which
    /// separates parse time from I/O). `None` when the prefilter skips it.
    pub fn judge_text(&self, rel: &str, text: &str) -> Option<Vec<Finding>> {
        let plan = self.plan(rel, without_bom(text.as_bytes()));
        if let Plan::Skip = plan {
            return None;
        }
        let file =
            match source::from_bytes(Path::new(rel), rel.to_string(), text.as_bytes().to_vec()) {
                Ok(f) => f,
                Err(e) => return Some(vec![e.finding]),
            };
        Some(self.judge(&file, rel.to_string(), &plan).0)
    }

    /// Like [`Guard::judge_text`], but always parsing the whole file: the reference the
    /// region plan is tested against.
    pub fn judge_text_whole(&self, rel: &str, text: &str) -> Vec<Finding> {
        match source::from_bytes(Path::new(rel), rel.to_string(), text.as_bytes().to_vec()) {
            Ok(file) => self.judge(&file, rel.to_string(), &Plan::Whole).0,
            Err(e) => vec![e.finding],
        }
    }

    /// Findings of one readable file, and notes for the hits its markers allowed.
    fn judge(&self, file: &SourceFile, rel: String, plan: &Plan) -> (Vec<Finding>, Vec<String>) {
        let ext = rel.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
        match ext {
            "json" => (self.judge_json(file), Vec::new()),
            "ts" | "tsx" | "mts" | "cts" | "js" | "jsx" | "mjs" | "cjs" => self.judge_ts(file, plan),
            _ => (
                vec![Finding::error(
                    "legacy-guard-unsupported-file",
                    rel.clone(),
                    0,
                    0,
                    format!(
                        "{rel} is neither JSON nor TypeScript/JavaScript; the guard cannot read it structurally"
                    ),
                )
                .with_help("list only .json and .ts/.tsx/.mts/.cts/.js/.jsx/.mjs/.cjs surfaces")],
                Vec::new(),
            ),
        }
    }

    fn key_finding(
        &self,
        file: &SourceFile,
        offset: usize,
        rule: &str,
        message: String,
    ) -> Finding {
        file.finding_at(rule, offset, message)
            .with_severity(self.key_severity())
    }

    fn judge_ts(&self, file: &SourceFile, plan: &Plan) -> (Vec<Finding>, Vec<String>) {
        // One arena per walker thread, reset between parses, instead of a fresh one per file.
        thread_local! {
            static ARENA: std::cell::RefCell<Allocator> = std::cell::RefCell::new(Allocator::default());
        }
        ARENA.with(|arena| {
            let mut alloc = arena.borrow_mut();
            if let Plan::Regions(regions) = plan
                && let Some(hits) = self.region_hits(file, regions, &mut alloc)
            {
                // No markers: a file with one is always parsed whole.
                return self.findings_for(file, hits, Vec::new());
            }
            alloc.reset();
            self.judge_parsed(file, &alloc)
        })
    }

    /// The hits of the planned regions of `file`, each parsed on its own; `None` when a
    /// region does not parse cleanly (the caller then parses the whole file, so that syntax
    /// errors are reported exactly as they would be without the plan).
    fn region_hits(
        &self,
        file: &SourceFile,
        regions: &[(usize, usize)],
        alloc: &mut Allocator,
    ) -> Option<Vec<ts_keys::Hit>> {
        let source_type = ts::source_type(&file.path);
        let mut hits = Vec::new();
        for &(start, end) in regions {
            alloc.reset();
            let text = file.text.get(start..end)?;
            let ret = oxc_parser::Parser::new(alloc, text, source_type).parse();
            if ret.panicked || !ret.diagnostics.is_empty() {
                return None;
            }
            hits.extend(
                ts_keys::scan(&ret.program, text, &self.keys)
                    .into_iter()
                    .map(|h| ts_keys::Hit {
                        offset: h.offset + start,
                        ..h
                    }),
            );
        }
        Some(hits)
    }

    fn judge_parsed(&self, file: &SourceFile, alloc: &Allocator) -> (Vec<Finding>, Vec<String>) {
        let parsed = ts::parse(alloc, file);
        let mut findings = parsed.errors;
        if parsed.panicked {
            if findings.is_empty() {
                findings.push(file.finding_at(
                    "syntax-error",
                    0,
                    format!("{} could not be parsed", file.rel),
                ));
            }
            return (findings, Vec::new());
        }
        let hits = ts_keys::scan(&parsed.program, &file.text, &self.keys);
        let markers = markers(file, &parsed.program.comments);
        let (more, allowed) = self.findings_for(file, hits, markers);
        findings.extend(more);
        (findings, allowed)
    }

    /// Findings for the hits of `file` and for its allow markers, and notes for the hits the
    /// markers allowed.
    fn findings_for(
        &self,
        file: &SourceFile,
        hits: Vec<ts_keys::Hit>,
        mut markers: Vec<Marker>,
    ) -> (Vec<Finding>, Vec<String>) {
        let mut findings = Vec::new();
        let mut allowed = Vec::new();
        for h in hits {
            let (line, col) = file.line_col(h.offset);
            if let Some(m) = markers
                .iter_mut()
                .find(|m| m.reason.is_some() && m.key == h.key && m.lines.contains(&line))
            {
                m.used = true;
                allowed.push(format!(
                    "{}:{line}:{col} `{}` ({}) allowed by inline marker: {}",
                    file.rel,
                    h.key,
                    h.role,
                    m.reason.as_deref().unwrap_or_default()
                ));
                continue;
            }
            let message = match h.family {
                Family::StringMention => format!(
                    "legacy key `{}` named in text ({}): rawr.{} no longer exists",
                    h.key, h.role, h.key
                ),
                _ => format!("legacy key `{}` as {}", h.key, h.role),
            };
            findings.push(
                self.key_finding(file, h.offset, h.family.rule(), message)
                    .with_help(help(&h.key)),
            );
        }
        for m in markers {
            let f = if !self.keys.contains(&m.key) {
                self.key_finding(
                    file,
                    m.offset,
                    "legacy-guard-allow-unknown-key",
                    format!(
                        "allow marker names `{}`, which is not a guarded key ({})",
                        m.key,
                        self.keys.join(", ")
                    ),
                )
            } else if m.reason.is_none() {
                self.key_finding(
                    file,
                    m.offset,
                    "legacy-guard-allow-without-reason",
                    format!("allow marker for `{}` gives no reason", m.key),
                )
                .with_help(format!(
                    "write the reason after the marker: `rawr-gates: allow({}) <why this line must keep the key>`",
                    m.key
                ))
            } else if !m.used {
                file.finding_at(
                    "legacy-guard-allow-unused",
                    m.offset,
                    format!(
                        "allow marker for `{}` allows nothing on its line; remove it",
                        m.key
                    ),
                )
                .with_severity(Severity::Warning)
            } else {
                continue;
            };
            findings.push(f);
        }
        (findings, allowed)
    }

    fn judge_json(&self, file: &SourceFile) -> Vec<Finding> {
        json_keys::judge(self, file)
    }
}

fn help(key: &str) -> String {
    format!(
        "runtime identity is rawr.kind + rawr.capability; delete `{key}` here, or keep the line with `// rawr-gates: allow({key}) <reason>`"
    )
}

/// Whether glob `g` could match a path below directory `rel` (both repository-relative):
/// each segment of `rel` matches the glob's segment at its place, and the glob goes deeper
/// (a `**` segment matches any depth).
fn could_match_below(g: &str, rel: &str) -> bool {
    let pattern: Vec<&str> = g.split('/').filter(|s| !s.is_empty()).collect();
    for (i, seg) in rel.split('/').enumerate() {
        let Some(p) = pattern.get(i) else {
            return false;
        };
        if p.contains("**") {
            return true;
        }
        let matches = glob(p).is_ok_and(|g| g.compile_matcher().is_match(seg));
        if !matches {
            return false;
        }
    }
    pattern.len() > rel.split('/').count()
}

/// What the prefilter decided for one file.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Plan {
    /// Nothing in it could be a finding.
    Skip,
    /// Parse all of it.
    Whole,
    /// Parse only these byte ranges of the text: top-level declarations holding every
    /// mention of a key outside comments.
    Regions(Vec<(usize, usize)>),
}

/// `bytes` without a leading UTF-8 BOM (offsets then match the text a [`SourceFile`] holds).
fn without_bom(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes)
}

/// The marker prefix the prefilter looks for (a file with a marker is parsed, so that the
/// marker's key and reason are checked).
const MARKER_PREFIX: &str = "rawr-gates";

/// Whether `\<c>` in a string stands for `c` itself: a name character that is not one of
/// the escapes with a meaning of their own (`\b \f \n \r \t \v`, `\u`, `\x`, octal).
fn is_identity_escape(c: u8) -> bool {
    is_ident_byte(c)
        && !matches!(
            c,
            b'b' | b'f' | b'n' | b'r' | b't' | b'v' | b'u' | b'x' | b'0'..=b'7'
        )
}

/// Reads a regular file found by the walk into `buf` (reused across files). An error (or a
/// file over the size limit) sends the file to [`source::read`], which reports it precisely.
fn quick_read(abs: &Path, buf: &mut Vec<u8>) -> std::io::Result<()> {
    crate::fs::careful::read_limited(abs, crate::fs::careful::Links::Follow, MAX_FILE_BYTES, buf)
}

/// The directories to walk for `globs`: each glob's literal prefix, with the depth its
/// remaining segments need (unlimited under `**`). Roots inside another root are merged.
fn walk_roots(globs: &[String]) -> Vec<(String, Option<usize>)> {
    // (prefix segments, absolute depth needed or None)
    let mut roots: Vec<(Vec<&str>, Option<usize>)> = Vec::new();
    for g in globs {
        let segs: Vec<&str> = g.split('/').filter(|s| !s.is_empty()).collect();
        let lit = segs.iter().take_while(|s| !has_glob_meta(s)).count();
        let depth = if segs[lit..].iter().any(|s| s.contains("**")) {
            None
        } else {
            Some(segs.len())
        };
        roots.push((
            segs[..lit.min(segs.len().saturating_sub(1))].to_vec(),
            depth,
        ));
    }
    roots.sort();
    let mut merged: Vec<(Vec<&str>, Option<usize>)> = Vec::new();
    for (prefix, depth) in roots {
        if let Some(last) = merged
            .iter_mut()
            .find(|(p, _)| prefix.starts_with(p.as_slice()))
        {
            last.1 = match (last.1, depth) {
                (Some(a), Some(b)) => Some(a.max(b)),
                _ => None,
            };
        } else {
            merged.push((prefix, depth));
        }
    }
    merged
        .into_iter()
        .map(|(p, d)| {
            let len = p.len();
            (p.join("/"), d.map(|d| d.saturating_sub(len)))
        })
        .collect()
}

/// Results gathered from walker threads.
struct Accumulator {
    findings: Mutex<Vec<Finding>>,
    allowed: Mutex<Vec<String>>,
    excluded: Mutex<BTreeMap<usize, Vec<String>>>,
    glob_hits: Vec<AtomicUsize>,
    all_globs_seen: AtomicBool,
    files: AtomicUsize,
    parsed: AtomicUsize,
}

impl Accumulator {
    fn new(g: &Guard) -> Self {
        Accumulator {
            findings: Mutex::default(),
            allowed: Mutex::default(),
            excluded: Mutex::default(),
            glob_hits: g.globs.iter().map(|_| AtomicUsize::new(0)).collect(),
            all_globs_seen: AtomicBool::new(false),
            files: AtomicUsize::new(0),
            parsed: AtomicUsize::new(0),
        }
    }

    fn add_findings(&self, f: Vec<Finding>) {
        if !f.is_empty() {
            self.findings.lock().expect("lock").extend(f);
        }
    }

    fn exclude(&self, idx: usize, rel: &str) {
        self.excluded
            .lock()
            .expect("lock")
            .entry(idx)
            .or_default()
            .push(rel.to_string());
    }

    fn finish(self, g: &Guard) -> ScanReport {
        let mut findings = self.findings.into_inner().expect("lock");
        for (i, pattern) in g.globs.iter().enumerate() {
            if self.glob_hits[i].load(Ordering::Relaxed) == 0 {
                findings.push(
                    Finding::general(
                        "legacy-guard-no-match",
                        format!("surface glob `{pattern}` matched no file"),
                    )
                    .with_severity(Severity::Warning)
                    .with_help(
                        "check the gate's `surfaces`: a glob that matches nothing checks nothing",
                    ),
                );
            }
        }
        crate::finding::sort_findings(&mut findings);
        let files = self.files.into_inner();
        let parsed = self.parsed.into_inner();
        let mut notes = vec![format!(
            "mode {}: {files} surface file(s) scanned, {parsed} parsed after the key prefilter",
            match g.mode {
                Mode::ReportOnly => "report-only (findings are warnings; the gate passes)",
                Mode::Enforce => "enforce",
            }
        )];
        let excluded = self.excluded.into_inner().expect("lock");
        if g.exclude.is_empty() {
            notes.push("archival exclusions: none configured".into());
        }
        for (i, pattern) in g.exclude.iter().enumerate() {
            let mut paths = excluded.get(&i).cloned().unwrap_or_default();
            paths.sort();
            let shown: Vec<&str> = paths.iter().take(20).map(String::as_str).collect();
            let more = paths.len().saturating_sub(shown.len());
            notes.push(format!(
                "excluded as archival by `{pattern}`: {} file(s){}{}",
                paths.len(),
                if shown.is_empty() {
                    String::new()
                } else {
                    format!(": {}", shown.join(", "))
                },
                if more > 0 {
                    format!(" (+{more} more)")
                } else {
                    String::new()
                }
            ));
        }
        if !g.globs.is_empty() {
            notes.push("glob walks skip hidden entries and node_modules directories".into());
        }
        let mut allowed = self.allowed.into_inner().expect("lock");
        allowed.sort();
        notes.extend(allowed);
        ScanReport {
            output: CheckOutput { findings, notes },
            files,
            parsed,
        }
    }
}

/// An inline `rawr-gates: allow(<key>) <reason>` marker.
#[derive(Debug)]
struct Marker {
    /// Byte offset of `rawr-gates:`.
    offset: usize,
    key: String,
    reason: Option<String>,
    /// The lines it covers: its own, and the next one when the comment stands alone.
    lines: Vec<u32>,
    used: bool,
}

const MARKER: &str = "rawr-gates:";

/// The allow markers in `comments` (markers in strings or code are not markers).
fn markers(file: &SourceFile, comments: &[oxc_ast::Comment]) -> Vec<Marker> {
    static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
        std::sync::LazyLock::new(|| memchr::memmem::Finder::new(MARKER.as_bytes()));
    let marker_finder = &*FINDER;
    let mut out = Vec::new();
    if marker_finder.find(file.text.as_bytes()).is_none() {
        return out;
    }
    for c in comments {
        let span = c.content_span();
        let (start, end) = (span.start as usize, span.end as usize);
        let Some(content) = file.text.get(start..end) else {
            continue;
        };
        for at in marker_finder.find_iter(content.as_bytes()) {
            let rest = content[at + MARKER.len()..].trim_start();
            let Some(args) = rest.strip_prefix("allow") else {
                continue;
            };
            let offset = start + at;
            let args = args.trim_start();
            let (key, after) = match args.strip_prefix('(').and_then(|a| a.split_once(')')) {
                Some((k, after)) => (k.trim().to_string(), after),
                // `allow` without `(key)`: the key is unknown, report it as such.
                None => (String::new(), ""),
            };
            let reason_text = after.lines().next().unwrap_or("").trim();
            let reason_text = reason_text.trim_start_matches([':', '-', '—', '–']).trim();
            let reason = (!reason_text.is_empty()).then(|| reason_text.to_string());
            let (line, _) = file.line_col(offset);
            let (c_line, c_col) = file.line_col(c.span.start as usize);
            let before = &file.lines().line_text(&file.text, c_line);
            let standalone = before
                .chars()
                .take(c_col.saturating_sub(1) as usize)
                .all(char::is_whitespace);
            let mut lines = vec![line];
            if standalone {
                let (end_line, _) = file.line_col(c.span.end as usize);
                lines.push(end_line + 1);
            }
            out.push(Marker {
                offset,
                key,
                reason,
                lines,
                used: false,
            });
        }
    }
    out
}

mod json_keys;

/// Runs the guard with default surfaces in `mode` over `repo` (for the benchmark and tests).
pub fn scan_with(repo: &Path, params: &Params) -> Result<ScanReport, ParamError> {
    let g = Guard::new(params)?;
    let cancel = AtomicBool::new(false);
    Ok(g.scan(repo, &cancel))
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests set the scene with plain file access
mod plan_tests {
    //! The region plan must never change what the guard reports: on every text where it
    //! parses only some declarations, the findings are those of a whole-file parse.

    use super::*;

    fn guard() -> Guard {
        Guard::new(&Params::defaults(Mode::Enforce)).expect("defaults are valid")
    }

    /// Asserts that judging `src` with the plan equals judging it whole; returns the plan.
    fn agrees(g: &Guard, rel: &str, src: &str) -> Plan {
        let plan = g.plan(rel, src.as_bytes());
        if plan != Plan::Skip {
            let planned = g.judge_text(rel, src).expect("not skipped");
            assert_eq!(planned, g.judge_text_whole(rel, src), "{rel}:\n{src}");
        }
        plan
    }

    fn regions(plan: &Plan) -> Vec<(usize, usize)> {
        match plan {
            Plan::Regions(r) => r.clone(),
            _ => Vec::new(),
        }
    }

    #[test]
    fn regions_are_the_export_declarations_around_each_mention() {
        let g = guard();
        let src = "import { x } from \"y\";\n\nexport const a = 1;\n// channel in a comment\nexport function f(row: any) {\n  return row.channel;\n}\nexport const b = 2;\nexport const c = 3;\nexport type T = { publishTier: string };\n";
        let plan = agrees(&g, "src/a.ts", src);
        let at = |s: &str| src.find(s).unwrap();
        assert_eq!(
            regions(&plan),
            vec![
                (at("export function"), at("export const b")),
                (at("export type"), src.len()),
            ]
        );
        // A byte order mark: regions are planned on the text after it, as the file holds it.
        let src = "\u{feff}export const a = 1;\nexport const b = x.channel;\n";
        let found = g.judge_text("src/a.ts", src).expect("planned");
        assert_eq!(found, g.judge_text_whole("src/a.ts", src));
        assert_eq!((found[0].line, found[0].col), (2, 20));
        assert!(matches!(
            g.plan("src/a.ts", without_bom(src.as_bytes())),
            Plan::Regions(_)
        ));
        // Neighbouring declarations are one region.
        let src = "export const a = 1;\nexport const b = x.channel;\nexport const c = y.published;\nexport const d = 4;\n";
        let plan = agrees(&g, "src/a.ts", src);
        assert_eq!(
            regions(&plan),
            vec![(
                src.find("export const b").unwrap(),
                src.find("export const d").unwrap()
            )]
        );
    }

    #[test]
    fn lines_that_only_look_like_declaration_starts_are_not_cut() {
        let g = guard();
        let cases = [
            // Inside a template, a string continued over lines, a block, a namespace.
            "export const t = `\nexport const channel = 1;\n`;\nexport const z = 1;\n",
            "export const s = \"a\\\nexport const channel = 1\";\nexport const z = 1;\n",
            "export namespace N {\nexport const channel = 1;\n}\nexport const z = 1;\n",
            "export const o = {\nexport: 1, channel: 2 };\nexport const z = 1;\n",
            // A property named `export`, also behind a comment.
            "export const a = x.\nexport;\nexport const b = x.channel;\n",
            "const v = x. /* c */\nexport\nconst channel = 1;\n",
            "const v = x. // c\nexport\nconst channel = 1;\n",
            "const v = x?.\nexport.channel;\n",
            // `exported` is not the keyword.
            "export const a = 1;\nexported.channel = 2;\n",
        ];
        for src in cases {
            let plan = agrees(&g, "src/a.ts", src);
            for (start, _) in regions(&plan) {
                let line_start = start == 0 || src.as_bytes()[start - 1] == b'\n';
                assert!(
                    line_start && src[start..].starts_with("export"),
                    "{src}: {plan:?}"
                );
            }
            for bad in [
                "export const channel",
                "export: 1",
                "export;",
                "export\n",
                "export.channel",
                "exported",
            ] {
                if let Some(at) = src.find(bad) {
                    assert!(
                        !regions(&plan).iter().any(|r| r.0 == at),
                        "{src}: cut at {bad:?}: {plan:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn unsure_scans_markers_escapes_and_broken_regions_parse_the_whole_file() {
        let g = guard();
        // Division before the mention: the scanner gives up.
        assert_eq!(
            agrees(
                &g,
                "src/a.ts",
                "export const a = b / 2;\nexport const c = x.channel;\n"
            ),
            Plan::Whole
        );
        // A marker anywhere: its reason must be checked.
        assert_eq!(
            agrees(
                &g,
                "src/a.ts",
                "export const a = 1;\n// rawr-gates: allow(channel) shim\nexport const c = x.channel;\n"
            ),
            Plan::Whole
        );
        // An escape anywhere.
        assert_eq!(
            agrees(
                &g,
                "src/a.ts",
                "export const a = \"\\u0041\";\nexport const c = x.channel;\n"
            ),
            Plan::Whole
        );
        // Other dialects.
        assert_eq!(
            agrees(
                &g,
                "src/a.tsx",
                "export const a = 1;\nexport const c = x.channel;\n"
            ),
            Plan::Whole
        );
        // A decorator before a cut: the region holding it does not parse alone, so the whole
        // file is parsed and the findings are the whole file's.
        let src = "export const a = 1;\n@dec({ channel: 1 })\nexport class A {}\n";
        assert!(matches!(agrees(&g, "src/a.ts", src), Plan::Regions(_)));
        // A syntax error inside a region is reported as the whole parse reports it.
        let src = "export const a = 1;\nexport const c = x.channel +;\n";
        assert!(matches!(agrees(&g, "src/a.ts", src), Plan::Regions(_)));
    }

    #[test]
    fn syntax_errors_are_reported_where_the_guard_parses() {
        // A declaration without any mention is not parsed, so its syntax error is not
        // reported (as in a file without any mention); every mention is still judged.
        let g = guard();
        let src = "export const a = ;\nexport const c = x.channel;\n";
        assert!(matches!(
            g.plan("src/a.ts", src.as_bytes()),
            Plan::Regions(_)
        ));
        let found: Vec<_> = g
            .judge_text("src/a.ts", src)
            .expect("planned")
            .iter()
            .map(|f| (f.line, f.col, f.rule.clone()))
            .collect();
        assert_eq!(found, vec![(2, 20, "legacy-key-access".to_string())]);
    }

    /// `text` with every whole-word `from` replaced by `to`.
    fn rename_word(text: &str, from: &str, to: &str) -> String {
        let b = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (at, _) in text.match_indices(from) {
            let end = at + from.len();
            if (at == 0 || !is_ident_byte(b[at - 1])) && (end == b.len() || !is_ident_byte(b[end]))
            {
                out.push_str(&text[last..at]);
                out.push_str(to);
                last = end;
            }
        }
        out.push_str(&text[last..]);
        out
    }

    #[test]
    fn the_plan_agrees_with_whole_parses_on_every_corpus_text() {
        use super::corpus::{Mention, ts_module};
        let g = guard();
        let mut texts: Vec<(String, String)> = Vec::new();
        for m in [
            Mention::None,
            Mention::Code,
            Mention::Comment,
            Mention::NearMiss,
        ] {
            texts.push(("gen.ts".into(), ts_module("p000001", 3, m)));
        }
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        for dir in ["tests/fixtures", "examples/hq"] {
            for e in ignore::WalkBuilder::new(root.join(dir))
                .standard_filters(false)
                .filter_entry(|e| e.file_name() != "node_modules")
                .build()
                .flatten()
            {
                let p = e.path();
                if p.extension().is_some_and(|x| x == "ts")
                    && let Ok(text) = crate::fs::careful::read_to_string(p)
                {
                    texts.push((source::rel_path(&root, p), text));
                }
            }
        }
        let mut planned = 0;
        for (rel, text) in &texts {
            // Every text as it is, and with a mention added after each declaration start.
            if let Plan::Regions(_) = agrees(&g, rel, text) {
                planned += 1;
            }
            let salted = text.replace("\nexport const ", "\nexport const channel = 1, ");
            if let Plan::Regions(_) = agrees(&g, rel, &salted) {
                planned += 1;
            }
            // Common names renamed to a key: mentions in every syntactic position the
            // corpus has (parameters, properties, accesses, types, destructuring).
            for name in ["name", "id", "path", "text", "value", "root", "kind", "dir"] {
                let renamed = rename_word(text, name, "channel");
                if renamed != *text
                    && let Plan::Regions(_) = agrees(&g, rel, &renamed)
                {
                    planned += 1;
                }
            }
        }
        assert!(texts.len() > 100, "corpus: {}", texts.len());
        assert!(planned > 50, "only {planned} texts were planned by regions");
    }
}

//! Check `import-boundary`: both discovery implementations use the one shared manifest
//! parser contract, and nothing else parses manifests itself (SPEC §1–§2; slice A1).
//!
//! What it checks:
//! 1. each configured discovery implementation imports the contract module (default
//!    `packages/hq/src/workspace/plugin-manifest-contract.ts`) as a value and uses it,
//!    directly or through what it forwards to (re-exports, imported functions it calls;
//!    resolved through relative imports and workspace `exports`). A type-only import does
//!    not count: it is erased at runtime.
//! 2. no other non-archival module reads `rawr.kind` / `rawr.capability` from a parsed
//!    manifest: member accesses (`pkg.rawr.kind`, `pkg["rawr"]?.capability`, `rawr.kind`
//!    where `rawr` was taken from a manifest) and destructuring
//!    (`const { rawr: { kind } } = pkg`, `const { capability } = pkg.rawr`). Object literals
//!    that *write* manifests are not reads. A module outside the discovery implementations
//!    that reads only one of the two fields (e.g. `rawr?.kind` for a kind check) validates
//!    a field, it does not parse the manifest: it is named in the notes, not reported. A
//!    module that reads both is a second parser and each of its reads is reported.
//!
//! Why: two discovery paths with their own parsers drift apart (the legacy keys survived in
//! one of them); A1 requires one contract both use.
//!
//! How to fix: import the contract's parser in the reported implementation; replace the
//! reported read with a call to the contract.

use gates_core::fs::probe::Probe;
use oxc_allocator::Allocator;
use oxc_ast::AstKind;
use oxc_ast::ast::{BindingPattern, Expression, ForStatementLeft};
use oxc_ast_visit::Visit;
use serde::Deserialize;

use crate::checks::discovery_roots::DEFAULT_IMPLEMENTATIONS;
use crate::checks::{
    Capability, CheckCtx, CheckDef, CheckOutput, ParamError, Rule, common, error, no_roles,
    parse_params,
};
use crate::error::GateError;
use crate::finding::Finding;
use crate::fs::source::{self, SourceFile, rel_path};
use crate::repo::flow::{self, BindingKind, Facts, Modules, Step};
use crate::repo::ts;
use crate::repo::workspace::{Resolution, Workspace, normalize};

/// SPEC §1: the shared parser contract.
pub const DEFAULT_CONTRACT: &str = "packages/hq/src/workspace/plugin-manifest-contract.ts";

/// Surfaces that are not active runtime code: archives, docs, tests and fixtures, build
/// output, dependencies. Printed in the gate's notes.
pub const DEFAULT_ARCHIVAL: &[&str] = &[
    "**/node_modules/**",
    "**/_archive/**",
    "**/dist/**",
    "docs/**",
    "**/test/**",
    "**/tests/**",
    "**/__tests__/**",
    "**/fixtures/**",
    "**/*.test.*",
    "**/*.spec.*",
];

const SOURCE_EXTENSIONS: &[&str] = &["ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs"];
const MAX_MODULES: usize = 64;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    #[serde(default)]
    implementations: Option<Vec<String>>,
    #[serde(default)]
    contract: Option<String>,
    /// Globs (repository-relative) excluded from the duplicate-parser scan.
    #[serde(default)]
    archival: Option<Vec<String>>,
}

pub fn def() -> CheckDef {
    CheckDef {
        name: "import-boundary",
        summary: "discovery implementations import the shared manifest contract; no duplicate parser",
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

const FIX: &str = "import the contract's parser in the implementation and call it; replace a duplicate read with a call to the contract";

/// Every rule of the import-boundary check.
pub const RULES: &[Rule] = &[
    error(
        "contract-missing",
        "the shared manifest parser contract does not exist",
        "restore the contract module, or name the one the workspace uses in the gate's `contract` param",
    ),
    error(
        "contract-not-imported",
        "a discovery implementation does not use the shared contract, directly or through what it forwards to: it does not import it, imports it only as types (erased at runtime), imports it without using it, or only re-exports it",
        FIX,
    ),
    error(
        "duplicate-parser",
        "a non-archival module other than the contract reads `rawr.kind` and `rawr.capability` of a parsed manifest itself (member access or destructuring); reading only one of them outside the discovery implementations is a validator, named in the notes",
        FIX,
    ),
];

fn validate(t: &toml::Table) -> Result<(), ParamError> {
    let p: Params = parse_params(t)?;
    if let Some(globs) = &p.archival {
        build_globs(globs).map_err(|message| ParamError {
            message,
            key: Some("archival".into()),
        })?;
    }
    if p.implementations.as_ref().is_some_and(Vec::is_empty) {
        return Err(ParamError {
            message: "`implementations` must name at least one file".into(),
            key: Some("implementations".into()),
        });
    }
    Ok(())
}

fn build_globs(globs: &[String]) -> Result<globset::GlobSet, String> {
    let mut b = globset::GlobSetBuilder::new();
    for g in globs {
        let glob = globset::GlobBuilder::new(g)
            .literal_separator(true)
            .build()
            .map_err(|e| format!("invalid glob {g:?}: {e}"))?;
        b.add(glob);
    }
    b.build().map_err(|e| e.to_string())
}

/// The check's configuration, defaults applied.
#[derive(Clone, Debug)]
pub struct Config {
    pub implementations: Vec<String>,
    pub contract: String,
    pub archival: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            implementations: DEFAULT_IMPLEMENTATIONS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            contract: DEFAULT_CONTRACT.into(),
            archival: DEFAULT_ARCHIVAL.iter().map(|s| s.to_string()).collect(),
        }
    }
}

fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let p: Params = ctx.params()?;
    let d = Config::default();
    let cfg = Config {
        implementations: p.implementations.unwrap_or(d.implementations),
        contract: p.contract.unwrap_or(d.contract),
        archival: p.archival.unwrap_or(d.archival),
    };
    check_repo(ctx.repo, &cfg)
}

/// Runs the check on `repo`.
pub fn check_repo(repo: &std::path::Path, cfg: &Config) -> Result<CheckOutput, GateError> {
    crate::repo::workspace::check_root_manifest(repo)?;
    let ws = Workspace::load(repo);
    let modules = Modules::new(repo, &ws);
    let contract = normalize(&crate::fs::resolve_inside(repo, &cfg.contract)?);
    let mut out = CheckOutput::default();
    if !contract.probe_is_file() {
        out.findings.push(Finding::error(
            "contract-missing",
            cfg.contract.clone(),
            0,
            0,
            format!(
                "the shared manifest contract {} does not exist",
                cfg.contract
            ),
        ));
    }

    // 1. Each implementation reaches the contract.
    for imp in &cfg.implementations {
        let Some(path) = crate::checks::discovery_implementation(repo, imp, &mut out)? else {
            continue;
        };
        let (closure, problems) = flow::forwarding_closure(&modules, &path, MAX_MODULES);
        let is_error = |f: &Finding| f.severity == crate::finding::Severity::Error;
        let unreadable = problems.iter().any(is_error);
        out.findings.extend(problems);
        let mut ok = None;
        let mut weak = None;
        // The contract counts when the implementation really uses something it declares
        // (not when a barrel on the way merely re-exports it).
        let contract_used = closure
            .iter()
            .any(|s| s.used && normalize(&s.path) == contract);
        for s in &closure {
            out.findings.extend(s.errors.iter().cloned());
        }
        // A module on the way could not be read or parsed: that error already fails the
        // gate, and judging the rest would only add a finding the reader cannot act on.
        if unreadable || closure.iter().any(|s| s.errors.iter().any(is_error)) {
            continue;
        }
        // Where the contract comes in: the edges into it, from used modules first.
        let mut edges: Vec<(&flow::Summary, &flow::Edge)> = closure
            .iter()
            .flat_map(|s| s.edges.iter().map(move |e| (s, e)))
            .filter(|(_, e)| matches!(&e.target, Resolution::File(t) if normalize(t) == contract))
            .collect();
        edges.sort_by_key(|(s, _)| !s.used);
        if contract_used {
            if let Some((s, e)) = edges.iter().find(|(_, e)| e.forwards()) {
                ok = Some((s.rel.clone(), e.line, e.col));
            }
        } else if let Some((s, e)) = edges.first() {
            let why = if e.type_only {
                "imports the contract only as types (erased at runtime)"
            } else if e.kind == ts::ImportKind::Import {
                "imports the contract but never uses what it imports"
            } else {
                "only passes the contract through a re-export and never uses it"
            };
            weak = Some((s.rel.clone(), e.line, e.col, why));
        }
        match (ok, weak) {
            (Some((rel, l, c)), _) => out
                .notes
                .push(format!("{imp}: uses the shared contract ({rel}:{l}:{c})")),
            (None, Some((rel, l, c, why))) => out.findings.push(
                Finding::error(
                    "contract-not-imported",
                    rel,
                    l,
                    c,
                    format!("discovery implementation {imp} {why}"),
                )
                .with_help(format!(
                    "parse manifests with the parser exported by {}",
                    cfg.contract
                )),
            ),
            (None, None) => {
                let forwarded: Vec<&str> = closure.iter().skip(1).map(|s| s.rel.as_str()).collect();
                let through = if forwarded.is_empty() {
                    "and forwards to no module".to_string()
                } else {
                    format!("nor through {}", forwarded.join(", "))
                };
                out.findings.push(
                    Finding::error(
                        "contract-not-imported",
                        rel_path(repo, &path),
                        1,
                        1,
                        format!(
                            "discovery implementation {imp} does not import the shared contract {} directly {through}",
                            cfg.contract
                        ),
                    )
                    .with_help(format!("parse manifests with the parser exported by {}", cfg.contract)),
                );
            }
        }
    }

    // 2. Nobody else reads rawr.kind / rawr.capability.
    let archival = build_globs(&cfg.archival).map_err(GateError::msg)?;
    out.notes.push(format!(
        "duplicate-parser scan excludes: {}; and the contract itself",
        cfg.archival.join(", ")
    ));
    let mut files = Vec::new();
    for entry in gates_core::fs::probe::walk(
        ignore::WalkBuilder::new(repo)
            .hidden(true)
            .require_git(false)
            // Dependencies are never the target's own code; do not even descend.
            .filter_entry(|e| e.file_name() != "node_modules"),
        repo,
    ) {
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_some_and(|t| t.is_file()) {
            continue;
        }
        let p = entry.path();
        let ext = p.extension().and_then(|e| e.to_str()).unwrap_or_default();
        if !SOURCE_EXTENSIONS.contains(&ext) || p.to_string_lossy().ends_with(".d.ts") {
            continue;
        }
        let rel = rel_path(repo, p);
        if archival.is_match(&rel) || normalize(p) == contract {
            continue;
        }
        files.push(p.to_path_buf());
    }
    files.sort();
    let implementations: Vec<std::path::PathBuf> = cfg
        .implementations
        .iter()
        .filter_map(|i| crate::fs::resolve_inside(repo, i).ok())
        .map(|p| normalize(&p))
        .collect();
    let mut buf = Vec::new();
    for p in files {
        // Read once, up to the source limit (the walk follows no link, so the file is the
        // target's own); only a file that mentions `rawr` is parsed. A larger one is read
        // whole to tell, then refused with its size by the source reader.
        let limited = crate::fs::careful::read_limited(
            &p,
            crate::fs::careful::Links::Follow,
            source::MAX_FILE_BYTES,
            &mut buf,
        );
        let read = match limited {
            Ok(()) => {
                if memchr::memmem::find(&buf, b"rawr").is_none() {
                    continue;
                }
                source::from_bytes(&p, rel_path(repo, &p), std::mem::take(&mut buf))
            }
            Err(e) if crate::fs::careful::too_large(&e) => {
                let Ok(bytes) = crate::fs::careful::read(&p) else {
                    continue;
                };
                if memchr::memmem::find(&bytes, b"rawr").is_none() {
                    continue;
                }
                source::read(repo, &p)
            }
            Err(_) => continue,
        };
        let src = match read {
            Ok(src) => src,
            Err(e) => {
                out.findings.push(e.finding);
                continue;
            }
        };
        let reads = match duplicate_reads(&src, &modules) {
            Ok(r) => r,
            Err(errors) => {
                out.findings.extend(errors);
                continue;
            }
        };
        let mut fields: Vec<&str> = reads.iter().map(|(f, _)| *f).collect();
        fields.sort_unstable();
        fields.dedup();
        // One field read outside the discovery paths is a validator (a kind check), not a
        // parser of the manifest's identity; a discovery implementation parses whatever it
        // reads itself.
        if fields.len() == 1 && !implementations.contains(&normalize(&p)) {
            let (line, col) = reads
                .first()
                .map(|(_, f)| (f.line, f.col))
                .unwrap_or_default();
            out.notes.push(format!(
                "{}:{line}:{col}: reads only `rawr.{}` (a single-field validator, not a second manifest parser)",
                src.rel, fields[0]
            ));
            continue;
        }
        out.findings.extend(reads.into_iter().map(|(_, f)| f));
    }
    Ok(out)
}

/// The manifest fields only the contract may read.
const CONTRACT_FIELDS: &[&str] = &["kind", "capability"];

/// Reads of `rawr.kind` / `rawr.capability` in one file, each with the field it reads; the
/// parse errors when the file cannot be read as TypeScript.
fn duplicate_reads(
    src: &SourceFile,
    modules: &Modules,
) -> Result<Vec<(&'static str, Finding)>, Vec<Finding>> {
    let alloc = Allocator::default();
    let parsed = ts::parse(&alloc, src);
    if parsed.panicked {
        return Err(parsed.errors);
    }
    let program = alloc.alloc(parsed.program);
    let facts = flow::collect(program);
    let mut v = RawrReads {
        facts: &facts,
        src,
        found: Vec::new(),
        for_of: Default::default(),
        modules,
    };
    v.visit_program(program);
    Ok(v.found)
}

struct RawrReads<'a, 's> {
    facts: &'s Facts<'a>,
    modules: &'s Modules<'s>,
    src: &'s SourceFile,
    found: Vec<(&'static str, Finding)>,
    for_of: std::collections::HashSet<u32>,
}

impl<'a> RawrReads<'a, '_> {
    /// Whether `e` is the `rawr` object of a manifest.
    fn is_rawr(&self, e: &'a Expression<'a>, depth: usize) -> bool {
        if depth > 16 {
            return false;
        }
        let e = e.get_inner_expression();
        if let Expression::ChainExpression(c) = e {
            if let Some(m) = c.expression.as_member_expression() {
                return member_name(m) == Some("rawr".into());
            }
            return false;
        }
        if let Some(m) = e.as_member_expression() {
            return member_name(m) == Some("rawr".into());
        }
        // `pkg.rawr ?? {}`, `pkg.rawr || fallback`, `ok ? pkg.rawr : {}`: still the rawr object.
        match e {
            Expression::LogicalExpression(l) => {
                return self.is_rawr(&l.left, depth + 1) || self.is_rawr(&l.right, depth + 1);
            }
            Expression::ConditionalExpression(c) => {
                return self.is_rawr(&c.consequent, depth + 1)
                    || self.is_rawr(&c.alternate, depth + 1);
            }
            _ => {}
        }
        if let Expression::Identifier(id) = e {
            let cx = flow::ModuleCx {
                facts: self.facts,
                file: &self.src.path,
                modules: self.modules,
            };
            if let Some(b) = cx.binding_at(&id.name, id.span.start) {
                return match &b.kind {
                    BindingKind::Value { init, path } => match path.last() {
                        Some(Step::Prop(p)) => p == "rawr",
                        Some(_) => false,
                        None => self.is_rawr(init, depth + 1),
                    },
                    BindingKind::Param { path, .. } => {
                        matches!(path.last(), Some(Step::Prop(p)) if p == "rawr")
                    }
                    _ => false,
                };
            }
        }
        false
    }

    fn report(&mut self, offset: u32, field: &str, how: &str) {
        let field = CONTRACT_FIELDS
            .iter()
            .find(|f| **f == field)
            .copied()
            .unwrap_or("kind");
        self.found.push((
            field,
            self.src
                .finding_at(
                    "duplicate-parser",
                    offset as usize,
                    format!("{how} `rawr.{field}` of a manifest outside the shared contract (a duplicate parser)"),
                )
                .with_help("use the shared contract's parser instead of reading the manifest here"),
        ));
    }

    /// Destructuring reads: `{ rawr: { kind } }` or `{ kind }` of a rawr object.
    fn pattern(&mut self, p: &BindingPattern<'a>, in_rawr: bool) {
        match p {
            BindingPattern::ObjectPattern(o) => {
                for prop in &o.properties {
                    let key = if prop.computed {
                        prop.key
                            .as_expression()
                            .and_then(literal_key)
                            .map(|(_, k)| k)
                    } else {
                        prop.key.static_name().map(|s| s.to_string())
                    };
                    let Some(key) = key else { continue };
                    if in_rawr && CONTRACT_FIELDS.contains(&key.as_str()) {
                        self.report(prop.key.span().start, &key, "destructures");
                    }
                    self.pattern(&prop.value, key == "rawr");
                }
            }
            BindingPattern::ArrayPattern(a) => {
                for el in a.elements.iter().flatten() {
                    self.pattern(el, false);
                }
            }
            BindingPattern::AssignmentPattern(a) => self.pattern(&a.left, in_rawr),
            BindingPattern::BindingIdentifier(_) => {}
        }
    }
}

use oxc_span::GetSpan;

/// A key written as a string or an expression-free template literal (`["kind"]`,
/// `` [`kind`] ``, also behind parentheses or a cast), with its start offset.
fn literal_key(e: &Expression) -> Option<(u32, String)> {
    match e.get_inner_expression() {
        Expression::StringLiteral(s) => Some((s.span.start, s.value.to_string())),
        Expression::TemplateLiteral(t) => t.single_quasi().map(|q| (t.span.start, q.to_string())),
        _ => None,
    }
}

fn member_name(m: &oxc_ast::ast::MemberExpression) -> Option<String> {
    match m {
        oxc_ast::ast::MemberExpression::StaticMemberExpression(s) => {
            Some(s.property.name.to_string())
        }
        oxc_ast::ast::MemberExpression::ComputedMemberExpression(c) => {
            match c.expression.get_inner_expression() {
                Expression::StringLiteral(s) => Some(s.value.to_string()),
                Expression::TemplateLiteral(t) if t.expressions.is_empty() => t
                    .quasis
                    .first()
                    .and_then(|q| q.value.cooked.as_ref())
                    .map(|c| c.to_string()),
                _ => None,
            }
        }
        _ => None,
    }
}

impl<'a> Visit<'a> for RawrReads<'a, '_> {
    fn enter_node(&mut self, kind: AstKind<'a>) {
        match kind {
            AstKind::StaticMemberExpression(m) => {
                let name = m.property.name.as_str();
                if CONTRACT_FIELDS.contains(&name) && self.is_rawr(&m.object, 0) {
                    self.report(m.property.span.start, name, "reads");
                }
            }
            AstKind::ComputedMemberExpression(m) => {
                if let Some((at, name)) = literal_key(&m.expression)
                    && CONTRACT_FIELDS.contains(&name.as_str())
                    && self.is_rawr(&m.object, 0)
                {
                    self.report(at, &name, "reads");
                }
            }
            AstKind::ForOfStatement(f) => {
                if let ForStatementLeft::VariableDeclaration(v) = &f.left {
                    for d in &v.declarations {
                        self.for_of.insert(d.span.start);
                    }
                }
            }
            AstKind::VariableDeclarator(d) => {
                let in_rawr = !self.for_of.contains(&d.span.start)
                    && d.init.as_ref().is_some_and(|i| self.is_rawr(i, 0));
                self.pattern(&d.id, in_rawr);
            }
            AstKind::FormalParameter(p) => self.pattern(&p.pattern, false),
            _ => {}
        }
    }
}

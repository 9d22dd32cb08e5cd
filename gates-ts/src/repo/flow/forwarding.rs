//! Forwarding: what one module imports and builds ([`Summary`]), and the modules an
//! implementation is judged together with ([`forwarding_closure`]), followed by the names it
//! uses.

use super::*;

/// One static import or re-export of a module, resolved.
#[derive(Clone, Debug)]
pub struct Edge {
    pub specifier: String,
    pub kind: ImportKind,
    pub type_only: bool,
    /// Whether the module's code uses what it imports (re-exports always count).
    pub used: bool,
    /// For imports: the imported names the code uses (`*` for a namespace, `default`).
    /// For re-exports: (name in the target, name exported here) pairs.
    pub used_names: Vec<String>,
    pub reexports: Vec<(String, String)>,
    pub target: Resolution,
    pub line: u32,
    pub col: u32,
}

impl Edge {
    /// Whether the module forwards to the target: a value re-export, or a value import it
    /// uses (a thin wrapper calling an imported function).
    pub fn forwards(&self) -> bool {
        !self.type_only && self.used
    }
}

/// A scan path built in a module.
#[derive(Clone, Debug)]
pub struct Scan {
    pub line: u32,
    pub col: u32,
    pub roots: Strs,
}

/// What the discovery gates need to know about one module.
#[derive(Clone, Debug)]
pub struct Summary {
    pub path: PathBuf,
    pub rel: String,
    pub edges: Vec<Edge>,
    pub scans: Vec<Scan>,
    /// The first function declared (for positions when nothing else applies).
    pub first_function: Option<(String, u32, u32)>,
    /// Syntax errors: the module cannot be judged.
    pub errors: Vec<Finding>,
    /// Names this module exports from its own declarations.
    pub local_exports: HashSet<String>,
    /// Set by [`forwarding_closure`]: the implementation really uses this module (it is the
    /// implementation, or declares something the implementation uses), as opposed to a
    /// barrel passed through on the way.
    pub used: bool,
}

impl Modules<'_> {
    /// Reads, parses and summarises one module.
    pub fn summarize(&self, path: &Path) -> Result<Summary, Finding> {
        let src: SourceFile = source::read(self.repo, path).map_err(|e| e.finding)?;
        let alloc = Allocator::default();
        let parsed = ts::parse(&alloc, &src);
        let mut out = Summary {
            path: path.to_path_buf(),
            rel: src.rel.clone(),
            edges: Vec::new(),
            scans: Vec::new(),
            first_function: None,
            errors: parsed.errors.clone(),
            local_exports: HashSet::new(),
            used: false,
        };
        if parsed.panicked {
            return Ok(out);
        }
        let program = alloc.alloc(parsed.program);
        let facts = collect(program);
        for r in ts::module_refs(program) {
            let (line, col) = src.line_col(r.offset);
            let used = match r.kind {
                ImportKind::Import => {
                    r.names.is_empty()
                        || r.names.iter().any(|n| facts.referenced.contains(&n.local))
                }
                _ => true,
            };
            let used_names = match r.kind {
                ImportKind::Import => r
                    .names
                    .iter()
                    .filter(|n| facts.referenced.contains(&n.local))
                    .map(|n| n.imported.clone())
                    .collect(),
                _ => Vec::new(),
            };
            let reexports = match r.kind {
                ImportKind::Import => Vec::new(),
                _ => r
                    .names
                    .iter()
                    .map(|n| (n.imported.clone(), n.local.clone()))
                    .collect(),
            };
            out.edges.push(Edge {
                used_names,
                reexports,
                target: self.ws.resolve(path, &r.specifier),
                specifier: r.specifier,
                kind: r.kind,
                type_only: r.type_only,
                used,
                line,
                col,
            });
        }
        out.local_exports = facts.exports.keys().cloned().collect();
        let cx = ModuleCx {
            facts: &facts,
            file: path,
            modules: self,
        };
        let mut seen = HashSet::new();
        // A scan path inside a named function that nothing in the module calls or mentions
        // and that is not exported is dead code: a leftover helper scanning five roots must
        // not stand in for the live discovery that scans three.
        let default_export = program.body.iter().find_map(|st| match st {
            oxc_ast::ast::Statement::ExportDefaultDeclaration(d) => match &d.declaration {
                oxc_ast::ast::ExportDefaultDeclarationKind::FunctionDeclaration(f) => {
                    f.id.as_ref().map(|i| i.name.to_string())
                }
                _ => None,
            },
            _ => None,
        });
        let dead = |name: &String| {
            !facts.referenced.contains(name)
                && !facts.exports.values().any(|l| l == name)
                && default_export.as_ref() != Some(name)
        };
        for (i, b) in facts.builds.iter().enumerate() {
            if facts
                .build_owners
                .get(i)
                .is_some_and(|owners| owners.iter().any(dead))
            {
                continue;
            }
            if let Some(roots) = cx.scan_roots(b)
                && seen.insert(b.offset())
            {
                let (line, col) = src.line_col(b.offset() as usize);
                out.scans.push(Scan { line, col, roots });
            }
        }
        out.scans.sort_by_key(|s| (s.line, s.col));
        out.first_function = facts.functions.iter().min_by_key(|f| f.1).map(|(n, at)| {
            let (l, c) = src.line_col(*at as usize);
            (n.clone(), l, c)
        });
        Ok(out)
    }
}

/// What a module is reached for.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(super) enum Want {
    /// All of it (the implementation itself, a namespace or side-effect import).
    Whole,
    /// These exported names (the importer uses only them).
    Names(std::collections::BTreeSet<String>),
}

pub(super) fn want_of(names: impl IntoIterator<Item = String>) -> Want {
    let set: std::collections::BTreeSet<String> = names.into_iter().collect();
    if set.is_empty() || set.contains("*") {
        Want::Whole
    } else {
        Want::Names(set)
    }
}

/// Modules reached from `start` by forwarding, breadth-first (`start` first), with the
/// problems met on the way (unreadable modules, unresolved relative imports).
///
/// Forwarding is followed by name: the implementation's used imports and its re-exports;
/// in a module reached for some names, only the re-exports that provide them (a barrel's
/// `export *` passes the names on); a module that declares one of the names it is reached
/// for is *used* ([`Summary::used`]) and its own used imports are followed in turn.
pub fn forwarding_closure(
    modules: &Modules,
    start: &Path,
    max_modules: usize,
) -> (Vec<Summary>, Vec<Finding>) {
    let mut order: Vec<PathBuf> = Vec::new();
    let mut summaries: HashMap<PathBuf, Summary> = HashMap::new();
    let mut problems = Vec::new();
    let mut seen: HashSet<(PathBuf, Want)> = HashSet::new();
    let start = start.to_path_buf();
    let mut queue = std::collections::VecDeque::from([(start.clone(), Want::Whole)]);
    while let Some((p, want)) = queue.pop_front() {
        if !seen.insert((p.clone(), want.clone())) {
            continue;
        }
        if !summaries.contains_key(&p) {
            if summaries.len() >= max_modules {
                continue;
            }
            match modules.summarize(&p) {
                Ok(s) => {
                    order.push(p.clone());
                    summaries.insert(p.clone(), s);
                }
                Err(f) => {
                    problems.push(f);
                    continue;
                }
            }
        }
        let s = summaries.get_mut(&p).expect("summarised above");
        let is_start = p == start;
        let used = match &want {
            Want::Whole => true,
            Want::Names(ns) => ns.iter().any(|n| s.local_exports.contains(n)),
        };
        s.used |= used;
        let mut next: Vec<(usize, Want)> = Vec::new();
        for (i, e) in s.edges.iter().enumerate() {
            if !e.forwards() {
                continue;
            }
            match e.kind {
                ImportKind::Import if used => next.push((i, want_of(e.used_names.clone()))),
                ImportKind::Import => {}
                ImportKind::ReExport => {
                    let pass: Vec<String> = e
                        .reexports
                        .iter()
                        .filter(|(_, exported)| match &want {
                            Want::Whole => is_start,
                            Want::Names(ns) => ns.contains(exported),
                        })
                        .map(|(imported, _)| imported.clone())
                        .collect();
                    if !pass.is_empty() {
                        next.push((i, want_of(pass)));
                    }
                }
                ImportKind::ExportAll => {
                    if !e.reexports.is_empty() {
                        // `export * as ns from`: the namespace, whole.
                        let wanted = match &want {
                            Want::Whole => is_start,
                            Want::Names(ns) => e.reexports.iter().any(|(_, x)| ns.contains(x)),
                        };
                        if wanted {
                            next.push((i, Want::Whole));
                        }
                        continue;
                    }
                    match &want {
                        Want::Whole if is_start => next.push((i, Want::Whole)),
                        Want::Whole => {}
                        Want::Names(ns) => {
                            let rest: Vec<String> = ns
                                .iter()
                                .filter(|n| !s.local_exports.contains(*n))
                                .cloned()
                                .collect();
                            if !rest.is_empty() {
                                next.push((i, Want::Names(rest.into_iter().collect())));
                            }
                        }
                    }
                }
            }
        }
        for (i, w) in next {
            let e = &s.edges[i];
            match &e.target {
                Resolution::File(t) => queue.push_back((t.clone(), w)),
                Resolution::NotFound(why) => {
                    let f = Finding::error(
                        "unresolved-import",
                        s.rel.clone(),
                        e.line,
                        e.col,
                        format!("cannot follow import: {why}"),
                    );
                    if !problems.contains(&f) {
                        problems.push(f);
                    }
                }
                Resolution::External(_) => {}
            }
        }
    }
    let out = order
        .into_iter()
        .filter_map(|p| summaries.remove(&p))
        .collect();
    (out, problems)
}

//! Table-driven tests read structurally: which case objects of a case table each test
//! *executes*, so the harness matrix can credit the IDs a case carries (its `suiteId`,
//! assertion keys...) to the test the runner reports.
//!
//! A test file is walked once with oxc. A case table is an array of object literals, declared
//! in the file or imported from a relative module (`export const CASES = [...]`, also through
//! `export { X } from`), optionally spread (`[...A, ...B]`), concatenated, narrowed with
//! `.filter(pred)` (decided when `pred` only compares the case's literal fields with
//! literals) or `.slice(a, b)` (literal bounds). An array of plain strings (a list of
//! required IDs) is not a case table and carries nothing; type-level literals are never
//! read.
//!
//! A test uses a case when the case reaches it through
//! - a `for…of`, `.forEach`/`.map`/`.flatMap`/`.some`/`.every` or indexed `for` loop over the
//!   table inside the test's body (one test, every case), or around `it(...)` calls (one test
//!   per case);
//! - `it.each`/`test.each`/`describe.each` (array tables and template tables), with `$field`
//!   and `%s` titles.
//!
//! Iterating is not executing. A test *executes* a case when the case drives what it does:
//! the case's own function is called (`c.invoke()`, a destructured `check()`), or the case, a
//! field of it or a value built from one (`new Request(url(c.path))`) is passed to a call that
//! is neither an assertion (`expect`, `assert*`) nor a plain data operation (`Set`, `JSON`,
//! `.map`, `.has`...). A test that only reads the cases' fields to assert on them (every ID
//! has a case, metadata is consistent) uses them without executing them.

use gates_core::fs::probe::Probe;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};

use oxc_allocator::Allocator;
use oxc_ast::AstKind;
use oxc_ast::ast::{
    Argument, ArrayExpressionElement, ArrowFunctionBody, BinaryOperator, BindingPattern,
    CallExpression, Expression, ForOfStatement, ForStatement, ForStatementInit, ForStatementLeft,
    FormalParameters, IdentifierReference, IfStatement, LogicalOperator, ModuleExportName,
    NewExpression, ObjectPropertyKind, Statement, TaggedTemplateExpression, TemplateLiteral,
    UnaryOperator, VariableDeclarator,
};
use oxc_ast_visit::{Visit, walk};

use super::testsrc::{self, DeclKind};
use super::ts;
use crate::fs::source::{self, SourceFile};

/// The fields whose values carry IDs when `case_fields` is not configured: the user's
/// `suiteId` and assertion keys, singular and plural.
pub const DEFAULT_CASE_FIELDS: &[&str] = &[
    "suiteId",
    "suiteIds",
    "suite",
    "suites",
    "assertionKey",
    "assertionKeys",
    "assertion",
    "assertions",
    "assertionId",
    "assertionIds",
    "negativeAssertionKey",
    "negativeAssertionKeys",
    "id",
    "ids",
];

/// One case object of a case table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// Repository-relative file declaring it.
    pub file: String,
    pub line: u32,
    pub col: u32,
    /// Literal fields (strings, numbers, booleans) by name.
    pub fields: BTreeMap<String, String>,
    /// Values of the ID-carrying fields, with their positions.
    pub ids: Vec<(String, u32, u32)>,
}

impl Case {
    /// Where the case carries `id` (the field value's position), if it does.
    pub fn carries(&self, id: &str) -> Option<(u32, u32)> {
        self.ids
            .iter()
            .find(|(v, _, _)| v == id || testsrc::find_token(v, id).is_some())
            .map(|(_, l, c)| (*l, *c))
    }
}

/// A piece of a test title as the runner will print it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Lit(String),
    /// A case's field value, which the runner may print quoted.
    Value(String),
    /// Anything (a value the source does not fix).
    Any,
}

/// A title pattern: pieces matched left to right.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TitlePat(pub Vec<Piece>);

impl TitlePat {
    pub fn matches(&self, title: &str) -> bool {
        fn go(p: &[Piece], t: &str) -> bool {
            match p.split_first() {
                None => t.is_empty(),
                Some((Piece::Lit(l), rest)) => {
                    t.strip_prefix(l.as_str()).is_some_and(|r| go(rest, r))
                }
                Some((Piece::Value(v), rest)) => {
                    if let Some(r) = t.strip_prefix(v.as_str())
                        && go(rest, r)
                    {
                        return true;
                    }
                    ['\'', '"', '`'].iter().any(|q| {
                        let Some(r) = t.strip_prefix(*q) else {
                            return false;
                        };
                        if let Some(r) = r.strip_prefix(v.as_str()).and_then(|r| r.strip_prefix(*q))
                            && go(rest, r)
                        {
                            return true;
                        }
                        // vitest truncates a long value: `'suite:cross-surface:metadata-import-b…'`.
                        r.match_indices('…').any(|(i, _)| {
                            v.starts_with(&r[..i])
                                && r[i + '…'.len_utf8()..]
                                    .strip_prefix(*q)
                                    .is_some_and(|r| go(rest, r))
                        })
                    })
                }
                Some((Piece::Any, rest)) => t
                    .char_indices()
                    .map(|(i, _)| i)
                    .chain([t.len()])
                    .any(|i| go(rest, &t[i..])),
            }
        }
        go(&self.0, title)
    }

    /// The pattern as text, `…` for what the source does not fix.
    pub fn display(&self) -> String {
        self.0
            .iter()
            .map(|p| match p {
                Piece::Lit(s) | Piece::Value(s) => s.as_str(),
                Piece::Any => "…",
            })
            .collect()
    }
}

/// How one test uses one case.
#[derive(Clone, Debug)]
pub struct CaseUse {
    /// Index into [`Analysis::cases`].
    pub case: usize,
    /// The test's file (repository-relative).
    pub file: String,
    /// Enclosing suite titles, then the test's title, as the runner names the test.
    pub path: Vec<TitlePat>,
    /// Position of the test's title.
    pub line: u32,
    pub col: u32,
    /// The case drives what the test does (see the module doc).
    pub executes: bool,
    /// The table was narrowed by something undecidable: the case may or may not be used.
    pub undecidable: Option<String>,
    /// The test or an enclosing suite is declared skipped/todo (e.g. "`describe.skip` `x`").
    pub static_skip: Option<String>,
}

impl CaseUse {
    pub fn test_name(&self) -> String {
        self.path
            .iter()
            .map(TitlePat::display)
            .collect::<Vec<_>>()
            .join(" > ")
    }

    /// Whether a runner's name path (suites, then test) is this test.
    pub fn matches(&self, names: &[String]) -> bool {
        names.len() == self.path.len() && self.path.iter().zip(names).all(|(p, n)| p.matches(n))
    }
}

/// The case tables and case uses of a set of test files.
#[derive(Debug, Default)]
pub struct Analysis {
    pub cases: Vec<Case>,
    pub uses: Vec<CaseUse>,
}

/// What an array expression is, as far as cases go.
#[derive(Clone, Debug)]
enum Arr {
    Cases(Vec<usize>),
    /// Possibly some of these cases; `reason` says what could not be decided.
    Undecidable {
        cases: Vec<usize>,
        reason: String,
    },
    NotCases,
}

impl Arr {
    fn cases(&self) -> Option<&[usize]> {
        match self {
            Arr::Cases(c) | Arr::Undecidable { cases: c, .. } => Some(c),
            Arr::NotCases => None,
        }
    }
}

/// Analyses the test files `files` (absolute paths inside `repo`).
pub fn analyse(repo: &Path, files: &[PathBuf], fields: &[String]) -> Analysis {
    let mut a = Analyser {
        repo: repo.to_path_buf(),
        fields: fields.to_vec(),
        out: Analysis::default(),
        index: HashMap::new(),
        depth: 0,
        overlay: Vec::new(),
        imported: HashMap::new(),
    };
    for f in files {
        if let Ok(sf) = source::read(repo, f) {
            a.test_file(&sf);
        }
    }
    a.out
}

struct Analyser {
    repo: PathBuf,
    fields: Vec<String>,
    out: Analysis,
    index: HashMap<(String, u32), usize>,
    /// Module nesting while following imports (bounded).
    depth: usize,
    /// Parameters of a helper being walked, bound to the tables its call passed.
    overlay: Vec<HashMap<String, Arr>>,
    /// Tables already resolved from imported modules, by (module, export).
    imported: HashMap<(PathBuf, String), Arr>,
}

/// A parsed module's top-level facts: its constant bindings and imports.
struct ModuleInfo<'a> {
    file: &'a SourceFile,
    /// Every `name = init` declarator, with its start offset (the nearest earlier one wins).
    decls: HashMap<String, Vec<(u32, &'a Expression<'a>)>>,
    /// `function name(...) {...}` declarations.
    functions: HashMap<String, &'a oxc_ast::ast::Function<'a>>,
    /// local name → (specifier, imported name).
    imports: HashMap<String, (String, String)>,
    /// exported name → local name.
    exports: HashMap<String, String>,
    /// exported name → (specifier, name there).
    reexports: HashMap<String, (String, String)>,
}

fn module_info<'a>(file: &'a SourceFile, program: &'a oxc_ast::ast::Program<'a>) -> ModuleInfo<'a> {
    struct Decls<'a> {
        decls: HashMap<String, Vec<(u32, &'a Expression<'a>)>>,
        functions: HashMap<String, &'a oxc_ast::ast::Function<'a>>,
    }
    impl<'a> Visit<'a> for Decls<'a> {
        fn enter_node(&mut self, kind: AstKind<'a>) {
            if let AstKind::Function(f) = kind
                && let Some(id) = &f.id
            {
                self.functions.insert(id.name.to_string(), f);
            }
            if let AstKind::VariableDeclarator(it) = kind
                && let (BindingPattern::BindingIdentifier(id), Some(init)) = (&it.id, &it.init)
            {
                self.decls
                    .entry(id.name.to_string())
                    .or_default()
                    .push((it.span.start, init));
            }
        }
    }
    let mut d = Decls {
        decls: HashMap::new(),
        functions: HashMap::new(),
    };
    d.visit_program(program);
    let mut info = ModuleInfo {
        file,
        decls: d.decls,
        functions: d.functions,
        imports: HashMap::new(),
        exports: HashMap::new(),
        reexports: HashMap::new(),
    };
    for st in &program.body {
        match st {
            Statement::ImportDeclaration(i) => {
                for s in i.specifiers.iter().flatten() {
                    use oxc_ast::ast::ImportDeclarationSpecifier as S;
                    let (local, imported) = match s {
                        S::ImportSpecifier(s) => {
                            (s.local.name.to_string(), export_name(&s.imported))
                        }
                        S::ImportDefaultSpecifier(s) => {
                            (s.local.name.to_string(), "default".into())
                        }
                        S::ImportNamespaceSpecifier(s) => (s.local.name.to_string(), "*".into()),
                    };
                    info.imports
                        .insert(local, (i.source.value.to_string(), imported));
                }
            }
            Statement::ExportFromDeclaration(e) => {
                for sp in &e.specifiers {
                    info.reexports.insert(
                        export_name(&sp.exported),
                        (e.source.value.to_string(), export_name(&sp.local)),
                    );
                }
            }
            Statement::ExportDeclaration(e) => {
                if let oxc_ast::ast::Declaration::VariableDeclaration(v) = &e.declaration {
                    for d in &v.declarations {
                        if let BindingPattern::BindingIdentifier(id) = &d.id {
                            info.exports
                                .insert(id.name.to_string(), id.name.to_string());
                        }
                    }
                }
            }
            Statement::ExportNamedDeclaration(e) => {
                for sp in &e.specifiers {
                    info.exports
                        .insert(export_name(&sp.exported), export_name(&sp.local));
                }
            }
            _ => {}
        }
    }
    info
}

fn export_name(n: &ModuleExportName) -> String {
    n.name().to_string()
}

const MAX_MODULE_DEPTH: usize = 8;

impl Analyser {
    fn test_file(&mut self, sf: &SourceFile) {
        let alloc = Allocator::default();
        let parsed = ts::parse(&alloc, sf);
        if parsed.panicked {
            return;
        }
        let info = module_info(sf, &parsed.program);
        let mut w = Walker {
            an: self,
            info: &info,
            frames: Vec::new(),
            tests: Vec::new(),
            inspect: 0,
            guards: Vec::new(),
            helpers: Vec::new(),
        };
        w.visit_program(&parsed.program);
        // Case tables nobody iterates are still cases: they explain "declared-only".
        for (name, defs) in &info.decls {
            for (at, init) in defs {
                if let Expression::ArrayExpression(_) = init.get_inner_expression() {
                    let _ = self.resolve(&info, init, *at);
                    let _ = name;
                }
            }
        }
    }

    /// Registers a case object; returns its index.
    fn case(&mut self, file: &SourceFile, obj: &oxc_ast::ast::ObjectExpression) -> Option<usize> {
        let mut fields = BTreeMap::new();
        let mut ids = Vec::new();
        for p in &obj.properties {
            let ObjectPropertyKind::ObjectProperty(p) = p else {
                continue;
            };
            let Some(key) = p.key.static_name() else {
                continue;
            };
            let key = key.to_string();
            if let Some(v) = literal(&p.value) {
                fields.insert(key.clone(), v);
            }
            if self.fields.iter().any(|f| f == &key) {
                for (v, off) in id_values(&p.value) {
                    let (l, c) = file.line_col(off);
                    ids.push((v, l, c));
                }
            }
        }
        let (line, col) = file.line_col(obj.span.start as usize);
        let key = (file.rel.clone(), obj.span.start);
        if let Some(&i) = self.index.get(&key) {
            return Some(i);
        }
        self.out.cases.push(Case {
            file: file.rel.clone(),
            line,
            col,
            fields,
            ids,
        });
        let i = self.out.cases.len() - 1;
        self.index.insert(key, i);
        Some(i)
    }

    /// What `e` (in module `info`, used at offset `at`) is as a case table.
    fn resolve(&mut self, info: &ModuleInfo, e: &Expression, at: u32) -> Arr {
        match e.get_inner_expression() {
            Expression::ArrayExpression(arr) => {
                let mut out = Vec::new();
                let mut undecided: Option<String> = None;
                let mut objects = false;
                for el in &arr.elements {
                    match el {
                        ArrayExpressionElement::ObjectExpression(o) => {
                            objects = true;
                            out.extend(self.case(info.file, o));
                        }
                        ArrayExpressionElement::SpreadElement(s) => {
                            match self.resolve(info, &s.argument, at) {
                                Arr::Cases(c) => {
                                    objects = true;
                                    out.extend(c);
                                }
                                Arr::Undecidable { cases, reason } => {
                                    objects = true;
                                    out.extend(cases);
                                    undecided = Some(reason);
                                }
                                Arr::NotCases => {}
                            }
                        }
                        other => {
                            if let Some(e) = other.as_expression()
                                && let Expression::Identifier(id) = e.get_inner_expression()
                                && let Some(init) = lookup(info, &id.name, id.span.start)
                                && let Expression::ObjectExpression(o) = init.get_inner_expression()
                            {
                                objects = true;
                                out.extend(self.case(info.file, o));
                            }
                        }
                    }
                }
                match (objects, undecided) {
                    (false, _) => Arr::NotCases,
                    (true, None) => Arr::Cases(out),
                    (true, Some(reason)) => Arr::Undecidable { cases: out, reason },
                }
            }
            Expression::Identifier(id) => {
                if self.depth == 0
                    && let Some(arr) = self
                        .overlay
                        .iter()
                        .rev()
                        .find_map(|m| m.get(id.name.as_str()))
                {
                    return arr.clone();
                }
                if let Some(init) = lookup(info, &id.name, at.min(id.span.start)) {
                    return self.resolve(info, init, at);
                }
                if let Some((spec, name)) = info.imports.get(id.name.as_str()).cloned() {
                    return self.resolve_import(info.file, &spec, &name);
                }
                Arr::NotCases
            }
            // `Object.values(TABLE)` of an object whose values are case objects.
            Expression::CallExpression(call)
                if call.callee.is_specific_member_access("Object", "values") =>
            {
                let Some(mut obj) = call.arguments.first().and_then(Argument::as_expression) else {
                    return Arr::NotCases;
                };
                for _ in 0..4 {
                    match obj.get_inner_expression() {
                        Expression::Identifier(id) => match lookup(info, &id.name, id.span.start) {
                            Some(init) => obj = init,
                            None => return Arr::NotCases,
                        },
                        _ => break,
                    }
                }
                let Expression::ObjectExpression(o) = obj.get_inner_expression() else {
                    return Arr::NotCases;
                };
                let mut out = Vec::new();
                for p in &o.properties {
                    if let ObjectPropertyKind::ObjectProperty(p) = p
                        && let Expression::ObjectExpression(c) = p.value.get_inner_expression()
                    {
                        out.extend(self.case(info.file, c));
                    }
                }
                if out.is_empty() {
                    Arr::NotCases
                } else {
                    Arr::Cases(out)
                }
            }
            Expression::CallExpression(call) => {
                let Some(m) = call.callee.get_inner_expression().as_member_expression() else {
                    return Arr::NotCases;
                };
                let Some(method) = m.static_property_name() else {
                    return Arr::NotCases;
                };
                let base = self.resolve(info, m.object(), at);
                let Some(cases) = base.cases().map(<[usize]>::to_vec) else {
                    return Arr::NotCases;
                };
                let prior = match &base {
                    Arr::Undecidable { reason, .. } => Some(reason.clone()),
                    _ => None,
                };
                let undecidable = |cases: Vec<usize>, reason: String| Arr::Undecidable {
                    cases,
                    reason: prior.clone().unwrap_or(reason),
                };
                let (l, c) = info.file.line_col(call.span.start as usize);
                match method {
                    "filter" => {
                        let Some(pred) = call.arguments.first().and_then(Argument::as_expression)
                        else {
                            return undecidable(
                                cases,
                                format!("`.filter` at {}:{l}:{c} has no predicate", info.file.rel),
                            );
                        };
                        let mut kept = Vec::new();
                        for &i in &cases {
                            match eval_pred(pred, &self.out.cases[i]) {
                                Some(true) => kept.push(i),
                                Some(false) => {}
                                None => {
                                    return undecidable(
                                        cases,
                                        format!(
                                            "the `.filter` predicate at {}:{l}:{c} cannot be decided from the cases' literal fields",
                                            info.file.rel
                                        ),
                                    );
                                }
                            }
                        }
                        if prior.is_some() {
                            undecidable(kept, String::new())
                        } else {
                            Arr::Cases(kept)
                        }
                    }
                    "slice" => {
                        let nums: Vec<Option<f64>> = call
                            .arguments
                            .iter()
                            .map(|a| {
                                match a.as_expression().map(Expression::get_inner_expression) {
                                    Some(Expression::NumericLiteral(n)) => Some(n.value),
                                    Some(Expression::UnaryExpression(u))
                                        if u.operator == UnaryOperator::UnaryNegation =>
                                    {
                                        match u.argument.get_inner_expression() {
                                            Expression::NumericLiteral(n) => Some(-n.value),
                                            _ => None,
                                        }
                                    }
                                    _ => None,
                                }
                            })
                            .collect();
                        if nums.iter().any(Option::is_none) || nums.len() > 2 {
                            return undecidable(
                                cases,
                                format!(
                                    "the `.slice` bounds at {}:{l}:{c} are not literal numbers",
                                    info.file.rel
                                ),
                            );
                        }
                        let n = cases.len() as i64;
                        let norm = |v: f64| {
                            let v = v as i64;
                            (if v < 0 { (n + v).max(0) } else { v.min(n) }) as usize
                        };
                        let from = nums.first().copied().flatten().map(norm).unwrap_or(0);
                        let to = nums
                            .get(1)
                            .copied()
                            .flatten()
                            .map(norm)
                            .unwrap_or(n as usize);
                        let kept = if from < to {
                            cases[from..to].to_vec()
                        } else {
                            Vec::new()
                        };
                        if prior.is_some() {
                            undecidable(kept, String::new())
                        } else {
                            Arr::Cases(kept)
                        }
                    }
                    "concat" => {
                        let mut all = cases;
                        let mut reason = prior.clone();
                        for a in &call.arguments {
                            if let Some(e) = a.as_expression() {
                                match self.resolve(info, e, at) {
                                    Arr::Cases(c) => all.extend(c),
                                    Arr::Undecidable { cases, reason: r } => {
                                        all.extend(cases);
                                        reason = Some(r);
                                    }
                                    Arr::NotCases => {}
                                }
                            }
                        }
                        match reason {
                            Some(r) => Arr::Undecidable {
                                cases: all,
                                reason: r,
                            },
                            None => Arr::Cases(all),
                        }
                    }
                    "entries" | "values" | "toSorted" | "toReversed" => base,
                    _ => undecidable(
                        cases,
                        format!(
                            "`.{method}(...)` at {}:{l}:{c} changes the case table in a way that cannot be followed",
                            info.file.rel
                        ),
                    ),
                }
            }
            _ => Arr::NotCases,
        }
    }

    /// The case table exported as `name` by the module `spec` imports from `from`.
    fn resolve_import(&mut self, from: &SourceFile, spec: &str, name: &str) -> Arr {
        if !spec.starts_with('.') || self.depth >= MAX_MODULE_DEPTH {
            return Arr::NotCases;
        }
        let Some(path) = resolve_relative(&from.path, spec) else {
            return Arr::NotCases;
        };
        if let Some(arr) = self.imported.get(&(path.clone(), name.to_string())) {
            return arr.clone();
        }
        let r = self.resolve_in_module(&path, name);
        self.imported.insert((path, name.to_string()), r.clone());
        r
    }

    /// The case table exported as `name` by the module at `path`.
    fn resolve_in_module(&mut self, path: &Path, name: &str) -> Arr {
        let Ok(sf) = source::read(&self.repo, path) else {
            return Arr::NotCases;
        };
        let alloc = Allocator::default();
        let parsed = ts::parse(&alloc, &sf);
        if parsed.panicked {
            return Arr::NotCases;
        }
        let info = module_info(&sf, &parsed.program);
        self.depth += 1;
        let r = if let Some(local) = info.exports.get(name).cloned() {
            match lookup(&info, &local, u32::MAX) {
                Some(init) => self.resolve(&info, init, u32::MAX),
                None => match info.imports.get(&local).cloned() {
                    Some((s, n)) => self.resolve_import(&sf, &s, &n),
                    None => Arr::NotCases,
                },
            }
        } else if let Some((s, n)) = info.reexports.get(name).cloned() {
            self.resolve_import(&sf, &s, &n)
        } else {
            Arr::NotCases
        };
        self.depth -= 1;
        r
    }
}

/// The nearest declaration of `name` before `at` (else the first one).
fn lookup<'a>(info: &ModuleInfo<'a>, name: &str, at: u32) -> Option<&'a Expression<'a>> {
    let defs = info.decls.get(name)?;
    defs.iter()
        .filter(|(o, _)| *o <= at)
        .max_by_key(|(o, _)| *o)
        .or_else(|| defs.first())
        .map(|(_, e)| *e)
}

/// `./x`, `./x.js` (a TypeScript source behind it), `./x/index.ts`...
fn resolve_relative(from: &Path, spec: &str) -> Option<PathBuf> {
    let base = from.parent()?.join(spec);
    let exts = ["ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs"];
    let mut candidates = vec![base.clone()];
    if let Some(stem) = spec
        .strip_suffix(".js")
        .or_else(|| spec.strip_suffix(".mjs"))
    {
        let b = from.parent()?.join(stem);
        candidates.push(b.with_extension("ts"));
        candidates.push(b.with_extension("mts"));
        candidates.push(b.with_extension("tsx"));
    }
    for e in exts {
        let mut s = base.clone().into_os_string();
        s.push(".");
        s.push(e);
        candidates.push(PathBuf::from(s));
    }
    for e in exts {
        candidates.push(base.join(format!("index.{e}")));
    }
    candidates.into_iter().find(|p| p.probe_is_file())
}

/// A literal's text: strings, template literals without expressions, numbers, booleans.
fn literal(e: &Expression) -> Option<String> {
    match e.get_inner_expression() {
        Expression::StringLiteral(s) => Some(s.value.to_string()),
        Expression::TemplateLiteral(t) if t.expressions.is_empty() => {
            let q = t.quasis.first()?;
            Some(q.value.cooked.as_ref().unwrap_or(&q.value.raw).to_string())
        }
        Expression::NumericLiteral(n) => Some(n.value.to_string()),
        Expression::BooleanLiteral(b) => Some(b.value.to_string()),
        _ => None,
    }
}

/// The ID strings of a field value: a string, or an array of strings.
fn id_values(e: &Expression) -> Vec<(String, usize)> {
    match e.get_inner_expression() {
        Expression::StringLiteral(s) => vec![(s.value.to_string(), s.span.start as usize + 1)],
        Expression::TemplateLiteral(t) if t.expressions.is_empty() => literal(e)
            .map(|v| vec![(v, t.span.start as usize + 1)])
            .unwrap_or_default(),
        Expression::ArrayExpression(a) => a
            .elements
            .iter()
            .filter_map(|el| el.as_expression())
            .flat_map(id_values)
            .collect(),
        _ => Vec::new(),
    }
}

/// A value during predicate evaluation.
#[derive(Clone, Debug, PartialEq)]
enum Val {
    Str(String),
    Num(f64),
    Bool(bool),
    Undefined,
    Null,
}

impl Val {
    fn truthy(&self) -> bool {
        match self {
            Val::Str(s) => !s.is_empty(),
            Val::Num(n) => *n != 0.0 && !n.is_nan(),
            Val::Bool(b) => *b,
            Val::Undefined | Val::Null => false,
        }
    }
}

/// Evaluates a `.filter` predicate on a case: `Some(keep)` when decidable.
fn eval_pred(pred: &Expression, case: &Case) -> Option<bool> {
    // The param: a name (`c => c.kind === "x"`) or a destructured object (`({ kind }) => ...`).
    let (params, body): (&FormalParameters, Option<&Expression>) = match pred.get_inner_expression()
    {
        Expression::ArrowFunctionExpression(f) => {
            let body = match &f.body {
                ArrowFunctionBody::FunctionBody(b) => single_return(&b.statements),
                other => other.as_expression(),
            };
            (&f.params, body)
        }
        Expression::FunctionExpression(f) => (
            &f.params,
            f.body.as_ref().and_then(|b| single_return(&b.statements)),
        ),
        _ => return None,
    };
    let body = body?;
    let mut env = Env::default();
    match params.items.first().map(|p| &p.pattern) {
        Some(BindingPattern::BindingIdentifier(id)) => env.case_name = Some(id.name.to_string()),
        Some(BindingPattern::ObjectPattern(o)) => {
            for p in &o.properties {
                if let (Some(k), BindingPattern::BindingIdentifier(id)) =
                    (p.key.static_name(), &p.value)
                {
                    env.fields.insert(id.name.to_string(), k.to_string());
                }
            }
        }
        _ => return None,
    }
    eval(body, case, &env).map(|v| v.truthy())
}

fn single_return<'b, 'a>(stmts: &'b [Statement<'a>]) -> Option<&'b Expression<'a>> {
    match stmts {
        [Statement::ReturnStatement(r)] => r.argument.as_ref(),
        _ => None,
    }
}

#[derive(Default)]
struct Env {
    case_name: Option<String>,
    /// local binding → field name
    fields: HashMap<String, String>,
}

fn field_val(case: &Case, field: &str, present_non_literal: bool) -> Option<Val> {
    match case.fields.get(field) {
        Some(v) => Some(match v.parse::<f64>() {
            _ if v == "true" => Val::Bool(true),
            _ if v == "false" => Val::Bool(false),
            Ok(n) if !v.is_empty() && v.trim() == v => Val::Num(n),
            _ => Val::Str(v.clone()),
        }),
        None if present_non_literal => None,
        None => Some(Val::Undefined),
    }
}

fn eval(e: &Expression, case: &Case, env: &Env) -> Option<Val> {
    match e.get_inner_expression() {
        Expression::StringLiteral(s) => Some(Val::Str(s.value.to_string())),
        Expression::NumericLiteral(n) => Some(Val::Num(n.value)),
        Expression::BooleanLiteral(b) => Some(Val::Bool(b.value)),
        Expression::NullLiteral(_) => Some(Val::Null),
        Expression::TemplateLiteral(_) => literal(e).map(Val::Str),
        Expression::Identifier(id) if id.name == "undefined" => Some(Val::Undefined),
        Expression::Identifier(id) => {
            let f = env.fields.get(id.name.as_str())?;
            field_val(case, f, false).filter(|v| *v != Val::Undefined || !case_has_field(case, f))
        }
        Expression::StaticMemberExpression(m) => {
            let Expression::Identifier(o) = m.object.get_inner_expression() else {
                return None;
            };
            if env.case_name.as_deref() != Some(o.name.as_str()) {
                return None;
            }
            let f = m.property.name.as_str();
            if case_has_field(case, f) && !case.fields.contains_key(f) {
                return None;
            }
            field_val(case, f, false)
        }
        Expression::UnaryExpression(u) if u.operator == UnaryOperator::LogicalNot => {
            eval(&u.argument, case, env).map(|v| Val::Bool(!v.truthy()))
        }
        Expression::LogicalExpression(l) => {
            let a = eval(&l.left, case, env)?;
            match l.operator {
                LogicalOperator::And => {
                    if a.truthy() {
                        eval(&l.right, case, env)
                    } else {
                        Some(a)
                    }
                }
                LogicalOperator::Or => {
                    if a.truthy() {
                        Some(a)
                    } else {
                        eval(&l.right, case, env)
                    }
                }
                LogicalOperator::Coalesce => {
                    if matches!(a, Val::Null | Val::Undefined) {
                        eval(&l.right, case, env)
                    } else {
                        Some(a)
                    }
                }
            }
        }
        Expression::BinaryExpression(b) => {
            let l = eval(&b.left, case, env)?;
            let r = eval(&b.right, case, env)?;
            match b.operator {
                BinaryOperator::StrictEquality | BinaryOperator::Equality => {
                    Some(Val::Bool(l == r))
                }
                BinaryOperator::StrictInequality | BinaryOperator::Inequality => {
                    Some(Val::Bool(l != r))
                }
                _ => None,
            }
        }
        Expression::CallExpression(c) => {
            // `c.field.startsWith("x")`, `.endsWith`, `.includes` on a literal string field.
            let m = c.callee.get_inner_expression().as_member_expression()?;
            let method = m.static_property_name()?;
            let Val::Str(s) = eval(m.object(), case, env)? else {
                return None;
            };
            let arg = c.arguments.first()?.as_expression()?;
            let Val::Str(a) = eval(arg, case, env)? else {
                return None;
            };
            match method {
                "startsWith" => Some(Val::Bool(s.starts_with(&a))),
                "endsWith" => Some(Val::Bool(s.ends_with(&a))),
                "includes" => Some(Val::Bool(s.contains(&a))),
                _ => None,
            }
        }
        _ => None,
    }
}

/// Whether the case object declares `field` at all (with a non-literal value, the field is
/// not in `fields`): recorded through its ID values or literal fields only, so a field with a
/// computed value reads as "unknown" only when it is an ID field.
fn case_has_field(case: &Case, field: &str) -> bool {
    case.fields.contains_key(field)
}

// ---- the walk over a test file --------------------------------------------------------

/// A binding of cases in scope: a loop over a table, or an `each` table.
struct Frame {
    cases: Vec<usize>,
    undecidable: Option<String>,
    /// Bindings that are the case itself.
    names: HashSet<String>,
    /// Bindings destructured from the case (`for (const { invoke } of CASES)`).
    members: HashSet<String>,
    /// Bindings computed from the case (a request built from its fields) or the loop index.
    derived: HashSet<String>,
    /// Indexed loops: (array name, index name); `ARR[i]` is the case.
    indexed: Option<(String, String)>,
    /// Created outside any test: each test inside runs once per case.
    per_test: bool,
    /// The cases that drove a call (for `per_test` frames: within the current test).
    driven: HashSet<usize>,
}

/// An open `describe`/`it` call.
struct Open {
    kind: DeclKind,
    title: Vec<TPiece>,
    offset: usize,
    skip: Option<String>,
    /// Loops over cases inside this test's body: (cases, undecidable, the cases driven).
    loops: Vec<(Vec<usize>, Option<String>, HashSet<usize>)>,
    /// Index of the frame stack length when the call was entered.
    frames_at: usize,
}

/// A title piece before a case is chosen.
#[derive(Clone, Debug)]
enum TPiece {
    Lit(String),
    /// A field of the case bound by frame `frame`.
    Field {
        frame: usize,
        field: String,
    },
    Any,
}

struct Walker<'w, 'a> {
    an: &'w mut Analyser,
    info: &'w ModuleInfo<'a>,
    frames: Vec<Frame>,
    tests: Vec<Open>,
    /// Inside an assertion's arguments.
    inspect: usize,
    /// Enclosing conditions on cases: per level, (frame, the cases let through).
    guards: Vec<Vec<(usize, HashSet<usize>)>>,
    /// Helpers being walked for a call (bounded, no recursion).
    helpers: Vec<String>,
}

/// The body of a helper function or a callback.
enum HelperBody<'b, 'a> {
    Block(&'b oxc_ast::ast::FunctionBody<'a>),
    Arrow(&'b ArrowFunctionBody<'a>),
}

/// Callees whose calls only compute or inspect data.
const PURE_FUNCTIONS: &[&str] = &[
    "Set",
    "Map",
    "WeakMap",
    "WeakSet",
    "Array",
    "Object",
    "String",
    "Number",
    "Boolean",
    "JSON",
    "Math",
    "Date",
    "Symbol",
    "BigInt",
    "console",
    "Reflect",
    "structuredClone",
    "encodeURIComponent",
    "decodeURIComponent",
    "encodeURI",
    "decodeURI",
    "parseInt",
    "parseFloat",
    "isNaN",
    "URL",
    "URLSearchParams",
    "Headers",
    "Request",
    "Response",
    "Promise",
    "path",
    "RegExp",
    "Error",
    "TypeError",
    "Buffer",
    "TextEncoder",
    "TextDecoder",
];

/// Methods that only compute or inspect data, whatever their receiver.
const PURE_METHODS: &[&str] = &[
    "map",
    "filter",
    "forEach",
    "flatMap",
    "reduce",
    "some",
    "every",
    "find",
    "findIndex",
    "findLast",
    "includes",
    "indexOf",
    "lastIndexOf",
    "has",
    "add",
    "push",
    "pop",
    "shift",
    "unshift",
    "join",
    "split",
    "slice",
    "concat",
    "keys",
    "values",
    "entries",
    "at",
    "sort",
    "reverse",
    "flat",
    "fill",
    "startsWith",
    "endsWith",
    "toString",
    "toLowerCase",
    "toUpperCase",
    "trim",
    "trimStart",
    "trimEnd",
    "replace",
    "replaceAll",
    "padStart",
    "padEnd",
    "localeCompare",
    "match",
    "matchAll",
    "charAt",
    "substring",
    "toFixed",
    "valueOf",
    "test",
    "toSorted",
    "toReversed",
    "size",
];

/// Methods that are data operations on a `Map`/`Set` but requests on an HTTP client.
const COLLECTION_METHODS: &[&str] = &["get", "set", "delete"];

/// Methods of an array that visit its elements with a callback.
const ITERATING_METHODS: &[&str] = &["forEach", "map", "flatMap", "some", "every"];

fn base_ident<'b>(e: &'b Expression<'b>) -> Option<&'b str> {
    match e.get_inner_expression() {
        Expression::Identifier(id) => Some(id.name.as_str()),
        Expression::CallExpression(c) => base_ident(&c.callee),
        e => e
            .as_member_expression()
            .and_then(|m| base_ident(m.object())),
    }
}

fn is_assertion(callee: &Expression) -> bool {
    base_ident(callee).is_some_and(|b| {
        b == "expect" || b == "assert" || b.starts_with("expect") || b.starts_with("assert")
    })
}

/// Identifier references inside an expression (nested functions included).
fn refs(e: &Expression) -> Vec<String> {
    struct R(Vec<String>);
    impl<'a> Visit<'a> for R {
        fn visit_identifier_reference(&mut self, it: &IdentifierReference<'a>) {
            self.0.push(it.name.to_string());
        }
    }
    let mut r = R(Vec::new());
    r.visit_expression(e);
    r.0
}

fn pattern_bindings(p: &BindingPattern, out: &mut Vec<(String, Option<String>)>) {
    match p {
        BindingPattern::BindingIdentifier(id) => out.push((id.name.to_string(), None)),
        BindingPattern::ObjectPattern(o) => {
            for prop in &o.properties {
                match &prop.value {
                    BindingPattern::BindingIdentifier(id) => out.push((
                        id.name.to_string(),
                        prop.key.static_name().map(|k| k.to_string()),
                    )),
                    BindingPattern::AssignmentPattern(a) => {
                        if let BindingPattern::BindingIdentifier(id) = &a.left {
                            out.push((
                                id.name.to_string(),
                                prop.key.static_name().map(|k| k.to_string()),
                            ));
                        }
                    }
                    other => pattern_bindings(other, out),
                }
            }
            if let Some(r) = &o.rest {
                pattern_bindings(&r.argument, out);
            }
        }
        BindingPattern::ArrayPattern(a) => {
            for el in a.elements.iter().flatten() {
                pattern_bindings(el, out);
            }
        }
        BindingPattern::AssignmentPattern(a) => pattern_bindings(&a.left, out),
    }
}

impl<'w, 'a> Walker<'w, 'a> {
    fn frame(&self, arr: &Arr, binding: Option<&BindingPattern>, entries: bool) -> Option<Frame> {
        let cases = arr.cases()?.to_vec();
        let undecidable = match arr {
            Arr::Undecidable { reason, .. } => Some(reason.clone()),
            _ => None,
        };
        let mut f = Frame {
            cases,
            undecidable,
            names: HashSet::new(),
            members: HashSet::new(),
            derived: HashSet::new(),
            indexed: None,
            per_test: !self.tests.iter().any(|t| t.kind == DeclKind::Test),
            driven: HashSet::new(),
        };
        let pat = match (binding, entries) {
            // `for (const [i, c] of CASES.entries())`
            (Some(BindingPattern::ArrayPattern(a)), true) => {
                a.elements.get(1).and_then(Option::as_ref)
            }
            (b, _) => b,
        };
        match pat {
            Some(BindingPattern::BindingIdentifier(id)) => {
                f.names.insert(id.name.to_string());
            }
            Some(BindingPattern::AssignmentPattern(a)) => {
                if let BindingPattern::BindingIdentifier(id) = &a.left {
                    f.names.insert(id.name.to_string());
                }
            }
            Some(p) => {
                let mut out = Vec::new();
                pattern_bindings(p, &mut out);
                f.members.extend(out.into_iter().map(|(n, _)| n));
            }
            None => {}
        }
        Some(f)
    }

    fn is_entries(e: &Expression) -> bool {
        e.get_inner_expression()
            .as_member_expression()
            .and_then(|m| m.static_property_name())
            .is_some()
            && matches!(e.get_inner_expression(), Expression::CallExpression(c)
                if c.callee.get_inner_expression().as_member_expression().and_then(|m| m.static_property_name()) == Some("entries"))
    }

    /// Which frame (index) holds `e` as the case itself.
    fn case_frame(&self, e: &Expression) -> Option<usize> {
        match e.get_inner_expression() {
            Expression::Identifier(id) => self
                .frames
                .iter()
                .rposition(|f| f.names.contains(id.name.as_str())),
            Expression::ComputedMemberExpression(m) => {
                let (Expression::Identifier(a), Expression::Identifier(i)) = (
                    m.object.get_inner_expression(),
                    m.expression.get_inner_expression(),
                ) else {
                    return None;
                };
                self.frames.iter().rposition(|f| {
                    f.indexed.as_ref().is_some_and(|(an, iname)| {
                        an == a.name.as_str() && iname == i.name.as_str()
                    })
                })
            }
            _ => None,
        }
    }

    /// Frames whose case (or a value made from it) `e` refers to.
    fn tainted_frames(&self, e: &Expression) -> Vec<usize> {
        let names = refs(e);
        self.frames
            .iter()
            .enumerate()
            .filter(|(_, f)| {
                names
                    .iter()
                    .any(|n| f.names.contains(n) || f.members.contains(n) || f.derived.contains(n))
            })
            .map(|(i, _)| i)
            .collect()
    }

    /// The cases of `frames` that reach this point: those every enclosing guard on the
    /// case (`if (c.kind === "local")`, an early `continue`) lets through.
    fn drive(&mut self, frames: Vec<usize>) {
        for i in frames {
            let mut allowed: HashSet<usize> = self.frames[i].cases.iter().copied().collect();
            for g in &self.guards {
                for (f, set) in g {
                    if *f == i {
                        allowed.retain(|c| set.contains(c));
                    }
                }
            }
            self.frames[i].driven.extend(allowed);
        }
    }

    /// For each frame whose case `test` reads: the cases for which `test` is `want` (a case
    /// whose guard cannot be decided is let through).
    fn guard_sets(&self, test: &Expression, want: bool) -> Vec<(usize, HashSet<usize>)> {
        let names = refs(test);
        let mut out = Vec::new();
        for (fi, f) in self.frames.iter().enumerate() {
            let env = Env {
                case_name: f.names.iter().find(|n| names.contains(n)).cloned(),
                fields: f
                    .members
                    .iter()
                    .filter(|m| names.contains(m))
                    .map(|m| (m.clone(), m.clone()))
                    .collect(),
            };
            if env.case_name.is_none() && env.fields.is_empty() {
                continue;
            }
            let set = f
                .cases
                .iter()
                .copied()
                .filter(|&c| {
                    eval(test, &self.an.out.cases[c], &env).is_none_or(|v| v.truthy() == want)
                })
                .collect();
            out.push((fi, set));
        }
        out
    }

    /// A title argument as pieces; `each` titles also interpolate `$field` and `%s`.
    fn title(&self, arg: Option<&Argument>, each_frame: Option<usize>) -> Option<Vec<TPiece>> {
        let e = arg?.as_expression()?.get_inner_expression();
        let mut out = Vec::new();
        match e {
            Expression::StringLiteral(s) => out.push(TPiece::Lit(s.value.to_string())),
            Expression::TemplateLiteral(t) => self.template_pieces(t, &mut out),
            _ => out.push(TPiece::Any),
        }
        if let Some(frame) = each_frame {
            out = out
                .into_iter()
                .flat_map(|p| match p {
                    TPiece::Lit(s) => interpolate(&s, frame),
                    other => vec![other],
                })
                .collect();
        }
        Some(out)
    }

    fn template_pieces(&self, t: &TemplateLiteral, out: &mut Vec<TPiece>) {
        for (i, q) in t.quasis.iter().enumerate() {
            out.push(TPiece::Lit(
                q.value.cooked.as_ref().unwrap_or(&q.value.raw).to_string(),
            ));
            if let Some(e) = t.expressions.get(i) {
                out.push(self.field_piece(e));
            }
        }
    }

    /// `${c.field}` / `${field}` (destructured) → the case's field; else anything.
    fn field_piece(&self, e: &Expression) -> TPiece {
        match e.get_inner_expression() {
            Expression::StaticMemberExpression(m) => {
                if let Some(frame) = self.case_frame(&m.object) {
                    return TPiece::Field {
                        frame,
                        field: m.property.name.to_string(),
                    };
                }
                TPiece::Any
            }
            Expression::Identifier(id) => {
                match self
                    .frames
                    .iter()
                    .rposition(|f| f.members.contains(id.name.as_str()))
                {
                    Some(frame) => TPiece::Field {
                        frame,
                        field: id.name.to_string(),
                    },
                    None => TPiece::Any,
                }
            }
            _ => TPiece::Any,
        }
    }

    /// Records the uses of a test that is closing.
    fn close_test(&mut self, open: Open) {
        let file = self.info.file.rel.clone();
        let (line, col) = self.info.file.line_col(open.offset);
        let chain: Vec<&Open> = self
            .tests
            .iter()
            .filter(|t| t.kind == DeclKind::Suite)
            .collect();
        let skip = chain
            .iter()
            .map(|t| t.skip.clone())
            .chain([open.skip.clone()])
            .flatten()
            .next();
        let titles: Vec<&Vec<TPiece>> = chain
            .iter()
            .map(|t| &t.title)
            .chain([&open.title])
            .collect();
        let path_for = |an: &Analyser, per: Option<(usize, usize)>| -> Vec<TitlePat> {
            titles
                .iter()
                .map(|pieces| {
                    TitlePat(
                        pieces
                            .iter()
                            .map(|p| match p {
                                TPiece::Lit(s) => Piece::Lit(s.clone()),
                                TPiece::Any => Piece::Any,
                                TPiece::Field { frame, field } => match per {
                                    Some((f, case)) if f == *frame => {
                                        match an.out.cases[case].fields.get(field) {
                                            Some(v) => Piece::Value(v.clone()),
                                            None => Piece::Any,
                                        }
                                    }
                                    _ => Piece::Any,
                                },
                            })
                            .collect(),
                    )
                })
                .collect()
        };
        // One test per case of the innermost loop/table around it.
        if let Some(fi) = self.frames[..open.frames_at]
            .iter()
            .rposition(|f| f.per_test)
        {
            let f = &self.frames[fi];
            for &case in &f.cases.clone() {
                let path = path_for(self.an, Some((fi, case)));
                self.an.out.uses.push(CaseUse {
                    case,
                    file: file.clone(),
                    path,
                    line,
                    col,
                    executes: self.frames[fi].driven.contains(&case),
                    undecidable: self.frames[fi].undecidable.clone(),
                    static_skip: skip.clone(),
                });
            }
        }
        for (cases, undecidable, executes) in &open.loops {
            for &case in cases {
                let path = path_for(self.an, None);
                self.an.out.uses.push(CaseUse {
                    case,
                    file: file.clone(),
                    path,
                    line,
                    col,
                    executes: executes.contains(&case),
                    undecidable: undecidable.clone(),
                    static_skip: skip.clone(),
                });
            }
        }
    }

    /// Walks `body` with `frame` pushed; returns the frame.
    fn with_frame(&mut self, frame: Frame, body: impl FnOnce(&mut Self)) -> Frame {
        self.frames.push(frame);
        body(self);
        let f = self.frames.pop().expect("frame");
        if !f.per_test
            && let Some(t) = self
                .tests
                .iter_mut()
                .rev()
                .find(|t| t.kind == DeclKind::Test)
        {
            t.loops
                .push((f.cases.clone(), f.undecidable.clone(), f.driven.clone()));
        }
        f
    }

    /// A test-API call: `describe`/`it`, with `.each` tables.
    fn test_call(&mut self, it: &CallExpression<'a>, kind: DeclKind, modifiers: Vec<String>) {
        let skip = modifiers
            .iter()
            .find(|m| matches!(m.as_str(), "skip" | "todo" | "skipIf" | "runIf"))
            .map(|m| format!("`.{m}`"));
        let each = modifiers.iter().any(|m| m == "each" || m == "for");
        // The table of `it.each(table)` / `it.each\`...\``.
        let mut table: Option<Arr> = None;
        if each {
            match it.callee.get_inner_expression() {
                Expression::CallExpression(c) => {
                    if let Some(e) = c.arguments.first().and_then(Argument::as_expression) {
                        let at = e.span_start();
                        table = Some(self.an.resolve(self.info, e, at));
                    }
                }
                Expression::TaggedTemplateExpression(t) => {
                    table = Some(self.template_table(t));
                }
                _ => {}
            }
        }
        let callback = it.arguments.get(1).and_then(Argument::as_expression);
        let param = callback.and_then(|cb| match cb.get_inner_expression() {
            Expression::ArrowFunctionExpression(f) => f.params.items.first().map(|p| &p.pattern),
            Expression::FunctionExpression(f) => f.params.items.first().map(|p| &p.pattern),
            _ => None,
        });
        let frame = table.as_ref().and_then(|t| {
            let mut f = self.frame(t, param, false)?;
            f.per_test = true;
            Some(f)
        });
        let each_frame = frame.as_ref().map(|_| self.frames.len());
        let title = self
            .title(it.arguments.first(), each_frame)
            .unwrap_or_else(|| vec![TPiece::Any]);
        let offset = it
            .arguments
            .first()
            .map(|a| a.span_start() as usize)
            .unwrap_or(it.span.start as usize);
        let frames_at = self.frames.len() + usize::from(frame.is_some());
        let open = Open {
            kind,
            title,
            offset,
            skip: skip.map(|m| {
                format!(
                    "{} {m}",
                    if kind == DeclKind::Suite {
                        "suite"
                    } else {
                        "test"
                    }
                )
            }),
            loops: Vec::new(),
            frames_at,
        };
        let run = |w: &mut Self| {
            // Per-case frames around this test count what happens inside it only.
            let saved: Vec<HashSet<usize>> = w.frames.iter().map(|f| f.driven.clone()).collect();
            if kind == DeclKind::Test {
                for f in w.frames.iter_mut().filter(|f| f.per_test) {
                    f.driven.clear();
                }
            }
            w.tests.push(open);
            for a in &it.arguments {
                if let Some(e) = a.as_expression() {
                    w.visit_expression(e);
                }
            }
            let open = w.tests.pop().expect("open");
            if kind == DeclKind::Test {
                w.close_test(open);
                for (f, s) in w.frames.iter_mut().zip(saved) {
                    f.driven.extend(s);
                }
            }
        };
        match frame {
            Some(f) => {
                self.frames.push(f);
                run(self);
                self.frames.pop();
            }
            None => run(self),
        }
    }

    /// `it.each\` a | b \n ${x} | ${y} \``: one case per row.
    fn template_table(&mut self, t: &TaggedTemplateExpression<'a>) -> Arr {
        let q = &t.quasi;
        let header = q
            .quasis
            .first()
            .map(|q| q.value.raw.to_string())
            .unwrap_or_default();
        let cols: Vec<String> = header
            .split('|')
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        if cols.is_empty()
            || q.expressions.is_empty()
            || !q.expressions.len().is_multiple_of(cols.len())
        {
            return Arr::NotCases;
        }
        let mut out = Vec::new();
        for row in q.expressions.chunks(cols.len()) {
            let mut fields = BTreeMap::new();
            let mut ids = Vec::new();
            for (col, e) in cols.iter().zip(row) {
                if let Some(v) = literal(e) {
                    fields.insert(col.clone(), v);
                }
                if self.an.fields.iter().any(|f| f == col) {
                    for (v, off) in id_values(e) {
                        let (l, c) = self.info.file.line_col(off);
                        ids.push((v, l, c));
                    }
                }
            }
            let start = row[0].span_start();
            let (line, col) = self.info.file.line_col(start as usize);
            let key = (self.info.file.rel.clone(), start);
            let i = match self.an.index.get(&key) {
                Some(&i) => i,
                None => {
                    self.an.out.cases.push(Case {
                        file: self.info.file.rel.clone(),
                        line,
                        col,
                        fields,
                        ids,
                    });
                    let i = self.an.out.cases.len() - 1;
                    self.an.index.insert(key, i);
                    i
                }
            };
            out.push(i);
        }
        Arr::Cases(out)
    }
}

/// Whether a statement always leaves the loop iteration (`continue`, `return`, `break`,
/// `throw`, or a block ending in one).
fn leaves(st: &Statement) -> bool {
    match st {
        Statement::ContinueStatement(_)
        | Statement::ReturnStatement(_)
        | Statement::BreakStatement(_)
        | Statement::ThrowStatement(_) => true,
        Statement::BlockStatement(b) => b.body.last().is_some_and(leaves),
        _ => false,
    }
}

/// Splits an `each` title literal at `$field` and `%s`-style placeholders.
fn interpolate(s: &str, frame: usize) -> Vec<TPiece> {
    let mut out = Vec::new();
    let mut lit = String::new();
    let mut chars = s.char_indices().peekable();
    while let Some((i, ch)) = chars.next() {
        if ch == '%' {
            match chars.peek().map(|(_, c)| *c) {
                Some('%') => {
                    chars.next();
                    lit.push('%');
                }
                Some('s' | 'd' | 'i' | 'f' | 'j' | 'o' | 'O' | 'p' | '#' | '$' | 'c') => {
                    chars.next();
                    out.push(TPiece::Lit(std::mem::take(&mut lit)));
                    out.push(TPiece::Any);
                }
                _ => lit.push('%'),
            }
            continue;
        }
        if ch == '$' {
            let rest = &s[i + 1..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                for _ in 0..name.chars().count() {
                    chars.next();
                }
                out.push(TPiece::Lit(std::mem::take(&mut lit)));
                // `$a.b` paths are not followed: anything.
                if chars.peek().map(|(_, c)| *c) == Some('.') {
                    while chars
                        .peek()
                        .is_some_and(|(_, c)| *c == '.' || c.is_alphanumeric() || *c == '_')
                    {
                        chars.next();
                    }
                    out.push(TPiece::Any);
                } else {
                    out.push(TPiece::Field { frame, field: name });
                }
                continue;
            }
        }
        lit.push(ch);
    }
    out.push(TPiece::Lit(lit));
    out.retain(|p| !matches!(p, TPiece::Lit(s) if s.is_empty()));
    out
}

impl<'a> Visit<'a> for Walker<'_, 'a> {
    fn visit_call_expression(&mut self, it: &CallExpression<'a>) {
        if let Some((kind, modifiers)) = testsrc::classify(&it.callee) {
            self.test_call(it, kind, modifiers);
            return;
        }
        if is_assertion(&it.callee) {
            self.inspect += 1;
            walk::walk_call_expression(self, it);
            self.inspect -= 1;
            return;
        }
        let member = it.callee.get_inner_expression().as_member_expression();
        let method = member.and_then(|m| m.static_property_name());
        // `CASES.forEach(c => ...)`, `CASES.map(...)`: a loop with the callback's param bound.
        if let (Some(m), Some(method)) = (member, method)
            && ITERATING_METHODS.contains(&method)
            && let Some(cb) = it.arguments.first().and_then(Argument::as_expression)
        {
            let arr = self.an.resolve(self.info, m.object(), it.span.start);
            if arr.cases().is_some() {
                let (params, body): (&FormalParameters<'a>, Option<HelperBody<'_, 'a>>) =
                    match cb.get_inner_expression() {
                        Expression::ArrowFunctionExpression(f) => {
                            (&f.params, Some(HelperBody::Arrow(&f.body)))
                        }
                        Expression::FunctionExpression(f) => {
                            (&f.params, f.body.as_deref().map(HelperBody::Block))
                        }
                        _ => {
                            walk::walk_call_expression(self, it);
                            return;
                        }
                    };
                let param = params.items.first().map(|p| &p.pattern);
                if let Some(frame) = self.frame(&arr, param, false) {
                    self.visit_expression(m.object());
                    self.with_frame(frame, |w| match body {
                        Some(HelperBody::Block(b)) => w.visit_function_body(b),
                        Some(HelperBody::Arrow(b)) => w.visit_arrow_function_body(b),
                        None => {}
                    });
                    return;
                }
            }
        }
        // The case's own function: `c.invoke()`, `CASES[i].check()`, a destructured `run()`;
        // called inside an assertion too (`expect(c.invoke()).toBe(...)` runs the case).
        let mut hit: Vec<usize> = Vec::new();
        if let Some(m) = member
            && let Some(f) = self.case_frame(m.object())
        {
            hit.push(f);
        }
        if let Expression::Identifier(id) = it.callee.get_inner_expression()
            && let Some(f) = self.frames.iter().rposition(|f| {
                f.members.contains(id.name.as_str()) || f.names.contains(id.name.as_str())
            })
        {
            hit.push(f);
        }
        if self.inspect == 0 {
            let pure_fn = base_ident(&it.callee).is_some_and(|b| PURE_FUNCTIONS.contains(&b))
                && !matches!(it.callee.get_inner_expression(), Expression::Identifier(id) if self.frames.iter().any(|f| f.members.contains(id.name.as_str())));
            let pure_method = method.is_some_and(|m| {
                PURE_METHODS.contains(&m)
                    || (COLLECTION_METHODS.contains(&m)
                        && member.is_some_and(|mm| self.is_collection(mm.object())))
            });
            if !pure_fn && !pure_method {
                for a in &it.arguments {
                    if let Some(e) = a.as_expression() {
                        hit.extend(self.tainted_frames(e));
                    } else if let Argument::SpreadElement(s) = a {
                        hit.extend(self.tainted_frames(&s.argument));
                    }
                }
                // A method of a value built from the case (`request.send()`).
                if let Some(m) = member {
                    hit.extend(self.tainted_frames(m.object()));
                }
            }
        }
        self.drive(hit);
        walk::walk_call_expression(self, it);
        self.follow_helper(it);
    }

    fn visit_tagged_template_expression(&mut self, it: &TaggedTemplateExpression<'a>) {
        walk::walk_tagged_template_expression(self, it);
    }

    fn visit_new_expression(&mut self, it: &NewExpression<'a>) {
        // Building a value (a `Request`) is not yet driving anything; what it is passed to is.
        // A constructor of the code under test taking the case does drive it.
        if self.inspect == 0 && !base_ident(&it.callee).is_some_and(|b| PURE_FUNCTIONS.contains(&b))
        {
            let mut hit = Vec::new();
            for a in &it.arguments {
                if let Some(e) = a.as_expression() {
                    hit.extend(self.tainted_frames(e));
                }
            }
            self.drive(hit);
        }
        walk::walk_new_expression(self, it);
    }

    fn visit_variable_declarator(&mut self, it: &VariableDeclarator<'a>) {
        walk::walk_variable_declarator(self, it);
        let Some(init) = &it.init else { return };
        if let Some(f) = self.case_frame(init) {
            // `const c = CASES[i]` / `const { invoke } = c`.
            match &it.id {
                BindingPattern::BindingIdentifier(id) => {
                    self.frames[f].names.insert(id.name.to_string());
                }
                p => {
                    let mut out = Vec::new();
                    pattern_bindings(p, &mut out);
                    self.frames[f]
                        .members
                        .extend(out.into_iter().map(|(n, _)| n));
                }
            }
            return;
        }
        let frames = self.tainted_frames(init);
        if frames.is_empty() {
            return;
        }
        let mut out = Vec::new();
        pattern_bindings(&it.id, &mut out);
        for f in frames {
            self.frames[f]
                .derived
                .extend(out.iter().map(|(n, _)| n.clone()));
        }
    }

    fn visit_for_of_statement(&mut self, it: &ForOfStatement<'a>) {
        let arr = self.an.resolve(self.info, &it.right, it.span.start);
        let binding = match &it.left {
            ForStatementLeft::VariableDeclaration(d) => d.declarations.first().map(|d| &d.id),
            _ => None,
        };
        let entries = Self::is_entries(&it.right);
        match self.frame(&arr, binding, entries) {
            Some(frame) => {
                self.visit_expression(&it.right);
                self.with_frame(frame, |w| w.visit_statement(&it.body));
            }
            None => walk::walk_for_of_statement(self, it),
        }
    }

    fn visit_for_statement(&mut self, it: &ForStatement<'a>) {
        // `for (let i = 0; i < CASES.length; i++)`
        let index = match &it.init {
            Some(ForStatementInit::VariableDeclaration(d)) => {
                d.declarations.first().and_then(|d| match &d.id {
                    BindingPattern::BindingIdentifier(id) => Some(id.name.to_string()),
                    _ => None,
                })
            }
            _ => None,
        };
        let array = it
            .test
            .as_ref()
            .and_then(|t| match t.get_inner_expression() {
                Expression::BinaryExpression(b)
                    if matches!(
                        b.operator,
                        BinaryOperator::LessThan | BinaryOperator::LessEqualThan
                    ) =>
                {
                    match b.right.get_inner_expression() {
                        Expression::StaticMemberExpression(m) if m.property.name == "length" => {
                            match m.object.get_inner_expression() {
                                Expression::Identifier(id) => {
                                    Some((id.name.to_string(), &m.object))
                                }
                                _ => None,
                            }
                        }
                        _ => None,
                    }
                }
                _ => None,
            });
        if let (Some(i), Some((name, arr_expr))) = (index, array) {
            let arr = self.an.resolve(self.info, arr_expr, it.span.start);
            if let Some(mut frame) = self.frame(&arr, None, false) {
                frame.derived.insert(i.clone());
                frame.indexed = Some((name, i));
                self.with_frame(frame, |w| w.visit_statement(&it.body));
                return;
            }
        }
        walk::walk_for_statement(self, it);
    }

    fn visit_if_statement(&mut self, it: &IfStatement<'a>) {
        self.visit_expression(&it.test);
        let yes = self.guard_sets(&it.test, true);
        let no = self.guard_sets(&it.test, false);
        self.guards.push(yes);
        self.visit_statement(&it.consequent);
        self.guards.pop();
        if let Some(alt) = &it.alternate {
            self.guards.push(no);
            self.visit_statement(alt);
            self.guards.pop();
        }
    }

    fn visit_statements(&mut self, it: &oxc_allocator::Vec<'a, Statement<'a>>) {
        // `if (c.kind !== "local") continue;` guards the rest of the block.
        let depth = self.guards.len();
        for st in it {
            self.visit_statement(st);
            if let Statement::IfStatement(i) = st
                && i.alternate.is_none()
                && leaves(&i.consequent)
            {
                let no = self.guard_sets(&i.test, false);
                self.guards.push(no);
            }
        }
        self.guards.truncate(depth);
    }

    // Types never carry or drive anything.
    fn visit_ts_type(&mut self, _it: &oxc_ast::ast::TSType<'a>) {}
}

impl<'a> Walker<'_, 'a> {
    /// A call of a local helper given a case table or a case (`runCases(CASES)`,
    /// `check(c)`): its body is walked with the parameters bound, so a loop or a call inside
    /// it counts for the test that called it.
    fn follow_helper(&mut self, it: &CallExpression<'a>) {
        const MAX_HELPER_DEPTH: usize = 4;
        let Expression::Identifier(callee) = it.callee.get_inner_expression() else {
            return;
        };
        let name = callee.name.as_str();
        if self.helpers.len() >= MAX_HELPER_DEPTH || self.helpers.iter().any(|h| h == name) {
            return;
        }
        let info = self.info;
        let (params, body): (&'a FormalParameters<'a>, Option<HelperBody<'a, 'a>>) =
            if let Some(f) = info.functions.get(name) {
                (&f.params, f.body.as_deref().map(HelperBody::Block))
            } else if let Some(init) = lookup(info, name, it.span.start) {
                match init.get_inner_expression() {
                    Expression::ArrowFunctionExpression(f) => {
                        (&f.params, Some(HelperBody::Arrow(&f.body)))
                    }
                    Expression::FunctionExpression(f) => {
                        (&f.params, f.body.as_deref().map(HelperBody::Block))
                    }
                    _ => return,
                }
            } else {
                return;
            };
        let Some(body) = body else { return };
        let mut tables = HashMap::new();
        let mut aliases: Vec<(usize, String)> = Vec::new();
        for (p, a) in params.items.iter().zip(&it.arguments) {
            let (BindingPattern::BindingIdentifier(pid), Some(e)) = (&p.pattern, a.as_expression())
            else {
                continue;
            };
            if let Some(f) = self.case_frame(e) {
                aliases.push((f, pid.name.to_string()));
                continue;
            }
            let arr = self.an.resolve(self.info, e, it.span.start);
            if arr.cases().is_some() {
                tables.insert(pid.name.to_string(), arr);
            }
        }
        if tables.is_empty() && aliases.is_empty() {
            return;
        }
        for (f, n) in &aliases {
            self.frames[*f].names.insert(n.clone());
        }
        self.an.overlay.push(tables);
        self.helpers.push(name.to_string());
        match body {
            HelperBody::Block(b) => self.visit_function_body(b),
            HelperBody::Arrow(b) => self.visit_arrow_function_body(b),
        }
        self.helpers.pop();
        self.an.overlay.pop();
        for (f, n) in &aliases {
            if *f < self.frames.len() {
                self.frames[*f].names.remove(n);
            }
        }
    }

    /// Whether `e` is a local bound to `new Map(...)`/`new Set(...)`.
    fn is_collection(&self, e: &Expression) -> bool {
        let Expression::Identifier(id) = e.get_inner_expression() else {
            return false;
        };
        lookup(self.info, &id.name, id.span.start).is_some_and(|init| {
            matches!(init.get_inner_expression(), Expression::NewExpression(n)
                if base_ident(&n.callee).is_some_and(|b| matches!(b, "Map" | "Set" | "WeakMap" | "WeakSet")))
        })
    }
}

trait SpanStart {
    fn span_start(&self) -> u32;
}
impl SpanStart for Expression<'_> {
    fn span_start(&self) -> u32 {
        use oxc_span::GetSpan;
        self.span().start
    }
}
impl SpanStart for Argument<'_> {
    fn span_start(&self) -> u32 {
        use oxc_span::GetSpan;
        self.span().start
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // tests set the scene with plain file access
mod tests {
    use super::*;

    /// Analyses `files` (path, text) written into a temporary repository; returns, per use,
    /// (test name, the case's first ID, executes, undecidable).
    fn uses(files: &[(&str, &str)]) -> Vec<(String, String, bool, bool)> {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().canonicalize().unwrap();
        let mut tests = Vec::new();
        for (p, text) in files {
            let abs = repo.join(p);
            std::fs::create_dir_all(abs.parent().unwrap()).unwrap();
            std::fs::write(&abs, text).unwrap();
            if p.contains(".test.") {
                tests.push(abs);
            }
        }
        let fields: Vec<String> = DEFAULT_CASE_FIELDS.iter().map(|s| s.to_string()).collect();
        let a = analyse(&repo, &tests, &fields);
        a.uses
            .iter()
            .map(|u| {
                (
                    u.test_name(),
                    a.cases[u.case]
                        .ids
                        .first()
                        .map(|i| i.0.clone())
                        .unwrap_or_default(),
                    u.executes,
                    u.undecidable.is_some(),
                )
            })
            .collect()
    }

    fn row(t: &str, id: &str, executes: bool, undecidable: bool) -> (String, String, bool, bool) {
        (t.into(), id.into(), executes, undecidable)
    }

    #[test]
    fn titles_match_quoted_and_truncated_values() {
        let p = TitlePat(vec![
            Piece::Lit("local ".into()),
            Piece::Value("suite:cross-surface:metadata-import-boundary".into()),
            Piece::Any,
        ]);
        assert!(p.matches("local suite:cross-surface:metadata-import-boundary runs"));
        assert!(p.matches("local 'suite:cross-surface:metadata-import-boundary' runs"));
        assert!(p.matches("local 'suite:cross-surface:metadata-import-b…'"));
        assert!(!p.matches("local 'suite:cross-surface:other…'"));
        assert!(!p.matches("remote suite:cross-surface:metadata-import-boundary"));
        let each: Vec<String> = interpolate("$suiteId %s 100%% $a.b", 0)
            .iter()
            .map(|p| format!("{p:?}"))
            .collect();
        assert_eq!(
            each,
            vec![
                "Field { frame: 0, field: \"suiteId\" }",
                "Lit(\" \")",
                "Any",
                "Lit(\" 100% \")",
                "Lit(\"\")",
                "Any"
            ]
            .into_iter()
            .filter(|s| *s != "Lit(\"\")")
            .map(String::from)
            .collect::<Vec<_>>()
        );
    }

    #[test]
    fn indexed_destructured_and_sliced_loops() {
        let src = r#"
import { it, expect } from "vitest";
import { send } from "./client";
const CASES = [
  { suiteId: "suite:a", path: "/a" },
  { suiteId: "suite:b", path: "/b" },
  { suiteId: "suite:c", path: "/c" },
];
it("indexed", async () => {
  for (let i = 0; i < CASES.length; i++) {
    const c = CASES[i];
    await send(c.path);
  }
});
it("destructured", () => {
  for (const { path } of CASES.slice(1, 2)) {
    send(path);
  }
});
it("sliced from a variable", () => {
  const n = 2;
  for (const c of CASES.slice(0, n)) {
    send(c.path);
  }
});
"#;
        let got = uses(&[("t/x.test.ts", src)]);
        assert_eq!(
            got,
            vec![
                row("indexed", "suite:a", true, false),
                row("indexed", "suite:b", true, false),
                row("indexed", "suite:c", true, false),
                row("destructured", "suite:b", true, false),
                row("sliced from a variable", "suite:a", true, true),
                row("sliced from a variable", "suite:b", true, true),
                row("sliced from a variable", "suite:c", true, true),
            ]
        );
    }

    #[test]
    fn reading_fields_to_assert_is_not_executing() {
        let src = r#"
const REQUIRED = ["suite:a", "suite:b"];
const CASES = [
  { suiteId: "suite:a", kind: "http", run: () => 1 },
  { suiteId: "suite:b", kind: "local", run: () => 2 },
];
describe("matrix", () => {
  it("covers every id", () => {
    const seen = new Set(CASES.map((c) => c.suiteId));
    const byId = new Map();
    for (const c of CASES) {
      byId.set(c.suiteId, c);
      expect(JSON.stringify(c.kind).length).toBeGreaterThan(0);
      assertKnownKind(c.kind);
    }
    for (const id of REQUIRED) expect(seen.has(id)).toBe(true);
  });
  it("runs local cases", () => {
    for (const c of CASES) {
      if (c.kind !== "local") continue;
      expect(c.run()).toBe(2);
    }
  });
});
"#;
        let got = uses(&[("t/x.test.ts", src)]);
        assert_eq!(
            got,
            vec![
                row("matrix > covers every id", "suite:a", false, false),
                row("matrix > covers every id", "suite:b", false, false),
                row("matrix > covers every id", "suite:a", false, false),
                row("matrix > covers every id", "suite:b", false, false),
                row("matrix > runs local cases", "suite:a", false, false),
                row("matrix > runs local cases", "suite:b", true, false),
            ]
        );
    }

    #[test]
    fn loops_around_tests_and_reexported_tables() {
        let cases = r#"
export const BASE = [{ suiteId: "suite:a", path: "/a" }];
"#;
        let index = r#"
import { BASE } from "./base";
export { BASE };
export const ALL = [...BASE, { suiteId: "suite:b", path: "/b" }];
"#;
        let test = r#"
import { ALL } from "./cases/index.js";
import { request } from "./client";
describe("routes", () => {
  ALL.map((c) => {
    it(`${c.suiteId} answers`, async () => {
      const res = await request(c.path);
      expect(res.status).toBe(200);
    });
  });
  for (const c of ALL) {
    test.skip(`${c.suiteId} later`, () => {
      expect(c.suiteId).toBeTruthy();
    });
  }
});
"#;
        let dir_files = [
            ("t/cases/base.ts", cases),
            ("t/cases/index.ts", index),
            ("t/routes.test.ts", test),
        ];
        let got = uses(&dir_files);
        assert_eq!(
            got,
            vec![
                row("routes > suite:a answers", "suite:a", true, false),
                row("routes > suite:b answers", "suite:b", true, false),
                row("routes > suite:a later", "suite:a", false, false),
                row("routes > suite:b later", "suite:b", false, false),
            ]
        );
    }

    #[test]
    fn helpers_given_the_table_or_a_case_and_object_tables() {
        let src = r#"
const TABLE = {
  a: { suiteId: "suite:a", path: "/a" },
  b: { suiteId: "suite:b", path: "/b" },
};
const CASES = Object.values(TABLE);
async function runAll(cases) {
  for (const c of cases) {
    await send(c.path);
  }
}
const runOne = async (c) => {
  await c.invoke?.();
  await send(c.path);
};
function onlyRead(cases) {
  for (const c of cases) expect(c.suiteId).toBeTruthy();
}
it("all", async () => {
  await runAll(CASES);
});
it("one by one", async () => {
  for (const c of CASES) {
    await runOne(c);
  }
});
it("reads", () => {
  onlyRead(CASES);
});
"#;
        let got = uses(&[("t/x.test.ts", src)]);
        assert_eq!(
            got,
            vec![
                row("all", "suite:a", true, false),
                row("all", "suite:b", true, false),
                row("one by one", "suite:a", true, false),
                row("one by one", "suite:b", true, false),
                row("reads", "suite:a", false, false),
                row("reads", "suite:b", false, false),
            ]
        );
    }

    #[test]
    fn filters_decide_on_literal_fields_only() {
        let case = |kind: &str, n: f64| Case {
            file: "x".into(),
            line: 1,
            col: 1,
            fields: [
                ("kind".to_string(), kind.to_string()),
                ("n".to_string(), n.to_string()),
            ]
            .into_iter()
            .collect(),
            ids: Vec::new(),
        };
        let alloc = Allocator::default();
        let pred = |src: &'static str, c: &Case| {
            let ret = oxc_parser::Parser::new(&alloc, src, oxc_span::SourceType::ts()).parse();
            let Statement::ExpressionStatement(e) = &ret.program.body[0] else {
                panic!("an expression")
            };
            eval_pred(&e.expression, c)
        };
        let http = case("http", 2.0);
        assert_eq!(pred("(c) => c.kind === 'http'", &http), Some(true));
        assert_eq!(
            pred("(c) => c.kind !== 'http' || c.n === 2", &http),
            Some(true)
        );
        assert_eq!(pred("({ kind }) => kind === 'local'", &http), Some(false));
        assert_eq!(pred("(c) => c.kind.startsWith('ht')", &http), Some(true));
        assert_eq!(pred("(c) => !c.skip", &http), Some(true));
        assert_eq!(pred("(c) => enabled(c)", &http), None);
        assert_eq!(pred("(c) => c.n > 1", &http), None);
    }
}

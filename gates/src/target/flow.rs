//! What a TypeScript module does with values, as far as the discovery gates need to know:
//! which names it binds (with lexical scope), which paths it builds, which string values an
//! expression can take, and which modules it forwards to.
//!
//! The discovery gates must decide "does this implementation scan `plugins/api`?" from the
//! code, not from a word search: the roots have to reach the place where a scan path is
//! built (`path.join(root, "plugins", x)`, a template string, a `+` chain, an array joined
//! with `/`, or a glob string), possibly through a loop over an array, `Object.keys` of a
//! map, a helper called once per root, or a constant imported from another module. This
//! module evaluates such expressions to the *set* of strings they can take, conservatively:
//! anything it cannot follow is "unresolved" and credits no root.
//!
//! Forwarding: an implementation that re-exports another module, or whose code calls a
//! function it imports, is judged together with that module (resolved through relative
//! imports and workspace `package.json` `exports`, see [`super::workspace`]), following only
//! the names it uses (see [`forwarding_closure`]).
//!
//! Limits, by design of a static check (each errs towards "unresolved", i.e. a red gate,
//! except the last): values computed by calls other than the array/object helpers listed in
//! [`ModuleCx::eval`] are unresolved; a parameter takes the union of what every caller in
//! its module passes (entry points are not told apart); a callback's parameter is any
//! element of the collection (a `filter` drops only the roots its predicate certainly rejects
//! by comparing with literals, and so does an `if (…) continue;` at the top of a `for … of`
//! body, while an `if (…) break;` or `return` that certainly ends the loop at some root makes
//! the loop variable unresolved); and a used module counts as a whole, so a scan path anywhere
//! in it counts for the implementation, except inside a named function nothing in the module
//! mentions and that is not exported (dead code).

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};

use oxc_allocator::Allocator;
use oxc_ast::AstKind;
use oxc_ast::ast::{
    Argument, ArrayExpressionElement, BinaryOperator, BindingPattern, CallExpression, ChainElement,
    Declaration, Expression, ForStatementLeft, FormalParameters, IdentifierReference,
    LogicalOperator, ModuleDeclaration, ModuleExportName, ObjectPropertyKind, Program, PropertyKey,
    UnaryOperator,
};
use oxc_ast_visit::Visit;
use oxc_semantic::{ReferenceId, SemanticBuilder, SymbolId};
use oxc_span::Span;

use super::source::{self, SourceFile};
use super::ts::{self, ImportKind};
use super::workspace::{Resolution, Workspace};
use crate::finding::Finding;

/// Evaluation gives up beyond this depth (cycles such as `a = b; b = a`).
const MAX_DEPTH: usize = 24;

/// A navigation step from a value to a part of it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Step {
    /// Property `.name` / `["name"]`.
    Prop(String),
    /// Array element `[i]`.
    Index(usize),
    /// Any element of a collection (what `for … of` or a `.map` callback sees).
    Elems,
    /// The keys of an object (`Object.keys`).
    Keys,
    /// The values of an object (`Object.values`).
    Values,
}

/// The strings an expression can evaluate to.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Strs {
    pub values: BTreeSet<String>,
    /// Any string at all (e.g. each entry of a directory listing).
    pub any: bool,
    /// Some of the possible values could not be determined.
    pub unresolved: bool,
    /// Values that come from a parameter of an exported function no caller in its own
    /// module supplies: the callers in other modules decide (see [`Modules::call_args`]).
    pub holes: BTreeSet<Hole>,
}

/// A parameter whose value the callers of an exported function supply.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Hole {
    pub func: String,
    pub index: usize,
    /// Navigation from the argument to the value.
    pub path: Vec<Step>,
    /// What the parameter's default gives when a caller leaves it out.
    pub default: Option<Box<Strs>>,
}

impl Strs {
    fn one(s: &str) -> Strs {
        Strs {
            values: [s.to_string()].into(),
            ..Strs::default()
        }
    }
    fn unresolved() -> Strs {
        Strs {
            unresolved: true,
            ..Strs::default()
        }
    }
    fn any() -> Strs {
        Strs {
            any: true,
            ..Strs::default()
        }
    }
    pub fn union(mut self, o: Strs) -> Strs {
        self.values.extend(o.values);
        self.any |= o.any;
        self.unresolved |= o.unresolved;
        self.holes.extend(o.holes);
        self
    }
    /// The single known value, if there is exactly one and nothing else.
    fn single(&self) -> Option<&str> {
        (self.values.len() == 1 && !self.any && !self.unresolved && self.holes.is_empty())
            .then(|| self.values.iter().next().map(String::as_str))
            .flatten()
    }
}

/// How a name got its value.
#[derive(Debug)]
pub enum BindingKind<'a> {
    /// `const x = init` (with `path` for destructuring: `const { a: [x] } = init` → `.a[0]`),
    /// or a `for (const x of init)` loop variable (path starts with [`Step::Elems`]).
    Value {
        init: &'a Expression<'a>,
        path: Vec<Step>,
    },
    /// Parameter `index` of a function named `func`, or of a callback passed to
    /// `collection.map/forEach/...` (`callback_of` = the collection).
    Param {
        func: Option<String>,
        callback_of: Option<&'a Expression<'a>>,
        index: usize,
        path: Vec<Step>,
        /// The parameter's default value (`root = "cli"`).
        default: Option<&'a Expression<'a>>,
    },
    /// `import { imported as name } from "specifier"`.
    Import { specifier: String, imported: String },
    /// Functions, classes, catch parameters, rest elements: no string value to follow.
    Opaque,
}

#[derive(Debug)]
pub struct Binding<'a> {
    pub name: String,
    /// Where the name is declared (the offset of its identifier; for an import, of its
    /// specifier).
    pub at: u32,
    pub kind: BindingKind<'a>,
}

/// The declaration a reference resolves to, as `oxc_semantic` binds it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Resolved {
    /// The offsets of the symbol's declarations (the first one and every redeclaration).
    pub decls: Vec<u32>,
    /// The symbol is an import binding.
    pub import: bool,
}

/// A candidate place where a path is built.
#[derive(Clone, Copy, Debug)]
pub enum PathBuild<'a> {
    Call(&'a CallExpression<'a>),
    Template(&'a oxc_ast::ast::TemplateLiteral<'a>),
    Concat(&'a oxc_ast::ast::BinaryExpression<'a>),
    /// A string literal containing a glob (`plugins/*/*/package.json`).
    Glob(&'a oxc_ast::ast::StringLiteral<'a>),
}

impl PathBuild<'_> {
    pub fn offset(&self) -> u32 {
        match self {
            PathBuild::Call(c) => c.span.start,
            PathBuild::Template(t) => t.span.start,
            PathBuild::Concat(b) => b.span.start,
            PathBuild::Glob(s) => s.span.start,
        }
    }
}

/// Facts about one parsed module.
#[derive(Debug, Default)]
pub struct Facts<'a> {
    pub bindings: Vec<Binding<'a>>,
    /// Identifier references (by offset) that resolve to a declaration of this module;
    /// a reference missing here is a global or an undeclared name.
    pub resolved: HashMap<u32, Resolved>,
    /// The module's top-level declarations by name (what an export names).
    pub top_level: HashMap<String, Resolved>,
    pub calls: Vec<&'a CallExpression<'a>>,
    pub builds: Vec<PathBuild<'a>>,
    /// For each of `builds` (same index): the names of the named functions enclosing it,
    /// outermost first (`function f`, `const f = () => …`).
    pub build_owners: Vec<Vec<String>>,
    /// Names read anywhere in the code (identifier references), outside types: a name
    /// that appears only in a type (`x as PluginManifest`, `ReturnType<typeof parse>`) is
    /// erased at runtime and uses nothing.
    pub referenced: HashSet<String>,
    /// Functions by name, with the offset of their declaration (for positions).
    pub functions: Vec<(String, u32)>,
    /// Exported name → local name, for local exports.
    pub exports: HashMap<String, String>,
    /// For a `for … of` loop variable (by declaration offset): how its loop body skips
    /// elements (see [`LoopSkips`]).
    pub loop_skips: HashMap<u32, LoopSkips<'a>>,
}

/// How a `for (const x of xs)` body skips elements before they reach the rest of it.
#[derive(Debug, Default)]
pub struct LoopSkips<'a> {
    /// Conditions of `if (cond) continue;` statements at the top of the body: an element
    /// for which one is certainly true (compared with literals) is skipped.
    pub continue_if: Vec<&'a Expression<'a>>,
    /// Conditions of `if (cond) …; else continue;`: an element for which one is certainly
    /// false is skipped.
    pub continue_unless: Vec<&'a Expression<'a>>,
    /// Conditions of `if (cond) break;` / `return`: when one is certainly true for some
    /// element, the elements after it are not reached, which a set of values cannot tell.
    /// (A condition that does not compare the element, such as a missing directory, may
    /// hold for none.)
    pub end_if: Vec<&'a Expression<'a>>,
    /// Conditions of `if (cond) …; else break;` (or `return`): the same when certainly false.
    pub end_unless: Vec<&'a Expression<'a>>,
}

impl LoopSkips<'_> {
    fn is_empty(&self) -> bool {
        self.continue_if.is_empty()
            && self.continue_unless.is_empty()
            && self.end_if.is_empty()
            && self.end_unless.is_empty()
    }
}

/// Collects [`Facts`] from a program.
pub fn collect<'a>(program: &'a Program<'a>) -> Facts<'a> {
    // Scopes and symbols come from `oxc_semantic`, which binds names the way JavaScript
    // does (`var` to its function, blocks, loops, `switch`, class static blocks, hoisting).
    let semantic = SemanticBuilder::new().build(program).semantic;
    let scoping = semantic.scoping();
    let resolved_of = |sid: SymbolId| Resolved {
        decls: std::iter::once(scoping.symbol_span(sid).start)
            .chain(
                scoping
                    .symbol_redeclarations(sid)
                    .iter()
                    .map(|r| r.span.start),
            )
            .collect(),
        import: scoping.symbol_flags(sid).is_import(),
    };
    let mut facts = Facts::default();
    let mut refs = References(Vec::new());
    refs.visit_program(program);
    for (at, rid) in refs.0 {
        if let Some(sid) = scoping.get_reference(rid).symbol_id() {
            facts.resolved.insert(at, resolved_of(sid));
        }
    }
    let root = scoping.root_scope_id();
    for (name, sid) in scoping.get_bindings(root) {
        facts.top_level.insert(name.to_string(), resolved_of(*sid));
    }
    let mut c = Collector {
        facts,
        for_of_decl: HashMap::new(),
        callback_of: HashMap::new(),
        fn_names: HashMap::new(),
        type_depth: 0,
        fn_stack: Vec::new(),
    };
    c.visit_program(program);
    // Imports and local exports.
    for r in ts::module_refs(program) {
        if r.kind == ImportKind::Import {
            for n in &r.names {
                c.facts.bindings.push(Binding {
                    name: n.local.clone(),
                    at: n.offset as u32,
                    kind: BindingKind::Import {
                        specifier: r.specifier.clone(),
                        imported: n.imported.clone(),
                    },
                });
            }
        }
    }
    for stmt in &program.body {
        match stmt.as_module_declaration() {
            Some(ModuleDeclaration::ExportNamedDeclaration(d)) => {
                for s in &d.specifiers {
                    c.facts
                        .exports
                        .insert(export_name(&s.exported), export_name(&s.local));
                }
            }
            Some(ModuleDeclaration::ExportDeclaration(d)) => match &d.declaration {
                Declaration::VariableDeclaration(v) => {
                    for decl in &v.declarations {
                        for (name, _, _) in pattern_names(&decl.id, Vec::new()) {
                            c.facts.exports.insert(name.clone(), name);
                        }
                    }
                }
                Declaration::FunctionDeclaration(f) => {
                    if let Some(id) = &f.id {
                        c.facts
                            .exports
                            .insert(id.name.to_string(), id.name.to_string());
                    }
                }
                _ => {}
            },
            _ => {}
        }
    }
    c.facts
}

/// Every identifier reference `oxc_semantic` numbered, with its offset.
struct References(Vec<(u32, ReferenceId)>);

impl<'a> Visit<'a> for References {
    fn visit_identifier_reference(&mut self, it: &IdentifierReference<'a>) {
        if let Some(rid) = it.reference_id.get() {
            self.0.push((it.span.start, rid));
        }
    }
}

fn export_name(n: &ModuleExportName) -> String {
    match n {
        ModuleExportName::IdentifierName(i) => i.name.to_string(),
        ModuleExportName::IdentifierReference(i) => i.name.to_string(),
        ModuleExportName::StringLiteral(s) => s.value.to_string(),
    }
}

/// The names a binding pattern declares, each with its offset and the path from the
/// destructured value (`None` when the path cannot be expressed, e.g. a rest element).
pub fn pattern_names(p: &BindingPattern, path: Vec<Step>) -> Vec<(String, u32, Option<Vec<Step>>)> {
    let mut out = Vec::new();
    fn go(
        p: &BindingPattern,
        path: Option<Vec<Step>>,
        out: &mut Vec<(String, u32, Option<Vec<Step>>)>,
    ) {
        match p {
            BindingPattern::BindingIdentifier(id) => {
                out.push((id.name.to_string(), id.span.start, path))
            }
            BindingPattern::ObjectPattern(o) => {
                for prop in &o.properties {
                    let step = prop.key.static_name().map(|k| Step::Prop(k.to_string()));
                    let sub = match (&path, step) {
                        (Some(p), Some(s)) if !prop.computed => {
                            let mut p = p.clone();
                            p.push(s);
                            Some(p)
                        }
                        _ => None,
                    };
                    go(&prop.value, sub, out);
                }
                if let Some(rest) = &o.rest {
                    go(&rest.argument, None, out);
                }
            }
            BindingPattern::ArrayPattern(a) => {
                for (i, el) in a.elements.iter().enumerate() {
                    if let Some(el) = el {
                        let sub = path.as_ref().map(|p| {
                            let mut p = p.clone();
                            p.push(Step::Index(i));
                            p
                        });
                        go(el, sub, out);
                    }
                }
                if let Some(rest) = &a.rest {
                    go(&rest.argument, None, out);
                }
            }
            BindingPattern::AssignmentPattern(a) => go(&a.left, path, out),
        }
    }
    go(p, Some(path), &mut out);
    out
}

struct Collector<'a> {
    facts: Facts<'a>,
    /// Declarator span start → the `of` expression of its for-of loop.
    for_of_decl: HashMap<u32, &'a Expression<'a>>,
    /// Function span start → the collection whose `.map/.forEach/...` it is a callback of.
    callback_of: HashMap<u32, &'a Expression<'a>>,
    /// Function span start → the name it is assigned to (`const f = () => …`).
    fn_names: HashMap<u32, String>,
    /// The functions enclosing the current node: their names, if they have one.
    fn_stack: Vec<Option<String>>,
    /// How many type nodes that can name a value enclose the current node (see
    /// [`is_type_context`]); references inside them are not value uses.
    type_depth: usize,
}

/// Type nodes whose names are erased at runtime: a type reference (`PluginManifest`,
/// `Foo<…>`), a type query (`typeof parse`), `implements` and interface `extends` clauses.
fn is_type_context(kind: &AstKind) -> bool {
    matches!(
        kind,
        AstKind::TSTypeReference(_)
            | AstKind::TSTypeQuery(_)
            | AstKind::TSClassImplements(_)
            | AstKind::TSInterfaceHeritage(_)
    )
}

/// Array methods whose first callback parameter is an element of the receiver.
const ELEMENT_CALLBACKS: &[&str] = &[
    "map",
    "forEach",
    "flatMap",
    "filter",
    "some",
    "every",
    "find",
    "findIndex",
    "findLast",
];

impl<'a> Collector<'a> {
    fn build(&mut self, b: PathBuild<'a>) {
        self.facts.builds.push(b);
        self.facts
            .build_owners
            .push(self.fn_stack.iter().flatten().cloned().collect());
    }

    fn params(&mut self, span: Span, params: &'a FormalParameters<'a>, name: Option<String>) {
        let callback_of = self.callback_of.get(&span.start).copied();
        for (index, p) in params.items.iter().enumerate() {
            for (n, at, path) in pattern_names(&p.pattern, Vec::new()) {
                let kind = match path {
                    Some(path) => BindingKind::Param {
                        func: name.clone(),
                        callback_of: if index == 0 { callback_of } else { None },
                        index,
                        path,
                        default: p.initializer.as_deref(),
                    },
                    None => BindingKind::Opaque,
                };
                self.facts.bindings.push(Binding { name: n, at, kind });
            }
        }
    }
}

impl<'a> Visit<'a> for Collector<'a> {
    fn enter_node(&mut self, kind: AstKind<'a>) {
        match kind {
            AstKind::ForOfStatement(f) => {
                if let ForStatementLeft::VariableDeclaration(v) = &f.left {
                    for d in &v.declarations {
                        self.for_of_decl.insert(d.span.start, &f.right);
                        if let BindingPattern::BindingIdentifier(id) = &d.id {
                            let skips = loop_skips(&f.body);
                            if !skips.is_empty() {
                                self.facts.loop_skips.insert(id.span.start, skips);
                            }
                        }
                    }
                }
            }
            AstKind::CatchClause(c) => {
                if let Some(p) = &c.param {
                    for (n, at, _) in pattern_names(&p.pattern, Vec::new()) {
                        self.facts.bindings.push(Binding {
                            name: n,
                            at,
                            kind: BindingKind::Opaque,
                        });
                    }
                }
            }
            AstKind::VariableDeclarator(d) => {
                let (init, prefix) = match (self.for_of_decl.get(&d.span.start), &d.init) {
                    (Some(right), _) => (Some(*right), vec![Step::Elems]),
                    (None, Some(init)) => (Some(init), Vec::new()),
                    (None, None) => (None, Vec::new()),
                };
                if let (BindingPattern::BindingIdentifier(id), Some(init)) = (&d.id, &d.init)
                    && matches!(
                        init.get_inner_expression(),
                        Expression::ArrowFunctionExpression(_) | Expression::FunctionExpression(_)
                    )
                {
                    self.fn_names.insert(
                        init.get_inner_expression().span().start,
                        id.name.to_string(),
                    );
                    self.facts
                        .functions
                        .push((id.name.to_string(), id.span.start));
                }
                for (name, at, path) in pattern_names(&d.id, prefix) {
                    let kind = match (init, path) {
                        (Some(init), Some(path)) => BindingKind::Value { init, path },
                        _ => BindingKind::Opaque,
                    };
                    self.facts.bindings.push(Binding { name, at, kind });
                }
            }
            AstKind::Function(f) => {
                let name = f.id.as_ref().map(|i| i.name.to_string());
                if let Some(id) = &f.id {
                    self.facts.bindings.push(Binding {
                        name: id.name.to_string(),
                        at: id.span.start,
                        kind: BindingKind::Opaque,
                    });
                    self.facts
                        .functions
                        .push((id.name.to_string(), f.span.start));
                }
                let name = name.or_else(|| self.fn_names.get(&f.span.start).cloned());
                // A named function *expression*'s own name is only visible inside it, so only
                // declarations and functions assigned to a name can be told dead by name.
                self.fn_stack.push(if f.is_declaration() {
                    name.clone()
                } else {
                    self.fn_names.get(&f.span.start).cloned()
                });
                self.params(f.span, &f.params, name);
            }
            AstKind::ArrowFunctionExpression(f) => {
                let name = self.fn_names.get(&f.span.start).cloned();
                self.fn_stack.push(name.clone());
                self.params(f.span, &f.params, name);
            }
            AstKind::CallExpression(c) => {
                self.facts.calls.push(c);
                if let Some(m) = c.callee.get_inner_expression().as_member_expression()
                    && let Some(method) = m.static_property_name()
                    && ELEMENT_CALLBACKS.contains(&method)
                    && let Some(cb) = c.arguments.first().and_then(Argument::as_expression)
                {
                    let cb = cb.get_inner_expression();
                    if matches!(
                        cb,
                        Expression::ArrowFunctionExpression(_) | Expression::FunctionExpression(_)
                    ) {
                        self.callback_of.insert(cb.span().start, m.object());
                    }
                }
                self.build(PathBuild::Call(c));
            }
            AstKind::TemplateLiteral(t) if !t.expressions.is_empty() => {
                self.build(PathBuild::Template(t));
            }
            AstKind::BinaryExpression(b) if b.operator == BinaryOperator::Addition => {
                self.build(PathBuild::Concat(b));
            }
            AstKind::StringLiteral(s)
                if s.value.contains('/') && s.value.contains(['*', '{', '?', '[']) =>
            {
                self.build(PathBuild::Glob(s));
            }
            AstKind::IdentifierReference(i) if self.type_depth == 0 => {
                self.facts.referenced.insert(i.name.to_string());
            }
            _ => {}
        }
        if is_type_context(&kind) {
            self.type_depth += 1;
        }
    }

    fn leave_node(&mut self, kind: AstKind<'a>) {
        if is_type_context(&kind) {
            self.type_depth -= 1;
        }
        if matches!(
            kind,
            AstKind::Function(_) | AstKind::ArrowFunctionExpression(_)
        ) {
            self.fn_stack.pop();
        }
    }
}

use oxc_span::GetSpan;

/// A path as a sequence of `/`-separated segments; each segment a sequence of pieces.
#[derive(Clone, Debug)]
pub enum Piece {
    Lit(String),
    Set(Strs),
}

/// The pieces of a flattened path expression, in order (separators are `/` literals).
type Pieces = Vec<Piece>;

/// Evaluation context: one module plus access to the others.
pub struct ModuleCx<'a, 'm> {
    pub facts: &'a Facts<'a>,
    pub file: &'a Path,
    pub modules: &'m Modules<'m>,
}

/// Loads and resolves the target's modules.
pub struct Modules<'m> {
    pub repo: &'m Path,
    pub ws: &'m Workspace,
    /// Names of path-building helpers (`join`, `resolve`, …) recognised on the `path` module.
    pub path_modules: &'m [&'m str],
}

/// Module specifiers that provide `join`/`resolve`.
pub const PATH_MODULES: &[&str] = &[
    "path",
    "node:path",
    "path/posix",
    "node:path/posix",
    "pathe",
    "upath",
];

impl<'m> Modules<'m> {
    pub fn new(repo: &'m Path, ws: &'m Workspace) -> Self {
        Modules {
            repo,
            ws,
            path_modules: PATH_MODULES,
        }
    }

    /// Evaluates the export `name` of module `file` (following re-exports).
    pub fn eval_export(&self, file: &Path, name: &str, steps: &[Step], depth: usize) -> Strs {
        if depth > MAX_DEPTH {
            return Strs::unresolved();
        }
        let Ok(src) = source::read(self.repo, file) else {
            return Strs::unresolved();
        };
        let alloc = Allocator::default();
        let parsed = ts::parse(&alloc, &src);
        if parsed.panicked {
            return Strs::unresolved();
        }
        let program = alloc.alloc(parsed.program);
        let facts = collect(program);
        if let Some(local) = facts.exports.get(name) {
            let cx = ModuleCx {
                facts: &facts,
                file,
                modules: self,
            };
            return cx.eval_name(local, u32::MAX, steps, depth + 1);
        }
        // Re-exports: `export { name } from`, `export * from`.
        for r in ts::module_refs(program) {
            if r.type_only {
                continue;
            }
            let target_name = match r.kind {
                ImportKind::ReExport => r
                    .names
                    .iter()
                    .find(|n| n.local == name)
                    .map(|n| n.imported.clone()),
                ImportKind::ExportAll if r.names.is_empty() => Some(name.to_string()),
                _ => None,
            };
            if let Some(t) = target_name
                && let Resolution::File(p) = self.ws.resolve(file, &r.specifier)
            {
                let v = self.eval_export(&p, &t, steps, depth + 1);
                if v != Strs::unresolved() {
                    return v;
                }
            }
        }
        Strs::unresolved()
    }
}

impl Modules<'_> {
    /// The module that declares export `name` of `file` (following re-exports), and the
    /// name it has there.
    pub fn export_origin(
        &self,
        file: &Path,
        name: &str,
        depth: usize,
    ) -> Option<(PathBuf, String)> {
        if depth > MAX_DEPTH {
            return None;
        }
        let src = source::read(self.repo, file).ok()?;
        let alloc = Allocator::default();
        let parsed = ts::parse(&alloc, &src);
        let program = alloc.alloc(parsed.program);
        let facts = collect(program);
        if let Some(local) = facts.exports.get(name) {
            return Some((normalize_path(file), local.clone()));
        }
        for r in ts::module_refs(program) {
            let target = match r.kind {
                ImportKind::ReExport => r
                    .names
                    .iter()
                    .find(|n| n.local == name)
                    .map(|n| n.imported.clone()),
                ImportKind::ExportAll if r.names.is_empty() => Some(name.to_string()),
                _ => None,
            };
            if let (Some(t), Resolution::File(p)) = (target, self.ws.resolve(file, &r.specifier))
                && let Some(o) = self.export_origin(&p, &t, depth + 1)
            {
                return Some(o);
            }
        }
        None
    }

    /// What the module `caller` passes for a hole of a function declared in `callee`:
    /// `None` when `caller` does not call it.
    pub fn call_args(&self, caller: &Path, callee: &Path, hole: &Hole) -> Option<Strs> {
        let src = source::read(self.repo, caller).ok()?;
        let alloc = Allocator::default();
        let parsed = ts::parse(&alloc, &src);
        if parsed.panicked {
            return None;
        }
        let program = alloc.alloc(parsed.program);
        let facts = collect(program);
        let cx = ModuleCx {
            facts: &facts,
            file: caller,
            modules: self,
        };
        let callee = normalize_path(callee);
        let mut out: Option<Strs> = None;
        for c in &facts.calls {
            let Expression::Identifier(id) = c.callee.get_inner_expression() else {
                continue;
            };
            let Some(b) = cx.binding_at(&id.name, id.span.start) else {
                continue;
            };
            let BindingKind::Import {
                specifier,
                imported,
            } = &b.kind
            else {
                continue;
            };
            let Resolution::File(p) = self.ws.resolve(caller, specifier) else {
                continue;
            };
            if self.export_origin(&p, imported, 0) != Some((callee.clone(), hole.func.clone())) {
                continue;
            }
            let v = match c
                .arguments
                .get(hole.index)
                .and_then(Argument::as_expression)
            {
                Some(_) => cx.eval_arg(c, hole.index, None, &hole.path, 0),
                None => hole
                    .default
                    .as_deref()
                    .cloned()
                    .unwrap_or_else(Strs::unresolved),
            };
            out = Some(match out {
                Some(o) => o.union(v),
                None => v,
            });
        }
        out
    }
}

fn normalize_path(p: &Path) -> PathBuf {
    super::workspace::normalize(p)
}

impl<'a> ModuleCx<'a, '_> {
    /// The binding the reference `name` at `offset` denotes, as `oxc_semantic` resolved it
    /// ([`Facts::resolved`]); `offset == u32::MAX` asks for the top-level declaration (an
    /// export lookup). `None` for a global or a declaration with no [`Binding`] (a class).
    pub fn binding_at(&self, name: &str, offset: u32) -> Option<&'a Binding<'a>> {
        let facts: &'a Facts<'a> = self.facts;
        let r = if offset == u32::MAX {
            facts.top_level.get(name)?
        } else {
            facts.resolved.get(&offset)?
        };
        facts
            .bindings
            .iter()
            .filter(|b| b.name == name)
            .filter(|b| {
                if r.import {
                    matches!(b.kind, BindingKind::Import { .. })
                } else {
                    r.decls.contains(&b.at)
                }
            })
            // A redeclared `var`: its last declaration, as the evaluation always took.
            .max_by_key(|b| b.at)
    }

    fn eval_name(&self, name: &str, offset: u32, steps: &[Step], depth: usize) -> Strs {
        let Some(b) = self.binding_at(name, offset) else {
            return Strs::unresolved();
        };
        self.eval_binding(b, steps, depth)
    }

    fn eval_binding(&self, b: &'a Binding<'a>, steps: &[Step], depth: usize) -> Strs {
        if depth > MAX_DEPTH {
            return Strs::unresolved();
        }
        match &b.kind {
            BindingKind::Value { init, path } => {
                let mut out = self.eval(init, &concat(path, steps), depth + 1);
                if let Some(skips) = self.facts.loop_skips.get(&b.at) {
                    // The guards compare the loop variable itself: judged on its own values
                    // (for a path below it, `steps`, the values are parts of elements).
                    let own = self.eval(init, path, depth + 1);
                    let certainly = |c: &&'a Expression<'a>, v: &String, truth: bool| {
                        !v.starts_with("glob:")
                            && self.keeps(c, &b.name, v, depth + 1) == Some(truth)
                    };
                    let ends = |conds: &[&'a Expression<'a>], truth: bool| {
                        conds
                            .iter()
                            .any(|c| own.values.iter().any(|v| certainly(c, v, truth)))
                    };
                    if ends(&skips.end_if, true) || ends(&skips.end_unless, false) {
                        return Strs::unresolved();
                    }
                    if steps.is_empty() {
                        out.values.retain(|v| {
                            !skips.continue_if.iter().any(|c| certainly(c, v, true))
                                && !skips.continue_unless.iter().any(|c| certainly(c, v, false))
                        });
                    }
                }
                out
            }
            BindingKind::Param {
                func,
                callback_of,
                index,
                path,
                default,
            } => {
                if let Some(coll) = callback_of {
                    let mut s = vec![Step::Elems];
                    s.extend(path.iter().cloned());
                    return self.eval(coll, &concat(&s, steps), depth + 1);
                }
                let Some(func) = func else {
                    return Strs::unresolved();
                };
                // Every call of the function in this module: the argument at `index`.
                let mut out = Strs::default();
                let mut any_call = false;
                for c in &self.facts.calls {
                    if let Expression::Identifier(id) = c.callee.get_inner_expression()
                        && id.name == func.as_str()
                    {
                        any_call = true;
                        out = out.union(self.eval_arg(
                            c,
                            *index,
                            *default,
                            &concat(path, steps),
                            depth,
                        ));
                    }
                }
                if any_call {
                    return out;
                }
                // No caller here: the callers elsewhere supply it (or the default does).
                let default =
                    default.map(|d| Box::new(self.eval(d, &concat(path, steps), depth + 1)));
                Strs {
                    holes: [Hole {
                        func: func.clone(),
                        index: *index,
                        path: concat(path, steps),
                        default,
                    }]
                    .into(),
                    ..Strs::default()
                }
            }
            BindingKind::Import {
                specifier,
                imported,
            } => match self.modules.ws.resolve(self.file, specifier) {
                Resolution::File(p) => self.modules.eval_export(&p, imported, steps, depth + 1),
                _ => Strs::unresolved(),
            },
            BindingKind::Opaque => Strs::unresolved(),
        }
    }

    /// The value a call passes for parameter `index` (its default when left out).
    pub fn eval_arg(
        &self,
        c: &'a CallExpression<'a>,
        index: usize,
        default: Option<&'a Expression<'a>>,
        steps: &[Step],
        depth: usize,
    ) -> Strs {
        if c.arguments
            .iter()
            .take(index + 1)
            .any(|a| matches!(a, Argument::SpreadElement(_)))
        {
            return Strs::unresolved();
        }
        match c.arguments.get(index).and_then(Argument::as_expression) {
            Some(arg) => self.eval(arg, steps, depth + 1),
            None => match default {
                Some(d) => self.eval(d, steps, depth + 1),
                None => Strs::unresolved(),
            },
        }
    }

    /// The strings `e` navigated by `steps` can be.
    pub fn eval(&self, e: &'a Expression<'a>, steps: &[Step], depth: usize) -> Strs {
        if depth > MAX_DEPTH {
            return Strs::unresolved();
        }
        let e = e.get_inner_expression();
        match e {
            Expression::StringLiteral(s) if steps.is_empty() => Strs::one(&s.value),
            Expression::TemplateLiteral(t) if steps.is_empty() && t.expressions.is_empty() => {
                match t.quasis.first().and_then(|q| q.value.cooked.as_ref()) {
                    Some(c) => Strs::one(c),
                    None => Strs::unresolved(),
                }
            }
            Expression::Identifier(id) => self.eval_name(&id.name, id.span.start, steps, depth + 1),
            Expression::StaticMemberExpression(m) => {
                let mut s = vec![Step::Prop(m.property.name.to_string())];
                s.extend_from_slice(steps);
                self.eval(&m.object, &s, depth + 1)
            }
            Expression::ComputedMemberExpression(m) => {
                let step = match m.expression.get_inner_expression() {
                    Expression::StringLiteral(s) => Step::Prop(s.value.to_string()),
                    Expression::NumericLiteral(n) if n.value >= 0.0 && n.value.fract() == 0.0 => {
                        Step::Index(n.value as usize)
                    }
                    _ => return Strs::unresolved(),
                };
                let mut s = vec![step];
                s.extend_from_slice(steps);
                self.eval(&m.object, &s, depth + 1)
            }
            Expression::ChainExpression(c) => match &c.expression {
                ChainElement::StaticMemberExpression(m) => {
                    let mut s = vec![Step::Prop(m.property.name.to_string())];
                    s.extend_from_slice(steps);
                    self.eval(&m.object, &s, depth + 1)
                }
                _ => Strs::unresolved(),
            },
            Expression::ArrayExpression(a) => match steps.split_first() {
                Some((Step::Elems, rest)) => {
                    let mut out = Strs::default();
                    for el in &a.elements {
                        out = out.union(match el {
                            ArrayExpressionElement::SpreadElement(s) => {
                                self.eval(&s.argument, &concat(&[Step::Elems], rest), depth + 1)
                            }
                            ArrayExpressionElement::Elision(_) => Strs::default(),
                            other => match other.as_expression() {
                                Some(x) => self.eval(x, rest, depth + 1),
                                None => Strs::unresolved(),
                            },
                        });
                    }
                    out
                }
                Some((Step::Index(i), rest)) => {
                    if a.elements
                        .iter()
                        .take(*i + 1)
                        .any(|el| matches!(el, ArrayExpressionElement::SpreadElement(_)))
                    {
                        return Strs::unresolved();
                    }
                    match a.elements.get(*i).and_then(|el| el.as_expression()) {
                        Some(x) => self.eval(x, rest, depth + 1),
                        None => Strs::unresolved(),
                    }
                }
                _ => Strs::unresolved(),
            },
            Expression::ObjectExpression(o) => match steps.split_first() {
                Some((Step::Keys, [])) => {
                    let mut out = Strs::default();
                    for p in &o.properties {
                        match p {
                            ObjectPropertyKind::ObjectProperty(p) => {
                                match static_key(&p.key, p.computed) {
                                    Some(k) => out.values.insert(k),
                                    None => {
                                        out.unresolved = true;
                                        false
                                    }
                                }
                            }
                            ObjectPropertyKind::SpreadProperty(s) => {
                                out = out.union(self.eval(&s.argument, &[Step::Keys], depth + 1));
                                false
                            }
                        };
                    }
                    out
                }
                Some((Step::Values, rest)) => {
                    let mut out = Strs::default();
                    for p in &o.properties {
                        out = out.union(match p {
                            ObjectPropertyKind::ObjectProperty(p) => {
                                self.eval(&p.value, rest, depth + 1)
                            }
                            ObjectPropertyKind::SpreadProperty(s) => {
                                self.eval(&s.argument, steps, depth + 1)
                            }
                        });
                    }
                    out
                }
                Some((Step::Prop(name), rest)) => {
                    for p in o.properties.iter().rev() {
                        match p {
                            ObjectPropertyKind::ObjectProperty(p) => {
                                if static_key(&p.key, p.computed).as_deref() == Some(name) {
                                    return self.eval(&p.value, rest, depth + 1);
                                }
                            }
                            ObjectPropertyKind::SpreadProperty(s) => {
                                return self.eval(&s.argument, steps, depth + 1);
                            }
                        }
                    }
                    Strs::unresolved()
                }
                _ => Strs::unresolved(),
            },
            Expression::ConditionalExpression(c) => self
                .eval(&c.consequent, steps, depth + 1)
                .union(self.eval(&c.alternate, steps, depth + 1)),
            Expression::LogicalExpression(l) => self
                .eval(&l.left, steps, depth + 1)
                .union(self.eval(&l.right, steps, depth + 1)),
            Expression::AwaitExpression(a) => self.eval(&a.argument, steps, depth + 1),
            Expression::NewExpression(n) => {
                // `new Set(xs)`: the same elements.
                if n.callee.is_specific_id("Set")
                    && matches!(steps.first(), Some(Step::Elems))
                    && let Some(x) = n.arguments.first().and_then(Argument::as_expression)
                {
                    return self.eval(x, steps, depth + 1);
                }
                Strs::unresolved()
            }
            Expression::CallExpression(c) => self.eval_call(c, steps, depth),
            _ => Strs::unresolved(),
        }
    }

    fn eval_call(&self, c: &'a CallExpression<'a>, steps: &[Step], depth: usize) -> Strs {
        let arg0 = c.arguments.first().and_then(Argument::as_expression);
        let callee = c.callee.get_inner_expression();
        if let Some(m) = callee.as_member_expression() {
            let method = m.static_property_name().unwrap_or_default();
            let is_object = m.object().is_specific_id("Object");
            match (is_object, method, steps.split_first(), arg0) {
                (true, "keys", Some((Step::Elems, [])), Some(o)) => {
                    return self.eval(o, &[Step::Keys], depth + 1);
                }
                (true, "values", Some((Step::Elems, rest)), Some(o)) => {
                    return self.eval(o, &concat(&[Step::Values], rest), depth + 1);
                }
                (true, "entries", Some((Step::Elems, rest)), Some(o)) => {
                    return match rest.split_first() {
                        Some((Step::Index(0), [])) => self.eval(o, &[Step::Keys], depth + 1),
                        Some((Step::Index(1), r)) => {
                            self.eval(o, &concat(&[Step::Values], r), depth + 1)
                        }
                        _ => Strs::unresolved(),
                    };
                }
                (false, "from", Some((Step::Elems, _)), Some(x))
                    if m.object().is_specific_id("Array") =>
                {
                    return self.eval(x, steps, depth + 1);
                }
                // A `filter` whose predicate compares the element with literals
                // (`r !== "api"`, `["cli", "web"].includes(r)`) drops the roots it certainly
                // rejects; any other predicate (`existsSync(…)`) may keep every root.
                (false, "filter", Some((Step::Elems, [])), Some(f)) => {
                    let mut recv = self.eval(m.object(), steps, depth + 1);
                    if let Some((param, body)) = predicate(f) {
                        recv.values.retain(|v| {
                            v.starts_with("glob:")
                                || self.keeps(body, param, v, depth + 1) != Some(false)
                        });
                    }
                    return recv;
                }
                // `slice(a, b)` keeps a range of the receiver, which a set of values cannot
                // tell: unresolved (credits no root) rather than "every root". A bare
                // `slice()` is a copy.
                (false, "slice", Some((Step::Elems, _)), Some(_)) => return Strs::unresolved(),
                // Same elements, possibly reordered (or filtered by a predicate the check
                // cannot judge): the roots still come from the receiver.
                (
                    false,
                    "filter" | "slice" | "toSorted" | "sort" | "reverse" | "toReversed",
                    Some((Step::Elems, _)),
                    _,
                ) => return self.eval(m.object(), steps, depth + 1),
                (false, "concat", Some((Step::Elems, _)), _) => {
                    let mut out = self.eval(m.object(), steps, depth + 1);
                    for a in &c.arguments {
                        if let Some(a) = a.as_expression() {
                            out = out.union(self.eval(a, steps, depth + 1));
                        }
                    }
                    return out;
                }
                _ => {}
            }
            // A directory listing of `plugins/`: every root that exists.
            if matches!(method, "readdir" | "readdirSync")
                && matches!(steps.first(), Some(Step::Elems))
                && let Some(dir) = arg0
                && self.ends_in_plugins(dir, depth)
            {
                return Strs::any();
            }
        }
        if let Expression::Identifier(id) = callee
            && matches!(id.name.as_str(), "readdir" | "readdirSync")
            && matches!(steps.first(), Some(Step::Elems))
            && let Some(dir) = arg0
            && self.ends_in_plugins(dir, depth)
        {
            return Strs::any();
        }
        Strs::unresolved()
    }

    /// Whether a `filter` predicate `body` over parameter `param` keeps the element `value`:
    /// `Some(false)` only when it certainly drops it. Understood: `param === lit` (and `!==`,
    /// `==`, `!=`, either side), `list.includes(param)`, `!`, `&&`, `||`; anything else is
    /// `None` (may keep).
    fn keeps(
        &self,
        body: &'a Expression<'a>,
        param: &str,
        value: &str,
        depth: usize,
    ) -> Option<bool> {
        if depth > MAX_DEPTH {
            return None;
        }
        let is_param = |e: &Expression| matches!(e.get_inner_expression(), Expression::Identifier(id) if id.name == param);
        match body.get_inner_expression() {
            Expression::UnaryExpression(u) if u.operator == UnaryOperator::LogicalNot => {
                self.keeps(&u.argument, param, value, depth + 1).map(|b| !b)
            }
            Expression::LogicalExpression(l) => {
                let a = self.keeps(&l.left, param, value, depth + 1);
                let b = self.keeps(&l.right, param, value, depth + 1);
                match l.operator {
                    LogicalOperator::And => match (a, b) {
                        (Some(false), _) | (_, Some(false)) => Some(false),
                        (Some(true), Some(true)) => Some(true),
                        _ => None,
                    },
                    LogicalOperator::Or => match (a, b) {
                        (Some(true), _) | (_, Some(true)) => Some(true),
                        (Some(false), Some(false)) => Some(false),
                        _ => None,
                    },
                    LogicalOperator::Coalesce => None,
                }
            }
            Expression::BinaryExpression(b) => {
                let equal = match b.operator {
                    BinaryOperator::StrictEquality | BinaryOperator::Equality => true,
                    BinaryOperator::StrictInequality | BinaryOperator::Inequality => false,
                    _ => return None,
                };
                let other = if is_param(&b.left) {
                    &b.right
                } else if is_param(&b.right) {
                    &b.left
                } else {
                    return None;
                };
                let lit = self.eval(other, &[], depth + 1);
                let lit = lit.single()?;
                Some((lit == value) == equal)
            }
            Expression::CallExpression(c) => {
                let m = c.callee.get_inner_expression().as_member_expression()?;
                if m.static_property_name() != Some("includes")
                    || c.arguments.len() != 1
                    || !c.arguments[0].as_expression().is_some_and(is_param)
                    || !matches!(
                        m.object().get_inner_expression(),
                        Expression::ArrayExpression(_) | Expression::Identifier(_)
                    )
                {
                    return None;
                }
                let list = self.eval(m.object(), &[Step::Elems], depth + 1);
                if list.any || list.unresolved || !list.holes.is_empty() {
                    return None;
                }
                Some(list.values.contains(value))
            }
            _ => None,
        }
    }

    fn ends_in_plugins(&self, e: &'a Expression<'a>, depth: usize) -> bool {
        let segs = segments(&self.flatten(e, depth + 1));
        matches!(segs.last(), Some(s) if s.len() == 1 && matches!(&s[0], Piece::Lit(l) if l == PLUGINS_SEGMENT))
    }

    /// Whether `callee` is a path-joining function (`path.join`, `join` from `node:path`, …).
    fn is_path_join(&self, callee: &'a Expression<'a>) -> bool {
        let callee = callee.get_inner_expression();
        let (obj, method) = match callee {
            Expression::Identifier(id) => (None, id.name.as_str()),
            _ => match callee.as_member_expression() {
                Some(m) => (
                    Some(m.object()),
                    m.static_property_name().unwrap_or_default(),
                ),
                None => return false,
            },
        };
        if !matches!(method, "join" | "resolve" | "normalize") {
            // `import { join as pathJoin } from "node:path"`.
            if let (None, Expression::Identifier(id)) = (obj, callee)
                && let Some(b) = self.binding_at(&id.name, id.span.start)
                && let BindingKind::Import {
                    specifier,
                    imported,
                } = &b.kind
            {
                return self.modules.path_modules.contains(&specifier.as_str())
                    && matches!(imported.as_str(), "join" | "resolve" | "normalize");
            }
            return false;
        }
        match obj {
            None => true,
            Some(o) => match o.get_inner_expression() {
                Expression::Identifier(id) => {
                    if let Some(b) = self.binding_at(&id.name, id.span.start)
                        && let BindingKind::Import { specifier, .. } = &b.kind
                    {
                        return self.modules.path_modules.contains(&specifier.as_str());
                    }
                    matches!(id.name.as_str(), "path" | "posix" | "nodePath")
                }
                // `path.posix.join`
                other => other
                    .as_member_expression()
                    .is_some_and(|m| m.static_property_name() == Some("posix")),
            },
        }
    }

    /// Flattens a path expression into pieces (`/` separators as literals).
    pub fn flatten(&self, e: &'a Expression<'a>, depth: usize) -> Pieces {
        if depth > MAX_DEPTH {
            return vec![Piece::Set(Strs::unresolved())];
        }
        let e = e.get_inner_expression();
        match e {
            Expression::StringLiteral(s) => vec![Piece::Lit(s.value.to_string())],
            Expression::TemplateLiteral(t) => {
                let mut out = Vec::new();
                for (i, q) in t.quasis.iter().enumerate() {
                    out.push(Piece::Lit(
                        q.value
                            .cooked
                            .as_ref()
                            .map(|c| c.to_string())
                            .unwrap_or_default(),
                    ));
                    if let Some(x) = t.expressions.get(i) {
                        out.extend(self.flatten(x, depth + 1));
                    }
                }
                out
            }
            Expression::BinaryExpression(b) if b.operator == BinaryOperator::Addition => {
                let mut out = self.flatten(&b.left, depth + 1);
                out.extend(self.flatten(&b.right, depth + 1));
                out
            }
            Expression::CallExpression(c) if self.is_path_join(&c.callee) => self.join_pieces(
                c.arguments.iter().filter_map(Argument::as_expression),
                depth,
            ),
            Expression::CallExpression(c) if is_array_join(c) => {
                let Some(m) = c.callee.get_inner_expression().as_member_expression() else {
                    return vec![];
                };
                let Expression::ArrayExpression(a) = m.object().get_inner_expression() else {
                    return vec![];
                };
                self.join_pieces(a.elements.iter().filter_map(|x| x.as_expression()), depth)
            }
            Expression::Identifier(id) => {
                // A constant holding a path built elsewhere: inline it.
                if let Some(b) = self.binding_at(&id.name, id.span.start)
                    && let BindingKind::Value { init, path } = &b.kind
                    && path.is_empty()
                    && matches!(
                        init.get_inner_expression(),
                        Expression::CallExpression(_)
                            | Expression::TemplateLiteral(_)
                            | Expression::BinaryExpression(_)
                    )
                {
                    let inner = self.flatten(init, depth + 1);
                    if inner.iter().any(|p| matches!(p, Piece::Lit(_))) {
                        return inner;
                    }
                }
                self.value_piece(e, depth)
            }
            _ => self.value_piece(e, depth),
        }
    }

    fn join_pieces(&self, args: impl Iterator<Item = &'a Expression<'a>>, depth: usize) -> Pieces {
        let mut out = Vec::new();
        for (i, a) in args.enumerate() {
            if i > 0 {
                out.push(Piece::Lit("/".into()));
            }
            out.extend(self.flatten(a, depth + 1));
        }
        out
    }

    fn value_piece(&self, e: &'a Expression<'a>, depth: usize) -> Pieces {
        let v = self.eval(e, &[], depth + 1);
        match v.single() {
            Some(s) => vec![Piece::Lit(s.to_string())],
            None => vec![Piece::Set(v)],
        }
    }

    /// The roots a path build scans, if it is a scan path (`…/plugins/<root>…`).
    pub fn scan_roots(&self, b: &PathBuild<'a>) -> Option<Strs> {
        let pieces = match b {
            PathBuild::Call(c) if self.is_path_join(&c.callee) || is_array_join(c) => {
                self.flatten_call(c)
            }
            PathBuild::Call(_) => return None,
            PathBuild::Template(t) => {
                let mut out = Vec::new();
                for (i, q) in t.quasis.iter().enumerate() {
                    out.push(Piece::Lit(
                        q.value
                            .cooked
                            .as_ref()
                            .map(|c| c.to_string())
                            .unwrap_or_default(),
                    ));
                    if let Some(x) = t.expressions.get(i) {
                        out.extend(self.flatten(x, 1));
                    }
                }
                out
            }
            PathBuild::Concat(bin) => {
                let mut out = self.flatten(&bin.left, 1);
                out.extend(self.flatten(&bin.right, 1));
                out
            }
            PathBuild::Glob(s) => vec![Piece::Lit(s.value.to_string())],
        };
        self.scan_roots_of(pieces)
    }

    fn flatten_call(&self, c: &'a CallExpression<'a>) -> Pieces {
        if is_array_join(c) {
            if let Some(m) = c.callee.get_inner_expression().as_member_expression()
                && let Expression::ArrayExpression(a) = m.object().get_inner_expression()
            {
                return self.join_pieces(a.elements.iter().filter_map(|x| x.as_expression()), 0);
            }
            return Vec::new();
        }
        self.join_pieces(c.arguments.iter().filter_map(Argument::as_expression), 0)
    }

    fn scan_roots_of(&self, pieces: Pieces) -> Option<Strs> {
        // Prose is not a path: a message that mentions `plugins/api` scans nothing.
        if pieces
            .iter()
            .any(|p| matches!(p, Piece::Lit(l) if l.chars().any(char::is_whitespace)))
        {
            return None;
        }
        let segs = segments(&pieces);
        let mut found: Option<Strs> = None;
        let mut add = |s: Strs| {
            found = Some(match found.take() {
                Some(f) => f.union(s),
                None => s,
            })
        };
        for (i, seg) in segs.iter().enumerate() {
            // A value holding several whole paths: `plugins/cli`, `plugins/web`, …
            for p in seg {
                if let Piece::Set(s) = p {
                    let mut roots = Strs::default();
                    for v in &s.values {
                        let parts: Vec<&str> = v.split('/').collect();
                        if let Some(k) = parts.iter().position(|x| *x == PLUGINS_SEGMENT)
                            && let Some(r) = parts.get(k + 1)
                        {
                            roots.values.insert(r.to_string());
                        }
                    }
                    if !roots.values.is_empty() {
                        add(roots);
                    }
                }
            }
            let is_plugins =
                seg.len() == 1 && matches!(&seg[0], Piece::Lit(l) if l == PLUGINS_SEGMENT);
            if !is_plugins {
                continue;
            }
            let Some(next) = segs.get(i + 1) else {
                continue;
            };
            match next.as_slice() {
                [Piece::Lit(l)] => {
                    if l.contains(['*', '{', '?', '[']) {
                        add(glob_roots(l));
                    } else {
                        add(Strs::one(l));
                    }
                }
                [Piece::Set(s)] => add(s.clone()),
                _ => add(Strs::unresolved()),
            }
        }
        found
    }
}

/// The last segment of the plugins directory, as it appears in scan paths.
pub const PLUGINS_SEGMENT: &str = "plugins";

/// Roots matched by a glob segment such as `*` or `{cli,web}`: kept as the glob itself,
/// matched against the configured roots by the caller (see [`Strs::covers`]).
fn glob_roots(g: &str) -> Strs {
    Strs {
        values: [format!("glob:{g}")].into(),
        ..Strs::default()
    }
}

impl Strs {
    /// Which of `roots` these values cover (globs are matched; `any` covers all).
    pub fn covers(&self, roots: &[String]) -> BTreeSet<String> {
        if self.any {
            return roots.iter().cloned().collect();
        }
        let mut out = BTreeSet::new();
        for v in &self.values {
            if let Some(g) = v.strip_prefix("glob:") {
                if let Ok(glob) = globset::GlobBuilder::new(g).literal_separator(true).build() {
                    let m = glob.compile_matcher();
                    out.extend(roots.iter().filter(|r| m.is_match(r.as_str())).cloned());
                }
            } else if roots.contains(v) {
                out.insert(v.clone());
            }
        }
        out
    }
}

/// The `if (…) continue;` guards and early exits (`break`, `return`) at the top level of a
/// loop body (a statement nested deeper, e.g. in another `if`, is not looked at: it may keep
/// every element).
fn loop_skips<'a>(body: &'a oxc_ast::ast::Statement<'a>) -> LoopSkips<'a> {
    use oxc_ast::ast::Statement;
    let mut out = LoopSkips::default();
    let stmts: &[Statement] = match body {
        Statement::BlockStatement(b) => &b.body,
        other => std::slice::from_ref(other),
    };
    for st in stmts {
        let Statement::IfStatement(i) = st else {
            continue;
        };
        let mut exits = vec![&i.consequent];
        exits.extend(i.alternate.as_ref());
        for (n, exit) in exits.into_iter().enumerate() {
            let exit = match exit {
                Statement::BlockStatement(b) if b.body.len() == 1 => &b.body[0],
                other => other,
            };
            match (exit, n) {
                (Statement::ContinueStatement(_), 0) => out.continue_if.push(&i.test),
                (Statement::ContinueStatement(_), _) => out.continue_unless.push(&i.test),
                (Statement::BreakStatement(_) | Statement::ReturnStatement(_), 0) => {
                    out.end_if.push(&i.test);
                }
                // `else break`: ends the loop when the condition is false.
                (Statement::BreakStatement(_) | Statement::ReturnStatement(_), _) => {
                    out.end_unless.push(&i.test);
                }
                _ => {}
            }
        }
    }
    out
}

/// The parameter name and the returned expression of a one-expression predicate:
/// `(r) => expr`, `function (r) { return expr; }`.
fn predicate<'a>(f: &'a Expression<'a>) -> Option<(&'a str, &'a Expression<'a>)> {
    let (params, body) = match f.get_inner_expression() {
        Expression::ArrowFunctionExpression(a) => match &a.body {
            // `(r) => r !== "api"`: the body is the expression itself.
            oxc_ast::ast::ArrowFunctionBody::FunctionBody(b) => (&*a.params, &**b),
            body => {
                let id = simple_param(&a.params)?;
                return body.as_expression().map(|e| (id, e));
            }
        },
        Expression::FunctionExpression(func) => (&*func.params, &**func.body.as_ref()?),
        _ => return None,
    };
    let id = simple_param(params)?;
    let [stmt] = body.statements.as_slice() else {
        return None;
    };
    let e = match stmt {
        oxc_ast::ast::Statement::ReturnStatement(r) => r.argument.as_ref()?,
        _ => return None,
    };
    Some((id, e))
}

/// The name of a function's first parameter when it is a plain identifier.
fn simple_param<'a>(params: &'a FormalParameters<'a>) -> Option<&'a str> {
    match &params.items.first()?.pattern {
        BindingPattern::BindingIdentifier(id) => Some(id.name.as_str()),
        _ => None,
    }
}

fn is_array_join(c: &CallExpression) -> bool {
    let Some(m) = c.callee.get_inner_expression().as_member_expression() else {
        return false;
    };
    m.static_property_name() == Some("join")
        && matches!(
            m.object().get_inner_expression(),
            Expression::ArrayExpression(_)
        )
        && matches!(
            c.arguments.first().and_then(Argument::as_expression).map(Expression::get_inner_expression),
            Some(Expression::StringLiteral(s)) if s.value == "/"
        )
}

fn static_key(k: &PropertyKey, computed: bool) -> Option<String> {
    if computed {
        return match k.as_expression()?.get_inner_expression() {
            Expression::StringLiteral(s) => Some(s.value.to_string()),
            _ => None,
        };
    }
    k.static_name().map(|s| s.to_string())
}

fn concat(a: &[Step], b: &[Step]) -> Vec<Step> {
    let mut v = a.to_vec();
    v.extend_from_slice(b);
    v
}

/// Splits pieces into `/`-separated segments (empty segments dropped).
fn segments(pieces: &[Piece]) -> Vec<Vec<Piece>> {
    let mut segs: Vec<Vec<Piece>> = vec![Vec::new()];
    for p in pieces {
        match p {
            Piece::Lit(l) => {
                let mut first = true;
                for part in l.split('/') {
                    if !first {
                        segs.push(Vec::new());
                    }
                    first = false;
                    if !part.is_empty() {
                        segs.last_mut()
                            .expect("non-empty")
                            .push(Piece::Lit(part.to_string()));
                    }
                }
            }
            Piece::Set(s) => segs
                .last_mut()
                .expect("non-empty")
                .push(Piece::Set(s.clone())),
        }
    }
    // Merge adjacent literals inside a segment (`"plug" + "ins"`).
    segs.into_iter()
        .filter(|s| !s.is_empty())
        .map(|s| {
            let mut out: Vec<Piece> = Vec::new();
            for p in s {
                match (out.last_mut(), p) {
                    (Some(Piece::Lit(a)), Piece::Lit(b)) => a.push_str(&b),
                    (_, p) => out.push(p),
                }
            }
            out
        })
        .collect()
}

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
enum Want {
    /// All of it (the implementation itself, a namespace or side-effect import).
    Whole,
    /// These exported names (the importer uses only them).
    Names(std::collections::BTreeSet<String>),
}

fn want_of(names: impl IntoIterator<Item = String>) -> Want {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The roots covered by the scan paths of one module (no imports).
    fn covered(code: &str) -> Vec<String> {
        let file = SourceFile::new("m.ts".into(), "m.ts".into(), code.into(), false);
        let alloc = Allocator::default();
        let parsed = ts::parse(&alloc, &file);
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        let program = alloc.alloc(parsed.program);
        let facts = collect(program);
        let ws = Workspace::default();
        let modules = Modules::new(Path::new("."), &ws);
        let cx = ModuleCx {
            facts: &facts,
            file: Path::new("m.ts"),
            modules: &modules,
        };
        let roots: Vec<String> = ["cli", "agents", "web", "api", "workflows"]
            .map(String::from)
            .to_vec();
        let mut out = BTreeSet::new();
        for b in &facts.builds {
            if let Some(s) = cx.scan_roots(b) {
                out.extend(s.covers(&roots));
            }
        }
        roots.into_iter().filter(|r| out.contains(r)).collect()
    }

    #[test]
    fn loop_guards_drop_the_roots_they_certainly_skip() {
        let head = "const ROOTS = ['cli', 'agents', 'web', 'api', 'workflows'];\n";
        let all = ["cli", "agents", "web", "api", "workflows"];
        let cov = |body: &str| covered(&format!("{head}{body}"));
        // `continue` on a literal comparison drops those roots, in every spelling.
        assert_eq!(
            cov(
                "for (const r of ROOTS) { if (r === 'api') continue; path.join(ws, 'plugins', r); }"
            ),
            ["cli", "agents", "web", "workflows"]
        );
        assert_eq!(
            cov(
                "for (const r of ROOTS) { if (['web', 'api'].includes(r)) { continue; } path.join(ws, 'plugins', r); }"
            ),
            ["cli", "agents", "workflows"]
        );
        assert_eq!(
            cov(
                "for (const r of ROOTS) { if (r === 'cli' || r === 'web') { load(r); } else continue; path.join(ws, 'plugins', r); }"
            ),
            ["cli", "web"]
        );
        // A guard that does not compare the root (a missing directory) may keep them all.
        assert_eq!(
            cov(
                "function f() { for (const r of ROOTS) { const d = path.join(ws, 'plugins', r); if (!existsSync(d)) continue; if (!ok) return []; scan(d); } }\nf();"
            ),
            all
        );
        // Ending the loop at a root leaves the later ones unscanned: unresolved.
        let none: [&str; 0] = [];
        assert_eq!(
            cov("for (const r of ROOTS) { if (r === 'web') break; path.join(ws, 'plugins', r); }"),
            none
        );
        assert_eq!(
            cov(
                "function f() { for (const r of ROOTS) { if (r !== 'web') path.join(ws, 'plugins', r); else return; } }\nf();"
            ),
            none
        );
    }

    #[test]
    fn evaluates_the_usual_ways_of_iterating_roots() {
        let all = ["cli", "agents", "web", "api", "workflows"];
        assert_eq!(
            covered(
                "import path from 'node:path';\nconst R = { cli: 1, agents: 2, web: 3, api: 4, workflows: 5 } as const;\nfor (const [r] of Object.entries(R)) path.join(ws, 'plugins', r);"
            ),
            all
        );
        assert_eq!(
            covered("const roots = ['cli', 'web'];\nroots.map((root) => `${ws}/plugins/${root}`);"),
            ["cli", "web"]
        );
        assert_eq!(
            covered(
                "const base = ws + '/plugins/';\n['api', 'workflows'].forEach((r) => load(base + r));"
            ),
            ["api", "workflows"]
        );
        assert_eq!(
            covered(
                "const dirs = ['plugins/cli', 'plugins/agents'];\nfor (const d of dirs) path.join(ws, d);"
            ),
            ["cli", "agents"]
        );
        assert_eq!(
            covered("glob('plugins/{cli,web}/*/package.json');"),
            ["cli", "web"]
        );
        assert_eq!(
            covered(
                "function scan(root) { return path.join(ws, 'plugins', root); }\nscan('cli'); scan(cond ? 'web' : 'api');"
            ),
            ["cli", "web", "api"]
        );
        let none: [&str; 0] = [];
        // Prose, unrelated joins and unresolvable values credit nothing.
        assert_eq!(
            covered("log(`see plugins/api and ${x}`);\n['a','b'].join('-');"),
            none
        );
        assert_eq!(covered("path.join(ws, 'plugins', pick());"), none);
        // An array join with '/' is a path.
        assert_eq!(
            covered("['plugins', 'workflows'].join('/');"),
            ["workflows"]
        );
    }

    #[test]
    fn var_is_bound_to_its_function_not_its_block() {
        assert_eq!(
            covered(
                "function f(c) {\n  if (c) { var r = 'api'; }\n  return path.join(ws, 'plugins', r);\n}\nf(1);\n"
            ),
            ["api"]
        );
    }

    #[test]
    fn a_for_in_variable_lives_in_its_loop() {
        assert_eq!(
            covered(
                "const r = 'cli';\nfor (const r in MAP) { log(r); }\npath.join(ws, 'plugins', r);\n"
            ),
            ["cli"]
        );
    }

    #[test]
    fn a_switch_has_its_own_block_scope() {
        assert_eq!(
            covered(
                "const r = 'cli';\nswitch (k) {\n  case 1:\n    const r = 'web';\n    path.join(ws, 'plugins', r);\n}\npath.join(ws, 'plugins', r);\n"
            ),
            ["cli", "web"]
        );
        assert_eq!(
            covered(
                "const r = 'cli';\nswitch (k) {\n  case 1:\n    const r = 'web';\n    log(r);\n}\npath.join(ws, 'plugins', r);\n"
            ),
            ["cli"]
        );
    }

    #[test]
    fn a_class_static_block_has_its_own_scope() {
        assert_eq!(
            covered(
                "const r = 'cli';\nclass C {\n  static {\n    const r = 'web';\n    log(r);\n  }\n}\npath.join(ws, 'plugins', r);\n"
            ),
            ["cli"]
        );
    }

    #[test]
    fn a_declaration_in_a_nested_block_shadows_the_outer_one() {
        assert_eq!(
            covered(
                "const r = 'cli';\nfunction f() {\n  { const r = 'web'; path.join(ws, 'plugins', r); }\n}\nf();\n"
            ),
            ["web"]
        );
    }

    #[test]
    fn a_name_read_before_a_later_shadowing_declaration_keeps_its_own_binding() {
        // A class (no string value) shadows the outer constant inside the function: the
        // path is unresolved there, not the outer value.
        assert_eq!(
            covered(
                "const r = 'cli';\nfunction f() {\n  path.join(ws, 'plugins', r);\n  class r {}\n}\nf();\n"
            ),
            Vec::<String>::new()
        );
    }
}

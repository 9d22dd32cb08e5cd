//! What one parsed module binds and builds ([`Facts`]): its bindings and how each got its
//! value, the declaration every identifier reference resolves to (from `oxc_semantic`, which
//! binds names the way JavaScript does), the calls, the places that build a path, its local
//! exports, and the guards that skip elements at the top of a `for … of` body.

use super::*;

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
    pub(super) fn is_empty(&self) -> bool {
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
pub(super) struct References(Vec<(u32, ReferenceId)>);

impl<'a> Visit<'a> for References {
    fn visit_identifier_reference(&mut self, it: &IdentifierReference<'a>) {
        if let Some(rid) = it.reference_id.get() {
            self.0.push((it.span.start, rid));
        }
    }
}

pub(super) fn export_name(n: &ModuleExportName) -> String {
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

pub(super) struct Collector<'a> {
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
pub(super) fn is_type_context(kind: &AstKind) -> bool {
    matches!(
        kind,
        AstKind::TSTypeReference(_)
            | AstKind::TSTypeQuery(_)
            | AstKind::TSClassImplements(_)
            | AstKind::TSInterfaceHeritage(_)
    )
}

/// Array methods whose first callback parameter is an element of the receiver.
pub(super) const ELEMENT_CALLBACKS: &[&str] = &[
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
    pub(super) fn build(&mut self, b: PathBuild<'a>) {
        self.facts.builds.push(b);
        self.facts
            .build_owners
            .push(self.fn_stack.iter().flatten().cloned().collect());
    }

    pub(super) fn params(
        &mut self,
        span: Span,
        params: &'a FormalParameters<'a>,
        name: Option<String>,
    ) {
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

/// The `if (…) continue;` guards and early exits (`break`, `return`) at the top level of a
/// loop body (a statement nested deeper, e.g. in another `if`, is not looked at: it may keep
/// every element).
pub(super) fn loop_skips<'a>(body: &'a oxc_ast::ast::Statement<'a>) -> LoopSkips<'a> {
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

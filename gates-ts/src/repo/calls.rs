//! Functions and calls of TypeScript modules: which function a name denotes (a local
//! declaration, an arrow bound to a `const`, or an import followed into its module), the
//! calls a function body makes in the order they run, member chains (`a.b.c`), constant
//! strings and simple control-flow facts (does this statement always return or throw?).
//!
//! These are the pieces a check needs to judge what code *does* rather than what text it
//! contains: a list of route strings in a constant is not a mount, a call is.

use oxc_ast::AstKind;
use oxc_ast::ast::{
    Argument, BindingPattern, CallExpression, Declaration, ExportDefaultDeclarationKind,
    Expression, FormalParameters, Function, IdentifierReference, ModuleExportName,
    ObjectExpression, ObjectPropertyKind, Program, PropertyKey, Statement, VariableDeclarationKind,
    VariableDeclarator,
};
use oxc_ast_visit::Visit;
use oxc_semantic::{AstNodes, NodeId, ScopeId, SymbolId};
use oxc_span::{GetSpan, Span};
use oxc_syntax::scope::ScopeFlags;

use super::modules::{ImportTarget, ModId, ModuleSet};

/// How deep calls are followed into other functions (a guard against pathological chains;
/// real registration code nests two or three levels).
pub const MAX_FOLLOW_DEPTH: usize = 8;

/// A function body: a block of statements or an arrow's expression.
#[derive(Clone, Copy)]
pub enum Body<'a> {
    Block(&'a oxc_allocator::Vec<'a, Statement<'a>>),
    Expr(&'a Expression<'a>),
}

/// A function found in some module: its parameters and body.
#[derive(Clone, Copy)]
pub struct FnRef<'a> {
    pub module: ModId,
    pub params: &'a FormalParameters<'a>,
    pub body: Body<'a>,
    /// The whole function (for positions and identity).
    pub span: Span,
    /// Where the function's name is declared, if it has one.
    pub name_span: Option<Span>,
    /// Its scope (set by `oxc_semantic` when its module was loaded).
    pub scope: Option<ScopeId>,
}

impl<'a> FnRef<'a> {
    /// The simple identifier of each positional parameter (`None` for patterns).
    pub fn param_names(&self) -> Vec<Option<String>> {
        self.params
            .items
            .iter()
            .map(|p| binding_ident(&p.pattern))
            .collect()
    }

    /// The statements of a block body (empty for an expression body).
    pub fn statements(&self) -> &'a [Statement<'a>] {
        match self.body {
            Body::Block(s) => s.as_slice(),
            Body::Expr(_) => &[],
        }
    }
}

/// The name bound by a simple binding pattern (`x`, `x = 1`).
pub fn binding_ident(p: &BindingPattern) -> Option<String> {
    match p {
        BindingPattern::BindingIdentifier(id) => Some(id.name.to_string()),
        BindingPattern::AssignmentPattern(a) => binding_ident(&a.left),
        _ => None,
    }
}

/// Every name a binding pattern binds, with the property path that leads to it from the
/// bound value (`const { a: { b }, c } = v` → `b` ← `["a","b"]`, `c` ← `["c"]`).
pub fn pattern_bindings(p: &BindingPattern) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    collect_pattern(p, &mut Vec::new(), &mut out);
    out
}

fn collect_pattern(
    p: &BindingPattern,
    path: &mut Vec<String>,
    out: &mut Vec<(String, Vec<String>)>,
) {
    match p {
        BindingPattern::BindingIdentifier(id) => out.push((id.name.to_string(), path.clone())),
        BindingPattern::AssignmentPattern(a) => collect_pattern(&a.left, path, out),
        BindingPattern::ObjectPattern(o) => {
            for prop in &o.properties {
                if let Some(key) = property_key_name(&prop.key) {
                    path.push(key);
                    collect_pattern(&prop.value, path, out);
                    path.pop();
                }
            }
        }
        // Array elements and rest elements carry no stable property path.
        BindingPattern::ArrayPattern(_) => {}
    }
}

/// The static name of a property key (`a`, `"a"`, `` `a` ``), if it has one.
pub fn property_key_name(k: &PropertyKey) -> Option<String> {
    match k {
        PropertyKey::StaticIdentifier(id) => Some(id.name.to_string()),
        PropertyKey::StringLiteral(s) => Some(s.value.to_string()),
        PropertyKey::TemplateLiteral(t) => t.single_quasi().map(|s| s.to_string()),
        _ => None,
    }
}

/// The function an expression is, looking through parentheses and type assertions.
pub fn fn_of_expr<'a>(module: ModId, e: &'a Expression<'a>) -> Option<FnRef<'a>> {
    match e.get_inner_expression() {
        Expression::ArrowFunctionExpression(a) => Some(FnRef {
            module,
            params: &a.params,
            body: match &a.body {
                oxc_ast::ast::ArrowFunctionBody::FunctionBody(b) => Body::Block(&b.statements),
                other => Body::Expr(other.as_expression()?),
            },
            span: a.span,
            name_span: None,
            scope: a.scope_id.get(),
        }),
        Expression::FunctionExpression(f) => fn_of_function(module, f),
        _ => None,
    }
}

/// A function declaration or expression with a body.
pub fn fn_of_function<'a>(module: ModId, f: &'a Function<'a>) -> Option<FnRef<'a>> {
    let body = f.body.as_ref()?;
    Some(FnRef {
        module,
        params: &f.params,
        body: Body::Block(&body.statements),
        span: f.span,
        name_span: f.id.as_ref().map(|i| i.span),
        scope: f.scope_id.get(),
    })
}

/// A declaration of a name in one statement list.
#[derive(Clone, Copy)]
pub enum Decl<'a> {
    Function(&'a Function<'a>),
    /// A variable; `path` is the property path from `init` to the bound name when the
    /// declarator destructures (empty for a plain `const x = init`).
    Var {
        declarator: &'a VariableDeclarator<'a>,
        init: Option<&'a Expression<'a>>,
        /// Declared with `const` (its value cannot be rebound).
        is_const: bool,
    },
}

/// Finds where `name` is declared among `stmts` (not looking into nested blocks), including
/// declarations wrapped in `export`.
pub fn declared_in<'a>(stmts: &'a [Statement<'a>], name: &str) -> Option<Decl<'a>> {
    for s in stmts {
        let decl: Option<&'a Declaration<'a>> = match s {
            Statement::ExportDeclaration(e) => Some(&e.declaration),
            _ => s.as_declaration(),
        };
        if let Some(found) = decl.and_then(|d| decl_binds(d, name)) {
            return Some(found);
        }
        if let Statement::ExportDefaultDeclaration(d) = s
            && let ExportDefaultDeclarationKind::FunctionDeclaration(f) = &d.declaration
            && f.id.as_ref().is_some_and(|i| i.name == name)
        {
            return Some(Decl::Function(f));
        }
    }
    None
}

fn decl_binds<'a>(d: &'a Declaration<'a>, name: &str) -> Option<Decl<'a>> {
    match d {
        Declaration::FunctionDeclaration(f) if f.id.as_ref().is_some_and(|i| i.name == name) => {
            Some(Decl::Function(f))
        }
        Declaration::VariableDeclaration(v) => v.declarations.iter().find_map(|dc| {
            pattern_bindings(&dc.id)
                .iter()
                .any(|(n, _)| n == name)
                .then_some(Decl::Var {
                    declarator: dc,
                    init: dc.init.as_ref(),
                    is_const: v.kind == VariableDeclarationKind::Const,
                })
        }),
        _ => None,
    }
}

/// The local name under which `program` declares its export `export` (`export const x`,
/// `export function x`, `export { local as x }`, `export default function f`), or `None`.
pub fn local_name_of_export(program: &Program, export: &str) -> Option<String> {
    for s in &program.body {
        match s {
            Statement::ExportDeclaration(e) => {
                let names: Vec<String> = match &e.declaration {
                    Declaration::FunctionDeclaration(f) => {
                        f.id.iter().map(|i| i.name.to_string()).collect()
                    }
                    Declaration::VariableDeclaration(v) => v
                        .declarations
                        .iter()
                        .flat_map(|dc| pattern_bindings(&dc.id).into_iter().map(|(n, _)| n))
                        .collect(),
                    Declaration::ClassDeclaration(c) => {
                        c.id.iter().map(|i| i.name.to_string()).collect()
                    }
                    _ => Vec::new(),
                };
                if names.iter().any(|n| n == export) {
                    return Some(export.to_string());
                }
            }
            Statement::ExportNamedDeclaration(e) => {
                for spec in &e.specifiers {
                    if export_name(&spec.exported) == export {
                        return Some(export_name(&spec.local));
                    }
                }
            }
            Statement::ExportDefaultDeclaration(d) if export == "default" => {
                return Some(match &d.declaration {
                    ExportDefaultDeclarationKind::FunctionDeclaration(f) => {
                        f.id.as_ref()
                            .map(|i| i.name.to_string())
                            .unwrap_or_else(|| "default".into())
                    }
                    ExportDefaultDeclarationKind::Identifier(i) => i.name.to_string(),
                    _ => "default".into(),
                });
            }
            _ => {}
        }
    }
    None
}

fn export_name(n: &ModuleExportName) -> String {
    match n {
        ModuleExportName::IdentifierName(i) => i.name.to_string(),
        ModuleExportName::IdentifierReference(i) => i.name.to_string(),
        ModuleExportName::StringLiteral(s) => s.value.to_string(),
    }
}

/// Where a name is looked up: a module, and the functions whose bodies the analysis has
/// entered to get there (innermost first), so a parameter can be told from the argument a
/// call passed for it. What a name *denotes* is decided by `oxc_semantic` (the module's
/// [`Scoping`](oxc_semantic::Scoping)), which binds names the way JavaScript does.
#[derive(Clone)]
pub struct Scope<'a> {
    pub module: ModId,
    pub frames: Vec<Frame<'a>>,
}

/// A function body the analysis entered (or the module's top level, the last frame).
#[derive(Clone)]
pub struct Frame<'a> {
    pub stmts: &'a [Statement<'a>],
    /// Its simple parameters, by position.
    pub params: Vec<String>,
    /// Its scope: names are looked up from here.
    pub scope: ScopeId,
    /// Where its parameters are declared (`None` for the top level).
    pub params_span: Option<Span>,
}

/// What a name refers to from some scope.
#[derive(Clone)]
pub enum Binding<'a> {
    /// Declared in module `module` (a local or, followed through imports, the origin).
    Decl { module: ModId, decl: Decl<'a> },
    /// A parameter of frame `frame` (0 = innermost).
    Param { frame: usize, name: String },
    /// Imported from outside the target, or not resolvable.
    Import(ImportTarget),
}

impl<'a> Scope<'a> {
    /// The top level of module `module`.
    pub fn module(set: &ModuleSet<'a>, module: ModId) -> Scope<'a> {
        let m = set.module(module);
        Scope {
            module,
            frames: vec![Frame {
                stmts: m.program.body.as_slice(),
                params: Vec::new(),
                scope: m.semantic.scoping().root_scope_id(),
                params_span: None,
            }],
        }
    }

    /// This scope extended with the body and parameters of `f` (which must be in the same module).
    pub fn enter(&self, f: &FnRef<'a>) -> Scope<'a> {
        let mut frames = vec![Frame {
            stmts: f.statements(),
            params: f.param_names().into_iter().flatten().collect(),
            scope: f.scope.unwrap_or(self.frames[0].scope),
            params_span: Some(f.params.span),
        }];
        frames.extend(self.frames.iter().cloned());
        Scope {
            module: self.module,
            frames,
        }
    }

    /// Resolves the name `name` as written at the innermost frame (its body's top level),
    /// following imports of the target's own modules to their origin. For a name read in
    /// the code, [`Scope::resolve_ref`] knows the block it is read in.
    pub fn resolve(&self, set: &ModuleSet<'a>, name: &str) -> Option<Binding<'a>> {
        let m = set.module(self.module);
        let sid = m
            .semantic
            .scoping()
            .find_binding(self.frames[0].scope, name.into())?;
        self.binding_of(set, name, sid)
    }

    /// Resolves the identifier `id` (read in this scope's module) to what it denotes where
    /// it is read: a declaration in a nested block shadows the outer ones.
    pub fn resolve_ref(
        &self,
        set: &ModuleSet<'a>,
        id: &IdentifierReference<'a>,
    ) -> Option<Binding<'a>> {
        let m = set.module(self.module);
        let scoping = m.semantic.scoping();
        let nodes = m.semantic.nodes();
        if let Some(rid) = id.reference_id.get()
            && rid.index() < scoping.references_len()
        {
            let r = scoping.get_reference(rid);
            // Reference ids are per module: make sure this one is `id` itself.
            if r.node_id().index() < nodes.len()
                && matches!(nodes.kind(r.node_id()), AstKind::IdentifierReference(x) if std::ptr::eq(x, id))
            {
                return r
                    .symbol_id()
                    .and_then(|sid| self.binding_of(set, &id.name, sid));
            }
        }
        self.resolve(set, &id.name)
    }

    /// What the symbol `sid` (of this scope's module, named `name`) is.
    fn binding_of(&self, set: &ModuleSet<'a>, name: &str, sid: SymbolId) -> Option<Binding<'a>> {
        let m = set.module(self.module);
        let scoping = m.semantic.scoping();
        let at = scoping.symbol_span(sid);
        if let Some(frame) = self.frames.iter().position(|fr| {
            fr.params_span
                .is_some_and(|p| p.start <= at.start && at.end <= p.end)
                && fr.params.iter().any(|p| p == name)
        }) {
            return Some(Binding::Param {
                frame,
                name: name.to_string(),
            });
        }
        if scoping.symbol_flags(sid).is_import() {
            return self.import(set, name);
        }
        let decl = decl_of(m.semantic.nodes(), scoping.symbol_declaration(sid), name)?;
        Some(Binding::Decl {
            module: self.module,
            decl,
        })
    }

    /// What the import binding `name` of this scope's module denotes, followed to the
    /// module that declares it.
    fn import(&self, set: &ModuleSet<'a>, name: &str) -> Option<Binding<'a>> {
        let target = set.import_of(self.module, name)?;
        Some(match target {
            ImportTarget::Module { id, export } => match set.origin_of_export(id, &export) {
                Some((origin, local)) => {
                    let stmts = set.module(origin).program.body.as_slice();
                    match declared_in(stmts, &local) {
                        Some(decl) => Binding::Decl {
                            module: origin,
                            decl,
                        },
                        None => Binding::Import(ImportTarget::Module { id: origin, export }),
                    }
                }
                None => Binding::Import(ImportTarget::Module { id, export }),
            },
            other => Binding::Import(other),
        })
    }

    /// The function `name` denotes from this scope, if it is one the analysis can read.
    pub fn resolve_function(&self, set: &ModuleSet<'a>, name: &str) -> Option<FnRef<'a>> {
        function_of(self.resolve(set, name)?)
    }

    /// The function the identifier `id` denotes where it is read (see [`Scope::resolve_ref`]).
    pub fn resolve_function_ref(
        &self,
        set: &ModuleSet<'a>,
        id: &IdentifierReference<'a>,
    ) -> Option<FnRef<'a>> {
        function_of(self.resolve_ref(set, id)?)
    }

    /// The scope a function found through [`Scope::resolve_function`] runs in: entered from
    /// this scope when it is local, from its module's top level otherwise.
    pub fn scope_of(&self, set: &ModuleSet<'a>, f: &FnRef<'a>) -> Scope<'a> {
        let outer =
            if f.module == self.module && self.frames.iter().any(|fr| contains(fr.stmts, f.span)) {
                // A function nested in one of our frames: the parameters it can see are
                // those of the innermost frame that contains it and the frames around that.
                let idx = self
                    .frames
                    .iter()
                    .position(|fr| contains(fr.stmts, f.span))
                    .unwrap_or(self.frames.len() - 1);
                Scope {
                    module: self.module,
                    frames: self.frames[idx..].to_vec(),
                }
            } else {
                Scope::module(set, f.module)
            };
        outer.enter(f)
    }
}

fn function_of(b: Binding<'_>) -> Option<FnRef<'_>> {
    match b {
        Binding::Decl {
            module,
            decl: Decl::Function(f),
        } => fn_of_function(module, f),
        Binding::Decl {
            module,
            decl: Decl::Var { init: Some(e), .. },
        } => fn_of_expr(module, e),
        _ => None,
    }
}

/// The declaration of `name` a symbol's declaring node is: a function declaration, or a
/// variable declarator that binds it plainly or through an object pattern.
fn decl_of<'a>(nodes: &AstNodes<'a>, node: NodeId, name: &str) -> Option<Decl<'a>> {
    match nodes.kind(node) {
        AstKind::Function(f) if f.is_declaration() => Some(Decl::Function(f)),
        AstKind::VariableDeclarator(d)
            if pattern_bindings(&d.id).iter().any(|(n, _)| n == name) =>
        {
            Some(Decl::Var {
                declarator: d,
                init: d.init.as_ref(),
                is_const: matches!(
                    nodes.parent_kind(node),
                    AstKind::VariableDeclaration(v) if v.kind == VariableDeclarationKind::Const
                ),
            })
        }
        _ => None,
    }
}

fn contains(stmts: &[Statement], span: Span) -> bool {
    stmts
        .iter()
        .any(|s| s.span().start <= span.start && span.end <= s.span().end)
}

/// Collects AST nodes in source order.
#[derive(Default)]
struct Collector<'a> {
    nodes: Vec<AstKind<'a>>,
    /// Calls in the order they complete (a call runs after its callee and arguments), each
    /// with whether it runs only under a condition (see [`calls_in_order_conditional`]).
    finished: Vec<(&'a CallExpression<'a>, bool)>,
    nested: bool,
    /// The nodes being visited, outermost first.
    open: Vec<AstKind<'a>>,
    /// Above zero after a statement that may return early, until its statement list ends.
    after_early_return: usize,
}

impl<'a> Collector<'a> {
    fn new(nested: bool) -> Self {
        Collector {
            nested,
            ..Collector::default()
        }
    }

    /// Whether code at `span` (inside every open node) runs only under a condition: in a
    /// branch of an `if`, `?:`, `switch` or the right side of `&&`/`||`/`??`, in a `catch`,
    /// or after a statement that may return early.
    fn conditional(&self, span: Span) -> bool {
        let within = |outer: Span| outer.start <= span.start && span.end <= outer.end;
        self.after_early_return > 0
            || self.open.iter().any(|k| match k {
                AstKind::IfStatement(i) => !within(i.test.span()),
                AstKind::ConditionalExpression(c) => !within(c.test.span()),
                AstKind::LogicalExpression(l) => within(l.right.span()),
                AstKind::SwitchCase(_) | AstKind::CatchClause(_) => true,
                _ => false,
            })
    }
}

impl<'a> Visit<'a> for Collector<'a> {
    /// Statements after one that always returns or throws never run: a mount registered
    /// after `return app;` is dead code, not a mount. Function declarations there are
    /// still visited, because they are hoisted and may be called from above. Statements
    /// after one that may return (`if (!enabled) return app;`) run only under a condition.
    fn visit_statements(&mut self, it: &oxc_allocator::Vec<'a, Statement<'a>>) {
        let mut exited = false;
        let mut may_have_returned = false;
        for s in it {
            if exited && !matches!(s, Statement::FunctionDeclaration(_)) {
                continue;
            }
            self.visit_statement(s);
            exited |= always_exits(s);
            if !may_have_returned && may_return(s) {
                may_have_returned = true;
                self.after_early_return += 1;
            }
        }
        if may_have_returned {
            self.after_early_return -= 1;
        }
    }
    fn enter_node(&mut self, kind: AstKind<'a>) {
        self.nodes.push(kind);
        self.open.push(kind);
    }
    fn leave_node(&mut self, kind: AstKind<'a>) {
        self.open.pop();
        if let AstKind::CallExpression(c) = kind {
            let conditional = self.conditional(c.span);
            self.finished.push((c, conditional));
        }
    }
    fn visit_function(&mut self, it: &Function<'a>, flags: ScopeFlags) {
        if self.nested {
            oxc_ast_visit::walk::walk_function(self, it, flags);
        }
    }
    fn visit_arrow_function_expression(&mut self, it: &oxc_ast::ast::ArrowFunctionExpression<'a>) {
        if self.nested {
            oxc_ast_visit::walk::walk_arrow_function_expression(self, it);
        }
    }
    fn visit_class(&mut self, it: &oxc_ast::ast::Class<'a>) {
        if self.nested {
            oxc_ast_visit::walk::walk_class(self, it);
        }
    }
}

/// Every node of a body in source order. With `nested = false`, nested functions and classes
/// are skipped (their code does not run when the body runs).
pub fn nodes_of_body<'a>(body: Body<'a>, nested: bool) -> Vec<AstKind<'a>> {
    let mut c = Collector::new(nested);
    match body {
        Body::Block(stmts) => c.visit_statements(stmts),
        Body::Expr(e) => c.visit_expression(e),
    }
    c.nodes
}

/// Every node of one statement in source order (see [`nodes_of_body`]).
pub fn nodes_of_statement<'a>(stmt: &'a Statement<'a>, nested: bool) -> Vec<AstKind<'a>> {
    let mut c = Collector::new(nested);
    c.visit_statement(stmt);
    c.nodes
}

/// Every node of one expression in source order (see [`nodes_of_body`]).
pub fn nodes_of_expr<'a>(e: &'a Expression<'a>, nested: bool) -> Vec<AstKind<'a>> {
    let mut c = Collector::new(nested);
    c.visit_expression(e);
    c.nodes
}

/// The calls a body makes, in the order they run: a call runs after its callee and its
/// arguments (`app.get(a).post(b)` registers `a` first). Nested functions are skipped unless
/// `nested`.
pub fn calls_in_order<'a>(body: Body<'a>, nested: bool) -> Vec<&'a CallExpression<'a>> {
    calls_in_order_conditional(body, nested)
        .into_iter()
        .map(|(c, _)| c)
        .collect()
}

/// [`calls_in_order`], each call with whether it runs only under a condition: in a branch
/// of an `if`, `?:` or `switch`, on the right of `&&`/`||`/`??`, in a `catch`, or after a
/// statement that may return early (`if (!enabled) return app;`). A `throw` is not an early
/// return: code after `if (!x) throw …` runs whenever the body completes. Loops are not
/// conditions (a loop over a constant list runs).
pub fn calls_in_order_conditional<'a>(
    body: Body<'a>,
    nested: bool,
) -> Vec<(&'a CallExpression<'a>, bool)> {
    let mut c = Collector::new(nested);
    match body {
        Body::Block(stmts) => c.visit_statements(stmts),
        Body::Expr(e) => c.visit_expression(e),
    }
    c.finished
}

/// The calls among `nodes`.
pub fn calls<'a>(nodes: &[AstKind<'a>]) -> Vec<&'a CallExpression<'a>> {
    nodes
        .iter()
        .filter_map(|k| match k {
            AstKind::CallExpression(c) => Some(*c),
            _ => None,
        })
        .collect()
}

/// The name of a call's callee: `f` for `f()`, `m` for `x.y.m()`.
pub fn callee_name<'a>(call: &'a CallExpression<'a>) -> Option<&'a str> {
    match call.callee.get_inner_expression() {
        Expression::Identifier(i) => Some(i.name.as_str()),
        e => e.get_member_expr().and_then(|m| m.static_property_name()),
    }
}

/// `a.b.c` → (`a`, [`b`, `c`]): a member chain rooted at an identifier, with static
/// property names only (`a["b"]` counts as `a.b`).
pub fn member_chain(e: &Expression) -> Option<(String, Vec<String>)> {
    let mut props = Vec::new();
    let mut cur = e.get_inner_expression();
    loop {
        match cur {
            Expression::Identifier(i) => {
                props.reverse();
                return Some((i.name.to_string(), props));
            }
            Expression::ChainExpression(c) => {
                let m = c.expression.as_member_expression()?;
                props.push(m.static_property_name()?.to_string());
                cur = m.object().get_inner_expression();
            }
            other => {
                let m = other.as_member_expression()?;
                props.push(m.static_property_name()?.to_string());
                cur = m.object().get_inner_expression();
            }
        }
    }
}

/// The expression of an argument (`None` for a spread).
pub fn arg_expr<'a>(a: &'a Argument<'a>) -> Option<&'a Expression<'a>> {
    a.as_expression()
}

/// A constant string: a string literal or a template without substitutions.
pub fn literal_string(e: &Expression) -> Option<String> {
    match e.get_inner_expression() {
        Expression::StringLiteral(s) => Some(s.value.to_string()),
        Expression::TemplateLiteral(t) => t.single_quasi().map(|s| s.to_string()),
        _ => None,
    }
}

/// A string known from the code: a literal, a `const` bound to one (through the scope), or a
/// template whose substitutions are such constants.
pub fn const_string<'a>(
    set: &ModuleSet<'a>,
    scope: &Scope<'a>,
    e: &'a Expression<'a>,
) -> Option<String> {
    const_string_depth(set, scope, e, 0)
}

fn const_string_depth<'a>(
    set: &ModuleSet<'a>,
    scope: &Scope<'a>,
    e: &'a Expression<'a>,
    depth: usize,
) -> Option<String> {
    if depth > 8 {
        return None;
    }
    match e.get_inner_expression() {
        Expression::StringLiteral(s) => Some(s.value.to_string()),
        Expression::TemplateLiteral(t) => {
            let mut out = String::new();
            for (i, q) in t.quasis.iter().enumerate() {
                out.push_str(
                    q.value
                        .cooked
                        .as_ref()
                        .map(|c| c.as_str())
                        .unwrap_or(q.value.raw.as_str()),
                );
                if let Some(x) = t.expressions.get(i) {
                    out.push_str(&const_string_depth(set, scope, x, depth + 1)?);
                }
            }
            Some(out)
        }
        Expression::Identifier(i) => match scope.resolve_ref(set, i)? {
            Binding::Decl {
                module,
                decl:
                    Decl::Var {
                        declarator,
                        init: Some(init),
                        is_const: true,
                    },
            } if matches!(declarator.id, BindingPattern::BindingIdentifier(_)) => {
                let s = Scope::module(set, module);
                let s = if module == scope.module {
                    scope.clone()
                } else {
                    s
                };
                const_string_depth(set, &s, init, depth + 1)
            }
            _ => None,
        },
        _ => None,
    }
}

/// The object literal an expression is, looking through type assertions, a local `const`
/// bound to one, and a call that wraps one as its first argument (`define({...})`).
pub fn object_of<'a>(
    set: &ModuleSet<'a>,
    scope: &Scope<'a>,
    e: &'a Expression<'a>,
) -> Option<(ModId, &'a ObjectExpression<'a>)> {
    object_of_depth(set, scope, e, 0)
}

fn object_of_depth<'a>(
    set: &ModuleSet<'a>,
    scope: &Scope<'a>,
    e: &'a Expression<'a>,
    depth: usize,
) -> Option<(ModId, &'a ObjectExpression<'a>)> {
    if depth > 8 {
        return None;
    }
    match e.get_inner_expression() {
        Expression::ObjectExpression(o) => Some((scope.module, o)),
        Expression::CallExpression(c) => {
            let first = c.arguments.first().and_then(arg_expr)?;
            object_of_depth(set, scope, first, depth + 1)
        }
        Expression::Identifier(i) => match scope.resolve_ref(set, i)? {
            Binding::Decl {
                module,
                decl:
                    Decl::Var {
                        declarator,
                        init: Some(init),
                        ..
                    },
            } if matches!(declarator.id, BindingPattern::BindingIdentifier(_)) => {
                let s = if module == scope.module {
                    scope.clone()
                } else {
                    Scope::module(set, module)
                };
                object_of_depth(set, &s, init, depth + 1)
            }
            _ => None,
        },
        _ => None,
    }
}

/// The value of property `name` of an object literal (shorthand `{ a }` gives the
/// identifier `a`), with the key's span. Later properties win, as at runtime.
pub fn object_property<'a>(
    o: &'a ObjectExpression<'a>,
    name: &str,
) -> Option<(Span, &'a Expression<'a>)> {
    o.properties.iter().rev().find_map(|p| match p {
        ObjectPropertyKind::ObjectProperty(p)
            if !p.computed || matches!(p.key, PropertyKey::StringLiteral(_)) =>
        {
            (property_key_name(&p.key).as_deref() == Some(name)).then(|| (p.key.span(), &p.value))
        }
        _ => None,
    })
}

/// Whether a statement always leaves the function (ends in `return` or `throw` on every path).
/// Whether statement `s` may `return` (outside nested functions), so that what follows it
/// may not run.
fn may_return(s: &Statement) -> bool {
    match s {
        Statement::ReturnStatement(_) => true,
        Statement::BlockStatement(b) => b.body.iter().any(may_return),
        Statement::IfStatement(i) => {
            may_return(&i.consequent) || i.alternate.as_ref().is_some_and(may_return)
        }
        Statement::TryStatement(t) => {
            t.block.body.iter().any(may_return)
                || t.handler
                    .as_ref()
                    .is_some_and(|h| h.body.body.iter().any(may_return))
                || t.finalizer
                    .as_ref()
                    .is_some_and(|f| f.body.iter().any(may_return))
        }
        Statement::SwitchStatement(sw) => {
            sw.cases.iter().any(|c| c.consequent.iter().any(may_return))
        }
        Statement::LabeledStatement(l) => may_return(&l.body),
        Statement::ForStatement(f) => may_return(&f.body),
        Statement::ForInStatement(f) => may_return(&f.body),
        Statement::ForOfStatement(f) => may_return(&f.body),
        Statement::WhileStatement(w) => may_return(&w.body),
        Statement::DoWhileStatement(d) => may_return(&d.body),
        _ => false,
    }
}

pub fn always_exits(s: &Statement) -> bool {
    match s {
        Statement::ReturnStatement(_) | Statement::ThrowStatement(_) => true,
        Statement::BlockStatement(b) => b.body.iter().any(always_exits),
        Statement::IfStatement(i) => {
            always_exits(&i.consequent) && i.alternate.as_ref().is_some_and(always_exits)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::repo::workspace::Workspace;
    use oxc_allocator::Allocator;

    fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (rel, text) in files {
            let p = dir.path().join(rel);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    #[test]
    fn calls_that_run_only_under_a_condition_are_marked() {
        let src = "if (!keys) throw new Error('x');\nalways(check());\nif (a) inIf(); else inElse();\nx && right();\ny ? t() : f();\nswitch (k) { case 1: inCase(); }\ntry { inTry(); } catch { inCatch(); } finally { inFinally(); }\nfor (const r of rs) inLoop(r);\nif (!enabled) { return; }\nafterReturn();\n";
        let dir = repo(&[("a.ts", src)]);
        let alloc = Allocator::default();
        let set = ModuleSet::new(&alloc, dir.path(), Workspace::default());
        let id = set.load(&dir.path().join("a.ts")).unwrap();
        let body = Body::Block(&set.module(id).program.body);
        let got: Vec<(String, bool)> = calls_in_order_conditional(body, false)
            .iter()
            .filter(|(c, _)| callee_name(c) != Some("Error"))
            .map(|(c, cond)| (callee_name(c).unwrap().to_string(), *cond))
            .collect();
        let want = [
            ("check", false),
            ("always", false),
            ("inIf", true),
            ("inElse", true),
            ("right", true),
            ("t", true),
            ("f", true),
            ("inCase", true),
            ("inTry", false),
            ("inCatch", true),
            ("inFinally", false),
            ("inLoop", false),
            ("afterReturn", true),
        ]
        .map(|(n, c)| (n.to_string(), c));
        assert_eq!(got, want);
    }

    #[test]
    fn chained_calls_run_left_to_right_and_nested_functions_are_skipped() {
        let dir = repo(&[(
            "a.ts",
            "app.get('/a', h).post('/b', () => inner());\nlater();\n",
        )]);
        let alloc = Allocator::default();
        let set = ModuleSet::new(&alloc, dir.path(), Workspace::default());
        let id = set.load(&dir.path().join("a.ts")).unwrap();
        let body = Body::Block(&set.module(id).program.body);
        let names: Vec<_> = calls_in_order(body, false)
            .iter()
            .map(|c| callee_name(c).unwrap().to_string())
            .collect();
        assert_eq!(names, ["get", "post", "later"]);
        let all: Vec<_> = calls_in_order(body, true)
            .iter()
            .map(|c| callee_name(c).unwrap().to_string())
            .collect();
        assert_eq!(all, ["get", "inner", "post", "later"]);
    }

    #[test]
    fn names_resolve_through_imports_and_reexports_to_their_function() {
        let dir = repo(&[
            (
                "main.ts",
                "import { reg as r } from './index';\nconst P = `/api/${'x'}`;\nconst Q = P;\n",
            ),
            ("index.ts", "export { register as reg } from './impl';\n"),
            (
                "impl.ts",
                "export const register = (app) => { app.all('/rpc', h); };\n",
            ),
        ]);
        let alloc = Allocator::default();
        let set = ModuleSet::new(&alloc, dir.path(), Workspace::default());
        let id = set.load(&dir.path().join("main.ts")).unwrap();
        let scope = Scope::module(&set, id);
        let f = scope
            .resolve_function(&set, "r")
            .expect("followed to impl.ts");
        assert!(set.module(f.module).file.rel.ends_with("impl.ts"));
        assert_eq!(f.param_names(), vec![Some("app".to_string())]);
        let Some(Decl::Var { init: Some(q), .. }) = declared_in(&set.module(id).program.body, "Q")
        else {
            panic!("Q is declared");
        };
        assert_eq!(const_string(&set, &scope, q).as_deref(), Some("/api/x"));
    }

    /// What each argument of the `use(…)` calls of `a.ts` denotes where it is read, the
    /// calls looked up from inside function `f` when the module has one.
    fn uses(src: &str) -> Vec<String> {
        struct Uses<'a>(Vec<&'a CallExpression<'a>>);
        impl<'a> Visit<'a> for Uses<'a> {
            fn enter_node(&mut self, kind: AstKind<'a>) {
                if let AstKind::CallExpression(c) = kind
                    && callee_name(c) == Some("use")
                {
                    self.0.push(c);
                }
            }
        }
        let dir = repo(&[("a.ts", src)]);
        let alloc = Allocator::default();
        let set = ModuleSet::new(&alloc, dir.path(), Workspace::default());
        let id = set.load(&dir.path().join("a.ts")).unwrap();
        let top = Scope::module(&set, id);
        let scope = match top.resolve_function(&set, "f") {
            Some(f) => top.scope_of(&set, &f),
            None => top,
        };
        let mut v = Uses(Vec::new());
        v.visit_program(set.module(id).program);
        v.0.iter()
            .map(|c| {
                let Some(Expression::Identifier(x)) = c.arguments[0].as_expression() else {
                    panic!("use(name)");
                };
                match scope.resolve_ref(&set, x) {
                    Some(Binding::Decl {
                        decl: Decl::Var { init: Some(i), .. },
                        ..
                    }) => literal_string(i).unwrap_or_else(|| "?".into()),
                    Some(Binding::Decl {
                        decl: Decl::Var { init: None, .. },
                        ..
                    }) => "no value".into(),
                    Some(Binding::Decl {
                        decl: Decl::Function(_),
                        ..
                    }) => "function".into(),
                    Some(Binding::Param { frame, name }) => {
                        format!("param {name} of frame {frame}")
                    }
                    Some(Binding::Import(_)) => "import".into(),
                    None => "nothing".into(),
                }
            })
            .collect()
    }

    #[test]
    fn a_declaration_in_a_nested_block_shadows_the_outer_one() {
        assert_eq!(
            uses(
                "const x = 'outer';\nfunction f(c) {\n  if (c) {\n    const x = 'inner';\n    use(x);\n  }\n  use(x);\n}\n"
            ),
            ["inner", "outer"]
        );
    }

    #[test]
    fn var_is_bound_to_its_function_not_its_block() {
        assert_eq!(
            uses(
                "const x = 'outer';\nfunction f(c) {\n  if (c) {\n    var x = 'inner';\n  }\n  use(x);\n}\nuse(x);\n"
            ),
            ["inner", "outer"]
        );
    }

    #[test]
    fn a_parameter_shadows_the_module_and_is_told_by_its_frame() {
        assert_eq!(
            uses(
                "const x = 'outer';\nfunction f(x) {\n  use(x);\n  const g = () => { const x = 'g'; use(x); };\n}\n"
            ),
            ["param x of frame 0", "g"]
        );
    }

    #[test]
    fn a_for_in_variable_lives_in_its_loop() {
        assert_eq!(
            uses(
                "const x = 'outer';\nfunction f(o) {\n  for (const x in o) { use(x); }\n  use(x);\n}\n"
            ),
            ["no value", "outer"]
        );
    }

    #[test]
    fn a_switch_has_its_own_block_scope() {
        assert_eq!(
            uses(
                "const x = 'outer';\nfunction f(k) {\n  switch (k) {\n    case 1:\n      const x = 'case';\n      use(x);\n  }\n  use(x);\n}\n"
            ),
            ["case", "outer"]
        );
    }

    #[test]
    fn a_class_static_block_has_its_own_scope() {
        assert_eq!(
            uses(
                "const x = 'outer';\nclass C {\n  static {\n    const x = 'static';\n    use(x);\n  }\n}\nuse(x);\n"
            ),
            ["static", "outer"]
        );
    }

    #[test]
    fn a_hoisted_function_and_a_global_resolve_as_such() {
        assert_eq!(
            uses("use(h);\nuse(process);\nfunction h() {}\n"),
            ["function", "nothing"]
        );
    }
}

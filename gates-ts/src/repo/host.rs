//! The host as the route gates see it: the registration function, the route mounts it
//! really makes (in the order they run, following calls into registration functions of
//! other modules), and the reads of the manifest authority's seams.
//!
//! A mount is a call `x.all|get|post|put|patch|delete|options|head|route|mount(path, ...handlers)`
//! (or `x.on(method, path, ...handlers)`) whose path is a known string. Strings that merely
//! sit in a constant or an array are not mounts: only calls count. `x.use(path, ...)`
//! middleware is collected too (method `use`): it runs before the handlers of its path.
//! Each mount records whether it runs only under a condition ([`Mount::conditional`]).

use gates_core::fs::probe::Probe;
use std::collections::HashSet;

use oxc_ast::AstKind;
use oxc_ast::ast::{CallExpression, Expression, Statement};
use oxc_span::{GetSpan, Span};

use super::calls::{
    self, Binding, Body, Decl, FnRef, MAX_FOLLOW_DEPTH, Scope, arg_expr, const_string, fn_of_expr,
    fn_of_function, member_chain, nodes_of_body, pattern_bindings,
};
use super::modules::{ImportTarget, ModId, ModuleSet};

/// Hono's route-registration methods (`route`/`mount` attach a sub-application).
pub const MOUNT_METHODS: &[&str] = &[
    "all", "get", "post", "put", "patch", "delete", "options", "head", "route", "mount", "on",
    "use",
];

/// The four route families of the host contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Family {
    Inngest,
    Workflows,
    Rpc,
    Orpc,
}

impl Family {
    pub fn label(self) -> &'static str {
        match self {
            Family::Inngest => "/api/inngest",
            Family::Workflows => "/api/workflows/*",
            Family::Rpc => "/rpc",
            Family::Orpc => "/api/orpc/*",
        }
    }

    /// Position in the contract's mount order (`/rpc` and `/api/orpc/*` form one group).
    pub fn rank(self) -> u8 {
        match self {
            Family::Inngest => 0,
            Family::Workflows => 1,
            Family::Rpc | Family::Orpc => 2,
        }
    }
}

/// The family a mount path belongs to, if any.
pub fn family_of(path: &str) -> Option<Family> {
    let under = |p: &str, prefix: &str| p == prefix || p.starts_with(&format!("{prefix}/"));
    if under(path, "/api/inngest") {
        Some(Family::Inngest)
    } else if under(path, "/api/workflows") {
        Some(Family::Workflows)
    } else if under(path, "/rpc") {
        Some(Family::Rpc)
    } else if under(path, "/api/orpc") {
        Some(Family::Orpc)
    } else {
        None
    }
}

/// One route registration call.
#[derive(Clone)]
pub struct Mount<'a> {
    pub method: String,
    /// The path, when it is a known string.
    pub path: Option<String>,
    pub call: &'a CallExpression<'a>,
    /// Where findings about the mount point: the method name (`all` in `app.all(...)`), which
    /// stays distinct when calls are chained.
    pub pos: Span,
    /// The module the call is in, and the scope at the call (to resolve handlers).
    pub module: ModId,
    pub scope: Scope<'a>,
    /// The handler arguments, in order (middleware first).
    pub handlers: Vec<&'a Expression<'a>>,
    /// The receiver's name (`app` in `app.get(...)`).
    pub receiver: Option<String>,
    /// The calls followed to reach this mount (module, call span), outermost first.
    pub via: Vec<(ModId, Span, String)>,
    /// Whether the mount (or a call followed to reach it) runs only under a condition (see
    /// [`calls::calls_in_order_conditional`]).
    pub conditional: bool,
}

impl Mount<'_> {
    pub fn family(&self) -> Option<Family> {
        self.path.as_deref().and_then(family_of)
    }
}

/// The function (or module top level) that registers the host's routes.
pub struct Registration<'a> {
    pub module: ModId,
    /// The function's name (`<module>` for top-level registration).
    pub name: String,
    /// Where it is declared (the name, or the start of the module).
    pub span: Span,
    pub body: Body<'a>,
    pub scope: Scope<'a>,
    pub mounts: Vec<Mount<'a>>,
}

/// Walks `body` in execution order, collecting mounts and following calls to functions the
/// analysis can resolve (locals and imports of the target's own modules).
pub fn collect_mounts<'a>(
    set: &ModuleSet<'a>,
    body: Body<'a>,
    scope: &Scope<'a>,
) -> Vec<Mount<'a>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    walk(
        set,
        body,
        scope,
        false,
        &mut Vec::new(),
        &mut seen,
        &mut out,
    );
    // A mount whose path is not a known string is kept only when its receiver also receives
    // mounts with known paths (so `cache.get(key, fallback)` is not taken for a route).
    let receivers: HashSet<Option<String>> = out
        .iter()
        .filter(|m| m.path.is_some())
        .map(|m| m.receiver.clone())
        .collect();
    out.retain(|m| m.path.is_some() || (m.receiver.is_some() && receivers.contains(&m.receiver)));
    out
}

#[allow(clippy::too_many_arguments)]
fn walk<'a>(
    set: &ModuleSet<'a>,
    body: Body<'a>,
    scope: &Scope<'a>,
    conditional: bool,
    via: &mut Vec<(ModId, Span, String)>,
    seen: &mut HashSet<(ModId, u32)>,
    out: &mut Vec<Mount<'a>>,
) {
    for (call, call_conditional) in calls::calls_in_order_conditional(body, false) {
        let conditional = conditional || call_conditional;
        if let Some(mut m) = as_mount(set, scope, call, via) {
            m.conditional = conditional;
            out.push(m);
            continue;
        }
        if via.len() >= MAX_FOLLOW_DEPTH {
            continue;
        }
        let Expression::Identifier(id) = call.callee.get_inner_expression() else {
            continue;
        };
        let Some(f) = scope.resolve_function_ref(set, id) else {
            continue;
        };
        if !seen.insert((f.module, f.span.start)) {
            continue;
        }
        let inner = scope.scope_of(set, &f);
        via.push((scope.module, call.span, id.name.to_string()));
        walk(set, f.body, &inner, conditional, via, seen, out);
        via.pop();
        seen.remove(&(f.module, f.span.start));
    }
}

fn as_mount<'a>(
    set: &ModuleSet<'a>,
    scope: &Scope<'a>,
    call: &'a CallExpression<'a>,
    via: &[(ModId, Span, String)],
) -> Option<Mount<'a>> {
    let member = call.callee.get_inner_expression().get_member_expr()?;
    let method = member.static_property_name()?;
    if !MOUNT_METHODS.contains(&method) {
        return None;
    }
    let path_index = usize::from(method == "on");
    let args: Vec<&'a Expression<'a>> = call.arguments.iter().filter_map(arg_expr).collect();
    if args.len() < path_index + 2 {
        return None;
    }
    let path_expr = args[path_index];
    // Handlers are functions or values naming one; an object after the handler is a
    // framework's route options (Elysia's `{ parse: "none" }`), not a handler.
    let handlers: Vec<&'a Expression<'a>> = args[path_index + 1..]
        .iter()
        .copied()
        .filter(|h| is_handler_like(h))
        .collect();
    if handlers.is_empty() {
        return None;
    }
    let path = const_string(set, scope, path_expr);
    if let Some(p) = &path {
        if !p.starts_with('/') {
            return None;
        }
    } else if !matches!(
        path_expr.get_inner_expression(),
        Expression::Identifier(_)
            | Expression::TemplateLiteral(_)
            | Expression::StaticMemberExpression(_)
    ) {
        return None;
    }
    let receiver = member_chain(member.object()).map(|(root, props)| {
        std::iter::once(root)
            .chain(props)
            .collect::<Vec<_>>()
            .join(".")
    });
    Some(Mount {
        method: method.to_string(),
        path,
        call,
        pos: member
            .static_property_info()
            .map_or(call.span, |(sp, _)| sp),
        module: scope.module,
        scope: scope.clone(),
        handlers,
        receiver,
        via: via.to_vec(),
        conditional: false,
    })
}

fn is_handler_like(e: &Expression) -> bool {
    matches!(
        e.get_inner_expression(),
        Expression::ArrowFunctionExpression(_)
            | Expression::FunctionExpression(_)
            | Expression::Identifier(_)
            | Expression::CallExpression(_)
            | Expression::StaticMemberExpression(_)
            | Expression::ComputedMemberExpression(_)
            | Expression::ChainExpression(_)
            | Expression::AwaitExpression(_)
            | Expression::ConditionalExpression(_)
            | Expression::LogicalExpression(_)
    )
}

/// Finds the registration: `name` when given, else the exported function of `entry` that
/// mounts the most route-family paths, else the module's top level.
pub fn find_registration<'a>(
    set: &ModuleSet<'a>,
    entry: ModId,
    name: Option<&str>,
) -> Result<Registration<'a>, String> {
    let module_scope = Scope::module(set, entry);
    let program = set.module(entry).program;
    if let Some(n) = name {
        let f = module_scope
            .resolve_function(set, n)
            .ok_or_else(|| format!("no function `{n}` is declared or imported here"))?;
        let scope = module_scope.scope_of(set, &f);
        let mounts = collect_mounts(set, f.body, &scope);
        return Ok(Registration {
            module: f.module,
            name: n.to_string(),
            span: f.name_span.unwrap_or(f.span),
            body: f.body,
            scope,
            mounts,
        });
    }
    let mut best: Option<(usize, Registration<'a>)> = None;
    for (fname, f) in exported_functions(set, entry) {
        let scope = module_scope.scope_of(set, &f);
        let mounts = collect_mounts(set, f.body, &scope);
        let families = mounts.iter().filter(|m| m.family().is_some()).count();
        if families > 0 && best.as_ref().is_none_or(|(n, _)| families > *n) {
            best = Some((
                families,
                Registration {
                    module: f.module,
                    name: fname,
                    span: f.name_span.unwrap_or(f.span),
                    body: f.body,
                    scope,
                    mounts,
                },
            ));
        }
    }
    if let Some((_, r)) = best {
        return Ok(r);
    }
    let body = Body::Block(&program.body);
    let mounts = collect_mounts(set, body, &module_scope);
    Ok(Registration {
        module: entry,
        name: "<module>".into(),
        span: Span::new(0, 0),
        body,
        scope: module_scope,
        mounts,
    })
}

/// The functions a module exports (declared in it), by export name.
pub fn exported_functions<'a>(set: &ModuleSet<'a>, module: ModId) -> Vec<(String, FnRef<'a>)> {
    let program = set.module(module).program;
    let mut out = Vec::new();
    for s in &program.body {
        match s {
            Statement::ExportDeclaration(e) => match &e.declaration {
                oxc_ast::ast::Declaration::FunctionDeclaration(f) => {
                    if let (Some(id), Some(fr)) = (&f.id, fn_of_function(module, f)) {
                        out.push((id.name.to_string(), fr));
                    }
                }
                oxc_ast::ast::Declaration::VariableDeclaration(v) => {
                    for dc in &v.declarations {
                        if let (Some(name), Some(init)) =
                            (calls::binding_ident(&dc.id), dc.init.as_ref())
                            && let Some(fr) = fn_of_expr(module, init)
                        {
                            out.push((name, fr));
                        }
                    }
                }
                _ => {}
            },
            Statement::ExportNamedDeclaration(e) => {
                for spec in &e.specifiers {
                    let local = spec.local.name().to_string();
                    let fr = match calls::declared_in(&program.body, &local) {
                        Some(Decl::Function(f)) => fn_of_function(module, f),
                        Some(Decl::Var {
                            init: Some(init), ..
                        }) => fn_of_expr(module, init),
                        _ => None,
                    };
                    if let Some(fr) = fr {
                        out.push((spec.exported.name().to_string(), fr));
                    }
                }
            }
            Statement::ExportDefaultDeclaration(d) => match &d.declaration {
                oxc_ast::ast::ExportDefaultDeclarationKind::FunctionDeclaration(f) => {
                    if let Some(fr) = fn_of_function(module, f) {
                        out.push(("default".into(), fr));
                    }
                }
                other => {
                    if let Some(fr) = other.as_expression().and_then(|e| fn_of_expr(module, e)) {
                        out.push(("default".into(), fr));
                    }
                }
            },
            _ => {}
        }
    }
    out
}

/// The manifest object as seen from one module: the local names bound to it (or to a part
/// of it), each with the property path it stands for.
pub type Aliases = Vec<(String, Vec<String>)>;

/// The import bindings of `module` that denote the manifest export `export` of module
/// `manifest` (a named import gives the whole manifest; a namespace import the module, so
/// its `.export` member is the manifest).
pub fn manifest_imports(set: &ModuleSet, module: ModId, manifest: ModId, export: &str) -> Aliases {
    let m = set.module(module);
    let mut out = Vec::new();
    for r in m
        .refs
        .iter()
        .filter(|r| r.kind == super::ts::ImportKind::Import && !r.type_only)
    {
        for n in &r.names {
            let Some(ImportTarget::Module {
                id,
                export: imported,
            }) = set.import_of(module, &n.local)
            else {
                continue;
            };
            if imported == "*" && id == manifest {
                out.push((
                    n.local.clone(),
                    vec![NAMESPACE.to_string(), export.to_string()],
                ));
                continue;
            }
            if let Some((origin, local)) = set.origin_of_export(id, &imported) {
                let export_local =
                    calls::local_name_of_export(set.module(manifest).program, export);
                if origin == manifest && export_local.as_deref() == Some(local.as_str()) {
                    out.push((n.local.clone(), Vec::new()));
                }
            }
        }
    }
    out
}

/// A read of a manifest member path.
#[derive(Clone, Debug)]
pub struct Read {
    pub module: ModId,
    pub span: Span,
    /// The path below the manifest object (`["workflows", "capabilities"]`).
    pub path: Vec<String>,
}

/// The manifest member paths read by `body` (nested functions included) and by the
/// functions it calls, followed into their modules with arguments bound to parameters.
/// `aliases` are the names bound to (parts of) the manifest where `body` starts.
pub fn manifest_reads<'a>(
    set: &ModuleSet<'a>,
    manifest: ModId,
    export: &str,
    body: Body<'a>,
    scope: &Scope<'a>,
    aliases: &Aliases,
) -> Vec<Read> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    reads_in(
        set,
        manifest,
        export,
        body,
        scope,
        aliases.clone(),
        0,
        &mut seen,
        &mut out,
    );
    out
}

#[allow(clippy::too_many_arguments)]
fn reads_in<'a>(
    set: &ModuleSet<'a>,
    manifest: ModId,
    export: &str,
    body: Body<'a>,
    scope: &Scope<'a>,
    mut aliases: Aliases,
    depth: usize,
    seen: &mut HashSet<(ModId, u32)>,
    out: &mut Vec<Read>,
) {
    for (name, path) in manifest_imports(set, scope.module, manifest, export) {
        if !aliases.iter().any(|(n, _)| *n == name) {
            aliases.push((name, path));
        }
    }
    // Module-level aliases of this module (`const m = rawrHqManifest;` at the top).
    let top = set.module(scope.module).program;
    let mut decls: Vec<&'a oxc_ast::ast::VariableDeclarator<'a>> = Vec::new();
    for k in nodes_of_body(Body::Block(&top.body), false) {
        if let AstKind::VariableDeclarator(d) = k {
            decls.push(d);
        }
    }
    let nodes = nodes_of_body(body, true);
    for k in &nodes {
        if let AstKind::VariableDeclarator(d) = k {
            decls.push(d);
        }
    }
    // Aliases through declarations, to a fixpoint (an alias of an alias).
    for _ in 0..4 {
        let before = aliases.len();
        for d in &decls {
            let Some(init) = d.init.as_ref() else {
                continue;
            };
            let Some(base) = alias_path(&aliases, init) else {
                continue;
            };
            for (name, sub) in pattern_bindings(&d.id) {
                if !aliases.iter().any(|(n, _)| *n == name)
                    && let Some(p) = extend_path(&base, sub)
                {
                    aliases.push((name, p));
                }
            }
        }
        if aliases.len() == before {
            break;
        }
    }
    if aliases.is_empty() {
        return;
    }
    for k in &nodes {
        let (span, expr_path) = match k {
            AstKind::StaticMemberExpression(m) => {
                let Some((root, mut props)) = member_chain(&m.object) else {
                    continue;
                };
                props.push(m.property.name.to_string());
                (m.span, (root, props))
            }
            AstKind::ComputedMemberExpression(m) => {
                let Some((root, mut props)) = member_chain(&m.object) else {
                    continue;
                };
                match calls::literal_string(&m.expression) {
                    Some(p) => props.push(p),
                    None => props.push("[]".into()),
                }
                (m.span, (root, props))
            }
            _ => continue,
        };
        let (root, props) = expr_path;
        if let Some(path) = aliases
            .iter()
            .find(|(n, _)| *n == root)
            .and_then(|(_, base)| extend_path(base, props))
        {
            out.push(Read {
                module: scope.module,
                span,
                path,
            });
        }
    }
    // Destructuring reads: `const { workflows } = rawrHqManifest` reads `workflows`.
    for d in &decls {
        let Some(init) = d.init.as_ref() else {
            continue;
        };
        let Some(base) = alias_path(&aliases, init) else {
            continue;
        };
        for (_, sub) in pattern_bindings(&d.id) {
            let Some(p) = extend_path(&base, sub) else {
                continue;
            };
            out.push(Read {
                module: scope.module,
                span: d.span,
                path: p,
            });
        }
    }
    if depth >= MAX_FOLLOW_DEPTH {
        return;
    }
    // Values the body uses that were computed from the manifest elsewhere: a module-level
    // `const table = Object.entries(rawrHqManifest.workflows.capabilities)...` read by the
    // body counts as the body reading `workflows.capabilities`.
    for k in &nodes {
        let AstKind::IdentifierReference(id) = k else {
            continue;
        };
        let Some(Binding::Decl {
            module,
            decl:
                Decl::Var {
                    declarator,
                    init: Some(init),
                    ..
                },
        }) = scope.resolve_ref(set, id)
        else {
            continue;
        };
        if fn_of_expr(module, init).is_some()
            || (module == scope.module && contains_fn(body, declarator.span))
            || !seen.insert((module, declarator.span.start))
        {
            continue;
        }
        let outer = Scope::module(set, module);
        let before = out.len();
        reads_in(
            set,
            manifest,
            export,
            Body::Expr(init),
            &outer,
            Vec::new(),
            depth + 1,
            seen,
            out,
        );
        // Attribute the reads to the use, so a check can tell which body depends on them.
        for r in &mut out[before..] {
            r.module = scope.module;
            r.span = id.span;
        }
    }
    for call in calls::calls(&nodes) {
        let Expression::Identifier(id) = call.callee.get_inner_expression() else {
            continue;
        };
        let Some(f) = scope.resolve_function_ref(set, id) else {
            continue;
        };
        if !seen.insert((f.module, f.span.start)) {
            continue;
        }
        // Bind manifest-valued arguments to the callee's parameters.
        let mut inner_aliases: Aliases = Vec::new();
        for (i, name) in f.param_names().into_iter().enumerate() {
            let (Some(name), Some(arg)) = (name, call.arguments.get(i).and_then(arg_expr)) else {
                continue;
            };
            if let Some(p) = alias_path(&aliases, arg) {
                inner_aliases.push((name, p));
            }
        }
        let inner = scope.scope_of(set, &f);
        if f.module == scope.module && inner_aliases.is_empty() && contains_fn(body, f.span) {
            // A nested function of this body: already walked with the body.
            continue;
        }
        if f.module == scope.module {
            // Outer aliases stay visible to functions of the same module.
            for a in &aliases {
                if !inner_aliases.iter().any(|(n, _)| *n == a.0) {
                    inner_aliases.push(a.clone());
                }
            }
        }
        reads_in(
            set,
            manifest,
            export,
            f.body,
            &inner,
            inner_aliases,
            depth + 1,
            seen,
            out,
        );
    }
}

fn contains_fn(body: Body, span: Span) -> bool {
    let outer = match body {
        Body::Block(stmts) => stmts.first().map(|s| {
            Span::new(
                s.span().start,
                stmts.last().map_or(s.span().end, |l| l.span().end),
            )
        }),
        Body::Expr(e) => Some(e.span()),
    };
    outer.is_some_and(|o| o.start <= span.start && span.end <= o.end)
}

/// If `e` is a manifest alias or a member chain from one, the manifest path it denotes.
pub fn alias_path(aliases: &Aliases, e: &Expression) -> Option<Vec<String>> {
    let (root, props) = member_chain(e.get_inner_expression())?;
    let (_, base) = aliases.iter().find(|(n, _)| *n == root)?;
    extend_path(base, props)
}

/// Marks an alias that is the manifest's module namespace (`import * as hq`): its member
/// named like the export is the manifest.
const NAMESPACE: &str = "\0namespace";

/// The manifest path reached by reading `props` below an alias whose path is `base`.
fn extend_path(base: &[String], props: Vec<String>) -> Option<Vec<String>> {
    if base.first().map(String::as_str) == Some(NAMESPACE) {
        let export = base.get(1)?;
        let (first, rest) = props.split_first()?;
        return (first == export).then(|| rest.to_vec());
    }
    let mut p = base.to_vec();
    p.extend(props);
    Some(p)
}

/// Whether `name` in `scope` is bound to a function parameter or a declaration (used to
/// tell a local binding from a global).
pub fn is_bound<'a>(set: &ModuleSet<'a>, scope: &Scope<'a>, name: &str) -> bool {
    matches!(
        scope.resolve(set, name),
        Some(Binding::Decl { .. } | Binding::Param { .. } | Binding::Import(_))
    )
}

/// The bodies `body` runs or may run (nested functions included), and the functions they
/// call, followed into their modules: `(body, scope, span of the function)`.
pub fn reachable_bodies<'a>(
    set: &ModuleSet<'a>,
    body: Body<'a>,
    scope: &Scope<'a>,
    span: Span,
) -> Vec<(Body<'a>, Scope<'a>, Span)> {
    let mut out = vec![(body, scope.clone(), span)];
    let mut seen: HashSet<(ModId, u32)> = HashSet::new();
    seen.insert((scope.module, span.start));
    let mut i = 0;
    while i < out.len() && out.len() < 256 {
        let (b, s, _) = out[i].clone();
        i += 1;
        for call in calls::calls(&nodes_of_body(b, true)) {
            let Expression::Identifier(id) = call.callee.get_inner_expression() else {
                continue;
            };
            let Some(f) = s.resolve_function_ref(set, id) else {
                continue;
            };
            if seen.insert((f.module, f.span.start)) {
                out.push((f.body, s.scope_of(set, &f), f.span));
            }
        }
    }
    out
}

/// The span a body covers.
pub fn body_span(body: Body) -> Span {
    match body {
        Body::Block(stmts) => match (stmts.first(), stmts.last()) {
            (Some(a), Some(b)) => Span::new(a.span().start, b.span().end),
            _ => Span::new(0, 0),
        },
        Body::Expr(e) => e.span(),
    }
}

/// The function a handler argument denotes: an inline function, or a name resolved from the
/// mount's scope. `None` for anything else (e.g. the result of a call).
pub fn handler_fn<'a>(
    set: &ModuleSet<'a>,
    mount: &Mount<'a>,
    h: &'a Expression<'a>,
) -> Option<(FnRef<'a>, Scope<'a>)> {
    if let Some(f) = fn_of_expr(mount.module, h) {
        let s = mount.scope.enter(&f);
        return Some((f, s));
    }
    if let Expression::Identifier(id) = h.get_inner_expression() {
        let f = mount.scope.resolve_function_ref(set, id)?;
        let s = mount.scope.scope_of(set, &f);
        return Some((f, s));
    }
    None
}

/// Where the host lives and which function registers its routes.
pub struct HostSpec<'p> {
    /// Repository-relative path of the module holding the registration function.
    pub entry: &'p str,
    /// The registration function's name; `None` picks the exported function that mounts the
    /// most route families.
    pub registration: Option<&'p str>,
}

/// The host loaded: its entry module and registration, or findings saying why not.
pub fn load_host<'a>(
    set: &ModuleSet<'a>,
    spec: &HostSpec,
) -> Result<Registration<'a>, Vec<crate::finding::Finding>> {
    use crate::finding::Finding;
    let abs = set.repo().join(spec.entry);
    if !abs.probe_exists() {
        return Err(vec![
            Finding::error(
                "host-missing",
                spec.entry,
                0,
                0,
                format!("the host module {} does not exist", spec.entry),
            )
            .with_help("set `host` in the gate's params to the module that registers the routes"),
        ]);
    }
    let id = set.load(&abs).map_err(|f| vec![f])?;
    let m = set.module(id);
    if m.panicked {
        return Err(m.errors.to_vec());
    }
    let mut errors = m.errors.to_vec();
    match find_registration(set, id, spec.registration) {
        Ok(r) => {
            if errors.is_empty() {
                Ok(r)
            } else {
                // A module with syntax errors is judged only as far as the parser recovered;
                // the errors are reported either way.
                Err(errors)
            }
        }
        Err(msg) => {
            errors.push(Finding::error(
                "registration-missing",
                m.file.rel.clone(),
                0,
                0,
                format!("{}: {msg}", m.file.rel),
            ));
            Err(errors)
        }
    }
}

/// `path:line:col` of a span of a module, for messages.
pub fn place(set: &ModuleSet, module: ModId, span: Span) -> String {
    let m = set.module(module);
    let (l, c) = m.file.line_col(span.start as usize);
    format!("{}:{l}:{c}", m.file.rel)
}

/// A finding at a span of a module.
pub fn finding_at(
    set: &ModuleSet,
    module: ModId,
    span: Span,
    rule: &str,
    message: impl Into<String>,
) -> crate::finding::Finding {
    set.module(module)
        .file
        .finding_at(rule, span.start as usize, message)
}

/// A one-line account of the mounts in registration order, for a gate's notes.
pub fn mount_note(set: &ModuleSet, reg: &Registration) -> String {
    let list: Vec<String> = reg
        .mounts
        .iter()
        .map(|m| {
            format!(
                "{} {} ({})",
                m.method,
                m.path.as_deref().unwrap_or("<computed path>"),
                place(set, m.module, m.pos)
            )
        })
        .collect();
    format!(
        "mounts of `{}` in registration order: {}",
        reg.name,
        if list.is_empty() {
            "none".to_string()
        } else {
            list.join(", ")
        }
    )
}

//! Signed ingress: the `/api/inngest` handler verifies the Inngest signature (a call that
//! computes an HMAC of the request, followed into the verifier) and leaves on failure before
//! any call into the runtime handler (`ingress-signature-not-verified`,
//! `ingress-dispatch-before-verification`, `ingress-dispatch-not-found`). Checking that a
//! signature header is present is not verification.
//!
//! Fix: verify the signature on the raw body and return 401 (or throw) when it fails, before
//! calling the runtime handler.

use super::*;

pub(super) fn judge_ingress<'a>(
    set: &ModuleSet<'a>,
    p: &Params,
    reg: &Registration<'a>,
    out: &mut CheckOutput,
) {
    let ingress: Vec<&Mount<'a>> = routes(reg)
        .filter(|m| m.family() == Some(Family::Inngest))
        .collect();
    if ingress.is_empty() {
        out.findings.push(finding_at(
            set,
            reg.module,
            reg.span,
            "ingress-mount-missing",
            format!(
                "`{}` does not mount /api/inngest, so its signature guard cannot be shown",
                reg.name
            ),
        ));
        return;
    }
    for m in ingress {
        // Middleware registered with `use` on the same path before the mount runs first.
        let mut chain: Vec<(&Mount<'a>, &'a Expression<'a>)> = Vec::new();
        // Mounts are in execution order: the middleware registered before this mount.
        let earlier = reg.mounts.iter().take_while(|u| !std::ptr::eq(*u, m));
        for u in earlier.filter(|u| u.method == "use") {
            {
                let covers = u.path.as_deref().is_some_and(|up| {
                    up == "*"
                        || up == "/*"
                        || host::family_of(up.trim_end_matches("/*")) == Some(Family::Inngest)
                });
                if covers {
                    chain.extend(u.handlers.iter().map(|h| (u, *h)));
                }
            }
        }
        chain.extend(m.handlers.iter().map(|h| (m, *h)));
        let mut flow = Flow {
            set,
            p,
            dispatch_names: HashSet::new(),
            verdicts: HashSet::new(),
            guarded: false,
            verified: false,
            first_verification: None,
            dispatches: Vec::new(),
            unreadable: Vec::new(),
            depth: 0,
        };
        for (owner, h) in chain {
            match handler_fn(set, owner, h) {
                Some((f, scope)) => flow.run_fn(&f, &scope),
                None => {
                    if let Some((rf, rs, factory, call)) = factory_handler(set, &owner.scope, h) {
                        // A handler made by a factory of the target (`ingress(keys, serve)`):
                        // walk the function it returns, with the runtime handler bound to the
                        // factory's parameters.
                        let mut names = HashSet::new();
                        for (i, pn) in factory.param_names().into_iter().enumerate() {
                            if let (Some(pn), Some(arg)) =
                                (pn, call.arguments.get(i).and_then(arg_expr))
                                && flow.is_dispatch_value(&owner.scope, arg)
                            {
                                names.insert(pn);
                            }
                        }
                        let saved = std::mem::replace(&mut flow.dispatch_names, names);
                        flow.run_fn(&rf, &rs);
                        flow.dispatch_names = saved;
                    } else if flow.is_dispatch_value(&owner.scope, h) {
                        flow.dispatches.push((owner.module, h.span(), flow.guarded));
                    } else {
                        flow.unreadable.push((owner.module, h.span()));
                    }
                }
            }
        }
        let path = m.path.as_deref().unwrap_or("/api/inngest");
        for (md, sp) in &flow.unreadable {
            out.findings.push(finding_at(
                set,
                *md,
                *sp,
                "ingress-handler-unreadable",
                format!("the {path} handler is not a function the gate can read, so its signature guard cannot be shown"),
            ));
        }
        if let (Some((vm, vs, vn)), false) = (&flow.first_verification, flow.dispatches.is_empty())
        {
            let dispatch: Vec<String> = flow
                .dispatches
                .iter()
                .map(|(md, sp, g)| {
                    format!(
                        "{}{}",
                        host::place(set, *md, *sp),
                        if *g { "" } else { " (unguarded)" }
                    )
                })
                .collect();
            out.notes.push(format!(
                "{path} ({}): signature verified by `{vn}` at {}; runtime handler called at {}",
                host::place(set, m.module, m.pos),
                host::place(set, *vm, *vs),
                dispatch.join(", ")
            ));
        }
        // An unreadable handler was reported above; it may well verify.
        if !flow.verified && flow.unreadable.is_empty() {
            out.findings.push(
                finding_at(
                    set,
                    m.module,
                    m.pos,
                    "ingress-signature-not-verified",
                    format!(
                        "the {path} handler never verifies the Inngest signature (no call computes an HMAC of the request); checking that a signature header is present is not verification{}",
                        via_text(set, m)
                    ),
                )
                .with_help("compute HMAC-SHA256 over the raw body and timestamp with the signing key, compare it, and return 401 on failure before dispatch"),
            );
        } else {
            for (md, sp, guarded) in &flow.dispatches {
                if !guarded {
                    out.findings.push(
                        finding_at(
                            set,
                            *md,
                            *sp,
                            "ingress-dispatch-before-verification",
                            format!("the {path} handler reaches the runtime handler without a failed signature check returning or throwing first"),
                        )
                        .with_help("return 401 (or throw) when verification fails, before this call"),
                    );
                }
            }
        }
        if flow.dispatches.is_empty() && flow.unreadable.is_empty() {
            out.findings.push(
                finding_at(
                    set,
                    m.module,
                    m.pos,
                    "ingress-dispatch-not-found",
                    format!(
                        "the {path} handler never calls a runtime handler made by {}",
                        p.dispatch_factories.join("/")
                    ),
                )
                .with_help("dispatch through the manifest's inngest.serveHandlerFactory, or name your runtime handler in `dispatch_functions`"),
            );
        }
    }
}

/// Abstract walk of an ingress handler: is every call into the runtime handler preceded by a
/// signature verification whose failure leaves the handler?
pub(super) struct Flow<'s, 'a> {
    set: &'s ModuleSet<'a>,
    p: &'s Params,
    /// Names bound to the runtime handler.
    dispatch_names: HashSet<String>,
    /// Names bound to a verification result.
    verdicts: HashSet<String>,
    /// On the current path, a failed verification has already left the handler.
    guarded: bool,
    /// Some verification call was seen.
    verified: bool,
    /// The first verification call: (module, span, callee).
    first_verification: Option<(ModId, Span, String)>,
    /// Calls into the runtime handler: (module, span, guarded).
    dispatches: Vec<(ModId, Span, bool)>,
    unreadable: Vec<(ModId, Span)>,
    depth: usize,
}

impl<'a> Flow<'_, 'a> {
    pub(super) fn run_fn(&mut self, f: &FnRef<'a>, scope: &Scope<'a>) {
        match f.body {
            Body::Expr(e) => self.expr(scope, e),
            Body::Block(stmts) => self.stmts(scope, stmts),
        }
    }

    pub(super) fn stmts(&mut self, scope: &Scope<'a>, stmts: &'a [Statement<'a>]) {
        for s in stmts {
            self.stmt(scope, s);
        }
    }

    pub(super) fn stmt(&mut self, scope: &Scope<'a>, s: &'a Statement<'a>) {
        match s {
            Statement::VariableDeclaration(v) => {
                for d in &v.declarations {
                    let Some(init) = d.init.as_ref() else {
                        continue;
                    };
                    let names: Vec<String> = pattern_bindings(&d.id)
                        .into_iter()
                        .map(|(n, _)| n)
                        .collect();
                    if self.is_verification_expr(scope, init) || self.mentions_verdict(init) {
                        self.verdicts.extend(names.iter().cloned());
                    }
                    if self.is_dispatch_value(scope, init) {
                        self.dispatch_names.extend(names);
                    } else {
                        // `const { handler } = bundle`: a destructured runtime handler.
                        for (name, sub) in pattern_bindings(&d.id) {
                            if !sub.is_empty()
                                && member_dispatch(
                                    self.set,
                                    self.p,
                                    &self.dispatch_names,
                                    scope,
                                    init,
                                    &sub,
                                    0,
                                )
                            {
                                self.dispatch_names.insert(name);
                            }
                        }
                    }
                    self.expr(scope, init);
                }
            }
            Statement::ExpressionStatement(e) => {
                self.expr(scope, &e.expression);
                if let Some(call) = direct_call(&e.expression)
                    && self.verifier_throws(scope, call)
                {
                    self.guarded = true;
                }
            }
            Statement::IfStatement(i) => {
                self.expr(scope, &i.test);
                let involves =
                    self.is_verification_expr(scope, &i.test) || self.mentions_verdict(&i.test);
                let before = self.guarded;
                if involves && negated(&i.test) {
                    // Consequent: verification failed.
                    self.guarded = before;
                    self.stmt(scope, &i.consequent);
                    let fail_exits = always_exits(&i.consequent);
                    self.guarded = before || fail_exits;
                    if let Some(alt) = &i.alternate {
                        self.guarded = true;
                        self.stmt(scope, alt);
                        self.guarded = before || fail_exits;
                    }
                } else if involves {
                    // Consequent: verification succeeded.
                    self.guarded = true;
                    self.stmt(scope, &i.consequent);
                    self.guarded = before;
                    if let Some(alt) = &i.alternate {
                        self.stmt(scope, alt);
                        self.guarded = before || always_exits(alt);
                    }
                } else {
                    self.stmt(scope, &i.consequent);
                    let cons = (self.guarded, always_exits(&i.consequent));
                    self.guarded = before;
                    let alt = match &i.alternate {
                        Some(a) => {
                            self.stmt(scope, a);
                            (self.guarded, always_exits(a))
                        }
                        None => (before, false),
                    };
                    // After the `if`, only the branches that fall through matter.
                    self.guarded = match (cons.1, alt.1) {
                        (true, true) => true,
                        (true, false) => alt.0,
                        (false, true) => cons.0,
                        (false, false) => cons.0 && alt.0,
                    };
                }
            }
            Statement::BlockStatement(b) => self.stmts(scope, &b.body),
            Statement::ReturnStatement(r) => {
                if let Some(a) = &r.argument {
                    self.expr(scope, a);
                }
            }
            Statement::ThrowStatement(t) => self.expr(scope, &t.argument),
            Statement::TryStatement(t) => {
                let before = self.guarded;
                self.stmts(scope, &t.block.body);
                let in_try = self.guarded;
                if let Some(h) = &t.handler {
                    self.guarded = before;
                    self.stmts(scope, &h.body.body);
                    let catch_exits = h.body.body.iter().any(always_exits);
                    // A throwing verifier guards what follows the `try` only when the
                    // `catch` leaves the handler.
                    self.guarded = if catch_exits {
                        in_try
                    } else {
                        before && in_try
                    };
                }
                if let Some(fin) = &t.finalizer {
                    self.stmts(scope, &fin.body);
                }
            }
            other => {
                for k in nodes_of_statement(other, true) {
                    if let AstKind::CallExpression(c) = k {
                        self.call(scope, c);
                    }
                }
            }
        }
    }

    pub(super) fn expr(&mut self, scope: &Scope<'a>, e: &'a Expression<'a>) {
        for k in nodes_of_expr(e, true) {
            if let AstKind::CallExpression(c) = k {
                self.call(scope, c);
            }
        }
    }

    pub(super) fn call(&mut self, scope: &Scope<'a>, c: &'a CallExpression<'a>) {
        if self.is_verification_call(scope, c) {
            self.verified = true;
            if self.first_verification.is_none() {
                self.first_verification = Some((
                    scope.module,
                    c.span,
                    callee_name(c).unwrap_or("<call>").to_string(),
                ));
            }
            return;
        }
        if self.is_dispatch_call(scope, c) {
            self.dispatches.push((scope.module, c.span, self.guarded));
            return;
        }
        // A helper of the target: walk it, with the runtime handler bound to its parameters.
        if self.depth >= 4 {
            return;
        }
        let Expression::Identifier(id) = c.callee.get_inner_expression() else {
            return;
        };
        let Some(f) = scope.resolve_function_ref(self.set, id) else {
            return;
        };
        let inner = scope.scope_of(self.set, &f);
        let mut names = HashSet::new();
        for (i, pn) in f.param_names().into_iter().enumerate() {
            if let (Some(pn), Some(arg)) = (pn, c.arguments.get(i).and_then(arg_expr))
                && self.is_dispatch_value(scope, arg)
            {
                names.insert(pn);
            }
        }
        if f.module == scope.module {
            names.extend(self.dispatch_names.iter().cloned());
        }
        let saved = (
            std::mem::replace(&mut self.dispatch_names, names),
            std::mem::take(&mut self.verdicts),
            self.guarded,
        );
        self.depth += 1;
        self.run_fn(&f, &inner);
        self.depth -= 1;
        self.dispatch_names = saved.0;
        self.verdicts = saved.1;
        // What the helper guarded internally does not guard its caller's later code.
        self.guarded = saved.2;
    }

    /// Whether `e` denotes the runtime handler: a name bound to it, or a call of a dispatch
    /// factory (`manifest.inngest.serveHandlerFactory(bundle)`).
    pub(super) fn is_dispatch_value(&self, scope: &Scope<'a>, e: &'a Expression<'a>) -> bool {
        dispatch_value(self.set, self.p, &self.dispatch_names, scope, e, 0)
    }

    pub(super) fn is_dispatch_call(&self, scope: &Scope<'a>, c: &'a CallExpression<'a>) -> bool {
        let callee = c.callee.get_inner_expression();
        if self.is_dispatch_value(scope, callee) {
            return true;
        }
        // `handler.fetch(req)` on the runtime handler object.
        if let Some((root, props)) = member_chain(callee)
            && !props.is_empty()
            && (self.dispatch_names.contains(&root))
        {
            return true;
        }
        false
    }

    pub(super) fn is_verification_expr(&self, scope: &Scope<'a>, e: &'a Expression<'a>) -> bool {
        nodes_of_expr(e, false).iter().any(|k| match k {
            AstKind::CallExpression(c) => self.is_verification_call(scope, c),
            _ => false,
        })
    }

    pub(super) fn mentions_verdict(&self, e: &Expression) -> bool {
        nodes_of_expr_any(e)
            .iter()
            .any(|n| self.verdicts.contains(n))
    }

    /// A call of a configured verifier, or of a function of the target that computes an HMAC.
    pub(super) fn is_verification_call(
        &self,
        scope: &Scope<'a>,
        c: &'a CallExpression<'a>,
    ) -> bool {
        if let Some(n) = callee_name(c)
            && self.p.verifiers.iter().any(|v| v == n)
        {
            return true;
        }
        let Expression::Identifier(id) = c.callee.get_inner_expression() else {
            return false;
        };
        match scope.resolve_function_ref(self.set, id) {
            Some(f) => computes_hmac(
                self.set,
                &scope.scope_of(self.set, &f),
                &f,
                &mut HashSet::new(),
            ),
            None => false,
        }
    }

    /// A verification call used as a statement guards only when the verifier throws.
    pub(super) fn verifier_throws(&self, scope: &Scope<'a>, c: &'a CallExpression<'a>) -> bool {
        if !self.is_verification_call(scope, c) {
            return false;
        }
        if let Some(n) = callee_name(c)
            && self.p.verifiers.iter().any(|v| v == n)
        {
            return true;
        }
        let Expression::Identifier(id) = c.callee.get_inner_expression() else {
            return false;
        };
        scope.resolve_function_ref(self.set, id).is_some_and(|f| {
            throws(
                self.set,
                &scope.scope_of(self.set, &f),
                &f,
                &mut HashSet::new(),
            )
        })
    }
}

/// For a handler written as a call of a factory of the target (`requireSignature(keys)`):
/// the function the factory returns, the scope it runs in, the factory and the call.
pub(super) fn factory_handler<'a>(
    set: &ModuleSet<'a>,
    scope: &Scope<'a>,
    h: &'a Expression<'a>,
) -> Option<(FnRef<'a>, Scope<'a>, FnRef<'a>, &'a CallExpression<'a>)> {
    let Expression::CallExpression(call) = h.get_inner_expression() else {
        return None;
    };
    let Expression::Identifier(id) = call.callee.get_inner_expression() else {
        return None;
    };
    let factory = scope.resolve_function_ref(set, id)?;
    let fscope = scope.scope_of(set, &factory);
    let returned = match factory.body {
        Body::Expr(e) => calls::fn_of_expr(factory.module, e),
        Body::Block(stmts) => stmts.iter().rev().find_map(|s| match s {
            Statement::ReturnStatement(r) => r
                .argument
                .as_ref()
                .and_then(|a| calls::fn_of_expr(factory.module, a)),
            _ => None,
        }),
    }?;
    let inner = fscope.enter(&returned);
    Some((returned, inner, factory, call))
}

pub(super) fn strip_await<'a>(e: &'a Expression<'a>) -> &'a Expression<'a> {
    match e.get_inner_expression() {
        Expression::AwaitExpression(a) => a.argument.get_inner_expression(),
        other => other,
    }
}

pub(super) fn direct_call<'a>(e: &'a Expression<'a>) -> Option<&'a CallExpression<'a>> {
    match strip_await(e) {
        Expression::CallExpression(c) => Some(c),
        _ => None,
    }
}

/// Whether `e` denotes the runtime handler: a name bound to it, a call of a dispatch factory
/// (`manifest.inngest.serveHandlerFactory(bundle)`, Inngest's `serve({...})` under any local
/// name), or a member of an object that holds one (`bundle.handler`, where `bundle` comes from
/// a function of the target returning `{ handler: serve(...) }`).
pub(super) fn dispatch_value<'a>(
    set: &ModuleSet<'a>,
    p: &Params,
    names: &HashSet<String>,
    scope: &Scope<'a>,
    e: &'a Expression<'a>,
    depth: usize,
) -> bool {
    if depth > 6 {
        return false;
    }
    let e = strip_await(e);
    match e {
        Expression::Identifier(id) => {
            let name = id.name.as_str();
            if names.contains(name) || p.dispatch_functions.iter().any(|n| n == name) {
                return true;
            }
            match scope.resolve_ref(set, id) {
                Some(Binding::Decl {
                    module,
                    decl:
                        Decl::Var {
                            declarator,
                            init: Some(init),
                            ..
                        },
                }) => {
                    let s = scope_in(set, scope, module);
                    let sub = pattern_bindings(&declarator.id)
                        .into_iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, sub)| sub)
                        .unwrap_or_default();
                    if sub.is_empty() {
                        dispatch_value(set, p, names, &s, init, depth + 1)
                    } else {
                        member_dispatch(set, p, names, &s, init, &sub, depth + 1)
                    }
                }
                Some(Binding::Import(ImportTarget::External { export, .. })) => {
                    p.dispatch_functions.contains(&export)
                }
                _ => false,
            }
        }
        Expression::CallExpression(c) => is_factory_call(set, p, scope, c, depth),
        other => {
            let Some((root, props)) = member_chain(other) else {
                return false;
            };
            if props.is_empty() {
                return false;
            }
            if names.contains(&root) {
                return true;
            }
            match scope.resolve(set, &root) {
                Some(Binding::Decl {
                    module,
                    decl:
                        Decl::Var {
                            declarator,
                            init: Some(init),
                            ..
                        },
                }) if calls::binding_ident(&declarator.id).is_some() => {
                    let s = scope_in(set, scope, module);
                    member_dispatch(set, p, names, &s, init, &props, depth + 1)
                }
                _ => false,
            }
        }
    }
}

/// The scope to judge a declaration of `module` found from `scope`.
pub(super) fn scope_in<'a>(set: &ModuleSet<'a>, scope: &Scope<'a>, module: ModId) -> Scope<'a> {
    if module == scope.module {
        scope.clone()
    } else {
        Scope::module(set, module)
    }
}

/// Whether `base.props...` is the runtime handler, reading `base` as an object literal (also
/// the object a function of the target returns).
pub(super) fn member_dispatch<'a>(
    set: &ModuleSet<'a>,
    p: &Params,
    names: &HashSet<String>,
    scope: &Scope<'a>,
    base: &'a Expression<'a>,
    props: &[String],
    depth: usize,
) -> bool {
    if depth > 6 {
        return false;
    }
    let Some((s, obj)) = object_value(set, scope, base, depth) else {
        return false;
    };
    let Some((first, rest)) = props.split_first() else {
        return false;
    };
    let Some((_, value)) = calls::object_property(obj, first) else {
        return false;
    };
    if rest.is_empty() {
        dispatch_value(set, p, names, &s, value, depth + 1)
    } else {
        member_dispatch(set, p, names, &s, value, rest, depth + 1)
    }
}

/// The object literal an expression evaluates to, with the scope its properties are read in:
/// a literal, a name bound to one, or the result of a function of the target returning one.
pub(super) fn object_value<'a>(
    set: &ModuleSet<'a>,
    scope: &Scope<'a>,
    e: &'a Expression<'a>,
    depth: usize,
) -> Option<(Scope<'a>, &'a oxc_ast::ast::ObjectExpression<'a>)> {
    if depth > 8 {
        return None;
    }
    match strip_await(e) {
        Expression::ObjectExpression(o) => Some((scope.clone(), o)),
        Expression::Identifier(id) => match scope.resolve_ref(set, id)? {
            Binding::Decl {
                module,
                decl: Decl::Var {
                    init: Some(init), ..
                },
            } => object_value(set, &scope_in(set, scope, module), init, depth + 1),
            _ => None,
        },
        Expression::CallExpression(c) => {
            let Expression::Identifier(id) = c.callee.get_inner_expression() else {
                return None;
            };
            let f = scope.resolve_function_ref(set, id)?;
            let fs = scope.scope_of(set, &f);
            let ret = returned_expr(&f)?;
            object_value(set, &fs, ret, depth + 1)
        }
        _ => None,
    }
}

/// The expression a function returns on its last top-level `return` (or an arrow's body).
pub(super) fn returned_expr<'a>(f: &FnRef<'a>) -> Option<&'a Expression<'a>> {
    match f.body {
        Body::Expr(e) => Some(e),
        Body::Block(stmts) => stmts.iter().rev().find_map(|s| match s {
            Statement::ReturnStatement(r) => r.argument.as_ref(),
            _ => None,
        }),
    }
}

/// A call of a dispatch factory: by its local name, by the name it is imported under, or a
/// function of the target that returns such a call.
pub(super) fn is_factory_call<'a>(
    set: &ModuleSet<'a>,
    p: &Params,
    scope: &Scope<'a>,
    c: &'a CallExpression<'a>,
    depth: usize,
) -> bool {
    let named = |n: &str| p.dispatch_factories.iter().any(|f| f == n);
    if callee_name(c).is_some_and(named) {
        return true;
    }
    let Expression::Identifier(id) = c.callee.get_inner_expression() else {
        return false;
    };
    match scope.resolve_ref(set, id) {
        Some(Binding::Import(ImportTarget::External { export, .. })) => named(&export),
        _ => {
            if depth > 4 {
                return false;
            }
            let Some(f) = scope.resolve_function_ref(set, id) else {
                return false;
            };
            let fs = scope.scope_of(set, &f);
            match returned_expr(&f).map(strip_await) {
                Some(Expression::CallExpression(inner)) => {
                    is_factory_call(set, p, &fs, inner, depth + 1)
                }
                _ => false,
            }
        }
    }
}

/// Identifiers an expression mentions (roots of member chains included).
pub(super) fn nodes_of_expr_any(e: &Expression) -> Vec<String> {
    let mut out = Vec::new();
    collect_idents(e, &mut out);
    out
}

pub(super) fn collect_idents(e: &Expression, out: &mut Vec<String>) {
    match e.get_inner_expression() {
        Expression::Identifier(i) => out.push(i.name.to_string()),
        Expression::UnaryExpression(u) => collect_idents(&u.argument, out),
        Expression::AwaitExpression(a) => collect_idents(&a.argument, out),
        Expression::BinaryExpression(b) => {
            collect_idents(&b.left, out);
            collect_idents(&b.right, out);
        }
        Expression::LogicalExpression(l) => {
            collect_idents(&l.left, out);
            collect_idents(&l.right, out);
        }
        Expression::ChainExpression(_)
        | Expression::StaticMemberExpression(_)
        | Expression::ComputedMemberExpression(_) => {
            if let Some((root, _)) = member_chain(e) {
                out.push(root);
            }
        }
        _ => {}
    }
}

/// Whether a test is the failure form of a verification (`!ok`, `!v.ok`, `ok === false`,
/// `v.valid !== true`, `!a || !b`).
pub(super) fn negated(e: &Expression) -> bool {
    match e.get_inner_expression() {
        Expression::UnaryExpression(u) => u.operator == UnaryOperator::LogicalNot,
        Expression::BinaryExpression(b) => {
            let lit = |x: &Expression, v: bool| matches!(x.get_inner_expression(), Expression::BooleanLiteral(l) if l.value == v);
            let nullish = |x: &Expression| x.get_inner_expression().is_null_or_undefined();
            match b.operator {
                BinaryOperator::StrictEquality | BinaryOperator::Equality => {
                    lit(&b.left, false)
                        || lit(&b.right, false)
                        || nullish(&b.left)
                        || nullish(&b.right)
                }
                BinaryOperator::StrictInequality | BinaryOperator::Inequality => {
                    lit(&b.left, true) || lit(&b.right, true)
                }
                _ => false,
            }
        }
        Expression::LogicalExpression(l) if l.operator == LogicalOperator::Or => {
            negated(&l.left) && negated(&l.right)
        }
        _ => false,
    }
}

/// Whether `f` (or a function of the target it calls) computes an HMAC: `createHmac` from
/// Node's crypto, `crypto.subtle.sign/verify`, or an imported `hmac`.
pub(super) fn computes_hmac<'a>(
    set: &ModuleSet<'a>,
    scope: &Scope<'a>,
    f: &FnRef<'a>,
    seen: &mut HashSet<(ModId, u32)>,
) -> bool {
    if !seen.insert((f.module, f.span.start)) || seen.len() > 64 {
        return false;
    }
    for c in calls::calls(&nodes_of_body(f.body, true)) {
        let callee = c.callee.get_inner_expression();
        if let Some((root, props)) = member_chain(callee) {
            let last = props.last().map(String::as_str);
            if last == Some("createHmac") {
                return true;
            }
            if matches!(last, Some("sign" | "verify")) && props.iter().any(|p| p == "subtle") {
                return true;
            }
            if props.is_empty()
                && let Some(Binding::Import(ImportTarget::External { specifier, export })) =
                    scope.resolve(set, &root)
                && ((export == "createHmac"
                    && matches!(specifier.as_str(), "crypto" | "node:crypto"))
                    || export == "hmac")
            {
                return true;
            }
        }
        if let Expression::Identifier(id) = callee
            && let Some(g) = scope.resolve_function_ref(set, id)
            && g.span != f.span
            && computes_hmac(set, &scope.scope_of(set, &g), &g, seen)
        {
            return true;
        }
    }
    false
}

/// Whether `f` (or a function of the target it calls directly) throws.
pub(super) fn throws<'a>(
    set: &ModuleSet<'a>,
    scope: &Scope<'a>,
    f: &FnRef<'a>,
    seen: &mut HashSet<(ModId, u32)>,
) -> bool {
    if !seen.insert((f.module, f.span.start)) || seen.len() > 16 {
        return false;
    }
    let nodes = nodes_of_body(f.body, false);
    if nodes
        .iter()
        .any(|k| matches!(k, AstKind::ThrowStatement(_)))
    {
        return true;
    }
    calls::calls(&nodes).iter().any(|c| {
        let Expression::Identifier(id) = c.callee.get_inner_expression() else {
            return false;
        };
        scope
            .resolve_function_ref(set, id)
            .is_some_and(|g| g.span != f.span && throws(set, &scope.scope_of(set, &g), &g, seen))
    })
}

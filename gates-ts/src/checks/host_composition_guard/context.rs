//! Request-scoped context: the boundary context is created per request inside handlers, not
//! at module level (`module-level-request-context`) or in the registration body
//! (`request-context-outside-handler`), never stored in a module-level binding
//! (`request-context-stored-globally`) or cached by its factory (`context-factory-caches`),
//! and at least one handler creates it (`request-context-not-created`).
//!
//! Fix: call the boundary-context factory inside each handler.

use super::*;
use gates_core::fs::probe::Probe;

pub(super) fn judge_context<'a>(
    set: &ModuleSet<'a>,
    p: &Params,
    reg: &Registration<'a>,
    out: &mut CheckOutput,
) {
    let abs = set.repo().join(&p.context_module);
    if !abs.probe_exists() {
        out.findings.push(
            Finding::error(
                "context-module-missing",
                p.context_module.clone(),
                0,
                0,
                format!(
                    "the boundary-context module {} does not exist",
                    p.context_module
                ),
            )
            .with_help("add the request-scoped boundary context factory, or set `context_module`"),
        );
        return;
    }
    let ctx_mod = match set.load(&abs) {
        Ok(id) => id,
        Err(f) => {
            out.findings.push(f);
            return;
        }
    };
    let m = set.module(ctx_mod);
    if m.panicked {
        out.findings.extend(m.errors.iter().cloned());
        return;
    }
    let factories: Vec<(String, FnRef<'a>)> = host::exported_functions(set, ctx_mod)
        .into_iter()
        .filter(|(n, _)| match &p.context_factories {
            Some(list) => list.iter().any(|l| l == n),
            None => n.starts_with("create"),
        })
        .collect();
    if factories.is_empty() {
        out.findings.push(Finding::error(
            "context-factory-missing",
            m.file.rel.clone(),
            0,
            0,
            format!(
                "{} exports no boundary-context factory (a function named create…)",
                m.file.rel
            ),
        ));
        return;
    }
    let factory_spans: Vec<(ModId, u32)> = factories
        .iter()
        .map(|(_, f)| (f.module, f.span.start))
        .collect();

    // The factory must not keep its result in module state.
    for (name, f) in &factories {
        let fscope = Scope::module(set, f.module).enter(f);
        for k in nodes_of_body(f.body, true) {
            if let AstKind::AssignmentExpression(a) = k
                && let Some(target) = assigned_root(&a.left)
                && is_module_level(set, &fscope, &target)
            {
                out.findings.push(
                            finding_at(
                                set,
                                f.module,
                                a.span,
                                "context-factory-caches",
                                format!("`{name}` stores into the module-level `{target}`, so requests can share a context"),
                            )
                            .with_help("build a fresh context on every call"),
                        );
            }
        }
    }

    // Every module of the host directory, the context module and the registration's modules.
    let dir = p.host_dir.clone().unwrap_or_else(|| {
        std::path::Path::new(&p.host)
            .parent()
            .map(|d| d.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default()
    });
    for file in ts_files(&set.repo().join(&dir)) {
        let _ = set.load(&file);
    }
    // Calls of the factory made directly by the registration (once per app, not per request).
    let mut outside_handlers: HashSet<(ModId, u32)> = HashSet::new();
    collect_registration_calls(
        set,
        reg.body,
        &reg.scope,
        &mut HashSet::new(),
        &mut outside_handlers,
        0,
    );

    let mut per_request = 0usize;
    for module in set.loaded() {
        if module.panicked {
            continue;
        }
        let scope = Scope::module(set, module.id);
        let top: HashSet<u32> =
            calls::calls(&nodes_of_body(Body::Block(&module.program.body), false))
                .iter()
                .map(|c| c.span.start)
                .collect();
        for k in nodes_of_body(Body::Block(&module.program.body), true) {
            match k {
                AstKind::CallExpression(c) => {
                    if !is_factory(set, &scope, c, &factory_spans) {
                        continue;
                    }
                    if top.contains(&c.span.start) {
                        out.findings.push(
                            finding_at(
                                set,
                                module.id,
                                c.span,
                                "module-level-request-context",
                                "the boundary context is created at module level, so every request shares it",
                            )
                            .with_help("call the factory inside the route handler, once per request"),
                        );
                    } else if outside_handlers.contains(&(module.id, c.span.start)) {
                        out.findings.push(
                            finding_at(
                                set,
                                module.id,
                                c.span,
                                "request-context-outside-handler",
                                "the boundary context is created while routes are registered, so every request shares it",
                            )
                            .with_help("call the factory inside the route handler, once per request"),
                        );
                    } else {
                        per_request += 1;
                    }
                }
                AstKind::AssignmentExpression(a) => {
                    let Some(target) = assigned_root(&a.left) else {
                        continue;
                    };
                    let stores_context = calls::calls(&nodes_of_expr(&a.right, false))
                        .iter()
                        .any(|c| is_factory(set, &scope, c, &factory_spans));
                    if stores_context
                        && (target == "globalThis" || is_module_level_name(set, module.id, &target))
                    {
                        out.findings.push(
                            finding_at(
                                set,
                                module.id,
                                a.span,
                                "request-context-stored-globally",
                                format!("a boundary context is stored in the module-level `{target}`, so requests can see each other's context"),
                            )
                            .with_help("keep the context in a local of the handler"),
                        );
                    }
                }
                _ => {}
            }
        }
    }
    if per_request == 0 {
        out.findings.push(
            finding_at(
                set,
                reg.module,
                reg.span,
                "request-context-not-created",
                format!(
                    "no route handler creates a boundary context with {}",
                    factories
                        .iter()
                        .map(|(n, _)| n.as_str())
                        .collect::<Vec<_>>()
                        .join("/")
                ),
            )
            .with_help("call the boundary-context factory inside each caller-facing handler"),
        );
    }
    let _ = body_span;
}

pub(super) fn collect_registration_calls<'a>(
    set: &ModuleSet<'a>,
    body: Body<'a>,
    scope: &Scope<'a>,
    seen: &mut HashSet<(ModId, u32)>,
    out: &mut HashSet<(ModId, u32)>,
    depth: usize,
) {
    for c in calls::calls_in_order(body, false) {
        out.insert((scope.module, c.span.start));
        if depth >= calls::MAX_FOLLOW_DEPTH {
            continue;
        }
        if let Expression::Identifier(id) = c.callee.get_inner_expression()
            && let Some(f) = scope.resolve_function_ref(set, id)
            && seen.insert((f.module, f.span.start))
        {
            let inner = scope.scope_of(set, &f);
            collect_registration_calls(set, f.body, &inner, seen, out, depth + 1);
        }
    }
}

pub(super) fn is_factory<'a>(
    set: &ModuleSet<'a>,
    scope: &Scope<'a>,
    c: &'a CallExpression<'a>,
    factories: &[(ModId, u32)],
) -> bool {
    let callee = c.callee.get_inner_expression();
    let f = match callee {
        Expression::Identifier(id) => scope.resolve_function_ref(set, id),
        _ => {
            // `ns.createBoundaryContext(...)` through a namespace import.
            let Some((root, props)) = member_chain(callee) else {
                return false;
            };
            if props.len() != 1 {
                return false;
            }
            match set.import_of(scope.module, &root) {
                Some(ImportTarget::Module { id, export }) if export == "*" => {
                    let s = Scope::module(set, id);
                    s.resolve_function(set, &props[0])
                }
                _ => None,
            }
        }
    };
    f.is_some_and(|f| factories.contains(&(f.module, f.span.start)))
}

/// The root name an assignment writes to (`x = ...`, `x.y = ...`, `x ??= ...`).
pub(super) fn assigned_root(t: &oxc_ast::ast::AssignmentTarget) -> Option<String> {
    use oxc_ast::ast::AssignmentTarget as T;
    match t {
        T::AssignmentTargetIdentifier(i) => Some(i.name.to_string()),
        T::StaticMemberExpression(m) => member_chain(&m.object).map(|(r, _)| r),
        T::ComputedMemberExpression(m) => member_chain(&m.object).map(|(r, _)| r),
        _ => None,
    }
}

/// Whether `name`, seen from `scope`, is a binding of the module's top level.
pub(super) fn is_module_level<'a>(set: &ModuleSet<'a>, scope: &Scope<'a>, name: &str) -> bool {
    if name == "globalThis" {
        return true;
    }
    let inner_frames = &scope.frames[..scope.frames.len().saturating_sub(1)];
    if inner_frames.iter().any(|fr| {
        fr.params.iter().any(|p| p == name) || calls::declared_in(fr.stmts, name).is_some()
    }) {
        return false;
    }
    is_module_level_name(set, scope.module, name)
}

pub(super) fn is_module_level_name(set: &ModuleSet, module: ModId, name: &str) -> bool {
    calls::declared_in(&set.module(module).program.body, name).is_some()
}

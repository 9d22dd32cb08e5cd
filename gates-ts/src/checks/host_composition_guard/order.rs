//! Mount order and stub mounts: the route-registration calls in the order they run must
//! mount `/api/inngest` → `/api/workflows/*` → {`/rpc`, `/api/orpc/*`}, with no dedicated
//! `/rpc/workflows` mount (`mount-order`, `rpc-workflows-mount`), and no route-family mount
//! whose handler unconditionally answers 404 (`stub-mount`).
//!
//! Fix: register the routes in the contract's order, and give each family a real handler.

use super::*;

/// Mounts that are routes (middleware registered with `use` is not a mount).
pub(super) fn routes<'r, 'a>(reg: &'r Registration<'a>) -> impl Iterator<Item = &'r Mount<'a>> {
    reg.mounts.iter().filter(|m| m.method != "use")
}

pub(super) fn via_text(set: &ModuleSet, m: &Mount) -> String {
    if m.via.is_empty() {
        return String::new();
    }
    let chain: Vec<String> = m
        .via
        .iter()
        .map(|(md, sp, name)| format!("{name} at {}", host::place(set, *md, *sp)))
        .collect();
    format!(" (reached through {})", chain.join(" → "))
}

pub(super) fn judge_order(set: &ModuleSet, reg: &Registration, out: &mut CheckOutput) {
    let mounts: Vec<(&Mount, Family)> = routes(reg)
        .filter_map(|m| m.family().map(|f| (m, f)))
        .collect();
    let mut reported: HashSet<Family> = HashSet::new();
    for (j, (m, fam)) in mounts.iter().enumerate() {
        if reported.contains(fam) {
            continue;
        }
        if let Some((earlier, efam)) = mounts[..j].iter().find(|(_, f)| f.rank() > fam.rank()) {
            reported.insert(*fam);
            out.findings.push(
                finding_at(
                    set,
                    m.module,
                    m.pos,
                    "mount-order",
                    format!(
                        "{} ({}) is mounted after {} ({} at {}){}; the contract's order is /api/inngest → /api/workflows/* → /rpc + /api/orpc/*",
                        fam.label(),
                        m.path.as_deref().unwrap_or_default(),
                        efam.label(),
                        earlier.path.as_deref().unwrap_or_default(),
                        host::place(set, earlier.module, earlier.pos),
                        via_text(set, m)
                    ),
                )
                .with_help("move the registration call so the families are mounted in the contract's order"),
            );
        }
    }
    for m in routes(reg) {
        if let Some(p) = &m.path
            && (p == "/rpc/workflows" || p.starts_with("/rpc/workflows/"))
        {
            out.findings.push(
                    finding_at(
                        set,
                        m.module,
                        m.pos,
                        "rpc-workflows-mount",
                        format!("dedicated {p} mount; workflows are served under /api/workflows/<capability>/*"),
                    )
                    .with_help("remove the /rpc/workflows mount"),
                );
        }
    }
    // A sub-router mounted under a prefix (`app.route("/rpc", sub)` with
    // `sub.all("/workflows/*", ...)`) serves the joined path: judge that, at the sub mount.
    for parent in reg
        .mounts
        .iter()
        .filter(|m| matches!(m.method.as_str(), "route" | "mount" | "use"))
    {
        let (Some(prefix), Some(Expression::Identifier(sub))) = (
            parent.path.as_deref(),
            parent.handlers.last().map(|h| h.get_inner_expression()),
        ) else {
            continue;
        };
        for m in routes(reg).filter(|m| m.receiver.as_deref() == Some(sub.name.as_str())) {
            let Some(p) = m.path.as_deref() else { continue };
            let joined = format!("{}{}", prefix.trim_end_matches('/'), p);
            if joined == "/rpc/workflows" || joined.starts_with("/rpc/workflows/") {
                out.findings.push(
                    finding_at(
                        set,
                        m.module,
                        m.pos,
                        "rpc-workflows-mount",
                        format!(
                            "dedicated {joined} mount ({p} on `{}`, which is mounted under {prefix} at {}); workflows are served under /api/workflows/<capability>/*",
                            sub.name,
                            host::place(set, parent.module, parent.pos)
                        ),
                    )
                    .with_help("remove the /rpc/workflows mount"),
                );
            }
        }
    }
}

pub(super) fn judge_stubs<'a>(set: &ModuleSet<'a>, reg: &Registration<'a>, out: &mut CheckOutput) {
    for m in routes(reg).filter(|m| m.family().is_some()) {
        let Some(h) = m.handlers.last() else { continue };
        let Some((f, _)) = handler_fn(set, m, h) else {
            continue;
        };
        if returns_404_unconditionally(&f) {
            out.findings.push(
                finding_at(
                    set,
                    m.module,
                    m.pos,
                    "stub-mount",
                    format!(
                        "the handler of {} always answers 404: the family is mounted in name only",
                        m.path.as_deref().unwrap_or("this mount")
                    ),
                )
                .with_help("implement the route family or do not mount it"),
            );
        }
    }
}

/// Whether a function's first way out, on its only path, is a 404.
pub(super) fn returns_404_unconditionally(f: &FnRef) -> bool {
    match f.body {
        Body::Expr(e) => is_404(e),
        Body::Block(stmts) => {
            for s in stmts.iter() {
                match s {
                    Statement::ReturnStatement(r) => {
                        return r.argument.as_ref().is_some_and(is_404);
                    }
                    Statement::ThrowStatement(t) => return is_404(&t.argument),
                    Statement::ExpressionStatement(_)
                    | Statement::VariableDeclaration(_)
                    | Statement::EmptyStatement(_) => {}
                    _ => return false,
                }
            }
            false
        }
    }
}

/// `c.notFound()`, `c.json(x, 404)`, `new Response(x, { status: 404 })`, `new HTTPException(404)`.
pub(super) fn is_404(e: &Expression) -> bool {
    let e = match e.get_inner_expression() {
        Expression::AwaitExpression(a) => a.argument.get_inner_expression(),
        other => other,
    };
    let args = match e {
        Expression::CallExpression(c) => {
            if callee_name(c) == Some("notFound") {
                return true;
            }
            &c.arguments
        }
        Expression::NewExpression(n) => &n.arguments,
        _ => return false,
    };
    args.iter().filter_map(arg_expr).any(|a| match a.get_inner_expression() {
        Expression::NumericLiteral(n) => n.value == 404.0,
        Expression::ObjectExpression(o) => o.properties.iter().any(|p| match p {
            ObjectPropertyKind::ObjectProperty(p) => {
                calls::property_key_name(&p.key).as_deref() == Some("status")
                    && matches!(p.value.get_inner_expression(), Expression::NumericLiteral(n) if n.value == 404.0)
            }
            _ => false,
        }),
        _ => false,
    })
}

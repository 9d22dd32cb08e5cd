//! `host-composition-guard`: how the host composes its route families.
//!
//! **What it checks.** From the route-registration calls in the order they run inside the
//! registration function (following calls such as `registerOrpcRoutes(app, ...)` into their
//! modules; constants or arrays that merely list route strings do not count):
//! - mount order `/api/inngest` → `/api/workflows/*` → {`/rpc`, `/api/orpc/*`} (rule
//!   `mount-order`), and no dedicated `/rpc/workflows` mount (`rpc-workflows-mount`);
//! - the `/api/inngest` handler verifies the Inngest signature before it calls the runtime
//!   handler: a call that computes an HMAC of the request (followed into the verifier) whose
//!   failure returns or throws before the call into the function made by
//!   `serveHandlerFactory` (`ingress-signature-not-verified`, `ingress-dispatch-before-verification`,
//!   `ingress-dispatch-not-found`). Checking that a signature header is present is not
//!   verification;
//! - the boundary context is created per request inside handlers: no call of the context
//!   factory at module level (`module-level-request-context`) or in the registration body
//!   (`request-context-outside-handler`), no handler storing it in a module-level binding
//!   (`request-context-stored-globally`), no factory caching its result in module state
//!   (`context-factory-caches`), and at least one handler creating it
//!   (`request-context-not-created`);
//! - a route-family mount whose handler unconditionally answers 404 is a stub (`stub-mount`).
//!
//! **Why.** The runbook's A3 hardening (request-scoped context, signed ingress before dispatch,
//! mount order) was once "verified" by a constant listing the right mount order while the real
//! mounts ran in another order, and by an ingress guard that only checked a header was present.
//!
//! **How to fix.** Register the routes in the contract's order; in the `/api/inngest` handler,
//! verify the signature on the raw body and return 401 (or throw) when it fails, before calling
//! the runtime handler; call the boundary-context factory inside each handler.

use std::collections::HashSet;

use oxc_allocator::Allocator;
use oxc_ast::AstKind;
use oxc_ast::ast::{
    BinaryOperator, CallExpression, Expression, LogicalOperator, ObjectPropertyKind, Statement,
    UnaryOperator,
};
use oxc_span::{GetSpan, Span};
use serde::Deserialize;

use super::{
    Capability, CheckCtx, CheckDef, CheckOutput, Rule, common, error, no_roles, parse_params,
    warning,
};
use crate::error::GateError;
use crate::finding::{Finding, Severity};
use crate::repo::calls::{
    self, Binding, Body, Decl, FnRef, Scope, always_exits, arg_expr, callee_name, member_chain,
    nodes_of_body, nodes_of_expr, nodes_of_statement, pattern_bindings,
};
use crate::repo::host::{
    self, Family, HostSpec, Mount, Registration, body_span, finding_at, handler_fn,
};
use crate::repo::modules::{ImportTarget, ModId, ModuleSet};
use crate::repo::workspace::Workspace;

mod context;
mod ingress;
mod order;

use context::*;
use ingress::*;
use order::*;

pub fn def() -> CheckDef {
    CheckDef {
        name: "host-composition-guard",
        summary: "real mount order, no /rpc/workflows, signature verified before ingress dispatch, request-scoped context, no stub mounts",
        capabilities: &[Capability::WorkTree],
        rules: &[RULES, common::HOST, common::SOURCES, common::SYNTAX],
        parts: None,
        aliases: &[],
        roles: no_roles,
        validate: |t| parse_params::<Params>(t).map(|_| ()),
        run,
    }
}

const ORDER_FIX: &str =
    "register the routes in the contract's order, and give each family a real handler";
const INGRESS_FIX: &str = "in the /api/inngest handler, verify the signature (HMAC-SHA256 over the raw body and timestamp with the signing key) and return 401 (or throw) when it fails, before calling the runtime handler";
const CONTEXT_FIX: &str = "call the boundary-context factory inside each handler, once per request, and keep the context in a local of the handler";

/// Every rule of the host-composition-guard check.
pub const RULES: &[Rule] = &[
    warning(
        "mount-path-unresolved",
        "a mount's path is computed, so its place in the mount order is not judged",
        "mount with a literal path, or a constant the gate can read",
    ),
    error(
        "mount-order",
        "in the order the registration's calls run, a route family is mounted after one the contract puts later (`/api/inngest` → `/api/workflows/*` → {`/rpc`, `/api/orpc/*`})",
        ORDER_FIX,
    ),
    error(
        "rpc-workflows-mount",
        "a dedicated `/rpc/workflows` mount (also as `/workflows` on a sub-router mounted under `/rpc`); workflows are served under `/api/workflows/<capability>/*`",
        "remove the /rpc/workflows mount",
    ),
    error(
        "stub-mount",
        "a route-family mount whose handler unconditionally answers 404: the family is mounted in name only",
        ORDER_FIX,
    ),
    error(
        "ingress-mount-missing",
        "the registration does not mount `/api/inngest`, so its signature guard cannot be shown",
        "mount /api/inngest in the host's registration",
    ),
    error(
        "ingress-handler-unreadable",
        "an `/api/inngest` handler (or middleware before it) is not a function the gate can read, so its signature guard cannot be shown",
        "pass a function (or a factory of the target returning one) as the handler",
    ),
    error(
        "ingress-signature-not-verified",
        "the `/api/inngest` handler never verifies the Inngest signature: no call computes an HMAC of the request (checking that the header is present is not verification)",
        INGRESS_FIX,
    ),
    error(
        "ingress-dispatch-before-verification",
        "the `/api/inngest` handler calls the runtime handler on a path where a failed signature check has not returned or thrown first",
        INGRESS_FIX,
    ),
    error(
        "ingress-dispatch-not-found",
        "the `/api/inngest` handler never calls a runtime handler made by the dispatch factories (`serveHandlerFactory`, ... or the gate's `dispatch_functions`)",
        "dispatch through the manifest's `inngest.serveHandlerFactory`, or name your runtime handler in `dispatch_functions`",
    ),
    error(
        "context-module-missing",
        "the boundary-context module does not exist",
        "add the request-scoped boundary-context factory, or set `context_module`",
    ),
    error(
        "context-factory-missing",
        "the boundary-context module exports no factory (a function named `create…`, or one named in `context_factories`)",
        "export the boundary-context factory, or name it in `context_factories`",
    ),
    error(
        "context-factory-caches",
        "a boundary-context factory stores into module state, so requests can share a context",
        "build a fresh context on every call",
    ),
    error(
        "module-level-request-context",
        "the boundary-context factory is called at module level, so every request shares the context",
        CONTEXT_FIX,
    ),
    error(
        "request-context-outside-handler",
        "the boundary-context factory is called by the registration itself (once per app, while routes are registered), not inside a handler",
        CONTEXT_FIX,
    ),
    error(
        "request-context-stored-globally",
        "a boundary context is stored in a module-level binding (or `globalThis`), so requests can see each other's context",
        CONTEXT_FIX,
    ),
    error(
        "request-context-not-created",
        "no route handler creates a boundary context with the factory",
        CONTEXT_FIX,
    ),
];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The module holding the host's registration function.
    #[serde(default = "default_host")]
    pub host: String,
    /// The registration function (default: the exported function that mounts most families).
    #[serde(default)]
    pub registration: Option<String>,
    /// The module exporting the boundary-context factory.
    #[serde(default = "default_context_module")]
    pub context_module: String,
    /// The factory's names (default: the module's exported functions named `create...`).
    #[serde(default)]
    pub context_factories: Option<Vec<String>>,
    /// Files scanned for module-level context creation (default: the host module's directory).
    #[serde(default)]
    pub host_dir: Option<String>,
    /// Names of the factories that build the runtime handler (`serveHandlerFactory`).
    #[serde(default = "default_dispatch_factories")]
    pub dispatch_factories: Vec<String>,
    /// Names of functions that are the runtime handler themselves.
    #[serde(default)]
    pub dispatch_functions: Vec<String>,
    /// Names of signature verifiers from outside the repository, trusted without reading them.
    #[serde(default)]
    pub verifiers: Vec<String>,
}

fn default_host() -> String {
    "apps/server/src/rawr.ts".into()
}
fn default_context_module() -> String {
    "apps/server/src/workflows/context.ts".into()
}
/// The manifest seam, common wrapper names and Inngest's own `serve` adapter (also matched
/// under a local alias, and through wrappers of the target that return its result).
fn default_dispatch_factories() -> Vec<String> {
    vec![
        "serveHandlerFactory".into(),
        "createServeHandler".into(),
        "createInngestServeHandler".into(),
        "serve".into(),
    ]
}

fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let p: Params = ctx.params()?;
    ctx.repo_path(&p.host)?;
    ctx.repo_path(&p.context_module)?;
    if let Some(d) = &p.host_dir {
        ctx.repo_path(d)?;
    }
    crate::repo::workspace::check_root_manifest(ctx.repo)?;
    Ok(check(ctx.repo, &p))
}

/// Runs the check on `repo` (public for benchmarks and tests).
pub fn check(repo: &std::path::Path, p: &Params) -> CheckOutput {
    let alloc = Allocator::default();
    let set = ModuleSet::new(&alloc, repo, Workspace::load(repo));
    let mut out = CheckOutput::default();
    let spec = HostSpec {
        entry: &p.host,
        registration: p.registration.as_deref(),
    };
    let reg = match host::load_host(&set, &spec) {
        Ok(r) => r,
        Err(fs) => {
            out.findings.extend(fs);
            return out;
        }
    };
    for m in reg.mounts.iter().filter(|m| m.path.is_none()) {
        out.findings.push(
            finding_at(
                &set,
                m.module,
                m.pos,
                "mount-path-unresolved",
                "this mount's path is computed; its place in the mount order is not judged",
            )
            .with_severity(Severity::Warning),
        );
    }
    out.notes.push(host::mount_note(&set, &reg));
    judge_order(&set, &reg, &mut out);
    judge_stubs(&set, &reg, &mut out);
    judge_ingress(&set, p, &reg, &mut out);
    judge_context(&set, p, &reg, &mut out);
    out
}

/// TypeScript files under `dir` (no `node_modules`, at most a few thousand).
fn ts_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = gates_core::fs::probe::read_dir(&d) else {
            continue;
        };
        let mut entries: Vec<_> = rd.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let path = e.path();
            let Ok(ft) = e.file_type() else { continue };
            let name = e.file_name().to_string_lossy().to_string();
            if ft.is_dir() {
                if name != "node_modules" && !name.starts_with('.') {
                    stack.push(path);
                }
            } else if ft.is_file()
                && [".ts", ".tsx", ".mts", ".cts"]
                    .iter()
                    .any(|x| name.ends_with(x))
                && !name.ends_with(".d.ts")
            {
                out.push(path);
            }
            if out.len() >= 4000 {
                return out;
            }
        }
    }
    out
}

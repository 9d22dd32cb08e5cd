//! `manifest-smoke`: the manifest authority `rawr.hq.ts` and the host that consumes it.
//!
//! **What it checks.** Mode `baseline` (A0): the host really mounts `/api/inngest`, `/rpc` and
//! `/api/orpc` (route-registration calls, followed into registration functions of other
//! modules), and mounts them unconditionally: a family registered only in a branch, on the
//! right of `&&`/`||`/`?:`, in a `catch`, or after an early `return` is `mount-conditional`
//! (a `throw` guard is not a condition). `rawr.hq.ts` arrives in A4, so the baseline does not
//! require it (a note says it is absent); when it exists it must export `rawrHqManifest` as
//! an object. Mode `completion` (phase exit) adds: `rawr.hq.ts` exists; the manifest declares every seam
//! (`orpc.router`, `workflows.capabilities.<cap>.pathPrefix`, `workflows.triggerRouter`,
//! `inngest.bundleFactory`, `inngest.serveHandlerFactory`); the host imports the manifest and
//! reads each seam's exact member path where it registers routes; it does not call the
//! manifest's composition primitives itself (composing a seam locally; a fallback such as
//! `options.router ?? createOrpcRouter()` counts only when some call of that function reached
//! from the registration omits `router`, since when every call passes the seam the fallback
//! never runs); `/api/workflows/*` is
//! mounted and its handler resolves the capability from `workflows.capabilities`.
//!
//! **Why.** The runbook makes `rawr.hq.ts` the one canonical runtime composition. A host that
//! builds its own router or Inngest bundle, or routes workflows from a hard-coded list,
//! drifts from the manifest silently; the original smoke check only looked for strings.
//!
//! **How to fix.** Declare the missing member in `rawrHqManifest`; in the host, import
//! `rawrHqManifest` and pass `rawrHqManifest.<seam>` where the routes are registered instead
//! of calling the factories yourself.

use gates_core::fs::probe::Probe;
use serde::Deserialize;

use oxc_allocator::Allocator;
use oxc_ast::ast::{Expression, ObjectExpression};
use oxc_span::{GetSpan, Span};

use super::{
    Capability, CheckCtx, CheckDef, CheckOutput, Rule, common, error, no_roles, parse_params,
};
use crate::error::GateError;
use crate::finding::Finding;
use crate::repo::calls::{
    self, Binding, Decl, Scope, const_string, local_name_of_export, object_of, object_property,
};
use crate::repo::host::{
    self, Family, HostSpec, Registration, body_span, finding_at, handler_fn, manifest_reads,
    reachable_bodies,
};
use crate::repo::modules::{ImportTarget, ModId, ModuleSet};
use crate::repo::workspace::Workspace;

pub fn def() -> CheckDef {
    CheckDef {
        name: "manifest-smoke",
        summary: "rawr.hq.ts exports rawrHqManifest with every seam; the host mounts the route families and consumes the seams",
        capabilities: &[Capability::WorkTree],
        rules: &[RULES, common::HOST, common::SOURCES, common::SYNTAX],
        parts: None,
        aliases: &[],
        roles: no_roles,
        validate: |t| parse_params::<Params>(t).map(|_| ()),
        run,
    }
}

const FIX: &str = "declare the missing member in `rawrHqManifest`; in the host, import `rawrHqManifest` and pass `rawrHqManifest.<seam>` where the routes are registered instead of composing it yourself";
const MOUNT_FIX: &str = "mount every route family with a route-registration call that always runs; a constant listing the path is not a mount";

/// Every rule of the manifest-smoke check. "Completion" rules are judged in mode `completion`
/// only.
pub const RULES: &[Rule] = &[
    error(
        "manifest-missing",
        "completion: the manifest authority (`rawr.hq.ts`) does not exist",
        "create the manifest module exporting `rawrHqManifest`, the canonical runtime composition",
    ),
    error(
        "manifest-export-missing",
        "the manifest module (when it exists) does not export the manifest (`rawrHqManifest`) from a declaration of its own",
        "export the manifest: `export const rawrHqManifest = { ... }`",
    ),
    error(
        "manifest-not-object",
        "the exported manifest has no value, or is not an object literal the gate can read (through constants and imports)",
        "make `rawrHqManifest` an object literal (its members may be imported constants)",
    ),
    error(
        "manifest-seam-missing",
        "completion: a seam (`orpc.router`, `workflows.capabilities`, `workflows.triggerRouter`, `inngest.bundleFactory`, `inngest.serveHandlerFactory`) is not declared, or an object on its path is not an object literal",
        FIX,
    ),
    error(
        "capabilities-not-object",
        "completion: `workflows.capabilities` is not an object literal, or a spread in it hides which capabilities it declares",
        "declare each capability as a member of the `workflows.capabilities` object literal",
    ),
    error(
        "capability-path-prefix-missing",
        "completion: a capability is not an object, or declares no `pathPrefix`",
        "give each capability `{ pathPrefix: \"/api/workflows/<capability>\" }`",
    ),
    error(
        "capability-path-prefix-invalid",
        "completion: a capability's `pathPrefix` is not a constant string, not `/api/workflows/<segment>` or `/<segment>`, or the same as another capability's",
        "give each capability its own constant `pathPrefix` of one segment below `/api/workflows`",
    ),
    error(
        "capabilities-empty",
        "completion: `workflows.capabilities` declares no capability",
        "declare the workflow capabilities the host serves in `workflows.capabilities`",
    ),
    error(
        "mount-conditional",
        "a required route family (`/api/inngest`, `/rpc`, `/api/orpc`; in completion also `/api/workflows/*`) is mounted only under a condition: a branch, `&&`/`||`/`?:`, a `catch`, or after an early `return` (a `throw` guard is not a condition)",
        MOUNT_FIX,
    ),
    error(
        "mount-missing",
        "no route-registration call the host's registration runs mounts a required route family",
        MOUNT_FIX,
    ),
    error(
        "manifest-not-imported",
        "completion: the host does not import the manifest in the modules where it registers routes",
        "import `rawrHqManifest` from the manifest module in the host's registration",
    ),
    error(
        "seam-not-consumed",
        "completion: the registration (or what it calls) never reads a seam's member path of the imported manifest",
        "take the seam from the manifest where the routes are registered",
    ),
    error(
        "host-composes-seam-locally",
        "completion: the host calls a primitive the manifest composes a seam with (a fallback such as `options.router ?? createOrpcRouter()` counts only when some call reached from the registration omits the seam)",
        "take the composed seam from `rawrHqManifest` instead of building it in the host",
    ),
    error(
        "capability-routing-not-from-manifest",
        "completion: the handler of an `/api/workflows/*` mount does not resolve the capability from the manifest's `workflows.capabilities`",
        "look the capability up in `rawrHqManifest.workflows.capabilities` and answer 404 when it is not declared",
    ),
];

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Mode {
    Baseline,
    Completion,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    pub mode: Mode,
    /// The manifest authority, relative to the repository.
    #[serde(default = "default_manifest")]
    pub manifest: String,
    /// The manifest's export name.
    #[serde(default = "default_export")]
    pub export: String,
    /// The module holding the host's registration function.
    #[serde(default = "default_host")]
    pub host: String,
    /// The registration function (default: the exported function that mounts most families).
    #[serde(default)]
    pub registration: Option<String>,
}

fn default_manifest() -> String {
    "rawr.hq.ts".into()
}
fn default_export() -> String {
    "rawrHqManifest".into()
}
fn default_host() -> String {
    "apps/server/src/rawr.ts".into()
}

/// The seams the completion mode requires, as member paths below the manifest object.
pub const SEAMS: &[&[&str]] = &[
    &["orpc", "router"],
    &["workflows", "capabilities"],
    &["workflows", "triggerRouter"],
    &["inngest", "bundleFactory"],
    &["inngest", "serveHandlerFactory"],
];

fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let p: Params = ctx.params()?;
    ctx.repo_path(&p.manifest)?;
    ctx.repo_path(&p.host)?;
    crate::repo::workspace::check_root_manifest(ctx.repo)?;
    Ok(check(ctx.repo, &p))
}

/// Runs the check on `repo` (public for benchmarks and tests).
pub fn check(repo: &std::path::Path, p: &Params) -> CheckOutput {
    let alloc = Allocator::default();
    let set = ModuleSet::new(&alloc, repo, Workspace::load(repo));
    let mut out = CheckOutput::default();
    let manifest = judge_manifest(&set, p, &mut out);
    let spec = HostSpec {
        entry: &p.host,
        registration: p.registration.as_deref(),
    };
    match host::load_host(&set, &spec) {
        Err(fs) => out.findings.extend(fs),
        Ok(reg) => {
            out.notes.push(host::mount_note(&set, &reg));
            judge_mounts(&set, p.mode, &reg, &mut out);
            if p.mode == Mode::Completion
                && let Some(m) = manifest
            {
                judge_consumption(&set, p, m, &reg, &mut out);
            }
        }
    }
    out
}

/// The manifest's module, when it exists and exports the manifest object.
struct ManifestInfo {
    module: ModId,
}

fn judge_manifest(set: &ModuleSet, p: &Params, out: &mut CheckOutput) -> Option<ManifestInfo> {
    let abs = set.repo().join(&p.manifest);
    if !abs.probe_exists() && p.mode == Mode::Baseline {
        out.notes.push(format!(
            "{} does not exist yet: the baseline does not require it (it arrives with A4); the completion mode does",
            p.manifest
        ));
        return None;
    }
    if !abs.probe_exists() {
        out.findings.push(
            Finding::error(
                "manifest-missing",
                p.manifest.clone(),
                0,
                0,
                format!("the manifest authority {} does not exist", p.manifest),
            )
            .with_help(format!(
                "create {} exporting `{}`, the canonical runtime composition",
                p.manifest, p.export
            )),
        );
        return None;
    }
    let id = match set.load(&abs) {
        Ok(id) => id,
        Err(f) => {
            out.findings.push(f);
            return None;
        }
    };
    let m = set.module(id);
    out.findings.extend(m.errors.iter().cloned());
    if m.panicked {
        return None;
    }
    let scope = Scope::module(set, id);
    let Some((decl_span, init)) = export_init(set, id, &p.export) else {
        out.findings.push(
            Finding::error(
                "manifest-export-missing",
                m.file.rel.clone(),
                0,
                0,
                format!("{} does not export `{}`", m.file.rel, p.export),
            )
            .with_help(format!("add `export const {} = {{ ... }}`", p.export)),
        );
        return None;
    };
    let Some(init) = init else {
        out.findings.push(finding_at(
            set,
            id,
            decl_span,
            "manifest-not-object",
            format!("`{}` has no value", p.export),
        ));
        return None;
    };
    let Some((obj_mod, obj)) = object_of(set, &scope, init) else {
        out.findings.push(finding_at(
            set,
            id,
            init.span(),
            "manifest-not-object",
            format!("`{}` is not an object literal the gate can read", p.export),
        ));
        return None;
    };
    if p.mode == Mode::Completion {
        let before = out.findings.len();
        for seam in SEAMS {
            judge_seam(set, p, id, obj_mod, obj, seam, out);
        }
        // A missing parent (`workflows`) is reported once, not once per seam below it.
        let mut seen = std::collections::HashSet::new();
        let mut i = before;
        while i < out.findings.len() {
            let f = &out.findings[i];
            if seen.insert((f.line, f.col, f.rule.clone(), f.message.clone())) {
                i += 1;
            } else {
                out.findings.remove(i);
            }
        }
    }
    Some(ManifestInfo { module: id })
}

/// The declaration and initializer of the module's export `export` (a `const` in it).
fn export_init<'a>(
    set: &ModuleSet<'a>,
    module: ModId,
    export: &str,
) -> Option<(Span, Option<&'a Expression<'a>>)> {
    let program = set.module(module).program;
    let local = local_name_of_export(program, export)?;
    match calls::declared_in(&program.body, &local)? {
        Decl::Var {
            declarator, init, ..
        } => Some((declarator.span, init)),
        Decl::Function(f) => Some((f.span, None)),
    }
}

fn judge_seam<'a>(
    set: &ModuleSet<'a>,
    p: &Params,
    manifest: ModId,
    root_mod: ModId,
    root: &'a ObjectExpression<'a>,
    seam: &[&str],
    out: &mut CheckOutput,
) {
    let (mut cur_mod, mut cur) = (root_mod, root);
    let label = |n: usize| format!("{}.{}", p.export, seam[..n].join("."));
    for (i, key) in seam.iter().enumerate() {
        let Some((_, value)) = object_property(cur, key) else {
            out.findings.push(
                finding_at(
                    set,
                    cur_mod,
                    cur.span,
                    "manifest-seam-missing",
                    format!("{} is not declared", label(i + 1)),
                )
                .with_help(format!("declare `{}` in the manifest", seam[i..].join("."))),
            );
            return;
        };
        if i + 1 == seam.len() {
            if *key == "capabilities" {
                let scope = Scope::module(set, cur_mod);
                judge_capabilities(set, p, &scope, value, out);
            }
            return;
        }
        let scope = Scope::module(set, cur_mod);
        match object_of(set, &scope, value) {
            Some((m, o)) => {
                cur_mod = m;
                cur = o;
            }
            None => {
                out.findings.push(finding_at(
                    set,
                    cur_mod,
                    value.span(),
                    "manifest-seam-missing",
                    format!(
                        "{} is not an object literal, so {} cannot be shown to be declared",
                        label(i + 1),
                        label(seam.len())
                    ),
                ));
                return;
            }
        }
    }
    let _ = manifest;
}

fn judge_capabilities<'a>(
    set: &ModuleSet<'a>,
    p: &Params,
    scope: &Scope<'a>,
    value: &'a Expression<'a>,
    out: &mut CheckOutput,
) {
    let Some((m, obj)) = object_of(set, scope, value) else {
        out.findings.push(finding_at(
            set,
            scope.module,
            value.span(),
            "capabilities-not-object",
            format!(
                "{}.workflows.capabilities is not an object literal of capabilities",
                p.export
            ),
        ));
        return;
    };
    let cap_scope = Scope::module(set, m);
    let mut seen: Vec<(String, String)> = Vec::new();
    let mut count = 0;
    for prop in &obj.properties {
        let oxc_ast::ast::ObjectPropertyKind::ObjectProperty(prop) = prop else {
            out.findings.push(finding_at(
                set,
                m,
                prop.span(),
                "capabilities-not-object",
                "a spread in workflows.capabilities hides which capabilities are declared",
            ));
            continue;
        };
        let Some(cap) = calls::property_key_name(&prop.key) else {
            continue;
        };
        count += 1;
        let Some((pm, pobj)) = object_of(set, &cap_scope, &prop.value) else {
            out.findings.push(finding_at(
                set,
                m,
                prop.value.span(),
                "capability-path-prefix-missing",
                format!("capability `{cap}` is not an object with a `pathPrefix`"),
            ));
            continue;
        };
        let Some((_, prefix_expr)) = object_property(pobj, "pathPrefix") else {
            out.findings.push(finding_at(
                set,
                m,
                prop.key.span(),
                "capability-path-prefix-missing",
                format!("capability `{cap}` declares no `pathPrefix`"),
            ));
            continue;
        };
        let Some(prefix) = const_string(set, &Scope::module(set, pm), prefix_expr) else {
            out.findings.push(finding_at(
                set,
                pm,
                prefix_expr.span(),
                "capability-path-prefix-invalid",
                format!("capability `{cap}`: `pathPrefix` is not a constant string"),
            ));
            continue;
        };
        // Either the full path (`/api/workflows/<cap>`) or the part below `/api/workflows`
        // (`/<cap>`): one non-empty segment, no wildcard.
        let segment = prefix
            .strip_prefix("/api/workflows/")
            .or_else(|| prefix.strip_prefix('/'))
            .unwrap_or("")
            .trim_end_matches('/');
        if segment.is_empty() || segment.contains('/') || segment.contains('*') {
            out.findings.push(finding_at(
                set,
                pm,
                prefix_expr.span(),
                "capability-path-prefix-invalid",
                format!(
                    "capability `{cap}`: pathPrefix {prefix:?} is neither `/api/workflows/<segment>` nor `/<segment>`"
                ),
            ));
            continue;
        }
        if let Some((other, _)) = seen.iter().find(|(_, pre)| *pre == prefix) {
            out.findings.push(finding_at(
                set,
                pm,
                prefix_expr.span(),
                "capability-path-prefix-invalid",
                format!("capabilities `{other}` and `{cap}` share the pathPrefix {prefix:?}"),
            ));
        }
        seen.push((cap, prefix));
    }
    if count == 0 {
        out.findings.push(finding_at(
            set,
            m,
            obj.span,
            "capabilities-empty",
            format!("{}.workflows.capabilities declares no capability", p.export),
        ));
    }
}

fn judge_mounts(set: &ModuleSet, mode: Mode, reg: &Registration, out: &mut CheckOutput) {
    let mut required = vec![Family::Inngest, Family::Rpc, Family::Orpc];
    if mode == Mode::Completion {
        required.insert(1, Family::Workflows);
    }
    for fam in required {
        let mounts: Vec<&host::Mount> = reg
            .mounts
            .iter()
            .filter(|m| m.method != "use" && m.family() == Some(fam))
            .collect();
        if mounts.iter().any(|m| !m.conditional) {
            continue;
        }
        // Mounted only where a condition holds (`if (flag) app.all(…)`, after
        // `if (!enabled) return app;`): the host may start without the family.
        if let Some(m) = mounts.first() {
            out.findings.push(
                finding_at(
                    set,
                    m.module,
                    m.pos,
                    "mount-conditional",
                    format!(
                        "`{}` mounts {} only under a condition (a branch, `&&`/`||`/`?:`, a `catch`, or after an early `return`)",
                        reg.name,
                        fam.label()
                    ),
                )
                .with_help("mount every route family unconditionally; a host started without it fails its callers"),
            );
        } else {
            out.findings.push(
                finding_at(
                    set,
                    reg.module,
                    reg.span,
                    "mount-missing",
                    format!(
                        "`{}` does not mount {} (no route-registration call for it runs)",
                        reg.name,
                        fam.label()
                    ),
                )
                .with_help("mount the family with a route-registration call; a constant listing the path is not a mount"),
            );
        }
    }
}

fn judge_consumption<'a>(
    set: &ModuleSet<'a>,
    p: &Params,
    manifest: ManifestInfo,
    reg: &Registration<'a>,
    out: &mut CheckOutput,
) {
    let reg_span = body_span(reg.body);
    let bodies = reachable_bodies(set, reg.body, &reg.scope, reg_span);
    let imported = bodies.iter().any(|(_, s, _)| {
        !host::manifest_imports(set, s.module, manifest.module, &p.export).is_empty()
    });
    if !imported {
        out.findings.push(
            finding_at(
                set,
                reg.module,
                reg.span,
                "manifest-not-imported",
                format!(
                    "the host does not import `{}` from {} where it registers routes",
                    p.export, p.manifest
                ),
            )
            .with_help(format!(
                "import {{ {} }} from the manifest module",
                p.export
            )),
        );
        // Seam reads and capability routing cannot be shown without the import.
        judge_local_composition(set, manifest.module, &bodies, out);
        return;
    }
    let reads = manifest_reads(
        set,
        manifest.module,
        &p.export,
        reg.body,
        &reg.scope,
        &Vec::new(),
    );
    for seam in SEAMS {
        let hit = reads.iter().any(|r| {
            r.path.len() >= seam.len() && r.path.iter().zip(seam.iter()).all(|(a, b)| a == b)
        });
        if !hit {
            out.findings.push(
                finding_at(
                    set,
                    reg.module,
                    reg.span,
                    "seam-not-consumed",
                    format!("`{}` never reads {}.{}", reg.name, p.export, seam.join(".")),
                )
                .with_help("take the seam from the manifest where the routes are registered"),
            );
        }
    }
    judge_local_composition(set, manifest.module, &bodies, out);
    // Capability routing: a workflows mount's handler reads workflows.capabilities.
    for m in reg
        .mounts
        .iter()
        .filter(|m| m.method != "use" && m.family() == Some(Family::Workflows))
    {
        let mut spans: Vec<(ModId, Span)> = vec![(m.module, m.call.span)];
        for h in &m.handlers {
            if let Some((f, s)) = handler_fn(set, m, h) {
                for (_, bs, sp) in reachable_bodies(set, f.body, &s, f.span) {
                    spans.push((bs.module, sp));
                }
            }
        }
        let routed = reads.iter().any(|r| {
            r.path.len() >= 2
                && r.path[0] == "workflows"
                && r.path[1] == "capabilities"
                && spans.iter().any(|(md, sp)| {
                    *md == r.module && sp.start <= r.span.start && r.span.end <= sp.end
                })
        }) || handler_reads_capabilities(set, p, manifest.module, m);
        if !routed {
            out.findings.push(
                finding_at(
                    set,
                    m.module,
                    m.pos,
                    "capability-routing-not-from-manifest",
                    format!(
                        "the handler of {} does not resolve the capability from {}.workflows.capabilities",
                        m.path.as_deref().unwrap_or("this mount"),
                        p.export
                    ),
                )
                .with_help("look the capability up in rawrHqManifest.workflows.capabilities and answer 404 when it is not declared"),
            );
        }
    }
}

/// Reads of `workflows.capabilities` made by a workflow mount's handlers when they are
/// followed with the aliases of the registration scope.
fn handler_reads_capabilities<'a>(
    set: &ModuleSet<'a>,
    p: &Params,
    manifest: ModId,
    m: &host::Mount<'a>,
) -> bool {
    m.handlers.iter().any(|h| {
        handler_fn(set, m, h).is_some_and(|(f, s)| {
            manifest_reads(set, manifest, &p.export, f.body, &s, &Vec::new())
                .iter()
                .any(|r| {
                    r.path.len() >= 2 && r.path[0] == "workflows" && r.path[1] == "capabilities"
                })
        })
    })
}

/// The callables the manifest imports and calls to compose its seams, by identity.
fn composition_primitives(set: &ModuleSet, manifest: ModId) -> Vec<(String, String)> {
    let m = set.module(manifest);
    let scope = Scope::module(set, manifest);
    let nodes = calls::nodes_of_body(calls::Body::Block(&m.program.body), true);
    let mut out = Vec::new();
    for k in &nodes {
        let callee = match k {
            oxc_ast::AstKind::CallExpression(c) => &c.callee,
            oxc_ast::AstKind::NewExpression(n) => &n.callee,
            _ => continue,
        };
        let Expression::Identifier(id) = callee.get_inner_expression() else {
            continue;
        };
        if set.import_of(manifest, &id.name).is_none() {
            continue;
        }
        if let Some(ident) = identity(set, &scope, &id.name)
            && !out.iter().any(|(i, _)| *i == ident)
        {
            out.push((ident, id.name.to_string()));
        }
    }
    out
}

/// A stable identity for what a name denotes (the same function imported under two names
/// in two modules has one identity).
fn identity<'a>(set: &ModuleSet<'a>, scope: &Scope<'a>, name: &str) -> Option<String> {
    Some(match scope.resolve(set, name)? {
        Binding::Decl { module, decl } => {
            let span = match decl {
                Decl::Function(f) => f.span,
                Decl::Var { declarator, .. } => declarator.span,
            };
            format!("decl:{module}:{}", span.start)
        }
        Binding::Import(ImportTarget::External { specifier, export }) => {
            format!("ext:{specifier}#{export}")
        }
        Binding::Import(ImportTarget::Module { id, export }) => format!("mod:{id}#{export}"),
        _ => return None,
    })
}

fn judge_local_composition<'a>(
    set: &ModuleSet<'a>,
    manifest: ModId,
    bodies: &[(calls::Body<'a>, Scope<'a>, Span)],
    out: &mut CheckOutput,
) {
    let primitives = composition_primitives(set, manifest);
    if primitives.is_empty() {
        return;
    }
    let mut reported = std::collections::HashSet::new();
    // Dead fallbacks do not run, and neither does what only they call.
    let dead = dead_fallbacks(set, bodies);
    let live = live_bodies(set, bodies, &dead);
    let bodies = live.as_slice();
    // The bodies the registration reaches, and the top level of every module they are in
    // (a bundle composed at module level is composed locally too).
    let mut all: Vec<(calls::Body<'a>, Scope<'a>, bool)> = bodies
        .iter()
        .map(|(b, s, _)| (*b, s.clone(), true))
        .collect();
    let mut modules: Vec<ModId> = bodies.iter().map(|(_, s, _)| s.module).collect();
    modules.sort_unstable();
    modules.dedup();
    for m in modules {
        let program = set.module(m).program;
        all.push((
            calls::Body::Block(&program.body),
            Scope::module(set, m),
            false,
        ));
    }
    for (b, s, nested) in &all {
        if s.module == manifest {
            continue;
        }
        for k in calls::nodes_of_body(*b, *nested) {
            let (callee, span) = match k {
                oxc_ast::AstKind::CallExpression(c) => (&c.callee, c.span),
                oxc_ast::AstKind::NewExpression(n) => (&n.callee, n.span),
                _ => continue,
            };
            let Expression::Identifier(id) = callee.get_inner_expression() else {
                continue;
            };
            let Some(ident) = identity(set, s, &id.name) else {
                continue;
            };
            if dead
                .iter()
                .any(|(m, d)| *m == s.module && d.start <= span.start && span.end <= d.end)
            {
                continue;
            }
            if let Some((_, mname)) = primitives.iter().find(|(i, _)| *i == ident)
                && reported.insert((s.module, span.start))
            {
                out.findings.push(
                        finding_at(
                            set,
                            s.module,
                            span,
                            "host-composes-seam-locally",
                            format!(
                                "the host calls `{}` itself, which the manifest uses (as `{mname}`) to compose a seam",
                                id.name
                            ),
                        )
                        .with_help("take the composed seam from rawrHqManifest instead of building it in the host"),
                    );
            }
        }
    }
}

/// A call reached from the registration: the callee's identity, the caller's scope, the
/// arguments and the callee.
type CallSite<'a> = (
    (ModId, u32),
    Scope<'a>,
    &'a oxc_allocator::Vec<'a, oxc_ast::ast::Argument<'a>>,
    calls::FnRef<'a>,
);

/// The right operands of `param.member ?? <expr>` (or `||`) in the functions the registration
/// reaches whose every call, from the bodies the registration reaches, passes `member`: those
/// fallbacks never run, so what they compose is not local composition. A call that omits the
/// member, passes something the analysis cannot read as an object literal, or spreads
/// another object without naming the member keeps the fallback live. The registration
/// function itself is called from outside the walk, so its own fallbacks stay live.
fn dead_fallbacks<'a>(
    set: &ModuleSet<'a>,
    bodies: &[(calls::Body<'a>, Scope<'a>, Span)],
) -> Vec<(ModId, Span)> {
    use oxc_syntax::operator::LogicalOperator;
    let mut dead = Vec::new();
    // Every call in the reached bodies that resolves to a function of the walk, with that
    // function's identity: (module, function span start) → the calls' (scope, arguments).
    let mut callers: Vec<CallSite<'a>> = Vec::new();
    for (b, s, _) in bodies {
        for call in calls::calls(&calls::nodes_of_body(*b, true)) {
            let Expression::Identifier(id) = call.callee.get_inner_expression() else {
                continue;
            };
            if let Some(f) = s.resolve_function_ref(set, id) {
                callers.push(((f.module, f.span.start), s.clone(), &call.arguments, f));
            }
        }
    }
    for (b, s, fspan) in bodies.iter().skip(1) {
        let Some(frame) = s.frames.first() else {
            continue;
        };
        let key = (s.module, fspan.start);
        let sites: Vec<_> = callers.iter().filter(|(k, ..)| *k == key).collect();
        let Some((_, _, _, f)) = sites.first() else {
            continue;
        };
        let names = f.param_names();
        for k in calls::nodes_of_body(*b, true) {
            let oxc_ast::AstKind::LogicalExpression(l) = k else {
                continue;
            };
            if !matches!(l.operator, LogicalOperator::Coalesce | LogicalOperator::Or) {
                continue;
            }
            let Some((base, path)) = calls::member_chain(&l.left) else {
                continue;
            };
            if path.len() != 1 || !frame.params.contains(&base) {
                continue;
            }
            let Some(index) = names
                .iter()
                .position(|n| n.as_deref() == Some(base.as_str()))
            else {
                continue;
            };
            let passes = |(_, cs, args, _): &&CallSite<'a>| {
                let Some(arg) = args.get(index).and_then(calls::arg_expr) else {
                    return false;
                };
                let Some((_, obj)) = calls::object_of(set, cs, arg) else {
                    return false;
                };
                match calls::object_property(obj, &path[0]) {
                    Some((_, v)) => !matches!(
                        v.get_inner_expression(),
                        Expression::Identifier(i) if i.name == "undefined"
                    ),
                    None => false,
                }
            };
            if sites.iter().all(passes) {
                dead.push((s.module, l.right.span()));
            }
        }
    }
    dead
}

/// The bodies reached from the registration (the first of `bodies`) by calls outside the
/// `dead` spans: `reachable_bodies` without the functions only a dead fallback calls.
fn live_bodies<'a>(
    set: &ModuleSet<'a>,
    bodies: &[(calls::Body<'a>, Scope<'a>, Span)],
    dead: &[(ModId, Span)],
) -> Vec<(calls::Body<'a>, Scope<'a>, Span)> {
    let Some(first) = bodies.first() else {
        return Vec::new();
    };
    if dead.is_empty() {
        return bodies.to_vec();
    }
    let mut out = vec![first.clone()];
    let mut seen = std::collections::HashSet::new();
    seen.insert((first.1.module, first.2.start));
    let mut i = 0;
    while i < out.len() && out.len() < 256 {
        let (b, s, _) = out[i].clone();
        i += 1;
        for call in calls::calls(&calls::nodes_of_body(b, true)) {
            if dead.iter().any(|(m, d)| {
                *m == s.module && d.start <= call.span.start && call.span.end <= d.end
            }) {
                continue;
            }
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

/// The declared workflow capabilities of the manifest (`<export>.workflows.capabilities`) as
/// `(capability, path below /api/workflows)` pairs, e.g. `("support", "/support")`, for the
/// route probe's declared-capability cells. Empty when the manifest is missing or cannot be
/// read that far (manifest-smoke reports why).
pub fn declared_capabilities(
    repo: &std::path::Path,
    manifest: &str,
    export: &str,
) -> Vec<(String, String)> {
    let abs = repo.join(manifest);
    if !abs.probe_is_file() {
        return Vec::new();
    }
    let alloc = Allocator::default();
    let set = ModuleSet::new(&alloc, repo, Workspace::load(repo));
    let Ok(id) = set.load(&abs) else {
        return Vec::new();
    };
    let Some((_, Some(init))) = export_init(&set, id, export) else {
        return Vec::new();
    };
    let mut cur = object_of(&set, &Scope::module(&set, id), init);
    for key in ["workflows", "capabilities"] {
        let Some((m, o)) = cur else {
            return Vec::new();
        };
        let Some((_, v)) = object_property(o, key) else {
            return Vec::new();
        };
        cur = object_of(&set, &Scope::module(&set, m), v);
    }
    let Some((m, caps)) = cur else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for prop in &caps.properties {
        let oxc_ast::ast::ObjectPropertyKind::ObjectProperty(prop) = prop else {
            continue;
        };
        let Some(cap) = calls::property_key_name(&prop.key) else {
            continue;
        };
        let Some((pm, pobj)) = object_of(&set, &Scope::module(&set, m), &prop.value) else {
            continue;
        };
        let Some((_, e)) = object_property(pobj, "pathPrefix") else {
            continue;
        };
        let Some(prefix) = const_string(&set, &Scope::module(&set, pm), e) else {
            continue;
        };
        let segment = prefix
            .strip_prefix("/api/workflows/")
            .or_else(|| prefix.strip_prefix('/'))
            .unwrap_or("")
            .trim_end_matches('/');
        if !segment.is_empty() && !segment.contains('/') && !segment.contains('*') {
            out.push((cap, format!("/{segment}")));
        }
    }
    out
}

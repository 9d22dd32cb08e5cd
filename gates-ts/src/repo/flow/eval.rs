//! Evaluation: the strings an expression navigated by some steps can be, in one module
//! ([`ModuleCx`]) with access to the others ([`Modules`]: exports followed through
//! re-exports, arguments passed by callers in other modules), and the scan roots of a
//! path-building expression.

use super::*;

/// A path as a sequence of `/`-separated segments; each segment a sequence of pieces.
#[derive(Clone, Debug)]
pub enum Piece {
    Lit(String),
    Set(Strs),
}

/// The pieces of a flattened path expression, in order (separators are `/` literals).
pub(super) type Pieces = Vec<Piece>;

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

pub(super) fn normalize_path(p: &Path) -> PathBuf {
    super::super::workspace::normalize(p)
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

    pub(super) fn eval_name(&self, name: &str, offset: u32, steps: &[Step], depth: usize) -> Strs {
        let Some(b) = self.binding_at(name, offset) else {
            return Strs::unresolved();
        };
        self.eval_binding(b, steps, depth)
    }

    pub(super) fn eval_binding(&self, b: &'a Binding<'a>, steps: &[Step], depth: usize) -> Strs {
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

    pub(super) fn eval_call(
        &self,
        c: &'a CallExpression<'a>,
        steps: &[Step],
        depth: usize,
    ) -> Strs {
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
    pub(super) fn keeps(
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

    pub(super) fn ends_in_plugins(&self, e: &'a Expression<'a>, depth: usize) -> bool {
        let segs = segments(&self.flatten(e, depth + 1));
        matches!(segs.last(), Some(s) if s.len() == 1 && matches!(&s[0], Piece::Lit(l) if l == PLUGINS_SEGMENT))
    }

    /// Whether `callee` is a path-joining function (`path.join`, `join` from `node:path`, …).
    pub(super) fn is_path_join(&self, callee: &'a Expression<'a>) -> bool {
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

    /// A template's pieces: its cooked quasis as literals, its expressions flattened at `depth`.
    fn flatten_template(&self, t: &'a oxc_ast::ast::TemplateLiteral<'a>, depth: usize) -> Pieces {
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
                out.extend(self.flatten(x, depth));
            }
        }
        out
    }

    /// `a + b`: the pieces of both sides, flattened at `depth`.
    fn flatten_concat(&self, b: &'a oxc_ast::ast::BinaryExpression<'a>, depth: usize) -> Pieces {
        let mut out = self.flatten(&b.left, depth);
        out.extend(self.flatten(&b.right, depth));
        out
    }

    /// Flattens a path expression into pieces (`/` separators as literals).
    pub fn flatten(&self, e: &'a Expression<'a>, depth: usize) -> Pieces {
        if depth > MAX_DEPTH {
            return vec![Piece::Set(Strs::unresolved())];
        }
        let e = e.get_inner_expression();
        match e {
            Expression::StringLiteral(s) => vec![Piece::Lit(s.value.to_string())],
            Expression::TemplateLiteral(t) => self.flatten_template(t, depth + 1),
            Expression::BinaryExpression(b) if b.operator == BinaryOperator::Addition => {
                self.flatten_concat(b, depth + 1)
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

    pub(super) fn join_pieces(
        &self,
        args: impl Iterator<Item = &'a Expression<'a>>,
        depth: usize,
    ) -> Pieces {
        let mut out = Vec::new();
        for (i, a) in args.enumerate() {
            if i > 0 {
                out.push(Piece::Lit("/".into()));
            }
            out.extend(self.flatten(a, depth + 1));
        }
        out
    }

    pub(super) fn value_piece(&self, e: &'a Expression<'a>, depth: usize) -> Pieces {
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
            PathBuild::Template(t) => self.flatten_template(t, 1),
            PathBuild::Concat(bin) => self.flatten_concat(bin, 1),
            PathBuild::Glob(s) => vec![Piece::Lit(s.value.to_string())],
        };
        self.scan_roots_of(pieces)
    }

    pub(super) fn flatten_call(&self, c: &'a CallExpression<'a>) -> Pieces {
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

    pub(super) fn scan_roots_of(&self, pieces: Pieces) -> Option<Strs> {
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

/// The parameter name and the returned expression of a one-expression predicate:
/// `(r) => expr`, `function (r) { return expr; }`.
pub(super) fn predicate<'a>(f: &'a Expression<'a>) -> Option<(&'a str, &'a Expression<'a>)> {
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
pub(super) fn simple_param<'a>(params: &'a FormalParameters<'a>) -> Option<&'a str> {
    match &params.items.first()?.pattern {
        BindingPattern::BindingIdentifier(id) => Some(id.name.as_str()),
        _ => None,
    }
}

pub(super) fn is_array_join(c: &CallExpression) -> bool {
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

pub(super) fn static_key(k: &PropertyKey, computed: bool) -> Option<String> {
    if computed {
        return match k.as_expression()?.get_inner_expression() {
            Expression::StringLiteral(s) => Some(s.value.to_string()),
            _ => None,
        };
    }
    k.static_name().map(|s| s.to_string())
}

pub(super) fn concat(a: &[Step], b: &[Step]) -> Vec<Step> {
    let mut v = a.to_vec();
    v.extend_from_slice(b);
    v
}

/// Splits pieces into `/`-separated segments (empty segments dropped).
pub(super) fn segments(pieces: &[Piece]) -> Vec<Vec<Piece>> {
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

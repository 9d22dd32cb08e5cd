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

use super::ts::{self, ImportKind};
use super::workspace::{Resolution, Workspace};
use crate::finding::Finding;
use crate::fs::source::{self, SourceFile};

use oxc_span::GetSpan;

/// Evaluation gives up beyond this depth (cycles such as `a = b; b = a`).
const MAX_DEPTH: usize = 24;

mod eval;
mod facts;
mod forwarding;
mod values;

pub use eval::*;
pub use facts::*;
pub use forwarding::*;
pub use values::*;

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

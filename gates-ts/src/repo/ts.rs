//! TypeScript and JavaScript parsing with positions (oxc), and the module's static imports
//! and re-exports, which the checks follow to judge what a module really does.

use oxc_allocator::Allocator;
use oxc_ast::ast::{ImportDeclarationSpecifier, ModuleDeclaration, Program, Statement};
use oxc_parser::Parser;
use oxc_span::SourceType;

use crate::finding::Finding;
use crate::fs::source::SourceFile;

/// A parsed module. Syntax errors are kept as positioned findings (rule `syntax-error`);
/// the program is still usable when the parser could recover.
pub struct Parsed<'a> {
    pub program: Program<'a>,
    pub errors: Vec<Finding>,
    /// The parser gave up: the program is empty and must not be judged.
    pub panicked: bool,
}

/// The dialect of a file, from its extension (TypeScript when the extension is unknown).
pub fn source_type(path: &std::path::Path) -> SourceType {
    SourceType::from_path(path).unwrap_or_else(|_| SourceType::ts())
}

/// The parser's diagnostics as `syntax-error` findings at their first label.
pub fn syntax_errors(file: &SourceFile, parsed: &oxc_parser::ParserReturn<'_>) -> Vec<Finding> {
    parsed
        .diagnostics
        .iter()
        .map(|d| {
            let offset = d.labels.first().map(|l| l.offset() as usize).unwrap_or(0);
            file.finding_at(
                "syntax-error",
                offset,
                format!("syntax error: {}", d.message),
            )
        })
        .collect()
}

/// Parses `file` as TypeScript/JavaScript, choosing the dialect from its extension (files
/// of unknown extension are parsed as TypeScript).
pub fn parse<'a>(alloc: &'a Allocator, file: &'a SourceFile) -> Parsed<'a> {
    let ret = Parser::new(alloc, &file.text, source_type(&file.path)).parse();
    let errors = syntax_errors(file, &ret);
    Parsed {
        program: ret.program,
        errors,
        panicked: ret.panicked,
    }
}

/// How a module refers to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportKind {
    /// `import ... from "x"` (including `import "x"`).
    Import,
    /// `export { a, b as c } from "x"`.
    ReExport,
    /// `export * from "x"` / `export * as ns from "x"`.
    ExportAll,
}

/// One name brought in or passed through by an import/re-export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportedName {
    /// The name in the source module (`default`, `*` for a namespace, or the export name).
    pub imported: String,
    /// The name in this module (the local binding for imports, the exported name for
    /// re-exports).
    pub local: String,
    /// Byte offset of the specifier.
    pub offset: usize,
}

/// A static import or re-export of this module.
#[derive(Clone, Debug)]
pub struct ModuleRef {
    pub kind: ImportKind,
    pub specifier: String,
    /// Byte offset of the statement.
    pub offset: usize,
    pub names: Vec<ImportedName>,
    /// `import type` / `export type`: erased at runtime.
    pub type_only: bool,
}

/// The static imports and re-exports of a program, in source order.
pub fn module_refs(program: &Program) -> Vec<ModuleRef> {
    let mut out = Vec::new();
    for stmt in &program.body {
        let Some(decl) = stmt.as_module_declaration() else {
            continue;
        };
        match decl {
            ModuleDeclaration::ImportDeclaration(d) => {
                let names = d
                    .specifiers
                    .iter()
                    .flatten()
                    .map(|s| match s {
                        ImportDeclarationSpecifier::ImportSpecifier(s) => ImportedName {
                            imported: s.imported.name().to_string(),
                            local: s.local.name.to_string(),
                            offset: s.span.start as usize,
                        },
                        ImportDeclarationSpecifier::ImportDefaultSpecifier(s) => ImportedName {
                            imported: "default".into(),
                            local: s.local.name.to_string(),
                            offset: s.span.start as usize,
                        },
                        ImportDeclarationSpecifier::ImportNamespaceSpecifier(s) => ImportedName {
                            imported: "*".into(),
                            local: s.local.name.to_string(),
                            offset: s.span.start as usize,
                        },
                    })
                    .collect();
                out.push(ModuleRef {
                    kind: ImportKind::Import,
                    specifier: d.source.value.to_string(),
                    offset: d.span.start as usize,
                    names,
                    type_only: d.import_kind.is_type(),
                });
            }
            ModuleDeclaration::ExportFromDeclaration(d) => out.push(ModuleRef {
                kind: ImportKind::ReExport,
                specifier: d.source.value.to_string(),
                offset: d.span.start as usize,
                names: d
                    .specifiers
                    .iter()
                    .map(|s| ImportedName {
                        imported: s.local.name().to_string(),
                        local: s.exported.name().to_string(),
                        offset: s.span.start as usize,
                    })
                    .collect(),
                type_only: d.export_kind.is_type(),
            }),
            ModuleDeclaration::ExportAllDeclaration(d) => out.push(ModuleRef {
                kind: ImportKind::ExportAll,
                specifier: d.source.value.to_string(),
                offset: d.span.start as usize,
                names: d
                    .exported
                    .iter()
                    .map(|e| ImportedName {
                        imported: "*".into(),
                        local: e.name().to_string(),
                        offset: d.span.start as usize,
                    })
                    .collect(),
                type_only: false,
            }),
            _ => {}
        }
    }
    out
}

/// Whether a statement is a module declaration (import/export).
pub fn is_module_statement(stmt: &Statement) -> bool {
    stmt.as_module_declaration().is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str) -> SourceFile {
        SourceFile::new("m.ts".into(), "m.ts".into(), text.into(), false)
    }

    #[test]
    fn collects_imports_and_reexports() {
        let f = file(
            "import { a, b as c } from './x';\nimport type { T } from \"@s/p/sub\";\nexport { d as e } from '../y';\nexport * from 'z';\nimport D, * as N from 'w';\n",
        );
        let alloc = Allocator::default();
        let p = parse(&alloc, &f);
        assert!(p.errors.is_empty());
        let refs = module_refs(&p.program);
        let summary: Vec<_> = refs
            .iter()
            .map(|r| {
                (
                    r.kind,
                    r.specifier.as_str(),
                    r.type_only,
                    r.names
                        .iter()
                        .map(|n| format!("{}>{}", n.imported, n.local))
                        .collect::<Vec<_>>(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (
                    ImportKind::Import,
                    "./x",
                    false,
                    vec!["a>a".to_string(), "b>c".into()]
                ),
                (ImportKind::Import, "@s/p/sub", true, vec!["T>T".into()]),
                (ImportKind::ReExport, "../y", false, vec!["d>e".into()]),
                (ImportKind::ExportAll, "z", false, vec![]),
                (
                    ImportKind::Import,
                    "w",
                    false,
                    vec!["default>D".into(), "*>N".into()]
                ),
            ]
        );
    }

    #[test]
    fn syntax_errors_are_positioned_findings() {
        let f = file("const a = 1;\nconst = ;\n");
        let alloc = Allocator::default();
        let p = parse(&alloc, &f);
        assert_eq!(p.errors.len(), 1, "{:?}", p.errors);
        assert_eq!(
            (p.errors[0].rule.as_str(), p.errors[0].line, p.errors[0].col),
            ("syntax-error", 2, 7)
        );
    }
}

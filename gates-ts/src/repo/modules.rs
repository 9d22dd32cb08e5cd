//! A lazily loaded set of the target's TypeScript modules, parsed into one arena, so a check
//! can follow a call from one module into the function it names in another.
//!
//! Every module is read with [`source::read`](crate::fs::source::read) (inside the repository, no
//! binary or huge files) and parsed once. The arena outlives every module, so AST references
//! handed out by [`ModuleSet::module`] live as long as the set itself; that is what lets the
//! analysis in [`calls`](super::calls) keep references to functions of several modules at once.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use oxc_allocator::Allocator;
use oxc_ast::ast::Program;
use oxc_parser::Parser;
use oxc_semantic::{Semantic, SemanticBuilder};

use super::ts::{self, ImportKind, ModuleRef};
use super::workspace::{Resolution, Workspace};
use crate::finding::Finding;
use crate::fs::source::{self, SourceFile};

/// Index of a module in its [`ModuleSet`].
pub type ModId = usize;

/// One parsed module.
#[derive(Clone)]
pub struct Module<'a> {
    pub id: ModId,
    pub file: Rc<SourceFile>,
    pub program: &'a Program<'a>,
    /// Syntax errors (rule `syntax-error`), positioned.
    pub errors: Rc<Vec<Finding>>,
    /// The parser gave up: the program is empty and must not be judged.
    pub panicked: bool,
    pub refs: Rc<Vec<ModuleRef>>,
    /// Its scopes, symbols and references (`oxc_semantic`): what each name denotes.
    pub semantic: Rc<Semantic<'a>>,
}

/// What an imported binding refers to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ImportTarget {
    /// An export of a module of the target (`export` is `default`, `*` for a namespace, or a name).
    Module { id: ModId, export: String },
    /// An export of a package that is not part of the workspace (e.g. `node:crypto`).
    External { specifier: String, export: String },
    /// A relative or workspace import that leads nowhere, or a module that cannot be read.
    Unresolved { specifier: String },
}

/// The modules of one target, loaded on demand.
pub struct ModuleSet<'a> {
    alloc: &'a Allocator,
    repo: PathBuf,
    workspace: Workspace,
    modules: RefCell<Vec<Module<'a>>>,
    by_path: RefCell<HashMap<PathBuf, Result<ModId, Finding>>>,
}

impl<'a> ModuleSet<'a> {
    pub fn new(alloc: &'a Allocator, repo: &Path, workspace: Workspace) -> Self {
        ModuleSet {
            alloc,
            // Canonical, so module paths (canonical too) are reported relative to it.
            repo: gates_core::fs::probe::canonicalize(repo).unwrap_or_else(|_| repo.to_path_buf()),
            workspace,
            modules: RefCell::new(Vec::new()),
            by_path: RefCell::new(HashMap::new()),
        }
    }

    pub fn repo(&self) -> &Path {
        &self.repo
    }

    pub fn workspace(&self) -> &Workspace {
        &self.workspace
    }

    /// Loads (once) and parses the module at `abs`. An unreadable file gives its positioned
    /// `unreadable-file` finding.
    pub fn load(&self, abs: &Path) -> Result<ModId, Finding> {
        let key = gates_core::fs::probe::canonicalize(abs).unwrap_or_else(|_| abs.to_path_buf());
        if let Some(r) = self.by_path.borrow().get(&key) {
            return r.clone();
        }
        // Read through the canonical directory but the file's own name, so a symlinked file
        // is still judged (and refused) as the repository path that names it.
        let named = match (
            abs.parent()
                .and_then(|d| gates_core::fs::probe::canonicalize(d).ok()),
            abs.file_name(),
        ) {
            (Some(dir), Some(name)) => dir.join(name),
            _ => abs.to_path_buf(),
        };
        let result = match source::read(&self.repo, &named) {
            Err(e) => Err(e.finding),
            Ok(file) => Ok(self.parse(file)),
        };
        self.by_path.borrow_mut().insert(key, result.clone());
        result
    }

    fn parse(&self, file: SourceFile) -> ModId {
        let text: &'a str = self.alloc.alloc_str(&file.text);
        let ret = Parser::new(self.alloc, text, ts::source_type(&file.path)).parse();
        let errors = ts::syntax_errors(&file, &ret);
        let panicked = ret.panicked;
        let program: &'a Program<'a> = self.alloc.alloc(ret.program);
        let refs = ts::module_refs(program);
        let semantic = SemanticBuilder::new()
            .with_build_nodes(true)
            .build(program)
            .semantic;
        let mut modules = self.modules.borrow_mut();
        let id = modules.len();
        modules.push(Module {
            id,
            file: Rc::new(file),
            program,
            errors: Rc::new(errors),
            panicked,
            refs: Rc::new(refs),
            semantic: Rc::new(semantic),
        });
        id
    }

    /// The module with this id (cheap: the parts are shared).
    pub fn module(&self, id: ModId) -> Module<'a> {
        self.modules.borrow()[id].clone()
    }

    /// Every module loaded so far, in load order.
    pub fn loaded(&self) -> Vec<Module<'a>> {
        self.modules.borrow().clone()
    }

    /// Resolves `specifier` as imported by module `from` and loads the module it names.
    pub fn resolve_specifier(&self, from: ModId, specifier: &str) -> Result<ModId, ImportTarget> {
        let path = self.module(from).file.path.clone();
        match self.workspace.resolve(&path, specifier) {
            Resolution::File(p) => self.load(&p).map_err(|_| ImportTarget::Unresolved {
                specifier: specifier.to_string(),
            }),
            Resolution::External(s) => Err(ImportTarget::External {
                specifier: s,
                export: String::new(),
            }),
            Resolution::NotFound(_) => Err(ImportTarget::Unresolved {
                specifier: specifier.to_string(),
            }),
        }
    }

    /// What the local binding `local` of module `from` imports, if it is an import binding
    /// (type-only imports are ignored: they do not exist at runtime).
    pub fn import_of(&self, from: ModId, local: &str) -> Option<ImportTarget> {
        let m = self.module(from);
        for r in m
            .refs
            .iter()
            .filter(|r| r.kind == ImportKind::Import && !r.type_only)
        {
            if let Some(n) = r.names.iter().find(|n| n.local == local) {
                return Some(match self.resolve_specifier(from, &r.specifier) {
                    Ok(id) => ImportTarget::Module {
                        id,
                        export: n.imported.clone(),
                    },
                    Err(ImportTarget::External { specifier, .. }) => ImportTarget::External {
                        specifier,
                        export: n.imported.clone(),
                    },
                    Err(other) => other,
                });
            }
        }
        None
    }

    /// Follows re-exports (`export { a as b } from`, `export * from`) from `export` of module
    /// `id` to the module that declares it. Gives `(module, local name)`; `None` when the
    /// export cannot be found.
    pub fn origin_of_export(&self, id: ModId, export: &str) -> Option<(ModId, String)> {
        self.origin_inner(id, export, 0)
    }

    fn origin_inner(&self, id: ModId, export: &str, depth: usize) -> Option<(ModId, String)> {
        if depth > 16 {
            return None;
        }
        let m = self.module(id);
        if let Some(local) = super::calls::local_name_of_export(m.program, export) {
            return Some((id, local));
        }
        for r in m.refs.iter() {
            match r.kind {
                ImportKind::ReExport => {
                    if let Some(n) = r.names.iter().find(|n| n.local == export) {
                        let target = self.resolve_specifier(id, &r.specifier).ok()?;
                        return self.origin_inner(target, &n.imported, depth + 1);
                    }
                }
                ImportKind::ExportAll if r.names.is_empty() && export != "default" => {
                    if let Ok(target) = self.resolve_specifier(id, &r.specifier)
                        && let Some(found) = self.origin_inner(target, export, depth + 1)
                    {
                        return Some(found);
                    }
                }
                _ => {}
            }
        }
        // An imported binding re-exported by name: `import { a } from "x"; export { a };`.
        None
    }
}

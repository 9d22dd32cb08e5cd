//! The library is built in layers (docs/architecture.md): each top-level module of
//! `gates-core/src`, `gates-docs/src`, `gates-ts/src` and `gates/src` may import only the modules of the layers below it, so
//! the import graph has no circle. This test reads every `crate::<module>` path in the library's code (comments
//! and the `#[cfg(test)]` tail of a file left out: tests may use anything) and fails on one
//! that points up, or on a top-level module no layer names.

use std::path::{Path, PathBuf};

/// Bottom to top. A module may import a module of a lower layer, or one listed before it
/// in its own layer.
const LAYERS: &[(&str, &[&str])] = &[
    ("vocabulary", &["text", "finding", "error"]),
    ("file access and paths", &["fs"]),
    ("processes", &["process", "git"]),
    ("repository model", &["repo", "testreport"]),
    ("run record", &["record"]),
    ("pipeline", &["pipeline", "ci"]),
    ("closure documents", &["artifacts", "packet"]),
    ("checks", &["checks", "load"]),
    ("executor", &["run"]),
    (
        "reports and tools over runs",
        &[
            "report",
            "history",
            "bench",
            "devtest",
            "fuzzing",
            "fuzz_bodies",
        ],
    ),
];

/// The position of a top-level module in the order above, with its layer's name.
fn rank(module: &str) -> Option<(usize, &'static str)> {
    LAYERS
        .iter()
        .flat_map(|(layer, mods)| mods.iter().map(move |m| (*m, *layer)))
        .enumerate()
        .find(|(_, (m, _))| *m == module)
        .map(|(i, (_, layer))| (i, layer))
}

/// The modules `crate::<module>` names in `text`, with their line numbers: comments and
/// everything from a `#[cfg(test)]` at the start of a line on are left out.
fn crate_imports(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.starts_with("#[cfg(test)]") {
            break;
        }
        let code = match line.find("//") {
            Some(p) => &line[..p],
            None => line,
        };
        let mut rest = code;
        while let Some(p) = rest.find("crate::") {
            let before = rest[..p].chars().next_back();
            rest = &rest[p + "crate::".len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue; // `my_crate::…`
            }
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                out.push((i + 1, name));
            }
        }
    }
    out
}

/// Every upward import of the file `rel` (relative to `src/`) whose text is `text`.
fn violations(rel: &str, text: &str) -> Vec<String> {
    let top = rel.split('/').next().unwrap_or(rel).trim_end_matches(".rs");
    if top == "lib" {
        return Vec::new();
    }
    let Some((own, own_layer)) = rank(top) else {
        return vec![format!(
            "{rel}: module `{top}` is in no layer (add it to LAYERS and docs/architecture.md)"
        )];
    };
    crate_imports(text)
        .into_iter()
        .filter(|(_, m)| m != top)
        .filter_map(|(line, m)| match rank(&m) {
            Some((r, _)) if r < own => None,
            Some((_, layer)) => Some(format!(
                "{rel}:{line}: `{top}` ({own_layer}) imports `crate::{m}` ({layer}), which is not below it"
            )),
            None => None, // a path such as `crate::Finding` re-exported at the root
        })
        .collect()
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn each_module_imports_only_the_layers_below_it() {
    // The layers span the four library crates: `gates-core` (the engine's base), `gates-docs`
    // and `gates-ts` (the checks, by what they read) and `gates`, which re-exports them under
    // the same module names. The order holds across all four.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut problems = Vec::new();
    let mut count = 0;
    for krate in ["gates-core", "gates-docs", "gates-ts", "gates"] {
        let src = root.join(krate).join("src");
        let mut files = Vec::new();
        rs_files(&src, &mut files);
        files.sort();
        count += files.len();
        for f in &files {
            let rel = f
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            problems.extend(
                violations(&rel, &std::fs::read_to_string(f).unwrap())
                    .into_iter()
                    .map(|p| format!("{krate}/src/{p}")),
            );
        }
    }
    assert!(count > 50, "the library's sources are found");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_core_crate_reads_no_typescript() {
    // `gates-core` exists so that it compiles while oxc does (a cold build then only has the
    // TypeScript-reading half of the library left after oxc); an oxc dependency there would
    // put it back behind oxc.
    let manifest = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../gates-core/Cargo.toml"),
    )
    .unwrap();
    let deps: Vec<&str> = manifest
        .split("[dependencies]")
        .nth(1)
        .unwrap()
        .split("\n[")
        .next()
        .unwrap()
        .lines()
        .filter_map(|l| l.split(['.', ' ', '=']).next())
        .filter(|n| !n.is_empty() && !n.starts_with('#'))
        .collect();
    assert!(deps.contains(&"serde"), "{deps:?}");
    assert!(!deps.iter().any(|d| d.starts_with("oxc")), "{deps:?}");
}

#[test]
fn an_upward_import_is_reported_with_its_line() {
    let text = "//! doc naming crate::checks\nuse crate::fs::source;\nuse crate::checks::resolve_inside;\nlet x = my_crate::run::y;\n#[cfg(test)]\nmod tests { use crate::run::x; }\n";
    assert_eq!(
        violations("repo/plugins.rs", text),
        [
            "repo/plugins.rs:3: `repo` (repository model) imports `crate::checks` (checks), which is not below it"
        ]
    );
    assert_eq!(
        violations("widgets/mod.rs", ""),
        [
            "widgets/mod.rs: module `widgets` is in no layer (add it to LAYERS and docs/architecture.md)"
        ]
    );
    // Within a layer, only a module listed earlier may be imported.
    assert_eq!(
        violations("ci/mod.rs", "use crate::pipeline::Pipeline;\n"),
        Vec::<String>::new()
    );
    assert_eq!(
        violations("pipeline/load.rs", "crate::ci::config::x();\n").len(),
        1
    );
}

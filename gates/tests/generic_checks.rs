//! The generic checks a phase's verification scripts become (`source-pattern`, `json-field`,
//! `doc-contains`): each passes on a target in the shapes the scripts check, and each way it
//! fails is an exact finding (rule, path, line, column). Bad parameters are load errors at
//! their position.

use std::path::Path;

use gates::finding::Severity;

type F = (String, String, u32, u32);

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// A pipeline with one gate `g` of `check` whose params are the TOML `params` (the lines
/// after `[gate.g.params]`), over `repo`.
fn pipeline(repo: &Path, check: &str, params: &str) -> String {
    format!(
        "[pipeline]\nname = \"k\"\n\n[target]\nrepo = {:?}\npass_root = \"spec/_pass\"\n\n[[stage]]\nnumber = 0\ntitle = \"s\"\n\n[[slice]]\nid = \"K1\"\nstage = 0\ntitle = \"one\"\nowner = \"o\"\ndepends_on = []\ngates = [\"g\"]\n\n[gate.g]\ncheck = \"{check}\"\n\n[gate.g.params]\n{params}",
        repo.to_str().unwrap()
    )
}

/// Runs gate `g` over a target holding `files`: its error findings, sorted.
fn judge(files: &[(&str, &str)], check: &str, params: &str) -> Vec<F> {
    let t = tempfile::tempdir().unwrap();
    for (f, text) in files {
        write(t.path(), f, text);
    }
    std::fs::create_dir_all(t.path().join("spec/_pass")).unwrap();
    let text = pipeline(t.path(), check, params);
    let p = gates::load::load_str(&text, &t.path().join("pipeline.toml"), t.path()).unwrap();
    let repo = std::fs::canonicalize(t.path()).unwrap();
    let res = gates::run::executor::run_gate(
        &p,
        &p.gates["g"],
        &repo,
        &repo.join("spec/_pass"),
        &std::sync::atomic::AtomicBool::new(false),
        None,
    );
    let mut v: Vec<F> = res
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| {
            (
                f.rule.clone(),
                f.path.clone().unwrap_or_default(),
                f.line,
                f.col,
            )
        })
        .collect();
    v.sort();
    v
}

fn f(rule: &str, path: &str, line: u32, col: u32) -> F {
    (rule.into(), path.into(), line, col)
}

/// The load error of a pipeline with gate `g` as `(line, col, message)`.
fn load_err(check: &str, params: &str) -> (u32, u32, String) {
    let text = pipeline(Path::new("/nonexistent"), check, params);
    match gates::load::load_str(&text, Path::new("ci/k.toml"), Path::new(".")) {
        Ok(_) => panic!("expected a load error for:\n{params}"),
        Err(e) => (e.line, e.col, e.message),
    }
}

// ---- source-pattern ----

/// An RPC module whose two handlers go through one helper that asserts the marker.
const ORPC_HELPER: &str = r#"import { Hono } from "hono";

async function handleRpcRoute({ context }) {
  assertAuthMarker(context);
  return rpcHandler.handle(context);
}

app.all("/rpc", (c) => {
  return handleRpcRoute({ context: c });
});
app.all("/rpc/*", (c) => {
  return handleRpcRoute({ context: c });
});
"#;

/// The same module with the assertion written in each handler.
const ORPC_INLINE: &str = r#"import { Hono } from "hono";

app.all("/rpc", (c) => {
  assertAuthMarker(c);
  return rpcHandler.handle(c);
});
app.all("/rpc/*", (c) => {
  assertAuthMarker(c);
  return rpcHandler.handle(c);
});
"#;

const TYPES: &str = "export type LockOptions = { wait: number };\nexport function takeLock(path: string) {\n  return mutateAtomically(path);\n}\n";

const SOURCE_PARAMS: &str = r#"exist = ["src/types.ts", "test/lock.test.ts"]

[[gate.g.params.patterns]]
files = ["src/types.ts"]
regex = 'export\s+type\s+LockOptions\s*='
message = "types.ts exports LockOptions"

[[gate.g.params.patterns]]
files = ["src/types.ts"]
regex = 'export\s+function\s+takeLock\s*\([^)]*\)\s*\{[\s\S]*?\bmutateAtomically\('

[[gate.g.params.patterns]]
files = ["src/*.ts"]
literal = '"/api/ingress"'
absent = true

[[gate.g.params.patterns]]
files = ["src/orpc.ts"]
regex = 'app\.all\(\s*"/rpc(?:/\*)?"'
count = 2

[[gate.g.params.patterns]]
files = ["src/orpc.ts"]
message = "both /rpc handlers assert the marker (inline or through the helper)"
any_of = [
  [{ literal = "assertAuthMarker(c)", min = 2 }],
  [{ regex = 'async function handleRpcRoute\([\s\S]*assertAuthMarker\(context\)' }, { literal = "handleRpcRoute({", min = 2 }],
]
"#;

fn source_files(orpc: &str) -> Vec<(&'static str, String)> {
    vec![
        ("src/types.ts", TYPES.to_string()),
        ("src/orpc.ts", orpc.to_string()),
        (
            "test/lock.test.ts",
            "it(\"locks\", () => {});\n".to_string(),
        ),
    ]
}

fn source(files: &[(&'static str, String)]) -> Vec<F> {
    let v: Vec<(&str, &str)> = files.iter().map(|(a, b)| (*a, b.as_str())).collect();
    judge(&v, "source-pattern", SOURCE_PARAMS)
}

fn replaced(
    files: &[(&'static str, String)],
    file: &str,
    old: &str,
    new: &str,
) -> Vec<(&'static str, String)> {
    files
        .iter()
        .map(|(p, t)| {
            if *p == file {
                assert!(t.contains(old), "{old:?} not in {file}");
                (*p, t.replacen(old, new, 1))
            } else {
                (*p, t.clone())
            }
        })
        .collect()
}

#[test]
fn source_pattern_passes_inline_or_through_the_helper() {
    assert_eq!(source(&source_files(ORPC_HELPER)), vec![]);
    assert_eq!(source(&source_files(ORPC_INLINE)), vec![]);
}

#[test]
fn source_pattern_reports_each_broken_promise_where_it_is() {
    let base = source_files(ORPC_HELPER);
    // A file of `exist` removed.
    let gone: Vec<_> = base
        .iter()
        .filter(|(p, _)| *p != "test/lock.test.ts")
        .cloned()
        .collect();
    assert_eq!(
        source(&gone),
        vec![f("file-missing", "test/lock.test.ts", 0, 0)]
    );
    // A required export renamed: the file, line 1.
    assert_eq!(
        source(&replaced(&base, "src/types.ts", "LockOptions", "LockOpts")),
        vec![f("pattern-missing", "src/types.ts", 1, 1)]
    );
    // The function no longer goes through the atomic helper.
    assert_eq!(
        source(&replaced(
            &base,
            "src/types.ts",
            "mutateAtomically(path)",
            "writeDirect(path)"
        )),
        vec![f("pattern-missing", "src/types.ts", 1, 1)]
    );
    // A forbidden route in any file the glob matches: at the match.
    let mut extra = base.clone();
    extra.push((
        "src/extra.ts",
        "// mounts\nconst r = app.all(\"/api/ingress\", h);\n".to_string(),
    ));
    assert_eq!(
        source(&extra),
        vec![f("pattern-forbidden", "src/extra.ts", 2, 19)]
    );
    // A third /rpc mount: at the match beyond the count.
    assert_eq!(
        source(&replaced(
            &base,
            "src/orpc.ts",
            "app.all(\"/rpc/*\"",
            "app.all(\"/rpc\", h);\napp.all(\"/rpc/*\""
        )),
        vec![f("pattern-too-many", "src/orpc.ts", 12, 1)]
    );
    // Neither the helper nor both handlers assert the marker.
    assert_eq!(
        source(&replaced(
            &base,
            "src/orpc.ts",
            "  assertAuthMarker(context);\n",
            ""
        )),
        vec![f("alternatives-unmet", "src/orpc.ts", 1, 1)]
    );
    // Inline in one handler only (the other alternative's helper is not there).
    assert_eq!(
        source(&source_files(&ORPC_INLINE.replacen(
            "  assertAuthMarker(c);\n",
            "",
            1
        ))),
        vec![f("alternatives-unmet", "src/orpc.ts", 1, 1)]
    );
    // No file matches the glob of a required pattern; a forbidding glob that matches nothing
    // breaks nothing.
    let v: Vec<(&str, &str)> = base.iter().map(|(a, b)| (*a, b.as_str())).collect();
    let params = SOURCE_PARAMS.replace(
        "files = [\"src/orpc.ts\"]\nregex",
        "files = [\"lib/*.ts\"]\nregex",
    );
    assert_eq!(
        judge(&v, "source-pattern", &params),
        vec![f("files-unmatched", "lib/*.ts", 0, 0)]
    );
    let params = SOURCE_PARAMS.replace("files = [\"src/*.ts\"]", "files = [\"lib/*.ts\"]");
    assert_eq!(judge(&v, "source-pattern", &params), vec![]);
    // A pattern's file is binary.
    assert_eq!(
        source(&replaced(&base, "src/orpc.ts", "import", "\0import")),
        vec![f("unreadable-file", "src/orpc.ts", 1, 1)]
    );
}

/// A triggered state has its evidence, a deferred one has none: `exists` in alternatives.
const STATE_PARAMS: &str = r#"[[gate.g.params.patterns]]
files = ["spec/_pass/K4_DISPOSITION.md"]
any_of = [
  [{ regex = 'state:\s*triggered' }, { regex = 'state:\s*deferred', absent = true }, { files = ["spec/_pass/K4_TRIGGER_EVIDENCE.md"], exists = true }],
  [{ regex = 'state:\s*deferred' }, { files = ["spec/_pass/K4_TRIGGER_EVIDENCE.md"], exists = false }],
]

[[gate.g.params.patterns]]
files = ["spec/_pass/K7_*READINESS*.md"]
exists = true
"#;

#[test]
fn source_pattern_exists_asks_whether_files_are_there() {
    let deferred = ("spec/_pass/K4_DISPOSITION.md", "# K4\n\nstate: deferred\n");
    let triggered = ("spec/_pass/K4_DISPOSITION.md", "# K4\n\nstate: triggered\n");
    let evidence = ("spec/_pass/K4_TRIGGER_EVIDENCE.md", "# Evidence\n");
    let readiness = ("spec/_pass/K7_PHASE_L_READINESS.md", "# Ready\n");
    let sp = |files: &[(&str, &str)]| judge(files, "source-pattern", STATE_PARAMS);
    assert_eq!(sp(&[deferred, readiness]), vec![]);
    assert_eq!(sp(&[triggered, evidence, readiness]), vec![]);
    // Where the closest alternative (deferred, one failure) failed: the evidence.
    assert_eq!(
        sp(&[deferred, evidence, readiness]),
        vec![f(
            "alternatives-unmet",
            "spec/_pass/K4_TRIGGER_EVIDENCE.md",
            0,
            0
        )]
    );
    assert_eq!(
        sp(&[triggered, readiness]),
        vec![f(
            "alternatives-unmet",
            "spec/_pass/K4_TRIGGER_EVIDENCE.md",
            0,
            0
        )]
    );
    assert_eq!(
        sp(&[deferred]),
        vec![f("files-unmatched", "spec/_pass/K7_*READINESS*.md", 0, 0)]
    );
    // Alone, `exists = false` is the finding `file-present`.
    assert_eq!(
        judge(
            &[evidence],
            "source-pattern",
            "[[gate.g.params.patterns]]\nfiles = [\"spec/_pass/K4_TRIGGER_EVIDENCE.md\"]\nexists = false\n"
        ),
        vec![f("file-present", "spec/_pass/K4_TRIGGER_EVIDENCE.md", 0, 0)]
    );
}

#[test]
fn source_pattern_reads_no_link_out_of_the_target() {
    let outside = tempfile::tempdir().unwrap();
    write(
        outside.path(),
        "secret.ts",
        "export type LockOptions = {};\n",
    );
    let t = tempfile::tempdir().unwrap();
    write(t.path(), "src/placeholder.ts", "\n");
    std::os::unix::fs::symlink(
        outside.path().join("secret.ts"),
        t.path().join("src/types.ts"),
    )
    .unwrap();
    std::fs::create_dir_all(t.path().join("spec/_pass")).unwrap();
    let text = pipeline(
        t.path(),
        "source-pattern",
        "[[gate.g.params.patterns]]\nfiles = [\"src/types.ts\"]\nregex = 'LockOptions'\n",
    );
    let p = gates::load::load_str(&text, &t.path().join("pipeline.toml"), t.path()).unwrap();
    let repo = std::fs::canonicalize(t.path()).unwrap();
    let res = gates::run::executor::run_gate(
        &p,
        &p.gates["g"],
        &repo,
        &repo.join("spec/_pass"),
        &std::sync::atomic::AtomicBool::new(false),
        None,
    );
    assert_eq!(res.status, gates::record::Status::Failed, "{res:?}");
    let v: Vec<F> = res
        .findings
        .iter()
        .map(|x| {
            (
                x.rule.clone(),
                x.path.clone().unwrap_or_default(),
                x.line,
                x.col,
            )
        })
        .collect();
    assert_eq!(v, vec![f("unreadable-file", "src/types.ts", 0, 0)]);
    assert!(
        res.findings[0]
            .message
            .contains("resolves outside the repository")
    );

    // A folder of the target that links outside: a file through it is refused as such,
    // whether or not it exists out there (nothing outside decides the verdict).
    std::os::unix::fs::symlink(outside.path(), t.path().join("lib")).unwrap();
    for file in ["lib/secret.ts", "lib/absent.ts"] {
        let text = pipeline(
            t.path(),
            "source-pattern",
            &format!("[[gate.g.params.patterns]]\nfiles = [\"{file}\"]\nregex = 'LockOptions'\n"),
        );
        let p = gates::load::load_str(&text, &t.path().join("pipeline.toml"), t.path()).unwrap();
        let res = gates::run::executor::run_gate(
            &p,
            &p.gates["g"],
            &repo,
            &repo.join("spec/_pass"),
            &std::sync::atomic::AtomicBool::new(false),
            None,
        );
        let rules: Vec<(String, String)> = res
            .findings
            .iter()
            .map(|x| (x.rule.clone(), x.path.clone().unwrap_or_default()))
            .collect();
        assert_eq!(
            rules,
            vec![("unreadable-file".to_string(), file.to_string())],
            "{file}"
        );
    }
}

#[test]
fn source_pattern_params_are_checked_at_load_with_their_position() {
    let (line, col, msg) = load_err(
        "source-pattern",
        "[[gate.g.params.patterns]]\nfiles = [\"a.ts\"]\nregex = '(unclosed'\n",
    );
    // At the gate's params table (line 23), the message naming the entry.
    assert_eq!((line, col), (23, 1), "{msg}");
    assert!(msg.contains("patterns[0]: invalid regex"), "{msg}");
    let (_, _, msg) = load_err(
        "source-pattern",
        "[[gate.g.params.patterns]]\nfiles = [\"a.ts\"]\nregex = 'x'\nliteral = 'y'\n",
    );
    assert!(msg.contains("not both"), "{msg}");
    let (_, _, msg) = load_err(
        "source-pattern",
        "[[gate.g.params.patterns]]\nfiles = [\"../a.ts\"]\nregex = 'x'\n",
    );
    assert!(msg.contains("stay inside"), "{msg}");
    let (_, _, msg) = load_err("source-pattern", "exits = [\"a.ts\"]\n");
    assert!(msg.contains("unknown field `exits`"), "{msg}");
    let (_, _, msg) = load_err(
        "source-pattern",
        "[[gate.g.params.patterns]]\nfiles = [\"a.ts\"]\nany_of = [[{ regex = 'x' }]]\n",
    );
    assert!(msg.contains("at least two alternatives"), "{msg}");
}

// ---- json-field ----

const PACKAGE: &str = r#"{
  "name": "k-hq",
  "private": true,
  "scripts": {
    "phase-k:gate:k1-contract": "bun scripts/phase-k/verify-k1.mjs",
    "phase-k:k1:quick": "bun run phase-k:gate:drift-core && bun run phase-k:gate:k1-contract",
    "phase-k:gates:baseline": "bun run phase-k:gate:k1-contract && bun run phase-k:gate:telemetry",
    "build": "turbo run build"
  },
  "workspaces": ["apps/*"],
  "version": 3
}
"#;

const JSON_PARAMS: &str = r#"file = "package.json"
fields = [
  { path = "scripts.phase-k:gate:k1-contract", equals = "bun scripts/phase-k/verify-k1.mjs" },
  { path = "scripts.phase-k:k1:quick", matches = '^bun run phase-k:gate:drift-core && ' },
  { path = "scripts.phase-k:gates:baseline", contains = "phase-k:gate:telemetry" },
  { path = "scripts.phase-k:telemetry:optional", absent = true },
  { path = ["version"], equals = 3 },
]
forbid = [
  { under = "scripts", keys = '^phase-k:', mentions = 'AGENT_[0-9]+_SCRATCHPAD|_phase-k-planning-pass' },
]
"#;

fn json(text: &str) -> Vec<F> {
    judge(&[("package.json", text)], "json-field", JSON_PARAMS)
}

#[test]
fn json_field_passes_on_the_pinned_scripts() {
    assert_eq!(json(PACKAGE), vec![]);
}

#[test]
fn json_field_reports_each_field_where_it_is() {
    // A command that differs: at its value.
    assert_eq!(
        json(&PACKAGE.replace("verify-k1.mjs\"", "verify-k1.mjs --loose\"")),
        vec![f("field-differs", "package.json", 5, 33)]
    );
    // A command that no longer starts with the drift core; one that lost the telemetry gate.
    assert_eq!(
        json(&PACKAGE.replace(
            "bun run phase-k:gate:drift-core && bun run phase-k:gate:k1-contract\"",
            "bun run phase-k:gate:k1-contract\""
        )),
        vec![f("field-differs", "package.json", 6, 25)]
    );
    assert_eq!(
        json(&PACKAGE.replace(" && bun run phase-k:gate:telemetry", "")),
        vec![f("field-differs", "package.json", 7, 31)]
    );
    // A command removed: at the object that lacks it.
    assert_eq!(
        json(&PACKAGE.replace(
            "    \"phase-k:gate:k1-contract\": \"bun scripts/phase-k/verify-k1.mjs\",\n",
            ""
        )),
        vec![f("field-missing", "package.json", 4, 3)]
    );
    // No scripts at all: the first line.
    assert_eq!(
        judge(
            &[(
                "package.json",
                "{\n  \"name\": \"k\",\n  \"version\": 3\n}\n"
            )],
            "json-field",
            JSON_PARAMS
        ),
        // The three pinned scripts, and the object `forbid` checks: nothing was checked.
        vec![
            f("field-missing", "package.json", 1, 1),
            f("field-missing", "package.json", 1, 1),
            f("field-missing", "package.json", 1, 1),
            f("field-missing", "package.json", 1, 1),
        ]
    );
    // A retired command kept: at its key.
    assert_eq!(
        json(&PACKAGE.replace(
            "    \"build\"",
            "    \"phase-k:telemetry:optional\": \"bun x\",\n    \"build\""
        )),
        vec![f("field-present", "package.json", 8, 5)]
    );
    // A number where a number was pinned.
    assert_eq!(
        json(&PACKAGE.replace("\"version\": 3", "\"version\": \"3\"")),
        vec![f("field-differs", "package.json", 11, 14)]
    );
    // A phase command reading a scratchpad: at the mention.
    assert_eq!(
        json(&PACKAGE.replace(
            "verify-k1.mjs\"",
            "verify-k1.mjs --notes spec/AGENT_2_SCRATCHPAD.md\""
        )),
        vec![
            f("field-differs", "package.json", 5, 33),
            f("value-mentions-forbidden", "package.json", 5, 81),
        ]
    );
    // A scratchpad mentioned by a command outside the phase is not this gate's concern.
    assert_eq!(
        json(&PACKAGE.replace("turbo run build", "cat AGENT_1_SCRATCHPAD.md")),
        vec![]
    );
    // Not JSON: where it breaks. No file at all.
    assert_eq!(
        json(&PACKAGE.replace("\"private\": true,", "\"private\": true,,")),
        vec![f("json-invalid", "package.json", 3, 19)]
    );
    assert_eq!(
        judge(&[("other.json", "{}")], "json-field", JSON_PARAMS),
        vec![f("file-missing", "package.json", 0, 0)]
    );
}

#[test]
fn json_field_params_are_checked_at_load() {
    let (line, _, msg) = load_err(
        "json-field",
        "file = \"package.json\"\nfields = [{ path = \"scripts.x\", equals = \"a\", absent = true }]\n",
    );
    // At the `fields` key (line 25), the message naming the entry.
    assert_eq!(line, 25, "{msg}");
    assert!(msg.contains("fields[0]: give exactly one of"), "{msg}");
    let (_, _, msg) = load_err(
        "json-field",
        "file = \"package.json\"\nforbid = [{ under = \"scripts\", mentions = \"(\" }]\n",
    );
    assert!(msg.contains("forbid[0]: invalid regex"), "{msg}");
    let (_, _, msg) = load_err("json-field", "file = \"package.json\"\n");
    assert!(msg.contains("checks nothing"), "{msg}");
}

// ---- doc-contains ----

const DISPOSITION: &str = "# K4 Disposition

state: deferred

## Trigger Matrix Summary
| Criterion | Result |
| --- | --- |
| dedupe | not met |

`bun run phase-k:gate:k4-assess` wrote `K4_TRIGGER_SCAN_RESULT.json`.

## Carry-Forward Watchpoints
- Re-run the scan when a third capability lands.
";

const DOC_PARAMS: &str = r#"[[gate.g.params.documents]]
path = "K4_DISPOSITION.md"
key_lines = [{ key = "state", value = "deferred" }]
headings = ["Trigger Matrix Summary", "Carry-Forward Watchpoints"]
contains = ['phase-k:gate:k4-assess', 'K4_TRIGGER_SCAN_RESULT\.json']
not_contains = ['AGENT_[0-9]+_SCRATCHPAD']

[[gate.g.params.documents]]
path = "spec/_pass/K5_REVIEW_DISPOSITION.md"
root = "repo"
key_lines = [{ key = "disposition", matches = '^`?(approve|defer|reject)' }]
"#;

const REVIEW: &str = "# K5 Review Disposition\n\n- disposition: `approve`\n";

fn doc(disposition: &str, review: &str) -> Vec<F> {
    judge(
        &[
            ("spec/_pass/K4_DISPOSITION.md", disposition),
            ("spec/_pass/K5_REVIEW_DISPOSITION.md", review),
        ],
        "doc-contains",
        DOC_PARAMS,
    )
}

const K4: &str = "spec/_pass/K4_DISPOSITION.md";
const K5: &str = "spec/_pass/K5_REVIEW_DISPOSITION.md";

#[test]
fn doc_contains_passes_on_a_complete_disposition() {
    assert_eq!(doc(DISPOSITION, REVIEW), vec![]);
    // Key lines as the closure documents write them.
    assert_eq!(
        doc(
            &DISPOSITION.replace("state: deferred", "- **State:** `deferred`."),
            &REVIEW.replace("- disposition: `approve`", "disposition: approve")
        ),
        vec![]
    );
}

#[test]
fn doc_contains_reports_what_each_document_lacks() {
    assert_eq!(
        doc(
            &DISPOSITION.replace("state: deferred", "state: triggered"),
            REVIEW
        ),
        vec![f("key-line-differs", K4, 3, 8)]
    );
    assert_eq!(
        doc(&DISPOSITION.replace("state: deferred\n", ""), REVIEW),
        vec![f("key-line-missing", K4, 1, 1)]
    );
    // A state inside a code block is not a key line.
    assert_eq!(
        doc(
            &DISPOSITION.replace("state: deferred\n", "```\nstate: deferred\n```\n"),
            REVIEW
        ),
        vec![f("key-line-missing", K4, 1, 1)]
    );
    assert_eq!(
        doc(
            &DISPOSITION.replace("## Carry-Forward Watchpoints", "## Next"),
            REVIEW
        ),
        vec![f("heading-missing", K4, 1, 1)]
    );
    assert_eq!(
        doc(
            &DISPOSITION.replace("`bun run phase-k:gate:k4-assess` wrote ", ""),
            REVIEW
        ),
        vec![f("text-missing", K4, 1, 1)]
    );
    assert_eq!(
        doc(
            &DISPOSITION.replace("- Re-run", "- See AGENT_3_SCRATCHPAD.md. Re-run"),
            REVIEW
        ),
        vec![f("text-forbidden", K4, 13, 7)]
    );
    assert_eq!(
        doc(DISPOSITION, &REVIEW.replace("`approve`", "`pending`")),
        vec![f("key-line-differs", K5, 3, 16)]
    );
    assert_eq!(
        judge(
            &[("spec/_pass/K4_DISPOSITION.md", DISPOSITION)],
            "doc-contains",
            DOC_PARAMS
        ),
        vec![f("document-missing", K5, 0, 0)]
    );
}

#[test]
fn doc_contains_params_are_checked_at_load() {
    let (_, _, msg) = load_err(
        "doc-contains",
        "[[gate.g.params.documents]]\npath = \"X.md\"\ncontains = ['[']\n",
    );
    assert!(msg.contains("documents[0]: invalid regex"), "{msg}");
    let (_, _, msg) = load_err(
        "doc-contains",
        "[[gate.g.params.documents]]\npath = \"X.md\"\nroot = \"home\"\n",
    );
    assert!(msg.contains("unknown variant `home`"), "{msg}");
}

// ---- the verdict cache ----

/// Judges gate `g` of `text` over the git work tree `repo` with the verdict cache: (status,
/// reused, rules).
fn cached_judge(repo: &Path, text: &str) -> (gates::run::Status, bool, Vec<String>) {
    let p = gates::load::load_str(text, &repo.join("pipeline.toml"), repo).unwrap();
    let session = gates::run::cache::Session::open(repo, "generic checks test build").unwrap();
    let r = gates::run::executor::run_gate_shared(
        &p,
        &p.gates["g"],
        repo,
        &repo.join("spec/_pass"),
        &std::sync::atomic::AtomicBool::new(false),
        None,
        None,
        Some(&session),
    );
    (
        r.status,
        r.cached,
        r.findings.iter().map(|f| f.rule.clone()).collect(),
    )
}

#[test]
fn a_kept_verdict_is_judged_again_when_a_file_a_pattern_read_or_a_glob_lists_changes() {
    use gates::run::Status::{Failed, Passed};
    let t = tempfile::tempdir().unwrap();
    let repo = std::fs::canonicalize(t.path()).unwrap();
    assert!(
        std::process::Command::new("git")
            .args(["init", "-q"])
            .current_dir(&repo)
            .status()
            .unwrap()
            .success()
    );
    write(&repo, "src/types.ts", TYPES);
    write(&repo, "spec/_pass/K7_PHASE_L_READINESS.md", "# Ready\n");
    let mut text = pipeline(
        &repo,
        "source-pattern",
        "[[gate.g.params.patterns]]\nfiles = [\"src/types.ts\"]\nregex = 'LockOptions'\n\n[[gate.g.params.patterns]]\nfiles = [\"spec/_pass/K7_*READINESS*.md\"]\nexists = true\n\n[[gate.g.params.patterns]]\nfiles = [\"spec/_pass/K4_TRIGGER_EVIDENCE.md\"]\nexists = false\n",
    );
    assert_eq!(cached_judge(&repo, &text), (Passed, false, vec![]));
    assert_eq!(cached_judge(&repo, &text), (Passed, true, vec![]));
    // A file an expression read is edited.
    write(&repo, "src/types.ts", "export type Other = {};\n");
    assert_eq!(
        cached_judge(&repo, &text),
        (Failed, false, vec!["pattern-missing".to_string()])
    );
    write(&repo, "src/types.ts", TYPES);
    assert_eq!(cached_judge(&repo, &text), (Passed, false, vec![]));
    // The only file a glob matched is renamed away.
    std::fs::rename(
        repo.join("spec/_pass/K7_PHASE_L_READINESS.md"),
        repo.join("spec/_pass/K7_NOTES.md"),
    )
    .unwrap();
    assert_eq!(
        cached_judge(&repo, &text),
        (Failed, false, vec!["files-unmatched".to_string()])
    );
    std::fs::rename(
        repo.join("spec/_pass/K7_NOTES.md"),
        repo.join("spec/_pass/K7_PHASE_L_READINESS.md"),
    )
    .unwrap();
    assert_eq!(cached_judge(&repo, &text), (Passed, false, vec![]));
    // A folder a forbidding glob walks appears, with what it forbids.
    text = text.replace(
        "[[gate.g.params.patterns]]\nfiles = [\"spec/_pass/K4",
        "[[gate.g.params.patterns]]\nfiles = [\"gen/**/*.ts\"]\nliteral = 'templateRole'\nabsent = true\n\n[[gate.g.params.patterns]]\nfiles = [\"spec/_pass/K4",
    );
    assert_eq!(cached_judge(&repo, &text), (Passed, false, vec![]));
    assert_eq!(cached_judge(&repo, &text), (Passed, true, vec![]));
    write(
        &repo,
        "gen/deep/m.ts",
        "export const m = { templateRole: 1 };\n",
    );
    assert_eq!(
        cached_judge(&repo, &text),
        (Failed, false, vec!["pattern-forbidden".to_string()])
    );
    std::fs::remove_dir_all(repo.join("gen")).unwrap();
    // A file that must not exist appears.
    write(&repo, "spec/_pass/K4_TRIGGER_EVIDENCE.md", "# Evidence\n");
    assert_eq!(
        cached_judge(&repo, &text),
        (Failed, false, vec!["file-present".to_string()])
    );
}

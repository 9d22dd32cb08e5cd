//! Terminal conventions of the command line: colour by `--color` and the environment
//! (CLICOLOR_FORCE, NO_COLOR, CLICOLOR, CARGO_TERM_COLOR, TERM=dumb), `--pipeline` only on
//! the subcommands that read a pipeline, and the cargo alias that shows its build. And no
//! phase in the engine: the library and the CLI name no phase of the user's workflow.

use std::path::Path;
use std::process::{Command, Stdio};

use assert_cmd::cargo::CommandCargoExt;

use crate::support;

use support::workspace;

/// A pipeline of one passing gate, in a temporary workspace.
fn ws() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("ci")).unwrap();
    std::fs::create_dir_all(dir.path().join("repo")).unwrap();
    // A target is a monorepo's root: it holds a package.json.
    std::fs::write(dir.path().join("repo/package.json"), "{}\n").unwrap();
    std::fs::write(
        dir.path().join("ci/phase-a.toml"),
        "[target]\nrepo = \"repo\"\npass_root = \"pass\"\n\n[[stage]]\nnumber = 0\ntitle = \"only\"\n\n[[slice]]\nid = \"S\"\nstage = 0\ntitle = \"s\"\nowner = \"o\"\ngates = [\"ok\"]\n\n[gate.ok]\ncommand = [\"true\"]\n",
    )
    .unwrap();
    dir
}

/// `xtask` with none of the colour variables of the outer environment.
fn xtask(dir: &Path) -> Command {
    let mut c = Command::cargo_bin("xtask").unwrap();
    c.current_dir(dir).stdin(Stdio::null());
    for k in [
        "GITHUB_ACTIONS",
        "NO_COLOR",
        "CLICOLOR",
        "CLICOLOR_FORCE",
        "CARGO_TERM_COLOR",
        "TERM",
    ] {
        c.env_remove(k);
    }
    c
}

/// Whether `phase-a`'s output (pipes) carries ANSI styles, under `args` and `env`.
fn coloured(args: &[&str], env: &[(&str, &str)]) -> bool {
    let dir = ws();
    let mut c = xtask(dir.path());
    c.args(args)
        .args(["phase-a", "--pipeline", "ci/phase-a.toml"]);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    // The progress line (stderr) and the summary (stdout) decide alike: both pipes here.
    assert!(stderr.contains("PASS"), "{stderr}");
    assert!(stdout.contains("1 passed"), "{stdout}");
    assert_eq!(
        stdout.contains('\x1b'),
        stderr.contains('\x1b'),
        "{stdout}\n{stderr}"
    );
    stderr.contains('\x1b')
}

#[test]
fn colour_follows_the_flag_then_the_environment() {
    // A pipe is plain by default.
    assert!(!coloured(&[], &[]));
    assert!(coloured(&["--color", "always"], &[]));
    assert!(!coloured(&["--color", "never"], &[("CLICOLOR_FORCE", "1")]));
    assert!(coloured(&["--color", "always"], &[("NO_COLOR", "1")]));
    assert!(coloured(&[], &[("CLICOLOR_FORCE", "1")]));
    assert!(!coloured(&[], &[("CLICOLOR_FORCE", "0")]));
    assert!(coloured(&[], &[("CARGO_TERM_COLOR", "always")]));
    assert!(!coloured(
        &[],
        &[("CARGO_TERM_COLOR", "never"), ("CLICOLOR_FORCE", "1")]
    ));
    assert!(!coloured(
        &[],
        &[
            ("CLICOLOR_FORCE", "1"),
            ("NO_COLOR", "1"),
            ("CARGO_TERM_COLOR", "never")
        ]
    ));
    // An unknown value is a usage error.
    let dir = ws();
    let out = xtask(dir.path())
        .args([
            "--color",
            "sometimes",
            "list",
            "--pipeline",
            "ci/phase-a.toml",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn pipeline_is_taken_where_a_pipeline_is_read_and_nowhere_else() {
    let dir = ws();
    let run = |args: &[&str]| {
        let out = xtask(dir.path()).args(args).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // Before or after the subcommand, and after a nested subcommand.
    for args in [
        &["--pipeline", "ci/phase-a.toml", "list"][..],
        &["list", "--pipeline", "ci/phase-a.toml"],
        &["ci", "check", "--pipeline", "ci/phase-a.toml"],
        &["ci", "--pipeline", "ci/phase-a.toml", "check"],
    ] {
        let (code, stdout, stderr) = run(args);
        if args.contains(&"list") {
            assert_eq!(code, Some(0), "{args:?}: {stderr}");
            assert!(stdout.contains("ok"), "{stdout}");
        } else {
            // No workflow yet: the check fails (1) after reading the pipeline.
            assert_eq!(code, Some(1), "{args:?}: {stderr}");
            assert!(stderr.contains("does not exist"), "{stderr}");
        }
    }
    // Given twice, differently.
    let (code, _, stderr) = run(&["--pipeline", "a.toml", "list", "--pipeline", "b.toml"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("`--pipeline` given twice"), "{stderr}");
    // `test` and `bench` read no pipeline: not in their help, refused before them.
    for sub in [&["test"][..], &["bench", "executor"]] {
        let mut args = vec!["--pipeline", "ci/phase-a.toml"];
        args.extend(sub);
        let (code, _, stderr) = run(&args);
        assert_eq!(code, Some(2), "{args:?}");
        assert_eq!(
            stderr,
            "error: `--pipeline` applies to the subcommands that read a pipeline; `test`, `bench` and `fuzz` read none\n"
        );
        let mut args: Vec<&str> = sub.to_vec();
        args.extend(["--pipeline", "ci/phase-a.toml"]);
        let (code, _, stderr) = run(&args);
        assert_eq!(code, Some(2), "{args:?}");
        assert!(
            stderr.contains("unexpected argument '--pipeline'"),
            "{stderr}"
        );
        let mut args: Vec<&str> = sub.to_vec();
        args.push("--help");
        let (code, stdout, _) = run(&args);
        assert_eq!(code, Some(0));
        assert!(!stdout.contains("--pipeline"), "{stdout}");
    }
    let (_, stdout, _) = run(&["phase-a", "--help"]);
    assert!(stdout.contains("--pipeline <FILE>"), "{stdout}");
}

#[test]
fn the_cargo_alias_shows_its_build() {
    let text = std::fs::read_to_string(workspace().join(".cargo/config.toml")).unwrap();
    let alias = text
        .lines()
        .find_map(|l| l.strip_prefix("xtask = "))
        .expect("an xtask alias")
        .trim_matches('"');
    let words: Vec<&str> = alias.split_whitespace().collect();
    assert_eq!(words, ["run", "--package", "xtask", "--"]);
    assert!(!words.iter().any(|w| *w == "--quiet" || *w == "-q"));
}

/// `1.95.0` → [1, 95, 0].
fn version(v: &str) -> Vec<u32> {
    v.split('.').map(|p| p.parse().unwrap()).collect()
}

#[test]
fn the_declared_msrv_is_the_dependencies_and_ci_checks_it() {
    let manifest = std::fs::read_to_string(workspace().join("Cargo.toml")).unwrap();
    let declared = manifest
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .expect("a workspace rust-version")
        .trim_matches('"')
        .to_string();
    // The highest rust-version among the packages the lockfile resolves for this machine's
    // platform. Offline, and filtered to the host: a build downloads only the host's crates,
    // so without the filter `cargo metadata` needs every platform's (anstyle-wincon,
    // windows-sys...) and fails on a machine that has only ever built the project.
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let vv = Command::new(rustc).arg("-vV").output().unwrap();
    let vv = String::from_utf8(vv.stdout).unwrap();
    let host = vv
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("rustc -vV names the host");
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .args(["--filter-platform", host])
        .current_dir(workspace())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let resolved: std::collections::BTreeSet<&str> = meta["resolve"]["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    let (needed, by) = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| resolved.contains(p["id"].as_str().unwrap()))
        .filter_map(|p| Some((version(p["rust_version"].as_str()?), p["name"].as_str()?)))
        .max()
        .unwrap();
    let mut declared_v = version(&declared);
    declared_v.resize(3, 0);
    let mut needed3 = needed.clone();
    needed3.resize(3, 0);
    assert_eq!(
        declared_v, needed3,
        "rust-version {declared} but {by} needs {needed:?}"
    );
    // The project's CI checks the workspace with exactly that toolchain.
    let ci = std::fs::read_to_string(workspace().join(".github/workflows/ci.yml")).unwrap();
    let job = ci.split("\n  msrv:\n").nth(1).expect("an msrv job");
    assert!(
        job.contains(&format!("uses: dtolnay/rust-toolchain@{declared}\n")),
        "{job}"
    );
    assert!(
        job.contains("run: cargo check --workspace --all-targets --locked\n"),
        "{job}"
    );
}

#[test]
fn the_lockfile_keeps_the_cold_build_light() {
    // Crates that cost every user's first `cargo xtask` seconds of CPU for nothing this
    // project needs: the ICU segmenter comes with textwrap 0.16.3+ (oxc_diagnostics asks for
    // ^0.16.2, whose line breaking needs no ICU), nextest-metadata's target-spec chain was
    // replaced by three serde fields, hmac+sha2 (typenum, hybrid-array, digest...) by
    // hmac-sha256, ureq (http, bytes...) by minreq, quick-junit (chrono, uuid) by quick-xml,
    // thiserror by four Display impls. `cargo update` may bring the first back.
    let lock = std::fs::read_to_string(workspace().join("Cargo.lock")).unwrap();
    let names: Vec<&str> = lock
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .map(|l| l.trim_end_matches('"'))
        .collect();
    for heavy in [
        "icu_segmenter",
        "icu_provider",
        "nextest-metadata",
        "target-spec",
        "sha2",
        "typenum",
        "ureq",
        "http",
        "quick-junit",
        "chrono",
        "thiserror",
    ] {
        assert!(
            !names.contains(&heavy),
            "Cargo.lock resolves {heavy} again; for textwrap run `cargo update -p textwrap --precise 0.16.2`"
        );
    }
    assert!(names.contains(&"textwrap"), "oxc still uses textwrap");
}

#[test]
fn the_dev_profile_builds_without_incremental_compilation() {
    // About 14 s of a cold build on 2 cores go to incremental compilation's query cache for
    // `gates` and `xtask`, which only a later edit of them would use.
    let manifest: toml::Table = std::fs::read_to_string(workspace().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let dev = &manifest["profile"]["dev"];
    assert_eq!(
        dev.get("incremental").and_then(|v| v.as_bool()),
        Some(false)
    );
    assert_eq!(dev.get("debug").and_then(|v| v.as_bool()), Some(false));
}

#[test]
fn the_tool_aborts_on_panic_and_the_tests_unwind_in_one_build() {
    // About 7 s of CPU of a cold build are unwinding tables and landing pads. The test harness
    // needs unwinding, so the tests build with a profile of their own (a `panic` on cargo's
    // `test` profile would print a warning with every cargo command), and every way the
    // project runs its tests selects it.
    let manifest: toml::Table = std::fs::read_to_string(workspace().join("Cargo.toml"))
        .unwrap()
        .parse()
        .unwrap();
    let profile = &manifest["profile"];
    let get = |p: &str, k: &str| {
        profile
            .get(p)
            .and_then(|t| t.get(k))
            .and_then(|v| v.as_str())
            .map(str::to_string)
    };
    assert_eq!(get("dev", "panic").as_deref(), Some("abort"));
    assert_eq!(get("release", "panic").as_deref(), Some("abort"));
    assert_eq!(get("tests", "inherits").as_deref(), Some("dev"));
    assert_eq!(get("tests", "panic").as_deref(), Some("unwind"));
    assert!(
        profile.get("test").is_none(),
        "cargo warns about `panic` on `test`"
    );

    assert_eq!(
        gates::devtest::nextest_args(&[]),
        ["nextest", "run", "--workspace", "--cargo-profile", "tests"]
    );
    let ci = std::fs::read_to_string(workspace().join(".github/workflows/ci.yml")).unwrap();
    for line in [
        "run: cargo build --workspace --all-targets --locked --profile tests\n",
        "run: cargo clippy --workspace --all-targets --locked --profile tests -- -D warnings\n",
        "run: cargo nextest run --workspace --profile ci --cargo-profile tests --locked\n",
    ] {
        assert!(ci.contains(line), "ci.yml lacks {line:?}");
    }
}

/// Each crate's integration tests are one binary (`autotests = false`, one `[[test]]` at
/// `tests/main.rs`), so a test file that `tests/main.rs` does not declare is never compiled
/// and its tests never run: every `tests/*.rs` must be one of its modules.
#[test]
fn every_integration_test_file_is_compiled() {
    let root = workspace();
    for krate in ["gates", "xtask"] {
        let manifest = std::fs::read_to_string(root.join(krate).join("Cargo.toml")).unwrap();
        assert!(manifest.contains("autotests = false"), "{krate}/Cargo.toml");
        assert!(
            manifest.contains("[[test]]\nname = \"integration\"\npath = \"tests/main.rs\""),
            "{krate}/Cargo.toml"
        );
        let tests = root.join(krate).join("tests");
        let main = std::fs::read_to_string(tests.join("main.rs")).unwrap();
        let declared: Vec<&str> = main
            .lines()
            .filter_map(|l| l.strip_prefix("mod ")?.strip_suffix(';'))
            .collect();
        let mut files: Vec<String> = std::fs::read_dir(&tests)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter_map(|n| n.strip_suffix(".rs").map(str::to_string))
            .filter(|n| n != "main")
            .collect();
        files.sort();
        let missing: Vec<&String> = files
            .iter()
            .filter(|f| !declared.contains(&f.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "{krate}/tests/main.rs does not declare {missing:?}"
        );
    }
}

// ---- no phase in the engine -------------------------------------------------------

/// Words that name one phase of the user's workflow (its slices, documents and the phase
/// after it). The pipeline file says which phase it is; the code names none.
const PHASE_WORDS: &[&str] = &[
    "A7", "A8", "A9", "B4A", "PHASE_A", "PHASE_B", "Phase A", "Phase B", "phase-b", "phase_b",
];

/// Lines allowed to hold one anyway, with why.
const PHASE_WORD_ALLOWED: &[(&str, &str)] = &[
    // The readiness check's old name, kept as an alias so existing pipelines load.
    (
        "gates-docs/src/checks/readiness.rs",
        "name: \"phase-b-readiness\",",
    ),
];

/// Where `word` occurs in `line` as a whole word, `_` separating words as in file names
/// (`A7_REVIEW_DISPOSITION.md` names `A7`; `A70` or `XA7` do not).
fn has_word(line: &str, word: &str) -> bool {
    let is_word = |c: char| c.is_ascii_alphanumeric();
    line.match_indices(word).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + word.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return; // a crate the scan's own test tree does not make
    };
    for e in entries {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Phase words in the library and CLI sources (code and comments alike), up to each file's
/// `#[cfg(test)]` tail: `(file:line, text)`.
fn phase_words_in(root: &Path) -> Vec<String> {
    let mut files = Vec::new();
    for d in [
        "gates-core/src",
        "gates-docs/src",
        "gates-ts/src",
        "gates/src",
        "xtask/src",
    ] {
        rust_files(&root.join(d), &mut files);
    }
    files.sort();
    let mut found = Vec::new();
    for f in files {
        let rel = f
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&f).unwrap();
        for (i, line) in text.lines().enumerate() {
            if line.trim_start().starts_with("#[cfg(test)]") {
                break;
            }
            let allowed = PHASE_WORD_ALLOWED
                .iter()
                .any(|(file, l)| *file == rel && line.contains(l));
            if !allowed && PHASE_WORDS.iter().any(|w| has_word(line, w)) {
                found.push(format!("{rel}:{}: {}", i + 1, line.trim()));
            }
        }
    }
    found
}

#[test]
fn no_phase_is_named_in_the_library_or_the_cli() {
    for d in ["gates-core", "gates-docs", "gates-ts", "gates", "xtask"] {
        assert!(
            workspace().join(d).join("src").is_dir(),
            "{d}/src is scanned"
        );
    }
    let found = phase_words_in(&workspace());
    assert!(
        found.is_empty(),
        "a phase belongs in the pipeline file ([phase], [documents]; docs/pipeline.md), not in the code:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_phase_word_scan_finds_what_it_looks_for() {
    // The scan itself, on a tree with one phase word in code, one in a comment, one only in
    // a test tail, and look-alikes that are not phase words.
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("gates-core/src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::create_dir_all(t.path().join("gates/src")).unwrap();
    std::fs::create_dir_all(t.path().join("xtask/src")).unwrap();
    std::fs::write(
        src.join("x.rs"),
        "const D: &str = \"A7_REVIEW_DISPOSITION.md\";\n// hands off to Phase B\nconst OK: &str = \"A70 XA7 phase-bx C5\";\n#[cfg(test)]\nmod tests { const T: &str = \"B4A\"; }\n",
    )
    .unwrap();
    assert_eq!(
        phase_words_in(t.path()),
        [
            "gates-core/src/x.rs:1: const D: &str = \"A7_REVIEW_DISPOSITION.md\";",
            "gates-core/src/x.rs:2: // hands off to Phase B",
        ]
    );
}

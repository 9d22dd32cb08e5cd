//! The plugin-manifest gates (`metadata-contract`, `discovery-roots`, `import-boundary`) on
//! the scenario trees under `tests/fixtures/manifest/`, asserting the exact findings
//! (rule, path, line, column) of each. The discovery and import-boundary scenarios are cases
//! of `passing`: a `case.toml` with the change that makes the scenario (see `fixture_tree`).

use std::path::Path;

use gates::checks::{CheckOutput, discovery_roots, import_boundary, metadata_contract};

type Row = (&'static str, &'static str, u32, u32);

use crate::fixture_tree;

/// The scenario tree `name`, copied (a case is its base `passing` with its changes).
fn fixture(name: &str) -> fixture_tree::Tree {
    fixture_tree::tree("manifest", name)
}

fn rows(out: &CheckOutput) -> Vec<(String, String, u32, u32)> {
    let mut v: Vec<_> = out
        .findings
        .iter()
        .map(|f| {
            (
                f.rule.clone(),
                f.path.clone().unwrap_or_default(),
                f.line,
                f.col,
            )
        })
        .collect();
    v.sort_by(|a, b| (&a.1, a.2, a.3, &a.0).cmp(&(&b.1, b.2, b.3, &b.0)));
    v
}

fn expect(out: &CheckOutput, want: &[Row]) {
    let got = rows(out);
    let want: Vec<_> = want
        .iter()
        .map(|(r, p, l, c)| (r.to_string(), p.to_string(), *l, *c))
        .collect();
    assert_eq!(got, want, "findings: {:#?}", out.findings);
}

fn metadata(repo: &Path) -> CheckOutput {
    metadata_contract::check_repo(repo, &metadata_contract::Config::default()).unwrap()
}

fn roots() -> Vec<String> {
    ["cli", "agents", "web", "api", "workflows"]
        .map(String::from)
        .to_vec()
}

fn implementations() -> Vec<String> {
    discovery_roots::DEFAULT_IMPLEMENTATIONS
        .map(String::from)
        .to_vec()
}

fn discovery(repo: &Path) -> CheckOutput {
    discovery_roots::check_repo(repo, &implementations(), &roots()).unwrap()
}

fn boundary(repo: &Path) -> CheckOutput {
    import_boundary::check_repo(repo, &import_boundary::Config::default()).unwrap()
}

const HQ: &str = "packages/hq/src/workspace/plugins.ts";
const CLI: &str = "plugins/cli/plugins/src/lib/workspace-plugins.ts";

// ---------------------------------------------------------------- passing trees

#[test]
fn the_bundled_example_passes_all_three_gates() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/hq")
        .canonicalize()
        .unwrap();
    expect(&metadata(&repo), &[]);
    expect(&discovery(&repo), &[]);
    expect(&boundary(&repo), &[]);
}

#[test]
fn passing_tree_passes_all_three_gates() {
    let repo = fixture("passing");
    expect(&metadata(&repo), &[]);
    expect(&discovery(&repo), &[]);
    expect(&boundary(&repo), &[]);
    // Both implementations were judged by the module that really scans.
    let notes = discovery(&repo).notes.join("\n");
    assert!(
        notes.contains(&format!("{CLI}: scans all 5 roots")),
        "{notes}"
    );
}

#[test]
fn traps_in_comments_strings_and_near_miss_names_are_not_findings() {
    let repo = fixture("traps");
    expect(&metadata(&repo), &[]);
    expect(&discovery(&repo), &[]);
    expect(&boundary(&repo), &[]);
}

#[test]
fn an_adapter_reexporting_the_shared_package_is_judged_by_it() {
    let repo = fixture("adapter-reexports-shared-package");
    expect(&discovery(&repo), &[]);
    expect(&boundary(&repo), &[]);
}

#[test]
fn readdir_of_plugins_globs_and_object_entries_cover_every_root() {
    let repo = fixture("readdir-glob-and-entries");
    expect(&discovery(&repo), &[]);
    expect(&boundary(&repo), &[]);
}

#[test]
fn dot_dirs_dirs_without_manifest_and_files_are_not_plugins() {
    let out = metadata(&fixture("not-plugins"));
    expect(&out, &[]);
    assert!(
        out.notes
            .iter()
            .any(|n| n.starts_with("5 plugin manifest(s)")),
        "{:?}",
        out.notes
    );
}

// ---------------------------------------------------------------- pre-migration

#[test]
fn pre_migration_state_fails_all_three_gates() {
    let repo = fixture("pre-migration");
    let mut want: Vec<Row> = Vec::new();
    for (path, rawr_line) in [
        ("plugins/agents/planner/package.json", 4),
        ("plugins/api/status/package.json", 4),
        ("plugins/cli/plugins/package.json", 5),
        ("plugins/web/dashboard/package.json", 4),
        ("plugins/workflows/sync/package.json", 4),
    ] {
        want.push(("missing-capability", path, rawr_line, 3));
        for k in 0..3 {
            want.push(("forbidden-legacy-key", path, rawr_line + 2 + k, 5));
        }
    }
    expect(&metadata(&repo), &want);
    expect(
        &discovery(&repo),
        &[
            ("missing-discovery-roots", HQ, 18, 21),
            ("missing-discovery-roots", CLI, 6, 17),
        ],
    );
    expect(
        &boundary(&repo),
        &[
            ("contract-not-imported", HQ, 1, 1),
            ("duplicate-parser", HQ, 21, 39),
            ("contract-not-imported", CLI, 1, 1),
            ("duplicate-parser", CLI, 8, 15),
        ],
    );
    let msg = &discovery(&repo).findings[0].message;
    assert!(
        msg.contains("does not scan plugins/api, plugins/workflows"),
        "{msg}"
    );
}

// ---------------------------------------------------------------- metadata-contract

#[test]
fn missing_rawr_is_reported_at_the_manifest_object() {
    expect(
        &metadata(&fixture("missing-rawr")),
        &[("missing-rawr", "plugins/web/dashboard/package.json", 1, 1)],
    );
}

#[test]
fn rawr_that_is_not_an_object_is_reported_at_its_value() {
    expect(
        &metadata(&fixture("rawr-not-object")),
        &[(
            "rawr-not-object",
            "plugins/web/dashboard/package.json",
            3,
            11,
        )],
    );
}

#[test]
fn missing_kind_is_reported_at_rawr() {
    expect(
        &metadata(&fixture("missing-kind")),
        &[("missing-kind", "plugins/api/status/package.json", 4, 3)],
    );
}

#[test]
fn unknown_or_non_string_kind_is_invalid() {
    expect(
        &metadata(&fixture("invalid-kind")),
        &[
            ("invalid-kind", "plugins/agents/planner/package.json", 3, 21),
            ("invalid-kind", "plugins/api/status/package.json", 5, 13),
        ],
    );
}

#[test]
fn kind_must_match_the_discovery_root() {
    expect(
        &metadata(&fixture("kind-root-mismatch")),
        &[(
            "kind-root-mismatch",
            "plugins/workflows/sync/package.json",
            5,
            13,
        )],
    );
}

#[test]
fn missing_capability_is_reported_at_rawr() {
    expect(
        &metadata(&fixture("missing-capability")),
        &[(
            "missing-capability",
            "plugins/web/dashboard/package.json",
            4,
            3,
        )],
    );
}

#[test]
fn blank_or_non_string_capability_is_reported_at_its_value() {
    expect(
        &metadata(&fixture("blank-capability")),
        &[
            (
                "invalid-capability",
                "plugins/cli/tools/package.json",
                3,
                46,
            ),
            (
                "blank-capability",
                "plugins/web/dashboard/package.json",
                6,
                19,
            ),
        ],
    );
}

#[test]
fn every_legacy_key_under_rawr_is_reported_but_words_in_values_are_not() {
    let p = "plugins/web/dashboard/package.json";
    expect(
        &metadata(&fixture("legacy-keys")),
        &[
            ("forbidden-legacy-key", p, 7, 5),
            ("forbidden-legacy-key", p, 8, 5),
            ("forbidden-legacy-key", p, 9, 5),
            ("forbidden-legacy-key", p, 10, 5),
            ("forbidden-legacy-key", p, 11, 13),
        ],
    );
}

#[test]
fn two_plugins_with_one_kind_and_capability_are_reported_at_the_later() {
    let out = metadata(&fixture("duplicate-identity"));
    expect(
        &out,
        &[
            (
                "duplicate-identity",
                "plugins/api/status-copy/package.json",
                6,
                19,
            ),
            (
                "duplicate-identity",
                "plugins/web/dashboard-v2/package.json",
                6,
                19,
            ),
        ],
    );
    assert!(out.findings.iter().any(|f| {
        f.message
            .contains("already claimed by plugins/web/dashboard/package.json:6:19")
    }));
}

#[test]
fn a_repository_without_any_plugin_is_not_a_pass() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("plugins/cli/empty")).unwrap();
    let out = metadata(&tmp.path().canonicalize().unwrap());
    assert_eq!(
        out.findings
            .iter()
            .map(|f| (f.rule.as_str(), f.path.clone(), f.line, f.col))
            .collect::<Vec<_>>(),
        vec![("no-plugins", None, 0, 0)]
    );
}

#[test]
fn a_manifest_that_is_not_an_object_is_reported() {
    expect(
        &metadata(&fixture("manifest-not-object")),
        &[(
            "manifest-not-object",
            "plugins/agents/planner/package.json",
            1,
            1,
        )],
    );
}

#[test]
fn malformed_manifests_are_positioned_findings() {
    expect(
        &metadata(&fixture("syntax-error")),
        &[("manifest-syntax", "plugins/cli/tools/package.json", 6, 2)],
    );
    expect(
        &metadata(&fixture("bom")),
        &[("manifest-bom", "plugins/web/dashboard/package.json", 1, 1)],
    );
    expect(
        &metadata(&fixture("duplicate-keys")),
        &[
            ("duplicate-key", "plugins/api/status/package.json", 6, 5),
            // JSON.parse keeps the last `kind`, which is wrong for the root.
            (
                "kind-root-mismatch",
                "plugins/api/status/package.json",
                6,
                13,
            ),
        ],
    );
    expect(
        &metadata(&fixture("non-utf8")),
        &[(
            "manifest-unreadable",
            "plugins/agents/planner/package.json",
            3,
            22,
        )],
    );
    expect(
        &metadata(&fixture("empty-manifest")),
        &[(
            "manifest-syntax",
            "plugins/workflows/sync/package.json",
            1,
            1,
        )],
    );
    let dir = metadata(&fixture("manifest-is-directory"));
    expect(
        &dir,
        &[(
            "manifest-unreadable",
            "plugins/web/dashboard/package.json",
            0,
            0,
        )],
    );
    assert!(dir.findings[0].message.contains("is a directory"));
}

#[cfg(unix)]
#[test]
fn symlink_loops_are_findings_not_hangs() {
    // Symlink loops are made here rather than committed: not every checkout keeps them.
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    let write = |rel: &str, text: &str| {
        let p = repo.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    };
    write(
        "plugins/cli/tools/package.json",
        "{\"rawr\":{\"kind\":\"toolkit\",\"capability\":\"tools\"}}",
    );
    std::fs::create_dir_all(repo.join("plugins/web/loop")).unwrap();
    std::os::unix::fs::symlink(
        repo.join("plugins/web/loop/package.json"),
        repo.join("plugins/web/loop/package.json"),
    )
    .unwrap();
    std::os::unix::fs::symlink(repo.join("plugins/api/b"), repo.join("plugins/api/a"))
        .or_else(|_| {
            std::fs::create_dir_all(repo.join("plugins/api"))?;
            std::os::unix::fs::symlink(repo.join("plugins/api/b"), repo.join("plugins/api/a"))
        })
        .unwrap();
    std::os::unix::fs::symlink(repo.join("plugins/api/a"), repo.join("plugins/api/b")).unwrap();
    let repo = repo.canonicalize().unwrap();
    let out = metadata(&repo);
    expect(
        &out,
        &[
            ("unreadable-file", "plugins/api/a", 0, 0),
            ("unreadable-file", "plugins/api/b", 0, 0),
            ("manifest-unreadable", "plugins/web/loop/package.json", 0, 0),
        ],
    );
    assert!(
        out.findings
            .iter()
            .all(|f| f.message.contains("symlink loop"))
    );
}

// ---------------------------------------------------------------- discovery-roots

#[test]
fn a_contract_constant_listing_five_roots_does_not_count_when_discovery_scans_three() {
    let out = discovery(&fixture("contract-lists-five-discovery-scans-three"));
    // Both implementations reach the same three-root scan (the cli one by forwarding).
    expect(
        &out,
        &[
            ("missing-discovery-roots", HQ, 30, 21),
            ("missing-discovery-roots", HQ, 30, 21),
        ],
    );
    assert!(out.findings[0]
        .message
        .contains("does not scan plugins/api, plugins/workflows (scans: plugins/cli, plugins/agents, plugins/web)"));
    expect(
        &boundary(&fixture("contract-lists-five-discovery-scans-three")),
        &[],
    );
}

#[test]
fn a_filter_or_slice_that_drops_roots_is_not_every_root() {
    // `DISCOVERY_ROOTS.filter((r) => r !== "api" && !["workflows"].includes(r))`: the
    // predicate certainly drops two roots. Both implementations reach it (the cli one by
    // forwarding).
    let out = discovery(&fixture("filter-drops-two-roots"));
    expect(
        &out,
        &[
            ("missing-discovery-roots", HQ, 25, 21),
            ("missing-discovery-roots", HQ, 25, 21),
        ],
    );
    assert!(out.findings[0]
        .message
        .contains("does not scan plugins/api, plugins/workflows (scans: plugins/cli, plugins/agents, plugins/web)"));
    // `DISCOVERY_ROOTS.slice(0, 3)`: which roots a range keeps cannot be told statically.
    let out = discovery(&fixture("slice-of-roots"));
    expect(
        &out,
        &[
            ("missing-discovery-roots", HQ, 24, 21),
            ("missing-discovery-roots", HQ, 24, 21),
        ],
    );
    assert!(
        out.findings[0]
            .message
            .contains("could not be determined statically")
    );
    // A predicate the check cannot decide (`!r.startsWith(".") && r !== "legacy"`) may keep
    // every root: no false red.
    expect(&discovery(&fixture("filter-keeps-existing-roots")), &[]);
    // `for (const root of DISCOVERY_ROOTS) { if (root === "api") continue; … }`.
    let out = discovery(&fixture("continue-skips-a-root"));
    expect(
        &out,
        &[
            ("missing-discovery-roots", HQ, 25, 21),
            ("missing-discovery-roots", HQ, 25, 21),
        ],
    );
    assert!(out.findings[0].message.contains(
        "does not scan plugins/api (scans: plugins/cli, plugins/agents, plugins/web, plugins/workflows)"
    ));
}

#[test]
fn a_dead_helper_scanning_five_roots_does_not_stand_in_for_live_discovery() {
    // Live discovery scans three roots; an unexported function nothing calls builds all
    // five. Dead code scans nothing at runtime.
    let out = discovery(&fixture("dead-helper-scans-five"));
    expect(
        &out,
        &[
            ("missing-discovery-roots", HQ, 24, 21),
            ("missing-discovery-roots", HQ, 24, 21),
        ],
    );
    assert!(out.findings[0]
        .message
        .contains("does not scan plugins/api, plugins/workflows (scans: plugins/cli, plugins/agents, plugins/web)"));
}

#[test]
fn a_helper_called_once_per_root_is_judged_by_its_calls() {
    expect(
        &discovery(&fixture("helper-called-per-root")),
        &[("missing-discovery-roots", CLI, 7, 19)],
    );
}

#[test]
fn roots_passed_by_a_forwarding_adapter_are_what_it_scans() {
    // The shared function scans its `roots` parameter (default: all five); the cli adapter
    // calls it with three. The hq implementation passes, the cli one does not.
    let repo = fixture("adapter-passes-three-roots-to-shared");
    let out = discovery(&repo);
    expect(&out, &[("missing-discovery-roots", HQ, 17, 21)]);
    assert!(out.findings[0].message.contains(&format!(
        "implementation {CLI} does not scan plugins/api, plugins/workflows"
    )));
    expect(&boundary(&repo), &[]);
}

#[test]
fn an_implementation_with_a_syntax_error_is_a_positioned_finding() {
    let tmp = tempfile::tempdir().unwrap();
    let src = fixture("passing");
    copy_tree(&src, tmp.path());
    std::fs::write(
        tmp.path().join(CLI),
        "export function listWorkspacePlugins( {\n  return [];\n}\n",
    )
    .unwrap();
    let repo = tmp.path().canonicalize().unwrap();
    let d = discovery(&repo);
    assert!(!d.findings.is_empty());
    assert!(
        d.findings
            .iter()
            .all(|f| f.rule == "syntax-error" && f.path.as_deref() == Some(CLI) && f.line >= 1),
        "{:#?}",
        d.findings
    );
    let b = boundary(&repo);
    assert!(
        b.findings.iter().any(|f| f.rule == "syntax-error"),
        "{:#?}",
        b.findings
    );
}

fn copy_tree(from: &Path, to: &Path) {
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dst = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&dst).unwrap();
            copy_tree(&e.path(), &dst);
        } else {
            std::fs::copy(e.path(), dst).unwrap();
        }
    }
}

#[test]
fn an_implementation_that_builds_no_scan_path_is_reported() {
    let repo = fixture("no-scan-path");
    expect(&discovery(&repo), &[("no-scan-path", CLI, 5, 8)]);
    expect(&boundary(&repo), &[("contract-not-imported", CLI, 1, 1)]);
}

#[test]
fn a_missing_implementation_is_an_error_not_a_pass() {
    let repo = fixture("missing-rawr");
    expect(
        &discovery(&repo),
        &[
            ("implementation-missing", HQ, 0, 0),
            ("implementation-missing", CLI, 0, 0),
        ],
    );
}

// ---------------------------------------------------------------- import-boundary

#[test]
fn own_parser_without_the_contract_is_reported_at_each_read() {
    let repo = fixture("own-parser-no-contract");
    expect(&discovery(&repo), &[]);
    expect(
        &boundary(&repo),
        &[
            ("contract-not-imported", CLI, 1, 1),
            ("duplicate-parser", CLI, 11, 22),
            ("duplicate-parser", CLI, 12, 15),
            ("duplicate-parser", CLI, 13, 49),
        ],
    );
}

#[test]
fn a_contract_import_used_only_in_a_type_does_not_count() {
    // `import { parsePluginManifest }` (a value import) whose only use is
    // `JSON.parse(text) as ReturnType<typeof parsePluginManifest>`: erased at runtime, so the
    // manifests are never parsed by the contract. The cli implementation forwards to it.
    let out = boundary(&fixture("contract-used-only-in-typeof"));
    expect(
        &out,
        &[
            ("contract-not-imported", HQ, 9, 1),
            ("contract-not-imported", HQ, 9, 1),
        ],
    );
    assert!(out.findings[0].message.contains(&format!(
        "implementation {HQ} imports the contract but never uses what it imports"
    )));
}

#[test]
fn a_type_only_contract_import_does_not_count() {
    let out = boundary(&fixture("type-only-contract-import"));
    // The cli implementation forwards to the hq one, so neither really uses the contract.
    expect(
        &out,
        &[
            ("contract-not-imported", HQ, 4, 1),
            ("contract-not-imported", HQ, 4, 1),
            ("duplicate-parser", HQ, 14, 35),
            ("duplicate-parser", HQ, 14, 58),
        ],
    );
    assert!(out.findings[0].message.contains(&format!(
        "implementation {HQ} imports the contract only as types"
    )));
    assert!(out.findings[1].message.contains(&format!(
        "implementation {CLI} imports the contract only as types"
    )));
}

#[test]
fn a_barrel_reexporting_the_contract_does_not_count_when_nothing_used_comes_from_it() {
    let repo = fixture("barrel-passes-contract-through-unused");
    expect(&discovery(&repo), &[]);
    let out = boundary(&repo);
    expect(
        &out,
        &[(
            "contract-not-imported",
            "packages/hq/src/workspace/index.ts",
            1,
            1,
        )],
    );
    assert!(out.findings[0].message.contains(&format!(
        "implementation {CLI} only passes the contract through a re-export"
    )));
}

#[test]
fn template_literal_keys_are_duplicate_reads_too() {
    // `pkg.rawr?.[`kind`]` and `const { [`capability`]: c } = pkg.rawr ?? {}` (the `??`
    // fallback still destructures the rawr object).
    let p = "apps/server/src/plugin-registry.ts";
    expect(
        &boundary(&fixture("duplicate-parser-template-keys")),
        &[
            ("duplicate-parser", p, 3, 27),
            ("duplicate-parser", p, 4, 12),
        ],
    );
}

#[test]
fn duplicate_parsers_elsewhere_are_found_but_archives_and_tests_are_excluded() {
    let out = boundary(&fixture("duplicate-parser-elsewhere"));
    let p = "apps/server/src/plugin-registry.ts";
    expect(
        &out,
        &[
            ("duplicate-parser", p, 6, 13),
            ("duplicate-parser", p, 8, 47),
            ("duplicate-parser", p, 12, 33),
        ],
    );
    assert!(
        out.notes.iter().any(|n| n.contains("**/_archive/**")),
        "exclusions are printed: {:?}",
        out.notes
    );
}

#[test]
fn pipeline_params_are_validated_at_load_time() {
    let bad: toml::Table = toml::from_str("roots = {}\n").unwrap();
    assert!((metadata_contract::def().validate)(&bad).is_err());
    let bad: toml::Table = toml::from_str("archival = [\"a/[\"]\n").unwrap();
    assert!((import_boundary::def().validate)(&bad).is_err());
    let bad: toml::Table = toml::from_str("implementation = []\n").unwrap();
    let e = (discovery_roots::def().validate)(&bad).unwrap_err();
    assert_eq!(e.key.as_deref(), Some("implementation"));
}

/// The messages of the pre-migration findings, as a user reads them.
#[test]
fn pre_migration_messages() {
    let repo = fixture("pre-migration");
    let mut text = String::new();
    for (gate, out) in [
        ("metadata-contract", metadata(&repo)),
        ("discovery-roots", discovery(&repo)),
        ("import-boundary", boundary(&repo)),
    ] {
        text.push_str(&format!("== {gate}\n"));
        let mut findings = out.findings.clone();
        gates::finding::sort_findings(&mut findings);
        for f in findings {
            text.push_str(&format!("{}: [{}] {}\n", f.location(), f.rule, f.message));
        }
    }
    insta::assert_snapshot!(text);
}

#[test]
fn a_directory_at_an_implementation_path_is_reported_as_unreadable_by_both_gates() {
    // Nothing at the CLI path: missing. A directory at the HQ path: it exists, so both gates
    // leave it to the reader, which says what is wrong instead of "does not exist".
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(d.path().join(HQ)).unwrap();
    let repo = d.path().canonicalize().unwrap();
    for out in [discovery(&repo), boundary(&repo)] {
        let got = rows(&out);
        assert!(
            got.contains(&("implementation-missing".into(), CLI.into(), 0, 0)),
            "{got:?}"
        );
        let hq: Vec<_> = got.iter().filter(|r| r.1 == HQ).collect();
        assert_eq!(
            hq,
            [&("unreadable-file".to_string(), HQ.to_string(), 0, 0)],
            "{:#?}",
            out.findings
        );
    }
}

// ---------------------------------------------------------------- single field vs second parser

/// The passing tree with `files` written over it, in a temporary directory.
fn passing_with(files: &[(&str, &str)]) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            let dest = to.join(e.file_name());
            if e.file_type().unwrap().is_dir() {
                copy(&e.path(), &dest);
            } else {
                std::fs::copy(e.path(), dest).unwrap();
            }
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    copy(&fixture("passing"), tmp.path());
    for (rel, text) in files {
        let p = tmp.path().join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    tmp
}

const KIND_VALIDATOR: &str = "packages/agent-sync/src/lib/workspace.ts";

#[test]
fn a_module_checking_only_the_kind_is_a_validator_not_a_parser() {
    // Another package reads the manifest's `rawr` object for one field, to check the kind
    // of a plugin it was pointed at: no second parser of the manifest's identity.
    let tmp = passing_with(&[(
        KIND_VALIDATOR,
        "import { readFile } from \"node:fs/promises\";\n\
         \n\
         export async function pluginKind(pkgPath: string) {\n\
         \x20 const pkg = JSON.parse(await readFile(pkgPath, \"utf8\"));\n\
         \x20 const rawr = pkg.rawr && typeof pkg.rawr === \"object\" ? pkg.rawr : undefined;\n\
         \x20 return normalizeKind(rawr?.kind);\n\
         }\n\
         \n\
         function normalizeKind(v: unknown) {\n\
         \x20 return v === \"toolkit\" || v === \"agent\" ? v : undefined;\n\
         }\n",
    )]);
    let out = boundary(tmp.path());
    expect(&out, &[]);
    assert!(
        out.notes.iter().any(|n| n
            == &format!("{KIND_VALIDATOR}:6:30: reads only `rawr.kind` (a single-field validator, not a second manifest parser)")),
        "{:#?}",
        out.notes
    );
}

#[test]
fn a_module_reading_kind_and_capability_is_a_second_parser_at_each_read() {
    // The same module also reads the capability (in another function): together the two
    // reads rebuild the manifest's runtime identity outside the contract.
    let tmp = passing_with(&[(
        KIND_VALIDATOR,
        "export function pluginKind(pkg: any) {\n\
         \x20 const rawr = pkg.rawr ?? {};\n\
         \x20 return rawr?.kind;\n\
         }\n\
         \n\
         export function pluginCapability(pkg: any) {\n\
         \x20 return String(pkg.rawr.capability).trim();\n\
         }\n",
    )]);
    expect(
        &boundary(tmp.path()),
        &[
            ("duplicate-parser", KIND_VALIDATOR, 3, 16),
            ("duplicate-parser", KIND_VALIDATOR, 7, 26),
        ],
    );
}

#[test]
fn a_single_field_read_in_a_discovery_implementation_is_still_a_duplicate_read() {
    // The exemption is for validators elsewhere: a discovery path that reads even one field
    // itself parses manifests beside the contract.
    let tmp = passing_with(&[]);
    let hq_text = std::fs::read_to_string(tmp.path().join(HQ)).unwrap();
    let with_read =
        format!("{hq_text}\nexport function kindOf(pkg: any) {{\n  return pkg.rawr?.kind;\n}}\n");
    std::fs::write(tmp.path().join(HQ), &with_read).unwrap();
    let line = with_read.lines().count() as u32 - 1;
    expect(&boundary(tmp.path()), &[("duplicate-parser", HQ, line, 20)]);
}

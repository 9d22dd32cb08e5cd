//! The legacy-metadata guard on one fixture tree per scenario (tests/fixtures/guard/): exact
//! findings (path, line, column, rule, severity) for every syntactic role, nothing for
//! comments and near-misses, allow markers, archival exclusion, missing and malformed files.

use std::path::PathBuf;

use gates::checks::legacy_metadata_guard::{Mode, Params, ScanReport, scan_with};
use gates::finding::Severity;

fn fixture(name: &str) -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/guard")
        .join(name);
    std::fs::canonicalize(&p).unwrap_or_else(|e| panic!("fixture {}: {e}", p.display()))
}

fn scan(name: &str, params: Params) -> ScanReport {
    scan_with(&fixture(name), &params).expect("valid params")
}

/// Surfaces of the single-file scenario trees.
fn src_only(mode: Mode) -> Params {
    Params {
        surfaces: vec!["src/**/*.ts".into(), "plugins/*/*/package.json".into()],
        ..Params::defaults(mode)
    }
}

type Row = (String, u32, u32, String, &'static str);

fn rows(r: &ScanReport) -> Vec<Row> {
    r.output
        .findings
        .iter()
        .map(|f| {
            (
                f.path.clone().unwrap_or_default(),
                f.line,
                f.col,
                f.rule.clone(),
                f.severity.as_str(),
            )
        })
        .collect()
}

fn row(path: &str, line: u32, col: u32, rule: &str, sev: &'static str) -> Row {
    (path.into(), line, col, rule.into(), sev)
}

fn errors(rows: &[Row]) -> usize {
    rows.iter().filter(|r| r.4 == "error").count()
}

/// The warning a single-file scenario gets for the manifest glob that matches nothing there.
fn no_manifests() -> Row {
    row("", 0, 0, "legacy-guard-no-match", "warning")
}

#[test]
fn clean_tree_with_regex_traps_passes_in_both_modes() {
    for mode in [Mode::ReportOnly, Mode::Enforce] {
        let r = scan("clean", Params::defaults(mode));
        assert_eq!(rows(&r), vec![], "{mode:?}");
        // All 13 default surfaces were read; the prefilter parsed the ones mentioning a key as
        // a whole word outside a comment (prose in strings, `.json` text), and skipped those
        // with only near-miss names or comments.
        assert_eq!((r.files, r.parsed), (13, 7));
    }
}

#[test]
fn pre_migration_tree_reports_every_legacy_use() {
    let r = scan("pre-migration", Params::defaults(Mode::Enforce));
    let m = |root: &str, name: &str| format!("plugins/{root}/{name}/package.json");
    let mut expected = vec![
        row(
            "packages/hq/src/install/state.ts",
            2,
            3,
            "legacy-key-property",
            "error",
        ),
        row(
            "packages/hq/src/install/state.ts",
            3,
            3,
            "legacy-key-property",
            "error",
        ),
        row(
            "packages/hq/src/workspace/plugins.ts",
            4,
            5,
            "legacy-key-property",
            "error",
        ),
        row(
            "packages/hq/src/workspace/plugins.ts",
            4,
            24,
            "legacy-key-access",
            "error",
        ),
        row(
            "packages/hq/src/workspace/plugins.ts",
            5,
            5,
            "legacy-key-property",
            "error",
        ),
        row(
            "packages/hq/src/workspace/plugins.ts",
            5,
            29,
            "legacy-key-access",
            "error",
        ),
    ];
    for (root, name) in [("agents", "planner"), ("api", "status"), ("cli", "plugins")] {
        for line in 5..=7 {
            expected.push(row(&m(root, name), line, 5, "legacy-key-manifest", "error"));
        }
    }
    let cmd = "plugins/cli/plugins/src/commands/plugins";
    expected.extend([
        row(
            &format!("{cmd}/cli/install/all.ts"),
            1,
            27,
            "legacy-key-property",
            "error",
        ),
        row(
            &format!("{cmd}/cli/install/all.ts"),
            2,
            53,
            "legacy-key-access",
            "error",
        ),
        row(
            &format!("{cmd}/cli/install/all.ts"),
            2,
            79,
            "legacy-key-access",
            "error",
        ),
        row(
            &format!("{cmd}/scaffold/web-plugin.ts"),
            2,
            33,
            "legacy-key-property",
            "error",
        ),
        row(
            &format!("{cmd}/scaffold/web-plugin.ts"),
            2,
            54,
            "legacy-key-property",
            "error",
        ),
        row(
            &format!("{cmd}/scaffold/web-plugin.ts"),
            2,
            68,
            "legacy-key-property",
            "error",
        ),
        row(
            &format!("{cmd}/scaffold/web-plugin.ts"),
            2,
            93,
            "legacy-key-property",
            "error",
        ),
        row(
            &format!("{cmd}/web/enable.ts"),
            1,
            57,
            "legacy-key-access",
            "error",
        ),
        row(
            &format!("{cmd}/web/enable/all.ts"),
            1,
            35,
            "legacy-key-property",
            "error",
        ),
        row(
            &format!("{cmd}/web/enable/all.ts"),
            1,
            85,
            "legacy-key-access",
            "error",
        ),
        row(
            "plugins/cli/plugins/src/lib/install-state.ts",
            1,
            24,
            "legacy-key-destructuring",
            "error",
        ),
        row(
            "plugins/cli/plugins/src/lib/install-state.ts",
            1,
            33,
            "legacy-key-destructuring",
            "error",
        ),
        row(
            "plugins/cli/plugins/src/lib/install-state.ts",
            2,
            13,
            "legacy-key-identifier",
            "error",
        ),
        row(
            "plugins/cli/plugins/src/lib/install-state.ts",
            2,
            24,
            "legacy-key-identifier",
            "error",
        ),
        row(
            "plugins/cli/plugins/src/lib/workspace-plugins.ts",
            1,
            33,
            "legacy-key-property",
            "error",
        ),
        row(
            "plugins/cli/plugins/src/lib/workspace-plugins.ts",
            2,
            17,
            "legacy-key-access",
            "error",
        ),
    ]);
    for (root, name) in [("web", "dashboard"), ("workflows", "sync")] {
        for line in 5..=7 {
            expected.push(row(&m(root, name), line, 5, "legacy-key-manifest", "error"));
        }
    }
    assert_eq!(rows(&r), expected);
    // Messages name the key and the syntactic role.
    let f = &r.output.findings[3];
    assert_eq!(f.message, "legacy key `channel` as member access (dot)");

    // Report-only (A0): the same findings, as warnings; nothing fails the gate.
    let ro = scan("pre-migration", Params::defaults(Mode::ReportOnly));
    let warned: Vec<Row> = expected
        .iter()
        .map(|(p, l, c, r, _)| (p.clone(), *l, *c, r.clone(), "warning"))
        .collect();
    assert_eq!(rows(&ro), warned);
    assert_eq!(errors(&rows(&ro)), 0);
    assert!(
        ro.output.notes[0].starts_with("mode report-only"),
        "{:?}",
        ro.output.notes
    );
}

#[test]
fn a_missing_listed_file_is_an_error_in_both_modes() {
    for mode in [Mode::ReportOnly, Mode::Enforce] {
        let r = scan("missing-listed-file", Params::defaults(mode));
        assert_eq!(
            rows(&r),
            vec![row(
                "plugins/cli/plugins/src/commands/plugins/cli/install/all.ts",
                0,
                0,
                "legacy-guard-missing-surface",
                "error"
            )]
        );
    }
}

/// Each syntactic role, one tree each: exact place and rule.
#[test]
fn every_syntactic_role_is_reported_at_its_place() {
    type Expected = Vec<(u32, u32, &'static str)>;
    let cases: Vec<(&str, Expected)> = vec![
        (
            "role-member-access-dot",
            vec![(2, 22, "legacy-key-access"), (2, 45, "legacy-key-access")],
        ),
        (
            "role-member-access-bracket",
            vec![(2, 12, "legacy-key-access"), (3, 14, "legacy-key-access")],
        ),
        (
            "role-destructuring",
            vec![
                (2, 11, "legacy-key-destructuring"),
                (4, 6, "legacy-key-destructuring"),
                (5, 11, "legacy-key-identifier"),
            ],
        ),
        (
            "role-parameter",
            vec![
                (1, 23, "legacy-key-identifier"),
                (1, 43, "legacy-key-identifier"),
                (2, 10, "legacy-key-identifier"),
            ],
        ),
        (
            "role-identifier",
            vec![
                (1, 10, "legacy-key-identifier"),
                (3, 7, "legacy-key-identifier"),
                (4, 10, "legacy-key-identifier"),
            ],
        ),
        (
            "role-property-key",
            vec![
                (3, 3, "legacy-key-property"),
                (4, 3, "legacy-key-property"),
                (8, 3, "legacy-key-property"),
            ],
        ),
        (
            "role-type-member",
            vec![
                (2, 3, "legacy-key-property"),
                (3, 3, "legacy-key-property"),
                (6, 22, "legacy-key-property"),
            ],
        ),
        (
            "role-indexed-access-type",
            vec![
                (3, 35, "legacy-key-access"),
                (4, 35, "legacy-key-access"),
                (5, 41, "legacy-key-access"),
            ],
        ),
        (
            "role-string-key",
            vec![
                (2, 10, "legacy-key-access"),
                (2, 45, "legacy-key-access"),
                (2, 78, "legacy-key-access"),
            ],
        ),
        (
            // A computed key behind a cast or parentheses, a private field and its read,
            // `Record<"key", …>` and a mapped type's key.
            "role-cast-computed-key",
            vec![
                (2, 24, "legacy-key-property"),
                (2, 52, "legacy-key-property"),
                (3, 17, "legacy-key-destructuring"),
                (5, 3, "legacy-key-property"),
                (7, 17, "legacy-key-access"),
                (10, 29, "legacy-key-access"),
                (10, 58, "legacy-key-access"),
            ],
        ),
        (
            "role-string-mention",
            vec![
                (1, 26, "legacy-key-string-mention"),
                (2, 26, "legacy-key-string-mention"),
            ],
        ),
    ];
    for (scenario, want) in cases {
        let r = scan(scenario, src_only(Mode::Enforce));
        let mut expected = vec![no_manifests()];
        expected.extend(
            want.iter()
                .map(|(l, c, rule)| row("src/surface.ts", *l, *c, rule, "error")),
        );
        assert_eq!(rows(&r), expected, "{scenario}");
    }
    let roles: Vec<String> = scan("role-parameter", src_only(Mode::Enforce))
        .output
        .findings
        .iter()
        .skip(1)
        .map(|f| f.message.clone())
        .collect();
    assert_eq!(
        roles,
        [
            "legacy key `channel` as parameter",
            "legacy key `published` as parameter",
            "legacy key `published` as identifier reference"
        ]
    );
}

#[test]
fn manifest_keys_count_only_under_rawr_at_any_depth() {
    let r = scan("role-manifest-key", src_only(Mode::Enforce));
    let p = "plugins/web/dashboard/package.json";
    assert_eq!(
        rows(&r),
        vec![
            row("", 0, 0, "legacy-guard-no-match", "warning"),
            row(p, 7, 5, "legacy-key-manifest", "error"),
            row(p, 8, 18, "legacy-key-manifest", "error"),
        ]
    );
    assert!(
        r.output.findings[2]
            .message
            .contains("`rawr.routes[0].published`")
    );
}

#[test]
fn comments_prose_and_near_misses_are_not_findings() {
    let r = scan("traps", src_only(Mode::Enforce));
    assert_eq!(rows(&r), vec![no_manifests()]);
    // The file mentions every key, so it was parsed, not skipped by the prefilter.
    assert_eq!((r.files, r.parsed), (1, 1));
}

#[test]
fn the_prefilter_skips_near_misses_but_not_escaped_keys() {
    // Only near-miss names: not even parsed.
    let r = scan("near-miss-only", src_only(Mode::Enforce));
    assert_eq!(rows(&r), vec![no_manifests()]);
    assert_eq!((r.files, r.parsed), (1, 0));
    // `"chan\u006eel"`, `"\x63hannel"` and `"ch\annel"` are `channel` once decoded.
    let r = scan("escaped-key", src_only(Mode::Enforce));
    assert_eq!(
        rows(&r),
        vec![
            no_manifests(),
            row("src/surface.ts", 1, 35, "legacy-key-access", "error"),
            row("src/surface.ts", 3, 34, "legacy-key-access", "error"),
            row("src/surface.ts", 4, 39, "legacy-key-access", "error"),
        ]
    );
}

#[test]
fn each_escape_that_can_spell_a_key_sends_the_file_to_the_parser() {
    let guard = gates::checks::legacy_metadata_guard::Guard::new(&src_only(Mode::Enforce))
        .expect("valid params");
    let judged = |src: &str| {
        guard.judge_text("src/a.ts", src).map(|f| {
            f.iter()
                .map(|f| (f.line, f.col, f.rule.clone()))
                .collect::<Vec<_>>()
        })
    };
    let access = |col| Some(vec![(1, col, "legacy-key-access".to_string())]);
    // Each escape alone, so nothing else in the text could have sent it to the parser.
    assert_eq!(judged(r#"m["chan\u006eel"];"#), access(3));
    assert_eq!(judged(r#"m["chan\u{6e}el"];"#), access(3));
    assert_eq!(judged(r#"m["\x63hannel"];"#), access(3));
    assert_eq!(judged(r#"m["\143hannel"];"#), access(3));
    assert_eq!(judged(r#"m["ch\annel"];"#), access(3));
    assert_eq!(judged(r#"m["\c\h\annel"];"#), access(3));
    assert_eq!(judged("m[\"chan\\\nnel\"];"), access(3));
    // Escapes that cannot spell a name, and identity escapes that spell no key: skipped.
    assert_eq!(
        judged(r#"const s = "line\nchannelled\tpublishedAt\\";"#),
        None
    );
    assert_eq!(judged(r#"const r = "\d+\s\w";"#), None);
    assert_eq!(judged(r#"m["\chanel"];"#), None);
    assert_eq!(judged(r#"m["\c\h\a\n\nel"];"#), None);
}

#[test]
fn allow_markers_need_a_guarded_key_and_a_reason() {
    let r = scan("allow-markers", src_only(Mode::Enforce));
    assert_eq!(
        rows(&r),
        vec![
            no_manifests(),
            // `templateRole` read with a marker that gives no reason: still a finding, and
            // the marker itself is one.
            row("src/surface.ts", 5, 20, "legacy-key-access", "error"),
            row(
                "src/surface.ts",
                5,
                37,
                "legacy-guard-allow-without-reason",
                "error"
            ),
            row(
                "src/surface.ts",
                6,
                6,
                "legacy-guard-allow-unused",
                "warning"
            ),
            row(
                "src/surface.ts",
                8,
                26,
                "legacy-guard-allow-unknown-key",
                "error"
            ),
        ]
    );
    let allowed: Vec<&String> = r
        .output
        .notes
        .iter()
        .filter(|n| n.contains("allowed by inline marker"))
        .collect();
    assert_eq!(
        allowed,
        [
            "src/surface.ts:2:20 `publishTier` (member access (dot)) allowed by inline marker: strips the key from pre-A6 state files",
            "src/surface.ts:4:17 `channel` (member access (dot)) allowed by inline marker: read once to migrate old state files",
        ]
    );
    // In report-only mode the marker problems are warnings too.
    let ro = scan("allow-markers", src_only(Mode::ReportOnly));
    assert_eq!(errors(&rows(&ro)), 0);
}

#[test]
fn archival_surfaces_are_excluded_and_listed() {
    let params = Params {
        surfaces: vec!["**/*.ts".into()],
        ..Params::defaults(Mode::Enforce)
    };
    let r = scan("archival-exclusion", params);
    assert_eq!(rows(&r), vec![]);
    assert_eq!(r.files, 1);
    let notes = &r.output.notes;
    for expected in [
        "excluded as archival by `**/_archive/**`: 1 file(s): src/_archive/old-discovery.ts",
        "excluded as archival by `docs/projects/*/_*pass*/**`: 1 file(s): docs/projects/spec/_phase-a-pass-01/notes.ts",
        "excluded as archival by `**/__fixtures__/**`: 0 file(s)",
        "excluded as archival by `**/test/fixtures/**`: 1 file(s): test/fixtures/legacy-manifest.ts",
    ] {
        assert!(
            notes.iter().any(|n| n == expected),
            "missing note {expected:?} in {notes:#?}"
        );
    }
    // Without the exclusions the archived files are judged like any other.
    let all = Params {
        surfaces: vec!["**/*.ts".into()],
        exclude: vec![],
        ..Params::defaults(Mode::Enforce)
    };
    let r = scan("archival-exclusion", all);
    assert_eq!(
        rows(&r),
        vec![
            row(
                "docs/projects/spec/_phase-a-pass-01/notes.ts",
                1,
                24,
                "legacy-key-property",
                "error"
            ),
            row(
                "src/_archive/old-discovery.ts",
                1,
                26,
                "legacy-key-property",
                "error"
            ),
            row(
                "src/_archive/old-discovery.ts",
                1,
                50,
                "legacy-key-access",
                "error"
            ),
            row(
                "test/fixtures/legacy-manifest.ts",
                1,
                27,
                "legacy-key-property",
                "error"
            ),
        ]
    );
}

#[test]
fn malformed_files_are_positioned_errors_in_both_modes() {
    for mode in [Mode::ReportOnly, Mode::Enforce] {
        let r = scan("malformed-ts", src_only(mode));
        assert_eq!(
            rows(&r),
            vec![
                row(
                    "plugins/web/dashboard/package.json",
                    3,
                    43,
                    "syntax-error",
                    "error"
                ),
                row("src/broken.ts", 2, 26, "syntax-error", "error"),
            ],
            "{mode:?}"
        );
    }
}

#[test]
fn bad_params_are_rejected_at_load_time() {
    for (params, key) in [
        (
            Params {
                surfaces: vec![],
                ..Params::defaults(Mode::Enforce)
            },
            "surfaces",
        ),
        (
            Params {
                surfaces: vec!["../outside.ts".into()],
                ..Params::defaults(Mode::Enforce)
            },
            "surfaces",
        ),
        (
            Params {
                exclude: vec!["[".into()],
                ..Params::defaults(Mode::Enforce)
            },
            "exclude",
        ),
        (
            Params {
                keys: vec!["rawr.channel".into()],
                ..Params::defaults(Mode::Enforce)
            },
            "keys",
        ),
    ] {
        let e = scan_with(&fixture("clean"), &params).unwrap_err();
        assert_eq!(e.key.as_deref(), Some(key), "{}", e.message);
    }
}

#[test]
fn example_target_passes_in_both_modes() {
    let repo =
        std::fs::canonicalize(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/hq"))
            .unwrap();
    for mode in [Mode::ReportOnly, Mode::Enforce] {
        let r = scan_with(&repo, &Params::defaults(mode)).unwrap();
        assert_eq!(rows(&r), vec![], "{mode:?}");
        assert_eq!(r.files, 13, "every default surface exists in the example");
    }
    let _ = Severity::Error;
}

// ---- outputs: SARIF and GitHub annotations over the guard's findings ----------------------

fn gate_result(id: &str, r: ScanReport) -> gates::run::GateResult {
    let failed = r
        .output
        .findings
        .iter()
        .any(|f| f.severity == Severity::Error);
    gates::run::GateResult {
        id: id.into(),
        check: Some("legacy-metadata-guard".into()),
        command: None,
        slices: vec!["A6".into()],
        stage: 1,
        status: if failed {
            gates::run::Status::Failed
        } else {
            gates::run::Status::Passed
        },
        reason: None,
        duration_ms: 0,
        findings: r.output.findings,
        notes: r.output.notes,
        output: String::new(),
        cached: false,
    }
}

/// Where the SARIF places what has no path: the pipeline file at the gate's line.
fn origin() -> gates::report::Origin {
    gates::report::Origin {
        pipeline_file: "ci/phase-a.toml".into(),
        gate_lines: [("legacy-metadata-guard".to_string(), 120)].into(),
        pipeline: "phase-a".into(),
        ..Default::default()
    }
}

#[test]
fn sarif_has_one_rule_per_rule_id_and_repo_relative_locations() {
    let g = gate_result(
        "legacy-metadata-guard",
        scan("pre-migration", Params::defaults(Mode::Enforce)),
    );
    let mut errored = gate_result("metadata-contract", ScanReport::default());
    errored.status = gates::run::Status::Errored;
    errored.reason = Some("cannot read the pipeline's contract path".into());
    let text = gates::report::sarif::render_gates(&[g.clone(), errored], &origin());
    let v: serde_json::Value = serde_json::from_str(&text).expect("SARIF is JSON");
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules: Vec<&str> = run["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        rules,
        [
            "legacy-key-access",
            "legacy-key-destructuring",
            "legacy-key-identifier",
            "legacy-key-manifest",
            "legacy-key-property"
        ]
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), g.findings.len());
    for (r, f) in results.iter().zip(&g.findings) {
        assert_eq!(r["ruleId"], f.rule.as_str());
        assert_eq!(rules[r["ruleIndex"].as_u64().unwrap() as usize], f.rule);
        assert_eq!(r["level"], "error");
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert_eq!(Some(uri), f.path.as_deref());
        assert!(!uri.starts_with('/'), "repo-relative: {uri}");
        assert_eq!(loc["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        assert_eq!(loc["region"]["startLine"], f.line);
        assert_eq!(loc["region"]["startColumn"], f.col);
        assert_eq!(r["properties"]["gate"], "legacy-metadata-guard");
    }
    let inv = &run["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    assert_eq!(
        inv["toolExecutionNotifications"][0]["message"]["text"],
        "gate metadata-contract errored: cannot read the pipeline's contract path"
    );
}

#[test]
fn sarif_snapshot_of_allow_markers() {
    let g = gate_result(
        "legacy-metadata-guard",
        scan("allow-markers", src_only(Mode::Enforce)),
    );
    insta::assert_snapshot!(gates::report::sarif::render_gates(&[g], &origin()));
}

#[test]
fn annotations_are_capped_per_step_errors_first() {
    let g = gate_result(
        "legacy-metadata-guard",
        scan("pre-migration", Params::defaults(Mode::Enforce)),
    );
    assert_eq!(g.findings.len(), 37);
    let text = gates::report::github::render(&[g]);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), gates::report::github::Budget::STEP.errors + 1);
    assert_eq!(
        lines[0],
        "::error file=packages/hq/src/install/state.ts,line=2,col=3,title=legacy-metadata-guard%3A legacy-key-property::legacy key `templateRole` as type member%0Ahelp: runtime identity is rawr.kind + rawr.capability; delete `templateRole` here, or keep the line with `// rawr-gates: allow(templateRole) <reason>`"
    );
    assert!(
        lines[10].starts_with("::notice title=rawr-gates::27 finding(s) not annotated: GitHub keeps 10 error and 10 warning annotations per step"),
        "{}",
        lines[10]
    );
    // Report-only findings are warnings.
    let ro = gate_result(
        "legacy-metadata-guard-report",
        scan("role-member-access-dot", src_only(Mode::ReportOnly)),
    );
    let text = gates::report::github::render(&[ro]);
    assert!(text.lines().all(|l| l.starts_with("::warning ")), "{text}");
}

/// Plugin directories and source folders reached through symlinks are scanned under the
/// path they have in the tree; a link out of the repository is an error, a link loop ends.
#[cfg(unix)]
#[test]
fn linked_plugin_directories_are_scanned_and_links_out_are_errors() {
    use std::os::unix::fs::symlink;
    let t = tempfile::tempdir().expect("tempdir");
    let repo = t.path().join("repo");
    let outside = t.path().join("outside");
    let write = |rel: &str, text: &str| {
        let p = repo.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    };
    write(
        "shared/foo/package.json",
        "{\n  \"rawr\": { \"kind\": \"web\", \"capability\": \"foo\", \"channel\": \"B\" }\n}\n",
    );
    write(
        "shared/barsrc/a.ts",
        "export const c = (p: any) => p.channel;\n",
    );
    write(
        "plugins/web/bar/package.json",
        "{ \"rawr\": { \"kind\": \"web\", \"capability\": \"bar\" } }\n",
    );
    std::fs::create_dir_all(outside.join("ext")).expect("mkdir");
    std::fs::write(outside.join("ext/package.json"), "{}").expect("write");
    symlink("../../shared/foo", repo.join("plugins/web/foo")).expect("link");
    symlink("../../../shared/barsrc", repo.join("plugins/web/bar/src")).expect("link");
    symlink("..", repo.join("plugins/web/loop")).expect("link");
    std::fs::create_dir_all(repo.join("plugins/api")).expect("mkdir");
    symlink(outside.join("ext"), repo.join("plugins/api/ext")).expect("link");
    // A link out of the repository where no surface glob reaches is not looked at.
    symlink(&outside, repo.join("plugins/web/bar/dist")).expect("link");
    let repo = std::fs::canonicalize(&repo).expect("canonical");

    let params = Params {
        surfaces: vec![
            "plugins/*/*/package.json".into(),
            "plugins/*/*/src/**/*.ts".into(),
        ],
        ..Params::defaults(Mode::Enforce)
    };
    let r = scan_with(&repo, &params).expect("valid params");
    assert_eq!(
        rows(&r),
        vec![
            row(
                "plugins/api/ext",
                0,
                0,
                "legacy-guard-link-outside",
                "error"
            ),
            row(
                "plugins/web/bar/src/a.ts",
                1,
                32,
                "legacy-key-access",
                "error"
            ),
            row(
                "plugins/web/foo/package.json",
                2,
                49,
                "legacy-key-manifest",
                "error"
            ),
        ]
    );
    // The same with only the shallow manifest glob (a walk limited in depth).
    let r = scan_with(&repo, &Params::defaults(Mode::Enforce)).expect("valid params");
    let got: Vec<Row> = rows(&r)
        .into_iter()
        .filter(|r| !r.3.starts_with("legacy-guard-missing"))
        .collect();
    assert_eq!(
        got,
        vec![
            row(
                "plugins/api/ext",
                0,
                0,
                "legacy-guard-link-outside",
                "error"
            ),
            row(
                "plugins/web/foo/package.json",
                2,
                49,
                "legacy-key-manifest",
                "error"
            ),
        ]
    );
}

//! The host route gates (`manifest-smoke`, `host-composition-guard`) on one fixture tree per
//! scenario under `tests/fixtures/host/`, asserting the exact findings.

use std::path::PathBuf;

use gates::checks::{host_composition_guard, manifest_smoke};
use gates::finding::Severity;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/fixtures/host")
        .join(name)
}

type Row = (String, u32, u32, String, Severity);

fn rows(out: &gates::checks::CheckOutput) -> Vec<Row> {
    let mut v: Vec<Row> = out
        .findings
        .iter()
        .map(|f| {
            (
                f.path.clone().unwrap_or_default(),
                f.line,
                f.col,
                f.rule.clone(),
                f.severity,
            )
        })
        .collect();
    v.sort();
    v
}

fn smoke(name: &str, mode: &str) -> Vec<Row> {
    let p: manifest_smoke::Params = toml::from_str(&format!("mode = \"{mode}\"")).unwrap();
    rows(&manifest_smoke::check(&fixture(name), &p))
}

fn guard(name: &str) -> Vec<Row> {
    let p: host_composition_guard::Params = toml::from_str("").unwrap();
    rows(&host_composition_guard::check(&fixture(name), &p))
}

/// An expected warning (reported, not failing).
fn w(path: &str, line: u32, col: u32, rule: &str) -> Row {
    (
        path.to_string(),
        line,
        col,
        rule.to_string(),
        Severity::Warning,
    )
}

/// An expected error finding.
fn e(path: &str, line: u32, col: u32, rule: &str) -> Row {
    (
        path.to_string(),
        line,
        col,
        rule.to_string(),
        Severity::Error,
    )
}

/// A route listed in a constant is not a mount: the baseline fails without a real /api/orpc mount.
#[test]
fn baseline_missing_orpc_mount() {
    assert_eq!(
        smoke("baseline-missing-orpc-mount", "baseline"),
        vec![e("apps/server/src/rawr.ts", 7, 17, "mount-missing"),]
    );
    assert_eq!(
        smoke("baseline-missing-orpc-mount", "completion"),
        vec![e("apps/server/src/rawr.ts", 7, 17, "mount-missing"),]
    );
    assert_eq!(guard("baseline-missing-orpc-mount"), vec![]);
}

/// An A0-state host passes the baseline and fails the completion.
#[test]
fn baseline_only() {
    assert_eq!(smoke("baseline-only", "baseline"), vec![]);
    assert_eq!(
        smoke("baseline-only", "completion"),
        vec![
            e("apps/server/src/rawr.ts", 7, 17, "manifest-not-imported"),
            e("apps/server/src/rawr.ts", 7, 17, "mount-missing"),
            e(
                "apps/server/src/rawr.ts",
                19,
                27,
                "host-composes-seam-locally"
            ),
            e("rawr.hq.ts", 3, 31, "manifest-seam-missing"),
            e("rawr.hq.ts", 3, 31, "manifest-seam-missing"),
        ]
    );
    assert_eq!(guard("baseline-only"), vec![]);
}

/// Chained registrations run left to right: a late /api/inngest mount in a chain is out of order (and unguarded).
#[test]
fn chained_mount_order() {
    assert_eq!(
        smoke("chained-mount-order", "baseline"),
        vec![e("apps/server/src/rawr.ts", 7, 17, "mount-missing"),]
    );
    assert_eq!(
        smoke("chained-mount-order", "completion"),
        vec![e("apps/server/src/rawr.ts", 7, 17, "mount-missing"),]
    );
    assert_eq!(
        guard("chained-mount-order"),
        vec![
            e(
                "apps/server/src/orpc.ts",
                7,
                6,
                "ingress-dispatch-not-found"
            ),
            e(
                "apps/server/src/orpc.ts",
                7,
                6,
                "ingress-signature-not-verified"
            ),
            e("apps/server/src/orpc.ts", 7, 6, "mount-order"),
        ]
    );
}

/// A constant listing the right order does not hide the real (wrong) order of the registration calls.
#[test]
fn decorative_mount_order() {
    assert_eq!(smoke("decorative-mount-order", "baseline"), vec![]);
    assert_eq!(smoke("decorative-mount-order", "completion"), vec![]);
    assert_eq!(
        guard("decorative-mount-order"),
        vec![
            e("apps/server/src/rawr.ts", 16, 7, "mount-order"),
            e("apps/server/src/rawr.ts", 24, 7, "mount-order"),
        ]
    );
}

/// Elysia-style mounts (route options after the handler), Inngest's `serve` under another name reached through an object a helper returns, chained mounts: the guard passes; the host builds the runtime handler itself, so the serve-handler seam is not consumed.
#[test]
fn elysia_style() {
    assert_eq!(smoke("elysia-style", "baseline"), vec![]);
    assert_eq!(
        smoke("elysia-style", "completion"),
        vec![e("apps/server/src/rawr.ts", 29, 17, "seam-not-consumed"),]
    );
    assert_eq!(guard("elysia-style"), vec![]);
}

/// The host builds the Inngest bundle and serve handler itself instead of taking them from the manifest.
#[test]
fn host_composes_locally() {
    assert_eq!(smoke("host-composes-locally", "baseline"), vec![]);
    assert_eq!(
        smoke("host-composes-locally", "completion"),
        vec![
            e("apps/server/src/rawr.ts", 8, 17, "seam-not-consumed"),
            e("apps/server/src/rawr.ts", 8, 17, "seam-not-consumed"),
            e(
                "apps/server/src/rawr.ts",
                10,
                19,
                "host-composes-seam-locally"
            ),
            e(
                "apps/server/src/rawr.ts",
                11,
                17,
                "host-composes-seam-locally"
            ),
        ]
    );
    assert_eq!(guard("host-composes-locally"), vec![]);
}

/// The runtime handler is called before the signature is checked.
#[test]
fn ingress_dispatch_before_verification() {
    assert_eq!(
        smoke("ingress-dispatch-before-verification", "baseline"),
        vec![]
    );
    assert_eq!(
        smoke("ingress-dispatch-before-verification", "completion"),
        vec![]
    );
    assert_eq!(
        guard("ingress-dispatch-before-verification"),
        vec![e(
            "apps/server/src/rawr.ts",
            14,
            28,
            "ingress-dispatch-before-verification"
        ),]
    );
}

/// An ingress guard that only checks the signature header is present is not verification.
#[test]
fn ingress_header_only() {
    assert_eq!(smoke("ingress-header-only", "baseline"), vec![]);
    assert_eq!(smoke("ingress-header-only", "completion"), vec![]);
    assert_eq!(
        guard("ingress-header-only"),
        vec![e(
            "apps/server/src/rawr.ts",
            11,
            7,
            "ingress-signature-not-verified"
        ),]
    );
}

/// The verification result is computed but a failure does not leave the handler.
#[test]
fn ingress_verification_ignored() {
    assert_eq!(smoke("ingress-verification-ignored", "baseline"), vec![]);
    assert_eq!(smoke("ingress-verification-ignored", "completion"), vec![]);
    assert_eq!(
        guard("ingress-verification-ignored"),
        vec![e(
            "apps/server/src/rawr.ts",
            16,
            12,
            "ingress-dispatch-before-verification"
        ),]
    );
}

/// A capability without a pathPrefix, or with one outside /api/workflows/.
#[test]
fn manifest_bad_capabilities() {
    assert_eq!(smoke("manifest-bad-capabilities", "baseline"), vec![]);
    assert_eq!(
        smoke("manifest-bad-capabilities", "completion"),
        vec![
            e("rawr.hq.ts", 12, 7, "capability-path-prefix-missing"),
            e("rawr.hq.ts", 13, 30, "capability-path-prefix-invalid"),
        ]
    );
    assert_eq!(guard("manifest-bad-capabilities"), vec![]);
}

/// Each seam missing from the manifest is reported at the object that lacks it.
#[test]
fn manifest_missing_seams() {
    assert_eq!(smoke("manifest-missing-seams", "baseline"), vec![]);
    assert_eq!(
        smoke("manifest-missing-seams", "completion"),
        vec![
            e("rawr.hq.ts", 3, 19, "manifest-seam-missing"),
            e("rawr.hq.ts", 10, 9, "manifest-seam-missing"),
            e("rawr.hq.ts", 14, 12, "manifest-seam-missing"),
            e("rawr.hq.ts", 14, 12, "manifest-seam-missing"),
        ]
    );
    assert_eq!(guard("manifest-missing-seams"), vec![]);
}

/// rawr.hq.ts that does not export rawrHqManifest.
#[test]
fn manifest_not_exported() {
    assert_eq!(
        smoke("manifest-not-exported", "baseline"),
        vec![e("rawr.hq.ts", 0, 0, "manifest-export-missing"),]
    );
    assert_eq!(
        smoke("manifest-not-exported", "completion"),
        vec![e("rawr.hq.ts", 0, 0, "manifest-export-missing"),]
    );
    assert_eq!(guard("manifest-not-exported"), vec![]);
}

/// A syntax error in the manifest is a positioned finding.
#[test]
fn manifest_syntax_error() {
    assert_eq!(
        smoke("manifest-syntax-error", "baseline"),
        vec![e("rawr.hq.ts", 2, 19, "syntax-error"),]
    );
    assert_eq!(
        smoke("manifest-syntax-error", "completion"),
        vec![e("rawr.hq.ts", 2, 19, "syntax-error"),]
    );
    assert_eq!(guard("manifest-syntax-error"), vec![]);
}

/// No host module is a finding for both gates.
#[test]
fn missing_host() {
    assert_eq!(
        smoke("missing-host", "baseline"),
        vec![e("apps/server/src/rawr.ts", 0, 0, "host-missing"),]
    );
    assert_eq!(
        smoke("missing-host", "completion"),
        vec![e("apps/server/src/rawr.ts", 0, 0, "host-missing"),]
    );
    assert_eq!(
        guard("missing-host"),
        vec![e("apps/server/src/rawr.ts", 0, 0, "host-missing"),]
    );
}

/// No rawr.hq.ts: the A0 baseline (the three mounts) passes and says so in a note, since the
/// manifest arrives in A4; the completion mode reports it.
#[test]
fn missing_manifest() {
    assert_eq!(smoke("missing-manifest", "baseline"), vec![]);
    let p: manifest_smoke::Params = toml::from_str("mode = \"baseline\"").unwrap();
    let out = manifest_smoke::check(&fixture("missing-manifest"), &p);
    assert!(
        out.notes
            .iter()
            .any(|n| n
                .starts_with("rawr.hq.ts does not exist yet: the baseline does not require it")),
        "{:#?}",
        out.notes
    );
    assert_eq!(
        smoke("missing-manifest", "completion"),
        vec![e("rawr.hq.ts", 0, 0, "manifest-missing"),]
    );
    assert_eq!(guard("missing-manifest"), vec![]);
}

/// Boundary context created at module level, at registration time, and stored in a module-level binding.
#[test]
fn module_level_context() {
    assert_eq!(smoke("module-level-context", "baseline"), vec![]);
    assert_eq!(smoke("module-level-context", "completion"), vec![]);
    assert_eq!(
        guard("module-level-context"),
        vec![
            e(
                "apps/server/src/orpc.ts",
                4,
                23,
                "module-level-request-context"
            ),
            e(
                "apps/server/src/orpc.ts",
                8,
                22,
                "request-context-outside-handler"
            ),
            e(
                "apps/server/src/orpc.ts",
                14,
                5,
                "request-context-stored-globally"
            ),
        ]
    );
}

/// A host and manifest in the contract's shape pass both gates in every mode.
#[test]
fn passing() {
    assert_eq!(smoke("passing", "baseline"), vec![]);
    assert_eq!(smoke("passing", "completion"), vec![]);
    assert_eq!(guard("passing"), vec![]);
}

/// A family mounted only in a branch, or after an early `return`, is not mounted by every
/// host that starts; a `throw` guard before the mounts is not a condition on them.
#[test]
fn conditional_mounts() {
    let rpc = ("apps/server/src/orpc.ts", 5, 7);
    let orpc = ("apps/server/src/orpc.ts", 10, 7);
    assert_eq!(
        smoke("conditional-mounts", "baseline"),
        vec![
            e(rpc.0, rpc.1, rpc.2, "mount-conditional"),
            e(orpc.0, orpc.1, orpc.2, "mount-conditional"),
        ]
    );
    assert_eq!(
        smoke("conditional-mounts", "completion"),
        vec![
            e(rpc.0, rpc.1, rpc.2, "mount-conditional"),
            e(orpc.0, orpc.1, orpc.2, "mount-conditional"),
            e("apps/server/src/rawr.ts", 22, 9, "mount-conditional"),
        ]
    );
    // The composition guard judges order, stubs and ingress of the mounts that exist.
    assert_eq!(guard("conditional-mounts"), vec![]);
}

/// Namespace imports, destructured aliases, the manifest passed as an argument, `use` middleware and a handler factory are all followed.
#[test]
fn passing_aliases_and_middleware() {
    assert_eq!(smoke("passing-aliases-and-middleware", "baseline"), vec![]);
    assert_eq!(
        smoke("passing-aliases-and-middleware", "completion"),
        vec![]
    );
    assert_eq!(guard("passing-aliases-and-middleware"), vec![]);
}

/// A verifier that throws, caught by a `catch` that returns 401, guards the dispatch.
#[test]
fn passing_throwing_verifier() {
    assert_eq!(smoke("passing-throwing-verifier", "baseline"), vec![]);
    assert_eq!(smoke("passing-throwing-verifier", "completion"), vec![]);
    assert_eq!(guard("passing-throwing-verifier"), vec![]);
}

/// A dedicated /rpc/workflows mount.
#[test]
fn rpc_workflows_mount() {
    assert_eq!(smoke("rpc-workflows-mount", "baseline"), vec![]);
    assert_eq!(smoke("rpc-workflows-mount", "completion"), vec![]);
    assert_eq!(
        guard("rpc-workflows-mount"),
        vec![e("apps/server/src/orpc.ts", 5, 7, "rpc-workflows-mount"),]
    );
}

/// A dedicated /rpc/workflows mount made by a sub-router under the /rpc prefix.
#[test]
fn rpc_workflows_via_router_prefix() {
    assert_eq!(
        guard("rpc-workflows-via-router-prefix"),
        vec![e("apps/server/src/orpc.ts", 7, 7, "rpc-workflows-mount"),]
    );
}

/// Routes registered after `return app;` are dead code: not mounts.
#[test]
fn mounts_after_early_return() {
    assert_eq!(
        smoke("mounts-after-early-return", "baseline"),
        vec![
            e("apps/server/src/rawr.ts", 7, 17, "mount-missing"),
            e("apps/server/src/rawr.ts", 7, 17, "mount-missing"),
        ]
    );
}

/// A workflow mount that always answers 404 is a stub and does not route capabilities.
#[test]
fn stub_workflow_mount() {
    assert_eq!(smoke("stub-workflow-mount", "baseline"), vec![]);
    assert_eq!(
        smoke("stub-workflow-mount", "completion"),
        vec![
            e("apps/server/src/rawr.ts", 7, 17, "seam-not-consumed"),
            e("apps/server/src/rawr.ts", 7, 17, "seam-not-consumed"),
            e(
                "apps/server/src/rawr.ts",
                21,
                7,
                "capability-routing-not-from-manifest"
            ),
        ]
    );
    assert_eq!(
        guard("stub-workflow-mount"),
        vec![e("apps/server/src/rawr.ts", 21, 7, "stub-mount"),]
    );
}

fn messages_of(out: &gates::checks::CheckOutput, rule: &str) -> Vec<String> {
    let mut v: Vec<String> = out
        .findings
        .iter()
        .filter(|f| f.rule == rule)
        .map(|f| f.message.clone())
        .collect();
    v.sort();
    v
}

#[test]
fn findings_at_one_place_name_their_seam() {
    let p: manifest_smoke::Params = toml::from_str("mode = \"completion\"").unwrap();
    let out = manifest_smoke::check(&fixture("manifest-missing-seams"), &p);
    assert_eq!(
        messages_of(&out, "manifest-seam-missing"),
        vec![
            "rawrHqManifest.inngest.bundleFactory is not declared",
            "rawrHqManifest.inngest.serveHandlerFactory is not declared",
            "rawrHqManifest.orpc.router is not declared",
            "rawrHqManifest.workflows.triggerRouter is not declared",
        ]
    );
    let out = manifest_smoke::check(&fixture("host-composes-locally"), &p);
    assert_eq!(
        messages_of(&out, "seam-not-consumed"),
        vec![
            "`createHostApp` never reads rawrHqManifest.inngest.bundleFactory",
            "`createHostApp` never reads rawrHqManifest.inngest.serveHandlerFactory",
        ]
    );
    let out = manifest_smoke::check(&fixture("baseline-only"), &p);
    assert_eq!(
        messages_of(&out, "manifest-seam-missing"),
        vec![
            "rawrHqManifest.inngest is not declared",
            "rawrHqManifest.workflows is not declared",
        ]
    );
}

#[test]
fn mount_order_names_both_mounts() {
    let p: host_composition_guard::Params = toml::from_str("").unwrap();
    let out = host_composition_guard::check(&fixture("decorative-mount-order"), &p);
    let msgs = messages_of(&out, "mount-order");
    assert_eq!(msgs.len(), 2);
    assert!(
        msgs[0].starts_with("/api/inngest (/api/inngest) is mounted after /rpc (/rpc/* at apps/server/src/orpc.ts:5:7)"),
        "{}",
        msgs[0]
    );
    assert!(msgs[1].starts_with("/api/workflows/*"), "{}", msgs[1]);
}

/// The bundled example is in the passing state for every mode of both gates.
#[test]
fn example_passes() {
    let example = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/hq");
    for mode in ["baseline", "completion"] {
        let p: manifest_smoke::Params = toml::from_str(&format!("mode = \"{mode}\"")).unwrap();
        let out = manifest_smoke::check(&example, &p);
        assert_eq!(rows(&out), vec![], "{mode}: {:?}", out.findings);
        assert!(
            out.notes[0].contains("all /api/inngest (apps/server/src/rawr.ts:"),
            "{:?}",
            out.notes
        );
    }
    let p: host_composition_guard::Params = toml::from_str("").unwrap();
    let out = host_composition_guard::check(&example, &p);
    assert_eq!(rows(&out), vec![], "{:?}", out.findings);
}

/// Bad input gives positioned findings, never a panic.
#[test]
fn binary_and_escaping_manifests_are_findings() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join("apps/server/src")).unwrap();
    std::fs::write(
        repo.join("rawr.hq.ts"),
        b"export const rawrHqManifest = {\n\0};\n",
    )
    .unwrap();
    std::fs::write(
        repo.join("apps/server/src/rawr.ts"),
        "export function createHostApp() {\n",
    )
    .unwrap();
    let p: manifest_smoke::Params = toml::from_str("mode = \"completion\"").unwrap();
    let out = manifest_smoke::check(&repo, &p);
    assert_eq!(
        rows(&out),
        vec![
            e("apps/server/src/rawr.ts", 2, 1, "syntax-error"),
            e("rawr.hq.ts", 2, 1, "unreadable-file"),
        ]
    );
    #[cfg(unix)]
    {
        std::fs::write(
            dir.path().join("outside.ts"),
            "export const rawrHqManifest = {};\n",
        )
        .unwrap();
        std::fs::remove_file(repo.join("rawr.hq.ts")).unwrap();
        std::os::unix::fs::symlink(dir.path().join("outside.ts"), repo.join("rawr.hq.ts")).unwrap();
        let out = manifest_smoke::check(&repo, &p);
        let f = out
            .findings
            .iter()
            .find(|f| f.path.as_deref() == Some("rawr.hq.ts"))
            .unwrap();
        assert_eq!((f.rule.as_str(), f.line, f.col), ("unreadable-file", 0, 0));
        assert!(
            f.message.contains("outside the repository"),
            "{}",
            f.message
        );
    }
}

#[test]
fn unknown_params_are_rejected_with_their_key() {
    for def in gates::checks::registry()
        .iter()
        .filter(|d| d.name == "manifest-smoke" || d.name == "host-composition-guard")
    {
        let t: toml::Table = toml::from_str("mode = \"baseline\"\nhots = \"x\"").unwrap();
        let err = (def.validate)(&t).unwrap_err();
        assert_eq!(
            err.key.as_deref(),
            Some("hots"),
            "{}: {}",
            def.name,
            err.message
        );
    }
    let t: toml::Table = toml::from_str("mode = \"finished\"").unwrap();
    let def = gates::checks::registry()
        .iter()
        .find(|d| d.name == "manifest-smoke")
        .unwrap();
    assert!((def.validate)(&t).is_err());
}

/// The landed shape: a relative `pathPrefix`, a capability table computed at module level from
/// `workflows.capabilities` and read by the handler through a helper, a verdict compared
/// with `!== true`.
#[test]
fn passing_derived_capability_table() {
    assert_eq!(
        smoke("passing-derived-capability-table", "baseline"),
        vec![]
    );
    assert_eq!(
        smoke("passing-derived-capability-table", "completion"),
        vec![]
    );
    assert_eq!(guard("passing-derived-capability-table"), vec![]);
}

/// The text a user reads for each way the host can fail the guard.
#[test]
fn guard_messages_snapshot() {
    let p: host_composition_guard::Params = toml::from_str("").unwrap();
    let mut text = String::new();
    for name in [
        "decorative-mount-order",
        "ingress-header-only",
        "ingress-dispatch-before-verification",
        "module-level-context",
        "rpc-workflows-mount",
        "stub-workflow-mount",
    ] {
        let out = host_composition_guard::check(&fixture(name), &p);
        text.push_str(&format!("== {name}\n"));
        for f in &out.findings {
            text.push_str(&format!("{} {} {}\n", f.location(), f.rule, f.message));
            if let Some(h) = &f.help {
                text.push_str(&format!("  help: {h}\n"));
            }
        }
    }
    insta::assert_snapshot!(text);
}

/// `rawrHqManifest` bound to a call the gate cannot read as an object literal.
#[test]
fn manifest_not_object() {
    assert_eq!(
        smoke("manifest-not-object", "baseline"),
        vec![e("rawr.hq.ts", 3, 31, "manifest-not-object"),]
    );
    assert_eq!(
        smoke("manifest-not-object", "completion"),
        vec![e("rawr.hq.ts", 3, 31, "manifest-not-object"),]
    );
    assert_eq!(guard("manifest-not-object"), vec![]);
}

/// `workflows.capabilities` declares no capability.
#[test]
fn manifest_capabilities_empty() {
    assert_eq!(smoke("manifest-capabilities-empty", "baseline"), vec![]);
    assert_eq!(
        smoke("manifest-capabilities-empty", "completion"),
        vec![e("rawr.hq.ts", 10, 19, "capabilities-empty"),]
    );
    assert_eq!(guard("manifest-capabilities-empty"), vec![]);
}

/// `workflows.capabilities` computed at runtime cannot be shown to declare path prefixes.
#[test]
fn manifest_capabilities_computed() {
    assert_eq!(smoke("manifest-capabilities-computed", "baseline"), vec![]);
    assert_eq!(
        smoke("manifest-capabilities-computed", "completion"),
        vec![e("rawr.hq.ts", 10, 19, "capabilities-not-object"),]
    );
    assert_eq!(guard("manifest-capabilities-computed"), vec![]);
}

/// A context factory that keeps its result in module state shares it between requests.
#[test]
fn context_factory_caches() {
    assert_eq!(smoke("context-factory-caches", "baseline"), vec![]);
    assert_eq!(smoke("context-factory-caches", "completion"), vec![]);
    assert_eq!(
        guard("context-factory-caches"),
        vec![e(
            "apps/server/src/workflows/context.ts",
            4,
            3,
            "context-factory-caches"
        ),]
    );
}

/// No handler creates a boundary context.
#[test]
fn context_never_created() {
    assert_eq!(smoke("context-never-created", "baseline"), vec![]);
    assert_eq!(smoke("context-never-created", "completion"), vec![]);
    assert_eq!(
        guard("context-never-created"),
        vec![e(
            "apps/server/src/rawr.ts",
            6,
            17,
            "request-context-not-created"
        ),]
    );
}

/// The boundary-context module does not exist.
#[test]
fn context_module_missing() {
    assert_eq!(smoke("context-module-missing", "baseline"), vec![]);
    assert_eq!(smoke("context-module-missing", "completion"), vec![]);
    assert_eq!(
        guard("context-module-missing"),
        vec![e(
            "apps/server/src/workflows/context.ts",
            0,
            0,
            "context-module-missing"
        ),]
    );
}

/// The boundary-context module exports no factory.
#[test]
fn context_factory_missing() {
    assert_eq!(smoke("context-factory-missing", "baseline"), vec![]);
    assert_eq!(smoke("context-factory-missing", "completion"), vec![]);
    assert_eq!(
        guard("context-factory-missing"),
        vec![e(
            "apps/server/src/workflows/context.ts",
            0,
            0,
            "context-factory-missing"
        ),]
    );
}

/// No /api/inngest mount: the baseline fails and the guard cannot show the signature check.
#[test]
fn ingress_missing() {
    assert_eq!(
        smoke("ingress-missing", "baseline"),
        vec![e("apps/server/src/rawr.ts", 7, 17, "mount-missing"),]
    );
    assert_eq!(
        smoke("ingress-missing", "completion"),
        vec![e("apps/server/src/rawr.ts", 7, 17, "mount-missing"),]
    );
    assert_eq!(
        guard("ingress-missing"),
        vec![e("apps/server/src/rawr.ts", 7, 17, "ingress-mount-missing"),]
    );
}

/// An ingress handler taken from a package the gate cannot read is reported, not trusted; a mount with a computed path is a warning.
#[test]
fn ingress_opaque_handler() {
    assert_eq!(smoke("ingress-opaque-handler", "baseline"), vec![]);
    assert_eq!(smoke("ingress-opaque-handler", "completion"), vec![]);
    assert_eq!(
        guard("ingress-opaque-handler"),
        vec![
            e(
                "apps/server/src/rawr.ts",
                15,
                27,
                "ingress-handler-unreadable"
            ),
            w("apps/server/src/rawr.ts", 16, 7, "mount-path-unresolved"),
        ]
    );
}

/// A throwing verifier whose `catch` does not leave the handler guards nothing.
#[test]
fn ingress_catch_swallows() {
    assert_eq!(smoke("ingress-catch-swallows", "baseline"), vec![]);
    assert_eq!(smoke("ingress-catch-swallows", "completion"), vec![]);
    assert_eq!(
        guard("ingress-catch-swallows"),
        vec![e(
            "apps/server/src/rawr.ts",
            19,
            12,
            "ingress-dispatch-before-verification"
        ),]
    );
}

/// Verification in `finally` runs after dispatch.
#[test]
fn ingress_verify_in_finally() {
    assert_eq!(
        guard("ingress-verify-in-finally"),
        vec![e(
            "apps/server/src/rawr.ts",
            16,
            14,
            "ingress-dispatch-before-verification"
        ),]
    );
}

/// A 401 returned from a callback (`keys.forEach(k => { ... return 401 })`) does not leave
/// the handler: dispatch follows for every request.
#[test]
fn ingress_reject_returned_from_callback() {
    assert_eq!(
        guard("ingress-reject-returned-from-callback"),
        vec![e(
            "apps/server/src/rawr.ts",
            20,
            12,
            "ingress-dispatch-before-verification"
        ),]
    );
}

/// A registration function named in the params that does not exist is a finding.
#[test]
fn named_registration_that_does_not_exist() {
    let p: host_composition_guard::Params =
        toml::from_str("registration = \"mountEverything\"").unwrap();
    assert_eq!(
        rows(&host_composition_guard::check(&fixture("passing"), &p)),
        vec![e("apps/server/src/rawr.ts", 0, 0, "registration-missing")]
    );
    let p: host_composition_guard::Params =
        toml::from_str("registration = \"createHostApp\"").unwrap();
    assert_eq!(
        rows(&host_composition_guard::check(&fixture("passing"), &p)),
        vec![]
    );
}

/// `options.router ?? createLocalRouter()` where the one registration call passes
/// `router: rawrHqManifest.orpc.router`: the fallback never runs, so what it composes (and
/// the function only it calls) is not local composition.
#[test]
fn fallback_never_reached() {
    assert_eq!(smoke("fallback-never-reached", "completion"), vec![]);
    assert_eq!(smoke("fallback-never-reached", "baseline"), vec![]);
    assert_eq!(guard("fallback-never-reached"), vec![]);
}

/// The same fallback when the registration call omits `router`: the host composes the
/// router itself, at each primitive the fallback calls.
#[test]
fn fallback_reached() {
    assert_eq!(
        smoke("fallback-reached", "completion"),
        vec![
            e(
                "apps/server/src/orpc.ts",
                12,
                10,
                "host-composes-seam-locally"
            ),
            e(
                "apps/server/src/orpc.ts",
                12,
                34,
                "host-composes-seam-locally"
            ),
        ]
    );
}

//! `gate observability-contract` on a fresh git copy of the example: it passes as bundled,
//! and fails naming the file, the test and its position when one assertion is broken, when
//! the tests are skipped, when the file declares none, and when the file is gone. Each case
//! is a real vitest run through the gate's own command (the harness gates' shared one).

use std::path::Path;

use crate::support::{copy_dir, git, workspace, xtask};

const TEST_FILE: &str = "packages/coordination-observability/test/observability.test.ts";

/// Runs the gate against `repo`: exit code and the findings as `rule path:line:col message`.
fn gate(repo: &Path) -> (Option<i32>, Vec<String>) {
    let out = xtask()
        .args([
            "gate",
            "observability-contract",
            "--format",
            "json",
            "--repo",
        ])
        .arg(repo)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let r: serde_json::Value = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("{e}\n{stdout}\n{}", String::from_utf8_lossy(&out.stderr)));
    let findings = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}:{}:{} {}",
                f["rule"].as_str().unwrap(),
                f["path"].as_str().unwrap_or(""),
                f["line"],
                f["col"],
                f["message"].as_str().unwrap()
            )
        })
        .collect();
    (out.status.code(), findings)
}

fn edit(repo: &Path, from: &str, to: &str) {
    let path = repo.join(TEST_FILE);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{from:?} not in the example's test");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

#[test]
fn the_observability_gate_judges_the_packages_tests_in_the_suite_run() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path().join("hq");
    copy_dir(&workspace().join("examples/hq"), &repo);
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "example"]);
    let original = std::fs::read_to_string(repo.join(TEST_FILE)).unwrap();

    assert_eq!(gate(&repo), (Some(0), vec![]));

    // One assertion broken.
    edit(
        &repo,
        r#"expect(e.status).toBe("running");"#,
        r#"expect(e.status).toBe("queued");"#,
    );
    assert_eq!(
        gate(&repo),
        (
            Some(1),
            vec![format!(
                "observability-test-failed {TEST_FILE}:5:3 test `observability contract > stamps a run event with an id and a time` failed: AssertionError: expected 'running' to be 'queued' // Object.is equality"
            )]
        )
    );

    // The same run's report named on the command line: the same verdict, without a run; a
    // report that is not there cannot be judged.
    let kept = tmp.path().join("vitest.json");
    std::fs::copy(repo.join(".git/rawr-gates/harness/vitest.json"), &kept).unwrap();
    let judged = |report: &Path| {
        let out = xtask()
            .args([
                "gate",
                "observability-contract",
                "--format",
                "json",
                "--repo",
            ])
            .arg(&repo)
            .arg("--report")
            .arg(report)
            .output()
            .unwrap();
        let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let rules: Vec<String> = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                format!(
                    "{} {}:{}:{}",
                    f["rule"].as_str().unwrap(),
                    f["path"].as_str().unwrap(),
                    f["line"],
                    f["col"]
                )
            })
            .collect();
        (out.status.code(), rules)
    };
    assert_eq!(
        judged(&kept),
        (
            Some(1),
            vec![format!("observability-test-failed {TEST_FILE}:5:3")]
        )
    );
    let absent = tmp.path().join("absent.json");
    assert_eq!(
        judged(&absent),
        (
            Some(1),
            vec![format!(
                "observability-report-unreadable {}:0:0",
                absent.display()
            )]
        )
    );

    // Its tests skipped.
    std::fs::write(repo.join(TEST_FILE), &original).unwrap();
    edit(
        &repo,
        r#"describe("observability contract""#,
        r#"describe.skip("observability contract""#,
    );
    let (code, findings) = gate(&repo);
    assert_eq!(code, Some(1));
    assert_eq!(
        findings,
        [
            (5, "stamps a run event with an id and a time"),
            (13, "links a run to its host timeline and engine page"),
            (19, "prefers the engine's own run id when it is known"),
        ]
        .map(|(line, title)| format!(
            "observability-test-skipped {TEST_FILE}:{line}:3 test `observability contract > {title}` did not run (skipped): a test that does not run covers nothing"
        ))
    );

    // Empty: no test at all.
    std::fs::write(repo.join(TEST_FILE), "// nothing yet\n").unwrap();
    let (code, findings) = gate(&repo);
    assert_eq!(code, Some(1));
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(
        findings[0].starts_with(&format!(
            "observability-zero-tests {TEST_FILE}:0:0 `{TEST_FILE}` declares no test: No test suite found in file"
        )),
        "{findings:?}"
    );

    // Deleted.
    std::fs::remove_file(repo.join(TEST_FILE)).unwrap();
    assert_eq!(
        gate(&repo),
        (
            Some(1),
            vec![format!(
                "observability-test-missing {TEST_FILE}:0:0 the observability test file `{TEST_FILE}` does not exist"
            )]
        )
    );
    // An earlier run's report judged with the file gone: the same verdict as a run gives.
    assert_eq!(
        judged(&kept),
        (
            Some(1),
            vec![format!("observability-test-missing {TEST_FILE}:0:0")]
        )
    );
}

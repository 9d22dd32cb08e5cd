//! End to end: `cargo xtask gate legacy-metadata-guard` on scenario trees, with `--sarif` and
//! under `GITHUB_ACTIONS=true`: exit codes, the SARIF file, the annotations.

use assert_cmd::Command;

use crate::support;

use support::workspace;

fn xtask() -> Command {
    let mut c = Command::cargo_bin("xtask").expect("the xtask binary");
    c.current_dir(workspace()).env("NO_COLOR", "1");
    c
}

#[test]
fn enforce_mode_fails_writes_sarif_and_annotates_under_github_actions() {
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("guard.sarif");
    let out = xtask()
        .env("GITHUB_ACTIONS", "true")
        .args(["gate", "legacy-metadata-guard", "--repo"])
        .arg(workspace().join("tests/fixtures/guard/pre-migration"))
        .arg("--sarif")
        .arg(&sarif)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let annotations: Vec<&str> = stdout.lines().filter(|l| l.starts_with("::")).collect();
    assert_eq!(annotations.len(), 11, "{stdout}");
    assert!(annotations[0].starts_with(
        "::error file=packages/hq/src/install/state.ts,line=2,col=3,title=legacy-metadata-guard%3A legacy-key-property::"
    ));
    assert!(annotations[10].starts_with("::notice title=rawr-gates::27 finding(s) not annotated"));
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&sarif).unwrap()).unwrap();
    assert_eq!(v["version"], "2.1.0");
    assert_eq!(v["runs"][0]["results"].as_array().unwrap().len(), 37);
}

#[test]
fn report_only_mode_passes_with_warnings_and_no_annotations_outside_actions() {
    let out = xtask()
        .env_remove("GITHUB_ACTIONS")
        .args(["gate", "legacy-metadata-guard-report", "--repo"])
        .arg(workspace().join("tests/fixtures/guard/pre-migration"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.starts_with("PASS legacy-metadata-guard-report"),
        "{stdout}"
    );
    assert!(!stdout.lines().any(|l| l.starts_with("::")), "{stdout}");
    assert!(
        stdout.contains("warning: [legacy-key-manifest]"),
        "{stdout}"
    );
}

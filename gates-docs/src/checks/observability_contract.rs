//! `observability-contract`: the observability package's tests ran in the suite run and
//! passed.
//!
//! **What it checks.** The packet's gate contract lists `observability-contract` for slices
//! A0, A5 and A6 ("missing required observability gate scaffold/test coverage"). The gate
//! names the package (`package`, default `packages/coordination-observability`) and its test
//! file (`test_file`, relative to the package, default `test/observability.test.ts`), and is
//! judged from the runner's own report of the one shared suite run (the gate names the same
//! command and report as `harness-matrix`, so the suites run once per pipeline run; see
//! [`crate::process::shared`]). It requires: the package's `package.json` and the test file
//! exist; the runner ran that file; the file declared at least one test and loaded without
//! error; and every test of the package the runner reported passed. Each way to miss is a
//! finding naming the file, the test title and its position: `observability-package-missing`,
//! `observability-test-missing`, `observability-test-not-run`, `observability-file-failed`,
//! `observability-zero-tests`, `observability-test-skipped` (skipped or todo) and
//! `observability-test-failed`.
//!
//! **Why.** The user's own gate only checked that the package and the file exist: a test file
//! whose tests are all skipped, that holds no test, or whose assertions fail passed it.
//!
//! **How to fix.** Keep the test file, make its tests run (no `.skip`/`.todo`) and pass; make
//! sure the gate's command covers the package's test directory (e.g. add
//! `packages/coordination-observability/test` to the vitest roots).

use gates_core::fs::probe::Probe;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::{
    Capability, CheckCtx, CheckDef, CheckOutput, ParamError, Rule, parse_params, resolve_inside,
};
use crate::error::GateError;
use crate::finding::Finding;
use crate::fs::source;
use crate::testreport::{self, CaseStatus, ReportFormat, TestCase, TestRun};

/// The package the packet's observability contract is about.
pub const DEFAULT_PACKAGE: &str = "packages/coordination-observability";
/// Its test file, relative to the package.
pub const DEFAULT_TEST_FILE: &str = "test/observability.test.ts";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// The observability package (repository-relative directory).
    package: Option<String>,
    /// Its test file, relative to the package.
    test_file: Option<String>,
    /// The report to judge when the gate has no command (one a CI step wrote).
    report: Option<String>,
    /// `vitest-json` or `junit`; default: the command's report format, else sniffed.
    report_format: Option<String>,
}

impl Params {
    fn package(&self) -> String {
        self.package
            .clone()
            .unwrap_or_else(|| DEFAULT_PACKAGE.into())
            .trim_end_matches('/')
            .to_string()
    }

    /// The test file, repository-relative.
    fn test_file(&self) -> String {
        let f = self
            .test_file
            .clone()
            .unwrap_or_else(|| DEFAULT_TEST_FILE.into());
        format!("{}/{}", self.package(), f.trim_start_matches("./"))
    }
}

pub fn def() -> CheckDef {
    CheckDef {
        name: "observability-contract",
        summary: "the observability package's tests ran in the suite run and passed",
        capabilities: &[Capability::WorkTree, Capability::CommandOutcome],
        rules: &[RULES],
        parts: None,
        aliases: &[],
        validate,
        roles: super::no_roles,
        run,
    }
}

const FIX: &str = "make the observability package's tests exist, run in the suite run and pass";

/// Every rule of the observability-contract check.
pub const RULES: &[Rule] = &[
    super::error(
        "observability-package-missing",
        "the observability package does not exist",
        FIX,
    ),
    super::error(
        "observability-test-missing",
        "the observability test file does not exist",
        FIX,
    ),
    super::error(
        "observability-report-missing",
        "the suite run wrote no test report",
        FIX,
    ),
    super::error(
        "observability-report-unreadable",
        "the suite run's test report cannot be read",
        FIX,
    ),
    super::error(
        "observability-report-stale",
        "the test report is older than the run",
        FIX,
    ),
    super::error(
        "observability-test-not-run",
        "the observability tests did not run in the suite run",
        FIX,
    ),
    super::error(
        "observability-zero-tests",
        "the observability test file ran no test",
        FIX,
    ),
    super::error(
        "observability-file-failed",
        "the observability test file failed to run",
        FIX,
    ),
    super::error(
        "observability-test-failed",
        "an observability test failed",
        FIX,
    ),
    super::error(
        "observability-test-skipped",
        "an observability test was skipped",
        FIX,
    ),
];

pub fn validate(table: &toml::Table) -> Result<(), ParamError> {
    let p: Params = parse_params(table)?;
    let bad = |key: &str, message: String| {
        Err(ParamError {
            message,
            key: Some(key.to_string()),
        })
    };
    for (key, path) in [
        ("package", Some(p.package())),
        ("test_file", Some(p.test_file())),
        ("report", p.report.clone()),
    ] {
        if let Some(path) = path
            && (path.trim().is_empty() || resolve_inside(Path::new("."), &path).is_err())
        {
            return bad(
                key,
                format!("{key}: {path:?} must be a path inside the target repository"),
            );
        }
    }
    if let Some(f) = &p.report_format
        && ReportFormat::parse(f).is_none()
    {
        return bad(
            "report_format",
            format!("unknown report_format {f:?} (known: vitest-json, junit)"),
        );
    }
    Ok(())
}

pub fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let params: Params = ctx.params()?;
    let mut out = CheckOutput::default();
    let package = params.package();
    let test_file = params.test_file();

    if !package_and_test_present(ctx.repo, &package, &test_file, &mut out)? {
        return Ok(out);
    }

    let spec = ctx
        .pipeline
        .gates
        .get(ctx.gate_id)
        .and_then(|g| g.kind.command());
    let (report_rel, declared) = match (spec.and_then(|s| s.report.as_ref()), &params.report) {
        (Some(r), _) => (
            r.path.to_string_lossy().into_owned(),
            Some(r.format.clone()),
        ),
        (None, Some(p)) => (p.clone(), None),
        (None, None) => {
            return Err(GateError::msg(
                "observability-contract judges a test report: give the gate the suite run's command with \
                 `report = { path, format }` (the one harness-matrix names), or set the `report` param",
            ));
        }
    };
    let format = params
        .report_format
        .as_deref()
        .or(declared.as_deref())
        .and_then(ReportFormat::parse);
    let report = ctx.output_path(&report_rel)?;
    let cwd = match spec {
        Some(s) => ctx.repo_path(&s.cwd.to_string_lossy())?,
        None => ctx.repo.to_path_buf(),
    };
    let report_shown = source::rel_path(ctx.repo, &report);
    if let Some(cmd) = ctx.command {
        if let Some(log) = &cmd.log {
            let shown = match log.strip_prefix(ctx.repo) {
                Ok(_) => source::rel_path(ctx.repo, log),
                Err(_) => log.display().to_string(),
            };
            out.notes
                .push(format!("the runner's full output is in {shown}"));
        }
        let started = cmd.started_at - Duration::from_secs(2);
        if testreport::mtime(&report).is_some_and(|m| m < started) {
            out.findings.push(
                Finding::error(
                    "observability-report-stale",
                    report_shown,
                    0,
                    0,
                    format!(
                        "`{}` did not rewrite the report (it is older than this run); refusing to judge an earlier run",
                        cmd.argv.join(" ")
                    ),
                )
                .with_help(cmd.tail(20)),
            );
            return Ok(out);
        }
    }
    let run = match testreport::read(&report, format) {
        Ok(r) => r,
        Err(e) => {
            let (rule, message) = if report.probe_exists() {
                (
                    "observability-report-unreadable",
                    format!("{report_shown} {}", e.message),
                )
            } else {
                (
                    "observability-report-missing",
                    "the runner wrote no report here, so nothing can be judged".into(),
                )
            };
            let mut f = Finding::error(rule, report_shown, e.line, e.col, message);
            if let Some(cmd) = ctx.command {
                f = f.with_help(format!("`{}`:\n{}", cmd.argv.join(" "), cmd.tail(20)));
            }
            out.findings.push(f);
            return Ok(out);
        }
    };
    judge(ctx.repo, &cwd, &package, &test_file, &run, &mut out);
    Ok(out)
}

/// The package's manifest and its test file are there (else their findings, and `false` when
/// the test file is missing: nothing can then be judged of its run).
fn package_and_test_present(
    repo: &Path,
    package: &str,
    test_file: &str,
    out: &mut CheckOutput,
) -> Result<bool, GateError> {
    let manifest = format!("{package}/package.json");
    if !resolve_inside(repo, &manifest)?.probe_is_file() {
        out.findings.push(
            Finding::error(
                "observability-package-missing",
                manifest.clone(),
                0,
                0,
                format!("the observability package `{package}` has no `package.json`"),
            )
            .with_help("the packet requires the observability package and its tests (A0, A5, A6)"),
        );
    }
    if !resolve_inside(repo, test_file)?.probe_is_file() {
        out.findings.push(Finding::error(
            "observability-test-missing",
            test_file.to_string(),
            0,
            0,
            format!("the observability test file `{test_file}` does not exist"),
        ));
        return Ok(false);
    }
    Ok(true)
}

/// Judges a test report named on the command line (`cargo xtask gate <id> --report FILE`)
/// instead of running the gate's command: the same judgement, on that file.
pub fn judge_existing(
    gate: &crate::pipeline::Gate,
    repo: &Path,
    report: &Path,
) -> Result<CheckOutput, GateError> {
    let table = gate.kind.params().cloned().unwrap_or_default();
    let params: Params = parse_params(&table)
        .map_err(|e| GateError::msg(format!("invalid params: {}", e.message)))?;
    let (format, cwd) = super::report_format_and_dir(gate, repo, params.report_format.as_deref())?;
    let mut out = CheckOutput::default();
    // What a run checks before the report, checked here too: the same verdict either way.
    if !package_and_test_present(repo, &params.package(), &params.test_file(), &mut out)? {
        return Ok(out);
    }
    let shown = report.display().to_string();
    let run = match testreport::read(report, format) {
        Ok(r) => r,
        Err(e) => {
            let message = if report.probe_exists() {
                format!("{shown} {}", e.message)
            } else {
                format!("{shown} does not exist")
            };
            out.findings.push(Finding::error(
                "observability-report-unreadable",
                shown,
                e.line,
                e.col,
                message,
            ));
            return Ok(out);
        }
    };
    out.notes.push(format!("judged the test report {shown}"));
    judge(
        repo,
        &cwd,
        &params.package(),
        &params.test_file(),
        &run,
        &mut out,
    );
    Ok(out)
}

/// `file` as the report wrote it, repository-relative (`None` when outside the repository).
fn rel_of(repo: &Path, cwd: &Path, file: &str) -> Option<String> {
    let p = Path::new(file);
    let abs: PathBuf = if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    };
    let abs = normalise(&abs);
    let repo = normalise(repo);
    abs.strip_prefix(&repo)
        .ok()
        .map(|r| source::rel_path(Path::new(""), r))
}

/// `path` with `.` and `..` components resolved lexically.
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

fn in_dir(file: &str, dir: &str) -> bool {
    file.starts_with(&format!("{dir}/"))
}

/// Where a test sits: the runner's location, else the first line of the file that holds its
/// title in quotes, else the file.
fn position(repo: &Path, file: &str, case: &TestCase) -> (u32, u32) {
    if case.line > 0 {
        return (case.line, case.col);
    }
    let Some(title) = case.names.last() else {
        return (0, 0);
    };
    let Ok(text) = crate::fs::careful::read_to_string(repo.join(file)) else {
        return (0, 0);
    };
    for (i, line) in text.lines().enumerate() {
        for q in ['"', '\'', '`'] {
            if let Some(at) = line.find(&format!("{q}{title}{q}")) {
                let start = line[..at]
                    .rfind(['(', ' '])
                    .map(|s| {
                        line[..s]
                            .rfind(|c: char| !(c.is_alphanumeric() || c == '.' || c == '_'))
                            .map_or(0, |b| b + 1)
                    })
                    .unwrap_or(at);
                return (i as u32 + 1, line[..start].chars().count() as u32 + 1);
            }
        }
    }
    (0, 0)
}

/// Judges the report `run` for the package's tests.
fn judge(
    repo: &Path,
    cwd: &Path,
    package: &str,
    test_file: &str,
    run: &TestRun,
    out: &mut CheckOutput,
) {
    let ran_file = run
        .files
        .iter()
        .any(|f| rel_of(repo, cwd, f).as_deref() == Some(test_file));
    let cases: Vec<(String, &TestCase)> = run
        .cases
        .iter()
        .filter_map(|c| {
            let f = c.file.as_deref().and_then(|f| rel_of(repo, cwd, f))?;
            in_dir(&f, package).then_some((f, c))
        })
        .collect();
    let errors: Vec<(String, &str)> = run
        .file_errors
        .iter()
        .filter_map(|e| {
            let f = rel_of(repo, cwd, &e.file)?;
            in_dir(&f, package).then_some((f, e.message.as_str()))
        })
        .collect();
    let in_test_file = cases.iter().filter(|(f, _)| f == test_file).count();

    if !ran_file && in_test_file == 0 {
        out.findings.push(
            Finding::error(
                "observability-test-not-run",
                test_file,
                0,
                0,
                format!(
                    "the suite run did not run `{test_file}` ({} test files ran, none of them this one)",
                    run.files.len()
                ),
            )
            .with_help(format!(
                "add `{package}/test` to the suite run's command (the one the harness gates share), and make sure the runner's include globs cover it"
            )),
        );
        return;
    }
    for (file, message) in &errors {
        let empty = message.contains("No test suite found") || message.contains("No test found");
        let (rule, text) = if empty {
            (
                "observability-zero-tests",
                format!("`{file}` declares no test: {message}"),
            )
        } else {
            (
                "observability-file-failed",
                format!("`{file}` failed before running its tests: {message}"),
            )
        };
        out.findings
            .push(Finding::error(rule, file.clone(), 0, 0, text));
    }
    if in_test_file == 0 && errors.iter().all(|(f, _)| f != test_file) {
        out.findings.push(Finding::error(
            "observability-zero-tests",
            test_file,
            0,
            0,
            format!("`{test_file}` ran but declares no test"),
        ));
    }
    let mut passed = 0;
    for (file, c) in &cases {
        let (line, col) = position(repo, file, c);
        let name = c.display_name();
        match (c.status, c.empty_suite) {
            (_, true) => out.findings.push(Finding::error(
                "observability-zero-tests",
                file.clone(),
                line,
                col,
                format!("suite `{name}` declares no test"),
            )),
            (CaseStatus::Passed, false) => passed += 1,
            (CaseStatus::Failed, false) => out.findings.push(Finding::error(
                "observability-test-failed",
                file.clone(),
                line,
                col,
                format!(
                    "test `{name}` failed{}",
                    c.message
                        .as_deref()
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default()
                ),
            )),
            (s @ (CaseStatus::Skipped | CaseStatus::Todo), false) => out.findings.push(
                Finding::error(
                    "observability-test-skipped",
                    file.clone(),
                    line,
                    col,
                    format!(
                        "test `{name}` did not run ({}): a test that does not run covers nothing",
                        s.as_str()
                    ),
                )
                .with_help("remove `.skip`/`.todo` (or the `.only` elsewhere in the file)"),
            ),
        }
    }
    out.notes.push(format!(
        "{package}: {} tests in the suite run, {passed} passed ({in_test_file} in {test_file})",
        cases.len()
    ));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(results: &str) -> TestRun {
        testreport::vitest::parse(&format!(
            r#"{{"startTime": 1700000000000, "testResults": [{results}]}}"#
        ))
        .unwrap()
    }

    fn judged(run: &TestRun) -> Vec<String> {
        let mut out = CheckOutput::default();
        judge(
            Path::new("/r"),
            Path::new("/r"),
            DEFAULT_PACKAGE,
            "packages/coordination-observability/test/observability.test.ts",
            run,
            &mut out,
        );
        out.findings
            .iter()
            .map(|f| format!("{} {} {}", f.rule, f.location(), f.message))
            .collect()
    }

    const FILE: &str = "/r/packages/coordination-observability/test/observability.test.ts";

    #[test]
    fn passing_tests_of_the_file_pass() {
        let run = report(&format!(
            r#"{{"name": "{FILE}", "status": "passed", "assertionResults": [
              {{"ancestorTitles": ["coordination observability"], "title": "creates run events", "status": "passed", "location": {{"line": 5, "column": 3}}}}
            ]}}"#
        ));
        assert_eq!(judged(&run), Vec::<String>::new());
    }

    #[test]
    fn each_way_to_miss_is_named_with_its_place() {
        let run = report(&format!(
            r#"{{"name": "{FILE}", "status": "failed", "assertionResults": [
              {{"ancestorTitles": ["obs"], "title": "creates run events", "status": "failed", "location": {{"line": 5, "column": 3}}, "failureMessages": ["AssertionError: expected 'a' to be 'b'\n at x"]}},
              {{"ancestorTitles": ["obs"], "title": "builds links", "status": "skipped", "location": {{"line": 9, "column": 3}}}},
              {{"ancestorTitles": ["obs"], "title": "later", "status": "todo", "location": {{"line": 12, "column": 3}}}}
            ]}}"#
        ));
        assert_eq!(
            judged(&run),
            [
                "observability-test-failed packages/coordination-observability/test/observability.test.ts:5:3 test `obs > creates run events` failed: AssertionError: expected 'a' to be 'b'",
                "observability-test-skipped packages/coordination-observability/test/observability.test.ts:9:3 test `obs > builds links` did not run (skipped): a test that does not run covers nothing",
                "observability-test-skipped packages/coordination-observability/test/observability.test.ts:12:3 test `obs > later` did not run (todo): a test that does not run covers nothing",
            ]
        );
    }

    #[test]
    fn a_file_not_run_empty_or_broken_is_a_finding() {
        let other = r#"{"name": "/r/apps/server/test/a.test.ts", "status": "passed", "assertionResults": [
              {"ancestorTitles": [], "title": "x", "status": "passed"}]}"#;
        assert_eq!(
            judged(&report(other)),
            [
                "observability-test-not-run packages/coordination-observability/test/observability.test.ts the suite run did not run `packages/coordination-observability/test/observability.test.ts` (1 test files ran, none of them this one)"
            ]
        );
        let empty = format!(
            r#"{{"name": "{FILE}", "status": "failed", "message": "No test suite found in file {FILE}", "assertionResults": []}}"#
        );
        assert_eq!(
            judged(&report(&empty)),
            [format!(
                "observability-zero-tests packages/coordination-observability/test/observability.test.ts `packages/coordination-observability/test/observability.test.ts` declares no test: No test suite found in file {FILE}"
            )]
        );
        let broken = format!(
            r#"{{"name": "{FILE}", "status": "failed", "message": "Error: Cannot find module '../src'", "assertionResults": []}}"#
        );
        assert_eq!(
            judged(&report(&broken)),
            [
                "observability-file-failed packages/coordination-observability/test/observability.test.ts `packages/coordination-observability/test/observability.test.ts` failed before running its tests: Error: Cannot find module '../src'"
            ]
        );
    }

    #[test]
    fn params_stay_inside_the_repository() {
        let t: toml::Table = toml::from_str(r#"package = "../elsewhere""#).unwrap();
        assert_eq!(validate(&t).unwrap_err().key.as_deref(), Some("package"));
        let t: toml::Table = toml::from_str(r#"report_format = "tap""#).unwrap();
        assert_eq!(
            validate(&t).unwrap_err().key.as_deref(),
            Some("report_format")
        );
        assert!(validate(&toml::Table::new()).is_ok());
    }
}

//! `harness-matrix` and `instance-isolation`: every required suite ID, negative-assertion key
//! or A6 assertion was carried by a test that the runner really executed, and that test passed.
//!
//! **What it checks.** The gate runs the target's suites (its command, e.g.
//! `npx vitest run --reporter=json --outputFile=...`; gates naming the same command share one
//! run per pipeline run, see [`crate::process::shared`]) and reads the runner's own report (vitest
//! JSON, JUnit XML; for Rust targets nextest's JUnit plus `cargo nextest list` for the declared
//! set). A test carries an ID when one of its titles (its own or an enclosing suite's) holds
//! the ID as a whole token, or when it **executes a case** of a case table whose ID field
//! (`case_fields`: `suiteId`, `assertionKey`...) holds it: the test sources are parsed with oxc
//! and joined with the report ([`crate::repo::cases`]: loops and `.each` tables over arrays
//! declared in the file or imported, `.filter`/`.slice` narrowing; a test that only reads the
//! cases' fields executes none). For Rust tests, whose names cannot hold `:` or `-`, a path
//! segment spelled as the ID in snake case counts. `instance-isolation` identifies A6's
//! assertions by place and title instead (`title_assertions`: in each root, a test whose name
//! has every word group). For each requirement it reports exactly one outcome: `missing`,
//! `declared-only` (named in a constant, a comment, a case no test executes, or a test the
//! runner never ran), `skipped`/`todo` (the executing test or an enclosing suite), `zero
//! tests`, `failed`, `undecidable` (the case table is narrowed by something the gate cannot
//! evaluate), or `passed`. Only `passed` is green. A finding points at the case's ID field (or
//! the declaration) and names the test that should have run it.
//!
//! **Why.** The original check grepped test files for the ID strings, so an ID in a constant,
//! a comment or a skipped test counted as present while nothing ran; and the user's matrix
//! is table-driven, so no test title carries an ID at all.
//!
//! **How to fix.** Make a test that runs drive a case carrying the ID (send the request built
//! from it, call its `invoke`/`check`), or name an executed test after the ID; make it pass.
//! Remove `.skip`/`.todo`, make sure the runner's include globs cover the file, and narrow case
//! tables with predicates on the cases' literal fields.
//!
//! ```ts
//! // fails: the table is only read, no case is executed
//! it("has every suite", () => {
//!   expect(new Set(CASES.map((c) => c.suiteId)).has("suite:api:boundary")).toBe(true);
//! });
//! // passes: each case drives a request
//! it("executes route cases", async () => {
//!   for (const c of CASES.filter((c) => c.kind === "http")) {
//!     expect((await app.handle(new Request(`http://x${c.path}`))).status).toBe(c.expectedStatus);
//!   }
//! });
//! ```

use gates_core::fs::probe::Probe;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::{
    Capability, CheckCtx, CheckDef, CheckOutput, ParamError, Rule, error, no_roles, parse_params,
    warning,
};
use crate::error::GateError;
use crate::finding::{Finding, Severity};
use crate::fs::source;
use crate::pipeline::Gate;
use crate::process::command::CommandRun;
use crate::repo::cases::{self, Analysis};
use crate::repo::testsrc::{self, DeclKind, TestSource};
use crate::testreport::{self, CaseStatus, ReportFormat, TestCase, TestRun, nextest};

/// SPEC §5: the suites that must exist, run and pass.
pub const DEFAULT_SUITES: &[&str] = &[
    "suite:web:first-party-rpc",
    "suite:web:published-openapi",
    "suite:cli:in-process",
    "suite:api:boundary",
    "suite:workflow:trigger-status",
    "suite:runtime:ingress",
    "suite:cross-surface:metadata-import-boundary",
];

/// SPEC §5: the negative assertions that must exist, run and pass.
pub const DEFAULT_ASSERTIONS: &[&str] = &[
    "assertion:reject-api-inngest-from-caller-paths",
    "assertion:reject-rpc-from-external-callers",
    "assertion:runtime-ingress-no-caller-boundary-semantics",
    "assertion:in-process-no-local-http-self-call",
];

/// SPEC §5: where the user's suites live.
pub const DEFAULT_TEST_ROOTS: &[&str] = &[
    "apps/server/test",
    "packages/hq/test",
    "plugins/cli/plugins/test",
];

/// Source files scanned to explain IDs the report does not carry.
const SOURCE_EXTENSIONS: &[&str] = &["ts", "tsx", "mts", "cts", "js", "jsx", "mjs", "cjs"];

/// How many unrelated failing tests are listed before the rest are summarised.
const MAX_OTHER_FAILURES: usize = 20;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// Required suite IDs (default: SPEC §5).
    suites: Option<Vec<String>>,
    /// Required negative-assertion keys (default: SPEC §5).
    assertions: Option<Vec<String>>,
    /// Directories (repository-relative) whose sources explain IDs the report lacks.
    test_roots: Option<Vec<String>>,
    /// The report to judge when the gate has no command (e.g. one a CI step wrote).
    report: Option<String>,
    /// `vitest-json` or `junit`; default: the command's report format, else sniffed.
    report_format: Option<String>,
    /// `cargo nextest list --message-format json` output: the tests a Rust target declares.
    nextest_list: Option<String>,
    /// Or the command that prints it (run by the check, in the gate command's directory,
    /// after the tests ran; its output is kept under `harness/` of the tool's state directory).
    nextest_list_command: Option<Vec<String>>,
    /// Also fail on failing tests that carry none of the required IDs (default true).
    fail_on_other_failures: Option<bool>,
    /// Fields of a case object whose values carry IDs (default: [`cases::DEFAULT_CASE_FIELDS`]).
    case_fields: Option<Vec<String>>,
    /// Assertions identified by where a test lives and what its title says, for suites that
    /// name no ID (default: none; `instance-isolation`: [`DEFAULT_INSTANCE_ASSERTIONS`]).
    title_assertions: Option<Vec<TitleAssertion>>,
    #[serde(skip)]
    flavor: Flavor,
}

/// An assertion recognised by its test's place and title: in each of `roots` (repository
/// directories), some test whose name path has every one of `words`. A word is a list of
/// alternatives separated by `|`, each matched case-insensitively at the start of a word, so
/// `explicit` also matches "explicitly".
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TitleAssertion {
    pub id: String,
    pub roots: Vec<String>,
    pub words: Vec<String>,
}

/// Which gate's defaults apply.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Flavor {
    /// SPEC §5's suite IDs and negative assertions.
    #[default]
    HarnessMatrix,
    /// A6: the instance-local canonical root assertions of the two install-state packages.
    InstanceIsolation,
}

/// A6 (SPEC §6): "instance-local canonical root (no singleton-global owner) assertions
/// pass". Both install-state implementations (the `hq` package and the CLI plugins plugin)
/// must assert that the canonical workspace root defaults to the instance-local workspace,
/// and that a global owner root is used only when explicitly enabled.
pub fn default_instance_assertions() -> Vec<TitleAssertion> {
    let roots = vec![
        "packages/hq/test".to_string(),
        "plugins/cli/plugins/test".to_string(),
    ];
    vec![
        TitleAssertion {
            id: "assertion:instance-local-canonical-root-default".into(),
            roots: roots.clone(),
            words: vec![
                "canonical".into(),
                "instance-local|instance local|instance-scoped|local workspace|current workspace"
                    .into(),
            ],
        },
        TitleAssertion {
            id: "assertion:global-owner-explicit-opt-in".into(),
            roots,
            words: vec![
                "global-owner|global owner|singleton".into(),
                "only|explicit|opt-in|opt in".into(),
            ],
        },
    ]
}

/// One thing the gate requires to have run and passed.
#[derive(Clone, Debug)]
enum Req {
    /// An ID carried by a test's name or by the cases it executes.
    Id(String),
    /// A [`TitleAssertion`] in one of its roots.
    Title {
        id: String,
        root: String,
        words: Vec<Vec<String>>,
    },
}

impl Req {
    fn name(&self) -> String {
        match self {
            Req::Id(id) => id.clone(),
            Req::Title { id, root, .. } => format!("{id} in {root}"),
        }
    }

    fn id(&self) -> &str {
        match self {
            Req::Id(id) | Req::Title { id, .. } => id,
        }
    }

    /// Whether a test (its name path, its repository-relative file) carries this.
    fn carries_name(&self, names: &[String], file: Option<&str>) -> bool {
        match self {
            Req::Id(id) => names.iter().any(|n| name_carries(n, id)),
            Req::Title { root, words, .. } => {
                file.is_some_and(|f| in_root(f, root)) && title_has(&names.join(" "), words)
            }
        }
    }

    fn words_text(&self) -> String {
        match self {
            Req::Id(_) => String::new(),
            Req::Title { words, .. } => words
                .iter()
                .map(|w| format!("`{}`", w.join("|")))
                .collect::<Vec<_>>()
                .join(" and "),
        }
    }
}

fn in_root(file: &str, root: &str) -> bool {
    let root = root.trim_end_matches('/');
    root.is_empty() || root == "." || file == root || file.starts_with(&format!("{root}/"))
}

/// Whether `title` has every word group (an alternative at the start of a word).
fn title_has(title: &str, words: &[Vec<String>]) -> bool {
    let t = title.to_lowercase();
    words.iter().all(|alts| {
        alts.iter().any(|a| {
            let a = a.to_lowercase();
            t.match_indices(&a).any(|(i, _)| {
                t[..i]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric())
            })
        })
    })
}

impl Params {
    fn ids(&self) -> Vec<String> {
        let defaults = |d: &[&str]| match self.flavor {
            Flavor::HarnessMatrix => d.iter().map(|s| s.to_string()).collect(),
            Flavor::InstanceIsolation => Vec::new(),
        };
        let suites = self
            .suites
            .clone()
            .unwrap_or_else(|| defaults(DEFAULT_SUITES));
        let assertions = self
            .assertions
            .clone()
            .unwrap_or_else(|| defaults(DEFAULT_ASSERTIONS));
        suites.into_iter().chain(assertions).collect()
    }

    fn title_assertions(&self) -> Vec<TitleAssertion> {
        self.title_assertions
            .clone()
            .unwrap_or_else(|| match self.flavor {
                Flavor::HarnessMatrix => Vec::new(),
                Flavor::InstanceIsolation => default_instance_assertions(),
            })
    }

    /// Everything required, in report order.
    fn reqs(&self) -> Vec<Req> {
        let mut out: Vec<Req> = self.ids().into_iter().map(Req::Id).collect();
        for t in self.title_assertions() {
            let words: Vec<Vec<String>> = t
                .words
                .iter()
                .map(|w| {
                    w.split('|')
                        .map(|a| a.trim().to_string())
                        .filter(|a| !a.is_empty())
                        .collect()
                })
                .collect();
            for root in &t.roots {
                out.push(Req::Title {
                    id: t.id.clone(),
                    root: root.clone(),
                    words: words.clone(),
                });
            }
        }
        out
    }

    fn fail_on_other_failures(&self) -> bool {
        self.fail_on_other_failures
            .unwrap_or(self.flavor == Flavor::HarnessMatrix)
    }

    fn case_fields(&self) -> Vec<String> {
        self.case_fields.clone().unwrap_or_else(|| {
            cases::DEFAULT_CASE_FIELDS
                .iter()
                .map(|s| s.to_string())
                .collect()
        })
    }

    fn test_roots(&self) -> Vec<String> {
        self.test_roots
            .clone()
            .unwrap_or_else(|| DEFAULT_TEST_ROOTS.iter().map(|s| s.to_string()).collect())
    }
}

pub fn def() -> CheckDef {
    CheckDef {
        name: "harness-matrix",
        summary: "required suite IDs and negative assertions were executed by the runner and passed",
        capabilities: &[Capability::WorkTree, Capability::CommandOutcome],
        rules: &[RULES],
        parts: None,
        aliases: &[],
        roles: no_roles,
        validate,
        run,
    }
}

const NOT_RUN_FIX: &str = "carry the ID in a case that an executed test drives (an ID field of a case the test sends, invokes or passes to the code under test), or name an executed test after it, in a file the runner includes";
const SKIP_FIX: &str = "remove `.skip`/`.todo`/`skipIf` (or the ignore mark) and make the test run";
const REPORT_FIX: &str = "make the gate's command write the runner's own report (vitest `--reporter=json --outputFile`, JUnit) at the path the gate reads, on every run";

/// Every rule of the harness-matrix check, and of instance-isolation (the same judgement
/// with other defaults). One per outcome of a requirement (`Outcome::rule`), and the report's.
pub const RULES: &[Rule] = &[
    error(
        "harness-missing",
        "no executed test carries the requirement, and no test source names it",
        NOT_RUN_FIX,
    ),
    error(
        "harness-declared-only",
        "the requirement is named only where nothing runs it: a constant, a comment, a case no executed test drives, or a test the runner did not run (filtered out, its file did not run)",
        NOT_RUN_FIX,
    ),
    error(
        "harness-skipped",
        "every test carrying the requirement was skipped (`.skip`, `skipIf`, ignored), or the case's static skip means it did not run",
        SKIP_FIX,
    ),
    error(
        "harness-todo",
        "the tests carrying the requirement are todo placeholders",
        SKIP_FIX,
    ),
    error(
        "harness-zero-tests",
        "the suite carrying the requirement declares no test",
        "add at least one test to the suite",
    ),
    error(
        "harness-failed",
        "a test carrying the requirement failed (a test declared with `.fails` that the runner reports passed counts as failed)",
        "make the failing test pass; the gate reads the runner's own report",
    ),
    error(
        "harness-undecidable",
        "a test may execute the case carrying the requirement, but narrows its case table with something the gate cannot evaluate",
        "iterate the case table directly, or narrow it with a `.filter` on the cases' literal fields (e.g. `c.kind === \"http\"`) the gate can evaluate",
    ),
    warning(
        "harness-partially-skipped",
        "the requirement passed, but some of the tests carrying it were skipped or todo",
        SKIP_FIX,
    ),
    error(
        "harness-test-failed",
        "a failing test carries none of the requirements (`fail_on_other_failures`, on by default for harness-matrix)",
        "make the failing test pass, or set `fail_on_other_failures = false` when other gates judge it",
    ),
    error(
        "harness-file-failed",
        "a test file failed before running its tests (an import or setup error)",
        "fix the error the runner reports for the file",
    ),
    error(
        "harness-runner-failed",
        "the runner exited unsuccessfully although its report shows no failure",
        "read the runner's output (in the finding's help and the log the notes name): a crash after the report, a coverage threshold, an unhandled error",
    ),
    error(
        "harness-report-missing",
        "the runner wrote no report where the gate reads it, so nothing can be judged",
        REPORT_FIX,
    ),
    error(
        "harness-report-unreadable",
        "the report (or the `nextest_list` file) is not a vitest JSON, JUnit or nextest list the gate can read",
        REPORT_FIX,
    ),
    error(
        "harness-report-stale",
        "the report is an earlier run's: older than the gate's command, or a vitest report whose run started before the command did",
        REPORT_FIX,
    ),
    error(
        "harness-list-failed",
        "the `nextest_list_command` failed or did not finish, so the tests the target declares are unknown",
        "make the list command (`cargo nextest list --message-format json`) succeed in the gate command's directory",
    ),
    warning(
        "syntax-error",
        "a test source does not parse, so it cannot explain a requirement the report lacks (the report still decides)",
        "fix the syntax error at the position given",
    ),
];

/// A6's gate: the same judgement with the instance-isolation defaults.
pub fn instance_isolation_def() -> CheckDef {
    CheckDef {
        name: "instance-isolation",
        summary: "the instance-local canonical root assertions of both install-state packages ran and passed",
        capabilities: &[Capability::WorkTree, Capability::CommandOutcome],
        rules: &[RULES],
        parts: None,
        aliases: &[],
        roles: no_roles,
        validate: validate_ii,
        run: run_ii,
    }
}

fn validate(table: &toml::Table) -> Result<(), ParamError> {
    validate_as(table, Flavor::HarnessMatrix)
}

fn validate_ii(table: &toml::Table) -> Result<(), ParamError> {
    validate_as(table, Flavor::InstanceIsolation)
}

fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    run_as(ctx, Flavor::HarnessMatrix)
}

fn run_ii(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    run_as(ctx, Flavor::InstanceIsolation)
}

/// Which flavour a check name is, for callers outside the executor (`gate ID --report`).
pub fn flavor_of(check: &str) -> Option<Flavor> {
    match check {
        "harness-matrix" => Some(Flavor::HarnessMatrix),
        "instance-isolation" => Some(Flavor::InstanceIsolation),
        _ => None,
    }
}

fn parse_as(table: &toml::Table, flavor: Flavor) -> Result<Params, ParamError> {
    let mut p: Params = parse_params(table)?;
    p.flavor = flavor;
    Ok(p)
}

fn validate_as(table: &toml::Table, flavor: Flavor) -> Result<(), ParamError> {
    let p = parse_as(table, flavor)?;
    let bad = |key: &str, message: String| {
        Err(ParamError {
            message,
            key: Some(key.to_string()),
        })
    };
    for (key, list) in [("suites", &p.suites), ("assertions", &p.assertions)] {
        for id in list.iter().flatten() {
            if id.is_empty() || id.chars().any(char::is_whitespace) {
                return bad(
                    key,
                    format!("{key}: {id:?} is not an ID (empty or with whitespace)"),
                );
            }
        }
    }
    if p.reqs().is_empty() {
        return bad(
            "suites",
            "no IDs to check: `suites`, `assertions` and `title_assertions` are all empty".into(),
        );
    }
    for t in p.title_assertions() {
        if t.id.trim().is_empty()
            || t.roots.is_empty()
            || t.words.iter().all(|w| w.trim().is_empty())
        {
            return bad(
                "title_assertions",
                format!(
                    "title_assertions: {:?} needs an id, at least one root and at least one word",
                    t.id
                ),
            );
        }
        for root in &t.roots {
            if crate::fs::escapes(root) {
                return bad(
                    "title_assertions",
                    format!("title_assertions: root {root:?} must be inside the target repository"),
                );
            }
        }
    }
    if let Some(fields) = &p.case_fields
        && fields.iter().any(|f| f.trim().is_empty())
    {
        return bad("case_fields", "case_fields: a field name is empty".into());
    }
    if let Some(f) = &p.report_format
        && ReportFormat::parse(f).is_none()
    {
        return bad(
            "report_format",
            format!("unknown report_format {f:?} (known: vitest-json, junit)"),
        );
    }
    if let Some(argv) = &p.nextest_list_command {
        if argv.is_empty() || argv[0].trim().is_empty() {
            return bad(
                "nextest_list_command",
                "nextest_list_command is empty".into(),
            );
        }
        if p.nextest_list.is_some() {
            return bad(
                "nextest_list_command",
                "give `nextest_list` (a file) or `nextest_list_command`, not both".into(),
            );
        }
    }
    for (key, path) in [("report", &p.report), ("nextest_list", &p.nextest_list)] {
        if let Some(path) = path
            && crate::fs::escapes(path)
        {
            return bad(
                key,
                format!("{key}: {path:?} must be a path inside the target repository"),
            );
        }
    }
    for root in p.test_roots() {
        if crate::fs::escapes(&root) {
            return bad(
                "test_roots",
                format!("test_roots: {root:?} must be inside the target repository"),
            );
        }
    }
    Ok(())
}

fn run_as(ctx: &CheckCtx, flavor: Flavor) -> Result<CheckOutput, GateError> {
    let params = parse_as(ctx.params, flavor)
        .map_err(|e| GateError::msg(format!("invalid params: {}", e.message)))?;
    let gate = ctx.pipeline.gates.get(ctx.gate_id);
    let spec = gate.and_then(|g| g.kind.command());
    let (report_rel, declared_format) = match (spec.and_then(|s| s.report.as_ref()), &params.report)
    {
        (Some(r), _) => (
            r.path.to_string_lossy().into_owned(),
            Some(r.format.clone()),
        ),
        (None, Some(p)) => (p.clone(), None),
        (None, None) => {
            return Err(GateError::msg(
                "harness-matrix needs a report: give the gate's command a `report = { path, format }` \
                 or set the `report` param",
            ));
        }
    };
    let format = match params
        .report_format
        .as_deref()
        .or(declared_format.as_deref())
    {
        None => None,
        Some(f) => Some(ReportFormat::parse(f).ok_or_else(|| {
            GateError::msg(format!(
                "report format {f:?} cannot be judged by harness-matrix (known: vitest-json, junit)"
            ))
        })?),
    };
    let report = ctx.output_path(&report_rel)?;
    let cwd = match spec {
        Some(s) => ctx.repo_path(&s.cwd.to_string_lossy())?,
        None => ctx.repo.to_path_buf(),
    };
    let mut out = CheckOutput::default();
    if let Some(log) = ctx.command.and_then(|c| c.log.as_ref()) {
        out.notes.push(format!(
            "the runner's full output is in {}",
            display_path(ctx.repo, log)
        ));
    }
    if let Some(cmd) = ctx.command {
        // A report older than this command was not written by it: judging it would judge
        // an earlier run.
        let started = cmd.started_at - Duration::from_secs(2);
        if let Some(m) = testreport::mtime(&report)
            && m < started
        {
            out.findings.push(
                Finding::error(
                    "harness-report-stale",
                    source::rel_path(ctx.repo, &report),
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
        // A fresh mtime proves nothing when the command copied or touched an old report: a
        // vitest JSON report states when its run started (epoch milliseconds, no timezone
        // to misread), and a run that started before this command did is an earlier run.
        // (JUnit timestamps are left alone: some runners write local time without an offset.)
        let bytes_format = || {
            crate::fs::careful::read(&report)
                .ok()
                .and_then(|b| ReportFormat::sniff(&b))
        };
        if format.or_else(bytes_format) == Some(ReportFormat::VitestJson)
            && let Ok(r) = testreport::read(&report, Some(ReportFormat::VitestJson))
            && let Some(t) = r.started_at
            && t < started
        {
            out.findings.push(
                Finding::error(
                    "harness-report-stale",
                    source::rel_path(ctx.repo, &report),
                    0,
                    0,
                    format!(
                        "the report's run started at {} (its `startTime`), before `{}` did: it is an earlier run's report, refusing to judge it",
                        humantime::format_rfc3339_seconds(t),
                        cmd.argv.join(" ")
                    ),
                )
                .with_help(cmd.tail(20)),
            );
            return Ok(out);
        }
    }
    let mut params = params;
    if let Some(argv) = params.nextest_list_command.clone() {
        match list_tests(ctx, &argv, &cwd)? {
            Ok(rel) => params.nextest_list = Some(rel),
            Err(f) => {
                out.findings.push(f);
                return Ok(out);
            }
        }
    }
    let judged = judge(ctx.repo, &cwd, &params, &report, format, ctx.command)?;
    out.findings.extend(judged.findings);
    out.notes.extend(judged.notes);
    if let Some(cmd) = ctx.command
        && report.probe_is_file()
    {
        let prov = Provenance::now(ctx.repo, ctx.gate_id, &report, cmd);
        match prov.write(&report) {
            Ok(()) => out.notes.push(format!(
                "report {} made at revision {}",
                source::rel_path(ctx.repo, &report),
                prov.revision_text()
            )),
            Err(e) => out
                .notes
                .push(format!("could not record the report's revision: {e}")),
        }
    }
    Ok(out)
}

/// Runs the `nextest_list_command`, its stdout kept in a file under the target's state
/// directory; returns that file's repository-relative path, or a finding when it failed.
fn list_tests(
    ctx: &CheckCtx,
    argv: &[String],
    cwd: &Path,
) -> Result<Result<String, Finding>, GateError> {
    let rel = format!("{{state}}/harness/{}-nextest-list.json", ctx.gate_id);
    let path = ctx.output_path(&rel)?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| GateError::io(dir, e))?;
    }
    let timeout = ctx
        .pipeline
        .gates
        .get(ctx.gate_id)
        .map(|g| g.timeout)
        .unwrap_or(Duration::from_secs(600));
    let run = crate::process::command::run_to_file(argv, cwd, &[], timeout, ctx.cancel, &path)?;
    if run.cancelled {
        return Err(GateError::msg("interrupted while listing the tests"));
    }
    if !run.success() {
        let how = match (run.timed_out, run.exit_code) {
            (true, _) => "did not finish in time".to_string(),
            (false, Some(c)) => format!("exited with status {c}"),
            (false, None) => "was killed by a signal".to_string(),
        };
        return Ok(Err(Finding::general(
            "harness-list-failed",
            format!("`{}` {how}: the declared tests are unknown", argv.join(" ")),
        )
        .with_help(run.tail(20))));
    }
    Ok(Ok(rel))
}

/// Judges an existing report without running anything (`cargo xtask gate ID --report FILE`):
/// the gate's params decide the IDs; the notes state the report's age and revision.
pub fn judge_existing(gate: &Gate, repo: &Path, report: &Path) -> Result<CheckOutput, GateError> {
    let table = gate.kind.params().cloned().unwrap_or_default();
    let flavor = gate
        .kind
        .check_name()
        .and_then(flavor_of)
        .unwrap_or_default();
    let params = parse_as(&table, flavor)
        .map_err(|e| GateError::msg(format!("invalid params: {}", e.message)))?;
    let (format, cwd) = super::report_format_and_dir(gate, repo, params.report_format.as_deref())?;
    let report =
        gates_core::fs::probe::canonicalize(report).map_err(|e| GateError::io(report, e))?;
    let mut out = CheckOutput::default();
    out.notes.push(provenance_note(repo, &report));
    let judged = judge(repo, &cwd, &params, &report, format, None)?;
    out.findings.extend(judged.findings);
    out.notes.extend(judged.notes);
    Ok(out)
}

/// What is known about when and at which revision a report was made.
fn provenance_note(repo: &Path, report: &Path) -> String {
    let now = SystemTime::now();
    let recorded = Provenance::read(report);
    let from_report = testreport::read(report, None)
        .ok()
        .and_then(|r| r.started_at);
    let (made, how) = match (from_report, testreport::mtime(report)) {
        (Some(t), _) => (Some(t), "the report's own start time"),
        (None, Some(m)) => (Some(m), "the file's modification time"),
        (None, None) => (None, ""),
    };
    let age = match made {
        Some(t) => match now.duration_since(t) {
            Ok(d) => format!(
                "{} old (from {how})",
                humantime::format_duration(Duration::from_secs(d.as_secs()))
            ),
            Err(_) => format!("dated in the future (from {how})"),
        },
        None => "of unknown age".into(),
    };
    let revision = match recorded {
        Some(p) => format!(
            "{} (recorded by gate `{}` when it ran the suites)",
            p.revision_text(),
            p.gate
        ),
        None => match git_revision(repo) {
            Some((rev, dirty)) => format!(
                "unknown: no provenance was recorded next to the report; the target is now at {rev}{}",
                if dirty {
                    " with uncommitted changes"
                } else {
                    ""
                }
            ),
            None => {
                "unknown: no provenance was recorded and the target is not a git checkout".into()
            }
        },
    };
    format!("report {}: {age}; revision: {revision}", report.display())
}

/// The outcome for one required ID.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Missing,
    DeclaredOnly,
    Skipped,
    Todo,
    ZeroTests,
    Failed,
    Undecidable,
    Passed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Missing => "missing",
            Outcome::DeclaredOnly => "declared-only",
            Outcome::Skipped => "skipped",
            Outcome::Todo => "todo",
            Outcome::ZeroTests => "zero tests",
            Outcome::Failed => "failed",
            Outcome::Undecidable => "undecidable",
            Outcome::Passed => "passed",
        }
    }

    /// The stable rule id of the finding for a non-passing outcome.
    pub fn rule(self) -> &'static str {
        match self {
            Outcome::Missing => "harness-missing",
            Outcome::DeclaredOnly => "harness-declared-only",
            Outcome::Skipped => "harness-skipped",
            Outcome::Todo => "harness-todo",
            Outcome::ZeroTests => "harness-zero-tests",
            Outcome::Failed => "harness-failed",
            Outcome::Undecidable => "harness-undecidable",
            Outcome::Passed => "harness-passed",
        }
    }
}

/// Judges `report` against the required IDs of `params`.
fn judge(
    repo: &Path,
    cwd: &Path,
    params: &Params,
    report: &Path,
    format: Option<ReportFormat>,
    command: Option<&CommandRun>,
) -> Result<CheckOutput, GateError> {
    let mut out = CheckOutput::default();
    let report_rel = display_path(repo, report);
    let run = match testreport::read(report, format) {
        Ok(run) => run,
        Err(e) => {
            let missing = !report.probe_exists();
            let (rule, message) = if missing {
                (
                    "harness-report-missing",
                    "the runner wrote no report here, so nothing can be judged".to_string(),
                )
            } else {
                (
                    "harness-report-unreadable",
                    format!("{report_rel} {}", e.message),
                )
            };
            let mut f = Finding::error(rule, report_rel, e.line, e.col, message);
            if let Some(cmd) = command {
                let full = cmd
                    .log
                    .as_ref()
                    .map(|l| format!("\n(the whole output is in {})", display_path(repo, l)))
                    .unwrap_or_default();
                f = f.with_help(format!("`{}`:\n{}{full}", cmd.argv.join(" "), cmd.tail(20)));
            }
            out.findings.push(f);
            return Ok(out);
        }
    };
    let listed = match &params.nextest_list {
        None => Vec::new(),
        Some(rel) => {
            let path = match rel.strip_prefix("{state}/") {
                Some(rest) => super::resolve_inside(&crate::fs::state::state_dir(repo), rest)?,
                None => super::resolve_inside(repo, rel)?,
            };
            let text =
                crate::fs::careful::read_to_string(&path).map_err(|e| GateError::io(&path, e))?;
            match nextest::parse_list(&text) {
                Ok(l) => l,
                Err(e) => {
                    out.findings.push(Finding::error(
                        "harness-report-unreadable",
                        rel.clone(),
                        e.line,
                        e.col,
                        format!("{rel} {}", e.message),
                    ));
                    return Ok(out);
                }
            }
        }
    };
    let sources = scan_sources(repo, cwd, &params.test_roots(), &run, &mut out.notes);
    let files: Vec<PathBuf> = sources.iter().map(|s| s.file.path.clone()).collect();
    let analysis = cases::analyse(repo, &files, &params.case_fields());
    let rel_files: Vec<Option<String>> = run
        .cases
        .iter()
        .map(|c| c.file.as_deref().and_then(|f| case_file(repo, cwd, f)))
        .collect();
    let j = Judge {
        repo,
        cwd,
        run: &run,
        listed: &listed,
        sources: &sources,
        analysis: &analysis,
        rel_files: &rel_files,
    };
    for s in &sources {
        // A test file that does not parse cannot be explained; say so, but the report
        // (what ran) still decides.
        for e in &s.errors {
            out.findings
                .push(e.clone().with_severity(Severity::Warning));
        }
    }

    for fe in &run.file_errors {
        let file = case_file(repo, cwd, &fe.file).unwrap_or_else(|| fe.file.clone());
        out.findings.push(Finding::error(
            "harness-file-failed",
            file,
            0,
            0,
            format!(
                "the test file failed before running its tests: {}",
                fe.message
            ),
        ));
    }

    let reqs = params.reqs();
    let mut matrix = Vec::new();
    let mut carried_any: BTreeSet<usize> = BTreeSet::new();
    for req in &reqs {
        let carried = j.carried(req);
        carried_any.extend(carried.iter().map(|(i, _)| *i));
        let (outcome, mut findings) = j.judge_req(req, &carried);
        matrix.push(format!("{}: {}", req.name(), outcome.as_str()));
        out.findings.append(&mut findings);
    }

    if params.fail_on_other_failures() {
        let others: Vec<&TestCase> = run
            .cases
            .iter()
            .enumerate()
            .filter(|(i, c)| c.status == CaseStatus::Failed && !carried_any.contains(i))
            .map(|(_, c)| c)
            .collect();
        for c in others.iter().take(MAX_OTHER_FAILURES) {
            let (path, line, col) = case_position(repo, cwd, c, None, &sources);
            let mut f = Finding::error(
                "harness-test-failed",
                path.unwrap_or_default(),
                line,
                col,
                format!(
                    "test `{}` failed{}",
                    c.display_name(),
                    c.message
                        .as_deref()
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default()
                ),
            );
            if f.path.as_deref() == Some("") {
                f.path = None;
            }
            out.findings.push(f);
        }
        if others.len() > MAX_OTHER_FAILURES {
            out.findings.push(Finding::general(
                "harness-test-failed",
                format!(
                    "... and {} more failing tests",
                    others.len() - MAX_OTHER_FAILURES
                ),
            ));
        }
    }

    if let Some(cmd) = command
        && !cmd.success()
        && !out.findings.iter().any(|f| f.severity == Severity::Error)
    {
        let how = match cmd.exit_code {
            Some(c) => format!("exited with status {c}"),
            None => "was killed by a signal".into(),
        };
        out.findings.push(
            Finding::general(
                "harness-runner-failed",
                format!(
                    "`{}` {how} although the report shows no failure",
                    cmd.argv.join(" ")
                ),
            )
            .with_help(cmd.tail(20)),
        );
    }

    let counts = |s: CaseStatus| run.cases.iter().filter(|c| c.status == s).count();
    out.notes.push(format!(
        "{report_rel}: {} test cases ({} passed, {} failed, {} skipped, {} todo) in {} files",
        run.cases.len(),
        counts(CaseStatus::Passed),
        counts(CaseStatus::Failed),
        counts(CaseStatus::Skipped),
        counts(CaseStatus::Todo),
        run.files.len()
    ));
    let executing = analysis.uses.iter().filter(|u| u.executes).count();
    if !analysis.cases.is_empty() {
        out.notes.push(format!(
            "case tables: {} cases, {} case uses by tests ({executing} executing)",
            analysis.cases.len(),
            analysis.uses.len()
        ));
    }
    out.notes.push(format!("matrix: {}", matrix.join("; ")));
    Ok(out)
}

/// What one judgement reads: the report, the sources and the case analysis.
struct Judge<'j> {
    repo: &'j Path,
    cwd: &'j Path,
    run: &'j TestRun,
    listed: &'j [nextest::ListedTest],
    sources: &'j [TestSource],
    analysis: &'j Analysis,
    /// Repository-relative file of each report case.
    rel_files: &'j [Option<String>],
}

/// How a report case carries a requirement: through a case it executes (the use), or by
/// its name (`None`).
type Carried = Vec<(usize, Option<usize>)>;

impl Judge<'_> {
    /// The report cases carrying `req`: by name, or as the test that executes a case
    /// carrying the ID (decidably).
    fn carried(&self, req: &Req) -> Carried {
        let mut out: Carried = Vec::new();
        for (i, c) in self.run.cases.iter().enumerate() {
            if req.carries_name(&c.names, self.rel_files[i].as_deref()) {
                out.push((i, None));
                continue;
            }
            if let Req::Id(id) = req {
                let via = self.analysis.uses.iter().position(|u| {
                    u.executes
                        && u.undecidable.is_none()
                        && self.rel_files[i].as_deref() == Some(u.file.as_str())
                        && u.matches(&c.names)
                        && self.analysis.cases[u.case].carries(id).is_some()
                });
                if let Some(u) = via {
                    out.push((i, Some(u)));
                }
            }
        }
        out
    }

    /// A finding about report case `i` (carried through use `via`, if any).
    fn at(
        &self,
        i: usize,
        via: Option<usize>,
        req: &Req,
        outcome: Outcome,
        message: String,
    ) -> Finding {
        let id = req.id();
        let c = &self.run.cases[i];
        if let Some(u) = via {
            let u = &self.analysis.uses[u];
            let case = &self.analysis.cases[u.case];
            let (line, col) = case.carries(id).unwrap_or((case.line, case.col));
            return Finding::error(
                outcome.rule(),
                case.file.clone(),
                line,
                col,
                format!(
                    "{message} (the case at {}:{}:{} is executed by test `{}`)",
                    case.file,
                    case.line,
                    case.col,
                    c.display_name()
                ),
            )
            .with_help(help(outcome, id));
        }
        let name_id = match req {
            Req::Id(id) => Some(id.as_str()),
            Req::Title { .. } => None,
        };
        let (path, line, col) = case_position(self.repo, self.cwd, c, name_id, self.sources);
        let mut f = Finding::error(
            outcome.rule(),
            path.clone().unwrap_or_default(),
            line,
            col,
            message,
        );
        if path.is_none() {
            f.path = None;
        }
        f.with_help(help(outcome, id))
    }

    /// One requirement's outcome and its findings (none when it passed).
    fn judge_req(&self, req: &Req, carried: &Carried) -> (Outcome, Vec<Finding>) {
        let name = req.name();
        let id = &name;
        let of = |s: CaseStatus| -> Carried {
            carried
                .iter()
                .copied()
                .filter(|(i, _)| self.run.cases[*i].status == s && !self.run.cases[*i].empty_suite)
                .collect()
        };
        // A test declared `it.fails(...)` is reported as passed when its body FAILS: vitest
        // inverts the result. Such a "pass" says the assertion does not hold, so it is a failure.
        let (inverted, passed): (Carried, Carried) =
            of(CaseStatus::Passed).into_iter().partition(|(i, _)| {
                declared_fails(self.repo, self.cwd, &self.run.cases[*i], self.sources)
            });
        let mut failed = of(CaseStatus::Failed);
        failed.extend(inverted.iter().copied());
        let skipped = of(CaseStatus::Skipped);
        let todo = of(CaseStatus::Todo);
        let empty: Carried = carried
            .iter()
            .copied()
            .filter(|(i, _)| self.run.cases[*i].empty_suite)
            .collect();
        let total = carried.len();
        if let Some(&(i, via)) = failed.first() {
            let c = &self.run.cases[i];
            let why = if inverted.iter().any(|(x, _)| *x == i) {
                ": it is declared with `.fails`, so the runner reports it passed because its body failed"
                    .to_string()
            } else {
                c.message
                    .as_deref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            };
            let msg = format!(
                "`{id}`: failed: {} of {total} executed tests carrying it failed, first `{}`{why}",
                failed.len(),
                c.display_name(),
            );
            return (
                Outcome::Failed,
                vec![self.at(i, via, req, Outcome::Failed, msg)],
            );
        }
        if let Some(&(i, via)) = empty.first() {
            let msg = format!(
                "`{id}`: zero tests: suite `{}` declares no test",
                self.run.cases[i].display_name()
            );
            return (
                Outcome::ZeroTests,
                vec![self.at(i, via, req, Outcome::ZeroTests, msg)],
            );
        }
        if !passed.is_empty() {
            let mut findings = Vec::new();
            if let Some(&(i, via)) = skipped.first().or(todo.first()) {
                let mut f = self
                    .at(
                        i,
                        via,
                        req,
                        Outcome::Skipped,
                        format!(
                            "`{id}`: passed, but {} of its {total} tests did not run (skipped or todo), first `{}`",
                            skipped.len() + todo.len(),
                            self.run.cases[i].display_name()
                        ),
                    )
                    .with_severity(Severity::Warning);
                f.rule = "harness-partially-skipped".into();
                findings.push(f);
            }
            return (Outcome::Passed, findings);
        }
        if let Some(&(i, via)) = skipped.first() {
            let msg = format!(
                "`{id}`: skipped: its {} test(s) were skipped by the runner, first `{}`",
                skipped.len() + todo.len(),
                self.run.cases[i].display_name()
            );
            return (
                Outcome::Skipped,
                vec![self.at(i, via, req, Outcome::Skipped, msg)],
            );
        }
        if let Some(&(i, via)) = todo.first() {
            let msg = format!(
                "`{id}`: todo: its {} test(s) are todo placeholders, first `{}`",
                todo.len(),
                self.run.cases[i].display_name()
            );
            return (
                Outcome::Todo,
                vec![self.at(i, via, req, Outcome::Todo, msg)],
            );
        }
        match req {
            Req::Id(id) => {
                if let Some(r) = self.explain_cases(id) {
                    return r;
                }
                let (outcome, mut findings) = explain_id(id, self.listed, self.sources);
                // An ID listed beside a case table no case of it carries: name the tests that
                // execute that table, one of which would have run its case.
                if outcome == Outcome::DeclaredOnly
                    && let Some(f) = findings.first_mut()
                    && let Some(path) = f.path.clone()
                {
                    let mut tests: Vec<String> = self
                        .analysis
                        .uses
                        .iter()
                        .filter(|u| u.executes && u.file == path)
                        .map(|u| format!("`{}`", u.test_name()))
                        .collect();
                    tests.dedup();
                    if !tests.is_empty() {
                        f.message.push_str(&format!(
                            "; no case of the table carries it, so none of the tests executing the table's cases ({}) ran it",
                            tests.join(", ")
                        ));
                    }
                }
                (outcome, findings)
            }
            Req::Title { root, .. } => self.explain_title(req, root),
        }
    }

    /// Nothing executed carries `id`: what the case tables say about it, if anything.
    fn explain_cases(&self, id: &str) -> Option<(Outcome, Vec<Finding>)> {
        let an = self.analysis;
        let uses: Vec<&cases::CaseUse> = an
            .uses
            .iter()
            .filter(|u| an.cases[u.case].carries(id).is_some())
            .collect();
        let finding = |outcome: Outcome, case: &cases::Case, message: String| {
            let (line, col) = case.carries(id).unwrap_or((case.line, case.col));
            (
                outcome,
                vec![
                    Finding::error(outcome.rule(), case.file.clone(), line, col, message)
                        .with_help(help(outcome, id)),
                ],
            )
        };
        let place = |u: &cases::CaseUse| format!("{}:{}:{}", u.file, u.line, u.col);
        let case_at = |c: &cases::Case| format!("{}:{}:{}", c.file, c.line, c.col);
        if let Some(u) = uses.iter().find(|u| u.executes && u.undecidable.is_none()) {
            let case = &an.cases[u.case];
            return Some(match &u.static_skip {
                Some(skip) => finding(
                    Outcome::Skipped,
                    case,
                    format!(
                        "`{id}`: skipped: the case at {} is executed by test `{}` ({}), and its {skip} means it did not run",
                        case_at(case),
                        u.test_name(),
                        place(u)
                    ),
                ),
                None => finding(
                    Outcome::DeclaredOnly,
                    case,
                    format!(
                        "`{id}`: declared-only: the case at {} is executed by test `{}` ({}), which the runner did not run (filtered out, or its file did not run)",
                        case_at(case),
                        u.test_name(),
                        place(u)
                    ),
                ),
            });
        }
        if let Some(u) = uses.iter().find(|u| u.executes) {
            let case = &an.cases[u.case];
            return Some(finding(
                Outcome::Undecidable,
                case,
                format!(
                    "`{id}`: undecidable: test `{}` ({}) may execute the case at {}, but {}; the gate cannot tell whether it ran",
                    u.test_name(),
                    place(u),
                    case_at(case),
                    u.undecidable
                        .as_deref()
                        .unwrap_or("the case table is narrowed undecidably")
                ),
            ));
        }
        if let Some(u) = uses.first() {
            let case = &an.cases[u.case];
            let readers: Vec<String> = {
                let mut v: Vec<String> = uses
                    .iter()
                    .map(|u| format!("`{}`", u.test_name()))
                    .collect();
                v.dedup();
                v
            };
            return Some(finding(
                Outcome::DeclaredOnly,
                case,
                format!(
                    "`{id}`: declared-only: the case at {} carries it, but no test executes it: {} only read{} the cases' fields to assert on the table",
                    case_at(case),
                    readers.join(", "),
                    if readers.len() == 1 { "s" } else { "" }
                ),
            ));
        }
        if let Some(case) = an.cases.iter().find(|c| c.carries(id).is_some()) {
            return Some(finding(
                Outcome::DeclaredOnly,
                case,
                format!(
                    "`{id}`: declared-only: the case at {} carries it, but no test iterates its table",
                    case_at(case)
                ),
            ));
        }
        None
    }

    /// Nothing executed carries a title assertion: a declared test that would, or missing.
    fn explain_title(&self, req: &Req, root: &str) -> (Outcome, Vec<Finding>) {
        let id = req.name();
        for s in self.sources.iter().filter(|s| in_root(&s.file.rel, root)) {
            let Req::Title { words, .. } = req else { break };
            if let Some(d) = s
                .declarations
                .iter()
                .find(|d| d.kind == DeclKind::Test && title_has(&d.title, words))
            {
                let (line, col) = s.file.line_col(d.offset);
                let (outcome, what) = if d.is_todo() {
                    (
                        Outcome::Todo,
                        "is a todo placeholder and did not run".to_string(),
                    )
                } else if d.is_skip() {
                    (
                        Outcome::Skipped,
                        format!(
                            "is declared with `.{}` and did not run",
                            d.modifiers.join(".")
                        ),
                    )
                } else {
                    (Outcome::DeclaredOnly, "is declared here but the runner did not run it (filtered out, or its file did not run)".to_string())
                };
                return (
                    outcome,
                    vec![
                        Finding::error(
                            outcome.rule(),
                            s.file.rel.clone(),
                            line,
                            col,
                            format!("`{id}`: {}: test `{}` {what}", outcome.as_str(), d.title),
                        )
                        .with_help(help(outcome, req.id())),
                    ],
                );
            }
        }
        (
            Outcome::Missing,
            vec![Finding::general(
                Outcome::Missing.rule(),
                format!(
                    "`{id}`: missing: no test under {root} has {} in its name",
                    req.words_text()
                ),
            )
            .with_help(format!(
                "add a test under {root} that asserts it, named with those words (the gate's `title_assertions` param sets the words)"
            ))],
        )
    }
}

/// An ID no executed test carries by name or through a case: explained from the declared
/// set and the sources.
fn explain_id(
    id: &str,
    listed: &[nextest::ListedTest],
    sources: &[TestSource],
) -> (Outcome, Vec<Finding>) {
    // Nothing executed carries the ID. Explain why from the declared set and the sources.
    if let Some(t) = listed
        .iter()
        .find(|t| t.names.iter().any(|n| name_carries(n, id)))
    {
        let name = t.names.join("::");
        let (outcome, why) = if t.ignored {
            (
                Outcome::Skipped,
                "is marked ignored in its source, so the run skipped it".to_string(),
            )
        } else {
            (Outcome::DeclaredOnly, "is listed by `cargo nextest list` but is not in the run's results (filtered out or not run)".to_string())
        };
        return (
            outcome,
            vec![
                Finding::general(
                    outcome.rule(),
                    format!(
                        "`{id}`: {}: test `{name}` in `{}` {why}",
                        outcome.as_str(),
                        t.binary_id
                    ),
                )
                .with_help(help(outcome, id)),
            ],
        );
    }
    for s in sources {
        if let Some(d) = s
            .declarations
            .iter()
            .find(|d| testsrc::find_token(&d.title, id).is_some())
        {
            let (line, col) = s.file.line_col(d.offset);
            let what = match d.kind {
                DeclKind::Suite => "suite",
                DeclKind::Test => "test",
            };
            let (outcome, message) = if d.kind == DeclKind::Suite && d.tests_inside == 0 {
                (
                    Outcome::ZeroTests,
                    format!("`{id}`: zero tests: suite `{}` declares no test", d.title),
                )
            } else if d.is_todo() {
                (
                    Outcome::Todo,
                    format!(
                        "`{id}`: todo: {what} `{}` is a todo placeholder and did not run",
                        d.title
                    ),
                )
            } else if d.is_skip() {
                (
                    Outcome::Skipped,
                    format!(
                        "`{id}`: skipped: {what} `{}` is declared with `.{}` and did not run",
                        d.title,
                        d.modifiers.join(".")
                    ),
                )
            } else {
                (
                    Outcome::DeclaredOnly,
                    format!(
                        "`{id}`: declared-only: {what} `{}` is declared here but no executed test carries the ID (the file did not run, failed to load, or the test was filtered out)",
                        d.title
                    ),
                )
            };
            return (
                outcome,
                vec![
                    Finding::error(outcome.rule(), s.file.rel.clone(), line, col, message)
                        .with_help(help(outcome, id)),
                ],
            );
        }
    }
    for s in sources {
        for t in &s.texts {
            if let Some(i) = testsrc::find_token(&t.text, id) {
                let (line, col) = s.file.line_col(t.offset + i);
                let kind = if t.comment {
                    "a comment"
                } else {
                    "a string that is neither a test's name nor an ID field of a case a test executes (e.g. a list of required IDs)"
                };
                return (
                    Outcome::DeclaredOnly,
                    vec![Finding::error(
                        Outcome::DeclaredOnly.rule(),
                        s.file.rel.clone(),
                        line,
                        col,
                        format!("`{id}`: declared-only: named only in {kind}; no executed test carries it"),
                    )
                    .with_help(help(Outcome::DeclaredOnly, id))],
                );
            }
        }
    }
    (
        Outcome::Missing,
        vec![
            Finding::general(
                Outcome::Missing.rule(),
                format!("`{id}`: missing: no executed test carries it and no test source names it"),
            )
            .with_help(help(Outcome::Missing, id)),
        ],
    )
}

fn help(outcome: Outcome, id: &str) -> String {
    match outcome {
        Outcome::Missing | Outcome::DeclaredOnly => format!(
            "carry it in a case that an executed test drives (a `suiteId`/assertion-key field of a case the test sends, invokes or passes to the code under test), or name an executed test after it, e.g. `describe(\"{id}\", () => {{ it(...) }})`, in a file the runner includes"
        ),
        Outcome::Skipped | Outcome::Todo => {
            "remove `.skip`/`.todo`/`skipIf` and make the test run".into()
        }
        Outcome::ZeroTests => "add at least one test to the suite".into(),
        Outcome::Failed => {
            "make the failing test pass; the gate reads the runner's own report".into()
        }
        Outcome::Undecidable => "iterate the case table directly, or narrow it with a `.filter` on the cases' literal fields (e.g. `c.kind === \"http\"`) the gate can evaluate".into(),
        Outcome::Passed => String::new(),
    }
}

/// Whether a title carries `id`: as a whole token, or (for Rust paths, whose segments cannot
/// hold `:`/`-`) a segment spelled as the ID in snake case.
fn name_carries(name: &str, id: &str) -> bool {
    testsrc::find_token(name, id).is_some() || name == rust_ident(id)
}

/// `suite:web:first-party-rpc` → `suite_web_first_party_rpc`.
pub fn rust_ident(id: &str) -> String {
    let mut s = String::new();
    for c in id.chars() {
        if c.is_ascii_alphanumeric() {
            s.push(c.to_ascii_lowercase());
        } else if !s.ends_with('_') {
            s.push('_');
        }
    }
    s.trim_matches('_').to_string()
}

/// Whether case `c` is declared with vitest's `.fails` modifier (`it.fails`, `test.fails`,
/// `it.concurrent.fails`...) in its source file: matched by the test's own title.
fn declared_fails(repo: &Path, cwd: &Path, c: &TestCase, sources: &[TestSource]) -> bool {
    let (Some(file), Some(title)) = (
        c.file.as_deref().and_then(|f| case_file(repo, cwd, f)),
        c.names.last(),
    ) else {
        return false;
    };
    sources
        .iter()
        .filter(|s| s.file.rel == file)
        .flat_map(|s| &s.declarations)
        .any(|d| {
            d.kind == DeclKind::Test
                && &d.title == title
                && d.modifiers.iter().any(|m| m == "fails")
        })
}

/// A report's file name as a repository-relative path, if it is inside the repository.
fn case_file(repo: &Path, cwd: &Path, file: &str) -> Option<String> {
    let p = Path::new(file);
    let abs = if p.is_absolute() {
        p.to_path_buf()
    } else {
        cwd.join(p)
    };
    let repo_c = gates_core::fs::probe::canonicalize(repo).unwrap_or_else(|_| repo.to_path_buf());
    let abs_c = gates_core::fs::probe::canonicalize(&abs).unwrap_or(abs);
    abs_c
        .strip_prefix(&repo_c)
        .ok()
        .map(|r| source::rel_path(Path::new(""), r))
}

/// Where to point a finding about case `c`: the runner's recorded position, else the
/// declaration in the source carrying `id` (or the case's own title), else the file.
fn case_position(
    repo: &Path,
    cwd: &Path,
    c: &TestCase,
    id: Option<&str>,
    sources: &[TestSource],
) -> (Option<String>, u32, u32) {
    let Some(file) = c.file.as_deref().and_then(|f| case_file(repo, cwd, f)) else {
        return (None, 0, 0);
    };
    if c.line > 0 {
        return (Some(file), c.line, c.col);
    }
    if let Some(s) = sources.iter().find(|s| s.file.rel == file) {
        // The innermost title of the case that carries the ID (without an ID: the test's own
        // title), found among the file's declarations; else any declaration carrying the ID.
        let title = match id {
            Some(id) => c.names.iter().rev().find(|n| name_carries(n, id)),
            None => c.names.last(),
        };
        let hit = title
            .and_then(|t| s.declarations.iter().find(|d| &d.title == t))
            .or_else(|| {
                let id = id?;
                s.declarations
                    .iter()
                    .find(|d| testsrc::find_token(&d.title, id).is_some())
            });
        if let Some(d) = hit {
            let (line, col) = s.file.line_col(d.offset);
            return (Some(file), line, col);
        }
    }
    (Some(file), 0, 0)
}

/// Test sources under the roots, plus every report file inside the repository.
fn scan_sources(
    repo: &Path,
    cwd: &Path,
    roots: &[String],
    run: &TestRun,
    notes: &mut Vec<String>,
) -> Vec<TestSource> {
    let mut files = BTreeSet::new();
    for root in roots {
        let Ok(dir) = super::resolve_inside(repo, root) else {
            continue;
        };
        if !dir.probe_is_dir() {
            continue;
        }
        for e in gates_core::fs::probe::walk(
            ignore::WalkBuilder::new(&dir)
                .hidden(true)
                .filter_entry(|e| e.file_name() != "node_modules"),
            &dir,
        )
        .flatten()
        {
            let p = e.path();
            if e.file_type().is_some_and(|t| t.is_file())
                && p.extension()
                    .and_then(|x| x.to_str())
                    .is_some_and(|x| SOURCE_EXTENSIONS.contains(&x))
            {
                files.insert(p.to_path_buf());
            }
        }
    }
    for f in run
        .files
        .iter()
        .chain(run.cases.iter().filter_map(|c| c.file.as_ref()))
    {
        if let Some(rel) = case_file(repo, cwd, f) {
            let p = repo.join(&rel);
            if p.probe_is_file() {
                files.insert(p);
            }
        }
    }
    let mut out = Vec::new();
    for f in files {
        match source::read(repo, &f) {
            Ok(sf) => out.push(testsrc::scan(sf)),
            Err(e) => notes.push(format!("not scanned: {}", e.finding.message)),
        }
    }
    out
}

fn display_path(repo: &Path, p: &Path) -> String {
    let repo_c = gates_core::fs::probe::canonicalize(repo).unwrap_or_else(|_| repo.to_path_buf());
    match p.strip_prefix(&repo_c).or_else(|_| p.strip_prefix(repo)) {
        Ok(r) => source::rel_path(Path::new(""), r),
        Err(_) => p.display().to_string(),
    }
}

/// Recorded next to a report when this gate ran the suites: the revision the report was made
/// at. `--report FILE` reads it back; without it only the target's current revision is known.
#[derive(Debug, Serialize, Deserialize)]
pub struct Provenance {
    pub gate: String,
    /// `git rev-parse HEAD` of the target when the suites ran; `None` outside git.
    pub revision: Option<String>,
    /// Uncommitted changes to tracked files at that time.
    pub dirty: bool,
    pub recorded_at_unix: u64,
    /// The report's modification time when recorded: a later rewrite invalidates this record.
    pub report_mtime_unix: u64,
    pub command: Vec<String>,
    pub exit_code: Option<i32>,
}

fn unix(t: SystemTime) -> u64 {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

impl Provenance {
    fn now(repo: &Path, gate: &str, report: &Path, cmd: &CommandRun) -> Provenance {
        let (revision, dirty) = match git_revision(repo) {
            Some((r, d)) => (Some(r), d),
            None => (None, false),
        };
        Provenance {
            gate: gate.to_string(),
            revision,
            dirty,
            recorded_at_unix: unix(SystemTime::now()),
            report_mtime_unix: testreport::mtime(report).map(unix).unwrap_or(0),
            command: cmd.argv.clone(),
            exit_code: cmd.exit_code,
        }
    }

    /// Where the record of `report` lives.
    pub fn path_for(report: &Path) -> PathBuf {
        let mut name = report.file_name().unwrap_or_default().to_os_string();
        name.push(".provenance.json");
        report.with_file_name(name)
    }

    fn write(&self, report: &Path) -> Result<(), String> {
        let json = serde_json::to_string_pretty(self).map_err(|e| e.to_string())?;
        crate::fs::write_atomic(&Self::path_for(report), json.as_bytes()).map_err(|e| e.to_string())
    }

    /// The record for `report`, if one exists and still describes the file as it is.
    pub fn read(report: &Path) -> Option<Provenance> {
        let text = crate::fs::careful::read_to_string(Self::path_for(report)).ok()?;
        let p: Provenance = serde_json::from_str(&text).ok()?;
        let mtime = testreport::mtime(report).map(unix)?;
        (p.report_mtime_unix == mtime).then_some(p)
    }

    fn revision_text(&self) -> String {
        match &self.revision {
            Some(r) if self.dirty => format!("{r} (with uncommitted changes)"),
            Some(r) => r.clone(),
            None => "unknown (not a git checkout)".into(),
        }
    }
}

/// `(HEAD, dirty)` of the git checkout holding `repo`, if any.
fn git_revision(repo: &Path) -> Option<(String, bool)> {
    // Only for the provenance note, which describes the report as it was made: not an input
    // of the verdict (a reused verdict keeps its note).
    let head = crate::git::run_unrecorded(repo, &["rev-parse", "HEAD"])
        .ok()
        .filter(|o| o.status.success())?;
    let rev = String::from_utf8_lossy(&head.stdout).trim().to_string();
    let status = crate::git::run_unrecorded(
        repo,
        &["status", "--porcelain", "--untracked-files=no", "--", "."],
    )
    .ok();
    let dirty = status.is_some_and(|o| !o.stdout.is_empty());
    Some((rev, dirty))
}

/// [`judge_existing`] as a gate result, for `cargo xtask gate ID --report FILE`.
pub fn judge_existing_result(gate: &Gate, repo: &Path, report: &Path) -> crate::record::GateResult {
    let start = std::time::Instant::now();
    let output = judge_existing(gate, repo, report).map(|mut out| {
        // A report named on the command line that is not there is as unusable as a garbage
        // one: nothing could be judged.
        for f in &mut out.findings {
            if f.rule == "harness-report-missing" {
                f.rule = "harness-report-unreadable".into();
                f.message = format!("{} does not exist", report.display());
            }
        }
        out
    });
    super::result_of(gate, output, start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_idents() {
        assert_eq!(
            rust_ident("suite:web:first-party-rpc"),
            "suite_web_first_party_rpc"
        );
        assert_eq!(
            rust_ident("assertion:reject-rpc-from-external-callers"),
            "assertion_reject_rpc_from_external_callers"
        );
        assert!(name_carries(
            "suite_web_first_party_rpc",
            "suite:web:first-party-rpc"
        ));
        assert!(!name_carries(
            "suite_web_first_party_rpc_more",
            "suite:web:first-party-rpc"
        ));
        assert!(name_carries("assertion:x rejects", "assertion:x"));
        assert!(!name_carries("assertion:x-y rejects", "assertion:x"));
    }
}

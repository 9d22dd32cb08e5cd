//! The `[ci]` table of the pipeline file, typed.
//!
//! It declares what the generated workflow needs beyond the stage DAG: the runner, how the
//! xtask is built once for all stage jobs (`build_profile`), how the target's JavaScript
//! toolchain is set up (`node_version`, `package_manager`, `install`), extra setup steps
//! every stage job runs before the gates, the extra `run` flags, the report files each
//! job writes and uploads, and whether SARIF goes to code scanning (`code_scanning`). Keys
//! are snake_case like the rest of the pipeline file; a step's keys map onto GitHub's
//! (`working_directory` → `working-directory`).
//!
//! Every table denies unknown keys and every semantic rule (a step is either `uses` or
//! `run`, report flags are unique, `args` may not change the selection, ...) is enforced
//! while deserializing, so the TOML parser attaches the position of the offending key or
//! table and a bad `[ci]` is a load error with `file:line:col` like any other.

use std::collections::{BTreeMap, BTreeSet};
use std::ops::Range;
use std::path::{Component, Path};

use serde::Deserialize;

pub const DEFAULT_RUNS_ON: &str = "ubuntu-latest";
pub const DEFAULT_TIMEOUT_MINUTES: u32 = 60;
/// Node 24 is the active LTS line (Node 20 reached its end of life on 2026-04-30).
pub const DEFAULT_NODE_VERSION: &str = "24";

/// `run` flags the generated jobs set themselves; `args` may not repeat them, or the
/// jobs would not run what the pipeline says (and the parity test could not hold).
const RESERVED_FLAGS: &[&str] = &[
    "--stage",
    "--only",
    "--from",
    "--repo",
    "--pipeline",
    "--format",
    "--help",
    "-h",
];

/// The typed `[ci]` table.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CiConfig {
    /// The workflow file, relative to the workspace holding the pipeline file (default
    /// `.github/workflows/<pipeline file stem>.yml`, see `ci::render::default_workflow`).
    #[serde(default)]
    pub workflow: Option<WorkflowPath>,
    /// The workflow's `name:` (default: the pipeline's name).
    #[serde(default)]
    pub name: Option<NonEmpty>,
    /// The runner label of every job.
    #[serde(default = "default_runs_on")]
    pub runs_on: NonEmpty,
    /// `timeout-minutes` of each stage job.
    #[serde(default = "default_timeout")]
    pub timeout_minutes: Minutes,
    /// Branches whose pushes run the workflow; pull requests and manual dispatch always do.
    /// There are deliberately no path filters: a skipped workflow would leave the required
    /// check missing, and every file can change a gate's verdict.
    #[serde(default = "default_branches")]
    pub branches: Vec<NonEmpty>,
    /// The cargo profile the build job compiles the xtask with, once per workflow run; the
    /// stage jobs download the binary. `dev` (the default) compiles in about half the CPU
    /// time of `release`, and the gates' work on a repository is small next to it.
    #[serde(default)]
    pub build_profile: BuildProfile,
    /// The Node.js version of the stage jobs (`actions/setup-node`'s `node-version`).
    #[serde(default = "default_node_version")]
    pub node_version: NonEmpty,
    /// The target's package manager: `auto` (the default) reads it from the target's
    /// lockfile when the workflow is rendered; `none` sets up no JavaScript toolchain.
    #[serde(default)]
    pub package_manager: PackageManagerChoice,
    /// The command that installs the target's dependencies (default: the package
    /// manager's frozen-lockfile install), run in the target directory.
    #[serde(default)]
    pub install: Option<NonEmpty>,
    /// Upload each stage job's SARIF report to GitHub code scanning (one `category` per
    /// stage), which needs `security-events: write` on the stage jobs. Set to `false` for a
    /// repository without code scanning; the reports are still uploaded as artifacts.
    #[serde(default = "default_true")]
    pub code_scanning: bool,
    /// Extra steps every stage job runs after the generated setup (checkout, the xtask,
    /// the target's toolchain and dependencies) and before the gates, in order.
    #[serde(default)]
    pub setup: Vec<Step>,
    /// Extra `run` flags for every stage job, e.g. `--keep-going`.
    #[serde(default)]
    pub args: Vec<Arg>,
    /// Report files each stage job writes (`--junit FILE`, `--sarif FILE`) and uploads.
    /// Absent: JUnit only.
    #[serde(default = "default_reports")]
    pub report: ReportList,
}

/// The cargo profile of the build job.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BuildProfile {
    #[default]
    Dev,
    Release,
}

impl BuildProfile {
    /// The `cargo build` flag selecting the profile (none for `dev`).
    pub fn flag(self) -> Option<&'static str> {
        match self {
            BuildProfile::Dev => None,
            BuildProfile::Release => Some("--release"),
        }
    }

    /// The directory under the target dir where the profile's binaries land.
    pub fn dir(self) -> &'static str {
        match self {
            BuildProfile::Dev => "debug",
            BuildProfile::Release => "release",
        }
    }
}

/// `package_manager` of `[ci]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PackageManagerChoice {
    /// Found from the target's lockfile when the workflow is rendered.
    #[default]
    Auto,
    Npm,
    Pnpm,
    Bun,
    /// No JavaScript toolchain in the stage jobs.
    None,
}

fn default_true() -> bool {
    true
}

fn default_node_version() -> NonEmpty {
    NonEmpty(DEFAULT_NODE_VERSION.into())
}

fn default_reports() -> ReportList {
    ReportList(vec![Report {
        flag: "--junit".into(),
        file: "junit.xml".into(),
    }])
}

fn default_runs_on() -> NonEmpty {
    NonEmpty(DEFAULT_RUNS_ON.into())
}
fn default_timeout() -> Minutes {
    Minutes(DEFAULT_TIMEOUT_MINUTES)
}
fn default_branches() -> Vec<NonEmpty> {
    vec![NonEmpty("main".into())]
}

impl Default for CiConfig {
    fn default() -> Self {
        CiConfig {
            workflow: None,
            name: None,
            runs_on: default_runs_on(),
            timeout_minutes: default_timeout(),
            branches: default_branches(),
            build_profile: BuildProfile::default(),
            node_version: default_node_version(),
            package_manager: PackageManagerChoice::default(),
            install: None,
            code_scanning: true,
            setup: Vec::new(),
            args: Vec::new(),
            report: default_reports(),
        }
    }
}

/// A non-empty string (after trimming).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct NonEmpty(pub String);

impl TryFrom<String> for NonEmpty {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if s.trim().is_empty() {
            Err("must not be empty".into())
        } else {
            Ok(NonEmpty(s))
        }
    }
}

impl NonEmpty {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A job timeout in minutes, at least 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "i64")]
pub struct Minutes(pub u32);

impl TryFrom<i64> for Minutes {
    type Error = String;
    fn try_from(n: i64) -> Result<Self, String> {
        match u32::try_from(n) {
            Ok(m) if (1..=4320).contains(&m) => Ok(Minutes(m)),
            _ => Err(format!(
                "timeout_minutes must be between 1 and 4320 (GitHub's limit is 72 hours), not {n}"
            )),
        }
    }
}

/// The workflow path: relative, inside `.github/workflows/`, ending in `.yml` or `.yaml`
/// (GitHub reads workflows from nowhere else).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct WorkflowPath(pub String);

impl TryFrom<String> for WorkflowPath {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        check_workflow_path(&s).map(|()| WorkflowPath(s))
    }
}

impl WorkflowPath {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a workflow path (also used for the `ci-drift` gate's `workflow` parameter).
pub fn check_workflow_path(s: &str) -> Result<(), String> {
    let p = Path::new(s);
    if p.is_absolute() || p.components().any(|c| !matches!(c, Component::Normal(_))) {
        return Err(format!(
            "workflow path {s:?} must be relative, without `.` or `..` components"
        ));
    }
    let parent_ok = p.parent() == Some(Path::new(".github/workflows"));
    let ext_ok = matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml"));
    if !parent_ok || !ext_ok {
        return Err(format!(
            "workflow path {s:?} must be a `.yml` or `.yaml` file directly in `.github/workflows/` (GitHub reads workflows only there)"
        ));
    }
    Ok(())
}

/// An extra `run` argument.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Arg(pub String);

impl TryFrom<String> for Arg {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        let flag = s.split('=').next().unwrap_or("");
        if RESERVED_FLAGS.contains(&flag) {
            return Err(format!(
                "`{flag}` cannot be set in `ci.args`: the generated jobs choose the pipeline, target and selection themselves"
            ));
        }
        if s.trim().is_empty() {
            return Err("an empty argument".into());
        }
        Ok(Arg(s))
    }
}

/// A report file every stage job writes through a `run` flag and uploads.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawReport")]
pub struct Report {
    /// The `run` flag, e.g. `--junit`.
    pub flag: String,
    /// The file name inside the job's report directory, e.g. `junit.xml`.
    pub file: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReport {
    flag: String,
    file: String,
}

impl TryFrom<RawReport> for Report {
    type Error = String;
    fn try_from(r: RawReport) -> Result<Self, String> {
        let flag_ok = r.flag.starts_with("--")
            && r.flag.len() > 2
            && r.flag[2..]
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !flag_ok {
            return Err(format!(
                "report flag {:?} must be a long `run` option such as \"--junit\"",
                r.flag
            ));
        }
        if RESERVED_FLAGS.contains(&r.flag.as_str()) {
            return Err(format!("`{}` is not a report flag", r.flag));
        }
        let file_ok = !r.file.is_empty()
            && r.file != "."
            && r.file != ".."
            && r.file
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'));
        if !file_ok {
            return Err(format!(
                "report file {:?} must be a plain file name (letters, digits, `.`, `-`, `_`): it is placed in the job's report directory",
                r.file
            ));
        }
        Ok(Report {
            flag: r.flag,
            file: r.file,
        })
    }
}

/// The reports, with unique flags and unique file names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Vec<Report>")]
pub struct ReportList(pub Vec<Report>);

impl TryFrom<Vec<Report>> for ReportList {
    type Error = String;
    fn try_from(v: Vec<Report>) -> Result<Self, String> {
        let mut flags = BTreeSet::new();
        let mut files = BTreeSet::new();
        for r in &v {
            if !flags.insert(&r.flag) {
                return Err(format!("report flag `{}` is declared twice", r.flag));
            }
            if !files.insert(&r.file) {
                return Err(format!("report file `{}` is declared twice", r.file));
            }
        }
        Ok(ReportList(v))
    }
}

/// A scalar value of a step's `with` input (GitHub passes them all as strings).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Scalar {
    Bool(bool),
    Int(i64),
    Str(String),
}

/// A setup step: either an action (`uses`, with `with` inputs) or a shell script (`run`).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(try_from = "RawStep")]
pub struct Step {
    pub name: String,
    pub id: Option<String>,
    /// GitHub's `if:` condition.
    pub condition: Option<String>,
    pub action: StepAction,
    pub env: BTreeMap<String, String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StepAction {
    Uses {
        uses: String,
        with: BTreeMap<String, Scalar>,
    },
    Run {
        run: String,
        shell: Option<String>,
        working_directory: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStep {
    name: String,
    id: Option<String>,
    #[serde(rename = "if")]
    condition: Option<String>,
    uses: Option<String>,
    #[serde(default)]
    with: Option<BTreeMap<String, Scalar>>,
    run: Option<String>,
    shell: Option<String>,
    working_directory: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
}

impl TryFrom<RawStep> for Step {
    type Error = String;
    fn try_from(r: RawStep) -> Result<Self, String> {
        let name = r.name.trim().to_string();
        if name.is_empty() {
            return Err(
                "a setup step needs a non-empty `name` (it is what the job log shows)".into(),
            );
        }
        if let Some(id) = &r.id {
            let ok = id.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_')
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
            if !ok {
                return Err(format!(
                    "step `{name}`: id {id:?} must start with a letter or `_` and contain only letters, digits, `_` and `-`"
                ));
            }
        }
        for k in r.env.keys() {
            if !is_env_name(k) {
                return Err(format!(
                    "step `{name}`: environment variable name {k:?} must be letters, digits and `_`, not starting with a digit"
                ));
            }
        }
        let action = match (r.uses, r.run) {
            (Some(uses), None) => {
                if r.shell.is_some() || r.working_directory.is_some() {
                    return Err(format!(
                        "step `{name}`: `shell` and `working_directory` apply to `run` steps, not to `uses`"
                    ));
                }
                if uses.trim().is_empty()
                    || !(uses.contains('@')
                        || uses.starts_with("./")
                        || uses.starts_with("docker://"))
                {
                    return Err(format!(
                        "step `{name}`: `uses = {uses:?}` must name an action with a version (`owner/repo@ref`), a local action (`./path`) or `docker://image`"
                    ));
                }
                StepAction::Uses {
                    uses,
                    with: r.with.unwrap_or_default(),
                }
            }
            (None, Some(run)) => {
                if r.with.is_some() {
                    return Err(format!(
                        "step `{name}`: `with` applies to `uses` steps, not to `run`"
                    ));
                }
                if run.trim().is_empty() {
                    return Err(format!("step `{name}`: `run` is empty"));
                }
                if let Some(wd) = &r.working_directory {
                    let p = Path::new(wd);
                    if p.is_absolute() || p.components().any(|c| matches!(c, Component::ParentDir))
                    {
                        return Err(format!(
                            "step `{name}`: working_directory {wd:?} must be inside the checkout (relative, without `..`)"
                        ));
                    }
                }
                StepAction::Run {
                    run,
                    shell: r.shell,
                    working_directory: r.working_directory,
                }
            }
            (Some(_), Some(_)) => {
                return Err(format!(
                    "step `{name}` sets both `uses` and `run`; a step is one or the other"
                ));
            }
            (None, None) => {
                return Err(format!(
                    "step `{name}` needs `uses` (an action) or `run` (a script)"
                ));
            }
        };
        Ok(Step {
            name,
            id: r.id,
            condition: r.condition,
            action,
            env: r.env,
        })
    }
}

fn is_env_name(s: &str) -> bool {
    !s.is_empty()
        && !s.starts_with(|c: char| c.is_ascii_digit())
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The document seen only through its `[ci]` table: everything else is the main loader's.
#[derive(Deserialize)]
struct CiOnly {
    #[serde(default)]
    ci: Option<CiConfig>,
}

/// Validates the `[ci]` table of a pipeline file's text, returning the byte span of the
/// offending key or table and the message. Called by the pipeline loader.
pub fn validate_text(text: &str) -> Result<(), (Range<usize>, String)> {
    toml::from_str::<CiOnly>(text)
        .map(|doc| drop(doc.ci))
        .map_err(|e| {
            (
                e.span().unwrap_or(0..0),
                format!("[ci]: {}", e.message().trim_end()),
            )
        })
}

impl CiConfig {
    /// Types the raw `[ci]` table of a loaded pipeline (already validated by the loader, so
    /// this fails only for pipelines built by hand).
    pub fn from_table(table: &toml::Table) -> Result<CiConfig, String> {
        toml::Value::Table(table.clone())
            .try_into::<CiConfig>()
            .map_err(|e| format!("invalid [ci] table: {}", e.message().trim_end()))
    }

    /// The `run` flags a job passes for its reports, given the job's report directory.
    pub fn report_args(&self, dir: &str) -> Vec<String> {
        self.report
            .0
            .iter()
            .flat_map(|r| [r.flag.clone(), format!("{dir}/{}", r.file)])
            .collect()
    }
}

//! `cargo xtask`: parses the command line and dispatches into the `gates` library.
//! Nothing with logic lives here; see `gates` for the pipeline, executor, checks and reports.
//!
//! The command line is a library and `src/main.rs` only calls [`main`]. That is for the cold
//! build: a library compiles as soon as `gates`' metadata is ready, alongside the end of
//! `gates`, where a binary would wait for all of it; the binary itself is then only linked.

mod cold_build;
mod init_into;
mod init_pipeline;

/// `to` relative to the directory `from` (both absolute), `/`-separated, with `..` where
/// needed; `to` itself when they share no more than `keep` leading components (`1`: only the
/// root, so a path across the filesystem stays absolute).
fn relative_path(from: &Path, to: &Path, keep: usize) -> String {
    use std::path::Component;
    let a: Vec<Component> = from.components().collect();
    let b: Vec<Component> = to.components().collect();
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    if common <= keep {
        return to.to_string_lossy().into_owned();
    }
    let mut parts: Vec<String> = vec!["..".into(); a.len() - common];
    parts.extend(
        b[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    }
}

use std::io::IsTerminal;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use clap::{Parser, Subcommand, ValueEnum};
use gates::fs::output::Output;
use gates::pipeline::{self, Pipeline, Plan, Selection, select::SelectArgs};
use gates::report::colour::{self, ColorChoice};
use gates::report::{self, human::Style};
use gates::run::{self, executor, session};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    version,
    about = "Phase gates: a phase's runbook as machine-checked gates (the phase is its pipeline file)"
)]
struct Cli {
    /// Colour the output: `auto` follows CARGO_TERM_COLOR, CLICOLOR_FORCE, NO_COLOR,
    /// CLICOLOR and TERM=dumb, then whether the stream is a terminal.
    #[arg(long, global = true, value_enum, default_value_t = Color::Auto, value_name = "WHEN")]
    color: Color,
    /// Judge every gate again: neither reuse nor keep verdicts (the verdict cache of a
    /// git target, see docs/cache.md).
    #[arg(long, global = true)]
    no_cache: bool,
    /// The pipeline file (default: ci/phase-a.toml of this workspace), for the subcommands
    /// that read one; also accepted after the subcommand.
    #[arg(long, value_name = "FILE")]
    pipeline: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

/// `--pipeline` after a subcommand that reads a pipeline (and after its own subcommands).
/// `test`, `bench` and `fuzz` read none and do not take it.
#[derive(clap::Args, Clone, Default)]
struct PipelineArg {
    /// The pipeline file (default: ci/phase-a.toml of this workspace).
    #[arg(
        long = "pipeline",
        id = "sub_pipeline",
        global = true,
        value_name = "FILE"
    )]
    pipeline: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Color {
    Auto,
    Always,
    Never,
}

impl From<Color> for ColorChoice {
    fn from(c: Color) -> ColorChoice {
        match c {
            Color::Auto => ColorChoice::Auto,
            Color::Always => ColorChoice::Always,
            Color::Never => ColorChoice::Never,
        }
    }
}

#[derive(Subcommand)]
enum Cmd {
    /// Run every gate of the pipeline (`--pipeline FILE`, any phase) in dependency order.
    Run(RunArgs),
    /// `run` with the default pipeline, ci/phase-a.toml: the command the user knows.
    PhaseA(RunArgs),
    /// The project's tests: installs what they need, then `cargo nextest run --workspace ARGS`.
    Test {
        /// Passed on to `cargo nextest run`.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Write docs/rules.md, the catalogue of every check and its rules, from the registry.
    Rules,
    /// Fuzz the readers of untrusted input (cargo-fuzz, nightly): each target in turn.
    Fuzz {
        /// Only this target (default: every one, one after the other).
        target: Option<String>,
        /// Seconds per target.
        #[arg(long = "time", value_name = "S", default_value_t = 60)]
        time: u64,
    },
    /// Run one gate alone (dependencies ignored), for iterating.
    Gate {
        #[command(flatten)]
        pipe: PipelineArg,
        /// The gate id.
        id: String,
        /// The target repository (default: the pipeline's `target.repo`).
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Judge this existing test report instead of running the gate's command (gates
        /// whose check is `harness-matrix`, `instance-isolation` or `observability-contract`);
        /// prints the report's age and revision.
        #[arg(long, value_name = "FILE")]
        report: Option<PathBuf>,
        /// Also write the findings as SARIF 2.1.0.
        #[arg(long, value_name = "FILE")]
        sarif: Option<PathBuf>,
        /// Judge again whenever the target changes, until Ctrl-C (see docs/cache.md).
        #[arg(long, conflicts_with = "report")]
        watch: bool,
    },
    /// Print the order and levels of the pipeline; runs nothing.
    Plan {
        #[command(flatten)]
        pipe: PipelineArg,
        #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
        format: PlanFormat,
    },
    /// List stages, slices and gates.
    List {
        #[command(flatten)]
        pipe: PipelineArg,
    },
    /// Orchestrator artifacts of the pass root: write the plan, check agent outputs.
    Artifacts {
        #[command(flatten)]
        pipe: PipelineArg,
        #[command(subcommand)]
        cmd: ArtifactsCmd,
    },
    /// The cleanup manifest (`[documents] cleanup`): plan it, check it against the tree,
    /// apply it with git.
    Cleanup {
        #[command(flatten)]
        pipe: PipelineArg,
        #[command(subcommand)]
        cmd: CleanupCmd,
    },
    /// Write the execution report and the handoff (`[documents] report`, `handoff`) from
    /// the last run.
    Report {
        #[command(flatten)]
        pipe: PipelineArg,
        /// The target repository (default: the pipeline's `target.repo`).
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
    },
    /// The GitHub Actions workflow generated from the pipeline.
    Ci {
        #[command(flatten)]
        pipe: PipelineArg,
        #[command(subcommand)]
        cmd: CiCmd,
    },
    /// The gates over a range of commits, as a gate × commit matrix; or bisect one gate.
    History(HistoryArgs),
    /// Write a pipeline file from a phase's packet (its PHASE_<X>_WORKBREAKDOWN.yaml and
    /// PHASE_<X>_ACCEPTANCE_GATES.md); with `--into DIR`, set the tool up as that
    /// repository's own `cargo xtask`.
    Init(InitArgs),
    /// Benchmarks over generated inputs.
    #[command(subcommand)]
    Bench(BenchCmd),
}

#[derive(clap::Args)]
struct HistoryArgs {
    #[command(flatten)]
    pipe: PipelineArg,
    /// The target repository (default: the pipeline's `target.repo`). Its work tree, index
    /// and refs are only read; the checkouts are kept in its git directory's `rawr-gates/`
    /// for the next run (`--no-cache`: a temporary folder).
    #[arg(long, value_name = "DIR")]
    repo: Option<PathBuf>,
    /// Commits in the order to show them (`REV…`), or a range `A..B` (oldest first).
    #[arg(value_name = "REV", conflicts_with = "bisect")]
    revs: Vec<String>,
    /// Only these gates (comma-separated or repeated), any kind (default: the static gates).
    #[arg(long, value_name = "ID", value_delimiter = ',', num_args = 1..)]
    gates: Vec<String>,
    /// Also the gates that install and run the target's suites, and the live probe.
    #[arg(long)]
    with_suites: bool,
    #[arg(long, value_enum, default_value_t = HistoryFormat::Text)]
    format: HistoryFormat,
    /// Commits judged at once, each worker in its own checkout (default: the number of cores).
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    jobs: Option<usize>,
    /// Find the first commit between GOOD and BAD where GATE stops passing.
    #[arg(long, num_args = 3, value_names = ["GATE", "GOOD", "BAD"])]
    bisect: Option<Vec<String>>,
}

#[derive(clap::Args)]
struct InitArgs {
    #[command(flatten)]
    pipe: PipelineArg,
    /// Set the tool up inside this repository: a thin xtask crate depending on this
    /// workspace, the `cargo xtask` alias, a pipeline with `target.repo = "."` (from this
    /// workspace's pipeline, or `--pipeline`) and its rendered workflow.
    #[arg(long, value_name = "DIR", conflicts_with_all = ["repo", "packet", "workbreakdown", "out"])]
    into: Option<PathBuf>,
    /// Overwrite files that already exist (otherwise nothing is written).
    #[arg(long)]
    force: bool,
    /// Depend on the tool by this git URL instead of a path to this checkout.
    #[arg(long, value_name = "URL", requires = "into")]
    git: Option<String>,
    /// With `--git`: the revision (default: the commit this checkout is at).
    #[arg(long, value_name = "REV", requires = "git")]
    rev: Option<String>,
    /// Without `--into`: the target repository the phase runs in (default: the current
    /// directory).
    #[arg(long, value_name = "DIR")]
    repo: Option<PathBuf>,
    /// The directory holding the phase's packet (default: the latest phase's work breakdown
    /// found in the repository).
    #[arg(long, value_name = "DIR", conflicts_with = "workbreakdown")]
    packet: Option<PathBuf>,
    /// The phase's PHASE_<X>_WORKBREAKDOWN.yaml (the acceptance gates are read beside it).
    #[arg(long, value_name = "FILE")]
    workbreakdown: Option<PathBuf>,
    /// The pipeline file to write (default: ci/phase-<x>.toml of this workspace).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum HistoryFormat {
    Text,
    Markdown,
    Json,
}

#[derive(Subcommand)]
enum ArtifactsCmd {
    /// Write ORCHESTRATOR_PLAN_VERBATIM.md (the runbook verbatim, with its checksum) and start
    /// ORCHESTRATOR_SCRATCHPAD.md. Refuses to overwrite an existing plan.
    Init {
        /// The runbook to write down.
        #[arg(long, value_name = "FILE")]
        runbook: PathBuf,
        /// The target repository (default: the pipeline's `target.repo`).
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
    },
    /// Run the orchestrator-artifacts and agent-outputs gates.
    Check {
        /// The target repository (default: the pipeline's `target.repo`).
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
        /// The runbook ORCHESTRATOR_PLAN_VERBATIM.md must equal (overrides the gate's
        /// `runbook` parameter).
        #[arg(long, value_name = "FILE")]
        runbook: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum CleanupCmd {
    /// Write the manifest: without one, classify every file of the pass root; with one, keep
    /// it byte for byte and append only the files it does not mention, under a marked
    /// heading (a path it lists is never re-classified).
    Plan {
        /// The target repository (default: the pipeline's `target.repo`).
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
    },
    /// Verify the manifest agrees with the tree (the docs-cleanup gate).
    Check {
        /// The target repository (default: the pipeline's `target.repo`).
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
    },
    /// Carry the manifest out with git rm / git mv. Dry-run unless --yes.
    Apply {
        /// The target repository (default: the pipeline's `target.repo`).
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
        /// Really do it (otherwise only print what would be done).
        #[arg(long)]
        yes: bool,
    },
}

#[derive(Subcommand)]
enum BenchCmd {
    /// The metadata-contract check over a generated tree of plugin manifests.
    MetadataContract {
        /// How many manifests to generate.
        #[arg(long, default_value_t = 10_000)]
        manifests: usize,
        /// Measured runs (after one warm-up).
        #[arg(long, default_value_t = 15)]
        runs: usize,
    },
    /// The legacy-metadata guard over generated monorepos, against `rg -w -c` on the same
    /// files, and on the 13-file default set. Build with --release for real figures.
    Guard {
        /// Tree sizes in files.
        #[arg(long, value_delimiter = ',', value_name = "N,...", default_values_t = [10_000, 100_000])]
        sizes: Vec<usize>,
        /// Measured runs (after one warm-up).
        #[arg(long, default_value_t = 5)]
        runs: usize,
        /// Generate here (kept, and reused by later runs) instead of a temporary directory (removed).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// A first `cargo build -p xtask` of the committed state, from an empty target directory,
    /// against its target (45 s): wall and CPU time, and where cargo's timings say it went.
    ColdBuild {
        /// Builds to measure (the median counts).
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// The target for the median, in seconds.
        #[arg(long, default_value_t = 45.0)]
        target: f64,
    },
    /// The readers of people's markdown over generated pathological documents, each shape at
    /// SIZE and 4 × SIZE: four times the input must cost at most MAX_GROWTH times the time
    /// (linear; a quadratic reader costs 16 times). Build with --release for real figures.
    Documents {
        /// The smaller size, in units of the shape (items, headings, rows, nesting levels…).
        #[arg(long, default_value_t = 20_000)]
        size: usize,
        /// Measured runs per size (after one warm-up).
        #[arg(long, default_value_t = 3)]
        runs: usize,
        /// The largest accepted ratio of the two medians.
        #[arg(long, default_value_t = 10.0)]
        max_growth: f64,
    },
    /// The executor's overhead per gate over a generated pipeline of trivial gates.
    Executor {
        #[arg(long, default_value_t = 200)]
        gates: usize,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
}

#[derive(Subcommand)]
enum CiCmd {
    /// Write the workflow (the pipeline's `ci.workflow`) from the pipeline.
    Render,
    /// Re-render and compare with the file on disk; on drift print a unified diff and exit 1.
    Check,
}

#[derive(clap::Args)]
struct RunArgs {
    #[command(flatten)]
    pipe: PipelineArg,
    /// The target repository (default: the pipeline's `target.repo`).
    #[arg(long, value_name = "DIR")]
    repo: Option<PathBuf>,
    /// Only the slices of these stages (repeatable), by number or by the stage's label
    /// (`1.5`); earlier stages are taken as passed.
    #[arg(long, value_name = "N")]
    stage: Vec<String>,
    /// Only these slices or gates (dependencies outside the selection are taken as passed).
    #[arg(long, value_name = "ID", num_args = 1..)]
    only: Vec<String>,
    /// This slice (or the first slice of this gate) and everything that depends on it.
    #[arg(long, value_name = "ID")]
    from: Option<String>,
    /// After a failure, still run every gate that does not depend on it.
    #[arg(long)]
    keep_going: bool,
    /// Run every gate whatever failed before it (still in dependency order) and mark the
    /// slices that would have been blocked: for assessing a repository.
    #[arg(long)]
    all: bool,
    /// Append the run's outcomes to the pass root's ORCHESTRATOR_SCRATCHPAD.md (a tracked
    /// file of the target; nothing else a run writes is in its work tree).
    #[arg(long)]
    log_scratchpad: bool,
    /// Gates to run at once (default: the number of cores).
    #[arg(short = 'j', long = "jobs", value_name = "N")]
    jobs: Option<usize>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Also write a JUnit XML report.
    #[arg(long, value_name = "FILE")]
    junit: Option<PathBuf>,
    /// Also write the findings of every gate as SARIF 2.1.0.
    #[arg(long, value_name = "FILE")]
    sarif: Option<PathBuf>,
    /// Judge again whenever the target changes, until Ctrl-C; with the verdict cache only the
    /// gates whose inputs changed are judged (see docs/cache.md).
    #[arg(long)]
    watch: bool,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum Format {
    Human,
    Json,
}

#[derive(Clone, Copy, ValueEnum)]
enum PlanFormat {
    Text,
    Dot,
    Json,
}

/// `print!` through [`out`]: a closed pipe ends the output quietly, a failed write is exit 2.
macro_rules! outp {
    ($($t:tt)*) => {
        out(&format!($($t)*))?
    };
}

/// `println!` through [`out`].
macro_rules! outln {
    ($($t:tt)*) => {
        out(&format!("{}\n", format_args!($($t)*)))?
    };
}

/// Exit code when the tool cannot do its job (bad usage, invalid pipeline, missing target).
const EXIT_TOOL: u8 = 2;

/// The whole command: parse the arguments, dispatch, and turn the outcome into the exit
/// code (0 passed, 1 a gate failed, 2 the tool could not do its job).
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_TOOL } else { 0 });
        }
    };
    match dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            let text = format!("{e:#}");
            let _ = writeln!(
                std::io::stderr(),
                "error: {}",
                report::terminal::escape(&text)
            );
            ExitCode::from(EXIT_TOOL)
        }
    }
}

/// Writes the command's main output to stdout. A reader that went away (`| head -1`, a
/// closed pipe) is no error: the rest of the output is simply not wanted, and the exit code
/// stays the verdict, as ripgrep does. Any other failure to write (a full disk,
/// `>/dev/full`) means the output is lost: the tool could not do its job, exit 2.
fn out(text: &str) -> anyhow::Result<()> {
    static GONE: AtomicBool = AtomicBool::new(false);
    if GONE.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
            GONE.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(e) => Err(anyhow::anyhow!("cannot write the output to stdout: {e}")),
    }
}

/// [`out`] for text carrying styles: kept when `colour` is on, stripped otherwise.
fn out_styled(text: &str, colour: bool) -> anyhow::Result<()> {
    if colour {
        out(text)
    } else {
        out(&colour::strip(text))
    }
}

/// `-j N`, or the number of cores; `-j 0` is refused (`unit` names what runs at once).
fn jobs(given: Option<usize>, unit: &str) -> anyhow::Result<usize> {
    let jobs = given.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    if jobs == 0 {
        anyhow::bail!("-j 0: at least one {unit} must be able to run");
    }
    Ok(jobs)
}

/// The workspace whose `cargo xtask` this is: this one, or the repository whose thin xtask
/// crate called [`main_in`] (its pipeline is the default one).
static WORKSPACE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// The command line of a repository set up with `init --into`: `root` is that repository,
/// whose `ci/phase-a.toml` is the default pipeline.
pub fn main_in(root: &Path) -> ExitCode {
    let _ = WORKSPACE.set(root.to_path_buf());
    main()
}

/// The workspace this xtask runs for, whatever the current directory.
fn workspace_root() -> PathBuf {
    WORKSPACE.get().cloned().unwrap_or_else(tool_root)
}

/// This tool's own workspace (the checkout its code was built from).
fn tool_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

fn load(cli_pipeline: &Option<PathBuf>) -> anyhow::Result<Arc<Pipeline>> {
    let path = cli_pipeline
        .clone()
        .unwrap_or_else(|| workspace_root().join(pipeline::DEFAULT_PIPELINE));
    Ok(Arc::new(gates::load::load_file(&path)?))
}

/// The target repository: a directory holding a `package.json` (a RAWR HQ monorepo's
/// root), never the filesystem root (the gates walk the target and write their state into
/// it).
fn target_repo(p: &Pipeline, repo: &Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let path = repo.clone().unwrap_or_else(|| p.repo_path());
    if !path.is_dir() {
        anyhow::bail!(
            "the target repository {} does not exist or is not a directory",
            path.display()
        );
    }
    let path = std::fs::canonicalize(&path)
        .map_err(|e| anyhow::anyhow!("the target repository {}: {e}", path.display()))?;
    if path.parent().is_none() {
        anyhow::bail!(
            "the target repository {} is the filesystem root; name the monorepo's root directory with --repo DIR",
            path.display()
        );
    }
    // Git refusing the repository (owned by another user) would otherwise read as "not a
    // git work tree": preflight would fail on it and the state would move out of the
    // repository's git directory without a word.
    if let Some(refusal) = gates::artifacts::git::refusal(&path) {
        anyhow::bail!("the target repository {}: {refusal}", path.display());
    }
    let manifest = path.join("package.json");
    match std::fs::metadata(&manifest) {
        Ok(m) if m.is_file() => {}
        Ok(_) => anyhow::bail!(
            "the target repository {}: its package.json is not a regular file",
            path.display()
        ),
        Err(_) if gates::artifacts::git::is_bare(&path) => anyhow::bail!(
            "the target repository {} is a bare git repository: it has no work tree to judge; clone it (`git clone {} DIR`) and name the clone with --repo DIR",
            path.display(),
            path.display()
        ),
        Err(_) => anyhow::bail!(
            "the target repository {} has no package.json: it is not the root of a RAWR HQ monorepo (name that root with --repo DIR)",
            path.display()
        ),
    }
    // Nothing the tool reads or writes below the target or its state directory follows a
    // symbolic link out of it.
    gates::fs::inside::confine(&path, gates::fs::inside::TARGET);
    let _ = gates::fs::state::state_dir(&path);
    Ok(path)
}

/// The pass root of the target: refused when it, or a folder above it, is a symbolic link
/// out of the target (the closure gates would judge another tree's documents).
fn pass_root(p: &Pipeline, repo: &Path) -> anyhow::Result<PathBuf> {
    Ok(gates::fs::resolve_inside(
        repo,
        &p.target.pass_root.to_string_lossy(),
    )?)
}

/// Refuses a file named on the command line to be read (`--report`, `--runbook`) that
/// exists but is not a regular file (a device, a FIFO, a directory), before anything runs
/// or is printed.
fn regular_input(flag: &str, path: &Path) -> anyhow::Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => anyhow::bail!(
            "{flag} {}: {}; name a regular file",
            path.display(),
            gates::fs::careful::not_regular(&m)
        ),
        _ => Ok(()),
    }
}

/// Checks the output files named on the command line before anything runs: a regular file,
/// a path that does not exist yet or a symlink to one of these; anything else is refused.
fn check_outputs(outputs: &[(&str, &Option<PathBuf>)]) -> anyhow::Result<Vec<Option<Output>>> {
    outputs
        .iter()
        .map(|(flag, path)| {
            path.as_ref()
                .map(|p| {
                    gates::fs::output::check(p)
                        .map_err(|e| anyhow::anyhow!("{flag} {}: {e}", p.display()))
                })
                .transpose()
        })
        .collect()
}

/// Refuses, before anything runs, an output path that would destroy something: the same
/// file named by two output flags, a file the target tracks (a run never changes the
/// target's tracked files), or a file the run reads (the pipeline, its runbook, a `--report`
/// being judged). Paths are compared where they really lead (links followed, `./` and `..`
/// resolved), so `F` and `./F` or a link to `F` are the same file.
fn check_output_paths(
    p: &Pipeline,
    repo: &Path,
    outputs: &[(&str, &Option<PathBuf>)],
    inputs: &[(&str, &Path)],
) -> anyhow::Result<()> {
    let real = |path: &Path| -> Option<PathBuf> {
        gates::fs::inside::resolve(&std::path::absolute(path).ok()?).ok()
    };
    let mut read: Vec<(String, PathBuf)> = vec![(
        format!("the pipeline being run ({})", p.file.display()),
        p.file.clone(),
    )];
    for g in p.gates.values() {
        if g.kind.check_name() == Some("orchestrator-artifacts")
            && let Some(rb) = g
                .kind
                .params()
                .and_then(|t| t.get("runbook"))
                .and_then(|v| v.as_str())
        {
            let path = if Path::new(rb).is_absolute() {
                PathBuf::from(rb)
            } else {
                repo.join(rb)
            };
            read.push((format!("the runbook the pipeline reads ({rb})"), path));
        }
    }
    for (what, path) in inputs {
        read.push((format!("{what} ({})", path.display()), path.to_path_buf()));
    }
    let read: Vec<(String, PathBuf)> = read
        .into_iter()
        .filter_map(|(what, path)| Some((what, real(&path)?)))
        .collect();
    let repo_real = std::fs::canonicalize(repo).unwrap_or_else(|_| repo.to_path_buf());
    let mut seen: Vec<(&str, PathBuf)> = Vec::new();
    for (flag, path) in outputs {
        let Some(path) = path else { continue };
        let Some(out) = real(path) else { continue };
        if let Some((other, _)) = seen.iter().find(|(_, o)| *o == out) {
            anyhow::bail!(
                "{flag} {}: the same file as {other}; give each report its own file",
                path.display()
            );
        }
        if let Some((what, _)) = read.iter().find(|(_, r)| *r == out) {
            anyhow::bail!(
                "{flag} {}: is {what}; a report must not overwrite what the run reads",
                path.display()
            );
        }
        if let Ok(rel) = out.strip_prefix(&repo_real)
            && out.is_file()
            && gates::artifacts::git::is_tracked(repo, &gates::artifacts::git::rel_str(rel))?
        {
            anyhow::bail!(
                "{flag} {}: is a file the target tracks ({}); a run never changes the target's tracked files, write the report elsewhere",
                path.display(),
                gates::artifacts::git::rel_str(rel)
            );
        }
        seen.push((flag, out));
    }
    Ok(())
}

/// Writes a report file checked by [`check_outputs`]; a failure is reported on stderr and
/// makes the exit code 2, after the main output was printed.
fn write_output(flag: &str, target: &Option<Output>, text: impl FnOnce() -> String) -> bool {
    let Some(o) = target else { return true };
    match gates::fs::output::write_checked(o, text().as_bytes()) {
        Ok(()) => true,
        Err(e) => {
            let _ = writeln!(
                std::io::stderr(),
                "error: cannot write {flag} {}: {e}",
                o.path.display()
            );
            false
        }
    }
}

impl Cmd {
    /// The `--pipeline` given after the subcommand, or `None` for a subcommand that reads
    /// no pipeline.
    fn pipeline_arg(&self) -> Option<&PipelineArg> {
        match self {
            Cmd::Run(a) | Cmd::PhaseA(a) => Some(&a.pipe),
            Cmd::Gate { pipe, .. }
            | Cmd::Plan { pipe, .. }
            | Cmd::List { pipe }
            | Cmd::Artifacts { pipe, .. }
            | Cmd::Cleanup { pipe, .. }
            | Cmd::Report { pipe, .. }
            | Cmd::Ci { pipe, .. } => Some(pipe),
            Cmd::History(a) => Some(&a.pipe),
            Cmd::Init(a) => Some(&a.pipe),
            Cmd::Test { .. } | Cmd::Bench(_) | Cmd::Fuzz { .. } | Cmd::Rules => None,
        }
    }
}

/// The pipeline file named on the command line, before or after the subcommand.
fn pipeline_file(cli: &Cli) -> anyhow::Result<Option<PathBuf>> {
    match cli.cmd.pipeline_arg() {
        None => {
            if cli.pipeline.is_some() {
                anyhow::bail!(
                    "`--pipeline` applies to the subcommands that read a pipeline; `test`, `bench` and `fuzz` read none"
                );
            }
            Ok(None)
        }
        Some(sub) => match (&cli.pipeline, &sub.pipeline) {
            (Some(a), Some(b)) if a != b => anyhow::bail!(
                "`--pipeline` given twice, as {} and {}",
                a.display(),
                b.display()
            ),
            (a, b) => Ok(a.clone().or_else(|| b.clone())),
        },
    }
}

fn dispatch(cli: Cli) -> anyhow::Result<u8> {
    let pipeline = pipeline_file(&cli)?;
    let colour = ColorChoice::from(cli.color);
    gates::run::cache::set_enabled(!cli.no_cache);
    match cli.cmd {
        Cmd::Run(a) | Cmd::PhaseA(a) => run_pipeline(&pipeline, a, colour),
        Cmd::Gate {
            id,
            repo,
            format,
            report,
            sarif,
            watch,
            ..
        } => {
            if !watch {
                return gate(
                    &pipeline,
                    &id,
                    &repo,
                    format,
                    report.as_deref(),
                    &sarif,
                    colour,
                );
            }
            let p = load(&pipeline)?;
            let dir = target_repo(&p, &repo)?;
            watch_loop(&dir, || {
                gate(
                    &pipeline,
                    &id,
                    &repo,
                    format,
                    report.as_deref(),
                    &sarif,
                    colour,
                )
            })
        }
        Cmd::Plan { format, .. } => {
            let p = load(&pipeline)?;
            let plan = Plan::new(&p);
            let out = match format {
                PlanFormat::Text => pipeline::plan::render_text(&p, &plan),
                PlanFormat::Dot => pipeline::plan::render_dot(&p, &plan),
                PlanFormat::Json => pipeline::plan::render_json(&p, &plan),
            };
            outp!("{out}");
            Ok(0)
        }
        Cmd::Ci { cmd, .. } => ci(&pipeline, cmd),
        Cmd::History(a) => history(&pipeline, a),
        Cmd::Init(a) => {
            let Some(into) = a.into else {
                // Without --into: a pipeline from the phase's packet (init_pipeline).
                if let Some(p) = &pipeline {
                    anyhow::bail!(
                        "init writes a pipeline from the phase's packet; `--pipeline {}` applies to `init --into DIR`",
                        p.display()
                    );
                }
                let opts = init_pipeline::Options {
                    repo: a.repo,
                    packet: a.packet,
                    workbreakdown: a.workbreakdown,
                    out: a.out,
                    force: a.force,
                };
                for line in init_pipeline::run(&opts, &workspace_root())? {
                    outln!("{line}");
                }
                return Ok(0);
            };
            let template = pipeline.unwrap_or_else(|| tool_root().join("ci").join("phase-a.toml"));
            let dep = match a.git {
                Some(url) => init_into::Dependency::Git { url, rev: a.rev },
                None => init_into::Dependency::Path(tool_root()),
            };
            let done = init_into::run(&init_into::Options {
                into,
                force: a.force,
                template,
                dep,
                tool_root: tool_root(),
            })?;
            for line in &done.lines {
                outln!("{line}");
            }
            Ok(if done.complete { 0 } else { EXIT_TOOL })
        }
        Cmd::Rules => {
            let path = workspace_root().join("docs").join("rules.md");
            gates::fs::write_atomic(&path, gates::checks::catalogue().as_bytes())?;
            outln!("wrote {}", path.display());
            Ok(0)
        }
        Cmd::Test { args } => {
            let code = gates::devtest::run(&tool_root(), &args).map_err(anyhow::Error::msg)?;
            Ok(code.clamp(0, 255) as u8)
        }
        Cmd::Fuzz { target, time } => {
            let (code, summary) = gates::fuzzing::run(&tool_root(), target.as_deref(), time)
                .map_err(anyhow::Error::msg)?;
            outp!("{summary}");
            Ok(code as u8)
        }
        Cmd::Bench(b) => match b {
            BenchCmd::ColdBuild { runs, target } => {
                let met = cold_build::bench(&tool_root(), runs, target)?;
                Ok(if met { 0 } else { 1 })
            }
            BenchCmd::Executor { gates: n, runs } => {
                outp!("{}", gates::bench::executor::run(n, runs));
                Ok(0)
            }
            BenchCmd::Documents {
                size,
                runs,
                max_growth,
            } => Ok(if gates::bench::documents::run(size, runs, max_growth) {
                0
            } else {
                1
            }),
            BenchCmd::MetadataContract { manifests, runs } => {
                let met = gates::bench::metadata_contract::run(manifests, runs)?;
                Ok(if met { 0 } else { 1 })
            }
            BenchCmd::Guard { sizes, runs, dir } => {
                if cfg!(debug_assertions) {
                    eprintln!(
                        "warning: this xtask is an unoptimized build; for real figures run `cargo run --release -p xtask -- bench guard`"
                    );
                }
                let met =
                    gates::bench::guard::run(&gates::bench::guard::Options { sizes, runs, dir })?;
                Ok(if met { 0 } else { 1 })
            }
        },
        Cmd::List { .. } => {
            let p = load(&pipeline)?;
            outp!("{}", gates::pipeline::plan::render_list(&p));
            Ok(0)
        }
        Cmd::Artifacts {
            cmd: ArtifactsCmd::Init { runbook, repo },
            ..
        } => {
            let p = load(&pipeline)?;
            let repo = target_repo(&p, &repo)?;
            let out = gates::artifacts::plan::init(&pass_root(&p, &repo)?, &runbook)?;
            outln!("wrote {}", out.plan.display());
            let verb = if out.scratchpad_existed {
                "appended to"
            } else {
                "started"
            };
            outln!("{verb} {}", out.scratchpad.display());
            Ok(0)
        }
        Cmd::Artifacts {
            cmd: ArtifactsCmd::Check { repo, runbook },
            ..
        } => run_checks_with(
            &pipeline,
            &repo,
            &["orchestrator-artifacts", "agent-outputs"],
            runbook.as_deref(),
            colour,
        ),
        Cmd::Cleanup {
            cmd: CleanupCmd::Check { repo },
            ..
        } => run_checks(&pipeline, &repo, &["docs-cleanup"], colour),
        Cmd::Cleanup {
            cmd: CleanupCmd::Plan { repo },
            ..
        } => {
            let p = load(&pipeline)?;
            let repo = target_repo(&p, &repo)?;
            let cfg = gates::checks::docs_cleanup::manifest_config(&p)?;
            pass_root(&p, &repo)?;
            let pass_rel = gates::artifacts::git::rel_str(&p.target.pass_root);
            let planned = gates::artifacts::cleanup::write_plan_merged(&repo, &pass_rel, &cfg)?;
            let show = |e: &gates::artifacts::cleanup::Entry| {
                format!("{:<8} {}  ({})", e.action.as_str(), e.path, e.rationale)
            };
            if planned.created {
                for e in &planned.manifest.entries {
                    outln!("{}", show(e));
                }
                outln!("wrote {}", planned.path.display());
            } else if planned.added.is_empty() {
                outln!(
                    "{}: every file of the pass root is in it ({} entries); nothing added, the file is unchanged",
                    planned.path.display(),
                    planned.manifest.entries.len()
                );
            } else {
                for e in &planned.added {
                    outln!("{}", show(e));
                }
                outln!(
                    "added {} file(s) the manifest did not mention, under `{}` at its end; everything it said is kept as written: {}",
                    planned.added.len(),
                    gates::artifacts::cleanup::ADDED_TITLE,
                    planned.path.display()
                );
            }
            if !planned.later.is_empty() {
                outln!(
                    "not added, written by the cleanup slice or after it (docs-cleanup accepts them unmentioned): {}",
                    planned.later.join(", ")
                );
            }
            Ok(0)
        }
        Cmd::Cleanup {
            cmd: CleanupCmd::Apply { repo, yes },
            ..
        } => {
            let p = load(&pipeline)?;
            let repo = target_repo(&p, &repo)?;
            let cfg = gates::checks::docs_cleanup::manifest_config(&p)?;
            pass_root(&p, &repo)?;
            let pass_rel = gates::artifacts::git::rel_str(&p.target.pass_root);
            let out = gates::artifacts::cleanup::apply(&repo, &pass_rel, &cfg, yes)?;
            let prefix = if out.dry_run { "would " } else { "" };
            for a in &out.actions {
                outln!("{prefix}{a}");
            }
            if out.actions.is_empty() {
                outln!("nothing to do: the tree already matches the manifest");
            } else if out.dry_run {
                outln!("dry run: nothing was changed; pass --yes to apply");
            }
            Ok(0)
        }
        Cmd::Report { repo, .. } => {
            let p = load(&pipeline)?;
            let repo = target_repo(&p, &repo)?;
            let pass_root = pass_root(&p, &repo)?;
            let record = session::read_last_run(&repo)?;
            let docs = gates::artifacts::report::Docs::of(&p);
            for path in gates::artifacts::report::write(&repo, &pass_root, &record, &docs)? {
                outln!("wrote {}", path.display());
            }
            Ok(0)
        }
    }
}

/// Runs the gates whose check is one of `checks`, alone, and prints their details.
fn run_checks(
    pipeline_file: &Option<PathBuf>,
    repo: &Option<PathBuf>,
    checks: &[&str],
    colour: ColorChoice,
) -> anyhow::Result<u8> {
    run_checks_with(pipeline_file, repo, checks, None, colour)
}

/// [`run_checks`], with `runbook` (a file) set as the `runbook` parameter of the
/// orchestrator-artifacts gate.
fn run_checks_with(
    pipeline_file: &Option<PathBuf>,
    repo: &Option<PathBuf>,
    checks: &[&str],
    runbook: Option<&std::path::Path>,
    colour: ColorChoice,
) -> anyhow::Result<u8> {
    let mut p = load(pipeline_file)?;
    let pm = std::sync::Arc::make_mut(&mut p);
    if let Some(rb) = runbook {
        let abs = std::path::absolute(rb).map_err(|e| anyhow::anyhow!("{}: {e}", rb.display()))?;
        regular_input("--runbook", rb)?;
        if !abs.is_file() {
            anyhow::bail!("{}: the runbook does not exist", rb.display());
        }
        pm.set_check_param("orchestrator-artifacts", "runbook", &abs.to_string_lossy());
    }
    let repo = target_repo(&p, repo)?;
    let pass_root = pass_root(&p, &repo)?;
    let interrupt = run::interrupt::flag();
    let style = Style::detect(colour, std::io::stdout().is_terminal());
    let mut results = Vec::new();
    for check in checks {
        let gate = p
            .gates
            .values()
            .find(|g| g.kind.check_name() == Some(*check));
        let Some(g) = gate else {
            anyhow::bail!(
                "the pipeline {} has no gate with `check = \"{check}\"`",
                p.file.display()
            );
        };
        let mut r = executor::run_gate(&p, g, &repo, &pass_root, &interrupt, None);
        r.slices = p.slices_of_gate(&g.id).map(|s| s.id.clone()).collect();
        out_styled(&report::human::gate_details(&style, &r), style.colour)?;
        results.push(r);
    }
    Ok(run::Counts::of(&results).exit_code(false) as u8)
}

fn ci(pipeline_file: &Option<PathBuf>, c: CiCmd) -> anyhow::Result<u8> {
    let p = load(pipeline_file)?;
    match c {
        CiCmd::Render => {
            let (path, changed) = gates::ci::write(&p)?;
            outln!(
                "{} {}",
                if changed { "wrote" } else { "unchanged:" },
                path.display()
            );
            Ok(0)
        }
        CiCmd::Check => {
            let r = gates::ci::check(&p, None)?;
            if r.drift == gates::ci::Drift::UpToDate {
                outp!("{}", r.report());
                Ok(0)
            } else {
                let _ = std::io::stderr().write_all(r.report().as_bytes());
                Ok(1)
            }
        }
    }
}

/// `--stage` values as stage numbers: a number, or a stage's `label` (`1.5`).
fn stage_numbers(p: &Pipeline, given: &[String]) -> anyhow::Result<Vec<u32>> {
    given
        .iter()
        .map(|g| {
            if let Some(st) = p.stages.iter().find(|s| s.label == *g) {
                return Ok(st.number);
            }
            match g.parse::<u32>() {
                Ok(n) => Ok(n),
                Err(_) => {
                    let known: Vec<String> = p
                        .stages
                        .iter()
                        .map(|s| {
                            if s.label == s.number.to_string() {
                                s.label.clone()
                            } else {
                                format!("{} ({})", s.number, s.label)
                            }
                        })
                        .collect();
                    anyhow::bail!("unknown stage {g:?} (known: {})", known.join(", "))
                }
            }
        })
        .collect()
}

fn run_pipeline(
    pipeline_file: &Option<PathBuf>,
    a: RunArgs,
    colour: ColorChoice,
) -> anyhow::Result<u8> {
    let p = load(pipeline_file)?;
    let stages = stage_numbers(&p, &a.stage)?;
    let selection: Selection = pipeline::select::select(
        &p,
        &SelectArgs {
            stages,
            only: a.only.clone(),
            from: a.from.clone(),
        },
    )
    .map_err(anyhow::Error::msg)?;
    let repo = target_repo(&p, &a.repo)?;
    let jobs = jobs(a.jobs, "gate")?;
    let flags = [("--junit", &a.junit), ("--sarif", &a.sarif)];
    check_output_paths(&p, &repo, &flags, &[])?;
    let outputs = check_outputs(&flags)?;
    if a.watch {
        let dir = repo.clone();
        return watch_loop(&dir, || {
            phase_a_once(
                &p,
                &a,
                selection.clone(),
                repo.clone(),
                jobs,
                &outputs,
                colour,
            )
        });
    }
    phase_a_once(&p, &a, selection, repo, jobs, &outputs, colour)
}

/// One run of `phase-a` (again and again under `--watch`).
fn phase_a_once(
    p: &Arc<Pipeline>,
    a: &RunArgs,
    selection: Selection,
    repo: PathBuf,
    jobs: usize,
    outputs: &[Option<Output>],
    colour: ColorChoice,
) -> anyhow::Result<u8> {
    let tty = std::io::stderr().is_terminal();
    let style = Style::detect(colour, tty);
    let live = report::human::Live::new(style, colour::live_capable(tty));
    let interrupt: Arc<AtomicBool> = run::interrupt::flag();
    let opts = session::RunOptions {
        jobs,
        keep_going: a.keep_going,
        all: a.all,
        log_scratchpad: a.log_scratchpad,
        repo,
        selection,
    };
    let result = session::run_pipeline(p, &opts, &live, &interrupt);
    live.finish();
    let (record, warnings) = result?;
    for w in &warnings {
        let _ = writeln!(
            std::io::stderr(),
            "warning: {}",
            report::terminal::escape(w)
        );
    }
    github_annotations(&record.gates, a.format)?;
    if report::github_summary::enabled() {
        let summary = report::github_summary::summary_path();
        // Groups go with the human output; with `--format json`, stdout stays pure JSON.
        let mut text = Vec::new();
        let warnings = report::github_summary::emit(&record, &mut text, summary.as_deref());
        let text = String::from_utf8_lossy(&text);
        match a.format {
            Format::Human => out(&text)?,
            Format::Json => {
                let _ = std::io::stderr().write_all(text.as_bytes());
            }
        }
        for w in warnings {
            let _ = writeln!(std::io::stderr(), "warning: {w}");
        }
    }
    // The verdict is printed first, whatever happens to the report files; and the report
    // files are written whatever happens to stdout (a terminal closed with SIGHUP).
    let printed = match a.format {
        Format::Human => {
            let style = Style::detect(colour, std::io::stdout().is_terminal());
            out_styled(&report::human::summary(&style, &record), style.colour)
        }
        Format::Json => out(&report::json::render(&record)),
    };
    let origin = report::Origin::of(p);
    let junit_ok = write_output("--junit", &outputs[0], || {
        report::junit::render(&record, &origin)
    });
    let sarif_ok = write_output("--sarif", &outputs[1], || {
        report::sarif::render(&record, &origin)
    });
    printed?;
    if !(junit_ok && sarif_ok) {
        return Ok(EXIT_TOOL);
    }
    Ok(record.exit_code as u8)
}

/// `--watch`: runs `once`, then again each time the target changes (debounced), until
/// Ctrl-C. On a terminal each run redraws the screen; elsewhere runs follow one another,
/// each opened by a line saying when the change was seen. Returns the last run's exit code.
fn watch_loop(repo: &Path, mut once: impl FnMut() -> anyhow::Result<u8>) -> anyhow::Result<u8> {
    let interrupt = run::interrupt::flag();
    let mut watch = gates::run::watch::Watch::new(repo)?;
    let tty = std::io::stdout().is_terminal();
    // The cache's listing of the target, kept between runs and brought up to date from the
    // watcher's changed paths (walked again only when a path may have been created or
    // deleted).
    gates::run::cache::refresh_live(repo, None);
    let mut code = once()?;
    loop {
        let _ = writeln!(
            std::io::stderr(),
            "watching {} for changes (Ctrl-C to stop)",
            repo.display()
        );
        if !watch.wait(std::time::Duration::from_millis(15), &interrupt) {
            return Ok(code);
        }
        let changed = watch.changes();
        if gates::run::cache::refresh_live(repo, changed.as_deref()) {
            // The listing was taken again: watch the directories created since.
            watch.sync()?;
        }
        if tty {
            // Redraw in place: clear the screen and go home.
            out("\x1b[2J\x1b[H")?;
        } else {
            out(&format!(
                "--- {} changed: judging again\n",
                gates::run::watch::now_text()
            ))?;
        }
        code = once()?;
        if interrupt.load(std::sync::atomic::Ordering::SeqCst) {
            return Ok(code);
        }
    }
}

fn gate(
    pipeline_file: &Option<PathBuf>,
    id: &str,
    repo: &Option<PathBuf>,
    format: Format,
    report_file: Option<&Path>,
    sarif: &Option<PathBuf>,
    colour: ColorChoice,
) -> anyhow::Result<u8> {
    let p = load(pipeline_file)?;
    let Some(g) = p.gate_named(id) else {
        let known: Vec<&str> = p.gates.keys().map(String::as_str).collect();
        anyhow::bail!("unknown gate `{id}` (known: {})", known.join(", "));
    };
    // An alias runs the gate it names, under the gate's id.
    let id = g.id.as_str();
    let repo = target_repo(&p, repo)?;
    if report_file.is_some()
        && !g
            .kind
            .check_name()
            .is_some_and(gates::checks::judges_a_report)
    {
        anyhow::bail!(
            "gate `{id}` does not judge a test report (--report works with gates whose check is `harness-matrix`, `instance-isolation` or `observability-contract`)"
        );
    }
    if let Some(file) = report_file {
        regular_input("--report", file)?;
    }
    let pass_root = pass_root(&p, &repo)?;
    let inputs: Vec<(&str, &Path)> = report_file
        .map(|f| ("the test report being judged", f))
        .into_iter()
        .collect();
    check_output_paths(&p, &repo, &[("--sarif", sarif)], &inputs)?;
    let outputs = check_outputs(&[("--sarif", sarif)])?;
    let mut r = match report_file {
        Some(file) => gates::checks::judge_report(g, &repo, file),
        None => {
            let interrupt = run::interrupt::flag();
            // On a terminal, a live line while the gate runs (a test-suite run takes a while).
            let tty = std::io::stderr().is_terminal();
            let live =
                report::human::Live::new(Style::detect(colour, tty), colour::live_capable(tty));
            if !colour::live_capable(tty)
                && let Some(c) = g.kind.command()
            {
                // Without a terminal a plain line, then one per period while it runs.
                eprintln!(
                    "running {id}: {}",
                    report::terminal::escape(&c.argv.join(" "))
                );
            }
            gates::run::executor::Observer::gate_started(&live, id);
            let r = executor::run_gate(&p, g, &repo, &pass_root, &interrupt, None);
            live.finish();
            r
        }
    };
    r.slices = p.slices_of_gate(id).map(|s| s.id.clone()).collect();
    r.stage = p.slices_of_gate(id).next().map(|s| s.stage).unwrap_or(0);
    github_annotations(std::slice::from_ref(&r), format)?;
    match format {
        Format::Human => {
            let style = Style::detect(colour, std::io::stdout().is_terminal());
            out_styled(&report::human::gate_details(&style, &r), style.colour)?
        }
        Format::Json => out(&format!("{}\n", report::json::render_gate(&r)))?,
    }
    let sarif_ok = write_output("--sarif", &outputs[0], || {
        report::sarif::render_gates(std::slice::from_ref(&r), &report::Origin::of(&p))
    });
    if !sarif_ok {
        return Ok(EXIT_TOOL);
    }
    let counts = run::Counts::of(std::slice::from_ref(&r));
    Ok(counts.exit_code(false) as u8)
}

fn history(pipeline_file: &Option<PathBuf>, a: HistoryArgs) -> anyhow::Result<u8> {
    use gates::history;
    let p = load(pipeline_file)?;
    let repo = target_repo(&p, &a.repo)?;
    let jobs = jobs(a.jobs, "commit")?;
    let interrupt = run::interrupt::flag();
    if let Some(b) = a.bisect {
        if !a.gates.is_empty() || a.with_suites {
            anyhow::bail!("--bisect names its one gate; --gates and --with-suites do not apply");
        }
        let opts = history::bisect::Options {
            repo,
            gate: b[0].clone(),
            good: b[1].clone(),
            bad: b[2].clone(),
            jobs,
        };
        let r = history::bisect::run(&p, &opts, &interrupt)?;
        match a.format {
            HistoryFormat::Json => outp!("{}", history::bisect::json(&r)),
            HistoryFormat::Markdown => {
                outp!("```text\n{}```\n", history::bisect::text(&r))
            }
            HistoryFormat::Text => outp!("{}", history::bisect::text(&r)),
        }
        eprintln!("bisect took {}", report::human::secs(r.duration_ms));
        return Ok(r.exit_code as u8);
    }
    let opts = history::Options {
        repo,
        revs: a.revs,
        gates: a.gates,
        with_suites: a.with_suites,
        jobs,
    };
    let progress = HistoryProgress(std::io::stderr().is_terminal());
    let h = history::run(&p, &opts, &interrupt, &progress)?;
    match a.format {
        HistoryFormat::Text => outp!("{}", history::render::text(&h)),
        HistoryFormat::Markdown => outp!("{}", history::render::markdown(&h)),
        HistoryFormat::Json => outp!("{}", history::render::json(&h)),
    }
    let checkout: u64 = h.commits.iter().map(|c| c.checkout_ms).sum();
    let gates_ms: u64 = h.commits.iter().map(|c| c.gates_ms).sum();
    let cells = h.commits.iter().map(|c| c.cells.len()).sum::<usize>();
    let reused = h
        .commits
        .iter()
        .flat_map(|c| &c.cells)
        .filter(|c| c.cached)
        .count();
    eprintln!(
        "history: {} commits in {} (summed over commits: checkout {}, gates {}; {reused} of {cells} verdicts reused)",
        h.commits.len(),
        report::human::secs(h.duration_ms),
        report::human::secs(checkout),
        report::human::secs(gates_ms)
    );
    Ok(h.exit_code as u8)
}

/// One line per finished commit on a terminal.
struct HistoryProgress(bool);

impl gates::history::Progress for HistoryProgress {
    fn commit_done(&self, done: usize, total: usize, c: &gates::history::CommitResult) {
        if self.0 {
            eprintln!(
                "[{done}/{total}] {} checkout {}, gates {}",
                gates::history::checkout::short(&c.sha),
                report::human::secs(c.checkout_ms),
                report::human::secs(c.gates_ms)
            );
        }
    }
}

/// Under GitHub Actions, findings become annotations: on stdout with human output, on stderr
/// when stdout carries JSON (the runner reads workflow commands from both).
fn github_annotations(gates: &[run::GateResult], format: Format) -> anyhow::Result<()> {
    if !report::github::enabled() {
        return Ok(());
    }
    let text = report::github::render(gates);
    match format {
        Format::Human => out(&text)?,
        Format::Json => {
            let _ = std::io::stderr().write_all(text.as_bytes());
        }
    }
    Ok(())
}

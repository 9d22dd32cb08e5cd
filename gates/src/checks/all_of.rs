//! `all-of`: a gate that is the conjunction of other judgements, for a gate a phase packet
//! defines as several things at once.
//!
//! **What it checks.** Each of `parts` in turn, and passes when every part passes. A part is
//! either another gate of the pipeline (`{ gate = "legacy-metadata-guard" }`: its check with
//! its params) or a check with params of its own (`{ check = "harness-matrix", params = {…} }`).
//! The findings of every part are the gate's findings (each keeps its rule id); the notes
//! say which part passed or how many errors it found. A part that judges a command's report
//! (the harness checks) judges this gate's own command, so the gate names the suite run it
//! shares with the harness gates; a part naming a gate whose command differs is refused.
//!
//! **Why.** The packet's `legacy-metadata-hard-delete-static-guard` means the pattern scan
//! over the runtime, tooling and scaffold surfaces, the active manifests and the metadata
//! contract tests together: an alias to any one of the gates that judge those parts would
//! pass where the packet's gate fails.
//!
//! **Rules.** None of its own: each finding keeps the rule its part's check declares, and is
//! looked up in that check's table (docs/rules.md lists them under each check).
//!
//! **How to fix.** Fix what each part's findings say; each part's gate (or check) documents
//! its own rules.

use serde::Deserialize;

use super::{Capability, CheckCtx, CheckDef, CheckOutput, ParamError, parse_params};
use crate::error::GateError;
use crate::finding::Severity;
use crate::pipeline::{CommandSpec, Pipeline};

/// This check's name, which no part may name (a conjunction of conjunctions is one).
const NAME: &str = "all-of";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    parts: Vec<Part>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Part {
    /// Another gate of the pipeline, judged with its own check and params.
    gate: Option<String>,
    /// Or a check, with `params`.
    check: Option<String>,
    #[serde(default)]
    params: toml::Table,
    /// How the notes name the part (default: the gate id or the check name).
    name: Option<String>,
}

impl Part {
    fn label(&self) -> String {
        self.name
            .clone()
            .or_else(|| self.gate.clone())
            .or_else(|| self.check.clone())
            .unwrap_or_default()
    }
}

pub fn def() -> CheckDef {
    CheckDef {
        name: NAME,
        summary: "every part (another gate, or a check with params) passes: a gate that is a conjunction",
        // What its parts read.
        capabilities: &[Capability::WorkTree, Capability::RunRecord],
        // It reports no finding of its own: every finding is a part's, under the rule the
        // part's check declares, and is looked up there (`parts`: the executor's assertion,
        // SARIF `rules` and docs/rules.md all go through `CheckDef::finding_rule`).
        rules: &[],
        parts: Some(parts),
        aliases: &[],
        validate,
        roles: super::no_roles,
        run,
    }
}

/// The checks of a gate's parts: the check of a part's gate, or the part's own check. A part
/// the pipeline does not resolve is left out (the run refuses it before any finding).
fn parts(table: &toml::Table, pipeline: &Pipeline) -> Vec<&'static CheckDef> {
    let Ok(p) = parse_params::<Params>(table) else {
        return Vec::new();
    };
    p.parts
        .iter()
        .filter_map(|part| match (&part.gate, &part.check) {
            (Some(id), _) => pipeline.gates.get(id).and_then(|g| g.kind.check()),
            (None, Some(c)) => super::find(c),
            (None, None) => None,
        })
        .collect()
}

fn bad(message: String) -> Result<(), ParamError> {
    Err(ParamError {
        message,
        key: Some("parts".into()),
    })
}

fn validate(table: &toml::Table) -> Result<(), ParamError> {
    let p: Params = parse_params(table)?;
    if p.parts.is_empty() {
        return bad("parts: a conjunction of nothing would always pass".into());
    }
    let registry = super::registry();
    for (i, part) in p.parts.iter().enumerate() {
        match (&part.gate, &part.check) {
            (Some(g), None) => {
                if !part.params.is_empty() {
                    return bad(format!(
                        "parts[{i}]: a part naming gate `{g}` takes that gate's params; give `params` only with `check`"
                    ));
                }
            }
            (None, Some(c)) => {
                if c == NAME {
                    return bad(format!("parts[{i}]: a part cannot itself be `{NAME}`"));
                }
                let Some(def) = registry.iter().find(|d| d.name == c) else {
                    return bad(format!("parts[{i}]: unknown check {c:?}"));
                };
                (def.validate)(&part.params).map_err(|e| ParamError {
                    message: format!("parts[{i}] (check `{c}`): {}", e.message),
                    key: Some("parts".into()),
                })?;
            }
            _ => {
                return bad(format!(
                    "parts[{i}]: name either a `gate` or a `check` (with its `params`)"
                ));
            }
        }
    }
    Ok(())
}

/// Two commands are the same run when the shared-run key would be equal.
fn same_command(a: &CommandSpec, b: &CommandSpec) -> bool {
    a.argv == b.argv
        && a.cwd == b.cwd
        && a.env == b.env
        && a.report.as_ref().map(|r| (&r.path, &r.format))
            == b.report.as_ref().map(|r| (&r.path, &r.format))
}

fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let params: Params = ctx.params()?;
    let own = ctx
        .pipeline
        .gates
        .get(ctx.gate_id)
        .and_then(|g| g.kind.command());
    let registry = super::registry();
    let mut out = CheckOutput::default();
    for part in &params.parts {
        let label = part.label();
        let (gate_id, check, part_params) = match (&part.gate, &part.check) {
            (Some(id), _) => {
                let Some(g) = ctx.pipeline.gates.get(id) else {
                    return Err(GateError::msg(format!(
                        "part `{id}` names no gate of the pipeline"
                    )));
                };
                let Some(check) = g.kind.check_name() else {
                    return Err(GateError::msg(format!(
                        "part `{id}` is a plain command gate; a part must be judged by a check"
                    )));
                };
                if check == NAME {
                    return Err(GateError::msg(format!(
                        "part `{id}` is itself an `{NAME}` gate"
                    )));
                }
                if let Some(theirs) = g.kind.command()
                    && !own.is_some_and(|o| same_command(o, theirs))
                {
                    return Err(GateError::msg(format!(
                        "part `{id}` judges its own command's report; give gate `{}` the same command and report as `{id}` so both judge one run",
                        ctx.gate_id
                    )));
                }
                (
                    g.id.as_str(),
                    check.to_string(),
                    g.kind.params().cloned().unwrap_or_default(),
                )
            }
            (None, Some(c)) => (ctx.gate_id, c.clone(), part.params.clone()),
            (None, None) => return Err(GateError::msg("a part names neither gate nor check")),
        };
        let Some(def) = registry.iter().find(|d| d.name == check) else {
            return Err(GateError::msg(format!("unknown check `{check}`")));
        };
        let sub = CheckCtx {
            gate_id,
            repo: ctx.repo,
            pass_root: ctx.pass_root,
            params: &part_params,
            pipeline: ctx.pipeline,
            command: ctx.command,
            cancel: ctx.cancel,
            run: ctx.run,
        };
        let got = (def.run)(&sub)?;
        let errors = got
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        out.notes.push(if errors == 0 {
            format!("part `{label}`: passed")
        } else {
            format!("part `{label}`: {errors} error finding(s)")
        });
        out.notes
            .extend(got.notes.into_iter().map(|n| format!("{label}: {n}")));
        out.findings.extend(got.findings);
        if ctx.cancelled() {
            break;
        }
    }
    Ok(out)
}

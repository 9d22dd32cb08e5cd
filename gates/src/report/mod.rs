//! One renderer per output format. Every renderer reads the same [`RunRecord`], so the
//! human summary, JSON and JUnit always agree.
//!
//! [`RunRecord`]: crate::record::RunRecord

pub mod colour;
pub mod github;
pub mod github_summary;
pub mod human;
pub mod json;
pub mod junit;
pub mod sarif;
pub mod terminal;

use std::collections::BTreeMap;

use crate::pipeline::Pipeline;

/// Where the reports place what has no file of its own (a gate that passed, a finding about
/// a command rather than a file): the pipeline file, relative to its workspace and
/// `/`-separated, at the line that declares the gate.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    pub pipeline_file: String,
    pub gate_lines: BTreeMap<String, u32>,
    /// The pipeline's name, which prefixes the SARIF `automationDetails.id`.
    pub pipeline: String,
    /// Gate id → the checks of its parts, for a gate whose check reports its parts' findings
    /// (`all-of`): where the declared words of those findings' rules are found.
    pub parts: BTreeMap<String, Vec<&'static str>>,
}

impl Origin {
    pub fn of(p: &Pipeline) -> Origin {
        let pipeline_file = crate::ci::pipeline_rel(p).unwrap_or_else(|_| {
            p.file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        Origin {
            pipeline_file,
            gate_lines: p
                .gates
                .values()
                .map(|g| (g.id.clone(), g.pos.line))
                .collect(),
            pipeline: p.name.clone(),
            parts: p
                .gates
                .values()
                .filter_map(|g| {
                    let parts = g.kind.check()?.parts?;
                    let params = g.kind.params()?;
                    let names = parts(params, p).iter().map(|d| d.name).collect();
                    Some((g.id.clone(), names))
                })
                .collect(),
        }
    }

    /// The declared rule `id` of a finding of gate `gate`, judged by `check`: the check's own,
    /// or one of the gate's parts' ([`Origin::parts`]).
    pub fn rule(&self, gate: &str, check: &str, id: &str) -> Option<&'static crate::checks::Rule> {
        crate::checks::rule(check, id).or_else(|| {
            self.parts
                .get(gate)?
                .iter()
                .find_map(|c| crate::checks::rule(c, id))
        })
    }

    /// The pipeline file and the line declaring `gate` (0 when the gate is not declared).
    pub fn of_gate(&self, gate: &str) -> (&str, u32) {
        (
            &self.pipeline_file,
            self.gate_lines.get(gate).copied().unwrap_or(0),
        )
    }
}

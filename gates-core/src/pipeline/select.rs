//! Narrowing a run to part of the pipeline: `--stage`, `--only`, `--from`.
//!
//! A selection is a set of slices and, within each, the gates to run. Dependencies on
//! slices outside the selection are taken as satisfied (that is how CI runs one stage per
//! job: earlier stages passed in earlier jobs). Flags combine by intersection.

use std::collections::{BTreeSet, HashSet};

use super::model::Pipeline;

#[derive(Clone, Debug, Default)]
pub struct SelectArgs {
    pub stages: Vec<u32>,
    /// Slice ids or gate ids.
    pub only: Vec<String>,
    /// A slice id or gate id: that slice (or the gate's first slice) and all its dependents.
    pub from: Option<String>,
}

/// The selected slices, and for each the gates to run (all of its gates unless `--only`
/// named individual gates).
#[derive(Clone, Debug)]
pub struct Selection {
    pub slices: Vec<(String, Vec<String>)>,
    /// Human description of what was selected, for reports.
    pub description: String,
}

impl Selection {
    pub fn all(p: &Pipeline) -> Selection {
        select(p, &SelectArgs::default()).expect("selecting everything cannot fail")
    }

    pub fn contains_slice(&self, id: &str) -> bool {
        self.slices.iter().any(|(s, _)| s == id)
    }

    pub fn gates_of(&self, slice: &str) -> &[String] {
        self.slices
            .iter()
            .find(|(s, _)| s == slice)
            .map(|(_, g)| g.as_slice())
            .unwrap_or(&[])
    }

    /// Every selected gate once.
    pub fn gate_set(&self) -> BTreeSet<String> {
        self.slices
            .iter()
            .flat_map(|(_, g)| g.iter().cloned())
            .collect()
    }
}

pub fn select(p: &Pipeline, a: &SelectArgs) -> Result<Selection, String> {
    let mut desc = Vec::new();
    let mut slices: Vec<(String, Vec<String>)> = p
        .slices
        .iter()
        .map(|s| (s.id.clone(), s.gates.clone()))
        .collect();

    if !a.stages.is_empty() {
        for n in &a.stages {
            if p.stage(*n).is_none() {
                let known: Vec<String> = p.stages.iter().map(|s| s.number.to_string()).collect();
                return Err(format!("unknown stage {n} (known: {})", known.join(", ")));
            }
        }
        slices.retain(|(id, _)| a.stages.contains(&p.slice(id).expect("slice").stage));
        desc.push(format!(
            "stage {}",
            a.stages
                .iter()
                .map(u32::to_string)
                .collect::<Vec<_>>()
                .join(",")
        ));
    }

    if let Some(from) = &a.from {
        let start = resolve_slice(p, from)?;
        // Forward closure over dependents.
        let mut keep: HashSet<String> = HashSet::from([start.clone()]);
        let mut changed = true;
        while changed {
            changed = false;
            for s in &p.slices {
                if !keep.contains(&s.id) && s.depends_on.iter().any(|d| keep.contains(d)) {
                    keep.insert(s.id.clone());
                    changed = true;
                }
            }
        }
        slices.retain(|(id, _)| keep.contains(id));
        desc.push(format!("from {from}"));
    }

    if !a.only.is_empty() {
        let mut want_slices = HashSet::new();
        let mut want_gates = HashSet::new();
        for id in &a.only {
            if p.slice(id).is_some() {
                want_slices.insert(id.clone());
            } else if let Some(g) = p.gate_named(id) {
                // A gate's id or one of its `aliases` (the packet's name for it).
                want_gates.insert(g.id.clone());
            } else {
                return Err(unknown(p, id));
            }
        }
        slices = slices
            .into_iter()
            .filter_map(|(id, gates)| {
                if want_slices.contains(&id) {
                    Some((id, gates))
                } else {
                    let g: Vec<String> = gates
                        .into_iter()
                        .filter(|g| want_gates.contains(g))
                        .collect();
                    (!g.is_empty()).then_some((id, g))
                }
            })
            .collect();
        desc.push(format!("only {}", a.only.join(",")));
    }

    if slices.is_empty() {
        return Err(format!(
            "the selection ({}) matches no slice",
            desc.join(", ")
        ));
    }
    Ok(Selection {
        slices,
        description: if desc.is_empty() {
            "all stages".into()
        } else {
            desc.join(", ")
        },
    })
}

fn resolve_slice(p: &Pipeline, id: &str) -> Result<String, String> {
    if p.slice(id).is_some() {
        return Ok(id.to_string());
    }
    if p.gates.contains_key(id) {
        return Ok(p
            .slices_of_gate(id)
            .next()
            .expect("validated: every gate has a slice")
            .id
            .clone());
    }
    Err(unknown(p, id))
}

fn unknown(p: &Pipeline, id: &str) -> String {
    let slices: Vec<&str> = p.slices.iter().map(|s| s.id.as_str()).collect();
    let gates: Vec<&str> = p.gates.keys().map(String::as_str).collect();
    format!(
        "unknown slice or gate id `{id}`\n  slices: {}\n  gates: {}",
        slices.join(", "),
        gates.join(", ")
    )
}

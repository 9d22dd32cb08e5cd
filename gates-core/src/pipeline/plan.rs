//! Ordering: slices in topological order, grouped into levels.
//!
//! Level 0 holds the slices with no dependencies; a slice's level is one more than the
//! highest level among its dependencies, so every slice of a level can run in parallel once
//! the earlier levels are green. Ties keep file order, which makes the order deterministic.

use serde::Serialize;

use super::model::Pipeline;

#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    /// Slice ids in topological order (dependencies first, file order among equals).
    pub order: Vec<String>,
    /// `levels[k]` lists the slices at level k.
    pub levels: Vec<Vec<String>>,
    /// Gate ids in the order they first appear along `order`.
    pub gate_order: Vec<String>,
}

impl Plan {
    pub fn new(p: &Pipeline) -> Plan {
        let n = p.slices.len();
        let index = |id: &str| {
            p.slices
                .iter()
                .position(|s| s.id == id)
                .expect("validated reference")
        };
        let mut level = vec![usize::MAX; n];
        // The loader rejected cycles, so repeated relaxation terminates in at most n rounds.
        let mut changed = true;
        while changed {
            changed = false;
            for (i, s) in p.slices.iter().enumerate() {
                let mut l = 0;
                let mut ready = true;
                for d in &s.depends_on {
                    let dl = level[index(d)];
                    if dl == usize::MAX {
                        ready = false;
                        break;
                    }
                    l = l.max(dl + 1);
                }
                if ready && level[i] != l {
                    level[i] = l;
                    changed = true;
                }
            }
        }
        let max = level.iter().copied().max().unwrap_or(0);
        let mut levels = vec![Vec::new(); if n == 0 { 0 } else { max + 1 }];
        for (i, s) in p.slices.iter().enumerate() {
            levels[level[i]].push(s.id.clone());
        }
        let order: Vec<String> = levels.iter().flatten().cloned().collect();
        let mut gate_order = Vec::new();
        for id in &order {
            for g in &p.slice(id).expect("slice").gates {
                if !gate_order.contains(g) {
                    gate_order.push(g.clone());
                }
            }
        }
        Plan {
            order,
            levels,
            gate_order,
        }
    }

    /// Level of a slice.
    pub fn level_of(&self, slice: &str) -> Option<usize> {
        self.levels
            .iter()
            .position(|l| l.iter().any(|s| s == slice))
    }
}

/// Renders the plan as text: one line per level.
pub fn render_text(p: &Pipeline, plan: &Plan) -> String {
    let mut out = String::new();
    for (k, level) in plan.levels.iter().enumerate() {
        out.push_str(&format!("level {k}:\n"));
        for id in level {
            let s = p.slice(id).expect("slice");
            let deps = if s.depends_on.is_empty() {
                "-".to_string()
            } else {
                s.depends_on.join(", ")
            };
            out.push_str(&format!(
                "  {id:<8} stage {}  after {deps:<12} gates: {}\n",
                s.stage,
                s.gates.join(", ")
            ));
        }
    }
    out
}

/// Renders the slice graph in Graphviz dot, clustered by stage.
pub fn render_dot(p: &Pipeline, _plan: &Plan) -> String {
    let mut out = String::from("digraph phase_a {\n  rankdir=LR;\n  node [shape=box];\n");
    for st in &p.stages {
        out.push_str(&format!(
            "  subgraph cluster_stage_{n} {{\n    label=\"Stage {n}: {t}\";\n",
            n = st.number,
            t = st.title.replace('"', "\\\"")
        ));
        for s in p.slices.iter().filter(|s| s.stage == st.number) {
            out.push_str(&format!(
                "    \"{}\" [label=\"{}\\n{}\"];\n",
                s.id,
                s.id,
                s.gates.join("\\n")
            ));
        }
        out.push_str("  }\n");
    }
    for s in &p.slices {
        for d in &s.depends_on {
            out.push_str(&format!("  \"{d}\" -> \"{}\";\n", s.id));
        }
    }
    out.push_str("}\n");
    out
}

/// Renders the plan as JSON: slices with stage, level, dependencies and gates.
pub fn render_json(p: &Pipeline, plan: &Plan) -> String {
    let slices: Vec<_> = plan
        .order
        .iter()
        .map(|id| {
            let s = p.slice(id).expect("slice");
            serde_json::json!({
                "id": s.id,
                "stage": s.stage,
                "level": plan.level_of(id),
                "title": s.title,
                "owner": s.owner,
                "depends_on": s.depends_on,
                "gates": s.gates,
            })
        })
        .collect();
    let gates: Vec<_> = plan
        .gate_order
        .iter()
        .map(|g| {
            let gate = &p.gates[g];
            serde_json::json!({
                "id": g,
                "check": gate.kind.check_name(),
                "command": gate.kind.command().map(|c| &c.argv),
                "timeout_secs": gate.timeout.as_secs(),
                "slices": p.slices_of_gate(g).map(|s| s.id.clone()).collect::<Vec<_>>(),
            })
        })
        .collect();
    let v = serde_json::json!({ "order": plan.order, "levels": plan.levels, "slices": slices, "gates": gates });
    serde_json::to_string_pretty(&v).expect("json") + "\n"
}

/// `cargo xtask list`: stages, their slices, and every gate with what it runs.
pub fn render_list(p: &Pipeline) -> String {
    let mut out = String::new();
    for st in &p.stages {
        out.push_str(&format!("Stage {}: {}\n", st.number, st.title));
        for s in p.slices.iter().filter(|s| s.stage == st.number) {
            out.push_str(&format!("  {:<8} {} (owner: {})\n", s.id, s.title, s.owner));
            for g in &s.gates {
                out.push_str(&format!("           - {g}\n"));
            }
        }
    }
    out.push_str("\nGates:\n");
    for (id, g) in &p.gates {
        let what = match (&g.kind.check_name(), g.kind.command()) {
            (Some(c), None) => format!("check {c}"),
            (None, Some(cmd)) => format!("command {}", cmd.argv.join(" ")),
            (Some(c), Some(cmd)) => format!("command {} judged by check {c}", cmd.argv.join(" ")),
            (None, None) => unreachable!("the loader rejects gates with neither"),
        };
        out.push_str(&format!(
            "  {id:<28} {what}  (timeout {})\n",
            humantime::format_duration(g.timeout)
        ));
        if !g.aliases.is_empty() {
            out.push_str(&format!("  {:<28} also: {}\n", "", g.aliases.join(", ")));
        }
    }
    out
}

//! A pipeline file written from a phase's packet (`cargo xtask init`).
//!
//! - **Slices, owners, dependencies** are the work breakdown's, exactly: every slice, in its
//!   order, with `depends_on`, `depends_on_if_triggered` and `conditional` as written.
//! - **Stages** follow the workflow's runbooks. With a planning slice (a title that says
//!   "planning"): 1 planning, 2 core slices (the conditional one too),
//!   3 review, 4 structural assessment, 5 docs and cleanup, 6 readiness and handoff; without
//!   one (a runbook amended from an earlier phase's): 1 core, 2 review, 3 structural, 4 cleanup,
//!   5 readiness. A slice is never put before a slice it depends on.
//! - **Roles** are read from the titles: "review" (the first), "structural assessment" (or
//!   the review's id + `A`), "cleanup", "readiness"/"realignment", and the conditional slice
//!   (`conditional: true`, or a title saying "conditional" or "decision closure").
//! - **Command gates** are the acceptance gates document's commands, each on its slice,
//!   one gate per distinct command (shared by the slices that list it); the drift-core
//!   baseline goes on the first core slice, the phase exit on the readiness slice.
//! - **Closure gates** with the same ids in every phase: `preflight` and
//!   `workbreakdown-drift` on the first slice, `orchestrator-artifacts` on the first core
//!   slice (the runtime pass's plan and scratchpad come after the planning slice),
//!   `review-closure`,
//!   `structural-closure`, `docs-cleanup` on their slices, `readiness`, `handoff` and
//!   `agent-outputs` on the readiness slice; their documents are named by the workflow's
//!   conventions in `[documents]` (`<review>_REVIEW_DISPOSITION.md`,
//!   `<structural>_STRUCTURAL_DISPOSITION.md`, `<cleanup>_CLEANUP_MANIFEST.md`,
//!   `<readiness>_PHASE_<NEXT>_READINESS.md`, `PHASE_<X>_EXECUTION_REPORT.md`,
//!   `FINAL_PHASE_<X>_HANDOFF.md`, `<conditional>_DISPOSITION.md`): the user edits what
//!   differs.

use super::acceptance::{Acceptance, Target};
use super::workbreakdown::{WbSlice, WorkBreakdown};

/// What `init` found besides the packet, all relative to the target repository except
/// `repo`.
#[derive(Clone, Debug, Default)]
pub struct Input {
    /// `target.repo` as the file will say it.
    pub repo: String,
    /// The runtime pass root.
    pub pass_root: String,
    pub planning_pass_root: Option<String>,
    /// The work breakdown, for `workbreakdown-drift`.
    pub workbreakdown: String,
    /// The acceptance gates document, when there is one (named in a comment).
    pub acceptance_file: Option<String>,
    /// The files of the pass root, when it exists: the conditional slice's scan results
    /// (`<slice>_…SCAN_RESULT.json`) and trigger evidence (`<slice>_TRIGGER_EVIDENCE….md`)
    /// are taken from them.
    pub pass_root_files: Vec<String>,
}

/// The pipeline text and what the user should look at.
#[derive(Clone, Debug, Default)]
pub struct Rendered {
    pub text: String,
    pub notes: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Planning,
    Core,
    Conditional,
    Review,
    Structural,
    Cleanup,
    Readiness,
}

/// The role of every slice, in work-breakdown order.
fn roles(wb: &WorkBreakdown) -> Vec<Role> {
    let lower: Vec<String> = wb
        .slices
        .iter()
        .map(|s| s.title.to_ascii_lowercase())
        .collect();
    let triggered: Vec<&str> = wb
        .slices
        .iter()
        .flat_map(|s| s.depends_on_if_triggered.iter().map(|r| r.id.as_str()))
        .collect();
    let review = lower.iter().position(|t| t.contains("review"));
    let review_id = review.map(|i| wb.slices[i].id.clone());
    wb.slices
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let t = &lower[i];
            if Some(i) == review {
                Role::Review
            } else if t.contains("structural assessment")
                || review_id.as_ref().is_some_and(|r| s.id == format!("{r}A"))
            {
                Role::Structural
            } else if t.contains("cleanup") {
                Role::Cleanup
            } else if t.contains("readiness") || t.contains("realignment") {
                Role::Readiness
            } else if s.conditional
                || triggered.contains(&s.id.as_str())
                || t.contains("conditional")
                || t.contains("decision closure")
            {
                Role::Conditional
            } else if i == 0 && t.contains("planning") {
                Role::Planning
            } else {
                Role::Core
            }
        })
        .collect()
}

/// Renders the pipeline.
pub fn render(wb: &WorkBreakdown, acceptance: Option<&Acceptance>, input: &Input) -> Rendered {
    let roles = roles(wb);
    let planning = roles.contains(&Role::Planning);
    let role_stage = |r: Role| -> u32 {
        let base = match r {
            Role::Planning => 1,
            Role::Core | Role::Conditional => 2,
            Role::Review => 3,
            Role::Structural => 4,
            Role::Cleanup => 5,
            Role::Readiness => 6,
        };
        if planning { base } else { base.max(2) - 1 }
    };
    // Stages, never before a dependency's.
    let mut stages: Vec<u32> = Vec::new();
    for (i, s) in wb.slices.iter().enumerate() {
        let mut st = role_stage(roles[i]);
        for d in s.depends_on.iter().chain(&s.depends_on_if_triggered) {
            if let Some(j) = wb.slices.iter().position(|t| t.id == d.id)
                && j < stages.len()
            {
                st = st.max(stages[j]);
            }
        }
        stages.push(st);
    }
    let find =
        |r: Role| -> Option<&WbSlice> { roles.iter().position(|x| *x == r).map(|i| &wb.slices[i]) };
    let x = &wb.phase;
    let xl = x.to_ascii_lowercase();
    let next = next_phase(x);
    let mut notes = Vec::new();

    // Gates per slice, in order; gate definitions by id.
    let mut slice_gates: Vec<Vec<String>> = vec![Vec::new(); wb.slices.len()];
    let mut defs: Vec<(String, String)> = Vec::new(); // (id, toml body)
    let mut commands: Vec<(String, String)> = Vec::new(); // (command, id)
    let first = 0usize;
    let first_core = roles.iter().position(|r| *r == Role::Core).unwrap_or(first);
    let readiness = roles.iter().position(|r| *r == Role::Readiness);
    let last = readiness.unwrap_or(wb.slices.len() - 1);
    let add = |slice_gates: &mut Vec<Vec<String>>, i: usize, id: &str| {
        if !slice_gates[i].iter().any(|g| g == id) {
            slice_gates[i].push(id.to_string());
        }
    };
    add(&mut slice_gates, first, "preflight");
    add(&mut slice_gates, first, "workbreakdown-drift");
    // The runtime wave's orchestrator plan and scratchpad are written before the first core
    // slice ("no implementation begins until team prep is logged"), after the planning one.
    add(&mut slice_gates, first_core, "orchestrator-artifacts");
    if let Some(a) = acceptance {
        for c in &a.commands {
            let (i, what) = match &c.target {
                Target::Slice(id) => match wb.slices.iter().position(|s| &s.id == id) {
                    Some(i) => (i, id.clone()),
                    None => continue,
                },
                Target::DriftCore => (first_core, "Drift core".to_string()),
                Target::PhaseExit => (last, "Phase exit".to_string()),
            };
            let id = match commands.iter().find(|(cmd, _)| *cmd == c.command) {
                Some((_, id)) => id.clone(),
                None => {
                    let id = unique_id(&command_id(&c.command), &defs);
                    let title = match &c.label {
                        Some(l) => format!("{what} {l}: {}", c.command),
                        None => format!("{what}: {}", c.command),
                    };
                    defs.push((
                        id.clone(),
                        command_gate(&title, &c.command, c.line, c.target == Target::PhaseExit),
                    ));
                    commands.push((c.command.clone(), id.clone()));
                    id
                }
            };
            add(&mut slice_gates, i, &id);
        }
        for (line, cmd) in &a.unplaced {
            notes.push(format!(
                "line {line} of the acceptance gates lists `{cmd}` outside any slice, exit or drift-core section: not placed"
            ));
        }
    } else {
        notes.push(
            "no acceptance gates document: the pipeline has no command gates (add them by hand)"
                .into(),
        );
    }
    let review = find(Role::Review);
    let structural = find(Role::Structural);
    let cleanup = find(Role::Cleanup);
    let ready = find(Role::Readiness);
    let conditional = find(Role::Conditional);
    let index = |s: &WbSlice| wb.slices.iter().position(|t| t.id == s.id).unwrap_or(0);
    if let Some(s) = review {
        add(&mut slice_gates, index(s), "review-closure");
    }
    if let Some(s) = structural {
        add(&mut slice_gates, index(s), "structural-closure");
    }
    if let Some(s) = cleanup {
        add(&mut slice_gates, index(s), "docs-cleanup");
    }
    if let Some(s) = ready {
        add(&mut slice_gates, index(s), "readiness");
    }
    add(&mut slice_gates, last, "handoff");
    add(&mut slice_gates, last, "agent-outputs");
    for (what, found) in [
        ("review", review),
        ("structural assessment", structural),
        ("docs and cleanup", cleanup),
        ("readiness", ready),
    ] {
        if found.is_none() {
            notes.push(format!(
                "no slice's title names the {what}: its closure gate is left out"
            ));
        }
    }
    for (i, g) in slice_gates.iter_mut().enumerate() {
        if g.is_empty() {
            g.push("workbreakdown-drift".into());
            notes.push(format!(
                "slice {} has no gate command in the acceptance gates: it carries only workbreakdown-drift",
                wb.slices[i].id
            ));
        }
    }

    let mut t = String::new();
    t.push_str(&format!(
        "# Phase {x} of the workflow as a pipeline, written by `cargo xtask init` from the phase's packet:\n"
    ));
    t.push_str(&format!(
        "# slices, owners and dependencies from {}{}.\n",
        input.workbreakdown,
        match &input.acceptance_file {
            Some(a) => format!(", gate commands from {a}"),
            None => String::new(),
        }
    ));
    t.push_str(
        "# Closure documents follow the workflow's naming conventions: edit what differs.\n",
    );
    t.push_str(
        "# Run it with `cargo xtask run --pipeline FILE --repo DIR`; `workbreakdown-drift` keeps\n",
    );
    t.push_str("# the slices and dependencies equal to the work breakdown.\n\n");
    t.push_str(&format!(
        "[pipeline]\nname = {}\n\n",
        q(&format!("phase-{xl}"))
    ));
    t.push_str(&format!("[phase]\nid = {}\n", q(x)));
    if let Some(n) = &next {
        t.push_str(&format!("next = {}\n", q(n)));
    }
    t.push('\n');
    t.push_str("[documents]\n");
    t.push_str(&format!(
        "report = {}\nhandoff = {}\n",
        q(&format!("PHASE_{x}_EXECUTION_REPORT.md")),
        q(&format!("FINAL_PHASE_{x}_HANDOFF.md"))
    ));
    let role_line = |key: &str, s: &WbSlice, file: String| {
        format!("{key} = {{ slice = {}, file = {} }}\n", q(&s.id), q(&file))
    };
    if let Some(s) = review {
        t.push_str(&role_line(
            "review",
            s,
            format!("{}_REVIEW_DISPOSITION.md", s.id),
        ));
    }
    if let Some(s) = structural {
        t.push_str(&role_line(
            "structural",
            s,
            format!("{}_STRUCTURAL_DISPOSITION.md", s.id),
        ));
    }
    if let Some(s) = cleanup {
        t.push_str(&role_line(
            "cleanup",
            s,
            format!("{}_CLEANUP_MANIFEST.md", s.id),
        ));
    }
    if let Some(s) = ready {
        let file = match &next {
            Some(n) => format!("{}_PHASE_{n}_READINESS.md", s.id),
            None => format!("{}_NEXT_PHASE_READINESS.md", s.id),
        };
        t.push_str(&role_line("readiness", s, file));
    }
    if let Some(s) = conditional {
        let prefix = format!("{}_", s.id);
        let scan: Vec<String> = input
            .pass_root_files
            .iter()
            .filter(|f| f.starts_with(&prefix) && f.ends_with("SCAN_RESULT.json"))
            .cloned()
            .collect();
        let mut evidence: Vec<String> = input
            .pass_root_files
            .iter()
            .filter(|f| f.starts_with(&format!("{prefix}TRIGGER_EVIDENCE")) && f.ends_with(".md"))
            .cloned()
            .collect();
        if evidence.is_empty() {
            evidence.push(format!("{prefix}TRIGGER_EVIDENCE.md"));
        }
        t.push_str(&format!(
            "conditional = {{ slice = {}, file = {}, scan = {}, trigger_evidence = {} }}\n",
            q(&s.id),
            q(&format!("{}_DISPOSITION.md", s.id)),
            list(&scan),
            list(&evidence)
        ));
    }
    t.push('\n');
    t.push_str("[target]\n");
    t.push_str(&format!("repo = {}\n", q(&input.repo)));
    t.push_str(&format!("pass_root = {}\n", q(&input.pass_root)));
    if let Some(p) = &input.planning_pass_root {
        t.push_str(&format!("planning_pass_root = {}\n", q(p)));
    }
    t.push_str("\n[defaults]\ntimeout = \"10m\"\n\n");

    let stage_title = |n: u32| -> &'static str {
        match (planning, n) {
            (true, 1) => "Planning packet",
            (true, 2) | (false, 1) => "Core slices",
            (true, 3) | (false, 2) => "Independent review and fix closure",
            (true, 4) | (false, 3) => "Structural assessment",
            (true, 5) | (false, 4) => "Docs and cleanup",
            _ => "Readiness, report and handoff",
        }
    };
    let mut used: Vec<u32> = stages.clone();
    used.sort_unstable();
    used.dedup();
    for n in &used {
        t.push_str(&format!(
            "[[stage]]\nnumber = {n}\ntitle = {}\n\n",
            q(stage_title(*n))
        ));
    }
    for (i, s) in wb.slices.iter().enumerate() {
        t.push_str("[[slice]]\n");
        t.push_str(&format!("id = {}\n", q(&s.id)));
        t.push_str(&format!("stage = {}\n", stages[i]));
        t.push_str(&format!("title = {}\n", q(&s.title)));
        t.push_str(&format!("owner = {}\n", q(&s.owner)));
        let deps: Vec<String> = s.depends_on.iter().map(|d| d.id.clone()).collect();
        t.push_str(&format!("depends_on = {}\n", list(&deps)));
        if !s.depends_on_if_triggered.is_empty() {
            let deps: Vec<String> = s
                .depends_on_if_triggered
                .iter()
                .map(|d| d.id.clone())
                .collect();
            t.push_str(&format!("depends_on_if_triggered = {}\n", list(&deps)));
        }
        if s.conditional {
            t.push_str("conditional = true\n");
        }
        t.push_str(&format!("gates = {}\n\n", list(&slice_gates[i])));
    }

    t.push_str("# ---- closure gates: the same ids in every phase ----\n\n");
    t.push_str("[gate.preflight]\ntitle = \"clean git state\"\ncheck = \"preflight\"\n# For a branch to pin: params = { branch = \"...\", parent_branch = \"...\" }\nparams = {}\n\n");
    t.push_str("[gate.orchestrator-artifacts]\ntitle = \"orchestrator plan and scratchpad written\"\ncheck = \"orchestrator-artifacts\"\n\n");
    t.push_str(&format!(
        "[gate.workbreakdown-drift]\ntitle = \"the slices and dependencies are the work breakdown's\"\ncheck = \"workbreakdown-drift\"\nparams = {{ workbreakdown = {} }}\n\n",
        q(&input.workbreakdown)
    ));
    if let Some(s) = review {
        t.push_str(&format!(
            "[gate.review-closure]\ntitle = {}\ncheck = \"closure\"\nparams = {{ kind = \"review\" }}\n\n",
            q(&format!("{} review disposition closed", s.id))
        ));
    }
    if let Some(s) = structural {
        t.push_str(&format!(
            "[gate.structural-closure]\ntitle = {}\ncheck = \"closure\"\n# The structural record: the assessment agents' output and the slice's own documents (not\n# every AGENT_*STRUCTURAL*: an implementation slice's structural gates are not the assessment).\nparams = {{ kind = \"structural\", record = [\"AGENT_*STRUCTURAL_ASSESSMENT*.md\", {}] }}\n\n",
            q(&format!("{} structural assessment closed", s.id)),
            q(&format!("{}_*.md", s.id))
        ));
    }
    if let Some(s) = cleanup {
        t.push_str(&format!(
            "[gate.docs-cleanup]\ntitle = {}\ncheck = \"docs-cleanup\"\nparams = {{ archive_dir = \"_archive\", canonical_docs = [\"docs\"] }}\n\n",
            q(&format!("{} cleanup manifest agrees with the tree", s.id))
        ));
    }
    if let Some(s) = ready {
        t.push_str(&format!(
            "[gate.readiness]\ntitle = {}\ncheck = \"readiness\"\n\n",
            q(&format!("{} readiness posture is consistent", s.id))
        ));
    }
    t.push_str("[gate.handoff]\ntitle = \"report and handoff agree with the last run\"\ncheck = \"handoff\"\n\n");
    t.push_str("[gate.agent-outputs]\ntitle = \"agent final outputs complete, evidence resolves\"\ncheck = \"agent-outputs\"\n");
    if !defs.is_empty() {
        t.push_str("\n# ---- the acceptance gates document's commands ----\n");
        for (id, body) in &defs {
            t.push_str(&format!("\n[gate.{id}]\n{body}"));
        }
    }
    Rendered { text: t, notes }
}

/// The phase after `x` (`B` → `C`), for a one-letter phase before `Z`.
fn next_phase(x: &str) -> Option<String> {
    let mut chars = x.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if c.is_ascii_uppercase() && c != 'Z' => {
            Some(char::from(c as u8 + 1).to_string())
        }
        _ => None,
    }
}

/// A command gate's body: title, argv (through `sh -c` when the command uses the shell), the
/// install step its scripts need, and for the phase exit (which chains every slice's full
/// suite) a longer timeout than the default.
fn command_gate(title: &str, command: &str, line: u32, exit: bool) -> String {
    let argv: Vec<String> =
        if command.contains(['&', '|', ';', '>', '<', '$', '`', '"', '\'', '(', '*']) {
            vec!["sh".into(), "-c".into(), command.into()]
        } else {
            command.split_whitespace().map(str::to_string).collect()
        };
    format!(
        "# acceptance gates, line {line}\ntitle = {}\ncommand = {}\nsetup = {{ command = [\"{{install}}\"], unless_exists = \"{{installed}}\" }}\n{}",
        q(title),
        list(&argv),
        if exit { "timeout = \"45m\"\n" } else { "" }
    )
}

/// A gate id for a command: the script of `bun run SCRIPT` (and npm, pnpm, yarn), else the
/// command's words, with paths reduced to their file's stem.
pub fn command_id(command: &str) -> String {
    let words: Vec<&str> = command.split_whitespace().collect();
    let rest: Vec<&str> = match words.as_slice() {
        ["bun" | "npm" | "pnpm" | "yarn", "run", script, ..] => vec![script],
        [_, rest @ ..] if !rest.is_empty() => rest.to_vec(),
        _ => words.clone(),
    };
    let mut parts: Vec<String> = Vec::new();
    for w in rest {
        let w = if w.contains('/') && !w.starts_with('-') {
            let name = w.rsplit('/').next().unwrap_or(w);
            let stem = name
                .strip_suffix(".ts")
                .or_else(|| name.strip_suffix(".mjs"))
                .or_else(|| name.strip_suffix(".js"))
                .or_else(|| name.strip_suffix(".tsx"))
                .unwrap_or(name);
            stem.to_string()
        } else {
            w.to_string()
        };
        parts.push(w);
    }
    let mut id = String::new();
    for c in parts.join("-").chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() {
            id.push(c);
        } else if !id.ends_with('-') {
            id.push('-');
        }
    }
    let id = id.trim_matches('-').to_string();
    if id.is_empty() { "command".into() } else { id }
}

const RESERVED: &[&str] = &[
    "preflight",
    "orchestrator-artifacts",
    "workbreakdown-drift",
    "review-closure",
    "structural-closure",
    "docs-cleanup",
    "readiness",
    "handoff",
    "agent-outputs",
];

fn unique_id(base: &str, defs: &[(String, String)]) -> String {
    let taken = |id: &str| RESERVED.contains(&id) || defs.iter().any(|(d, _)| d == id);
    if !taken(base) {
        return base.to_string();
    }
    (2..)
        .map(|n| format!("{base}-{n}"))
        .find(|id| !taken(id))
        .unwrap_or_default()
}

/// A TOML basic string.
fn q(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn list(items: &[String]) -> String {
    let inner: Vec<String> = items.iter().map(|s| q(s)).collect();
    format!("[{}]", inner.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gate_ids_from_commands() {
        assert_eq!(command_id("bun run phase-q:q1:quick"), "phase-q-q1-quick");
        assert_eq!(
            command_id("bunx vitest run --project server apps/server/test/rawr.test.ts"),
            "vitest-run-project-server-rawr-test"
        );
        assert_eq!(
            command_id("bun scripts/phase-p/manifest-smoke.mjs --mode=completion"),
            "manifest-smoke-mode-completion"
        );
        assert_eq!(next_phase("B").as_deref(), Some("C"));
        assert_eq!(next_phase("Z"), None);
        assert_eq!(q("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}

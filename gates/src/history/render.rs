//! The history matrix as text (terminal), markdown (a GitHub step summary) and JSON (the
//! shape documented in docs/history.md).

use super::{Cell, History, Transition, checkout::short};
use crate::record::Status;
use crate::report::github_summary::md_cell;

/// The errors of a cell (the findings that fail a gate; warnings and notes do not count).
fn errors(cell: &Cell) -> usize {
    cell.findings
        .iter()
        .filter(|f| f.severity == crate::finding::Severity::Error)
        .count()
}

/// A cell as text: the status word, and the number of errors when there are any.
pub fn cell_text(cell: Option<&Cell>) -> String {
    let Some(cell) = cell else {
        return "-".into();
    };
    let word = match cell.status {
        Status::Passed => "pass",
        Status::Failed => "fail",
        Status::Skipped => "skip",
        Status::TimedOut => "timeout",
        Status::Errored => "error",
    };
    let n = errors(cell);
    if n > 0 {
        format!("{word}({n})")
    } else {
        word.into()
    }
}

fn cell_md(cell: Option<&Cell>) -> String {
    let Some(cell) = cell else {
        return "–".into();
    };
    let mark = match cell.status {
        Status::Passed => "✅",
        Status::Failed => "❌",
        Status::Skipped => "⏭️",
        Status::TimedOut => "⏱️",
        Status::Errored => "⚠️",
    };
    let n = errors(cell);
    if n > 0 {
        format!("{mark} {n}")
    } else {
        mark.into()
    }
}

/// Where a gate turned green: at the first commit shown it was already green, which says
/// nothing of when it turned.
fn first_green_text(t: &Transition, h: &History) -> Option<String> {
    let c = t.first_green.as_deref()?;
    Some(if h.commits.first().is_some_and(|f| f.sha == c) {
        format!("green from the first commit shown, {}", short(c))
    } else {
        format!("first green {}", short(c))
    })
}

fn transition_text(t: &Transition, h: &History) -> String {
    let mut s = first_green_text(t, h).unwrap_or_else(|| "never green".into());
    if !t.red_again.is_empty() {
        let reds: Vec<&str> = t.red_again.iter().map(|c| short(c)).collect();
        s.push_str(&format!(", red again {}", reds.join(" ")));
    }
    s
}

fn heading(h: &History) -> String {
    let kind = if h.selection == "static" {
        " static"
    } else {
        ""
    };
    format!(
        "{} commit{} × {}{kind} gate{}",
        h.commits.len(),
        if h.commits.len() == 1 { "" } else { "s" },
        h.gates.len(),
        if h.gates.len() == 1 { "" } else { "s" },
    )
}

fn first_line(s: &str, max: usize) -> String {
    let s = s.lines().next().unwrap_or_default();
    if s.chars().count() <= max {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(max - 1).collect();
        t.push('…');
        t
    }
}

/// The matrix for a terminal: one row per gate, one column per commit, then each gate's
/// transitions and the commits' subjects.
pub fn text(h: &History) -> String {
    let mut out = format!("{}\n\n", heading(h));
    let gate_w = h
        .gates
        .iter()
        .map(|g| g.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let widths: Vec<usize> = h
        .commits
        .iter()
        .map(|c| {
            h.gates
                .iter()
                .map(|g| cell_text(c.cell(g)).chars().count())
                .max()
                .unwrap_or(0)
                .max(short(&c.sha).len())
        })
        .collect();
    let mut line = format!("{:gate_w$}", "gate");
    for (c, w) in h.commits.iter().zip(&widths) {
        line.push_str(&format!("  {:w$}", short(&c.sha)));
    }
    out.push_str(line.trim_end());
    out.push('\n');
    for g in &h.gates {
        let mut line = format!("{g:gate_w$}");
        for (c, w) in h.commits.iter().zip(&widths) {
            line.push_str(&format!("  {:w$}", cell_text(c.cell(g))));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out.push_str("\n(n) = errors the gate reported (warnings and notes: --format json)\n\n");
    for t in &h.transitions {
        out.push_str(&format!("{:gate_w$}  {}\n", t.gate, transition_text(t, h)));
    }
    out.push('\n');
    for c in &h.commits {
        out.push_str(&format!(
            "{}  {}",
            short(&c.sha),
            first_line(&c.subject, 72)
        ));
        if let Some(e) = &c.error {
            out.push_str(&format!("  [not judged: {}]", first_line(e, 200)));
        }
        out.push('\n');
    }
    if h.interrupted {
        out.push_str("\ninterrupted: commits not finished are left out\n");
    }
    out
}

/// The matrix as a GitHub step summary: one table (gates × commits, then first green and red
/// again), a legend, and the commits' subjects in a collapsed list.
pub fn markdown(h: &History) -> String {
    let mut out = format!("### Gate history: {}\n\n", heading(h));
    out.push_str("| gate |");
    for c in &h.commits {
        out.push_str(&format!(" `{}` |", short(&c.sha)));
    }
    out.push_str(" first green | red again |\n| --- |");
    for _ in &h.commits {
        out.push_str(" :---: |");
    }
    out.push_str(" --- | --- |\n");
    for (g, t) in h.gates.iter().zip(&h.transitions) {
        out.push_str(&format!("| `{g}` |"));
        for c in &h.commits {
            out.push_str(&format!(" {} |", cell_md(c.cell(g))));
        }
        let first = t
            .first_green
            .as_deref()
            .map(|c| {
                if h.commits.first().is_some_and(|f| f.sha == c) {
                    format!("from the start (`{}`)", short(c))
                } else {
                    format!("`{}`", short(c))
                }
            })
            .unwrap_or_else(|| "never".into());
        let reds: Vec<String> = t
            .red_again
            .iter()
            .map(|c| format!("`{}`", short(c)))
            .collect();
        out.push_str(&format!(" {first} | {} |\n", reds.join(" ")));
    }
    out.push_str(
        "\n✅ passed · ❌ failed · ⚠️ could not judge · ⏱️ timed out · ⏭️ skipped; a number counts the gate's errors (warnings and notes: `--format json`).\n",
    );
    if h.interrupted {
        out.push_str("\n**Interrupted**: commits not finished are left out.\n");
    }
    out.push_str("\n<details><summary>Commits</summary>\n\n| commit | subject |\n| --- | --- |\n");
    for c in &h.commits {
        let mut subject = md_cell(&first_line(&c.subject, 120));
        if let Some(e) = &c.error {
            subject.push_str(&format!(" — not judged: {}", md_cell(&first_line(e, 200))));
        }
        out.push_str(&format!("| `{}` | {subject} |\n", short(&c.sha)));
    }
    out.push_str("\n</details>\n");
    out
}

/// The whole history as JSON (see docs/history.md).
pub fn json(h: &History) -> String {
    let mut s = serde_json::to_string_pretty(h).expect("the history serializes");
    s.push('\n');
    s
}

/// One commit's findings of one gate, one line each, for the bisect report.
pub fn finding_line(f: &crate::finding::Finding) -> String {
    let place = match &f.path {
        Some(p) if f.line > 0 => format!("{p}:{}:{}", f.line, f.col),
        Some(p) => p.clone(),
        None => "-".into(),
    };
    format!(
        "{place}: {} [{}] {}",
        f.severity.as_str(),
        f.rule,
        first_line(&f.message, 300)
    )
}

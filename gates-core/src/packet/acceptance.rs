//! `PHASE_<X>_ACCEPTANCE_GATES.md`: the gate commands of each slice, as the phase packet
//! lists them.
//!
//! The document is people's markdown. What is read:
//!
//! - a heading names the slices it is about by their ids (`### Q1`, `### Q1 (Storage)`,
//!   `## Mandatory Review Gate (Q5)`, `### Q5/Q5A/Q6 Closure Gates`); a heading with no
//!   slice id that speaks of the phase's exit (`## Phase Exit Gate`) or of the drift core
//!   (`### Drift Core`, `## Drift-Core Baseline`) is that; a deeper heading without either
//!   belongs to the one above it;
//! - a line ending in `:` with no code in it (`Quick:`, `- Full:`, `Assess:`,
//!   `Mandatory before Q5:`) labels the commands after it, up to the next label or heading;
//! - a list item (`-`, `*`, `+`, `1.`) that opens with a code span whose first word is a
//!   program (`bun`, `bunx`, `npm`, `npx`, `pnpm`, `yarn`, `node`...) is a gate command:
//!   `` - `bun run phase-q:q1:quick` ``, `` 6. `bun run phase-q:gates:exit` green on the
//!   final branch ``. A code span that is not a command (`` `Q4_DISPOSITION.md` records ``)
//!   and code blocks (the planned `package.json` additions) are not read.
//!
//! Under a heading that names several slices, a command goes to the slice its script names
//! (`phase-q:gate:q5a-structural-closure` → `Q5A`), else to the first slice of the heading.

/// What a command is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A slice's gate command.
    Slice(String),
    /// The phase exit gate.
    PhaseExit,
    /// The drift-core baseline every slice's quick run repeats.
    DriftCore,
}

/// One gate command of the document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GateCommand {
    /// The command as written in its code span.
    pub command: String,
    /// The label it is listed under (`Quick`, `Full`, `Assess`...), if any.
    pub label: Option<String>,
    pub target: Target,
    /// 1-based line of the list item.
    pub line: u32,
}

/// Commands the document lists outside any slice, exit or drift-core section: not placed,
/// but reported so the user can place them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Acceptance {
    pub commands: Vec<GateCommand>,
    pub unplaced: Vec<(u32, String)>,
}

/// The programs a gate command may start with.
const PROGRAMS: &[&str] = &[
    "bun", "bunx", "npm", "npx", "pnpm", "yarn", "node", "deno", "tsx", "vitest", "turbo", "cargo",
    "make", "sh", "bash", "python", "python3", "go",
];

#[derive(Clone, Debug, PartialEq, Eq)]
enum Section {
    Slices(Vec<String>),
    PhaseExit,
    DriftCore,
    Other,
}

/// Reads the commands of `text`; `slice_ids` are the phase's slices (from its work
/// breakdown), the words a heading is matched against.
pub fn parse(text: &str, slice_ids: &[String]) -> Acceptance {
    let mut out = Acceptance::default();
    // (level, section) of the open headings.
    let mut headings: Vec<(usize, Section)> = Vec::new();
    let mut label: Option<String> = None;
    let mut fence: Option<&str> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = u32::try_from(i + 1).unwrap_or(u32::MAX);
        let trimmed = raw.trim_start();
        let indent = raw.len() - trimmed.len();
        if let Some(f) = fence {
            if indent <= 3 && trimmed.starts_with(f) {
                fence = None;
            }
            continue;
        }
        if indent <= 3 && (trimmed.starts_with("```") || trimmed.starts_with("~~~")) {
            fence = Some(&trimmed[..3]);
            continue;
        }
        if indent <= 3
            && let Some((level, title)) = heading(trimmed)
        {
            headings.retain(|(l, _)| *l < level);
            headings.push((level, classify(title, slice_ids)));
            label = None;
            continue;
        }
        let item = list_item(trimmed);
        let body = item.unwrap_or(trimmed).trim();
        if body.ends_with(':') && !body.contains('`') && !body.is_empty() {
            let l = body.trim_end_matches(':').trim();
            if !l.is_empty() {
                label = Some(l.to_string());
            }
            continue;
        }
        let Some(body) = item else { continue };
        let Some(command) = leading_command(body) else {
            continue;
        };
        let section = headings
            .iter()
            .rev()
            .map(|(_, s)| s)
            .find(|s| **s != Section::Other)
            .cloned()
            .unwrap_or(Section::Other);
        let target = match section {
            Section::Slices(ids) => Target::Slice(slice_of(&command, &ids)),
            Section::PhaseExit => Target::PhaseExit,
            Section::DriftCore => Target::DriftCore,
            Section::Other => {
                out.unplaced.push((line, command));
                continue;
            }
        };
        out.commands.push(GateCommand {
            command,
            label: label.clone(),
            target,
            line,
        });
    }
    out
}

/// `### Title` → (3, "Title").
fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.bytes().take_while(|&b| b == b'#').count();
    if level == 0 || level > 6 {
        return None;
    }
    let rest = &line[level..];
    if !(rest.is_empty() || rest.starts_with(' ') || rest.starts_with('\t')) {
        return None;
    }
    Some((level, rest.trim().trim_end_matches('#').trim()))
}

/// The text of a list item (`- x`, `* x`, `+ x`, `12. x`, `3) x`), or `None`.
fn list_item(line: &str) -> Option<&str> {
    let after = if let Some(r) = line
        .strip_prefix("- ")
        .or_else(|| line.strip_prefix("* "))
        .or_else(|| line.strip_prefix("+ "))
    {
        r
    } else {
        let digits = line.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        let rest = &line[digits..];
        rest.strip_prefix(". ")
            .or_else(|| rest.strip_prefix(") "))?
    };
    Some(after.trim_start())
}

/// The command a list item opens with: its first code span, when that starts with a program.
fn leading_command(body: &str) -> Option<String> {
    let ticks = body.bytes().take_while(|&b| b == b'`').count();
    if ticks == 0 {
        return None;
    }
    let fence = &body[..ticks];
    let rest = &body[ticks..];
    let end = rest.find(fence)?;
    let code = rest[..end].trim();
    let first = code.split_whitespace().next()?;
    PROGRAMS.contains(&first).then(|| code.to_string())
}

/// What a heading is about.
fn classify(title: &str, slice_ids: &[String]) -> Section {
    let words: Vec<&str> = title
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '-' || c == '_'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut named: Vec<String> = Vec::new();
    for w in &words {
        if let Some(id) = slice_ids.iter().find(|id| id.as_str() == *w)
            && !named.contains(id)
        {
            named.push(id.clone());
        }
    }
    if !named.is_empty() {
        return Section::Slices(named);
    }
    let lower = title.to_ascii_lowercase();
    if lower.contains("exit") {
        Section::PhaseExit
    } else if lower.contains("drift") && lower.contains("core") {
        Section::DriftCore
    } else {
        Section::Other
    }
}

/// The slice of `ids` the command's words name (`phase-q:gate:q5a-review` names `Q5A`),
/// else the first.
fn slice_of(command: &str, ids: &[String]) -> String {
    let words: Vec<String> = command
        .split(|c: char| !c.is_ascii_alphanumeric())
        .map(str::to_ascii_lowercase)
        .collect();
    ids.iter()
        .find(|id| words.iter().any(|w| *w == id.to_ascii_lowercase()))
        .unwrap_or(&ids[0])
        .clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn commands_go_to_the_slices_their_headings_name() {
        let md = "# Phase Q Gates\n\n## Drift-Core Baseline\n- `bun run phase-p:gate:core`\n\n## Slice Gate Matrix\n\n### Q1 (Storage)\nQuick:\n- `bun run phase-q:q1:quick`\n\nFull:\n- `bunx vitest run --project server a.test.ts`\n\nRequired outcomes:\n1. `Q4_DISPOSITION.md` records a state.\n\n### Q5/Q5A Closure Gates\n- `bun run phase-q:gate:q5a-structural`\n- `bun run phase-q:gate:q5-review`\n\n```json\n{\"x\": \"bun run nope\"}\n- `bun run nope`\n```\n\n## Phase Exit Gate\n1. `Q1..Q3` accepted in order.\n2. `bun run phase-q:gates:exit` green on the final branch.\n\n## Notes\n- `bun run stray`\n";
        let a = parse(md, &ids(&["Q0", "Q1", "Q5", "Q5A"]));
        let got: Vec<(&str, Option<&str>, &Target, u32)> = a
            .commands
            .iter()
            .map(|c| (c.command.as_str(), c.label.as_deref(), &c.target, c.line))
            .collect();
        assert_eq!(
            got,
            vec![
                ("bun run phase-p:gate:core", None, &Target::DriftCore, 4),
                (
                    "bun run phase-q:q1:quick",
                    Some("Quick"),
                    &Target::Slice("Q1".into()),
                    10
                ),
                (
                    "bunx vitest run --project server a.test.ts",
                    Some("Full"),
                    &Target::Slice("Q1".into()),
                    13
                ),
                (
                    "bun run phase-q:gate:q5a-structural",
                    None,
                    &Target::Slice("Q5A".into()),
                    19
                ),
                (
                    "bun run phase-q:gate:q5-review",
                    None,
                    &Target::Slice("Q5".into()),
                    20
                ),
                ("bun run phase-q:gates:exit", None, &Target::PhaseExit, 29),
            ]
        );
        assert_eq!(a.unplaced, vec![(32, "bun run stray".to_string())]);
    }

    #[test]
    fn nested_bullets_with_labels_and_sub_headings() {
        let md = "### Q4\n- Assess:\n  - `bun run phase-q:gate:q4-assess`\n- Disposition:\n  - `bun run phase-q:gate:q4-disposition` is mandatory\n#### Details\n- `bun run phase-q:q4:extra`\n";
        let a = parse(md, &ids(&["Q4"]));
        let labels: Vec<_> = a
            .commands
            .iter()
            .map(|c| (c.label.as_deref(), c.target.clone()))
            .collect();
        assert_eq!(
            labels,
            vec![
                (Some("Assess"), Target::Slice("Q4".into())),
                (Some("Disposition"), Target::Slice("Q4".into())),
                (None, Target::Slice("Q4".into())),
            ]
        );
    }
}

//! `PHASE_<X>_WORKBREAKDOWN.yaml`: the phase's slices, their owners and dependencies, as
//! the phase packet writes them.
//!
//! The shape read (every other key is the packet's own business and is left alone):
//!
//! ```yaml
//! phase: Q
//! slices:
//!   - id: Q0
//!     title: Planning packet
//!     owner: '@team-planning'
//!     depends_on: []
//!   - id: Q3
//!     title: Conditional decision
//!     depends_on: [Q1, Q2]
//!     conditional: true
//!   - id: Q4
//!     depends_on: [Q2]
//!     depends_on_if_triggered: [Q3]
//! ```
//!
//! `depends_on` may be a flow list, a block list, a single id or empty. Every dependency
//! keeps the line and column it is written at, so a finding can point at it.

use std::path::Path;

use super::yaml::{self, Node, Pos, Value};
use crate::error::LoadError;

#[derive(Clone, Debug, PartialEq)]
pub struct WorkBreakdown {
    /// The phase's id (`phase:`; when absent, the `<X>` of the file name).
    pub phase: String,
    /// In file order.
    pub slices: Vec<WbSlice>,
}

/// A slice id as a dependency names it, and where.
#[derive(Clone, Debug, PartialEq)]
pub struct Ref {
    pub id: String,
    pub pos: Pos,
}

#[derive(Clone, Debug, PartialEq)]
pub struct WbSlice {
    pub id: String,
    /// Where the slice's `id` is written.
    pub pos: Pos,
    /// The slice's title (its id when the file gives none).
    pub title: String,
    /// Empty when the file names no owner.
    pub owner: String,
    pub depends_on: Vec<Ref>,
    /// The dependencies that hold only when the (conditional) slice they name was triggered.
    pub depends_on_if_triggered: Vec<Ref>,
    /// `conditional: true`: the slice runs only when its trigger scan says so.
    pub conditional: bool,
}

impl WorkBreakdown {
    pub fn slice(&self, id: &str) -> Option<&WbSlice> {
        self.slices.iter().find(|s| s.id == id)
    }
}

/// Reads and parses the work breakdown at `path`; `display` names it in errors.
pub fn read(path: &Path, display: &str) -> Result<WorkBreakdown, LoadError> {
    let bytes = crate::fs::careful::read(path).map_err(|e| LoadError {
        file: display.to_string(),
        line: 0,
        col: 0,
        message: format!("cannot read the work breakdown: {e}"),
        snippet: String::new(),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
        let idx = crate::text::LineIndex::new(&text);
        let (line, col) = idx.line_col(&text, e.utf8_error().valid_up_to());
        LoadError {
            file: display.to_string(),
            line,
            col,
            message: "the work breakdown is not valid UTF-8".into(),
            snippet: String::new(),
        }
    })?;
    parse(&text, display)
}

/// Parses work-breakdown text; `file` names it in errors (and gives the phase when the text
/// has no `phase:`).
pub fn parse(text: &str, file: &str) -> Result<WorkBreakdown, LoadError> {
    let err = |pos: Pos, message: String| {
        let snippet = text
            .lines()
            .nth(pos.line.saturating_sub(1) as usize)
            .unwrap_or("")
            .trim()
            .to_string();
        LoadError {
            file: file.to_string(),
            line: pos.line,
            col: pos.col,
            message,
            snippet,
        }
    };
    let root = yaml::parse(text)
        .map_err(|e| err(e.pos, format!("invalid YAML: {}", e.message)))?
        .ok_or_else(|| {
            err(
                Pos { line: 1, col: 1 },
                "the work breakdown is empty".into(),
            )
        })?;
    if !matches!(root.value, Value::Map(_)) {
        return Err(err(
            root.pos,
            format!(
                "the work breakdown is {}; expected a mapping with `phase` and `slices`",
                root.kind()
            ),
        ));
    }
    let phase = match root.get("phase") {
        Some(p) => match p.as_str() {
            Some(s) if !s.trim().is_empty() => s.trim().to_string(),
            _ => {
                return Err(err(
                    p.pos,
                    "`phase` must be the phase's id, e.g. `F`".into(),
                ));
            }
        },
        None => phase_of_file_name(file).ok_or_else(|| {
            err(
                root.pos,
                "no `phase:` key, and the file name is not PHASE_<X>_WORKBREAKDOWN.yaml".into(),
            )
        })?,
    };
    let slices_node = root
        .get("slices")
        .ok_or_else(|| err(root.pos, "no `slices:` list".into()))?;
    let items = slices_node.as_seq().ok_or_else(|| {
        err(
            slices_node.pos,
            format!("`slices` is {}; expected a list", slices_node.kind()),
        )
    })?;
    let mut slices: Vec<WbSlice> = Vec::new();
    for item in items {
        if !matches!(item.value, Value::Map(_)) {
            return Err(err(
                item.pos,
                format!(
                    "a slice is {}; expected a mapping with `id`, `title`, `owner`, `depends_on`",
                    item.kind()
                ),
            ));
        }
        let id_node = item
            .get("id")
            .ok_or_else(|| err(item.pos, "a slice without `id`".into()))?;
        let id = scalar(id_node, "id").map_err(|m| err(id_node.pos, m))?;
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(err(
                id_node.pos,
                format!("slice id {id:?} must be letters, digits and `-`"),
            ));
        }
        if let Some(prev) = slices.iter().find(|s| s.id == id) {
            return Err(err(
                id_node.pos,
                format!(
                    "duplicate slice id `{id}` (first at line {}, column {})",
                    prev.pos.line, prev.pos.col
                ),
            ));
        }
        let text_of = |key: &str| -> Result<Option<String>, LoadError> {
            match item.get(key) {
                None => Ok(None),
                Some(n) => scalar(n, key).map(Some).map_err(|m| err(n.pos, m)),
            }
        };
        let title = text_of("title")?.unwrap_or_else(|| id.clone());
        let owner = text_of("owner")?.unwrap_or_default();
        let conditional = match item.get("conditional") {
            None => false,
            Some(n) => match n.as_str() {
                Some("true" | "True" | "TRUE" | "yes") => true,
                Some("false" | "False" | "FALSE" | "no" | "") => false,
                _ => {
                    return Err(err(n.pos, "`conditional` must be `true` or `false`".into()));
                }
            },
        };
        let depends_on = refs(item, "depends_on").map_err(|(p, m)| err(p, m))?;
        let depends_on_if_triggered =
            refs(item, "depends_on_if_triggered").map_err(|(p, m)| err(p, m))?;
        slices.push(WbSlice {
            id,
            pos: id_node.pos,
            title,
            owner,
            depends_on,
            depends_on_if_triggered,
            conditional,
        });
    }
    if slices.is_empty() {
        return Err(err(slices_node.pos, "`slices` is empty".into()));
    }
    for s in &slices {
        for d in s.depends_on.iter().chain(&s.depends_on_if_triggered) {
            if !slices.iter().any(|t| t.id == d.id) {
                return Err(err(
                    d.pos,
                    format!("slice `{}` depends on unknown slice `{}`", s.id, d.id),
                ));
            }
            if d.id == s.id {
                return Err(err(d.pos, format!("slice `{}` depends on itself", s.id)));
            }
        }
    }
    Ok(WorkBreakdown { phase, slices })
}

/// `PHASE_Q_WORKBREAKDOWN.yaml` → `Q`.
pub fn phase_of_file_name(file: &str) -> Option<String> {
    let name = file.rsplit(['/', '\\']).next()?;
    let x = name
        .strip_prefix("PHASE_")?
        .strip_suffix("_WORKBREAKDOWN.yaml")
        .or_else(|| {
            name.strip_prefix("PHASE_")?
                .strip_suffix("_WORKBREAKDOWN.yml")
        })?;
    (!x.is_empty()).then(|| x.to_string())
}

fn scalar(n: &Node, key: &str) -> Result<String, String> {
    n.as_str()
        .map(|s| s.trim().to_string())
        .ok_or_else(|| format!("`{key}` is {}; expected text", n.kind()))
}

/// A dependency list: a list of ids, one id, or empty (`[]`, `~`, nothing).
fn refs(item: &Node, key: &str) -> Result<Vec<Ref>, (Pos, String)> {
    let Some(n) = item.get(key) else {
        return Ok(Vec::new());
    };
    match &n.value {
        Value::Scalar(s) if s.is_empty() || s == "~" || s == "null" => Ok(Vec::new()),
        Value::Scalar(s) => Ok(vec![Ref {
            id: s.trim().to_string(),
            pos: n.pos,
        }]),
        Value::Seq(items) => items
            .iter()
            .map(|d| match d.as_str() {
                Some(s) if !s.trim().is_empty() => Ok(Ref {
                    id: s.trim().to_string(),
                    pos: d.pos,
                }),
                _ => Err((
                    d.pos,
                    format!("an entry of `{key}` is {}; expected a slice id", d.kind()),
                )),
            })
            .collect(),
        Value::Map(_) => Err((
            n.pos,
            format!("`{key}` is a mapping; expected a list of slice ids"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = "phase: Q\nslices:\n  - id: Q0\n    title: Plan\n    owner: '@plan'\n    depends_on: []\n  - id: Q1\n    title: Build\n    depends_on:\n      - Q0\n  - id: Q2\n    title: Conditional tightening\n    depends_on: [Q0, Q1]\n    conditional: true\n  - id: Q3\n    title: Review\n    depends_on: Q1\n    depends_on_if_triggered: [Q2]\n";

    #[test]
    fn reads_slices_owners_and_both_kinds_of_dependency() {
        let wb = parse(OK, "PHASE_Q_WORKBREAKDOWN.yaml").unwrap();
        assert_eq!(wb.phase, "Q");
        let ids: Vec<&str> = wb.slices.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["Q0", "Q1", "Q2", "Q3"]);
        assert_eq!(wb.slices[0].owner, "@plan");
        assert_eq!(wb.slices[1].depends_on[0].id, "Q0");
        assert_eq!(wb.slices[1].depends_on[0].pos, Pos { line: 10, col: 9 });
        assert!(wb.slices[2].conditional);
        assert_eq!(wb.slices[3].depends_on[0].id, "Q1");
        assert_eq!(wb.slices[3].depends_on_if_triggered[0].id, "Q2");
        assert_eq!(wb.slices[3].depends_on_if_triggered[0].pos.line, 18);
    }

    #[test]
    fn errors_name_their_place() {
        let e = parse(
            "phase: Q\nslices:\n  - id: Q0\n    depends_on: [Q9]\n",
            "w.yaml",
        )
        .unwrap_err();
        assert_eq!((e.line, e.col), (4, 18));
        assert_eq!(e.message, "slice `Q0` depends on unknown slice `Q9`");
        let e = parse("phase: Q\nslices:\n  - id: Q0\n  - id: Q0\n", "w.yaml").unwrap_err();
        assert_eq!((e.line, e.col), (4, 9));
        assert!(e.message.starts_with("duplicate slice id `Q0`"), "{e}");
        let e = parse("phase: Q\nslices: {a: 1}\n", "w.yaml").unwrap_err();
        assert_eq!(
            e.to_string(),
            "w.yaml:2:9: `slices` is a mapping; expected a list\n  | slices: {a: 1}"
        );
        let e = parse(
            "phase: Q\nslices:\n  - id: Q0\n   depends_on: [\n",
            "w.yaml",
        )
        .unwrap_err();
        assert!(e.message.starts_with("invalid YAML: "), "{e}");
        assert!(e.line >= 4, "{e}");
    }

    #[test]
    fn the_phase_comes_from_the_file_name_when_the_text_has_none() {
        let wb = parse("slices:\n  - id: R0\n", "docs/PHASE_R_WORKBREAKDOWN.yaml").unwrap();
        assert_eq!(wb.phase, "R");
        assert!(parse("slices:\n  - id: R0\n", "docs/plan.yaml").is_err());
    }
}

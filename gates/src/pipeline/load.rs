//! Loading `ci/phase-a.toml`: parse with spans, then validate, pointing every error at the
//! offending text.
//!
//! Parsing uses serde with `deny_unknown_fields`, so an unknown key is an error at that
//! key's position. Semantic validation (references, duplicates, cycles, stage order, empty
//! argv, timeouts, check parameters) runs on the spanned raw model and reports the span of
//! the declaration at fault.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use super::model::*;
use crate::error::LoadError;
use crate::text::LineIndex;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPipeline {
    pipeline: Option<RawHeader>,
    target: Spanned<RawTarget>,
    #[serde(default)]
    defaults: Option<RawDefaults>,
    #[serde(default)]
    stage: Vec<Spanned<RawStage>>,
    #[serde(default)]
    slice: Vec<Spanned<RawSlice>>,
    #[serde(default)]
    gate: BTreeMap<Spanned<String>, Spanned<RawGate>>,
    #[serde(default)]
    ci: Option<toml::Table>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHeader {
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    timeout: Option<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    repo: Spanned<String>,
    pass_root: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStage {
    number: Spanned<u32>,
    title: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSlice {
    id: Spanned<String>,
    stage: Spanned<u32>,
    title: String,
    owner: String,
    #[serde(default)]
    depends_on: Vec<Spanned<String>>,
    gates: Spanned<Vec<Spanned<String>>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawGate {
    #[serde(default)]
    title: Option<String>,
    check: Option<Spanned<String>>,
    params: Option<Spanned<toml::Table>>,
    command: Option<Spanned<Vec<String>>>,
    cwd: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    timeout: Option<Spanned<String>>,
    report: Option<Spanned<RawReport>>,
    setup: Option<Spanned<RawSetup>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSetup {
    command: Vec<String>,
    cwd: Option<String>,
    unless_exists: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReport {
    path: String,
    format: Spanned<String>,
}

/// The default gate timeout when neither the gate nor `[defaults]` sets one.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// Report formats a command gate may declare.
pub const REPORT_FORMATS: &[&str] = &["junit", "vitest-json", "nextest-list-json"];

/// A check a gate may name, as the loader sees it: its name and how to validate the gate's
/// `params`. The checks sit above the pipeline, so the loader does not know them: the caller
/// passes them (the built-in ones are `checks::kinds()`, which `crate::load` passes).
#[derive(Clone, Copy)]
pub struct CheckKind {
    pub name: &'static str,
    pub validate: fn(&toml::Table) -> Result<(), ParamError>,
}

/// A parameter problem found at load time; `key` lets the loader point at the key.
#[derive(Debug)]
pub struct ParamError {
    pub message: String,
    pub key: Option<String>,
}

/// Reads and validates a pipeline file, its gates' checks among `checks`. Relative paths
/// inside it resolve against the parent of the directory holding it (the workspace root for
/// `ci/phase-a.toml`).
pub fn load_file_with(path: &Path, checks: &[CheckKind]) -> Result<Pipeline, LoadError> {
    let display = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| LoadError {
        file: display.clone(),
        line: 0,
        col: 0,
        message: format!("cannot read the pipeline file: {e}"),
        snippet: String::new(),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let src = String::from_utf8_lossy(e.as_bytes()).into_owned();
        let idx = LineIndex::new(&src);
        let (line, col) = idx.line_col(&src, offset);
        LoadError {
            file: display.clone(),
            line,
            col,
            message: "the pipeline file is not valid UTF-8".into(),
            snippet: String::new(),
        }
    })?;
    let base = path
        .parent()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    load_str_with(&text, path, &base, checks)
}

/// Validates pipeline text, its gates' checks among `checks`. `file` is used in messages,
/// `base_dir` resolves relative paths.
pub fn load_str_with(
    text: &str,
    file: &Path,
    base_dir: &Path,
    checks: &[CheckKind],
) -> Result<Pipeline, LoadError> {
    let cx = Cx {
        text,
        file: file.display().to_string(),
        idx: LineIndex::new(text),
    };
    let raw: RawPipeline = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        cx.err(span, e.message().trim_end().to_string())
    })?;
    // The `[ci]` table stays raw in the model, but is typed here so a bad one is a load
    // error pointing at the offending key.
    super::ci::validate_text(text).map_err(|(span, message)| cx.err(span, message))?;
    validate(&cx, raw, file, base_dir, checks)
}

struct Cx<'a> {
    text: &'a str,
    file: String,
    idx: LineIndex,
}

impl Cx<'_> {
    fn err(&self, span: Range<usize>, message: impl Into<String>) -> LoadError {
        let (line, col) = self.idx.line_col(self.text, span.start);
        let snippet = self
            .text
            .get(span.clone())
            .map(|s| s.lines().next().unwrap_or("").trim().to_string())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| self.idx.line_text(self.text, line).trim().to_string());
        LoadError {
            file: self.file.clone(),
            line,
            col,
            message: message.into(),
            snippet,
        }
    }

    fn pos(&self, span: &Range<usize>) -> Pos {
        let (line, col) = self.idx.line_col(self.text, span.start);
        Pos { line, col }
    }

    /// The span of `key = ...` inside `within`, for errors about a key in a table whose
    /// values carry no spans of their own.
    fn key_span(&self, within: &Range<usize>, key: &str) -> Range<usize> {
        let hay = self.text.get(within.clone()).unwrap_or("");
        let mut from = 0;
        while let Some(i) = hay[from..].find(key) {
            let at = from + i;
            let before_ok = at == 0
                || !hay.as_bytes()[at - 1].is_ascii_alphanumeric()
                    && hay.as_bytes()[at - 1] != b'_';
            let rest = hay[at + key.len()..].trim_start_matches([' ', '\t', '"', '\'']);
            if before_ok && (rest.starts_with('=') || rest.starts_with('.')) {
                let start = within.start + at;
                return start..start + key.len();
            }
            from = at + key.len();
        }
        within.clone()
    }
}

fn parse_timeout(cx: &Cx, s: &Spanned<String>) -> Result<Duration, LoadError> {
    let d = humantime::parse_duration(s.get_ref().trim()).map_err(|e| {
        cx.err(
            s.span(),
            format!(
                "unparseable timeout {:?}: {e} (write e.g. \"90s\", \"10m\" or \"1h 30m\")",
                s.get_ref()
            ),
        )
    })?;
    if d.is_zero() {
        return Err(cx.err(
            s.span(),
            "a timeout of zero would stop the gate before it starts",
        ));
    }
    Ok(d)
}

fn validate(
    cx: &Cx,
    raw: RawPipeline,
    file: &Path,
    base_dir: &Path,
    checks: &[CheckKind],
) -> Result<Pipeline, LoadError> {
    let default_timeout = match raw.defaults.as_ref().and_then(|d| d.timeout.as_ref()) {
        Some(t) => parse_timeout(cx, t)?,
        None => DEFAULT_TIMEOUT,
    };

    // Target.
    let target_span = raw.target.span();
    let target = raw.target.into_inner();
    if target.repo.get_ref().trim().is_empty() {
        return Err(cx.err(target.repo.span(), "`target.repo` is empty"));
    }
    let pass_root = PathBuf::from(target.pass_root.get_ref());
    if pass_root.is_absolute()
        || pass_root
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(cx.err(
            target.pass_root.span(),
            "`target.pass_root` must be a path inside the target repository (relative, without `..`)",
        ));
    }
    let _ = target_span;

    // Stages: unique numbers.
    let mut stages = Vec::new();
    let mut stage_numbers: HashMap<u32, Range<usize>> = HashMap::new();
    for st in &raw.stage {
        let n = *st.get_ref().number.get_ref();
        if let Some(prev) = stage_numbers.get(&n) {
            let (pl, pc) = cx.idx.line_col(cx.text, prev.start);
            return Err(cx.err(
                st.get_ref().number.span(),
                format!("duplicate stage number {n} (first declared at line {pl}, column {pc})"),
            ));
        }
        stage_numbers.insert(n, st.get_ref().number.span());
        stages.push(Stage {
            number: n,
            title: st.get_ref().title.clone(),
            pos: cx.pos(&st.span()),
        });
    }
    stages.sort_by_key(|s| s.number);
    if stages.is_empty() {
        return Err(cx.err(0..0, "the pipeline declares no `[[stage]]`"));
    }

    // Gates.
    let registry = checks;
    let mut gates = BTreeMap::new();
    for (id, g) in &raw.gate {
        let gid = id.get_ref().clone();
        if !is_kebab_id(&gid) {
            return Err(cx.err(
                id.span(),
                format!("gate id {gid:?} is not kebab-case (a-z, 0-9, `-`)"),
            ));
        }
        let rg = g.get_ref();
        let timeout = match &rg.timeout {
            Some(t) => parse_timeout(cx, t)?,
            None => default_timeout,
        };
        let command = match &rg.command {
            None => {
                if rg.cwd.is_some() || !rg.env.is_empty() || rg.report.is_some() {
                    return Err(cx.err(
                        g.span(),
                        format!("gate `{gid}` sets cwd/env/report but has no `command`"),
                    ));
                }
                None
            }
            Some(argv) => {
                if argv.get_ref().is_empty() || argv.get_ref()[0].trim().is_empty() {
                    return Err(cx.err(
                        argv.span(),
                        format!("gate `{gid}` has an empty `command` argv"),
                    ));
                }
                let report = match &rg.report {
                    None => None,
                    Some(r) => {
                        let r = r.get_ref();
                        if !REPORT_FORMATS.contains(&r.format.get_ref().as_str()) {
                            return Err(cx.err(
                                r.format.span(),
                                format!(
                                    "unknown report format {:?} (known: {})",
                                    r.format.get_ref(),
                                    REPORT_FORMATS.join(", ")
                                ),
                            ));
                        }
                        Some(ReportSpec {
                            path: PathBuf::from(&r.path),
                            format: r.format.get_ref().clone(),
                        })
                    }
                };
                Some(CommandSpec {
                    argv: argv.get_ref().clone(),
                    cwd: PathBuf::from(rg.cwd.clone().unwrap_or_else(|| ".".into())),
                    env: rg.env.clone(),
                    report,
                })
            }
        };
        let params_table = rg
            .params
            .as_ref()
            .map(|p| p.get_ref().clone())
            .unwrap_or_default();
        let check = match &rg.check {
            None => {
                if let Some(p) = &rg.params {
                    return Err(cx.err(
                        p.span(),
                        format!("gate `{gid}` has `params` but no `check`"),
                    ));
                }
                None
            }
            Some(c) => {
                let Some(def) = registry.iter().find(|d| d.name == c.get_ref()) else {
                    let known: Vec<_> = registry.iter().map(|d| d.name).collect();
                    return Err(cx.err(
                        c.span(),
                        format!(
                            "unknown check {:?} (known: {})",
                            c.get_ref(),
                            known.join(", ")
                        ),
                    ));
                };
                if let Err(e) = (def.validate)(&params_table) {
                    let span = match (&rg.params, &e.key) {
                        (Some(p), Some(k)) => cx.key_span(&p.span(), k),
                        (Some(p), None) => p.span(),
                        (None, _) => c.span(),
                    };
                    return Err(cx.err(
                        span,
                        format!(
                            "gate `{gid}`: invalid params for check `{}`: {}",
                            def.name, e.message
                        ),
                    ));
                }
                Some(c.get_ref().clone())
            }
        };
        let kind = match (check, command) {
            (Some(check), None) => GateKind::Check {
                check,
                params: params_table,
            },
            (None, Some(cmd)) => GateKind::Command(cmd),
            (Some(check), Some(command)) => GateKind::CommandWithCheck {
                command,
                check,
                params: params_table,
            },
            (None, None) => {
                return Err(cx.err(
                    id.span(),
                    format!("gate `{gid}` has neither `check` nor `command`"),
                ));
            }
        };
        let setup = match &rg.setup {
            None => None,
            Some(st) => {
                let raw = st.get_ref();
                if raw.command.is_empty() || raw.command[0].trim().is_empty() {
                    return Err(cx.err(
                        st.span(),
                        format!("gate `{gid}` has an empty `setup.command` argv"),
                    ));
                }
                for p in raw.cwd.iter().chain(raw.unless_exists.iter()) {
                    if crate::fs::resolve_inside(Path::new("."), p).is_err() {
                        return Err(cx.err(
                            st.span(),
                            format!(
                                "gate `{gid}`: setup path {p:?} must be relative and inside the target repository"
                            ),
                        ));
                    }
                }
                Some(SetupSpec {
                    argv: raw.command.clone(),
                    cwd: PathBuf::from(raw.cwd.clone().unwrap_or_else(|| ".".into())),
                    unless_exists: raw.unless_exists.as_ref().map(PathBuf::from),
                })
            }
        };
        gates.insert(
            gid.clone(),
            Gate {
                id: gid.clone(),
                title: rg.title.clone().unwrap_or_else(|| gid.clone()),
                kind,
                timeout,
                setup,
                pos: cx.pos(&id.span()),
            },
        );
    }

    // Slices: unique ids, known stages, known gates.
    let mut slice_index: HashMap<String, usize> = HashMap::new();
    for (i, s) in raw.slice.iter().enumerate() {
        let s = s.get_ref();
        let id = s.id.get_ref();
        if let Some(&prev) = slice_index.get(id) {
            let p = cx.pos(&raw.slice[prev].get_ref().id.span());
            return Err(cx.err(
                s.id.span(),
                format!(
                    "duplicate slice id `{id}` (first declared at line {}, column {})",
                    p.line, p.col
                ),
            ));
        }
        if !is_slice_id(id) {
            return Err(cx.err(
                s.id.span(),
                format!("slice id {id:?} must be letters, digits and `-`"),
            ));
        }
        slice_index.insert(id.clone(), i);
        if !stage_numbers.contains_key(s.stage.get_ref()) {
            return Err(cx.err(
                s.stage.span(),
                format!(
                    "slice `{id}` names stage {} which is not declared",
                    s.stage.get_ref()
                ),
            ));
        }
        if s.gates.get_ref().is_empty() {
            return Err(cx.err(
                s.gates.span(),
                format!("slice `{id}` has no gates: a slice with nothing to check can never be shown green"),
            ));
        }
        let mut seen = HashSet::new();
        for g in s.gates.get_ref() {
            if !gates.contains_key(g.get_ref()) {
                return Err(cx.err(
                    g.span(),
                    format!("slice `{id}` requires unknown gate `{}`", g.get_ref()),
                ));
            }
            if !seen.insert(g.get_ref()) {
                return Err(cx.err(
                    g.span(),
                    format!("slice `{id}` lists gate `{}` twice", g.get_ref()),
                ));
            }
        }
    }
    for st in &stages {
        if !raw
            .slice
            .iter()
            .any(|s| *s.get_ref().stage.get_ref() == st.number)
        {
            let span = raw
                .stage
                .iter()
                .find(|s| *s.get_ref().number.get_ref() == st.number)
                .unwrap()
                .span();
            return Err(cx.err(span, format!("stage {} has no slices", st.number)));
        }
    }
    for (id, g) in &raw.gate {
        if !raw.slice.iter().any(|s| {
            s.get_ref()
                .gates
                .get_ref()
                .iter()
                .any(|x| x.get_ref() == id.get_ref())
        }) {
            return Err(cx.err(
                g.span().start.min(id.span().start)..id.span().end,
                format!(
                    "gate `{}` is not required by any slice, so it would never run",
                    id.get_ref()
                ),
            ));
        }
    }

    // Dependencies: known, not self, not on a later stage.
    for s in &raw.slice {
        let s = s.get_ref();
        let mut seen = HashSet::new();
        for d in &s.depends_on {
            let Some(&di) = slice_index.get(d.get_ref()) else {
                return Err(cx.err(
                    d.span(),
                    format!(
                        "slice `{}` depends on unknown slice `{}`",
                        s.id.get_ref(),
                        d.get_ref()
                    ),
                ));
            };
            if !seen.insert(d.get_ref()) {
                return Err(cx.err(
                    d.span(),
                    format!(
                        "slice `{}` lists dependency `{}` twice",
                        s.id.get_ref(),
                        d.get_ref()
                    ),
                ));
            }
            let dep_stage = *raw.slice[di].get_ref().stage.get_ref();
            if dep_stage > *s.stage.get_ref() {
                return Err(cx.err(
                    d.span(),
                    format!(
                        "slice `{}` (stage {}) depends on `{}` of the later stage {}",
                        s.id.get_ref(),
                        s.stage.get_ref(),
                        d.get_ref(),
                        dep_stage
                    ),
                ));
            }
        }
    }

    // Cycles: depth-first search with colours; print the cycle.
    let n = raw.slice.len();
    let deps: Vec<Vec<usize>> = raw
        .slice
        .iter()
        .map(|s| {
            s.get_ref()
                .depends_on
                .iter()
                .map(|d| slice_index[d.get_ref()])
                .collect()
        })
        .collect();
    if let Some(cycle) = find_cycle(n, &deps) {
        let names: Vec<&str> = cycle
            .iter()
            .map(|&i| raw.slice[i].get_ref().id.get_ref().as_str())
            .collect();
        let first = cycle[0];
        let second = cycle[1];
        // Point at the dependency entry that closes the cycle's first edge.
        let span = raw.slice[first]
            .get_ref()
            .depends_on
            .iter()
            .find(|d| slice_index[d.get_ref()] == second)
            .map(|d| d.span())
            .unwrap_or_else(|| raw.slice[first].span());
        return Err(cx.err(span, format!("dependency cycle: {}", names.join(" -> "))));
    }

    let slices = raw
        .slice
        .iter()
        .map(|s| {
            let r = s.get_ref();
            Slice {
                id: r.id.get_ref().clone(),
                stage: *r.stage.get_ref(),
                title: r.title.clone(),
                owner: r.owner.clone(),
                depends_on: r.depends_on.iter().map(|d| d.get_ref().clone()).collect(),
                gates: r
                    .gates
                    .get_ref()
                    .iter()
                    .map(|g| g.get_ref().clone())
                    .collect(),
                pos: cx.pos(&s.span()),
            }
        })
        .collect();

    Ok(Pipeline {
        file: file.to_path_buf(),
        base_dir: base_dir.to_path_buf(),
        name: raw
            .pipeline
            .and_then(|h| h.name)
            .unwrap_or_else(|| "phase-a".into()),
        target: Target {
            repo: PathBuf::from(target.repo.into_inner()),
            pass_root,
        },
        stages,
        slices,
        gates,
        ci: raw.ci.unwrap_or_default(),
        default_timeout,
    })
}

/// Returns one cycle as a closed walk `[a, b, ..., a]` following `depends_on` edges.
fn find_cycle(n: usize, deps: &[Vec<usize>]) -> Option<Vec<usize>> {
    #[derive(Clone, Copy, PartialEq)]
    enum C {
        White,
        Grey,
        Black,
    }
    let mut colour = vec![C::White; n];
    let mut stack: Vec<usize> = Vec::new();
    fn visit(
        u: usize,
        deps: &[Vec<usize>],
        colour: &mut [C],
        stack: &mut Vec<usize>,
    ) -> Option<Vec<usize>> {
        colour[u] = C::Grey;
        stack.push(u);
        for &v in &deps[u] {
            match colour[v] {
                C::Grey => {
                    let at = stack.iter().position(|&x| x == v).unwrap();
                    let mut cyc = stack[at..].to_vec();
                    cyc.push(v);
                    return Some(cyc);
                }
                C::White => {
                    if let Some(c) = visit(v, deps, colour, stack) {
                        return Some(c);
                    }
                }
                C::Black => {}
            }
        }
        stack.pop();
        colour[u] = C::Black;
        None
    }
    for u in 0..n {
        if colour[u] == C::White
            && let Some(c) = visit(u, deps, &mut colour, &mut stack)
        {
            return Some(c);
        }
    }
    None
}

fn is_kebab_id(s: &str) -> bool {
    !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

fn is_slice_id(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

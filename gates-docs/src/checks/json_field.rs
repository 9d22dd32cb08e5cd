//! `json-field`: fields of a JSON file of the target (a `package.json`'s scripts, a scan
//! result) have the values the phase pinned, and no value under chosen keys mentions what
//! it must not.
//!
//! **What it checks.** `file` (repository-relative) is strict JSON. Each entry of `fields`
//! names a field by its `path` (`"scripts.phase-f:gates:quick"`: keys joined by dots, or a
//! list of keys when a key holds a dot) and asks one thing of it: `equals` a value (a
//! string, number or boolean), `matches` an expression, `contains` a text, or is `absent`.
//! Each entry of `forbid` names an object (`under`, a path as above; the root when empty),
//! the members whose keys match `keys` (an expression), and an expression their values must
//! not match (`mentions`): "no `phase-f:*` command mentions an agent scratchpad".
//!
//! The file is read through the careful reader and the project's JSON reader, so every
//! finding points at the key or value in question: a differing value at the value, a field
//! that must be absent at its key, a missing field at the object that lacks it (or at the
//! file's first line), a forbidden mention at the mention inside the string.
//!
//! **Why.** The phases pin their gate commands in `package.json` (`phase-x:gate:*` must run
//! the phase's verifier, a retired optional command must be gone) and keep them from
//! depending on documents the cleanup deletes. As data these are positioned findings.
//!
//! **How to fix.** Set the field to what the phase's acceptance gates say (or remove it), or
//! change the pipeline when the gate command changed on purpose.

use serde::Deserialize;

use super::{Capability, CheckCtx, CheckDef, CheckOutput, ParamError, Rule, error, no_roles};
use crate::error::GateError;
use crate::finding::Finding;
use crate::fs::source::SourceFile;
use crate::repo::json::{self, Node, Value};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The JSON file, relative to the repository (`package.json`).
    pub file: String,
    #[serde(default)]
    pub fields: Vec<Field>,
    #[serde(default)]
    pub forbid: Vec<Forbid>,
}

/// A field's path: keys joined by dots, or the keys as a list.
#[derive(Deserialize, Clone, Debug)]
#[serde(untagged)]
pub enum KeyPath {
    Dotted(String),
    Keys(Vec<String>),
}

impl KeyPath {
    pub fn keys(&self) -> Vec<String> {
        match self {
            KeyPath::Dotted(s) if s.is_empty() => Vec::new(),
            KeyPath::Dotted(s) => s.split('.').map(str::to_string).collect(),
            KeyPath::Keys(k) => k.clone(),
        }
    }
}

/// What one field must be.
#[derive(Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct Field {
    pub path: KeyPath,
    pub equals: Option<toml::Value>,
    pub matches: Option<String>,
    pub contains: Option<String>,
    #[serde(default)]
    pub absent: bool,
    /// Why it matters, shown in the findings.
    pub message: Option<String>,
}

/// Values under an object that must not mention something.
#[derive(Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct Forbid {
    #[serde(default = "root_path")]
    pub under: KeyPath,
    /// The members whose keys match this expression (all when absent).
    pub keys: Option<String>,
    pub mentions: String,
    pub message: Option<String>,
}

fn root_path() -> KeyPath {
    KeyPath::Keys(Vec::new())
}

pub fn def() -> CheckDef {
    CheckDef {
        name: "json-field",
        summary: "a JSON file's fields equal a value, match an expression or are absent, and no value under chosen keys mentions what it must not",
        capabilities: &[Capability::WorkTree],
        rules: &[RULES, super::common::SOURCES],
        parts: None,
        aliases: &[],
        validate,
        roles: no_roles,
        run,
    }
}

const FIX: &str = "set the field to what the phase's acceptance gates say (or remove it), or change the pipeline when it changed on purpose";

/// Every rule of the json-field check.
pub const RULES: &[Rule] = &[
    error(
        "file-missing",
        "the JSON file does not exist",
        "add the file, or fix `file` in the pipeline",
    ),
    error(
        "json-invalid",
        "the file is not strict JSON",
        "fix the syntax at the position given",
    ),
    error(
        "field-missing",
        "a field that must have a value has none",
        FIX,
    ),
    error(
        "field-differs",
        "a field's value is not the one required (or does not match, or lacks the text)",
        FIX,
    ),
    error(
        "field-present",
        "a field that must be absent is present",
        FIX,
    ),
    error(
        "value-mentions-forbidden",
        "a value under the chosen keys mentions a forbidden expression",
        "take the mention out of the value (e.g. a command reading a document the cleanup deletes)",
    ),
];

pub fn validate(t: &toml::Table) -> Result<(), ParamError> {
    let p: Params = super::parse_params(t)?;
    let bad = |message: String, key: &str| ParamError {
        message,
        key: Some(key.into()),
    };
    if p.file.is_empty() || crate::fs::escapes(&p.file) {
        return Err(bad(
            format!(
                "`file` {:?} must be relative to the repository and stay inside it",
                p.file
            ),
            "file",
        ));
    }
    if p.fields.is_empty() && p.forbid.is_empty() {
        return Err(ParamError {
            message: "give `fields` or `forbid`: the gate checks nothing".into(),
            key: None,
        });
    }
    for (i, f) in p.fields.iter().enumerate() {
        let at = format!("fields[{i}]");
        if f.path.keys().is_empty() {
            return Err(bad(format!("{at}: `path` is empty"), "fields"));
        }
        let asked = usize::from(f.equals.is_some())
            + usize::from(f.matches.is_some())
            + usize::from(f.contains.is_some())
            + usize::from(f.absent);
        if asked != 1 {
            return Err(bad(
                format!(
                    "{at}: give exactly one of `equals`, `matches`, `contains`, `absent = true`"
                ),
                "fields",
            ));
        }
        if let Some(v) = &f.equals
            && !matches!(
                v,
                toml::Value::String(_)
                    | toml::Value::Integer(_)
                    | toml::Value::Float(_)
                    | toml::Value::Boolean(_)
            )
        {
            return Err(bad(
                format!("{at}: `equals` must be a string, number or boolean"),
                "fields",
            ));
        }
        if let Some(r) = &f.matches {
            super::source_pattern::compile(r).map_err(|m| bad(format!("{at}: {m}"), "fields"))?;
        }
    }
    for (i, f) in p.forbid.iter().enumerate() {
        let at = format!("forbid[{i}]");
        for r in f.keys.iter().chain([&f.mentions]) {
            super::source_pattern::compile(r).map_err(|m| bad(format!("{at}: {m}"), "forbid"))?;
        }
    }
    Ok(())
}

pub fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let p: Params = ctx.params()?;
    let mut out = CheckOutput::default();
    let sf = match super::source_pattern::read_target(ctx.repo, &p.file)? {
        Ok(sf) => sf,
        Err(f) => {
            out.findings.push(f);
            return Ok(out);
        }
    };
    let doc = match json::parse(&sf.text) {
        Ok(d) => d,
        Err(e) => {
            out.findings.push(sf.finding_at(
                "json-invalid",
                e.offset,
                format!("not JSON: {}", e.message),
            ));
            return Ok(out);
        }
    };
    for f in &p.fields {
        field(&sf, &doc.root, f, &mut out);
    }
    for f in &p.forbid {
        forbid(&sf, &doc.root, f, &mut out)?;
    }
    out.notes.push(format!(
        "{}: {} field(s), {} forbidden mention rule(s) checked",
        p.file,
        p.fields.len(),
        p.forbid.len()
    ));
    Ok(out)
}

/// Walks `keys` from `root`: the node found, or the deepest object reached and its offset
/// (for a finding about what it lacks).
fn walk<'a>(root: &'a Node, keys: &[String]) -> Result<(&'a Node, usize), usize> {
    let mut node = root;
    let mut key_at = 0usize;
    for k in keys {
        match node.member(k) {
            Some(m) => {
                key_at = m.key_span.start;
                node = &m.value;
            }
            None => return Err(key_at),
        }
    }
    Ok((node, key_at))
}

fn field(sf: &SourceFile, root: &Node, f: &Field, out: &mut CheckOutput) {
    let keys = f.path.keys();
    let shown = keys.join(".");
    let note = super::source_pattern::prefix(f.message.as_deref());
    let found = walk(root, &keys);
    if f.absent {
        if let Ok((_, key_at)) = found {
            out.findings.push(
                sf.finding_at(
                    "field-present",
                    key_at,
                    format!("{note}`{shown}` must be absent"),
                )
                .with_help(FIX),
            );
        }
        return;
    }
    let node = match found {
        Ok((n, _)) => n,
        Err(parent_key) => {
            let mut finding = Finding::error(
                "field-missing",
                sf.rel.clone(),
                1,
                1,
                format!("{note}`{shown}` is not set"),
            );
            if parent_key > 0 {
                let (l, c) = sf.line_col(parent_key);
                finding.line = l;
                finding.col = c;
            }
            out.findings.push(finding.with_help(FIX));
            return;
        }
    };
    let differs = |msg: String| {
        sf.finding_at("field-differs", node.span.start, msg)
            .with_help(FIX)
    };
    if let Some(want) = &f.equals {
        if !equal(&node.value, want) {
            out.findings.push(differs(format!(
                "{note}`{shown}` is {}, expected {}",
                render(sf, node),
                render_toml(want)
            )));
        }
        return;
    }
    let Some(s) = node.as_str() else {
        out.findings.push(differs(format!(
            "{note}`{shown}` is a {}, expected a string",
            node.value.type_name()
        )));
        return;
    };
    if let Some(r) = &f.matches
        && let Ok(re) = super::source_pattern::compile(r)
        && !re.is_match(s)
    {
        out.findings.push(differs(format!(
            "{note}`{shown}` ({}) does not match `{r}`",
            render(sf, node)
        )));
    }
    if let Some(t) = &f.contains
        && !s.contains(t.as_str())
    {
        out.findings.push(differs(format!(
            "{note}`{shown}` ({}) does not contain `{t}`",
            render(sf, node)
        )));
    }
}

fn forbid(
    sf: &SourceFile,
    root: &Node,
    f: &Forbid,
    out: &mut CheckOutput,
) -> Result<(), GateError> {
    let keys = f.under.keys();
    let shown = keys.join(".");
    let note = super::source_pattern::prefix(f.message.as_deref());
    // The object whose values must not mention the text is the contract's: missing, or not
    // an object, nothing was checked (a misspelt `under` must not pass).
    let found = walk(root, &keys);
    let key_at = match found {
        Ok((_, k)) | Err(k) => k,
    };
    let Some(members) = found.ok().and_then(|(obj, _)| obj.as_object()) else {
        let (line, col) = if key_at > 0 {
            sf.line_col(key_at)
        } else {
            (1, 1)
        };
        out.findings.push(
            Finding::error(
                "field-missing",
                sf.rel.clone(),
                line,
                col,
                format!("{note}`{shown}` is not an object whose values can be checked"),
            )
            .with_help(FIX),
        );
        return Ok(());
    };
    let key_re = match &f.keys {
        Some(r) => Some(super::source_pattern::compile(r).map_err(GateError::msg)?),
        None => None,
    };
    let re = super::source_pattern::compile(&f.mentions).map_err(GateError::msg)?;
    for m in members {
        if key_re.as_ref().is_some_and(|k| !k.is_match(&m.key)) {
            continue;
        }
        let Some(value) = m.value.as_str() else {
            continue;
        };
        let Some(hit) = re.find(value) else { continue };
        // The mention's offset in the file: found in the value as written when it holds no
        // escape, else the value's start.
        let raw = &sf.text[m.value.span.start..m.value.span.end];
        let at = match raw.get(1..).and_then(|r| r.find(hit.as_str())) {
            Some(i) => m.value.span.start + 1 + i,
            None => m.value.span.start,
        };
        out.findings.push(
            sf.finding_at(
                "value-mentions-forbidden",
                at,
                format!(
                    "{note}`{}` mentions `{}` (forbidden: `{}`)",
                    m.key,
                    hit.as_str(),
                    f.mentions
                ),
            )
            .with_help("take the mention out of the value"),
        );
    }
    Ok(())
}

fn equal(v: &Value, want: &toml::Value) -> bool {
    match (v, want) {
        (Value::String(a), toml::Value::String(b)) => a == b,
        (Value::Bool(a), toml::Value::Boolean(b)) => a == b,
        (Value::Number(a), toml::Value::Integer(b)) => a.parse::<f64>().ok() == Some(*b as f64),
        (Value::Number(a), toml::Value::Float(b)) => a.parse::<f64>().ok() == Some(*b),
        _ => false,
    }
}

/// A value as written in the file (cut when long).
fn render(sf: &SourceFile, n: &Node) -> String {
    let raw = &sf.text[n.span.start..n.span.end];
    if raw.chars().count() > 200 {
        let cut: String = raw.chars().take(200).collect();
        format!("{cut}…")
    } else {
        raw.to_string()
    }
}

fn render_toml(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        _ => String::new(),
    }
}

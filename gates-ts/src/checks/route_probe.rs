//! `route-probe`: a live black-box probe of a running host over the matrix of caller × route
//! family, including signed, forged, expired and unsigned runtime ingress.
//!
//! **What it checks.** Against a base URL (loopback only unless `allow_remote = true`),
//! optionally after starting the host itself (`start`: a command, an env, a readiness path),
//! it sends one request per cell and compares the status with the cell's expectation:
//! - `/rpc` (POST and GET) from first-party, external and unlabeled callers: only first-party
//!   gets through; the others are rejected (401/403);
//! - `/api/orpc/*` (GET and POST) from each caller: not rejected;
//! - `/api/workflows/<capability>/*`: a declared capability is served (not 404), an undeclared
//!   one is 404;
//! - `/api/inngest`: unsigned, forged (wrong key), expired (older than 5 minutes) → rejected;
//!   validly signed (SPEC §4: `X-Inngest-Signature: t=<unix>&s=<hex HMAC-SHA256(body ‖ t)>`,
//!   keyed with the signing key minus its `signkey-<env>-` prefix) → `dispatched`: past the
//!   guard and into the ingress runtime. The probe's generic body names no function, so a
//!   real Inngest handler answers it with a 500 ("No function ID found"); that counts as
//!   dispatched when the runtime itself answered (its `x-inngest-sdk` /
//!   `x-inngest-framework` header). 401/403 (rejected by the guard), 404, a redirect, or a 5xx
//!   without the runtime's mark (the guard crashed; never dispatched) do not. First-party
//!   and external caller labels without a signature → rejected.
//!
//! **Defaults from the target.** With `start.command = ["{host}"]` the host's entry and
//! runner come from the target (see [`crate::repo::toolchain::host_entry`]; `start.entry`
//! overrides). Without `workflow_declared`, the declared-capability paths come from
//! `rawr.hq.ts`'s `workflows.capabilities` (a GET route the target declares below a
//! capability's prefix when there is one, e.g. `{ method: "GET", path:
//! "/coordination/workflows" }`, else the prefix itself); without `orpc_path`, the first GET
//! route without path parameters the target declares, under `/api/orpc` (the cells still
//! expect only `allowed`: a route literal elsewhere need not be on that router). The notes
//! say what was derived.
//!
//! **Callers.** A first-party request carries the caller header (`caller_header`, default
//! `x-rawr-caller-surface: first-party`), or, with `first_party = { headers = {...} }`, exactly
//! the headers the host takes as first-party evidence (a later host wants a session
//! assertion beside the label); an external one carries `<caller_header>: external`, an
//! unlabeled one neither.
//!
//! Each cell's expectation can be overridden in the pipeline file (`expect`), cells can be
//! skipped (`skip`, a cell id or `{ cell, reason }`: the reason is printed) or added
//! (`cells`, with headers of their own). No expectation but an explicit list of codes accepts a
//! redirect: the probe does not follow it, so a 3xx served nothing. A failing cell's finding names caller, method, path,
//! what was expected and what came back.
//!
//! **Why.** Static checks and the target's own tests missed two shipped bugs: an external
//! POST to `/rpc` got 200, and a forged ingress signature reached dispatch (500). Only
//! asking the running host shows what it really does.
//!
//! **How to fix.** Make the host's route guards match SPEC §4: default-deny `/rpc` for
//! anything but first-party callers, verify the ingress signature on the raw body before
//! dispatch, resolve workflow capabilities from the manifest.

use std::collections::BTreeMap;
use std::io::Read;
use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, Instant, SystemTime};

use serde::Deserialize;

use super::{
    Capability, CheckCtx, CheckDef, CheckOutput, ParamError, Rule, no_roles, parse_params,
    resolve_inside,
};
use crate::error::GateError;
use crate::finding::{Finding, Severity};
use crate::process::service::{self, Service, WaitError};
use crate::repo::toolchain::{Toolchain, host_entry};

/// The header that labels the caller (SPEC §4).
pub const DEFAULT_CALLER_HEADER: &str = "x-rawr-caller-surface";
/// The ingress signature header (SPEC §4).
pub const SIGNATURE_HEADER: &str = "X-Inngest-Signature";
/// Signatures older than this are expired (SPEC §4).
pub const MAX_SIGNATURE_AGE: Duration = Duration::from_secs(5 * 60);
/// How far in the past the probe dates an expired signature.
const EXPIRED_BY: Duration = Duration::from_secs(10 * 60);
const DEFAULT_INGRESS_BODY: &str = r#"{"event":{"name":"rawr/probe","data":{}}}"#;
const DEFAULT_UNDECLARED: &str = "/api/workflows/rawr-probe-undeclared-capability";
/// The key the forged signature is made with: not any host's key.
const FORGERY_KEY: &str = "signkey-forged-00000000000000000000000000000000";
/// Headers only the ingress runtime (the Inngest serve handler) sets on its answers.
const RUNTIME_HEADERS: &[&str] = &["x-inngest-sdk", "x-inngest-framework"];

/// The Inngest signature of `body` at unix time `t`: hex HMAC-SHA256 over the body bytes
/// followed by the decimal `t`, keyed with `signing_key` minus its `signkey-<env>-` prefix
/// (the remainder used as text, not hex-decoded).
pub fn inngest_signature(signing_key: &str, body: &[u8], t: u64) -> String {
    let key = signing_key_text(signing_key);
    let mut mac = hmac_sha256::HMAC::new(key.as_bytes());
    mac.update(body);
    mac.update(t.to_string().as_bytes());
    let bytes = mac.finalize();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `signkey-<env>-<rest>` → `<rest>`; other keys are used as they are.
pub fn signing_key_text(key: &str) -> &str {
    if let Some(rest) = key.strip_prefix("signkey-")
        && let Some(i) = rest.find('-')
    {
        return &rest[i + 1..];
    }
    key
}

/// The `X-Inngest-Signature` header value for `body` at `t`.
pub fn signature_header(signing_key: &str, body: &[u8], t: u64) -> String {
    format!("t={t}&s={}", inngest_signature(signing_key, body, t))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Params {
    /// Where the host answers, e.g. `http://127.0.0.1:4317`. With `start` and no `base_url`,
    /// a free loopback port is chosen and passed in `start.port_env`.
    base_url: Option<String>,
    /// Allow a base URL that is not loopback (the probe sends forged requests).
    #[serde(default)]
    allow_remote: bool,
    start: Option<StartParams>,
    /// The header that labels external (and, by default, first-party) callers.
    caller_header: Option<String>,
    /// How a first-party caller presents itself: the headers every first-party cell sends
    /// instead of the caller header alone (e.g. the label and the host's session evidence).
    first_party: Option<FirstParty>,
    rpc_path: Option<String>,
    orpc_path: Option<String>,
    /// Paths under a declared capability, e.g. `/api/workflows/support`.
    #[serde(default)]
    workflow_declared: Vec<String>,
    workflow_undeclared: Option<String>,
    inngest_path: Option<String>,
    /// The host's signing key, or the name of an env var holding it.
    signing_key: Option<String>,
    signing_key_env: Option<String>,
    inngest_body: Option<String>,
    /// Per-request timeout (humantime, default 10s).
    request_timeout: Option<String>,
    /// Overrides of default cells' expectations, by cell id.
    #[serde(default)]
    expect: BTreeMap<String, Expect>,
    /// Default cells not to probe: a cell id, or `{ cell = "<id>", reason = "<why>" }`
    /// (read by [`skip_entries`]; the reason is printed).
    #[serde(default)]
    skip: Vec<toml::Value>,
    /// Additional cells.
    #[serde(default)]
    cells: Vec<ExtraCell>,
    /// The manifest the declared capabilities are read from when `workflow_declared` is not
    /// given (default `rawr.hq.ts`).
    manifest: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StartParams {
    /// The start command; `{host}` stands for the host's entry run by its runner (found in
    /// the target), `{exec}` for the package manager's runner of installed binaries.
    command: Vec<String>,
    /// The host's entry module (repository-relative) for `{host}`; default: found in `app_dir`.
    #[serde(default)]
    entry: Option<String>,
    /// The host's app directory for `{host}` (default `apps/server`).
    #[serde(default)]
    app_dir: Option<String>,
    #[serde(default)]
    cwd: Option<String>,
    #[serde(default)]
    env: BTreeMap<String, String>,
    /// The env var that carries the port (default `PORT`).
    port_env: Option<String>,
    /// Polled with GET until it answers 2xx (default `/health`).
    ready_path: Option<String>,
    /// How long the host may take to become ready (humantime, default 60s).
    ready_timeout: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExtraCell {
    id: String,
    #[serde(default = "unlabeled")]
    caller: String,
    method: String,
    path: String,
    #[serde(default)]
    sign: Option<String>,
    #[serde(default)]
    body: Option<String>,
    /// Headers sent besides the caller's own (a same-named one replaces the caller's).
    #[serde(default)]
    headers: BTreeMap<String, String>,
    expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct FirstParty {
    headers: BTreeMap<String, String>,
}

/// A default cell left out of the probe, and why (printed in the notes).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Skip {
    cell: String,
    reason: Option<String>,
}

/// The `skip` list: each entry a cell id or `{ cell = "<id>", reason = "<why>" }`. Cell ids
/// are checked against the default cells by `validate`.
fn skip_entries(raw: &[toml::Value]) -> Result<Vec<Skip>, ParamError> {
    let bad = |message: String| ParamError {
        message,
        key: Some("skip".into()),
    };
    let mut out: Vec<Skip> = Vec::new();
    for (i, v) in raw.iter().enumerate() {
        let skip = match v {
            toml::Value::String(id) => Skip {
                cell: id.clone(),
                reason: None,
            },
            toml::Value::Table(t) => {
                if let Some(k) = t.keys().find(|k| *k != "cell" && *k != "reason") {
                    return Err(bad(format!(
                        "skip[{i}]: unknown key `{k}` (an entry is `{{ cell = \"<id>\", reason = \"<why>\" }}`)"
                    )));
                }
                let Some(toml::Value::String(cell)) = t.get("cell") else {
                    return Err(bad(format!(
                        "skip[{i}]: `cell` (the id of the cell not to probe) must be a string"
                    )));
                };
                let reason = match t.get("reason") {
                    Some(toml::Value::String(r)) if !r.trim().is_empty() => r.trim().to_string(),
                    Some(toml::Value::String(_)) | None => {
                        return Err(bad(format!(
                            "skip[{i}]: cell `{cell}` has no `reason`; say why it is not probed (it is printed), or give the cell id alone"
                        )));
                    }
                    Some(_) => {
                        return Err(bad(format!("skip[{i}]: `reason` must be a string")));
                    }
                };
                Skip {
                    cell: cell.clone(),
                    reason: Some(reason),
                }
            }
            other => {
                return Err(bad(format!(
                    "skip[{i}]: a {} is not a cell id or `{{ cell = \"<id>\", reason = \"<why>\" }}`",
                    other.type_str()
                )));
            }
        };
        if out.iter().any(|s| s.cell == skip.cell) {
            return Err(bad(format!("skip: cell `{}` is skipped twice", skip.cell)));
        }
        out.push(skip);
    }
    Ok(out)
}

/// Headers the probe sets itself: a pipeline may not set them for a caller or a cell.
const PROBE_HEADERS: &[(&str, &str)] = &[
    ("host", "the probe sends the base URL's host"),
    ("content-length", "the probe sends the body's length"),
    ("transfer-encoding", "the probe sends the body whole"),
    ("connection", "the probe manages the connection"),
    (
        "x-inngest-signature",
        "the probe signs a cell's request as its `sign` says",
    ),
];

/// A header a pipeline gives (first-party presentation, a cell's headers): a name of
/// token characters (RFC 9110), not one the probe sets itself, and a value without control
/// characters (a line break would split the request).
fn check_header(at: &str, name: &str, value: &str) -> Result<(), ParamError> {
    let bad = |message: String| ParamError {
        message,
        key: Some(name.to_string()),
    };
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if name.is_empty() || !name.chars().all(token) {
        return Err(bad(format!(
            "{at}: {name:?} is not a header name (letters, digits and !#$%&'*+-.^_`|~)"
        )));
    }
    if let Some((_, why)) = PROBE_HEADERS
        .iter()
        .find(|(h, _)| name.eq_ignore_ascii_case(h))
    {
        return Err(bad(format!("{at}: `{name}` cannot be set: {why}")));
    }
    if value.chars().any(|c| c.is_control() && c != '\t') {
        return Err(bad(format!(
            "{at}.{name}: the value has a control character (a line break would split the request)"
        )));
    }
    Ok(())
}

fn unlabeled() -> String {
    "unlabeled".into()
}

/// What a cell expects: a class or exact status codes.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(untagged)]
pub enum Expect {
    Class(String),
    Codes(Vec<u16>),
}

impl Expect {
    fn class(s: &str) -> Expect {
        Expect::Class(s.to_string())
    }

    fn validate(&self) -> Result<(), String> {
        match self {
            Expect::Class(c) if EXPECT_CLASSES.contains(&c.as_str()) => Ok(()),
            Expect::Class(c) => Err(format!(
                "unknown expectation {c:?} (known: {}, or a list of status codes)",
                EXPECT_CLASSES.join(", ")
            )),
            Expect::Codes(c) if c.is_empty() => Err("an empty list of status codes".into()),
            Expect::Codes(c) => match c.iter().find(|s| !(100..=599).contains(*s)) {
                Some(s) => Err(format!("{s} is not an HTTP status")),
                None => Ok(()),
            },
        }
    }

    fn matches(&self, status: u16) -> bool {
        self.matches_response(status, false)
    }

    /// `runtime_answered`: the response carries the ingress runtime's own mark (Inngest's
    /// `x-inngest-sdk` / `x-inngest-framework` header), i.e. it came from past the guard.
    fn matches_response(&self, status: u16, runtime_answered: bool) -> bool {
        match self {
            Expect::Codes(c) => c.contains(&status),
            Expect::Class(c) => match c.as_str() {
                "ok" => (200..300).contains(&status),
                "rejected" => status == 401 || status == 403,
                "not-found" => status == 404,
                // Not refused by the caller policy, not a crash, and not a redirect: the
                // probe follows no redirect, so a 3xx (e.g. to a login page) served nothing.
                "allowed" => {
                    status != 401 && status != 403 && !(300..400).contains(&status) && status < 500
                }
                // Allowed and routed: a 404 here means the family is not mounted (a declared
                // capability must differ from an undeclared one; a valid ingress must reach
                // dispatch), so it does not count.
                "served" => Expect::class("allowed").matches(status) && status != 404,
                // Past the guard and into the ingress runtime: not rejected, routed, not a
                // redirect; a 5xx only when the runtime itself answered (a correctly signed
                // request with a body that names no function fails there, after dispatch).
                "dispatched" => {
                    status != 401
                        && status != 403
                        && status != 404
                        && !(300..400).contains(&status)
                        && (status < 500 || runtime_answered)
                }
                _ => false,
            },
        }
    }

    fn describe(&self) -> String {
        match self {
            Expect::Codes(c) => c
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join(" or "),
            Expect::Class(c) => match c.as_str() {
                "ok" => "ok (2xx)".into(),
                "rejected" => "rejected (401/403)".into(),
                "not-found" => "not found (404)".into(),
                "allowed" => "allowed (not 401/403, not 3xx, not 5xx)".into(),
                "served" => "served (not 401/403, not 3xx, not 404, not 5xx)".into(),
                "dispatched" => "dispatched (past the guard: not 401/403, 3xx or 404; a 5xx only from the ingress runtime itself)".into(),
                other => other.to_string(),
            },
        }
    }
}

const EXPECT_CLASSES: &[&str] = &[
    "ok",
    "rejected",
    "not-found",
    "allowed",
    "served",
    "dispatched",
];
const CALLERS: &[&str] = &["first-party", "external", "unlabeled"];
const SIGNS: &[&str] = &["none", "valid", "forged", "expired"];

/// How a cell signs its ingress request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sign {
    None,
    Valid,
    Forged,
    Expired,
}

/// One request of the matrix and what must come back.
#[derive(Clone, Debug)]
struct Cell {
    id: String,
    caller: String,
    method: String,
    path: String,
    sign: Sign,
    body: Option<String>,
    /// Sent besides the caller's own headers (pipeline cells only).
    headers: Vec<(String, String)>,
    expect: Expect,
}

pub fn def() -> CheckDef {
    CheckDef {
        name: "route-probe",
        summary: "live probe of the host: caller × route family, signed/forged/expired ingress",
        capabilities: &[Capability::WorkTree, Capability::Service],
        rules: &[RULES],
        parts: None,
        aliases: &[],
        roles: no_roles,
        validate,
        run,
    }
}

/// Every rule of the route-probe check.
pub const RULES: &[Rule] = &[
    super::error(
        "route-probe-unexpected-status",
        "a cell's response status is not what the cell expects (e.g. an external caller got through /rpc, a forged or expired signature reached dispatch, an undeclared capability was served)",
        "make the host's route guards match SPEC §4: default-deny /rpc for anything but first-party callers, verify the ingress signature on the raw body before dispatch, resolve workflow capabilities from the manifest",
    ),
    super::error(
        "route-probe-no-response",
        "a cell's request got no response (refused, reset, or not within `request_timeout`)",
        "make the host answer every route family; a guard that crashes the connection or hangs serves nothing",
    ),
    super::error(
        "route-probe-host-not-ready",
        "the host the probe started exited, or did not answer 2xx on its readiness path in time, or exited while another process answered on its port",
        "make the host start with the gate's `start` (command, env, port variable) and answer its `ready_path`; its output is in the finding's help",
    ),
    super::error(
        "route-probe-host-entry-missing",
        "`start.command` names `{host}` but no host entry is found: `start.entry` does not exist, or no start/dev/serve script of the app names a module and no `src/index.ts`, `src/main.ts` or `src/server.ts` exists",
        "set `start.entry` in the gate's params to the module that starts the host",
    ),
    super::warning(
        "route-probe-no-signing-key",
        "no signing key is configured, so the expired and validly signed /api/inngest cells are not probed",
        "set `signing_key` (a test key) or `signing_key_env` in the gate's params",
    ),
    super::warning(
        "route-probe-no-declared-capability",
        "no declared-capability path is configured or derived from the manifest's `workflows.capabilities`, so the declared-capability cells are not probed",
        "set `workflow_declared` in the gate's params, or declare the capabilities in the manifest",
    ),
];

fn validate(table: &toml::Table) -> Result<(), ParamError> {
    let p: Params = parse_params(table)?;
    let bad = |key: &str, message: String| {
        Err(ParamError {
            message,
            key: Some(key.to_string()),
        })
    };
    if p.base_url.is_none() && p.start.is_none() {
        return bad(
            "base_url",
            "give `base_url`, or `start` to let the probe start the host".into(),
        );
    }
    if let Some(url) = &p.base_url {
        match parse_base_url(url) {
            Err(e) => return bad("base_url", e),
            Ok((host, _)) if !p.allow_remote && !is_loopback(&host) => {
                return bad(
                    "base_url",
                    format!(
                        "{url} is not a loopback address; the probe sends forged requests, so set `allow_remote = true` to probe it"
                    ),
                );
            }
            Ok(_) => {}
        }
    }
    if let Some(s) = &p.start {
        if s.command.is_empty() || s.command[0].trim().is_empty() {
            return bad("start", "`start.command` is empty".into());
        }
        if let Some(cwd) = &s.cwd
            && crate::fs::escapes(cwd)
        {
            return bad(
                "start",
                format!("start.cwd {cwd:?} must be inside the target repository"),
            );
        }
        if let Some(t) = &s.ready_timeout
            && humantime::parse_duration(t).is_err()
        {
            return bad(
                "start",
                format!("start.ready_timeout {t:?} is not a duration like \"60s\""),
            );
        }
    }
    if let Some(t) = &p.request_timeout
        && humantime::parse_duration(t).is_err()
    {
        return bad(
            "request_timeout",
            format!("{t:?} is not a duration like \"10s\""),
        );
    }
    let paths = [
        ("rpc_path", &p.rpc_path),
        ("orpc_path", &p.orpc_path),
        ("workflow_undeclared", &p.workflow_undeclared),
        ("inngest_path", &p.inngest_path),
    ];
    for (key, path) in paths
        .into_iter()
        .filter_map(|(k, p)| p.as_ref().map(|p| (k, p)))
        .chain(p.workflow_declared.iter().map(|p| ("workflow_declared", p)))
    {
        if !path.starts_with('/') {
            return bad(key, format!("{key}: path {path:?} must start with `/`"));
        }
    }
    let defaults: Vec<String> = default_cells(&p, &DefaultsCtx::placeholder())
        .into_iter()
        .map(|c| c.id)
        .collect();
    let skips = skip_entries(&p.skip)?;
    for s in &skips {
        if !defaults.contains(&s.cell) {
            return bad(
                "skip",
                format!(
                    "skip: no default cell `{}` (cells: {})",
                    s.cell,
                    defaults.join(", ")
                ),
            );
        }
    }
    // The key is the cell id, so the error points at the very entry.
    for (id, e) in &p.expect {
        if !defaults.contains(id) {
            return bad(
                id,
                format!(
                    "expect: no default cell `{id}` (cells: {})",
                    defaults.join(", ")
                ),
            );
        }
        if let Err(m) = e.validate() {
            return bad(id, format!("expect.{id}: {m}"));
        }
        if skips.iter().any(|s| s.cell == *id) {
            return bad(
                id,
                format!("expect.{id}: the cell is skipped (`skip`), so it has no expectation"),
            );
        }
    }
    if let Some(fp) = &p.first_party {
        if fp.headers.is_empty() {
            return bad(
                "first_party",
                "first_party.headers is empty: a caller presented with no header is an unlabeled one".into(),
            );
        }
        for (name, value) in &fp.headers {
            check_header("first_party.headers", name, value)?;
        }
    }
    for c in &p.cells {
        if defaults.contains(&c.id) || p.cells.iter().filter(|o| o.id == c.id).count() > 1 {
            return bad("cells", format!("cells: duplicate cell id `{}`", c.id));
        }
        if !CALLERS.contains(&c.caller.as_str()) {
            return bad(
                "cells",
                format!(
                    "cells.{}: caller {:?} is not one of {}",
                    c.id,
                    c.caller,
                    CALLERS.join(", ")
                ),
            );
        }
        if !matches!(
            c.method.as_str(),
            "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "HEAD" | "OPTIONS"
        ) {
            return bad(
                "cells",
                format!("cells.{}: unsupported method {:?}", c.id, c.method),
            );
        }
        if !c.path.starts_with('/') {
            return bad(
                "cells",
                format!("cells.{}: path {:?} must start with `/`", c.id, c.path),
            );
        }
        if let Some(s) = &c.sign
            && !SIGNS.contains(&s.as_str())
        {
            return bad(
                "cells",
                format!(
                    "cells.{}: sign {s:?} is not one of {}",
                    c.id,
                    SIGNS.join(", ")
                ),
            );
        }
        if let Err(m) = c.expect.validate() {
            return bad("cells", format!("cells.{}: {m}", c.id));
        }
        for (name, value) in &c.headers {
            check_header(&format!("cells.{}.headers", c.id), name, value)?;
        }
    }
    Ok(())
}

/// `http://host:port` → `(host, port)`; only plain HTTP (the probe talks to a local host).
fn parse_base_url(url: &str) -> Result<(String, u16), String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| format!("base_url {url:?} must start with http://"))?;
    let authority = rest.split('/').next().unwrap_or("");
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6
            .split_once(']')
            .ok_or_else(|| format!("base_url {url:?}: unterminated IPv6 address"))?;
        (h.to_string(), after.strip_prefix(':').unwrap_or(""))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p),
            None => (authority.to_string(), ""),
        }
    };
    if host.is_empty() {
        return Err(format!("base_url {url:?} has no host"));
    }
    let port = if port.is_empty() {
        80
    } else {
        port.parse::<u16>()
            .map_err(|_| format!("base_url {url:?}: {port:?} is not a port"))?
    };
    Ok((host, port))
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// What default cells depend on besides the params.
struct DefaultsCtx {
    has_key: bool,
}

impl DefaultsCtx {
    fn placeholder() -> DefaultsCtx {
        DefaultsCtx { has_key: true }
    }
}

/// The default matrix (SPEC §4), with the params' paths.
/// The ids of the default cells a gate with these params probes (before `skip`), a signing
/// key taken as given.
pub fn default_cell_ids(table: &toml::Table) -> Result<Vec<String>, ParamError> {
    let p: Params = parse_params(table)?;
    Ok(default_cells(&p, &DefaultsCtx { has_key: true })
        .into_iter()
        .map(|c| c.id)
        .collect())
}

fn default_cells(p: &Params, dc: &DefaultsCtx) -> Vec<Cell> {
    let rpc = p.rpc_path.clone().unwrap_or_else(|| "/rpc".into());
    let orpc = p.orpc_path.clone().unwrap_or_else(|| "/api/orpc".into());
    let inngest = p
        .inngest_path
        .clone()
        .unwrap_or_else(|| "/api/inngest".into());
    let undeclared = p
        .workflow_undeclared
        .clone()
        .unwrap_or_else(|| DEFAULT_UNDECLARED.into());
    let body = p
        .inngest_body
        .clone()
        .unwrap_or_else(|| DEFAULT_INGRESS_BODY.into());
    let mut cells = Vec::new();
    let mut cell = |id: String,
                    caller: &str,
                    method: &str,
                    path: &str,
                    sign: Sign,
                    body: Option<&str>,
                    expect: Expect| {
        cells.push(Cell {
            id,
            caller: caller.into(),
            method: method.into(),
            path: path.into(),
            sign,
            body: body.map(str::to_string),
            headers: Vec::new(),
            expect,
        });
    };
    for method in ["POST", "GET"] {
        for caller in CALLERS {
            let expect = if *caller == "first-party" {
                "allowed"
            } else {
                "rejected"
            };
            let body = (method == "POST").then_some("{}");
            cell(
                format!("rpc-{}-{caller}", method.to_lowercase()),
                caller,
                method,
                &rpc,
                Sign::None,
                body,
                Expect::class(expect),
            );
        }
    }
    for method in ["GET", "POST"] {
        for caller in CALLERS {
            let body = (method == "POST").then_some("{}");
            cell(
                format!("orpc-{}-{caller}", method.to_lowercase()),
                caller,
                method,
                &orpc,
                Sign::None,
                body,
                Expect::class("allowed"),
            );
        }
    }
    for (i, path) in p.workflow_declared.iter().enumerate() {
        for caller in ["first-party", "external"] {
            let id = if p.workflow_declared.len() == 1 {
                format!("workflows-declared-{caller}")
            } else {
                format!("workflows-declared-{}-{caller}", i + 1)
            };
            cell(
                id,
                caller,
                "GET",
                path,
                Sign::None,
                None,
                Expect::class("served"),
            );
        }
    }
    for caller in CALLERS {
        cell(
            format!("workflows-undeclared-{caller}"),
            caller,
            "GET",
            &undeclared,
            Sign::None,
            None,
            Expect::class("not-found"),
        );
    }
    cell(
        "inngest-unsigned".into(),
        "unlabeled",
        "POST",
        &inngest,
        Sign::None,
        Some(&body),
        Expect::class("rejected"),
    );
    cell(
        "inngest-forged".into(),
        "unlabeled",
        "POST",
        &inngest,
        Sign::Forged,
        Some(&body),
        Expect::class("rejected"),
    );
    if dc.has_key {
        cell(
            "inngest-expired".into(),
            "unlabeled",
            "POST",
            &inngest,
            Sign::Expired,
            Some(&body),
            Expect::class("rejected"),
        );
        cell(
            "inngest-valid".into(),
            "unlabeled",
            "POST",
            &inngest,
            Sign::Valid,
            Some(&body),
            Expect::class("dispatched"),
        );
    }
    for caller in ["first-party", "external"] {
        cell(
            format!("inngest-caller-{caller}"),
            caller,
            "POST",
            &inngest,
            Sign::None,
            Some(&body),
            Expect::class("rejected"),
        );
    }
    cells
}

fn parse_sign(s: Option<&str>) -> Sign {
    match s {
        Some("valid") => Sign::Valid,
        Some("forged") => Sign::Forged,
        Some("expired") => Sign::Expired,
        _ => Sign::None,
    }
}

/// The outcome of probing one cell.
#[derive(Debug)]
struct Probed {
    status: Option<u16>,
    error: Option<String>,
    body_head: String,
    /// The response carries the ingress runtime's header (`x-inngest-sdk`/`-framework`).
    runtime_answered: bool,
}

fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let mut p: Params = ctx.params()?;
    let mut out = CheckOutput::default();
    derive_paths(ctx.repo, &mut p, &mut out);
    let tc = Toolchain::detect(ctx.repo);
    if let Some(start) = &mut p.start {
        let host = if start.command.iter().any(|a| a == "{host}") {
            let app_dir = start.app_dir.as_deref().unwrap_or("apps/server");
            match host_entry(ctx.repo, &tc, app_dir, start.entry.as_deref()) {
                Ok(h) => {
                    out.notes.push(format!(
                        "host entry {} ({}; {} from {})",
                        h.entry,
                        h.evidence,
                        tc.pm.name(),
                        tc.evidence
                    ));
                    Some(h.argv)
                }
                Err(e) => {
                    out.findings.push(
                        Finding::general("route-probe-host-entry-missing", e)
                            .with_help("set `start.entry` in the gate's params"),
                    );
                    return Ok(out);
                }
            }
        } else {
            None
        };
        start.command = tc.expand(&start.command, host.as_deref());
        tc.ensure_available(&start.command)?;
    }
    let key = match (&p.signing_key, &p.signing_key_env) {
        (Some(k), _) => Some(k.clone()),
        (None, Some(var)) => crate::fs::record::env_var(var).filter(|k| !k.is_empty()),
        // A host the probe starts itself gets its key from `start.env`: use the same one.
        (None, None) => p
            .start
            .as_ref()
            .and_then(|s| s.env.get("INNGEST_SIGNING_KEY"))
            .cloned(),
    };
    if key.is_none() {
        out.findings.push(
            Finding::general(
                "route-probe-no-signing-key",
                "no signing key configured: the expired and validly signed /api/inngest cells cannot be probed",
            )
            .with_severity(Severity::Warning)
            .with_help("set `signing_key` (a test key) or `signing_key_env` in the gate's params"),
        );
    }
    if p.workflow_declared.is_empty() {
        out.findings.push(
            Finding::general(
                "route-probe-no-declared-capability",
                "no `workflow_declared` path configured: the declared-capability cells are not probed",
            )
            .with_severity(Severity::Warning),
        );
    }
    let skips = skip_entries(&p.skip).map_err(|e| GateError::msg(e.message))?;
    let mut cells = Vec::new();
    let mut skipped = 0;
    for mut c in default_cells(
        &p,
        &DefaultsCtx {
            has_key: key.is_some(),
        },
    ) {
        if let Some(s) = skips.iter().find(|s| s.cell == c.id) {
            out.notes.push(format!(
                "skipped cell `{}` ({} {} {}): {}",
                c.id,
                c.caller,
                c.method,
                c.path,
                s.reason.as_deref().unwrap_or("no reason given")
            ));
            skipped += 1;
            continue;
        }
        if let Some(e) = p.expect.get(&c.id) {
            c.expect = e.clone();
        }
        cells.push(c);
    }
    for c in &p.cells {
        cells.push(Cell {
            id: c.id.clone(),
            caller: c.caller.clone(),
            method: c.method.clone(),
            path: c.path.clone(),
            sign: parse_sign(c.sign.as_deref()),
            body: c.body.clone(),
            headers: c
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            expect: c.expect.clone(),
        });
    }
    // Nothing left to probe proves nothing about the host's routes.
    if cells.is_empty() {
        return Err(GateError::msg(
            "no cell is left to probe (every default cell skipped and no `cells` added): the gate would judge nothing",
        ));
    }
    if key.is_none()
        && cells
            .iter()
            .any(|c| matches!(c.sign, Sign::Valid | Sign::Expired))
    {
        return Err(GateError::msg(
            "a cell signs its request but no signing key is configured (`signing_key` or `signing_key_env`)",
        ));
    }

    // The host: started here (torn down when `host` drops) or already running.
    let mut host: Option<Service> = None;
    let base_url = match &p.start {
        None => p.base_url.clone().expect("validated: base_url or start"),
        Some(s) => {
            let (base, port) = match &p.base_url {
                Some(u) => {
                    let (h, port) = parse_base_url(u).map_err(GateError::msg)?;
                    if service::port_in_use(&h, port) {
                        return Err(GateError::msg(format!(
                            "something already listens on {u}; the probe would test it instead of the host it starts"
                        )));
                    }
                    (u.trim_end_matches('/').to_string(), port)
                }
                None => {
                    let port = service::free_loopback_port()?;
                    (format!("http://127.0.0.1:{port}"), port)
                }
            };
            let cwd = resolve_inside(ctx.repo, s.cwd.as_deref().unwrap_or("."))?;
            let mut env: Vec<(String, String)> =
                s.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            env.push((
                s.port_env.clone().unwrap_or_else(|| "PORT".into()),
                port.to_string(),
            ));
            let ready_timeout = s
                .ready_timeout
                .as_deref()
                .map(|t| humantime::parse_duration(t).expect("validated"))
                .unwrap_or(Duration::from_secs(60))
                .min(
                    ctx.pipeline
                        .gates
                        .get(ctx.gate_id)
                        .map(|g| g.timeout)
                        .unwrap_or(Duration::MAX),
                );
            let ready_url = format!("{base}{}", s.ready_path.as_deref().unwrap_or("/health"));
            let mut svc = Service::start(&s.command, &cwd, &env)?;
            let agent = agent(Duration::from_secs(2));
            let waited =
                svc.wait_ready(ready_timeout, ctx.cancel, || agent.answers_2xx(&ready_url));
            match waited {
                Ok(d) => out.notes.push(format!(
                    "started `{}` (pid {}), ready at {ready_url} after {} ms",
                    s.command.join(" "),
                    svc.pid(),
                    d.as_millis()
                )),
                Err(e) => {
                    let tail = svc.stop();
                    let why = match e {
                        WaitError::Exited(code) => format!(
                            "exited ({}) before {ready_url} answered",
                            code.map(|c| format!("status {c}"))
                                .unwrap_or_else(|| "killed by a signal".into())
                        ),
                        WaitError::TimedOut => format!(
                            "did not answer 2xx on {ready_url} within {}",
                            humantime::format_duration(ready_timeout)
                        ),
                        WaitError::Cancelled => {
                            return Err(GateError::msg("interrupted while waiting for the host"));
                        }
                    };
                    out.findings.push(
                        Finding::general(
                            "route-probe-host-not-ready",
                            format!("the host `{}` {why}", s.command.join(" ")),
                        )
                        .with_help(tail),
                    );
                    return Ok(out);
                }
            }
            // Something else answering on the port while the started host died (it lost the
            // port race) must not be probed in its place.
            if let Some(code) = svc.exited() {
                let tail = svc.stop();
                out.findings.push(
                    Finding::general(
                        "route-probe-host-not-ready",
                        format!(
                            "the host `{}` exited ({code:?}) although {base} answered: another process holds the port",
                            s.command.join(" ")
                        ),
                    )
                    .with_help(tail),
                );
                return Ok(out);
            }
            host = Some(svc);
            base
        }
    };

    let timeout = p
        .request_timeout
        .as_deref()
        .map(|t| humantime::parse_duration(t).expect("validated"))
        .unwrap_or(Duration::from_secs(10));
    let agent = agent(timeout);
    let callers = Callers::new(&p);
    if let Some(fp) = &p.first_party {
        out.notes.push(format!(
            "first-party callers presented with {}",
            describe_headers(fp.headers.iter())
        ));
    }
    let start = Instant::now();
    let mut requests = 0usize;
    let mut failed = 0usize;
    for cell in &cells {
        if ctx.cancelled() {
            return Err(GateError::msg("interrupted during the probe"));
        }
        let probed = probe(&agent, &base_url, &callers, key.as_deref(), cell);
        requests += 1;
        let ok = probed
            .status
            .is_some_and(|s| cell.expect.matches_response(s, probed.runtime_answered));
        if !ok {
            failed += 1;
            out.findings.push(cell_finding(cell, &probed));
        }
    }
    let elapsed = start.elapsed();
    if let Some(mut h) = host.take() {
        if let Some(code) = h.exited() {
            out.notes
                .push(format!("the host exited during the probe ({code:?})"));
        }
        let tail = h.stop();
        if failed > 0 && !tail.trim().is_empty() {
            out.notes.push(format!("host output (tail):\n{tail}"));
        }
    }
    let skipped = match skipped {
        0 => String::new(),
        1 => "; 1 cell skipped".into(),
        n => format!("; {n} cells skipped"),
    };
    out.notes.push(format!(
        "probed {requests} cells against {base_url}: {} as expected, {failed} not; {requests} requests in {} ms{skipped}",
        requests - failed,
        elapsed.as_millis()
    ));
    Ok(out)
}

/// What every probe request is sent with: no proxy (the probe talks to the local host only;
/// the client has no proxy support), no redirect followed, the whole request bounded by
/// `timeout` (whole seconds, rounded up).
#[derive(Debug, Clone, Copy)]
struct Agent {
    timeout_secs: u64,
}

impl Agent {
    /// Whether a GET of `url` answers 2xx.
    fn answers_2xx(&self, url: &str) -> bool {
        minreq::get(url)
            .with_follow_redirects(false)
            .with_timeout(self.timeout_secs)
            .send_lazy()
            .is_ok_and(|r| (200..300).contains(&r.status_code))
    }
}

fn agent(timeout: Duration) -> Agent {
    Agent {
        timeout_secs: timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0),
    }
}

/// How each caller presents itself: first-party with the pipeline's `first_party.headers`
/// (default: the caller header alone), external with the caller header, unlabeled with none.
struct Callers {
    caller_header: String,
    first_party: Option<Vec<(String, String)>>,
}

impl Callers {
    fn new(p: &Params) -> Callers {
        Callers {
            caller_header: p
                .caller_header
                .clone()
                .unwrap_or_else(|| DEFAULT_CALLER_HEADER.into()),
            first_party: p.first_party.as_ref().map(|fp| {
                fp.headers
                    .iter()
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect()
            }),
        }
    }

    /// The headers of `cell`'s request besides the signature and content type: its caller's,
    /// then its own (a same-named one, in any case, replaces the caller's).
    fn headers(&self, cell: &Cell) -> Vec<(String, String)> {
        let mut headers = match (cell.caller.as_str(), &self.first_party) {
            ("unlabeled", _) => Vec::new(),
            ("first-party", Some(fp)) => fp.clone(),
            (caller, _) => vec![(self.caller_header.clone(), caller.to_string())],
        };
        for (k, v) in &cell.headers {
            headers.retain(|(h, _)| !h.eq_ignore_ascii_case(k));
            headers.push((k.clone(), v.clone()));
        }
        headers
    }
}

/// `a: 1, b: 2`, for notes and findings.
fn describe_headers<'a>(headers: impl Iterator<Item = (&'a String, &'a String)>) -> String {
    headers
        .map(|(k, v)| format!("{k}: {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn probe(agent: &Agent, base: &str, callers: &Callers, key: Option<&str>, cell: &Cell) -> Probed {
    let url = format!("{}{}", base.trim_end_matches('/'), cell.path);
    let body = cell.body.clone().unwrap_or_default();
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let signature = match cell.sign {
        Sign::None => None,
        Sign::Valid => key.map(|k| signature_header(k, body.as_bytes(), now)),
        Sign::Expired => {
            key.map(|k| signature_header(k, body.as_bytes(), now - EXPIRED_BY.as_secs()))
        }
        Sign::Forged => Some(signature_header(FORGERY_KEY, body.as_bytes(), now)),
    };
    let method = match cell.method.to_ascii_uppercase().as_str() {
        "GET" => minreq::Method::Get,
        "HEAD" => minreq::Method::Head,
        "POST" => minreq::Method::Post,
        "PUT" => minreq::Method::Put,
        "DELETE" => minreq::Method::Delete,
        "OPTIONS" => minreq::Method::Options,
        "PATCH" => minreq::Method::Patch,
        other => minreq::Method::Custom(other.to_string()),
    };
    let mut req = minreq::Request::new(method, url)
        .with_follow_redirects(false)
        .with_timeout(agent.timeout_secs);
    let headers = callers.headers(cell);
    let has_content_type = headers
        .iter()
        .any(|(h, _)| h.eq_ignore_ascii_case("content-type"));
    for (name, value) in headers {
        req = req.with_header(name, value);
    }
    if let Some(sig) = &signature {
        req = req.with_header(SIGNATURE_HEADER, sig.as_str());
    }
    if cell.body.is_some() && !has_content_type {
        req = req.with_header("content-type", "application/json");
    }
    match req.with_body(body.into_bytes()).send_lazy() {
        Ok(resp) => {
            let runtime_answered = resp
                .headers
                .iter()
                .any(|(name, _)| RUNTIME_HEADERS.iter().any(|h| name.eq_ignore_ascii_case(h)));
            let status = resp.status_code;
            let mut head = Vec::new();
            let _ = resp.take(400).read_to_end(&mut head);
            Probed {
                status: Some(status),
                error: None,
                body_head: String::from_utf8_lossy(&head).into_owned(),
                runtime_answered,
            }
        }
        Err(e) => Probed {
            status: None,
            error: Some(e.to_string()),
            body_head: String::new(),
            runtime_answered: false,
        },
    }
}

fn cell_finding(cell: &Cell, probed: &Probed) -> Finding {
    let sign = match cell.sign {
        Sign::None => "",
        Sign::Valid => " validly signed",
        Sign::Forged => " with a forged signature",
        Sign::Expired => " with an expired signature",
    };
    let got = match (probed.status, &probed.error) {
        (Some(s), _) => s.to_string(),
        (None, Some(e)) => format!("no response ({e})"),
        (None, None) => "no response".into(),
    };
    let rule = if probed.status.is_some() {
        "route-probe-unexpected-status"
    } else {
        "route-probe-no-response"
    };
    let with = if cell.headers.is_empty() {
        String::new()
    } else {
        format!(
            " with {}",
            describe_headers(cell.headers.iter().map(|(k, v)| (k, v)))
        )
    };
    let mut f = Finding::general(
        rule,
        format!(
            "cell `{}`: {} {} {}{with}{sign}: expected {}, got {got}",
            cell.id,
            cell.caller,
            cell.method,
            cell.path,
            cell.expect.describe()
        ),
    );
    if !probed.body_head.trim().is_empty() {
        f = f.with_help(format!("response body: {}", probed.body_head.trim()));
    }
    f
}

/// Fills `workflow_declared` and `orpc_path` from the target when the params leave them
/// out (see the module doc), saying so in the notes.
fn derive_paths(repo: &Path, p: &mut Params, out: &mut CheckOutput) {
    if !p.workflow_declared.is_empty() && p.orpc_path.is_some() {
        return;
    }
    let routes = get_routes(repo);
    if p.workflow_declared.is_empty() {
        let manifest = p.manifest.as_deref().unwrap_or("rawr.hq.ts");
        let caps = super::manifest_smoke::declared_capabilities(repo, manifest, "rawrHqManifest");
        for (cap, seg) in caps {
            let route = routes
                .iter()
                .find(|(r, _)| *r == seg || r.starts_with(&format!("{seg}/")));
            let path = format!(
                "/api/workflows{}",
                route.map(|(r, _)| r.as_str()).unwrap_or(&seg)
            );
            out.notes.push(match route {
                Some((_, at)) => format!(
                    "declared capability `{cap}` ({manifest}) probed at {path} (a GET route at {at})"
                ),
                None => format!(
                    "declared capability `{cap}` ({manifest}) probed at {path} (no GET route below it found)"
                ),
            });
            p.workflow_declared.push(path);
        }
    }
    if p.orpc_path.is_none()
        && let Some((r, at)) = routes.first()
    {
        let path = format!("/api/orpc{r}");
        out.notes
            .push(format!("orpc path {path} (the GET route at {at})"));
        p.orpc_path = Some(path);
    }
}

/// GET routes without path parameters that the target's active sources declare as object
/// literals (`{ method: "GET", path: "/a/b" }`, oRPC's `.route(...)` shape), with where
/// (`file:line`), in file order. Tests, fixtures, docs, archives and dependencies are skipped.
fn get_routes(repo: &Path) -> Vec<(String, String)> {
    use oxc_ast::AstKind;
    use oxc_ast::ast::{Expression, ObjectPropertyKind};
    use oxc_ast_visit::Visit;
    let skip = [
        "test",
        "tests",
        "__tests__",
        "fixtures",
        "docs",
        "_archive",
        "dist",
    ];
    let mut files = Vec::new();
    for e in gates_core::fs::probe::walk(
        ignore::WalkBuilder::new(repo)
            .hidden(true)
            .require_git(false)
            .filter_entry(move |e| {
                let n = e.file_name().to_string_lossy();
                n != "node_modules" && !skip.contains(&n.as_ref())
            }),
        repo,
    )
    .flatten()
    {
        let path = e.path();
        let ext = path.extension().and_then(|x| x.to_str()).unwrap_or("");
        if !matches!(ext, "ts" | "mts" | "js" | "mjs") || path.to_string_lossy().ends_with(".d.ts")
        {
            continue;
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy())
            .unwrap_or_default();
        if name.contains(".test.") || name.contains(".spec.") {
            continue;
        }
        files.push(path.to_path_buf());
    }
    files.sort();
    struct V<'s> {
        found: Vec<(u32, String)>,
        _s: std::marker::PhantomData<&'s ()>,
    }
    fn str_prop(o: &oxc_ast::ast::ObjectExpression, key: &str) -> Option<String> {
        o.properties.iter().find_map(|p| match p {
            ObjectPropertyKind::ObjectProperty(p)
                if p.key.static_name().as_deref() == Some(key) =>
            {
                match p.value.get_inner_expression() {
                    Expression::StringLiteral(s) => Some(s.value.to_string()),
                    _ => None,
                }
            }
            _ => None,
        })
    }
    impl<'a> Visit<'a> for V<'_> {
        fn enter_node(&mut self, kind: AstKind<'a>) {
            if let AstKind::ObjectExpression(o) = kind
                && str_prop(o, "method").is_some_and(|m| m.eq_ignore_ascii_case("GET"))
                && let Some(path) = str_prop(o, "path")
                && path.starts_with('/')
                && !path.contains(['{', ':', '*'])
            {
                self.found.push((o.span.start, path));
            }
        }
    }
    let mut out = Vec::new();
    for f in files {
        let Ok(bytes) = crate::fs::careful::read(&f) else {
            continue;
        };
        if memchr::memmem::find(&bytes, b"GET").is_none() {
            continue;
        }
        let Ok(src) = crate::fs::source::read(repo, &f) else {
            continue;
        };
        let alloc = oxc_allocator::Allocator::default();
        let parsed = crate::repo::ts::parse(&alloc, &src);
        if parsed.panicked {
            continue;
        }
        let mut v = V {
            found: Vec::new(),
            _s: std::marker::PhantomData,
        };
        v.visit_program(&parsed.program);
        for (offset, path) in v.found {
            let line = src.text[..offset as usize].matches('\n').count() + 1;
            out.push((path, format!("{}:{line}", src.rel)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Computed independently with
    /// `printf '%s%s' '{"event":{"name":"rawr/probe","data":{}}}' 1700000000 | openssl dgst -sha256 -hmac 8f3c2a1b9d7e6f5a4c3b2a1908f7e6d5`.
    #[test]
    fn signature_matches_an_independently_computed_vector() {
        let key = "signkey-test-8f3c2a1b9d7e6f5a4c3b2a1908f7e6d5";
        assert_eq!(signing_key_text(key), "8f3c2a1b9d7e6f5a4c3b2a1908f7e6d5");
        assert_eq!(
            inngest_signature(
                key,
                br#"{"event":{"name":"rawr/probe","data":{}}}"#,
                1_700_000_000
            ),
            "9cc17ca29e77e6216b544d10c6b119f5db4540e340c7f0e93ebe8b7ea364dcae"
        );
        assert_eq!(signing_key_text("plain"), "plain");
    }

    #[test]
    fn base_urls_and_loopback() {
        assert_eq!(
            parse_base_url("http://127.0.0.1:4317"),
            Ok(("127.0.0.1".into(), 4317))
        );
        assert_eq!(parse_base_url("http://[::1]:80/x"), Ok(("::1".into(), 80)));
        assert_eq!(
            parse_base_url("http://localhost"),
            Ok(("localhost".into(), 80))
        );
        assert!(parse_base_url("https://x").is_err());
        assert!(parse_base_url("http://h:99999").is_err());
        assert!(is_loopback("127.0.0.2") && is_loopback("::1") && is_loopback("LOCALHOST"));
        assert!(!is_loopback("10.0.0.1") && !is_loopback("example.com"));
    }

    #[test]
    fn expectations() {
        let e = Expect::class("rejected");
        assert!(e.matches(401) && e.matches(403) && !e.matches(200) && !e.matches(500));
        let a = Expect::class("allowed");
        assert!(a.matches(200) && a.matches(404) && !a.matches(403) && !a.matches(500));
        assert!(!a.matches(302) && !a.matches(307));
        let s = Expect::class("served");
        assert!(s.matches(200) && s.matches(202) && !s.matches(404) && !s.matches(302));
        assert!(!s.matches(401) && !s.matches(500));
        assert!(Expect::Codes(vec![202]).matches(202));
        assert!(Expect::class("nope").validate().is_err());
        assert!(Expect::Codes(vec![]).validate().is_err());
    }

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let t = tempfile::tempdir().unwrap();
        for (p, text) in files {
            let p = t.path().join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        t
    }

    fn params(toml_text: &str) -> Params {
        toml::from_str(toml_text).unwrap()
    }

    #[test]
    fn probe_paths_come_from_the_manifest_and_the_declared_routes() {
        // The capability's prefix is `/coordination`; the contract declares a GET route
        // below it (and one with a path parameter, and a POST, which are not probed); a test
        // file's route is not the target's.
        let t = tree(&[
            (
                "rawr.hq.ts",
                "export const rawrHqManifest = {\n  workflows: { capabilities: { coordination: { pathPrefix: \"/coordination\" } } },\n};\n",
            ),
            (
                "packages/coordination/src/contract.ts",
                "export const c = {\n  run: route({ method: \"POST\", path: \"/coordination/run\" }),\n  one: route({ method: \"GET\", path: \"/coordination/workflows/{id}\" }),\n  list: route({ method: \"GET\", path: \"/coordination/workflows\" }),\n};\n",
            ),
            (
                "packages/coordination/test/contract.test.ts",
                "const x = { method: \"GET\", path: \"/aaa\" };\n",
            ),
        ]);
        let mut p = params("");
        let mut out = CheckOutput::default();
        derive_paths(t.path(), &mut p, &mut out);
        assert_eq!(
            p.workflow_declared,
            ["/api/workflows/coordination/workflows"]
        );
        assert_eq!(
            p.orpc_path.as_deref(),
            Some("/api/orpc/coordination/workflows")
        );
        assert_eq!(
            out.notes,
            [
                "declared capability `coordination` (rawr.hq.ts) probed at /api/workflows/coordination/workflows (a GET route at packages/coordination/src/contract.ts:4)",
                "orpc path /api/orpc/coordination/workflows (the GET route at packages/coordination/src/contract.ts:4)",
            ]
        );
    }

    #[test]
    fn without_routes_the_prefixes_are_probed_and_configured_paths_win() {
        let t = tree(&[(
            "rawr.hq.ts",
            "const capabilities = { support: { pathPrefix: \"/api/workflows/support\" } } as const;\nexport const rawrHqManifest = { workflows: { capabilities } };\n",
        )]);
        let mut p = params("");
        let mut out = CheckOutput::default();
        derive_paths(t.path(), &mut p, &mut out);
        assert_eq!(p.workflow_declared, ["/api/workflows/support"]);
        assert_eq!(p.orpc_path, None);
        let mut p =
            params("workflow_declared = [\"/api/workflows/x/y\"]\norpc_path = \"/api/orpc/a\"");
        let mut out = CheckOutput::default();
        derive_paths(t.path(), &mut p, &mut out);
        assert_eq!(p.workflow_declared, ["/api/workflows/x/y"]);
        assert!(out.notes.is_empty());
        // No manifest (before A4): no declared-capability cells.
        let t = tree(&[]);
        let mut p = params("");
        derive_paths(t.path(), &mut p, &mut CheckOutput::default());
        assert!(p.workflow_declared.is_empty());
    }

    #[test]
    fn dispatched_needs_the_runtime_mark_on_a_5xx() {
        let d = Expect::class("dispatched");
        assert!(d.matches_response(200, false) && d.matches_response(202, false));
        assert!(d.matches_response(400, false));
        assert!(d.matches_response(500, true));
        assert!(!d.matches_response(500, false));
        assert!(!d.matches_response(401, true) && !d.matches_response(403, false));
        assert!(!d.matches_response(404, true) && !d.matches_response(302, false));
    }
}

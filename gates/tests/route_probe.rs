//! The route probe against live hosts: small HTTP servers on 127.0.0.1 started by the tests,
//! one that follows SPEC §4 and one per shipped bug (an external POST to `/rpc` answered 200;
//! a forged ingress signature reached dispatch and crashed it with 500), plus a host the probe
//! starts itself (a Node script) to check readiness and process-group teardown.
//!
//! The test servers verify ingress signatures with the hmac crate directly, not with the
//! probe's signing code, so a wrong signature computation in the probe fails the reference
//! host's `inngest-valid` cell.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, SystemTime};

use crate::one_slice;

use gates::Severity;
use gates::run::{GateResult, Status, executor};

const KEY: &str = "signkey-test-8f3c2a1b9d7e6f5a4c3b2a1908f7e6d5";

#[derive(Clone, Copy, PartialEq, Eq)]
enum Bug {
    None,
    /// `/rpc` lets external callers through.
    RpcOpenToExternal,
    /// The ingress guard only checks that a signature header is present; the runtime then
    /// fails on requests it cannot trust (500).
    IngressHeaderPresenceOnly,
    /// First-party `/rpc` callers are redirected (302) to a login page instead of served.
    RpcRedirectsFirstParty,
    /// Neither workflows nor ingress dispatch is mounted: every `/api/workflows/*` is 404, and
    /// a guard in front of `/api/inngest` rejects bad signatures but passes valid ones on to
    /// nothing (404).
    WorkflowsAndIngressUnmounted,
    /// Not a bug: like a real Inngest serve handler, dispatch answers the probe's generic
    /// body (which names no function) with 500 and marks the answer with `x-inngest-sdk`.
    DispatchAnswersProbeBody500,
    /// The guard crashes on a valid signature (500, no runtime mark): never dispatched.
    GuardCrashesOnValid,
    /// Not a bug: like the host from Phase B on (its `/rpc` guard, written here from the
    /// host's caller classes), a first-party `/rpc` caller needs an affirmative
    /// `x-rawr-session-auth` beside its label (the label alone is unlabeled: 403); `internal`
    /// and `trusted-service` need `x-rawr-service-auth`; runtime ingress never passes; there
    /// is no `/rpc/workflows` family (404 past the guard).
    SessionEvidence,
    /// As `SessionEvidence`, but a `rawr-session=` cookie also counts as a session and a
    /// `bearer svc_` authorization as a service (the heuristics a review found spoofable and
    /// the host later removed).
    SessionHeuristics,
}

struct TestHost {
    port: u16,
    requests: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

impl Drop for TestHost {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn start_host(bug: Bug) -> TestHost {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (r, s) = (requests.clone(), stop.clone());
    thread::spawn(move || {
        for conn in listener.incoming() {
            if s.load(Ordering::SeqCst) {
                break;
            }
            if let Ok(conn) = conn {
                r.fetch_add(1, Ordering::SeqCst);
                let _ = serve(conn, bug);
            }
        }
    });
    TestHost {
        port,
        requests,
        stop,
    }
}

fn serve(mut conn: TcpStream, bug: Bug) -> std::io::Result<()> {
    conn.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let mut parts = line.split_whitespace();
    let (method, target) = (
        parts.next().unwrap_or("").to_string(),
        parts.next().unwrap_or("").to_string(),
    );
    let mut headers = HashMap::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.insert(k.trim().to_ascii_lowercase(), v.trim().to_string());
        }
    }
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    reader.read_exact(&mut body)?;
    let status = route(bug, &method, &target, &headers, &body);
    let text = format!("{{\"status\":{status}}}");
    // Only the ingress runtime marks its answers (as Inngest's serve handler does).
    let mark = if bug == Bug::DispatchAnswersProbeBody500 && status == 500 {
        "x-inngest-sdk: inngest-js:v3\r\n"
    } else {
        ""
    };
    write!(
        conn,
        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{mark}content-length: {}\r\nconnection: close\r\n\r\n{text}",
        text.len()
    )?;
    conn.flush()
}

fn route(bug: Bug, _method: &str, target: &str, h: &HashMap<String, String>, body: &[u8]) -> u16 {
    let path = target.split('?').next().unwrap_or("");
    let caller = h.get("x-rawr-caller-surface").map(String::as_str);
    if path == "/health" {
        return 200;
    }
    if (path == "/rpc" || path.starts_with("/rpc/"))
        && matches!(bug, Bug::SessionEvidence | Bug::SessionHeuristics)
    {
        let heuristics = bug == Bug::SessionHeuristics;
        let says = |name: &str| {
            h.get(name).is_some_and(|v| {
                ["1", "true", "yes", "valid", "verified", "trusted"]
                    .contains(&v.to_ascii_lowercase().as_str())
            })
        };
        let session = says("x-rawr-session-auth")
            || (heuristics && h.get("cookie").is_some_and(|c| c.contains("rawr-session=")));
        let service = says("x-rawr-service-auth")
            || (heuristics
                && h.get("authorization")
                    .is_some_and(|a| a.to_ascii_lowercase().starts_with("bearer svc_")));
        let allowed = match caller {
            Some("first-party") => session,
            Some("internal" | "trusted-service") => service,
            Some("cli") => says("x-rawr-cli-auth"),
            _ => false,
        };
        return match allowed {
            false => 403,
            true if path.starts_with("/rpc/workflows/") => 404,
            true => 200,
        };
    }
    if path == "/rpc" || path.starts_with("/rpc/") {
        let open = caller == Some("first-party")
            || (bug == Bug::RpcOpenToExternal && caller == Some("external"));
        if open && bug == Bug::RpcRedirectsFirstParty {
            return 302;
        }
        return if open { 200 } else { 403 };
    }
    if path.starts_with("/api/orpc/") {
        return if path == "/api/orpc/hq/health" {
            200
        } else {
            404
        };
    }
    if let Some(rest) = path.strip_prefix("/api/workflows/") {
        return if rest.split('/').next() == Some("support")
            && bug != Bug::WorkflowsAndIngressUnmounted
        {
            200
        } else {
            404
        };
    }
    if path == "/api/inngest" {
        let header = h.get("x-inngest-signature");
        let valid = header.is_some_and(|s| verify(s, body));
        return match bug {
            Bug::IngressHeaderPresenceOnly if header.is_some() => {
                if valid {
                    200
                } else {
                    500
                }
            }
            Bug::WorkflowsAndIngressUnmounted if valid => 404,
            Bug::DispatchAnswersProbeBody500 | Bug::GuardCrashesOnValid if valid => 500,
            _ if valid => 200,
            _ => 401,
        };
    }
    404
}

/// The host side of SPEC §4, written against the hmac crate directly.
fn verify(header: &str, body: &[u8]) -> bool {
    let mut t = None;
    let mut s = None;
    for pair in header.split('&') {
        match pair.split_once('=') {
            Some(("t", v)) => t = v.parse::<u64>().ok(),
            Some(("s", v)) => s = Some(v.to_string()),
            _ => {}
        }
    }
    let (Some(t), Some(s)) = (t, s) else {
        return false;
    };
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    if now.saturating_sub(t) > 300 {
        return false;
    }
    let mut mac = hmac_sha256::HMAC::new(b"8f3c2a1b9d7e6f5a4c3b2a1908f7e6d5");
    mac.update(body);
    mac.update(t.to_string().as_bytes());
    let expected: String = mac.finalize().iter().map(|b| format!("{b:02x}")).collect();
    expected == s.to_ascii_lowercase()
}

fn pipeline_with(gate_body: &str) -> gates::pipeline::Pipeline {
    one_slice::pipeline(
        &["route-probe"],
        &format!("[gate.route-probe]\ncheck = \"route-probe\"\ntimeout = \"2m\"\n{gate_body}\n"),
    )
}

fn run_in(repo: &Path, gate_body: &str) -> GateResult {
    let p = pipeline_with(gate_body);
    let g = &p.gates["route-probe"];
    executor::run_gate(
        &p,
        g,
        repo,
        &repo.join("pass"),
        &AtomicBool::new(false),
        None,
    )
}

fn probe(port: u16) -> GateResult {
    let dir = tempfile::tempdir().unwrap();
    run_in(dir.path(), &params_for(&format!("http://127.0.0.1:{port}")))
}

fn params_for(base_url: &str) -> String {
    format!(
        r#"[gate.route-probe.params]
base_url = "{base_url}"
rpc_path = "/rpc/hq/health"
orpc_path = "/api/orpc/hq/health"
workflow_declared = ["/api/workflows/support"]
signing_key = "{KEY}"
"#
    )
}

fn messages(r: &GateResult) -> Vec<(String, String)> {
    r.findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| (f.rule.clone(), f.message.clone()))
        .collect()
}

fn summary_note(r: &GateResult) -> &str {
    r.notes
        .iter()
        .find(|n| n.starts_with("probed "))
        .map(String::as_str)
        .unwrap_or("")
}

#[test]
fn a_reference_host_passes_every_cell() {
    let host = start_host(Bug::None);
    let r = probe(host.port);
    assert_eq!(r.status, Status::Passed, "{r:#?}");
    assert!(r.findings.is_empty(), "{:#?}", r.findings);
    assert!(
        summary_note(&r).starts_with("probed 23 cells against http://127.0.0.1:"),
        "{:?}",
        r.notes
    );
    assert!(summary_note(&r).contains("23 as expected, 0 not"));
    assert_eq!(host.requests.load(Ordering::SeqCst), 23);
}

#[test]
fn an_rpc_open_to_external_callers_is_named_by_cell() {
    let host = start_host(Bug::RpcOpenToExternal);
    let r = probe(host.port);
    assert_eq!(r.status, Status::Failed);
    assert_eq!(
        messages(&r),
        vec![
            (
                "route-probe-unexpected-status".to_string(),
                "cell `rpc-get-external`: external GET /rpc/hq/health: expected rejected (401/403), got 200".to_string()
            ),
            (
                "route-probe-unexpected-status".to_string(),
                "cell `rpc-post-external`: external POST /rpc/hq/health: expected rejected (401/403), got 200".to_string()
            ),
        ]
    );
}

#[test]
fn a_forged_signature_reaching_dispatch_is_named_by_cell() {
    let host = start_host(Bug::IngressHeaderPresenceOnly);
    let r = probe(host.port);
    assert_eq!(r.status, Status::Failed);
    assert_eq!(
        messages(&r),
        vec![
            (
                "route-probe-unexpected-status".to_string(),
                "cell `inngest-expired`: unlabeled POST /api/inngest with an expired signature: expected rejected (401/403), got 500".to_string()
            ),
            (
                "route-probe-unexpected-status".to_string(),
                "cell `inngest-forged`: unlabeled POST /api/inngest with a forged signature: expected rejected (401/403), got 500".to_string()
            ),
        ]
    );
    assert_eq!(
        r.findings[1].help.as_deref(),
        Some("response body: {\"status\":500}")
    );
}

#[test]
fn a_redirect_is_not_an_allowed_first_party_call() {
    // The probe follows no redirect: a 302 to a login page served the caller nothing.
    let host = start_host(Bug::RpcRedirectsFirstParty);
    let r = probe(host.port);
    assert_eq!(r.status, Status::Failed);
    assert_eq!(
        messages(&r),
        vec![
            (
                "route-probe-unexpected-status".to_string(),
                "cell `rpc-get-first-party`: first-party GET /rpc/hq/health: expected allowed (not 401/403, not 3xx, not 5xx), got 302".to_string()
            ),
            (
                "route-probe-unexpected-status".to_string(),
                "cell `rpc-post-first-party`: first-party POST /rpc/hq/health: expected allowed (not 401/403, not 3xx, not 5xx), got 302".to_string()
            ),
        ]
    );
}

#[test]
fn unmounted_workflows_and_an_undispatched_valid_ingress_are_not_served() {
    // A declared capability answering 404 like an undeclared one, and a valid signature that
    // reaches no handler, are not served.
    let host = start_host(Bug::WorkflowsAndIngressUnmounted);
    let r = probe(host.port);
    assert_eq!(r.status, Status::Failed);
    let served = "expected served (not 401/403, not 3xx, not 404, not 5xx), got 404";
    let dispatched = "expected dispatched (past the guard: not 401/403, 3xx or 404; a 5xx only from the ingress runtime itself), got 404";
    assert_eq!(
        messages(&r),
        vec![
            (
                "route-probe-unexpected-status".to_string(),
                format!(
                    "cell `inngest-valid`: unlabeled POST /api/inngest validly signed: {dispatched}"
                )
            ),
            (
                "route-probe-unexpected-status".to_string(),
                format!(
                    "cell `workflows-declared-external`: external GET /api/workflows/support: {served}"
                )
            ),
            (
                "route-probe-unexpected-status".to_string(),
                format!(
                    "cell `workflows-declared-first-party`: first-party GET /api/workflows/support: {served}"
                )
            ),
        ]
    );
}

#[test]
fn expectations_can_be_overridden_skipped_and_extended() {
    let host = start_host(Bug::None);
    let dir = tempfile::tempdir().unwrap();
    let body = format!(
        "{}expect = {{ rpc-post-first-party = [202] }}\nskip = [\"orpc-post-unlabeled\"]\ncells = [{{ id = \"orpc-unknown\", caller = \"external\", method = \"GET\", path = \"/api/orpc/nope\", expect = \"not-found\" }}]\n",
        params_for(&format!("http://127.0.0.1:{}", host.port))
    );
    let r = run_in(dir.path(), &body);
    assert_eq!(
        messages(&r),
        vec![(
            "route-probe-unexpected-status".to_string(),
            "cell `rpc-post-first-party`: first-party POST /rpc/hq/health: expected 202, got 200"
                .to_string()
        )]
    );
    assert!(
        summary_note(&r).starts_with("probed 23 cells"),
        "{:?}",
        r.notes
    );
}

#[test]
fn a_host_that_does_not_answer_gives_no_response_findings() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let r = probe(port);
    assert_eq!(r.status, Status::Failed);
    let rules: Vec<String> = messages(&r).into_iter().map(|(rule, _)| rule).collect();
    assert_eq!(rules.len(), 23);
    assert!(
        rules.iter().all(|r| r == "route-probe-no-response"),
        "{rules:?}"
    );
}

#[test]
fn non_loopback_targets_need_allow_remote() {
    let text = |extra: &str| {
        format!(
            "[target]\nrepo = \".\"\npass_root = \"p\"\n[[stage]]\nnumber = 1\ntitle = \"t\"\n[[slice]]\nid = \"A5\"\nstage = 1\ntitle = \"t\"\nowner = \"o\"\ngates = [\"p\"]\n[gate.p]\ncheck = \"route-probe\"\nparams = {{ base_url = \"http://10.1.2.3:80\"{extra} }}\n"
        )
    };
    let e = gates::load::load_str(&text(""), Path::new("ci/t.toml"), Path::new("."))
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("not a loopback address"), "{e}");
    assert!(
        gates::load::load_str(
            &text(", allow_remote = true"),
            Path::new("ci/t.toml"),
            Path::new(".")
        )
        .is_ok()
    );
    let e = gates::load::load_str(
        &text(", allow_remote = true, expect = { rpc-post-nobody = \"rejected\" }"),
        Path::new("ci/t.toml"),
        Path::new("."),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("no default cell `rpc-post-nobody`"), "{e}");
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/route_probe")
}

fn alive(pid: i32) -> bool {
    // `kill -0` through /proc: the process exists and is not a zombie.
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| s.split_whitespace().nth(2).is_none_or(|st| st != "Z"))
        .unwrap_or(false)
}

#[test]
fn a_started_host_is_probed_and_its_whole_process_group_torn_down() {
    let dir = tempfile::tempdir().unwrap();
    let pid_file = dir.path().join("pids");
    let body = format!(
        r#"[gate.route-probe.params]
rpc_path = "/rpc/hq/health"
orpc_path = "/api/orpc/hq/health"
workflow_declared = ["/api/workflows/support"]
signing_key = "{KEY}"
start = {{ command = ["node", "host.mjs"], env = {{ INNGEST_SIGNING_KEY = "{KEY}", PID_FILE = "{}" }}, ready_timeout = "30s" }}
"#,
        pid_file.display()
    );
    let r = run_in(&fixture_dir().canonicalize().unwrap(), &body);
    assert_eq!(r.status, Status::Passed, "{r:#?}");
    assert!(
        r.notes
            .iter()
            .any(|n| n.starts_with("started `node host.mjs`")),
        "{:?}",
        r.notes
    );
    let pids: Vec<i32> = std::fs::read_to_string(&pid_file)
        .unwrap()
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect();
    assert_eq!(pids.len(), 2);
    for pid in pids {
        assert!(!alive(pid), "process {pid} outlived the probe");
    }
}

#[test]
fn a_host_that_exits_before_it_is_ready_is_a_finding() {
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(
        dir.path(),
        r#"[gate.route-probe.params]
start = { command = ["sh", "-c", "echo boom >&2; exit 3"], ready_timeout = "10s" }
"#,
    );
    assert_eq!(r.status, Status::Failed);
    let f = &r
        .findings
        .iter()
        .find(|f| f.severity == Severity::Error)
        .unwrap();
    assert_eq!(f.rule, "route-probe-host-not-ready");
    assert!(f.message.contains("exited (status 3)"), "{}", f.message);
    assert!(f.help.as_deref().unwrap().contains("boom"));
}

#[test]
fn a_valid_signature_that_reaches_dispatch_passes_even_when_dispatch_answers_500() {
    // Past the guard, the runtime itself fails the probe's generic body (no function named):
    // its answer carries the runtime's mark, so the request was dispatched.
    let host = start_host(Bug::DispatchAnswersProbeBody500);
    let r = probe(host.port);
    assert_eq!(r.status, Status::Passed, "{:#?}", messages(&r));
}

#[test]
fn a_guard_that_fails_a_valid_signature_with_500_never_dispatched() {
    // The same 500 without the runtime's mark came from in front of dispatch.
    let host = start_host(Bug::GuardCrashesOnValid);
    let r = probe(host.port);
    assert_eq!(
        messages(&r),
        vec![(
            "route-probe-unexpected-status".to_string(),
            "cell `inngest-valid`: unlabeled POST /api/inngest validly signed: expected dispatched (past the guard: not 401/403, 3xx or 404; a 5xx only from the ingress runtime itself), got 500".to_string()
        )]
    );
}

// ---- how a first-party caller is presented, skip reasons, cells' own headers -------------

fn probe_with(port: u16, extra: &str) -> GateResult {
    let dir = tempfile::tempdir().unwrap();
    let body = format!("{}{extra}", params_for(&format!("http://127.0.0.1:{port}")));
    run_in(dir.path(), &body)
}

/// The later host's own first-party request: its label and its session assertion.
const SESSION_PRESENTATION: &str = "first_party = { headers = { x-rawr-caller-surface = \"first-party\", x-rawr-session-auth = \"verified\" } }\n";

#[test]
fn a_first_party_label_alone_is_refused_by_a_host_that_wants_session_evidence() {
    // Phase A's presentation (the caller header alone) against the later host: the label is
    // no evidence, so both first-party /rpc cells get 403.
    let host = start_host(Bug::SessionEvidence);
    let r = probe(host.port);
    assert_eq!(r.status, Status::Failed);
    let allowed = "expected allowed (not 401/403, not 3xx, not 5xx), got 403";
    assert_eq!(
        messages(&r),
        vec![
            (
                "route-probe-unexpected-status".to_string(),
                format!("cell `rpc-get-first-party`: first-party GET /rpc/hq/health: {allowed}")
            ),
            (
                "route-probe-unexpected-status".to_string(),
                format!("cell `rpc-post-first-party`: first-party POST /rpc/hq/health: {allowed}")
            ),
        ]
    );
}

#[test]
fn first_party_headers_present_the_session_evidence_the_host_accepts() {
    let host = start_host(Bug::SessionEvidence);
    let r = probe_with(host.port, SESSION_PRESENTATION);
    assert_eq!(r.status, Status::Passed, "{:#?}", messages(&r));
    assert!(
        r.notes.iter().any(|n| n
            == "first-party callers presented with x-rawr-caller-surface: first-party, x-rawr-session-auth: verified"),
        "{:?}",
        r.notes
    );
    assert!(
        summary_note(&r).contains("23 as expected, 0 not"),
        "{:?}",
        r.notes
    );
    assert!(!summary_note(&r).contains("skipped"), "{:?}", r.notes);
    // The headers replace the caller header: the session assertion without the label is not
    // a first-party request.
    let r = probe_with(
        host.port,
        "first_party = { headers = { x-rawr-session-auth = \"verified\" } }\n",
    );
    let allowed = "expected allowed (not 401/403, not 3xx, not 5xx), got 403";
    assert_eq!(
        messages(&r),
        vec![
            (
                "route-probe-unexpected-status".to_string(),
                format!("cell `rpc-get-first-party`: first-party GET /rpc/hq/health: {allowed}")
            ),
            (
                "route-probe-unexpected-status".to_string(),
                format!("cell `rpc-post-first-party`: first-party POST /rpc/hq/health: {allowed}")
            ),
        ]
    );
}

/// Cells of the later pipelines: spoofed first-party evidence must be refused.
const SPOOF_CELLS: &str = r#"cells = [
  { id = "rpc-post-label-only", method = "POST", path = "/rpc/hq/health", body = "{}", headers = { x-rawr-caller-surface = "first-party" }, expect = "rejected" },
  { id = "rpc-post-session-cookie", method = "POST", path = "/rpc/hq/health", body = "{}", headers = { x-rawr-caller-surface = "first-party", cookie = "rawr-session=probe" }, expect = "rejected" },
  { id = "rpc-post-first-party-denied-session", caller = "first-party", method = "POST", path = "/rpc/hq/health", body = "{}", headers = { X-Rawr-Session-Auth = "no" }, expect = "rejected" },
]
"#;

#[test]
fn a_cell_sends_its_own_headers_and_a_trusted_session_cookie_is_named() {
    // The reference later host refuses all three spoofs (the third replaces the
    // presentation's session header, whatever its case, with a denial).
    let host = start_host(Bug::SessionEvidence);
    let r = probe_with(host.port, &format!("{SESSION_PRESENTATION}{SPOOF_CELLS}"));
    assert_eq!(r.status, Status::Passed, "{:#?}", messages(&r));
    assert!(
        summary_note(&r).starts_with("probed 26 cells"),
        "{:?}",
        r.notes
    );
    // A host that takes a session cookie as evidence lets the spoof through.
    let host = start_host(Bug::SessionHeuristics);
    let r = probe_with(host.port, &format!("{SESSION_PRESENTATION}{SPOOF_CELLS}"));
    assert_eq!(r.status, Status::Failed);
    assert_eq!(
        messages(&r),
        vec![(
            "route-probe-unexpected-status".to_string(),
            "cell `rpc-post-session-cookie`: unlabeled POST /rpc/hq/health with cookie: rawr-session=probe, x-rawr-caller-surface: first-party: expected rejected (401/403), got 200".to_string()
        )]
    );
}

#[test]
fn a_skipped_cell_is_not_probed_and_its_reason_is_printed() {
    let host = start_host(Bug::SessionEvidence);
    let r = probe_with(
        host.port,
        "skip = [\"orpc-post-unlabeled\", { cell = \"rpc-get-first-party\", reason = \"the host wants a session assertion the probe does not make\" }]\n",
    );
    // The skipped first-party GET is not judged; the POST still is.
    assert_eq!(
        messages(&r),
        vec![(
            "route-probe-unexpected-status".to_string(),
            "cell `rpc-post-first-party`: first-party POST /rpc/hq/health: expected allowed (not 401/403, not 3xx, not 5xx), got 403".to_string()
        )]
    );
    let skipped: Vec<&str> = r
        .notes
        .iter()
        .filter(|n| n.starts_with("skipped cell"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        skipped,
        [
            "skipped cell `rpc-get-first-party` (first-party GET /rpc/hq/health): the host wants a session assertion the probe does not make",
            "skipped cell `orpc-post-unlabeled` (unlabeled POST /api/orpc/hq/health): no reason given",
        ]
    );
    assert!(
        summary_note(&r).starts_with("probed 21 cells against http://127.0.0.1:"),
        "{:?}",
        r.notes
    );
    assert!(
        summary_note(&r).ends_with(" ms; 2 cells skipped"),
        "{:?}",
        r.notes
    );
    assert_eq!(host.requests.load(Ordering::SeqCst), 21);
}

/// Every default cell skipped and none added: nothing is probed, so the gate cannot say the
/// host is right (errored, never green).
#[test]
fn a_probe_left_with_no_cell_judges_nothing_and_is_not_green() {
    let base = params_for("http://127.0.0.1:9");
    let table: toml::Table = toml::from_str(&base).unwrap();
    let params = table["gate"]["route-probe"]["params"].as_table().unwrap();
    let ids = gates::checks::route_probe::default_cell_ids(params).unwrap();
    assert_eq!(ids.len(), 23);
    let skip: Vec<String> = ids.iter().map(|i| format!("\"{i}\"")).collect();
    let dir = tempfile::tempdir().unwrap();
    let r = run_in(dir.path(), &format!("{base}skip = [{}]\n", skip.join(", ")));
    assert_eq!(r.status, Status::Errored, "{r:?}");
    assert!(
        r.reason
            .as_deref()
            .unwrap_or("")
            .contains("no cell is left to probe"),
        "{r:?}"
    );
}

/// The load error of a route-probe gate whose params table ends with `params` (from line 17
/// of the file).
fn load_error(params: &str) -> String {
    let text = load_error_text(params);
    match gates::load::load_str(&text, Path::new("ci/t.toml"), Path::new(".")) {
        Ok(_) => panic!("loaded:\n{params}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn bad_presentation_skip_and_header_params_are_load_errors_with_positions() {
    let pre = "gate `p`: invalid params for check `route-probe`: ";
    let cases: &[(&str, String)] = &[
        (
            "first_party = { headers = {} }\n",
            format!(
                "ci/t.toml:17:1: {pre}first_party.headers is empty: a caller presented with no header is an unlabeled one"
            ),
        ),
        (
            "first_party = { header = { a = \"b\" } }\n",
            format!("ci/t.toml:17:17: {pre}unknown field `header`, expected `headers`"),
        ),
        (
            "caller_header = \"x\"\nfirst_party = { headers = { x = \"first-party\", \"x y\" = \"1\" } }\n",
            format!(
                "ci/t.toml:18:49: {pre}first_party.headers: \"x y\" is not a header name (letters, digits and !#$%&'*+-.^_`|~)"
            ),
        ),
        (
            "first_party = { headers = { x = \"first-party\", Host = \"localhost\" } }\n",
            format!(
                "ci/t.toml:17:48: {pre}first_party.headers: `Host` cannot be set: the probe sends the base URL's host"
            ),
        ),
        (
            "first_party = { headers = { x-a = \"1\\r\\nx-b: 2\" } }\n",
            format!(
                "ci/t.toml:17:29: {pre}first_party.headers.x-a: the value has a control character (a line break would split the request)"
            ),
        ),
        (
            "cells = [{ id = \"c\", method = \"GET\", path = \"/x\", headers = { x-inngest-signature = \"t=1&s=00\" }, expect = \"ok\" }]\n",
            format!(
                "ci/t.toml:17:63: {pre}cells.c.headers: `x-inngest-signature` cannot be set: the probe signs a cell's request as its `sign` says"
            ),
        ),
        (
            "skip = [\n  \"rpc-get-external\",\n  { cell = \"rpc-post-external\" },\n]\n",
            format!(
                "ci/t.toml:17:1: {pre}skip[1]: cell `rpc-post-external` has no `reason`; say why it is not probed (it is printed), or give the cell id alone"
            ),
        ),
        (
            "skip = [{ cell = \"rpc-post-external\", reason = \"  \" }]\n",
            format!(
                "ci/t.toml:17:1: {pre}skip[0]: cell `rpc-post-external` has no `reason`; say why it is not probed (it is printed), or give the cell id alone"
            ),
        ),
        (
            "skip = [{ cell = \"rpc-post-external\", why = \"x\" }]\n",
            format!(
                "ci/t.toml:17:1: {pre}skip[0]: unknown key `why` (an entry is `{{ cell = \"<id>\", reason = \"<why>\" }}`)"
            ),
        ),
        (
            "skip = [3]\n",
            format!(
                "ci/t.toml:17:1: {pre}skip[0]: a integer is not a cell id or `{{ cell = \"<id>\", reason = \"<why>\" }}`"
            ),
        ),
        (
            "skip = [{ cell = \"rpc-post-nobody\", reason = \"x\" }]\n",
            format!("ci/t.toml:17:1: {pre}skip: no default cell `rpc-post-nobody` (cells: "),
        ),
        (
            "skip = [\"rpc-get-external\", { cell = \"rpc-get-external\", reason = \"x\" }]\n",
            format!("ci/t.toml:17:1: {pre}skip: cell `rpc-get-external` is skipped twice"),
        ),
        (
            "skip = [\"rpc-get-external\"]\nexpect = { rpc-post-external = [403], rpc-get-external = \"rejected\" }\n",
            format!(
                "ci/t.toml:18:39: {pre}expect.rpc-get-external: the cell is skipped (`skip`), so it has no expectation"
            ),
        ),
        (
            "expect = { rpc-post-external = [403], rpc-post-nobody = \"rejected\" }\n",
            format!("ci/t.toml:17:39: {pre}expect: no default cell `rpc-post-nobody` (cells: "),
        ),
    ];
    for (params, want) in cases {
        let got = load_error(params);
        assert!(
            got.starts_with(want.as_str()),
            "for:\n{params}\nwant: {want}\ngot:  {got}"
        );
    }
    // A gate named like the key: the position is the key's line, not the section header's.
    let text = load_error_text("skip = [3]\n")
        .replace("gates = [\"p\"]", "gates = [\"skip\"]")
        .replace("[gate.p]", "[gate.skip]")
        .replace("[gate.p.params]", "[gate.skip.params]");
    let got = gates::load::load_str(&text, Path::new("ci/t.toml"), Path::new("."))
        .unwrap_err()
        .to_string();
    assert!(
        got.starts_with(
            "ci/t.toml:17:1: gate `skip`: invalid params for check `route-probe`: skip[0]: "
        ),
        "{got}"
    );
    // The forms that load: a plain id and an id with its reason; headers of any case.
    for ok in [
        "skip = [\"rpc-get-external\", { cell = \"rpc-post-external\", reason = \"why\" }]\n",
        "first_party = { headers = { X-Rawr-Caller-Surface = \"first-party\", x-rawr-session-auth = \"verified\" } }\n",
    ] {
        let text = load_error_text(ok);
        assert!(
            gates::load::load_str(&text, Path::new("ci/t.toml"), Path::new(".")).is_ok(),
            "{ok}"
        );
    }
}

/// A pipeline with one route-probe gate whose params table ends with `params` (line 17 on).
fn load_error_text(params: &str) -> String {
    format!(
        "[target]\nrepo = \".\"\npass_root = \"p\"\n[[stage]]\nnumber = 1\ntitle = \"t\"\n[[slice]]\nid = \"A5\"\nstage = 1\ntitle = \"t\"\nowner = \"o\"\ngates = [\"p\"]\n[gate.p]\ncheck = \"route-probe\"\n[gate.p.params]\nbase_url = \"http://127.0.0.1:4317\"\n{params}"
    )
}

/// A later phase's pipeline file.
fn later_pipeline(phase: &str) -> gates::pipeline::Pipeline {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(format!("ci/rawr-hq/phase-{phase}.toml"));
    gates::load::load_file(&file).unwrap()
}

/// A later phase's route-probe gate run against a test host: its `start` replaced by the
/// host's URL, the test host's own orpc and workflow paths, no setup step.
fn run_later_probe(phase: &str, port: u16) -> GateResult {
    let mut p = later_pipeline(phase);
    let g = p.gates.get_mut("route-probe").unwrap();
    g.setup = None;
    let gates::pipeline::GateKind::Check { params, .. } = &mut g.kind else {
        panic!("phase {phase}: route-probe is not a check gate");
    };
    assert!(
        params.remove("start").is_some(),
        "phase {phase}: the probe starts the host"
    );
    params.insert(
        "base_url".into(),
        toml::Value::String(format!("http://127.0.0.1:{port}")),
    );
    params.insert("orpc_path".into(), "/api/orpc/hq/health".into());
    params.insert(
        "workflow_declared".into(),
        toml::Value::Array(vec!["/api/workflows/support".into()]),
    );
    let dir = tempfile::tempdir().unwrap();
    let g = &p.gates["route-probe"];
    executor::run_gate(
        &p,
        g,
        dir.path(),
        &dir.path().join("pass"),
        &AtomicBool::new(false),
        None,
    )
}

#[test]
fn the_later_pipelines_probe_first_party_with_the_session_assertion_and_name_spoofs() {
    // Each later phase runs the probe on the slice where its acceptance gates speak of the
    // host's routes, with the same params (docs/later-phases.md, "The route probe").
    let slices = [
        ("b", "B0"),
        ("c", "C1"),
        ("d", "D3"),
        ("e", "E1"),
        ("f", "F1"),
    ];
    let reference = start_host(Bug::SessionEvidence);
    let heuristics = start_host(Bug::SessionHeuristics);
    let mut first: Option<toml::Value> = None;
    for (phase, slice) in slices {
        let p = later_pipeline(phase);
        let holders: Vec<&str> = p
            .slices
            .iter()
            .filter(|s| s.gates.iter().any(|g| g == "route-probe"))
            .map(|s| s.id.as_str())
            .collect();
        assert_eq!(holders, [slice], "phase {phase}");
        let gates::pipeline::GateKind::Check { params, .. } = &p.gates["route-probe"].kind else {
            panic!("phase {phase}");
        };
        // Against a host that decides /rpc as the later host does: every cell as expected.
        let r = run_later_probe(phase, reference.port);
        assert_eq!(
            r.status,
            Status::Passed,
            "phase {phase}: {:#?}",
            messages(&r)
        );
        assert!(
            summary_note(&r).contains(": 30 as expected, 0 not;"),
            "phase {phase}: {:?}",
            r.notes
        );
        let params = toml::Value::Table(params.clone());
        match &first {
            None => first = Some(params),
            Some(f) => assert_eq!(&params, f, "phase {phase}'s probe differs from phase b's"),
        }
    }
    // Against B0's host before the HIGH-01 fix: the two heuristics are named.
    let r = run_later_probe("b", heuristics.port);
    assert_eq!(
        messages(&r),
        vec![
            (
                "route-probe-unexpected-status".to_string(),
                "cell `rpc-post-first-party-session-cookie`: unlabeled POST /rpc/coordination/listWorkflows with cookie: rawr-session=probe, x-rawr-caller-surface: first-party: expected rejected (401/403), got 200".to_string()
            ),
            (
                "route-probe-unexpected-status".to_string(),
                "cell `rpc-post-trusted-service-bearer`: unlabeled POST /rpc/coordination/listWorkflows with authorization: bearer svc_probe, x-rawr-caller-surface: trusted-service: expected rejected (401/403), got 200".to_string()
            ),
        ]
    );
}

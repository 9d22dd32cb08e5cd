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

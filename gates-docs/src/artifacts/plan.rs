//! `ORCHESTRATOR_PLAN_VERBATIM.md`: the runbook written down verbatim at the start of a run,
//! under a one-line header carrying its SHA-256 and length.
//!
//! The header lets a gate prove the plan was not edited after it was written down: the body
//! (every byte after the header line) must hash to the recorded checksum. Only the source
//! file's name is recorded, never the machine path it was read from.

use gates_core::fs::probe::Probe;
use std::path::Path;

use super::{SCRATCHPAD, scratchpad};
use crate::error::GateError;

pub const PLAN: &str = "ORCHESTRATOR_PLAN_VERBATIM.md";
pub const MARK: &str = "<!-- rawr-gates:plan-verbatim ";

pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = hmac_sha256::Hash::hash(bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// The plan file's full text for `runbook` bytes read from a file named `source_name`.
pub fn render(runbook: &[u8], source_name: &str) -> Vec<u8> {
    let name: String = source_name
        .chars()
        .filter(|c| !matches!(c, '"' | '\n' | '\r' | '>'))
        .collect();
    let mut out = format!(
        "{MARK}sha256={} bytes={} source=\"{name}\" written={} (the runbook below is verbatim; `cargo xtask artifacts check` verifies it) -->\n",
        sha256_hex(runbook),
        runbook.len(),
        scratchpad::now_rfc3339()
    )
    .into_bytes();
    out.extend_from_slice(runbook);
    out
}

/// What the header of a plan file records.
#[derive(Debug, PartialEq, Eq)]
pub struct Header {
    pub sha256: String,
    pub bytes: usize,
}

/// Splits a plan file into its header and body. `Err` says what is wrong with the header.
pub fn parse(file: &[u8]) -> Result<(Header, &[u8]), String> {
    let nl = file
        .iter()
        .position(|b| *b == b'\n')
        .ok_or("the file has no header line")?;
    let first = std::str::from_utf8(&file[..nl]).map_err(|_| "the header line is not UTF-8")?;
    let rest = first
        .strip_prefix(MARK)
        .ok_or("the first line is not the `rawr-gates:plan-verbatim` header")?;
    let field = |k: &str| {
        rest.split_whitespace()
            .find_map(|w| w.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
            .map(str::to_string)
    };
    let sha256 =
        field("sha256").filter(|h| h.len() == 64 && h.bytes().all(|c| c.is_ascii_hexdigit()));
    let sha256 = sha256.ok_or("the header has no valid `sha256=` field")?;
    let bytes = field("bytes")
        .and_then(|b| b.parse().ok())
        .ok_or("the header has no valid `bytes=` field")?;
    Ok((Header { sha256, bytes }, &file[nl + 1..]))
}

/// What `artifacts init` did.
#[derive(Debug)]
pub struct InitOutcome {
    pub plan: std::path::PathBuf,
    pub scratchpad: std::path::PathBuf,
    pub scratchpad_existed: bool,
}

/// Writes the plan (refusing to overwrite one) and starts the scratchpad (an existing
/// scratchpad is appended to, never rewritten).
pub fn init(pass_root: &Path, runbook: &Path) -> Result<InitOutcome, GateError> {
    let bytes =
        crate::fs::careful::read_document_bytes(runbook).map_err(|e| GateError::io(runbook, e))?;
    if std::str::from_utf8(&bytes).is_err() {
        return Err(GateError::msg(format!(
            "{}: the runbook is not UTF-8 text",
            runbook.display()
        )));
    }
    let plan = pass_root.join(PLAN);
    // A link out of the target at the plan's or the scratchpad's place is refused before
    // anything is written.
    for p in [&plan, &pass_root.join(SCRATCHPAD)] {
        crate::fs::inside::check_path(p).map_err(|e| GateError::io(p, e))?;
    }
    if plan.probe_exists() {
        return Err(GateError::msg(format!(
            "{} already exists; the plan is written once per pass and never overwritten",
            plan.display()
        )));
    }
    let name = runbook
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    std::fs::create_dir_all(pass_root).map_err(|e| GateError::io(pass_root, e))?;
    // `create_new` so two concurrent inits cannot both write the plan.
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&plan)
            .map_err(|e| GateError::io(&plan, e))?;
        f.write_all(&render(&bytes, &name))
            .and_then(|_| f.sync_all())
            .map_err(|e| {
                let _ = std::fs::remove_file(&plan);
                GateError::io(&plan, e)
            })?;
    }
    let scratch = pass_root.join(SCRATCHPAD);
    let existed = scratch.probe_exists();
    scratchpad::append(
        &scratch,
        &format!(
            "- {} plan written down verbatim to {PLAN} from `{name}` (sha256 {})",
            scratchpad::now_rfc3339(),
            sha256_hex(&bytes)
        ),
    )
    .map_err(|e| GateError::io(&scratch, e))?;
    Ok(InitOutcome {
        plan,
        scratchpad: scratch,
        scratchpad_existed: existed,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// FIPS 180-2's "abc" vector and the empty input.
    #[test]
    fn sha256_matches_the_standard_vectors() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn render_then_parse_round_trips() {
        let body = b"# Runbook\n\nline\n";
        let file = render(body, "runbook.md");
        let (h, b) = parse(&file).unwrap();
        assert_eq!(b, body);
        assert_eq!(h.sha256, sha256_hex(body));
        assert_eq!(h.bytes, body.len());
        assert!(parse(b"# no header\nx").is_err());
    }
}

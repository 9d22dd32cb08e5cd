//! `orchestrator-artifacts` (Stage 0): the orchestrator plan and scratchpad are written.
//!
//! **What it checks.** `ORCHESTRATOR_PLAN_VERBATIM.md` exists in the pass root and is not
//! empty; when a runbook is given (the gate's `runbook` parameter, or `cargo xtask artifacts
//! check --runbook FILE`) it equals that file byte for byte. The checksum header `cargo xtask
//! artifacts init` writes is optional (people write the runbook down themselves); when
//! present, the body under it must still hash to the recorded SHA-256.
//! `ORCHESTRATOR_SCRATCHPAD.md` exists and is not empty. With `entry_timestamps = true` its
//! entries (headings below the title, else top-level list items) each carry a timestamp
//! (`2026-02-20T23:31:38Z`, a date with an optional time), and one earlier than the entry
//! before it is a warning. With `append_only = true` the committed version is a prefix of the
//! current file, and each committed version a prefix of the next one in the history. Both are
//! off unless the pipeline turns them on (a runbook that asks for them; runbooks that edit
//! registry tables in place do not).
//!
//! **Why.** The runbook's first act is to write the plan and the scratchpad; every later
//! slice is judged against that plan, so it must be the runbook as written, unedited, and the
//! log must only ever grow.
//!
//! **How to fix.** Run `cargo xtask artifacts init --runbook FILE`. If the plan was edited,
//! restore it from git; a changed runbook belongs in a new pass root. Never rewrite the
//! scratchpad's committed entries; append instead.
//!
//! **Stage 0's order of events** (with `team_prep = true`). The runbook: "No implementation begins until team prep is
//! complete and logged in orchestrator scratchpad". A team-prep entry (its heading or item
//! says team prep) must exist (`team-prep-missing`), record the agent sweep, the freshness
//! and the capacity decisions (`team-prep-incomplete`), and be dated before the first commit
//! of the first implementation slice (`team-prep-after-implementation`, naming that commit).
//! That slice is `first_slice` (default: the first slice of a later stage than this gate's),
//! and its first commit is the earliest-authored commit of the history whose message names
//! the slice as a word (or `first_commit`). The entry's own timestamp is compared with the
//! commit's author date, so the order is judged even where the scratchpad was committed
//! after the implementation (as people often do): the history cannot tell, the dates can.

use serde::Deserialize;

use super::{
    Capability, CheckCtx, CheckDef, CheckOutput, ParamError, Rule, error, parse_params, warning,
};
use crate::artifacts::{git, plan, scratchpad};
use crate::error::GateError;
use crate::finding::Finding;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// The runbook the plan must equal, if any: repository-relative, or absolute (as
    /// `cargo xtask artifacts check --runbook FILE` sets it).
    pub runbook: Option<String>,
    /// The scratchpad is append-only (its committed versions are prefixes of the next and of
    /// the work tree's file). Off unless the pipeline's runbook asks for it;
    /// runbooks that edit registry tables in place do not.
    #[serde(default)]
    pub append_only: bool,
    /// Every scratchpad entry carries a timestamp (and they do not go back). Off unless the
    /// pipeline's runbook asks for it.
    #[serde(default)]
    pub entry_timestamps: bool,
    /// Stage 0's order of events: a team-prep entry, dated before the first implementation
    /// commit. Off unless the pipeline's runbook asks for it (one that says no implementation
    /// begins until team prep is logged in the scratchpad); runbooks that keep a preflight
    /// ledger and registries instead do not.
    #[serde(default)]
    pub team_prep: bool,
    /// The first implementation slice, whose first commit the team prep must precede
    /// (default: the first slice of a later stage than this gate's slice).
    pub first_slice: Option<String>,
    /// That slice's first commit, when no commit message names the slice.
    pub first_commit: Option<String>,
}

pub fn validate(t: &toml::Table) -> Result<(), ParamError> {
    parse_params::<Params>(t).map(|_| ())
}

pub fn def() -> CheckDef {
    CheckDef {
        name: "orchestrator-artifacts",
        summary: "Stage 0: the orchestrator plan (verbatim, checksum intact) and the append-only scratchpad exist",
        capabilities: &[Capability::WorkTree, Capability::Commit],
        rules: &[RULES, super::common::DOCUMENT],
        parts: None,
        aliases: &[],
        validate,
        roles: super::no_roles,
        run,
    }
}

/// How to fix what the rules below report.
const FIX: &str = "run `cargo xtask artifacts init --runbook FILE`; if the plan was edited, restore it from git; never rewrite the scratchpad's committed entries, append instead (docs/closure-format.md)";

/// Every rule of the orchestrator-artifacts check.
pub const RULES: &[Rule] = &[
    error(
        "plan-missing",
        "the orchestrator plan has not been written down",
        FIX,
    ),
    error("plan-empty", "the orchestrator plan is empty", FIX),
    error(
        "plan-differs-from-runbook",
        "the plan is not the runbook verbatim (at the first line that differs)",
        FIX,
    ),
    error(
        "plan-header-invalid",
        "the plan's checksum header is malformed",
        FIX,
    ),
    error(
        "plan-checksum-mismatch",
        "the plan's body no longer hashes to its header's SHA-256",
        FIX,
    ),
    error("scratchpad-missing", "the scratchpad does not exist", FIX),
    error("scratchpad-empty", "the scratchpad is empty", FIX),
    error(
        "scratchpad-untimestamped",
        "the scratchpad has no timestamped entry",
        FIX,
    ),
    error(
        "scratchpad-entry-untimestamped",
        "an entry of the scratchpad carries no timestamp",
        FIX,
    ),
    warning(
        "scratchpad-entry-out-of-order",
        "an entry is timestamped before the one above it",
        FIX,
    ),
    error(
        "scratchpad-rewritten",
        "a committed entry of the scratchpad was changed or removed (it is append-only)",
        FIX,
    ),
    error(
        "team-prep-missing",
        "the scratchpad has no team-prep entry (agent sweep, freshness, capacity decisions)",
        "log Stage 0's team prep in the scratchpad before implementation begins",
    ),
    error(
        "team-prep-incomplete",
        "the team-prep entry does not record the agent sweep, the freshness or the capacity decisions",
        "record each of them in the team-prep entry",
    ),
    error(
        "team-prep-after-implementation",
        "the team-prep entry is dated after the first implementation slice's first commit",
        "no implementation begins until team prep is complete and logged",
    ),
    super::warning(
        "team-prep-order-unclear",
        "the order of team prep and the first implementation commit cannot be told",
        "date the team-prep entry (UTC) so its order against the first implementation commit shows",
    ),
];

pub fn run(ctx: &CheckCtx) -> Result<CheckOutput, GateError> {
    let p: Params = ctx.params()?;
    let pass_rel = git::rel_str(&ctx.pipeline.target.pass_root);
    let mut out = CheckOutput::default();
    let fix = "run `cargo xtask artifacts init --runbook FILE`";

    let documents = &ctx.pipeline.documents;
    let plan_rel = format!("{pass_rel}/{}", documents.plan);
    let plan_path = super::resolve_inside(ctx.pass_root, &documents.plan)?;
    match crate::fs::careful::read_document_bytes(&plan_path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            out.findings.push(
                Finding::error(
                    "plan-missing",
                    &plan_rel,
                    0,
                    0,
                    "the orchestrator plan has not been written down",
                )
                .with_help(fix),
            );
        }
        Err(e) => return Err(GateError::io(plan_path, e)),
        Ok(bytes) => {
            // The checksum header `artifacts init` writes is optional; when present it must
            // hold, and the runbook comparison is on the body under it.
            let body: &[u8] = if bytes.starts_with(plan::MARK.as_bytes()) {
                match plan::parse(&bytes) {
                    Err(why) => {
                        out.findings.push(
                            Finding::error("plan-header-invalid", &plan_rel, 1, 1, why).with_help(
                                "restore the header `artifacts init` wrote, or remove it",
                            ),
                        );
                        &bytes
                    }
                    Ok((h, body)) => {
                        let actual = plan::sha256_hex(body);
                        if actual != h.sha256 || body.len() != h.bytes {
                            out.findings.push(
                                Finding::error(
                                    "plan-checksum-mismatch",
                                    &plan_rel,
                                    1,
                                    1,
                                    format!(
                                        "the plan was changed after it was written down: recorded sha256 {} ({} bytes), now {actual} ({} bytes)",
                                        h.sha256,
                                        h.bytes,
                                        body.len()
                                    ),
                                )
                                .with_help("restore the plan from git; the runbook is written down once, verbatim"),
                            );
                        }
                        body
                    }
                }
            } else {
                &bytes
            };
            if body.iter().all(u8::is_ascii_whitespace) {
                out.findings.push(
                    Finding::error(
                        "plan-empty",
                        &plan_rel,
                        1,
                        1,
                        "the orchestrator plan is empty",
                    )
                    .with_help(fix),
                );
            } else if let Some(rb) = &p.runbook {
                let rb_path = if std::path::Path::new(rb).is_absolute() {
                    std::path::PathBuf::from(rb)
                } else {
                    ctx.repo_path(rb)?
                };
                match crate::fs::careful::read_document_bytes(&rb_path) {
                    Ok(src) if src == body => out
                        .notes
                        .push(format!("{plan_rel}: the runbook `{rb}` verbatim")),
                    Ok(src) => {
                        let common = src.iter().zip(body).take_while(|(a, b)| a == b).count();
                        let line = body[..common].iter().filter(|b| **b == b'\n').count() as u32
                            + 1
                            + u32::from(bytes.starts_with(plan::MARK.as_bytes()));
                        out.findings.push(Finding::error(
                            "plan-differs-from-runbook",
                            &plan_rel,
                            line,
                            1,
                            format!("the plan is not the runbook `{rb}` verbatim: they differ from this line"),
                        ))
                    }
                    Err(e) => return Err(GateError::io(rb_path, e)),
                }
            } else {
                out.notes.push(format!(
                    "{plan_rel}: present ({} bytes, sha256 {}); no runbook configured to compare it with",
                    body.len(),
                    plan::sha256_hex(body)
                ));
            }
        }
    }

    let sp_rel = format!("{pass_rel}/{}", documents.scratchpad);
    let sp_path = super::resolve_inside(ctx.pass_root, &documents.scratchpad)?;
    match crate::fs::careful::read_document_bytes(&sp_path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            match super::Deletions::of(ctx).file(&documents.scratchpad) {
                // The later runbooks' cleanup deletes scratchpads once the phase's closure
                // documents exist: gone as the phase's own manifest says is not missing.
                Some((manifest, line)) => out.notes.push(format!(
                    "{sp_rel} was deleted by the cleanup manifest ({pass_rel}/{manifest}:{line})"
                )),
                None => out.findings.push(
                    Finding::error(
                        "scratchpad-missing",
                        &sp_rel,
                        0,
                        0,
                        "the orchestrator scratchpad does not exist",
                    )
                    .with_help(fix),
                ),
            }
        }
        Err(e) => return Err(GateError::io(sp_path, e)),
        Ok(bytes) if bytes.iter().all(u8::is_ascii_whitespace) => {
            out.findings.push(Finding::error(
                "scratchpad-empty",
                &sp_rel,
                0,
                0,
                "the orchestrator scratchpad is empty",
            ))
        }
        Ok(bytes) => {
            if p.entry_timestamps {
                check_entries(&sp_rel, &String::from_utf8_lossy(&bytes), &mut out.findings);
            }
            if p.team_prep {
                check_team_prep(ctx, &p, &sp_rel, &String::from_utf8_lossy(&bytes), &mut out)?;
            }
            // Append-only: a committed version must be a prefix of the current file, and
            // every committed version a prefix of the next.
            if p.append_only
                && git::place(ctx.repo)?.is_some()
                && git::is_tracked(ctx.repo, &sp_rel)?
            {
                check_history(ctx.repo, &sp_rel, &mut out.findings)?;
                let spec = format!("HEAD:./{sp_rel}");
                let head = git::run(ctx.repo, &["show", &spec])?;
                if head.status.success() && !bytes.starts_with(&head.stdout) {
                    let common = head
                        .stdout
                        .iter()
                        .zip(&bytes)
                        .take_while(|(a, b)| a == b)
                        .count();
                    let line = bytes[..common].iter().filter(|b| **b == b'\n').count() as u32 + 1;
                    out.findings.push(
                        Finding::error(
                            "scratchpad-rewritten",
                            &sp_rel,
                            line,
                            1,
                            "the scratchpad differs from its committed version before its end: it is append-only",
                        )
                        .with_help("restore the committed entries (`git checkout -p`) and append corrections as new entries"),
                    );
                }
            }
        }
    }
    Ok(out)
}

/// Words that make an entry the team-prep entry (its heading or item text).
const TEAM_PREP: &[&str] = &["team prep", "team-prep", "team preparation"];

/// The decisions a team-prep entry records, each with the words that show it.
const DECISIONS: &[(&str, &[&str])] = &[
    ("agent sweep", &["sweep", "aligned", "stale"]),
    ("freshness", &["fresh", "reuse"]),
    ("capacity", &["capacity", "concurren", "parallel"]),
];

/// Stage 0's order: a complete team-prep entry, dated before the first implementation
/// slice's first commit.
fn check_team_prep(
    ctx: &CheckCtx,
    p: &Params,
    sp_rel: &str,
    text: &str,
    out: &mut CheckOutput,
) -> Result<(), GateError> {
    let prep = team_prep_entries(text);
    let Some(first) = prep.first() else {
        out.findings.push(
            Finding::error(
                "team-prep-missing",
                sp_rel,
                0,
                0,
                "the scratchpad logs no team prep: no entry says `Team Prep`",
            )
            .with_help("before the first implementation slice, append `## <UTC time> - Team Prep Sweep` with the agent sweep (aligned/stale), freshness and capacity decisions"),
        );
        return Ok(());
    };
    // The decisions may be spread over several team-prep entries.
    let text = prep
        .iter()
        .map(|e| e.body.as_str())
        .collect::<Vec<_>>()
        .join("\n")
        .to_lowercase();
    let missing: Vec<&str> = DECISIONS
        .iter()
        .filter(|(_, words)| !words.iter().any(|w| text.contains(w)))
        .map(|(name, _)| *name)
        .collect();
    if !missing.is_empty() {
        out.findings.push(
            Finding::error(
                "team-prep-incomplete",
                sp_rel,
                first.line,
                1,
                format!(
                    "team prep records no {} decision",
                    missing.join(", no ")
                ),
            )
            .with_help("team prep is the agent sweep (aligned/stale), the freshness policy and the capacity target, logged before any slice starts"),
        );
    }
    let Some(slice) = first_slice(ctx, p) else {
        return Ok(());
    };
    let Some((sha, secs)) = first_commit(ctx.repo, &slice, p.first_commit.as_deref())? else {
        out.notes.push(format!(
            "team prep ({sp_rel}:{}) not ordered: no commit of the target's history names slice {slice} (set `first_commit`)",
            first.line
        ));
        return Ok(());
    };
    let authored = humantime::format_rfc3339_seconds(
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs),
    )
    .to_string();
    let short = &sha[..sha.len().min(8)];
    let commit_stamp = scratchpad::stamp_in(&authored).expect("an RFC 3339 time");
    for entry in &prep {
        // An entry without a time is already `scratchpad-entry-untimestamped`.
        let Some(stamp) = &entry.stamp else { continue };
        let shown = match &stamp.time {
            Some(t) => format!("{}T{t}", stamp.date),
            None => stamp.date.clone(),
        };
        if commit_stamp.before(stamp) {
            out.findings.push(
                Finding::error(
                    "team-prep-after-implementation",
                    sp_rel,
                    entry.line,
                    1,
                    format!(
                        "team prep is dated {shown}, after commit {short}, the first commit of {slice} (authored {authored}): no implementation begins until team prep is complete and logged"
                    ),
                )
                .with_help("the runbook's Stage 0 runs the agent sweep and logs the team prep decisions before any slice starts"),
            );
        } else if !stamp.before(&commit_stamp) {
            out.findings.push(
                Finding::error(
                    "team-prep-order-unclear",
                    sp_rel,
                    entry.line,
                    1,
                    format!(
                        "team prep is dated {shown}, which cannot be told apart from commit {short}, the first commit of {slice} (authored {authored})"
                    ),
                )
                .with_severity(crate::finding::Severity::Warning)
                .with_help("give the entry its UTC time (`2026-02-20T23:31:46Z`)"),
            );
        } else {
            out.notes.push(format!(
                "team prep ({sp_rel}:{}, {shown}) is dated before commit {short}, the first commit of {slice} (authored {authored})",
                entry.line
            ));
        }
    }
    Ok(())
}

/// A team-prep entry: its line, timestamp and text (with what is written under it).
struct PrepEntry {
    line: u32,
    stamp: Option<scratchpad::Stamp>,
    body: String,
}

/// The entries that say team prep: headings (with the lines under them, to the next heading
/// of the same or a higher level) and top-level list items (with their continuation), both,
/// since a scratchpad may mix them (`--log-scratchpad` appends a heading per run).
fn team_prep_entries(text: &str) -> Vec<PrepEntry> {
    let lines: Vec<&str> = text.lines().collect();
    let level = |l: &str| {
        let n = l.bytes().take_while(|b| *b == b'#').count();
        (n > 0 && l.as_bytes().get(n) == Some(&b' ')).then_some(n)
    };
    let item = |l: &str| {
        l.starts_with("- ")
            || l.starts_with("* ")
            || l.starts_with("+ ")
            || l.split_once(". ")
                .is_some_and(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    let mut out = Vec::new();
    let mut in_code = false;
    for (i, l) in lines.iter().enumerate() {
        if l.trim_start().starts_with("```") || l.trim_start().starts_with("~~~") {
            in_code = !in_code;
        }
        if in_code || !TEAM_PREP.iter().any(|w| l.to_lowercase().contains(w)) {
            continue;
        }
        let end = if let Some(n) = level(l) {
            if n == 1 {
                continue; // the document's title
            }
            (i + 1..lines.len())
                .find(|&j| level(lines[j]).is_some_and(|m| m <= n))
                .unwrap_or(lines.len())
        } else if item(l) {
            (i + 1..lines.len())
                .find(|&j| item(lines[j]) || level(lines[j]).is_some())
                .unwrap_or(lines.len())
        } else {
            continue;
        };
        out.push(PrepEntry {
            line: i as u32 + 1,
            stamp: scratchpad::stamp_in(l),
            body: lines[i..end].join("\n"),
        });
    }
    out
}

/// The first implementation slice: `first_slice`, else the first slice (in file order) of a
/// later stage than the slice holding this gate.
fn first_slice(ctx: &CheckCtx, p: &Params) -> Option<String> {
    if let Some(s) = &p.first_slice {
        return Some(s.clone());
    }
    let own = ctx
        .pipeline
        .slices_of_gate(ctx.gate_id)
        .map(|s| s.stage)
        .min()?;
    ctx.pipeline
        .slices
        .iter()
        .find(|s| s.stage > own)
        .map(|s| s.id.clone())
}

/// The first commit of `slice`: `given` resolved, else the earliest-authored commit of HEAD's
/// history whose message names the slice as a word. Its hash and author time (Unix seconds).
fn first_commit(
    repo: &std::path::Path,
    slice: &str,
    given: Option<&str>,
) -> Result<Option<(String, u64)>, GateError> {
    if git::place(repo)?.is_none() {
        return Ok(None);
    }
    if let Some(rev) = given {
        let o = git::run(
            repo,
            &["log", "-1", "--format=%H %at", &format!("{rev}^{{commit}}")],
        )?;
        if !o.status.success() {
            return Err(GateError::msg(format!(
                "first_commit: `{rev}` is not a commit of the target repository"
            )));
        }
        let text = String::from_utf8_lossy(&o.stdout);
        let mut it = text.split_whitespace();
        return Ok(it
            .next()
            .zip(it.next().and_then(|s| s.parse().ok()))
            .map(|(h, t)| (h.to_string(), t)));
    }
    // Commits of the target's tree only (`.`: the target may be a directory of a larger
    // repository).
    let o = git::run(
        repo,
        &["log", "HEAD", "--format=%H%x1f%at%x1f%B%x1e", "--", "."],
    )?;
    if !o.status.success() {
        return Ok(None);
    }
    let text = String::from_utf8_lossy(&o.stdout);
    let mut best: Option<(String, u64)> = None;
    for rec in text.split('\x1e') {
        let mut f = rec.trim_start_matches('\n').splitn(3, '\x1f');
        let (Some(h), Some(t), Some(msg)) = (f.next(), f.next(), f.next()) else {
            continue;
        };
        let Ok(t) = t.parse::<u64>() else { continue };
        if names_word(msg, slice) && best.as_ref().is_none_or(|(_, bt)| t < *bt) {
            best = Some((h.to_string(), t));
        }
    }
    Ok(best)
}

/// Whether `text` holds `word` not inside a longer word (letters, digits).
fn names_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// Every entry carries a timestamp, and the timestamps do not go back (a warning: an entry
/// written late may carry the time of what it records).
fn check_entries(sp_rel: &str, text: &str, findings: &mut Vec<Finding>) {
    let entries = scratchpad::entries(text);
    if entries.is_empty() {
        if scratchpad::stamp_in(text).is_none() {
            findings.push(
                Finding::error(
                    "scratchpad-untimestamped",
                    sp_rel,
                    1,
                    1,
                    "the scratchpad holds no timestamped entry",
                )
                .with_help("write each entry as a heading or list item starting with its UTC time: `## 2026-02-20T23:31:38Z - Stage 0 Start`"),
            );
        }
        return;
    }
    let mut last: Option<(&scratchpad::Stamp, u32)> = None;
    for e in &entries {
        let Some(stamp) = &e.stamp else {
            findings.push(
                Finding::error(
                    "scratchpad-entry-untimestamped",
                    sp_rel,
                    e.line,
                    1,
                    "this scratchpad entry carries no timestamp",
                )
                .with_help("start the entry with its UTC time: `2026-02-20T23:31:38Z`"),
            );
            continue;
        };
        if let Some((prev, line)) = last
            && stamp.before(prev)
        {
            findings.push(
                Finding::error(
                    "scratchpad-entry-out-of-order",
                    sp_rel,
                    e.line,
                    1,
                    format!("this entry is timestamped before the entry on line {line}"),
                )
                .with_severity(crate::finding::Severity::Warning),
            );
        }
        last = Some((stamp, e.line));
    }
}

/// The committed versions of the scratchpad, oldest first: each must be a prefix of the next.
/// A version git cannot show (the file was absent in that commit) is skipped.
fn check_history(
    repo: &std::path::Path,
    sp_rel: &str,
    findings: &mut Vec<Finding>,
) -> Result<(), GateError> {
    let path = format!("./{sp_rel}");
    let log = git::run(repo, &["log", "--format=%H", "--", &path])?;
    if !log.status.success() {
        return Ok(());
    }
    let hashes: Vec<String> = String::from_utf8_lossy(&log.stdout)
        .lines()
        .rev()
        .map(str::to_string)
        .collect();
    let mut prev: Option<(String, Vec<u8>)> = None;
    for h in hashes {
        let show = git::run(repo, &["show", &format!("{h}:{path}")])?;
        if !show.status.success() {
            prev = None;
            continue;
        }
        if let Some((ph, pb)) = &prev
            && !show.stdout.starts_with(pb)
        {
            let common = pb
                .iter()
                .zip(&show.stdout)
                .take_while(|(a, b)| a == b)
                .count();
            let line = pb[..common].iter().filter(|b| **b == b'\n').count() as u32 + 1;
            findings.push(
                Finding::error(
                    "scratchpad-rewritten",
                    sp_rel,
                    line,
                    1,
                    format!(
                        "commit {} changed entries commit {} had written, from this line on: the scratchpad is append-only",
                        &h[..h.len().min(10)],
                        &ph[..ph.len().min(10)]
                    ),
                )
                .with_help("restore the earlier entries and append corrections as new entries"),
            );
        }
        prev = Some((h, show.stdout));
    }
    Ok(())
}

//! `ORCHESTRATOR_SCRATCHPAD.md`: timestamped, append-only entries, one per slice outcome.
//!
//! Safety properties:
//! - Append-only: the file is only ever opened with `O_APPEND`; earlier bytes are never
//!   rewritten, truncated or reordered.
//! - Concurrent writers: every append holds an exclusive lock on the file, and each entry is
//!   written with a single `write_all` of a complete line block, so entries never interleave.
//! - Crash mid-write: if the file does not end with a newline (a previous writer died
//!   part-way through a line), the next append first closes that line and marks it, so a torn
//!   entry never swallows the next one.

use std::fs::OpenOptions;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::time::SystemTime;

/// UTC timestamp in RFC 3339 with seconds precision.
pub fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(SystemTime::now()).to_string()
}

/// Appends `entry` (one or more lines; a trailing newline is added if missing) to the
/// scratchpad at `path`, creating it with a title if it does not exist.
pub fn append(path: &Path, entry: &str) -> std::io::Result<()> {
    let mut f = crate::fs::careful::open_with(
        path,
        OpenOptions::new().create(true).append(true).read(true),
    )?;
    f.lock()?;
    let len = f.metadata()?.len();
    let mut block = String::new();
    if len == 0 {
        block.push_str("# Orchestrator scratchpad\n\nAppend-only log. Each entry is timestamped in UTC (RFC 3339).\n\n");
    } else {
        let mut last = [0u8; 1];
        f.seek(SeekFrom::Start(len - 1))?;
        f.read_exact(&mut last)?;
        if last[0] != b'\n' {
            block.push_str(" <!-- entry cut short by an interrupted write -->\n");
        }
    }
    block.push_str(entry);
    if !entry.ends_with('\n') {
        block.push('\n');
    }
    // O_APPEND positions every write at the end, whatever the seek above did.
    f.write_all(block.as_bytes())?;
    f.sync_data()?;
    f.unlock()?;
    Ok(())
}

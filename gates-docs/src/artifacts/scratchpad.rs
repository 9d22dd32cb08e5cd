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

/// One entry of a scratchpad, as people and the tool write it: a heading
/// (`## 2026-02-20T23:31:38Z - Stage 0 Start`) when the file has headings below its title
/// (the entries are those of the shallowest such level; deeper ones belong to an entry), else
/// a top-level list item (`- 2026-02-20T09:02:11Z plan written …`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// 1-based line.
    pub line: u32,
    /// Its timestamp, when it carries one (see [`stamp_in`]).
    pub stamp: Option<Stamp>,
}

/// A timestamp: the date, and the time when one follows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// `HH:MM` or `HH:MM:SS`.
    pub time: Option<String>,
}

impl Stamp {
    /// Whether `self` is earlier than `other`, at the precision both have.
    pub fn before(&self, other: &Stamp) -> bool {
        match (&self.time, &other.time) {
            (Some(a), Some(b)) if self.date == other.date => {
                let n = a.len().min(b.len());
                a[..n] < b[..n]
            }
            _ => self.date < other.date,
        }
    }
}

/// The entries of a scratchpad's text, in file order.
pub fn entries(text: &str) -> Vec<Entry> {
    let doc = crate::artifacts::markdown::Doc::parse(text);
    let heads = doc.headings();
    if let Some(level) = heads.iter().map(|h| h.level).filter(|l| *l >= 2).min() {
        return heads
            .iter()
            .filter(|h| h.level == level)
            .map(|h| Entry {
                line: h.line,
                stamp: stamp_in(&h.title),
            })
            .collect();
    }
    let items = doc.items(doc.all());
    let top = items.iter().map(|i| i.depth).min().unwrap_or(0);
    items
        .iter()
        .filter(|i| i.depth == top)
        .map(|i| Entry {
            line: i.line,
            stamp: stamp_in(&i.text),
        })
        .collect()
}

/// The first timestamp in `t`: a date `YYYY-MM-DD` (or `YYYY/MM/DD`) not inside a longer
/// number, then, after `T` or a space, an optional time `HH:MM[:SS]`.
pub fn stamp_in(t: &str) -> Option<Stamp> {
    let b = t.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    (0..b.len()).find_map(|i| {
        let sep = *b.get(i + 4)?;
        let date_ok = (i == 0 || !b[i - 1].is_ascii_digit())
            && digits(i..i + 4)
            && matches!(sep, b'-' | b'/')
            && b.get(i + 7) == Some(&sep)
            && digits(i + 5..i + 7)
            && digits(i + 8..i + 10)
            && !b.get(i + 10).is_some_and(u8::is_ascii_digit);
        if !date_ok {
            return None;
        }
        let date = format!(
            "{}-{}-{}",
            &t[i..i + 4],
            &t[i + 5..i + 7],
            &t[i + 8..i + 10]
        );
        let j = i + 11;
        let time = (matches!(b.get(i + 10), Some(b'T' | b' '))
            && digits(j..j + 2)
            && b.get(j + 2) == Some(&b':')
            && digits(j + 3..j + 5))
        .then(|| {
            if b.get(j + 5) == Some(&b':') && digits(j + 6..j + 8) {
                t[j..j + 8].to_string()
            } else {
                t[j..j + 5].to_string()
            }
        });
        Some(Stamp { date, time })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_in_the_forms_people_write() {
        let s = |t: &str| stamp_in(t).map(|s| (s.date, s.time));
        assert_eq!(
            s("## 2026-02-20T23:31:38Z - Stage 0 Start"),
            Some(("2026-02-20".into(), Some("23:31:38".into())))
        );
        assert_eq!(
            s("### 2026/02/21 09:05 UTC — A7"),
            Some(("2026-02-21".into(), Some("09:05".into())))
        );
        assert_eq!(
            s("Day 2026-02-21: cleanup"),
            Some(("2026-02-21".into(), None))
        );
        assert_eq!(s("run 12026-02-21x"), None);
        assert_eq!(s("Team Prep Sweep"), None);
        assert_eq!(s("2026-2-21"), None);
    }

    #[test]
    fn entries_are_headings_or_top_level_items() {
        let headed = "# Log\n\nintro\n\n## 2026-02-20T10:00Z a\n- note\n### detail\n## b\n";
        assert_eq!(
            entries(headed)
                .iter()
                .map(|e| (e.line, e.stamp.is_some()))
                .collect::<Vec<_>>(),
            vec![(5, true), (8, false)]
        );
        let listed = "# Log\n\n- 2026-02-20T10:00:00Z a\n  - 2026 nested\n- b\n";
        assert_eq!(
            entries(listed)
                .iter()
                .map(|e| (e.line, e.stamp.is_some()))
                .collect::<Vec<_>>(),
            vec![(3, true), (5, false)]
        );
        let a = stamp_in("2026-02-20T10:00").unwrap();
        let b = stamp_in("2026-02-20T09:59:59").unwrap();
        assert!(b.before(&a) && !a.before(&b));
        assert!(stamp_in("2026-02-19").unwrap().before(&b));
        assert!(!stamp_in("2026-02-20").unwrap().before(&b));
    }
}

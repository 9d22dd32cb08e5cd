//! Test runners' own reports, read into one model: which test cases ran, under which names,
//! with which outcome.
//!
//! The harness gates judge what really ran, so they read what the runner itself wrote:
//! vitest's JSON reporter ([`vitest`]), JUnit XML from any runner ([`junit`], via
//! quick-xml), and `cargo nextest list --message-format json` for the set of tests a Rust
//! target declares ([`nextest`], typed with serde).

pub mod junit;
pub mod nextest;
pub mod vitest;

use std::path::Path;
use std::time::SystemTime;

/// The outcome of one test case as the runner reported it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CaseStatus {
    Passed,
    Failed,
    Skipped,
    Todo,
}

impl CaseStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Passed => "passed",
            CaseStatus::Failed => "failed",
            CaseStatus::Skipped => "skipped",
            CaseStatus::Todo => "todo",
        }
    }
}

/// One test case of a report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TestCase {
    /// The file the runner attributes the case to, as written in the report (absolute or
    /// relative to the runner's root); `None` when the report does not say.
    pub file: Option<String>,
    /// The group the runner filed the case under (JUnit's `testsuite` name: a file for vitest,
    /// a binary id for nextest); `None` for vitest JSON.
    pub group: Option<String>,
    /// The name as a path: enclosing suite titles, then the test's own title.
    pub names: Vec<String>,
    pub status: CaseStatus,
    /// 1-based position of the test in `file` when the runner recorded it (0 = unknown).
    pub line: u32,
    pub col: u32,
    /// The first line of the failure message, for failed cases.
    pub message: Option<String>,
    /// The runner's pseudo-case for a suite that declared no test at all (vitest reports
    /// `No test found in suite <name>` as a failure in JUnit); `names` is the suite's path.
    pub empty_suite: bool,
}

impl TestCase {
    /// The full name as the runner would print it.
    pub fn display_name(&self) -> String {
        self.names.join(" > ")
    }
}

/// A test file the runner could not run (syntax error, failing import, crash in a hook).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileError {
    pub file: String,
    pub message: String,
}

/// Which kind of report a file is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    VitestJson,
    Junit,
}

impl ReportFormat {
    pub fn parse(s: &str) -> Option<ReportFormat> {
        match s {
            "vitest-json" => Some(ReportFormat::VitestJson),
            "junit" => Some(ReportFormat::Junit),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ReportFormat::VitestJson => "vitest-json",
            ReportFormat::Junit => "junit",
        }
    }

    /// Guesses the format from the first non-blank byte (`<` → JUnit XML, `{` → JSON).
    pub fn sniff(bytes: &[u8]) -> Option<ReportFormat> {
        let first = bytes
            .iter()
            .copied()
            .find(|b| !(b.is_ascii_whitespace() || *b == 0xEF || *b == 0xBB || *b == 0xBF))?;
        match first {
            b'<' => Some(ReportFormat::Junit),
            b'{' => Some(ReportFormat::VitestJson),
            _ => None,
        }
    }
}

/// A test run as read from a report.
#[derive(Clone, Debug, Default)]
pub struct TestRun {
    pub cases: Vec<TestCase>,
    /// Files the runner reports as executed (whether or not they held tests).
    pub files: Vec<String>,
    pub file_errors: Vec<FileError>,
    /// When the run started, if the report says.
    pub started_at: Option<SystemTime>,
}

/// A report that could not be read: the message names the position when the parser knows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReportError {
    pub line: u32,
    pub col: u32,
    pub message: String,
}

/// Reports larger than this are refused rather than read into memory.
pub const MAX_REPORT_BYTES: u64 = 256 * 1024 * 1024;

/// Reads a report file in the given format (or the sniffed one when `format` is `None`).
pub fn read(path: &Path, format: Option<ReportFormat>) -> Result<TestRun, ReportError> {
    let whole = |message: String| ReportError {
        line: 0,
        col: 0,
        message,
    };
    let meta =
        crate::fs::probe::metadata(path).map_err(|e| whole(format!("cannot be read: {e}")))?;
    if meta.is_dir() {
        return Err(whole("is a directory, not a report file".into()));
    }
    if meta.len() > MAX_REPORT_BYTES {
        // Refused by its size alone: the size is what was read.
        crate::fs::record::file_seen(
            path,
            crate::fs::record::FileState::Unreadable(format!("too large {}", meta.len())),
        );
        return Err(whole(format!(
            "is {} bytes, over the {MAX_REPORT_BYTES} byte limit for reports",
            meta.len()
        )));
    }
    let bytes =
        crate::fs::careful::read(path).map_err(|e| whole(format!("cannot be read: {e}")))?;
    let format = match format.or_else(|| ReportFormat::sniff(&bytes)) {
        Some(f) => f,
        None => {
            return Err(whole(
                "is neither JSON nor XML; cannot tell the report format".into(),
            ));
        }
    };
    let text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        whole(format!("is not valid UTF-8 (at byte {at})"))
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    match format {
        ReportFormat::VitestJson => vitest::parse(text),
        ReportFormat::Junit => junit::parse(text),
    }
}

/// The modification time of a file, if it can be read.
pub fn mtime(path: &Path) -> Option<SystemTime> {
    crate::fs::probe::metadata(path)
        .and_then(|m| m.modified())
        .ok()
}

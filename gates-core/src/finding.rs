//! Findings: what a gate reports about the target, each at an exact place.

use serde::{Deserialize, Serialize};

/// How much a finding weighs. A gate fails when it reports at least one `Error`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Note => "note",
        }
    }
}

/// One violation (or, in report-only modes, one observation) found by a gate.
///
/// `path` is relative to the target repository and uses `/` separators; `line` and `col`
/// are 1-based (0 when the finding concerns a whole file or no file at all).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    /// Stable kebab-case rule id, e.g. `forbidden-legacy-key`.
    pub rule: String,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    pub line: u32,
    pub col: u32,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Finding {
    /// An error-severity finding at `path:line:col`.
    pub fn error(
        rule: impl Into<String>,
        path: impl Into<String>,
        line: u32,
        col: u32,
        message: impl Into<String>,
    ) -> Self {
        Finding {
            rule: rule.into(),
            severity: Severity::Error,
            path: Some(path.into()),
            line,
            col,
            message: message.into(),
            help: None,
        }
    }

    /// An error-severity finding that concerns no particular file.
    pub fn general(rule: impl Into<String>, message: impl Into<String>) -> Self {
        Finding {
            rule: rule.into(),
            severity: Severity::Error,
            path: None,
            line: 0,
            col: 0,
            message: message.into(),
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = severity;
        self
    }

    /// `path:line:col` (or as much of it as is known), for human output.
    pub fn location(&self) -> String {
        match (&self.path, self.line, self.col) {
            (None, _, _) => String::new(),
            (Some(p), 0, _) => p.clone(),
            (Some(p), l, 0) => format!("{p}:{l}"),
            (Some(p), l, c) => format!("{p}:{l}:{c}"),
        }
    }
}

/// Sorts findings by path, line, column and rule so every renderer lists them alike.
pub fn sort_findings(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (&a.path, a.line, a.col, &a.rule, &a.message)
            .cmp(&(&b.path, b.line, b.col, &b.rule, &b.message))
    });
}

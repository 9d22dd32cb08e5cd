//! Rules that several checks report because they share a reader: a check lists the tables of
//! the readers it uses beside its own (`rules: &[RULES, common::EVIDENCE]`), so each rule is
//! declared once, with one summary and one fix, however many checks report it.

use super::{Rule, error};

/// The evidence and citation reader (`artifacts::evidence`): anchors `path:line` in closure
/// documents and agent finals, and files a closure document cites.
pub const EVIDENCE: &[Rule] = &[
    error(
        "evidence-file-missing",
        "an evidence anchor names a file that does not exist (or is not a file)",
        EVIDENCE_FIX,
    ),
    error(
        "evidence-line-out-of-range",
        "the file is shorter than the cited line, or the range runs backwards",
        EVIDENCE_FIX,
    ),
    error(
        "evidence-outside-repo",
        "absolute path under no known prefix, `..` escaping the target, or a symlink leading out",
        EVIDENCE_FIX,
    ),
    error(
        "cited-artifact-missing",
        "a file a closure document cites does not exist",
        EVIDENCE_FIX,
    ),
    error(
        "cited-artifact-outside-repo",
        "a file a closure document cites lies outside the target",
        EVIDENCE_FIX,
    ),
];

const EVIDENCE_FIX: &str = "point anchors at files and lines that exist; restore a cited artifact or cite where it was archived (docs/closure-format.md lists what is not a dangling reference)";

/// Every document reader: the document is read as UTF-8 text.
pub const DOCUMENT: &[Rule] = &[error(
    "document-not-utf8",
    "a document the check reads is not UTF-8 text",
    "save the document as UTF-8",
)];

/// The source reader (`fs::source`, and the TypeScript parser over it).
pub const SOURCES: &[Rule] = &[
    error(
        "unreadable-file",
        "a source the check must read is a symlink loop, not a regular file, larger than the cap, binary or not UTF-8",
        "make the file a regular UTF-8 text file of the target, or point the check's params elsewhere",
    ),
    error(
        "read-failed",
        "the system refused to read a file the check must read (permissions, an I/O error)",
        "give the tool read access to the file; the verdict cannot be decided without it",
    ),
    error(
        "syntax-error",
        "a TypeScript source the check must read does not parse",
        "fix the syntax error at the position given (the same file fails `tsc`)",
    ),
];

/// The discovery implementations a check reads (`checks::discovery_implementation`).
pub const DISCOVERY: &[Rule] = &[error(
    "implementation-missing",
    "a configured discovery implementation does not exist in the target",
    "restore the file, or name the implementation the workspace really uses in the gate's params",
)];

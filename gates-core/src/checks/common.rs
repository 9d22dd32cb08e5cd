//! Rules that several checks report because they share a reader: a check lists the tables of
//! the readers it uses beside its own (`rules: &[RULES, common::EVIDENCE]`), so each rule is
//! declared once, with one summary and one fix, however many checks report it.

use super::{Rule, error, warning};

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
    warning(
        "cited-artifact-deleted-by-cleanup",
        "a file a closure document cites is gone, and the phase's cleanup manifest deletes it (by name) as superseded: the citation is history",
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

/// The careful file reader (`fs::source`): the TypeScript, JSON and manifest files a check
/// reads, and the directories it lists to find them (`repo::plugins`).
pub const SOURCES: &[Rule] = &[
    error(
        "unreadable-file",
        "a file or folder the check must read is a symlink loop, leads outside the target, is not of the kind expected (a directory or FIFO for a file, a file for a discovery root), is larger than the cap, binary or not UTF-8",
        "make the file a regular UTF-8 text file inside the target (a folder where a folder is expected), or point the check's params elsewhere",
    ),
    error(
        "read-failed",
        "the system refused to read a file the check must read (permissions, an I/O error): the gate could not judge it",
        "give the tool read access to the file; the verdict cannot be decided without it",
    ),
];

/// The parsers (`repo::ts` over oxc for TypeScript and JavaScript; the JSON reader where a
/// check judges JSON structurally).
pub const SYNTAX: &[Rule] = &[error(
    "syntax-error",
    "a source the check must parse does not parse (TypeScript/JavaScript, or JSON where the check reads JSON)",
    "fix the syntax error at the position given (the same file fails `tsc`, or `JSON.parse`)",
)];

/// The discovery implementations a check reads (`checks::discovery_implementation`).
pub const DISCOVERY: &[Rule] = &[error(
    "implementation-missing",
    "a configured discovery implementation does not exist in the target",
    "restore the file, or name the implementation the workspace really uses in the gate's params",
)];

/// The forwarding closure of a module (`gates::repo::flow::forwarding_closure`): the modules
/// it re-exports from, or whose imported functions it calls, judged with it.
pub const FORWARDING: &[Rule] = &[error(
    "unresolved-import",
    "an import the judged module follows (relative, absolute, or into a workspace package) names no file of the target, so what it forwards to cannot be judged",
    "fix the import specifier, or the workspace package's `exports`/`main`, so it names a file that exists",
)];

/// The host reader (`gates::repo::host::load_host`): the module holding the host's
/// route-registration function.
pub const HOST: &[Rule] = &[
    error(
        "host-missing",
        "the configured host module does not exist",
        "set `host` in the gate's params to the module that registers the routes",
    ),
    error(
        "registration-missing",
        "the host module declares or imports no function named by `registration` or, without it, exports no function that mounts a route family",
        "export the function that registers the routes, or name it in the gate's `registration` param",
    ),
];

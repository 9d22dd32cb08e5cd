//! The bodies of fuzz targets that read text with the library's readers, kept here so they
//! are compiled (and run over the seeds, `gates/tests/fuzz_bodies.rs`) with every build: a
//! reader whose signature changes breaks the build here, not in a nightly-only crate. The
//! targets in `fuzz/fuzz_targets/` call them.

use std::sync::OnceLock;

use crate::artifacts::{cleanup, disposition, evidence, markdown, readiness, scratchpad};
use crate::pipeline::Pipeline;

/// A later phase's pipeline (slices `K1`…`K7`, the documents by role), for the readers that
/// need the phase's slices and documents (the handoff's prose claims, the cleanup's roles).
const PHASE_K: &str = r#"
[phase]
id = "K"
next = "L"

[documents]
report = "PHASE_K_EXECUTION_REPORT.md"
handoff = "FINAL_PHASE_K_HANDOFF.md"
review = { slice = "K5", file = "K5_REVIEW_DISPOSITION.md" }
structural = { slice = "K5A", file = "K5A_STRUCTURAL_DISPOSITION.md" }
cleanup = { slice = "K6", file = "K6_CLEANUP_MANIFEST.md" }
readiness = { slice = "K7", file = "K7_PHASE_L_READINESS.md" }

[target]
repo = "."
pass_root = "docs/spec/_pass"

[[stage]]
number = 1
title = "runtime"

[[slice]]
id = "K1"
stage = 1
title = "runtime"
owner = "agent-1"
gates = ["g-k1"]

[[slice]]
id = "K5"
stage = 1
title = "review"
owner = "agent-1"
gates = ["g-k5"]
depends_on = ["K1"]

[[slice]]
id = "K5A"
stage = 1
title = "structural"
owner = "agent-1"
gates = ["g-k5a"]
depends_on = ["K5"]

[[slice]]
id = "K6"
stage = 1
title = "cleanup"
owner = "agent-1"
gates = ["g-k6"]
depends_on = ["K5A"]

[[slice]]
id = "K7"
stage = 1
title = "readiness"
owner = "agent-1"
gates = ["g-k7"]
depends_on = ["K6"]

[gate.g-k1]
command = ["true"]

[gate.g-k5]
command = ["true"]

[gate.g-k5a]
command = ["true"]

[gate.g-k6]
command = ["true"]

[gate.g-k7]
command = ["true"]
"#;

/// The later phase's pipeline [`markdown_readers`] reads with.
pub fn phase_k() -> &'static Pipeline {
    static P: OnceLock<Pipeline> = OnceLock::new();
    P.get_or_init(|| {
        crate::load::load_str(
            PHASE_K,
            std::path::Path::new("ci/phase-k.toml"),
            std::path::Path::new("."),
        )
        .expect("the fuzz pipeline loads")
    })
}

/// Every markdown reader over `text`: the parser, the closure documents' readers (readiness,
/// dispositions with their review histories, cleanup manifests, conditional dispositions,
/// scratchpad entries, evidence anchors and citations) and the handoff's prose claims.
pub fn markdown_readers(text: &str) {
    let doc = markdown::Doc::parse(text);
    let _ = doc.headings();
    let all = doc.all();
    let _ = doc.tables(all.clone());
    let _ = doc.sections(|h| h.contains("Disposition"));
    let _ = markdown::has_content(doc.visible(all.clone()));
    let _ = doc.items(all.clone());
    let _ = doc.inlines_in(all.clone());
    let _ = markdown::key_value_lines_in(&doc, all, &["posture", "decision"]);
    for line in text.lines().take(64) {
        let _ = markdown::inlines(line);
        let _ = markdown::strip_line_markers(line);
        let _ = markdown::strip_inline_comments(line);
        let _ = evidence::anchors_in_line(line);
        let _ = evidence::is_git_range(line);
        let _ = evidence::in_user_config(line);
        let _ = evidence::says_absent(line, 1);
        let _ = evidence::says_absent(line, (line.len() / 2) as u32);
    }
    let _ = readiness::check("READINESS.md", text, true);
    // The later phases' readers: an order of opening steps before the next packet, owners by
    // concern; table rows with repository-relative paths into and out of the pass root.
    let _ = readiness::check_with("READINESS.md", text, true, false);
    let _ = readiness::next_phase(text);
    let _ = cleanup::parse("CLEANUP_MANIFEST.md", text);
    let _ = cleanup::parse("docs/spec/_pass/K6_CLEANUP_MANIFEST.md", text);
    let p = phase_k();
    if let Ok(cfg) = crate::checks::docs_cleanup::config_of(p) {
        let _ = cleanup::written_after_cleanup(text.lines().next().unwrap_or(""), &cfg);
    }
    let _ = crate::checks::conditional_disposition::states(text);
    let _ = crate::checks::handoff::prose_claims(text, p);
    // A resolver over a folder that does not exist: every citation is missing, nothing is read.
    let mut resolver = evidence::Resolver::new(std::path::Path::new("/nonexistent-fuzz-root"), &[]);
    let _ = disposition::check("K5_REVIEW_DISPOSITION.md", text, &mut resolver);
    let _ = disposition::decision_of(text);
    let _ = scratchpad::entries(text);
}

/// The markdown target: `data` as text, and a short unit of it repeated into a document of up
/// to 64 KB (the first byte sets how many times), so a shape that makes a reader quadratic
/// costs seconds per input and libFuzzer reports a timeout.
pub fn markdown(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    markdown_readers(text);
    if let Some((&k, unit)) = data.split_first()
        && !unit.is_empty()
        && unit.len() <= 64
        && let Ok(unit) = std::str::from_utf8(unit)
    {
        let times = (64 * (k as usize + 1)).min(65_536 / unit.len());
        markdown_readers(&unit.repeat(times));
    }
}

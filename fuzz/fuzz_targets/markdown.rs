//! The markdown reader behind the closure documents (`gates::artifacts::markdown`) and the
//! document parsers built on it (readiness, dispositions with their review histories and
//! statements of none, cleanup manifests, conditional dispositions, scratchpad entries,
//! evidence anchors and citations): any text, no panic, and no reader slower than linear.
//!
//! Size growth: a short unit of the input (its bytes after the first, at most 64) is also
//! repeated into a document of up to 64 KB (the first byte sets how many times), so a shape
//! that makes a reader quadratic (a line of nested `- ` items, nested strong runs, thousands
//! of items) costs seconds per input and libFuzzer reports it as a timeout (`cargo xtask
//! fuzz` passes `-timeout`), where inputs of `max_len` (4 KB) would hide it.
#![no_main]

use gates::artifacts::{cleanup, disposition, evidence, markdown, readiness, scratchpad};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    read_all(text);
    if let Some((&k, unit)) = data.split_first()
        && !unit.is_empty()
        && unit.len() <= 64
        && let Ok(unit) = std::str::from_utf8(unit)
    {
        let times = (64 * (k as usize + 1)).min(65_536 / unit.len());
        read_all(&unit.repeat(times));
    }
});

fn read_all(text: &str) {
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
        let _ = evidence::says_absent(line);
    }
    let _ = readiness::check("READINESS.md", text, true);
    // The later phases' readers: an order of opening steps before the next packet, owners by
    // concern; table rows with repository-relative paths into and out of the pass root.
    let _ = readiness::check_with("READINESS.md", text, true, false);
    let _ = readiness::next_phase(text);
    let _ = cleanup::parse("CLEANUP_MANIFEST.md", text);
    let _ = cleanup::parse("docs/spec/_pass/K6_CLEANUP_MANIFEST.md", text);
    let _ = cleanup::written_after_cleanup(text.lines().next().unwrap_or(""), "K6_CLEANUP_MANIFEST.md");
    let _ = gates::checks::conditional_disposition::states(text);
    // A resolver over a folder that does not exist: every citation is missing, nothing is read.
    let mut resolver = evidence::Resolver::new(std::path::Path::new("/nonexistent-fuzz-root"), &[]);
    let _ = disposition::check("A7_REVIEW_DISPOSITION.md", text, &mut resolver);
    let _ = disposition::decision_of(text);
    let _ = scratchpad::entries(text);
}

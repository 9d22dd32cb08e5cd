//! The markdown reader behind the closure documents (`gates::artifacts::markdown`) and the
//! document parsers built on it (readiness, dispositions with their review histories and
//! statements of none, cleanup manifests, conditional dispositions, scratchpad entries,
//! evidence anchors and citations, the handoff's prose claims): any text, no panic, and no
//! reader slower than linear. The body is `gates::fuzz_bodies::markdown`, built and run over
//! the seeds with the project's tests.
//!
//! Size growth: a short unit of the input (its bytes after the first, at most 64) is also
//! repeated into a document of up to 64 KB (the first byte sets how many times), so a shape
//! that makes a reader quadratic (a line of nested `- ` items, nested strong runs, thousands
//! of items) costs seconds per input and libFuzzer reports it as a timeout (`cargo xtask
//! fuzz` passes `-timeout`), where inputs of `max_len` (4 KB) would hide it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| gates::fuzz_bodies::markdown(data));

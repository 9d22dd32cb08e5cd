//! `--format json`: the run record, pretty-printed.

use crate::record::RunRecord;

pub fn render(record: &RunRecord) -> String {
    serde_json::to_string_pretty(record).expect("the record serializes") + "\n"
}

/// One gate's result as JSON (for `cargo xtask gate ID --format json`).
pub fn render_gate(g: &crate::record::GateResult) -> String {
    serde_json::to_string_pretty(g).expect("the result serializes")
}

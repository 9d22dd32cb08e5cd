//! The smallest pipeline a gate test needs: one stage, one slice `A5` holding the given
//! gates, and the `[gate.*]` tables as written by the test.

#![allow(dead_code)]

use std::path::Path;

use gates::pipeline::Pipeline;

/// The pipeline text: slice `A5` lists `gate_ids`; `gate_tables` follows as written.
pub fn text(gate_ids: &[&str], gate_tables: &str) -> String {
    let ids: Vec<String> = gate_ids.iter().map(|g| format!("\"{g}\"")).collect();
    format!(
        r#"
[target]
repo = "."
pass_root = "pass"

[[stage]]
number = 1
title = "core"

[[slice]]
id = "A5"
stage = 1
title = "one slice"
owner = "agent-3"
gates = [{}]

{gate_tables}
"#,
        ids.join(", ")
    )
}

/// The pipeline, loaded as `ci/test.toml`.
pub fn pipeline(gate_ids: &[&str], gate_tables: &str) -> Pipeline {
    gates::load::load_str(
        &text(gate_ids, gate_tables),
        Path::new("ci/test.toml"),
        Path::new("."),
    )
    .unwrap()
}

//! The JSON half of the legacy-key guard: in a manifest, a key named like a forbidden key
//! anywhere under `rawr` (at any depth, inside arrays too) is a finding at the key's position.
//! Keys outside `rawr` are the package's own business (`"published"` in some unrelated tool
//! config is not plugin metadata). Read with the span-preserving parser of
//! [`crate::repo::json`], so every key has its exact place and duplicated `rawr` members are
//! all judged.

use super::Guard;
use crate::finding::Finding;
use crate::fs::source::SourceFile;
use crate::repo::json::{self, Node, Value};

pub(super) fn judge(guard: &Guard, file: &SourceFile) -> Vec<Finding> {
    let doc = match json::parse(&file.text) {
        Ok(d) => d,
        Err(e) => {
            return vec![file.finding_at(
                "syntax-error",
                e.offset,
                format!("{} is not valid JSON: {}", file.rel, e.message),
            )];
        }
    };
    let mut out = Vec::new();
    if let Some(members) = doc.root.as_object() {
        for m in members.iter().filter(|m| m.key == "rawr") {
            walk(guard, file, &m.value, "rawr", &mut out);
        }
    }
    out
}

fn walk(guard: &Guard, file: &SourceFile, node: &Node, path: &str, out: &mut Vec<Finding>) {
    match &node.value {
        Value::Object(members) => {
            for m in members {
                let here = format!("{path}.{}", m.key);
                if guard.keys.contains(&m.key) {
                    out.push(
                        guard
                            .key_finding(
                                file,
                                m.key_span.start,
                                "legacy-key-manifest",
                                format!("legacy key `{}` declared in the manifest at `{here}`", m.key),
                            )
                            .with_help(format!(
                                "delete `{here}`: plugin identity is rawr.kind + rawr.capability (JSON has no comments, so manifests cannot carry allow markers)"
                            )),
                    );
                }
                walk(guard, file, &m.value, &here, out);
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                walk(guard, file, item, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

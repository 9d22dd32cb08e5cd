//! `cargo xtask bench documents`: the readers of people's markdown (the cleanup manifest, the
//! review dispositions, the readiness, the report's claims) over generated pathological
//! documents, each shape at a size and at four times it. The readers must be linear: the
//! target is that four times the input costs at most `--max-growth` (default 10) times the
//! time: a linear reader costs about 4 times (6 or 7 on a busy machine), a quadratic one 16. Shapes: one line of nested `- ` items, many list
//! items, many headings, table rows, nested strong runs, code spans on one item, links, key
//! lines, code fences, nested blockquotes.

use std::path::Path;
use std::time::Duration;

use crate::artifacts::{cleanup, disposition, evidence, readiness, report};

/// A shape: its name, and the document of a size.
pub type Shape = (&'static str, fn(usize) -> String);

/// The shapes, each a function of the size.
pub const SHAPES: &[Shape] = &[
    ("nested-items", |n| format!("{}x\n", "- ".repeat(n))),
    ("items", |n| {
        (0..n)
            .map(|i| format!("- `AGENT_9_N{i}.md` superseded\n"))
            .collect()
    }),
    ("headings", |n| {
        (0..n)
            .map(|i| format!("## Deleted {i}\n- `AGENT_9_H{i}.md` gone\n"))
            .collect()
    }),
    ("table-rows", |n| {
        let mut s = String::from(
            "| path | action | destination | rationale |\n| --- | --- | --- | --- |\n",
        );
        for i in 0..n {
            s.push_str(&format!("| `R{i}.md` | delete | — | gone |\n"));
        }
        s
    }),
    ("nested-strong", |n| {
        format!("{}x{}\n", "**a ".repeat(n), "**".repeat(n))
    }),
    ("spans-on-one-item", |n| {
        let spans: Vec<String> = (0..n).map(|i| format!("`S{i}.md`")).collect();
        format!("- Deleted: {}\n", spans.join(" "))
    }),
    ("links", |n| {
        (0..n).map(|i| format!("[l](R{i}.md) ")).collect::<String>() + "\n"
    }),
    ("key-lines", |n| {
        (0..n).map(|i| format!("Decision: approve {i}\n")).collect()
    }),
    ("code-fences", |n| {
        (0..n).map(|i| format!("```\ncode {i}\n```\n")).collect()
    }),
    ("nested-quotes", |n| format!("{}x\n", "> ".repeat(n))),
];

/// Every reader over one document.
fn read_all(text: &str, repo: &Path) {
    let (m, f) = cleanup::parse("pass/K6_CLEANUP_MANIFEST.md", text);
    std::hint::black_box((m.entries.len(), f.len()));
    let mut r = evidence::Resolver::new(repo, &[]);
    let d = disposition::check("pass/K5_REVIEW_DISPOSITION.md", text, &mut r);
    std::hint::black_box(d.findings.len());
    let rd = readiness::check("pass/K7_PHASE_L_READINESS.md", text, true);
    std::hint::black_box(rd.findings.len());
    std::hint::black_box(report::parse_claims(text).is_some());
}

/// Measures every shape at `size` and `4 × size`; prints the figures and returns whether
/// every growth is within `max_growth`.
pub fn run(size: usize, runs: usize, max_growth: f64) -> bool {
    let repo = std::env::temp_dir();
    let mut ok = true;
    println!(
        "document readers (manifest, disposition, readiness, claims), {size} vs {} units, median of {runs}:",
        4 * size
    );
    for (name, make) in SHAPES {
        let (small, big) = (make(size), make(4 * size));
        let t1 = super::median(&super::measure(runs, || read_all(&small, &repo)));
        let t4 = super::median(&super::measure(runs, || read_all(&big, &repo)));
        let growth = t4.as_secs_f64() / t1.max(Duration::from_micros(1)).as_secs_f64();
        let met = growth <= max_growth;
        ok &= met;
        println!(
            "  {name:<18} {:>7} KB {:>9.2} ms   {:>7} KB {:>9.2} ms   ×{growth:.1} {}",
            small.len() / 1024,
            t1.as_secs_f64() * 1e3,
            big.len() / 1024,
            t4.as_secs_f64() * 1e3,
            if met { "ok" } else { "OVER (not linear)" }
        );
    }
    ok
}

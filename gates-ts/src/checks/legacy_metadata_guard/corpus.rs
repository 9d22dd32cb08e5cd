//! The guard benchmark's generated TypeScript (`cargo xtask bench guard`), kept beside the
//! guard so its own tests can compare its plan with whole parses on the same corpus.

use std::fmt::Write as _;

/// How a generated file mentions the forbidden keys.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mention {
    None,
    Code,
    Comment,
    NearMiss,
}

/// About 200 lines of plausible plugin code; `m` decides where a key appears.
pub fn ts_module(plugin: &str, n: usize, m: Mention) -> String {
    let mut s = String::with_capacity(7000);
    let _ = writeln!(
        s,
        "/**\n * {plugin}: module {n}. Generated for the guard benchmark.\n */"
    );
    let _ = writeln!(s, "import {{ readFile }} from \"node:fs/promises\";\n");
    for block in 0..12 {
        let _ = writeln!(
            s,
            "export interface Record{n}x{block} {{\n  id: string;\n  kind: string;\n  capability: string;\n  createdAt: number;\n}}\n"
        );
        let _ = writeln!(
            s,
            "export async function load{n}x{block}(path: string): Promise<Record{n}x{block}[]> {{\n  const text = await readFile(path, \"utf8\");\n  const rows = JSON.parse(text) as Record{n}x{block}[];\n  // Keep only rows of this capability, newest first.\n  return rows\n    .filter((row) => row.capability === \"{plugin}\")\n    .sort((a, b) => b.createdAt - a.createdAt);\n}}\n"
        );
        if block == 5 {
            match m {
                Mention::None => {}
                Mention::Code => {
                    let _ = writeln!(
                        s,
                        "export function legacyTier(row: {{ publishTier?: string }}, plugin: any) {{\n  return row.publishTier ?? plugin.rawr.channel;\n}}\n"
                    );
                }
                Mention::Comment => {
                    let _ = writeln!(
                        s,
                        "// The old release channel and publishTier fields were removed in A6.\n"
                    );
                }
                Mention::NearMiss => {
                    let _ = writeln!(
                        s,
                        "export const channelId = \"C{n}\";\nexport const publishedAt = Date.now();\n"
                    );
                }
            }
        }
    }
    s
}

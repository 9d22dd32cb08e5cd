//! The TypeScript flow evaluation behind `discovery-roots` (oxc-parsed input, followed
//! through imports): a discovery implementation and a helper module it may import, any
//! text, no panic.
#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;

const IMPL: &str = "packages/hq/src/workspace/plugins.ts";
const HELPER: &str = "packages/hq/src/workspace/roots.ts";

fn repo() -> &'static common::Repo {
    static REPO: OnceLock<common::Repo> = OnceLock::new();
    REPO.get_or_init(|| {
        common::Repo::new(
            "discovery",
            &[
                ("package.json", r#"{"name":"hq","workspaces":["packages/*"]}"#),
                ("packages/hq/package.json", r#"{"name":"@rawr/hq"}"#),
            ],
        )
    })
}

fuzz_target!(|data: &[u8]| {
    let parts = common::split(data, 2);
    let r = repo();
    r.write(IMPL, parts[0]);
    r.write(HELPER, parts[1]);
    let roots: Vec<String> = ["cli", "agents", "web", "api", "workflows"]
        .map(String::from)
        .to_vec();
    let _ = gates::checks::discovery_roots::check_repo(&r.root, &[IMPL.to_string()], &roots);
});

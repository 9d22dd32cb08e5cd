//! The host gates (`manifest-smoke` in both modes and `host-composition-guard`) over
//! oxc-parsed input: the host module, a module it registers routes from, the manifest and
//! the context module, any text, no panic.
#![no_main]

#[path = "common.rs"]
mod common;

use std::sync::OnceLock;

use gates::checks::{host_composition_guard, manifest_smoke};
use libfuzzer_sys::fuzz_target;

const FILES: [&str; 4] = [
    "apps/server/src/rawr.ts",
    "apps/server/src/orpc.ts",
    "rawr.hq.ts",
    "apps/server/src/workflows/context.ts",
];

fn repo() -> &'static common::Repo {
    static REPO: OnceLock<common::Repo> = OnceLock::new();
    REPO.get_or_init(|| common::Repo::new("host", &[("package.json", r#"{"name":"hq"}"#)]))
}

fuzz_target!(|data: &[u8]| {
    let parts = common::split(data, FILES.len());
    let r = repo();
    for (f, text) in FILES.iter().zip(&parts) {
        r.write(f, text);
    }
    for mode in ["baseline", "completion"] {
        let p: manifest_smoke::Params =
            toml::from_str(&format!("mode = \"{mode}\"")).expect("params");
        let _ = manifest_smoke::check(&r.root, &p);
    }
    let p: host_composition_guard::Params = toml::from_str("").expect("params");
    let _ = host_composition_guard::check(&r.root, &p);
});

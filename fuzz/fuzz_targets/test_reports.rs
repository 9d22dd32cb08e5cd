//! The test-report readers (`gates::testreport`): vitest JSON, JUnit XML and nextest's test
//! list, any text, no panic.
#![no_main]

use gates::testreport::{junit, nextest, vitest};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = vitest::parse(text);
    let _ = junit::parse(text);
    let _ = nextest::parse_list(text);
});

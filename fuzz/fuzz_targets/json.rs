//! The target's JSON reader (`gates::repo::json`): any bytes, no panic; an error's
//! offset lies inside the text; a kept-members parse agrees with the full one.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let full = gates::repo::json::parse(text);
    let kept = gates::repo::json::parse_keeping(text, &["name", "rawr"]);
    assert_eq!(full.is_ok(), kept.is_ok(), "parse and parse_keeping disagree");
    if let Err(e) = &full {
        assert!(e.offset <= text.len(), "error offset {} past the end", e.offset);
    }
});

//! The pipeline loader (`gates::load::load_str`): any text, no panic; an error's line
//! lies inside the text.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(e) = gates::load::load_str(text, Path::new("phase-a.toml"), Path::new(".")) {
        let lines = text.split('\n').count() as u32;
        assert!(e.line <= lines.max(1), "error line {} past the end", e.line);
        let _ = e.to_string();
    }
});

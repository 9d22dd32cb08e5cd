//! The Inngest signature the route probe signs with (`gates::checks::route_probe`): any
//! key, body and time give `t=<decimal>&s=<64 lowercase hex>`, and the key's
//! `signkey-<env>-` prefix is the only part dropped. (The tool builds this header; it never
//! parses one: verifying it is the target host's job.)
#![no_main]

use gates::checks::route_probe::{signature_header, signing_key_text};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let t = u64::from_le_bytes(data[..8].try_into().unwrap());
    let rest = &data[8..];
    let split = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    let Ok(key) = std::str::from_utf8(&rest[..split]) else {
        return;
    };
    let body = rest.get(split + 1..).unwrap_or(&[]);
    let text = signing_key_text(key);
    assert!(key.ends_with(text));
    let h = signature_header(key, body, t);
    let (ts, sig) = h.split_once("&s=").expect("two fields");
    assert_eq!(ts, format!("t={t}"));
    assert_eq!(sig.len(), 64);
    assert!(sig.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)));
});

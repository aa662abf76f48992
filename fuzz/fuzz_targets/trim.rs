//! ECMAScript trim: differential against an oracle built from Unicode's White_Space property
//! (Rust's `char::is_whitespace`) with JavaScript's two differences: U+0085 is not
//! whitespace in JavaScript, U+FEFF is.
#![no_main]
use libfuzzer_sys::fuzz_target;
use paperclip_session_compaction::core::js_semantics::{is_non_blank, trim};

fn js_whitespace_oracle(unit: u16) -> bool {
    char::from_u32(u32::from(unit)).is_some_and(|c| (c.is_whitespace() && c != '\u{85}') || c == '\u{FEFF}')
}

fuzz_target!(|units: Vec<u16>| {
    let start = units.iter().position(|&u| !js_whitespace_oracle(u)).unwrap_or(units.len());
    let end = units.iter().rposition(|&u| !js_whitespace_oracle(u)).map_or(start, |i| i + 1);
    assert_eq!(trim(&units), &units[start..end]);
    assert_eq!(is_non_blank(&units), start < end);
});

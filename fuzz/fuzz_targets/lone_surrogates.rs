//! The audit's marked form of strings with lone surrogates is one-to-one: any UTF-16 string
//! marked and read back is itself, and a JSON string literal of it (escaped as JSON.stringify
//! escapes it), marked as a line, reads as the same marked string.
#![no_main]
use libfuzzer_sys::fuzz_target;
use paperclip_session_compaction::core::audit::surrogates::{mark_line_for_fuzzing, mark_units, unmarked_units};

fuzz_target!(|units: Vec<u16>| {
    let marked = mark_units(&units);
    assert!(unmarked_units(&marked).eq(units.iter().copied()));
    // The literal: lone surrogates as `\uXXXX`, quotes, backslashes and controls escaped.
    let mut literal = String::from("\"");
    for decoded in char::decode_utf16(units.iter().copied()) {
        match decoded {
            Ok('"') => literal.push_str("\\\""),
            Ok('\\') => literal.push_str("\\\\"),
            Ok(c) if (c as u32) < 0x20 => literal.push_str(&format!("\\u{:04x}", c as u32)),
            Ok(c) => literal.push(c),
            Err(lone) => literal.push_str(&format!("\\u{:04x}", lone.unpaired_surrogate())),
        }
    }
    literal.push('"');
    let line = mark_line_for_fuzzing(literal.as_bytes()).unwrap_or_else(|| literal.clone().into_bytes());
    let read: String = serde_json::from_slice(&line).expect("a marked literal is JSON");
    assert_eq!(read, marked);
});

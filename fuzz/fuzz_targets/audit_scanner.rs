//! The audit's fast scanner against serde_json on arbitrary lines, plain and as COPY text
//! (its escapes undone): wherever the scanner answers, its fields, and so the row's verdict,
//! are serde_json's.
#![no_main]
use libfuzzer_sys::fuzz_target;
use paperclip_session_compaction::core::audit::check_against_serde;

fuzz_target!(|line: &[u8]| {
    if let Err(difference) = check_against_serde(line) {
        panic!("{difference}");
    }
});

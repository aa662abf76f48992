//! The audit over arbitrary bytes in arbitrary pieces, plain or COPY text, with a small line
//! cap: it never panics, every non-blank line is counted once (used, left out or skipped), and
//! the pieces' boundaries do not change the report.
#![no_main]
use libfuzzer_sys::fuzz_target;
use paperclip_session_compaction::core::audit::{audit_bytes, AuditOptions, Auditor};

fuzz_target!(|input: (Vec<u8>, Vec<u8>, u8)| {
    let (bytes, cuts, cap) = input;
    let options = AuditOptions {
        threads: 1,
        max_line_bytes: usize::from(cap) + 1,
        ..AuditOptions::default()
    };
    let whole = audit_bytes(&bytes, options.clone());
    let mut auditor = Auditor::new(options);
    let mut rest = bytes.as_slice();
    for cut in cuts {
        let (piece, tail) = rest.split_at(usize::from(cut).min(rest.len()));
        auditor.push(piece);
        rest = tail;
    }
    auditor.push(rest);
    let pieces = auditor.finish();
    assert_eq!(whole.lines, pieces.lines);
    assert_eq!(whole.rows_used, pieces.rows_used);
    assert_eq!(whole.rows_skipped, pieces.rows_skipped);
    assert_eq!(whole.sessions, pieces.sessions);
    assert_eq!(whole.what_if, pieces.what_if);
});

//! UTF-16 all the way: evaluateSessionCompaction on the in-memory model with arbitrary code
//! units (lone surrogates included) never panics; the handoff note carries the session id and
//! the continuation body's first 1,500 code units exactly.
#![no_main]
use libfuzzer_sys::fuzz_target;
use paperclip_session_compaction::core::evaluation::evaluate;
use paperclip_session_compaction::core::model::{obj, s, Js, Model};

fuzz_target!(|input: (Vec<u16>, Vec<u16>, Vec<u16>, u8)| {
    let (session, body, summary, runs) = input;
    let run = |i: u8| {
        obj(vec![
            ("id", Js::Str(vec![u16::from(i)])),
            ("createdAt", Js::Num(f64::from(i))),
            ("usageJson", Js::Null),
            ("error", Js::Null),
            ("livenessState", s("completed")),
            ("resultSummary", Js::Str(summary.clone())),
        ])
    };
    let runtime = obj(vec![("sessionCompaction", obj(vec![("maxSessionRuns", Js::Num(1.0))]))]);
    let value = obj(vec![
        ("agent", obj(vec![("adapterType", s("cursor")), ("runtimeConfig", runtime)])),
        ("sessionId", Js::Str(session.clone())),
        ("issueId", Js::Null),
        ("continuationSummaryBody", Js::Str(body.clone())),
        ("runs", Js::Arr((0..runs % 4).map(run).collect())),
    ]);
    let mut host = &Model;
    let Ok(decision) = evaluate(&mut host, &value) else {
        return;
    };
    let Some(note) = decision.handoff_markdown else {
        return;
    };
    let contains = |needle: &[u16]| needle.is_empty() || note.windows(needle.len()).any(|w| w == needle);
    assert!(contains(&session));
    let cut = &body[..body.len().min(1500)];
    let mut line: Vec<u16> = "- Issue continuation summary: ".encode_utf16().collect();
    line.extend_from_slice(cut);
    line.push(u16::from(b'\n'));
    assert!(body.is_empty() || contains(&line), "the body line must hold exactly the first 1,500 units");
});

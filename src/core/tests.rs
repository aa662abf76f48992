//! Unit tests of the pure core, on the in-memory model of JavaScript values. Expected
//! values were read off Node.js 20 (`node -e`), not off this code.
#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use super::breaker::{self, BreakerDecision};
use super::evaluation::{self, Decision};
use super::host::Failure;
use super::js_semantics::*;
use super::model::{obj, s, Js, Model};
use super::policy::{self, PolicySource};

fn u(text: &str) -> Vec<u16> {
    text.encode_utf16().collect()
}

fn text(units: &Option<Vec<u16>>) -> Option<String> {
    units.as_ref().map(|u| String::from_utf16_lossy(u))
}

#[test]
fn trim_is_ecmascript_trim_not_rusts() {
    assert_eq!(trim(&u("\u{FEFF} a \u{3000}")), u("a").as_slice());
    // U+0085 (NEL) is not JavaScript whitespace; U+180E is not either.
    assert_eq!(trim(&u("\u{85}")), u("\u{85}").as_slice());
    assert!(is_non_blank(&u("\u{180E}")));
    assert!(!is_non_blank(&u(
        "\u{2028}\u{2029}\u{202F}\u{205F}\u{A0}\u{1680}\t\n\u{B}\u{C}\r "
    )));
    assert!(!is_non_blank(&[]));
}

#[test]
fn string_to_number_matches_number_of_trimmed() {
    let cases: &[(&str, f64)] = &[
        ("0x10", 16.0),
        ("0X1f", 31.0),
        ("0b11", 3.0),
        ("0o17", 15.0),
        ("", 0.0),
        ("   ", 0.0),
        ("1e3", 1000.0),
        (" 12.9 ", 12.9),
        (".5", 0.5),
        ("5.", 5.0),
        ("+4", 4.0),
        ("-2", -2.0),
        ("1e400", f64::INFINITY),
        ("Infinity", f64::INFINITY),
        ("-Infinity", f64::NEG_INFINITY),
        ("0x1fffffffffffff", 9007199254740991.0),
        // 2^53 + 1 rounds to even (2^53), 2^53 + 3 rounds up to 2^53 + 4.
        ("0x20000000000001", 9007199254740992.0),
        ("0x20000000000003", 9007199254740996.0),
    ];
    for (input, expected) in cases {
        assert_eq!(string_to_number(&u(input)), *expected, "Number({input:?})");
    }
    for rejected in [
        "1_0",
        "-0x10",
        "0x",
        "0b2",
        ".",
        "e5",
        "1e",
        "inf",
        "nan",
        "Infinityx",
        "1 2",
        "١",
    ] {
        assert!(
            string_to_number(&u(rejected)).is_nan(),
            "Number({rejected:?}) should be NaN"
        );
    }
    // Huge hex literals round like V8: 0x + 1 followed by 300 zero digits is 2^1200 = Infinity.
    let huge = format!("0x1{}", "0".repeat(300));
    assert_eq!(string_to_number(&u(&huge)), f64::INFINITY);
    let big = format!("0x1{}", "0".repeat(20));
    assert_eq!(string_to_number(&u(&big)), 2f64.powi(80));
}

#[test]
fn numbers_print_as_javascript_prints_them() {
    assert_eq!(number_to_string(3.0), "3");
    assert_eq!(number_to_string(-0.0), "0");
    assert_eq!(number_to_string(1e21), "1e+21");
    assert_eq!(number_to_string(2.5), "2.5");
    assert_eq!(number_to_string(123456789012345680000.0), "123456789012345680000");
}

#[test]
fn en_us_grouping_matches_to_locale_string() {
    let cases: &[(f64, &str)] = &[
        (0.0, "0"),
        (2_000_000.0, "2,000,000"),
        (2_345_678.0, "2,345,678"),
        (999.0, "999"),
        (1000.0, "1,000"),
        (2f64.powi(70), "1,180,591,620,717,411,300,000"),
        (1e21, "1,000,000,000,000,000,000,000"),
        (1234.5678, "1,234.568"),
        (0.0005, "0.001"),
        (1.0005, "1.001"),
        (0.00145, "0.001"),
        (999.9995, "1,000"),
        (999.9994999, "999.999"),
        (1e-7, "0"),
        (4.35, "4.35"),
        (9007199254740992.0, "9,007,199,254,740,992"),
        (-0.0, "-0"),
        (-0.0001, "-0"),
        (-1.5, "-1.5"),
    ];
    for (n, expected) in cases {
        assert_eq!(number_to_en_us(*n), *expected, "({n}).toLocaleString(\"en-US\")");
    }
}

#[test]
fn iso_times_parse_as_date_parse() {
    let cases: &[(&str, f64)] = &[
        ("2026-06-06T12:00:00.000Z", 1780747200000.0),
        ("2026-06-06t12:00:00z", 1780747200000.0),
        ("2026-06-06T12:00:00.1Z", 1780747200100.0),
        ("2026-06-06T12:00:00.1239Z", 1780747200123.0),
        ("2026-06-06T24:00:00Z", 1780790400000.0),
        ("2026-06-06T12:00Z", 1780747200000.0),
        ("2026-06-06T12:00:00+05:30", 1780727400000.0),
        ("2026-06-06T12:00:00-00:00", 1780747200000.0),
        ("2026", 1767225600000.0),
        ("2026-06", 1780272000000.0),
        ("2026-06-06", 1780704000000.0),
        ("2026-02-31T00:00:00Z", 1772496000000.0),
        ("0000-01-01T00:00:00Z", -62167219200000.0),
    ];
    for (input, expected) in cases {
        assert_eq!(parse_iso_date_time(&u(input)), Some(*expected), "Date.parse({input:?})");
    }
    // Not ours to answer: local time, legacy formats, and invalid strings go to the engine.
    for declined in [
        "2026-06-06T12:00:00",
        "2026-06-06 12:00:00Z",
        "2026-06-06T24:00:01Z",
        "2026-13-01",
        " 2026",
    ] {
        assert_eq!(parse_iso_date_time(&u(declined)), None, "{declined:?}");
    }
}

#[test]
fn time_clip_truncates_and_bounds() {
    assert_eq!(time_clip(1.9), 1.0);
    assert_eq!(time_clip(-1.9), -1.0);
    assert!(time_clip(8.64e15 + 1.0).is_nan());
    assert!(time_clip(f64::INFINITY).is_nan());
    assert!(time_clip(-0.0).is_sign_positive());
}

fn dead_run(id: &str, session: &str) -> Js {
    obj(vec![
        ("id", s(id)),
        ("livenessState", s("failed")),
        (
            "usageJson",
            obj(vec![
                ("persistedSessionId", s(session)),
                ("sessionReused", Js::Bool(true)),
                ("inputTokens", Js::Num(0.0)),
                ("rawInputTokens", Js::Num(0.0)),
            ]),
        ),
    ])
}

fn live_run(id: &str) -> Js {
    obj(vec![
        ("id", s(id)),
        ("livenessState", s("completed")),
        ("usageJson", Js::Null),
    ])
}

fn breaker_on(input: &Js) -> Result<BreakerDecision<String>, Failure> {
    let mut host = &Model;
    breaker::detect_input(&mut host, input).map(|d| BreakerDecision {
        rotate: d.rotate,
        reason: d.reason,
        previous_run_id: d.previous_run_id.map(|v| match v {
            Js::Str(units) => String::from_utf16_lossy(units),
            other => format!("{other:?}"),
        }),
        dead_streak: d.dead_streak,
    })
}

#[test]
fn three_dead_runs_rotate_with_the_newest_dead_run() {
    let input = obj(vec![
        ("sessionId", s("sess")),
        (
            "runs",
            Js::Arr(vec![
                dead_run("r3", "sess"),
                dead_run("r2", "sess"),
                dead_run("r1", "sess"),
                live_run("r0"),
            ]),
        ),
    ]);
    let d = breaker_on(&input).unwrap();
    assert!(d.rotate);
    assert_eq!(
        text(&d.reason).as_deref(),
        Some("3 consecutive failed zero-token reused runs on persisted session sess")
    );
    assert_eq!(d.previous_run_id.as_deref(), Some("r3"));
}

#[test]
fn a_live_run_breaks_the_streak_and_later_runs_are_never_read() {
    let input = obj(vec![
        ("sessionId", s("sess")),
        (
            "runs",
            Js::Arr(vec![dead_run("r3", "sess"), live_run("r2"), Js::Null, Js::Throwing]),
        ),
    ]);
    let d = breaker_on(&input).unwrap();
    assert!(!d.rotate);
    assert_eq!(d.previous_run_id.as_deref(), Some("r3"));
}

#[test]
fn breaker_threshold_floors_and_rejects_other_types() {
    let runs = Js::Arr(vec![dead_run("b", "s"), dead_run("a", "s")]);
    let with = |t: Js| obj(vec![("sessionId", s("s")), ("runs", runs.clone()), ("threshold", t)]);
    assert!(breaker_on(&with(Js::Num(2.9))).unwrap().rotate);
    assert!(!breaker_on(&with(Js::Num(f64::NAN))).unwrap().rotate);
    assert!(breaker_on(&with(Js::Num(-1.0))).unwrap().rotate);
    assert_eq!(
        breaker_on(&with(s("2"))),
        Err(Failure::Type("threshold must be a number".into()))
    );
}

#[test]
fn a_null_run_that_must_be_read_names_its_index() {
    let input = obj(vec![
        ("sessionId", s("s")),
        ("runs", Js::Arr(vec![dead_run("b", "s"), Js::Null])),
    ]);
    assert_eq!(
        breaker_on(&input),
        Err(Failure::Type("runs[1] must be an object".into()))
    );
    let not_array = obj(vec![("sessionId", s("s")), ("runs", s("x"))]);
    assert_eq!(
        breaker_on(&not_array),
        Err(Failure::Type("runs must be an array".into()))
    );
    // A getter that throws propagates as the host's own exception.
    let throwing = obj(vec![("sessionId", s("s")), ("runs", Js::Arr(vec![Js::Throwing]))]);
    assert_eq!(breaker_on(&throwing), Err(Failure::Thrown));
}

#[test]
fn blank_session_ids_are_none_but_nel_is_a_session() {
    for blank in ["", " \t", "\u{FEFF}"] {
        let input = obj(vec![("sessionId", s(blank)), ("runs", Js::Null)]);
        assert_eq!(breaker_on(&input).unwrap().previous_run_id, None);
    }
    let nel = obj(vec![
        ("sessionId", s("\u{85}")),
        ("runs", Js::Arr(vec![dead_run("a", "\u{85}")])),
        ("threshold", Js::Num(1.0)),
    ]);
    assert!(breaker_on(&nel).unwrap().rotate);
}

fn resolve(adapter_type: &Js, runtime_config: &Js, path: &str) -> Result<policy::Resolution, Failure> {
    let mut host = &Model;
    policy::resolve(&mut host, adapter_type, runtime_config, path)
}

fn agent_policy(agent: &Js, path: &str) -> Result<policy::Policy, Failure> {
    let mut host = &Model;
    policy::agent_policy(&mut host, agent, path)
}

fn agent(adapter: &str, runtime: Js) -> Js {
    obj(vec![("adapterType", s(adapter)), ("runtimeConfig", runtime)])
}

#[test]
fn policy_defaults_and_overrides() {
    let none = Js::Null;
    let r = resolve(&s("codex_local"), &none, "").unwrap();
    assert_eq!(r.source, PolicySource::AdapterDefault);
    assert!(!r.policy.has_thresholds());

    let r = resolve(&s("constructor"), &none, "").unwrap();
    assert_eq!(r.source, PolicySource::LegacyFallback);
    assert!(r.adapter_session_management.is_none());
    assert!(!r.policy.enabled);

    let runtime = obj(vec![(
        "heartbeat",
        obj(vec![
            ("sessionCompaction", Js::Null),
            (
                "sessionRotation",
                obj(vec![
                    ("enabled", s(" Yes ")),
                    ("maxSessionRuns", s("0x10")),
                    ("maxSessionAgeHours", Js::Num(-0.5)),
                ]),
            ),
        ]),
    )]);
    let r = resolve(&s("process"), &runtime, "").unwrap();
    assert_eq!(r.source, PolicySource::AgentOverride);
    assert_eq!(r.explicit_override.enabled, Some(true));
    assert_eq!(r.explicit_override.max_session_runs, Some(16.0));
    assert_eq!(r.explicit_override.max_session_age_hours, Some(0.0));
    assert!(r.explicit_override.max_session_age_hours.unwrap().is_sign_positive());
    assert_eq!(r.explicit_override.max_raw_input_tokens, None);

    // A present non-object stops the search.
    let stopped = obj(vec![(
        "heartbeat",
        obj(vec![
            ("sessionCompaction", s("x")),
            ("sessionRotation", obj(vec![("maxSessionRuns", Js::Num(1.0))])),
        ]),
    )]);
    let r = resolve(&s("cursor"), &stopped, "").unwrap();
    assert_eq!(r.source, PolicySource::AdapterDefault);
    assert_eq!(r.policy.max_session_runs, 200.0);

    assert_eq!(
        resolve(&Js::Num(1.0), &none, "agent"),
        Err(Failure::Type("agent.adapterType must be a string".into()))
    );
}

#[test]
fn plan_reads_enough_runs_for_the_breaker_and_the_run_limit() {
    let p = agent_policy(&agent("cursor", Js::Null), "agent").unwrap();
    assert_eq!(
        policy::plan(&p),
        policy::Plan {
            fetch_limit: 201.0,
            needs_oldest_run: true
        }
    );
    let p = agent_policy(&agent("claude_local", Js::Null), "agent").unwrap();
    assert_eq!(
        policy::plan(&p),
        policy::Plan {
            fetch_limit: 4.0,
            needs_oldest_run: false
        }
    );
}

fn run_at(id: &str, created_ms: f64, usage: Js, summary: Js) -> Js {
    obj(vec![
        ("id", s(id)),
        ("createdAt", Js::Date(created_ms)),
        ("usageJson", usage),
        ("error", Js::Null),
        ("livenessState", s("completed")),
        ("resultSummary", summary),
    ])
}

fn evaluate_on(input: &Js) -> Result<Decision<String>, Failure> {
    let mut host = &Model;
    evaluation::evaluate(&mut host, input).map(|d| Decision {
        rotate: d.rotate,
        reason: d.reason,
        handoff_markdown: d.handoff_markdown,
        previous_run_id: d.previous_run_id.map(|v| format!("{v:?}")),
    })
}

#[test]
fn raw_input_limit_rotates_with_grouped_numbers_and_a_handoff() {
    const HOUR: f64 = 3_600_000.0;
    let usage = obj(vec![
        ("rawInputTokens", Js::Num(2_345_678.0)),
        ("inputTokens", Js::Num(10.0)),
    ]);
    let input = obj(vec![
        ("agent", agent("gemini_local", Js::Null)),
        ("sessionId", Js::Str(vec![u16::from(b's'), 0xD800])),
        ("issueId", s("PAP-1")),
        (
            "continuationSummaryBody",
            Js::Str(
                vec![u16::from(b'x'); 1499]
                    .into_iter()
                    .chain([0xD83D, 0xDE00])
                    .collect(),
            ),
        ),
        (
            "runs",
            Js::Arr(vec![
                run_at("r2", 10.0 * HOUR, usage, s("  ")),
                run_at("r1", 9.0 * HOUR, Js::Null, Js::Null),
            ]),
        ),
    ]);
    let d = evaluate_on(&input).unwrap();
    assert!(d.rotate);
    assert_eq!(
        text(&d.reason).as_deref(),
        Some("session raw input reached 2,345,678 tokens (threshold 2,000,000)")
    );
    let note = d.handoff_markdown.unwrap();
    // The lone surrogate of the session id survives, and the body is cut inside the emoji.
    let expected_start: Vec<u16> = u("Paperclip session handoff:\n- Previous session: s")
        .into_iter()
        .chain([0xD800])
        .collect();
    assert!(note.starts_with(&expected_start));
    let body_line: Vec<u16> = u("- Issue continuation summary: ")
        .into_iter()
        .chain(vec![u16::from(b'x'); 1499])
        .chain([0xD83D, u16::from(b'\n')])
        .collect();
    assert!(note.windows(body_line.len()).any(|w| w == body_line.as_slice()));
    assert!(!note.windows(1).any(|w| w == [0xDE00]));
}

#[test]
fn age_limit_uses_oldest_run_and_floors_hours() {
    const HOUR: f64 = 3_600_000.0;
    let input = obj(vec![
        ("agent", agent("opencode_local", Js::Null)),
        ("sessionId", s("s")),
        ("issueId", s("")),
        ("runs", Js::Arr(vec![run_at("r2", 100.0 * HOUR, Js::Null, Js::Null)])),
        (
            "oldestRun",
            obj(vec![("id", s("r0")), ("createdAt", s("1970-01-01T19:30:00Z"))]),
        ),
    ]);
    let d = evaluate_on(&input).unwrap();
    assert_eq!(text(&d.reason).as_deref(), Some("session age reached 80 hours"));
    assert_eq!(
        text(&d.handoff_markdown).as_deref(),
        Some("Paperclip session handoff:\n- Previous session: s\n- Rotation reason: session age reached 80 hours\nContinue from the current task state. Rebuild only the minimum context you need.")
    );
}

#[test]
fn age_limit_null_oldest_run_is_age_zero_but_absent_falls_back_to_last_run() {
    const HOUR: f64 = 3_600_000.0;
    let with_oldest = |oldest: Option<Js>| {
        let mut fields = vec![
            ("agent", agent("opencode_local", Js::Null)),
            ("sessionId", s("s")),
            ("issueId", s("")),
            (
                "runs",
                Js::Arr(vec![
                    run_at("r2", 100.0 * HOUR, Js::Null, Js::Null),
                    run_at("r1", 4.0 * HOUR, Js::Null, Js::Null),
                ]),
            ),
        ];
        if let Some(oldest) = oldest {
            fields.push(("oldestRun", oldest));
        }
        evaluate_on(&obj(fields)).unwrap()
    };
    let absent = with_oldest(None);
    assert_eq!(text(&absent.reason).as_deref(), Some("session age reached 96 hours"));
    assert_eq!(
        text(&with_oldest(Some(Js::Undefined)).reason).as_deref(),
        Some("session age reached 96 hours")
    );
    for falsy in [Js::Null, Js::Bool(false), Js::Num(0.0), s("")] {
        let kept = with_oldest(Some(falsy));
        assert!(!kept.rotate);
        assert_eq!(kept.reason, None);
    }
}

#[test]
fn no_session_or_no_runs_answer_all_null() {
    let no_session = obj(vec![("sessionId", Js::Null), ("agent", Js::Null), ("runs", Js::Null)]);
    assert_eq!(
        evaluate_on(&no_session).unwrap(),
        Decision {
            rotate: false,
            reason: None,
            handoff_markdown: None,
            previous_run_id: None
        }
    );
    let no_runs = obj(vec![
        ("sessionId", s("s")),
        ("agent", agent("cursor", Js::Null)),
        ("runs", Js::Arr(vec![])),
    ]);
    assert_eq!(evaluate_on(&no_runs).unwrap().previous_run_id, None);
    let no_agent = obj(vec![
        ("sessionId", s("s")),
        ("agent", Js::Null),
        ("runs", Js::Arr(vec![])),
    ]);
    assert_eq!(
        evaluate_on(&no_agent),
        Err(Failure::Type("agent must be an object".into()))
    );
    let bad_session = obj(vec![("sessionId", Js::Num(5.0))]);
    assert_eq!(
        evaluate_on(&bad_session),
        Err(Failure::Type("sessionId must be a string".into()))
    );
}

#[test]
fn explain_reports_every_reading_and_the_whole_dead_streak() {
    use super::explanation::{explain, Measurement};
    const HOUR: f64 = 3_600_000.0;
    let dead_at = |id: &str, hours: f64| match dead_run(id, "s") {
        Js::Obj(mut fields) => {
            fields.push(("createdAt", Js::Date(hours * HOUR)));
            Js::Obj(fields)
        }
        other => other,
    };
    let runs = vec![
        dead_at("d4", 30.0),
        dead_at("d3", 29.0),
        dead_at("d2", 28.0),
        dead_at("d1", 27.0),
        run_at(
            "l0",
            26.0 * HOUR,
            obj(vec![("rawInputTokens", Js::Num(1500.0))]),
            Js::Null,
        ),
        run_at("first", 6.0 * HOUR, Js::Null, Js::Null),
    ];
    // claude_local manages its own context: no threshold applies, the breaker still does.
    let input = obj(vec![
        ("agent", agent("claude_local", Js::Null)),
        ("sessionId", s("s")),
        ("issueId", Js::Null),
        ("runs", Js::Arr(runs)),
    ]);
    let mut host = &Model;
    let e = explain(&mut host, &input).unwrap();
    assert!(e.decision.rotate);
    let (policy, origin) = e.policy.unwrap();
    assert_eq!((policy.is_active(), origin.as_str()), (false, "adapter_default"));
    let off = |value: Option<f64>| Measurement {
        value,
        limit: 0.0,
        reached: false,
    };
    assert_eq!(e.session_runs, off(Some(6.0)));
    // The latest run (dead) records no tokens: not measured.
    assert_eq!(e.raw_input_tokens, off(None));
    // No age limit: measured anyway, from the last run (no oldestRun given).
    assert_eq!(e.session_age_hours, off(Some(24.0)));
    let streak = Measurement {
        value: Some(4.0),
        limit: 3.0,
        reached: true,
    };
    assert_eq!(e.dead_streak, streak);
}

//! The dead-session circuit breaker: a persisted session resumed again and again that fails
//! without producing a single token is rotated after `threshold` such runs in a row.

use super::contract_reads::{defined, non_blank_string, record, run_at, token_count, TOKEN_KEYS};
use super::host::{type_error, Host, Key, Kind, Outcome};
use super::js_semantics::{is_non_blank, js_max, number_to_string, push_utf16};

pub const DEAD_REUSED_SESSION_FAILURE_THRESHOLD: f64 = 3.0;

/// The breaker's answer; `previous_run_id` is the run's own `id` value, passed through.
#[derive(Debug, Clone, PartialEq)]
pub struct BreakerDecision<V> {
    pub rotate: bool,
    pub reason: Option<Vec<u16>>,
    pub previous_run_id: Option<V>,
    /// The dead runs leading `runs`, all of them; none when there is no session to test.
    pub dead_streak: Option<u32>,
}

impl<V> BreakerDecision<V> {
    fn keep(previous_run_id: Option<V>, dead_streak: Option<u32>) -> Self {
        BreakerDecision {
            rotate: false,
            reason: None,
            previous_run_id,
            dead_streak,
        }
    }
}

/// `threshold`: 3 when `undefined`/`null`, else `Math.max(1, Math.floor(threshold))`
/// (NaN and Infinity pass through and can never be reached).
pub fn read_threshold(kind: Kind) -> Outcome<f64> {
    match kind {
        Kind::Undefined | Kind::Null => Ok(DEAD_REUSED_SESSION_FAILURE_THRESHOLD),
        Kind::Number(n) => Ok(js_max(1.0, n.floor())),
        _ => type_error("threshold must be a number"),
    }
}

/// `sessionId` as the breaker reads it: a string whose `trim()` is not empty, else none.
pub struct SessionId<V> {
    pub value: V,
    pub units: Vec<u16>,
}

impl<V> SessionId<V> {
    /// The session id of a string value whose code units the caller has already copied.
    pub fn from_units(value: V, units: Vec<u16>) -> Option<Self> {
        is_non_blank(&units).then_some(SessionId { value, units })
    }
}

pub fn read_session_id<H: Host>(host: &mut H, value: H::Value) -> Outcome<Option<SessionId<H::Value>>> {
    Ok(non_blank_string(host, value)?.map(|units| SessionId { value, units }))
}

/// Runs the breaker over `runs` (newest first). `runs` is read only when there is a session.
pub fn detect<H: Host>(
    host: &mut H,
    session: Option<&SessionId<H::Value>>,
    runs: H::Value,
    threshold: f64,
) -> Outcome<BreakerDecision<H::Value>> {
    let Some(session) = session else {
        return Ok(BreakerDecision::keep(None, None));
    };
    if host.array_length(runs)?.is_none() {
        return type_error("runs must be an array");
    }
    let mut newest_dead_id = None;
    let mut streak: u32 = 0;
    // `runs.length` is read again before each run, as `for (const run of runs)` does.
    while streak < host.array_length(runs)?.unwrap_or(0) {
        let run = run_at(host, runs, streak)?;
        if !is_dead(host, run, session.value)? {
            break;
        }
        if streak == 0 {
            newest_dead_id = Some(host.get(run, Key::Id, &|| "runs[0]".to_owned())?);
        }
        streak += 1;
    }
    if f64::from(streak) >= threshold {
        const MIDDLE: &str = " consecutive failed zero-token reused runs on persisted session ";
        let mut reason: Vec<u16> = Vec::with_capacity(24 + MIDDLE.len() + session.units.len());
        push_utf16(&mut reason, &number_to_string(threshold));
        push_utf16(&mut reason, MIDDLE);
        reason.extend_from_slice(&session.units);
        return Ok(BreakerDecision {
            rotate: true,
            reason: Some(reason),
            previous_run_id: newest_dead_id,
            dead_streak: Some(streak),
        });
    }
    Ok(BreakerDecision::keep(newest_dead_id, Some(streak)))
}

/// A run is dead when it failed, resumed the very session in question (`session`, a non-blank
/// session id), and produced no tokens at all. Reads stop at the first condition that does not
/// hold. The fleet audit asks the same of each parsed row.
pub fn is_dead<H: Host>(host: &mut H, run: H::Value, session: H::Value) -> Outcome<bool> {
    let liveness = host.get(run, Key::LivenessState, &|| "run".to_owned())?;
    // `livenessState === "failed"`: the exact string.
    if !host.string_is(liveness, "failed")? {
        return Ok(false);
    }
    let usage_value = host.get(run, Key::UsageJson, &|| "run".to_owned())?;
    let Some(usage) = record(host, usage_value)? else {
        return Ok(false);
    };
    let reused = host.get(usage, Key::SessionReused, &|| "usageJson".to_owned())?;
    if host.boolean(reused)? != Some(true) {
        return Ok(false);
    }
    let persisted = host.get(usage, Key::PersistedSessionId, &|| "usageJson".to_owned())?;
    // Equal to a non-blank session id implies a non-blank string itself.
    if !host.strictly_equal(persisted, session)? {
        return Ok(false);
    }
    for (raw, normalized) in TOKEN_KEYS {
        if token_count(host, Some(usage), raw, normalized)? != 0.0 {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `detectDeadReusedSessionCircuitBreaker({ sessionId, runs, threshold })`.
pub fn detect_input<H: Host>(host: &mut H, input: H::Value) -> Outcome<BreakerDecision<H::Value>> {
    let session_value = host.get(input, Key::SessionId, &|| "input".to_owned())?;
    let threshold_value = host.get(input, Key::Threshold, &|| "input".to_owned())?;
    let threshold = read_threshold(host.kind(threshold_value)?)?;
    let Some(session) = read_session_id(host, session_value)? else {
        return Ok(BreakerDecision::keep(None, None));
    };
    let runs = host.get(input, Key::Runs, &|| "input".to_owned())?;
    let mut decision = detect(host, Some(&session), runs, threshold)?;
    decision.previous_run_id = defined(host, decision.previous_run_id)?;
    Ok(decision)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::core::breaker;
    use crate::core::host::Failure;
    use crate::core::model::fixtures::text;
    use crate::core::model::fixtures::{dead_run, live_run};
    use crate::core::model::{obj, s, Js, Model};

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
}

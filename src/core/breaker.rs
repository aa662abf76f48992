//! The dead-session circuit breaker: a persisted session resumed again and again that fails
//! without producing a single token is rotated after `threshold` such runs in a row.

use super::contract_reads::{defined, non_blank_string, record, run_at, token_count, TOKEN_KEYS};
use super::host::{type_error, Host, Key, Kind, Outcome};
use super::js_semantics::{is_non_blank, js_max, number_to_string, push_utf16, units_eq_ascii};

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

/// Which runs count as dead. The default is the fork's rule; the two options widen it, and are
/// never on unless a caller asks.
#[derive(Debug, Clone, PartialEq)]
pub struct DeadRunRule {
    /// The `livenessState` strings that can make a run dead (UTF-16, compared with `===`).
    pub liveness_states: Vec<Vec<u16>>,
    /// Also count a run that resumed the session (`sessionIdBefore`) and left no usage record.
    pub count_unrecorded_resumes: bool,
}

impl Default for DeadRunRule {
    fn default() -> Self {
        DeadRunRule {
            liveness_states: vec![FAILED.encode_utf16().collect()],
            count_unrecorded_resumes: false,
        }
    }
}

const FAILED: &str = "failed";

impl DeadRunRule {
    /// The same states, with unrecorded resumes counted too.
    pub fn counting_unrecorded_resumes(&self) -> DeadRunRule {
        DeadRunRule {
            count_unrecorded_resumes: true,
            ..self.clone()
        }
    }
}

/// Why the breaker counted a run as dead; `state` indexes [`DeadRunRule::liveness_states`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeadRun {
    /// Its usage record shows the persisted session reused and no token produced.
    ZeroTokenReuse { state: usize },
    /// It resumed the session (`sessionIdBefore`) and left no usage record at all.
    UnrecordedResume { state: usize },
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

/// The rule's two options from `holder` (the breaker's or evaluation's input, or the audit's
/// options): `deadLivenessStates` (an array of strings, default `["failed"]`), then
/// `countUnrecordedResumes` (a boolean, default `false`). `prefix` starts the paths in errors.
pub fn read_dead_run_rule<H: Host>(host: &mut H, holder: H::Value, prefix: &str) -> Outcome<DeadRunRule> {
    let mut rule = DeadRunRule::default();
    let holder_path = || {
        if prefix.is_empty() {
            "input".to_owned()
        } else {
            prefix.trim_end_matches('.').to_owned()
        }
    };
    let states = host.get(holder, Key::DeadLivenessStates, &holder_path)?;
    if !host.is_nullish(states)? {
        let Some(length) = host.array_length(states)? else {
            return type_error(format!("{prefix}deadLivenessStates must be an array of strings"));
        };
        let mut listed = Vec::with_capacity(length.min(64) as usize);
        for index in 0..length {
            let state = host.element(states, index)?;
            let Some(units) = host.string_units(state)? else {
                return type_error(format!("{prefix}deadLivenessStates[{index}] must be a string"));
            };
            listed.push(units);
        }
        rule.liveness_states = listed;
    }
    let unrecorded = host.get(holder, Key::CountUnrecordedResumes, &holder_path)?;
    rule.count_unrecorded_resumes = match host.kind(unrecorded)? {
        Kind::Undefined | Kind::Null => false,
        Kind::Boolean(b) => b,
        _ => return type_error(format!("{prefix}countUnrecordedResumes must be a boolean")),
    };
    Ok(rule)
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
    rule: &DeadRunRule,
) -> Outcome<BreakerDecision<H::Value>> {
    let Some(session) = session else {
        return Ok(BreakerDecision::keep(None, None));
    };
    if host.array_length(runs)?.is_none() {
        return type_error("runs must be an array");
    }
    let mut newest_dead_id = None;
    let mut streak = StreakTally::new(rule);
    // `runs.length` is read again before each run, as `for (const run of runs)` does.
    while streak.runs < host.array_length(runs)?.unwrap_or(0) {
        let run = run_at(host, runs, streak.runs)?;
        let Some(dead) = is_dead(host, run, session.value, rule)? else {
            break;
        };
        if streak.runs == 0 {
            newest_dead_id = Some(host.get(run, Key::Id, &|| "runs[0]".to_owned())?);
        }
        streak.count(dead, threshold);
    }
    if f64::from(streak.runs) >= threshold {
        return Ok(BreakerDecision {
            rotate: true,
            reason: Some(streak.reason(threshold, &session.units, rule)),
            previous_run_id: newest_dead_id,
            dead_streak: Some(streak.runs),
        });
    }
    Ok(BreakerDecision::keep(newest_dead_id, Some(streak.runs)))
}

/// The dead runs of a streak, and, for the `threshold` newest of them (the runs the reason's
/// number names), why each counted.
struct StreakTally {
    runs: u32,
    /// How many runs the kinds below count: the newest `threshold` of the streak at most.
    tallied: u32,
    /// Per liveness state of the rule: zero-token reuses, then unrecorded resumes.
    zero_token: Vec<u32>,
    unrecorded: Vec<u32>,
}

impl StreakTally {
    fn new(rule: &DeadRunRule) -> StreakTally {
        let states = rule.liveness_states.len();
        StreakTally {
            runs: 0,
            tallied: 0,
            zero_token: vec![0; states],
            unrecorded: vec![0; states],
        }
    }

    fn count(&mut self, dead: DeadRun, threshold: f64) {
        self.runs += 1;
        if f64::from(self.runs) > threshold {
            return;
        }
        self.tallied += 1;
        let slot = match dead {
            DeadRun::ZeroTokenReuse { state } => self.zero_token.get_mut(state),
            DeadRun::UnrecordedResume { state } => self.unrecorded.get_mut(state),
        };
        if let Some(slot) = slot {
            *slot += 1;
        }
    }

    /// Every run tallied was a `failed` run with a usage record: the fork's own case.
    fn all_failed_zero_token(&self, rule: &DeadRunRule) -> bool {
        let failed_zero_token: u32 = rule
            .liveness_states
            .iter()
            .zip(&self.zero_token)
            .filter(|(state, _)| units_eq_ascii(state, FAILED))
            .map(|(_, count)| count)
            .sum();
        failed_zero_token == self.tallied
    }

    /// The fork's sentence when every run tallied was one the fork counts; otherwise the same
    /// sentence naming each kind of run tallied, the session id still last. The tally covers
    /// the `threshold` runs the sentence's number names, so it never contradicts it.
    fn reason(&self, threshold: f64, session: &[u16], rule: &DeadRunRule) -> Vec<u16> {
        let mut reason: Vec<u16> = Vec::with_capacity(96 + session.len());
        push_utf16(&mut reason, &number_to_string(threshold));
        if self.all_failed_zero_token(rule) {
            push_utf16(
                &mut reason,
                " consecutive failed zero-token reused runs on persisted session ",
            );
        } else {
            push_utf16(&mut reason, " consecutive dead reused runs (");
            let kinds = rule
                .liveness_states
                .iter()
                .zip(&self.zero_token)
                .map(|(state, &count)| (state, count, " zero-token"))
                .chain(
                    rule.liveness_states
                        .iter()
                        .zip(&self.unrecorded)
                        .map(|(state, &count)| (state, count, " with no usage record")),
                )
                .filter(|&(_, count, _)| count > 0);
            for (i, (state, count, what)) in kinds.enumerate() {
                if i > 0 {
                    push_utf16(&mut reason, ", ");
                }
                push_utf16(&mut reason, &count.to_string());
                push_utf16(&mut reason, " ");
                reason.extend_from_slice(state);
                push_utf16(&mut reason, what);
            }
            push_utf16(&mut reason, ") on persisted session ");
        }
        reason.extend_from_slice(session);
        reason
    }
}

/// A run is dead when its `livenessState` is one of the rule's, and either its usage record
/// shows the very session in question (`session`, a non-blank session id) reused with no
/// token at all, or (when the rule counts them) it resumed that session and has no usage
/// record. Reads stop at the first condition that does not hold. The fleet audit asks the same
/// of each parsed row.
pub fn is_dead<H: Host>(
    host: &mut H,
    run: H::Value,
    session: H::Value,
    rule: &DeadRunRule,
) -> Outcome<Option<DeadRun>> {
    let liveness = host.get(run, Key::LivenessState, &|| "run".to_owned())?;
    // `states.includes(livenessState)`: exact strings.
    let Some(state) = liveness_state_index(host, liveness, rule)? else {
        return Ok(None);
    };
    let usage_value = host.get(run, Key::UsageJson, &|| "run".to_owned())?;
    let Some(usage) = record(host, usage_value)? else {
        if rule.count_unrecorded_resumes && host.is_nullish(usage_value)? {
            let before = host.get(run, Key::SessionIdBefore, &|| "run".to_owned())?;
            if host.strictly_equal(before, session)? {
                return Ok(Some(DeadRun::UnrecordedResume { state }));
            }
        }
        return Ok(None);
    };
    let reused = host.get(usage, Key::SessionReused, &|| "usageJson".to_owned())?;
    if host.boolean(reused)? != Some(true) {
        return Ok(None);
    }
    let persisted = host.get(usage, Key::PersistedSessionId, &|| "usageJson".to_owned())?;
    // Equal to a non-blank session id implies a non-blank string itself.
    if !host.strictly_equal(persisted, session)? {
        return Ok(None);
    }
    for (raw, normalized) in TOKEN_KEYS {
        if token_count(host, Some(usage), raw, normalized)? != 0.0 {
            return Ok(None);
        }
    }
    Ok(Some(DeadRun::ZeroTokenReuse { state }))
}

/// The index of the first of the rule's states equal to `liveness`.
fn liveness_state_index<H: Host>(host: &mut H, liveness: H::Value, rule: &DeadRunRule) -> Outcome<Option<usize>> {
    for (index, state) in rule.liveness_states.iter().enumerate() {
        if host.string_equals(liveness, state)? {
            return Ok(Some(index));
        }
    }
    Ok(None)
}

/// `detectDeadReusedSessionCircuitBreaker({ sessionId, runs, threshold, deadLivenessStates,
/// countUnrecordedResumes })`.
pub fn detect_input<H: Host>(host: &mut H, input: H::Value) -> Outcome<BreakerDecision<H::Value>> {
    let session_value = host.get(input, Key::SessionId, &|| "input".to_owned())?;
    let threshold_value = host.get(input, Key::Threshold, &|| "input".to_owned())?;
    let threshold = read_threshold(host.kind(threshold_value)?)?;
    let rule = read_dead_run_rule(host, input, "")?;
    let Some(session) = read_session_id(host, session_value)? else {
        return Ok(BreakerDecision::keep(None, None));
    };
    let runs = host.get(input, Key::Runs, &|| "input".to_owned())?;
    let mut decision = detect(host, Some(&session), runs, threshold, &rule)?;
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

    fn with_state(run: Js, state: &str) -> Js {
        match run {
            Js::Obj(mut fields) => {
                for field in fields.iter_mut() {
                    if field.0 == "livenessState" {
                        field.1 = s(state);
                    }
                }
                Js::Obj(fields)
            }
            other => other,
        }
    }

    fn unrecorded_resume(id: &str, state: &str, before: &str) -> Js {
        obj(vec![
            ("id", s(id)),
            ("livenessState", s(state)),
            ("usageJson", Js::Null),
            ("sessionIdBefore", s(before)),
        ])
    }

    fn widened(runs: Vec<Js>, states: &[&str], unrecorded: bool) -> Js {
        obj(vec![
            ("sessionId", s("sess")),
            ("runs", Js::Arr(runs)),
            (
                "deadLivenessStates",
                Js::Arr(states.iter().map(|state| s(state)).collect()),
            ),
            ("countUnrecordedResumes", Js::Bool(unrecorded)),
        ])
    }

    #[test]
    fn the_default_rule_counts_neither_empty_responses_nor_unrecorded_resumes() {
        let runs = vec![
            with_state(dead_run("r3", "sess"), "empty_response"),
            unrecorded_resume("r2", "failed", "sess"),
            dead_run("r1", "sess"),
        ];
        let input = obj(vec![("sessionId", s("sess")), ("runs", Js::Arr(runs.clone()))]);
        let d = breaker_on(&input).unwrap();
        assert_eq!((d.rotate, d.dead_streak), (false, Some(0)));
        // The options given as their defaults answer the same.
        let d = breaker_on(&widened(runs, &["failed"], false)).unwrap();
        assert_eq!((d.rotate, d.dead_streak), (false, Some(0)));
    }

    #[test]
    fn a_widened_rule_names_each_kind_of_run_it_counted() {
        let runs = vec![
            with_state(dead_run("r4", "sess"), "empty_response"),
            unrecorded_resume("r3", "failed", "sess"),
            dead_run("r2", "sess"),
            unrecorded_resume("r1", "empty_response", "sess"),
            live_run("r0"),
        ];
        let d = breaker_on(&widened(runs, &["failed", "empty_response"], true)).unwrap();
        assert!(d.rotate);
        assert_eq!(d.dead_streak, Some(4));
        assert_eq!(d.previous_run_id.as_deref(), Some("r4"));
        // The tally names the three runs the number does (the streak's newest), not the fourth.
        assert_eq!(
            text(&d.reason).as_deref(),
            Some(
                "3 consecutive dead reused runs (1 failed zero-token, 1 empty_response zero-token, \
                 1 failed with no usage record) on persisted session sess"
            )
        );
    }

    #[test]
    fn the_tally_describes_the_threshold_newest_runs_of_a_longer_streak() {
        // Three failed zero-token runs, newest first, after older dead runs of other kinds: the
        // fork's sentence stands, whatever the older runs were.
        let runs = vec![
            dead_run("r6", "sess"),
            dead_run("r5", "sess"),
            dead_run("r4", "sess"),
            with_state(dead_run("r3", "sess"), "empty_response"),
            unrecorded_resume("r2", "failed", "sess"),
            dead_run("r1", "sess"),
        ];
        let d = breaker_on(&widened(runs, &["failed", "empty_response"], true)).unwrap();
        assert_eq!(d.dead_streak, Some(6));
        assert_eq!(
            text(&d.reason).as_deref(),
            Some("3 consecutive failed zero-token reused runs on persisted session sess")
        );
        // Five failed and one empty response older than three: never "(5 failed …, 1 …)".
        let runs = vec![
            with_state(dead_run("r6", "sess"), "empty_response"),
            dead_run("r5", "sess"),
            dead_run("r4", "sess"),
            dead_run("r3", "sess"),
            dead_run("r2", "sess"),
            dead_run("r1", "sess"),
        ];
        let d = breaker_on(&widened(runs, &["failed", "empty_response"], false)).unwrap();
        assert_eq!(
            text(&d.reason).as_deref(),
            Some("3 consecutive dead reused runs (2 failed zero-token, 1 empty_response zero-token) on persisted session sess")
        );
    }

    #[test]
    fn a_widened_rule_keeps_the_forks_sentence_when_it_counted_only_what_the_fork_counts() {
        let runs = vec![dead_run("r3", "sess"), dead_run("r2", "sess"), dead_run("r1", "sess")];
        let d = breaker_on(&widened(runs, &["empty_response", "failed"], true)).unwrap();
        assert_eq!(
            text(&d.reason).as_deref(),
            Some("3 consecutive failed zero-token reused runs on persisted session sess")
        );
    }

    #[test]
    fn an_unrecorded_resume_must_have_resumed_this_session_with_no_usage_at_all() {
        let rule = |runs| widened(runs, &["failed"], true);
        // Another session before the run, no session before it, or a usage value that is there
        // but not a record: not dead.
        let other = unrecorded_resume("a", "failed", "other");
        let no_before = obj(vec![
            ("id", s("b")),
            ("livenessState", s("failed")),
            ("usageJson", Js::Undefined),
        ]);
        let usage_text = obj(vec![
            ("id", s("c")),
            ("livenessState", s("failed")),
            ("usageJson", s("n/a")),
            ("sessionIdBefore", s("sess")),
        ]);
        for run in [other, no_before, usage_text] {
            assert_eq!(breaker_on(&rule(vec![run])).unwrap().dead_streak, Some(0));
        }
        let absent_usage = obj(vec![
            ("id", s("d")),
            ("livenessState", s("failed")),
            ("sessionIdBefore", s("sess")),
        ]);
        assert_eq!(breaker_on(&rule(vec![absent_usage])).unwrap().dead_streak, Some(1));
    }

    #[test]
    fn the_rule_options_are_type_checked_by_name() {
        let with =
            |key: &'static str, value: Js| obj(vec![("sessionId", s("sess")), ("runs", Js::Arr(vec![])), (key, value)]);
        let refused = |key, value| breaker_on(&with(key, value)).unwrap_err();
        assert_eq!(
            refused("deadLivenessStates", s("failed")),
            Failure::Type("deadLivenessStates must be an array of strings".into())
        );
        assert_eq!(
            refused("deadLivenessStates", Js::Arr(vec![s("failed"), Js::Num(1.0)])),
            Failure::Type("deadLivenessStates[1] must be a string".into())
        );
        assert_eq!(
            refused("countUnrecordedResumes", s("true")),
            Failure::Type("countUnrecordedResumes must be a boolean".into())
        );
        assert_eq!(
            refused("countUnrecordedResumes", Js::Num(1.0)),
            Failure::Type("countUnrecordedResumes must be a boolean".into())
        );
        // Checked even when there is no session to test.
        let no_session = obj(vec![("sessionId", Js::Null), ("countUnrecordedResumes", Js::Num(0.0))]);
        assert!(breaker_on(&no_session).is_err());
        // null and undefined are the defaults; an empty list counts nothing.
        assert!(breaker_on(&with("deadLivenessStates", Js::Null)).is_ok());
        let none = widened(vec![dead_run("a", "sess")], &[], true);
        assert_eq!(breaker_on(&none).unwrap().dead_streak, Some(0));
    }
}

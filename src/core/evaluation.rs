//! `evaluateSessionCompaction`: rotate the session (with a handoff note) or resume it.

use super::breaker::{self, read_dead_run_rule, DeadRunRule, SessionId};
use super::contract_reads::{
    defined, is_truthy, non_blank_string, record, run_at, time_value, token_count, truthy_string, truthy_string_prefix,
    TOKEN_KEYS,
};
use super::host::{type_error, Host, Key, Kind, Outcome};
use super::js_semantics::{max_zero, number_to_en_us, number_to_string, push_utf16};
use super::policy::{agent_resolution, read_given_policy, Policy, PolicySource};

/// The longest continuation summary the handoff note carries, in UTF-16 code units.
pub const CONTINUATION_SUMMARY_LIMIT: usize = 1500;
const MS_PER_HOUR: f64 = 3_600_000.0;

#[derive(Debug, Clone, PartialEq)]
pub struct Decision<V> {
    pub rotate: bool,
    pub reason: Option<Vec<u16>>,
    pub handoff_markdown: Option<Vec<u16>>,
    pub previous_run_id: Option<V>,
}

impl<V> Decision<V> {
    fn keep(previous_run_id: Option<V>) -> Self {
        Decision {
            rotate: false,
            reason: None,
            handoff_markdown: None,
            previous_run_id,
        }
    }
}

/// Where the policy an evaluation used came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicyOrigin {
    /// `input.policy`.
    Caller,
    /// The agent's, resolved as `resolveSessionCompactionPolicy` does.
    Agent(PolicySource),
}

impl PolicyOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicyOrigin::Caller => "caller",
            PolicyOrigin::Agent(source) => source.as_str(),
        }
    }
}

/// The policy an evaluation used, and where it came from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UsedPolicy {
    pub policy: Policy,
    pub origin: PolicyOrigin,
}

/// The session's runs as the evaluation holds them: the array, its length, and `runs[0]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FetchedRuns<V> {
    pub runs: V,
    pub count: u32,
    pub latest: V,
}

/// What an evaluation read on its way to the decision; `None` where it stopped before.
#[derive(Debug, Clone, PartialEq)]
pub struct Readings<V> {
    pub policy: Option<UsedPolicy>,
    /// The runs, when there are any.
    pub runs: Option<FetchedRuns<V>>,
    pub run_count: Option<u32>,
    /// The latest run's raw input tokens, when its usage records any tokens.
    pub raw_input: Option<f64>,
    /// The session's age, measured only when the policy limits it.
    pub age_hours: Option<f64>,
    pub dead_streak: Option<u32>,
    /// The breaker's rule, read from the input whether or not there is a session.
    pub rule: DeadRunRule,
}

impl<V> Default for Readings<V> {
    fn default() -> Self {
        Readings {
            rule: DeadRunRule::default(),
            policy: None,
            runs: None,
            run_count: None,
            raw_input: None,
            age_hours: None,
            dead_streak: None,
        }
    }
}

/// A decision with what the evaluation read on its way to it.
pub struct Evaluated<V> {
    pub decision: Decision<V>,
    pub readings: Readings<V>,
}

/// What the rules decide from: the session, the readings, and the breaker's verdict on them.
struct SessionState<V> {
    session_units: Vec<u16>,
    runs: FetchedRuns<V>,
    policy: Policy,
    age_hours: f64,
    breaker_reason: Option<Vec<u16>>,
    previous_run_id: V,
}

/// Evaluates the input object `{ agent, sessionId, issueId, continuationSummaryBody, runs,
/// oldestRun?, policy? }`.
pub fn evaluate<H: Host>(host: &mut H, input: H::Value) -> Outcome<Decision<H::Value>> {
    Ok(evaluate_reading(host, input)?.decision)
}

/// [`evaluate`], and what it read: the reading, the deciding, and (for a rotation) the reads
/// of the handoff note, in the contract's order.
pub fn evaluate_reading<H: Host>(host: &mut H, input: H::Value) -> Outcome<Evaluated<H::Value>> {
    let mut readings = Readings::default();
    let Some(state) = read_session(host, input, &mut readings)? else {
        return Ok(Evaluated {
            decision: Decision::keep(None),
            readings,
        });
    };
    let previous_run_id = defined(host, Some(state.previous_run_id))?;
    let Some(reason) = rotation_reason(&state, &readings) else {
        let decision = Decision::keep(previous_run_id);
        return Ok(Evaluated { decision, readings });
    };
    let handoff = handoff_markdown(host, input, &state.session_units, &reason, state.runs.latest)?;
    let decision = Decision {
        rotate: true,
        reason: Some(reason),
        handoff_markdown: Some(handoff),
        previous_run_id,
    };
    Ok(Evaluated { decision, readings })
}

/// Everything the rules need, read in the contract's order and noted in `readings`; `None`
/// when there is nothing to decide (no session, or no runs).
fn read_session<H: Host>(
    host: &mut H,
    input: H::Value,
    readings: &mut Readings<H::Value>,
) -> Outcome<Option<SessionState<H::Value>>> {
    let session_value = host.get(input, Key::SessionId, &|| "input".to_owned())?;
    readings.rule = read_dead_run_rule(host, input, "")?;
    let Some(session_units) = truthy_string(host, session_value, "sessionId")? else {
        return Ok(None);
    };
    let used = input_policy(host, input)?;
    readings.policy = Some(used);
    let policy = used.policy;
    let runs = host.get(input, Key::Runs, &|| "input".to_owned())?;
    let Some(count) = host.array_length(runs)? else {
        return type_error("runs must be an array");
    };
    readings.run_count = Some(count);
    if count == 0 {
        return Ok(None);
    }
    let latest = run_at(host, runs, 0)?;
    let fetched = FetchedRuns { runs, count, latest };
    readings.runs = Some(fetched);
    let age_hours = if policy.max_session_age_hours > 0.0 {
        let age = session_age_hours(host, input, fetched)?;
        readings.age_hours = Some(age);
        age
    } else {
        0.0
    };
    readings.raw_input = latest_raw_input(host, latest)?;

    // The units already copied: a string value cannot change between two reads of it.
    let session = SessionId::from_units(session_value, session_units.clone());
    let breaker = breaker::detect(
        host,
        session.as_ref(),
        runs,
        breaker::DEAD_REUSED_SESSION_FAILURE_THRESHOLD,
        &readings.rule,
    )?;
    readings.dead_streak = breaker.dead_streak;
    let previous_run_id = match breaker.previous_run_id {
        Some(id) => id,
        None => host.get(latest, Key::Id, &|| "runs[0]".to_owned())?,
    };
    Ok(Some(SessionState {
        session_units,
        runs: fetched,
        policy,
        age_hours,
        breaker_reason: breaker.reason,
        previous_run_id,
    }))
}

/// Why to rotate, if at all: the breaker first, then the policy's first crossed limit.
fn rotation_reason<V>(state: &SessionState<V>, readings: &Readings<V>) -> Option<Vec<u16>> {
    match &state.breaker_reason {
        Some(reason) => Some(reason.clone()),
        None if state.policy.is_active() => {
            threshold_reason(&state.policy, state.runs.count, readings.raw_input, state.age_hours)
        }
        None => None,
    }
}

/// `input.policy` when given (not `null`/`undefined`), else the agent's policy.
fn input_policy<H: Host>(host: &mut H, input: H::Value) -> Outcome<UsedPolicy> {
    let given = host.get(input, Key::Policy, &|| "input".to_owned())?;
    if !host.is_nullish(given)? {
        return Ok(UsedPolicy {
            policy: read_given_policy(host, given, "policy")?,
            origin: PolicyOrigin::Caller,
        });
    }
    let agent = host.get(input, Key::Agent, &|| "input".to_owned())?;
    let resolution = agent_resolution(host, agent, "agent")?;
    Ok(UsedPolicy {
        policy: resolution.policy,
        origin: PolicyOrigin::Agent(resolution.source),
    })
}

/// Hours from the oldest run to the latest, `Math.max(0, ·)`; NaN when either time is invalid.
/// Only an absent (`undefined`) `oldestRun` falls back to the last fetched run: `null` means
/// the database found none, and the service then takes the age as 0 (as for any falsy run).
pub fn session_age_hours<H: Host>(host: &mut H, input: H::Value, fetched: FetchedRuns<H::Value>) -> Outcome<f64> {
    let FetchedRuns { runs, count, latest } = fetched;
    let given_oldest = host.get(input, Key::OldestRun, &|| "input".to_owned())?;
    let last = count - 1;
    let (oldest, oldest_path) = if host.kind(given_oldest)? == Kind::Undefined {
        (run_at(host, runs, last)?, format!("runs[{last}]"))
    } else {
        (given_oldest, "oldestRun".to_owned())
    };
    if !is_truthy(host, latest)? || !is_truthy(host, oldest)? {
        return Ok(0.0);
    }
    let latest_at = created_at(host, latest, "runs[0]")?;
    let oldest_at = created_at(host, oldest, &oldest_path)?;
    Ok(max_zero((latest_at - oldest_at) / MS_PER_HOUR))
}

fn created_at<H: Host>(host: &mut H, run: H::Value, path: &str) -> Outcome<f64> {
    let value = host.get(run, Key::CreatedAt, &|| path.to_owned())?;
    time_value(host, value, &|| format!("{path}.createdAt"))
}

/// The latest run's raw input tokens, when its usage record has a key and any token count.
fn latest_raw_input<H: Host>(host: &mut H, latest: H::Value) -> Outcome<Option<f64>> {
    let usage_value = host.get(latest, Key::UsageJson, &|| "runs[0]".to_owned())?;
    let Some(usage) = record(host, usage_value)? else {
        return Ok(None);
    };
    let mut counts = [0.0; 3];
    for (count, (raw, normalized)) in counts.iter_mut().zip(TOKEN_KEYS) {
        *count = token_count(host, Some(usage), raw, normalized)?;
    }
    // The counts first: listing the record's keys costs more than reading three of them.
    if counts.iter().all(|&c| c <= 0.0) || !host.has_own_keys(usage)? {
        return Ok(None);
    }
    Ok(Some(counts[0]))
}

/// The first policy limit the session has crossed, as the reason to rotate.
fn threshold_reason(policy: &Policy, run_count: u32, raw_input: Option<f64>, age_hours: f64) -> Option<Vec<u16>> {
    let text = if policy.max_session_runs > 0.0 && f64::from(run_count) > policy.max_session_runs {
        format!("session exceeded {} runs", number_to_string(policy.max_session_runs))
    } else if let Some(raw) =
        raw_input.filter(|&raw| policy.max_raw_input_tokens > 0.0 && raw >= policy.max_raw_input_tokens)
    {
        format!(
            "session raw input reached {} tokens (threshold {})",
            number_to_en_us(raw),
            number_to_en_us(policy.max_raw_input_tokens)
        )
    } else if policy.max_session_age_hours > 0.0 && age_hours >= policy.max_session_age_hours {
        format!("session age reached {} hours", number_to_string(age_hours.floor()))
    } else {
        return None;
    };
    let mut units = Vec::with_capacity(text.len());
    push_utf16(&mut units, &text);
    Some(units)
}

/// The note handed to the fresh session, lines joined with `\n`.
fn handoff_markdown<H: Host>(
    host: &mut H,
    input: H::Value,
    session: &[u16],
    reason: &[u16],
    latest: H::Value,
) -> Outcome<Vec<u16>> {
    let issue_value = host.get(input, Key::IssueId, &|| "input".to_owned())?;
    let issue = truthy_string(host, issue_value, "issueId")?;
    let summary = last_run_summary(host, latest)?;
    let body_value = host.get(input, Key::ContinuationSummaryBody, &|| "input".to_owned())?;
    // `body.slice(0, 1500)`: code units, so a surrogate pair may be cut in half.
    let body = truthy_string_prefix(host, body_value, "continuationSummaryBody", CONTINUATION_SUMMARY_LIMIT)?;

    let optional_len = |part: &Option<Vec<u16>>| part.as_ref().map_or(0, |p| p.len() + 40);
    let mut note = Note(Vec::with_capacity(
        300 + session.len() + reason.len() + optional_len(&issue) + optional_len(&summary) + optional_len(&body),
    ));
    note.line("Paperclip session handoff:", None);
    note.line("- Previous session: ", Some(session));
    if let Some(issue) = &issue {
        note.line("- Issue: ", Some(issue));
    }
    note.line("- Rotation reason: ", Some(reason));
    if let Some(summary) = &summary {
        note.line("- Last run summary: ", Some(summary));
    }
    if let Some(body) = &body {
        note.line("- Issue continuation summary: ", Some(body));
    }
    note.line(
        "Continue from the current task state. Rebuild only the minimum context you need.",
        None,
    );
    Ok(note.0)
}

/// The handoff note's UTF-16 code units, a line at a time.
struct Note(Vec<u16>);

impl Note {
    fn line(&mut self, label: &str, value: Option<&[u16]>) {
        if !self.0.is_empty() {
            self.0.push(u16::from(b'\n'));
        }
        push_utf16(&mut self.0, label);
        self.0.extend_from_slice(value.unwrap_or_default());
    }
}

/// The first non-empty string of the latest run's `resultSummary`, `resultResult`,
/// `resultMessage`, then its `error` (never `resultError`).
fn last_run_summary<H: Host>(host: &mut H, latest: H::Value) -> Outcome<Option<Vec<u16>>> {
    for key in [Key::ResultSummary, Key::ResultResult, Key::ResultMessage, Key::Error] {
        let value = host.get(latest, key, &|| "runs[0]".to_owned())?;
        if let Some(units) = non_blank_string(host, value)? {
            return Ok(Some(units));
        }
    }
    Ok(None)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::core::evaluation;
    use crate::core::host::Failure;
    use crate::core::model::fixtures::{agent, run_created_at, text, u};
    use crate::core::model::{obj, s, Js, Model};

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
                    run_created_at("r2", 10.0 * HOUR, usage, s("  ")),
                    run_created_at("r1", 9.0 * HOUR, Js::Null, Js::Null),
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
            (
                "runs",
                Js::Arr(vec![run_created_at("r2", 100.0 * HOUR, Js::Null, Js::Null)]),
            ),
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
                        run_created_at("r2", 100.0 * HOUR, Js::Null, Js::Null),
                        run_created_at("r1", 4.0 * HOUR, Js::Null, Js::Null),
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
}

//! `evaluateSessionCompaction`: rotate the session (with a handoff note) or resume it.

use super::breaker::{self, SessionId};
use super::host::{type_error, Host, Key, Kind, Outcome};
use super::js_semantics::{max_zero, number_to_en_us, number_to_string, push_utf16};
use super::policy::{agent_resolution, read_given_policy, Policy, PolicySource};
use super::read::{
    is_truthy, non_blank_string, record, run_at, time_value, token_count, truthy_string, truthy_string_prefix,
    TOKEN_KEYS,
};

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

/// What an evaluation read on its way to the decision; `None` where it stopped before.
#[derive(Debug, Clone, PartialEq)]
pub struct Readings<V> {
    pub policy: Option<(Policy, PolicyOrigin)>,
    /// `runs`, its length, and `runs[0]`, when there are runs.
    pub runs: Option<(V, u32, V)>,
    pub run_count: Option<u32>,
    /// The latest run's raw input tokens, when its usage records any tokens.
    pub raw_input: Option<f64>,
    /// The session's age, measured only when the policy limits it.
    pub age_hours: Option<f64>,
    pub dead_streak: Option<u32>,
}

impl<V> Default for Readings<V> {
    fn default() -> Self {
        Readings {
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

/// Evaluates the input object `{ agent, sessionId, issueId, continuationSummaryBody, runs,
/// oldestRun?, policy? }`.
pub fn evaluate<H: Host>(host: &mut H, input: H::Value) -> Outcome<Decision<H::Value>> {
    Ok(evaluate_reading(host, input)?.decision)
}

/// [`evaluate`], and what it read.
pub fn evaluate_reading<H: Host>(host: &mut H, input: H::Value) -> Outcome<Evaluated<H::Value>> {
    let mut readings = Readings::default();
    let session_value = host.get(input, Key::SessionId, &|| "input".to_owned())?;
    let Some(session_units) = truthy_string(host, session_value, "sessionId")? else {
        return Ok(Evaluated {
            decision: Decision::keep(None),
            readings,
        });
    };
    let (policy, origin) = input_policy(host, input)?;
    readings.policy = Some((policy, origin));
    let runs = host.get(input, Key::Runs, &|| "input".to_owned())?;
    let Some(run_count) = host.array_length(runs)? else {
        return type_error("runs must be an array");
    };
    readings.run_count = Some(run_count);
    if run_count == 0 {
        return Ok(Evaluated {
            decision: Decision::keep(None),
            readings,
        });
    }
    let latest = run_at(host, runs, 0)?;
    readings.runs = Some((runs, run_count, latest));
    let age_hours = if policy.max_session_age_hours > 0.0 {
        let age = session_age_hours(host, input, runs, run_count, latest)?;
        readings.age_hours = Some(age);
        age
    } else {
        0.0
    };
    let raw_input = latest_raw_input(host, latest)?;
    readings.raw_input = raw_input;

    // The units already copied: a string value cannot change between two reads of it.
    let session = SessionId::from_units(session_value, session_units.clone());
    let breaker = breaker::detect(
        host,
        session.as_ref(),
        runs,
        breaker::DEAD_REUSED_SESSION_FAILURE_THRESHOLD,
    )?;
    readings.dead_streak = breaker.dead_streak;
    let previous_run_id = match breaker.previous_run_id {
        Some(id) => id,
        None => host.get(latest, Key::Id, &|| "runs[0]".to_owned())?,
    };
    let reason = match breaker.reason {
        Some(reason) => Some(reason),
        None if policy.is_active() => threshold_reason(&policy, run_count, raw_input, age_hours),
        None => None,
    };
    let Some(reason) = reason else {
        let decision = Decision::keep(Some(previous_run_id));
        return Ok(Evaluated { decision, readings });
    };
    let handoff = handoff_markdown(host, input, &session_units, &reason, latest)?;
    let decision = Decision {
        rotate: true,
        reason: Some(reason),
        handoff_markdown: Some(handoff),
        previous_run_id: Some(previous_run_id),
    };
    Ok(Evaluated { decision, readings })
}

/// `input.policy` when given (not `null`/`undefined`), else the agent's policy.
fn input_policy<H: Host>(host: &mut H, input: H::Value) -> Outcome<(Policy, PolicyOrigin)> {
    let given = host.get(input, Key::Policy, &|| "input".to_owned())?;
    if !host.is_nullish(given)? {
        return Ok((read_given_policy(host, given, "policy")?, PolicyOrigin::Caller));
    }
    let agent = host.get(input, Key::Agent, &|| "input".to_owned())?;
    let resolution = agent_resolution(host, agent, "agent")?;
    Ok((resolution.policy, PolicyOrigin::Agent(resolution.source)))
}

/// Hours from the oldest run to the latest, `Math.max(0, ·)`; NaN when either time is invalid.
/// Only an absent (`undefined`) `oldestRun` falls back to the last fetched run: `null` means
/// the database found none, and the service then takes the age as 0 (as for any falsy run).
pub fn session_age_hours<H: Host>(
    host: &mut H,
    input: H::Value,
    runs: H::Value,
    run_count: u32,
    latest: H::Value,
) -> Outcome<f64> {
    let given_oldest = host.get(input, Key::OldestRun, &|| "input".to_owned())?;
    let last = run_count - 1;
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

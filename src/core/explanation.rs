//! `explainSessionCompaction`: the decision, the policy behind it, and every reading the rules
//! compare with their limits, for the people who watch the sessions.

use super::breaker::DEAD_REUSED_SESSION_FAILURE_THRESHOLD;
use super::evaluation::{evaluate_reading, session_age_hours, Decision, Evaluated, PolicyOrigin, Readings};
use super::host::{Failure, Host, Outcome};
use super::policy::Policy;

/// One rule's reading against its limit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measurement {
    /// `None` where nothing was measured (no session, no runs, no usage, no valid times).
    pub value: Option<f64>,
    /// 0 when the rule is off (the breaker's is always on).
    pub limit: f64,
    pub reached: bool,
}

impl Measurement {
    fn new(value: Option<f64>, limit: f64, crossed: fn(f64, f64) -> bool) -> Self {
        Measurement {
            value,
            limit,
            reached: limit > 0.0 && value.is_some_and(|v| crossed(v, limit)),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Explanation<V> {
    pub decision: Decision<V>,
    /// The policy used and where it came from; none when there is no session to decide on.
    pub policy: Option<(Policy, PolicyOrigin)>,
    pub session_runs: Measurement,
    pub raw_input_tokens: Measurement,
    pub session_age_hours: Measurement,
    pub dead_streak: Measurement,
}

/// Explains the input of `evaluateSessionCompaction`. It reads what the evaluation reads, in
/// its order, then (when the policy sets no age limit) the two runs' times, leniently: what
/// the evaluation would not have read cannot make this call throw a `TypeError`.
pub fn explain<H: Host>(host: &mut H, input: H::Value) -> Outcome<Explanation<H::Value>> {
    let Evaluated { decision, readings } = evaluate_reading(host, input)?;
    let age_hours = match (readings.age_hours, readings.runs) {
        (Some(age), _) => Some(age),
        (None, Some((runs, run_count, latest))) => match session_age_hours(host, input, runs, run_count, latest) {
            Ok(age) => Some(age),
            Err(Failure::Type(_)) => None,
            Err(thrown) => return Err(thrown),
        },
        (None, None) => None,
    };
    Ok(measure(decision, &readings, age_hours.filter(|age| !age.is_nan())))
}

fn measure<V>(decision: Decision<V>, readings: &Readings<V>, age_hours: Option<f64>) -> Explanation<V> {
    // A limit applies only when the policy's thresholds are on (enabled, with a limit).
    let limit = |pick: fn(&Policy) -> f64| match readings.policy {
        Some((policy, _)) if policy.is_active() && pick(&policy) > 0.0 => pick(&policy),
        _ => 0.0,
    };
    Explanation {
        decision,
        policy: readings.policy,
        session_runs: Measurement::new(
            readings.run_count.map(f64::from),
            limit(|p| p.max_session_runs),
            |runs, limit| runs > limit,
        ),
        raw_input_tokens: Measurement::new(readings.raw_input, limit(|p| p.max_raw_input_tokens), |raw, limit| {
            raw >= limit
        }),
        session_age_hours: Measurement::new(age_hours, limit(|p| p.max_session_age_hours), |age, limit| age >= limit),
        dead_streak: Measurement::new(
            readings.dead_streak.map(f64::from),
            DEAD_REUSED_SESSION_FAILURE_THRESHOLD,
            |streak, limit| streak >= limit,
        ),
    }
}

//! `explainSessionCompaction`: the decision, the policy behind it, and every reading the rules
//! compare with their limits, for the people who watch the sessions.

use super::breaker::{DeadRunRule, DEAD_REUSED_SESSION_FAILURE_THRESHOLD};
use super::evaluation::{evaluate_reading, session_age_hours, Decision, Evaluated, Readings, UsedPolicy};
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
    pub policy: Option<UsedPolicy>,
    pub session_runs: Measurement,
    pub raw_input_tokens: Measurement,
    pub session_age_hours: Measurement,
    pub dead_streak: Measurement,
    /// The rule the breaker counted dead runs by.
    pub rule: DeadRunRule,
}

/// Explains the input of `evaluateSessionCompaction`. It reads what the evaluation reads, in
/// its order, then (when the policy sets no age limit) the two runs' times, leniently: what
/// the evaluation would not have read cannot make this call throw a `TypeError`.
pub fn explain<H: Host>(host: &mut H, input: H::Value) -> Outcome<Explanation<H::Value>> {
    let Evaluated { decision, readings } = evaluate_reading(host, input)?;
    let age_hours = match (readings.age_hours, readings.runs) {
        (Some(age), _) => Some(age),
        (None, Some(fetched)) => match session_age_hours(host, input, fetched) {
            Ok(age) => Some(age),
            Err(Failure::Type(_)) => None,
            Err(thrown) => return Err(thrown),
        },
        (None, None) => None,
    };
    Ok(measure(decision, readings, age_hours.filter(|age| !age.is_nan())))
}

fn measure<V>(decision: Decision<V>, readings: Readings<V>, age_hours: Option<f64>) -> Explanation<V> {
    // A limit applies only when the policy's thresholds are on (enabled, with a limit).
    let limit = |pick: fn(&Policy) -> f64| match readings.policy {
        Some(UsedPolicy { policy, .. }) if policy.is_active() && pick(&policy) > 0.0 => pick(&policy),
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
        rule: readings.rule,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::core::model::fixtures::{agent, dead_run, run_created_at};
    use crate::core::model::{obj, s, Js, Model};

    #[test]
    fn explain_reports_every_reading_and_the_whole_dead_streak() {
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
            run_created_at(
                "l0",
                26.0 * HOUR,
                obj(vec![("rawInputTokens", Js::Num(1500.0))]),
                Js::Null,
            ),
            run_created_at("first", 6.0 * HOUR, Js::Null, Js::Null),
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
        let UsedPolicy { policy, origin } = e.policy.unwrap();
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
}

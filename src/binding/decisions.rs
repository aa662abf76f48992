//! The decision exports: each reads its arguments lazily through the core and answers
//! what the TypeScript service returns, absent values as `null`.

// napi-rs registers these only outside `cargo test`, where they look unused.
#![cfg_attr(test, allow(dead_code))]

use napi::bindgen_prelude::{Unknown, Utf16String};
use napi::Env;
use napi_derive::napi;

use super::errors::or_throw;
use super::node_host::NodeHost;
use crate::core::breaker::{self, BreakerDecision};
use crate::core::evaluation::{self, Decision, UsedPolicy};
use crate::core::explanation::{self, Explanation, Measurement};
use crate::core::policy::{self, Override, Plan, Policy, Resolution};

/// The threshold's TypeScript type is its literal value, `3` (declared in `types.d.ts`).
pub type DeadReusedSessionFailureThreshold = u32;

/// The `@paperclipai/adapter-utils` release whose adapter table `resolveSessionCompactionPolicy`
/// answers as (data/adapter-table.json).
#[napi]
pub const ADAPTER_TABLE_VERSION: &str = crate::core::policy::ADAPTER_TABLE_VERSION;

/// Consecutive failed zero-token reused runs after which a session is rotated.
#[napi]
pub const DEAD_REUSED_SESSION_FAILURE_THRESHOLD: DeadReusedSessionFailureThreshold =
    breaker::DEAD_REUSED_SESSION_FAILURE_THRESHOLD as u32;

/// The dead-session circuit breaker's answer, field by field; `CircuitBreakerDecision` (in
/// `types.d.ts`) is the same object as a union on `rotate`.
#[napi(
    object,
    object_from_js = false,
    use_nullable = true,
    js_name = "CircuitBreakerDecisionFields"
)]
pub struct CircuitBreakerDecision<'env> {
    pub rotate: bool,
    #[napi(ts_type = "string")]
    pub reason: Option<Utf16String>,
    #[napi(ts_type = "string")]
    pub previous_run_id: Option<Unknown<'env>>,
}

impl<'env> From<BreakerDecision<Unknown<'env>>> for CircuitBreakerDecision<'env> {
    fn from(d: BreakerDecision<Unknown<'env>>) -> Self {
        CircuitBreakerDecision {
            rotate: d.rotate,
            reason: d.reason.map(Utf16String::from),
            previous_run_id: d.previous_run_id,
        }
    }
}

/// Rotate the session (with a handoff note for the fresh one) or resume it, field by field;
/// `SessionCompactionDecision` (in `types.d.ts`) is the same object as a union on `rotate`.
#[napi(
    object,
    object_from_js = false,
    use_nullable = true,
    js_name = "SessionCompactionDecisionFields"
)]
pub struct SessionCompactionDecision<'env> {
    pub rotate: bool,
    #[napi(ts_type = "string")]
    pub reason: Option<Utf16String>,
    #[napi(ts_type = "string")]
    pub handoff_markdown: Option<Utf16String>,
    #[napi(ts_type = "string")]
    pub previous_run_id: Option<Unknown<'env>>,
}

impl<'env> From<Decision<Unknown<'env>>> for SessionCompactionDecision<'env> {
    fn from(d: Decision<Unknown<'env>>) -> Self {
        SessionCompactionDecision {
            rotate: d.rotate,
            reason: d.reason.map(Utf16String::from),
            handoff_markdown: d.handoff_markdown.map(Utf16String::from),
            previous_run_id: d.previous_run_id,
        }
    }
}

/// A session-compaction policy, resolved or given.
#[napi(object, object_from_js = false)]
pub struct SessionCompactionPolicy {
    pub enabled: bool,
    pub max_session_runs: f64,
    pub max_raw_input_tokens: f64,
    pub max_session_age_hours: f64,
}

impl From<&Policy> for SessionCompactionPolicy {
    fn from(p: &Policy) -> Self {
        SessionCompactionPolicy {
            enabled: p.enabled,
            max_session_runs: p.max_session_runs,
            max_raw_input_tokens: p.max_raw_input_tokens,
            max_session_age_hours: p.max_session_age_hours,
        }
    }
}

/// The policy fields an agent's `runtimeConfig` sets: only those are present.
#[napi(object, object_from_js = false)]
pub struct SessionCompactionOverride {
    pub enabled: Option<bool>,
    pub max_session_runs: Option<f64>,
    pub max_raw_input_tokens: Option<f64>,
    pub max_session_age_hours: Option<f64>,
}

impl From<&Override> for SessionCompactionOverride {
    fn from(o: &Override) -> Self {
        SessionCompactionOverride {
            enabled: o.enabled,
            max_session_runs: o.max_session_runs,
            max_raw_input_tokens: o.max_raw_input_tokens,
            max_session_age_hours: o.max_session_age_hours,
        }
    }
}

/// How an adapter manages its sessions.
#[napi(object, object_from_js = false)]
pub struct AdapterSessionManagement {
    pub supports_session_resume: bool,
    #[napi(ts_type = "NativeContextManagement")]
    pub native_context_management: &'static str,
    pub default_session_compaction: SessionCompactionPolicy,
}

impl From<&policy::AdapterSessionManagement> for AdapterSessionManagement {
    fn from(a: &policy::AdapterSessionManagement) -> Self {
        AdapterSessionManagement {
            supports_session_resume: a.supports_session_resume,
            native_context_management: a.native_context_management.as_str(),
            default_session_compaction: (&a.default_session_compaction).into(),
        }
    }
}

/// The agent's policy and where it came from.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct ResolvedSessionCompactionPolicy {
    pub policy: SessionCompactionPolicy,
    pub adapter_session_management: Option<AdapterSessionManagement>,
    pub explicit_override: SessionCompactionOverride,
    #[napi(ts_type = "SessionCompactionPolicySource")]
    pub source: &'static str,
}

impl From<&Resolution> for ResolvedSessionCompactionPolicy {
    fn from(r: &Resolution) -> Self {
        ResolvedSessionCompactionPolicy {
            policy: (&r.policy).into(),
            adapter_session_management: r.adapter_session_management.as_ref().map(Into::into),
            explicit_override: (&r.explicit_override).into(),
            source: r.source.as_str(),
        }
    }
}

/// What to read from the database before `evaluateSessionCompaction`.
#[napi(object, object_from_js = false)]
pub struct SessionCompactionPlan {
    /// How many of the session's most recent runs `evaluateSessionCompaction` needs.
    pub fetch_limit: f64,
    /// Whether it needs the session's oldest run as `oldestRun`.
    pub needs_oldest_run: bool,
}

impl From<Plan> for SessionCompactionPlan {
    fn from(plan: Plan) -> Self {
        SessionCompactionPlan {
            fetch_limit: plan.fetch_limit,
            needs_oldest_run: plan.needs_oldest_run,
        }
    }
}

/// A rule's reading against its limit.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct SessionMeasurement {
    /// `null` where nothing was measured: no session, no runs, no token usage, no valid times.
    pub value: Option<f64>,
    /// 0 when the rule is off.
    pub limit: f64,
    /// The reading is at (or, for runs, past) its limit.
    pub reached: bool,
}

impl From<Measurement> for SessionMeasurement {
    fn from(m: Measurement) -> Self {
        SessionMeasurement {
            value: m.value,
            limit: m.limit,
            reached: m.reached,
        }
    }
}

/// Every reading the rules compare with their limits.
#[napi(object, object_from_js = false)]
pub struct SessionMeasurements {
    /// The runs fetched for the session (`runs.length`) against `maxSessionRuns`.
    pub session_runs: SessionMeasurement,
    /// The latest run's raw input tokens against `maxRawInputTokens`.
    pub raw_input_tokens: SessionMeasurement,
    /// Hours from the oldest run to the latest against `maxSessionAgeHours`.
    pub session_age_hours: SessionMeasurement,
    /// Every dead run leading `runs` against the breaker's threshold.
    pub dead_streak: SessionMeasurement,
}

/// The policy an explanation used.
#[napi(object, object_from_js = false)]
pub struct ExplainedSessionCompactionPolicy {
    pub enabled: bool,
    pub max_session_runs: f64,
    pub max_raw_input_tokens: f64,
    pub max_session_age_hours: f64,
    /// `"caller"` when `input.policy` was given, else the agent's resolution's source.
    #[napi(ts_type = "SessionCompactionPolicySource | 'caller'")]
    pub source: &'static str,
    /// Enabled, with at least one limit: the thresholds can rotate the session.
    pub thresholds_on: bool,
}

impl From<UsedPolicy> for ExplainedSessionCompactionPolicy {
    fn from(used: UsedPolicy) -> Self {
        let p = used.policy;
        ExplainedSessionCompactionPolicy {
            enabled: p.enabled,
            max_session_runs: p.max_session_runs,
            max_raw_input_tokens: p.max_raw_input_tokens,
            max_session_age_hours: p.max_session_age_hours,
            source: used.origin.as_str(),
            thresholds_on: p.is_active(),
        }
    }
}

/// Which runs the breaker counts as dead.
#[napi(object, object_from_js = false)]
pub struct DeadRunRule {
    /// The `livenessState` values that can make a run dead.
    #[napi(ts_type = "string[]")]
    pub dead_liveness_states: Vec<Utf16String>,
    /// Whether a run that resumed the session and left no usage record counts too.
    pub count_unrecorded_resumes: bool,
}

impl From<breaker::DeadRunRule> for DeadRunRule {
    fn from(rule: breaker::DeadRunRule) -> Self {
        DeadRunRule {
            dead_liveness_states: rule.liveness_states.into_iter().map(Utf16String::from).collect(),
            count_unrecorded_resumes: rule.count_unrecorded_resumes,
        }
    }
}

/// `evaluateSessionCompaction`'s decision with everything behind it.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct SessionCompactionExplanation<'env> {
    #[napi(ts_type = "SessionCompactionDecision")]
    pub decision: SessionCompactionDecision<'env>,
    /// `null` when there is no session (`sessionId` falsy): nothing is decided from a policy.
    pub policy: Option<ExplainedSessionCompactionPolicy>,
    /// The rule the breaker counted dead runs by (`measurements.deadStreak` is under it).
    pub breaker_rule: DeadRunRule,
    pub measurements: SessionMeasurements,
}

impl<'env> From<Explanation<Unknown<'env>>> for SessionCompactionExplanation<'env> {
    fn from(e: Explanation<Unknown<'env>>) -> Self {
        SessionCompactionExplanation {
            decision: e.decision.into(),
            policy: e.policy.map(Into::into),
            breaker_rule: e.rule.into(),
            measurements: SessionMeasurements {
                session_runs: e.session_runs.into(),
                raw_input_tokens: e.raw_input_tokens.into(),
                session_age_hours: e.session_age_hours.into(),
                dead_streak: e.dead_streak.into(),
            },
        }
    }
}

/// The dead-session circuit breaker. Throws a `TypeError` naming the path on bad input.
#[napi(
    catch_unwind,
    ts_args_type = "input: CircuitBreakerInput",
    ts_return_type = "CircuitBreakerDecision"
)]
pub fn detect_dead_reused_session_circuit_breaker<'env>(
    env: &'env Env,
    input: Unknown<'env>,
) -> napi::Result<CircuitBreakerDecision<'env>> {
    or_throw(env, breaker::detect_input(&mut NodeHost::new(env), input)).map(Into::into)
}

/// Rotate the session (with a handoff note) or resume it.
#[napi(
    catch_unwind,
    ts_args_type = "input: SessionCompactionInput",
    ts_return_type = "SessionCompactionDecision"
)]
pub fn evaluate_session_compaction<'env>(
    env: &'env Env,
    input: Unknown<'env>,
) -> napi::Result<SessionCompactionDecision<'env>> {
    or_throw(env, evaluation::evaluate(&mut NodeHost::new(env), input)).map(Into::into)
}

/// The decision `evaluateSessionCompaction` answers, the policy it used, and each rule's
/// reading against its limit. Throws what `evaluateSessionCompaction` throws.
#[napi(catch_unwind, ts_args_type = "input: SessionCompactionInput")]
pub fn explain_session_compaction<'env>(
    env: &'env Env,
    input: Unknown<'env>,
) -> napi::Result<SessionCompactionExplanation<'env>> {
    or_throw(env, explanation::explain(&mut NodeHost::new(env), input)).map(Into::into)
}

/// The agent's session-compaction policy: the adapter's default, overridden field by field.
#[napi(
    catch_unwind,
    ts_args_type = "adapterType: string | null | undefined, runtimeConfig: unknown"
)]
pub fn resolve_session_compaction_policy<'env>(
    env: &'env Env,
    adapter_type: Unknown<'env>,
    runtime_config: Unknown<'env>,
) -> napi::Result<ResolvedSessionCompactionPolicy> {
    let resolution = policy::resolve(&mut NodeHost::new(env), adapter_type, runtime_config, "");
    or_throw(env, resolution).map(|r| (&r).into())
}

/// The resolved policy of an agent row.
#[napi(catch_unwind, ts_args_type = "agent: SessionCompactionAgent")]
pub fn parse_session_compaction_policy<'env>(
    env: &'env Env,
    agent: Unknown<'env>,
) -> napi::Result<SessionCompactionPolicy> {
    let p = policy::agent_policy(&mut NodeHost::new(env), agent, "agent");
    or_throw(env, p).map(|p| (&p).into())
}

/// Whether any of the policy's three limits is above zero.
#[napi(
    catch_unwind,
    ts_args_type = "policy: Pick<SessionCompactionPolicy, 'maxSessionRuns' | 'maxRawInputTokens' | 'maxSessionAgeHours'>"
)]
pub fn has_session_compaction_thresholds<'env>(env: &'env Env, policy: Unknown<'env>) -> napi::Result<bool> {
    let limits = policy::read_given_limits(&mut NodeHost::new(env), policy, "policy");
    Ok(or_throw(env, limits)?.has_thresholds())
}

/// What to read from the database before `evaluateSessionCompaction`.
#[napi(catch_unwind, ts_args_type = "agent: SessionCompactionAgent")]
pub fn plan_session_compaction<'env>(env: &'env Env, agent: Unknown<'env>) -> napi::Result<SessionCompactionPlan> {
    let p = or_throw(env, policy::agent_policy(&mut NodeHost::new(env), agent, "agent"))?;
    Ok(policy::plan(&p).into())
}

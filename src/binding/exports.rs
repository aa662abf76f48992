//! The exported functions: each reads its arguments through the core and builds the
//! plain-object answer the TypeScript service returns (absent values are `null`).

use std::ffi::CStr;

use super::node_api::{export, export_hidden, Js, NativeFunction, Value};
use crate::core::breaker::{self, BreakerDecision, DEAD_REUSED_SESSION_FAILURE_THRESHOLD};
use crate::core::evaluation::{self, Decision};
use crate::core::host::{Host, Kind, Outcome};
use crate::core::policy::{self, AdapterSessionManagement, Override, Policy, Resolution};

pub fn register(js: Js, exports: Value) -> Outcome<()> {
    js.set(
        exports,
        c"DEAD_REUSED_SESSION_FAILURE_THRESHOLD",
        js.number(DEAD_REUSED_SESSION_FAILURE_THRESHOLD)?,
    )?;
    export::<DetectDeadReusedSessionCircuitBreaker>(js, exports)?;
    export::<EvaluateSessionCompaction>(js, exports)?;
    export::<ResolveSessionCompactionPolicy>(js, exports)?;
    export::<ParseSessionCompactionPolicy>(js, exports)?;
    export::<HasSessionCompactionThresholds>(js, exports)?;
    export::<PlanSessionCompaction>(js, exports)?;
    export_hidden::<EmptyCall>(js, exports)
}

/// A native call that does nothing: the benchmark's floor (the cost of crossing alone).
struct EmptyCall;
impl NativeFunction for EmptyCall {
    const NAME: &'static CStr = c"__emptyCall";
    const ARGC: usize = 0;
    fn call(js: Js, _args: &[Value]) -> Outcome<Value> {
        js.undefined()
    }
}

fn first(args: &[Value]) -> Outcome<Value> {
    args.first()
        .copied()
        .ok_or_else(|| crate::core::host::Failure::Type("missing argument".to_owned()))
}

struct DetectDeadReusedSessionCircuitBreaker;
impl NativeFunction for DetectDeadReusedSessionCircuitBreaker {
    const NAME: &'static CStr = c"detectDeadReusedSessionCircuitBreaker";
    const ARGC: usize = 1;
    fn call(mut js: Js, args: &[Value]) -> Outcome<Value> {
        let decision = breaker::detect_input(&mut js, first(args)?)?;
        breaker_answer(js, decision)
    }
}

struct EvaluateSessionCompaction;
impl NativeFunction for EvaluateSessionCompaction {
    const NAME: &'static CStr = c"evaluateSessionCompaction";
    const ARGC: usize = 1;
    fn call(mut js: Js, args: &[Value]) -> Outcome<Value> {
        let decision = evaluation::evaluate(&mut js, first(args)?)?;
        decision_answer(js, decision)
    }
}

struct ResolveSessionCompactionPolicy;
impl NativeFunction for ResolveSessionCompactionPolicy {
    const NAME: &'static CStr = c"resolveSessionCompactionPolicy";
    const ARGC: usize = 2;
    fn call(mut js: Js, args: &[Value]) -> Outcome<Value> {
        let (adapter_type, runtime_config) = match args {
            [a, r, ..] => (*a, *r),
            _ => return Err(crate::core::host::Failure::Type("missing argument".to_owned())),
        };
        let resolution = policy::resolve(&mut js, adapter_type, runtime_config, "")?;
        resolution_answer(js, &resolution)
    }
}

struct ParseSessionCompactionPolicy;
impl NativeFunction for ParseSessionCompactionPolicy {
    const NAME: &'static CStr = c"parseSessionCompactionPolicy";
    const ARGC: usize = 1;
    fn call(mut js: Js, args: &[Value]) -> Outcome<Value> {
        let p = policy::agent_policy(&mut js, first(args)?, "agent")?;
        policy_object(js, &p)
    }
}

struct HasSessionCompactionThresholds;
impl NativeFunction for HasSessionCompactionThresholds {
    const NAME: &'static CStr = c"hasSessionCompactionThresholds";
    const ARGC: usize = 1;
    fn call(mut js: Js, args: &[Value]) -> Outcome<Value> {
        let limits = policy::read_given_limits(&mut js, first(args)?, "policy")?;
        js.boolean(limits.has_thresholds())
    }
}

struct PlanSessionCompaction;
impl NativeFunction for PlanSessionCompaction {
    const NAME: &'static CStr = c"planSessionCompaction";
    const ARGC: usize = 1;
    fn call(mut js: Js, args: &[Value]) -> Outcome<Value> {
        let p = policy::agent_policy(&mut js, first(args)?, "agent")?;
        let plan = policy::plan(&p);
        let out = js.object()?;
        js.set(out, c"fetchLimit", js.number(plan.fetch_limit)?)?;
        js.set(out, c"needsOldestRun", js.boolean(plan.needs_oldest_run)?)?;
        Ok(out)
    }
}

fn text_or_null(js: Js, units: Option<&[u16]>) -> Outcome<Value> {
    units.map_or_else(|| js.null(), |u| js.string(u))
}

/// A run's `id` passed through as the caller gave it; `undefined` becomes `null`.
fn id_or_null(mut js: Js, id: Option<Value>) -> Outcome<Value> {
    match id {
        Some(v) if js.kind(v)? != Kind::Undefined => Ok(v),
        _ => js.null(),
    }
}

fn breaker_answer(js: Js, d: BreakerDecision<Value>) -> Outcome<Value> {
    let out = js.object()?;
    js.set(out, c"rotate", js.boolean(d.rotate)?)?;
    js.set(out, c"reason", text_or_null(js, d.reason.as_deref())?)?;
    js.set(out, c"previousRunId", id_or_null(js, d.previous_run_id)?)?;
    Ok(out)
}

fn decision_answer(js: Js, d: Decision<Value>) -> Outcome<Value> {
    let out = js.object()?;
    js.set(out, c"rotate", js.boolean(d.rotate)?)?;
    js.set(out, c"reason", text_or_null(js, d.reason.as_deref())?)?;
    js.set(
        out,
        c"handoffMarkdown",
        text_or_null(js, d.handoff_markdown.as_deref())?,
    )?;
    js.set(out, c"previousRunId", id_or_null(js, d.previous_run_id)?)?;
    Ok(out)
}

fn policy_object(js: Js, p: &Policy) -> Outcome<Value> {
    let out = js.object()?;
    js.set(out, c"enabled", js.boolean(p.enabled)?)?;
    js.set(out, c"maxSessionRuns", js.number(p.max_session_runs)?)?;
    js.set(out, c"maxRawInputTokens", js.number(p.max_raw_input_tokens)?)?;
    js.set(out, c"maxSessionAgeHours", js.number(p.max_session_age_hours)?)?;
    Ok(out)
}

fn adapter_object(js: Js, a: &AdapterSessionManagement) -> Outcome<Value> {
    let out = js.object()?;
    js.set(out, c"supportsSessionResume", js.boolean(a.supports_session_resume)?)?;
    js.set(
        out,
        c"nativeContextManagement",
        js.ascii(a.native_context_management.as_str())?,
    )?;
    js.set(
        out,
        c"defaultSessionCompaction",
        policy_object(js, &a.default_session_compaction)?,
    )?;
    Ok(out)
}

/// Only the fields the override sets, in the TypeScript's key order.
fn override_object(js: Js, o: &Override) -> Outcome<Value> {
    let out = js.object()?;
    if let Some(enabled) = o.enabled {
        js.set(out, c"enabled", js.boolean(enabled)?)?;
    }
    let limits = [
        (c"maxSessionRuns", o.max_session_runs),
        (c"maxRawInputTokens", o.max_raw_input_tokens),
        (c"maxSessionAgeHours", o.max_session_age_hours),
    ];
    for (name, value) in limits {
        if let Some(n) = value {
            js.set(out, name, js.number(n)?)?;
        }
    }
    Ok(out)
}

fn resolution_answer(js: Js, r: &Resolution) -> Outcome<Value> {
    let out = js.object()?;
    js.set(out, c"policy", policy_object(js, &r.policy)?)?;
    let adapter = match &r.adapter_session_management {
        Some(a) => adapter_object(js, a)?,
        None => js.null()?,
    };
    js.set(out, c"adapterSessionManagement", adapter)?;
    js.set(out, c"explicitOverride", override_object(js, &r.explicit_override)?)?;
    js.set(out, c"source", js.ascii(r.source.as_str())?)?;
    Ok(out)
}

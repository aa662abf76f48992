//! The exported functions: each reads its arguments through the core and builds the
//! plain-object answer the TypeScript service returns (absent values are `null`).

use std::ffi::CStr;

use super::node_api::{export, export_empty_call, property_keys, set_hidden, Js, NativeFunction, Reader, Value};
use crate::core::breaker::{self, BreakerDecision, DEAD_REUSED_SESSION_FAILURE_THRESHOLD};
use crate::core::evaluation::{self, Decision};
use crate::core::host::{Key, Outcome};
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
    export_empty_call(js, exports, c"__emptyCall")?;
    set_hidden(js, exports, c"__propertyKeys", property_keys(js)?)
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
    fn call(r: &mut Reader, args: &[Value]) -> Outcome<Value> {
        let decision = breaker::detect_input(r, first(args)?)?;
        breaker_answer(r, decision)
    }
}

struct EvaluateSessionCompaction;
impl NativeFunction for EvaluateSessionCompaction {
    const NAME: &'static CStr = c"evaluateSessionCompaction";
    const ARGC: usize = 1;
    fn call(r: &mut Reader, args: &[Value]) -> Outcome<Value> {
        let decision = evaluation::evaluate(r, first(args)?)?;
        decision_answer(r, decision)
    }
}

struct ResolveSessionCompactionPolicy;
impl NativeFunction for ResolveSessionCompactionPolicy {
    const NAME: &'static CStr = c"resolveSessionCompactionPolicy";
    const ARGC: usize = 2;
    fn call(r: &mut Reader, args: &[Value]) -> Outcome<Value> {
        let (adapter_type, runtime_config) = match args {
            [a, c, ..] => (*a, *c),
            _ => return Err(crate::core::host::Failure::Type("missing argument".to_owned())),
        };
        let resolution = policy::resolve(r, adapter_type, runtime_config, "")?;
        resolution_answer(r, &resolution)
    }
}

struct ParseSessionCompactionPolicy;
impl NativeFunction for ParseSessionCompactionPolicy {
    const NAME: &'static CStr = c"parseSessionCompactionPolicy";
    const ARGC: usize = 1;
    fn call(r: &mut Reader, args: &[Value]) -> Outcome<Value> {
        let p = policy::agent_policy(r, first(args)?, "agent")?;
        policy_object(r, &p)
    }
}

struct HasSessionCompactionThresholds;
impl NativeFunction for HasSessionCompactionThresholds {
    const NAME: &'static CStr = c"hasSessionCompactionThresholds";
    const ARGC: usize = 1;
    fn call(r: &mut Reader, args: &[Value]) -> Outcome<Value> {
        let limits = policy::read_given_limits(r, first(args)?, "policy")?;
        r.js().boolean(limits.has_thresholds())
    }
}

struct PlanSessionCompaction;
impl NativeFunction for PlanSessionCompaction {
    const NAME: &'static CStr = c"planSessionCompaction";
    const ARGC: usize = 1;
    fn call(r: &mut Reader, args: &[Value]) -> Outcome<Value> {
        let js = r.js();
        let p = policy::agent_policy(r, first(args)?, "agent")?;
        let plan = policy::plan(&p);
        let fields = [
            (Key::FetchLimit, js.number(plan.fetch_limit)?),
            (Key::NeedsOldestRun, js.boolean(plan.needs_oldest_run)?),
        ];
        r.object(&fields)
    }
}

fn text_or_null(js: Js, units: Option<&[u16]>) -> Outcome<Value> {
    units.map_or_else(|| js.null(), |u| js.string(u))
}

/// A run's `id` passed through as the caller gave it; `undefined` becomes `null`.
fn id_or_null(js: Js, id: Option<Value>) -> Outcome<Value> {
    match id {
        Some(v) if !js.is_undefined(v)? => Ok(v),
        _ => js.null(),
    }
}

fn breaker_answer(r: &mut Reader, d: BreakerDecision<Value>) -> Outcome<Value> {
    let js = r.js();
    let fields = [
        (Key::Rotate, js.boolean(d.rotate)?),
        (Key::Reason, text_or_null(js, d.reason.as_deref())?),
        (Key::PreviousRunId, id_or_null(js, d.previous_run_id)?),
    ];
    r.object(&fields)
}

fn decision_answer(r: &mut Reader, d: Decision<Value>) -> Outcome<Value> {
    let js = r.js();
    let fields = [
        (Key::Rotate, js.boolean(d.rotate)?),
        (Key::Reason, text_or_null(js, d.reason.as_deref())?),
        (Key::HandoffMarkdown, text_or_null(js, d.handoff_markdown.as_deref())?),
        (Key::PreviousRunId, id_or_null(js, d.previous_run_id)?),
    ];
    r.object(&fields)
}

fn policy_object(r: &mut Reader, p: &Policy) -> Outcome<Value> {
    let js = r.js();
    let fields = [
        (Key::Enabled, js.boolean(p.enabled)?),
        (Key::MaxSessionRuns, js.number(p.max_session_runs)?),
        (Key::MaxRawInputTokens, js.number(p.max_raw_input_tokens)?),
        (Key::MaxSessionAgeHours, js.number(p.max_session_age_hours)?),
    ];
    r.object(&fields)
}

fn adapter_object(r: &mut Reader, a: &AdapterSessionManagement) -> Outcome<Value> {
    let js = r.js();
    let fields = [
        (Key::SupportsSessionResume, js.boolean(a.supports_session_resume)?),
        (
            Key::NativeContextManagement,
            js.ascii(a.native_context_management.as_str())?,
        ),
        (
            Key::DefaultSessionCompaction,
            policy_object(r, &a.default_session_compaction)?,
        ),
    ];
    r.object(&fields)
}

/// Only the fields the override sets, in the TypeScript's key order.
fn override_object(r: &mut Reader, o: &Override) -> Outcome<Value> {
    let js = r.js();
    let mut fields = Vec::with_capacity(4);
    if let Some(enabled) = o.enabled {
        fields.push((Key::Enabled, js.boolean(enabled)?));
    }
    let limits = [
        (Key::MaxSessionRuns, o.max_session_runs),
        (Key::MaxRawInputTokens, o.max_raw_input_tokens),
        (Key::MaxSessionAgeHours, o.max_session_age_hours),
    ];
    for (name, value) in limits {
        if let Some(n) = value {
            fields.push((name, js.number(n)?));
        }
    }
    r.object(&fields)
}

fn resolution_answer(r: &mut Reader, resolution: &Resolution) -> Outcome<Value> {
    let js = r.js();
    let adapter = match &resolution.adapter_session_management {
        Some(a) => adapter_object(r, a)?,
        None => js.null()?,
    };
    let fields = [
        (Key::Policy, policy_object(r, &resolution.policy)?),
        (Key::AdapterSessionManagement, adapter),
        (
            Key::ExplicitOverride,
            override_object(r, &resolution.explicit_override)?,
        ),
        (Key::Source, js.ascii(resolution.source.as_str())?),
    ];
    r.object(&fields)
}

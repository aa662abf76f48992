//! The exported functions: each reads its arguments through the core and answers what the
//! TypeScript service returns (absent values are `null`): as scalars in the scratch array
//! for index.js to build the plain object when it can, else as the whole object.

use std::ffi::CStr;

use super::node_api::{export, export_empty_call, property_keys, set_hidden, Js, NativeFunction, Reader, Value};
use crate::core::breaker::{self, BreakerDecision, DEAD_REUSED_SESSION_FAILURE_THRESHOLD};
use crate::core::evaluation::{self, Decision};
use crate::core::host::{Key, Outcome};
use crate::core::policy::{
    self, AdapterSessionManagement, NativeContextManagement, Override, Policy, PolicySource, Resolution,
};

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
    set_hidden(js, exports, c"__propertyKeys", property_keys(js)?)?;
    let names = answer_strings()
        .map(|name| js.ascii(name))
        .collect::<Outcome<Vec<Value>>>()?;
    set_hidden(js, exports, c"__answerStrings", js.array(&names)?)
}

/// The fixed strings an answer can carry, which index.js looks up by their index here.
fn answer_strings() -> impl Iterator<Item = &'static str> {
    let sources = PolicySource::ALL.into_iter().map(PolicySource::as_str);
    sources.chain(
        NativeContextManagement::ALL
            .into_iter()
            .map(NativeContextManagement::as_str),
    )
}

/// `name`'s index in [`answer_strings`].
fn answer_string(name: &str) -> f64 {
    answer_strings()
        .zip(0u32..)
        .find(|(s, _)| *s == name)
        .map_or(f64::NAN, |(_, i)| f64::from(i))
}

/// Slot 0 of the entry's scratch array: how index.js reads the call's return value.
/// The return value is the whole answer.
const WHOLE: f64 = 0.0;
/// index.js builds the answer from the scratch's scalars and the return value (one handle at
/// most): a JavaScript object literal costs ~10 ns, one made through Node-API ~300 ns.
const BUILT_BY_ENTRY: f64 = 1.0;

/// Hands `scalars` to index.js to build the answer; `false` when the call came without the
/// scratch array and must answer whole.
fn built_by_entry(r: &mut Reader, scalars: &[f64]) -> Outcome<bool> {
    r.write_scratch(BUILT_BY_ENTRY, scalars)
}

/// Answers `whole`, telling index.js (when it passed the scratch array) to take it as is.
fn whole(r: &mut Reader, whole: Value) -> Outcome<Value> {
    r.write_scratch(WHOLE, &[])?;
    Ok(whole)
}

/// A decision to keep the session goes to index.js as its one handle, the previous run's id
/// (or null), for it to build the answer; a rotation, which carries strings, goes back whole.
fn keep_or_whole(
    r: &mut Reader,
    rotate: bool,
    previous_run_id: Option<Value>,
    whole_answer: impl FnOnce(&mut Reader) -> Outcome<Value>,
) -> Outcome<Value> {
    if !rotate && built_by_entry(r, &[])? {
        return id_or_null(r.js(), previous_run_id);
    }
    let answer = whole_answer(r)?;
    whole(r, answer)
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
        let (rotate, id) = (decision.rotate, decision.previous_run_id);
        keep_or_whole(r, rotate, id, |r| breaker_answer(r, decision))
    }
}

struct EvaluateSessionCompaction;
impl NativeFunction for EvaluateSessionCompaction {
    const NAME: &'static CStr = c"evaluateSessionCompaction";
    const ARGC: usize = 1;
    fn call(r: &mut Reader, args: &[Value]) -> Outcome<Value> {
        let decision = evaluation::evaluate(r, first(args)?)?;
        let (rotate, id) = (decision.rotate, decision.previous_run_id);
        keep_or_whole(r, rotate, id, |r| decision_answer(r, decision))
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
        if built_by_entry(r, &resolution_scalars(&resolution))? {
            return r.js().undefined();
        }
        let answer = resolution_answer(r, &resolution)?;
        whole(r, answer)
    }
}

struct ParseSessionCompactionPolicy;
impl NativeFunction for ParseSessionCompactionPolicy {
    const NAME: &'static CStr = c"parseSessionCompactionPolicy";
    const ARGC: usize = 1;
    fn call(r: &mut Reader, args: &[Value]) -> Outcome<Value> {
        let p = policy::agent_policy(r, first(args)?, "agent")?;
        if built_by_entry(r, &policy_scalars(&p))? {
            return r.js().undefined();
        }
        let answer = policy_object(r, &p)?;
        whole(r, answer)
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
        if built_by_entry(r, &[plan.fetch_limit, flag(plan.needs_oldest_run)])? {
            return js.undefined();
        }
        let fields = [
            (Key::FetchLimit, js.number(plan.fetch_limit)?),
            (Key::NeedsOldestRun, js.boolean(plan.needs_oldest_run)?),
        ];
        let answer = r.object(&fields)?;
        whole(r, answer)
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

fn flag(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

/// A policy as index.js reads it from the scratch array.
fn policy_scalars(p: &Policy) -> [f64; 4] {
    [
        flag(p.enabled),
        p.max_session_runs,
        p.max_raw_input_tokens,
        p.max_session_age_hours,
    ]
}

/// A resolution as index.js reads it from the scratch array (slots after the form flag):
/// policy (4), adapter given, supports resume, context management, adapter default policy (4),
/// override enabled (-1 absent), override limits (3), which limits it sets (bits 1, 2, 4), source.
fn resolution_scalars(resolution: &Resolution) -> [f64; 17] {
    let [e, runs, tokens, hours] = policy_scalars(&resolution.policy);
    let (given, supports, management, default) = match &resolution.adapter_session_management {
        Some(a) => (
            1.0,
            flag(a.supports_session_resume),
            answer_string(a.native_context_management.as_str()),
            policy_scalars(&a.default_session_compaction),
        ),
        None => (0.0, 0.0, 0.0, [0.0; 4]),
    };
    let [d_e, d_runs, d_tokens, d_hours] = default;
    let o = &resolution.explicit_override;
    let limits = [o.max_session_runs, o.max_raw_input_tokens, o.max_session_age_hours];
    let set: f64 = limits
        .iter()
        .zip([1.0, 2.0, 4.0])
        .filter(|(v, _)| v.is_some())
        .map(|(_, bit)| bit)
        .sum();
    let [o_runs, o_tokens, o_hours] = limits.map(|v| v.unwrap_or(0.0));
    [
        e,
        runs,
        tokens,
        hours,
        given,
        supports,
        management,
        d_e,
        d_runs,
        d_tokens,
        d_hours,
        o.enabled.map_or(-1.0, flag),
        o_runs,
        o_tokens,
        o_hours,
        set,
        answer_string(resolution.source.as_str()),
    ]
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

//! The agent's session-compaction policy: adapter defaults, overridden field by field from
//! the agent's `runtimeConfig`.

use super::contract_reads::record;
use super::host::{type_error, Host, Key, Kind, Outcome};
use super::js_semantics::{floor_non_negative, string_to_number, trimmed_lower_eq, units_eq_ascii};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Policy {
    pub enabled: bool,
    pub max_session_runs: f64,
    pub max_raw_input_tokens: f64,
    pub max_session_age_hours: f64,
}

impl Policy {
    /// `hasSessionCompactionThresholds`: any of the three limits is above zero.
    pub fn has_thresholds(&self) -> bool {
        self.max_session_runs > 0.0 || self.max_raw_input_tokens > 0.0 || self.max_session_age_hours > 0.0
    }

    /// Threshold-based compaction applies: enabled, with at least one limit.
    pub fn is_active(&self) -> bool {
        self.enabled && self.has_thresholds()
    }
}

/// The adapter manages its own context: resumed, never rotated by thresholds.
const MANAGED: Policy = Policy {
    enabled: true,
    max_session_runs: 0.0,
    max_raw_input_tokens: 0.0,
    max_session_age_hours: 0.0,
};
/// Rotated by Paperclip's thresholds.
const THRESHOLDED: Policy = Policy {
    enabled: true,
    max_session_runs: 200.0,
    max_raw_input_tokens: 2_000_000.0,
    max_session_age_hours: 72.0,
};
/// An adapter without an entry: the thresholds, switched off.
const LEGACY_FALLBACK: Policy = Policy {
    enabled: false,
    ..THRESHOLDED
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NativeContextManagement {
    Confirmed,
    Unknown,
}

impl NativeContextManagement {
    pub fn as_str(self) -> &'static str {
        match self {
            NativeContextManagement::Confirmed => "confirmed",
            NativeContextManagement::Unknown => "unknown",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AdapterSessionManagement {
    pub supports_session_resume: bool,
    pub native_context_management: NativeContextManagement,
    pub default_session_compaction: Policy,
}

const fn adapter(native: NativeContextManagement, default: Policy) -> AdapterSessionManagement {
    AdapterSessionManagement {
        supports_session_resume: true,
        native_context_management: native,
        default_session_compaction: default,
    }
}

// `ADAPTERS` and `ADAPTER_TABLE_VERSION`, from data/adapter-table.json (see build.rs).
include!(concat!(env!("OUT_DIR"), "/adapter_table.rs"));

/// The adapter's entry, looked up by own key only: `"constructor"` or `"__proto__"` are
/// unknown adapters here (the SPEC's one deliberate difference from the TypeScript).
pub fn adapter_session_management(adapter_type: &[u16]) -> Option<AdapterSessionManagement> {
    ADAPTERS
        .iter()
        .find(|(name, _)| units_eq_ascii(adapter_type, name))
        .map(|(_, entry)| *entry)
}

/// The fields the agent's override sets; the others are absent.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Override {
    pub enabled: Option<bool>,
    pub max_session_runs: Option<f64>,
    pub max_raw_input_tokens: Option<f64>,
    pub max_session_age_hours: Option<f64>,
}

impl Override {
    pub fn is_empty(&self) -> bool {
        *self == Override::default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PolicySource {
    AdapterDefault,
    AgentOverride,
    LegacyFallback,
}

impl PolicySource {
    pub fn as_str(self) -> &'static str {
        match self {
            PolicySource::AdapterDefault => "adapter_default",
            PolicySource::AgentOverride => "agent_override",
            PolicySource::LegacyFallback => "legacy_fallback",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Resolution {
    pub policy: Policy,
    pub adapter_session_management: Option<AdapterSessionManagement>,
    pub explicit_override: Override,
    pub source: PolicySource,
}

/// `resolveSessionCompactionPolicy(adapterType, runtimeConfig)`; `owner` names the object
/// holding them in error messages (`""` for the direct call, `"agent"` inside an agent).
pub fn resolve<H: Host>(
    host: &mut H,
    adapter_type: H::Value,
    runtime_config: H::Value,
    owner: &str,
) -> Outcome<Resolution> {
    let adapter = read_adapter(host, adapter_type, owner)?;
    let explicit_override = read_override(host, runtime_config)?;
    let base = adapter.map_or(LEGACY_FALLBACK, |a| a.default_session_compaction);
    let policy = Policy {
        enabled: explicit_override.enabled.unwrap_or(base.enabled),
        max_session_runs: explicit_override.max_session_runs.unwrap_or(base.max_session_runs),
        max_raw_input_tokens: explicit_override
            .max_raw_input_tokens
            .unwrap_or(base.max_raw_input_tokens),
        max_session_age_hours: explicit_override
            .max_session_age_hours
            .unwrap_or(base.max_session_age_hours),
    };
    let source = if !explicit_override.is_empty() {
        PolicySource::AgentOverride
    } else if adapter.is_some() {
        PolicySource::AdapterDefault
    } else {
        PolicySource::LegacyFallback
    };
    Ok(Resolution {
        policy,
        adapter_session_management: adapter,
        explicit_override,
        source,
    })
}

/// The policy of an agent row (`{ adapterType, runtimeConfig }`).
pub fn agent_policy<H: Host>(host: &mut H, agent: H::Value, path: &str) -> Outcome<Policy> {
    Ok(agent_resolution(host, agent, path)?.policy)
}

/// The agent row's policy and where it came from.
pub fn agent_resolution<H: Host>(host: &mut H, agent: H::Value, path: &str) -> Outcome<Resolution> {
    let adapter_type = host.get(agent, Key::AdapterType, &|| path.to_owned())?;
    let runtime_config = host.get(agent, Key::RuntimeConfig, &|| path.to_owned())?;
    resolve(host, adapter_type, runtime_config, path)
}

/// `adapterType`: a falsy value has no entry; a truthy one must be a string.
fn read_adapter<H: Host>(
    host: &mut H,
    adapter_type: H::Value,
    owner: &str,
) -> Outcome<Option<AdapterSessionManagement>> {
    match host.kind(adapter_type)? {
        Kind::Undefined | Kind::Null | Kind::Boolean(false) => Ok(None),
        Kind::Number(n) if n == 0.0 || n.is_nan() => Ok(None),
        Kind::String => Ok(host
            .string_units(adapter_type)?
            .and_then(|name| adapter_session_management(&name))),
        _ if owner.is_empty() => type_error("adapterType must be a string"),
        _ => type_error(format!("{owner}.adapterType must be a string")),
    }
}

/// The override block: `heartbeat.sessionCompaction ?? heartbeat.sessionRotation ??
/// runtime.sessionCompaction`, read as a record (a present non-object stops the search).
fn read_override<H: Host>(host: &mut H, runtime_config: H::Value) -> Outcome<Override> {
    let Some(runtime) = record(host, runtime_config)? else {
        return Ok(Override::default());
    };
    let heartbeat_value = host.get(runtime, Key::Heartbeat, &|| "runtimeConfig".to_owned())?;
    let heartbeat = record(host, heartbeat_value)?;
    let mut block = None;
    let candidates = [
        (heartbeat, Key::SessionCompaction),
        (heartbeat, Key::SessionRotation),
        (Some(runtime), Key::SessionCompaction),
    ];
    for (target, key) in candidates {
        let Some(target) = target else { continue };
        let value = host.get(target, key, &|| key.name().to_owned())?;
        if !host.is_nullish(value)? {
            block = Some(value);
            break;
        }
    }
    let Some(block) = block else {
        return Ok(Override::default());
    };
    let Some(block) = record(host, block)? else {
        return Ok(Override::default());
    };
    Ok(Override {
        enabled: read_enabled(host, block)?,
        max_session_runs: read_limit(host, block, Key::MaxSessionRuns)?,
        max_raw_input_tokens: read_limit(host, block, Key::MaxRawInputTokens)?,
        max_session_age_hours: read_limit(host, block, Key::MaxSessionAgeHours)?,
    })
}

/// `enabled`: a boolean; the numbers 1 and 0; or a string that trims and lower-cases to
/// `true|1|yes|on` or `false|0|no|off`. Anything else is absent.
fn read_enabled<H: Host>(host: &mut H, block: H::Value) -> Outcome<Option<bool>> {
    let value = host.get(block, Key::Enabled, &|| "sessionCompaction".to_owned())?;
    Ok(match host.kind(value)? {
        Kind::Boolean(b) => Some(b),
        Kind::Number(1.0) => Some(true),
        // A float pattern compares with `==`, so -0 matches too, as `value === 0` does.
        Kind::Number(0.0) => Some(false),
        Kind::String => {
            let units = host.string_units(value)?.unwrap_or_default();
            if ["true", "1", "yes", "on"].iter().any(|w| trimmed_lower_eq(&units, w)) {
                Some(true)
            } else if ["false", "0", "no", "off"].iter().any(|w| trimmed_lower_eq(&units, w)) {
                Some(false)
            } else {
                None
            }
        }
        _ => None,
    })
}

/// A limit: `Math.max(0, Math.floor(x))` of a finite number, or of a string's
/// `Number(s.trim())` when that is finite. Anything else is absent.
fn read_limit<H: Host>(host: &mut H, block: H::Value, key: Key) -> Outcome<Option<f64>> {
    let value = host.get(block, key, &|| "sessionCompaction".to_owned())?;
    let number = match host.kind(value)? {
        Kind::Number(n) => n,
        Kind::String => string_to_number(&host.string_units(value)?.unwrap_or_default()),
        _ => return Ok(None),
    };
    Ok(number.is_finite().then(|| floor_non_negative(number)))
}

/// A caller-given policy object (`SessionCompactionPolicy`): each field must have its type.
pub fn read_given_policy<H: Host>(host: &mut H, value: H::Value, path: &str) -> Outcome<Policy> {
    let enabled_value = host.get(value, Key::Enabled, &|| path.to_owned())?;
    let enabled = match host.kind(enabled_value)? {
        Kind::Boolean(b) => b,
        _ => return type_error(format!("{path}.enabled must be a boolean")),
    };
    Ok(Policy {
        enabled,
        ..read_given_limits(host, value, path)?
    })
}

/// The three limits of a caller-given policy (for `hasSessionCompactionThresholds`).
pub fn read_given_limits<H: Host>(host: &mut H, value: H::Value, path: &str) -> Outcome<Policy> {
    Ok(Policy {
        enabled: true,
        max_session_runs: given_limit(host, value, Key::MaxSessionRuns, path)?,
        max_raw_input_tokens: given_limit(host, value, Key::MaxRawInputTokens, path)?,
        max_session_age_hours: given_limit(host, value, Key::MaxSessionAgeHours, path)?,
    })
}

fn given_limit<H: Host>(host: &mut H, policy: H::Value, key: Key, path: &str) -> Outcome<f64> {
    let value = host.get(policy, key, &|| path.to_owned())?;
    match host.kind(value)? {
        Kind::Number(n) => Ok(n),
        _ => type_error(format!("{path}.{} must be a number", key.name())),
    }
}

/// `planSessionCompaction`: how many recent runs the decision reads, and whether it needs
/// the session's oldest run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Plan {
    pub fetch_limit: f64,
    pub needs_oldest_run: bool,
}

pub fn plan(policy: &Policy) -> Plan {
    let by_runs = if policy.is_active() && policy.max_session_runs > 0.0 {
        policy.max_session_runs + 1.0
    } else {
        0.0
    };
    // max(·, DEAD_REUSED_SESSION_FAILURE_THRESHOLD, 4): the breaker's streak plus the latest run.
    let fetch_limit = super::js_semantics::js_max(
        super::js_semantics::js_max(by_runs, super::breaker::DEAD_REUSED_SESSION_FAILURE_THRESHOLD),
        4.0,
    );
    Plan {
        fetch_limit,
        needs_oldest_run: policy.max_session_age_hours > 0.0,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::core::host::Failure;
    use crate::core::model::fixtures::agent;
    use crate::core::model::{obj, s, Js, Model};
    use crate::core::policy;

    fn resolve(adapter_type: &Js, runtime_config: &Js, path: &str) -> Result<policy::Resolution, Failure> {
        let mut host = &Model;
        policy::resolve(&mut host, adapter_type, runtime_config, path)
    }

    fn agent_policy(agent: &Js, path: &str) -> Result<policy::Policy, Failure> {
        let mut host = &Model;
        policy::agent_policy(&mut host, agent, path)
    }

    #[test]
    fn policy_defaults_and_overrides() {
        let none = Js::Null;
        let r = resolve(&s("codex_local"), &none, "").unwrap();
        assert_eq!(r.source, PolicySource::AdapterDefault);
        assert!(!r.policy.has_thresholds());

        let r = resolve(&s("constructor"), &none, "").unwrap();
        assert_eq!(r.source, PolicySource::LegacyFallback);
        assert!(r.adapter_session_management.is_none());
        assert!(!r.policy.enabled);

        let runtime = obj(vec![(
            "heartbeat",
            obj(vec![
                ("sessionCompaction", Js::Null),
                (
                    "sessionRotation",
                    obj(vec![
                        ("enabled", s(" Yes ")),
                        ("maxSessionRuns", s("0x10")),
                        ("maxSessionAgeHours", Js::Num(-0.5)),
                    ]),
                ),
            ]),
        )]);
        let r = resolve(&s("process"), &runtime, "").unwrap();
        assert_eq!(r.source, PolicySource::AgentOverride);
        assert_eq!(r.explicit_override.enabled, Some(true));
        assert_eq!(r.explicit_override.max_session_runs, Some(16.0));
        assert_eq!(r.explicit_override.max_session_age_hours, Some(0.0));
        assert!(r.explicit_override.max_session_age_hours.unwrap().is_sign_positive());
        assert_eq!(r.explicit_override.max_raw_input_tokens, None);

        // A present non-object stops the search.
        let stopped = obj(vec![(
            "heartbeat",
            obj(vec![
                ("sessionCompaction", s("x")),
                ("sessionRotation", obj(vec![("maxSessionRuns", Js::Num(1.0))])),
            ]),
        )]);
        let r = resolve(&s("cursor"), &stopped, "").unwrap();
        assert_eq!(r.source, PolicySource::AdapterDefault);
        assert_eq!(r.policy.max_session_runs, 200.0);

        assert_eq!(
            resolve(&Js::Num(1.0), &none, "agent"),
            Err(Failure::Type("agent.adapterType must be a string".into()))
        );
    }

    #[test]
    fn plan_reads_enough_runs_for_the_breaker_and_the_run_limit() {
        let p = agent_policy(&agent("cursor", Js::Null), "agent").unwrap();
        assert_eq!(
            policy::plan(&p),
            policy::Plan {
                fetch_limit: 201.0,
                needs_oldest_run: true
            }
        );
        let p = agent_policy(&agent("claude_local", Js::Null), "agent").unwrap();
        assert_eq!(
            policy::plan(&p),
            policy::Plan {
                fetch_limit: 4.0,
                needs_oldest_run: false
            }
        );
    }
}

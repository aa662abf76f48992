//! The contract's ways of reading a JavaScript value, shared by every rule (docs/contract.md,
//! "JavaScript value rules"): records, token counts, truthiness, times, `runs[i]`.

use super::host::{type_error, Host, Key, Kind, Outcome};
use super::js_semantics::{floor_non_negative, is_non_blank, parse_iso_date_time, time_clip};

/// `record(value)`: the value itself when it is a non-null, non-array object, else none
/// (which reads as an empty record: every key is `undefined`).
pub fn record<H: Host>(host: &mut H, value: H::Value) -> Outcome<Option<H::Value>> {
    Ok(host.is_record(value)?.then_some(value))
}

/// `record[key]` when it is a finite number.
fn finite_field<H: Host>(host: &mut H, record: Option<H::Value>, key: Key) -> Outcome<Option<f64>> {
    let Some(r) = record else {
        return Ok(None);
    };
    let value = host.get(r, key, &|| key.name().to_owned())?;
    Ok(host.number(value)?.filter(|n| n.is_finite()))
}

/// The token count of a usage record for a (raw, normalized) pair of keys: the first finite
/// number of the two, else 0; then `Math.max(0, Math.floor(·))`.
pub fn token_count<H: Host>(host: &mut H, usage: Option<H::Value>, raw: Key, normalized: Key) -> Outcome<f64> {
    let count = match finite_field(host, usage, raw)? {
        Some(n) => n,
        None => finite_field(host, usage, normalized)?.unwrap_or(0.0),
    };
    Ok(floor_non_negative(count))
}

/// The value's code units when it is a string whose `trim()` is not empty.
pub fn non_blank_string<H: Host>(host: &mut H, value: H::Value) -> Outcome<Option<Vec<u16>>> {
    Ok(host.string_units(value)?.filter(|units| is_non_blank(units)))
}

/// JavaScript truthiness (`if (value)`). Symbols and bigints count as truthy: `0n` is the one
/// falsy value among them, and no rule reads anything from one that could tell the difference.
pub fn is_truthy<H: Host>(host: &mut H, value: H::Value) -> Outcome<bool> {
    let kind = host.kind(value)?;
    if kind == Kind::String {
        return Ok(host.string_prefix(value, 1)?.is_some_and(|units| !units.is_empty()));
    }
    Ok(!is_falsy_non_string(kind))
}

/// `undefined`, `null`, `false`, `0`, `-0` and `NaN`: the falsy values other than `""` (and `0n`).
fn is_falsy_non_string(kind: Kind) -> bool {
    match kind {
        Kind::Undefined | Kind::Null => true,
        Kind::Boolean(b) => !b,
        Kind::Number(n) => n == 0.0 || n.is_nan(),
        _ => false,
    }
}

/// JavaScript truthiness of an optional string input (`!sessionId`, `issueId ? … : …`):
/// falsy values are absent; a truthy value must be a string, else a `TypeError` naming `path`.
pub fn truthy_string<H: Host>(host: &mut H, value: H::Value, path: &str) -> Outcome<Option<Vec<u16>>> {
    truthy_string_prefix(host, value, path, usize::MAX)
}

/// [`truthy_string`], keeping only the first `max_units` code units (`s.slice(0, max)`),
/// without copying the rest of a long string.
pub fn truthy_string_prefix<H: Host>(
    host: &mut H,
    value: H::Value,
    path: &str,
    max_units: usize,
) -> Outcome<Option<Vec<u16>>> {
    if is_falsy_non_string(host.kind(value)?) {
        return Ok(None);
    }
    match host.string_prefix(value, max_units)? {
        Some(units) if units.is_empty() => Ok(None),
        Some(units) => Ok(Some(units)),
        None => type_error(format!("{path} must be a string")),
    }
}

/// `new Date(value).getTime()` for a run's `createdAt`: a `Date`'s time value, a number
/// through `TimeClip`, a string through `Date.parse`. `undefined` is an invalid time and
/// `null`/booleans convert as `Number()` does; other objects are a `TypeError`.
pub fn time_value<H: Host>(host: &mut H, value: H::Value, path: &dyn Fn() -> String) -> Outcome<f64> {
    match host.kind(value)? {
        Kind::Date(t) => Ok(t),
        Kind::Number(n) => Ok(time_clip(n)),
        Kind::Undefined => Ok(f64::NAN),
        Kind::Null => Ok(0.0),
        Kind::Boolean(b) => Ok(if b { 1.0 } else { 0.0 }),
        Kind::String => {
            let units = host.string_units(value)?.unwrap_or_default();
            match parse_iso_date_time(&units) {
                Some(t) => Ok(t),
                None => host.parse_date_fallback(&units),
            }
        }
        _ => type_error(format!("{} must be a Date, a string or a number", path())),
    }
}

/// The (raw, normalized) key pairs of a usage record's token counts.
pub const TOKEN_KEYS: [(Key, Key); 3] = [
    (Key::RawInputTokens, Key::InputTokens),
    (Key::RawCachedInputTokens, Key::CachedInputTokens),
    (Key::RawOutputTokens, Key::OutputTokens),
];

/// `runs[index]`, which must not be `null`/`undefined` since the contract reads it.
pub fn run_at<H: Host>(host: &mut H, runs: H::Value, index: u32) -> Outcome<H::Value> {
    let run = host.element(runs, index)?;
    if host.is_nullish(run)? {
        return type_error(format!("runs[{index}] must be an object"));
    }
    Ok(run)
}

/// A value the answer passes through (a run's `id`): `undefined` answers as `null`, which the
/// caller sees as absent. A type check, not a read: no getter runs.
pub fn defined<H: Host>(host: &mut H, value: Option<H::Value>) -> Outcome<Option<H::Value>> {
    match value {
        Some(v) if host.kind(v)? != Kind::Undefined => Ok(Some(v)),
        _ => Ok(None),
    }
}

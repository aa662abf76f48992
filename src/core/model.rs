//! An in-memory model of JavaScript values, the [`Host`] the core's unit tests run on.

use super::host::{Failure, Host, Key, Kind, Outcome};
use super::js_semantics::parse_iso_date_time;

#[derive(Clone, Debug)]
pub enum Js {
    Undefined,
    Null,
    Bool(bool),
    Num(f64),
    Str(Vec<u16>),
    Arr(Vec<Js>),
    Obj(Vec<(&'static str, Js)>),
    Date(f64),
    /// An object whose every property read throws.
    Throwing,
}

static UNDEFINED: Js = Js::Undefined;

pub fn s(text: &str) -> Js {
    Js::Str(text.encode_utf16().collect())
}

pub fn obj(fields: Vec<(&'static str, Js)>) -> Js {
    Js::Obj(fields)
}

pub struct Model;

impl<'a> Host for &'a Model {
    type Value = &'a Js;

    fn get(&mut self, target: &'a Js, key: Key, path: &dyn Fn() -> String) -> Outcome<&'a Js> {
        match target {
            Js::Undefined | Js::Null => Err(Failure::Type(format!("{} must be an object", path()))),
            Js::Throwing => Err(Failure::Thrown),
            Js::Obj(fields) => Ok(fields
                .iter()
                .find(|(k, _)| *k == key.name())
                .map_or(&UNDEFINED, |(_, v)| v)),
            _ => Ok(&UNDEFINED),
        }
    }

    fn element(&mut self, array: &'a Js, index: u32) -> Outcome<&'a Js> {
        match array {
            Js::Arr(items) => Ok(items.get(index as usize).unwrap_or(&UNDEFINED)),
            _ => Ok(&UNDEFINED),
        }
    }

    fn kind(&mut self, value: &'a Js) -> Outcome<Kind> {
        Ok(match value {
            Js::Undefined => Kind::Undefined,
            Js::Null => Kind::Null,
            Js::Bool(b) => Kind::Boolean(*b),
            Js::Num(n) => Kind::Number(*n),
            Js::Str(_) => Kind::String,
            Js::Arr(_) => Kind::Array,
            Js::Obj(_) | Js::Throwing => Kind::Object,
            Js::Date(t) => Kind::Date(*t),
        })
    }

    fn array_length(&mut self, value: &'a Js) -> Outcome<Option<u32>> {
        Ok(match value {
            Js::Arr(items) => u32::try_from(items.len()).ok(),
            _ => None,
        })
    }

    fn string_units(&mut self, value: &'a Js) -> Outcome<Option<Vec<u16>>> {
        Ok(match value {
            Js::Str(units) => Some(units.clone()),
            _ => None,
        })
    }

    fn strictly_equal(&mut self, a: &'a Js, b: &'a Js) -> Outcome<bool> {
        Ok(match (a, b) {
            (Js::Str(x), Js::Str(y)) => x == y,
            (Js::Num(x), Js::Num(y)) => x == y,
            (Js::Bool(x), Js::Bool(y)) => x == y,
            (Js::Undefined, Js::Undefined) | (Js::Null, Js::Null) => true,
            _ => std::ptr::eq(a, b),
        })
    }

    fn has_own_keys(&mut self, value: &'a Js) -> Outcome<bool> {
        Ok(matches!(value, Js::Obj(fields) if !fields.is_empty()))
    }

    fn parse_date_fallback(&mut self, units: &[u16]) -> Outcome<f64> {
        // The model has no engine: local-time strings are read as UTC.
        let mut with_z = units.to_vec();
        with_z.push(u16::from(b'Z'));
        Ok(parse_iso_date_time(&with_z).unwrap_or(f64::NAN))
    }
}

/// Values and runs the core's unit tests share. Expected values in those tests were read off
/// Node.js 20 (`node -e`), not off this code.
#[cfg(test)]
pub mod fixtures {
    use super::{obj, s, Js};

    pub fn u(text: &str) -> Vec<u16> {
        text.encode_utf16().collect()
    }

    pub fn text(units: &Option<Vec<u16>>) -> Option<String> {
        units.as_ref().map(|u| String::from_utf16_lossy(u))
    }

    pub fn dead_run(id: &str, session: &str) -> Js {
        obj(vec![
            ("id", s(id)),
            ("livenessState", s("failed")),
            (
                "usageJson",
                obj(vec![
                    ("persistedSessionId", s(session)),
                    ("sessionReused", Js::Bool(true)),
                    ("inputTokens", Js::Num(0.0)),
                    ("rawInputTokens", Js::Num(0.0)),
                ]),
            ),
        ])
    }

    pub fn live_run(id: &str) -> Js {
        obj(vec![
            ("id", s(id)),
            ("livenessState", s("completed")),
            ("usageJson", Js::Null),
        ])
    }

    pub fn agent(adapter: &str, runtime: Js) -> Js {
        obj(vec![("adapterType", s(adapter)), ("runtimeConfig", runtime)])
    }

    pub fn run_created_at(id: &str, created_ms: f64, usage: Js, summary: Js) -> Js {
        obj(vec![
            ("id", s(id)),
            ("createdAt", Js::Date(created_ms)),
            ("usageJson", usage),
            ("error", Js::Null),
            ("livenessState", s("completed")),
            ("resultSummary", summary),
        ])
    }
}

//! The serde_json path: the reading every line the scanner is not sure of takes, and the one
//! that gives a malformed line its message. A line serde_json refuses is read again with each
//! number's text converted as JavaScript's `Number` does.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::Deserializer;
use serde_json::value::RawValue;

use super::fields::{Context, ContextField, RowField, RowFields, Scalar, Usage, UsageField};
use super::skip::{Skip, SkipReason};

/// The line's fields as serde_json reads them: the path every line the scanner is not sure of
/// takes, and the one that gives a malformed line its message.
pub(crate) fn serde_fields(line: &[u8]) -> Result<RowFields<'_>, Skip> {
    // A line serde_json refuses may only hold a number past f64's range, which JSON.parse reads.
    match parse_fields(line, Numbers::Serde) {
        Ok(fields) => Ok(fields),
        Err(error) => match parse_fields(line, Numbers::JavaScript) {
            Ok(fields) => Ok(fields),
            Err(_) => Err(Skip::new(SkipReason::MalformedJson, error.to_string())),
        },
    }
}

fn parse_fields(line: &[u8], numbers: Numbers) -> Result<RowFields<'_>, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(line);
    let fields = deserializer.deserialize_any(RowVisitor(numbers))?;
    deserializer.end()?;
    Ok(fields)
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Number(v as f64))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Number(v as f64))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Number(v))
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Str(Cow::Owned(v.to_owned())))
    }
    fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
        Ok(Scalar::Null)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'de>, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'de>, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other)
    }
}

/// A map key, borrowed from the input unless it has escapes.
struct FieldName<'a>(Cow<'a, str>);

struct FieldNameVisitor;

impl<'de> Visitor<'de> for FieldNameVisitor {
    type Value = FieldName<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<FieldName<'de>, E> {
        Ok(FieldName(Cow::Borrowed(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<FieldName<'de>, E> {
        Ok(FieldName(Cow::Owned(v.to_owned())))
    }
}

impl<'de> de::Deserialize<'de> for FieldName<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_str(FieldNameVisitor)
    }
}

/// How a line's numbers are read.
#[derive(Clone, Copy)]
enum Numbers {
    /// serde_json's own reading, which refuses a number past `f64`'s range: the fast path.
    Serde,
    /// As `JSON.parse` reads them (`1e400` is Infinity): for a line the fast path refused.
    JavaScript,
}

/// Reads a [`Scalar`], its numbers as `Numbers` says.
#[derive(Clone, Copy)]
struct ScalarSeed(Numbers);

impl<'de> DeserializeSeed<'de> for ScalarSeed {
    type Value = Scalar<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Scalar<'de>, D::Error> {
        match self.0 {
            Numbers::Serde => d.deserialize_any(ScalarVisitor),
            Numbers::JavaScript => {
                // The value's text, checked as JSON but not converted: a number's text is then
                // read as JavaScript's Number does, which rounds to nearest and overflows to ±∞.
                let raw = <&'de RawValue as de::Deserialize>::deserialize(d)?;
                let text = raw.get();
                match text.as_bytes().first() {
                    Some(b'-' | b'0'..=b'9') => text.parse().map(Scalar::Number).map_err(de::Error::custom),
                    _ => {
                        let mut inner = serde_json::Deserializer::from_str(text);
                        inner.deserialize_any(ScalarVisitor).map_err(de::Error::custom)
                    }
                }
            }
        }
    }
}

/// The visitor methods for every JSON value but an object and `null`: each reads as `$other`
/// (for a record, "not a record"), consuming arrays whole.
macro_rules! not_an_object {
    ($value:ty, $other:expr) => {
        fn visit_bool<E>(self, _: bool) -> Result<$value, E> {
            Ok($other)
        }
        fn visit_i64<E>(self, _: i64) -> Result<$value, E> {
            Ok($other)
        }
        fn visit_u64<E>(self, _: u64) -> Result<$value, E> {
            Ok($other)
        }
        fn visit_f64<E>(self, _: f64) -> Result<$value, E> {
            Ok($other)
        }
        fn visit_str<E>(self, _: &str) -> Result<$value, E> {
            Ok($other)
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<$value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($other)
        }
    };
}

struct UsageVisitor(Numbers);

impl<'de> Visitor<'de> for UsageVisitor {
    type Value = Usage<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Usage<'de>, A::Error> {
        let scalar = ScalarSeed(self.0);
        let mut usage = Usage {
            record: true,
            given: true,
            ..Usage::default()
        };
        // Later duplicates win, as in JSON.parse.
        while let Some(FieldName(key)) = map.next_key()? {
            match UsageField::of_key(key.as_bytes()).and_then(|field| usage.scalar_mut(field)) {
                Some(slot) => *slot = map.next_value_seed(scalar)?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(usage)
    }
    fn visit_unit<E>(self) -> Result<Usage<'de>, E> {
        Ok(Usage::default())
    }
    // A usage value that is not a record is still a value: the run has a usage column.
    not_an_object!(
        Usage<'de>,
        Usage {
            given: true,
            ..Usage::default()
        }
    );
}

struct UsageSeed(Numbers);

impl<'de> DeserializeSeed<'de> for UsageSeed {
    type Value = Usage<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Usage<'de>, D::Error> {
        match self.0 {
            Numbers::Serde => d.deserialize_any(UsageVisitor(self.0)),
            // A number that is the whole value (`"usage_json": 1e400`) is read as text first.
            Numbers::JavaScript => {
                let raw = <&'de RawValue as de::Deserialize>::deserialize(d)?;
                let mut inner = serde_json::Deserializer::from_str(raw.get());
                match raw.get().as_bytes().first() {
                    Some(b'-' | b'0'..=b'9') => Ok(Usage {
                        given: true,
                        ..Usage::default()
                    }),
                    _ => inner.deserialize_any(UsageVisitor(self.0)).map_err(de::Error::custom),
                }
            }
        }
    }
}

struct ContextVisitor(Numbers);

impl<'de> Visitor<'de> for ContextVisitor {
    type Value = Context<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Context<'de>, A::Error> {
        let scalar = ScalarSeed(self.0);
        let mut context = Context::default();
        // Later duplicates win, as in JSON.parse.
        while let Some(FieldName(key)) = map.next_key()? {
            match ContextField::of_key(key.as_bytes()) {
                Some(field) => *context.scalar_mut(field) = map.next_value_seed(scalar)?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(context)
    }
    fn visit_unit<E>(self) -> Result<Context<'de>, E> {
        Ok(Context::default())
    }
    not_an_object!(Context<'de>, Context::default());
}

struct ContextSeed(Numbers);

impl<'de> DeserializeSeed<'de> for ContextSeed {
    type Value = Context<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Context<'de>, D::Error> {
        match self.0 {
            Numbers::Serde => d.deserialize_any(ContextVisitor(self.0)),
            // A number that is the whole value is read as text first (it may be past f64's range).
            Numbers::JavaScript => {
                let raw = <&'de RawValue as de::Deserialize>::deserialize(d)?;
                match raw.get().as_bytes().first() {
                    Some(b'-' | b'0'..=b'9') => Ok(Context::default()),
                    _ => {
                        let mut inner = serde_json::Deserializer::from_str(raw.get());
                        inner.deserialize_any(ContextVisitor(self.0)).map_err(de::Error::custom)
                    }
                }
            }
        }
    }
}

struct RowVisitor(Numbers);

impl<'de> Visitor<'de> for RowVisitor {
    type Value = RowFields<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object per line")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RowFields<'de>, A::Error> {
        let scalar = ScalarSeed(self.0);
        let mut row = RowFields {
            object: true,
            ..RowFields::default()
        };
        while let Some(FieldName(key)) = map.next_key()? {
            match RowField::of_key(key.as_bytes()) {
                Some(RowField::UsageJson) => row.usage = map.next_value_seed(UsageSeed(self.0))?,
                Some(RowField::ContextSnapshot) => row.context = map.next_value_seed(ContextSeed(self.0))?,
                Some(RowField::Scalar(field)) => *row.scalar_mut(field) = map.next_value_seed(scalar)?,
                None => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(row)
    }
    fn visit_unit<E>(self) -> Result<RowFields<'de>, E> {
        Ok(RowFields::default())
    }
    not_an_object!(RowFields<'de>, RowFields::default());
}

//! The fields of a row the audit reads, as either parser gives them: the shapes of a value the
//! contract distinguishes, the usage record's fields, and the slots of its token counts.

use std::borrow::Cow;

use crate::core::contract_reads::TOKEN_KEYS;
use crate::core::js_semantics::number_to_string;

/// A JSON value where the contract reads one: only the shapes it distinguishes.
#[derive(Debug, Default, PartialEq)]
pub(crate) enum Scalar<'a> {
    #[default]
    Absent,
    Null,
    Bool(bool),
    Number(f64),
    Str(Cow<'a, str>),
    Other,
}

impl Scalar<'_> {
    /// The value as a person reads it in a report: JSON's spelling (`"yesterday"`, `42`,
    /// `null`), or what kind of value it was.
    pub(crate) fn describe(&self) -> String {
        match self {
            Scalar::Absent => "missing".to_owned(),
            Scalar::Null => "null".to_owned(),
            Scalar::Bool(b) => b.to_string(),
            Scalar::Number(n) => number_to_string(*n),
            Scalar::Str(text) => serde_json::to_string(text).unwrap_or_default(),
            Scalar::Other => "an object or an array".to_owned(),
        }
    }
}

/// What a usage record says for the breaker; `record` is false when it is not an object.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Usage<'a> {
    pub(crate) record: bool,
    /// The usage column held something, even if not a record: not `null`, not absent.
    pub(crate) given: bool,
    pub(crate) session_reused: Scalar<'a>,
    pub(crate) persisted_session_id: Scalar<'a>,
    /// The token counts' keys in the breaker's order (`read::TOKEN_KEYS`), raw then normalized.
    pub(crate) tokens: [Scalar<'a>; 6],
}

/// The slot in [`Usage::tokens`] of a token key, in the order of the breaker's pairs.
pub(crate) fn token_slot(key: &[u8]) -> Option<usize> {
    TOKEN_KEYS
        .iter()
        .flat_map(|(raw, normalized)| [raw.name(), normalized.name()])
        .position(|name| name.as_bytes() == key)
}

#[derive(Debug, Default, PartialEq)]
pub(crate) struct RowFields<'a> {
    pub(crate) object: bool,
    pub(crate) company_id: Scalar<'a>,
    pub(crate) agent_id: Scalar<'a>,
    pub(crate) session_id: Scalar<'a>,
    pub(crate) session_id_before: Scalar<'a>,
    pub(crate) created_at: Scalar<'a>,
    pub(crate) liveness_state: Scalar<'a>,
    pub(crate) usage: Usage<'a>,
}

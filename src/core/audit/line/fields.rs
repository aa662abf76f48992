//! The fields of a row the audit reads, as either parser gives them: the one table of their
//! keys ([`RowField`], [`UsageField`]) both parsers match on, the shapes of a value the
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

/// What a run's `context_snapshot` says of a rotation that started it: the two keys the
/// released server writes there when it rotates a session before the run.
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Context<'a> {
    pub(crate) previous_session_id: Scalar<'a>,
    pub(crate) rotation_reason: Scalar<'a>,
}

/// A `context_snapshot` key the audit reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContextField {
    PreviousSessionId,
    RotationReason,
}

impl ContextField {
    /// The field a context key names, if the audit reads it.
    pub(crate) fn of_key(key: &[u8]) -> Option<ContextField> {
        match key {
            b"paperclipPreviousSessionId" => Some(ContextField::PreviousSessionId),
            b"paperclipSessionRotationReason" => Some(ContextField::RotationReason),
            _ => None,
        }
    }
}

impl<'a> Context<'a> {
    /// Where a field's value goes.
    pub(crate) fn scalar_mut(&mut self, field: ContextField) -> &mut Scalar<'a> {
        match field {
            ContextField::PreviousSessionId => &mut self.previous_session_id,
            ContextField::RotationReason => &mut self.rotation_reason,
        }
    }
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
    pub(crate) context: Context<'a>,
}

/// A row's field the audit reads, by either spelling of its key: the snake_case columns of
/// `row_to_json`, or the camelCase of the service's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RowField {
    /// A field read as one value.
    Scalar(ScalarField),
    /// The usage record, read field by field.
    UsageJson,
    /// The run's context snapshot, of which only the rotation keys are read.
    ContextSnapshot,
}

/// A row's field read as one value ([`Scalar`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ScalarField {
    CompanyId,
    AgentId,
    SessionIdAfter,
    SessionIdBefore,
    CreatedAt,
    LivenessState,
}

impl RowField {
    /// The field a key names, if the audit reads it.
    pub(crate) fn of_key(key: &[u8]) -> Option<RowField> {
        Some(RowField::Scalar(match key {
            b"company_id" | b"companyId" => ScalarField::CompanyId,
            b"agent_id" | b"agentId" => ScalarField::AgentId,
            b"session_id_after" | b"sessionIdAfter" => ScalarField::SessionIdAfter,
            b"session_id_before" | b"sessionIdBefore" => ScalarField::SessionIdBefore,
            b"created_at" | b"createdAt" => ScalarField::CreatedAt,
            b"liveness_state" | b"livenessState" => ScalarField::LivenessState,
            b"usage_json" | b"usageJson" => return Some(RowField::UsageJson),
            b"context_snapshot" | b"contextSnapshot" => return Some(RowField::ContextSnapshot),
            _ => return None,
        }))
    }
}

/// A usage record's field the breaker reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UsageField {
    SessionReused,
    PersistedSessionId,
    /// A token count's key, by its slot in [`Usage::tokens`].
    Tokens(usize),
}

impl UsageField {
    /// The field a usage record's key names, if the breaker reads it.
    pub(crate) fn of_key(key: &[u8]) -> Option<UsageField> {
        match key {
            b"sessionReused" => Some(UsageField::SessionReused),
            b"persistedSessionId" => Some(UsageField::PersistedSessionId),
            other => token_slot(other).map(UsageField::Tokens),
        }
    }
}

impl<'a> RowFields<'a> {
    /// Where a scalar field's value goes.
    pub(crate) fn scalar_mut(&mut self, field: ScalarField) -> &mut Scalar<'a> {
        match field {
            ScalarField::CompanyId => &mut self.company_id,
            ScalarField::AgentId => &mut self.agent_id,
            ScalarField::SessionIdAfter => &mut self.session_id,
            ScalarField::SessionIdBefore => &mut self.session_id_before,
            ScalarField::CreatedAt => &mut self.created_at,
            ScalarField::LivenessState => &mut self.liveness_state,
        }
    }
}

impl<'a> Usage<'a> {
    /// Where a field's value goes.
    pub(crate) fn scalar_mut(&mut self, field: UsageField) -> Option<&mut Scalar<'a>> {
        match field {
            UsageField::SessionReused => Some(&mut self.session_reused),
            UsageField::PersistedSessionId => Some(&mut self.persisted_session_id),
            UsageField::Tokens(slot) => self.tokens.get_mut(slot),
        }
    }
}

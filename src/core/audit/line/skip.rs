//! Why a line is not a row: the reasons the report counts, as a closed set. Each has the words
//! a person reads (`reason`) and a code a program matches on (`code`).

use serde::{Serialize, Serializer};

/// Why a line was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkipReason {
    /// Not JSON at all.
    MalformedJson,
    /// JSON, but not an object.
    NotAnObject,
    CompanyIdMissing,
    AgentIdMissing,
    /// `created_at` absent, or not a time JavaScript reads the same way everywhere.
    CreatedAtMissing,
    SessionIdNotAString,
    /// Longer than `maxLineBytes`; dropped unread.
    LineTooLong,
    /// An ordered audit's row older than its session's previous one.
    OutOfOrder,
    /// The input stopped short (a gzip stream that breaks off): the line it cut.
    EndedEarly,
}

impl SkipReason {
    /// The words the report and the CLI print.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::MalformedJson => "malformed JSON",
            SkipReason::NotAnObject => "not a JSON object",
            SkipReason::CompanyIdMissing => "company_id missing or not a string",
            SkipReason::AgentIdMissing => "agent_id missing or not a string",
            SkipReason::CreatedAtMissing => "created_at missing or not a time",
            SkipReason::SessionIdNotAString => "session_id_after not a string",
            SkipReason::LineTooLong => "line too long",
            SkipReason::OutOfOrder => "out of created_at order (ordered input)",
            SkipReason::EndedEarly => "input ended early",
        }
    }

    /// The code a program matches on, which no rewording changes.
    pub fn code(self) -> &'static str {
        match self {
            SkipReason::MalformedJson => "malformed_json",
            SkipReason::NotAnObject => "not_an_object",
            SkipReason::CompanyIdMissing => "company_id",
            SkipReason::AgentIdMissing => "agent_id",
            SkipReason::CreatedAtMissing => "created_at",
            SkipReason::SessionIdNotAString => "session_id_after",
            SkipReason::LineTooLong => "line_too_long",
            SkipReason::OutOfOrder => "out_of_order",
            SkipReason::EndedEarly => "ended_early",
        }
    }
}

impl Serialize for SkipReason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Why a line is not a row, and what was there.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Skip {
    pub(crate) reason: SkipReason,
    pub(crate) detail: String,
}

impl Skip {
    /// Whether the line was not JSON at all, rather than JSON that is not a row.
    pub(crate) fn is_malformed(&self) -> bool {
        self.reason == SkipReason::MalformedJson
    }

    pub(crate) fn new(reason: SkipReason, detail: impl Into<String>) -> Skip {
        Skip {
            reason,
            detail: detail.into(),
        }
    }
}

//! What the core needs from the JavaScript values it is given, and nothing more.
//!
//! The binding implements [`Host`] over live Node-API handles, reading a property only when
//! the contract needs it; the tests implement it over an in-memory model. The core never
//! sees a whole input, so its cost does not grow with the rows a caller passes.

/// The property names the contract reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Key {
    Agent,
    AdapterType,
    RuntimeConfig,
    Heartbeat,
    SessionCompaction,
    SessionRotation,
    Enabled,
    MaxSessionRuns,
    MaxRawInputTokens,
    MaxSessionAgeHours,
    SessionId,
    IssueId,
    ContinuationSummaryBody,
    Runs,
    OldestRun,
    Policy,
    Threshold,
    Id,
    CreatedAt,
    UsageJson,
    Error,
    LivenessState,
    ResultSummary,
    ResultResult,
    ResultMessage,
    PersistedSessionId,
    SessionReused,
    RawInputTokens,
    InputTokens,
    RawCachedInputTokens,
    CachedInputTokens,
    RawOutputTokens,
    OutputTokens,
    DeadLivenessStates,
    CountUnrecordedResumes,
    SessionIdBefore,
}

impl Key {
    pub fn name(self) -> &'static str {
        match self {
            Key::Agent => "agent",
            Key::AdapterType => "adapterType",
            Key::RuntimeConfig => "runtimeConfig",
            Key::Heartbeat => "heartbeat",
            Key::SessionCompaction => "sessionCompaction",
            Key::SessionRotation => "sessionRotation",
            Key::Enabled => "enabled",
            Key::MaxSessionRuns => "maxSessionRuns",
            Key::MaxRawInputTokens => "maxRawInputTokens",
            Key::MaxSessionAgeHours => "maxSessionAgeHours",
            Key::SessionId => "sessionId",
            Key::IssueId => "issueId",
            Key::ContinuationSummaryBody => "continuationSummaryBody",
            Key::Runs => "runs",
            Key::OldestRun => "oldestRun",
            Key::Policy => "policy",
            Key::Threshold => "threshold",
            Key::Id => "id",
            Key::CreatedAt => "createdAt",
            Key::UsageJson => "usageJson",
            Key::Error => "error",
            Key::LivenessState => "livenessState",
            Key::ResultSummary => "resultSummary",
            Key::ResultResult => "resultResult",
            Key::ResultMessage => "resultMessage",
            Key::PersistedSessionId => "persistedSessionId",
            Key::SessionReused => "sessionReused",
            Key::RawInputTokens => "rawInputTokens",
            Key::InputTokens => "inputTokens",
            Key::RawCachedInputTokens => "rawCachedInputTokens",
            Key::CachedInputTokens => "cachedInputTokens",
            Key::RawOutputTokens => "rawOutputTokens",
            Key::OutputTokens => "outputTokens",
            Key::DeadLivenessStates => "deadLivenessStates",
            Key::CountUnrecordedResumes => "countUnrecordedResumes",
            Key::SessionIdBefore => "sessionIdBefore",
        }
    }
}

/// The JavaScript type of a value, as far as the contract distinguishes types.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    Undefined,
    Null,
    Boolean(bool),
    Number(f64),
    String,
    /// An `Array.isArray` array.
    Array,
    /// A `Date`, with its time value.
    Date(f64),
    /// Any other object.
    Object,
    /// `typeof value === "function"`: an object, but not a record.
    Function,
    /// Symbols and bigints.
    Other,
}

impl Kind {
    pub fn is_nullish(self) -> bool {
        matches!(self, Kind::Undefined | Kind::Null)
    }
    /// "record": a non-null object that is not an array.
    pub fn is_record(self) -> bool {
        matches!(self, Kind::Object | Kind::Date(_))
    }
}

/// Why a call did not return an answer.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// The input breaks the contract: a `TypeError` with this message.
    Type(String),
    /// The host raised an exception while reading (a getter or proxy trap threw); it is
    /// still pending on the host side and must propagate unchanged.
    Thrown,
    /// The host itself failed (a Node-API call refused for a reason of the engine's, not of
    /// the input): an `Error` with this message, never a `TypeError` the caller did not earn.
    Internal(String),
}

pub type Outcome<T> = Result<T, Failure>;

pub fn type_error<T>(message: impl Into<String>) -> Outcome<T> {
    Err(Failure::Type(message.into()))
}

/// Access to JavaScript values, one question at a time.
pub trait Host {
    /// A handle to a JavaScript value; copying it copies the handle, not the value.
    type Value: Copy;

    /// `target[key]` as JavaScript reads it (getters and proxy traps run). Reading from
    /// `null` or `undefined` is a `TypeError` whose message names `path`.
    fn get(&mut self, target: Self::Value, key: Key, path: &dyn Fn() -> String) -> Outcome<Self::Value>;

    /// `array[index]` of an `Array.isArray` array.
    fn element(&mut self, array: Self::Value, index: u32) -> Outcome<Self::Value>;

    fn kind(&mut self, value: Self::Value) -> Outcome<Kind>;

    // Narrow questions the hot paths ask. The defaults answer them from `kind`; a host can
    // answer each in fewer steps (Node-API's "wrong type" status is itself the type check).

    /// The value when it is of type `number` (NaN and the infinities included).
    fn number(&mut self, value: Self::Value) -> Outcome<Option<f64>> {
        Ok(match self.kind(value)? {
            Kind::Number(n) => Some(n),
            _ => None,
        })
    }

    /// The value when it is of type `boolean`.
    fn boolean(&mut self, value: Self::Value) -> Outcome<Option<bool>> {
        Ok(match self.kind(value)? {
            Kind::Boolean(b) => Some(b),
            _ => None,
        })
    }

    /// "record": a non-null object that is not an array.
    fn is_record(&mut self, value: Self::Value) -> Outcome<bool> {
        Ok(self.kind(value)?.is_record())
    }

    fn is_nullish(&mut self, value: Self::Value) -> Outcome<bool> {
        Ok(self.kind(value)?.is_nullish())
    }

    /// `value === string` for a string given as UTF-16 code units.
    fn string_equals(&mut self, value: Self::Value, units: &[u16]) -> Outcome<bool> {
        Ok(self.string_units(value)?.is_some_and(|own| own == units))
    }

    /// `array.length` when the value is an array.
    fn array_length(&mut self, value: Self::Value) -> Outcome<Option<u32>>;

    /// The UTF-16 code units of a string value (`None` when it is not a string).
    fn string_units(&mut self, value: Self::Value) -> Outcome<Option<Vec<u16>>>;

    /// The first `max_units` code units of a string value (`s.slice(0, max)`); a host can
    /// copy only those.
    fn string_prefix(&mut self, value: Self::Value, max_units: usize) -> Outcome<Option<Vec<u16>>> {
        Ok(self.string_units(value)?.map(|mut units| {
            units.truncate(max_units);
            units
        }))
    }

    /// `a === b` for two values (strings compare by code units).
    fn strictly_equal(&mut self, a: Self::Value, b: Self::Value) -> Outcome<bool>;

    /// `Object.keys(value).length > 0` for a record.
    fn has_own_keys(&mut self, value: Self::Value) -> Outcome<bool>;

    /// `Date.parse(s)` for a string the core's own ISO reader declined (local-time and
    /// legacy formats, whose answer belongs to the engine).
    fn parse_date_fallback(&mut self, units: &[u16]) -> Outcome<f64>;
}

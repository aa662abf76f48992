//! A row as the audit needs it, from its fields: the ids, the time as JavaScript reads it, and
//! the run's verdict under the dead-run rule (the breaker's own, asked of the parsed fields).

use std::borrow::Cow;

use super::fields::{token_slot, RowFields, Scalar, Usage};
use super::rotation::RotationKind;
use super::skip::{Skip, SkipReason};
use super::surrogates;
use crate::core::breaker::{self, DeadRun, DeadRunRule};
use crate::core::host::{Host, Key, Kind, Outcome};
use crate::core::js_semantics::{is_js_whitespace, parse_iso_date_time, parse_postgres_time, time_clip};

/// A row as the audit needs it.
#[derive(Debug, PartialEq)]
pub(crate) struct Row<'a> {
    pub(crate) company_id: Cow<'a, str>,
    pub(crate) agent_id: Cow<'a, str>,
    pub(crate) session_id: Option<Cow<'a, str>>,
    pub(crate) created_at: f64,
    /// Dead as the breaker defines it.
    pub(crate) dead: bool,
    /// Failed after resuming its session, with no usage record: dead to the eye, but invisible
    /// to the breaker, which reads the usage record.
    pub(crate) unseen_failed: bool,
    /// The rotation that started this run, when its context snapshot records one.
    pub(crate) rotation: Option<RowRotation<'a>>,
}

/// A rotation a run records: the session rotated before it (the same company's and agent's),
/// and what rotated it.
#[derive(Debug, PartialEq)]
pub(crate) struct RowRotation<'a> {
    pub(crate) previous_session_id: Cow<'a, str>,
    pub(crate) kind: RotationKind,
}

impl Row<'_> {
    pub(crate) fn into_owned(self) -> Row<'static> {
        Row {
            company_id: Cow::Owned(self.company_id.into_owned()),
            agent_id: Cow::Owned(self.agent_id.into_owned()),
            session_id: self.session_id.map(|s| Cow::Owned(s.into_owned())),
            created_at: self.created_at,
            dead: self.dead,
            unseen_failed: self.unseen_failed,
            rotation: self.rotation.map(|r| RowRotation {
                previous_session_id: Cow::Owned(r.previous_session_id.into_owned()),
                kind: r.kind,
            }),
        }
    }
}

pub(crate) fn is_non_blank(s: &str) -> bool {
    s.encode_utf16().any(|u| !is_js_whitespace(u))
}

impl<'a> RowFields<'a> {
    pub(crate) fn into_row(self, rule: &RowRule) -> Result<Row<'a>, Skip> {
        if !self.object {
            return Err(Skip::new(SkipReason::NotAnObject, ""));
        }
        let Scalar::Str(company_id) = self.company_id else {
            return Err(Skip::new(SkipReason::CompanyIdMissing, self.company_id.describe()));
        };
        let Scalar::Str(agent_id) = self.agent_id else {
            return Err(Skip::new(SkipReason::AgentIdMissing, self.agent_id.describe()));
        };
        let created_at = match &self.created_at {
            Scalar::Str(s) => parse_time_text(s),
            Scalar::Number(n) => Some(time_clip(*n)).filter(|t| !t.is_nan()),
            _ => None,
        };
        let Some(created_at) = created_at else {
            return Err(Skip::new(SkipReason::CreatedAtMissing, self.created_at.describe()));
        };
        let session_id = match self.session_id {
            Scalar::Str(s) if is_non_blank(&s) => Some(s),
            Scalar::Str(_) | Scalar::Null | Scalar::Absent => None,
            other => return Err(Skip::new(SkipReason::SessionIdNotAString, other.describe())),
        };
        let kind = match &session_id {
            Some(session) => rule.judge(&self.liveness_state, &self.usage, &self.session_id_before, session),
            None => RunKind::default(),
        };
        let rotation = match self.context.previous_session_id {
            Scalar::Str(previous) if is_non_blank(&previous) => Some(RowRotation {
                previous_session_id: previous,
                kind: RotationKind::of_reason(match &self.context.rotation_reason {
                    Scalar::Str(reason) => Some(reason),
                    _ => None,
                }),
            }),
            _ => None,
        };
        Ok(Row {
            company_id,
            agent_id,
            session_id,
            created_at,
            dead: kind.dead,
            unseen_failed: kind.unseen_failed,
            rotation,
        })
    }
}

/// A time string as the audit reads it ([`parse_iso_date_time`], then PostgreSQL's printed
/// form); a time of the usual length is converted to UTF-16 on the stack, not the heap.
fn parse_time_text(text: &str) -> Option<f64> {
    let mut stack = [0u16; 48];
    let owned: Vec<u16>;
    let units: &[u16] = match stack.get_mut(..text.len()) {
        Some(short) if text.is_ascii() => {
            for (unit, byte) in short.iter_mut().zip(text.bytes()) {
                *unit = u16::from(byte);
            }
            short
        }
        _ => {
            owned = text.encode_utf16().collect();
            &owned
        }
    };
    parse_iso_date_time(units)
        .or_else(|| parse_postgres_time(units))
        .filter(|t| !t.is_nan())
}

/// The dead-run rule rows are judged by, and the same rule counting unrecorded resumes too
/// (what a run the rule does not count would be to the wider one).
#[derive(Debug, Clone)]
pub(crate) struct RowRule {
    rule: DeadRunRule,
    wider: DeadRunRule,
}

impl RowRule {
    pub(crate) fn new(rule: &DeadRunRule) -> RowRule {
        RowRule {
            rule: rule.clone(),
            wider: rule.counting_unrecorded_resumes(),
        }
    }

    /// The breaker's own dead-run rule ([`breaker::is_dead`]), asked of a parsed row filed under
    /// `session`; a run it does not count is unseen when it resumed the session and left no
    /// usage record, in one of the rule's states.
    fn judge(&self, liveness: &Scalar, usage: &Usage, session_before: &Scalar, session: &str) -> RunKind {
        let mut row = ParsedRun {
            liveness,
            usage,
            session_before,
            session,
        };
        let dead = breaker::is_dead(&mut row, Field::Run, Field::Session, &self.rule)
            .ok()
            .flatten()
            .is_some();
        // Only a run without a usage record can be an unrecorded resume.
        let unseen_failed = !dead
            && !usage.given
            && !self.rule.count_unrecorded_resumes
            && matches!(
                breaker::is_dead(&mut row, Field::Run, Field::Session, &self.wider),
                Ok(Some(DeadRun::UnrecordedResume { .. }))
            );
        RunKind { dead, unseen_failed }
    }
}

impl Default for RowRule {
    fn default() -> Self {
        RowRule::new(&DeadRunRule::default())
    }
}

/// A parsed row seen through the core's [`Host`]: the run, its usage record, their fields.
struct ParsedRun<'r, 'a> {
    liveness: &'r Scalar<'a>,
    usage: &'r Usage<'a>,
    session_before: &'r Scalar<'a>,
    session: &'r str,
}

#[derive(Clone, Copy)]
enum Field<'r, 'a> {
    Run,
    Usage,
    /// The session id the row resumed (`session_id_after`).
    Session,
    Scalar(&'r Scalar<'a>),
}

static ABSENT: Scalar<'static> = Scalar::Absent;
static GIVEN: Scalar<'static> = Scalar::Other;

impl<'r, 'a> Host for ParsedRun<'r, 'a> {
    type Value = Field<'r, 'a>;

    fn get(&mut self, target: Self::Value, key: Key, _path: &dyn Fn() -> String) -> Outcome<Self::Value> {
        Ok(match (target, key) {
            (Field::Run, Key::LivenessState) => Field::Scalar(self.liveness),
            (Field::Run, Key::UsageJson) if self.usage.record => Field::Usage,
            // A usage value that is not a record is still not `null`.
            (Field::Run, Key::UsageJson) if self.usage.given => Field::Scalar(&GIVEN),
            (Field::Run, Key::SessionIdBefore) => Field::Scalar(self.session_before),
            (Field::Usage, Key::SessionReused) => Field::Scalar(&self.usage.session_reused),
            (Field::Usage, Key::PersistedSessionId) => Field::Scalar(&self.usage.persisted_session_id),
            (Field::Usage, key) => match token_slot(key.name().as_bytes()).and_then(|i| self.usage.tokens.get(i)) {
                Some(scalar) => Field::Scalar(scalar),
                None => Field::Scalar(&ABSENT),
            },
            _ => Field::Scalar(&ABSENT),
        })
    }

    fn element(&mut self, _array: Self::Value, _index: u32) -> Outcome<Self::Value> {
        Ok(Field::Scalar(&ABSENT))
    }

    fn kind(&mut self, value: Self::Value) -> Outcome<Kind> {
        Ok(match value {
            Field::Run | Field::Usage => Kind::Object,
            Field::Session => Kind::String,
            Field::Scalar(Scalar::Absent) => Kind::Undefined,
            Field::Scalar(Scalar::Null) => Kind::Null,
            Field::Scalar(Scalar::Bool(b)) => Kind::Boolean(*b),
            Field::Scalar(Scalar::Number(n)) => Kind::Number(*n),
            Field::Scalar(Scalar::Str(_)) => Kind::String,
            Field::Scalar(Scalar::Other) => Kind::Object,
        })
    }

    fn string_equals(&mut self, value: Self::Value, units: &[u16]) -> Outcome<bool> {
        // The row's strings are marked (a lone surrogate read as its mark): compared as the
        // JavaScript strings they stand for.
        let Field::Scalar(Scalar::Str(s)) = value else {
            return Ok(false);
        };
        // Every row's liveness is asked: ASCII (nearly always) compares byte for unit.
        if s.is_ascii() {
            return Ok(s.len() == units.len() && s.bytes().zip(units).all(|(byte, &unit)| u16::from(byte) == unit));
        }
        Ok(surrogates::unmarked_units(s).eq(units.iter().copied()))
    }

    fn array_length(&mut self, _value: Self::Value) -> Outcome<Option<u32>> {
        Ok(None)
    }

    fn string_units(&mut self, value: Self::Value) -> Outcome<Option<Vec<u16>>> {
        Ok(match value {
            Field::Scalar(Scalar::Str(s)) => Some(s.encode_utf16().collect()),
            Field::Session => Some(self.session.encode_utf16().collect()),
            _ => None,
        })
    }

    fn strictly_equal(&mut self, a: Self::Value, b: Self::Value) -> Outcome<bool> {
        Ok(match (a, b) {
            (Field::Scalar(Scalar::Str(p)), Field::Session) | (Field::Session, Field::Scalar(Scalar::Str(p))) => {
                p == self.session
            }
            _ => false,
        })
    }

    fn has_own_keys(&mut self, value: Self::Value) -> Outcome<bool> {
        Ok(matches!(value, Field::Run | Field::Usage))
    }

    fn parse_date_fallback(&mut self, _units: &[u16]) -> Outcome<f64> {
        Ok(f64::NAN)
    }
}

/// What one run is, for the folds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct RunKind {
    pub(crate) dead: bool,
    pub(crate) unseen_failed: bool,
}

impl RunKind {
    /// Dead under the wider rule: as the breaker sees it, or failed unseen.
    pub(crate) fn dead_widely(self) -> bool {
        self.dead || self.unseen_failed
    }

    /// Where the run goes among runs of its session at the same time: a live run first, then
    /// one dead only under the wider rule (failed unseen), then a dead one. Rows come in any
    /// order (a file's, two COPYs' interleaved), so equal times need an order of their own for
    /// every route to give one report; this one needs nothing but the run.
    pub(crate) fn tie_rank(self) -> usize {
        if self.dead {
            2
        } else {
            usize::from(self.unseen_failed)
        }
    }

    /// The kind that has a tie rank.
    pub(crate) fn of_tie_rank(rank: usize) -> RunKind {
        RunKind {
            dead: rank == 2,
            unseen_failed: rank == 1,
        }
    }

    /// The run packed with its time, so that packed runs sort by time, then tie rank:
    /// `at << 2 | tie rank` (times are within ±2^53).
    pub(crate) fn pack(self, at: i64) -> i64 {
        (at << 2) | self.tie_rank() as i64
    }

    /// The time (epoch milliseconds) and the kind of a packed run.
    pub(crate) fn unpack(packed: i64) -> (i64, RunKind) {
        (packed >> 2, RunKind::of_tie_rank((packed & 3) as usize))
    }
}

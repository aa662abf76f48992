//! Reading the history's rows: one JSON object per line (snake_case or camelCase keys), plain
//! or inside PostgreSQL's COPY text escapes, only the fields the breaker needs, each row's
//! verdict (dead or not) decided as it is read.

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::Deserializer;
use serde_json::value::RawValue;

use super::summary::RunKind;
use crate::core::breaker::{self, DeadRun, DeadRunRule};
use crate::core::contract_reads::TOKEN_KEYS;
use crate::core::host::{Host, Key, Kind, Outcome};
use crate::core::js_semantics::{
    is_js_whitespace, number_to_string, parse_iso_date_time, parse_postgres_time, time_clip,
};

use super::copy_text::{self, Escapes};
use super::scanner;
use super::surrogates;

/// A row as the audit needs it.
#[derive(Debug, PartialEq)]
pub(super) struct Row<'a> {
    pub(super) company_id: Cow<'a, str>,
    pub(super) agent_id: Cow<'a, str>,
    pub(super) session_id: Option<Cow<'a, str>>,
    pub(super) created_at: f64,
    /// Dead as the breaker defines it.
    pub(super) dead: bool,
    /// Failed after resuming its session, with no usage record: dead to the eye, but invisible
    /// to the breaker, which reads the usage record.
    pub(super) unseen_failed: bool,
}

impl Row<'_> {
    pub(super) fn into_owned(self) -> Row<'static> {
        Row {
            company_id: Cow::Owned(self.company_id.into_owned()),
            agent_id: Cow::Owned(self.agent_id.into_owned()),
            session_id: self.session_id.map(|s| Cow::Owned(s.into_owned())),
            created_at: self.created_at,
            dead: self.dead,
            unseen_failed: self.unseen_failed,
        }
    }
}

/// Why a line is not a row (a reason the report counts), and what was there.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Skip {
    pub(super) reason: &'static str,
    pub(super) detail: String,
}

/// The reason of a line that is not JSON at all.
const MALFORMED_JSON: &str = "malformed JSON";

impl Skip {
    /// Whether the line was not JSON at all, rather than JSON that is not a row.
    fn is_malformed(&self) -> bool {
        self.reason == MALFORMED_JSON
    }

    pub(super) fn new(reason: &'static str, detail: impl Into<String>) -> Skip {
        Skip {
            reason,
            detail: detail.into(),
        }
    }
}

pub(super) type Parsed<'a> = Result<Option<Row<'a>>, Skip>;

/// The text formats a history's lines come in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Format {
    /// One JSON value per line (`row_to_json(r)::text`, `psql -At`).
    #[default]
    Json,
    /// PostgreSQL's COPY text format around the JSON (`COPY (SELECT row_to_json(r) …) TO`).
    CopyText,
}

/// One line, read.
pub(super) struct Line<'a> {
    /// The row: as plain JSON, or as COPY text when only that reading parses.
    pub(super) parsed: Parsed<'a>,
    /// A second reading, when the line is valid both ways and the rows differ: COPY text's.
    pub(super) as_copy_text: Option<Row<'static>>,
    /// The format the line shows the input is in, when it reads one way only.
    pub(super) shows: Option<Format>,
    /// Read as COPY text only, because the input was in COPY text when its chunk was parsed:
    /// were the format to change before the line is applied, it is read again, both ways.
    pub(super) assumed_copy_text: bool,
    /// The line itself, to read again.
    pub(super) raw: &'a [u8],
}

impl<'a> Line<'a> {
    /// A line skipped unread, for `reason` and its detail.
    pub(super) fn skipped(reason: Skip) -> Line<'a> {
        Line {
            parsed: Err(reason),
            as_copy_text: None,
            shows: None,
            assumed_copy_text: false,
            raw: &[],
        }
    }

    /// The line's row, for an input in `format`.
    pub(super) fn row(self, format: Format) -> Parsed<'a> {
        match (format, self.as_copy_text) {
            (Format::CopyText, Some(row)) => Ok(Some(row)),
            _ => self.parsed,
        }
    }
}

/// Why a line over the length cap (`max_bytes`) is skipped, and the detail.
pub(super) fn too_long(max_bytes: usize) -> Skip {
    Skip::new("line too long", format!("over {max_bytes} bytes"))
}

/// The lines of `text`, split at each `\n` (the last one may be empty), found with memchr.
fn lines(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut start = 0;
    let mut ends = memchr::memchr_iter(b'\n', text).chain(std::iter::once(text.len()));
    std::iter::from_fn(move || {
        let end = ends.next()?;
        let line = text.get(start..end).unwrap_or_default();
        start = end + 1;
        Some(line)
    })
}

/// Reads whole lines; one longer than `max_bytes` is skipped unread.
pub(super) fn parse_lines<'a>(text: &'a [u8], max_bytes: usize, format: Format, rule: &RowRule) -> Vec<Line<'a>> {
    let body = text.strip_suffix(b"\n").unwrap_or(text);
    if body.is_empty() && text.is_empty() {
        return Vec::new();
    }
    lines(body)
        .map(|line| {
            if line.len() > max_bytes {
                Line::skipped(too_long(max_bytes))
            } else {
                read_line(line, format, rule)
            }
        })
        .collect()
}

/// Reads a line as plain JSON and, when its backslashes allow, as COPY text.
pub(super) fn read_line<'a>(line: &'a [u8], format: Format, rule: &RowRule) -> Line<'a> {
    let raw = line;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let plain = |parsed| Line {
        parsed,
        as_copy_text: None,
        shows: None,
        assumed_copy_text: false,
        raw,
    };
    match copy_text::escapes(line) {
        Escapes::None => plain(parse_line(line, rule)),
        Escapes::NotCopy => Line {
            shows: Some(Format::Json),
            ..plain(parse_line(line, rule))
        },
        Escapes::CopyLike => {
            let unescaped = copy_text::unescape(line);
            let as_copy_text = parse_line(&unescaped, rule).map(|row| row.map(Row::into_owned));
            // In a COPY text input a valid COPY reading is the row whatever the plain one says
            // (it could only confirm the format): the plain reading is skipped.
            if format == Format::CopyText && as_copy_text.is_ok() {
                return Line {
                    assumed_copy_text: true,
                    ..plain(as_copy_text)
                };
            }
            match (parse_line(line, rule), as_copy_text) {
                (Ok(row), Ok(copy_row)) if row == copy_row => plain(Ok(row)),
                (Ok(row), Ok(copy_row)) => Line {
                    parsed: Ok(row),
                    // Both readings are rows here, or both are blank, which compare equal.
                    as_copy_text: copy_row,
                    ..plain(Ok(None))
                },
                (Ok(row), Err(_)) => Line {
                    shows: Some(Format::Json),
                    ..plain(Ok(row))
                },
                (Err(_), Ok(copy_row)) => Line {
                    shows: Some(Format::CopyText),
                    ..plain(Ok(copy_row))
                },
                // Neither reading is a row. When only one is JSON at all, the line shows the
                // format, and that reading says why it is skipped.
                (Err(plain_error), Err(copy_error)) => match (plain_error.is_malformed(), copy_error.is_malformed()) {
                    (true, false) => Line {
                        shows: Some(Format::CopyText),
                        ..plain(Err(copy_error))
                    },
                    (false, true) => Line {
                        shows: Some(Format::Json),
                        ..plain(Err(plain_error))
                    },
                    _ if format == Format::CopyText => plain(Err(copy_error)),
                    _ => plain(Err(plain_error)),
                },
            }
        }
    }
}

fn parse_line<'a>(line: &'a [u8], rule: &RowRule) -> Parsed<'a> {
    // Blank as `line.trim() === ""` is: ASCII whitespace, or (rarely) Unicode spaces.
    match line.iter().find(|b| !b.is_ascii_whitespace()) {
        None => return Ok(None),
        Some(&b) if b >= 0x80 && std::str::from_utf8(line).is_ok_and(|s| !is_non_blank(s)) => return Ok(None),
        Some(_) => {}
    }
    if let Some(fields) = scanner::scan(line) {
        return fields.into_row(rule).map(Some);
    }
    // A lone surrogate, which JSON.parse reads and a `str` cannot hold, is read marked.
    if let Some(marked) = surrogates::mark_line(line) {
        return serde_fields(&marked)?.into_row(rule).map(|row| Some(row.into_owned()));
    }
    serde_fields(line)?.into_row(rule).map(Some)
}

/// The line's fields as serde_json reads them: the path every line the scanner is not sure of
/// takes, and the one that gives a malformed line its message.
pub(super) fn serde_fields(line: &[u8]) -> Result<RowFields<'_>, Skip> {
    // A line serde_json refuses may only hold a number past f64's range, which JSON.parse reads.
    match parse_fields(line, Numbers::Serde) {
        Ok(fields) => Ok(fields),
        Err(error) => match parse_fields(line, Numbers::JavaScript) {
            Ok(fields) => Ok(fields),
            Err(_) => Err(Skip::new(MALFORMED_JSON, error.to_string())),
        },
    }
}

fn parse_fields(line: &[u8], numbers: Numbers) -> Result<RowFields<'_>, serde_json::Error> {
    let mut deserializer = serde_json::Deserializer::from_slice(line);
    let fields = deserializer.deserialize_any(RowVisitor(numbers))?;
    deserializer.end()?;
    Ok(fields)
}

/// A JSON value where the contract reads one: only the shapes it distinguishes.
#[derive(Debug, Default, PartialEq)]
pub(super) enum Scalar<'a> {
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
    fn describe(&self) -> String {
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

/// What a usage record says for the breaker; `record` is false when it is not an object.
#[derive(Debug, Default, PartialEq)]
pub(super) struct Usage<'a> {
    pub(super) record: bool,
    /// The usage column held something, even if not a record: not `null`, not absent.
    pub(super) given: bool,
    pub(super) session_reused: Scalar<'a>,
    pub(super) persisted_session_id: Scalar<'a>,
    /// The token counts' keys in the breaker's order (`read::TOKEN_KEYS`), raw then normalized.
    pub(super) tokens: [Scalar<'a>; 6],
}

/// The slot in [`Usage::tokens`] of a token key, in the order of the breaker's pairs.
pub(super) fn token_slot(key: &[u8]) -> Option<usize> {
    TOKEN_KEYS
        .iter()
        .flat_map(|(raw, normalized)| [raw.name(), normalized.name()])
        .position(|name| name.as_bytes() == key)
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
            match &*key {
                "sessionReused" => usage.session_reused = map.next_value_seed(scalar)?,
                "persistedSessionId" => usage.persisted_session_id = map.next_value_seed(scalar)?,
                other => match token_slot(other.as_bytes()).and_then(|i| usage.tokens.get_mut(i)) {
                    Some(slot) => *slot = map.next_value_seed(scalar)?,
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                },
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

#[derive(Debug, Default, PartialEq)]
pub(super) struct RowFields<'a> {
    pub(super) object: bool,
    pub(super) company_id: Scalar<'a>,
    pub(super) agent_id: Scalar<'a>,
    pub(super) session_id: Scalar<'a>,
    pub(super) session_id_before: Scalar<'a>,
    pub(super) created_at: Scalar<'a>,
    pub(super) liveness_state: Scalar<'a>,
    pub(super) usage: Usage<'a>,
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
            // The snake_case columns of row_to_json, or the camelCase of the service's rows.
            match &*key {
                "company_id" | "companyId" => row.company_id = map.next_value_seed(scalar)?,
                "agent_id" | "agentId" => row.agent_id = map.next_value_seed(scalar)?,
                "session_id_after" | "sessionIdAfter" => row.session_id = map.next_value_seed(scalar)?,
                "session_id_before" | "sessionIdBefore" => row.session_id_before = map.next_value_seed(scalar)?,
                "created_at" | "createdAt" => row.created_at = map.next_value_seed(scalar)?,
                "liveness_state" | "livenessState" => row.liveness_state = map.next_value_seed(scalar)?,
                "usage_json" | "usageJson" => row.usage = map.next_value_seed(UsageSeed(self.0))?,
                _ => {
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

fn is_non_blank(s: &str) -> bool {
    s.encode_utf16().any(|u| !is_js_whitespace(u))
}

impl<'a> RowFields<'a> {
    fn into_row(self, rule: &RowRule) -> Result<Row<'a>, Skip> {
        if !self.object {
            return Err(Skip::new("not a JSON object", ""));
        }
        let Scalar::Str(company_id) = self.company_id else {
            return Err(Skip::new(
                "company_id missing or not a string",
                self.company_id.describe(),
            ));
        };
        let Scalar::Str(agent_id) = self.agent_id else {
            return Err(Skip::new("agent_id missing or not a string", self.agent_id.describe()));
        };
        let created_at = match &self.created_at {
            Scalar::Str(s) => parse_time_text(s),
            Scalar::Number(n) => Some(time_clip(*n)).filter(|t| !t.is_nan()),
            _ => None,
        };
        let Some(created_at) = created_at else {
            return Err(Skip::new(
                "created_at missing or not a time",
                self.created_at.describe(),
            ));
        };
        let session_id = match self.session_id {
            Scalar::Str(s) if is_non_blank(&s) => Some(s),
            Scalar::Str(_) | Scalar::Null | Scalar::Absent => None,
            other => return Err(Skip::new("session_id_after not a string", other.describe())),
        };
        let kind = match &session_id {
            Some(session) => rule.judge(&self.liveness_state, &self.usage, &self.session_id_before, session),
            None => RunKind::default(),
        };
        Ok(Row {
            company_id,
            agent_id,
            session_id,
            created_at,
            dead: kind.dead,
            unseen_failed: kind.unseen_failed,
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
pub(super) struct RowRule {
    rule: DeadRunRule,
    wider: DeadRunRule,
}

impl RowRule {
    pub(super) fn new(rule: &DeadRunRule) -> RowRule {
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
        let unseen_failed = !dead
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
        Ok(matches!(value, Field::Scalar(Scalar::Str(s)) if surrogates::unmarked_units(s).eq(units.iter().copied())))
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_skipped_copy_text_line_says_why_its_copy_reading_is_skipped() {
        // COPY text of a JSON row without a time: only the COPY reading is JSON at all.
        let line = br#"{"copy":"\\"","company_id":"c","agent_id":"a","created_at":null}"#;
        for format in [Format::Json, Format::CopyText] {
            let read = read_line(line, format, &RowRule::default());
            assert_eq!(read.shows, Some(Format::CopyText));
            assert_eq!(
                read.parsed.map(|_| ()).unwrap_err().reason,
                "created_at missing or not a time"
            );
        }
        // Plain JSON without a time whose COPY reading is not JSON: the plain reason.
        let plain = br#"{"note":"a\"b","company_id":"c","agent_id":"a"}"#;
        let read = read_line(plain, Format::CopyText, &RowRule::default());
        assert_eq!(read.shows, Some(Format::Json));
        assert_eq!(
            read.parsed.map(|_| ()).unwrap_err().reason,
            "created_at missing or not a time"
        );
    }

    fn row(fields: &str) -> Parsed<'_> {
        parse_line(fields.as_bytes(), &RowRule::default())
    }

    fn created_at(text: &str) -> Option<f64> {
        let line = format!(r#"{{"company_id":"c","agent_id":"a","created_at":"{text}"}}"#);
        parse_line(line.as_bytes(), &RowRule::default())
            .ok()
            .flatten()
            .map(|r| r.created_at)
    }

    #[test]
    fn reads_times_as_postgres_prints_them() {
        let midnight = 1_780_272_000_000.0;
        assert_eq!(created_at("2026-06-01 00:00:00+00"), Some(midnight));
        assert_eq!(created_at("2026-06-01 05:31:00+0530"), Some(midnight + 60_000.0));
        assert_eq!(
            created_at("2026-06-01 05:31:00.123456+05:30"),
            Some(midnight + 60_123.0)
        );
        assert_eq!(created_at("2026-05-31 16:00:00-08"), Some(midnight));
        assert_eq!(created_at("2026-06-01T05:30:00.123456+05:30"), Some(midnight + 123.0));
        // Forms Date.parse reads as NaN, or in the process's own time zone: not a time here.
        assert_eq!(created_at("2026-06-01 00:00:00+05:30:15"), None);
        assert_eq!(created_at("2026-06-01 00:00:00"), None);
        assert_eq!(created_at("2026-06-01 12:00:00+00 BC"), None);
    }

    #[test]
    fn reads_numbers_past_f64s_range_as_json_parse_does() {
        let dead = |tokens: &str| {
            let line = format!(
                r#"{{"company_id":"c","agent_id":"a","session_id_after":"s","created_at":0,"liveness_state":"failed","usage_json":{{"sessionReused":true,"persistedSessionId":"s","inputTokens":{tokens}}}}}"#
            );
            parse_line(line.as_bytes(), &RowRule::default()).map(|r| r.map(|r| r.dead))
        };
        assert_eq!(dead("0"), Ok(Some(true)));
        assert_eq!(dead("1e-400"), Ok(Some(true)));
        // JSON.parse reads Infinity, which the breaker counts as no tokens at all.
        assert_eq!(dead("1e400"), Ok(Some(true)));
        assert_eq!(dead("-1e400"), Ok(Some(true)));
        assert_eq!(dead("12").unwrap(), Some(false));
        let infinite = row(r#"{"company_id":"c","agent_id":"a","created_at":1e400}"#).unwrap_err();
        // The detail is in JavaScript's words, never Rust's debug text.
        assert_eq!(infinite.detail, "Infinity");
        assert_eq!(
            row(r#"{"company_id":"c","agent_id":"a","created_at":"yesterday"}"#)
                .unwrap_err()
                .detail,
            r#""yesterday""#
        );
        assert_eq!(row(r#"{"company_id":42,"agent_id":"a"}"#).unwrap_err().detail, "42");
        assert_eq!(
            row(r#"{"company_id":"c","agent_id":"a","created_at":1e400}"#)
                .unwrap_err()
                .reason,
            "created_at missing or not a time"
        );
        assert_eq!(
            row(r#"{"company_id":"c","agent_id":"a","created_at":1e400"#)
                .unwrap_err()
                .reason,
            "malformed JSON"
        );
    }
}

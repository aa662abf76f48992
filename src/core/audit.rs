//! The fleet audit: dead sessions in a `heartbeat_runs` history, one JSON row per line (as
//! `COPY (SELECT row_to_json(r) FROM heartbeat_runs r) TO STDOUT` writes them), with the
//! breaker's own definition of a dead run, and what each threshold from 1 to 10 would have
//! saved. Rows may come in any order; each session's runs are ordered by `created_at`.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
use serde::Deserializer;

use super::js_semantics::{floor_non_negative, is_js_whitespace, parse_iso_date_time, time_clip};
use super::read::TOKEN_KEYS;

/// The breaker thresholds the what-if table covers.
pub const WHAT_IF_THRESHOLDS: usize = 10;
/// Dead runs in a row after which the breaker rotates: the breaker's own default threshold.
const DEAD_NOW_STREAK: u64 = super::breaker::DEAD_REUSED_SESSION_FAILURE_THRESHOLD as u64;
/// How many skipped rows the report describes one by one.
const FIRST_ERRORS: usize = 10;

#[derive(Debug, Clone, Default)]
pub struct AuditOptions {
    /// Only this company's rows.
    pub company_id: Option<String>,
    /// Only runs created at or after this time (epoch milliseconds).
    pub since_ms: Option<f64>,
    /// Parsing threads; 0 means one per core.
    pub threads: usize,
    /// The rows come ordered by `created_at` (as `auditDeadSessionsFromDatabase` reads them, or
    /// a `COPY … ORDER BY created_at`): each run is folded into its session's streaks at once
    /// and nothing is kept per run, so memory is bounded by the number of sessions. A row
    /// older than its session's previous one is then skipped, as out of order.
    pub ordered: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SessionReport {
    pub company_id: String,
    pub agent_id: String,
    pub session_id: String,
    pub runs: u64,
    pub dead_runs: u64,
    pub longest_dead_streak: u64,
    pub current_dead_streak: u64,
    pub dead_now: bool,
    pub first_run_at: f64,
    pub last_run_at: f64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Totals {
    pub sessions: u64,
    pub runs: u64,
    pub dead_runs: u64,
    /// Sessions that ever had a dead streak of at least 3.
    pub sessions_with_dead_streak: u64,
    /// Sessions whose latest runs are a dead streak of at least 3.
    pub sessions_dead_now: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AgentReport {
    pub company_id: String,
    pub agent_id: String,
    pub totals: Totals,
}

#[derive(Debug, Clone, PartialEq)]
pub struct CompanyReport {
    pub company_id: String,
    pub agents: u64,
    pub totals: Totals,
}

/// What a breaker threshold would have done over this history.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct WhatIf {
    pub threshold: u64,
    /// Rotations it would have triggered: one per dead streak at least this long.
    pub rotations: u64,
    /// Dead runs it would have saved: those of each such streak past the threshold.
    pub dead_runs_saved: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    pub line: u64,
    pub reason: &'static str,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct AuditReport {
    pub bytes_read: u64,
    pub lines: u64,
    pub rows_used: u64,
    /// Valid rows outside `company_id`/`since`.
    pub rows_filtered: u64,
    /// Valid rows without a persisted session (`session_id_after` null or blank).
    pub rows_without_session: u64,
    pub rows_skipped: u64,
    pub skipped_by_reason: BTreeMap<&'static str, u64>,
    pub first_errors: Vec<RowError>,
    pub totals: Totals,
    pub companies: Vec<CompanyReport>,
    pub agents: Vec<AgentReport>,
    pub sessions: Vec<SessionReport>,
    pub what_if: Vec<WhatIf>,
}

/// One session: its key, and its runs, either kept as (created_at << 1 | dead) in arrival order
/// to be sorted at the end, or (ordered input) already folded.
struct SessionRuns {
    company_id: Box<str>,
    agent_id: Box<str>,
    session_id: Box<str>,
    runs: Vec<i64>,
    fold: Fold,
}

/// A session's streaks, folded run by run in time order.
#[derive(Default)]
struct Fold {
    runs: u64,
    dead_runs: u64,
    longest: u64,
    current: u64,
    first: Option<i64>,
    last: Option<i64>,
}

impl Fold {
    fn push(&mut self, at: i64, dead: bool, what_if: &mut [WhatIf]) {
        self.runs += 1;
        self.first.get_or_insert(at);
        self.last = Some(at);
        if dead {
            self.dead_runs += 1;
            self.current += 1;
            self.longest = self.longest.max(self.current);
        } else {
            close_streak(self.current, what_if);
            self.current = 0;
        }
    }
}

/// A dead streak of `length` ends: each threshold it reaches rotates once and saves the rest.
fn close_streak(length: u64, what_if: &mut [WhatIf]) {
    for w in what_if.iter_mut().filter(|w| length >= w.threshold) {
        w.rotations += 1;
        w.dead_runs_saved += length - w.threshold;
    }
}

/// A streaming audit: push NDJSON bytes in any chunking, then finish.
pub struct Auditor {
    options: AuditOptions,
    index: HashMap<Box<str>, usize>,
    sessions: Vec<SessionRuns>,
    pending: Vec<u8>,
    key: String,
    report: AuditReport,
    what_if: Vec<WhatIf>,
}

/// A row as the audit needs it.
struct Row<'a> {
    company_id: Cow<'a, str>,
    agent_id: Cow<'a, str>,
    session_id: Option<Cow<'a, str>>,
    created_at: f64,
    dead: bool,
}

type Parsed<'a> = Result<Option<Row<'a>>, (&'static str, String)>;

impl Auditor {
    pub fn new(options: AuditOptions) -> Auditor {
        let what_if = (1..=WHAT_IF_THRESHOLDS as u64)
            .map(|threshold| WhatIf {
                threshold,
                ..WhatIf::default()
            })
            .collect();
        Auditor {
            options,
            index: HashMap::new(),
            sessions: Vec::new(),
            pending: Vec::new(),
            key: String::new(),
            report: AuditReport::default(),
            what_if,
        }
    }

    /// Feeds more of the history; a line may be split across pushes.
    pub fn push(&mut self, bytes: &[u8]) {
        self.report.bytes_read += bytes.len() as u64;
        let Some(last_newline) = bytes.iter().rposition(|&b| b == b'\n') else {
            self.pending.extend_from_slice(bytes);
            return;
        };
        let (complete, rest) = bytes.split_at(last_newline + 1);
        if self.pending.is_empty() {
            self.consume(complete);
        } else {
            let mut joined = std::mem::take(&mut self.pending);
            joined.extend_from_slice(complete);
            self.consume(&joined);
        }
        self.pending.extend_from_slice(rest);
    }

    /// Ends the input and computes the report.
    pub fn finish(mut self) -> AuditReport {
        let last = std::mem::take(&mut self.pending);
        if !last.is_empty() {
            self.consume(&last);
        }
        let mut report = std::mem::take(&mut self.report);
        summarize(&mut self.sessions, self.what_if, &mut report);
        report
    }

    /// Parses whole lines, on several threads when there are many, and applies them in order.
    fn consume(&mut self, text: &[u8]) {
        let threads = match self.options.threads {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        let parts = split_at_lines(text, if text.len() < 1 << 20 { 1 } else { threads });
        let first_line = self.report.lines;
        let parsed: Vec<Vec<Parsed>> = if parts.len() == 1 {
            parts.iter().map(|p| parse_lines(p)).collect()
        } else {
            std::thread::scope(|scope| {
                let handles: Vec<_> = parts.iter().map(|p| scope.spawn(move || parse_lines(p))).collect();
                handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
            })
        };
        let mut line = first_line;
        for rows in parsed {
            for row in rows {
                line += 1;
                self.apply(line, row);
            }
        }
        self.report.lines = line;
    }

    fn skip(&mut self, line: u64, reason: &'static str, detail: String) {
        self.report.rows_skipped += 1;
        *self.report.skipped_by_reason.entry(reason).or_insert(0) += 1;
        if self.report.first_errors.len() < FIRST_ERRORS {
            self.report.first_errors.push(RowError { line, reason, detail });
        }
    }

    fn apply(&mut self, line: u64, parsed: Parsed) {
        let row = match parsed {
            Ok(Some(row)) => row,
            Ok(None) => return, // a blank line
            Err((reason, detail)) => return self.skip(line, reason, detail),
        };
        let filtered_company = self.options.company_id.as_deref().is_some_and(|c| c != row.company_id);
        let filtered_time = self.options.since_ms.is_some_and(|since| row.created_at < since);
        if filtered_company || filtered_time {
            self.report.rows_filtered += 1;
            return;
        }
        let Some(session_id) = row.session_id else {
            self.report.rows_without_session += 1;
            return;
        };
        self.key.clear();
        for part in [&*row.company_id, &*row.agent_id, &*session_id] {
            self.key.push_str(part);
            self.key.push('\u{1f}');
        }
        let slot = match self.index.get(self.key.as_str()) {
            Some(&slot) => slot,
            None => {
                let slot = self.sessions.len();
                self.sessions.push(SessionRuns {
                    company_id: row.company_id.into(),
                    agent_id: row.agent_id.into(),
                    session_id: session_id.into(),
                    runs: Vec::new(),
                    fold: Fold::default(),
                });
                self.index.insert(self.key.as_str().into(), slot);
                slot
            }
        };
        let Some(session) = self.sessions.get_mut(slot) else {
            return;
        };
        // Times are whole milliseconds within ±8.64e15 (TimeClip), so this is exact.
        let at = row.created_at as i64;
        if !self.options.ordered {
            session.runs.push((at << 1) | i64::from(row.dead));
        } else if session.fold.last.is_some_and(|last| at < last) {
            return self.skip(line, "out of created_at order (ordered input)", format!("{at} ms"));
        } else {
            session.fold.push(at, row.dead, &mut self.what_if);
        }
        self.report.rows_used += 1;
    }
}

/// Splits `text` (whole lines) into about `parts` pieces, each ending at a newline.
fn split_at_lines(text: &[u8], parts: usize) -> Vec<&[u8]> {
    let mut pieces = Vec::new();
    let mut rest = text;
    let target = text.len() / parts.max(1) + 1;
    while !rest.is_empty() {
        let cut = if rest.len() <= target {
            rest.len()
        } else {
            rest.iter()
                .skip(target)
                .position(|&b| b == b'\n')
                .map_or(rest.len(), |p| target + p + 1)
        };
        let (piece, tail) = rest.split_at(cut);
        pieces.push(piece);
        rest = tail;
    }
    if pieces.is_empty() {
        pieces.push(text);
    }
    pieces
}

fn parse_lines(text: &[u8]) -> Vec<Parsed<'_>> {
    let body = text.strip_suffix(b"\n").unwrap_or(text);
    if body.is_empty() && text.is_empty() {
        return Vec::new();
    }
    body.split(|&b| b == b'\n').map(parse_line).collect()
}

fn parse_line(line: &[u8]) -> Parsed<'_> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    // Blank as `line.trim() === ""` is: ASCII whitespace, or (rarely) Unicode spaces.
    match line.iter().find(|b| !b.is_ascii_whitespace()) {
        None => return Ok(None),
        Some(&b) if b >= 0x80 && std::str::from_utf8(line).is_ok_and(|s| !is_non_blank(s)) => return Ok(None),
        Some(_) => {}
    }
    let mut deserializer = serde_json::Deserializer::from_slice(line);
    let fields = match deserializer.deserialize_any(RowVisitor) {
        Ok(fields) => fields,
        Err(e) => return Err(("malformed JSON", e.to_string())),
    };
    if let Err(e) = deserializer.end() {
        return Err(("malformed JSON", e.to_string()));
    }
    fields.into_row().map(Some)
}

/// A JSON value where the contract reads one: only the shapes it distinguishes.
#[derive(Debug, Default)]
enum Scalar<'a> {
    #[default]
    Absent,
    Null,
    Bool(bool),
    Number(f64),
    Str(Cow<'a, str>),
    Other,
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

impl<'de> de::Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

/// The visitor methods for every JSON value but an object: each reads as the type's default
/// (for a record, "not a record"), consuming arrays whole.
macro_rules! not_an_object {
    ($value:ty) => {
        fn visit_bool<E>(self, _: bool) -> Result<$value, E> {
            Ok(Default::default())
        }
        fn visit_i64<E>(self, _: i64) -> Result<$value, E> {
            Ok(Default::default())
        }
        fn visit_u64<E>(self, _: u64) -> Result<$value, E> {
            Ok(Default::default())
        }
        fn visit_f64<E>(self, _: f64) -> Result<$value, E> {
            Ok(Default::default())
        }
        fn visit_str<E>(self, _: &str) -> Result<$value, E> {
            Ok(Default::default())
        }
        fn visit_unit<E>(self) -> Result<$value, E> {
            Ok(Default::default())
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<$value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok(Default::default())
        }
    };
}

/// What a usage record says for the breaker; `record` is false when it is not an object.
#[derive(Debug, Default)]
struct Usage<'a> {
    record: bool,
    session_reused: Scalar<'a>,
    persisted_session_id: Scalar<'a>,
    /// The token counts' keys in the breaker's order (`read::TOKEN_KEYS`), raw then normalized.
    tokens: [Scalar<'a>; 6],
}

/// The slot in [`Usage::tokens`] of a token key, in the order of the breaker's pairs.
fn token_slot(key: &str) -> Option<usize> {
    TOKEN_KEYS
        .iter()
        .flat_map(|(raw, normalized)| [raw.name(), normalized.name()])
        .position(|name| name == key)
}

struct UsageVisitor;

impl<'de> Visitor<'de> for UsageVisitor {
    type Value = Usage<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Usage<'de>, A::Error> {
        let mut usage = Usage {
            record: true,
            ..Usage::default()
        };
        // Later duplicates win, as in JSON.parse.
        while let Some(FieldName(key)) = map.next_key()? {
            match &*key {
                "sessionReused" => usage.session_reused = map.next_value()?,
                "persistedSessionId" => usage.persisted_session_id = map.next_value()?,
                other => match token_slot(other).and_then(|i| usage.tokens.get_mut(i)) {
                    Some(slot) => *slot = map.next_value()?,
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                },
            }
        }
        Ok(usage)
    }
    not_an_object!(Usage<'de>);
}

struct UsageSeed;

impl<'de> DeserializeSeed<'de> for UsageSeed {
    type Value = Usage<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Usage<'de>, D::Error> {
        d.deserialize_any(UsageVisitor)
    }
}

#[derive(Default)]
struct RowFields<'a> {
    object: bool,
    company_id: Scalar<'a>,
    agent_id: Scalar<'a>,
    session_id: Scalar<'a>,
    created_at: Scalar<'a>,
    liveness_state: Scalar<'a>,
    usage: Usage<'a>,
}

struct RowVisitor;

impl<'de> Visitor<'de> for RowVisitor {
    type Value = RowFields<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object per line")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RowFields<'de>, A::Error> {
        let mut row = RowFields {
            object: true,
            ..RowFields::default()
        };
        while let Some(FieldName(key)) = map.next_key()? {
            // The snake_case columns of row_to_json, or the camelCase of the service's rows.
            match &*key {
                "company_id" | "companyId" => row.company_id = map.next_value()?,
                "agent_id" | "agentId" => row.agent_id = map.next_value()?,
                "session_id_after" | "sessionIdAfter" => row.session_id = map.next_value()?,
                "created_at" | "createdAt" => row.created_at = map.next_value()?,
                "liveness_state" | "livenessState" => row.liveness_state = map.next_value()?,
                "usage_json" | "usageJson" => row.usage = map.next_value_seed(UsageSeed)?,
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(row)
    }
    not_an_object!(RowFields<'de>);
}

fn is_non_blank(s: &str) -> bool {
    s.encode_utf16().any(|u| !is_js_whitespace(u))
}

impl<'a> RowFields<'a> {
    fn into_row(self) -> Result<Row<'a>, (&'static str, String)> {
        if !self.object {
            return Err(("not a JSON object", String::new()));
        }
        let Scalar::Str(company_id) = self.company_id else {
            return Err(("company_id missing or not a string", format!("{:?}", self.company_id)));
        };
        let Scalar::Str(agent_id) = self.agent_id else {
            return Err(("agent_id missing or not a string", format!("{:?}", self.agent_id)));
        };
        let created_at = match &self.created_at {
            Scalar::Str(s) => parse_iso_date_time(&s.encode_utf16().collect::<Vec<u16>>()).filter(|t| !t.is_nan()),
            Scalar::Number(n) => Some(time_clip(*n)).filter(|t| !t.is_nan()),
            _ => None,
        };
        let Some(created_at) = created_at else {
            return Err(("created_at missing or not a time", format!("{:?}", self.created_at)));
        };
        let session_id = match self.session_id {
            Scalar::Str(s) if is_non_blank(&s) => Some(s),
            Scalar::Str(_) | Scalar::Null | Scalar::Absent => None,
            other => return Err(("session_id_after not a string", format!("{other:?}"))),
        };
        let dead = match &session_id {
            Some(session) => is_dead(&self.liveness_state, &self.usage, session),
            None => false,
        };
        Ok(Row {
            company_id,
            agent_id,
            session_id,
            created_at,
            dead,
        })
    }
}

/// The breaker's dead run: failed, resumed this very session, and no tokens at all.
fn is_dead(liveness: &Scalar, usage: &Usage, session: &str) -> bool {
    let failed = matches!(liveness, Scalar::Str(s) if s == "failed");
    let reused = matches!(usage.session_reused, Scalar::Bool(true));
    let same_session = matches!(&usage.persisted_session_id, Scalar::Str(p) if p == session);
    failed && usage.record && reused && same_session && usage.tokens.chunks(2).all(|pair| token_count(pair) == 0.0)
}

/// The raw value when it is a finite number, else the normalized one, else 0; floored, ≥ 0.
fn token_count(pair: &[Scalar]) -> f64 {
    let finite = |s: Option<&Scalar>| match s {
        Some(Scalar::Number(n)) if n.is_finite() => Some(*n),
        _ => None,
    };
    floor_non_negative(finite(pair.first()).or_else(|| finite(pair.get(1))).unwrap_or(0.0))
}

/// Orders each session's runs by time and computes streaks, totals and the what-if table.
fn summarize(sessions: &mut [SessionRuns], mut what_if: Vec<WhatIf>, report: &mut AuditReport) {
    let mut agents: BTreeMap<(&str, &str), Totals> = BTreeMap::new();
    let mut session_reports = Vec::with_capacity(sessions.len());
    for s in sessions.iter_mut() {
        // Kept runs (unordered input): stable by time, so equal times keep the input's order.
        s.runs.sort_by_key(|packed| packed >> 1);
        let mut fold = std::mem::take(&mut s.fold);
        for &packed in &s.runs {
            fold.push(packed >> 1, packed & 1 == 1, &mut what_if);
        }
        close_streak(fold.current, &mut what_if);
        let r = SessionReport {
            company_id: s.company_id.to_string(),
            agent_id: s.agent_id.to_string(),
            session_id: s.session_id.to_string(),
            runs: fold.runs,
            dead_runs: fold.dead_runs,
            longest_dead_streak: fold.longest,
            current_dead_streak: fold.current,
            dead_now: fold.current >= DEAD_NOW_STREAK,
            first_run_at: fold.first.map_or(f64::NAN, |t| t as f64),
            last_run_at: fold.last.map_or(f64::NAN, |t| t as f64),
        };
        let totals = agents.entry((&s.company_id, &s.agent_id)).or_default();
        add(totals, &r);
        add(&mut report.totals, &r);
        session_reports.push(r);
    }
    session_reports
        .sort_by(|a, b| (&a.company_id, &a.agent_id, &a.session_id).cmp(&(&b.company_id, &b.agent_id, &b.session_id)));
    let mut companies: BTreeMap<&str, CompanyReport> = BTreeMap::new();
    for ((company, _), totals) in &agents {
        let c = companies.entry(company).or_insert_with(|| CompanyReport {
            company_id: company.to_string(),
            agents: 0,
            totals: Totals::default(),
        });
        c.agents += 1;
        for (sum, part) in [
            (&mut c.totals.sessions, totals.sessions),
            (&mut c.totals.runs, totals.runs),
            (&mut c.totals.dead_runs, totals.dead_runs),
            (
                &mut c.totals.sessions_with_dead_streak,
                totals.sessions_with_dead_streak,
            ),
            (&mut c.totals.sessions_dead_now, totals.sessions_dead_now),
        ] {
            *sum += part;
        }
    }
    report.companies = companies.into_values().collect();
    report.agents = agents
        .into_iter()
        .map(|((company, agent), totals)| AgentReport {
            company_id: company.to_string(),
            agent_id: agent.to_string(),
            totals,
        })
        .collect();
    report.sessions = session_reports;
    report.what_if = what_if;
}

fn add(totals: &mut Totals, s: &SessionReport) {
    totals.sessions += 1;
    totals.runs += s.runs;
    totals.dead_runs += s.dead_runs;
    totals.sessions_with_dead_streak += u64::from(s.longest_dead_streak >= DEAD_NOW_STREAK);
    totals.sessions_dead_now += u64::from(s.dead_now);
}

/// Audits a whole history held in memory.
pub fn audit_bytes(bytes: &[u8], options: AuditOptions) -> AuditReport {
    let mut auditor = Auditor::new(options);
    auditor.push(bytes);
    auditor.finish()
}

//! The streaming auditor: bytes in any chunking, whole lines parsed on every core, each row
//! filed under its session (kept to be sorted at the end, or folded at once when ordered).

use std::borrow::Cow;
use std::time::Instant;

use hashbrown::HashMap;

use super::line::format::{parse_lines, read_line, too_long, Format, Line};
use super::line::row::{Row, RowRule, RunKind};
use super::line::skip::{Skip, SkipReason};
use super::summary::{
    summarize, AuditReport, HistoryTables, LiveSessions, RowError, SessionKey, SessionKeyRef, SessionRuns, FIRST_ERRORS,
};
use super::threads::on_threads;
use crate::core::breaker::DeadRunRule;

/// The longest line read by default: 64 MiB.
pub const DEFAULT_MAX_LINE_BYTES: usize = 64 << 20;
/// The least a parsing thread is given.
const MIN_PART_BYTES: usize = 256 << 10;

#[derive(Debug, Clone)]
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
    /// A longer line is skipped as "line too long", and never held whole.
    pub max_line_bytes: usize,
    /// Which runs count as dead: the breaker's default rule unless widened.
    pub rule: DeadRunRule,
    /// Write out only this many sessions dead now and this many of the longest dead streaks
    /// (every total still counts every session); `None`: every session.
    pub top_sessions: Option<usize>,
}

impl Default for AuditOptions {
    fn default() -> Self {
        AuditOptions {
            company_id: None,
            since_ms: None,
            threads: 0,
            ordered: false,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            rule: DeadRunRule::default(),
            top_sessions: None,
        }
    }
}

/// A streaming audit: push NDJSON bytes in any chunking, then finish.
pub struct Auditor {
    options: AuditOptions,
    /// The options' rule, as rows are judged by it.
    rule: RowRule,
    /// Each session's runs, by its three ids.
    sessions: HashMap<SessionKey, SessionRuns>,
    /// The start of a line whose end has not come yet.
    pending: Vec<u8>,
    /// The line being read is over the length cap: the rest of it is dropped as it comes.
    overlong: bool,
    /// The format the latest line that reads one way only was in.
    format: Format,
    /// Whether `format` is known: always at the input's start; for a later part of a file
    /// ([`Auditor::for_part`]) only once one of its lines reads one way only.
    format_known: bool,
    /// A later part's rows read before its format was known, whose row depends on it: filed when
    /// the part is joined to the one before ([`Auditor::absorb`]).
    undecided: Vec<Undecided>,
    report: AuditReport,
    tables: HistoryTables,
    started: Instant,
    /// The sessions a database's live pointers name, when it has them ([`Auditor::live_sessions`]).
    live_sessions: Option<LiveSessions>,
}

impl Auditor {
    pub fn new(options: AuditOptions) -> Auditor {
        Auditor {
            rule: RowRule::new(&options.rule),
            options,
            sessions: HashMap::new(),
            pending: Vec::new(),
            overlong: false,
            format: Format::default(),
            format_known: true,
            undecided: Vec::new(),
            report: AuditReport::default(),
            tables: HistoryTables::new(),
            started: Instant::now(),
            live_sessions: None,
        }
    }

    /// The sessions the server would resume, by their ids (company, agent, session), from a
    /// database's live pointers: dead now is then decided by them, not by rotation records.
    pub fn live_sessions<'s>(&mut self, ids: impl IntoIterator<Item = (&'s str, &'s str, &'s str)>) {
        let live = self.live_sessions.get_or_insert_with(LiveSessions::new);
        for (company_id, agent_id, session_id) in ids {
            live.insert(SessionKey::new(company_id, agent_id, session_id));
        }
    }

    /// An auditor for a later part of the same input, read beside this one: the same options,
    /// one parsing thread, and the input's format not yet known. Only for unordered audits,
    /// whose runs are sorted at the end.
    pub(super) fn for_part(&self) -> Auditor {
        Auditor {
            format_known: false,
            ..Auditor::new(AuditOptions {
                threads: 1,
                ..self.options.clone()
            })
        }
    }

    /// The bytes of the line begun but not yet ended that this auditor holds.
    pub(super) fn unfinished_line_bytes(&self) -> usize {
        self.pending.len()
    }

    /// Whether the input is read in order, each run folded at once.
    pub(super) fn ordered(&self) -> bool {
        self.options.ordered
    }

    /// Joins the auditor of the part of the input that comes right after this one's (its lines
    /// numbered on from this one's), once both have read all their lines.
    pub(super) fn absorb(&mut self, mut later: Auditor) {
        self.end_pending_line();
        later.end_pending_line();
        let offset = self.report.lines;
        // The format this part ended in is the one the later part began in: it decides each
        // undecided row, which takes its place among the later part's runs.
        later.place_undecided(self.format);
        if later.format_known {
            self.format = later.format;
        }
        for (key, runs) in later.sessions {
            if let (Some(mine), SessionRuns::Kept(theirs)) = (
                self.sessions
                    .entry(key)
                    .or_insert_with(|| SessionRuns::new(false))
                    .kept_mut(),
                runs,
            ) {
                mine.extend(theirs);
            }
        }
        self.tables.absorb(later.tables);
        self.report.add_counts(later.report, offset);
    }

    /// Feeds more of the history; a line may be split across pushes.
    pub fn push(&mut self, mut bytes: &[u8]) {
        self.report.bytes_read += bytes.len() as u64;
        if self.overlong {
            let Some(newline) = memchr::memchr(b'\n', bytes) else {
                return;
            };
            self.end_overlong_line();
            bytes = bytes.get(newline + 1..).unwrap_or_default();
        }
        let Some(last_newline) = memchr::memrchr(b'\n', bytes) else {
            return self.hold(bytes);
        };
        let (mut complete, rest) = bytes.split_at(last_newline + 1);
        if !self.pending.is_empty() {
            // Only the line that spans the two pushes is joined; the rest is read in place.
            let first_end = memchr::memchr(b'\n', complete).map_or(complete.len(), |at| at + 1);
            let (first, tail) = complete.split_at(first_end);
            let mut joined = std::mem::take(&mut self.pending);
            joined.extend_from_slice(first);
            self.consume(&joined);
            complete = tail;
        }
        if !complete.is_empty() {
            self.consume(complete);
        }
        self.hold(rest);
    }

    /// Feeds one whole row (a database's): a line break inside it is JSON whitespace, not the
    /// end of the row. A line left unfinished by [`Auditor::push`] ends first.
    pub fn push_row(&mut self, row: &[u8]) {
        self.end_pending_line();
        self.report.bytes_read += row.len() as u64;
        self.report.lines += 1;
        let read = if row.len() > self.options.max_line_bytes {
            Line::skipped(too_long(self.options.max_line_bytes))
        } else {
            read_line(row, self.format, &self.rule)
        };
        self.apply(self.report.lines, read);
    }

    fn end_pending_line(&mut self) {
        if self.overlong {
            self.end_overlong_line();
        }
        let last = std::mem::take(&mut self.pending);
        if !last.is_empty() {
            self.consume(&last);
        }
    }

    /// Ends the input and computes the report.
    pub fn finish(mut self) -> AuditReport {
        self.end_pending_line();
        let mut report = std::mem::take(&mut self.report);
        summarize(
            std::mem::take(&mut self.sessions),
            self.tables,
            &mut report,
            self.options.top_sessions,
            self.live_sessions.as_ref(),
        );
        report.dead_run_rule = (&self.options.rule).into();
        report.elapsed_ms = self.started.elapsed().as_secs_f64() * 1000.0;
        report
    }

    /// Keeps the start of an unfinished line, unless it is already over the cap.
    fn hold(&mut self, start: &[u8]) {
        let needed = self.pending.len() + start.len();
        let cap = self.options.max_line_bytes;
        if needed > cap {
            self.pending = Vec::new();
            self.overlong = true;
            return;
        }
        if needed > self.pending.capacity() {
            // Grow by doubling, but never past the cap: a line at the cap holds cap bytes.
            let target = needed.max(self.pending.capacity() * 2).min(cap);
            self.pending.reserve_exact(target - self.pending.len());
        }
        self.pending.extend_from_slice(start);
    }

    /// The input stopped short of its end (`reason`, `detail`): whatever line was unfinished is
    /// lost, and counted as one skipped row.
    pub fn ended_early(&mut self, detail: String) {
        self.drop_line(Skip::new(SkipReason::EndedEarly, detail));
    }

    fn end_overlong_line(&mut self) {
        self.drop_line(too_long(self.options.max_line_bytes));
    }

    /// The unfinished line ends unread, counted as one skipped row for `skip`.
    fn drop_line(&mut self, skip: Skip) {
        self.pending.clear();
        self.overlong = false;
        self.report.lines += 1;
        self.skip(self.report.lines, skip);
    }

    /// The threads that parse a chunk: as asked, or one per core.
    pub fn parse_threads(&self) -> usize {
        match self.options.threads {
            0 => cores(),
            n => n,
        }
    }

    /// Parses whole lines, on several threads when there are many, and applies them in order.
    fn consume(&mut self, text: &[u8]) {
        let threads = self.parse_threads();
        let max = self.options.max_line_bytes;
        // A thread earns its start-up only with a quarter of a MiB or more to parse.
        let parts = split_at_lines(text, threads.min(text.len() / MIN_PART_BYTES).max(1));
        let first_line = self.report.lines;
        // The lines are read in the format the input was in when the chunk began.
        let parsed = parse_parts(&parts, max, self.format, &self.rule);
        let mut line = first_line;
        for rows in parsed {
            for row in rows {
                line += 1;
                self.apply(line, row);
            }
        }
        self.report.lines = line;
    }

    fn skip(&mut self, line: u64, Skip { reason, detail }: Skip) {
        self.report.rows_skipped += 1;
        *self.report.skipped_by_reason.entry(reason).or_insert(0) += 1;
        if self.report.first_errors.len() < FIRST_ERRORS {
            self.report.first_errors.push(RowError {
                line,
                reason,
                code: reason.code(),
                detail,
            });
        }
    }

    fn apply(&mut self, line: u64, mut read: Line) {
        if read.assumed_copy_text && self.format != Format::CopyText {
            read = read_line(read.raw, self.format, &self.rule);
        }
        if let Some(format) = read.shown_format {
            self.format = format;
            self.format_known = true;
        }
        if !self.format_known {
            // Which reading is the row depends on the format the part began in.
            if let Line {
                parsed: Ok(Some(plain)),
                as_copy_text: Some(copy_text),
                ..
            } = read
            {
                return self.undecided.push(Undecided {
                    line,
                    plain: plain.into_owned(),
                    copy_text,
                });
            }
        }
        match read.row(self.format) {
            Ok(Some(row)) => self.file(line, row),
            Ok(None) => {} // a blank line
            Err(skip) => self.skip(line, skip),
        }
    }

    /// Files this part's undecided rows, read in `format`. Where each goes among its session's
    /// runs is decided at the end, by time and tie rank ([`RunKind::tie_rank`]), as for any run.
    fn place_undecided(&mut self, format: Format) {
        for Undecided { line, plain, copy_text } in std::mem::take(&mut self.undecided) {
            let row = match format {
                Format::Json => plain,
                Format::CopyText => copy_text,
            };
            self.file(line, row);
        }
    }

    /// Files a row under its session, unless the options filter it out.
    fn file(&mut self, line: u64, row: Row) {
        if let Some(run) = self.admit(line, row) {
            // One lookup; the ids are copied only for a session seen for the first time.
            // Only an unordered audit keeps runs (an ordered one has folded them).
            let session = self
                .sessions
                .entry_ref(&run.key())
                .or_insert_with(|| SessionRuns::new(false));
            if let Some(kept) = session.kept_mut() {
                kept.push(run.packed);
            }
        }
    }

    /// Counts a row and folds it (ordered input), or hands back its session and packed run to
    /// be kept (unordered input); `None` when the options filter it out, it has no session, or
    /// it comes out of order.
    fn admit<'r>(&mut self, line: u64, row: Row<'r>) -> Option<AdmittedRun<'r>> {
        let filtered_company = self.options.company_id.as_deref().is_some_and(|c| c != row.company_id);
        let filtered_time = self.options.since_ms.is_some_and(|since| row.created_at < since);
        if filtered_company || filtered_time {
            self.report.rows_filtered += 1;
            return None;
        }
        // Times are whole milliseconds within ±8.64e15 (TimeClip), so this is exact.
        let at = row.created_at as i64;
        // A rotation the run records counts whether or not the run has a session of its own.
        if let Some(rotation) = &row.rotation {
            self.tables.record_rotation(
                &row.company_id,
                &row.agent_id,
                &rotation.previous_session_id,
                at,
                rotation.kind,
            );
        }
        let Some(session_id) = row.session_id else {
            self.report.rows_without_session += 1;
            return None;
        };
        let kind = RunKind {
            dead: row.dead,
            unseen_failed: row.unseen_failed,
        };
        let run = AdmittedRun {
            company_id: row.company_id,
            agent_id: row.agent_id,
            session_id,
            packed: kind.pack(at),
        };
        let kept = if self.options.ordered {
            let session = self
                .sessions
                .entry_ref(&run.key())
                .or_insert_with(|| SessionRuns::new(true));
            // An ordered audit folds every session.
            let SessionRuns::Folded(fold) = session else {
                return None;
            };
            if fold.last.is_some_and(|last| at < last) {
                self.skip(line, Skip::new(SkipReason::OutOfOrder, format!("{at} ms")));
                return None;
            }
            fold.push(at, kind, &mut self.tables);
            None
        } else {
            Some(run)
        };
        self.tables.count_day(at, kind);
        self.report.rows_used += 1;
        kept
    }
}

/// A run to keep under its session: the session's ids, and the run packed ([`RunKind::pack`]).
struct AdmittedRun<'r> {
    company_id: Cow<'r, str>,
    agent_id: Cow<'r, str>,
    session_id: Cow<'r, str>,
    packed: i64,
}

impl AdmittedRun<'_> {
    fn key(&self) -> SessionKeyRef<'_> {
        SessionKeyRef {
            company_id: &self.company_id,
            agent_id: &self.agent_id,
            session_id: &self.session_id,
        }
    }
}

/// A row of a later part that reads validly both ways, read before the part showed its format:
/// both readings.
struct Undecided {
    line: u64,
    plain: Row<'static>,
    copy_text: Row<'static>,
}

/// The cores this process may use.
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Parses each part, the parts spread over threads ([`on_threads`]).
fn parse_parts<'t>(parts: &[&'t [u8]], max_bytes: usize, format: Format, rule: &RowRule) -> Vec<Vec<Line<'t>>> {
    on_threads(
        "session-audit",
        parts,
        &|&part, _| parse_lines(part, max_bytes, format, rule),
        &mut || {},
    )
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
            rest.get(target..)
                .and_then(|after| memchr::memchr(b'\n', after))
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

#[cfg(test)]
mod tests {
    use super::super::audit_bytes;
    use super::*;

    const ROW: &str = r#"{"company_id":"c","agent_id":"a","session_id_after":"s","created_at":"2026-06-06T12:00:00Z"}"#;
    /// Valid both ways: as plain JSON the session is `x\ny` (a backslash); as COPY text, a
    /// line break.
    const AMBIGUOUS: &str =
        r#"{"company_id":"c","agent_id":"a","session_id_after":"x\\ny","created_at":"2026-06-06T12:00:00Z"}"#;
    /// Valid as plain JSON only (`\"`), and as COPY text only (`\\"`).
    const PLAIN_ONLY: &str =
        r#"{"company_id":"c","agent_id":"b","session_id_after":"p","created_at":"2026-06-06T12:00:00Z","e":"\""}"#;
    const COPY_ONLY: &str =
        r#"{"company_id":"c","agent_id":"b","session_id_after":"p","created_at":"2026-06-06T12:00:00Z","e":"\\""}"#;

    fn options(max_line_bytes: usize) -> AuditOptions {
        AuditOptions {
            max_line_bytes,
            ..AuditOptions::default()
        }
    }

    #[test]
    fn skips_a_line_over_the_cap_without_holding_it() {
        let mut auditor = Auditor::new(options(100));
        for _ in 0..1000 {
            auditor.push(&[b'x'; 64]);
            assert!(auditor.pending.len() <= 100);
        }
        auditor.push(format!("\n{ROW}\n").as_bytes());
        auditor.push(&[b'y'; 300]);
        let report = auditor.finish();
        assert_eq!((report.lines, report.rows_used, report.rows_skipped), (3, 1, 2));
        let reasons: Vec<_> = report.first_errors.iter().map(|e| (e.line, e.reason)).collect();
        assert_eq!(reasons, [(1, SkipReason::LineTooLong), (3, SkipReason::LineTooLong)]);
    }

    #[test]
    fn ids_holding_the_old_separator_stay_apart() {
        let row = |company: &str, agent: &str| {
            format!(r#"{{"company_id":"{company}","agent_id":"{agent}","session_id_after":"s","created_at":0}}"#)
        };
        let text = format!("{}\n{}\n", row(r"a\u001fb", "c"), row("a", r"b\u001fc"));
        let report = audit_bytes(text.as_bytes(), AuditOptions::default());
        let mut companies: Vec<_> = report
            .sessions
            .iter()
            .map(|s| (s.company_id.as_str(), s.agent_id.as_str()))
            .collect();
        companies.sort();
        assert_eq!(companies, [("a", "b\u{1f}c"), ("a\u{1f}b", "c")]);
        assert_eq!(report.companies.len(), 2);
    }

    #[test]
    fn many_threads_parse_the_same_lines_as_one() {
        let text: String = (0..40_000)
            .map(|i| {
                format!(
                    r#"{{"company_id":"c{}","agent_id":"a","session_id_after":"s{}","created_at":{i}}}"#,
                    i % 7,
                    i % 13
                ) + "\n"
            })
            .collect();
        let with = |threads| {
            let mut report = audit_bytes(
                text.as_bytes(),
                AuditOptions {
                    threads,
                    ..AuditOptions::default()
                },
            );
            report.elapsed_ms = 0.0;
            report
        };
        let one = with(1);
        assert_eq!(one.rows_used, 40_000);
        assert_eq!(with(64), one);
    }

    #[test]
    fn a_format_that_changes_inside_a_chunk_is_followed_line_by_line() {
        let (ambiguous, plain_only, copy_only) = (AMBIGUOUS, PLAIN_ONLY, COPY_ONLY);
        // The first push leaves the input in COPY text; the second chunk starts so, and changes.
        let mut auditor = Auditor::new(AuditOptions::default());
        auditor.push(format!("{copy_only}\n").as_bytes());
        auditor.push(format!("{ambiguous}\n{plain_only}\n{ambiguous}\n").as_bytes());
        let mut ids: Vec<_> = auditor.finish().sessions.into_iter().map(|s| s.session_id).collect();
        ids.sort();
        // Read as COPY text before the plain-only line (a line break), as plain JSON after.
        assert_eq!(ids, ["p", "x\ny", "x\\ny"]);
    }

    #[test]
    fn a_line_at_the_cap_is_read() {
        let report = audit_bytes(format!("{ROW}\n").as_bytes(), options(ROW.len()));
        assert_eq!((report.rows_used, report.rows_skipped), (1, 0));
        let report = audit_bytes(format!("{ROW}\n").as_bytes(), options(ROW.len() - 1));
        assert_eq!((report.rows_used, report.rows_skipped), (0, 1));
    }

    fn session_ids(text: &str) -> Vec<String> {
        audit_bytes(text.as_bytes(), AuditOptions::default())
            .sessions
            .into_iter()
            .map(|s| s.session_id)
            .collect()
    }

    #[test]
    fn reads_copy_text_and_plain_json_lines() {
        let plain = r#"{"company_id":"c","agent_id":"a","session_id_after":"s","created_at":"2026-06-06T12:00:00Z","error":"say \"hi\"\n"}"#;
        let copy = plain.replace('\\', r"\\");
        assert_eq!(session_ids(&format!("{plain}\n")), ["s"]);
        assert_eq!(session_ids(&format!("{copy}\n")), ["s"]);
    }

    #[test]
    fn a_line_valid_both_ways_is_read_as_the_last_line_that_was_not() {
        let (ambiguous, plain_only, copy_only) = (AMBIGUOUS, PLAIN_ONLY, COPY_ONLY);
        let mut ids = session_ids(&format!("{ambiguous}\n"));
        ids.sort();
        assert_eq!(ids, ["x\\ny"]);
        let mut ids = session_ids(&format!("{copy_only}\n{ambiguous}\n"));
        ids.sort();
        assert_eq!(ids, ["p", "x\ny"]);
        let mut ids = session_ids(&format!("{copy_only}\n{plain_only}\n{ambiguous}\n"));
        ids.sort();
        assert_eq!(ids, ["p", "x\\ny"]);
    }

    #[test]
    fn an_undecided_row_is_read_as_its_input_and_ordered_as_any_run_at_the_join() {
        // Four dead runs, the last at `T`, then at the very same `T` a line valid both ways:
        // plain JSON reads its liveness as `fail\u0065d` (alive), COPY text as `failed`. The input
        // is plain JSON, so one run at `T` is alive; at one time a live run goes before a dead
        // one, so the session ends on a streak of 1, whichever part holds which line (read as
        // COPY text, all five would be dead).
        let row = |at: i64, liveness: &str| {
            format!(
                r#"{{"company_id":"c","agent_id":"a","session_id_after":"s","created_at":{at},"liveness_state":"{liveness}","usage_json":{{"sessionReused":true,"persistedSessionId":"s","inputTokens":0}}}}"#
            )
        };
        let first_part = [row(1, "failed"), row(2, "failed"), row(3, "failed")].join("\n") + "\n";
        let later_part = [row(4, "failed"), row(4, r"fail\\u0065d")].join("\n") + "\n";
        let one_reader = crate::core::audit::audit_bytes(
            format!("{first_part}{later_part}").as_bytes(),
            AuditOptions {
                threads: 1,
                ..AuditOptions::default()
            },
        );
        let mut first = Auditor::new(AuditOptions {
            threads: 1,
            ..AuditOptions::default()
        });
        first.push(first_part.as_bytes());
        let mut later = first.for_part();
        later.push(later_part.as_bytes());
        assert_eq!(later.undecided.len(), 1, "the last line must wait for the join");
        first.absorb(later);
        let joined = first.finish();
        let streaks = |r: &AuditReport| {
            r.sessions
                .iter()
                .map(|s| (s.runs, s.dead_runs, s.longest_dead_streak, s.current_dead_streak))
                .collect::<Vec<_>>()
        };
        assert_eq!(streaks(&one_reader), vec![(5, 4, 3, 1)]);
        assert_eq!(streaks(&joined), streaks(&one_reader));
        assert_eq!(joined.what_if, one_reader.what_if);
    }

    #[test]
    fn runs_at_one_time_give_one_report_in_any_order_ordered_or_not() {
        // A live run, an unrecorded resume (dead only under the wider rule) and two dead runs,
        // all at T after three dead runs: every order of arrival, one report.
        let row = |at: i64, kind: &str| {
            let (before, usage) = match kind {
                "dead" => (
                    "s",
                    r#"{"sessionReused":true,"persistedSessionId":"s","inputTokens":0}"#,
                ),
                "unrecorded" => ("s", "null"),
                _ => ("s", r#"{"inputTokens":5}"#),
            };
            format!(
                r#"{{"company_id":"c","agent_id":"a","session_id_before":"{before}","session_id_after":"s","created_at":{at},"liveness_state":"failed","usage_json":{usage}}}"#
            )
        };
        let head: Vec<String> = (1..=3).map(|at| row(at, "dead")).collect();
        let tied = [row(9, "live"), row(9, "unrecorded"), row(9, "dead"), row(9, "dead")];
        let orders = [[0, 1, 2, 3], [3, 2, 1, 0], [2, 0, 3, 1], [1, 3, 0, 2]];
        let mut reports = Vec::new();
        for ordered in [false, true] {
            for order in orders {
                let lines: Vec<&str> = head
                    .iter()
                    .map(String::as_str)
                    .chain(order.iter().filter_map(|&i| tied.get(i).map(String::as_str)))
                    .collect();
                let report = audit_bytes(
                    format!("{}\n", lines.join("\n")).as_bytes(),
                    AuditOptions {
                        ordered,
                        ..AuditOptions::default()
                    },
                );
                let s = report
                    .sessions
                    .first()
                    .map(|s| (s.runs, s.dead_runs, s.longest_dead_streak, s.current_dead_streak));
                reports.push((
                    s,
                    report.what_if.clone(),
                    report.what_if_wider.clone(),
                    report.dead_streaks.clone(),
                ));
            }
        }
        // Live, then unrecorded, then the two dead: the session ends on a streak of 2.
        assert_eq!(reports.first().map(|r| r.0), Some(Some((7, 5, 3, 2))));
        assert!(
            reports.windows(2).all(|pair| pair.first() == pair.last()),
            "{reports:?}"
        );
    }
}

//! The streaming auditor: bytes in any chunking, whole lines parsed on every core, each row
//! filed under its session (kept to be sorted at the end, or folded at once when ordered).

use std::collections::HashMap;
use std::time::Instant;

use super::rows::{parse_lines, Parsed};
use super::summary::{summarize, AuditReport, Fold, RowError, SessionRuns, WhatIf, FIRST_ERRORS, WHAT_IF_THRESHOLDS};

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

/// A streaming audit: push NDJSON bytes in any chunking, then finish.
pub struct Auditor {
    options: AuditOptions,
    index: HashMap<Box<str>, usize>,
    sessions: Vec<SessionRuns>,
    pending: Vec<u8>,
    key: String,
    report: AuditReport,
    what_if: Vec<WhatIf>,
    started: Instant,
}

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
            started: Instant::now(),
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
        report.elapsed_ms = self.started.elapsed().as_secs_f64() * 1000.0;
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

//! The fleet audit: dead sessions in a `heartbeat_runs` history, one JSON row per line, with
//! the breaker's own definition of a dead run, and what each threshold from 1 to 10 would have
//! saved. Rows may come in any order; each session's runs are ordered by `created_at`.
//!
//! A line is plain JSON or PostgreSQL's COPY text around JSON; no option says which. A line
//! that parses one way only is read that way. A line that parses both ways, to different rows
//! (rare: it needs a backslash in an audited field), is read as the last line that parsed one
//! way only was, plain JSON before any.
//!
//! [`input`] brings the bytes (a file, in parts or in chunks; standard input; bytes in memory),
//! [`line`](mod@line) turns each line into a row, [`auditor`] files each row under its session, and
//! [`summary`] turns the sessions into the report. They depend one way: `line` ← `summary` ←
//! `auditor` ← `input`.

mod auditor;
mod input;
mod line;
mod summary;
#[cfg(test)]
mod test_support;
mod threads;

#[cfg(feature = "model")]
pub use line::cross_check::check_against_serde;
pub use line::surrogates;

pub use auditor::{AuditOptions, Auditor, DEFAULT_MAX_LINE_BYTES};
pub use input::{audit_source, audit_watched_bytes, Progress, PushedInput, ReadError, Source, Watch};
pub use line::skip::SkipReason;
pub use summary::{
    AgentReport, AuditReport, CompanyReport, DayReport, RowError, RuleReport, SessionReport, StreakLength, Totals,
    WhatIf, WHAT_IF_THRESHOLDS,
};

/// Audits a whole history held in memory.
pub fn audit_bytes(bytes: &[u8], options: AuditOptions) -> AuditReport {
    let mut auditor = Auditor::new(options);
    auditor.push(bytes);
    auditor.finish()
}

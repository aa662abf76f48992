//! The fleet audit: dead sessions in a `heartbeat_runs` history, one JSON row per line, with
//! the breaker's own definition of a dead run, and what each threshold from 1 to 10 would have
//! saved. Rows may come in any order; each session's runs are ordered by `created_at`.
//!
//! [`rows`] reads the lines, [`auditor`] files each row under its session, [`summary`] turns
//! the sessions into the report.

mod auditor;
mod rows;
mod summary;

pub use auditor::{AuditOptions, Auditor};
pub use summary::{
    AgentReport, AuditReport, CompanyReport, RowError, SessionReport, Totals, WhatIf, WHAT_IF_THRESHOLDS,
};

/// Audits a whole history held in memory.
pub fn audit_bytes(bytes: &[u8], options: AuditOptions) -> AuditReport {
    let mut auditor = Auditor::new(options);
    auditor.push(bytes);
    auditor.finish()
}

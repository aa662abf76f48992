//! The audit's report: each session's streaks, totals per agent and company, and what each
//! breaker threshold would have done. It serializes (camelCase) as the JavaScript report.

use std::collections::BTreeMap;

use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};

/// The breaker thresholds the what-if table covers.
pub const WHAT_IF_THRESHOLDS: usize = 10;
/// Dead runs in a row after which the breaker rotates: the breaker's own default threshold.
const DEAD_NOW_STREAK: u64 = crate::core::breaker::DEAD_REUSED_SESSION_FAILURE_THRESHOLD as u64;
/// How many skipped rows the report describes one by one.
pub(super) const FIRST_ERRORS: usize = 10;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionReport {
    pub company_id: String,
    pub agent_id: String,
    pub session_id: String,
    #[serde(serialize_with = "as_number")]
    pub runs: u64,
    #[serde(serialize_with = "as_number")]
    pub dead_runs: u64,
    #[serde(serialize_with = "as_number")]
    pub longest_dead_streak: u64,
    #[serde(serialize_with = "as_number")]
    pub current_dead_streak: u64,
    pub dead_now: bool,
    pub first_run_at: f64,
    pub last_run_at: f64,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Totals {
    #[serde(serialize_with = "as_number")]
    pub sessions: u64,
    #[serde(serialize_with = "as_number")]
    pub runs: u64,
    #[serde(serialize_with = "as_number")]
    pub dead_runs: u64,
    /// Sessions that ever had a dead streak of at least 3.
    #[serde(serialize_with = "as_number")]
    pub sessions_with_dead_streak: u64,
    /// Sessions whose latest runs are a dead streak of at least 3.
    #[serde(serialize_with = "as_number")]
    pub sessions_dead_now: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentReport {
    pub company_id: String,
    pub agent_id: String,
    pub totals: Totals,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CompanyReport {
    pub company_id: String,
    #[serde(serialize_with = "as_number")]
    pub agents: u64,
    pub totals: Totals,
}

/// What a breaker threshold would have done over this history.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WhatIf {
    #[serde(serialize_with = "as_number")]
    pub threshold: u64,
    /// Rotations it would have triggered: one per dead streak at least this long.
    #[serde(serialize_with = "as_number")]
    pub rotations: u64,
    /// Dead runs it would have saved: those of each such streak past the threshold.
    #[serde(serialize_with = "as_number")]
    pub dead_runs_saved: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RowError {
    #[serde(serialize_with = "as_number")]
    pub line: u64,
    pub reason: &'static str,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReport {
    #[serde(serialize_with = "as_number")]
    pub bytes_read: u64,
    #[serde(serialize_with = "as_number")]
    pub lines: u64,
    #[serde(serialize_with = "as_number")]
    pub rows_used: u64,
    /// Valid rows outside `company_id`/`since`.
    #[serde(serialize_with = "as_number")]
    pub rows_filtered: u64,
    /// Valid rows without a persisted session (`session_id_after` null or blank).
    #[serde(serialize_with = "as_number")]
    pub rows_without_session: u64,
    #[serde(serialize_with = "as_number")]
    pub rows_skipped: u64,
    #[serde(serialize_with = "reasons")]
    pub skipped_by_reason: BTreeMap<&'static str, u64>,
    pub first_errors: Vec<RowError>,
    pub totals: Totals,
    pub companies: Vec<CompanyReport>,
    pub agents: Vec<AgentReport>,
    pub sessions: Vec<SessionReport>,
    pub what_if: Vec<WhatIf>,
    /// How long the audit took, from its start to its report.
    pub elapsed_ms: f64,
}

/// One session: its key, and its runs, either kept as (created_at << 1 | dead) in arrival order
/// to be sorted at the end, or (ordered input) already folded.
pub(super) struct SessionRuns {
    pub(super) company_id: Box<str>,
    pub(super) agent_id: Box<str>,
    pub(super) session_id: Box<str>,
    pub(super) runs: Vec<i64>,
    pub(super) fold: Fold,
}

/// A session's streaks, folded run by run in time order.
#[derive(Default)]
pub(super) struct Fold {
    runs: u64,
    dead_runs: u64,
    longest: u64,
    current: u64,
    first: Option<i64>,
    pub(super) last: Option<i64>,
}

impl Fold {
    pub(super) fn push(&mut self, at: i64, dead: bool, what_if: &mut [WhatIf]) {
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
pub(super) fn close_streak(length: u64, what_if: &mut [WhatIf]) {
    for w in what_if.iter_mut().filter(|w| length >= w.threshold) {
        w.rotations += 1;
        w.dead_runs_saved += length - w.threshold;
    }
}

/// Orders each session's runs by time and computes streaks, totals and the what-if table.
pub(super) fn summarize(sessions: &mut [SessionRuns], mut what_if: Vec<WhatIf>, report: &mut AuditReport) {
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
        c.totals += totals;
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

impl std::ops::AddAssign<&Totals> for Totals {
    fn add_assign(&mut self, other: &Totals) {
        self.sessions += other.sessions;
        self.runs += other.runs;
        self.dead_runs += other.dead_runs;
        self.sessions_with_dead_streak += other.sessions_with_dead_streak;
        self.sessions_dead_now += other.sessions_dead_now;
    }
}

fn add(totals: &mut Totals, s: &SessionReport) {
    totals.sessions += 1;
    totals.runs += s.runs;
    totals.dead_runs += s.dead_runs;
    totals.sessions_with_dead_streak += u64::from(s.longest_dead_streak >= DEAD_NOW_STREAK);
    totals.sessions_dead_now += u64::from(s.dead_now);
}

/// Counts go to JavaScript as numbers (a `u64` past 2^32 would become a BigInt).
fn as_number<S: Serializer>(n: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(*n as f64)
}

/// The skipped rows by reason, as `[{ reason, rows }]` in the reasons' order.
fn reasons<S: Serializer>(by_reason: &BTreeMap<&'static str, u64>, s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Reason<'a> {
        reason: &'a str,
        rows: f64,
    }
    let mut seq = s.serialize_seq(Some(by_reason.len()))?;
    for (reason, rows) in by_reason {
        seq.serialize_element(&Reason {
            reason,
            rows: *rows as f64,
        })?;
    }
    seq.end()
}

//! The audit's report: each session's streaks, totals per agent and company, and what each
//! breaker threshold would have done. It serializes (camelCase) as the JavaScript report.

use std::collections::BTreeMap;

use serde::ser::SerializeSeq;
use serde::{Serialize, Serializer};

use hashbrown::{Equivalent, HashMap};

use super::line::rotation::RotationKind;
use super::line::row::RunKind;
use super::line::skip::SkipReason;
use super::line::surrogates::unmarked_units;
use crate::core::breaker::DeadRunRule;
use crate::core::js_semantics::dates::MS_PER_DAY;
use crate::core::js_semantics::{iso_date, iso_date_time};

/// Rotations, by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RotationCounts {
    #[serde(serialize_with = "as_number")]
    pub fork_breaker: u64,
    #[serde(serialize_with = "as_number")]
    pub wider_breaker: u64,
    #[serde(serialize_with = "as_number")]
    pub run_limit: u64,
    #[serde(serialize_with = "as_number")]
    pub raw_input: u64,
    #[serde(serialize_with = "as_number")]
    pub session_age: u64,
    #[serde(serialize_with = "as_number")]
    pub other: u64,
}

impl RotationCounts {
    pub fn count(&mut self, kind: RotationKind) {
        let slot = match kind {
            RotationKind::ForkBreaker => &mut self.fork_breaker,
            RotationKind::WiderBreaker => &mut self.wider_breaker,
            RotationKind::RunLimit => &mut self.run_limit,
            RotationKind::RawInput => &mut self.raw_input,
            RotationKind::SessionAge => &mut self.session_age,
            RotationKind::Other => &mut self.other,
        };
        *slot += 1;
    }

    pub fn add(&mut self, other: &RotationCounts) {
        self.fork_breaker += other.fork_breaker;
        self.wider_breaker += other.wider_breaker;
        self.run_limit += other.run_limit;
        self.raw_input += other.raw_input;
        self.session_age += other.session_age;
        self.other += other.other;
    }
}

/// A rotation a run recorded: the session it rotated (within the run's company and agent), when
/// (the run's time), and why.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RotationRecord {
    pub(crate) company_id: Box<str>,
    pub(crate) agent_id: Box<str>,
    pub(crate) session_id: Box<str>,
    pub(crate) at: i64,
    pub(crate) kind: RotationKind,
}

/// The latest rotation of a session, as its report shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionRotation {
    /// ISO 8601 (`toISOString`), and epoch milliseconds: the time of the run it started.
    pub at: String,
    pub at_ms: f64,
    pub kind: RotationKind,
}

/// What `deadNow` was decided by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadNowAuthority {
    /// The history records no rotation: a session is dead now by its last runs alone.
    #[default]
    None,
    /// The history records rotations: a session rotated after its last run is not dead now.
    RotationRecords,
    /// The database's live pointers: a session is dead now only while the server points at it.
    LivePointers,
}

/// The sessions a server would resume: those its live pointers (`agent_runtime_state`,
/// `agent_task_sessions`) name.
pub type LiveSessions = hashbrown::HashSet<SessionKey>;

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
    /// Failed runs that resumed the session and left no usage record: the breaker cannot see them.
    #[serde(serialize_with = "as_number")]
    pub unseen_failed_runs: u64,
    #[serde(serialize_with = "as_number")]
    pub longest_dead_streak: u64,
    #[serde(serialize_with = "as_number")]
    pub current_dead_streak: u64,
    /// Its latest runs are a dead streak of at least 3, and no rotation after its last run says
    /// it will not be resumed: the breaker would rotate it now.
    pub dead_now: bool,
    /// The latest rotation of the session recorded at or after its last run, or null.
    pub rotation: Option<SessionRotation>,
    /// ISO 8601 (`toISOString`).
    pub first_run_at: String,
    pub last_run_at: String,
    /// The same times in epoch milliseconds.
    pub first_run_at_ms: f64,
    pub last_run_at_ms: f64,
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
    /// Failed runs that resumed their session with no usage record (see [`SessionReport`]).
    #[serde(serialize_with = "as_number")]
    pub unseen_failed_runs: u64,
    /// Sessions that ever had a dead streak of at least 3.
    #[serde(serialize_with = "as_number")]
    pub sessions_with_dead_streak: u64,
    /// Sessions whose latest runs are a dead streak of at least 3, not rotated since.
    #[serde(serialize_with = "as_number")]
    pub sessions_dead_now: u64,
    /// Sessions whose latest runs are a dead streak of at least 3 that were rotated after it.
    #[serde(serialize_with = "as_number")]
    pub sessions_rotated_dead: u64,
    /// The rotations the history records, by kind.
    pub rotations: RotationCounts,
    /// The dead runs each session the breaker rotated burned before it (its last streak),
    /// summed: what the threshold cost, measured.
    #[serde(serialize_with = "as_number")]
    pub dead_runs_before_breaker_rotations: u64,
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
    /// Of those rotations, the ones on a streak that a later run of the session ended on its
    /// own: the session came back, and rotating threw its context away.
    #[serde(serialize_with = "as_number")]
    pub recovered: u64,
}

/// One UTC day with runs.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DayReport {
    /// `YYYY-MM-DD`.
    pub day: String,
    #[serde(serialize_with = "as_number")]
    pub runs: u64,
    #[serde(serialize_with = "as_number")]
    pub dead_runs: u64,
    /// The rotations recorded by runs of this day, by kind.
    pub rotations: RotationCounts,
}

/// How many maximal dead streaks had this length.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StreakLength {
    #[serde(serialize_with = "as_number")]
    pub length: u64,
    #[serde(serialize_with = "as_number")]
    pub streaks: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RowError {
    #[serde(serialize_with = "as_number")]
    pub line: u64,
    pub reason: SkipReason,
    /// The reason's code ([`SkipReason::code`]), for programs.
    pub code: &'static str,
    pub detail: String,
}

/// The dead-run rule an audit counted by, as its options gave it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleReport {
    pub dead_liveness_states: Vec<String>,
    pub count_unrecorded_resumes: bool,
}

impl From<&DeadRunRule> for RuleReport {
    fn from(rule: &DeadRunRule) -> Self {
        RuleReport {
            dead_liveness_states: rule
                .liveness_states
                .iter()
                .map(|state| String::from_utf16_lossy(state))
                .collect(),
            count_unrecorded_resumes: rule.count_unrecorded_resumes,
        }
    }
}

impl Default for RuleReport {
    fn default() -> Self {
        RuleReport::from(&DeadRunRule::default())
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditReport {
    /// Which runs this audit counted as dead.
    pub dead_run_rule: RuleReport,
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
    pub skipped_by_reason: BTreeMap<SkipReason, u64>,
    pub first_errors: Vec<RowError>,
    pub totals: Totals,
    pub companies: Vec<CompanyReport>,
    pub agents: Vec<AgentReport>,
    pub sessions: Vec<SessionReport>,
    /// Sessions the report leaves out (`topSessions`): 0 when it holds every session.
    #[serde(serialize_with = "as_number")]
    pub sessions_omitted: u64,
    /// The newest run's time among the audited sessions (epoch milliseconds), or null.
    pub newest_run_at_ms: Option<f64>,
    pub what_if: Vec<WhatIf>,
    /// The what-if table for a wider rule that also counts unseen failed runs as dead.
    pub what_if_wider: Vec<WhatIf>,
    /// Every maximal dead streak, counted once, by length (ascending).
    pub dead_streaks: Vec<StreakLength>,
    /// Each UTC day with runs, ascending.
    pub days: Vec<DayReport>,
    /// What decided `deadNow`: the rotations the history records, or none (a history that
    /// records none: the dead streak alone).
    pub dead_now_authority: DeadNowAuthority,
    /// How long the audit took, from its start to its report.
    pub elapsed_ms: f64,
}

impl AuditReport {
    /// Adds the counts of a later part of the same input, whose lines come after this one's
    /// `offset` lines; the first errors stay the earliest.
    pub(super) fn add_counts(&mut self, later: AuditReport, offset: u64) {
        self.bytes_read += later.bytes_read;
        self.lines += later.lines;
        self.rows_used += later.rows_used;
        self.rows_filtered += later.rows_filtered;
        self.rows_without_session += later.rows_without_session;
        self.rows_skipped += later.rows_skipped;
        for (reason, count) in later.skipped_by_reason {
            *self.skipped_by_reason.entry(reason).or_insert(0) += count;
        }
        self.first_errors
            .extend(later.first_errors.into_iter().map(|error| RowError {
                line: offset + error.line,
                ..error
            }));
        self.first_errors.sort_by_key(|error| error.line);
        self.first_errors.truncate(FIRST_ERRORS);
    }
}

/// What the history adds up to across sessions: the two what-if tables, the streak lengths,
/// the days.
pub(super) struct HistoryTables {
    what_if: Vec<WhatIf>,
    what_if_wider: Vec<WhatIf>,
    streak_lengths: BTreeMap<u64, u64>,
    /// Runs per UTC day, by the day's number since the epoch.
    days: BTreeMap<i64, DayCount>,
    /// Every rotation a run recorded, in the order read.
    rotations: Vec<RotationRecord>,
}

impl HistoryTables {
    pub(super) fn new() -> HistoryTables {
        let table = || {
            (1..=WHAT_IF_THRESHOLDS as u64)
                .map(|threshold| WhatIf {
                    threshold,
                    ..WhatIf::default()
                })
                .collect()
        };
        HistoryTables {
            what_if: table(),
            what_if_wider: table(),
            streak_lengths: BTreeMap::new(),
            days: BTreeMap::new(),
            rotations: Vec::new(),
        }
    }

    /// Adds the counts of a later part of the same input, read into tables of its own. Only the
    /// days are counted while rows are read unordered; the rest is filled by [`summarize`].
    pub(super) fn absorb(&mut self, later: HistoryTables) {
        for (day, count) in later.days {
            let mine = self.days.entry(day).or_default();
            mine.runs += count.runs;
            mine.dead_runs += count.dead_runs;
        }
        self.rotations.extend(later.rotations);
    }

    /// A rotation a run recorded: `session_id` of the run's company and agent, rotated at `at`.
    pub(super) fn record_rotation(
        &mut self,
        company_id: &str,
        agent_id: &str,
        session_id: &str,
        at: i64,
        kind: RotationKind,
    ) {
        self.rotations.push(RotationRecord {
            company_id: company_id.into(),
            agent_id: agent_id.into(),
            session_id: session_id.into(),
            at,
            kind,
        });
    }

    /// Counts a run on its UTC day.
    pub(super) fn count_day(&mut self, at: i64, kind: RunKind) {
        let day = self.days.entry(at.div_euclid(MS_PER_DAY)).or_default();
        day.runs += 1;
        day.dead_runs += u64::from(kind.dead);
    }
}

/// One UTC day's runs, the dead ones among them, and the rotations recorded on it.
#[derive(Debug, Clone, Copy, Default)]
struct DayCount {
    runs: u64,
    dead_runs: u64,
    rotations: RotationCounts,
}

/// A session: the three ids as they are, so no id can run into the next (`("a\u{1f}b", "c")` and
/// `("a", "b\u{1f}c")` are two keys).
#[derive(Debug, PartialEq, Eq)]
pub(super) struct SessionKey {
    /// The three ids one after another, in one allocation (a fleet may hold a session for every
    /// few runs): company `..company_end`, agent `company_end..agent_end`, session the rest.
    ids: Box<str>,
    company_end: usize,
    agent_end: usize,
}

impl SessionKey {
    pub(super) fn new(company_id: &str, agent_id: &str, session_id: &str) -> SessionKey {
        let mut ids = String::with_capacity(company_id.len() + agent_id.len() + session_id.len());
        ids.push_str(company_id);
        ids.push_str(agent_id);
        ids.push_str(session_id);
        SessionKey {
            ids: ids.into_boxed_str(),
            company_end: company_id.len(),
            agent_end: company_id.len() + agent_id.len(),
        }
    }

    pub(super) fn company_id(&self) -> &str {
        self.ids.get(..self.company_end).unwrap_or_default()
    }

    pub(super) fn agent_id(&self) -> &str {
        self.ids.get(self.company_end..self.agent_end).unwrap_or_default()
    }

    pub(super) fn session_id(&self) -> &str {
        self.ids.get(self.agent_end..).unwrap_or_default()
    }
}

// Hashes the three ids as `SessionKeyRef`'s derived `Hash` does, so they hash alike.
impl std::hash::Hash for SessionKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.company_id().hash(state);
        self.agent_id().hash(state);
        self.session_id().hash(state);
    }
}

/// A [`SessionKey`] borrowed from a row, to look one up without copying the ids.
#[derive(Hash)]
pub(super) struct SessionKeyRef<'r> {
    pub(super) company_id: &'r str,
    pub(super) agent_id: &'r str,
    pub(super) session_id: &'r str,
}

impl From<&SessionKeyRef<'_>> for SessionKey {
    fn from(key: &SessionKeyRef<'_>) -> SessionKey {
        SessionKey::new(key.company_id, key.agent_id, key.session_id)
    }
}

// Both derive `Hash` over the same three `str`s in the same order, so they hash alike.
impl Equivalent<SessionKey> for SessionKeyRef<'_> {
    fn equivalent(&self, key: &SessionKey) -> bool {
        (self.company_id, self.agent_id, self.session_id) == (key.company_id(), key.agent_id(), key.session_id())
    }
}

/// The runs kept for one session: inline up to a handful (no allocation for a short session:
/// a fleet keeps a session per task), on the heap past that.
pub(super) type KeptRuns = smallvec::SmallVec<[i64; 8]>;

/// One session's runs, in the audit's mode.
pub(super) enum SessionRuns {
    /// Unordered input: each run packed ([`RunKind::pack`]) in arrival order, sorted at the end.
    Kept(KeptRuns),
    /// Ordered input: each run folded into the streaks as it comes.
    Folded(Fold),
}

impl SessionRuns {
    /// A session's runs for an audit that is `ordered` or not.
    pub(super) fn new(ordered: bool) -> SessionRuns {
        if ordered {
            SessionRuns::Folded(Fold::default())
        } else {
            SessionRuns::Kept(KeptRuns::new())
        }
    }

    /// The kept runs; none for a folded session, which keeps none.
    pub(super) fn kept_mut(&mut self) -> Option<&mut KeptRuns> {
        match self {
            SessionRuns::Kept(runs) => Some(runs),
            SessionRuns::Folded(_) => None,
        }
    }

    /// The runs as one fold, the kept ones sorted by time, then tie rank
    /// ([`RunKind::tie_rank`]): whatever order they came in, the same fold.
    fn into_fold(self, tables: &mut HistoryTables) -> Fold {
        match self {
            SessionRuns::Folded(fold) => fold,
            SessionRuns::Kept(mut runs) => {
                runs.sort_unstable();
                let mut fold = Fold::default();
                for packed in runs {
                    let (at, kind) = RunKind::unpack(packed);
                    fold.push(at, kind, tables);
                }
                fold
            }
        }
    }
}

/// A session's streaks, folded run by run in time order; runs at one time are folded by tie
/// rank ([`RunKind::tie_rank`]), in whatever order they came.
#[derive(Default)]
pub(super) struct Fold {
    /// How many runs of each tie rank came at the time of the last run, not yet folded.
    tied: [u64; 3],
    runs: u64,
    dead_runs: u64,
    unseen_failed_runs: u64,
    longest: u64,
    current: u64,
    /// The current streak under the wider rule.
    current_wider: u64,
    first: Option<i64>,
    pub(super) last: Option<i64>,
}

impl Fold {
    /// A run of the session, at `at` (never before the last run pushed).
    pub(super) fn push(&mut self, at: i64, kind: RunKind, tables: &mut HistoryTables) {
        if self.last != Some(at) {
            self.fold_tied(tables);
        }
        self.first.get_or_insert(at);
        self.last = Some(at);
        if let Some(count) = self.tied.get_mut(kind.tie_rank()) {
            *count += 1;
        }
    }

    /// Folds the runs held at the last time, live ones first, dead ones last.
    fn fold_tied(&mut self, tables: &mut HistoryTables) {
        let tied = std::mem::take(&mut self.tied);
        for (rank, &count) in tied.iter().enumerate() {
            for _ in 0..count {
                self.fold(RunKind::of_tie_rank(rank), tables);
            }
        }
    }

    fn fold(&mut self, kind: RunKind, tables: &mut HistoryTables) {
        self.runs += 1;
        if kind.dead {
            self.dead_runs += 1;
            self.current += 1;
            self.longest = self.longest.max(self.current);
        } else {
            // A later run ended the streak: the session came back on its own.
            close_streak(
                self.current,
                Ended::ByALiveRun,
                &mut tables.what_if,
                Some(&mut tables.streak_lengths),
            );
            self.current = 0;
        }
        self.unseen_failed_runs += u64::from(kind.unseen_failed);
        if kind.dead_widely() {
            self.current_wider += 1;
        } else {
            close_streak(self.current_wider, Ended::ByALiveRun, &mut tables.what_if_wider, None);
            self.current_wider = 0;
        }
    }

    /// The session's history ends: its last streaks close with it.
    fn end(&mut self, tables: &mut HistoryTables) {
        self.fold_tied(tables);
        close_streak(
            self.current,
            Ended::WithTheHistory,
            &mut tables.what_if,
            Some(&mut tables.streak_lengths),
        );
        close_streak(
            self.current_wider,
            Ended::WithTheHistory,
            &mut tables.what_if_wider,
            None,
        );
    }
}

/// How a dead streak ended.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ended {
    /// A live run of the same session followed it.
    ByALiveRun,
    /// The history ends on it.
    WithTheHistory,
}

/// A dead streak of `length` ends: each threshold it reaches rotates once and saves the rest;
/// a rotation on a streak a live run ended is one the session would have recovered from.
fn close_streak(length: u64, ended: Ended, what_if: &mut [WhatIf], lengths: Option<&mut BTreeMap<u64, u64>>) {
    if length == 0 {
        return;
    }
    if let Some(lengths) = lengths {
        *lengths.entry(length).or_insert(0) += 1;
    }
    for w in what_if.iter_mut().filter(|w| length >= w.threshold) {
        w.rotations += 1;
        w.dead_runs_saved += length - w.threshold;
        w.recovered += u64::from(ended == Ended::ByALiveRun);
    }
}

fn iso(ms: Option<i64>) -> String {
    ms.and_then(|t| iso_date_time(t as f64)).unwrap_or_default()
}

/// A session's figures, before (and unless) its report is written out: its key, its fold's
/// numbers and its latest rotation since its last run.
struct SessionFigures {
    key: SessionKey,
    runs: u64,
    dead_runs: u64,
    unseen_failed_runs: u64,
    longest: u64,
    current: u64,
    first: Option<i64>,
    last: Option<i64>,
    rotation: Option<(i64, RotationKind)>,
    /// From a database's live pointers: whether the server still points at the session.
    pointed: Option<bool>,
}

impl SessionFigures {
    /// A dead streak at its end, and the server would still resume it: by the live pointers
    /// when there are any, else by no rotation since.
    fn dead_now(&self) -> bool {
        self.current >= DEAD_NOW_STREAK && self.pointed.unwrap_or(self.rotation.is_none())
    }

    fn ids(&self) -> (JsOrdered<'_>, JsOrdered<'_>, JsOrdered<'_>) {
        (
            JsOrdered(self.key.company_id()),
            JsOrdered(self.key.agent_id()),
            JsOrdered(self.key.session_id()),
        )
    }

    /// The session's report: its ids and times written out.
    fn report(&self) -> SessionReport {
        SessionReport {
            company_id: self.key.company_id().to_string(),
            agent_id: self.key.agent_id().to_string(),
            session_id: self.key.session_id().to_string(),
            runs: self.runs,
            dead_runs: self.dead_runs,
            unseen_failed_runs: self.unseen_failed_runs,
            longest_dead_streak: self.longest,
            current_dead_streak: self.current,
            dead_now: self.dead_now(),
            rotation: self.rotation.map(|(at, kind)| SessionRotation {
                at: iso(Some(at)),
                at_ms: at as f64,
                kind,
            }),
            first_run_at: iso(self.first),
            last_run_at: iso(self.last),
            first_run_at_ms: self.first.map_or(f64::NAN, |t| t as f64),
            last_run_at_ms: self.last.map_or(f64::NAN, |t| t as f64),
        }
    }
}

/// Orders each session's runs by time and computes streaks, totals and the tables. The report
/// holds every session, or with `top_sessions` at most that many of the sessions dead now (the
/// longest current streaks) and that many of the longest streaks: only those are written out.
pub(super) fn summarize(
    sessions: HashMap<SessionKey, SessionRuns>,
    mut tables: HistoryTables,
    report: &mut AuditReport,
    top_sessions: Option<usize>,
    live_sessions: Option<&LiveSessions>,
) {
    let rotations = std::mem::take(&mut tables.rotations);
    let latest = latest_rotations(&rotations);
    let mut figures = Vec::with_capacity(sessions.len());
    for (key, runs) in sessions {
        let mut fold = runs.into_fold(&mut tables);
        fold.end(&mut tables);
        // Rotated at or after its last run: the server will not resume it.
        let rotation = latest
            .get(&key)
            .copied()
            .filter(|(at, _)| fold.last.is_some_and(|last| *at >= last));
        let f = SessionFigures {
            runs: fold.runs,
            dead_runs: fold.dead_runs,
            unseen_failed_runs: fold.unseen_failed_runs,
            longest: fold.longest,
            current: fold.current,
            first: fold.first,
            last: fold.last,
            rotation,
            pointed: live_sessions.map(|live| live.contains(&key)),
            key,
        };
        add(&mut report.totals, &f);
        figures.push(f);
    }
    report.newest_run_at_ms = figures.iter().filter_map(|f| f.last).max().map(|t| t as f64);
    let mut agents: BTreeMap<(JsOrdered, JsOrdered), Totals> = BTreeMap::new();
    for f in &figures {
        let totals = agents
            .entry((JsOrdered(f.key.company_id()), JsOrdered(f.key.agent_id())))
            .or_default();
        add(totals, f);
    }
    // Every rotation counts for its run's agent and company and day, whether or not the
    // rotated session's runs are in this report.
    for rotation in &rotations {
        report.totals.rotations.count(rotation.kind);
        agents
            .entry((JsOrdered(&rotation.company_id), JsOrdered(&rotation.agent_id)))
            .or_default()
            .rotations
            .count(rotation.kind);
        tables
            .days
            .entry(rotation.at.div_euclid(MS_PER_DAY))
            .or_default()
            .rotations
            .count(rotation.kind);
    }
    report.dead_now_authority = if live_sessions.is_some() {
        DeadNowAuthority::LivePointers
    } else if rotations.is_empty() {
        DeadNowAuthority::None
    } else {
        DeadNowAuthority::RotationRecords
    };
    let mut companies: BTreeMap<JsOrdered, CompanyReport> = BTreeMap::new();
    for ((company, _), totals) in &agents {
        let c = companies.entry(*company).or_insert_with(|| CompanyReport {
            company_id: company.0.to_string(),
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
            company_id: company.0.to_string(),
            agent_id: agent.0.to_string(),
            totals,
        })
        .collect();
    let mut shown = match top_sessions {
        Some(top) => top_of(&figures, top),
        None => figures.iter().collect(),
    };
    report.sessions_omitted = (figures.len() - shown.len()) as u64;
    shown.sort_by(|a, b| a.ids().cmp(&b.ids()));
    report.sessions = shown.into_iter().map(SessionFigures::report).collect();
    report.what_if = tables.what_if;
    report.what_if_wider = tables.what_if_wider;
    report.dead_streaks = tables
        .streak_lengths
        .into_iter()
        .map(|(length, streaks)| StreakLength { length, streaks })
        .collect();
    report.days = tables
        .days
        .into_iter()
        .map(
            |(
                day,
                DayCount {
                    runs,
                    dead_runs,
                    rotations,
                },
            )| DayReport {
                day: iso_date((day * MS_PER_DAY) as f64).unwrap_or_default(),
                runs,
                dead_runs,
                rotations,
            },
        )
        .collect();
}

/// At most `top` of the sessions dead now, the longest current streaks first, and at most `top`
/// of the sessions with the longest dead streaks (ties by ids, in JavaScript's order): what a
/// report for people shows. Each session at most once.
fn top_of(figures: &[SessionFigures], top: usize) -> Vec<&SessionFigures> {
    let ranked = |key: fn(&SessionFigures) -> u64, only: fn(&SessionFigures) -> bool| {
        let mut list: Vec<(usize, &SessionFigures)> = figures
            .iter()
            .enumerate()
            .filter(|(_, f)| only(f) && key(f) > 0)
            .collect();
        let by = |(_, a): &(usize, &SessionFigures), (_, b): &(usize, &SessionFigures)| {
            key(b).cmp(&key(a)).then_with(|| a.ids().cmp(&b.ids()))
        };
        if list.len() > top {
            list.select_nth_unstable_by(top, by);
            list.truncate(top);
        }
        list
    };
    // Marked by index, so a --top as large as the fleet stays linear.
    let mut chosen = vec![false; figures.len()];
    let dead_now = ranked(|f| f.current, SessionFigures::dead_now);
    for (i, _) in dead_now.into_iter().chain(ranked(|f| f.longest, |_| true)) {
        if let Some(slot) = chosen.get_mut(i) {
            *slot = true;
        }
    }
    figures
        .iter()
        .zip(chosen)
        .filter_map(|(f, shown)| shown.then_some(f))
        .collect()
}

/// Each rotated session's latest rotation: its time and kind (at one time, the kind listed
/// last in [`RotationKind`]'s order wins, whatever order the rows came in).
fn latest_rotations(rotations: &[RotationRecord]) -> HashMap<SessionKey, (i64, RotationKind)> {
    let mut latest: HashMap<SessionKey, (i64, RotationKind)> = HashMap::new();
    for rotation in rotations {
        let key = SessionKeyRef {
            company_id: &rotation.company_id,
            agent_id: &rotation.agent_id,
            session_id: &rotation.session_id,
        };
        let found = latest.entry_ref(&key).or_insert((rotation.at, rotation.kind));
        if (rotation.at, rotation.kind as u8) > (found.0, found.1 as u8) {
            *found = (rotation.at, rotation.kind);
        }
    }
    latest
}

/// An id ordered as JavaScript orders strings (by UTF-16 code units, lone surrogates included),
/// which is not UTF-8's byte order once characters past U+FFFF meet those past U+E000.
#[derive(Clone, Copy, PartialEq, Eq)]
struct JsOrdered<'a>(&'a str);

impl Ord for JsOrdered<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if self.0.is_ascii() && other.0.is_ascii() {
            return self.0.cmp(other.0);
        }
        unmarked_units(self.0).cmp(unmarked_units(other.0))
    }
}

impl PartialOrd for JsOrdered<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::ops::AddAssign<&Totals> for Totals {
    fn add_assign(&mut self, other: &Totals) {
        self.sessions += other.sessions;
        self.runs += other.runs;
        self.dead_runs += other.dead_runs;
        self.unseen_failed_runs += other.unseen_failed_runs;
        self.sessions_with_dead_streak += other.sessions_with_dead_streak;
        self.sessions_dead_now += other.sessions_dead_now;
        self.sessions_rotated_dead += other.sessions_rotated_dead;
        self.rotations.add(&other.rotations);
        self.dead_runs_before_breaker_rotations += other.dead_runs_before_breaker_rotations;
    }
}

fn add(totals: &mut Totals, s: &SessionFigures) {
    totals.sessions += 1;
    totals.runs += s.runs;
    totals.dead_runs += s.dead_runs;
    totals.unseen_failed_runs += s.unseen_failed_runs;
    totals.sessions_with_dead_streak += u64::from(s.longest >= DEAD_NOW_STREAK);
    totals.sessions_dead_now += u64::from(s.dead_now());
    if let Some((_, kind)) = s.rotation {
        totals.sessions_rotated_dead += u64::from(s.current >= DEAD_NOW_STREAK);
        if kind.by_breaker() {
            totals.dead_runs_before_breaker_rotations += s.current;
        }
    }
}

/// Counts go to JavaScript as numbers (a `u64` past 2^32 would become a BigInt).
fn as_number<S: Serializer>(n: &u64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_f64(*n as f64)
}

/// The skipped rows by reason, as `[{ reason, code, rows }]` in the order of the reasons' words.
fn reasons<S: Serializer>(by_reason: &BTreeMap<SkipReason, u64>, s: S) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Reason {
        reason: &'static str,
        code: &'static str,
        rows: f64,
    }
    let mut listed: Vec<(&SkipReason, &u64)> = by_reason.iter().collect();
    listed.sort_by_key(|(reason, _)| reason.as_str());
    let mut seq = s.serialize_seq(Some(listed.len()))?;
    for (reason, rows) in listed {
        seq.serialize_element(&Reason {
            reason: reason.as_str(),
            code: reason.code(),
            rows: *rows as f64,
        })?;
    }
    seq.end()
}

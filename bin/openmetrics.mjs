// The audit's report as OpenMetrics text, for node_exporter's textfile collector (or any
// scraper): gauges only, so the same text reads as OpenMetrics and as Prometheus's own text
// format, names in Prometheus's conventions (a `paperclip_` prefix, base units, `_seconds`
// for times), label values escaped.

/** A label value as the exposition formats escape it: backslash, double quote, line feed. */
export function labelValue(text) {
  return String(text).replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n");
}

/**
 * A company's labels. The formats hold UTF-8, where a lone surrogate (which a JSON string may
 * carry) has no place: such an id is written well-formed (U+FFFD for each lone unit) with its
 * UTF-16 code units in hex beside it as `company_id_utf16`, so that ids differing only there
 * stay apart as series.
 */
export function companyLabels(companyId) {
  if (companyId.isWellFormed()) return { company_id: companyId };
  const units = Array.from({ length: companyId.length }, (_, i) =>
    companyId.charCodeAt(i).toString(16).padStart(4, "0"),
  ).join("");
  return { company_id: companyId.toWellFormed(), company_id_utf16: units };
}

/** The report's rotation counts, by key, and the kind each is labelled with. */
const ROTATION_KINDS = [
  ["forkBreaker", "fork_breaker"],
  ["widerBreaker", "wider_breaker"],
  ["runLimit", "run_limit"],
  ["rawInput", "raw_input"],
  ["sessionAge", "session_age"],
  ["other", "other"],
];

/** A number as the formats write it. */
function sampleValue(n) {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

/** One gauge family: its help line, its type, and a sample per `[labels, value]`. */
function gauge(name, help, samples) {
  const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`];
  for (const [labels, value] of samples) {
    const shown = Object.entries(labels).map(([key, v]) => `${key}="${labelValue(v)}"`);
    lines.push(`${name}${shown.length ? `{${shown.join(",")}}` : ""} ${sampleValue(value)}`);
  }
  return lines.join("\n");
}

/**
 * The report as OpenMetrics text. `auditedAtMs`: when the audit ran; `complete`: whether the
 * report is complete (the CLI's exit status 0).
 */
export function reportOpenMetrics(report, { auditedAtMs, complete }) {
  const companies = report.companies.map((c) => [companyLabels(c.companyId), c.totals]);
  const perCompany = (name, help, pick) =>
    gauge(
      name,
      help,
      companies.map(([labels, totals]) => [labels, pick(totals)]),
    );
  const rule = report.deadRunRule;
  const newest = report.newestRunAtMs ?? -Infinity;
  const families = [
    gauge(
      "paperclip_session_audit_rule_info",
      "The dead-run rule the audit counted by: the liveness states that can make a run dead, and whether resumes with no usage record count.",
      [
        [
          {
            dead_liveness_states: rule.deadLivenessStates.join(","),
            count_unrecorded_resumes: String(rule.countUnrecordedResumes),
          },
          1,
        ],
      ],
    ),
    gauge("paperclip_session_audit_timestamp_seconds", "When the audit ran, in seconds since the epoch.", [
      [{}, auditedAtMs / 1000],
    ]),
    gauge(
      "paperclip_session_audit_complete",
      "1 when the report is complete; 0 when more than half of the rows were skipped, none could be read, or the input ended early.",
      [[{}, complete ? 1 : 0]],
    ),
    gauge(
      "paperclip_session_audit_rows_skipped",
      "Rows the audit could not read (malformed, missing fields, wrong types).",
      [[{}, report.rowsSkipped]],
    ),
    gauge(
      "paperclip_session_audit_newest_run_timestamp_seconds",
      "The newest run's created_at among the audited sessions, in seconds since the epoch: how fresh the history is.",
      Number.isFinite(newest) ? [[{}, newest / 1000]] : [],
    ),
    perCompany("paperclip_session_audit_runs", "Runs with a persisted session audited, per company.", (t) => t.runs),
    perCompany(
      "paperclip_dead_sessions_now",
      "Sessions whose latest runs are a dead streak of at least 3 (the breaker's threshold) and that the server would still resume: no rotation recorded after them (and, from a database with the session tables, still pointed at).",
      (t) => t.sessionsDeadNow,
    ),
    perCompany(
      "paperclip_sessions_rotated_dead",
      "Sessions whose latest runs are a dead streak of at least 3 that a rotation after them took out of use.",
      (t) => t.sessionsRotatedDead,
    ),
    gauge(
      "paperclip_session_rotations",
      "Rotations the audited history records (the run after each names the session rotated and why), per company and kind of rule.",
      report.companies.flatMap((c) =>
        ROTATION_KINDS.map(([key, kind]) => [{ ...companyLabels(c.companyId), kind }, c.totals.rotations[key]]),
      ),
    ),
    perCompany(
      "paperclip_dead_runs_before_breaker_rotations",
      "The dead runs each session the breaker rotated burned before it, summed, per company.",
      (t) => t.deadRunsBeforeBreakerRotations,
    ),
    gauge(
      "paperclip_session_audit_dead_now_authority_info",
      "What decided dead now: rotation_records, live_pointers, or none (a history that records no rotation).",
      [[{ authority: report.deadNowAuthority }, 1]],
    ),
    perCompany("paperclip_dead_runs", "Dead runs under the audit's rule, per company.", (t) => t.deadRuns),
    perCompany(
      "paperclip_unseen_failed_runs",
      "Runs in a dead liveness state that resumed their session and left no usage record, which the audit's rule does not count, per company.",
      (t) => t.unseenFailedRuns,
    ),
    perCompany(
      "paperclip_sessions_with_dead_streak",
      "Sessions that ever had a dead streak of at least 3, per company.",
      (t) => t.sessionsWithDeadStreak,
    ),
  ];
  return `${families.join("\n")}\n# EOF\n`;
}

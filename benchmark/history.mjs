// A generated heartbeat_runs history, one row_to_json line per run: companies, agents and
// sessions, healthy runs and dead streaks, in an arbitrary order, with a sprinkling of
// malformed lines, missing fields and wrong types (unless `clean`).
const HOUR = 3_600_000;

function prng(seed) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

const SUMMARIES = [
  "Worked on the task and opened a pull request with the change.",
  'Fixed the "retry" loop in src\\worker.ts; ran `npm test`:\n  42 passed\n  0 failed',
  "Reviewed PR #41 — left 3 comments (naming, tests, the “happy path”).",
];
const ERRORS = [
  "adapter exited with code 1: could not resume session",
  'adapter exited with code 1\nstderr: Error: No conversation found with session ID "sess"\r\n    at resume (C:\\agent\\cli.js:10:5)',
  "adapter exited with code 1:\tEPIPE — écrit 0 octets",
];

const pad = (n, w) => String(n).padStart(w, "0");
const uuid = (n) => `00000000-0000-4000-8000-${pad(n, 12)}`;
/** Postgres's JSON rendering of a timestamptz: microseconds and +00:00. */
const pgTime = (ms, micros) => new Date(ms).toISOString().replace("Z", `${pad(micros, 3)}+00:00`);

/** Output as an agent prints it: a few KB of lines with quotes, backslashes, tabs, non-ASCII. */
function excerpt(random, bytes) {
  const parts = [];
  let size = 0;
  while (size < bytes) {
    const line = `[${pad(Math.floor(random() * 1e6), 6)}] ${SUMMARIES[Math.floor(random() * SUMMARIES.length)]} \t path="C:\\work\\repo" ✓`;
    parts.push(line);
    size += line.length + 1;
  }
  return parts.join("\n");
}

/**
 * Every column of Paperclip's heartbeat_runs that the audit does not read, filled as real rows
 * fill them (about 4 KB a row): the context snapshot, the output excerpts, the result, the
 * process and retry bookkeeping.
 */
function fullWidth(row, random, t, dead) {
  return {
    trigger_detail: "timer: every 5 minutes",
    wakeup_request_id: uuid(Math.floor(random() * 1e9)),
    exit_code: dead ? 1 : 0,
    signal: null,
    log_store: "local_file",
    log_ref: `runs/${row.company_id}/${row.id}.ndjson`,
    log_bytes: Math.floor(random() * 5e6),
    log_compressed: random() < 0.5,
    stdout_excerpt: excerpt(random, 1400),
    stderr_excerpt: dead ? excerpt(random, 600) : "",
    error_code: dead ? "adapter_failed" : null,
    external_run_id: null,
    process_pid: 1000 + Math.floor(random() * 60000),
    process_group_id: 1000 + Math.floor(random() * 60000),
    process_started_at: pgTime(t + 60, 0),
    last_output_at: pgTime(t + 80_000, 0),
    last_output_seq: Math.floor(random() * 900),
    last_output_stream: "stdout",
    last_output_bytes: Math.floor(random() * 1e5),
    retry_of_run_id: null,
    process_loss_retry_count: 0,
    scheduled_retry_at: null,
    scheduled_retry_attempt: 0,
    scheduled_retry_reason: null,
    issue_comment_status: "not_applicable",
    issue_comment_satisfied_by_comment_id: null,
    issue_comment_retry_queued_at: null,
    liveness_reason: dead ? "adapter exited before any output" : "made progress",
    continuation_attempt: 0,
    last_useful_action_at: pgTime(t + 70_000, 0),
    next_action: dead ? "retry" : null,
    updated_at: pgTime(t + 91_000, 0),
    context_snapshot: {
      ...row.context_snapshot,
      issue: {
        id: row.context_snapshot.issueId,
        title: 'Make the "retry" path idempotent',
        labels: ["backend", "p1"],
        body: excerpt(random, 700),
      },
      workspace: { cwd: "/srv/agents/ws", branch: "feature/retry", env: { NODE_ENV: "production", CI: "false" } },
      paperclipSessionHandoffMarkdown: null,
      wakeReason: "heartbeat_timer",
      recentComments: [{ author: "reviewer", body: "Please add a test for the retry loop. Thanks!" }],
    },
  };
}

export function* historyLines({
  seed = 1,
  companies = 3,
  agentsPerCompany = 4,
  sessionsPerAgent = 5,
  runsPerSession = 40,
  clean = false,
  camelCaseShare = 0.05,
  shuffleWindow = 50,
  wide = false,
  emptyResponses = false,
} = {}) {
  const random = prng(seed);
  const pick = (xs) => xs[Math.floor(random() * xs.length)];
  let id = 0;
  const buffer = [];
  const flush = function* (all) {
    // Rows leave in an order only roughly by time, as a table's heap order is.
    while (buffer.length > (all ? 0 : shuffleWindow)) yield buffer.splice(Math.floor(random() * buffer.length), 1)[0];
  };
  const start = Date.UTC(2026, 4, 1);
  for (let c = 0; c < companies; c++) {
    for (let a = 0; a < agentsPerCompany; a++) {
      for (let s = 0; s < sessionsPerAgent; s++) {
        const company = `company-${c}`;
        // Agent and session ids repeat across companies on purpose: keys are per company.
        const agent = `agent-${a}`;
        const session = random() < 0.05 ? null : `sess-${a}-${s}${random() < 0.02 ? " " : ""}`;
        let t = start + Math.floor(random() * 48 * HOUR);
        let deadLeft = 0;
        for (let r = 0; r < runsPerSession; r++) {
          t += Math.floor(random() * HOUR);
          if (deadLeft === 0 && random() < 0.06) deadLeft = 1 + Math.floor(random() * 9);
          const dead = deadLeft > 0;
          if (dead) deadLeft--;
          const tokens = dead ? 0 : Math.floor(random() * 200_000);
          const usage = {
            provider: "anthropic",
            model: "claude-sonnet-4",
            persistedSessionId: dead && random() < 0.03 ? "other" : session,
            sessionReused: dead ? random() > 0.02 : random() > 0.5,
            freshSession: false,
            inputTokens: tokens,
            rawInputTokens: tokens,
            cachedInputTokens: dead ? 0 : 1200,
            rawCachedInputTokens: dead ? 0 : 1200,
            outputTokens: dead ? 0 : 900,
            rawOutputTokens: dead ? 0 : 900,
            costUsd: tokens * 3e-6,
          };
          const row = {
            id: uuid(++id),
            company_id: company,
            agent_id: agent,
            invocation_source: "timer",
            status: dead && !(emptyResponses && id % 4 === 1) ? "failed" : "succeeded",
            // The session's first run started it; the others resumed it.
            session_id_before: r === 0 ? null : session,
            session_id_after: session,
            created_at: pgTime(t, Math.floor(random() * 1000)),
            started_at: pgTime(t + 50, 0),
            finished_at: pgTime(t + 90_000, 0),
            // With `emptyResponses`, every fourth dead run (by id) exits 0 with no output: the server
            // marks it "empty_response", which the fork's breaker never counts.
            liveness_state: dead
              ? emptyResponses && id % 4 === 1
                ? "empty_response"
                : "failed"
              : pick(["advanced", "completed", "plan_only"]),
            // A failed run that reported no usage: the service writes no usage record, and the
            // breaker cannot see it (the report's unseen failed runs).
            // (Every ninth dead run, by id: no draw from \`random\`, so the rest of the history stays.)
            usage_json: random() < 0.01 || (dead && id % 9 === 0) ? null : usage,
            // Text as real runs carry it: quotes, backslashes, line breaks, tabs, non-ASCII.
            result_json: dead ? null : { summary: pick(SUMMARIES), result: "ok", costUsd: usage.costUsd },
            error: dead ? pick(ERRORS) : null,
            context_snapshot: { issueId: `PAP-${c}${a}${s}`, wakeReason: "heartbeat_timer" },
          };
          if (wide) Object.assign(row, fullWidth(row, random, t, dead));
          let line;
          if (random() < camelCaseShare) {
            line = JSON.stringify({
              id: row.id,
              companyId: company,
              agentId: agent,
              sessionIdBefore: row.session_id_before,
              sessionIdAfter: session,
              createdAt: row.created_at,
              livenessState: row.liveness_state,
              usageJson: row.usage_json,
            });
          } else line = JSON.stringify(row);
          if (!clean) {
            const x = random();
            if (x < 0.004) line = line.slice(0, Math.floor(line.length / 2));
            else if (x < 0.006) line = JSON.stringify({ ...row, company_id: 42 });
            else if (x < 0.008) line = JSON.stringify({ ...row, created_at: "yesterday" });
            else if (x < 0.009) line = JSON.stringify({ ...row, session_id_after: 7 });
            else if (x < 0.01) line = "[1,2,3]";
            else if (x < 0.011) line = "";
          }
          buffer.push(line);
          yield* flush(false);
        }
      }
    }
  }
  yield* flush(true);
}

// The fleet audit as a data engineer would write it in DuckDB: read_ndjson, the breaker's
// dead-run rule as a SQL expression, and the dead streaks as gaps and islands over window
// functions. Answers the report's totals and what-if table, for the benchmark to compare.
import { DuckDBInstance } from "@duckdb/node-api";

/** The characters JavaScript's trim() removes, for a session id that must be non-blank. */
const JS_WHITESPACE = [
  9,
  10,
  11,
  12,
  13,
  32,
  0xa0,
  0x1680,
  ...Array.from({ length: 11 }, (_, i) => 0x2000 + i),
  0x2028,
  0x2029,
  0x202f,
  0x205f,
  0x3000,
  0xfeff,
]
  .map((c) => `chr(${c})`)
  .join(" || ");

/** A token count as the breaker reads it: the raw key when it is a number, else the normalized one, else 0; floored, at least 0. */
const tokens = (raw, normalized) => `greatest(0, floor(coalesce(
    case when json_type(u -> '${raw}') in ('UBIGINT', 'BIGINT', 'DOUBLE') then (u ->> '${raw}')::double end,
    case when json_type(u -> '${normalized}') in ('UBIGINT', 'BIGINT', 'DOUBLE') then (u ->> '${normalized}')::double end,
    0)))`;

function auditSql(file) {
  const path = `'${file.replaceAll("'", "''")}'`;
  return `
  with raw as (
    select * from read_ndjson(${path}, ignore_errors = true, maximum_object_size = 67108864, columns = {
      company_id: 'JSON', companyId: 'JSON', agent_id: 'JSON', agentId: 'JSON',
      session_id_before: 'JSON', sessionIdBefore: 'JSON',
      session_id_after: 'JSON', sessionIdAfter: 'JSON', created_at: 'JSON', createdAt: 'JSON',
      liveness_state: 'JSON', livenessState: 'JSON', usage_json: 'JSON', usageJson: 'JSON'})
  ),
  rows as (
    select coalesce(company_id, companyId) as company, coalesce(agent_id, agentId) as agent,
           coalesce(session_id_after, sessionIdAfter) as session, coalesce(session_id_before, sessionIdBefore) as before,
           coalesce(created_at, createdAt) as created,
           coalesce(liveness_state, livenessState) as liveness, coalesce(usage_json, usageJson) as u
      from raw
  ),
  runs as (
    select (company ->> '$') as company_id, (agent ->> '$') as agent_id, (session ->> '$') as session_id,
           epoch_ms(try_cast((created ->> '$') as timestamptz)) as run_at,
           coalesce((liveness ->> '$') = 'failed' and json_type(liveness) = 'VARCHAR'
             and json_type(u) = 'OBJECT'
             and json_type(u -> 'sessionReused') = 'BOOLEAN' and (u -> 'sessionReused')::boolean
             and json_type(u -> 'persistedSessionId') = 'VARCHAR' and (u ->> 'persistedSessionId') = (session ->> '$')
             and ${tokens("rawInputTokens", "inputTokens")} = 0
             and ${tokens("rawCachedInputTokens", "cachedInputTokens")} = 0
             and ${tokens("rawOutputTokens", "outputTokens")} = 0, false) as dead,
           -- Failed after resuming the session, with no usage record: unseen by the breaker.
           coalesce((liveness ->> '$') = 'failed' and json_type(liveness) = 'VARCHAR'
             and json_type(before) = 'VARCHAR' and (before ->> '$') = (session ->> '$')
             and (u is null or json_type(u) = 'NULL'), false) as unseen
      from rows
     where json_type(company) = 'VARCHAR' and json_type(agent) = 'VARCHAR'
       and json_type(session) = 'VARCHAR' and trim((session ->> '$'), ${JS_WHITESPACE}) <> ''
       and json_type(created) = 'VARCHAR' and try_cast((created ->> '$') as timestamptz) is not null
  ),
  numbered as (
    select *, row_number() over w as position, count(*) over (partition by company_id, agent_id, session_id) as session_runs,
           row_number() over w - row_number() over (partition by company_id, agent_id, session_id, dead order by run_at, dead, unseen) as island,
           row_number() over w - row_number() over (partition by company_id, agent_id, session_id, dead or unseen order by run_at, dead, unseen) as wide_island
      from runs
    -- At one time a live run first, then a failed unseen one, then a dead one: the audit's order for ties.
    window w as (partition by company_id, agent_id, session_id order by run_at, dead, unseen)
  ),
  streaks as (
    select company_id, agent_id, session_id, count(*) as length, max(position) as last_position,
           max(position) < max(session_runs) as recovered
      from numbered where dead group by company_id, agent_id, session_id, island
  ),
  wide_streaks as (
    select count(*) as length, max(position) < max(session_runs) as recovered
      from numbered where dead or unseen group by company_id, agent_id, session_id, wide_island
  ),
  sessions as (
    select r.company_id, r.agent_id, r.session_id, count(*) as runs, count(*) filter (where dead) as dead_runs,
           count(*) filter (where unseen) as unseen_runs
      from runs r group by all
  ),
  per_session as (
    select s.*, coalesce(max(t.length), 0) as longest,
           coalesce(max(t.length) filter (where t.last_position = s.runs), 0) as current
      from sessions s left join streaks t using (company_id, agent_id, session_id)
     group by all
  )
  select
    (select count(*) from per_session) as sessions,
    (select sum(runs) from per_session) as runs,
    (select sum(dead_runs) from per_session) as dead_runs,
    (select sum(unseen_runs) from per_session) as unseen_runs,
    (select count(*) from per_session where longest >= 3) as sessions_with_dead_streak,
    (select count(*) from per_session where current >= 3) as sessions_dead_now,
    (select list({threshold: t, rotations: (select count(*) from streaks where length >= t),
                  deadRunsSaved: (select coalesce(sum(length - t), 0) from streaks where length >= t),
                  recovered: (select count(*) from streaks where length >= t and recovered)} order by t)
       from range(1, 11) as thresholds(t)) as what_if,
    (select list({threshold: t, rotations: (select count(*) from wide_streaks where length >= t),
                  deadRunsSaved: (select coalesce(sum(length - t), 0) from wide_streaks where length >= t),
                  recovered: (select count(*) from wide_streaks where length >= t and recovered)} order by t)
       from range(1, 11) as thresholds(t)) as what_if_wider,
    (select list({length: length, streaks: streaks} order by length)
       from (select length, count(*) as streaks from streaks group by length)) as dead_streaks,
    (select list({day: day, runs: runs, deadRuns: dead_runs} order by day)
       from (select strftime(epoch_ms(run_at), '%Y-%m-%d') as day, count(*) as runs, count(*) filter (where dead) as dead_runs
               from runs group by 1)) as days`;
}

/** Audits an NDJSON file with DuckDB on `threads` threads; answers the report's totals, what-if
 * tables, streak lengths and days. */
export async function auditFileDuckDb(file, { threads = 2 } = {}) {
  const instance = await DuckDBInstance.create(":memory:", { threads: String(threads) });
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(auditSql(file));
    const [row] = reader.getRowObjectsJS();
    const n = (v) => Number(v ?? 0);
    const whatIfRow = (w) => ({
      threshold: n(w.threshold),
      rotations: n(w.rotations),
      deadRunsSaved: n(w.deadRunsSaved),
      recovered: n(w.recovered),
    });
    return {
      totals: {
        sessions: n(row.sessions),
        runs: n(row.runs),
        deadRuns: n(row.dead_runs),
        unseenFailedRuns: n(row.unseen_runs),
        sessionsWithDeadStreak: n(row.sessions_with_dead_streak),
        sessionsDeadNow: n(row.sessions_dead_now),
      },
      whatIf: row.what_if.map(whatIfRow),
      whatIfWider: row.what_if_wider.map(whatIfRow),
      deadStreaks: (row.dead_streaks ?? []).map((d) => ({ length: n(d.length), streaks: n(d.streaks) })),
      days: (row.days ?? []).map((d) => ({ day: d.day, runs: n(d.runs), deadRuns: n(d.deadRuns) })),
    };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/**
 * DuckDB's bare scan of the seven columns the audit reads, and nothing else: what reading the
 * JSON costs it before any audit. Answers the line count it saw.
 */
export async function scanFileDuckDb(file, { threads = 2 } = {}) {
  const instance = await DuckDBInstance.create(":memory:", { threads: String(threads) });
  const connection = await instance.connect();
  const path = `'${file.replaceAll("'", "''")}'`;
  try {
    const reader = await connection.runAndReadAll(`
      select count(*) as lines, count(company_id) + count(agent_id) + count(session_id_before) + count(session_id_after)
             + count(created_at) + count(liveness_state) + count(usage_json) as values
        from read_ndjson(${path}, ignore_errors = true, maximum_object_size = 67108864, columns = {
          company_id: 'JSON', agent_id: 'JSON', session_id_before: 'JSON', session_id_after: 'JSON',
          created_at: 'JSON', liveness_state: 'JSON', usage_json: 'JSON'})`);
    const [row] = reader.getRowObjectsJS();
    return { lines: Number(row.lines), values: Number(row.values) };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

// `npm run bench:database [-- --rows=150000,300000 --repeat=3]`: the audit straight from
// PostgreSQL, at production size, side by side in one run. A throwaway PostgreSQL server (as the
// tests start one) gets a generated heartbeat_runs table shaped like the released server's
// (uuid ids, its ~70 columns, its usage records with their config-freshness block, ~5 KB a row
// as row_to_json text, only a primary key) at two sizes; at each size:
//
//   plain export   COPY (SELECT row_to_json(r) FROM heartbeat_runs r) TO STDOUT, by psql, to a file
//   narrow export  the audit's own export (--export-sql), by psql, to a file
//   --database     the CLI's whole audit from the database (one COPY of the narrow lines)
//   SQL report     refresh of sql/dead_sessions.sql's per-run step, then its five report views
//
// each as the best of --repeat runs and as a ratio to the plain export, then how each grew with
// the rows, and whether the reports of the file route, --database and SQL agree. Speed is
// measured here, never asserted in tests.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startPostgres } from "../__test__/postgres";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const core = createRequire(import.meta.url)(root);
const { auditExportStatement } = createRequire(import.meta.url)(path.join(root, "database.js"));
const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const sizes = arg("rows", "150000,300000").split(",").map(Number);
const repeat = Number(arg("repeat", "3"));

/** The released server's heartbeat_runs columns (its @paperclipai/db schema), with types. */
const COLUMNS = `id uuid primary key, company_id uuid not null, agent_id uuid not null, invocation_source text not null,
  trigger_detail text, status text not null, responsible_user_id text, active_identity_context_id uuid, started_at timestamptz,
  finished_at timestamptz, execution_control_deadline_at timestamptz, execution_status_delivery_id uuid, error text,
  wakeup_request_id uuid, exit_code integer, signal text, usage_json jsonb, result_json jsonb, runtime_mode text not null,
  runtime_mode_resolver_version text, runtime_mode_reason text, runtime_mode_resolved_at timestamptz, runner_profile_json jsonb,
  runner_instance_id uuid, native_session_id uuid, native_issue_id uuid, driver_kind text, driver_version text,
  completion_contract_id uuid, completion_contract_sha256 text, next_event_seq bigint not null, native_phase text,
  native_phase_updated_at timestamptz, session_id_before text, session_id_after text, log_store text, log_ref text,
  log_bytes bigint, log_sha256 text, log_compressed boolean not null, stdout_excerpt text, stderr_excerpt text, error_code text,
  external_run_id text, controller_boot_id uuid, controller_lease_expires_at timestamptz, execution_stage text,
  process_pid integer, process_group_id integer, process_started_at timestamptz, last_output_at timestamptz,
  last_output_seq integer not null, last_output_stream text, last_output_bytes bigint, retry_of_run_id uuid,
  process_loss_retry_count integer not null, scheduled_retry_at timestamptz, scheduled_retry_attempt integer not null,
  scheduled_retry_reason text, issue_comment_status text not null, issue_comment_satisfied_by_comment_id uuid,
  issue_comment_retry_queued_at timestamptz, liveness_state text, liveness_reason text, continuation_attempt integer not null,
  last_useful_action_at timestamptz, next_action text, context_snapshot jsonb, created_at timestamptz not null,
  updated_at timestamptz not null`;

/**
 * `count` generated runs, appended: 20 companies, 10 agents each, sessions of 30 runs (each of one
 * agent, its runs 7 seconds apart, sessions following one another); about a
 * third of the failed runs of a session dead (resumed, zero tokens), some with no usage record.
 * Text that does not compress well (md5 chains), so the big columns weigh as real ones do.
 */
function insertRuns(from: number, count: number) {
  return `insert into heartbeat_runs
  select gen_random_uuid(),
         ('00000000-0000-4000-8000-' || lpad(to_hex(1 + (i / 30) % 20), 12, '0'))::uuid,
         ('00000000-0000-4000-9000-' || lpad(to_hex(1 + (i / 30) % 200), 12, '0'))::uuid,
         'timer', 'heartbeat', case when failed then 'failed' else 'succeeded' end, 'user-1', null,
         t, t + interval '40 seconds', null, null, case when failed then 'resume failed: ' || h1 else null end,
         gen_random_uuid(), case when failed then 1 else 0 end, null,
         case when failed and not dead and i % 29 = 0 then null
              else jsonb_build_object('sessionReused', position > 0, 'persistedSessionId', session, 'inputTokens', case when dead then 0 else 1200 + i % 5000 end,
                     'cachedInputTokens', case when dead then 0 else i % 900 end, 'outputTokens', case when dead then 0 else 200 + i % 700 end,
                     'rawInputTokens', case when dead then 0 else 1200 + i % 5000 end, 'provider', 'anthropic', 'model', 'claude-sonnet',
                     'costUsd', (i % 100) / 1000.0, 'sessionRotated', false, 'freshSession', position = 0, 'usageSource', 'session_delta',
                     'taskSessionReused', position > 0, 'biller', 'anthropic', 'costStatus', 'priced', 'sessionRotationReason', null,
                     'configFreshness', jsonb_build_object('version', 3, 'session', jsonb_build_object('fingerprintVersion', 3,
                       'categories', jsonb_build_array('model', 'instructions', 'tools', 'workspace'), 'reset', false, 'resetReasons', '[]'::jsonb,
                       'changedCategories', '[]'::jsonb, 'taskSessionAvailable', true, 'taskSessionReused', position > 0,
                       'storedFingerprintPresent', true, 'nextFingerprint', h1),
                       'workspace', jsonb_build_object('fingerprintVersion', 2, 'action', 'reuse', 'reasons', '[]'::jsonb,
                       'storedFingerprint', h2, 'workspaceReused', true))) end,
         jsonb_build_object('summary', big, 'result', h1 || h2, 'total_cost_usd', 0.012),
         'legacy', 'v3', 'default', t, jsonb_build_object('profile', 'standard', 'cpu', 2), null, null, null, 'cli', '2.1.0',
         null, h2, 17, 'done', t, case when failed then session else null end, session, 'local_file', '/var/log/runs/' || h1,
         40000 + i % 9000, h2, false, left(big, 800), case when failed then left(big, 300) else null end,
         case when failed then 'adapter_failed' else null end, null, null, null, 'finished', 4000 + i % 30000, null,
         t + interval '1 second', t + interval '39 seconds', 40 + i % 60, 'stdout', 900 + i % 4000, null, 0, null, 0, null,
         'not_applicable', null, null, case when failed then 'failed' else 'completed' end, 'run ended', 0, t, null,
         jsonb_build_object('issueId', h1, 'taskKey', h2, 'wakeReason', 'timer', 'notes', left(big, 500)),
         t, t + interval '41 seconds'
    from (select i, h1, h2, big, failed, failed and position > 0 and i % 3 = 0 as dead, position, session, t
            from (select i, md5(i::text) as h1, md5((i * 7)::text) as h2,
                         (select string_agg(md5((i * 31 + k)::text), ' ') from generate_series(1, 34) k) as big,
                         (i % 30) > 20 as failed, i % 30 as position,
                         'session-' || (i / 30)::text as session,
                         timestamptz '2026-06-01' + (i * interval '7 seconds') as t
                    from generate_series(${from}, ${from + count - 1}) i) g) r`;
}

function seconds<T>(work: () => T): { s: number; value: T } {
  const start = process.hrtime.bigint();
  const value = work();
  return { s: Number(process.hrtime.bigint() - start) / 1e9, value };
}

function best<T>(work: () => T): { s: number; value: T } {
  let out = seconds(work);
  for (let i = 1; i < repeat; i++) {
    const next = seconds(work);
    if (next.s < out.s) out = next;
  }
  return out;
}

const server = await startPostgres();
const url = `postgresql://postgres@127.0.0.1:${server.port}/postgres`;
const work = mkdtempSync(path.join(tmpdir(), "pcsc-dbbench-"));
const psql = (args: string[], out?: string) => {
  const r = spawnSync(
    "sh",
    [
      "-c",
      `psql "${url}" -X -q -v ON_ERROR_STOP=1 ${args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ")}${out ? ` > ${out}` : " > /dev/null"}`,
    ],
    { encoding: "utf8", maxBuffer: 1 << 26 },
  );
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr}`);
  return r.stdout;
};
const cli = path.join(root, "bin", "paperclip-session-audit.mjs");
const sqlReport = `set search_path to paperclip_session_audit, public; refresh materialized view dead_session_runs;
select * from dead_session_totals; select * from dead_session_what_if; select * from dead_session_what_if_wider;
select * from dead_session_streak_lengths; select * from dead_session_days;`;
type Row = {
  rows: number;
  tableMb: number;
  plain: number;
  plainMb: number;
  narrow: number;
  narrowMb: number;
  database: number;
  sql: number;
  same: string;
};
const results: Row[] = [];

try {
  await server.pool.query(`create table heartbeat_runs (${COLUMNS})`);
  let have = 0;
  for (const rows of sizes) {
    console.log(`\n${rows.toLocaleString("en-US")} rows: generating …`);
    for (; have < rows; have += Math.min(50_000, rows - have))
      await server.pool.query(insertRuns(have, Math.min(50_000, rows - have)));
    await server.pool.query("vacuum analyze heartbeat_runs");
    const tableMb =
      Number((await server.pool.query(`select pg_total_relation_size('heartbeat_runs') as b`)).rows[0].b) / 1e6;
    psql(["-f", path.join(root, "sql", "dead_sessions.sql")]);

    const plainFile = path.join(work, "plain.txt");
    const narrowFile = path.join(work, "narrow.txt");
    const plain = best(() => psql(["-c", "COPY (SELECT row_to_json(r) FROM heartbeat_runs r) TO STDOUT"], plainFile));
    const narrow = best(() => psql(["-c", auditExportStatement()], narrowFile));
    const database = best(() =>
      execFileSync(process.execPath, [cli, "--database", url, "--json", "--no-progress"], {
        encoding: "utf8",
        maxBuffer: 1 << 28,
      }),
    );
    const sql = best(() => psql(["-c", sqlReport]));

    // The same report three ways: the file route (the plain export), --database, and SQL.
    const fromFile = core.auditDeadSessionsSync(plainFile);
    const fromNarrow = core.auditDeadSessionsSync(narrowFile);
    const fromDb = JSON.parse(database.value);
    const figures = (r: {
      totals: unknown;
      whatIf: unknown;
      whatIfWider: unknown;
      deadStreaks: unknown;
      days: unknown;
    }) => JSON.stringify([r.totals, r.whatIf, r.whatIfWider, r.deadStreaks, r.days]);
    const totals = (
      await server.pool.query(
        `select sessions::int, runs::int, dead_runs::int as "deadRuns", unseen_failed_runs::int as "unseenFailedRuns", sessions_with_dead_streak::int as "sessionsWithDeadStreak", sessions_dead_now::int as "sessionsDeadNow" from paperclip_session_audit.dead_session_totals`,
      )
    ).rows[0];
    const {
      sessions,
      runs: totalRuns,
      deadRuns,
      unseenFailedRuns,
      sessionsWithDeadStreak,
      sessionsDeadNow,
    } = fromDb.totals;
    const agree =
      figures(fromFile) === figures(fromDb) &&
      figures(fromNarrow) === figures(fromDb) &&
      JSON.stringify(totals) ===
        JSON.stringify({
          sessions,
          runs: totalRuns,
          deadRuns,
          unseenFailedRuns,
          sessionsWithDeadStreak,
          sessionsDeadNow,
        });
    results.push({
      rows,
      tableMb,
      plain: plain.s,
      plainMb: statSync(plainFile).size / 1e6,
      narrow: narrow.s,
      narrowMb: statSync(narrowFile).size / 1e6,
      database: database.s,
      sql: sql.s,
      same: agree
        ? `yes (${fromDb.totals.runs.toLocaleString("en-US")} runs, ${fromDb.totals.deadRuns.toLocaleString("en-US")} dead)`
        : "NO",
    });
    rmSync(plainFile, { force: true });
    rmSync(narrowFile, { force: true });
  }
} finally {
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}

const f = (s: number) => `${s.toFixed(2)} s`;
const ratio = (a: number, b: number) => `${(a / b).toFixed(3)}×`;
console.log(
  `\nbest of ${repeat}, PostgreSQL ${execFileSync("psql", ["--version"], { encoding: "utf8" }).trim().split(" ").at(-1)} on 127.0.0.1:`,
);
for (const r of results) {
  console.log(
    `\n${r.rows.toLocaleString("en-US")} rows (table ${r.tableMb.toFixed(0)} MB; plain export ${r.plainMb.toFixed(0)} MB, narrow ${r.narrowMb.toFixed(0)} MB)`,
  );
  console.log(`  plain export   ${f(r.plain).padStart(9)}   1×`);
  console.log(`  narrow export  ${f(r.narrow).padStart(9)}   ${ratio(r.narrow, r.plain)}`);
  console.log(
    `  --database     ${f(r.database).padStart(9)}   ${ratio(r.database, r.plain)}   (target ≤ 0.25×: ${r.database / r.plain <= 0.25 ? "met" : "MISSED"})`,
  );
  console.log(
    `  SQL report     ${f(r.sql).padStart(9)}   ${ratio(r.sql, r.plain)}   (target ≤ 0.3×: ${r.sql / r.plain <= 0.3 ? "met" : "MISSED"})`,
  );
  console.log(`  same report from the file, --database and SQL: ${r.same}`);
}
if (results.length >= 2) {
  const [a, b] = [results[0], results.at(-1)!];
  const rowsGrew = b.rows / a.rows;
  console.log(
    `\ngrowth from ${a.rows.toLocaleString("en-US")} to ${b.rows.toLocaleString("en-US")} rows (${rowsGrew.toFixed(2)}× the rows):`,
  );
  for (const key of ["plain", "narrow", "database", "sql"] as const) {
    const grew = b[key] / a[key];
    const note =
      key === "database"
        ? `   (target ≤ ${(1.2 * rowsGrew).toFixed(2)}×: ${grew <= 1.2 * rowsGrew ? "met" : "MISSED"})`
        : "";
    console.log(`  ${key.padEnd(9)} ${grew.toFixed(2)}×${note}`);
  }
}

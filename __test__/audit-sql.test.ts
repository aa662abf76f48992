// sql/dead_sessions.sql gives the native audit's figures on the same history: on a real
// PostgreSQL server (started by the tests, see postgres.ts) and in PGlite; and the benchmark's
// DuckDB audit gives them too.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PGlite } from "@electric-sql/pglite";
// @ts-expect-error plain ESM helper without types
import { historyLines } from "../benchmark/history.mjs";
import { native } from "./native";
import { spawnSync } from "node:child_process";
import { auditDeadSessionsFromDatabase, auditExportStatement } from "../database.js";
import pg from "pg";
import { startPostgres, type Server } from "./postgres";

type Db = { query(sql: string, params?: unknown[]): Promise<{ rows: any[] }>; exec?(sql: string): Promise<unknown> };
// Empty responses in the history: the fork's rule ignores them, a widened rule counts them.
// And rotations: the first run of each agent's next session records the one before it, rotated
// by each kind of rule in turn (a few with a reason no rule writes, and one on a run that has no
// session of its own).
const REASONS = [
  (s: string) => `3 consecutive failed zero-token reused runs on persisted session ${s}`,
  (s: string) =>
    `3 consecutive dead reused runs (2 empty_response zero-token, 1 failed zero-token) on persisted session ${s}`,
  () => "session exceeded 200 runs",
  () => "session raw input reached 2,000,000 tokens (threshold 2,000,000)",
  () => "session age reached 72 hours",
  () => "the operator asked",
];
function withRotations(generated: string[]): string[] {
  const rows = generated.map((l) => JSON.parse(l));
  const byAgent = new Map<string, any[]>();
  for (const r of rows)
    byAgent.set(`${r.company_id}/${r.agent_id}`, [...(byAgent.get(`${r.company_id}/${r.agent_id}`) ?? []), r]);
  let n = 0;
  const extra: any[] = [];
  for (const runs of byAgent.values()) {
    runs.sort((a, b) => Date.parse(a.created_at) - Date.parse(b.created_at));
    const sessions = [...new Set(runs.map((r) => r.session_id_after).filter(Boolean))];
    // Every other session is rotated after its last run: by the agent's next run, or, after the
    // agent's last run, by a run with no session of its own.
    for (const [index, session] of sessions.entries()) {
      if (index % 2 === 1) continue;
      const last = runs.findLastIndex((r) => r.session_id_after === session);
      const context = {
        paperclipPreviousSessionId: session,
        paperclipSessionRotationReason: REASONS[n++ % REASONS.length](session),
        paperclipWake: { reason: "x" },
      };
      const next = runs[last + 1];
      if (next && next.context_snapshot === undefined) next.context_snapshot = context;
      else {
        extra.push({
          ...runs[last],
          id: `ffffffff-ffff-4fff-bfff-${String(n).padStart(12, "0")}`,
          session_id_before: null,
          session_id_after: null,
          liveness_state: "failed",
          usage_json: null,
          created_at: new Date(Date.parse(runs.at(-1).created_at) + 60_000 * n).toISOString(),
          context_snapshot: context,
        });
      }
    }
  }
  return [...rows, ...extra].map((r) => JSON.stringify(r));
}
const lines: string[] = withRotations([
  ...historyLines({ seed: 31, clean: true, runsPerSession: 50, emptyResponses: true }),
]);
const report = native.auditDeadSessionsSync(Buffer.from(lines.join("\n")));

async function load(db: Db) {
  await db.query(`create table heartbeat_runs (id uuid primary key, company_id text not null, agent_id text not null, session_id_before text,
    session_id_after text, created_at timestamptz not null, liveness_state text, usage_json jsonb, result_json jsonb, error text, context_snapshot jsonb)`);
  // Several statements: PGlite runs them with exec, node-postgres with a simple query.
  const views = readFileSync(path.join(__dirname, "..", "sql", "dead_sessions.sql"), "utf8");
  await (db.exec ? db.exec(views) : db.query(views));
  for (let i = 0; i < lines.length; i += 500) {
    const rows = lines.slice(i, i + 500).map((l) => {
      const r = JSON.parse(l);
      return {
        id: r.id,
        company_id: r.company_id ?? r.companyId,
        agent_id: r.agent_id ?? r.agentId,
        session_id_before: r.session_id_before ?? r.sessionIdBefore ?? null,
        session_id_after: r.session_id_after ?? r.sessionIdAfter ?? null,
        created_at: r.created_at ?? r.createdAt,
        liveness_state: r.liveness_state ?? r.livenessState ?? null,
        usage_json: r.usage_json ?? r.usageJson ?? null,
        context_snapshot: r.context_snapshot ?? null,
      };
    });
    await db.query(
      `insert into heartbeat_runs (id, company_id, agent_id, session_id_before, session_id_after, created_at, liveness_state, usage_json, context_snapshot)
      select id, company_id, agent_id, session_id_before, session_id_after, created_at, liveness_state, usage_json, context_snapshot from jsonb_to_recordset($1::jsonb)
        as x(id uuid, company_id text, agent_id text, session_id_before text, session_id_after text, created_at timestamptz, liveness_state text, usage_json jsonb, context_snapshot jsonb)`,
      [JSON.stringify(rows)],
    );
  }
  // The views were made on an empty table: the one pass over it is this refresh.
  await db.query(`refresh materialized view paperclip_session_audit.dead_session_runs`);
  // PGlite is one connection: name the views' schema first on it.
  if (db.exec) await db.query(`set search_path to paperclip_session_audit, public`);
}

const KINDS = ["fork_breaker", "wider_breaker", "run_limit", "raw_input", "session_age", "other"] as const;
const KEYS = ["forkBreaker", "widerBreaker", "runLimit", "rawInput", "sessionAge", "other"] as const;
const rotationsOf = (row: any) =>
  Object.fromEntries(KINDS.map((kind, i) => [KEYS[i], Number(row[`rotations_${kind}`])]));

/** The SQL's totals in the report's shape. */
async function sqlTotals(db: Db) {
  const [t] = (await db.query(`select * from dead_session_totals`)).rows;
  return {
    sessions: Number(t.sessions),
    runs: Number(t.runs),
    deadRuns: Number(t.dead_runs),
    unseenFailedRuns: Number(t.unseen_failed_runs),
    sessionsWithDeadStreak: Number(t.sessions_with_dead_streak),
    sessionsDeadNow: Number(t.sessions_dead_now),
    sessionsRotatedDead: Number(t.sessions_rotated_dead),
    rotations: rotationsOf(t),
    deadRunsBeforeBreakerRotations: Number(t.dead_runs_before_breaker_rotations),
  };
}

/** The SQL's days in the report's shape. */
async function sqlDays(db: Db) {
  const { rows } = await db.query(`select * from dead_session_days order by day`);
  return rows.map((d) => ({
    day: d.day,
    runs: Number(d.runs),
    deadRuns: Number(d.dead_runs),
    rotations: rotationsOf(d),
  }));
}

const whatIfRows = (rows: any[]) =>
  rows.map((r) => ({
    threshold: r.threshold,
    rotations: r.rotations,
    deadRunsSaved: r.dead_runs_saved,
    recovered: r.recovered,
  }));

/** Runs a `COPY … TO STDOUT` as an operator would (psql), or as PGlite can (a blob). */
type Exporter = (statement: string) => Promise<Buffer>;

function scenarios(name: string, open: () => Promise<{ db: Db; exportText: Exporter; close(): Promise<void> }>) {
  describe(`sql/dead_sessions.sql on ${name}`, () => {
    let handle: Awaited<ReturnType<typeof open>>;
    beforeAll(async () => {
      handle = await open();
      await load(handle.db);
    }, 120_000);
    afterAll(async () => {
      await handle?.close();
    });

    it("finds the same sessions, streaks, unseen failed runs, dead-now verdicts and times", async () => {
      const { rows } = await handle.db.query(
        `select company_id, agent_id, session_id, runs::int, dead_runs::int, unseen_failed_runs::int, longest_dead_streak::int, current_dead_streak::int, dead_now,
                (extract(epoch from first_run_at) * 1000)::float8 as first_ms, (extract(epoch from last_run_at) * 1000)::float8 as last_ms,
                rotation_kind, (extract(epoch from rotated_at) * 1000)::float8 as rotated_ms
           from dead_sessions order by company_id collate "C", agent_id collate "C", session_id collate "C"`,
      );
      const fromSql = rows.map((r) => [
        r.company_id,
        r.agent_id,
        r.session_id,
        r.runs,
        r.dead_runs,
        r.unseen_failed_runs,
        r.longest_dead_streak,
        r.current_dead_streak,
        r.dead_now,
        Math.floor(r.first_ms),
        Math.floor(r.last_ms),
        r.rotation_kind,
        r.rotated_ms === null ? null : Math.floor(r.rotated_ms),
      ]);
      const fromNative = report.sessions.map((s) => [
        s.companyId,
        s.agentId,
        s.sessionId,
        s.runs,
        s.deadRuns,
        s.unseenFailedRuns,
        s.longestDeadStreak,
        s.currentDeadStreak,
        s.deadNow,
        s.firstRunAtMs,
        s.lastRunAtMs,
        s.rotation?.kind ?? null,
        s.rotation?.atMs ?? null,
      ]);
      expect(fromSql).toEqual(fromNative);
      expect(report.totals.sessionsDeadNow).toBeGreaterThan(0);
      // Every kind of rotation is in the history, some of them of dead sessions.
      expect(Object.values(report.totals.rotations).every((n) => n > 0)).toBe(true);
      expect(report.totals.sessionsRotatedDead).toBeGreaterThan(0);
      expect(report.totals.unseenFailedRuns).toBeGreaterThan(0);
    });

    it("gives the same totals, what-if tables (with recovered), streak lengths and days", async () => {
      const totals = await sqlTotals(handle.db);
      expect(totals).toEqual(report.totals);
      const whatIf = await handle.db.query(
        `select threshold, rotations::int, dead_runs_saved::int, recovered::int from dead_session_what_if order by threshold`,
      );
      expect(whatIfRows(whatIf.rows)).toEqual(report.whatIf);
      const wider = await handle.db.query(
        `select threshold, rotations::int, dead_runs_saved::int, recovered::int from dead_session_what_if_wider order by threshold`,
      );
      expect(whatIfRows(wider.rows)).toEqual(report.whatIfWider);
      const lengths = await handle.db.query(
        `select length::int, streaks::int from dead_session_streak_lengths order by length`,
      );
      expect(lengths.rows).toEqual(report.deadStreaks);
      const days = { rows: await sqlDays(handle.db) };
      expect(days.rows).toEqual(report.days);
      expect(report.whatIf.some((w) => w.recovered > 0)).toBe(true);
    });

    it("reads token counts as JSON.parse reads numbers, not as exact numerics", async () => {
      // Near 1, past the largest double, below the smallest, at both rounding bounds, exact ints.
      const texts = [
        "0.99999999999999999",
        "1e400",
        "-1e400",
        "1e-400",
        "-0",
        "0",
        "2.4703282292062328e-324",
        "2.4703282292062327e-324",
        "1.7976931348623158e308",
        "1.79769313486231581e308",
        "9007199254740993",
        "123456789012345678901234567890",
        "3.7",
        "-2.5",
        "0.5e1",
        "4.9406564584124654e-324",
        "1e308",
        "99999999999999999999e-20",
      ];
      for (let i = 0; i < 200; i++) texts.push(`${(i * 0.37 - 20).toPrecision(18)}e${(i % 9) - 4}`);
      const { rows } = await handle.db.query(
        `select t, dead_session_json_number(t::jsonb) as n from unnest($1::text[]) t`,
        [texts],
      );
      // (-0 reads as 0: SQL has no negative zero, and a count never tells them apart.)
      const asJs = (t: string) => {
        const v = JSON.parse(t);
        return Number.isFinite(v) ? v + 0 : null;
      };
      expect(rows.map((r) => [r.t, r.n === null ? null : Number(r.n)])).toEqual(texts.map((t) => [t, asJs(t)]));
    });

    it("reads the table once: every view reads the refreshed per-run step, not heartbeat_runs", async () => {
      const { rows } = await handle.db.query(
        `select distinct v.relname::text as view from pg_depend d join pg_rewrite w on w.oid = d.objid join pg_class v on v.oid = w.ev_class
          where d.refobjid = 'heartbeat_runs'::regclass and v.relname <> 'heartbeat_runs' order by 1`,
      );
      expect(rows.map((r) => r.view)).toEqual(["dead_session_runs"]);
      const kind = await handle.db.query(`select relkind::text from pg_class where relname = 'dead_session_runs'`);
      expect(kind.rows[0].relkind).toBe("m");
    });

    it("gives one company's figures since a time when the scope says so, as the audit's options do", async () => {
      const since = "2026-05-02T00:00:00.000Z";
      const scoped = native.auditDeadSessionsSync(Buffer.from(lines.join("\n")), { companyId: "company-1", since });
      await handle.db.query(`insert into dead_session_scope values ('company-1', $1)`, [since]);
      await handle.db.query(`refresh materialized view dead_session_runs`);
      try {
        const totals = await sqlTotals(handle.db);
        expect(totals).toEqual(scoped.totals);
        expect(scoped.totals.runs).toBeGreaterThan(0);
        expect(scoped.totals.runs).toBeLessThan(report.totals.runs);
        const whatIf = await handle.db.query(
          `select threshold, rotations::int, dead_runs_saved::int, recovered::int from dead_session_what_if order by threshold`,
        );
        expect(whatIfRows(whatIf.rows)).toEqual(scoped.whatIf);
      } finally {
        await handle.db.query(`delete from dead_session_scope`);
        await handle.db.query(`refresh materialized view dead_session_runs`);
      }
    });

    it("counts by the breaker's widened rule when the scope sets it, as the audit's options do", async () => {
      const rules = [
        {
          states: ["failed", "empty_response"],
          unrecorded: null,
          options: { deadLivenessStates: ["failed", "empty_response"] },
        },
        { states: null, unrecorded: true, options: { countUnrecordedResumes: true } },
        {
          states: ["empty_response", "failed"],
          unrecorded: true,
          options: { deadLivenessStates: ["empty_response", "failed"], countUnrecordedResumes: true },
        },
      ];
      for (const { states, unrecorded, options } of rules) {
        const widened = native.auditDeadSessionsSync(Buffer.from(lines.join("\n")), options);
        await handle.db.query(
          `insert into dead_session_scope (dead_liveness_states, count_unrecorded_resumes) values ($1, $2)`,
          [states, unrecorded],
        );
        await handle.db.query(`refresh materialized view dead_session_runs`);
        try {
          const rule = (
            await handle.db.query(
              `select dead_liveness_states as "deadLivenessStates", count_unrecorded_resumes as "countUnrecordedResumes" from dead_session_rule`,
            )
          ).rows[0];
          expect(rule).toEqual(widened.deadRunRule);
          const totals = await sqlTotals(handle.db);
          expect(totals).toEqual(widened.totals);
          expect(widened.totals.deadRuns).toBeGreaterThan(report.totals.deadRuns);
          const whatIf = await handle.db.query(
            `select threshold, rotations::int, dead_runs_saved::int, recovered::int from dead_session_what_if order by threshold`,
          );
          expect(whatIfRows(whatIf.rows)).toEqual(widened.whatIf);
          const wider = await handle.db.query(
            `select threshold, rotations::int, dead_runs_saved::int, recovered::int from dead_session_what_if_wider order by threshold`,
          );
          expect(whatIfRows(wider.rows)).toEqual(widened.whatIfWider);
          const days = { rows: await sqlDays(handle.db) };
          expect(days.rows).toEqual(widened.days);
          // And the database reader under the same options.
          const fromDb = await auditDeadSessionsFromDatabase(handle.db, options);
          expect([fromDb.deadRunRule, fromDb.totals, fromDb.whatIf, fromDb.whatIfWider]).toEqual([
            widened.deadRunRule,
            widened.totals,
            widened.whatIf,
            widened.whatIfWider,
          ]);
        } finally {
          await handle.db.query(`delete from dead_session_scope`);
          await handle.db.query(`refresh materialized view dead_session_runs`);
        }
      }
      const rule = (
        await handle.db.query(
          `select dead_liveness_states as "deadLivenessStates", count_unrecorded_resumes as "countUnrecordedResumes" from dead_session_rule`,
        )
      ).rows[0];
      expect(rule).toEqual({ deadLivenessStates: ["failed"], countUnrecordedResumes: false });
    });

    it("and the narrow export (--export-sql), audited as a file, gives the same report", async () => {
      const text = await handle.exportText(auditExportStatement());
      const fromExport = native.auditDeadSessionsSync(text);
      expect(fromExport.rowsSkipped).toBe(0);
      expect(fromExport.sessions).toEqual(report.sessions);
      expect([
        fromExport.totals,
        fromExport.whatIf,
        fromExport.whatIfWider,
        fromExport.deadStreaks,
        fromExport.days,
      ]).toEqual([report.totals, report.whatIf, report.whatIfWider, report.deadStreaks, report.days]);
      // Fewer bytes than the full rows: only what the audit reads moves.
      const full = await handle.exportText("COPY (SELECT row_to_json(r) FROM heartbeat_runs r) TO STDOUT");
      expect(text.length).toBeLessThan(full.length);
    });

    it("and auditDeadSessionsFromDatabase, reading the table once, agrees with both", async () => {
      let rows = 0;
      const fromDb = await auditDeadSessionsFromDatabase(handle.db, { onPage: (n) => (rows += n) });
      const { rows: count } = await handle.db.query(`select count(*)::int as n from heartbeat_runs`);
      expect(rows).toBe((count[0] as { n: number }).n);
      expect(fromDb.sessions).toEqual(report.sessions);
      expect(fromDb.whatIf).toEqual(report.whatIf);
      expect(fromDb.whatIfWider).toEqual(report.whatIfWider);
      expect(fromDb.days).toEqual(report.days);
      const company = await auditDeadSessionsFromDatabase(handle.db, {
        companyId: "company-1",
        since: "2026-05-02T00:00:00Z",
      });
      expect(company.companies.map((c) => c.companyId)).toEqual(["company-1"]);
      expect(company.sessions.every((s) => s.lastRunAtMs >= Date.parse("2026-05-02T00:00:00Z"))).toBe(true);
    });
  });
}

scenarios("a PostgreSQL server", async () => {
  const server: Server = await startPostgres();
  const exportText: Exporter = async (statement) => {
    const r = spawnSync(
      "psql",
      ["-X", "-q", "-h", "127.0.0.1", "-p", String(server.port), "-U", "postgres", "-c", statement],
      { maxBuffer: 1 << 28 },
    );
    if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
    return r.stdout;
  };
  // The views are in a schema of their own: the tests name it first on every connection.
  const db = new pg.Pool({
    host: "127.0.0.1",
    port: server.port,
    user: "postgres",
    database: "postgres",
    max: 4,
    options: "-c search_path=paperclip_session_audit,public",
  });
  return { db, exportText, close: async () => (await db.end(), await server.stop()) };
});

scenarios("PGlite", async () => {
  const db = new PGlite();
  const exportText: Exporter = async (statement) => {
    const result = (await db.query(statement.replace(/ to stdout$/i, " TO '/dev/blob'"))) as { blob?: Blob };
    return Buffer.from(await result.blob!.arrayBuffer());
  };
  return { db, exportText, close: () => db.close() };
});

describe("the benchmark's DuckDB audit (read_ndjson + window functions)", () => {
  it("answers the native audit's totals, what-if tables, streak lengths and days", async () => {
    // @ts-expect-error plain ESM helper without types
    const { auditFileDuckDb } = await import("../benchmark/audit-duckdb.mjs");
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const file = path.join(mkdtempSync(path.join(tmpdir(), "pcsc-duckdb-")), "history.ndjson");
    // Rows of wrong types stay in; lines that are not JSON go, as DuckDB's ignore_errors also
    // drops the valid line after a truncated one (the bench reports that difference).
    const parses = (line: string) => {
      try {
        return JSON.parse(line) !== null;
      } catch {
        return false;
      }
    };
    writeFileSync(file, [...historyLines({ seed: 8, runsPerSession: 60 })].filter(parses).join("\n"));
    const nativeReport = native.auditDeadSessionsSync(file);
    const duck = await auditFileDuckDb(file, { threads: 2 });
    expect(nativeReport.rowsSkipped).toBeGreaterThan(0);
    // The DuckDB audit is the dead-streak audit a user would write instead: this history records
    // no rotation, and it computes none (the native figures for rotations are all 0 here).
    const { sessionsRotatedDead, rotations, deadRunsBeforeBreakerRotations, ...streakTotals } = nativeReport.totals;
    expect([
      sessionsRotatedDead,
      deadRunsBeforeBreakerRotations,
      Object.values(rotations).every((n) => n === 0),
    ]).toEqual([0, 0, true]);
    expect(duck.totals).toEqual(streakTotals);
    expect(duck.whatIf).toEqual(nativeReport.whatIf);
    expect(duck.whatIfWider).toEqual(nativeReport.whatIfWider);
    expect(duck.deadStreaks).toEqual(nativeReport.deadStreaks);
    expect(duck.days).toEqual(nativeReport.days.map(({ rotations: _r, ...day }) => day));
  });
});

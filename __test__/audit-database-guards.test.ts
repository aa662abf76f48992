// auditDeadSessionsFromDatabase under production guards, on a real PostgreSQL server: a backend
// terminated mid-audit with no signal given, a pool of one, an idle-in-transaction timeout, a
// read-only role that may not export a snapshot, a company id PostgreSQL cannot hold, and a
// filter that matches nothing. It never takes the host down nor hangs, and it reads the same
// rows as a file of them would give.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditDeadSessionsFromDatabase } from "../database.js";
import { native } from "./native";
import { startPostgres, type Server } from "./postgres";

type Report = ReturnType<typeof native.auditDeadSessionsSync> & { database?: { streams: number; route: string } };

let server: Server;
const ROWS = 34_000;
/** The rows as the file route would read them. */
let lines: string[];

const row = (i: number) => ({
  id: `run-${String(i).padStart(6, "0")}`,
  company_id: `company-${i % 3}`,
  agent_id: `agent-${i % 5}`,
  session_id_after: `session-${i % 97}`,
  created_at: Date.UTC(2026, 5, 1) + i * 60_000,
  liveness_state: "failed",
  usage_json:
    i % 4 === 0 ? { inputTokens: 5 } : { sessionReused: true, persistedSessionId: `session-${i % 97}`, inputTokens: 0 },
});

const connection = (settings: Partial<pg.PoolConfig> = {}) => ({
  host: "127.0.0.1",
  port: server.port,
  user: "postgres",
  database: "postgres",
  ...settings,
});

function comparable(r: Report) {
  const { elapsedMs: _e, bytesRead: _b, lines: _l, firstErrors, database: _d, ...rest } = r;
  return { ...rest, firstErrors: firstErrors.map((e) => e.reason) };
}

const fromFile = (options: Record<string, unknown> = {}) =>
  native.auditDeadSessionsSync(Buffer.from(`${lines.join("\n")}\n`), options) as Report;

/** One session's runs at one time on both sides of the table's page split: three dead runs, then at T a live one (written first, so on the first pages) and a dead one (written last). */
const TIED = "session-tied";
const tiedRun = (at: number, dead: boolean) => ({
  id: `tied-${at}-${dead}`,
  company_id: "company-0",
  agent_id: "agent-tied",
  session_id_after: TIED,
  created_at: Date.UTC(2026, 4, 1) + at,
  liveness_state: "failed",
  usage_json: dead ? { sessionReused: true, persistedSessionId: TIED, inputTokens: 0 } : { inputTokens: 5 },
});

beforeAll(async () => {
  server = await startPostgres();
  const bulk = Array.from({ length: ROWS }, (_, i) => row(i));
  const first = [tiedRun(1, true), tiedRun(2, true), tiedRun(3, true), tiedRun(9, false)];
  const last = [tiedRun(9, true)];
  const rows = [...first, ...bulk, ...last];
  // The file holds the same rows in another order: the report must not tell.
  lines = [...rows].reverse().map((r) => JSON.stringify(r));
  // A kilobyte of padding a row: over 4,096 pages, where a pool reads by two COPYs.
  await server.pool.query(
    `create table heartbeat_runs (id text primary key, company_id text, agent_id text, session_id_before text, session_id_after text, created_at timestamptz, liveness_state text, usage_json jsonb, context_snapshot jsonb, pad text)`,
  );
  const insert = (list: unknown[]) =>
    server.pool.query(
      `insert into heartbeat_runs select r->>'id', r->>'company_id', r->>'agent_id', null, r->>'session_id_after', to_timestamp((r->>'created_at')::float8 / 1000), r->>'liveness_state', r->'usage_json', null, repeat(md5(r->>'id'), 32) from json_array_elements($1::json) r`,
      [JSON.stringify(list)],
    );
  await server.pool.query(`alter table heartbeat_runs alter column pad set storage plain`);
  for (const list of [first, bulk, last]) await insert(list);
  const { rows: size } = await server.pool.query(
    `select pg_relation_size('heartbeat_runs') / 8192 as pages, (select (ctid::text::point)[0] from heartbeat_runs where id = $1) as live_page, (select (ctid::text::point)[0] from heartbeat_runs where id = $2) as dead_page`,
    [tiedRun(9, false).id, tiedRun(9, true).id],
  );
  const pages = Number(size[0].pages);
  expect(pages).toBeGreaterThanOrEqual(4096);
  // The two runs at T sit on either side of the split.
  expect([Number(size[0].live_page) < pages / 2 - 1, Number(size[0].dead_page) >= pages / 2]).toEqual([true, true]);
}, 300_000);

afterAll(async () => {
  await server?.stop();
});

describe("runs at one time, one on each side of the page split", () => {
  it("give one report by one COPY, two COPYs, a file in another order, and the SQL: live first, then dead", async () => {
    const tied = (r: Report) => r.sessions.find((s) => s.sessionId === TIED);
    const twoCopies = (await auditDeadSessionsFromDatabase(server.pool, {})) as Report;
    expect(twoCopies.database?.streams).toBe(2);
    const client = await server.connect();
    let oneCopy: Report;
    try {
      oneCopy = (await auditDeadSessionsFromDatabase(client, {})) as Report;
    } finally {
      await client.end();
    }
    expect(oneCopy.database?.streams).toBe(1);
    // Three dead, then at T the live run and the dead one: live first, so the session ends on a
    // streak of 1.
    expect(tied(oneCopy)).toMatchObject({
      runs: 5,
      deadRuns: 4,
      longestDeadStreak: 3,
      currentDeadStreak: 1,
      deadNow: false,
    });
    expect(comparable(twoCopies)).toEqual(comparable(oneCopy));
    expect(comparable(fromFile())).toEqual(comparable(oneCopy));
    // The same rows, pushed in yet another order.
    const auditor = new native.DeadSessionAuditor();
    for (const line of [...lines].sort()) auditor.pushRow(line);
    expect(comparable(auditor.finish() as Report)).toEqual(comparable(oneCopy));
    // And the SQL.
    const sql = readFileSync(path.join(__dirname, "..", "sql", "dead_sessions.sql"), "utf8");
    await server.pool.query(sql);
    const { rows } = await server.pool.query(
      `select runs::int, dead_runs::int, longest_dead_streak::int, current_dead_streak::int, dead_now from paperclip_session_audit.dead_sessions where session_id = $1`,
      [TIED],
    );
    expect(rows).toEqual([{ runs: 5, dead_runs: 4, longest_dead_streak: 3, current_dead_streak: 1, dead_now: false }]);
  });
});

describe("the database reader under production guards", () => {
  it("a pool reads the table by two COPYs, the same report as the file", async () => {
    const report = (await auditDeadSessionsFromDatabase(server.pool, {})) as Report;
    expect(report.database).toMatchObject({ route: "copy", streams: 2 });
    expect(comparable(report)).toEqual(comparable(fromFile()));
  });

  it("a backend terminated mid-audit, no signal given: the audit rejects, the process lives on", async () => {
    const pool = new pg.Pool({ ...connection(), max: 4 });
    pool.on("error", () => {});
    const killer = await server.connect();
    try {
      let killed: Promise<unknown> | null = null;
      const audit = auditDeadSessionsFromDatabase(pool, {
        onPage: () => {
          killed ??= killer.query(
            `select pg_terminate_backend(pid) from pg_stat_activity where query like 'copy (%' and pid <> pg_backend_pid()`,
          );
        },
      });
      await expect(audit).rejects.toThrow();
      await killed;
      // Still here, and the pool still serves.
      expect((await pool.query("select 1 as one")).rows[0].one).toBe(1);
    } finally {
      await killer.end();
      await pool.end();
    }
  });

  it("a pool of one settles, by one COPY", async () => {
    const pool = new pg.Pool({ ...connection(), max: 1 });
    try {
      const report = (await auditDeadSessionsFromDatabase(pool, {})) as Report;
      expect(report.database?.streams).toBe(1);
      expect(comparable(report)).toEqual(comparable(fromFile()));
    } finally {
      await pool.end();
    }
  });

  it("under idle_in_transaction_session_timeout, one COPY (no connection waits idle for its twin)", async () => {
    const pool = new pg.Pool({ ...connection(), max: 4, options: "-c idle_in_transaction_session_timeout=5s" });
    pool.on("error", () => {});
    try {
      const report = (await auditDeadSessionsFromDatabase(pool, {})) as Report;
      expect(report.database?.streams).toBe(1);
      expect(comparable(report)).toEqual(comparable(fromFile()));
    } finally {
      await pool.end();
    }
  });

  it("names the timeout when the server ends the audit's connection for it", async () => {
    // A plain queryable that thinks between its queries longer than the timeout allows.
    const client = await server.connect({ idle_in_transaction_session_timeout: "100ms" });
    client.on("error", () => {});
    const slow = {
      query: async (sql: string, params?: unknown[]) => (
        await new Promise((r) => setTimeout(r, 400)),
        client.query(sql, params)
      ),
    };
    try {
      await expect(auditDeadSessionsFromDatabase(slow, {})).rejects.toThrow(
        /idle_in_transaction_session_timeout is 100ms/,
      );
    } finally {
      await client.end().catch(() => {});
    }
  });

  it("a read-only role that may not export a snapshot audits through a pool, by one COPY", async () => {
    await server.pool.query(`create role pcsc_auditor login`);
    await server.pool.query(`grant select on heartbeat_runs to pcsc_auditor`);
    await server.pool.query(`revoke execute on function pg_export_snapshot() from public`);
    const pool = new pg.Pool({ ...connection({ user: "pcsc_auditor" }), max: 4 });
    try {
      const report = (await auditDeadSessionsFromDatabase(pool, {})) as Report;
      expect(report.database?.streams).toBe(1);
      expect(comparable(report)).toEqual(comparable(fromFile()));
    } finally {
      await pool.end();
      await server.pool.query(`grant execute on function pg_export_snapshot() to public`);
    }
  });

  it("a company id holding U+0000 matches no row, as from a file: no protocol error", async () => {
    const companyId = "company-1\u0000";
    const report = (await auditDeadSessionsFromDatabase(server.pool, { companyId })) as Report;
    expect(report.rowsUsed).toBe(0);
    expect(comparable(report)).toEqual(comparable(fromFile({ companyId })));
  });

  it("a filter that matches nothing counts the rows it left out, as from a file", async () => {
    for (const options of [
      { companyId: "no-such-company" },
      { since: "2030-01-01T00:00:00Z" },
      { companyId: "company-2", since: new Date(Date.UTC(2026, 5, 10)).toISOString() },
    ]) {
      const report = (await auditDeadSessionsFromDatabase(server.pool, options)) as Report;
      expect(comparable(report), JSON.stringify(options)).toEqual(comparable(fromFile(options)));
    }
  });

  it("the CLI: --database with --company matching nothing exits 0, says no run matched, and its OpenMetrics says complete", () => {
    const cli = path.join(__dirname, "..", "bin", "paperclip-session-audit.mjs");
    const url = `postgres://postgres@127.0.0.1:${server.port}/postgres`;
    const dir = mkdtempSync(path.join(tmpdir(), "pcsc-guards-"));
    try {
      const metrics = path.join(dir, "audit.prom");
      const r = spawnSync(process.execPath, [cli, "--database", url, "--company", "typo", "--openmetrics", metrics], {
        encoding: "utf8",
      });
      expect(r.status).toBe(0);
      expect(r.stderr).toContain("no run matched --company typo");
      expect(r.stdout).not.toContain("INCOMPLETE");
      expect(readFileSync(metrics, "utf8")).toContain("paperclip_session_audit_complete 1\n");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

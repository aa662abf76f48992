// auditDeadSessionsFromDatabase against a real PostgreSQL server (started by the tests: see
// postgres.ts) and against PGlite: every row read once or counted as skipped, under any
// DateStyle and TimeZone, with json and jsonb usage columns, timestamptz and plain timestamp
// columns, NULL times on page boundaries, and rows whose JSON holds line breaks.
import { PGlite } from "@electric-sql/pglite";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditDeadSessionsFromDatabase } from "../database.js";
import { native } from "./native";
import { startPostgres, type Server } from "./postgres";

type Db = { query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>; exec?(sql: string): Promise<unknown> };
type Report = ReturnType<typeof native.auditDeadSessionsSync>;

type Run = { id: string; company: string; agent: string; session: string | null; micros: bigint | null; dead: boolean };

/** Runs with microsecond times, ties on the same time (the id decides), three companies. */
function runs(count: number, seed = 1): Run[] {
  const out: Run[] = [];
  const base = 1_780_272_000_000_000n; // 2026-06-01T00:00:00Z in microseconds
  let x = seed;
  const next = () => (x = (x * 1103515245 + 12345) % 2147483648);
  for (let i = 0; i < count; i++) {
    const tie = i > 0 && next() % 5 === 0;
    const micros = tie ? out[i - 1].micros : base + BigInt(i) * 3_600_000_123n + BigInt(next() % 999);
    out.push({ id: `run-${String(next()).padStart(10, "0")}`, company: `company-${i % 3}`, agent: `agent-${i % 2}`, session: i % 11 === 10 ? null : `session-${i % 4}`, micros, dead: next() % 3 !== 0 });
  }
  return out;
}

const usage = (r: Run) => (r.dead ? { sessionReused: true, persistedSessionId: r.session, inputTokens: 0, rawInputTokens: 0 } : { inputTokens: 10 });
const isoMicros = (micros: bigint) => {
  const ms = micros / 1000n;
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, 19)}.${String(micros % 1_000_000n).padStart(6, "0")}+00`;
};

/** The report of the same runs, audited from JSON lines with their times in milliseconds. */
function expected(list: Run[]): Report {
  const lines = list.map((r) =>
    JSON.stringify({ id: r.id, company_id: r.company, agent_id: r.agent, session_id_after: r.session, created_at: r.micros === null ? null : Number(r.micros / 1000n), liveness_state: "failed", usage_json: usage(r) }),
  );
  return native.auditDeadSessionsSync(Buffer.from(lines.join("\n") + "\n"));
}

function comparable(r: Report) {
  const { elapsedMs: _e, bytesRead: _b, lines: _l, firstErrors, ...rest } = r;
  return { ...rest, firstErrors: firstErrors.map((e) => e.reason) };
}

async function load(db: Db, list: Run[], { time = "timestamptz", usageType = "jsonb", pretty = false } = {}) {
  await db.query(`drop table if exists heartbeat_runs`);
  await db.query(`create table heartbeat_runs (id uuid, text_id text primary key, company_id text not null, agent_id text not null,
    session_id_after text, created_at ${time}, liveness_state text, usage_json ${usageType}, context_snapshot json)`);
  for (const r of list) {
    const json = JSON.stringify(usage(r), null, pretty ? 2 : undefined);
    await db.query(`insert into heartbeat_runs (text_id, company_id, agent_id, session_id_after, created_at, liveness_state, usage_json, context_snapshot)
      values ($1, $2, $3, $4, $5::timestamptz ${time === "timestamp" ? "at time zone 'UTC'" : ""}, 'failed', $6, $7)`, [
      r.id, r.company, r.agent, r.session, r.micros === null ? null : isoMicros(r.micros), json, pretty ? '{\n  "note": "line\\nbreak",\n  "n": 1\n}' : null,
    ]);
  }
  // The reader pages on id: Paperclip's is a uuid; here the text id is the key.
  await db.query(`alter table heartbeat_runs drop column id`);
  await db.query(`alter table heartbeat_runs rename column text_id to id`);
}

function scenarios(name: string, open: () => Promise<{ db: Db; settle?: (settings: Record<string, string>) => Promise<Db>; close(): Promise<void> }>) {
  describe(name, () => {
    let handle: Awaited<ReturnType<typeof open>>;
    beforeAll(async () => {
      handle = await open();
    });
    afterAll(async () => {
      await handle?.close();
    });

    it("reads every row once, NULL times counted as skipped, even when a page ends on one", async () => {
      const list = runs(50);
      list[6].micros = null; // the last row of the first 7-row page, by id order of untimed rows too
      list[20].micros = null;
      await load(handle.db, list);
      for (const pageSize of [1, 7, 10_000]) {
        const report = await auditDeadSessionsFromDatabase(handle.db, { pageSize });
        expect(report.rowsSkipped).toBe(2);
        expect(report.skippedByReason).toEqual([{ reason: "created_at missing or not a time", rows: 2 }]);
        expect(comparable(report)).toEqual(comparable(expected(list)));
      }
    });

    it("reads the same under every DateStyle and TimeZone", async () => {
      const list = runs(30, 7);
      await load(handle.db, list);
      const want = comparable(expected(list));
      const styles = [
        { DateStyle: "Postgres, MDY", TimeZone: "Asia/Kolkata" },
        { DateStyle: "SQL, DMY", TimeZone: "America/St_Johns" },
        { DateStyle: "German", TimeZone: "Pacific/Chatham" },
        { DateStyle: "ISO, YMD", TimeZone: "Africa/Monrovia" },
      ];
      for (const settings of styles) {
        const db = handle.settle ? await handle.settle(settings) : handle.db;
        if (!handle.settle) for (const [k, v] of Object.entries(settings)) await db.query(`select set_config($1, $2, false)`, [k, v]);
        for (const pageSize of [3, 10_000]) {
          const report = await auditDeadSessionsFromDatabase(db, { pageSize });
          expect({ settings, pageSize, report: comparable(report) }).toEqual({ settings, pageSize, report: want });
        }
        if (!handle.settle) await db.query(`reset all`);
      }
    });

    it("reads json columns whose text holds line breaks, and jsonb", async () => {
      const list = runs(25, 3);
      for (const usageType of ["json", "jsonb"]) {
        await load(handle.db, list, { usageType, pretty: true });
        const report = await auditDeadSessionsFromDatabase(handle.db, { pageSize: 4 });
        expect({ usageType, report: comparable(report) }).toEqual({ usageType, report: comparable(expected(list)) });
        expect(report.rowsSkipped).toBe(0);
      }
    });

    it("reads a timestamp without time zone column as UTC", async () => {
      const list = runs(30, 11);
      await load(handle.db, list, { time: "timestamp" });
      const report = await auditDeadSessionsFromDatabase(handle.db, { pageSize: 4 });
      expect(comparable(report)).toEqual(comparable(expected(list)));
      const since = new Date(Number(list[15].micros! / 1000n));
      const later = await auditDeadSessionsFromDatabase(handle.db, { pageSize: 4, since, companyId: "company-1" });
      const want = list.filter((r) => r.company === "company-1" && r.micros !== null && r.micros / 1000n >= list[15].micros! / 1000n);
      expect(later.rowsUsed).toBe(want.filter((r) => r.session !== null).length);
    });

    it("stops on an aborted signal and refuses a bad page size", async () => {
      await load(handle.db, runs(5));
      await expect(auditDeadSessionsFromDatabase(handle.db, { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: "AbortError" });
      await expect(auditDeadSessionsFromDatabase(handle.db, { pageSize: 0 })).rejects.toThrow(/pageSize/);
    });
  });
}

scenarios("PostgreSQL server", async () => {
  const server: Server = await startPostgres();
  const clients: pg.Client[] = [];
  return {
    db: server.pool,
    async settle(settings) {
      const client = await server.connect(settings);
      clients.push(client);
      return client;
    },
    async close() {
      for (const c of clients) await c.end();
      await server.stop();
    },
  };
});

scenarios("PGlite", async () => {
  const db = new PGlite();
  return { db, close: () => db.close() };
});

// auditDeadSessionsFromDatabase against a real PostgreSQL server (started by the tests: see
// postgres.ts), by COPY through a node-postgres Pool and Client and by a cursor through a plain
// queryable, and against PGlite: every row read once or counted as skipped, under any DateStyle
// and TimeZone, with json and jsonb usage columns, timestamptz and plain timestamp columns,
// NULL times and ids, ties, rows whose JSON holds line breaks, one snapshot while rows change,
// `since` values JavaScript reads, and an abort while the server waits on a lock.
import { PGlite } from "@electric-sql/pglite";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditDeadSessionsFromDatabase } from "../database.js";
import { native } from "./native";
import { startPostgres, type Server } from "./postgres";

type Db = {
  query(sql: string, params?: unknown[]): Promise<{ rows: unknown[] }>;
  exec?(sql: string): Promise<unknown>;
};
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
    out.push({
      id: `run-${String(next()).padStart(10, "0")}`,
      company: `company-${i % 3}`,
      agent: `agent-${i % 2}`,
      session: i % 11 === 10 ? null : `session-${i % 4}`,
      micros,
      dead: next() % 3 !== 0,
    });
  }
  return out;
}

const usage = (r: Run) =>
  r.dead
    ? { sessionReused: true, persistedSessionId: r.session, inputTokens: 0, rawInputTokens: 0 }
    : { inputTokens: 10 };
const isoMicros = (micros: bigint) => {
  const ms = micros / 1000n;
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, 19)}.${String(micros % 1_000_000n).padStart(6, "0")}+00`;
};

/** The report of the same runs, audited from JSON lines with their times in milliseconds. */
function expected(list: Run[]): Report {
  const lines = list.map((r) =>
    JSON.stringify({
      id: r.id,
      company_id: r.company,
      agent_id: r.agent,
      session_id_after: r.session,
      created_at: r.micros === null ? null : Number(r.micros / 1000n),
      liveness_state: "failed",
      usage_json: usage(r),
    }),
  );
  return native.auditDeadSessionsSync(Buffer.from(lines.join("\n") + "\n"));
}

function comparable(r: Report) {
  const {
    elapsedMs: _e,
    bytesRead: _b,
    lines: _l,
    firstErrors,
    database: _d,
    ...rest
  } = r as Report & { database?: unknown };
  return { ...rest, firstErrors: firstErrors.map((e) => e.reason) };
}

async function load(db: Db, list: Run[], { time = "timestamptz", usageType = "jsonb", pretty = false } = {}) {
  await db.query(`drop table if exists heartbeat_runs`);
  await db.query(`create table heartbeat_runs (id uuid, text_id text primary key, company_id text not null, agent_id text not null,
    session_id_after text, created_at ${time}, liveness_state text, usage_json ${usageType}, context_snapshot json)`);
  for (const r of list) {
    const json = JSON.stringify(usage(r), null, pretty ? 2 : undefined);
    await db.query(
      `insert into heartbeat_runs (text_id, company_id, agent_id, session_id_after, created_at, liveness_state, usage_json, context_snapshot)
      values ($1, $2, $3, $4, $5::timestamptz ${time === "timestamp" ? "at time zone 'UTC'" : ""}, 'failed', $6, $7)`,
      [
        r.id,
        r.company,
        r.agent,
        r.session,
        r.micros === null ? null : isoMicros(r.micros),
        json,
        pretty ? '{\n  "note": "line\\nbreak",\n  "n": 1\n}' : null,
      ],
    );
  }
  // The reader pages on id: Paperclip's is a uuid; here the text id is the key.
  await db.query(`alter table heartbeat_runs drop column id`);
  await db.query(`alter table heartbeat_runs rename column text_id to id`);
}

type Handle = {
  db: Db;
  settle?: (settings: Record<string, string>) => Promise<Db>;
  other?: () => Promise<pg.Client>;
  route: string;
  close(): Promise<void>;
};

function scenarios(name: string, open: () => Promise<Handle>) {
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
        expect((report as unknown as { database: { route: string } }).database.route).toBe(handle.route);
        expect(report.rowsSkipped).toBe(2);
        expect(report.skippedByReason).toEqual([
          { reason: "created_at missing or not a time", code: "created_at", rows: 2 },
        ]);
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
        if (!handle.settle)
          for (const [k, v] of Object.entries(settings)) await db.query(`select set_config($1, $2, false)`, [k, v]);
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
      const want = list.filter(
        (r) => r.company === "company-1" && r.micros !== null && r.micros / 1000n >= list[15].micros! / 1000n,
      );
      expect(later.rowsUsed).toBe(want.filter((r) => r.session !== null).length);
    });

    it("reads rows that share a time and an id, or have no id, or neither: each once", async () => {
      const list = runs(12, 5);
      await load(handle.db, list);
      await handle.db.query(`alter table heartbeat_runs drop constraint heartbeat_runs_pkey`);
      await handle.db.query(`alter table heartbeat_runs alter column id drop not null`);
      await handle.db.query(
        `update heartbeat_runs set created_at = (select min(created_at) from heartbeat_runs), id = 'same' where id in (select id from heartbeat_runs order by id limit 4)`,
      );
      await handle.db.query(
        `update heartbeat_runs set id = null where id in (select id from heartbeat_runs where id <> 'same' order by id limit 3)`,
      );
      await handle.db.query(
        `update heartbeat_runs set id = null, created_at = null where id in (select id from heartbeat_runs where id <> 'same' order by id limit 2)`,
      );
      for (const pageSize of [1, 3, 10_000]) {
        const report = await auditDeadSessionsFromDatabase(handle.db, { pageSize });
        expect({ pageSize, rows: report.rowsUsed + report.rowsSkipped + report.rowsFiltered }).toEqual({
          pageSize,
          rows: 12,
        });
        expect(report.rowsSkipped).toBe(2);
      }
    });

    it("filters on a company id holding quotes, backslashes and dollar signs", async () => {
      const list = runs(6, 17);
      await load(handle.db, list);
      const odd = "co'\\mp$2 $1'--";
      await handle.db.query(
        `update heartbeat_runs set company_id = $1 where id = (select min(id) from heartbeat_runs where session_id_after is not null)`,
        [odd],
      );
      const report = await auditDeadSessionsFromDatabase(handle.db, { companyId: odd });
      expect(report.companies.map((c) => c.companyId)).toEqual([odd]);
      expect(report.rowsUsed).toBe(1);
    });

    it("takes the since values JavaScript reads, expanded and year-0 ones too", async () => {
      const list = runs(20, 9);
      await load(handle.db, list);
      for (const since of [
        "0000-06-01T00:00:00Z",
        "-000001-01-01T00:00:00Z",
        "+012026-06-01T00:00:00Z",
        "+275760-09-13T00:00:00.000Z",
        new Date(Number(list[10].micros! / 1000n)),
      ]) {
        const report = await auditDeadSessionsFromDatabase(handle.db, { since });
        const from = typeof since === "string" ? Date.parse(since) : since.getTime();
        const kept = list.filter((r) => r.micros === null || Number(r.micros / 1000n) >= from);
        expect({ since: String(since), rows: report.rowsUsed + report.rowsSkipped }).toEqual({
          since: String(since),
          rows: kept.filter((r) => r.session !== null || r.micros === null).length,
        });
      }
    });

    it("stops on an aborted signal and refuses a bad page size", async () => {
      await load(handle.db, runs(5));
      await expect(auditDeadSessionsFromDatabase(handle.db, { signal: AbortSignal.abort() })).rejects.toMatchObject({
        name: "AbortError",
      });
      await expect(auditDeadSessionsFromDatabase(handle.db, { pageSize: 0 })).rejects.toThrow(/pageSize/);
    });
  });
}

scenarios("PostgreSQL server, COPY through a Pool (and Clients)", async () => {
  const server: Server = await startPostgres();
  const clients: pg.Client[] = [];
  return {
    db: server.pool,
    route: "copy",
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

scenarios("PostgreSQL server, a cursor through a plain queryable on one connection", async () => {
  const server: Server = await startPostgres();
  const client = await server.connect();
  // Only `query`: not recognisably node-postgres, so the reader takes the cursor route.
  const db: Db = { query: (sql, params) => client.query(sql, params) };
  return {
    db,
    route: "cursor",
    async close() {
      await client.end();
      await server.stop();
    },
  };
});

scenarios("PGlite", async () => {
  const db = new PGlite();
  return { db, route: "copy", close: () => db.close() };
});

describe("PostgreSQL server, while the table changes or waits", () => {
  let server: Server;
  beforeAll(async () => {
    server = await startPostgres();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it("reads one snapshot: rows changed during the audit are read as they were, once", async () => {
    const list = runs(30_000, 13);
    await server.pool.query(`drop table if exists heartbeat_runs`);
    // A kilobyte of padding a row: over 32 MB, so a Pool reads it by two COPYs at once.
    await server.pool.query(
      `create table heartbeat_runs (id text primary key, company_id text not null, agent_id text not null, session_id_after text, created_at timestamptz, liveness_state text, usage_json jsonb, pad text)`,
    );
    await server.pool.query(
      `insert into heartbeat_runs select r->>'id', r->>'company', r->>'agent', r->>'session', to_timestamp((r->>'ms')::float8 / 1000), 'failed', r->'usage', repeat(md5(r->>'id'), 36) from json_array_elements($1::json) r`,
      [
        JSON.stringify(
          list.map((r, i) => ({
            id: `${r.id}-${i}`,
            company: r.company,
            agent: r.agent,
            session: r.session,
            ms: r.micros === null ? null : Number(r.micros / 1000n),
            usage: usage(r),
          })),
        ),
      ],
    );
    await server.pool.query(`alter table heartbeat_runs alter column pad set storage plain`);
    const writer = await server.connect();
    try {
      let changed = 0;
      let writes: Promise<unknown> = Promise.resolve();
      const report = await auditDeadSessionsFromDatabase(server.pool, {
        onPage: () => {
          // Runs as the first lines arrive: moves rows the COPY has not reached yet, and adds one.
          if (changed++ === 0)
            writes = writer
              .query(
                `update heartbeat_runs set created_at = created_at + interval '1 day', usage_json = '{"inputTokens": 5}' where ctid > '(1000,0)'`,
              )
              .then(() =>
                writer.query(
                  `insert into heartbeat_runs values ('late', 'company-0', 'agent-0', 'session-0', now(), 'failed', '{}')`,
                ),
              );
        },
      });
      expect(changed).toBeGreaterThan(1);
      await writes;
      expect(comparable(report)).toEqual(comparable(expected(list)));
      expect((report as unknown as { database: { snapshot: string; streams: number } }).database).toMatchObject({
        snapshot: expect.stringMatching(/^\d+:\d+:/),
        streams: 2,
      });
      const client = await server.connect();
      try {
        // One Client: one COPY, the same rows.
        const after = await auditDeadSessionsFromDatabase(client, {});
        expect((after as unknown as { database: { streams: number } }).database.streams).toBe(1);
        expect(after.rowsUsed + after.rowsSkipped).toBe(report.rowsUsed + report.rowsSkipped + 1);
      } finally {
        await client.end();
      }
    } finally {
      await writer.end();
    }
  });

  it("stops when aborted while the server waits on a lock, and the connection pool goes on", async () => {
    await server.pool.query(`drop table if exists heartbeat_runs`);
    await server.pool.query(
      `create table heartbeat_runs (id text, company_id text, agent_id text, session_id_after text, created_at timestamptz, liveness_state text, usage_json jsonb)`,
    );
    const locker = await server.connect();
    try {
      await locker.query("begin");
      await locker.query("lock table heartbeat_runs in access exclusive mode");
      const controller = new AbortController();
      const audit = auditDeadSessionsFromDatabase(server.pool, { signal: controller.signal });
      setTimeout(() => controller.abort(), 300);
      await expect(audit).rejects.toMatchObject({ name: "AbortError" });
      // Still locked: the audit did not wait for the lock to go.
      expect(
        (
          await server.pool.query(
            `select count(*)::int as n from pg_locks where relation = 'heartbeat_runs'::regclass and granted`,
          )
        ).rows[0].n,
      ).toBeGreaterThan(0);
      await locker.query("rollback");
      const report = await auditDeadSessionsFromDatabase(server.pool, {});
      expect(report.rowsUsed).toBe(0);
    } finally {
      await locker.end();
    }
  });
});

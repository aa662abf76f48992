// sql/dead_sessions.sql gives the native audit's numbers on the same history, in PGlite.
import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PGlite } from "@electric-sql/pglite";
// @ts-expect-error plain ESM helper without types
import { historyLines } from "../benchmark/history.mjs";
import { native } from "./native";
import { auditDeadSessionsFromDatabase } from "../database.js";

let db: PGlite;
const lines: string[] = [...historyLines({ seed: 31, clean: true, runsPerSession: 50 })];

beforeAll(async () => {
  db = new PGlite();
  await db.exec(`create table heartbeat_runs (id uuid primary key, company_id text not null, agent_id text not null, session_id_after text,
    created_at timestamptz not null, liveness_state text, usage_json jsonb, result_json jsonb, error text)`);
  await db.exec(readFileSync(path.join(__dirname, "..", "sql", "dead_sessions.sql"), "utf8"));
  for (let i = 0; i < lines.length; i += 500) {
    const rows = lines.slice(i, i + 500).map((l) => {
      const r = JSON.parse(l);
      return { id: r.id, company_id: r.company_id ?? r.companyId, agent_id: r.agent_id ?? r.agentId, session_id_after: r.session_id_after ?? r.sessionIdAfter ?? null, created_at: r.created_at ?? r.createdAt, liveness_state: r.liveness_state ?? r.livenessState ?? null, usage_json: r.usage_json ?? r.usageJson ?? null };
    });
    await db.query(`insert into heartbeat_runs (id, company_id, agent_id, session_id_after, created_at, liveness_state, usage_json)
      select id, company_id, agent_id, session_id_after, created_at, liveness_state, usage_json from jsonb_to_recordset($1::jsonb)
        as x(id uuid, company_id text, agent_id text, session_id_after text, created_at timestamptz, liveness_state text, usage_json jsonb)`, [JSON.stringify(rows)]);
  }
}, 120_000);

afterAll(async () => {
  await db?.close();
});

describe("sql/dead_sessions.sql", () => {
  it("finds the same sessions, streaks and dead-now verdicts as the native audit", async () => {
    const report = native.auditDeadSessionsSync(Buffer.from(lines.join("\n")));
    const { rows } = await db.query<Record<string, unknown>>(`select company_id, agent_id, session_id, runs::int, dead_runs::int, longest_dead_streak::int, current_dead_streak::int, dead_now from dead_sessions order by company_id, agent_id, session_id`);
    const fromSql = rows.map((r) => [r.company_id, r.agent_id, r.session_id, r.runs, r.dead_runs, r.longest_dead_streak, r.current_dead_streak, r.dead_now]);
    const fromNative = report.sessions.map((s) => [s.companyId, s.agentId, s.sessionId, s.runs, s.deadRuns, s.longestDeadStreak, s.currentDeadStreak, s.deadNow]);
    expect(fromSql).toEqual(fromNative);
    expect(report.totals.sessionsDeadNow).toBeGreaterThan(0);
  });

  it("gives the same what-if table", async () => {
    const report = native.auditDeadSessionsSync(Buffer.from(lines.join("\n")));
    const { rows } = await db.query<{ threshold: number; rotations: number; dead_runs_saved: number }>(`select threshold, rotations::int, dead_runs_saved::int from dead_session_what_if order by threshold`);
    expect(rows.map((r) => ({ threshold: r.threshold, rotations: r.rotations, deadRunsSaved: r.dead_runs_saved }))).toEqual(report.whatIf);
  });

  it("and auditDeadSessionsFromDatabase, reading the table in pages, agrees with both", async () => {
    const fromFile = native.auditDeadSessionsSync(Buffer.from(lines.join("\n")));
    let pages = 0;
    const fromDb = await auditDeadSessionsFromDatabase(db, { pageSize: 700, onPage: () => pages++ });
    expect(pages).toBeGreaterThan(3);
    expect(fromDb.sessions).toEqual(fromFile.sessions);
    expect(fromDb.whatIf).toEqual(fromFile.whatIf);
    const company = await auditDeadSessionsFromDatabase(db, { companyId: "company-1", since: "2026-05-02T00:00:00Z" });
    expect(company.companies.map((c) => c.companyId)).toEqual(["company-1"]);
    expect(company.sessions.every((s) => s.lastRunAt >= Date.parse("2026-05-02T00:00:00Z"))).toBe(true);
  });
});

describe("the benchmark's DuckDB audit (read_ndjson + window functions)", () => {
  it("answers the native audit's totals and what-if table", async () => {
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
    const native = (await import("./native")).native.auditDeadSessionsSync(file);
    const duck = await auditFileDuckDb(file, { threads: 2 });
    expect(native.rowsSkipped).toBeGreaterThan(0);
    expect(duck.totals).toEqual(native.totals);
    expect(duck.whatIf).toEqual(native.whatIf);
  });
});

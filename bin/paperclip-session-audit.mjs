#!/usr/bin/env node
// paperclip-session-audit: dead sessions in a heartbeat_runs history, and what each breaker
// threshold would have saved.
//
//   paperclip-session-audit runs.ndjson[.gz]      a file (row_to_json lines; gzip detected)
//   paperclip-session-audit -                     standard input
//   paperclip-session-audit --database URL        Postgres (or DATABASE_URL), read in pages
//   paperclip-session-audit --pglite DIR          a PGlite data directory, read in pages
//   options: --json  --company ID  --since TIME  --no-progress
//            --ordered (rows ordered by created_at: memory bounded by the number of sessions)
import { createRequire } from "node:module";
import { parseArgs } from "node:util";

const require = createRequire(import.meta.url);
const core = { ...require("../index.js"), ...require("../database.js") };

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    json: { type: "boolean", default: false },
    company: { type: "string" },
    since: { type: "string" },
    database: { type: "string" },
    pglite: { type: "string" },
    "no-progress": { type: "boolean", default: false },
    ordered: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});

const usage = `usage: paperclip-session-audit <file.ndjson[.gz] | -> [--json] [--company ID] [--since TIME] [--ordered]
       paperclip-session-audit --database postgres://… | --pglite DIR [--json] [--company ID] [--since TIME]
Input rows are heartbeat_runs rows as JSON, one per line:
  psql -At -c "SELECT row_to_json(r) FROM heartbeat_runs r" > runs.ndjson`;

if (values.help || (positionals.length === 0 && !values.database && !values.pglite && !process.env.DATABASE_URL)) {
  console.error(usage);
  process.exit(values.help ? 0 : 2);
}

const options = {
  companyId: values.company,
  since: values.since,
  progress: !values.json && !values["no-progress"] && process.stderr.isTTY === true,
  ordered: values.ordered,
};

async function fromDatabase() {
  if (values.pglite) {
    const { PGlite } = await import("@electric-sql/pglite");
    const db = new PGlite(values.pglite);
    try {
      return await core.auditDeadSessionsFromDatabase(db, options);
    } finally {
      await db.close();
    }
  }
  const { default: pg } = await import("pg");
  const pool = new pg.Pool({ connectionString: values.database ?? process.env.DATABASE_URL });
  let rows = 0;
  try {
    return await core.auditDeadSessionsFromDatabase(pool, { ...options, onPage: (n) => options.progress && process.stderr.write(`\r${(rows += n)} rows read`) });
  } finally {
    if (options.progress) process.stderr.write("\n");
    await pool.end();
  }
}

let report;
try {
  report = positionals.length > 0 ? core.auditDeadSessions(positionals[0], options) : await fromDatabase();
} catch (error) {
  console.error(`paperclip-session-audit: ${error.message}`);
  process.exit(1);
}

if (values.json) {
  process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  process.exit(0);
}

const n = (x) => x.toLocaleString("en-US");
const time = (ms) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");
function table(headers, rows, align = []) {
  const cells = [headers, ...rows].map((r) => r.map(String));
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
  const line = (r) => r.map((v, c) => (align[c] === "r" ? v.padStart(widths[c]) : v.padEnd(widths[c]))).join("  ").trimEnd();
  return [line(cells[0]), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}

const t = report.totals;
const seconds = report.elapsedMs / 1000;
console.log(`${n(report.lines)} lines, ${n(report.rowsUsed)} runs audited in ${seconds.toFixed(2)} s (${n(Math.round(report.bytesRead / 1e6 / Math.max(seconds, 1e-6)))} MB/s)`);
console.log(`${n(t.sessions)} sessions, ${n(t.runs)} runs, ${n(t.deadRuns)} dead runs; ${n(t.sessionsWithDeadStreak)} sessions had a dead streak of 3+, ${n(t.sessionsDeadNow)} are dead now`);
if (report.rowsFiltered) console.log(`${n(report.rowsFiltered)} rows left out by --company/--since`);
if (report.rowsWithoutSession) console.log(`${n(report.rowsWithoutSession)} rows without a persisted session`);

console.log("\nBy company\n" + table(["company", "agents", "sessions", "runs", "dead runs", "dead now"], report.companies.map((c) => [c.companyId, n(c.agents), n(c.totals.sessions), n(c.totals.runs), n(c.totals.deadRuns), n(c.totals.sessionsDeadNow)]), ["", "r", "r", "r", "r", "r"]));

const agents = [...report.agents].sort((a, b) => b.totals.deadRuns - a.totals.deadRuns).slice(0, 20);
console.log(`\nAgents with the most dead runs${report.agents.length > 20 ? " (top 20)" : ""}\n` + table(["company", "agent", "sessions", "runs", "dead runs", "dead now"], agents.map((a) => [a.companyId, a.agentId, n(a.totals.sessions), n(a.totals.runs), n(a.totals.deadRuns), n(a.totals.sessionsDeadNow)]), ["", "", "r", "r", "r", "r"]));

const deadNow = report.sessions.filter((s) => s.deadNow);
if (deadNow.length) {
  console.log(`\nSessions dead now (${n(deadNow.length)}${deadNow.length > 20 ? ", first 20" : ""})\n` + table(["company", "agent", "session", "dead streak", "runs", "last run"], deadNow.slice(0, 20).map((s) => [s.companyId, s.agentId, s.sessionId, n(s.currentDeadStreak), n(s.runs), time(s.lastRunAt)]), ["", "", "", "r", "r", ""]));
}

console.log("\nWhat each breaker threshold would have done\n" + table(["threshold", "rotations", "dead runs saved"], report.whatIf.map((w) => [`${w.threshold}${w.threshold === 3 ? " (current)" : ""}`, n(w.rotations), n(w.deadRunsSaved)]), ["", "r", "r"]));

if (report.rowsSkipped) {
  console.log(`\n${n(report.rowsSkipped)} rows skipped:\n` + report.skippedByReason.map((s) => `  ${n(s.rows)}  ${s.reason}`).join("\n"));
  console.log("First of them:\n" + report.firstErrors.map((e) => `  line ${e.line}: ${e.reason}${e.detail ? ` (${e.detail.slice(0, 80)})` : ""}`).join("\n"));
}

#!/usr/bin/env node
// paperclip-session-audit: dead sessions in a heartbeat_runs history, and what each breaker
// threshold would have saved. `--help` prints the usage and the exit statuses.
import { createRequire } from "node:module";
import { parseArgs } from "node:util";
import { visible, width } from "./visible.mjs";

const require = createRequire(import.meta.url);
const core = { ...require("../index.js"), ...require("../database.js") };

const usage = `usage: paperclip-session-audit <file | -> [options]
       paperclip-session-audit --database postgres://… | --pglite DIR [options]
The file (or standard input) holds heartbeat_runs rows as JSON, one per line, plain or in
PostgreSQL's COPY text format, gzip-compressed or not:
  psql -c "COPY (SELECT row_to_json(r) FROM heartbeat_runs r) TO STDOUT" > runs.ndjson
options:
  --json                 the report as JSON on stdout
  --company ID           only this company's runs
  --since TIME           only runs created at or after TIME (ISO 8601)
  --ordered              rows come ordered by created_at (memory bounded by the sessions)
  --max-line-bytes N     skip longer lines as "line too long" (default 64MiB; K, M, G or KiB,
                         MiB, GiB suffixes allowed)
  --no-progress          no progress bar on stderr
exit status: 0 the report is complete; 1 the input could not be read; 2 usage error;
             3 no row could be read, more than half of the rows were skipped, or the input
             ended early (a truncated gzip); 130 interrupted (Ctrl-C)`;

/** The widest an id or a detail is printed; longer ones end in `…`. */
const ID_WIDTH = 40;
const DETAIL_WIDTH = 100;

/** A message for a person on stderr, escaped: paths and ids come from the data. */
function complain(message) {
  console.error(`paperclip-session-audit: ${visible(message, 2000)}`);
}

/** Exit 2 with the usage on stderr: never a stack trace for a mistyped command. */
function usageError(message) {
  complain(message);
  console.error(`\n${usage}`);
  process.exit(2);
}

// Whatever goes wrong past this point is said in one line, never as a stack trace.
process.on("uncaughtException", (error) => {
  complain(error instanceof Error ? error.message : String(error));
  process.exit(1);
});

let values, positionals;
try {
  ({ values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      company: { type: "string" },
      since: { type: "string" },
      database: { type: "string" },
      pglite: { type: "string" },
      "max-line-bytes": { type: "string" },
      "no-progress": { type: "boolean", default: false },
      ordered: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  }));
} catch (error) {
  usageError(error.message);
}

if (values.help) {
  console.log(usage);
  process.exit(0);
}
const fromFile = positionals.length > 0;
if (positionals.length > 1) usageError(`one input at a time (got ${positionals.length})`);
if (fromFile && (values.database || values.pglite)) usageError("give a file or a database, not both");
if (!fromFile && !values.database && !values.pglite && !process.env.DATABASE_URL) usageError("no input given");
if (values.since !== undefined && Number.isNaN(Date.parse(values.since))) usageError(`--since: not a time: ${values.since}`);

/** `64MiB`, `64M`, `1048576`: a whole number of bytes, at least 1. */
function parseBytes(text) {
  const match = /^(\d+)\s*(?:([KMG])(?:i?B)?)?$/i.exec(text.trim());
  const bytes = match ? Number(match[1]) * 1024 ** " KMG".indexOf((match[2] ?? " ").toUpperCase()) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) usageError(`--max-line-bytes: not a size in bytes: ${text}`);
  return bytes;
}

// Ctrl-C stops the audit where it is (even a read waiting on a pipe) and exits 130.
const interrupt = new AbortController();
process.once("SIGINT", () => interrupt.abort());

const options = {
  signal: interrupt.signal,
  companyId: values.company,
  since: values.since,
  progress: !values.json && !values["no-progress"] && process.stderr.isTTY === true,
  ordered: values.ordered,
  maxLineBytes: values["max-line-bytes"] === undefined ? undefined : parseBytes(values["max-line-bytes"]),
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
  report = fromFile ? await core.auditDeadSessions(positionals[0], options) : await fromDatabase();
} catch (error) {
  if (interrupt.signal.aborted) {
    if (options.progress) process.stderr.write("\n");
    complain("interrupted; no report");
    process.exit(130);
  }
  // The audit's TypeErrors are about the options given here; anything else is the input.
  if (error instanceof TypeError) usageError(error.message);
  complain(error.message);
  process.exit(1);
}

// Rows read: every non-blank line, whether it was used, left out, or skipped.
const rowsRead = report.rowsUsed + report.rowsFiltered + report.rowsWithoutSession + report.rowsSkipped;
const endedEarly = report.skippedByReason.some((s) => s.reason === "input ended early");
const incomplete = endedEarly || rowsRead === report.rowsSkipped || report.rowsSkipped * 2 > rowsRead;
const n = (x) => x.toLocaleString("en-US");
const percent = (part, whole) => `${((100 * part) / Math.max(whole, 1)).toFixed(1)}%`;
const skippedHeadline = report.rowsSkipped
  ? `${n(report.rowsSkipped)} of ${n(rowsRead)} rows (${percent(report.rowsSkipped, rowsRead)}) were skipped and are not in this report: ` +
    report.skippedByReason.map((s) => `${n(s.rows)} ${s.reason}`).join(", ")
  : rowsRead === 0
    ? "the input held no rows"
    : null;

// exitCode rather than exit(): a large report on a pipe is written out in full first.
process.exitCode = incomplete ? 3 : 0;
if (values.json) {
  process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  if (incomplete) complain(skippedHeadline);
} else {
  printReport(report);
}

function printReport(report) {
  const time = (ms) => new Date(ms).toISOString().slice(0, 16).replace("T", " ");
  // Every cell escaped and capped: an id may hold terminal escapes, or be a megabyte long.
  function table(headers, rows, align = []) {
    const cells = [headers, ...rows].map((r) => r.map((v) => visible(v, ID_WIDTH)));
    const widths = headers.map((_, c) => cells.reduce((w, r) => Math.max(w, width(r[c])), 0));
    const pad = (v, w, right) => (right ? " ".repeat(w - width(v)) + v : v + " ".repeat(w - width(v)));
    const line = (r) => r.map((v, c) => pad(v, widths[c], align[c] === "r")).join("  ").trimEnd();
    return [line(cells[0]), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
  }

  const t = report.totals;
  if (skippedHeadline) console.log(`${incomplete ? "INCOMPLETE" : "WARNING"}: ${skippedHeadline}\n`);
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
    console.log("First of them:\n" + report.firstErrors.map((e) => `  line ${e.line}: ${e.reason}${e.detail ? ` (${visible(e.detail, DETAIL_WIDTH)})` : ""}`).join("\n"));
  }
}

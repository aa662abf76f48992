#!/usr/bin/env node
// paperclip-session-audit: dead sessions in a heartbeat_runs history, and what each breaker
// threshold would have saved. `--help` prints the usage and the exit statuses.
import { existsSync, fstatSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { parseArgs } from "node:util";
import { reportOpenMetrics } from "./openmetrics.mjs";
import { isForkRule, reportHtml } from "./report-html.mjs";
import { visible, width } from "./visible.mjs";

const require = createRequire(import.meta.url);
const NAME = "paperclip-session-audit";

const usage = `usage: ${NAME} <file | -> [options]
       ${NAME} --database postgres://… | --pglite DIR [options]
The file (or standard input) holds heartbeat_runs rows as JSON, one per line, plain or in
PostgreSQL's COPY text format, gzip-compressed or not:
  psql -c "$(paperclip-session-audit --export-sql)" > runs.ndjson    (only what the audit reads)
  psql -c "COPY (SELECT row_to_json(r) FROM heartbeat_runs r) TO STDOUT" > runs.ndjson
options:
  --json                 the report as JSON on stdout
  --html FILE            also write the report as one self-contained HTML page (never over
                         the input; over an existing file only with --force)
  --openmetrics FILE     also write the report as OpenMetrics text (node_exporter's textfile
                         collector reads it): dead-now sessions, dead runs and unseen failed
                         runs per company, the rule, the newest run's time; written whole or
                         not at all (never over the input; over an existing file only with
                         --force, as a cron job that refreshes it gives)
  --force                let --html or --openmetrics replace an existing file
  --company ID           only this company's runs
  --since TIME           only runs created at or after TIME (ISO 8601)
  --top N                rows per table (default 20); --all for every row
  --ordered              rows come ordered by created_at (memory bounded by the sessions)
  --dead-states LIST     the liveness states that can make a run dead, comma-separated
                         (default failed; e.g. failed,empty_response), as the breaker's
                         deadLivenessStates option
  --count-unrecorded-resumes
                         also count as dead a run in one of those states that resumed its
                         session and left no usage record (the breaker's countUnrecordedResumes)
  --max-line-bytes N     skip longer lines as "line too long" (default 64MiB; K, M, G or KiB,
                         MiB, GiB suffixes allowed)
  --database URL         read heartbeat_runs from PostgreSQL (needs the package pg): once, in
                         one snapshot, only the columns the audit reads
  --pglite DIR           read it from a PGlite data directory (needs @electric-sql/pglite);
                         --create makes DIR when it does not exist
  --no-progress          no progress bar on stderr
  --export-sql           print the COPY statement that exports heartbeat_runs as the audit reads
                         it (--company and --since filter it), and exit
  --version, --help
exit status: 0 the report is complete; 1 the input could not be read; 2 usage error;
             3 no row could be read, more than half of the rows were skipped, or the input
             ended early (a truncated gzip); 130 interrupted (Ctrl-C)`;

/** The widest an id or a detail is printed; longer ones end in `…`. */
const ID_WIDTH = 40;
const DETAIL_WIDTH = 100;

/** A message for a person on stderr, escaped: paths and ids come from the data. */
function complain(message) {
  console.error(`${NAME}: ${visible(message, 2000)}`);
}

/** Exit 2 with the message and a pointer to --help: never a stack trace for a mistyped command. */
function usageError(message) {
  complain(message);
  console.error(`usage: ${NAME} <file | -> [options]; ${NAME} --help for the options`);
  process.exit(2);
}

// A reader that stops early (`| head`) closes the pipe: that ends the output quietly, with the
// status the report already has, as Unix tools do.
process.stdout.on("error", (error) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

// Whatever goes wrong past this point is said in one line, never as a stack trace.
process.on("uncaughtException", (error) => {
  complain(error instanceof Error ? error.message : String(error));
  process.exit(1);
});

let core;
try {
  core = { ...require("../index.js"), ...require("../database.js") };
} catch (error) {
  // The loader's own message says which platform package is missing and what to install.
  complain(error.message);
  process.exit(1);
}

let values, positionals;
try {
  ({ values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      json: { type: "boolean", default: false },
      html: { type: "string" },
      force: { type: "boolean", default: false },
      openmetrics: { type: "string" },
      "dead-states": { type: "string" },
      "count-unrecorded-resumes": { type: "boolean", default: false },
      company: { type: "string" },
      since: { type: "string" },
      top: { type: "string" },
      all: { type: "boolean", default: false },
      database: { type: "string" },
      pglite: { type: "string" },
      create: { type: "boolean", default: false },
      "max-line-bytes": { type: "string" },
      "no-progress": { type: "boolean", default: false },
      ordered: { type: "boolean", default: false },
      version: { type: "boolean", short: "v", default: false },
      "export-sql": { type: "boolean", default: false },
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
if (values.version) {
  console.log(JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version);
  process.exit(0);
}
// --since is checked before anything uses it, the export included.
if (values.since !== undefined && Number.isNaN(Date.parse(values.since)))
  usageError(`--since: not a time: ${values.since}`);
if (values["export-sql"]) {
  console.log(core.auditExportStatement({ companyId: values.company ?? null, since: values.since ?? null }));
  process.exit(0);
}
const fromFile = positionals.length > 0;
if (positionals.length > 1) usageError(`one input at a time (got ${positionals.length})`);
if (fromFile && (values.database || values.pglite)) usageError("give a file or a database, not both");
if (values.database && values.pglite) usageError("give --database or --pglite, not both");
if (!fromFile && !values.database && !values.pglite && !process.env.DATABASE_URL) usageError("no input given");
if (values.create && !values.pglite) usageError("--create goes with --pglite");
if (values.force && !values.html && !values.openmetrics) usageError("--force goes with --html or --openmetrics");
const inputPath = fromFile && positionals[0] !== "-" ? positionals[0] : null;
const inputIdentity = fromFile ? identityOf(() => (inputPath === null ? fstatSync(0) : statSync(inputPath))) : null;
if (values.html !== undefined) checkOutputTarget("--html", values.html, inputIdentity);
if (values.openmetrics !== undefined) checkOutputTarget("--openmetrics", values.openmetrics, inputIdentity);
if (
  values.html !== undefined &&
  values.openmetrics !== undefined &&
  path.resolve(values.html) === path.resolve(values.openmetrics)
)
  usageError("--html and --openmetrics name the same file");

/** The device and inode of the input (a file named, or the file standard input is), or null. */
function identityOf(stat) {
  try {
    const { dev, ino } = stat();
    return { dev, ino };
  } catch {
    // the input's own error comes when it is read
    return null;
  }
}

/**
 * An output never replaces the history it reports on (the same file by any name: a link, a
 * relative path, or standard input redirected from it), nor, without --force, any other file
 * that is there; and an empty name (an unset variable in a cron line) is no file at all.
 */
function checkOutputTarget(flag, target, input) {
  if (target.trim() === "") usageError(`${flag}: an empty file name (an unset variable?)`);
  let existing;
  try {
    existing = statSync(target);
  } catch {
    return;
  }
  if (input !== null && input.dev === existing.dev && input.ino === existing.ino)
    usageError(`${flag} ${target}: that is the input; the output would replace the history`);
  if (!values.force) usageError(`${flag} ${target}: the file exists (add --force to replace it)`);
}
if (values.top !== undefined && values.all) usageError("give --top or --all, not both");
const top = values.all ? Infinity : values.top === undefined ? 20 : Number(values.top);
if (!(top === Infinity || (Number.isSafeInteger(top) && top >= 1)))
  usageError(`--top: not a whole number of rows, at least 1: ${values.top}`);

/** `64MiB`, `64M`, `1048576`: a whole number of bytes, at least 1. */
function parseBytes(text) {
  const match = /^(\d+)\s*(?:([KMG])(?:i?B)?)?$/i.exec(text.trim());
  const bytes = match ? Number(match[1]) * 1024 ** " KMG".indexOf((match[2] ?? " ").toUpperCase()) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) usageError(`--max-line-bytes: not a size in bytes: ${text}`);
  return bytes;
}

/** `failed,empty_response`: the states, each one given (no empty entry). */
function parseStates(text) {
  const states = text.split(",").map((state) => state.trim());
  if (states.some((state) => state === ""))
    usageError(
      `--dead-states: an empty state in ${JSON.stringify(text)} (give them comma-separated, e.g. failed,empty_response)`,
    );
  return states;
}

// Ctrl-C stops the audit where it is (even a read waiting on a pipe) and exits 130.
const interrupt = new AbortController();
process.once("SIGINT", () => interrupt.abort());

const options = {
  signal: interrupt.signal,
  companyId: values.company,
  since: values.since,
  progress: !values.json && !values["no-progress"] && process.stderr.isTTY === true,
  // The text and HTML reports show at most --top sessions of each table: only those cross over
  // from the native audit (every one with --json or --all).
  topSessions: values.json || !Number.isFinite(top) ? undefined : top,
  ordered: values.ordered,
  maxLineBytes: values["max-line-bytes"] === undefined ? undefined : parseBytes(values["max-line-bytes"]),
  deadLivenessStates: values["dead-states"] === undefined ? undefined : parseStates(values["dead-states"]),
  countUnrecordedResumes: values["count-unrecorded-resumes"],
};

/** An optional peer dependency, or one line saying what to install. */
async function peer(name, flag) {
  try {
    return await import(name);
  } catch (error) {
    if (error?.code === "ERR_MODULE_NOT_FOUND" || error?.code === "MODULE_NOT_FOUND") {
      complain(`${flag} needs the package ${name}: npm install ${name}`);
      process.exit(1);
    }
    throw error;
  }
}

async function fromDatabase() {
  let rows = 0;
  const onPage = (count) => {
    rows += count;
    if (options.progress) process.stderr.write(`\r${rows.toLocaleString("en-US")} rows read`);
  };
  if (values.pglite) {
    const dir = path.resolve(values.pglite);
    // PGlite makes a database wherever it is pointed: a typo must not become a new one.
    if (!values.create && !existsSync(path.join(dir, "PG_VERSION"))) {
      complain(`--pglite: ${dir} is not a PGlite data directory (add --create to make one there)`);
      process.exit(1);
    }
    const { PGlite } = await peer("@electric-sql/pglite", "--pglite");
    const db = new PGlite(dir);
    try {
      return await core.auditDeadSessionsFromDatabase(db, { ...options, onPage });
    } finally {
      if (options.progress) process.stderr.write("\n");
      await db.close();
    }
  }
  const { default: pg } = await peer("pg", "--database");
  const pool = new pg.Pool({ connectionString: values.database ?? process.env.DATABASE_URL });
  try {
    return await core.auditDeadSessionsFromDatabase(pool, { ...options, onPage });
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
const endedEarly = report.skippedByReason.some((s) => s.code === "ended_early");
const incomplete = endedEarly || rowsRead === report.rowsSkipped || report.rowsSkipped * 2 > rowsRead;
const n = (x) => x.toLocaleString("en-US");
const plural = (count, one, many = `${one}s`) => `${n(count)} ${count === 1 ? one : many}`;
const percent = (part, whole) => `${((100 * part) / Math.max(whole, 1)).toFixed(1)}%`;
const skippedHeadline = report.rowsSkipped
  ? `${n(report.rowsSkipped)} of ${plural(rowsRead, "row")} (${percent(report.rowsSkipped, rowsRead)}) ${report.rowsSkipped === 1 ? "was" : "were"} skipped and ${report.rowsSkipped === 1 ? "is" : "are"} not in this report: ` +
    report.skippedByReason.map((s) => `${n(s.rows)} ${s.reason}`).join(", ")
  : rowsRead === 0
    ? "the input held no rows"
    : null;

// A filter that matched nothing is most likely a typo: say which.
// As given for complain(), which escapes; escaped and capped for the report on stdout.
const filterFlags = [
  ["--company", values.company],
  ["--since", values.since],
].filter(([, value]) => value !== undefined);
const filters = filterFlags.map(([flag, value]) => `${flag} ${value}`);
const filtersShown = filterFlags.map(([flag, value]) => `${flag} ${visible(value, ID_WIDTH)}`);
if (filters.length && rowsRead > 0 && report.rowsUsed + report.rowsWithoutSession === 0)
  complain(`warning: no run matched ${filters.join(" ")}`);

if (values.html) {
  const source = fromFile
    ? positionals[0] === "-"
      ? "standard input"
      : positionals[0]
    : values.pglite
      ? `PGlite ${values.pglite}`
      : "PostgreSQL";
  try {
    writeFileSync(
      values.html,
      reportHtml(report, { top: Number.isFinite(top) ? top : Number.MAX_SAFE_INTEGER, source }),
    );
  } catch (error) {
    complain(`--html: ${error.message}`);
    process.exit(1);
  }
}

if (values.openmetrics) {
  // Written beside the target and renamed over it: a scraper never reads half a file.
  const temporary = path.join(
    path.dirname(values.openmetrics),
    `.${path.basename(values.openmetrics)}.${process.pid}.tmp`,
  );
  try {
    writeFileSync(temporary, reportOpenMetrics(report, { auditedAtMs: Date.now(), complete: !incomplete }), {
      flag: "wx",
    });
    renameSync(temporary, values.openmetrics);
  } catch (error) {
    rmSync(temporary, { force: true });
    complain(`--openmetrics: ${error.message}`);
    process.exit(1);
  }
}

// exitCode rather than exit(): a large report on a pipe is written out in full first.
process.exitCode = incomplete ? 3 : 0;
if (values.json) {
  process.stdout.write(JSON.stringify(report, null, 2) + "\n");
  if (incomplete) complain(skippedHeadline);
} else {
  printReport(report);
}

function printReport(report) {
  const time = (iso) => `${iso.slice(0, 16).replace("T", " ")} UTC`;
  // Every cell escaped and capped: an id may hold terminal escapes, or be a megabyte long.
  function table(headers, rows, align = []) {
    const cells = [headers, ...rows].map((r) => r.map((v) => visible(v, ID_WIDTH)));
    const widths = headers.map((_, c) => cells.reduce((w, r) => Math.max(w, width(r[c])), 0));
    const pad = (v, w, right) => (right ? " ".repeat(w - width(v)) + v : v + " ".repeat(w - width(v)));
    const line = (r) =>
      r
        .map((v, c) => pad(v, widths[c], align[c] === "r"))
        .join("  ")
        .trimEnd();
    return [line(cells[0]), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
  }
  const capped = (list, total = list.length) => ({
    shown: list.slice(0, top),
    note: total > top ? ` (top ${n(top)} of ${n(total)}; --all for every one)` : "",
  });
  const byDead = (a, b) => b.totals.deadRuns - a.totals.deadRuns || b.totals.runs - a.totals.runs;

  const t = report.totals;
  if (skippedHeadline) console.log(`${incomplete ? "INCOMPLETE" : "WARNING"}: ${skippedHeadline}\n`);
  if (rowsRead === 0 || t.runs === 0) {
    console.log(
      rowsRead === 0
        ? "No rows: nothing to audit."
        : `No run with a persisted session among ${plural(rowsRead, "row")} read.`,
    );
    return;
  }
  const seconds = report.elapsedMs / 1000;
  const rate = fromFile
    ? `${n(Math.round(report.bytesRead / 1e6 / Math.max(seconds, 1e-6)))} MB/s`
    : `${n(Math.round(rowsRead / Math.max(seconds, 1e-6)))} rows/s`;
  console.log(
    `${plural(rowsRead, "row")} read, ${plural(report.rowsUsed, "run")} audited in ${seconds.toFixed(2)} s (${rate})`,
  );
  if (report.database)
    console.log(
      `the table as of ${visible(report.database.takenAt, 40)} (snapshot ${visible(report.database.snapshot, 60)}, read once by ${visible(report.database.route, 10)})`,
    );
  console.log(
    `${plural(t.sessions, "session")}, ${plural(t.runs, "run")}, ${plural(t.deadRuns, "dead run")}; ` +
      `${plural(t.sessionsWithDeadStreak, "session")} had a dead streak of 3+, ${n(t.sessionsDeadNow)} ${t.sessionsDeadNow === 1 ? "is" : "are"} dead now`,
  );
  const rotated = t.rotations;
  const rotations = Object.values(rotated).reduce((a, b) => a + b, 0);
  if (rotations) {
    const kinds = [
      ["forkBreaker", "the breaker"],
      ["widerBreaker", "the wider breaker"],
      ["runLimit", "run limit"],
      ["rawInput", "raw input"],
      ["sessionAge", "age"],
      ["other", "other"],
    ]
      .filter(([key]) => rotated[key])
      .map(([key, words]) => `${n(rotated[key])} ${words}`);
    console.log(
      `${plural(rotations, "rotation")} recorded (${kinds.join(", ")}); ${plural(t.sessionsRotatedDead, "session")} rotated after a dead streak of 3+ ${t.sessionsRotatedDead === 1 ? "is" : "are"} not dead now`,
    );
    if (t.deadRunsBeforeBreakerRotations)
      console.log(
        `the breaker's rotations came after ${plural(t.deadRunsBeforeBreakerRotations, "dead run")} in all (what the threshold cost)`,
      );
  } else if (report.deadNowAuthority === "none") {
    console.log("the history records no rotation: dead now is read from the last runs alone");
  }
  if (report.deadNowAuthority === "live_pointers")
    console.log("dead now: sessions the server still points at (agent_runtime_state, agent_task_sessions)");
  const rule = report.deadRunRule;
  if (!isForkRule(rule)) {
    const states = rule.deadLivenessStates.map((state) => visible(state, ID_WIDTH)).join(", ") || "none";
    console.log(
      `dead runs counted by a widened rule: liveness ${states}; resumes with no usage record ${rule.countUnrecordedResumes ? "counted" : "not counted"}`,
    );
  }
  if (t.unseenFailedRuns)
    console.log(
      `${plural(t.unseenFailedRuns, "run")} resumed a session and left no usage record: the rule cannot see ${t.unseenFailedRuns === 1 ? "it" : "them"} (the wider what-if table below counts them)`,
    );
  if (report.rowsFiltered) console.log(`${plural(report.rowsFiltered, "row")} left out by ${filtersShown.join(" ")}`);
  if (report.rowsWithoutSession) console.log(`${plural(report.rowsWithoutSession, "row")} without a persisted session`);

  const companies = capped([...report.companies].sort(byDead));
  console.log(
    `\nCompanies by dead runs${companies.note}\n` +
      table(
        ["company", "agents", "sessions", "runs", "dead runs", "dead now"],
        companies.shown.map((c) => [
          c.companyId,
          n(c.agents),
          n(c.totals.sessions),
          n(c.totals.runs),
          n(c.totals.deadRuns),
          n(c.totals.sessionsDeadNow),
        ]),
        ["", "r", "r", "r", "r", "r"],
      ),
  );

  const agents = capped([...report.agents].sort(byDead));
  console.log(
    `\nAgents by dead runs${agents.note}\n` +
      table(
        ["company", "agent", "sessions", "runs", "dead runs", "dead now"],
        agents.shown.map((a) => [
          a.companyId,
          a.agentId,
          n(a.totals.sessions),
          n(a.totals.runs),
          n(a.totals.deadRuns),
          n(a.totals.sessionsDeadNow),
        ]),
        ["", "", "r", "r", "r", "r"],
      ),
  );

  const deadNow = capped(
    report.sessions.filter((s) => s.deadNow).sort((a, b) => b.currentDeadStreak - a.currentDeadStreak),
    t.sessionsDeadNow,
  );
  if (deadNow.shown.length) {
    console.log(
      `\nSessions dead now${deadNow.note}\n` +
        table(
          ["company", "agent", "session", "dead streak", "runs", "last run"],
          deadNow.shown.map((s) => [
            s.companyId,
            s.agentId,
            s.sessionId,
            n(s.currentDeadStreak),
            n(s.runs),
            time(s.lastRunAt),
          ]),
          ["", "", "", "r", "r", ""],
        ),
    );
  }

  const whatIf = (rows) =>
    table(
      ["threshold", "rotations", "dead runs saved", "recovered"],
      rows.map((w) => [
        `${w.threshold}${w.threshold === 3 ? " (current)" : ""}`,
        n(w.rotations),
        n(w.deadRunsSaved),
        n(w.recovered),
      ]),
      ["", "r", "r", "r"],
    );
  console.log(
    "\nWhat each breaker threshold would have done, hypothetically, over every dead streak as if nothing had rotated it (recovered: rotations on a streak the session ended on its own)\n" +
      whatIf(report.whatIf),
  );
  if (t.unseenFailedRuns) console.log("\nThe same, counting unseen failed runs as dead\n" + whatIf(report.whatIfWider));

  if (report.rowsSkipped) {
    console.log(
      `\n${plural(report.rowsSkipped, "row")} skipped:\n` +
        report.skippedByReason.map((s) => `  ${n(s.rows)}  ${s.reason}`).join("\n"),
    );
    console.log(
      "First of them:\n" +
        report.firstErrors
          .map(
            (e) =>
              `  ${fromFile ? "line" : "row"} ${e.line}: ${e.reason}${e.detail ? ` (${visible(e.detail, DETAIL_WIDTH)})` : ""}`,
          )
          .join("\n"),
    );
  }
}

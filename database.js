// `paperclip-session-compaction/database`: the fleet audit over a live database. The table is
// read once, in one snapshot, and only what the audit reads leaves the server: one narrow JSON
// line a row, built by the query. On node-postgres the lines arrive by COPY, straight into the
// native auditor as the bytes come (no object per row); on PGlite as one COPY blob; through any
// other queryable, by one cursor in a repeatable-read transaction. Plain JavaScript: it only
// runs queries.
"use strict";

const { DeadSessionAuditor } = require("./index.js");

/** The earliest time PostgreSQL's timestamps hold (4713 BC), in epoch milliseconds. */
const POSTGRES_MIN_MS = -210_866_803_200_000;

/** The columns the audit reads, in the order the narrow line carries them (`id` is not read). */
const TEXT_COLUMNS = ["company_id", "agent_id", "session_id_before", "session_id_after", "liveness_state"];

/** `since` in epoch milliseconds for the query, or null (the auditor checks the option itself). */
function sinceMs(since) {
  if (since === undefined || since === null) return null;
  const ms = since instanceof Date ? since.getTime() : typeof since === "string" ? Date.parse(since) : since;
  // Before PostgreSQL's first timestamp every stored row qualifies: no filter.
  return typeof ms === "number" && Number.isFinite(ms) && ms >= POSTGRES_MIN_MS ? Math.floor(ms) : null;
}

/** heartbeat_runs' columns that the audit reads, each with its SQL type. */
async function auditedColumns(db) {
  const { rows } = await db.query(
    `select a.attname::text as name, format_type(a.atttypid, a.atttypmod) as type
       from pg_attribute a
      where a.attrelid = 'heartbeat_runs'::regclass and a.attnum > 0 and not a.attisdropped
        and a.attname::text = any($1::text[])`,
    [[...TEXT_COLUMNS, "created_at", "usage_json", "context_snapshot"]],
  );
  return new Map(rows.map((r) => [r.name, r.type]));
}

/** The kind of `created_at`: the audit reads either kind of timestamp. */
function timeKind(columns) {
  const type = columns.get("created_at");
  if (type === undefined) throw new Error("heartbeat_runs has no created_at column");
  if (/^timestamp(\(\d\))? with time zone$/.test(type)) return "timestamptz";
  if (/^timestamp(\(\d\))? without time zone$/.test(type)) return "timestamp";
  throw new Error(`heartbeat_runs.created_at is ${type}; the audit reads timestamp columns`);
}

/** A JSON value's text for the line, `null` for SQL NULL. */
const jsonText = (expression) => `coalesce(${expression}::text, 'null')`;

/** The usage record's keys the breaker reads. */
const USAGE_KEYS = [
  "sessionReused",
  "persistedSessionId",
  "rawInputTokens",
  "inputTokens",
  "rawCachedInputTokens",
  "cachedInputTokens",
  "rawOutputTokens",
  "outputTokens",
];
/** The context snapshot's keys that record a rotation. */
const CONTEXT_KEYS = ["paperclipPreviousSessionId", "paperclipSessionRotationReason"];

/**
 * A JSON column cut to `keys`. A record keeps only those keys (the last of duplicate keys in a
 * `json` column, as `->` and JSON.parse both take it); JSON null stays null; any other value
 * becomes `other` (for the usage record `true`, which the audit reads as "a usage value that is
 * not a record", as it would the value itself).
 */
function recordExpression(column, type, keys, other) {
  if (type === undefined) return null;
  // jsonb is read as it is; json too (its `_to_record` keeps the last of duplicate keys, as
  // JSON.parse does); anything else as JSON.
  const binary = type === "jsonb";
  const value = binary || type === "json" ? `r.${column}` : `to_json(r.${column})`;
  const [typeOf, toRecord, valueType] = binary
    ? ["jsonb_typeof", "jsonb_to_record", "jsonb"]
    : ["json_typeof", "json_to_record", "json"];
  // One `_to_record` takes every key at once: a record stored compressed is then decompressed
  // once a row, not once a key.
  const record = `(select '{' || ${keys.map((k, i) => `'${i === 0 ? "" : ","}"${k}":' || ${jsonText(`u."${k}"`)}`).join(" || ")} || '}'
                     from ${toRecord}(${value}) as u(${keys.map((k) => `"${k}" ${valueType}`).join(", ")}))`;
  return `case when r.${column} is null then 'null'
               when ${typeOf}(${value}) = 'object' then ${record}
               when ${typeOf}(${value}) = 'null' then 'null'
               else '${other}' end`;
}

/**
 * The narrow line of a row, written as text by the query (cheaper for the server than building
 * a JSON value): a format mark, the ids and states as JSON strings, `created_at` in epoch
 * milliseconds (so the time never passes through DateStyle or TimeZone; a `timestamp without
 * time zone` is read as UTC), the cut usage record. Rows whose time is NULL come too: the audit
 * counts them as skipped. `$1` is the company, `$2` the since time in milliseconds; the auditor
 * applies both exactly, so the query's filter only has to keep every row they keep.
 */
function narrowQuery(columns) {
  // A field the audit does not read, holding a quote: in COPY text its escape is doubled, which
  // no plain JSON line can hold, so every line shows the audit it is COPY text. (A line that
  // reads both ways, an id with a backslash say, would otherwise be taken as plain JSON.)
  const fields = [`E'{"copy":"\\\\""'`];
  for (const name of TEXT_COLUMNS)
    if (columns.has(name)) fields.push(`',"${name}":' || ${jsonText(`to_json(r.${name})`)}`);
  fields.push(`',"created_at":' || ${jsonText("floor(extract(epoch from r.created_at) * 1000)")}`);
  const usage = recordExpression("usage_json", columns.get("usage_json"), USAGE_KEYS, "true");
  if (usage) fields.push(`',"usage_json":' || ${usage}`);
  // Only the two keys that record a rotation: the rest of the snapshot never leaves the server.
  const context = recordExpression("context_snapshot", columns.get("context_snapshot"), CONTEXT_KEYS, "null");
  if (context) fields.push(`',"context_snapshot":' || ${context}`);
  return `select ${fields.join(" || ")} || '}' as line
            from heartbeat_runs r
           where ${narrowFilter(columns)}`;
}

/** The rows the narrow query keeps: `$1` the company, `$2` the since time in milliseconds. */
function narrowFilter(columns) {
  const since =
    timeKind(columns) === "timestamp"
      ? "(to_timestamp(($2::float8 - 1) / 1000) at time zone 'UTC')"
      : "to_timestamp(($2::float8 - 1) / 1000)";
  const company = columns.has("company_id") ? "($1::text is null or r.company_id::text = $1::text)" : "true";
  return `${company} and ($2::float8 is null or r.created_at is null or r.created_at >= ${since})`;
}

/**
 * A value as an SQL literal: an escape-string literal (`E'…'`), which reads the same whatever
 * `standard_conforming_strings` says. COPY takes no parameters, so they are written in.
 */
function literal(value) {
  if (value === null) return "null";
  if (typeof value === "number") return String(value);
  return `E'${String(value).replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/**
 * The COPY statement of the narrow lines, with the parameters written in, in one pass; `where`
 * narrows the rows further (a range of pages), `to` is where COPY writes.
 */
function copyStatement(columns, companyId, since, { where = null, to = "stdout" } = {}) {
  const query = withParameters(narrowQuery(columns), companyId, since);
  return `copy (${query}${where ? ` and ${where}` : ""}) to ${to}`;
}

/** `$1` (the company) and `$2` (the since time) written in as literals. */
function withParameters(sql, companyId, since) {
  return sql.replace(/\$([12])\b/g, (_, n) => (n === "1" ? literal(companyId) : literal(since)));
}

/** A company id holding U+0000 is no text PostgreSQL can store or compare: no row is its. */
const matchesNoRow = (companyId) => typeof companyId === "string" && companyId.includes("\u0000");

function abortError(signal) {
  if (signal?.reason !== undefined) return signal.reason;
  return Object.assign(new Error("The operation was aborted"), { name: "AbortError", code: "ABORT_ERR" });
}

/** The number of line breaks in a chunk: one per row in COPY text, which escapes the rest. */
function linesIn(chunk) {
  let n = 0;
  for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) n++;
  return n;
}

/**
 * A node-postgres submittable that runs one `COPY … TO STDOUT` and hands each CopyData chunk
 * (a Buffer) to `onChunk`, as it arrives. It settles when the server is ready again, or on the
 * first error.
 */
class CopyOut {
  constructor(text, onChunk) {
    this.text = text;
    this.onChunk = onChunk;
    this.failure = null;
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
  submit(connection) {
    connection.query(this.text);
  }
  handleCopyData(msg) {
    if (this.failure) return;
    try {
      this.onChunk(msg.chunk);
    } catch (error) {
      this.failure = error;
    }
  }
  handleRowDescription() {}
  handleDataRow() {}
  handleCommandComplete() {}
  handleEmptyQuery() {}
  handlePortalSuspended() {}
  handleError(error) {
    this.reject(this.failure ?? error);
  }
  handleReadyForQuery() {
    if (this.failure) this.reject(this.failure);
    else this.resolve();
  }
}

const isPool = (db) => typeof db.connect === "function" && typeof db.totalCount === "number";
const isPgClient = (db) =>
  typeof db.query === "function" && typeof db.connection?.query === "function" && typeof db.processID !== "undefined";
const isPGlite = (db) =>
  typeof db.query === "function" && typeof db.exec === "function" && typeof db.waitReady !== "undefined";

/** The snapshot the transaction reads: PostgreSQL's own text for it, and when it was taken. */
async function snapshot(db) {
  const { rows } = await db.query(
    `select pg_current_snapshot()::text as snapshot, to_json(transaction_timestamp()) #>> '{}' as at`,
  );
  return { snapshot: rows[0].snapshot, takenAt: new Date(rows[0].at).toISOString() };
}

/** Runs `read` inside a read-only repeatable-read transaction, so every read sees one snapshot. */
async function inSnapshot(db, read) {
  await db.query("begin isolation level repeatable read read only");
  try {
    const taken = await snapshot(db);
    await read();
    await db.query("commit");
    return taken;
  } catch (error) {
    await db.query("rollback").catch(() => {});
    throw error;
  }
}

/** What the auditor is handed at once: the server sends a CopyData message a row. */
const BATCH_BYTES = 1 << 20;

/**
 * node-postgres: the COPY stream, pushed into the auditor a megabyte at a time. Each chunk is
 * copied at once: node-postgres hands out views of its read buffer, which it reuses.
 */
async function readByCopy(client, statement, auditor, onRows) {
  const batch = Buffer.allocUnsafe(BATCH_BYTES);
  let filled = 0;
  const hand = (bytes) => {
    auditor.push(bytes);
    if (onRows) onRows(linesIn(bytes));
  };
  const flush = () => {
    if (filled > 0) hand(batch.subarray(0, filled));
    filled = 0;
  };
  const copy = new CopyOut(statement, (chunk) => {
    if (filled + chunk.length > BATCH_BYTES) flush();
    if (chunk.length > BATCH_BYTES) hand(chunk);
    else filled += chunk.copy(batch, filled);
  });
  await client.query(copy);
  await copy.done;
  flush();
}

/**
 * Runs `work` on a node-postgres client, guarded. A lost connection (the backend terminated, the
 * network gone, a server timeout) rejects `work` instead of becoming an `'error'` event nobody
 * listens to, which would end the host process. With a signal, an abort disconnects the client:
 * the server stops at once, whatever it is doing or waiting for (a lock, say), and the lost
 * connection rejects `work`, which the abort's reason then explains.
 */
async function guarded(client, signal, work) {
  if (!isPgClient(client)) return work();
  const stop = () => client.connection.stream.destroy();
  const lost = () => {};
  signal?.addEventListener("abort", stop, { once: true });
  client.on("error", lost);
  try {
    return await work();
  } catch (error) {
    throw signal?.aborted ? abortError(signal) : error;
  } finally {
    signal?.removeEventListener("abort", stop);
    client.off("error", lost);
  }
}

/**
 * What the server said when it ended the audit's connection, in words that name the cause: an
 * idle-in-transaction timeout (PostgreSQL's 25P03) is named with its setting.
 */
function explained(error, settings) {
  const timeout = settings?.idleTimeout;
  const lost =
    error?.code === "25P03" || /connection (error|terminated)|Connection terminated/i.test(String(error?.message));
  if (!lost || !timeout || timeout === "0") return error;
  const message = `the server ended the audit's connection (idle_in_transaction_session_timeout is ${timeout} for this role): ${error.message}`;
  return Object.assign(new Error(message, { cause: error }), { code: error.code });
}

/** PGlite: the whole COPY (to `'/dev/blob'`) as one blob (PGlite runs in this process, its data in memory). */
async function readByBlob(db, statement, auditor, onRows) {
  const result = await db.query(statement);
  // No blob when the query gave no row.
  const bytes = result.blob ? Buffer.from(await result.blob.arrayBuffer()) : Buffer.alloc(0);
  auditor.push(bytes);
  if (onRows) onRows(linesIn(bytes));
}

/** Any other queryable (one connection): a cursor, `pageSize` lines at a time. */
async function readByCursor(db, columns, params, pageSize, auditor, onRows, check) {
  await db.query(`declare pcsc_audit no scroll cursor for ${narrowQuery(columns)}`, params);
  for (;;) {
    check();
    const { rows } = await db.query(`fetch ${pageSize} from pcsc_audit`);
    for (const r of rows) auditor.pushRow(r.line);
    if (rows.length > 0 && onRows) onRows(rows.length);
    if (rows.length < pageSize) break;
  }
  await db.query("close pcsc_audit");
}

/**
 * Audits the heartbeat_runs table of a database: a node-postgres Pool or Client, PGlite, or
 * anything else with `query(sql, params) -> { rows }` on one connection. The report says which
 * snapshot it read (`database`).
 * @param {import("./database").AuditQueryable} db
 * @param {import("./database").DatabaseAuditOptions} [options]
 */
async function auditDeadSessionsFromDatabase(db, options = {}) {
  const { pageSize = 10_000, onPage, signal, ...auditOptions } = options ?? {};
  if (!Number.isSafeInteger(pageSize) || pageSize < 1)
    throw new TypeError("options.pageSize must be a whole number of rows, at least 1");
  if (onPage !== undefined && typeof onPage !== "function") throw new TypeError("options.onPage must be a function");
  const check = () => {
    if (signal?.aborted) throw abortError(signal);
  };
  check();
  // The server hands the rows over in whatever order it keeps them: never `ordered`.
  const auditor = new DeadSessionAuditor({ ...auditOptions, ordered: false });
  const companyId = auditOptions.companyId ?? null;
  const since = sinceMs(auditOptions.since);
  // A pg.Pool, which the declared queryable type does not describe.
  const pool = isPool(db) ? /** @type {any} */ (db) : null;
  const client = pool ? await pool.connect() : db;
  const read = {
    pool,
    client,
    companyId,
    since,
    auditor,
    onPage,
    signal,
    pageSize,
    check,
    settings: null,
    route: "cursor",
    streams: 1,
    excluded: 0,
    broken: false,
  };
  try {
    const taken = await guarded(client, signal, async () => {
      // Read before the transaction: an error in it then names a server timeout it met.
      read.settings = isPGlite(client) ? null : await serverSettings(client);
      return inSnapshot(client, () => readTable(read));
    }).catch((error) => {
      read.broken ||= Boolean(signal?.aborted);
      throw explained(error, read.settings);
    });
    const report = auditor.finish();
    // Rows the query left out by the filters are rows the audit filtered, as a file's would be.
    report.rowsFiltered += read.excluded;
    return Object.assign(report, { database: { ...taken, route: read.route, streams: read.streams } });
  } finally {
    if (client !== db) client.release(read.broken);
  }
}

/** The table's rows into the auditor, inside the snapshot, by the route the connection allows. */
async function readTable(read) {
  const { pool, client, companyId, since, auditor, onPage, signal, check } = read;
  const columns = await auditedColumns(client);
  check();
  read.excluded = await rowsExcluded(client, columns, companyId, since);
  const pointers = await livePointers(client);
  if (pointers) auditor.liveSessions(pointers);
  if (matchesNoRow(companyId)) return;
  if (isPgClient(client)) {
    read.route = "copy";
    const copying = pool
      ? readInHalves(pool, client, columns, companyId, since, auditor, onPage, signal, read.settings)
      : readByCopy(client, copyStatement(columns, companyId, since), auditor, onPage).then(() => 1);
    read.streams = await copying.catch((error) => {
      read.broken = true;
      throw error;
    });
  } else if (isPGlite(client)) {
    read.route = "copy";
    await readByBlob(client, copyStatement(columns, companyId, since, { to: "'/dev/blob'" }), auditor, onPage);
  } else {
    await readByCursor(client, columns, [companyId, since], read.pageSize, auditor, onPage, check);
  }
  check();
}

/**
 * The sessions the server would resume, where Paperclip keeps them: each agent's
 * `agent_runtime_state.session_id`, and each task session of `agent_task_sessions` (by its
 * parameters' `sessionId` and its display id). Null when neither table is there: the history
 * alone then decides. Read in the audit's snapshot.
 */
async function livePointers(db) {
  const { rows: tables } = await db.query(
    `select to_regclass('agent_runtime_state') is not null as runtime, to_regclass('agent_task_sessions') is not null as tasks`,
  );
  const { runtime, tasks } = tables[0];
  if (!runtime && !tasks) return null;
  const parts = [];
  if (runtime)
    parts.push(
      `select company_id::text as c, agent_id::text as a, session_id::text as s from agent_runtime_state where session_id is not null`,
    );
  if (tasks) {
    parts.push(
      `select company_id::text, agent_id::text, session_params_json ->> 'sessionId' from agent_task_sessions where session_params_json ->> 'sessionId' is not null`,
    );
    parts.push(
      `select company_id::text, agent_id::text, session_display_id from agent_task_sessions where session_display_id is not null`,
    );
  }
  const { rows } = await db.query(parts.join(" union "));
  return rows.map((r) => ({ companyId: r.c, agentId: r.a, sessionId: r.s }));
}

/**
 * How many rows the filters leave out of the query (0 without a filter): counted in the same
 * snapshot, so that a filter matching nothing reads as "no run matched", as it does from a file,
 * and not as an empty table.
 */
async function rowsExcluded(db, columns, companyId, since) {
  if (companyId === null && since === null) return 0;
  const kept = matchesNoRow(companyId) ? "false" : withParameters(narrowFilter(columns), companyId, since);
  const { rows } = await db.query(
    `select (count(*) filter (where not coalesce(${kept}, false)))::int8::text as n from heartbeat_runs r`,
  );
  return Number(rows[0].n);
}

/**
 * The server settings that decide how a pool's read may go: the table's size in pages, whether
 * this role may export a snapshot (a read-only auditor role often may not), and the
 * idle-in-transaction timeout (under which a connection that waits for its twin is ended).
 */
async function serverSettings(client) {
  const { rows } = await client.query(
    `select (pg_relation_size('heartbeat_runs') / current_setting('block_size')::int)::int8::text as pages,
            has_function_privilege('pg_catalog.pg_export_snapshot()', 'execute') as can_export,
            current_setting('idle_in_transaction_session_timeout') as idle_timeout`,
  );
  return { pages: Number(rows[0].pages), canExport: rows[0].can_export === true, idleTimeout: rows[0].idle_timeout };
}

/** Whether the pool can lend a second connection now, without waiting for one to come back. */
function canLend(pool) {
  const max = pool.options?.max ?? 10;
  return max > 1 && (pool.idleCount > 0 || pool.totalCount < max);
}

/** Below this many pages a table is read by one COPY: a second connection would cost more. */
const HALVES_FROM_PAGES = 4096;

/**
 * A pool's table read by two COPYs at once, on two connections sharing one snapshot (the first
 * exports it, the second adopts it), each over half of the table's pages (by ctid: the second
 * half has no upper end, so no page is missed), so the server reads and writes on two cores.
 * Each COPY hands the auditor whole rows, so their lines never mix within a push. Answers the
 * number of COPY streams it read by.
 */
async function readInHalves(pool, client, columns, companyId, since, auditor, onRows, signal, settings) {
  const { pages } = settings;
  // One COPY when a second would cost more, could not share the snapshot, could not be had
  // without waiting (a pool of one), or would leave the first connection idle in its
  // transaction under a server that ends such connections.
  const oneCopy = pages < HALVES_FROM_PAGES || !settings.canExport || settings.idleTimeout !== "0" || !canLend(pool);
  if (oneCopy) return readByCopy(client, copyStatement(columns, companyId, since), auditor, onRows).then(() => 1);
  const { rows } = await client.query("select pg_export_snapshot() as snapshot");
  const half = Math.floor(pages / 2);
  const part = (where) => copyStatement(columns, companyId, since, { where });
  const second = await pool.connect();
  let secondBroken = false;
  try {
    await guarded(second, signal, async () => {
      await second.query("begin isolation level repeatable read read only");
      await second.query(`set transaction snapshot ${literal(rows[0].snapshot)}`);
      // Both run to their end (or their error) before either connection is handed back.
      const halves = await Promise.allSettled([
        readByCopy(client, part(`r.ctid < '(${half},0)'::tid`), auditor, onRows),
        readByCopy(second, part(`r.ctid >= '(${half},0)'::tid`), auditor, onRows).catch((error) => {
          secondBroken = true;
          throw error;
        }),
      ]);
      const failed = halves.find((h) => h.status === "rejected");
      if (failed) throw failed.reason;
      await second.query("commit");
    });
    return 2;
  } catch (error) {
    secondBroken ||= Boolean(signal?.aborted);
    if (!secondBroken) await second.query("rollback").catch(() => {});
    throw error;
  } finally {
    second.release(secondBroken);
  }
}

/** The columns Paperclip's heartbeat_runs has, as the audit reads them. */
const PAPERCLIP_COLUMNS = new Map([
  ["company_id", "uuid"],
  ["agent_id", "uuid"],
  ["session_id_before", "text"],
  ["session_id_after", "text"],
  ["liveness_state", "text"],
  ["created_at", "timestamp with time zone"],
  ["usage_json", "jsonb"],
  ["context_snapshot", "jsonb"],
]);

/**
 * The `COPY … TO STDOUT` that exports Paperclip's heartbeat_runs as the audit reads it: one
 * narrow line a row, only the columns and usage keys the audit reads (optionally only one
 * company's runs, and those since a time). The audit reads its output as it reads full rows.
 */
function auditExportStatement(options = {}) {
  return copyStatement(PAPERCLIP_COLUMNS, options.companyId ?? null, sinceMs(options.since));
}

module.exports = { auditDeadSessionsFromDatabase, auditExportStatement };

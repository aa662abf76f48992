// `paperclip-session-compaction/database`: the fleet audit over a live database, read in pages
// and fed row by row into the native DeadSessionAuditor. Plain JavaScript: it only runs queries.
"use strict";

const { DeadSessionAuditor } = require("./index.js");

/** `since` as an ISO string for the query (the auditor itself checks the option). */
function sinceIso(since) {
  if (since === undefined || since === null) return null;
  const ms = since instanceof Date ? since.getTime() : typeof since === "string" ? Date.parse(since) : since;
  return typeof ms === "number" && Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** The SQL type `created_at` has; the audit reads either kind of timestamp. */
async function createdAtType(db) {
  const { rows } = await db.query(
    `select format_type(a.atttypid, a.atttypmod) as type
       from pg_attribute a
      where a.attrelid = 'heartbeat_runs'::regclass and a.attname = 'created_at' and not a.attisdropped`,
  );
  const type = rows[0]?.type ?? null;
  if (type === null) throw new Error("heartbeat_runs has no created_at column");
  if (/^timestamp(\(\d\))? with time zone$/.test(type)) return "timestamptz";
  if (/^timestamp(\(\d\))? without time zone$/.test(type)) return "timestamp";
  throw new Error(`heartbeat_runs.created_at is ${type}; the audit reads timestamp columns`);
}

/**
 * One page of rows with a time, ordered by (created_at, id). Each row goes to the auditor as
 * row_to_json of the row plus `createdAt`, its time in epoch milliseconds: the auditor reads
 * the later of two keys for one field, as JSON.parse does, so the time never passes through
 * text (DateStyle, TimeZone). A `timestamp without time zone` is read as UTC. The cursor is
 * the last row's `created_at` as to_json writes it (ISO 8601, exact to the microsecond, under
 * any DateStyle) and its id.
 */
function pageQuery(type) {
  const since = type === "timestamp" ? "($2::timestamptz at time zone 'UTC')" : "$2::timestamptz";
  return `select row_to_json(page)::text as line, to_json(page.created_at) #>> '{}' as cursor_at, page.id::text as cursor_id
      from (select r.*, floor(extract(epoch from r.created_at) * 1000) as "createdAt"
              from heartbeat_runs r
             where r.created_at is not null
               and ($1::text is null or r.company_id::text = $1)
               and ($2::timestamptz is null or r.created_at >= ${since})
               and ($3::text is null or (r.created_at, r.id::text collate "C") > ($3::${type}, $4::text collate "C"))
             order by r.created_at, r.id::text collate "C"
             limit $5) page
     order by page.created_at, page.id::text collate "C"`;
}

/** Rows without a time, by id: the auditor counts each as skipped ("created_at missing"). */
const untimedQuery = `select row_to_json(r)::text as line, r.id::text as cursor_id
    from heartbeat_runs r
   where r.created_at is null
     and ($1::text is null or r.company_id::text = $1)
     and ($2::text is null or r.id::text collate "C" > $2::text collate "C")
   order by r.id::text collate "C"
   limit $3`;

function abortError(signal) {
  if (signal?.reason !== undefined) return signal.reason;
  const error = new Error("The operation was aborted");
  error.name = "AbortError";
  error.code = "ABORT_ERR";
  return error;
}

/**
 * Audits the heartbeat_runs table of a database (PGlite, or a node-postgres Pool or Client:
 * anything with `query(sql, params) -> { rows }`), reading it in pages of `pageSize` rows.
 */
async function auditDeadSessionsFromDatabase(db, options = {}) {
  const { pageSize = 10_000, onPage, signal, ...auditOptions } = options ?? {};
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new TypeError("options.pageSize must be a whole number of rows, at least 1");
  if (onPage !== undefined && typeof onPage !== "function") throw new TypeError("options.onPage must be a function");
  // The pages come ordered by created_at: the audit keeps per-session state only.
  const auditor = new DeadSessionAuditor({ ...auditOptions, ordered: true });
  const companyId = auditOptions.companyId ?? null;
  const since = sinceIso(auditOptions.since);
  const check = () => {
    if (signal?.aborted) throw abortError(signal);
  };
  check();
  /** Reads `sql` page by page into the auditor; `params(last)` are a page's parameters after
   * the previous page's last row (`null` before the first). */
  async function readPages(sql, params) {
    let last = null;
    for (;;) {
      check();
      const { rows } = await db.query(sql, params(last));
      for (const r of rows) auditor.pushRow(r.line);
      if (rows.length > 0) {
        last = rows[rows.length - 1];
        if (onPage) onPage(rows.length);
      }
      if (rows.length < pageSize) return;
    }
  }
  const timed = pageQuery(await createdAtType(db));
  await readPages(timed, (last) => [companyId, since, last?.cursor_at ?? null, last?.cursor_id ?? null, pageSize]);
  await readPages(untimedQuery, (last) => [companyId, last?.cursor_id ?? null, pageSize]);
  return auditor.finish();
}

module.exports = { auditDeadSessionsFromDatabase };

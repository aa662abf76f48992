// `paperclip-session-compaction/database`: the fleet audit over a live database, read in pages
// and streamed into the native DeadSessionAuditor. Plain JavaScript: it only runs queries.
"use strict";

const { DeadSessionAuditor } = require("./index.js");

/** `since` as an ISO string for the query (the auditor itself checks the option). */
function sinceIso(since) {
  if (since === undefined || since === null) return null;
  const ms = since instanceof Date ? since.getTime() : typeof since === "string" ? Date.parse(since) : since;
  return typeof ms === "number" && Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/**
 * Audits the heartbeat_runs table of a database (PGlite, or a node-postgres Pool or Client:
 * anything with `query(sql, params) -> { rows }`), reading it in pages of `pageSize` rows.
 */
async function auditDeadSessionsFromDatabase(db, options = {}) {
  const { pageSize = 10_000, onPage, ...auditOptions } = options ?? {};
  // The pages come ordered by created_at: the audit keeps per-session state only.
  const auditor = new DeadSessionAuditor({ ...auditOptions, ordered: true });
  const companyId = auditOptions.companyId ?? null;
  const since = sinceIso(auditOptions.since);
  let after = null;
  for (;;) {
    const { rows } = await db.query(
      `select row_to_json(r)::text as line, r.created_at::text as at, r.id::text as id
         from heartbeat_runs r
        where ($1::text is null or r.company_id::text = $1)
          and ($2::timestamptz is null or r.created_at >= $2::timestamptz)
          and ($3::timestamptz is null or (r.created_at, r.id::text) > ($3::timestamptz, $4::text))
        order by r.created_at, r.id::text
        limit $5`,
      [companyId, since, after?.at ?? null, after?.id ?? null, pageSize],
    );
    if (rows.length === 0) break;
    auditor.push(rows.map((r) => r.line).join("\n") + "\n");
    after = rows[rows.length - 1];
    if (typeof onPage === "function") onPage(rows.length);
    if (rows.length < pageSize) break;
  }
  return auditor.finish();
}

module.exports = { auditDeadSessionsFromDatabase };

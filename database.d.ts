import type { DeadSessionAuditOptions, DeadSessionAuditReport } from "./index.js";

/** Something to run a query on: PGlite, or a node-postgres Pool or Client. */
export interface AuditQueryable {
  query(sql: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>
}

export interface DatabaseAuditOptions extends DeadSessionAuditOptions {
  /** Rows per query (default 10,000). */
  pageSize?: number | undefined
  /** Called after each page with its number of rows. */
  onPage?: ((rows: number) => void) | undefined
  /** Stops the audit between pages: it rejects with the signal's reason. */
  signal?: AbortSignal | undefined
}

/**
 * Audits the heartbeat_runs table of a database, read in pages ordered by (created_at, id).
 * Rows whose created_at is NULL are counted as skipped; a `timestamp without time zone`
 * column is read as UTC.
 */
export declare function auditDeadSessionsFromDatabase(db: AuditQueryable, options?: DatabaseAuditOptions): Promise<DeadSessionAuditReport>

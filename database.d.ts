import type { DeadSessionAuditOptions, DeadSessionAuditReport } from "./index.js";

/** Something to run a query on: PGlite, a node-postgres Pool or Client, or one connection of anything else. */
export interface AuditQueryable {
  query(sql: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
}

export interface DatabaseAuditOptions extends DeadSessionAuditOptions {
  /** Rows per fetch when the table is read through a cursor (default 10,000); COPY reads it whole. */
  pageSize?: number | undefined;
  /** Called as rows arrive, with the number that just arrived. */
  onPage?: ((rows: number) => void) | undefined;
  /** Stops the audit: it rejects with the signal's reason. On node-postgres an abort ends the
   * connection the COPY runs on, so the server stops at once, even while it waits on a lock. */
  signal?: AbortSignal | undefined;
}

/** Which snapshot of the table the report describes, and how it was read. */
export interface DatabaseSnapshot {
  /** PostgreSQL's text for the snapshot (`pg_current_snapshot()`: xmin:xmax:xip_list). */
  snapshot: string;
  /** When the snapshot was taken (the transaction's start), ISO 8601. */
  takenAt: string;
  /** `copy`: COPY of the narrow lines (node-postgres, PGlite); `cursor`: one cursor. */
  route: "copy" | "cursor";
  /** How many COPYs read the table at once: 2 for a node-postgres Pool and a table of 32 MB or
   * more (two connections sharing the snapshot, each over half of the pages), else 1. */
  streams: number;
}

export interface DatabaseAuditReport extends DeadSessionAuditReport {
  database: DatabaseSnapshot;
}

/**
 * Audits the heartbeat_runs table of a database, read once in one repeatable-read snapshot,
 * moving only the columns and usage keys the audit reads. Rows whose created_at is NULL are
 * counted as skipped; a `timestamp without time zone` column is read as UTC.
 */
export declare function auditDeadSessionsFromDatabase(
  db: AuditQueryable,
  options?: DatabaseAuditOptions,
): Promise<DatabaseAuditReport>;

/**
 * The `COPY … TO STDOUT` statement that exports Paperclip's heartbeat_runs as the audit reads
 * it (one narrow JSON line a row), for `psql -c`; `companyId` and `since` filter as the audit's
 * options do.
 */
export declare function auditExportStatement(options?: {
  companyId?: string | null;
  since?: string | number | Date | null;
}): string;

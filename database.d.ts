import type { DeadSessionAuditOptions, DeadSessionAuditReport } from "./index.js";

/** Something to run a query on: PGlite, or a node-postgres Pool or Client. */
export interface AuditQueryable {
  query(sql: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>
}

/** Audits the heartbeat_runs table of a database, read in pages of `pageSize` rows (default 10,000). */
export declare function auditDeadSessionsFromDatabase(
  db: AuditQueryable,
  options?: DeadSessionAuditOptions & { pageSize?: number; onPage?: (rows: number) => void },
): Promise<DeadSessionAuditReport>

/**
 * paperclip-session-compaction: the heartbeat service's session-compaction decisions,
 * native (Rust, Node-API), in exact parity with the TypeScript service.
 * The shapes below are those of the behaviour contract (SPEC.md).
 */

/** A session-compaction policy, resolved or given. */
export interface SessionCompactionPolicy {
  enabled: boolean
  maxSessionRuns: number
  maxRawInputTokens: number
  maxSessionAgeHours: number
}

/** The part of an agent row the policy is read from (a whole agent row is fine). */
export interface SessionCompactionAgent {
  adapterType: string | null
  runtimeConfig: unknown
}

/** What the circuit breaker reads of a run (newest first). */
export interface CircuitBreakerRun {
  id: string
  livenessState: string | null
  usageJson: unknown
}

export interface CircuitBreakerInput {
  sessionId: string | null | undefined
  runs: ReadonlyArray<CircuitBreakerRun>
  /** Defaults to {@link DEAD_REUSED_SESSION_FAILURE_THRESHOLD}; floored, at least 1. */
  threshold?: number | null
}

export interface CircuitBreakerDecision {
  rotate: boolean
  reason: string | null
  previousRunId: string | null
}

/** A run of the session, as the heartbeat query selects it; other columns are ignored. */
export interface SessionRun {
  id: string
  createdAt: Date | string | number
  usageJson: unknown
  error: string | null
  livenessState: string | null
  resultSummary?: string | null
  resultResult?: string | null
  resultMessage?: string | null
  resultError?: string | null
}

export interface SessionCompactionInput {
  agent: SessionCompactionAgent
  sessionId: string | null | undefined
  issueId: string | null | undefined
  continuationSummaryBody?: string | null
  /** The session's most recent runs, newest first (at least `planSessionCompaction(agent).fetchLimit`). */
  runs: ReadonlyArray<SessionRun>
  /** The session's first run, when `planSessionCompaction(agent).needsOldestRun`. */
  oldestRun?: { id: string; createdAt: Date | string | number } | null
  /** An already-resolved policy; wins over the agent's. */
  policy?: SessionCompactionPolicy
}

export interface SessionCompactionDecision {
  rotate: boolean
  reason: string | null
  handoffMarkdown: string | null
  previousRunId: string | null
}

export type NativeContextManagement = "confirmed" | "likely" | "unknown" | "none"

export interface AdapterSessionManagement {
  supportsSessionResume: boolean
  nativeContextManagement: NativeContextManagement
  defaultSessionCompaction: SessionCompactionPolicy
}

export type SessionCompactionPolicySource = "adapter_default" | "agent_override" | "legacy_fallback"

export interface ResolvedSessionCompactionPolicy {
  policy: SessionCompactionPolicy
  adapterSessionManagement: AdapterSessionManagement | null
  explicitOverride: Partial<SessionCompactionPolicy>
  source: SessionCompactionPolicySource
}

export interface SessionCompactionPlan {
  /** How many of the session's most recent runs `evaluateSessionCompaction` needs. */
  fetchLimit: number
  /** Whether it needs the session's oldest run as `oldestRun`. */
  needsOldestRun: boolean
}

/** Consecutive failed zero-token reused runs after which a session is rotated. */
export declare const DEAD_REUSED_SESSION_FAILURE_THRESHOLD: 3

/** The dead-session circuit breaker. Throws a `TypeError` naming the path on bad input. */
export declare function detectDeadReusedSessionCircuitBreaker(input: CircuitBreakerInput): CircuitBreakerDecision

/** Rotate the session (with a handoff note) or resume it. */
export declare function evaluateSessionCompaction(input: SessionCompactionInput): SessionCompactionDecision

export declare function resolveSessionCompactionPolicy(
  adapterType: string | null | undefined,
  runtimeConfig: unknown,
): ResolvedSessionCompactionPolicy

export declare function parseSessionCompactionPolicy(agent: SessionCompactionAgent): SessionCompactionPolicy

export declare function hasSessionCompactionThresholds(
  policy: Pick<SessionCompactionPolicy, "maxSessionRuns" | "maxRawInputTokens" | "maxSessionAgeHours">,
): boolean

/** What to read from the database before `evaluateSessionCompaction`. */
export declare function planSessionCompaction(agent: SessionCompactionAgent): SessionCompactionPlan

/** Options of the fleet audit. */
export interface DeadSessionAuditOptions {
  /** Only this company's runs. */
  companyId?: string
  /** Only runs created at or after this time (a Date, an ISO string, or epoch milliseconds). */
  since?: Date | string | number
  /** Draw a progress bar on stderr while reading a file or stdin. */
  progress?: boolean
  /** Parsing threads (default: one per core). */
  threads?: number
  /**
   * The rows come ordered by created_at (`COPY (SELECT row_to_json(r) FROM heartbeat_runs r
   * ORDER BY created_at, id) TO STDOUT`): memory is then bounded by the number of sessions,
   * and a row older than its session's previous one is skipped as out of order. Without it,
   * any order is fine and the audit keeps 8 bytes per run.
   */
  ordered?: boolean
}

export interface DeadSessionAuditTotals {
  sessions: number
  runs: number
  deadRuns: number
  /** Sessions that ever had DEAD_REUSED_SESSION_FAILURE_THRESHOLD dead runs in a row. */
  sessionsWithDeadStreak: number
  /** Sessions whose latest runs are such a streak: the breaker would rotate them now. */
  sessionsDeadNow: number
}

export interface DeadSessionAuditSession {
  companyId: string
  agentId: string
  sessionId: string
  runs: number
  deadRuns: number
  longestDeadStreak: number
  /** The dead streak at the session's end (its latest runs). */
  currentDeadStreak: number
  deadNow: boolean
  /** Epoch milliseconds. */
  firstRunAt: number
  lastRunAt: number
}

export interface DeadSessionAuditWhatIf {
  threshold: number
  /** Rotations this threshold would have triggered: one per dead streak at least this long. */
  rotations: number
  /** Dead runs it would have saved: those of each such streak past the threshold. */
  deadRunsSaved: number
}

export interface DeadSessionAuditReport {
  bytesRead: number
  lines: number
  /** Rows counted in the audit. */
  rowsUsed: number
  /** Valid rows left out by `companyId` or `since`. */
  rowsFiltered: number
  /** Valid rows without a persisted session (`session_id_after` null or blank). */
  rowsWithoutSession: number
  /** Malformed rows, missing fields, wrong types: counted, never fatal. */
  rowsSkipped: number
  skippedByReason: Array<{ reason: string; rows: number }>
  /** The first ten skipped rows, with their line numbers. */
  firstErrors: Array<{ line: number; reason: string; detail: string }>
  totals: DeadSessionAuditTotals
  companies: Array<{ companyId: string; agents: number; totals: DeadSessionAuditTotals }>
  agents: Array<{ companyId: string; agentId: string; totals: DeadSessionAuditTotals }>
  sessions: DeadSessionAuditSession[]
  /** Thresholds 1 to 10. */
  whatIf: DeadSessionAuditWhatIf[]
  elapsedMs: number
}

/**
 * Audits a heartbeat_runs history, one JSON row per line (as `COPY (SELECT row_to_json(r)
 * FROM heartbeat_runs r) TO STDOUT` writes it; snake_case or camelCase keys): a file path
 * (gzip is detected; "-" reads standard input) or a Buffer.
 */
export declare function auditDeadSessions(source: string | Uint8Array, options?: DeadSessionAuditOptions): DeadSessionAuditReport

/** Something to run a query on: PGlite, or a node-postgres Pool or Client. */
export interface AuditQueryable {
  query(sql: string, params?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>
}

/** Audits the heartbeat_runs table of a database, read in pages of `pageSize` rows (default 10,000). */
export declare function auditDeadSessionsFromDatabase(
  db: AuditQueryable,
  options?: DeadSessionAuditOptions & { pageSize?: number; onPage?: (rows: number) => void },
): Promise<DeadSessionAuditReport>

/** A streaming audit for histories that arrive in pieces. */
export declare class DeadSessionAuditor {
  constructor(options?: DeadSessionAuditOptions)
  /** NDJSON text; a line may be split across pushes. */
  push(chunk: Uint8Array | string): this
  /** Ends the input; the auditor cannot be used after. */
  finish(): DeadSessionAuditReport
}

/**
 * paperclip-session-compaction: the heartbeat service's session-compaction decisions,
 * native (Rust, Node-API), in exact parity with the TypeScript service. The contract is
 * docs/contract.md. This header is ours; what follows it napi-rs generates from src/binding.
 */

/** The type of DEAD_REUSED_SESSION_FAILURE_THRESHOLD: its value. */
export type DeadReusedSessionFailureThreshold = 3

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
  /**
   * The session's first run, when `planSessionCompaction(agent).needsOldestRun`; `null` when
   * the database found none (the age is then 0). Left out, the last of `runs` stands in.
   */
  oldestRun?: { id: string; createdAt: Date | string | number } | null
  /** An already-resolved policy; wins over the agent's. */
  policy?: SessionCompactionPolicy
}

export type NativeContextManagement = "confirmed" | "likely" | "unknown" | "none"

export type SessionCompactionPolicySource = "adapter_default" | "agent_override" | "legacy_fallback"

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
   * The rows come ordered by created_at: memory is then bounded by the number of sessions,
   * and a row older than its session's previous one is skipped as out of order. Without it,
   * any order is fine and the audit keeps 8 bytes per run.
   */
  ordered?: boolean
}

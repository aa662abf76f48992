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

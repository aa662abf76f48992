/**
 * paperclip-session-compaction: the heartbeat service's session-compaction decisions,
 * native (Rust, Node-API), in exact parity with the TypeScript service. The contract is
 * docs/contract.md. This header is ours; what follows it napi-rs generates from src/binding.
 */

/** The type of DEAD_REUSED_SESSION_FAILURE_THRESHOLD: its value. */
export type DeadReusedSessionFailureThreshold = 3;

/** The part of an agent row the policy is read from (a whole agent row is fine). */
export interface SessionCompactionAgent {
  adapterType?: string | null | undefined;
  runtimeConfig: unknown;
}

/**
 * The dead-session circuit breaker's answer. `rotate: true` comes with the reason;
 * `previousRunId` is the latest run's id as given (`null` when there is none).
 */
export type CircuitBreakerDecision =
  | { rotate: true; reason: string; previousRunId: string | null }
  | { rotate: false; reason: null; previousRunId: string | null };

/**
 * Rotate the session (with a handoff note for the fresh one) or resume it: `rotate: true`
 * comes with the reason and the handoff note, `rotate: false` with neither.
 */
export type SessionCompactionDecision =
  | { rotate: true; reason: string; handoffMarkdown: string; previousRunId: string | null }
  | { rotate: false; reason: null; handoffMarkdown: null; previousRunId: string | null };

/** What the circuit breaker reads of a run (newest first). */
export interface CircuitBreakerRun {
  id: string;
  livenessState: string | null;
  usageJson: unknown;
  /** Read only with `countUnrecordedResumes: true`, of a run with no usage record. */
  sessionIdBefore?: string | null | undefined;
}

/**
 * Opt-in widenings of the breaker's dead-run rule. Left out (or `null`), the rule is the
 * fork's, exactly: a `"failed"` run whose usage record shows the session reused and no token.
 */
export interface DeadRunRuleOptions {
  /**
   * The `livenessState` values that can make a run dead (default `["failed"]`); for example
   * `["failed", "empty_response"]` also counts runs the server marks as empty responses.
   */
  deadLivenessStates?: ReadonlyArray<string> | null | undefined;
  /**
   * Also count a run in one of those states that resumed the session (`sessionIdBefore`
   * equal to `sessionId`) and left no usage record (`usageJson` null or absent). Default
   * `false`; select `sessionIdBefore` with the runs when you turn it on.
   */
  countUnrecordedResumes?: boolean | null | undefined;
}

export interface CircuitBreakerInput extends DeadRunRuleOptions {
  sessionId: string | null | undefined;
  runs: ReadonlyArray<CircuitBreakerRun>;
  /** Defaults to {@link DEAD_REUSED_SESSION_FAILURE_THRESHOLD}; floored, at least 1. */
  threshold?: number | null | undefined;
}

/** A run of the session, as the heartbeat query selects it; other columns are ignored. */
export interface SessionRun {
  id: string;
  createdAt: Date | string | number;
  usageJson: unknown;
  error: string | null;
  livenessState: string | null;
  resultSummary?: string | null | undefined;
  resultResult?: string | null | undefined;
  resultMessage?: string | null | undefined;
  resultError?: string | null | undefined;
}

export interface SessionCompactionInput extends DeadRunRuleOptions {
  agent: SessionCompactionAgent;
  sessionId: string | null | undefined;
  issueId: string | null | undefined;
  continuationSummaryBody?: string | null | undefined;
  /** The session's most recent runs, newest first (at least `planSessionCompaction(agent).fetchLimit`). */
  runs: ReadonlyArray<SessionRun>;
  /**
   * The session's first run, when `planSessionCompaction(agent).needsOldestRun`; `null` when
   * the database found none (the age is then 0). Left out, the last of `runs` stands in.
   */
  oldestRun?: { id: string; createdAt: Date | string | number } | null | undefined;
  /** An already-resolved policy; wins over the agent's. */
  policy?: SessionCompactionPolicy | undefined;
}

export type NativeContextManagement = "confirmed" | "likely" | "unknown" | "none";

export type SessionCompactionPolicySource = "adapter_default" | "agent_override" | "legacy_fallback";

/** Options of the fleet audit. */
export interface DeadSessionAuditOptions extends DeadRunRuleOptions {
  /** Only this company's runs. */
  companyId?: string | undefined;
  /** Only runs created at or after this time (a Date, an ISO string, or epoch milliseconds). */
  since?: Date | string | number | undefined;
  /** Draw a progress bar on stderr while reading a file or stdin. */
  progress?: boolean | undefined;
  /** Parsing threads (default: one per core). */
  threads?: number | undefined;
  /**
   * The rows come ordered by created_at: memory is then bounded by the number of sessions,
   * and a row older than its session's previous one is skipped as out of order. Without it,
   * any order is fine and the audit keeps 8 bytes per run.
   */
  ordered?: boolean | undefined;
  /**
   * A longer line is skipped as "line too long" while the audit streams past it, never held
   * whole (default 64 MiB).
   */
  maxLineBytes?: number | undefined;
  /**
   * Write out only this many sessions dead now (the longest current streaks) and this many of
   * the longest dead streaks in `sessions`, instead of every session: what a report for people
   * shows, without an object per session of a large fleet. Totals, companies, agents, the
   * tables and `newestRunAtMs` still count every session; `sessionsOmitted` says how many are
   * left out. Default: every session.
   */
  topSessions?: number | undefined;
  /**
   * Cancels `auditDeadSessions`: the promise rejects with an `AbortError` (code `ABORT_ERR`),
   * at once if the signal is already aborted. napi-rs listens through the signal's `onabort`.
   */
  signal?: AbortSignal | undefined;
}

export interface DeadSessionAuditTotals {
  sessions: number;
  runs: number;
  deadRuns: number;
  /**
   * Runs the rule in force cannot see: `liveness_state` one of its states ("failed" by
   * default), resuming their session (`session_id_before` equal to `session_id_after`), with
   * no usage record (`usage_json` null or absent). The service writes `usage_json` only when
   * there is usage or a cost. Always 0 when the rule counts unrecorded resumes.
   */
  unseenFailedRuns: number;
  /** Sessions that ever had DEAD_REUSED_SESSION_FAILURE_THRESHOLD dead runs in a row. */
  sessionsWithDeadStreak: number;
  /**
   * Sessions whose latest runs are such a streak and that the server will still resume: no
   * rotation recorded after their last run (from a database with Paperclip's session tables,
   * and still pointed at by `agent_runtime_state` or `agent_task_sessions`). See
   * {@link DeadSessionAuditReport.deadNowAuthority}.
   */
  sessionsDeadNow: number;
  /** Sessions whose latest runs are such a streak but that were rotated after them. */
  sessionsRotatedDead: number;
  /** The rotations the history records, by kind. */
  rotations: DeadSessionAuditRotations;
  /** The dead runs each session the breaker rotated burned before it, summed: the threshold's cost, measured. */
  deadRunsBeforeBreakerRotations: number;
}

/** What rotated a session, told by the decision's reason. */
export type DeadSessionRotationKind =
  "fork_breaker" | "wider_breaker" | "run_limit" | "raw_input" | "session_age" | "other";

/** Rotations, by kind. */
export interface DeadSessionAuditRotations {
  forkBreaker: number;
  widerBreaker: number;
  runLimit: number;
  rawInput: number;
  sessionAge: number;
  other: number;
}

export interface DeadSessionAuditSession {
  companyId: string;
  agentId: string;
  sessionId: string;
  runs: number;
  deadRuns: number;
  /** See {@link DeadSessionAuditTotals.unseenFailedRuns}. */
  unseenFailedRuns: number;
  longestDeadStreak: number;
  /** The dead streak at the session's end (its latest runs). */
  currentDeadStreak: number;
  /** A dead streak of at least 3 at its end, and not rotated since (see {@link DeadSessionAuditTotals.sessionsDeadNow}). */
  deadNow: boolean;
  /** The session's latest rotation at or after its last run (the time of the run it started), or null. */
  rotation: { at: string; atMs: number; kind: DeadSessionRotationKind } | null;
  /** ISO 8601, as `toISOString` writes it. */
  firstRunAt: string;
  lastRunAt: string;
  /** The same times in epoch milliseconds. */
  firstRunAtMs: number;
  lastRunAtMs: number;
}

export interface DeadSessionAuditWhatIf {
  threshold: number;
  /** Rotations this threshold would have triggered: one per dead streak at least this long. */
  rotations: number;
  /** Dead runs it would have saved: those of each such streak past the threshold. */
  deadRunsSaved: number;
  /**
   * Of those rotations, the ones on a streak that a later run of the same session ended on its
   * own: the session came back, and rotating would have thrown its context away.
   */
  recovered: number;
}

/** Why a row was skipped, as a code. */
export type DeadSessionAuditSkipCode =
  | "malformed_json"
  | "not_an_object"
  | "company_id"
  | "agent_id"
  | "created_at"
  | "session_id_after"
  | "line_too_long"
  | "out_of_order"
  | "ended_early";

/** The fleet audit's report (the core's report, serialized). */
export interface DeadSessionAuditReport {
  /** The dead-run rule the audit counted by (the breaker's default unless widened). */
  deadRunRule: { deadLivenessStates: string[]; countUnrecordedResumes: boolean };
  bytesRead: number;
  lines: number;
  /** Rows counted in the audit. */
  rowsUsed: number;
  /** Valid rows left out by `companyId` or `since`. */
  rowsFiltered: number;
  /** Valid rows without a persisted session (`session_id_after` null or blank). */
  rowsWithoutSession: number;
  /** Malformed rows, missing fields, wrong types: counted, never fatal. */
  rowsSkipped: number;
  /** `reason` in words for people, `code` for programs (it never changes with the words). */
  skippedByReason: Array<{ reason: string; code: DeadSessionAuditSkipCode; rows: number }>;
  /** The first ten skipped rows, with their line numbers. */
  firstErrors: Array<{ line: number; reason: string; code: DeadSessionAuditSkipCode; detail: string }>;
  totals: DeadSessionAuditTotals;
  companies: Array<{ companyId: string; agents: number; totals: DeadSessionAuditTotals }>;
  agents: Array<{ companyId: string; agentId: string; totals: DeadSessionAuditTotals }>;
  /** Every session, in id order; with `topSessions`, only those it asks for. */
  sessions: DeadSessionAuditSession[];
  /** Sessions left out of `sessions` by `topSessions` (0 without it). */
  sessionsOmitted: number;
  /** The newest run's `created_at` among the audited sessions, in epoch milliseconds; null when there is none. */
  newestRunAtMs: number | null;
  /** Thresholds 1 to 10. */
  whatIf: DeadSessionAuditWhatIf[];
  /** The same table for the rule widened to count unseen failed runs as dead too. */
  whatIfWider: DeadSessionAuditWhatIf[];
  /** Every maximal dead streak counted once, by length, ascending. */
  deadStreaks: Array<{ length: number; streaks: number }>;
  /** One entry per UTC day with runs or rotations, ascending. */
  days: Array<{ day: string; runs: number; deadRuns: number; rotations: DeadSessionAuditRotations }>;
  /**
   * What decided `deadNow`: `"rotation_records"` (the history records rotations), `"none"` (it
   * records none: the last runs alone), or, from a database with Paperclip's session tables,
   * `"live_pointers"` (a session is resumable only while one points at it).
   */
  deadNowAuthority: "none" | "rotation_records" | "live_pointers";
  /** The whole call as its caller sees it, in milliseconds: from the call (or, for `DeadSessionAuditor`, its construction) to the report in hand. */
  elapsedMs: number;
}

/**
 * Which binding artifact the generated loader actually loaded: `'native'` for
 * a native addon, otherwise the `platformArchABI` of the WASI flavor. Every
 * flavor napi-rs can build is listed, because `NAPI_RS_NATIVE_LIBRARY_PATH`
 * can point the loader at a WASI artifact this package does not build itself.
 */
export declare const __napiBindingTarget: 'native' | 'wasm32-wasi' | 'wasm32-wasip1'

/**
 * A streaming audit for histories that arrive in pieces: chunks of text (`push`), or whole
 * rows (`pushRow`, as a database hands them out).
 */
export declare class DeadSessionAuditor {
  constructor(options?: DeadSessionAuditOptions)
  /** Feeds NDJSON text; lines may be split across calls, and so may a surrogate pair. */
  push(chunk: Uint8Array | string): this
  /** Feeds one whole row: its line breaks are JSON whitespace, never the end of a row. */
  pushRow(row: Uint8Array | string): this
  /**
   * The sessions the server would still resume, as a database's live pointers name them
   * (`{ companyId, agentId, sessionId }` each): dead now is then decided by them.
   */
  liveSessions(sessions: Array<{ companyId: string; agentId: string; sessionId: string }>): this
  /** Ends the input and answers the report; the auditor cannot be used after. */
  finish(): DeadSessionAuditReport
}

/**
 * The `@paperclipai/adapter-utils` release whose adapter table `resolveSessionCompactionPolicy`
 * answers as (data/adapter-table.json).
 */
export declare const ADAPTER_TABLE_VERSION: string

/** How an adapter manages its sessions. */
export interface AdapterSessionManagement {
  supportsSessionResume: boolean
  nativeContextManagement: NativeContextManagement
  defaultSessionCompaction: SessionCompactionPolicy
}

/**
 * Audits a history off the JavaScript thread: a file path (`-` for standard input; gzip is
 * detected) or a Buffer (copied first). `options.signal` cancels it.
 */
export declare function auditDeadSessions(source: string | Uint8Array, options?: DeadSessionAuditOptions): Promise<DeadSessionAuditReport>

/** `auditDeadSessions` on the calling thread: the same report, synchronously. */
export declare function auditDeadSessionsSync(source: string | Uint8Array, options?: DeadSessionAuditOptions): DeadSessionAuditReport

/**
 * The dead-session circuit breaker's answer, field by field; `CircuitBreakerDecision` (in
 * `types.d.ts`) is the same object as a union on `rotate`.
 */
export interface CircuitBreakerDecisionFields {
  rotate: boolean
  reason: string | null
  previousRunId: string | null
}

/** Consecutive failed zero-token reused runs after which a session is rotated. */
export declare const DEAD_REUSED_SESSION_FAILURE_THRESHOLD: DeadReusedSessionFailureThreshold

/** Which runs the breaker counts as dead. */
export interface DeadRunRule {
  /** The `livenessState` values that can make a run dead. */
  deadLivenessStates: string[]
  /** Whether a run that resumed the session and left no usage record counts too. */
  countUnrecordedResumes: boolean
}

/** The dead-session circuit breaker. Throws a `TypeError` naming the path on bad input. */
export declare function detectDeadReusedSessionCircuitBreaker(input: CircuitBreakerInput): CircuitBreakerDecision

/** Rotate the session (with a handoff note) or resume it. */
export declare function evaluateSessionCompaction(input: SessionCompactionInput): SessionCompactionDecision

/** The policy an explanation used. */
export interface ExplainedSessionCompactionPolicy {
  enabled: boolean
  maxSessionRuns: number
  maxRawInputTokens: number
  maxSessionAgeHours: number
  /** `"caller"` when `input.policy` was given, else the agent's resolution's source. */
  source: SessionCompactionPolicySource | 'caller'
  /** Enabled, with at least one limit: the thresholds can rotate the session. */
  thresholdsOn: boolean
}

/**
 * The decision `evaluateSessionCompaction` answers, the policy it used, and each rule's
 * reading against its limit. Throws what `evaluateSessionCompaction` throws.
 */
export declare function explainSessionCompaction(input: SessionCompactionInput): SessionCompactionExplanation

/** Whether any of the policy's three limits is above zero. */
export declare function hasSessionCompactionThresholds(policy: Pick<SessionCompactionPolicy, 'maxSessionRuns' | 'maxRawInputTokens' | 'maxSessionAgeHours'>): boolean

/** The resolved policy of an agent row. */
export declare function parseSessionCompactionPolicy(agent: SessionCompactionAgent): SessionCompactionPolicy

/** What to read from the database before `evaluateSessionCompaction`. */
export declare function planSessionCompaction(agent: SessionCompactionAgent): SessionCompactionPlan

/** The agent's policy and where it came from. */
export interface ResolvedSessionCompactionPolicy {
  policy: SessionCompactionPolicy
  adapterSessionManagement: AdapterSessionManagement | null
  explicitOverride: SessionCompactionOverride
  source: SessionCompactionPolicySource
}

/** The agent's session-compaction policy: the adapter's default, overridden field by field. */
export declare function resolveSessionCompactionPolicy(adapterType: string | null | undefined, runtimeConfig: unknown): ResolvedSessionCompactionPolicy

/**
 * Rotate the session (with a handoff note for the fresh one) or resume it, field by field;
 * `SessionCompactionDecision` (in `types.d.ts`) is the same object as a union on `rotate`.
 */
export interface SessionCompactionDecisionFields {
  rotate: boolean
  reason: string | null
  handoffMarkdown: string | null
  previousRunId: string | null
}

/** `evaluateSessionCompaction`'s decision with everything behind it. */
export interface SessionCompactionExplanation {
  decision: SessionCompactionDecision
  /** `null` when there is no session (`sessionId` falsy): nothing is decided from a policy. */
  policy: ExplainedSessionCompactionPolicy | null
  /** The rule the breaker counted dead runs by (`measurements.deadStreak` is under it). */
  breakerRule: DeadRunRule
  measurements: SessionMeasurements
}

/** The policy fields an agent's `runtimeConfig` sets: only those are present. */
export interface SessionCompactionOverride {
  enabled?: boolean
  maxSessionRuns?: number
  maxRawInputTokens?: number
  maxSessionAgeHours?: number
}

/** What to read from the database before `evaluateSessionCompaction`. */
export interface SessionCompactionPlan {
  /** How many of the session's most recent runs `evaluateSessionCompaction` needs. */
  fetchLimit: number
  /** Whether it needs the session's oldest run as `oldestRun`. */
  needsOldestRun: boolean
}

/** A session-compaction policy, resolved or given. */
export interface SessionCompactionPolicy {
  enabled: boolean
  maxSessionRuns: number
  maxRawInputTokens: number
  maxSessionAgeHours: number
}

/** A rule's reading against its limit. */
export interface SessionMeasurement {
  /** `null` where nothing was measured: no session, no runs, no token usage, no valid times. */
  value: number | null
  /** 0 when the rule is off. */
  limit: number
  /** The reading is at (or, for runs, past) its limit. */
  reached: boolean
}

/** Every reading the rules compare with their limits. */
export interface SessionMeasurements {
  /** The runs fetched for the session (`runs.length`) against `maxSessionRuns`. */
  sessionRuns: SessionMeasurement
  /** The latest run's raw input tokens against `maxRawInputTokens`. */
  rawInputTokens: SessionMeasurement
  /** Hours from the oldest run to the latest against `maxSessionAgeHours`. */
  sessionAgeHours: SessionMeasurement
  /** Every dead run leading `runs` against the breaker's threshold. */
  deadStreak: SessionMeasurement
}

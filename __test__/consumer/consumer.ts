// A small TypeScript consumer, type-checked (tsc --noEmit) against the shipped index.d.ts.
// The @ts-expect-error lines fail the check if the types ever become loose.
import {
  auditDeadSessions,
  auditDeadSessionsSync,
  DEAD_REUSED_SESSION_FAILURE_THRESHOLD,
  type DeadSessionAuditReport,
  detectDeadReusedSessionCircuitBreaker,
  evaluateSessionCompaction,
  explainSessionCompaction,
  hasSessionCompactionThresholds,
  parseSessionCompactionPolicy,
  planSessionCompaction,
  resolveSessionCompactionPolicy,
  type SessionCompactionDecision,
  type SessionCompactionExplanation,
  type SessionCompactionPolicy,
  type SessionRun,
} from "../../index.js";

const threshold: 3 = DEAD_REUSED_SESSION_FAILURE_THRESHOLD;

// A whole agent row is fine: extra columns are allowed.
const agent = { id: "agent-1", companyId: "company-1", adapterType: "claude_local", runtimeConfig: { heartbeat: {} } };
const plan: { fetchLimit: number; needsOldestRun: boolean } = planSessionCompaction(agent);

const runs: SessionRun[] = [
  {
    id: "r2",
    createdAt: new Date(),
    usageJson: { inputTokens: 1 },
    error: null,
    livenessState: "completed",
    resultSummary: "done",
  },
  { id: "r1", createdAt: "2026-06-06T12:00:00.000Z", usageJson: null, error: "boom", livenessState: "failed" },
];
const decision: SessionCompactionDecision = evaluateSessionCompaction({
  agent,
  sessionId: "s",
  issueId: null,
  continuationSummaryBody: null,
  runs: runs.slice(0, plan.fetchLimit),
  oldestRun: plan.needsOldestRun ? { id: "r0", createdAt: 0 } : null,
});
const rotate: boolean = decision.rotate;
const note: string | null = decision.handoffMarkdown;
// @ts-expect-error reason may be null
const reasonLength: number = decision.reason.length;
// `rotate` narrows the rest: a rotation has its reason and handoff note, a resume neither.
if (decision.rotate) {
  const why: string = decision.reason;
  const handoff: string = decision.handoffMarkdown;
  console.log(why, handoff);
} else {
  const none: null = decision.reason;
  // @ts-expect-error a resume has no handoff note
  const handoff: string = decision.handoffMarkdown;
  console.log(none, handoff);
}
// The guide's own pattern: optional fields given as undefined (fine under exactOptionalPropertyTypes).
const planned = evaluateSessionCompaction({
  agent: { adapterType: undefined, runtimeConfig: {} },
  sessionId: "s",
  issueId: undefined,
  continuationSummaryBody: undefined,
  runs,
  oldestRun: plan.needsOldestRun ? { id: "r0", createdAt: 0 } : undefined,
  policy: undefined,
});
const tripped = detectDeadReusedSessionCircuitBreaker({ sessionId: "s", runs, threshold: undefined });
if (tripped.rotate) {
  const why: string = tripped.reason;
  console.log(why, planned.rotate);
}

const breaker = detectDeadReusedSessionCircuitBreaker({ sessionId: null, runs, threshold });
const previous: string | null = breaker.previousRunId;

const resolved = resolveSessionCompactionPolicy("cursor", undefined);
const source: "adapter_default" | "agent_override" | "legacy_fallback" = resolved.source;
const native: "confirmed" | "likely" | "unknown" | "none" | undefined =
  resolved.adapterSessionManagement?.nativeContextManagement;
const override: number | undefined = resolved.explicitOverride.maxSessionRuns;
// @ts-expect-error the source is a closed set
const wrongSource: "custom" = resolved.source;

const policy: SessionCompactionPolicy = parseSessionCompactionPolicy(agent);
const on: boolean = hasSessionCompactionThresholds(policy) && policy.enabled;

// @ts-expect-error sessionId is a string, null or undefined
evaluateSessionCompaction({ agent, sessionId: 5, issueId: null, runs });
// @ts-expect-error runs are required
evaluateSessionCompaction({ agent, sessionId: "s", issueId: null });
// @ts-expect-error a run's createdAt is a Date, string or number
const badRun: SessionRun = { id: "x", createdAt: true, usageJson: null, error: null, livenessState: null };

// The explanation: the same decision, the policy (null without a session), four readings.
const explanation: SessionCompactionExplanation = explainSessionCompaction({
  agent,
  sessionId: "s",
  issueId: null,
  runs,
});
const sameDecision: SessionCompactionDecision = explanation.decision;
const runsSoFar: number | null = explanation.measurements.sessionRuns.value;
const deadLimit: number = explanation.measurements.deadStreak.limit;
const reached: boolean = explanation.measurements.sessionAgeHours.reached;
const explainedSource: "adapter_default" | "agent_override" | "legacy_fallback" | "caller" | undefined =
  explanation.policy?.source;
// @ts-expect-error the policy is null when there is no session
const thresholdsOn: boolean = explanation.policy.thresholdsOn;
// @ts-expect-error a measurement's value may be null
const tokens: number = explanation.measurements.rawInputTokens.value;
// @ts-expect-error the four measurements are a closed set
const unknownMeasurement = explanation.measurements.tokensPerRun;

// The audit: a Promise, or the same report synchronously.
const pending: Promise<DeadSessionAuditReport> = auditDeadSessions("runs.ndjson", {
  maxLineBytes: 1 << 20,
  ordered: true,
});
const report: DeadSessionAuditReport = auditDeadSessionsSync(new Uint8Array(0));
const skipped: number = report.rowsSkipped;
// @ts-expect-error auditDeadSessions answers a Promise of the report
const notYet: DeadSessionAuditReport = auditDeadSessions("runs.ndjson");

export {
  sameDecision,
  runsSoFar,
  deadLimit,
  reached,
  explainedSource,
  thresholdsOn,
  tokens,
  unknownMeasurement,
  pending,
  skipped,
  notYet,
};
export { rotate, note, reasonLength, previous, source, native, override, wrongSource, on, badRun };

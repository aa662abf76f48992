// The heartbeat service's session-compaction step, with the native core doing the deciding:
// resolve the agent's policy with the server's own @paperclipai/adapter-utils (so the decision
// follows whatever adapter table the server ships), read the session's runs from
// heartbeat_runs (newest first, as many as the policy needs), the oldest run only when the
// policy has an age limit, then ask explainSessionCompaction, given that policy: the decision
// evaluateSessionCompaction would answer, and every reading behind it.
// Every query is scoped by company as well as agent and session.
import type { SessionCompactionPolicy } from "@paperclipai/adapter-utils/session-compaction";
import {
  DEAD_REUSED_SESSION_FAILURE_THRESHOLD,
  type DeadRunRuleOptions,
  explainSessionCompaction,
  type SessionCompactionDecision,
  type SessionCompactionExplanation,
  type SessionCompactionPlan,
  type SessionRun,
} from "paperclip-session-compaction";
import type { Queryable } from "./db";

export interface AgentRow {
  id: string;
  companyId: string;
  name: string;
  adapterType: string | null;
  runtimeConfig: unknown;
}

export interface SessionCompactionStep {
  agent: AgentRow;
  sessionId: string | null;
  plan: SessionCompactionPlan;
  runsRead: number;
  decision: SessionCompactionDecision;
  /** The policy and each rule's reading against its limit, for dashboards and logs. */
  explanation: SessionCompactionExplanation;
}

export async function loadAgent(db: Queryable, companyId: string, agentId: string): Promise<AgentRow | null> {
  const { rows } = await db.query<AgentRow>(
    `select id, company_id as "companyId", name, adapter_type as "adapterType", runtime_config as "runtimeConfig"
       from agents where company_id = $1 and id = $2`,
    [companyId, agentId],
  );
  return rows[0] ?? null;
}

/** The session the agent's next heartbeat would resume. */
export async function currentSessionId(db: Queryable, agent: AgentRow): Promise<string | null> {
  const { rows } = await db.query<{ sessionId: string | null }>(
    `select session_id as "sessionId" from agent_runtime_state where company_id = $1 and agent_id = $2`,
    [agent.companyId, agent.id],
  );
  return rows[0]?.sessionId ?? null;
}

/** The session's most recent runs, newest first, with the result fields cut as the service cuts them. */
export async function selectRecentRuns(
  db: Queryable,
  agent: AgentRow,
  sessionId: string,
  limit: number,
): Promise<SessionRun[]> {
  const { rows } = await db.query<SessionRun>(
    `select id, created_at as "createdAt", usage_json as "usageJson", error, liveness_state as "livenessState",
            session_id_before as "sessionIdBefore",
            left(result_json->>'summary', 500) as "resultSummary",
            left(result_json->>'result', 500) as "resultResult",
            left(result_json->>'message', 500) as "resultMessage",
            left(result_json->>'error', 500) as "resultError"
       from heartbeat_runs
      where company_id = $1 and agent_id = $2 and session_id_after = $3
      order by created_at desc, id desc
      limit $4`,
    // A limit past any safe integer reads every run, which is what such a limit means.
    [agent.companyId, agent.id, sessionId, Number.isSafeInteger(limit) ? limit : null],
  );
  return rows;
}

export async function selectOldestRun(
  db: Queryable,
  agent: AgentRow,
  sessionId: string,
): Promise<{ id: string; createdAt: Date } | null> {
  const { rows } = await db.query<{ id: string; createdAt: Date }>(
    `select id, created_at as "createdAt" from heartbeat_runs
      where company_id = $1 and agent_id = $2 and session_id_after = $3
      order by created_at asc, id asc
      limit 1`,
    [agent.companyId, agent.id, sessionId],
  );
  return rows[0] ?? null;
}

/** A rotated session must not come back as the next run's fallback. */
export async function dropSessionFallback(db: Queryable, agent: AgentRow, sessionId: string): Promise<void> {
  await db.query(
    `update agent_runtime_state set session_id = null, updated_at = now()
      where company_id = $1 and agent_id = $2 and session_id = $3`,
    [agent.companyId, agent.id, sessionId],
  );
}

/**
 * The agent's opt-in wider breaker, from its runtime config (`heartbeat.deadSessionBreaker`):
 * `{ deadLivenessStates: ["failed", "empty_response"], countUnrecordedResumes: true }`, say.
 * Left out, the breaker is the fork's. The values are passed as they are: the core refuses
 * anything but a list of strings and a boolean with a TypeError naming the field.
 */
export function deadRunRuleOf(agent: AgentRow): DeadRunRuleOptions {
  const config = agent.runtimeConfig as { heartbeat?: { deadSessionBreaker?: DeadRunRuleOptions | null } } | null;
  const breaker = config?.heartbeat?.deadSessionBreaker;
  if (breaker === null || breaker === undefined || typeof breaker !== "object") return {};
  return { deadLivenessStates: breaker.deadLivenessStates, countUnrecordedResumes: breaker.countUnrecordedResumes };
}

// adapter-utils ships ES modules only; a dynamic import loads it from CommonJS callers too.
const adapterUtils = import("@paperclipai/adapter-utils/session-compaction");

/** What to read, as the service computes it from its policy: the run limit plus one when the
 * thresholds are on, never fewer than 4 runs; the oldest run only for an age limit. */
export function readingPlan(policy: SessionCompactionPolicy): SessionCompactionPlan {
  const thresholdsOn =
    policy.enabled && (policy.maxSessionRuns > 0 || policy.maxRawInputTokens > 0 || policy.maxSessionAgeHours > 0);
  return {
    fetchLimit: Math.max(
      thresholdsOn && policy.maxSessionRuns > 0 ? policy.maxSessionRuns + 1 : 0,
      DEAD_REUSED_SESSION_FAILURE_THRESHOLD,
      4,
    ),
    needsOldestRun: policy.maxSessionAgeHours > 0,
  };
}

export async function runSessionCompactionStep(
  db: Queryable,
  agent: AgentRow,
  context: { issueId?: string | null; continuationSummaryBody?: string | null } = {},
): Promise<SessionCompactionStep> {
  const { resolveSessionCompactionPolicy } = await adapterUtils;
  const { policy } = resolveSessionCompactionPolicy(agent.adapterType, agent.runtimeConfig);
  const plan = readingPlan(policy);
  const sessionId = await currentSessionId(db, agent);
  const runs = sessionId ? await selectRecentRuns(db, agent, sessionId, plan.fetchLimit) : [];
  // Without an age limit the oldest run is not read: left out, the last run read stands in, so
  // the explanation's age is that of the runs read.
  const oldestRun = sessionId && plan.needsOldestRun ? await selectOldestRun(db, agent, sessionId) : undefined;
  const explanation = explainSessionCompaction({
    agent,
    sessionId,
    issueId: context.issueId ?? null,
    continuationSummaryBody: context.continuationSummaryBody ?? null,
    runs,
    oldestRun,
    policy,
    ...deadRunRuleOf(agent),
  });
  const decision = explanation.decision;
  if (decision.rotate && sessionId) await dropSessionFallback(db, agent, sessionId);
  return { agent, sessionId, plan, runsRead: runs.length, decision, explanation };
}

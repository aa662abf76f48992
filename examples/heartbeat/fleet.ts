// Seeding: companies, agents, their current sessions and heartbeat runs, as rows.
import type { Queryable } from "./db";

export interface RunSeed {
  id: string;
  createdAt: Date;
  livenessState: string;
  usage?: Record<string, unknown> | null;
  result?: Record<string, unknown> | null;
  error?: string | null;
}

export interface AgentSeed {
  id: string;
  name: string;
  adapterType: string | null;
  runtimeConfig?: Record<string, unknown>;
  sessionId: string | null;
  runs: RunSeed[];
}

export const HOUR = 3_600_000;

/** Usage as the service writes it for a run that resumed `session`. */
export function usage(session: string, inputTokens: number, outputTokens = inputTokens ? 800 : 0) {
  return {
    provider: "anthropic",
    model: "claude",
    persistedSessionId: session,
    sessionReused: true,
    taskSessionReused: true,
    freshSession: false,
    sessionRotated: false,
    inputTokens,
    rawInputTokens: inputTokens,
    cachedInputTokens: 0,
    rawCachedInputTokens: 0,
    outputTokens,
    rawOutputTokens: outputTokens,
    costUsd: inputTokens * 3e-6,
  };
}

/** `count` runs of `session`, newest at `newest`, one every `everyHours` hours. */
export function runs(
  prefix: string,
  session: string,
  count: number,
  newest: Date,
  opts: {
    everyHours?: number;
    dead?: boolean;
    inputTokens?: number;
    summary?: string;
    emptyResponse?: boolean;
    noUsage?: boolean;
  } = {},
): RunSeed[] {
  const every = opts.everyHours ?? 1;
  // An empty response exits 0 with no output; a dead run with no usage failed before the
  // adapter reported any (the service then writes no usage record).
  const liveness = opts.emptyResponse ? "empty_response" : opts.dead ? "failed" : "advanced";
  return Array.from({ length: count }, (_, i) => ({
    id: `${prefix}-${count - i}`,
    createdAt: new Date(newest.getTime() - i * every * HOUR),
    livenessState: liveness,
    usage: opts.noUsage ? null : usage(session, opts.dead || opts.emptyResponse ? 0 : (opts.inputTokens ?? 12_000)),
    result: opts.dead
      ? null
      : { summary: i === 0 ? (opts.summary ?? "Worked on the task") : "Earlier work", costUsd: 0.02 },
    error: opts.dead ? "adapter exited with code 1: session not found" : null,
  }));
}

export async function seedCompany(
  db: Queryable,
  company: { id: string; name: string },
  agents: AgentSeed[],
): Promise<void> {
  await db.query(`insert into companies (id, name) values ($1, $2)`, [company.id, company.name]);
  for (const a of agents) {
    await db.query(
      `insert into agents (id, company_id, name, adapter_type, runtime_config) values ($1, $2, $3, $4, $5)`,
      [a.id, company.id, a.name, a.adapterType, JSON.stringify(a.runtimeConfig ?? {})],
    );
    await db.query(`insert into agent_runtime_state (company_id, agent_id, session_id) values ($1, $2, $3)`, [
      company.id,
      a.id,
      a.sessionId,
    ]);
    for (const r of a.runs) {
      await db.query(
        // Every seeded run resumed the agent's session: it is the session before and after.
        `insert into heartbeat_runs (id, company_id, agent_id, session_id_before, session_id_after, created_at, usage_json, result_json, error, liveness_state)
         values ($1, $2, $3, $4, $4, $5, $6, $7, $8, $9)`,
        [
          r.id,
          company.id,
          a.id,
          a.sessionId,
          r.createdAt,
          r.usage == null ? null : JSON.stringify(r.usage),
          r.result == null ? null : JSON.stringify(r.result),
          r.error ?? null,
          r.livenessState,
        ],
      );
    }
  }
}

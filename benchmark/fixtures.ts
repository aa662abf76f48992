// Inputs shaped like production: the rows of the heartbeat service's runs query.
const NOW = Date.parse("2026-06-06T12:00:00Z");
const text = (n: number, seed: string) => (seed + " ").repeat(Math.ceil(n / (seed.length + 1))).slice(0, n);

/** The ~17 keys the service writes into usage_json. */
function usageJson(session: string, tokens: number) {
  return {
    provider: "anthropic",
    biller: "anthropic",
    model: "claude-sonnet-4",
    billingType: "api",
    persistedSessionId: session,
    sessionReused: true,
    taskSessionReused: true,
    freshSession: false,
    sessionRotated: false,
    sessionRotationReason: null,
    inputTokens: tokens,
    rawInputTokens: tokens,
    cachedInputTokens: tokens ? 1200 : 0,
    rawCachedInputTokens: tokens ? 1200 : 0,
    outputTokens: tokens ? 900 : 0,
    rawOutputTokens: tokens ? 900 : 0,
    costUsd: tokens * 3e-6,
  };
}

function row(i: number, session: string, dead: boolean) {
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    companyId: "company-1",
    agentId: "agent-1",
    createdAt: new Date(NOW - i * 600_000),
    usageJson: usageJson(session, dead ? 0 : 48_000 + i),
    error: dead ? "adapter exited with code 1: resume failed" : null,
    livenessState: dead ? "failed" : "advanced",
    resultSummary: dead ? null : text(500, "Implemented the change and opened a pull request"),
    resultResult: dead ? null : text(320, "result"),
    resultMessage: dead ? null : text(200, "message"),
    resultError: dead ? text(500, "stack trace line") : null,
  };
}

/** `count` runs, newest first, the first `dead` of them dead. */
export function rows(count: number, dead: number, session = "sess-1") {
  return Array.from({ length: count }, (_, i) => row(i, session, i < dead));
}

export const agents = {
  managed: {
    id: "agent-1",
    companyId: "company-1",
    name: "CTO",
    adapterType: "claude_local",
    runtimeConfig: { heartbeat: { enabled: true, intervalSec: 300 } },
  },
  thresholded: {
    id: "agent-2",
    companyId: "company-1",
    name: "Engineer",
    adapterType: "codex_local",
    runtimeConfig: {
      heartbeat: {
        enabled: true,
        intervalSec: 300,
        sessionCompaction: {
          enabled: true,
          maxSessionRuns: "300",
          maxRawInputTokens: 2_000_000,
          maxSessionAgeHours: 72,
        },
      },
    },
  },
};

export const continuationSummaryBody = text(2000, "Working on PAP-42: the billing worker migration");

export function breakerInput(count: number, dead: number) {
  return {
    sessionId: "sess-1",
    runs: rows(count, dead).map(({ id, livenessState, usageJson }) => ({ id, livenessState, usageJson })),
  };
}

export function evaluateInput(count: number, rotate: boolean) {
  return {
    agent: rotate ? agents.thresholded : agents.managed,
    sessionId: "sess-1",
    issueId: "PAP-42",
    continuationSummaryBody,
    runs: rows(count, rotate ? 3 : 0),
    oldestRun: { id: "first", createdAt: new Date(NOW - 40 * 3_600_000) },
  };
}

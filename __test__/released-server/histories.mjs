// The histories the released server is driven through, once as released and once swapped.
// A step's `answer` is what the scripted adapter returns for that heartbeat: `ok` with tokens,
// or a failure; `session` is the session the adapter reports (resumed or created). A failure
// with no tokens on a resumed session is a dead run. Session ids are UUIDs, the form every
// adapter accepts as canonical.

const S1 = "5e55a0e1-0000-4000-8000-000000000001";
const S2 = "5e55a0e1-0000-4000-8000-000000000002";
const S3 = "5e55a0e1-0000-4000-8000-000000000003";

const ok = (session, inputTokens = 1200, outputTokens = 300) => ({
  answer: { ok: true, session, inputTokens, outputTokens },
});
const dead = (session) => ({ answer: { ok: false, session, error: "could not resume the session" } });
const failedWithTokens = (session) => ({
  answer: { ok: false, session, inputTokens: 800, outputTokens: 20, error: "tool call failed" },
});
const failedAfterReading = (session, inputTokens) => ({
  answer: {
    ok: false,
    session,
    inputTokens,
    outputTokens: 10,
    error: "the tool call timed out after reading the whole repository",
  },
});
// The CLI exits 0 with nothing to show and no token: the server marks the run "empty_response".
const emptyResponse = (session) => ({ answer: { ok: true, session, summary: "" } });
const failedBeforeSession = () => ({ answer: { ok: false, error: "the CLI exited before starting a session" } });

/**
 * Each history: the adapter type (which picks the policy), the agent's runtime config, steps;
 * and `context`, the wake's context (a task key keeps the session's parameters, its working
 * directory among them, from run to run).
 */
export const HISTORIES = {
  // The breaker's case on a thresholded adapter: a resumed session that fails with no tokens.
  deadSessionThresholded: {
    adapterType: "gemini_local",
    steps: [ok(S1), dead(S1), dead(S1), dead(S1), ok(S2), ok(S2)],
  },
  // The same on an adapter that manages its own context (every limit 0): released, the
  // decision returns before reading any run; swapped, the breaker still runs.
  deadSessionManaged: {
    adapterType: "claude_local",
    steps: [ok(S1), dead(S1), dead(S1), dead(S1), ok(S2)],
  },
  // After the rotation the fresh run fails before any session exists: the next heartbeat must
  // not fall back to the rotated session.
  deadSessionThenNoSession: {
    adapterType: "gemini_local",
    steps: [ok(S1), dead(S1), dead(S1), dead(S1), failedBeforeSession(), ok(S3)],
  },
  // Policy rotations, which the swap must leave exactly as they were.
  runLimit: {
    adapterType: "gemini_local",
    runtimeConfig: { heartbeat: { sessionCompaction: { maxSessionRuns: 2 } } },
    steps: [ok(S1), ok(S1), ok(S1), ok(S2), ok(S2)],
  },
  rawInput: {
    adapterType: "opencode_local",
    runtimeConfig: { heartbeat: { sessionCompaction: { maxRawInputTokens: 1_000_000 } } },
    steps: [ok(S1, 1_250_000), ok(S2, 40_000), ok(S2, 900_000)],
  },
  // Where Paperclip's newer source decides differently (cached input counted as raw input when
  // the usage says it is separate; the handoff summarising the last error): the same on the
  // release we match, and the first place `check:upstream` sees a newer release move.
  rawInputWithCachedInput: {
    adapterType: "opencode_local",
    runtimeConfig: { heartbeat: { sessionCompaction: { maxRawInputTokens: 1_000_000 } } },
    steps: [
      { answer: { ok: true, session: S1, inputTokens: 600_000, cachedInputTokens: 600_000, outputTokens: 900 } },
      ok(S1, 20_000),
    ],
  },
  rawInputAfterFailure: {
    adapterType: "opencode_local",
    runtimeConfig: { heartbeat: { sessionCompaction: { maxRawInputTokens: 1_000_000 } } },
    steps: [ok(S1, 10_000), failedAfterReading(S1, 1_250_000), ok(S2)],
  },
  sessionAge: {
    adapterType: "gemini_local",
    runtimeConfig: { heartbeat: { sessionCompaction: { maxSessionAgeHours: 2 } } },
    steps: [ok(S1), ok(S1), { ageOldestRunHours: 3 }, ok(S2), ok(S2)],
  },
  // Heartbeats that must not rotate, before or after the swap.
  noRotation: {
    adapterType: "gemini_local",
    steps: [ok(S1), failedWithTokens(S1), dead(S1), dead(S1), ok(S1), dead(S1), failedWithTokens(S1), ok(S1)],
  },
  noRotationManaged: {
    adapterType: "hermes_local",
    steps: [ok(S1, 5_000_000), dead(S1), failedWithTokens(S1), ok(S1)],
  },
  noRotationDisabled: {
    adapterType: "gemini_local",
    runtimeConfig: { heartbeat: { sessionCompaction: { enabled: false, maxSessionRuns: 1 } } },
    steps: [ok(S1), ok(S1), ok(S1)],
  },
  // Empty responses on a resumed session: never dead to the fork's breaker. The agent's runtime
  // config turns on the wider breaker; swapped, it rotates the session; released, the config
  // means nothing. Without the config (or with one the core would refuse) the swapped server
  // decides as released.
  emptyResponsesWideBreaker: {
    adapterType: "gemini_local",
    context: { taskKey: "emptyResponsesWideBreaker" },
    runtimeConfig: { heartbeat: { deadSessionBreaker: { deadLivenessStates: ["failed", "empty_response"] } } },
    steps: [ok(S1), emptyResponse(S1), emptyResponse(S1), emptyResponse(S1), ok(S2)],
  },
  emptyResponsesForkBreaker: {
    adapterType: "gemini_local",
    context: { taskKey: "emptyResponsesForkBreaker" },
    steps: [ok(S1), emptyResponse(S1), emptyResponse(S1), emptyResponse(S1), ok(S1)],
  },
  emptyResponsesMistypedBreaker: {
    adapterType: "gemini_local",
    context: { taskKey: "emptyResponsesMistypedBreaker" },
    runtimeConfig: {
      heartbeat: { deadSessionBreaker: { deadLivenessStates: "empty_response", countUnrecordedResumes: "yes" } },
    },
    steps: [ok(S1), emptyResponse(S1), emptyResponse(S1), emptyResponse(S1), ok(S1)],
  },
  // Another company's dead runs of this agent's session (imported data): the swapped reads are
  // scoped to the agent's company, so they count for nothing; the agent's own dead runs do.
  foreignDeadRuns: {
    adapterType: "gemini_local",
    steps: [ok(S1), { plantForeignDeadRuns: { session: S1, count: 3 } }, ok(S1), dead(S1), ok(S1)],
  },
};

export const SESSIONS = { S1, S2, S3 };

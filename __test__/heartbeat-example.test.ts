// The swap on a real database (PGlite, or Postgres when DATABASE_URL is set): the example's
// session-compaction step reads heartbeat_runs and the native core decides.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../examples/heartbeat/db";
import { HOUR, runs, seedCompany } from "../examples/heartbeat/fleet";
import { currentSessionId, loadAgent, runSessionCompactionStep } from "../examples/heartbeat/session-compaction";

const NOW = new Date("2026-06-06T12:00:00Z");
let db: Database;

async function step(companyId: string, agentId: string, context = {}) {
  const agent = await loadAgent(db, companyId, agentId);
  if (!agent) throw new Error(`no agent ${companyId}/${agentId}`);
  return runSessionCompactionStep(db, agent, context);
}

beforeAll(async () => {
  db = await openDatabase();
  await seedCompany(db, { id: "acme", name: "Acme" }, [
    {
      id: "dead",
      name: "Engineer",
      adapterType: "codex_local",
      sessionId: "sess-dead",
      runs: [
        ...runs("dead-f", "sess-dead", 3, NOW, { dead: true }),
        ...runs("dead-ok", "sess-dead", 5, new Date(NOW.getTime() - 3 * HOUR)),
      ],
    },
    {
      id: "healthy",
      name: "CTO",
      adapterType: "claude_local",
      sessionId: "sess-ok",
      runs: runs("ok", "sess-ok", 40, NOW, { everyHours: 5 }),
    },
    {
      id: "many-runs",
      name: "QA",
      adapterType: "pi_local",
      runtimeConfig: { heartbeat: { sessionCompaction: { maxSessionRuns: "10" } } },
      sessionId: "sess-many",
      runs: runs("many", "sess-many", 25, NOW),
    },
    {
      id: "big-input",
      name: "Researcher",
      adapterType: "gemini_local",
      sessionId: "sess-big",
      runs: [
        ...runs("big-new", "sess-big", 1, NOW, { inputTokens: 2_345_678, summary: "Read the whole codebase" }),
        ...runs("big-old", "sess-big", 3, new Date(NOW.getTime() - HOUR)),
      ],
    },
    // Only 4 recent runs are read, so only the separately read oldest run shows the age.
    {
      id: "old",
      name: "Ops",
      adapterType: "opencode_local",
      runtimeConfig: { sessionCompaction: { maxSessionRuns: 0 } },
      sessionId: "sess-old",
      runs: runs("old", "sess-old", 20, NOW, { everyHours: 80 / 19 }),
    },
    { id: "no-session", name: "New", adapterType: "cursor", sessionId: null, runs: [] },
    // Two empty responses and a resume that failed before reporting usage: dead only to a breaker
    // widened in the agent's runtime config.
    ...(["wide", "narrow"] as const).map((id) => ({
      id: `${id}-breaker`,
      name: id,
      adapterType: "claude_local",
      runtimeConfig:
        id === "wide"
          ? {
              heartbeat: {
                deadSessionBreaker: { deadLivenessStates: ["failed", "empty_response"], countUnrecordedResumes: true },
              },
            }
          : {},
      sessionId: `sess-${id}`,
      runs: [
        ...runs(`${id}-empty`, `sess-${id}`, 2, NOW, { emptyResponse: true }),
        ...runs(`${id}-unrecorded`, `sess-${id}`, 1, new Date(NOW.getTime() - 2 * HOUR), { dead: true, noUsage: true }),
        ...runs(`${id}-ok`, `sess-${id}`, 3, new Date(NOW.getTime() - 3 * HOUR)),
      ],
    })),
    {
      id: "shared",
      name: "Shared ids",
      adapterType: "codex_local",
      sessionId: "sess-shared",
      runs: runs("acme-shared-f", "sess-shared", 2, NOW, { dead: true }),
    },
  ]);
  // Another company whose agent and session ids are the same as Acme's: its runs must never count.
  await seedCompany(db, { id: "globex", name: "Globex" }, [
    {
      id: "shared",
      name: "Shared ids",
      adapterType: "codex_local",
      sessionId: "sess-shared",
      runs: runs("globex-shared-f", "sess-shared", 2, new Date(NOW.getTime() - 30 * 60_000), { dead: true }),
    },
    {
      id: "dead",
      name: "Engineer",
      adapterType: "codex_local",
      sessionId: "sess-dead",
      runs: runs("globex-dead", "sess-dead", 4, new Date(NOW.getTime() + HOUR)),
    },
  ]);
}, 60_000);

afterAll(async () => {
  await db?.close();
});

describe(`the heartbeat session-compaction step on ${process.env.DATABASE_URL ? "Postgres" : "PGlite"}`, () => {
  it("rotates a dead session and drops it as the next run's fallback", async () => {
    const s = await step("acme", "dead", { issueId: "PAP-7", continuationSummaryBody: "Fixing the login form" });
    expect(s.decision.rotate).toBe(true);
    expect(s.decision.reason).toBe("3 consecutive failed zero-token reused runs on persisted session sess-dead");
    expect(s.decision.previousRunId).toBe("dead-f-3");
    expect(s.decision.handoffMarkdown).toContain("- Last run summary: adapter exited with code 1: session not found");
    expect(s.decision.handoffMarkdown).toContain("- Issue continuation summary: Fixing the login form");
    expect(await currentSessionId(db, s.agent)).toBeNull();
    // The same agent id in the other company keeps its session.
    const globex = await loadAgent(db, "globex", "dead");
    expect(await currentSessionId(db, globex!)).toBe("sess-dead");
    // And the next heartbeat starts fresh instead of resuming the dead session.
    expect((await step("acme", "dead")).decision).toEqual({
      rotate: false,
      reason: null,
      handoffMarkdown: null,
      previousRunId: null,
    });
  });

  it("keeps a healthy session on a managed adapter, reading only the plan's runs", async () => {
    const s = await step("acme", "healthy");
    expect(s.plan).toEqual({ fetchLimit: 4, needsOldestRun: false });
    expect(s.runsRead).toBe(4);
    expect(s.decision).toEqual({ rotate: false, reason: null, handoffMarkdown: null, previousRunId: "ok-40" });
    expect(await currentSessionId(db, s.agent)).toBe("sess-ok");
    // A managed adapter: no threshold applies; the age is that of the 4 runs read (5 h apart).
    expect(s.explanation.policy).toMatchObject({ source: "caller", thresholdsOn: false });
    expect(s.explanation.measurements.sessionAgeHours).toEqual({ value: 15, limit: 0, reached: false });
  });

  it("rotates a session over its run limit (a string override)", async () => {
    const s = await step("acme", "many-runs");
    expect(s.plan.fetchLimit).toBe(11);
    expect(s.runsRead).toBe(11);
    expect(s.decision.reason).toBe("session exceeded 10 runs");
    // The explanation beside it: the override's source and each reading against its limit.
    expect(s.explanation.decision).toEqual(s.decision);
    expect(s.explanation.policy).toMatchObject({ maxSessionRuns: 10, source: "caller", thresholdsOn: true });
    expect(s.explanation.measurements.sessionRuns).toEqual({ value: 11, limit: 10, reached: true });
    expect(s.explanation.measurements.deadStreak).toEqual({ value: 0, limit: 3, reached: false });
  });

  it("rotates a session whose latest run read too much raw input", async () => {
    const s = await step("acme", "big-input");
    expect(s.decision.reason).toBe("session raw input reached 2,345,678 tokens (threshold 2,000,000)");
    expect(s.decision.handoffMarkdown).toContain("- Last run summary: Read the whole codebase");
  });

  it("rotates a session past its age limit, from the oldest run read on its own", async () => {
    const s = await step("acme", "old");
    expect(s.plan).toEqual({ fetchLimit: 4, needsOldestRun: true });
    expect(s.runsRead).toBe(4);
    expect(s.decision.reason).toBe("session age reached 80 hours");
    expect(s.explanation.measurements.sessionAgeHours).toMatchObject({ limit: 72, reached: true });
    expect(s.explanation.measurements.sessionAgeHours.value).toBeCloseTo(80, 6);
  });

  it("rotates on the wider breaker an agent's runtime config turns on, and only there", async () => {
    const wide = await step("acme", "wide-breaker");
    expect(wide.decision.rotate).toBe(true);
    expect(wide.decision.reason).toBe(
      "3 consecutive dead reused runs (2 empty_response zero-token, 1 failed with no usage record) on persisted session sess-wide",
    );
    expect(wide.decision.previousRunId).toBe("wide-empty-2");
    expect(wide.explanation.breakerRule).toEqual({
      deadLivenessStates: ["failed", "empty_response"],
      countUnrecordedResumes: true,
    });
    expect(wide.explanation.measurements.deadStreak).toEqual({ value: 3, limit: 3, reached: true });
    expect(await currentSessionId(db, wide.agent)).toBeNull();
    // The same runs, no config: the fork's breaker sees no dead run and the session goes on.
    const narrow = await step("acme", "narrow-breaker");
    expect(narrow.decision).toEqual({
      rotate: false,
      reason: null,
      handoffMarkdown: null,
      previousRunId: "narrow-empty-2",
    });
    expect(narrow.explanation.breakerRule).toEqual({ deadLivenessStates: ["failed"], countUnrecordedResumes: false });
    expect(narrow.explanation.measurements.deadStreak.value).toBe(0);
  });

  it("answers nothing for an agent without a session", async () => {
    const s = await step("acme", "no-session");
    expect(s.decision).toEqual({ rotate: false, reason: null, handoffMarkdown: null, previousRunId: null });
  });

  it("never counts another company's runs, even with the same agent and session ids", async () => {
    // Two dead runs in each company: four if the query leaked across companies, which would rotate.
    const acme = await step("acme", "shared");
    expect(acme.decision).toEqual({
      rotate: false,
      reason: null,
      handoffMarkdown: null,
      previousRunId: "acme-shared-f-2",
    });
    const globex = await step("globex", "shared");
    expect(globex.decision).toEqual({
      rotate: false,
      reason: null,
      handoffMarkdown: null,
      previousRunId: "globex-shared-f-2",
    });
  });
});

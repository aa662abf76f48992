// explainSessionCompaction: the decision, the policy behind it, and each rule's reading against
// its limit. Worked examples with hand-computed numbers, then 10,000 generated inputs against
// evaluateSessionCompaction itself (differential.test.ts holds it to the reference).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as A from "./arbitraries";
import { same } from "./cases";
import { native } from "./native";
import * as reference from "./reference";
import { answer, keyOrder } from "./same";

const RUNS = 10_000;
const HOUR = 3_600_000;
const at = (hours: number) => new Date(Date.UTC(2026, 5, 1) + hours * HOUR).toISOString();
const live = (id: string, hours: number, input = 1000) => ({
  id,
  createdAt: at(hours),
  livenessState: "completed",
  usageJson: { sessionReused: true, persistedSessionId: "s", rawInputTokens: input, inputTokens: input },
});
const dead = (id: string, hours: number) => ({
  id,
  createdAt: at(hours),
  livenessState: "failed",
  usageJson: { sessionReused: true, persistedSessionId: "s", inputTokens: 0, outputTokens: 0 },
});
const codex = {
  adapterType: "codex_local",
  runtimeConfig: {
    heartbeat: { sessionCompaction: { maxSessionRuns: 200, maxRawInputTokens: 2_000_000, maxSessionAgeHours: 72 } },
  },
};

describe("explainSessionCompaction, worked examples", () => {
  it("a healthy session: every reading with its headroom", () => {
    // 45 runs fetched, the latest with 1.2M raw input tokens, 20 hours old, one dead run first.
    const runs = [
      dead("r44", 20),
      live("r43", 19.5, 1_200_000),
      ...Array.from({ length: 43 }, (_, i) => live(`r${42 - i}`, 19 - i * 0.4)),
    ];
    const e = native.explainSessionCompaction({
      agent: codex,
      sessionId: "s",
      issueId: "PAP-1",
      runs,
      oldestRun: live("r0", 0),
    });
    expect(e.decision).toEqual({ rotate: false, reason: null, handoffMarkdown: null, previousRunId: "r44" });
    expect(e.policy).toEqual({
      enabled: true,
      maxSessionRuns: 200,
      maxRawInputTokens: 2_000_000,
      maxSessionAgeHours: 72,
      source: "agent_override",
      thresholdsOn: true,
    });
    // The latest run is the dead one: it recorded no tokens, so raw input is not measured.
    expect(e.measurements).toEqual({
      sessionRuns: { value: 45, limit: 200, reached: false },
      rawInputTokens: { value: null, limit: 2_000_000, reached: false },
      sessionAgeHours: { value: 20, limit: 72, reached: false },
      deadStreak: { value: 1, limit: 3, reached: false },
    });
  });

  it("a rotation by the breaker still reports every rule, and counts the whole dead streak", () => {
    const runs = [
      dead("d5", 80),
      dead("d4", 79),
      dead("d3", 78),
      dead("d2", 77),
      dead("d1", 76),
      live("l0", 75, 2_500_000),
      live("first", 0),
    ];
    const e = native.explainSessionCompaction({ agent: codex, sessionId: "s", issueId: null, runs });
    expect(e.decision.rotate).toBe(true);
    expect(e.decision.reason).toBe("3 consecutive failed zero-token reused runs on persisted session s");
    expect(e.measurements).toEqual({
      sessionRuns: { value: 7, limit: 200, reached: false },
      rawInputTokens: { value: null, limit: 2_000_000, reached: false },
      sessionAgeHours: { value: 80, limit: 72, reached: true },
      deadStreak: { value: 5, limit: 3, reached: true },
    });
  });

  it("a caller's policy is 'caller'; a disabled policy has every threshold off", () => {
    const runs = [live("b", 30, 5_000_000), live("a", 0)];
    const policy = { enabled: false, maxSessionRuns: 1, maxRawInputTokens: 10, maxSessionAgeHours: 1 };
    const e = native.explainSessionCompaction({ agent: codex, sessionId: "s", issueId: null, runs, policy });
    expect(e.decision.rotate).toBe(false);
    expect(e.policy).toEqual({ ...policy, source: "caller", thresholdsOn: false });
    expect(e.measurements).toEqual({
      sessionRuns: { value: 2, limit: 0, reached: false },
      rawInputTokens: { value: 5_000_000, limit: 0, reached: false },
      sessionAgeHours: { value: 30, limit: 0, reached: false },
      deadStreak: { value: 0, limit: 3, reached: false },
    });
    const on = native.explainSessionCompaction({
      agent: codex,
      sessionId: "s",
      issueId: null,
      runs,
      policy: { ...policy, enabled: true },
    });
    expect(on.decision.reason).toBe("session exceeded 1 runs");
    expect(Object.values(on.measurements).map((m) => m.reached)).toEqual([true, true, true, false]);
  });

  it("no session: nothing measured and no policy; no runs: only the run count", () => {
    const none = native.explainSessionCompaction({ agent: codex, sessionId: null, issueId: null, runs: [] });
    expect(none.policy).toBeNull();
    expect(Object.values(none.measurements).map((m) => m.value)).toEqual([null, null, null, null]);
    const empty = native.explainSessionCompaction({
      agent: { adapterType: "claude_local", runtimeConfig: {} },
      sessionId: "s",
      issueId: null,
      runs: [],
    });
    expect(empty.policy?.source).toBe("adapter_default");
    expect(Object.values(empty.measurements).map((m) => m.value)).toEqual([0, null, null, null]);
  });

  it("with the age limit off, times the evaluation would refuse are 'not measured', never a TypeError", () => {
    const runs = [{ ...live("b", 1), createdAt: { not: "a date" } }, live("a", 0)];
    const input = { agent: { adapterType: "claude_local", runtimeConfig: {} }, sessionId: "s", issueId: null, runs };
    expect(() => native.evaluateSessionCompaction(input)).not.toThrow();
    expect(native.explainSessionCompaction(input).measurements.sessionAgeHours).toEqual({
      value: null,
      limit: 0,
      reached: false,
    });
    // With the limit on, the evaluation reads them and both throw the same TypeError.
    const limited = { ...input, agent: codex };
    expect(() => native.evaluateSessionCompaction(limited)).toThrow(TypeError);
    expect(() => native.explainSessionCompaction(limited)).toThrow(
      /runs\[0\]\.createdAt must be a Date, a string or a number/,
    );
  });
});

describe(`explainSessionCompaction on ${RUNS} generated inputs`, () => {
  it("answers exactly evaluateSessionCompaction's decision, and throws exactly where it throws", () => {
    fc.assert(
      fc.property(A.evaluateInput, (input) => {
        const explained = answer(() => native.explainSessionCompaction(input as never));
        const evaluated = answer(() => native.evaluateSessionCompaction(input as never));
        expect(explained.ok).toBe(evaluated.ok);
        if (explained.ok && evaluated.ok) {
          const decision = (explained.value as { decision: unknown }).decision;
          expect(same(decision, evaluated.value)).toBe(true);
          expect(keyOrder(decision)).toBe(keyOrder(evaluated.value));
        } else {
          expect(String((explained as { error: unknown }).error)).toBe(String((evaluated as { error: unknown }).error));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("a threshold rotation is the first reached limit in the rules' order (runs, tokens, age)", () => {
    let rotations = 0;
    fc.assert(
      fc.property(A.evaluateInput, (input) => {
        const e = answer(() => native.explainSessionCompaction(input as never));
        if (!e.ok) return;
        const { decision, measurements: m } = e.value as ReturnType<typeof native.explainSessionCompaction>;
        if (m.deadStreak.reached) {
          expect(decision.reason).toMatch(/^3 consecutive/);
          return;
        }
        const reasons = {
          sessionRuns: "session exceeded",
          rawInputTokens: "session raw input",
          sessionAgeHours: "session age",
        } as const;
        const first = (Object.keys(reasons) as Array<keyof typeof reasons>).find((name) => m[name].reached);
        expect(decision.rotate).toBe(first !== undefined);
        if (first !== undefined) {
          rotations++;
          expect(decision.reason?.startsWith(reasons[first])).toBe(true);
        }
      }),
      { numRuns: 3000 },
    );
    expect(rotations).toBeGreaterThan(50);
  });

  it("the generators reach every measurement measured, unmeasured and reached", () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(A.evaluateInput, (input) => {
        const e = answer(() => reference.explainSessionCompaction(input));
        if (!e.ok) return;
        for (const [name, m] of Object.entries(
          (e.value as ReturnType<typeof reference.explainSessionCompaction>).measurements,
        )) {
          seen.add(`${name}:${m.value === null ? "null" : m.reached ? "reached" : "measured"}`);
        }
      }),
      { numRuns: 3000 },
    );
    const names = ["sessionRuns", "rawInputTokens", "sessionAgeHours", "deadStreak"];
    expect([...seen].sort()).toEqual(names.flatMap((n) => [`${n}:measured`, `${n}:null`, `${n}:reached`]).sort());
  });
});

// Bad input: a TypeError naming the path, exceptions from getters propagated unchanged, and
// no input that can take the process down.
import { describe, expect, it } from "vitest";
import { native } from "./native";

const deadRun = (id: string, session = "s") => ({
  id,
  createdAt: new Date(0),
  error: null,
  livenessState: "failed",
  usageJson: { persistedSessionId: session, sessionReused: true, inputTokens: 0, outputTokens: 0 },
});
const agent = { adapterType: "cursor", runtimeConfig: {} };

function typeError(call: () => unknown): string {
  try {
    call();
  } catch (e) {
    expect(e).toBeInstanceOf(TypeError);
    return (e as TypeError).message;
  }
  throw new Error("expected a TypeError, got an answer");
}

describe("TypeErrors name the offending path", () => {
  const cases: Array<[string, () => unknown, string]> = [
    [
      "breaker input null",
      () => native.detectDeadReusedSessionCircuitBreaker(null as never),
      "input must be an object",
    ],
    [
      "breaker input missing",
      () => (native.detectDeadReusedSessionCircuitBreaker as () => unknown)(),
      "input must be an object",
    ],
    [
      "runs not an array",
      () => native.detectDeadReusedSessionCircuitBreaker({ sessionId: "s", runs: "x" as never }),
      "runs must be an array",
    ],
    [
      "runs[0] null",
      () => native.detectDeadReusedSessionCircuitBreaker({ sessionId: "s", runs: [null as never] }),
      "runs[0] must be an object",
    ],
    [
      "runs[2] a hole",
      () =>
        native.detectDeadReusedSessionCircuitBreaker({
          sessionId: "s",
          runs: [deadRun("b"), deadRun("a"), , deadRun("z")] as never,
        }),
      "runs[2] must be an object",
    ],
    [
      "threshold a string",
      () => native.detectDeadReusedSessionCircuitBreaker({ sessionId: "s", runs: [], threshold: "3" as never }),
      "threshold must be a number",
    ],
    ["evaluate input undefined", () => native.evaluateSessionCompaction(undefined as never), "input must be an object"],
    [
      "evaluate agent null",
      () => native.evaluateSessionCompaction({ agent: null as never, sessionId: "s", issueId: null, runs: [] }),
      "agent must be an object",
    ],
    [
      "evaluate runs null",
      () => native.evaluateSessionCompaction({ agent, sessionId: "s", issueId: null, runs: null as never }),
      "runs must be an array",
    ],
    [
      "evaluate runs[0] null",
      () => native.evaluateSessionCompaction({ agent, sessionId: "s", issueId: null, runs: [null as never] }),
      "runs[0] must be an object",
    ],
    [
      "evaluate sessionId a number",
      () => native.evaluateSessionCompaction({ agent, sessionId: 5 as never, issueId: null, runs: [] }),
      "sessionId must be a string",
    ],
    [
      "evaluate adapterType a number",
      () =>
        native.evaluateSessionCompaction({
          agent: { adapterType: 1 as never, runtimeConfig: {} },
          sessionId: "s",
          issueId: null,
          runs: [],
        }),
      "agent.adapterType must be a string",
    ],
    [
      "evaluate policy.enabled a string",
      () =>
        native.evaluateSessionCompaction({
          agent,
          sessionId: "s",
          issueId: null,
          runs: [],
          policy: { enabled: "yes" as never, maxSessionRuns: 1, maxRawInputTokens: 0, maxSessionAgeHours: 0 },
        }),
      "policy.enabled must be a boolean",
    ],
    [
      "evaluate createdAt an object",
      () =>
        native.evaluateSessionCompaction({
          agent,
          sessionId: "s",
          issueId: null,
          runs: [{ ...deadRun("a"), createdAt: {} as never }],
        }),
      "runs[0].createdAt must be a Date, a string or a number",
    ],
    [
      "evaluate oldestRun.createdAt an array",
      () =>
        native.evaluateSessionCompaction({
          agent,
          sessionId: "s",
          issueId: null,
          runs: [deadRun("a")],
          oldestRun: { id: "o", createdAt: [] as never },
        }),
      "oldestRun.createdAt must be a Date, a string or a number",
    ],
    [
      "resolve adapterType an object",
      () => native.resolveSessionCompactionPolicy({} as never, {}),
      "adapterType must be a string",
    ],
    ["parse agent undefined", () => native.parseSessionCompactionPolicy(undefined as never), "agent must be an object"],
    ["plan agent null", () => native.planSessionCompaction(null as never), "agent must be an object"],
    ["thresholds policy null", () => native.hasSessionCompactionThresholds(null as never), "policy must be an object"],
    [
      "thresholds maxSessionRuns a string",
      () =>
        native.hasSessionCompactionThresholds({
          maxSessionRuns: "1" as never,
          maxRawInputTokens: 0,
          maxSessionAgeHours: 0,
        }),
      "policy.maxSessionRuns must be a number",
    ],
  ];
  for (const [name, call, message] of cases) {
    it(name, () => expect(typeError(call)).toBe(message));
  }
});

describe("exceptions thrown by getters and proxies propagate unchanged", () => {
  const boom = new RangeError("boom from a getter");
  const throwing = (key: string) =>
    Object.defineProperty({}, key, {
      get() {
        throw boom;
      },
    });

  it("a throwing sessionId getter", () => {
    expect(() => native.detectDeadReusedSessionCircuitBreaker(throwing("sessionId") as never)).toThrow(boom);
  });

  it("a throwing usageJson getter inside a run", () => {
    const run = Object.defineProperty({ id: "a", livenessState: "failed" }, "usageJson", {
      get() {
        throw boom;
      },
    });
    let caught: unknown;
    try {
      native.detectDeadReusedSessionCircuitBreaker({ sessionId: "s", runs: [run as never] });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe(boom);
  });

  it("a proxy trap that throws a non-Error value", () => {
    const proxy = new Proxy(
      {},
      {
        get() {
          throw "plain string";
        },
      },
    );
    let caught: unknown;
    try {
      native.resolveSessionCompactionPolicy("cursor", { heartbeat: proxy });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBe("plain string");
  });

  it("a throwing runtimeConfig getter on the agent", () => {
    expect(() => native.planSessionCompaction(throwing("runtimeConfig") as never)).toThrow(boom);
  });

  it("the addon still answers after an exception", () => {
    expect(
      native.detectDeadReusedSessionCircuitBreaker({ sessionId: "s", runs: [deadRun("c"), deadRun("b"), deadRun("a")] })
        .rotate,
    ).toBe(true);
  });
});

describe("odd but valid JavaScript values", () => {
  it("frozen and null-prototype objects read like plain ones", () => {
    const usage = Object.assign(Object.create(null), { persistedSessionId: "s", sessionReused: true });
    const run = Object.freeze({ id: "a", livenessState: "failed", usageJson: usage });
    const r = native.detectDeadReusedSessionCircuitBreaker(
      Object.freeze({ sessionId: "s", runs: Object.freeze([run, run, run]), threshold: 3 }),
    );
    expect(r).toEqual({
      rotate: true,
      reason: "3 consecutive failed zero-token reused runs on persisted session s",
      previousRunId: "a",
    });
  });

  it("BigInt, Symbol and function values where numbers are expected count as absent", () => {
    const usage = {
      persistedSessionId: "s",
      sessionReused: true,
      rawInputTokens: 5n,
      inputTokens: Symbol("x"),
      outputTokens: () => 1,
    };
    const r = native.detectDeadReusedSessionCircuitBreaker({
      sessionId: "s",
      runs: [{ id: "a", livenessState: "failed", usageJson: usage }],
      threshold: 1,
    });
    expect(r.rotate).toBe(true);
    const p = native.resolveSessionCompactionPolicy("cursor", {
      sessionCompaction: { maxSessionRuns: 5n, enabled: Symbol("on") },
    });
    expect(p.source).toBe("adapter_default");
  });

  it("an invalid Date never reaches an age limit", () => {
    const r = native.evaluateSessionCompaction({
      agent,
      sessionId: "s",
      issueId: null,
      runs: [{ id: "a", createdAt: new Date(NaN), usageJson: null, error: null, livenessState: "completed" }],
      oldestRun: { id: "o", createdAt: 0 },
    });
    expect(r).toEqual({ rotate: false, reason: null, handoffMarkdown: null, previousRunId: "a" });
  });

  it("local-time and legacy date strings are parsed by the engine, as Date.parse does", () => {
    const at = (createdAt: string) => ({
      id: "r",
      createdAt,
      usageJson: null,
      error: null,
      livenessState: "completed",
    });
    const input = (latest: string, oldest: string) => ({
      agent: { adapterType: "cursor", runtimeConfig: { sessionCompaction: { maxSessionAgeHours: 1 } } },
      sessionId: "s",
      issueId: null,
      runs: [at(latest), at(oldest)],
    });
    const hours = (latest: string, oldest: string) => Math.floor((Date.parse(latest) - Date.parse(oldest)) / 3_600_000);
    for (const [latest, oldest] of [
      ["2026-06-06T12:00:00", "2026-06-06T02:00:00"],
      ["Sat, 06 Jun 2026 12:00:00 GMT", "June 1, 2026 00:00 UTC"],
    ]) {
      expect(native.evaluateSessionCompaction(input(latest, oldest)).reason).toBe(
        `session age reached ${hours(latest, oldest)} hours`,
      );
    }
  });
});

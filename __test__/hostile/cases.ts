// Hostile inputs, each a function that builds a fresh input and calls one export (native or
// reference alike), so that getters and proxies that mutate start from the same state.
type Core = {
  detectDeadReusedSessionCircuitBreaker(input: unknown): unknown;
  evaluateSessionCompaction(input: unknown): unknown;
  explainSessionCompaction(input: unknown): unknown;
  resolveSessionCompactionPolicy(adapterType: unknown, runtimeConfig: unknown): unknown;
  parseSessionCompactionPolicy(agent: unknown): unknown;
  hasSessionCompactionThresholds(policy: unknown): unknown;
  planSessionCompaction(agent: unknown): unknown;
};
export type HostileCase = (core: Core) => unknown;

const usage = (session: string) => ({
  persistedSessionId: session,
  sessionReused: true,
  inputTokens: 0,
  rawInputTokens: 0,
  outputTokens: 0,
});
const dead = (id: string, session = "s") => ({
  id,
  createdAt: new Date(Date.UTC(2026, 5, 6)),
  error: "boom",
  livenessState: "failed",
  usageJson: usage(session),
});
const live = (id: string) => ({
  id,
  createdAt: new Date(Date.UTC(2026, 5, 6)),
  error: null,
  livenessState: "advanced",
  usageJson: { inputTokens: 3_000_000 },
});
const agent = { adapterType: "cursor", runtimeConfig: { sessionCompaction: { maxSessionAgeHours: 1 } } };
const evaluate = (runs: unknown, extra: Record<string, unknown> = {}) => ({
  agent,
  sessionId: "s",
  issueId: "PAP-1",
  continuationSummaryBody: "body",
  runs,
  ...extra,
});

function deep(depth: number): unknown {
  let o: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < depth; i++) o = { next: o, n: i };
  return o;
}

const thrower = (message: string) => () => {
  throw new Error(message);
};

export const cases: Record<string, HostileCase> = {
  // null, numbers and strings where objects are expected
  "input is null": (c) => c.evaluateSessionCompaction(null),
  "input is a number": (c) => c.detectDeadReusedSessionCircuitBreaker(42),
  "input is a string": (c) => c.evaluateSessionCompaction("input"),
  "agent is a string": (c) => c.evaluateSessionCompaction({ ...evaluate([live("a")]), agent: "agent" }),
  "agent is undefined": (c) => c.planSessionCompaction(undefined),
  "runs is an object": (c) =>
    c.detectDeadReusedSessionCircuitBreaker({ sessionId: "s", runs: { 0: dead("a"), length: 1 } }),
  "runs is a number": (c) => c.evaluateSessionCompaction(evaluate(3)),
  "a run is a number": (c) => c.detectDeadReusedSessionCircuitBreaker({ sessionId: "s", runs: [7, dead("a")] }),
  "a run is a string": (c) => c.evaluateSessionCompaction(evaluate(["run"])),
  "runtimeConfig is a string": (c) => c.resolveSessionCompactionPolicy("cursor", "config"),
  "policy is a number": (c) => c.hasSessionCompactionThresholds(5),
  // holes and null in runs
  "a hole after the streak": (c) =>
    c.detectDeadReusedSessionCircuitBreaker({ sessionId: "s", runs: [live("a"), , dead("b")] }),
  "a hole inside the streak": (c) =>
    c.detectDeadReusedSessionCircuitBreaker({ sessionId: "s", runs: [dead("a"), dead("b"), , dead("c")] }),
  "null as the last run, read for the age": (c) => c.evaluateSessionCompaction(evaluate([live("a"), null])),
  "a sparse array of a million": (c) => {
    const runs = [dead("a"), dead("b")];
    runs.length = 1_000_000;
    return c.detectDeadReusedSessionCircuitBreaker({ sessionId: "s", runs });
  },
  // getters and proxy traps that throw
  "a throwing sessionId getter": (c) =>
    c.evaluateSessionCompaction(Object.defineProperty(evaluate([]), "sessionId", { get: thrower("sessionId getter") })),
  "a throwing usageJson getter": (c) =>
    c.detectDeadReusedSessionCircuitBreaker({
      sessionId: "s",
      runs: [Object.defineProperty(dead("a"), "usageJson", { get: thrower("usageJson getter") })],
    }),
  "a proxy whose get trap throws": (c) =>
    c.evaluateSessionCompaction(evaluate([new Proxy(dead("a"), { get: thrower("get trap") })])),
  "a proxy whose ownKeys trap throws": (c) =>
    c.evaluateSessionCompaction({
      ...evaluate([{ ...live("a"), usageJson: new Proxy({ inputTokens: 5 }, { ownKeys: thrower("ownKeys trap") }) }]),
      agent: { adapterType: "gemini_local", runtimeConfig: { sessionCompaction: { maxRawInputTokens: 1 } } },
    }),
  "a throwing runtimeConfig getter": (c) =>
    c.parseSessionCompactionPolicy(
      Object.defineProperty({ adapterType: "cursor" }, "runtimeConfig", { get: thrower("runtimeConfig getter") }),
    ),
  "a getter that throws a non-Error": (c) =>
    c.resolveSessionCompactionPolicy("cursor", {
      get heartbeat() {
        throw { code: 42 };
      },
    }),
  "a throwing createdAt getter on the oldest run": (c) =>
    c.evaluateSessionCompaction(
      evaluate([live("a")], {
        oldestRun: Object.defineProperty({ id: "o" }, "createdAt", { get: thrower("createdAt getter") }),
      }),
    ),
  // getters that mutate the input while it is read
  "a getter that grows the streak": (c) => {
    const runs: unknown[] = [dead("a")];
    Object.defineProperty(runs[0] as object, "livenessState", {
      get() {
        if (runs.length < 5) runs.push(dead(`grown-${runs.length}`));
        return "failed";
      },
    });
    return c.detectDeadReusedSessionCircuitBreaker({ sessionId: "s", runs });
  },
  "a getter that empties the runs": (c) => {
    const runs: unknown[] = [dead("a"), dead("b"), dead("c"), dead("d")];
    Object.defineProperty(runs[1] as object, "usageJson", {
      get() {
        runs.length = 0;
        return usage("s");
      },
    });
    return c.detectDeadReusedSessionCircuitBreaker({ sessionId: "s", runs });
  },
  "a getter that swaps the session id": (c) => {
    const input = evaluate([dead("a"), dead("b"), dead("c")]);
    Object.defineProperty((input.runs as object[])[0], "livenessState", {
      get() {
        input.sessionId = "other";
        return "failed";
      },
    });
    return c.evaluateSessionCompaction(input);
  },
  "a getter that replaces the override": (c) => {
    const runtimeConfig: Record<string, unknown> = {};
    Object.defineProperty(runtimeConfig, "heartbeat", {
      get() {
        runtimeConfig.sessionCompaction = { maxSessionRuns: "7" };
        return null;
      },
    });
    return c.resolveSessionCompactionPolicy("cursor", runtimeConfig);
  },
  "a getter that calls back into the addon": (c) => {
    const run = dead("a");
    Object.defineProperty(run, "livenessState", {
      get() {
        const inner = c.evaluateSessionCompaction(evaluate([dead("x"), dead("y"), dead("z")])) as { rotate: boolean };
        return inner.rotate ? "failed" : "advanced";
      },
    });
    return c.evaluateSessionCompaction(evaluate([run, dead("b"), dead("c")]));
  },
  // frozen and null-prototype objects
  "frozen input": (c) =>
    c.evaluateSessionCompaction(
      Object.freeze(
        evaluate(Object.freeze([Object.freeze(dead("a")), Object.freeze(dead("b")), Object.freeze(dead("c"))])),
      ),
    ),
  "null-prototype everything": (c) => {
    const bare = <T extends object>(o: T) => Object.assign(Object.create(null), o) as T;
    const run = () => bare({ ...dead("a"), usageJson: bare(usage("s")) });
    return c.evaluateSessionCompaction(
      bare({
        ...evaluate([run(), run(), run()]),
        agent: bare({ adapterType: "cursor", runtimeConfig: bare({ sessionCompaction: bare({ maxSessionRuns: 1 }) }) }),
      }),
    );
  },
  // BigInt, Symbol and function values
  "BigInt, Symbol and functions in usageJson": (c) =>
    c.evaluateSessionCompaction(
      evaluate([
        {
          ...dead("a"),
          usageJson: {
            persistedSessionId: "s",
            sessionReused: true,
            rawInputTokens: 10n,
            inputTokens: Symbol("x"),
            outputTokens: () => 1,
            [Symbol("k")]: 1,
          },
        },
      ]),
    ),
  "BigInt, Symbol and functions in runtimeConfig": (c) =>
    c.resolveSessionCompactionPolicy("cursor", {
      heartbeat: {
        sessionCompaction: {
          enabled: Symbol("on"),
          maxSessionRuns: 5n,
          maxRawInputTokens: () => 1,
          maxSessionAgeHours: Object(3),
        },
      },
    }),
  "a function as the override block": (c) =>
    c.resolveSessionCompactionPolicy("cursor", { sessionCompaction: Object.assign(() => 0, { maxSessionRuns: 3 }) }),
  "a Symbol as sessionId": (c) =>
    c.detectDeadReusedSessionCircuitBreaker({ sessionId: Symbol("s"), runs: [dead("a")] }),
  "a BigInt threshold": (c) => c.detectDeadReusedSessionCircuitBreaker({ sessionId: "s", runs: [], threshold: 3n }),
  // objects nested hundreds of thousands deep in fields we never read
  "300,000-deep objects in unread fields": (c) => {
    const nest = deep(300_000);
    const run = { ...dead("a"), resultJson: nest, usageJson: { ...usage("s"), extra: nest } };
    return c.evaluateSessionCompaction({
      ...evaluate([run, run, run]),
      agent: { ...agent, runtimeConfig: { ...agent.runtimeConfig, other: nest } },
      extra: nest,
    });
  },
  // a million runs
  "a million dead runs": (c) => {
    const run = dead("a");
    return c.detectDeadReusedSessionCircuitBreaker({
      sessionId: "s",
      runs: Array.from({ length: 1_000_000 }, () => run),
    });
  },
  "a million runs to evaluate": (c) => {
    const run = live("a");
    return c.evaluateSessionCompaction({
      ...evaluate(Array.from({ length: 1_000_000 }, () => run)),
      agent: { adapterType: "cursor", runtimeConfig: {} },
    });
  },
  // strings of 100 MB, and lone surrogates in every field
  "a 100 MB session id": (c) => {
    const s = "s".repeat(100_000_000);
    return c.evaluateSessionCompaction({ ...evaluate([dead("a", s), dead("b", s), dead("c", s)]), sessionId: s });
  },
  "a 100 MB continuation body and run error": (c) =>
    c.evaluateSessionCompaction(
      evaluate([{ ...dead("a"), error: "e\ud800".repeat(50_000_000) }, dead("b"), dead("c")], {
        continuationSummaryBody: "😀".repeat(50_000_000),
      }),
    ),
  "a 100 MB livenessState": (c) =>
    c.detectDeadReusedSessionCircuitBreaker({
      sessionId: "s",
      runs: [{ ...dead("a"), livenessState: "failed".repeat(16_000_000) }],
    }),
  "a 100 MB number string": (c) =>
    c.resolveSessionCompactionPolicy("cursor", {
      sessionCompaction: { maxSessionRuns: " ".repeat(50_000_000) + "7" + " ".repeat(50_000_000) },
    }),
  "lone surrogates in every field": (c) => {
    const s = "\ud800s\udc00";
    const run = {
      id: "\udbff",
      createdAt: "2026-06-06T12:00:00Z\ud800",
      error: "\udc00",
      livenessState: "failed",
      usageJson: usage(s),
      resultSummary: "\ud800",
      resultResult: "\udfff",
      resultMessage: "\ud83d",
    };
    return c.evaluateSessionCompaction({
      agent: {
        adapterType: "\ud800",
        runtimeConfig: { sessionCompaction: { enabled: "\ud800", maxSessionRuns: "\udc001" } },
      },
      sessionId: s,
      issueId: "\ud800",
      continuationSummaryBody: "\udc00".repeat(3000),
      runs: [run, run, run],
    });
  },
  // invalid Dates
  "invalid Dates everywhere": (c) =>
    c.evaluateSessionCompaction(
      evaluate(
        [
          { ...live("a"), createdAt: new Date(NaN) },
          { ...live("b"), createdAt: new Date("garbage") },
        ],
        { oldestRun: { id: "o", createdAt: new Date(NaN) } },
      ),
    ),
  "an invalid Date latest, a valid oldest": (c) =>
    c.evaluateSessionCompaction(
      evaluate([{ ...live("a"), createdAt: new Date(NaN) }], { oldestRun: { id: "o", createdAt: 0 } }),
    ),
  // explainSessionCompaction: its extra reads (the age without an age limit, the whole streak)
  "explain: a throwing createdAt getter read only for the age": (c) =>
    c.explainSessionCompaction({
      ...evaluate([live("a")], {
        oldestRun: Object.defineProperty({ id: "o" }, "createdAt", { get: thrower("createdAt getter") }),
      }),
      agent: { adapterType: "claude_local", runtimeConfig: {} },
    }),
  "explain: a Symbol createdAt and a null last run without an age limit": (c) =>
    c.explainSessionCompaction({
      ...evaluate([{ ...live("a"), createdAt: Symbol("t") }, null]),
      agent: { adapterType: "claude_local", runtimeConfig: {} },
    }),
  "explain: a million dead runs in a row": (c) => {
    const run = dead("d");
    return c.explainSessionCompaction({
      ...evaluate(Array.from({ length: 1_000_000 }, () => run)),
      agent: { adapterType: "cursor", runtimeConfig: {} },
    });
  },
  "explain: runs behind a proxy that counts its reads": (c) => {
    const runs = [dead("a"), dead("b"), live("c"), dead("d")];
    return c.explainSessionCompaction(evaluate(new Proxy(runs, { get: (t, k, r) => Reflect.get(t, k, r) })));
  },
  "createdAt strings the engine must parse": (c) =>
    c.evaluateSessionCompaction(
      evaluate([
        { ...live("a"), createdAt: "Sat Jun 06 2026 14:00:00 GMT+0200" },
        { ...live("b"), createdAt: "2026-06-01T00:00:00" },
      ]),
    ),
  "Date.parse patched to return a string": (c) => {
    const parse = Date.parse;
    Date.parse = (() => "not a number") as never;
    try {
      return c.explainSessionCompaction(
        evaluate([
          { ...live("a"), createdAt: "June 6, 2026 10:00" },
          { ...live("b"), createdAt: "June 1, 2026 10:00" },
        ]),
      );
    } finally {
      Date.parse = parse;
    }
  },
};

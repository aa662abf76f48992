// fast-check generators for the contract's inputs, weighted toward the edges the SPEC lists.
import fc from "fast-check";
import { everyAdapterType } from "./adapter-table";

const pick = <T>(...values: T[]) => fc.constantFrom(...values);

/** Any UTF-16 code units, lone surrogates included. */
export const utf16 = (maxLength = 12) =>
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)), maxLength });

export const whitespace = pick(
  " ",
  "\t",
  "\n",
  "\v",
  "\f",
  "\r",
  "\u00a0",
  "\u1680",
  "\u2000",
  "\u200a",
  "\u2028",
  "\u2029",
  "\u202f",
  "\u205f",
  "\u3000",
  "\ufeff",
);
/** Look like whitespace to someone, but are not ECMAScript whitespace. */
export const notWhitespace = pick("\u0085", "\u180e", "\u200b", "\u001c");

export const edgyString = fc.oneof(
  {
    weight: 4,
    arbitrary: pick(
      "",
      " ",
      " \t",
      "\ufeff",
      "\u0085",
      "s",
      " s ",
      "dead-session",
      "a\ud800",
      "\udc00b",
      "😀",
      "null",
      "undefined",
      "0",
      "é",
    ),
  },
  {
    weight: 2,
    arbitrary: fc
      .array(fc.oneof(whitespace, notWhitespace, pick("x", "\ud800", "\udc00")), { maxLength: 4 })
      .map((a) => a.join("")),
  },
  { weight: 1, arbitrary: utf16() },
);

export const edgyNumber = fc.oneof(
  {
    weight: 3,
    arbitrary: pick(
      0,
      -0,
      1,
      2,
      3,
      0.4,
      0.99,
      2.7,
      2.9,
      -1,
      -3,
      NaN,
      Infinity,
      -Infinity,
      2 ** 53,
      2 ** 70,
      1e21,
      1e300,
      5e-324,
      -5e-324,
    ),
  },
  { weight: 2, arbitrary: fc.integer({ min: -5, max: 3_000_000 }) },
  { weight: 1, arbitrary: fc.double() },
);

export const numberString = fc.oneof(
  pick(
    "0x10",
    "0X1f",
    "0b11",
    "0o17",
    "-0x10",
    "0x",
    " 12 ",
    "12.9",
    "1e3",
    " 1e3 ",
    "",
    "  ",
    "1_0",
    "Infinity",
    "-Infinity",
    "+Infinity",
    ".5",
    "5.",
    ".",
    "+4",
    "-2",
    "abc",
    "1e",
    "\u00a012\u2028",
    "\ufeff3",
    "\u00853",
    "0x1fffffffffffff1",
    "1e400",
    "0x" + "f".repeat(300),
    "١٢",
  ),
  edgyNumber.map((n) => String(n)),
  fc
    .tuple(
      fc.array(whitespace, { maxLength: 2 }),
      fc.integer({ min: 0, max: 500 }),
      fc.array(whitespace, { maxLength: 2 }),
    )
    .map(([a, n, b]) => a.join("") + n + b.join("")),
);

const anyScalar = fc.oneof(edgyString, edgyNumber, fc.boolean(), pick(null, undefined));
/** Values that are not what a field should be. */
export const misshapen = fc.oneof(anyScalar, pick([], ["x"], {}, { a: 1 }, new Date(0)));

export const sessionPool = pick("s", "dead-session", " s ", "\u0085", "a\ud800", "😀", " ", "", "\ufeff");

const tokenValue = fc.oneof(
  { weight: 6, arbitrary: pick(0) },
  { weight: 3, arbitrary: edgyNumber },
  { weight: 1, arbitrary: fc.oneof(pick("0", "5", null, true), fc.constant(undefined)) },
);

const maybeKey = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined, freq: 4 });

function withoutUndefinedKeys(o: Record<string, unknown>, keepUndefined: boolean): Record<string, unknown> {
  return keepUndefined ? o : Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

const usageRecordFor = (session: unknown) =>
  fc
    .record({
      persistedSessionId: fc.oneof(
        { weight: 8, arbitrary: fc.constant(session) },
        { weight: 2, arbitrary: sessionPool },
        { weight: 1, arbitrary: misshapen },
      ),
      sessionReused: fc.oneof({ weight: 5, arbitrary: pick(true) }, { weight: 1, arbitrary: misshapen }),
      rawInputTokens: maybeKey(tokenValue),
      inputTokens: maybeKey(tokenValue),
      rawCachedInputTokens: maybeKey(tokenValue),
      cachedInputTokens: maybeKey(tokenValue),
      rawOutputTokens: maybeKey(tokenValue),
      outputTokens: maybeKey(tokenValue),
      provider: maybeKey(pick("openai", "anthropic")),
      keepUndefined: fc.boolean(),
    })
    .map(({ keepUndefined, ...rest }) => withoutUndefinedKeys(rest, keepUndefined));

const usageJsonFor = (session: unknown) =>
  fc.oneof(
    { weight: 8, arbitrary: usageRecordFor(session) },
    { weight: 1, arbitrary: fc.oneof(pick(null, undefined, "usage", true, 7, [], {})) },
  );

const BASE = Date.UTC(2026, 5, 6, 12);
const HOUR = 3_600_000;
export const createdAt = fc.integer({ min: -200, max: 0 }).chain((hours) => {
  const t = BASE + hours * HOUR + (hours % 7) * 1234;
  return fc.oneof(
    { weight: 5, arbitrary: fc.constant(new Date(t)) },
    { weight: 2, arbitrary: fc.constant(new Date(t).toISOString()) },
    { weight: 2, arbitrary: fc.constant(t) },
    { weight: 1, arbitrary: pick(t + 0.9, -t, 8.64e15 + 1, NaN) },
    {
      weight: 1,
      arbitrary: pick(
        new Date(t).toISOString().replace("Z", "+05:30"),
        new Date(t).toISOString().slice(0, 10),
        new Date(t).toISOString().slice(0, 19),
        new Date(t).toUTCString(),
        "2026-02-31T00:00:00Z",
        "2026-06-06T24:00:00Z",
        "not a date",
        "",
      ),
    },
    { weight: 1, arbitrary: pick(new Date(NaN), undefined, null, true) },
  );
});

export const resultText = fc.oneof(
  { weight: 3, arbitrary: pick(null, undefined) },
  { weight: 3, arbitrary: edgyString },
  { weight: 1, arbitrary: pick(5, {}, ["x"]) },
);

export const liveness = fc.oneof(
  { weight: 6, arbitrary: pick("failed") },
  { weight: 2, arbitrary: pick("completed", "advanced", "failed ", "FAILED", null, undefined, "empty_response") },
);

const runFor = (session: unknown) =>
  fc.record({
    id: fc.oneof(
      { weight: 9, arbitrary: fc.oneof(pick("r-😀", "run-\ud800"), fc.uuid()) },
      { weight: 1, arbitrary: pick(undefined, null, 7) },
    ),
    createdAt,
    usageJson: usageJsonFor(session),
    error: resultText,
    livenessState: liveness,
    resultSummary: resultText,
    resultResult: resultText,
    resultMessage: resultText,
    resultError: resultText,
  });

/** Runs, newest first; now and then a `null` or a hole where a run should be. */
export const runsFor = (session: unknown) =>
  fc.array(fc.oneof({ weight: 30, arbitrary: runFor(session) }, { weight: 1, arbitrary: pick(null, undefined) }), {
    maxLength: 8,
  });

// The widened breaker's runs: empty responses, runs without a usage record, and the session
// each run resumed (`sessionIdBefore`), often enough for streaks of each kind.
const widenedLiveness = fc.oneof(
  { weight: 6, arbitrary: pick("failed", "empty_response") },
  { weight: 1, arbitrary: pick("completed", "advanced", "EMPTY_RESPONSE", "", null, undefined) },
);
const widenedRunFor = (session: unknown) =>
  fc.record(
    {
      id: fc.oneof({ weight: 9, arbitrary: fc.uuid() }, { weight: 1, arbitrary: pick(undefined, null, 7) }),
      createdAt,
      usageJson: fc.oneof(
        { weight: 5, arbitrary: usageRecordFor(session) },
        { weight: 4, arbitrary: pick(null, undefined) },
        { weight: 1, arbitrary: pick("usage", 0, [], {}) },
      ),
      sessionIdBefore: fc.oneof(
        { weight: 8, arbitrary: fc.constant(session) },
        { weight: 2, arbitrary: sessionPool },
        { weight: 1, arbitrary: misshapen },
      ),
      error: resultText,
      livenessState: widenedLiveness,
      resultSummary: resultText,
    },
    { requiredKeys: ["id", "createdAt", "livenessState", "error"] },
  );
export const widenedRunsFor = (session: unknown) =>
  fc.array(fc.oneof({ weight: 30, arbitrary: widenedRunFor(session) }, { weight: 1, arbitrary: pick(null) }), {
    maxLength: 8,
  });

/** `deadLivenessStates`: mostly lists of strings, now and then a value to refuse. */
export const deadLivenessStates = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .constantFrom(["failed", "empty_response"], ["empty_response", "failed"], ["failed"], ["empty_response"])
      .map((a) => [...a]),
  },
  {
    weight: 2,
    arbitrary: fc.array(pick("failed", "empty_response", "completed", "", "failed ", "a\ud800"), { maxLength: 3 }),
  },
  { weight: 1, arbitrary: pick(undefined, null) },
  {
    weight: 1,
    arbitrary: fc.oneof(
      pick("failed", 0, {}),
      fc.constantFrom(["failed", 1], [null], [undefined], [["failed"]]).map((a) => [...a]),
    ),
  },
);
export const countUnrecordedResumes = fc.oneof(
  { weight: 6, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: pick(undefined, null) },
  { weight: 1, arbitrary: pick("true", "false", 1, 0, {}) },
);

export const adapterType = fc.oneof(
  // Every adapter the table has named, those since removed (acpx_local) included.
  { weight: 6, arbitrary: pick(...everyAdapterType) },
  {
    weight: 2,
    arbitrary: pick(
      "process",
      "http",
      "",
      "constructor",
      "toString",
      "__proto__",
      "hasOwnProperty",
      "Cursor",
      " cursor",
      null,
      undefined,
    ),
  },
  { weight: 1, arbitrary: utf16(6) },
);

const enabledValue = fc.oneof(
  pick(true, false, 0, 1, 2, -0, null, undefined, NaN),
  pick("true", "false", "1", "0", "yes", "no", "on", "off", " Yes ", "\u00a0OFF\u2028", "TRUE", "maybe", "", "y"),
);
const limitValue = fc.oneof(
  { weight: 2, arbitrary: edgyNumber },
  { weight: 2, arbitrary: numberString },
  { weight: 1, arbitrary: pick(null, undefined, true, [], {}) },
);

export const overrideBlock = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record(
      {
        enabled: enabledValue,
        maxSessionRuns: limitValue,
        maxRawInputTokens: limitValue,
        maxSessionAgeHours: limitValue,
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: pick(null, undefined, "x", "off", 0, false, [], ["a"]) },
);

export const runtimeConfig = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record(
      {
        heartbeat: fc.oneof(
          {
            weight: 4,
            arbitrary: fc.record(
              { sessionCompaction: overrideBlock, sessionRotation: overrideBlock },
              { requiredKeys: [] },
            ),
          },
          { weight: 1, arbitrary: pick(null, "hb", 1, []) },
        ),
        sessionCompaction: overrideBlock,
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: pick(null, undefined, "cfg", 3, [], {}) },
);

export const agent = fc.record({ id: pick("agent-1"), adapterType, runtimeConfig });

export const givenPolicy = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      enabled: fc.boolean(),
      maxSessionRuns: edgyNumber,
      maxRawInputTokens: edgyNumber,
      maxSessionAgeHours: edgyNumber,
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      enabled: fc.oneof(fc.boolean(), pick("yes", 1)),
      maxSessionRuns: fc.oneof(edgyNumber, pick("3")),
      maxRawInputTokens: edgyNumber,
      maxSessionAgeHours: edgyNumber,
    }),
  },
);

/** Continuation bodies, some long enough to be cut, with a surrogate pair across the cut. */
export const continuationBody = fc.oneof(
  { weight: 3, arbitrary: fc.oneof(edgyString, pick(null, undefined)) },
  { weight: 2, arbitrary: fc.integer({ min: 1490, max: 1510 }).map((k) => "x".repeat(k) + "😀" + "tail") },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 1495, max: 1500 }).map((k) => "y".repeat(k) + "\udc00\ud800" + "z".repeat(10)),
  },
);

const breakerSession = fc.oneof({ weight: 6, arbitrary: sessionPool }, { weight: 1, arbitrary: misshapen });
export const breakerInput = breakerSession.chain((sessionId) =>
  fc.record(
    {
      sessionId: fc.constant(sessionId),
      runs: fc.oneof({ weight: 20, arbitrary: runsFor(sessionId) }, { weight: 1, arbitrary: pick(null, "runs", {}) }),
      threshold: fc.oneof(
        { weight: 3, arbitrary: pick(undefined, null) },
        { weight: 3, arbitrary: edgyNumber },
        { weight: 1, arbitrary: pick("2", true) },
      ),
    },
    { requiredKeys: ["sessionId", "runs"] },
  ),
);

/** Breaker inputs with the rule's options, over runs of every kind the wider rule counts. */
export const widenedBreakerInput = breakerSession.chain((sessionId) =>
  fc.record(
    {
      sessionId: fc.constant(sessionId),
      runs: fc.oneof(
        { weight: 20, arbitrary: widenedRunsFor(sessionId) },
        { weight: 1, arbitrary: pick(null, "runs") },
      ),
      threshold: fc.oneof(
        { weight: 3, arbitrary: pick(undefined, null) },
        { weight: 3, arbitrary: pick(1, 2, 3, 2.5) },
        { weight: 1, arbitrary: edgyNumber },
      ),
      deadLivenessStates,
      countUnrecordedResumes,
    },
    { requiredKeys: ["sessionId", "runs"] },
  ),
);

const evaluateSession = fc.oneof(
  { weight: 12, arbitrary: sessionPool },
  { weight: 1, arbitrary: pick(null, undefined, 0, 5, false) },
);
export const evaluateInput = evaluateSession.chain((sessionId) =>
  fc.record(
    {
      agent: fc.oneof({ weight: 20, arbitrary: agent }, { weight: 1, arbitrary: pick(null, undefined, "agent") }),
      sessionId: fc.constant(sessionId),
      issueId: fc.oneof(pick(null, undefined, "", " ", "PAP-42", "i\ud800"), {
        arbitrary: pick(0, 7),
        weight: 1,
      } as never),
      continuationSummaryBody: continuationBody,
      runs: fc.oneof({ weight: 30, arbitrary: runsFor(sessionId) }, { weight: 1, arbitrary: pick(null, "runs") }),
      oldestRun: fc.oneof(
        pick(undefined, null),
        fc.record({ id: pick("run-0"), createdAt }),
        pick("old", 5),
        pick(false, 0, ""),
      ),
      policy: fc.oneof(
        { weight: 6, arbitrary: pick(undefined) },
        { weight: 2, arbitrary: givenPolicy },
        { weight: 1, arbitrary: pick(null, "p") },
      ),
    },
    { requiredKeys: ["agent", "sessionId", "issueId", "runs"] },
  ),
);

/** Evaluation inputs with the rule's options, over runs of every kind the wider rule counts. */
export const widenedEvaluateInput = evaluateSession.chain((sessionId) =>
  fc.record(
    {
      agent,
      sessionId: fc.constant(sessionId),
      issueId: pick(null, "PAP-42"),
      continuationSummaryBody: continuationBody,
      runs: widenedRunsFor(sessionId),
      policy: fc.oneof({ weight: 3, arbitrary: pick(undefined) }, { weight: 1, arbitrary: givenPolicy }),
      deadLivenessStates,
      countUnrecordedResumes,
    },
    { requiredKeys: ["agent", "sessionId", "issueId", "runs"] },
  ),
);

export const limitsOnly = fc.record({
  maxSessionRuns: edgyNumber,
  maxRawInputTokens: edgyNumber,
  maxSessionAgeHours: edgyNumber,
});

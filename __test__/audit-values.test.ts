// The audit reads a row's values as JavaScript does: times in every form PostgreSQL and
// row_to_json write exactly as Date.parse reads them (NaN = the row is skipped, named), and
// numbers as JSON.parse reads them (1e400 is Infinity, not a malformed line).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { native } from "./native";
import * as reference from "./reference";

const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, "0"));
const year = fc
  .oneof(
    { weight: 6, arbitrary: fc.integer({ min: 1970, max: 2100 }) },
    { weight: 1, arbitrary: fc.integer({ min: 100, max: 9999 }) },
  )
  .map((y) => String(y).padStart(4, "0"));
const fraction = fc.oneof(fc.constant(""), fc.stringMatching(/^\.[0-9]{1,9}$/));
// The offsets PostgreSQL prints (+HH, +HH:MM, +HH:MM:SS), the +HHMM some tools print, and Z.
const offset = fc.oneof(
  fc.tuple(fc.constantFrom("+", "-"), two(99)).map(([s, h]) => s + h),
  fc.tuple(fc.constantFrom("+", "-"), two(30), two(60)).map(([s, h, m]) => `${s}${h}:${m}`),
  fc.tuple(fc.constantFrom("+", "-"), two(30), two(60)).map(([s, h, m]) => `${s}${h}${m}`),
  fc.tuple(fc.constantFrom("+", "-"), two(14), two(59), two(59)).map(([s, h, m, x]) => `${s}${h}:${m}:${x}`),
  fc.constant("Z"),
);
/** A `timestamptz` as `created_at::text` (space) or `row_to_json` (T, +HH:MM) writes it. */
const postgresTime = fc
  .tuple(year, two(13), two(32), fc.constantFrom(" ", "T"), two(25), two(60), two(60), fraction, offset)
  .map(([y, mo, d, sep, h, mi, s, f, o]) => `${y}-${mo}-${d}${sep}${h}:${mi}:${s}${f}${o}`)
  .filter((t) => !/T.*[+-]\d{4}$/.test(t) && !/T.*[+-]\d\d$/.test(t)); // forms neither writes

function auditTimes(times: string[]) {
  const lines = times.map((t, i) =>
    JSON.stringify({ company_id: "c", agent_id: "a", session_id_after: `s${i}`, created_at: t }),
  );
  const report = native.auditDeadSessionsSync(Buffer.from(lines.join("\n") + "\n"));
  const seen = new Map(report.sessions.map((s) => [Number(s.sessionId.slice(1)), s.firstRunAtMs]));
  return { report, seen };
}

describe("created_at", () => {
  it("reads every time PostgreSQL prints exactly as Date.parse does", { timeout: 120_000 }, () => {
    const times = fc.sample(postgresTime, { numRuns: 20_000, seed: 17 });
    const { report, seen } = auditTimes(times);
    const differences = times
      .map((t, i) => ({ t, js: Date.parse(t), native: seen.get(i) ?? NaN }))
      .filter((d) => !Object.is(d.js, d.native));
    expect(differences.slice(0, 5)).toEqual([]);
    const valid = times.filter((t) => !Number.isNaN(Date.parse(t))).length;
    // The generator reaches both sides: times read and times Date.parse refuses.
    expect(valid).toBeGreaterThan(2_000);
    expect(report.rowsSkipped).toBe(times.length - valid);
    expect(report.skippedByReason).toEqual(
      valid === times.length
        ? []
        : [{ reason: "created_at missing or not a time", code: "created_at", rows: times.length - valid }],
    );
  });

  it("reads the forms the issue names", () => {
    const forms = [
      "2026-06-01 00:00:00+00",
      "2026-06-01 05:31:00+0530",
      "2026-06-01 00:00:00.123456+00",
      "2026-06-01T05:30:00.654321+05:30",
    ];
    const { seen, report } = auditTimes(forms);
    expect(report.rowsSkipped).toBe(0);
    expect(forms.map((_, i) => seen.get(i))).toEqual(forms.map((t) => Date.parse(t)));
  });

  it("reads the expanded years toISOString writes (and the report prints) as Date.parse does", () => {
    const forms = [
      "+275760-09-13T00:00:00.000Z",
      "-000001-01-01T00:00:00.000Z",
      "+012026-06-01T00:00:00.000Z",
      "-271821-04-20T00:00:00.000Z",
      new Date(-1e15).toISOString(),
    ];
    const { seen, report } = auditTimes(forms);
    expect(report.rowsSkipped).toBe(0);
    expect(forms.map((_, i) => seen.get(i))).toEqual(forms.map((t) => Date.parse(t)));
    // Past the range, or minus zero as a year: not a time, as Date.parse says.
    const { report: refused } = auditTimes(["+275760-09-13T00:00:00.001Z", "-000000-01-01T00:00:00Z"]);
    expect(refused.skippedByReason).toEqual([
      { reason: "created_at missing or not a time", code: "created_at", rows: 2 },
    ]);
  });

  it("skips, by name, a time without a zone (Date.parse would read it in the process's own zone) or before the year 100 (V8 guesses the century)", () => {
    const { report } = auditTimes(["2026-06-01 00:00:00", "2026-06-01T00:00:00.5", "0099-06-01 00:00:00+00"]);
    expect(report.skippedByReason).toEqual([
      { reason: "created_at missing or not a time", code: "created_at", rows: 3 },
    ]);
  });
});

describe("numbers", () => {
  const usage = (tokens: string) =>
    `{"company_id":"c","agent_id":"a","session_id_after":"s","created_at":"2026-06-01T00:00:00Z","liveness_state":"failed","usage_json":{"sessionReused":true,"persistedSessionId":"s","inputTokens":${tokens},"rawInputTokens":${tokens}}}`;

  it("reads a count past f64's range as JSON.parse does, with the breaker's verdict on it", () => {
    for (const tokens of ["1e400", "-1e400", "1e-400", "0", "5", "123456789012345678901234567890"]) {
      const line = usage(tokens);
      const report = native.auditDeadSessionsSync(Buffer.from(line + "\n"));
      const run = JSON.parse(line);
      const verdict = reference.detectDeadReusedSessionCircuitBreaker({
        sessionId: "s",
        threshold: 1,
        runs: [{ id: "r", livenessState: run.liveness_state, usageJson: run.usage_json }],
      }) as { rotate: boolean };
      expect({ tokens, skipped: report.rowsSkipped, dead: report.totals.deadRuns }).toEqual({
        tokens,
        skipped: 0,
        dead: verdict.rotate ? 1 : 0,
      });
    }
  });

  it(
    "reads every number as JSON.parse does, correctly rounded: a count just under 1 is 0",
    { timeout: 120_000 },
    () => {
      // Decimal texts near the rounding edges: just under and over 1, halfway cases, long
      // mantissas, exponents that move the point, subnormals.
      const near = fc.oneof(
        fc.constantFrom(
          "0.9999999999999999",
          "0.99999999999999994",
          "9999999999999999e-16",
          "0.99999999999999995",
          "1.00000000000000011102230246251565404236316680908203125",
          "2.2250738585072011e-308",
        ),
        fc
          .tuple(fc.integer({ min: 0, max: 3 }), fc.stringMatching(/^[0-9]{15,25}$/), fc.integer({ min: -30, max: 5 }))
          .map(([int, digits, exp]) => `${int}.${digits}e${exp}`),
        fc.double({ min: 0, max: 4, noNaN: true }).map((d) => d.toPrecision(17)),
      );
      const texts = fc.sample(near, { numRuns: 5_000, seed: 29 });
      const lines = texts.map((t, i) => usage(t).replaceAll('"s"', `"s${i}"`));
      const report = native.auditDeadSessionsSync(Buffer.from(lines.join("\n") + "\n"));
      const dead = texts.filter((t) => Math.max(0, Math.floor(JSON.parse(t))) === 0).length;
      expect(report.rowsSkipped).toBe(0);
      expect(report.totals.deadRuns).toBe(dead);
      // Both verdicts are reached, so a rounding in either direction shows.
      expect(dead).toBeGreaterThan(500);
      expect(texts.length - dead).toBeGreaterThan(500);
      const under1 = ["0.9999999999999999", "0.99999999999999994", "9999999999999999e-16"];
      expect(
        native.auditDeadSessionsSync(
          Buffer.from(under1.map((t, i) => usage(t).replaceAll('"s"', `"u${i}"`)).join("\n")),
        ).totals.deadRuns,
      ).toBe(3);
    },
  );

  it("still refuses a line that is not JSON", () => {
    const report = native.auditDeadSessionsSync(Buffer.from(usage("1e400").slice(0, -1) + "\n"));
    expect(report.skippedByReason).toEqual([{ reason: "malformed JSON", code: "malformed_json", rows: 1 }]);
  });
});

// JSON.parse reads `"\ud800"`: a string of one lone UTF-16 unit, which UTF-8 cannot hold. The
// audit reads such rows too (held in a marked form inside), and its report gives the very
// strings back.
describe("strings with lone surrogates", () => {
  // @ts-expect-error plain ESM helper without types
  const jsAudit = async (lines: string[], options = {}) => {
    const { JsAuditor } = await import("../benchmark/audit-js.mjs");
    const a = new JsAuditor(options);
    for (const l of lines) a.line(l);
    return a.finish();
  };
  const comparable = ({
    elapsedMs: _e,
    bytesRead: _b,
    firstErrors,
    ...rest
  }: ReturnType<typeof native.auditDeadSessionsSync>) => ({
    ...rest,
    firstErrors: firstErrors.map(({ line, reason }) => ({ line, reason })),
  });
  const dead = (company: string, session: string, minute: number, usageExtra = "") =>
    `{"company_id":"${company}","agent_id":"a","session_id_before":"${session}","session_id_after":"${session}","created_at":${minute * 60_000},"liveness_state":"failed","usage_json":{"sessionReused":true,"persistedSessionId":"${session}","inputTokens":0${usageExtra}}}`;
  // Each line as its JSON text: the escapes are written out, never raw surrogates.
  const lines = [
    dead("c\\ud800", "s\\udfff", 1),
    dead("c\\ud800", "s\\udfff", 2),
    dead("c\\ud800", "s\\udfff", 3, ',"k\\udc00ey":1'),
    // A reversed pair (two lone units), a proper pair, U+10FFFF itself, and a lone unit beside it.
    dead("c2", "\\udc00\\ud800", 4),
    dead("c2", "\\ud83d\\ude00", 5),
    dead("c2", "\\udbff\\udfff", 6),
    dead("c2", "\udbff\udfff\\ud800", 7),
    // A key with a lone surrogate is no field the audit reads: the row stays a row.
    `{"company_id":"c3","agent_id":"a","created_at":0,"x\\ud800":true,"session_id_after":"s"}`,
    // The same session id written two ways: escaped and raw.
    dead("c4", "\\u00e9\\ud800", 8),
    dead("c4", "é\\ud800", 9),
    // A persisted session that differs by its lone surrogate: alive.
    `{"company_id":"c5","agent_id":"a","session_id_after":"s\\ud800","created_at":0,"liveness_state":"failed","usage_json":{"sessionReused":true,"persistedSessionId":"s\\ud801","inputTokens":0}}`,
  ];

  it("reads every such row as JSON.parse does: no row skipped, the ids unit for unit", async () => {
    const text = lines.join("\n") + "\n";
    const report = native.auditDeadSessionsSync(Buffer.from(text));
    expect(report.rowsSkipped).toBe(0);
    expect(comparable(report)).toEqual(comparable(await jsAudit(lines)));
    const ids = report.sessions.map((s) => [s.companyId, s.sessionId, s.deadRuns]);
    expect(ids).toContainEqual(["c\ud800", "s\udfff", 3]);
    expect(ids).toContainEqual(["c2", "\udc00\ud800", 1]);
    expect(ids).toContainEqual(["c2", "\udbff\udfff", 1]); // U+10FFFF, written as an escaped pair
    expect(ids).toContainEqual(["c2", "\ud83d\ude00", 1]);
    expect(ids).toContainEqual(["c2", "\udbff\udfff\ud800", 1]);
    expect(ids).toContainEqual(["c4", "é\ud800", 2]);
    expect(ids).toContainEqual(["c5", "s\ud800", 0]);
    expect(report.sessions.find((s) => s.companyId === "c\ud800")).toMatchObject({
      deadNow: true,
      currentDeadStreak: 3,
    });
    expect(report.companies.map((c) => c.companyId)).toContain("c\ud800");
    expect(report.agents.map((a) => a.companyId)).toContain("c\ud800");
    // The same through the other read paths and the company filter.
    const auditor = new native.DeadSessionAuditor();
    for (const line of lines) auditor.pushRow(line);
    expect(comparable(auditor.finish())).toEqual(comparable(report));
    const one = native.auditDeadSessionsSync(Buffer.from(text), { companyId: "c\ud800" });
    expect(one.sessions.map((s) => s.sessionId)).toEqual(["s\udfff"]);
  });
});

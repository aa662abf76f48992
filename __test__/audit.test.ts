// The fleet audit against a plain JavaScript implementation of the same report, and against
// the contract's breaker applied to each session's latest runs.
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain ESM helpers without types
import { JsAuditor } from "../benchmark/audit-js.mjs";
// @ts-expect-error plain ESM helpers without types
import { historyLines } from "../benchmark/history.mjs";
import { native } from "./native";
import * as reference from "./reference";

type Report = ReturnType<typeof native.auditDeadSessionsSync>;
const dir = mkdtempSync(path.join(tmpdir(), "pcsc-audit-"));

function jsReport(lines: string[], options = {}) {
  const a = new JsAuditor(options);
  for (const l of lines) a.line(l);
  return a.finish();
}

/** The report without what depends on the implementation (timings, byte counts, messages). */
function comparable(r: Report) {
  const {
    elapsedMs: _e,
    bytesRead: _b,
    firstErrors,
    ...rest
  } = r as Report & { elapsedMs?: number; bytesRead?: number };
  return { ...rest, firstErrors: firstErrors.map(({ line, reason }) => ({ line, reason })) };
}

describe("auditDeadSessions", () => {
  it("topSessions writes out only the sessions a report for people shows; every figure still counts every session", () => {
    const text = Buffer.from([...historyLines({ seed: 9, runsPerSession: 6, sessionsPerAgent: 60 })].join("\n"));
    const all = native.auditDeadSessionsSync(text);
    const top = 3;
    const some = native.auditDeadSessionsSync(text, { topSessions: top });
    const ids = (s: { companyId: string; agentId: string; sessionId: string }) =>
      `${s.companyId}/${s.agentId}/${s.sessionId}`;
    const rank = (
      key: "currentDeadStreak" | "longestDeadStreak",
      only: (s: (typeof all.sessions)[number]) => boolean,
    ) =>
      all.sessions
        .filter((s) => only(s) && s[key] > 0)
        .sort((a, b) => b[key] - a[key] || (ids(a) < ids(b) ? -1 : 1))
        .slice(0, top)
        .map(ids);
    const expected = new Set([
      ...rank("currentDeadStreak", (s) => s.deadNow),
      ...rank("longestDeadStreak", () => true),
    ]);
    expect(all.totals.sessionsDeadNow).toBeGreaterThan(top);
    expect(new Set(some.sessions.map(ids))).toEqual(expected);
    // In id order, each as the full report has it.
    expect(some.sessions).toEqual(all.sessions.filter((s) => expected.has(ids(s))));
    expect(some.sessionsOmitted).toBe(all.sessions.length - some.sessions.length);
    expect(all.sessionsOmitted).toBe(0);
    const { sessions: _a, sessionsOmitted: _b, elapsedMs: _c, ...restAll } = all;
    const { sessions: _d, sessionsOmitted: _e, elapsedMs: _f, ...restSome } = some;
    expect(restSome).toEqual(restAll);
    expect(all.newestRunAtMs).toBe(Math.max(...all.sessions.map((s) => s.lastRunAtMs)));
    expect(native.auditDeadSessionsSync(text, { topSessions: 0 }).sessions).toEqual([]);
    for (const bad of [-1, 1.5, "3", Number.NaN])
      expect(() => native.auditDeadSessionsSync(text, { topSessions: bad as number })).toThrow(TypeError);
  });

  it("elapsedMs is the call as its caller sees it: within the time around the call, for each way to audit", async () => {
    const text = Buffer.from([...historyLines({ seed: 3, runsPerSession: 2, sessionsPerAgent: 200 })].join("\n"));
    const around = async (audit: () => Promise<{ elapsedMs: number }> | { elapsedMs: number }) => {
      const start = performance.now();
      const report = await audit();
      return { elapsed: report.elapsedMs, wall: performance.now() - start };
    };
    const auditor = () => {
      const a = new native.DeadSessionAuditor();
      a.push(text);
      return a.finish();
    };
    for (const audit of [() => native.auditDeadSessionsSync(text), () => native.auditDeadSessions(text), auditor]) {
      const { elapsed, wall } = await around(audit);
      expect(elapsed).toBeGreaterThan(0);
      expect(elapsed).toBeLessThanOrEqual(wall);
    }
    // With libuv's threads all busy, the audit waits for one: the wait is part of the call.
    const { pbkdf2 } = await import("node:crypto");
    const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    let firstFree = Infinity;
    const busy = Array.from(
      { length: threads },
      () =>
        new Promise<void>((resolve) =>
          pbkdf2(
            "p",
            "s",
            400_000,
            32,
            "sha256",
            () => ((firstFree = Math.min(firstFree, performance.now())), resolve()),
          ),
        ),
    );
    const called = performance.now();
    const report = await native.auditDeadSessions(text);
    await Promise.all(busy);
    expect(report.elapsedMs).toBeGreaterThanOrEqual(firstFree - called);
  });

  for (const seed of [1, 2, 3, 4, 5]) {
    it(`matches the JavaScript audit on generated history #${seed}`, () => {
      const lines: string[] = [...historyLines({ seed, runsPerSession: 30 + seed * 7 })];
      const text = lines.join("\n") + "\n";
      const js = jsReport(lines);
      const fromBuffer = native.auditDeadSessionsSync(Buffer.from(text));
      expect(comparable(fromBuffer)).toEqual(comparable(js));
      expect(fromBuffer.rowsSkipped).toBeGreaterThan(0);
      expect(fromBuffer.totals.sessionsWithDeadStreak).toBeGreaterThan(0);
      // The history reaches every figure: unseen failed runs, recovered rotations, the wider
      // rule catching more, several days, streaks of several lengths.
      expect(fromBuffer.totals.unseenFailedRuns).toBeGreaterThan(0);
      expect(fromBuffer.whatIf[2].recovered).toBeGreaterThan(0);
      expect(fromBuffer.whatIf[2].recovered).toBeLessThan(fromBuffer.whatIf[2].rotations);
      // At threshold 1 every dead run is a rotation or saved: the wider rule sees the unseen too.
      const t = fromBuffer.totals;
      expect(fromBuffer.whatIf[0].rotations + fromBuffer.whatIf[0].deadRunsSaved).toBe(t.deadRuns);
      expect(fromBuffer.whatIfWider[0].rotations + fromBuffer.whatIfWider[0].deadRunsSaved).toBe(
        t.deadRuns + t.unseenFailedRuns,
      );
      expect(fromBuffer.days.length).toBeGreaterThan(1);
      expect(fromBuffer.deadStreaks.length).toBeGreaterThan(3);
      // Same from a file, a gzip file, a streaming auditor fed in odd pieces, and two threads.
      const file = path.join(dir, `h${seed}.ndjson`);
      writeFileSync(file, text);
      writeFileSync(`${file}.gz`, gzipSync(text));
      expect(comparable(native.auditDeadSessionsSync(file))).toEqual(comparable(js));
      expect(comparable(native.auditDeadSessionsSync(`${file}.gz`))).toEqual(comparable(js));
      const auditor = new native.DeadSessionAuditor({ threads: 2 });
      for (let i = 0; i < text.length; i += 997)
        auditor.push(i % 2 ? Buffer.from(text.slice(i, i + 997)) : text.slice(i, i + 997));
      expect(comparable(auditor.finish())).toEqual(comparable(js));
    });
  }

  it("folds ordered input at once (no per-run memory) with the same report, and skips rows out of order", () => {
    const lines: string[] = [...historyLines({ seed: 13, clean: true })];
    const sorted = [...lines]
      .map((l) => [Date.parse(JSON.parse(l).created_at ?? JSON.parse(l).createdAt), l] as const)
      .sort((a, b) => a[0] - b[0])
      .map(([, l]) => l);
    const ordered = native.auditDeadSessionsSync(Buffer.from(sorted.join("\n")), { ordered: true });
    expect(comparable(ordered)).toEqual(comparable(native.auditDeadSessionsSync(Buffer.from(lines.join("\n")))));
    const shuffled = native.auditDeadSessionsSync(Buffer.from(lines.join("\n")), { ordered: true });
    expect(shuffled.rowsSkipped).toBeGreaterThan(0);
    expect(shuffled.skippedByReason.map((r) => r.reason)).toEqual(["out of created_at order (ordered input)"]);
    expect(shuffled.rowsUsed + shuffled.rowsSkipped).toBe(ordered.rowsUsed);
  });

  it("filters by company and time like the JavaScript audit", () => {
    const lines: string[] = [...historyLines({ seed: 9 })];
    const since = Date.UTC(2026, 4, 2, 12);
    const js = jsReport(lines, { companyId: "company-1", sinceMs: since });
    const got = native.auditDeadSessionsSync(Buffer.from(lines.join("\n")), {
      companyId: "company-1",
      since: new Date(since),
    });
    expect(comparable(got)).toEqual(comparable(js));
    expect(got.rowsFiltered).toBeGreaterThan(0);
    expect(got.companies.map((c) => c.companyId)).toEqual(["company-1"]);
  });

  it("agrees with the breaker applied to each session's latest runs", () => {
    const lines: string[] = [...historyLines({ seed: 11, clean: true, runsPerSession: 60 })];
    const report = native.auditDeadSessionsSync(Buffer.from(lines.join("\n")));
    const bySession = new Map<
      string,
      Array<{ at: number; run: { id: string; livenessState: unknown; usageJson: unknown } }>
    >();
    for (const l of lines) {
      const r = JSON.parse(l);
      const company = r.company_id ?? r.companyId;
      const session = r.session_id_after ?? r.sessionIdAfter;
      if (typeof session !== "string" || session.trim() === "") continue;
      const key = `${company}/${r.agent_id ?? r.agentId}/${session}`;
      if (!bySession.has(key)) bySession.set(key, []);
      bySession.get(key)!.push({
        at: Date.parse(r.created_at ?? r.createdAt),
        run: { id: r.id, livenessState: r.liveness_state ?? r.livenessState, usageJson: r.usage_json ?? r.usageJson },
      });
    }
    let checked = 0;
    for (const s of report.sessions) {
      const runs = bySession.get(`${s.companyId}/${s.agentId}/${s.sessionId}`)!;
      const newestFirst = [...runs]
        .reverse()
        .sort((a, b) => b.at - a.at)
        .map((r) => r.run);
      const breaker = (threshold?: number) =>
        native.detectDeadReusedSessionCircuitBreaker({ sessionId: s.sessionId, runs: newestFirst as never, threshold });
      expect(breaker().rotate).toBe(s.deadNow);
      if (s.currentDeadStreak > 0) {
        expect(breaker(s.currentDeadStreak).rotate).toBe(true);
        expect(breaker(s.currentDeadStreak + 1).rotate).toBe(false);
      } else expect(breaker(1).rotate).toBe(false);
      // And the dead-run count is the contract's own verdict, run by run.
      const dead = runs.filter(
        (r) =>
          reference.detectDeadReusedSessionCircuitBreaker({ sessionId: s.sessionId, runs: [r.run], threshold: 1 })
            .rotate,
      ).length;
      expect(dead).toBe(s.deadRuns);
      checked++;
    }
    expect(checked).toBeGreaterThan(40);
    expect(report.totals.sessionsDeadNow).toBeGreaterThan(0);
  });

  it("a worked example: days, streak lengths, recovered rotations, unseen failed runs, ISO times", () => {
    const at = (day: number, hour: number) => `2026-06-0${day}T${String(hour).padStart(2, "0")}:00:00Z`;
    const dead = { persistedSessionId: "s", sessionReused: true, inputTokens: 0 };
    const run = (created: string, kind: "dead" | "live" | "unseen", before: string | null = "s") =>
      JSON.stringify({
        company_id: "c",
        agent_id: "a",
        session_id_before: before,
        session_id_after: "s",
        created_at: created,
        liveness_state: kind === "live" ? "completed" : "failed",
        usage_json: kind === "dead" ? dead : kind === "live" ? { inputTokens: 9 } : null,
      });
    // Day 1: dead, dead, live (a streak of 2 that the session recovered from), unseen, unseen.
    // Day 2: dead, dead, dead (a streak of 3 the history ends on).
    const lines = [
      run(at(1, 1), "dead", null),
      run(at(1, 2), "dead"),
      run(at(1, 3), "live"),
      run(at(1, 4), "unseen"),
      run(at(1, 5), "unseen"),
      run(at(2, 1), "dead"),
      run(at(2, 2), "dead"),
      run(at(2, 3), "dead"),
    ];
    const r = native.auditDeadSessionsSync(Buffer.from(lines.join("\n")));
    const none = { forkBreaker: 0, widerBreaker: 0, runLimit: 0, rawInput: 0, sessionAge: 0, other: 0 };
    expect(r.days).toEqual([
      { day: "2026-06-01", runs: 5, deadRuns: 2, rotations: none },
      { day: "2026-06-02", runs: 3, deadRuns: 3, rotations: none },
    ]);
    // A history that records no rotation: dead now by the last runs alone.
    expect(r.deadNowAuthority).toBe("none");
    expect(r.deadStreaks).toEqual([
      { length: 2, streaks: 1 },
      { length: 3, streaks: 1 },
    ]);
    expect(r.totals.unseenFailedRuns).toBe(2);
    expect(r.whatIf.slice(0, 3)).toEqual([
      { threshold: 1, rotations: 2, deadRunsSaved: 3, recovered: 1 },
      { threshold: 2, rotations: 2, deadRunsSaved: 1, recovered: 1 },
      { threshold: 3, rotations: 1, deadRunsSaved: 0, recovered: 0 },
    ]);
    // The wider rule joins the two unseen runs and day 2's streak into one streak of 5.
    expect(r.whatIfWider.slice(0, 3)).toEqual([
      { threshold: 1, rotations: 2, deadRunsSaved: 5, recovered: 1 },
      { threshold: 2, rotations: 2, deadRunsSaved: 3, recovered: 1 },
      { threshold: 3, rotations: 1, deadRunsSaved: 2, recovered: 0 },
    ]);
    expect(r.sessions[0]).toMatchObject({
      firstRunAt: "2026-06-01T01:00:00.000Z",
      lastRunAt: "2026-06-02T03:00:00.000Z",
      firstRunAtMs: Date.parse(at(1, 1)),
      unseenFailedRuns: 2,
    });
  });

  it("counts bad rows with their reasons and line numbers, and never stops", () => {
    const lines = [
      '{"company_id":"c","agent_id":"a","session_id_after":"s","created_at":"2026-06-06T12:00:00+00:00","liveness_state":"failed","usage_json":{"persistedSessionId":"s","sessionReused":true}}',
      "{not json",
      '{"company_id":1,"agent_id":"a","created_at":"2026-06-06T12:00:00+00:00"}',
      '{"agent_id":"a","company_id":"c"}',
      "null",
      "",
      '{"companyId":"c","agentId":"a","sessionIdAfter":"s","createdAt":"2026-06-06T13:00:00+00:00","livenessState":"failed","usageJson":{"persistedSessionId":"s","sessionReused":true}}',
    ];
    const r = native.auditDeadSessionsSync(Buffer.from(lines.join("\n")));
    expect(r.rowsUsed).toBe(2);
    expect(r.rowsSkipped).toBe(4);
    expect(r.firstErrors.map((e) => [e.line, e.reason])).toEqual([
      [2, "malformed JSON"],
      [3, "company_id missing or not a string"],
      [4, "created_at missing or not a time"],
      [5, "not a JSON object"],
    ]);
    expect(r.sessions[0]).toMatchObject({ runs: 2, deadRuns: 2, longestDeadStreak: 2, deadNow: false });
    expect(r.whatIf.slice(0, 3)).toEqual([
      // The history ends on the streak: no later run recovered the session.
      { threshold: 1, rotations: 1, deadRunsSaved: 1, recovered: 0 },
      { threshold: 2, rotations: 1, deadRunsSaved: 0, recovered: 0 },
      { threshold: 3, rotations: 0, deadRunsSaved: 0, recovered: 0 },
    ]);
  });
});

// The breaker's opt-in rule (issue 26), on histories with empty responses and failed resumes
// that left no usage record: under each rule, the native report is the JavaScript audit's.
describe("auditDeadSessions under a widened dead-run rule", () => {
  const rules = [
    {
      name: "the fork's rule, given explicitly",
      options: { deadLivenessStates: ["failed"], countUnrecordedResumes: false },
    },
    { name: "empty responses", options: { deadLivenessStates: ["failed", "empty_response"] } },
    { name: "unrecorded resumes", options: { countUnrecordedResumes: true } },
    { name: "both", options: { deadLivenessStates: ["empty_response", "failed"], countUnrecordedResumes: true } },
    { name: "empty responses only", options: { deadLivenessStates: ["empty_response"], countUnrecordedResumes: true } },
  ];
  const lines: string[] = [...historyLines({ seed: 26, runsPerSession: 50, emptyResponses: true })];
  const text = lines.join("\n") + "\n";
  const file = path.join(dir, "widened.ndjson");
  writeFileSync(file, text);
  const fork = native.auditDeadSessionsSync(Buffer.from(text));

  for (const { name, options } of rules) {
    it(`${name}: the same report as the JavaScript audit, from bytes, a file, parts and a stream`, () => {
      const js = jsReport(lines, options);
      const got = native.auditDeadSessionsSync(Buffer.from(text), options);
      expect(comparable(got)).toEqual(comparable(js));
      expect(got.deadRunRule).toEqual({
        deadLivenessStates: options.deadLivenessStates ?? ["failed"],
        countUnrecordedResumes: options.countUnrecordedResumes ?? false,
      });
      expect(comparable(native.auditDeadSessionsSync(file, { ...options, threads: 2 }))).toEqual(comparable(js));
      const auditor = new native.DeadSessionAuditor(options);
      for (let i = 0; i < text.length; i += 4099) auditor.push(text.slice(i, i + 4099));
      expect(comparable(auditor.finish())).toEqual(comparable(js));
      // A run is dead, or unseen, or neither: at threshold 1 the wider table sees both.
      const t = got.totals;
      expect(got.whatIfWider[0].rotations + got.whatIfWider[0].deadRunsSaved).toBe(t.deadRuns + t.unseenFailedRuns);
      if (options.countUnrecordedResumes) expect(t.unseenFailedRuns).toBe(0);
    });
  }

  it("widening counts more dead runs than the fork's rule, and the fork's rule is the default", () => {
    expect(fork.deadRunRule).toEqual({ deadLivenessStates: ["failed"], countUnrecordedResumes: false });
    expect(comparable(native.auditDeadSessionsSync(Buffer.from(text), rules[0].options))).toEqual(comparable(fork));
    const empty = native.auditDeadSessionsSync(Buffer.from(text), rules[1].options);
    const unrecorded = native.auditDeadSessionsSync(Buffer.from(text), rules[2].options);
    expect(empty.totals.deadRuns).toBeGreaterThan(fork.totals.deadRuns);
    expect(empty.totals.sessionsDeadNow).toBeGreaterThanOrEqual(fork.totals.sessionsDeadNow);
    // Counting unrecorded resumes turns exactly the fork's unseen runs into dead ones.
    expect(unrecorded.totals.deadRuns).toBe(fork.totals.deadRuns + fork.totals.unseenFailedRuns);
    expect(unrecorded.whatIf).toEqual(fork.whatIfWider);
    expect(fork.totals.unseenFailedRuns).toBeGreaterThan(0);
  });

  it("each dead-run count is the breaker's own verdict under the same rule, run by run", () => {
    const options = rules[3].options;
    const report = native.auditDeadSessionsSync(Buffer.from(text), options);
    const runsOf = new Map<string, unknown[]>();
    for (const l of lines) {
      let r;
      try {
        r = JSON.parse(l);
      } catch {
        continue;
      }
      if (r === null || typeof r !== "object" || Array.isArray(r)) continue;
      const session = r.session_id_after ?? r.sessionIdAfter;
      const key = `${r.company_id ?? r.companyId}/${r.agent_id ?? r.agentId}/${session}`;
      if (!runsOf.has(key)) runsOf.set(key, []);
      runsOf.get(key)!.push({
        id: r.id,
        livenessState: r.liveness_state ?? r.livenessState,
        usageJson: r.usage_json ?? r.usageJson,
        sessionIdBefore: r.session_id_before ?? r.sessionIdBefore,
      });
    }
    let dead = 0;
    for (const s of report.sessions) {
      for (const run of runsOf.get(`${s.companyId}/${s.agentId}/${s.sessionId}`) ?? []) {
        if (
          reference.detectDeadReusedSessionCircuitBreaker({
            sessionId: s.sessionId,
            runs: [run],
            threshold: 1,
            ...options,
          }).rotate
        )
          dead++;
      }
    }
    expect(dead).toBe(report.totals.deadRuns);
  });

  it("refuses rule options that are not a list of strings or a boolean, naming them", () => {
    const empty = Buffer.from("");
    const bad: Array<[Record<string, unknown>, string]> = [
      [{ deadLivenessStates: "failed" }, "options.deadLivenessStates must be an array of strings"],
      [{ deadLivenessStates: ["failed", 3] }, "options.deadLivenessStates[1] must be a string"],
      [
        { deadLivenessStates: ["fa\ud800iled"] },
        "options.deadLivenessStates holds a lone surrogate (not well-formed UTF-16)",
      ],
      [{ countUnrecordedResumes: "true" }, "options.countUnrecordedResumes must be a boolean"],
      [{ countUnrecordedResumes: 1 }, "options.countUnrecordedResumes must be a boolean"],
    ];
    for (const [options, message] of bad) {
      for (const call of [
        () => native.auditDeadSessionsSync(empty, options as never),
        () => native.auditDeadSessions(empty, options as never),
        () => new native.DeadSessionAuditor(options as never),
      ]) {
        expect(call).toThrow(TypeError);
        expect(call).toThrow(message);
      }
    }
  });
});

describe("audit arguments", () => {
  it("refuses what is not a path or bytes, and times it cannot read", () => {
    expect(() => native.auditDeadSessionsSync(42 as never)).toThrow(TypeError);
    expect(() => native.auditDeadSessionsSync(Buffer.from(""), { since: "not a time" })).toThrow(
      /since is not a valid time/,
    );
    expect(() => native.auditDeadSessionsSync(Buffer.from(""), { companyId: 7 as never })).toThrow(
      /companyId must be a string/,
    );
    const missing = path.join(dir, "missing.ndjson");
    expect(() => native.auditDeadSessionsSync(missing)).toThrow(
      expect.objectContaining({
        code: "ENOENT",
        syscall: "open",
        path: missing,
        message: `ENOENT: no such file or directory, open '${missing}'`,
      }),
    );
    const auditor = new native.DeadSessionAuditor();
    auditor.finish();
    expect(() => auditor.push("{}")).toThrow(/used after finish/);
    expect(() => auditor.finish()).toThrow(/finish called twice/);
  });

  it('type-checks every option, naming it: a string is no thread count, "false" no boolean', () => {
    const empty = Buffer.from("");
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ threads: "8" }, /options\.threads must be a number/],
      [{ threads: {} }, /options\.threads must be a number/],
      [{ threads: -1 }, /options\.threads must be a number/],
      [{ threads: Number.NaN }, /options\.threads must be a number/],
      [{ ordered: "false" }, /options\.ordered must be a boolean/],
      [{ ordered: "no" }, /options\.ordered must be a boolean/],
      [{ ordered: 1 }, /options\.ordered must be a boolean/],
      [{ progress: "yes" }, /options\.progress must be a boolean/],
    ];
    for (const [options, message] of bad) {
      expect(() => native.auditDeadSessionsSync(empty, options as never), JSON.stringify(options)).toThrow(TypeError);
      expect(() => native.auditDeadSessionsSync(empty, options as never)).toThrow(message);
      expect(() => native.auditDeadSessions(empty, options as never)).toThrow(message);
      expect(() => new native.DeadSessionAuditor(options as never)).toThrow(message);
    }
    // What stays valid: booleans, absent values, and any number of threads from 0 up.
    for (const options of [
      { ordered: false },
      { ordered: true },
      { ordered: undefined, progress: null },
      { threads: 0 },
      { threads: 2.5 },
      { threads: 1e9 },
    ]) {
      const line = JSON.stringify({
        company_id: "c",
        agent_id: "a",
        session_id_after: "s",
        created_at: 1000,
        liveness_state: "failed",
      });
      expect(native.auditDeadSessionsSync(Buffer.from(line), options as never).rowsUsed).toBe(1);
    }
  });

  it("fails as Node's fs fails: a NUL in the path, a link loop, a socket, each with Node's code and words", async () => {
    const { openSync, symlinkSync } = await import("node:fs");
    const { createServer } = await import("node:net");
    const nodeSays = (f: () => unknown) => {
      try {
        f();
      } catch (error) {
        const e = error as NodeJS.ErrnoException;
        return { name: e.name, code: e.code, message: e.message };
      }
      throw new Error("Node did not fail");
    };
    const oursSays = (f: () => unknown) => nodeSays(f);
    const nul = path.join(dir, "a\0b");
    expect(oursSays(() => native.auditDeadSessionsSync(nul))).toEqual(nodeSays(() => openSync(nul)));
    expect(oursSays(() => native.auditDeadSessions(nul))).toEqual({
      name: "TypeError",
      code: "ERR_INVALID_ARG_VALUE",
      message: expect.stringContaining("without null bytes"),
    });
    const loop = path.join(dir, "loop.ndjson");
    symlinkSync(loop, loop);
    const loopError = nodeSays(() => openSync(loop));
    expect(loopError.code).toBe("ELOOP");
    expect(oursSays(() => native.auditDeadSessionsSync(loop))).toEqual({ ...loopError, name: "Error" });
    await expect(native.auditDeadSessions(loop)).rejects.toMatchObject({ code: "ELOOP", message: loopError.message });
    const socket = path.join(dir, "audit.sock");
    const server = createServer().listen(socket);
    await new Promise((resolve) => server.once("listening", resolve));
    try {
      const socketError = nodeSays(() => openSync(socket));
      expect(socketError.code).toBe("ENXIO");
      expect(oursSays(() => native.auditDeadSessionsSync(socket))).toMatchObject({
        code: "ENXIO",
        message: socketError.message,
      });
    } finally {
      server.close();
    }
  });

  it("rejects a missing file with Node's fs error shape, and refuses a path with a lone surrogate", async () => {
    const missing = path.join(dir, "absent.ndjson");
    await expect(native.auditDeadSessions(missing)).rejects.toMatchObject({
      code: "ENOENT",
      syscall: "open",
      path: missing,
    });
    // Encoded, the lone surrogate would become U+FFFD and name another file: refused instead.
    writeFileSync(path.join(dir, "x\ufffd"), "");
    expect(() => native.auditDeadSessionsSync(path.join(dir, "x\ud800"))).toThrow(/lone surrogate/);
    // Bad arguments throw at the call, as napi-rs's AsyncTask exports do.
    expect(() => native.auditDeadSessions(path.join(dir, "x\ud800"))).toThrow(TypeError);
  });

  it("DeadSessionAuditor without new is a TypeError and touches no receiver", () => {
    const Auditor = native.DeadSessionAuditor as unknown as (options?: unknown) => unknown;
    const receiver = {};
    expect(() => Auditor()).toThrow(TypeError);
    expect(() => Auditor.call(receiver)).toThrow(/without 'new'/);
    expect(Object.getOwnPropertySymbols(receiver)).toEqual([]);
  });

  it("answers an empty report for empty input", () => {
    const r = native.auditDeadSessionsSync(Buffer.alloc(0));
    expect(r).toMatchObject({ lines: 0, rowsUsed: 0, rowsSkipped: 0, sessions: [], companies: [] });
    expect(r.whatIf).toHaveLength(10);
  });
});

describe("paperclip-session-audit (CLI)", () => {
  const cli = path.join(__dirname, "..", "bin", "paperclip-session-audit.mjs");
  const file = path.join(dir, "cli.ndjson");
  writeFileSync(file, [...historyLines({ seed: 21 })].join("\n"));

  it("reads a PGlite database in pages with --pglite", { timeout: 60_000 }, async () => {
    const { PGlite } = await import("@electric-sql/pglite");
    const dataDir = path.join(dir, "pgdata");
    const db = new PGlite(dataDir);
    await db.exec(
      `create table heartbeat_runs (id text primary key, company_id text, agent_id text, session_id_before text, session_id_after text, created_at timestamptz, liveness_state text, usage_json jsonb)`,
    );
    const lines: string[] = [
      ...historyLines({ seed: 41, clean: true, camelCaseShare: 0, companies: 1, agentsPerCompany: 2 }),
    ];
    for (const l of lines) {
      const r = JSON.parse(l);
      await db.query(`insert into heartbeat_runs values ($1, $2, $3, $4, $5, $6, $7, $8)`, [
        r.id,
        r.company_id,
        r.agent_id,
        r.session_id_before,
        r.session_id_after,
        r.created_at,
        r.liveness_state,
        r.usage_json === null ? null : JSON.stringify(r.usage_json),
      ]);
    }
    await db.close();
    const out = execFileSync(process.execPath, [cli, "--pglite", dataDir, "--json"], { encoding: "utf8" });
    const fromDb = JSON.parse(out);
    const fromLines = native.auditDeadSessionsSync(Buffer.from(lines.join("\n")));
    expect(fromDb.sessions).toEqual(fromLines.sessions);
    expect(fromDb.whatIf).toEqual(fromLines.whatIf);
  });

  it("prints readable tables", () => {
    const out = execFileSync(process.execPath, [cli, file], { encoding: "utf8" });
    expect(out).toMatch(/What each breaker threshold would have done/);
    expect(out).toMatch(/company-0/);
  });

  it("prints the report as JSON with --json, filtered by --company and --since, and reads stdin from -", () => {
    const input = [...historyLines({ seed: 21 })].join("\n");
    const out = execFileSync(
      process.execPath,
      [cli, "-", "--json", "--company", "company-2", "--since", "2026-05-02T00:00:00Z"],
      { encoding: "utf8", input },
    );
    const gzipped = execFileSync(
      process.execPath,
      [cli, "-", "--json", "--company", "company-2", "--since", "2026-05-02T00:00:00Z"],
      { encoding: "utf8", input: gzipSync(input) },
    );
    expect(comparable(JSON.parse(gzipped)).sessions).toEqual(comparable(JSON.parse(out)).sessions);
    const r = JSON.parse(out);
    expect(r.companies.map((c: { companyId: string }) => c.companyId)).toEqual(["company-2"]);
    const js = jsReport(input.split("\n"), { companyId: "company-2", sinceMs: Date.parse("2026-05-02T00:00:00Z") });
    expect(comparable(r)).toEqual(comparable(js));
  });
});

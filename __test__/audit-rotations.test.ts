// Rotations in the audit: the run after a rotation records, in its context_snapshot, the session
// rotated (paperclipPreviousSessionId) and why (paperclipSessionRotationReason). A session
// rotated after its last run is not dead now; rotations are counted by kind per company, agent
// and day; a breaker rotation's cost (the dead runs burned before it) is measured. The same on
// every route, and as the plain JavaScript audit says.
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
// @ts-expect-error: plain JavaScript without declarations
import { JsAuditor } from "../benchmark/audit-js.mjs";
import { native } from "./native";

const dir = mkdtempSync(path.join(tmpdir(), "pcsc-rotations-"));
const at = (minute: number) => new Date(Date.UTC(2026, 5, 1, 12, minute)).toISOString();
const FORK = (s: string) => `3 consecutive failed zero-token reused runs on persisted session ${s}`;

type Run = {
  company?: string;
  agent: string;
  session: string | null;
  minute: number;
  dead?: boolean;
  context?: unknown;
};
const line = ({ company = "c1", agent, session, minute, dead = false, context }: Run) =>
  JSON.stringify({
    id: `${agent}-${minute}`,
    company_id: company,
    agent_id: agent,
    session_id_before: session,
    session_id_after: session,
    created_at: at(minute),
    liveness_state: dead ? "failed" : "succeeded",
    usage_json: dead ? { sessionReused: true, persistedSessionId: session, inputTokens: 0 } : { inputTokens: 9 },
    ...(context === undefined ? {} : { context_snapshot: context }),
  });

const dead = (agent: string, session: string, minutes: number[], company?: string) =>
  minutes.map((minute) => ({ company, agent, session, minute, dead: true }));
const history: Run[] = [
  // a1: three dead runs, then the breaker rotates: the next run is a fresh session.
  ...dead("a1", "S1", [1, 2, 3]),
  {
    agent: "a1",
    session: "S2",
    minute: 4,
    context: { paperclipPreviousSessionId: "S1", paperclipSessionRotationReason: FORK("S1"), other: { deep: [1, 2] } },
  },
  // a2: four dead runs, never rotated: dead now.
  ...dead("a2", "S3", [1, 2, 3, 4]),
  // a3: three dead runs, rotated by the wider rule; the next run failed before any session.
  ...dead("a3", "S4", [1, 2, 3]),
  {
    agent: "a3",
    session: null,
    minute: 5,
    context: {
      paperclipSessionRotationReason:
        "3 consecutive dead reused runs (3 failed with no usage record) on persisted session S4",
      paperclipPreviousSessionId: "S4",
    },
  },
  // a4: a run limit.
  { agent: "a4", session: "S5", minute: 1 },
  { agent: "a4", session: "S5", minute: 2 },
  {
    agent: "a4",
    session: "S6",
    minute: 3,
    context: { paperclipPreviousSessionId: "S5", paperclipSessionRotationReason: "session exceeded 2 runs" },
  },
  // a5: rotated, then resumed again (a fallback) into a fourth dead run: dead now all the same.
  ...dead("a5", "S7", [1, 2, 3]),
  {
    agent: "a5",
    session: "S9",
    minute: 4,
    context: { paperclipPreviousSessionId: "S7", paperclipSessionRotationReason: FORK("S7") },
  },
  ...dead("a5", "S7", [5]),
  // Another company: an age limit and a reason no rule writes; and contexts that record nothing.
  { company: "c2", agent: "b1", session: "S10", minute: 1 },
  {
    company: "c2",
    agent: "b1",
    session: "S11",
    minute: 60 * 24 + 1,
    context: { paperclipPreviousSessionId: "S10", paperclipSessionRotationReason: "session age reached 3 hours" },
  },
  {
    company: "c2",
    agent: "b1",
    session: "S12",
    minute: 60 * 24 + 2,
    context: { paperclipPreviousSessionId: "S11", paperclipSessionRotationReason: "the operator asked" },
  },
  { company: "c2", agent: "b1", session: "S12", minute: 60 * 24 + 3, context: "not an object" },
  {
    company: "c2",
    agent: "b1",
    session: "S12",
    minute: 60 * 24 + 4,
    context: { paperclipPreviousSessionId: "  ", paperclipSessionRotationReason: FORK("x") },
  },
];
const text = `${history.map(line).join("\n")}\n`;

function comparable(r: Record<string, unknown>) {
  const { elapsedMs: _e, bytesRead: _b, ...rest } = r;
  return rest;
}

describe("rotations the history records", () => {
  const report = native.auditDeadSessionsSync(Buffer.from(text));
  const session = (id: string) => report.sessions.find((s) => s.sessionId === id)!;

  it("a session rotated after its last run is not dead now, and says when and by what", () => {
    expect(session("S1")).toMatchObject({
      currentDeadStreak: 3,
      deadNow: false,
      rotation: { at: at(4), atMs: Date.parse(at(4)), kind: "fork_breaker" },
    });
    expect(session("S3")).toMatchObject({ currentDeadStreak: 4, deadNow: true, rotation: null });
    expect(session("S4")).toMatchObject({
      currentDeadStreak: 3,
      deadNow: false,
      rotation: { kind: "wider_breaker", at: at(5) },
    });
    expect(session("S5")).toMatchObject({ deadNow: false, rotation: { kind: "run_limit" } });
    // Rotated, then resumed again: the rotation came before its last run.
    expect(session("S7")).toMatchObject({ currentDeadStreak: 4, deadNow: true, rotation: null });
    expect(session("S10").rotation).toMatchObject({ kind: "session_age" });
    expect(session("S11").rotation).toMatchObject({ kind: "other" });
    expect(session("S12").rotation).toBeNull();
    expect(report.deadNowAuthority).toBe("rotation_records");
  });

  it("counts rotations by kind per company, agent and day, and what the breaker's cost", () => {
    expect(report.totals).toMatchObject({
      sessionsDeadNow: 2,
      sessionsRotatedDead: 2,
      rotations: { forkBreaker: 2, widerBreaker: 1, runLimit: 1, rawInput: 0, sessionAge: 1, other: 1 },
      // S1's three dead runs and S4's three: S7's rotation came before its last run.
      deadRunsBeforeBreakerRotations: 6,
    });
    expect(report.companies.map((c) => [c.companyId, c.totals.rotations])).toEqual([
      ["c1", { forkBreaker: 2, widerBreaker: 1, runLimit: 1, rawInput: 0, sessionAge: 0, other: 0 }],
      ["c2", { forkBreaker: 0, widerBreaker: 0, runLimit: 0, rawInput: 0, sessionAge: 1, other: 1 }],
    ]);
    expect(report.agents.find((a) => a.agentId === "a3")!.totals.rotations.widerBreaker).toBe(1);
    expect(
      report.days.map((d) => [
        d.day,
        d.rotations.forkBreaker +
          d.rotations.widerBreaker +
          d.rotations.runLimit +
          d.rotations.sessionAge +
          d.rotations.other,
      ]),
    ).toEqual([
      ["2026-06-01", 4],
      ["2026-06-02", 2],
    ]);
    // The run that recorded a rotation but had no session of its own is counted as such.
    expect(report.rowsWithoutSession).toBe(1);
  });

  it("gives the same report from a file, gzip, COPY text, the streaming auditor and the JavaScript audit", async () => {
    const expected = comparable(report);
    const file = path.join(dir, "rotations.ndjson");
    writeFileSync(file, text);
    expect(comparable(native.auditDeadSessionsSync(file))).toEqual(expected);
    expect(comparable(await native.auditDeadSessions(gzipSync(text)))).toEqual(expected);
    expect(comparable(native.auditDeadSessionsSync(Buffer.from(text.replaceAll("\\", "\\\\"))))).toEqual(expected);
    const auditor = new native.DeadSessionAuditor();
    for (let i = 0; i < text.length; i += 17) auditor.push(text.slice(i, i + 17));
    expect(comparable(auditor.finish())).toEqual(expected);
    const js = new JsAuditor();
    for (const l of text.trimEnd().split("\n")) js.line(l);
    const { lines: _l, ...fromJs } = js.finish();
    const { lines: _n, ...fromNative } = expected;
    expect(fromJs).toEqual(fromNative);
  });

  it("a history without rotation records keeps today's figures", () => {
    const plain = history.filter((r) => r.context === undefined);
    const r = native.auditDeadSessionsSync(Buffer.from(`${plain.map(line).join("\n")}\n`));
    expect(r.deadNowAuthority).toBe("none");
    expect(r.sessions.every((s) => s.rotation === null && s.deadNow === s.currentDeadStreak >= 3)).toBe(true);
  });
});

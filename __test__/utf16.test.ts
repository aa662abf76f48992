// Strings stay UTF-16: every code unit that goes in comes out, lone surrogates included.
import { describe, expect, it } from "vitest";
import { native } from "./native";

const LONE = ["\ud800", "\udc00", "a\udbff", "\udfffz", "\ud83d"]; // high and low halves, alone
const units = (s: string) => Array.from({ length: s.length }, (_, i) => s.charCodeAt(i));

const dead = (session: string, id: string) => ({
  id,
  createdAt: "2026-06-06T12:00:00Z",
  error: null,
  livenessState: "failed",
  usageJson: { persistedSessionId: session, sessionReused: true },
});

describe("lone surrogates survive", () => {
  for (const lone of LONE) {
    const session = `sess-${lone}`;
    it(`in the breaker's reason and ids (${JSON.stringify(lone)})`, () => {
      const id = `run-${lone}`;
      const r = native.detectDeadReusedSessionCircuitBreaker({
        sessionId: session,
        runs: [dead(session, id), dead(session, "b"), dead(session, "c")],
      });
      expect(units(r.reason!)).toEqual(
        units(`3 consecutive failed zero-token reused runs on persisted session ${session}`),
      );
      expect(units(r.previousRunId!)).toEqual(units(id));
    });

    it(`in every line of the handoff note (${JSON.stringify(lone)})`, () => {
      const r = native.evaluateSessionCompaction({
        agent: { adapterType: "cursor", runtimeConfig: { sessionCompaction: { maxSessionRuns: 1 } } },
        sessionId: session,
        issueId: `PAP-${lone}`,
        continuationSummaryBody: `body ${lone}`,
        runs: [
          {
            id: "r2",
            createdAt: 2,
            usageJson: null,
            error: null,
            livenessState: "completed",
            resultSummary: `summary ${lone}`,
          },
          { id: "r1", createdAt: 1, usageJson: null, error: null, livenessState: "completed" },
        ],
      });
      const expected = [
        "Paperclip session handoff:",
        `- Previous session: ${session}`,
        `- Issue: PAP-${lone}`,
        "- Rotation reason: session exceeded 1 runs",
        `- Last run summary: summary ${lone}`,
        `- Issue continuation summary: body ${lone}`,
        "Continue from the current task state. Rebuild only the minimum context you need.",
      ].join("\n");
      expect(units(r.handoffMarkdown!)).toEqual(units(expected));
    });
  }
});

describe("the continuation body is cut at 1,500 UTF-16 code units", () => {
  const rotate = (body: string) =>
    native.evaluateSessionCompaction({
      agent: { adapterType: "cursor", runtimeConfig: { sessionCompaction: { maxSessionRuns: 1 } } },
      sessionId: "s",
      issueId: null,
      continuationSummaryBody: body,
      runs: [
        { id: "b", createdAt: 2, usageJson: null, error: null, livenessState: "completed" },
        { id: "a", createdAt: 1, usageJson: null, error: null, livenessState: "completed" },
      ],
    }).handoffMarkdown!;
  const bodyLine = (note: string) =>
    note
      .split("\n")
      .find((l) => l.startsWith("- Issue continuation summary: "))!
      .slice(30);

  it("inside a surrogate pair, leaving its high half", () => {
    const body = "x".repeat(1499) + "😀" + "after";
    const cut = bodyLine(rotate(body));
    expect(cut.length).toBe(1500);
    expect(cut.charCodeAt(1499)).toBe(0xd83d);
  });

  it("not at 1,500 code points", () => {
    const body = "😀".repeat(1000);
    expect(bodyLine(rotate(body)).length).toBe(1500);
    expect(bodyLine(rotate(body))).toBe("😀".repeat(750));
  });

  it("and a body of exactly 1,500 units is kept whole", () => {
    const body = "é".repeat(1500);
    expect(bodyLine(rotate(body))).toBe(body);
  });
});

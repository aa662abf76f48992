// The report is the history's, not the reading's: whatever the thread count, the chunking, the
// read path (a Buffer, a plain file read in parts, a gzip file, the streaming auditor) or
// `ordered`, generated histories with tied times, lines valid both as plain JSON and as COPY
// text, lines that show the format, and part boundaries falling among them give one report.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { native } from "./native";

type Report = ReturnType<typeof native.auditDeadSessionsSync>;
const dir = mkdtempSync(path.join(tmpdir(), "pcsc-invariance-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The report without what depends on the reading itself (timing, compressed bytes). */
const comparable = ({ elapsedMs: _e, bytesRead: _b, ...rest }: Report) => rest;

const usage = (session: string, tokens: number) =>
  `{"sessionReused":true,"persistedSessionId":"${session}","inputTokens":${tokens}}`;

/**
 * One generated line, as its text. `undecided`: valid both ways, and the two readings differ
 * (plain JSON reads the liveness `fail\u0065d`, alive; COPY text reads `failed`, dead).
 * `showsCopy` / `showsJson`: valid one way only, so the line shows the input's format.
 */
const line = fc
  .record({
    session: fc.constantFrom("s1", "s2", "s3"),
    // A handful of times, so that runs tie.
    at: fc.integer({ min: 0, max: 6 }),
    kind: fc.constantFrom("dead", "dead", "alive", "undecided", "undecided", "unseen", "showsCopy", "showsJson"),
  })
  .map(({ session, at, kind }) => {
    const base = `"company_id":"c","agent_id":"a","session_id_before":"${session}","session_id_after":"${session}","created_at":${1_780_000_000_000 + at * 60_000}`;
    switch (kind) {
      case "dead":
        return `{${base},"liveness_state":"failed","usage_json":${usage(session, 0)}}`;
      case "alive":
        return `{${base},"liveness_state":"completed","usage_json":${usage(session, 7)}}`;
      case "unseen":
        return `{${base},"liveness_state":"failed","usage_json":null}`;
      case "undecided":
        return `{${base},"liveness_state":"fail\\\\u0065d","usage_json":${usage(session, 0)}}`;
      case "showsCopy":
        // `\\"` in COPY text is a quote in the JSON; as plain JSON the line is broken.
        return `{"copy":"\\\\"",${base},"liveness_state":"failed","usage_json":${usage(session, 0)}}`;
      default:
        // `\"` is a JSON escape COPY text never writes: plain JSON only.
        return `{"note":"say \\"hi\\"",${base},"liveness_state":"failed","usage_json":${usage(session, 0)}}`;
    }
  });

const MIB = 1 << 20;
/** Lines that are rows without a session, `bytes` long in all (each line ends in `\n`). */
function padding(bytes: number): string {
  const lines: string[] = [];
  let left = bytes;
  while (left > 0) {
    const size = Math.min(left, 64 * 1024);
    const head = `{"company_id":"pad","agent_id":"p","created_at":0,"note":"`;
    const tail = `"}\n`;
    const fill = Math.max(0, size - head.length - tail.length);
    lines.push(size >= head.length + tail.length ? head + "x".repeat(fill) + tail : "\n".repeat(size));
    left -= size;
  }
  return lines.join("");
}

const history = fc.record({
  lines: fc.array(line, { minLength: 1, maxLength: 40 }),
  // Where the middle of the file (the boundary of two parts) falls among the lines.
  shift: fc.double({ min: -1, max: 1, noNaN: true }),
  chunk: fc.integer({ min: 1, max: 70_000 }),
  threads: fc.integer({ min: 2, max: 4 }),
});

describe("the report does not depend on how the history is read", () => {
  it("threads, chunks, read paths and part boundaries: one report", { timeout: 600_000 }, () => {
    let undecidedAtJoin = 0;
    fc.assert(
      fc.property(history, ({ lines, shift, chunk, threads }) => {
        const body = lines.join("\n") + "\n";
        // Two parts of a plain file split at its middle: padding on both sides, the lines around
        // the middle, the boundary moved across them by `shift`.
        const before = 4 * MIB;
        const after = 4 * MIB + Math.round(shift * body.length);
        const text = padding(before) + body + padding(after);
        const buffer = Buffer.from(text);
        const file = path.join(dir, "history.ndjson");
        writeFileSync(file, buffer);
        writeFileSync(`${file}.gz`, gzipSync(buffer, { level: 1 }));
        const one = comparable(native.auditDeadSessionsSync(buffer, { threads: 1 }));
        const readings: Array<[string, () => Report]> = [
          ["a Buffer, several threads", () => native.auditDeadSessionsSync(buffer, { threads })],
          ["a file in parts", () => native.auditDeadSessionsSync(file, { threads })],
          ["a file, one thread", () => native.auditDeadSessionsSync(file, { threads: 1 })],
          ["a gzip file", () => native.auditDeadSessionsSync(`${file}.gz`, { threads })],
          [
            `the streaming auditor, chunks of ${chunk}`,
            () => {
              const auditor = new native.DeadSessionAuditor({ threads });
              for (let i = 0; i < buffer.length; i += chunk) auditor.push(buffer.subarray(i, i + chunk));
              return auditor.finish();
            },
          ],
        ];
        for (const [name, read] of readings) expect(comparable(read()), name).toEqual(one);
        // Sorted by time (stable, as the audit keeps ties), the ordered audit folds the same.
        const sorted = [...lines].map((l, i) => [Number(/"created_at":(\d+)/.exec(l)![1]), i, l] as const);
        sorted.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
        const sortedText = sorted.map(([, , l]) => l).join("\n") + "\n";
        const unordered = comparable(native.auditDeadSessionsSync(Buffer.from(sortedText), { threads: 1 }));
        expect(comparable(native.auditDeadSessionsSync(Buffer.from(sortedText), { ordered: true }))).toEqual(unordered);
        if (lines.some((l) => l.includes("u0065"))) undecidedAtJoin++;
      }),
      { numRuns: 40 },
    );
    expect(undecidedAtJoin).toBeGreaterThan(10);
  });
});

// The fleet audit's inputs: PostgreSQL's COPY text export beside plain JSON lines (from
// PGlite's own output), the CLI's exit statuses, the Promise API, and the line-length cap.
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM helper without types
import { historyLines } from "../benchmark/history.mjs";
import { native } from "./native";

type Report = ReturnType<typeof native.auditDeadSessionsSync>;
const dir = mkdtempSync(path.join(tmpdir(), "pcsc-formats-"));
const cli = path.join(__dirname, "..", "bin", "paperclip-session-audit.mjs");

/** The report without what depends on the bytes or the clock. */
function comparable(r: Report) {
  const { elapsedMs: _e, bytesRead: _b, ...rest } = r;
  return rest;
}

// What real runs carry in their text: quotes, backslashes, line breaks, tabs, non-ASCII, emoji,
// and (in a json column, which keeps its text as written) an escaped lone surrogate.
const NASTY = [
  'Command failed: "claude" exited with code 1',
  "C:\\Users\\agent\\repo and a trailing backslash \\",
  "line one\nline two\r\nline three\ttabbed",
  "Ünïcödé — “quotes” — 日本語 — 😀🚀",
  'mixed \\" and \\\\n and "\\t" literally',
];
// Session ids starting with a backslash, a quote and a newline: fields the audit reads.
const ODD_SESSION = 'sess "odd"\\path\nend';

let db: PGlite;
let source: string[];
let copyText: string;
let plainText: string;

beforeAll(async () => {
  source = [...historyLines({ seed: 77, clean: true, camelCaseShare: 0, runsPerSession: 30 })].map((line, i) => {
    const r = JSON.parse(line);
    const session = r.session_id_after;
    if (typeof session === "string" && session.startsWith("sess-0-")) {
      r.session_id_after = r.session_id_before = ODD_SESSION + session;
      if (r.usage_json?.persistedSessionId === session) r.usage_json.persistedSessionId = ODD_SESSION + session;
    }
    r.error = NASTY[i % NASTY.length];
    r.result_json = { summary: NASTY[(i + 1) % NASTY.length], nested: { text: NASTY[(i + 2) % NASTY.length] } };
    r.context_snapshot = `{"wakeReason": "timer", "note": "\\ud800 half of a pair", "quote": "\\""}`;
    return JSON.stringify(r);
  });
  db = new PGlite();
  await db.exec(`create table heartbeat_runs (id uuid primary key, company_id text not null, agent_id text not null,
    session_id_before text, session_id_after text, created_at timestamptz not null, liveness_state text, usage_json jsonb,
    result_json jsonb, error text, context_snapshot json)`);
  for (let i = 0; i < source.length; i += 400) {
    await db.query(
      `insert into heartbeat_runs select id, company_id, agent_id, session_id_before, session_id_after, created_at, liveness_state, usage_json, result_json, error, context_snapshot::json
         from jsonb_to_recordset($1::jsonb) as x(id uuid, company_id text, agent_id text, session_id_before text, session_id_after text, created_at timestamptz,
              liveness_state text, usage_json jsonb, result_json jsonb, error text, context_snapshot text)`,
      [`[${source.slice(i, i + 400).join(",")}]`],
    );
  }
  const copied = await db.query(`COPY (SELECT row_to_json(r) FROM heartbeat_runs r) TO '/dev/blob'`);
  copyText = await copied.blob!.text();
  const { rows } = await db.query<{ line: string }>(`SELECT row_to_json(r)::text AS line FROM heartbeat_runs r`);
  plainText = rows.map((r) => r.line).join("\n") + "\n";
}, 120_000);

afterAll(async () => {
  await db?.close();
});

describe("COPY text and plain JSON lines", () => {
  it("the exports really differ: COPY doubles every backslash and keeps the lone surrogate escaped", () => {
    expect(copyText.split("\n").length).toBe(plainText.split("\n").length);
    expect(copyText).toContain('\\\\"');
    expect(copyText).toContain("\\\\ud800");
    expect(copyText).not.toBe(plainText);
    // Read as plain JSON lines, the COPY export loses rows: the bug this reader fixes.
    const asPlain = copyText
      .split("\n")
      .filter((l) => l !== "")
      .filter((l) => {
        try {
          JSON.parse(l);
          return true;
        } catch {
          return false;
        }
      });
    expect(asPlain.length).toBeLessThan(source.length / 2);
  });

  it("give the same report, equal to the audit of the rows as written, with no row skipped", () => {
    const fromCopy = native.auditDeadSessionsSync(Buffer.from(copyText));
    const fromPlain = native.auditDeadSessionsSync(Buffer.from(plainText));
    const fromSource = native.auditDeadSessionsSync(Buffer.from(source.join("\n")));
    expect(fromCopy.rowsSkipped).toBe(0);
    expect(fromCopy.rowsUsed + fromCopy.rowsWithoutSession).toBe(source.length);
    expect(comparable(fromCopy)).toEqual(comparable(fromPlain));
    expect(fromCopy.sessions).toEqual(fromSource.sessions);
    expect(fromCopy.whatIf).toEqual(fromSource.whatIf);
    const odd = fromCopy.sessions.filter((s) => s.sessionId.startsWith(ODD_SESSION));
    expect(odd.length).toBeGreaterThan(0);
    expect(odd.some((s) => s.deadRuns > 0)).toBe(true);
  });

  it("from files, gzip, the streaming auditor in odd pieces, and the CLI's standard input", async () => {
    const expected = comparable(native.auditDeadSessionsSync(Buffer.from(plainText)));
    const file = path.join(dir, "copy.txt");
    writeFileSync(file, copyText);
    writeFileSync(`${file}.gz`, gzipSync(copyText));
    expect(comparable(native.auditDeadSessionsSync(file))).toEqual(expected);
    expect(comparable(await native.auditDeadSessions(`${file}.gz`))).toEqual(expected);
    const auditor = new native.DeadSessionAuditor();
    for (let i = 0; i < copyText.length; i += 333) auditor.push(copyText.slice(i, i + 333));
    expect(comparable(auditor.finish())).toEqual(expected);
    const out = execFileSync(process.execPath, [cli, "-", "--json"], { input: gzipSync(copyText), encoding: "utf8" });
    expect(comparable(JSON.parse(out))).toEqual(expected);
  });

  it("gzip is read wherever bytes come in: a path, a Buffer (small, and in parts), the streaming auditor in any pieces", async () => {
    const expected = comparable(native.auditDeadSessionsSync(Buffer.from(plainText)));
    const compressed = gzipSync(copyText);
    const file = path.join(dir, "every-route.txt.gz");
    writeFileSync(file, compressed);
    expect(comparable(native.auditDeadSessionsSync(file))).toEqual(expected);
    expect(comparable(native.auditDeadSessionsSync(compressed))).toEqual(expected);
    expect(comparable(await native.auditDeadSessions(compressed))).toEqual(expected);
    // Two members, as `cat a.gz b.gz` makes.
    const half = Math.floor(copyText.length / 2);
    const cut = copyText.lastIndexOf("\n", half) + 1;
    const members = Buffer.concat([gzipSync(copyText.slice(0, cut)), gzipSync(copyText.slice(cut))]);
    expect(comparable(native.auditDeadSessionsSync(members))).toEqual(expected);
    for (const piece of [1, 2, 3, 1000, 1 << 20]) {
      const auditor = new native.DeadSessionAuditor();
      for (let i = 0; i < members.length; i += piece) auditor.push(members.subarray(i, i + piece));
      expect(comparable(auditor.finish()), `pieces of ${piece}`).toEqual(expected);
    }
  });

  it("a gzip Buffer cut short reads what it held and says it ended early, as the same file does", () => {
    const compressed = gzipSync(copyText);
    const cut = compressed.subarray(0, compressed.length - 100);
    const file = path.join(dir, "cut.txt.gz");
    writeFileSync(file, cut);
    const fromFile = native.auditDeadSessionsSync(file);
    expect(fromFile.skippedByReason.map((s) => s.code)).toContain("ended_early");
    expect(comparable(native.auditDeadSessionsSync(cut))).toEqual(comparable(fromFile));
    const auditor = new native.DeadSessionAuditor();
    auditor.push(cut);
    expect(auditor.finish().skippedByReason.map((s) => s.code)).toContain("ended_early");
  });

  it("a history that mixes the two formats (two exports concatenated) is read whole", () => {
    const mixed = plainText + copyText;
    const report = native.auditDeadSessionsSync(Buffer.from(mixed));
    expect(report.rowsSkipped).toBe(0);
    expect(report.totals.runs).toBe(2 * native.auditDeadSessionsSync(Buffer.from(plainText)).totals.runs);
  });
});

describe("paperclip-session-audit exit statuses", () => {
  const run = (args: string[], input?: Buffer | string) =>
    spawnSync(process.execPath, [cli, ...args], { input, encoding: "utf8" });
  const good = [...historyLines({ seed: 5, clean: true, camelCaseShare: 0 })].join("\n") + "\n";

  it("0 for a complete report", () => {
    const r = run(["-", "--json"], good);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).rowsSkipped).toBe(0);
  });

  it("0, with the skipped rows in the first line, when some (at most half) were skipped", () => {
    const r = run(["-"], good + "{broken\n{broken\n");
    expect(r.status).toBe(0);
    expect(r.stdout.split("\n")[0]).toMatch(
      /^WARNING: 2 of [\d,]+ rows \(0\.\d%\) were skipped and are not in this report: 2 malformed JSON$/,
    );
  });

  it("3 when more than half of the rows were skipped, or none could be read; --json still written", () => {
    const half = good.split("\n").filter(Boolean);
    const mostlyBroken = half.slice(0, 10).join("\n") + "\n" + "{broken\n".repeat(11);
    const r = run(["-"], mostlyBroken);
    expect(r.status).toBe(3);
    expect(r.stdout.split("\n")[0]).toMatch(/^INCOMPLETE: 11 of 21 rows \(52\.4%\) were skipped/);
    const random = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919 + (i >> 3) * 31) & 0xff));
    const json = run(["-", "--json"], random);
    expect(json.status).toBe(3);
    expect(JSON.parse(json.stdout).rowsUsed).toBe(0);
    expect(json.stderr).toMatch(/were skipped and are not in this report/);
    expect(run(["-", "--json"], "").status).toBe(3);
  });

  it("2 with a short usage line on stderr for unknown flags and bad values, never a stack trace", () => {
    for (const args of [
      ["--bogus", "x"],
      ["a", "b"],
      ["-", "--since", "yesterday-ish"],
      ["-", "--max-line-bytes", "0"],
      ["-", "--max-line-bytes", "12Q"],
      [],
    ]) {
      const r = run(args, good);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr).toMatch(
        /^paperclip-session-audit: .+\nusage: paperclip-session-audit <file \| -> \[options\]; paperclip-session-audit --help for the options\n$/,
      );
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe("");
    }
  });

  it("1 when the input cannot be read", () => {
    const r = run([path.join(dir, "no-such-file.ndjson")]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no-such-file\.ndjson/);
  });
});

describe("auditDeadSessions (Promise)", () => {
  it("answers the synchronous call's report", async () => {
    const promise = native.auditDeadSessions(Buffer.from(plainText), { companyId: "company-1" });
    expect(promise).toBeInstanceOf(Promise);
    expect(comparable(await promise)).toEqual(
      comparable(native.auditDeadSessionsSync(Buffer.from(plainText), { companyId: "company-1" })),
    );
  });

  it("reads a Buffer as it was at the call, even if JavaScript transfers or overwrites it meanwhile", async () => {
    const expected = comparable(native.auditDeadSessionsSync(Buffer.from(plainText)));
    const bytes = new TextEncoder().encode(plainText);
    const promise = native.auditDeadSessions(bytes);
    const moved = new Uint8Array(structuredClone(bytes.buffer, { transfer: [bytes.buffer] }));
    moved.fill(0x7b);
    expect(bytes.byteLength).toBe(0);
    expect(comparable(await promise)).toEqual(expected);
  });

  it("rejects when the file cannot be read, and throws a TypeError at once for bad arguments", async () => {
    await expect(native.auditDeadSessions(path.join(dir, "missing.ndjson"))).rejects.toThrow(/missing\.ndjson/);
    expect(() => native.auditDeadSessions(42 as never)).toThrow(TypeError);
    expect(() => native.auditDeadSessions(Buffer.alloc(0), { maxLineBytes: 1.5 })).toThrow(/maxLineBytes/);
  });

  it(
    "keeps the event loop turning while ~100 MB are audited; the synchronous call does not",
    { timeout: 60_000 },
    async () => {
      const chunk = [...historyLines({ seed: 3, runsPerSession: 200 })].join("\n") + "\n";
      const file = path.join(dir, "big.ndjson");
      writeFileSync(file, chunk.repeat(Math.ceil(100e6 / chunk.length)));
      // A callback queued before the call: the synchronous audit returns before it can run; the
      // promise settles only after it ran (the loop turned while the audit was under way).
      let turned = false;
      setImmediate(() => (turned = true));
      native.auditDeadSessionsSync(file, { threads: 1 });
      expect(turned).toBe(false);
      await new Promise((resolve) => setImmediate(resolve));
      turned = false;
      const audit = native.auditDeadSessions(file, { threads: 1 });
      setImmediate(() => (turned = true));
      const report = await audit;
      expect(report.bytesRead).toBeGreaterThan(100e6);
      expect(turned).toBe(true);
    },
  );
});

describe("the line-length cap", () => {
  it("skips a line over maxLineBytes as 'line too long', and reads on", () => {
    const row = good().split("\n")[0];
    const text = `${row}\n${"x".repeat(5000)}\n${row}\n`;
    const capped = native.auditDeadSessionsSync(Buffer.from(text), { maxLineBytes: 4096 });
    expect([capped.rowsUsed, capped.rowsSkipped]).toEqual([2, 1]);
    expect(capped.firstErrors).toEqual([
      { line: 2, reason: "line too long", code: "line_too_long", detail: "over 4096 bytes" },
    ]);
    expect(native.auditDeadSessionsSync(Buffer.from(text), { maxLineBytes: 8192 }).firstErrors[0].reason).toBe(
      "malformed JSON",
    );
  });

  it("streams past a 1 GiB line in a 16 MB gzip file within a bounded RSS", { timeout: 120_000 }, () => {
    // Gzip members concatenate: 64 copies of one 16 MiB member make a 1 GiB line.
    const member = gzipSync(Buffer.alloc(16 << 20, "x"));
    const file = path.join(dir, "one-huge-line.gz");
    const row = good().split("\n")[0];
    writeFileSync(file, Buffer.concat([...Array(64).fill(member), gzipSync(`\n${row}\n`)]));
    // The peak RSS: VmHWM on Linux, as getrusage's maxRSS keeps the forking parent's peak
    // across exec there; elsewhere, maxRSS.
    const script = `const c = require(${JSON.stringify(path.join(__dirname, "..", "index.js"))});
      const r = c.auditDeadSessionsSync(${JSON.stringify(file)});
      const status = process.platform === "linux" ? require("node:fs").readFileSync("/proc/self/status", "utf8") : "";
      const hwm = /VmHWM:\\s*(\\d+) kB/.exec(status);
      console.log(JSON.stringify({ r, maxRss: (hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS) * 1024 }));`;
    const { r, maxRss } = JSON.parse(execFileSync(process.execPath, ["-e", script], { encoding: "utf8" }));
    expect(r.bytesRead).toBeGreaterThan(2 ** 30);
    expect([r.rowsUsed, r.rowsSkipped, r.firstErrors[0].reason]).toEqual([1, 1, "line too long"]);
    // The cap (64 MiB) and a 16 MiB read buffer above Node's own ~50 MB; the line is 1 GiB.
    expect(maxRss).toBeLessThan(250e6);
  });
});

function good(): string {
  return [...historyLines({ seed: 5, clean: true, camelCaseShare: 0 })].join("\n");
}

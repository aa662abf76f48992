// Where the audit reads from, and what it never does to the process around it: a FIFO with
// no writer holds none of libuv's pool, a device can be stopped, a thread the system will not
// give means fewer threads (never an abort), a gzip that breaks off keeps what it gave, and a
// string push may split a surrogate pair.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { native } from "./native";

const dir = mkdtempSync(path.join(tmpdir(), "pcsc-sources-"));
const root = path.join(__dirname, "..");
chmodSync(dir, 0o755);
const row = (i: number, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    company_id: `c${i % 5}`,
    agent_id: "a",
    session_id_after: `s${i % 1000}`,
    created_at: i * 1000,
    liveness_state: "failed",
    usage_json: { sessionReused: true, persistedSessionId: `s${i % 1000}`, inputTokens: 0 },
    ...extra,
  });
const history = (rows: number) => Array.from({ length: rows }, (_, i) => row(i)).join("\n") + "\n";

function mkfifo(name: string): string {
  const file = path.join(dir, name);
  execFileSync("mkfifo", [file]);
  return file;
}

// FIFOs, /dev/zero, prlimit and setpriv are POSIX (the last two Linux): those tests run there.
const posix = process.platform !== "win32";
const linux = process.platform === "linux";

describe.runIf(posix)("FIFOs and devices", () => {
  it("four audits of FIFOs with no writer hold no pool thread; fs still reads; abort stops them", async () => {
    const controller = new AbortController();
    const waiting = [1, 2, 3, 4].map((i) =>
      native.auditDeadSessions(mkfifo(`idle-${i}`), { signal: controller.signal }).then(
        () => "resolved",
        (e: Error) => e.name,
      ),
    );
    // libuv's pool has four threads: were the audits on it, these reads would never run.
    for (let i = 0; i < 8; i++) expect((await readFile(__filename, "utf8")).length).toBeGreaterThan(0);
    controller.abort();
    expect(await Promise.all(waiting)).toEqual(["AbortError", "AbortError", "AbortError", "AbortError"]);
  });

  it(
    "decides where to run on what the call opened: a path swapped for a FIFO afterwards is still the file",
    { timeout: 60_000 },
    async () => {
      // The pool's four threads are busy first, so the audits start only after the swap.
      const big = path.join(dir, "big.bin");
      writeFileSync(big, Buffer.alloc(64 << 20));
      const busy = [1, 2, 3, 4].map(() => readFile(big));
      const fifos = [1, 2, 3, 4].map((i) => mkfifo(`swap-in-${i}`));
      const controller = new AbortController();
      const audits = fifos.map((fifo, i) => {
        const file = path.join(dir, `swapped-${i}.ndjson`);
        writeFileSync(file, history(50));
        const audit = native.auditDeadSessions(file, { signal: controller.signal }).then(
          (r) => r.rowsUsed,
          (e: Error) => e.name,
        );
        renameSync(fifo, file); // the path now names a FIFO no one writes to
        return audit;
      });
      // Were an audit to open the FIFO on the pool, it would wait there until this abort.
      const timer = setTimeout(() => controller.abort(), 20_000);
      await Promise.all(busy);
      expect(await Promise.all(audits)).toEqual([50, 50, 50, 50]);
      clearTimeout(timer);
      for (let i = 0; i < 4; i++) expect((await readFile(__filename, "utf8")).length).toBeGreaterThan(0);
    },
  );

  it("reads a FIFO once a writer comes", async () => {
    const fifo = mkfifo("fed");
    const report = native.auditDeadSessions(fifo);
    const writer = spawn("sh", ["-c", `sleep 0.2; cat > '${fifo}'`], { stdio: ["pipe", "ignore", "inherit"] });
    writer.stdin.end(history(300));
    expect((await report).rowsUsed).toBe(300);
  });

  it("an audit of /dev/zero stops on abort, with an AbortError", async () => {
    const controller = new AbortController();
    const endless = native.auditDeadSessions("/dev/zero", { signal: controller.signal, maxLineBytes: 1 << 20 });
    setTimeout(() => controller.abort(), 300);
    await expect(endless).rejects.toMatchObject({ name: "AbortError", code: "ABORT_ERR" });
  });

  it("an already aborted signal rejects at once, for a Buffer and for a file", async () => {
    const signal = AbortSignal.abort();
    const file = path.join(dir, "small.ndjson");
    writeFileSync(file, history(10));
    await expect(native.auditDeadSessions(Buffer.from(history(10)), { signal })).rejects.toMatchObject({
      name: "AbortError",
    });
    await expect(native.auditDeadSessions(file, { signal })).rejects.toMatchObject({ name: "AbortError" });
    // A signal that never fires changes nothing.
    expect((await native.auditDeadSessions(file, { signal: new AbortController().signal })).rowsUsed).toBe(10);
    expect(() => native.auditDeadSessions(file, { signal: 5 as never })).toThrow(
      /options\.signal must be an AbortSignal/,
    );
  });
});

describe("gzip that breaks off", () => {
  const whole = gzipSync(history(20_000));
  const cut = path.join(dir, "cut.ndjson.gz");
  writeFileSync(cut, whole.subarray(0, whole.length - 40));

  it("keeps the rows it gave and names the early end as a skipped row", async () => {
    const report = await native.auditDeadSessions(cut);
    expect(report.rowsUsed).toBeGreaterThan(19_000);
    expect(report.rowsUsed).toBeLessThan(20_000);
    expect(report.skippedByReason).toEqual([{ reason: "input ended early", code: "ended_early", rows: 1 }]);
  });

  it("the CLI exits 3 and says so", () => {
    const cli = path.join(__dirname, "..", "bin", "paperclip-session-audit.mjs");
    const r = spawnSync(process.execPath, [cli, cut], { encoding: "utf8" });
    expect(r.status).toBe(3);
    expect(r.stdout).toMatch(/input ended early/);
    expect(r.stderr).not.toMatch(/at .*\.m?js:\d+/);
  });
});

describe("gzip that ends in zero padding", () => {
  const padded = path.join(dir, "padded.ndjson.gz");
  // Two members, then the zeros a tape or block device leaves: gzip -t and zcat accept it.
  writeFileSync(padded, Buffer.concat([gzipSync(history(300)), gzipSync(history(200)), Buffer.alloc(4096)]));

  it("is read whole, with no phantom row, from a file and from standard input", async () => {
    const report = await native.auditDeadSessions(padded);
    expect({ used: report.rowsUsed, skipped: report.skippedByReason }).toEqual({ used: 500, skipped: [] });
    const cli = path.join(__dirname, "..", "bin", "paperclip-session-audit.mjs");
    const r = spawnSync(process.execPath, [cli, "-", "--json"], {
      input: readFileSync(padded),
      encoding: "utf8",
      maxBuffer: 1 << 26,
    });
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).rowsSkipped).toBe(0);
    // Garbage after the last member is still an early end, as it is for gzip.
    writeFileSync(padded, Buffer.concat([gzipSync(history(300)), Buffer.from([0, 0, 9])]));
    expect((await native.auditDeadSessions(padded)).skippedByReason).toEqual([
      { reason: "input ended early", code: "ended_early", rows: 1 },
    ]);
  });
});

describe("DeadSessionAuditor string pushes", () => {
  it("joins a surrogate pair split across two pushes", () => {
    const text = history(3).replace(/"c(\d)"/g, '"c$1😀"');
    for (let cut = 1; cut < text.length; cut += 7) {
      const auditor = new native.DeadSessionAuditor();
      auditor.push(text.slice(0, cut)).push(text.slice(cut));
      const companies = auditor.finish().companies.map((c) => c.companyId);
      expect(companies).toEqual(["c0😀", "c1😀", "c2😀"]);
    }
    // A high surrogate that nothing follows is U+FFFD, as TextEncoder makes it.
    const auditor = new native.DeadSessionAuditor();
    auditor.push(row(1).replace('"c1"', '"c1\ud83d')).push("\ud83d");
    expect(auditor.finish().rowsSkipped).toBe(1);
  });

  it("pushRow reads a row whose JSON holds line breaks as one row", () => {
    const auditor = new native.DeadSessionAuditor();
    auditor.pushRow(JSON.stringify(JSON.parse(row(1)), null, 2));
    auditor.pushRow(Buffer.from(JSON.stringify(JSON.parse(row(2)), null, "\r\n")));
    const report = auditor.finish();
    expect({ lines: report.lines, used: report.rowsUsed, skipped: report.rowsSkipped }).toEqual({
      lines: 2,
      used: 2,
      skipped: 0,
    });
  });
});

describe.runIf(linux)("threads the system will not give", () => {
  // As an unprivileged user under a process limit (a container's pids limit does the same):
  // six audits at once, then one asking for 1,024 threads. Before, the process aborted.
  it("means fewer threads and the same report, never an abort", { timeout: 120_000 }, () => {
    // Everything the child needs, in a folder of its own that any user may enter: the checkout
    // may sit where another user cannot (a clone under a 0700 folder, as mktemp -d makes).
    const own = mkdtempSync(path.join(tmpdir(), "pcsc-threads-"));
    chmodSync(own, 0o755);
    try {
      const addon = readdirSync(root).filter((name) => name.endsWith(".node"));
      for (const name of ["index.js", "binding.js", "package.json", ...addon]) {
        copyFileSync(path.join(root, name), path.join(own, name));
        chmodSync(path.join(own, name), 0o644);
      }
      const file = path.join(own, "limited.ndjson");
      writeFileSync(file, history(200_000));
      chmodSync(file, 0o644);
      const script = path.join(own, "limited.mjs");
      writeFileSync(
        script,
        `import { createRequire } from "node:module";
const m = createRequire(import.meta.url)("./index.js");
const reports = await Promise.all([1, 2, 3, 4, 5, 6].map(() => m.auditDeadSessions(${JSON.stringify(file)}, { threads: 64 })));
const one = m.auditDeadSessionsSync(${JSON.stringify(file)}, { threads: 1024 });
console.log(JSON.stringify([...reports, one].map((r) => [r.rowsUsed, r.totals.deadRuns, r.whatIf[2].rotations])));`,
      );
      chmodSync(script, 0o644);
      // As root: as a user of its own, made for this run (the limit counts every thread of the
      // user, so no other process may share it: not another npm test, not `nobody`'s daemons),
      // with 16 threads in all. Otherwise as ourselves, with 16 more than we already run.
      const asRoot = process.getuid?.() === 0;
      const user = `pcsc-t${process.pid}`;
      if (asRoot)
        execFileSync("useradd", ["--system", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", user]);
      try {
        const asUser = asRoot ? ["setpriv", `--reuid=${user}`, `--regid=${user}`, "--clear-groups"] : [];
        const running = asRoot
          ? 0
          : Number(
              spawnSync("sh", ["-c", 'ps -L -u "$(id -u)" --no-headers | wc -l'], { encoding: "utf8" }).stdout.trim(),
            );
        const r = spawnSync("prlimit", [`--nproc=${16 + running}`, ...asUser, process.execPath, script], {
          encoding: "utf8",
          timeout: 110_000,
          cwd: own,
        });
        expect({ status: r.status, signal: r.signal, stderr: r.stderr }).toEqual({
          status: 0,
          signal: null,
          stderr: "",
        });
        const expected = native.auditDeadSessionsSync(readFileSync(file));
        const one = [expected.rowsUsed, expected.totals.deadRuns, expected.whatIf[2].rotations];
        expect(JSON.parse(r.stdout)).toEqual(Array(7).fill(one));
      } finally {
        if (asRoot) spawnSync("userdel", [user]);
      }
    } finally {
      rmSync(own, { recursive: true, force: true });
    }
  });
});

describe("a plain file read in parts", () => {
  // Over 8 MiB, audited on several threads: each thread reads and audits a part of the file of
  // its own. Every kind of line sits somewhere, parts begin inside lines and in either format
  // (plain JSON, COPY text), and the report must be one reader's to the last error's line.
  it("gives the report one reader gives", { timeout: 120_000 }, async () => {
    const lines: string[] = [];
    let bytes = 0;
    for (let i = 0; bytes < 12 << 20; i++) {
      let line = row(i, { pad: "x".repeat((i * 7919) % 3000) });
      if (i % 997 === 0) line = "";
      else if (i % 1009 === 0)
        line = line.slice(0, 40); // malformed
      else if (i % 1013 === 0) line += "\r";
      else if (i % 1019 === 0)
        line = row(i, { pad: "y".repeat(70_000) }); // over the cap below
      // A stretch of COPY text now and then: its lines show the format (`\\"` is COPY's `\"`),
      // and lines valid both ways between them are read as the stretch says.
      else if (Math.floor(i / 700) % 2 === 1) {
        line = i % 3 === 0 ? row(i, { session_id_after: "x\\ny" }) : row(i, { e: '"' });
        line = line.replaceAll("\\", "\\\\");
      } else if (i % 3 === 0) line = row(i, { session_id_after: "x\\ny" }).replaceAll("\\", "\\\\");
      // Plain JSON only (`\"`): the stretch is plain again.
      else if (i % 3 === 1) line = row(i, { e: '"' });
      lines.push(line);
      bytes += line.length + 1;
    }
    const file = path.join(dir, "parts.ndjson");
    writeFileSync(file, lines.join("\n")); // no line break at the end
    const options = { maxLineBytes: 65_536 };
    const comparable = ({ elapsedMs, ...rest }: { elapsedMs: number }) => rest;
    const one = comparable(await native.auditDeadSessions(file, { ...options, threads: 1 }));
    // The streaming auditor reads it in order, as one reader does.
    const streamed = new native.DeadSessionAuditor({ ...options, threads: 1 });
    streamed.push(readFileSync(file));
    expect(comparable(streamed.finish())).toEqual(one);
    expect(one.lines).toBe(lines.length);
    expect(one.skippedByReason.map((r: { reason: string }) => r.reason).sort()).toEqual([
      "line too long",
      "malformed JSON",
    ]);
    // Both readings of the lines valid both ways are among the sessions: the format was followed.
    const sessions = new Set(one.sessions.map((s: { sessionId: string }) => s.sessionId));
    // Plain JSON reads x, two backslashes, n, y; COPY text x, a backslash, n, y.
    expect([sessions.has("x\\\\ny"), sessions.has("x\\ny")]).toEqual([true, true]);
    for (const threads of [2, 3, 7]) {
      expect(comparable(await native.auditDeadSessions(file, { ...options, threads }))).toEqual(one);
      expect(comparable(native.auditDeadSessionsSync(file, { ...options, threads }))).toEqual(one);
    }
  });
});

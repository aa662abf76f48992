// The audit at fleet shape, side by side in one run: the same number of runs, with the same
// bytes a row, written twice, once as long sessions (300 runs each) and once as a fleet keeps
// them (a session per task: 2 runs each). For each way a user audits (the sync and async calls,
// the streaming auditor, the CLI's text report and its --json), the short file's time over the
// long file's, best of 3, and the CLI's peak memory per session. `npm run bench:audit --
// --sessions` runs it (`--sessions-runs=N` sets the runs, 300,000 by default).
import { spawnSync } from "node:child_process";
import { createReadStream, createWriteStream, existsSync, mkdirSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { historyLines } from "./history.mjs";

const here = path.dirname(fileURLToPath(import.meta.url));
const core = createRequire(import.meta.url)("../index.js");
const cli = path.join(here, "..", "bin", "paperclip-session-audit.mjs");

/** `runs` runs in sessions of `perSession` runs (25 agents a company, 3 companies). */
async function write(file, runs, perSession) {
  const agents = 75;
  const sessionsPerAgent = Math.ceil(runs / agents / perSession);
  const out = createWriteStream(file);
  let written = 0;
  for (const line of historyLines({
    seed: 11,
    clean: true,
    companies: 3,
    agentsPerCompany: 25,
    sessionsPerAgent,
    runsPerSession: perSession,
  })) {
    if (written++ >= runs) break;
    if (!out.write(`${line}\n`)) await new Promise((resolve) => out.once("drain", resolve));
  }
  await new Promise((resolve) => out.end(resolve));
}

async function best(run) {
  let fastest = Infinity;
  let answer;
  for (let i = 0; i < 3; i++) {
    globalThis.gc?.();
    const started = performance.now();
    answer = await run();
    fastest = Math.min(fastest, performance.now() - started);
  }
  return { ms: fastest, answer };
}

/** Pushes the file to a streaming auditor a megabyte at a time. */
async function streamed(file) {
  const auditor = new core.DeadSessionAuditor();
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) auditor.push(chunk);
  return auditor.finish();
}

/** The CLI as a user runs it: wall time, and its peak RSS (GNU time's %M, in KiB). */
function cliRun(file, args) {
  const started = performance.now();
  const r = spawnSync("/usr/bin/time", ["-f", "%M", process.execPath, cli, file, ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 30,
  });
  const ms = performance.now() - started;
  if (r.status !== 0) throw new Error(`the CLI failed: ${r.stderr}`);
  return { ms, peakKiB: Number(r.stderr.trim().split("\n").at(-1)) };
}

function bestCli(file, args) {
  const runs = [0, 1, 2].map(() => cliRun(file, args));
  return { ms: Math.min(...runs.map((r) => r.ms)), peakKiB: Math.min(...runs.map((r) => r.peakKiB)) };
}

export async function sessionsAxis({ runs = 300_000 } = {}) {
  const dir = path.join(here, "data");
  mkdirSync(dir, { recursive: true });
  const long = path.join(dir, `sessions-axis-${runs}-300.ndjson`);
  const short = path.join(dir, `sessions-axis-${runs}-2.ndjson`);
  if (!existsSync(long)) await write(long, runs, 300);
  if (!existsSync(short)) await write(short, runs, 2);
  console.log(
    `\nsessions axis: ${runs.toLocaleString("en-US")} runs, ${(statSync(long).size / 1e6).toFixed(0)} MB and ${(statSync(short).size / 1e6).toFixed(0)} MB, best of 3`,
  );
  const ways = [
    ["auditDeadSessionsSync(file)", (f) => best(() => core.auditDeadSessionsSync(f)), 1.5],
    ["auditDeadSessions(file)", (f) => best(() => core.auditDeadSessions(f)), 1.5],
    ["DeadSessionAuditor (pushed 1 MB at a time)", (f) => best(() => streamed(f)), 1.5],
    ["CLI text report (--top 20)", (f) => bestCli(f, ["--no-progress"]), 1.5],
    ["CLI --json (every session)", (f) => bestCli(f, ["--json"]), 3],
  ];
  const results = [];
  for (const [name, run, goal] of ways) {
    const a = await run(long);
    const b = await run(short);
    const ratio = b.ms / a.ms;
    const sessions = [a, b].map((x) => x.answer?.totals.sessions);
    results.push({ name, longMs: a.ms, shortMs: b.ms, ratio, goal, peakKiB: [a.peakKiB, b.peakKiB] });
    const memory = a.peakKiB ? `  peak ${(a.peakKiB / 1024).toFixed(0)} / ${(b.peakKiB / 1024).toFixed(0)} MiB` : "";
    console.log(
      `${name.padEnd(44)} ${(a.ms / 1000).toFixed(2).padStart(6)} s  ${(b.ms / 1000).toFixed(2).padStart(6)} s  ${ratio.toFixed(2)}x (goal ≤ ${goal}: ${ratio <= goal ? "met" : "MISS"})${memory}${sessions[0] ? `  sessions ${sessions[0]} / ${sessions[1]}` : ""}`,
    );
  }
  const text = results.find((r) => r.name.startsWith("CLI text"));
  const shortSessions = core.auditDeadSessionsSync(short, { topSessions: 0 }).totals.sessions;
  const longSessions = core.auditDeadSessionsSync(long, { topSessions: 0 }).totals.sessions;
  const perSession = ((text.peakKiB[1] - text.peakKiB[0]) * 1024) / Math.max(1, shortSessions - longSessions);
  console.log(
    `CLI text report: ${perSession.toFixed(0)} bytes of peak memory per extra session (${longSessions.toLocaleString("en-US")} → ${shortSessions.toLocaleString("en-US")} sessions)`,
  );
  return results;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const runs = Number(process.argv.find((a) => a.startsWith("--sessions-runs="))?.slice(16) ?? 300_000);
  await sessionsAxis({ runs });
}

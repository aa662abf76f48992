// `npm run bench`: the native exports and our TypeScript reference side by side, in one
// process, on production-shaped inputs; ns per call (median and spread), the ratio native ÷
// TypeScript, the heartbeat's own read of the same 201 rows from PGlite, the budget (flat in
// rows; evaluate and explain ≤ 0.5 % of that read, measured in this run), and RSS growth over
// 10^6 calls. An absolute per-call line is not part of the budget: what a call may cost is set
// by the read it follows, on the same machine, in the same run.
import { writeFileSync } from "node:fs";
import { measure } from "mitata";
import { createRequire } from "node:module";
import * as reference from "../__test__/reference.ts";
import type * as Core from "../index.js";
import { agents, breakerInput, evaluateInput } from "./fixtures.ts";
import { readsOf } from "../__test__/reads.ts";
import { PGlite } from "@electric-sql/pglite";
import { schema } from "../examples/heartbeat/schema.ts";
import { selectRecentRuns } from "../examples/heartbeat/session-compaction.ts";

const native: typeof Core = createRequire(import.meta.url)("../index.js");

type Stats = { p50: number; p25: number; p75: number; min: number; max: number };
type Row = { name: string; native: Stats; typescript: Stats | null; ratio: number | null };

const round = (n: number) => Math.round(n * 10) / 10;
const stats = (s: Stats): Stats => ({
  p50: round(s.p50),
  p25: round(s.p25),
  p75: round(s.p75),
  min: round(s.min),
  max: round(s.max),
});

async function pair(name: string, nativeCall: () => unknown, tsCall: (() => unknown) | null): Promise<Row> {
  const n = stats(await measure(nativeCall));
  const t = tsCall ? stats(await measure(tsCall)) : null;
  const row = { name, native: n, typescript: t, ratio: t ? round(n.p50 / t.p50) : null };
  const spread = (s: Stats) => `${s.p50.toFixed(0).padStart(6)} ns [${s.p25.toFixed(0)}–${s.p75.toFixed(0)}]`;
  console.log(
    `${name.padEnd(34)} native ${spread(n).padEnd(26)} ts ${t ? spread(t).padEnd(26) : "-".padEnd(26)} native/ts ${row.ratio ?? "-"}`,
  );
  return row;
}

const inputs = {
  b3: breakerInput(3, 3),
  b4: breakerInput(4, 3),
  b201: breakerInput(201, 3),
  bLive: breakerInput(4, 0),
  bLive201: breakerInput(201, 0),
  e4keep: evaluateInput(4, false),
  e201keep: evaluateInput(201, false),
  e4rotate: evaluateInput(4, true),
  e201rotate: evaluateInput(201, true),
};

// Same answers before timing anything: a benchmark of a wrong answer is worthless.
for (const [k, v] of Object.entries(inputs)) {
  const call = k.startsWith("b") ? "detectDeadReusedSessionCircuitBreaker" : "evaluateSessionCompaction";
  const a = JSON.stringify((native as never as Record<string, (x: unknown) => unknown>)[call](v));
  const b = JSON.stringify((reference as never as Record<string, (x: unknown) => unknown>)[call](v));
  if (a !== b) throw new Error(`native and reference disagree on ${k}: ${a} vs ${b}`);
  if (k.startsWith("e")) {
    const explained = JSON.stringify(native.explainSessionCompaction(v as never));
    if (explained !== JSON.stringify(reference.explainSessionCompaction(v)))
      throw new Error(`explain: native and reference disagree on ${k}`);
  }
}

console.log(`Node ${process.version}, ${process.arch}; ns per call, median [p25–p75]\n`);
const rows: Row[] = [];
rows.push(
  await pair(
    "breaker, 3 runs (3 dead)",
    () => native.detectDeadReusedSessionCircuitBreaker(inputs.b3),
    () => reference.detectDeadReusedSessionCircuitBreaker(inputs.b3),
  ),
);
rows.push(
  await pair(
    "breaker, 4 runs (3 dead)",
    () => native.detectDeadReusedSessionCircuitBreaker(inputs.b4),
    () => reference.detectDeadReusedSessionCircuitBreaker(inputs.b4),
  ),
);
rows.push(
  await pair(
    "breaker, 201 runs (3 dead)",
    () => native.detectDeadReusedSessionCircuitBreaker(inputs.b201),
    () => reference.detectDeadReusedSessionCircuitBreaker(inputs.b201),
  ),
);
rows.push(
  await pair(
    "breaker, 4 runs (first live)",
    () => native.detectDeadReusedSessionCircuitBreaker(inputs.bLive),
    () => reference.detectDeadReusedSessionCircuitBreaker(inputs.bLive),
  ),
);
rows.push(
  await pair(
    "breaker, 201 runs (first live)",
    () => native.detectDeadReusedSessionCircuitBreaker(inputs.bLive201),
    () => reference.detectDeadReusedSessionCircuitBreaker(inputs.bLive201),
  ),
);
rows.push(
  await pair(
    "evaluate, 4 rows, keep",
    () => native.evaluateSessionCompaction(inputs.e4keep),
    () => reference.evaluateSessionCompaction(inputs.e4keep),
  ),
);
rows.push(
  await pair(
    "evaluate, 201 rows, keep",
    () => native.evaluateSessionCompaction(inputs.e201keep),
    () => reference.evaluateSessionCompaction(inputs.e201keep),
  ),
);
rows.push(
  await pair(
    "evaluate, 4 rows, rotate",
    () => native.evaluateSessionCompaction(inputs.e4rotate),
    () => reference.evaluateSessionCompaction(inputs.e4rotate),
  ),
);
rows.push(
  await pair(
    "evaluate, 201 rows, rotate",
    () => native.evaluateSessionCompaction(inputs.e201rotate),
    () => reference.evaluateSessionCompaction(inputs.e201rotate),
  ),
);
rows.push(
  await pair(
    "explain, 201 rows, keep",
    () => native.explainSessionCompaction(inputs.e201keep),
    () => reference.explainSessionCompaction(inputs.e201keep),
  ),
);
rows.push(
  await pair(
    "explain, 4 rows, rotate",
    () => native.explainSessionCompaction(inputs.e4rotate),
    () => reference.explainSessionCompaction(inputs.e4rotate),
  ),
);
rows.push(
  await pair(
    "explain, 201 rows, rotate",
    () => native.explainSessionCompaction(inputs.e201rotate),
    () => reference.explainSessionCompaction(inputs.e201rotate),
  ),
);
const rc = agents.thresholded.runtimeConfig;
rows.push(
  await pair(
    "resolveSessionCompactionPolicy",
    () => native.resolveSessionCompactionPolicy("codex_local", rc),
    () => reference.resolveSessionCompactionPolicy("codex_local", rc),
  ),
);
rows.push(
  await pair(
    "parseSessionCompactionPolicy",
    () => native.parseSessionCompactionPolicy(agents.thresholded),
    () => reference.parseSessionCompactionPolicy(agents.thresholded),
  ),
);
rows.push(
  await pair(
    "planSessionCompaction",
    () => native.planSessionCompaction(agents.thresholded),
    () => reference.planSessionCompaction(agents.thresholded),
  ),
);
const limits = { maxSessionRuns: 0, maxRawInputTokens: 0, maxSessionAgeHours: 72 };
rows.push(
  await pair(
    "hasSessionCompactionThresholds",
    () => native.hasSessionCompactionThresholds(limits),
    () => reference.hasSessionCompactionThresholds(limits),
  ),
);

const byName = (name: string) => rows.find((r) => r.name === name)!;

// The heartbeat's own read of the rows it decides on: the service's company-scoped select of
// the session's 201 newest runs, result strings cut at 500, from PGlite (in process, so this
// is the cheapest such read there is; a networked Postgres adds a round trip).
const pglite = new PGlite();
await pglite.exec(schema);
const db = {
  query: async <Row,>(sql: string, params?: unknown[]) => ({ rows: (await pglite.query<Row>(sql, params)).rows }),
};
await db.query(`insert into companies values ('company-1', 'Acme')`);
await db.query(
  `insert into agents (id, company_id, name, adapter_type, runtime_config) values ('agent-2', 'company-1', 'Engineer', 'codex_local', '{}')`,
);
for (const r of inputs.e201rotate.runs) {
  const result = r.resultSummary
    ? { summary: r.resultSummary + " (more)", result: r.resultResult, message: r.resultMessage }
    : { error: r.resultError };
  await db.query(
    `insert into heartbeat_runs (id, company_id, agent_id, session_id_after, created_at, usage_json, result_json, error, liveness_state) values ($1, 'company-1', 'agent-2', 'sess-1', $2, $3, $4, $5, $6)`,
    [r.id, r.createdAt, JSON.stringify(r.usageJson), JSON.stringify(result), r.error, r.livenessState],
  );
}
const agentRow = {
  id: "agent-2",
  companyId: "company-1",
  name: "Engineer",
  adapterType: "codex_local",
  runtimeConfig: {},
};
if ((await selectRecentRuns(db, agentRow, "sess-1", 201)).length !== 201)
  throw new Error("the PGlite read did not return 201 rows");
const readTimes: number[] = [];
for (let i = 0; i < 200; i++) {
  const t0 = performance.now();
  await selectRecentRuns(db, agentRow, "sess-1", 201);
  readTimes.push((performance.now() - t0) * 1e6);
}
await pglite.close();
readTimes.sort((a, b) => a - b);
const readP50 = readTimes[readTimes.length >> 1];
console.log(
  `\nPGlite: select the session's 201 newest runs (company-scoped, results cut at 500): median ${(readP50 / 1e6).toFixed(2)} ms`,
);

const share = (name: string) => (100 * byName(name).native.p50) / readP50;
const targets = [
  {
    target: "breaker 201 runs ≤ 1.25 × 4 runs",
    value: byName("breaker, 201 runs (3 dead)").native.p50 / byName("breaker, 4 runs (3 dead)").native.p50,
    limit: 1.25,
  },
  {
    target: "breaker 201 runs (first live) ≤ 1.25 × 4 runs",
    value: byName("breaker, 201 runs (first live)").native.p50 / byName("breaker, 4 runs (first live)").native.p50,
    limit: 1.25,
  },
  {
    target: "evaluate keep 201 rows ≤ 1.25 × 4 rows",
    value: byName("evaluate, 201 rows, keep").native.p50 / byName("evaluate, 4 rows, keep").native.p50,
    limit: 1.25,
  },
  {
    target: "evaluate rotate 201 rows ≤ 1.25 × 4 rows",
    value: byName("evaluate, 201 rows, rotate").native.p50 / byName("evaluate, 4 rows, rotate").native.p50,
    limit: 1.25,
  },
  {
    target: "explain rotate 201 rows ≤ 1.25 × 4 rows",
    value: byName("explain, 201 rows, rotate").native.p50 / byName("explain, 4 rows, rotate").native.p50,
    limit: 1.25,
  },
  {
    target: "evaluate 201 rows (keep), % of the PGlite read ≤ 0.5",
    value: share("evaluate, 201 rows, keep"),
    limit: 0.5,
  },
  {
    target: "evaluate 201 rows (rotate), % of the PGlite read ≤ 0.5",
    value: share("evaluate, 201 rows, rotate"),
    limit: 0.5,
  },
  {
    target: "explain 201 rows (rotate), % of the PGlite read ≤ 0.5",
    value: share("explain, 201 rows, rotate"),
    limit: 0.5,
  },
].map((t) => ({ ...t, value: Number(t.value.toFixed(3)), met: t.value <= t.limit }));

// What a call costs per property it must read: the contract fixes the reads (the addon and the
// reference read the same ones, in the same order), Node-API fixes the price of each.
type ReadsRow = { name: string; reads: number; nsPerRead: number };
const readRows: ReadsRow[] = [];
const readCases: Array<[string, (x: never) => unknown, (x: never) => unknown, unknown]> = [
  [
    "breaker, 4 runs (3 dead)",
    (x) => native.detectDeadReusedSessionCircuitBreaker(x),
    (x) => reference.detectDeadReusedSessionCircuitBreaker(x),
    inputs.b4,
  ],
  [
    "breaker, 4 runs (first live)",
    (x) => native.detectDeadReusedSessionCircuitBreaker(x),
    (x) => reference.detectDeadReusedSessionCircuitBreaker(x),
    inputs.bLive,
  ],
  [
    "evaluate, 201 rows, keep",
    (x) => native.evaluateSessionCompaction(x),
    (x) => reference.evaluateSessionCompaction(x),
    inputs.e201keep,
  ],
  [
    "evaluate, 201 rows, rotate",
    (x) => native.evaluateSessionCompaction(x),
    (x) => reference.evaluateSessionCompaction(x),
    inputs.e201rotate,
  ],
  [
    "explain, 201 rows, keep",
    (x) => native.explainSessionCompaction(x),
    (x) => reference.explainSessionCompaction(x),
    inputs.e201keep,
  ],
  [
    "explain, 201 rows, rotate",
    (x) => native.explainSessionCompaction(x),
    (x) => reference.explainSessionCompaction(x),
    inputs.e201rotate,
  ],
  [
    "resolveSessionCompactionPolicy",
    (x: [string, unknown]) => native.resolveSessionCompactionPolicy(x[0], x[1]),
    (x: [string, unknown]) => reference.resolveSessionCompactionPolicy(x[0], x[1]),
    ["codex_local", rc],
  ],
  [
    "parseSessionCompactionPolicy",
    (x) => native.parseSessionCompactionPolicy(x),
    (x) => reference.parseSessionCompactionPolicy(x),
    agents.thresholded,
  ],
  [
    "planSessionCompaction",
    (x) => native.planSessionCompaction(x),
    (x) => reference.planSessionCompaction(x),
    agents.thresholded,
  ],
  [
    "hasSessionCompactionThresholds",
    (x) => native.hasSessionCompactionThresholds(x),
    (x) => reference.hasSessionCompactionThresholds(x),
    limits,
  ],
];
console.log("\nProperty reads per call (the same for the addon and the reference) and native ns per read:");
for (const [name, nativeCall, referenceCall, input] of readCases) {
  const nativeReads = readsOf(nativeCall, input);
  if (JSON.stringify(nativeReads) !== JSON.stringify(readsOf(referenceCall, input)))
    throw new Error(`native and reference read differently on ${name}`);
  // The tuple's own two element reads are the harness's, not the call's.
  const reads = nativeReads.filter((path) => !/^input\[[01]\]$/.test(path)).length;
  const nsPerRead = round(byName(name).native.p50 / reads);
  readRows.push({ name, reads, nsPerRead });
  console.log(`  ${name.padEnd(34)} ${String(reads).padStart(3)} reads   ${nsPerRead} ns per read`);
}

console.log("\nThe budget (figures from this run):");
for (const t of targets) console.log(`  ${t.met ? "met " : "MISS"}  ${t.target.padEnd(58)} ${t.value}`);

// Memory: RSS growth over 10^6 calls of each export, after a full GC before and after.
const gc = (globalThis as { gc?: () => void }).gc;
const memory: Array<{ export: string; rssGrowthMiB: number }> = [];
if (gc) {
  const calls: Array<[string, () => unknown]> = [
    ["detectDeadReusedSessionCircuitBreaker", () => native.detectDeadReusedSessionCircuitBreaker(inputs.b4)],
    ["evaluateSessionCompaction", () => native.evaluateSessionCompaction(inputs.e201rotate)],
    ["explainSessionCompaction", () => native.explainSessionCompaction(inputs.e201rotate)],
    ["resolveSessionCompactionPolicy", () => native.resolveSessionCompactionPolicy("codex_local", rc)],
    ["parseSessionCompactionPolicy", () => native.parseSessionCompactionPolicy(agents.thresholded)],
    ["hasSessionCompactionThresholds", () => native.hasSessionCompactionThresholds(limits)],
    ["planSessionCompaction", () => native.planSessionCompaction(agents.thresholded)],
  ];
  console.log("\nRSS growth over 10^6 calls (after global.gc()), limit 32 MiB:");
  for (const [name, call] of calls) {
    gc();
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 1_000_000; i++) call();
    gc();
    const growth = round((process.memoryUsage().rss - before) / 2 ** 20);
    memory.push({ export: name, rssGrowthMiB: growth });
    console.log(`  ${growth <= 32 ? "met " : "MISS"}  ${name.padEnd(40)} ${growth} MiB`);
  }
} else {
  console.log("\n(run with --expose-gc for the memory figures)");
}

const out = new URL("./results.json", import.meta.url);
writeFileSync(
  out,
  JSON.stringify(
    {
      node: process.version,
      arch: process.arch,
      date: new Date().toISOString(),
      rows,
      pgliteReadNs: round(readP50),
      reads: readRows,
      targets,
      memory,
    },
    null,
    2,
  ),
);
if (targets.some((t) => !t.met)) process.exitCode = 1;
console.log(`\nwrote ${out.pathname}`);

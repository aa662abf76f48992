// `npm run demo`: an embedded Postgres (PGlite, or DATABASE_URL) seeded with a small fleet of
// agents and their heartbeat runs; the heartbeat's session-compaction step runs for each agent,
// the native core decides, and the decisions print as a table.
import { openDatabase } from "../examples/heartbeat/db";
import { HOUR, runs, seedCompany } from "../examples/heartbeat/fleet";
import {
  loadAgent,
  runSessionCompactionStep,
  type SessionCompactionStep,
} from "../examples/heartbeat/session-compaction";
import type { SessionCompactionExplanation } from "paperclip-session-compaction";

const now = new Date("2026-06-06T12:00:00Z");
const ago = (hours: number) => new Date(now.getTime() - hours * HOUR);

const fleet = [
  {
    id: "cto",
    name: "CTO",
    adapterType: "claude_local",
    sessionId: "claude-7f3a",
    runs: runs("cto", "claude-7f3a", 60, now, { everyHours: 2, summary: "Reviewed PR #41" }),
  },
  {
    id: "eng-1",
    name: "Backend engineer",
    adapterType: "codex_local",
    sessionId: "codex-9b21",
    issue: {
      id: "PAP-112",
      body: "Migrating the billing worker to the new queue. Retry tests still fail on the dead-letter path; next: fix the backoff.",
    },
    runs: [
      ...runs("eng-1-dead", "codex-9b21", 3, now, { dead: true }),
      ...runs("eng-1", "codex-9b21", 12, ago(3), { summary: "Moved the worker to the queue" }),
    ],
  },
  {
    id: "eng-2",
    name: "Frontend engineer",
    adapterType: "cursor",
    sessionId: "cursor-51c0",
    runs: runs("eng-2", "cursor-51c0", 9, now, { summary: "Fixed the login form" }),
  },
  {
    id: "research",
    name: "Researcher",
    adapterType: "gemini_local",
    sessionId: "gem-2c44",
    runs: [
      ...runs("research-new", "gem-2c44", 1, now, { inputTokens: 2_412_337, summary: "Summarised 40 papers" }),
      ...runs("research", "gem-2c44", 6, ago(1)),
    ],
  },
  {
    id: "ops",
    name: "Ops",
    adapterType: "opencode_local",
    runtimeConfig: { heartbeat: { sessionCompaction: { maxSessionAgeHours: "24" } } },
    sessionId: "oc-77aa",
    runs: runs("ops", "oc-77aa", 12, now, { everyHours: 3 }),
  },
  {
    id: "qa",
    name: "QA",
    adapterType: "pi_local",
    runtimeConfig: { sessionCompaction: { maxSessionRuns: 20 } },
    sessionId: "pi-0c3e",
    runs: runs("qa", "pi-0c3e", 26, now),
  },
  {
    id: "scribe",
    name: "Scribe",
    adapterType: "process",
    sessionId: "proc-1",
    runs: runs("scribe", "proc-1", 300, now),
  },
  { id: "intern", name: "New hire", adapterType: "hermes_local", sessionId: null, runs: [] },
];

const compact = (n: number) =>
  n >= 1e6 ? `${+(n / 1e6).toFixed(1)}M` : n >= 1e4 ? `${Math.round(n / 1e3)}k` : `${+n.toFixed(1)}`;

/** The limit the session is closest to, as "what value/limit (share)": its headroom. */
function headroom({ measurements }: SessionCompactionExplanation): string {
  const labels = {
    sessionRuns: ["runs", ""],
    rawInputTokens: ["raw input", " tokens"],
    sessionAgeHours: ["age", " h"],
    deadStreak: ["dead streak", ""],
  } as const;
  const readings = (Object.keys(labels) as Array<keyof typeof labels>)
    .map((name) => ({ name, ...measurements[name] }))
    .filter((m): m is typeof m & { value: number } => m.value !== null && m.limit > 0)
    .map((m) => ({ ...m, share: m.value / m.limit }));
  if (readings.length === 0) return "-";
  const closest = readings.reduce((a, b) => (b.share > a.share ? b : a));
  const [label, unit] = labels[closest.name];
  return `${label} ${compact(closest.value)}/${compact(closest.limit)}${unit} (${Math.round(closest.share * 100)}%)`;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) =>
    r
      .map((cell, c) => cell.padEnd(widths[c]))
      .join("  ")
      .trimEnd();
  return [line(rows[0]), line(widths.map((w) => "-".repeat(w))), ...rows.slice(1).map(line)].join("\n");
}

async function main() {
  const db = await openDatabase();
  try {
    await seedCompany(db, { id: "acme", name: "Acme Robotics" }, fleet);
    const steps: SessionCompactionStep[] = [];
    for (const a of fleet) {
      const agent = await loadAgent(db, "acme", a.id);
      if (!agent) throw new Error(`agent ${a.id} was not seeded`);
      steps.push(
        await runSessionCompactionStep(db, agent, {
          issueId: a.issue?.id ?? null,
          continuationSummaryBody: a.issue?.body ?? null,
        }),
      );
    }
    console.log(`Session compaction for Acme Robotics (${db.kind}), decided natively:\n`);
    console.log(
      table([
        ["agent", "adapter", "session", "runs read", "closest limit", "decision", "reason"],
        ...steps.map((s) => [
          s.agent.name,
          s.agent.adapterType ?? "-",
          s.sessionId ?? "-",
          String(s.runsRead),
          headroom(s.explanation),
          s.decision.rotate ? "ROTATE" : "resume",
          s.decision.reason ?? "",
        ]),
      ]),
    );
    const rotated =
      steps.find((s) => s.decision.rotate && s.decision.reason?.includes("consecutive")) ??
      steps.find((s) => s.decision.rotate);
    if (rotated) {
      console.log(
        `\nHandoff note for ${rotated.agent.name}'s next session (rotated from ${rotated.sessionId}, last run ${rotated.decision.previousRunId}):\n`,
      );
      console.log(rotated.decision.handoffMarkdown!.replace(/^/gm, "    "));
    }
  } finally {
    await db.close();
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});

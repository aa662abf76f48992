// `npm run demo`: a few example sessions, as the heartbeat service would see them, and the
// native core's decision for each: resume the session, or rotate it with a handoff note.
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const core = require("../index.js");

const HOUR = 3_600_000;
const now = Date.parse("2026-06-06T12:00:00Z");
const usage = (session, tokens) => ({
  persistedSessionId: session,
  sessionReused: true,
  rawInputTokens: tokens,
  inputTokens: tokens,
  rawOutputTokens: tokens ? 900 : 0,
  outputTokens: tokens ? 900 : 0,
});
const run = (i, session, { failed = false, tokens = 20_000, summary = null, error = null } = {}) => ({
  id: `run-${session}-${i}`,
  createdAt: new Date(now - i * HOUR),
  usageJson: usage(session, failed ? 0 : tokens),
  error,
  livenessState: failed ? "failed" : "advanced",
  resultSummary: summary,
});

const sessions = [
  {
    title: "healthy Claude session",
    agent: { name: "CTO", adapterType: "claude_local", runtimeConfig: {} },
    sessionId: "claude-7f3a",
    runs: [0, 1, 2, 3].map((i) => run(i, "claude-7f3a", { summary: i === 0 ? "Reviewed PR #41" : null })),
  },
  {
    title: "dead session: resumed, failed, no tokens, 3 times",
    agent: { name: "Engineer", adapterType: "codex_local", runtimeConfig: {} },
    sessionId: "codex-dead",
    issueId: "PAP-112",
    continuationSummaryBody: "Migrating the billing worker to the new queue; tests for retries still failing.",
    runs: [0, 1, 2].map((i) => run(i, "codex-dead", { failed: true, error: "adapter exited with code 1" })).concat([run(3, "codex-dead")]),
  },
  {
    title: "too much raw input in the latest run",
    agent: { name: "Researcher", adapterType: "gemini_local", runtimeConfig: {} },
    sessionId: "gem-2c",
    issueId: "PAP-98",
    runs: [run(0, "gem-2c", { tokens: 2_412_337, summary: "Summarised 40 papers" }), run(1, "gem-2c")],
  },
  {
    title: "session older than its agent's limit",
    agent: { name: "Ops", adapterType: "cursor", runtimeConfig: { heartbeat: { sessionCompaction: { maxSessionAgeHours: "24" } } } },
    sessionId: "cur-91",
    runs: [run(0, "cur-91"), run(30, "cur-91")],
  },
  {
    title: "unknown adapter: thresholds off",
    agent: { name: "Scribe", adapterType: "process", runtimeConfig: {} },
    sessionId: "proc-1",
    runs: Array.from({ length: 5 }, (_, i) => run(i, "proc-1")),
  },
];

let rotated = null;
console.log("agent       adapter        session       decision  reason");
console.log("----------  -------------  ------------  --------  ------");
for (const s of sessions) {
  const plan = core.planSessionCompaction(s.agent);
  const decision = core.evaluateSessionCompaction({
    agent: s.agent,
    sessionId: s.sessionId,
    issueId: s.issueId ?? null,
    continuationSummaryBody: s.continuationSummaryBody ?? null,
    runs: s.runs.slice(0, plan.fetchLimit),
    oldestRun: plan.needsOldestRun ? s.runs.at(-1) : null,
  });
  const verdict = decision.rotate ? "ROTATE" : "resume";
  console.log(`${s.agent.name.padEnd(10)}  ${s.agent.adapterType.padEnd(13)}  ${s.sessionId.padEnd(12)}  ${verdict.padEnd(8)}  ${decision.reason ?? `(${s.title})`}`);
  if (decision.rotate && s.continuationSummaryBody && !rotated) rotated = decision;
}
if (rotated) {
  console.log(`\nHandoff note for the rotated session (previous run ${rotated.previousRunId}):\n`);
  console.log(rotated.handoffMarkdown.replace(/^/gm, "  "));
}

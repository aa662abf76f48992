// 10^5 calls of each export per round, RSS after a full GC at each round's end; prints the
// readings as JSON. Run with --expose-gc.
import { createRequire } from "node:module";

const core = createRequire(import.meta.url)("../../index.js");
const dead = (id) => ({
  id,
  createdAt: new Date(Date.UTC(2026, 5, 6)),
  error: "e".repeat(300),
  livenessState: "failed",
  usageJson: { persistedSessionId: "s", sessionReused: true, inputTokens: 0 },
});
const agent = {
  adapterType: "gemini_local",
  runtimeConfig: { heartbeat: { sessionCompaction: { maxSessionRuns: "0x20", enabled: " yes " } } },
};
const evaluateInput = {
  agent,
  sessionId: "s\ud800",
  issueId: "PAP-1",
  continuationSummaryBody: "b".repeat(2000),
  runs: [dead("c"), dead("b"), dead("a"), dead("z")],
  oldestRun: { id: "o", createdAt: "2026-06-01T00:00:00" },
};
const calls = [
  () => core.detectDeadReusedSessionCircuitBreaker({ sessionId: "s", runs: evaluateInput.runs }),
  () => core.evaluateSessionCompaction(evaluateInput),
  () => core.resolveSessionCompactionPolicy("cursor", agent.runtimeConfig),
  () => core.parseSessionCompactionPolicy(agent),
  () => core.hasSessionCompactionThresholds({ maxSessionRuns: 1, maxRawInputTokens: 0, maxSessionAgeHours: 0 }),
  () => core.planSessionCompaction(agent),
  () => {
    try {
      core.detectDeadReusedSessionCircuitBreaker({ sessionId: "s", runs: [null] });
    } catch {}
  },
];
const readings = [];
for (let round = 0; round < 8; round++) {
  for (const call of calls) for (let i = 0; i < 100_000; i++) call();
  globalThis.gc();
  readings.push(process.memoryUsage().rss);
}
console.log(JSON.stringify(readings));

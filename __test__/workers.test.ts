// The addon in several worker_threads at once, and after a worker is terminated mid-work.
import path from "node:path";
import { Worker } from "node:worker_threads";
import { describe, expect, it } from "vitest";
import { native } from "./native";

const workerFile = path.join(__dirname, "workers", "worker.mjs");
const dead = (id: string) => ({
  id,
  createdAt: Date.UTC(2026, 5, 6),
  error: "x\ud800",
  livenessState: "failed",
  usageJson: { persistedSessionId: "s", sessionReused: true },
});
const inputs = [
  {
    agent: { adapterType: "codex_local", runtimeConfig: {} },
    sessionId: "s",
    issueId: "PAP-1",
    continuationSummaryBody: "😀".repeat(900),
    runs: [dead("c"), dead("b"), dead("a")],
  },
  {
    agent: { adapterType: "cursor", runtimeConfig: { sessionCompaction: { maxSessionRuns: 1 } } },
    sessionId: "t",
    issueId: null,
    runs: [dead("b"), dead("a")],
  },
  { agent: { adapterType: "claude_local", runtimeConfig: null }, sessionId: "u", issueId: null, runs: [dead("a")] },
];

function start(mode: "answer" | "loop") {
  return new Worker(workerFile, { workerData: { inputs, mode } });
}

function message(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    worker.once("message", resolve);
    worker.once("error", reject);
  });
}

describe("worker_threads", () => {
  it("four workers load the addon at once and answer as the main thread does", { timeout: 60_000 }, async () => {
    const expected = inputs.map((i) => native.evaluateSessionCompaction(i as never));
    const workers = Array.from({ length: 4 }, () => start("answer"));
    const results = (await Promise.all(workers.map(message))) as Array<{
      answers: unknown[];
      policy: { policy: { maxSessionRuns: number } };
    }>;
    for (const r of results) {
      expect(r.answers).toEqual(expected);
      expect(r.policy.policy.maxSessionRuns).toBe(16);
    }
    await Promise.all(workers.map((w) => w.terminate()));
  });

  it("survives workers terminated mid-work, and a new worker still answers", { timeout: 60_000 }, async () => {
    for (let i = 0; i < 3; i++) {
      const looping = [start("loop"), start("loop")];
      await Promise.all(looping.map(message));
      await new Promise((r) => setTimeout(r, 50 + i * 40));
      const codes = await Promise.all(looping.map((w) => w.terminate()));
      expect(codes).toEqual([1, 1]);
      expect(native.evaluateSessionCompaction(inputs[1] as never).reason).toBe("session exceeded 1 runs");
    }
    const fresh = start("answer");
    const r = (await message(fresh)) as { answers: unknown[] };
    expect(r.answers).toEqual(inputs.map((i) => native.evaluateSessionCompaction(i as never)));
    await fresh.terminate();
  });
});

// A worker thread that loads the addon on its own and answers, or loops until terminated.
import { createRequire } from "node:module";
import { parentPort, workerData } from "node:worker_threads";

const core = createRequire(import.meta.url)("../../index.js");
const { inputs, mode } = workerData;

if (mode === "loop") {
  parentPort.postMessage("started");
  // Works until terminated from outside, in the middle of a native call or between two.
  for (;;) for (const input of inputs) core.evaluateSessionCompaction(input);
} else {
  const answers = [];
  for (let round = 0; round < 200; round++) {
    for (const input of inputs) {
      const a = core.evaluateSessionCompaction(input);
      if (round === 0) answers.push(a);
    }
  }
  parentPort.postMessage({
    answers,
    policy: core.resolveSessionCompactionPolicy("cursor", { sessionCompaction: { maxSessionRuns: "0x10" } }),
  });
}

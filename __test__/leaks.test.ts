// A test-sized leak check: rounds of 10^5 calls of each export (and of a throwing call) must
// not keep growing the process. The first rounds warm up: JIT, heap sizing, and on Node ≥ 22
// up to ~200 MiB that the engine keeps after errors thrown through Node-API and then stops
// growing (lightningcss, another napi-rs addon, shows the same on Node 24). After them, RSS
// measured after global.gc() must stay flat within a margin far below one leaked byte per call.
import { execFileSync } from "node:child_process";
import path from "node:path";
import { expect, it } from "vitest";

it("RSS does not grow without bound over rounds of 10^5 calls of each export", { timeout: 120_000 }, () => {
  const out = execFileSync(process.execPath, ["--expose-gc", path.join(__dirname, "workers", "leak-child.mjs")], {
    encoding: "utf8",
  });
  const readings: number[] = JSON.parse(out);
  const growthAfterWarmup = (readings.at(-1)! - readings.at(-4)!) / 2 ** 20;
  // 7 × 10^5 calls per round, the last three rounds: a leak of even 16 bytes a call would show as ~32 MiB.
  expect(
    growthAfterWarmup,
    `RSS readings (MiB): ${readings.map((r) => (r / 2 ** 20).toFixed(1)).join(", ")}`,
  ).toBeLessThan(8);
});

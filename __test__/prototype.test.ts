// Nothing the JavaScript realm inherits changes what the addon reads: with numeric and named
// keys planted on Object.prototype (in a child process, so the runner is untouched), every
// export still answers as the reference does, and the audit's options say what they say.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { expect, it } from "vitest";

it("keys planted on Object.prototype change no read", { timeout: 120_000 }, () => {
  const child = path.join(__dirname, "prototype", "child.ts");
  const r = spawnSync(process.execPath, ["--import", "tsx", child], { encoding: "utf8", timeout: 110_000 });
  expect(r.stderr).toBe("");
  const result = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
  expect(result.checked).toBe(2800);
  expect(result.differences).toEqual([]);
  expect(result.audit).toEqual({ companies: ["c1"], streamed: ["c2"], deadRuns: 4 });
});

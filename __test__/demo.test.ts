// `npm run demo` is the README's first command: it must run, as CommonJS under tsx, to its end.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { expect, it } from "vitest";

it("the demo runs the heartbeat step on a small fleet and prints a handoff note", () => {
  const root = path.join(__dirname, "..");
  const r = spawnSync(process.execPath, ["--import", "tsx", path.join(root, "demo", "demo.ts")], {
    cwd: root,
    encoding: "utf8",
    timeout: 110_000,
  });
  expect({ status: r.status, stderr: r.stderr.slice(0, 2000) }).toEqual({ status: 0, stderr: "" });
  expect(r.stdout).toContain("Handoff note");
  expect(r.stdout).toContain("3 consecutive failed zero-token reused runs");
});

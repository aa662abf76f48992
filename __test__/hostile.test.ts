// Inputs that try hard to break the addon, each in a child process so that a crash, an abort
// or a hang fails one test instead of killing the runner. Each must give the reference's
// answer, or the same exception (a TypeError naming the path, or the caller's own error).
import { spawn } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { cases } from "./hostile/cases";

const child = path.join(__dirname, "hostile", "child.ts");

function runCase(
  name: string,
): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(
      process.execPath,
      ["--max-old-space-size=4096", "--stack-size=984", "--import", "tsx", child, name],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d) => (stdout += d));
    p.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => p.kill("SIGKILL"), 110_000);
    p.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

describe("hostile inputs never crash the process and answer as the reference does", () => {
  for (const name of Object.keys(cases)) {
    it(name, { timeout: 120_000 }, async () => {
      const r = await runCase(name);
      expect({ code: r.code, signal: r.signal, stderr: r.stderr.slice(0, 2000) }).toEqual({
        code: 0,
        signal: null,
        stderr: "",
      });
      const result = JSON.parse(r.stdout.trim().split("\n").at(-1)!);
      expect(result, JSON.stringify(result)).toMatchObject({ agree: true });
    });
  }
});

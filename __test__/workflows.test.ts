// The GitHub workflows cannot run here, so they are checked: against the workflow schema
// (action-validator), and for runner images GitHub has retired.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const dir = path.join(root, ".github", "workflows");
const workflows = readdirSync(dir).filter((f) => f.endsWith(".yml"));
const validator = path.join(root, "node_modules", "@action-validator", "cli", "cli.mjs");
const RETIRED = ["macos-12", "macos-13", "ubuntu-20.04", "windows-2019"];

describe("GitHub workflows", () => {
  it("include CI for every push and pull request, on Linux, macOS and Windows", () => {
    const ci = readFileSync(path.join(dir, "ci.yml"), "utf8");
    expect(ci).toMatch(/on:\s*\n\s+push:\s*\n\s+pull_request:/);
    for (const os of ["ubuntu-latest", "macos-latest", "windows-latest"]) expect(ci).toContain(os);
    expect(ci).toMatch(/run: npm ci\n\s+- run: npm test/);
  });

  for (const file of workflows) {
    it(`${file} is valid against the workflow schema`, () => {
      // Throws (and fails the test with the validator's report) on a schema error.
      execFileSync(process.execPath, [validator, path.join(dir, file)], { encoding: "utf8" });
    });

    it(`${file} names no retired runner image`, () => {
      const text = readFileSync(path.join(dir, file), "utf8");
      for (const image of RETIRED) expect(text).not.toMatch(new RegExp(`\\b${image.replace(".", "\\.")}\\b`));
    });
  }
});

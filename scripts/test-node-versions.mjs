#!/usr/bin/env node
// `npm run test:node-versions [-- 22 24]`: runs the vitest suite and the recorded conformance cases against
// the built binary under other Node.js majors, fetched by node-binary.mjs from the npm registry
// and cached in target/node-versions/. Linux and macOS only.
// Any version spec works (`-- 20.0.0`), but vitest 4 itself needs Node 20.19 or later: on
// older ones only the recorded cases run.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { nodeBinary } from "./node-binary.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const specs = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["22", "24"];

function run(command, args, options = {}) {
  const r = spawnSync(command, args, { cwd: root, stdio: "inherit", ...options });
  if (r.error) throw r.error;
  return r.status === 0;
}

if (!run("npm", ["run", "build", "--silent"])) process.exit(1);
const results = [];
for (const spec of specs) {
  const node = nodeBinary(spec);
  const version = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();
  console.log(`\n=== Node ${version}`);
  const env = { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}` };
  const [versionMajor, versionMinor] = version.slice(1).split(".").map(Number);
  const vitestRuns = versionMajor > 20 || (versionMajor === 20 && versionMinor >= 19);
  const vitest = vitestRuns
    ? run(node, [path.join(root, "node_modules", "vitest", "vitest.mjs"), "run"], { env })
      ? "passed"
      : "FAILED"
    : "not run (needs Node >= 20.19)";
  const cases = run(node, [path.join(root, "scripts", "check-cases.mjs")], { env });
  results.push(`${version}: vitest ${vitest}, recorded cases ${cases ? "passed" : "FAILED"}`);
}
console.log(`\n${results.join("\n")}`);
process.exit(results.every((r) => !r.includes("FAILED")) ? 0 : 1);

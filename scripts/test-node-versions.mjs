#!/usr/bin/env node
// `npm run test:node-versions [-- 22 24]`: runs the vitest suite and the shared cases against
// the built binary under other Node.js majors. The Node binaries come from the npm registry
// (the `node-<platform>-<arch>` packages the `node` package installs from), so no access to
// nodejs.org is needed; they are cached in target/node-versions/. Linux and macOS only.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cache = path.join(root, "target", "node-versions");
const majors = process.argv.slice(2).length > 0 ? process.argv.slice(2) : ["22", "24"];

function run(command, args, options = {}) {
  const r = spawnSync(command, args, { cwd: root, stdio: "inherit", ...options });
  if (r.error) throw r.error;
  return r.status === 0;
}

/** The `node` binary of the newest release of `major`, fetched once into the cache. */
function nodeBinary(major) {
  const dir = path.join(cache, major);
  const binary = path.join(dir, "package", "bin", "node");
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const pkg = `node-${process.platform}-${process.arch}@${major}`;
  if (!run("npm", ["pack", pkg, "--silent", "--pack-destination", dir])) throw new Error(`npm pack ${pkg} failed`);
  const tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"));
  if (!tarball || !run("tar", ["xzf", tarball], { cwd: dir })) throw new Error(`could not unpack ${pkg}`);
  return binary;
}

if (!run("npm", ["run", "build", "--silent"])) process.exit(1);
const results = [];
for (const major of majors) {
  const node = nodeBinary(major);
  const version = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();
  console.log(`\n=== Node ${version}`);
  const env = { ...process.env, PATH: `${path.dirname(node)}${path.delimiter}${process.env.PATH}` };
  const vitest = run(node, [path.join(root, "node_modules", "vitest", "vitest.mjs"), "run"], { env });
  const cases = run(node, [path.join(root, "..", "shared", "tools", "check-cases.mjs"), "."], { env });
  results.push(`${version}: vitest ${vitest ? "passed" : "FAILED"}, shared cases ${cases ? "passed" : "FAILED"}`);
}
console.log(`\n${results.join("\n")}`);
process.exit(results.every((r) => !r.includes("FAILED")) ? 0 : 1);

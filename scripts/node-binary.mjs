// Node.js binaries of other majors, from the npm registry's `node-<platform>-<arch>` packages
// (what the `node` package installs from), so no access to nodejs.org is needed. Cached in
// target/node-versions/<spec>/. `node scripts/node-binary.mjs 24` fetches one and prints its path.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const cache = path.join(root, "target", "node-versions");

function run(command, args, options = {}) {
  const r = spawnSync(command, args, { stdio: ["ignore", "ignore", "inherit"], ...options });
  if (r.error) throw r.error;
  return r.status === 0;
}

/**
 * The `node` binary of the newest release matching `spec` (a major or a version), fetched once.
 * It is unpacked beside its final place and renamed into it, so a second test run fetching the
 * same version at the same time never sees half a binary.
 */
export function nodeBinary(spec) {
  const dir = path.join(cache, spec);
  const binary = path.join(dir, "package", "bin", "node");
  if (existsSync(binary)) return binary;
  const work = path.join(cache, `.${spec}-${process.pid}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const pkg = `node-${process.platform}-${process.arch}@${spec}`;
  try {
    if (!run("npm", ["pack", pkg, "--silent", "--pack-destination", work])) throw new Error(`npm pack ${pkg} failed`);
    const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
    if (!tarball || !run("tar", ["xzf", tarball], { cwd: work })) throw new Error(`could not unpack ${pkg}`);
    rmSync(path.join(work, tarball));
    if (!existsSync(binary)) renameSync(work, dir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return binary;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const spec = process.argv[2];
  if (!spec) {
    console.error("usage: node scripts/node-binary.mjs <major or version>");
    process.exit(2);
  }
  console.log(nodeBinary(spec));
}

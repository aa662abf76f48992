// `npm run check:upstream`: is the newest Paperclip release still what we answer?
// 1. @paperclipai/adapter-utils: packs the newest release from the registry (or reads
//    `--package-dir DIR`, an unpacked one), compares its adapter table with
//    data/adapter-table.json's and its resolution with ours on generated inputs.
// 2. @paperclipai/server: installs the newest release (or takes `--server-dir DIR`, an
//    installed one), drives the end-to-end histories through its heartbeatService and names
//    every decision that differs from our core's (upstream-server.mts). `--no-server` skips it.
// Exits 0 when nothing changed, 1 with a report when something did.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import fc from "fast-check";
import { adaptersIn, table } from "../__test__/adapter-table";
import * as A from "../__test__/arbitraries";
import { same } from "../__test__/case-format.mjs";
import { checkServer } from "./upstream-server.mts";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const native = createRequire(import.meta.url)(root);
const { values } = parseArgs({
  options: {
    "package-dir": { type: "string" },
    runs: { type: "string", default: "20000" },
    "server-dir": { type: "string" },
    "no-server": { type: "boolean" },
  },
});
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/** The newest stable release on the registry, packed and unpacked into a temporary folder. */
function packNewest(): { version: string; dir: string } {
  const versions: string[] = JSON.parse(
    execFileSync(npm, ["view", table.package, "versions", "--json"], {
      encoding: "utf8",
      shell: process.platform === "win32",
    }),
  );
  const stable = versions.filter((v) => /^\d+\.\d+\.\d+$/.test(v));
  const version = stable.at(-1);
  if (!version) throw new Error(`no stable release of ${table.package}`);
  const work = mkdtempSync(path.join(tmpdir(), "pcsc-upstream-"));
  execFileSync(npm, ["pack", `${table.package}@${version}`, "--pack-destination", work], {
    stdio: "ignore",
    shell: process.platform === "win32",
  });
  const tarball = readdirSync(work).find((f) => f.endsWith(".tgz"));
  if (!tarball) throw new Error("npm pack gave no tarball");
  execFileSync("tar", ["-xzf", tarball], { cwd: work });
  return { version, dir: path.join(work, "package") };
}

const { version, dir } = values["package-dir"]
  ? {
      version: JSON.parse(readFileSync(path.join(values["package-dir"], "package.json"), "utf8")).version as string,
      dir: values["package-dir"],
    }
  : packNewest();
const theirs = await import(pathToFileURL(path.join(dir, "dist", "session-compaction.js")).href);

const findings: string[] = [];

// 1. The table, entry by entry, against ours as of the release we match.
type Entry = { nativeContextManagement: string; defaultSessionCompaction: { maxSessionRuns: number } };
const published: Record<string, Entry> = theirs.ADAPTER_SESSION_MANAGEMENT;
const ours = new Map(adaptersIn(table.matches).map((e) => [e.adapterType, e]));
for (const [name, entry] of Object.entries(published)) {
  const mine = ours.get(name);
  const kind = entry.defaultSessionCompaction.maxSessionRuns > 0 ? "thresholds" : "managed";
  if (!mine)
    findings.push(`${name}: new in ${version} (${entry.nativeContextManagement}, ${kind}): add it, since ${version}`);
  else if (mine.nativeContextManagement !== entry.nativeContextManagement || mine.defaultSessionCompaction !== kind)
    findings.push(
      `${name}: now ${entry.nativeContextManagement}, ${kind} (ours: ${mine.nativeContextManagement}, ${mine.defaultSessionCompaction})`,
    );
}
for (const name of ours.keys())
  if (!(name in published)) findings.push(`${name}: gone in ${version}: give it until ${version}`);

// 2. Resolution, on generated inputs (prototype names aside: we treat them as unknown adapters).
const prototypeNames = new Set(Object.getOwnPropertyNames(Object.prototype));
const adapterType = fc
  .oneof(A.adapterType, fc.constantFrom(...Object.keys(published)))
  .filter((a) => typeof a !== "string" || !prototypeNames.has(a));
const differences: string[] = [];
fc.assert(
  fc.property(adapterType, A.runtimeConfig, (a, r) => {
    const mine = native.resolveSessionCompactionPolicy(a, r);
    const their = theirs.resolveSessionCompactionPolicy(a, r);
    if (!same(mine, their) && differences.length < 5)
      differences.push(`${JSON.stringify([a, r])}: ours ${JSON.stringify(mine)}, theirs ${JSON.stringify(their)}`);
  }),
  { numRuns: Number(values.runs), seed: 42 },
);
if (differences.length > 0) findings.push(`resolution differs, for example:\n    ${differences.join("\n    ")}`);

console.log(`${table.package}@${version} against data/adapter-table.json (matches ${table.matches}):`);
if (findings.length === 0) {
  console.log(
    `  no change: its adapter table and resolution are ours${version === table.matches ? "" : `; set "matches" to ${version}`}`,
  );
} else {
  for (const f of findings) console.log(`  ${f}`);
}
let serverFindings = 0;
if (!values["no-server"]) {
  const server = await checkServer({ serverDir: values["server-dir"] });
  serverFindings = server.findings.length;
  console.log(
    `@paperclipai/server@${server.version}, ${server.heartbeats} heartbeats through its own heartbeatService, against our core:`,
  );
  if (serverFindings === 0) console.log("  no change: every decision is ours");
  else for (const f of server.findings) console.log(`  ${f}`);
  console.log(
    server.serverRotatedThere === 0
      ? `  it has no dead-session breaker: none of the ${server.breakerRotations} rotations only our breaker makes happened (the swap adds it)`
      : `  it rotates dead sessions itself in ${server.serverRotatedThere} of the ${server.breakerRotations} heartbeats where only our breaker does: it has merged a breaker`,
  );
}
process.exitCode = findings.length === 0 && serverFindings === 0 ? 0 : 1;

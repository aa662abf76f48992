#!/usr/bin/env node
// `npm test`: builds the addon in release mode, then runs every check and closes with one
// count line. Each step's own output is shown as it runs.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { nodeBinary } from "./node-binary.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
let passed = 0;
let failed = 0;

function step(title, command, args, { capture = false, env = process.env } = {}) {
  console.log(`\n=== ${title}: ${command} ${args.join(" ")}`);
  // npm and npx are .cmd scripts on Windows, which Node starts only through a shell.
  const shell = process.platform === "win32";
  const r = spawnSync(command, args, {
    cwd: root,
    shell,
    env,
    stdio: capture ? ["inherit", "pipe", "inherit"] : "inherit",
    encoding: "utf8",
  });
  if (capture && r.stdout) process.stdout.write(r.stdout);
  if (r.error) console.error(r.error.message);
  return { ok: r.status === 0, stdout: r.stdout ?? "" };
}

function counted(ok, title) {
  if (ok) passed++;
  else {
    failed++;
    console.error(`FAILED: ${title}`);
  }
}

const build = step("build (release)", "npm", ["run", "build"]);
if (!build.ok) {
  console.log("\ntests: 0 passed, 1 failed");
  process.exit(1);
}

const cargoTest = step("Rust core unit tests", "cargo", ["test", "--lib"], { capture: true });
for (const m of cargoTest.stdout.matchAll(/test result: \w+\. (\d+) passed; (\d+) failed/g)) {
  passed += Number(m[1]);
  failed += Number(m[2]);
}
if (!cargoTest.ok && !/test result/.test(cargoTest.stdout)) counted(false, "cargo test");

if (spawnSync("valgrind", ["--version"]).status === 0) {
  // The core's unit tests under valgrind: no leaked or invalid memory (the test harness's own
  // thread bookkeeping shows as "possibly lost", so only definite and indirect leaks count).
  const built = spawnSync("cargo", ["test", "--lib", "--no-run", "--message-format=json"], {
    cwd: root,
    encoding: "utf8",
  });
  const exe = built.stdout
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l))
    .filter((m) => m.reason === "compiler-artifact" && m.executable)
    .at(-1)?.executable;
  const args = [
    "--quiet",
    "--leak-check=full",
    "--errors-for-leak-kinds=definite,indirect",
    "--error-exitcode=99",
    exe,
    "--test-threads=1",
  ];
  counted(
    Boolean(exe) &&
      step("Rust core tests under valgrind", "valgrind", args, { env: { ...process.env, PCSC_UNDER_VALGRIND: "1" } })
        .ok,
    "valgrind",
  );
}
counted(step("clippy", "cargo", ["clippy", "--all-targets", "--", "-D", "warnings"]).ok, "clippy -D warnings");
counted(step("rustfmt", "cargo", ["fmt", "--check"]).ok, "cargo fmt --check");
// Every doc comment's links resolve (private items' too): a map that names what is not there fails.
const rustdoc = { ...process.env, RUSTDOCFLAGS: "-D warnings -A rustdoc::private-intra-doc-links" };
counted(
  step("cargo doc, warnings denied", "cargo", ["doc", "--no-deps", "--document-private-items"], { env: rustdoc }).ok,
  "cargo doc -D warnings",
);
counted(step("the module graph has no circle", process.execPath, ["scripts/module-graph.mjs"]).ok, "module graph");
counted(
  step("type-check a TypeScript consumer", "npx", ["tsc", "-p", "__test__/consumer/tsconfig.json"]).ok,
  "tsc --noEmit (consumer)",
);
counted(
  step("type-check it under exactOptionalPropertyTypes", "npx", ["tsc", "-p", "__test__/consumer/tsconfig.exact.json"])
    .ok,
  "tsc --noEmit (consumer, exactOptionalPropertyTypes)",
);
counted(
  step("type-check the heartbeat example and the demo", "npx", ["tsc", "-p", "tsconfig.json"]).ok,
  "tsc --noEmit (examples)",
);
// The CLIs, the swap and the database reader are plain JavaScript: type-checked all the same.
counted(
  step("type-check the CLIs, the swap and the database reader (checkJs)", "npx", ["tsc", "-p", "tsconfig.checkjs.json"])
    .ok,
  "tsc --noEmit (checkJs)",
);
// And to a formatter (prettier, 120 columns; .prettierignore names what it leaves alone).
counted(step("the JavaScript and TypeScript formatted", "npx", ["prettier", "--check", "."]).ok, "prettier --check");
// The JavaScript and TypeScript held to a linter too (oxlint's correctness rules, .oxlintrc.json).
counted(step("lint the JavaScript and TypeScript", "npx", ["oxlint", "--deny-warnings"]).ok, "oxlint");
// The package as npm would publish it: its manifest (publint) and its types from every
// resolution mode (Are the Types Wrong?).
counted(step("lint the package's manifest", "npx", ["publint", "--strict"]).ok, "publint");
counted(step("check the package's types in every resolution mode", "npx", ["attw", "--pack", "."]).ok, "attw");

/**
 * The vitest suite under one Node.js binary, its counts added to the total. One report per run:
 * a second `npm test` beside this one writes its own.
 */
function vitestUnder(title, tag, node, env) {
  const report = path.join(root, "target", `vitest-report-${process.pid}-${tag}.json`);
  const vitest = step(
    title,
    node,
    [
      path.join(root, "node_modules", "vitest", "vitest.mjs"),
      "run",
      "--reporter=default",
      "--reporter=json",
      `--outputFile.json=${report}`,
    ],
    { env },
  );
  if (existsSync(report)) {
    const r = JSON.parse(readFileSync(report, "utf8"));
    rmSync(report, { force: true });
    passed += r.numPassedTests;
    failed += r.numFailedTests;
    if (!vitest.ok && r.numFailedTests === 0) counted(false, `${title} (a file failed to load)`);
  } else counted(false, title);
}

vitestUnder(`vitest on Node ${process.version}`, "this", process.execPath, process.env);
counted(step("recorded conformance cases, outside vitest", "node", ["scripts/check-cases.mjs"]).ok, "check-cases");

// The suite again on Node 24, the release Paperclip's server needs, unless this is it already
// (fetched from the npm registry's node-<platform>-<arch> package into target/node-versions/;
// the registry ships no such layout for Windows, whose hosted CI runs the suite once).
if (Number(process.versions.node.split(".")[0]) !== 24 && process.platform !== "win32") {
  let node24 = null;
  try {
    node24 = nodeBinary("24");
  } catch (error) {
    console.error(error.message);
    counted(false, "fetch Node 24");
  }
  if (node24) {
    const version = spawnSync(node24, ["--version"], { encoding: "utf8" }).stdout.trim();
    const env = { ...process.env, PATH: `${path.dirname(node24)}${path.delimiter}${process.env.PATH}` };
    vitestUnder(`vitest on Node ${version}`, "node24", node24, env);
    counted(
      step(`recorded conformance cases on Node ${version}`, node24, ["scripts/check-cases.mjs"], { env }).ok,
      "check-cases (Node 24)",
    );
  }
}

console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

#!/usr/bin/env node
// Runs the recorded conformance cases (__test__/cases/) against a module exporting the core's
// functions (default: this package) and closes with `conformance: N passed, M failed`.
// It needs no test runner, so it also runs on Node versions vitest does not support.
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { caseFiles, checkCase, loadCases } from "../__test__/case-format.mjs";

const target = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), ".."));
const impl = createRequire(import.meta.url)(target);
let passed = 0;
const failures = [];
for (const file of caseFiles) {
  for (const c of loadCases(file.file)) {
    const failure = checkCase(impl, file, c);
    if (failure === null) passed++;
    else failures.push(`${file.file}: ${failure}`);
  }
}
for (const f of failures.slice(0, 10)) console.error(`FAIL ${f}`);
console.log(`conformance: ${passed} passed, ${failures.length} failed`);
process.exit(failures.length === 0 ? 0 : 1);

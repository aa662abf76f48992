// The recorded conformance cases (__test__/cases/) and how their answers compare: plain
// JavaScript, so that vitest, the hostile-input children and scripts/check-cases.mjs (which
// runs under Node versions vitest does not support) share one definition.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const casesDir = path.join(path.dirname(fileURLToPath(import.meta.url)), "cases");

/** The adapter-utils release the native resolver answers as (data/adapter-table.json). */
export const currentTable = JSON.parse(
  readFileSync(path.join(casesDir, "..", "..", "data", "adapter-table.json"), "utf8"),
).matches;

/**
 * A case recorded with another adapter table says so: `adapterTable: { release, policy }`, the
 * policy that release resolves for the case's agent (conformance.test.ts checks it against the
 * release itself). Unless that release is the table the native resolver answers as, the case
 * runs as the heartbeat does when the server's own adapter-utils resolves the policy: that
 * policy, given as the evaluation's `policy`.
 */
function withRecordedTable(input, c) {
  if (!c.adapterTable || c.adapterTable.release === currentTable || input?.agent == null) return input;
  return { ...input, policy: c.adapterTable.policy };
}

/** The files, each with the export it exercises and how a case's `input` becomes the call's arguments. */
export const caseFiles = [
  { file: "circuit-breaker.json", fn: "detectDeadReusedSessionCircuitBreaker", args: (input) => [input] },
  { file: "evaluate-session-compaction.json", fn: "evaluateSessionCompaction", args: (input) => [input] },
  { file: "resolve-policy.json", fn: "resolveSessionCompactionPolicy", args: (input) => input },
];

/** @returns {Array<{ name: string, input: unknown, output?: unknown, throws?: string, adapterTable?: { release: string, policy: object } }>} */
export function loadCases(file) {
  return JSON.parse(readFileSync(path.join(casesDir, file), "utf8"));
}

/** Tagged JSON: { $undefined }, { $number }, { $date } become the JavaScript values they stand for. */
export function decode(v) {
  if (Array.isArray(v)) return v.map(decode);
  if (v !== null && typeof v === "object") {
    if (v.$undefined === true) return undefined;
    if (typeof v.$number === "string") return v.$number === "-0" ? -0 : Number(v.$number);
    if (typeof v.$date === "string") return new Date(v.$date === "Invalid" ? NaN : v.$date);
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, decode(x)]));
  }
  return v;
}

/** Same keys, strings equal code unit for code unit, numbers by Object.is. */
export function same(a, b) {
  if (typeof a === "number" && typeof b === "number") return Object.is(a, b);
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return a === b;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && same(a[k], b[k]));
}

/** Runs one case against `impl` (an object with the core's functions): null when it holds, else what went wrong. */
export function checkCase(impl, { fn, args }, c) {
  let got;
  let threw = null;
  try {
    got = impl[fn](...args(withRecordedTable(decode(c.input), c)));
  } catch (e) {
    threw = e;
  }
  const ok = c.throws ? threw instanceof TypeError : threw === null && same(got, decode(c.output));
  if (ok) return null;
  return `${c.name}: got ${threw ? String(threw) : JSON.stringify(got)}`;
}

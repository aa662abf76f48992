// The package's CommonJS entry: loads the native binary through napi-rs's generated loader
// (loader.cjs) and, when no binary fits this machine, says which one and what to do.
"use strict";

const SUPPORTED = ["linux-x64-gnu", "linux-x64-musl", "linux-arm64-gnu", "darwin-x64", "darwin-arm64", "win32-x64-msvc"];

function isMusl() {
  if (process.platform !== "linux") return false;
  try {
    const report = typeof process.report?.getReport === "function" ? process.report.getReport() : null;
    const header = report && (typeof report === "string" ? JSON.parse(report).header : report.header);
    return Boolean(header) && !header.glibcVersionRuntime;
  } catch {
    return false;
  }
}

/** napi-rs's name for this machine: platform-arch, plus the C library on Linux and Windows. */
function platformTriple() {
  const base = `${process.platform}-${process.arch}`;
  if (process.platform === "linux") return `${base}-${isMusl() ? "musl" : "gnu"}`;
  if (process.platform === "win32") return `${base}-msvc`;
  return base;
}

function missingBinaryError(cause) {
  const triple = platformTriple();
  const pkg = `paperclip-session-compaction-${triple}`;
  const supported = SUPPORTED.includes(triple);
  const lines = [
    `paperclip-session-compaction: no native binary could be loaded for ${triple} (Node.js ${process.versions.node}).`,
    `It looked for the package "${pkg}" and for the file "session-compaction.${triple}.node" beside the loader.`,
    supported
      ? `What to do: install the platform package it names (npm install ${pkg}); if npm skipped it, your lockfile was probably made on ` +
        `another platform or optional dependencies were omitted: remove node_modules and the lockfile, then install again without --omit=optional.`
      : `What to do: ${triple} has no prebuilt binary (they exist for ${SUPPORTED.join(", ")}); build one from source with a Rust toolchain: npm run build in the repository.`,
    `The loader's own error follows as the cause.`,
  ];
  const error = new Error(lines.join("\n"));
  error.code = "ERR_PAPERCLIP_SESSION_COMPACTION_BINARY";
  error.cause = cause;
  return error;
}

let binding;
try {
  binding = require("./loader.cjs");
} catch (cause) {
  throw missingBinaryError(cause);
}

/** `since` as epoch milliseconds: a Date, an ISO string (as Date.parse reads it), or a number. */
function auditOptions(options = {}) {
  const { companyId, since, progress, threads, ordered } = options ?? {};
  let sinceMs;
  if (since instanceof Date) sinceMs = since.getTime();
  else if (typeof since === "string") sinceMs = Date.parse(since);
  else if (typeof since === "number") sinceMs = since;
  else if (since !== undefined && since !== null) throw new TypeError("since must be a Date, a string or a number");
  if (sinceMs !== undefined && Number.isNaN(sinceMs)) throw new TypeError(`since is not a valid time: ${String(since)}`);
  if (companyId !== undefined && companyId !== null && typeof companyId !== "string") throw new TypeError("companyId must be a string");
  return { companyId: companyId ?? undefined, sinceMs, progress: Boolean(progress), threads, ordered: Boolean(ordered) };
}

/** Audits a heartbeat_runs history (NDJSON): a file path (gzip detected, "-" for stdin) or a Buffer. */
function auditDeadSessions(source, options) {
  if (typeof source !== "string" && !(source instanceof Uint8Array)) throw new TypeError("source must be a file path or a Buffer (Uint8Array)");
  return binding.__auditDeadSessions(source, auditOptions(options));
}

/** A streaming audit: push NDJSON chunks (Buffers or strings), then finish() for the report. */
class DeadSessionAuditor {
  #native;
  constructor(options) {
    this.#native = new binding.DeadSessionAuditor(auditOptions(options));
  }
  push(chunk) {
    if (typeof chunk !== "string" && !(chunk instanceof Uint8Array)) throw new TypeError("chunk must be a Buffer (Uint8Array) or a string");
    this.#native.push(chunk);
    return this;
  }
  finish() {
    return this.#native.finish();
  }
}

/**
 * Audits the heartbeat_runs table of a database (PGlite, or a node-postgres Pool or Client:
 * anything with `query(sql, params) -> { rows }`), reading it in pages of `pageSize` rows.
 */
async function auditDeadSessionsFromDatabase(db, options = {}) {
  const pageSize = options.pageSize ?? 10_000;
  // The pages come ordered by created_at: the audit keeps per-session state only.
  const auditor = new DeadSessionAuditor({ ...options, ordered: true });
  const { sinceMs, companyId } = auditOptions(options);
  const since = sinceMs === undefined ? null : new Date(sinceMs).toISOString();
  let after = null;
  for (;;) {
    const { rows } = await db.query(
      `select row_to_json(r)::text as line, r.created_at::text as at, r.id::text as id
         from heartbeat_runs r
        where ($1::text is null or r.company_id::text = $1)
          and ($2::timestamptz is null or r.created_at >= $2::timestamptz)
          and ($3::timestamptz is null or (r.created_at, r.id::text) > ($3::timestamptz, $4::text))
        order by r.created_at, r.id::text
        limit $5`,
      [companyId ?? null, since, after?.at ?? null, after?.id ?? null, pageSize],
    );
    if (rows.length === 0) break;
    auditor.push(rows.map((r) => r.line).join("\n") + "\n");
    after = rows[rows.length - 1];
    if (typeof options.onPage === "function") options.onPage(rows.length);
    if (rows.length < pageSize) break;
  }
  return auditor.finish();
}

// Node-API reads a property fastest with an interned key, and a native call cannot keep one
// from the last call (Node 20 refuses references to strings), while making them anew costs
// ~30 ns each per call. So the binding's keys (src/core/host.rs, Key::ALL order) are made once
// here, interned, and passed after each call's arguments; a handle passed in is free. The
// binding called without them (through loader.cjs) makes its own and answers the same.
const FORWARDED_KEYS = 45;
// A string used as an object's property name comes back from Object.keys interned.
const internalized = (name) => Object.keys({ [name]: 0 })[0];
const keys = binding.__propertyKeys.map(internalized);
if (keys.length !== FORWARDED_KEYS) {
  throw new Error(`paperclip-session-compaction: the binary has ${keys.length} property keys, index.js forwards ${FORWARDED_KEYS}: reinstall the package (in the repository: bring index.js in step with Key::ALL in src/core/host.rs)`);
}
const [
  k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12, k13, k14, k15, k16, k17, k18, k19, k20, k21, k22,
  k23, k24, k25, k26, k27, k28, k29, k30, k31, k32, k33, k34, k35, k36, k37, k38, k39, k40, k41, k42, k43,
  k44,
] = keys;

// Answers come back as plain objects built here when they can: an object literal costs ~10 ns,
// one made through Node-API ~300 ns. The binding writes, after its last read of the input,
// slot 0 = WHOLE (its return value is the whole answer) or BUILT_HERE (the answer's scalars
// follow in slots 1..; its return value is the answer's one handle, if any), and the wrapper
// reads them right after the call, before any other JavaScript runs.
const scratch = new Float64Array(24);
const BUILT_HERE = 1;
// The fixed strings answers carry (policy sources, context management), by the binding's index.
const answerStrings = binding.__answerStrings;

/**
 * Calls a native export with up to two arguments, then the property keys, `Object.keys` as it
 * is at this call (the contract calls it; the engine's own is the fastest way to ask), and the
 * scratch array.
 */
function callNative(native, a, b) {
  return native(
    a,
    b,
    k0, k1, k2, k3, k4, k5, k6, k7, k8, k9, k10, k11, k12, k13, k14, k15, k16, k17, k18, k19, k20, k21, k22,
    k23, k24, k25, k26, k27, k28, k29, k30, k31, k32, k33, k34, k35, k36, k37, k38, k39, k40, k41, k42, k43,
    k44, Object.keys, scratch,
  );
}

/** A policy from scratch slots at, at+1, at+2, at+3. */
function policyFromScratch(at) {
  return { enabled: scratch[at] === 1, maxSessionRuns: scratch[at + 1], maxRawInputTokens: scratch[at + 2], maxSessionAgeHours: scratch[at + 3] };
}

/** A resolution from the scratch, laid out as resolution_scalars in src/binding/exports.rs. */
function resolutionFromScratch() {
  const explicitOverride = {};
  if (scratch[12] !== -1) explicitOverride.enabled = scratch[12] === 1;
  const set = scratch[16];
  if (set & 1) explicitOverride.maxSessionRuns = scratch[13];
  if (set & 2) explicitOverride.maxRawInputTokens = scratch[14];
  if (set & 4) explicitOverride.maxSessionAgeHours = scratch[15];
  const adapterSessionManagement =
    scratch[5] === 1
      ? { supportsSessionResume: scratch[6] === 1, nativeContextManagement: answerStrings[scratch[7]], defaultSessionCompaction: policyFromScratch(8) }
      : null;
  return { policy: policyFromScratch(1), adapterSessionManagement, explicitOverride, source: answerStrings[scratch[17]] };
}

function detectDeadReusedSessionCircuitBreaker(input) {
  const value = callNative(binding.detectDeadReusedSessionCircuitBreaker, input, undefined);
  // Built here: kept, and the value is the dead run's id (or null).
  return scratch[0] === BUILT_HERE ? { rotate: false, reason: null, previousRunId: value } : value;
}
function evaluateSessionCompaction(input) {
  const value = callNative(binding.evaluateSessionCompaction, input, undefined);
  // Built here: kept, and the value is the previous run's id (or null).
  return scratch[0] === BUILT_HERE ? { rotate: false, reason: null, handoffMarkdown: null, previousRunId: value } : value;
}
function resolveSessionCompactionPolicy(adapterType, runtimeConfig) {
  const value = callNative(binding.resolveSessionCompactionPolicy, adapterType, runtimeConfig);
  return scratch[0] === BUILT_HERE ? resolutionFromScratch() : value;
}
function parseSessionCompactionPolicy(agent) {
  const value = callNative(binding.parseSessionCompactionPolicy, agent, undefined);
  return scratch[0] === BUILT_HERE ? policyFromScratch(1) : value;
}
function hasSessionCompactionThresholds(policy) {
  return callNative(binding.hasSessionCompactionThresholds, policy, undefined);
}
function planSessionCompaction(agent) {
  const value = callNative(binding.planSessionCompaction, agent, undefined);
  return scratch[0] === BUILT_HERE ? { fetchLimit: scratch[1], needsOldestRun: scratch[2] === 1 } : value;
}

const api = {
  DEAD_REUSED_SESSION_FAILURE_THRESHOLD: binding.DEAD_REUSED_SESSION_FAILURE_THRESHOLD,
  detectDeadReusedSessionCircuitBreaker,
  evaluateSessionCompaction,
  resolveSessionCompactionPolicy,
  parseSessionCompactionPolicy,
  hasSessionCompactionThresholds,
  planSessionCompaction,
  auditDeadSessions,
  auditDeadSessionsFromDatabase,
  DeadSessionAuditor,
};
// Internal: the benchmark's floor (an empty native call). Not enumerable, not API.
Object.defineProperty(api, "__emptyCall", { value: binding.__emptyCall });
module.exports = api;

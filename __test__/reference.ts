// Our TypeScript reference of the contract (docs/contract.md), written from it for the
// differential tests. It runs on JavaScript's own semantics (trim, Number, toLocaleString,
// Date), which is exactly what the native core must reproduce. Where the SPEC leaves a
// choice to us (which bad inputs throw, and with what message), it states ours.

import { adaptersIn, table } from "./adapter-table";
import { types } from "node:util";

export type Policy = {
  enabled: boolean;
  maxSessionRuns: number;
  maxRawInputTokens: number;
  maxSessionAgeHours: number;
};

export const DEAD_REUSED_SESSION_FAILURE_THRESHOLD = 3;

const MANAGED: Policy = { enabled: true, maxSessionRuns: 0, maxRawInputTokens: 0, maxSessionAgeHours: 0 };
const THRESHOLDED: Policy = {
  enabled: true,
  maxSessionRuns: 200,
  maxRawInputTokens: 2_000_000,
  maxSessionAgeHours: 72,
};

type Native = "confirmed" | "unknown";
const entry = (native: Native, policy: Policy) => ({
  supportsSessionResume: true,
  nativeContextManagement: native,
  defaultSessionCompaction: policy,
});
// The table in force in the release data/adapter-table.json says the native resolver matches.
const ADAPTERS: Record<string, ReturnType<typeof entry>> = Object.fromEntries(
  adaptersIn(table.matches).map((e) => [
    e.adapterType,
    entry(e.nativeContextManagement, e.defaultSessionCompaction === "managed" ? MANAGED : THRESHOLDED),
  ]),
);

/** `obj[key]`, where reading from null/undefined is our TypeError naming the path. */
function get(obj: unknown, key: string, path: string): unknown {
  if (obj === null || obj === undefined) throw new TypeError(`${path} must be an object`);
  return (obj as Record<string, unknown>)[key];
}

/** An array as Node-API sees one: a Proxy of an array is not (the one place we differ from `Array.isArray`). */
function isArray(v: unknown): v is unknown[] {
  return Array.isArray(v) && !types.isProxy(v);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !isArray(v);
}

function isNonBlankString(v: unknown): v is string {
  return typeof v === "string" && v.trim() !== "";
}

/** Falsy is absent; a truthy value must be a string. */
function truthyString(v: unknown, path: string): string | null {
  if (!v) return null;
  if (typeof v !== "string") throw new TypeError(`${path} must be a string`);
  return v;
}

function finite(v: unknown): number | undefined {
  return typeof v === "number" && Number.isFinite(v) ? v : undefined;
}

function tokenCount(usage: Record<string, unknown> | null, raw: string, normalized: string): number {
  if (usage === null) return 0;
  const n = finite(usage[raw]) ?? finite(usage[normalized]) ?? 0;
  return Math.max(0, Math.floor(n));
}

const TOKEN_KEYS: Array<[string, string]> = [
  ["rawInputTokens", "inputTokens"],
  ["rawCachedInputTokens", "cachedInputTokens"],
  ["rawOutputTokens", "outputTokens"],
];

function runAt(runs: unknown[], i: number): unknown {
  const run = runs[i];
  if (run === null || run === undefined) throw new TypeError(`runs[${i}] must be an object`);
  return run;
}

/** Which runs count as dead: the fork's rule by default, widened only when asked. */
export type DeadRunRule = { deadLivenessStates: string[]; countUnrecordedResumes: boolean };
const forkRule = (): DeadRunRule => ({ deadLivenessStates: ["failed"], countUnrecordedResumes: false });

/** The two rule options of `holder` (`prefix` starts the paths in errors). */
export function readDeadRunRule(holder: unknown, prefix: string): DeadRunRule {
  const rule = forkRule();
  const holderPath = prefix === "" ? "input" : prefix.slice(0, -1);
  const states = get(holder, "deadLivenessStates", holderPath);
  if (states !== null && states !== undefined) {
    if (!isArray(states)) throw new TypeError(`${prefix}deadLivenessStates must be an array of strings`);
    const listed: string[] = [];
    const length = states.length;
    for (let i = 0; i < length; i++) {
      const state = states[i];
      if (typeof state !== "string") throw new TypeError(`${prefix}deadLivenessStates[${i}] must be a string`);
      listed.push(state);
    }
    rule.deadLivenessStates = listed;
  }
  const unrecorded = get(holder, "countUnrecordedResumes", holderPath);
  if (unrecorded !== null && unrecorded !== undefined) {
    if (typeof unrecorded !== "boolean") throw new TypeError(`${prefix}countUnrecordedResumes must be a boolean`);
    rule.countUnrecordedResumes = unrecorded;
  }
  return rule;
}

type DeadRun = { state: number; recorded: boolean };

function isDead(run: unknown, sessionId: string, rule: DeadRunRule): DeadRun | null {
  const liveness = get(run, "livenessState", "run");
  const state = rule.deadLivenessStates.indexOf(liveness as string);
  if (state < 0) return null;
  const usage = get(run, "usageJson", "run");
  if (!isRecord(usage)) {
    if (
      rule.countUnrecordedResumes &&
      (usage === null || usage === undefined) &&
      get(run, "sessionIdBefore", "run") === sessionId
    ) {
      return { state, recorded: false };
    }
    return null;
  }
  if (usage.sessionReused !== true) return null;
  if (usage.persistedSessionId !== sessionId) return null;
  return TOKEN_KEYS.every(([raw, normalized]) => tokenCount(usage, raw, normalized) === 0)
    ? { state, recorded: true }
    : null;
}

type BreakerResult = { rotate: boolean; reason: string | null; hasDead: boolean; deadId: unknown; streak: number };

/** The fork's sentence when every run of the `threshold` newest of the streak was a failed
 * zero-token reuse; otherwise the kinds of those runs, in the rule's order of states, before
 * the session id: the tally describes the runs the number names. */
function breakerReason(threshold: number, sessionId: string, streak: DeadRun[], rule: DeadRunRule): string {
  const counted = streak.slice(0, threshold);
  const states = rule.deadLivenessStates;
  if (counted.every((d) => d.recorded && states[d.state] === "failed")) {
    return `${threshold} consecutive failed zero-token reused runs on persisted session ${sessionId}`;
  }
  const parts: string[] = [];
  for (const recorded of [true, false]) {
    states.forEach((state, i) => {
      const n = counted.filter((d) => d.state === i && d.recorded === recorded).length;
      if (n > 0) parts.push(`${n} ${state} ${recorded ? "zero-token" : "with no usage record"}`);
    });
  }
  return `${threshold} consecutive dead reused runs (${parts.join(", ")}) on persisted session ${sessionId}`;
}

function detect(sessionId: string, runs: unknown, threshold: number, rule: DeadRunRule): BreakerResult {
  if (!isArray(runs)) throw new TypeError("runs must be an array");
  let streak = 0;
  let hasDead = false;
  let deadId: unknown = undefined;
  const counted: DeadRun[] = [];
  while (streak < runs.length) {
    const run = runAt(runs, streak);
    const dead = isDead(run, sessionId, rule);
    if (dead === null) break;
    counted.push(dead);
    if (!hasDead) {
      deadId = get(run, "id", `runs[${streak}]`);
      hasDead = true;
    }
    streak++;
  }
  if (streak >= threshold) {
    return { rotate: true, reason: breakerReason(threshold, sessionId, counted, rule), hasDead, deadId, streak };
  }
  return { rotate: false, reason: null, hasDead, deadId, streak };
}

const orNull = (v: unknown) => (v === undefined ? null : v);

export function detectDeadReusedSessionCircuitBreaker(input: unknown) {
  const sessionValue = get(input, "sessionId", "input");
  const thresholdValue = get(input, "threshold", "input");
  let threshold: number;
  if (thresholdValue === undefined || thresholdValue === null) threshold = DEAD_REUSED_SESSION_FAILURE_THRESHOLD;
  else if (typeof thresholdValue === "number") threshold = Math.max(1, Math.floor(thresholdValue));
  else throw new TypeError("threshold must be a number");
  const rule = readDeadRunRule(input, "");
  if (!isNonBlankString(sessionValue)) return { rotate: false, reason: null, previousRunId: null };
  const runs = get(input, "runs", "input");
  const r = detect(sessionValue, runs, threshold, rule);
  return { rotate: r.rotate, reason: r.reason, previousRunId: r.hasDead ? orNull(r.deadId) : null };
}

function readBoolean(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v === 1 ? true : v === 0 ? false : undefined;
  if (typeof v !== "string") return undefined;
  const t = v.trim().toLowerCase();
  if (t === "true" || t === "1" || t === "yes" || t === "on") return true;
  if (t === "false" || t === "0" || t === "no" || t === "off") return false;
  return undefined;
}

function readLimit(v: unknown): number | undefined {
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v.trim()) : NaN;
  return Number.isFinite(n) ? Math.max(0, Math.floor(n)) : undefined;
}

function readOverride(runtimeConfig: unknown): Partial<Policy> {
  const runtime = isRecord(runtimeConfig) ? runtimeConfig : null;
  if (runtime === null) return {};
  const heartbeatValue = runtime.heartbeat;
  const heartbeat = isRecord(heartbeatValue) ? heartbeatValue : null;
  let block: unknown = undefined;
  const candidates: Array<[Record<string, unknown> | null, string]> = [
    [heartbeat, "sessionCompaction"],
    [heartbeat, "sessionRotation"],
    [runtime, "sessionCompaction"],
  ];
  for (const [target, key] of candidates) {
    if (target === null) continue;
    const v = target[key];
    if (v !== null && v !== undefined) {
      block = v;
      break;
    }
  }
  if (!isRecord(block)) return {};
  const out: Partial<Policy> = {};
  const enabled = readBoolean(block.enabled);
  const maxSessionRuns = readLimit(block.maxSessionRuns);
  const maxRawInputTokens = readLimit(block.maxRawInputTokens);
  const maxSessionAgeHours = readLimit(block.maxSessionAgeHours);
  if (enabled !== undefined) out.enabled = enabled;
  if (maxSessionRuns !== undefined) out.maxSessionRuns = maxSessionRuns;
  if (maxRawInputTokens !== undefined) out.maxRawInputTokens = maxRawInputTokens;
  if (maxSessionAgeHours !== undefined) out.maxSessionAgeHours = maxSessionAgeHours;
  return out;
}

function adapterEntry(adapterType: unknown, path: string) {
  if (!adapterType) return null;
  if (typeof adapterType !== "string") throw new TypeError(`${path}adapterType must be a string`);
  // Own keys only: "constructor" and "__proto__" are unknown adapters.
  return Object.prototype.hasOwnProperty.call(ADAPTERS, adapterType) ? ADAPTERS[adapterType] : null;
}

function resolve(adapterType: unknown, runtimeConfig: unknown, path: string) {
  const adapter = adapterEntry(adapterType, path);
  const explicitOverride = readOverride(runtimeConfig);
  const base = adapter?.defaultSessionCompaction ?? { ...THRESHOLDED, enabled: false };
  const policy: Policy = {
    enabled: explicitOverride.enabled ?? base.enabled,
    maxSessionRuns: explicitOverride.maxSessionRuns ?? base.maxSessionRuns,
    maxRawInputTokens: explicitOverride.maxRawInputTokens ?? base.maxRawInputTokens,
    maxSessionAgeHours: explicitOverride.maxSessionAgeHours ?? base.maxSessionAgeHours,
  };
  const source =
    Object.keys(explicitOverride).length > 0 ? "agent_override" : adapter ? "adapter_default" : "legacy_fallback";
  return {
    policy,
    adapterSessionManagement: adapter
      ? { ...adapter, defaultSessionCompaction: { ...adapter.defaultSessionCompaction } }
      : null,
    explicitOverride,
    source,
  };
}

export function resolveSessionCompactionPolicy(adapterType: unknown, runtimeConfig: unknown) {
  return resolve(adapterType, runtimeConfig, "");
}

export function parseSessionCompactionPolicy(agent: unknown): Policy {
  const adapterType = get(agent, "adapterType", "agent");
  const runtimeConfig = get(agent, "runtimeConfig", "agent");
  return resolve(adapterType, runtimeConfig, "agent.").policy;
}

function givenLimit(policy: unknown, key: string, path: string): number {
  const v = get(policy, key, path);
  if (typeof v !== "number") throw new TypeError(`${path}.${key} must be a number`);
  return v;
}

export function hasSessionCompactionThresholds(policy: unknown): boolean {
  const runs = givenLimit(policy, "maxSessionRuns", "policy");
  const raw = givenLimit(policy, "maxRawInputTokens", "policy");
  const age = givenLimit(policy, "maxSessionAgeHours", "policy");
  return runs > 0 || raw > 0 || age > 0;
}

function readGivenPolicy(v: unknown): Policy {
  const enabled = get(v, "enabled", "policy");
  if (typeof enabled !== "boolean") throw new TypeError("policy.enabled must be a boolean");
  return {
    enabled,
    maxSessionRuns: givenLimit(v, "maxSessionRuns", "policy"),
    maxRawInputTokens: givenLimit(v, "maxRawInputTokens", "policy"),
    maxSessionAgeHours: givenLimit(v, "maxSessionAgeHours", "policy"),
  };
}

const isOn = (p: Policy) => p.enabled && (p.maxSessionRuns > 0 || p.maxRawInputTokens > 0 || p.maxSessionAgeHours > 0);

export function planSessionCompaction(agent: unknown) {
  const p = parseSessionCompactionPolicy(agent);
  return {
    fetchLimit: Math.max(
      isOn(p) && p.maxSessionRuns > 0 ? p.maxSessionRuns + 1 : 0,
      DEAD_REUSED_SESSION_FAILURE_THRESHOLD,
      4,
    ),
    needsOldestRun: p.maxSessionAgeHours > 0,
  };
}

/** `new Date(createdAt).getTime()`, with objects other than Dates refused. */
function timeValue(v: unknown, path: string): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v === "number" || typeof v === "string" || typeof v === "boolean" || v === null)
    return new Date(v as number).getTime();
  if (v === undefined) return NaN;
  throw new TypeError(`${path} must be a Date, a string or a number`);
}

function createdAt(run: unknown, path: string): number {
  return timeValue(get(run, "createdAt", path), `${path}.createdAt`);
}

const KEEP = (previousRunId: unknown) => ({
  rotate: false,
  reason: null,
  handoffMarkdown: null,
  previousRunId: orNull(previousRunId),
});

export function evaluateSessionCompaction(input: unknown) {
  return evaluate(input, null);
}

/** What an evaluation read on its way to its decision: null where it stopped before. */
type Readings = {
  policy: (Policy & { source: string }) | null;
  runCount: number | null;
  rawInput: number | null;
  ageHours: number | null;
  deadStreak: number | null;
  runs: unknown[] | null;
  latest: unknown;
  rule: DeadRunRule;
};

/** Hours from the oldest run to the latest. Only an absent oldestRun falls back to the last
 * fetched run; null means the database found none, and a falsy oldest run (or latest) gives
 * age 0, as in the service. */
function sessionAgeHours(input: unknown, runs: unknown[], runCount: number, latest: unknown): number {
  const givenOldest = get(input, "oldestRun", "input");
  const last = runCount - 1;
  const [oldest, oldestPath] =
    givenOldest === undefined ? [runAt(runs, last), `runs[${last}]`] : [givenOldest, "oldestRun"];
  if (!latest || !oldest) return 0;
  return Math.max(0, (createdAt(latest, "runs[0]") - createdAt(oldest, oldestPath)) / 3_600_000);
}

const noReadings = (): Readings => ({
  policy: null,
  runCount: null,
  rawInput: null,
  ageHours: null,
  deadStreak: null,
  runs: null,
  latest: undefined,
  rule: forkRule(),
});

/** The evaluation; it fills `readings` when given (explain), and skips that work otherwise so
 * that the benchmark's TypeScript column stays the evaluation's own cost. */
function evaluate(input: unknown, readings: Readings | null) {
  const sessionValue = get(input, "sessionId", "input");
  const rule = readDeadRunRule(input, "");
  if (readings) readings.rule = rule;
  const session = truthyString(sessionValue, "sessionId");
  if (session === null) return KEEP(null);
  const given = get(input, "policy", "input");
  let p: Policy;
  if (given !== null && given !== undefined) {
    p = readGivenPolicy(given);
    if (readings) readings.policy = { ...p, source: "caller" };
  } else {
    const agent = get(input, "agent", "input");
    const resolved = resolve(get(agent, "adapterType", "agent"), get(agent, "runtimeConfig", "agent"), "agent.");
    p = resolved.policy;
    if (readings) readings.policy = { ...p, source: resolved.source };
  }
  const runs = get(input, "runs", "input");
  if (!isArray(runs)) throw new TypeError("runs must be an array");
  // Read once: a getter that changes the array meanwhile does not change the count.
  const runCount = runs.length;
  if (readings) readings.runCount = runCount;
  if (runCount === 0) return KEEP(null);
  const latest = runAt(runs, 0);
  if (readings) {
    readings.runs = runs;
    readings.latest = latest;
  }

  let ageHours = 0;
  if (p.maxSessionAgeHours > 0) {
    ageHours = sessionAgeHours(input, runs, runCount, latest);
    if (readings) readings.ageHours = ageHours;
  }

  let rawInput: number | null = null;
  const usage = get(latest, "usageJson", "runs[0]");
  if (isRecord(usage)) {
    // The counts are read before the keys are listed (an order only getters could observe).
    const counts = TOKEN_KEYS.map(([raw, normalized]) => tokenCount(usage, raw, normalized));
    if (counts.some((c) => c > 0) && Object.keys(usage).length > 0) rawInput = counts[0];
  }
  if (readings) readings.rawInput = rawInput;

  const breaker = isNonBlankString(sessionValue)
    ? detect(sessionValue, runs, DEAD_REUSED_SESSION_FAILURE_THRESHOLD, rule)
    : null;
  if (readings) readings.deadStreak = breaker?.streak ?? null;
  const previousRunId = breaker?.hasDead ? breaker.deadId : get(latest, "id", "runs[0]");
  let reason = breaker?.reason ?? null;
  if (reason === null && isOn(p)) {
    if (p.maxSessionRuns > 0 && runCount > p.maxSessionRuns) {
      reason = `session exceeded ${p.maxSessionRuns} runs`;
    } else if (p.maxRawInputTokens > 0 && rawInput !== null && rawInput >= p.maxRawInputTokens) {
      reason = `session raw input reached ${rawInput.toLocaleString("en-US")} tokens (threshold ${p.maxRawInputTokens.toLocaleString("en-US")})`;
    } else if (p.maxSessionAgeHours > 0 && ageHours >= p.maxSessionAgeHours) {
      reason = `session age reached ${Math.floor(ageHours)} hours`;
    }
  }
  if (reason === null) return KEEP(previousRunId);

  const issue = truthyString(get(input, "issueId", "input"), "issueId");
  let summary: string | null = null;
  for (const key of ["resultSummary", "resultResult", "resultMessage", "error"]) {
    const v = get(latest, key, "runs[0]");
    if (isNonBlankString(v)) {
      summary = v;
      break;
    }
  }
  const body = truthyString(get(input, "continuationSummaryBody", "input"), "continuationSummaryBody");
  const lines = ["Paperclip session handoff:", `- Previous session: ${session}`];
  if (issue) lines.push(`- Issue: ${issue}`);
  lines.push(`- Rotation reason: ${reason}`);
  if (summary) lines.push(`- Last run summary: ${summary}`);
  if (body) lines.push(`- Issue continuation summary: ${body.slice(0, 1500)}`);
  lines.push("Continue from the current task state. Rebuild only the minimum context you need.");
  return { rotate: true, reason, handoffMarkdown: lines.join("\n"), previousRunId: orNull(previousRunId) };
}

/** Our reading of issue 13: the decision, the policy (null without a session), and each rule's
 * reading against its limit (0 = off; a threshold applies only when the policy's are on). */
export function explainSessionCompaction(input: unknown) {
  const readings = noReadings();
  const decision = evaluate(input, readings);
  let ageHours = readings.ageHours;
  if (ageHours === null && readings.runs !== null) {
    // The age limit is off, so the evaluation did not read the times: read them now, and a
    // value it would have refused is "not measured" rather than a TypeError.
    try {
      ageHours = sessionAgeHours(input, readings.runs, readings.runCount!, readings.latest);
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
    }
  }
  if (ageHours !== null && Number.isNaN(ageHours)) ageHours = null;
  const p = readings.policy;
  const on = p !== null && isOn(p);
  const limit = (l: number) => (on && l > 0 ? l : 0);
  const measurement = (value: number | null, lim: number, crossed: (v: number, l: number) => boolean) => ({
    value,
    limit: lim,
    reached: lim > 0 && value !== null && crossed(value, lim),
  });
  return {
    decision,
    policy:
      p === null
        ? null
        : {
            enabled: p.enabled,
            maxSessionRuns: p.maxSessionRuns,
            maxRawInputTokens: p.maxRawInputTokens,
            maxSessionAgeHours: p.maxSessionAgeHours,
            source: p.source,
            thresholdsOn: on,
          },
    breakerRule: {
      deadLivenessStates: [...readings.rule.deadLivenessStates],
      countUnrecordedResumes: readings.rule.countUnrecordedResumes,
    },
    measurements: {
      sessionRuns: measurement(readings.runCount, limit(p?.maxSessionRuns ?? 0), (v, l) => v > l),
      rawInputTokens: measurement(readings.rawInput, limit(p?.maxRawInputTokens ?? 0), (v, l) => v >= l),
      sessionAgeHours: measurement(ageHours, limit(p?.maxSessionAgeHours ?? 0), (v, l) => v >= l),
      deadStreak: measurement(readings.deadStreak, DEAD_REUSED_SESSION_FAILURE_THRESHOLD, (v, l) => v >= l),
    },
  };
}

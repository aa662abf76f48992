// The fleet audit in plain JavaScript (readline + JSON.parse), the same report as the native
// auditDeadSessions: the benchmark's baseline, and a second implementation for the tests.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";

const THRESHOLDS = 10;
/** Each skip reason's code, as the native report gives it. */
const CODES = {
  "malformed JSON": "malformed_json",
  "not a JSON object": "not_an_object",
  "company_id missing or not a string": "company_id",
  "agent_id missing or not a string": "agent_id",
  "created_at missing or not a time": "created_at",
  "session_id_after not a string": "session_id_after",
};
const DEAD_NOW = 3;

const isRecord = (v) => typeof v === "object" && v !== null && !Array.isArray(v);
const finite = (v) => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const tokenCount = (u, raw, normalized) => Math.max(0, Math.floor(finite(u[raw]) ?? finite(u[normalized]) ?? 0));

/** The last of the aliases present, in the row's key order (as a streaming parser sees it). */
function field(row, ...aliases) {
  let value;
  for (const [k, v] of Object.entries(row)) if (aliases.includes(k)) value = v;
  return value;
}

/** Dead under the rule: a listed liveness state, and a zero-token reuse of the session, or (when
 * the rule counts them) a resume of it that left no usage record. */
function isDead(rule, liveness, usage, session, before) {
  if (!rule.deadLivenessStates.includes(liveness)) return false;
  if (rule.countUnrecordedResumes && (usage === null || usage === undefined) && before === session) return true;
  return (
    isRecord(usage) &&
    usage.sessionReused === true &&
    usage.persistedSessionId === session &&
    tokenCount(usage, "rawInputTokens", "inputTokens") === 0 &&
    tokenCount(usage, "rawCachedInputTokens", "cachedInputTokens") === 0 &&
    tokenCount(usage, "rawOutputTokens", "outputTokens") === 0
  );
}

/** What rotated a session, by the decision's sentence. */
function rotationKind(reason) {
  if (typeof reason !== "string") return "other";
  if (/^[\d.e+]+ consecutive failed zero-token reused runs on persisted session /.test(reason)) return "fork_breaker";
  if (/^[\d.e+]+ consecutive dead reused runs \(/.test(reason)) return "wider_breaker";
  if (reason.startsWith("session exceeded ") && reason.endsWith(" runs")) return "run_limit";
  if (reason.startsWith("session raw input reached ")) return "raw_input";
  if (reason.startsWith("session age reached ")) return "session_age";
  return "other";
}
const KIND_KEYS = {
  fork_breaker: "forkBreaker",
  wider_breaker: "widerBreaker",
  run_limit: "runLimit",
  raw_input: "rawInput",
  session_age: "sessionAge",
  other: "other",
};
const KIND_ORDER = Object.keys(KIND_KEYS);
const noRotations = () => ({ forkBreaker: 0, widerBreaker: 0, runLimit: 0, rawInput: 0, sessionAge: 0, other: 0 });

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/i;

function timeOf(v) {
  if (typeof v === "number") return new Date(v).getTime();
  if (typeof v === "string" && ISO.test(v)) return Date.parse(v);
  return NaN;
}

export class JsAuditor {
  constructor({ companyId, sinceMs, deadLivenessStates = ["failed"], countUnrecordedResumes = false } = {}) {
    const rule = { deadLivenessStates: [...deadLivenessStates], countUnrecordedResumes };
    Object.assign(this, {
      companyId,
      sinceMs,
      rule,
      sessions: new Map(),
      rotations: [],
      lines: 0,
      used: 0,
      filtered: 0,
      noSession: 0,
      skipped: 0,
      reasons: new Map(),
      firstErrors: [],
    });
  }

  skip(reason, detail) {
    this.skipped++;
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
    if (this.firstErrors.length < 10) this.firstErrors.push({ line: this.lines, reason, code: CODES[reason], detail });
  }

  line(text) {
    this.lines++;
    if (text.trim() === "") return;
    let row;
    try {
      row = JSON.parse(text);
    } catch (e) {
      return this.skip("malformed JSON", e.message);
    }
    if (!isRecord(row)) return this.skip("not a JSON object", "");
    const company = field(row, "company_id", "companyId");
    if (typeof company !== "string") return this.skip("company_id missing or not a string", String(company));
    const agent = field(row, "agent_id", "agentId");
    if (typeof agent !== "string") return this.skip("agent_id missing or not a string", String(agent));
    const at = timeOf(field(row, "created_at", "createdAt"));
    if (Number.isNaN(at)) return this.skip("created_at missing or not a time", "");
    const sessionValue = field(row, "session_id_after", "sessionIdAfter");
    if (sessionValue !== undefined && sessionValue !== null && typeof sessionValue !== "string")
      return this.skip("session_id_after not a string", "");
    if (
      (this.companyId !== undefined && this.companyId !== company) ||
      (this.sinceMs !== undefined && at < this.sinceMs)
    )
      return void this.filtered++;
    // The rotation the run records (the session rotated before it), with or without a session.
    const context = field(row, "context_snapshot", "contextSnapshot");
    const previous = isRecord(context) ? context.paperclipPreviousSessionId : undefined;
    if (typeof previous === "string" && previous.trim() !== "")
      this.rotations.push({
        companyId: company,
        agentId: agent,
        sessionId: previous,
        at,
        kind: rotationKind(context.paperclipSessionRotationReason),
      });
    const session = typeof sessionValue === "string" && sessionValue.trim() !== "" ? sessionValue : null;
    if (session === null) return void this.noSession++;
    this.used++;
    const key = JSON.stringify([company, agent, session]);
    let s = this.sessions.get(key);
    if (!s) this.sessions.set(key, (s = { companyId: company, agentId: agent, sessionId: session, runs: [] }));
    const liveness = field(row, "liveness_state", "livenessState");
    const usage = field(row, "usage_json", "usageJson");
    const before = field(row, "session_id_before", "sessionIdBefore");
    const dead = isDead(this.rule, liveness, usage, session, before);
    // In one of the rule's states after resuming the session, with no usage record: a rule that
    // does not count unrecorded resumes cannot see it.
    const unseen =
      !dead &&
      !this.rule.countUnrecordedResumes &&
      this.rule.deadLivenessStates.includes(liveness) &&
      before === session &&
      (usage === null || usage === undefined);
    s.runs.push([at, dead, unseen]);
  }

  finish() {
    const table = () =>
      Array.from({ length: THRESHOLDS }, (_, i) => ({
        threshold: i + 1,
        rotations: 0,
        deadRunsSaved: 0,
        recovered: 0,
      }));
    const whatIf = table();
    const whatIfWider = table();
    const streakLengths = new Map();
    const days = new Map();
    const closeStreak = (tableOf, length, recovered) => {
      for (const w of tableOf) {
        if (length < w.threshold) continue;
        w.rotations++;
        w.deadRunsSaved += length - w.threshold;
        w.recovered += recovered ? 1 : 0;
      }
    };
    const empty = () => ({
      sessions: 0,
      runs: 0,
      deadRuns: 0,
      unseenFailedRuns: 0,
      sessionsWithDeadStreak: 0,
      sessionsDeadNow: 0,
      sessionsRotatedDead: 0,
      rotations: noRotations(),
      deadRunsBeforeBreakerRotations: 0,
    });
    const add = (t, s) => {
      t.sessions++;
      t.runs += s.runs;
      t.deadRuns += s.deadRuns;
      t.unseenFailedRuns += s.unseenFailedRuns;
      t.sessionsWithDeadStreak += s.longestDeadStreak >= DEAD_NOW ? 1 : 0;
      t.sessionsDeadNow += s.deadNow ? 1 : 0;
      if (s.rotation) {
        t.sessionsRotatedDead += s.currentDeadStreak >= DEAD_NOW ? 1 : 0;
        if (s.rotation.kind === "fork_breaker" || s.rotation.kind === "wider_breaker")
          t.deadRunsBeforeBreakerRotations += s.currentDeadStreak;
      }
    };
    // Each session's latest rotation (at one time, the kind listed last wins).
    const latest = new Map();
    for (const r of this.rotations) {
      const key = JSON.stringify([r.companyId, r.agentId, r.sessionId]);
      const found = latest.get(key);
      if (
        !found ||
        r.at > found.at ||
        (r.at === found.at && KIND_ORDER.indexOf(r.kind) > KIND_ORDER.indexOf(found.kind))
      )
        latest.set(key, r);
    }
    const totals = empty();
    const agents = new Map();
    const sessions = [];
    for (const s of this.sessions.values()) {
      // By time; at one time a live run first, then a failed unseen one, then a dead one (the
      // audit's order for ties, whatever order the rows came in).
      const rank = ([, isDeadRun, isUnseen]) => (isDeadRun ? 2 : isUnseen ? 1 : 0);
      s.runs.sort((a, b) => a[0] - b[0] || rank(a) - rank(b));
      let dead = 0,
        unseen = 0,
        longest = 0,
        current = 0,
        wider = 0;
      const endStreak = (length, recovered) => {
        if (length === 0) return;
        streakLengths.set(length, (streakLengths.get(length) ?? 0) + 1);
        closeStreak(whatIf, length, recovered);
      };
      for (const [at, isDeadRun, isUnseen] of s.runs) {
        const day = new Date(at).toISOString().slice(0, 10);
        const d = days.get(day) ?? { day, runs: 0, deadRuns: 0, rotations: noRotations() };
        d.runs++;
        d.deadRuns += isDeadRun ? 1 : 0;
        days.set(day, d);
        if (isDeadRun) {
          dead++;
          current++;
          longest = Math.max(longest, current);
        } else {
          endStreak(current, true);
          current = 0;
        }
        if (isUnseen) unseen++;
        if (isDeadRun || isUnseen) wider++;
        else {
          closeStreak(whatIfWider, wider, true);
          wider = 0;
        }
      }
      endStreak(current, false);
      closeStreak(whatIfWider, wider, false);
      const first = s.runs[0][0];
      const last = s.runs.at(-1)[0];
      const rotated = latest.get(JSON.stringify([s.companyId, s.agentId, s.sessionId]));
      const rotation =
        rotated && rotated.at >= last
          ? { at: new Date(rotated.at).toISOString(), atMs: rotated.at, kind: rotated.kind }
          : null;
      const report = {
        companyId: s.companyId,
        agentId: s.agentId,
        sessionId: s.sessionId,
        runs: s.runs.length,
        deadRuns: dead,
        unseenFailedRuns: unseen,
        longestDeadStreak: longest,
        currentDeadStreak: current,
        deadNow: current >= DEAD_NOW && rotation === null,
        rotation,
        firstRunAt: new Date(first).toISOString(),
        lastRunAt: new Date(last).toISOString(),
        firstRunAtMs: first,
        lastRunAtMs: last,
      };
      sessions.push(report);
      add(totals, report);
      const agentKey = JSON.stringify([s.companyId, s.agentId]);
      if (!agents.has(agentKey)) agents.set(agentKey, { companyId: s.companyId, agentId: s.agentId, totals: empty() });
      add(agents.get(agentKey).totals, report);
    }
    // Every rotation counts for its run's agent, company and day.
    for (const r of this.rotations) {
      const k = KIND_KEYS[r.kind];
      totals.rotations[k]++;
      const agentKey = JSON.stringify([r.companyId, r.agentId]);
      if (!agents.has(agentKey)) agents.set(agentKey, { companyId: r.companyId, agentId: r.agentId, totals: empty() });
      agents.get(agentKey).totals.rotations[k]++;
      const day = new Date(r.at).toISOString().slice(0, 10);
      const d = days.get(day) ?? { day, runs: 0, deadRuns: 0, rotations: noRotations() };
      d.rotations[k]++;
      days.set(day, d);
    }
    const byKey =
      (...keys) =>
      (a, b) => {
        for (const k of keys) if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
        return 0;
      };
    sessions.sort(byKey("companyId", "agentId", "sessionId"));
    const agentList = [...agents.values()].sort(byKey("companyId", "agentId"));
    const companies = new Map();
    for (const a of agentList) {
      if (!companies.has(a.companyId))
        companies.set(a.companyId, { companyId: a.companyId, agents: 0, totals: empty() });
      const c = companies.get(a.companyId);
      c.agents++;
      for (const k of Object.keys(c.totals)) {
        if (k === "rotations")
          for (const kind of Object.keys(c.totals.rotations)) c.totals.rotations[kind] += a.totals.rotations[kind];
        else c.totals[k] += a.totals[k];
      }
    }
    return {
      deadRunRule: this.rule,
      lines: this.lines,
      rowsUsed: this.used,
      rowsFiltered: this.filtered,
      rowsWithoutSession: this.noSession,
      rowsSkipped: this.skipped,
      skippedByReason: [...this.reasons]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([reason, rows]) => ({ reason, code: CODES[reason], rows })),
      firstErrors: this.firstErrors,
      totals,
      companies: [...companies.values()],
      agents: agentList,
      sessions,
      sessionsOmitted: 0,
      newestRunAtMs: sessions.reduce(
        (newest, x) => (newest === null || x.lastRunAtMs > newest ? x.lastRunAtMs : newest),
        null,
      ),
      whatIf,
      whatIfWider,
      deadStreaks: [...streakLengths].sort(([a], [b]) => a - b).map(([length, streaks]) => ({ length, streaks })),
      days: [...days.values()].sort((a, b) => (a.day < b.day ? -1 : a.day > b.day ? 1 : 0)),
      deadNowAuthority: this.rotations.length > 0 ? "rotation_records" : "none",
    };
  }
}

/** Audits an NDJSON file (gzip by its name) with readline and JSON.parse. */
export async function auditFileJs(path, options) {
  const auditor = new JsAuditor(options);
  let input = createReadStream(path);
  if (path.endsWith(".gz")) input = input.pipe(createGunzip());
  for await (const line of createInterface({ input, crlfDelay: Infinity })) auditor.line(line);
  return auditor.finish();
}

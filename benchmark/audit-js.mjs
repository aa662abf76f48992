// The fleet audit in plain JavaScript (readline + JSON.parse), the same report as the native
// auditDeadSessions: the benchmark's baseline, and a second implementation for the tests.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";

const THRESHOLDS = 10;
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

function isDead(liveness, usage, session) {
  return (
    liveness === "failed" &&
    isRecord(usage) &&
    usage.sessionReused === true &&
    usage.persistedSessionId === session &&
    tokenCount(usage, "rawInputTokens", "inputTokens") === 0 &&
    tokenCount(usage, "rawCachedInputTokens", "cachedInputTokens") === 0 &&
    tokenCount(usage, "rawOutputTokens", "outputTokens") === 0
  );
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/i;

function timeOf(v) {
  if (typeof v === "number") return new Date(v).getTime();
  if (typeof v === "string" && ISO.test(v)) return Date.parse(v);
  return NaN;
}

export class JsAuditor {
  constructor({ companyId, sinceMs } = {}) {
    Object.assign(this, { companyId, sinceMs, sessions: new Map(), lines: 0, used: 0, filtered: 0, noSession: 0, skipped: 0, reasons: new Map(), firstErrors: [] });
  }

  skip(reason, detail) {
    this.skipped++;
    this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
    if (this.firstErrors.length < 10) this.firstErrors.push({ line: this.lines, reason, detail });
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
    if (sessionValue !== undefined && sessionValue !== null && typeof sessionValue !== "string") return this.skip("session_id_after not a string", "");
    if ((this.companyId !== undefined && this.companyId !== company) || (this.sinceMs !== undefined && at < this.sinceMs)) return void this.filtered++;
    const session = typeof sessionValue === "string" && sessionValue.trim() !== "" ? sessionValue : null;
    if (session === null) return void this.noSession++;
    this.used++;
    const key = `${company}\u001f${agent}\u001f${session}\u001f`;
    let s = this.sessions.get(key);
    if (!s) this.sessions.set(key, (s = { companyId: company, agentId: agent, sessionId: session, runs: [] }));
    s.runs.push([at, isDead(field(row, "liveness_state", "livenessState"), field(row, "usage_json", "usageJson"), session)]);
  }

  finish() {
    const whatIf = Array.from({ length: THRESHOLDS }, (_, i) => ({ threshold: i + 1, rotations: 0, deadRunsSaved: 0 }));
    const closeStreak = (length) => {
      for (const w of whatIf) if (length >= w.threshold) (w.rotations++, (w.deadRunsSaved += length - w.threshold));
    };
    const empty = () => ({ sessions: 0, runs: 0, deadRuns: 0, sessionsWithDeadStreak: 0, sessionsDeadNow: 0 });
    const add = (t, s) => {
      t.sessions++;
      t.runs += s.runs;
      t.deadRuns += s.deadRuns;
      t.sessionsWithDeadStreak += s.longestDeadStreak >= DEAD_NOW ? 1 : 0;
      t.sessionsDeadNow += s.deadNow ? 1 : 0;
    };
    const totals = empty();
    const agents = new Map();
    const sessions = [];
    for (const s of this.sessions.values()) {
      s.runs.sort((a, b) => a[0] - b[0]); // stable: equal times keep their input order
      let dead = 0, longest = 0, current = 0;
      for (const [, isDeadRun] of s.runs) {
        if (isDeadRun) {
          dead++;
          current++;
          longest = Math.max(longest, current);
        } else {
          closeStreak(current);
          current = 0;
        }
      }
      closeStreak(current);
      const report = { companyId: s.companyId, agentId: s.agentId, sessionId: s.sessionId, runs: s.runs.length, deadRuns: dead, longestDeadStreak: longest, currentDeadStreak: current, deadNow: current >= DEAD_NOW, firstRunAt: s.runs[0][0], lastRunAt: s.runs.at(-1)[0] };
      sessions.push(report);
      add(totals, report);
      const agentKey = `${s.companyId}\u001f${s.agentId}`;
      if (!agents.has(agentKey)) agents.set(agentKey, { companyId: s.companyId, agentId: s.agentId, totals: empty() });
      add(agents.get(agentKey).totals, report);
    }
    const byKey = (...keys) => (a, b) => {
      for (const k of keys) if (a[k] !== b[k]) return a[k] < b[k] ? -1 : 1;
      return 0;
    };
    sessions.sort(byKey("companyId", "agentId", "sessionId"));
    const agentList = [...agents.values()].sort(byKey("companyId", "agentId"));
    const companies = new Map();
    for (const a of agentList) {
      if (!companies.has(a.companyId)) companies.set(a.companyId, { companyId: a.companyId, agents: 0, totals: empty() });
      const c = companies.get(a.companyId);
      c.agents++;
      for (const k of Object.keys(c.totals)) c.totals[k] += a.totals[k];
    }
    return {
      lines: this.lines,
      rowsUsed: this.used,
      rowsFiltered: this.filtered,
      rowsWithoutSession: this.noSession,
      rowsSkipped: this.skipped,
      skippedByReason: [...this.reasons].sort(([a], [b]) => (a < b ? -1 : 1)).map(([reason, rows]) => ({ reason, rows })),
      firstErrors: this.firstErrors,
      totals,
      companies: [...companies.values()],
      agents: agentList,
      sessions,
      whatIf,
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

// Drives heartbeats through a released @paperclipai/server's own heartbeatService, with a
// scripted test adapter, and prints what each heartbeat handed the adapter and wrote, as JSON.
// Runs under Node 24 (the server needs it), from this fixture project's node_modules:
//
//   node drive.mjs --server DIR --database URL --out FILE [--native PKG] [--history NAME …]
//
// DIR is an installed @paperclipai/server (as released, or swapped); URL an empty database of
// its own (the server's migrations are applied); FILE receives the observations (the server
// logs on stdout). With --native (this package's folder), each heartbeat also carries the
// decisions our core makes from the rows the service read for it, to set beside the service's
// own. Paperclip's own test helpers are not in the package: this is ours.
import { randomUUID } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { agentRuntimeState, agents, applyPendingMigrations, companies, createDb, heartbeatRuns } from "@paperclipai/db";
import { resolveSessionCompactionPolicy } from "@paperclipai/adapter-utils";
import { and, asc, desc, eq, inArray, not, sql } from "drizzle-orm";
import { HISTORIES } from "./histories.mjs";

const { values } = parseArgs({
  options: {
    server: { type: "string" },
    database: { type: "string" },
    out: { type: "string" },
    native: { type: "string" },
    history: { type: "string", multiple: true },
  },
});
if (!values.server || !values.database || !values.out)
  throw new Error("usage: drive.mjs --server DIR --database URL --out FILE [--history NAME …]");

// The service reads these at run time; no server is started, so they are pinned here.
process.env.PAPERCLIP_HOME = mkdtempSync(path.join(tmpdir(), "pcsc-paperclip-home-"));
process.env.PAPERCLIP_API_URL = "http://127.0.0.1:9/api";
// The directory a session works in, which local adapters keep in the session's parameters: a
// resumed run then works there, and the server logs no fallback-workspace line to its stdout
// (a line the liveness classifier would count as output, so no run could be an empty response).
const SESSION_CWD = path.join(process.env.PAPERCLIP_HOME, "session-workspace");
mkdirSync(SESSION_CWD);

await applyPendingMigrations(values.database);
const load = (file) => import(pathToFileURL(path.join(values.server, "dist", file)).href);
const { heartbeatService } = await load("services/heartbeat.js");
const { registerServerAdapter } = await load("adapters/registry.js");
const db = createDb(values.database);
const native = values.native ? createRequire(import.meta.url)(path.resolve(values.native)) : null;

/** What the adapter was handed, by run id, and what it is to answer next. */
const handed = new Map();
const answers = [];

/** Session parameters as observed, the driver's own session directory by a name. */
function sessionParamsShown(params) {
  return params?.cwd === SESSION_CWD ? { ...params, cwd: "(the session workspace)" } : params;
}

/** What a scripted step makes the adapter answer. */
function answer(step) {
  const session = step.session
    ? {
        sessionId: step.session,
        sessionParams: { sessionId: step.session, cwd: SESSION_CWD },
        sessionDisplayId: step.session,
      }
    : {};
  const usage = {
    inputTokens: step.inputTokens ?? 0,
    cachedInputTokens: step.cachedInputTokens ?? 0,
    outputTokens: step.outputTokens ?? 0,
  };
  const common = { signal: null, timedOut: false, provider: "test", model: "test-model", usage, ...session };
  return step.ok
    ? { ...common, exitCode: 0, summary: step.summary ?? "Did the work." }
    : { ...common, exitCode: 1, errorMessage: step.error ?? "resume failed", summary: "" };
}

for (const type of new Set(Object.values(HISTORIES).map((h) => h.adapterType))) {
  registerServerAdapter({
    type,
    execute: async (ctx) => {
      handed.set(ctx.runId, {
        session: ctx.runtime?.sessionId ?? null,
        // The session's directory differs from driver to driver: named, not given.
        sessionParams: sessionParamsShown(ctx.runtime?.sessionParams ?? null),
        handoff: ctx.context?.paperclipSessionHandoffMarkdown ?? null,
        rotationReason: ctx.context?.paperclipSessionRotationReason ?? null,
        previousSession: ctx.context?.paperclipPreviousSessionId ?? null,
      });
      const next = answers.shift();
      if (!next) throw new Error("the history ran out of answers");
      return answer(next);
    },
    testEnvironment: async () => ({
      adapterType: type,
      status: "pass",
      checks: [],
      testedAt: new Date(0).toISOString(),
    }),
  });
}

const heartbeat = heartbeatService(db);

const pause = () => new Promise((resolve) => setTimeout(resolve, 25));

/**
 * The run once the service is done with it: ended, and its liveness written (the service
 * classifies a run after it ends, so the next heartbeat must not start before that).
 */
async function settled(runId) {
  for (let i = 0; i < 4800; i++) {
    const run = await heartbeat.getRun(runId);
    if (run && run.status !== "queued" && run.status !== "running") {
      await heartbeat.drainActiveRunExecutions();
      const [row] = await db.select().from(heartbeatRuns).where(eq(heartbeatRuns.id, runId));
      if (row.livenessState !== null) return row;
    }
    await pause();
  }
  throw new Error(`run ${runId} did not end with a liveness in 120 s`);
}

async function newCompany() {
  const id = randomUUID();
  await db.insert(companies).values({
    id,
    name: "Swap test",
    issuePrefix: `S${id.replace(/-/g, "").slice(0, 7).toUpperCase()}`,
    requireBoardApprovalForNewAgents: false,
    defaultResponsibleUserId: "swap-test-user",
  });
  return id;
}

/** Moves an agent's oldest run back by `hours`, so the session looks that much older. */
async function ageOldestRun(agentId, hours) {
  const [oldest] = await db
    .select({ id: heartbeatRuns.id })
    .from(heartbeatRuns)
    .where(eq(heartbeatRuns.agentId, agentId))
    .orderBy(asc(heartbeatRuns.createdAt))
    .limit(1);
  await db
    .update(heartbeatRuns)
    .set({ createdAt: sql`${heartbeatRuns.createdAt} - make_interval(hours => ${hours})` })
    .where(eq(heartbeatRuns.id, oldest.id));
}

/** Whether the agent's newest runs of `session`, read without the company, are another company's. */
async function foreignRunsAtHead(companyId, agentId, session, count) {
  const head = await db
    .select({ companyId: heartbeatRuns.companyId })
    .from(heartbeatRuns)
    .where(and(eq(heartbeatRuns.agentId, agentId), eq(heartbeatRuns.sessionIdAfter, session)))
    .orderBy(desc(heartbeatRuns.createdAt))
    .limit(count);
  return head.length === count && head.every((run) => run.companyId !== companyId);
}

/** Writes dead runs of the agent's session as if another company had them (imported data). */
async function plantForeignDeadRuns(agentId, session, count) {
  const otherCompany = await newCompany();
  for (let i = 0; i < count; i++) {
    await db.insert(heartbeatRuns).values({
      companyId: otherCompany,
      agentId,
      status: "failed",
      livenessState: "failed",
      sessionIdBefore: session,
      sessionIdAfter: session,
      usageJson: {
        sessionReused: true,
        persistedSessionId: session,
        inputTokens: 0,
        cachedInputTokens: 0,
        outputTokens: 0,
      },
      // An hour ahead: at the head of the session for the whole history.
      createdAt: new Date(Date.now() + 3_600_000 + 1000 * i),
    });
  }
}

/** The run log's text: its lines are JSON entries whose `chunk` is what was written. */
function logText(content) {
  return String(content ?? "")
    .split("\n")
    .map((line) => {
      try {
        const entry = JSON.parse(line);
        return typeof entry?.chunk === "string" ? entry.chunk : "";
      } catch {
        return line;
      }
    })
    .join("");
}

/**
 * What our core decides for heartbeat `runId`, given the rows the released service reads for
 * it: the agent's runs of the evaluated session (any company, as the released query reads them)
 * that existed when it was evaluated, newest first, as many as its fetch limit, and the policy
 * the server's own adapter-utils resolves. `policy` is the decision without the breaker (the
 * runs' liveness left out), `withBreaker` the whole of it.
 */
async function ourDecisions(agent, runId, later, handedNow) {
  const sessionId = handedNow.previousSession ?? handedNow.session;
  if (!sessionId) return null;
  const policy = resolveSessionCompactionPolicy(agent.adapterType, agent.runtimeConfig).policy;
  const fetchLimit = Math.max(policy.maxSessionRuns > 0 ? policy.maxSessionRuns + 1 : 0, 4);
  const unseen = [runId, ...later];
  const seen = and(
    eq(heartbeatRuns.agentId, agent.id),
    eq(heartbeatRuns.sessionIdAfter, sessionId),
    not(inArray(heartbeatRuns.id, unseen)),
  );
  const runs = await db
    .select({
      id: heartbeatRuns.id,
      createdAt: heartbeatRuns.createdAt,
      usageJson: heartbeatRuns.usageJson,
      error: heartbeatRuns.error,
      livenessState: heartbeatRuns.livenessState,
      resultSummary: sql`left(${heartbeatRuns.resultJson} ->> 'summary', 500)`,
      resultResult: sql`left(${heartbeatRuns.resultJson} ->> 'result', 500)`,
      resultMessage: sql`left(${heartbeatRuns.resultJson} ->> 'message', 500)`,
    })
    .from(heartbeatRuns)
    .where(seen)
    .orderBy(desc(heartbeatRuns.createdAt))
    .limit(fetchLimit);
  const [oldestRun = null] = await db
    .select({ id: heartbeatRuns.id, createdAt: heartbeatRuns.createdAt })
    .from(heartbeatRuns)
    .where(seen)
    .orderBy(asc(heartbeatRuns.createdAt), asc(heartbeatRuns.id))
    .limit(1);
  const input = {
    agent,
    sessionId,
    issueId: null,
    continuationSummaryBody: null,
    oldestRun: policy.maxSessionAgeHours > 0 ? oldestRun : undefined,
    policy,
  };
  const decide = (rows) => {
    const d = native.evaluateSessionCompaction({ ...input, runs: rows });
    return { rotationReason: d.reason, handoff: d.handoffMarkdown };
  };
  return { policy: decide(runs.map(({ livenessState: _, ...run }) => run)), withBreaker: decide(runs) };
}

/** One history on a company and agent of its own; a heartbeat's observation per step. */
async function drive(name, history) {
  const companyId = await newCompany();
  const agentId = randomUUID();
  await db.insert(agents).values({
    id: agentId,
    companyId,
    name: `Agent ${name}`,
    role: "engineer",
    status: "idle",
    adapterType: history.adapterType,
    adapterConfig: {},
    runtimeConfig: history.runtimeConfig ?? {},
    permissions: {},
  });
  const observed = [];
  const runIds = [];
  for (const step of history.steps) {
    if (step.ageOldestRunHours) await ageOldestRun(agentId, step.ageOldestRunHours);
    if (step.plantForeignDeadRuns) {
      const { session, count } = step.plantForeignDeadRuns;
      await plantForeignDeadRuns(agentId, session, count);
      observed.push({ foreignRunsAtHead: await foreignRunsAtHead(companyId, agentId, session, count) });
    }
    if (!step.answer) continue;
    answers.push(step.answer);
    const queued = await heartbeat.invoke(agentId, "on_demand", history.context ?? {}, "manual");
    const row = await settled(queued.id);
    runIds.push(row.id);
    const log = await heartbeat.readLog(row.id).catch(() => ({ content: "" }));
    const [runtime] = await db
      .select({ sessionId: agentRuntimeState.sessionId })
      .from(agentRuntimeState)
      .where(eq(agentRuntimeState.agentId, agentId));
    observed.push({
      handed: handed.get(row.id) ?? null,
      status: row.status,
      livenessState: row.livenessState,
      sessionIdBefore: row.sessionIdBefore,
      sessionIdAfter: row.sessionIdAfter,
      sessionRotated: row.usageJson?.sessionRotated ?? null,
      sessionRotationReason: row.usageJson?.sessionRotationReason ?? null,
      runtimeSessionAfter: runtime?.sessionId ?? null,
      freshSessionWarnings: logText(log.content)
        .split("\n")
        .filter((line) => line.includes("Starting a fresh session because")),
    });
  }
  await heartbeat.drainActiveRunExecutions();
  if (native) {
    const [agent] = await db.select().from(agents).where(eq(agents.id, agentId));
    const heartbeatsSeen = observed.filter((o) => "handed" in o);
    for (const [k, o] of heartbeatsSeen.entries())
      o.ours = await ourDecisions(agent, runIds[k], runIds.slice(k + 1), o.handed);
  }
  return observed;
}

const names = values.history ?? Object.keys(HISTORIES);
const report = {};
for (const name of names) report[name] = await drive(name, HISTORIES[name]);
writeFileSync(values.out, `${JSON.stringify(report)}\n`);
process.exit(0);

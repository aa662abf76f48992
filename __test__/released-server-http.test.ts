// The swap as an operator meets it: the released @paperclipai/server started for real
// (`node dist/index.js`, local_trusted, on the suite's throwaway PostgreSQL, under Node 24),
// driven only through its HTTP API, with `claude_local` agents whose CLI is a fake that fails
// its resumes in one way per agent. The server runs as released, is swapped while it runs (the
// next dead heartbeat still resumes: nothing changes until a restart), is restarted swapped,
// then reverted and restarted again. Every heartbeat is asserted by what the CLI was started
// with (`--resume ID` or a fresh session) and what the run row says.
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain JavaScript without declarations
import { nodeBinary } from "../scripts/node-binary.mjs";
// @ts-expect-error: plain JavaScript without declarations
import { FIXTURE, installReleasedServer, serverTwin } from "../scripts/released-server.mjs";
import { type Server, freePort, startPostgres } from "./postgres";

const root = path.join(__dirname, "..");
const swapCli = path.join(root, "bin", "paperclip-session-swap.mjs");
const fakeCli = path.join(__dirname, "released-server", "fake-claude-cli.mjs");
const FORK_REASON = (session: string) => `3 consecutive failed zero-token reused runs on persisted session ${session}`;

type Mode = "error-zero" | "silent" | "empty-success" | "ok";
type Agent = { id: string; name: string; cwd: string };
type Run = {
  id: string;
  status: string;
  livenessState: string | null;
  sessionIdBefore: string | null;
  sessionIdAfter: string | null;
  usageJson: Record<string, unknown> | null;
  contextSnapshot: Record<string, unknown> | null;
  error: string | null;
};
/** One heartbeat: what the CLI was asked to resume (null: a fresh session), and the run row. */
type Heartbeat = { resumed: string | null; run: Run; log: string };

let postgres: Server;
let node24: string;
let work: string;
let twin: string;
let home: string;
let port: number;
let databaseUrl: string;
let server: ChildProcess | null = null;
let serverLog: string;
let companyId: string;

const api = (p: string) => `http://127.0.0.1:${port}/api${p}`;

async function call<T>(method: "GET" | "POST", p: string, body?: unknown): Promise<T> {
  const response = await fetch(
    api(p),
    body === undefined
      ? { method }
      : { method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) },
  );
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${p}: ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text) as T;
}

/** Starts the server under Node 24 as an operator would (`node dist/index.js`), and waits for its health route. */
async function startServer() {
  const out = openSync(serverLog, "a");
  server = spawn(node24, [path.join(twin, "dist", "index.js")], {
    cwd: work,
    stdio: ["ignore", out, out],
    env: {
      ...process.env,
      PATH: `${path.dirname(node24)}${path.delimiter}${process.env.PATH}`,
      DATABASE_URL: databaseUrl,
      PAPERCLIP_HOME: home,
      PORT: String(port),
      HOST: "127.0.0.1",
      PAPERCLIP_DEPLOYMENT_MODE: "local_trusted",
      SERVE_UI: "false",
      // No timer heartbeats: every run here is one the test asked for.
      HEARTBEAT_SCHEDULER_ENABLED: "false",
      PAPERCLIP_DB_BACKUP_ENABLED: "false",
    },
  });
  const exited = new Promise<never>((_, reject) =>
    server!.once("exit", (code) =>
      reject(
        new Error(`the server exited (${code}) before it answered: ${readFileSync(serverLog, "utf8").slice(-2000)}`),
      ),
    ),
  );
  const healthy = (async () => {
    for (;;) {
      try {
        const health = await call<{ status: string }>("GET", "/health");
        if (health.status === "ok") return;
      } catch {
        // not listening yet
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  await Promise.race([healthy, exited]);
}

async function stopServer() {
  const running = server;
  server = null;
  if (!running || running.exitCode !== null) return;
  const exited = new Promise((resolve) => running.once("exit", resolve));
  running.kill("SIGTERM");
  const timer = setTimeout(() => running.kill("SIGKILL"), 20_000);
  await exited;
  clearTimeout(timer);
}

async function restartServer() {
  await stopServer();
  await startServer();
}

/** An agent of the company whose CLI fails its resumes as `mode` says, with `runtimeConfig`. */
async function agent(name: string, mode: Mode, runtimeConfig: Record<string, unknown> = {}): Promise<Agent> {
  const cwd = path.join(work, "agents", name);
  mkdirSync(cwd, { recursive: true });
  writeFileSync(path.join(cwd, "fake-cli-mode"), mode);
  const created = await call<{ id: string }>("POST", `/companies/${companyId}/agents`, {
    name,
    role: "engineer",
    adapterType: "claude_local",
    adapterConfig: { engine: "cli", command: fakeCli, cwd },
    runtimeConfig,
  });
  return { id: created.id, name, cwd };
}

const calls = (a: Agent): { resume: string | null }[] =>
  readFileSync(path.join(a.cwd, "calls.ndjson"), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line));

/** The run log as text: its lines are JSON entries whose `chunk` is what was written. */
function logText(content: string) {
  return content
    .split("\n")
    .map((line) => {
      try {
        return String(JSON.parse(line)?.chunk ?? "");
      } catch {
        return line;
      }
    })
    .join("");
}

/** Wakes the agent through the API and waits until its run has ended and its liveness is written. */
async function heartbeat(a: Agent): Promise<Heartbeat> {
  const before = (() => {
    try {
      return calls(a).length;
    } catch {
      return 0;
    }
  })();
  const queued = await call<{ id: string }>("POST", `/agents/${a.id}/wakeup`, {
    source: "on_demand",
    triggerDetail: "manual",
    reason: "swap test",
  });
  for (let i = 0; i < 2400; i++) {
    const run = await call<Run>("GET", `/heartbeat-runs/${queued.id}`);
    if (run.status !== "queued" && run.status !== "running" && run.livenessState !== null) {
      const made = calls(a).slice(before);
      expect(made, `${a.name}: one CLI call a heartbeat`).toHaveLength(1);
      const log = await call<{ content?: string }>("GET", `/heartbeat-runs/${run.id}/log`).catch(() => ({
        content: "",
      }));
      return { resumed: made[0].resume, run, log: logText(log.content ?? "") };
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${a.name}: the run ${queued.id} did not end`);
}

async function heartbeats(a: Agent, count: number) {
  const done: Heartbeat[] = [];
  for (let i = 0; i < count; i++) done.push(await heartbeat(a));
  return done;
}

const swap = (...args: string[]) => spawnSync(process.execPath, [swapCli, ...args], { encoding: "utf8" });
const shape = (h: Heartbeat) => [
  h.run.status,
  h.run.livenessState,
  h.run.usageJson === null ? "no usage" : `${h.run.usageJson.inputTokens}+${h.run.usageJson.outputTokens} tokens`,
];
const rotatedFrom = (h: Heartbeat) => ({
  resumed: h.resumed,
  previous: h.run.contextSnapshot?.paperclipPreviousSessionId ?? null,
  reason: h.run.contextSnapshot?.paperclipSessionRotationReason ?? null,
});

// The agents and what each phase saw.
const seen: Record<string, Heartbeat[]> = {};
let agents: Record<string, Agent>;
let swappedWhileRunning: { status: number | null; stdout: string };
let reverted: { status: number | null; stdout: string };

beforeAll(async () => {
  installReleasedServer();
  node24 = nodeBinary("24");
  work = mkdtempSync(path.join(tmpdir(), "pcsc-http-"));
  home = path.join(work, "paperclip-home");
  serverLog = path.join(work, "server.log");
  twin = serverTwin(path.join(FIXTURE, ".twins", `http-${process.pid}`));
  postgres = await startPostgres();
  await postgres.pool.query("create database paperclip");
  databaseUrl = `postgres://postgres@127.0.0.1:${postgres.port}/paperclip`;
  port = await freePort();

  // As released.
  await startServer();
  companyId = (await call<{ id: string }>("POST", "/companies", { name: "Swap over HTTP" })).id;
  agents = {
    forkDead: await agent("fork-dead", "error-zero"),
    silentNoConfig: await agent("silent-no-config", "silent"),
    silentUnrecorded: await agent("silent-unrecorded", "silent", {
      heartbeat: { deadSessionBreaker: { countUnrecordedResumes: true } },
    }),
    emptyWide: await agent("empty-wide", "empty-success", {
      heartbeat: {
        deadSessionBreaker: { deadLivenessStates: ["failed", "empty_response"], countUnrecordedResumes: true },
      },
    }),
    mistyped: await agent("mistyped", "error-zero", {
      heartbeat: { deadSessionBreaker: { deadLivenessStates: "failed" } },
    }),
    healthy: await agent("healthy", "ok"),
  };
  for (const [name, a] of Object.entries(agents)) seen[name] = await heartbeats(a, 5);

  // Swapped while it runs: the server keeps the service it loaded.
  swappedWhileRunning = swap(twin);
  seen.forkDeadBeforeRestart = [await heartbeat(agents.forkDead)];

  // Restarted, swapped.
  await restartServer();
  for (const name of Object.keys(agents))
    seen[`${name}Swapped`] = await heartbeats(agents[name], name === "mistyped" ? 2 : 1);
  agents.freshForkDead = await agent("fresh-fork-dead", "error-zero");
  seen.freshForkDead = await heartbeats(agents.freshForkDead, 5);

  // Reverted and restarted: released again.
  reverted = swap(twin, "--revert");
  await restartServer();
  agents.afterRevert = await agent("after-revert", "error-zero");
  seen.afterRevert = await heartbeats(agents.afterRevert, 5);
}, 900_000);

afterAll(async () => {
  await stopServer();
  await postgres?.stop();
  if (twin) rmSync(path.dirname(path.dirname(path.dirname(twin))), { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("the released server over its HTTP API, claude_local agents", () => {
  it("as released, a session resumed into three failed zero-token runs is resumed a fourth time", () => {
    const runs = seen.forkDead;
    const session = runs[0].run.sessionIdAfter!;
    expect(runs[0].resumed).toBeNull();
    expect(runs.slice(1, 4).map(shape)).toEqual(Array(3).fill(["failed", "failed", "0+0 tokens"]));
    expect(runs.slice(1, 5).map((h) => h.resumed)).toEqual([session, session, session, session]);
    expect(runs[4].run.usageJson?.sessionReused).toBe(true);
  });

  it("swapped while running, the next heartbeat is still the released one: the swap says to restart", () => {
    expect(swappedWhileRunning.status).toBe(0);
    expect(swappedWhileRunning.stdout).toContain("Restart the server now");
    const session = seen.forkDead[0].run.sessionIdAfter!;
    expect(seen.forkDeadBeforeRestart[0].resumed).toBe(session);
  });

  it("restarted swapped, the dead session is rotated on the next heartbeat, with the fork's reason and the log line", () => {
    const session = seen.forkDead[0].run.sessionIdAfter!;
    const [next] = seen.forkDeadSwapped;
    expect(rotatedFrom(next)).toEqual({ resumed: null, previous: session, reason: FORK_REASON(session) });
    expect(next.run.sessionIdAfter).not.toBe(session);
    expect(next.log).toContain(`Starting a fresh session because ${FORK_REASON(session)}.`);
  });

  it("a fresh agent on the swapped server: one fresh run, three dead resumes, and the fourth resume is a fresh session", () => {
    const runs = seen.freshForkDead;
    const session = runs[0].run.sessionIdAfter!;
    expect(runs.map((h) => h.resumed)).toEqual([null, session, session, session, null]);
    expect(runs.slice(1, 4).map(shape)).toEqual(Array(3).fill(["failed", "failed", "0+0 tokens"]));
    expect(rotatedFrom(runs[4])).toEqual({ resumed: null, previous: session, reason: FORK_REASON(session) });
  });

  it("a CLI that exits 0 printing nothing: failed runs with no usage record, caught only by countUnrecordedResumes", () => {
    for (const name of ["silentNoConfig", "silentUnrecorded"]) {
      expect(seen[name].slice(1).map(shape)).toEqual(Array(4).fill(["failed", "failed", "no usage"]));
    }
    const session = seen.silentNoConfig[0].run.sessionIdAfter!;
    // The fork's rule does not see them: resumed, swapped or not.
    expect(seen.silentNoConfigSwapped[0].resumed).toBe(session);
    const unrecorded = seen.silentUnrecorded[0].run.sessionIdAfter!;
    // Four dead runs by then: the tally names the three the number does.
    const reason = `3 consecutive dead reused runs (3 failed with no usage record) on persisted session ${unrecorded}`;
    expect(rotatedFrom(seen.silentUnrecordedSwapped[0])).toEqual({ resumed: null, previous: unrecorded, reason });
  });

  it("an empty success result: 'advanced' on this release (its environment lease is logged as activity), so no option catches it", () => {
    expect(seen.emptyWide.slice(1).map(shape)).toEqual(Array(4).fill(["succeeded", "advanced", "0+0 tokens"]));
    const session = seen.emptyWide[0].run.sessionIdAfter!;
    expect(seen.emptyWideSwapped[0].resumed).toBe(session);
  });

  it("a mistyped breaker config is set aside: the fork's breaker applies, and the server's logger says so once", () => {
    const session = seen.mistyped[0].run.sessionIdAfter!;
    expect(rotatedFrom(seen.mistypedSwapped[0])).toEqual({
      resumed: null,
      previous: session,
      reason: FORK_REASON(session),
    });
    const warnings = readFileSync(serverLog, "utf8")
      .split("\n")
      .filter((line) => line.includes("deadSessionBreaker set aside"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(agents.mistyped.id);
  });

  it("a healthy session is resumed as released, swapped or not", () => {
    const session = seen.healthy[0].run.sessionIdAfter!;
    expect([...seen.healthy.slice(1), ...seen.healthySwapped].map((h) => h.resumed)).toEqual(Array(5).fill(session));
    expect(seen.healthySwapped[0].run.contextSnapshot?.paperclipSessionRotationReason ?? null).toBeNull();
  });

  it("reverted and restarted, the server is the released one again", () => {
    expect(reverted.status).toBe(0);
    expect(reverted.stdout).toContain("Restart the server now");
    const runs = seen.afterRevert;
    const session = runs[0].run.sessionIdAfter!;
    expect(runs.map((h) => h.resumed)).toEqual([null, session, session, session, session]);
  });
});

// The swap inside the server Paperclip ships: `@paperclipai/server` as published on npm (the
// fixture project's pinned release), its own heartbeatService driving heartbeats through a
// scripted adapter on a real PostgreSQL, under Node 24 (the server's engine), twice: as
// released, and swapped by `paperclip-session-swap`, the script operators run.
import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain JavaScript without declarations
import { nodeBinary } from "../scripts/node-binary.mjs";
// @ts-expect-error: plain JavaScript without declarations
import {
  FIXTURE,
  RELEASED_SERVER,
  SERVER_VERSION,
  installReleasedServer,
  serverTwin,
} from "../scripts/released-server.mjs";
// @ts-expect-error: plain JavaScript without declarations
import { SESSIONS } from "./released-server/histories.mjs";
import { checkServer, compareDecisions, driveHistories } from "../scripts/upstream-server.mts";
import { native } from "./native";
import { type Server, startPostgres } from "./postgres";

const root = path.join(__dirname, "..");
const swapCli = path.join(root, "bin", "paperclip-session-swap.mjs");
const heartbeatFile = (server: string) => path.join(server, "dist", "services", "heartbeat.js");

type Handed = {
  session: string | null;
  handoff: string | null;
  rotationReason: string | null;
  previousSession: string | null;
};
type Decision = { rotationReason: string | null; handoff: string | null };
type Heartbeat = {
  handed: Handed;
  ours?: { policy: Decision; withBreaker: Decision } | null;
  status: string;
  livenessState: string | null;
  sessionIdBefore: string | null;
  sessionIdAfter: string | null;
  sessionRotated: boolean | null;
  sessionRotationReason: string | null;
  runtimeSessionAfter: string | null;
  freshSessionWarnings: string[];
};
type Observed = Heartbeat | { foreignRunsAtHead: boolean };
type Report = Record<string, Observed[]>;

const { S1 } = SESSIONS as Record<string, string>;
const BREAKER_REASON = `3 consecutive failed zero-token reused runs on persisted session ${S1}`;
// Written out by hand from the service's handoff format: the previous session, the reason, the
// last run's error as its summary (the adapter gave no summary), the closing line.
const BREAKER_HANDOFF = [
  "Paperclip session handoff:",
  `- Previous session: ${S1}`,
  `- Rotation reason: ${BREAKER_REASON}`,
  "- Last run summary: could not resume the session",
  "Continue from the current task state. Rebuild only the minimum context you need.",
].join("\n");

const heartbeats = (observed: Observed[]) => observed.filter((o): o is Heartbeat => "handed" in o);
const swap = (...args: string[]) => spawnSync(process.execPath, [swapCli, ...args], { encoding: "utf8" });

let postgres: Server;
let node24: string;
let twins: string;
let swappedServer: string;
let released: Report;
let swapped: Report;

/** Runs every history through one server under Node 24, on a database of its own, with our core's decisions from the rows read for each heartbeat. */
const drive = (server: string, database: string): Promise<Report> =>
  driveHistories({
    project: FIXTURE,
    server,
    database: `postgres://postgres@127.0.0.1:${postgres.port}/${database}`,
    out: path.join(twins, `${database}.json`),
  }) as Promise<Report>;

beforeAll(async () => {
  installReleasedServer();
  node24 = nodeBinary("24");
  twins = path.join(FIXTURE, ".twins", String(process.pid));
  swappedServer = serverTwin(twins);
  const applied = swap(swappedServer);
  expect({ status: applied.status, stderr: applied.stderr }).toEqual({ status: 0, stderr: "" });
  postgres = await startPostgres();
  await postgres.pool.query("create database released");
  await postgres.pool.query("create database swapped");
  [released, swapped] = await Promise.all([drive(RELEASED_SERVER, "released"), drive(swappedServer, "swapped")]);
}, 900_000);

afterAll(async () => {
  await postgres?.stop();
  if (twins) rmSync(twins, { recursive: true, force: true });
});

describe(`@paperclipai/server ${SERVER_VERSION}, as released and swapped`, () => {
  it("runs under Node 24, the release the server declares", () => {
    const version = spawnSync(node24, ["--version"], { encoding: "utf8" }).stdout.trim();
    expect(version).toMatch(/^v24\./);
    const engines = JSON.parse(readFileSync(path.join(RELEASED_SERVER, "package.json"), "utf8")).engines?.node;
    expect(engines).toMatch(/24/);
  });

  it("as released, a session resumed into three dead runs is resumed a fourth time", () => {
    for (const name of ["deadSessionThresholded", "deadSessionManaged"]) {
      const runs = heartbeats(released[name]);
      expect(runs.slice(1, 4).map((r) => [r.status, r.livenessState, r.handed.session])).toEqual(
        Array(3).fill(["failed", "failed", S1]),
      );
      expect(runs[4].handed).toMatchObject({ session: S1, handoff: null, rotationReason: null });
      expect(runs[4].freshSessionWarnings).toEqual([]);
    }
  });

  it("swapped, the third dead run rotates the session: no session, the handoff note, the warning", () => {
    for (const name of ["deadSessionThresholded", "deadSessionManaged", "deadSessionThenNoSession"]) {
      const runs = heartbeats(swapped[name]);
      expect(runs.slice(1, 4).map((r) => [r.status, r.livenessState, r.handed.session])).toEqual(
        Array(3).fill(["failed", "failed", S1]),
      );
      expect(runs[4].handed).toEqual({
        session: null,
        sessionParams: null,
        handoff: BREAKER_HANDOFF,
        rotationReason: BREAKER_REASON,
        previousSession: S1,
      });
      expect(runs[4].freshSessionWarnings).toEqual([`[paperclip] Starting a fresh session because ${BREAKER_REASON}.`]);
      expect([runs[4].sessionIdBefore, runs[4].sessionRotated, runs[4].sessionRotationReason]).toEqual([
        null,
        true,
        BREAKER_REASON,
      ]);
    }
  });

  it("swapped, the rotated session is not written back as the fallback", () => {
    // The fresh run fails before any session exists; the next heartbeat starts fresh too.
    const swappedRuns = heartbeats(swapped.deadSessionThenNoSession);
    expect(swappedRuns[4].runtimeSessionAfter).toBeNull();
    expect(swappedRuns[5].handed.session).toBeNull();
    // As released, the same history resumes the dead session still.
    expect(heartbeats(released.deadSessionThenNoSession)[5].handed.session).toBe(S1);
  });

  it("every policy rotation is the released one, byte for byte", () => {
    const reasons = (report: Report, name: string) => heartbeats(report[name]).map((r) => r.handed.rotationReason);
    expect(reasons(released, "runLimit")).toEqual([null, null, null, "session exceeded 2 runs", null]);
    expect(reasons(released, "rawInput")).toEqual([
      null,
      "session raw input reached 1,250,000 tokens (threshold 1,000,000)",
      null,
    ]);
    expect(reasons(released, "sessionAge")).toEqual([null, null, "session age reached 3 hours", null]);
    for (const name of ["runLimit", "rawInput", "sessionAge"]) expect(swapped[name]).toEqual(released[name]);
  });

  it("every heartbeat that does not rotate is the released one, byte for byte", () => {
    for (const name of ["noRotation", "noRotationManaged", "noRotationDisabled"]) {
      const runs = heartbeats(released[name]);
      expect(runs.map((r) => r.handed.session)).toEqual([null, ...Array(runs.length - 1).fill(S1)]);
      expect(runs.map((r) => r.handed.handoff).filter((h) => h !== null)).toEqual([]);
      expect(swapped[name]).toEqual(released[name]);
    }
    // Before the breaker fires, the dead-session histories are the released ones too.
    for (const name of ["deadSessionThresholded", "deadSessionManaged", "deadSessionThenNoSession"])
      expect(swapped[name].slice(0, 4)).toEqual(released[name].slice(0, 4));
  });

  it("swapped, an agent's runtime config turns on the wider breaker: three empty responses rotate its session", () => {
    const reason = `3 consecutive dead reused runs (3 empty_response zero-token) on persisted session ${S1}`;
    for (const report of [released, swapped]) {
      const runs = heartbeats(report.emptyResponsesWideBreaker);
      expect(runs.slice(1, 4).map((r) => [r.status, r.livenessState, r.handed.session])).toEqual(
        Array(3).fill(["succeeded", "empty_response", S1]),
      );
    }
    const wide = heartbeats(swapped.emptyResponsesWideBreaker);
    expect(wide[4].handed).toMatchObject({ session: null, rotationReason: reason, previousSession: S1 });
    expect(wide[4].handed.handoff).toContain(`- Rotation reason: ${reason}\n`);
    expect(wide[4].freshSessionWarnings).toEqual([`[paperclip] Starting a fresh session because ${reason}.`]);
    // Released, the config is nothing to the server: the session is resumed a fourth time.
    expect(heartbeats(released.emptyResponsesWideBreaker)[4].handed).toMatchObject({
      session: S1,
      rotationReason: null,
    });
    // Without the config, or with values the core refuses, the swapped server is the released one.
    for (const name of ["emptyResponsesForkBreaker", "emptyResponsesMistypedBreaker"]) {
      expect(heartbeats(released[name])[4].handed).toMatchObject({ session: S1, rotationReason: null });
      expect(swapped[name]).toEqual(released[name]);
    }
    expect(swapped.emptyResponsesWideBreaker.slice(0, 4)).toEqual(released.emptyResponsesWideBreaker.slice(0, 4));
  });

  it("reads one company's runs: another company's dead runs of the agent's session count for nothing", () => {
    const planted = swapped.foreignDeadRuns.find((o) => "foreignRunsAtHead" in o);
    expect(planted).toEqual({ foreignRunsAtHead: true });
    expect(heartbeats(swapped.foreignDeadRuns).map((r) => r.handed.rotationReason)).toEqual([null, null, null, null]);
    expect(
      heartbeats(swapped.foreignDeadRuns)
        .slice(1)
        .map((r) => r.handed.session),
    ).toEqual([S1, S1, S1]);
  });
});

describe("our core, on the rows the released service reads", () => {
  it("decides every heartbeat as the released service did, the breaker aside", () => {
    const compared = compareDecisions(released);
    expect(compared.findings).toEqual([]);
    expect(compared.heartbeats).toBe(Object.values(released).flatMap(heartbeats).length);
    expect(compared.breakerRotations).toBeGreaterThan(0);
    expect(compared.serverRotatedThere).toBe(0);
  });

  it("rotates with the breaker exactly where, and as, the swapped server did", () => {
    for (const name of ["deadSessionThresholded", "deadSessionManaged", "deadSessionThenNoSession"]) {
      const ours = heartbeats(released[name])[4].ours!.withBreaker;
      const server = heartbeats(swapped[name])[4].handed;
      expect(ours).toEqual({ rotationReason: BREAKER_REASON, handoff: BREAKER_HANDOFF });
      expect({ rotationReason: server.rotationReason, handoff: server.handoff }).toEqual(ours);
    }
  });

  it("would count another company's runs if it read them as the released query does", () => {
    // Read without the company, the planted runs are a dead streak: the swap's company-scoped
    // read is what keeps the swapped server from rotating on them.
    expect(
      heartbeats(released.foreignDeadRuns)
        .slice(1)
        .map((r) => r.ours!.withBreaker.rotationReason),
    ).toEqual([BREAKER_REASON, BREAKER_REASON, BREAKER_REASON]);
  });
});

describe("check:upstream's server half", () => {
  it("names the heartbeat where a server's rule moved", async () => {
    const changedDir = path.join(twins, "changed-rule");
    const changed = serverTwin(changedDir);
    const file = heartbeatFile(changed);
    const text = readFileSync(file, "utf8");
    rmSync(file);
    writeFileSync(
      file,
      text.replace(
        "reason = `session exceeded ${policy.maxSessionRuns} runs`",
        "reason = `session went past ${policy.maxSessionRuns} runs`",
      ),
    );
    const check = await checkServer({ serverDir: changed, histories: ["runLimit", "noRotation"] });
    expect(check.version).toBe(SERVER_VERSION);
    expect(check.findings).toEqual([
      `runLimit, heartbeat 4: the server rotates ("session went past 2 runs"), ours rotates ("session exceeded 2 runs")`,
    ]);
  });

  it("sees a server that rotates dead sessions itself", async () => {
    const check = await checkServer({ serverDir: swappedServer, histories: ["deadSessionThresholded", "runLimit"] });
    expect(check).toMatchObject({ findings: [], breakerRotations: 1, serverRotatedThere: 1 });
  });

  it("reports no change on the release we match, through npm run check:upstream's command", () => {
    const r = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        path.join(root, "scripts", "check-upstream.mts"),
        "--package-dir",
        path.join(root, "node_modules", "adapter-utils-2026.916.1"),
        "--runs",
        "500",
        "--server-dir",
        RELEASED_SERVER,
      ],
      { cwd: root, encoding: "utf8" },
    );
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    expect(r.stdout).toContain(`@paperclipai/server@${SERVER_VERSION}`);
    expect(r.stdout.match(/no change/g)).toHaveLength(2);
    expect(r.stdout).toContain("it has no dead-session breaker");
  });
});

describe("the audit, on the databases the released server wrote", () => {
  // What the server did, run by run: each heartbeat it started after a rotation was handed the
  // rotated session and the decision's reason, which the server also wrote into the run's
  // context_snapshot. The audit must find exactly those rotations, of those kinds.
  const kindOf = (reason: string) =>
    /^\d+ consecutive failed zero-token reused runs on persisted session /.test(reason)
      ? "forkBreaker"
      : /^\d+ consecutive dead reused runs \(/.test(reason)
        ? "widerBreaker"
        : /^session exceeded \d+ runs$/.test(reason)
          ? "runLimit"
          : reason.startsWith("session raw input reached ")
            ? "rawInput"
            : reason.startsWith("session age reached ")
              ? "sessionAge"
              : "other";
  function rotationsBy(report: Report) {
    const counts = { forkBreaker: 0, widerBreaker: 0, runLimit: 0, rawInput: 0, sessionAge: 0, other: 0 } as Record<
      string,
      number
    >;
    for (const h of Object.values(report).flatMap(heartbeats))
      if (h.handed.rotationReason) counts[kindOf(h.handed.rotationReason)]++;
    return counts;
  }
  const pools: Record<string, import("pg").Pool> = {};
  const pool = async (database: string) => {
    const { default: pg } = await import("pg");
    pools[database] ??= new pg.Pool({ host: "127.0.0.1", port: postgres.port, user: "postgres", database, max: 4 });
    return pools[database];
  };
  const psqlCopy = (database: string, statement: string) => {
    const r = spawnSync(
      "psql",
      ["-X", "-q", "-h", "127.0.0.1", "-p", String(postgres.port), "-U", "postgres", "-d", database, "-c", statement],
      { maxBuffer: 1 << 28 },
    );
    expect(r.status, String(r.stderr)).toBe(0);
    return r.stdout;
  };
  afterAll(async () => {
    for (const p of Object.values(pools)) await p.end();
  });

  it("swapped: every rotation the server made, by kind, from the database; no session dead now, by the live pointers", async () => {
    const { auditDeadSessionsFromDatabase } = await import("../database.js");
    const expected = rotationsBy(swapped);
    expect(expected.forkBreaker + expected.widerBreaker).toBeGreaterThan(0);
    const report = await auditDeadSessionsFromDatabase(await pool("swapped"), {});
    expect(report.totals.rotations).toEqual(expected);
    expect(report.deadNowAuthority).toBe("live_pointers");
    expect(report.totals.sessionsDeadNow).toBe(0);
    // Each of the fork's rotations came after three dead runs of the session it rotated (the
    // audit's rule is the fork's: the wider breaker's empty responses are no dead runs to it).
    expect(report.totals.sessionsRotatedDead).toBe(expected.forkBreaker);
    expect(report.totals.deadRunsBeforeBreakerRotations).toBe(3 * expected.forkBreaker);
    const byFork = report.sessions.filter((x) => x.rotation?.kind === "fork_breaker");
    expect(byFork).toHaveLength(expected.forkBreaker);
    for (const s of byFork)
      expect({ deadNow: s.deadNow, currentDeadStreak: s.currentDeadStreak }).toEqual({
        deadNow: false,
        currentDeadStreak: 3,
      });
  });

  it("swapped: the same rotations from the row_to_json export, the narrow export and the SQL views; dead now by the records alone", async () => {
    const { auditExportStatement } = await import("../database.js");
    const expected = rotationsBy(swapped);
    const full = native.auditDeadSessionsSync(
      psqlCopy("swapped", "copy (select row_to_json(r) from heartbeat_runs r) to stdout"),
    );
    const narrow = native.auditDeadSessionsSync(psqlCopy("swapped", auditExportStatement()));
    for (const r of [full, narrow]) {
      expect(r.rowsSkipped).toBe(0);
      expect(r.totals.rotations).toEqual(expected);
      expect(r.deadNowAuthority).toBe("rotation_records");
    }
    expect(narrow.sessions).toEqual(full.sessions);
    // Without the live pointers, the only session dead now is the one planted as another
    // company's (no run of that company ever rotated it; no pointer names it either).
    expect(full.sessions.filter((s) => s.deadNow).map((s) => s.sessionId)).toEqual([S1]);
    const db = await pool("swapped");
    await db.query(readFileSync(path.join(root, "sql", "dead_sessions.sql"), "utf8"));
    await db.query("refresh materialized view paperclip_session_audit.dead_session_runs");
    const [t] = (await db.query("select * from paperclip_session_audit.dead_session_totals")).rows;
    expect({
      forkBreaker: Number(t.rotations_fork_breaker),
      widerBreaker: Number(t.rotations_wider_breaker),
      runLimit: Number(t.rotations_run_limit),
      rawInput: Number(t.rotations_raw_input),
      sessionAge: Number(t.rotations_session_age),
      other: Number(t.rotations_other),
    }).toEqual(expected);
    expect(Number(t.sessions_dead_now)).toBe(full.totals.sessionsDeadNow);
  });

  it("released (no breaker): only the policy's rotations, and the dead sessions it resumes are dead now", async () => {
    const { auditDeadSessionsFromDatabase } = await import("../database.js");
    const expected = rotationsBy(released);
    expect(expected.forkBreaker + expected.widerBreaker).toBe(0);
    const report = await auditDeadSessionsFromDatabase(await pool("released"), {});
    expect(report.totals.rotations).toEqual(expected);
    // The released server rotated none of the sessions it resumed into dead streaks: each one
    // ends on three dead runs and no rotation; it is dead now exactly while the server still
    // points at it (asked of the database here, apart from the audit).
    const endedDead = report.sessions.filter((x) => x.currentDeadStreak >= 3);
    expect(endedDead.length).toBeGreaterThanOrEqual(3);
    expect(endedDead.every((x) => x.rotation === null)).toBe(true);
    const db = await pool("released");
    const { rows } = await db.query(
      `select company_id::text as c, agent_id::text as a, session_id as s from agent_runtime_state where session_id is not null
       union select company_id::text, agent_id::text, session_params_json ->> 'sessionId' from agent_task_sessions where session_params_json ->> 'sessionId' is not null`,
    );
    const pointed = new Set(rows.map((r) => `${r.c}/${r.a}/${r.s}`));
    expect(report.sessions.filter((x) => x.deadNow).map((x) => x.sessionId)).toEqual(
      endedDead.filter((x) => pointed.has(`${x.companyId}/${x.agentId}/${x.sessionId}`)).map((x) => x.sessionId),
    );
    expect(report.totals.sessionsRotatedDead).toBe(0);
  });
});

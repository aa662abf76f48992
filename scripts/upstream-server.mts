// `npm run check:upstream`'s server half: is the newest released @paperclipai/server still
// deciding what our core decides? Installs that release (or takes `serverDir`), drives the
// end-to-end histories through its own heartbeatService under Node 24 on a throwaway
// PostgreSQL, and sets each heartbeat's decision beside the one our core makes from the rows the
// service read. A new rule (a changed count, a new reason, a different handoff) shows up as a
// named heartbeat that differs.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startPostgres } from "../__test__/postgres";
// @ts-expect-error: plain JavaScript without declarations
import { nodeBinary } from "./node-binary.mjs";
// @ts-expect-error: plain JavaScript without declarations
import { FIXTURE, RELEASED_SERVER, SERVER_VERSION, installReleasedServer } from "./released-server.mjs";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";
const DRIVER_FILES = ["drive.mjs", "histories.mjs"];

type Decision = { rotationReason: string | null; handoff: string | null };
type Observed = {
  handed?: Decision & { session: string | null };
  ours?: { policy: Decision; withBreaker: Decision } | null;
};

/** `breakerRotations`: the heartbeats where only our breaker rotates; `serverRotatedThere`: how many of those the server rotated the same way (a server that merged the breaker). */
export type ServerCheck = {
  version: string;
  heartbeats: number;
  findings: string[];
  breakerRotations: number;
  serverRotatedThere: number;
};

/** The newest stable release of the server on the registry. */
function newestRelease(): string {
  const versions: string[] = JSON.parse(
    execFileSync(npm, ["view", "@paperclipai/server", "versions", "--json"], {
      encoding: "utf8",
      shell: process.platform === "win32",
    }),
  );
  const stable = versions.filter((v) => /^\d+\.\d+\.\d+$/.test(v)).at(-1);
  if (!stable) throw new Error("no stable release of @paperclipai/server");
  return stable;
}

/**
 * A project of its own with `version` of the server, its adapter-utils and database packages
 * and the drizzle-orm it names, installed once into target/upstream-server/<version>/ with the driver beside it (so
 * the driver's own imports are that release's).
 */
function installRelease(version: string): { project: string; server: string } {
  if (version === SERVER_VERSION) {
    installReleasedServer();
    return { project: FIXTURE, server: RELEASED_SERVER };
  }
  const project = path.join(root, "target", "upstream-server", version);
  const server = path.join(project, "node_modules", "@paperclipai", "server");
  if (!existsSync(path.join(server, "package.json"))) {
    rmSync(project, { recursive: true, force: true });
    mkdirSync(project, { recursive: true });
    const dependencies = JSON.parse(
      execFileSync(npm, ["view", `@paperclipai/server@${version}`, "dependencies", "--json"], {
        encoding: "utf8",
        shell: process.platform === "win32",
      }),
    );
    const manifest = {
      name: "upstream-server-check",
      private: true,
      type: "module",
      dependencies: {
        "@paperclipai/adapter-utils": version,
        "@paperclipai/server": version,
        "@paperclipai/db": version,
        "drizzle-orm": dependencies["drizzle-orm"],
      },
    };
    writeFileSync(path.join(project, "package.json"), JSON.stringify(manifest, null, 2));
    const r = spawnSync(npm, ["install", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], {
      cwd: project,
      stdio: ["ignore", "inherit", "inherit"],
      shell: process.platform === "win32",
    });
    if (r.status !== 0) throw new Error(`installing @paperclipai/server@${version} failed`);
  }
  for (const f of DRIVER_FILES) copyFileSync(path.join(FIXTURE, f), path.join(project, f));
  return { project, server };
}

const quoted = (d: Decision | undefined) =>
  d?.rotationReason ? `rotates ("${d.rotationReason}")` : "keeps the session";

/** The differences between the server's decisions and our core's, heartbeat by heartbeat. */
export function compareDecisions(report: Record<string, Observed[]>): Omit<ServerCheck, "version"> {
  const findings: string[] = [];
  let heartbeats = 0;
  let breakerRotations = 0;
  let serverRotatedThere = 0;
  for (const [history, observed] of Object.entries(report)) {
    observed.forEach((o, k) => {
      if (!o.handed) return;
      heartbeats++;
      const server: Decision = { rotationReason: o.handed.rotationReason, handoff: o.handed.handoff };
      const ours = o.ours ?? null;
      const breakerOnly = ours && ours.withBreaker.rotationReason !== ours.policy.rotationReason;
      if (breakerOnly) {
        breakerRotations++;
        // A server that merged the breaker rotates here too, as we do.
        if (server.rotationReason === ours.withBreaker.rotationReason && server.handoff === ours.withBreaker.handoff) {
          serverRotatedThere++;
          return;
        }
      }
      const expected = ours?.policy ?? { rotationReason: null, handoff: null };
      if (server.rotationReason !== expected.rotationReason)
        findings.push(`${history}, heartbeat ${k + 1}: the server ${quoted(server)}, ours ${quoted(expected)}`);
      else if (server.handoff !== expected.handoff)
        findings.push(
          `${history}, heartbeat ${k + 1}: the same rotation, another handoff note:\n      server: ${JSON.stringify(server.handoff)}\n      ours:   ${JSON.stringify(expected.handoff)}`,
        );
    });
  }
  return { heartbeats, findings, breakerRotations, serverRotatedThere };
}

/**
 * Runs `drive.mjs` (from `project`, whose node_modules hold the server's release) under Node 24
 * on one server and one database, and answers its report: each history's heartbeats, with our
 * core's decisions beside the server's.
 */
export function driveHistories(options: {
  project: string;
  server: string;
  database: string;
  out: string;
  histories?: string[];
}): Promise<Record<string, Observed[]>> {
  const { project, server, database, out } = options;
  const args = [
    path.join(project, "drive.mjs"),
    "--server",
    server,
    "--database",
    database,
    "--out",
    out,
    "--native",
    root,
    ...(options.histories ?? []).flatMap((h) => ["--history", h]),
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(nodeBinary("24"), args, { cwd: project, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("exit", (code) =>
      code === 0
        ? resolve(JSON.parse(readFileSync(out, "utf8")))
        : reject(new Error(`drive.mjs on ${server} exited ${code}:\n${stderr.slice(-4000)}`)),
    );
  });
}

/** Drives the histories (all, or those named) through `version` (or the server in `serverDir`) and compares. */
export async function checkServer(
  options: { version?: string; serverDir?: string; histories?: string[] } = {},
): Promise<ServerCheck> {
  const { project, server } = options.serverDir
    ? { project: FIXTURE, server: path.resolve(options.serverDir) }
    : installRelease(options.version ?? newestRelease());
  const version = JSON.parse(readFileSync(path.join(server, "package.json"), "utf8")).version as string;
  const postgres = await startPostgres();
  const out = path.join(root, "target", `upstream-server-${process.pid}.json`);
  try {
    await postgres.pool.query("create database upstream");
    const database = `postgres://postgres@127.0.0.1:${postgres.port}/upstream`;
    const report = await driveHistories({ project, server, database, out, histories: options.histories });
    return { version, ...compareDecisions(report) };
  } finally {
    rmSync(out, { force: true });
    await postgres.stop();
  }
}

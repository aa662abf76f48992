// A throwaway PostgreSQL server for the tests: Debian's `postgresql` binaries, a fresh cluster
// in a temporary folder, listening on 127.0.0.1 only, run as the `postgres` user when the
// tests run as root (PostgreSQL refuses root). If it cannot start, the test fails: it never
// skips. `.ci/run` installs the package when it is missing.
import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";

export type Server = {
  port: number;
  pool: pg.Pool;
  connect(settings?: Record<string, string>): Promise<pg.Client>;
  stop(): Promise<void>;
};

/** The server's binaries: $PGBIN (GitHub's Windows runners set it), `pg_config --bindir`, or
 * Debian's newest /usr/lib/postgresql/N/bin. */
function binaries(): string {
  const has = (dir: string | undefined): dir is string =>
    Boolean(dir) && existsSync(path.join(dir!, process.platform === "win32" ? "initdb.exe" : "initdb"));
  if (has(process.env.PGBIN)) return process.env.PGBIN;
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => has(path.join(root, v, "bin"))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest) return path.join(root, newest, "bin");
  try {
    const bindir = execFileSync("pg_config", ["--bindir"], { encoding: "utf8" }).trim();
    if (has(bindir)) return bindir;
  } catch {
    // no pg_config on PATH
  }
  throw new Error("PostgreSQL's server binaries are missing: apt-get install postgresql (.ci/run does)");
}

/** A TCP port on 127.0.0.1 that nothing listens on now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

export async function startPostgres(): Promise<Server> {
  const bin = binaries();
  const root = process.getuid?.() === 0;
  const dir = mkdtempSync(path.join(tmpdir(), "pcsc-postgres-"));
  const data = path.join(dir, "data");
  chmodSync(dir, 0o755);
  if (root) execFileSync("chown", ["postgres:postgres", dir]);
  // As the postgres user when we are root; as ourselves otherwise.
  const as = (command: string, args: string[]) =>
    root
      ? execFileSync(
          "setpriv",
          ["--reuid=postgres", "--regid=postgres", "--init-groups", path.join(bin, command), ...args],
          { stdio: "pipe" },
        )
      : execFileSync(path.join(bin, command), args, { stdio: "pipe" });
  as("initdb", ["-D", data, "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C.UTF-8"]);
  const port = await freePort();
  const settings = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
  as("pg_ctl", ["-D", data, "-o", settings, "-l", path.join(dir, "log"), "-w", "-t", "60", "start"]);
  const pool = new pg.Pool({ host: "127.0.0.1", port, user: "postgres", database: "postgres", max: 4 });
  return {
    port,
    pool,
    async connect(options = {}) {
      const client = new pg.Client({ host: "127.0.0.1", port, user: "postgres", database: "postgres" });
      await client.connect();
      for (const [name, value] of Object.entries(options))
        await client.query(`select set_config($1, $2, false)`, [name, value]);
      return client;
    },
    async stop() {
      await pool.end();
      try {
        as("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

// The released Paperclip server the end-to-end swap test drives, kept out of the package's own
// dependencies (it is 1.4 GB): `__test__/released-server/` is a project of its own whose
// lockfile pins `@paperclipai/server`. `node scripts/released-server.mjs install` installs it
// (.ci/run does; the test does when it is missing); `swappedCopy()` makes a swapped twin.
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const FIXTURE = path.join(root, "__test__", "released-server");
export const RELEASED_SERVER = path.join(FIXTURE, "node_modules", "@paperclipai", "server");
const STAMP = path.join(FIXTURE, "node_modules", ".installed-from-lock");
const LOCK = path.join(FIXTURE, ".installing");
const npm = process.platform === "win32" ? "npm.cmd" : "npm";

/** The pinned server release, as the fixture's package.json names it. */
export const SERVER_VERSION = JSON.parse(readFileSync(path.join(FIXTURE, "package.json"), "utf8")).dependencies[
  "@paperclipai/server"
];

const lockText = () => readFileSync(path.join(FIXTURE, "package-lock.json"), "utf8");
const installed = () => existsSync(STAMP) && readFileSync(STAMP, "utf8") === lockText();

/** Holds a directory lock while `work` runs, so two test runs never install at once. */
function withLock(work) {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (error) {
      if (error.code !== "EEXIST") throw error;
      // A lock older than the longest install belongs to a run that died.
      if (Date.now() - statSync(LOCK).mtimeMs > 15 * 60_000) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`${LOCK} is held by another install`);
      spawnSync("sleep", ["2"]);
    }
  }
  try {
    return work();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/**
 * Installs the fixture at its lockfile's versions unless it already is. `npm install`, not
 * `npm ci`: the server's dependencies name platform packages that were never published, which
 * no lockfile can record and `npm ci` then refuses; the lockfile is put back as it was after.
 * Install scripts are not run: nothing the test uses needs them (the server's own embedded
 * PostgreSQL, sharp and the rest stay unbuilt), and none then fetches anything from outside
 * the registry.
 */
export function installReleasedServer() {
  if (installed()) return;
  withLock(() => {
    if (installed()) return;
    const lock = lockText();
    try {
      const r = spawnSync(npm, ["install", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"], {
        cwd: FIXTURE,
        stdio: ["ignore", "inherit", "inherit"],
        shell: process.platform === "win32",
      });
      if (r.status !== 0)
        throw new Error(`npm install in ${FIXTURE} failed (${r.error?.message ?? `status ${r.status}`})`);
    } finally {
      writeFileSync(path.join(FIXTURE, "package-lock.json"), lock);
    }
    writeFileSync(STAMP, lock);
  });
}

/**
 * A twin of the released server in `dir`/node_modules/@paperclipai/server, files hard-linked
 * where the file system allows (the swap replaces its file rather than writing into it, so the
 * released one is never touched), beside a link to this package, so that the swapped service
 * resolves `paperclip-session-compaction` as a server installed with it would. Packages the
 * server shares with the fixture resolve from the fixture's node_modules, further up.
 */
export function serverTwin(dir) {
  const twin = path.join(dir, "node_modules", "@paperclipai", "server");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(path.dirname(twin), { recursive: true });
  const linked = spawnSync("cp", ["-al", RELEASED_SERVER, twin]).status === 0;
  if (!linked) cpSync(RELEASED_SERVER, twin, { recursive: true });
  symlinkSync(
    root,
    path.join(dir, "node_modules", "paperclip-session-compaction"),
    process.platform === "win32" ? "junction" : "dir",
  );
  return twin;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] !== "install") {
    console.error("usage: node scripts/released-server.mjs install");
    process.exit(2);
  }
  installReleasedServer();
  console.log(`@paperclipai/server ${SERVER_VERSION} installed in ${path.relative(root, FIXTURE)}`);
}

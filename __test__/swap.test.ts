// paperclip-session-swap on a live server's files: what it writes keeps the server's owner and
// mode, it never writes through a link, it sees a hand edit made after it, every failure is one
// line with the status --help promises, and it tells the operator to restart. Each server here
// is a copy of the released package's manifest and heartbeat service (the fixture's pinned
// release), with this package beside it so that the swapped service would find it.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  chmodSync,
  chownSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain JavaScript without declarations
import { RELEASED_SERVER, installReleasedServer } from "../scripts/released-server.mjs";
// @ts-expect-error: plain JavaScript without declarations
import { check, inspectServer, revert, swap as swapServer } from "../swap/operations.mjs";

const root = path.join(__dirname, "..");
const swapCli = path.join(root, "bin", "paperclip-session-swap.mjs");
const HEARTBEAT = path.join("dist", "services", "heartbeat.js");
const BACKUP = `${HEARTBEAT}.before-session-compaction-swap`;
const RECORD = ".paperclip-session-compaction-swap.json";
const RESTART = "Restart the server now";
const asRoot = process.getuid?.() === 0;
const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

let work: string;
let releasedText: string;
let manifest: Record<string, unknown>;

beforeAll(() => {
  installReleasedServer();
  work = mkdtempSync(path.join(tmpdir(), "pcsc-swap-"));
  // Others may enter (a test runs the command as another user).
  chmodSync(work, 0o755);
  releasedText = readFileSync(path.join(RELEASED_SERVER, HEARTBEAT), "utf8");
  manifest = JSON.parse(readFileSync(path.join(RELEASED_SERVER, "package.json"), "utf8"));
}, 900_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

type Project = { project: string; server: string; heartbeat: string };

/** A project with the server at node_modules/@paperclipai/server and this package beside it. */
function project(name: string, options: { version?: string; spec?: string; linked?: boolean } = {}): Project {
  const projectDir = path.join(work, name);
  const server = path.join(projectDir, "node_modules", "@paperclipai", "server");
  mkdirSync(path.join(server, "dist", "services"), { recursive: true });
  writeFileSync(
    path.join(server, "package.json"),
    JSON.stringify({ ...manifest, version: options.version ?? manifest.version }),
  );
  writeFileSync(path.join(server, HEARTBEAT), releasedText);
  if (options.linked !== false)
    symlinkSync(root, path.join(projectDir, "node_modules", "paperclip-session-compaction"), "dir");
  writeFileSync(
    path.join(projectDir, "package.json"),
    JSON.stringify({ dependencies: { "@paperclipai/server": options.spec ?? String(manifest.version) } }),
  );
  return { project: projectDir, server, heartbeat: path.join(server, HEARTBEAT) };
}

type Ran = { status: number | null; stdout: string; stderr: string };
const swap = (args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Ran =>
  spawnSync(process.execPath, [swapCli, ...args], {
    encoding: "utf8",
    cwd: options.cwd,
    env: options.env ?? process.env,
  });

/** stderr is one line, the command's, never a stack trace. */
function oneLine(r: Ran) {
  expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(r.stderr).toMatch(/^paperclip-session-swap: /);
  expect(r.stderr).not.toMatch(/\n\s+at |node:internal/);
}

describe("the release it edits", () => {
  it("refuses a release it does not know, and changes nothing", () => {
    const p = project("other-release", { version: "2026.1009.0" });
    const r = swap([p.server]);
    expect(r.status).toBe(1);
    oneLine(r);
    expect(r.stderr).toContain("2026.1009.0 is not a release this swap knows");
    expect(r.stderr).toContain("Nothing was changed");
    expect(readFileSync(p.heartbeat, "utf8")).toBe(releasedText);
  });

  it("refuses a known release whose heartbeat service was changed", () => {
    const p = project("changed");
    writeFileSync(p.heartbeat, releasedText.replace("session exceeded", "session went past"));
    const r = swap([p.server]);
    expect(r.status).toBe(1);
    oneLine(r);
    expect(r.stderr).toContain("is not the file @paperclipai/server 2026.916.1 was published with");
    expect(swap([p.server, "--check"]).stdout).toContain("changed since its release");
  });

  it("swaps once, says so when run again, and reverts to the released bytes", () => {
    const p = project("round-trip");
    expect(swap([p.server, "--check"]).status).toBe(1);
    expect(swap([p.server])).toMatchObject({ status: 0, stderr: "" });
    const swappedText = readFileSync(p.heartbeat, "utf8");
    expect(swappedText).toContain('from "paperclip-session-compaction"');
    expect(swappedText).toContain("livenessState: heartbeatRuns.livenessState");
    expect(swappedText).not.toContain("!hasSessionCompactionThresholds(policy)");
    // A mistyped breaker config goes to the server's logger, once per agent and value.
    expect(swappedText).not.toContain("console.warn");
    const again = swap([p.server]);
    expect([again.status, again.stdout]).toEqual([0, expect.stringContaining("already swapped")]);
    expect(readFileSync(p.heartbeat, "utf8")).toBe(swappedText);
    expect(swap([p.server, "--check"]).status).toBe(0);
    expect(swap([p.server, "--revert"]).status).toBe(0);
    expect(readFileSync(p.heartbeat, "utf8")).toBe(releasedText);
  });

  it("refuses a server that would not find this package, unless told it is meant", () => {
    const p = project("unresolvable", { linked: false });
    const r = swap([p.server]);
    expect(r.status).toBe(1);
    oneLine(r);
    expect(r.stderr).toContain("paperclip-session-compaction cannot be found");
    expect(readFileSync(p.heartbeat, "utf8")).toBe(releasedText);
  });

  it("says what it takes, and refuses what is not a server", () => {
    expect(swap(["--help"]).stdout).toContain("Known releases: 2026.916.1");
    const r = swap([work]);
    expect(r.status).toBe(2);
    oneLine(r);
    expect(r.stderr).toContain("is not an installed @paperclipai/server");
  });
});

describe("what it writes keeps the server's owner and mode", () => {
  it("a 0640 file of the server's user stays 0640 and the server's, swapped and reverted", () => {
    const p = project("mode-0640");
    chmodSync(p.heartbeat, 0o640);
    // Root swapping a file of the server's user (nobody here); otherwise our own file.
    if (asRoot) chownSync(p.heartbeat, 65534, 65534);
    const before = statSync(p.heartbeat);
    const r = swap([p.server]);
    expect(r.status).toBe(0);
    for (const file of [p.heartbeat, path.join(p.server, BACKUP)]) {
      const after = statSync(file);
      expect([after.mode & 0o7777, after.uid, after.gid]).toEqual([0o640, before.uid, before.gid]);
    }
    expect(swap([p.server, "--revert"]).status).toBe(0);
    const reverted = statSync(p.heartbeat);
    expect([reverted.mode & 0o7777, reverted.uid, reverted.gid]).toEqual([0o640, before.uid, before.gid]);
    expect(readFileSync(p.heartbeat, "utf8")).toBe(releasedText);
  });

  it("a read-only 0444 file stays read-only", () => {
    const p = project("mode-0444");
    chmodSync(p.heartbeat, 0o444);
    expect(swap([p.server]).status).toBe(0);
    expect(statSync(p.heartbeat).mode & 0o7777).toBe(0o444);
    expect(swap([p.server, "--revert"]).status).toBe(0);
    expect(statSync(p.heartbeat).mode & 0o7777).toBe(0o444);
  });
});

describe("it never writes through a link, nor outside the server", () => {
  it("refuses a backup path that is already a link, and leaves the file it points at alone", () => {
    const p = project("backup-link");
    const outside = path.join(work, "outside-the-server.txt");
    writeFileSync(outside, "an operator's file\n");
    symlinkSync(outside, path.join(p.server, BACKUP));
    const before = sha256(p.heartbeat);
    const r = swap([p.server]);
    expect(r.status).toBe(1);
    oneLine(r);
    expect(r.stderr).toContain("symbolic link");
    expect(readFileSync(outside, "utf8")).toBe("an operator's file\n");
    expect(sha256(p.heartbeat)).toBe(before);
    expect(existsSync(path.join(p.server, RECORD))).toBe(false);
  });

  it("refuses a dangling link at the backup path (it would create a file where the link points)", () => {
    const p = project("backup-dangling-link");
    const target = path.join(work, "not-there-yet.js");
    symlinkSync(target, path.join(p.server, BACKUP));
    const r = swap([p.server]);
    expect(r.status).toBe(1);
    oneLine(r);
    expect(existsSync(target)).toBe(false);
  });

  it("refuses a heartbeat service that is itself a link", () => {
    const p = project("heartbeat-link");
    const elsewhere = path.join(work, "heartbeat-elsewhere.js");
    writeFileSync(elsewhere, releasedText);
    rmSync(p.heartbeat);
    symlinkSync(elsewhere, p.heartbeat);
    const r = swap([p.server]);
    expect(r.status).toBe(1);
    oneLine(r);
    expect(readFileSync(elsewhere, "utf8")).toBe(releasedText);
    expect(lstatSync(p.heartbeat).isSymbolicLink()).toBe(true);
  });

  it("checks that the package resolves from the server's real folder, not through the link that names it", () => {
    // npm install /opt/paperclip-server leaves a link in node_modules; Node loads the service
    // from the real folder, where this package is not.
    const real = path.join(work, "opt", "paperclip-server");
    const p = project("server-through-link", { linked: true });
    mkdirSync(path.dirname(real), { recursive: true });
    cpSync(p.server, real, { recursive: true });
    rmSync(p.server, { recursive: true });
    symlinkSync(real, p.server, "dir");
    const before = sha256(path.join(real, HEARTBEAT));
    const r = swap([p.server]);
    expect(r.status).toBe(1);
    oneLine(r);
    expect(r.stderr).toContain("would not start");
    expect(r.stderr).toContain(path.join(real, HEARTBEAT));
    expect(sha256(path.join(real, HEARTBEAT))).toBe(before);
    // An operator who means it (a pnpm patch folder) is warned instead, and the swap goes on.
    const allowed = swap([p.server, "--allow-unresolved"]);
    expect(allowed.status).toBe(0);
    expect(allowed.stderr).toContain("cannot be found");
  });
});

describe("versions are looked up as releases, and only as releases", () => {
  for (const version of ["constructor", "__proto__", "toString", "hasOwnProperty"]) {
    it(`"${version}" is not a release it knows`, () => {
      const p = project(`version-${version}`, { version });
      const r = swap([p.server]);
      expect(r.status).toBe(1);
      oneLine(r);
      expect(r.stderr).toContain(`${version} is not a release this swap knows`);
      const check = swap([p.server, "--check"]);
      expect([check.status, check.stdout]).toEqual([1, expect.stringContaining("a release this swap does not know")]);
    });
  }
});

describe("every failure is one line with the status --help promises", () => {
  it("a package.json that is not JSON: 2", () => {
    const p = project("manifest-not-json");
    writeFileSync(path.join(p.server, "package.json"), "{ not json");
    const r = swap([p.server]);
    expect(r.status).toBe(2);
    oneLine(r);
    expect(r.stderr).toContain("is not JSON");
  });

  it("a heartbeat service that is a folder: 1, nothing written", () => {
    const p = project("heartbeat-folder");
    rmSync(p.heartbeat);
    mkdirSync(p.heartbeat);
    const r = swap([p.server]);
    expect(r.status).toBe(1);
    oneLine(r);
    expect(r.stderr).toContain("not a regular file");
    expect(existsSync(path.join(p.server, RECORD))).toBe(false);
  });

  /** Runs the command as a user who may read but not write the server (root's files, as nobody), or, not root, on files made unwritable to us. */
  function asOtherUser(args: string[]): Ran {
    if (!asRoot) return swap(args);
    // The command and what it imports, where nobody may read them (the checkout may sit in a
    // folder only we can enter).
    const copy = mkdtempSync(path.join(work, "cli-"));
    chmodSync(copy, 0o755);
    for (const dir of ["bin", "swap"]) cpSync(path.join(root, dir), path.join(copy, dir), { recursive: true });
    cpSync(path.join(root, "package.json"), path.join(copy, "package.json"));
    return spawnSync(
      "setpriv",
      [
        "--reuid=nobody",
        "--regid=nogroup",
        "--clear-groups",
        process.execPath,
        path.join(copy, "bin", "paperclip-session-swap.mjs"),
        ...args,
      ],
      { encoding: "utf8" },
    );
  }

  it("a folder the swapping user cannot write: 3, nothing changed", () => {
    const p = project("folder-unwritable");
    const services = path.dirname(p.heartbeat);
    if (!asRoot) chmodSync(services, 0o555);
    try {
      const r = asOtherUser([p.server, "--allow-unresolved"]);
      expect(r.status).toBe(3);
      oneLine(r);
      expect(r.stderr).toContain("permission denied");
      expect(readFileSync(p.heartbeat, "utf8")).toBe(releasedText);
      expect(existsSync(path.join(p.server, BACKUP))).toBe(false);
      expect(existsSync(path.join(p.server, RECORD))).toBe(false);
    } finally {
      chmodSync(services, 0o755);
    }
  });

  it("a heartbeat service the swapping user cannot read: 3", () => {
    const p = project("file-unreadable");
    chmodSync(p.heartbeat, 0o000);
    const r = asOtherUser([p.server, "--allow-unresolved"]);
    expect(r.status).toBe(3);
    oneLine(r);
    expect(r.stderr).toContain("permission denied");
  });

  it("no server where it looks: 2", () => {
    const empty = mkdtempSync(path.join(work, "empty-"));
    const r = swap([], { cwd: empty });
    expect(r.status).toBe(2);
    oneLine(r);
  });
});

describe("it sees a hand edit made after it", () => {
  it("--check says edited, a second swap and --revert refuse it, --force goes on", () => {
    const p = project("hand-edit");
    expect(swap([p.server]).status).toBe(0);
    expect(swap([p.server, "--check"]).status).toBe(0);
    writeFileSync(p.heartbeat, `${readFileSync(p.heartbeat, "utf8")}\n// an operator's hotfix\n`);
    const edited = readFileSync(p.heartbeat, "utf8");
    const check = swap([p.server, "--check"]);
    expect([check.status, check.stdout]).toEqual([1, expect.stringContaining("swapped, then edited")]);
    for (const args of [[p.server], [p.server, "--revert"]]) {
      const r = swap(args);
      expect(r.status).toBe(1);
      oneLine(r);
      expect(r.stderr).toContain("--force");
      expect(readFileSync(p.heartbeat, "utf8")).toBe(edited);
    }
    const forced = swap([p.server, "--revert", "--force"]);
    expect(forced.status).toBe(0);
    expect(readFileSync(p.heartbeat, "utf8")).toBe(releasedText);
    expect(existsSync(path.join(p.server, BACKUP))).toBe(false);
    expect(existsSync(path.join(p.server, RECORD))).toBe(false);
  });

  it("a swapped file with no record of the swap is not taken for one", () => {
    const p = project("no-record");
    expect(swap([p.server]).status).toBe(0);
    rmSync(path.join(p.server, RECORD));
    expect(swap([p.server, "--check"]).status).toBe(1);
    expect(swap([p.server]).status).toBe(1);
    expect(swap([p.server, "--force"]).status).toBe(0);
    expect(swap([p.server, "--check"]).status).toBe(0);
  });
});

describe("it says what the operator does next", () => {
  it("restart, after a swap and after a revert, and in --help", () => {
    const p = project("restart");
    expect(swap([p.server]).stdout).toContain(RESTART);
    expect(swap([p.server, "--revert"]).stdout).toContain(RESTART);
    const help = swap(["--help"]).stdout;
    expect(help).toContain("restart the server");
    expect(help).toMatch(/3 the server's files could not be read or written/);
  });

  it("pin the release, when the project's package.json leaves it a range", () => {
    const ranged = project("pin-range", { spec: "^2026.916.1" });
    const r = swap([ranged.server]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("--save-exact @paperclipai/server@2026.916.1");
    const pinned = project("pin-exact", { spec: "2026.916.1" });
    expect(swap([pinned.server]).stderr).toBe("");
  });

  it("the swapped service names no source map (the released one maps the released lines)", () => {
    const p = project("source-map");
    expect(releasedText).toContain("//# sourceMappingURL=heartbeat.js.map");
    expect(swap([p.server]).status).toBe(0);
    expect(readFileSync(p.heartbeat, "utf8")).not.toContain("sourceMappingURL");
  });
});

describe("--global: the server the paperclipai CLI nests", () => {
  it("finds <npm root -g>/paperclipai/node_modules/@paperclipai/server, and refuses npx's cache", () => {
    const prefix = path.join(work, "global-prefix");
    const globalRoot = path.join(prefix, "lib", "node_modules");
    const nested = path.join(globalRoot, "paperclipai", "node_modules", "@paperclipai", "server");
    mkdirSync(path.join(nested, "dist", "services"), { recursive: true });
    writeFileSync(path.join(nested, "package.json"), JSON.stringify(manifest));
    writeFileSync(path.join(nested, HEARTBEAT), releasedText);
    symlinkSync(root, path.join(globalRoot, "paperclip-session-compaction"), "dir");
    const env = { ...process.env, npm_config_prefix: prefix, NPM_CONFIG_PREFIX: prefix };
    const r = swap(["--global"], { env });
    expect([r.status, r.stderr]).toEqual([0, ""]);
    expect(readFileSync(path.join(nested, HEARTBEAT), "utf8")).toContain("paperclip-session-compaction swap");

    const npx = path.join(work, "home", ".npm", "_npx", "0123abcd", "node_modules", "@paperclipai", "server");
    mkdirSync(path.join(npx, "dist", "services"), { recursive: true });
    writeFileSync(path.join(npx, "package.json"), JSON.stringify(manifest));
    writeFileSync(path.join(npx, HEARTBEAT), releasedText);
    const cached = swap([npx]);
    expect(cached.status).toBe(1);
    oneLine(cached);
    expect(cached.stderr).toContain("npx's cache");
  });
});

describe("a release whose decision spans two compiled files", () => {
  // Upstream's source moved the decision to heartbeat/run-state.ts: a release built from it
  // ships dist/services/heartbeat/run-state.js beside heartbeat.js, and the swap's table lists
  // both files for it, each with its own SHA-256 and edits.
  const hash = (text: string) => createHash("sha256").update(text).digest("hex");
  const heartbeatText = 'export function heartbeatService() { return "released"; }\n';
  const runStateText = "export function evaluateSessionCompaction() { return { rotate: false }; }\n";
  const release = {
    files: [
      {
        path: HEARTBEAT,
        sha256: hash(heartbeatText),
        edits: [{ why: "mark", find: '"released"', replace: () => '"swapped" // paperclip-session-compaction swap' }],
      },
      {
        path: "dist/services/heartbeat/run-state.js",
        sha256: hash(runStateText),
        edits: [
          {
            why: "decide",
            find: "{ rotate: false }",
            replace: () => "decideNatively() // paperclip-session-compaction swap",
          },
        ],
      },
    ],
  };
  const releases = new Map([["2027.101.0", release]]);
  const quiet = { say: () => {}, warn: () => {} };

  it("swaps both, records both, sees an edit of either, and reverts both", () => {
    const p = project("two-files", { version: "2027.101.0" });
    const runState = path.join(p.server, "dist", "services", "heartbeat", "run-state.js");
    mkdirSync(path.dirname(runState), { recursive: true });
    writeFileSync(p.heartbeat, heartbeatText);
    writeFileSync(runState, runStateText);
    const server = () => inspectServer(p.server, releases);
    expect(check(server(), quiet)).toBe(1);
    expect(swapServer(server(), { swappedBy: "test" }, quiet)).toBe(0);
    expect(readFileSync(p.heartbeat, "utf8")).toContain('"swapped"');
    expect(readFileSync(runState, "utf8")).toContain("decideNatively()");
    const record = JSON.parse(readFileSync(path.join(p.server, RECORD), "utf8"));
    expect(record.files.map((f: { path: string }) => f.path)).toEqual([
      HEARTBEAT,
      "dist/services/heartbeat/run-state.js",
    ]);
    expect(check(server(), quiet)).toBe(0);
    writeFileSync(runState, `${readFileSync(runState, "utf8")}// edited\n`);
    expect(check(server(), quiet)).toBe(1);
    expect(() => revert(server(), {}, quiet)).toThrow(/--force/);
    expect(revert(server(), { force: true }, quiet)).toBe(0);
    expect([readFileSync(p.heartbeat, "utf8"), readFileSync(runState, "utf8")]).toEqual([heartbeatText, runStateText]);
  });

  it("refuses when either file is not the published one, and writes neither", () => {
    const p = project("two-files-changed", { version: "2027.101.0" });
    const runState = path.join(p.server, "dist", "services", "heartbeat", "run-state.js");
    mkdirSync(path.dirname(runState), { recursive: true });
    writeFileSync(p.heartbeat, heartbeatText);
    writeFileSync(runState, runStateText.replace("false", "true"));
    expect(() => swapServer(inspectServer(p.server, releases), { swappedBy: "test" }, quiet)).toThrow(
      /run-state\.js is not the file/,
    );
    expect(readFileSync(p.heartbeat, "utf8")).toBe(heartbeatText);
    expect(existsSync(path.join(p.server, RECORD))).toBe(false);
  });
});

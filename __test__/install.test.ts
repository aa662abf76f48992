// Installs the package as a user would: `npm pack`, then a fresh project with no Rust and no
// source tree gets the tarball plus this machine's platform package, and uses it.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import {
  GLIBC_FLOOR,
  glibcVersionsNeeded,
  localPlatform,
  packLocal,
  releaseDryRun,
  root,
} from "../scripts/packaging.mjs";
// @ts-expect-error: plain JavaScript without declarations
import { nodeBinary } from "../scripts/node-binary.mjs";
// @ts-expect-error: plain JavaScript without declarations
import { SERVER_VERSION } from "../scripts/released-server.mjs";

// Packing builds the portable binary with the cross toolchain: minutes on a busy 2-core machine.
const TIMEOUT = 900_000;
// The user's machine: Node and npm, and no Rust toolchain on the PATH.
const env = { ...process.env, PATH: [path.dirname(process.execPath), "/usr/bin", "/bin"].join(path.delimiter) };

function sh(cmd: string, args: string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, env, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function project(name: string, tarballs: string[]): string {
  const dir = path.join(work, name);
  mkdirSync(dir);
  writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name, private: true, type: "module" }));
  sh("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", ...tarballs], dir);
  return dir;
}

const DEAD_SESSION_CALL = `({
  agent: { adapterType: "codex_local", runtimeConfig: {} },
  sessionId: "dead",
  issueId: "PAP-1",
  runs: [3, 2, 1].map((n) => ({ id: "run-" + n, createdAt: new Date(n), error: null, livenessState: "failed",
    usageJson: { persistedSessionId: "dead", sessionReused: true, inputTokens: 0, outputTokens: 0 } })),
})`;
const EXPECTED = "3 consecutive failed zero-token reused runs on persisted session dead|run-3";

let work: string;
let packed: {
  main: { tarball: string; files: string[] };
  platform: { tarball: string; files: string[] };
  platformName: string;
};
let installed: string;

beforeAll(() => {
  work = mkdtempSync(path.join(tmpdir(), "pcsc-install-"));
  packed = packLocal(work);
  installed = project("consumer", [packed.main.tarball, packed.platform.tarball]);
}, TIMEOUT);

describe("installed from the packed tarballs", () => {
  it("ships napi-rs's generated loader and types, the entry, the database subpath, and no binary or source", () => {
    expect(packed.main.files.sort()).toEqual([
      "LICENSE",
      "README.md",
      "bin/openmetrics.mjs",
      "bin/paperclip-session-audit.mjs",
      "bin/paperclip-session-swap.mjs",
      "bin/report-html.mjs",
      "bin/visible.mjs",
      "binding.d.ts",
      "binding.js",
      "database.d.ts",
      "database.js",
      "index.d.ts",
      "index.js",
      "monitoring/crontab",
      "monitoring/paperclip-session-audit.rules.yml",
      "monitoring/paperclip-session-audit.service",
      "monitoring/paperclip-session-audit.timer",
      "package.json",
      "swap/files.mjs",
      "swap/locate.mjs",
      "swap/operations.mjs",
      "swap/record.mjs",
      "swap/releases.mjs",
    ]);
    expect(packed.platform.files.sort()).toEqual(
      [`session-compaction.${packed.platformName}.node`, "package.json"].sort(),
    );
  });

  it("packs a Linux binary that needs no glibc newer than the release's floor", () => {
    const installedBinary = path.join(
      installed,
      "node_modules",
      `paperclip-session-compaction-${packed.platformName}`,
      `session-compaction.${packed.platformName}.node`,
    );
    if (packed.platformName === "linux-x64-gnu") {
      const needed = glibcVersionsNeeded(installedBinary);
      expect(needed.length).toBeGreaterThan(0);
      const newest = needed.at(-1)!.slice("GLIBC_".length).split(".").map(Number);
      const floor = GLIBC_FLOOR.split(".").map(Number);
      expect(newest[0] * 1000 + newest[1], `${needed.at(-1)} is above GLIBC_${GLIBC_FLOOR}`).toBeLessThanOrEqual(
        floor[0] * 1000 + floor[1],
      );
      // The host's own build needs a newer glibc, which is why the packed one is rebuilt.
      expect(packed.binary).not.toBe(path.join(root, localPlatform().file));
    } else {
      expect(packed.binary).toBe(path.join(root, localPlatform().file));
    }
  });

  it("runs the swap CLI through npx, from the installed package", () => {
    const out = sh("npx", ["--no-install", "paperclip-session-swap", "--help"], installed);
    expect(out).toContain("Known releases: 2026.916.1");
  });

  it("swaps the server the paperclipai CLI nests, both installed globally (npm install -g), with --global", () => {
    // The route most operators take: npm install -g paperclipai, then paperclipai run. With
    // our tarballs installed globally too, the nested server finds this package in npm's
    // global node_modules, and our own command (from the global bin) finds the server.
    const prefix = path.join(work, "global");
    try {
      swapGlobal(prefix);
    } finally {
      // 1.5 GB: not left behind.
      rmSync(prefix, { recursive: true, force: true });
    }
  });

  function swapGlobal(prefix: string) {
    sh(
      "npm",
      [
        "install",
        "-g",
        "--prefix",
        prefix,
        "--ignore-scripts",
        "--no-audit",
        "--no-fund",
        "--prefer-offline",
        "--loglevel=error",
        `paperclipai@${SERVER_VERSION}`,
        packed.main.tarball,
        packed.platform.tarball,
      ],
      work,
    );
    const globalEnv = { ...env, npm_config_prefix: prefix };
    const nested = path.join(prefix, "lib", "node_modules", "paperclipai", "node_modules", "@paperclipai", "server");
    const swapBin = path.join(prefix, "bin", "paperclip-session-swap");
    const swapped = execFileSync(swapBin, ["--global"], { cwd: work, env: globalEnv, encoding: "utf8" });
    expect(swapped).toContain(`@paperclipai/server ${SERVER_VERSION}: swapped`);
    expect(swapped).toContain("Restart the server now");
    expect(execFileSync(swapBin, ["--global", "--check"], { cwd: work, env: globalEnv, encoding: "utf8" })).toContain(
      "swapped",
    );
    // The swapped service loads under Node 24 (the CLI's engine) from the global folder, with
    // the native decision resolved from there.
    const heartbeat = path.join(nested, "dist", "services", "heartbeat.js");
    const node24 = nodeBinary("24");
    const script = `const m = await import(${JSON.stringify(pathToFileURL(heartbeat).href)}); const r = (await import("node:module")).createRequire(${JSON.stringify(heartbeat)}).resolve("paperclip-session-compaction"); console.log(typeof m.heartbeatService + "|" + r);`;
    const loaded = execFileSync(node24, ["--input-type=module", "-e", script], {
      cwd: work,
      env: { ...env, PAPERCLIP_HOME: path.join(work, "paperclip-home") },
      encoding: "utf8",
    }).trim();
    expect(loaded).toBe(
      `function|${path.join(prefix, "lib", "node_modules", "paperclip-session-compaction", "index.js")}`,
    );
  }

  it("runs the audit CLI through npx, from the installed package", () => {
    writeFileSync(
      path.join(installed, "runs.ndjson"),
      '{"company_id":"c","agent_id":"a","session_id_after":"s","created_at":"2026-06-06T12:00:00+00:00","liveness_state":"failed","usage_json":{"persistedSessionId":"s","sessionReused":true}}\n',
    );
    const out = sh("npx", ["--no-install", "paperclip-session-audit", "runs.ndjson", "--json"], installed);
    expect(JSON.parse(out).totals).toMatchObject({ sessions: 1, runs: 1, deadRuns: 1 });
  });

  it("works with require", () => {
    const out = sh(
      "node",
      [
        "-e",
        `const c = require("paperclip-session-compaction"); const d = c.evaluateSessionCompaction(${DEAD_SESSION_CALL}); console.log(d.reason + "|" + d.previousRunId)`,
      ],
      installed,
    );
    expect(out.trim()).toBe(EXPECTED);
  });

  it("loads the database audit from its subpath", () => {
    const out = sh(
      "node",
      ["-e", `console.log(typeof require("paperclip-session-compaction/database").auditDeadSessionsFromDatabase)`],
      installed,
    );
    expect(out.trim()).toBe("function");
  });

  it("works with ESM import", () => {
    const out = sh(
      "node",
      [
        "--input-type=module",
        "-e",
        `import { evaluateSessionCompaction, DEAD_REUSED_SESSION_FAILURE_THRESHOLD } from "paperclip-session-compaction"; const d = evaluateSessionCompaction(${DEAD_SESSION_CALL}); console.log(d.reason + "|" + d.previousRunId + "|" + DEAD_REUSED_SESSION_FAILURE_THRESHOLD)`,
      ],
      installed,
    );
    expect(out.trim()).toBe(`${EXPECTED}|3`);
  });

  it(
    "type-checks TypeScript consumers (ESM and CommonJS) against the shipped index.d.ts",
    () => {
      writeFileSync(
        path.join(installed, "esm.mts"),
        `import { evaluateSessionCompaction, type SessionCompactionDecision } from "paperclip-session-compaction";\n` +
          `const d: SessionCompactionDecision = evaluateSessionCompaction({ agent: { adapterType: null, runtimeConfig: {} }, sessionId: "s", issueId: null, runs: [] });\n` +
          `// @ts-expect-error reason may be null\nconst n: number = d.reason.length;\nexport { n };\n`,
      );
      writeFileSync(
        path.join(installed, "cjs.cts"),
        `import core = require("paperclip-session-compaction");\nconst p: { fetchLimit: number; needsOldestRun: boolean } = core.planSessionCompaction({ adapterType: "cursor", runtimeConfig: null });\nexport = p;\n`,
      );
      writeFileSync(
        path.join(installed, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            noEmit: true,
            module: "nodenext",
            moduleResolution: "nodenext",
            types: [],
            skipLibCheck: false,
          },
          files: ["esm.mts", "cjs.cts"],
        }),
      );
      sh("node", [path.join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "."], installed);
    },
    TIMEOUT,
  );

  it(
    "without its platform package, says which platform, which package, and what to do",
    () => {
      const bare = project("no-binary", [packed.main.tarball]);
      for (const args of [
        ["-e", `require("paperclip-session-compaction")`],
        ["--input-type=module", "-e", `import "paperclip-session-compaction"`],
      ]) {
        let stderr = "";
        try {
          sh("node", args, bare);
        } catch (e) {
          stderr = String((e as { stderr?: string }).stderr);
        }
        expect(stderr).toContain(`no native binary could be loaded for ${packed.platformName}`);
        expect(stderr).toContain(`"paperclip-session-compaction-${packed.platformName}"`);
        expect(stderr).toContain(`npm install paperclip-session-compaction-${packed.platformName}`);
        // The loader's misleading links are gone: its npm-bug headline and the wasm lookups.
        expect(stderr).not.toMatch(/wasm32-wasi|\.wasi\.cjs|npm\/cli\/issues|Cannot find native binding/);
        expect(stderr).toContain(`Cannot find module 'paperclip-session-compaction-${packed.platformName}'`);
      }
    },
    TIMEOUT,
  );
});

describe("installable before it is on npm", () => {
  it("the main tarball names the platform package in optionalDependencies, as a release does", () => {
    const manifest = JSON.parse(sh("tar", ["-xzOf", packed.main.tarball, "package/package.json"], work));
    expect(manifest.optionalDependencies).toEqual({
      [`paperclip-session-compaction-${packed.platformName}`]: manifest.version,
    });
    expect(manifest.devDependencies).toBeUndefined();
    expect(manifest.scripts).toBeUndefined();
  });

  it(
    "npm run pack:local's command packs both tarballs and prints the install lines",
    () => {
      const out = path.join(work, "dist");
      // The developer's command, on the developer's PATH (it builds, with cargo).
      const printed = execFileSync(process.execPath, [path.join(root, "scripts", "packaging.mjs"), "pack", out], {
        cwd: root,
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
      expect(printed).toContain(
        `npm install ${path.join(out, "paperclip-session-compaction-0.1.0.tgz")} ${path.join(out, `paperclip-session-compaction-${packed.platformName}-0.1.0.tgz`)}`,
      );
      expect(printed).toContain("pnpm add file:");
    },
    TIMEOUT,
  );

  it(
    "pnpm add file:… with an override for the platform package works in another project",
    () => {
      const dir = path.join(work, "pnpm-consumer");
      mkdirSync(dir);
      const platformPackage = `paperclip-session-compaction-${packed.platformName}`;
      writeFileSync(
        path.join(dir, "package.json"),
        JSON.stringify({
          name: "pnpm-consumer",
          private: true,
          type: "module",
          pnpm: { overrides: { [platformPackage]: `file:${packed.platform.tarball}` } },
        }),
      );
      const pnpm = path.join(root, "node_modules", "pnpm", "bin", "pnpm.cjs");
      sh("node", [pnpm, "add", `file:${packed.main.tarball}`, "--store-dir", path.join(work, "pnpm-store")], dir);
      const out = sh(
        "node",
        [
          "--input-type=module",
          "-e",
          `import { evaluateSessionCompaction } from "paperclip-session-compaction"; const d = evaluateSessionCompaction(${DEAD_SESSION_CALL}); console.log(d.reason + "|" + d.previousRunId)`,
        ],
        dir,
      );
      expect(out.trim()).toBe(EXPECTED);
    },
    TIMEOUT,
  );
});

describe("the release, as far as a dry run goes", () => {
  it(
    "napi prepublish lists every platform package, and npm publish --dry-run accepts all seven",
    () => {
      const r = releaseDryRun();
      const platforms = [
        "linux-x64-gnu",
        "linux-x64-musl",
        "linux-arm64-gnu",
        "darwin-x64",
        "darwin-arm64",
        "win32-x64-msvc",
      ];
      expect(r.optionalDependencies).toEqual(
        Object.fromEntries(platforms.map((p) => [`paperclip-session-compaction-${p}`, "0.1.0"])),
      );
      expect(r.published.map((p: { name: string }) => p.name).sort()).toEqual(
        ["paperclip-session-compaction", ...platforms.map((p) => `paperclip-session-compaction-${p}`)].sort(),
      );
      for (const p of r.published.filter((p: { name: string }) => p.name !== "paperclip-session-compaction")) {
        expect(p.files).toContain(`session-compaction.${p.name.replace("paperclip-session-compaction-", "")}.node`);
      }
    },
    TIMEOUT,
  );
});

// Where the server to swap is installed: a folder named on the command line, the nearest
// node_modules/@paperclipai/server, or (with --global) the one npm's global folder holds, which
// for most operators is the server the `paperclipai` CLI nests at
// <npm root -g>/paperclipai/node_modules/@paperclipai/server.
import { spawnSync } from "node:child_process";
import { existsSync, realpathSync } from "node:fs";
import path from "node:path";
import { EXIT, FileRefusal } from "./files.mjs";

const SERVER = path.join("node_modules", "@paperclipai", "server");

/** npm's global node_modules folder (`npm root -g`), as npm itself says it. */
export function npmGlobalRoot() {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const r = spawnSync(npm, ["root", "-g"], { encoding: "utf8", shell: process.platform === "win32" });
  const root = r.status === 0 ? r.stdout.trim() : "";
  if (!root)
    throw new FileRefusal(
      `could not ask npm for its global folder (npm root -g: ${r.error?.message ?? r.stderr?.trim() ?? `status ${r.status}`})`,
      EXIT.usage,
    );
  return root;
}

/** The server installed globally: the `paperclipai` CLI's nested one, or a global server package. */
export function globalServer(root = npmGlobalRoot()) {
  const candidates = [path.join(root, "paperclipai", SERVER), path.join(root, "@paperclipai", "server")].filter((dir) =>
    existsSync(path.join(dir, "package.json")),
  );
  if (candidates.length === 0)
    throw new FileRefusal(
      `no paperclipai (nor @paperclipai/server) in npm's global folder ${root}: install it with npm install -g paperclipai, or name the server's folder`,
      EXIT.usage,
    );
  if (candidates.length > 1)
    throw new FileRefusal(
      `npm's global folder holds two servers (${candidates.join(" and ")}): name the one your server runs from`,
      EXIT.usage,
    );
  return candidates[0];
}

/** The nearest node_modules/@paperclipai/server from `from` up. */
export function nearestServer(from = process.cwd()) {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, SERVER);
    if (existsSync(path.join(candidate, "package.json"))) return candidate;
    if (path.dirname(dir) === dir)
      throw new FileRefusal(
        "no node_modules/@paperclipai/server here or above: name the server's folder, or pass --global for the paperclipai CLI's",
        EXIT.usage,
      );
  }
}

/**
 * Refuses a server in npx's cache (`~/.npm/_npx/…`), which `npx paperclipai` runs: npx may
 * fetch a fresh copy on any run, so a swap there is lost without a word.
 */
export function refuseNpxCache(serverDir) {
  const real = realpathSync(serverDir);
  if (real.split(path.sep).includes("_npx")) {
    throw new FileRefusal(
      `${real} is in npx's cache, which npx replaces when it likes: a swap there would be lost. Install the CLI for good (npm install -g paperclipai@VERSION), then run paperclip-session-swap --global`,
      EXIT.refused,
    );
  }
}

/**
 * The project that installed the server, when it sits at <project>/node_modules/@paperclipai/server:
 * its package.json decides what a later `npm install` puts there.
 */
export function owningProjectManifest(serverDir) {
  const nodeModules = path.dirname(path.dirname(serverDir));
  if (path.basename(nodeModules) !== "node_modules" || path.basename(path.dirname(serverDir)) !== "@paperclipai")
    return null;
  const manifest = path.join(path.dirname(nodeModules), "package.json");
  return existsSync(manifest) ? manifest : null;
}

#!/usr/bin/env node
// paperclip-session-swap: puts this package's session-compaction decision (with the dead-session
// breaker) into an installed, released @paperclipai/server, or takes it out again. `--help`
// prints the usage and the exit statuses.
import { existsSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { parseArgs } from "node:util";
import { BACKUP_SUFFIX, HEARTBEAT_FILE, KNOWN_RELEASES, SWAP_MARK, SwapError, sha256, swappedHeartbeat } from "../swap/released-server.mjs";
import { visible } from "./visible.mjs";

const NAME = "paperclip-session-swap";
const usage = `usage: ${NAME} [SERVER_DIR] [--check | --revert]
Swaps the session-compaction decision of an installed @paperclipai/server for this package's
(the dead-session breaker included), editing ${HEARTBEAT_FILE} in place and keeping the
released file beside it. SERVER_DIR is the server package's folder; without it, the nearest
node_modules/@paperclipai/server from the current folder up.
Known releases: ${Object.keys(KNOWN_RELEASES).join(", ")}.
options:
  --check     say whether the server is swapped, as released, or unknown; change nothing
  --revert    put the released file back
  --help
exit status: 0 done (or, with --check, swapped); 1 refused: an unknown release or a changed
             file (with --check: not swapped); 2 usage error or the server was not found`;

function fail(status, message) {
  process.stderr.write(`${NAME}: ${message}\n`);
  process.exit(status);
}

/** The server package's folder: as given, or the nearest node_modules/@paperclipai/server. */
function serverDir(given) {
  if (given) return path.resolve(given);
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "node_modules", "@paperclipai", "server");
    if (existsSync(path.join(candidate, "package.json"))) return candidate;
    if (path.dirname(dir) === dir) fail(2, "no node_modules/@paperclipai/server here or above: name the server's folder");
  }
}

/** Writes through a temporary file and a rename, so the service is never half written. */
function writeWhole(file, text) {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text);
  renameSync(temporary, file);
}

/** Whether the swapped file will find this package, said as a warning when it will not. */
function warnUnlessResolvable(heartbeat) {
  try {
    createRequire(heartbeat).resolve("paperclip-session-compaction");
  } catch {
    process.stderr.write(
      `${NAME}: warning: paperclip-session-compaction cannot be found from ${visible(heartbeat, 200)}.\n` +
        "  Install it in the project that installs the server (npm), or give the server the dependency with\n" +
        `  pnpm's "packageExtensions" (see the swap guide): the server will not start until it resolves.\n`,
    );
  }
}

let parsed;
try {
  parsed = parseArgs({ allowPositionals: true, options: { check: { type: "boolean" }, revert: { type: "boolean" }, help: { type: "boolean" } } });
} catch (error) {
  fail(2, `${error.message}\n${usage}`);
}
const { values, positionals } = parsed;
if (values.help) {
  console.log(usage);
  process.exit(0);
}
if (positionals.length > 1 || (values.check && values.revert)) fail(2, `one server folder, and --check or --revert, not both\n${usage}`);

const dir = serverDir(positionals[0]);
const manifestPath = path.join(dir, "package.json");
const heartbeat = path.join(dir, HEARTBEAT_FILE);
if (!existsSync(manifestPath) || !existsSync(heartbeat)) fail(2, `${visible(dir, 200)} is not an installed @paperclipai/server (no package.json or ${HEARTBEAT_FILE})`);
const manifest = JSON.parse(readFileSync(manifestPath, "utf8"));
if (manifest.name !== "@paperclipai/server") fail(2, `${visible(dir, 200)} holds ${visible(manifest.name, 80)}, not @paperclipai/server`);
const version = String(manifest.version);
const current = readFileSync(heartbeat, "utf8");
const swapped = current.includes(SWAP_MARK);
const backup = heartbeat + BACKUP_SUFFIX;

if (values.check) {
  const known = KNOWN_RELEASES[version];
  const state = swapped ? "swapped" : known && sha256(current) === known.sha256 ? "as released (not swapped)" : known ? "changed since its release (not swapped)" : "a release this swap does not know (not swapped)";
  console.log(`@paperclipai/server ${visible(version, 40)}: ${state}`);
  process.exit(swapped ? 0 : 1);
}

if (values.revert) {
  if (!swapped) {
    console.log(`@paperclipai/server ${visible(version, 40)} is not swapped: nothing to revert`);
    process.exit(0);
  }
  const known = KNOWN_RELEASES[version];
  const original = existsSync(backup) ? readFileSync(backup, "utf8") : null;
  if (!known || original === null || sha256(original) !== known.sha256) fail(1, `no released copy of ${HEARTBEAT_FILE} to put back (${visible(backup, 200)} is missing or changed): reinstall the server`);
  writeWhole(heartbeat, original);
  console.log(`@paperclipai/server ${version}: reverted to the released ${HEARTBEAT_FILE}`);
  process.exit(0);
}

if (swapped) {
  console.log(`@paperclipai/server ${visible(version, 40)} is already swapped`);
  warnUnlessResolvable(heartbeat);
  process.exit(0);
}
let next;
try {
  next = swappedHeartbeat(version, current);
} catch (error) {
  if (error instanceof SwapError) fail(1, `refused: ${visible(error.message, 300)}. Nothing was changed.`);
  throw error;
}
writeFileSync(backup, current);
writeWhole(heartbeat, next);
console.log(`@paperclipai/server ${version}: swapped (${HEARTBEAT_FILE}; the released file is kept as ${path.basename(backup)})`);
warnUnlessResolvable(heartbeat);

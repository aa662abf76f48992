#!/usr/bin/env node
// paperclip-session-swap: puts this package's session-compaction decision (with the dead-session
// breaker) into an installed, released @paperclipai/server, or takes it out again. `--help`
// prints the usage, the operator's steps and the exit statuses.
import { createRequire } from "node:module";
import { readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { EXIT, FileRefusal, createExclusive, occupied, readRegularFile, regularFile, removeQuietly, replaceFile } from "../swap/files.mjs";
import { globalServer, nearestServer, owningProjectManifest, refuseNpxCache } from "../swap/locate.mjs";
import { BACKUP_SUFFIX, RECORD_FILE, readRecord, removeRecord, writeRecord } from "../swap/record.mjs";
import { SWAP_MARK, SwapError, knownRelease, knownVersions, sha256, swappedFile } from "../swap/releases.mjs";
import { visible } from "./visible.mjs";

const NAME = "paperclip-session-swap";
const RESTART = "Restart the server now: a running server keeps the heartbeat service it loaded when it started.";
const ownVersion = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8")).version;

const usage = `usage: ${NAME} [SERVER_DIR | --global] [--check | --revert] [--force] [--allow-unresolved]
Swaps the session-compaction decision of an installed @paperclipai/server for this package's
(the dead-session breaker included), editing its compiled heartbeat service in place. The
released file is kept beside it, and ${RECORD_FILE} in the server's folder records what was
written, so a later hand edit is seen.
Where the server is: SERVER_DIR (the @paperclipai/server package's folder); --global, the one
the paperclipai CLI nests in npm's global folder (npm install -g paperclipai); otherwise the
nearest node_modules/@paperclipai/server from the current folder up. Not npx's cache.
Known releases: ${knownVersions().join(", ")}.
options:
  --check             say whether the server is swapped, as released, edited or unknown; change nothing
  --revert            put the released file back
  --global            the server in npm's global folder (the paperclipai CLI's)
  --force             swap or revert over a swapped file that was edited since (the edit is lost)
  --allow-unresolved  swap although the server cannot find paperclip-session-compaction (pnpm patch folders)
  --help
steps: pin the release (npm install --save-exact @paperclipai/server@VERSION), install this package
       beside it, run ${NAME}, then restart the server; after every npm install, run it again
       (it is harmless when already swapped). --revert, then restart, undoes it.
exit status: 0 done (with --check: swapped, as this command wrote it)
             1 refused, nothing changed: an unknown release, a changed or hand-edited file, a link
               where a file should be (with --check: not swapped, or edited since)
             2 usage error, or no server where it was looked for
             3 the server's files could not be read or written (permissions, a folder where a
               file should be, a full disk); nothing changed`;

/** What one run decides from the server it finds. */
class Refusal extends Error {
  constructor(message, status = EXIT.refused) {
    super(message);
    this.status = status;
  }
}

const say = (line) => process.stdout.write(`${line}\n`);
const warn = (line) => process.stderr.write(`${NAME}: warning: ${line}\n`);

function parseCommandLine(argv) {
  const options = { check: { type: "boolean" }, revert: { type: "boolean" }, global: { type: "boolean" }, force: { type: "boolean" }, "allow-unresolved": { type: "boolean" }, help: { type: "boolean" } };
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options });
  } catch (error) {
    throw new Refusal(`${error.message}\n${usage}`, EXIT.usage);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  if (positionals.length > 1 || (positionals.length === 1 && values.global)) throw new Refusal(`one server folder, or --global\n${usage}`, EXIT.usage);
  if (values.check && values.revert) throw new Refusal(`--check or --revert, not both\n${usage}`, EXIT.usage);
  const mode = values.check ? "check" : values.revert ? "revert" : "swap";
  return { mode, dir: positionals[0], global: Boolean(values.global), force: Boolean(values.force), allowUnresolved: Boolean(values["allow-unresolved"]) };
}

/** The server's folder, its version and its release entry (when the swap knows it). */
function inspectServer(args) {
  const dir = args.dir ? path.resolve(args.dir) : args.global ? globalServer() : nearestServer();
  refuseNpxCache(dir);
  const manifestPath = path.join(dir, "package.json");
  if (!occupied(manifestPath)) throw new Refusal(`${visible(dir, 200)} is not an installed @paperclipai/server (no package.json)`, EXIT.usage);
  let manifest;
  try {
    manifest = JSON.parse(readRegularFile(manifestPath));
  } catch (error) {
    if (error instanceof FileRefusal) throw error;
    throw new Refusal(`${visible(manifestPath, 200)} is not JSON: not an installed @paperclipai/server`, EXIT.usage);
  }
  if (manifest?.name !== "@paperclipai/server") throw new Refusal(`${visible(dir, 200)} holds ${visible(String(manifest?.name), 80)}, not @paperclipai/server`, EXIT.usage);
  const version = String(manifest.version);
  let release = null;
  try {
    release = knownRelease(version);
  } catch (error) {
    if (!(error instanceof SwapError)) throw error;
  }
  return { dir, version, release, manifestStat: regularFile(manifestPath) };
}

/** Each file the release edits: where it is, its text now, and its status. */
function releaseFiles(server) {
  return server.release.files.map((file) => {
    const where = path.join(server.dir, file.path);
    const text = readRegularFile(where);
    return { file, where, backup: where + BACKUP_SUFFIX, text, stat: regularFile(where) };
  });
}

/**
 * The server's state: "released" (every file as published), "swapped" (every file as this
 * command's record says it wrote it), "edited" (swapped, then changed: the record and the bytes
 * disagree, or a swapped file has no record), "changed" (not swapped, not the published bytes),
 * or "unknown" (a release the swap does not know).
 */
function stateOf(server) {
  if (!server.release) return { state: "unknown" };
  const files = releaseFiles(server);
  const record = readRecord(server.dir);
  if (record) {
    const matches = record.serverVersion === server.version && files.every((f) => record.files.some((r) => r.path === f.file.path && r.swapped === sha256(f.text)));
    return { state: matches ? "swapped" : "edited", files, record, why: matches ? null : `a file differs from what ${RECORD_FILE} says the swap wrote` };
  }
  if (files.some((f) => f.text.includes(SWAP_MARK))) return { state: "edited", files, why: `it is swapped but ${RECORD_FILE} is missing, so a later edit cannot be told apart` };
  if (files.every((f) => sha256(f.text) === f.file.sha256)) return { state: "released", files };
  return { state: "changed", files };
}

/** The released text of a file: its current text when released, else its backup, verified. */
function releasedText(f, state) {
  if (state === "released") return f.text;
  if (!occupied(f.backup)) throw new Refusal(`no released copy of ${visible(f.where, 200)} to go back to (${visible(f.backup, 200)} is missing): reinstall the server`);
  const text = readRegularFile(f.backup);
  if (sha256(text) !== f.file.sha256) throw new Refusal(`${visible(f.backup, 200)} is not the released file: reinstall the server`);
  return text;
}

/** Whether the swapped service will find this package from where Node will load it (its real path). */
function unresolvableFrom(where) {
  const real = realpathSync(where);
  try {
    createRequire(real).resolve("paperclip-session-compaction");
    return null;
  } catch {
    return real;
  }
}

/** Warns when the project's package.json lets a later npm install replace the swapped release. */
function warnUnlessPinned(server) {
  const manifest = owningProjectManifest(server.dir);
  if (!manifest) return;
  let spec;
  try {
    const project = JSON.parse(readFileSync(manifest, "utf8"));
    spec = ["dependencies", "devDependencies", "optionalDependencies"].map((k) => project?.[k]?.["@paperclipai/server"]).find((s) => typeof s === "string");
  } catch {
    return;
  }
  if (spec === undefined || /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/.test(spec)) return;
  warn(
    `${visible(manifest, 200)} asks for "@paperclipai/server": "${visible(spec, 40)}": a later npm install can put another release's heartbeat service in place. Pin it (npm install --save-exact @paperclipai/server@${server.version}) and run ${NAME} after every install.`,
  );
}

function check(server) {
  const { state, why } = stateOf(server);
  const shown = {
    swapped: "swapped",
    released: "as released (not swapped)",
    changed: "changed since its release (not swapped)",
    unknown: `a release this swap does not know (not swapped; it knows ${knownVersions().join(", ")})`,
    edited: `swapped, then edited (${why}): --revert --force puts the released file back`,
  }[state];
  say(`@paperclipai/server ${visible(server.version, 40)}: ${shown}`);
  return state === "swapped" ? EXIT.done : EXIT.refused;
}

function revert(server, force) {
  const { state, files, why } = stateOf(server);
  if (state === "released" || state === "changed" || state === "unknown") {
    say(`@paperclipai/server ${visible(server.version, 40)} is not swapped: nothing to revert`);
    return EXIT.done;
  }
  if (state === "edited" && !force) throw new Refusal(`refused: the swapped server was edited since (${why}); --revert --force puts the released file back and loses that edit. Nothing was changed.`);
  const originals = files.map((f) => releasedText(f, state));
  files.forEach((f, i) => replaceFile(f.where, originals[i], f.stat));
  for (const f of files) removeQuietly(f.backup);
  removeRecord(server.dir);
  say(`@paperclipai/server ${server.version}: reverted to the released files${state === "edited" ? " (the later edit is gone)" : ""}. ${RESTART}`);
  return EXIT.done;
}

function swap(server, args) {
  if (!server.release) throw new Refusal(`refused: @paperclipai/server ${visible(server.version, 40)} is not a release this swap knows (it knows ${knownVersions().join(", ")}). Nothing was changed.`);
  const { state, files, why } = stateOf(server);
  if (state === "swapped") {
    say(`@paperclipai/server ${visible(server.version, 40)} is already swapped. If the server was not restarted since the swap: ${RESTART}`);
    return EXIT.done;
  }
  if (state === "changed") throw new Refusal(`refused: ${files.find((f) => sha256(f.text) !== f.file.sha256)?.file.path} is not the file @paperclipai/server ${server.version} was published with. Nothing was changed.`);
  if (state === "edited" && !args.force) throw new Refusal(`refused: the swapped server was edited since (${why}); --force swaps the released file again and loses that edit. Nothing was changed.`);
  const unresolvable = unresolvableFrom(files[0].where);
  if (unresolvable && !args.allowUnresolved) {
    throw new Refusal(
      `refused: the swapped server would not start: paperclip-session-compaction cannot be found from ${visible(unresolvable, 200)} (where Node loads the service from, links resolved). Install it in the project that installs the server (for the paperclipai CLI: npm install -g paperclip-session-compaction), or pass --allow-unresolved for a pnpm patch folder. Nothing was changed.`,
    );
  }
  const originals = files.map((f) => releasedText(f, state));
  let next;
  try {
    next = files.map((f, i) => swappedFile(server.version, f.file, originals[i]));
  } catch (error) {
    if (error instanceof SwapError) throw new Refusal(`refused: ${visible(error.message, 300)}. Nothing was changed.`);
    throw error;
  }
  const createdBackups = [];
  try {
    for (const [i, f] of files.entries()) {
      if (occupied(f.backup)) {
        if (sha256(readRegularFile(f.backup)) !== f.file.sha256) throw new Refusal(`refused: ${visible(f.backup, 200)} is already there and is not the released file: move it away. Nothing was changed.`);
      } else {
        createExclusive(f.backup, originals[i], f.stat);
        createdBackups.push(f.backup);
      }
    }
    const record = {
      swappedBy: `paperclip-session-compaction@${ownVersion}`,
      serverVersion: server.version,
      swappedAt: new Date().toISOString(),
      files: files.map((f, i) => ({ path: f.file.path, released: f.file.sha256, swapped: sha256(next[i]), backup: f.file.path + BACKUP_SUFFIX })),
    };
    writeRecord(server.dir, record, server.manifestStat);
    files.forEach((f, i) => replaceFile(f.where, next[i], f.stat));
  } catch (error) {
    for (const backup of createdBackups) removeQuietly(backup);
    if (state === "released") removeRecord(server.dir);
    throw error;
  }
  say(`@paperclipai/server ${server.version}: swapped (${files.map((f) => f.file.path).join(", ")}; the released file is kept beside it as *${BACKUP_SUFFIX}). ${RESTART}`);
  if (unresolvable) warn(`paperclip-session-compaction cannot be found from ${visible(unresolvable, 200)}: give the server the dependency (pnpm's packageExtensions, see the swap guide) before it starts.`);
  warnUnlessPinned(server);
  return EXIT.done;
}

function main(argv) {
  const args = parseCommandLine(argv);
  if (args.help) {
    say(usage);
    return EXIT.done;
  }
  const server = inspectServer(args);
  if (args.mode === "check") return check(server);
  if (args.mode === "revert") return revert(server, args.force);
  return swap(server, args);
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  // One line, never a stack trace: a refusal as it was said, a file's trouble escaped (paths
  // come from the disk), anything else as what went wrong reading or writing.
  const message = error instanceof Refusal ? error.message : visible(error instanceof FileRefusal ? error.message : `could not finish: ${error?.message ?? error}`, 1000);
  process.stderr.write(`${NAME}: ${message}\n`);
  process.exitCode = error instanceof Refusal || error instanceof FileRefusal ? error.status : EXIT.io;
}

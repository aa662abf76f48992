// What the swap does to one installed server, given the releases it knows: read its state
// (as released, swapped, swapped then edited, changed, unknown), swap it, revert it. The CLI
// (bin/paperclip-session-swap.mjs) finds the server and reads the command line; this module
// writes only through files.mjs and record.mjs, and says what it did through `say` and `warn`.
import { createRequire } from "node:module";
import { readFileSync, realpathSync } from "node:fs";
import path from "node:path";
import { visible } from "../bin/visible.mjs";
import { EXIT, createExclusive, occupied, readRegular, readRegularFile, removeQuietly, replaceFile } from "./files.mjs";
import { owningProjectManifest, refuseNpxCache } from "./locate.mjs";
import { BACKUP_SUFFIX, RECORD_FILE, readRecord, removeRecord, writeRecord } from "./record.mjs";
import { KNOWN_RELEASES, SWAP_MARK, SwapError, sha256, swappedFile } from "./releases.mjs";

const NAME = "paperclip-session-swap";
export const RESTART =
  "Restart the server now: a running server keeps the heartbeat service it loaded when it started.";

/** A refusal said to the operator in one line, with the exit status it earns. */
export class Refusal extends Error {
  constructor(message, status = EXIT.refused) {
    super(message);
    this.name = "Refusal";
    this.status = status;
  }
}

/**
 * The server in `dir`: its version, its release entry from `releases` (when the swap knows it)
 * and its manifest's status (the record takes its owner and mode).
 */
export function inspectServer(dir, releases = KNOWN_RELEASES) {
  refuseNpxCache(dir);
  const manifestPath = path.join(dir, "package.json");
  if (!occupied(manifestPath))
    throw new Refusal(`${visible(dir, 200)} is not an installed @paperclipai/server (no package.json)`, EXIT.usage);
  const { text: manifestText, stat: manifestStat } = readRegular(manifestPath);
  let manifest;
  try {
    manifest = JSON.parse(manifestText);
  } catch {
    throw new Refusal(`${visible(manifestPath, 200)} is not JSON: not an installed @paperclipai/server`, EXIT.usage);
  }
  if (manifest?.name !== "@paperclipai/server")
    throw new Refusal(
      `${visible(dir, 200)} holds ${visible(String(manifest?.name), 80)}, not @paperclipai/server`,
      EXIT.usage,
    );
  const version = String(manifest.version);
  const release = releases.get(version) ?? null;
  return { dir, version, release, manifestStat, known: [...releases.keys()] };
}

/** Each file the release edits: where it is, its text now, and its status. */
function releaseFiles(server) {
  return server.release.files.map((file) => {
    const where = path.join(server.dir, file.path);
    const { text, stat } = readRegular(where);
    return { file, where, backup: where + BACKUP_SUFFIX, text, stat };
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
    const matches =
      record.serverVersion === server.version &&
      files.every((f) => record.files.some((r) => r.path === f.file.path && r.swapped === sha256(f.text)));
    return {
      state: matches ? "swapped" : "edited",
      files,
      record,
      why: matches ? null : `a file differs from what ${RECORD_FILE} says the swap wrote`,
    };
  }
  if (files.some((f) => f.text.includes(SWAP_MARK)))
    return {
      state: "edited",
      files,
      why: `it is swapped but ${RECORD_FILE} is missing, so a later edit cannot be told apart`,
    };
  if (files.every((f) => sha256(f.text) === f.file.sha256)) return { state: "released", files };
  return { state: "changed", files };
}

/** The released text of a file: its current text when released, else its backup, verified. */
function releasedText(f, state) {
  if (state === "released") return f.text;
  if (!occupied(f.backup))
    throw new Refusal(
      `no released copy of ${visible(f.where, 200)} to go back to (${visible(f.backup, 200)} is missing): reinstall the server`,
    );
  const text = readRegularFile(f.backup);
  if (sha256(text) !== f.file.sha256)
    throw new Refusal(`${visible(f.backup, 200)} is not the released file: reinstall the server`);
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
function warnUnlessPinned(server, warn) {
  const manifest = owningProjectManifest(server.dir);
  if (!manifest) return;
  let spec;
  try {
    const project = JSON.parse(readFileSync(manifest, "utf8"));
    spec = ["dependencies", "devDependencies", "optionalDependencies"]
      .map((k) => project?.[k]?.["@paperclipai/server"])
      .find((s) => typeof s === "string");
  } catch {
    return;
  }
  if (spec === undefined || /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/.test(spec)) return;
  warn(
    `${visible(manifest, 200)} asks for "@paperclipai/server": "${visible(spec, 40)}": a later npm install can put another release's heartbeat service in place. Pin it (npm install --save-exact @paperclipai/server@${server.version}) and run ${NAME} after every install.`,
  );
}

export function check(server, { say }) {
  const { state, why } = stateOf(server);
  const shown = {
    swapped: "swapped",
    released: "as released (not swapped)",
    changed: "changed since its release (not swapped)",
    unknown: `a release this swap does not know (not swapped; it knows ${server.known.join(", ")})`,
    edited: `swapped, then edited (${why}): --revert --force puts the released file back`,
  }[state];
  say(`@paperclipai/server ${visible(server.version, 40)}: ${shown}`);
  return state === "swapped" ? EXIT.done : EXIT.refused;
}

export function revert(server, { force = false }, { say }) {
  const { state, files, why } = stateOf(server);
  if (state === "released" || state === "changed" || state === "unknown") {
    say(`@paperclipai/server ${visible(server.version, 40)} is not swapped: nothing to revert`);
    return EXIT.done;
  }
  if (state === "edited" && !force)
    throw new Refusal(
      `refused: the swapped server was edited since (${why}); --revert --force puts the released file back and loses that edit. Nothing was changed.`,
    );
  const originals = files.map((f) => releasedText(f, state));
  files.forEach((f, i) => replaceFile(f.where, originals[i], f.stat));
  for (const f of files) removeQuietly(f.backup);
  removeRecord(server.dir);
  say(
    `@paperclipai/server ${server.version}: reverted to the released files${state === "edited" ? " (the later edit is gone)" : ""}. ${RESTART}`,
  );
  return EXIT.done;
}

export function swap(
  server,
  { force = false, allowUnresolved = false, swappedBy = "paperclip-session-compaction" },
  { say, warn },
) {
  if (!server.release)
    throw new Refusal(
      `refused: @paperclipai/server ${visible(server.version, 40)} is not a release this swap knows (it knows ${server.known.join(", ")}). Nothing was changed.`,
    );
  const { state, files, why } = stateOf(server);
  if (state === "swapped") {
    say(
      `@paperclipai/server ${visible(server.version, 40)} is already swapped (restart the server if it has not been restarted since: it keeps the heartbeat service it loaded when it started)`,
    );
    return EXIT.done;
  }
  if (state === "changed")
    throw new Refusal(
      `refused: ${files.find((f) => sha256(f.text) !== f.file.sha256)?.file.path} is not the file @paperclipai/server ${server.version} was published with. Nothing was changed.`,
    );
  if (state === "edited" && !force)
    throw new Refusal(
      `refused: the swapped server was edited since (${why}); --force swaps the released file again and loses that edit. Nothing was changed.`,
    );
  const unresolvable = unresolvableFrom(files[0].where);
  if (unresolvable && !allowUnresolved) {
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
        if (sha256(readRegularFile(f.backup)) !== f.file.sha256)
          throw new Refusal(
            `refused: ${visible(f.backup, 200)} is already there and is not the released file: move it away. Nothing was changed.`,
          );
      } else {
        createExclusive(f.backup, originals[i], f.stat);
        createdBackups.push(f.backup);
      }
    }
    const record = {
      swappedBy,
      serverVersion: server.version,
      swappedAt: new Date().toISOString(),
      files: files.map((f, i) => ({
        path: f.file.path,
        released: f.file.sha256,
        swapped: sha256(next[i]),
        backup: f.file.path + BACKUP_SUFFIX,
      })),
    };
    writeRecord(server.dir, record, server.manifestStat);
    files.forEach((f, i) => replaceFile(f.where, next[i], f.stat));
  } catch (error) {
    for (const backup of createdBackups) removeQuietly(backup);
    if (state === "released") removeRecord(server.dir);
    throw error;
  }
  say(
    `@paperclipai/server ${server.version}: swapped (${files.map((f) => f.file.path).join(", ")}; the released file is kept beside it as *${BACKUP_SUFFIX}). ${RESTART}`,
  );
  if (unresolvable)
    warn(
      `paperclip-session-compaction cannot be found from ${visible(unresolvable, 200)}: give the server the dependency (pnpm's packageExtensions, see the swap guide) before it starts.`,
    );
  warnUnlessPinned(server, warn);
  return EXIT.done;
}

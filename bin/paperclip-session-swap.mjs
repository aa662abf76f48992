#!/usr/bin/env node
// paperclip-session-swap: puts this package's session-compaction decision (with the dead-session
// breaker) into an installed, released @paperclipai/server, or takes it out again. `--help`
// prints the usage, the operator's steps and the exit statuses.
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { EXIT, FileRefusal } from "../swap/files.mjs";
import { globalServer, nearestServer } from "../swap/locate.mjs";
import { Refusal, check, inspectServer, revert, swap } from "../swap/operations.mjs";
import { RECORD_FILE } from "../swap/record.mjs";
import { knownVersions } from "../swap/releases.mjs";
import { visible } from "./visible.mjs";

const NAME = "paperclip-session-swap";
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

const say = (line) => process.stdout.write(`${line}\n`);
const warn = (line) => process.stderr.write(`${NAME}: warning: ${line}\n`);

function parseCommandLine(argv) {
  const options = /** @type {const} */ ({
    check: { type: "boolean" },
    revert: { type: "boolean" },
    global: { type: "boolean" },
    force: { type: "boolean" },
    "allow-unresolved": { type: "boolean" },
    help: { type: "boolean" },
  });
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options });
  } catch (error) {
    throw new Refusal(`${error.message}\n${usage}`, EXIT.usage);
  }
  const { values, positionals } = parsed;
  if (values.help) return { help: true };
  if (positionals.length > 1 || (positionals.length === 1 && values.global))
    throw new Refusal(`one server folder, or --global\n${usage}`, EXIT.usage);
  if (values.check && values.revert) throw new Refusal(`--check or --revert, not both\n${usage}`, EXIT.usage);
  const mode = values.check ? "check" : values.revert ? "revert" : "swap";
  return {
    mode,
    dir: positionals[0],
    global: Boolean(values.global),
    force: Boolean(values.force),
    allowUnresolved: Boolean(values["allow-unresolved"]),
  };
}

function main(argv) {
  const args = parseCommandLine(argv);
  if (args.help) {
    say(usage);
    return EXIT.done;
  }
  const server = inspectServer(args.dir ? path.resolve(args.dir) : args.global ? globalServer() : nearestServer());
  const out = { say, warn };
  if (args.mode === "check") return check(server, out);
  if (args.mode === "revert") return revert(server, args, out);
  return swap(server, { ...args, swappedBy: `paperclip-session-compaction@${ownVersion}` }, out);
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (error) {
  // One line, never a stack trace: a refusal as it was said, a file's trouble escaped (paths
  // come from the disk), anything else as what went wrong reading or writing.
  const message =
    error instanceof Refusal
      ? error.message
      : visible(error instanceof FileRefusal ? error.message : `could not finish: ${error?.message ?? error}`, 1000);
  process.stderr.write(`${NAME}: ${message}\n`);
  process.exitCode = error instanceof Refusal || error instanceof FileRefusal ? error.status : EXIT.io;
}

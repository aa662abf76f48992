// The swap's record of what it wrote: for each file it edited, the SHA-256 of the released
// bytes and of the bytes it left there. It is what lets `--check`, a second swap and `--revert`
// tell a swapped file from one edited by hand since, and refuse to throw that edit away.
import path from "node:path";
import { EXIT, FileRefusal, occupied, readRegularFile, removeQuietly, replaceFile } from "./files.mjs";

/** The record's place: in the server package's folder, beside its package.json. */
export const RECORD_FILE = ".paperclip-session-compaction-swap.json";

/** Where the released copy of an edited file is kept while the server is swapped. */
export const BACKUP_SUFFIX = ".before-session-compaction-swap";

export const recordPath = (serverDir) => path.join(serverDir, RECORD_FILE);

/**
 * The record in `serverDir`, or null when there is none. A record that is not a regular file or
 * not the JSON this module writes is refused in one line: the swap will not guess.
 */
export function readRecord(serverDir) {
  const file = recordPath(serverDir);
  if (!occupied(file)) return null;
  const text = readRegularFile(file);
  let record;
  try {
    record = JSON.parse(text);
  } catch {
    throw new FileRefusal(
      `${file} is not a record this swap wrote (not JSON): move it away and run --check again`,
      EXIT.refused,
    );
  }
  const wellFormed =
    record !== null &&
    typeof record === "object" &&
    typeof record.serverVersion === "string" &&
    Array.isArray(record.files) &&
    record.files.every(
      (f) => f && typeof f.path === "string" && typeof f.released === "string" && typeof f.swapped === "string",
    );
  if (!wellFormed)
    throw new FileRefusal(`${file} is not a record this swap wrote: move it away and run --check again`, EXIT.refused);
  return record;
}

/** Writes the record whole (temporary file and rename), with the owner and mode of `like`. */
export function writeRecord(serverDir, record, like) {
  replaceFile(recordPath(serverDir), `${JSON.stringify(record, null, 2)}\n`, like);
}

export const removeRecord = (serverDir) => removeQuietly(recordPath(serverDir));

// How the swap touches a live server's files: never through a link, never half written, and
// with the owner and mode the server's own files have, so that the server's user can still
// read what root swapped and a read-only file stays read-only.
import { randomBytes } from "node:crypto";
import {
  closeSync,
  constants,
  fchmodSync,
  fchownSync,
  fstatSync,
  fsyncSync,
  lstatSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import path from "node:path";

/** A file the swap will not touch, or cannot: said in one line, with the exit status it earns. */
export class FileRefusal extends Error {
  /** @param {string} message @param {number} status */
  constructor(message, status) {
    super(message);
    this.name = "FileRefusal";
    this.status = status;
  }
}

/** Exit statuses, as `--help` promises them. */
export const EXIT = { done: 0, refused: 1, usage: 2, io: 3 };

/** What the operating system said, in words an operator acts on. */
export function describeFileError(error, file) {
  const code = error?.code;
  if (code === "EACCES" || code === "EPERM")
    return `permission denied on ${file}: run the swap as the server files' owner (or root)`;
  if (code === "EROFS") return `${file} is on a read-only file system`;
  if (code === "ENOSPC") return `no space left to write beside ${file}`;
  if (code === "EISDIR") return `${file} is a folder, not a file`;
  if (code === "ENOENT") return `${file} does not exist`;
  return `${file}: ${error?.message ?? String(error)}`;
}

/**
 * The file's status, read without following a link. Anything but a regular file (a link, a
 * folder, a device) is refused: the swap edits files where they are, and only files.
 */
export function regularFile(file) {
  let stat;
  try {
    stat = lstatSync(file);
  } catch (error) {
    throw new FileRefusal(describeFileError(error, file), error?.code === "ENOENT" ? EXIT.usage : EXIT.io);
  }
  if (stat.isSymbolicLink())
    throw new FileRefusal(
      `${file} is a symbolic link: the swap edits files only where they are; swap the server folder it points into`,
      EXIT.refused,
    );
  if (!stat.isFile())
    throw new FileRefusal(
      `${file} is not a regular file (${stat.isDirectory() ? "a folder" : "a special file"})`,
      EXIT.refused,
    );
  return stat;
}

/** A regular file's text and status (see `regularFile`), or a one-line refusal. */
export function readRegular(file) {
  const stat = regularFile(file);
  try {
    return { text: readFileSync(file, "utf8"), stat };
  } catch (error) {
    throw new FileRefusal(describeFileError(error, file), EXIT.io);
  }
}

/** A regular file's text (see `regularFile`), or a one-line refusal. */
export const readRegularFile = (file) => readRegular(file).text;

/** Whether anything (a file, a link, even a dangling one) is at `file`. */
export function occupied(file) {
  try {
    lstatSync(file);
    return true;
  } catch (error) {
    if (error?.code === "ENOENT") return false;
    throw new FileRefusal(describeFileError(error, file), EXIT.io);
  }
}

/**
 * Creates `file` with `text`, only if nothing is there: `O_EXCL` with `O_NOFOLLOW`, so a link
 * planted at the path is never followed. It takes the owner and mode of `like` (a stat).
 */
export function createExclusive(file, text, like) {
  let fd;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  } catch (error) {
    if (error?.code === "EEXIST")
      throw new FileRefusal(
        `${file} is already there: move it away first (the swap never writes over or through it)`,
        EXIT.refused,
      );
    throw new FileRefusal(describeFileError(error, file), EXIT.io);
  }
  try {
    writeWhole(fd, text, like, file);
  } catch (error) {
    removeQuietly(file);
    throw error;
  } finally {
    closeSync(fd);
  }
}

/**
 * Replaces `file` with `text` in one step: a temporary file in the same folder (created
 * exclusively), given the owner and mode of `like`, flushed, then renamed over the target. A
 * reader sees the old file or the new one, never a part; a link at `file` is replaced, never
 * written through.
 */
export function replaceFile(file, text, like) {
  const temporary = path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`,
  );
  createExclusive(temporary, text, like);
  try {
    renameSync(temporary, file);
  } catch (error) {
    removeQuietly(temporary);
    throw new FileRefusal(describeFileError(error, file), EXIT.io);
  }
}

/** Writes all of `text`, then the owner and mode of `like`, then flushes. */
function writeWhole(fd, text, like, file) {
  try {
    const bytes = Buffer.from(text, "utf8");
    for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, bytes.length - at);
    const now = fstatSync(fd);
    if (now.uid !== like.uid || now.gid !== like.gid) fchownSync(fd, like.uid, like.gid);
    fchmodSync(fd, like.mode & 0o7777);
    fsyncSync(fd);
  } catch (error) {
    if (error?.code === "EPERM")
      throw new FileRefusal(
        `cannot give ${file} the owner of the server's files (uid ${like.uid}, gid ${like.gid}): run the swap as that user or as root`,
        EXIT.io,
      );
    throw new FileRefusal(describeFileError(error, file), EXIT.io);
  }
}

/** Removes a file the swap made, when a later step failed; a failure here changes nothing said. */
export function removeQuietly(file) {
  try {
    unlinkSync(file);
  } catch {
    // already gone, or not ours to remove
  }
}

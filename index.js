// The package's entry: napi-rs's generated loader (binding.js) hands out the native functions
// themselves. When no binary fits this machine the loader's error is generic, so it is
// replaced here, once at load, by one that names the platform, the package and what to do.
"use strict";

const SUPPORTED = [
  "linux-x64-gnu",
  "linux-x64-musl",
  "linux-arm64-gnu",
  "darwin-x64",
  "darwin-arm64",
  "win32-x64-msvc",
];

function isMusl() {
  if (process.platform !== "linux") return false;
  try {
    const report = typeof process.report?.getReport === "function" ? process.report.getReport() : null;
    const header = report && (typeof report === "string" ? JSON.parse(report).header : report.header);
    return Boolean(header) && !header.glibcVersionRuntime;
  } catch {
    return false;
  }
}

/** napi-rs's name for this machine: platform-arch, plus the C library on Linux and Windows. */
function platformTriple() {
  const base = `${process.platform}-${process.arch}`;
  if (process.platform === "linux") return `${base}-${isMusl() ? "musl" : "gnu"}`;
  if (process.platform === "win32") return `${base}-msvc`;
  return base;
}

/**
 * The loader's chain of errors without the links that mislead here: its headline pointing at
 * an npm bug, and its lookups of a WebAssembly build this package does not ship. What is kept
 * (each native lookup, or a binary that failed to load) is chained again in order.
 */
function nativeAttempts(cause) {
  const kept = [];
  for (let e = cause, depth = 0; e && depth < 16; e = e.cause, depth++) {
    const message = String(e?.message ?? e);
    if (/wasm32-wasi|\.wasi\.cjs|Cannot find native binding/.test(message)) continue;
    kept.push(e);
  }
  return kept.reduceRight((next, e) => {
    const copy = new Error(String(e?.message ?? e), next ? { cause: next } : undefined);
    if (e?.code) copy.code = e.code;
    return copy;
  }, undefined);
}

function missingBinaryError(cause) {
  const triple = platformTriple();
  const pkg = `paperclip-session-compaction-${triple}`;
  const lines = [
    `paperclip-session-compaction: no native binary could be loaded for ${triple} (Node.js ${process.versions.node}).`,
    `It looked for the package "${pkg}" and for the file "session-compaction.${triple}.node" beside the loader.`,
    SUPPORTED.includes(triple)
      ? `What to do: install the platform package it names (npm install ${pkg}); if npm skipped it, your lockfile was probably made on ` +
        `another platform or optional dependencies were omitted: remove node_modules and the lockfile, then install again without --omit=optional.`
      : `What to do: ${triple} has no prebuilt binary (they exist for ${SUPPORTED.join(", ")}); build one from source with a Rust toolchain: npm run build in the repository.`,
    `The loader's attempts follow as the cause.`,
  ];
  const error = new Error(lines.join("\n"), { cause: nativeAttempts(cause) });
  error.code = "ERR_PAPERCLIP_SESSION_COMPACTION_BINARY";
  return error;
}

try {
  module.exports = require("./binding.js");
} catch (cause) {
  throw missingBinaryError(cause);
}

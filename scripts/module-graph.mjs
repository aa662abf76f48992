#!/usr/bin/env node
// The crate's module graph, from the source: which module uses which (`use` lines and paths in
// code, test modules left out, a parent's re-exports followed to the module that defines the
// item), and whether any modules depend on each other in a circle. Exits 1 on a circle.
//
//   node scripts/module-graph.mjs           the check
//   node scripts/module-graph.mjs --print   and every edge
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const src = path.join(root, "src");

/** Every .rs file under src, with its module path (`core::audit::line::row`). */
function modules() {
  const found = new Map();
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith(".rs")) {
        const parts = path.relative(src, file).replace(/\.rs$/, "").split(path.sep);
        if (parts.at(-1) === "mod" || parts.at(-1) === "lib") parts.pop();
        found.set(parts.join("::"), readFileSync(file, "utf8"));
      }
    }
  };
  walk(src);
  return found;
}

/** The text without comments and without the test modules at its end. */
function code(text) {
  const lines = text.split("\n").map((line) => line.replace(/\/\/.*$/, ""));
  const tests = lines.findIndex(
    (line, i) =>
      (/^#\[cfg\((all\()?test\b/.test(line) && /^mod \w+/.test(lines[i + 1] ?? "")) ||
      (/^#\[cfg\((all\()?test\b/.test(line) &&
        (lines[i + 1] ?? "").startsWith("#[allow") &&
        /^mod \w+/.test(lines[i + 2] ?? "")),
  );
  return (tests === -1 ? lines : lines.slice(0, tests)).join("\n");
}

/** `use a::{b, c::d}` and `a::b::c` paths starting at crate/super/self, as segment lists. */
function paths(text) {
  const found = [];
  for (const m of text.matchAll(/\buse\s+((?:crate|super|self)(?:::\w+)*)::\{([^}]*)\}/g)) {
    for (const item of m[2]
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean)) {
      found.push([...m[1].split("::"), ...item.split(/\s+as\s+/)[0].split("::")]);
    }
  }
  for (const m of text.matchAll(/\b((?:crate|super|self)(?:::\w+)+)/g)) found.push(m[1].split("::"));
  return found;
}

/** Absolute segments of `segments`, written in module `from`. */
function absolute(from, segments) {
  let base = from === "" ? [] : from.split("::");
  const rest = [...segments];
  if (rest[0] === "crate") {
    base = [];
    rest.shift();
  }
  while (rest[0] === "super" || rest[0] === "self") {
    if (rest.shift() === "super") base = base.slice(0, -1);
  }
  return [...base, ...rest];
}

const all = modules();
/** A module's `pub use x::name` re-exports: name → the segments it points to. */
const reexports = new Map();
for (const [name, text] of all) {
  const map = new Map();
  for (const m of code(text).matchAll(/\bpub(?:\([^)]*\))?\s+use\s+([\w:]+?)(?:::\{([^}]*)\}|::(\w+))\s*;/g)) {
    const items = m[2]
      ? m[2]
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
      : [m[3]];
    for (const item of items) {
      const [real, alias] = item.split(/\s+as\s+/);
      const target = absolute(name, [...m[1].split("::"), ...real.split("::")]);
      map.set(alias ?? real.split("::").at(-1), target);
    }
  }
  reexports.set(name, map);
}

/** The module that defines what `segments` (absolute) names. */
function resolve(segments, depth = 0) {
  for (let n = segments.length; n >= 0; n--) {
    const module = segments.slice(0, n).join("::");
    if (!all.has(module)) continue;
    const next = segments[n];
    const target = next && reexports.get(module)?.get(next);
    if (target && depth < 10) return resolve([...target, ...segments.slice(n + 1)], depth + 1);
    return module;
  }
  return null;
}

const isAncestor = (a, b) => a === "" || b.startsWith(`${a}::`);
const edges = new Map([...all.keys()].map((m) => [m, new Set()]));
for (const [name, text] of all) {
  const body = code(text).replace(/\bpub(?:\([^)]*\))?\s+use\s+[^;]*;/g, ""); // re-exports are a facade
  for (const segments of paths(body)) {
    const target = resolve(absolute(name, segments));
    // A module may use what its ancestors re-export: they are facades, not users.
    if (target === null || target === name || isAncestor(target, name)) continue;
    edges.get(name).add(target);
  }
}

if (process.argv.includes("--print")) {
  for (const [from, to] of [...edges].sort())
    if (to.size) console.log(`${from || "crate"} → ${[...to].sort().join(", ")}`);
}

// A circle: depth-first search for a back edge.
const state = new Map();
const stack = [];
let circle = null;
function visit(m) {
  state.set(m, "open");
  stack.push(m);
  for (const next of edges.get(m) ?? []) {
    if (circle) return;
    if (state.get(next) === "open") circle = [...stack.slice(stack.indexOf(next)), next];
    else if (!state.has(next)) visit(next);
  }
  stack.pop();
  state.set(m, "done");
}
for (const m of edges.keys()) if (!state.has(m) && !circle) visit(m);
if (circle) {
  console.error(`module graph: a circle: ${circle.join(" → ")}`);
  process.exit(1);
}
console.log(
  `module graph: ${all.size} modules, ${[...edges.values()].reduce((n, s) => n + s.size, 0)} edges, no circle`,
);

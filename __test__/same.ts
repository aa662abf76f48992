// How answers compare (the shared cases' README): a module of its own, with no file I/O,
// so that the hostile-input children can use it too.

/** Same keys, strings equal code unit for code unit, numbers by Object.is. */
export function same(a: unknown, b: unknown): boolean {
  if (typeof a === "number" && typeof b === "number") return Object.is(a, b);
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") return a === b;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && same(ra[k], rb[k]));
}

/** The keys of every object in an answer, in insertion order: the order JSON.stringify and
 * snapshot tests see, which the cases' comparison leaves out. */
export function keyOrder(value: unknown): string {
  if (value === null || typeof value !== "object") return "";
  return Object.entries(value)
    .map(([k, v]) => `${k}{${keyOrder(v)}}`)
    .join(",");
}

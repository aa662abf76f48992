// How answers compare: `same` (the cases' rule) and the key order the cases leave out.
export { same } from "./case-format.mjs";

/** The keys of every object in an answer, in insertion order: the order JSON.stringify and
 * snapshot tests see, which the cases' comparison leaves out. */
export function keyOrder(value: unknown): string {
  if (value === null || typeof value !== "object") return "";
  return Object.entries(value)
    .map(([k, v]) => `${k}{${keyOrder(v)}}`)
    .join(",");
}

export type Answer = { ok: true; value: unknown } | { ok: false; error: unknown };

/** A call's answer, or what it threw. */
export function answer(call: () => unknown): Answer {
  try {
    return { ok: true, value: call() };
  } catch (error) {
    return { ok: false, error };
  }
}

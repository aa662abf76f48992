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

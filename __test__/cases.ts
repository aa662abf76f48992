// Reads the shared conformance cases (../shared/cases) and compares answers as their README says.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const casesDir = path.resolve(here, "..", "..", "shared", "cases");

export type Case = { name: string; input: unknown; output?: unknown; throws?: string };

export function loadCases(file: string): Case[] {
  return JSON.parse(readFileSync(path.join(casesDir, file), "utf8"));
}

/** Tagged JSON: { $undefined }, { $number }, { $date } become the JavaScript values they stand for. */
export function decode(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decode);
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o.$undefined === true) return undefined;
    if (typeof o.$number === "string") return o.$number === "-0" ? -0 : Number(o.$number);
    if (typeof o.$date === "string") return new Date(o.$date === "Invalid" ? NaN : o.$date);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, decode(x)]));
  }
  return v;
}

export { same } from "./same";

// data/adapter-table.json, the one place that says which adapters @paperclipai/adapter-utils
// manages in which release, read for the reference, the generators and the tests.
import { readFileSync } from "node:fs";
import path from "node:path";

export type TableEntry = {
  adapterType: string;
  nativeContextManagement: "confirmed" | "unknown";
  defaultSessionCompaction: "managed" | "thresholds";
  since: string;
  until?: string;
};
export type AdapterTable = { package: string; matches: string; oldestCompared: string; adapters: TableEntry[] };

export const table: AdapterTable = JSON.parse(
  readFileSync(path.join(__dirname, "..", "data", "adapter-table.json"), "utf8"),
);

/** Release numbers compared as numbers: 2026.916.1 > 2026.831.1. */
export function compareReleases(a: string, b: string): number {
  const x = a.split(".").map(Number);
  const y = b.split(".").map(Number);
  for (let i = 0; i < Math.max(x.length, y.length); i++)
    if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
  return 0;
}

/** The entries in force in `release`. */
export function adaptersIn(release: string): TableEntry[] {
  return table.adapters.filter(
    (e) => compareReleases(e.since, release) <= 0 && (e.until === undefined || compareReleases(release, e.until) < 0),
  );
}

/** Every adapter type the table has ever named. */
export const everyAdapterType = table.adapters.map((e) => e.adapterType);

// Policy resolution against the published package itself, @paperclipai/adapter-utils, in two
// releases installed side by side as npm aliases: the newest, which the native resolver
// matches everywhere, and the oldest we compared, which differs exactly on the adapters
// data/adapter-table.json says changed between the two.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as newest from "adapter-utils-2026.916.1/session-compaction";
import * as oldest from "adapter-utils-2026.707.0/session-compaction";
import { adaptersIn, table } from "./adapter-table";
import * as A from "./arbitraries";
import { same } from "./cases";
import { native } from "./native";

type Published = typeof newest;
const releases: Array<{ version: string; published: Published }> = [
  { version: "2026.916.1", published: newest },
  { version: "2026.707.0", published: oldest as unknown as Published },
];

// The package looks adapter names up on a plain object, so names of Object.prototype's
// members resolve to functions there; the SPEC has us treat them as unknown adapters.
const PROTOTYPE_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));
const adapterType = A.adapterType.filter((a) => typeof a !== "string" || !PROTOTYPE_NAMES.has(a));

/** Adapter types whose entry differs between `release` and the release the table matches. */
function changedSince(release: string): Set<string> {
  const key = (e: { adapterType: string; nativeContextManagement: string; defaultSessionCompaction: string }) =>
    `${e.adapterType}/${e.nativeContextManagement}/${e.defaultSessionCompaction}`;
  const then = new Set(adaptersIn(release).map(key));
  const now = new Set(adaptersIn(table.matches).map(key));
  return new Set([...then, ...now].filter((k) => then.has(k) !== now.has(k)).map((k) => k.split("/")[0]));
}

it("the table matches the newest release we test against, and the addon says so", () => {
  expect(table.matches).toBe(releases[0].version);
  expect(native.ADAPTER_TABLE_VERSION).toBe(table.matches);
  expect([...changedSince("2026.707.0")].sort()).toEqual(["acpx_local", "kimi_local"]);
  // The table's entries in force are the published table, name for name.
  for (const { version, published } of releases) {
    const theirs = Object.keys(published.ADAPTER_SESSION_MANAGEMENT).sort();
    expect({
      version,
      adapters: adaptersIn(version)
        .map((e) => e.adapterType)
        .sort(),
    }).toEqual({ version, adapters: theirs });
  }
});

for (const { version, published } of releases) {
  const changed = changedSince(version);
  describe(`resolveSessionCompactionPolicy = @paperclipai/adapter-utils@${version}`, () => {
    it(`on 10,000 generated (adapterType, runtimeConfig) pairs, except where the table changed since (${[...changed].join(", ") || "nothing"})`, () => {
      let differing = 0;
      fc.assert(
        fc.property(adapterType, A.runtimeConfig, (a, r) => {
          const mine = native.resolveSessionCompactionPolicy(a as never, r);
          const theirs = published.resolveSessionCompactionPolicy(a as never, r);
          if (typeof a === "string" && changed.has(a)) {
            // The adapter entry is where the releases part; the override is read alike.
            expect(mine.adapterSessionManagement).not.toEqual(theirs.adapterSessionManagement);
            expect(mine.explicitOverride).toEqual(theirs.explicitOverride);
            differing++;
            return;
          }
          if (!same(mine, theirs))
            throw new Error(`native ${JSON.stringify(mine)}\npublished ${JSON.stringify(theirs)}`);
        }),
        { numRuns: 10_000 },
      );
      if (changed.size > 0) expect(differing).toBeGreaterThan(100);
    });

    it("differs on prototype names only in adapterSessionManagement and source", () => {
      for (const name of ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"]) {
        const mine = native.resolveSessionCompactionPolicy(name, { sessionCompaction: { maxSessionRuns: "7" } });
        const theirs = published.resolveSessionCompactionPolicy(name, { sessionCompaction: { maxSessionRuns: "7" } });
        expect(mine.policy).toEqual(theirs.policy);
        expect(mine.explicitOverride).toEqual(theirs.explicitOverride);
        expect(mine.adapterSessionManagement).toBeNull();
      }
      expect(native.resolveSessionCompactionPolicy("constructor", null).source).toBe("legacy_fallback");
    });

    it("hasSessionCompactionThresholds, on 10,000 generated policies", () => {
      fc.assert(
        fc.property(
          A.limitsOnly,
          (p) => native.hasSessionCompactionThresholds(p) === published.hasSessionCompactionThresholds(p as never),
        ),
        { numRuns: 10_000 },
      );
    });
  });
}

it("a kimi_local agent whose session has 201 runs rotates, as the service with today's adapter-utils does", () => {
  const runs = Array.from({ length: 201 }, (_, i) => ({
    id: `r${i}`,
    createdAt: new Date(Date.UTC(2026, 8, 1, 0, i)),
    livenessState: "advanced",
    usageJson: { inputTokens: 5 },
  }));
  const decision = native.evaluateSessionCompaction({
    agent: { adapterType: "kimi_local", runtimeConfig: {} },
    sessionId: "s",
    issueId: null,
    continuationSummaryBody: null,
    runs,
  });
  expect(decision.rotate).toBe(true);
  expect(newest.resolveSessionCompactionPolicy("kimi_local", {}).policy.maxSessionRuns).toBe(200);
});

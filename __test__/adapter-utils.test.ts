// Policy resolution against the published package itself, @paperclipai/adapter-utils.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as published from "@paperclipai/adapter-utils/session-compaction";
import * as A from "./arbitraries";
import { same } from "./cases";
import { native } from "./native";

// The package looks adapter names up on a plain object, so names of Object.prototype's
// members resolve to functions there; the SPEC has us treat them as unknown adapters.
const PROTOTYPE_NAMES = new Set(Object.getOwnPropertyNames(Object.prototype));
const adapterType = A.adapterType.filter((a) => typeof a !== "string" || !PROTOTYPE_NAMES.has(a));

describe("resolveSessionCompactionPolicy = @paperclipai/adapter-utils", () => {
  it("on 10,000 generated (adapterType, runtimeConfig) pairs", () => {
    fc.assert(
      fc.property(adapterType, A.runtimeConfig, (a, r) => {
        const mine = native.resolveSessionCompactionPolicy(a as never, r);
        const theirs = published.resolveSessionCompactionPolicy(a as never, r);
        if (!same(mine, theirs)) throw new Error(`native ${JSON.stringify(mine)}\npublished ${JSON.stringify(theirs)}`);
      }),
      { numRuns: 10_000 },
    );
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
});

describe("hasSessionCompactionThresholds = @paperclipai/adapter-utils", () => {
  it("on 10,000 generated policies", () => {
    fc.assert(
      fc.property(A.limitsOnly, (p) => native.hasSessionCompactionThresholds(p) === published.hasSessionCompactionThresholds(p as never)),
      { numRuns: 10_000 },
    );
  });
});

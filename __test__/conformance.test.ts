import { describe, expect, it } from "vitest";
import { native } from "./native";
import * as reference from "./reference";
import { caseFiles, checkCase, loadCases } from "./cases";
import { createRequire } from "node:module";

// The loader's own functions, called without the property keys index.js passes after the
// arguments: the binding must then make its keys itself and answer the same.
const rawBinding = createRequire(import.meta.url)("../loader.cjs") as Impl;

// The loader's functions given the keys and Object.keys as index.js passes them, but a scratch
// array the binding must refuse (wrong type, too short, a plain array): it answers whole.
type NativeFn = (...args: unknown[]) => unknown;
const rawFns = rawBinding as unknown as Record<string, NativeFn> & { __propertyKeys: string[] };
function withScratch(scratch: unknown): Impl {
  const call = (name: string, a: unknown, b: unknown) => rawFns[name](a, b, ...rawFns.__propertyKeys, Object.keys, scratch);
  return {
    detectDeadReusedSessionCircuitBreaker: (i) => call("detectDeadReusedSessionCircuitBreaker", i, undefined) as never,
    evaluateSessionCompaction: (i) => call("evaluateSessionCompaction", i, undefined) as never,
    resolveSessionCompactionPolicy: (a, r) => call("resolveSessionCompactionPolicy", a, r) as never,
  };
}
const refusedScratches: Array<[string, unknown]> = [
  ["a Float64Array too short for any answer", new Float64Array(0)],
  ["a Uint8Array", new Uint8Array(64)],
  ["a plain array", new Array(24).fill(0)],
];

type Impl = Pick<typeof reference, "detectDeadReusedSessionCircuitBreaker" | "evaluateSessionCompaction" | "resolveSessionCompactionPolicy">;

function check(impl: Impl, file: (typeof caseFiles)[number]) {
  const cases = loadCases(file.file);
  const failures = cases.map((c) => checkCase(impl, file, c)).filter((f) => f !== null);
  return { count: cases.length, failures };
}

describe("recorded conformance cases", () => {
  for (const file of caseFiles) {
    it(`native: ${file.file}`, () => {
      const { count, failures } = check(native as unknown as Impl, file);
      expect(count).toBeGreaterThan(0);
      expect(failures).toEqual([]);
    });
    it(`native without forwarded keys: ${file.file}`, () => {
      expect(check(rawBinding, file).failures).toEqual([]);
    });
    it(`native with a scratch array it must refuse: ${file.file}`, () => {
      for (const [, scratch] of refusedScratches) expect(check(withScratch(scratch), file).failures).toEqual([]);
    });
    // The differential tests trust the reference, so it must hold the recorded answers too.
    it(`reference: ${file.file}`, () => {
      expect(check(reference, file).failures).toEqual([]);
    });
  }

  it("counts all 559 cases", () => {
    expect(caseFiles.reduce((n, { file }) => n + loadCases(file).length, 0)).toBe(559);
  });
});

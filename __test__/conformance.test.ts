import { describe, expect, it } from "vitest";
import { native } from "./native";
import * as reference from "./reference";
import * as release707 from "adapter-utils-2026.707.0/session-compaction";
import { caseFiles, checkCase, loadCases } from "./cases";

type Impl = Pick<
  typeof reference,
  "detectDeadReusedSessionCircuitBreaker" | "evaluateSessionCompaction" | "resolveSessionCompactionPolicy"
>;

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
    // The differential tests trust the reference, so it must hold the recorded answers too.
    it(`reference: ${file.file}`, () => {
      expect(check(reference, file).failures).toEqual([]);
    });
  }

  it("a case tagged with an older adapter table depends on it: under today's table its answer differs", () => {
    const tagged = loadCases("evaluate-session-compaction.json").filter((c) => c.adapterTable !== undefined);
    expect(tagged.map((c) => [c.name, c.adapterTable?.release])).toEqual([
      ["sampled-11", "2026.707.0"],
      ["sampled-209", "2026.707.0"],
    ]);
    for (const c of tagged) {
      // The recorded policy is what that release resolves for the case's agent.
      const { agent } = c.input as { agent: { adapterType: string; runtimeConfig: unknown } };
      expect(c.adapterTable?.policy).toEqual(
        release707.resolveSessionCompactionPolicy(agent.adapterType, agent.runtimeConfig).policy,
      );
      const untagged = { ...c, adapterTable: undefined };
      expect(checkCase(native as unknown as Impl, caseFiles[1], untagged)).not.toBeNull();
    }
  });

  it("counts all 559 cases", () => {
    expect(caseFiles.reduce((n, { file }) => n + loadCases(file).length, 0)).toBe(559);
  });
});

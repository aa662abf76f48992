// Property-based differential tests: the native exports against our TypeScript reference of
// the contract, on generated inputs weighted toward the SPEC's edges.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as A from "./arbitraries";
import { same } from "./cases";
import { answer, keyOrder, type Answer } from "./same";
import { native } from "./native";
import * as reference from "./reference";
import { readsOf } from "./reads";

const RUNS = 10_000;

/** Both answer the same value, or both throw a TypeError with the same message. */
function agree(nativeCall: () => unknown, referenceCall: () => unknown): boolean {
  const n = answer(nativeCall);
  const r = answer(referenceCall);
  if (r.ok && n.ok) return same(n.value, r.value) && keyOrder(n.value) === keyOrder(r.value);
  if (!r.ok && !n.ok) {
    return r.error instanceof TypeError && n.error instanceof TypeError && n.error.message === r.error.message;
  }
  return false;
}

function describeDifference(nativeCall: () => unknown, referenceCall: () => unknown): string {
  const show = (a: Answer) => (a.ok ? JSON.stringify(a.value) : `throws ${String(a.error)}`);
  return `native: ${show(answer(nativeCall))}\nreference: ${show(answer(referenceCall))}`;
}

function property<T>(arb: fc.Arbitrary<T>, nativeCall: (v: T) => unknown, referenceCall: (v: T) => unknown) {
  let checked = 0;
  fc.assert(
    fc.property(arb, (v) => {
      checked++;
      const ok = agree(
        () => nativeCall(v),
        () => referenceCall(v),
      );
      if (!ok)
        throw new Error(
          describeDifference(
            () => nativeCall(v),
            () => referenceCall(v),
          ),
        );
    }),
    { numRuns: RUNS },
  );
  expect(checked).toBeGreaterThanOrEqual(RUNS);
}

describe(`native = reference on ${RUNS} generated inputs per function`, () => {
  it("detectDeadReusedSessionCircuitBreaker", () => {
    property(
      A.breakerInput,
      (i) => native.detectDeadReusedSessionCircuitBreaker(i as never),
      (i) => reference.detectDeadReusedSessionCircuitBreaker(i),
    );
  });

  it("evaluateSessionCompaction", () => {
    property(
      A.evaluateInput,
      (i) => native.evaluateSessionCompaction(i as never),
      (i) => reference.evaluateSessionCompaction(i),
    );
  });

  it("explainSessionCompaction", () => {
    property(
      A.evaluateInput,
      (i) => native.explainSessionCompaction(i as never),
      (i) => reference.explainSessionCompaction(i),
    );
  });

  it("resolveSessionCompactionPolicy", () => {
    property(
      fc.tuple(A.adapterType, A.runtimeConfig),
      ([a, r]) => native.resolveSessionCompactionPolicy(a as never, r),
      ([a, r]) => reference.resolveSessionCompactionPolicy(a, r),
    );
  });

  it("parseSessionCompactionPolicy", () => {
    property(
      A.agent,
      (a) => native.parseSessionCompactionPolicy(a as never),
      (a) => reference.parseSessionCompactionPolicy(a),
    );
  });

  it("hasSessionCompactionThresholds", () => {
    property(
      A.limitsOnly,
      (p) => native.hasSessionCompactionThresholds(p),
      (p) => reference.hasSessionCompactionThresholds(p),
    );
  });

  it("planSessionCompaction", () => {
    property(
      A.agent,
      (a) => native.planSessionCompaction(a as never),
      (a) => reference.planSessionCompaction(a),
    );
  });
});

// The opt-in breaker options (issue 26): the same parity, over inputs that set them (and now and
// then set them wrong) and runs of every kind the wider rule counts.
describe(`with the dead-run rule's options: native = reference on ${RUNS} generated inputs`, () => {
  it("detectDeadReusedSessionCircuitBreaker", () => {
    property(
      A.widenedBreakerInput,
      (i) => native.detectDeadReusedSessionCircuitBreaker(i as never),
      (i) => reference.detectDeadReusedSessionCircuitBreaker(i),
    );
  });
  it("evaluateSessionCompaction", () => {
    property(
      A.widenedEvaluateInput,
      (i) => native.evaluateSessionCompaction(i as never),
      (i) => reference.evaluateSessionCompaction(i),
    );
  });
  it("explainSessionCompaction", () => {
    property(
      A.widenedEvaluateInput,
      (i) => native.explainSessionCompaction(i as never),
      (i) => reference.explainSessionCompaction(i),
    );
  });
  it("reaches every kind of widened rotation, the fork's sentence, keeps and refusals", () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(A.widenedBreakerInput, (i) => {
        const r = answer(() => reference.detectDeadReusedSessionCircuitBreaker(i));
        if (!r.ok) return void seen.add(String((r.error as Error).message).replace(/\[\d+\]/, "[i]"));
        const reason = (r.value as { reason: string | null }).reason;
        if (reason === null) return void seen.add("keep");
        if (reason.includes("consecutive failed zero-token")) seen.add("fork sentence");
        if (reason.includes("empty_response zero-token")) seen.add("empty_response zero-token");
        if (reason.includes("with no usage record")) seen.add("unrecorded resume");
      }),
      { numRuns: 5000 },
    );
    expect([...seen].sort()).toEqual(
      [
        "keep",
        "fork sentence",
        "empty_response zero-token",
        "unrecorded resume",
        "countUnrecordedResumes must be a boolean",
        "deadLivenessStates must be an array of strings",
        "deadLivenessStates[i] must be a string",
        "runs must be an array",
        "runs[i] must be an object",
      ].sort(),
    );
  });
});

describe("the generators reach the edges", () => {
  // A differential test that never rotates, or never throws, proves little: check coverage.
  it("evaluate inputs rotate for every reason, keep, and throw", () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(A.evaluateInput, (i) => {
        const r = answer(() => reference.evaluateSessionCompaction(i));
        if (!r.ok) seen.add("throws");
        else {
          const reason = (r.value as { reason: string | null }).reason;
          seen.add(
            reason === null ? "keep" : reason.replace(/^(\d+ consecutive|session \w+).*$/, "$1").replace(/^\d+/, "N"),
          );
        }
      }),
      { numRuns: 3000 },
    );
    expect([...seen].sort()).toEqual(
      ["N consecutive", "keep", "session age", "session exceeded", "session raw", "throws"].sort(),
    );
  });

  it("breaker inputs rotate, keep with a dead run, keep without one, and throw", () => {
    const seen = new Set<string>();
    fc.assert(
      fc.property(A.breakerInput, (i) => {
        const r = answer(() => reference.detectDeadReusedSessionCircuitBreaker(i));
        if (!r.ok) return void seen.add("throws");
        const v = r.value as { rotate: boolean; previousRunId: unknown };
        seen.add(v.rotate ? "rotate" : v.previousRunId === null ? "keep" : "keep-with-dead");
      }),
      { numRuns: 3000 },
    );
    expect([...seen].sort()).toEqual(["keep", "keep-with-dead", "rotate", "throws"]);
  });
});

// Getters and proxies make every read observable, so parity covers which properties are read
// and in what order, not only the answer. Every property and element of these inputs logs its
// reads (see reads.ts); the addon's log must equal the reference's.
describe("native reads the same properties as the reference, in the same order", () => {
  const READ_RUNS = 2_000;
  function sameReads<T>(arb: fc.Arbitrary<T>, nativeCall: (v: T) => unknown, referenceCall: (v: T) => unknown) {
    fc.assert(
      fc.property(arb, (v) => {
        expect(readsOf(nativeCall as never, v)).toEqual(readsOf(referenceCall as never, v));
      }),
      { numRuns: READ_RUNS },
    );
  }

  it("detectDeadReusedSessionCircuitBreaker", () => {
    sameReads(
      A.breakerInput,
      (i) => native.detectDeadReusedSessionCircuitBreaker(i as never),
      (i) => reference.detectDeadReusedSessionCircuitBreaker(i),
    );
  });
  it("evaluateSessionCompaction", () => {
    sameReads(
      A.evaluateInput,
      (i) => native.evaluateSessionCompaction(i as never),
      (i) => reference.evaluateSessionCompaction(i),
    );
  });
  it("explainSessionCompaction", () => {
    sameReads(
      A.evaluateInput,
      (i) => native.explainSessionCompaction(i as never),
      (i) => reference.explainSessionCompaction(i),
    );
  });
  it("resolveSessionCompactionPolicy", () => {
    sameReads(
      fc.tuple(A.adapterType, A.runtimeConfig),
      (t) => native.resolveSessionCompactionPolicy(t[0] as never, t[1]),
      (t) => reference.resolveSessionCompactionPolicy(t[0], t[1]),
    );
  });
  it("parseSessionCompactionPolicy and planSessionCompaction", () => {
    sameReads(
      A.agent,
      (a) => native.parseSessionCompactionPolicy(a as never),
      (a) => reference.parseSessionCompactionPolicy(a),
    );
    sameReads(
      A.agent,
      (a) => native.planSessionCompaction(a as never),
      (a) => reference.planSessionCompaction(a),
    );
  });
  it("the breaker, the evaluation and the explanation with the dead-run rule's options", () => {
    sameReads(
      A.widenedBreakerInput,
      (i) => native.detectDeadReusedSessionCircuitBreaker(i as never),
      (i) => reference.detectDeadReusedSessionCircuitBreaker(i),
    );
    sameReads(
      A.widenedEvaluateInput,
      (i) => native.evaluateSessionCompaction(i as never),
      (i) => reference.evaluateSessionCompaction(i),
    );
    sameReads(
      A.widenedEvaluateInput,
      (i) => native.explainSessionCompaction(i as never),
      (i) => reference.explainSessionCompaction(i),
    );
  });
  it("hasSessionCompactionThresholds", () => {
    sameReads(
      A.limitsOnly,
      (p) => native.hasSessionCompactionThresholds(p),
      (p) => reference.hasSessionCompactionThresholds(p),
    );
  });
});

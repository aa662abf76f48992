// The package's public surface: the exports the SPEC fixes, and types without `any`.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { native } from "./native";

// Constants first (sorted: upper case before lower), then the classes and functions.
const CONSTANTS = ["ADAPTER_TABLE_VERSION", "DEAD_REUSED_SESSION_FAILURE_THRESHOLD"];
const EXPORTS = [
  ...CONSTANTS,
  "DeadSessionAuditor",
  "auditDeadSessions",
  "auditDeadSessionsSync",
  "detectDeadReusedSessionCircuitBreaker",
  "evaluateSessionCompaction",
  "explainSessionCompaction",
  "hasSessionCompactionThresholds",
  "parseSessionCompactionPolicy",
  "planSessionCompaction",
  "resolveSessionCompactionPolicy",
];

describe("package surface", () => {
  it("exports exactly the SPEC's names, and the adapter table's release", () => {
    expect(
      Object.keys(native)
        .filter((k) => k !== "__napiBindingTarget")
        .sort(),
    ).toEqual(EXPORTS);
    expect(native.DEAD_REUSED_SESSION_FAILURE_THRESHOLD).toBe(3);
    expect(native.ADAPTER_TABLE_VERSION).toMatch(/^\d{4}\.\d+\.\d+$/);
    for (const name of EXPORTS.slice(CONSTANTS.length))
      expect(typeof (native as unknown as Record<string, unknown>)[name]).toBe("function");
  });

  it("declares every export in the generated binding.d.ts, and never `any`", () => {
    const dts = readFileSync(new URL("../binding.d.ts", import.meta.url), "utf8");
    const code = dts.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    expect(code).not.toMatch(/\bany\b/);
    for (const name of EXPORTS) expect(code).toMatch(new RegExp(`export declare (const|function|class) ${name}\\b`));
  });

  it("answers plain objects with exactly the SPEC's keys, null never undefined", () => {
    const d = native.evaluateSessionCompaction({
      agent: { adapterType: null, runtimeConfig: null },
      sessionId: null,
      issueId: null,
      runs: [],
    });
    expect(Object.keys(d).sort()).toEqual(["handoffMarkdown", "previousRunId", "reason", "rotate"]);
    expect(Object.getPrototypeOf(d)).toBe(Object.prototype);
    const b = native.detectDeadReusedSessionCircuitBreaker({
      sessionId: "s",
      runs: [
        {
          id: undefined as never,
          livenessState: "failed",
          usageJson: { persistedSessionId: "s", sessionReused: true },
        },
      ],
    });
    expect(b).toEqual({ rotate: false, reason: null, previousRunId: null });
    expect(Object.keys(native.planSessionCompaction({ adapterType: "cursor", runtimeConfig: {} })).sort()).toEqual([
      "fetchLimit",
      "needsOldestRun",
    ]);
  });
});

describe("the entry is napi-rs's own", () => {
  it("hands out the native functions themselves, for require and import alike", async () => {
    const esm = await import("../index.js");
    for (const name of EXPORTS.slice(CONSTANTS.length)) {
      const fn = (native as unknown as Record<string, unknown>)[name];
      // A native function's source is "[native code]": no JavaScript wraps it.
      if (name !== "DeadSessionAuditor") expect(Function.prototype.toString.call(fn)).toMatch(/\[native code\]/);
      expect((esm as Record<string, unknown>)[name]).toBe(fn);
    }
  });

  it("puts the database audit on its own subpath", async () => {
    const { auditDeadSessionsFromDatabase } = await import("../database.js");
    expect(typeof auditDeadSessionsFromDatabase).toBe("function");
  });
});

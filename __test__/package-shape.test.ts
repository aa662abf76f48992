// The package's public surface: the exports the SPEC fixes, and types without `any`.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { native } from "./native";

const EXPORTS = [
  "DEAD_REUSED_SESSION_FAILURE_THRESHOLD",
  "DeadSessionAuditor",
  "auditDeadSessions",
  "auditDeadSessionsFromDatabase",
  "detectDeadReusedSessionCircuitBreaker",
  "evaluateSessionCompaction",
  "hasSessionCompactionThresholds",
  "parseSessionCompactionPolicy",
  "planSessionCompaction",
  "resolveSessionCompactionPolicy",
];

describe("package surface", () => {
  it("exports exactly the SPEC's names", () => {
    expect(Object.keys(native).sort()).toEqual(EXPORTS);
    expect(native.DEAD_REUSED_SESSION_FAILURE_THRESHOLD).toBe(3);
    for (const name of EXPORTS.slice(1)) expect(typeof (native as unknown as Record<string, unknown>)[name]).toBe("function");
  });

  it("declares every export in index.d.ts, and never `any`", () => {
    const dts = readFileSync(new URL("../index.d.ts", import.meta.url), "utf8");
    const code = dts.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, "");
    expect(code).not.toMatch(/\bany\b/);
    for (const name of EXPORTS) expect(code).toMatch(new RegExp(`export declare (const|function|class) ${name}\\b`));
  });

  it("answers plain objects with exactly the SPEC's keys, null never undefined", () => {
    const d = native.evaluateSessionCompaction({ agent: { adapterType: null, runtimeConfig: null }, sessionId: null, issueId: null, runs: [] });
    expect(Object.keys(d).sort()).toEqual(["handoffMarkdown", "previousRunId", "reason", "rotate"]);
    expect(Object.getPrototypeOf(d)).toBe(Object.prototype);
    const b = native.detectDeadReusedSessionCircuitBreaker({ sessionId: "s", runs: [{ id: undefined as never, livenessState: "failed", usageJson: { persistedSessionId: "s", sessionReused: true } }] });
    expect(b).toEqual({ rotate: false, reason: null, previousRunId: null });
    expect(Object.keys(native.planSessionCompaction({ adapterType: "cursor", runtimeConfig: {} })).sort()).toEqual(["fetchLimit", "needsOldestRun"]);
  });
});

describe("property keys forwarded by index.js", () => {
  it("are the binding's own keys, interned, one per name, in the binding's order", async () => {
    const { createRequire } = await import("node:module");
    const raw = createRequire(import.meta.url)("../loader.cjs") as { __propertyKeys: string[] };
    const keys = raw.__propertyKeys;
    expect(keys.length).toBe(45);
    expect(new Set(keys).size).toBe(keys.length);
    for (const k of ["sessionId", "runs", "livenessState", "usageJson", "rotate", "handoffMarkdown"]) expect(keys).toContain(k);
    expect(Object.keys(raw)).not.toContain("__propertyKeys");
    expect(Object.keys(raw)).not.toContain("__answerStrings");
  });
});

// Writes loader.cjs, the platform loader, with napi-rs's own generator (`napi build --platform`
// writes it only for `#[napi]` items; our exports are registered raw, so we name them here).
import { readFileSync } from "node:fs";
import { writeJsBinding } from "@napi-rs/cli";

const pkg = JSON.parse(readFileSync(new URL("../package.json", import.meta.url), "utf8"));
await writeJsBinding({
  platform: true,
  jsBinding: "loader.cjs",
  noJsBinding: false,
  binaryName: pkg.napi.binaryName,
  packageName: pkg.name,
  version: pkg.version,
  outputDir: new URL("..", import.meta.url).pathname,
  idents: [
    "DEAD_REUSED_SESSION_FAILURE_THRESHOLD",
    "detectDeadReusedSessionCircuitBreaker",
    "evaluateSessionCompaction",
    "resolveSessionCompactionPolicy",
    "parseSessionCompactionPolicy",
    "hasSessionCompactionThresholds",
    "planSessionCompaction",
    "__auditDeadSessions",
    "DeadSessionAuditor",
  ],
});

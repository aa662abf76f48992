// The package's ES module entry: the same native binding, with named exports.
import { createRequire } from "node:module";

const binding = createRequire(import.meta.url)("./index.js");

export const {
  DEAD_REUSED_SESSION_FAILURE_THRESHOLD,
  detectDeadReusedSessionCircuitBreaker,
  evaluateSessionCompaction,
  resolveSessionCompactionPolicy,
  parseSessionCompactionPolicy,
  hasSessionCompactionThresholds,
  planSessionCompaction,
  auditDeadSessions,
  auditDeadSessionsFromDatabase,
  DeadSessionAuditor,
} = binding;
export default binding;

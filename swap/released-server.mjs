// The swap for a server installed from npm: the edits that move the released
// `@paperclipai/server`'s session-compaction decision into this package, release by release.
//
// A release is known by its version and by the SHA-256 of its compiled heartbeat service, so an
// edit is only ever applied to the exact bytes it was written against. Each edit finds its place
// from a short anchor (searching from the end of the `within` anchor when one is given, which
// must itself occur once) instead of carrying the released code it replaces.
import { createHash } from "node:crypto";

export const HEARTBEAT_FILE = "dist/services/heartbeat.js";
export const BACKUP_SUFFIX = ".before-session-compaction-swap";
export const SWAP_MARK = "// paperclip-session-compaction swap";

/**
 * What the swapped service adds at the top: the native decision, under its own name, and the
 * agent's opt-in wider breaker read from its runtime config (`heartbeat.deadSessionBreaker`,
 * `{ deadLivenessStates, countUnrecordedResumes }`). A value the core would refuse is set aside
 * with a warning, so that a typo in one agent's config never stops its heartbeats: the agent
 * then has the fork's breaker, as released.
 */
const IMPORT_LINE = `import { evaluateSessionCompaction as decideSessionCompaction, detectDeadReusedSessionCircuitBreaker as checkDeadSessionBreaker } from "paperclip-session-compaction"; ${SWAP_MARK}
function deadSessionBreakerOptions(agent) { ${SWAP_MARK}: the agent's wider breaker, when its config asks.
    const breaker = agent?.runtimeConfig?.heartbeat?.deadSessionBreaker;
    if (breaker === null || breaker === undefined) return {};
    if (typeof breaker !== "object" || Array.isArray(breaker)) {
        console.warn(\`[paperclip-session-compaction] agent \${agent.id}: runtimeConfig.heartbeat.deadSessionBreaker set aside (it must be an object); the fork's breaker applies\`);
        return {};
    }
    const options = { deadLivenessStates: breaker.deadLivenessStates, countUnrecordedResumes: breaker.countUnrecordedResumes };
    try {
        checkDeadSessionBreaker({ sessionId: null, runs: [], ...options });
        return options;
    } catch (error) {
        console.warn(\`[paperclip-session-compaction] agent \${agent.id}: runtimeConfig.heartbeat.deadSessionBreaker set aside (\${error?.message}); the fork's breaker applies\`);
        return {};
    }
}
`;

/** The decision, handed the runs the service read and the policy it resolved. */
const DECISION_CALL = `        ${SWAP_MARK}: the breaker and the policy's limits, decided natively.
        return decideSessionCompaction({
            agent,
            sessionId,
            issueId,
            continuationSummaryBody: input.continuationSummaryBody ?? null,
            runs,
            oldestRun,
            policy,
            ...deadSessionBreakerOptions(agent),
        });
    }
`;

/** A rotated session stops being the agent's fallback session (the guide's step 6). */
const DROP_FALLBACK = `                ${SWAP_MARK}: a rotated session is no longer the next run's fallback.
                const rotatedSessionId = previousSessionDisplayId ?? runtimeSessionIdForAdapter;
                if (rotatedSessionId) {
                    await db
                        .update(agentRuntimeState)
                        .set({ sessionId: null, updatedAt: new Date() })
                        .where(and(eq(agentRuntimeState.companyId, agent.companyId), eq(agentRuntimeState.agentId, agent.id), eq(agentRuntimeState.sessionId, rotatedSessionId)));
                }
`;

const EVALUATE = "    async function evaluateSessionCompaction(input) {\n";
const OLDEST = "    async function getOldestRunForSession(agentId, sessionId) {\n";

/**
 * The edits for 2026.916.1, in file order. `find` is replaced by `replace`; with `until`, the
 * span from `find` to the end of the first `until` after it is replaced.
 */
const EDITS_2026_916_1 = [
  {
    why: "import the native decision",
    find: `resolveSessionCompactionPolicy, } from "@paperclipai/adapter-utils";\n`,
    replace: (found) => found + IMPORT_LINE,
  },
  {
    why: "the oldest run: read for one company",
    find: OLDEST,
    until: "eq(heartbeatRuns.agentId, agentId), ",
    replace: (found) =>
      found
        .replace("(agentId, sessionId)", "(companyId, agentId, sessionId)")
        .replace("eq(heartbeatRuns.agentId, agentId), ", "eq(heartbeatRuns.companyId, companyId), eq(heartbeatRuns.agentId, agentId), "),
  },
  {
    why: "no early return before the breaker: adapters that manage their own context have it too",
    within: EVALUATE,
    find: "        if (!policy.enabled || !hasSessionCompactionThresholds(policy)) {\n",
    until: "        }\n",
    replace: () => "",
  },
  {
    why: "the runs query selects what the breaker reads: the liveness, and the session a run resumed",
    within: EVALUATE,
    find: "            error: heartbeatRuns.error,\n",
    replace: (found) => `${found}            livenessState: heartbeatRuns.livenessState,\n            sessionIdBefore: heartbeatRuns.sessionIdBefore,\n`,
  },
  {
    why: "the runs query: company-scoped",
    within: EVALUATE,
    find: "eq(heartbeatRuns.agentId, agent.id), eq(heartbeatRuns.sessionIdAfter, sessionId)",
    replace: () => "eq(heartbeatRuns.companyId, agent.companyId), eq(heartbeatRuns.agentId, agent.id), eq(heartbeatRuns.sessionIdAfter, sessionId)",
  },
  {
    why: "the oldest run is read for the agent's company",
    within: EVALUATE,
    find: "await getOldestRunForSession(agent.id, sessionId)",
    replace: () => "await getOldestRunForSession(agent.companyId, agent.id, sessionId)",
  },
  {
    why: "the decision itself: everything after the oldest run is read",
    within: EVALUATE,
    find: "        const latestRawUsage = readRawUsageTotals(latestRun?.usageJson);\n",
    until: "            previousRunId: latestRun.id,\n        };\n    }\n",
    replace: () => DECISION_CALL,
  },
  {
    why: "a rotation drops the rotated session as the fallback",
    within: "            const sessionCompaction = await evaluateSessionCompaction({\n",
    find: "            if (sessionCompaction.rotate) {\n",
    replace: (found) => found + DROP_FALLBACK,
  },
];

/** The releases the swap knows: the heartbeat service's SHA-256 as published, and the edits. */
export const KNOWN_RELEASES = {
  "2026.916.1": {
    sha256: "4606c12bd4de2e1e69daec8e820fea3460e686ba5b06d4fedc5159e261770d33",
    edits: EDITS_2026_916_1,
  },
};

export const sha256 = (text) => createHash("sha256").update(text).digest("hex");

/** Where `needle` occurs in `text` from `from` on, as a list of offsets. */
function occurrences(text, needle, from = 0) {
  const found = [];
  for (let at = text.indexOf(needle, from); at !== -1; at = text.indexOf(needle, at + 1)) found.push(at);
  return found;
}

export class SwapError extends Error {
  constructor(message) {
    super(message);
    this.name = "SwapError";
  }
}

/** One edit applied to `text`; throws a SwapError naming the edit when its anchors are not there. */
function applyEdit(text, edit) {
  let from = 0;
  if (edit.within) {
    const within = occurrences(text, edit.within);
    if (within.length !== 1) throw new SwapError(`${edit.why}: its anchor occurs ${within.length} times, not once`);
    from = within[0] + edit.within.length;
  }
  const start = text.indexOf(edit.find, from);
  if (start === -1) throw new SwapError(`${edit.why}: the text to change is not there`);
  if (!edit.within && occurrences(text, edit.find).length !== 1) throw new SwapError(`${edit.why}: the text to change occurs more than once`);
  let end = start + edit.find.length;
  if (edit.until) {
    const last = text.indexOf(edit.until, end);
    if (last === -1) throw new SwapError(`${edit.why}: the end of the text to change is not there`);
    end = last + edit.until.length;
  }
  return text.slice(0, start) + edit.replace(text.slice(start, end)) + text.slice(end);
}

/** The swapped heartbeat service for a known release's exact file. */
export function swappedHeartbeat(version, original) {
  const release = KNOWN_RELEASES[version];
  if (!release) throw new SwapError(`@paperclipai/server ${version} is not a release this swap knows (it knows ${Object.keys(KNOWN_RELEASES).join(", ")})`);
  if (sha256(original) !== release.sha256) throw new SwapError(`${HEARTBEAT_FILE} is not the file @paperclipai/server ${version} was published with`);
  return release.edits.reduce(applyEdit, original);
}

// The releases of `@paperclipai/server` the swap knows, and for each the edits that move its
// session-compaction decision into this package.
//
// A release is known by its version and by the SHA-256 of every compiled file the swap edits
// (today one, `dist/services/heartbeat.js`; upstream's source has since moved the decision into
// `heartbeat/run-state.ts`, so a later release will list `dist/services/heartbeat/run-state.js`
// beside it), so an edit is only ever applied to the exact bytes it was written against. Each
// edit finds its place from a short anchor (searching from the end of the `within` anchor when
// one is given, which must itself occur once) instead of carrying the released code it replaces.
import { createHash } from "node:crypto";

export const HEARTBEAT_FILE = "dist/services/heartbeat.js";
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
        warnBreakerSetAside(agent, breaker, "it must be an object");
        return {};
    }
    const options = { deadLivenessStates: breaker.deadLivenessStates, countUnrecordedResumes: breaker.countUnrecordedResumes };
    try {
        checkDeadSessionBreaker({ sessionId: null, runs: [], ...options });
        return options;
    } catch (error) {
        warnBreakerSetAside(agent, breaker, String(error?.message));
        return {};
    }
}
const breakerConfigsWarned = new Set(); ${SWAP_MARK}: each mistyped config is logged once, not on every heartbeat.
function warnBreakerSetAside(agent, breaker, why) {
    let key;
    try { key = \`\${agent.id}\\u0000\${JSON.stringify(breaker)}\`; } catch { key = String(agent.id); }
    if (breakerConfigsWarned.has(key)) return;
    if (breakerConfigsWarned.size >= 10000) breakerConfigsWarned.clear();
    breakerConfigsWarned.add(key);
    logger.warn({ agentId: agent.id, reason: why }, "runtimeConfig.heartbeat.deadSessionBreaker set aside; the fork's dead-session breaker applies");
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

/** Where the released file names its source map, which maps the released lines, not the swapped ones. */
const SOURCE_MAP_LINE = "//# sourceMappingURL=heartbeat.js.map";

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
        .replace(
          "eq(heartbeatRuns.agentId, agentId), ",
          "eq(heartbeatRuns.companyId, companyId), eq(heartbeatRuns.agentId, agentId), ",
        ),
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
    replace: (found) =>
      `${found}            livenessState: heartbeatRuns.livenessState,\n            sessionIdBefore: heartbeatRuns.sessionIdBefore,\n`,
  },
  {
    why: "the runs query: company-scoped",
    within: EVALUATE,
    find: "eq(heartbeatRuns.agentId, agent.id), eq(heartbeatRuns.sessionIdAfter, sessionId)",
    replace: () =>
      "eq(heartbeatRuns.companyId, agent.companyId), eq(heartbeatRuns.agentId, agent.id), eq(heartbeatRuns.sessionIdAfter, sessionId)",
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
  {
    why: "no source map: the released map describes the released lines",
    find: SOURCE_MAP_LINE,
    replace: () =>
      `${SWAP_MARK}: the released source map (heartbeat.js.map) describes the released lines, so it is not named here.`,
  },
];

/**
 * The releases the swap knows, by version: each file it edits (its path in the package), that
 * file's SHA-256 as published, and the edits. A Map, so that no version string ("constructor",
 * "__proto__") can find anything but a release.
 */
export const KNOWN_RELEASES = new Map([
  [
    "2026.916.1",
    {
      files: [
        {
          path: HEARTBEAT_FILE,
          sha256: "4606c12bd4de2e1e69daec8e820fea3460e686ba5b06d4fedc5159e261770d33",
          edits: EDITS_2026_916_1,
        },
      ],
    },
  ],
]);

export const knownVersions = () => [...KNOWN_RELEASES.keys()];

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
  if (!edit.within && occurrences(text, edit.find).length !== 1)
    throw new SwapError(`${edit.why}: the text to change occurs more than once`);
  let end = start + edit.find.length;
  if (edit.until) {
    const last = text.indexOf(edit.until, end);
    if (last === -1) throw new SwapError(`${edit.why}: the end of the text to change is not there`);
    end = last + edit.until.length;
  }
  return text.slice(0, start) + edit.replace(text.slice(start, end)) + text.slice(end);
}

/** A known release's entry, or a SwapError naming the releases the swap knows. */
export function knownRelease(version) {
  const release = KNOWN_RELEASES.get(version);
  if (!release)
    throw new SwapError(
      `@paperclipai/server ${version} is not a release this swap knows (it knows ${knownVersions().join(", ")})`,
    );
  return release;
}

/** The swapped text of one of a release's files, from its exact published bytes. */
export function swappedFile(version, file, original) {
  if (sha256(original) !== file.sha256)
    throw new SwapError(`${file.path} is not the file @paperclipai/server ${version} was published with`);
  return file.edits.reduce(applyEdit, original);
}

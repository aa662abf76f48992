// In a process of its own: sets numeric and named keys on Object.prototype, then holds every
// export to the reference on inputs generated before, and the audit's options to what they
// say. Prints one JSON line: { differences, checked, audit }.
import { createRequire } from "node:module";
import fc from "fast-check";
import * as A from "../arbitraries";
import * as reference from "../reference";
import { answer, keyOrder, same, type Answer } from "../same";

const native = createRequire(__filename)("../../index.js");

type Call = { name: string; run: (core: typeof reference) => unknown };
const sample = <T>(arb: fc.Arbitrary<T>, seed: number) => fc.sample(arb, { numRuns: 400, seed });
const calls: Call[] = [
  ...sample(A.breakerInput, 1).map((i) => ({
    name: "breaker",
    run: (c: typeof reference) => c.detectDeadReusedSessionCircuitBreaker(i),
  })),
  ...sample(A.evaluateInput, 2).map((i) => ({
    name: "evaluate",
    run: (c: typeof reference) => c.evaluateSessionCompaction(i),
  })),
  ...sample(A.evaluateInput, 3).map((i) => ({
    name: "explain",
    run: (c: typeof reference) => c.explainSessionCompaction(i),
  })),
  ...sample(fc.tuple(A.adapterType, A.runtimeConfig), 4).map(([a, r]) => ({
    name: "resolve",
    run: (c: typeof reference) => c.resolveSessionCompactionPolicy(a, r),
  })),
  ...sample(A.agent, 5).map((a) => ({
    name: "parse",
    run: (c: typeof reference) => c.parseSessionCompactionPolicy(a),
  })),
  ...sample(A.agent, 6).map((a) => ({ name: "plan", run: (c: typeof reference) => c.planSessionCompaction(a) })),
  ...sample(A.limitsOnly, 7).map((p) => ({
    name: "hasThresholds",
    run: (c: typeof reference) => c.hasSessionCompactionThresholds(p),
  })),
];

const history = Buffer.from(
  ["c1", "c2"]
    .flatMap((company) =>
      [1, 2, 3, 4].map((i) =>
        JSON.stringify({
          company_id: company,
          agent_id: `agent-${company}`,
          session_id_after: "s",
          created_at: i * 1000,
          liveness_state: "failed",
          usage_json: { sessionReused: true, persistedSessionId: "s", inputTokens: 0 },
        }),
      ),
    )
    .join("\n") + "\n",
);

// Every name the contract reads, at every index the addon's key table could use, and a few
// named keys that a careless lookup object would inherit.
const names = [
  "status",
  "agentId",
  "companyId",
  "livenessState",
  "usageJson",
  "sessionReused",
  "persistedSessionId",
  "inputTokens",
  "runs",
  "sessionId",
  "createdAt",
  "adapterType",
  "runtimeConfig",
  "enabled",
  "maxSessionRuns",
];
const proto = Object.prototype as Record<string, unknown>;
const planted: string[] = [];
function plant(key: string, value: unknown) {
  Object.defineProperty(proto, key, { value, writable: true, configurable: true, enumerable: false });
  planted.push(key);
}
for (let k = 0; k < 100; k++) plant(String(k), names[k % names.length]);
plant("keys", "not Object.keys");

const answers = calls.map((c) => ({
  name: c.name,
  native: answer(() => c.run(native)),
  reference: answer(() => c.run(reference)),
}));
const audited = native.auditDeadSessionsSync(history, { companyId: "c1" });
const auditor = new native.DeadSessionAuditor({ companyId: "c2" });
auditor.push(history);
const streamed = auditor.finish();

for (const key of planted) delete proto[key];

const agree = (n: Answer, r: Answer) =>
  n.ok && r.ok
    ? same(n.value, r.value) && keyOrder(n.value) === keyOrder(r.value)
    : !n.ok &&
      !r.ok &&
      n.error instanceof TypeError &&
      r.error instanceof TypeError &&
      n.error.message === r.error.message;
const show = (a: Answer) => (a.ok ? JSON.stringify(a.value)?.slice(0, 200) : `throws ${String(a.error)}`);
const differences = answers
  .filter((a) => !agree(a.native, a.reference))
  .map((a) => ({ name: a.name, native: show(a.native), reference: show(a.reference) }));
console.log(
  JSON.stringify({
    checked: answers.length,
    differences: differences.slice(0, 5),
    differing: differences.length,
    audit: {
      companies: audited.companies.map((c: { companyId: string }) => c.companyId),
      streamed: streamed.companies.map((c: { companyId: string }) => c.companyId),
      deadRuns: audited.totals.deadRuns,
    },
  }),
);

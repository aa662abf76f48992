// The conformance cases recorded from the TypeScript service (see __test__/cases/README.md).
export { casesDir, caseFiles, checkCase, decode, loadCases, same } from "./case-format.mjs";
export type Case = {
  name: string;
  input: unknown;
  output?: unknown;
  throws?: string;
  adapterTable?: { release: string; policy: Record<string, unknown> };
};

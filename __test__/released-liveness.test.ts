// Which run outcomes the released server calls `empty_response`, read from its own classifier
// (`dist/services/run-liveness.js` of the pinned @paperclipai/server release), because the
// wider breaker's `deadLivenessStates: ["failed", "empty_response"]` counts only what it
// produces. The inputs are the shapes `buildRunLivenessInput` hands it; the claude_local
// outcomes behind them are observed for real in released-server-http.test.ts.
import path from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error: plain JavaScript without declarations
import { RELEASED_SERVER, installReleasedServer } from "../scripts/released-server.mjs";

type Input = {
  runStatus: string;
  resultJson?: Record<string, unknown> | null;
  stdoutExcerpt?: string | null;
  stderrExcerpt?: string | null;
  error?: string | null;
  evidence?: Record<string, number>;
};
let classify: (input: Input) => { livenessState: string; livenessReason: string };

beforeAll(async () => {
  installReleasedServer();
  const module = await import(pathToFileURL(path.join(RELEASED_SERVER, "dist", "services", "run-liveness.js")).href);
  classify = module.classifyRunLiveness;
}, 900_000);

const state = (input: Input) => classify(input).livenessState;

describe("the released server's liveness classifier", () => {
  it("empty_response: a succeeded run with no text anywhere and no action evidence", () => {
    expect(state({ runStatus: "succeeded", resultJson: { summary: "", result: "" } })).toBe("empty_response");
    expect(state({ runStatus: "succeeded", resultJson: null, stdoutExcerpt: "   \n", stderrExcerpt: null })).toBe(
      "empty_response",
    );
    // Lines it treats as transcript noise are no output either.
    expect(state({ runStatus: "succeeded", stdoutExcerpt: "$ ls\nstatus: ok\n" })).toBe("empty_response");
  });

  it("never for a run that did not succeed: a CLI that exits 0 printing nothing is a failed run for claude_local", () => {
    expect(state({ runStatus: "failed", error: "Failed to parse claude JSON output" })).toBe("failed");
    expect(state({ runStatus: "failed" })).toBe("failed");
  });

  it("never once the run has action evidence: the activity a local run's environment lease logs is enough", () => {
    // Every claude_local run on the released server logs its environment lease as activity
    // (see the HTTP-API test): its empty success result is then "advanced".
    const evidence = { activityEventsCreated: 1, workspaceOperationsCreated: 1 };
    expect(classify({ runStatus: "succeeded", resultJson: { result: "" }, evidence })).toMatchObject({
      livenessState: "advanced",
      livenessReason: "Run produced concrete action evidence: 1 workspace operation(s), 1 activity event(s)",
    });
  });

  it("never once anything readable was printed: the server's own fallback-workspace line counts as output", () => {
    const line = '[paperclip] No project or prior session workspace was available. Using fallback workspace "/tmp/x".';
    expect(state({ runStatus: "succeeded", stdoutExcerpt: line })).toBe("needs_followup");
  });
});

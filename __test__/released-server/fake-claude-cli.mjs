#!/usr/bin/env node
// A stand-in for the Claude CLI that the released server's claude_local adapter runs
// (`adapterConfig.command`). A fresh session always works; what a resume (`--resume ID`) does is
// read from the file `fake-cli-mode` in the folder it runs in (the agent's `adapterConfig.cwd`):
//   error-zero     the CLI's error result for the session, zero tokens, exit 1
//   silent         exit 0 with nothing printed
//   empty-success  a success result with no text and zero tokens
//   ok             a success result on the same session, with tokens
// Each call is appended to `calls.ndjson` there: the session it was asked to resume, or null.
import { randomUUID } from "node:crypto";
import { appendFileSync, readFileSync } from "node:fs";

const args = process.argv.slice(2);
const resume = args.includes("--resume") ? args[args.indexOf("--resume") + 1] : null;
try {
  readFileSync(0);
} catch {
  // no prompt on stdin
}
const mode = readFileSync("fake-cli-mode", "utf8").trim();
appendFileSync("calls.ndjson", `${JSON.stringify({ resume })}\n`);
const print = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);
const zero = { input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 0 };
const some = { input_tokens: 100, cache_read_input_tokens: 0, output_tokens: 50 };

if (resume && mode === "error-zero") {
  print({ type: "system", subtype: "init", session_id: resume, model: "claude-test" });
  print({
    type: "result",
    subtype: "error_during_execution",
    is_error: true,
    result: "could not resume the session",
    session_id: resume,
    usage: zero,
  });
  process.exit(1);
}
if (resume && mode === "silent") process.exit(0);
if (resume && mode === "empty-success") {
  print({ type: "result", subtype: "success", is_error: false, result: "", session_id: resume, usage: zero });
  process.exit(0);
}
const session = resume ?? randomUUID();
print({ type: "system", subtype: "init", session_id: session, model: "claude-test" });
print({ type: "assistant", session_id: session, message: { content: [{ type: "text", text: "Did the work." }] } });
print({
  type: "result",
  subtype: "success",
  is_error: false,
  result: "Did the work.",
  session_id: session,
  usage: some,
});

// The CLI as a person meets it: whatever the ids hold, the terminal sees escapes, not control
// sequences, and every cell is capped; errors are one line, never a stack trace.
import { spawnSync } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
// @ts-expect-error plain ESM without types
import { visible } from "../bin/visible.mjs";

const cli = path.join(__dirname, "..", "bin", "paperclip-session-audit.mjs");
const dir = mkdtempSync(path.join(tmpdir(), "pcsc-cli-"));
const run = (args: string[], input?: string) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: "utf8", input, maxBuffer: 1 << 28 });
const dead = (company: string, agent: string, session: string, i: number) =>
  JSON.stringify({
    company_id: company,
    agent_id: agent,
    session_id_after: session,
    created_at: i * 1000,
    liveness_state: "failed",
    usage_json: { sessionReused: true, persistedSessionId: session, inputTokens: 0 },
  });
/** C0 and C1 controls but the line break, and the bidi and other invisible format characters. */
const unsafe =
  /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]/u;

describe("visible()", () => {
  it("shows control and bidi characters as escapes, doubles backslashes, and cuts long values", () => {
    expect(visible("\x1b[31mred\x1b[0m")).toBe("\\x1b[31mred\\x1b[0m");
    expect(visible("a\u202eb\u2066c\0")).toBe("a\\u{202e}b\\u{2066}c\\x00");
    expect(visible("\\x1b")).toBe("\\\\x1b");
    expect(visible("a\ud800")).toBe("a\\u{d800}");
    expect(visible("x".repeat(100), 10)).toBe("x".repeat(9) + "…");
    expect(visible("ab\x1b", 4)).toBe("ab…"); // never half an escape
    expect(visible("😀".repeat(5), 3)).toBe("😀😀…");
  });
});

describe("the CLI prints ids a person can trust", () => {
  const hostile = [
    "\x1b[2J\x1b[31mcompany",
    "\x1b]8;;https://evil.example\x07click\x1b]8;;\x07",
    "bidi\u202eeman",
    "nul\0byte",
    "del\x7f\x9bcsi",
    "iso\u2066late\u2069",
  ];
  const lines: string[] = [];
  hostile.forEach((id, i) => {
    for (let r = 0; r < 4; r++) lines.push(dead(id, `agent ${id}`, `session ${id}`, i * 10 + r));
  });
  const file = path.join(dir, "hostile.ndjson");
  writeFileSync(file, lines.join("\n") + "\n");

  it("escapes ESC sequences, OSC 8 links, bidi overrides and NUL in every table", () => {
    const r = run([file]);
    expect(r.status).toBe(0);
    expect(r.stdout).not.toMatch(unsafe);
    expect(r.stdout).toContain("\\x1b[2J\\x1b[31mcompany");
    expect(r.stdout).toContain("bidi\\u{202e}eman");
    expect(r.stdout).toContain("nul\\x00byte");
    expect(r.stderr).toBe("");
  });

  it("caps a 1 MiB company id among 600 companies: bounded rows, no RangeError", () => {
    const many: string[] = [];
    for (let c = 0; c < 600; c++) many.push(dead(c === 300 ? "x".repeat(1 << 20) : `company-${c}`, "a", "s", c));
    const big = path.join(dir, "wide.ndjson");
    writeFileSync(big, many.join("\n") + "\n");
    const r = run([big, "--all"]);
    expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
    const widest = Math.max(...r.stdout.split("\n").map((l) => l.length));
    expect(widest).toBeLessThan(300);
    expect(r.stdout).toContain("x".repeat(39) + "…");
  });

  it("says what went wrong in one escaped line, without a stack trace", () => {
    const missing = path.join(dir, "no\x1b[31msuch.ndjson");
    const r = run([missing]);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("ENOENT");
    expect(r.stderr).toContain("no\\x1b[31msuch");
    expect(r.stderr).not.toMatch(unsafe);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

// Windows has no SIGINT to send a child.
describe.runIf(process.platform !== "win32")("Ctrl-C", () => {
  it("stops an audit waiting on standard input and exits 130 with one line", async () => {
    const { spawn } = await import("node:child_process");
    const child = spawn(process.execPath, [cli, "-"], { stdio: ["pipe", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    // More than a pipe holds: 'drain' comes only once the audit is reading (its Ctrl-C handler
    // is in place before it starts), so the signal never races the CLI's start.
    const rows = Array.from({ length: 4000 }, (_, i) => dead("c", "a", "s", i)).join("\n") + "\n";
    expect(child.stdin.write(rows)).toBe(false);
    await new Promise((r) => child.stdin.once("drain", r)); // then nothing more, and no end
    child.kill("SIGINT");
    const code = await new Promise((r) => child.on("close", r));
    expect(code).toBe(130);
    expect(stderr.trim()).toBe("paperclip-session-audit: interrupted; no report");
  });
});

describe("the CLI reads well", () => {
  const history = path.join(dir, "fleet.ndjson");
  const fleet: string[] = [];
  // Company "quiet" has many runs and no dead one; "loud" few runs, mostly dead.
  for (let i = 0; i < 30; i++)
    fleet.push(
      JSON.stringify({
        company_id: "quiet",
        agent_id: `a${i % 3}`,
        session_id_after: "s",
        created_at: i * 60_000,
        liveness_state: "completed",
        usage_json: { inputTokens: 5 },
      }),
    );
  for (let i = 0; i < 6; i++) fleet.push(dead("loud", "a", "s", 100 + i));
  writeFileSync(history, fleet.join("\n") + "\n");

  it("--version prints the package's version", () => {
    const r = run(["--version"]);
    expect({ status: r.status, out: r.stdout.trim() }).toEqual({ status: 0, out: "0.1.0" });
  });

  it("a usage error is one line and a pointer to --help, exit 2", () => {
    const r = run(["--bogus"]);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(2);
    expect(r.stderr).toContain("--help");
  });

  it("sorts companies and agents by dead runs, caps with --top, lifts the cap with --all, labels times", () => {
    const r = run([history, "--top", "1"]);
    expect(r.status).toBe(0);
    const companies = r.stdout.split("Companies by dead runs")[1];
    expect(companies.split("\n")[3]).toMatch(/^loud\b/);
    expect(companies).toContain("(top 1 of 2; --all for every one)");
    expect(companies).not.toMatch(/\nquiet\b/);
    expect(run([history, "--all"]).stdout).toMatch(/\nquiet\s/);
    expect(r.stdout).toMatch(/\d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(r.stdout).toContain("1 is dead now");
    expect(r.stdout).not.toMatch(/Str\(|Number\(|os error/);
  });

  it("warns on stderr when a filter matches nothing, naming it", () => {
    const r = run([history, "--company", "nope"]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain("warning: no run matched --company nope");
  });

  it("says so, instead of tables of zeros, for an empty input", () => {
    const r = run(["-"], "");
    expect(r.stdout).toContain("No rows: nothing to audit.");
    expect(r.stdout).not.toMatch(/threshold/);
  });

  it("refuses a --pglite path that is not a data directory unless --create, and counts rows/s from a database", async () => {
    const typo = path.join(dir, "no-such-pgdata");
    const refused = run(["--pglite", typo]);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain("is not a PGlite data directory (add --create to make one there)");
    const created = run(["--pglite", typo, "--create"]);
    // A new, empty database has no heartbeat_runs table: said in one line.
    expect(created.status).toBe(1);
    expect(created.stderr.trim().split("\n")).toHaveLength(1);
    expect(created.stderr).toMatch(/heartbeat_runs/);
    const { PGlite } = await import("@electric-sql/pglite");
    const db = new PGlite(typo);
    await db.exec(
      `create table heartbeat_runs (id text primary key, company_id text, agent_id text, session_id_after text, created_at timestamptz, liveness_state text, usage_json jsonb)`,
    );
    await db.exec(`insert into heartbeat_runs values ('r1', 'c', 'a', 's', now(), 'failed', null)`);
    await db.close();
    const read = run(["--pglite", typo]);
    expect(read.status).toBe(0);
    expect(read.stdout).toMatch(/1 row read, 1 run audited in [\d.]+ s \([\d,]+ rows\/s\)/);
    // The database route says which snapshot the report describes.
    expect(read.stdout).toMatch(
      /the table as of \d{4}-\d\d-\d\dT[\d:.]+Z \(snapshot \d+:\d+:[\d,]*, read once by copy\)/,
    );
  });
});

describe("--export-sql", () => {
  it("prints the narrow COPY, filtered as asked, and refuses a since that is not a time", () => {
    const r = run(["--export-sql", "--company", "co'1", "--since", "2026-06-01T00:00:00Z"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^copy \(select .* to stdout\n$/s);
    expect(r.stdout).toContain("E'co''1'");
    expect(r.stdout).toContain(String(Date.parse("2026-06-01T00:00:00Z")));
    const bad = run(["--export-sql", "--since", "soon"]);
    expect(bad.status).toBe(2);
  });
});

describe("optional peer dependencies", () => {
  it("--database without pg installed says what to install, in one line", async () => {
    const { cpSync, mkdirSync, readdirSync } = await import("node:fs");
    const root = path.join(__dirname, "..");
    const bare = path.join(dir, "bare-package");
    mkdirSync(bare);
    for (const f of [
      "index.js",
      "binding.js",
      "database.js",
      "package.json",
      "bin",
      ...readdirSync(root).filter((f) => f.endsWith(".node")),
    ])
      cpSync(path.join(root, f), path.join(bare, f), { recursive: true });
    const r = spawnSync(
      process.execPath,
      [path.join(bare, "bin", "paperclip-session-audit.mjs"), "--database", "postgres://127.0.0.1:1/none"],
      { encoding: "utf8" },
    );
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toBe("paperclip-session-audit: --database needs the package pg: npm install pg");
  });
});

describe("what the CLI echoes, where it writes, and a closed pipe", () => {
  const history = path.join(dir, "echo.ndjson");
  writeFileSync(history, [0, 1, 2].map((i) => dead("c", "a", "s", i)).join("\n") + "\n");

  it("escapes the filters it echoes back", () => {
    const since = "2026-06-01T00:00:00Z\x1b[2J\x1b]0;title\x07";
    // Not a time: refused, and said with its escapes shown.
    const refused = run([history, "--since", since]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).not.toMatch(unsafe);
    // A company filter is echoed where the report says what it left out, and in the warning.
    const company = "other\x1b[2J\x07\u202e";
    const mixed = path.join(dir, "echo-mixed.ndjson");
    writeFileSync(
      mixed,
      [0, 1, 2]
        .map((i) => dead(company, "a", "s", i))
        .concat([dead("c", "a", "s", 9)])
        .join("\n") + "\n",
    );
    const shown = "--company other\\x1b[2J\\x07\\u{202e}";
    const r = run([mixed, "--company", company, "--no-progress"]);
    expect(r.stdout).toContain(`1 row left out by ${shown}`);
    const none = run([history, "--company", company, "--no-progress"]);
    expect(none.stderr).toContain(`warning: no run matched ${shown}`);
    for (const out of [r.stdout, r.stderr, none.stdout, none.stderr]) expect(out).not.toMatch(unsafe);
  });

  it("never writes the page over the input, nor over a file that is there without --force", async () => {
    const { linkSync, readFileSync, statSync } = await import("node:fs");
    const before = readFileSync(history, "utf8");
    const same = run([history, "--html", history]);
    expect(same.status).toBe(2);
    expect(same.stderr).toContain("that is the input");
    const link = path.join(dir, "echo-link.ndjson");
    linkSync(history, link);
    expect(run([history, "--html", link, "--force"]).status).toBe(2);
    expect(readFileSync(history, "utf8")).toBe(before);
    const page = path.join(dir, "page.html");
    writeFileSync(page, "keep me");
    const kept = run([history, "--html", page]);
    expect([kept.status, kept.stderr]).toEqual([
      2,
      expect.stringContaining("the file exists (add --force to replace it)"),
    ]);
    expect(readFileSync(page, "utf8")).toBe("keep me");
    expect(run([history, "--html", page, "--force"]).status).toBe(0);
    expect(statSync(page).size).toBeGreaterThan(1000);
    expect(run([history, "--force"]).status).toBe(2);
  });

  it("ends quietly, with the report's status, when the reader closes the pipe (| head)", () => {
    const big = path.join(dir, "many.ndjson");
    const rows: string[] = [];
    for (let s = 0; s < 4000; s++)
      for (let i = 0; i < 3; i++) rows.push(dead("c", `agent-${s}`, `session-${s}`, s * 10 + i));
    writeFileSync(big, rows.join("\n") + "\n");
    for (const format of [["--json"], ["--all"]]) {
      const piped = spawnSync(
        "bash",
        [
          "-c",
          `set -o pipefail; "${process.execPath}" "${cli}" "${big}" ${format.join(" ")} --no-progress | head -c 100 > /dev/null`,
        ],
        { encoding: "utf8" },
      );
      expect({ format, status: piped.status, stderr: piped.stderr }).toEqual({ format, status: 0, stderr: "" });
    }
  });
});

// The breaker's wider rule from the command line, and the report as metrics for an alert.
describe("--dead-states, --count-unrecorded-resumes and --openmetrics", () => {
  const at = (i: number) => Date.UTC(2026, 5, 1) + i * 60_000;
  const row = (company: string, session: string, i: number, kind: "dead" | "empty" | "unrecorded" | "live") =>
    JSON.stringify({
      company_id: company,
      agent_id: "agent",
      session_id_before: session,
      session_id_after: session,
      created_at: new Date(at(i)).toISOString(),
      liveness_state: kind === "empty" ? "empty_response" : kind === "live" ? "completed" : "failed",
      usage_json:
        kind === "unrecorded"
          ? null
          : kind === "live"
            ? { inputTokens: 5 }
            : { sessionReused: true, persistedSessionId: session, inputTokens: 0 },
    });
  // Company "a\"b": a live run, then empty, empty, unrecorded, dead (dead now only when widened).
  // Company "c\\d\n": three dead runs (dead now under every rule).
  const weird = 'a"b';
  const other = "c\\d\n";
  const lines = [
    row(weird, "s1", 0, "live"),
    row(weird, "s1", 1, "empty"),
    row(weird, "s1", 2, "empty"),
    row(weird, "s1", 3, "unrecorded"),
    row(weird, "s1", 4, "dead"),
    row(other, "s2", 5, "dead"),
    row(other, "s2", 6, "dead"),
    row(other, "s2", 7, "dead"),
  ];
  const file = path.join(dir, "rule.ndjson");
  writeFileSync(file, lines.join("\n") + "\n");
  const promtool = (text: string) => spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });

  it("audits by the rule given, and names it in the JSON report and the text", () => {
    const fork = JSON.parse(run([file, "--json"]).stdout);
    expect(fork.deadRunRule).toEqual({ deadLivenessStates: ["failed"], countUnrecordedResumes: false });
    expect(fork.totals).toMatchObject({ deadRuns: 4, unseenFailedRuns: 1, sessionsDeadNow: 1 });
    const r = run([file, "--json", "--dead-states", "failed, empty_response", "--count-unrecorded-resumes"]);
    expect(r.status).toBe(0);
    const widened = JSON.parse(r.stdout);
    expect(widened.deadRunRule).toEqual({
      deadLivenessStates: ["failed", "empty_response"],
      countUnrecordedResumes: true,
    });
    expect(widened.totals).toMatchObject({ deadRuns: 7, unseenFailedRuns: 0, sessionsDeadNow: 2 });
    const text = run([file, "--dead-states", "failed,empty_response"]).stdout;
    expect(text).toContain(
      "dead runs counted by a widened rule: liveness failed, empty_response; resumes with no usage record not counted",
    );
    expect(run([file]).stdout).not.toContain("widened rule");
    for (const bad of [",", "failed,,empty_response", ""]) {
      const refused = run([file, "--dead-states", bad]);
      expect(refused.status, bad).toBe(2);
      expect(refused.stderr).toMatch(/--dead-states: an empty state/);
    }
  });

  it("writes OpenMetrics text that promtool accepts, per company, with the rule and the newest run's time", () => {
    const out = path.join(dir, "dead.prom");
    const r = run([file, "--openmetrics", out, "--dead-states", "failed,empty_response", "--count-unrecorded-resumes"]);
    expect(r.status).toBe(0);
    const text = readFileSync(out, "utf8");
    const checked = promtool(text);
    expect(checked.error).toBeUndefined();
    expect({ status: checked.status, output: checked.stdout + checked.stderr }).toEqual({ status: 0, output: "" });
    expect(text.endsWith("\n# EOF\n")).toBe(true);
    // Label values escaped as the format says: \" for a quote, \\ for a backslash, \n for a line feed.
    expect(text).toContain('paperclip_dead_sessions_now{company_id="a\\"b"} 1\n');
    expect(text).toContain('paperclip_dead_sessions_now{company_id="c\\\\d\\n"} 1\n');
    expect(text).toContain('paperclip_dead_runs{company_id="a\\"b"} 4\n');
    expect(text).toContain('paperclip_unseen_failed_runs{company_id="a\\"b"} 0\n');
    expect(text).toContain(
      'paperclip_session_audit_rule_info{dead_liveness_states="failed,empty_response",count_unrecorded_resumes="true"} 1\n',
    );
    expect(text).toContain(`paperclip_session_audit_newest_run_timestamp_seconds ${at(7) / 1000}\n`);
    expect(text).toContain("paperclip_session_audit_complete 1\n");
    // Under the fork's rule the same history has one dead-now session and an unseen run.
    const forkOut = path.join(dir, "fork.prom");
    expect(run([file, "--openmetrics", forkOut]).status).toBe(0);
    const fork = readFileSync(forkOut, "utf8");
    expect(promtool(fork).status).toBe(0);
    expect(fork).toContain('paperclip_dead_sessions_now{company_id="a\\"b"} 0\n');
    expect(fork).toContain('paperclip_unseen_failed_runs{company_id="a\\"b"} 1\n');
    expect(fork).toContain(
      'paperclip_session_audit_rule_info{dead_liveness_states="failed",count_unrecorded_resumes="false"} 1\n',
    );
  });

  it("never writes the metrics over the input, nor over a file that is there without --force; no partial file is left", () => {
    expect(run([file, "--openmetrics", file]).status).toBe(2);
    expect(readFileSync(file, "utf8")).toBe(lines.join("\n") + "\n");
    const out = path.join(dir, "there.prom");
    writeFileSync(out, "keep");
    const refused = run([file, "--openmetrics", out]);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/--openmetrics .*the file exists \(add --force to replace it\)/);
    expect(readFileSync(out, "utf8")).toBe("keep");
    expect(run([file, "--openmetrics", out, "--force"]).status).toBe(0);
    expect(promtool(readFileSync(out, "utf8")).status).toBe(0);
    expect(readdirSync(dir).filter((name) => name.endsWith(".tmp"))).toEqual([]);
    const missingDir = run([file, "--openmetrics", path.join(dir, "no", "such", "dir.prom")]);
    expect(missingDir.status).toBe(1);
    expect(missingDir.stderr).toMatch(/^paperclip-session-audit: --openmetrics: ENOENT/);
  });

  it("never writes over the file standard input is read from, even with --force", () => {
    for (const flag of ["--openmetrics", "--html"]) {
      const history = path.join(dir, `stdin-${flag.slice(2)}.ndjson`);
      writeFileSync(history, lines.join("\n") + "\n");
      const r = spawnSync(process.execPath, [cli, "-", flag, history, "--force"], {
        encoding: "utf8",
        stdio: [openSync(history, "r"), "pipe", "pipe"],
      });
      expect(r.status, flag).toBe(2);
      expect(r.stderr).toContain("that is the input");
      expect(readFileSync(history, "utf8")).toBe(lines.join("\n") + "\n");
    }
  });

  it("keeps companies whose ids differ only in lone surrogates apart, one series each", () => {
    const ids = ["co\ud800", "co\udbff", "co\udc00"];
    // JSON's escapes carry the lone surrogates into the file as text.
    const history = path.join(dir, "surrogates.ndjson");
    writeFileSync(
      history,
      ids
        .map((id, i) =>
          row(id, `s${i}`, i, "dead").replace(
            /"company_id":"[^"]*"/,
            `"company_id":"co\\u${id.charCodeAt(2).toString(16)}"`,
          ),
        )
        .join("\n") + "\n",
    );
    const out = path.join(dir, "surrogates.prom");
    expect(run([history, "--openmetrics", out]).status).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(promtool(text).status).toBe(0);
    const series = text.split("\n").filter((line) => line.startsWith("paperclip_dead_runs{"));
    expect(series).toEqual([
      'paperclip_dead_runs{company_id="co\ufffd",company_id_utf16="0063006fd800"} 1',
      'paperclip_dead_runs{company_id="co\ufffd",company_id_utf16="0063006fdbff"} 1',
      'paperclip_dead_runs{company_id="co\ufffd",company_id_utf16="0063006fdc00"} 1',
    ]);
  });

  it("refuses an empty output name (an unset variable in a cron line) as a usage error", () => {
    for (const flag of ["--openmetrics", "--html"]) {
      const r = run([file, flag, ""]);
      expect(r.status, flag).toBe(2);
      expect(r.stderr).toContain(`${flag}: an empty file name`);
    }
  });
});

// The shipped alerting rules (monitoring/paperclip-session-audit.rules.yml), run by
// `promtool test rules` on series our own CLI wrote with --openmetrics: each sample becomes a
// series that the textfile collector would serve at every scrape, the audit's own timestamp
// following the refreshes of a 10-minute timer on promtool's clock.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = path.join(__dirname, "..");
const rules = path.join(root, "monitoring", "paperclip-session-audit.rules.yml");
const cli = path.join(root, "bin", "paperclip-session-audit.mjs");
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), "pcsc-rules-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const at = (i: number) => new Date(Date.UTC(2026, 5, 1) + i * 60_000).toISOString();
/** A run of `session` in `company`: dead (failed, reused, zero tokens) or live. */
const run = (company: string, session: string, i: number, dead: boolean) =>
  JSON.stringify({
    company_id: company,
    agent_id: `agent-${session}`,
    session_id_before: session,
    session_id_after: session,
    created_at: at(i),
    liveness_state: dead ? "failed" : "completed",
    usage_json: dead ? { sessionReused: true, persistedSessionId: session, inputTokens: 0 } : { inputTokens: 5 },
  });

/** The CLI's --openmetrics file for `lines`, and its exit status. */
function audited(name: string, lines: string[]) {
  const history = path.join(dir, `${name}.ndjson`);
  const out = path.join(dir, `${name}.prom`);
  writeFileSync(history, `${lines.join("\n")}\n`);
  const r = spawnSync(process.execPath, [cli, history, "--openmetrics", out], { encoding: "utf8" });
  return { status: r.status, text: readFileSync(out, "utf8") };
}

/**
 * The file's samples as promtool input series over `minutes` minutes at one-minute steps; the
 * audit's timestamp as a timer that refreshed it every 10 minutes until `refreshedUntil`.
 */
function inputSeries(text: string, minutes: number, refreshedUntil = minutes) {
  const series: { series: string; values: string }[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const cut = line.lastIndexOf(" ");
    const name = line.slice(0, cut);
    if (name === "paperclip_session_audit_timestamp_seconds") {
      const values = Array.from({ length: minutes + 1 }, (_, m) =>
        String(Math.floor(Math.min(m, refreshedUntil) / 10) * 600),
      );
      series.push({ series: name, values: values.join(" ") });
    } else {
      series.push({ series: name, values: `${line.slice(cut + 1)}x${minutes}` });
    }
  }
  return series;
}

type Alert = { exp_labels: Record<string, string>; exp_annotations: Record<string, string> };
/** Runs promtool on one test group: `expected` alerts by name at `evalMinutes`. */
function promtoolTest(
  name: string,
  series: { series: string; values: string }[],
  evalMinutes: number,
  expected: Record<string, Alert[]>,
) {
  const yaml = (value: unknown) => JSON.stringify(value);
  const file = path.join(dir, `${name}.test.yml`);
  const lines = [
    `rule_files: [${yaml(rules)}]`,
    "evaluation_interval: 1m",
    "tests:",
    "  - interval: 1m",
    "    input_series:",
    ...series.flatMap((s) => [`      - series: ${yaml(s.series)}`, `        values: ${yaml(s.values)}`]),
    "    alert_rule_test:",
    ...Object.entries(expected).flatMap(([alertname, alerts]) => [
      `      - eval_time: ${evalMinutes}m`,
      `        alertname: ${alertname}`,
      `        exp_alerts: ${yaml(alerts)}`,
    ]),
  ];
  writeFileSync(file, `${lines.join("\n")}\n`);
  const r = spawnSync("promtool", ["test", "rules", file], { encoding: "utf8" });
  expect(r.error, "promtool (Debian's prometheus; .ci/run installs it)").toBeUndefined();
  return { status: r.status, output: r.stdout + r.stderr };
}

describe("the shipped alerting rules, on series written by paperclip-session-audit --openmetrics", () => {
  it("pass promtool check rules", () => {
    const r = spawnSync("promtool", ["check", "rules", rules], { encoding: "utf8" });
    expect({ status: r.status, output: r.stdout }).toEqual({
      status: 0,
      output: expect.stringContaining("SUCCESS: 4 rules found"),
    });
  });

  // Company acme: a session whose last three runs are dead. Company globex: live runs only.
  const fleet = [
    run("acme", "s1", 0, false),
    run("acme", "s1", 1, true),
    run("acme", "s1", 2, true),
    run("acme", "s1", 3, true),
    run("globex", "s2", 4, false),
    run("globex", "s2", 5, false),
  ];

  it("a dead session fires PaperclipDeadSessionsNow for its company only, once it lasted 30 minutes; a fresh, complete audit is quiet", () => {
    const { status, text } = audited("fleet", fleet);
    expect(status).toBe(0);
    const full = { severity: "warning" };
    const annotations = (company: string) => ({
      summary: `1 dead session(s) now in company ${company}`,
      description:
        "Sessions whose latest heartbeats are dead reused runs (the audit's rule). Swap the native breaker in (paperclip-session-swap), or reset the agents' sessions.",
    });
    const firing = promtoolTest("dead-now", inputSeries(text, 60), 45, {
      PaperclipDeadSessionsNow: [{ exp_labels: { ...full, company_id: "acme" }, exp_annotations: annotations("acme") }],
      PaperclipSessionAuditStale: [],
      PaperclipSessionAuditMissing: [],
      PaperclipSessionAuditIncomplete: [],
    });
    expect(firing).toEqual({ status: 0, output: expect.stringContaining("SUCCESS") });
    // Before 30 minutes have passed, nothing fires yet.
    expect(promtoolTest("dead-now-early", inputSeries(text, 60), 20, { PaperclipDeadSessionsNow: [] }).status).toBe(0);
    // The assertion can fail: expecting globex too is refused by promtool.
    const wrong = promtoolTest("dead-now-wrong", inputSeries(text, 60), 45, {
      PaperclipDeadSessionsNow: [
        { exp_labels: { ...full, company_id: "acme" }, exp_annotations: annotations("acme") },
        { exp_labels: { ...full, company_id: "globex" }, exp_annotations: annotations("globex") },
      ],
    });
    expect(wrong.status).not.toBe(0);
  });

  it("quiet on a fleet whose breaker rotated every dead session, firing on the same fleet unswapped", () => {
    // The swapped server rotated acme's dead session: the run after it records the rotation.
    const rotation = JSON.stringify({
      company_id: "acme",
      agent_id: "agent-s1",
      session_id_after: "s9",
      created_at: at(4),
      liveness_state: "succeeded",
      usage_json: { inputTokens: 5 },
      context_snapshot: {
        paperclipPreviousSessionId: "s1",
        paperclipSessionRotationReason: "3 consecutive failed zero-token reused runs on persisted session s1",
      },
    });
    const swapped = audited("swapped-fleet", [...fleet, rotation]);
    expect(swapped.text).toContain('paperclip_dead_sessions_now{company_id="acme"} 0\n');
    expect(swapped.text).toContain('paperclip_session_rotations{company_id="acme",kind="fork_breaker"} 1\n');
    expect(
      promtoolTest("swapped-fleet", inputSeries(swapped.text, 60), 45, { PaperclipDeadSessionsNow: [] }).status,
    ).toBe(0);
    // Released (no breaker): no rotation, the same dead session, the alert fires.
    const released = audited("released-fleet", fleet);
    const firing = promtoolTest("released-fleet", inputSeries(released.text, 60), 45, { PaperclipDeadSessionsNow: [] });
    expect(firing.status).not.toBe(0);
    expect(firing.output).toContain('company_id="acme"');
  });

  it("an audit whose timer stopped fires PaperclipSessionAuditStale", () => {
    const { text } = audited("stale", fleet);
    // Refreshed for 10 minutes, then never again: stale past 30 minutes, firing 5 minutes later.
    expect(
      promtoolTest("stale", inputSeries(text, 60, 10), 50, {
        PaperclipSessionAuditStale: [
          {
            exp_labels: { severity: "warning" },
            exp_annotations: { summary: "The session audit last ran 40m 0s ago" },
          },
        ],
      }).status,
    ).toBe(0);
    expect(
      promtoolTest("not-yet-stale", inputSeries(text, 60, 10), 30, { PaperclipSessionAuditStale: [] }).status,
    ).toBe(0);
  });

  it("no audit series at all fires PaperclipSessionAuditMissing", () => {
    const other = [{ series: 'up{job="node"}', values: "1x60" }];
    expect(
      promtoolTest("missing", other, 45, {
        PaperclipSessionAuditMissing: [
          {
            exp_labels: { severity: "warning" },
            exp_annotations: { summary: "No paperclip-session-audit series: the textfile is missing or not collected" },
          },
        ],
      }).status,
    ).toBe(0);
  });

  it("an incomplete report (most rows unreadable: the CLI's exit 3) fires PaperclipSessionAuditIncomplete", () => {
    const { status, text } = audited("incomplete", [
      ...fleet.slice(0, 2),
      "{ not json",
      "{ not json",
      "{ not json",
      "{ not json",
      "{ not json",
    ]);
    expect(status).toBe(3);
    expect(text).toContain("paperclip_session_audit_complete 0\n");
    expect(
      promtoolTest("incomplete", inputSeries(text, 60), 30, {
        PaperclipSessionAuditIncomplete: [
          {
            exp_labels: { severity: "warning" },
            exp_annotations: { summary: "The session audit's report is incomplete (5 rows skipped)" },
          },
        ],
      }).status,
    ).toBe(0);
  });
});

// `--html FILE` in a real browser: Debian's Chromium, headless, driven by playwright-core. The
// page loads with no console error and no request beyond itself, draws its four charts, shows
// the report's totals, and shows hostile ids as text. The screenshot goes outside the tree.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error plain ESM helper without types
import { historyLines } from "../benchmark/history.mjs";
import { native } from "./native";

// Debian's chromium (what .ci/run installs), or the Chrome a hosted runner ships.
const CHROMIUM = [
  process.env.CHROME_PATH,
  "/usr/bin/chromium",
  "/usr/bin/chromium-browser",
  "/usr/bin/google-chrome",
  "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
  "C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe",
].find((p): p is string => Boolean(p) && existsSync(p!));
const dir = mkdtempSync(path.join(tmpdir(), "pcsc-html-"));
const cli = path.join(__dirname, "..", "bin", "paperclip-session-audit.mjs");
let browser: Browser;

beforeAll(async () => {
  // No Chromium is a failure, never a skip: .ci/run installs Debian's chromium.
  if (!CHROMIUM) throw new Error("Chromium is missing: apt-get install chromium (.ci/run does)");
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
  });
});

afterAll(async () => {
  await browser?.close();
});

describe("the HTML report", () => {
  it("renders in Chromium with its charts and totals, no console error and no request", async () => {
    const hostile = "<script>window.pwned = 1</script>\u202e\x1b[31m";
    const dead = (i: number) =>
      JSON.stringify({
        company_id: hostile,
        agent_id: "a",
        session_id_after: "s",
        created_at: `2026-05-02T0${i}:00:00Z`,
        liveness_state: "failed",
        usage_json: { sessionReused: true, persistedSessionId: "s", inputTokens: 0 },
      });
    // The breaker rotates the hostile company's dead session: the run after it records it.
    const rotation = JSON.stringify({
      company_id: hostile,
      agent_id: "a",
      session_id_after: "s2",
      created_at: "2026-05-02T04:00:00Z",
      liveness_state: "succeeded",
      usage_json: { inputTokens: 5 },
      context_snapshot: {
        paperclipPreviousSessionId: "s",
        paperclipSessionRotationReason: "3 consecutive failed zero-token reused runs on persisted session s",
      },
    });
    const lines = [...historyLines({ seed: 21, runsPerSession: 70 }), dead(1), dead(2), dead(3), rotation];
    const file = path.join(dir, "runs.ndjson");
    writeFileSync(file, lines.join("\n") + "\n");
    const page = path.join(dir, "report.html");
    const r = spawnSync(process.execPath, [cli, file, "--html", page, "--json"], {
      encoding: "utf8",
      maxBuffer: 1 << 26,
    });
    expect(r.status).toBe(0);
    const report = native.auditDeadSessionsSync(file);

    const tab = await browser.newPage({ viewport: { width: 1100, height: 1600 } });
    const problems: string[] = [];
    tab.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
    tab.on("pageerror", (e) => problems.push(`page error: ${e}`));
    tab.on("request", (q) => !q.url().startsWith("file:") && problems.push(`request: ${q.url()}`));
    await tab.goto(`file://${page}`);
    expect(problems).toEqual([]);

    const charts = tab.locator("svg.chart");
    expect(await charts.count()).toBe(5);
    for (const id of ["days", "rotations", "streaks", "what-if", "what-if-wider"])
      expect(await tab.locator(`#${id} rect.bar`).count()).toBeGreaterThan(0);
    // A bar per day and series, on the same days for runs and rotations; a bar per streak length.
    expect(await tab.locator("#days rect.bar").count()).toBe(report.days.length * 2);
    expect(await tab.locator("#rotations rect.bar").count()).toBe(report.days.length * 2);
    expect(await tab.locator('#rotations rect.bar[fill="#2e7d4f"][height]:not([height="0.0"])').count()).toBe(1);
    expect(report.sessions.find((s) => s.sessionId === "s")).toMatchObject({
      deadNow: false,
      rotation: { kind: "fork_breaker" },
    });
    expect(await tab.locator("#streaks rect.bar").count()).toBe(report.deadStreaks.length);
    const totals = await tab.locator("#totals").innerText();
    for (const value of [
      report.totals.sessions,
      report.totals.runs,
      report.totals.deadRuns,
      report.totals.unseenFailedRuns,
      report.totals.sessionsDeadNow,
      report.totals.rotations.forkBreaker,
    ]) {
      expect(totals).toContain(value.toLocaleString("en-US"));
    }
    // The hostile company id is text on the page, escaped, and its script never ran.
    expect(await tab.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
    expect(await tab.locator("body").innerText()).toContain("<script>window.pwned = 1</script>\\u{202e}\\x1b");
    const shot = path.join(dir, "report.png");
    await tab.screenshot({ path: shot, fullPage: true });
    expect(existsSync(shot)).toBe(true);
    await tab.close();
  });
});

// The audit report as one self-contained HTML page: no script, no style sheet, no font and no
// image from anywhere else. The charts are plain SVG written here: five bar charts need no
// charting library, an inlined one would add hundreds of kilobytes and a script to every
// page, and SVG draws the same in every browser without running anything.
import { visible } from "./visible.mjs";

/** Whether a report's `deadRunRule` is the breaker's own: `failed` runs only, no unrecorded resumes. */
export function isForkRule(rule) {
  return (
    !rule.countUnrecordedResumes && rule.deadLivenessStates.length === 1 && rule.deadLivenessStates[0] === "failed"
  );
}

/** What the report counted as dead: the breaker's own rule, or the widened one it was given. */
function ruleNote(rule) {
  if (isForkRule(rule)) {
    return "A dead run failed on a resumed session without producing a token (the breaker's own rule); the breaker rotates after 3 in a row. An unseen failed run also failed on a resumed session but left no usage record, so the breaker cannot see it.";
  }
  const states = rule.deadLivenessStates.map((state) => text(state, 40)).join(", ") || "none";
  return `Counted by a widened rule: a run is dead in liveness state ${states} when it reused its session without producing a token${rule.countUnrecordedResumes ? ", or resumed it and left no usage record" : ""}; the breaker rotates after 3 in a row.${rule.countUnrecordedResumes ? "" : " An unseen run is in one of those states and resumed its session but left no usage record, so this rule cannot see it."}`;
}

/** Text for HTML: control and bidi characters made visible, long values cut, then escaped. */
function text(value, max = 80) {
  return visible(value, max).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const n = (x) => Number(x).toLocaleString("en-US");
const COLORS = {
  runs: "#7aa6d8",
  dead: "#c8553d",
  recovered: "#e0a458",
  wider: "#6b4e71",
  breaker: "#2e7d4f",
  policy: "#9aa0a6",
};
/** Rotations per day by the breaker (either rule), and by anything else. */
const breakerRotations = (r) => r.forkBreaker + r.widerBreaker;
const otherRotations = (r) => r.runLimit + r.rawInput + r.sessionAge + r.other;

/**
 * A bar chart: `groups` along the x axis, each with one bar per series.
 * @param {{ title: string, id: string, labels: string[], series: Array<{ name: string, color: string, values: number[] }>, xTitle: string, yTitle: string }} chart
 */
function barChart({ title, id, labels, series, xTitle, yTitle }) {
  const width = 760;
  const height = 260;
  const left = 64;
  const bottom = 62;
  const top = 16;
  const plotWidth = width - left - 16;
  const plotHeight = height - top - bottom;
  const max = Math.max(1, ...series.flatMap((s) => s.values));
  const group = plotWidth / Math.max(1, labels.length);
  const bar = Math.max(1, (group * 0.8) / series.length);
  const y = (v) => top + plotHeight - (v / max) * plotHeight;
  const bars = [];
  labels.forEach((label, i) => {
    series.forEach((s, k) => {
      const v = s.values[i] ?? 0;
      const x = left + i * group + group * 0.1 + k * bar;
      bars.push(
        `<rect class="bar" x="${x.toFixed(1)}" y="${y(v).toFixed(1)}" width="${bar.toFixed(1)}" height="${(top + plotHeight - y(v)).toFixed(1)}" fill="${s.color}"><title>${text(label)}: ${text(s.name)} ${n(v)}</title></rect>`,
      );
    });
  });
  // At most ~12 x labels, evenly spread.
  const every = Math.max(1, Math.ceil(labels.length / 12));
  const xLabels = labels
    .map((label, i) =>
      i % every === 0
        ? `<text x="${(left + i * group + group / 2).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle">${text(label, 12)}</text>`
        : "",
    )
    .join("");
  const ticks = [0, 0.5, 1]
    .map(
      (f) =>
        `<text x="${left - 6}" y="${(y(max * f) + 4).toFixed(1)}" text-anchor="end">${n(Math.round(max * f))}</text><line x1="${left}" x2="${width - 16}" y1="${y(max * f).toFixed(1)}" y2="${y(max * f).toFixed(1)}" stroke="#ddd"/>`,
    )
    .join("");
  const legend = series
    .map(
      (s, k) =>
        `<rect x="${left + k * 230}" y="${height - 14}" width="10" height="10" fill="${s.color}"/><text x="${left + k * 230 + 14}" y="${height - 5}">${text(s.name, 44)}</text>`,
    )
    .join("");
  return `<figure id="${id}"><figcaption>${text(title, 120)}</figcaption>
<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${text(title, 120)}">
${ticks}${bars.join("")}${xLabels}
<text x="${left + plotWidth / 2}" y="${height - bottom + 32}" text-anchor="middle" class="axis">${text(xTitle)}</text>
<text x="14" y="${top + plotHeight / 2}" text-anchor="middle" class="axis" transform="rotate(-90 14 ${top + plotHeight / 2})">${text(yTitle)}</text>
${legend}
</svg></figure>`;
}

/** A what-if table as bars: per threshold, dead runs saved, rotations, and recovered ones. */
function whatIfChart(title, id, rows, savedColor) {
  return barChart({
    title,
    id,
    labels: rows.map((w) => String(w.threshold)),
    series: [
      { name: "dead runs saved", color: savedColor, values: rows.map((w) => w.deadRunsSaved) },
      { name: "rotations", color: COLORS.runs, values: rows.map((w) => w.rotations) },
      { name: "rotations of sessions that recovered", color: COLORS.recovered, values: rows.map((w) => w.recovered) },
    ],
    xTitle: "threshold",
    yTitle: "runs",
  });
}

function table(headers, rows) {
  const head = headers.map((h) => `<th>${text(h)}</th>`).join("");
  const cell = (c) => (/^[\d,]+$/.test(String(c)) ? `<td class="num">${text(c, 48)}</td>` : `<td>${text(c, 48)}</td>`);
  const body = rows.map((r) => `<tr>${r.map(cell).join("")}</tr>`).join("\n");
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/**
 * The page for `report`. `top` caps the company, agent and session tables.
 * @param {import("../index.js").DeadSessionAuditReport} report
 */
export function reportHtml(report, { top = 20, title = "Dead sessions in the heartbeat history", source = "" } = {}) {
  const t = report.totals;
  const byDead = (a, b) => b.totals.deadRuns - a.totals.deadRuns || b.totals.runs - a.totals.runs;
  const companies = [...report.companies].sort(byDead);
  const agents = [...report.agents].sort(byDead);
  const deadNow = report.sessions.filter((s) => s.deadNow).sort((a, b) => b.currentDeadStreak - a.currentDeadStreak);
  const longest = [...report.sessions]
    .filter((s) => s.longestDeadStreak > 0)
    .sort((a, b) => b.longestDeadStreak - a.longestDeadStreak);
  // `total`: how many there are; `partial`: the report holds only the top ones (topSessions).
  const capped = (list, total = list.length, partial = false) =>
    total > top ? ` (top ${top} of ${n(total)})` : partial ? ` (top ${top})` : "";
  const charts = [
    barChart({
      title: "Runs and dead runs per day (UTC)",
      id: "days",
      labels: report.days.map((d) => d.day),
      series: [
        { name: "runs", color: COLORS.runs, values: report.days.map((d) => d.runs) },
        { name: "dead runs", color: COLORS.dead, values: report.days.map((d) => d.deadRuns) },
      ],
      xTitle: "day",
      yTitle: "runs",
    }),
    // On the same days: the day the breaker went in shows as its first rotations.
    barChart({
      title:
        "Rotations per day (UTC), as the history records them: by the breaker, and by the policy's limits or other reasons",
      id: "rotations",
      labels: report.days.map((d) => d.day),
      series: [
        {
          name: "by the breaker",
          color: COLORS.breaker,
          values: report.days.map((d) => breakerRotations(d.rotations)),
        },
        {
          name: "by limits and other reasons",
          color: COLORS.policy,
          values: report.days.map((d) => otherRotations(d.rotations)),
        },
      ],
      xTitle: "day",
      yTitle: "rotations",
    }),
    barChart({
      title: "Dead streaks by length (the threshold decides which ones rotate)",
      id: "streaks",
      labels: report.deadStreaks.map((d) => String(d.length)),
      series: [{ name: "streaks", color: COLORS.dead, values: report.deadStreaks.map((d) => d.streaks) }],
      xTitle: "dead runs in a row",
      yTitle: "streaks",
    }),
    whatIfChart(
      "What each breaker threshold would have done (hypothetical: every dead streak, as if nothing had rotated it)",
      "what-if",
      report.whatIf,
      COLORS.dead,
    ),
    whatIfChart(
      "The same, for a breaker that also counted unseen failed runs (no usage record) as dead (hypothetical)",
      "what-if-wider",
      report.whatIfWider,
      COLORS.wider,
    ),
  ];
  const totalsRow = [
    ["sessions", t.sessions],
    ["runs", t.runs],
    ["dead runs", t.deadRuns],
    ["unseen failed runs", t.unseenFailedRuns],
    ["sessions with a dead streak of 3+", t.sessionsWithDeadStreak],
    ["sessions dead now (not rotated since)", t.sessionsDeadNow],
    ["sessions rotated after a dead streak of 3+", t.sessionsRotatedDead],
    ["rotations by the breaker", t.rotations.forkBreaker + t.rotations.widerBreaker],
    ["rotations by limits and other reasons", otherRotations(t.rotations)],
    ["dead runs before the breaker's rotations", t.deadRunsBeforeBreakerRotations],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${text(title, 120)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1000px; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 28px; }
.totals { display: flex; flex-wrap: wrap; gap: 12px; padding: 0; }
.totals li { list-style: none; border: 1px solid #ddd; border-radius: 6px; padding: 8px 12px; }
.totals b { display: block; font-size: 18px; }
svg text { font-size: 11px; fill: #444; } svg .axis { font-size: 12px; }
table { border-collapse: collapse; } td, th { padding: 2px 10px; border-bottom: 1px solid #eee; text-align: left; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 16px 0; } figcaption { font-weight: 600; margin-bottom: 4px; }
.note { color: #666; }
</style></head><body>
<h1>${text(title, 120)}</h1>
<p class="note">${text(source, 200)}${source ? " · " : ""}${n(report.rowsUsed)} runs audited${report.rowsSkipped ? `, ${n(report.rowsSkipped)} rows skipped` : ""}.</p>
<ul class="totals" id="totals">${totalsRow.map(([k, v]) => `<li><b>${n(v)}</b>${text(k)}</li>`).join("")}</ul>
<p class="note" id="rule">${ruleNote(report.deadRunRule)}</p>
${charts.join("\n")}
<h2>Sessions dead now${capped(deadNow, t.sessionsDeadNow)}</h2>
${
  deadNow.length
    ? table(
        ["company", "agent", "session", "dead streak", "runs", "last run"],
        deadNow
          .slice(0, top)
          .map((s) => [s.companyId, s.agentId, s.sessionId, n(s.currentDeadStreak), n(s.runs), s.lastRunAt]),
      )
    : "<p>None.</p>"
}
<h2>Longest dead streaks${capped(longest, longest.length, report.sessionsOmitted > 0)}</h2>
${
  longest.length
    ? table(
        ["company", "agent", "session", "longest streak", "dead runs", "runs"],
        longest
          .slice(0, top)
          .map((s) => [s.companyId, s.agentId, s.sessionId, n(s.longestDeadStreak), n(s.deadRuns), n(s.runs)]),
      )
    : "<p>None.</p>"
}
<h2>Companies by dead runs${capped(companies)}</h2>
${table(
  ["company", "agents", "sessions", "runs", "dead runs", "unseen failed", "dead now"],
  companies
    .slice(0, top)
    .map((c) => [
      c.companyId,
      n(c.agents),
      n(c.totals.sessions),
      n(c.totals.runs),
      n(c.totals.deadRuns),
      n(c.totals.unseenFailedRuns),
      n(c.totals.sessionsDeadNow),
    ]),
)}
<h2>Agents by dead runs${capped(agents)}</h2>
${table(
  ["company", "agent", "sessions", "runs", "dead runs", "unseen failed", "dead now"],
  agents
    .slice(0, top)
    .map((a) => [
      a.companyId,
      a.agentId,
      n(a.totals.sessions),
      n(a.totals.runs),
      n(a.totals.deadRuns),
      n(a.totals.unseenFailedRuns),
      n(a.totals.sessionsDeadNow),
    ]),
)}
</body></html>
`;
}

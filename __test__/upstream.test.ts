// `npm run check:upstream`'s comparison, run on the two releases installed here (the registry
// is not needed): quiet on the release we match, and naming every change on an older one.
import { spawnSync } from "node:child_process";
import path from "node:path";
import { expect, it } from "vitest";

const root = path.join(__dirname, "..");
const check = (release: string) =>
  spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      path.join(root, "scripts", "check-upstream.mts"),
      "--package-dir",
      path.join(root, "node_modules", `adapter-utils-${release}`),
      "--runs",
      "3000",
      "--no-server",
    ],
    { cwd: root, encoding: "utf8" },
  );

it("reports no change against the release the table matches", () => {
  const r = check("2026.916.1");
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: "" });
  expect(r.stdout).toContain("no change");
});

it("names each adapter that differs, and the resolution that follows, against an older release", () => {
  const r = check("2026.707.0");
  expect(r.status).toBe(1);
  expect(r.stdout).toMatch(/acpx_local: new in 2026\.707\.0/);
  expect(r.stdout).toMatch(/kimi_local: gone in 2026\.707\.0/);
  expect(r.stdout).toMatch(/resolution differs/);
});

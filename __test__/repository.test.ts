// The repository stands alone: nothing tracked points outside it, and the lockfile is in step
// with package.json (so `npm install` on a fresh clone leaves the tree clean and `npm ci` passes).
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const read = (file: string) => readFileSync(path.join(root, file), "utf8");

function trackedFiles(): string[] | null {
  try {
    return execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" }).split("\0").filter(Boolean);
  } catch {
    return null; // not a git checkout (an unpacked tarball): nothing is tracked
  }
}

describe("the repository stands alone", () => {
  it("no tracked file but the lockfile names a folder beside the repository", () => {
    const files = trackedFiles();
    if (files === null) return;
    const outside = ["..", "shared"].join("/");
    const offenders = files
      .filter((f) => f !== "package-lock.json" && !f.startsWith("__test__/cases/"))
      .filter((f) => {
        try {
          return read(f).includes(outside);
        } catch {
          return false; // a tracked file deleted in the work tree
        }
      });
    expect(offenders).toEqual([]);
  });

  it("package-lock.json records what package.json declares", () => {
    const pkg = JSON.parse(read("package.json"));
    const lock = JSON.parse(read("package-lock.json"));
    const locked = lock.packages[""];
    expect(lock.name).toBe(pkg.name);
    expect(lock.version).toBe(pkg.version);
    for (const field of [
      "name",
      "version",
      "license",
      "bin",
      "engines",
      "dependencies",
      "devDependencies",
      "optionalDependencies",
    ]) {
      expect([field, locked[field]]).toEqual([field, pkg[field]]);
    }
  });
});

describe("package metadata says only what is true", () => {
  it("names no repository until the real one exists (docs/releasing.md)", async () => {
    const { readdirSync } = await import("node:fs");
    const manifests = ["package.json", ...readdirSync(path.join(root, "npm")).map((d) => `npm/${d}/package.json`)];
    for (const file of manifests) expect([file, JSON.parse(read(file)).repository]).toEqual([file, undefined]);
  });
});

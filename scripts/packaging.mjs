// Packing the npm packages as a release would: the main package and the platform package of
// this machine, as tarballs, and the release dry run for every target.
import { execFileSync } from "node:child_process";
import { copyFileSync, cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8"));
const napiBin = path.join(root, "node_modules", ".bin", "napi");

/** The napi-rs platform name of the binary built on this machine (e.g. linux-x64-gnu). */
export function localPlatform() {
  const built = readdirSync(root).find((f) => f.startsWith(`${pkg.napi.binaryName}.`) && f.endsWith(".node"));
  if (!built) throw new Error("no native binary in the project root: run npm run build first");
  return { file: built, platform: built.slice(pkg.napi.binaryName.length + 1, -".node".length) };
}

function run(cmd, args, cwd) {
  return execFileSync(cmd, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function npmPack(dir, destination) {
  const out = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", destination], dir));
  return { tarball: path.join(destination, out[0].filename), files: out[0].files.map((f) => f.path) };
}

/** Packs the main package and this machine's platform package into `destination`. */
export function packLocal(destination) {
  const main = npmPack(root, destination);
  const { file, platform } = localPlatform();
  const stage = mkdtempSync(path.join(tmpdir(), "pcsc-platform-"));
  copyFileSync(path.join(root, "npm", platform, "package.json"), path.join(stage, "package.json"));
  copyFileSync(path.join(root, file), path.join(stage, file));
  const platformPackage = npmPack(stage, destination);
  return { main, platform: platformPackage, platformName: platform };
}

/**
 * The release, as far as a dry run goes: stage the repository's package files and npm/ dirs,
 * put this machine's binary in its platform dir and a marked stand-in in every other (those
 * are built by the release workflow on their own runners), run `napi prepublish` (which adds
 * the optionalDependencies, without publishing), then `npm publish --dry-run` each package.
 */
export function releaseDryRun() {
  const stage = mkdtempSync(path.join(tmpdir(), "pcsc-release-"));
  for (const f of [...pkg.files, "package.json", "README.md", "LICENSE", "npm"]) cpSync(path.join(root, f), path.join(stage, f), { recursive: true });
  const { file, platform } = localPlatform();
  const standIns = [];
  for (const dir of readdirSync(path.join(stage, "npm"))) {
    const target = path.join(stage, "npm", dir, `${pkg.napi.binaryName}.${dir}.node`);
    if (dir === platform) copyFileSync(path.join(root, file), target);
    else if (!existsSync(target)) {
      writeFileSync(target, "stand-in: built by .github/workflows/release.yml on its own runner\n");
      standIns.push(dir);
    }
  }
  const git = (...args) => run("git", ["-c", "user.name=release-dry-run", "-c", "user.email=dry-run@localhost", ...args], stage);
  git("init", "-q");
  git("add", "-A");
  git("commit", "-qm", `v${pkg.version}`);
  run(napiBin, ["prepublish", "-t", "npm", "--skip-optional-publish"], stage);
  const staged = JSON.parse(readFileSync(path.join(stage, "package.json"), "utf8"));
  const published = [];
  for (const dir of [...readdirSync(path.join(stage, "npm")).map((d) => path.join(stage, "npm", d)), stage]) {
    const out = run("npm", ["publish", "--dry-run", "--json"], dir);
    // npm 11 keys the report by package name.
    const report = Object.values(JSON.parse(out.slice(out.indexOf("{"))))[0];
    published.push({ name: report.name, version: report.version, files: report.files.map((f) => f.path) });
  }
  return { optionalDependencies: staged.optionalDependencies ?? {}, published, standIns };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = releaseDryRun();
  console.log("optionalDependencies added by napi prepublish:", r.optionalDependencies);
  for (const p of r.published) console.log(`npm publish --dry-run: ${p.name}@${p.version} (${p.files.join(", ")})`);
  console.log(`stand-in binaries (built by the release workflow): ${r.standIns.join(", ")}`);
}

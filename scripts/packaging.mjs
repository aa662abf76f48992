// Packing the npm packages as a release would: the main package and the platform package of
// this machine, as tarballs, and the release dry run for every target.
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  writeFileSync,
} from "node:fs";
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

/** The newest glibc symbol version a packed Linux binary may need: the release's floor. */
export const GLIBC_FLOOR = "2.17";

/**
 * The binary to pack for this machine. On Linux x64 with glibc it is built again with napi-rs's
 * cross toolchain (`--use-napi-cross`: gcc against glibc 2.17, fetched from the npm registry
 * once into ~/.napi-rs), as the release workflow builds it, so a tarball packed here loads on
 * Debian 11, Ubuntu 20.04, RHEL 8 and Amazon Linux 2 too; the host's own toolchain links
 * against the host's glibc. Elsewhere the local build is packed as it is.
 */
export function packableBinary() {
  const { file, platform } = localPlatform();
  if (platform !== "linux-x64-gnu" || process.arch !== "x64") return path.join(root, file);
  const out = path.join(root, "target", "portable");
  execFileSync(
    napiBin,
    [
      "build",
      "--platform",
      "--release",
      "--use-napi-cross",
      "--target",
      "x86_64-unknown-linux-gnu",
      "--output-dir",
      out,
      "--no-js",
      "--dts",
      "portable.d.ts",
    ],
    { cwd: root, stdio: ["ignore", "ignore", "inherit"] },
  );
  return path.join(out, file);
}

/** The glibc symbol versions an ELF binary needs, newest last (from `objdump -T`, binutils). */
export function glibcVersionsNeeded(binary) {
  const versions = new Set(run("objdump", ["-T", binary], root).match(/GLIBC_[0-9.]+/g) ?? []);
  const numeric = (v) => v.slice("GLIBC_".length).split(".").map(Number);
  return [...versions].sort((a, b) => {
    const [x, y] = [numeric(a), numeric(b)];
    for (let i = 0; i < Math.max(x.length, y.length); i++)
      if ((x[i] ?? 0) !== (y[i] ?? 0)) return (x[i] ?? 0) - (y[i] ?? 0);
    return 0;
  });
}

function npmPack(dir, destination) {
  const out = JSON.parse(run("npm", ["pack", "--json", "--pack-destination", destination], dir));
  return { tarball: path.join(destination, out[0].filename), files: out[0].files.map((f) => f.path) };
}

/**
 * Packs the main package and this machine's platform package into `destination`, the main
 * package's `optionalDependencies` naming the platform package as a release does (`napi
 * prepublish` adds them for every platform then). So `npm install main.tgz platform.tgz`
 * works in another project, and pnpm with an override for the platform package.
 */
export function packLocal(destination) {
  const { file, platform } = localPlatform();
  const binary = packableBinary();
  const platformStage = mkdtempSync(path.join(tmpdir(), "pcsc-platform-"));
  const platformJson = JSON.parse(readFileSync(path.join(root, "npm", platform, "package.json"), "utf8"));
  writeFileSync(path.join(platformStage, "package.json"), JSON.stringify(platformJson, null, 2) + "\n");
  copyFileSync(binary, path.join(platformStage, file));
  const platformPackage = npmPack(platformStage, destination);
  const mainStage = mkdtempSync(path.join(tmpdir(), "pcsc-main-"));
  for (const f of [...pkg.files, "README.md"]) cpSync(path.join(root, f), path.join(mainStage, f), { recursive: true });
  const { devDependencies: _dev, scripts: _scripts, ...published } = pkg;
  published.optionalDependencies = { [platformJson.name]: platformJson.version };
  writeFileSync(path.join(mainStage, "package.json"), JSON.stringify(published, null, 2) + "\n");
  const main = npmPack(mainStage, destination);
  return { main, platform: platformPackage, platformName: platform, platformPackage: platformJson.name, binary };
}

/**
 * The release, as far as a dry run goes: stage the repository's package files and npm/ dirs,
 * put this machine's binary in its platform dir and a marked stand-in in every other (those
 * are built by the release workflow on their own runners), run `napi prepublish` (which adds
 * the optionalDependencies, without publishing), then `npm publish --dry-run` each package.
 */
export function releaseDryRun() {
  const stage = mkdtempSync(path.join(tmpdir(), "pcsc-release-"));
  for (const f of [...pkg.files, "package.json", "README.md", "LICENSE", "npm"])
    cpSync(path.join(root, f), path.join(stage, f), { recursive: true });
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
  const git = (...args) =>
    run("git", ["-c", "user.name=release-dry-run", "-c", "user.email=dry-run@localhost", ...args], stage);
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

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === "pack") {
  // `npm run pack:local [DIR]`: the two tarballs to install before the package is on npm.
  const destination = path.resolve(process.argv[3] ?? path.join(root, "dist"));
  mkdirSync(destination, { recursive: true });
  const r = packLocal(destination);
  const rel = (f) => path.relative(process.cwd(), f) || f;
  console.log(`packed ${rel(r.main.tarball)}\npacked ${rel(r.platform.tarball)}\n`);
  console.log(`npm:  npm install ${r.main.tarball} ${r.platform.tarball}`);
  console.log(`pnpm: pnpm add file:${r.main.tarball} file:${r.platform.tarball}`);
  console.log(
    `      with "pnpm": { "overrides": { "${r.platformPackage}": "file:${r.platform.tarball}" } } in package.json`,
  );
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = releaseDryRun();
  console.log("optionalDependencies added by napi prepublish:", r.optionalDependencies);
  for (const p of r.published) console.log(`npm publish --dry-run: ${p.name}@${p.version} (${p.files.join(", ")})`);
  console.log(`stand-in binaries (built by the release workflow): ${r.standIns.join(", ")}`);
}

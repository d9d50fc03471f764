#!/usr/bin/env node
// `prepare` (npm install in a clone, npm pack): `npm run build` unless build/ and dist/ are already
// newer than everything they are built from. `npx denoise-wasm` inside this repository installs the
// repository itself as a package, which runs prepare: a full rebuild there made every such call slow
// (24 s); with this check it costs a few stat calls.
import { execSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const mtime = (p) => (existsSync(join(root, p)) ? statSync(join(root, p)).mtimeMs : -Infinity);
const files = (dir) =>
  readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name.endsWith(".ts"))
    .map((d) => relative(root, join(d.parentPath, d.name)));

/** Why a rebuild is needed, or undefined when build/ and dist/ are up to date. */
function stale() {
  // The engine: every asconfig.json target's .wasm, against the engine's sources and the config.
  const wasm = Object.values(JSON.parse(readFileSync(join(root, "asconfig.json"), "utf8")).targets).map(
    (t) => t.outFile,
  );
  const oldestWasm = Math.min(...wasm.map(mtime));
  const engineSrc = ["asconfig.json", ...files("assembly").filter((f) => !f.includes("__tests__"))];
  const newerEngine = engineSrc.find((f) => mtime(f) > oldestWasm);
  if (newerEngine) return `${newerEngine} is newer than ${wasm.find((w) => mtime(w) === oldestWasm)}`;
  // The host: each .ts compiled by tsconfig.json against its .js in dist/ (and the configs against them all).
  const host = ["host", "web", "tools", "test", "bench"].flatMap(files);
  const js = (f) => join("dist", f.replace(/\.ts$/, ".js"));
  const old = host.find(
    (f) => mtime(js(f)) < Math.max(mtime(f), mtime("tsconfig.json"), mtime("tsconfig.browser.json")),
  );
  return old ? `${js(old)} is missing or older than its sources` : undefined;
}

const why = stale();
if (process.argv.includes("--dry-run")) process.stdout.write(why ? `would build: ${why}\n` : "up to date\n");
else if (why) {
  process.stderr.write(`prepare: building (${why})\n`);
  execSync("npm run build", { cwd: root, stdio: "inherit" });
}

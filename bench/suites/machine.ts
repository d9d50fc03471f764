// The report's head (machine, versions, the command), the engine builds this machine loads, and the
// peak kernel: 12 independent f32x4 multiply-add chains, the yardstick of the GEMMs' % of peak.
import { cpus, totalmem } from "node:os";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { BuildName, Engine } from "../../host/core/engine.js";
import { openNodeEngine } from "../../host/node/engine.js";
import { PACKAGE_ROOT } from "../../host/node/files.js";
import type { Bench } from "./context.js";

export type Engines = Partial<Record<BuildName, Engine>>;

export function machineSection(bench: Bench): void {
  const { say } = bench;
  const cpu = cpus()[0]?.model ?? "?";
  const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8"));
  say(`# denoise-wasm benchmark`);
  say();
  say(
    `Machine: ${cpu}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Node ${process.version}; ` +
      `assemblyscript ${pkg.devDependencies.assemblyscript}; ${new Date().toISOString().slice(0, 16)} UTC. Command: \`npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}\`.`,
  );
  say(
    `Every figure is a median of repeated runs in this one process run; peers ran in the same run as child processes, each right after ours on the same configuration.`,
  );
  say();
}

/** The scalar, strict and relaxed builds that load here (a missing one is said and left out). */
export async function loadEngines(bench: Bench): Promise<Engines> {
  const engines: Engines = {};
  for (const b of ["scalar", "strict", "relaxed"] as BuildName[]) {
    try {
      engines[b] = await openNodeEngine({ build: b });
    } catch (e) {
      bench.say(`(${b} build unavailable here: ${(e as Error).message})`);
    }
  }
  return engines;
}

/** The peak kernel's GFLOP/s on build b now (this machine's speed drifts: each GEMM is compared with a peak taken next to it). */
export function peakNow(bench: Bench, engines: Engines, b: BuildName, seconds = bench.seconds): number {
  const iters = 2e6,
    flops = (b === "scalar" ? 8 : 96) * iters;
  return flops / bench.timeMs(() => engines[b]!.exports.peakMadd(iters, 0.999, 0.001), seconds) / 1e6;
}

export function peakSection(bench: Bench, engines: Engines): void {
  const { say } = bench;
  say(`## Peak: 12 independent f32x4 multiply-add chains, one core`);
  say();
  say(`| build | GFLOP/s |`);
  say(`|---|---|`);
  for (const b of Object.keys(engines) as BuildName[]) say(`| ${b} | ${peakNow(bench, engines, b).toFixed(1)} |`);
  say();
}

// `denoise-wasm eval`: PSNR / SSIM of the noisy input, a 3×3 median filter and a model on the
// MNIST test images, per noise type; optionally the grids of clean / noisy / denoised digits.
import type { Command } from "commander";
import { join } from "node:path";
import { EVAL_NOISES, NOISE_KINDS, type NoiseKind } from "../core/noise.js";
import { evaluate, formatTable } from "../core/eval.js";
import { DEFAULT_DATA, loadSplit, weightsOrDefault, writeFileAtomic } from "../node/files.js";
import { stderrProgress } from "../node/progress.js";
import { gridPng } from "../node/report.js";
import { openRuntime } from "./engine.js";
import { buildOption, givenBy, intFlag, noiseList, threadsOption } from "./flags.js";
import { dataDir, modelFromWeights } from "./session.js";

interface EvalFlags {
  weights?: string; data: string; noise: NoiseKind[]; limit?: number; json?: boolean; quiet?: boolean; build: string; threads: number; grids?: string;
}

export function evalCommand(prog: Command): void {
  prog.command("eval")
    .description("PSNR / SSIM of the noisy input, a 3×3 median filter and the model on the test images")
    .option("--weights <path>", "weights (.safetensors); default: the shipped default weights")
    .option("--data <dir>", "directory with the MNIST-format IDX files", DEFAULT_DATA)
    .option("--noise <types>", `comma list of test noises (${NOISE_KINDS.join(", ")})`, noiseList, [...EVAL_NOISES] as NoiseKind[])
    .option("--limit <n>", "evaluate on the first N test images only", intFlag(1))
    .option("--json", "print one JSON object {noise: {method: {psnr, ssim}}} on stdout")
    .option("--grids <dir>", "also write grid_<noise>.png (rows clean / noisy / denoised) into this directory")
    .option("--quiet", "no progress output")
    .addOption(buildOption())
    .addOption(threadsOption())
    .action(async (f: EvalFlags, cmd: Command) => {
      const quiet = f.quiet || f.json;
      const rt = await openRuntime({ build: f.build, quiet, threads: f.threads, threadsGiven: givenBy(cmd)("threads") });
      try {
        const test = loadSplit(dataDir(f.data), "test");
        const { model } = modelFromWeights(rt, weightsOrDefault(f.weights), 256, "seed", { inference: true });
        const run = evaluate(model, test, { count: f.limit, noises: f.noise, progress: stderrProgress(quiet) });
        if (f.grids) run.sets.forEach((set, i) => writeFileAtomic(join(f.grids!, `grid_${set.label}.png`), gridPng(run, i)));
        process.stdout.write(f.json ? JSON.stringify(run.table) + "\n" : formatTable(run.table) + "\n");
      } finally {
        rt.pool?.close();
      }
    });
}

// `denoise-wasm eval`: PSNR / SSIM of the noisy input, a 3×3 median filter and a model on the
// MNIST test images, per noise type; optionally the grids of clean / noisy / denoised digits.
// With --images DIR: the photo evaluation instead (host/cli/eval-images.ts).
import { Option, type Command } from "commander";
import { join } from "node:path";
import { UserError } from "../core/errors.js";
import { EVAL_NOISES, NOISE_KINDS, type NoiseKind } from "../core/noise.js";
import { evaluate, formatTable } from "../core/eval.js";
import {
  DEFAULT_BASELINES,
  DEFAULT_DATA,
  DEFAULT_DATA_NAME,
  dataDir,
  modelFile,
  loadSplit,
  weightsOrDefault,
  writeFileAtomic,
} from "../node/files.js";
import { stderrProgress } from "../node/progress.js";
import { gridPng } from "../node/report.js";
import { openRuntime } from "./engine.js";
import { evalImages, type PhotoEvalFlags } from "./eval-images.js";
import { evalPairs } from "./eval-pairs.js";
import {
  buildOption,
  givenBy,
  ensembleOption,
  intFlag,
  clampOption,
  maxMemoryOption,
  strengthOption,
  sigmaOption,
  noiseList,
  sigmaList,
  threadsOption,
  tileOption,
} from "./flags.js";
import { modelFromWeights } from "./session.js";

interface EvalFlags extends Omit<PhotoEvalFlags, "images"> {
  images?: string;
  model?: string;
  pairs?: string;
  clean?: string;
  noiseSigma?: number;
  strength?: number;
  data: string;
  noise: NoiseKind[];
  limit?: number;
  grids?: string;
}

/** Flags of one evaluation only: given with another, they are an error. */
const DIGITS_ONLY = ["data", "noise", "limit", "grids"];
const PHOTOS_ONLY = [
  "sigma",
  "colour",
  "pairs",
  "clean",
  "noiseSigma",
  "strength",
  "perImage",
  "save",
  "baselines",
  "cache",
  "writeCache",
  "tile",
  "maxMemory",
  "clamp",
  "ensemble",
];
const COMMON_PHOTO = ["perImage", "save", "tile", "maxMemory", "clamp", "ensemble"];
const IMAGES_ONLY = [...COMMON_PHOTO, "colour", "sigma", "baselines", "cache", "writeCache"];
const PAIRS_ONLY = [...COMMON_PHOTO, "pairs", "clean", "noiseSigma", "strength"];

export function evalCommand(prog: Command): void {
  prog
    .command("eval")
    .description(
      "PSNR / SSIM of the noisy input, a 3×3 median filter and the model on the test images; " +
        "with --images: of the noisy input, the model and classical baselines on a folder of photos",
    )
    .option(
      "--model <digits|photo|file>",
      "the shipped digit or photo model, or a weights file (.safetensors), as denoise takes it; default: digits (with --images or --pairs: photo)",
    )
    .option("--weights <path>", "weights file (.safetensors): the same as --model <file>")
    .addOption(
      new Option("--data <dir>", "directory with the MNIST-format IDX files").default(DEFAULT_DATA, DEFAULT_DATA_NAME),
    )
    .option("--noise <types>", `comma list of test noises (${NOISE_KINDS.join(", ")})`, noiseList, [
      ...EVAL_NOISES,
    ] as NoiseKind[])
    .option("--limit <n>", "evaluate on the first N test images only", intFlag(1))
    .option(
      "--json",
      "print one JSON object {noise: {method: {psnr, ssim}}} on stdout (--images: {mean: {σ: {method: {psnr, ssim} | null}}, …})",
    )
    .option("--grids <dir>", "also write grid_<noise>.png (rows clean / noisy / denoised) into this directory")
    .option(
      "--images <dir>",
      "evaluate on a folder of photos instead (PNG / JPEG, recursive; colour as luma, rounded to 8 bits): gaussian noise of each --sigma, rounded and clipped to 8 bits, seeded by the photo's path in the folder",
    )
    .option("--sigma <list>", "--images: comma list of noise σ on the 0–255 scale", sigmaList, [15, 25, 50])
    .option(
      "--pairs <dir>",
      "evaluate on real noisy photos instead: <name>_real.<ext> / <name>_mean.<ext> pairs in DIR (or noisy photos in DIR, clean ones of the same names in --clean), denoised as `denoise` does; PSNR / SSIM over all channels, and how many the model made worse",
    )
    .option("--clean <dir>", "--pairs: the clean photos' folder (same relative paths as the noisy ones in DIR)")
    .addOption(
      sigmaOption(
        "--noise-sigma <s>",
        "--pairs: the noise σ (0–255 scale) the photo model is given; default: measured per photo",
      ),
    )
    .addOption(strengthOption())
    .option(
      "--colour",
      "--images: colour photos in R, G, B (the colour protocol: PSNR over all channels, SSIM their mean) instead of their luma; the baselines are gray-only",
    )
    .option("--per-image", "--images: also a row per photo and σ")
    .option(
      "--save <dir>",
      "--images: write <name>_clean.png, <name>_s<σ>_noisy.png and <name>_s<σ>_ours.png (8-bit gray) here",
    )
    .addOption(
      new Option(
        "--baselines <how>",
        "--images: nl-means / tv / wavelet computed by scikit-image (host/node/baselines.py) when python3 has it, else from --cache (auto); only from --cache (cache); not at all, shown as – (off)",
      )
        .choices(["auto", "cache", "off"])
        .default("auto"),
    )
    .addOption(
      new Option(
        "--cache <file>",
        "--images: baselines cache, used when its entry's noisy pixels hash as ours",
      ).default(DEFAULT_BASELINES, "data/photos/baselines.json"),
    )
    .option("--write-cache", "--images: merge the baselines scikit-image computed into the --cache file")
    .addOption(clampOption())
    .addOption(ensembleOption())
    .addOption(tileOption())
    .addOption(maxMemoryOption())
    .option("--quiet", "no progress output")
    .addOption(buildOption())
    .addOption(threadsOption())
    .action(async (f: EvalFlags, cmd: Command) => {
      const given = givenBy(cmd),
        flag = (k: string) => cmd.options.find((o) => o.attributeName() === k)!.long;
      if (f.images && f.pairs) throw new UserError("give --images or --pairs, not both");
      if (f.model) {
        if (f.weights) throw new UserError("give --model or --weights, not both");
        f.weights = modelFile(f.model);
      }
      const mode = f.images ? "--images" : f.pairs ? "--pairs" : undefined;
      const only = mode === "--images" ? IMAGES_ONLY : mode === "--pairs" ? PAIRS_ONLY : [];
      const wrong = (mode ? [...DIGITS_ONLY, ...PHOTOS_ONLY.filter((k) => !only.includes(k))] : PHOTOS_ONLY).find(
        given,
      );
      if (wrong)
        throw new UserError(
          mode
            ? `${flag(wrong)} is ${DIGITS_ONLY.includes(wrong) ? "for the digits evaluation, not" : "not for"} ${mode}`
            : `${flag(wrong)} needs ${[IMAGES_ONLY.includes(wrong) && "--images", PAIRS_ONLY.includes(wrong) && "--pairs"].filter(Boolean).join(" or ")}`,
        );
      if (f.images) return evalImages({ ...f, images: f.images }, given("threads"));
      if (f.pairs) return evalPairs({ ...f, pairs: f.pairs }, given("threads"));
      const quiet = f.quiet || f.json;
      const rt = await openRuntime({ build: f.build, quiet, threads: f.threads, threadsGiven: given("threads") });
      try {
        const test = loadSplit(dataDir(f.data), "test");
        const { model } = modelFromWeights(rt, weightsOrDefault(f.weights), 256, "seed", {
          inference: true,
          images: test,
        });
        const run = evaluate(model, test, { count: f.limit, noises: f.noise, progress: stderrProgress(quiet) });
        if (f.grids)
          run.sets.forEach((set, i) => writeFileAtomic(join(f.grids!, `grid_${set.label}.png`), gridPng(run, i)));
        process.stdout.write(f.json ? JSON.stringify(run.table) + "\n" : formatTable(run.table) + "\n");
      } finally {
        rt.pool?.close();
      }
    });
}

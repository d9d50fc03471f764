// Flag parsers and the options several commands share. A bad value is commander's one-line error
// and exit 1.
import { type Command, InvalidArgumentError, Option } from "commander";
import { ARCHS } from "../core/arch.js";
import { DEFAULT_MAX_MEMORY_MIB, LEVEL_FLOOR } from "../core/denoise.js";
import type { TrainSettings } from "../core/checkpoint.js";
import { LOSS_KINDS, type LossKind } from "../core/model.js";
import { RECIPE_DEFAULTS } from "../core/recipe.js";
import {
  levelDefaults,
  parseMix,
  parseNoise,
  parseSigma,
  parseTrainingNoise,
  TRAINING_NOISE_KINDS,
  type NoiseKind,
  type TrainingNoiseKind,
} from "../core/noise.js";
import { MAX_THREADS } from "../core/pool.js";
import { DEFAULT_THREADS } from "../node/engine.js";
import { DEFAULT_DATA, DEFAULT_DATA_NAME } from "../node/files.js";

/** Options a command cannot run without (see requiredOption). */
const REQUIRED = new WeakSet<Option>();

/**
 * An option the command needs: "(required)" in its help line, and checked just before the action
 * runs (checkRequired), after commander has refused unknown options, so a typo (--ouput) is
 * reported as itself rather than as a missing -o. (Commander's own requiredOption checks first.)
 */
export function requiredOption(flags: string, description: string, parse?: (v: string) => unknown): Option {
  const o = new Option(flags, `${description} (required)`);
  if (parse) o.argParser(parse);
  REQUIRED.add(o);
  return o;
}

/** A preAction hook: the action's command has every requiredOption. */
export function checkRequired(_prog: Command, cmd: Command): void {
  for (const o of cmd.options) {
    if (REQUIRED.has(o) && cmd.getOptionValue(o.attributeName()) === undefined)
      cmd.error(`error: required option '${o.flags}' not specified`);
  }
}

/** The --level option's help: what it sets and each kind's default. */
export const LEVEL_HELP = `main parameter of the noise: gaussian / speckle σ, salt-and-pepper share of pixels (at most 1), poisson peak (default: ${levelDefaults()})`;

export function intFlag(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\s*-?\d+\s*$/.test(v) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`);
    }
    return n;
  };
}

export function posFloat(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a positive number");
  return n;
}

function nonNegFloat(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError("expected a number ≥ 0");
  return n;
}

function fraction(v: string): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isFinite(n) || n < 0 || n >= 1)
    throw new InvalidArgumentError("expected a fraction from 0 to below 1");
  return n;
}

/** A parser that turns a thrown Error into commander's one-line InvalidArgumentError. */
function checked<T>(parse: (v: string) => T) {
  return (v: string): T => {
    try {
      return parse(v);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

export const noiseFlag = checked(parseNoise);
export const noiseList = (v: string): NoiseKind[] => v.split(",").map((s) => noiseFlag(s.trim()));

function archFlag(v: string): string {
  if (!ARCHS[v]) throw new InvalidArgumentError(`unknown architecture (known: ${Object.keys(ARCHS).join(", ")})`);
  return v;
}

/** A comma list of gaussian σ on the 0–255 scale (`eval --images`): each above 0, at most 255, at most 2 decimals, no repeats. */
export function sigmaList(v: string): number[] {
  const out = v.split(",").map((s) => {
    const n = Number(s.trim());
    if (!/^\d{1,3}(\.\d{1,2})?$/.test(s.trim()) || !(n > 0 && n <= 255)) {
      throw new InvalidArgumentError(
        `expected a comma list of σ above 0 and at most 255 (at most 2 decimals), not ${JSON.stringify(s.trim())}`,
      );
    }
    return n;
  });
  if (new Set(out).size !== out.length) throw new InvalidArgumentError("a σ is listed twice");
  return out;
}

/** --tile for `denoise` and `eval --images`: auto, or a side in pixels. */
export const tileOption = () =>
  new Option(
    "--tile <px|auto>",
    "largest tile side in pixels, halo included (auto: the whole image if it fits --max-memory, else the largest tile that does)",
  )
    .argParser((v: string): number | "auto" => (v === "auto" ? v : intFlag(16, 65536)(v)))
    .default("auto");

/** --no-clamp: leave a gaussian model's output as it is (host/core/denoise.ts clampChange). */
export const clampOption = () =>
  new Option(
    "--no-clamp",
    "do not clamp a gaussian-noise model's change of each pixel to ~2–3× the noise σ estimated from the image (a blind model's guard against smoothing texture away at low noise)",
  );

/** --sigma / --strength: the noise level a model with a noise-level map is given (host/core/denoise.ts levelFor). */
export const sigmaOption = (
  flags = "--sigma <s>",
  help = `the image's noise σ on the 0–255 scale, for a model that takes a noise level (the photo model); default: measured from the image, at least ${LEVEL_FLOOR * 255}`,
) =>
  new Option(flags, help).argParser(
    checked((v: string) => {
      const n = Number(v);
      if (v.trim() === "" || !(n >= 0 && n <= 255)) throw new Error("expected a σ from 0 to 255");
      return n;
    }),
  );

export const strengthOption = () =>
  new Option(
    "--strength <x>",
    "multiply the measured noise level by x (above 1 denoises harder, below 1 gentler; default 1); ignored with --sigma",
  ).argParser(
    checked((v: string) => {
      const n = Number(v);
      if (v.trim() === "" || !(n >= 0 && n <= 10)) throw new Error("expected a factor from 0 to 10");
      return n;
    }),
  );

/** --ensemble: the self-ensemble of eight flips / rotations (host/core/denoise.ts denoisePlane). */
export const ensembleOption = () =>
  new Option(
    "--ensemble",
    "average the model's outputs for the image's eight flips and 90° rotations (8× the time, a little more quality: docs/quality.md)",
  );

export const maxMemoryOption = () =>
  new Option("--max-memory <MiB>", "most wasm memory the engine may hold in all (the tile model included), in MiB")
    .argParser(intFlag(16, 3072))
    .default(DEFAULT_MAX_MEMORY_MIB);

export const buildOption = () =>
  new Option(
    "--build <build>",
    "engine build: auto picks the best this runtime runs, relaxed → strict → scalar (default: $DENOISE_BUILD, else auto)",
  ).choices(["auto", "relaxed", "strict", "scalar"]);

export const threadsOption = () =>
  new Option("--threads <n>", "worker threads over one shared memory (results are deterministic for a given count)")
    .argParser(intFlag(1, MAX_THREADS))
    .default(DEFAULT_THREADS, "the number of cores");

/** Whether the user gave option `key` on the command line (not its default, even when equal to it). */
export const givenBy = (cmd: Command) => (key: string) => cmd.getOptionValueSource(key) === "cli";

export interface TrainFlags {
  data: string;
  noise: TrainingNoiseKind;
  cameraShare: number;
  epochs: number;
  batch: number;
  lr: number;
  seed: number;
  shuffle: boolean;
  init?: string;
  arch: string;
  out: string;
  limit?: number;
  build?: string;
  quiet?: boolean;
  level?: number;
  adamState: boolean;
  resume?: string;
  checkpoint?: string;
  threads: number;
  schedule: "constant" | "cosine";
  warmup: number;
  minLr: number;
  loss: LossKind;
  l1Weight: number;
  mix?: string;
  clip?: boolean | number;
  sigma?: string;
  images?: string;
  valImages?: string;
  patch: number;
  patchesPerImage: number;
  valSplit: number;
  grayShare: number;
}

/** Flags that define a run: a resumed run keeps the checkpoint's (giving one that differs is an error). */
export const RUN_FLAGS: [keyof TrainFlags & keyof TrainSettings, string][] = [
  ["noise", "--noise"],
  ["level", "--level"],
  ["batch", "--batch"],
  ["lr", "--lr"],
  ["seed", "--seed"],
  ["shuffle", "--no-shuffle"],
  ["limit", "--limit"],
  ["arch", "--arch"],
  ["threads", "--threads"],
  ["schedule", "--schedule"],
  ["warmup", "--warmup"],
  ["minLr", "--min-lr"],
  ["loss", "--loss"],
  ["l1Weight", "--l1-weight"],
  ["mix", "--mix"],
  ["clip", "--clip"],
  ["sigma", "--sigma"],
  ["patch", "--patch"],
  ["patchesPerImage", "--patches-per-image"],
  ["valSplit", "--val-split"],
  ["grayShare", "--gray-share"],
  ["cameraShare", "--camera-share"],
];

/** "s" or "lo-hi" on the 0–255 scale (0 ≤ lo ≤ hi ≤ 255, hi > 0), as given (checked). */
export const sigmaFlag = checked((v: string) => {
  parseSigma(v);
  return v.trim();
});

/**
 * The flags of `train` and `start`. Their defaults are the recipe's (host/core/recipe.ts): the
 * digits' for every flag, the photos' where --images changes one (arch, noise, σ, clip), as the
 * help says; a run takes the recipe's default for every flag not given.
 */
export function addTrainFlags(cmd: Command, outDefault: string): Command {
  const D = RECIPE_DEFAULTS.images,
    P = RECIPE_DEFAULTS.photos;
  return cmd
    .addOption(
      new Option("--data <dir>", "directory with the MNIST-format IDX files (plain or .gz)").default(
        DEFAULT_DATA,
        DEFAULT_DATA_NAME,
      ),
    )
    .option(
      "--noise <type>",
      `training noise: ${TRAINING_NOISE_KINDS.join(" | ")}; camera: synthetic camera noise (raw sensor noise, demosaicing, JPEG) for --camera-share of colour patches, gaussian of --sigma for the rest (with --images: ${P.noise})`,
      checked(parseTrainingNoise),
      D.noise,
    )
    .option("--level <x>", `${LEVEL_HELP}; photos: see --sigma`, posFloat)
    .option(
      "--mix <g,sp,sk>",
      "mixed noise: relative weights of gaussian, salt-and-pepper and speckle images (default 1,1,1)",
      checked((v: string) => parseMix(v).join(",")),
    )
    .option(
      "--sigma <s|lo-hi>",
      `gaussian σ on the 0–255 scale, fixed (25) or per image uniform in a range (0-55: a blind model); overrides --level (default with --images: ${P.sigma})`,
      sigmaFlag,
    )
    .option(
      "--clip [share]",
      "clip noisy inputs to [0, 1] and round them to 8 bits, as an image file holds them: every image, or a share of them (e.g. 0.5); default with --images",
      (v: string) => {
        const n = Number(v);
        if (v.trim() === "" || !(n > 0 && n <= 1)) throw new InvalidArgumentError("expected a share in (0, 1]");
        return n === 1 ? true : n;
      },
    )
    .option("--no-clip", "keep noisy inputs unclipped (default for the digits, as the notebook)")
    .option(
      "--images <dir>",
      "train on a folder of photos (PNG / JPEG, recursive; luma for a gray model, R, G, B for a colour one) instead of the digits: random patches, flips and rotations",
    )
    .option(
      "--val-images <dir>",
      "validate on the photos of this folder instead of holding out --val-split of the training photos",
    )
    .option("--patch <px>", "patch side for --images", intFlag(8, 1024), P.patch)
    .option(
      "--patches-per-image <n>",
      "random patches drawn from each photo per epoch (--images)",
      intFlag(1, 100000),
      P.patchesPerImage,
    )
    .option(
      "--val-split <fraction>",
      "share of the photos held out for validation PSNR each epoch (--images; at least one when there are two or more)",
      fraction,
      P.valSplit,
    )
    .option(
      "--camera-share <fraction>",
      "--noise camera: share of the colour patches given camera noise (the rest: gaussian)",
      fraction,
      P.cameraShare,
    )
    .option(
      "--gray-share <fraction>",
      "colour models (--images): share of the patches made gray, so gray photos are learnt too",
      fraction,
      P.grayShare,
    )
    .option(
      "--epochs <n>",
      "passes over the training images (with --resume: the new total)",
      intFlag(1, 100000),
      D.epochs,
    )
    .option("--batch <n>", "images per Adam step", intFlag(1, 4096), D.batch)
    .option("--lr <x>", "Adam learning rate", posFloat, D.lr)
    .option("--seed <n>", "seed for init, shuffling and noise", intFlag(0, 2 ** 53 - 1), D.seed)
    .option("--no-shuffle", "keep the data set's order")
    .option("--init <weights>", "start from these weights (.safetensors; resumes Adam state when saved)")
    .option(
      "--arch <name>",
      `architecture: ${Object.keys(ARCHS).join(" | ")} (with --images: ${P.arch})`,
      archFlag,
      D.arch,
    )
    .option("--limit <n>", "use only the first N training images", intFlag(1))
    .option("--out <path>", "where to write", outDefault)
    .option(
      "--checkpoint <path>",
      "checkpoint file, written at every epoch end and on SIGINT/SIGTERM (default: <out>.ckpt.safetensors, removed once the run succeeds; other paths are kept)",
    )
    .option(
      "--resume <ckpt>",
      "continue an interrupted run from its checkpoint, bit-identically (options come from the checkpoint)",
    )
    .option(
      "--loss <kind>",
      `training loss: ${LOSS_KINDS.join(" | ")} (MSE + λ·L1, λ = --l1-weight)`,
      (v: string) => {
        if (!LOSS_KINDS.includes(v as LossKind)) throw new InvalidArgumentError(`expected ${LOSS_KINDS.join(", ")}`);
        return v;
      },
      D.loss,
    )
    .option("--l1-weight <x>", "λ of the mse+l1 loss", posFloat, D.l1Weight)
    .option(
      "--schedule <kind>",
      "learning rate: constant, or cosine (linear warm-up, then cosine decay to --min-lr)",
      (v: string) => {
        if (v !== "constant" && v !== "cosine") throw new InvalidArgumentError("expected constant or cosine");
        return v;
      },
      D.schedule,
    )
    .option("--warmup <steps>", "warm-up steps of the cosine schedule", intFlag(0), D.warmup)
    .option("--min-lr <x>", "learning rate at the end of the cosine schedule", nonNegFloat, D.minLr)
    .addOption(threadsOption())
    .option("--no-adam-state", "save weights only, without Adam's m, v and step (smaller; cannot resume exactly)")
    .option("--quiet", "no progress output")
    .addOption(buildOption());
}

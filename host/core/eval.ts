// Evaluation with the reference protocol: for each noise type one fixed noisy copy of the test
// images (engine RNG seeded with EVAL_SEED + k, k the type's index in EVAL_NOISES; other kinds
// EVAL_SEED + 100 + their index in NOISE_KINDS, so each kind has a seed of its own), then PSNR /
// SSIM (host/core/metrics.ts) of the noisy input, a 3×3 median filter and the model, each clipped to [0, 1] for measuring.
// Models and the median filter see the unclipped noisy input, as in the reference.
import type { Arch } from "./arch.js";
import { UserError } from "./errors.js";
import type { ImageSet } from "./idx.js";
import { median3, psnr, ssim, SsimScratch } from "./metrics.js";
import type { Model } from "./model.js";
import { applyNoise, EVAL_NOISES, NOISE_KINDS, type NoiseKind, type NoiseLevels } from "./noise.js";
import { to8 } from "./image.js";
import { SILENT, type ProgressFactory, type ProgressSink } from "./progress.js";

export const EVAL_SEED = 20240601;
export const METHODS = ["noisy", "median3", "model"] as const;
export type Method = (typeof METHODS)[number];

export interface Score {
  psnr: number;
  ssim: number;
}

export type EvalTable = Record<string, Record<Method, Score>>;

/** One noise type's fixed test copy: clean and noisy f32 images, count × H × W. */
export interface NoisySet {
  noise: NoiseKind;
  /** The table's column and the grid's file name part: the noise, or "<noise>-8bit" for its file-held copy. */
  label: string;
  count: number;
  H: number;
  W: number;
  clean: Float32Array;
  noisy: Float32Array;
}

/** Checks that a data set's images have the input size of a model (or of an architecture, before a model is built for it). */
export function checkImageSize(
  model: Model | { arch: Arch },
  images: Pick<ImageSet, "rows" | "cols" | "source">,
): void {
  const [C, H, W] = model.arch.input;
  if (C !== 1 || images.rows !== H || images.cols !== W) {
    throw new UserError(
      `${images.source}: images are ${images.rows}×${images.cols}, architecture ${model.arch.name} takes ${C > 1 ? `${C} channels of ` : ""}${H}×${W}`,
    );
  }
}

/**
 * The first `count` images with noise drawn from seed `seed` (the model's input/target buffers are
 * the staging area). The engine RNG's state is restored afterwards, so a training run's random
 * stream is the same with or without evaluation in between.
 */
export function makeNoisySet(
  model: Model,
  images: ImageSet,
  noise: NoiseKind,
  count: number,
  seed: number,
  levels: Partial<NoiseLevels> = {},
): NoisySet {
  checkImageSize(model, images);
  const P = images.rows * images.cols,
    e = model.engine.exports;
  const clean = new Float32Array(count * P),
    noisy = new Float32Array(count * P);
  for (let i = 0; i < count * P; i++) clean[i] = images.pixels[i] / 255;
  const saved = model.rngState();
  e.rngSeed(seed >>> 0, 0x4556414c); // "EVAL": a stream of its own
  for (let s = 0; s < count; s += model.maxBatch) {
    const B = Math.min(model.maxBatch, count - s);
    model.targetView(B).set(clean.subarray(s * P, (s + B) * P));
    applyNoise(e, noise, model.input, model.target, B, P, levels);
    noisy.set(model.inputView(B), s * P);
  }
  model.setRngState(saved);
  return { noise, label: noise, count, H: images.rows, W: images.cols, clean, noisy };
}

/** Runs the model over `count` images (batches of its maxBatch); returns the outputs, unclipped. */
export function runModel(model: Model, input: Float32Array, count: number, progress?: ProgressSink): Float32Array {
  const P = model.inputNumel,
    out = new Float32Array(count * P);
  for (let s = 0; s < count; s += model.maxBatch) {
    const B = Math.min(model.maxBatch, count - s);
    model.inputView(B).set(input.subarray(s * P, (s + B) * P));
    model.forward(B);
    out.set(model.outputView(B), s * P);
    progress?.update(s + B);
  }
  return out;
}

/** Mean PSNR and SSIM of `out` against `clean` over count images of H × W. */
export function score(out: Float32Array, clean: Float32Array, count: number, H: number, W: number): Score {
  const P = H * W,
    scratch = new SsimScratch();
  let p = 0,
    s = 0;
  for (let i = 0; i < count; i++) {
    p += psnr(out, clean, P, i * P, i * P);
    s += ssim(out, clean, H, W, i * P, i * P, scratch);
  }
  return { psnr: p / count, ssim: s / count };
}

export function medianSet(noisy: Float32Array, count: number, H: number, W: number): Float32Array {
  const out = new Float32Array(count * H * W);
  for (let i = 0; i < count; i++) median3(out, noisy, H, W, i * H * W, i * H * W);
  return out;
}

export interface EvalRun {
  table: EvalTable;
  sets: NoisySet[];
  /** Model outputs per noise type (same order as sets). */
  outputs: Float32Array[];
  seconds: number;
}

/**
 * The full table for the given noise types on the first `count` test images: the seed's protocol
 * (unclipped noisy values, as the notebook), and unless eightBit is false a column
 * ("<noise>-8bit") for every kind whose noisy values an image file cannot hold (the same noise, clipped to [0, 1]
 * and rounded to 8 bits, as `noise` writes it and `denoise` reads it).
 */
export function evaluate(
  model: Model,
  images: ImageSet,
  opts: {
    count?: number;
    noises?: readonly NoiseKind[];
    levels?: Partial<NoiseLevels>;
    progress?: ProgressFactory;
    eightBit?: boolean;
  } = {},
): EvalRun {
  const count = Math.min(opts.count ?? images.count, images.count);
  const noises = opts.noises ?? EVAL_NOISES;
  const t0 = performance.now();
  const table: EvalTable = {},
    sets: NoisySet[] = [],
    outputs: Float32Array[] = [];
  noises.forEach((noise) => {
    const k = EVAL_NOISES.indexOf(noise as (typeof EVAL_NOISES)[number]);
    const set = makeNoisySet(
      model,
      images,
      noise,
      count,
      EVAL_SEED + (k >= 0 ? k : 100 + NOISE_KINDS.indexOf(noise)),
      opts.levels,
    );
    const bar = (opts.progress ?? SILENT)(`eval ${noise}`, count);
    const out = runModel(model, set.noisy, count, bar);
    table[noise] = {
      noisy: score(set.noisy, set.clean, count, set.H, set.W),
      median3: score(medianSet(set.noisy, count, set.H, set.W), set.clean, count, set.H, set.W),
      model: score(out, set.clean, count, set.H, set.W),
    };
    bar.done(
      `eval ${noise}: model ${table[noise].model.psnr.toFixed(2)} dB / ${table[noise].model.ssim.toFixed(4)} on ${count} images`,
    );
    sets.push(set);
    outputs.push(out);
    if (opts.eightBit === false || noise === "salt-pepper" || noise === "none") return;
    // The same noisy images as a file holds them (clipped, 8-bit: what `noise` writes and `denoise` reads).
    const name = `${noise}-8bit`,
      noisy8 = set.noisy.map(to8);
    const bar8 = (opts.progress ?? SILENT)(`eval ${name}`, count),
      out8 = runModel(model, noisy8, count, bar8);
    table[name] = {
      noisy: score(noisy8, set.clean, count, set.H, set.W),
      median3: score(medianSet(noisy8, count, set.H, set.W), set.clean, count, set.H, set.W),
      model: score(out8, set.clean, count, set.H, set.W),
    };
    bar8.done(
      `eval ${name}: model ${table[name].model.psnr.toFixed(2)} dB / ${table[name].model.ssim.toFixed(4)} on ${count} images`,
    );
    sets.push({ ...set, label: name, noisy: noisy8 });
    outputs.push(out8);
  });
  return { table, sets, outputs, seconds: (performance.now() - t0) / 1000 };
}

/** The table as text: rows = method, columns = noise, "PSNR dB / SSIM". */
export function formatTable(table: EvalTable): string {
  const noises = Object.keys(table);
  const rows = [["method", ...noises.map((n) => `${n} PSNR / SSIM`)]];
  for (const m of METHODS)
    rows.push([m, ...noises.map((n) => `${table[n][m].psnr.toFixed(2)} dB / ${table[n][m].ssim.toFixed(4)}`)]);
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((x, c) => x.padEnd(w[c])).join("  ")).join("\n");
}

/**
 * Validation of digit training: mean PSNR of the model over the first `count` images with each of
 * EVAL_NOISES (fixed noise, as `evaluate`; the engine RNG's state is kept). The page's gate.
 */
export function validateDigits(model: Model, images: ImageSet, count: number): number {
  count = Math.min(count, images.count);
  let sum = 0;
  EVAL_NOISES.forEach((noise, k) => {
    const set = makeNoisySet(model, images, noise, count, EVAL_SEED + k);
    sum += score(runModel(model, set.noisy, count), set.clean, count, set.H, set.W).psnr;
  });
  return sum / EVAL_NOISES.length;
}

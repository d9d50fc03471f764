// The library's API, the part Node and the browser share: denoise an image or a Float32Array of
// any size (tiled, colour kept) and train a model on arrays or on a set of photos, on an engine
// and weights the entry points load (host/browser.ts fetches them, host/node/index.ts reads files).
// Browser-safe: compiled without Node's types (tsconfig.browser.json).
import { getArch, imageShape, type Arch } from "./core/arch.js";
import { DEFAULT_MAX_MEMORY_MIB, denoisePlanar, fitsSize, gaussianModel } from "./core/denoise.js";
import type { BuildName, Engine } from "./core/engine.js";
import { luma, planesFromRgba, rgba8, type ColourMethod, type GrayImage, type PlanarImage } from "./core/image.js";
import type { NoiseKind, NoiseLevels } from "./core/noise.js";
import { PatchBatches, type PhotoSource } from "./core/patches.js";
import type { ThreadPool } from "./core/pool.js";
import { decodeSafetensors, type SafeTensors } from "./core/safetensors.js";
import { buildTraining, recipe, type Recipe } from "./core/recipe.js";
import type { TrainingImages } from "./core/idx.js";
import { newRun, nextTask, trainUntil, type EpochRecord } from "./core/train.js";
import {
  archOf,
  encodeWeights,
  firstNonFiniteIndex,
  isShipped,
  applyWeights,
  SHIPPED_MODELS,
  type ShippedModel,
} from "./core/weights.js";

export type {
  Arch,
  BuildName,
  ColourMethod,
  EpochRecord,
  GrayImage,
  NoiseKind,
  NoiseLevels,
  PhotoSource,
  PlanarImage,
  ShippedModel,
};
export { isShipped, SHIPPED_MODELS };

/** How to load the engine. */
export interface EngineOptions {
  /** The wasm build: "auto" (default) takes the fastest this runtime validates, relaxed SIMD → SIMD → scalar. */
  build?: BuildName | "auto";
  /**
   * Threads: in Node one per core by default (one with the scalar build); in a browser 1 by
   * default. More than one runs the threads build on a shared memory with worker threads; in a
   * browser that needs a cross-origin isolated page (COOP/COEP headers), else it falls back to one.
   * Results are deterministic for a given count.
   */
  threads?: number;
}

/** A loaded engine: one wasm build, and its worker threads. */
export interface Runtime {
  /** The build that runs. */
  readonly build: BuildName;
  /** Why that build (e.g. "best build, validates here"). */
  readonly reason: string;
  /** Threads in use (1: no worker threads). */
  readonly threads: number;
  /** Stops the worker threads. The runtime is unusable afterwards. */
  close(): void;
  /** The engine itself (advanced use: host/core's Model, Trainer). */
  readonly engine: Engine;
  /** The worker threads' pool, when threads > 1. */
  readonly pool?: ThreadPool;
}

/** The thread count asked for, as a whole number ≥ 1 (1 when none is). */
export function threadCount(threads?: number): number {
  return Math.max(1, Math.floor(threads ?? 1));
}

/** A Runtime over an instantiated engine and its pool (what the entry points' loadEngine returns). */
export function runtimeOf(engine: Engine, pool?: ThreadPool): Runtime {
  return {
    build: engine.build,
    reason: engine.reason,
    threads: pool?.size ?? 1,
    engine,
    pool,
    close: () => pool?.close(),
  };
}

/** A model's weights, decoded and checked: its architecture, metadata and tensors. */
export interface Weights {
  /** Where they came from (a file name, a URL, "photo"), for messages. */
  readonly name: string;
  readonly arch: Arch;
  /** The safetensors metadata (strings), e.g. `noise`, `arch`, `producer`. */
  readonly metadata: Record<string, string>;
  /** The decoded tensors (advanced use). */
  readonly tensors: SafeTensors;
}

/** Decodes .safetensors bytes (as `denoise-wasm train` or {@link train} writes them) into Weights. */
export function weightsFromBytes(bytes: Uint8Array | ArrayBuffer, name = "weights"): Weights {
  const tensors = decodeSafetensors(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes), name);
  return { name, arch: archOf(tensors, name, "seed"), metadata: tensors.metadata, tensors };
}

/** Options of {@link denoise}. */
export interface DenoiseOptions {
  /** A colour image through the gray model: luma and chroma planes ("luma-chroma", default) or R, G and B ("rgb"). */
  colour?: ColourMethod;
  /**
   * Limit each pixel's change to 2–3× the noise σ estimated from the image: a blind model's guard
   * against smoothing texture away at low noise. Default: on for models of gaussian noise only (not the shipped photo model, trained on camera noise too).
   */
  clamp?: boolean;
  /** Self-ensemble: average the outputs for the image's eight flips / 90° rotations (8× the time, a little more quality). */
  ensemble?: boolean;
  /**
   * Models that take a noise level (the photo model): the image's noise σ on the 0–255 scale.
   * Default: measured from the image (host/core/noise-level.ts), at least 6 (host/core/denoise.ts LEVEL_FLOOR).
   */
  sigma?: number;
  /** Models that take a noise level: multiply the measured level by this (default 1; above 1 denoises harder). Ignored with `sigma`. */
  strength?: number;
  /** Largest tile side in pixels, or "auto" (default): the whole image when it fits maxMemory, else the cheapest grid of tiles that fit (squares, or strips: autoTileSize). */
  tile?: number | "auto";
  /** Most wasm memory the engine may hold in all, in MiB (default 512). */
  maxMemory?: number;
  /** Progress: tiles done of total, in plane `plane` of `planes` (1 for gray, 3 for colour). */
  onProgress?: (done: number, total: number, plane: number, planes: number) => void;
}

/**
 * Denoises an image of any size: a gray one (`{ width, height, data }`, a Float32Array of
 * width·height samples in [0, 1], row-major) or planes (`{ width, height, planes, alpha? }`, one
 * or three Float32Arrays; {@link fromRGBA} makes them from a canvas's ImageData). Runs in tiles
 * within `maxMemory`, the same output as one pass over the whole image (within 5e-5: the 3×3 fast
 * paths pick their form by layer size). Returns the same kind of image; alpha is kept as it is.
 */
export function denoise<T extends GrayImage | PlanarImage>(
  rt: Runtime,
  weights: Weights,
  image: T,
  opts: DenoiseOptions = {},
): T {
  const gray = "data" in image;
  const { width, height } = image;
  const planes = gray ? [(image as GrayImage).data] : (image as PlanarImage).planes;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0))
    throw new Error(`image size ${width}×${height} is not a positive whole number of pixels`);
  if (planes.length !== 1 && planes.length !== 3)
    throw new Error(`an image has 1 (gray) or 3 (RGB) planes, not ${planes.length}`);
  planes.forEach((p, c) => {
    if (!(p instanceof Float32Array) || p.length !== width * height)
      throw new Error(`each plane must be a Float32Array of ${width}×${height} = ${width * height} samples`);
    nonFinite(p, width, planes.length === 1 ? "" : ` of plane ${c}`);
  });
  const C = imageShape(weights.arch)[0];
  if (C !== 1 && C !== 3)
    throw new Error(`${weights.name}: architecture ${weights.arch.name} denoises ${C}-channel images`);
  if (opts.sigma !== undefined && !(opts.sigma >= 0 && opts.sigma <= 255))
    throw new Error(`sigma ${opts.sigma}: expected a σ from 0 to 255`);
  if (opts.strength !== undefined && !(opts.strength >= 0 && opts.strength <= 10))
    throw new Error(`strength ${opts.strength}: expected a factor from 0 to 10`);
  let plane = 0,
    of = 1;
  const out = denoisePlanar(weights.arch, gray ? { width, height, planes } : (image as PlanarImage), {
    engine: rt.engine,
    pool: rt.pool,
    load: (m) => applyWeights(m, weights.tensors, weights.name),
    tile: opts.tile ?? "auto",
    maxBytes: (opts.maxMemory ?? DEFAULT_MAX_MEMORY_MIB) * 2 ** 20,
    colour: opts.colour,
    clamp: opts.clamp ?? gaussianModel(weights.metadata),
    ensemble: opts.ensemble,
    sigma: opts.sigma === undefined ? undefined : opts.sigma / 255,
    strength: opts.strength,
    plane: (c, n) => {
      plane = c;
      of = n;
    },
    progress: opts.onProgress && ((done, total) => opts.onProgress!(done, total, plane, of)),
  });
  return (gray ? { width, height, data: out.planes[0] } : out) as T;
}

/** Refuses a NaN or ±Infinity sample (it would spread through every tile it touches), naming where it is. */
function nonFinite(data: Float32Array, width: number, what: string, height = 0): void {
  const i = firstNonFiniteIndex(data);
  if (i < 0) return;
  const x = i % width,
    y = Math.floor(i / width);
  const where = height ? `image ${Math.floor(y / height)}, x ${x}, y ${y % height}` : `x ${x}, y ${y}`;
  throw new Error(`sample${what} at ${where} is ${data[i]}: samples must be finite (in [0, 1])`);
}

/** RGBA bytes (a canvas's ImageData, 4 per pixel) as planes for {@link denoise}: one plane when every pixel is gray, three otherwise, alpha when any pixel is not opaque. */
export function fromRGBA(image: { width: number; height: number; data: ArrayLike<number> }): PlanarImage {
  return planesFromRgba(image.data, image.width, image.height);
}

/** Planes (or a gray image) as 8-bit RGBA, e.g. `new ImageData(toRGBA(out).data, w, h)`. */
export function toRGBA(image: GrayImage | PlanarImage): {
  width: number;
  height: number;
  data: Uint8ClampedArray<ArrayBuffer>;
} {
  const planar = "data" in image ? { width: image.width, height: image.height, planes: [image.data] } : image;
  return { width: image.width, height: image.height, data: rgba8(planar) as Uint8ClampedArray<ArrayBuffer> };
}

/** Training data as arrays: `count` gray images of width × height, [0, 1] samples, one after another. */
export interface ImageArrays {
  width: number;
  height: number;
  count: number;
  data: Float32Array;
}

/**
 * Options of {@link train}: the training recipe's choices (host/core/recipe.ts, the same defaults
 * as the CLI's `train`: for arrays the digits' recipe, for photos the photos'), and callbacks.
 */
export interface TrainOptions extends Partial<Omit<Recipe, "arch" | "valSplit">> {
  /**
   * A named architecture ("seed", "unet16", "unet24", "unet32") or a description. Default: the
   * recipe's, "seed" for arrays (28×28 only: give "unet16" for other sizes) and "cunet32" for photos.
   */
  arch?: string | Arch;
  /** Start from these weights (and their Adam state, when saved) instead of a fresh model; their architecture is used. */
  from?: Weights;
  /** Called after every batch. */
  onProgress?: (p: TrainProgress) => void;
  /** Called after every epoch with its mean loss and speed. */
  onEpoch?: (e: EpochRecord) => void;
  /** Stops training at the next batch boundary; {@link train} then returns what it has (`stopped: true`). */
  signal?: AbortSignal;
}

/** Where a training run is, after a batch. */
export interface TrainProgress {
  /** 1-based epoch under way, of `epochs`. */
  epoch: number;
  epochs: number;
  /** Batches done, of `steps` in the whole run. */
  step: number;
  steps: number;
  /** This batch's loss. */
  loss: number;
}

/** What {@link train} returns. */
export interface TrainResult {
  /** The trained weights, ready for {@link denoise}. */
  weights: Weights;
  /** The same as .safetensors bytes (what `denoise-wasm --model FILE` and {@link weightsFromBytes} read). */
  bytes: Uint8Array;
  epochs: EpochRecord[];
  /** Every batch's loss, in order. */
  losses: number[];
  /** Whether `signal` stopped it before the last epoch ended. */
  stopped: boolean;
}

/**
 * Trains a denoiser: on arrays of same-size images ({@link ImageArrays}), or on photos of any sizes
 * (an array of images, or a {@link PhotoSource} that reads them on demand) in random patches under
 * the eight flips and rotations. Noise is sampled in the engine from `seed`, so a run is
 * reproducible. Yields to the event loop every few milliseconds; in a page, run it in a Worker.
 */
export async function train(
  rt: Runtime,
  data: ImageArrays | readonly (GrayImage | PlanarImage)[] | PhotoSource,
  opts: TrainOptions = {},
): Promise<TrainResult> {
  const arrays = !Array.isArray(data) && "data" in data;
  const { arch: archOpt, from, onProgress, onEpoch, signal, ...choices } = opts;
  const r = recipe(arrays ? "images" : "photos", {
    ...choices,
    ...(typeof archOpt === "string" ? { arch: archOpt } : {}),
  });
  const base = from?.arch ?? (typeof archOpt === "object" ? archOpt : getArch(r.arch));
  let images: TrainingImages | PatchBatches,
    arch = base;
  if (arrays) {
    const a = data as ImageArrays;
    if (!(a.data instanceof Float32Array) || a.data.length !== a.count * a.width * a.height || !(a.count > 0)) {
      throw new Error(
        `data must hold count × width × height = ${a.count}×${a.width}×${a.height} samples in a Float32Array`,
      );
    }
    nonFinite(a.data, a.width, " of data", a.height);
    if (!fitsSize(base, a.height, a.width))
      throw new Error(
        `architecture ${base.name} does not map ${a.width}×${a.height} images onto themselves (give arch: "unet16", a U-Net, for any multiple of 4)`,
      );
    arch = { ...base, input: [base.input[0], a.height, a.width] };
    images = { count: a.count, rows: a.height, cols: a.width, pixels: a.data, source: "training arrays" };
  } else {
    const photos = Array.isArray(data) ? photosFrom(data, imageShape(base)[0]) : (data as PhotoSource);
    images = new PatchBatches(
      photos,
      Array.from({ length: photos.count }, (_, i) => i),
      r.patch,
      r.patchesPerImage,
      r.seed,
      r.grayShare,
    );
  }
  const start = from && { tensors: from.tensors, name: from.name, arch };
  const { model, trainer } = buildTraining(rt, r, images, {
    from: start,
    arch,
    what: `training with a batch of ${r.batch}`,
  });
  try {
    const run = newRun(),
      steps = r.epochs * trainer.batchesPerEpoch;
    const done = await trainUntil(trainer, r.epochs, run, {
      onEpoch,
      onStep:
        onProgress &&
        ((loss) =>
          onProgress({
            epoch: Math.ceil(trainer.stepsDone / trainer.batchesPerEpoch) || 1,
            epochs: r.epochs,
            step: trainer.stepsDone,
            steps,
            loss,
          })),
      pause: nextTask,
      shouldStop: () => !!signal?.aborted,
    });
    const bytes = encodeWeights(
      model,
      { producer: "denoise-wasm library", noise: r.noise, epochs: trainer.epoch, seed: r.seed },
      false,
    );
    return {
      weights: weightsFromBytes(bytes, "trained weights"),
      bytes,
      epochs: run.epochs,
      losses: run.batchLosses,
      stopped: !done,
    };
  } finally {
    model.dispose();
  }
}

/** Images in memory as a PhotoSource of `channels` planes (1: colour as luma; 3: gray as three equal planes). */
function photosFrom(images: readonly (GrayImage | PlanarImage)[], channels: number): PhotoSource {
  const gray = images.map((img) => {
    const planes = "data" in img ? [img.data] : img.planes;
    if (channels === 1) return planes.length === 1 ? planes[0] : luma(img as PlanarImage);
    const n = img.width * img.height,
      out = new Float32Array(3 * n);
    for (let c = 0; c < 3; c++) out.set(planes[planes.length === 3 ? c : 0], c * n);
    return out;
  });
  return {
    count: images.length,
    channels,
    name: (i) => `image ${i}`,
    size: (i) => ({ width: images[i].width, height: images[i].height }),
    pixels: (i) => gray[i],
    budget: Infinity,
  };
}

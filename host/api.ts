// The library's API, the part Node and the browser share: denoise an image or a Float32Array of
// any size (tiled, colour kept) and train a model on arrays or on a set of photos, on an engine
// and weights the entry points load (host/browser.ts fetches them, host/node/index.ts reads files).
// Browser-safe: compiled without Node's types (tsconfig.browser.json).
import { DEFAULT_PHOTO_ARCH, getArch, type Arch } from "./core/arch.js";
import { DEFAULT_MAX_MEMORY_MIB, denoisePlanar, fitsSize, gaussianModel } from "./core/denoise.js";
import type { BuildName, Engine } from "./core/engine.js";
import { luma, planesFromRgba, rgba8, type ColourMethod, type GrayImage, type PlanarImage } from "./core/image.js";
import { Model } from "./core/model.js";
import { DEFAULT_PHOTO_SIGMA, levelsFor, photoLevels, type NoiseKind, type NoiseLevels } from "./core/noise.js";
import { PatchBatches, type PhotoSource } from "./core/patches.js";
import type { ThreadPool } from "./core/pool.js";
import { decodeSafetensors, type SafeTensors } from "./core/safetensors.js";
import { newRun, nextTask, Trainer, trainUntil, type EpochRecord } from "./core/train.js";
import { archOf, encodeWeights, isShipped, loadWeights as loadInto, SHIPPED_MODELS, type ShippedModel } from "./core/weights.js";

export type { Arch, BuildName, ColourMethod, EpochRecord, GrayImage, NoiseKind, NoiseLevels, PhotoSource, PlanarImage, ShippedModel };
export { isShipped, SHIPPED_MODELS };

/** How to load the engine. */
export interface EngineOptions {
  /** The wasm build: "auto" (default) takes the fastest this runtime validates, relaxed SIMD → SIMD → scalar. */
  build?: BuildName | "auto";
  /**
   * Threads (default 1). More than one runs the threads build on a shared memory with worker
   * threads; in a browser that needs a cross-origin isolated page (COOP/COEP headers), else it
   * falls back to one. Results are deterministic for a given count.
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

/** A Runtime over an instantiated engine and its pool (what the entry points' loadEngine returns). */
export function runtimeOf(engine: Engine, pool?: ThreadPool): Runtime {
  return { build: engine.build, reason: engine.reason, threads: pool?.size ?? 1, engine, pool, close: () => pool?.close() };
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
   * against smoothing texture away at low noise. Default: on for gaussian-noise models (the photo model).
   */
  clamp?: boolean;
  /** Self-ensemble: average the outputs for the image's eight flips / 90° rotations (8× the time, a little more quality). */
  ensemble?: boolean;
  /** Largest tile side in pixels, or "auto" (default): the whole image when it fits maxMemory, else the largest tile that does. */
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
 * within `maxMemory`, the same output as one pass over the whole image. Returns the same kind of
 * image; alpha is kept as it is.
 */
export function denoise<T extends GrayImage | PlanarImage>(rt: Runtime, weights: Weights, image: T, opts: DenoiseOptions = {}): T {
  const gray = "data" in image;
  const { width, height } = image;
  const planes = gray ? [(image as GrayImage).data] : (image as PlanarImage).planes;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) throw new Error(`image size ${width}×${height} is not a positive whole number of pixels`);
  if (planes.length !== 1 && planes.length !== 3) throw new Error(`an image has 1 (gray) or 3 (RGB) planes, not ${planes.length}`);
  for (const p of planes) if (!(p instanceof Float32Array) || p.length !== width * height) throw new Error(`each plane must be a Float32Array of ${width}×${height} = ${width * height} samples`);
  if (weights.arch.input[0] !== 1) throw new Error(`${weights.name}: architecture ${weights.arch.name} takes ${weights.arch.input[0]} channels; denoise runs gray models`);
  let plane = 0, of = 1;
  const out = denoisePlanar(weights.arch, gray ? { width, height, planes } : (image as PlanarImage), {
    engine: rt.engine, pool: rt.pool, load: (m) => loadInto(m, weights.tensors, weights.name),
    tile: opts.tile ?? "auto", maxBytes: (opts.maxMemory ?? DEFAULT_MAX_MEMORY_MIB) * 2 ** 20,
    colour: opts.colour, clamp: opts.clamp ?? gaussianModel(weights.metadata), ensemble: opts.ensemble,
    plane: (c, n) => { plane = c; of = n; },
    progress: opts.onProgress && ((done, total) => opts.onProgress!(done, total, plane, of)),
  });
  return (gray ? { width, height, data: out.planes[0] } : out) as T;
}

/** RGBA bytes (a canvas's ImageData, 4 per pixel) as planes for {@link denoise}: one plane when every pixel is gray, three otherwise, alpha when any pixel is not opaque. */
export function fromRGBA(image: { width: number; height: number; data: ArrayLike<number> }): PlanarImage {
  return planesFromRgba(image.data, image.width, image.height);
}

/** Planes (or a gray image) as 8-bit RGBA, e.g. `new ImageData(toRGBA(out).data, w, h)`. */
export function toRGBA(image: GrayImage | PlanarImage): { width: number; height: number; data: Uint8ClampedArray<ArrayBuffer> } {
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

/** Options of {@link train}. */
export interface TrainOptions {
  /** A named architecture ("seed", "unet16", "unet24", "unet32") or a description. Default: unet16 for arrays, unet32 for photos. */
  arch?: string | Arch;
  /** Start from these weights (and their Adam state, when saved) instead of a fresh model; their architecture is used. */
  from?: Weights;
  /** The noise the model learns to remove (default: gaussian for photos, mixed for arrays, as the CLI). */
  noise?: NoiseKind;
  /** The noise's main parameter on the [0, 1] scale (σ, salt-and-pepper share, poisson peak); defaults as the CLI's `--level`. */
  level?: number;
  /** Gaussian σ on the 0–255 scale, fixed ("25") or per image uniform in a range ("0-55", blind). Default for photos "0-55". */
  sigma?: string;
  /** Clip noisy inputs to [0, 1] and round them to 8 bits, as an image file holds them (default: true for photos, false for arrays). */
  clip?: boolean;
  /** Passes over the data (default 1). */
  epochs?: number;
  /** Images per Adam step (default 32). */
  batch?: number;
  /** Adam's learning rate (default 1e-3). */
  lr?: number;
  /** Seed of the initial weights, the order, the patches and the noise (default 1): a seed fixes the run. */
  seed?: number;
  /** Photos: the side of the random square patches trained on (default 48). */
  patch?: number;
  /** Photos: patches drawn from each photo per epoch (default 64). */
  patchesPerImage?: number;
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
export async function train(rt: Runtime, data: ImageArrays | readonly (GrayImage | PlanarImage)[] | PhotoSource, opts: TrainOptions = {}): Promise<TrainResult> {
  const arrays = !Array.isArray(data) && "data" in data;
  const photos = arrays ? undefined : Array.isArray(data) ? photosFrom(data) : (data as PhotoSource);
  const batch = opts.batch ?? 32, seed = opts.seed ?? 1, epochs = opts.epochs ?? 1, P = opts.patch ?? 48;
  const base = opts.from?.arch ?? (typeof opts.arch === "object" ? opts.arch : getArch(opts.arch ?? (arrays ? "unet16" : DEFAULT_PHOTO_ARCH)));
  let images: ConstructorParameters<typeof Trainer>[1];
  let arch: Arch;
  if (arrays) {
    const a = data as ImageArrays;
    if (!(a.data instanceof Float32Array) || a.data.length !== a.count * a.width * a.height || !(a.count > 0)) {
      throw new Error(`data must hold count × width × height = ${a.count}×${a.width}×${a.height} samples in a Float32Array`);
    }
    arch = { ...base, input: [1, a.height, a.width] };
    if (!fitsSize(base, a.height, a.width)) throw new Error(`architecture ${base.name} does not map ${a.width}×${a.height} images onto themselves (a U-Net needs multiples of 4)`);
    images = { count: a.count, rows: a.height, cols: a.width, pixels: a.data, source: "training arrays" };
  } else {
    const all = Array.from({ length: photos!.count }, (_, i) => i);
    images = new PatchBatches(photos!, all, P, opts.patchesPerImage ?? 64, seed);
    arch = { ...base, input: [1, P, P] };
  }
  if (base.input[0] !== 1) throw new Error(`architecture ${base.name} takes ${base.input[0]} channels; training feeds gray images`);
  const model = new Model(rt.engine, arch, batch, rt.pool, { what: `training with a batch of ${batch}` });
  try {
    if (opts.from) loadInto(model, opts.from.tensors, opts.from.name, true);
    else model.init(seed);
    model.adam.lr = opts.lr ?? model.adam.lr;
    const noise = opts.noise ?? (arrays ? "mixed" : "gaussian");
    const sigma = opts.sigma ?? (arrays ? undefined : DEFAULT_PHOTO_SIGMA);
    const levels: Partial<NoiseLevels> = { ...levelsFor(noise, opts.level), ...photoLevels(sigma, opts.clip ?? !arrays) };
    const trainer = new Trainer(model, images, { noise, levels, batch, seed, shuffle: true });
    const run = newRun(), steps = epochs * trainer.batchesPerEpoch;
    const done = await trainUntil(trainer, epochs, run, {
      onEpoch: opts.onEpoch,
      onStep: opts.onProgress && ((loss) => opts.onProgress!({ epoch: Math.ceil(trainer.stepsDone / trainer.batchesPerEpoch) || 1, epochs, step: trainer.stepsDone, steps, loss })),
      pause: nextTask,
      shouldStop: () => !!opts.signal?.aborted,
    });
    const bytes = encodeWeights(model, { producer: "denoise-wasm library", noise, epochs: trainer.epoch, seed }, false);
    return { weights: weightsFromBytes(bytes, "trained weights"), bytes, epochs: run.epochs, losses: run.batchLosses, stopped: !done };
  } finally {
    model.dispose();
  }
}

/** Images in memory as a PhotoSource (colour as luma). */
function photosFrom(images: readonly (GrayImage | PlanarImage)[]): PhotoSource {
  const gray = images.map((img) => ("data" in img ? img.data : luma(img)));
  return {
    count: images.length,
    name: (i) => `image ${i}`,
    size: (i) => ({ width: images[i].width, height: images[i].height }),
    pixels: (i) => gray[i],
    budget: Infinity,
  };
}

// The library in Node (the package's "node" export): the shared API (host/api.ts) plus the
// engine from the package's build/ with worker threads, weights from files or the shipped models,
// PNG / JPEG files as images, and a folder of photos as training data.
import { join } from "node:path";
import {
  runtimeOf,
  threadCount,
  weightsFromBytes,
  type EngineOptions,
  type PhotoSource,
  type PlanarImage,
  type Runtime,
  type ShippedModel,
  type Weights,
} from "../api.js";
import { RECIPE_DEFAULTS } from "../core/recipe.js";
import { isShipped, SHIPPED_MODELS } from "../core/weights.js";
import { DEFAULT_THREADS, nodePool, openNodeEngine, requestedBuild } from "./engine.js";
import { PACKAGE_ROOT, readFileChecked } from "./files.js";
import { readImagePlanes, writeImagePlanes } from "./images.js";
import { PhotoFolder } from "./photos.js";

export * from "../api.js";

/**
 * Loads the engine from the package's build/ folder (the build: opts.build, else $DENOISE_BUILD,
 * else the best that validates); threads > 1 start worker threads. Threads by default: one per core,
 * as the CLI has them (one with the scalar build, which has no threads build).
 */
export async function loadEngine(opts: EngineOptions = {}): Promise<Runtime> {
  const build = requestedBuild(opts.build);
  const threads = threadCount(opts.threads ?? (build === "scalar" ? 1 : DEFAULT_THREADS));
  const engine = await openNodeEngine({ build, threads: threads > 1 });
  return runtimeOf(engine, threads > 1 ? await nodePool(engine, threads) : undefined);
}

/**
 * Loads weights: a shipped model by name ("photo": gray and colour photos, gaussian noise of σ
 * 0–55; "digits": 28×28 MNIST digits, mixed noise), a .safetensors file path, or its bytes.
 */
export async function loadWeights(source: ShippedModel | string | Uint8Array | ArrayBuffer): Promise<Weights> {
  if (typeof source !== "string") return weightsFromBytes(source);
  const path = isShipped(source) ? join(PACKAGE_ROOT, SHIPPED_MODELS[source]) : source;
  return weightsFromBytes(readFileChecked(path), source);
}

/** Reads a PNG, JPEG, WebP, TIFF, AVIF or HEIC file as planes (one for gray, three for colour, alpha when present), samples in [0, 1]; depth 16 for 16-bit PNG and TIFF and for AVIF of more than 8 bits. */
export function readImage(path: string): PlanarImage {
  return readImagePlanes(path);
}

/** Writes planes in the format the path's extension names: JPEG (.jpg, .jpeg), WebP (lossless), TIFF (.tif, .tiff), AVIF; else PNG. 16 bits for depth 16 in PNG and TIFF (12 in AVIF). */
export function writeImage(path: string, image: PlanarImage): void {
  writeImagePlanes(path, image);
}

/**
 * The PNG and JPEG photos under a folder (recursive) as training data for train(), read on demand within
 * a bounded cache: as R, G, B (channels 3, the default photo model's; a gray photo's plane three times)
 * or as luma (channels 1, for a gray architecture).
 */
export function imageFolder(dir: string, opts: { patch?: number; channels?: 1 | 3 } = {}): PhotoSource {
  return new PhotoFolder(dir, opts.patch ?? RECIPE_DEFAULTS.photos.patch, undefined, opts.channels ?? 3);
}

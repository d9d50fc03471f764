// Messages between the page and its Workers (both directions), in one place: the training Worker
// (web/worker.ts) and the photo Worker (web/photo-worker.ts).
import type { BuildName } from "../host/core/engine.js";
import type { Score } from "../host/core/eval.js";
import type { ColourMethod } from "../host/core/image.js";
import type { NoiseKind } from "../host/core/noise.js";
import type { PngChannels } from "../host/core/png-encode.js";

/** What the training Worker trains on, and what it validates on. */
export type TrainData =
  /** MNIST digits (raw inflated IDX bytes); validation on the first test digits. */
  | { kind: "digits"; images: ArrayBuffer; val: ArrayBuffer }
  /** Photos (R, G, B planes one after another), some held out for validation; patches of `patch` px, `perImage` per photo per epoch, noise σ (0–255) as `train --sigma` (each absent: the recipe's default, host/core/recipe.ts). */
  | {
      kind: "photos";
      photos: { name: string; width: number; height: number; pixels: Float32Array }[];
      patch?: number;
      perImage?: number;
      sigma?: string;
    };

export interface TrainSetup {
  build: BuildName | "auto";
  /** Starting weights, .safetensors bytes (Adam state in them is resumed). */
  weights: ArrayBuffer;
  data: TrainData;
  noise: NoiseKind;
  batch: number;
  lr: number;
  seed: number;
  /** Threads for training (needs cross-origin isolation; 1 = just this Worker). */
  threads: number;
}

export type ToWorker = { type: "init"; setup: TrainSetup } | { type: "run"; steps: number } | { type: "stop" };

export type FromWorker =
  | { type: "ready"; build: string; reason: string; threads: number; validation: string }
  | { type: "progress"; step: number; epoch: number; loss: number; imagesPerSecond: number }
  /** Validation PSNR (dB) of the weights after `step` steps (step 0: the starting weights). */
  | { type: "validation"; step: number; psnr: number }
  /** Training paused (stop) or finished (done): the weights so far, with Adam state, their digest and validation PSNR. */
  | {
      type: "stopped" | "done";
      step: number;
      weights: Uint8Array;
      digest: string;
      losses: number[];
      valPsnr: number;
      baseline: number;
    }
  | { type: "error"; message: string };

/** One image for the photo Worker to denoise as `denoise` does. */
export interface DenoiseJob {
  id: number;
  build: BuildName | "auto";
  threads: number;
  /** .safetensors bytes, and a name for messages. */
  weights: ArrayBuffer;
  weightsName: string;
  width: number;
  height: number;
  /** The decoded file, 8-bit RGBA (transferred). */
  rgba: Uint8ClampedArray;
  colour: ColourMethod;
  /** The image's noise σ (0–255): the photo model's noise level (other models: the clamp's); undefined: estimated from the image. */
  sigma?: number;
  /** The estimated noise level × this (models with a noise-level map; default 1). */
  strength?: number;
  /** Self-ensemble: the mean over the image's eight flips / rotations (8× the time). */
  ensemble?: boolean;
  /** "Add noise to compare": gaussian noise of σ (0–255, 8-bit file, seeded) first, scores against the image. */
  compare?: { sigma: number; seed: number };
  /** Most wasm memory the engine may hold (bytes): tiles are sized to fit. */
  maxBytes: number;
}

export type ToPhotoWorker = { type: "denoise"; job: DenoiseJob };

export type FromPhotoWorker =
  | { type: "progress"; id: number; plane: number; planes: number; done: number; total: number }
  | {
      type: "result";
      id: number;
      rgba: Uint8ClampedArray;
      /** The result's kind, as a PNG of it has: 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. */
      channels: PngChannels;
      noisy?: Uint8ClampedArray;
      scores?: { noisy: Score; denoised: Score };
      /** σ (0–255) the clamp estimates for the image the model saw. */
      sigmaEstimate: number;
      seconds: number;
      build: string;
      threads: number;
      memoryBytes: number;
      /** The engine allocator's top after the job (every model of the job given back): the same after every image. */
      heapTop: number;
    }
  | { type: "error"; id: number; message: string };

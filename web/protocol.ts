// Messages between the page and its training Worker (both directions), in one place.
import type { BuildName } from "../host/core/engine.js";
import type { NoiseKind } from "../host/core/noise.js";

export interface TrainSetup {
  build: BuildName | "auto";
  /** Starting weights, .safetensors bytes (Adam state in them is resumed). */
  weights: ArrayBuffer;
  /** Training digits, raw (inflated) IDX bytes. */
  images: ArrayBuffer;
  noise: NoiseKind;
  batch: number;
  lr: number;
  seed: number;
  /** Threads for training (needs cross-origin isolation; 1 = just this Worker). */
  threads: number;
}

export type ToWorker =
  | { type: "init"; setup: TrainSetup }
  | { type: "run"; steps: number }
  | { type: "stop" };

export type FromWorker =
  | { type: "ready"; build: string; reason: string; threads: number }
  | { type: "progress"; step: number; epoch: number; loss: number; imagesPerSecond: number }
  /** Training paused (stop) or finished (done): the weights so far, with Adam state, and their digest. */
  | { type: "stopped" | "done"; step: number; weights: Uint8Array; digest: string; losses: number[] }
  | { type: "error"; message: string };

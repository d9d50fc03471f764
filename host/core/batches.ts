// Mini-batches from an image set, straight into the model's wasm buffers: a seeded Fisher–Yates
// shuffle per epoch (drawn from the engine's RNG, so the run's seed fixes it), and a copy of each
// batch's u8 pixels as f32 / 255 (or f32 pixels as they are) into the target (clean) buffer. No
// allocation per batch.
import type { EngineExports } from "./engine.js";
import type { TrainingImages } from "./idx.js";

export class Batches {
  /** Image indices in this epoch's order. */
  readonly order: Uint32Array;
  readonly pixels: number;

  constructor(
    readonly images: TrainingImages,
    readonly count = images.count,
  ) {
    if (count < 1 || count > images.count) throw new Error(`cannot take ${count} of ${images.count} images`);
    this.order = new Uint32Array(count).map((_, i) => i);
    this.pixels = images.rows * images.cols;
  }

  /** Reshuffles (Fisher–Yates, engine RNG). */
  shuffle(e: EngineExports): void {
    const o = this.order;
    for (let i = o.length - 1; i > 0; i--) {
      const j = e.below(i + 1);
      const t = o[i];
      o[i] = o[j];
      o[j] = t;
    }
  }

  /** Number of batches of size B per epoch (the last one may be short). */
  batchCount(B: number): number {
    return Math.ceil(this.order.length / B);
  }

  /** Writes images order[start .. start+B) as f32 in [0, 1] into dst; returns how many were written (the epoch is in the order). */
  fill(dst: Float32Array, _epoch: number, start: number, B: number): number {
    const n = Math.min(B, this.order.length - start),
      P = this.pixels,
      src = this.images.pixels;
    for (let b = 0; b < n; b++) {
      const s = this.order[start + b] * P,
        d = b * P;
      if (src instanceof Float32Array) dst.set(src.subarray(s, s + P), d);
      else for (let i = 0; i < P; i++) dst[d + i] = src[s + i] / 255;
    }
    return n;
  }
}

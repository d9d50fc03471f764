// Photo-sized denoising for the bench: a synthetic 6000 × 4000 (24-megapixel) photo through the
// shipped photo model in tiles, gray at 1 and 2 threads and colour (luma-chroma: three planes) at 2,
// with the engine's whole wasm memory bounded by `denoise`'s default --max-memory (512 MiB).
// Reports megapixels per second and the wasm memory the engine ended with (it never shrinks, so
// that is its peak). Each measurement gets a fresh engine.
import { existsSync } from "node:fs";
import type { BuildName } from "../host/core/engine.js";
import { denoisePlanar } from "../host/core/denoise.js";
import type { PlanarImage } from "../host/core/image.js";
import { archOf, applyWeights } from "../host/core/weights.js";
import { openNodeEngine, nodePool } from "../host/node/engine.js";
import { DEFAULT_PHOTO_WEIGHTS, readSafetensors } from "../host/node/files.js";

export const PHOTO_W = 6000,
  PHOTO_H = 4000,
  PHOTO_BUDGET = 512 * 2 ** 20;

/** A deterministic photo-like test image: smooth shapes, edges and fine texture, per plane. */
export function syntheticPhoto(width: number, height: number, planes: number): PlanarImage {
  const n = width * height,
    out: Float32Array[] = [];
  for (let c = 0; c < planes; c++) {
    const p = new Float32Array(n);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const s =
          0.5 + 0.3 * Math.sin((x + 40 * c) / 230) * Math.cos(y / 170) + (((x >> 7) + (y >> 7)) & 1 ? 0.1 : -0.1);
        p[y * width + x] = Math.min(1, Math.max(0, s + 0.04 * Math.sin(x * 0.9 + y * 1.3 + c)));
      }
    }
    out.push(p);
  }
  return { width, height, planes: out };
}

export interface PhotoRun {
  planes: number;
  threads: number;
  seconds: number;
  mpPerSecond: number;
  wasmMiB: number;
  tiles: number;
}

/** Denoises the 24 MP photo (gray: 1 plane, colour: 3) at each thread count; undefined when the photo model is missing. */
export async function photoBench(build: BuildName, say: (s: string) => void): Promise<PhotoRun[] | undefined> {
  if (!existsSync(DEFAULT_PHOTO_WEIGHTS)) return undefined;
  const st = readSafetensors(DEFAULT_PHOTO_WEIGHTS),
    arch = archOf(st, DEFAULT_PHOTO_WEIGHTS, "unet32");
  const runs: PhotoRun[] = [];
  for (const planes of [1, 3]) {
    const img = syntheticPhoto(PHOTO_W, PHOTO_H, planes);
    for (const threads of planes === 1 ? [1, 2] : [2]) {
      const engine = await openNodeEngine({ build, threads: threads > 1 });
      const pool = threads > 1 ? await nodePool(engine, threads) : undefined;
      let tiles = 0;
      try {
        const t0 = performance.now();
        denoisePlanar(arch, img, {
          engine,
          pool,
          load: (m) => applyWeights(m, st, DEFAULT_PHOTO_WEIGHTS),
          tile: "auto",
          maxBytes: PHOTO_BUDGET,
          progress: (_d, total) => (tiles = total),
        });
        const seconds = (performance.now() - t0) / 1000;
        const run = {
          planes,
          threads,
          seconds,
          mpPerSecond: (PHOTO_W * PHOTO_H) / 1e6 / seconds,
          wasmMiB: engine.memory.buffer.byteLength / 2 ** 20,
          tiles,
        };
        runs.push(run);
        say(
          `photo ${planes === 1 ? "gray" : "colour"} ${PHOTO_W}×${PHOTO_H}, ${threads} thread(s): ${seconds.toFixed(1)} s, ${run.mpPerSecond.toFixed(2)} MP/s, wasm memory ${run.wasmMiB.toFixed(0)} MiB, ${tiles} tiles per plane`,
        );
      } finally {
        pool?.close();
      }
    }
  }
  return runs;
}

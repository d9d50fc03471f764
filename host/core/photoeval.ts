// Measuring a photo denoiser as the protocol does (../shared/reference/photos/PROTOCOL.md): gaussian
// noise of σ on the 0–255 scale added to the clean photo, rounded and clipped to 8 bits (the noisy
// file a user has), PSNR = 10·log10(255² / MSE) between the clean photo and the 8-bit result.
// The fixture noise is drawn here in f64 from a seeded generator (planRng + Box–Muller), not by the
// engine: it is the same for any image size and needs no wasm memory, so a 24-megapixel photo is
// made noisy before it is denoised in tiles, and the same noisy file can be handed to other tools.
// `eval --images` seeds each photo's noise by its relative path (photoSeed) and scores results with
// scorePhoto: PSNR as above, SSIM (host/core/metrics.ts) on the 8-bit result.
import type { Arch } from "./arch.js";
import type { Score } from "./eval.js";
import { ssim } from "./metrics.js";
import type { Engine } from "./engine.js";
import { Model } from "./model.js";
import { parseSigma } from "./noise.js";
import type { ThreadPool } from "./pool.js";
import { planRng, type PhotoSource } from "./patches.js";
import { fitsSize } from "./denoise.js";
import { planModel } from "./plan.js";
import { to8 } from "./image.js";

/**
 * clean + σ/255·N(0,1) per sample, rounded and clipped to 8 bits ([0, 1] in steps of 1/255) as a file
 * holds it; with file false, as the papers' protocol has it (float, not clipped). Seeded.
 */
export function noisyPhoto(clean: Float32Array, sigma: number, seed: number, file = true): Float32Array {
  const q = file ? to8 : (v: number) => v;
  const rnd = planRng(seed, Math.round(sigma * 1000), 0x4e4f4953),
    out = new Float32Array(clean.length),
    s = sigma / 255;
  for (let i = 0; i < clean.length; i += 2) {
    const u = 1 - rnd(),
      v = rnd(),
      r = Math.sqrt(-2 * Math.log(u));
    out[i] = q(clean[i] + s * r * Math.cos(2 * Math.PI * v));
    if (i + 1 < clean.length) out[i + 1] = q(clean[i + 1] + s * r * Math.sin(2 * Math.PI * v));
  }
  return out;
}

/**
 * The noise seed of a photo in an evaluation: FNV-1a (32-bit) of its path relative to the evaluated
 * folder (UTF-8, "/" between folders), so its noisy copies do not depend on where the folder is.
 */
export function photoSeed(relPath: string): number {
  let h = 0x811c9dc5;
  for (const b of new TextEncoder().encode(relPath)) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}

/**
 * PSNR (psnr8) and SSIM of an H×W result against the clean 8-bit photo, the result rounded and
 * clipped to 8 bits first. SSIM sees both as k/255 in f64 (an f32 k/255 is off by up to 3e-8), so it
 * equals scikit-image's structural_similarity(clean8, out8, data_range=255) to rounding (host/node/baselines.py).
 */
export function scorePhoto(out: ArrayLike<number>, clean: ArrayLike<number>, H: number, W: number): Score {
  const out8 = Float64Array.from(out, to8),
    clean8 = Float64Array.from(clean, to8);
  return { psnr: psnr8(out8, clean8), ssim: ssim(out8, clean8, H, W) };
}

export { to8 };

/** PSNR (dB) of `out` rounded to 8 bits against `clean`, peak 255. */
export function psnr8(
  out: ArrayLike<number>,
  clean: ArrayLike<number>,
  n = clean.length,
  offOut = 0,
  offClean = 0,
): number {
  let se = 0;
  for (let i = 0; i < n; i++) {
    const d = Math.min(255, Math.max(0, Math.round(out[offOut + i] * 255))) - Math.round(clean[offClean + i] * 255);
    se += d * d;
  }
  return se === 0 ? 100 : 10 * Math.log10((255 * 255 * n) / se);
}

/** psnr8 over every plane of an image at once (the colour protocol: one MSE over R, G and B). */
export function psnr8Planes(out: Float32Array[], clean: Float32Array[]): number {
  const cat = (ps: Float32Array[]) => {
    const a = new Float32Array(ps.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of ps) a.set(p, (at += p.length) - p.length);
    return a;
  };
  return psnr8(cat(out), cat(clean));
}

/** PSNR over every plane (8-bit) and the mean of the planes' SSIM, of `out` against the 8-bit `clean` (the colour protocol). */
export function scorePlanes(out: Float32Array[], clean: Float32Array[], H: number, W: number): Score {
  let s = 0;
  out.forEach((p, c) => {
    s += ssim(Float64Array.from(p, to8), Float64Array.from(clean[c], to8), H, W);
  });
  return { psnr: psnr8Planes(out, clean), ssim: s / out.length };
}

/** The seed of a photo's plane c (plane 0: the photo's own, so a gray evaluation keeps its noise). */
export const planeSeed = (seed: number, c: number) => (c === 0 ? seed : Math.imul(seed ^ c, 0x9e3779b9) >>> 0);

/** Held-out validation for photo training: centred S×S crops of some photos, clean and noisy at σ. */
export interface PhotoValidation {
  S: number;
  count: number;
  sigma: number;
  clean: Float32Array;
  noisy: Float32Array;
}

/** Largest side ≤ max that the architecture maps onto itself (a U-Net needs multiples of its strides). */
export function fittingSide(arch: Arch, max: number): number {
  for (let s = max; s >= 1; s--) if (fitsSize(arch, s, s)) return s;
  throw new Error(`no input size up to ${max} fits architecture ${arch.name}`);
}

/** Centred crops (side ≤ crop, fitting the architecture) of `photos`, all their planes, with fixed noise of σ (0–255). */
export function photoValidation(
  src: PhotoSource,
  photos: number[],
  arch: Arch,
  sigma: number,
  crop = 256,
): PhotoValidation {
  const minSide = Math.min(...photos.map((i) => Math.min(src.size(i).width, src.size(i).height)));
  const S = fittingSide(arch, Math.min(crop, minSide)),
    n = photos.length,
    C = src.channels,
    N = C * S * S;
  const clean = new Float32Array(n * N);
  photos.forEach((p, k) => {
    const { width, height } = src.size(p),
      img = src.pixels(p);
    const x0 = (width - S) >> 1,
      y0 = (height - S) >> 1;
    for (let c = 0; c < C; c++)
      for (let y = 0; y < S; y++) {
        const row = c * width * height + (y0 + y) * width + x0;
        clean.set(img.subarray(row, row + S), k * N + (c * S + y) * S);
      }
  });
  const noisy = new Float32Array(clean.length);
  for (let k = 0; k < n; k++) noisy.set(noisyPhoto(clean.subarray(k * N, (k + 1) * N), sigma, 0x56414c + k), k * N);
  return { S, count: n, sigma, clean, noisy };
}

/** Mean PSNR of an inference model of S×S images over the validation crops (a noise-level map: the crop's measured level). */
export function validatePhotos(model: Model, v: PhotoValidation): number {
  const N = model.imageNumel;
  let sum = 0;
  for (let s = 0; s < v.count; s += model.maxBatch) {
    const B = Math.min(model.maxBatch, v.count - s);
    for (let b = 0; b < B; b++) model.writeImage(b, v.noisy.subarray((s + b) * N, (s + b + 1) * N));
    model.forward(B);
    const out = model.outputView(B);
    for (let b = 0; b < B; b++) sum += psnr8(out, v.clean, N, b * N, (s + b) * N);
  }
  return sum / v.count;
}

/**
 * Validation of photo training: crops of the held-out photos `val` with fixed noise at the middle of
 * the training σ range, and an inference model of the crops' size on the training model's engine
 * and pool that takes its current weights. The CLI's `train --images` and the page's Worker use it.
 */
export function photoValidator(
  engine: Engine,
  pool: ThreadPool | undefined,
  model: Model,
  src: PhotoSource,
  val: number[],
  sigma: string,
  crop = 256,
): { validate: () => number; what: string; dispose: () => void } {
  const { lo, hi } = parseSigma(sigma),
    mid = (lo + hi) / 2;
  // The largest crop (down to 64) whose inference model fits beside the training model.
  const fits = (c: number) => {
    const S = fittingSide(model.arch, c),
      p = planModel(
        engine,
        { ...model.arch, input: [model.arch.input[0], S, S] },
        { batch: 1, threads: pool?.size ?? 1, inference: true },
      );
    return engine.heapTop() + p.total <= engine.maxBytes;
  };
  while (crop > 64 && !fits(crop)) crop = Math.max(64, crop >> 1);
  const v = photoValidation(src, val, model.arch, mid, crop);
  const vm = new Model(engine, { ...model.arch, input: [model.arch.input[0], v.S, v.S] }, 1, pool, {
    inference: true,
    what: `validation on ${v.S}×${v.S} crops`,
  });
  return {
    validate: () => {
      vm.paramsView().set(model.paramsView());
      return validatePhotos(vm, v);
    },
    what: `${v.count} held-out photo${v.count > 1 ? "s" : ""}, ${v.S}×${v.S} centre crops, σ ${mid}`,
    dispose: () => vm.dispose(),
  };
}

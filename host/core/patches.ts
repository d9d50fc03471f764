// Training on photos: random square patches of a set of gray photos, each under one of the eight
// flips / 90° rotations, as mini-batches straight into the model's target buffer (the training
// step adds the noise on the threads, as for digits).
//
// An epoch is `perImage` patches of every training photo. Its plan (photo order, patch positions
// and transforms) is a pure function of (seed, epoch): a resumed run rebuilds it rather than
// storing it, and the plan's generator is not the engine's, so the noise stream is the same
// whatever the plan draws. Photos are read through a PhotoSource, which may keep only a bounded
// number resident: the plan visits them in groups that fit half the source's budget, shuffling
// patches within a group, so a batch touches at most two groups (memory does not grow with the
// folder).
import { imageShape } from "./arch.js";
import type { Model } from "./model.js";
import { symmetryOffset } from "./symmetry.js";

/** Default bound for decoded photos held for training: 64 M samples (256 MiB). */
export const PHOTO_CACHE_SAMPLES = 64 * 2 ** 20;

/** A set of photos, gray or colour: their sizes up front, their pixels on demand. */
export interface PhotoSource {
  readonly count: number;
  /** Planes per photo: 1 (gray) or 3 (R, G, B; gray photos as three equal planes). */
  readonly channels: number;
  /** Display names (relative paths), for messages and the data hash. */
  name(i: number): string;
  size(i: number): { width: number; height: number };
  /** Photo i as `channels` row-major planes of samples in [0, 1], one after the other. */
  pixels(i: number): Float32Array;
  /** Samples the source keeps resident at most (Infinity: all). */
  readonly budget: number;
}

/** A small seeded generator (mulberry32) for plans: the same numbers in Node and the browser. */
export function planRng(...seeds: number[]): () => number {
  let a = 0x9e3779b9;
  for (const s of seeds) a = (Math.imul(a ^ (s >>> 0) ^ Math.floor(s / 2 ** 32), 0x85ebca6b) + 0x6a09e667) | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

function shuffle<T>(a: T[] | Int32Array, rnd: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = a[i];
    a[i] = a[j];
    a[j] = t;
  }
}

/** The photos (indices into a source) held out for validation: `share` of them, at least one of two or more. */
export function splitPhotos(src: PhotoSource, share: number, seed: number): { train: number[]; val: number[] } {
  const idx = Array.from({ length: src.count }, (_, i) => i).sort((a, b) =>
    src.name(a) < src.name(b) ? -1 : src.name(a) > src.name(b) ? 1 : 0,
  );
  shuffle(idx, planRng(seed, 0x56414c)); // "VAL"
  const nVal = share > 0 && src.count >= 2 ? Math.min(src.count - 1, Math.max(1, Math.round(share * src.count))) : 0;
  return { val: idx.slice(0, nVal).sort((a, b) => a - b), train: idx.slice(nVal).sort((a, b) => a - b) };
}

/** FNV-1a over the names and sizes of the photos, as 8 hex digits: what a resumed run checks. */
export function photoHash(src: PhotoSource, photos: number[]): string {
  let h = 0x811c9dc5;
  const mix = (s: string) => {
    for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  };
  for (const i of photos) {
    const { width, height } = src.size(i);
    mix(`${src.name(i)}:${width}x${height};`);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}

/** Patch batches of a photo set (see the file's header). */
export class PatchBatches {
  /** Patches per epoch. */
  readonly count: number;
  private planned = -1;
  /** The epoch's patches: photo, x, y, transform (4 i32 each). */
  private readonly plan: Int32Array;

  constructor(
    readonly src: PhotoSource,
    readonly photos: number[],
    readonly patch: number,
    readonly perImage: number,
    readonly seed: number,
    /** Colour sources: the share of patches made gray (three equal planes of their luma), so a colour model learns gray photos too. */
    readonly grayShare = 0,
  ) {
    if (photos.length === 0) throw new Error("no training photos");
    for (const i of photos) {
      const { width, height } = src.size(i);
      if (width < patch || height < patch)
        throw new Error(`${src.name(i)}: ${width}×${height} is smaller than the ${patch}-pixel patch`);
    }
    this.count = photos.length * perImage;
    this.plan = new Int32Array(4 * this.count);
  }

  batchCount(B: number): number {
    return Math.ceil(this.count / B);
  }

  /** Builds epoch `epoch`'s plan (0-based) unless it is the current one. */
  prepare(epoch: number): void {
    if (this.planned === epoch) return;
    const rnd = planRng(this.seed, 0x50415443, epoch); // "PATC"
    const order = this.photos.slice();
    shuffle(order, rnd);
    const P = this.patch,
      K = this.perImage,
      plan = this.plan,
      groupMax = this.src.budget / 2;
    let at = 0;
    for (let g = 0; g < order.length; ) {
      // A group: photos in plan order while their samples fit half the budget (always at least one).
      let samples = 0,
        end = g;
      while (end < order.length) {
        const { width, height } = this.src.size(order[end]);
        const photo = width * height * this.src.channels;
        if (end > g && samples + photo > groupMax) break;
        samples += photo;
        end++;
      }
      const start = at;
      for (let k = g; k < end; k++) {
        const i = order[k],
          { width, height } = this.src.size(i);
        for (let r = 0; r < K; r++, at++) {
          plan[4 * at] = i;
          plan[4 * at + 1] = Math.floor(rnd() * (width - P + 1));
          plan[4 * at + 2] = Math.floor(rnd() * (height - P + 1));
          // The transform (0–7), + 8 for a gray patch (drawn only with a gray share, so gray plans stay as they were).
          plan[4 * at + 3] = Math.floor(rnd() * 8) + (this.grayShare > 0 && rnd() < this.grayShare ? 8 : 0);
        }
      }
      // Shuffle the group's patches (as whole 4-field records).
      for (let a = at - 1; a > start; a--) {
        const b = start + Math.floor(rnd() * (a - start + 1));
        for (let f = 0; f < 4; f++) {
          const t = plan[4 * a + f];
          plan[4 * a + f] = plan[4 * b + f];
          plan[4 * b + f] = t;
        }
      }
      g = end;
    }
    this.planned = epoch;
  }

  /** Writes patches start .. start+B of epoch `epoch` into dst (C×P×P each); returns how many. */
  fill(dst: Float32Array, epoch: number, start: number, B: number): number {
    this.prepare(epoch);
    const n = Math.min(B, this.count - start),
      P = this.patch,
      C = this.src.channels,
      plan = this.plan;
    for (let b = 0; b < n; b++) {
      const q = 4 * (start + b),
        i = plan[q],
        x0 = plan[q + 1],
        y0 = plan[q + 2],
        t = plan[q + 3] & 7;
      const img = this.src.pixels(i),
        { width: W, height: H } = this.src.size(i);
      for (let c = 0; c < C; c++) copyPatch(dst, (b * C + c) * P * P, img.subarray(c * W * H), W, x0, y0, P, t);
      if (C === 3 && plan[q + 3] & 8) grayPatch(dst, b * C * P * P, P * P);
    }
    return n;
  }
}

/**
 * dst[off + r·P + c] = the P×P patch at (x0, y0) of img (width W) under transform t (one of the
 * eight symmetries of the square: symmetry.ts).
 */
export function copyPatch(
  dst: Float32Array,
  off: number,
  img: Float32Array,
  W: number,
  x0: number,
  y0: number,
  P: number,
  t: number,
): void {
  for (let r = 0; r < P; r++) {
    for (let c = 0; c < P; c++) dst[off + r * P + c] = img[symmetryOffset(r, c, t, P, P, W, x0, y0)];
  }
}

/** Three planes of n samples at off → three copies of their luma (BT.601, as image.ts luma). */
function grayPatch(dst: Float32Array, off: number, n: number): void {
  for (let k = 0; k < n; k++) {
    const y = 0.299 * dst[off + k] + 0.587 * dst[off + n + k] + 0.114 * dst[off + 2 * n + k];
    dst[off + k] = dst[off + n + k] = dst[off + 2 * n + k] = y;
  }
}

/** Checks a model denoises P×P patches of the source's channels. */
export function checkPatchModel(model: Model, patch: number, channels: number): void {
  const [C, H, W] = imageShape(model.arch);
  if (C !== channels || H !== patch || W !== patch)
    throw new Error(
      `model ${model.arch.name} denoises ${C}×${H}×${W} images, not ${channels === 1 ? "gray" : "colour"} ${patch}×${patch} patches`,
    );
}

/** Photos held in memory (the page's uploads): `channels` planes each, all resident. */
export class MemoryPhotos implements PhotoSource {
  readonly budget = Infinity;
  constructor(
    private readonly photos: { name: string; width: number; height: number; pixels: Float32Array }[],
    readonly channels = 1,
  ) {}
  get count(): number {
    return this.photos.length;
  }
  name(i: number): string {
    return this.photos[i].name;
  }
  size(i: number): { width: number; height: number } {
    return this.photos[i];
  }
  pixels(i: number): Float32Array {
    return this.photos[i].pixels;
  }
}

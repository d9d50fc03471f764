// A folder of photos for training (host/core/patches.ts): every PNG and JPEG under it, recursively,
// in name order; sizes read from the file headers up front, pixels decoded on demand (as luma, or R, G, B for a colour model) and
// kept in a cache of bounded size, so memory does not grow with the folder.
import { closeSync, openSync, readdirSync, readSync, statSync, type Stats } from "node:fs";
import { join, relative } from "node:path";
import { UserError } from "../core/errors.js";
import { jpegOrientation, pngOrientation, webpOrientation } from "../core/exif.js";
import { isWebp, webpSize } from "../core/webp.js";
import { luma } from "../core/image.js";
import { PHOTO_CACHE_SAMPLES, type PhotoSource } from "../core/patches.js";
import { jpegSize, readImagePlanes } from "./images.js";
import { MAX_PIXELS } from "./png.js";

const IMAGE_FILE = /\.(png|jpe?g|webp)$/i;

/** Every PNG / JPEG file under dir (recursive, hidden entries skipped), sorted. */
export function listImages(dir: string): string[] {
  let st: Stats;
  try {
    st = statSync(dir);
  } catch {
    throw new UserError(`${dir}: photo folder does not exist`);
  }
  if (!st.isDirectory()) throw new UserError(`${dir}: not a folder (--images takes a folder of PNG / JPEG photos)`);
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    )) {
      if (e.name.startsWith(".")) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && IMAGE_FILE.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

type Size = { width: number; height: number };
/** A stored size as it decodes: upright, so width and height swap for EXIF orientations 5–8 (host/core/exif.ts). */
const upright = (s: Size | undefined, orientation: number): Size | undefined =>
  s && orientation >= 5 ? { width: s.height, height: s.width } : s;

/** A JPEG's size as it decodes (upright). */
const uprightSize = (b: Uint8Array) => upright(jpegSize(b), jpegOrientation(b));

/** Width and height from a PNG's IHDR or a JPEG's SOF marker, reading only the header; undefined if neither. */
export function imageSize(path: string): { width: number; height: number } | undefined {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return undefined;
  }
  try {
    const head = Buffer.alloc(65536);
    const got = readSync(fd, head, 0, head.length, 0),
      b = head.subarray(0, got);
    if (got >= 24 && b.readUInt32BE(0) === 0x89504e47 && b.toString("latin1", 12, 16) === "IHDR")
      return upright({ width: b.readUInt32BE(16), height: b.readUInt32BE(20) }, pngOrientation(b));
    if (isWebp(b)) return upright(webpSize(b), webpOrientation(b));
    const size = uprightSize(b);
    if (size || got < head.length) return size;
    // a header bigger than 64 KiB (a large EXIF thumbnail): one more look, up to 1 MiB
    const more = Buffer.alloc(2 ** 20);
    return uprightSize(more.subarray(0, readSync(fd, more, 0, more.length, 0)));
  } finally {
    closeSync(fd);
  }
}

/**
 * A photo's samples as `channels` planes (1: luma; 3: R, G, B, a gray photo's plane three times),
 * refused when the decoded size is not the one its header gave.
 */
function decodePhoto(file: string, s: { width: number; height: number }, channels: number): Float32Array {
  const img = readImagePlanes(file);
  if (img.width !== s.width || img.height !== s.height)
    throw new UserError(`${file}: decodes to ${img.width}×${img.height}, its header says ${s.width}×${s.height}`);
  if (channels === 1) return luma(img);
  const n = img.width * img.height,
    out = new Float32Array(3 * n);
  for (let c = 0; c < 3; c++) out.set(img.planes[img.planes.length === 3 ? c : 0], c * n);
  return out;
}

/**
 * The photos of a folder as a PhotoSource. Files that cannot be decoded, are over the pixel limit or
 * are smaller than `minSide` are left out and reported in `skipped` (one line each; `warnings` caps
 * them for stderr); none left is an error.
 */
export class PhotoFolder implements PhotoSource {
  readonly files: string[] = [];
  readonly sizes: { width: number; height: number }[] = [];
  readonly skipped: string[] = [];
  private readonly cache = new Map<number, Float32Array>();
  private resident = 0;

  constructor(
    readonly dir: string,
    minSide: number,
    readonly budget = PHOTO_CACHE_SAMPLES,
    /** 1: luma (a gray model's); 3: R, G, B (a colour model's). */
    readonly channels = 1,
  ) {
    for (const f of listImages(dir)) {
      const s = imageSize(f);
      if (!s || !(s.width > 0 && s.height > 0)) this.skipped.push(`${f}: not a readable PNG or JPEG header`);
      else if (s.width * s.height > MAX_PIXELS)
        this.skipped.push(`${f}: ${s.width}×${s.height} is over the ${MAX_PIXELS}-pixel limit`);
      else if (s.width < minSide || s.height < minSide)
        this.skipped.push(`${f}: ${s.width}×${s.height} is smaller than ${minSide}×${minSide}`);
      else {
        // Decoded once here, so a file that cannot be read is left out now, not found mid-training
        // (the patch plan is fixed by the list of photos: leaving one out later would change it).
        let g: Float32Array;
        try {
          g = decodePhoto(f, s, channels);
        } catch (e) {
          this.skipped.push((e as Error).message);
          continue;
        }
        this.files.push(f);
        this.sizes.push(s);
        if (this.resident + g.length <= budget) this.keep(this.files.length - 1, g);
      }
    }
    if (this.files.length === 0) {
      throw new UserError(
        `${dir}: no usable PNG or JPEG photos${this.skipped.length ? ` (${this.skipped.length} skipped: ${this.skipped[0]}${this.skipped.length > 1 ? ", …" : ""})` : ""}`,
      );
    }
  }

  get count(): number {
    return this.files.length;
  }

  name(i: number): string {
    return relative(this.dir, this.files[i]).split("\\").join("/");
  }

  size(i: number): { width: number; height: number } {
    return this.sizes[i];
  }

  pixels(i: number): Float32Array {
    const hit = this.cache.get(i);
    if (hit) {
      this.cache.delete(i); // most recently used goes last
      this.cache.set(i, hit);
      return hit;
    }
    const g = decodePhoto(this.files[i], this.sizes[i], this.channels);
    this.keep(i, g);
    return g;
  }

  /** Caches photo i's samples, dropping the least recently used beyond the budget. */
  private keep(i: number, g: Float32Array): void {
    for (const [k, v] of this.cache) {
      if (this.resident + g.length <= this.budget) break;
      this.cache.delete(k);
      this.resident -= v.length;
    }
    this.cache.set(i, g);
    this.resident += g.length;
  }

  /** The skipped files as warning lines: the first `most`, then how many more. */
  warnings(most = 10): string[] {
    const lines = this.skipped.slice(0, most).map((w) => `skipped ${w}`);
    if (this.skipped.length > most)
      lines.push(`skipped ${this.skipped.length - most} more files of ${this.dir} (${this.skipped.length} in all)`);
    return lines;
  }
}

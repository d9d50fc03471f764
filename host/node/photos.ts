// A folder of photos for training (host/core/patches.ts): every PNG and JPEG under it, recursively,
// in name order; sizes read from the file headers up front, pixels decoded on demand (as luma) and
// kept in a cache of bounded size, so memory does not grow with the folder.
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { UserError } from "../core/errors.js";
import { luma } from "../core/image.js";
import { PHOTO_CACHE_SAMPLES, type PhotoSource } from "../core/patches.js";
import { readImagePlanes } from "./images.js";
import { MAX_PIXELS } from "./png.js";

const IMAGE_FILE = /\.(png|jpe?g)$/i;

/** Every PNG / JPEG file under dir (recursive, hidden entries skipped), sorted. */
export function listImages(dir: string): string[] {
  let st;
  try {
    st = statSync(dir);
  } catch {
    throw new UserError(`${dir}: photo folder does not exist`);
  }
  if (!st.isDirectory()) throw new UserError(`${dir}: not a folder (--images takes a folder of PNG / JPEG photos)`);
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (e.name.startsWith(".")) continue;
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && IMAGE_FILE.test(e.name)) out.push(p);
    }
  };
  walk(dir);
  return out;
}

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
    const got = readSync(fd, head, 0, head.length, 0), b = head.subarray(0, got);
    if (got >= 24 && b.readUInt32BE(0) === 0x89504e47 && b.toString("latin1", 12, 16) === "IHDR") {
      return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
    }
    if (got < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
    // JPEG: walk the marker segments to the first start-of-frame (C0–CF but C4, C8, CC); a header
    // bigger than 64 KiB (a large EXIF thumbnail) is read further in one more step.
    let pos = 2, buf = b;
    for (;;) {
      if (pos + 9 > buf.length) {
        if (buf.length < got || got < head.length) return undefined;
        const more = Buffer.alloc(pos + 65536);
        const n = readSync(fd, more, 0, more.length, 0);
        if (n <= buf.length) return undefined;
        buf = more.subarray(0, n);
        continue;
      }
      if (buf[pos] !== 0xff) return undefined;
      const m = buf[pos + 1];
      if (m === 0xff) { pos++; continue; }
      if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
        return { height: buf.readUInt16BE(pos + 5), width: buf.readUInt16BE(pos + 7) };
      }
      if (m === 0xd8 || (m >= 0xd0 && m <= 0xd7)) { pos += 2; continue; }
      pos += 2 + buf.readUInt16BE(pos + 2);
    }
  } finally {
    closeSync(fd);
  }
}


/**
 * The photos of a folder as a PhotoSource. Files whose header cannot be read, or that are smaller
 * than `minSide`, are left out and reported in `skipped` (one line each); none left is an error.
 */
export class PhotoFolder implements PhotoSource {
  readonly files: string[] = [];
  readonly sizes: { width: number; height: number }[] = [];
  readonly skipped: string[] = [];
  private readonly cache = new Map<number, Float32Array>();
  private resident = 0;

  constructor(readonly dir: string, minSide: number, readonly budget = PHOTO_CACHE_SAMPLES) {
    for (const f of listImages(dir)) {
      const s = imageSize(f);
      if (!s || !(s.width > 0 && s.height > 0)) this.skipped.push(`${f}: not a readable PNG or JPEG header`);
      else if (s.width * s.height > MAX_PIXELS) this.skipped.push(`${f}: ${s.width}×${s.height} is over the ${MAX_PIXELS}-pixel limit`);
      else if (s.width < minSide || s.height < minSide) this.skipped.push(`${f}: ${s.width}×${s.height} is smaller than ${minSide}×${minSide}`);
      else {
        this.files.push(f);
        this.sizes.push(s);
      }
    }
    if (this.files.length === 0) {
      throw new UserError(`${dir}: no usable PNG or JPEG photos${this.skipped.length ? ` (${this.skipped.length} skipped: ${this.skipped[0]}${this.skipped.length > 1 ? ", …" : ""})` : ""}`);
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
    const img = readImagePlanes(this.files[i]);
    const { width, height } = this.sizes[i];
    if (img.width !== width || img.height !== height) throw new UserError(`${this.files[i]}: decodes to ${img.width}×${img.height}, its header says ${width}×${height}`);
    const g = luma(img);
    for (const [k, v] of this.cache) {
      if (this.resident + g.length <= this.budget) break;
      this.cache.delete(k);
      this.resident -= v.length;
    }
    this.cache.set(i, g);
    this.resident += g.length;
    return g;
  }
}

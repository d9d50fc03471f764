// A photo's EXIF orientation (the tag a camera or phone writes instead of rotating the pixels) and the
// pixels turned upright by it, so a photo is denoised and written the way every viewer shows it. Only
// the orientation tag is read here: IFD0 of a JPEG's first APP1 "Exif" segment, a PNG's eXIf chunk or
// a WebP's EXIF chunk, bounds-checked, and any file without a sound one is taken as upright (1).
import type { PlanarImage } from "./image.js";
import { symmetryOffset } from "./symmetry.js";
import { pngChunks } from "./png-encode.js";
import { webpExif } from "./webp.js";

/** EXIF orientation 1–8 → the transform (host/core/symmetry.ts: bit 2 transposes, bit 1 flips rows, bit 0 columns) that shows it upright. */
const UPRIGHT = [0, 0, 1, 3, 2, 4, 6, 7, 5];

/** The EXIF orientation (1–8) of JPEG bytes; 1 when there is none or it cannot be read. */
export function jpegOrientation(b: Uint8Array): number {
  let at = 2;
  while (at + 4 <= b.length && b[at] === 0xff) {
    const marker = b[at + 1],
      len = (b[at + 2] << 8) | b[at + 3];
    if (marker === 0xda || marker === 0xd9 || len < 2) break; // image data: no metadata after it
    const start = at + 4,
      end = Math.min(b.length, at + 2 + len);
    if (marker === 0xe1 && end - start > 14 && String.fromCharCode(...b.subarray(start, start + 6)) === "Exif\0\0")
      return tiffOrientation(b.subarray(start + 6, end));
    at += 2 + len;
  }
  return 1;
}

/** The EXIF orientation (1–8) of a PNG's eXIf chunk; 1 when there is none or it cannot be read. */
export function pngOrientation(b: Uint8Array): number {
  for (const c of pngChunks(b)) if (c.type === "eXIf") return tiffOrientation(c.data);
  return 1;
}

/** The EXIF orientation (1–8) of a WebP's EXIF chunk; 1 when there is none or it cannot be read. */
export function webpOrientation(b: Uint8Array): number {
  const exif = webpExif(b);
  return exif ? tiffOrientation(exif) : 1;
}

function tiffOrientation(t: Uint8Array): number {
  const le = t[0] === 0x49 && t[1] === 0x49;
  if (!le && !(t[0] === 0x4d && t[1] === 0x4d)) return 1;
  const u16 = (o: number) => (o + 2 <= t.length ? (le ? t[o] | (t[o + 1] << 8) : (t[o] << 8) | t[o + 1]) : -1);
  const u32 = (o: number) => (o + 4 <= t.length ? ((u16(le ? o + 2 : o) << 16) | u16(le ? o : o + 2)) >>> 0 : -1);
  const ifd = u32(4),
    n = u16(ifd);
  if (ifd < 8 || n < 0) return 1;
  for (let k = 0; k < n; k++) {
    const e = ifd + 2 + 12 * k;
    if (u16(e) === 0x0112 && u16(e + 2) === 3) {
      const v = u16(e + 8);
      return v >= 1 && v <= 8 ? v : 1;
    }
  }
  return 1;
}

/** RGBA pixels turned upright for EXIF orientation o (a new buffer; width and height swap for 5–8). */
export function orientRgba(
  rgba: { width: number; height: number; data: Uint8ClampedArray },
  o: number,
): { width: number; height: number; data: Uint8ClampedArray } {
  const t = UPRIGHT[o] ?? 0;
  if (t === 0) return rgba;
  const { width: w, height: h } = rgba,
    W = t & 4 ? h : w,
    H = t & 4 ? w : h,
    data = new Uint8ClampedArray(4 * W * H);
  for (let r = 0; r < H; r++)
    for (let c = 0; c < W; c++) {
      const s = 4 * symmetryOffset(r, c, t, h, w, w),
        d = 4 * (r * W + c);
      data[d] = rgba.data[s];
      data[d + 1] = rgba.data[s + 1];
      data[d + 2] = rgba.data[s + 2];
      data[d + 3] = rgba.data[s + 3];
    }
  return { width: W, height: H, data };
}

/** Planes turned upright for EXIF orientation o (new planes; width and height swap for 5–8): a TIFF's own Orientation tag. */
export function orientPlanes(img: PlanarImage, o: number): PlanarImage {
  const t = UPRIGHT[o] ?? 0;
  if (t === 0) return img;
  const { width: w, height: h } = img,
    W = t & 4 ? h : w,
    H = t & 4 ? w : h;
  const turn = (p: Float32Array) => {
    const out = new Float32Array(W * H);
    for (let r = 0; r < H; r++) for (let c = 0; c < W; c++) out[r * W + c] = p[symmetryOffset(r, c, t, h, w, w)];
    return out;
  };
  return {
    ...img,
    width: W,
    height: H,
    planes: img.planes.map(turn),
    ...(img.alpha ? { alpha: turn(img.alpha) } : {}),
  };
}

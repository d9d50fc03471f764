// Image files in and out for `denoise`: PNG (pngjs, structure-checked: host/node/png.ts) and JPEG
// (jpeg-js, pure JS), told apart by their first bytes; written as PNG, or as JPEG when the output
// path ends in .jpg / .jpeg. Every problem is a one-line error naming the file.
import jpeg from "jpeg-js";
import { fileError } from "../core/errors.js";
import { planesFromRgba, rgba8, type PlanarImage } from "../core/image.js";
import { readFileChecked, writeFileAtomic } from "./files.js";
import { encodePngPlanes, MAX_PIXELS, readPngPlanesChecked } from "./png.js";

const isJpeg = (b: Uint8Array) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
const isPng = (b: Uint8Array) => b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;

/**
 * Most pixels a JPEG may declare per byte of file. A flat baseline JPEG needs a few bits per 8×8
 * block (under 256 pixels a byte); a 2.5 KB file declaring 8000×8000 made jpeg-js spend 37 s and
 * 1.9 GB before it failed. Checked from the frame header, before decoding.
 */
export const MAX_JPEG_PIXELS_PER_BYTE = 1024;

/** Width and height from a JPEG's first start-of-frame marker (C0–CF but C4, C8, CC) within `b`; undefined if not there. */
export function jpegSize(b: Uint8Array): { width: number; height: number } | undefined {
  if (b.length < 4 || b[0] !== 0xff || b[1] !== 0xd8) return undefined;
  for (let pos = 2; pos + 9 <= b.length;) {
    if (b[pos] !== 0xff) return undefined;
    const m = b[pos + 1];
    if (m === 0xff) { pos++; continue; }
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return { height: (b[pos + 5] << 8) | b[pos + 6], width: (b[pos + 7] << 8) | b[pos + 8] };
    if (m === 0xd8 || (m >= 0xd0 && m <= 0xd7)) { pos += 2; continue; }
    pos += 2 + ((b[pos + 2] << 8) | b[pos + 3]);
  }
  return undefined;
}

/** JPEG bytes to planes (gray when every pixel is gray, else RGB; JPEG has no alpha). */
export function decodeJpegPlanes(buf: Uint8Array, name: string): PlanarImage {
  const size = jpegSize(buf);
  if (!size) fileError(name, "corrupt JPEG (no frame header)");
  const { width: w, height: h } = size;
  if (!(w > 0 && h > 0)) fileError(name, `JPEG header says ${w}×${h} pixels`);
  if (w * h > MAX_PIXELS) fileError(name, `JPEG is ${w}×${h} pixels, over the ${MAX_PIXELS}-pixel limit`);
  if (w * h > MAX_JPEG_PIXELS_PER_BYTE * buf.length) {
    fileError(name, `JPEG declares ${w}×${h} pixels in ${buf.length} bytes (over ${MAX_JPEG_PIXELS_PER_BYTE} a byte): truncated, or a decompression bomb`);
  }
  let raw: { width: number; height: number; data: Uint8Array };
  try {
    raw = jpeg.decode(buf, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_PIXELS / 1e6, maxMemoryUsageInMB: 2048 });
  } catch (e) {
    fileError(name, `corrupt JPEG (${String((e as Error).message ?? e).split("\n")[0]})`);
  }
  const { width, height, data } = raw;
  const n = width * height;
  if (!(width > 0 && height > 0) || data.length < 4 * n) fileError(name, "corrupt JPEG (no image data)");
  return planesFromRgba(data, width, height); // jpeg-js gives alpha 255: no alpha plane
}

/** Reads a PNG or JPEG file as planes, with one-line errors. */
export function readImagePlanes(path: string): PlanarImage {
  const buf = readFileChecked(path);
  if (isJpeg(buf)) return decodeJpegPlanes(buf, path);
  if (isPng(buf)) return readPngPlanesChecked(path);
  return fileError(path, "not a PNG or JPEG file");
}

/** Writes planes as PNG, or as JPEG (quality 95; alpha dropped) for a .jpg / .jpeg path. */
export function writeImagePlanes(path: string, img: PlanarImage): void {
  if (!/\.jpe?g$/i.test(path)) return writeFileAtomic(path, encodePngPlanes(img));
  const rgba = rgba8({ ...img, alpha: undefined });
  writeFileAtomic(path, jpeg.encode({ width: img.width, height: img.height, data: rgba }, 95).data);
}

// WebP's size from its header alone (RIFF "WEBP", then a VP8 (lossy), VP8L (lossless) or VP8X
// (extended) chunk), so a file is checked (the pixel limit; a decompression bomb: more pixels than
// MAX_WEBP_PIXELS_PER_BYTE times its bytes) before anything decodes it. The decoder: host/node/webp.ts.
import { MAX_PIXELS } from "./image.js";

/**
 * The most pixels a WebP file may declare per byte of file. Lossless WebP (what denoise writes) packs
 * a smooth 2000×2000 gradient in 1 880 bytes (2 128 pixels a byte) and a flat one in 212 (18 868):
 * the bound lets such files be read back; a photo is under 10.
 */
export const MAX_WEBP_PIXELS_PER_BYTE = 32768;

const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));

/** Whether bytes start as a WebP file (RIFF ….WEBP). */
export const isWebp = (b: Uint8Array) => b.length >= 12 && ascii(b, 0, 4) === "RIFF" && ascii(b, 8, 4) === "WEBP";

/** Width and height from a WebP's first chunk (needs its first 30 bytes); undefined when it is not one it knows. */
export function webpSize(b: Uint8Array): { width: number; height: number } | undefined {
  if (!isWebp(b) || b.length < 30) return undefined;
  const kind = ascii(b, 12, 4);
  if (kind === "VP8X") {
    const w = 1 + (b[24] | (b[25] << 8) | (b[26] << 16)),
      h = 1 + (b[27] | (b[28] << 8) | (b[29] << 16));
    return { width: w, height: h };
  }
  if (kind === "VP8L") {
    if (b[20] !== 0x2f) return undefined;
    const bits = b[21] | (b[22] << 8) | (b[23] << 16) | (b[24] << 24);
    return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff) };
  }
  if (kind === "VP8 ") {
    if (b[23] !== 0x9d || b[24] !== 0x01 || b[25] !== 0x2a) return undefined;
    return { width: (b[26] | (b[27] << 8)) & 0x3fff, height: (b[28] | (b[29] << 8)) & 0x3fff };
  }
  return undefined;
}

/** What is wrong with a WebP's declared size in a file of `fileBytes` bytes; undefined when it is sound. */
export function webpSizeProblem(size: { width: number; height: number }, fileBytes: number): string | undefined {
  const { width: w, height: h } = size;
  if (!(w > 0 && h > 0)) return `WebP header says ${w}×${h} pixels`;
  if (w * h > MAX_PIXELS) return `WebP is ${w}×${h} pixels, over the ${MAX_PIXELS}-pixel limit`;
  if (w * h > MAX_WEBP_PIXELS_PER_BYTE * fileBytes)
    return `WebP declares ${w}×${h} pixels in ${fileBytes} bytes (over ${MAX_WEBP_PIXELS_PER_BYTE} a byte): truncated, or a decompression bomb`;
  return undefined;
}

/** A chunk of a RIFF file: its FourCC, its payload, and the whole chunk (header and padding), both bounds-checked. */
export interface RiffChunk {
  fourcc: string;
  data: Uint8Array;
  bytes: Uint8Array;
}

/** The chunks of a RIFF file (a WebP) after its 12-byte header, in order. */
export function* riffChunks(b: Uint8Array): Generator<RiffChunk> {
  for (let at = 12; at + 8 <= b.length; ) {
    const len = (b[at + 4] | (b[at + 5] << 8) | (b[at + 6] << 16) | (b[at + 7] << 24)) >>> 0,
      next = at + 8 + len + (len & 1);
    yield {
      fourcc: ascii(b, at, 4),
      data: b.subarray(at + 8, Math.min(b.length, at + 8 + len)),
      bytes: b.subarray(at, Math.min(b.length, next)),
    };
    at = next;
  }
}

/** The payload of the first chunk of a RIFF file (a WebP) with this FourCC, bounds-checked; undefined when there is none. */
export function riffChunk(b: Uint8Array, fourcc: string): Uint8Array | undefined {
  for (const c of riffChunks(b)) if (c.fourcc === fourcc) return c.data;
  return undefined;
}

/** A WebP's EXIF block (its EXIF chunk, without the "Exif\0\0" prefix some writers put first); undefined when there is none. */
export function webpExif(b: Uint8Array): Uint8Array | undefined {
  const exif = riffChunk(b, "EXIF");
  return exif && ascii(exif, 0, 6) === "Exif\0\0" ? exif.subarray(6) : exif;
}

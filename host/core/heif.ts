// HEIF and AVIF files from their header alone: both are ISO base media files (boxes: 32-bit size,
// 4-letter type) that start with an `ftyp` box naming their brands (avif / avis: AV1 images; heic,
// heix, mif1, …: HEVC images), and declare each image's size in an `ispe` property box inside
// meta → iprp → ipco. The largest declared size is checked (the pixel limit; a decompression bomb:
// more pixels than MAX_HEIF_PIXELS_PER_BYTE times the file's bytes) before anything decodes the
// file. The decoders: host/node/avif.ts (libavif) and host/node/heic.ts (libheif).
import { MAX_PIXELS } from "./image.js";

/**
 * The most pixels a HEIF / AVIF file may declare per byte of file. AV1 and HEVC code a flat image in
 * almost nothing: a 2000×2000 flat gray AVIF (libavif, quality 90) is 399 bytes, 10 025 pixels a
 * byte, a smooth gradient 857 pixels a byte; a photo is under 10.
 */
export const MAX_HEIF_PIXELS_PER_BYTE = 16384;

const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));
const u32 = (b: Uint8Array, at: number) => ((b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;

const AVIF_BRANDS = ["avif", "avis"];
const HEIC_BRANDS = ["heic", "heix", "heim", "heis", "hevc", "hevx", "mif1", "msf1"];

/** "avif" or "heic" when bytes start with an ftyp box of those brands (AVIF first: an AVIF also lists mif1); undefined otherwise. */
export function isoBrandFormat(b: Uint8Array): "avif" | "heic" | undefined {
  if (b.length < 16 || ascii(b, 4, 4) !== "ftyp") return undefined;
  const end = Math.min(b.length, Math.max(16, u32(b, 0)));
  const brands = [ascii(b, 8, 4)];
  for (let at = 16; at + 4 <= end; at += 4) brands.push(ascii(b, at, 4));
  if (brands.some((x) => AVIF_BRANDS.includes(x))) return "avif";
  if (brands.some((x) => HEIC_BRANDS.includes(x))) return "heic";
  return undefined;
}

/** The boxes in b[from, to): [type, start of the payload, end, whole]; a box running past `to` ends there, not whole. */
function boxes(b: Uint8Array, from: number, to: number): [string, number, number, boolean][] {
  const out: [string, number, number, boolean][] = [];
  for (let at = from; at + 8 <= to; ) {
    let size = u32(b, at),
      head = 8;
    if (size === 1) {
      if (at + 16 > to) break;
      size = u32(b, at + 8) * 2 ** 32 + u32(b, at + 12); // 64-bit size
      head = 16;
    } else if (size === 0) size = to - at; // to the end of the file
    if (size < head) break;
    out.push([ascii(b, at + 4, 4), at + head, Math.min(to, at + size), at + size <= to]);
    at += size;
  }
  return out;
}

/**
 * The largest image size the file's `ispe` boxes declare (meta → iprp → ipco), reading only `b`;
 * "more" when the meta box is not complete within b (read further), undefined when there is none.
 */
export function heifSize(b: Uint8Array): { width: number; height: number } | "more" | undefined {
  const props = properties(b);
  if (!Array.isArray(props)) return props;
  let best: { width: number; height: number } | undefined;
  for (const [t, s, e] of props) {
    if (t !== "ispe" || e - s < 12) continue;
    const width = u32(b, s + 4),
      height = u32(b, s + 8);
    if (!best || width * height > best.width * best.height) best = { width, height };
  }
  return best;
}

/** The most bits a sample its `pixi` boxes declare (8 when there is none). */
export function heifBitDepth(b: Uint8Array): number {
  const props = properties(b);
  let bits = 8;
  if (Array.isArray(props))
    for (const [t, s, e] of props)
      if (t === "pixi" && e - s >= 6) bits = Math.max(bits, ...b.subarray(s + 5, Math.min(e, s + 5 + b[s + 4])));
  return bits;
}

/**
 * The file's rotation (irot: quarter turns anti-clockwise) and mirroring (imir: 0 top-to-bottom, 1
 * left-to-right) as EXIF orientations to apply in turn (host/core/exif.ts orientPlanes): rotation
 * first, as HEIF writers associate them. libheif applies them itself; libavif (AVIF) does not.
 */
export function heifTransforms(b: Uint8Array): number[] {
  const props = properties(b),
    out: number[] = [];
  if (!Array.isArray(props)) return out;
  const irot = props.find(([t, s, e]) => t === "irot" && e > s),
    imir = props.find(([t, s, e]) => t === "imir" && e > s);
  if (irot) out.push([1, 8, 3, 6][b[irot[1]] & 3]);
  if (imir) out.push(b[imir[1]] & 1 ? 2 : 4);
  return out.filter((o) => o !== 1);
}

/** The property boxes (meta → iprp → ipco); "more" when the meta box is not within b, undefined when there is none. */
function properties(b: Uint8Array): [string, number, number, boolean][] | "more" | undefined {
  const top = boxes(b, 0, b.length);
  const meta = top.find(([t]) => t === "meta");
  if (!meta) return top.length && !top.at(-1)![3] ? "more" : undefined; // the last box runs past the bytes read
  const [, start, end, whole] = meta;
  if (!whole) return "more";
  const out: [string, number, number, boolean][] = [];
  for (const [t, s, e] of boxes(b, start + 4, end))
    if (t === "iprp") for (const [t2, s2, e2] of boxes(b, s, e)) if (t2 === "ipco") out.push(...boxes(b, s2, e2));
  return out;
}

/** What is wrong with a HEIF / AVIF's declared size in a file of `fileBytes` bytes (`kind`: "AVIF" or "HEIC"); undefined when it is sound. */
export function heifSizeProblem(
  kind: string,
  size: { width: number; height: number },
  fileBytes: number,
): string | undefined {
  const { width: w, height: h } = size;
  if (!(w > 0 && h > 0)) return `${kind} header says ${w}×${h} pixels`;
  if (w * h > MAX_PIXELS) return `${kind} is ${w}×${h} pixels, over the ${MAX_PIXELS}-pixel limit`;
  if (w * h > MAX_HEIF_PIXELS_PER_BYTE * fileBytes)
    return `${kind} declares ${w}×${h} pixels in ${fileBytes} bytes (over ${MAX_HEIF_PIXELS_PER_BYTE} a byte): truncated, or a decompression bomb`;
  return undefined;
}

// TIFF from its first image directory (IFD) alone: its size, layout and compression, read through a
// function that gives bytes at an offset (a TIFF's IFD may sit anywhere, often at the end), so a
// file is checked (the pixel limit; a decompression bomb: more pixels than MAX_TIFF_PIXELS_PER_BYTE
// times its bytes; what the decoder cannot read) before anything decodes it. The decoder and the
// writer: host/node/tiff.ts.
import { MAX_PIXELS } from "./image.js";

/**
 * The most pixels a TIFF may declare per byte of file. Deflate packs at most 1032 bytes in one and
 * LZW about 2 500 (an 8-bit gray flat image); a photo takes a byte or more a pixel.
 */
export const MAX_TIFF_PIXELS_PER_BYTE = 4096;

/** Whether bytes start as a TIFF ("II*\0" little-endian, "MM\0*" big-endian; 43 for BigTIFF). */
export function isTiff(b: Uint8Array): boolean {
  if (b.length < 8) return false;
  const le = b[0] === 0x49 && b[1] === 0x49,
    be = b[0] === 0x4d && b[1] === 0x4d;
  const magic = le ? b[2] | (b[3] << 8) : be ? (b[2] << 8) | b[3] : 0;
  return magic === 42 || magic === 43;
}

/** Bytes of the file at an offset; undefined past its end. */
export type ByteReader = (at: number, n: number) => Uint8Array | undefined;

/** A reader over bytes held in memory. */
export const bytesReader =
  (b: Uint8Array): ByteReader =>
  (at, n) =>
    at >= 0 && at + n <= b.length ? b.subarray(at, at + n) : undefined;

/** What the first IFD says (TIFF 6.0 tag names; defaults filled in). */
export interface TiffIfd {
  littleEndian: boolean;
  width: number;
  height: number;
  bitsPerSample: number[];
  samplesPerPixel: number;
  compression: number;
  photometric: number;
  planar: number;
  predictor: number;
  sampleFormat: number;
  extraSamples: number[];
  orientation: number;
  /** Where the Orientation entry's value is in the file (to read a rotated file as stored), if there is one. */
  orientationAt?: number;
  rowsPerStrip: number;
  tileWidth?: number;
  tileHeight?: number;
  /** Strip (or tile) offsets and byte counts; [] when they could not be read. */
  offsets: number[];
  counts: number[];
  colorMap?: number[];
}

const TYPE_BYTES: Record<number, number> = { 1: 1, 3: 2, 4: 4 }; // BYTE, SHORT, LONG

/** The first IFD of a TIFF read through `read`; a string saying what is wrong when it cannot be read. */
export function tiffIfd(read: ByteReader): TiffIfd | string {
  const head = read(0, 8);
  if (!head || !isTiff(head)) return "corrupt TIFF (no header)";
  const le = head[0] === 0x49;
  const u16 = (b: Uint8Array, at: number) => (le ? b[at] | (b[at + 1] << 8) : (b[at] << 8) | b[at + 1]);
  const u32 = (b: Uint8Array, at: number) =>
    (le
      ? b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)
      : (b[at] << 24) | (b[at + 1] << 16) | (b[at + 2] << 8) | b[at + 3]) >>> 0;
  if (u16(head, 2) === 43) return "BigTIFF is not supported";
  const at = u32(head, 4),
    countBytes = read(at, 2);
  if (!countBytes || at < 8) return `corrupt TIFF (its directory at byte ${at} is past the end)`;
  const n = u16(countBytes, 0),
    dir = read(at + 2, 12 * n);
  if (!n || !dir) return `corrupt TIFF (its directory at byte ${at} is cut off)`;
  const tags = new Map<number, number[]>();
  let orientationAt: number | undefined;
  for (let i = 0; i < n; i++) {
    const e = 12 * i,
      tag = u16(dir, e),
      type = u16(dir, e + 2),
      count = u32(dir, e + 4),
      size = TYPE_BYTES[type];
    if (!size) continue; // other types (rationals, ASCII, …) carry nothing read here
    // (arrays of over 2^20 values are skipped: a 64-megapixel image has at most 2^18 tiles of 16×16)
    const inline = size * count <= 4;
    const bytes = inline
      ? dir.subarray(e + 8, e + 12)
      : count <= 1 << 20
        ? read(u32(dir, e + 8), size * count)
        : undefined;
    if (!bytes) continue;
    const v: number[] = [];
    for (let k = 0; k < count; k++) v.push(size === 1 ? bytes[k] : size === 2 ? u16(bytes, 2 * k) : u32(bytes, 4 * k));
    tags.set(tag, v);
    if (tag === 274 && inline) orientationAt = at + 2 + e + 8;
  }
  const one = (tag: number, dflt: number) => tags.get(tag)?.[0] ?? dflt;
  const spp = one(277, 1),
    height = one(257, 0);
  const tiled = tags.has(322);
  return {
    littleEndian: le,
    width: one(256, 0),
    height,
    bitsPerSample: tags.get(258) ?? [1],
    samplesPerPixel: spp,
    compression: one(259, 1),
    photometric: one(262, -1),
    planar: one(284, 1),
    predictor: one(317, 1),
    sampleFormat: one(339, 1),
    extraSamples: tags.get(338) ?? [],
    orientation: one(274, 1),
    orientationAt,
    rowsPerStrip: Math.min(one(278, height), height),
    tileWidth: tiled ? one(322, 0) : undefined,
    tileHeight: tiled ? one(323, 0) : undefined,
    offsets: tags.get(tiled ? 324 : 273) ?? [],
    counts: tags.get(tiled ? 325 : 279) ?? [],
    colorMap: tags.get(320),
  };
}

/** What is wrong with a TIFF's declared size in a file of `fileBytes` bytes; undefined when it is sound. */
export function tiffSizeProblem(size: { width: number; height: number }, fileBytes: number): string | undefined {
  const { width: w, height: h } = size;
  if (!(w > 0 && h > 0)) return `TIFF header says ${w}×${h} pixels`;
  if (w * h > MAX_PIXELS) return `TIFF is ${w}×${h} pixels, over the ${MAX_PIXELS}-pixel limit`;
  if (w * h > MAX_TIFF_PIXELS_PER_BYTE * fileBytes)
    return `TIFF declares ${w}×${h} pixels in ${fileBytes} bytes (over ${MAX_TIFF_PIXELS_PER_BYTE} a byte): truncated, or a decompression bomb`;
  return undefined;
}

/**
 * What the decoder (host/node/tiff.ts) cannot read in this IFD, in words; undefined when it can:
 * gray (1, 8 or 16 bits), palette (8 bits), RGB (8 or 16 bits), each with one alpha sample or none;
 * uncompressed, LZW or deflate; in strips, or in tiles for one sample a pixel.
 */
export function tiffLayoutProblem(d: TiffIfd): string | undefined {
  const bps = d.bitsPerSample[0],
    colours = d.samplesPerPixel - d.extraSamples.length;
  if (![1, 5, 8, 32946].includes(d.compression))
    return `TIFF compression ${d.compression} is not supported (uncompressed, LZW and deflate are)`;
  if (d.bitsPerSample.some((b) => b !== bps))
    return `TIFF with ${d.bitsPerSample.join("/")} bits a sample is not supported`;
  if (d.sampleFormat !== 1) return `TIFF sample format ${d.sampleFormat} is not supported (unsigned integers are)`;
  const kinds: Record<number, [number, number[]]> = {
    0: [1, [1, 8, 16]],
    1: [1, [1, 8, 16]],
    2: [3, [8, 16]],
    3: [1, [8]],
  };
  const kind = kinds[d.photometric];
  if (!kind) return `TIFF photometric interpretation ${d.photometric} is not supported (gray, RGB and palette are)`;
  if (colours !== kind[0] || d.extraSamples.length > 1)
    return `TIFF with ${d.samplesPerPixel} samples a pixel is not supported for photometric interpretation ${d.photometric}`;
  if (!kind[1].includes(bps)) return `TIFF with ${bps} bits a sample is not supported here`;
  if (d.planar !== 1 && d.samplesPerPixel > 1) return "TIFF with separate colour planes is not supported";
  // The tiff package reads only a tile's first sample, and undoes a predictor along image rows, not tile rows.
  if (d.tileWidth !== undefined && (d.samplesPerPixel > 1 || d.predictor !== 1))
    return "tiled TIFF is supported only with one sample a pixel and no predictor";
  if (d.predictor !== 1 && !(d.predictor === 2 && bps >= 8)) return `TIFF predictor ${d.predictor} is not supported`;
  if (d.photometric === 3 && (d.colorMap?.length ?? 0) < 3 * 256)
    return "corrupt TIFF (palette image without a colour map)";
  return undefined;
}

// PNG in and out. Any PNG (1/2/4/8/16-bit; gray, gray+alpha, RGB, RGBA, palette; interlaced or not)
// decodes to gray f32 in [0, 1]: colour by ITU-R 601 luma (0.299 R + 0.587 G + 0.114 B, as PIL's
// convert("L")), alpha composited over black (MNIST's background). Output is 8-bit gray.
// The header is checked before decoding, so a file claiming 100 000 × 100 000 pixels is refused
// without allocating for it.
import { PNG } from "pngjs";
import { byte8, planesFromRgba, type GrayImage, type PlanarImage } from "../core/image.js";
import { fileError } from "../core/errors.js";
import { closeSync, openSync, readSync } from "node:fs";
import { inflateSync } from "node:zlib";
import { readFileChecked, writeFileAtomic } from "./files.js";

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Largest image accepted: 64 megapixels. */
export const MAX_PIXELS = 64 * 1024 * 1024;


/** Checks the header's size and decodes with pngjs: RGBA samples at the stored depth, and their maximum. */
function decodeRgba(buf: Uint8Array, name: string): { width: number; height: number; src: Uint8Array | Uint16Array; max: number; colorType: number } {
  if (buf.length < 33 || SIGNATURE.some((b, i) => buf[i] !== b)) fileError(name, "not a PNG file (bad signature)");
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const chunk = String.fromCharCode(...buf.subarray(12, 16));
  if (chunk !== "IHDR") fileError(name, "not a PNG file (first chunk is not IHDR)");
  const width = view.getUint32(16), height = view.getUint32(20);
  if (width < 1 || height < 1) fileError(name, `PNG header says ${width}×${height} pixels`);
  if (width * height > MAX_PIXELS) fileError(name, `PNG is ${width}×${height} pixels, over the ${MAX_PIXELS}-pixel limit`);
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength), { skipRescale: true } as never);
  } catch (e) {
    fileError(name, `corrupt PNG (${(e as Error).message})`);
  }
  // skipRescale keeps samples at their stored depth (palette entries are always 8-bit RGB).
  const src = png.data as unknown as Uint8Array | Uint16Array;
  const depth = buf[24], colorType = buf[25];
  if (src.length < 4 * width * height) fileError(name, "corrupt PNG (pixel data shorter than the header says)");
  return { width, height, src, max: colorType === 3 ? 255 : 2 ** depth - 1, colorType };
}

/** Decodes PNG bytes to gray (luma, alpha over black: how the digit models see an image); `name` is used in error messages. */
export function decodePng(buf: Uint8Array, name: string): GrayImage {
  const { width, height, src, max } = decodeRgba(buf, name);
  const n = width * height, data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = src[4 * i], g = src[4 * i + 1], b = src[4 * i + 2], a = src[4 * i + 3];
    data[i] = ((0.299 * r + 0.587 * g + 0.114 * b) / max) * (a / max);
  }
  return { width, height, data };
}

/**
 * Decodes PNG bytes to planes, colour kept: three planes when the image has colour (a gray image
 * stored as RGB or palette gives one), and alpha when any pixel is not opaque.
 */
export function decodePngPlanes(buf: Uint8Array, name: string): PlanarImage {
  const { width, height, src, max } = decodeRgba(buf, name);
  return planesFromRgba(src, width, height, max);
}

/** Encodes planes ([0, 1], clipped, rounded) as an 8-bit PNG: gray, gray + alpha, RGB or RGBA. */
export function encodePngPlanes(img: PlanarImage): Buffer {
  const planes = img.alpha ? [...img.planes, img.alpha] : img.planes, k = planes.length, n = img.width * img.height;
  const colorType = img.planes.length === 3 ? (img.alpha ? 6 : 2) : img.alpha ? 4 : 0;
  // pngjs takes gray (no alpha) or RGB(A) input; gray + alpha goes in as RGBA.
  const inRgba = colorType === 4;
  const inK = inRgba ? 4 : k;
  const data = Buffer.alloc(n * inK);
  const q = byte8;
  for (let i = 0; i < n; i++) {
    if (inRgba) {
      const g = q(planes[0][i]);
      data[4 * i] = data[4 * i + 1] = data[4 * i + 2] = g;
      data[4 * i + 3] = q(planes[1][i]);
    } else {
      for (let c = 0; c < k; c++) data[inK * i + c] = q(planes[c][i]);
    }
  }
  const inputColorType = inRgba ? 6 : colorType;
  const opts = { width: img.width, height: img.height, colorType, inputColorType, bitDepth: 8, inputHasAlpha: inputColorType === 6 };
  const png = new PNG(opts as never);
  png.data = data;
  return PNG.sync.write(png, opts as never);
}

/** Reads a PNG with its colour planes and alpha, refusing damaged files like readPngChecked. */
export function readPngPlanesChecked(path: string): PlanarImage {
  return decodePngPlanes(readPngBytesChecked(path), path);
}

export function writePngPlanes(path: string, img: PlanarImage): void {
  writeFileAtomic(path, encodePngPlanes(img));
}

/** Encodes gray [0, 1] (clipped, rounded) as an 8-bit grayscale PNG. */
export function encodeGrayPng(img: GrayImage): Buffer {
  const png = new PNG({ width: img.width, height: img.height, colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false } as never);
  const out = Buffer.alloc(img.width * img.height);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, img.data[i])) * 255);
  png.data = out;
  return PNG.sync.write(png, { colorType: 0, inputColorType: 0, bitDepth: 8, inputHasAlpha: false } as never);
}

/** Encodes 8-bit RGB pixels (width·height·3 bytes) as a colour PNG (charts). */
export function encodeRgbPng(width: number, height: number, rgb: Uint8Array): Buffer {
  const png = new PNG({ width, height, colorType: 2, inputColorType: 2, inputHasAlpha: false } as never);
  png.data = Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false } as never);
}

export function writeGrayPng(path: string, img: GrayImage): void {
  writeFileAtomic(path, encodeGrayPng(img));
}

// ---- PNG structure, checked before decoding ----
// pngjs (host/png.ts) is lenient: a PNG without IDAT, with IDAT that is not zlib data, or with too
// little pixel data decodes to a black image, and it takes bit depths the colour type forbids. The
// CLI reads PNGs through readPngChecked, which walks every chunk (lengths, CRCs, order), checks the
// IHDR fields against the PNG specification and inflates the image data to the exact size the header
// implies, then decodes. 
const PNG_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

let crcTable: Uint32Array | undefined;
function crc32(b: Uint8Array, start: number, end: number): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = crcTable[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Bytes of filtered scanlines (filter byte included) an image of this header inflates to. */
function pngRawBytes(width: number, height: number, bitsPerPixel: number, interlaced: boolean): number {
  const rows = (w: number, h: number) => (w > 0 && h > 0 ? h * (1 + Math.ceil((w * bitsPerPixel) / 8)) : 0);
  if (!interlaced) return rows(width, height);
  return ADAM7.reduce((sum, [x0, y0, dx, dy]) => sum + rows(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy)), 0);
}

/** Throws a one-line "corrupt PNG (…)" error unless the chunk structure and image data are sound. */
function checkPngStructure(buf: Uint8Array, name: string): void {
  const bad = (why: string): never => fileError(name, `corrupt PNG (${why})`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 8, ihdr: { width: number; height: number; depth: number; color: number; interlace: number } | undefined;
  let sawPlte = false, sawIend = false, idatDone = false;
  const idat: Uint8Array[] = [];
  while (pos < buf.length && !sawIend) {
    if (pos + 12 > buf.length) bad(`chunk at byte ${pos} is cut off`);
    const len = dv.getUint32(pos), type = String.fromCharCode(...buf.subarray(pos + 4, pos + 8));
    if (!/^[A-Za-z]{4}$/.test(type)) bad(`chunk at byte ${pos} has an invalid type`);
    if (len > 0x7fffffff || pos + 12 + len > buf.length) bad(`${type} chunk at byte ${pos} claims ${len} bytes, past the end of the file`);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (crc32(buf, pos + 4, pos + 8 + len) !== dv.getUint32(pos + 8 + len)) bad(`CRC error in the ${type} chunk at byte ${pos}`);
    if (!ihdr && type !== "IHDR") bad("first chunk is not IHDR");
    if (type === "IHDR") {
      if (ihdr) bad("two IHDR chunks");
      if (len !== 13) bad(`IHDR is ${len} bytes, not 13`);
      const h = { width: dv.getUint32(pos + 8), height: dv.getUint32(pos + 12), depth: data[8], color: data[9], interlace: data[12] };
      if (!h.width || !h.height || h.width > 0x7fffffff || h.height > 0x7fffffff) bad(`IHDR says ${h.width}×${h.height} pixels`);
      if (!PNG_DEPTHS[h.color]) bad(`colour type ${h.color} does not exist`);
      if (!PNG_DEPTHS[h.color].includes(h.depth)) bad(`bit depth ${h.depth} is not allowed for colour type ${h.color}`);
      if (data[10] !== 0 || data[11] !== 0) bad(`compression ${data[10]} / filter method ${data[11]} (only 0 exists)`);
      if (h.interlace > 1) bad(`interlace method ${h.interlace} does not exist`);
      ihdr = h;
    } else if (type === "PLTE") {
      if (sawPlte || idat.length) bad("PLTE after IDAT or repeated");
      if (len === 0 || len % 3 || len > 768) bad(`PLTE of ${len} bytes (1 to 256 RGB entries)`);
      sawPlte = true;
    } else if (type === "IDAT") {
      if (idatDone) bad("IDAT chunks are not consecutive");
      idat.push(data);
    } else if (type === "IEND") {
      sawIend = true;
    } else if (idat.length) {
      idatDone = true;
    }
    pos += 12 + len;
  }
  if (!ihdr) return bad("no IHDR chunk");
  if (ihdr.color === 3 && !sawPlte) bad("palette image without a PLTE chunk");
  if ((ihdr.color === 0 || ihdr.color === 4) && sawPlte) bad(`PLTE in a colour type ${ihdr.color} image`);
  if (!idat.length) bad("no IDAT chunk");
  if (!sawIend) bad("no IEND chunk (file cut off?)");
  if (ihdr.width * ihdr.height > MAX_PIXELS) return; // decodePng refuses it with the size
  const expected = pngRawBytes(ihdr.width, ihdr.height, ihdr.depth * PNG_CHANNELS[ihdr.color], ihdr.interlace === 1);
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat), { maxOutputLength: expected });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ERR_BUFFER_TOO_LARGE") return; // more data than needed: decoders ignore the rest
    return bad(`image data is not a valid zlib stream: ${err.message}`);
  }
  if (raw.length < expected) bad(`image data inflates to ${raw.length} bytes, the header needs ${expected}`);
}

/** Width and height from a PNG's IHDR (its first 24 bytes), or undefined when it is not one (readPngChecked says why). */
export function pngSize(path: string): { width: number; height: number } | undefined {
  const head = Buffer.alloc(24);
  try {
    const fd = openSync(path, "r");
    try {
      if (readSync(fd, head, 0, 24, 0) < 24) return undefined;
    } finally {
      closeSync(fd);
    }
  } catch {
    return undefined;
  }
  if (head.readUInt32BE(0) !== 0x89504e47 || head.toString("latin1", 12, 16) !== "IHDR") return undefined;
  const width = head.readUInt32BE(16), height = head.readUInt32BE(20);
  return width > 0 && height > 0 ? { width, height } : undefined;
}

/** A PNG file's bytes, its structure checked (checkPngStructure) when it has a PNG signature; the decoders refuse the rest. */
function readPngBytesChecked(path: string): Buffer {
  const buf = readFileChecked(path);
  if (buf.length >= 33 && buf.readUInt32BE(0) === 0x89504e47 && buf.readUInt32BE(4) === 0x0d0a1a0a) {
    const w = buf.readUInt32BE(16), h = buf.readUInt32BE(20);
    if (w * h <= MAX_PIXELS) checkPngStructure(buf, path);
  }
  return buf;
}

/** Reads and decodes a PNG to gray, refusing damaged files (see checkPngStructure) with one-line errors. */
export function readPngChecked(path: string): GrayImage {
  return decodePng(readPngBytesChecked(path), path);
}

// PNG in and out, as planes (host/core/image.ts PlanarImage). pngHeader checks a file's signature
// and IHDR (size, bit depth, colour type, methods, the pixel limit) from its first 33 bytes, so a
// file claiming 100 000 × 100 000 pixels is refused before anything is allocated for it;
// decodePngPlanes then checks the chunk structure and image data (checkPngStructure: pngjs is
// lenient) and decodes any PNG (1/2/4/8/16-bit; gray, gray + alpha, RGB, RGBA, palette; interlaced
// or not) to one or three planes in [0, 1], and alpha when any pixel is not opaque.
// encodePngPlanes writes 8-bit gray, gray + alpha, RGB or RGBA; encodeRgbPng 8-bit RGB (charts).
import { PNG } from "pngjs";
import { byte8, MAX_PIXELS, planesFromRgba, type PlanarImage } from "../core/image.js";
import { fileError } from "../core/errors.js";
import { inflateSync } from "node:zlib";

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Largest image accepted: 64 megapixels (host/core/image.ts, shared with the page). */
export { MAX_PIXELS };
/** Bytes of a PNG that pngHeader reads: the signature and the IHDR chunk. */
export const PNG_HEADER_BYTES = 33;

/** What a PNG's IHDR says. */
export interface PngHeader {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  interlace: number;
}

/**
 * The IHDR of a PNG, from its first PNG_HEADER_BYTES bytes, checked against the PNG specification
 * and MAX_PIXELS; a one-line error naming `name` otherwise. Reads nothing past the IHDR chunk.
 */
export function pngHeader(buf: Uint8Array, name: string): PngHeader {
  if (buf.length < PNG_HEADER_BYTES || SIGNATURE.some((b, i) => buf[i] !== b))
    fileError(name, "not a PNG file (bad signature)");
  const bad = (why: string): never => fileError(name, `corrupt PNG (${why})`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  if (String.fromCharCode(...buf.subarray(12, 16)) !== "IHDR") bad("first chunk is not IHDR");
  if (view.getUint32(8) !== 13) bad(`IHDR is ${view.getUint32(8)} bytes, not 13`);
  const h = {
    width: view.getUint32(16),
    height: view.getUint32(20),
    depth: buf[24],
    colorType: buf[25],
    interlace: buf[28],
  };
  if (!h.width || !h.height || h.width > 0x7fffffff || h.height > 0x7fffffff)
    bad(`IHDR says ${h.width}×${h.height} pixels`);
  if (h.width * h.height > MAX_PIXELS)
    fileError(name, `PNG is ${h.width}×${h.height} pixels, over the ${MAX_PIXELS}-pixel limit`);
  if (!PNG_DEPTHS[h.colorType]) bad(`colour type ${h.colorType} does not exist`);
  if (!PNG_DEPTHS[h.colorType].includes(h.depth))
    bad(`bit depth ${h.depth} is not allowed for colour type ${h.colorType}`);
  if (buf[26] !== 0 || buf[27] !== 0) bad(`compression ${buf[26]} / filter method ${buf[27]} (only 0 exists)`);
  if (h.interlace > 1) bad(`interlace method ${h.interlace} does not exist`);
  if (crc32(buf, 12, 29) !== view.getUint32(29)) bad("CRC error in the IHDR chunk at byte 8");
  return h;
}

/**
 * Decodes PNG bytes to planes, colour kept: three planes when the image has colour (a gray image
 * stored as RGB or palette gives one), and alpha when any pixel is not opaque. The header
 * (pngHeader) and the chunk structure (checkPngStructure) are checked first; `name` is used in
 * the one-line errors.
 */
export function decodePngPlanes(buf: Uint8Array, name: string): PlanarImage {
  const header = pngHeader(buf, name),
    { width, height, depth, colorType } = header;
  checkPngStructure(buf, header, name);
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength), { skipRescale: true } as never);
  } catch (e) {
    fileError(name, `corrupt PNG (${(e as Error).message})`);
  }
  // skipRescale keeps RGBA samples at their stored depth (palette entries are always 8-bit RGB).
  const src = png.data as unknown as Uint8Array | Uint16Array;
  if (png.width !== width || png.height !== height || src.length < 4 * width * height)
    fileError(name, "corrupt PNG (pixel data shorter than the header says)");
  const img = planesFromRgba(src, width, height, colorType === 3 ? 255 : 2 ** depth - 1);
  return depth === 16 ? { ...img, depth: 16 } : img;
}

/** Encodes planes ([0, 1], clipped, rounded) as a PNG of 8 bits (16 when img.depth is 16): gray, gray + alpha, RGB or RGBA. */
export function encodePngPlanes(img: PlanarImage): Buffer {
  const planes = img.alpha ? [...img.planes, img.alpha] : img.planes,
    k = planes.length,
    n = img.width * img.height;
  const colorType = img.planes.length === 3 ? (img.alpha ? 6 : 2) : img.alpha ? 4 : 0;
  // pngjs takes gray (no alpha) or RGB(A) input; gray + alpha goes in as RGBA.
  const inRgba = colorType === 4;
  const inK = inRgba ? 4 : k;
  const wide = img.depth === 16;
  // 16-bit: pngjs takes the samples as native-endian 16-bit words and writes them big-endian.
  const words = wide ? new Uint16Array(n * inK) : undefined;
  const data = words ? Buffer.from(words.buffer) : Buffer.alloc(n * inK);
  const out = words ?? data;
  const q = wide ? (v: number) => Math.round(Math.min(1, Math.max(0, v)) * 65535) : byte8;
  for (let i = 0; i < n; i++) {
    if (inRgba) {
      const g = q(planes[0][i]);
      out[4 * i] = out[4 * i + 1] = out[4 * i + 2] = g;
      out[4 * i + 3] = q(planes[1][i]);
    } else {
      for (let c = 0; c < k; c++) out[inK * i + c] = q(planes[c][i]);
    }
  }
  const inputColorType = inRgba ? 6 : colorType;
  const opts = {
    width: img.width,
    height: img.height,
    colorType,
    inputColorType,
    bitDepth: wide ? 16 : 8,
    inputHasAlpha: inputColorType === 6,
  };
  const png = new PNG(opts as never);
  png.data = data;
  return PNG.sync.write(png, opts as never);
}

/** Encodes 8-bit RGB pixels (width·height·3 bytes) as a colour PNG (charts). */
export function encodeRgbPng(width: number, height: number, rgb: Uint8Array): Buffer {
  const png = new PNG({ width, height, colorType: 2, inputColorType: 2, inputHasAlpha: false } as never);
  png.data = Buffer.from(rgb.buffer, rgb.byteOffset, rgb.byteLength);
  return PNG.sync.write(png, { colorType: 2, inputColorType: 2, inputHasAlpha: false } as never);
}

// ---- PNG structure, checked before decoding ----
// pngjs is lenient: a PNG without IDAT, with IDAT that is not zlib data, or with too little pixel
// data decodes to a black image, and it takes bit depths the colour type forbids. decodePngPlanes
// therefore checks the IHDR fields against the PNG specification (pngHeader), walks every chunk
// (lengths, CRCs, order) and inflates the image data to the exact size the header implies
// (checkPngStructure) before pngjs decodes.
const PNG_DEPTHS: Record<number, number[]> = {
  0: [1, 2, 4, 8, 16],
  2: [8, 16],
  3: [1, 2, 4, 8],
  4: [8, 16],
  6: [8, 16],
};
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

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
  return ADAM7.reduce(
    (sum, [x0, y0, dx, dy]) => sum + rows(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy)),
    0,
  );
}

/** Throws a one-line "corrupt PNG (…)" error unless the chunk structure and image data are sound. */
function checkPngStructure(buf: Uint8Array, ihdr: PngHeader, name: string): void {
  const bad = (why: string): never => fileError(name, `corrupt PNG (${why})`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 8,
    sawPlte = false,
    sawIend = false,
    idatDone = false;
  const idat: Uint8Array[] = [];
  while (pos < buf.length && !sawIend) {
    if (pos + 12 > buf.length) bad(`chunk at byte ${pos} is cut off`);
    const len = dv.getUint32(pos),
      type = String.fromCharCode(...buf.subarray(pos + 4, pos + 8));
    if (!/^[A-Za-z]{4}$/.test(type)) bad(`chunk at byte ${pos} has an invalid type`);
    if (len > 0x7fffffff || pos + 12 + len > buf.length)
      bad(`${type} chunk at byte ${pos} claims ${len} bytes, past the end of the file`);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (crc32(buf, pos + 4, pos + 8 + len) !== dv.getUint32(pos + 8 + len))
      bad(`CRC error in the ${type} chunk at byte ${pos}`);
    if (type === "IHDR" && pos !== 8) bad("two IHDR chunks"); // the first one is pngHeader's
    if (type === "PLTE") {
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
  if (ihdr.colorType === 3 && !sawPlte) bad("palette image without a PLTE chunk");
  if ((ihdr.colorType === 0 || ihdr.colorType === 4) && sawPlte) bad(`PLTE in a colour type ${ihdr.colorType} image`);
  if (!idat.length) bad("no IDAT chunk");
  if (!sawIend) bad("no IEND chunk (file cut off?)");
  const expected = pngRawBytes(
    ihdr.width,
    ihdr.height,
    ihdr.depth * PNG_CHANNELS[ihdr.colorType],
    ihdr.interlace === 1,
  );
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

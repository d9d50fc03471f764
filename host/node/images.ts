// Image files in and out for every command, as planes (host/core/image.ts PlanarImage): PNG (pngjs,
// structure-checked: host/node/png.ts) and JPEG (jpeg-js, pure JS), told apart by their first bytes;
// written as PNG, or as JPEG when the output path ends in .jpg / .jpeg. readImageHeader checks a
// file from its header alone (format, size, limits), so a command can refuse a bad input before it
// writes anything; readImagePlanes reads a file once and decodes it once. Every problem is a
// one-line error naming the file.
import jpeg from "jpeg-js";
import { fileError } from "../core/errors.js";
import { planesFromRgba, rgba8, type PlanarImage } from "../core/image.js";
import { readFileChecked, readHeadChecked, writeFileAtomic } from "./files.js";
import { decodePngPlanes, encodePngPlanes, MAX_PIXELS, PNG_HEADER_BYTES, pngHeader } from "./png.js";

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
  for (let pos = 2; pos + 9 <= b.length; ) {
    if (b[pos] !== 0xff) return undefined;
    const m = b[pos + 1];
    if (m === 0xff) {
      pos++;
      continue;
    }
    if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc)
      return { height: (b[pos + 5] << 8) | b[pos + 6], width: (b[pos + 7] << 8) | b[pos + 8] };
    if (m === 0xd8 || (m >= 0xd0 && m <= 0xd7)) {
      pos += 2;
      continue;
    }
    pos += 2 + ((b[pos + 2] << 8) | b[pos + 3]);
  }
  return undefined;
}

/** What an image file's header says: its format, and its size (undefined when a JPEG's frame header lies past the bytes read). */
export interface ImageHeader {
  format: "png" | "jpeg";
  width?: number;
  height?: number;
}

/**
 * Checks an image from its first bytes (`head`) and its file size: a PNG's signature and IHDR
 * (pngHeader: size, bit depth, colour type, methods, the pixel limit), a JPEG's frame size against
 * the pixel limit and MAX_JPEG_PIXELS_PER_BYTE. A one-line error naming `name` unless it is sound.
 */
export function imageHeader(head: Uint8Array, fileBytes: number, name: string): ImageHeader {
  if (isPng(head)) {
    const { width, height } = pngHeader(head, name);
    return { format: "png", width, height };
  }
  if (!isJpeg(head)) fileError(name, "not a PNG or JPEG file");
  const size = jpegSize(head);
  if (!size) {
    if (head.length >= fileBytes) fileError(name, "corrupt JPEG (no frame header)");
    return { format: "jpeg" }; // past the bytes read (large EXIF / ICC segments): decodeJpegPlanes checks it
  }
  const { width: w, height: h } = size;
  if (!(w > 0 && h > 0)) fileError(name, `JPEG header says ${w}×${h} pixels`);
  if (w * h > MAX_PIXELS) fileError(name, `JPEG is ${w}×${h} pixels, over the ${MAX_PIXELS}-pixel limit`);
  if (w * h > MAX_JPEG_PIXELS_PER_BYTE * fileBytes) {
    fileError(
      name,
      `JPEG declares ${w}×${h} pixels in ${fileBytes} bytes (over ${MAX_JPEG_PIXELS_PER_BYTE} a byte): truncated, or a decompression bomb`,
    );
  }
  return { format: "jpeg", width: w, height: h };
}

/**
 * Checks an image file from its header (imageHeader): a PNG's first 33 bytes; a JPEG's first 4 KiB,
 * or 64 KiB, or 1 MiB, as far as its frame header lies (after EXIF / ICC segments).
 */
export function readImageHeader(path: string): ImageHeader {
  let { head, size } = readHeadChecked(path, PNG_HEADER_BYTES);
  for (const bytes of [2 ** 12, 2 ** 16, 2 ** 20]) {
    if (!isJpeg(head) || jpegSize(head) || head.length >= size) break;
    ({ head, size } = readHeadChecked(path, bytes));
  }
  return imageHeader(head, size, path);
}

/** JPEG bytes to planes (gray when every pixel is gray, else RGB; JPEG has no alpha), its header checked first (imageHeader). */
export function decodeJpegPlanes(buf: Uint8Array, name: string): PlanarImage {
  imageHeader(buf, buf.length, name);
  let raw: { width: number; height: number; data: Uint8Array };
  try {
    raw = jpeg.decode(buf, {
      useTArray: true,
      formatAsRGBA: true,
      maxResolutionInMP: MAX_PIXELS / 1e6,
      maxMemoryUsageInMB: 2048,
    });
  } catch (e) {
    fileError(name, `corrupt JPEG (${String((e as Error).message ?? e).split("\n")[0]})`);
  }
  const { width, height, data } = raw;
  const n = width * height;
  if (!(width > 0 && height > 0) || data.length < 4 * n) fileError(name, "corrupt JPEG (no image data)");
  return planesFromRgba(data, width, height); // jpeg-js gives alpha 255: no alpha plane
}

/** PNG or JPEG bytes as planes (decodePngPlanes, decodeJpegPlanes), with one-line errors naming `name`. */
export function decodeImage(buf: Uint8Array, name: string): PlanarImage {
  if (isJpeg(buf)) return decodeJpegPlanes(buf, name);
  if (isPng(buf)) return decodePngPlanes(buf, name);
  return fileError(name, "not a PNG or JPEG file");
}

/** Reads a PNG or JPEG file as planes: read once, decoded once, with one-line errors. */
export function readImagePlanes(path: string): PlanarImage {
  return decodeImage(readFileChecked(path), path);
}

/** Planes as the bytes of a PNG, or of a JPEG (quality 95; alpha dropped) for a .jpg / .jpeg path. */
export function encodeImagePlanes(path: string, img: PlanarImage): Uint8Array {
  if (!/\.jpe?g$/i.test(path)) return encodePngPlanes(img);
  return jpeg.encode({ width: img.width, height: img.height, data: rgba8({ ...img, alpha: undefined }) }, 95).data;
}

/** Writes planes as PNG, or as JPEG (quality 95; alpha dropped) for a .jpg / .jpeg path. */
export function writeImagePlanes(path: string, img: PlanarImage): void {
  writeFileAtomic(path, encodeImagePlanes(path, img));
}

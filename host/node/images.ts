// Image files in and out for every command, as planes (host/core/image.ts PlanarImage): PNG (pngjs,
// structure-checked: host/node/png.ts) and JPEG (read as libjpeg-turbo decodes it: host/node/jpeg.ts;
// written by jpeg-js, pure JS), told apart by their first bytes; written as PNG, or as JPEG when the
// output path ends in .jpg / .jpeg. readImageHeader checks a
// file from its header alone (format, size, limits), so a command can refuse a bad input before it
// writes anything; readImagePlanes reads a file once and decodes it once. Every problem is a
// one-line error naming the file.
import jpeg from "jpeg-js";
import { fileError } from "../core/errors.js";
import { planesFromRgba, rgba8, type PlanarImage } from "../core/image.js";
import { readFileChecked, readHeadChecked, writeFileAtomic } from "./files.js";
import { jpegSize, jpegSizeProblem } from "../core/jpeg.js";
import { decodeJpegRgba } from "./jpeg.js";
import { isWebp, webpSize, webpSizeProblem } from "../core/webp.js";
import { decodeWebpRgba } from "./webp.js";

export { jpegSize, MAX_JPEG_PIXELS_PER_BYTE } from "../core/jpeg.js";
import { decodePngPlanes, encodePngPlanes, PNG_HEADER_BYTES, pngHeader } from "./png.js";

const isJpeg = (b: Uint8Array) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
const isPng = (b: Uint8Array) => b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47;

/** What an image file's header says: its format, and its size (undefined when a JPEG's frame header lies past the bytes read). */
export interface ImageHeader {
  format: "png" | "jpeg" | "webp";
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
  if (isWebp(head)) {
    const size = webpSize(head);
    if (!size) fileError(name, "corrupt WebP (no VP8, VP8L or VP8X header)");
    const problem = webpSizeProblem(size, fileBytes);
    if (problem) fileError(name, problem);
    return { format: "webp", ...size };
  }
  if (!isJpeg(head)) fileError(name, "not a PNG, JPEG or WebP file");
  const size = jpegSize(head);
  if (!size) {
    if (head.length >= fileBytes) fileError(name, "corrupt JPEG (no frame header)");
    return { format: "jpeg" }; // past the bytes read (large EXIF / ICC segments): decodeJpegPlanes checks it
  }
  const problem = jpegSizeProblem(size, fileBytes);
  if (problem) fileError(name, problem);
  const { width: w, height: h } = size;
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

/**
 * JPEG bytes to planes (gray when every pixel is gray, else RGB; JPEG has no alpha), its header
 * checked first (imageHeader), decoded as libjpeg-turbo does (decodeJpegRgba).
 */
export function decodeJpegPlanes(buf: Uint8Array, name: string): PlanarImage {
  imageHeader(buf, buf.length, name);
  let raw: { width: number; height: number; data: Uint8ClampedArray };
  try {
    raw = decodeJpegRgba(buf);
  } catch (e) {
    fileError(name, (e as Error).message); // "corrupt JPEG (<libjpeg's message>)"
  }
  const { width, height, data } = raw;
  return planesFromRgba(data, width, height); // alpha is 255: no alpha plane
}

/** PNG or JPEG bytes as planes (decodePngPlanes, decodeJpegPlanes), with one-line errors naming `name`. */
export function decodeImage(buf: Uint8Array, name: string): PlanarImage {
  if (isJpeg(buf)) return decodeJpegPlanes(buf, name);
  if (isPng(buf)) return decodePngPlanes(buf, name);
  if (isWebp(buf)) {
    imageHeader(buf, buf.length, name);
    let raw: ReturnType<typeof decodeWebpRgba>;
    try {
      raw = decodeWebpRgba(buf);
    } catch (e) {
      fileError(name, (e as Error).message);
    }
    return planesFromRgba(raw.data, raw.width, raw.height);
  }
  return fileError(name, "not a PNG, JPEG or WebP file");
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

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

/** JPEG bytes to planes (gray when every pixel is gray, else RGB; JPEG has no alpha). */
export function decodeJpegPlanes(buf: Uint8Array, name: string): PlanarImage {
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

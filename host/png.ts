// PNG in and out. Any PNG (1/2/4/8/16-bit; gray, gray+alpha, RGB, RGBA, palette; interlaced or not)
// decodes to gray f32 in [0, 1]: colour by ITU-R 601 luma (0.299 R + 0.587 G + 0.114 B, as PIL's
// convert("L")), alpha composited over black (MNIST's background). Output is 8-bit gray.
// The header is checked before decoding, so a file claiming 100 000 × 100 000 pixels is refused
// without allocating for it.
import { PNG } from "pngjs";
import type { GrayImage } from "./denoise.js";
import { fileError } from "./errors.js";
import { readFileChecked, writeFileAtomic } from "./node.js";

const SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Largest image accepted: 64 megapixels. */
export const MAX_PIXELS = 64 * 1024 * 1024;


/** Decodes PNG bytes to gray; `name` is used in error messages. */
export function decodePng(buf: Uint8Array, name: string): GrayImage {
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
  const max = colorType === 3 ? 255 : 2 ** depth - 1;
  const n = width * height;
  if (src.length < 4 * n) fileError(name, "corrupt PNG (pixel data shorter than the header says)");
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = src[4 * i], g = src[4 * i + 1], b = src[4 * i + 2], a = src[4 * i + 3];
    data[i] = ((0.299 * r + 0.587 * g + 0.114 * b) / max) * (a / max);
  }
  return { width, height, data };
}

export function readPng(path: string): GrayImage {
  return decodePng(readFileChecked(path), path);
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

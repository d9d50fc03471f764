// JPEG decoding as libjpeg-turbo decodes it (ISLOW integer IDCT, "fancy" triangular chroma
// upsampling): MozJPEG's decoder built to wasm, from the npm dependency @jsquash/jpeg (its
// codec/dec/mozjpeg_dec.js glue and .wasm, used without its async wrapper). Node
// (host/node/jpeg.ts, synchronous) and the page (host/browser.ts, asynchronous) both go through
// jpegCodecOptions and decodeJpegWith, so a file decodes to the same pixels in both. Every decode
// gets a fresh instance of the compiled module: nothing is left over from a failed decode, and a big
// image's wasm memory is freed with it. EXIF orientation is not applied (as jpeg-js did before).

import { jpegOrientation, orientRgba } from "./exif.js";
import { MAX_PIXELS } from "./image.js";

/**
 * Most pixels a JPEG may declare per byte of file. A flat baseline JPEG needs a few bits per 8×8
 * block (under 256 pixels a byte); a 2.5 KB file declaring 8000×8000 made jpeg-js (the decoder
 * then) spend 37 s and 1.9 GB before it failed. Checked from the frame header, before decoding.
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

/**
 * What is wrong with a JPEG's declared size (jpegSize) in a file of `fileBytes` bytes: not positive,
 * over MAX_PIXELS, or over MAX_JPEG_PIXELS_PER_BYTE (truncated, or a decompression bomb);
 * undefined when it is sound.
 */
export function jpegSizeProblem(size: { width: number; height: number }, fileBytes: number): string | undefined {
  const { width: w, height: h } = size;
  if (!(w > 0 && h > 0)) return `JPEG header says ${w}×${h} pixels`;
  if (w * h > MAX_PIXELS) return `JPEG is ${w}×${h} pixels, over the ${MAX_PIXELS}-pixel limit`;
  if (w * h > MAX_JPEG_PIXELS_PER_BYTE * fileBytes)
    return `JPEG declares ${w}×${h} pixels in ${fileBytes} bytes (over ${MAX_JPEG_PIXELS_PER_BYTE} a byte): truncated, or a decompression bomb`;
  return undefined;
}

/** The decoder's Emscripten module, as far as it is used here (codec/dec/mozjpeg_dec.d.ts). */
export interface JpegCodec {
  decode(data: Uint8Array, preserveOrientation: boolean): JpegRgba | null;
}

/** The glue's default export: makes a JpegCodec from module options. */
export type JpegCodecFactory = (options: Record<string, unknown>) => Promise<JpegCodec>;

/** A decoded JPEG: 8-bit RGBA (alpha 255; a gray file has R = G = B). */
export interface JpegRgba {
  width: number;
  height: number;
  data: Uint8ClampedArray;
}

/** The decoder's files inside the @jsquash/jpeg package. */
export const JPEG_CODEC_GLUE = "codec/dec/mozjpeg_dec.js";
export const JPEG_CODEC_WASM = "codec/dec/mozjpeg_dec.wasm";

/**
 * libjpeg warnings that mean image data is missing (it would fill the rest with gray and go on):
 * refused like a fatal error. Other warnings (e.g. extraneous bytes before a marker) are not, as
 * djpeg and browsers decode such files. libjpeg prints only a decode's first warning.
 */
const DATA_MISSING = /premature end/i;

/**
 * Options for the glue's factory: `instantiate` makes the wasm instance from the glue's imports
 * (new WebAssembly.Instance in Node, so the codec is ready when the factory returns; an async
 * WebAssembly.instantiate in a browser, whose main thread may not compile or instantiate big modules
 * synchronously), and libjpeg's messages go to `messages` instead of the console.
 */
export function jpegCodecOptions(
  module: WebAssembly.Module,
  sync: boolean,
  messages: string[],
): Record<string, unknown> {
  const log = (s: string) => void messages.push(String(s));
  return {
    noInitialRun: true,
    print: log,
    printErr: log,
    instantiateWasm(imports: WebAssembly.Imports, done: (i: WebAssembly.Instance) => void) {
      if (sync) {
        const instance = new WebAssembly.Instance(module, imports);
        done(instance);
        return instance.exports;
      }
      WebAssembly.instantiate(module, imports).then(done);
      return {};
    },
  };
}

/**
 * Decodes JPEG bytes with a codec made from jpegCodecOptions(…, messages), after checking the frame
 * header's size (jpegSizeProblem: a small file that declares a huge image is refused before any
 * decoding). Throws an Error saying what is wrong: the size problem, or "corrupt JPEG (<libjpeg's
 * message>)", e.g. "corrupt JPEG (Premature end of JPEG file)" for a file cut short. The pixels come
 * upright: a camera's EXIF orientation is applied (host/core/exif.ts).
 */
export function decodeJpegWith(codec: JpegCodec, bytes: Uint8Array, messages: string[]): JpegRgba {
  const corrupt = (why: string) => new Error(`corrupt JPEG (${why.split("\n")[0]})`);
  const size = jpegSize(bytes);
  if (!size) throw corrupt("no frame header");
  const problem = jpegSizeProblem(size, bytes.length);
  if (problem) throw new Error(problem);
  let out: JpegRgba | null;
  try {
    out = codec.decode(bytes, false);
  } catch (e) {
    // libjpeg's fatal errors end in exit(1) (the glue throws an ExitStatus); its message came first.
    throw corrupt(messages.at(-1) ?? String((e as Error)?.message ?? e));
  }
  const missing = messages.find((m) => DATA_MISSING.test(m));
  if (missing) throw corrupt(missing);
  if (!out || !(out.width > 0 && out.height > 0) || out.data.length < 4 * out.width * out.height)
    throw corrupt(messages.at(-1) ?? "no image data");
  // Upright as viewers show it (EXIF orientation applied; the output carries no orientation tag).
  return orientRgba({ width: out.width, height: out.height, data: out.data }, jpegOrientation(bytes));
}

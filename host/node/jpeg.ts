// The JPEG decoder in Node (host/core/jpeg.ts): @jsquash/jpeg's MozJPEG decoder, its glue imported
// and its .wasm read from node_modules (wherever npm put the dependency) and compiled once, on the
// first JPEG; each decode instantiates it synchronously, so decoding stays a plain function call.
// Nothing downloads.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import glue from "@jsquash/jpeg/codec/dec/mozjpeg_dec.js";
import {
  decodeJpegWith,
  JPEG_CODEC_WASM,
  type JpegCodec,
  type JpegCodecFactory,
  jpegCodecOptions,
  type JpegRgba,
} from "../core/jpeg.js";

const factory = glue as unknown as JpegCodecFactory;
let module: WebAssembly.Module | undefined;

/** JPEG bytes to RGBA as libjpeg-turbo decodes them; an Error saying what is wrong ("corrupt JPEG (…)") otherwise. */
export function decodeJpegRgba(bytes: Uint8Array): JpegRgba {
  module ??= new WebAssembly.Module(
    readFileSync(createRequire(import.meta.url).resolve(`@jsquash/jpeg/${JPEG_CODEC_WASM}`)),
  );
  const messages: string[] = [],
    options = jpegCodecOptions(module, true, messages);
  // With a synchronous instantiateWasm the glue sets up its exports on `options` before it returns.
  factory(options).catch(() => {});
  const codec = options as unknown as JpegCodec;
  if (typeof codec.decode !== "function") throw new Error("@jsquash/jpeg's decoder did not start synchronously");
  return decodeJpegWith(codec, bytes, messages);
}

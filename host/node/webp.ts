// The WebP decoder in Node: @jsquash/webp's libwebp decoder (wasm), its glue imported and its .wasm
// read from node_modules and compiled once, instantiated synchronously per decode as the JPEG decoder
// is (host/node/jpeg.ts). Nothing downloads.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import glue from "@jsquash/webp/codec/dec/webp_dec.js";
import { jpegCodecOptions } from "../core/jpeg.js";

interface WebpCodec {
  decode(bytes: Uint8Array): { width: number; height: number; data: Uint8ClampedArray } | null;
}
const factory = glue as unknown as (o: Record<string, unknown>) => Promise<unknown>;
let module: WebAssembly.Module | undefined;

/** WebP bytes to 8-bit RGBA; an Error ("corrupt WebP") when libwebp cannot decode them. */
export function decodeWebpRgba(bytes: Uint8Array): { width: number; height: number; data: Uint8ClampedArray } {
  module ??= new WebAssembly.Module(
    readFileSync(createRequire(import.meta.url).resolve("@jsquash/webp/codec/dec/webp_dec.wasm")),
  );
  const messages: string[] = [],
    options = jpegCodecOptions(module, true, messages); // the same emscripten glue options
  factory(options).catch(() => {});
  const codec = options as unknown as WebpCodec;
  if (typeof codec.decode !== "function") throw new Error("@jsquash/webp's decoder did not start synchronously");
  let out: ReturnType<WebpCodec["decode"]>;
  try {
    out = codec.decode(bytes);
  } catch (e) {
    throw new Error(`corrupt WebP (${messages.at(-1) ?? (e as Error)?.message ?? e})`);
  }
  if (!out || !(out.width > 0 && out.height > 0) || out.data.length < 4 * out.width * out.height)
    throw new Error("corrupt WebP (libwebp could not decode it)");
  return { width: out.width, height: out.height, data: out.data };
}

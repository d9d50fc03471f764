// WebP in Node: @jsquash/webp's libwebp decoder and encoder (wasm), instantiated synchronously
// (host/node/codec.ts). Written lossless (exact: a denoiser's output keeps what it computed, with no
// 4:2:0 chroma or block artefacts of its own; denoised photos are smooth, which lossless WebP packs
// well), alpha kept.
import decGlue from "@jsquash/webp/codec/dec/webp_dec.js";
import encGlue from "@jsquash/webp/codec/enc/webp_enc.js";
import { defaultOptions } from "@jsquash/webp/meta.js";
import { syncCodec } from "./codec.js";

type Rgba = { width: number; height: number; data: Uint8ClampedArray };

/** WebP bytes to 8-bit RGBA; an Error ("corrupt WebP") when libwebp cannot decode them. */
export function decodeWebpRgba(bytes: Uint8Array): Rgba {
  const messages: string[] = [];
  const codec = syncCodec<{ decode?(b: Uint8Array): Rgba | null }>(
    decGlue,
    "@jsquash/webp/codec/dec/webp_dec.wasm",
    messages,
  );
  if (typeof codec.decode !== "function") throw new Error("@jsquash/webp's decoder did not start synchronously");
  let out: Rgba | null;
  try {
    out = codec.decode(bytes);
  } catch (e) {
    throw new Error(`corrupt WebP (${messages.at(-1) ?? (e as Error)?.message ?? e})`);
  }
  if (!out || !(out.width > 0 && out.height > 0) || out.data.length < 4 * out.width * out.height)
    throw new Error("corrupt WebP (libwebp could not decode it)");
  return { width: out.width, height: out.height, data: out.data };
}

/** 8-bit RGBA as a lossless WebP (exact: transparent pixels keep their colour). */
export function encodeWebpRgba(rgba: Rgba): Uint8Array {
  const messages: string[] = [];
  const codec = syncCodec<{ encode?(d: Uint8ClampedArray, w: number, h: number, o: unknown): Uint8Array | null }>(
    encGlue,
    "@jsquash/webp/codec/enc/webp_enc.wasm",
    messages,
  );
  if (typeof codec.encode !== "function") throw new Error("@jsquash/webp's encoder did not start synchronously");
  const out = codec.encode(rgba.data, rgba.width, rgba.height, { ...defaultOptions, lossless: 1, exact: 1 });
  if (!out) throw new Error(`WebP encoder failed${messages.length ? ` (${messages.at(-1)})` : ""}`);
  return new Uint8Array(out);
}

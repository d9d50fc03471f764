// AVIF in Node: @jsquash/avif's libavif decoder and encoder (wasm, AV1 by dav1d and libaom), instantiated
// synchronously (host/node/codec.ts). A file of more than 8 bits (its pixi box: host/core/heif.ts)
// decodes at 16 bits; an image of depth 16 is written at 12 bits, else at 8. Written lossy at quality
// 90 with full-resolution chroma (4:4:4): AVIF's lossless mode makes files larger than PNG's.
import decGlue from "@jsquash/avif/codec/dec/avif_dec.js";
import encGlue from "@jsquash/avif/codec/enc/avif_enc.js";
import { defaultOptions } from "@jsquash/avif/meta.js";
import { syncCodec } from "./codec.js";

type Samples = { width: number; height: number; data: Uint8ClampedArray | Uint16Array };

/** AVIF bytes to RGBA of 8 bits, or of 16 (0..65535) when `wide`; an Error ("corrupt AVIF") when libavif cannot decode them. */
export function decodeAvifRgba(bytes: Uint8Array, wide: boolean): Samples {
  const messages: string[] = [];
  const codec = syncCodec<{ decode?(b: Uint8Array, depth: number): Samples | null }>(
    decGlue,
    "@jsquash/avif/codec/dec/avif_dec.wasm",
    messages,
  );
  if (typeof codec.decode !== "function") throw new Error("@jsquash/avif's decoder did not start synchronously");
  let out: Samples | null;
  try {
    out = codec.decode(bytes, wide ? 16 : 8);
  } catch (e) {
    throw new Error(`corrupt AVIF (${messages.at(-1) ?? (e as Error)?.message ?? e})`);
  }
  if (!out || !(out.width > 0 && out.height > 0) || out.data.length < 4 * out.width * out.height)
    throw new Error(`corrupt AVIF (libavif could not decode it${messages.length ? `: ${messages.at(-1)}` : ""})`);
  return { width: out.width, height: out.height, data: out.data };
}

/**
 * libaom's speed, 0 (slowest, smallest) to 10. On a 512×512 photo (quality 90, 4:4:4; a loaded
 * 2-core machine): speed 6 took 6.8 s for 97 kB, 8 took 1.8 s for 90 kB, 9 took 0.33 s for 103 kB.
 */
export const AVIF_SPEED = 9;

/** RGBA as an AVIF: 8-bit samples at 8 bits, or 12-bit samples (0..4095, in a Uint16Array) at 12. */
export function encodeAvifRgba(rgba: Samples): Uint8Array {
  const messages: string[] = [];
  const codec = syncCodec<{ encode?(d: Uint8Array, w: number, h: number, o: unknown): Uint8Array | null }>(
    encGlue,
    "@jsquash/avif/codec/enc/avif_enc.wasm",
    messages,
  );
  if (typeof codec.encode !== "function") throw new Error("@jsquash/avif's encoder did not start synchronously");
  const d = rgba.data,
    out = codec.encode(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), rgba.width, rgba.height, {
      ...defaultOptions,
      quality: 90,
      subsample: 3,
      speed: AVIF_SPEED,
      bitDepth: d instanceof Uint16Array ? 12 : 8,
    });
  if (!out) throw new Error(`AVIF encoder failed${messages.length ? ` (${messages.at(-1)})` : ""}`);
  return new Uint8Array(out);
}

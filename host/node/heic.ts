// HEIC / HEIF in Node: libheif-js (libheif with libde265, built to wasm; its CommonJS glue run with the
// .wasm from node_modules, synchronously: host/node/codec.ts). Decoded to 8-bit RGBA of the primary
// image, upright (libheif applies the file's rotation and mirroring). There is no encoder here:
// HEIC inputs are written as PNG.
import { requireDependency, syncCodec } from "./codec.js";

interface HeifImage {
  get_width(): number;
  get_height(): number;
  display(target: { data: Uint8ClampedArray; width: number; height: number }, done: (d: unknown) => void): void;
  free?(): void;
}
interface Libheif {
  HeifDecoder?: new () => { decode(b: Uint8Array): HeifImage[] };
}

/** HEIC bytes to 8-bit RGBA (its primary image); an Error ("corrupt HEIC") when libheif cannot decode them. */
export function decodeHeicRgba(bytes: Uint8Array): { width: number; height: number; data: Uint8ClampedArray } {
  const messages: string[] = [];
  const lib = syncCodec<Libheif>(
    requireDependency("libheif-js/libheif-wasm/libheif.js"),
    "libheif-js/libheif-wasm/libheif.wasm",
    messages,
  );
  if (typeof lib.HeifDecoder !== "function") throw new Error("libheif-js did not start synchronously");
  const corrupt = (why: string) => new Error(`corrupt HEIC (${why})`);
  let images: HeifImage[];
  try {
    images = new lib.HeifDecoder().decode(bytes);
  } catch (e) {
    throw corrupt(messages.at(-1) ?? String((e as Error)?.message ?? e));
  }
  const image = images?.[0];
  if (!image) throw corrupt(messages.at(-1) ?? "libheif found no image in it");
  const width = image.get_width(),
    height = image.get_height();
  if (!(width > 0 && height > 0)) throw corrupt(`its image is ${width}×${height} pixels`);
  const target = { data: new Uint8ClampedArray(4 * width * height), width, height };
  let shown: unknown;
  image.display(target, (d) => (shown = d ?? null));
  if (shown === undefined) throw new Error("libheif-js did not decode synchronously");
  if (!shown) throw corrupt(messages.at(-1) ?? "libheif could not decode its image data");
  return target;
}

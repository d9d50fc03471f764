// HEIC / HEIF in Node: libheif-js (libheif with libde265, built to wasm; its CommonJS glue run with the
// .wasm from node_modules, synchronously: host/node/codec.ts), called through its libheif bindings,
// not its HeifDecoder wrapper (which logs to the console and hands the pixels over in a timer).
// Decoded to 8-bit RGBA of the first top-level image, upright (libheif applies the file's rotation
// and mirroring). There is no encoder here: HEIC inputs are written as PNG.
import { requireDependency, syncCodec } from "./codec.js";

type HeifError = { code: { value: number }; message: string };
interface Channel {
  id: unknown;
  width: number;
  height: number;
  stride: number;
  data: Uint8Array;
}
interface Libheif {
  heif_context_alloc(): unknown;
  heif_context_read_from_memory(ctx: unknown, b: Uint8Array): HeifError;
  heif_js_context_get_list_of_top_level_image_IDs(ctx: unknown): number[] | HeifError;
  heif_js_context_get_image_handle(ctx: unknown, id: number): unknown;
  heif_js_decode_image2(
    h: unknown,
    space: unknown,
    chroma: unknown,
  ): { channels?: Channel[]; image?: unknown } & Partial<HeifError>;
  heif_image_handle_get_width(h: unknown): number;
  heif_image_handle_get_height(h: unknown): number;
  heif_colorspace_RGB: unknown;
  heif_chroma_interleaved_RGBA: unknown;
  heif_channel_interleaved: unknown;
}

/** HEIC bytes to 8-bit RGBA (its first top-level image); an Error ("corrupt HEIC (…)") when libheif cannot decode them. */
export function decodeHeicRgba(bytes: Uint8Array): { width: number; height: number; data: Uint8ClampedArray } {
  const messages: string[] = [];
  const t = syncCodec<Libheif>(
    requireDependency("libheif-js/libheif-wasm/libheif.js"),
    "libheif-js/libheif-wasm/libheif.wasm",
    messages,
  );
  if (typeof t.heif_context_alloc !== "function") throw new Error("libheif-js did not start synchronously");
  const corrupt = (why: string) => new Error(`corrupt HEIC (${why})`);
  const failed = (r: unknown): r is HeifError =>
    !!r && typeof r === "object" && "code" in r && !!(r as HeifError).code?.value;
  try {
    const ctx = t.heif_context_alloc(),
      read = t.heif_context_read_from_memory(ctx, bytes);
    if (failed(read)) throw corrupt(read.message);
    const ids = t.heif_js_context_get_list_of_top_level_image_IDs(ctx);
    if (failed(ids) || !Array.isArray(ids) || !ids.length) throw corrupt("no image in it");
    const handle = t.heif_js_context_get_image_handle(ctx, ids[0]);
    if (failed(handle)) throw corrupt(handle.message);
    const img = t.heif_js_decode_image2(handle, t.heif_colorspace_RGB, t.heif_chroma_interleaved_RGBA);
    if (failed(img)) throw corrupt(img.message);
    const ch = img.channels?.find((c) => c.id === t.heif_channel_interleaved) ?? img.channels?.[0];
    if (!ch || !(ch.width > 0 && ch.height > 0) || ch.stride < 4 * ch.width || ch.data.length < ch.stride * ch.height)
      throw corrupt("libheif gave no image data");
    const data = new Uint8ClampedArray(4 * ch.width * ch.height);
    for (let y = 0; y < ch.height; y++)
      data.set(ch.data.subarray(y * ch.stride, y * ch.stride + 4 * ch.width), 4 * ch.width * y);
    return { width: ch.width, height: ch.height, data };
  } catch (e) {
    if ((e as Error).message?.startsWith("corrupt HEIC")) throw e;
    throw corrupt(messages.at(-1) ?? String((e as Error)?.message ?? e));
  }
}

// The emscripten-built codecs of the image formats (@jsquash/webp, @jsquash/avif, libheif-js) in Node:
// each glue's factory run with the .wasm read from node_modules (wherever npm put the package) and
// compiled once, instantiated synchronously (jpegCodecOptions), so decoding and encoding stay plain
// function calls. A fresh instance each call: nothing is left over from a failed one, and a big
// image's wasm memory goes with it. Nothing downloads.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { jpegCodecOptions } from "../core/jpeg.js";

const require = createRequire(import.meta.url);
const compiled = new Map<string, WebAssembly.Module>();

/**
 * A codec instance: `factory` (an emscripten glue's default export) run on the wasm file `wasm` (a
 * package path, e.g. "@jsquash/avif/codec/dec/avif_dec.wasm"); the codec's messages go to `messages`.
 */
export function syncCodec<T>(factory: unknown, wasm: string, messages: string[]): T {
  let module = compiled.get(wasm);
  if (!module) compiled.set(wasm, (module = new WebAssembly.Module(readFileSync(require.resolve(wasm)))));
  const options = jpegCodecOptions(module, true, messages);
  const out = (factory as (o: Record<string, unknown>) => unknown)(options);
  if (out instanceof Promise) out.catch(() => {});
  return options as T;
}

/** A CommonJS module of a dependency (libheif-js ships its wasm glue as CommonJS). */
export const requireDependency = (id: string): unknown => require(id);

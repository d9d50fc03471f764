// The library in a browser (the package's "browser" and "default" export): the shared API
// (host/api.ts) plus loading the engine and weights by fetch, relative to this module's own URL,
// so a plain static page can import it from node_modules/denoise-wasm/ without a bundler.
import {
  runtimeOf,
  weightsFromBytes,
  type EngineOptions,
  type Runtime,
  type ShippedModel,
  type Weights,
} from "./api.js";
import { openEngine, wasmFile } from "./core/engine.js";
import {
  decodeJpegWith,
  JPEG_CODEC_GLUE,
  JPEG_CODEC_WASM,
  type JpegCodec,
  type JpegCodecFactory,
  jpegCodecOptions,
  type JpegRgba,
} from "./core/jpeg.js";
import { ThreadPool, type ThreadInit } from "./core/pool.js";
import { isShipped, SHIPPED_MODELS } from "./core/weights.js";

export * from "./api.js";
export type { JpegRgba } from "./core/jpeg.js";

/** The package root: dist/host/browser.js → ../../ (build/, data/ and dist/host/ are found from it). */
const ROOT = new URL("../../", import.meta.url);

/** Where the package's files are served, for a bundle that moved this module away from them. */
export interface AssetOptions {
  /**
   * The URL of the package's root as served (holding build/*.wasm, data/*.safetensors and
   * dist/host/browser-thread.js), e.g. "/assets/denoise-wasm/". Default: found from this module's own
   * URL, which is right whenever the package's files are served as installed (a static page, or a
   * bundler that keeps the package's modules apart, e.g. Vite's optimizeDeps.exclude).
   */
  base?: string | URL;
}

const rootOf = (o: AssetOptions) =>
  o.base === undefined ? ROOT : new URL(String(o.base).replace(/\/?$/, "/"), globalThis.location?.href);

async function fetchBytes(url: URL | string): Promise<ArrayBuffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status} ${res.statusText}`);
  return res.arrayBuffer();
}

/**
 * Loads the engine: fetches the build's .wasm from the package's build/ folder. More than one
 * thread needs a Worker (the caller waits for its threads with Atomics.wait, which a page's main
 * thread may not do) in a cross-origin isolated page (served with `Cross-Origin-Opener-Policy:
 * same-origin` and `Cross-Origin-Embedder-Policy: require-corp`); elsewhere the engine runs on one
 * thread (`runtime.threads` says which).
 */
export async function loadEngine(opts: EngineOptions & AssetOptions = {}): Promise<Runtime> {
  const root = rootOf(opts);
  const inWorker = typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== "undefined";
  const threads = (opts.threads ?? 1) > 1 && inWorker && globalThis.crossOriginIsolated ? Math.floor(opts.threads!) : 1;
  const engine = await openEngine((b, t) => fetchBytes(new URL(`build/${wasmFile(b, t)}`, root)), {
    build: opts.build,
    threads: threads > 1,
  });
  const pool = threads > 1 ? await ThreadPool.create(engine, threads, (init) => spawnThread(init, root)) : undefined;
  return runtimeOf(engine, pool);
}

/** A pool thread: a module Worker running the library's thread entry (host/browser-thread.ts) on the engine's shared memory. */
function spawnThread(init: ThreadInit, root: URL): Promise<{ terminate(): void }> {
  return new Promise((resolve, reject) => {
    const w = new Worker(new URL("dist/host/browser-thread.js", root), { type: "module" });
    w.onmessage = () => resolve(w);
    w.onerror = (e) => reject(new Error(`thread worker: ${e.message}`));
    w.postMessage(init);
  });
}

/**
 * Loads weights: a shipped model by name ("photo": gray and colour photos, gaussian noise of σ
 * 0–55; "digits": 28×28 MNIST digits, mixed noise), a URL (fetched; relative to the page), or
 * .safetensors bytes.
 */
export async function loadWeights(
  source: ShippedModel | string | URL | Uint8Array | ArrayBuffer,
  opts: AssetOptions = {},
): Promise<Weights> {
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) return weightsFromBytes(source);
  const url = isShipped(source)
    ? new URL(SHIPPED_MODELS[source], rootOf(opts))
    : new URL(source, globalThis.location?.href);
  return weightsFromBytes(await fetchBytes(url), isShipped(source) ? source : String(source));
}

/** Where the JPEG decoder's package (@jsquash/jpeg, a dependency) is served. */
export interface JpegOptions {
  /**
   * The URL of @jsquash/jpeg's folder as served, e.g. "/node_modules/@jsquash/jpeg/". Default: tried
   * beside the package's root as npm installs it: <root>/node_modules/@jsquash/jpeg/, then
   * <root>/../@jsquash/jpeg/ (hoisted next to denoise-wasm in node_modules).
   */
  jpegBase?: string | URL;
}

let jpegDecoder: Promise<{ factory: JpegCodecFactory; module: WebAssembly.Module }> | undefined;

async function loadJpegDecoder(bases: URL[]): Promise<{ factory: JpegCodecFactory; module: WebAssembly.Module }> {
  const tried: string[] = [];
  for (const base of bases) {
    try {
      const glue = (await import(new URL(JPEG_CODEC_GLUE, base).href)) as { default: JpegCodecFactory };
      const module = await WebAssembly.compile(await fetchBytes(new URL(JPEG_CODEC_WASM, base)));
      return { factory: glue.default, module };
    } catch (e) {
      tried.push(`${base} (${(e as Error).message})`);
    }
  }
  throw new Error(`the JPEG decoder (@jsquash/jpeg) is not served at ${tried.join(" nor ")}`);
}

/**
 * Decodes JPEG bytes to RGBA exactly as Node's readImagePlanes does (libjpeg-turbo's decoder:
 * host/core/jpeg.ts), instead of the browser's own decoder, so a file gives the same pixels on a
 * page as in the CLI. The decoder's wasm is fetched once. Throws an Error saying what is wrong
 * (the size checks of the CLI, or libjpeg's message) for a bad file.
 */
export async function decodeJpeg(bytes: Uint8Array, opts: JpegOptions & AssetOptions = {}): Promise<JpegRgba> {
  const root = rootOf(opts);
  const bases =
    opts.jpegBase === undefined
      ? [new URL("node_modules/@jsquash/jpeg/", root), new URL("../@jsquash/jpeg/", root)]
      : [new URL(String(opts.jpegBase).replace(/\/?$/, "/"), globalThis.location?.href)];
  const loading = (jpegDecoder ??= loadJpegDecoder(bases));
  loading.catch(() => {
    if (jpegDecoder === loading) jpegDecoder = undefined; // a later call tries again
  });
  const { factory, module } = await loading;
  const messages: string[] = [];
  const codec: JpegCodec = await factory(jpegCodecOptions(module, false, messages));
  return decodeJpegWith(codec, bytes, messages);
}

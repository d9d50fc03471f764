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
import { ThreadPool, type ThreadInit } from "./core/pool.js";
import { isShipped, SHIPPED_MODELS } from "./core/weights.js";

export * from "./api.js";

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

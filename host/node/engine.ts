// The engine in Node: its .wasm files read from the package's build/, and a thread pool of
// worker_threads (host/node/thread-worker.ts) over the engine's shared memory.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { loadEngine, wasmFile, type BuildName, type Engine, type LoadOptions } from "../core/engine.js";
import { ThreadPool } from "../core/pool.js";

/** Where a build's .wasm is (dist/host/node/engine.js → ../../../build/). */
export function wasmPath(build: BuildName, threads = false): string {
  return fileURLToPath(new URL(`../../../build/${wasmFile(build, threads)}`, import.meta.url));
}

/** Loads the engine from disk; the build comes from opts, else $DENOISE_BUILD, else the probe. */
export async function loadEngineNode(opts: LoadOptions = {}): Promise<Engine> {
  const build = opts.build ?? (process.env.DENOISE_BUILD as BuildName | "auto" | undefined) ?? "auto";
  return loadEngine(async (b, threads) => {
    try {
      return await readFile(wasmPath(b, threads));
    } catch {
      throw new Error(`${wasmPath(b, threads)} is missing: run 'npm run build' (or 'npm install') first`);
    }
  }, { ...opts, build });
}


/** Starts a pool of `threads` (the caller + threads − 1 worker_threads) on a threads-build engine. */
export async function nodePool(engine: Engine, threads: number): Promise<ThreadPool> {
  const { Worker } = await import("node:worker_threads");
  return ThreadPool.create(engine, threads, (init) => new Promise((resolve, reject) => {
    const w = new Worker(new URL("./thread-worker.js", import.meta.url), { workerData: init });
    w.once("message", () => {
      w.unref(); // a blocked worker must not keep the process alive
      resolve({ terminate: () => void w.terminate() });
    });
    w.once("error", reject);
    w.once("exit", (code) => reject(new Error(`worker thread exited (${code}) before it was ready`)));
  }));
}


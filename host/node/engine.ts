// The engine in Node: its .wasm files read from the package's build/, and a thread pool of
// worker_threads (host/node/thread-worker.ts) over the engine's shared memory. The library's
// loadEngine (host/node/index.ts) is these two together; tests and the bench use them apart.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { openEngine, wasmFile, type BuildName, type Engine, type LoadOptions } from "../core/engine.js";
import { ThreadPool } from "../core/pool.js";

/** Where a build's .wasm is (dist/host/node/engine.js → ../../../build/). */
export function wasmPath(build: BuildName, threads = false): string {
  return fileURLToPath(new URL(`../../../build/${wasmFile(build, threads)}`, import.meta.url));
}

/** The build asked for: the given one, else $DENOISE_BUILD, else "auto" (the best that validates). */
export function requestedBuild(build?: string): BuildName | "auto" {
  return (build ?? process.env.DENOISE_BUILD ?? "auto") as BuildName | "auto";
}

/** Loads the engine from disk: the build from opts, else $DENOISE_BUILD, else the best that validates. */
export async function openNodeEngine(opts: LoadOptions = {}): Promise<Engine> {
  return openEngine(
    async (b, threads) => {
      try {
        return await readFile(wasmPath(b, threads));
      } catch {
        throw new Error(`${wasmPath(b, threads)} is missing: run 'npm run build' (or 'npm install') first`);
      }
    },
    { ...opts, build: requestedBuild(opts.build) },
  );
}

/** Starts a pool of `threads` (the caller + threads − 1 worker_threads) on a threads-build engine. */
export async function nodePool(engine: Engine, threads: number): Promise<ThreadPool> {
  const { Worker } = await import("node:worker_threads");
  return ThreadPool.create(
    engine,
    threads,
    (init) =>
      new Promise((resolve, reject) => {
        const w = new Worker(new URL("./thread-worker.js", import.meta.url), { workerData: init });
        w.once("message", () => {
          w.unref(); // a blocked worker must not keep the process alive
          resolve({ terminate: () => void w.terminate() });
        });
        w.once("error", reject);
        w.once("exit", (code) => reject(new Error(`worker thread exited (${code}) before it was ready`)));
      }),
  );
}

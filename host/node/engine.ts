// The engine in Node: its .wasm files read from the package's build/, and a thread pool of
// worker_threads (host/node/thread-worker.ts) over the engine's shared memory. The library's
// loadEngine (host/node/index.ts) is these two together; tests and the bench use them apart.
import { readFile } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { openEngine, wasmFile, type BuildName, type Engine, type LoadOptions } from "../core/engine.js";
import { MAX_THREADS, ThreadPool } from "../core/pool.js";

/** Threads in Node when none are asked for (the library and the CLI): one per core. */
export const DEFAULT_THREADS = Math.max(1, Math.min(availableParallelism(), MAX_THREADS));

/**
 * Relaxed SIMD in this Node: on by default from Node 22; Node 20 validates it only behind a V8 flag,
 * which is set here, when this module loads (before the first wasm compile of the library or the CLI;
 * worker threads inherit V8 flags), so users get the relaxed build with no flags of their own.
 * undefined when nothing had to be done.
 */
export const RELAXED_SWITCH: string | undefined = (() => {
  if (Number(process.versions.node.split(".")[0]) >= 22) return undefined;
  setFlagsFromString("--experimental-wasm-relaxed-simd");
  return `relaxed SIMD turned on for Node ${process.versions.node}`;
})();

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
  const engine = await openEngine(
    async (b, threads) => {
      try {
        return await readFile(wasmPath(b, threads));
      } catch {
        throw new Error(`${wasmPath(b, threads)} is missing: run 'npm run build' (or 'npm install') first`);
      }
    },
    { ...opts, build: requestedBuild(opts.build) },
  );
  return engine.build === "relaxed" && RELAXED_SWITCH
    ? { ...engine, reason: `${engine.reason}; ${RELAXED_SWITCH}` }
    : engine;
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

// The engine a command runs on: the requested build, as its threads variant with a pool of worker
// threads when more than one thread is asked for (the scalar build has no threads).
import type { BuildName, Engine } from "../core/engine.js";
import { UserError } from "../core/errors.js";
import type { ThreadPool } from "../core/pool.js";
import { loadEngine } from "../node/index.js";

export interface Runtime {
  engine: Engine;
  /** Present when threads > 1: every model of this runtime is built on it. */
  pool?: ThreadPool;
}

/**
 * Loads the engine. `threadsGiven`: the user asked for that many threads (with --build scalar that
 * is an error; the default thread count just falls back to one).
 */
export async function openRuntime(opts: { build: string; threads?: number; threadsGiven?: boolean; quiet?: boolean }): Promise<Runtime> {
  let threads = opts.threads ?? 1;
  if (opts.build === "scalar") {
    if (threads > 1 && opts.threadsGiven) throw new UserError("--threads needs a SIMD build (relaxed or strict), not --build scalar");
    threads = 1;
  }
  const { engine, pool } = await loadEngine({ build: opts.build as BuildName | "auto", threads });
  if (!opts.quiet) process.stderr.write(`engine: ${engine.build} build (${engine.reason}), ${threads} thread${threads > 1 ? "s" : ""}\n`);
  return { engine, pool };
}

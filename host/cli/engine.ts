// The engine a command runs on: the library's own loadEngine and Runtime (host/node/index.ts), with
// the CLI's one default of its own (every core, except for the scalar build, which has no threads)
// and the line that says which build runs and why.
import { loadEngine, type Runtime } from "../node/index.js";
import { requestedBuild } from "../node/engine.js";
import type { BuildName } from "../core/engine.js";

/**
 * Loads the engine for a command's --build and --threads. `threadsGiven`: the user asked for that
 * many threads (with the scalar build that is an error; the default count just becomes one).
 */
export async function openRuntime(opts: {
  build?: string;
  threads?: number;
  threadsGiven?: boolean;
  quiet?: boolean;
}): Promise<Runtime> {
  const build = requestedBuild(opts.build);
  const threads = build === "scalar" && !opts.threadsGiven ? 1 : (opts.threads ?? 1);
  const rt = await loadEngine({ build: build as BuildName | "auto", threads });
  if (!opts.quiet)
    process.stderr.write(
      `engine: ${rt.build} build (${rt.reason}), ${rt.threads} thread${rt.threads > 1 ? "s" : ""}\n`,
    );
  return rt;
}

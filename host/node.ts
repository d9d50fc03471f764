// The Node-only way to get engine bytes: read build/denoise-<build>.wasm next to the package.
// (Kept apart from engine.ts so the browser never imports `fs`.)
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { loadEngine, type BuildName, type Engine, type LoadOptions } from "./engine.js";

/** The package root (dist/host/node.js → ../..). */
export const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export function wasmPath(build: BuildName): string {
  return fileURLToPath(new URL(`../../build/denoise-${build}.wasm`, import.meta.url));
}

/** Loads the engine from disk; the build comes from opts, else $DENOISE_BUILD, else the probe. */
export async function loadEngineNode(opts: LoadOptions = {}): Promise<Engine> {
  const build = opts.build ?? (process.env.DENOISE_BUILD as BuildName | "auto" | undefined) ?? "auto";
  return loadEngine(async (b) => {
    try {
      return await readFile(wasmPath(b));
    } catch {
      throw new Error(`${wasmPath(b)} is missing: run 'npm run build' (or 'npm install') first`);
    }
  }, { build });
}

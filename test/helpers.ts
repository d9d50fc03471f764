// Shared test helpers: golden files, engine loading per build, comparisons that print what they found.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { BUILDS, type BuildName, type Engine } from "../host/engine.js";
import { loadEngineNode, wasmPath } from "../host/node.js";

export const GOLDEN = fileURLToPath(new URL("../../test/golden/seed/", import.meta.url));

/** A raw little-endian f32 file from the golden set. */
export function goldenF32(rel: string): Float32Array {
  const b = readFileSync(GOLDEN + rel);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

export interface GoldenManifest {
  loss: number;
  params: { name: string; shape: number[]; file: string; grad_file: string; after_adam1_file: string }[];
  activations_initial_weights: Record<string, { file: string; shape: number[] }>;
}

export function goldenManifest(): GoldenManifest {
  return JSON.parse(readFileSync(GOLDEN + "manifest.json", "utf8"));
}

/** Whether this Node can run a build (relaxed needs --experimental-wasm-relaxed-simd on Node 20). */
export function runnable(build: BuildName): boolean {
  return WebAssembly.validate(readFileSync(wasmPath(build)));
}

export async function engines(): Promise<Engine[]> {
  const out: Engine[] = [];
  for (const b of BUILDS) if (runnable(b)) out.push(await loadEngineNode({ build: b }));
  return out;
}

export interface Diff {
  maxAbs: number;
  /** max |a − b| / max |b|: the error on the tensor's own scale. */
  rel: number;
  at: number;
}

export function diff(a: ArrayLike<number>, b: ArrayLike<number>): Diff {
  if (a.length !== b.length) throw new Error(`length ${a.length} ≠ ${b.length}`);
  let maxAbs = 0, scale = 0, at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= maxAbs)) { maxAbs = d; at = i; } // NaN-safe: a NaN difference always wins
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return { maxAbs, rel: scale > 0 ? maxAbs / scale : maxAbs, at };
}

/** Deterministic pseudo-random floats in [-1, 1) for test inputs (not the engine's RNG). */
export function testRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 2 ** 31 - 1;
  };
}

// Shared test helpers: golden files, engine loading per build, comparisons that print what they found,
// and running the CLI as a user does (child processes) on tiny IDX data sets.
import { encodeIdx } from "../host/core/idx.js";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { DEFAULT_DATA } from "../host/node/files.js";
import type { Arch } from "../host/core/arch.js";
import { Model, type ModelOptions } from "../host/core/model.js";
import { planModel } from "../host/core/plan.js";
import type { ThreadPool } from "../host/core/pool.js";
import { BUILDS, type BuildName, type Engine } from "../host/core/engine.js";
import { openNodeEngine, wasmPath } from "../host/node/engine.js";
import { readIdx } from "../host/node/files.js";

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
  for (const b of BUILDS) if (runnable(b)) out.push(await openNodeEngine({ build: b }));
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
  let maxAbs = 0,
    scale = 0,
    at = -1;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= maxAbs)) {
      maxAbs = d;
      at = i;
    } // NaN-safe: a NaN difference always wins
    scale = Math.max(scale, Math.abs(b[i]));
  }
  return { maxAbs, rel: scale > 0 ? maxAbs / scale : maxAbs, at };
}

/** Deterministic pseudo-random floats in [-1, 1) for test inputs (not the engine's RNG). */
export function testRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 31 - 1;
  };
}

/**
 * The output bits of `arch` on a batch of B inputs uniform in [0, 1) from testRandom(seed), through an
 * inference model built with `opts` on memory a released model left NaN-filled (its activations and
 * workspaces are not cleared: plan.ts Arena.clear), and with its output buffer NaN-filled, so a read
 * before a write, or a part never written, shows as NaN (thrown) or as other bits.
 */
export function inferenceBits(
  engine: Engine,
  pool: ThreadPool | undefined,
  arch: Arch,
  B: number,
  opts: ModelOptions,
  load: (m: Model) => void,
  seed: number,
): Buffer {
  const size = planModel(engine, arch, { ...opts, batch: B, threads: pool?.size ?? 1, inference: true }).total,
    mark = engine.heapTop();
  const stale = engine.exports.allocUncleared(size); // may grow the memory: its buffer is read after
  new Float32Array(engine.memory.buffer, stale, size / 4).fill(Number.NaN);
  engine.exports.release(mark);
  const m = new Model(engine, arch, B, pool, { ...opts, inference: true });
  try {
    load(m);
    const r = testRandom(seed),
      x = m.inputView(B);
    for (let i = 0; i < x.length; i++) x[i] = (r() + 1) / 2;
    m.outputView(B).fill(Number.NaN);
    m.forward(B);
    const y = m.outputView(B).slice();
    if (y.some(Number.isNaN))
      throw new Error(`${arch.name}: NaN in the output (a read of stale memory, or a part not written)`);
    return Buffer.from(y.buffer);
  } finally {
    m.dispose();
  }
}

/** The CLI's entry point (dist/host/cli/main.js). */
export const CLI = fileURLToPath(new URL("../host/cli/main.js", import.meta.url));

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
}

/** Runs the CLI in a child process; `nodeArgs` go to node itself (e.g. --import a hook). */
export function runCli(
  args: string[],
  opts: { nodeArgs?: string[]; env?: NodeJS.ProcessEnv; timeout?: number } = {},
): CliResult {
  const r = spawnSync(process.execPath, [...(opts.nodeArgs ?? []), CLI, ...args], {
    encoding: "utf8",
    timeout: opts.timeout ?? 120_000,
    env: opts.env ?? process.env,
  });
  return { code: r.status, signal: r.signal, out: r.stdout, err: r.stderr };
}

/** An IDX file: magic (dtype, ndim), big-endian dimensions, then `data`. */
export function idxFile(dims: number[], data: Uint8Array, dtype = 0x08): Buffer {
  return Buffer.from(encodeIdx(dims, data, dtype));
}

/** A data directory with the four MNIST file names: the first nTrain / nTest real images. */
export function makeData(dir: string, nTrain: number, nTest: number): string {
  mkdirSync(dir, { recursive: true });
  for (const [split, n] of [
    ["train", nTrain],
    ["t10k", nTest],
  ] as const) {
    const imgs = readIdx(join(DEFAULT_DATA, `${split}-images-idx3-ubyte`)).data.subarray(0, n * 784);
    const labels = readIdx(join(DEFAULT_DATA, `${split}-labels-idx1-ubyte`)).data.subarray(0, n);
    writeFileSync(join(dir, `${split}-images-idx3-ubyte`), idxFile([n, 28, 28], imgs));
    writeFileSync(join(dir, `${split}-labels-idx1-ubyte`), idxFile([n], labels));
  }
  return dir;
}

/** A copy of a .safetensors file with its JSON header edited (the data bytes kept). */
export function editSafetensorsHeader(bytes: Uint8Array, edit: (header: Record<string, any>) => void): Buffer {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = Number(b.readBigUInt64LE(0));
  const header = JSON.parse(b.subarray(8, 8 + hlen).toString());
  edit(header);
  const text = JSON.stringify(header);
  const hj = Buffer.from(text.padEnd(Math.ceil(Buffer.byteLength(text) / 8) * 8));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(hj.length));
  return Buffer.concat([len, hj, b.subarray(8 + hlen)]);
}

/**
 * A small residual network of 3×3 convolutions with a stride-2 level (the photo model's kinds of
 * layer; its size keeps photo-sized tests quick), for tests that run images through an initialised model.
 */
export const TINY_PHOTO_ARCH: Arch = {
  name: "tiny",
  description: "test",
  input: [1, 16, 16],
  layers: [
    { type: "conv2d", name: "a", out: 4, kernel: 3, padding: 1 },
    { type: "relu" },
    { type: "conv2d", name: "b", out: 4, kernel: 3, stride: 2, padding: 1 },
    { type: "relu" },
    { type: "convTranspose2d", name: "c", out: 1, kernel: 3, stride: 2, padding: 1, outputPadding: 1 },
    { type: "add", with: "input" },
  ],
};

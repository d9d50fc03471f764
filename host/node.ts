// The Node-only layer: everything that touches the file system. The format modules (idx,
// safetensors, weights) are pure so the browser can import them; this file reads and writes their
// files, and finds the engine's .wasm next to the package.
import { closeSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { loadEngine, wasmFile, type BuildName, type Engine, type LoadOptions } from "./engine.js";
import { fileError, UserError } from "./errors.js";
import { idxHeader, imagesFromIdx, MAX_BYTES, MNIST_FILES, parseIdx, type IdxArray, type ImageSet } from "./idx.js";
import type { Model } from "./model.js";
import { decodeSafetensors, encodeSafetensors, type SafeTensors, type Tensor } from "./safetensors.js";
import { encodeWeights } from "./weights.js";
import { ThreadPool } from "./pool.js";

/** The package root (dist/host/node.js → ../..). */
export const PACKAGE_ROOT = fileURLToPath(new URL("../../", import.meta.url));

export function wasmPath(build: BuildName, threads = false): string {
  return fileURLToPath(new URL(`../../build/${wasmFile(build, threads)}`, import.meta.url));
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

/** The size of a regular file, or a one-line UserError naming why it cannot be read. */
function fileSize(path: string): number {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    fileError(path, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (!st.isFile()) fileError(path, "not a regular file");
  return st.size;
}

/** Reads a whole file, with one-line errors. */
export function readFileChecked(path: string): Buffer {
  fileSize(path);
  try {
    return readFileSync(path);
  } catch (e) {
    fileError(path, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new UserError(`${path}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Reads an IDX file (or `.gz`); a plain file's header is checked against its size before the data is read. */
export function readIdx(path: string): IdxArray {
  const size = fileSize(path);
  if (path.endsWith(".gz")) {
    let raw: Buffer;
    try {
      raw = gunzipSync(readFileSync(path), { maxOutputLength: MAX_BYTES + 64 });
    } catch (e) {
      fileError(path, `not a valid gzip file, or over ${MAX_BYTES} bytes inflated (${(e as Error).message})`);
    }
    return parseIdx(raw, path);
  }
  const head = Buffer.alloc(Math.min(size, 20));
  const fd = openSync(path, "r");
  try {
    readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  const h = idxHeader(head, size, path);
  const buf = readFileSync(path);
  return { dims: h.dims, data: buf.subarray(h.headerBytes) };
}

export function readImages(path: string): ImageSet {
  return imagesFromIdx(readIdx(path), path);
}

/** Path of one of the data set's files in DIR: the plain name, else the name + .gz. */
export function dataFile(dir: string, file: string): string {
  const plain = join(dir, file);
  if (existsSync(plain)) return plain;
  if (existsSync(plain + ".gz")) return plain + ".gz";
  if (!existsSync(dir)) throw new UserError(`${dir}: data directory does not exist`);
  throw new UserError(`${dir}: no ${file} (or ${file}.gz) in the data directory`);
}

/** The training or test images of an MNIST-format directory. */
export function loadSplit(dir: string, split: "train" | "test"): ImageSet {
  return readImages(dataFile(dir, split === "train" ? MNIST_FILES.trainImages : MNIST_FILES.testImages));
}

export function readSafetensors(path: string): SafeTensors {
  return decodeSafetensors(readFileChecked(path), path);
}

export function writeSafetensors(path: string, tensors: Map<string, Tensor>, metadata: Record<string, string>): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/** Writes the model's weights (and Adam state unless withOptimizer is false) atomically. */
export function saveWeights(model: Model, path: string, facts: Record<string, string | number> = {}, withOptimizer = true): void {
  writeFileAtomic(path, encodeWeights(model, facts, withOptimizer));
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

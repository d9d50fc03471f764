// The Node-only layer: everything that touches the file system. The format modules (idx,
// safetensors, weights) are pure so the browser can import them; this file reads and writes their
// files, and finds the engine's .wasm next to the package.
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, readSync, renameSync, rmSync, statSync, writeSync, existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync, inflateSync } from "node:zlib";
import { loadEngine, wasmFile, type BuildName, type Engine, type LoadOptions } from "./engine.js";
import { fileError, UserError } from "./errors.js";
import { idxHeader, imagesFromIdx, MAX_BYTES, MNIST_FILES, parseIdx, type IdxArray, type ImageSet } from "./idx.js";
import type { GrayImage } from "./denoise.js";
import type { Model } from "./model.js";
import { decodePng, MAX_PIXELS } from "./png.js";
import { decodeSafetensors, encodeSafetensors, type SafeTensors, type Tensor } from "./safetensors.js";
import { encodeWeights } from "./weights.js";
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from "./checkpoint.js";
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

/**
 * Writes a file so that readers see the old content or the new one, never a part: the data goes to
 * a temporary file beside it, is flushed to disk (fsync), and is renamed over the target; the
 * directory is then flushed too (where the platform allows), so the rename survives a power cut.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.tmp`);
  const bytes = typeof data === "string" ? Buffer.from(data) : data;
  try {
    mkdirSync(dir, { recursive: true });
    const fd = openSync(tmp, "w");
    try {
      for (let off = 0; off < bytes.length; ) off += writeSync(fd, bytes, off, bytes.length - off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (e) {
    try {
      rmSync(tmp, { force: true });
    } catch {
      // the directory itself is the problem (not a directory, not writable): there is no temporary file
    }
    throw new UserError(`${path}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    const dfd = openSync(dir, "r");
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Directories cannot be opened or flushed on some platforms (Windows); the rename still happened.
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

/** Writes a training checkpoint (weights, Adam state, trainer state) atomically. */
export function saveCheckpoint(model: Model, path: string, c: Checkpoint, facts: Record<string, string | number> = {}): void {
  writeFileAtomic(path, encodeCheckpoint(model, c, facts));
}

/** Reads a checkpoint: its tensors (for loadWeights) and its validated trainer state. */
export function readCheckpoint(path: string): { st: SafeTensors; ckpt: Checkpoint } {
  const st = readSafetensors(path);
  return { st, ckpt: decodeCheckpoint(st, path) };
}

// ---- PNG structure, checked before decoding ----
// pngjs (host/png.ts) is lenient: a PNG without IDAT, with IDAT that is not zlib data, or with too
// little pixel data decodes to a black image, and it takes bit depths the colour type forbids. The
// CLI reads PNGs through readPngChecked, which walks every chunk (lengths, CRCs, order), checks the
// IHDR fields against the PNG specification and inflates the image data to the exact size the header
// implies, then decodes. (Candidate for host/png.ts, where the page's uploads would get it too.)

const PNG_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]];

let crcTable: Uint32Array | undefined;
function crc32(b: Uint8Array, start: number, end: number): number {
  crcTable ??= Uint32Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  let c = 0xffffffff;
  for (let i = start; i < end; i++) c = crcTable[(c ^ b[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Bytes of filtered scanlines (filter byte included) an image of this header inflates to. */
function pngRawBytes(width: number, height: number, bitsPerPixel: number, interlaced: boolean): number {
  const rows = (w: number, h: number) => (w > 0 && h > 0 ? h * (1 + Math.ceil((w * bitsPerPixel) / 8)) : 0);
  if (!interlaced) return rows(width, height);
  return ADAM7.reduce((sum, [x0, y0, dx, dy]) => sum + rows(Math.ceil((width - x0) / dx), Math.ceil((height - y0) / dy)), 0);
}

/** Throws a one-line "corrupt PNG (…)" error unless the chunk structure and image data are sound. */
export function checkPngStructure(buf: Uint8Array, name: string): void {
  const bad = (why: string): never => fileError(name, `corrupt PNG (${why})`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  let pos = 8, ihdr: { width: number; height: number; depth: number; color: number; interlace: number } | undefined;
  let sawPlte = false, sawIend = false, idatDone = false;
  const idat: Uint8Array[] = [];
  while (pos < buf.length && !sawIend) {
    if (pos + 12 > buf.length) bad(`chunk at byte ${pos} is cut off`);
    const len = dv.getUint32(pos), type = String.fromCharCode(...buf.subarray(pos + 4, pos + 8));
    if (!/^[A-Za-z]{4}$/.test(type)) bad(`chunk at byte ${pos} has an invalid type`);
    if (len > 0x7fffffff || pos + 12 + len > buf.length) bad(`${type} chunk at byte ${pos} claims ${len} bytes, past the end of the file`);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (crc32(buf, pos + 4, pos + 8 + len) !== dv.getUint32(pos + 8 + len)) bad(`CRC error in the ${type} chunk at byte ${pos}`);
    if (!ihdr && type !== "IHDR") bad("first chunk is not IHDR");
    if (type === "IHDR") {
      if (ihdr) bad("two IHDR chunks");
      if (len !== 13) bad(`IHDR is ${len} bytes, not 13`);
      const h = { width: dv.getUint32(pos + 8), height: dv.getUint32(pos + 12), depth: data[8], color: data[9], interlace: data[12] };
      if (!h.width || !h.height || h.width > 0x7fffffff || h.height > 0x7fffffff) bad(`IHDR says ${h.width}×${h.height} pixels`);
      if (!PNG_DEPTHS[h.color]) bad(`colour type ${h.color} does not exist`);
      if (!PNG_DEPTHS[h.color].includes(h.depth)) bad(`bit depth ${h.depth} is not allowed for colour type ${h.color}`);
      if (data[10] !== 0 || data[11] !== 0) bad(`compression ${data[10]} / filter method ${data[11]} (only 0 exists)`);
      if (h.interlace > 1) bad(`interlace method ${h.interlace} does not exist`);
      ihdr = h;
    } else if (type === "PLTE") {
      if (sawPlte || idat.length) bad("PLTE after IDAT or repeated");
      if (len === 0 || len % 3 || len > 768) bad(`PLTE of ${len} bytes (1 to 256 RGB entries)`);
      sawPlte = true;
    } else if (type === "IDAT") {
      if (idatDone) bad("IDAT chunks are not consecutive");
      idat.push(data);
    } else if (type === "IEND") {
      sawIend = true;
    } else if (idat.length) {
      idatDone = true;
    }
    pos += 12 + len;
  }
  if (!ihdr) return bad("no IHDR chunk");
  if (ihdr.color === 3 && !sawPlte) bad("palette image without a PLTE chunk");
  if ((ihdr.color === 0 || ihdr.color === 4) && sawPlte) bad(`PLTE in a colour type ${ihdr.color} image`);
  if (!idat.length) bad("no IDAT chunk");
  if (!sawIend) bad("no IEND chunk (file cut off?)");
  if (ihdr.width * ihdr.height > MAX_PIXELS) return; // decodePng refuses it with the size
  const expected = pngRawBytes(ihdr.width, ihdr.height, ihdr.depth * PNG_CHANNELS[ihdr.color], ihdr.interlace === 1);
  let raw: Buffer;
  try {
    raw = inflateSync(Buffer.concat(idat), { maxOutputLength: expected });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "ERR_BUFFER_TOO_LARGE") return; // more data than needed: decoders ignore the rest
    return bad(`image data is not a valid zlib stream: ${err.message}`);
  }
  if (raw.length < expected) bad(`image data inflates to ${raw.length} bytes, the header needs ${expected}`);
}

/** Reads and decodes a PNG, refusing damaged files (see checkPngStructure) with one-line errors. */
export function readPngChecked(path: string): GrayImage {
  const buf = readFileChecked(path);
  if (buf.length >= 33 && buf.readUInt32BE(0) === 0x89504e47 && buf.readUInt32BE(4) === 0x0d0a1a0a) {
    const w = buf.readUInt32BE(16), h = buf.readUInt32BE(20);
    if (w * h <= MAX_PIXELS) checkPngStructure(buf, path);
  }
  return decodePng(buf, path);
}

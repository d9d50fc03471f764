// IDX files (the MNIST format): a 4-byte magic (0, 0, dtype, ndim), ndim big-endian u32 dimensions,
// then the data. Only unsigned-byte data (dtype 0x08) is accepted — images and labels of MNIST,
// Fashion-MNIST, KMNIST and EMNIST all are. The header and the file size are validated before any
// buffer for the data is made; `.gz` files are inflated with an output limit.
// http://yann.lecun.com/exdb/mnist/ (file formats section)
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { join } from "node:path";
import { fileError, UserError } from "./errors.js";

const DTYPES: Record<number, string> = { 0x08: "u8", 0x09: "i8", 0x0b: "i16", 0x0c: "i32", 0x0d: "f32", 0x0e: "f64" };
/** Largest data we accept (1 GiB): a header claiming more is refused before reading. */
const MAX_BYTES = 1 << 30;

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/**
 * Validates an IDX header against the total size: `head` holds at least the first 4 + 4·ndim bytes
 * (or the whole file when it is shorter). Throws a one-line UserError naming the problem.
 */
function idxHeader(head: Uint8Array, size: number, name: string): { dims: number[]; headerBytes: number } {
  if (size < 4) fileError(name, `not an IDX file (${size} bytes, shorter than the 4-byte magic)`);
  if (head[0] !== 0 || head[1] !== 0) fileError(name, `not an IDX file (magic ${hex(head, 4)} does not start with 00 00)`);
  const dtype = head[2], ndim = head[3];
  if (!(dtype in DTYPES)) fileError(name, `not an IDX file (unknown data type 0x${dtype.toString(16)})`);
  if (dtype !== 0x08) fileError(name, `IDX data type ${DTYPES[dtype]} is not supported (only unsigned bytes, as MNIST)`);
  if (ndim < 1 || ndim > 4) fileError(name, `IDX with ${ndim} dimensions is not supported`);
  const headerBytes = 4 + 4 * ndim;
  if (size < headerBytes) fileError(name, `truncated IDX header (${size} of ${headerBytes} bytes)`);
  const view = new DataView(head.buffer, head.byteOffset, headerBytes);
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    dims.push(view.getUint32(4 + 4 * i, false));
    count *= dims[i];
  }
  if (count > MAX_BYTES) fileError(name, `IDX dimensions ${dims.join("×")} claim ${count} bytes (limit ${MAX_BYTES})`);
  const expected = headerBytes + count;
  if (size < expected) fileError(name, `truncated IDX file: dimensions ${dims.join("×")} need ${expected} bytes, file has ${size}`);
  if (size > expected) fileError(name, `IDX file has ${size - expected} bytes after the data its dimensions ${dims.join("×")} describe`);
  return { dims, headerBytes };
}

/** Parses and validates an IDX buffer; `name` is used in error messages. */
export function parseIdx(buf: Uint8Array, name: string): IdxArray {
  const h = idxHeader(buf, buf.length, name);
  return { dims: h.dims, data: buf.subarray(h.headerBytes) };
}

function hex(b: Uint8Array, n: number): string {
  return Array.from(b.subarray(0, n), (x) => x.toString(16).padStart(2, "0")).join(" ");
}

/** Reads an IDX file (or `.gz`); a plain file's header is checked against its size before the data is read. */
export function readIdx(path: string): IdxArray {
  let size = 0;
  try {
    const st = statSync(path);
    size = st.size;
    if (!st.isFile()) fileError(path, "not a regular file");
  } catch (e) {
    if (e instanceof UserError) throw e;
    fileError(path, `cannot read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
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

/** A set of images: count × rows × cols unsigned bytes (0 = black). */
export interface ImageSet {
  count: number;
  rows: number;
  cols: number;
  pixels: Uint8Array;
  source: string;
}

export function readImages(path: string): ImageSet {
  const a = readIdx(path);
  if (a.dims.length !== 3) fileError(path, `an image IDX file has 3 dimensions (count, rows, cols), this one has ${a.dims.length}`);
  const [count, rows, cols] = a.dims;
  if (count < 1 || rows < 1 || cols < 1) fileError(path, `empty image set (${a.dims.join("×")})`);
  return { count, rows, cols, pixels: a.data, source: path };
}

/** The four MNIST file names; `--data DIR` must hold the image files (plain or .gz). */
export const MNIST_FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

/** Path of one of the data set's files in DIR: the plain name, else the name + .gz. */
export function dataFile(dir: string, file: string): string {
  const plain = join(dir, file);
  if (existsSync(plain)) return plain;
  if (existsSync(plain + ".gz")) return plain + ".gz";
  if (!existsSync(dir)) throw new UserError(`${dir}: data directory does not exist`);
  throw new UserError(`${dir}: no ${file} (or ${file}.gz) in the data directory`);
}

export function loadSplit(dir: string, split: "train" | "test"): ImageSet {
  return readImages(dataFile(dir, split === "train" ? MNIST_FILES.trainImages : MNIST_FILES.testImages));
}

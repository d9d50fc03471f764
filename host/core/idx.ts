// IDX files (the MNIST format): a 4-byte magic (0, 0, dtype, ndim), ndim big-endian u32 dimensions,
// then the data. Only unsigned-byte data (dtype 0x08) is accepted — images and labels of MNIST,
// Fashion-MNIST, KMNIST and EMNIST all are. The header is validated against the total size before
// any buffer for the data is made (host/node.ts reads files that way). Pure: the browser uses it too.
// http://yann.lecun.com/exdb/mnist/ (file formats section)
import { fileError } from "./errors.js";

const DTYPES: Record<number, string> = { 0x08: "u8", 0x09: "i8", 0x0b: "i16", 0x0c: "i32", 0x0d: "f32", 0x0e: "f64" };
/** Largest data we accept (1 GiB): a header claiming more is refused before reading. */
export const MAX_BYTES = 1 << 30;

export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/**
 * Validates an IDX header against the total size: `head` holds at least the first 4 + 4·ndim bytes
 * (or the whole file when it is shorter). Throws a one-line UserError naming the problem.
 */
export function idxHeader(head: Uint8Array, size: number, name: string): { dims: number[]; headerBytes: number } {
  if (size < 4) fileError(name, `not an IDX file (${size} bytes, shorter than the 4-byte magic)`);
  if (head[0] !== 0 || head[1] !== 0)
    fileError(name, `not an IDX file (magic ${hex(head, 4)} does not start with 00 00)`);
  const dtype = head[2],
    ndim = head[3];
  if (!(dtype in DTYPES)) fileError(name, `not an IDX file (unknown data type 0x${dtype.toString(16)})`);
  if (dtype !== 0x08)
    fileError(name, `IDX data type ${DTYPES[dtype]} is not supported (only unsigned bytes, as MNIST)`);
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
  if (size < expected)
    fileError(name, `truncated IDX file: dimensions ${dims.join("×")} need ${expected} bytes, file has ${size}`);
  if (size > expected)
    fileError(name, `IDX file has ${size - expected} bytes after the data its dimensions ${dims.join("×")} describe`);
  return { dims, headerBytes };
}

/** An IDX file's bytes: magic (0, 0, dtype, ndim), big-endian dimensions, then `data` as given. */
export function encodeIdx(dims: number[], data: Uint8Array, dtype = 0x08): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = dtype;
  out[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(data, 4 + 4 * dims.length);
  return out;
}

/** Parses and validates an IDX buffer; `name` is used in error messages. */
export function parseIdx(buf: Uint8Array, name: string): IdxArray {
  const h = idxHeader(buf, buf.length, name);
  return { dims: h.dims, data: buf.subarray(h.headerBytes) };
}

function hex(b: Uint8Array, n: number): string {
  return Array.from(b.subarray(0, n), (x) => x.toString(16).padStart(2, "0")).join(" ");
}

/** A set of images: count × rows × cols unsigned bytes (0 = black). */
export interface ImageSet {
  count: number;
  rows: number;
  cols: number;
  pixels: Uint8Array;
  source: string;
}

/** Images training takes: an ImageSet's bytes (0–255), or f32 samples in [0, 1] (the library's arrays). */
export type TrainingImages = Omit<ImageSet, "pixels"> & { pixels: Uint8Array | Float32Array };

/** Checks an IDX array is an image set (count × rows × cols). */
export function imagesFromIdx(a: IdxArray, source: string): ImageSet {
  if (a.dims.length !== 3)
    fileError(source, `an image IDX file has 3 dimensions (count, rows, cols), this one has ${a.dims.length}`);
  const [count, rows, cols] = a.dims;
  if (count < 1 || rows < 1 || cols < 1) fileError(source, `empty image set (${a.dims.join("×")})`);
  return { count, rows, cols, pixels: a.data, source };
}

/** The four MNIST file names; `--data DIR` must hold the image files (plain or .gz). */
export const MNIST_FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

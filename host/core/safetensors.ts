// .safetensors: an 8-byte little-endian header length, a JSON header
// {"<name>": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {string: string}},
// then the raw little-endian tensor bytes. https://huggingface.co/docs/safetensors
//
// Weights files of this project hold the parameters under PyTorch state-dict names and layouts (so
// `model.load_state_dict(safetensors.torch.load_file(path), strict=False)` works), facts about the
// architecture and training in __metadata__, and, when saved by `train`, Adam's state as
// `optimizer.exp_avg.<name>` / `optimizer.exp_avg_sq.<name>` tensors plus `optimizer.step` in
// __metadata__ (what `train --init` needs to resume exactly).
// Pure (bytes in, bytes out): host/node.ts reads and writes the files.
import { fileError } from "./errors.js";

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export interface SafeTensors {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

const MAX_HEADER = 100 * 1024 * 1024; // the format's own limit
const BYTES: Record<string, number> = { F32: 4, F64: 8, F16: 2, BF16: 2 };

/** Serialises tensors (f32) and string metadata. Tensors are laid out in the given order, 8-aligned. */
export function encodeSafetensors(tensors: Map<string, Tensor>, metadata: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`${name}: shape ${t.shape} holds ${n} values, data has ${t.data.length}`);
    header[name] = { dtype: "F32", shape: t.shape, data_offsets: [offset, offset + 4 * n] };
    offset += 4 * n;
  }
  const text = JSON.stringify(header);
  const json = new TextEncoder().encode(text + " ".repeat((8 - (new TextEncoder().encode(text).length % 8)) % 8));
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let p = 8 + json.length;
  for (const t of tensors.values()) {
    out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), p); // little-endian hosts
    p += t.data.byteLength;
  }
  return out;
}

/** Parses and validates a .safetensors buffer; every tensor comes back as f32. */
export function decodeSafetensors(buf: Uint8Array, name: string): SafeTensors {
  if (buf.length < 8) fileError(name, `not a safetensors file (${buf.length} bytes)`);
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const hlen = dv.getBigUint64(0, true);
  if (hlen > BigInt(MAX_HEADER))
    fileError(name, `not a safetensors file (its header length ${hlen} is over the ${MAX_HEADER}-byte limit)`);
  if (hlen > BigInt(buf.length - 8))
    fileError(name, `safetensors header length ${hlen} runs past the end of the file (${buf.length} bytes)`);
  const h = Number(hlen);
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + h)));
  } catch (e) {
    fileError(name, `safetensors header is not valid JSON (${(e as Error).message})`);
  }
  if (!header || typeof header !== "object" || Array.isArray(header))
    fileError(name, "safetensors header is not a JSON object");
  const dataStart = 8 + h,
    dataLen = buf.length - dataStart;
  const metadata: Record<string, string> = {};
  const tensors = new Map<string, Tensor>();
  const spans: [number, number, string][] = [];
  for (const [key, info] of Object.entries(header)) {
    if (key === "__metadata__") {
      if (info && typeof info === "object") for (const [k, v] of Object.entries(info)) metadata[k] = String(v);
      continue;
    }
    const t = info as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (!t || typeof t !== "object") fileError(name, `tensor '${key}' has no description`);
    const dtype = String(t.dtype);
    if (!(dtype in BYTES)) fileError(name, `tensor '${key}' has dtype ${dtype}; only F32, F64, F16 and BF16 are read`);
    const shape = t.shape;
    if (!Array.isArray(shape) || shape.some((d) => !Number.isSafeInteger(d) || d < 0))
      fileError(name, `tensor '${key}' has a bad shape ${JSON.stringify(shape)}`);
    const offs = t.data_offsets;
    if (
      !Array.isArray(offs) ||
      offs.length !== 2 ||
      offs.some((d) => !Number.isSafeInteger(d) || d < 0) ||
      offs[0] > offs[1]
    ) {
      fileError(name, `tensor '${key}' has bad data_offsets ${JSON.stringify(offs)}`);
    }
    const [b, e] = offs as [number, number];
    if (e > dataLen) fileError(name, `tensor '${key}' data [${b}, ${e}) is out of range (${dataLen} data bytes)`);
    const n = (shape as number[]).reduce((a, x) => a * x, 1);
    if (e - b !== n * BYTES[dtype])
      fileError(
        name,
        `tensor '${key}' of shape ${JSON.stringify(shape)} ${dtype} needs ${n * BYTES[dtype]} bytes, data_offsets give ${e - b}`,
      );
    spans.push([b, e, key]);
    tensors.set(key, { shape: shape as number[], data: toF32(buf.subarray(dataStart + b, dataStart + e), dtype, n) });
  }
  spans.sort((x, y) => x[0] - y[0]);
  for (let i = 1; i < spans.length; i++) {
    if (spans[i][0] < spans[i - 1][1]) fileError(name, `tensors '${spans[i - 1][2]}' and '${spans[i][2]}' overlap`);
  }
  return { tensors, metadata };
}

function toF32(bytes: Uint8Array, dtype: string, n: number): Float32Array {
  const out = new Float32Array(n);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dtype === "F32") for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
  else if (dtype === "F64") for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, true);
  else if (dtype === "BF16") {
    const u = new Uint32Array(1),
      f = new Float32Array(u.buffer);
    for (let i = 0; i < n; i++) {
      u[0] = dv.getUint16(2 * i, true) << 16;
      out[i] = f[0];
    }
  } else for (let i = 0; i < n; i++) out[i] = halfToFloat(dv.getUint16(2 * i, true));
  return out;
}

function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1,
    e = (h >> 10) & 0x1f,
    m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

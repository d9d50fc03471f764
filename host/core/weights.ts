// A Model's parameters (and Adam state) ⇄ .safetensors, by PyTorch state-dict name.
// Loading is strict: every parameter must be present with its exact shape, and any tensor that is
// neither a parameter nor optimizer state is an error (it means the file is for another network).
import { getArch, type Arch } from "./arch.js";
import { fileError } from "./errors.js";
import type { Model } from "./model.js";
import { planLayers, type TensorInfo } from "./plan.js";
import { encodeSafetensors, type SafeTensors, type Tensor } from "./safetensors.js";

/** The models the package ships, by name: their files relative to the package root. */
export const SHIPPED_MODELS = { photo: "data/photo.safetensors", digits: "data/default.safetensors" } as const;
export type ShippedModel = keyof typeof SHIPPED_MODELS;

/** Whether a string names a shipped model ("photo", "digits"). */
export function isShipped(name: unknown): name is ShippedModel {
  return typeof name === "string" && Object.hasOwn(SHIPPED_MODELS, name);
}

const M_PREFIX = "optimizer.exp_avg.";
const V_PREFIX = "optimizer.exp_avg_sq.";
const STEP_KEY = "optimizer.step";

/** The model's weights, Adam state (unless withOptimizer is false) and metadata as .safetensors bytes. */
export function encodeWeights(
  model: Model,
  facts: Record<string, string | number | boolean> = {},
  withOptimizer = true,
): Uint8Array {
  const bad = firstNonFinite(model);
  if (bad) throw new Error(`refusing to save non-finite weights (${bad})`);
  const tensors = new Map<string, Tensor>();
  const params = model.paramsView();
  // Views into wasm memory, not copies: encodeSafetensors copies them into its output (no wasm call between).
  const slice = (a: Float32Array, t: { offset: number; numel: number }) => a.subarray(t.offset, t.offset + t.numel);
  for (const t of model.tensors) tensors.set(t.name, { shape: t.shape, data: slice(params, t) });
  const metadata: Record<string, string> = {
    format: "pt",
    producer: "denoise-wasm",
    arch: model.arch.name,
    arch_json: JSON.stringify(model.arch),
    loss: model.loss,
    ...(model.loss === "mse+l1" ? { l1_weight: String(model.l1Weight) } : {}),
  };
  for (const [k, val] of Object.entries(facts)) metadata[k] = String(val);
  if (withOptimizer && model.step > 0) {
    const m = model.adamMView(),
      v = model.adamVView();
    for (const t of model.tensors) tensors.set(M_PREFIX + t.name, { shape: t.shape, data: slice(m, t) });
    for (const t of model.tensors) tensors.set(V_PREFIX + t.name, { shape: t.shape, data: slice(v, t) });
    metadata[STEP_KEY] = String(model.step);
    metadata["optimizer.lr"] = String(model.adam.lr);
    metadata["optimizer.betas"] = `${model.adam.beta1},${model.adam.beta2}`;
    metadata["optimizer.eps"] = String(model.adam.eps);
    metadata["optimizer.weight_decay"] = String(model.adam.weightDecay);
  }
  return encodeSafetensors(tensors, metadata);
}

/** Largest network a file may describe: 64 M parameters (256 MB of f32 per arena). */
export const MAX_PARAMS = 64 * 1024 * 1024;

/**
 * The architecture a weights file was saved for: its `arch_json`, else its `arch` name, else
 * `fallback`. A description from a file is checked (shapes, layers, size) before anything is built.
 */
export function archOf(st: SafeTensors, file: string, fallback: string): Arch {
  const json = st.metadata.arch_json;
  let arch: Arch;
  if (json) {
    let a: unknown;
    try {
      a = JSON.parse(json);
    } catch {
      fileError(file, "metadata arch_json is not valid JSON");
    }
    const o = a as Partial<Arch> | null;
    if (
      !o ||
      typeof o !== "object" ||
      typeof o.name !== "string" ||
      !Array.isArray(o.input) ||
      o.input.length !== 3 ||
      !Array.isArray(o.layers) ||
      o.layers.some((l) => !l || typeof l !== "object")
    ) {
      fileError(file, "metadata arch_json is not an architecture ({name, input: [C, H, W], layers: [...]})");
    }
    arch = o as Arch;
  } else {
    const name = st.metadata.arch ?? fallback;
    try {
      arch = getArch(name);
    } catch (e) {
      fileError(file, (e as Error).message);
    }
  }
  let params: number;
  try {
    params = planLayers(arch).paramFloats;
  } catch (e) {
    fileError(file, `architecture ${JSON.stringify(arch.name)} is invalid: ${(e as Error).message}`);
  }
  if (params > MAX_PARAMS) fileError(file, `architecture ${arch.name} has ${params} parameters (limit ${MAX_PARAMS})`);
  return arch;
}

/** The first non-finite parameter as "name[index] = value", or undefined when all are finite. */
export function firstNonFinite(model: Model): string | undefined {
  return model.firstNonFinite();
}

/**
 * Checks a file's tensors against an architecture's parameters (`tensors`, from planLayers): every
 * parameter present with its exact shape and finite values, nothing else but Adam state for them.
 */
export function checkParams(st: SafeTensors, tensors: readonly TensorInfo[], archName: string, file: string): void {
  const names = new Set(tensors.map((t) => t.name));
  for (const key of st.tensors.keys()) {
    const base = key.startsWith(M_PREFIX)
      ? key.slice(M_PREFIX.length)
      : key.startsWith(V_PREFIX)
        ? key.slice(V_PREFIX.length)
        : key;
    if (!names.has(base)) fileError(file, `unexpected tensor '${key}': architecture ${archName} has no such parameter`);
  }
  for (const t of tensors) {
    const s = st.tensors.get(t.name);
    if (!s) fileError(file, `missing tensor '${t.name}' (architecture ${archName} needs ${t.shape.join("×")})`);
    if (s.shape.join() !== t.shape.join())
      fileError(
        file,
        `tensor '${t.name}' has shape ${s.shape.join("×")}, architecture ${archName} needs ${t.shape.join("×")}`,
      );
    const bad = firstNonFiniteIndex(s.data);
    if (bad >= 0) fileError(file, `tensor '${t.name}' holds a non-finite value (${s.data[bad]}) at index ${bad}`);
  }
}

/**
 * The index of the first NaN or ±Infinity in `data`, or −1. A plain loop: it checks every weight of a
 * file (3.3 M for the photo model), where findIndex's callback took ~20 ms.
 */
export function firstNonFiniteIndex(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) {
    const x = data[i];
    if (x - x !== 0) return i; // NaN − NaN and ∞ − ∞ are NaN
  }
  return -1;
}

/** The parameter list (names and shapes) each file's tensors last passed checkParams against. */
const checkedAgainst = new WeakMap<SafeTensors, string>();

/**
 * Copies a file's tensors into the model. With `optimizer`, also Adam's m, v and step when the file
 * has them (returns whether it did); otherwise the optimizer starts fresh.
 */
export function applyWeights(model: Model, st: SafeTensors, file: string, optimizer = false): boolean {
  // denoise builds a tile model, and so applies the same file, on every call: check each file once per parameter list.
  const list = model.tensors.map((t) => `${t.name}:${t.shape.join("x")}`).join();
  if (checkedAgainst.get(st) !== list) {
    checkParams(st, model.tensors, model.arch.name, file);
    checkedAgainst.set(st, list);
  }
  const params = model.paramsView();
  for (const t of model.tensors) params.set(st.tensors.get(t.name)!.data, t.offset);
  model.resetOptimizer();
  const step = Number(st.metadata[STEP_KEY]);
  if (!optimizer || !(step > 0)) return false;
  const m = model.adamMView(),
    v = model.adamVView();
  for (const t of model.tensors) {
    const mt = st.tensors.get(M_PREFIX + t.name),
      vt = st.tensors.get(V_PREFIX + t.name);
    if (!mt || !vt) fileError(file, `optimizer state for '${t.name}' is missing (file says step ${step})`);
    if (mt.shape.join() !== t.shape.join() || vt.shape.join() !== t.shape.join())
      fileError(file, `optimizer state for '${t.name}' has the wrong shape`);
    m.set(mt.data, t.offset);
    v.set(vt.data, t.offset);
  }
  model.step = step;
  return true;
}

/** FNV-1a (64-bit) of the parameter arena's bytes, as hex: equal digests mean bit-identical weights. */
export function weightsDigest(model: Model): string {
  const p = model.paramsView();
  const bytes = new Uint8Array(p.buffer, p.byteOffset, p.byteLength);
  let h = 0xcbf29ce484222325n;
  const prime = 0x100000001b3n,
    mask = (1n << 64n) - 1n;
  // Fold 8 bytes at a time into BigInt arithmetic: fast enough for ~1 MB, exact everywhere.
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let i = 0;
  for (; i + 8 <= bytes.length; i += 8) h = ((h ^ view.getBigUint64(i, true)) * prime) & mask;
  for (; i < bytes.length; i++) h = ((h ^ BigInt(bytes[i])) * prime) & mask;
  return h.toString(16).padStart(16, "0");
}

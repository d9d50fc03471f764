// Planning a network before any wasm memory is touched: each layer's shapes and geometry (kernel,
// stride, padding resolved once, here), its parameters with PyTorch names and offsets, and every
// arena a Model of it reserves, in order, for (architecture, batch, threads, training or
// inference). The Model allocates exactly this list; every memory guard (CLI, page) sums it; the
// engine's allocator (assembly/memory.ts) moves its top by exactly an arena's bytes, so the sum is
// the model's real footprint (test/engine.test.ts checks it for every named architecture).
import { imageShape, pair, type Arch, type LayerSpec } from "./arch.js";
import { stepRecordBytes, type Abi, type OpName } from "./abi.js";
import type { Engine } from "./engine.js";
import { UserError } from "./errors.js";

/** One named parameter tensor: where it sits (in floats from the arena start) and its PyTorch shape. */
export interface TensorInfo {
  name: string;
  shape: number[];
  offset: number;
  numel: number;
  /** PyTorch's fan_in for default init (ConvTranspose2d: weight.size(1)·kh·kw, a PyTorch quirk). */
  fanIn: number;
}

/** Per-image shape [C, H, W]. */
export type Shape3 = [number, number, number];

/** A convolution's kernel, stride, padding and output padding (0 for conv2d), each [h, w]. */
export interface Geometry {
  kh: number;
  kw: number;
  sh: number;
  sw: number;
  ph: number;
  pw: number;
  oph: number;
  opw: number;
}

export interface LayerInfo {
  spec: LayerSpec;
  op: OpName;
  inShape: Shape3;
  outShape: Shape3;
  /** Convolutions only. */
  geom?: Geometry;
  /** Producer of this layer's input: −1 for the network input. */
  from: number;
  /** Producer of ADD's second input (−1: the network input). */
  from2?: number;
  weight?: TensorInfo;
  bias?: TensorInfo;
}

export interface LayerPlan {
  layers: LayerInfo[];
  tensors: TensorInfo[];
  /** Floats of one parameter-sized arena (each tensor starts 16-byte aligned). */
  paramFloats: number;
}

export const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
const align4 = (n: number) => Math.ceil(n / 4) * 4;

/** Shapes, geometry, parameters and producers of every layer, checked; no wasm involved. */
export function planLayers(arch: Arch): LayerPlan {
  const layers: LayerInfo[] = [];
  const tensors: TensorInfo[] = [];
  const ids = new Map<string, number>([["input", -1]]);
  let offset = 0;
  let shape: Shape3 = [...arch.input];
  if (shape.some((d) => !Number.isInteger(d) || d < 1)) throw new Error(`${arch.name}: bad input shape ${shape}`);
  const addTensor = (name: string, shp: number[], fanIn: number): TensorInfo => {
    const t = { name, shape: shp, offset, numel: numel(shp), fanIn };
    offset += align4(t.numel);
    tensors.push(t);
    return t;
  };
  arch.layers.forEach((spec, i) => {
    const where = `${arch.name} layer ${i} (${spec.type})`;
    const inShape = shape;
    const [C, H, W] = inShape;
    let out: Shape3;
    const info: Partial<LayerInfo> = { spec, inShape, from: i - 1 };
    if (spec.type === "conv2d" || spec.type === "convTranspose2d") {
      const [kh, kw] = pair(spec.kernel, 1),
        [sh, sw] = pair(spec.stride, 1),
        [ph, pw] = pair(spec.padding, 0);
      const [oph, opw] = spec.type === "convTranspose2d" ? pair(spec.outputPadding, 0) : [0, 0];
      const ints = [spec.out, kh, kw, sh, sw];
      if (
        ints.some((v) => !Number.isInteger(v) || v < 1) ||
        [ph, pw, oph, opw].some((v) => !Number.isInteger(v) || v < 0)
      ) {
        throw new Error(`${where}: out channels, kernel and stride must be integers ≥ 1, padding ≥ 0`);
      }
      info.geom = { kh, kw, sh, sw, ph, pw, oph, opw };
      info.op = spec.type;
      if (spec.type === "conv2d") {
        const Ho = Math.floor((H + 2 * ph - kh) / sh) + 1,
          Wo = Math.floor((W + 2 * pw - kw) / sw) + 1;
        if (H + 2 * ph < kh || W + 2 * pw < kw)
          throw new Error(`${where}: kernel ${kh}×${kw} larger than padded input ${H}×${W}`);
        out = [spec.out, Ho, Wo];
        info.weight = addTensor(`${spec.name}.weight`, [spec.out, C, kh, kw], C * kh * kw);
        if (spec.bias !== false) info.bias = addTensor(`${spec.name}.bias`, [spec.out], C * kh * kw);
      } else {
        if (oph >= sh || opw >= sw) throw new Error(`${where}: output padding must be ≥ 0 and smaller than the stride`);
        const Ho = (H - 1) * sh - 2 * ph + kh + oph,
          Wo = (W - 1) * sw - 2 * pw + kw + opw;
        if (Ho < 1 || Wo < 1) throw new Error(`${where}: output would be ${Ho}×${Wo}`);
        out = [spec.out, Ho, Wo];
        // PyTorch's fan_in for ConvTranspose2d comes from weight.size(1) = out channels.
        info.weight = addTensor(`${spec.name}.weight`, [C, spec.out, kh, kw], spec.out * kh * kw);
        if (spec.bias !== false) info.bias = addTensor(`${spec.name}.bias`, [spec.out], spec.out * kh * kw);
      }
    } else if (spec.type === "add") {
      const from2 = ids.get(spec.with);
      if (from2 === undefined) throw new Error(`${where}: no earlier layer has id '${spec.with}'`);
      const other = from2 < 0 ? arch.input : layers[from2].outShape;
      // The other tensor may hold more channels (the network input with its noise-level map): its first C are added.
      if (other[1] !== H || other[2] !== W || other[0] < C)
        throw new Error(`${where}: cannot add ${other.join("×")} to ${inShape.join("×")}`);
      info.op = "add";
      info.from2 = from2;
      out = inShape;
    } else if (
      spec.type === "relu" ||
      spec.type === "leakyRelu" ||
      spec.type === "sigmoid" ||
      spec.type === "identity"
    ) {
      info.op = spec.type;
      out = inShape;
    } else {
      throw new Error(`${where}: unknown layer type`);
    }
    info.outShape = out;
    if (spec.id !== undefined) {
      if (ids.has(spec.id)) throw new Error(`${where}: duplicate id '${spec.id}'`);
      ids.set(spec.id, i);
    }
    layers.push(info as LayerInfo);
    shape = out;
  });
  const image = imageShape(arch);
  if (shape.join() !== image.join()) {
    throw new Error(
      `${arch.name}: output ${shape.join("×")} differs from its image ${image.join("×")}; a denoiser maps an image to an image`,
    );
  }
  return { layers, tensors, paramFloats: offset };
}

/** Multiply-adds per image of one forward pass (×2 for FLOP). */
export function macsPerImage(plan: LayerPlan): number {
  let macs = 0;
  for (const l of plan.layers) {
    if (!l.geom) continue;
    const k = l.geom.kh * l.geom.kw,
      [Ci, Hi, Wi] = l.inShape,
      [Co, Ho, Wo] = l.outShape;
    macs += l.op === "conv2d" ? Co * Ho * Wo * Ci * k : Ci * Hi * Wi * Co * k;
  }
  return macs;
}

/** The engine's workspace formulas (assembly/conv2d.ts, conv_transpose2d.ts; f64, so hostile shapes do not wrap). */
export interface WorkspaceSizer {
  conv2dWorkspaceBytes(
    B: number,
    Cin: number,
    H: number,
    W: number,
    Cout: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
  ): number;
  convTranspose2dWorkspaceBytes(
    B: number,
    Cin: number,
    H: number,
    W: number,
    Cout: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
    oph: number,
    opw: number,
  ): number;
}

export interface MemoryOptions {
  /** Images per batch (the most a forward or training step takes). */
  batch: number;
  /** Threads sharing the batch (⌈batch / threads⌉ images each); default 1. */
  threads?: number;
  /** Inference only: no gradients, no Adam state. */
  inference?: boolean;
}

/** Arena kinds a Model reserves; per-thread ones carry the thread index. */
export type ArenaKind =
  | "params"
  | "grads"
  | "adamM"
  | "adamV"
  | "acts"
  | "actGrads"
  | "rng"
  | "stepRecord"
  | "noiseRec"
  | "seeds"
  | "workspace"
  | "table"
  | "threadGrads";

export interface Arena {
  kind: ArenaKind;
  /** Thread of a per-thread arena (workspace, table, threadGrads). */
  thread?: number;
  /** Bytes the engine's allocator takes for it (16-byte multiple). */
  bytes: number;
}

export interface MemoryPlan extends LayerPlan, Required<MemoryOptions> {
  /** Images per thread slice. */
  sliceSize: number;
  /** Floats of the input (and of the target) buffer at the front of `acts`. */
  ioFloats: number;
  /** Floats of each layer's output buffer in `acts` (and of its gradient in `actGrads`). */
  layerFloats: number[];
  /** The arenas in allocation order. */
  arenas: Arena[];
  /** Sum of the arenas' bytes: what building the model adds to wasm memory. */
  total: number;
}

const bytes16 = (floats: number) => Math.max(16, Math.ceil((floats * 4) / 16) * 16);

/**
 * Every arena a Model of `arch` reserves, in order. `sizer` is the engine's exports (workspace
 * formulas), `abi` its record layouts (host/core/abi.ts).
 */
export function planMemory(arch: Arch, opts: MemoryOptions, sizer: WorkspaceSizer, abi: Abi): MemoryPlan {
  const batch = opts.batch,
    threads = opts.threads ?? 1,
    inference = !!opts.inference;
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch size must be an integer ≥ 1, got ${batch}`);
  if (!Number.isInteger(threads) || threads < 1) throw new Error(`thread count must be an integer ≥ 1, got ${threads}`);
  const lp = planLayers(arch);
  const sliceSize = Math.ceil(batch / threads);
  const ioFloats = align4(batch * numel(arch.input));
  const layerFloats = lp.layers.map((l) => align4(batch * numel(l.outShape)));
  const actFloats = layerFloats.reduce((a, b) => a + b, 0);
  let ws = 0;
  for (const l of lp.layers) {
    if (!l.geom) continue;
    const [C, H, W] = l.inShape,
      outC = l.outShape[0],
      g = l.geom;
    ws = Math.max(
      ws,
      l.op === "conv2d"
        ? sizer.conv2dWorkspaceBytes(sliceSize, C, H, W, outC, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw)
        : sizer.convTranspose2dWorkspaceBytes(
            sliceSize,
            C,
            H,
            W,
            outC,
            g.kh,
            g.kw,
            g.sh,
            g.sw,
            g.ph,
            g.pw,
            g.oph,
            g.opw,
          ),
    );
  }
  // A training step measures each noisy input's level for its noise-level map in the workspace (assembly/noise_level.ts).
  if (arch.noiseMap && !inference) ws = Math.max(ws, 4 * (arch.input[1] >> 1) * (arch.input[2] >> 1));
  const P = bytes16(lp.paramFloats);
  const arenas: Arena[] = [{ kind: "params", bytes: P }];
  if (!inference) arenas.push({ kind: "grads", bytes: P }, { kind: "adamM", bytes: P }, { kind: "adamV", bytes: P });
  arenas.push({ kind: "acts", bytes: bytes16(2 * ioFloats + actFloats) });
  if (!inference) arenas.push({ kind: "actGrads", bytes: bytes16(actFloats) });
  for (let t = 0; t < threads; t++) {
    arenas.push({ kind: "workspace", thread: t, bytes: bytes16(ws / 4) });
    arenas.push({ kind: "table", thread: t, bytes: bytes16(lp.layers.length * abi.layerFields) });
    if (!inference && t > 0) arenas.push({ kind: "threadGrads", thread: t, bytes: P });
  }
  arenas.push({ kind: "rng", bytes: 32 });
  if (!inference && threads > 1) arenas.push({ kind: "stepRecord", bytes: bytes16(stepRecordBytes(abi, threads) / 4) });
  if (!inference)
    arenas.push(
      { kind: "noiseRec", bytes: bytes16(abi.noiseRecBytes / 4) },
      { kind: "seeds", bytes: bytes16(2 * batch) },
    );
  const total = arenas.reduce((a, r) => a + r.bytes, 0);
  return { ...lp, batch, threads, inference, sliceSize, ioFloats, layerFloats, arenas, total };
}

/** planMemory with an engine's workspace formulas and ABI. */
export function planModel(engine: Engine, arch: Arch, opts: MemoryOptions): MemoryPlan {
  return planMemory(arch, opts, engine.exports, engine.abi);
}

/**
 * Refuses, with one line naming `what`, a model that would not fit the engine's memory: what its
 * allocator already holds plus the plan's total, against the memory's limit (engine.maxBytes).
 */
export function checkMemory(engine: Engine, plan: MemoryPlan, arch: Arch, what: string): void {
  const used = engine.heapTop(),
    limit = engine.maxBytes;
  if (used + plan.total <= limit) return;
  const gib = (n: number) => (n / 2 ** 30).toFixed(2);
  throw new UserError(
    `${what} would need ${gib(plan.total)} GiB of wasm memory with architecture ${arch.name}` +
      ` (limit: ${gib(limit)} GiB${engine.threaded ? " for the threads build's shared memory" : ""})`,
  );
}

// Planning a network before any wasm memory is touched: each layer's shapes and geometry (kernel,
// stride, padding resolved once, here), its parameters with PyTorch names and offsets, and every
// arena a Model of it reserves, in order, for (architecture, batch, threads, training or
// inference). The Model allocates exactly this list; every memory guard (CLI, page) sums it; the
// engine's allocator (assembly/memory.ts) moves its top by exactly an arena's bytes, so the sum is
// the model's real footprint (test/engine.test.ts checks it for every named architecture).
import { imageShape, pair, type Arch, type LayerSpec } from "./arch.js";
import { stepRecordBytes, type Abi, type OpName } from "./abi.js";
import type { Engine } from "./engine.js";
import type { EngineExports } from "./exports.js";
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

/** Multiply-adds per image of one layer's forward (0: a layer without weights). */
export function layerMacs(l: LayerInfo): number {
  if (!l.geom) return 0;
  const k = l.geom.kh * l.geom.kw,
    [Ci, Hi, Wi] = l.inShape,
    [Co, Ho, Wo] = l.outShape;
  return l.op === "conv2d" ? Co * Ho * Wo * Ci * k : Ci * Hi * Wi * Co * k;
}

/** Multiply-adds per image of one forward pass (×2 for FLOP). */
export function macsPerImage(plan: LayerPlan): number {
  return plan.layers.reduce((macs, l) => macs + layerMacs(l), 0);
}

/**
 * What planning needs of the engine (host/core/exports.ts, their one declaration): its workspace formulas
 * (assembly/conv2d.ts, conv_transpose2d.ts; f64, so hostile shapes do not wrap) for forward and backward
 * (training) or the forward alone (inference: large images in bands of rows), and whether a transposed
 * convolution takes the Winograd path, the one that can add into its output (accumulatesIntoSkip).
 */
export type WorkspaceSizer = Pick<
  EngineExports,
  | "conv2dForwardWorkspaceBytes"
  | "convTranspose2dForwardWorkspaceBytes"
  | "conv2dWorkspaceBytes"
  | "convTranspose2dWorkspaceBytes"
  | "convTranspose2dWinograd"
>;

export interface MemoryOptions {
  /** Images per batch (the most a forward or training step takes). */
  batch: number;
  /** Threads sharing the batch (⌈batch / threads⌉ images each); default 1. */
  threads?: number;
  /** Inference only: no gradients, no Adam state. */
  inference?: boolean;
  /**
   * Inference: every layer's output in a buffer of its own, as training has them (tests and the
   * layer profile read them), instead of buffers reused once their last reader has run.
   */
  keepActivations?: boolean;
  /**
   * Inference: the threads share each layer of the whole batch (bands of its rows, claimed a share at
   * a time; assembly/model.ts modelForwardPart) instead of each running a slice of the images through every layer. One region of
   * activations and one layer table, a workspace per thread: a batch of one large tile keeps every
   * thread busy within the memory of one tile.
   */
  splitLayers?: boolean;
  /**
   * Inference: a target buffer beside the input (default true: eval and the page sample noise into the
   * input from it). denoise's tile models take none: at the photo model's liveness peak it was 4 of 91
   * floats a pixel.
   */
  target?: boolean;
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
  /**
   * Bytes from its start the allocator clears (default: all). An inference model's activations past
   * its input and target, and its workspaces, are written before they are read (its layers reuse them
   * anyway), so a released model's data there is left as it is: clearing them cost a 1 MP denoise
   * call ~35 ms on one thread (test/liveness.test.ts runs a model on memory filled with NaN).
   */
  clear?: number;
}

/**
 * Where a layer's output lives in the `acts` arena: `offset` floats from its start, then either one
 * buffer for the whole batch (`shared`: thread t's slice starts at its first image, as the input's)
 * or one copy per thread (thread t's at offset + t · threadFloats: a liveness plan's buffers, which
 * threads running different layers at the same time must not share).
 */
export interface ActBuffer {
  offset: number;
  shared: boolean;
}

export interface MemoryPlan extends LayerPlan, Required<MemoryOptions> {
  /** Images per thread slice. */
  sliceSize: number;
  /** Floats of the input (and of the target) buffer at the front of `acts`. */
  ioFloats: number;
  /** Floats of each layer's output for the whole batch (and of its gradient in `actGrads`). */
  layerFloats: number[];
  /** Whether layer i runs with layer i + 1 (fusedWithNext): its own output is never written. */
  fused: boolean[];
  /** Whether layer i adds itself into the skip of the add at i + 1 (accumulatesIntoSkip): that add never runs. */
  accumulates: boolean[];
  /** Each layer's output buffer (a fused layer's is its activation's, where it writes). */
  buffers: ActBuffer[];
  /** Floats of one thread's region of reused buffers (0: every layer has its own, as training needs). */
  threadFloats: number;
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
  const keepActivations = !inference || !!opts.keepActivations;
  if (opts.splitLayers && !inference) throw new Error("only an inference model's threads can share its layers");
  const splitLayers = !!opts.splitLayers && threads > 1;
  const lp = planLayers(arch);
  // Slices of images, each with its own activation region and table (one when the threads share layers).
  const slices = splitLayers ? 1 : threads;
  const sliceSize = Math.ceil(batch / slices);
  const ioFloats = align4(batch * numel(arch.input)),
    io = (!inference || opts.target !== false ? 2 : 1) * ioFloats; // the input, and the target unless there is none
  const layerFloats = lp.layers.map((l) => align4(batch * numel(l.outShape)));
  const fused = fusedWithNext(lp.layers, inference);
  const accumulates = keepActivations
    ? lp.layers.map(() => false)
    : accumulatesIntoSkip(lp.layers, fused, (l) => {
        const [C, H, W] = l.inShape,
          g = l.geom!;
        return (
          sizer.convTranspose2dWinograd(C, H, W, l.outShape[0], g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.oph, g.opw) !== 0
        );
      });
  const { buffers, threadFloats, actFloats } = keepActivations
    ? keptBuffers(layerFloats, io)
    : liveBuffers(lp.layers, { fused, accumulates }, batch, sliceSize, io);
  // An inference model runs only forward passes, which take a large image in bands of rows: their workspace.
  const conv2dBytes = inference ? sizer.conv2dForwardWorkspaceBytes : sizer.conv2dWorkspaceBytes,
    convTranspose2dBytes = inference ? sizer.convTranspose2dForwardWorkspaceBytes : sizer.convTranspose2dWorkspaceBytes;
  let ws = 0;
  for (const l of lp.layers) {
    if (!l.geom) continue;
    const [C, H, W] = l.inShape,
      outC = l.outShape[0],
      g = l.geom;
    ws = Math.max(
      ws,
      l.op === "conv2d"
        ? conv2dBytes(sliceSize, C, H, W, outC, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw)
        : convTranspose2dBytes(sliceSize, C, H, W, outC, g.kh, g.kw, g.sh, g.sw, g.ph, g.pw, g.oph, g.opw),
    );
  }
  // A training step measures each noisy input's level for its noise-level map in the workspace (assembly/noise_level.ts).
  if (arch.noiseMap && !inference) ws = Math.max(ws, 4 * (arch.input[1] >> 1) * (arch.input[2] >> 1));
  const P = bytes16(lp.paramFloats);
  const arenas: Arena[] = [{ kind: "params", bytes: P }];
  if (!inference) arenas.push({ kind: "grads", bytes: P }, { kind: "adamM", bytes: P }, { kind: "adamV", bytes: P });
  arenas.push({
    kind: "acts",
    bytes: bytes16(io + actFloats + slices * threadFloats),
    ...(inference ? { clear: bytes16(io) } : {}),
  });
  if (!inference) arenas.push({ kind: "actGrads", bytes: bytes16(actFloats) });
  for (let t = 0; t < threads; t++) {
    arenas.push({ kind: "workspace", thread: t, bytes: bytes16(ws / 4), ...(inference ? { clear: 0 } : {}) });
    if (t < slices) arenas.push({ kind: "table", thread: t, bytes: bytes16(lp.layers.length * abi.layerFields) });
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
  return {
    ...lp,
    batch,
    threads,
    inference,
    keepActivations,
    splitLayers,
    target: io > ioFloats,
    sliceSize,
    ioFloats,
    layerFloats,
    fused,
    accumulates,
    buffers,
    threadFloats,
    arenas,
    total,
  };
}

/**
 * Which layers run with the next one (assembly/model.ts modelForward, told by the table's fuse
 * field): in inference only, a convolution or an add whose output only its next layer reads, a
 * ReLU or leaky ReLU. The conv or add writes the activation's output with the activation applied.
 */
export function fusedWithNext(layers: readonly LayerInfo[], inference: boolean): boolean[] {
  return layers.map((l, i) => {
    const next = layers[i + 1];
    if (!inference || !next || !["conv2d", "convTranspose2d", "add"].includes(l.op)) return false;
    if ((next.op !== "relu" && next.op !== "leakyRelu") || next.from !== i) return false;
    return !layers.some((o, k) => k !== i + 1 && (o.from === i || o.from2 === i));
  });
}

/**
 * Which transposed convolutions add themselves into their skip (an inference model that reuses buffers;
 * assembly/abi.ts FUSE_ACCUMULATE): layer i, on the engine's Winograd path (`winograd`: the path that adds
 * into its output with the bits of a separate add), read only by the add at i + 1, whose other input is an
 * earlier layer's output of the add's shape that nothing after the add reads, and whose sum (or its fused
 * activation) is not the network's output. The transposed convolution then needs no buffer of its own (the
 * photo model's last one held a third full-resolution map at the liveness peak), and the add no pass.
 */
export function accumulatesIntoSkip(
  layers: readonly LayerInfo[],
  fused: readonly boolean[],
  winograd: (l: LayerInfo) => boolean,
): boolean[] {
  const last = layers.length - 1;
  return layers.map((l, i) => {
    const add = layers[i + 1];
    if (l.op !== "convTranspose2d" || !add || add.op !== "add" || add.from !== i) return false;
    const s = add.from2;
    if (s === undefined || s < 0 || s === i || layers[s].outShape.join() !== add.outShape.join()) return false;
    if ((fused[i + 1] ? i + 2 : i + 1) >= last) return false;
    const reads = (k: number, v: number) => layers[k].from === v || layers[k].from2 === v;
    for (let k = 0; k < layers.length; k++) {
      if ((k !== i + 1 && reads(k, i)) || (k > i + 1 && reads(k, s))) return false;
    }
    return winograd(l);
  });
}

/**
 * The steps of an inference forward as [first layer, layer count] (assembly/model.ts modelForwardPart runs
 * each as one): a layer alone; a convolution or add with its activation (fused); a transposed convolution,
 * the add it accumulates into and that add's activation where it fuses one (accumulates).
 */
export function planSteps(plan: { fused: readonly boolean[]; accumulates: readonly boolean[] }): [number, number][] {
  const steps: [number, number][] = [];
  for (let l = 0; l < plan.fused.length; ) {
    let k = 1;
    if (plan.accumulates[l]) k++;
    if (plan.fused[l + k - 1]) k++;
    steps.push([l, k]);
    l += k;
  }
  return steps;
}

/** Every layer's output in its own batch buffer after `start` floats (training's layout). */
function keptBuffers(layerFloats: readonly number[], start: number) {
  const buffers: ActBuffer[] = [];
  let at = start;
  for (const floats of layerFloats) {
    buffers.push({ offset: at, shared: true });
    at += floats;
  }
  return { buffers, threadFloats: 0, actFloats: at - start };
}

/** Layer types that map each input element to the output element at the same index. */
const ELEMENTWISE: ReadonlySet<OpName> = new Set(["relu", "leakyRelu", "sigmoid", "identity", "add"]);

/**
 * The liveness plan of an inference forward pass. Steps are the layers as modelForward runs them
 * (planSteps). Each output not fused away is a value, live from the step that writes it
 * to the last step that reads it; the last layer's output goes to a batch buffer of its own after
 * `start` floats (the host reads it, and the input before it stays the host's). An elementwise step
 * (activation, add) writes over an input that dies there, of the same size (in place: each element
 * is read before it is written, so the bits are those of separate buffers). The rest get places in
 * one region per thread (sliceSize images each), greedy by size, largest first, each at the lowest
 * offset no value live at the same time overlaps: buffers are reused as soon as their last reader
 * has run.
 */
function liveBuffers(
  layers: readonly LayerInfo[],
  fusion: { fused: readonly boolean[]; accumulates: readonly boolean[] },
  batch: number,
  sliceSize: number,
  start: number,
) {
  const n = layers.length,
    last = n - 1,
    { fused, accumulates } = fusion;
  // step[i]: the step layer i runs in (planSteps).
  const step: number[] = [];
  planSteps(fusion).forEach(([first, count], s) => {
    for (let i = first; i < first + count; i++) step[i] = s;
  });
  const lastRead = layers.map((_, i) => step[i]);
  layers.forEach((l, i) => {
    for (const v of [l.from, l.from2]) if (v !== undefined && v >= 0) lastRead[v] = Math.max(lastRead[v], step[i]);
  });
  // owner[i]: the value whose storage holds layer i's output (itself, or an input overwritten in place).
  const owner = layers.map((_, i) => i);
  const floats = (i: number) => align4(sliceSize * numel(layers[i].outShape));
  for (let i = 0; i < last; i++) {
    if (fused[i]) continue;
    if (accumulates[i]) {
      owner[i] = owner[layers[i + 1].from2!]; // the sum goes where the skip is (then the add's in-place rule keeps it there)
      continue;
    }
    const l = layers[i],
      first = i > 0 && fused[i - 1] ? i - 1 : i; // the step's first layer: its inputs are the step's
    const op = layers[first].op;
    if (!ELEMENTWISE.has(op)) continue;
    const inputs = [layers[first].from, layers[first].from2].filter((v): v is number => v !== undefined && v >= 0);
    const same = inputs.find(
      (v) => owner[v] !== last && lastRead[v] === step[i] && numel(layers[v].outShape) === numel(l.outShape),
    );
    if (same !== undefined) owner[i] = owner[same];
  }
  // Each storage's lifetime: from its first writer's step to the last read of any value it holds.
  const life = new Map<number, { from: number; to: number; floats: number }>();
  layers.forEach((_, i) => {
    if (i === last || fused[i]) return; // the output buffer's, or never written
    const o = owner[i],
      cur = life.get(o) ?? { from: step[i], to: step[i], floats: floats(o) };
    cur.to = Math.max(cur.to, lastRead[i]);
    life.set(o, cur);
  });
  const placed: { from: number; to: number; offset: number; floats: number }[] = [];
  const offsets = new Map<number, number>();
  const order = [...life.entries()].sort((a, b) => b[1].floats - a[1].floats || a[1].from - b[1].from);
  for (const [o, s] of order) {
    const busy = placed.filter((p) => p.from <= s.to && s.from <= p.to).sort((a, b) => a.offset - b.offset);
    let at = 0;
    for (const p of busy) {
      if (p.offset >= at + s.floats) break;
      at = Math.max(at, p.offset + p.floats);
    }
    placed.push({ ...s, offset: at });
    offsets.set(o, at);
  }
  const threadFloats = placed.reduce((m, p) => Math.max(m, p.offset + p.floats), 0);
  const outFloats = align4(batch * numel(layers[last].outShape));
  const region = start + outFloats;
  const buffers = layers.map((_, i): ActBuffer => {
    const v = fused[i] ? i + 1 : i; // a fused layer writes its activation's output
    return v === last ? { offset: start, shared: true } : { offset: region + offsets.get(owner[v])!, shared: false };
  });
  return { buffers, threadFloats, actFloats: outFloats };
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

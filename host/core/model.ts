// A network built from an architecture description, living in wasm memory.
//
// Build reserves everything once (llm.c style flat arenas, each reserved by one alloc):
//   params | grads | adam m | adam v      — same layout, described by `tensors` (PyTorch names)
//   acts      — input (noisy) | target (clean) | every layer's output, for maxBatch images
//   actGrads  — ∂L/∂(every layer's output)
//   workspace — GEMM packing + im2col scratch sized for the largest layer
//   table     — the layer records assembly/model.ts walks
// After build, a training step calls a few exports with integers; it allocates nothing and never
// grows wasm memory.
//
// With a ThreadPool of T threads the batch is cut into T fixed slices of ⌈maxBatch/T⌉ images: each
// thread has its own layer table (pointers into its slice of every activation buffer), workspace and
// parameter-gradient arena; after the slices, each thread takes a range of the parameters, sums the
// arenas there in thread order and runs Adam on it (the same operations per element as one thread).
// Forward passes are bit-identical to one thread (each output element is summed the same way);
// gradients are summed per slice first, so training is deterministic for a given T but not
// bit-identical across different T.

import { type Arch, type LayerSpec, pair } from "./arch.js";
import type { Engine, EngineExports } from "./engine.js";
import { JOB, runJob, type SliceJob, type ThreadPool } from "./pool.js";

/** Op codes of assembly/model.ts. */
const OP = { conv2d: 1, convTranspose2d: 2, relu: 3, leakyRelu: 4, sigmoid: 5, add: 6, identity: 7 } as const;

/** Record field indices of assembly/model.ts. */
const F = {
  op: 0, inC: 1, inH: 2, inW: 3, outC: 4, outH: 5, outW: 6, kh: 7, kw: 8, sh: 9, sw: 10, ph: 11, pw: 12,
  oph: 13, opw: 14, w: 15, bias: 16, dw: 17, dbias: 18, x: 19, y: 20, dx: 21, dy: 22, x2: 23, dx2: 24, alpha: 25,
} as const;

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

export interface LayerInfo {
  spec: LayerSpec;
  op: number;
  inShape: Shape3;
  outShape: Shape3;
  /** Producer of this layer's input: −1 for the network input. */
  from: number;
  /** Producer of ADD's second input (−1: the network input). */
  from2?: number;
  weight?: TensorInfo;
  bias?: TensorInfo;
}

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const DEFAULT_ADAM: AdamOptions = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

export type LossKind = "mse" | "l1" | "mse+l1";
export const LOSS_KINDS: readonly LossKind[] = ["mse", "l1", "mse+l1"];
/** The engine's code for each loss (assembly/model.ts LOSS_*). */
const LOSS_CODE: Record<LossKind, number> = { mse: 0, l1: 1, "mse+l1": 2 };

const align4 = (n: number) => (n + 3) & ~3;
/** Bytes of assembly/adam.ts's step record before its arena pointers. */
const STEP_RECORD_HEAD = 64;
const numel = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Shapes, parameters and producers of every layer, checked; no wasm involved. */
export function planLayers(arch: Arch): { layers: LayerInfo[]; tensors: TensorInfo[]; paramFloats: number } {
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
      const [kh, kw] = pair(spec.kernel, 1), [sh, sw] = pair(spec.stride, 1), [ph, pw] = pair(spec.padding, 0);
      const ints = [spec.out, kh, kw, sh, sw];
      if (ints.some((v) => !Number.isInteger(v) || v < 1) || [ph, pw].some((v) => !Number.isInteger(v) || v < 0)) {
        throw new Error(`${where}: out channels, kernel and stride must be integers ≥ 1, padding ≥ 0`);
      }
      if (spec.type === "conv2d") {
        const Ho = Math.floor((H + 2 * ph - kh) / sh) + 1, Wo = Math.floor((W + 2 * pw - kw) / sw) + 1;
        if (H + 2 * ph < kh || W + 2 * pw < kw) throw new Error(`${where}: kernel ${kh}×${kw} larger than padded input ${H}×${W}`);
        out = [spec.out, Ho, Wo];
        info.op = OP.conv2d;
        info.weight = addTensor(`${spec.name}.weight`, [spec.out, C, kh, kw], C * kh * kw);
        if (spec.bias !== false) info.bias = addTensor(`${spec.name}.bias`, [spec.out], C * kh * kw);
      } else {
        const [oph, opw] = pair(spec.outputPadding, 0);
        if (oph < 0 || opw < 0 || oph >= sh || opw >= sw) throw new Error(`${where}: output padding must be ≥ 0 and smaller than the stride`);
        const Ho = (H - 1) * sh - 2 * ph + kh + oph, Wo = (W - 1) * sw - 2 * pw + kw + opw;
        if (Ho < 1 || Wo < 1) throw new Error(`${where}: output would be ${Ho}×${Wo}`);
        out = [spec.out, Ho, Wo];
        info.op = OP.convTranspose2d;
        // PyTorch's fan_in for ConvTranspose2d comes from weight.size(1) = out channels.
        info.weight = addTensor(`${spec.name}.weight`, [C, spec.out, kh, kw], spec.out * kh * kw);
        if (spec.bias !== false) info.bias = addTensor(`${spec.name}.bias`, [spec.out], spec.out * kh * kw);
      }
    } else if (spec.type === "add") {
      const from2 = ids.get(spec.with);
      if (from2 === undefined) throw new Error(`${where}: no earlier layer has id '${spec.with}'`);
      const other = from2 < 0 ? arch.input : layers[from2].outShape;
      if (other.join() !== inShape.join()) throw new Error(`${where}: cannot add ${other.join("×")} to ${inShape.join("×")}`);
      info.op = OP.add;
      info.from2 = from2;
      out = inShape;
    } else {
      info.op = OP[spec.type];
      if (info.op === undefined) throw new Error(`${where}: unknown layer type`);
      out = inShape;
    }
    info.outShape = out;
    if (spec.id !== undefined) {
      if (ids.has(spec.id)) throw new Error(`${where}: duplicate id '${spec.id}'`);
      ids.set(spec.id, i);
    }
    layers.push(info as LayerInfo);
    shape = out;
  });
  if (shape.join() !== arch.input.join()) {
    throw new Error(`${arch.name}: output ${shape.join("×")} differs from input ${arch.input.join("×")}; a denoiser maps an image to an image`);
  }
  return { layers, tensors, paramFloats: offset };
}

export class Model {
  readonly layers: LayerInfo[];
  /** The layout table: every parameter's PyTorch name, shape and offset in the arenas. */
  readonly tensors: TensorInfo[];
  readonly paramFloats: number;
  readonly inputNumel: number;
  readonly params: number;
  readonly grads: number;
  readonly adamM: number;
  readonly adamV: number;
  readonly input: number;
  readonly target: number;
  readonly outputs: number[];
  readonly outputGrads: number[];
  readonly workspace: number;
  readonly table: number;
  /** Threads (1 without a pool) and the images each one takes of a full batch. */
  readonly threads: number;
  readonly sliceSize: number;
  /** Per thread: layer table, workspace, parameter-gradient arena (thread 0's are the ones above). */
  private readonly tables: number[] = [];
  private readonly workspaces: number[] = [];
  private readonly gradArenas: number[] = [];
  /** 32 bytes where the engine RNG's state is read and written (checkpoints, side-effect-free eval). */
  private readonly rngBuf: number;
  /** Adam's step count t (PyTorch's state['step']). */
  step = 0;
  adam: AdamOptions = { ...DEFAULT_ADAM };
  loss: LossKind = "mse";
  /** λ of the "mse+l1" loss, MSE + λ·L1. */
  l1Weight = 0.1;
  private readonly e: EngineExports;

  constructor(readonly engine: Engine, readonly arch: Arch, readonly maxBatch: number, readonly pool?: ThreadPool) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new Error(`batch size must be an integer ≥ 1, got ${maxBatch}`);
    if (pool && pool.engine !== engine) throw new Error("the thread pool runs another engine instance");
    const e = (this.e = engine.exports);
    this.threads = pool?.size ?? 1;
    this.sliceSize = Math.ceil(maxBatch / this.threads);
    const plan = planLayers(arch);
    this.layers = plan.layers;
    this.tensors = plan.tensors;
    this.paramFloats = plan.paramFloats;
    this.inputNumel = numel(arch.input);
    const bytes = (floats: number) => Math.max(16, align4(floats) * 4);
    this.params = e.alloc(bytes(this.paramFloats));
    this.grads = e.alloc(bytes(this.paramFloats));
    this.adamM = e.alloc(bytes(this.paramFloats));
    this.adamV = e.alloc(bytes(this.paramFloats));

    const B = maxBatch;
    const sizes = this.layers.map((l) => align4(B * numel(l.outShape)));
    const io = align4(B * this.inputNumel);
    const acts = e.alloc(bytes(2 * io + sizes.reduce((a, b) => a + b, 0)));
    const grads = e.alloc(bytes(sizes.reduce((a, b) => a + b, 0)));
    this.input = acts;
    this.target = acts + io * 4;
    this.outputs = [];
    this.outputGrads = [];
    let a = acts + 2 * io * 4, g = grads;
    for (const s of sizes) {
      this.outputs.push(a);
      this.outputGrads.push(g);
      a += s * 4;
      g += s * 4;
    }
    this.actGradBytes = g - grads;
    this.actGradBase = grads;

    let ws = e.gemmScratchBytes();
    const S = this.sliceSize;
    for (const l of this.layers) {
      const [C, H, W] = l.inShape;
      const outC = l.outShape[0];
      const k = l.spec.type === "conv2d" || l.spec.type === "convTranspose2d" ? l.spec : undefined;
      if (!k) continue;
      const [kh, kw] = pair(k.kernel, 1), [sh, sw] = pair(k.stride, 1), [ph, pw] = pair(k.padding, 0);
      ws = Math.max(ws, l.op === OP.conv2d
        ? e.conv2dWorkspaceBytes(S, C, H, W, outC, kh, kw, sh, sw, ph, pw)
        : e.convTranspose2dWorkspaceBytes(S, C, H, W, outC, kh, kw));
    }
    for (let t = 0; t < this.threads; t++) {
      this.workspaces.push(e.alloc(ws));
      this.tables.push(e.alloc(this.layers.length * e.layerFields() * 4));
      this.gradArenas.push(t === 0 ? this.grads : e.alloc(bytes(this.paramFloats)));
      this.writeTable(t);
    }
    this.workspace = this.workspaces[0];
    this.table = this.tables[0];
    this.rngBuf = e.alloc(32);
    this.stepRecord = this.threads > 1 ? e.alloc(STEP_RECORD_HEAD + 4 * this.threads) : 0;
  }

  /** assembly/adam.ts's step record for a threaded Adam step (0 with one thread). */
  private readonly stepRecord: number;

  private readonly actGradBytes: number;
  private readonly actGradBase: number;

  /** Thread t's layer table: its gradient arena, and pointers into its slice of every activation. */
  private writeTable(t: number): void {
    const nf = this.e.layerFields();
    const rec = new Int32Array(this.e.memory.buffer, this.tables[t], this.layers.length * nf);
    const f32bits = new Float32Array(1), i32bits = new Int32Array(f32bits.buffer);
    const first = t * this.sliceSize, grads = this.gradArenas[t];
    const tp = (x: TensorInfo | undefined, base: number) => (x ? base + x.offset * 4 : 0);
    const shape = (from: number) => (from < 0 ? this.arch.input : this.layers[from].outShape);
    const skip = (from: number) => first * numel(shape(from)) * 4;
    const act = (from: number) => (from < 0 ? this.input : this.outputs[from]) + skip(from);
    const grad = (from: number) => (from < 0 ? 0 : this.outputGrads[from] + skip(from));
    this.layers.forEach((l, i) => {
      const r = rec.subarray(i * nf, (i + 1) * nf);
      r.fill(0);
      r[F.op] = l.op;
      [r[F.inC], r[F.inH], r[F.inW]] = l.inShape;
      [r[F.outC], r[F.outH], r[F.outW]] = l.outShape;
      if (l.spec.type === "conv2d" || l.spec.type === "convTranspose2d") {
        [r[F.kh], r[F.kw]] = pair(l.spec.kernel, 1);
        [r[F.sh], r[F.sw]] = pair(l.spec.stride, 1);
        [r[F.ph], r[F.pw]] = pair(l.spec.padding, 0);
        if (l.spec.type === "convTranspose2d") [r[F.oph], r[F.opw]] = pair(l.spec.outputPadding, 0);
        r[F.w] = tp(l.weight, this.params);
        r[F.bias] = tp(l.bias, this.params);
        r[F.dw] = tp(l.weight, grads);
        r[F.dbias] = tp(l.bias, grads);
      }
      if (l.spec.type === "leakyRelu") {
        f32bits[0] = l.spec.slope ?? 0.01;
        r[F.alpha] = i32bits[0];
      }
      r[F.x] = act(l.from);
      r[F.y] = act(i);
      r[F.dx] = grad(l.from);
      r[F.dy] = grad(i);
      if (l.from2 !== undefined) {
        r[F.x2] = act(l.from2);
        r[F.dx2] = grad(l.from2);
      }
    });
  }

  /** A copy of the engine RNG's state (xoshiro256**, 32 bytes). */
  rngState(): Uint8Array {
    this.e.rngGetState(this.rngBuf);
    return new Uint8Array(this.e.memory.buffer, this.rngBuf, 32).slice();
  }

  setRngState(state: Uint8Array): void {
    if (state.length !== 32) throw new Error(`RNG state is 32 bytes, got ${state.length}`);
    new Uint8Array(this.e.memory.buffer, this.rngBuf, 32).set(state);
    this.e.rngSetState(this.rngBuf);
  }

  /** Bytes of wasm memory right now (a training step must leave this unchanged). */
  memoryBytes(): number {
    return this.e.memory.buffer.byteLength;
  }

  private view(ptr: number, n: number): Float32Array {
    return new Float32Array(this.e.memory.buffer, ptr, n);
  }

  private checkBatch(B: number): void {
    if (!Number.isInteger(B) || B < 1 || B > this.maxBatch) {
      throw new Error(`batch ${B} outside 1..${this.maxBatch} (the size this model was built for)`);
    }
  }

  /** The whole parameter arena (views are rebuilt on every call: memory may have grown). */
  paramsView(): Float32Array { return this.view(this.params, this.paramFloats); }
  gradsView(): Float32Array { return this.view(this.grads, this.paramFloats); }
  adamMView(): Float32Array { return this.view(this.adamM, this.paramFloats); }
  adamVView(): Float32Array { return this.view(this.adamV, this.paramFloats); }

  tensor(name: string): TensorInfo {
    const t = this.tensors.find((x) => x.name === name);
    if (!t) throw new Error(`${this.arch.name} has no parameter '${name}'`);
    return t;
  }
  param(name: string): Float32Array {
    const t = this.tensor(name);
    return this.view(this.params + t.offset * 4, t.numel);
  }
  grad(name: string): Float32Array {
    const t = this.tensor(name);
    return this.view(this.grads + t.offset * 4, t.numel);
  }

  /** The (noisy) input batch [B, C, H, W]: write images here. */
  inputView(B = this.maxBatch): Float32Array { return this.view(this.input, B * this.inputNumel); }
  /** The clean target batch [B, C, H, W]. */
  targetView(B = this.maxBatch): Float32Array { return this.view(this.target, B * this.inputNumel); }
  /** Output of layer i for a batch of B (the last layer's is the denoised batch). */
  activation(i: number, B = this.maxBatch): Float32Array {
    return this.view(this.outputs[i], B * numel(this.layers[i].outShape));
  }
  outputView(B = this.maxBatch): Float32Array { return this.activation(this.layers.length - 1, B); }
  get output(): number { return this.outputs[this.outputs.length - 1]; }

  /**
   * PyTorch's default init for Conv2d / ConvTranspose2d (kaiming_uniform_ with a = √5, i.e.
   * U(±1/√fan_in) for weights, and U(±1/√fan_in) for biases), drawn from the engine's RNG.
   */
  init(seed: number): void {
    this.e.rngSeed(seed >>> 0, Math.floor(seed / 2 ** 32) >>> 0);
    for (const t of this.tensors) {
      const bound = 1 / Math.sqrt(t.fanIn);
      this.e.fillUniform(this.params + t.offset * 4, t.numel, -bound, bound);
    }
    this.resetOptimizer();
  }

  /** Clears Adam's moments and step count. */
  resetOptimizer(): void {
    this.step = 0;
    this.e.zeroGrad(this.adamM, this.paramFloats);
    this.e.zeroGrad(this.adamV, this.paramFloats);
  }

  /** Thread t's share of a batch of B: its first image and image count (0: idle). */
  private slice(t: number, B: number): [number, number] {
    const first = t * this.sliceSize;
    return [first, Math.max(0, Math.min(this.sliceSize, B - first))];
  }

  /** Runs one job per thread (on the pool, or here when there is none); returns the slice results. */
  private runJobs(B: number, make: (t: number, first: number, count: number) => SliceJob): number[] {
    const jobs: SliceJob[] = [];
    for (let t = 0; t < this.threads; t++) {
      const [first, count] = this.slice(t, B);
      jobs.push(count > 0 ? make(t, first, count) : { kind: JOB.idle, table: 0, layers: 0, B: 0, ws: 0 });
    }
    return this.pool ? this.pool.run(jobs) : [runJob(this.engine, jobs[0])];
  }

  forward(B = this.maxBatch): void {
    this.checkBatch(B);
    this.runJobs(B, (t, _first, count) => ({ kind: JOB.forward, table: this.tables[t], layers: this.layers.length, B: count, ws: this.workspaces[t] }));
  }

  /** The loss of the last forward pass against the target batch. */
  lossValue(B = this.maxBatch): number {
    const n = B * this.inputNumel;
    if (this.loss === "l1") return this.e.l1Forward(this.output, this.target, n);
    const mse = this.e.mseForward(this.output, this.target, n);
    return this.loss === "mse" ? mse : Math.fround(mse + Math.fround(Math.fround(this.l1Weight) * this.e.l1Forward(this.output, this.target, n)));
  }

  /** Clears parameter gradients (backward adds into them). */
  zeroGrad(): void {
    this.e.zeroGrad(this.grads, this.paramFloats);
  }

  /** Backpropagates the loss of the last forward pass, adding into the parameter gradients. */
  backward(B = this.maxBatch): void {
    this.checkBatch(B);
    if (B > this.sliceSize) throw new Error(`backward() runs on one thread, whose workspace holds ${this.sliceSize} images: use trainStep()`);
    const n = B * this.inputNumel;
    const last = this.layers.length - 1;
    this.e.zero(this.actGradBase, this.actGradBytes);
    const dOut = this.outputGrads[last];
    if (this.loss === "l1") this.e.l1Backward(dOut, this.output, this.target, n, n, 1);
    else this.e.mseBackward(dOut, this.output, this.target, n, n, 1);
    if (this.loss === "mse+l1") this.e.l1Backward(dOut, this.output, this.target, n, n, this.l1Weight);
    this.e.modelBackward(this.table, this.layers.length, B, this.workspace);
  }

  /** One Adam step over every parameter. */
  adamStep(): void {
    this.step++;
    const o = this.adam;
    this.e.adamStep(this.params, this.grads, this.adamM, this.adamV, this.paramFloats, o.lr, o.beta1, o.beta2, o.eps, o.weightDecay, this.step);
  }

  /**
   * zero_grad → forward → loss → backward → Adam, each thread on its slice; returns the batch's loss
   * before the step. One thread: the same operations as forward(), lossValue(), backward(), adamStep().
   */
  trainStep(B = this.maxBatch): number {
    this.checkBatch(B);
    const P = this.inputNumel, last = this.layers.length - 1;
    const counts: number[] = [];
    const losses = this.runJobs(B, (t, first, count) => {
      counts[t] = count * P;
      return {
        kind: JOB.train, table: this.tables[t], layers: this.layers.length, B: count, ws: this.workspaces[t],
        out: this.output + first * P * 4, target: this.target + first * P * 4, dOut: this.outputGrads[last] + first * P * 4,
        count: count * P, divisor: B * P, lossKind: LOSS_CODE[this.loss], l1Weight: this.l1Weight,
      };
    });
    if (this.threads === 1) {
      this.adamStep();
      return losses[0];
    }
    this.threadedAdamStep(counts);
    let sum = 0;
    losses.forEach((l, t) => { sum += counts[t] ? l * counts[t] : 0; });
    return sum / (B * P);
  }

  /** adamStep() split over the pool: thread t sums the busy threads' arenas and steps its range. */
  private threadedAdamStep(counts: number[]): void {
    this.step++;
    const o = this.adam, rec = this.stepRecord, buf = this.e.memory.buffer;
    new Float64Array(buf, rec, 5).set([o.lr, o.beta1, o.beta2, o.eps, o.weightDecay]);
    const arenas = this.gradArenas.filter((_, t) => t > 0 && counts[t]);
    new Int32Array(buf, rec + 40, 6 + arenas.length).set([this.step, this.params, this.grads, this.adamM, this.adamV, arenas.length, ...arenas]);
    const share = align4(Math.ceil(this.paramFloats / this.threads));
    const jobs: SliceJob[] = [];
    for (let t = 0; t < this.threads; t++) {
      const lo = Math.min(t * share, this.paramFloats), hi = Math.min(lo + share, this.paramFloats);
      jobs.push({ kind: JOB.adam, table: rec, layers: 0, B: 0, ws: 0, lo, hi });
    }
    this.pool!.run(jobs);
  }

  /** Multiply-adds per image of one forward pass (×2 for FLOP). */
  macsPerImage(): number {
    let macs = 0;
    for (const l of this.layers) {
      if (!l.weight) continue;
      const [, Ho, Wo] = l.outShape;
      const [Ci, Hi, Wi] = l.inShape;
      const k = l.weight.shape[2] * l.weight.shape[3];
      macs += l.op === OP.conv2d ? l.outShape[0] * Ho * Wo * Ci * k : Ci * Hi * Wi * l.outShape[0] * k;
    }
    return macs;
  }
}

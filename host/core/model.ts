// A network built from an architecture description, living in wasm memory. One file of ~400
// lines: its arenas, forward pass, training step and thread slicing share the model's private
// layout (offsets into one table), which a split would have to expose.
//
// The constructor reserves exactly the arenas host/core/plan.ts lists for (architecture, batch,
// threads, training or inference), llm.c style flat arenas:
//   params | grads | adam m | adam v      — same layout, described by `tensors` (PyTorch names)
//   acts      — input (noisy) | target (clean) | every layer's output, for maxBatch images; an
//               inference model's: input | target | output | per thread, the buffers its layers
//               reuse once their last reader has run (plan.ts liveBuffers)
//   actGrads  — ∂L/∂(every layer's output)
//   per thread: workspace (GEMM packing + im2col scratch for the largest layer), layer table,
//   gradient arena (threads > 0)
// An inference model has no gradient, Adam or activation-gradient arenas. After the build a
// training step calls a few exports with integers; it allocates nothing and never grows memory.
// dispose() gives the arenas back (models are disposed in reverse order of building).
//
// With a ThreadPool of T threads the batch is cut into T fixed slices of ⌈maxBatch/T⌉ images: each
// thread has its own layer table (pointers into its slice of every activation buffer), workspace and
// parameter-gradient arena; after the slices, each thread takes a range of the parameters, sums the
// arenas there in thread order and runs Adam on it (the same operations per element as one thread).
// Forward passes are bit-identical to one thread (each output element is summed the same way);
// gradients are summed per slice first, so training is deterministic for a given T but not
// bit-identical across different T.
// (About 330 lines: the arenas, the slice jobs and the one training step belong together; the
// memory plan, the layer table and the ABI already live in plan.ts, table.ts and abi.ts.)

import { imageShape, type Arch } from "./arch.js";
import { noiseLevel } from "./noise-level.js";
import { writeNoiseRecord, writeStepRecord, type Abi, type LossKind, type NoiseSpec } from "./abi.js";
import type { Engine, EngineExports } from "./engine.js";
import {
  checkMemory,
  macsPerImage,
  numel,
  planModel,
  planSteps,
  type LayerInfo,
  type MemoryPlan,
  type TensorInfo,
} from "./plan.js";
import { JOB, runJob, type SliceJob, type ThreadPool } from "./pool.js";
import { writeLayerTable } from "./table.js";
import { type Rect, unionRect } from "./windows.js";

export interface AdamOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export const DEFAULT_ADAM: AdamOptions = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

export { LOSS_KINDS, type LossKind } from "./abi.js";

export interface ModelOptions {
  /** Inference only: no gradients or Adam state (what `denoise` and evaluation need). */
  inference?: boolean;
  /** What the model is for, in the one-line error when it would not fit the engine's memory. */
  what?: string;
  /** Inference: keep every layer's output (activation(i)) instead of reusing buffers (plan.ts MemoryOptions). */
  keepActivations?: boolean;
  /** Inference with a pool: the threads share each layer of the batch instead of slicing its images (plan.ts MemoryOptions). */
  splitLayers?: boolean;
  /** Inference: false for a model that is never given a target (denoise's tiles; plan.ts MemoryOptions). */
  target?: boolean;
}

export class Model {
  /** Every arena this model reserved, and the layers' resolved shapes and geometry. */
  readonly plan: MemoryPlan;
  readonly layers: LayerInfo[];
  /** The layout table: every parameter's PyTorch name, shape and offset in the arenas. */
  readonly tensors: TensorInfo[];
  readonly paramFloats: number;
  readonly inputNumel: number;
  /** Floats per image of the output and the target: the image's (the input without a noise-level map). */
  readonly imageNumel: number;
  readonly inference: boolean;
  /** Arena pointers (0 for those an inference model lacks). */
  readonly params: number;
  readonly grads: number;
  readonly adamM: number;
  readonly adamV: number;
  readonly input: number;
  readonly target: number;
  readonly outputs: number[];
  readonly outputGrads: number[];
  /** Thread 0's workspace and layer table (the benchmark times single layers with them). */
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
  /** assembly/adam.ts's step record for a threaded Adam step (0 with one thread or for inference). */
  private readonly stepRecord: number;
  /** The noise record and per-image seeds of a training step that samples its own noise. */
  private readonly noiseRec: number;
  private readonly seeds: number;
  /** The allocator's top before and after this model's arenas (dispose() returns to `mark`). */
  private readonly mark: number;
  private readonly end: number;
  private disposed = false;
  /** Adam's step count t (PyTorch's state['step']). */
  step = 0;
  adam: AdamOptions = { ...DEFAULT_ADAM };
  loss: LossKind = "mse";
  /** λ of the "mse+l1" loss, MSE + λ·L1. */
  l1Weight = 0.1;
  private readonly e: EngineExports;
  private readonly abi: Abi;

  constructor(
    readonly engine: Engine,
    readonly arch: Arch,
    readonly maxBatch: number,
    readonly pool?: ThreadPool,
    opts: ModelOptions = {},
  ) {
    if (pool && pool.engine !== engine) throw new Error("the thread pool runs another engine instance");
    const e = (this.e = engine.exports);
    this.abi = engine.abi;
    const plan = (this.plan = planModel(engine, arch, {
      batch: maxBatch,
      threads: pool?.size ?? 1,
      inference: opts.inference,
      keepActivations: opts.keepActivations,
      splitLayers: opts.splitLayers,
      target: opts.target,
    }));
    checkMemory(engine, plan, arch, opts.what ?? `a model for batches of ${maxBatch}`);
    this.inference = plan.inference;
    this.threads = plan.threads;
    this.sliceSize = plan.sliceSize;
    this.layers = plan.layers;
    this.tensors = plan.tensors;
    this.paramFloats = plan.paramFloats;
    this.inputNumel = numel(arch.input);
    this.imageNumel = numel(imageShape(arch));
    // Allocate exactly the plan, in its order.
    this.mark = engine.heapTop();
    const at: Record<string, number> = {};
    for (const a of plan.arenas) {
      const p = a.clear === undefined ? e.alloc(a.bytes) : e.allocUncleared(a.bytes);
      if (a.clear) e.zero(p, a.clear);
      if (a.thread === undefined) at[a.kind] = p;
      else if (a.kind === "workspace") this.workspaces[a.thread] = p;
      else if (a.kind === "table") this.tables[a.thread] = p;
      else this.gradArenas[a.thread] = p;
    }
    this.end = engine.heapTop();
    this.params = at.params;
    this.grads = at.grads ?? 0;
    this.adamM = at.adamM ?? 0;
    this.adamV = at.adamV ?? 0;
    this.gradArenas[0] = this.grads;
    this.rngBuf = at.rng;
    this.stepRecord = at.stepRecord ?? 0;
    this.noiseRec = at.noiseRec ?? 0;
    this.seeds = at.seeds ?? 0;
    this.input = at.acts;
    this.target = plan.target ? at.acts + plan.ioFloats * 4 : 0;
    // Thread t's pointer to layer i's output (to its gradient: `grad`), from the plan's buffers.
    const act = (i: number, t: number) => {
      const b = plan.buffers[i];
      return (
        at.acts +
        4 *
          (b.shared ? b.offset + t * this.sliceSize * numel(this.layers[i].outShape) : b.offset + t * plan.threadFloats)
      );
    };
    const gradAt: number[] = [];
    plan.layerFloats.reduce((g, floats, i) => {
      gradAt[i] = g;
      return g && g + floats * 4;
    }, at.actGrads ?? 0);
    const grad = (i: number, t: number) =>
      gradAt[i] && gradAt[i] + 4 * t * this.sliceSize * numel(this.layers[i].outShape);
    this.outputs = this.layers.map((_, i) => act(i, 0));
    this.outputGrads = this.layers.map((_, i) => grad(i, 0));
    for (let t = 0; t < this.tables.length; t++) {
      writeLayerTable(this.abi, this.e.memory.buffer, this.tables[t], plan, arch.input, {
        params: this.params,
        grads: this.gradArenas[t] ?? 0,
        input: this.input + 4 * t * this.sliceSize * this.inputNumel,
        outputs: this.layers.map((_, i) => act(i, t)),
        outputGrads: this.layers.map((_, i) => grad(i, t)),
      });
    }
    this.workspace = this.workspaces[0];
    this.table = this.tables[0];
  }

  /**
   * Output windows for the forwards that follow (an inference model's; host/core/windows.ts): `windows[b]`
   * the windows of every layer for image b of the batch, undefined for all of every layer. Each thread's
   * table takes the union over the images it runs (all of them where the threads share the layers); a
   * layer whose path takes no window writes its whole output as before.
   */
  setOutputWindows(windows: readonly (readonly Rect[] | undefined)[]): void {
    if (!this.inference)
      throw new Error("output windows are for inference models (a training step needs every output)");
    const { layerFields: nf, layer: F } = this.abi;
    const tables = this.plan.splitLayers ? [this.table] : this.tables;
    tables.forEach((table, t) => {
      const images = this.plan.splitLayers ? windows : windows.slice(t * this.sliceSize, (t + 1) * this.sliceSize);
      const rec = new Int32Array(this.e.memory.buffer, table, this.layers.length * nf);
      for (let i = 0; i < this.layers.length; i++) {
        let w: Rect | undefined = { y0: 0, y1: 0, x0: 0, x1: 0 };
        for (const im of images) w = im && w ? unionRect(w, im[i]) : undefined;
        const all = !w || w.y1 <= w.y0 || w.x1 <= w.x0;
        rec[i * nf + F.winY0] = all ? 0 : w!.y0;
        rec[i * nf + F.winY1] = all ? 0 : w!.y1;
        rec[i * nf + F.winX0] = all ? 0 : w!.x0;
        rec[i * nf + F.winX1] = all ? 0 : w!.x1;
      }
    });
  }

  /** Gives this model's arenas back to the engine; the model must be the last one built still alive. */
  dispose(): void {
    if (this.disposed) return;
    if (this.engine.heapTop() !== this.end)
      throw new Error("models are disposed in reverse order of building (a later model still holds memory)");
    this.e.release(this.mark);
    this.disposed = true;
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

  /** An arena only a training model has (0 in an inference model): refused there with a clear error. */
  private trainingArena(ptr: number, what: string): number {
    if (this.inference)
      throw new Error(
        `${what}: this ${this.arch.name} model was built for inference only (no gradients or Adam state)`,
      );
    return ptr;
  }

  /** The whole parameter arena (views are rebuilt on every call: memory may have grown). */
  paramsView(): Float32Array {
    return this.view(this.params, this.paramFloats);
  }
  gradsView(): Float32Array {
    return this.view(this.trainingArena(this.grads, "gradients"), this.paramFloats);
  }
  adamMView(): Float32Array {
    return this.view(this.trainingArena(this.adamM, "Adam state"), this.paramFloats);
  }
  adamVView(): Float32Array {
    return this.view(this.trainingArena(this.adamV, "Adam state"), this.paramFloats);
  }

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
    return this.view(this.trainingArena(this.grads, "gradients") + t.offset * 4, t.numel);
  }

  /** The (noisy) input batch [B, C, H, W]: write images here. */
  inputView(B = this.maxBatch): Float32Array {
    return this.view(this.input, B * this.inputNumel);
  }
  /**
   * Writes image b of the input batch: its planes (the image's C·H·W samples) and, for a network
   * with a noise-level map, the map filled with `level` (default: noiseLevel of the planes).
   */
  writeImage(b: number, planes: Float32Array, level?: number): void {
    const n = this.imageNumel,
      at = b * this.inputNumel,
      input = this.inputView(b + 1);
    if (planes.length !== n) throw new Error(`an image of ${planes.length} samples for a model of ${n}`);
    input.set(planes, at);
    if (!this.arch.noiseMap) return;
    const [C, H, W] = imageShape(this.arch);
    const planeList = Array.from({ length: C }, (_, c) => planes.subarray(c * H * W, (c + 1) * H * W));
    input.fill(level ?? noiseLevel(planeList, W, H), at + n, at + this.inputNumel);
  }

  /** The clean target batch [B, C, H, W] (C: the image's channels). */
  targetView(B = this.maxBatch): Float32Array {
    if (!this.target) throw new Error(`this ${this.arch.name} model was built without a target buffer (target: false)`);
    return this.view(this.target, B * this.imageNumel);
  }
  /**
   * Output of layer i for a batch of B (the last layer's is the denoised batch). An inference model
   * keeps only the last one unless built with keepActivations: the others' buffers are reused.
   */
  activation(i: number, B = this.maxBatch): Float32Array {
    if (!this.plan.keepActivations && i !== this.layers.length - 1)
      throw new Error(
        `layer ${i}'s output is not kept: this inference model reuses its buffers (build it with keepActivations)`,
      );
    return this.view(this.outputs[i], B * numel(this.layers[i].outShape));
  }
  outputView(B = this.maxBatch): Float32Array {
    return this.activation(this.layers.length - 1, B);
  }
  get output(): number {
    return this.outputs[this.outputs.length - 1];
  }

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
    if (this.inference) return;
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
      jobs.push(count > 0 ? make(t, first, count) : { kind: JOB.idle });
    }
    return this.pool ? this.pool.run(jobs) : [runJob(this.engine, jobs[0])];
  }

  /**
   * Runs the network on the first B images of the input buffer (the outputs land in activation(i)).
   * An inference model runs a convolution or an add and its ReLU / leaky ReLU as one layer where nothing
   * else reads the first one's output (the pairs plan.ts fusedWithNext marks): that activation(i) stays unwritten;
   * and a transposed convolution adds itself into its skip where plan.ts accumulatesIntoSkip says so.
   * `first`, `count`: only layers first … first + count − 1, whole steps (plan.ts planSteps; the bench's
   * per-layer profile runs the network a step at a time, in order, on every thread).
   */
  forward(B = this.maxBatch, first = 0, count = this.layers.length - first): void {
    this.checkBatch(B);
    const starts = new Set(planSteps(this.plan).map(([l]) => l)).add(this.layers.length);
    if (!(first >= 0 && count >= 1 && starts.has(first) && starts.has(first + count)))
      throw new Error(
        `layers ${first}…${first + count - 1} of ${this.layers.length} are not whole steps of this model (plan.ts planSteps)`,
      );
    if (this.plan.splitLayers) return this.forwardShared(B, first, count);
    this.runJobs(B, (t, _first, n) => ({
      kind: JOB.forward,
      table: this.tables[t] + first * this.abi.layerFields * 4,
      layers: count,
      B: n,
      ws: this.workspaces[t],
    }));
  }

  /**
   * forward for a model whose threads share its layers: one pool run per step (plan.ts planSteps),
   * every thread claiming shares of it on the whole batch with its own workspace until none
   * is left (a thread on a faster core takes more: assembly/winograd_chunks.ts firstShare); the run's
   * return is the barrier before the next step reads the layer's output.
   */
  private forwardShared(B: number, first: number, count: number): void {
    const fields = this.abi.layerFields * 4,
      end = first + count;
    // Each layer's claim counter starts at 0 (the pool run publishes these stores to the workers).
    const records = new Int32Array(this.e.memory.buffer, this.table, this.layers.length * this.abi.layerFields);
    for (let l = first; l < end; l++) records[l * this.abi.layerFields + this.abi.layer.claimed] = 0;
    for (const [l, n] of planSteps(this.plan)) {
      if (l < first || l >= end) continue;
      this.pool!.run(
        this.workspaces.map((ws, t) => ({
          kind: JOB.forwardPart,
          table: this.table + l * fields,
          layers: n,
          B,
          ws,
          part: t,
          parts: this.threads,
          claim: 1,
        })),
      );
    }
  }

  /**
   * One training step on the first B images of the input and target buffers, the only one there is
   * (the trainer, the page's Worker and the PyTorch golden test all run it): each thread samples
   * its slice's noisy input from the target when `noise` is given (one seed per image drawn from
   * the engine RNG here, so an image's noise does not depend on the thread count), zeroes its
   * gradients, runs forward, the loss and backward on its slice (assembly/model.ts
   * modelTrainSlice); then Adam. Returns the batch's loss before the step. Afterwards (one thread)
   * gradsView() holds the batch's gradient and every activation(i) this batch's forward values.
   */
  trainStep(B = this.maxBatch, noise?: NoiseSpec): number {
    this.checkBatch(B);
    this.trainingArena(this.grads, "trainStep");
    const P = this.imageNumel,
      last = this.layers.length - 1;
    if (noise) {
      writeNoiseRecord(this.abi, this.e.memory.buffer, this.noiseRec, noise);
      this.e.fillSeeds(this.seeds, B);
    }
    const counts: number[] = [];
    const losses = this.runJobs(B, (t, first, count) => {
      counts[t] = count * P;
      return {
        kind: JOB.train,
        table: this.tables[t],
        layers: this.layers.length,
        B: count,
        ws: this.workspaces[t],
        out: this.output + first * P * 4,
        target: this.target + first * P * 4,
        dOut: this.outputGrads[last] + first * P * 4,
        count: count * P,
        divisor: B * P,
        lossKind: this.abi.loss[this.loss],
        l1Weight: this.l1Weight,
        noiseRec: noise ? this.noiseRec : 0,
        seeds: this.seeds + first * 8,
      };
    });
    this.step++;
    const o = this.adam;
    if (this.threads === 1) {
      this.e.adamStep(
        this.params,
        this.grads,
        this.adamM,
        this.adamV,
        this.paramFloats,
        o.lr,
        o.beta1,
        o.beta2,
        o.eps,
        o.weightDecay,
        this.step,
      );
      return losses[0];
    }
    this.threadedAdamStep(counts);
    let sum = 0;
    losses.forEach((l, t) => {
      sum += counts[t] ? l * counts[t] : 0;
    });
    return sum / (B * P);
  }

  /** Adam split over the pool: thread t sums the busy threads' gradient arenas and steps its range. */
  private threadedAdamStep(counts: number[]): void {
    const arenas = this.gradArenas.filter((_, t) => t > 0 && counts[t]);
    writeStepRecord(this.abi, this.e.memory.buffer, this.stepRecord, {
      ...this.adam,
      t: this.step,
      params: this.params,
      grads: this.grads,
      m: this.adamM,
      v: this.adamV,
      arenas,
    });
    const share = Math.ceil(Math.ceil(this.paramFloats / this.threads) / 4) * 4;
    const jobs: SliceJob[] = [];
    for (let t = 0; t < this.threads; t++) {
      const lo = Math.min(t * share, this.paramFloats),
        hi = Math.min(lo + share, this.paramFloats);
      jobs.push({ kind: JOB.adam, table: this.stepRecord, lo, hi });
    }
    this.pool!.run(jobs);
  }

  /** The first non-finite parameter as "name[index] = value", or undefined when all are finite (checked in wasm). */
  firstNonFinite(): string | undefined {
    const i = this.e.firstNonFinite(this.params, this.paramFloats);
    if (i < 0) return undefined;
    const v = this.paramsView()[i],
      t = this.tensors.find((x) => i >= x.offset && i < x.offset + x.numel);
    return t ? `${t.name}[${i - t.offset}] = ${v}` : `parameter ${i} = ${v}`;
  }

  /** Multiply-adds per image of one forward pass (×2 for FLOP). */
  macsPerImage(): number {
    return macsPerImage(this.plan);
  }
}

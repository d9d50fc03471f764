// Worker threads over one shared WebAssembly.Memory (a threads build). The main thread owns every
// arena; a job is a handful of integers (a layer table, a batch slice, a workspace) written into a
// shared control block, and a worker only runs kernels on those pointers: it never allocates.
// Dispatch is Atomics.notify / Atomics.wait, so `run` blocks the caller until every slice is done —
// the caller must be allowed to wait (Node's main thread, or a Worker in the browser).
//
// The protocol (why no wake-up can be lost; test/pool.test.ts drives it with random delays):
// - One word GEN, written only by the caller: run() number G writes every job block, then
//   stores GEN = G and notifies it. A worker waits while GEN equals the generation it last finished
//   (its own DONE word, 0 at birth), so a notify that comes before the worker waits is not needed:
//   Atomics.wait returns at once when GEN has already moved, and a worker that starts late (even after
//   the first run was posted) still sees GEN ≠ DONE and runs it.
// - Each worker has its own DONE word, written only by that worker: after its slice it stores
//   DONE = G (a value, not a decrement) and notifies it. The caller waits on each DONE in turn until
//   it reads G. Every word has one writer and one waiter, and a waiter compares with the value it
//   last read, so a store between its read and its wait makes the wait return at once.
// - The caller posts G + 1 only after every DONE is G, so a worker can neither skip a generation
//   nor finish one twice; a late or repeated completion cannot count for another generation (the
//   earlier shared countdown could, if a caller ever left a run before it reached 0).
// - A worker that leaves its loop (exit, or an error outside a slice) stores DONE = GONE, so a
//   caller never waits on a thread that is not there; run() after close() throws.
// The waits have no timeout: a lost wake-up would be a hang the stress test sees, not a pause.
import { instantiate, type BuildName, type Engine } from "./engine.js";

/** Most threads a pool takes (the CLI's --threads, checkpoints). */
export const MAX_THREADS = 64;

/** What a slice job does. */
export const JOB = { idle: 0, forward: 1, train: 2, adam: 3, forwardPart: 4, exit: -1 } as const;

/**
 * The per-thread job block in the control buffer: one i32 (or f32, for the F32 fields) per field,
 * in this order. writeJob and the worker's readJob both go through this one list.
 */
const JOB_FIELDS = [
  "kind",
  "table",
  "layers",
  "B",
  "ws",
  "out",
  "target",
  "dOut",
  "count",
  "divisor",
  "lossKind",
  "l1Weight",
  "noiseRec",
  "seeds",
  "loss",
  "lo",
  "hi",
  "part",
  "parts",
  "claim",
] as const;
type JobField = (typeof JOB_FIELDS)[number];
const F32_FIELDS: ReadonlySet<JobField> = new Set(["l1Weight", "loss"]);
const AT = Object.fromEntries(JOB_FIELDS.map((k, i) => [k, i])) as Record<JobField, number>;
/** After the job fields, each block has the thread's own words: DONE (last generation finished) and FAILED. */
const DONE = JOB_FIELDS.length,
  FAILED = DONE + 1,
  BLOCK = FAILED + 1,
  HEAD = 1;
const GEN = 0;
/** DONE of a thread that has left its loop. */
const GONE = -1;

/** One thread's job: a forward or training slice over a layer table, or an Adam share (table = the step record). */
export interface SliceJob {
  kind: number;
  table?: number;
  layers?: number;
  B?: number;
  ws?: number;
  out?: number;
  target?: number;
  dOut?: number;
  count?: number;
  divisor?: number;
  lossKind?: number;
  l1Weight?: number;
  /** train: the noise record and this slice's per-image seeds (0: the input is already noisy). */
  noiseRec?: number;
  seeds?: number;
  /** adam: the parameter range [lo, hi) this thread sums and steps. */
  lo?: number;
  hi?: number;
  /** forwardPart: this thread's part of each layer, of `parts` (assembly/model.ts modelForwardPart). */
  part?: number;
  parts?: number;
  /** forwardPart: 1 to claim the layers' shares at run time instead (their records' counters, zeroed by the caller). */
  claim?: number;
}

/** What a worker needs to join: the engine's bytes and shared memory, the control block, its index. */
export interface ThreadInit {
  build: BuildName;
  bytes: BufferSource;
  memory: WebAssembly.Memory;
  ctl: SharedArrayBuffer;
  id: number;
}

/** Starts one worker for `init` and resolves when it has instantiated the engine. */
export type Spawner = (init: ThreadInit) => Promise<{ terminate(): void }>;

export class ThreadPool {
  private readonly ctl: Int32Array;
  private readonly f32: Float32Array;
  /** The last generation posted (GEN's value; only this thread writes it). */
  private gen = 0;
  private closed = false;
  private constructor(
    readonly engine: Engine,
    readonly size: number,
    private readonly sab: SharedArrayBuffer,
    private readonly workers: { terminate(): void }[],
  ) {
    this.ctl = new Int32Array(sab);
    this.f32 = new Float32Array(sab);
  }

  /** A pool of `size` threads: the caller is thread 0, size − 1 workers are spawned. */
  static async create(engine: Engine, size: number, spawn: Spawner): Promise<ThreadPool> {
    if (!Number.isInteger(size) || size < 1 || size > MAX_THREADS)
      throw new Error(`thread count must be an integer from 1 to ${MAX_THREADS}, got ${size}`);
    if (size > 1 && !engine.threaded)
      throw new Error("threads need the engine's threads build (load it with { threads: true })");
    const sab = new SharedArrayBuffer(4 * (HEAD + BLOCK * size));
    const workers = await Promise.all(
      Array.from({ length: size - 1 }, (_, i) =>
        spawn({ build: engine.build, bytes: engine.bytes, memory: engine.memory, ctl: sab, id: i + 1 }),
      ),
    );
    return new ThreadPool(engine, size, sab, workers);
  }

  /**
   * Runs jobs[t] on thread t (jobs[0] here, on the caller) and waits for all; returns each train
   * job's slice loss. Deterministic: which thread does which slice never depends on timing.
   */
  run(jobs: SliceJob[]): number[] {
    if (jobs.length > this.size) throw new Error(`${jobs.length} jobs for ${this.size} threads`);
    if (this.closed) throw new Error("the thread pool is closed");
    const c = this.ctl,
      g = ++this.gen;
    for (let t = 1; t < this.size; t++) {
      writeJob(c, this.f32, t, jobs[t] ?? { kind: JOB.idle });
      c[HEAD + t * BLOCK + FAILED] = 0;
    }
    Atomics.store(c, GEN, g); // publishes the job blocks written above
    Atomics.notify(c, GEN);
    const losses = new Array<number>(jobs.length).fill(0);
    let failed: unknown;
    try {
      if (jobs[0]) losses[0] = runJob(this.engine, jobs[0]);
    } catch (e) {
      failed = e; // the workers still run this generation: wait for them before the next can start
    }
    let gone = false;
    for (let t = 1; t < this.size; t++) {
      const at = HEAD + t * BLOCK + DONE;
      for (let d = Atomics.load(c, at); d !== g; d = Atomics.load(c, at)) {
        if (d === GONE) {
          gone = true;
          break;
        }
        Atomics.wait(c, at, d);
      }
    }
    if (failed !== undefined) throw failed;
    if (gone) {
      this.closed = true;
      throw new Error("a worker thread has stopped: the thread pool is closed");
    }
    for (let t = 1; t < this.size; t++)
      if (c[HEAD + t * BLOCK + FAILED]) throw new Error("a worker thread failed while running its slice");
    for (let t = 1; t < jobs.length; t++) losses[t] = this.f32[HEAD + t * BLOCK + AT.loss];
    return losses;
  }

  /** Stops the workers; later runs throw. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const c = this.ctl;
    for (let t = 1; t < this.size; t++) c[HEAD + t * BLOCK + AT.kind] = JOB.exit;
    Atomics.store(c, GEN, ++this.gen);
    Atomics.notify(c, GEN);
    for (const w of this.workers) w.terminate();
  }
}

function writeJob(c: Int32Array, f: Float32Array, t: number, j: SliceJob): void {
  const o = HEAD + t * BLOCK;
  for (const k of JOB_FIELDS) {
    const v = k === "loss" ? 0 : (j[k] ?? 0);
    if (F32_FIELDS.has(k)) f[o + AT[k]] = v;
    else c[o + AT[k]] = v;
  }
}

function readJob(c: Int32Array, f: Float32Array, t: number): SliceJob {
  const o = HEAD + t * BLOCK,
    j: Record<string, number> = {};
  for (const k of JOB_FIELDS) j[k] = F32_FIELDS.has(k) ? f[o + AT[k]] : c[o + AT[k]];
  return j as unknown as SliceJob;
}

/** Runs one job on this thread's instance of the engine; returns a train job's slice loss (else 0). */
export function runJob(engine: Engine, j: SliceJob): number {
  const e = engine.exports;
  if (j.kind === JOB.forward) e.modelForward(j.table!, j.layers!, j.B!, j.ws!);
  else if (j.kind === JOB.forwardPart)
    e.modelForwardPart(j.table!, j.layers!, j.B!, j.ws!, j.part!, j.parts!, j.claim ?? 0);
  else if (j.kind === JOB.train)
    return e.modelTrainSlice(
      j.table!,
      j.layers!,
      j.B!,
      j.ws!,
      j.out!,
      j.target!,
      j.dOut!,
      j.count!,
      j.divisor!,
      j.lossKind!,
      j.l1Weight!,
      j.noiseRec ?? 0,
      j.seeds ?? 0,
    );
  else if (j.kind === JOB.adam) e.adamStepShare(j.table!, j.lo!, j.hi!);
  return 0;
}

/** The worker side: join the shared memory, then run jobs until told to exit (never returns early). */
export async function workerMain(init: ThreadInit, ready: () => void): Promise<void> {
  const c = new Int32Array(init.ctl),
    f = new Float32Array(init.ctl),
    o = HEAD + init.id * BLOCK;
  try {
    const engine = await instantiate(init.build, init.bytes, "worker thread", true, init.memory);
    ready();
    for (let done = Atomics.load(c, o + DONE); ; ) {
      for (let g = Atomics.load(c, GEN); g === done; g = Atomics.load(c, GEN)) Atomics.wait(c, GEN, done);
      const g = Atomics.load(c, GEN),
        job = readJob(c, f, init.id);
      if (job.kind === JOB.exit) return;
      try {
        f[o + AT.loss] = runJob(engine, job);
      } catch {
        c[o + FAILED] = 1;
      }
      Atomics.store(c, o + DONE, (done = g)); // publishes loss and FAILED with it
      Atomics.notify(c, o + DONE);
    }
  } finally {
    Atomics.store(c, o + DONE, GONE);
    Atomics.notify(c, o + DONE);
  }
}

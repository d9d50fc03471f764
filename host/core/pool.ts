// Worker threads over one shared WebAssembly.Memory (a threads build). The main thread owns every
// arena; a job is a handful of integers (a layer table, a batch slice, a workspace) written into a
// shared control block, and a worker only runs kernels on those pointers: it never allocates.
// Dispatch is Atomics.notify / Atomics.wait, so `run` blocks the caller until every slice is done —
// the caller must be allowed to wait (Node's main thread, or a Worker in the browser).
import { instantiate, type BuildName, type Engine } from "./engine.js";

/** Most threads a pool takes (the CLI's --threads, checkpoints). */
export const MAX_THREADS = 64;

/** What a slice job does. */
export const JOB = { idle: 0, forward: 1, train: 2, adam: 3, exit: -1 } as const;

/**
 * The per-thread job block in the control buffer: one i32 (or f32, for the F32 fields) per field,
 * in this order. writeJob and the worker's readJob both go through this one list.
 */
const JOB_FIELDS = ["kind", "table", "layers", "B", "ws", "out", "target", "dOut", "count", "divisor", "lossKind", "l1Weight", "noiseRec", "seeds", "loss", "lo", "hi"] as const;
type JobField = (typeof JOB_FIELDS)[number];
const F32_FIELDS: ReadonlySet<JobField> = new Set(["l1Weight", "loss"]);
const AT = Object.fromEntries(JOB_FIELDS.map((k, i) => [k, i])) as Record<JobField, number>;
const BLOCK = JOB_FIELDS.length, HEAD = 4;
const GEN = 0, PENDING = 1, FAILED = 2;
/**
 * Waits re-check their condition at least this often (ms): a wake-up that goes missing costs a
 * pause, not a hang. (`npm test` once hung here with both threads parked in Atomics.wait — the
 * caller on PENDING, the worker on an unchanged GEN — and no lost update in this protocol explains
 * it; a timed wait makes the outcome safe whatever the cause.)
 */
const RECHECK_MS = 20;

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
  private constructor(readonly engine: Engine, readonly size: number, private readonly sab: SharedArrayBuffer, private readonly workers: { terminate(): void }[]) {
    this.ctl = new Int32Array(sab);
    this.f32 = new Float32Array(sab);
  }

  /** A pool of `size` threads: the caller is thread 0, size − 1 workers are spawned. */
  static async create(engine: Engine, size: number, spawn: Spawner): Promise<ThreadPool> {
    if (!Number.isInteger(size) || size < 1 || size > MAX_THREADS) throw new Error(`thread count must be an integer from 1 to ${MAX_THREADS}, got ${size}`);
    if (size > 1 && !engine.threaded) throw new Error("threads need the engine's threads build (load it with { threads: true })");
    const sab = new SharedArrayBuffer(4 * (HEAD + BLOCK * size));
    const workers = await Promise.all(Array.from({ length: size - 1 }, (_, i) =>
      spawn({ build: engine.build, bytes: engine.bytes, memory: engine.memory, ctl: sab, id: i + 1 })));
    return new ThreadPool(engine, size, sab, workers);
  }

  /**
   * Runs jobs[t] on thread t (jobs[0] here, on the caller) and waits for all; returns each train
   * job's slice loss. Deterministic: which thread does which slice never depends on timing.
   */
  run(jobs: SliceJob[]): number[] {
    if (jobs.length > this.size) throw new Error(`${jobs.length} jobs for ${this.size} threads`);
    const c = this.ctl;
    for (let t = 1; t < this.size; t++) writeJob(c, this.f32, t, jobs[t] ?? { kind: JOB.idle });
    Atomics.store(c, FAILED, 0);
    Atomics.store(c, PENDING, this.size - 1);
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN);
    const losses = new Array<number>(jobs.length).fill(0);
    let failed: unknown;
    try {
      if (jobs[0]) losses[0] = runJob(this.engine, jobs[0]);
    } catch (e) {
      failed = e; // the workers still run this generation: wait for them before the next can start
    }
    for (let p = Atomics.load(c, PENDING); p !== 0; p = Atomics.load(c, PENDING)) Atomics.wait(c, PENDING, p, RECHECK_MS);
    if (failed !== undefined) throw failed;
    if (Atomics.load(c, FAILED)) throw new Error("a worker thread failed while running its slice");
    for (let t = 1; t < jobs.length; t++) losses[t] = this.f32[HEAD + t * BLOCK + AT.loss];
    return losses;
  }

  /** Stops the workers. */
  close(): void {
    const c = this.ctl;
    for (let t = 1; t < this.size; t++) c[HEAD + t * BLOCK + AT.kind] = JOB.exit;
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN);
    for (const w of this.workers) w.terminate();
  }
}

function writeJob(c: Int32Array, f: Float32Array, t: number, j: SliceJob): void {
  const o = HEAD + t * BLOCK;
  for (const k of JOB_FIELDS) {
    const v = k === "loss" ? 0 : j[k] ?? 0;
    if (F32_FIELDS.has(k)) f[o + AT[k]] = v;
    else c[o + AT[k]] = v;
  }
}

function readJob(c: Int32Array, f: Float32Array, t: number): SliceJob {
  const o = HEAD + t * BLOCK, j: Record<string, number> = {};
  for (const k of JOB_FIELDS) j[k] = F32_FIELDS.has(k) ? f[o + AT[k]] : c[o + AT[k]];
  return j as unknown as SliceJob;
}

/** Runs one job on this thread's instance of the engine; returns a train job's slice loss (else 0). */
export function runJob(engine: Engine, j: SliceJob): number {
  const e = engine.exports;
  if (j.kind === JOB.forward) e.modelForward(j.table!, j.layers!, j.B!, j.ws!);
  else if (j.kind === JOB.train) return e.modelTrainSlice(j.table!, j.layers!, j.B!, j.ws!, j.out!, j.target!, j.dOut!, j.count!, j.divisor!, j.lossKind!, j.l1Weight!, j.noiseRec ?? 0, j.seeds ?? 0);
  else if (j.kind === JOB.adam) e.adamStepShare(j.table!, j.lo!, j.hi!);
  return 0;
}

/** The worker side: join the shared memory, then run jobs until told to exit (never returns early). */
export async function workerMain(init: ThreadInit, ready: () => void): Promise<void> {
  const engine = await instantiate(init.build, init.bytes, "worker thread", true, init.memory);
  const c = new Int32Array(init.ctl), f = new Float32Array(init.ctl), o = HEAD + init.id * BLOCK;
  let gen = Atomics.load(c, GEN);
  ready();
  for (;;) {
    while (Atomics.load(c, GEN) === gen) Atomics.wait(c, GEN, gen, RECHECK_MS);
    gen = Atomics.load(c, GEN);
    const job = readJob(c, f, init.id);
    if (job.kind === JOB.exit) return;
    try {
      f[o + AT.loss] = runJob(engine, job);
    } catch {
      Atomics.store(c, FAILED, 1);
    }
    if (Atomics.sub(c, PENDING, 1) === 1) Atomics.notify(c, PENDING);
  }
}

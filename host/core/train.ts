// The training loop: epochs over a shuffled image set, the clean batch into the target buffer, and
// one training step per batch, in which each thread samples its slice's noisy input from the
// target (one seed per image from the engine RNG) before Adam. Target = the clean image (the notebook trained against
// the noisy one by mistake). The engine RNG is seeded once, on a stream of its own, so a seed
// fixes the shuffle and every noise draw. A Trainer's state (epoch, batch, image order, RNG) can be
// taken and restored, so a checkpointed run continues bit-identically (host/core/checkpoint.ts).
import { Batches } from "./batches.js";
import { UserError } from "./errors.js";
import { checkImageSize } from "./eval.js";
import { checkPatchModel, PatchBatches } from "./patches.js";
import type { TrainingImages } from "./idx.js";
import type { Model } from "./model.js";
import { lrAt, type Schedule } from "./schedule.js";
import { noiseSpec, type NoiseLevels, type TrainingNoiseKind } from "./noise.js";
import type { NoiseSpec } from "./abi.js";
import { SILENT, type ProgressFactory } from "./progress.js";

/** Options of the training loop (trainModel) and, picked, of a Trainer. */
export interface LoopOptions {
  /** Learning rate per step (default: the model's constant adam.lr). */
  schedule?: Schedule;
  noise: TrainingNoiseKind;
  levels?: Partial<NoiseLevels>;
  epochs: number;
  batch: number;
  seed: number;
  shuffle: boolean;
  /** Train on the first `limit` images only. */
  limit?: number;
  progress?: ProgressFactory;
  /** Called after each epoch (e.g. a validation pass); may add fields to the record. */
  onEpoch?: (rec: EpochRecord) => void;
}

export interface EpochRecord {
  epoch: number;
  /** Mean training loss over the epoch's batches. */
  loss: number;
  seconds: number;
  imagesPerSecond: number;
  valPsnr?: number;
}

export interface TrainRun {
  epochs: EpochRecord[];
  /** Loss of every batch, in order. */
  batchLosses: number[];
  seconds: number;
  /** Seconds spent so far in the epoch under way (carried over by checkpoints). */
  partialSeconds?: number;
}

/** Where a Trainer is: enough, with the model's weights and Adam state, to continue exactly. */
export interface TrainerState {
  /** Completed epochs. */
  epoch: number;
  /** The next batch's index within the current epoch. */
  batch: number;
  /** The engine RNG's 32-byte state. */
  rng: Uint8Array;
  /** The current image order (undefined when not shuffling: the identity). */
  order?: Uint32Array;
}

/** A non-finite loss or weights: training stops; `step` counts batches from the run's start (1-based). */
export class DivergedError extends UserError {
  override name = "DivergedError";
  constructor(
    readonly step: number,
    readonly epoch: number,
    readonly batch: number,
    batches: number,
    readonly what: string,
  ) {
    super(`training diverged at step ${step} (epoch ${epoch}, batch ${batch} of ${batches}): ${what}`);
  }
}

/** Training one batch at a time: the CLI loops it by epochs, the browser's Worker by steps. */
export class Trainer {
  /** Digits (a shuffled image set) or photo patches. */
  readonly data: Batches | PatchBatches;
  /** Completed epochs, and the next batch's index within the current one. */
  epoch = 0;
  batch = 0;

  constructor(
    readonly model: Model,
    images: TrainingImages | PatchBatches,
    readonly opts: Pick<LoopOptions, "noise" | "levels" | "batch" | "seed" | "shuffle" | "limit" | "schedule">,
  ) {
    if (opts.batch > model.maxBatch) throw new Error(`batch ${opts.batch} > model's ${model.maxBatch}`);
    if (images instanceof PatchBatches) {
      checkPatchModel(model, images.patch, images.src.channels);
      this.data = images;
    } else {
      checkImageSize(model, images);
      this.data = new Batches(images, Math.min(opts.limit ?? images.count, images.count));
    }
    model.engine.exports.rngSeed(opts.seed >>> 0, 0x5452414e); // "TRAN": the training stream
    this.noise = noiseSpec(opts.noise, opts.levels);
  }

  /** The noise each step samples (per image, on the threads that train on it). */
  private readonly noise: NoiseSpec;

  get batchesPerEpoch(): number {
    return this.data.batchCount(this.opts.batch);
  }

  /** Batches trained since the run's start (epoch 0, batch 0). */
  get stepsDone(): number {
    return this.epoch * this.batchesPerEpoch + this.batch;
  }

  /**
   * Trains on the next batch (reshuffling when an epoch starts); returns its loss. Throws a
   * DivergedError, the trainer's position unchanged, when the loss or the weights turn non-finite.
   */
  step(): number {
    const { model, data, opts } = this,
      e = model.engine.exports;
    if (this.batch === 0 && opts.shuffle && data instanceof Batches) data.shuffle(e);
    const n = data.fill(model.targetView(opts.batch), this.epoch, this.batch * opts.batch, opts.batch);
    if (opts.schedule) model.adam.lr = lrAt(opts.schedule, this.stepsDone);
    const loss = model.trainStep(n, this.noise); // each thread samples its slice's noise
    const diverged = (what: string) =>
      new DivergedError(this.stepsDone + 1, this.epoch + 1, this.batch + 1, this.batchesPerEpoch, what);
    if (!Number.isFinite(loss)) throw diverged(`loss ${loss}`);
    // A finite loss does not prove finite weights (ReLU masks NaN, a saturated sigmoid hides Inf):
    // check them too, every step (~0.15 ms for the seed network's 210 k parameters), here where
    // every driver (the CLI, the page's Worker, tests) passes.
    const bad = model.firstNonFinite();
    if (bad) throw diverged(`weights became non-finite (${bad})`);
    if (++this.batch === this.batchesPerEpoch) {
      this.batch = 0;
      this.epoch++;
    }
    return loss;
  }

  /** A copy of the trainer's state (call between steps). */
  state(): TrainerState {
    return {
      epoch: this.epoch,
      batch: this.batch,
      rng: this.model.rngState(),
      order: this.opts.shuffle && this.data instanceof Batches ? this.data.order.slice() : undefined,
    };
  }

  /** Continues from a state taken by state() on the same data and options. */
  restore(s: TrainerState): void {
    const nb = this.batchesPerEpoch,
      data = this.data;
    if (
      !Number.isSafeInteger(s.epoch) ||
      s.epoch < 0 ||
      !Number.isSafeInteger(s.batch) ||
      s.batch < 0 ||
      s.batch >= nb
    ) {
      throw new Error(`trainer state epoch ${s.epoch}, batch ${s.batch} is outside ${nb} batches per epoch`);
    }
    if (this.opts.shuffle && data instanceof Batches) {
      const order = data.order;
      if (!s.order || s.order.length !== order.length)
        throw new Error(`trainer state has no image order for ${order.length} images`);
      const seen = new Uint8Array(order.length);
      for (const v of s.order) {
        if (v >= order.length || seen[v]) throw new Error("trainer state's image order is not a permutation");
        seen[v] = 1;
      }
      order.set(s.order);
    }
    this.model.setRngState(s.rng);
    this.epoch = s.epoch;
    this.batch = s.batch;
  }
}

export interface LoopHooks {
  progress?: ProgressFactory;
  /** What an item is in the epoch line ("img", "patches"). */
  unit?: string;
  /** Called after each epoch (e.g. a validation pass); may add fields to the record. */
  onEpoch?: (rec: EpochRecord) => void;
  /** Called once the epoch's record is in the run (e.g. to write a checkpoint). */
  onEpochEnd?: (rec: EpochRecord) => void;
  /** What the epoch line calls valPsnr (default "validation"; `start` measures it on test images and says so). */
  valLabel?: string;
  /** Called after every batch with its loss (the library's progress callback). */
  onStep?: (loss: number) => void;
}

/** An empty run record. */
export function newRun(): TrainRun {
  return { epochs: [], batchLosses: [], seconds: 0, partialSeconds: 0 };
}

/**
 * The training loop as a generator: it yields before every batch (a driver may stop there, the
 * trainer's state then being a clean batch boundary) and appends to `run`, which may hold a
 * resumed run's history (its losses of the epoch under way count towards that epoch's mean).
 * A non-finite loss or weights after any step throw (Trainer.step) a DivergedError naming the step.
 */
export function* trainLoop(
  trainer: Trainer,
  epochs: number,
  run: TrainRun,
  hooks: LoopHooks = {},
): Generator<void, TrainRun, void> {
  const B = trainer.opts.batch,
    nb = trainer.batchesPerEpoch,
    count = trainer.data.count;
  const sessionStart = performance.now(),
    secondsBefore = run.seconds;
  while (trainer.epoch < epochs) {
    const ep = trainer.epoch + 1,
      first = trainer.batch;
    // The bar counts the whole epoch (a resumed one starts at its first batch not done) and its ETA the whole run.
    const bar = (hooks.progress ?? SILENT)(`epoch ${ep}/${epochs}`, count, {
      start: first * B,
      after: (epochs - ep) * count,
    });
    let sum = 0;
    for (let k = 0; k < first; k++) sum += run.batchLosses[(ep - 1) * nb + k];
    const te = performance.now() - (first > 0 ? (run.partialSeconds ?? 0) : 0) * 1000;
    for (let k = first; k < nb; k++) {
      yield;
      const loss = trainer.step();
      sum += loss;
      run.batchLosses.push(loss);
      hooks.onStep?.(loss);
      const now = performance.now();
      run.partialSeconds = (now - te) / 1000;
      run.seconds = secondsBefore + (now - sessionStart) / 1000;
      if (k % 20 === 19 || k === nb - 1) bar.update(Math.min((k + 1) * B, count), `loss ${(sum / (k + 1)).toFixed(5)}`);
    }
    const secs = (performance.now() - te) / 1000;
    const rec: EpochRecord = { epoch: ep, loss: sum / nb, seconds: secs, imagesPerSecond: count / secs };
    hooks.onEpoch?.(rec);
    bar.done(
      `epoch ${ep}/${epochs}: loss ${rec.loss.toFixed(6)}, ${secs.toFixed(1)} s, ${Math.round(rec.imagesPerSecond)} ${hooks.unit ?? "img"}/s` +
        (rec.valPsnr !== undefined ? `, ${hooks.valLabel ?? "validation"} ${rec.valPsnr.toFixed(2)} dB` : ""),
    );
    run.epochs.push(rec);
    run.partialSeconds = 0;
    run.seconds = secondsBefore + (performance.now() - sessionStart) / 1000;
    hooks.onEpochEnd?.(rec);
  }
  return run;
}

/**
 * Resolves on the event loop's next task, letting signal handlers, messages and timers in:
 * setImmediate in Node, a MessageChannel message in browsers. Not setTimeout(0), which waits ≥ 1 ms
 * in Node and ≥ 4 ms in browsers once timers nest, as a training loop's do (4 ms in every 25 cost a
 * sixth of the throughput).
 */
export function nextTask(): Promise<void> {
  const immediate = (globalThis as { setImmediate?: (f: () => void) => unknown }).setImmediate;
  if (immediate) return new Promise((r) => immediate(r));
  return new Promise((r) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      r();
    };
    ch.port2.postMessage(null);
  });
}

/** The longest a driver runs batches without a pause (ms): signals and messages wait at most this long. */
export const PAUSE_EVERY_MS = 25;

/**
 * Drives trainLoop asynchronously: `pause` runs between batches at least every PAUSE_EVERY_MS (so
 * signal handlers and messages get in; pausing after every batch cost a small network a quarter of
 * its throughput); when `shouldStop` says so, it stops at that batch boundary. Returns true when all
 * epochs are done, false when stopped.
 */
export async function trainUntil(
  trainer: Trainer,
  epochs: number,
  run: TrainRun,
  hooks: LoopHooks & { pause: () => Promise<void>; shouldStop: () => boolean },
): Promise<boolean> {
  const it = trainLoop(trainer, epochs, run, hooks);
  let paused = performance.now();
  for (;;) {
    if (hooks.shouldStop()) {
      it.return(run);
      return false;
    }
    if (it.next().done) return true;
    if (performance.now() - paused >= PAUSE_EVERY_MS) {
      await hooks.pause();
      paused = performance.now();
    }
  }
}

export function trainModel(model: Model, images: TrainingImages, opts: LoopOptions): TrainRun {
  const trainer = new Trainer(model, images, opts);
  const it = trainLoop(trainer, opts.epochs, newRun(), opts);
  for (;;) {
    const r = it.next();
    if (r.done) return r.value;
  }
}

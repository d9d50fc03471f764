// The training loop: epochs over a shuffled image set, noise sampled into the input buffer from the
// clean target, one Adam step per batch. Target = the clean image (the notebook trained against
// the noisy one by mistake). The engine RNG is seeded once, on a stream of its own, so a seed
// fixes the shuffle and every noise draw.
import { Batches } from "./batches.js";
import { UserError } from "./errors.js";
import { checkImageSize } from "./eval.js";
import type { ImageSet } from "./idx.js";
import type { Model } from "./model.js";
import { applyNoise, type NoiseKind, type NoiseLevels } from "./noise.js";
import { SILENT, type ProgressFactory } from "./progress.js";

export interface TrainOptions {
  noise: NoiseKind;
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
}

/** Training one batch at a time: the CLI loops it by epochs, the browser's Worker by steps. */
export class Trainer {
  readonly data: Batches;
  /** Completed epochs, and the next batch's index within the current one. */
  epoch = 0;
  batch = 0;

  constructor(readonly model: Model, images: ImageSet, readonly opts: Pick<TrainOptions, "noise" | "levels" | "batch" | "seed" | "shuffle" | "limit">) {
    checkImageSize(model, images);
    if (opts.batch > model.maxBatch) throw new Error(`batch ${opts.batch} > model's ${model.maxBatch}`);
    this.data = new Batches(images, Math.min(opts.limit ?? images.count, images.count));
    model.engine.exports.rngSeed(opts.seed >>> 0, 0x5452414e); // "TRAN": the training stream
  }

  get batchesPerEpoch(): number {
    return this.data.batchCount(this.opts.batch);
  }

  /** Trains on the next batch (reshuffling when an epoch starts); returns its loss. */
  step(): number {
    const { model, data, opts } = this, e = model.engine.exports;
    if (this.batch === 0 && opts.shuffle) data.shuffle(e);
    const n = data.fill(model.targetView(opts.batch), this.batch * opts.batch, opts.batch);
    applyNoise(e, opts.noise, model.input, model.target, n, data.pixels, opts.levels);
    const loss = model.trainStep(n);
    if (!Number.isFinite(loss)) {
      throw new UserError(`training diverged: loss ${loss} at epoch ${this.epoch + 1}, batch ${this.batch + 1} (try a lower --lr)`);
    }
    if (++this.batch === this.batchesPerEpoch) {
      this.batch = 0;
      this.epoch++;
    }
    return loss;
  }
}

export function trainModel(model: Model, images: ImageSet, opts: TrainOptions): TrainRun {
  const trainer = new Trainer(model, images, opts);
  const B = opts.batch, nb = trainer.batchesPerEpoch, count = trainer.data.order.length;
  const epochs: EpochRecord[] = [], batchLosses: number[] = [];
  const t0 = performance.now();
  for (let ep = 1; ep <= opts.epochs; ep++) {
    const bar = (opts.progress ?? SILENT)(`epoch ${ep}/${opts.epochs}`, count);
    const te = performance.now();
    let sum = 0;
    for (let k = 0; k < nb; k++) {
      const loss = trainer.step();
      sum += loss;
      batchLosses.push(loss);
      if (k % 20 === 19 || k === nb - 1) bar.update(Math.min((k + 1) * B, count), `loss ${(sum / (k + 1)).toFixed(5)}`);
    }
    const secs = (performance.now() - te) / 1000;
    const rec: EpochRecord = { epoch: ep, loss: sum / nb, seconds: secs, imagesPerSecond: count / secs };
    opts.onEpoch?.(rec);
    bar.done(`epoch ${ep}/${opts.epochs}: loss ${rec.loss.toFixed(6)}, ${secs.toFixed(1)} s, ${Math.round(rec.imagesPerSecond)} img/s` +
      (rec.valPsnr !== undefined ? `, validation ${rec.valPsnr.toFixed(2)} dB` : ""));
    epochs.push(rec);
  }
  return { epochs, batchLosses, seconds: (performance.now() - t0) / 1000 };
}

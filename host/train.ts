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
import { Progress } from "./progress.js";

export interface TrainOptions {
  noise: NoiseKind;
  levels?: Partial<NoiseLevels>;
  epochs: number;
  batch: number;
  seed: number;
  shuffle: boolean;
  /** Train on the first `limit` images only. */
  limit?: number;
  quiet?: boolean;
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

export function trainModel(model: Model, images: ImageSet, opts: TrainOptions): TrainRun {
  checkImageSize(model, images);
  if (opts.batch > model.maxBatch) throw new Error(`batch ${opts.batch} > model's ${model.maxBatch}`);
  const e = model.engine.exports;
  const data = new Batches(images, Math.min(opts.limit ?? images.count, images.count));
  const B = opts.batch, P = data.pixels, nb = data.batchCount(B);
  const epochs: EpochRecord[] = [], batchLosses: number[] = [];
  const t0 = performance.now();
  e.rngSeed(opts.seed >>> 0, 0x5452414e); // "TRAN": the training stream
  for (let ep = 1; ep <= opts.epochs; ep++) {
    if (opts.shuffle) data.shuffle(e);
    const bar = new Progress(`epoch ${ep}/${opts.epochs}`, data.order.length, opts.quiet);
    const te = performance.now();
    let sum = 0;
    for (let k = 0; k < nb; k++) {
      const n = data.fill(model.targetView(B), k * B, B);
      applyNoise(e, opts.noise, model.input, model.target, n, P, opts.levels);
      const loss = model.trainStep(n);
      if (!Number.isFinite(loss)) {
        throw new UserError(`training diverged: loss ${loss} at epoch ${ep}, batch ${k + 1} (try a lower --lr)`);
      }
      sum += loss;
      batchLosses.push(loss);
      if (k % 20 === 19 || k === nb - 1) bar.update(Math.min((k + 1) * B, data.order.length), `loss ${(sum / (k + 1)).toFixed(5)}`);
    }
    const secs = (performance.now() - te) / 1000;
    const rec: EpochRecord = { epoch: ep, loss: sum / nb, seconds: secs, imagesPerSecond: data.order.length / secs };
    opts.onEpoch?.(rec);
    bar.done(`epoch ${ep}/${opts.epochs}: loss ${rec.loss.toFixed(6)}, ${secs.toFixed(1)} s, ${Math.round(rec.imagesPerSecond)} img/s` +
      (rec.valPsnr !== undefined ? `, validation ${rec.valPsnr.toFixed(2)} dB` : ""));
    epochs.push(rec);
  }
  return { epochs, batchLosses, seconds: (performance.now() - t0) / 1000 };
}

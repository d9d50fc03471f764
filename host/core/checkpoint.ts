// Training checkpoints: everything a run needs to continue bit-identically after an interruption.
//
// A checkpoint is a weights file (host/weights.ts: parameters + Adam m, v under PyTorch names,
// `optimizer.step` and the architecture in __metadata__), so `--init`, `eval --weights` and PyTorch
// read it as one, with the trainer's state in extra __metadata__ keys:
//
//   checkpoint          "1" (format version; a file without it is not a checkpoint)
//   checkpoint.epoch    completed epochs
//   checkpoint.batch    index of the next batch within the epoch under way (0 at an epoch end)
//   checkpoint.rng      the engine RNG (xoshiro256**) state after the last batch, 64 hex digits
//   checkpoint.order    the image order of the current epoch, base64 of little-endian u32
//                       (shuffling is cumulative: each epoch reshuffles the previous order);
//                       absent with --no-shuffle (the order is then the identity)
//   checkpoint.options  JSON: noise, level, mix, batch, lr, seed, shuffle, limit, data, epochs, arch,
//                       build, out, threads, schedule, warmup, minLr, loss, l1Weight (what the run
//                       was started with; data, images, valImages and out as names, not paths)
//   checkpoint.data     JSON: count, rows, cols and an FNV-1a hash of the training images used
//   checkpoint.history  JSON: per-epoch records, every batch's loss so far, seconds spent
//                       (so a resumed run reports the same losses and curves as an uninterrupted one)
//
// Pure (bytes in, bytes out); host/node.ts writes the files atomically.
import { UserError, fileError } from "./errors.js";
import type { ImageSet } from "./idx.js";
import { LOSS_KINDS, type LossKind, type Model } from "./model.js";
import { mixWeights, parseSigma, TRAINING_NOISE_KINDS, type TrainingNoiseKind } from "./noise.js";
import { MAX_THREADS } from "./pool.js";
import type { SafeTensors } from "./safetensors.js";
import type { EpochRecord, TrainerState, TrainRun } from "./train.js";
import { encodeWeights } from "./weights.js";

export const CHECKPOINT_VERSION = "1";

/** The options a run was started with: a resumed run keeps them. */
export interface TrainSettings {
  noise: TrainingNoiseKind;
  /** camera noise: the share of colour patches given it. */
  cameraShare?: number;
  level?: number;
  batch: number;
  lr: number;
  seed: number;
  shuffle: boolean;
  limit?: number;
  /** The data directory (in files: its name only, see pathName). */
  data: string;
  /** Total epochs the run is to train. */
  epochs: number;
  arch: string;
  /** The engine build that trained it (another build is not bit-identical). */
  build: string;
  /** The run's output path (in files: its name; a resumed run writes that name next to the checkpoint unless told otherwise). */
  out: string;
  /** Threads (gradients are summed per thread: another count is not bit-identical). */
  threads?: number;
  /** Learning-rate schedule: constant, or cosine with `warmup` steps and a floor `minLr`. */
  schedule?: "constant" | "cosine";
  warmup?: number;
  minLr?: number;
  loss?: LossKind;
  l1Weight?: number;
  /** Mixed noise: "g,sp,sk" weights of gaussian, salt-and-pepper and speckle (absent: equal). */
  mix?: string;
  /** Noisy inputs clipped and rounded to 8 bits: all (true) or a share of the images (absent: unclipped, as the notebook). */
  clip?: boolean | number;
  /** Gaussian σ on the 0–255 scale, "25" or a range "0-55" (overrides level). */
  sigma?: string;
  /** Photo training: the folder (in files: its name), patch side, patches per photo per epoch, validation share. */
  images?: string;
  /** Validation photos from a folder of their own (else valSplit of the training photos; in files: its name). */
  valImages?: string;
  patch?: number;
  patchesPerImage?: number;
  valSplit?: number;
  grayShare?: number;
}

/**
 * What a file records of a path: its last component. Weights and checkpoints get shared, and must not
 * carry the author's directory layout; the data's count, size and hash (DataFacts) detect other data.
 */
export function pathName(path: string): string {
  return (
    path
      .split(/[/\\]+/)
      .filter((p) => p !== "")
      .at(-1) ?? path
  );
}

/** What the training images were: a resumed run refuses other data. */
export interface DataFacts {
  count: number;
  rows: number;
  cols: number;
  hash: string;
}

export interface Checkpoint {
  settings: TrainSettings;
  state: TrainerState;
  data: DataFacts;
  history: TrainRun;
}

/** FNV-1a (32-bit) over the first `count` images' bytes, as 8 hex digits. */
export function dataFacts(images: ImageSet, count: number): DataFacts {
  const n = count * images.rows * images.cols,
    px = images.pixels;
  let h = 0x811c9dc5;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ px[i], 0x01000193);
  return { count, rows: images.rows, cols: images.cols, hash: (h >>> 0).toString(16).padStart(8, "0") };
}

const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

function fromBase64(s: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4) return undefined;
  try {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return undefined;
  }
}

/** The model (weights + Adam state) and the trainer's state as checkpoint bytes. */
export function encodeCheckpoint(
  model: Model,
  c: Checkpoint,
  facts: Record<string, string | number | boolean> = {},
): Uint8Array {
  const meta: Record<string, string | number | boolean> = {
    ...facts,
    checkpoint: CHECKPOINT_VERSION,
    "checkpoint.epoch": c.state.epoch,
    "checkpoint.batch": c.state.batch,
    "checkpoint.rng": toHex(c.state.rng),
    "checkpoint.options": JSON.stringify(c.settings),
    "checkpoint.data": JSON.stringify(c.data),
    "checkpoint.history": JSON.stringify({
      epochs: c.history.epochs,
      batchLosses: c.history.batchLosses,
      seconds: c.history.seconds,
      partialSeconds: c.history.partialSeconds ?? 0,
    }),
  };
  if (c.state.order) {
    const o = c.state.order,
      bytes = new Uint8Array(o.length * 4),
      dv = new DataView(bytes.buffer);
    for (let i = 0; i < o.length; i++) dv.setUint32(4 * i, o[i], true);
    meta["checkpoint.order"] = toBase64(bytes);
  }
  return encodeWeights(model, meta, true);
}

const isInt = (v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): v is number =>
  typeof v === "number" && Number.isSafeInteger(v) && v >= min && v <= max;
const isPos = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v) && v > 0;

function json(file: string, meta: Record<string, string>, key: string): Record<string, unknown> {
  const text = meta[key];
  if (text === undefined) fileError(file, `checkpoint metadata '${key}' is missing`);
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    fileError(file, `checkpoint metadata '${key}' is not valid JSON`);
  }
  if (!v || typeof v !== "object" || Array.isArray(v))
    fileError(file, `checkpoint metadata '${key}' is not a JSON object`);
  return v as Record<string, unknown>;
}

/**
 * Reads and validates a checkpoint's trainer state (not its tensors: applyWeights checks those
 * against the architecture). Every problem is a one-line UserError naming the file.
 */
export function decodeCheckpoint(st: SafeTensors, file: string): Checkpoint {
  const m = st.metadata;
  if (m.checkpoint === undefined) {
    fileError(
      file,
      "not a checkpoint (no trainer state in its metadata): pass weights files to --init, checkpoints to --resume",
    );
  }
  if (m.checkpoint !== CHECKPOINT_VERSION)
    fileError(
      file,
      `checkpoint format '${m.checkpoint}' is not supported (this version reads '${CHECKPOINT_VERSION}')`,
    );
  const bad = (what: string): never => fileError(file, `checkpoint ${what}`);

  const o = json(file, m, "checkpoint.options");
  if (!TRAINING_NOISE_KINDS.includes(o.noise as TrainingNoiseKind))
    bad(`options: unknown noise ${JSON.stringify(o.noise)}`);
  if (o.level !== undefined && !isPos(o.level)) bad("options: level must be a positive number");
  if (!isInt(o.batch, 1, 4096)) bad("options: batch must be an integer from 1 to 4096");
  if (!isPos(o.lr)) bad("options: lr must be a positive number");
  if (!isInt(o.seed, 0)) bad("options: seed must be an integer ≥ 0");
  if (typeof o.shuffle !== "boolean") bad("options: shuffle must be true or false");
  if (o.limit !== undefined && !isInt(o.limit, 1)) bad("options: limit must be an integer ≥ 1");
  if (!isInt(o.epochs, 1, 100000)) bad("options: epochs must be an integer from 1 to 100000");
  for (const k of ["data", "arch", "build", "out"]) if (typeof o[k] !== "string") bad(`options: ${k} must be a string`);
  if (o.threads !== undefined && !isInt(o.threads, 1, MAX_THREADS))
    bad(`options: threads must be an integer from 1 to ${MAX_THREADS}`);
  if (o.schedule !== undefined && o.schedule !== "constant" && o.schedule !== "cosine")
    bad("options: schedule must be constant or cosine");
  if (o.warmup !== undefined && !isInt(o.warmup, 0)) bad("options: warmup must be an integer ≥ 0");
  if (o.minLr !== undefined && !(typeof o.minLr === "number" && o.minLr >= 0))
    bad("options: minLr must be a number ≥ 0");
  if (o.loss !== undefined && !LOSS_KINDS.includes(o.loss as LossKind))
    bad(`options: loss must be ${LOSS_KINDS.join(", ")}`);
  if (o.l1Weight !== undefined && !isPos(o.l1Weight)) bad("options: l1Weight must be a positive number");
  if (o.mix !== undefined && (typeof o.mix !== "string" || !mixWeights(o.mix)))
    bad('options: mix must be three weights "g,sp,sk" ≥ 0, not all 0');
  if (o.clip !== undefined && typeof o.clip !== "boolean" && !(typeof o.clip === "number" && o.clip > 0 && o.clip <= 1))
    bad("options: clip must be true, false or a share in (0, 1]");
  if (o.sigma !== undefined) {
    try {
      parseSigma(String(o.sigma));
    } catch (e) {
      bad(`options: ${(e as Error).message}`);
    }
  }
  if (o.images !== undefined && typeof o.images !== "string") bad("options: images must be a string");
  if (o.patch !== undefined && !isInt(o.patch, 8, 1024)) bad("options: patch must be an integer from 8 to 1024");
  if (o.patchesPerImage !== undefined && !isInt(o.patchesPerImage, 1))
    bad("options: patchesPerImage must be an integer ≥ 1");
  if (o.valSplit !== undefined && !(typeof o.valSplit === "number" && o.valSplit >= 0 && o.valSplit < 1))
    bad("options: valSplit must be a fraction below 1");
  if (o.cameraShare !== undefined && !(typeof o.cameraShare === "number" && o.cameraShare >= 0 && o.cameraShare <= 1))
    bad("options: cameraShare must be a fraction");
  if (o.grayShare !== undefined && !(typeof o.grayShare === "number" && o.grayShare >= 0 && o.grayShare <= 1))
    bad("options: grayShare must be a fraction");
  const settings = o as unknown as TrainSettings;

  const d = json(file, m, "checkpoint.data");
  if (!isInt(d.count, 1) || !isInt(d.rows, 1) || !isInt(d.cols, 1) || typeof d.hash !== "string")
    bad("data: count, rows, cols and hash are required");
  const data = d as unknown as DataFacts;

  const epoch = Number(m["checkpoint.epoch"]),
    batch = Number(m["checkpoint.batch"]);
  if (!isInt(epoch, 0, 100000) || !/^\d+$/.test(m["checkpoint.epoch"] ?? ""))
    bad(`epoch '${m["checkpoint.epoch"]}' is not an integer ≥ 0`);
  if (!isInt(batch, 0) || !/^\d+$/.test(m["checkpoint.batch"] ?? ""))
    bad(`batch '${m["checkpoint.batch"]}' is not an integer ≥ 0`);
  const nb = Math.ceil(data.count / settings.batch);
  if (batch >= nb)
    bad(`batch ${batch} is past the end of an epoch (${nb} batches of ${settings.batch} from ${data.count} images)`);

  const rngHex = m["checkpoint.rng"] ?? "";
  if (!/^[0-9a-f]{64}$/.test(rngHex) || /^0+$/.test(rngHex)) bad("RNG state must be 64 hex digits, not all zero");
  const rng = Uint8Array.from(rngHex.match(/../g)!, (x) => parseInt(x, 16));

  let order: Uint32Array | undefined;
  if (settings.shuffle && settings.images === undefined) {
    const bytes =
      m["checkpoint.order"] === undefined
        ? bad("order is missing (the run shuffles)")
        : fromBase64(m["checkpoint.order"]);
    if (!bytes || bytes.length !== 4 * data.count)
      return bad(`order must be base64 of ${data.count} u32 image indices`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    order = new Uint32Array(data.count);
    const seen = new Uint8Array(data.count);
    for (let i = 0; i < data.count; i++) {
      const v = dv.getUint32(4 * i, true);
      if (v >= data.count || seen[v])
        bad(`order is not a permutation of the ${data.count} images (index ${v} at ${i})`);
      seen[v] = 1;
      order[i] = v;
    }
  }

  const h = json(file, m, "checkpoint.history");
  const losses = h.batchLosses,
    epochs = h.epochs;
  if (
    !Array.isArray(losses) ||
    losses.length !== epoch * nb + batch ||
    losses.some((x) => typeof x !== "number" || !Number.isFinite(x))
  ) {
    bad(
      `history must hold ${epoch * nb + batch} finite batch losses (epoch ${epoch}, batch ${batch}, ${nb} batches per epoch)`,
    );
  }
  if (
    !Array.isArray(epochs) ||
    epochs.length !== epoch ||
    epochs.some((r) => !r || typeof r !== "object" || typeof (r as EpochRecord).loss !== "number")
  ) {
    bad(`history must hold ${epoch} epoch records`);
  }
  const seconds = Number(h.seconds),
    partialSeconds = Number(h.partialSeconds ?? 0);
  const history: TrainRun = {
    epochs: epochs as EpochRecord[],
    batchLosses: losses as number[],
    seconds: Number.isFinite(seconds) && seconds >= 0 ? seconds : 0,
    partialSeconds: Number.isFinite(partialSeconds) && partialSeconds >= 0 ? partialSeconds : 0,
  };
  return { settings, state: { epoch, batch, rng, order }, data, history };
}

/** Refuses a checkpoint made on other data: a different count or image size, or other pixels. */
export function checkData(file: string, expected: DataFacts, actual: DataFacts, dataDir: string): void {
  if (expected.count !== actual.count || expected.rows !== actual.rows || expected.cols !== actual.cols) {
    throw new UserError(
      `${file}: checkpoint was trained on ${expected.count} images of ${expected.rows}×${expected.cols}, ${dataDir} gives ${actual.count} of ${actual.rows}×${actual.cols}`,
    );
  }
  if (expected.hash !== actual.hash) {
    throw new UserError(
      `${file}: checkpoint was trained on other images (hash ${expected.hash}) than ${dataDir} holds (hash ${actual.hash})`,
    );
  }
}

// The engine's record layouts and codes (assembly/abi.ts), read by name from the instance's
// exported globals, so the host never repeats a number the engine defines. A missing name means
// the .wasm and the host were built from different sources: instantiation fails, naming it.
/** Fields of a layer record (i32 indices), host names → assembly/abi.ts `LAYER_*` globals. */
const LAYER = [
  "op",
  "inC",
  "inH",
  "inW",
  "outC",
  "outH",
  "outW",
  "kh",
  "kw",
  "sh",
  "sw",
  "ph",
  "pw",
  "oph",
  "opw",
  "w",
  "bias",
  "dw",
  "dbias",
  "x",
  "y",
  "dx",
  "dy",
  "x2",
  "dx2",
  "alpha",
  "x2C",
  "fuse",
  "claimed",
  "winY0",
  "winY1",
  "winX0",
  "winX1",
] as const;
/** Layer types of host/core/arch.ts that are one engine op each → `OP_*`. */
const OPS = ["conv2d", "convTranspose2d", "relu", "leakyRelu", "sigmoid", "add", "identity"] as const;
/** Fields of the threaded Adam step record (byte offsets) → `STEP_*`. */
const STEP = [
  "lr",
  "beta1",
  "beta2",
  "eps",
  "weightDecay",
  "t",
  "params",
  "grads",
  "m",
  "v",
  "arenaCount",
  "arenas",
] as const;
/** What a layer record's fuse field says (host/core/plan.ts) → `FUSE_*`. */
const FUSES = ["activation", "accumulate"] as const;
/** Loss kinds (as flags and files name them) → `LOSS_*`. */
const LOSSES = { mse: "LOSS_MSE", l1: "LOSS_L1", "mse+l1": "LOSS_MSE_L1" } as const;

export type LossKind = keyof typeof LOSSES;
export const LOSS_KINDS = Object.keys(LOSSES) as readonly LossKind[];

/** Noise kinds (flags and files name them so; their order is the CLI's) → `NOISE_*`. */
export const NOISE_KINDS = ["gaussian", "salt-pepper", "speckle", "poisson", "mixed", "none"] as const;
export type NoiseKind = (typeof NOISE_KINDS)[number];
/**
 * Every kind a training step can sample (noiseImages): NOISE_KINDS and "camera" (assembly/camera.ts,
 * synthetic camera noise of [3, H, W] colour images), which needs the images' shape and so is not a
 * kind applyNoise or the flags of digit training, `noise` and `eval` offer.
 */
export const TRAINING_NOISE_KINDS = [...NOISE_KINDS, "camera"] as const;
export type TrainingNoiseKind = (typeof TRAINING_NOISE_KINDS)[number];
/** Fields of the noise record (kind i32, then f64 parameters; byte offsets) → `NOISE_REC_*`. */
const NOISE_REC = [
  "kind",
  "gaussianSigma",
  "amount",
  "saltVsPepper",
  "speckleSigma",
  "poissonPeak",
  "mixGaussian",
  "mixSaltPepper",
  "mixSpeckle",
  "gaussianSigmaMax",
  "quantize",
  "quantizeShare",
  "cameraShare",
  "jpegShare",
  "jpegQualityMin",
  "jpegQualityMax",
  "jpeg444Share",
] as const;

export type LayerField = (typeof LAYER)[number];
export type NoiseRecField = (typeof NOISE_REC)[number];
export type OpName = (typeof OPS)[number];
export type StepField = (typeof STEP)[number];

export interface Abi {
  /** Index of each field in a layer record. */
  layer: Record<LayerField, number>;
  /** i32 fields per layer record. */
  layerFields: number;
  op: Record<OpName, number>;
  fuse: Record<(typeof FUSES)[number], number>;
  loss: Record<LossKind, number>;
  /** Byte offset of each field in the step record; `arenas` is where the arena pointers start. */
  step: Record<StepField, number>;
  noise: Record<TrainingNoiseKind, number>;
  /** Byte offset of each field in the noise record, and its size. */
  noiseRec: Record<NoiseRecField, number>;
  noiseRecBytes: number;
}

/** camelCase → SNAKE_CASE: "inC" → "IN_C", "convTranspose2d" → "CONV_TRANSPOSE2D", "salt-pepper" → "SALT_PEPPER". */
const snake = (s: string) =>
  s
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/-/g, "_")
    .toUpperCase();

/** Reads the ABI from an instance's exports. */
export function readAbi(exports: Record<string, unknown>): Abi {
  const get = (name: string): number => {
    const g = exports[name];
    if (!(g instanceof WebAssembly.Global))
      throw new Error(`engine does not export ${name}: the .wasm and the host are from different builds`);
    return g.value as number;
  };
  const table = <K extends string>(names: readonly K[], prefix: string) =>
    Object.fromEntries(names.map((n) => [n, get(prefix + snake(n))])) as Record<K, number>;
  return {
    layer: table(LAYER, "LAYER_"),
    layerFields: get("LAYER_FIELDS"),
    op: table(OPS, "OP_"),
    fuse: table(FUSES, "FUSE_"),
    loss: Object.fromEntries(Object.entries(LOSSES).map(([k, g]) => [k, get(g)])) as Record<LossKind, number>,
    step: table(STEP, "STEP_"),
    noise: table(TRAINING_NOISE_KINDS, "NOISE_"),
    noiseRec: table(NOISE_REC, "NOISE_REC_"),
    noiseRecBytes: get("NOISE_REC_BYTES"),
  };
}

/** What a threaded Adam step needs: hyper-parameters, step count, arenas, other threads' gradient arenas. */
export interface StepRecord {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  t: number;
  params: number;
  grads: number;
  m: number;
  v: number;
  arenas: readonly number[];
}

/** Bytes of a step record with `arenas` extra gradient arenas. */
export function stepRecordBytes(abi: Abi, arenas: number): number {
  return abi.step.arenas + 4 * arenas;
}

/** Writes a step record at `rec` (it must hold stepRecordBytes for r.arenas.length). */
export function writeStepRecord(abi: Abi, buffer: ArrayBufferLike, rec: number, r: StepRecord): void {
  const dv = new DataView(buffer),
    s = abi.step;
  for (const k of ["lr", "beta1", "beta2", "eps", "weightDecay"] as const) dv.setFloat64(rec + s[k], r[k], true);
  for (const k of ["t", "params", "grads", "m", "v"] as const) dv.setInt32(rec + s[k], r[k], true);
  dv.setInt32(rec + s.arenaCount, r.arenas.length, true);
  r.arenas.forEach((a, i) => dv.setInt32(rec + s.arenas + 4 * i, a, true));
}

/** The parameters of every noise kind (host/core/noise.ts has the notebook's defaults). */
export interface NoiseLevels {
  /** gaussian: x + σ·N(0,1) */
  gaussianSigma: number;
  /** salt-and-pepper: fraction of pixels hit */
  amount: number;
  /** salt-and-pepper: share of hits that are salt (1) rather than pepper (0) */
  saltVsPepper: number;
  /** speckle: x + σ·x·N(0,1) */
  speckleSigma: number;
  /** poisson: photons at intensity 1 (lower = noisier) */
  poissonPeak: number;
  /** mixed: relative weights of gaussian, salt-and-pepper and speckle images */
  mix: readonly [number, number, number];
  /** gaussian (and mixed's gaussian): above gaussianSigma, each image's σ is uniform in [gaussianSigma, this] */
  gaussianSigmaMax: number;
  /** above 0: the noisy image clipped to [0, 1] and rounded to 1/quantize steps (255: what an 8-bit file holds) */
  quantize: number;
  /** with quantize: the share of images quantized, each drawn (1: all) */
  quantizeShare: number;
  /** camera: the share of images given synthetic camera noise, each drawn (1: all); the rest get gaussian's noise */
  cameraShare: number;
  /** camera: the share of camera-noise images JPEG-compressed */
  jpegShare: number;
  /** camera: each JPEG's quality is uniform in [jpegQualityMin, jpegQualityMax] (libjpeg's 1–100 scale) */
  jpegQualityMin: number;
  jpegQualityMax: number;
  /** camera: the share of JPEGs with full-resolution chroma (4:4:4); the rest are 4:2:0 */
  jpeg444Share: number;
}

/** The noise a training step samples per image: a kind and all its parameters (defaults are the caller's). */
export interface NoiseSpec extends NoiseLevels {
  kind: TrainingNoiseKind;
}

/** Writes a noise record at `rec` (abi.noiseRecBytes). */
export function writeNoiseRecord(abi: Abi, buffer: ArrayBufferLike, rec: number, n: NoiseSpec): void {
  const dv = new DataView(buffer),
    f = abi.noiseRec;
  dv.setInt32(rec + f.kind, abi.noise[n.kind], true);
  const [g, sp, sk] = n.mix;
  const values: Record<Exclude<NoiseRecField, "kind">, number> = {
    gaussianSigma: n.gaussianSigma,
    amount: n.amount,
    saltVsPepper: n.saltVsPepper,
    speckleSigma: n.speckleSigma,
    poissonPeak: n.poissonPeak,
    mixGaussian: g,
    mixSaltPepper: sp,
    mixSpeckle: sk,
    gaussianSigmaMax: n.gaussianSigmaMax,
    quantize: n.quantize,
    quantizeShare: n.quantizeShare,
    cameraShare: n.cameraShare,
    jpegShare: n.jpegShare,
    jpegQualityMin: n.jpegQualityMin,
    jpegQualityMax: n.jpegQualityMax,
    jpeg444Share: n.jpeg444Share,
  };
  for (const [k, v] of Object.entries(values)) dv.setFloat64(rec + f[k as NoiseRecField], v, true);
}

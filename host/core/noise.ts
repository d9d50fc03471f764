// Noise kinds as the host names them, their notebook defaults, and the call that samples one into
// a batch (in wasm, from the engine's seeded RNG).

import {
  NOISE_KINDS,
  TRAINING_NOISE_KINDS,
  type NoiseKind,
  type NoiseLevels,
  type NoiseSpec,
  type TrainingNoiseKind,
} from "./abi.js";
import type { EngineExports } from "./engine.js";
import { UserError } from "./errors.js";

export { NOISE_KINDS, TRAINING_NOISE_KINDS, type NoiseKind, type NoiseLevels, type TrainingNoiseKind } from "./abi.js";

/** The three kinds the notebook denoises, evaluated separately. */
export const EVAL_NOISES = ["gaussian", "salt-pepper", "speckle"] as const;

/** The notebook's parameters (poisson has none there: 10 photons at full intensity). */
export const DEFAULT_LEVELS: NoiseLevels = {
  gaussianSigma: 0.5,
  amount: 0.04,
  saltVsPepper: 0.5,
  speckleSigma: 1,
  poissonPeak: 10,
  mix: [1, 1, 1],
  gaussianSigmaMax: 0,
  quantize: 0,
  quantizeShare: 1,
  cameraShare: 1,
  jpegShare: 0.7,
  jpegQualityMin: 60,
  jpegQualityMax: 95,
  jpeg444Share: 0.25,
};

/** Each kind's main parameter, the one a single "level" sets (none has no parameter). */
export const LEVEL_KEY: Record<NoiseKind, keyof NoiseLevels | undefined> = {
  gaussian: "gaussianSigma",
  "salt-pepper": "amount",
  speckle: "speckleSigma",
  poisson: "poissonPeak",
  mixed: "gaussianSigma",
  none: undefined,
};

/** Each kind's default level in words, from DEFAULT_LEVELS (for help texts): "gaussian 0.5, salt-pepper 0.04, …". */
export function levelDefaults(): string {
  return NOISE_KINDS.filter((k) => LEVEL_KEY[k] && k !== "mixed")
    .map((k) => `${k} ${DEFAULT_LEVELS[LEVEL_KEY[k]!]}`)
    .join(", ");
}

/** A level for `kind` as the NoiseLevels it overrides ({} when no level is given or the kind has none). */
export function levelsFor(kind: TrainingNoiseKind, level: number | undefined, mix?: string): Partial<NoiseLevels> {
  const key = kind === "camera" ? undefined : LEVEL_KEY[kind];
  if (kind === "salt-pepper" && level !== undefined && level > 1)
    throw new UserError(`--level ${level}: salt-and-pepper's level is the share of pixels hit, at most 1`);
  const out: Partial<NoiseLevels> = level === undefined || !key ? {} : { [key]: level };
  if (mix !== undefined && kind === "mixed") out.mix = parseMix(mix);
  return out;
}

/** "g,sp,sk": three weights ≥ 0 of the mixed noise's kinds, not all 0; undefined when it is not that. */
export function mixWeights(s: string): [number, number, number] | undefined {
  const w = s.split(",").map((x) => (x.trim() === "" ? NaN : Number(x)));
  if (w.length !== 3 || w.some((x) => !Number.isFinite(x) || x < 0) || w[0] + w[1] + w[2] <= 0) return undefined;
  return [w[0], w[1], w[2]];
}

/** mixWeights, or an error naming the problem. */
export function parseMix(s: string): [number, number, number] {
  const w = mixWeights(s);
  if (!w)
    throw new Error(`mix '${s}' must be three weights ≥ 0 for gaussian,salt-pepper,speckle, not all 0 (e.g. 2,1,1)`);
  return w;
}

/** A kind a training run can sample: parseNoise's, or "camera" (synthetic camera noise of colour photos). */
export function parseTrainingNoise(s: string): TrainingNoiseKind {
  if (s === "camera") return s;
  try {
    return parseNoise(s);
  } catch {
    throw new Error(`unknown noise type '${s}' (use ${TRAINING_NOISE_KINDS.join(", ")})`);
  }
}

export function parseNoise(s: string): NoiseKind {
  const k = s === "salt_pepper" || s === "saltpepper" || s === "sp" ? "salt-pepper" : s;
  if (!(NOISE_KINDS as readonly string[]).includes(k)) {
    throw new Error(`unknown noise type '${s}' (use ${NOISE_KINDS.join(", ")})`);
  }
  return k as NoiseKind;
}

/**
 * dst = noisy(src) for B images of n floats each (dst may equal src). `level` overrides the kind's
 * main parameter (σ, amount or peak).
 */
export function applyNoise(
  e: EngineExports,
  kind: NoiseKind,
  dst: number,
  src: number,
  B: number,
  n: number,
  levels: Partial<NoiseLevels> = {},
): void {
  const L = { ...DEFAULT_LEVELS, ...levels };
  switch (kind) {
    case "none":
      return e.noiseNone(dst, src, B, n);
    case "gaussian":
      return e.noiseGaussian(dst, src, B, n, L.gaussianSigma);
    case "salt-pepper":
      return e.noiseSaltPepper(dst, src, B, n, L.amount, L.saltVsPepper);
    case "speckle":
      return e.noiseSpeckle(dst, src, B, n, L.speckleSigma);
    case "poisson":
      return e.noisePoisson(dst, src, B, n, L.poissonPeak);
    case "mixed":
      return e.noiseMixed(dst, src, B, n, L.gaussianSigma, L.amount, L.saltVsPepper, L.speckleSigma, ...L.mix);
  }
}

/** A kind with its levels filled in from the defaults: what a training step samples (host/core/abi.ts). */
export function noiseSpec(kind: TrainingNoiseKind, levels: Partial<NoiseLevels> = {}): NoiseSpec {
  return { kind, ...DEFAULT_LEVELS, ...levels };
}

/** Photo training's default σ (0–255 scale): a blind model for σ up to 55 (camera noise: for the images given white noise). */
export const DEFAULT_PHOTO_SIGMA = "0-55";

/** σ as the 0–255 scale writes it: "25" (fixed) or "0-55" (per image uniform in the range, a blind model). */
export function parseSigma(s: string): { lo: number; hi: number } {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:-\s*(\d+(?:\.\d+)?)\s*)?$/.exec(s);
  const lo = m ? Number(m[1]) : NaN,
    hi = m ? Number(m[2] ?? m[1]) : NaN;
  if (!(lo >= 0 && hi >= lo && hi > 0 && hi <= 255))
    throw new Error(
      `σ '${s}' must be a number or a range lo-hi on the 0–255 scale (e.g. 25 or 0-55), above 0 and at most 255`,
    );
  return { lo, hi };
}

/**
 * The NoiseLevels a σ flag ("25", "0-55") and the clip choice set (σ as fractions of 255; clip:
 * 8-bit, for every image (true) or a share of them (a number in (0, 1])).
 */
export function photoLevels(sigma: string | undefined, clip: boolean | number | undefined): Partial<NoiseLevels> {
  const out: Partial<NoiseLevels> = clip ? { quantize: 255, quantizeShare: clip === true ? 1 : clip } : {};
  if (sigma === undefined) return out;
  const { lo, hi } = parseSigma(sigma);
  return { ...out, gaussianSigma: lo / 255, gaussianSigmaMax: hi > lo ? hi / 255 : 0 };
}

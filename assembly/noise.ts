// Noise samplers, writing straight into the batch buffer: dst = noisy(src) for B images of n floats
// each. dst may equal src. Every draw comes from rng.ts, so the seed fixes the noise. Results stay
// unclipped, as in the notebook (the model learns from the raw noisy values).

import { below, normalPair, normalPairSecond, rngSeed, rngStash, rngUnstash, uniform } from "./rng";
import {
  NOISE_REC_KIND, NOISE_REC_GAUSSIAN_SIGMA, NOISE_REC_AMOUNT, NOISE_REC_SALT_VS_PEPPER, NOISE_REC_SPECKLE_SIGMA,
  NOISE_REC_POISSON_PEAK, NOISE_REC_MIX_GAUSSIAN, NOISE_REC_MIX_SALT_PEPPER, NOISE_REC_MIX_SPECKLE,
  NOISE_REC_GAUSSIAN_SIGMA_MAX, NOISE_REC_QUANTIZE, NOISE_REC_QUANTIZE_SHARE,
  NOISE_REC_CAMERA_SHARE, NOISE_REC_JPEG_SHARE, NOISE_REC_JPEG_QUALITY_MIN, NOISE_REC_JPEG_QUALITY_MAX,
  NOISE_REC_JPEG444_SHARE,
  NOISE_GAUSSIAN, NOISE_SALT_PEPPER, NOISE_SPECKLE, NOISE_POISSON, NOISE_MIXED, NOISE_CAMERA,
} from "./abi";
import { noiseCameraRandom } from "./camera";

/**
 * x + σ·N(0,1) when mul = 0, x + σ·x·N(0,1) when mul = 1 (speckle), for n floats.
 * Normals come in rng.ts's normalPair() pairs (fillNormal's stream); both halves are used.
 */
function addNormal(dst: usize, src: usize, n: i32, sigma: f32, mul: bool): void {
  let i = 0;
  while (i < n) {
    const z0 = normalPair(), z1 = normalPairSecond;
    let o = <usize>i << 2;
    let x = load<f32>(src + o);
    store<f32>(dst + o, x + sigma * (mul ? x : <f32>1) * z0);
    if (i + 1 < n) {
      o += 4;
      x = load<f32>(src + o);
      store<f32>(dst + o, x + sigma * (mul ? x : <f32>1) * z1);
    }
    i += 2;
  }
}

/** Gaussian: dst = src + σ·N(0,1) (notebook σ = 0.5), over B·n floats. */
export function noiseGaussian(dst: usize, src: usize, B: i32, n: i32, sigma: f32): void {
  addNormal(dst, src, B * n, sigma, false);
}

/** Speckle: dst = src + σ·src·N(0,1) (notebook σ = 1), over B·n floats. */
export function noiseSpeckle(dst: usize, src: usize, B: i32, n: i32, sigma: f32): void {
  addNormal(dst, src, B * n, sigma, true);
}

/**
 * Salt-and-pepper with the notebook's semantics, per image of n floats: ⌈amount·n·s⌉ positions drawn
 * uniformly with replacement are set to 1, then ⌈amount·n·(1−s)⌉ positions to 0 (pepper wins
 * where both land). Notebook: amount 0.04, s 0.5 → 16 + 16 draws on a 28×28 image.
 */
export function noiseSaltPepper(dst: usize, src: usize, B: i32, n: i32, amount: f64, saltVsPepper: f64): void {
  for (let b = 0; b < B; b++) saltPepperImage(dst, src, b, n, amount, saltVsPepper);
}

// amount and s are f64 (not f32) so the counts are Python's math.ceil(amount * n * s) exactly: as
// f32, 0.1·100·0.3 widens to 3.00000016 and ceils to 4 where Python gets 3.
function saltPepperImage(dst: usize, src: usize, b: i32, n: i32, amount: f64, s: f64): void {
  const off = (<usize>b * <usize>n) << 2;
  if (dst != src) memory.copy(dst + off, src + off, <usize>n << 2);
  const numSalt = <i32>Math.ceil(amount * <f64>n * s);
  const numPepper = <i32>Math.ceil(amount * <f64>n * (1.0 - s));
  for (let i = 0; i < numSalt; i++) store<f32>(dst + off + (<usize>below(<u32>n) << 2), 1);
  for (let i = 0; i < numPepper; i++) store<f32>(dst + off + (<usize>below(<u32>n) << 2), 0);
}

/**
 * Poisson (shot) noise at a given peak: dst = Poisson(peak·max(src, 0)) / peak. A lower peak means
 * fewer photons and more noise.
 */
export function noisePoisson(dst: usize, src: usize, B: i32, n: i32, peak: f32): void {
  const total = B * n;
  const pk = <f64>peak;
  for (let i = 0; i < total; i++) {
    const o = <usize>i << 2;
    const lam = max(<f64>load<f32>(src + o), 0.0) * pk;
    store<f32>(dst + o, <f32>(poisson(lam) / pk));
  }
}

/** No noise: dst = src (a plain autoencoder). */
export function noiseNone(dst: usize, src: usize, B: i32, n: i32): void {
  if (dst != src) memory.copy(dst, src, (<usize>B * <usize>n) << 2);
}

/**
 * Mixed: each image gets one of gaussian(σg) / salt-and-pepper(amount, s) / speckle(σs), chosen
 * per image with probabilities proportional to the weights (the blind-denoiser training mix).
 * Equal weights draw below(3) per image; other weights draw one uniform and compare it with the
 * cumulative shares (a zero weight never picks its kind).
 */
export function noiseMixed(
  dst: usize, src: usize, B: i32, n: i32,
  gaussianSigma: f32, amount: f64, saltVsPepper: f64, speckleSigma: f32,
  wGaussian: f64, wSaltPepper: f64, wSpeckle: f64,
): void {
  const equal = wGaussian == wSaltPepper && wSaltPepper == wSpeckle;
  const total = wGaussian + wSaltPepper + wSpeckle;
  for (let b = 0; b < B; b++) {
    const off = (<usize>b * <usize>n) << 2;
    let kind: i32;
    if (equal) kind = below(3);
    else {
      const u = uniform() * total;
      kind = u < wGaussian ? 0 : u < wGaussian + wSaltPepper ? 1 : 2;
    }
    if (kind == 0) addNormal(dst + off, src + off, n, gaussianSigma, false);
    else if (kind == 1) saltPepperImage(dst, src, b, n, amount, saltVsPepper);
    else addNormal(dst + off, src + off, n, speckleSigma, true);
  }
}

/** One Poisson(λ) draw: multiplication method below λ = 10, Hörmann's PTRS above. */
export function poisson(lam: f64): f64 {
  if (lam <= 0) return 0;
  if (lam < 10) {
    const limit = Math.exp(-lam);
    let k = 0;
    let p = uniform();
    while (p > limit) {
      k++;
      p *= uniform();
    }
    return <f64>k;
  }
  // W. Hörmann, "The transformed rejection method for generating Poisson random variables" (1993).
  const slam = Math.sqrt(lam), loglam = Math.log(lam);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invAlpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  while (true) {
    const U = uniform() - 0.5;
    const V = uniform();
    const us = 0.5 - Math.abs(U);
    const k = Math.floor((2 * a / us + b) * U + lam + 0.43);
    if (us >= 0.07 && V <= vr) return k;
    if (k < 0 || (us < 0.013 && V > us)) continue;
    if (Math.log(V) + Math.log(invAlpha) - Math.log(a / (us * us) + b) <= -lam + k * loglam - logGamma(k + 1)) {
      return k;
    }
  }
  return 0;
}

/** log Γ(x) for x > 0 by Stirling's series, shifted up to x ≥ 7 (accurate to ~1e-15). */
function logGamma(x: f64): f64 {
  if (x == 1.0 || x == 2.0) return 0;
  let x0 = x;
  let shift = 0;
  if (x <= 7) {
    shift = <i32>(7 - x);
    x0 = x + <f64>shift;
  }
  const x2 = 1.0 / (x0 * x0);
  // Bernoulli-number coefficients B2k / (2k(2k−1)).
  let s = -1.39243221690590e+00;
  s = s * x2 + 1.796443723688307e-01;
  s = s * x2 - 2.955065359477124e-02;
  s = s * x2 + 6.410256410256410e-03;
  s = s * x2 - 1.917526917526918e-03;
  s = s * x2 + 8.417508417508418e-04;
  s = s * x2 - 5.952380952380952e-04;
  s = s * x2 + 7.936507936507937e-04;
  s = s * x2 - 2.777777777777778e-03;
  s = s * x2 + 8.333333333333333e-02;
  let g = s / x0 + 0.9189385332046727 + (x0 - 0.5) * Math.log(x0) - x0; // 0.5·ln 2π
  for (let k = 0; k < shift; k++) {
    x0 -= 1;
    g -= Math.log(x0);
  }
  return g;
}

/** x ← clamp(round(x·q) / q, 0, 1) over n floats: the noisy image as a file of q + 1 levels holds it. */
export function quantize(dst: usize, n: i32, q: f32): void {
  const inv = <f32>1 / q;
  for (let i = 0; i < n; i++) {
    const o = dst + (<usize>i << 2);
    store<f32>(o, min(max(nearest(load<f32>(o) * q) * inv, <f32>0), <f32>1));
  }
}

/**
 * The noise of a noise record (abi.ts) for `count` images of n floats, image b drawn from its own
 * seed (seeds: count u64, host-drawn from the main stream): an image's noise does not depend on
 * which thread samples it or with whom, so worker threads can sample their own slices. The
 * generator's state is put back afterwards (the main thread's instance samples a slice too).
 * With a σ range (GAUSSIAN_SIGMA_MAX above GAUSSIAN_SIGMA) each image first draws its σ from its
 * seed; with QUANTIZE the result (of all images, or a QUANTIZE_SHARE of them, drawn per image next)
 * is clipped and rounded as an image file would hold it.
 * Images are [C, H, W] (n = C·H·W floats each; only CAMERA uses the shape). CAMERA draws per image,
 * after the above, whether it is a camera image (CAMERA_SHARE; 1: all, no draw): those get
 * camera.ts's pipeline (already 8-bit, QUANTIZE does not apply), the others GAUSSIAN's noise. Camera
 * noise needs C = 3; other channel counts get GAUSSIAN's noise instead (a gray image has no room in
 * dst for the three planes the pipeline works in).
 */
export function noiseImages(
  rec: usize, seeds: usize, dst: usize, src: usize, count: i32, C: i32, H: i32, W: i32,
): void {
  const n = C * H * W;
  const kind = load<i32>(rec + NOISE_REC_KIND);
  const amount = load<f64>(rec + NOISE_REC_AMOUNT);
  const svp = load<f64>(rec + NOISE_REC_SALT_VS_PEPPER), ss = <f32>load<f64>(rec + NOISE_REC_SPECKLE_SIGMA);
  const gsMax = load<f64>(rec + NOISE_REC_GAUSSIAN_SIGMA_MAX), q = <f32>load<f64>(rec + NOISE_REC_QUANTIZE);
  const share = load<f64>(rec + NOISE_REC_QUANTIZE_SHARE);
  const lo = load<f64>(rec + NOISE_REC_GAUSSIAN_SIGMA);
  rngStash();
  for (let b = 0; b < count; b++) {
    const off = (<usize>b * <usize>n) << 2, d = dst + off, x = src + off;
    rngSeed(load<u32>(seeds + (<usize>b << 3)), load<u32>(seeds + (<usize>b << 3), 4));
    const gs = gsMax > lo ? <f32>(lo + (gsMax - lo) * uniform()) : <f32>lo;
    const quantized = q > 0 && (share >= 1 || uniform() < share);
    if (kind == NOISE_GAUSSIAN) noiseGaussian(d, x, 1, n, gs);
    else if (kind == NOISE_SALT_PEPPER) noiseSaltPepper(d, x, 1, n, amount, svp);
    else if (kind == NOISE_SPECKLE) noiseSpeckle(d, x, 1, n, ss);
    else if (kind == NOISE_POISSON) noisePoisson(d, x, 1, n, <f32>load<f64>(rec + NOISE_REC_POISSON_PEAK));
    else if (kind == NOISE_MIXED) {
      noiseMixed(d, x, 1, n, gs, amount, svp, ss,
        load<f64>(rec + NOISE_REC_MIX_GAUSSIAN), load<f64>(rec + NOISE_REC_MIX_SALT_PEPPER), load<f64>(rec + NOISE_REC_MIX_SPECKLE));
    } else if (kind == NOISE_CAMERA) {
      const camShare = load<f64>(rec + NOISE_REC_CAMERA_SHARE);
      if (C == 3 && (camShare >= 1 || uniform() < camShare)) {
        noiseCameraRandom(d, x, H, W, load<f64>(rec + NOISE_REC_JPEG_SHARE),
          <i32>load<f64>(rec + NOISE_REC_JPEG_QUALITY_MIN), <i32>load<f64>(rec + NOISE_REC_JPEG_QUALITY_MAX),
          load<f64>(rec + NOISE_REC_JPEG444_SHARE));
        continue; // 8-bit already
      }
      noiseGaussian(d, x, 1, n, gs);
    } else noiseNone(d, x, 1, n);
    if (quantized) quantize(d, n, q);
  }
  rngUnstash();
}

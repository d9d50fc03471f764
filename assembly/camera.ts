// Synthetic camera noise ("unprocessing", Brooks et al. 2019; CBDNet, Guo et al. 2019): a clean sRGB
// colour image (planar [3, H, W] f32 in [0, 1]) is taken back to a camera's linear raw mosaic, given
// the sensor's signal-dependent noise (variance a·x + b per CFA site), and developed again as a
// camera does: demosaic, white balance, sRGB tone curve, 8 bits, and part of the time JPEG. Every
// draw comes from rng.ts, so the engine's seed fixes the noise.
//
// Memory: everything happens inside dst's 3·H·W floats, with no scratch (a training thread has
// none to spare before its forward pass): the mosaic keeps each site's raw value in its own
// channel's plane, where the demosaic never writes, and the JPEG stage works on bytes (libjpeg's
// planes are 8-bit) packed into dst's first bytes, its 8×8 block buffer after them.

import { below, normalPair, normalPairSecond, uniform } from "./rng";

// ---- The (a, b) distribution, fitted by data/noise/fit_profiles.py to darktable's measured noise
// profiles (/usr/share/darktable/noiseprofiles.json of Debian's darktable 4.2.1-4: 7045 profiles,
// 374 cameras; the green channel, which is the raw scale: darktable measures after white balance).
// log a ~ U[LO, HI] (the profiles' 10th to 99.5th percentile of log a: the uniform draw weights the
// noisy high-ISO end above its share of the profiles); log b = SLOPE·log a + OFFSET + N(0, SIGMA²).
// a and b are darktable's: variance a·x + b for a linear raw value x with white at 1.
export const CAM_LOG_A_LO: f64 = -12.512626;
export const CAM_LOG_A_HI: f64 = -6.254851;
export const CAM_LOG_B_SLOPE: f64 = 1.252477;
export const CAM_LOG_B_OFFSET: f64 = -3.03077;
export const CAM_LOG_B_SIGMA: f64 = 1.090028;

// White-balance gains a camera applies to red and blue (green 1), drawn uniformly per image.
const GAIN_R_LO: f64 = 1.9, GAIN_R_HI: f64 = 2.4;
const GAIN_B_LO: f64 = 1.5, GAIN_B_HI: f64 = 1.9;

/** The a and b of the last cameraParams() draw. */
export let cameraA: f64 = 0;
export let cameraB: f64 = 0;

/** Draws one image's (a, b) from the fitted distribution into cameraA, cameraB (two uniforms, two normals' worth). */
export function drawCameraParams(): void {
  const la = CAM_LOG_A_LO + (CAM_LOG_A_HI - CAM_LOG_A_LO) * uniform();
  const z = <f64>normalPair();
  cameraA = Math.exp(la);
  cameraB = Math.exp(CAM_LOG_B_SLOPE * la + CAM_LOG_B_OFFSET + CAM_LOG_B_SIGMA * z);
}

/** Draws `count` (a, b) pairs from the fitted distribution to ptr as f64 pairs (tests, plots). */
export function cameraParams(ptr: usize, count: i32): void {
  for (let i = 0; i < count; i++) {
    drawCameraParams();
    store<f64>(ptr + (<usize>i << 4), cameraA);
    store<f64>(ptr + (<usize>i << 4), cameraB, 8);
  }
}

// ---- sRGB transfer (IEC 61966-2-1) -----------------------------------------------------------

// @ts-ignore: decorator
@inline function srgbToLinear(v: f32): f32 {
  v = min(max(v, <f32>0), <f32>1);
  return v <= <f32>0.04045 ? v * <f32>(1.0 / 12.92) : Mathf.pow((v + <f32>0.055) * <f32>(1.0 / 1.055), <f32>2.4);
}

// @ts-ignore: decorator
@inline function linearToSrgb(v: f32): f32 {
  v = min(max(v, <f32>0), <f32>1);
  return v <= <f32>0.0031308 ? v * <f32>12.92 : <f32>1.055 * Mathf.pow(v, <f32>(1.0 / 2.4)) - <f32>0.055;
}

// ---- Bayer mosaic ----------------------------------------------------------------------------
// pattern 0..3 = RGGB, GRBG, GBRG, BGGR: RGGB shifted by dx = pattern & 1, dy = pattern >> 1.
// Channel at (y, x): with r = (y + dy) & 1, c = (x + dx) & 1: R at (0, 0), B at (1, 1), else G.

// @ts-ignore: decorator
@inline function cfa(y: i32, x: i32, pattern: i32): i32 {
  const r = (y + (pattern >> 1)) & 1, c = (x + (pattern & 1)) & 1;
  return r == c ? r << 1 : 1;
}

/** Keeps each site's own channel of a planar RGB image (dst[cfa][i] = src[cfa][i]) and zeroes the other two. dst may equal src. */
export function cameraMosaic(dst: usize, src: usize, H: i32, W: i32, pattern: i32): void {
  const HW = H * W;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = y * W + x, c = cfa(y, x, pattern);
      for (let k = 0; k < 3; k++) {
        const o = <usize>(k * HW + i) << 2;
        store<f32>(dst + o, k == c ? load<f32>(src + o) : 0);
      }
    }
  }
}

/** Reflects an index into [0, n) without repeating the edge (−1 → 1, n → n − 2), so a Bayer site keeps its colour. */
// @ts-ignore: decorator
@inline function mirror(i: i32, n: i32): i32 {
  if (i < 0) i = -i;
  if (i >= n) i = 2 * n - 2 - i;
  return min(max(i, 0), n - 1); // images under 3 pixels wide: any site will do
}

// @ts-ignore: decorator
@inline function L(p: usize, row: i32, col: i32): f32 {
  return load<f32>(p + (<usize>(row + col) << 2));
}

/**
 * Malvar–He–Cutler (2004) gradient-corrected bilinear demosaicing, in place: each site's raw value
 * is in its own channel's plane (as cameraMosaic leaves it); the two missing channels are written
 * from the 5×5 neighbourhood (mirrored at the edges). Reads only sites' own-channel values and writes
 * only missing ones, so it needs no second buffer.
 */
export function cameraDemosaic(dst: usize, H: i32, W: i32, pattern: i32): void {
  const HW = H * W;
  const pR = dst, pG = dst + (<usize>HW << 2), pB = dst + (<usize>(2 * HW) << 2);
  const dy = pattern >> 1, dx = pattern & 1;
  for (let y = 0; y < H; y++) {
    const o0 = y * W, om1 = mirror(y - 1, H) * W, op1 = mirror(y + 1, H) * W;
    const om2 = mirror(y - 2, H) * W, op2 = mirror(y + 2, H) * W;
    const r = (y + dy) & 1;
    for (let x = 0; x < W; x++) {
      const c = (x + dx) & 1;
      let xm1 = x - 1, xp1 = x + 1, xm2 = x - 2, xp2 = x + 2;
      if (x < 2 || x >= W - 2) {
        xm1 = mirror(xm1, W); xp1 = mirror(xp1, W); xm2 = mirror(xm2, W); xp2 = mirror(xp2, W);
      }
      if (r == c) {
        // R (r = 0) or B (r = 1) site: G from the cross, the other colour from the diagonals.
        const P = r == 0 ? pR : pB, Q = r == 0 ? pB : pR;
        const c0 = L(P, o0, x);
        const far = (L(P, o0, xm2) + L(P, o0, xp2)) + (L(P, om2, x) + L(P, op2, x));
        const g = (L(pG, o0, xm1) + L(pG, o0, xp1)) + (L(pG, om1, x) + L(pG, op1, x));
        const d = (L(Q, om1, xm1) + L(Q, om1, xp1)) + (L(Q, op1, xm1) + L(Q, op1, xp1));
        store<f32>(pG + (<usize>(o0 + x) << 2), (<f32>4 * c0 + <f32>2 * g - far) * <f32>0.125);
        store<f32>(Q + (<usize>(o0 + x) << 2), (<f32>6 * c0 + <f32>2 * d - <f32>1.5 * far) * <f32>0.125);
      } else {
        // G site: H is the colour of its row (left/right neighbours), V of its column.
        const Hp = r == 0 ? pR : pB, Vp = r == 0 ? pB : pR;
        const g0 = L(pG, o0, x);
        const gh = L(pG, o0, xm2) + L(pG, o0, xp2), gv = L(pG, om2, x) + L(pG, op2, x);
        const gd = (L(pG, om1, xm1) + L(pG, om1, xp1)) + (L(pG, op1, xm1) + L(pG, op1, xp1));
        const h = L(Hp, o0, xm1) + L(Hp, o0, xp1), v = L(Vp, om1, x) + L(Vp, op1, x);
        const base = <f32>5 * g0 - gd;
        store<f32>(Hp + (<usize>(o0 + x) << 2), (base + <f32>4 * h - gh + <f32>0.5 * gv) * <f32>0.125);
        store<f32>(Vp + (<usize>(o0 + x) << 2), (base + <f32>4 * v - gv + <f32>0.5 * gh) * <f32>0.125);
      }
    }
  }
}

// ---- raw noise -------------------------------------------------------------------------------

/** dst = src + √(a·max(src, 0) + b)·N(0, 1) over n floats (the sensor's noise in linear raw values). dst may equal src. */
export function noiseCameraRaw(dst: usize, src: usize, n: i32, a: f64, b: f64): void {
  const af = <f32>a, bf = <f32>b;
  let i = 0;
  while (i < n) {
    const z0 = normalPair(), z1 = normalPairSecond;
    let o = <usize>i << 2;
    let x = load<f32>(src + o);
    store<f32>(dst + o, x + Mathf.sqrt(af * max(x, <f32>0) + bf) * z0);
    if (i + 1 < n) {
      o += 4;
      x = load<f32>(src + o);
      store<f32>(dst + o, x + Mathf.sqrt(af * max(x, <f32>0) + bf) * z1);
    }
    i += 2;
  }
}

// ---- the pipeline ----------------------------------------------------------------------------

/**
 * One image through the camera: sRGB → linear, ÷ white balance (gainR, gainB), Bayer mosaic
 * (pattern 0..3), raw noise of variance a·x + b (clipped at the sensor's white, 1), demosaic
 * (Malvar–He–Cutler), × white balance, linear → sRGB clipped to [0, 1], 8 bits, and with
 * jpegQuality in 1..100 a JPEG round trip (subsample 1: 4:2:0, 0: 4:4:4; see jpegRoundTrip).
 * src, dst: planar [3, H, W]; dst may equal src. Draws H·W normals (rounded up to pairs) from rng.ts.
 */
export function noiseCamera(
  dst: usize, src: usize, H: i32, W: i32, a: f64, b: f64, pattern: i32, gainR: f64, gainB: f64,
  jpegQuality: i32, subsample: i32,
): void {
  const HW = H * W;
  const af = <f32>a, bf = <f32>b;
  const invR = <f32>(1.0 / gainR), invB = <f32>(1.0 / gainB);
  // Unprocess, mosaic and noise: each site's raw value into its own channel's plane.
  let have = false;
  let z1: f32 = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const c = cfa(y, x, pattern);
      const o = <usize>(c * HW + y * W + x) << 2;
      let v = srgbToLinear(load<f32>(src + o));
      v *= c == 0 ? invR : c == 2 ? invB : <f32>1;
      let z: f32;
      if (have) z = z1;
      else { z = normalPair(); z1 = normalPairSecond; }
      have = !have;
      v += Mathf.sqrt(af * v + bf) * z;
      store<f32>(dst + o, min(v, <f32>1));
    }
  }
  cameraDemosaic(dst, H, W, pattern);
  // Develop: white balance, tone curve, 8 bits (the JPEG stage rounds for itself).
  const gR = <f32>gainR, gB = <f32>gainB;
  const jpeg = jpegQuality > 0 && jpegFits(H, W);
  for (let i = 0; i < HW; i++) {
    const oR = dst + (<usize>i << 2), oG = oR + (<usize>HW << 2), oB = oG + (<usize>HW << 2);
    let r = linearToSrgb(load<f32>(oR) * gR), g = linearToSrgb(load<f32>(oG)), bl = linearToSrgb(load<f32>(oB) * gB);
    if (!jpeg) {
      r = nearest(r * <f32>255) * <f32>(1.0 / 255);
      g = nearest(g * <f32>255) * <f32>(1.0 / 255);
      bl = nearest(bl * <f32>255) * <f32>(1.0 / 255);
    }
    store<f32>(oR, r); store<f32>(oG, g); store<f32>(oB, bl);
  }
  if (jpeg) jpegInPlace(dst, H, W, jpegQuality, subsample != 0);
}

/**
 * Camera noise with every parameter drawn from rng.ts: (a, b) from the fitted distribution, Bayer
 * pattern, white-balance gains, and with probability jpegShare a JPEG of quality uniform in
 * [qMin, qMax] (4:4:4 with probability share444, else 4:2:0). The draws are made whether used or not.
 */
export function noiseCameraRandom(
  dst: usize, src: usize, H: i32, W: i32, jpegShare: f64, qMin: i32, qMax: i32, share444: f64,
): void {
  drawCameraParams();
  const a = cameraA, b = cameraB;
  const pattern = <i32>below(4);
  const gainR = GAIN_R_LO + (GAIN_R_HI - GAIN_R_LO) * uniform();
  const gainB = GAIN_B_LO + (GAIN_B_HI - GAIN_B_LO) * uniform();
  const useJpeg = uniform() < jpegShare;
  const lo = min(max(qMin, 1), 100), hi = min(max(qMax, lo), 100);
  const q = lo + <i32>below(<u32>(hi - lo + 1));
  const full = uniform() < share444;
  noiseCamera(dst, src, H, W, a, b, pattern, gainR, gainB, useJpeg ? q : 0, full ? 0 : 1);
}

// ---- JPEG (baseline, as libjpeg-turbo's cjpeg/djpeg do it, without the entropy coding) --------

/**
 * Images under 8 pixels high or wide skip the JPEG stage: its byte planes and block buffer need
 * 8·H·W + 256 bytes of dst's 12·H·W, and the in-place chroma downsampling a width of 8.
 */
// @ts-ignore: decorator
@inline function jpegFits(H: i32, W: i32): bool {
  return H >= 8 && W >= 8;
}

// IJG's standard tables (ITU-T T.81 Annex K), natural (row-major) order.
const LUMA_Q = memory.data<u8>([
  16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55, 14, 13, 16, 24, 40, 57, 69, 56,
  14, 17, 22, 29, 51, 87, 80, 62, 18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
  49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
]);
const CHROMA_Q = memory.data<u8>([
  17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99, 24, 26, 56, 99, 99, 99, 99, 99,
  47, 66, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
  99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
]);
/** libjpeg's jpeg_quality_scaling + jpeg_add_quant_table (force_baseline, as cjpeg): the quantizer of base value `base`. */
// @ts-ignore: decorator
@inline function quantStep(base: i32, scale: i32): i32 {
  return min(max((base * scale + 50) / 100, 1), 255);
}

// libjpeg's "ISLOW" integer DCT (jfdctint.c, jidctint.c: the Loeffler–Ligtenberg–Moschytz
// factorisation, 13-bit constants), the default of cjpeg and djpeg, so the simulation gives their bits.
const CONST_BITS = 13, PASS1_BITS = 2;
const F_0_298 = 2446, F_0_390 = 3196, F_0_541 = 4433, F_0_765 = 6270, F_0_899 = 7373, F_1_175 = 9633;
const F_1_501 = 12299, F_1_847 = 15137, F_1_961 = 16069, F_2_053 = 16819, F_2_562 = 20995, F_3_072 = 25172;

// @ts-ignore: decorator
@inline function descale(x: i32, n: i32): i32 {
  return (x + (1 << (n - 1))) >> n;
}

/** jpeg_fdct_islow's pass over 8 i32 at p (stride s bytes), in place: pass 1 (rows) or 2 (columns). */
// @ts-ignore: decorator
@inline function fdct8(p: usize, s: usize, pass1: bool): void {
  const d0 = load<i32>(p), d1 = load<i32>(p + s), d2 = load<i32>(p + 2 * s), d3 = load<i32>(p + 3 * s);
  const d4 = load<i32>(p + 4 * s), d5 = load<i32>(p + 5 * s), d6 = load<i32>(p + 6 * s), d7 = load<i32>(p + 7 * s);
  const tmp0 = d0 + d7, tmp7 = d0 - d7, tmp1 = d1 + d6, tmp6 = d1 - d6;
  const tmp2 = d2 + d5, tmp5 = d2 - d5, tmp3 = d3 + d4, tmp4 = d3 - d4;
  const tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2;
  const n = pass1 ? CONST_BITS - PASS1_BITS : CONST_BITS + PASS1_BITS;
  store<i32>(p, pass1 ? (tmp10 + tmp11) << PASS1_BITS : descale(tmp10 + tmp11, PASS1_BITS));
  store<i32>(p + 4 * s, pass1 ? (tmp10 - tmp11) << PASS1_BITS : descale(tmp10 - tmp11, PASS1_BITS));
  const z1 = (tmp12 + tmp13) * F_0_541;
  store<i32>(p + 2 * s, descale(z1 + tmp13 * F_0_765, n));
  store<i32>(p + 6 * s, descale(z1 - tmp12 * F_1_847, n));
  const z5 = (tmp4 + tmp6 + tmp5 + tmp7) * F_1_175;
  const y1 = -(tmp4 + tmp7) * F_0_899, y2 = -(tmp5 + tmp6) * F_2_562;
  const y3 = z5 - (tmp4 + tmp6) * F_1_961, y4 = z5 - (tmp5 + tmp7) * F_0_390;
  store<i32>(p + 7 * s, descale(tmp4 * F_0_298 + y1 + y3, n));
  store<i32>(p + 5 * s, descale(tmp5 * F_2_053 + y2 + y4, n));
  store<i32>(p + 3 * s, descale(tmp6 * F_3_072 + y2 + y3, n));
  store<i32>(p + s, descale(tmp7 * F_1_501 + y1 + y4, n));
}

/** jpeg_idct_islow's pass over 8 i32 at p (stride s bytes), in place: pass 1 (columns, dequantized) or 2 (rows). */
// @ts-ignore: decorator
@inline function idct8(p: usize, s: usize, pass1: bool): void {
  const i0 = load<i32>(p), i1 = load<i32>(p + s), i2 = load<i32>(p + 2 * s), i3 = load<i32>(p + 3 * s);
  const i4 = load<i32>(p + 4 * s), i5 = load<i32>(p + 5 * s), i6 = load<i32>(p + 6 * s), i7 = load<i32>(p + 7 * s);
  const z1 = (i2 + i6) * F_0_541;
  const t2 = z1 - i6 * F_1_847, t3 = z1 + i2 * F_0_765;
  const t0 = (i0 + i4) << CONST_BITS, t1 = (i0 - i4) << CONST_BITS;
  const tmp10 = t0 + t3, tmp13 = t0 - t3, tmp11 = t1 + t2, tmp12 = t1 - t2;
  const z5 = (i7 + i3 + i5 + i1) * F_1_175;
  const y1 = -(i7 + i1) * F_0_899, y2 = -(i5 + i3) * F_2_562;
  const y3 = z5 - (i7 + i3) * F_1_961, y4 = z5 - (i5 + i1) * F_0_390;
  const o0 = i7 * F_0_298 + y1 + y3, o1 = i5 * F_2_053 + y2 + y4;
  const o2 = i3 * F_3_072 + y2 + y3, o3 = i1 * F_1_501 + y1 + y4;
  const n = pass1 ? CONST_BITS - PASS1_BITS : CONST_BITS + PASS1_BITS + 3;
  store<i32>(p, descale(tmp10 + o3, n));
  store<i32>(p + 7 * s, descale(tmp10 - o3, n));
  store<i32>(p + s, descale(tmp11 + o2, n));
  store<i32>(p + 6 * s, descale(tmp11 - o2, n));
  store<i32>(p + 2 * s, descale(tmp12 + o1, n));
  store<i32>(p + 5 * s, descale(tmp12 - o1, n));
  store<i32>(p + 3 * s, descale(tmp13 + o0, n));
  store<i32>(p + 4 * s, descale(tmp13 - o0, n));
}

/**
 * DCT → quantize → dequantize → IDCT of one component: a byte plane at p of cw × ch samples, in
 * blocks of 8×8 padded by replicating the last row and column (as libjpeg pads the image), blk a
 * 64-i32 buffer. libjpeg's integer arithmetic throughout: coefficients rounded half away from zero,
 * samples clamped to 0..255.
 */
function jpegPlane(p: usize, cw: i32, ch: i32, base: usize, scale: i32, blk: usize): void {
  for (let by = 0; by < ch; by += 8) {
    for (let bx = 0; bx < cw; bx += 8) {
      for (let y = 0; y < 8; y++) {
        const row = p + <usize>(min(by + y, ch - 1) * cw);
        for (let x = 0; x < 8; x++) {
          store<i32>(blk + (<usize>(y * 8 + x) << 2), <i32>load<u8>(row + <usize>min(bx + x, cw - 1)) - 128);
        }
      }
      for (let y = 0; y < 8; y++) fdct8(blk + (<usize>y << 5), 4, true);
      for (let x = 0; x < 8; x++) fdct8(blk + (<usize>x << 2), 32, false);
      for (let k = 0; k < 64; k++) {
        // jcdctmgr.c quantize: the DCT comes scaled by 8, so the divisor is 8q.
        const o = blk + (<usize>k << 2), q = quantStep(<i32>load<u8>(base + <usize>k), scale);
        const t = load<i32>(o), c = (abs(t) + (q << 2)) / (q << 3);
        store<i32>(o, (t < 0 ? -c : c) * q);
      }
      for (let x = 0; x < 8; x++) idct8(blk + (<usize>x << 2), 32, true);
      for (let y = 0; y < 8; y++) idct8(blk + (<usize>y << 5), 4, false);
      const ny = min(8, ch - by), nx = min(8, cw - bx);
      for (let y = 0; y < ny; y++) {
        const row = p + <usize>((by + y) * cw + bx);
        for (let x = 0; x < nx; x++) {
          store<u8>(row + <usize>x, <u8>min(max(load<i32>(blk + (<usize>(y * 8 + x) << 2)) + 128, 0), 255));
        }
      }
    }
  }
}

/** The stride of a 4:2:0 chroma plane: libjpeg's padded width, 8·⌈W/16⌉ (the chroma blocks of whole MCUs). */
// @ts-ignore: decorator
@inline function chromaStride(W: i32): i32 {
  return ((W + 15) >> 4) << 3;
}

/**
 * libjpeg's h2v2_downsample, in place on a byte plane of W × H: 2×2 sums + bias 1, 2, 1, 2… along a
 * row, >> 2, into rows of chromaStride(W), the columns past ⌈W/2⌉ too, from the image's last column
 * replicated (expand_right_edge); an odd H repeats the last row. Needs W ≥ 8 (writes trail reads).
 */
function downsample(p: usize, W: i32, H: i32): void {
  const cs = chromaStride(W), ch = (H + 1) >> 1;
  for (let y = 0; y < ch; y++) {
    const r0 = p + <usize>(2 * y * W), r1 = p + <usize>(min(2 * y + 1, H - 1) * W);
    let bias = 1;
    for (let x = 0; x < cs; x++) {
      const x0 = min(2 * x, W - 1), x1 = min(2 * x + 1, W - 1);
      const s = <i32>load<u8>(r0 + <usize>x0) + <i32>load<u8>(r0 + <usize>x1) + <i32>load<u8>(r1 + <usize>x0) + <i32>load<u8>(r1 + <usize>x1);
      store<u8>(p + <usize>(y * cs + x), <u8>((s + bias) >> 2));
      bias ^= 3;
    }
  }
}

/**
 * libjpeg-turbo's h2v2_fancy_upsample (the decoder's default): each output sample is 9/16 of its
 * nearest input sample, 3/16 of each next one along the two axes and 1/16 of the diagonal one (edges
 * replicated), in integers with libjpeg's rounding; from cw × ch at src to W × H at dst. Under 3
 * input columns libjpeg replicates instead (h2v2_upsample), and so does this. src rows are chromaStride(W) apart.
 */
function upsample(dst: usize, src: usize, W: i32, H: i32): void {
  const cw = (W + 1) >> 1, ch = (H + 1) >> 1, st = chromaStride(W);
  for (let y = 0; y < H; y++) {
    const iy = y >> 1;
    const ny = min(max((y & 1) == 0 ? iy - 1 : iy + 1, 0), ch - 1);
    const a = src + <usize>(iy * st), b = src + <usize>(ny * st), out = dst + <usize>(y * W);
    for (let x = 0; x < W; x++) {
      const j = x >> 1;
      if (cw <= 2) {
        store<u8>(out + <usize>x, load<u8>(a + <usize>j));
        continue;
      }
      const cs = 3 * <i32>load<u8>(a + <usize>j) + <i32>load<u8>(b + <usize>j);
      let v: i32;
      if ((x & 1) == 0) {
        const k = max(j - 1, 0), cl = 3 * <i32>load<u8>(a + <usize>k) + <i32>load<u8>(b + <usize>k);
        v = (3 * cs + cl + 8) >> 4;
      } else {
        const k = min(j + 1, cw - 1), cr = 3 * <i32>load<u8>(a + <usize>k) + <i32>load<u8>(b + <usize>k);
        v = (3 * cs + cr + 7) >> 4;
      }
      store<u8>(out + <usize>x, <u8>v);
    }
  }
}

// @ts-ignore: decorator
@inline function byte(v: f32): i32 {
  return <i32>min(max(nearest(v * <f32>255), <f32>0), <f32>255);
}

// @ts-ignore: decorator
@inline function clamp255(v: i32): u8 {
  return <u8>min(max(v, 0), 255);
}

/**
 * JPEG compression and decompression of a planar RGB image in dst (values rounded to 8 bits first),
 * in place: libjpeg's integer RGB → YCbCr (JFIF), 4:2:0 (subsample) or 4:4:4 chroma, level shift,
 * 8×8 integer DCT (libjpeg's ISLOW), the IJG tables scaled for quality (1..100) and rounded as libjpeg does, the inverse,
 * fancy upsampling and integer YCbCr → RGB; the result is 8-bit levels / 255. Byte layout in dst
 * (12·H·W bytes): [0, 3HW) RGB interleaved, then Y, Cb, Cr, Cb↑, Cr↑ planes of HW bytes, then the
 * block buffer. Needs jpegFits(H, W).
 */
function jpegInPlace(dst: usize, H: i32, W: i32, quality: i32, sub: bool): void {
  const HW = H * W;
  const q = min(max(quality, 1), 100), scale = q < 50 ? 5000 / q : 200 - 2 * q;
  const pY = dst + <usize>(3 * HW), pCb = pY + <usize>HW, pCr = pCb + <usize>HW;
  const pCbU = pCr + <usize>HW, pCrU = pCbU + <usize>HW, blk = pCrU + <usize>HW;
  // RGB floats → interleaved bytes (a pixel's bytes land at or before its own floats: read first).
  for (let i = 0; i < HW; i++) {
    const o = dst + (<usize>i << 2);
    const r = byte(load<f32>(o)), g = byte(load<f32>(o + (<usize>HW << 2))), b = byte(load<f32>(o + (<usize>(2 * HW) << 2)));
    const t = dst + <usize>(3 * i);
    store<u8>(t, <u8>r); store<u8>(t, <u8>g, 1); store<u8>(t, <u8>b, 2);
  }
  // jccolor.c rgb_ycc_convert: FIX(x) = round(x·2^16); Cb, Cr rounded with 0.5 − ε.
  for (let i = 0; i < HW; i++) {
    const t = dst + <usize>(3 * i);
    const r = <i32>load<u8>(t), g = <i32>load<u8>(t, 1), b = <i32>load<u8>(t, 2);
    store<u8>(pY + <usize>i, <u8>((19595 * r + 38470 * g + 7471 * b + 32768) >> 16));
    store<u8>(pCb + <usize>i, <u8>((-11059 * r - 21709 * g + 32768 * b + (128 << 16) + 32767) >> 16));
    store<u8>(pCr + <usize>i, <u8>((32768 * r - 27439 * g - 5329 * b + (128 << 16) + 32767) >> 16));
  }
  jpegPlane(pY, W, H, LUMA_Q, scale, blk);
  let cb = pCb, cr = pCr;
  if (sub) {
    downsample(pCb, W, H);
    downsample(pCr, W, H);
    const cs = chromaStride(W), ch = (H + 1) >> 1;
    jpegPlane(pCb, cs, ch, CHROMA_Q, scale, blk);
    jpegPlane(pCr, cs, ch, CHROMA_Q, scale, blk);
    upsample(pCbU, pCb, W, H);
    upsample(pCrU, pCr, W, H);
    cb = pCbU; cr = pCrU;
  } else {
    jpegPlane(pCb, W, H, CHROMA_Q, scale, blk);
    jpegPlane(pCr, W, H, CHROMA_Q, scale, blk);
  }
  // jdcolor.c ycc_rgb_convert, its tables' entries computed inline.
  for (let i = 0; i < HW; i++) {
    const Y = <i32>load<u8>(pY + <usize>i), Cb = <i32>load<u8>(cb + <usize>i) - 128, Cr = <i32>load<u8>(cr + <usize>i) - 128;
    const t = dst + <usize>(3 * i);
    store<u8>(t, clamp255(Y + ((91881 * Cr + 32768) >> 16)));
    store<u8>(t, clamp255(Y + ((-22554 * Cb + 32768 - 46802 * Cr) >> 16)), 1);
    store<u8>(t, clamp255(Y + ((116130 * Cb + 32768) >> 16)), 2);
  }
  // Bytes → floats, last pixel first (a pixel's floats land at or after its own bytes: read first).
  for (let i = HW - 1; i >= 0; i--) {
    const t = dst + <usize>(3 * i);
    const r = <f32>load<u8>(t), g = <f32>load<u8>(t, 1), b = <f32>load<u8>(t, 2);
    const o = dst + (<usize>i << 2);
    store<f32>(o, r * <f32>(1.0 / 255));
    store<f32>(o + (<usize>HW << 2), g * <f32>(1.0 / 255));
    store<f32>(o + (<usize>(2 * HW) << 2), b * <f32>(1.0 / 255));
  }
}

/**
 * A JPEG round trip of a planar RGB image (src, dst: [3, H, W] in [0, 1]; dst may equal src):
 * quality 1..100 (libjpeg's scale), subsample 1 for 4:2:0 (cjpeg's default), 0 for 4:4:4. The
 * result is what djpeg decodes from cjpeg's file (libjpeg-turbo's defaults: ISLOW DCT, fancy upsampling).
 * Images under 8 pixels high or wide come back rounded to 8 bits only.
 */
export function jpegRoundTrip(dst: usize, src: usize, H: i32, W: i32, quality: i32, subsample: i32): void {
  const HW = H * W;
  if (dst != src) memory.copy(dst, src, <usize>(3 * HW) << 2);
  if (jpegFits(H, W)) {
    jpegInPlace(dst, H, W, quality, subsample != 0);
    return;
  }
  for (let i = 0; i < 3 * HW; i++) {
    const o = dst + (<usize>i << 2);
    store<f32>(o, <f32>byte(load<f32>(o)) * <f32>(1.0 / 255));
  }
}

// im2col / col2im for a whole batch, and the layout moves that go with them.
//
// The column matrix of a convolution with kernel kh×kw, stride sh×sw, padding ph×pw over an image
// batch x (B images, C channels, H×W) on an output grid Ho×Wo is
//   col[(c*kh + ki)*kw + kj,  (b*Ho + oy)*Wo + ox] = x[b, c, oy*sh - ph + ki, ox*sw - pw + kj]   (0 outside)
// i.e. [C*kh*kw, B*Ho*Wo], row-major. Putting the batch in the columns makes one large GEMM per
// layer instead of B small ones (the 7×7 → 1×1 layer would otherwise be a matrix-vector product).
// Plane (b, c) of x starts at float offset b*bStride + c*cStride (NCHW: cStride = H*W, bStride = C*H*W).
// The grid is passed in, not derived: a transposed convolution uses the same maps with its input as grid.

import { BUILD_MODE, MODE_RELAXED, MODE_SCALAR } from "./mode";
import { addInto } from "./add";

/** col = im2col(x); see the header for the layout. col: [C*kh*kw, B*Ho*Wo]. */
export function im2col(
  col: usize, x: usize, B: i32, C: i32, H: i32, W: i32, cStride: i32, bStride: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, Ho: i32, Wo: i32,
): void {
  im2colRows(col, x, B, C, H, W, cStride, bStride, kh, kw, sh, sw, ph, pw, Ho, Wo, 0, Ho);
}

/** The checks im2col and col2im share (and their band versions). */
// @ts-ignore: decorator
@inline function checkGeometry(
  B: i32, C: i32, H: i32, W: i32, cStride: i32, bStride: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, Ho: i32, Wo: i32,
  oy0: i32, rows: i32,
): void {
  assert(B >= 0 && C >= 0 && cStride >= H * W && bStride >= C * cStride, "im2col/col2im: plane or image stride shorter than its data");
  assert(kh >= 1 && kw >= 1 && sh >= 1 && sw >= 1 && ph >= 0 && pw >= 0 && H + 2 * ph >= kh && W + 2 * pw >= kw, "im2col/col2im: bad kernel, stride or padding");
  // Ho = (H + 2ph − kh) / sh + 1 without a division (a division could trap, so the release build would keep it).
  assert((Ho - 1) * sh <= H + 2 * ph - kh && H + 2 * ph - kh < Ho * sh && (Wo - 1) * sw <= W + 2 * pw - kw && W + 2 * pw - kw < Wo * sw,
    "im2col/col2im: Ho, Wo are not the conv's output size");
  assert(oy0 >= 0 && rows >= 0 && oy0 + rows <= Ho, "im2col/col2im: band of output rows outside the grid");
}

/**
 * im2col of the output rows oy0 … oy0 + rows − 1 only (a band: conv2d.ts's banded forward), the same
 * values as those columns of im2col's matrix: col [C*kh*kw, B*rows*Wo].
 */
export function im2colRows(
  col: usize, x: usize, B: i32, C: i32, H: i32, W: i32, cStride: i32, bStride: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, Ho: i32, Wo: i32, oy0: i32, rows: i32,
): void {
  checkGeometry(B, C, H, W, cStride, bStride, kh, kw, sh, sw, ph, pw, Ho, Wo, oy0, rows);
  const ld = <usize>B * <usize>rows * <usize>Wo;
  let row: usize = 0;
  for (let c = 0; c < C; c++) {
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        // Output columns ox whose input column ix = ox*sw - pw + kj lies inside [0, W).
        const oxLo = firstInside(pw - kj, sw);
        const oxHi = max(oxLo, min(Wo, lastInsideExclusive(W - 1 + pw - kj, sw)));
        // Stride 2: ox in [oxLo, ox2Hi) reads 8 floats from its input column on, all inside the row.
        const ox2Hi = stride2End(W, kj - pw, oxLo, oxHi);
        let out = col + ((row * ld) << 2);
        for (let b = 0; b < B; b++) {
          const plane = x + ((<usize>b * <usize>bStride + <usize>c * <usize>cStride) << 2);
          for (let oy = oy0; oy < oy0 + rows; oy++) {
            const iy = oy * sh - ph + ki;
            if (iy < 0 || iy >= H) {
              zeroRun(out, Wo);
            } else {
              // The row's first input column (ox = 0; may lie in the padding, never read there).
              const src = plane + ((<usize>iy * <usize>W) << 2) + (<usize>(kj - pw) << 2);
              zeroRun(out, oxLo);
              if (sw == 1) {
                copyRun(out + (<usize>oxLo << 2), src + (<usize>oxLo << 2), oxHi - oxLo);
              } else {
                let ox = oxLo;
                if (BUILD_MODE != MODE_SCALAR) { // (a constant condition alone: the scalar build has no v128)
                  if (sw == 2) {
                    for (; ox + 4 <= ox2Hi; ox += 4) {
                      const p = src + (<usize>ox << 3);
                      v128.store(out + (<usize>ox << 2), v128.shuffle<f32>(v128.load(p), v128.load(p, 16), 0, 2, 4, 6));
                    }
                  }
                }
                for (; ox < oxHi; ox++) store<f32>(out + (<usize>ox << 2), load<f32>(src + (<usize>(ox * sw) << 2)));
              }
              zeroRun(out + (<usize>oxHi << 2), Wo - oxHi);
            }
            out += <usize>Wo << 2;
          }
        }
        row++;
      }
    }
  }
}

/**
 * n zero floats at p. Rows are short (7 to 28 floats in our networks): an inline loop, not
 * memory.fill, whose per-call cost was most of im2col's time on them (also winograd_chunks.ts padPlanes).
 */
// @ts-ignore: decorator
@inline export function zeroRun(p: usize, n: i32): void {
  let i = 0;
  if (BUILD_MODE != MODE_SCALAR) {
    const z = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) v128.store(p + (<usize>i << 2), z);
  }
  for (; i < n; i++) store<f32>(p + (<usize>i << 2), 0);
}

/** n floats from src to dst (not overlapping); an inline loop for short rows, like zeroRun. */
// @ts-ignore: decorator
@inline export function copyRun(dst: usize, src: usize, n: i32): void {
  let i = 0;
  if (BUILD_MODE != MODE_SCALAR) {
    for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)));
  }
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)));
}

/** x += col2im(col): the adjoint of im2col (overlapping windows add up). Same arguments as im2col. */
export function col2im(
  x: usize, col: usize, B: i32, C: i32, H: i32, W: i32, cStride: i32, bStride: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, Ho: i32, Wo: i32,
): void {
  col2imRows(x, col, B, C, H, W, cStride, bStride, kh, kw, sh, sw, ph, pw, Ho, Wo, 0, Ho);
}

/**
 * x += col2im of the grid rows oy0 … oy0 + rows − 1 only (col [C*kh*kw, B*rows*Wo], im2colRows' layout):
 * each x element takes those rows' terms in col2im's order (kernel row, column, then grid row). Bands
 * that share an x row add into it in col2im's order when the later band (its terms from lower kernel
 * rows) runs first: conv_transpose2d.ts runs them last band first.
 */
export function col2imRows(
  x: usize, col: usize, B: i32, C: i32, H: i32, W: i32, cStride: i32, bStride: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, Ho: i32, Wo: i32, oy0: i32, rows: i32,
): void {
  checkGeometry(B, C, H, W, cStride, bStride, kh, kw, sh, sw, ph, pw, Ho, Wo, oy0, rows);
  const ld = <usize>B * <usize>rows * <usize>Wo;
  let row: usize = 0;
  for (let c = 0; c < C; c++) {
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        const oxLo = firstInside(pw - kj, sw);
        const oxHi = max(oxLo, min(Wo, lastInsideExclusive(W - 1 + pw - kj, sw)));
        // Stride 2: ox in [oxLo, ox2Hi) touches 8 floats from its input column on, all inside the row.
        const ox2Hi = stride2End(W, kj - pw, oxLo, oxHi);
        let src = col + ((row * ld) << 2);
        for (let b = 0; b < B; b++) {
          const plane = x + ((<usize>b * <usize>bStride + <usize>c * <usize>cStride) << 2);
          for (let oy = oy0; oy < oy0 + rows; oy++) {
            const iy = oy * sh - ph + ki;
            if (iy >= 0 && iy < H) {
              // The row's first input column (ox = 0; may lie in the padding, never touched there).
              const dst = plane + ((<usize>iy * <usize>W) << 2) + (<usize>(kj - pw) << 2);
              if (sw == 1) {
                // Stride 1: one contiguous run of the image row takes one contiguous run of col.
                addInto(dst + (<usize>oxLo << 2), src + (<usize>oxLo << 2), oxHi - oxLo);
              } else {
                let ox = oxLo;
                // Relaxed build only (strict keeps the scalar adds: adding 0 turns a −0 into +0).
                if (BUILD_MODE == MODE_RELAXED) {
                  if (sw == 2) {
                    // Even lanes of the 8 input floats take 4 col values, odd lanes add zero (same sums).
                    const z = f32x4.splat(0);
                    for (; ox + 4 <= ox2Hi; ox += 4) {
                      const p = dst + (<usize>ox << 3), v = v128.load(src + (<usize>ox << 2));
                      v128.store(p, f32x4.add(v128.load(p), v128.shuffle<f32>(v, z, 0, 4, 1, 4)));
                      v128.store(p, f32x4.add(v128.load(p, 16), v128.shuffle<f32>(v, z, 2, 4, 3, 4)), 16);
                    }
                  }
                }
                for (; ox < oxHi; ox++) {
                  const p = dst + (<usize>(ox * sw) << 2);
                  store<f32>(p, load<f32>(p) + load<f32>(src + (<usize>ox << 2)));
                }
              }
            }
            src += <usize>Wo << 2;
          }
        }
        row++;
      }
    }
  }
}

/**
 * Stride 2, a row whose input column is ix = 2·ox + off: the end of the outputs ox in [oxLo, oxHi)
 * from which 8 input floats (ix … ix + 7, 4 outputs' worth) lie inside [0, W).
 */
// @ts-ignore: decorator
@inline function stride2End(W: i32, off: i32, oxLo: i32, oxHi: i32): i32 {
  const t = W - 8 - off; // the last start: 2·ox + off + 7 ≤ W − 1
  return t < 0 ? oxLo : max(oxLo, min(oxHi, t / 2 + 4));
}

/** Smallest o ≥ 0 with o*s ≥ t (first output index whose input index is ≥ 0). */
// @ts-ignore: decorator
@inline function firstInside(t: i32, s: i32): i32 {
  return t <= 0 ? 0 : (t + s - 1) / s;
}

/** Smallest o with o*s > t, i.e. one past the last output index whose input index is ≤ W-1. */
// @ts-ignore: decorator
@inline function lastInsideExclusive(t: i32, s: i32): i32 {
  return t < 0 ? 0 : t / s + 1;
}

/**
 * dst[c, b, i] = src[b, c, i]: NCHW [B, C, HW] → channel-major [C, B*HW] (GEMM operand layout). The
 * source's planes lie srcPlane ≥ HW floats apart (a band of HW floats of each: conv_transpose2d.ts).
 */
export function nchwToCnhw(dst: usize, src: usize, B: i32, C: i32, HW: i32, srcPlane: i32 = HW): void {
  const plane = <usize>HW << 2, sPlane = <usize>srcPlane << 2;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      memory.copy(
        dst + (<usize>(c * B + b)) * plane,
        src + (<usize>(b * C + c)) * sPlane,
        plane,
      );
    }
  }
}

/**
 * dst[b, c, i] = src[c, b, i] + (bias ? bias[c] : 0): channel-major GEMM result → NCHW. The
 * destination's planes lie dstPlane ≥ HW floats apart (a band of HW floats of each: conv2d.ts).
 */
export function cnhwToNchwBias(dst: usize, src: usize, bias: usize, B: i32, C: i32, HW: i32, dstPlane: i32 = HW): void {
  const plane = <usize>HW << 2, dPlane = <usize>dstPlane << 2;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const o = dst + (<usize>(b * C + c)) * dPlane;
      const s = src + (<usize>(c * B + b)) * plane;
      if (bias) {
        const bc = load<f32>(bias + (<usize>c << 2));
        let i = 0;
        if (BUILD_MODE != MODE_SCALAR) {
          const bv = f32x4.splat(bc);
          for (; i + 4 <= HW; i += 4) v128.store(o + (<usize>i << 2), f32x4.add(v128.load(s + (<usize>i << 2)), bv));
        }
        for (; i < HW; i++) store<f32>(o + (<usize>i << 2), load<f32>(s + (<usize>i << 2)) + bc);
      } else {
        memory.copy(o, s, plane);
      }
    }
  }
}

/** dst[b, c, i] += src[c, b, i]: accumulate a channel-major gradient into an NCHW one. */
export function cnhwAddToNchw(dst: usize, src: usize, B: i32, C: i32, HW: i32): void {
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const o = dst + ((<usize>(b * C + c) * <usize>HW) << 2);
      addInto(o, src + ((<usize>(c * B + b) * <usize>HW) << 2), HW);
    }
  }
}

/**
 * db[c] += Σ_b Σ_i dy[b, c, i] (bias gradient of an NCHW output). Summed in f64, in image order:
 * a long f32 running sum would drift ~√n ulp from PyTorch's cascaded sum.
 */
export function channelSumsAdd(db: usize, dy: usize, B: i32, C: i32, HW: i32): void {
  for (let c = 0; c < C; c++) {
    let s: f64 = 0;
    for (let b = 0; b < B; b++) {
      const p = dy + ((<usize>(b * C + c) * <usize>HW) << 2);
      for (let i = 0; i < HW; i++) s += <f64>load<f32>(p + (<usize>i << 2));
    }
    const q = db + (<usize>c << 2);
    store<f32>(q, load<f32>(q) + <f32>s);
  }
}

/**
 * channelSumsAdd in another order (still f64), for the fast conv paths (winograd.ts, direct3x3.ts): per
 * channel, four running sums of the elements at i ≡ 0, 1, 2, 3 (mod 4) of each image's 4-aligned part,
 * one of the rest, added ((s0 + s2) + (s1 + s3)) + rest. SIMD (two f64x2 sums) in the SIMD builds,
 * the same sums in scalar loops in the scalar build or when `scalar` asks (the specs' oracle): f64
 * adds round the same either way, so every build gives the same bits.
 */
export function channelSumsAdd4(db: usize, dy: usize, B: i32, C: i32, HW: i32, scalar: bool): void {
  for (let c = 0; c < C; c++) {
    let t: f64 = 0, s: f64 = 0;
    if (BUILD_MODE == MODE_SCALAR || scalar) {
      let s0: f64 = 0, s1: f64 = 0, s2: f64 = 0, s3: f64 = 0;
      for (let b = 0; b < B; b++) {
        const p = dy + ((<usize>(b * C + c) * <usize>HW) << 2);
        let i = 0;
        for (; i + 4 <= HW; i += 4) {
          const q = p + (<usize>i << 2);
          s0 += <f64>load<f32>(q); s1 += <f64>load<f32>(q, 4); s2 += <f64>load<f32>(q, 8); s3 += <f64>load<f32>(q, 12);
        }
        for (; i < HW; i++) s += <f64>load<f32>(p + (<usize>i << 2));
      }
      t = (s0 + s2) + (s1 + s3);
    } else {
      let a0 = f64x2.splat(0), a1 = f64x2.splat(0);
      for (let b = 0; b < B; b++) {
        const p = dy + ((<usize>(b * C + c) * <usize>HW) << 2);
        let i = 0;
        for (; i + 4 <= HW; i += 4) {
          const v = v128.load(p + (<usize>i << 2));
          a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v));
          a1 = f64x2.add(a1, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
        }
        for (; i < HW; i++) s += <f64>load<f32>(p + (<usize>i << 2));
      }
      const u = f64x2.add(a0, a1);
      t = f64x2.extract_lane(u, 0) + f64x2.extract_lane(u, 1);
    }
    const q = db + (<usize>c << 2);
    store<f32>(q, load<f32>(q) + <f32>(t + s));
  }
}

// im2col / col2im for a whole batch, and the layout moves that go with them.
//
// The column matrix of a convolution with kernel kh×kw, stride sh×sw, padding ph×pw over an image
// batch x (B images, C channels, H×W) on an output grid Ho×Wo is
//   col[(c*kh + ki)*kw + kj,  (b*Ho + oy)*Wo + ox] = x[b, c, oy*sh - ph + ki, ox*sw - pw + kj]   (0 outside)
// i.e. [C*kh*kw, B*Ho*Wo], row-major. Putting the batch in the columns makes one large GEMM per
// layer instead of B small ones (the 7×7 → 1×1 layer would otherwise be a matrix-vector product).
// Plane (b, c) of x starts at float offset b*bStride + c*cStride (NCHW: cStride = H*W, bStride = C*H*W).
// The grid is passed in, not derived: a transposed convolution uses the same maps with its input as grid.

import { BUILD_MODE, MODE_SCALAR } from "./mode";
import { addInto } from "./add";

/** col = im2col(x); see the header for the layout. col: [C*kh*kw, B*Ho*Wo]. */
export function im2col(
  col: usize, x: usize, B: i32, C: i32, H: i32, W: i32, cStride: i32, bStride: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, Ho: i32, Wo: i32,
): void {
  const ld = <usize>B * <usize>Ho * <usize>Wo;
  let row: usize = 0;
  for (let c = 0; c < C; c++) {
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        // Output columns ox whose input column ix = ox*sw - pw + kj lies inside [0, W).
        const oxLo = firstInside(pw - kj, sw);
        const oxHi = min(Wo, lastInsideExclusive(W - 1 + pw - kj, sw));
        let out = col + ((row * ld) << 2);
        for (let b = 0; b < B; b++) {
          const plane = x + ((<usize>b * <usize>bStride + <usize>c * <usize>cStride) << 2);
          for (let oy = 0; oy < Ho; oy++) {
            const iy = oy * sh - ph + ki;
            if (iy < 0 || iy >= H || oxLo >= oxHi) {
              memory.fill(out, 0, <usize>Wo << 2);
            } else {
              const src = plane + ((<usize>iy * <usize>W) << 2);
              for (let ox = 0; ox < oxLo; ox++) store<f32>(out + (<usize>ox << 2), 0);
              if (sw == 1) {
                // Stride 1: the row's valid part is one contiguous run of the input row.
                memory.copy(out + (<usize>oxLo << 2), src + (<usize>(oxLo - pw + kj) << 2), <usize>(oxHi - oxLo) << 2);
              } else {
                for (let ox = oxLo; ox < oxHi; ox++) {
                  store<f32>(out + (<usize>ox << 2), load<f32>(src + (<usize>(ox * sw - pw + kj) << 2)));
                }
              }
              for (let ox = oxHi; ox < Wo; ox++) store<f32>(out + (<usize>ox << 2), 0);
            }
            out += <usize>Wo << 2;
          }
        }
        row++;
      }
    }
  }
}

/** x += col2im(col): the adjoint of im2col (overlapping windows add up). Same arguments as im2col. */
export function col2im(
  x: usize, col: usize, B: i32, C: i32, H: i32, W: i32, cStride: i32, bStride: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, Ho: i32, Wo: i32,
): void {
  const ld = <usize>B * <usize>Ho * <usize>Wo;
  let row: usize = 0;
  for (let c = 0; c < C; c++) {
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        const oxLo = firstInside(pw - kj, sw);
        const oxHi = min(Wo, lastInsideExclusive(W - 1 + pw - kj, sw));
        let src = col + ((row * ld) << 2);
        for (let b = 0; b < B; b++) {
          const plane = x + ((<usize>b * <usize>bStride + <usize>c * <usize>cStride) << 2);
          for (let oy = 0; oy < Ho; oy++) {
            const iy = oy * sh - ph + ki;
            if (iy >= 0 && iy < H && sw == 1) {
              // Stride 1: one contiguous run of the image row takes one contiguous run of col.
              const dst = plane + ((<usize>(iy * W + oxLo - pw + kj)) << 2);
              if (oxHi > oxLo) addInto(dst, src + (<usize>oxLo << 2), oxHi - oxLo);
            } else if (iy >= 0 && iy < H) {
              const dst = plane + ((<usize>iy * <usize>W) << 2);
              for (let ox = oxLo; ox < oxHi; ox++) {
                const p = dst + (<usize>(ox * sw - pw + kj) << 2);
                store<f32>(p, load<f32>(p) + load<f32>(src + (<usize>ox << 2)));
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

/** dst[c, b, i] = src[b, c, i]: NCHW [B, C, HW] → channel-major [C, B*HW] (GEMM operand layout). */
export function nchwToCnhw(dst: usize, src: usize, B: i32, C: i32, HW: i32): void {
  const plane = <usize>HW << 2;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      memory.copy(
        dst + (<usize>(c * B + b)) * plane,
        src + (<usize>(b * C + c)) * plane,
        plane,
      );
    }
  }
}

/** dst[b, c, i] = src[c, b, i] + (bias ? bias[c] : 0): channel-major GEMM result → NCHW. */
export function cnhwToNchwBias(dst: usize, src: usize, bias: usize, B: i32, C: i32, HW: i32): void {
  const plane = <usize>HW << 2;
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const o = dst + (<usize>(b * C + c)) * plane;
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
 * channelSumsAdd, 4 lanes at a time into two f64x2 sums: another summation order (still f64), so
 * only for the relaxed build's fast conv paths (winograd.ts, direct3x3.ts), which differ anyway.
 */
export function channelSumsAddSimd(db: usize, dy: usize, B: i32, C: i32, HW: i32): void {
  for (let c = 0; c < C; c++) {
    let a0 = f64x2.splat(0), a1 = f64x2.splat(0), s: f64 = 0;
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
    const t = f64x2.add(a0, a1), q = db + (<usize>c << 2);
    store<f32>(q, load<f32>(q) + <f32>((f64x2.extract_lane(t, 0) + f64x2.extract_lane(t, 1)) + s));
  }
}

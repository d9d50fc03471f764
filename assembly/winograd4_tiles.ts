// The per-tile transforms of Winograd F(4×4, 3×3) (Lavin & Gray, https://arxiv.org/abs/1509.09308,
// points 0, ±1, ±2), SIMD (4 neighbouring tiles of a tile row in the lanes, gathered by 4×4
// transposes) beside scalar references doing the same f32 operations in the same order (no fused
// multiply-add, so the two are bit-identical; winograd.spec.ts checks it).
//   input   V = Bᵀ d B    d: 6×6        Bᵀ = [4 0 −5 0 1 0; 0 −4 −4 1 1 0; 0 4 −4 −1 1 0;
//                                             0 −2 −1 2 1 0; 0 2 −1 −2 1 0; 0 4 0 −5 0 1]
//   output  Y = Aᵀ M A    Y: 4×4        Aᵀ = [1 1 1 1 1 0; 0 1 −1 2 −2 0; 0 1 1 4 4 0; 0 1 −1 8 −8 1]
//   dy      D = A dY Aᵀ   6×6 from 4×4
// Layouts as in winograd_tiles.ts with tile side 4: pad [nb, C, 4tH+2, 4tW+2] (+ 32 zero floats),
// V, M, D [36, C, Tp] (ξ = 6i + j; ξ planes pointStride apart), tile t = (bl·tH + ty)·tW + tx. `s`: 576 bytes of scratch.

import { lane, storeFirst } from "./winograd_tiles";
import { pointStride } from "./winograd_chunks";

// @ts-ignore: decorator
@inline function ld(p: usize, i: i32): f32 { return load<f32>(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function st(p: usize, i: i32, v: f32): void { store<f32>(p + (<usize>i << 2), v); }

/** Row i of Bᵀ applied to d0..d5 (scalar). */
// @ts-ignore: decorator
@inline function bt(i: i32, d0: f32, d1: f32, d2: f32, d3: f32, d4: f32, d5: f32): f32 {
  if (i == 0) return (d0 * 4 - d2 * 5) + d4;
  if (i == 1) return (d3 + d4) - (d1 + d2) * 4;
  if (i == 2) return (d4 - d3) + (d1 - d2) * 4;
  if (i == 3) return (d4 - d2) + (d3 - d1) * 2;
  if (i == 4) return (d4 - d2) - (d3 - d1) * 2;
  return (d1 * 4 - d3 * 5) + d5;
}

/** Bᵀ applied to d0..d5 (4 lanes), the 6 results stored `step` bytes apart from `out`. */
// @ts-ignore: decorator
@inline function btStore(out: usize, step: usize, d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128): void {
  const k2 = f32x4.splat(2), k4 = f32x4.splat(4), k5 = f32x4.splat(5);
  v128.store(out, f32x4.add(f32x4.sub(f32x4.mul(d0, k4), f32x4.mul(d2, k5)), d4));
  v128.store(out + step, f32x4.sub(f32x4.add(d3, d4), f32x4.mul(f32x4.add(d1, d2), k4)));
  v128.store(out + 2 * step, f32x4.add(f32x4.sub(d4, d3), f32x4.mul(f32x4.sub(d1, d2), k4)));
  v128.store(out + 3 * step, f32x4.add(f32x4.sub(d4, d2), f32x4.mul(f32x4.sub(d3, d1), k2)));
  v128.store(out + 4 * step, f32x4.sub(f32x4.sub(d4, d2), f32x4.mul(f32x4.sub(d3, d1), k2)));
  v128.store(out + 5 * step, f32x4.add(f32x4.sub(f32x4.mul(d1, k4), f32x4.mul(d3, k5)), d5));
}

/**
 * Byte offset, from a chunk's start, of tile t's first pixel: its top-left padded pixel (input: planes
 * of PH×PW per channel, rows of the tile at 4·ty) or output pixel (planes of Ho×Wo, 4 × 4 tiles), channel 0.
 * Tiles t = (bl·tH + ty)·tW + tx of P = tH·tW per image, C channels.
 */
// @ts-ignore: decorator
@inline function tileAt(t: i32, P: i32, tW: i32, C: i32, rows: i32, cols: i32): usize {
  const bl = t / P, rem = t - bl * P, ty = rem / tW, tx = rem - ty * tW;
  return ((<usize>(bl * C) * <usize>rows + <usize>(4 * ty)) * <usize>cols + <usize>(4 * tx)) << 2;
}

/**
 * Whether the transforms take their 4 lanes from 4 consecutive tiles wherever they lie (across tile
 * rows and images, each read at its own address) rather than from one tile row, 4 neighbours a step.
 * A row of tW tiles fills ⌈tW/4⌉ steps: the row walk reads a step's 4 tiles in 5 loads instead of 8
 * and measured ~1.08× faster on unet24's 7-tile and 4-tile rows, but idles the lanes past the row's
 * end; gathered, a 7×7 image's 2×2 tiles (half the lanes idle) ran 1.04–1.14× faster. Gather where
 * more than a fifth of the lanes would idle.
 */
// @ts-ignore: decorator
@inline function gathers(tW: i32): bool {
  const steps = (tW + 3) & ~3;
  return 5 * (steps - tW) > steps;
}

/**
 * V[ξ, c, t] = (Bᵀ d B)ξ of every tile (rows of d combined first, then columns). 4 tiles a step: 4
 * neighbours of a tile row, or 4 consecutive tiles wherever they lie (gathers).
 */
export function winograd4Input(v: usize, pad: usize, nb: i32, C: i32, tH: i32, tW: i32, Tp: i32, s: usize): void {
  if (gathers(tW)) return winograd4InputGathered(v, pad, nb, C, tH, tW, Tp, s);
  const PH = 4 * tH + 2, PW = 4 * tW + 2, rowB = <usize>PW << 2, xsB = <usize>pointStride(C, Tp) << 2;
  for (let bl = 0; bl < nb; bl++) for (let ty = 0; ty < tH; ty++) {
    const t0 = (bl * tH + ty) * tW;
    for (let c = 0; c < C; c++) {
      const src = pad + ((<usize>((bl * C + c) * PH + 4 * ty) * <usize>PW) << 2), dst = v + ((<usize>(c * Tp + t0)) << 2);
      for (let tx = 0; tx < tW; tx += 4) {
        const p = src + (<usize>(4 * tx) << 2), q = dst + (<usize>tx << 2);
        for (let r = 0; r < 6; r++) {
          // Columns 4(tx+l)+j of row r for the 4 tiles l: c_j, j = 0..5; then the row's Bᵀ combinations.
          const a = p + <usize>r * rowB, v0 = v128.load(a), v1 = v128.load(a, 16), v2 = v128.load(a, 32), v3 = v128.load(a, 48);
          const t0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7);
          const t2 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
          const c0 = v128.shuffle<f32>(t0, t2, 0, 1, 4, 5), c1 = v128.shuffle<f32>(t0, t2, 2, 3, 6, 7);
          const c2 = v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), c3 = v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), v4 = v128.load(a, 64);
          btStore(s + <usize>(r * 96), 16, c0, c1, c2, c3, v128.shuffle<f32>(c0, v4, 1, 2, 3, 4), v128.shuffle<f32>(c1, v4, 1, 2, 3, 5));
        }
        columnsToV(q, xsB, s);
      }
    }
  }
}

/** The column pass of the input transform: V[k + 6i] (6·xsB bytes apart from q + k·xsB) = Bᵀ applied to the scratch's 6 rows. */
// @ts-ignore: decorator
@inline function columnsToV(q: usize, xsB: usize, s: usize): void {
  for (let k = 0; k < 6; k++) {
    const g = s + <usize>(k << 4);
    btStore(q + <usize>k * xsB, 6 * xsB, v128.load(g), v128.load(g, 96), v128.load(g, 192),
      v128.load(g, 288), v128.load(g, 384), v128.load(g, 480));
  }
}

/** winograd4Input, lanes from 4 consecutive tiles t..t+3 (lanes past the last tile repeat it, into V's columns < Tp). */
function winograd4InputGathered(v: usize, pad: usize, nb: i32, C: i32, tH: i32, tW: i32, Tp: i32, s: usize): void {
  const PH = 4 * tH + 2, PW = 4 * tW + 2, rowB = <usize>PW << 2, planeB = <usize>(PH * PW) << 2, xsB = <usize>pointStride(C, Tp) << 2;
  const P = tH * tW, T = nb * P;
  for (let t = 0; t < T; t += 4) {
    const p0 = pad + tileAt(t, P, tW, C, PH, PW), p1 = pad + tileAt(min(t + 1, T - 1), P, tW, C, PH, PW);
    const p2 = pad + tileAt(min(t + 2, T - 1), P, tW, C, PH, PW), p3 = pad + tileAt(min(t + 3, T - 1), P, tW, C, PH, PW);
    for (let c = 0; c < C; c++) {
      const o = <usize>c * planeB, q = v + ((<usize>(c * Tp + t)) << 2);
      for (let r = 0; r < 6; r++) {
        // Row r of each tile: columns 0..3 and 4..5, transposed to c_j = column j of the 4 tiles.
        const a = o + <usize>r * rowB;
        const a0 = v128.load(p0 + a), a1 = v128.load(p1 + a), a2 = v128.load(p2 + a), a3 = v128.load(p3 + a);
        const t0 = v128.shuffle<f32>(a0, a1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(a0, a1, 2, 6, 3, 7);
        const t2 = v128.shuffle<f32>(a2, a3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(a2, a3, 2, 6, 3, 7);
        const u0 = v128.shuffle<f32>(v128.load64_zero(p0 + a, 16), v128.load64_zero(p1 + a, 16), 0, 4, 1, 5);
        const u1 = v128.shuffle<f32>(v128.load64_zero(p2 + a, 16), v128.load64_zero(p3 + a, 16), 0, 4, 1, 5);
        btStore(s + <usize>(r * 96), 16, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5), v128.shuffle<f32>(t0, t2, 2, 3, 6, 7),
          v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), v128.shuffle<f32>(t1, t3, 2, 3, 6, 7),
          v128.shuffle<f32>(u0, u1, 0, 1, 4, 5), v128.shuffle<f32>(u0, u1, 2, 3, 6, 7));
      }
      columnsToV(q, xsB, s);
    }
  }
}

/** Scalar reference of winograd4Input (writes only the tiles that exist). */
export function winograd4InputRef(v: usize, pad: usize, nb: i32, C: i32, tH: i32, tW: i32, Tp: i32): void {
  const PH = 4 * tH + 2, PW = 4 * tW + 2, xs = pointStride(C, Tp);
  for (let bl = 0; bl < nb; bl++) for (let ty = 0; ty < tH; ty++) for (let tx = 0; tx < tW; tx++) {
    const t = (bl * tH + ty) * tW + tx;
    for (let c = 0; c < C; c++) {
      const p = pad + ((<usize>((bl * C + c) * PH + 4 * ty) * <usize>PW + <usize>(4 * tx)) << 2);
      const q = v + ((<usize>(c * Tp + t)) << 2);
      for (let k = 0; k < 6; k++) {
        const h0 = inRow(p, PW, 0, k), h1 = inRow(p, PW, 1, k), h2 = inRow(p, PW, 2, k);
        const h3 = inRow(p, PW, 3, k), h4 = inRow(p, PW, 4, k), h5 = inRow(p, PW, 5, k);
        for (let i = 0; i < 6; i++) st(q, (6 * i + k) * xs, bt(i, h0, h1, h2, h3, h4, h5));
      }
    }
  }
}

// @ts-ignore: decorator
@inline function inRow(p: usize, PW: i32, r: i32, k: i32): f32 {
  const o = r * PW;
  return bt(k, ld(p, o), ld(p, o + 1), ld(p, o + 2), ld(p, o + 3), ld(p, o + 4), ld(p, o + 5));
}

/** Row i of A (6×4: [1 0 0 0; 1 1 1 1; 1 −1 1 −1; 1 2 4 8; 1 −2 4 −8; 0 0 0 1]) applied to g0..g3. */
// @ts-ignore: decorator
@inline function a6(i: i32, g0: f32, g1: f32, g2: f32, g3: f32): f32 {
  if (i == 0) return g0;
  if (i == 1) return (g0 + g1) + (g2 + g3);
  if (i == 2) return (g0 - g1) + (g2 - g3);
  if (i == 3) return (g0 + g1 * 2) + (g2 * 4 + g3 * 8);
  if (i == 4) return (g0 - g1 * 2) + (g2 * 4 - g3 * 8);
  return g3;
}

// @ts-ignore: decorator
@inline function a6Store(out: usize, step: usize, g0: v128, g1: v128, g2: v128, g3: v128): void {
  const k2 = f32x4.splat(2), k4 = f32x4.splat(4), k8 = f32x4.splat(8);
  const g1x2 = f32x4.mul(g1, k2), g2x4 = f32x4.mul(g2, k4), g3x8 = f32x4.mul(g3, k8);
  v128.store(out, g0);
  v128.store(out + step, f32x4.add(f32x4.add(g0, g1), f32x4.add(g2, g3)));
  v128.store(out + 2 * step, f32x4.add(f32x4.sub(g0, g1), f32x4.sub(g2, g3)));
  v128.store(out + 3 * step, f32x4.add(f32x4.add(g0, g1x2), f32x4.add(g2x4, g3x8)));
  v128.store(out + 4 * step, f32x4.add(f32x4.sub(g0, g1x2), f32x4.sub(g2x4, g3x8)));
  v128.store(out + 5 * step, g3);
}

/** D[ξ, c, t] = (A dY Aᵀ)ξ of every tile, dY read from a padded chunk (rows combined first). */
export function winograd4GradOut(d: usize, pad: usize, nb: i32, C: i32, tH: i32, tW: i32, Tp: i32, s: usize): void {
  const PH = 4 * tH + 2, PW = 4 * tW + 2, rowB = <usize>PW << 2, xsB = <usize>pointStride(C, Tp) << 2;
  for (let bl = 0; bl < nb; bl++) for (let ty = 0; ty < tH; ty++) {
    const t0 = (bl * tH + ty) * tW;
    for (let c = 0; c < C; c++) {
      const src = pad + ((<usize>((bl * C + c) * PH + 4 * ty + 1) * <usize>PW + 1) << 2), dst = d + ((<usize>(c * Tp + t0)) << 2);
      for (let tx = 0; tx < tW; tx += 4) {
        const p = src + (<usize>(4 * tx) << 2), q = dst + (<usize>tx << 2);
        for (let a = 0; a < 4; a++) {
          const r = p + <usize>a * rowB, v0 = v128.load(r), v1 = v128.load(r, 16), v2 = v128.load(r, 32), v3 = v128.load(r, 48);
          const t0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7);
          const t2 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
          a6Store(s + <usize>(a * 96), 16, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5), v128.shuffle<f32>(t0, t2, 2, 3, 6, 7),
            v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
        }
        for (let j = 0; j < 6; j++) {
          const g = s + <usize>(j << 4);
          a6Store(q + <usize>j * xsB, 6 * xsB, v128.load(g), v128.load(g, 96), v128.load(g, 192), v128.load(g, 288));
        }
      }
    }
  }
}

/** Scalar reference of winograd4GradOut. */
export function winograd4GradOutRef(d: usize, pad: usize, nb: i32, C: i32, tH: i32, tW: i32, Tp: i32): void {
  const PH = 4 * tH + 2, PW = 4 * tW + 2, xs = pointStride(C, Tp);
  for (let bl = 0; bl < nb; bl++) for (let ty = 0; ty < tH; ty++) for (let tx = 0; tx < tW; tx++) {
    const t = (bl * tH + ty) * tW + tx;
    for (let c = 0; c < C; c++) {
      const p = pad + ((<usize>((bl * C + c) * PH + 4 * ty + 1) * <usize>PW + <usize>(4 * tx + 1)) << 2);
      const q = d + ((<usize>(c * Tp + t)) << 2);
      for (let j = 0; j < 6; j++) {
        const f0 = gRow(p, PW, 0, j), f1 = gRow(p, PW, 1, j), f2 = gRow(p, PW, 2, j), f3 = gRow(p, PW, 3, j);
        for (let i = 0; i < 6; i++) st(q, (6 * i + j) * xs, a6(i, f0, f1, f2, f3));
      }
    }
  }
}

// @ts-ignore: decorator
@inline function gRow(p: usize, PW: i32, a: i32, j: i32): f32 {
  const o = a * PW;
  return a6(j, ld(p, o), ld(p, o + 1), ld(p, o + 2), ld(p, o + 3));
}

/** Row i of Aᵀ applied to m0..m5 (scalar). */
// @ts-ignore: decorator
@inline function at(i: i32, m0: f32, m1: f32, m2: f32, m3: f32, m4: f32, m5: f32): f32 {
  if (i == 0) return ((m1 + m2) + (m3 + m4)) + m0;
  if (i == 1) return (m1 - m2) + (m3 - m4) * 2;
  if (i == 2) return (m1 + m2) + (m3 + m4) * 4;
  return ((m1 - m2) + (m3 - m4) * 8) + m5;
}

// @ts-ignore: decorator
@inline function atStore(out: usize, step: usize, m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128): void {
  const p12 = f32x4.add(m1, m2), n12 = f32x4.sub(m1, m2), p34 = f32x4.add(m3, m4), n34 = f32x4.sub(m3, m4);
  v128.store(out, f32x4.add(f32x4.add(p12, p34), m0));
  v128.store(out + step, f32x4.add(n12, f32x4.mul(n34, f32x4.splat(2))));
  v128.store(out + 2 * step, f32x4.add(p12, f32x4.mul(p34, f32x4.splat(4))));
  v128.store(out + 3 * step, f32x4.add(f32x4.add(n12, f32x4.mul(n34, f32x4.splat(8))), m5));
}

/**
 * y[b0+bl, c, 4ty+i, 4tx+j] (= or +=) (Aᵀ M A)ij + bias[c] (columns of M combined first), rows past Hc
 * and columns past Wc dropped. y: NCHW [*, C, Ho, Wo], Hc and Wc as winograd_tiles.ts winogradOutput's (Ho,
 * or a band's rows inside the image; Wo, or a window's columns); bias may be 0. 4 tiles a step as in winograd4Input.
 */
export function winograd4Output(
  y: usize, m: usize, bias: usize, nb: i32, C: i32, Ho: i32, Wo: i32, Hc: i32, tH: i32, tW: i32, Tp: i32, accumulate: bool, s: usize, Wc: i32 = Wo,
): void {
  if (gathers(tW)) return winograd4OutputGathered(y, m, bias, nb, C, Ho, Wo, Hc, tH, tW, Tp, accumulate, s, Wc);
  const xsB = <usize>pointStride(C, Tp) << 2;
  for (let bl = 0; bl < nb; bl++) for (let ty = 0; ty < tH; ty++) {
    const t0 = (bl * tH + ty) * tW;
    for (let c = 0; c < C; c++) {
      const bv = f32x4.splat(bias ? ld(bias, c) : 0), src = m + ((<usize>(c * Tp + t0)) << 2);
      const plane = y + ((<usize>((bl * C + c) * Ho) * <usize>Wo) << 2);
      for (let tx = 0; tx < tW; tx += 4) {
        const q = src + (<usize>tx << 2);
        columnsOfM(s, q, xsB);
        for (let i = 0; i < 4 && 4 * ty + i < Hc; i++) {
          const row = plane + ((<usize>(4 * ty + i) * <usize>Wo) << 2) + (<usize>(4 * tx) << 2), w = Wc - 4 * tx;
          outRow(s + <usize>(i * 96), bv, row, w, 1, row + 16, w - 4, 1, row + 32, w - 8, 1, row + 48, w - 12, 1, accumulate);
        }
      }
    }
  }
}

/**
 * winograd4Output, lanes from 4 consecutive tiles t..t+3 (winograd4InputGathered): tile l's first
 * pixel (channel 0) at y_l, w_l columns and n_l rows of the image from there (0 rows: no tile).
 */
function winograd4OutputGathered(
  y: usize, m: usize, bias: usize, nb: i32, C: i32, Ho: i32, Wo: i32, Hc: i32, tH: i32, tW: i32, Tp: i32, accumulate: bool, s: usize, Wc: i32,
): void {
  const P = tH * tW, T = nb * P, xsB = <usize>pointStride(C, Tp) << 2, planeB = <usize>(Ho * Wo) << 2, rowY = <usize>Wo << 2;
  for (let t = 0; t < T; t += 4) {
    const y0 = y + tileAt(t, P, tW, C, Ho, Wo), w0 = Wc - 4 * (t % tW), n0 = Hc - 4 * ((t % P) / tW);
    const y1 = y + tileAt(t + 1, P, tW, C, Ho, Wo), w1 = Wc - 4 * ((t + 1) % tW), n1 = t + 1 < T ? Hc - 4 * (((t + 1) % P) / tW) : 0;
    const y2 = y + tileAt(t + 2, P, tW, C, Ho, Wo), w2 = Wc - 4 * ((t + 2) % tW), n2 = t + 2 < T ? Hc - 4 * (((t + 2) % P) / tW) : 0;
    const y3 = y + tileAt(t + 3, P, tW, C, Ho, Wo), w3 = Wc - 4 * ((t + 3) % tW), n3 = t + 3 < T ? Hc - 4 * (((t + 3) % P) / tW) : 0;
    for (let c = 0; c < C; c++) {
      const bv = f32x4.splat(bias ? ld(bias, c) : 0), q = m + ((<usize>(c * Tp + t)) << 2);
      columnsOfM(s, q, xsB);
      const o = <usize>c * planeB;
      for (let i = 0; i < 4; i++) {
        const a = o + <usize>i * rowY;
        outRow(s + <usize>(i * 96), bv, y0 + a, w0, n0 - i, y1 + a, w1, n1 - i, y2 + a, w2, n2 - i, y3 + a, w3, n3 - i, accumulate);
      }
    }
  }
}

/** The column pass of the output transform: the scratch's rows j = Aᵀ applied to M's 6 planes ξ = j, j + 6, … of tiles q. */
// @ts-ignore: decorator
@inline function columnsOfM(s: usize, q: usize, xsB: usize): void {
  for (let j = 0; j < 6; j++) {
    const r = q + <usize>j * xsB, st6 = <usize>6 * xsB;
    atStore(s + <usize>(j << 4), 96, v128.load(r), v128.load(r + st6), v128.load(r + 2 * st6),
      v128.load(r + 3 * st6), v128.load(r + 4 * st6), v128.load(r + 5 * st6));
  }
}

/**
 * Output row i of 4 tiles (lanes), its scratch row g of (Aᵀ M) (6 vectors, 16 bytes apart) combined by
 * Aᵀ, plus bias: tile l's 4 pixels (= or +=) at p_l, those of its w_l columns only, where it has rows
 * left (k_l > 0).
 */
// @ts-ignore: decorator
@inline function outRow(
  g: usize, bv: v128, p0: usize, w0: i32, k0: i32, p1: usize, w1: i32, k1: i32, p2: usize, w2: i32, k2: i32, p3: usize, w3: i32, k3: i32, accumulate: bool,
): void {
  const m0 = v128.load(g), m1 = v128.load(g, 16), m2 = v128.load(g, 32), m3 = v128.load(g, 48), m4 = v128.load(g, 64);
  const p12 = f32x4.add(m1, m2), n12 = f32x4.sub(m1, m2), p34 = f32x4.add(m3, m4), n34 = f32x4.sub(m3, m4);
  const r0 = f32x4.add(f32x4.add(f32x4.add(p12, p34), m0), bv);
  const r1 = f32x4.add(f32x4.add(n12, f32x4.mul(n34, f32x4.splat(2))), bv);
  const r2 = f32x4.add(f32x4.add(p12, f32x4.mul(p34, f32x4.splat(4))), bv);
  const r3 = f32x4.add(f32x4.add(f32x4.add(n12, f32x4.mul(n34, f32x4.splat(8))), v128.load(g, 80)), bv);
  // Lanes are tiles: after the transpose, vector l is tile l's 4 pixels of this output row.
  const t0 = v128.shuffle<f32>(r0, r1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(r0, r1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(r2, r3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(r2, r3, 2, 6, 3, 7);
  if (k0 > 0) put4(p0, 0, w0, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5), accumulate);
  if (k1 > 0) put4(p1, 0, w1, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7), accumulate);
  if (k2 > 0) put4(p2, 0, w2, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5), accumulate);
  if (k3 > 0) put4(p3, 0, w3, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7), accumulate);
}

/** Columns ox..ox+3 of an output row (= or +=) v, those < Wo only. */
// @ts-ignore: decorator
@inline export function put4(row: usize, ox: i32, Wo: i32, v: v128, accumulate: bool): void {
  const p = row + (<usize>ox << 2);
  if (ox + 4 <= Wo) {
    v128.store(p, accumulate ? f32x4.add(v128.load(p), v) : v);
    return;
  }
  if (ox >= Wo) return;
  if (!accumulate) return storeFirst(p, v, Wo - ox);
  for (let j = 0; j < 4 && ox + j < Wo; j++) {
    st(p, j, ld(p, j) + lane(v, j));
  }
}

/** Scalar reference of winograd4Output. */
export function winograd4OutputRef(
  y: usize, m: usize, bias: usize, nb: i32, C: i32, Ho: i32, Wo: i32, Hc: i32, tH: i32, tW: i32, Tp: i32, accumulate: bool, Wc: i32 = Wo,
): void {
  const xs = pointStride(C, Tp);
  for (let bl = 0; bl < nb; bl++) for (let ty = 0; ty < tH; ty++) for (let tx = 0; tx < tW; tx++) {
    const t = (bl * tH + ty) * tW + tx;
    for (let c = 0; c < C; c++) {
      const q = m + ((<usize>(c * Tp + t)) << 2), b: f32 = bias ? ld(bias, c) : 0;
      for (let i = 0; i < 4; i++) {
        const oy = 4 * ty + i;
        if (oy >= Hc) continue;
        const s0 = mCol(q, xs, i, 0), s1 = mCol(q, xs, i, 1), s2 = mCol(q, xs, i, 2);
        const s3 = mCol(q, xs, i, 3), s4 = mCol(q, xs, i, 4), s5 = mCol(q, xs, i, 5);
        const row = y + ((<usize>((bl * C + c) * Ho + oy) * <usize>Wo) << 2);
        for (let j = 0; j < 4 && 4 * tx + j < Wc; j++) {
          const val = at(j, s0, s1, s2, s3, s4, s5) + b, ox = 4 * tx + j;
          st(row, ox, accumulate ? ld(row, ox) + val : val);
        }
      }
    }
  }
}

/** (Aᵀ M)[i, j] of one tile: column j of M combined by row i of Aᵀ. */
// @ts-ignore: decorator
@inline function mCol(q: usize, xs: i32, i: i32, j: i32): f32 {
  return at(i, ld(q, j * xs), ld(q, (6 + j) * xs), ld(q, (12 + j) * xs), ld(q, (18 + j) * xs), ld(q, (24 + j) * xs), ld(q, (30 + j) * xs));
}

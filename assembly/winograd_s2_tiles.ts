// The per-tile transforms of a stride-2 Winograd convolution, F(2×2, 3×3) with stride 2: a 2×2
// output tile of a 3×3 stride-2 padding-1 conv reads a 5×5 input tile (input tiles start 4 apart and
// share an edge). Along one axis, with the tile's inputs s0..s4 (s0 = x[2o − 1] for outputs o, o + 1),
// the even inputs s1, s3 meet the middle tap alone, and the odd ones s0, s2, s4 meet the outer taps
// as a 2-tap correlation, which F(2, 2) does in 3 products instead of 4:
//   points  P = (s1, s3, s0 − s2, s2, s4 − s2)       kernel  G g = (g1, g1, g0, g0 + g2, g2)
//   outputs y0 = P0 + (P2 + P3),  y1 = P1 + (P3 + P4)
// so 5 products per 2 outputs on an axis, 25 per 2×2 tile and channel pair where the direct conv
// does 36. Only additions, no scaling: in f32 it differs from the im2col path by rounding only.
// Each transform has a SIMD kernel (4 neighbouring tiles of a tile row in the 4 lanes) and a scalar
// reference with the same f32 operations in the same order (winograd.spec.ts: bit-identical).
//   input   V = Bᵀ d B    d: 5×5 input tile, columns combined first (h_r = P of row r), then rows
//   output  Y = Aᵀ M A    M: 5×5 product, Y: 2×2, columns first
//
// Layouts (floats), as winograd_tiles.ts's with tile (ty, tx) covering output rows 2ty, 2ty + 1 and
// columns 2tx, 2tx + 1, and reading pad rows 4ty .. 4ty + 4, columns 4tx .. 4tx + 4:
//   pad [nb, C, PH, PW]  PH = 4tH + 1, PW = 4tW + 1 (padPlanes: one zero row / column in front, zeros
//                        behind), then 32 zero floats (the SIMD kernel reads up to 15 floats past a
//                        row's last tile)
//   V, M [25, C, Tp]     ξ = 5i + j major (planes pointStride apart), then channel, then tile; Tp ≥ T + 4

import { putRow, storeFirst } from "./winograd_tiles";
import { put4 } from "./winograd4_tiles";
import { pointStride } from "./winograd_chunks";

// @ts-ignore: decorator
@inline function ld(p: usize, i: i32): f32 { return load<f32>(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function st(p: usize, i: i32, v: f32): void { store<f32>(p + (<usize>i << 2), v); }
// @ts-ignore: decorator
@inline function vld(p: usize, i: i32): v128 { return v128.load(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function vst(p: usize, i: i32, v: v128): void { v128.store(p + (<usize>i << 2), v); }

/** Pad plane sides for tH×tW tiles. */
// @ts-ignore: decorator
@inline export function s2PadSide(tiles: i32): i32 { return 4 * tiles + 1; }

/**
 * Row r of 4 tiles (lanes) at p: the column points (c1, c3, c0 − c2, c2, c4 − c2) of each tile, c_j
 * its column j, stored as (point − sub_j) or as they are at q + (base + j)·xs, j = 0..4.
 */
// @ts-ignore: decorator
@inline function rowPoints(p: usize, q: usize, xs: i32, base: i32, sub: bool, s0: v128, s1: v128, s2: v128, s3: v128, s4: v128): void {
  const l0 = v128.load(p), l1 = v128.load(p, 16), l2 = v128.load(p, 32), l3 = v128.load(p, 48), l4 = v128.load(p, 64);
  const t0 = v128.shuffle<f32>(l0, l1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(l2, l3, 0, 4, 1, 5);
  const t2 = v128.shuffle<f32>(l0, l1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(l2, l3, 2, 6, 3, 7);
  const c0 = v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), c1 = v128.shuffle<f32>(t0, t1, 2, 3, 6, 7);
  const c2 = v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), c3 = v128.shuffle<f32>(t2, t3, 2, 3, 6, 7);
  const c4 = v128.shuffle<f32>(c0, l4, 1, 2, 3, 4);
  const h2 = f32x4.sub(c0, c2), h4 = f32x4.sub(c4, c2);
  if (sub) {
    vst(q, base * xs, f32x4.sub(c1, s0)); vst(q, (base + 1) * xs, f32x4.sub(c3, s1)); vst(q, (base + 2) * xs, f32x4.sub(h2, s2));
    vst(q, (base + 3) * xs, f32x4.sub(c2, s3)); vst(q, (base + 4) * xs, f32x4.sub(h4, s4));
  } else {
    vst(q, base * xs, c1); vst(q, (base + 1) * xs, c3); vst(q, (base + 2) * xs, h2); vst(q, (base + 3) * xs, c2); vst(q, (base + 4) * xs, h4);
  }
}

/** V[ξ, c, t] = (Bᵀ d B)ξ of every tile of the chunk. */
export function winogradS2Input(v: usize, pad: usize, nb: i32, C: i32, tH: i32, tW: i32, Tp: i32): void {
  const PH = s2PadSide(tH), PW = s2PadSide(tW), xs = pointStride(C, Tp), rowB = <usize>PW << 2;
  for (let bl = 0; bl < nb; bl++) for (let ty = 0; ty < tH; ty++) {
    const t0 = (bl * tH + ty) * tW;
    for (let c = 0; c < C; c++) {
      const src = pad + ((<usize>((bl * C + c) * PH + 4 * ty) * <usize>PW) << 2);
      const dst = v + ((<usize>(c * Tp + t0)) << 2);
      for (let tx = 0; tx < tW; tx += 4) {
        const p = src + (<usize>(4 * tx) << 2), q = dst + (<usize>tx << 2);
        // Row 2's points k are V's row 3 and are subtracted from rows 0 and 4's (V's rows 2 and 4).
        const r2 = p + 2 * rowB;
        const l0 = v128.load(r2), l1 = v128.load(r2, 16), l2 = v128.load(r2, 32), l3 = v128.load(r2, 48), l4 = v128.load(r2, 64);
        const t0 = v128.shuffle<f32>(l0, l1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(l2, l3, 0, 4, 1, 5);
        const t2 = v128.shuffle<f32>(l0, l1, 2, 6, 3, 7), t3 = v128.shuffle<f32>(l2, l3, 2, 6, 3, 7);
        const c0 = v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), c1 = v128.shuffle<f32>(t0, t1, 2, 3, 6, 7);
        const c2 = v128.shuffle<f32>(t2, t3, 0, 1, 4, 5), c3 = v128.shuffle<f32>(t2, t3, 2, 3, 6, 7);
        const c4 = v128.shuffle<f32>(c0, l4, 1, 2, 3, 4);
        const k0 = c1, k1 = c3, k2 = f32x4.sub(c0, c2), k3 = c2, k4 = f32x4.sub(c4, c2);
        vst(q, 15 * xs, k0); vst(q, 16 * xs, k1); vst(q, 17 * xs, k2); vst(q, 18 * xs, k3); vst(q, 19 * xs, k4);
        rowPoints(p, q, xs, 10, true, k0, k1, k2, k3, k4);
        rowPoints(p + 4 * rowB, q, xs, 20, true, k0, k1, k2, k3, k4);
        rowPoints(p + rowB, q, xs, 0, false, k0, k1, k2, k3, k4);
        rowPoints(p + 3 * rowB, q, xs, 5, false, k0, k1, k2, k3, k4);
      }
    }
  }
}

/** Column point j of the 5 values at r (one row of an input tile). */
// @ts-ignore: decorator
@inline function inCol(r: usize, j: i32): f32 {
  return j == 0 ? ld(r, 1) : j == 1 ? ld(r, 3) : j == 2 ? ld(r, 0) - ld(r, 2) : j == 3 ? ld(r, 2) : ld(r, 4) - ld(r, 2);
}

/** Scalar reference of winogradS2Input (writes only the tiles that exist). */
export function winogradS2InputRef(v: usize, pad: usize, nb: i32, C: i32, tH: i32, tW: i32, Tp: i32): void {
  const PH = s2PadSide(tH), PW = s2PadSide(tW), xs = pointStride(C, Tp), rowB = <usize>PW << 2;
  for (let bl = 0; bl < nb; bl++) for (let ty = 0; ty < tH; ty++) for (let tx = 0; tx < tW; tx++) {
    const t = (bl * tH + ty) * tW + tx;
    for (let c = 0; c < C; c++) {
      const p = pad + ((<usize>((bl * C + c) * PH + 4 * ty) * <usize>PW + <usize>(4 * tx)) << 2);
      const q = v + ((<usize>(c * Tp + t)) << 2);
      for (let j = 0; j < 5; j++) {
        const h0 = inCol(p, j), h1 = inCol(p + rowB, j), h2 = inCol(p + 2 * rowB, j), h3 = inCol(p + 3 * rowB, j), h4 = inCol(p + 4 * rowB, j);
        st(q, j * xs, h1); st(q, (5 + j) * xs, h3); st(q, (10 + j) * xs, h0 - h2); st(q, (15 + j) * xs, h2); st(q, (20 + j) * xs, h4 - h2);
      }
    }
  }
}

/** Row i's column combinations of M (lanes: 4 tiles): (M_i0 + (M_i2 + M_i3), M_i1 + (M_i3 + M_i4)). */
// @ts-ignore: decorator
@inline function outRow0(q: usize, xs: i32, i: i32): v128 {
  return f32x4.add(vld(q, 5 * i * xs), f32x4.add(vld(q, (5 * i + 2) * xs), vld(q, (5 * i + 3) * xs)));
}
// @ts-ignore: decorator
@inline function outRow1(q: usize, xs: i32, i: i32): v128 {
  return f32x4.add(vld(q, (5 * i + 1) * xs), f32x4.add(vld(q, (5 * i + 3) * xs), vld(q, (5 * i + 4) * xs)));
}

/**
 * y[b0 + bl, c, 2ty + i, 2tx + j] = (Aᵀ M A)ij + bias[c] for every tile, rows past Hc and columns past Wc
 * dropped: planes of Ho rows, Hc = Ho or a band's rows inside the image, Wc = Wo or a window's columns
 * (winograd_tiles.ts winogradOutput).
 */
export function winogradS2Output(y: usize, m: usize, bias: usize, nb: i32, C: i32, Ho: i32, Wo: i32, Hc: i32, tH: i32, tW: i32, Tp: i32, Wc: i32 = Wo): void {
  const xs = pointStride(C, Tp);
  for (let bl = 0; bl < nb; bl++) for (let ty = 0; ty < tH; ty++) {
    const t0 = (bl * tH + ty) * tW, oy = 2 * ty, two = oy + 1 < Hc;
    for (let c = 0; c < C; c++) {
      const bv = f32x4.splat(bias ? ld(bias, c) : 0);
      const row0 = y + ((<usize>((bl * C + c) * Ho + oy) * <usize>Wo) << 2), row1 = row0 + (<usize>Wo << 2);
      const src = m + ((<usize>(c * Tp + t0)) << 2);
      for (let tx = 0; tx < tW; tx += 4) {
        const q = src + (<usize>tx << 2);
        const a0 = outRow0(q, xs, 3), a1 = outRow1(q, xs, 3);
        const y00 = f32x4.add(f32x4.add(outRow0(q, xs, 0), f32x4.add(outRow0(q, xs, 2), a0)), bv);
        const y01 = f32x4.add(f32x4.add(outRow1(q, xs, 0), f32x4.add(outRow1(q, xs, 2), a1)), bv);
        const ox = 2 * tx;
        putRow(row0, ox, Wc, v128.shuffle<f32>(y00, y01, 0, 4, 1, 5), v128.shuffle<f32>(y00, y01, 2, 6, 3, 7), false);
        if (two) {
          const y10 = f32x4.add(f32x4.add(outRow0(q, xs, 1), f32x4.add(a0, outRow0(q, xs, 4))), bv);
          const y11 = f32x4.add(f32x4.add(outRow1(q, xs, 1), f32x4.add(a1, outRow1(q, xs, 4))), bv);
          putRow(row1, ox, Wc, v128.shuffle<f32>(y10, y11, 0, 4, 1, 5), v128.shuffle<f32>(y10, y11, 2, 6, 3, 7), false);
        }
      }
    }
  }
}

/** Column combination j of row i of M, one tile. */
// @ts-ignore: decorator
@inline function outS(q: usize, xs: i32, i: i32, j: i32): f32 {
  const r = 5 * i;
  return j == 0 ? ld(q, r * xs) + (ld(q, (r + 2) * xs) + ld(q, (r + 3) * xs)) : ld(q, (r + 1) * xs) + (ld(q, (r + 3) * xs) + ld(q, (r + 4) * xs));
}

/** Scalar reference of winogradS2Output. */
export function winogradS2OutputRef(y: usize, m: usize, bias: usize, nb: i32, C: i32, Ho: i32, Wo: i32, Hc: i32, tH: i32, tW: i32, Tp: i32, Wc: i32 = Wo): void {
  const xs = pointStride(C, Tp);
  for (let bl = 0; bl < nb; bl++) for (let ty = 0; ty < tH; ty++) for (let tx = 0; tx < tW; tx++) {
    const t = (bl * tH + ty) * tW + tx;
    for (let c = 0; c < C; c++) {
      const q = m + ((<usize>(c * Tp + t)) << 2), b: f32 = bias ? ld(bias, c) : 0;
      for (let i = 0; i < 2; i++) {
        const oy = 2 * ty + i;
        if (oy >= Hc) continue;
        const row = y + ((<usize>((bl * C + c) * Ho + oy) * <usize>Wo) << 2), ox = 2 * tx;
        for (let j = 0; j < 2 && ox + j < Wc; j++) {
          // Rows: Y0j = t0j + (t2j + t3j), Y1j = t1j + (t3j + t4j), t_ij = outS(i, j).
          const v = i == 0 ? outS(q, xs, 0, j) + (outS(q, xs, 2, j) + outS(q, xs, 3, j)) : outS(q, xs, 1, j) + (outS(q, xs, 3, j) + outS(q, xs, 4, j));
          st(row, ox + j, v + b);
        }
      }
    }
  }
}

// ---------------------------------------------------------------- transposed, stride 2
// ConvTranspose2d 3×3, stride 2, padding 1 (output padding 0 or 1): along one axis, output 2a takes
// the middle tap alone, y[2a] = g1·x[a], and output 2a + 1 the outer ones, y[2a + 1] = g2·x[a] +
// g0·x[a + 1], a 2-tap correlation. A tile of 4 outputs (2a .. 2a + 3, a = 2t) reads 3 inputs
// s0..s2 = x[2t .. 2t + 2] (zero past the end):
//   points  P = (s0, s1, s0 − s1, s1, s2 − s1)       kernel  G g = (g1, g1, g2, g0 + g2, g0)
//   outputs y0 = P0,  y1 = P2 + P3,  y2 = P1,  y3 = P3 + P4
// 5 products per 4 outputs on an axis, 25 per 4×4 output tile and channel pair where col2im's
// GEMM does 36 (9 per input pixel).
//   input   V = Bᵀ d B    d: 3×3 input tile (columns combined first)
//   output  Y = Aᵀ M A    M: 5×5, Y: 4×4 (columns first)
// Layouts: pad as padPlanes writes it with PH = 2tH + 2, PW = 2tW + 2 (the front zero row and column
// unused: tile (ty, tx) reads pad rows 2ty + 1 .. 2ty + 3, columns 2tx + 1 .. 2tx + 3), then 32 zero
// floats; V, M [25, C, Tp] as above; tile (ty, tx) writes output rows 4ty .. 4ty + 3, columns
// 4tx .. 4tx + 3, those inside Ho×Wo.

/** V[ξ, c, t] = (Bᵀ d B)ξ of every tile of the chunk (transposed conv). */
export function winogradT2Input(v: usize, pad: usize, nb: i32, C: i32, tH: i32, tW: i32, Tp: i32): void {
  const PH = 2 * tH + 2, PW = 2 * tW + 2, xs = pointStride(C, Tp), rowB = <usize>PW << 2;
  for (let bl = 0; bl < nb; bl++) for (let ty = 0; ty < tH; ty++) {
    const t0 = (bl * tH + ty) * tW;
    for (let c = 0; c < C; c++) {
      const src = pad + ((<usize>((bl * C + c) * PH + 2 * ty + 1) * <usize>PW + 1) << 2);
      const dst = v + ((<usize>(c * Tp + t0)) << 2);
      for (let tx = 0; tx < tW; tx += 4) {
        const p = src + (<usize>(2 * tx) << 2), q = dst + (<usize>tx << 2);
        // Row 1's points k: V's rows 1 and 3, subtracted from rows 0 and 2's (V's rows 2 and 4).
        const r1 = p + rowB;
        let l0 = v128.load(r1), l1 = v128.load(r1, 16), l2 = v128.load(r1, 32);
        let c0 = v128.shuffle<f32>(l0, l1, 0, 2, 4, 6), c1 = v128.shuffle<f32>(l0, l1, 1, 3, 5, 7), c2 = v128.shuffle<f32>(c0, l2, 1, 2, 3, 4);
        const k0 = c0, k1 = c1, k2 = f32x4.sub(c0, c1), k3 = c1, k4 = f32x4.sub(c2, c1);
        vst(q, 5 * xs, k0); vst(q, 6 * xs, k1); vst(q, 7 * xs, k2); vst(q, 8 * xs, k3); vst(q, 9 * xs, k4);
        vst(q, 15 * xs, k0); vst(q, 16 * xs, k1); vst(q, 17 * xs, k2); vst(q, 18 * xs, k3); vst(q, 19 * xs, k4);
        l0 = v128.load(p); l1 = v128.load(p, 16); l2 = v128.load(p, 32);
        c0 = v128.shuffle<f32>(l0, l1, 0, 2, 4, 6); c1 = v128.shuffle<f32>(l0, l1, 1, 3, 5, 7); c2 = v128.shuffle<f32>(c0, l2, 1, 2, 3, 4);
        let h2 = f32x4.sub(c0, c1), h4 = f32x4.sub(c2, c1);
        vst(q, 0, c0); vst(q, xs, c1); vst(q, 2 * xs, h2); vst(q, 3 * xs, c1); vst(q, 4 * xs, h4);
        vst(q, 10 * xs, f32x4.sub(c0, k0)); vst(q, 11 * xs, f32x4.sub(c1, k1)); vst(q, 12 * xs, f32x4.sub(h2, k2));
        vst(q, 13 * xs, f32x4.sub(c1, k3)); vst(q, 14 * xs, f32x4.sub(h4, k4));
        const r2 = p + 2 * rowB;
        l0 = v128.load(r2); l1 = v128.load(r2, 16); l2 = v128.load(r2, 32);
        c0 = v128.shuffle<f32>(l0, l1, 0, 2, 4, 6); c1 = v128.shuffle<f32>(l0, l1, 1, 3, 5, 7); c2 = v128.shuffle<f32>(c0, l2, 1, 2, 3, 4);
        h2 = f32x4.sub(c0, c1); h4 = f32x4.sub(c2, c1);
        vst(q, 20 * xs, f32x4.sub(c0, k0)); vst(q, 21 * xs, f32x4.sub(c1, k1)); vst(q, 22 * xs, f32x4.sub(h2, k2));
        vst(q, 23 * xs, f32x4.sub(c1, k3)); vst(q, 24 * xs, f32x4.sub(h4, k4));
      }
    }
  }
}

/** Column point j of the 3 values at r (one row of a transposed conv's input tile). */
// @ts-ignore: decorator
@inline function tCol(r: usize, j: i32): f32 {
  return j == 0 ? ld(r, 0) : j == 1 || j == 3 ? ld(r, 1) : j == 2 ? ld(r, 0) - ld(r, 1) : ld(r, 2) - ld(r, 1);
}

/** Scalar reference of winogradT2Input (writes only the tiles that exist). */
export function winogradT2InputRef(v: usize, pad: usize, nb: i32, C: i32, tH: i32, tW: i32, Tp: i32): void {
  const PH = 2 * tH + 2, PW = 2 * tW + 2, xs = pointStride(C, Tp), rowB = <usize>PW << 2;
  for (let bl = 0; bl < nb; bl++) for (let ty = 0; ty < tH; ty++) for (let tx = 0; tx < tW; tx++) {
    const t = (bl * tH + ty) * tW + tx;
    for (let c = 0; c < C; c++) {
      const p = pad + ((<usize>((bl * C + c) * PH + 2 * ty + 1) * <usize>PW + <usize>(2 * tx + 1)) << 2);
      const q = v + ((<usize>(c * Tp + t)) << 2);
      for (let j = 0; j < 5; j++) {
        const h0 = tCol(p, j), h1 = tCol(p + rowB, j), h2 = tCol(p + 2 * rowB, j);
        st(q, j * xs, h0); st(q, (5 + j) * xs, h1); st(q, (10 + j) * xs, h0 - h1); st(q, (15 + j) * xs, h1); st(q, (20 + j) * xs, h2 - h1);
      }
    }
  }
}

/** Columns ox .. ox + 15 of an output row = (or +=, `accumulate`) r0‖r1‖r2‖r3, those < Wo only. */
// @ts-ignore: decorator
@inline function put16(row: usize, ox: i32, Wo: i32, r0: v128, r1: v128, r2: v128, r3: v128, accumulate: bool): void {
  if (accumulate) {
    put4(row, ox, Wo, r0, true); put4(row, ox + 4, Wo, r1, true); put4(row, ox + 8, Wo, r2, true); put4(row, ox + 12, Wo, r3, true);
    return;
  }
  const p = row + (<usize>ox << 2), n = Wo - ox;
  if (n >= 16) {
    v128.store(p, r0); v128.store(p, r1, 16); v128.store(p, r2, 32); v128.store(p, r3, 48);
    return;
  }
  if (n < 4) return storeFirst(p, r0, n);
  v128.store(p, r0);
  if (n < 8) return storeFirst(p + 16, r1, n - 4);
  v128.store(p, r1, 16);
  if (n < 12) return storeFirst(p + 32, r2, n - 8);
  v128.store(p, r2, 32);
  storeFirst(p + 48, r3, n - 12);
}

/** One output row of 4 tiles (lanes) from its 4 column values y0..y3 (+ bias), transposed to 16 floats. */
// @ts-ignore: decorator
@inline function tRow(row: usize, ox: i32, Wo: i32, y0: v128, y1: v128, y2: v128, y3: v128, accumulate: bool): void {
  const a = v128.shuffle<f32>(y0, y1, 0, 4, 1, 5), b = v128.shuffle<f32>(y2, y3, 0, 4, 1, 5);
  const c = v128.shuffle<f32>(y0, y1, 2, 6, 3, 7), d = v128.shuffle<f32>(y2, y3, 2, 6, 3, 7);
  put16(row, ox, Wo, v128.shuffle<f32>(a, b, 0, 1, 4, 5), v128.shuffle<f32>(a, b, 2, 3, 6, 7), v128.shuffle<f32>(c, d, 0, 1, 4, 5), v128.shuffle<f32>(c, d, 2, 3, 6, 7), accumulate);
}

/**
 * y[b0 + bl, c, 4ty + i, 4tx + j] = (Aᵀ M A)ij + bias[c] for every tile of the transposed conv, clipped to Hc rows and Wc columns (as winogradS2Output);
 * with `accumulate`, y + that: the bits of the sum stored, then added to y (f32 addition is commutative).
 */
export function winogradT2Output(
  y: usize, m: usize, bias: usize, nb: i32, C: i32, Ho: i32, Wo: i32, Hc: i32, tH: i32, tW: i32, Tp: i32, accumulate: bool = false, Wc: i32 = Wo,
): void {
  const xs = pointStride(C, Tp), rowB = <usize>Wo << 2;
  for (let bl = 0; bl < nb; bl++) for (let ty = 0; ty < tH; ty++) {
    const t0 = (bl * tH + ty) * tW, oy = 4 * ty;
    for (let c = 0; c < C; c++) {
      const bv = f32x4.splat(bias ? ld(bias, c) : 0);
      const row0 = y + ((<usize>((bl * C + c) * Ho + oy) * <usize>Wo) << 2);
      const src = m + ((<usize>(c * Tp + t0)) << 2);
      for (let tx = 0; tx < tW; tx += 4) {
        const q = src + (<usize>tx << 2), ox = 4 * tx;
        // u_i = (M_i0, M_i2 + M_i3, M_i1, M_i3 + M_i4); rows y0 = u_0, y1 = u_2 + u_3, y2 = u_1, y3 = u_3 + u_4.
        const u30 = vld(q, 15 * xs), u31 = f32x4.add(vld(q, 17 * xs), vld(q, 18 * xs)), u32 = vld(q, 16 * xs), u33 = f32x4.add(vld(q, 18 * xs), vld(q, 19 * xs));
        tRow(row0, ox, Wc, f32x4.add(vld(q, 0), bv), f32x4.add(f32x4.add(vld(q, 2 * xs), vld(q, 3 * xs)), bv),
          f32x4.add(vld(q, xs), bv), f32x4.add(f32x4.add(vld(q, 3 * xs), vld(q, 4 * xs)), bv), accumulate);
        if (oy + 1 < Hc) {
          tRow(row0 + rowB, ox, Wc, f32x4.add(f32x4.add(vld(q, 10 * xs), u30), bv),
            f32x4.add(f32x4.add(f32x4.add(vld(q, 12 * xs), vld(q, 13 * xs)), u31), bv),
            f32x4.add(f32x4.add(vld(q, 11 * xs), u32), bv),
            f32x4.add(f32x4.add(f32x4.add(vld(q, 13 * xs), vld(q, 14 * xs)), u33), bv), accumulate);
        }
        if (oy + 2 < Hc) {
          tRow(row0 + 2 * rowB, ox, Wc, f32x4.add(vld(q, 5 * xs), bv), f32x4.add(f32x4.add(vld(q, 7 * xs), vld(q, 8 * xs)), bv),
            f32x4.add(vld(q, 6 * xs), bv), f32x4.add(f32x4.add(vld(q, 8 * xs), vld(q, 9 * xs)), bv), accumulate);
        }
        if (oy + 3 < Hc) {
          tRow(row0 + 3 * rowB, ox, Wc, f32x4.add(f32x4.add(u30, vld(q, 20 * xs)), bv),
            f32x4.add(f32x4.add(u31, f32x4.add(vld(q, 22 * xs), vld(q, 23 * xs))), bv),
            f32x4.add(f32x4.add(u32, vld(q, 21 * xs)), bv),
            f32x4.add(f32x4.add(u33, f32x4.add(vld(q, 23 * xs), vld(q, 24 * xs))), bv), accumulate);
        }
      }
    }
  }
}

/** u_ij of one tile: column combination j of M's row i. */
// @ts-ignore: decorator
@inline function tU(q: usize, xs: i32, i: i32, j: i32): f32 {
  const r = 5 * i;
  return j == 0 ? ld(q, r * xs) : j == 1 ? ld(q, (r + 2) * xs) + ld(q, (r + 3) * xs) : j == 2 ? ld(q, (r + 1) * xs) : ld(q, (r + 3) * xs) + ld(q, (r + 4) * xs);
}

/** Scalar reference of winogradT2Output. */
export function winogradT2OutputRef(
  y: usize, m: usize, bias: usize, nb: i32, C: i32, Ho: i32, Wo: i32, Hc: i32, tH: i32, tW: i32, Tp: i32, accumulate: bool = false, Wc: i32 = Wo,
): void {
  const xs = pointStride(C, Tp);
  for (let bl = 0; bl < nb; bl++) for (let ty = 0; ty < tH; ty++) for (let tx = 0; tx < tW; tx++) {
    const t = (bl * tH + ty) * tW + tx;
    for (let c = 0; c < C; c++) {
      const q = m + ((<usize>(c * Tp + t)) << 2), b: f32 = bias ? ld(bias, c) : 0;
      for (let i = 0; i < 4; i++) {
        const oy = 4 * ty + i;
        if (oy >= Hc) continue;
        const row = y + ((<usize>((bl * C + c) * Ho + oy) * <usize>Wo) << 2), ox = 4 * tx;
        for (let j = 0; j < 4 && ox + j < Wc; j++) {
          const v = i == 0 ? tU(q, xs, 0, j) : i == 1 ? tU(q, xs, 2, j) + tU(q, xs, 3, j) : i == 2 ? tU(q, xs, 1, j) : tU(q, xs, 3, j) + tU(q, xs, 4, j);
          st(row, ox + j, accumulate ? ld(row, ox + j) + (v + b) : v + b);
        }
      }
    }
  }
}

// The per-tile transforms of Winograd F(2×2, 3×3) (Lavin & Gray, https://arxiv.org/abs/1509.09308),
// each as a SIMD kernel (4 neighbouring tiles of a tile row in the 4 lanes) and a scalar reference
// that does the same f32 operations in the same order (winograd.spec.ts checks they are bit-identical).
//   input   V = Bᵀ d B    d: 4×4 input tile           Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1]
//   output  Y = Aᵀ M A    M: 4×4 product, Y: 2×2      Aᵀ = [1 1 1 0; 0 1 −1 −1]
//   dy      D = A dY Aᵀ   dY: 2×2 output gradient → 4×4 (dW's operand: dU = Σ_tiles D ⊙ V)
// Both sides of a separable transform go columns first (combine a row's 4 values), then rows.
//
// Layouts (floats). A chunk of nb images, C channels, tH×tW tiles per image (tile (ty, tx) covers
// output rows 2ty, 2ty+1 and columns 2tx, 2tx+1), tile index t = (bl·tH + ty)·tW + tx:
//   pad [nb, C, PH, PW]  the chunk's planes with one zero row / column in front (x[y][x] at
//                        pad[y+1][x+1]) and zeros behind, PH = 2tH+2, PW = 2tW+2, then 16 zero floats
//                        (the SIMD kernels read up to 12 floats past a row's last tile)
//   V, M, D [16, C, Tp]  ξ = 4i+j major (ξ planes winograd_chunks.ts pointStride apart), then channel, then tile; Tp ≥ T + 4 (the SIMD kernels write
//                        whole groups of 4 tiles: lanes past a tile row's end land on the next row's
//                        first tiles, written after them, or in the slack after T)
// The output goes straight to an NCHW tensor [*, C, Ho, Wo] (Ho = H, Wo = W), clipped at odd edges.

import { pointStride } from "./winograd_chunks";

// @ts-ignore: decorator
@inline function ld(p: usize, i: i32): f32 { return load<f32>(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function st(p: usize, i: i32, v: f32): void { store<f32>(p + (<usize>i << 2), v); }
// @ts-ignore: decorator
@inline function vld(p: usize, i: i32): v128 { return v128.load(p + (<usize>i << 2)); }
// @ts-ignore: decorator
@inline function vst(p: usize, i: i32, v: v128): void { v128.store(p + (<usize>i << 2), v); }

/** V[ξ, c, t] = (Bᵀ d B)ξ of every tile of the chunk. */
export function winogradInput(v: usize, pad: usize, nb: i32, C: i32, tH: i32, tW: i32, Tp: i32): void {
  const PH = 2 * tH + 2, PW = 2 * tW + 2, xs = pointStride(C, Tp);
  for (let bl = 0; bl < nb; bl++) for (let ty = 0; ty < tH; ty++) {
    const t0 = (bl * tH + ty) * tW;
    for (let c = 0; c < C; c++) {
      const src = pad + ((<usize>((bl * C + c) * PH + 2 * ty) * <usize>PW) << 2), rowB = <usize>PW << 2;
      const dst = v + ((<usize>(c * Tp + t0)) << 2);
      for (let tx = 0; tx < tW; tx += 4) {
        // Row r of the 4 tiles: 12 floats from column 2tx; c_j = column j of each tile (lanes: tiles),
        // h_j = Bᵀ's column combinations. Rows 0 and 2 → V0j; 1 with 2 → V1j, V2j; 1 with 3 → V3j.
        let p = src + (<usize>(2 * tx) << 2);
        const q = dst + (<usize>tx << 2);
        let v0 = v128.load(p), v1 = v128.load(p, 16), v2 = v128.load(p, 32);
        let c0 = v128.shuffle<f32>(v0, v1, 0, 2, 4, 6), c1 = v128.shuffle<f32>(v0, v1, 1, 3, 5, 7);
        let c2 = v128.shuffle<f32>(c0, v2, 1, 2, 3, 4), c3 = v128.shuffle<f32>(c1, v2, 1, 2, 3, 5);
        const a0 = f32x4.sub(c0, c2), a1 = f32x4.add(c1, c2), a2 = f32x4.sub(c2, c1), a3 = f32x4.sub(c1, c3);
        v0 = v128.load(p + 2 * rowB); v1 = v128.load(p + 2 * rowB, 16); v2 = v128.load(p + 2 * rowB, 32);
        c0 = v128.shuffle<f32>(v0, v1, 0, 2, 4, 6); c1 = v128.shuffle<f32>(v0, v1, 1, 3, 5, 7);
        c2 = v128.shuffle<f32>(c0, v2, 1, 2, 3, 4); c3 = v128.shuffle<f32>(c1, v2, 1, 2, 3, 5);
        const h0 = f32x4.sub(c0, c2), h1 = f32x4.add(c1, c2), h2 = f32x4.sub(c2, c1), h3 = f32x4.sub(c1, c3);
        vst(q, 0 * xs, f32x4.sub(a0, h0)); vst(q, 1 * xs, f32x4.sub(a1, h1));
        vst(q, 2 * xs, f32x4.sub(a2, h2)); vst(q, 3 * xs, f32x4.sub(a3, h3));
        v0 = v128.load(p + rowB); v1 = v128.load(p + rowB, 16); v2 = v128.load(p + rowB, 32);
        c0 = v128.shuffle<f32>(v0, v1, 0, 2, 4, 6); c1 = v128.shuffle<f32>(v0, v1, 1, 3, 5, 7);
        c2 = v128.shuffle<f32>(c0, v2, 1, 2, 3, 4); c3 = v128.shuffle<f32>(c1, v2, 1, 2, 3, 5);
        const b0 = f32x4.sub(c0, c2), b1 = f32x4.add(c1, c2), b2 = f32x4.sub(c2, c1), b3 = f32x4.sub(c1, c3);
        vst(q, 4 * xs, f32x4.add(b0, h0)); vst(q, 5 * xs, f32x4.add(b1, h1));
        vst(q, 6 * xs, f32x4.add(b2, h2)); vst(q, 7 * xs, f32x4.add(b3, h3));
        vst(q, 8 * xs, f32x4.sub(h0, b0)); vst(q, 9 * xs, f32x4.sub(h1, b1));
        vst(q, 10 * xs, f32x4.sub(h2, b2)); vst(q, 11 * xs, f32x4.sub(h3, b3));
        p += 3 * rowB;
        v0 = v128.load(p); v1 = v128.load(p, 16); v2 = v128.load(p, 32);
        c0 = v128.shuffle<f32>(v0, v1, 0, 2, 4, 6); c1 = v128.shuffle<f32>(v0, v1, 1, 3, 5, 7);
        c2 = v128.shuffle<f32>(c0, v2, 1, 2, 3, 4); c3 = v128.shuffle<f32>(c1, v2, 1, 2, 3, 5);
        vst(q, 12 * xs, f32x4.sub(b0, f32x4.sub(c0, c2))); vst(q, 13 * xs, f32x4.sub(b1, f32x4.add(c1, c2)));
        vst(q, 14 * xs, f32x4.sub(b2, f32x4.sub(c2, c1))); vst(q, 15 * xs, f32x4.sub(b3, f32x4.sub(c1, c3)));
      }
    }
  }
}

/** Column combination j of Bᵀ on the 4 values at r (one row of an input tile). */
// @ts-ignore: decorator
@inline function inCol(r: usize, j: i32): f32 {
  const c0 = ld(r, 0), c1 = ld(r, 1), c2 = ld(r, 2), c3 = ld(r, 3);
  return j == 0 ? c0 - c2 : j == 1 ? c1 + c2 : j == 2 ? c2 - c1 : c1 - c3;
}

/** Scalar reference of winogradInput (writes only the tiles that exist). */
export function winogradInputRef(v: usize, pad: usize, nb: i32, C: i32, tH: i32, tW: i32, Tp: i32): void {
  const PH = 2 * tH + 2, PW = 2 * tW + 2, xs = pointStride(C, Tp), rowB = <usize>PW << 2;
  for (let bl = 0; bl < nb; bl++) for (let ty = 0; ty < tH; ty++) for (let tx = 0; tx < tW; tx++) {
    const t = (bl * tH + ty) * tW + tx;
    for (let c = 0; c < C; c++) {
      const p = pad + ((<usize>((bl * C + c) * PH + 2 * ty) * <usize>PW + <usize>(2 * tx)) << 2);
      const q = v + ((<usize>(c * Tp + t)) << 2);
      for (let j = 0; j < 4; j++) {
        const h0 = inCol(p, j), h1 = inCol(p + rowB, j), h2 = inCol(p + 2 * rowB, j), h3 = inCol(p + 3 * rowB, j);
        st(q, j * xs, h0 - h2); st(q, (4 + j) * xs, h1 + h2); st(q, (8 + j) * xs, h2 - h1); st(q, (12 + j) * xs, h1 - h3);
      }
    }
  }
}

/** D[ξ, c, t] = (A dY Aᵀ)ξ of every tile, dY read from a padded chunk (same layout as the input's). */
export function winogradGradOut(d: usize, pad: usize, nb: i32, C: i32, tH: i32, tW: i32, Tp: i32): void {
  const PH = 2 * tH + 2, PW = 2 * tW + 2, xs = pointStride(C, Tp);
  const neg = f32x4.splat(-0.0);
  for (let bl = 0; bl < nb; bl++) for (let ty = 0; ty < tH; ty++) {
    const t0 = (bl * tH + ty) * tW;
    for (let c = 0; c < C; c++) {
      const src = pad + ((<usize>((bl * C + c) * PH + 2 * ty + 1) * <usize>PW + 1) << 2), rowB = <usize>PW << 2;
      const dst = d + ((<usize>(c * Tp + t0)) << 2);
      for (let tx = 0; tx < tW; tx += 4) {
        const p = src + (<usize>(2 * tx) << 2), q = dst + (<usize>tx << 2);
        let v0 = v128.load(p), v1 = v128.load(p, 16);
        const e00 = v128.shuffle<f32>(v0, v1, 0, 2, 4, 6), e01 = v128.shuffle<f32>(v0, v1, 1, 3, 5, 7);
        v0 = v128.load(p + rowB); v1 = v128.load(p + rowB, 16);
        const e10 = v128.shuffle<f32>(v0, v1, 0, 2, 4, 6), e11 = v128.shuffle<f32>(v0, v1, 1, 3, 5, 7);
        // Columns: f_a = (e_a0, e_a0 + e_a1, e_a0 − e_a1, −e_a1); rows the same on f_0, f_1.
        const f01 = f32x4.add(e00, e01), f02 = f32x4.sub(e00, e01), f03 = v128.xor(e01, neg);
        const f11 = f32x4.add(e10, e11), f12 = f32x4.sub(e10, e11), f13 = v128.xor(e11, neg);
        vst(q, 0, e00); vst(q, xs, f01); vst(q, 2 * xs, f02); vst(q, 3 * xs, f03);
        vst(q, 4 * xs, f32x4.add(e00, e10)); vst(q, 5 * xs, f32x4.add(f01, f11));
        vst(q, 6 * xs, f32x4.add(f02, f12)); vst(q, 7 * xs, f32x4.add(f03, f13));
        vst(q, 8 * xs, f32x4.sub(e00, e10)); vst(q, 9 * xs, f32x4.sub(f01, f11));
        vst(q, 10 * xs, f32x4.sub(f02, f12)); vst(q, 11 * xs, f32x4.sub(f03, f13));
        vst(q, 12 * xs, v128.xor(e10, neg)); vst(q, 13 * xs, v128.xor(f11, neg));
        vst(q, 14 * xs, v128.xor(f12, neg)); vst(q, 15 * xs, v128.xor(f13, neg));
      }
    }
  }
}

/** Scalar reference of winogradGradOut. */
export function winogradGradOutRef(d: usize, pad: usize, nb: i32, C: i32, tH: i32, tW: i32, Tp: i32): void {
  const PH = 2 * tH + 2, PW = 2 * tW + 2, xs = pointStride(C, Tp);
  for (let bl = 0; bl < nb; bl++) for (let ty = 0; ty < tH; ty++) for (let tx = 0; tx < tW; tx++) {
    const t = (bl * tH + ty) * tW + tx;
    for (let c = 0; c < C; c++) {
      const p = pad + ((<usize>((bl * C + c) * PH + 2 * ty + 1) * <usize>PW + <usize>(2 * tx + 1)) << 2);
      const e00 = ld(p, 0), e01 = ld(p, 1), e10 = ld(p, PW), e11 = ld(p, PW + 1);
      const f01 = e00 + e01, f02 = e00 - e01, f03 = -e01, f11 = e10 + e11, f12 = e10 - e11, f13 = -e11;
      const q = d + ((<usize>(c * Tp + t)) << 2);
      st(q, 0, e00); st(q, xs, f01); st(q, 2 * xs, f02); st(q, 3 * xs, f03);
      st(q, 4 * xs, e00 + e10); st(q, 5 * xs, f01 + f11); st(q, 6 * xs, f02 + f12); st(q, 7 * xs, f03 + f13);
      st(q, 8 * xs, e00 - e10); st(q, 9 * xs, f01 - f11); st(q, 10 * xs, f02 - f12); st(q, 11 * xs, f03 - f13);
      st(q, 12 * xs, -e10); st(q, 13 * xs, -f11); st(q, 14 * xs, -f12); st(q, 15 * xs, -f13);
    }
  }
}

/**
 * y[b0+bl, c, 2ty+i, 2tx+j] (= or +=) (Aᵀ M A)ij + bias[c] for every tile, rows past Hc and columns
 * past Wc dropped. y: NCHW [*, C, Ho, Wo] from image b0 on (planes of Ho rows; Hc = Ho, or y a band's
 * first row and Hc the image's rows from there: winograd.ts's banded forward); bias may be 0. Wc: Wo, or
 * y a window's first column and Wc the columns its tiles cover from there (winograd_chunks.ts windowed).
 */
export function winogradOutput(
  y: usize, m: usize, bias: usize, nb: i32, C: i32, Ho: i32, Wo: i32, Hc: i32, tH: i32, tW: i32, Tp: i32, accumulate: bool, Wc: i32 = Wo,
): void {
  const xs = pointStride(C, Tp);
  for (let bl = 0; bl < nb; bl++) for (let ty = 0; ty < tH; ty++) {
    const t0 = (bl * tH + ty) * tW, oy = 2 * ty, two = oy + 1 < Hc;
    for (let c = 0; c < C; c++) {
      const bv = f32x4.splat(bias ? ld(bias, c) : 0);
      const row0 = y + ((<usize>((bl * C + c) * Ho + oy) * <usize>Wo) << 2), row1 = row0 + (<usize>Wo << 2);
      const src = m + ((<usize>(c * Tp + t0)) << 2);
      for (let tx = 0; tx < tW; tx += 4) {
        const q = src + (<usize>tx << 2);
        // Column j of Aᵀ M: s0j = m0j + m1j + m2j, s1j = m1j − m2j − m3j (lanes: 4 tiles).
        let m0 = vld(q, 0), m1 = vld(q, 4 * xs), m2 = vld(q, 8 * xs), m3 = vld(q, 12 * xs);
        const s00 = f32x4.add(f32x4.add(m0, m1), m2), s10 = f32x4.sub(f32x4.sub(m1, m2), m3);
        m0 = vld(q, xs); m1 = vld(q, 5 * xs); m2 = vld(q, 9 * xs); m3 = vld(q, 13 * xs);
        const s01 = f32x4.add(f32x4.add(m0, m1), m2), s11 = f32x4.sub(f32x4.sub(m1, m2), m3);
        m0 = vld(q, 2 * xs); m1 = vld(q, 6 * xs); m2 = vld(q, 10 * xs); m3 = vld(q, 14 * xs);
        const s02 = f32x4.add(f32x4.add(m0, m1), m2), s12 = f32x4.sub(f32x4.sub(m1, m2), m3);
        m0 = vld(q, 3 * xs); m1 = vld(q, 7 * xs); m2 = vld(q, 11 * xs); m3 = vld(q, 15 * xs);
        const s03 = f32x4.add(f32x4.add(m0, m1), m2), s13 = f32x4.sub(f32x4.sub(m1, m2), m3);
        const y00 = f32x4.add(f32x4.add(f32x4.add(s00, s01), s02), bv), y01 = f32x4.add(f32x4.sub(f32x4.sub(s01, s02), s03), bv);
        const y10 = f32x4.add(f32x4.add(f32x4.add(s10, s11), s12), bv), y11 = f32x4.add(f32x4.sub(f32x4.sub(s11, s12), s13), bv);
        const ox = 2 * tx;
        putRow(row0, ox, Wc, v128.shuffle<f32>(y00, y01, 0, 4, 1, 5), v128.shuffle<f32>(y00, y01, 2, 6, 3, 7), accumulate);
        if (two) putRow(row1, ox, Wc, v128.shuffle<f32>(y10, y11, 0, 4, 1, 5), v128.shuffle<f32>(y10, y11, 2, 6, 3, 7), accumulate);
      }
    }
  }
}

/** Columns ox..ox+7 of an output row (= or +=) lo‖hi, those < Wo only. */
// @ts-ignore: decorator
@inline export function putRow(row: usize, ox: i32, Wo: i32, lo: v128, hi: v128, accumulate: bool): void {
  const p = row + (<usize>ox << 2);
  if (ox + 8 <= Wo) {
    if (accumulate) { lo = f32x4.add(v128.load(p), lo); hi = f32x4.add(v128.load(p, 16), hi); }
    v128.store(p, lo); v128.store(p, hi, 16);
    return;
  }
  const n = Wo - ox;
  if (!accumulate) {
    if (n >= 4) { v128.store(p, lo); storeFirst(p + 16, hi, n - 4); }
    else storeFirst(p, lo, n);
    return;
  }
  for (let j = 0; j < 8 && ox + j < Wo; j++) st(p, j, ld(p, j) + (j < 4 ? lane(lo, j) : lane(hi, j - 4)));
}

/** Stores the first k (0 to 3) lanes of v at p. */
// @ts-ignore: decorator
@inline export function storeFirst(p: usize, v: v128, k: i32): void {
  if (k & 2) {
    v128.store64_lane(p, v, 0);
    if (k & 1) v128.store32_lane(p, v, 2, 8);
  } else if (k & 1) v128.store32_lane(p, v, 0);
}

// @ts-ignore: decorator
@inline export function lane(v: v128, j: i32): f32 {
  return j == 0 ? f32x4.extract_lane(v, 0) : j == 1 ? f32x4.extract_lane(v, 1) : j == 2 ? f32x4.extract_lane(v, 2) : f32x4.extract_lane(v, 3);
}

/** Row i of Aᵀ M at column j, one tile: (m0j + m1j) + m2j or (m1j − m2j) − m3j. */
// @ts-ignore: decorator
@inline function outS(q: usize, xs: i32, i: i32, j: i32): f32 {
  const m0 = ld(q, j * xs), m1 = ld(q, (4 + j) * xs), m2 = ld(q, (8 + j) * xs), m3 = ld(q, (12 + j) * xs);
  return i == 0 ? (m0 + m1) + m2 : (m1 - m2) - m3;
}

/** Scalar reference of winogradOutput. */
export function winogradOutputRef(
  y: usize, m: usize, bias: usize, nb: i32, C: i32, Ho: i32, Wo: i32, Hc: i32, tH: i32, tW: i32, Tp: i32, accumulate: bool, Wc: i32 = Wo,
): void {
  const xs = pointStride(C, Tp);
  for (let bl = 0; bl < nb; bl++) for (let ty = 0; ty < tH; ty++) for (let tx = 0; tx < tW; tx++) {
    const t = (bl * tH + ty) * tW + tx;
    for (let c = 0; c < C; c++) {
      const q = m + ((<usize>(c * Tp + t)) << 2), b: f32 = bias ? ld(bias, c) : 0;
      for (let i = 0; i < 2; i++) {
        const oy = 2 * ty + i;
        if (oy >= Hc) continue;
        const s0 = outS(q, xs, i, 0), s1 = outS(q, xs, i, 1), s2 = outS(q, xs, i, 2), s3 = outS(q, xs, i, 3);
        const row = y + ((<usize>((bl * C + c) * Ho + oy) * <usize>Wo) << 2);
        const v0 = ((s0 + s1) + s2) + b, v1 = ((s1 - s2) - s3) + b, ox = 2 * tx;
        st(row, ox, accumulate ? ld(row, ox) + v0 : v0);
        if (ox + 1 < Wc) st(row, ox + 1, accumulate ? ld(row, ox + 1) + v1 : v1);
      }
    }
  }
}

// Conv2d 3×3, stride 1, padding 1 by Winograd F(2×2, 3×3): 16 multiplies per 2×2 output tile and
// channel pair instead of 36, i.e. the GEMMs do 16/36 of the direct path's multiply-adds.
// Tile transforms: winograd_tiles.ts. Per chunk of nb images (about CHUNK_TILES tiles, so the
// transformed operands stay small and warm):
//   forward  V = Bᵀ x B (pad first),  Mξ[Cout, T] = Uξ[Cout, Cin] · Vξ[Cin, T],  y = Aᵀ M A + bias
//            Uξ = (G w Gᵀ)ξ once per call, G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
//   dW       D = A dy Aᵀ,  dUξ[Cout, Cin] += Dξ · Vξᵀ over the chunks,  then dw += Gᵀ dU G
//   dX       a 3×3 stride-1 padding-1 conv of dy with w rotated 180° and its channels swapped:
//            the forward's own steps, U′ξ[Cin, Cout] = (G rot(w) Gᵀ)ξ, added into dx
// Backward adds into dx, dw, db like conv2dBackward (dx or db 0 skips). Exact in real arithmetic;
// in f32 it differs from the im2col path by rounding only (the transforms add and halve; winograd.spec.ts
// states the measured difference).
//
// Workspace: [GEMM scratch | U: 16·Cin·Cout | dU: 16·Cin·Cout | pad: nb·Cmax·PH·PW + 16 |
//             V: 16·Cmax·Tp | M: 16·Cmax·Tp], each part 16-byte aligned.

import { gemm, gemmScratchBytes } from "./gemm";
import { channelSumsAdd } from "./im2col";
import { align16 } from "./workspace";
import { winogradInput, winogradGradOut, winogradOutput } from "./winograd_tiles";

/** Tiles per chunk the image count aims at (at least one image per chunk). */
const CHUNK_TILES: i32 = 1024;

// @ts-ignore: decorator
@inline function tiles(n: i32): i32 { return (n + 1) >> 1; }

/** Images per chunk for B images of P tiles. */
// @ts-ignore: decorator
@inline function chunkImages(B: i32, P: i32): i32 { return min(B, max(1, CHUNK_TILES / P)); }

/** Row stride (floats) of V, M, D: a chunk's tiles plus ≥ 4 floats of slack, a multiple of 4. */
// @ts-ignore: decorator
@inline function tileStride(nb: i32, P: i32): i32 { return (nb * P + 7) & ~3; }

/** Workspace bytes of winogradForward / winogradBackward (f64: hostile shapes do not wrap). */
export function winogradWorkspaceBytes(B: i32, Cin: i32, H: i32, W: i32, Cout: i32): f64 {
  const a16 = (floats: f64): f64 => Math.ceil(floats / 4) * 16;
  const tH = Math.floor((<f64>H + 1) / 2), tW = Math.floor((<f64>W + 1) / 2), P = tH * tW;
  const nb = Math.min(<f64>B, Math.max(1, Math.floor(<f64>CHUNK_TILES / P)));
  const cmax = <f64>max(Cin, Cout), Tp = Math.floor((nb * P + 7) / 4) * 4, u = 16 * <f64>Cin * <f64>Cout;
  return a16(<f64>gemmScratchBytes() / 4) + 2 * a16(u) + a16(nb * cmax * (2 * tH + 2) * (2 * tW + 2) + 16) +
    2 * a16(16 * cmax * Tp);
}

/** The workspace's parts, in order (see the header). */
// @ts-ignore: decorator
@inline function wsU(ws: usize): usize { return ws + align16(gemmScratchBytes()); }
// @ts-ignore: decorator
@inline function wsNext(p: usize, floats: i32): usize { return p + align16(<usize>floats << 2); }

/**
 * dst[bl, c] = the H×W planes src[bl, c] (NCHW, nb images of C channels) with one zero row and
 * column in front and zeros up to PH×PW behind, then 16 zero floats. Rows are short (28 floats in
 * unet24): 4-lane loops, not memory.copy / memory.fill, whose per-call cost dominated here.
 */
export function padPlanes(dst: usize, src: usize, nb: i32, C: i32, H: i32, W: i32, PH: i32, PW: i32): void {
  const rowB = <usize>PW << 2;
  let d = dst, s = src;
  for (let pl = 0; pl < nb * C; pl++) {
    zeroFloats(d, PW);
    d += rowB;
    for (let y = 0; y < H; y++) {
      store<f32>(d, 0);
      let i = 0;
      for (; i + 4 <= W; i += 4) v128.store(d + (<usize>(i + 1) << 2), v128.load(s + (<usize>i << 2)));
      for (; i < W; i++) store<f32>(d + (<usize>(i + 1) << 2), load<f32>(s + (<usize>i << 2)));
      zeroFloats(d + (<usize>(W + 1) << 2), PW - W - 1);
      d += rowB;
      s += <usize>W << 2;
    }
    zeroFloats(d, (PH - H - 1) * PW);
    d += <usize>(PH - H - 1) * rowB;
  }
  zeroFloats(d, 16);
}

// @ts-ignore: decorator
@inline function zeroFloats(p: usize, n: i32): void {
  const z = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(p + (<usize>i << 2), z);
  for (; i < n; i++) store<f32>(p + (<usize>i << 2), 0);
}

/**
 * U[ξ, r, k] = (G g Gᵀ)ξ: r, k = co, ci with g = w[co, ci] (forward), or r, k = ci, co with g =
 * w[co, ci] rotated 180° (the input gradient's kernel). w: [Cout, Cin, 3, 3].
 */
export function winogradKernel(u: usize, w: usize, Cout: i32, Cin: i32, rotate: bool): void {
  const rows = rotate ? Cin : Cout, cols = rotate ? Cout : Cin, xs = rows * cols;
  for (let co = 0; co < Cout; co++) for (let ci = 0; ci < Cin; ci++) {
    const g = w + ((<usize>(co * Cin + ci) * 9) << 2);
    const at = rotate ? ci * cols + co : co * cols + ci;
    // Row i of q = G g (4×3: rows of g combined), then its columns combined by Gᵀ: U[4i + j].
    for (let i = 0; i < 4; i++) {
      const a0 = kw(g, rotate, i, 0), a1 = kw(g, rotate, i, 1), a2 = kw(g, rotate, i, 2);
      const base = u + ((<usize>(4 * i * xs + at)) << 2), s = <usize>xs << 2;
      store<f32>(base, a0);
      store<f32>(base + s, ((a0 + a1) + a2) * 0.5);
      store<f32>(base + 2 * s, ((a0 - a1) + a2) * 0.5);
      store<f32>(base + 3 * s, a2);
    }
  }
}

/** (G g)[i, j] for row i of G (4 rows) and column j of g, g optionally rotated 180°. */
// @ts-ignore: decorator
@inline function kw(g: usize, rotate: bool, i: i32, j: i32): f32 {
  const c = rotate ? 2 - j : j;
  const g0 = gk(g, rotate, 0, c), g1 = gk(g, rotate, 1, c), g2 = gk(g, rotate, 2, c);
  return i == 0 ? g0 : i == 1 ? ((g0 + g1) + g2) * 0.5 : i == 2 ? ((g0 - g1) + g2) * 0.5 : g2;
}

// @ts-ignore: decorator
@inline function gk(g: usize, rotate: bool, a: i32, b: i32): f32 {
  return load<f32>(g + (<usize>((rotate ? 2 - a : a) * 3 + b) << 2));
}

/** dw[co, ci] += Gᵀ dU[·, co, ci] G (3×3), dU: [16, Cout, Cin]. */
export function winogradKernelGradAdd(dw: usize, du: usize, Cout: i32, Cin: i32): void {
  const xs = Cout * Cin;
  for (let co = 0; co < Cout; co++) for (let ci = 0; ci < Cin; ci++) {
    const at = co * Cin + ci, g = dw + ((<usize>at * 9) << 2);
    for (let a = 0; a < 3; a++) {
      // r[a, j] = (Gᵀ dU)[a, j] for the 4 columns j, then (r G)[a, b].
      const r0 = gtRow(du, xs, at, a, 0), r1 = gtRow(du, xs, at, a, 1), r2 = gtRow(du, xs, at, a, 2), r3 = gtRow(du, xs, at, a, 3);
      const o = g + (<usize>(3 * a) << 2);
      store<f32>(o, load<f32>(o) + (r0 + (r1 + r2) * 0.5));
      store<f32>(o + 4, load<f32>(o + 4) + (r1 - r2) * 0.5);
      store<f32>(o + 8, load<f32>(o + 8) + ((r1 + r2) * 0.5 + r3));
    }
  }
}

/** (Gᵀ dU)[a, j]: Gᵀ = [1 ½ ½ 0; 0 ½ −½ 0; 0 ½ ½ 1]. */
// @ts-ignore: decorator
@inline function gtRow(du: usize, xs: i32, at: i32, a: i32, j: i32): f32 {
  const u0 = load<f32>(du + (<usize>(j * xs + at) << 2)), u1 = load<f32>(du + (<usize>((4 + j) * xs + at) << 2));
  const u2 = load<f32>(du + (<usize>((8 + j) * xs + at) << 2)), u3 = load<f32>(du + (<usize>((12 + j) * xs + at) << 2));
  return a == 0 ? u0 + (u1 + u2) * 0.5 : a == 1 ? (u1 - u2) * 0.5 : (u1 + u2) * 0.5 + u3;
}

/**
 * out (= or +=) conv3×3 of a padded chunk (nb images, Ci channels; `pad`) by the transformed kernel
 * u [16, Co, Ci], plus bias (may be 0); out: [nb, Co, H, W]. v, m: [16, max(Ci, Co), Tp] of scratch.
 */
function convChunk(
  out: usize, pad: usize, u: usize, bias: usize, nb: i32, Ci: i32, H: i32, W: i32, Co: i32, accumulate: bool,
  ws: usize, v: usize, m: usize, Tp: i32,
): void {
  const tH = tiles(H), tW = tiles(W), T = nb * tH * tW;
  winogradInput(v, pad, nb, Ci, tH, tW, Tp);
  for (let xi = 0; xi < 16; xi++) {
    gemm(0, 0, Co, T, Ci, u + ((<usize>(xi * Co * Ci)) << 2), Ci, v + ((<usize>(xi * Ci * Tp)) << 2), Tp,
      m + ((<usize>(xi * Co * Tp)) << 2), Tp, 0, ws);
  }
  winogradOutput(out, m, bias, nb, Co, H, W, tH, tW, Tp, accumulate);
}

/** y[B, Cout, H, W] = conv2d(x[B, Cin, H, W], w[Cout, Cin, 3, 3], stride 1, padding 1) + bias (may be 0). */
export function winogradForward(y: usize, x: usize, w: usize, bias: usize, B: i32, Cin: i32, H: i32, W: i32, Cout: i32, ws: usize): void {
  const u = wsU(ws), pad = wsNext(wsNext(u, 16 * Cin * Cout), 16 * Cin * Cout);
  const tH = tiles(H), tW = tiles(W), P = tH * tW, nbMax = chunkImages(B, P), Tp = tileStride(nbMax, P);
  const cmax = max(Cin, Cout), PH = 2 * tH + 2, PW = 2 * tW + 2;
  const v = wsNext(pad, nbMax * cmax * PH * PW + 16), m = wsNext(v, 16 * cmax * Tp);
  winogradKernel(u, w, Cout, Cin, false);
  for (let b0 = 0; b0 < B; b0 += nbMax) {
    const nb = min(nbMax, B - b0);
    padPlanes(pad, x + ((<usize>b0 * <usize>(Cin * H * W)) << 2), nb, Cin, H, W, PH, PW);
    convChunk(y + ((<usize>b0 * <usize>(Cout * H * W)) << 2), pad, u, bias, nb, Cin, H, W, Cout, false, ws, v, m, Tp);
  }
}

/**
 * dx += ∂L/∂x, dw += ∂L/∂w, db += ∂L/∂b for winogradForward's conv (dx or db may be 0 to skip).
 * Per chunk: dU += D · Vᵀ, then (dy still padded) dx += the chunk's conv of dy by the rotated kernel.
 */
export function winogradBackward(
  dx: usize, dw: usize, db: usize, dy: usize, x: usize, w: usize, B: i32, Cin: i32, H: i32, W: i32, Cout: i32, ws: usize,
): void {
  if (db) channelSumsAdd(db, dy, B, Cout, H * W);
  const u = wsU(ws), du = wsNext(u, 16 * Cin * Cout), pad = wsNext(du, 16 * Cin * Cout);
  const tH = tiles(H), tW = tiles(W), P = tH * tW, nbMax = chunkImages(B, P), Tp = tileStride(nbMax, P);
  const cmax = max(Cin, Cout), PH = 2 * tH + 2, PW = 2 * tW + 2;
  const v = wsNext(pad, nbMax * cmax * PH * PW + 16), d = wsNext(v, 16 * cmax * Tp);
  if (dx) winogradKernel(u, w, Cout, Cin, true);
  for (let b0 = 0; b0 < B; b0 += nbMax) {
    const nb = min(nbMax, B - b0), T = nb * P;
    padPlanes(pad, x + ((<usize>b0 * <usize>(Cin * H * W)) << 2), nb, Cin, H, W, PH, PW);
    winogradInput(v, pad, nb, Cin, tH, tW, Tp);
    padPlanes(pad, dy + ((<usize>b0 * <usize>(Cout * H * W)) << 2), nb, Cout, H, W, PH, PW);
    winogradGradOut(d, pad, nb, Cout, tH, tW, Tp);
    for (let xi = 0; xi < 16; xi++) {
      gemm(0, 1, Cout, Cin, T, d + ((<usize>(xi * Cout * Tp)) << 2), Tp, v + ((<usize>(xi * Cin * Tp)) << 2), Tp,
        du + ((<usize>(xi * Cout * Cin)) << 2), Cin, b0 > 0 ? 1 : 0, ws);
    }
    if (dx) convChunk(dx + ((<usize>b0 * <usize>(Cin * H * W)) << 2), pad, u, 0, nb, Cout, H, W, Cin, true, ws, v, d, Tp);
  }
  winogradKernelGradAdd(dw, du, Cout, Cin);
}

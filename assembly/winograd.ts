// Conv2d 3×3, stride 1, padding 1 by Winograd F(m×m, 3×3), tile side m = 2 or 4: (m+2)² multiplies
// per m×m output tile and channel pair instead of 9m², i.e. the GEMMs do 16/36 (m = 2) or 36/144
// (m = 4) of the direct path's multiply-adds. F(4×4) rounds more (its transforms scale by up to 8
// and 1/24; ~5× F(2×2)'s difference from the GEMM path, winograd.spec.ts); winogradTile picks the side.
// Tile transforms: winograd_tiles.ts (m = 2), winograd4_tiles.ts (m = 4). Per chunk of nb images
// (about CHUNK_FLOATS of transformed operands, so they stay small and warm: chunkTiles), with A = (m+2)²:
//   forward  V = Bᵀ x B (pad first),  Mξ[Cout, T] = Uξ[Cout, Cin] · Vξ[Cin, T],  y = Aᵀ M A + bias
//            Uξ = (G w Gᵀ)ξ once per call; m = 2: G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
//   dW       D = A dy Aᵀ,  dUξ[Cout, Cin] += Dξ · Vξᵀ over the chunks,  then dw += Gᵀ dU G
//   dX       a 3×3 stride-1 padding-1 conv of dy with w rotated 180° and its channels swapped:
//            the forward's own steps, U′ξ[Cin, Cout] = (G rot(w) Gᵀ)ξ, added into dx
// Backward adds into dx, dw, db like conv2dBackward (dx or db 0 skips). Exact in real arithmetic;
// in f32 it differs from the im2col path by rounding only (the transforms add and halve; winograd.spec.ts
// states the measured difference).
//
// U is packed as gemm.ts gemmPackedA reads it (no packing per chunk); dU stays plain [Cout, Cin].
// Workspace: [GEMM scratch | U: A·uStride | dU: A·uStride | pad: nb·Cmax·PH·PW + 32 |
//             V: A·Cmax·Tp | M: A·Cmax·Tp | 576 bytes of tile scratch], each part 16-byte aligned;
// PH = m·tH + 2, PW = m·tW + 2 for tH×tW tiles per image.

import { gemm, gemmPackedA, gemmScratchBytes, packedIndex } from "./gemm";
import { channelSumsAddSimd, copyRun, zeroRun } from "./im2col";
import { activateInPlace } from "./act";
import { align16 } from "./workspace";
import { winogradInput, winogradGradOut, winogradOutput } from "./winograd_tiles";
import { winograd4Input, winograd4GradOut, winograd4Output } from "./winograd4_tiles";
import { s2PadSide, winogradS2Input, winogradS2Output, winogradT2Input, winogradT2Output } from "./winograd_s2_tiles";

/**
 * Most tiles per chunk (at least one image per chunk). 512 measured 1.02× faster than 1024 on unet24
 * inference at batch 256 and 1.04× on its training step at batch 64 (A/B in one process).
 */
const CHUNK_TILES: i32 = 512;

/**
 * Floats of transformed operands (V and M: A points × (Cin + Cout) channels per tile) a chunk aims
 * at, ~3.4 MiB: 512 tiles of a 24 → 24 channel F(4×4) layer. Chunks are sized by these bytes rather
 * than by tiles: on unet24 at batch 256, 128 tiles (these bytes at 96 → 96 channels) ran mid.1 1.13×
 * faster than 512, 256 tiles enc2.1 (48 → 48) 1.06×, mid.0 and up2 (48 ⇄ 96, 25 points) 1.03×, while
 * the 24-channel layers kept 512 (128 ran them 0.95–1.01×).
 */
const CHUNK_FLOATS: i64 = 512 * 36 * 48;

/** Tiles a chunk aims at for A transform points and Cin + Cout channels: CHUNK_FLOATS, 32 to CHUNK_TILES. */
// @ts-ignore: decorator
@inline function chunkTiles(A: i32, Cin: i32, Cout: i32): i32 {
  return <i32>min(<i64>CHUNK_TILES, max(<i64>32, CHUNK_FLOATS / (<i64>A * max(<i64>Cin + <i64>Cout, 1))));
}

// @ts-ignore: decorator
@inline function tiles(n: i32, m: i32): i32 { return (n + m - 1) / m; }

/**
 * The tile side for an H×W image: 4 (36 products per 4×4 tile) where that is at most 0.8 of side 2's
 * (16 per 2×2 tile), counting the tiles' overhang; else 2, which rounds less. Measured on unet24
 * (bench/conv3x3.ts, A/B): F(4×4) ~20 % faster at 28×28 and 7×7; at 14×14 (16×16 covered, 0.73 of
 * F(2×2)'s products) no faster with 1024-tile chunks, 1.15× faster with 512 (its training step 1.03–1.07×).
 */
export function winogradTile(H: i32, W: i32): i32 {
  return <f64>tiles(H, 4) * <f64>tiles(W, 4) * 36 <= 0.8 * <f64>tiles(H, 2) * <f64>tiles(W, 2) * 16 ? 4 : 2;
}

/**
 * Floats between two ξ planes of U and dU: a plane of U is packed for gemmPackedA (rows padded to a
 * multiple of 4) and dU is [Cout, Cin]; 16 more floats so the A planes do not fall on one cache set
 * (96·96 floats is 9 × 4 KiB: the per-pair transforms, which touch all A planes, ran 6× slower on that stride).
 */
// @ts-ignore: decorator
@inline function uStride(Cin: i32, Cout: i32): i32 { return ((Cin + 3) & ~3) * ((Cout + 3) & ~3) + 16; }

/** uStride in f64. */
// @ts-ignore: decorator
@inline function uStrideF64(Cin: f64, Cout: f64): f64 { return Math.ceil(Cin / 4) * 4 * Math.ceil(Cout / 4) * 4 + 16; }

/** Images per chunk for B images of P tiles, aiming at `target` tiles. */
// @ts-ignore: decorator
@inline function chunkImages(B: i32, P: i32, target: i32): i32 { return min(B, max(1, target / P)); }

/** Row stride (floats) of V, M, D: a chunk's tiles plus ≥ 4 floats of slack, a multiple of 4. */
// @ts-ignore: decorator
@inline function tileStride(nb: i32, P: i32): i32 { return (nb * P + 7) & ~3; }

// The same three in f64, for the workspace formulas (hostile shapes do not wrap).
/** chunkImages in f64. */
// @ts-ignore: decorator
@inline function chunkImagesF64(B: f64, P: f64, target: i32): f64 { return Math.min(B, Math.max(1, Math.floor(<f64>target / P))); }
/** tileStride in f64. */
// @ts-ignore: decorator
@inline function tileStrideF64(nb: f64, P: f64): f64 { return Math.floor((nb * P + 7) / 4) * 4; }
/** Bytes of a workspace part of `floats`, 16-byte aligned. */
// @ts-ignore: decorator
@inline function partBytes(floats: f64): f64 { return Math.ceil(floats / 4) * 16; }

/** Workspace bytes of winogradForward / winogradBackward with tile side m (f64: hostile shapes do not wrap). */
export function winogradWorkspaceBytes(B: i32, Cin: i32, H: i32, W: i32, Cout: i32, m: i32): f64 {
  const tH = Math.ceil(<f64>H / m), tW = Math.ceil(<f64>W / m), P = tH * tW, A = <f64>((m + 2) * (m + 2));
  const nb = chunkImagesF64(<f64>B, P, chunkTiles(<i32>A, Cin, Cout)), cmax = <f64>max(Cin, Cout), Tp = tileStrideF64(nb, P), u = A * uStrideF64(<f64>Cin, <f64>Cout);
  return partBytes(<f64>gemmScratchBytes() / 4) + 2 * partBytes(u) + partBytes(nb * cmax * (m * tH + 2) * (m * tW + 2) + 32) +
    2 * partBytes(A * cmax * Tp) + 576;
}

/** The workspace's parts, in order (see the header). */
// @ts-ignore: decorator
@inline function wsU(ws: usize): usize { return ws + align16(gemmScratchBytes()); }
// @ts-ignore: decorator
@inline function wsNext(p: usize, floats: i32): usize { return p + align16(<usize>floats << 2); }

/**
 * dst[bl, c] = the H×W planes src[bl, c] (NCHW, nb images of C channels) with one zero row and
 * column in front and zeros up to PH×PW behind, then 32 zero floats. Rows are short (28 floats in
 * unet24): 4-lane loops, not memory.copy / memory.fill, whose per-call cost dominated here.
 */
export function padPlanes(dst: usize, src: usize, nb: i32, C: i32, H: i32, W: i32, PH: i32, PW: i32): void {
  const rowB = <usize>PW << 2;
  let d = dst, s = src;
  for (let pl = 0; pl < nb * C; pl++) {
    zeroRun(d, PW);
    d += rowB;
    for (let y = 0; y < H; y++) {
      store<f32>(d, 0);
      copyRun(d + 4, s, W);
      zeroRun(d + (<usize>(W + 1) << 2), PW - W - 1);
      d += rowB;
      s += <usize>W << 2;
    }
    zeroRun(d, (PH - H - 1) * PW);
    d += <usize>(PH - H - 1) * rowB;
  }
  zeroRun(d, 32);
}

/**
 * Zeroes the padding rows R.. of U's A planes (R×K each, packed: gemm.ts packedIndex), so the point
 * GEMMs' edge strips multiply zeros rather than a previous layer's leftovers.
 */
function clearPadRows(u: usize, A: i32, R: i32, K: i32, xs: i32): void {
  for (let xi = 0; xi < A; xi++) for (let r = R; r < ((R + 3) & ~3); r++) for (let k = 0; k < K; k++) {
    store<f32>(u + (<usize>(xi * xs + packedIndex(r, k, K)) << 2), 0);
  }
}

/**
 * U[ξ, r, k] = (G g Gᵀ)ξ, each ξ plane packed for gemmPackedA: r, k = co, ci with g = w[co, ci]
 * (forward), or r, k = ci, co with g = w[co, ci] rotated 180° (the input gradient's kernel). w: [Cout, Cin, 3, 3].
 */
export function winogradKernel(u: usize, w: usize, Cout: i32, Cin: i32, rotate: bool): void {
  const cols = rotate ? Cout : Cin, xs = uStride(Cin, Cout);
  clearPadRows(u, 16, rotate ? Cin : Cout, cols, xs);
  for (let co = 0; co < Cout; co++) for (let ci = 0; ci < Cin; ci++) {
    const g = w + ((<usize>(co * Cin + ci) * 9) << 2);
    const at = rotate ? packedIndex(ci, co, cols) : packedIndex(co, ci, cols);
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
  const xs = uStride(Cin, Cout);
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

/** G for m = 4 ([¼ 0 0; −⅙ −⅙ −⅙; −⅙ ⅙ −⅙; 1⁄24 1⁄12 ⅙; 1⁄24 −1⁄12 ⅙; 0 0 1]) applied to g0..g2, 6 results `step` bytes apart. */
// @ts-ignore: decorator
@inline function g6Store(out: usize, step: usize, g0: f32, g1: f32, g2: f32): void {
  store<f32>(out, g0 * 0.25);
  store<f32>(out + step, ((g0 + g1) + g2) * (-1.0 / 6.0));
  store<f32>(out + 2 * step, ((g0 - g1) + g2) * (-1.0 / 6.0));
  store<f32>(out + 3 * step, ((g0 + g1 * 2) + g2 * 4) * (1.0 / 24.0));
  store<f32>(out + 4 * step, ((g0 - g1 * 2) + g2 * 4) * (1.0 / 24.0));
  store<f32>(out + 5 * step, g2);
}

/**
 * winogradKernel for m = 4: U[6i + j, r, k] = (G g Gᵀ)ij, the 6×3 G g in `q` (72 bytes of scratch).
 * Straight-line per channel pair: at batch 1 this transform is most of a layer's time.
 */
export function winograd4Kernel(u: usize, w: usize, Cout: i32, Cin: i32, rotate: bool, q: usize): void {
  const xs = uStride(Cin, Cout), cols = rotate ? Cout : Cin, step = <usize>xs << 2;
  clearPadRows(u, 36, rotate ? Cin : Cout, cols, xs);
  for (let co = 0; co < Cout; co++) for (let ci = 0; ci < Cin; ci++) {
    const g = w + ((<usize>(co * Cin + ci) * 9) << 2), at = rotate ? packedIndex(ci, co, cols) : packedIndex(co, ci, cols);
    for (let c = 0; c < 3; c++) {
      // Column c of g, rotated 180° for the input gradient: g[2 − r][2 − c] = g[8 − (3r + c)].
      const g0 = load<f32>(g + (<usize>(rotate ? 8 - c : c) << 2));
      const g1 = load<f32>(g + (<usize>(rotate ? 5 - c : 3 + c) << 2));
      const g2 = load<f32>(g + (<usize>(rotate ? 2 - c : 6 + c) << 2));
      g6Store(q + (<usize>c << 2), 12, g0, g1, g2);
    }
    for (let i = 0; i < 6; i++) {
      const r = q + <usize>(12 * i);
      g6Store(u + (<usize>(6 * i * xs + at) << 2), step, load<f32>(r), load<f32>(r, 4), load<f32>(r, 8));
    }
  }
}

/** Row a of Gᵀ for m = 4 applied to u0..u5. */
// @ts-ignore: decorator
@inline function gt6(a: i32, u0: f32, u1: f32, u2: f32, u3: f32, u4: f32, u5: f32): f32 {
  if (a == 0) return u0 * 0.25 + ((u3 + u4) * (1.0 / 24.0) - (u1 + u2) * (1.0 / 6.0));
  if (a == 1) return (u2 - u1) * (1.0 / 6.0) + (u3 - u4) * (1.0 / 12.0);
  return ((u3 + u4) - (u1 + u2)) * (1.0 / 6.0) + u5;
}

// @ts-ignore: decorator
@inline function du6(du: usize, xs: i32, at: i32, i: i32, j: i32): f32 {
  return load<f32>(du + (<usize>((6 * i + j) * xs + at) << 2));
}

/** winogradKernelGradAdd for m = 4: dw[co, ci] += Gᵀ dU G, dU: [36, Cout, Cin]. */
export function winograd4KernelGradAdd(dw: usize, du: usize, Cout: i32, Cin: i32): void {
  const xs = uStride(Cin, Cout);
  for (let at = 0; at < Cout * Cin; at++) {
    const g = dw + ((<usize>at * 9) << 2);
    for (let a = 0; a < 3; a++) {
      const r0 = gt6(a, du6(du, xs, at, 0, 0), du6(du, xs, at, 1, 0), du6(du, xs, at, 2, 0), du6(du, xs, at, 3, 0), du6(du, xs, at, 4, 0), du6(du, xs, at, 5, 0));
      const r1 = gt6(a, du6(du, xs, at, 0, 1), du6(du, xs, at, 1, 1), du6(du, xs, at, 2, 1), du6(du, xs, at, 3, 1), du6(du, xs, at, 4, 1), du6(du, xs, at, 5, 1));
      const r2 = gt6(a, du6(du, xs, at, 0, 2), du6(du, xs, at, 1, 2), du6(du, xs, at, 2, 2), du6(du, xs, at, 3, 2), du6(du, xs, at, 4, 2), du6(du, xs, at, 5, 2));
      const r3 = gt6(a, du6(du, xs, at, 0, 3), du6(du, xs, at, 1, 3), du6(du, xs, at, 2, 3), du6(du, xs, at, 3, 3), du6(du, xs, at, 4, 3), du6(du, xs, at, 5, 3));
      const r4 = gt6(a, du6(du, xs, at, 0, 4), du6(du, xs, at, 1, 4), du6(du, xs, at, 2, 4), du6(du, xs, at, 3, 4), du6(du, xs, at, 4, 4), du6(du, xs, at, 5, 4));
      const r5 = gt6(a, du6(du, xs, at, 0, 5), du6(du, xs, at, 1, 5), du6(du, xs, at, 2, 5), du6(du, xs, at, 3, 5), du6(du, xs, at, 4, 5), du6(du, xs, at, 5, 5));
      for (let b = 0; b < 3; b++) {
        const o = g + (<usize>(3 * a + b) << 2);
        store<f32>(o, load<f32>(o) + gt6(b, r0, r1, r2, r3, r4, r5));
      }
    }
  }
}

/**
 * M[ξ] = U[ξ] · V[ξ] for the A transform points of a chunk of T tiles: U [A, Co, Ci] (packed, uStride
 * apart), V [A, Ci, Tp], M [A, Co, Tp]. gemmPackedA reads V's columns up to T rounded up to 8 (≤ Tp,
 * tileStride): those past T are zeroed first, so the junk columns it writes into M are finite.
 */
function pointGemms(A: i32, u: usize, v: usize, mm: usize, Ci: i32, Co: i32, T: i32, Tp: i32, ws: usize): void {
  const t8 = (T + 7) & ~7;
  for (let row = 0; row < A * Ci; row++) for (let t = T; t < t8; t++) store<f32>(v + ((<usize>row * <usize>Tp + <usize>t) << 2), 0);
  for (let xi = 0; xi < A; xi++) {
    gemmPackedA(Co, T, Ci, u + ((<usize>(xi * uStride(Ci, Co))) << 2), v + ((<usize>(xi * Ci * Tp)) << 2), Tp,
      mm + ((<usize>(xi * Co * Tp)) << 2), Tp, ws);
  }
}

/**
 * out (= or +=) conv3×3 of a padded chunk (nb images, Ci channels; `pad`) by the transformed kernel
 * u [A, Co, Ci], plus bias (may be 0); out: [nb, Co, H, W]. v, m: [A, max(Ci, Co), Tp] of scratch.
 */
function convChunk(
  out: usize, pad: usize, u: usize, bias: usize, nb: i32, Ci: i32, H: i32, W: i32, Co: i32, accumulate: bool,
  ws: usize, v: usize, mm: usize, Tp: i32, m: i32, s: usize,
): void {
  const tH = tiles(H, m), tW = tiles(W, m), T = nb * tH * tW, A = (m + 2) * (m + 2);
  if (m == 4) winograd4Input(v, pad, nb, Ci, tH, tW, Tp, s);
  else winogradInput(v, pad, nb, Ci, tH, tW, Tp);
  pointGemms(A, u, v, mm, Ci, Co, T, Tp, ws);
  if (m == 4) winograd4Output(out, mm, bias, nb, Co, H, W, tH, tW, Tp, accumulate, s);
  else winogradOutput(out, mm, bias, nb, Co, H, W, tH, tW, Tp, accumulate);
}

/** y[B, Cout, H, W] = conv2d(x[B, Cin, H, W], w[Cout, Cin, 3, 3], stride 1, padding 1) + bias (may be 0); tile side m. */
export function winogradForward(
  y: usize, x: usize, w: usize, bias: usize, B: i32, Cin: i32, H: i32, W: i32, Cout: i32, ws: usize, m: i32, act: i32 = 0, slope: f32 = 0,
): void {
  const A = (m + 2) * (m + 2), u = wsU(ws), pad = wsNext(wsNext(u, A * uStride(Cin, Cout)), A * uStride(Cin, Cout));
  const tH = tiles(H, m), tW = tiles(W, m), P = tH * tW, nbMax = chunkImages(B, P, chunkTiles(A, Cin, Cout)), Tp = tileStride(nbMax, P);
  const cmax = max(Cin, Cout), PH = m * tH + 2, PW = m * tW + 2;
  const v = wsNext(pad, nbMax * cmax * PH * PW + 32), mm = wsNext(v, A * cmax * Tp), s = wsNext(mm, A * cmax * Tp);
  if (m == 4) winograd4Kernel(u, w, Cout, Cin, false, s);
  else winogradKernel(u, w, Cout, Cin, false);
  for (let b0 = 0; b0 < B; b0 += nbMax) {
    const nb = min(nbMax, B - b0);
    padPlanes(pad, x + ((<usize>b0 * <usize>(Cin * H * W)) << 2), nb, Cin, H, W, PH, PW);
    const yb = y + ((<usize>b0 * <usize>(Cout * H * W)) << 2);
    convChunk(yb, pad, u, bias, nb, Cin, H, W, Cout, false, ws, v, mm, Tp, m, s);
    activateInPlace(yb, nb * Cout * H * W, act, slope);
  }
}

/**
 * dx += ∂L/∂x, dw += ∂L/∂w, db += ∂L/∂b for winogradForward's conv (dx or db may be 0 to skip).
 * Per chunk: dU += D · Vᵀ, then (dy still padded) dx += the chunk's conv of dy by the rotated kernel.
 */
export function winogradBackward(
  dx: usize, dw: usize, db: usize, dy: usize, x: usize, w: usize, B: i32, Cin: i32, H: i32, W: i32, Cout: i32, ws: usize, m: i32,
): void {
  if (db) channelSumsAddSimd(db, dy, B, Cout, H * W);
  const A = (m + 2) * (m + 2), u = wsU(ws), du = wsNext(u, A * uStride(Cin, Cout)), pad = wsNext(du, A * uStride(Cin, Cout));
  const tH = tiles(H, m), tW = tiles(W, m), P = tH * tW, nbMax = chunkImages(B, P, chunkTiles(A, Cin, Cout)), Tp = tileStride(nbMax, P);
  const cmax = max(Cin, Cout), PH = m * tH + 2, PW = m * tW + 2;
  const v = wsNext(pad, nbMax * cmax * PH * PW + 32), d = wsNext(v, A * cmax * Tp), s = wsNext(d, A * cmax * Tp);
  if (dx) {
    if (m == 4) winograd4Kernel(u, w, Cout, Cin, true, s);
    else winogradKernel(u, w, Cout, Cin, true);
  }
  for (let b0 = 0; b0 < B; b0 += nbMax) {
    const nb = min(nbMax, B - b0), T = nb * P;
    padPlanes(pad, x + ((<usize>b0 * <usize>(Cin * H * W)) << 2), nb, Cin, H, W, PH, PW);
    if (m == 4) winograd4Input(v, pad, nb, Cin, tH, tW, Tp, s);
    else winogradInput(v, pad, nb, Cin, tH, tW, Tp);
    padPlanes(pad, dy + ((<usize>b0 * <usize>(Cout * H * W)) << 2), nb, Cout, H, W, PH, PW);
    if (m == 4) winograd4GradOut(d, pad, nb, Cout, tH, tW, Tp, s);
    else winogradGradOut(d, pad, nb, Cout, tH, tW, Tp);
    for (let xi = 0; xi < A; xi++) {
      gemm(0, 1, Cout, Cin, T, d + ((<usize>(xi * Cout * Tp)) << 2), Tp, v + ((<usize>(xi * Cin * Tp)) << 2), Tp,
        du + ((<usize>(xi * uStride(Cin, Cout))) << 2), Cin, b0 > 0 ? 1 : 0, ws);
    }
    if (dx) convChunk(dx + ((<usize>b0 * <usize>(Cin * H * W)) << 2), pad, u, 0, nb, Cout, H, W, Cin, true, ws, v, d, Tp, m, s);
  }
  if (m == 4) winograd4KernelGradAdd(dw, du, Cout, Cin);
  else winogradKernelGradAdd(dw, du, Cout, Cin);
}

// ---------------------------------------------------------------- stride 2
// Conv2d 3×3, stride 2, padding 1 ("S2") and ConvTranspose2d 3×3, stride 2, padding 1, output padding
// 0 or 1 ("T2"), forward only, by the tiles of winograd_s2_tiles.ts: 25 products per tile and channel
// pair where the GEMM paths do 36. Same chunks and workspace shape as the stride-1 forward:
// [GEMM scratch | U: 25·uStride | pad: nb·Cin·PH·PW + 32 | V: 25·Cin·Tp | M: 25·Cout·Tp] for
// tH×tW tiles of the output (S2: 2×2 pixels each, PH = 4tH + 1, PW = 4tW + 1) or of the input (T2:
// 2×2 input pixels each, PH = 2tH + 2, PW = 2tW + 2).

/** Output side of a stride-2 padding-1 3×3 conv of side n. */
// @ts-ignore: decorator
@inline function s2Out(n: i32): i32 { return (n - 1) / 2 + 1; }

/** Tiles along a side of n pixels (S2: n input pixels, its output's tiles; T2: n input pixels). */
// @ts-ignore: decorator
@inline function s2Tiles(n: i32, transposed: bool): i32 { return tiles(transposed ? n : s2Out(n), 2); }

/** Padded plane side for t tiles. */
// @ts-ignore: decorator
@inline function s2Pad(t: i32, transposed: bool): i32 { return transposed ? 2 * t + 2 : s2PadSide(t); }

/**
 * Whether a stride-2 path pays for B images of H×W: fewer products than the GEMM path (25 per tile
 * against 9 per output pixel for S2, per input pixel for T2), by at least MIN_SAVED per channel pair
 * over the batch (the kernel transform, ~25 stores a pair, is paid once a call), on an image whose
 * tiles fit a chunk. Tiles overhang odd sides: a 7×7 output takes 4×4 tiles, 0.91 of the direct
 * products (41 saved an image), and still measured 1.15× faster on unet24's mid.0 at batch 256 (the
 * transposed up2 1.05–1.13×); on seed's encoder.2 (16 → 32, 7×7 output) 0.94× at batch 1, 1.05× at 2,
 * 1.15× at 4 to 16.
 */
export function winogradS2Pays(B: i32, H: i32, W: i32, transposed: bool): bool {
  const n = transposed ? H : s2Out(H), m = transposed ? W : s2Out(W);
  return fitsChunk(n, m) && <i64>B * <i64>(9 * n * m - 25 * tiles(n, 2) * tiles(m, 2)) >= MIN_SAVED;
}

/** Products a stride-2 Winograd call must save per channel pair (winogradS2Pays). */
const MIN_SAVED: i64 = 64;

/**
 * An image's 2×2 tiles fit in one chunk (CHUNK_TILES, e.g. a 16×32 grid): the stride-2 paths chunk by whole
 * images, and on larger images their transformed operands (25·(Cin + Cout) floats per tile, ~1.7× the
 * GEMM path's column matrix) would outgrow the workspace the memory plan budgets for photo tiles.
 */
// @ts-ignore: decorator
@inline function fitsChunk(n: i32, m: i32): bool { return <i64>tiles(n, 2) * <i64>tiles(m, 2) <= <i64>CHUNK_TILES; }

/** Workspace bytes of winogradS2Forward (f64: hostile shapes do not wrap). */
export function winogradS2WorkspaceBytes(B: i32, Cin: i32, H: i32, W: i32, Cout: i32, transposed: bool): f64 {
  const tH = <f64>s2Tiles(H, transposed), tW = <f64>s2Tiles(W, transposed), P = tH * tW;
  const nb = chunkImagesF64(<f64>B, P, chunkTiles(25, Cin, Cout)), Tp = tileStrideF64(nb, P);
  const PH = <f64>s2Pad(<i32>tH, transposed), PW = <f64>s2Pad(<i32>tW, transposed);
  return partBytes(<f64>gemmScratchBytes() / 4) + partBytes(25 * uStrideF64(<f64>Cin, <f64>Cout)) + partBytes(nb * <f64>Cin * PH * PW + 32) +
    partBytes(25 * <f64>Cin * Tp) + partBytes(25 * <f64>Cout * Tp);
}

/**
 * U[5i + j, co, ci] = (G g Gᵀ)ij with G's rows (row 1, row 1, row e, row 0 + row 2, row 2 − e):
 * S2 g = w[co, ci] (w: [Cout, Cin, 3, 3]), e = 0; T2 g = w[ci, co] (w: [Cin, Cout, 3, 3]), e = 2 (its
 * kernel meets the tile mirrored). The rows of g combined (q_i), then q_i's columns.
 */
export function winogradS2Kernel(u: usize, w: usize, Cout: i32, Cin: i32, transposed: bool): void {
  const xs = uStride(Cin, Cout), step = <usize>xs << 2, e: usize = transposed ? 8 : 0, f: usize = 8 - e;
  clearPadRows(u, 25, Cout, Cin, xs);
  for (let co = 0; co < Cout; co++) for (let ci = 0; ci < Cin; ci++) {
    const g = w + ((<usize>(transposed ? ci * Cout + co : co * Cin + ci) * 9) << 2), at = packedIndex(co, ci, Cin);
    for (let i = 0; i < 5; i++) {
      // Row r of g starts at g + 12r bytes: q_i = row 1, row 1, row e, row 0 + row 2, row 2 − e.
      let q0: f32, q1: f32, q2: f32;
      if (i < 2) { q0 = load<f32>(g, 12); q1 = load<f32>(g, 16); q2 = load<f32>(g, 20); }
      else if (i == 3) { q0 = load<f32>(g) + load<f32>(g, 24); q1 = load<f32>(g, 4) + load<f32>(g, 28); q2 = load<f32>(g, 8) + load<f32>(g, 32); }
      else {
        const r = g + 3 * (i == 2 ? e : f);
        q0 = load<f32>(r); q1 = load<f32>(r, 4); q2 = load<f32>(r, 8);
      }
      // Columns the same way: (q1, q1, q_e, q0 + q2, q_{2−e}).
      const o = u + (<usize>(5 * i * xs + at) << 2);
      store<f32>(o, q1);
      store<f32>(o + step, q1);
      store<f32>(o + 2 * step, transposed ? q2 : q0);
      store<f32>(o + 3 * step, q0 + q2);
      store<f32>(o + 4 * step, transposed ? q0 : q2);
    }
  }
}

/**
 * S2: y[B, Cout, Ho, Wo] = conv2d(x[B, Cin, H, W], w[Cout, Cin, 3, 3], stride 2, padding 1) + bias;
 * T2: y[B, Cout, 2H − 1 + oph, 2W − 1 + opw] = conv_transpose2d(x, w[Cin, Cout, 3, 3], stride 2,
 * padding 1, output padding oph, opw) + bias. bias may be 0.
 */
export function winogradS2Forward(
  y: usize, x: usize, w: usize, bias: usize, B: i32, Cin: i32, H: i32, W: i32, Cout: i32, transposed: bool, oph: i32, opw: i32, ws: usize,
  act: i32 = 0, slope: f32 = 0,
): void {
  const Ho = transposed ? 2 * H - 1 + oph : s2Out(H), Wo = transposed ? 2 * W - 1 + opw : s2Out(W);
  const tH = s2Tiles(H, transposed), tW = s2Tiles(W, transposed), P = tH * tW, nbMax = chunkImages(B, P, chunkTiles(25, Cin, Cout)), Tp = tileStride(nbMax, P);
  const PH = s2Pad(tH, transposed), PW = s2Pad(tW, transposed);
  const u = wsU(ws), pad = wsNext(u, 25 * uStride(Cin, Cout)), v = wsNext(pad, nbMax * Cin * PH * PW + 32), mm = wsNext(v, 25 * Cin * Tp);
  winogradS2Kernel(u, w, Cout, Cin, transposed);
  for (let b0 = 0; b0 < B; b0 += nbMax) {
    const nb = min(nbMax, B - b0);
    padPlanes(pad, x + ((<usize>b0 * <usize>(Cin * H * W)) << 2), nb, Cin, H, W, PH, PW);
    if (transposed) winogradT2Input(v, pad, nb, Cin, tH, tW, Tp);
    else winogradS2Input(v, pad, nb, Cin, tH, tW, Tp);
    pointGemms(25, u, v, mm, Cin, Cout, nb * P, Tp, ws);
    const yb = y + ((<usize>b0 * <usize>(Cout * Ho * Wo)) << 2);
    if (transposed) winogradT2Output(yb, mm, bias, nb, Cout, Ho, Wo, tH, tW, Tp);
    else winogradS2Output(yb, mm, bias, nb, Cout, Ho, Wo, tH, tW, Tp);
    activateInPlace(yb, nb * Cout * Ho * Wo, act, slope);
  }
}

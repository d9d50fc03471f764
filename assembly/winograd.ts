// Conv2d 3×3, stride 1, padding 1 by Winograd F(m×m, 3×3), tile side m = 2 or 4: (m+2)² multiplies
// per m×m output tile and channel pair instead of 9m², i.e. the GEMMs do 16/36 (m = 2) or 36/144
// (m = 4) of the direct path's multiply-adds. F(4×4) rounds more (its transforms scale by up to 8
// and 1/24; ~5× F(2×2)'s difference from the GEMM path, winograd.spec.ts); winogradTile picks the side.
// Tile transforms: winograd_tiles.ts (m = 2), winograd4_tiles.ts (m = 4). Per chunk of nb images
// (about WINOGRAD_CHUNK_FLOATS of transformed operands, so they stay small and warm: winograd_chunks.ts chunkTiles), with A = (m+2)²:
//   forward  V = Bᵀ x B (pad first),  Mξ[Cout, T] = Uξ[Cout, Cin] · Vξ[Cin, T],  y = Aᵀ M A + bias
//            Uξ = (G w Gᵀ)ξ once per call; m = 2: G = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1]
//   dW       D = A dy Aᵀ,  dUξ[Cout, Cin] += Dξ · Vξᵀ over the chunks,  then dw += Gᵀ dU G
//   dX       a 3×3 stride-1 padding-1 conv of dy with w rotated 180° and its channels swapped:
//            the forward's own steps, U′ξ[Cin, Cout] = (G rot(w) Gᵀ)ξ, added into dx
// Backward adds into dx, dw, db like conv2dBackward (dx or db 0 skips). Exact in real arithmetic;
// in f32 it differs from the im2col path by rounding only (the transforms add and halve; winograd.spec.ts
// states the measured difference).
//
// Every step has a scalar reference with the same f32 operations (the tile files' *Ref, gemm_packed.ts
// gemmPackedARef, gemmRef), which the scalar build runs and `scalar` asks for: the strict build equals
// them bit for bit (winograd.spec.ts), the relaxed one fuses the products' multiply-adds.
// U is packed as gemm_packed.ts gemmPackedA reads it (no packing per chunk); dU stays plain [Cout, Cin].
// Workspace: [GEMM scratch | U: A·uStride | dU: A·uStride | pad: nb·Cmax·PH·PW + 32 |
//             V: A·pointStride(Cmax, Tp) | M: the same | 576 bytes of tile scratch], each part 16-byte aligned;
// PH = m·tH + 2, PW = m·tW + 2 for tH×tW tiles per image. The forward alone needs less (no dU, Cin
// rows of V, Cout of M) and runs an image of more tiles than a chunk in bands of tile rows, so an
// inference model's workspace is a chunk's, not an image's (winogradForwardWorkspaceBytes).

import { gemm, gemmRef } from "./gemm";
import { gemmScratchBytes, packedIndex } from "./gemm_packed";
import { channelSumsAdd4 } from "./im2col";
import { BUILD_MODE, MODE_SCALAR } from "./mode";
import { assertAligned16 } from "./checks";
import { activateInPlace, activateRows } from "./act";
import {
  bandTileRows, bandTileRowsF64, firstShare, nextShare, partBandRows, shareStart, winogradChunkImages, winogradChunkImagesF64, chunkTiles, clearPadRows, padBand, padPlanes, partBytes, pointGemms,
  pointStride, pointStrideF64, tileStride, tileStrideF64, tiles, uStride, uStrideF64, windowed, windowTiles, wsNext, wsU,
} from "./winograd_chunks";
import { winogradInput, winogradInputRef, winogradGradOut, winogradGradOutRef, winogradOutput, winogradOutputRef } from "./winograd_tiles";
import {
  winograd4Input, winograd4InputRef, winograd4GradOut, winograd4GradOutRef, winograd4Output, winograd4OutputRef,
} from "./winograd4_tiles";

/**
 * The tile side for an H×W image: 4 (36 products per 4×4 tile) where that is at most 0.8 of side 2's
 * (16 per 2×2 tile), counting the tiles' overhang; else 2, which rounds less. Measured on unet24
 * (bench/conv3x3.ts, A/B): F(4×4) ~20 % faster at 28×28 and 7×7; at 14×14 (16×16 covered, 0.73 of
 * F(2×2)'s products) no faster with 1024-tile chunks, 1.15× faster with 512 (its training step 1.03–1.07×).
 */
export function winogradTile(H: i32, W: i32): i32 {
  return <f64>tiles(H, 4) * <f64>tiles(W, 4) * 36 <= 0.8 * <f64>tiles(H, 2) * <f64>tiles(W, 2) * 16 ? 4 : 2;
}

/** Workspace bytes of winogradForward / winogradBackward with tile side m (f64: hostile shapes do not wrap). */
export function winogradWorkspaceBytes(B: i32, Cin: i32, H: i32, W: i32, Cout: i32, m: i32): f64 {
  const tH = Math.ceil(<f64>H / m), tW = Math.ceil(<f64>W / m), P = tH * tW, A = <f64>((m + 2) * (m + 2));
  const nb = winogradChunkImagesF64(<f64>B, P, chunkTiles(<i32>A, Cin, Cout)), cmax = <f64>max(Cin, Cout), Tp = tileStrideF64(nb, P), u = A * uStrideF64(<f64>Cin, <f64>Cout);
  return partBytes(<f64>gemmScratchBytes() / 4) + 2 * partBytes(u) + partBytes(nb * cmax * (m * tH + 2) * (m * tW + 2) + 32) +
    2 * partBytes(A * pointStrideF64(cmax, Tp)) + 576;
}

/**
 * Workspace bytes of winogradForward alone (an inference model's), tile side m: its own layout
 * [GEMM scratch | U | pad: nb·Cin·PH·PW + 32 | V: A·pointStride(Cin, Tp) | M: A·pointStride(Cout, Tp) | 576 bytes], where an image
 * of more tiles than a chunk runs in bands of bt tile rows (bandTileRows: PH = m·bt + 2, Tp for bt·tW tiles).
 */
export function winogradForwardWorkspaceBytes(B: i32, Cin: i32, H: i32, W: i32, Cout: i32, m: i32): f64 {
  const tH = Math.ceil(<f64>H / m), tW = Math.ceil(<f64>W / m), A = <f64>((m + 2) * (m + 2)), target = chunkTiles(<i32>A, Cin, Cout);
  const bt = bandTileRowsF64(tH, tW, target), nb = bt < tH ? 1 : winogradChunkImagesF64(<f64>B, tH * tW, target), Tp = tileStrideF64(nb, bt * tW);
  return partBytes(<f64>gemmScratchBytes() / 4) + partBytes(A * uStrideF64(<f64>Cin, <f64>Cout)) + partBytes(nb * <f64>Cin * (m * bt + 2) * (m * tW + 2) + 32) +
    partBytes(A * pointStrideF64(<f64>Cin, Tp)) + partBytes(A * pointStrideF64(<f64>Cout, Tp)) + 576;
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
 * out (= or +=) conv3×3 of a padded chunk (nb images, Ci channels; `pad`, tH tile rows) by the transformed
 * kernel u [A, Co, Ci], plus bias (may be 0); out: [nb, Co, H, W] (or a band's first row, Hc of the H
 * rows from there: winograd_tiles.ts winogradOutput). v: [A, Ci, Tp], m: [A, Co, Tp] of scratch.
 */
function convChunk(
  out: usize, pad: usize, u: usize, bias: usize, nb: i32, Ci: i32, H: i32, W: i32, Hc: i32, tH: i32, Co: i32, accumulate: bool,
  ws: usize, v: usize, mm: usize, Tp: i32, m: i32, s: usize, scalar: bool, tW: i32 = tiles(W, m), Wc: i32 = W,
): void {
  const T = nb * tH * tW, A = (m + 2) * (m + 2);
  inputTiles(v, pad, nb, Ci, tH, tW, Tp, m, s, scalar);
  pointGemms(A, u, v, mm, Ci, Co, T, Tp, ws, scalar);
  if (BUILD_MODE == MODE_SCALAR || scalar) {
    if (m == 4) winograd4OutputRef(out, mm, bias, nb, Co, H, W, Hc, tH, tW, Tp, accumulate, Wc);
    else winogradOutputRef(out, mm, bias, nb, Co, H, W, Hc, tH, tW, Tp, accumulate, Wc);
  } else if (m == 4) winograd4Output(out, mm, bias, nb, Co, H, W, Hc, tH, tW, Tp, accumulate, s, Wc);
  else winogradOutput(out, mm, bias, nb, Co, H, W, Hc, tH, tW, Tp, accumulate, Wc);
}

/** V = the input transform of a padded chunk (tile side m), by the SIMD kernel or (`scalar`, or the scalar build) its reference. */
function inputTiles(v: usize, pad: usize, nb: i32, C: i32, tH: i32, tW: i32, Tp: i32, m: i32, s: usize, scalar: bool): void {
  if (BUILD_MODE == MODE_SCALAR || scalar) {
    if (m == 4) winograd4InputRef(v, pad, nb, C, tH, tW, Tp);
    else winogradInputRef(v, pad, nb, C, tH, tW, Tp);
  } else if (m == 4) winograd4Input(v, pad, nb, C, tH, tW, Tp, s);
  else winogradInput(v, pad, nb, C, tH, tW, Tp);
}

/** D = the output-gradient transform of a padded chunk, as inputTiles. */
function gradOutTiles(d: usize, pad: usize, nb: i32, C: i32, tH: i32, tW: i32, Tp: i32, m: i32, s: usize, scalar: bool): void {
  if (BUILD_MODE == MODE_SCALAR || scalar) {
    if (m == 4) winograd4GradOutRef(d, pad, nb, C, tH, tW, Tp);
    else winogradGradOutRef(d, pad, nb, C, tH, tW, Tp);
  } else if (m == 4) winograd4GradOut(d, pad, nb, C, tH, tW, Tp, s);
  else winogradGradOut(d, pad, nb, C, tH, tW, Tp);
}

/**
 * y[B, Cout, H, W] = conv2d(x[B, Cin, H, W], w[Cout, Cin, 3, 3], stride 1, padding 1) + bias (may be 0); tile side m.
 * Chunks of whole images, or, for an image of more tiles than a chunk, bands of its tile rows (bandTileRows:
 * the band's rows padded, transformed, multiplied and written), so the workspace is a chunk's, not an
 * image's (winogradForwardWorkspaceBytes). Every tile gets the same operations either way.
 * `scalar`: the scalar references of every step (the strict build's bits; the scalar build always runs them).
 */
export function winogradForward(
  y: usize, x: usize, w: usize, bias: usize, B: i32, Cin: i32, H: i32, W: i32, Cout: i32, ws: usize, m: i32, act: i32 = 0, slope: f32 = 0,
  scalar: bool = false, part: i32 = 0, parts: i32 = 1, wy0: i32 = 0, wy1: i32 = 0, wx0: i32 = 0, wx1: i32 = 0,
): void {
  assert(m == 2 || m == 4, "winograd: tile side m must be 2 or 4");
  assert(B >= 0 && Cin >= 0 && Cout >= 0 && H >= 1 && W >= 1, "winograd: negative count or empty image");
  assertAligned16(ws);
  const A = (m + 2) * (m + 2), tH = tiles(H, m), tW = tiles(W, m), P = tH * tW, target = chunkTiles(A, Cin, Cout), bt = bandTileRows(tH, tW, target);
  if (bt < tH || parts > 1 || windowed(wy0, wy1, wx0, wx1, H, W)) {
    return winogradForwardBands(y, x, w, bias, B, Cin, H, W, Cout, ws, m, partBandRows(bt, tH, parts), act, slope, scalar, part, parts, wy0, wy1, wx0, wx1);
  }
  const nbMax = winogradChunkImages(B, P, target), Tp = tileStride(nbMax, P), PH = m * tH + 2, PW = m * tW + 2;
  const u = wsU(ws), pad = wsNext(u, A * uStride(Cin, Cout)), v = wsNext(pad, nbMax * Cin * PH * PW + 32), mm = wsNext(v, A * pointStride(Cin, Tp));
  const s = wsNext(mm, A * pointStride(Cout, Tp));
  if (m == 4) winograd4Kernel(u, w, Cout, Cin, false, s);
  else winogradKernel(u, w, Cout, Cin, false);
  for (let b0 = 0; b0 < B; b0 += nbMax) {
    const nb = min(nbMax, B - b0);
    padPlanes(pad, x + ((<usize>b0 * <usize>(Cin * H * W)) << 2), nb, Cin, H, W, PH, PW);
    const yb = y + ((<usize>b0 * <usize>(Cout * H * W)) << 2);
    convChunk(yb, pad, u, bias, nb, Cin, H, W, H, tH, Cout, false, ws, v, mm, Tp, m, s, scalar);
    activateInPlace(yb, nb * Cout * H * W, act, slope);
  }
}

/**
 * winogradForward image by image in bands of bt tile rows (at most the image's): each band's input rows
 * padded (winograd_chunks.ts padBand), transformed, multiplied and written. Its layout is winogradForward's
 * with one image of bt tile rows, within winogradForwardWorkspaceBytes; the specs (bands.spec.ts) force bt.
 * Part `part` of `parts` (threads sharing the layer, each with its own workspace) does the bands of its
 * share of each image's tile rows (winograd_chunks.ts shareStart), or of the shares it claims
 * (firstShare): the same tiles, the same bits.
 */
export function winogradForwardBands(
  y: usize, x: usize, w: usize, bias: usize, B: i32, Cin: i32, H: i32, W: i32, Cout: i32, ws: usize, m: i32, bt: i32, act: i32 = 0, slope: f32 = 0,
  scalar: bool = false, part: i32 = 0, parts: i32 = 1, wy0: i32 = 0, wy1: i32 = 0, wx0: i32 = 0, wx1: i32 = 0,
): void {
  assert(m == 2 || m == 4, "winograd: tile side m must be 2 or 4");
  assert(B >= 0 && Cin >= 0 && Cout >= 0 && H >= 1 && W >= 1 && bt >= 1, "winograd: negative count, empty image or band");
  assertAligned16(ws);
  assert(wy0 >= 0 && wx0 >= 0 && wy0 < H && wx0 < W, "winograd: window outside the output");
  const rows = min(bt, tiles(H, m));
  // The window's tiles (winograd_chunks.ts windowed): nT rows of tW from output (wy0, wx0); the whole image without one.
  const nT = windowTiles(wy0, wy1, H, m), tW = windowTiles(wx0, wx1, W, m);
  const A = (m + 2) * (m + 2), Tp = tileStride(1, rows * tW), PW = m * tW + 2;
  const u = wsU(ws), pad = wsNext(u, A * uStride(Cin, Cout)), v = wsNext(pad, Cin * (m * rows + 2) * PW + 32), mm = wsNext(v, A * pointStride(Cin, Tp));
  const s = wsNext(mm, A * pointStride(Cout, Tp));
  if (m == 4) winograd4Kernel(u, w, Cout, Cin, false, s);
  else winogradKernel(u, w, Cout, Cin, false);
  for (let share = firstShare(part, parts); share < B * parts; share = nextShare(share, parts)) {
    const b = share / parts, q = share % parts;
    const xb = x + ((<usize>b * <usize>(Cin * H * W)) << 2), yb = y + ((<usize>b * <usize>(Cout * H * W)) << 2);
    const lo = shareStart(nT, q, parts), hi = shareStart(nT, q + 1, parts);
    for (let t = lo; t < hi; t += rows) {
      const bh = min(rows, hi - t), oy0 = wy0 + m * t;
      padBand(pad, xb, Cin, H, W, oy0, m * bh + 2, PW, wx0);
      convChunk(yb + ((<usize>oy0 * <usize>W + <usize>wx0) << 2), pad, u, bias, 1, Cin, H, W, H - oy0, bh, Cout, false, ws, v, mm, Tp, m, s, scalar, tW, min(W - wx0, m * tW));
      activateRows(yb, Cout, H, W, oy0, min(H, oy0 + m * bh), act, slope, wx0, min(W, wx0 + m * tW));
    }
  }
}

/**
 * dx += ∂L/∂x, dw += ∂L/∂w, db += ∂L/∂b for winogradForward's conv (dx or db may be 0 to skip).
 * Per chunk: dU += D · Vᵀ, then (dy still padded) dx += the chunk's conv of dy by the rotated kernel.
 * `scalar` as in winogradForward.
 */
export function winogradBackward(
  dx: usize, dw: usize, db: usize, dy: usize, x: usize, w: usize, B: i32, Cin: i32, H: i32, W: i32, Cout: i32, ws: usize, m: i32,
  scalar: bool = false,
): void {
  assert(m == 2 || m == 4, "winograd: tile side m must be 2 or 4");
  assert(B >= 0 && Cin >= 0 && Cout >= 0 && H >= 1 && W >= 1, "winograd: negative count or empty image");
  assertAligned16(ws);
  if (db) channelSumsAdd4(db, dy, B, Cout, H * W, scalar);
  const A = (m + 2) * (m + 2), u = wsU(ws), du = wsNext(u, A * uStride(Cin, Cout)), pad = wsNext(du, A * uStride(Cin, Cout));
  const tH = tiles(H, m), tW = tiles(W, m), P = tH * tW, nbMax = winogradChunkImages(B, P, chunkTiles(A, Cin, Cout)), Tp = tileStride(nbMax, P);
  const cmax = max(Cin, Cout), PH = m * tH + 2, PW = m * tW + 2;
  const v = wsNext(pad, nbMax * cmax * PH * PW + 32), d = wsNext(v, A * pointStride(cmax, Tp)), s = wsNext(d, A * pointStride(cmax, Tp));
  if (dx) {
    if (m == 4) winograd4Kernel(u, w, Cout, Cin, true, s);
    else winogradKernel(u, w, Cout, Cin, true);
  }
  for (let b0 = 0; b0 < B; b0 += nbMax) {
    const nb = min(nbMax, B - b0), T = nb * P;
    padPlanes(pad, x + ((<usize>b0 * <usize>(Cin * H * W)) << 2), nb, Cin, H, W, PH, PW);
    inputTiles(v, pad, nb, Cin, tH, tW, Tp, m, s, scalar);
    padPlanes(pad, dy + ((<usize>b0 * <usize>(Cout * H * W)) << 2), nb, Cout, H, W, PH, PW);
    gradOutTiles(d, pad, nb, Cout, tH, tW, Tp, m, s, scalar);
    for (let xi = 0; xi < A; xi++) {
      const dxi = d + ((<usize>(xi * pointStride(Cout, Tp))) << 2), vxi = v + ((<usize>(xi * pointStride(Cin, Tp))) << 2), duxi = du + ((<usize>(xi * uStride(Cin, Cout))) << 2);
      // gemm's strict paths and gemmRef sum in one order (gemm.ts), so `scalar` asks for gemmRef only to keep the oracle scalar.
      if (scalar) gemmRef(0, 1, Cout, Cin, T, dxi, Tp, vxi, Tp, duxi, Cin, b0 > 0 ? 1 : 0);
      else gemm(0, 1, Cout, Cin, T, dxi, Tp, vxi, Tp, duxi, Cin, b0 > 0 ? 1 : 0, ws);
    }
    if (dx) convChunk(dx + ((<usize>b0 * <usize>(Cin * H * W)) << 2), pad, u, 0, nb, Cout, H, W, H, tH, Cin, true, ws, v, d, Tp, m, s, scalar);
  }
  if (m == 4) winograd4KernelGradAdd(dw, du, Cout, Cin);
  else winogradKernelGradAdd(dw, du, Cout, Cin);
}

// Conv2d 3×3, stride 2, padding 1 ("S2") and ConvTranspose2d 3×3, stride 2, padding 1, output padding
// 0 or 1 ("T2"), forward only, by the tiles of winograd_s2_tiles.ts: 25 products per tile and channel
// pair where the GEMM paths do 36. Same chunks and workspace shape as the stride-1 forward
// (winograd.ts; both from winograd_chunks.ts):
// [GEMM scratch | U: 25·uStride | pad: nb·Cin·PH·PW + 32 | V: 25·pointStride(Cin, Tp) | M: 25·pointStride(Cout, Tp)] for
// tH×tW tiles of the output (S2: 2×2 pixels each, PH = 4tH + 1, PW = 4tW + 1) or of the input (T2:
// 2×2 input pixels each, PH = 2tH + 2, PW = 2tW + 2); an image of more tiles than a chunk runs in bands
// of tile rows (winogradS2ForwardBands), PH then a band's.

import { gemmScratchBytes, packedIndex } from "./gemm_packed";
import { activateInPlace, activateRows } from "./act";
import { assertAligned16 } from "./checks";
import {
  bandTileRows, bandTileRowsF64, winogradChunkImages, winogradChunkImagesF64, chunkTiles, clearPadRows, padBand, padPlanes, partBytes,
  pointGemms, pointStride, pointStrideF64, tileStride, tileStrideF64, tiles, uStride, uStrideF64, wsNext, wsU,
  firstShare, nextShare, partBandRows, shareStart, windowed, windowTiles,
} from "./winograd_chunks";
import {
  s2PadSide, winogradS2Input, winogradS2InputRef, winogradS2Output, winogradS2OutputRef, winogradT2Input, winogradT2InputRef, winogradT2Output,
  winogradT2OutputRef,
} from "./winograd_s2_tiles";
import { BUILD_MODE, MODE_SCALAR } from "./mode";

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
 * Whether a stride-2 path pays for H×W images: fewer products than the GEMM path (25 per tile against
 * 9 per output pixel for S2, per input pixel for T2), by at least MIN_SAVED per image and channel pair
 * (the kernel transform, ~25 stores a pair, is paid once a call), at any image size: an image of more
 * tiles than a chunk runs in bands of tile rows (winogradS2ForwardBands) within the workspace the memory
 * plan budgets (on the photo model at 1024 × 1024 the three stride-2 convolutions ran 1.36× / 1.38× /
 * 1.42× faster than by im2col + GEMM and the three transposed ones 1.32× / 1.32× / 1.43× faster than by
 * GEMM + col2im, one thread; they were held to images of one chunk until the bands existed). Not the batch: an image's output must not depend on the batch it runs in (threads split a batch
 * into slices; test/pool.test.ts, test/engine.test.ts). Tiles overhang odd sides: a 7×7 output takes
 * 4×4 tiles, 0.91 of the direct products (41 saved an image), and still measured 1.15× faster on
 * unet24's mid.0 at batch 256 (the transposed up2 1.05–1.13×); on seed's encoder.2 (16 → 32, 7×7
 * output) 0.94× at batch 1, 1.05× at 2, 1.15× at 4 to 16.
 */
export function winogradS2Pays(H: i32, W: i32, transposed: bool): bool {
  const n = transposed ? H : s2Out(H), m = transposed ? W : s2Out(W);
  return <i64>(9 * n * m - 25 * tiles(n, 2) * tiles(m, 2)) >= MIN_SAVED;
}

/** Products a stride-2 Winograd call must save per image and channel pair (winogradS2Pays): a 7×7 output's 41, not a 2×2 one's 11. */
const MIN_SAVED: i64 = 32;

/**
 * Workspace bytes of winogradS2Forward (f64: hostile shapes do not wrap): chunks of whole images, or bands
 * of bt tile rows of an image of more tiles than a chunk (bandTileRows).
 */
export function winogradS2WorkspaceBytes(B: i32, Cin: i32, H: i32, W: i32, Cout: i32, transposed: bool): f64 {
  const tH = <f64>s2Tiles(H, transposed), tW = <f64>s2Tiles(W, transposed), target = chunkTiles(25, Cin, Cout), bt = bandTileRowsF64(tH, tW, target);
  const nb = bt < tH ? 1 : winogradChunkImagesF64(<f64>B, tH * tW, target), Tp = tileStrideF64(nb, bt * tW);
  const PH = <f64>s2Pad(<i32>bt, transposed), PW = <f64>s2Pad(<i32>tW, transposed);
  return partBytes(<f64>gemmScratchBytes() / 4) + partBytes(25 * uStrideF64(<f64>Cin, <f64>Cout)) + partBytes(nb * <f64>Cin * PH * PW + 32) +
    partBytes(25 * pointStrideF64(<f64>Cin, Tp)) + partBytes(25 * pointStrideF64(<f64>Cout, Tp));
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
 * padding 1, output padding oph, opw) + bias. bias may be 0. `scalar`: the scalar references of every
 * step (the strict build's bits; the scalar build always runs them). T2 with `accumulate`: y += that, as
 * its own output then an add would give (an inference model's up-sampling added into its skip in place:
 * assembly/model.ts); an activation applies to the sum.
 */
export function winogradS2Forward(
  y: usize, x: usize, w: usize, bias: usize, B: i32, Cin: i32, H: i32, W: i32, Cout: i32, transposed: bool, oph: i32, opw: i32, ws: usize,
  act: i32 = 0, slope: f32 = 0, scalar: bool = false, part: i32 = 0, parts: i32 = 1, accumulate: bool = false,
  wy0: i32 = 0, wy1: i32 = 0, wx0: i32 = 0, wx1: i32 = 0,
): void {
  assert(B >= 0 && Cin >= 0 && Cout >= 0 && H >= 1 && W >= 1, "winogradS2: negative count or empty image");
  assert(transposed || !accumulate, "winogradS2: only the transposed conv adds into y");
  assert(transposed ? oph >= 0 && oph <= 1 && opw >= 0 && opw <= 1 : oph == 0 && opw == 0, "winogradS2: output padding must be 0 or 1 (transposed), 0 (conv)");
  assertAligned16(ws);
  const Ho = transposed ? 2 * H - 1 + oph : s2Out(H), Wo = transposed ? 2 * W - 1 + opw : s2Out(W);
  const tH = s2Tiles(H, transposed), tW = s2Tiles(W, transposed), P = tH * tW, target = chunkTiles(25, Cin, Cout), bt = bandTileRows(tH, tW, target);
  if (bt < tH || parts > 1 || windowed(wy0, wy1, wx0, wx1, Ho, Wo)) {
    return winogradS2ForwardBands(y, x, w, bias, B, Cin, H, W, Cout, transposed, oph, opw, ws, partBandRows(bt, tH, parts), act, slope, scalar, part, parts, accumulate,
      wy0, wy1, wx0, wx1);
  }
  const nbMax = winogradChunkImages(B, P, target), Tp = tileStride(nbMax, P);
  const PH = s2Pad(tH, transposed), PW = s2Pad(tW, transposed);
  const u = wsU(ws), pad = wsNext(u, 25 * uStride(Cin, Cout)), v = wsNext(pad, nbMax * Cin * PH * PW + 32), mm = wsNext(v, 25 * pointStride(Cin, Tp));
  winogradS2Kernel(u, w, Cout, Cin, transposed);
  for (let b0 = 0; b0 < B; b0 += nbMax) {
    const nb = min(nbMax, B - b0);
    padPlanes(pad, x + ((<usize>b0 * <usize>(Cin * H * W)) << 2), nb, Cin, H, W, PH, PW);
    const yb = y + ((<usize>b0 * <usize>(Cout * Ho * Wo)) << 2);
    s2Chunk(yb, pad, u, v, mm, bias, nb, Cin, Cout, Ho, Wo, Ho, tH, tW, Tp, transposed, ws, scalar, accumulate);
    activateInPlace(yb, nb * Cout * Ho * Wo, act, slope);
  }
}

/**
 * winogradS2Forward image by image in bands of bt tile rows (at most the image's): each band's padded rows
 * (winograd_chunks.ts padBand: 4 per tile row for S2, 2 for T2), its tiles and its output rows (2 per tile
 * row for S2, 4 for T2). Within winogradS2WorkspaceBytes for bandTileRows' bt; the specs (bands.spec.ts) force bt.
 * Part `part` of `parts` does the bands of its share of the tile rows, as winograd.ts winogradForwardBands.
 */
export function winogradS2ForwardBands(
  y: usize, x: usize, w: usize, bias: usize, B: i32, Cin: i32, H: i32, W: i32, Cout: i32, transposed: bool, oph: i32, opw: i32, ws: usize,
  bt: i32, act: i32 = 0, slope: f32 = 0, scalar: bool = false, part: i32 = 0, parts: i32 = 1, accumulate: bool = false,
  wy0: i32 = 0, wy1: i32 = 0, wx0: i32 = 0, wx1: i32 = 0,
): void {
  assert(B >= 0 && Cin >= 0 && Cout >= 0 && H >= 1 && W >= 1 && bt >= 1, "winogradS2: negative count, empty image or band");
  assert(transposed || !accumulate, "winogradS2: only the transposed conv adds into y");
  assert(transposed ? oph >= 0 && oph <= 1 && opw >= 0 && opw <= 1 : oph == 0 && opw == 0, "winogradS2: output padding must be 0 or 1 (transposed), 0 (conv)");
  assertAligned16(ws);
  const Ho = transposed ? 2 * H - 1 + oph : s2Out(H), Wo = transposed ? 2 * W - 1 + opw : s2Out(W);
  assert(wy0 >= 0 && wx0 >= 0 && wy0 < Ho && wx0 < Wo && (!transposed || ((wy0 | wx0) & 1) == 0), "winogradS2: window outside the output, or odd for the transposed conv");
  const rows = min(bt, s2Tiles(H, transposed)), outRows = transposed ? 4 : 2;
  // The window's tiles (winograd_chunks.ts windowed): nT rows of tW from output (wy0, wx0), outRows outputs a
  // tile a side; padded input row (column) r0 − 1 is the first a tile from output o0 reads, r0 = 2·o0 (S2), o0 / 2 (T2).
  const nT = windowTiles(wy0, wy1, Ho, outRows), tW = windowTiles(wx0, wx1, Wo, outRows), Tp = tileStride(1, rows * tW), PW = s2Pad(tW, transposed);
  const u = wsU(ws), pad = wsNext(u, 25 * uStride(Cin, Cout)), v = wsNext(pad, Cin * s2Pad(rows, transposed) * PW + 32), mm = wsNext(v, 25 * pointStride(Cin, Tp));
  winogradS2Kernel(u, w, Cout, Cin, transposed);
  for (let share = firstShare(part, parts); share < B * parts; share = nextShare(share, parts)) {
    const b = share / parts, q = share % parts;
    const xb = x + ((<usize>b * <usize>(Cin * H * W)) << 2), yb = y + ((<usize>b * <usize>(Cout * Ho * Wo)) << 2);
    const lo = shareStart(nT, q, parts), hi = shareStart(nT, q + 1, parts);
    for (let t = lo; t < hi; t += rows) {
      const bh = min(rows, hi - t), oy0 = wy0 + outRows * t;
      padBand(pad, xb, Cin, H, W, transposed ? oy0 >> 1 : 2 * oy0, s2Pad(bh, transposed), PW, transposed ? wx0 >> 1 : 2 * wx0);
      s2Chunk(yb + ((<usize>oy0 * <usize>Wo + <usize>wx0) << 2), pad, u, v, mm, bias, 1, Cin, Cout, Ho, Wo, Ho - oy0, bh, tW, Tp, transposed, ws, scalar, accumulate, min(Wo - wx0, outRows * tW));
      activateRows(yb, Cout, Ho, Wo, oy0, min(Ho, oy0 + outRows * bh), act, slope, wx0, min(Wo, wx0 + outRows * tW));
    }
  }
}

/**
 * One padded chunk (nb images, or a band: nb = 1, tH its tile rows) through the tiles: V, the point GEMMs,
 * y's rows (planes of Ho rows, Hc of them written from y on).
 */
function s2Chunk(
  y: usize, pad: usize, u: usize, v: usize, mm: usize, bias: usize, nb: i32, Cin: i32, Cout: i32, Ho: i32, Wo: i32, Hc: i32, tH: i32, tW: i32, Tp: i32,
  transposed: bool, ws: usize, scalar: bool, accumulate: bool, Wc: i32 = Wo,
): void {
  const T = nb * tH * tW;
  if (BUILD_MODE == MODE_SCALAR || scalar) {
    if (transposed) winogradT2InputRef(v, pad, nb, Cin, tH, tW, Tp);
    else winogradS2InputRef(v, pad, nb, Cin, tH, tW, Tp);
    pointGemms(25, u, v, mm, Cin, Cout, T, Tp, ws, true);
    if (transposed) winogradT2OutputRef(y, mm, bias, nb, Cout, Ho, Wo, Hc, tH, tW, Tp, accumulate, Wc);
    else winogradS2OutputRef(y, mm, bias, nb, Cout, Ho, Wo, Hc, tH, tW, Tp, Wc);
  } else {
    if (transposed) winogradT2Input(v, pad, nb, Cin, tH, tW, Tp);
    else winogradS2Input(v, pad, nb, Cin, tH, tW, Tp);
    pointGemms(25, u, v, mm, Cin, Cout, T, Tp, ws, false);
    if (transposed) winogradT2Output(y, mm, bias, nb, Cout, Ho, Wo, Hc, tH, tW, Tp, accumulate, Wc);
    else winogradS2Output(y, mm, bias, nb, Cout, Ho, Wo, Hc, tH, tW, Tp, Wc);
  }
}

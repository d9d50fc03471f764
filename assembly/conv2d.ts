// Conv2d, PyTorch semantics: weight [Cout, Cin, kh, kw], bias [Cout], x [B, Cin, H, W] NCHW,
// y [B, Cout, Ho, Wo] with Ho = ⌊(H + 2ph − kh)/sh⌋ + 1 (dilation 1, groups 1).
// https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html
//
// Both passes are GEMMs over chunks of images (N = images·Ho·Wo columns, as many images as keep the
// column matrix in L2: workspace.ts im2colChunkImages) on im2col's column matrix:
//   forward   tmp[Cout, N]  = W[Cout, K] · col[K, N]            (K = Cin·kh·kw), then y = tmp + bias (→ NCHW)
//   backward  dW[Cout, K]  += dYc[Cout, N] · col[K, N]ᵀ          (dYc = dy channel-major)
//             dcol[K, N]    = W[Cout, K]ᵀ · dYc[Cout, N],  dx += col2im(dcol)
// Backward adds into dx, dw, db (zero them first); dx = 0 skips the input gradient (first layer).
//
// A kernel that covers the whole unpadded input (the 7×7 conv to a 1×1 code) is a dense layer: its
// column matrix is just x transposed, so the GEMMs read x [B, K] directly and write dx directly —
// no im2col / col2im, same sums in the same order.
//
// In every build, 3×3 stride-1 padding-1 convs take a fast path with fewer operations: Winograd
// F(2×2, 3×3) or F(4×4, 3×3) (winograd.ts) in general, direct loops (direct3x3.ts) when one side has a
// single channel (the GEMMs would have one row or column). 3×3 stride-2 padding-1 convs run their
// forward by the stride-2 Winograd (winograd_s2.ts winogradS2Forward, 25 products per 2×2 tile instead
// of 36) where that is fewer products, their backward by im2col + GEMM. The relaxed build fuses their
// multiply-adds; the strict build multiplies and adds (plain f32x4.mul / add, the same bits on every
// engine), and the scalar build runs the paths' scalar references, which do the strict kernels' f32
// operations lane by lane: strict and scalar stay bit-identical. Each differs from im2col + GEMM by
// f32 rounding (winograd.spec.ts measures it); the workspace formula is the path's own (the stride-2
// path's: the larger of its forward's and the GEMM backward's).

import { activateInPlace, activateRows } from "./act";
import { gemm } from "./gemm";
import { im2col, im2colRows, col2im, cnhwToNchwBias, nchwToCnhw, channelSumsAdd } from "./im2col";
import { workspaceBytes, wsCol, wsTmp, im2colChunkImages, im2colBandRows } from "./workspace";
import { winogradForward, winogradBackward, winogradWorkspaceBytes, winogradForwardWorkspaceBytes, winogradTile } from "./winograd";
import { winogradS2Forward, winogradS2Pays, winogradS2WorkspaceBytes } from "./winograd_s2";
import { direct3x3Forward, direct3x3Backward, direct3x3WorkspaceBytes, direct3x3ForwardWorkspaceBytes } from "./direct3x3";
import { assertAligned16, assertConvShape } from "./checks";
import { firstShare, nextShare, partBandRows, partStart, runsWhole } from "./winograd_chunks";

export const FAST_NONE: i32 = 0;      // im2col + GEMM
export const FAST_WINOGRAD: i32 = 1;  // winograd.ts
export const FAST_DIRECT: i32 = 2;    // direct3x3.ts
export const FAST_WINOGRAD_S2: i32 = 3; // winograd_s2.ts winogradS2Forward; backward by im2col + GEMM

/** The path conv2dForward / conv2dBackward take for this shape: the same in every build and for any batch. */
export function conv2dPath(Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32): i32 {
  if (kh != 3 || kw != 3 || ph != 1 || pw != 1) return FAST_NONE;
  if (sh == 2 && sw == 2) return Cin > 1 && Cout > 1 && winogradS2Pays(H, W, false) ? FAST_WINOGRAD_S2 : FAST_NONE;
  if (sh != 1 || sw != 1) return FAST_NONE;
  return Cin == 1 || Cout == 1 ? FAST_DIRECT : FAST_WINOGRAD;
}

/** Whether conv2dForwardAct's path for this shape runs only an output window's tiles (the Winograd ones; winograd_chunks.ts windowed). */
export function conv2dTakesWindow(Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32): bool {
  const path = conv2dPath(Cin, H, W, Cout, kh, kw, sh, sw, ph, pw);
  return path == FAST_WINOGRAD || path == FAST_WINOGRAD_S2;
}

// @ts-ignore: decorator
@inline function outSize(n: i32, k: i32, s: i32, p: i32): i32 {
  return (n + 2 * p - k) / s + 1;
}

/**
 * Images per im2col + GEMM round: chunks whose column matrix stays in L2 (workspace.ts im2colChunkImages);
 * the dense path runs the whole batch at once (it has no column matrix, and one image is one column).
 */
// @ts-ignore: decorator
@inline function gemmChunk(B: i32, colPerImage: i32, dense: bool): i32 {
  return dense ? B : im2colChunkImages(B, colPerImage);
}

/** The kernel covers the whole unpadded input: one output pixel, the column matrix is xᵀ. */
// @ts-ignore: decorator
@inline function isDense(H: i32, W: i32, kh: i32, kw: i32, ph: i32, pw: i32): bool {
  return kh == H && kw == W && ph == 0 && pw == 0;
}

/** Workspace bytes conv2dForward / conv2dBackward need for this shape (exact for the path it takes). */
export function conv2dWorkspaceBytes(
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
): f64 {
  const path = conv2dPath(Cin, H, W, Cout, kh, kw, sh, sw, ph, pw);
  if (path == FAST_WINOGRAD) return winogradWorkspaceBytes(B, Cin, H, W, Cout, winogradTile(H, W));
  if (path == FAST_DIRECT) return direct3x3WorkspaceBytes(Cin, H, W, Cout);
  const gemmBytes = conv2dGemmWorkspaceBytes(B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw);
  return path == FAST_WINOGRAD_S2 ? Math.max(gemmBytes, winogradS2WorkspaceBytes(B, Cin, H, W, Cout, false)) : gemmBytes;
}

/**
 * Workspace bytes conv2dForward alone needs (an inference model's): the forward paths run a large image
 * in bands of output rows, so this grows with the image's width, not its area.
 */
export function conv2dForwardWorkspaceBytes(
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
): f64 {
  const path = conv2dPath(Cin, H, W, Cout, kh, kw, sh, sw, ph, pw);
  if (path == FAST_WINOGRAD) return winogradForwardWorkspaceBytes(B, Cin, H, W, Cout, winogradTile(H, W));
  if (path == FAST_DIRECT) return direct3x3ForwardWorkspaceBytes(Cin, H, W, Cout);
  if (path == FAST_WINOGRAD_S2) return winogradS2WorkspaceBytes(B, Cin, H, W, Cout, false);
  const Ho = outSize(H, kh, sh, ph), Wo = outSize(W, kw, sw, pw), K = Cin * kh * kw;
  const rows = gemmBandRows(Ho, Wo, K, Cout, isDense(H, W, kh, kw, ph, pw));
  if (rows >= Ho) return conv2dGemmWorkspaceBytes(B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw);
  const n = <f64>rows * <f64>Wo;
  return workspaceBytes(<f64>K * n, <f64>Cout * n);
}

/** Output rows per band of conv2dForwardGemm (workspace.ts im2colBandRows; Ho: whole images, chunked as the backward does). */
// @ts-ignore: decorator
@inline function gemmBandRows(Ho: i32, Wo: i32, K: i32, Cout: i32, dense: bool): i32 {
  return dense ? Ho : im2colBandRows(Ho, Wo, K, Cout);
}

/** Workspace bytes of the im2col + GEMM path (conv2dForwardGemm / conv2dBackwardGemm). */
export function conv2dGemmWorkspaceBytes(
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
): f64 {
  const HoWo = outSize(H, kh, sh, ph) * outSize(W, kw, sw, pw), K = Cin * kh * kw;
  const n = <f64>gemmChunk(B, K * HoWo, isDense(H, W, kh, kw, ph, pw)) * <f64>HoWo;
  return workspaceBytes(<f64>K * n, <f64>Cout * n);
}

/** y[B, Cout, Ho, Wo] = conv2d(x[B, Cin, H, W], w[Cout, Cin, kh, kw]) + bias[Cout] (bias may be 0). */
export function conv2dForward(
  y: usize, x: usize, w: usize, bias: usize,
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
  ws: usize,
): void {
  conv2dForwardAct(y, x, w, bias, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, ws, 0, 0);
}

/**
 * conv2dForward with an activation fused (act.ts activateInPlace: act an OP_* code, 0 none), applied to
 * each chunk of y as soon as it is written, while it is still in cache (model.ts fuses an inference
 * model's conv + ReLU / leaky ReLU pairs; the same bits as the two layers).
 */
export function conv2dForwardAct(
  y: usize, x: usize, w: usize, bias: usize,
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
  ws: usize, act: i32, slope: f32, part: i32 = 0, parts: i32 = 1, wy0: i32 = 0, wy1: i32 = 0, wx0: i32 = 0, wx1: i32 = 0,
): void {
  assertConvShape(B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw);
  assertAligned16(ws);
  const path = conv2dPath(Cin, H, W, Cout, kh, kw, sh, sw, ph, pw);
  // An output window (winograd_chunks.ts windowed) is taken by the Winograd paths; the others write every output.
  if (path == FAST_WINOGRAD) return winogradForward(y, x, w, bias, B, Cin, H, W, Cout, ws, winogradTile(H, W), act, slope, false, part, parts, wy0, wy1, wx0, wx1);
  if (path == FAST_DIRECT) return direct3x3Forward(y, x, w, bias, B, Cin, H, W, Cout, ws, act, slope, false, part, parts);
  if (path == FAST_WINOGRAD_S2) return winogradS2Forward(y, x, w, bias, B, Cin, H, W, Cout, false, 0, 0, ws, act, slope, false, part, parts, false, wy0, wy1, wx0, wx1);
  conv2dForwardGemm(y, x, w, bias, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, ws, act, slope, part, parts);
}

/**
 * conv2dForward by im2col + GEMM, whatever the shape (the other paths' oracle). Images whose column
 * matrix outgrows a chunk run one at a time in bands of output rows (gemmBandRows): im2col of the band,
 * its GEMM, its rows of y; each output element is the same sum as in one GEMM of the whole image.
 */
export function conv2dForwardGemm(
  y: usize, x: usize, w: usize, bias: usize,
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
  ws: usize, act: i32 = 0, slope: f32 = 0, part: i32 = 0, parts: i32 = 1,
): void {
  assertConvShape(B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw);
  assertAligned16(ws);
  const Ho = outSize(H, kh, sh, ph), Wo = outSize(W, kw, sw, pw), K = Cin * kh * kw;
  const dense = isDense(H, W, kh, kw, ph, pw), rows = gemmBandRows(Ho, Wo, K, Cout, dense);
  if (rows < Ho || (parts > 1 && !dense)) {
    return conv2dForwardGemmBands(y, x, w, bias, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, ws, partBandRows(rows, Ho, parts), act, slope, part, parts);
  }
  if (!runsWhole(part, parts)) return; // a dense layer (one output pixel) is not shared: one part runs it
  const nb = gemmChunk(B, K * Ho * Wo, dense);
  const col = wsCol(ws), tmp = wsTmp(ws, <usize>K * <usize>(nb * Ho * Wo));
  if (dense) {
    gemm(0, 1, Cout, B, K, w, K, x, K, tmp, B, 0, ws); // tmp[Cout, B] = W · xᵀ
    cnhwToNchwBias(y, tmp, bias, B, Cout, 1);
    activateInPlace(y, B * Cout, act, slope);
    return;
  }
  for (let b0 = 0; b0 < B; b0 += nb) {
    const n = min(nb, B - b0), Nc = n * Ho * Wo;
    im2col(col, x + ((<usize>b0 * <usize>(Cin * H * W)) << 2), n, Cin, H, W, H * W, Cin * H * W, kh, kw, sh, sw, ph, pw, Ho, Wo);
    gemm(0, 0, Cout, Nc, K, w, K, col, Nc, tmp, Nc, 0, ws);
    cnhwToNchwBias(y + ((<usize>b0 * <usize>(Cout * Ho * Wo)) << 2), tmp, bias, n, Cout, Ho * Wo);
    activateInPlace(y + ((<usize>b0 * <usize>(Cout * Ho * Wo)) << 2), n * Cout * Ho * Wo, act, slope);
  }
}

/**
 * conv2dForwardGemm image by image in bands of `rows` output rows (≥ 1; at most Ho take effect): im2col
 * of the band (im2col.ts im2colRows), its GEMM, its rows of y. Fits conv2dForwardWorkspaceBytes for
 * gemmBandRows' rows; the specs (bands.spec.ts) force other heights. Part `part` of `parts` does the
 * bands of its share of each image's output rows (winograd_chunks.ts partStart).
 */
export function conv2dForwardGemmBands(
  y: usize, x: usize, w: usize, bias: usize,
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
  ws: usize, rows: i32, act: i32 = 0, slope: f32 = 0, part: i32 = 0, parts: i32 = 1,
): void {
  assertConvShape(B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw);
  assertAligned16(ws);
  assert(rows >= 1, "conv2d: band of no rows");
  const Ho = outSize(H, kh, sh, ph), Wo = outSize(W, kw, sw, pw), K = Cin * kh * kw, r = min(rows, Ho);
  const col = wsCol(ws), tmp = wsTmp(ws, <usize>K * <usize>(r * Wo));
  for (let share = firstShare(part, parts); share < B * parts; share = nextShare(share, parts)) {
    const b = share / parts, q = share % parts;
    const xb = x + ((<usize>b * <usize>(Cin * H * W)) << 2), yb = y + ((<usize>b * <usize>(Cout * Ho * Wo)) << 2);
    const lo = partStart(Ho, q, parts), hi = partStart(Ho, q + 1, parts);
    for (let oy0 = lo; oy0 < hi; oy0 += r) {
      const n = min(r, hi - oy0) * Wo;
      im2colRows(col, xb, 1, Cin, H, W, H * W, Cin * H * W, kh, kw, sh, sw, ph, pw, Ho, Wo, oy0, n / Wo);
      gemm(0, 0, Cout, n, K, w, K, col, n, tmp, n, 0, ws);
      cnhwToNchwBias(yb + ((<usize>oy0 * <usize>Wo) << 2), tmp, bias, 1, Cout, n, Ho * Wo);
      activateRows(yb, Cout, Ho, Wo, oy0, oy0 + n / Wo, act, slope);
    }
  }
}

/** dx += ∂L/∂x, dw += ∂L/∂w, db += ∂L/∂b given dy = ∂L/∂y (dx or db may be 0 to skip). */
export function conv2dBackward(
  dx: usize, dw: usize, db: usize, dy: usize, x: usize, w: usize,
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
  ws: usize,
): void {
  assertConvShape(B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw);
  assertAligned16(ws);
  const path = conv2dPath(Cin, H, W, Cout, kh, kw, sh, sw, ph, pw);
  if (path == FAST_WINOGRAD) return winogradBackward(dx, dw, db, dy, x, w, B, Cin, H, W, Cout, ws, winogradTile(H, W));
  if (path == FAST_DIRECT) return direct3x3Backward(dx, dw, db, dy, x, w, B, Cin, H, W, Cout, ws);
  conv2dBackwardGemm(dx, dw, db, dy, x, w, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, ws);
}

/** conv2dBackward by im2col + GEMM, whatever the shape (the other paths' oracle). */
export function conv2dBackwardGemm(
  dx: usize, dw: usize, db: usize, dy: usize, x: usize, w: usize,
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
  ws: usize,
): void {
  assertConvShape(B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw);
  assertAligned16(ws);
  const Ho = outSize(H, kh, sh, ph), Wo = outSize(W, kw, sw, pw), K = Cin * kh * kw, HoWo = Ho * Wo;
  const dense = isDense(H, W, kh, kw, ph, pw), nb = gemmChunk(B, K * HoWo, dense);
  const col = wsCol(ws), dyc = wsTmp(ws, <usize>K * <usize>(nb * HoWo));
  if (db) channelSumsAdd(db, dy, B, Cout, HoWo);
  if (dense) {
    nchwToCnhw(dyc, dy, B, Cout, 1);
    gemm(0, 0, Cout, K, B, dyc, B, x, K, dw, K, 1, ws); // dW += dYc · x
    if (dx) gemm(1, 0, B, K, Cout, dyc, B, w, K, dx, K, 1, ws); // dx[B, K] += dYcᵀ · W
    return;
  }
  // Chunk by chunk, dW adds the chunks' columns in image order: the same k-ordered sums as one GEMM.
  for (let b0 = 0; b0 < B; b0 += nb) {
    const n = min(nb, B - b0), Nc = n * HoWo;
    const xb = x + ((<usize>b0 * <usize>(Cin * H * W)) << 2);
    nchwToCnhw(dyc, dy + ((<usize>b0 * <usize>(Cout * HoWo)) << 2), n, Cout, HoWo);
    im2col(col, xb, n, Cin, H, W, H * W, Cin * H * W, kh, kw, sh, sw, ph, pw, Ho, Wo);
    gemm(0, 1, Cout, K, Nc, dyc, Nc, col, Nc, dw, K, 1, ws);
    if (dx) {
      gemm(1, 0, K, Nc, Cout, w, K, dyc, Nc, col, Nc, 0, ws);
      col2im(dx + ((<usize>b0 * <usize>(Cin * H * W)) << 2), col, n, Cin, H, W, H * W, Cin * H * W, kh, kw, sh, sw, ph, pw, Ho, Wo);
    }
  }
}

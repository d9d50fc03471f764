// ConvTranspose2d, PyTorch semantics: weight [Cin, Cout, kh, kw], bias [Cout], x [B, Cin, H, W],
// y [B, Cout, Ho, Wo] with Ho = (H − 1)·sh − 2ph + kh + oph (dilation 1, groups 1, oph < sh).
// https://pytorch.org/docs/stable/generated/torch.nn.ConvTranspose2d.html
//
// A transposed convolution is the adjoint of Conv2d(Cout → Cin, same kernel/stride/padding) whose
// output grid is H×W, so it reuses im2col/col2im with y as the image and x's H×W as the grid:
//   forward   col[Kc, N] = Wᵀ · xc[Cin, N]   (Kc = Cout·kh·kw, xc = x channel-major, N = n·H·W for
//             chunks of n images whose column matrix stays in L2: workspace.ts im2colChunkImages)
//             y = bias + col2im(col)
//   backward  col = im2col(dy);   dW[Cin, Kc] += xc · colᵀ;   dxc[Cin, N] = W · col → dx += dxc
// Backward adds into dx, dw, db (zero them first); dx = 0 skips the input gradient.
//
// On a 1×1 input without padding (the code → 7×7 layer) it is a dense layer, y[B, Cout·kh·kw] =
// x[B, Cin] · W[Cin, Cout·kh·kw]: the GEMMs run on x, y, dx, dy directly, without col2im / im2col.
//
// In every build (as conv2d.ts's fast paths: fused multiply-adds in the relaxed build, strict and scalar
// bit-identical), the 3×3 stride-2 padding-1 forward (the U-Nets' upsampling) runs by a Winograd variant
// (winograd_s2.ts winogradS2Forward, transposed: 25 products per 2×2 input pixels and channel pair instead
// of 36, no col2im) where it does fewer products; its backward stays im2col + GEMM. Same results up to
// f32 rounding (winograd.spec.ts); the workspace covers both.

import { activateInPlace } from "./act";
import { gemm } from "./gemm";
import { im2col, col2im, col2imRows, nchwToCnhw, cnhwAddToNchw, channelSumsAdd } from "./im2col";
import { workspaceBytes, wsCol, wsTmp, im2colChunkImages, im2colBandRows } from "./workspace";
import { assertAligned16, assertConvTransposeShape } from "./checks";
import { winogradS2Forward, winogradS2Pays, winogradS2WorkspaceBytes } from "./winograd_s2";
import { runsWhole } from "./winograd_chunks";

/** Whether convTranspose2dForward takes the Winograd path (winograd_s2.ts winogradS2Forward, transposed) for this shape (any batch). */
export function convTranspose2dWinograd(Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, oph: i32, opw: i32): bool {
  return kh == 3 && kw == 3 && sh == 2 && sw == 2 && ph == 1 && pw == 1 && oph <= 1 && opw <= 1 && Cin > 1 && Cout > 1 && winogradS2Pays(H, W, true);
}

// @ts-ignore: decorator
@inline function outSize(n: i32, k: i32, s: i32, p: i32, op: i32): i32 {
  return (n - 1) * s - 2 * p + k + op;
}

/** A 1×1 input with no padding: every output pixel comes from one weight, a dense layer. */
// @ts-ignore: decorator
@inline function isDense(H: i32, W: i32, ph: i32, pw: i32, oph: i32, opw: i32): bool {
  return H == 1 && W == 1 && ph == 0 && pw == 0 && oph == 0 && opw == 0;
}

/** y[b, c, i] += bias[c] for an NCHW tensor. */
function addChannelBias(y: usize, bias: usize, B: i32, C: i32, HW: i32): void {
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const plane = y + ((<usize>(b * C + c) * <usize>HW) << 2);
      const v = load<f32>(bias + (<usize>c << 2));
      for (let i = 0; i < HW; i++) store<f32>(plane + (<usize>i << 2), load<f32>(plane + (<usize>i << 2)) + v);
    }
  }
}

/** Workspace bytes convTranspose2dForward / convTranspose2dBackward need for this shape. */
export function convTranspose2dWorkspaceBytes(
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, oph: i32, opw: i32,
): f64 {
  const Kc = Cout * kh * kw, n = <f64>im2colChunkImages(B, Kc * H * W) * <f64>H * <f64>W;
  const gemmBytes = workspaceBytes(<f64>Kc * n, <f64>Cin * n);
  if (!convTranspose2dWinograd(Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw)) return gemmBytes;
  return Math.max(gemmBytes, winogradS2WorkspaceBytes(B, Cin, H, W, Cout, true));
}

/**
 * Input rows per band of convTranspose2dForwardGemm (workspace.ts im2colBandRows: its column matrix is
 * [Kc, pixels] and its GEMM has Kc rows); H: whole images, chunked as the backward does.
 */
// @ts-ignore: decorator
@inline function gemmBandRows(H: i32, W: i32, Kc: i32, ph: i32, pw: i32, oph: i32, opw: i32): i32 {
  return isDense(H, W, ph, pw, oph, opw) ? H : im2colBandRows(H, W, Kc, Kc);
}

/**
 * Workspace bytes convTranspose2dForward alone needs (an inference model's): a large image runs in bands
 * of input rows, so this grows with the image's width, not its area.
 */
export function convTranspose2dForwardWorkspaceBytes(
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, oph: i32, opw: i32,
): f64 {
  if (convTranspose2dWinograd(Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw)) return winogradS2WorkspaceBytes(B, Cin, H, W, Cout, true);
  const Kc = Cout * kh * kw, rows = gemmBandRows(H, W, Kc, ph, pw, oph, opw);
  if (rows >= H) return convTranspose2dWorkspaceBytes(B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw);
  const n = <f64>rows * <f64>W;
  return workspaceBytes(<f64>Kc * n, <f64>Cin * n);
}

/** y[B, Cout, Ho, Wo] = conv_transpose2d(x[B, Cin, H, W], w[Cin, Cout, kh, kw]) + bias[Cout]. */
export function convTranspose2dForward(
  y: usize, x: usize, w: usize, bias: usize,
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
  oph: i32, opw: i32, ws: usize,
): void {
  convTranspose2dForwardAct(y, x, w, bias, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw, ws, 0, 0);
}

/**
 * convTranspose2dForward with an activation fused, as conv2d.ts conv2dForwardAct: per chunk on the Winograd
 * path, after the whole batch on the GEMM + col2im path (whose chunks add into overlapping outputs).
 * `accumulate` (the Winograd path only): y += the transposed conv, then the activation of the sum.
 */
export function convTranspose2dForwardAct(
  y: usize, x: usize, w: usize, bias: usize,
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
  oph: i32, opw: i32, ws: usize, act: i32, slope: f32, part: i32 = 0, parts: i32 = 1, accumulate: bool = false,
  wy0: i32 = 0, wy1: i32 = 0, wx0: i32 = 0, wx1: i32 = 0,
): void {
  assertConvTransposeShape(B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw);
  assertAligned16(ws);
  if (convTranspose2dWinograd(Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw)) {
    return winogradS2Forward(y, x, w, bias, B, Cin, H, W, Cout, true, oph, opw, ws, act, slope, false, part, parts, accumulate, wy0, wy1, wx0, wx1);
  }
  if (accumulate) unreachable(); // only the Winograd path adds into y (plan.ts accumulatesIntoSkip asks it of no other)
  // The GEMM path's bands overlap in y (col2im adds across them): not shared, one part runs it.
  if (!runsWhole(part, parts)) return;
  convTranspose2dForwardGemm(y, x, w, bias, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw, ws);
  activateInPlace(y, B * Cout * outSize(H, kh, sh, ph, oph) * outSize(W, kw, sw, pw, opw), act, slope);
}

/**
 * convTranspose2dForward by GEMM + col2im, whatever the shape (the Winograd path's oracle). Images whose
 * column matrix outgrows a chunk run one at a time in bands of input rows (gemmBandRows): the band's
 * GEMM, then its col2im (im2col.ts col2imRows), last band first so that each output element takes its
 * terms in the order of one col2im of the whole image.
 */
export function convTranspose2dForwardGemm(
  y: usize, x: usize, w: usize, bias: usize,
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
  oph: i32, opw: i32, ws: usize,
): void {
  assertConvTransposeShape(B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw);
  assertAligned16(ws);
  const Ho = outSize(H, kh, sh, ph, oph), Wo = outSize(W, kw, sw, pw, opw);
  const Kc = Cout * kh * kw, HWo = Ho * Wo, rows = gemmBandRows(H, W, Kc, ph, pw, oph, opw);
  if (rows < H) return convTranspose2dForwardGemmBands(y, x, w, bias, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw, ws, rows);
  const nb = im2colChunkImages(B, Kc * H * W);
  const col = wsCol(ws), xc = wsTmp(ws, <usize>Kc * <usize>(nb * H * W));
  if (isDense(H, W, ph, pw, oph, opw)) {
    gemm(0, 0, B, Kc, Cin, x, Cin, w, Kc, y, Kc, 0, ws); // y = x · W
    if (bias) addChannelBias(y, bias, B, Cout, HWo);
    return;
  }
  fillBias(y, bias, B, Cout, HWo);
  for (let b0 = 0; b0 < B; b0 += nb) {
    const n = min(nb, B - b0), Nc = n * H * W;
    nchwToCnhw(xc, x + ((<usize>b0 * <usize>(Cin * H * W)) << 2), n, Cin, H * W);
    gemm(1, 0, Kc, Nc, Cin, w, Kc, xc, Nc, col, Nc, 0, ws);
    col2im(y + ((<usize>b0 * <usize>(Cout * HWo)) << 2), col, n, Cout, Ho, Wo, HWo, Cout * HWo, kh, kw, sh, sw, ph, pw, H, W);
  }
}

/** y starts as the bias (or zero), then the overlapping kernel windows add in. */
function fillBias(y: usize, bias: usize, B: i32, Cout: i32, HWo: i32): void {
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < Cout; c++) {
      const plane = y + ((<usize>(b * Cout + c) * <usize>HWo) << 2);
      const v: f32 = bias ? load<f32>(bias + (<usize>c << 2)) : 0;
      for (let i = 0; i < HWo; i++) store<f32>(plane + (<usize>i << 2), v);
    }
  }
}

/**
 * convTranspose2dForwardGemm image by image in bands of `rows` input rows (≥ 1; at most H take effect):
 * the band's GEMM, then its col2im (im2col.ts col2imRows), last band first so that each output element
 * takes its terms in the order of one col2im of the whole image. Fits convTranspose2dForwardWorkspaceBytes
 * for gemmBandRows' rows; the specs (bands.spec.ts) force other heights.
 */
export function convTranspose2dForwardGemmBands(
  y: usize, x: usize, w: usize, bias: usize,
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
  oph: i32, opw: i32, ws: usize, rows: i32,
): void {
  assertConvTransposeShape(B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw);
  assertAligned16(ws);
  assert(rows >= 1, "conv_transpose2d: band of no rows");
  const Ho = outSize(H, kh, sh, ph, oph), Wo = outSize(W, kw, sw, pw, opw), Kc = Cout * kh * kw, HWo = Ho * Wo, r = min(rows, H);
  const col = wsCol(ws), xc = wsTmp(ws, <usize>Kc * <usize>(r * W));
  fillBias(y, bias, B, Cout, HWo);
  for (let b = 0; b < B; b++) {
    const xb = x + ((<usize>b * <usize>(Cin * H * W)) << 2), yb = y + ((<usize>b * <usize>(Cout * HWo)) << 2);
    for (let iy0 = (H - 1) / r * r; iy0 >= 0; iy0 -= r) {
      const n = min(r, H - iy0) * W;
      nchwToCnhw(xc, xb + ((<usize>iy0 * <usize>W) << 2), 1, Cin, n, H * W);
      gemm(1, 0, Kc, n, Cin, w, Kc, xc, n, col, n, 0, ws);
      col2imRows(yb, col, 1, Cout, Ho, Wo, HWo, Cout * HWo, kh, kw, sh, sw, ph, pw, H, W, iy0, n / W);
    }
  }
}

/** dx += ∂L/∂x, dw += ∂L/∂w, db += ∂L/∂b given dy = ∂L/∂y (dx or db may be 0 to skip). */
export function convTranspose2dBackward(
  dx: usize, dw: usize, db: usize, dy: usize, x: usize, w: usize,
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
  oph: i32, opw: i32, ws: usize,
): void {
  assertConvTransposeShape(B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw);
  assertAligned16(ws);
  const Ho = outSize(H, kh, sh, ph, oph), Wo = outSize(W, kw, sw, pw, opw);
  const Kc = Cout * kh * kw, HWo = Ho * Wo, nb = im2colChunkImages(B, Kc * H * W);
  const col = wsCol(ws), xc = wsTmp(ws, <usize>Kc * <usize>(nb * H * W));
  if (db) channelSumsAdd(db, dy, B, Cout, HWo);
  if (isDense(H, W, ph, pw, oph, opw)) {
    gemm(1, 0, Cin, Kc, B, x, Cin, dy, Kc, dw, Kc, 1, ws); // dW += xᵀ · dy
    if (dx) gemm(0, 1, B, Cin, Kc, dy, Kc, w, Kc, dx, Cin, 1, ws); // dx += dy · Wᵀ
    return;
  }
  // Chunk by chunk, dW adds the chunks' columns in image order: the same k-ordered sums as one GEMM.
  for (let b0 = 0; b0 < B; b0 += nb) {
    const n = min(nb, B - b0), Nc = n * H * W;
    im2col(col, dy + ((<usize>b0 * <usize>(Cout * HWo)) << 2), n, Cout, Ho, Wo, HWo, Cout * HWo, kh, kw, sh, sw, ph, pw, H, W);
    nchwToCnhw(xc, x + ((<usize>b0 * <usize>(Cin * H * W)) << 2), n, Cin, H * W);
    gemm(0, 1, Cin, Kc, Nc, xc, Nc, col, Nc, dw, Kc, 1, ws);
    if (dx) {
      // xc has served dW; reuse it for the channel-major input gradient.
      gemm(0, 0, Cin, Nc, Kc, w, Kc, col, Nc, xc, Nc, 0, ws);
      cnhwAddToNchw(dx + ((<usize>b0 * <usize>(Cin * H * W)) << 2), xc, n, Cin, H * W);
    }
  }
}

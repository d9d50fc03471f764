// Conv2d, PyTorch semantics: weight [Cout, Cin, kh, kw], bias [Cout], x [B, Cin, H, W] NCHW,
// y [B, Cout, Ho, Wo] with Ho = ⌊(H + 2ph − kh)/sh⌋ + 1 (dilation 1, groups 1).
// https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html
//
// Both passes are one GEMM over the whole batch (N = B·Ho·Wo columns) on im2col's column matrix:
//   forward   tmp[Cout, N]  = W[Cout, K] · col[K, N]            (K = Cin·kh·kw), then y = tmp + bias (→ NCHW)
//   backward  dW[Cout, K]  += dYc[Cout, N] · col[K, N]ᵀ          (dYc = dy channel-major)
//             dcol[K, N]    = W[Cout, K]ᵀ · dYc[Cout, N],  dx += col2im(dcol)
// Backward adds into dx, dw, db (zero them first); dx = 0 skips the input gradient (first layer).
//
// A kernel that covers the whole unpadded input (the 7×7 conv to a 1×1 code) is a dense layer: its
// column matrix is just x transposed, so the GEMMs read x [B, K] directly and write dx directly —
// no im2col / col2im, same sums in the same order.

import { gemm } from "./gemm";
import { im2col, col2im, cnhwToNchwBias, nchwToCnhw, channelSumsAdd } from "./im2col";
import { workspaceBytes, wsCol, wsTmp } from "./workspace";

// @ts-ignore: decorator
@inline function outSize(n: i32, k: i32, s: i32, p: i32): i32 {
  return (n + 2 * p - k) / s + 1;
}

/** The kernel covers the whole unpadded input: one output pixel, the column matrix is xᵀ. */
// @ts-ignore: decorator
@inline function isDense(H: i32, W: i32, kh: i32, kw: i32, ph: i32, pw: i32): bool {
  return kh == H && kw == W && ph == 0 && pw == 0;
}

/** Workspace bytes conv2dForward / conv2dBackward need for this shape. */
export function conv2dWorkspaceBytes(
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
): f64 {
  const n = <f64>B * <f64>outSize(H, kh, sh, ph) * <f64>outSize(W, kw, sw, pw);
  return workspaceBytes(<f64>Cin * <f64>kh * <f64>kw * n, <f64>Cout * n);
}

/** y[B, Cout, Ho, Wo] = conv2d(x[B, Cin, H, W], w[Cout, Cin, kh, kw]) + bias[Cout] (bias may be 0). */
export function conv2dForward(
  y: usize, x: usize, w: usize, bias: usize,
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
  ws: usize,
): void {
  const Ho = outSize(H, kh, sh, ph), Wo = outSize(W, kw, sw, pw);
  const N = B * Ho * Wo, K = Cin * kh * kw;
  const col = wsCol(ws), tmp = wsTmp(ws, <usize>K * <usize>N);
  if (isDense(H, W, kh, kw, ph, pw)) {
    gemm(0, 1, Cout, B, K, w, K, x, K, tmp, B, 0, ws); // tmp[Cout, B] = W · xᵀ
    cnhwToNchwBias(y, tmp, bias, B, Cout, 1);
    return;
  }
  im2col(col, x, B, Cin, H, W, H * W, Cin * H * W, kh, kw, sh, sw, ph, pw, Ho, Wo);
  gemm(0, 0, Cout, N, K, w, K, col, N, tmp, N, 0, ws);
  cnhwToNchwBias(y, tmp, bias, B, Cout, Ho * Wo);
}

/** dx += ∂L/∂x, dw += ∂L/∂w, db += ∂L/∂b given dy = ∂L/∂y (dx or db may be 0 to skip). */
export function conv2dBackward(
  dx: usize, dw: usize, db: usize, dy: usize, x: usize, w: usize,
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
  ws: usize,
): void {
  const Ho = outSize(H, kh, sh, ph), Wo = outSize(W, kw, sw, pw);
  const N = B * Ho * Wo, K = Cin * kh * kw;
  const col = wsCol(ws), dyc = wsTmp(ws, <usize>K * <usize>N);
  if (db) channelSumsAdd(db, dy, B, Cout, Ho * Wo);
  nchwToCnhw(dyc, dy, B, Cout, Ho * Wo);
  if (isDense(H, W, kh, kw, ph, pw)) {
    gemm(0, 0, Cout, K, B, dyc, B, x, K, dw, K, 1, ws); // dW += dYc · x
    if (dx) gemm(1, 0, B, K, Cout, dyc, B, w, K, dx, K, 1, ws); // dx[B, K] += dYcᵀ · W
    return;
  }
  im2col(col, x, B, Cin, H, W, H * W, Cin * H * W, kh, kw, sh, sw, ph, pw, Ho, Wo);
  gemm(0, 1, Cout, K, N, dyc, N, col, N, dw, K, 1, ws);
  if (dx) {
    gemm(1, 0, K, N, Cout, w, K, dyc, N, col, N, 0, ws);
    col2im(dx, col, B, Cin, H, W, H * W, Cin * H * W, kh, kw, sh, sw, ph, pw, Ho, Wo);
  }
}

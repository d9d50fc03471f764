// Preconditions the kernels assert at their entry, as XNNPACK's micro-kernels do: checked in the
// debug build the kernel specs run (as-pect.asconfig.json, as-pect.relaxed.asconfig.json:
// "noAssert": false) and compiled out of the release .wasm (asconfig.json: "noAssert": true). There
// assert(c) still compiles c and drops it, and the optimizer deletes it only if it cannot trap: keep
// conditions to comparisons, adds and multiplies (no division, no calls). The shape checks both conv
// files make live here; the GEMM, im2col, Winograd and elementwise kernels assert their own.

/** `p` is 16-byte aligned: a workspace or scratch whose parts the kernel lays out 16-byte aligned from it. */
// @ts-ignore: decorator
@inline export function assertAligned16(p: usize): void {
  assert((p & 15) == 0, "workspace / scratch pointer not 16-byte aligned");
}

/**
 * A conv2d's shape: counts ≥ 0, an image of at least 1×1, kernel and stride ≥ 1, padding ≥ 0, and a
 * kernel that fits the padded image (else (H + 2ph − kh) / sh + 1 would truncate to a bogus output side).
 */
// @ts-ignore: decorator
@inline export function assertConvShape(
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
): void {
  assert(B >= 0 && Cin >= 0 && Cout >= 0 && H >= 1 && W >= 1, "conv: negative count or empty image");
  assert(kh >= 1 && kw >= 1 && sh >= 1 && sw >= 1 && ph >= 0 && pw >= 0, "conv: kernel and stride must be ≥ 1, padding ≥ 0");
  assert(H + 2 * ph >= kh && W + 2 * pw >= kw, "conv: kernel larger than the padded image");
}

/**
 * A conv_transpose2d's shape: as a conv's, output padding 0 ≤ op < stride (PyTorch's rule; then the
 * output is the image whose conv2d by the same kernel, stride and padding is the input, as col2im
 * assumes) and an output of at least 1×1.
 */
// @ts-ignore: decorator
@inline export function assertConvTransposeShape(
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32, oph: i32, opw: i32,
): void {
  assert(B >= 0 && Cin >= 0 && Cout >= 0 && H >= 1 && W >= 1, "conv_transpose: negative count or empty image");
  assert(kh >= 1 && kw >= 1 && sh >= 1 && sw >= 1 && ph >= 0 && pw >= 0, "conv_transpose: kernel and stride must be ≥ 1, padding ≥ 0");
  assert(oph >= 0 && oph < sh && opw >= 0 && opw < sw, "conv_transpose: output padding must be in [0, stride)");
  assert((H - 1) * sh - 2 * ph + kh + oph >= 1 && (W - 1) * sw - 2 * pw + kw + opw >= 1, "conv_transpose: empty output");
}

// Elementwise activations over n floats. Forward writes y; backward adds into dx (zero it first).
// ReLU's gradient is taken where the output is > 0 (PyTorch's threshold_backward); the sigmoid's
// from its output, y·(1 − y). SIMD builds do 4 lanes at a time with the same operations in the
// same order as the scalar tail, so every build gives the same bits, except the relaxed build's
// sigmoid forward: 4 lanes of a polynomial exp (exp4) instead of the scalar library exp, ~2 ulp apart.

import { BUILD_MODE, MODE_RELAXED, MODE_SCALAR, madd } from "./mode";
import { OP_LEAKY_RELU, OP_RELU } from "./abi";

/**
 * y = act(y) in place, act OP_RELU or OP_LEAKY_RELU (abi.ts; anything else: nothing): a convolution's
 * fused activation (model.ts), run on each chunk of its output while that is still in cache. The
 * same operations as the layers' own forward, so the same bits.
 */
export function activateInPlace(y: usize, n: i32, act: i32, slope: f32): void {
  if (act == OP_RELU) reluForward(y, y, n);
  else if (act == OP_LEAKY_RELU) leakyReluForward(y, y, n, slope);
}

/** activateInPlace on rows r0 … r1 − 1 of each of the C H×W planes at y (a band of a layer's output). */
export function activateRows(y: usize, C: i32, H: i32, W: i32, r0: i32, r1: i32, act: i32, slope: f32, x0: i32 = 0, x1: i32 = W): void {
  if (act == 0 || r1 <= r0) return;
  if (x0 == 0 && x1 == W) {
    for (let c = 0; c < C; c++) activateInPlace(y + ((<usize>(c * H + r0) * <usize>W) << 2), (r1 - r0) * W, act, slope);
    return;
  }
  for (let c = 0; c < C; c++) for (let r = r0; r < r1; r++) {
    activateInPlace(y + ((<usize>(c * H + r) * <usize>W + <usize>x0) << 2), x1 - x0, act, slope);
  }
}

/** y = max(x, 0). */
export function reluForward(y: usize, x: usize, n: i32): void {
  assert(n >= 0, "reluForward: n < 0");
  let i = 0;
  if (BUILD_MODE != MODE_SCALAR) {
    const zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(x + o);
      v128.store(y + o, v128.and(v, f32x4.gt(v, zero))); // NaN and −0 → +0, as the scalar path
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, v > 0 ? v : 0);
  }
}

/** dx += dy · [y > 0]. */
export function reluBackward(dx: usize, dy: usize, y: usize, n: i32): void {
  assert(n >= 0, "reluBackward: n < 0");
  let i = 0;
  if (BUILD_MODE != MODE_SCALAR) {
    const zero = f32x4.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const d = v128.load(dx + o);
      v128.store(dx + o, v128.bitselect(f32x4.add(d, v128.load(dy + o)), d, f32x4.gt(v128.load(y + o), zero)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    if (load<f32>(y + o) > 0) store<f32>(dx + o, load<f32>(dx + o) + load<f32>(dy + o));
  }
}

/** y = x > 0 ? x : slope·x. */
export function leakyReluForward(y: usize, x: usize, n: i32, slope: f32): void {
  assert(n >= 0, "leakyReluForward: n < 0");
  let i = 0;
  if (BUILD_MODE != MODE_SCALAR) {
    const zero = f32x4.splat(0), k = f32x4.splat(slope);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const v = v128.load(x + o);
      v128.store(y + o, v128.bitselect(v, f32x4.mul(v, k), f32x4.gt(v, zero)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, v > 0 ? v : v * slope);
  }
}

/** dx += dy · (x > 0 ? 1 : slope). */
export function leakyReluBackward(dx: usize, dy: usize, x: usize, n: i32, slope: f32): void {
  assert(n >= 0, "leakyReluBackward: n < 0");
  let i = 0;
  if (BUILD_MODE != MODE_SCALAR) {
    const zero = f32x4.splat(0), k = f32x4.splat(slope);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const g = v128.load(dy + o);
      const d = v128.bitselect(g, f32x4.mul(g, k), f32x4.gt(v128.load(x + o), zero));
      v128.store(dx + o, f32x4.add(v128.load(dx + o), d));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(dy + o);
    store<f32>(dx + o, load<f32>(dx + o) + (load<f32>(x + o) > 0 ? g : g * slope));
  }
}

/** y = 1 / (1 + e^(−x)). */
export function sigmoidForward(y: usize, x: usize, n: i32): void {
  assert(n >= 0, "sigmoidForward: n < 0");
  let i = 0;
  if (BUILD_MODE == MODE_RELAXED) {
    const one = f32x4.splat(1);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(v128.load(x + o))))));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, <f32>1 / (<f32>1 + Mathf.exp(-load<f32>(x + o))));
  }
}

/** dx += dy · y · (1 − y). */
export function sigmoidBackward(dx: usize, dy: usize, y: usize, n: i32): void {
  assert(n >= 0, "sigmoidBackward: n < 0");
  let i = 0;
  if (BUILD_MODE != MODE_SCALAR) {
    const one = f32x4.splat(1);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const s = v128.load(y + o);
      v128.store(dx + o, f32x4.add(v128.load(dx + o), f32x4.mul(f32x4.mul(v128.load(dy + o), f32x4.sub(one, s)), s)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const s = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dx + o) + load<f32>(dy + o) * (<f32>1 - s) * s);
  }
}

/**
 * e^x in 4 lanes (Cephes' expf): x = n·ln 2 + r with |r| ≤ ½ ln 2 (ln 2 split in two for an exact
 * product), a degree-5 minimax polynomial for e^r, 2^n through the exponent bits. Within ~2 ulp of
 * Mathf.exp on [−87, 87]; x is clamped there (sigmoid's tails are 0 and 1 to f32 precision anyway).
 */
// @ts-ignore: decorator
@inline function exp4(x: v128): v128 {
  x = f32x4.max(f32x4.min(x, f32x4.splat(87)), f32x4.splat(-87));
  const n = f32x4.nearest(f32x4.mul(x, f32x4.splat(1.44269504088896341)));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, f32x4.splat(0.693359375))), f32x4.mul(n, f32x4.splat(-2.12194440e-4)));
  let p = madd(f32x4.splat(1.9875691500e-4), r, f32x4.splat(1.3981999507e-3));
  p = madd(p, r, f32x4.splat(8.3334519073e-3));
  p = madd(p, r, f32x4.splat(4.1665795894e-2));
  p = madd(p, r, f32x4.splat(1.6666665459e-1));
  p = madd(p, r, f32x4.splat(5.0000001201e-1));
  const er = f32x4.add(madd(p, f32x4.mul(r, r), r), f32x4.splat(1));
  return f32x4.mul(er, i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23));
}

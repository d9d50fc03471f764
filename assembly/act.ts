// Elementwise activations over n floats. Forward writes y; backward adds into dx (zero it first).
// ReLU's gradient is taken where the output is > 0 (PyTorch's threshold_backward); the sigmoid's
// from its output, y·(1 − y). SIMD builds do 4 lanes at a time with the same operations in the
// same order as the scalar tail, so every build gives the same bits.

import { BUILD_MODE, MODE_SCALAR } from "./mode";

/** y = max(x, 0). */
export function reluForward(y: usize, x: usize, n: i32): void {
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
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, <f32>1 / (<f32>1 + Mathf.exp(-load<f32>(x + o))));
  }
}

/** dx += dy · y · (1 − y). */
export function sigmoidBackward(dx: usize, dy: usize, y: usize, n: i32): void {
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

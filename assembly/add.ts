// Elementwise sum of two tensors of n floats (skip connections, residual outputs). SIMD builds add
// 4 lanes at a time: the same single f32 add per element as the scalar tail, so the same bits.

import { BUILD_MODE, MODE_SCALAR } from "./mode";

/** y = a + b. */
export function addForward(y: usize, a: usize, b: usize, n: i32): void {
  assert(n >= 0, "addForward: n < 0");
  let i = 0;
  if (BUILD_MODE != MODE_SCALAR) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(y + o, f32x4.add(v128.load(a + o), v128.load(b + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(a + o) + load<f32>(b + o));
  }
}

/** da += dy, db += dy (either may be 0 to skip). */
export function addBackward(da: usize, db: usize, dy: usize, n: i32): void {
  assert(n >= 0, "addBackward: n < 0");
  if (da) addInto(da, dy, n);
  if (db) addInto(db, dy, n);
}

/** d += g over n floats (also col2im's stride-1 rows and the channel-major gradient adds). */
export function addInto(d: usize, g: usize, n: i32): void {
  assert(n >= 0, "addInto: n < 0");
  let i = 0;
  if (BUILD_MODE != MODE_SCALAR) {
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      v128.store(d + o, f32x4.add(v128.load(d + o), v128.load(g + o)));
    }
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(d + o, load<f32>(d + o) + load<f32>(g + o));
  }
}

/**
 * y = x + x2[:, :C] per image (PyTorch `x + t[:, :C]`): B images of n floats in x and y, of n2 ≥ n
 * in x2 (a tensor with more channels of the same size, e.g. a network input holding a noise-level
 * map after the image's channels). n2 == n is addForward over the whole batch. Only the elements
 * [i0, i0 + m) of each image where given (a thread's share of the layer, model.ts): elementwise, so
 * the same bits.
 */
export function addSlicedForward(y: usize, x: usize, x2: usize, B: i32, n: i32, n2: i32, i0: i32 = 0, m: i32 = n): void {
  assert(n2 >= n, "addSlicedForward: x2 smaller than x");
  assert(i0 >= 0 && m >= 0 && i0 + m <= n, "addSlicedForward: elements outside the image");
  if (n2 == n && m == n) {
    addForward(y, x, x2, B * n);
    return;
  }
  for (let b = 0; b < B; b++) {
    const o = (<usize>b * <usize>n + <usize>i0) << 2;
    addForward(y + o, x + o, x2 + ((<usize>b * <usize>n2 + <usize>i0) << 2), m);
  }
}

/** The gradients of addSlicedForward: dx += dy, dx2[:, :C] += dy (either 0 to skip). */
export function addSlicedBackward(dx: usize, dx2: usize, dy: usize, B: i32, n: i32, n2: i32): void {
  assert(n2 >= n, "addSlicedBackward: x2 smaller than x");
  if (dx) addInto(dx, dy, B * n);
  if (!dx2) return;
  if (n2 == n) {
    addInto(dx2, dy, B * n);
    return;
  }
  for (let b = 0; b < B; b++) addInto(dx2 + ((<usize>b * <usize>n2) << 2), dy + ((<usize>b * <usize>n) << 2), n);
}

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

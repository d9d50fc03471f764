// Elementwise sum of two tensors of n floats (skip connections, residual outputs).

/** y = a + b. */
export function addForward(y: usize, a: usize, b: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(y + o, load<f32>(a + o) + load<f32>(b + o));
  }
}

/** da += dy, db += dy (either may be 0 to skip). */
export function addBackward(da: usize, db: usize, dy: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(dy + o);
    if (da) store<f32>(da + o, load<f32>(da + o) + g);
    if (db) store<f32>(db + o, load<f32>(db + o) + g);
  }
}

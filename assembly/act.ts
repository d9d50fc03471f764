// Elementwise activations over n floats. Forward writes y; backward adds into dx (zero it first).
// ReLU's gradient is taken where the output is > 0 (PyTorch's threshold_backward); the sigmoid's
// from its output, y·(1 − y).

/** y = max(x, 0). */
export function reluForward(y: usize, x: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, v > 0 ? v : 0);
  }
}

/** dx += dy · [y > 0]. */
export function reluBackward(dx: usize, dy: usize, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    if (load<f32>(y + o) > 0) store<f32>(dx + o, load<f32>(dx + o) + load<f32>(dy + o));
  }
}

/** y = x > 0 ? x : slope·x. */
export function leakyReluForward(y: usize, x: usize, n: i32, slope: f32): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const v = load<f32>(x + o);
    store<f32>(y + o, v > 0 ? v : v * slope);
  }
}

/** dx += dy · (x > 0 ? 1 : slope). */
export function leakyReluBackward(dx: usize, dy: usize, x: usize, n: i32, slope: f32): void {
  for (let i = 0; i < n; i++) {
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
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const s = load<f32>(y + o);
    store<f32>(dx + o, load<f32>(dx + o) + load<f32>(dy + o) * (<f32>1 - s) * s);
  }
}

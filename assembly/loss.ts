// Losses over n predictions with mean reduction (PyTorch MSELoss / L1Loss defaults).
// The forward sum runs in f64, so the loss is the correctly rounded mean to within an ulp of f32
// whatever n is; PyTorch's cascaded f32 sum lands within the same distance.

/** mean((pred − target)²) */
export function mseForward(pred: usize, target: usize, n: i32): f32 {
  assert(n >= 0, "mseForward: n < 0");
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const d = <f64>(load<f32>(pred + o) - load<f32>(target + o));
    s += d * d;
  }
  return <f32>(s / <f64>n);
}

/**
 * dpred += scale · 2(pred − target)/divisor over n predictions (scale = ∂L/∂loss, 1 for a plain
 * loss; divisor = the whole batch's count, which exceeds n when a thread does one slice of it).
 */
export function mseBackward(dpred: usize, pred: usize, target: usize, n: i32, divisor: i32, scale: f32): void {
  assert(n >= 0 && divisor >= 1, "mseBackward: n < 0 or divisor < 1");
  const k = <f32>(2.0 / <f64>divisor) * scale;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(dpred + o, load<f32>(dpred + o) + k * (load<f32>(pred + o) - load<f32>(target + o)));
  }
}

/** mean(|pred − target|) */
export function l1Forward(pred: usize, target: usize, n: i32): f32 {
  assert(n >= 0, "l1Forward: n < 0");
  let s: f64 = 0;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    s += Math.abs(<f64>(load<f32>(pred + o) - load<f32>(target + o)));
  }
  return <f32>(s / <f64>n);
}

/** dpred += scale · sign(pred − target)/divisor (0 where equal, as torch.sign); divisor as mseBackward. */
export function l1Backward(dpred: usize, pred: usize, target: usize, n: i32, divisor: i32, scale: f32): void {
  assert(n >= 0 && divisor >= 1, "l1Backward: n < 0 or divisor < 1");
  const k = <f32>(1.0 / <f64>divisor) * scale;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const d = load<f32>(pred + o) - load<f32>(target + o);
    const g: f32 = d > 0 ? k : d < 0 ? -k : 0;
    store<f32>(dpred + o, load<f32>(dpred + o) + g);
  }
}

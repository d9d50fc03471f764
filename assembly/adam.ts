// Adam exactly as torch.optim.Adam (PyTorch 1.13, single-tensor path, amsgrad off):
//   g ← g + wd·p;  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g·g
//   p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε)          (ε added after the sqrt)
// The bias corrections are Python floats (f64) in PyTorch and enter the f32 tensor ops as f32
// scalars; the same roundings are made here, in the same order.
// https://pytorch.org/docs/1.13/generated/torch.optim.Adam.html

/** One Adam step over n parameters; `step` is t after incrementing (1 on the first step). */
export function adamStep(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  lr: f64, beta1: f64, beta2: f64, eps: f64, weightDecay: f64, step: i32,
): void {
  const bc1 = 1.0 - Math.pow(beta1, <f64>step);
  const bc2 = 1.0 - Math.pow(beta2, <f64>step);
  const negStepSize = <f32>(-(lr / bc1));
  const bc2Sqrt = <f32>Math.sqrt(bc2);
  const b1 = <f32>beta1, b2 = <f32>beta2;
  const a1 = <f32>(1.0 - beta1), a2 = <f32>(1.0 - beta2);
  const e = <f32>eps, wd = <f32>weightDecay;
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const pi = load<f32>(p + o);
    let gi = load<f32>(g + o);
    if (wd != 0) gi = gi + wd * pi;
    const mi = load<f32>(m + o) * b1 + a1 * gi;
    const vi = load<f32>(v + o) * b2 + a2 * gi * gi;
    store<f32>(m + o, mi);
    store<f32>(v + o, vi);
    const denom = Mathf.sqrt(vi) / bc2Sqrt + e;
    store<f32>(p + o, pi + negStepSize * mi / denom);
  }
}

/** Clears n gradient floats (one call for the whole gradient arena before each backward pass). */
export function zeroGrad(g: usize, n: i32): void {
  memory.fill(g, 0, <usize>n << 2);
}

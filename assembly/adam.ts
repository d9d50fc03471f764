// Adam exactly as torch.optim.Adam (PyTorch 1.13, single-tensor path, amsgrad off):
//   g ← g + wd·p;  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g·g
//   p ← p − (lr / (1−β1ᵗ)) · m / (√v / √(1−β2ᵗ) + ε)          (ε added after the sqrt)
// The bias corrections are Python floats (f64) in PyTorch and enter the f32 tensor ops as f32
// scalars; the same roundings are made here, in the same order. The SIMD loop performs exactly the
// scalar loop's operations lane by lane (sqrt and div are correctly rounded, no fused multiply-add),
// so every build gives the same bits.
// https://pytorch.org/docs/1.13/generated/torch.optim.Adam.html

import { BUILD_MODE, MODE_SCALAR } from "./mode";
import { addInto } from "./add";
import {
  STEP_LR, STEP_BETA1, STEP_BETA2, STEP_EPS, STEP_WEIGHT_DECAY, STEP_T, STEP_PARAMS, STEP_GRADS, STEP_M, STEP_V,
  STEP_ARENA_COUNT, STEP_ARENAS,
} from "./abi";

/** One Adam step over n parameters; `step` is t after incrementing (1 on the first step). */
export function adamStep(
  p: usize, g: usize, m: usize, v: usize, n: i32,
  lr: f64, beta1: f64, beta2: f64, eps: f64, weightDecay: f64, step: i32,
): void {
  assert(n >= 0 && step >= 1, "adamStep: n < 0 or step < 1 (the bias corrections divide by 1 − β^step)");
  const bc1 = 1.0 - Math.pow(beta1, <f64>step);
  const bc2 = 1.0 - Math.pow(beta2, <f64>step);
  const negStepSize = <f32>(-(lr / bc1));
  const bc2Sqrt = <f32>Math.sqrt(bc2);
  const b1 = <f32>beta1, b2 = <f32>beta2;
  const a1 = <f32>(1.0 - beta1), a2 = <f32>(1.0 - beta2);
  const e = <f32>eps, wd = <f32>weightDecay;
  let i = 0;
  if (BUILD_MODE != MODE_SCALAR) {
    const vb1 = f32x4.splat(b1), vb2 = f32x4.splat(b2), va1 = f32x4.splat(a1), va2 = f32x4.splat(a2);
    const ve = f32x4.splat(e), vwd = f32x4.splat(wd), vns = f32x4.splat(negStepSize), vbc2 = f32x4.splat(bc2Sqrt);
    for (; i + 4 <= n; i += 4) {
      const o = <usize>i << 2;
      const pi = v128.load(p + o);
      let gi = v128.load(g + o);
      if (wd != 0) gi = f32x4.add(gi, f32x4.mul(vwd, pi));
      const mi = f32x4.add(f32x4.mul(v128.load(m + o), vb1), f32x4.mul(va1, gi));
      const vi = f32x4.add(f32x4.mul(v128.load(v + o), vb2), f32x4.mul(f32x4.mul(va2, gi), gi));
      v128.store(m + o, mi);
      v128.store(v + o, vi);
      const denom = f32x4.add(f32x4.div(f32x4.sqrt(vi), vbc2), ve);
      v128.store(p + o, f32x4.add(pi, f32x4.div(f32x4.mul(vns, mi), denom)));
    }
  }
  for (; i < n; i++) {
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

/**
 * One thread's share of a threaded step (the step record's layout is in abi.ts), parameters [lo, hi): adds the other threads' gradient
 * arenas into g in thread order, then runs adamStep on that range. Each element gets exactly the
 * operations of the one-thread sum-then-step, so any split gives the same bits.
 */
export function adamStepShare(rec: usize, lo: i32, hi: i32): void {
  if (hi <= lo) return;
  const o = <usize>lo << 2, n = hi - lo;
  const g = <usize>load<u32>(rec + STEP_GRADS) + o;
  const nArenas = load<i32>(rec + STEP_ARENA_COUNT);
  for (let k = 0; k < nArenas; k++) addInto(g, <usize>load<u32>(rec + STEP_ARENAS + (<usize>k << 2)) + o, n);
  adamStep(<usize>load<u32>(rec + STEP_PARAMS) + o, g, <usize>load<u32>(rec + STEP_M) + o, <usize>load<u32>(rec + STEP_V) + o, n,
    load<f64>(rec + STEP_LR), load<f64>(rec + STEP_BETA1), load<f64>(rec + STEP_BETA2), load<f64>(rec + STEP_EPS),
    load<f64>(rec + STEP_WEIGHT_DECAY), load<i32>(rec + STEP_T));
}

/** Clears n gradient floats (one call for the whole gradient arena before each backward pass). */
export function zeroGrad(g: usize, n: i32): void {
  assert(n >= 0, "zeroGrad: n < 0");
  memory.fill(g, 0, <usize>n << 2);
}

/**
 * Index of the first non-finite value (NaN, ±Inf) among n floats at p, or −1: the trainer checks
 * the weights after every step (a finite loss can hide NaN weights behind ReLU). x − x is 0 for
 * finite x and NaN otherwise; the SIMD loop tests four at a time and rescans the hit.
 */
export function firstNonFinite(p: usize, n: i32): i32 {
  let i = 0;
  if (BUILD_MODE != MODE_SCALAR) {
    for (; i + 16 <= n; i += 16) {
      const o = p + (<usize>i << 2);
      const a = v128.load(o), b = v128.load(o, 16), c = v128.load(o, 32), d = v128.load(o, 48);
      const z = f32x4.add(f32x4.add(f32x4.sub(a, a), f32x4.sub(b, b)), f32x4.add(f32x4.sub(c, c), f32x4.sub(d, d)));
      if (!v128.all_true<i32>(f32x4.eq(z, f32x4.splat(0)))) break;
    }
  }
  for (; i < n; i++) {
    const x = load<f32>(p + (<usize>i << 2));
    if (x - x != 0) return i;
  }
  return -1;
}

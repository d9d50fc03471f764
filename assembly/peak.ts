// The machine's SIMD ceiling, for the benchmark's "% of peak": 12 independent f32x4 multiply-add
// chains (the measured sweet spot: 12 accumulators fit the registers with room for the operands),
// fused in the relaxed build, mul + add in the strict one. Each iteration is 12 × 4 × 2 flops.
// Each chain is `c = x·y + c`, the GEMM's own form: only the add (or the fused op) is on the
// chain. With `c = c·x + y` the strict build's multiply sat on the chain too, so its "peak" was
// latency-bound (46.6 GFLOP/s here) and strict GEMMs measured above 100 %. The engine may compute
// the shared product x·y once per iteration; then the strict figure is bounded by the adds alone,
// which over-states the ceiling on CPUs where adds and multiplies share ports: "% of peak" errs low.

import { BUILD_MODE, MODE_SCALAR, madd } from "./mode";

/** Runs `iters` iterations; returns a value that depends on every chain (so nothing is optimised away). */
export function peakMadd(iters: i32, x: f32, y: f32): f32 {
  if (BUILD_MODE == MODE_SCALAR) {
    let a: f32 = 0, b: f32 = 0, c: f32 = 0, d: f32 = 0;
    for (let i = 0; i < iters; i++) {
      a = x * y + a; b = x * y + b; c = x * y + c; d = x * y + d;
    }
    return a + b + c + d;
  } else {
    const vx = f32x4.splat(x), vy = f32x4.splat(y);
    let c0 = f32x4.splat(0), c1 = f32x4.splat(1), c2 = f32x4.splat(2), c3 = f32x4.splat(3);
    let c4 = f32x4.splat(4), c5 = f32x4.splat(5), c6 = f32x4.splat(6), c7 = f32x4.splat(7);
    let c8 = f32x4.splat(8), c9 = f32x4.splat(9), c10 = f32x4.splat(10), c11 = f32x4.splat(11);
    for (let i = 0; i < iters; i++) {
      c0 = madd(vx, vy, c0); c1 = madd(vx, vy, c1); c2 = madd(vx, vy, c2); c3 = madd(vx, vy, c3);
      c4 = madd(vx, vy, c4); c5 = madd(vx, vy, c5); c6 = madd(vx, vy, c6); c7 = madd(vx, vy, c7);
      c8 = madd(vx, vy, c8); c9 = madd(vx, vy, c9); c10 = madd(vx, vy, c10); c11 = madd(vx, vy, c11);
    }
    const s = f32x4.add(f32x4.add(f32x4.add(c0, c1), f32x4.add(c2, c3)), f32x4.add(f32x4.add(c4, c5), f32x4.add(c6, c7)));
    const t = f32x4.add(f32x4.add(c8, c9), f32x4.add(c10, c11));
    const u = f32x4.add(s, t);
    return f32x4.extract_lane(u, 0) + f32x4.extract_lane(u, 1) + f32x4.extract_lane(u, 2) + f32x4.extract_lane(u, 3);
  }
}

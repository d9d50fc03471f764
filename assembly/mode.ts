// The build mode is a compile-time integer constant set by `asc --use MODE=n` (see asconfig.json):
//   0 = scalar (no SIMD at all), 1 = strict SIMD (f32x4 mul + add: bit-identical to the scalar reference),
//   2 = relaxed SIMD (f32x4.relaxed_madd: fused multiply-add where the CPU has it, ~1 ulp from scalar).
// `if (MODE == 2)` folds away at compile time, so a build never contains the other modes' code.
// Every build runs the same algorithms (the 3×3 fast paths included, conv2d.ts): each SIMD kernel has a
// scalar reference doing its f32 operations lane by lane, which the scalar build runs, and the strict
// kernels multiply and add (madd below) as the references do, so strict and scalar give the same bits.
// Where a kernel takes `scalar: bool`, `BUILD_MODE == MODE_SCALAR || scalar` picks the reference: a
// constant in the scalar build (its SIMD code is not compiled), a choice in the others (the specs' oracle).

export const MODE_SCALAR: i32 = 0;
export const MODE_STRICT: i32 = 1;
export const MODE_RELAXED: i32 = 2;

// @ts-ignore: MODE is defined on the asc command line
export const BUILD_MODE: i32 = MODE;

/** The build mode of this binary: 0 scalar, 1 strict SIMD, 2 relaxed SIMD. */
export function buildMode(): i32 {
  return BUILD_MODE;
}

/** Multiply-add on 4 lanes, c + a·b: fused in the relaxed build, mul then add in the strict one. */
// @ts-ignore: decorator
@inline export function madd(a: v128, b: v128, c: v128): v128 {
  if (BUILD_MODE == MODE_RELAXED) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(c, f32x4.mul(a, b));
}

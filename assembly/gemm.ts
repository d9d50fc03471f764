// GEMM: C[M,N] (+)= op(A)[M,K] · op(B)[K,N], f32, row-major, any M/N/K.
//
// Element addressing (strides in floats):
//   op(A)(i,k) = A[i*lda + k]   (transA = 0)      op(A)(i,k) = A[k*lda + i]   (transA = 1)
//   op(B)(k,j) = B[k*ldb + j]   (transB = 0)      op(B)(k,j) = B[j*ldb + k]   (transB = 1)
//
// Summation order is part of the contract: every C(i,j) is computed as
//   acc = (accumulate ? C(i,j) : 0); for k = 0..K-1: acc = acc + A(i,k)·B(k,j)
// in f32, one rounding per mul and per add. The scalar reference and the strict SIMD kernel both
// follow it, so they are bit-identical; the relaxed kernel fuses mul+add (≈1 ulp per step).
//
// The unpacked paths live here: the reference (the contract itself), the dispatch, and the few-row /
// few-column / dot paths for shapes packing does not pay on. The packed Goto/BLIS path and its
// micro-kernel, which the big shapes take, are gemm_packed.ts; every path keeps (or, the relaxed dot
// path, states where it leaves) the one summation order above, and gemm.spec.ts tests them against
// each other.

import { BUILD_MODE, MODE_RELAXED, MODE_SCALAR, madd } from "./mode";
import { MR, gemmPacked } from "./gemm_packed";
import { assertAligned16 } from "./checks";

// Below this many multiply-adds, packing costs more than it saves: use the reference loop.
const SMALL_GEMM: i64 = 4096;

/**
 * Reference GEMM, plain scalar loops in the contract's summation order. The test oracle, the
 * scalar build's GEMM, and the path for tiny shapes.
 */
export function gemmRef(
  transA: i32, transB: i32, M: i32, N: i32, K: i32,
  a: usize, lda: i32, b: usize, ldb: i32,
  c: usize, ldc: i32, accumulate: i32,
): void {
  assert(M >= 0 && N >= 0 && K >= 0, "gemmRef: negative dimension");
  assert(lda >= (transA ? M : K) && ldb >= (transB ? K : N) && ldc >= N, "gemmRef: leading dimension shorter than a stored row");
  const sai: usize = transA ? 1 : <usize>lda, sak: usize = transA ? <usize>lda : 1;
  const sbk: usize = transB ? 1 : <usize>ldb, sbj: usize = transB ? <usize>ldb : 1;
  for (let i = 0; i < M; i++) {
    const crow = c + ((<usize>i * <usize>ldc) << 2);
    if (!accumulate) memory.fill(crow, 0, <usize>N << 2);
    const arow = a + ((<usize>i * sai) << 2);
    // i-k-j order: per element still k = 0..K-1 in sequence, but B is walked row by row.
    for (let k = 0; k < K; k++) {
      const aik = load<f32>(arow + ((<usize>k * sak) << 2));
      const brow = b + ((<usize>k * sbk) << 2);
      for (let j = 0; j < N; j++) {
        const p = crow + (<usize>j << 2);
        store<f32>(p, load<f32>(p) + aik * load<f32>(brow + ((<usize>j * sbj) << 2)));
      }
    }
  }
}

/**
 * GEMM, the build's fastest path. `scratch` must hold gemmScratchBytes() (16-byte aligned).
 * C must not overlap A or B.
 */
export function gemm(
  transA: i32, transB: i32, M: i32, N: i32, K: i32,
  a: usize, lda: i32, b: usize, ldb: i32,
  c: usize, ldc: i32, accumulate: i32, scratch: usize,
): void {
  assert(M >= 0 && N >= 0 && K >= 0, "gemm: negative dimension");
  assert(lda >= (transA ? M : K) && ldb >= (transB ? K : N) && ldc >= N, "gemm: leading dimension shorter than a stored row");
  assertAligned16(scratch);
  if (M <= 0 || N <= 0) return;
  // A constant condition: the scalar build compiles only the first branch (no v128 code at all).
  if (BUILD_MODE == MODE_SCALAR) {
    gemmRef(transA, transB, M, N, K, a, lda, b, ldb, c, ldc, accumulate);
  } else {
    if (<i64>M * <i64>N * <i64>K < SMALL_GEMM || K <= 0) {
      gemmRef(transA, transB, M, N, K, a, lda, b, ldb, c, ldc, accumulate);
    } else if (M < MR && !transB) {
      gemmFewRows(transA, M, N, K, a, lda, b, ldb, c, ldc, accumulate);
    } else if (N < 4 && BUILD_MODE == MODE_RELAXED && !transA && transB) {
      gemmDots(M, N, K, a, lda, b, ldb, c, ldc, accumulate);
    } else if (N < 4) {
      gemmFewCols(transA, transB, M, N, K, a, lda, b, ldb, c, ldc, accumulate);
    } else {
      gemmPacked(transA, transB, M, N, K, a, lda, b, ldb, c, ldc, accumulate, scratch);
    }
  }
}

/** Columns of C a few-rows block keeps in L1 while B's rows stream through (2 KiB). */
const FEW_ROWS_BLOCK: i32 = 512;

/**
 * Few rows (a batch of one through a dense layer: C is a row vector): no packing. Per row of C, a
 * block of FEW_ROWS_BLOCK columns stays in L1 while B's rows stream past it four at a time, each
 * element taking its four terms in k order (acc = acc + A(i,k)·B(k,j), k = 0..K−1, as the contract
 * says). B is read front to back in four sequential streams: reading it 32 columns at a time down
 * all K rows (the previous order) strided through it and ran at a third of the speed on the 400 KB
 * weights of seed's code → 7×7 layer.
 */
function gemmFewRows(
  transA: i32, M: i32, N: i32, K: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32,
): void {
  const sai: usize = transA ? 1 : <usize>lda, sak: usize = transA ? <usize>lda : 1;
  const bStep = <usize>ldb << 2, aStep = sak << 2;
  for (let i = 0; i < M; i++) {
    const crow = c + ((<usize>i * <usize>ldc) << 2), arow = a + ((<usize>i * sai) << 2);
    for (let jb = 0; jb < N; jb += FEW_ROWS_BLOCK) {
      const nj = min(FEW_ROWS_BLOCK, N - jb), nj4 = nj & ~3, cb = crow + (<usize>jb << 2);
      if (!accumulate) memory.fill(cb, 0, <usize>nj << 2);
      let q = b + (<usize>jb << 2), ap = arow, k = 0;
      for (; k + 4 <= K; k += 4) {
        const s0 = load<f32>(ap), s1 = load<f32>(ap + aStep), s2 = load<f32>(ap + 2 * aStep), s3 = load<f32>(ap + 3 * aStep);
        const a0 = f32x4.splat(s0), a1 = f32x4.splat(s1), a2 = f32x4.splat(s2), a3 = f32x4.splat(s3);
        const q1 = q + bStep, q2 = q1 + bStep, q3 = q2 + bStep;
        for (let j = 0; j < nj4; j += 4) {
          const o = <usize>j << 2;
          let v = v128.load(cb + o);
          v = madd(a0, v128.load(q + o), v);
          v = madd(a1, v128.load(q1 + o), v);
          v = madd(a2, v128.load(q2 + o), v);
          v = madd(a3, v128.load(q3 + o), v);
          v128.store(cb + o, v);
        }
        for (let j = nj4; j < nj; j++) {
          const o = <usize>j << 2;
          let v = load<f32>(cb + o);
          v = v + s0 * load<f32>(q + o);
          v = v + s1 * load<f32>(q1 + o);
          v = v + s2 * load<f32>(q2 + o);
          v = v + s3 * load<f32>(q3 + o);
          store<f32>(cb + o, v);
        }
        q = q3 + bStep;
        ap += 4 * aStep;
      }
      for (; k < K; k++) {
        const s0 = load<f32>(ap), a0 = f32x4.splat(s0);
        for (let j = 0; j < nj4; j += 4) {
          const o = <usize>j << 2;
          v128.store(cb + o, madd(a0, v128.load(q + o), v128.load(cb + o)));
        }
        for (let j = nj4; j < nj; j++) {
          const o = <usize>j << 2;
          store<f32>(cb + o, load<f32>(cb + o) + s0 * load<f32>(q + o));
        }
        q += bStep;
        ap += aStep;
      }
    }
  }
}

/**
 * Few columns (a dense layer's forward at batch one: C is a column vector): no packing; 16 rows of C
 * in 4 accumulators, A's column k gathered per step, k = 0..K−1 in order for every element.
 */
function gemmFewCols(
  transA: i32, transB: i32, M: i32, N: i32, K: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32,
): void {
  const sai: usize = transA ? 1 : <usize>lda, sak: usize = transA ? <usize>lda : 1;
  const sbk: usize = transB ? 1 : <usize>ldb, sbj: usize = transB ? <usize>ldb : 1;
  const m16 = M & ~15;
  for (let j = 0; j < N; j++) {
    const bcol = b + ((<usize>j * sbj) << 2);
    for (let i = 0; i < m16; i += 16) {
      let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
      if (accumulate) {
        c0 = gatherC(c, ldc, i, j); c1 = gatherC(c, ldc, i + 4, j);
        c2 = gatherC(c, ldc, i + 8, j); c3 = gatherC(c, ldc, i + 12, j);
      }
      const arow = a + ((<usize>i * sai) << 2), rowStep = sai << 2;
      for (let k = 0; k < K; k++) {
        const bv = f32x4.splat(load<f32>(bcol + ((<usize>k * sbk) << 2)));
        const p = arow + ((<usize>k * sak) << 2);
        c0 = madd(gatherA(p, rowStep), bv, c0);
        c1 = madd(gatherA(p + 4 * rowStep, rowStep), bv, c1);
        c2 = madd(gatherA(p + 8 * rowStep, rowStep), bv, c2);
        c3 = madd(gatherA(p + 12 * rowStep, rowStep), bv, c3);
      }
      scatterC(c, ldc, i, j, c0); scatterC(c, ldc, i + 4, j, c1);
      scatterC(c, ldc, i + 8, j, c2); scatterC(c, ldc, i + 12, j, c3);
    }
    for (let i = m16; i < M; i++) {
      const p = c + ((<usize>i * <usize>ldc + <usize>j) << 2);
      let acc: f32 = accumulate ? load<f32>(p) : 0;
      for (let k = 0; k < K; k++) {
        acc = acc + load<f32>(a + ((<usize>i * sai + <usize>k * sak) << 2)) * load<f32>(bcol + ((<usize>k * sbk) << 2));
      }
      store<f32>(p, acc);
    }
  }
}

/**
 * Relaxed build only, A not transposed and B transposed (both contiguous in k): C[i, j] as dot
 * products of A's row i and B's row j (ldb apart), 16 k at a time in 4 fused accumulators, then summed
 * across lanes. Not the k-in-order sum of the contract (the relaxed build makes no bit promise):
 * within fused-rounding error of gemmRef, and 10× faster than gathering A's columns for a batch of
 * one through a dense layer.
 */
function gemmDots(
  M: i32, N: i32, K: i32, a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32,
): void {
  const k16 = K & ~15;
  for (let j = 0; j < N; j++) {
    const bcol = b + ((<usize>j * <usize>ldb) << 2);
    for (let i = 0; i < M; i++) {
      const arow = a + ((<usize>i * <usize>lda) << 2);
      let s = 0 as f32;
      let k = 0;
      {
        let v0 = f32x4.splat(0), v1 = v0, v2 = v0, v3 = v0;
        for (; k < k16; k += 16) {
          const pa = arow + (<usize>k << 2), pb = bcol + (<usize>k << 2);
          v0 = madd(v128.load(pa), v128.load(pb), v0);
          v1 = madd(v128.load(pa, 16), v128.load(pb, 16), v1);
          v2 = madd(v128.load(pa, 32), v128.load(pb, 32), v2);
          v3 = madd(v128.load(pa, 48), v128.load(pb, 48), v3);
        }
        const v = f32x4.add(f32x4.add(v0, v1), f32x4.add(v2, v3));
        s = f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
      }
      for (; k < K; k++) s += load<f32>(arow + (<usize>k << 2)) * load<f32>(bcol + (<usize>k << 2));
      const p = c + ((<usize>i * <usize>ldc + <usize>j) << 2);
      store<f32>(p, accumulate ? load<f32>(p) + s : s);
    }
  }
}

/** Four A elements of one column, `step` bytes apart. */
// @ts-ignore: decorator
@inline function gatherA(p: usize, step: usize): v128 {
  let v = f32x4.splat(load<f32>(p));
  v = f32x4.replace_lane(v, 1, load<f32>(p + step));
  v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * step));
  return f32x4.replace_lane(v, 3, load<f32>(p + 3 * step));
}

// @ts-ignore: decorator
@inline function gatherC(c: usize, ldc: i32, i: i32, j: i32): v128 {
  return gatherA(c + ((<usize>i * <usize>ldc + <usize>j) << 2), <usize>ldc << 2);
}

// @ts-ignore: decorator
@inline function scatterC(c: usize, ldc: i32, i: i32, j: i32, v: v128): void {
  const p = c + ((<usize>i * <usize>ldc + <usize>j) << 2), s = <usize>ldc << 2;
  store<f32>(p, f32x4.extract_lane(v, 0));
  store<f32>(p + s, f32x4.extract_lane(v, 1));
  store<f32>(p + 2 * s, f32x4.extract_lane(v, 2));
  store<f32>(p + 3 * s, f32x4.extract_lane(v, 3));
}

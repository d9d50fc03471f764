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
// The SIMD path is the classic packed GEMM (Goto/BLIS): B is packed into KC×NR column strips, A into
// MR×KC row strips (both zero-padded at the edges), and a 4×8 register tile holds 8 independent v128
// accumulators (see kernel4x8: with its operands that fits V8's 16 xmm registers; 6×8 spilled).
// K is blocked by KC; a block after the first reloads C into the accumulators, which keeps the order above.
//
// One file of ~460 lines on purpose: the reference, the unpacked few-row / few-column / dot paths,
// the packing and the micro-kernel all keep (or, the relaxed dot path, state where they leave) the
// one summation-order contract above and are tested against each other (gemm.spec.ts); split up,
// each part would restate it.

import { BUILD_MODE, MODE_RELAXED, MODE_SCALAR, madd } from "./mode";

export const MR: i32 = 4;      // rows of the register tile
export const NR: i32 = 8;      // columns of the register tile (2 × f32x4)
export const KC: i32 = 256;    // depth of one packed block
export const MC: i32 = 120;    // rows of packed A per block (multiple of MR)
export const NC: i32 = 2048;   // columns of packed B per block (multiple of NR)

// Below this many multiply-adds, packing costs more than it saves: use the reference loop.
const SMALL_GEMM: i64 = 4096;

// Scratch layout: [packed A: MC*KC][packed B: KC*NC][edge tile: MR*NR] floats.
const PACK_A_BYTES: usize = <usize>(MC * KC) << 2;
const PACK_B_BYTES: usize = <usize>(KC * NC) << 2;
const TILE_BYTES: usize = <usize>(MR * NR) << 2;

/** Bytes of scratch `gemm` needs (constant: packing buffers for one block plus an edge tile). */
export function gemmScratchBytes(): usize {
  return PACK_A_BYTES + PACK_B_BYTES + TILE_BYTES;
}

/**
 * Reference GEMM, plain scalar loops in the contract's summation order. The test oracle, the
 * scalar build's GEMM, and the path for tiny shapes.
 */
export function gemmRef(
  transA: i32, transB: i32, M: i32, N: i32, K: i32,
  a: usize, lda: i32, b: usize, ldb: i32,
  c: usize, ldc: i32, accumulate: i32,
): void {
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

/**
 * Index (floats) of A(r, k) in an A packed whole: packPanelA's layout for all K at once (MR-row
 * strips, k-major inside a strip), rows padded to a multiple of MR. gemmPackedA reads it.
 */
// @ts-ignore: decorator
@inline export function packedIndex(r: i32, k: i32, K: i32): i32 { return (r / MR * K + k) * MR + r % MR; }

/**
 * C[M, N] = A[M, K] · B[K, N], A packed whole (packedIndex) by its producer, B read in place (row k
 * at b + k·ldb floats): no packing at all. For many products that share a small A and meet a fresh B
 * each time, as the Winograd transform points do (winograd.ts): there, packing B cost as much as
 * 1.1–1.2× on 24-channel layers (K·N copied for M·K·N/4 multiply-adds of 4-lane work). Columns run in
 * NR-column strips up to N rounded up to NR: B must be readable and C writable that far (the columns
 * past N come out as junk). Rows past M are not written (an edge tile in `scratch`, gemmScratchBytes()).
 */
export function gemmPackedA(M: i32, N: i32, K: i32, pa: usize, b: usize, ldb: i32, c: usize, ldc: i32, scratch: usize): void {
  const ldcB = <usize>ldc << 2, ldbB = <usize>ldb << 2, m4 = M & ~(MR - 1), tile = scratch + PACK_A_BYTES + PACK_B_BYTES;
  for (let jr = 0; jr < N; jr += NR) {
    const pb = b + (<usize>jr << 2), cj = c + (<usize>jr << 2);
    for (let ir = 0; ir < m4; ir += MR) {
      kernel4x8(K, pa + (<usize>(ir * K) << 2), pb, ldbB, cj + <usize>ir * ldcB, ldcB, false);
    }
    if (m4 < M) {
      kernel4x8(K, pa + (<usize>(m4 * K) << 2), pb, ldbB, tile, <usize>NR << 2, false);
      copyTile(cj + <usize>m4 * ldcB, ldcB, tile, <usize>NR << 2, M - m4, NR);
    }
  }
}

function gemmPacked(
  transA: i32, transB: i32, M: i32, N: i32, K: i32,
  a: usize, lda: i32, b: usize, ldb: i32,
  c: usize, ldc: i32, accumulate: i32, scratch: usize,
): void {
  const packA = scratch;
  const packB = scratch + PACK_A_BYTES;
  const tile = packB + PACK_B_BYTES;
  const ldcBytes = <usize>ldc << 2;
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = min(KC, K - pc);
      const load = accumulate != 0 || pc > 0;
      packPanelB(packB, transB, b, ldb, pc, kc, jc, nc);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min(MC, M - ic);
        packPanelA(packA, transA, a, lda, ic, mc, pc, kc);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const pb = packB + ((<usize>jr * <usize>kc) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const pa = packA + ((<usize>ir * <usize>kc) << 2);
            const cij = c + ((<usize>(ic + ir) * <usize>ldc + <usize>(jc + jr)) << 2);
            if (mr == MR && nr == NR) {
              kernel4x8(kc, pa, pb, 32, cij, ldcBytes, load);
            } else {
              // Edge tile: run the full kernel on a private MR×NR tile, then copy back the valid part.
              const tileLd: usize = <usize>NR << 2;
              memory.fill(tile, 0, TILE_BYTES);
              if (load) copyTile(tile, tileLd, cij, ldcBytes, mr, nr);
              kernel4x8(kc, pa, pb, 32, tile, tileLd, true);
              copyTile(cij, ldcBytes, tile, tileLd, mr, nr);
            }
          }
        }
      }
    }
  }
}

// @ts-ignore: decorator
@inline function copyTile(dst: usize, dstLd: usize, src: usize, srcLd: usize, rows: i32, cols: i32): void {
  const bytes = <usize>cols << 2;
  for (let r = 0; r < rows; r++) memory.copy(dst + <usize>r * dstLd, src + <usize>r * srcLd, bytes);
}

/** Packs op(A)[ic:ic+mc, pc:pc+kc] into MR-row strips, k-major inside a strip: strip[k*MR + r]. */
function packPanelA(dst: usize, transA: i32, a: usize, lda: i32, ic: i32, mc: i32, pc: i32, kc: i32): void {
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    const strip = dst + ((<usize>ir * <usize>kc) << 2);
    const i0 = ic + ir;
    if (mr == MR) {
      if (transA) {
        // Row k of the strip is 4 contiguous floats of the stored matrix's row pc+k: one v128 copy.
        let src = a + ((<usize>pc * <usize>lda + <usize>i0) << 2);
        const step = <usize>lda << 2;
        for (let k = 0; k < kc; k++) {
          v128.store(strip + (<usize>k << 4), v128.load(src));
          src += step;
        }
      } else {
        // 4 rows contiguous in k: transpose 4×4 blocks.
        const s0 = a + ((<usize>i0 * <usize>lda + <usize>pc) << 2), step = <usize>lda << 2;
        let k = 0;
        for (; k + 4 <= kc; k += 4) {
          const o = <usize>k << 2;
          transpose4(strip + (<usize>k << 4), 16,
            v128.load(s0 + o), v128.load(s0 + step + o), v128.load(s0 + 2 * step + o), v128.load(s0 + 3 * step + o));
        }
        for (; k < kc; k++) {
          for (let r = 0; r < MR; r++) store<f32>(strip + ((<usize>(k * MR + r)) << 2), load<f32>(s0 + <usize>r * step + (<usize>k << 2)));
        }
      }
      continue;
    }
    memory.fill(strip, 0, (<usize>(MR * kc)) << 2);
    for (let r = 0; r < mr; r++) {
      const i = i0 + r;
      if (transA) {
        // A(i,k) = a[k*lda + i]: column i of the stored matrix.
        let src = a + ((<usize>pc * <usize>lda + <usize>i) << 2);
        const step = <usize>lda << 2;
        for (let k = 0; k < kc; k++) {
          store<f32>(strip + ((<usize>(k * MR + r)) << 2), load<f32>(src));
          src += step;
        }
      } else {
        const src = a + ((<usize>i * <usize>lda + <usize>pc) << 2);
        for (let k = 0; k < kc; k++) {
          store<f32>(strip + ((<usize>(k * MR + r)) << 2), load<f32>(src + (<usize>k << 2)));
        }
      }
    }
  }
}

/**
 * Stores the transpose of the 4×4 block whose rows are v0..v3 as 4 vectors `stride` bytes apart:
 * out q = (v0[q], v1[q], v2[q], v3[q]).
 */
// @ts-ignore: decorator
@inline function transpose4(out: usize, stride: usize, v0: v128, v1: v128, v2: v128, v3: v128): void {
  const t0 = v128.shuffle<f32>(v0, v1, 0, 4, 1, 5), t1 = v128.shuffle<f32>(v0, v1, 2, 6, 3, 7);
  const t2 = v128.shuffle<f32>(v2, v3, 0, 4, 1, 5), t3 = v128.shuffle<f32>(v2, v3, 2, 6, 3, 7);
  v128.store(out, v128.shuffle<f32>(t0, t2, 0, 1, 4, 5));
  v128.store(out + stride, v128.shuffle<f32>(t0, t2, 2, 3, 6, 7));
  v128.store(out + 2 * stride, v128.shuffle<f32>(t1, t3, 0, 1, 4, 5));
  v128.store(out + 3 * stride, v128.shuffle<f32>(t1, t3, 2, 3, 6, 7));
}

/** Packs op(B)[pc:pc+kc, jc:jc+nc] into NR-column strips, k-major inside a strip: strip[k*NR + c]. */
function packPanelB(dst: usize, transB: i32, b: usize, ldb: i32, pc: i32, kc: i32, jc: i32, nc: i32): void {
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    const strip = dst + ((<usize>jr * <usize>kc) << 2);
    const j0 = jc + jr;
    if (!transB && nr == NR) {
      // Row k of the strip is 8 contiguous floats of B's row pc+k: two v128 copies.
      let src = b + ((<usize>pc * <usize>ldb + <usize>j0) << 2);
      const step = <usize>ldb << 2;
      let out = strip;
      for (let k = 0; k < kc; k++) {
        v128.store(out, v128.load(src));
        v128.store(out, v128.load(src, 16), 16);
        src += step;
        out += 32;
      }
      continue;
    }
    if (transB && nr == NR) {
      // 8 rows of the stored matrix, contiguous in k: two 4×4 transposes per 4 k steps.
      const s0 = b + ((<usize>j0 * <usize>ldb + <usize>pc) << 2), step = <usize>ldb << 2;
      let k = 0;
      for (; k + 4 <= kc; k += 4) {
        const o = <usize>k << 2, out = strip + (<usize>k << 5);
        transpose4(out, 32,
          v128.load(s0 + o), v128.load(s0 + step + o), v128.load(s0 + 2 * step + o), v128.load(s0 + 3 * step + o));
        transpose4(out + 16, 32,
          v128.load(s0 + 4 * step + o), v128.load(s0 + 5 * step + o), v128.load(s0 + 6 * step + o), v128.load(s0 + 7 * step + o));
      }
      for (; k < kc; k++) {
        for (let cc = 0; cc < NR; cc++) store<f32>(strip + ((<usize>(k * NR + cc)) << 2), load<f32>(s0 + <usize>cc * step + (<usize>k << 2)));
      }
      continue;
    }
    if (nr < NR) memory.fill(strip, 0, (<usize>(NR * kc)) << 2);
    for (let cc = 0; cc < nr; cc++) {
      const j = j0 + cc;
      if (transB) {
        // B(k,j) = b[j*ldb + k]: row j of the stored matrix, contiguous in k.
        const src = b + ((<usize>j * <usize>ldb + <usize>pc) << 2);
        for (let k = 0; k < kc; k++) {
          store<f32>(strip + ((<usize>(k * NR + cc)) << 2), load<f32>(src + (<usize>k << 2)));
        }
      } else {
        let src = b + ((<usize>pc * <usize>ldb + <usize>j) << 2);
        const step = <usize>ldb << 2;
        for (let k = 0; k < kc; k++) {
          store<f32>(strip + ((<usize>(k * NR + cc)) << 2), load<f32>(src));
          src += step;
        }
      }
    }
  }
}

/**
 * The 4×8 register tile: C[0:4, 0:8] (+)= Apanel[4, kc] · Bpanel[kc, 8].
 * pa: packed A strip (k-major, 4 floats per k); pb: B's 8 floats for k = 0, then pbStep bytes on per k
 * (a packed strip: 32).
 * V8 (TurboFan) issues all of an iteration's loads before its arithmetic and keeps xmm15 as scratch,
 * so accumulators + loads must fit 15 registers: 8 accumulators + 2 B vectors + 4 broadcasts = 14
 * (the strict build's mul needs one temporary: 15). A 6×8 tile (12 + 2 + 6 = 20) spilled three
 * accumulators to the stack every iteration and ran at half the speed.
 */
// @ts-ignore: decorator
@inline function kernel4x8(kc: i32, pa: usize, pb: usize, pbStep: usize, c: usize, ldc: usize, load: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  if (load) {
    let p = c;
    c00 = v128.load(p); c01 = v128.load(p, 16); p += ldc;
    c10 = v128.load(p); c11 = v128.load(p, 16); p += ldc;
    c20 = v128.load(p); c21 = v128.load(p, 16); p += ldc;
    c30 = v128.load(p); c31 = v128.load(p, 16);
  }
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    const a0 = v128.load32_splat(pa);
    const a1 = v128.load32_splat(pa, 4);
    const a2 = v128.load32_splat(pa, 8);
    const a3 = v128.load32_splat(pa, 12);
    c00 = madd(a0, b0, c00); c01 = madd(a0, b1, c01);
    c10 = madd(a1, b0, c10); c11 = madd(a1, b1, c11);
    c20 = madd(a2, b0, c20); c21 = madd(a2, b1, c21);
    c30 = madd(a3, b0, c30); c31 = madd(a3, b1, c31);
    pa += 16;
    pb += pbStep;
  }
  let p = c;
  v128.store(p, c00); v128.store(p, c01, 16); p += ldc;
  v128.store(p, c10); v128.store(p, c11, 16); p += ldc;
  v128.store(p, c20); v128.store(p, c21, 16); p += ldc;
  v128.store(p, c30); v128.store(p, c31, 16);
}

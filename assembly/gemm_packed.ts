// The packed GEMM path of gemm.ts (whose header states the summation-order contract it keeps) and
// the packed-A variant the Winograd point products use (gemmPackedA).
//
// The SIMD path is the classic packed GEMM (Goto/BLIS): B is packed into KC×NR column strips, A into
// MR×KC row strips (both zero-padded at the edges), and a 4×8 register tile holds 8 independent v128
// accumulators (see kernel4x8: with its operands that fits V8's 16 xmm registers; 6×8 spilled).
// K is blocked by KC; a block after the first reloads C into the accumulators, which keeps the order above.
//
// Scratch: gemmScratchBytes() bytes, 16-byte aligned, laid out below.

import { madd } from "./mode";
import { assertAligned16 } from "./checks";

export const MR: i32 = 4;      // rows of the register tile
export const NR: i32 = 8;      // columns of the register tile (2 × f32x4)
export const KC: i32 = 256;    // depth of one packed block
export const MC: i32 = 120;    // rows of packed A per block (multiple of MR)
export const NC: i32 = 2048;   // columns of packed B per block (multiple of NR)

// Scratch layout: [packed A: MC*KC][packed B: KC*NC][edge tile: MR*NR] floats.
const PACK_A_BYTES: usize = <usize>(MC * KC) << 2;
const PACK_B_BYTES: usize = <usize>(KC * NC) << 2;
const TILE_BYTES: usize = <usize>(MR * NR) << 2;

/** Bytes of scratch `gemm` needs (constant: packing buffers for one block plus an edge tile). */
export function gemmScratchBytes(): usize {
  return PACK_A_BYTES + PACK_B_BYTES + TILE_BYTES;
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
 * each time, as the Winograd transform points do (winograd_chunks.ts pointGemms): there, packing B cost as much as
 * 1.1–1.2× on 24-channel layers (K·N copied for M·K·N/4 multiply-adds of 4-lane work). Columns run in
 * NR-column strips up to N rounded up to NR: B must be readable and C writable that far (the columns
 * past N come out as junk). Rows past M are not written (an edge tile in `scratch`, gemmScratchBytes()).
 */
export function gemmPackedA(M: i32, N: i32, K: i32, pa: usize, b: usize, ldb: i32, c: usize, ldc: i32, scratch: usize): void {
  assert(M >= 0 && N >= 0 && K >= 0, "gemmPackedA: negative dimension");
  // C's junk columns up to N rounded up to NR must not reach into its next row.
  assert(ldb >= N && ldc >= ((N + NR - 1) & ~(NR - 1)), "gemmPackedA: ldb < N or ldc < N rounded up to NR");
  assertAligned16(scratch);
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

/**
 * gemmPackedA in plain scalar loops, the summation order of gemm.ts's contract (C(i, j) = 0, then
 * + A(i, k)·B(k, j) for k = 0..K−1): the strict kernel's bits. The scalar build's point products and the
 * specs' oracle (winograd_chunks.ts pointGemms); writes columns < N only.
 */
export function gemmPackedARef(M: i32, N: i32, K: i32, pa: usize, b: usize, ldb: i32, c: usize, ldc: i32): void {
  assert(M >= 0 && N >= 0 && K >= 0 && ldb >= N && ldc >= N, "gemmPackedARef: negative dimension or ldb, ldc < N");
  for (let i = 0; i < M; i++) {
    const crow = c + ((<usize>i * <usize>ldc) << 2);
    for (let j = 0; j < N; j++) store<f32>(crow + (<usize>j << 2), 0);
    for (let k = 0; k < K; k++) {
      const aik = load<f32>(pa + (<usize>packedIndex(i, k, K) << 2)), brow = b + ((<usize>k * <usize>ldb) << 2);
      for (let j = 0; j < N; j++) {
        const p = crow + (<usize>j << 2);
        store<f32>(p, load<f32>(p) + aik * load<f32>(brow + (<usize>j << 2)));
      }
    }
  }
}

export function gemmPacked(
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

// The SIMD GEMM against the scalar reference on random and awkward shapes, every transpose
// variant, overwrite and accumulate. Strict build: bit-identical (same summation order, one rounding
// per mul and per add). Relaxed build: fused multiply-add, so within a few ulp of the sum's scale.
import { gemm, gemmRef } from "../gemm";
import { gemmPackedA, gemmPackedARef, gemmScratchBytes, packedIndex } from "../gemm_packed";
import { BUILD_MODE, MODE_RELAXED } from "../mode";

let seed: u32 = 12345;
function rnd(): f32 {
  seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
  return <f32>(<f64>seed / 4294967296.0) * 2 - 1;
}

function fillRandom(p: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(p + (<usize>i << 2), rnd());
}

const scratch = heap.alloc(gemmScratchBytes());

/** Max |fast − ref| over C for one GEMM configuration. */
function gemmDiff(M: i32, N: i32, K: i32, tA: i32, tB: i32, acc: i32): f32 {
  const a = heap.alloc(<usize>(M * K) << 2), b = heap.alloc(<usize>(K * N) << 2);
  const c1 = heap.alloc(<usize>(M * N) << 2), c2 = heap.alloc(<usize>(M * N) << 2);
  fillRandom(a, M * K);
  fillRandom(b, K * N);
  fillRandom(c1, M * N);
  memory.copy(c2, c1, <usize>(M * N) << 2);
  const lda = tA ? M : K, ldb = tB ? K : N;
  gemm(tA, tB, M, N, K, a, lda, b, ldb, c1, N, acc, scratch);
  gemmRef(tA, tB, M, N, K, a, lda, b, ldb, c2, N, acc);
  let worst: f32 = 0;
  for (let i = 0; i < M * N; i++) {
    const d = Mathf.abs(load<f32>(c1 + (<usize>i << 2)) - load<f32>(c2 + (<usize>i << 2)));
    if (!(d <= worst)) worst = d;
  }
  heap.free(a); heap.free(b); heap.free(c1); heap.free(c2);
  return worst;
}

// Shapes: 1×1×1, primes, sizes not multiples of MR = 4 / NR = 8, K across the KC = 256 block, M across
// MC = 120, and the model's own (M16 K9 N12544-ish, M32 K144, M64 K1568 N64, M1568 K64 N64).
const SHAPES: i32[] = [
  1, 1, 1, 2, 3, 5, 7, 11, 13, 6, 8, 9, 17, 19, 23, 5, 9, 300, 13, 31, 257, 121, 17, 29,
  31, 37, 513, 16, 1568, 9, 32, 490, 144, 64, 64, 1568, 1568, 8, 64, 1, 64, 1, 64, 1, 7,
  // The unpacked paths, batch-1 dense layers: few rows (M < MR = 4, B not transposed) and few columns
  // (N < 4); 5×9×600 sits just above MR (one full packed tile and an edge row).
  64, 1, 1568, 1, 1568, 64, 3, 37, 200, 5, 9, 600, 37, 3, 200, 17, 2, 300, 33, 1, 129,
  // Few rows across gemmFewRows' 512-column block, with column and k tails.
  2, 1030, 11,
];

describe("gemm (packed SIMD) vs gemmRef (scalar reference)", () => {
  it("agrees on random and awkward shapes, every transpose, overwrite and accumulate", () => {
    for (let s = 0; s < SHAPES.length; s += 3) {
      const M = SHAPES[s], N = SHAPES[s + 1], K = SHAPES[s + 2];
      for (let tA = 0; tA < 2; tA++) for (let tB = 0; tB < 2; tB++) for (let acc = 0; acc < 2; acc++) {
        const d = gemmDiff(M, N, K, tA, tB, acc);
        if (BUILD_MODE == MODE_RELAXED) {
          // Terms are products of numbers in [−1, 1): the sum's scale is ≤ K; fused rounding ≤ K·2⁻²³.
          expect(d).toBeLessThanOrEqual(<f32>max(K, 1) * <f32>1.2e-7, "relaxed GEMM off by more than rounding");
        } else {
          expect(d).toBe(0, "strict GEMM must be bit-identical to the reference");
        }
      }
    }
  });

  it("detects a wrong result (the comparison can fail)", () => {
    const M = 7, N = 9, K = 300;
    const a = heap.alloc(<usize>(M * K) << 2), b = heap.alloc(<usize>(K * N) << 2);
    const c1 = heap.alloc(<usize>(M * N) << 2), c2 = heap.alloc(<usize>(M * N) << 2);
    fillRandom(a, M * K); fillRandom(b, K * N);
    gemm(0, 0, M, N, K, a, K, b, N, c1, N, 0, scratch);
    gemmRef(0, 0, M, N, K - 1, a, K, b, N, c2, N, 0); // one term short
    let worst: f32 = 0;
    for (let i = 0; i < M * N; i++) worst = Mathf.max(worst, Mathf.abs(load<f32>(c1 + (<usize>i << 2)) - load<f32>(c2 + (<usize>i << 2))));
    expect(worst).toBeGreaterThan(<f32>1e-3);
  });

  it("leaves C outside the M×N block untouched (ldc > N)", () => {
    const M = 13, N = 10, K = 40, ldc = 16;
    const a = heap.alloc(<usize>(M * K) << 2), b = heap.alloc(<usize>(K * N) << 2);
    const c = heap.alloc(<usize>(M * ldc) << 2);
    fillRandom(a, M * K); fillRandom(b, K * N);
    for (let i = 0; i < M * ldc; i++) store<f32>(c + (<usize>i << 2), 42);
    gemm(0, 0, M, N, K, a, K, b, N, c, ldc, 0, scratch);
    for (let i = 0; i < M; i++) for (let j = N; j < ldc; j++) {
      expect(load<f32>(c + (<usize>(i * ldc + j) << 2))).toBe(42);
    }
  });

  it("gemmPackedA (A packed whole, B in place) and gemmPackedARef agree with the reference; write no row past M", () => {
    // M, N, K: full and partial 4-row strips, N not a multiple of 8 (junk columns up to 8), K = 0 and 1.
    const S: i32[] = [4, 8, 24, 24, 490, 24, 5, 13, 7, 1, 1, 1, 7, 9, 0, 96, 33, 96, 3, 17, 300];
    for (let s = 0; s < S.length; s += 3) {
      const M = S[s], N = S[s + 1], K = S[s + 2], M4 = (M + 3) & ~3, N8 = (N + 7) & ~7, ld = N8 + 4;
      const a = heap.alloc(<usize>(M * K) << 2), pa = heap.alloc(<usize>(M4 * K) << 2), b = heap.alloc(<usize>(K * ld) << 2);
      const c = heap.alloc(<usize>((M + 1) * ld) << 2), r = heap.alloc(<usize>(M * N) << 2);
      fillRandom(a, M * K); fillRandom(b, K * ld);
      for (let i = 0; i < M4; i++) for (let k = 0; k < K; k++) {
        store<f32>(pa + (<usize>packedIndex(i, k, K) << 2), i < M ? load<f32>(a + (<usize>(i * K + k) << 2)) : 0);
      }
      for (let i = 0; i < (M + 1) * ld; i++) store<f32>(c + (<usize>i << 2), 42);
      gemmPackedA(M, N, K, pa, b, ld, c, ld, scratch);
      gemmRef(0, 0, M, N, K, a, K, b, ld, r, N, 0);
      let worst: f32 = 0;
      for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
        const d = Mathf.abs(load<f32>(c + (<usize>(i * ld + j) << 2)) - load<f32>(r + (<usize>(i * N + j) << 2)));
        if (!(d <= worst)) worst = d;
      }
      if (BUILD_MODE == MODE_RELAXED) expect(worst).toBeLessThanOrEqual(<f32>max(K, 1) * <f32>1.2e-7, "relaxed gemmPackedA off by more than rounding");
      else expect(worst).toBe(0, "strict gemmPackedA must be bit-identical to the reference");
      for (let i = 0; i < M; i++) for (let j = N8; j < ld; j++) expect(load<f32>(c + (<usize>(i * ld + j) << 2))).toBe(42, "column past N rounded up to 8");
      // gemmPackedARef (the scalar build's): the reference's bits, columns < N only.
      for (let i = 0; i < M * ld; i++) store<f32>(c + (<usize>i << 2), 42);
      gemmPackedARef(M, N, K, pa, b, ld, c, ld);
      for (let i = 0; i < M; i++) for (let j = 0; j < ld; j++) {
        const got = load<u32>(c + (<usize>(i * ld + j) << 2));
        expect(got).toBe(j < N ? load<u32>(r + (<usize>(i * N + j) << 2)) : reinterpret<u32>(<f32>42), "gemmPackedARef");
      }
      for (let j = 0; j < ld; j++) expect(load<f32>(c + (<usize>(M * ld + j) << 2))).toBe(42, "row past M");
      heap.free(a); heap.free(pa); heap.free(b); heap.free(c); heap.free(r);
    }
  });
});

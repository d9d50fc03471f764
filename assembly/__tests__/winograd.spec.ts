// The 3×3 fast paths (winograd.ts, direct3x3.ts, winograd_s2.ts) against the im2col + GEMM path
// (conv2dForwardGemm / conv2dBackwardGemm, itself checked against f64 loops in conv.spec.ts), the
// Winograd tile transforms' SIMD kernels against their scalar references (bit-identical), and each whole
// path against its scalar references (`scalar`, the scalar build's path): bit for bit in the strict
// build (test:kernels), within rounding in the relaxed one (test:kernels:relaxed).
//
// Shapes: odd H / W, H or W of 1 (smaller than a 2×2 tile), tile rows not a multiple of 4 tiles,
// batch 1 and > 1, several chunks with a short last one, channels not a multiple of 4, one input or
// one output channel. Backward is checked on gradients that start at random values (it must add),
// twice in a row, and with dx = 0 / db = 0.
//
// Tolerance: max|fast − gemm| ≤ RTOL · max(1, max|gemm|) per tensor, RTOL_F2 = 1e-5 for F(2×2) and
// the direct loops, RTOL_F4 = 6e-5 for F(4×4). Both paths sum in f32 in different orders, and
// Winograd's transforms combine up to 6 values before and after the products (F(4×4) with weights up
// to 8 and kernel weights scaled by 1/6 and 1/24, not exact in f32), so the fast paths differ from the
// GEMM by more than its own rounding; the last test logs the worst relative difference per path
// (measured, both builds: F(2×2) 4e-6, F(4×4) 2e-5, direct 3e-6). Workspaces are exactly the formula's bytes, NaN-filled and guarded:
// a kernel reading scratch it has not written, or writing past it, fails.
import {
  conv2dForward, conv2dBackward, conv2dForwardGemm, conv2dBackwardGemm, conv2dGemmWorkspaceBytes, conv2dPath,
  conv2dWorkspaceBytes, FAST_NONE, FAST_WINOGRAD, FAST_DIRECT, FAST_WINOGRAD_S2,
} from "../conv2d";
import { winogradForward, winogradBackward, winogradWorkspaceBytes, winogradTile } from "../winograd";
import { winogradS2Forward, winogradS2WorkspaceBytes } from "../winograd_s2";
import { padPlanes, pointStride } from "../winograd_chunks";
import {
  convTranspose2dForward, convTranspose2dForwardGemm, convTranspose2dBackward, convTranspose2dWinograd, convTranspose2dWorkspaceBytes,
} from "../conv_transpose2d";
import { direct3x3Forward, direct3x3Backward, direct3x3WorkspaceBytes } from "../direct3x3";
import {
  winogradInput, winogradInputRef, winogradGradOut, winogradGradOutRef, winogradOutput, winogradOutputRef,
} from "../winograd_tiles";
import {
  winograd4Input, winograd4InputRef, winograd4GradOut, winograd4GradOutRef, winograd4Output, winograd4OutputRef,
} from "../winograd4_tiles";
import {
  s2PadSide, winogradS2Input, winogradS2InputRef, winogradS2Output, winogradS2OutputRef,
  winogradT2Input, winogradT2InputRef, winogradT2Output, winogradT2OutputRef,
} from "../winograd_s2_tiles";
import { BUILD_MODE, MODE_RELAXED } from "../mode";
import { OP_LEAKY_RELU } from "../abi";

let seed: u32 = 0x1F123BB5;
function rnd(): f32 {
  seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
  return <f32>(<f64>seed / 4294967296.0) * 2 - 1;
}

const GUARD: i32 = 4;
const SENTINEL: f32 = -7777.25;

function newBuf(n: i32): usize {
  const raw = heap.alloc(<usize>(n + 2 * GUARD) << 2);
  for (let i = 0; i < n + 2 * GUARD; i++) store<f32>(raw + (<usize>i << 2), SENTINEL);
  return raw + (<usize>GUARD << 2);
}
function freeBuf(p: usize): void { heap.free(p - (<usize>GUARD << 2)); }
function guardsOk(p: usize, n: i32): bool {
  for (let i = 1; i <= GUARD; i++) {
    if (load<f32>(p - (<usize>i << 2)) != SENTINEL || load<f32>(p + (<usize>(n + i - 1) << 2)) != SENTINEL) return false;
  }
  return true;
}
function fillRandom(p: usize, n: i32): void { for (let i = 0; i < n; i++) store<f32>(p + (<usize>i << 2), rnd()); }
function fillNaN(p: usize, n: i32): void { memory.fill(p, 0xFF, <usize>n << 2); }
function copyBuf(d: usize, s: usize, n: i32): void { memory.copy(d, s, <usize>n << 2); }
function ld(p: usize, i: i32): f64 { return <f64>load<f32>(p + (<usize>i << 2)); }

// Worst max|fast − gemm| / max(1, max|gemm|) seen per path: F(2×2), F(4×4), direct, F(2×2) stride 2,
// transposed stride 2.
const worst: f64[] = [0, 0, 0, 0, 0];
let kind = 0;
let RTOL: f64 = 2e-5;

/** max|a − b| / (RTOL · max(1, max|b|)) (NaN: +∞); checks it is ≤ 1 and a's guards. */
function close(a: usize, b: usize, n: i32, what: string): void {
  let d: f64 = 0, big: f64 = 1;
  for (let i = 0; i < n; i++) {
    let e = Math.abs(ld(a, i) - ld(b, i));
    if (isNaN(e)) e = Infinity;
    d = Math.max(d, e);
    big = Math.max(big, Math.abs(ld(b, i)));
  }
  const r = d / (RTOL * big);
  if (d / big > worst[kind]) worst[kind] = d / big;
  if (!(r <= 1)) log<string>(what + ": max|diff| = " + d.toString() + " (" + r.toString() + " × tolerance)");
  expect(r).toBeLessThanOrEqual(1, what);
  expect(guardsOk(a, n)).toBeTruthy(what + ": write outside the buffer");
}

function sameBits(a: usize, b: usize, n: i32, what: string): void {
  let bad = 0;
  for (let i = 0; i < n; i++) if (load<u32>(a + (<usize>i << 2)) != load<u32>(b + (<usize>i << 2))) bad++;
  expect(bad).toBe(0, what);
}

const RTOL_F2: f64 = 1e-5, RTOL_F4: f64 = 6e-5;

/** One fast path (FAST_WINOGRAD with tile side m, or FAST_DIRECT) against im2col + GEMM on one shape. */
/** Row r of A·C rows of a V, M or D buffer (ξ = r / C, channel r % C): the ξ planes lie pointStride apart. */
function rowOf(p: usize, r: i32, C: i32, Tp: i32): usize {
  return p + (<usize>((r / C) * pointStride(C, Tp) + (r % C) * Tp) << 2);
}

function runShape(path: i32, m: i32, B: i32, Cin: i32, H: i32, W: i32, Cout: i32): void {
  kind = path == FAST_DIRECT ? 2 : m == 4 ? 1 : 0;
  RTOL = m == 4 ? RTOL_F4 : RTOL_F2;
  const tag = (path == FAST_WINOGRAD ? "winograd F" + m.toString() : "direct") + " B" + B.toString() + " " + Cin.toString() + "→" +
    Cout.toString() + " " + H.toString() + "x" + W.toString();
  const nx = B * Cin * H * W, nw = Cout * Cin * 9, ny = B * Cout * H * W;
  const x = newBuf(nx), w = newBuf(nw), bias = newBuf(Cout), dy = newBuf(ny);
  fillRandom(x, nx); fillRandom(w, nw); fillRandom(bias, Cout); fillRandom(dy, ny);
  const fastBytes = <usize>(path == FAST_WINOGRAD ? winogradWorkspaceBytes(B, Cin, H, W, Cout, m) : direct3x3WorkspaceBytes(Cin, H, W, Cout));
  const fn = <i32>((fastBytes + 3) >> 2), ws = newBuf(fn);
  const gws = heap.alloc(<usize>conv2dGemmWorkspaceBytes(B, Cin, H, W, Cout, 3, 3, 1, 1, 1, 1));
  const y = newBuf(ny), ry = newBuf(ny);
  for (let withBias = 0; withBias < 2; withBias++) {
    const bp = withBias ? bias : 0;
    fillNaN(y, ny); fillNaN(ws, fn);
    if (path == FAST_WINOGRAD) winogradForward(y, x, w, bp, B, Cin, H, W, Cout, ws, m);
    else direct3x3Forward(y, x, w, bp, B, Cin, H, W, Cout, ws);
    conv2dForwardGemm(ry, x, w, bp, B, Cin, H, W, Cout, 3, 3, 1, 1, 1, 1, gws);
    close(y, ry, ny, tag + (withBias ? " forward" : " forward (no bias)"));
  }
  // Backward: gradients start random (equal for both paths), accumulated twice, then skips.
  const dx = newBuf(nx), dw = newBuf(nw), db = newBuf(Cout), rdx = newBuf(nx), rdw = newBuf(nw), rdb = newBuf(Cout);
  fillRandom(dx, nx); fillRandom(dw, nw); fillRandom(db, Cout);
  copyBuf(rdx, dx, nx); copyBuf(rdw, dw, nw); copyBuf(rdb, db, Cout);
  for (let round = 0; round < 4; round++) {
    const wantDx = round != 2, wantDb = round != 3;
    fillNaN(ws, fn);
    if (path == FAST_WINOGRAD) winogradBackward(wantDx ? dx : 0, dw, wantDb ? db : 0, dy, x, w, B, Cin, H, W, Cout, ws, m);
    else direct3x3Backward(wantDx ? dx : 0, dw, wantDb ? db : 0, dy, x, w, B, Cin, H, W, Cout, ws);
    conv2dBackwardGemm(wantDx ? rdx : 0, rdw, wantDb ? rdb : 0, dy, x, w, B, Cin, H, W, Cout, 3, 3, 1, 1, 1, 1, gws);
    const r = " backward round " + round.toString();
    close(dx, rdx, nx, tag + r + " dx"); close(dw, rdw, nw, tag + r + " dw"); close(db, rdb, Cout, tag + r + " db");
  }
  expect(guardsOk(ws, fn)).toBeTruthy(tag + ": write outside the workspace");
  freeBuf(x); freeBuf(w); freeBuf(bias); freeBuf(dy); freeBuf(y); freeBuf(ry); freeBuf(ws); heap.free(gws);
  freeBuf(dx); freeBuf(dw); freeBuf(db); freeBuf(rdx); freeBuf(rdw); freeBuf(rdb);
}

// B, Cin, H, W, Cout
const WINOGRAD_SHAPES: i32[] = [
  1, 3, 5, 7, 5,      // odd sides, one image
  2, 5, 1, 1, 6,      // 1×1 image: one tile, three quarters padding
  3, 4, 1, 9, 7,      // one row
  2, 7, 9, 1, 3,      // one column
  3, 2, 2, 3, 2,      // two channels each way
  3, 5, 11, 13, 9,    // tile rows of 7 tiles (a group of 4 and a ragged 3)
  7, 4, 28, 28, 5,    // 196 tiles per image (F(2×2)): chunks of 2 images, the last of 1
  21, 6, 14, 13, 5,   // 49 tiles per image: chunks of 10, 10 and 1
  2, 24, 7, 7, 17,    // wider channels, 7×7
];
// The direct loops take any channel counts: the thin shapes the dispatch gives them, and a few more.
const DIRECT_SHAPES: i32[] = [
  2, 1, 28, 28, 24,   // a first layer
  2, 24, 28, 28, 1,   // a last layer
  3, 1, 5, 7, 3,
  2, 3, 7, 5, 1,
  1, 1, 1, 1, 1,
  2, 1, 3, 1, 2,      // one column
  2, 5, 9, 6, 7,      // neither side thin
  1, 2, 1, 10, 1,     // one row, W past one 8-wide step
];

// Stride 2, B, Cin, H, W, Cout: odd and even sides (odd outputs overhang a tile), 1×1 and one row /
// column, tile rows of 1..7 tiles, chunks with a short last one (49 tiles per image: 10 + 10 + 1).
const S2_SHAPES: i32[] = [1, 3, 5, 7, 5, 2, 5, 1, 1, 6, 3, 4, 1, 9, 7, 2, 7, 10, 2, 3, 3, 5, 11, 13, 9, 21, 6, 28, 27, 5, 2, 24, 28, 28, 17, 2, 9, 14, 14, 8];
// Transposed stride 2, B, Cin, H, W, Cout, output padding: the same kinds of shapes, both output paddings.
const T2_SHAPES: i32[] = [1, 3, 5, 7, 5, 1, 2, 5, 1, 1, 6, 1, 3, 4, 1, 9, 7, 0, 2, 7, 10, 2, 3, 1, 3, 5, 11, 13, 9, 0,
  21, 6, 14, 13, 5, 1, 2, 24, 7, 7, 17, 1, 2, 9, 14, 14, 8, 0];

/**
 * The stride-2 tile transforms (conv, or transposed) against their scalar references on tile rows of
 * 1..9 tiles (groups of 4 and ragged ends), with an odd side (the last tile row half outside).
 */
function stride2Tiles(transposed: bool): void {
  // nb, C, tH, tW
  const SHAPES: i32[] = [1, 1, 1, 1, 2, 3, 2, 5, 1, 2, 3, 9, 3, 5, 4, 7, 2, 2, 1, 4];
  for (let s = 0; s < SHAPES.length; s += 4) {
    const nb = SHAPES[s], C = SHAPES[s + 1], tH = SHAPES[s + 2], tW = SHAPES[s + 3], T = nb * tH * tW, Tp = (T + 7) & ~3;
    // S2: an odd output height, its input twice the output; T2: an odd input height, output padding 0 across.
    const PH = transposed ? 2 * tH + 2 : s2PadSide(tH), PW = transposed ? 2 * tW + 2 : s2PadSide(tW);
    const H = transposed ? 2 * tH - 1 : 2 * (2 * tH - 1), W = transposed ? 2 * tW : 4 * tW;
    const Ho = transposed ? 2 * H : 2 * tH - 1, Wo = transposed ? 2 * W - 1 : 2 * tW;
    const tag = (transposed ? "transposed " : "") + "stride 2 nb " + nb.toString() + " C " + C.toString() + " tiles " + tH.toString() + "x" + tW.toString();
    const src = newBuf(nb * C * H * W), pad = newBuf(nb * C * PH * PW + 32), a = newBuf(25 * pointStride(C, Tp)), b = newBuf(25 * pointStride(C, Tp)), bias = newBuf(C);
    fillRandom(src, nb * C * H * W); fillRandom(bias, C);
    padPlanes(pad, src, nb, C, H, W, PH, PW);
    fillNaN(a, 25 * pointStride(C, Tp)); fillNaN(b, 25 * pointStride(C, Tp));
    if (transposed) { winogradT2Input(a, pad, nb, C, tH, tW, Tp); winogradT2InputRef(b, pad, nb, C, tH, tW, Tp); }
    else { winogradS2Input(a, pad, nb, C, tH, tW, Tp); winogradS2InputRef(b, pad, nb, C, tH, tW, Tp); }
    for (let r = 0; r < 25 * C; r++) sameBits(rowOf(a, r, C, Tp), rowOf(b, r, C, Tp), T, tag + " input");
    fillRandom(a, 25 * pointStride(C, Tp));
    const ny = nb * C * Ho * Wo, y = newBuf(ny), ry = newBuf(ny);
    for (let withBias = 0; withBias < 2; withBias++) {
      const bp = withBias ? bias : 0;
      fillNaN(y, ny); fillNaN(ry, ny);
      if (transposed) { winogradT2Output(y, a, bp, nb, C, Ho, Wo, Ho, tH, tW, Tp); winogradT2OutputRef(ry, a, bp, nb, C, Ho, Wo, Ho, tH, tW, Tp); }
      else { winogradS2Output(y, a, bp, nb, C, Ho, Wo, Ho, tH, tW, Tp); winogradS2OutputRef(ry, a, bp, nb, C, Ho, Wo, Ho, tH, tW, Tp); }
      sameBits(y, ry, ny, tag + " output");
      expect(guardsOk(y, ny)).toBeTruthy(tag + " output guards");
      if (!transposed) continue;
      // Added into a skip (an inference model's up-sampling): the skip + the output stored, bit for bit.
      const skip = newBuf(ny), sum = newBuf(ny);
      fillRandom(skip, ny);
      for (let i = 0; i < ny; i++) store<f32>(sum + (<usize>i << 2), load<f32>(skip + (<usize>i << 2)) + load<f32>(ry + (<usize>i << 2)));
      copyBuf(y, skip, ny); copyBuf(ry, skip, ny);
      winogradT2Output(y, a, bp, nb, C, Ho, Wo, Ho, tH, tW, Tp, true); winogradT2OutputRef(ry, a, bp, nb, C, Ho, Wo, Ho, tH, tW, Tp, true);
      sameBits(y, sum, ny, tag + " output added into y");
      sameBits(ry, sum, ny, tag + " output added into y (reference)");
      expect(guardsOk(y, ny)).toBeTruthy(tag + " added output guards");
      freeBuf(skip); freeBuf(sum);
    }
    freeBuf(src); freeBuf(pad); freeBuf(a); freeBuf(b); freeBuf(bias); freeBuf(y); freeBuf(ry);
  }
}

describe("3×3 stride-1 fast paths vs im2col + GEMM", () => {
  it("Winograd F(2×2, 3×3) and F(4×4, 3×3): forward and backward (dx, dw, db) on awkward shapes", () => {
    for (let s = 0; s < 2 * WINOGRAD_SHAPES.length; s += 5) {
      const m = s < WINOGRAD_SHAPES.length ? 2 : 4, k = s % WINOGRAD_SHAPES.length;
      runShape(FAST_WINOGRAD, m, WINOGRAD_SHAPES[k], WINOGRAD_SHAPES[k + 1], WINOGRAD_SHAPES[k + 2], WINOGRAD_SHAPES[k + 3], WINOGRAD_SHAPES[k + 4]);
    }
  });
  it("direct loops: forward and backward on thin and other shapes", () => {
    for (let s = 0; s < DIRECT_SHAPES.length; s += 5) {
      runShape(FAST_DIRECT, 0, DIRECT_SHAPES[s], DIRECT_SHAPES[s + 1], DIRECT_SHAPES[s + 2], DIRECT_SHAPES[s + 3], DIRECT_SHAPES[s + 4]);
    }
  });

  it("conv2dForward / conv2dBackward dispatch: the fast paths in every build", () => {
    expect(conv2dPath(4, 9, 9, 6, 3, 3, 1, 1, 1, 1)).toBe(FAST_WINOGRAD);
    expect(conv2dPath(1, 9, 9, 6, 3, 3, 1, 1, 1, 1)).toBe(FAST_DIRECT);
    expect(conv2dPath(6, 9, 9, 1, 3, 3, 1, 1, 1, 1)).toBe(FAST_DIRECT);
    // Tile side 4 where its products are at most 0.8 of side 2's: 28, 14, 7 and 3 px; not 5 (equal) or 1.
    expect(winogradTile(28, 28)).toBe(4); expect(winogradTile(14, 14)).toBe(4); expect(winogradTile(7, 7)).toBe(4);
    expect(winogradTile(3, 3)).toBe(4); expect(winogradTile(5, 5)).toBe(2); expect(winogradTile(1, 1)).toBe(2);
    // Stride 2: where 2×2 output tiles do fewer products (14×14 and 7×7 outputs), not where they
    // overhang too much (3×3: 4 tiles, 100 products for 81), not on thin layers.
    expect(conv2dPath(4, 28, 28, 6, 3, 3, 2, 2, 1, 1)).toBe(FAST_WINOGRAD_S2);
    expect(conv2dPath(4, 14, 14, 6, 3, 3, 2, 2, 1, 1)).toBe(FAST_WINOGRAD_S2);
    expect(conv2dPath(4, 5, 5, 6, 3, 3, 2, 2, 1, 1)).toBe(FAST_NONE);
    // At any size: an image of more tiles than a chunk (512) runs in bands of tile rows.
    expect(conv2dPath(4, 64, 128, 6, 3, 3, 2, 2, 1, 1)).toBe(FAST_WINOGRAD_S2);
    expect(conv2dPath(4, 66, 128, 6, 3, 3, 2, 2, 1, 1)).toBe(FAST_WINOGRAD_S2);
    expect(conv2dPath(4, 1024, 1024, 6, 3, 3, 2, 2, 1, 1)).toBe(FAST_WINOGRAD_S2);
    expect(conv2dPath(1, 28, 28, 6, 3, 3, 2, 2, 1, 1)).toBe(FAST_NONE);
    expect(conv2dPath(4, 28, 28, 6, 3, 3, 2, 1, 1, 1)).toBe(FAST_NONE);
    expect(conv2dPath(4, 9, 9, 6, 3, 3, 1, 1, 0, 0)).toBe(FAST_NONE);
    expect(conv2dPath(4, 9, 9, 6, 5, 5, 1, 1, 2, 2)).toBe(FAST_NONE);
    // The dispatched result is the chosen path's, bit for bit.
    const B = 2, C = 4, H = 5, W = 6, K = 5, nx = B * C * H * W, nw = K * C * 9, ny = B * K * H * W;
    const x = newBuf(nx), w = newBuf(nw), y = newBuf(ny), ry = newBuf(ny), dw = newBuf(nw), rdw = newBuf(nw);
    fillRandom(x, nx); fillRandom(w, nw);
    const m = winogradTile(H, W);
    const ws = heap.alloc(<usize>Math.max(winogradWorkspaceBytes(B, C, H, W, K, m), conv2dGemmWorkspaceBytes(B, C, H, W, K, 3, 3, 1, 1, 1, 1)));
    conv2dForward(y, x, w, 0, B, C, H, W, K, 3, 3, 1, 1, 1, 1, ws);
    winogradForward(ry, x, w, 0, B, C, H, W, K, ws, m);
    sameBits(y, ry, ny, "dispatched forward");
    memory.fill(dw, 0, <usize>nw << 2); memory.fill(rdw, 0, <usize>nw << 2);
    conv2dBackward(0, dw, 0, y, x, w, B, C, H, W, K, 3, 3, 1, 1, 1, 1, ws);
    winogradBackward(0, rdw, 0, y, x, w, B, C, H, W, K, ws, m);
    sameBits(dw, rdw, nw, "dispatched backward");
    freeBuf(x); freeBuf(w); freeBuf(y); freeBuf(ry); freeBuf(dw); freeBuf(rdw); heap.free(ws);
  });

  it("the tile transforms' SIMD kernels equal their scalar references bit for bit (F(2×2) and F(4×4))", () => {
    // nb, C, tH, tW: tile rows of 1..9 tiles (groups of 4 and ragged ends).
    const SHAPES: i32[] = [1, 1, 1, 1, 2, 3, 2, 5, 1, 2, 3, 9, 3, 5, 4, 7, 2, 2, 1, 4];
    for (let s = 0; s < 2 * SHAPES.length; s += 4) {
      const m = s < SHAPES.length ? 2 : 4, k = s % SHAPES.length, A = (m + 2) * (m + 2);
      const nb = SHAPES[k], C = SHAPES[k + 1], tH = SHAPES[k + 2], tW = SHAPES[k + 3];
      const PH = m * tH + 2, PW = m * tW + 2, T = nb * tH * tW, Tp = (T + 7) & ~3, H = m * tH - 1, W = m * tW - (m == 4 ? 2 : 0);
      const tag = "F" + m.toString() + " nb " + nb.toString() + " C " + C.toString() + " tiles " + tH.toString() + "x" + tW.toString();
      const src = newBuf(nb * C * H * W), pad = newBuf(nb * C * PH * PW + 32), a = newBuf(A * pointStride(C, Tp)), b = newBuf(A * pointStride(C, Tp));
      const bias = newBuf(C), scratch = newBuf(144);
      fillRandom(src, nb * C * H * W); fillRandom(bias, C);
      padPlanes(pad, src, nb, C, H, W, PH, PW);
      fillNaN(a, A * pointStride(C, Tp)); fillNaN(b, A * pointStride(C, Tp));
      if (m == 4) { winograd4Input(a, pad, nb, C, tH, tW, Tp, scratch); winograd4InputRef(b, pad, nb, C, tH, tW, Tp); }
      else { winogradInput(a, pad, nb, C, tH, tW, Tp); winogradInputRef(b, pad, nb, C, tH, tW, Tp); }
      for (let r = 0; r < A * C; r++) sameBits(rowOf(a, r, C, Tp), rowOf(b, r, C, Tp), T, tag + " input");
      fillNaN(a, A * pointStride(C, Tp)); fillNaN(b, A * pointStride(C, Tp));
      if (m == 4) { winograd4GradOut(a, pad, nb, C, tH, tW, Tp, scratch); winograd4GradOutRef(b, pad, nb, C, tH, tW, Tp); }
      else { winogradGradOut(a, pad, nb, C, tH, tW, Tp); winogradGradOutRef(b, pad, nb, C, tH, tW, Tp); }
      for (let r = 0; r < A * C; r++) sameBits(rowOf(a, r, C, Tp), rowOf(b, r, C, Tp), T, tag + " dy");
      // Output: M random, the last tile row and column partly outside, overwrite and accumulate.
      fillRandom(a, A * pointStride(C, Tp));
      const ny = nb * C * H * W, y = newBuf(ny), ry = newBuf(ny);
      for (let acc = 0; acc < 2; acc++) {
        fillRandom(y, ny); copyBuf(ry, y, ny);
        if (m == 4) {
          winograd4Output(y, a, acc ? 0 : bias, nb, C, H, W, H, tH, tW, Tp, acc != 0, scratch);
          winograd4OutputRef(ry, a, acc ? 0 : bias, nb, C, H, W, H, tH, tW, Tp, acc != 0);
        } else {
          winogradOutput(y, a, acc ? 0 : bias, nb, C, H, W, H, tH, tW, Tp, acc != 0);
          winogradOutputRef(ry, a, acc ? 0 : bias, nb, C, H, W, H, tH, tW, Tp, acc != 0);
        }
        sameBits(y, ry, ny, tag + " output");
        expect(guardsOk(y, ny)).toBeTruthy(tag + " output guards");
      }
      freeBuf(src); freeBuf(pad); freeBuf(a); freeBuf(b); freeBuf(bias); freeBuf(scratch); freeBuf(y); freeBuf(ry);
    }
  });

  it("detects a wrong result: one weight off by 1 %, or the kernel rotated", () => {
    // The F(4×4) tolerance (the loosest) against the GEMM with a perturbed or rotated copy of w.
    const B = 2, C = 5, H = 8, W = 8, K = 6, nx = B * C * H * W, nw = K * C * 9, ny = B * K * H * W;
    const x = newBuf(nx), w = newBuf(nw), w2 = newBuf(nw), y = newBuf(ny), ry = newBuf(ny);
    fillRandom(x, nx); fillRandom(w, nw);
    const ws = heap.alloc(<usize>Math.max(winogradWorkspaceBytes(B, C, H, W, K, 4), conv2dGemmWorkspaceBytes(B, C, H, W, K, 3, 3, 1, 1, 1, 1)));
    winogradForward(y, x, w, 0, B, C, H, W, K, ws, 4);
    for (let bad = 0; bad < 2; bad++) {
      for (let i = 0; i < nw; i++) store<f32>(w2 + (<usize>i << 2), load<f32>(w + (<usize>(bad ? i - i % 9 + 8 - i % 9 : i) << 2)));
      if (!bad) store<f32>(w2 + 68, load<f32>(w + 68) * 1.01 + 0.01);
      conv2dForwardGemm(ry, x, w2, 0, B, C, H, W, K, 3, 3, 1, 1, 1, 1, ws);
      let d: f64 = 0, big: f64 = 1;
      for (let i = 0; i < ny; i++) { d = Math.max(d, Math.abs(ld(y, i) - ld(ry, i))); big = Math.max(big, Math.abs(ld(ry, i))); }
      log<string>("negative test (" + (bad ? "rotated kernel" : "one weight 1 % off") + "): " + (d / (RTOL_F4 * big)).toString() + " × the F(4×4) tolerance");
      expect(d / (RTOL_F4 * big)).toBeGreaterThan(bad ? 1000 : 10);
    }
    freeBuf(x); freeBuf(w); freeBuf(w2); freeBuf(y); freeBuf(ry); heap.free(ws);
  });

  it("stride-2 Winograd forward against im2col + GEMM on awkward shapes, and its dispatch", () => {
    kind = 3;
    RTOL = RTOL_F2;
    for (let s = 0; s < S2_SHAPES.length; s += 5) {
      const B = S2_SHAPES[s], Cin = S2_SHAPES[s + 1], H = S2_SHAPES[s + 2], W = S2_SHAPES[s + 3], Cout = S2_SHAPES[s + 4];
      const Ho = (H - 1) / 2 + 1, Wo = (W - 1) / 2 + 1, nx = B * Cin * H * W, nw = Cout * Cin * 9, ny = B * Cout * Ho * Wo;
      const tag = "winograd stride 2 B" + B.toString() + " " + Cin.toString() + "→" + Cout.toString() + " " + H.toString() + "x" + W.toString();
      const x = newBuf(nx), w = newBuf(nw), bias = newBuf(Cout), y = newBuf(ny), ry = newBuf(ny);
      fillRandom(x, nx); fillRandom(w, nw); fillRandom(bias, Cout);
      const fn = <i32>((<usize>winogradS2WorkspaceBytes(B, Cin, H, W, Cout, false) + 3) >> 2), ws = newBuf(fn);
      const gws = heap.alloc(<usize>conv2dGemmWorkspaceBytes(B, Cin, H, W, Cout, 3, 3, 2, 2, 1, 1));
      for (let withBias = 0; withBias < 2; withBias++) {
        const bp = withBias ? bias : 0;
        fillNaN(y, ny); fillNaN(ws, fn);
        winogradS2Forward(y, x, w, bp, B, Cin, H, W, Cout, false, 0, 0, ws);
        conv2dForwardGemm(ry, x, w, bp, B, Cin, H, W, Cout, 3, 3, 2, 2, 1, 1, gws);
        close(y, ry, ny, tag + (withBias ? " forward" : " forward (no bias)"));
      }
      expect(guardsOk(ws, fn)).toBeTruthy(tag + ": write outside the workspace");
      freeBuf(x); freeBuf(w); freeBuf(bias); freeBuf(y); freeBuf(ry); freeBuf(ws); heap.free(gws);
    }
    // Dispatch: conv2dForward gives the stride-2 path's bits, backward the GEMM's; the workspace covers both.
    const B = 2, C = 3, H = 12, W = 12, K = 4, nx = B * C * H * W, nw = K * C * 9, ny = B * K * 36;
    const x = newBuf(nx), w = newBuf(nw), y = newBuf(ny), ry = newBuf(ny), dx = newBuf(nx), rdx = newBuf(nx), dw = newBuf(nw), rdw = newBuf(nw);
    fillRandom(x, nx); fillRandom(w, nw);
    const bytes = conv2dWorkspaceBytes(B, C, H, W, K, 3, 3, 2, 2, 1, 1);
    expect(bytes).toBeGreaterThanOrEqual(conv2dGemmWorkspaceBytes(B, C, H, W, K, 3, 3, 2, 2, 1, 1));
    expect(bytes).toBeGreaterThanOrEqual(winogradS2WorkspaceBytes(B, C, H, W, K, false));
    const ws = heap.alloc(<usize>bytes);
    conv2dForward(y, x, w, 0, B, C, H, W, K, 3, 3, 2, 2, 1, 1, ws);
    winogradS2Forward(ry, x, w, 0, B, C, H, W, K, false, 0, 0, ws);
    sameBits(y, ry, ny, "dispatched stride-2 forward");
    memory.fill(dx, 0, <usize>nx << 2); memory.fill(rdx, 0, <usize>nx << 2); memory.fill(dw, 0, <usize>nw << 2); memory.fill(rdw, 0, <usize>nw << 2);
    conv2dBackward(dx, dw, 0, y, x, w, B, C, H, W, K, 3, 3, 2, 2, 1, 1, ws);
    conv2dBackwardGemm(rdx, rdw, 0, y, x, w, B, C, H, W, K, 3, 3, 2, 2, 1, 1, ws);
    sameBits(dx, rdx, nx, "dispatched stride-2 backward dx");
    sameBits(dw, rdw, nw, "dispatched stride-2 backward dw");
    freeBuf(x); freeBuf(w); freeBuf(y); freeBuf(ry); freeBuf(dx); freeBuf(rdx); freeBuf(dw); freeBuf(rdw); heap.free(ws);
  });

  it("the stride-2 tile transforms' SIMD kernels equal their scalar references bit for bit (conv and transposed)", () => {
    stride2Tiles(false);
    stride2Tiles(true);
  });

  it("transposed stride-2 Winograd forward against GEMM + col2im on awkward shapes, and its dispatch", () => {
    kind = 4;
    RTOL = RTOL_F2;
    for (let s = 0; s < T2_SHAPES.length; s += 6) {
      const B = T2_SHAPES[s], Cin = T2_SHAPES[s + 1], H = T2_SHAPES[s + 2], W = T2_SHAPES[s + 3], Cout = T2_SHAPES[s + 4], op = T2_SHAPES[s + 5];
      const Ho = 2 * H - 1 + op, Wo = 2 * W - 1 + op, nx = B * Cin * H * W, nw = Cout * Cin * 9, ny = B * Cout * Ho * Wo;
      const tag = "winograd transposed stride 2 B" + B.toString() + " " + Cin.toString() + "→" + Cout.toString() + " " + H.toString() + "x" + W.toString() + " op" + op.toString();
      const x = newBuf(nx), w = newBuf(nw), bias = newBuf(Cout), y = newBuf(ny), ry = newBuf(ny);
      fillRandom(x, nx); fillRandom(w, nw); fillRandom(bias, Cout);
      const fn = <i32>((<usize>winogradS2WorkspaceBytes(B, Cin, H, W, Cout, true) + 3) >> 2), ws = newBuf(fn);
      const gws = heap.alloc(<usize>convTranspose2dWorkspaceBytes(B, Cin, H, W, Cout, 3, 3, 2, 2, 1, 1, op, op));
      for (let withBias = 0; withBias < 2; withBias++) {
        const bp = withBias ? bias : 0;
        fillNaN(y, ny); fillNaN(ws, fn);
        winogradS2Forward(y, x, w, bp, B, Cin, H, W, Cout, true, op, op, ws);
        convTranspose2dForwardGemm(ry, x, w, bp, B, Cin, H, W, Cout, 3, 3, 2, 2, 1, 1, op, op, gws);
        close(y, ry, ny, tag + (withBias ? " forward" : " forward (no bias)"));
        // Added into a skip, with a leaky ReLU of the sum (as an inference model runs up-sampling, add and
        // activation in one): the bits of the output, then the add, then the activation; whole and in 2 parts.
        const skip = newBuf(ny), sum = newBuf(ny), acc = newBuf(ny);
        fillRandom(skip, ny);
        for (let i = 0; i < ny; i++) {
          const v = load<f32>(y + (<usize>i << 2)) + load<f32>(skip + (<usize>i << 2));
          store<f32>(sum + (<usize>i << 2), v > 0 ? v : v * <f32>0.1);
        }
        for (let parts = 1; parts <= 2; parts++) {
          copyBuf(acc, skip, ny);
          for (let part = 0; part < parts; part++)
            winogradS2Forward(acc, x, w, bp, B, Cin, H, W, Cout, true, op, op, ws, OP_LEAKY_RELU, 0.1, false, part, parts, true);
          sameBits(acc, sum, ny, tag + " forward added into a skip, leaky ReLU of the sum, parts " + parts.toString());
        }
        freeBuf(skip); freeBuf(sum); freeBuf(acc);
      }
      expect(guardsOk(ws, fn)).toBeTruthy(tag + ": write outside the workspace");
      freeBuf(x); freeBuf(w); freeBuf(bias); freeBuf(y); freeBuf(ry); freeBuf(ws); heap.free(gws);
    }
    expect(convTranspose2dWinograd(4, 14, 14, 6, 3, 3, 2, 2, 1, 1, 1, 1)).toBe(true);
    expect(convTranspose2dWinograd(4, 7, 7, 6, 3, 3, 2, 2, 1, 1, 1, 1)).toBe(true); // 0.91 of the products
    expect(convTranspose2dWinograd(4, 3, 3, 6, 3, 3, 2, 2, 1, 1, 1, 1)).toBe(false); // 1.23
    // The kernel transform is paid once a call: a 2×2 image (11 products saved a pair) is not enough,
    // a 4×4 one (44) is; for any batch, so an image's output does not depend on its batch.
    expect(convTranspose2dWinograd(4, 2, 2, 6, 3, 3, 2, 2, 1, 1, 1, 1)).toBe(false);
    expect(convTranspose2dWinograd(4, 4, 4, 6, 3, 3, 2, 2, 1, 1, 1, 1)).toBe(true);
    expect(conv2dPath(4, 4, 4, 6, 3, 3, 2, 2, 1, 1)).toBe(FAST_NONE);
    expect(conv2dPath(4, 8, 8, 6, 3, 3, 2, 2, 1, 1)).toBe(FAST_WINOGRAD_S2);
    expect(convTranspose2dWinograd(4, 1, 1, 6, 3, 3, 2, 2, 1, 1, 1, 1)).toBe(false); // 25 products for 9
    expect(convTranspose2dWinograd(4, 32, 64, 6, 3, 3, 2, 2, 1, 1, 1, 1)).toBe(true);
    expect(convTranspose2dWinograd(4, 32, 66, 6, 3, 3, 2, 2, 1, 1, 1, 1)).toBe(true); // 16 × 33 tiles: in bands
    expect(convTranspose2dWinograd(4, 512, 512, 6, 3, 3, 2, 2, 1, 1, 1, 1)).toBe(true);
    expect(convTranspose2dWinograd(1, 14, 14, 6, 3, 3, 2, 2, 1, 1, 1, 1)).toBe(false);
    expect(convTranspose2dWinograd(4, 14, 14, 6, 3, 3, 2, 2, 0, 0, 1, 1)).toBe(false);
    expect(convTranspose2dWinograd(4, 14, 14, 6, 3, 3, 1, 1, 1, 1, 0, 0)).toBe(false);
    // Dispatch: the Winograd path's bits; backward unchanged; the workspace covers both.
    const B = 2, C = 3, H = 6, W = 6, K = 4, nx = B * C * H * W, nw = K * C * 9, ny = B * K * 144;
    const x = newBuf(nx), w = newBuf(nw), y = newBuf(ny), ry = newBuf(ny);
    fillRandom(x, nx); fillRandom(w, nw);
    const bytes = convTranspose2dWorkspaceBytes(B, C, H, W, K, 3, 3, 2, 2, 1, 1, 1, 1);
    expect(bytes).toBeGreaterThanOrEqual(winogradS2WorkspaceBytes(B, C, H, W, K, true));
    const ws = heap.alloc(<usize>bytes);
    convTranspose2dForward(y, x, w, 0, B, C, H, W, K, 3, 3, 2, 2, 1, 1, 1, 1, ws);
    winogradS2Forward(ry, x, w, 0, B, C, H, W, K, true, 1, 1, ws);
    sameBits(y, ry, ny, "dispatched transposed stride-2 forward");
    const dx = newBuf(nx), dw = newBuf(nw);
    memory.fill(dx, 0, <usize>nx << 2); memory.fill(dw, 0, <usize>nw << 2);
    convTranspose2dBackward(dx, dw, 0, y, x, w, B, C, H, W, K, 3, 3, 2, 2, 1, 1, 1, 1, ws); // runs in the workspace
    freeBuf(x); freeBuf(w); freeBuf(y); freeBuf(ry); freeBuf(dx); freeBuf(dw); heap.free(ws);
  });

  it("the comparisons saw rounding differences (none was vacuous)", () => {
    log<string>((BUILD_MODE == MODE_RELAXED ? "relaxed" : "strict") + " build: worst max|fast − gemm| / max(1, max|gemm|): F(2×2) " +
      worst[0].toString() + ", F(4×4) " + worst[1].toString() + ", direct " + worst[2].toString() + ", F(2×2) stride 2 " + worst[3].toString() + ", transposed stride 2 " + worst[4].toString());
    for (let k = 0; k < 5; k++) expect(worst[k]).toBeGreaterThan(1e-9, "no comparison saw any rounding");
  });
});

// Every fast path also runs as the scalar references of its steps (`scalar` = true: the tile transforms'
// *Ref, gemm_packed.ts gemmPackedARef and gemmRef for the products, direct3x3.ts's scalar loops, im2col.ts
// channelSumsAdd4's scalar sums), which is what the scalar build runs. The strict build must equal them
// bit for bit (so the strict and scalar builds agree), the relaxed build (fused multiply-adds) within
// RTOL_REF of them; and the references must differ from im2col + GEMM somewhere, or the bit test would
// say nothing a GEMM comparison does not.
const RTOL_REF: f64 = 1e-5;
let refElements = 0, refDiffersFromGemm = 0;

/** a equals b bit for bit (strict), or within RTOL_REF · max(1, max|b|) (relaxed); a's guards intact. */
function matchRef(a: usize, b: usize, n: i32, what: string): void {
  if (BUILD_MODE == MODE_RELAXED) {
    let d: f64 = 0, big: f64 = 1;
    for (let i = 0; i < n; i++) {
      const e = Math.abs(ld(a, i) - ld(b, i));
      d = isNaN(e) ? Infinity : Math.max(d, e);
      big = Math.max(big, Math.abs(ld(b, i)));
    }
    expect(d / (RTOL_REF * big)).toBeLessThanOrEqual(1, what);
  } else sameBits(a, b, n, what);
  expect(guardsOk(a, n)).toBeTruthy(what + ": write outside the buffer");
}

function bitsDiffer(a: usize, b: usize, n: i32): i32 {
  let k = 0;
  for (let i = 0; i < n; i++) if (load<u32>(a + (<usize>i << 2)) != load<u32>(b + (<usize>i << 2))) k++;
  return k;
}

// Paths of refShape: conv2d.ts's FAST_* codes, and the transposed stride-2 forward.
const REF_T2: i32 = 9;

/**
 * One fast path (FAST_WINOGRAD with tile side m, FAST_DIRECT, FAST_WINOGRAD_S2, REF_T2 with output padding
 * op) against its scalar references: forward with and without bias; for the stride-1 paths backward
 * (dx, dw, db from the same random values) twice, then with dx = 0 and db = 0.
 */
function refShape(path: i32, m: i32, B: i32, Cin: i32, H: i32, W: i32, Cout: i32, op: i32): void {
  const s2 = path == FAST_WINOGRAD_S2, t2 = path == REF_T2;
  const Ho = t2 ? 2 * H - 1 + op : s2 ? (H - 1) / 2 + 1 : H, Wo = t2 ? 2 * W - 1 + op : s2 ? (W - 1) / 2 + 1 : W;
  const tag = "scalar reference of " + (path == FAST_WINOGRAD ? "winograd F" + m.toString() : path == FAST_DIRECT ? "direct" : s2 ? "stride 2" : "transposed stride 2") +
    " B" + B.toString() + " " + Cin.toString() + "→" + Cout.toString() + " " + H.toString() + "x" + W.toString();
  const nx = B * Cin * H * W, nw = Cout * Cin * 9, ny = B * Cout * Ho * Wo;
  const x = newBuf(nx), w = newBuf(nw), bias = newBuf(Cout), dy = newBuf(ny), y = newBuf(ny), ry = newBuf(ny), gy = newBuf(ny);
  fillRandom(x, nx); fillRandom(w, nw); fillRandom(bias, Cout); fillRandom(dy, ny);
  const bytes = path == FAST_WINOGRAD ? winogradWorkspaceBytes(B, Cin, H, W, Cout, m) : path == FAST_DIRECT ? direct3x3WorkspaceBytes(Cin, H, W, Cout)
    : winogradS2WorkspaceBytes(B, Cin, H, W, Cout, t2);
  const fn = <i32>((<usize>bytes + 3) >> 2), ws = newBuf(fn);
  const gws = heap.alloc(<usize>(t2 ? convTranspose2dWorkspaceBytes(B, Cin, H, W, Cout, 3, 3, 2, 2, 1, 1, op, op)
    : conv2dGemmWorkspaceBytes(B, Cin, H, W, Cout, 3, 3, s2 ? 2 : 1, s2 ? 2 : 1, 1, 1)));
  for (let withBias = 0; withBias < 2; withBias++) {
    const bp = withBias ? bias : 0;
    for (let scalar = 0; scalar < 2; scalar++) {
      const out = scalar ? ry : y;
      fillNaN(out, ny); fillNaN(ws, fn);
      if (path == FAST_WINOGRAD) winogradForward(out, x, w, bp, B, Cin, H, W, Cout, ws, m, 0, 0, scalar != 0);
      else if (path == FAST_DIRECT) direct3x3Forward(out, x, w, bp, B, Cin, H, W, Cout, ws, 0, 0, scalar != 0);
      else winogradS2Forward(out, x, w, bp, B, Cin, H, W, Cout, t2, op, op, ws, 0, 0, scalar != 0);
      expect(guardsOk(ws, fn)).toBeTruthy(tag + ": write outside the workspace");
    }
    matchRef(y, ry, ny, tag + (withBias ? " forward" : " forward (no bias)"));
    if (t2) convTranspose2dForwardGemm(gy, x, w, bp, B, Cin, H, W, Cout, 3, 3, 2, 2, 1, 1, op, op, gws);
    else conv2dForwardGemm(gy, x, w, bp, B, Cin, H, W, Cout, 3, 3, s2 ? 2 : 1, s2 ? 2 : 1, 1, 1, gws);
    refElements += ny;
    refDiffersFromGemm += bitsDiffer(ry, gy, ny);
  }
  if (!s2 && !t2) {
    const dx = newBuf(nx), dw = newBuf(nw), db = newBuf(Cout), rdx = newBuf(nx), rdw = newBuf(nw), rdb = newBuf(Cout);
    fillRandom(dx, nx); fillRandom(dw, nw); fillRandom(db, Cout);
    copyBuf(rdx, dx, nx); copyBuf(rdw, dw, nw); copyBuf(rdb, db, Cout);
    for (let round = 0; round < 4; round++) {
      const wantDx = round != 2, wantDb = round != 3;
      for (let scalar = 0; scalar < 2; scalar++) {
        fillNaN(ws, fn);
        const gx = wantDx ? (scalar ? rdx : dx) : 0, gw = scalar ? rdw : dw, gb = wantDb ? (scalar ? rdb : db) : 0;
        if (path == FAST_WINOGRAD) winogradBackward(gx, gw, gb, dy, x, w, B, Cin, H, W, Cout, ws, m, scalar != 0);
        else direct3x3Backward(gx, gw, gb, dy, x, w, B, Cin, H, W, Cout, ws, scalar != 0);
        expect(guardsOk(ws, fn)).toBeTruthy(tag + ": write outside the workspace");
      }
      const r = " backward round " + round.toString();
      matchRef(dx, rdx, nx, tag + r + " dx"); matchRef(dw, rdw, nw, tag + r + " dw"); matchRef(db, rdb, Cout, tag + r + " db");
    }
    freeBuf(dx); freeBuf(dw); freeBuf(db); freeBuf(rdx); freeBuf(rdw); freeBuf(rdb);
  }
  freeBuf(x); freeBuf(w); freeBuf(bias); freeBuf(dy); freeBuf(y); freeBuf(ry); freeBuf(gy); freeBuf(ws); heap.free(gws);
}

describe("the fast paths against their scalar references (the scalar build's path)", () => {
  it("Winograd F(2×2) and F(4×4), forward and backward: strict bit for bit, relaxed within rounding", () => {
    for (let s = 0; s < 2 * WINOGRAD_SHAPES.length; s += 5) {
      const m = s < WINOGRAD_SHAPES.length ? 2 : 4, k = s % WINOGRAD_SHAPES.length;
      refShape(FAST_WINOGRAD, m, WINOGRAD_SHAPES[k], WINOGRAD_SHAPES[k + 1], WINOGRAD_SHAPES[k + 2], WINOGRAD_SHAPES[k + 3], WINOGRAD_SHAPES[k + 4], 0);
    }
  });
  it("direct loops, forward and backward: strict bit for bit, relaxed within rounding", () => {
    for (let s = 0; s < DIRECT_SHAPES.length; s += 5) {
      refShape(FAST_DIRECT, 0, DIRECT_SHAPES[s], DIRECT_SHAPES[s + 1], DIRECT_SHAPES[s + 2], DIRECT_SHAPES[s + 3], DIRECT_SHAPES[s + 4], 0);
    }
  });
  it("stride-2 Winograd forward, conv and transposed: strict bit for bit, relaxed within rounding", () => {
    for (let s = 0; s < S2_SHAPES.length; s += 5) refShape(FAST_WINOGRAD_S2, 0, S2_SHAPES[s], S2_SHAPES[s + 1], S2_SHAPES[s + 2], S2_SHAPES[s + 3], S2_SHAPES[s + 4], 0);
    for (let s = 0; s < T2_SHAPES.length; s += 6) refShape(REF_T2, 0, T2_SHAPES[s], T2_SHAPES[s + 1], T2_SHAPES[s + 2], T2_SHAPES[s + 3], T2_SHAPES[s + 4], T2_SHAPES[s + 5]);
  });
  it("the references are other sums than im2col + GEMM's (the bit test is not vacuous), and a changed bit is seen", () => {
    log<string>("scalar references differ from im2col + GEMM in " + refDiffersFromGemm.toString() + " of " + refElements.toString() + " forward outputs");
    expect(refDiffersFromGemm).toBeGreaterThan(refElements / 10);
    // The strict comparison sees one ulp: a forward with one weight changed in its last bit.
    const B = 2, C = 5, H = 8, W = 8, K = 6, nx = B * C * H * W, nw = K * C * 9, ny = B * K * H * W;
    const x = newBuf(nx), w = newBuf(nw), y = newBuf(ny), ry = newBuf(ny);
    fillRandom(x, nx); fillRandom(w, nw);
    const ws = heap.alloc(<usize>winogradWorkspaceBytes(B, C, H, W, K, 2));
    winogradForward(y, x, w, 0, B, C, H, W, K, ws, 2);
    store<u32>(w + 68, load<u32>(w + 68) ^ 1);
    winogradForward(ry, x, w, 0, B, C, H, W, K, ws, 2, 0, 0, true);
    expect(bitsDiffer(y, ry, ny)).toBeGreaterThan(0);
    freeBuf(x); freeBuf(w); freeBuf(y); freeBuf(ry); heap.free(ws);
  });
});

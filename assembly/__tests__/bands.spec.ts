// The forward paths in bands of rows (an inference model's workspace grows with a band, not an image)
// against the same forward in one band per image (the whole image, as before bands: the full
// workspace), bit for bit in every build: Winograd F(2×2) and F(4×4) (SIMD and scalar references),
// im2col + GEMM, GEMM + col2im (transposed, bands last first: overlapping rows keep their order of
// sums), and the direct loops. Band heights of 1, ones that do not divide the image's rows, and ≥ the
// image. Then each forward on a shape its dispatch bands by itself, in a workspace of exactly its
// forward-only formula (NaN-filled, guarded), against one band per image.
import { conv2dForward, conv2dForwardGemmBands, conv2dForwardWorkspaceBytes, conv2dGemmWorkspaceBytes, conv2dPath, FAST_NONE } from "../conv2d";
import {
  convTranspose2dForward, convTranspose2dForwardGemm, convTranspose2dForwardGemmBands, convTranspose2dForwardWorkspaceBytes,
  convTranspose2dWinograd, convTranspose2dWorkspaceBytes,
} from "../conv_transpose2d";
import { winogradForward, winogradForwardBands, winogradForwardWorkspaceBytes, winogradWorkspaceBytes } from "../winograd";
import { direct3x3Forward, direct3x3ForwardBands, direct3x3ForwardWorkspaceBytes, direct3x3WorkspaceBytes, direct3x3BandRows } from "../direct3x3";
import { winogradS2Forward, winogradS2ForwardBands, winogradS2WorkspaceBytes } from "../winograd_s2";
import { FAST_WINOGRAD_S2 } from "../conv2d";
import { OP_LEAKY_RELU } from "../abi";
import { gemmScratchBytes } from "../gemm_packed";

/** Workspace bytes beyond the GEMM's packing scratch (a constant ~2 MiB, most of a small shape's). */
function beyondScratch(bytes: f64): f64 { return bytes - <f64>gemmScratchBytes(); }

let seed: u32 = 0x6A09E667;
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
/** A NaN-filled, guarded workspace of `bytes`, 16-byte aligned (newBuf's guard is 16 bytes). */
function newWs(bytes: f64): usize {
  const n = <i32>((<i64>bytes + 3) >> 2), p = newBuf(n);
  fillNaN(p, n);
  return p;
}
function wsFloats(bytes: f64): i32 { return <i32>((<i64>bytes + 3) >> 2); }

function sameBits(a: usize, b: usize, n: i32, what: string): void {
  let bad = 0;
  for (let i = 0; i < n; i++) if (load<u32>(a + (<usize>i << 2)) != load<u32>(b + (<usize>i << 2))) bad++;
  expect(bad).toBe(0, what);
  expect(guardsOk(a, n)).toBeTruthy(what + ": write outside the output");
}

function tag(what: string, B: i32, Cin: i32, H: i32, W: i32, Cout: i32, rows: i32): string {
  return what + " B" + B.toString() + " " + Cin.toString() + "→" + Cout.toString() + " " + H.toString() + "x" + W.toString() +
    " bands of " + rows.toString();
}

/** Winograd F(m×m): bands of bt tile rows against one band per image, SIMD and scalar, with and without a fused leaky ReLU. */
function winogradBands(m: i32, B: i32, Cin: i32, H: i32, W: i32, Cout: i32, bts: i32[]): void {
  const nx = B * Cin * H * W, ny = B * Cout * H * W, tH = (H + m - 1) / m;
  const x = newBuf(nx), w = newBuf(Cout * Cin * 9), bias = newBuf(Cout), y = newBuf(ny), ry = newBuf(ny);
  fillRandom(x, nx); fillRandom(w, Cout * Cin * 9); fillRandom(bias, Cout);
  const bytes = winogradWorkspaceBytes(B, Cin, H, W, Cout, m), ws = newWs(bytes);
  for (let k = 0; k < bts.length; k++) for (let scalar = 0; scalar < 2; scalar++) for (let act = 0; act < 2; act++) {
    const what = tag("winograd F" + m.toString() + (scalar ? " scalar" : "") + (act ? " + leaky ReLU" : ""), B, Cin, H, W, Cout, bts[k]);
    const a = act ? OP_LEAKY_RELU : 0;
    fillNaN(y, ny); fillNaN(ry, ny);
    winogradForwardBands(ry, x, w, bias, B, Cin, H, W, Cout, ws, m, tH, a, 0.1, scalar != 0);
    winogradForwardBands(y, x, w, bias, B, Cin, H, W, Cout, ws, m, bts[k], a, 0.1, scalar != 0);
    sameBits(y, ry, ny, what);
    expect(guardsOk(ws, wsFloats(bytes))).toBeTruthy(what + ": write outside the workspace");
  }
  freeBuf(x); freeBuf(w); freeBuf(bias); freeBuf(y); freeBuf(ry); freeBuf(ws);
}

/** Stride-2 Winograd (conv, or transposed with output padding op): bands of bt tile rows against one band per image, SIMD and scalar. */
function s2Bands(transposed: bool, B: i32, Cin: i32, H: i32, W: i32, Cout: i32, op: i32, bts: i32[]): void {
  const Ho = transposed ? 2 * H - 1 + op : (H - 1) / 2 + 1, Wo = transposed ? 2 * W - 1 + op : (W - 1) / 2 + 1;
  const tH = ((transposed ? H : Ho) + 1) / 2, nx = B * Cin * H * W, ny = B * Cout * Ho * Wo;
  const x = newBuf(nx), w = newBuf(Cout * Cin * 9), bias = newBuf(Cout), y = newBuf(ny), ry = newBuf(ny);
  fillRandom(x, nx); fillRandom(w, Cout * Cin * 9); fillRandom(bias, Cout);
  const bytes = winogradS2WorkspaceBytes(B, Cin, H, W, Cout, transposed), ws = newWs(bytes);
  for (let k = 0; k < bts.length; k++) for (let scalar = 0; scalar < 2; scalar++) {
    const what = tag((transposed ? "transposed " : "") + "stride-2 Winograd" + (scalar ? " scalar" : ""), B, Cin, H, W, Cout, bts[k]);
    fillNaN(y, ny); fillNaN(ry, ny);
    winogradS2ForwardBands(ry, x, w, bias, B, Cin, H, W, Cout, transposed, op, op, ws, tH, OP_LEAKY_RELU, 0.1, scalar != 0);
    winogradS2ForwardBands(y, x, w, bias, B, Cin, H, W, Cout, transposed, op, op, ws, bts[k], OP_LEAKY_RELU, 0.1, scalar != 0);
    sameBits(y, ry, ny, what);
    expect(guardsOk(ws, wsFloats(bytes))).toBeTruthy(what + ": write outside the workspace");
  }
  freeBuf(x); freeBuf(w); freeBuf(bias); freeBuf(y); freeBuf(ry); freeBuf(ws);
}

/** im2col + GEMM: bands of `rows` output rows against one band per image. */
function conv2dBands(B: i32, Cin: i32, H: i32, W: i32, Cout: i32, k: i32, s: i32, p: i32, rowsList: i32[]): void {
  const Ho = (H + 2 * p - k) / s + 1, Wo = (W + 2 * p - k) / s + 1, nx = B * Cin * H * W, ny = B * Cout * Ho * Wo, nw = Cout * Cin * k * k;
  const x = newBuf(nx), w = newBuf(nw), bias = newBuf(Cout), y = newBuf(ny), ry = newBuf(ny);
  fillRandom(x, nx); fillRandom(w, nw); fillRandom(bias, Cout);
  const bytes = conv2dGemmWorkspaceBytes(B, Cin, H, W, Cout, k, k, s, s, p, p), ws = newWs(bytes);
  for (let i = 0; i < rowsList.length; i++) for (let withBias = 0; withBias < 2; withBias++) {
    const what = tag("im2col + GEMM " + k.toString() + "x" + k.toString() + " stride " + s.toString() + (withBias ? "" : " (no bias)"), B, Cin, H, W, Cout, rowsList[i]);
    const bp = withBias ? bias : 0;
    fillNaN(y, ny); fillNaN(ry, ny);
    conv2dForwardGemmBands(ry, x, w, bp, B, Cin, H, W, Cout, k, k, s, s, p, p, ws, Ho, OP_LEAKY_RELU, 0.1);
    conv2dForwardGemmBands(y, x, w, bp, B, Cin, H, W, Cout, k, k, s, s, p, p, ws, rowsList[i], OP_LEAKY_RELU, 0.1);
    sameBits(y, ry, ny, what);
    expect(guardsOk(ws, wsFloats(bytes))).toBeTruthy(what + ": write outside the workspace");
  }
  freeBuf(x); freeBuf(w); freeBuf(bias); freeBuf(y); freeBuf(ry); freeBuf(ws);
}

/** GEMM + col2im (transposed): bands of `rows` input rows, last first, against one band per image and the chunked path. */
function convTransposeBands(B: i32, Cin: i32, H: i32, W: i32, Cout: i32, k: i32, s: i32, p: i32, op: i32, rowsList: i32[]): void {
  const Ho = (H - 1) * s - 2 * p + k + op, Wo = (W - 1) * s - 2 * p + k + op, nx = B * Cin * H * W, ny = B * Cout * Ho * Wo, nw = Cin * Cout * k * k;
  const x = newBuf(nx), w = newBuf(nw), bias = newBuf(Cout), y = newBuf(ny), ry = newBuf(ny);
  fillRandom(x, nx); fillRandom(w, nw); fillRandom(bias, Cout);
  const bytes = convTranspose2dWorkspaceBytes(B, Cin, H, W, Cout, k, k, s, s, p, p, op, op), ws = newWs(bytes);
  // The chunked path (several images a GEMM) is the same sums as one band per image.
  fillNaN(y, ny); fillNaN(ry, ny);
  convTranspose2dForwardGemm(ry, x, w, bias, B, Cin, H, W, Cout, k, k, s, s, p, p, op, op, ws);
  convTranspose2dForwardGemmBands(y, x, w, bias, B, Cin, H, W, Cout, k, k, s, s, p, p, op, op, ws, H);
  sameBits(y, ry, ny, tag("GEMM + col2im chunked", B, Cin, H, W, Cout, H));
  for (let i = 0; i < rowsList.length; i++) for (let withBias = 0; withBias < 2; withBias++) {
    const what = tag("GEMM + col2im " + k.toString() + "x" + k.toString() + " stride " + s.toString() + (withBias ? "" : " (no bias)"), B, Cin, H, W, Cout, rowsList[i]);
    const bp = withBias ? bias : 0;
    fillNaN(y, ny); fillNaN(ry, ny);
    convTranspose2dForwardGemmBands(ry, x, w, bp, B, Cin, H, W, Cout, k, k, s, s, p, p, op, op, ws, H);
    convTranspose2dForwardGemmBands(y, x, w, bp, B, Cin, H, W, Cout, k, k, s, s, p, p, op, op, ws, rowsList[i]);
    sameBits(y, ry, ny, what);
    expect(guardsOk(ws, wsFloats(bytes))).toBeTruthy(what + ": write outside the workspace");
  }
  freeBuf(x); freeBuf(w); freeBuf(bias); freeBuf(y); freeBuf(ry); freeBuf(ws);
}

/** Direct loops: bands of `rows` output rows against one band per image, SIMD and scalar. */
function directBands(B: i32, Cin: i32, H: i32, W: i32, Cout: i32, rowsList: i32[]): void {
  const nx = B * Cin * H * W, ny = B * Cout * H * W;
  const x = newBuf(nx), w = newBuf(Cout * Cin * 9), bias = newBuf(Cout), y = newBuf(ny), ry = newBuf(ny);
  fillRandom(x, nx); fillRandom(w, Cout * Cin * 9); fillRandom(bias, Cout);
  const bytes = direct3x3WorkspaceBytes(Cin, H, W, Cout), ws = newWs(bytes);
  for (let i = 0; i < rowsList.length; i++) for (let scalar = 0; scalar < 2; scalar++) {
    const what = tag("direct" + (scalar ? " scalar" : ""), B, Cin, H, W, Cout, rowsList[i]);
    fillNaN(y, ny); fillNaN(ry, ny);
    direct3x3ForwardBands(ry, x, w, bias, B, Cin, H, W, Cout, ws, H, OP_LEAKY_RELU, 0.1, scalar != 0);
    direct3x3ForwardBands(y, x, w, bias, B, Cin, H, W, Cout, ws, rowsList[i], OP_LEAKY_RELU, 0.1, scalar != 0);
    sameBits(y, ry, ny, what);
    expect(guardsOk(ws, wsFloats(bytes))).toBeTruthy(what + ": write outside the workspace");
  }
  freeBuf(x); freeBuf(w); freeBuf(bias); freeBuf(y); freeBuf(ry); freeBuf(ws);
}

describe("forward passes in bands of rows: the bits of one band per image", () => {
  it("Winograd F(2×2) and F(4×4): bands of 1, of heights that do not divide the tile rows, and ≥ the image", () => {
    winogradBands(2, 2, 5, 23, 19, 6, [1, 5, 12, 15]);   // 12 tile rows of 10
    winogradBands(4, 2, 5, 23, 19, 6, [1, 4, 6, 9]);     // 6 tile rows of 5 (gathered lanes)
    winogradBands(4, 1, 3, 17, 16, 4, [1, 2, 3, 5, 8]);  // 5 tile rows of 4 (one row walk)
    winogradBands(2, 3, 1, 1, 9, 2, [1, 2]);             // one row
  });
  it("stride-2 Winograd, conv and transposed: odd and even sides, bands of 1 to past the image", () => {
    s2Bands(false, 2, 5, 23, 18, 6, 0, [1, 2, 5, 6, 9]);   // 12×9 outputs: 6 tile rows
    s2Bands(false, 1, 3, 9, 31, 4, 0, [1, 2, 3]);          // 5×16 outputs: 3 tile rows (the last half outside)
    s2Bands(true, 2, 5, 11, 9, 6, 1, [1, 2, 4, 6, 8]);     // 11 input rows: 6 tile rows
    s2Bands(true, 1, 4, 8, 13, 3, 0, [1, 3, 4, 5]);
  });
  it("im2col + GEMM: stride 2 (the U-Nets' downsampling) and a 5×5 kernel", () => {
    conv2dBands(2, 8, 13, 17, 8, 3, 2, 1, [1, 2, 3, 7, 10]);  // 7×9 outputs
    conv2dBands(1, 8, 11, 9, 8, 5, 1, 2, [1, 4, 11, 20]);     // 11×9 outputs
  });
  it("GEMM + col2im: overlapping kernel windows (3×3 and 4×4 stride 2, 3×3 stride 1), bands last first", () => {
    convTransposeBands(2, 8, 7, 9, 8, 3, 2, 1, 1, [1, 2, 3, 7, 9]);
    convTransposeBands(1, 8, 6, 8, 8, 4, 2, 1, 0, [1, 4, 5, 6]);
    convTransposeBands(2, 8, 7, 8, 8, 3, 1, 1, 0, [1, 2, 3, 10]);
  });
  it("direct loops: one input or one output channel, bands of 1 to past the image", () => {
    directBands(2, 1, 13, 10, 6, [1, 2, 3, 4, 13, 20]);
    directBands(2, 5, 11, 9, 1, [1, 3, 5, 6, 11]);
  });
});

describe("the dispatch bands a large image by itself, within the forward-only workspace", () => {
  it("Winograd, im2col + GEMM, GEMM + col2im, stride-2 Winograd and the direct loops", () => {
    // Winograd F(2×2), 70×70: 35 × 35 tiles, more than a chunk.
    {
      const B = 1, Cin = 4, H = 70, W = 70, Cout = 4, nx = B * Cin * H * W, ny = B * Cout * H * W;
      const x = newBuf(nx), w = newBuf(Cout * Cin * 9), bias = newBuf(Cout), y = newBuf(ny), ry = newBuf(ny);
      fillRandom(x, nx); fillRandom(w, Cout * Cin * 9); fillRandom(bias, Cout);
      const fb = winogradForwardWorkspaceBytes(B, Cin, H, W, Cout, 2), ws = newWs(fb), full = newWs(winogradWorkspaceBytes(B, Cin, H, W, Cout, 2));
      expect(beyondScratch(fb)).toBeLessThan(beyondScratch(winogradWorkspaceBytes(B, Cin, H, W, Cout, 2)) / 2, "winograd: the forward's workspace is a band's");
      fillNaN(y, ny); fillNaN(ry, ny);
      winogradForward(y, x, w, bias, B, Cin, H, W, Cout, ws, 2);
      winogradForwardBands(ry, x, w, bias, B, Cin, H, W, Cout, full, 2, 35);
      sameBits(y, ry, ny, "winograd F2 70x70 dispatch");
      expect(guardsOk(ws, wsFloats(fb))).toBeTruthy("winograd: write outside the forward workspace");
      freeBuf(x); freeBuf(w); freeBuf(bias); freeBuf(y); freeBuf(ry); freeBuf(ws); freeBuf(full);
    }
    // im2col + GEMM, 5×5 stride 1 on 40×40: a column matrix of 200 × 1600 floats.
    {
      const B = 2, Cin = 8, H = 40, W = 40, Cout = 8, nx = B * Cin * H * W, ny = B * Cout * H * W;
      expect(conv2dPath(Cin, H, W, Cout, 5, 5, 1, 1, 2, 2)).toBe(FAST_NONE);
      const x = newBuf(nx), w = newBuf(Cout * Cin * 25), bias = newBuf(Cout), y = newBuf(ny), ry = newBuf(ny);
      fillRandom(x, nx); fillRandom(w, Cout * Cin * 25); fillRandom(bias, Cout);
      const fb = conv2dForwardWorkspaceBytes(B, Cin, H, W, Cout, 5, 5, 1, 1, 2, 2), ws = newWs(fb);
      const full = newWs(conv2dGemmWorkspaceBytes(B, Cin, H, W, Cout, 5, 5, 1, 1, 2, 2));
      expect(beyondScratch(fb)).toBeLessThan(beyondScratch(conv2dGemmWorkspaceBytes(B, Cin, H, W, Cout, 5, 5, 1, 1, 2, 2)) / 2, "im2col: the forward's workspace is a band's");
      fillNaN(y, ny); fillNaN(ry, ny);
      conv2dForward(y, x, w, bias, B, Cin, H, W, Cout, 5, 5, 1, 1, 2, 2, ws);
      conv2dForwardGemmBands(ry, x, w, bias, B, Cin, H, W, Cout, 5, 5, 1, 1, 2, 2, full, H);
      sameBits(y, ry, ny, "im2col + GEMM 40x40 dispatch");
      expect(guardsOk(ws, wsFloats(fb))).toBeTruthy("im2col: write outside the forward workspace");
      freeBuf(x); freeBuf(w); freeBuf(bias); freeBuf(y); freeBuf(ry); freeBuf(ws); freeBuf(full);
    }
    // GEMM + col2im, 4×4 stride 2 on 30×30: a column matrix of 128 × 900 floats.
    {
      const B = 1, Cin = 8, H = 30, W = 30, Cout = 8, Ho = 60, Wo = 60, nx = B * Cin * H * W, ny = B * Cout * Ho * Wo;
      expect(convTranspose2dWinograd(Cin, H, W, Cout, 4, 4, 2, 2, 1, 1, 0, 0)).toBeFalsy();
      const x = newBuf(nx), w = newBuf(Cin * Cout * 16), bias = newBuf(Cout), y = newBuf(ny), ry = newBuf(ny);
      fillRandom(x, nx); fillRandom(w, Cin * Cout * 16); fillRandom(bias, Cout);
      const fb = convTranspose2dForwardWorkspaceBytes(B, Cin, H, W, Cout, 4, 4, 2, 2, 1, 1, 0, 0), ws = newWs(fb);
      const fullBytes = convTranspose2dWorkspaceBytes(B, Cin, H, W, Cout, 4, 4, 2, 2, 1, 1, 0, 0), full = newWs(fullBytes);
      expect(beyondScratch(fb)).toBeLessThan(beyondScratch(fullBytes) / 1.5, "col2im: the forward's workspace is a band's");
      fillNaN(y, ny); fillNaN(ry, ny);
      convTranspose2dForward(y, x, w, bias, B, Cin, H, W, Cout, 4, 4, 2, 2, 1, 1, 0, 0, ws);
      convTranspose2dForwardGemmBands(ry, x, w, bias, B, Cin, H, W, Cout, 4, 4, 2, 2, 1, 1, 0, 0, full, H);
      sameBits(y, ry, ny, "GEMM + col2im 30x30 dispatch");
      expect(guardsOk(ws, wsFloats(fb))).toBeTruthy("col2im: write outside the forward workspace");
      freeBuf(x); freeBuf(w); freeBuf(bias); freeBuf(y); freeBuf(ry); freeBuf(ws); freeBuf(full);
    }
    // Stride-2 Winograd, 64 → 64: 400 tiles, in one chunk's bounds (winogradS2Pays) but more than a chunk's target.
    for (let transposed = 0; transposed < 2; transposed++) {
      const tr = transposed != 0, B = 1, Cin = 64, H = tr ? 40 : 80, W = H, Cout = 64, Ho = tr ? 80 : 40, nx = B * Cin * H * W, ny = B * Cout * Ho * Ho;
      if (tr) expect(convTranspose2dWinograd(Cin, H, W, Cout, 3, 3, 2, 2, 1, 1, 1, 1)).toBeTruthy();
      else expect(conv2dPath(Cin, H, W, Cout, 3, 3, 2, 2, 1, 1)).toBe(FAST_WINOGRAD_S2);
      const x = newBuf(nx), w = newBuf(Cout * Cin * 9), bias = newBuf(Cout), y = newBuf(ny), ry = newBuf(ny);
      fillRandom(x, nx); fillRandom(w, Cout * Cin * 9); fillRandom(bias, Cout);
      const fb = tr ? convTranspose2dForwardWorkspaceBytes(B, Cin, H, W, Cout, 3, 3, 2, 2, 1, 1, 1, 1) : conv2dForwardWorkspaceBytes(B, Cin, H, W, Cout, 3, 3, 2, 2, 1, 1);
      expect(fb).toBe(winogradS2WorkspaceBytes(B, Cin, H, W, Cout, tr));
      const ws = newWs(fb), full = newWs(fb * 4);
      fillNaN(y, ny); fillNaN(ry, ny);
      if (tr) convTranspose2dForward(y, x, w, bias, B, Cin, H, W, Cout, 3, 3, 2, 2, 1, 1, 1, 1, ws);
      else conv2dForward(y, x, w, bias, B, Cin, H, W, Cout, 3, 3, 2, 2, 1, 1, ws);
      winogradS2ForwardBands(ry, x, w, bias, B, Cin, H, W, Cout, tr, tr ? 1 : 0, tr ? 1 : 0, full, 20);
      sameBits(y, ry, ny, (tr ? "transposed " : "") + "stride-2 Winograd dispatch");
      expect(guardsOk(ws, wsFloats(fb))).toBeTruthy("stride-2 Winograd: write outside the forward workspace");
      freeBuf(x); freeBuf(w); freeBuf(bias); freeBuf(y); freeBuf(ry); freeBuf(ws); freeBuf(full);
    }
    // Direct loops, 24 → 1 on 100×60: bands of direct3x3BandRows.
    {
      const B = 1, Cin = 24, H = 100, W = 60, Cout = 1, nx = B * Cin * H * W, ny = B * Cout * H * W;
      expect(direct3x3BandRows(Cin, H, W)).toBeLessThan(H);
      const x = newBuf(nx), w = newBuf(Cout * Cin * 9), bias = newBuf(Cout), y = newBuf(ny), ry = newBuf(ny);
      fillRandom(x, nx); fillRandom(w, Cout * Cin * 9); fillRandom(bias, Cout);
      const fb = direct3x3ForwardWorkspaceBytes(Cin, H, W, Cout), ws = newWs(fb), full = newWs(direct3x3WorkspaceBytes(Cin, H, W, Cout));
      fillNaN(y, ny); fillNaN(ry, ny);
      direct3x3Forward(y, x, w, bias, B, Cin, H, W, Cout, ws);
      direct3x3ForwardBands(ry, x, w, bias, B, Cin, H, W, Cout, full, H);
      sameBits(y, ry, ny, "direct 100x60 dispatch");
      expect(guardsOk(ws, wsFloats(fb))).toBeTruthy("direct: write outside the forward workspace");
      freeBuf(x); freeBuf(w); freeBuf(bias); freeBuf(y); freeBuf(ry); freeBuf(ws); freeBuf(full);
    }
  });
});

/**
 * An output window (winograd_chunks.ts windowed): tiles from the window's first row and column on, as many as
 * cover it. Where it starts on the layer's tile grid the window's outputs have the whole layer's bits, elsewhere
 * they are within 1e-4 (relative to the layer's largest) of them; nothing past the window's tiles is written
 * (its NaN fill, or the skip added into, stays). SIMD and scalar, with a fused leaky ReLU; the transposed path
 * also added into y (`accumulate`). `m`: 2 or 4 (F(m×m)), 0 stride-2, −1 transposed stride-2 (windows start even).
 * Windows inside, off the grid, at the image's end (a partial last tile) and whole.
 */
function windowBits(m: i32, Cin: i32, H: i32, W: i32, Cout: i32, wins: i32[]): void {
  const transposed = m < 0, s2 = m <= 0, side = transposed ? 4 : s2 ? 2 : m;
  const Ho = transposed ? 2 * H : s2 ? (H - 1) / 2 + 1 : H, Wo = transposed ? 2 * W : s2 ? (W - 1) / 2 + 1 : W;
  const nx = Cin * H * W, ny = Cout * Ho * Wo;
  const x = newBuf(nx), w = newBuf(Cout * Cin * 9), bias = newBuf(Cout), y = newBuf(ny), ry = newBuf(ny), skip = newBuf(ny);
  fillRandom(x, nx); fillRandom(w, Cout * Cin * 9); fillRandom(bias, Cout); fillRandom(skip, ny);
  const bytes = s2 ? winogradS2WorkspaceBytes(1, Cin, H, W, Cout, transposed) : winogradWorkspaceBytes(1, Cin, H, W, Cout, m), ws = newWs(bytes);
  const accs = transposed ? 2 : 1;
  for (let k = 0; k + 4 <= wins.length; k += 4) for (let scalar = 0; scalar < 2; scalar++) for (let acc = 0; acc < accs; acc++) {
    const wy0 = wins[k], wy1 = wins[k + 1], wx0 = wins[k + 2], wx1 = wins[k + 3];
    const what = (m > 0 ? "F" + m.toString() : transposed ? "transposed stride-2" : "stride-2") + (scalar ? " scalar" : "") + (acc ? " accumulating" : "") +
      " " + Ho.toString() + "x" + Wo.toString() + " window rows " + wy0.toString() + ".." + wy1.toString() + " columns " + wx0.toString() + ".." + wx1.toString();
    if (acc) { memory.copy(y, skip, <usize>ny << 2); memory.copy(ry, skip, <usize>ny << 2); } else { fillNaN(y, ny); fillNaN(ry, ny); }
    if (s2) {
      winogradS2Forward(ry, x, w, bias, 1, Cin, H, W, Cout, transposed, transposed ? 1 : 0, transposed ? 1 : 0, ws, OP_LEAKY_RELU, 0.1, scalar != 0, 0, 1, acc != 0);
      winogradS2Forward(y, x, w, bias, 1, Cin, H, W, Cout, transposed, transposed ? 1 : 0, transposed ? 1 : 0, ws, OP_LEAKY_RELU, 0.1, scalar != 0, 0, 1, acc != 0, wy0, wy1, wx0, wx1);
    } else {
      winogradForward(ry, x, w, bias, 1, Cin, H, W, Cout, ws, m, OP_LEAKY_RELU, 0.1, scalar != 0);
      winogradForward(y, x, w, bias, 1, Cin, H, W, Cout, ws, m, OP_LEAKY_RELU, 0.1, scalar != 0, 0, 1, wy0, wy1, wx0, wx1);
    }
    const onGrid = wy0 % side == 0 && wx0 % side == 0;
    const ty1 = min(Ho, wy0 + ((min(wy1, Ho) - wy0 + side - 1) / side) * side), tx1 = min(Wo, wx0 + ((min(wx1, Wo) - wx0 + side - 1) / side) * side);
    let largest: f64 = 1;
    for (let i = 0; i < ny; i++) largest = Math.max(largest, Math.abs(<f64>load<f32>(ry + (<usize>i << 2))));
    let inside = 0, outside = 0;
    for (let c = 0; c < Cout; c++) for (let r = 0; r < Ho; r++) for (let q = 0; q < Wo; q++) {
      const o = <usize>((c * Ho + r) * Wo + q) << 2;
      if (r >= wy0 && r < wy1 && q >= wx0 && q < wx1) {
        if (onGrid ? load<u32>(y + o) != load<u32>(ry + o) : !(Math.abs(<f64>load<f32>(y + o) - <f64>load<f32>(ry + o)) <= 1e-4 * largest)) inside++;
      } else if (r < wy0 || r >= ty1 || q < wx0 || q >= tx1) {
        if (load<u32>(y + o) != (acc ? load<u32>(skip + o) : 0xFFFFFFFF)) outside++;
      }
    }
    expect(inside).toBe(0, what + ": outputs in the window differ from the whole layer's");
    expect(outside).toBe(0, what + ": outputs beyond the window's tiles written");
    expect(guardsOk(y, ny)).toBeTruthy(what + ": write outside the output");
    expect(guardsOk(ws, wsFloats(bytes))).toBeTruthy(what + ": write outside the workspace");
  }
  freeBuf(x); freeBuf(w); freeBuf(bias); freeBuf(y); freeBuf(ry); freeBuf(skip); freeBuf(ws);
}

describe("output windows: only the tiles that cover the window", () => {
  it("Winograd F(2×2) and F(4×4), stride-2 and transposed stride-2: windows on the grid and off it, at the image's end, and whole", () => {
    const f = [4, 12, 8, 20, 0, 8, 12, 37, 16, 30, 0, 37, 0, 30, 0, 37, 3, 14, 5, 22, 1, 29, 7, 37];
    windowBits(2, 5, 30, 37, 6, f);
    windowBits(4, 5, 30, 37, 6, f);
    windowBits(0, 5, 61, 75, 6, f);
    windowBits(-1, 5, 15, 19, 6, [4, 12, 8, 20, 0, 8, 12, 38, 16, 30, 0, 38, 0, 30, 0, 38, 2, 14, 6, 22, 6, 29, 10, 37]);
  });
});

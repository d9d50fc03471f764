// Conv2d and ConvTranspose2d kernels (im2col + GEMM) against a naive direct-loop reference written
// here straight from the PyTorch definitions (no im2col, no GEMM, f64 accumulation):
//   Conv2d           y[b,co,oy,ox] = bias[co] + Σ_{ci,ki,kj} x[b,ci,oy·sh−ph+ki, ox·sw−pw+kj] · w[co,ci,ki,kj]
//   ConvTranspose2d  y[b,co,iy·sh−ph+ki, ix·sw−pw+kj] += x[b,ci,iy,ix] · w[ci,co,ki,kj]   (+ bias[co])
// and their backward passes as the exact adjoint scatter/gather of the same loops.
//
// Tolerance (both builds): max|kernel − ref| ≤ 1e-5 · max(1, max|ref|) per tensor. The reference is
// f64; the kernels sum in f32 (strict: one rounding per mul and add; relaxed: fused multiply-add),
// whose error on these shapes (≤ 1568-term sums of products in [−1, 1)) is ~1e-7..1e-6 of the scale.
//
// Every output buffer has guard floats on both sides (out-of-bounds writes fail the test), output
// buffers start as NaN for forward (an element left unwritten fails), and the workspace starts as NaN
// (a kernel that reads workspace it has not written fails).
import { conv2dForward, conv2dBackward, conv2dWorkspaceBytes } from "../conv2d";
import {
  convTranspose2dForward, convTranspose2dBackward, convTranspose2dWorkspaceBytes,
} from "../conv_transpose2d";
import { BUILD_MODE, MODE_RELAXED } from "../mode";
import { im2colChunkImages } from "../workspace";

// ---------------------------------------------------------------------------------------------
// Deterministic data

let seed: u32 = 0x2545F491;
function rnd(): f32 {
  seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
  return <f32>(<f64>seed / 4294967296.0) * 2 - 1;
}

// ---------------------------------------------------------------------------------------------
// Guarded f32 buffers: [GUARD floats | n floats | GUARD floats]; the pointer is to the n floats.

const GUARD: i32 = 4; // 16 bytes: keeps the data 16-byte aligned
const SENTINEL: f32 = -7777.25;

function newBuf(n: i32): usize {
  const raw = heap.alloc(<usize>(n + 2 * GUARD) << 2);
  for (let i = 0; i < n + 2 * GUARD; i++) store<f32>(raw + (<usize>i << 2), SENTINEL);
  return raw + (<usize>GUARD << 2);
}

function freeBuf(p: usize): void {
  heap.free(p - (<usize>GUARD << 2));
}

function guardsOk(p: usize, n: i32): bool {
  for (let i = 1; i <= GUARD; i++) {
    if (load<f32>(p - (<usize>i << 2)) != SENTINEL) return false;
    if (load<f32>(p + (<usize>(n + i - 1) << 2)) != SENTINEL) return false;
  }
  return true;
}

function fillRandom(p: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(p + (<usize>i << 2), rnd());
}

function fillZero(p: usize, n: i32): void {
  memory.fill(p, 0, <usize>n << 2);
}

function fillNaN(p: usize, n: i32): void {
  memory.fill(p, 0xFF, <usize>n << 2); // 0xFFFFFFFF is a NaN
}

function newWorkspace(bytes: usize): usize {
  const n = <i32>(bytes >> 2) + 1;
  const p = newBuf(n);
  fillNaN(p, n);
  return p;
}

// f64 reference buffers (zeroed).
function newRef(n: i32): usize {
  const p = heap.alloc(<usize>max(n, 1) << 3);
  memory.fill(p, 0, <usize>max(n, 1) << 3);
  return p;
}

// @ts-ignore: decorator
@inline function ldf(p: usize, i: i32): f64 {
  return <f64>load<f32>(p + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline function ldd(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << 3));
}

// @ts-ignore: decorator
@inline function addd(p: usize, i: i32, v: f64): void {
  const q = p + (<usize>i << 3);
  store<f64>(q, load<f64>(q) + v);
}

function maxAbsRef(ref: usize, n: i32): f64 {
  let m: f64 = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, Math.abs(ldd(ref, i)));
  return m;
}

/** max|got − factor·ref| (NaN counts as +∞). */
function maxDiff(got: usize, ref: usize, n: i32, factor: f64): f64 {
  let worst: f64 = 0;
  for (let i = 0; i < n; i++) {
    let d = Math.abs(ldf(got, i) - factor * ldd(ref, i));
    if (isNaN(d)) d = Infinity;
    if (d > worst) worst = d;
  }
  return worst;
}

// Observed worst ratio max|diff| / tolerance and worst absolute difference, over all passing checks.
let worstRatio: f64 = 0;
let worstAbs: f64 = 0;
const RTOL: f64 = 1e-5;

/** max|got − factor·ref| / (RTOL · max(1, max|factor·ref|)); ≤ 1 passes. */
function ratio(got: usize, ref: usize, n: i32, factor: f64): f64 {
  const d = maxDiff(got, ref, n, factor);
  const tol = RTOL * Math.max(1, Math.abs(factor) * maxAbsRef(ref, n));
  return d / tol;
}

function check(got: usize, ref: usize, n: i32, factor: f64, what: string): void {
  const d = maxDiff(got, ref, n, factor);
  const r = ratio(got, ref, n, factor);
  if (r > worstRatio) worstRatio = r;
  if (d > worstAbs) worstAbs = d;
  if (!(r <= 1)) log<string>(what + ": max|diff| = " + d.toString() + " (" + r.toString() + " × tolerance)");
  expect(r).toBeLessThanOrEqual(1, what);
  expect(guardsOk(got, n)).toBeTruthy(what + ": write outside the buffer");
}

// ---------------------------------------------------------------------------------------------
// Naive references (f64). x, w, bias, dy are f32 buffers; y, dx, dw, db are f64 buffers.

function convOut(n: i32, k: i32, s: i32, p: i32): i32 {
  return (n + 2 * p - k) / s + 1;
}

function convTOut(n: i32, k: i32, s: i32, p: i32, op: i32): i32 {
  return (n - 1) * s - 2 * p + k + op;
}

function refConv2dForward(
  y: usize, x: usize, w: usize, bias: usize,
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
): void {
  const Ho = convOut(H, kh, sh, ph), Wo = convOut(W, kw, sw, pw);
  for (let b = 0; b < B; b++) for (let co = 0; co < Cout; co++)
    for (let oy = 0; oy < Ho; oy++) for (let ox = 0; ox < Wo; ox++) {
      let s: f64 = bias ? ldf(bias, co) : 0;
      for (let ci = 0; ci < Cin; ci++) for (let ki = 0; ki < kh; ki++) for (let kj = 0; kj < kw; kj++) {
        const iy = oy * sh - ph + ki, ix = ox * sw - pw + kj;
        if (iy >= 0 && iy < H && ix >= 0 && ix < W) {
          s += ldf(x, ((b * Cin + ci) * H + iy) * W + ix) * ldf(w, ((co * Cin + ci) * kh + ki) * kw + kj);
        }
      }
      store<f64>(y + (<usize>(((b * Cout + co) * Ho + oy) * Wo + ox) << 3), s);
    }
}

/** dx += ∂/∂x, dw += ∂/∂w, db += ∂/∂b of Σ dy·y, by the forward's own loops (0 pointers skip). */
function refConv2dBackward(
  dx: usize, dw: usize, db: usize, dy: usize, x: usize, w: usize,
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
): void {
  const Ho = convOut(H, kh, sh, ph), Wo = convOut(W, kw, sw, pw);
  for (let b = 0; b < B; b++) for (let co = 0; co < Cout; co++)
    for (let oy = 0; oy < Ho; oy++) for (let ox = 0; ox < Wo; ox++) {
      const g = ldf(dy, ((b * Cout + co) * Ho + oy) * Wo + ox);
      if (db) addd(db, co, g);
      for (let ci = 0; ci < Cin; ci++) for (let ki = 0; ki < kh; ki++) for (let kj = 0; kj < kw; kj++) {
        const iy = oy * sh - ph + ki, ix = ox * sw - pw + kj;
        if (iy >= 0 && iy < H && ix >= 0 && ix < W) {
          const xi = ((b * Cin + ci) * H + iy) * W + ix, wi = ((co * Cin + ci) * kh + ki) * kw + kj;
          if (dx) addd(dx, xi, ldf(w, wi) * g);
          if (dw) addd(dw, wi, ldf(x, xi) * g);
        }
      }
    }
}

function refConvT2dForward(
  y: usize, x: usize, w: usize, bias: usize,
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
  oph: i32, opw: i32,
): void {
  const Ho = convTOut(H, kh, sh, ph, oph), Wo = convTOut(W, kw, sw, pw, opw);
  for (let b = 0; b < B; b++) for (let co = 0; co < Cout; co++) for (let i = 0; i < Ho * Wo; i++) {
    store<f64>(y + (<usize>((b * Cout + co) * Ho * Wo + i) << 3), bias ? ldf(bias, co) : 0);
  }
  for (let b = 0; b < B; b++) for (let ci = 0; ci < Cin; ci++)
    for (let iy = 0; iy < H; iy++) for (let ix = 0; ix < W; ix++) {
      const xv = ldf(x, ((b * Cin + ci) * H + iy) * W + ix);
      for (let co = 0; co < Cout; co++) for (let ki = 0; ki < kh; ki++) for (let kj = 0; kj < kw; kj++) {
        const oy = iy * sh - ph + ki, ox = ix * sw - pw + kj;
        if (oy >= 0 && oy < Ho && ox >= 0 && ox < Wo) {
          addd(y, ((b * Cout + co) * Ho + oy) * Wo + ox, xv * ldf(w, ((ci * Cout + co) * kh + ki) * kw + kj));
        }
      }
    }
}

function refConvT2dBackward(
  dx: usize, dw: usize, db: usize, dy: usize, x: usize, w: usize,
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
  oph: i32, opw: i32,
): void {
  const Ho = convTOut(H, kh, sh, ph, oph), Wo = convTOut(W, kw, sw, pw, opw);
  if (db) for (let b = 0; b < B; b++) for (let co = 0; co < Cout; co++) for (let i = 0; i < Ho * Wo; i++) {
    addd(db, co, ldf(dy, (b * Cout + co) * Ho * Wo + i));
  }
  for (let b = 0; b < B; b++) for (let ci = 0; ci < Cin; ci++)
    for (let iy = 0; iy < H; iy++) for (let ix = 0; ix < W; ix++) {
      const xi = ((b * Cin + ci) * H + iy) * W + ix;
      for (let co = 0; co < Cout; co++) for (let ki = 0; ki < kh; ki++) for (let kj = 0; kj < kw; kj++) {
        const oy = iy * sh - ph + ki, ox = ix * sw - pw + kj;
        if (oy >= 0 && oy < Ho && ox >= 0 && ox < Wo) {
          const g = ldf(dy, ((b * Cout + co) * Ho + oy) * Wo + ox), wi = ((ci * Cout + co) * kh + ki) * kw + kj;
          if (dx) addd(dx, xi, ldf(w, wi) * g);
          if (dw) addd(dw, wi, ldf(x, xi) * g);
        }
      }
    }
}

// ---------------------------------------------------------------------------------------------
// One full comparison per shape: forward with and without bias; backward fresh, accumulated twice,
// and with dx = 0 / db = 0 skipped.

function runConv2d(
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
): void {
  const Ho = convOut(H, kh, sh, ph), Wo = convOut(W, kw, sw, pw);
  const nx = B * Cin * H * W, nw = Cout * Cin * kh * kw, ny = B * Cout * Ho * Wo;
  const tag = "conv2d B" + B.toString() + " " + Cin.toString() + "→" + Cout.toString() + " " +
    H.toString() + "x" + W.toString() + " k" + kh.toString() + "x" + kw.toString() +
    " s" + sh.toString() + "x" + sw.toString() + " p" + ph.toString() + "x" + pw.toString();
  expect(Ho).toBeGreaterThan(0, tag);
  expect(Wo).toBeGreaterThan(0, tag);

  const x = newBuf(nx), w = newBuf(nw), bias = newBuf(Cout), dy = newBuf(ny), y = newBuf(ny);
  const dx = newBuf(nx), dw = newBuf(nw), db = newBuf(Cout);
  fillRandom(x, nx); fillRandom(w, nw); fillRandom(bias, Cout); fillRandom(dy, ny);
  const wsBytes = <usize>conv2dWorkspaceBytes(B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw);
  const ws = newWorkspace(wsBytes);
  const wsN = <i32>(wsBytes >> 2) + 1;
  const ry = newRef(ny), rdx = newRef(nx), rdw = newRef(nw), rdb = newRef(Cout);

  // Forward, with bias and without.
  refConv2dForward(ry, x, w, bias, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw);
  fillNaN(y, ny);
  conv2dForward(y, x, w, bias, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, ws);
  check(y, ry, ny, 1, tag + " forward");
  refConv2dForward(ry, x, w, 0, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw);
  fillNaN(y, ny);
  conv2dForward(y, x, w, 0, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, ws);
  check(y, ry, ny, 1, tag + " forward (no bias)");

  // Backward into zeroed gradients, then again on the same buffers: exactly twice within tolerance.
  refConv2dBackward(rdx, rdw, rdb, dy, x, w, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw);
  fillZero(dx, nx); fillZero(dw, nw); fillZero(db, Cout);
  conv2dBackward(dx, dw, db, dy, x, w, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, ws);
  check(dx, rdx, nx, 1, tag + " dx");
  check(dw, rdw, nw, 1, tag + " dw");
  check(db, rdb, Cout, 1, tag + " db");
  conv2dBackward(dx, dw, db, dy, x, w, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, ws);
  check(dx, rdx, nx, 2, tag + " dx accumulated twice");
  check(dw, rdw, nw, 2, tag + " dw accumulated twice");
  check(db, rdb, Cout, 2, tag + " db accumulated twice");

  // dx = 0 and db = 0 skipped (dw still right, nothing else touched).
  fillZero(dw, nw);
  conv2dBackward(0, dw, 0, dy, x, w, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, ws);
  check(dw, rdw, nw, 1, tag + " dw (dx = 0, db = 0)");
  fillZero(dx, nx); fillZero(dw, nw);
  conv2dBackward(dx, dw, 0, dy, x, w, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, ws);
  check(dx, rdx, nx, 1, tag + " dx (db = 0)");
  check(dw, rdw, nw, 1, tag + " dw (db = 0)");
  fillZero(dw, nw); fillZero(db, Cout);
  conv2dBackward(0, dw, db, dy, x, w, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, ws);
  check(dw, rdw, nw, 1, tag + " dw (dx = 0)");
  check(db, rdb, Cout, 1, tag + " db (dx = 0)");
  expect(guardsOk(ws, wsN)).toBeTruthy(tag + ": write outside the workspace");

  freeBuf(x); freeBuf(w); freeBuf(bias); freeBuf(dy); freeBuf(y);
  freeBuf(dx); freeBuf(dw); freeBuf(db); freeBuf(ws);
  heap.free(ry); heap.free(rdx); heap.free(rdw); heap.free(rdb);
}

function runConvT2d(
  B: i32, Cin: i32, H: i32, W: i32, Cout: i32, kh: i32, kw: i32, sh: i32, sw: i32, ph: i32, pw: i32,
  oph: i32, opw: i32,
): void {
  const Ho = convTOut(H, kh, sh, ph, oph), Wo = convTOut(W, kw, sw, pw, opw);
  const nx = B * Cin * H * W, nw = Cin * Cout * kh * kw, ny = B * Cout * Ho * Wo;
  const tag = "convT2d B" + B.toString() + " " + Cin.toString() + "→" + Cout.toString() + " " +
    H.toString() + "x" + W.toString() + " k" + kh.toString() + "x" + kw.toString() +
    " s" + sh.toString() + "x" + sw.toString() + " p" + ph.toString() + "x" + pw.toString() +
    " op" + oph.toString() + "x" + opw.toString();
  expect(Ho).toBeGreaterThan(0, tag);
  expect(Wo).toBeGreaterThan(0, tag);
  expect(oph < sh && opw < sw).toBeTruthy(tag + ": output_padding must be < stride");

  const x = newBuf(nx), w = newBuf(nw), bias = newBuf(Cout), dy = newBuf(ny), y = newBuf(ny);
  const dx = newBuf(nx), dw = newBuf(nw), db = newBuf(Cout);
  fillRandom(x, nx); fillRandom(w, nw); fillRandom(bias, Cout); fillRandom(dy, ny);
  const wsBytes = <usize>convTranspose2dWorkspaceBytes(B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw);
  const ws = newWorkspace(wsBytes);
  const wsN = <i32>(wsBytes >> 2) + 1;
  const ry = newRef(ny), rdx = newRef(nx), rdw = newRef(nw), rdb = newRef(Cout);

  refConvT2dForward(ry, x, w, bias, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw);
  fillNaN(y, ny);
  convTranspose2dForward(y, x, w, bias, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw, ws);
  check(y, ry, ny, 1, tag + " forward");
  refConvT2dForward(ry, x, w, 0, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw);
  fillNaN(y, ny);
  convTranspose2dForward(y, x, w, 0, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw, ws);
  check(y, ry, ny, 1, tag + " forward (no bias)");

  refConvT2dBackward(rdx, rdw, rdb, dy, x, w, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw);
  fillZero(dx, nx); fillZero(dw, nw); fillZero(db, Cout);
  convTranspose2dBackward(dx, dw, db, dy, x, w, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw, ws);
  check(dx, rdx, nx, 1, tag + " dx");
  check(dw, rdw, nw, 1, tag + " dw");
  check(db, rdb, Cout, 1, tag + " db");
  convTranspose2dBackward(dx, dw, db, dy, x, w, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw, ws);
  check(dx, rdx, nx, 2, tag + " dx accumulated twice");
  check(dw, rdw, nw, 2, tag + " dw accumulated twice");
  check(db, rdb, Cout, 2, tag + " db accumulated twice");

  fillZero(dw, nw);
  convTranspose2dBackward(0, dw, 0, dy, x, w, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw, ws);
  check(dw, rdw, nw, 1, tag + " dw (dx = 0, db = 0)");
  fillZero(dx, nx); fillZero(dw, nw);
  convTranspose2dBackward(dx, dw, 0, dy, x, w, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw, ws);
  check(dx, rdx, nx, 1, tag + " dx (db = 0)");
  check(dw, rdw, nw, 1, tag + " dw (db = 0)");
  fillZero(dw, nw); fillZero(db, Cout);
  convTranspose2dBackward(0, dw, db, dy, x, w, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw, ws);
  check(dw, rdw, nw, 1, tag + " dw (dx = 0)");
  check(db, rdb, Cout, 1, tag + " db (dx = 0)");
  expect(guardsOk(ws, wsN)).toBeTruthy(tag + ": write outside the workspace");

  freeBuf(x); freeBuf(w); freeBuf(bias); freeBuf(dy); freeBuf(y);
  freeBuf(dx); freeBuf(dw); freeBuf(db); freeBuf(ws);
  heap.free(ry); heap.free(rdx); heap.free(rdw); heap.free(rdb);
}

// ---------------------------------------------------------------------------------------------
// Shapes

// B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw
const CONV_SHAPES: i32[] = [
  1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0,     // 1×1 image, 1×1 kernel
  3, 1, 1, 1, 2, 1, 1, 1, 1, 0, 0,     // batch 3 of 1×1
  1, 2, 1, 1, 3, 3, 3, 1, 1, 1, 1,     // 1×1 image, 3×3 kernel, padding 1 (only the centre tap)
  3, 3, 1, 1, 5, 1, 1, 1, 1, 2, 1,     // 1×1 image, 1×1 kernel, padding 2×1 (a border of bias)
  2, 3, 4, 6, 2, 1, 1, 2, 2, 0, 0,     // 1×1 kernel, stride 2
  1, 3, 5, 7, 5, 3, 3, 1, 1, 1, 1,     // primes, same padding
  3, 3, 5, 7, 5, 3, 2, 2, 1, 1, 0,     // non-square kernel 3×2, stride 2×1
  1, 5, 7, 5, 3, 2, 3, 1, 2, 0, 1,     // kernel 2×3, stride 1×2
  3, 3, 7, 5, 2, 3, 3, 3, 3, 0, 0,     // stride 3×3 (rows/cols left over)
  1, 3, 5, 7, 3, 5, 5, 3, 3, 2, 2,     // 5×5 kernel, stride 3, padding 2
  3, 5, 11, 13, 7, 3, 2, 2, 1, 2, 1,   // padding 2×1 with a 3×2 kernel
  1, 2, 7, 7, 3, 2, 2, 3, 3, 0, 0,     // stride larger than the kernel (skipped pixels)
  3, 5, 13, 11, 16, 3, 3, 2, 2, 1, 1,  // large enough for the packed GEMM
  // 3×3 stride 1 padding 1: the fast paths (Winograd; direct loops for 1 channel).
  3, 6, 9, 7, 5, 3, 3, 1, 1, 1, 1,
  2, 1, 7, 10, 6, 3, 3, 1, 1, 1, 1,
  2, 7, 6, 9, 1, 3, 3, 1, 1, 1, 1,
  // Column matrices over workspace.ts's IM2COL_CHUNK_FLOATS: chunks of images with a remainder (2 + 2 + 1;
  // one image per chunk), the stride-2 rows long enough for im2col's 4-wide gathers.
  5, 16, 28, 28, 8, 3, 3, 2, 2, 1, 1,
  2, 8, 20, 20, 3, 5, 5, 1, 1, 2, 2,
  // The model's own layers, batch 2.
  2, 1, 28, 28, 16, 3, 3, 2, 2, 1, 1,
  2, 16, 14, 14, 32, 3, 3, 2, 2, 1, 1,
  2, 32, 7, 7, 64, 7, 7, 1, 1, 0, 0,
];

// B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw
const CONVT_SHAPES: i32[] = [
  1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0,     // 1×1 → 1×1
  3, 2, 1, 1, 3, 3, 3, 1, 1, 0, 0, 0, 0,     // 1×1 → 3×3, batch 3
  1, 3, 1, 1, 2, 3, 3, 2, 2, 1, 1, 1, 1,     // 1×1 image, stride 2, padding 1, output_padding 1
  2, 3, 4, 6, 2, 1, 1, 2, 2, 0, 0, 1, 1,     // 1×1 kernel, stride 2: untouched pixels are bias only
  1, 3, 5, 7, 5, 3, 2, 2, 1, 1, 0, 1, 0,     // kernel 3×2, stride 2×1, output_padding 1×0
  3, 5, 7, 5, 3, 2, 3, 1, 2, 0, 1, 0, 1,     // kernel 2×3, stride 1×2, output_padding 0×1
  1, 3, 5, 7, 2, 3, 3, 3, 3, 0, 0, 1, 0,     // stride 3×3
  3, 3, 5, 5, 5, 5, 5, 2, 2, 2, 2, 1, 1,     // 5×5 kernel, padding 2, output_padding 1
  1, 5, 7, 5, 3, 3, 2, 3, 2, 2, 1, 2, 0,     // padding 2×1, output_padding 2 (< stride 3)
  3, 5, 11, 13, 7, 3, 3, 2, 2, 1, 1, 0, 1,   // large enough for the packed GEMM
  // Column matrices over IM2COL_CHUNK_FLOATS: chunks of 2 images and a remainder of 1 (col2im's 4-wide adds).
  3, 8, 14, 14, 16, 3, 3, 2, 2, 1, 1, 1, 1,
  // The model's own layers, batch 2.
  2, 64, 1, 1, 32, 7, 7, 1, 1, 0, 0, 0, 0,
  2, 32, 7, 7, 16, 3, 3, 2, 2, 1, 1, 1, 1,
  2, 16, 14, 14, 1, 3, 3, 2, 2, 1, 1, 1, 1,
];

describe("image chunks of the im2col paths", () => {
  it("the chunk shapes above do run in chunks, with a remainder", () => {
    expect(im2colChunkImages(5, 16 * 9 * 14 * 14)).toBe(2); // conv 16→8 stride 2 on 28×28: 2 + 2 + 1
    expect(im2colChunkImages(2, 8 * 25 * 20 * 20)).toBe(1); // conv 5×5 on 20×20: one image per chunk
    expect(im2colChunkImages(3, 16 * 9 * 14 * 14)).toBe(2); // transposed conv 8→16 on 14×14: 2 + 1
    expect(im2colChunkImages(64, 1 << 30)).toBe(1);          // never less than one image
  });
});

describe("conv2d (im2col + GEMM) vs naive direct loops", () => {
  it("forward, backward (dx, dw, db), accumulation and skipped gradients agree on awkward shapes", () => {
    for (let s = 0; s < CONV_SHAPES.length; s += 11) {
      runConv2d(CONV_SHAPES[s], CONV_SHAPES[s + 1], CONV_SHAPES[s + 2], CONV_SHAPES[s + 3], CONV_SHAPES[s + 4],
        CONV_SHAPES[s + 5], CONV_SHAPES[s + 6], CONV_SHAPES[s + 7], CONV_SHAPES[s + 8],
        CONV_SHAPES[s + 9], CONV_SHAPES[s + 10]);
    }
  });

  it("detects a wrong result (reference with padding 0 instead of 1, same output size)", () => {
    // k4 s3 on 7×7: padding 1 and padding 0 both give a 2×2 output, so only the values can differ.
    const B = 2, Cin = 3, H = 7, W = 7, Cout = 4, k = 4, s = 3;
    expect(convOut(H, k, s, 1)).toBe(convOut(H, k, s, 0));
    const Ho = convOut(H, k, s, 1);
    const nx = B * Cin * H * W, nw = Cout * Cin * k * k, ny = B * Cout * Ho * Ho;
    const x = newBuf(nx), w = newBuf(nw), bias = newBuf(Cout), y = newBuf(ny), ry = newRef(ny);
    fillRandom(x, nx); fillRandom(w, nw); fillRandom(bias, Cout);
    const ws = newWorkspace(<usize>conv2dWorkspaceBytes(B, Cin, H, W, Cout, k, k, s, s, 1, 1));
    conv2dForward(y, x, w, bias, B, Cin, H, W, Cout, k, k, s, s, 1, 1, ws);
    refConv2dForward(ry, x, w, bias, B, Cin, H, W, Cout, k, k, s, s, 0, 0);
    const r = ratio(y, ry, ny, 1);
    log<string>("negative test: wrong padding gives " + r.toString() + " × tolerance");
    expect(r).toBeGreaterThan(1000);
    // And the right padding passes on the same data.
    refConv2dForward(ry, x, w, bias, B, Cin, H, W, Cout, k, k, s, s, 1, 1);
    expect(ratio(y, ry, ny, 1)).toBeLessThanOrEqual(1);
    freeBuf(x); freeBuf(w); freeBuf(bias); freeBuf(y); freeBuf(ws); heap.free(ry);
  });
});

describe("conv_transpose2d (GEMM + col2im) vs naive direct loops", () => {
  it("forward, backward (dx, dw, db), accumulation and skipped gradients agree on awkward shapes", () => {
    for (let s = 0; s < CONVT_SHAPES.length; s += 13) {
      runConvT2d(CONVT_SHAPES[s], CONVT_SHAPES[s + 1], CONVT_SHAPES[s + 2], CONVT_SHAPES[s + 3],
        CONVT_SHAPES[s + 4], CONVT_SHAPES[s + 5], CONVT_SHAPES[s + 6], CONVT_SHAPES[s + 7],
        CONVT_SHAPES[s + 8], CONVT_SHAPES[s + 9], CONVT_SHAPES[s + 10], CONVT_SHAPES[s + 11],
        CONVT_SHAPES[s + 12]);
    }
  });

  it("the comparisons saw the kernels' f32 rounding (none of them was vacuous)", () => {
    // Every check above already asserted its own ratio ≤ 1; this asserts the other side. The kernels
    // sum in f32, the reference in f64, so among thousands of sums of up to 1568 terms some output
    // near the tensor's largest is off by about an ulp (~6e-8 of the scale, ~6e-3 × tolerance; the
    // log shows ~0.15). A worst under 1e-3 × tolerance means the checks compared something other than
    // the kernels' f32 outputs (the reference with itself, a buffer the kernel did not write, …).
    log<string>((BUILD_MODE == MODE_RELAXED ? "relaxed" : "strict") + " build: worst max|diff| = " +
      worstAbs.toString() + ", worst max|diff|/tolerance = " + worstRatio.toString());
    expect(worstRatio).toBeGreaterThan(1e-3, "no comparison saw any f32 rounding");
  });
});

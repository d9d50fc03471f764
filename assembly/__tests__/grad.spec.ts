// Finite-difference gradient checks for every op with a backward kernel: the backward must be the
// derivative of the forward kernel it pairs with.
//
// Method: a scalar objective L = Σ_i r_i · y_i with fixed random r (so ∂L/∂y = r is the dy handed to
// the backward), summed in f64 from the f32 forward output; for the losses L is the loss itself
// (times the `scale` argument). For a sample of up to SAMPLES elements p_j of each input (evenly
// spaced, first and last included) the central difference
//   fd = (L(p_j⁺) − L(p_j⁻)) / (p_j⁺ − p_j⁻),   p_j± = f32(p_j ± h)   (the actual f32 step, in f64)
// is compared with the analytic gradient `an` from the backward kernel:
//   |fd − an| ≤ RTOL · max(1e-2, |an|) + atol.
// h: 1e-2 for the linear ops (conv, convT, add: exact up to f32 rounding of the outputs), 1e-3 for the
// sigmoid, 1e-2 for the piecewise-linear relu / leaky relu / l1 (elements within 2h of the kink are
// skipped), 5e-2 for MSE (quadratic: the central difference is exact). RTOL = 1e-3; atol per op is a
// bound on the f32 rounding of the forward divided by 2h (see each call). Observed worst: ≤ 0.17 of the
// tolerance. A factor-2 error or a transposed weight fails by >100× the tolerance, a 1% error by ~8×
// (the negative tests below); errors well under 0.1% are below this check's resolution. Gradient buffers
// start at random values (newGrad), so a backward that overwrites instead of adding fails too.
import { conv2dForward, conv2dBackward, conv2dWorkspaceBytes } from "../conv2d";
import {
  convTranspose2dForward, convTranspose2dBackward, convTranspose2dWorkspaceBytes,
} from "../conv_transpose2d";
import {
  reluForward, reluBackward, leakyReluForward, leakyReluBackward, sigmoidForward, sigmoidBackward,
} from "../act";
import { addForward, addBackward, addSlicedForward, addSlicedBackward } from "../add";
import { mseForward, mseBackward, l1Forward, l1Backward } from "../loss";
import { BUILD_MODE, MODE_RELAXED } from "../mode";

// ---------------------------------------------------------------------------------------------
// Deterministic data and buffers

let seed: u32 = 0x6C8E9CF5;
function rnd(): f32 {
  seed ^= seed << 13; seed ^= seed >> 17; seed ^= seed << 5;
  return <f32>(<f64>seed / 4294967296.0) * 2 - 1;
}

function newBuf(n: i32): usize {
  const p = heap.alloc(<usize>max(n, 1) << 2);
  memory.fill(p, 0, <usize>max(n, 1) << 2);
  return p;
}

/** n uniform values in [−a, a). */
function fillRandom(p: usize, n: i32, a: f32): void {
  for (let i = 0; i < n; i++) store<f32>(p + (<usize>i << 2), rnd() * a);
}

// @ts-ignore: decorator
@inline function ld(p: usize, i: i32): f32 {
  return load<f32>(p + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline function st(p: usize, i: i32, v: f32): void {
  store<f32>(p + (<usize>i << 2), v);
}

/**
 * A gradient buffer that starts at random values, with a copy of them behind it: every backward here
 * must add into its gradient, not overwrite it. `added` then leaves just the backward's contribution.
 */
function newGrad(n: i32): usize {
  const p = newBuf(2 * n);
  fillRandom(p, n, 1);
  memory.copy(p + (<usize>n << 2), p, <usize>n << 2);
  return p;
}

/** g[i] −= base[i] for a newGrad buffer (exact up to one f32 rounding at the base's scale ≤ 1). */
function added(g: usize, n: i32): void {
  for (let i = 0; i < n; i++) st(g, i, ld(g, i) - ld(g, n + i));
}

/** Σ r_i · y_i in f64. */
function weighted(y: usize, r: usize, n: i32): f64 {
  let s: f64 = 0;
  for (let i = 0; i < n; i++) s += <f64>ld(r, i) * <f64>ld(y, i);
  return s;
}

// ---------------------------------------------------------------------------------------------
// The checker

const SAMPLES: i32 = 40;
const RTOL: f64 = 1e-3;
const VERBOSE = false; // true: log every check's max|fd − an|

let lastChecked: i32 = 0;     // elements compared by the last gradCheck (not skipped at a kink)
let lastWorstAbs: f64 = 0;    // max |fd − an| of the last gradCheck
let worstRatio: f64 = 0;      // over all passing checks: max |fd − an| / tolerance
let worstRatioWhat: string = "";

/**
 * Worst |fd − an| / (RTOL·max(1e-2, |an|) + atol) over the sampled elements of `param` (n floats),
 * with an = anScale · grad[j]. `objective` recomputes L from the current parameter values. If `kink`
 * is not 0, elements with |param[j] − kink[j]| < 2h are skipped.
 */
function gradRatio(
  param: usize, grad: usize, n: i32, h: f32, atol: f64, kink: usize, objective: () => f64, anScale: f64,
): f64 {
  const count = min(n, SAMPLES);
  let worst: f64 = 0;
  lastChecked = 0;
  lastWorstAbs = 0;
  for (let k = 0; k < count; k++) {
    const j = count == 1 ? 0 : <i32>((<i64>k * <i64>(n - 1)) / <i64>(count - 1));
    const p0 = ld(param, j);
    if (kink && Mathf.abs(p0 - ld(kink, j)) < 2 * h) continue;
    const pp: f32 = p0 + h, pm: f32 = p0 - h;
    st(param, j, pp);
    const lp = objective();
    st(param, j, pm);
    const lm = objective();
    st(param, j, p0);
    const fd = (lp - lm) / (<f64>pp - <f64>pm);
    const an = anScale * <f64>ld(grad, j);
    let d = Math.abs(fd - an);
    if (isNaN(d)) d = Infinity;
    const r = d / (RTOL * Math.max(1e-2, Math.abs(an)) + atol);
    if (d > lastWorstAbs) lastWorstAbs = d;
    if (r > worst) worst = r;
    lastChecked++;
  }
  return worst;
}

function gradCheck(
  what: string, param: usize, grad: usize, n: i32, h: f32, atol: f64, kink: usize, objective: () => f64,
): void {
  const r = gradRatio(param, grad, n, h, atol, kink, objective, 1);
  if (r > worstRatio) { worstRatio = r; worstRatioWhat = what; }
  if (VERBOSE || !(r <= 1)) log<string>(what + ": max|fd − an| = " + lastWorstAbs.toString() + " (" + r.toString() + " × tolerance)");
  expect(r).toBeLessThanOrEqual(1, what);
  // Kinks skip a few elements at most: at least half the sample must have been compared.
  expect(lastChecked * 2).toBeGreaterThanOrEqual(min(n, SAMPLES), what + ": too many elements skipped");
}

// ---------------------------------------------------------------------------------------------
// Conv2d / ConvTranspose2d state for the objectives (module globals: objectives are plain functions)

let B = 0, Cin = 0, H = 0, W = 0, Cout = 0, kh = 0, kw = 0, sh = 0, sw = 0, ph = 0, pw = 0, oph = 0, opw = 0;
let gx: usize = 0, gw: usize = 0, gb: usize = 0, gy: usize = 0, gr: usize = 0, gws: usize = 0;
let ny = 0;

function objConv2d(): f64 {
  conv2dForward(gy, gx, gw, gb, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, gws);
  return weighted(gy, gr, ny);
}

function objConvT2d(): f64 {
  convTranspose2dForward(gy, gx, gw, gb, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw, gws);
  return weighted(gy, gr, ny);
}

function setShape(
  b: i32, cin: i32, hh: i32, ww: i32, cout: i32, khh: i32, kww: i32, shh: i32, sww: i32, phh: i32, pww: i32,
  ophh: i32, opww: i32,
): void {
  B = b; Cin = cin; H = hh; W = ww; Cout = cout; kh = khh; kw = kww; sh = shh; sw = sww; ph = phh; pw = pww;
  oph = ophh; opw = opww;
}

function shapeTag(op: string): string {
  return op + " B" + B.toString() + " " + Cin.toString() + "→" + Cout.toString() + " " + H.toString() + "x" +
    W.toString() + " k" + kh.toString() + "x" + kw.toString() + " s" + sh.toString() + "x" + sw.toString() +
    " p" + ph.toString() + "x" + pw.toString() + (op == "convT2d" ? " op" + oph.toString() + "x" + opw.toString() : "");
}

// atol for the linear ops: a perturbed input moves at most `fanout` outputs y_i, each carrying the
// f32 rounding of its sum (a few ulp of the output scale `ys`, independent from output to output), so
//   |ΔL error| ≲ 8 · √fanout · 2⁻²⁴ · max(1, ys) · max|r|   (max|r| ≤ 1),  divided by the 2h step.
// (8 ulp and √fanout: a generous random-walk bound; the observed errors are 5-50× smaller.)
function linearAtol(fanout: i32, ys: f64, h: f32): f64 {
  return 8 * Math.sqrt(<f64>fanout) * 5.960464477539063e-8 * Math.max(1, ys) / (2 * <f64>h);
}

function maxAbs(p: usize, n: i32): f64 {
  let m: f64 = 0;
  for (let i = 0; i < n; i++) m = Math.max(m, <f64>Mathf.abs(ld(p, i)));
  return m;
}

/** Allocates the conv tensors (x, w, bias, r) for the current shape, runs the backward at the base point. */
function convSetup(transposed: bool): void {
  const Ho = transposed ? (H - 1) * sh - 2 * ph + kh + oph : (H + 2 * ph - kh) / sh + 1;
  const Wo = transposed ? (W - 1) * sw - 2 * pw + kw + opw : (W + 2 * pw - kw) / sw + 1;
  ny = B * Cout * Ho * Wo;
  gx = newBuf(B * Cin * H * W); gw = newBuf(Cin * Cout * kh * kw); gb = newBuf(Cout);
  gy = newBuf(ny); gr = newBuf(ny);
  fillRandom(gx, B * Cin * H * W, 1); fillRandom(gw, Cin * Cout * kh * kw, 1); fillRandom(gb, Cout, 1);
  fillRandom(gr, ny, 1);
  gws = heap.alloc(<usize>(transposed
    ? convTranspose2dWorkspaceBytes(B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw)
    : conv2dWorkspaceBytes(B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw)));
}

function convFree(): void {
  heap.free(gx); heap.free(gw); heap.free(gb); heap.free(gy); heap.free(gr); heap.free(gws);
}

const H_LIN: f32 = 1e-2;

function checkConv2d(
  b: i32, cin: i32, hh: i32, ww: i32, cout: i32, khh: i32, kww: i32, shh: i32, sww: i32, phh: i32, pww: i32,
): void {
  setShape(b, cin, hh, ww, cout, khh, kww, shh, sww, phh, pww, 0, 0);
  convSetup(false);
  const nx = B * Cin * H * W, nw = Cout * Cin * kh * kw;
  const dx = newGrad(nx), dw = newGrad(nw), db = newGrad(Cout);
  conv2dBackward(dx, dw, db, gr, gx, gw, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, gws);
  added(dx, nx); added(dw, nw); added(db, Cout);
  objConv2d();
  const ys = maxAbs(gy, ny);
  const Ho = (H + 2 * ph - kh) / sh + 1, Wo = (W + 2 * pw - kw) / sw + 1;
  const tag = shapeTag("conv2d");
  // x feeds ≤ Cout·⌈kh/sh⌉·⌈kw/sw⌉ outputs; a weight or bias feeds B·Ho·Wo.
  const fanX = Cout * ((kh + sh - 1) / sh) * ((kw + sw - 1) / sw), fanW = B * Ho * Wo;
  gradCheck(tag + " dx", gx, dx, nx, H_LIN, linearAtol(fanX, ys, H_LIN), 0, objConv2d);
  gradCheck(tag + " dw", gw, dw, nw, H_LIN, linearAtol(fanW, ys, H_LIN), 0, objConv2d);
  gradCheck(tag + " db", gb, db, Cout, H_LIN, linearAtol(fanW, ys, H_LIN), 0, objConv2d);
  heap.free(dx); heap.free(dw); heap.free(db);
  convFree();
}

function checkConvT2d(
  b: i32, cin: i32, hh: i32, ww: i32, cout: i32, khh: i32, kww: i32, shh: i32, sww: i32, phh: i32, pww: i32,
  ophh: i32, opww: i32,
): void {
  setShape(b, cin, hh, ww, cout, khh, kww, shh, sww, phh, pww, ophh, opww);
  convSetup(true);
  const nx = B * Cin * H * W, nw = Cin * Cout * kh * kw;
  const dx = newGrad(nx), dw = newGrad(nw), db = newGrad(Cout);
  convTranspose2dBackward(dx, dw, db, gr, gx, gw, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, oph, opw, gws);
  added(dx, nx); added(dw, nw); added(db, Cout);
  objConvT2d();
  const ys = maxAbs(gy, ny);
  const Ho = (H - 1) * sh - 2 * ph + kh + oph, Wo = (W - 1) * sw - 2 * pw + kw + opw;
  const tag = shapeTag("convT2d");
  // x feeds ≤ Cout·kh·kw outputs; a weight feeds ≤ B·H·W; a bias feeds B·Ho·Wo.
  gradCheck(tag + " dx", gx, dx, nx, H_LIN, linearAtol(Cout * kh * kw, ys, H_LIN), 0, objConvT2d);
  gradCheck(tag + " dw", gw, dw, nw, H_LIN, linearAtol(B * H * W, ys, H_LIN), 0, objConvT2d);
  gradCheck(tag + " db", gb, db, Cout, H_LIN, linearAtol(B * Ho * Wo, ys, H_LIN), 0, objConvT2d);
  heap.free(dx); heap.free(dw); heap.free(db);
  convFree();
}

// ---------------------------------------------------------------------------------------------
// Elementwise ops: one input buffer ex (and eb for add), output ey, weights er, n elements.

let en = 0;
let ex: usize = 0, eb: usize = 0, ey: usize = 0, er: usize = 0;
const SLOPE: f32 = 0.1;

function objRelu(): f64 { reluForward(ey, ex, en); return weighted(ey, er, en); }
function objLeaky(): f64 { leakyReluForward(ey, ex, en, SLOPE); return weighted(ey, er, en); }
function objSigmoid(): f64 { sigmoidForward(ey, ex, en); return weighted(ey, er, en); }
function objAdd(): f64 { addForward(ey, ex, eb, en); return weighted(ey, er, en); }

// Losses: pred = ex, target = eb; the objective is lossScale · loss.
let lossScale: f32 = 1;
function objMse(): f64 { return <f64>lossScale * <f64>mseForward(ex, eb, en); }
function objL1(): f64 { return <f64>lossScale * <f64>l1Forward(ex, eb, en); }

function elemSetup(n: i32, a: f32): void {
  en = n;
  ex = newBuf(n); eb = newBuf(n); ey = newBuf(n); er = newBuf(n);
  fillRandom(ex, n, a); fillRandom(eb, n, a); fillRandom(er, n, 1);
}

function elemFree(): void {
  heap.free(ex); heap.free(eb); heap.free(ey); heap.free(er);
}

// ---------------------------------------------------------------------------------------------

describe("conv2d backward vs finite differences", () => {
  it("dx, dw, dbias on strided, padded, non-square shapes", () => {
    checkConv2d(2, 3, 7, 6, 4, 3, 2, 2, 1, 1, 1);   // kernel 3×2, stride 2×1, padding 1
    checkConv2d(2, 2, 5, 5, 3, 3, 3, 2, 2, 1, 1);   // stride 2, padding 1
    checkConv2d(1, 3, 6, 5, 2, 2, 3, 3, 2, 2, 0);   // stride 3×2, padding 2×0
    checkConv2d(3, 1, 1, 1, 2, 1, 1, 1, 1, 0, 0);   // 1×1
    checkConv2d(2, 5, 9, 8, 6, 3, 3, 2, 2, 1, 1);   // large enough for the packed GEMM
    // 3×3 stride 1 padding 1: the fast paths (winograd.ts, direct3x3.ts).
    checkConv2d(2, 3, 5, 7, 4, 3, 3, 1, 1, 1, 1);   // Winograd, odd sides
    checkConv2d(2, 1, 6, 5, 3, 3, 3, 1, 1, 1, 1);   // one input channel: direct loops
    checkConv2d(2, 4, 5, 6, 1, 3, 3, 1, 1, 1, 1);   // one output channel: direct loops
  });
});

describe("conv_transpose2d backward vs finite differences", () => {
  it("dx, dw, dbias on strided, padded, output-padded, non-square shapes", () => {
    checkConvT2d(2, 3, 4, 5, 2, 3, 3, 2, 2, 1, 1, 1, 1);  // stride 2, padding 1, output_padding 1
    checkConvT2d(2, 2, 3, 4, 3, 3, 2, 2, 3, 1, 0, 1, 2);  // kernel 3×2, stride 2×3, output_padding 1×2
    checkConvT2d(1, 4, 1, 1, 3, 3, 3, 1, 1, 0, 0, 0, 0);  // 1×1 input
    checkConvT2d(2, 6, 4, 5, 5, 3, 3, 2, 2, 1, 1, 1, 1);  // large enough for the packed GEMM
  });
});

describe("activations backward vs finite differences", () => {
  it("relu (gradient taken from the output)", () => {
    elemSetup(97, 2);
    const dx = newGrad(en), y = newBuf(en), zero = newBuf(en);
    reluForward(y, ex, en);
    reluBackward(dx, er, y, en);
    added(dx, en);
    // Piecewise linear: away from the kink the difference is exact up to one f32 rounding of L.
    gradCheck("relu dx", ex, dx, en, H_LIN, 1e-6, zero, objRelu);
    heap.free(dx); heap.free(y); heap.free(zero);
    elemFree();
  });

  it("leaky relu, slope 0.1", () => {
    elemSetup(97, 2);
    const dx = newGrad(en), zero = newBuf(en);
    leakyReluBackward(dx, er, ex, en, SLOPE);
    added(dx, en);
    gradCheck("leaky relu dx", ex, dx, en, H_LIN, 1e-6, zero, objLeaky);
    heap.free(dx); heap.free(zero);
    elemFree();
  });

  it("sigmoid (gradient taken from the output), including saturated inputs", () => {
    elemSetup(97, 6);
    const dx = newGrad(en), y = newBuf(en);
    sigmoidForward(y, ex, en);
    sigmoidBackward(dx, er, y, en);
    added(dx, en);
    // h = 1e-3: truncation |f'''|·h²/6 ≤ 2e-8; rounding: y has a few ulp (≤ 2⁻²⁴ each) of error at
    // scale ≤ 1, so the difference carries ≤ 4·2⁻²⁴·|r| / 2h ≈ 1.2e-4.
    gradCheck("sigmoid dx", ex, dx, en, 1e-3, 2.5e-4, 0, objSigmoid);
    heap.free(dx); heap.free(y);
    elemFree();
  });

  it("sigmoid forward is 1 / (1 + e^−x) to a few ulp over [−100, 100] (the relaxed build's exp4 too), and the check can fail", () => {
    const n = 4001, x = newBuf(n), y = newBuf(n);
    for (let i = 0; i < n; i++) store<f32>(x + (<usize>i << 2), <f32>(-100 + 0.05 * <f64>i));
    sigmoidForward(y, x, n);
    // Relative error, floored at 1e-30: the far negative tail (below e^−69) may be 0, a denormal or
    // e^−87's value (exp4 clamps there); none of that is visible next to any other term.
    log<string>("sigmoid forward: worst relative error " + sigmoidError(x, y, n, 0).toString());
    expect(sigmoidError(x, y, n, 0)).toBeLessThanOrEqual(4 * 1.2e-7);
    expect(sigmoidError(x, y, n, 1e-5)).toBeGreaterThan(4 * 1.2e-7); // x off by 1e-5 is seen
    heap.free(x); heap.free(y);
  });
});

/** Worst relative error of y against 1 / (1 + e^−(x + shift)) in f64, floored at 1e-30 (see its test). */
function sigmoidError(x: usize, y: usize, n: i32, shift: f64): f64 {
  let worst: f64 = 0;
  for (let i = 0; i < n; i++) {
    const v = <f64>load<f32>(x + (<usize>i << 2)) + shift, want = 1 / (1 + Math.exp(-v));
    worst = Math.max(worst, Math.abs(<f64>load<f32>(y + (<usize>i << 2)) - want) / Math.max(want, 1e-30));
  }
  return worst;
}

describe("add backward vs finite differences", () => {
  it("both inputs", () => {
    elemSetup(61, 3);
    const da = newGrad(en), db = newGrad(en);
    addBackward(da, db, er, en);
    added(da, en); added(db, en);
    gradCheck("add da", ex, da, en, H_LIN, linearAtol(1, 6, H_LIN), 0, objAdd);
    gradCheck("add db", eb, db, en, H_LIN, linearAtol(1, 6, H_LIN), 0, objAdd);
    // Either side may be skipped: the other one is unchanged.
    const da2 = newGrad(en), db2 = newGrad(en);
    addBackward(da2, 0, er, en);
    addBackward(0, db2, er, en);
    added(da2, en); added(db2, en);
    gradCheck("add da (db = 0)", ex, da2, en, H_LIN, linearAtol(1, 6, H_LIN), 0, objAdd);
    gradCheck("add db (da = 0)", eb, db2, en, H_LIN, linearAtol(1, 6, H_LIN), 0, objAdd);
    heap.free(da); heap.free(db); heap.free(da2); heap.free(db2);
    elemFree();
  });
});

// The sliced add y = x + t[:, :C] of B images: x and y of n floats per image, t of n2 ≥ n.
let sB: i32 = 0, sn: i32 = 0, sn2: i32 = 0, sx: usize = 0, st2: usize = 0, sy: usize = 0, sr: usize = 0;
function objAddSliced(): f64 { addSlicedForward(sy, sx, st2, sB, sn, sn2); return weighted(sy, sr, sB * sn); }

describe("sliced add (a noise-level map's input) backward vs finite differences", () => {
  it("both inputs; the extra channels of the wider one get no gradient", () => {
    sB = 3; sn = 12; sn2 = 16; // per image: 3 channels of 4 pixels, added to the first 3 of 4
    sx = newBuf(sB * sn); st2 = newBuf(sB * sn2); sy = newBuf(sB * sn); sr = newBuf(sB * sn);
    fillRandom(sx, sB * sn, 3); fillRandom(st2, sB * sn2, 3); fillRandom(sr, sB * sn, 1);
    const dx = newGrad(sB * sn), dt = newGrad(sB * sn2);
    addSlicedBackward(dx, dt, sr, sB, sn, sn2);
    added(dx, sB * sn); added(dt, sB * sn2);
    gradCheck("sliced add dx", sx, dx, sB * sn, H_LIN, linearAtol(1, 6, H_LIN), 0, objAddSliced);
    gradCheck("sliced add dt", st2, dt, sB * sn2, H_LIN, linearAtol(1, 6, H_LIN), 0, objAddSliced);
    for (let b = 0; b < sB; b++) for (let i = sn; i < sn2; i++) expect(ld(dt, b * sn2 + i)).toBe(0, "map channel gradient");
    heap.free(sx); heap.free(st2); heap.free(sy); heap.free(sr); heap.free(dx); heap.free(dt);
  });
});

describe("losses backward vs finite differences", () => {
  it("mse, scale 1 and scale −2.5", () => {
    elemSetup(37, 1);
    let dp = newGrad(en);
    // The loss is rounded to f32 (≤ 2⁻²⁴ relative, loss ≤ 4): |ΔL error| ≤ 2·2⁻²⁴·4·|scale| over 2h = 0.1.
    lossScale = 1;
    mseBackward(dp, ex, eb, en, en, lossScale);
    added(dp, en);
    gradCheck("mse dpred", ex, dp, en, 5e-2, 1e-5, 0, objMse);
    lossScale = -2.5;
    heap.free(dp);
    dp = newGrad(en);
    mseBackward(dp, ex, eb, en, en, lossScale);
    added(dp, en);
    gradCheck("mse dpred (scale −2.5)", ex, dp, en, 5e-2, 2.5e-5, 0, objMse);
    lossScale = 1;
    heap.free(dp);
    elemFree();
  });

  it("l1, scale 1 and scale −2.5 (kink at pred = target skipped)", () => {
    elemSetup(37, 1);
    let dp = newGrad(en);
    // Loss ≤ 2 rounded to f32: |ΔL error| ≤ 2·2⁻²⁴·2·|scale| over 2h = 0.02.
    lossScale = 1;
    l1Backward(dp, ex, eb, en, en, lossScale);
    added(dp, en);
    gradCheck("l1 dpred", ex, dp, en, H_LIN, 2e-5, eb, objL1);
    lossScale = -2.5;
    heap.free(dp);
    dp = newGrad(en);
    l1Backward(dp, ex, eb, en, en, lossScale);
    added(dp, en);
    gradCheck("l1 dpred (scale −2.5)", ex, dp, en, H_LIN, 5e-5, eb, objL1);
    lossScale = 1;
    heap.free(dp);
    elemFree();
  });

  it("l1 gradient is 0 where pred == target (torch.sign), ±1/n elsewhere", () => {
    elemSetup(8, 1);
    const dp = newBuf(en);
    st(eb, 3, ld(ex, 3));
    l1Backward(dp, ex, eb, en, en, 1);
    expect(ld(dp, 3)).toBe(0);
    for (let i = 0; i < en; i++) if (i != 3) expect(Mathf.abs(ld(dp, i))).toBe(<f32>0.125);
    heap.free(dp);
    elemFree();
  });
});

describe("the gradient check can fail", () => {
  it("rejects a scaled analytic gradient (×2 and ×1.01) and a transposed weight gradient", () => {
    // Square kernel, Cin = Cout: a gradient read with [ci, co] swapped has the right shape.
    setShape(2, 3, 6, 5, 3, 3, 3, 2, 1, 1, 1, 0, 0);
    convSetup(false);
    const nx = B * Cin * H * W, nw = Cout * Cin * kh * kw;
    const dx = newBuf(nx), dw = newBuf(nw), db = newBuf(Cout), dwT = newBuf(nw);
    conv2dBackward(dx, dw, db, gr, gx, gw, B, Cin, H, W, Cout, kh, kw, sh, sw, ph, pw, gws);
    objConv2d();
    const atol = linearAtol(B * 3 * 5, maxAbs(gy, ny), H_LIN);
    const good = gradRatio(gw, dw, nw, H_LIN, atol, 0, objConv2d, 1);
    const twice = gradRatio(gw, dw, nw, H_LIN, atol, 0, objConv2d, 2);
    const onePct = gradRatio(gw, dw, nw, H_LIN, atol, 0, objConv2d, 1.01);
    for (let co = 0; co < Cout; co++) for (let ci = 0; ci < Cin; ci++) for (let k = 0; k < kh * kw; k++) {
      st(dwT, (co * Cin + ci) * kh * kw + k, ld(dw, (ci * Cin + co) * kh * kw + k));
    }
    const transposed = gradRatio(gw, dwT, nw, H_LIN, atol, 0, objConv2d, 1);
    const dxTwice = gradRatio(gx, dx, nx, H_LIN, atol, 0, objConv2d, 2);
    log<string>("negative checks (× tolerance): correct " + good.toString() + ", dw×2 " + twice.toString() +
      ", dw×1.01 " + onePct.toString() + ", dw transposed " + transposed.toString() + ", dx×2 " + dxTwice.toString());
    expect(good).toBeLessThanOrEqual(1);
    expect(twice).toBeGreaterThan(100);
    expect(onePct).toBeGreaterThan(4);
    expect(transposed).toBeGreaterThan(100);
    expect(dxTwice).toBeGreaterThan(100);
    heap.free(dx); heap.free(dw); heap.free(db); heap.free(dwT);
    convFree();
  });

  it("the checks saw the forward's f32 rounding (none of them was vacuous)", () => {
    // Every gradCheck already asserted its own ratio ≤ 1; this asserts the other side. The f64
    // difference quotient of an f32 forward carries that forward's rounding, which the atol terms
    // bound and which lands 5-50× below them (header): a worst under 1e-3 × tolerance over every op
    // means no check compared a real difference quotient with a real gradient (an objective that
    // does not depend on the parameter, paired with a gradient that stayed zero, passes on its own).
    log<string>((BUILD_MODE == MODE_RELAXED ? "relaxed" : "strict") + " build: worst |fd − an|/tolerance = " +
      worstRatio.toString() + " (" + worstRatioWhat + ")");
    expect(worstRatio).toBeGreaterThan(1e-3, "no check saw any rounding");
  });
});

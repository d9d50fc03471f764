// Conv2d 3×3, stride 1, padding 1 by direct SIMD loops, for the thin layers where a GEMM has one
// row or one column of useful work: one input channel (a network's first conv, K = 9) or one output
// channel (its last). The planes are padded first (winograd_chunks.ts padPlanes: one zero row and column in
// front, a row stride PW ≥ W + 4; the forward a band of rows at a time, padBand), so every tap is an
// unaligned 4-lane load with no edge tests.
//   forward  y[co] = bias[co] + Σ_ci Σ_k w[co, ci, k] · shift_k(x[ci])        (8 pixels of 4 channels, or
//            4 pixels of 3 rows of one channel, per step)
//   dX       dx[ci] += Σ_co Σ_k w[co, ci, 8 − k] · shift_k(dy[co])            (the same loop on a rotated copy of w)
//   dW       dw[co, ci, k] += Σ_pixels dy[co] · shift_k(x[ci])               (9 accumulators per pair)
// Sums run in another order than the GEMM's (tap-major, 4 or 8 lanes), compared with the im2col path
// in winograd.spec.ts. The scalar build runs directPlanesRef / directWeightGradRef, the same sums lane by
// lane; the strict build's madd is a mul then an add, so the two are bit-identical (winograd.spec.ts).

import { activateRows } from "./act";
import { channelSumsAdd4 } from "./im2col";
import { BUILD_MODE, MODE_SCALAR, madd } from "./mode";
import { firstShare, nextShare, padBand, padPlanes, partBandRows, shareStart } from "./winograd_chunks";
import { align16, IM2COL_CHUNK_FLOATS } from "./workspace";
import { putRow } from "./winograd_tiles";
import { put4 } from "./winograd4_tiles";

/** Row stride of a padded plane: ≥ W + 4 so a 4-lane read past the row's end sees zeros. */
// @ts-ignore: decorator
@inline function padWidth(W: i32): i32 { return ((W + 3) & ~3) + 4; }

/** Workspace bytes of direct3x3Forward / direct3x3Backward: the rotated kernel, one image's padded x and dy. */
export function direct3x3WorkspaceBytes(Cin: i32, H: i32, W: i32, Cout: i32): f64 {
  const PW = Math.floor((<f64>W + 3) / 4) * 4 + 4, ci = <f64>Cin, co = <f64>Cout;
  return Math.ceil(ci * co * 9 / 4) * 16 + Math.ceil(((ci + co) * (<f64>H + 2) * PW + 64) / 4) * 16;
}

/**
 * Output rows per band of direct3x3Forward: a padded input of about IM2COL_CHUNK_FLOATS, in whole steps
 * of directRows3's 3 rows (at least one step), or the whole image.
 */
export function direct3x3BandRows(Cin: i32, H: i32, W: i32): i32 {
  const perRow = max(<i64>1, <i64>Cin * <i64>padWidth(W));
  return <i32>min(<i64>H, max(<i64>3, <i64>IM2COL_CHUNK_FLOATS / perRow / 3 * 3));
}

/** Workspace bytes of direct3x3Forward alone (an inference model's): [space of the backward's rotated kernel | a band's padded x]. */
export function direct3x3ForwardWorkspaceBytes(Cin: i32, H: i32, W: i32, Cout: i32): f64 {
  const PW = Math.floor((<f64>W + 3) / 4) * 4 + 4, ci = <f64>Cin, co = <f64>Cout, rows = <f64>direct3x3BandRows(Cin, H, W);
  return Math.ceil(ci * co * 9 / 4) * 16 + Math.ceil((ci * (rows + 2) * PW + 32) / 4) * 16;
}

/**
 * out[o] (= or +=) bias[o] + Σ_i Σ_k w[o, i, k] · shift_k(inp[i]) for H rows of one image: inp padded
 * [Ci, H+2, PW], out [Co, Hp, W] (Hp = H, or out a band's first row in planes of Hp rows), w [Co, Ci, 3, 3];
 * bias may be 0.
 */
function directPlanes(out: usize, inp: usize, w: usize, bias: usize, Ci: i32, Co: i32, H: i32, W: i32, PW: i32, accumulate: bool, Hp: i32): void {
  const rowB = <usize>PW << 2, planeB = <usize>(H + 2) * rowB;
  const o4 = Co & ~3;
  for (let o = 0; o < o4; o += 4) directPlanes4(out, inp, w, bias, Ci, o, H, W, PW, accumulate, Hp);
  for (let o = o4; o < Co; o++) {
    const bv = f32x4.splat(bias ? load<f32>(bias + (<usize>o << 2)) : 0), wo = w + (<usize>(o * Ci * 9) << 2);
    let oy = 0;
    for (; oy + 3 <= H; oy += 3) directRows3(out + ((<usize>(o * Hp + oy) * <usize>W) << 2), inp + <usize>oy * rowB, wo, bv, Ci, W, rowB, planeB, accumulate);
    for (; oy < H; oy++) {
      const orow = out + ((<usize>(o * Hp + oy) * <usize>W) << 2);
      for (let ox = 0; ox < W; ox += 8) {
        // One partial sum per kernel row (and 4 lanes): 6 independent chains, so the multiply-adds
        // overlap instead of waiting on each other (2 chains ran at a quarter of the rate).
        let a0 = bv, a1 = bv, b0 = f32x4.splat(0), b1 = b0, c0 = b0, c1 = b0;
        let r = inp + <usize>oy * rowB + (<usize>ox << 2), wb = wo;
        for (let i = 0; i < Ci; i++) {
          let w0 = v128.load32_splat(wb), w1 = v128.load32_splat(wb, 4), w2 = v128.load32_splat(wb, 8);
          a0 = madd(w0, v128.load(r), a0); a1 = madd(w0, v128.load(r, 16), a1);
          a0 = madd(w1, v128.load(r, 4), a0); a1 = madd(w1, v128.load(r, 20), a1);
          a0 = madd(w2, v128.load(r, 8), a0); a1 = madd(w2, v128.load(r, 24), a1);
          const p = r + rowB, q = p + rowB;
          w0 = v128.load32_splat(wb, 12); w1 = v128.load32_splat(wb, 16); w2 = v128.load32_splat(wb, 20);
          b0 = madd(w0, v128.load(p), b0); b1 = madd(w0, v128.load(p, 16), b1);
          b0 = madd(w1, v128.load(p, 4), b0); b1 = madd(w1, v128.load(p, 20), b1);
          b0 = madd(w2, v128.load(p, 8), b0); b1 = madd(w2, v128.load(p, 24), b1);
          w0 = v128.load32_splat(wb, 24); w1 = v128.load32_splat(wb, 28); w2 = v128.load32_splat(wb, 32);
          c0 = madd(w0, v128.load(q), c0); c1 = madd(w0, v128.load(q, 16), c1);
          c0 = madd(w1, v128.load(q, 4), c0); c1 = madd(w1, v128.load(q, 20), c1);
          c0 = madd(w2, v128.load(q, 8), c0); c1 = madd(w2, v128.load(q, 24), c1);
          r += planeB;
          wb += 36;
        }
        putRow(orow, ox, W, f32x4.add(a0, f32x4.add(b0, c0)), f32x4.add(a1, f32x4.add(b1, c1)), accumulate);
      }
    }
  }
}

/**
 * Three rows of one output channel, 4 pixels a step: 9 partial sums (output row × kernel row), so
 * 27 multiply-adds a channel run in 9 independent chains, from 15 row loads and 9 weight splats
 * (the one-row loop: 18 from 27, in 6 chains). out: the first row's start; inp: its padded input
 * rows (oy, no offset); wo: the channel's weights [Ci, 3, 3].
 */
function directRows3(out: usize, inp: usize, wo: usize, bv: v128, Ci: i32, W: i32, rowB: usize, planeB: usize, accumulate: bool): void {
  const rowY = <usize>W << 2;
  for (let ox = 0; ox < W; ox += 4) {
    const z = f32x4.splat(0);
    let a0 = bv, a1 = z, a2 = z, b0 = bv, b1 = z, b2 = z, c0 = bv, c1 = z, c2 = z;
    let r = inp + (<usize>ox << 2), wb = wo;
    for (let i = 0; i < Ci; i++) {
      // Column kj of the taps: input rows 0..4 (x0..x4) meet kernel rows 0..2 (w0..w2); a, b, c are
      // output rows 0, 1, 2 and their digit the kernel row. Ordered so at most 3 loads are live.
      for (let kj = 0; kj < 3; kj++) {
        const q = r + (<usize>kj << 2), wk = wb + (<usize>kj << 2);
        const w0 = v128.load32_splat(wk), x1 = v128.load(q + rowB), x2 = v128.load(q + 2 * rowB);
        a0 = madd(w0, v128.load(q), a0); b0 = madd(w0, x1, b0); c0 = madd(w0, x2, c0);
        const w1 = v128.load32_splat(wk, 12), x3 = v128.load(q + 3 * rowB);
        a1 = madd(w1, x1, a1); b1 = madd(w1, x2, b1); c1 = madd(w1, x3, c1);
        const w2 = v128.load32_splat(wk, 24);
        a2 = madd(w2, x2, a2); b2 = madd(w2, x3, b2); c2 = madd(w2, v128.load(q + 4 * rowB), c2);
      }
      r += planeB;
      wb += 36;
    }
    put4(out, ox, W, f32x4.add(a0, f32x4.add(a1, a2)), accumulate);
    put4(out + rowY, ox, W, f32x4.add(b0, f32x4.add(b1, b2)), accumulate);
    put4(out + 2 * rowY, ox, W, f32x4.add(c0, f32x4.add(c1, c2)), accumulate);
  }
}

/**
 * directPlanes for the 4 output channels o..o+3 at once: each input load feeds 4 channels
 * (8 accumulators: 4 channels × 8 pixels), 1.75 instructions per multiply-add instead of 2.5.
 */
function directPlanes4(out: usize, inp: usize, w: usize, bias: usize, Ci: i32, o: i32, H: i32, W: i32, PW: i32, accumulate: bool, Hp: i32): void {
  const rowB = <usize>PW << 2, planeB = <usize>(H + 2) * rowB, cs = <usize>(Ci * 9) << 2, outPlane = <usize>(Hp * W) << 2;
  const z = f32x4.splat(0);
  const b0 = bias ? v128.load32_splat(bias + (<usize>o << 2)) : z, b1 = bias ? v128.load32_splat(bias + (<usize>(o + 1) << 2)) : z;
  const b2 = bias ? v128.load32_splat(bias + (<usize>(o + 2) << 2)) : z, b3 = bias ? v128.load32_splat(bias + (<usize>(o + 3) << 2)) : z;
  for (let oy = 0; oy < H; oy++) {
    const orow = out + ((<usize>(o * Hp + oy) * <usize>W) << 2);
    for (let ox = 0; ox < W; ox += 8) {
      let a00 = b0, a01 = b0, a10 = b1, a11 = b1, a20 = b2, a21 = b2, a30 = b3, a31 = b3;
      let r = inp + <usize>oy * rowB + (<usize>ox << 2), wb = w + (<usize>(o * Ci * 9) << 2);
      for (let i = 0; i < Ci; i++) {
        for (let ki = 0; ki < 3; ki++) {
          const p = r + <usize>ki * rowB;
          for (let kj = 0; kj < 3; kj++) {
            const q = p + (<usize>kj << 2), wk = wb + (<usize>(3 * ki + kj) << 2);
            const x0 = v128.load(q), x1 = v128.load(q, 16);
            let c = v128.load32_splat(wk);
            a00 = madd(c, x0, a00); a01 = madd(c, x1, a01);
            c = v128.load32_splat(wk + cs);
            a10 = madd(c, x0, a10); a11 = madd(c, x1, a11);
            c = v128.load32_splat(wk + 2 * cs);
            a20 = madd(c, x0, a20); a21 = madd(c, x1, a21);
            c = v128.load32_splat(wk + 3 * cs);
            a30 = madd(c, x0, a30); a31 = madd(c, x1, a31);
          }
        }
        r += planeB;
        wb += 36;
      }
      putRow(orow, ox, W, a00, a01, accumulate);
      putRow(orow + outPlane, ox, W, a10, a11, accumulate);
      putRow(orow + 2 * outPlane, ox, W, a20, a21, accumulate);
      putRow(orow + 3 * outPlane, ox, W, a30, a31, accumulate);
    }
  }
}

// @ts-ignore: decorator
@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/**
 * directPlanes in scalar loops, lane by lane the same sums (the scalar build's path and the specs' oracle):
 * channels o < Co rounded down to 4 (directPlanes4) one running sum from the bias, taps in (input
 * channel, kernel row, column) order; the others (directPlanes' loops, directRows3) one running sum per
 * kernel row, in (input channel, column) order, the first from the bias, added row 0 + (row 1 + row 2).
 */
function directPlanesRef(out: usize, inp: usize, w: usize, bias: usize, Ci: i32, Co: i32, H: i32, W: i32, PW: i32, accumulate: bool, Hp: i32): void {
  const rowB = <usize>PW << 2, planeB = <usize>(H + 2) * rowB, o4 = Co & ~3;
  for (let o = 0; o < Co; o++) {
    const b: f32 = bias ? load<f32>(bias + (<usize>o << 2)) : 0, wo = w + (<usize>(o * Ci * 9) << 2);
    const plane = out + ((<usize>(o * Hp) * <usize>W) << 2);
    for (let oy = 0; oy < H; oy++) for (let ox = 0; ox < W; ox++) {
      const r = inp + <usize>oy * rowB + (<usize>ox << 2);
      let v: f32;
      if (o < o4) {
        v = b;
        for (let i = 0; i < Ci; i++) for (let k = 0; k < 9; k++) {
          v = v + load<f32>(wo + (<usize>(9 * i + k) << 2)) * load<f32>(r + <usize>i * planeB + <usize>(k / 3) * rowB + (<usize>(k % 3) << 2));
        }
      } else {
        let a = b, c: f32 = 0, d: f32 = 0;
        for (let i = 0; i < Ci; i++) for (let kj = 0; kj < 3; kj++) {
          const q = r + <usize>i * planeB + (<usize>kj << 2), wk = wo + (<usize>(9 * i + kj) << 2);
          a = a + load<f32>(wk) * load<f32>(q);
          c = c + load<f32>(wk, 12) * load<f32>(q + rowB);
          d = d + load<f32>(wk, 24) * load<f32>(q + 2 * rowB);
        }
        v = a + (c + d);
      }
      const p = plane + ((<usize>(oy * W + ox)) << 2);
      store<f32>(p, accumulate ? load<f32>(p) + v : v);
    }
  }
}

/** dw[co, ci, k] += Σ_pixels dy[co] · shift_k(x[ci]) for one image; xp, dyp padded [C, H+2, PW]. */
function directWeightGrad(dw: usize, xp: usize, dyp: usize, Cin: i32, Cout: i32, H: i32, W: i32, PW: i32): void {
  const rowB = <usize>PW << 2, planeB = <usize>(H + 2) * rowB;
  for (let co = 0; co < Cout; co++) for (let ci = 0; ci < Cin; ci++) {
    let a0 = f32x4.splat(0), a1 = a0, a2 = a0, a3 = a0, a4 = a0, a5 = a0, a6 = a0, a7 = a0, a8 = a0;
    for (let oy = 0; oy < H; oy++) {
      // dy read at its padded (oy + 1, ox + 1): lanes past W see the zero columns behind the row.
      const g0 = dyp + <usize>co * planeB + <usize>(oy + 1) * rowB + 4;
      const r0 = xp + <usize>ci * planeB + <usize>oy * rowB, r1 = r0 + rowB, r2 = r1 + rowB;
      for (let ox = 0; ox < W; ox += 4) {
        const o = <usize>ox << 2, g = v128.load(g0 + o);
        a0 = madd(g, v128.load(r0 + o), a0); a1 = madd(g, v128.load(r0 + o, 4), a1); a2 = madd(g, v128.load(r0 + o, 8), a2);
        a3 = madd(g, v128.load(r1 + o), a3); a4 = madd(g, v128.load(r1 + o, 4), a4); a5 = madd(g, v128.load(r1 + o, 8), a5);
        a6 = madd(g, v128.load(r2 + o), a6); a7 = madd(g, v128.load(r2 + o, 4), a7); a8 = madd(g, v128.load(r2 + o, 8), a8);
      }
    }
    const q = dw + ((<usize>(co * Cin + ci) * 9) << 2);
    store<f32>(q, load<f32>(q) + hsum(a0)); store<f32>(q + 4, load<f32>(q + 4) + hsum(a1));
    store<f32>(q + 8, load<f32>(q + 8) + hsum(a2)); store<f32>(q + 12, load<f32>(q + 12) + hsum(a3));
    store<f32>(q + 16, load<f32>(q + 16) + hsum(a4)); store<f32>(q + 20, load<f32>(q + 20) + hsum(a5));
    store<f32>(q + 24, load<f32>(q + 24) + hsum(a6)); store<f32>(q + 28, load<f32>(q + 28) + hsum(a7));
    store<f32>(q + 32, load<f32>(q + 32) + hsum(a8));
  }
}

/**
 * directWeightGrad in scalar loops, lane by lane the same sums (the scalar build's path and the specs'
 * oracle): per tap, four running sums over the pixels ox ≡ 0..3 (mod 4) of every row, those past W
 * included (dy is zero there), added (l0 + l1) + (l2 + l3).
 */
function directWeightGradRef(dw: usize, xp: usize, dyp: usize, Cin: i32, Cout: i32, H: i32, W: i32, PW: i32): void {
  const rowB = <usize>PW << 2, planeB = <usize>(H + 2) * rowB;
  for (let co = 0; co < Cout; co++) for (let ci = 0; ci < Cin; ci++) {
    const q = dw + ((<usize>(co * Cin + ci) * 9) << 2);
    for (let k = 0; k < 9; k++) {
      let l0: f32 = 0, l1: f32 = 0, l2: f32 = 0, l3: f32 = 0;
      for (let oy = 0; oy < H; oy++) {
        const g = dyp + <usize>co * planeB + <usize>(oy + 1) * rowB + 4;
        const r = xp + <usize>ci * planeB + <usize>(oy + k / 3) * rowB + (<usize>(k % 3) << 2);
        for (let ox = 0; ox < W; ox += 4) {
          const o = <usize>ox << 2;
          l0 = l0 + load<f32>(g + o) * load<f32>(r + o); l1 = l1 + load<f32>(g + o, 4) * load<f32>(r + o, 4);
          l2 = l2 + load<f32>(g + o, 8) * load<f32>(r + o, 8); l3 = l3 + load<f32>(g + o, 12) * load<f32>(r + o, 12);
        }
      }
      const p = q + (<usize>k << 2);
      store<f32>(p, load<f32>(p) + ((l0 + l1) + (l2 + l3)));
    }
  }
}

/**
 * y[B, Cout, H, W] = conv2d(x[B, Cin, H, W], w[Cout, Cin, 3, 3], stride 1, padding 1) + bias (may be 0),
 * image by image in bands of direct3x3BandRows output rows (their input rows padded: winograd_chunks.ts
 * padBand), each output pixel the same sums as in one pass over the image.
 * `scalar`: the scalar references (the strict build's bits; the scalar build always runs them).
 */
export function direct3x3Forward(
  y: usize, x: usize, w: usize, bias: usize, B: i32, Cin: i32, H: i32, W: i32, Cout: i32, ws: usize, act: i32 = 0, slope: f32 = 0,
  scalar: bool = false, part: i32 = 0, parts: i32 = 1,
): void {
  direct3x3ForwardBands(y, x, w, bias, B, Cin, H, W, Cout, ws, partBandRows(direct3x3BandRows(Cin, H, W), H, parts), act, slope, scalar, part, parts);
}

/**
 * direct3x3Forward in bands of `rows` output rows (≥ 1; the specs, bands.spec.ts, force heights); workspace: [Cin·Cout·9 floats | Cin·(rows + 2)·PW + 32].
 * Part `part` of `parts` does the bands of its share of each image's rows (winograd_chunks.ts shareStart).
 */
export function direct3x3ForwardBands(
  y: usize, x: usize, w: usize, bias: usize, B: i32, Cin: i32, H: i32, W: i32, Cout: i32, ws: usize, rows: i32, act: i32 = 0, slope: f32 = 0,
  scalar: bool = false, part: i32 = 0, parts: i32 = 1,
): void {
  assert(rows >= 1, "direct3x3: band of no rows");
  const PW = padWidth(W), HW = <usize>(H * W) << 2, xp = ws + align16(<usize>(Cin * Cout * 9) << 2), r = min(rows, H);
  for (let share = firstShare(part, parts); share < B * parts; share = nextShare(share, parts)) {
    const b = share / parts, q = share % parts, lo = shareStart(H, q, parts), hi = shareStart(H, q + 1, parts);
    const xb = x + <usize>(b * Cin) * HW, yb = y + <usize>(b * Cout) * HW;
    for (let oy0 = lo; oy0 < hi; oy0 += r) {
      const n = min(r, hi - oy0), yr = yb + ((<usize>oy0 * <usize>W) << 2);
      padBand(xp, xb, Cin, H, W, oy0, n + 2, PW);
      if (BUILD_MODE == MODE_SCALAR || scalar) directPlanesRef(yr, xp, w, bias, Cin, Cout, n, W, PW, false, H);
      else directPlanes(yr, xp, w, bias, Cin, Cout, n, W, PW, false, H);
      activateRows(yb, Cout, H, W, oy0, oy0 + n, act, slope);
    }
  }
}

/** dx += ∂L/∂x, dw += ∂L/∂w, db += ∂L/∂b for direct3x3Forward's conv (dx or db may be 0 to skip); `scalar` as there. */
export function direct3x3Backward(
  dx: usize, dw: usize, db: usize, dy: usize, x: usize, w: usize, B: i32, Cin: i32, H: i32, W: i32, Cout: i32, ws: usize,
  scalar: bool = false,
): void {
  if (db) channelSumsAdd4(db, dy, B, Cout, H * W, scalar);
  const PW = padWidth(W), HW = <usize>(H * W) << 2;
  // ws: [rot: w rotated 180°, channels swapped, [Cin, Cout, 3, 3] | xp | dyp].
  const rot = ws, xp = rot + align16(<usize>(Cin * Cout * 9) << 2);
  const dyp = xp + (((<usize>Cin * <usize>(H + 2) * <usize>PW + 32 + 3) & ~(<usize>3)) << 2);
  if (dx) {
    for (let co = 0; co < Cout; co++) for (let ci = 0; ci < Cin; ci++) for (let k = 0; k < 9; k++) {
      store<f32>(rot + (<usize>((ci * Cout + co) * 9 + k) << 2), load<f32>(w + (<usize>((co * Cin + ci) * 9 + 8 - k) << 2)));
    }
  }
  for (let b = 0; b < B; b++) {
    padPlanes(xp, x + <usize>(b * Cin) * HW, 1, Cin, H, W, H + 2, PW);
    padPlanes(dyp, dy + <usize>(b * Cout) * HW, 1, Cout, H, W, H + 2, PW);
    if (BUILD_MODE == MODE_SCALAR || scalar) {
      directWeightGradRef(dw, xp, dyp, Cin, Cout, H, W, PW);
      if (dx) directPlanesRef(dx + <usize>(b * Cin) * HW, dyp, rot, 0, Cout, Cin, H, W, PW, true, H);
    } else {
      directWeightGrad(dw, xp, dyp, Cin, Cout, H, W, PW);
      if (dx) directPlanes(dx + <usize>(b * Cin) * HW, dyp, rot, 0, Cout, Cin, H, W, PW, true, H);
    }
  }
}

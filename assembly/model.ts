// The network as a table the host writes once: one record of LAYER_FIELDS i32 per layer (fields in
// abi.ts), walked forward and backward here so a training step crosses the JS ⇄ wasm boundary a
// handful of times with integers only. Pointers in a record are absolute byte addresses in the
// host-reserved arenas (params, grads, activations, activation grads); shapes are per image, the
// batch comes per call.
// Activation-gradient buffers are accumulated into: modelTrainSlice zeroes its own slice's (and its
// table's parameter gradients) first, so each thread clears what it writes instead of the main
// thread clearing every arena between steps.

import { conv2dForwardAct, conv2dBackward, conv2dPath, FAST_NONE } from "./conv2d";
import { convTranspose2dForwardAct, convTranspose2dBackward, convTranspose2dWinograd } from "./conv_transpose2d";
import {
  activateInPlace, reluForward, reluBackward, leakyReluForward, leakyReluBackward, sigmoidForward, sigmoidBackward,
} from "./act";
import { addForward, addBackward, addSlicedForward, addSlicedBackward } from "./add";
import { mseForward, mseBackward, l1Forward, l1Backward } from "./loss";
import { noiseImages } from "./noise";
import { fillNoiseMap } from "./noise_level";
import { firstShare, nextShare, setShareCounter, shareStart } from "./winograd_chunks";
import {
  LAYER_FIELDS, LAYER_OP, LAYER_IN_C, LAYER_IN_H, LAYER_IN_W, LAYER_OUT_C, LAYER_OUT_H, LAYER_OUT_W,
  LAYER_KH, LAYER_KW, LAYER_SH, LAYER_SW, LAYER_PH, LAYER_PW, LAYER_OPH, LAYER_OPW,
  LAYER_W, LAYER_BIAS, LAYER_DW, LAYER_DBIAS, LAYER_X, LAYER_Y, LAYER_DX, LAYER_DY, LAYER_X2, LAYER_DX2, LAYER_ALPHA, LAYER_X2_C, LAYER_FUSE, LAYER_CLAIMED,
  LAYER_WIN_Y0, LAYER_WIN_Y1, LAYER_WIN_X0, LAYER_WIN_X1,
  OP_CONV2D, OP_CONV_TRANSPOSE2D, OP_RELU, OP_LEAKY_RELU, OP_SIGMOID, OP_ADD, OP_IDENTITY, LOSS_L1, LOSS_MSE_L1,
  FUSE_ACTIVATION, FUSE_ACCUMULATE,
} from "./abi";

// @ts-ignore: decorator
@inline function f(rec: usize, i: i32): i32 {
  return load<i32>(rec + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline function p(rec: usize, i: i32): usize {
  return <usize>load<u32>(rec + (<usize>i << 2));
}

/** Record l of a table. */
// @ts-ignore: decorator
@inline function rec(table: usize, l: i32): usize { return table + ((<usize>(l * LAYER_FIELDS)) << 2); }

/**
 * Runs layers 0..n−1 of the table forward on a batch of B images. ws: workspace for the largest layer.
 * A convolution or an add followed by its activation runs as one layer where fusesNext allows (an
 * inference model's table): the activation is applied to each chunk of the output as it is written.
 */
export function modelForward(table: usize, n: i32, B: i32, ws: usize): void {
  modelForwardPart(table, n, B, ws, 0, 1, false);
}

/**
 * Shares a layer is cut into per thread when its threads claim them (modelForwardPart's `claim`): the
 * thread that finishes first waits on average for half a share of the other. 8 against 4: the photo
 * model's 1024² forward on 2 threads 1 717 ms against 1 824 (medians of 3 alternated runs, 2026-12-07),
 * the main thread's wait at the layers' ends ~117 ms a forward with 4; 16 gave no more (1 735 ms).
 * Equal shares then; since, they fall in size (winograd_chunks.ts shareStart), the last ones short:
 * that wait ~34 → ~15 ms a forward (2026-12-08, node --cpu-prof).
 */
const SHARES_PER_THREAD: i32 = 8;

/**
 * modelForward's part `part` of `parts`: threads sharing each layer of one batch (an inference model
 * whose threads split the layers rather than the images: host/core/model.ts), each with its own
 * workspace, run the same layers with the same part count, and every layer's output is the union of
 * their parts. A convolution's part is its share of each image's output rows (winograd_chunks.ts
 * shareStart: equal static parts, or claimed shares falling in size), an elementwise layer's its share of the elements (in whole 4-float groups, so each
 * element takes the path it takes unshared); what cannot be shared (a transposed convolution by GEMM,
 * a dense layer) one part runs whole (part 0, or whoever claims share 0).
 * Bit for bit modelForward's output.
 * The parts of one layer must all finish before any part of the next starts (the host's barrier:
 * one pool run per layer).
 * `claim`: instead of part `part` of each layer, the threads claim the layer's SHARES_PER_THREAD·parts
 * shares one at a time from its record's LAYER_CLAIMED counter (winograd_chunks.ts firstShare), which the
 * host zeroes before the run, so a faster core takes more (layers that are `claimable`; the others keep
 * part `part`); the same output bits.
 */
export function modelForwardPart(table: usize, n: i32, B: i32, ws: usize, part: i32, parts: i32, claim: bool): void {
  assert(parts >= 1 && part >= 0 && part < parts, "modelForwardPart: part out of range");
  for (let l = 0; l < n; l++) {
    const r = rec(table, l), shares = claim && parts > 1 && claimable(r) ? parts * SHARES_PER_THREAD : parts;
    setShareCounter(shares > parts ? r + (<usize>LAYER_CLAIMED << 2) : 0);
    if (f(r, LAYER_FUSE) == FUSE_ACCUMULATE) {
      // A transposed convolution added into its skip in place: record l + 1 is that add, which does not
      // run; l + 2 its activation where the add fuses one, applied to the sum.
      assert(l + 1 < n && p(r, LAYER_Y) == p(rec(table, l + 1), LAYER_X2), "modelForwardPart: an accumulating layer writes its add's skip");
      let act = 0, slope: f32 = 0;
      if (fusesNext(table, n, l + 1)) {
        const a = rec(table, l + 2);
        act = f(a, LAYER_OP);
        slope = reinterpret<f32>(f(a, LAYER_ALPHA));
      }
      convForward(r, B, ws, p(r, LAYER_Y), act, slope, part, shares, true);
      l += act ? 2 : 1;
    } else if (fusesNext(table, n, l)) {
      const a = rec(table, l + 1), act = f(a, LAYER_OP), slope = reinterpret<f32>(f(a, LAYER_ALPHA));
      if (f(r, LAYER_OP) == OP_ADD) addActForward(r, B, p(a, LAYER_Y), act, slope, part, shares);
      else convForward(r, B, ws, p(a, LAYER_Y), act, slope, part, shares);
      l++;
    } else {
      layerForward(r, B, ws, part, shares);
    }
  }
  setShareCounter(0);
}

/**
 * Whether a record's shares may be claimed (smaller shares than one a thread): its per-element operations must not
 * depend on a share's size. True of the Winograd and direct convolutions (the same operations per tile or
 * pixel) and of elementwise layers (shares of whole 4-float groups); not of im2col + GEMM, whose relaxed
 * build takes a GEMM path by the band's size (gemm.ts: below SMALL_GEMM the reference loop, unfused), so
 * those keep one share a thread, as with static parts.
 */
function claimable(r: usize): bool {
  const op = f(r, LAYER_OP);
  if (op == OP_CONV2D) {
    return conv2dPath(f(r, LAYER_IN_C), f(r, LAYER_IN_H), f(r, LAYER_IN_W), f(r, LAYER_OUT_C), f(r, LAYER_KH), f(r, LAYER_KW),
      f(r, LAYER_SH), f(r, LAYER_SW), f(r, LAYER_PH), f(r, LAYER_PW)) != FAST_NONE;
  }
  if (op == OP_CONV_TRANSPOSE2D) {
    return convTranspose2dWinograd(f(r, LAYER_IN_C), f(r, LAYER_IN_H), f(r, LAYER_IN_W), f(r, LAYER_OUT_C), f(r, LAYER_KH), f(r, LAYER_KW),
      f(r, LAYER_SH), f(r, LAYER_SW), f(r, LAYER_PH), f(r, LAYER_PW), f(r, LAYER_OPH), f(r, LAYER_OPW));
  }
  return true;
}

/** The first element of `count` that part `part` of `parts` takes: shareStart in 4-float groups. */
// @ts-ignore: decorator
@inline function partElement(count: i32, part: i32, parts: i32): i32 {
  return min(count, shareStart((count + 3) >> 2, part, parts) << 2);
}

/**
 * Whether layer l, a convolution or an add, writes layer l + 1's output directly with the activation
 * applied: the host marks it (LAYER_FUSE, host/core/plan.ts fusedWithNext) where l + 1 is a ReLU or
 * leaky ReLU of l's output that nothing else reads and no backward pass will (an inference model's
 * table). l's own output is then never written. The same bits as running the two layers.
 */
// @ts-ignore: decorator
@inline function fusesNext(table: usize, n: i32, l: i32): bool {
  return l + 1 < n && f(rec(table, l), LAYER_FUSE) == FUSE_ACTIVATION;
}

/** Floats an add + activation runs at a time: 16 KiB, so the sum is still in L1 when the activation reads it. */
const ADD_ACT_BLOCK: i32 = 4096;

/** An add record's forward into y with activation act fused, block by block. */
function addActForward(r: usize, B: i32, y: usize, act: i32, slope: f32, part: i32, parts: i32): void {
  const hw = f(r, LAYER_OUT_H) * f(r, LAYER_OUT_W), count = B * f(r, LAYER_OUT_C) * hw, x = p(r, LAYER_X), x2 = p(r, LAYER_X2);
  if (f(r, LAYER_X2_C) != f(r, LAYER_OUT_C)) {
    addSlicedShares(r, B, y, act, slope, part, parts);
    return;
  }
  for (let s = firstShare(part, parts); s < parts; s = nextShare(s, parts)) {
    const end = partElement(count, s + 1, parts);
    for (let i = partElement(count, s, parts); i < end; i += ADD_ACT_BLOCK) {
      const n = min(ADD_ACT_BLOCK, end - i), o = <usize>i << 2;
      addForward(y + o, x + o, x2 + o, n);
      activateInPlace(y + o, n, act, slope);
    }
  }
}

/**
 * An add over the first channels of a wider second input (add.ts addSlicedForward: a residual output
 * over an input with a noise-level plane) with activation act (0: none) applied, on this thread's shares
 * of each image's elements (whole 4-float groups from the image's start).
 */
function addSlicedShares(r: usize, B: i32, y: usize, act: i32, slope: f32, part: i32, parts: i32): void {
  const hw = f(r, LAYER_OUT_H) * f(r, LAYER_OUT_W), n = f(r, LAYER_OUT_C) * hw;
  for (let s = firstShare(part, parts); s < parts; s = nextShare(s, parts)) {
    const i0 = partElement(n, s, parts), m = partElement(n, s + 1, parts) - i0;
    addSlicedForward(y, p(r, LAYER_X), p(r, LAYER_X2), B, n, f(r, LAYER_X2_C) * hw, i0, m);
    if (act) for (let b = 0; b < B; b++) activateInPlace(y + ((<usize>b * <usize>n + <usize>i0) << 2), m, act, slope);
  }
}

/** A convolution record's forward into y (+= into y: `accumulate`, transposed only), with activation act (0: none) fused. */
function convForward(r: usize, B: i32, ws: usize, y: usize, act: i32, slope: f32, part: i32 = 0, parts: i32 = 1, accumulate: bool = false): void {
  const wy0 = f(r, LAYER_WIN_Y0), wy1 = f(r, LAYER_WIN_Y1), wx0 = f(r, LAYER_WIN_X0), wx1 = f(r, LAYER_WIN_X1);
  if (f(r, LAYER_OP) == OP_CONV2D) {
    conv2dForwardAct(y, p(r, LAYER_X), p(r, LAYER_W), p(r, LAYER_BIAS), B, f(r, LAYER_IN_C), f(r, LAYER_IN_H), f(r, LAYER_IN_W), f(r, LAYER_OUT_C),
      f(r, LAYER_KH), f(r, LAYER_KW), f(r, LAYER_SH), f(r, LAYER_SW), f(r, LAYER_PH), f(r, LAYER_PW), ws, act, slope, part, parts, wy0, wy1, wx0, wx1);
  } else {
    convTranspose2dForwardAct(y, p(r, LAYER_X), p(r, LAYER_W), p(r, LAYER_BIAS), B, f(r, LAYER_IN_C), f(r, LAYER_IN_H), f(r, LAYER_IN_W), f(r, LAYER_OUT_C),
      f(r, LAYER_KH), f(r, LAYER_KW), f(r, LAYER_SH), f(r, LAYER_SW), f(r, LAYER_PH), f(r, LAYER_PW), f(r, LAYER_OPH), f(r, LAYER_OPW), ws, act, slope, part, parts, accumulate,
      wy0, wy1, wx0, wx1);
  }
}

/** Runs layers n−1..0 backward, adding into parameter and activation gradients. */
export function modelBackward(table: usize, n: i32, B: i32, ws: usize): void {
  for (let l = n - 1; l >= 0; l--) layerBackward(rec(table, l), B, ws);
}

/**
 * One training pass over a batch (or one thread's slice of it): with a noise record (abi.ts), sample
 * the slice's noisy input from its target first (noise.ts noiseImages); zero the table's gradients, forward,
 * the loss of `count` outputs against `target`, its gradient into dOut (scaled by 1/divisor, the
 * whole batch's count), backward. Returns the slice's mean loss. The table's parameter gradients
 * hold this slice's gradient afterwards (not added to what was there).
 */
export function modelTrainSlice(
  table: usize, n: i32, B: i32, ws: usize, out: usize, target: usize, dOut: usize,
  count: i32, divisor: i32, lossKind: i32, l1Weight: f32, noiseRec: usize, seeds: usize,
): f32 {
  // The slice's noisy input from its clean target (layer 0 reads the input), one seed per image.
  if (noiseRec) sampleInputs(table, n, B, ws, target, noiseRec, seeds);
  zeroSliceGrads(table, n, B);
  modelForward(table, n, B, ws);
  let loss: f32;
  if (lossKind == LOSS_L1) {
    loss = l1Forward(out, target, count);
    l1Backward(dOut, out, target, count, divisor, 1);
  } else {
    loss = mseForward(out, target, count);
    mseBackward(dOut, out, target, count, divisor, 1);
    if (lossKind == LOSS_MSE_L1) {
      loss += l1Weight * l1Forward(out, target, count);
      l1Backward(dOut, out, target, count, divisor, l1Weight);
    }
  }
  modelBackward(table, n, B, ws);
  return loss;
}

/**
 * The noisy inputs of B images from their clean targets. A network whose input has one channel more
 * than its output takes a noise-level map there (host/core/arch.ts noiseMap): each image's noise
 * goes into its first C channels, then the map is filled with the level measured on them
 * (noise_level.ts; ws is free before the forward pass and holds at least its scratch).
 */
function sampleInputs(table: usize, n: i32, B: i32, ws: usize, target: usize, noiseRec: usize, seeds: usize): void {
  const x = p(table, LAYER_X), inC = f(table, LAYER_IN_C), H = f(table, LAYER_IN_H), W = f(table, LAYER_IN_W);
  const C = f(rec(table, n - 1), LAYER_OUT_C);
  if (inC == C) {
    noiseImages(noiseRec, seeds, x, target, B, C, H, W);
    return;
  }
  const plane = H * W, img = C * plane, inp = inC * plane;
  for (let b = 0; b < B; b++) {
    const d = x + ((<usize>b * <usize>inp) << 2), s = target + ((<usize>b * <usize>img) << 2);
    if (C == 3 && samePlanes(s, plane)) {
      // a gray patch (luma in every channel) gets gray noise: one plane's, copied
      noiseImages(noiseRec, seeds + (<usize>b << 3), d, s, 1, 1, H, W);
      memory.copy(d + (<usize>plane << 2), d, <usize>plane << 2);
      memory.copy(d + (<usize>plane << 3), d, <usize>plane << 2);
    } else noiseImages(noiseRec, seeds + (<usize>b << 3), d, s, 1, C, H, W);
  }
  fillNoiseMap(x, B, C, H, W, ws);
}

/** Whether an image's three planes of `plane` floats are equal (a gray patch). */
function samePlanes(s: usize, plane: i32): bool {
  const bytes = <usize>plane << 2;
  return memory.compare(s, s + bytes, bytes) == 0 && memory.compare(s, s + (bytes << 1), bytes) == 0;
}

/** Zeroes every layer's output gradient for B images and its parameter gradients (dw, dbias). */
function zeroSliceGrads(table: usize, n: i32, B: i32): void {
  for (let l = 0; l < n; l++) {
    const r = rec(table, l);
    const outC = f(r, LAYER_OUT_C);
    const dy = p(r, LAYER_DY), dw = p(r, LAYER_DW), db = p(r, LAYER_DBIAS);
    if (dy) memory.fill(dy, 0, <usize>(B * outC * f(r, LAYER_OUT_H) * f(r, LAYER_OUT_W)) << 2);
    // conv2d [outC, inC, kh, kw] and conv_transpose2d [inC, outC, kh, kw] hold the same count
    if (dw) memory.fill(dw, 0, <usize>(outC * f(r, LAYER_IN_C) * f(r, LAYER_KH) * f(r, LAYER_KW)) << 2);
    if (db) memory.fill(db, 0, <usize>outC << 2);
  }
}

function layerForward(r: usize, B: i32, ws: usize, part: i32, parts: i32): void {
  const op = f(r, LAYER_OP);
  if (op == OP_CONV2D || op == OP_CONV_TRANSPOSE2D) {
    convForward(r, B, ws, p(r, LAYER_Y), 0, 0, part, parts);
    return;
  }
  if (op == OP_ADD && f(r, LAYER_X2_C) != f(r, LAYER_OUT_C)) {
    addSlicedShares(r, B, p(r, LAYER_Y), 0, 0, part, parts);
    return;
  }
  // Elementwise: the elements of each share this thread runs.
  const count = B * f(r, LAYER_OUT_C) * f(r, LAYER_OUT_H) * f(r, LAYER_OUT_W);
  for (let s = firstShare(part, parts); s < parts; s = nextShare(s, parts)) {
    const i0 = partElement(count, s, parts);
    elementwiseForward(r, op, partElement(count, s + 1, parts) - i0, <usize>i0 << 2);
  }
}

/** Elements [i0, i0 + n) of an elementwise record's forward, o = 4·i0 bytes in. */
function elementwiseForward(r: usize, op: i32, n: i32, o: usize): void {
  const y = p(r, LAYER_Y) + o, x = p(r, LAYER_X) + o;
  if (op == OP_RELU) {
    reluForward(y, x, n);
  } else if (op == OP_LEAKY_RELU) {
    leakyReluForward(y, x, n, reinterpret<f32>(f(r, LAYER_ALPHA)));
  } else if (op == OP_SIGMOID) {
    sigmoidForward(y, x, n);
  } else if (op == OP_ADD) {
    addForward(y, x, p(r, LAYER_X2) + o, n);
  } else if (op == OP_IDENTITY) {
    memory.copy(y, x, <usize>n << 2);
  } else {
    unreachable();
  }
}

function layerBackward(r: usize, B: i32, ws: usize): void {
  const op = f(r, LAYER_OP);
  const count = B * f(r, LAYER_OUT_C) * f(r, LAYER_OUT_H) * f(r, LAYER_OUT_W);
  const dx = p(r, LAYER_DX), dy = p(r, LAYER_DY);
  if (op == OP_CONV2D) {
    conv2dBackward(dx, p(r, LAYER_DW), p(r, LAYER_DBIAS), dy, p(r, LAYER_X), p(r, LAYER_W), B, f(r, LAYER_IN_C), f(r, LAYER_IN_H), f(r, LAYER_IN_W), f(r, LAYER_OUT_C),
      f(r, LAYER_KH), f(r, LAYER_KW), f(r, LAYER_SH), f(r, LAYER_SW), f(r, LAYER_PH), f(r, LAYER_PW), ws);
  } else if (op == OP_CONV_TRANSPOSE2D) {
    convTranspose2dBackward(dx, p(r, LAYER_DW), p(r, LAYER_DBIAS), dy, p(r, LAYER_X), p(r, LAYER_W), B, f(r, LAYER_IN_C), f(r, LAYER_IN_H), f(r, LAYER_IN_W), f(r, LAYER_OUT_C),
      f(r, LAYER_KH), f(r, LAYER_KW), f(r, LAYER_SH), f(r, LAYER_SW), f(r, LAYER_PH), f(r, LAYER_PW), f(r, LAYER_OPH), f(r, LAYER_OPW), ws);
  } else if (dx == 0 && (op != OP_ADD || p(r, LAYER_DX2) == 0)) {
    return; // nothing upstream wants this gradient
  } else if (op == OP_RELU) {
    reluBackward(dx, dy, p(r, LAYER_Y), count);
  } else if (op == OP_LEAKY_RELU) {
    leakyReluBackward(dx, dy, p(r, LAYER_X), count, reinterpret<f32>(f(r, LAYER_ALPHA)));
  } else if (op == OP_SIGMOID) {
    sigmoidBackward(dx, dy, p(r, LAYER_Y), count);
  } else if (op == OP_ADD) {
    const hw = f(r, LAYER_OUT_H) * f(r, LAYER_OUT_W);
    addSlicedBackward(dx, p(r, LAYER_DX2), dy, B, f(r, LAYER_OUT_C) * hw, f(r, LAYER_X2_C) * hw);
  } else if (op == OP_IDENTITY) {
    addBackward(dx, 0, dy, count);
  } else {
    unreachable();
  }
}

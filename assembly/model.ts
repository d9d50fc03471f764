// The network as a table the host writes once: one record of LAYER_FIELDS i32 per layer, walked
// forward and backward here so a training step crosses the JS ⇄ wasm boundary a handful of times
// with integers only. Pointers in a record are absolute byte addresses in the host-reserved arenas
// (params, grads, activations, activation grads); shapes are per image, the batch comes per call.
//
// Record fields (i32 index):
//   0 op   1 inC  2 inH  3 inW  4 outC  5 outH  6 outW
//   7 kh   8 kw   9 sh  10 sw  11 ph  12 pw  13 oph  14 opw
//  15 w   16 bias  17 dw  18 dbias            (parameter / gradient pointers, 0 if none)
//  19 x   20 y     21 dx  22 dy               (activation / activation-gradient pointers; dx 0 = skip)
//  23 x2  24 dx2                               (second input of ADD)
//  25 alpha (f32 bits: LEAKY_RELU slope)
// Activation-gradient buffers are accumulated into: modelBackward needs them zeroed first;
// modelTrainSlice zeroes its own slice's (and its table's parameter gradients), so each thread
// clears what it writes instead of the main thread clearing every arena between steps.

import { conv2dForward, conv2dBackward } from "./conv2d";
import { convTranspose2dForward, convTranspose2dBackward } from "./conv_transpose2d";
import { reluForward, reluBackward, leakyReluForward, leakyReluBackward, sigmoidForward, sigmoidBackward } from "./act";
import { addForward, addBackward } from "./add";
import { mseForward, mseBackward, l1Forward, l1Backward } from "./loss";

export const LOSS_MSE: i32 = 0;
export const LOSS_L1: i32 = 1;
/** MSE + l1Weight · L1: MSE's PSNR with L1's exact zeros on a clean background. */
export const LOSS_MSE_L1: i32 = 2;

export const LAYER_FIELDS: i32 = 26;

export const OP_CONV2D: i32 = 1;
export const OP_CONV_TRANSPOSE2D: i32 = 2;
export const OP_RELU: i32 = 3;
export const OP_LEAKY_RELU: i32 = 4;
export const OP_SIGMOID: i32 = 5;
export const OP_ADD: i32 = 6;
export const OP_IDENTITY: i32 = 7;

// @ts-ignore: decorator
@inline function f(rec: usize, i: i32): i32 {
  return load<i32>(rec + (<usize>i << 2));
}

// @ts-ignore: decorator
@inline function p(rec: usize, i: i32): usize {
  return <usize>load<u32>(rec + (<usize>i << 2));
}

/** Number of i32 fields in one layer record. */
export function layerFields(): i32 {
  return LAYER_FIELDS;
}

/** Runs layers 0..n−1 of the table forward on a batch of B images. ws: workspace for the largest layer. */
export function modelForward(table: usize, n: i32, B: i32, ws: usize): void {
  for (let l = 0; l < n; l++) layerForward(table + ((<usize>(l * LAYER_FIELDS)) << 2), B, ws);
}

/** Runs layers n−1..0 backward, adding into parameter and activation gradients. */
export function modelBackward(table: usize, n: i32, B: i32, ws: usize): void {
  for (let l = n - 1; l >= 0; l--) layerBackward(table + ((<usize>(l * LAYER_FIELDS)) << 2), B, ws);
}

/**
 * One training pass over a batch (or one thread's slice of it): zero the table's gradients, forward,
 * the loss of `count` outputs against `target`, its gradient into dOut (scaled by 1/divisor, the
 * whole batch's count), backward. Returns the slice's mean loss. The table's parameter gradients
 * hold this slice's gradient afterwards (not added to what was there).
 */
export function modelTrainSlice(
  table: usize, n: i32, B: i32, ws: usize, out: usize, target: usize, dOut: usize,
  count: i32, divisor: i32, lossKind: i32, l1Weight: f32,
): f32 {
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

/** Zeroes every layer's output gradient for B images and its parameter gradients (dw, dbias). */
function zeroSliceGrads(table: usize, n: i32, B: i32): void {
  for (let l = 0; l < n; l++) {
    const r = table + ((<usize>(l * LAYER_FIELDS)) << 2);
    const outC = f(r, 4);
    const dy = p(r, 22), dw = p(r, 17), db = p(r, 18);
    if (dy) memory.fill(dy, 0, <usize>(B * outC * f(r, 5) * f(r, 6)) << 2);
    // conv2d [outC, inC, kh, kw] and conv_transpose2d [inC, outC, kh, kw] hold the same count
    if (dw) memory.fill(dw, 0, <usize>(outC * f(r, 1) * f(r, 7) * f(r, 8)) << 2);
    if (db) memory.fill(db, 0, <usize>outC << 2);
  }
}

function layerForward(r: usize, B: i32, ws: usize): void {
  const op = f(r, 0);
  const count = B * f(r, 4) * f(r, 5) * f(r, 6);
  if (op == OP_CONV2D) {
    conv2dForward(p(r, 20), p(r, 19), p(r, 15), p(r, 16), B, f(r, 1), f(r, 2), f(r, 3), f(r, 4),
      f(r, 7), f(r, 8), f(r, 9), f(r, 10), f(r, 11), f(r, 12), ws);
  } else if (op == OP_CONV_TRANSPOSE2D) {
    convTranspose2dForward(p(r, 20), p(r, 19), p(r, 15), p(r, 16), B, f(r, 1), f(r, 2), f(r, 3), f(r, 4),
      f(r, 7), f(r, 8), f(r, 9), f(r, 10), f(r, 11), f(r, 12), f(r, 13), f(r, 14), ws);
  } else if (op == OP_RELU) {
    reluForward(p(r, 20), p(r, 19), count);
  } else if (op == OP_LEAKY_RELU) {
    leakyReluForward(p(r, 20), p(r, 19), count, reinterpret<f32>(f(r, 25)));
  } else if (op == OP_SIGMOID) {
    sigmoidForward(p(r, 20), p(r, 19), count);
  } else if (op == OP_ADD) {
    addForward(p(r, 20), p(r, 19), p(r, 23), count);
  } else if (op == OP_IDENTITY) {
    memory.copy(p(r, 20), p(r, 19), <usize>count << 2);
  } else {
    unreachable();
  }
}

function layerBackward(r: usize, B: i32, ws: usize): void {
  const op = f(r, 0);
  const count = B * f(r, 4) * f(r, 5) * f(r, 6);
  const dx = p(r, 21), dy = p(r, 22);
  if (op == OP_CONV2D) {
    conv2dBackward(dx, p(r, 17), p(r, 18), dy, p(r, 19), p(r, 15), B, f(r, 1), f(r, 2), f(r, 3), f(r, 4),
      f(r, 7), f(r, 8), f(r, 9), f(r, 10), f(r, 11), f(r, 12), ws);
  } else if (op == OP_CONV_TRANSPOSE2D) {
    convTranspose2dBackward(dx, p(r, 17), p(r, 18), dy, p(r, 19), p(r, 15), B, f(r, 1), f(r, 2), f(r, 3), f(r, 4),
      f(r, 7), f(r, 8), f(r, 9), f(r, 10), f(r, 11), f(r, 12), f(r, 13), f(r, 14), ws);
  } else if (dx == 0 && (op != OP_ADD || p(r, 24) == 0)) {
    return; // nothing upstream wants this gradient
  } else if (op == OP_RELU) {
    reluBackward(dx, dy, p(r, 20), count);
  } else if (op == OP_LEAKY_RELU) {
    leakyReluBackward(dx, dy, p(r, 19), count, reinterpret<f32>(f(r, 25)));
  } else if (op == OP_SIGMOID) {
    sigmoidBackward(dx, dy, p(r, 20), count);
  } else if (op == OP_ADD) {
    addBackward(dx, p(r, 24), dy, count);
  } else if (op == OP_IDENTITY) {
    addBackward(dx, 0, dy, count);
  } else {
    unreachable();
  }
}

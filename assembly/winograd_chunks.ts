// What the two Winograd drivers share (winograd.ts: stride 1, winograd_s2.ts: stride 2): chunks of
// whole images sized by their transformed operands (chunkTiles), the strides and parts of their
// workspaces (U planes packed for gemm_packed.ts gemmPackedA, V and M rows), the zero-padded copy of a
// chunk's planes (padPlanes; direct3x3.ts uses it too), and the point GEMMs M[ξ] = U[ξ] · V[ξ].

import { gemmPackedA, gemmPackedARef, gemmScratchBytes, packedIndex } from "./gemm_packed";
import { BUILD_MODE, MODE_SCALAR } from "./mode";
import { copyRun, zeroRun } from "./im2col";
import { align16 } from "./workspace";

/**
 * Most tiles per chunk (at least one image per chunk). 512 measured 1.02× faster than 1024 on unet24
 * inference at batch 256 and 1.04× on its training step at batch 64 (A/B in one process).
 */
export const CHUNK_TILES: i32 = 512;

/**
 * Floats of transformed operands (V and M: A points × (Cin + Cout) channels per tile) a chunk aims
 * at, ~3.4 MiB: 512 tiles of a 24 → 24 channel F(4×4) layer. Chunks are sized by these bytes rather
 * than by tiles: on unet24 at batch 256, 128 tiles (these bytes at 96 → 96 channels) ran mid.1 1.13×
 * faster than 512, 256 tiles enc2.1 (48 → 48) 1.06×, mid.0 and up2 (48 ⇄ 96, 25 points) 1.03×, while
 * the 24-channel layers kept 512 (128 ran them 0.95–1.01×).
 */
const WINOGRAD_CHUNK_FLOATS: i64 = 512 * 36 * 48;

/** Tiles a chunk aims at for A transform points and Cin + Cout channels: WINOGRAD_CHUNK_FLOATS, 32 to CHUNK_TILES. */
// @ts-ignore: decorator
@inline export function chunkTiles(A: i32, Cin: i32, Cout: i32): i32 {
  return <i32>min(<i64>CHUNK_TILES, max(<i64>32, WINOGRAD_CHUNK_FLOATS / (<i64>A * max(<i64>Cin + <i64>Cout, 1))));
}

// @ts-ignore: decorator
@inline export function tiles(n: i32, m: i32): i32 { return (n + m - 1) / m; }

/**
 * Floats between two ξ planes of U and dU: a plane of U is packed for gemmPackedA (rows padded to a
 * multiple of 4) and dU is [Cout, Cin]; 16 more floats so the A planes do not fall on one cache set
 * (96·96 floats is 9 × 4 KiB: the per-pair transforms, which touch all A planes, ran 6× slower on that stride).
 */
// @ts-ignore: decorator
@inline export function uStride(Cin: i32, Cout: i32): i32 { return ((Cin + 3) & ~3) * ((Cout + 3) & ~3) + 16; }

/** uStride in f64. */
// @ts-ignore: decorator
@inline export function uStrideF64(Cin: f64, Cout: f64): f64 { return Math.ceil(Cin / 4) * 4 * Math.ceil(Cout / 4) * 4 + 16; }

/** Images per chunk for B images of P tiles, aiming at `target` tiles. */
// @ts-ignore: decorator
@inline export function winogradChunkImages(B: i32, P: i32, target: i32): i32 { return min(B, max(1, target / P)); }

/**
 * Floats between two transform points' planes of V, M and D (C rows of Tp floats each): C·Tp and one more
 * cache line, so the A planes a tile's transform touches do not fall on one cache set. Without it, where
 * C·Tp is a multiple of 1024 floats (4 KiB), the photo model's 64-channel layers at 544 × 548 (Tp 144)
 * and its 128-channel ones at 272 × 272 (Tp 72) ran 1.3–1.5× slower per pixel than one size up or down.
 */
// @ts-ignore: decorator
@inline export function pointStride(C: i32, Tp: i32): i32 { return C * Tp + 16; }
/** pointStride in f64. */
// @ts-ignore: decorator
@inline export function pointStrideF64(C: f64, Tp: f64): f64 { return C * Tp + 16; }

/** Row stride (floats) of V, M, D: a chunk's tiles plus ≥ 4 floats of slack, a multiple of 4. */
// @ts-ignore: decorator
@inline export function tileStride(nb: i32, P: i32): i32 { return (nb * P + 7) & ~3; }

// The same three in f64, for the workspace formulas (hostile shapes do not wrap).
/** winogradChunkImages in f64. */
// @ts-ignore: decorator
@inline export function winogradChunkImagesF64(B: f64, P: f64, target: i32): f64 { return Math.min(B, Math.max(1, Math.floor(<f64>target / P))); }
/** tileStride in f64. */
// @ts-ignore: decorator
@inline export function tileStrideF64(nb: f64, P: f64): f64 { return Math.floor((nb * P + 7) / 4) * 4; }
/** Bytes of a workspace part of `floats`, 16-byte aligned. */
// @ts-ignore: decorator
@inline export function partBytes(floats: f64): f64 { return Math.ceil(floats / 4) * 16; }

/** The workspace's parts, in order (see winograd.ts's and winograd_s2.ts's headers). */
// @ts-ignore: decorator
@inline export function wsU(ws: usize): usize { return ws + align16(gemmScratchBytes()); }
// @ts-ignore: decorator
@inline export function wsNext(p: usize, floats: i32): usize { return p + align16(<usize>floats << 2); }

/**
 * dst[bl, c] = the H×W planes src[bl, c] (NCHW, nb images of C channels) with one zero row and
 * column in front and zeros up to PH×PW behind, then 32 zero floats. Rows are short (28 floats in
 * unet24): 4-lane loops, not memory.copy / memory.fill, whose per-call cost dominated here.
 */
export function padPlanes(dst: usize, src: usize, nb: i32, C: i32, H: i32, W: i32, PH: i32, PW: i32): void {
  padBand(dst, src, nb * C, H, W, 0, PH, PW);
}

/**
 * Rows r0 … r0 + PH − 1 of padPlanes' padded planes (padded row r is source row r0 + r − 1; zeros outside
 * the source) for `planes` H×W planes of src, then 32 zero floats: the input of one band of tile rows
 * (winograd.ts's banded forward; r0 = 0 and PH ≥ H + 2: the whole planes). `c0`: the band of a window of
 * tile columns, PW padded columns from source column c0 − 1 on (0: from the zero column in front).
 */
export function padBand(dst: usize, src: usize, planes: i32, H: i32, W: i32, r0: i32, PH: i32, PW: i32, c0: i32 = 0): void {
  const rowB = <usize>PW << 2, planeB = (<usize>H * <usize>W) << 2;
  // Padded column j is source column c0 + j − 1: `lead` zeros, then n source columns from sx, then zeros.
  const lead = max(0, 1 - c0), sx = max(0, c0 - 1), n = max(0, min(W, c0 - 1 + PW) - sx);
  let d = dst;
  for (let pl = 0; pl < planes; pl++) {
    const s = src + <usize>pl * planeB;
    for (let r = 0; r < PH; r++) {
      const y = r0 + r - 1;
      if (y < 0 || y >= H) zeroRun(d, PW);
      else {
        if (lead) store<f32>(d, 0);
        copyRun(d + (<usize>lead << 2), s + ((<usize>y * <usize>W + <usize>sx) << 2), n);
        zeroRun(d + (<usize>(n + lead) << 2), PW - n - lead);
      }
      d += rowB;
    }
  }
  zeroRun(d, 32);
}

/**
 * The first of n rows (tile rows, output rows, or elements) part `part` of `parts` takes when threads
 * share one layer (model.ts modelForwardPart): contiguous shares, balanced within one; part `parts`
 * gives n, so part p takes [partStart(p), partStart(p + 1)).
 */
// @ts-ignore: decorator
@inline export function partStart(n: i32, part: i32, parts: i32): i32 {
  return <i32>((<i64>n * <i64>part) / <i64>parts);
}

/**
 * Output windows: a layer of an inference model may be asked for only the rows [wy0, wy1) and columns
 * [wx0, wx1) of each image's output (a tile's core needs no more of it: host/core/windows.ts), and the
 * Winograd paths then run tiles from the window's first row and column on (even ones for the transposed
 * path, whose tiles start at even outputs), as many as cover it, and write nothing else: the rest of the
 * output is left as it was. Where the window starts on the layer's own tile grid (a multiple of the tile
 * side) its outputs have the whole layer's bits; elsewhere the tiles lie differently, and outputs move
 * in their last bits as between tiles of an image. wy1 (wx1) = 0: the whole axis. Whether a window
 * leaves anything out:
 */
// @ts-ignore: decorator
@inline export function windowed(wy0: i32, wy1: i32, wx0: i32, wx1: i32, H: i32, W: i32): bool {
  return (wy1 > 0 && (wy0 > 0 || wy1 < H)) || (wx1 > 0 && (wx0 > 0 || wx1 < W));
}

/** Tiles of side m from output w0 on that cover a window up to w1 on an axis of n outputs (w1 = 0: to the end). */
// @ts-ignore: decorator
@inline export function windowTiles(w0: i32, w1: i32, n: i32, m: i32): i32 { return tiles((w1 > 0 ? min(w1, n) : n) - w0, m); }

/**
 * Shares handed out at run time. While threads share a layer (model.ts modelForwardPart with `claim`), a
 * layer of B images has B·parts shares (image b's share q is b·parts + q), and each thread takes the next
 * unclaimed one from the layer's counter in shared memory until none is left, so a thread on a faster or
 * less busy core runs more of them (one vCPU here ran the same code 1.4× slower than the other, and
 * static halves waited for it). Otherwise (0) part p runs share p of every image. Either way every tile
 * gets the same operations: the bits do not depend on which thread ran what. A global of this thread's
 * instance, set by modelForwardPart for each layer it runs and cleared after it; only parts > 1 reads it.
 */
let shareCounter: usize = 0;

/** The counter the layer modelForwardPart runs next claims its shares from (0: static shares). */
export function setShareCounter(counter: usize): void { shareCounter = counter; }

// @ts-ignore: decorator
@inline function claimShare(): i32 {
  if (ASC_FEATURE_THREADS) return atomic.add<i32>(shareCounter, 1);
  const s = load<i32>(shareCounter);
  store<i32>(shareCounter, s + 1);
  return s;
}

/** The first share (b·parts + q) this thread runs: claimed, or its own part of image 0. Loop while < B·parts. */
// @ts-ignore: decorator
@inline export function firstShare(part: i32, parts: i32): i32 { return parts > 1 && shareCounter ? claimShare() : part; }

/** The share this thread runs after s: claimed, or the same part of the next image. */
// @ts-ignore: decorator
@inline export function nextShare(s: i32, parts: i32): i32 { return parts > 1 && shareCounter ? claimShare() : s + parts; }

/**
 * The first of n rows (or 4-float groups) share q of `parts` takes. Static parts (no counter): partStart,
 * equal shares. Claimed shares (modelForwardPart's `claim`): sizes falling linearly from twice the mean
 * to a sliver, q's start n·(1 − (1 − q/parts)²), so the shares still running when the counter runs out,
 * whose end the other threads wait for, are short while the first ones stay long (bands of many tiles).
 * Claimed layers do the same operations per tile, pixel or element whatever a share's size (model.ts
 * claimable), so the bits do not move. Some late shares of a small layer are empty.
 */
// @ts-ignore: decorator
@inline export function shareStart(n: i32, q: i32, parts: i32): i32 {
  if (!(parts > 1 && shareCounter)) return partStart(n, q, parts);
  const r = <i64>(parts - q);
  return n - <i32>((<i64>n * r * r) / (<i64>parts * <i64>parts));
}

/** Whether this thread runs a layer that is not shared (whole): part 0's, or whoever claims share 0. */
// @ts-ignore: decorator
@inline export function runsWhole(part: i32, parts: i32): bool { return parts > 1 && shareCounter ? claimShare() == 0 : part == 0; }

/** Rows per band when `parts` threads share an image of n rows in bands of `rows`: no more than each share. */
// @ts-ignore: decorator
@inline export function partBandRows(rows: i32, n: i32, parts: i32): i32 {
  return parts > 1 ? max(1, min(rows, (n + parts - 1) / parts)) : rows;
}

/** Tile rows per band of an image of tH×tW tiles, aiming at `target` tiles: tH (whole images, chunked by images) if they fit, else ≥ 1. */
// @ts-ignore: decorator
@inline export function bandTileRows(tH: i32, tW: i32, target: i32): i32 {
  return <i64>tH * <i64>tW <= <i64>target ? tH : max(1, target / tW);
}

/** bandTileRows in f64. */
// @ts-ignore: decorator
@inline export function bandTileRowsF64(tH: f64, tW: f64, target: i32): f64 {
  return tH * tW <= <f64>target ? tH : Math.max(1, Math.floor(<f64>target / tW));
}

/**
 * Zeroes the padding rows R.. of U's A planes (R×K each, packed: gemm_packed.ts packedIndex), so the point
 * GEMMs' edge strips multiply zeros rather than a previous layer's leftovers.
 */
export function clearPadRows(u: usize, A: i32, R: i32, K: i32, xs: i32): void {
  for (let xi = 0; xi < A; xi++) for (let r = R; r < ((R + 3) & ~3); r++) for (let k = 0; k < K; k++) {
    store<f32>(u + (<usize>(xi * xs + packedIndex(r, k, K)) << 2), 0);
  }
}

/**
 * M[ξ] = U[ξ] · V[ξ] for the A transform points of a chunk of T tiles: U [A, Co, Ci] (packed, uStride
 * apart), V [A, Ci, Tp], M [A, Co, Tp] (planes pointStride apart). gemmPackedA reads V's columns up to T rounded up to 8 (≤ Tp,
 * tileStride): those past T are zeroed first, so the junk columns it writes into M are finite.
 * `scalar` (always in the scalar build): gemmPackedARef, the strict kernel's bits in scalar loops.
 */
export function pointGemms(A: i32, u: usize, v: usize, mm: usize, Ci: i32, Co: i32, T: i32, Tp: i32, ws: usize, scalar: bool): void {
  for (let xi = 0; xi < A; xi++) {
    const ux = u + ((<usize>(xi * uStride(Ci, Co))) << 2), vx = v + ((<usize>(xi * pointStride(Ci, Tp))) << 2), mx = mm + ((<usize>(xi * pointStride(Co, Tp))) << 2);
    if (BUILD_MODE == MODE_SCALAR || scalar) gemmPackedARef(Co, T, Ci, ux, vx, Tp, mx, Tp);
    else {
      const t8 = (T + 7) & ~7;
      for (let row = 0; row < Ci; row++) for (let t = T; t < t8; t++) store<f32>(vx + ((<usize>row * <usize>Tp + <usize>t) << 2), 0);
      gemmPackedA(Co, T, Ci, ux, vx, Tp, mx, Tp, ws);
    }
  }
}

// The scratch a layer needs while it runs, carved from one workspace the host reserves per model:
//   [ GEMM packing scratch | col: column matrix | tmp: channel-major copy of an operand ]
// Each part starts 16-byte aligned. Sizes come from the layer's shape; `*WorkspaceBytes` exports
// let the host plan the workspace for the largest layer once, before a model is built.

import { MR, gemmScratchBytes } from "./gemm_packed";

// @ts-ignore: decorator
@inline export function align16(bytes: usize): usize {
  return (bytes + 15) & ~(<usize>15);
}

/** Pointer to the column matrix inside a workspace. */
// @ts-ignore: decorator
@inline export function wsCol(ws: usize): usize {
  return ws + align16(gemmScratchBytes());
}

/** Pointer to the channel-major temporary, after `colFloats` floats of column matrix. */
// @ts-ignore: decorator
@inline export function wsTmp(ws: usize, colFloats: usize): usize {
  return wsCol(ws) + align16(colFloats << 2);
}

/**
 * Total workspace bytes for a column matrix of `colFloats` and a temporary of `tmpFloats`, in f64 so
 * the host's memory plan can size a hostile shape (and refuse it) without the sum wrapping.
 */
export function workspaceBytes(colFloats: f64, tmpFloats: f64): f64 {
  const a16 = (b: f64): f64 => Math.ceil(b / 16) * 16;
  return a16(<f64>gemmScratchBytes()) + a16(colFloats * 4) + a16(tmpFloats * 4);
}

/** Column-matrix floats a chunk of images aims at: 256 KiB, so im2col's output is still in L2 when the GEMM packs it. */
export const IM2COL_CHUNK_FLOATS: i32 = 65536;

/** Images per chunk for B images of `perImage` column-matrix floats each (at least one). */
export function im2colChunkImages(B: i32, perImage: i32): i32 {
  return min(B, max(1, IM2COL_CHUNK_FLOATS / max(1, perImage)));
}

/**
 * Output rows per band when a forward im2col + GEMM (or GEMM + col2im) runs one image in horizontal
 * bands, so its column matrix is a band's (~IM2COL_CHUNK_FLOATS) rather than the whole image's: rows
 * of `cols` pixels holding `colRows` column-matrix rows each, at least one, at most `rows` (rows: one
 * band, the whole image, which then chunks by images as before). A band's GEMM takes the whole image's
 * path (gemm.ts dispatch: at least 4 columns, more than SMALL_GEMM products), so each output element
 * gets the same bits; GEMMs of fewer than MR rows (`gemmRows`) are not banded (gemmFewRows' 4-lane body
 * and scalar tail would put a column into another one).
 */
export function im2colBandRows(rows: i32, cols: i32, colRows: i32, gemmRows: i32): i32 {
  if (gemmRows < MR || rows <= 0) return rows;
  const perRow = max(<i64>1, <i64>cols * <i64>colRows);
  let r = <i32>min(<i64>rows, max(<i64>1, <i64>IM2COL_CHUNK_FLOATS / perRow));
  if (<i64>r * <i64>cols < 4) r = min(rows, (4 + cols - 1) / cols);
  return r;
}

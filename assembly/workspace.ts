// The scratch a layer needs while it runs, carved from one workspace the host reserves per model:
//   [ GEMM packing scratch | col: column matrix | tmp: channel-major copy of an operand ]
// Each part starts 16-byte aligned. Sizes come from the layer's shape; `*WorkspaceBytes` exports
// let the host size the workspace for the largest layer once, before training starts.

import { gemmScratchBytes } from "./gemm";

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

/** Total workspace bytes for a column matrix of `colFloats` and a temporary of `tmpFloats`. */
export function workspaceBytes(colFloats: usize, tmpFloats: usize): usize {
  return align16(gemmScratchBytes()) + align16(colFloats << 2) + align16(tmpFloats << 2);
}

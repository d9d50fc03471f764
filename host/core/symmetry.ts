// The eight symmetries of a rectangle (flips and 90° rotations), one convention for training's
// patch augmentation (patches.ts) and inference's self-ensemble (denoise.ts): transform t in 0..7,
// bit 2 transposes, bit 1 flips rows, bit 0 flips columns.

/**
 * Where output sample (r, c) of an h×w window at (x0, y0) of a plane (row stride `stride`) comes
 * from under transform t: the window's sample (i, j), i = t&4 ? c : r, j = t&4 ? r : c, then
 * flipped (i → h−1−i for bit 1, j → w−1−j for bit 0). The output is w×h when t transposes.
 */
export function symmetryOffset(r: number, c: number, t: number, h: number, w: number, stride: number, x0 = 0, y0 = 0): number {
  let i = t & 4 ? c : r, j = t & 4 ? r : c;
  if (t & 2) i = h - 1 - i;
  if (t & 1) j = w - 1 - j;
  return (y0 + i) * stride + x0 + j;
}

/** A w×h plane under transform t (forward), or back from it (inverse: `data` is the transformed plane). */
export function transformPlane(data: Float32Array, w: number, h: number, t: number, inverse = false): Float32Array {
  const out = new Float32Array(w * h), ow = t & 4 ? h : w, oh = t & 4 ? w : h;
  for (let r = 0; r < oh; r++) {
    for (let c = 0; c < ow; c++) {
      const s = symmetryOffset(r, c, t, h, w, w);
      if (inverse) out[s] = data[r * ow + c];
      else out[r * ow + c] = data[s];
    }
  }
  return out;
}

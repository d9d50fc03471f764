// The eight symmetries of a rectangle (flips and 90° rotations), one convention for training's
// patch augmentation (patches.ts) and inference's self-ensemble (denoise.ts): transform t in 0..7,
// bit 2 transposes, bit 1 flips rows, bit 0 flips columns.
import type { GrayImage } from "./image.js";

/**
 * Where output sample (r, c) of an h×w window at (x0, y0) of a plane (row stride `stride`) comes
 * from under transform t: the window's sample (i, j), i = t&4 ? c : r, j = t&4 ? r : c, then
 * flipped (i → h−1−i for bit 1, j → w−1−j for bit 0). The output is w×h when t transposes.
 */
export function symmetryOffset(
  r: number,
  c: number,
  t: number,
  h: number,
  w: number,
  stride: number,
  x0 = 0,
  y0 = 0,
): number {
  let i = t & 4 ? c : r,
    j = t & 4 ? r : c;
  if (t & 2) i = h - 1 - i;
  if (t & 1) j = w - 1 - j;
  return (y0 + i) * stride + x0 + j;
}

/**
 * An image under transform t, or (inverse) back from it: `img` is then the transformed image.
 * Width and height swap when t transposes, either way.
 */
export function transformImage(img: GrayImage, t: number, inverse = false): GrayImage {
  const width = t & 4 ? img.height : img.width,
    height = t & 4 ? img.width : img.height;
  const result = { width, height, data: new Float32Array(width * height) };
  // symmetryOffset indexes the plain image from the transformed one's coordinates.
  const [plain, moved] = inverse ? [result, img] : [img, result];
  for (let r = 0; r < moved.height; r++) {
    for (let c = 0; c < moved.width; c++) {
      const s = symmetryOffset(r, c, t, plain.height, plain.width, plain.width),
        m = r * moved.width + c;
      if (inverse) plain.data[s] = moved.data[m];
      else moved.data[m] = plain.data[s];
    }
  }
  return result;
}

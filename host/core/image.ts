// Images as the core handles them: f32 samples in [0, 1], row-major.

/** One gray image. */
export interface GrayImage {
  width: number;
  height: number;
  /** Row-major, [0, 1]. */
  data: Float32Array;
}

/**
 * An image as planes of [0, 1] samples: one (gray) or three (R, G, B), and alpha when the file has
 * any transparency. Denoising works on the colour planes and keeps alpha as it is.
 */
export interface PlanarImage {
  width: number;
  height: number;
  planes: Float32Array[];
  alpha?: Float32Array;
}

/** The gray version of an image: its one plane, or ITU-R 601 luma (0.299 R + 0.587 G + 0.114 B) of three. */
export function luma(img: PlanarImage): Float32Array {
  if (img.planes.length === 1) return img.planes[0];
  const [r, g, b] = img.planes, out = new Float32Array(r.length);
  for (let i = 0; i < r.length; i++) out[i] = 0.299 * r[i] + 0.587 * g[i] + 0.114 * b[i];
  return out;
}

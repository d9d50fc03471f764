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

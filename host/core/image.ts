// Images as the core handles them: f32 samples in [0, 1], row-major.

/** One gray image. */
export interface GrayImage {
  width: number;
  height: number;
  /** Row-major, [0, 1]. */
  data: Float32Array;
}

// Image-quality metrics and the classical baseline, following the reference protocol
// (../shared/reference/pytorch/seed_ref.py): images are clipped to [0, 1] before measuring,
// PSNR = 10·log10(1 / MSE) per image (MSE floored at 1e-10) averaged over images, and SSIM is
// scikit-image's structural_similarity defaults: 7×7 uniform window, K1 = 0.01, K2 = 0.03,
// data_range = 1, sample covariance (N/(N−1)), mean over the window centres at least 3 pixels from
// the border. All sums in f64.

const clip01 = (x: number) => (x < 0 ? 0 : x > 1 ? 1 : x);

/** PSNR (dB) of one image `out` against `clean` (n pixels from the given offsets). */
export function psnr(out: ArrayLike<number>, clean: ArrayLike<number>, n: number, offOut = 0, offClean = 0): number {
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = clip01(out[offOut + i]) - clip01(clean[offClean + i]);
    s += d * d;
  }
  return 10 * Math.log10(1 / Math.max(s / n, 1e-10));
}

const WIN = 7,
  K1 = 0.01,
  K2 = 0.03;

/** Reusable scratch for ssim(): five integral images of (H+1)×(W+1). */
export class SsimScratch {
  private size = 0;
  sums: Float64Array[] = [];
  get(H: number, W: number): Float64Array[] {
    const n = (H + 1) * (W + 1);
    if (n > this.size) {
      this.size = n;
      this.sums = Array.from({ length: 5 }, () => new Float64Array(n));
    }
    return this.sums;
  }
}

const defaultScratch = new SsimScratch();

/** SSIM of one H×W image `out` against `clean` (skimage defaults, see the header). */
export function ssim(
  out: ArrayLike<number>,
  clean: ArrayLike<number>,
  H: number,
  W: number,
  offOut = 0,
  offClean = 0,
  scratch: SsimScratch = defaultScratch,
): number {
  if (H < WIN || W < WIN) throw new Error(`SSIM needs images of at least ${WIN}×${WIN}, got ${H}×${W}`);
  const [sx, sy, sxx, syy, sxy] = scratch.get(H, W);
  const W1 = W + 1;
  for (let j = 0; j <= W; j++) sx[j] = sy[j] = sxx[j] = syy[j] = sxy[j] = 0;
  for (let i = 1; i <= H; i++) {
    let rx = 0,
      ry = 0,
      rxx = 0,
      ryy = 0,
      rxy = 0;
    sx[i * W1] = sy[i * W1] = sxx[i * W1] = syy[i * W1] = sxy[i * W1] = 0;
    for (let j = 1; j <= W; j++) {
      const x = clip01(clean[offClean + (i - 1) * W + j - 1]),
        y = clip01(out[offOut + (i - 1) * W + j - 1]);
      rx += x;
      ry += y;
      rxx += x * x;
      ryy += y * y;
      rxy += x * y;
      const k = i * W1 + j,
        u = k - W1;
      sx[k] = sx[u] + rx;
      sy[k] = sy[u] + ry;
      sxx[k] = sxx[u] + rxx;
      syy[k] = syy[u] + ryy;
      sxy[k] = sxy[u] + rxy;
    }
  }
  const NP = WIN * WIN,
    covNorm = NP / (NP - 1),
    C1 = K1 * K1,
    C2 = K2 * K2;
  const box = (s: Float64Array, i: number, j: number) =>
    (s[(i + WIN) * W1 + j + WIN] - s[i * W1 + j + WIN] - s[(i + WIN) * W1 + j] + s[i * W1 + j]) / NP;
  let total = 0,
    count = 0;
  for (let i = 0; i + WIN <= H; i++) {
    for (let j = 0; j + WIN <= W; j++) {
      const ux = box(sx, i, j),
        uy = box(sy, i, j);
      const vx = covNorm * (box(sxx, i, j) - ux * ux);
      const vy = covNorm * (box(syy, i, j) - uy * uy);
      const vxy = covNorm * (box(sxy, i, j) - ux * uy);
      total += ((2 * ux * uy + C1) * (2 * vxy + C2)) / ((ux * ux + uy * uy + C1) * (vx + vy + C2));
      count++;
    }
  }
  return total / count;
}

/**
 * 3×3 median filter of one H×W image (scipy.ndimage.median_filter, size 3, mode "reflect": for a
 * 3×3 window the border pixel repeats). Applied to the unclipped noisy image, as the reference does.
 */
export function median3(dst: Float32Array, src: ArrayLike<number>, H: number, W: number, offDst = 0, offSrc = 0): void {
  const w = new Float64Array(9);
  for (let i = 0; i < H; i++) {
    for (let j = 0; j < W; j++) {
      let k = 0;
      for (let di = -1; di <= 1; di++) {
        const ii = Math.min(H - 1, Math.max(0, i + di));
        for (let dj = -1; dj <= 1; dj++) {
          const jj = Math.min(W - 1, Math.max(0, j + dj));
          w[k++] = src[offSrc + ii * W + jj];
        }
      }
      w.sort();
      dst[offDst + i * W + j] = w[4];
    }
  }
}

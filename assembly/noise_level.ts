// The noise level of a noisy image, as the networks with a noise-level map are given it: in
// training, measured here on each noisy patch before the forward pass; at inference, by the host's
// noiseLevel (host/core/noise-level.ts), the same definition in f64 (a test holds them equal).
// Per channel, σ_c = median |a − b − c + d| / 2 over the 2×2 blocks (the finest diagonal Haar
// coefficients, which edges and texture touch little) / 0.6745 (Donoho & Johnstone); the level is
// √(mean σ_c²). The median is the element at index ⌊n/2⌋ of the sorted coefficients.

/** The k-th smallest of n f32 at p (0-based), found in place by quickselect (the order is lost). */
function kthSmallest(p: usize, n: i32, k: i32): f32 {
  let lo = 0, hi = n - 1;
  while (lo < hi) {
    const pivot = load<f32>(p + (<usize>((lo + hi) >>> 1) << 2));
    let i = lo, j = hi;
    while (i <= j) {
      while (load<f32>(p + (<usize>i << 2)) < pivot) i++;
      while (load<f32>(p + (<usize>j << 2)) > pivot) j--;
      if (i <= j) {
        const a = p + (<usize>i << 2), b = p + (<usize>j << 2), t = load<f32>(a);
        store<f32>(a, load<f32>(b));
        store<f32>(b, t);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return load<f32>(p + (<usize>k << 2));
}

/** σ of one H×W plane at x; scratch: ⌊H/2⌋·⌊W/2⌋ f32. 0 for planes under 2×2. */
export function planeNoiseSigma(x: usize, H: i32, W: i32, scratch: usize): f64 {
  const h = H >> 1, w = W >> 1;
  if (h < 1 || w < 1) return 0;
  for (let y = 0; y < h; y++) {
    const row = x + ((<usize>(2 * y * W)) << 2);
    for (let i = 0; i < w; i++) {
      const o = row + (<usize>(2 * i) << 2);
      const a = <f64>load<f32>(o), b = <f64>load<f32>(o, 4);
      const c = <f64>load<f32>(o + (<usize>W << 2)), d = <f64>load<f32>(o + (<usize>W << 2), 4);
      store<f32>(scratch + (<usize>(y * w + i) << 2), <f32>(Math.abs(a - b - c + d) / 2));
    }
  }
  return <f64>kthSmallest(scratch, h * w, (h * w) >> 1) / 0.6745;
}

/** The noise level of a C×H×W image at x (√ of the mean of its planes' σ²); scratch as planeNoiseSigma. */
export function noiseLevel(x: usize, C: i32, H: i32, W: i32, scratch: usize): f64 {
  let sum = 0.0;
  for (let c = 0; c < C; c++) {
    const s = planeNoiseSigma(x + ((<usize>c * <usize>H * <usize>W) << 2), H, W, scratch);
    sum += s * s;
  }
  return C > 0 ? Math.sqrt(sum / <f64>C) : 0;
}

/**
 * Fills the noise-level map of each of B inputs of C + 1 channels at x (its channel C) with the
 * level of its first C channels.
 */
export function fillNoiseMap(x: usize, B: i32, C: i32, H: i32, W: i32, scratch: usize): void {
  const plane = <usize>H * <usize>W;
  for (let b = 0; b < B; b++) {
    const img = x + ((<usize>b * <usize>(C + 1) * plane) << 2);
    const level = <f32>noiseLevel(img, C, H, W, scratch);
    const map = img + ((<usize>C * plane) << 2);
    for (let i: usize = 0; i < plane; i++) store<f32>(map + (i << 2), level);
  }
}

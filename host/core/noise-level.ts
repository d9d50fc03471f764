// The noise level of a noisy image: what a network with a noise-level map is given (estimated
// here by default; `denoise --sigma/--strength` override it), and what the clamp of gaussian-noise
// models bounds changes by. The same definition as assembly/noise_level.ts, which measures it on
// every training patch, in f64 here (test/noise-level.test.ts holds the two equal).

/**
 * The σ of the noise in a plane ([0, 1] units): the median absolute value of its finest diagonal
 * Haar wavelet coefficients ((a − b − c + d) / 2 over 2×2 blocks) / 0.6745 (Donoho & Johnstone):
 * edges and texture touch few of those coefficients, so the median sees noise. For white gaussian
 * noise it is σ; for the spatially correlated noise of a demosaiced, compressed photo it reads lower
 * than the noise's RMS (the networks learn what it reads).
 */
export function planeNoiseSigma(data: Float32Array, width: number, height: number): number {
  const w = width >> 1,
    h = height >> 1;
  if (w < 1 || h < 1) return 0;
  const hh = new Float32Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = 2 * y * width + 2 * x;
      hh[y * w + x] = Math.abs(data[i] - data[i + 1] - data[i + width] + data[i + width + 1]) / 2;
    }
  }
  return kthSmallest(hh, hh.length >> 1) / 0.6745;
}

/**
 * The k-th smallest of v (0-based), by quickselect in place (v's order is lost): the element sorting
 * would put at k, in linear time (a 12 MP plane's 3 M coefficients: a sort took ~0.3 s).
 */
function kthSmallest(v: Float32Array, k: number): number {
  let lo = 0,
    hi = v.length - 1;
  while (lo < hi) {
    const pivot = v[(lo + hi) >>> 1];
    let i = lo,
      j = hi;
    while (i <= j) {
      while (v[i] < pivot) i++;
      while (v[j] > pivot) j--;
      if (i <= j) {
        const t = v[i];
        v[i++] = v[j];
        v[j--] = t;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else break;
  }
  return v[k];
}

/** The noise level of an image's planes: √ of the mean of their planeNoiseSigma². */
export function noiseLevel(planes: readonly Float32Array[], width: number, height: number): number {
  let sum = 0;
  for (const p of planes) sum += planeNoiseSigma(p, width, height) ** 2;
  return planes.length ? Math.sqrt(sum / planes.length) : 0;
}

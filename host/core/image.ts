// Images as the core handles them: f32 samples in [0, 1], row-major.

/** Largest image accepted from a file (PNG or JPEG, Node or the page): 64 megapixels. */
export const MAX_PIXELS = 64 * 1024 * 1024;

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
  /** 16 when the file held 16-bit samples: denoise keeps it and the PNG writer writes 16 bits (default 8). */
  depth?: 8 | 16;
}

/** x rounded and clipped to 8 bits, as [0, 1]: the sample an 8-bit image file holds. */
export function to8(x: number): number {
  return byte8(x) / 255;
}

/** The gray version of an image: its one plane, or ITU-R 601 luma (0.299 R + 0.587 G + 0.114 B) of three. */
export function luma(img: PlanarImage): Float32Array {
  if (img.planes.length === 1) return img.planes[0];
  const [r, g, b] = img.planes,
    out = new Float32Array(r.length);
  for (let i = 0; i < r.length; i++) out[i] = 0.299 * r[i] + 0.587 * g[i] + 0.114 * b[i];
  return out;
}

/**
 * How a colour photo goes through a gray model: "rgb" runs each of R, G, B through it; "luma-chroma"
 * runs Y = (R+G+B)/3, C1 = (R−B)/2 + ½ and C2 = (R−2G+B)/4 + ½ (all in [0, 1]) and maps back.
 * With the same noise σ in R, G and B, Y carries σ/√3 and the chroma planes σ/√2 and σ·√6/4, and
 * the chroma planes are smooth: a blind model removes more of it there (measured: docs/quality.md).
 */
export const COLOUR_METHODS = ["luma-chroma", "rgb"] as const;
export type ColourMethod = (typeof COLOUR_METHODS)[number];

/** R, G, B → Y, C1, C2 (see ColourMethod). */
export function toLumaChroma([r, g, b]: Float32Array[]): Float32Array[] {
  const n = r.length,
    y = new Float32Array(n),
    c1 = new Float32Array(n),
    c2 = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    y[i] = (r[i] + g[i] + b[i]) / 3;
    c1[i] = (r[i] - b[i]) / 2 + 0.5;
    c2[i] = (r[i] - 2 * g[i] + b[i]) / 4 + 0.5;
  }
  return [y, c1, c2];
}

/** Y, C1, C2 → R, G, B: the exact inverse of toLumaChroma. */
export function fromLumaChroma([y, c1, c2]: Float32Array[]): Float32Array[] {
  const n = y.length,
    r = new Float32Array(n),
    g = new Float32Array(n),
    b = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const a = c1[i] - 0.5,
      q = (2 * (c2[i] - 0.5)) / 3;
    r[i] = y[i] + q + a;
    g[i] = y[i] - 2 * q;
    b[i] = y[i] + q - a;
  }
  return [r, g, b];
}

/** x in [0, 1] as the 8-bit sample a file holds: clipped and rounded. */
export function byte8(x: number): number {
  return Math.round(Math.min(1, Math.max(0, x)) * 255);
}

/**
 * Interleaved RGBA samples (0..max, as a PNG decoder, jpeg-js or a canvas's getImageData gives them)
 * as planes: one plane when every pixel is gray, else R, G and B; alpha only when some pixel is not
 * opaque. The CLI's decoders and the page read files through this one function.
 */
export function planesFromRgba(src: ArrayLike<number>, width: number, height: number, max = 255): PlanarImage {
  const n = width * height;
  if (src.length < 4 * n) throw new Error(`${width}×${height} RGBA needs ${4 * n} samples, got ${src.length}`);
  let colour = false,
    transparent = false;
  for (let i = 0; i < n && !(colour && transparent); i++) {
    if (src[4 * i] !== src[4 * i + 1] || src[4 * i] !== src[4 * i + 2]) colour = true;
    if (src[4 * i + 3] !== max) transparent = true;
  }
  const plane = (c: number) => {
    const p = new Float32Array(n);
    for (let i = 0; i < n; i++) p[i] = src[4 * i + c] / max;
    return p;
  };
  return {
    width,
    height,
    planes: colour ? [plane(0), plane(1), plane(2)] : [plane(0)],
    ...(transparent ? { alpha: plane(3) } : {}),
  };
}

/** Planes as 8-bit RGBA (gray replicated, alpha 255 where there is none): what a file or a canvas takes. */
export function rgba8(img: PlanarImage): Uint8ClampedArray {
  return rgbaLevels(img, new Uint8ClampedArray(4 * img.width * img.height), 255);
}

/**
 * Planes as RGBA samples of 0..max into `out` (4 per pixel; gray replicated, alpha max where there is
 * none), each sample clamped to [0, 1] and rounded: rgba8 at 255, AVIF's 12 bits at 4095.
 */
export function rgbaLevels<T extends Uint8ClampedArray | Uint16Array>(img: PlanarImage, out: T, max: number): T {
  const n = img.width * img.height,
    p = img.planes,
    k = p.length === 3,
    q = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * max);
  for (let i = 0; i < n; i++) {
    out[4 * i] = q(p[0][i]);
    out[4 * i + 1] = q(p[k ? 1 : 0][i]);
    out[4 * i + 2] = q(p[k ? 2 : 0][i]);
    out[4 * i + 3] = img.alpha ? q(img.alpha[i]) : max;
  }
  return out;
}

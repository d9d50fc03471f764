// The results of `eval --images` as a table: a row per σ (the mean over the photos) and, on request,
// one per photo and σ; columns the noisy input, the model and the classical baselines
// (host/node/baselines.py), each "PSNR dB / SSIM", on the noisy file (clipped and rounded to 8 bits), and
// the model on the same noise as the papers' protocol has it ("papers": float, not clipped). A baseline that was not computed is "–" (null
// in JSON), and a mean is given only when every photo has the column: a mean over some of the photos
// would not compare with the other columns.
import type { Score } from "./eval.js";

export const BASELINES = ["nl-means", "tv", "wavelet"] as const;
export type Baseline = (typeof BASELINES)[number];
/** "papers": the model under the papers' protocol (float noise, not clipped or rounded); the others: the file protocol. */
export const PHOTO_COLUMNS = ["noisy", "model", "papers", ...BASELINES] as const;
export type PhotoColumn = (typeof PHOTO_COLUMNS)[number];
export type PhotoScores = Partial<Record<PhotoColumn, Score>>;

/** One photo (its name) at one σ. */
export interface PhotoResult {
  photo: string;
  sigma: number;
  scores: PhotoScores;
}

/** The mean over the photos at σ of each column that every photo has. */
export function meanScores(results: PhotoResult[], sigma: number): PhotoScores {
  const at = results.filter((r) => r.sigma === sigma),
    out: PhotoScores = {};
  for (const c of PHOTO_COLUMNS) {
    if (at.length === 0 || at.some((r) => !r.scores[c])) continue;
    const mean = (k: keyof Score) => at.reduce((s, r) => s + r.scores[c]![k], 0) / at.length;
    out[c] = { psnr: mean("psnr"), ssim: mean("ssim") };
  }
  return out;
}

const cell = (s?: Score) => (s ? `${s.psnr.toFixed(2)} / ${s.ssim.toFixed(4)}` : "–");

/** The table as text; `perImage` adds a row per photo under each σ's mean. */
export function formatPhotoTable(results: PhotoResult[], sigmas: number[], perImage = false): string {
  const rows = [["σ", ...(perImage ? ["photo"] : []), ...PHOTO_COLUMNS]];
  for (const s of sigmas) {
    const mean = meanScores(results, s);
    rows.push([String(s), ...(perImage ? ["mean"] : []), ...PHOTO_COLUMNS.map((c) => cell(mean[c]))]);
    if (perImage)
      for (const r of results.filter((r) => r.sigma === s))
        rows.push([String(s), r.photo, ...PHOTO_COLUMNS.map((c) => cell(r.scores[c]))]);
  }
  const w = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows
    .map((r) =>
      r
        .map((x, c) => x.padEnd(w[c]))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** Columns as JSON: each column's score, null where it was not computed. */
const columns = (s: PhotoScores) => Object.fromEntries(PHOTO_COLUMNS.map((c) => [c, s[c] ?? null]));

/** The table as JSON-ready data: {mean: {σ: {column: {psnr, ssim} | null}}, perImage?: [{photo, sigma, column…}]}. */
export function photoTableJson(results: PhotoResult[], sigmas: number[], perImage = false): Record<string, unknown> {
  const mean = Object.fromEntries(sigmas.map((s) => [String(s), columns(meanScores(results, s))]));
  return perImage
    ? { mean, perImage: results.map((r) => ({ photo: r.photo, sigma: r.sigma, ...columns(r.scores) })) }
    : { mean };
}

// What `npm start` leaves in results/: a grid PNG per noise type (rows clean / noisy / denoised),
// a training chart (loss per batch and per epoch on a log scale, the PSNR measured after each epoch), metrics.json and
// report.md. Every file is written atomically.
import { join } from "node:path";
import { Canvas, type RGB } from "./canvas.js";
import type { EvalRun, EvalTable } from "../core/eval.js";
import { METHODS } from "../core/eval.js";
import { writeFileAtomic } from "./files.js";
import { encodeRgbPng } from "./png.js";
import type { TrainRun } from "../core/train.js";

const BLUE: RGB = [31, 119, 180],
  ORANGE: RGB = [255, 127, 14],
  GRAY: RGB = [200, 200, 200],
  BLACK: RGB = [0, 0, 0];

/** Grid of `n` test digits: rows clean / noisy (clipped for display) / denoised, enlarged `scale`×. */
export function gridPng(run: EvalRun, index: number, n = 12, scale = 3): Buffer {
  const set = run.sets[index],
    out = run.outputs[index];
  n = Math.min(n, set.count);
  const P = set.H * set.W,
    cw = set.W * scale,
    ch = set.H * scale,
    gap = 4,
    left = 130,
    top = 40;
  const rows: [string, Float32Array][] = [
    ["clean", set.clean],
    ["noisy", set.noisy],
    ["denoised", out],
  ];
  const c = new Canvas(left + n * (cw + gap), top + rows.length * (ch + gap) + 4);
  const m = run.table[set.label]?.model;
  c.text(
    8,
    10,
    `${set.label} noise` + (m ? `: model ${m.psnr.toFixed(2)} dB / SSIM ${m.ssim.toFixed(3)}` : ""),
    BLACK,
    2,
  );
  rows.forEach(([label, imgs], r) => {
    const y = top + r * (ch + gap);
    c.text(8, y + ch / 2 - 7, label, BLACK, 2);
    for (let i = 0; i < n; i++) c.gray(imgs, i * P, set.W, set.H, left + i * (cw + gap), y, scale);
  });
  return encodeRgbPng(c.width, c.height, c.data);
}

function niceTicks(lo: number, hi: number, count = 5): number[] {
  const span = hi - lo || 1,
    raw = span / count,
    mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-12; v += step) ticks.push(+v.toPrecision(10));
  return ticks;
}

/** Ticks of a log axis over [lo, hi] (> 0): 1, 2, 5 × 10^k, thinned to powers of ten above 8 of them, or 1–9 × 10^k below 3. */
function logTicks(lo: number, hi: number): number[] {
  const within = (ms: number[]) => {
    const out: number[] = [];
    for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) {
      for (const m of ms) {
        const v = +(m * 10 ** k).toPrecision(6);
        if (v >= lo && v <= hi) out.push(v);
      }
    }
    return out;
  };
  const t = within([1, 2, 5]);
  if (t.length > 8) return within([1]);
  return t.length >= 3 ? t : within([1, 2, 3, 4, 5, 6, 7, 8, 9]);
}

interface Series {
  pts: [number, number][];
  color: RGB;
  thick: number;
  dots?: boolean;
  /** What the series is, in the panel's legend. */
  label: string;
}

/** A tick label: short, with an exponent for small values. */
const tickText = (t: number) => (Math.abs(t) < 0.01 && t !== 0 ? t.toExponential(0) : String(+t.toPrecision(3)));

/** One panel: title (which must fit its width), legend, axes (y linear or log), ticks, and series of (x, y) points. */
function panel(
  c: Canvas,
  x0: number,
  y0: number,
  w: number,
  h: number,
  title: string,
  xLabel: string,
  series: Series[],
  log = false,
): void {
  const all = series.flatMap((s) => s.pts).filter((p) => !log || p[1] > 0);
  if (!all.length) return;
  const f = log ? Math.log10 : (y: number) => y;
  let [xmin, xmax] = [Math.min(...all.map((p) => p[0])), Math.max(...all.map((p) => p[0]))];
  let [ymin, ymax] = [Math.min(...all.map((p) => f(p[1]))), Math.max(...all.map((p) => f(p[1])))];
  if (xmax === xmin) {
    xmin -= 0.5;
    xmax += 0.5;
  }
  const pad = (ymax - ymin) * 0.08 || Math.abs(ymax) * 0.05 || 1;
  ymin -= pad;
  ymax += pad;
  const L = 70,
    B = 40,
    T = 30 + 12 * series.length,
    R = 14;
  const px = (x: number) => x0 + L + ((x - xmin) / (xmax - xmin)) * (w - L - R);
  const py = (y: number) => y0 + T + (1 - (f(y) - ymin) / (ymax - ymin)) * (h - T - B);
  const yLo = log ? 10 ** ymin : ymin,
    yHi = log ? 10 ** ymax : ymax;
  if (Canvas.textWidth(title, 2) > w - L - R) throw new Error(`chart title '${title}' is wider than its panel`);
  c.text(x0 + L, y0 + 6, title, BLACK, 2);
  series.forEach((s, i) => {
    const y = y0 + 28 + 12 * i,
      x = x0 + L;
    if (s.dots) c.rect(x + 7, y, 7, 7, s.color);
    else c.line(x, y + 3, x + 20, y + 3, s.color, s.thick);
    c.text(x + 28, y, s.label, BLACK, 1);
  });
  for (const t of log ? logTicks(yLo, yHi) : niceTicks(yLo, yHi)) {
    c.line(px(xmin), py(t), px(xmax), py(t), GRAY);
    const s = tickText(t);
    c.text(x0 + L - 6 - Canvas.textWidth(s, 1), py(t) - 3, s, BLACK, 1);
  }
  for (const t of niceTicks(xmin, xmax, 6)) {
    c.line(px(t), py(yLo), px(t), py(yLo) + 4, BLACK);
    c.text(px(t) - Canvas.textWidth(String(t), 1) / 2, py(yLo) + 8, String(t), BLACK, 1);
  }
  c.text(x0 + L + (w - L) / 2 - Canvas.textWidth(xLabel, 1) / 2, py(yLo) + 22, xLabel, BLACK, 1);
  c.line(px(xmin), py(yLo), px(xmax), py(yLo), BLACK);
  c.line(px(xmin), py(yLo), px(xmin), py(yHi), BLACK);
  for (const s of series) {
    const pts = s.pts.filter((p) => !log || p[1] > 0);
    for (let i = 1; i < pts.length; i++)
      c.line(px(pts[i - 1][0]), py(pts[i - 1][1]), px(pts[i][0]), py(pts[i][1]), s.color, s.thick);
    if (s.dots) for (const p of pts) c.rect(Math.round(px(p[0])) - 3, Math.round(py(p[1])) - 3, 7, 7, s.color);
  }
}

/** What the chart's right panel shows: the PSNR measured after each epoch, and on what. */
export interface ValidationNote {
  /** The panel's title, e.g. "test psnr (db) per epoch". */
  title: string;
  /** Its legend: what was measured. */
  legend: string;
}

/**
 * Training chart: `loss` (its kind) per batch, averaged over windows (line), and per epoch
 * (squares), on a log scale (the first epoch's fall would flatten the rest on a linear one) |
 * the PSNR measured after each epoch.
 */
export function trainingChartPng(run: TrainRun, loss: string, val: ValidationNote): Buffer {
  const c = new Canvas(1100, 400);
  const nb = run.batchLosses.length / Math.max(1, run.epochs.length);
  const smooth: [number, number][] = [];
  const win = Math.max(1, Math.floor(nb / 20));
  for (let i = 0; i + win <= run.batchLosses.length; i += win) {
    let s = 0;
    for (let k = i; k < i + win; k++) s += run.batchLosses[k];
    smooth.push([(i + win / 2) / nb, s / win]);
  }
  panel(
    c,
    0,
    0,
    550,
    400,
    `training loss (${loss}), log scale`,
    "epoch",
    [
      {
        pts: smooth,
        color: BLUE,
        thick: 1,
        label: `${win > 1 ? `mean of every ${win} batches` : "every batch"} (${Math.round(nb)} per epoch)`,
      },
      {
        pts: run.epochs.map((e) => [e.epoch, e.loss]),
        color: ORANGE,
        thick: 2,
        dots: true,
        label: "mean over the epoch, at its end",
      },
    ],
    true,
  );
  const pts = run.epochs.filter((e) => e.valPsnr !== undefined).map((e) => [e.epoch, e.valPsnr!] as [number, number]);
  panel(c, 550, 0, 550, 400, val.title, "epoch", [{ pts, color: ORANGE, thick: 2, dots: true, label: val.legend }]);
  return encodeRgbPng(c.width, c.height, c.data);
}

function markdownTable(table: EvalTable): string {
  const noises = Object.keys(table);
  const lines = [`| method | ${noises.join(" | ")} |`, `|---|${noises.map(() => "---|").join("")}`];
  for (const m of METHODS)
    lines.push(
      `| ${m} | ${noises.map((n) => `${table[n][m].psnr.toFixed(2)} / ${table[n][m].ssim.toFixed(4)}`).join(" | ")} |`,
    );
  return lines.join("\n");
}

/** Writes grids, chart, metrics.json and report.md into dir; returns the files written. */
export function writeReport(
  dir: string,
  facts: Record<string, unknown>,
  training: { run: TrainRun; loss: string; val: ValidationNote } | undefined,
  evalRun: EvalRun,
): string[] {
  const train = training?.run;
  const files: string[] = [];
  const put = (name: string, data: Uint8Array | string) => {
    writeFileAtomic(join(dir, name), data);
    files.push(join(dir, name));
  };
  evalRun.sets.forEach((s, i) => put(`grid_${s.label}.png`, gridPng(evalRun, i)));
  if (training) put("training.png", trainingChartPng(training.run, training.loss, training.val));
  put("metrics.json", JSON.stringify({ ...facts, eval: evalRun.table, train: train?.epochs }, null, 1) + "\n");
  const md = [
    "# denoise-wasm results",
    "",
    ...Object.entries(facts).map(([k, v]) => `- ${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`),
    "",
    "## PSNR (dB) / SSIM — rows: method, columns: test noise",
    "",
    markdownTable(evalRun.table),
    "",
    ...(train
      ? [
          "## Training",
          "",
          `| epoch | mean loss | seconds | img/s | ${training!.val.legend} |`,
          "|---|---|---|---|---|",
          ...train.epochs.map(
            (e) =>
              `| ${e.epoch} | ${e.loss.toFixed(6)} | ${e.seconds.toFixed(1)} | ${Math.round(e.imagesPerSecond)} | ${e.valPsnr?.toFixed(2) ?? "-"} |`,
          ),
          "",
          "![training](training.png)",
          "",
        ]
      : []),
    ...evalRun.sets.map((s) => `![${s.label}](grid_${s.label}.png)`),
    "",
  ].join("\n");
  put("report.md", md);
  return files;
}

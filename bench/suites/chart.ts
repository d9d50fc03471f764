// bench/results.png: images/s of every end-to-end row on a log scale, ours beside PyTorch and ONNX
// Runtime web and node.
import { join } from "node:path";
import { Canvas, type RGB } from "../../host/node/canvas.js";
import { PACKAGE_ROOT, writeFileAtomic } from "../../host/node/files.js";
import { encodeRgbPng } from "../../host/node/png.js";
import type { Row } from "../e2e.js";

export function writeChart(rows: Row[]): void {
  const series: [string, RGB][] = [
    ["ours", [31, 119, 180]],
    ["PyTorch", [255, 127, 14]],
    ["ORT web", [148, 103, 189]],
    ["ORT node", [44, 160, 44]],
  ];
  const groups = rows.map((r) => ({
    label: `${r.arch.name}${r.arch.name === "unet32" ? `@${r.arch.input[1]}` : ""} ${r.what[0]}${r.batch} t${r.threads}`,
    vals: [r.ours.median, ...series.slice(1).map(([p]) => r.peers.get(`${p}/${r.threads}`)?.median ?? 0)],
  }));
  const W = 1400,
    H = 440,
    L = 70,
    B = 60,
    T = 40,
    c = new Canvas(W, H);
  const max = Math.max(...groups.flatMap((g) => g.vals)),
    log = (v: number) => (v > 0 ? Math.log10(v) : 0),
    top = Math.ceil(log(max));
  c.text(L, 10, "images/s (log scale), median of the rounds", [0, 0, 0], 2);
  for (let p = 0; p <= top; p++) {
    const y = H - B - (p / top) * (H - B - T);
    c.line(L, y, W - 10, y, [220, 220, 220]);
    c.text(8, y - 3, String(10 ** p), [0, 0, 0], 1);
  }
  const gw = (W - L - 10) / groups.length,
    bw = gw / (series.length + 1);
  groups.forEach((g, i) => {
    g.vals.forEach((v, s) => {
      if (!v) return;
      const h = (log(v) / top) * (H - B - T);
      c.rect(
        Math.round(L + i * gw + s * bw + bw / 2),
        Math.round(H - B - h),
        Math.max(1, Math.round(bw - 2)),
        Math.round(h),
        series[s][1],
      );
    });
    c.text(Math.round(L + i * gw + 2), H - B + 8 + (i % 2) * 12, g.label, [0, 0, 0], 1);
  });
  series.forEach(([n, col], s) => {
    c.rect(L + 520 + s * 150, 12, 12, 12, col);
    c.text(L + 538 + s * 150, 14, n, [0, 0, 0], 1);
  });
  writeFileAtomic(join(PACKAGE_ROOT, "bench/results.png"), encodeRgbPng(W, H, c.data));
}

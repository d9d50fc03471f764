// The targets: each goal of the project beside what this run measured, met or not.
import type { BuildName } from "../../host/core/engine.js";
import { best, type Row } from "../e2e.js";
import type { PhotoRun } from "../photo.js";
import type { Bench } from "./context.js";
import type { EpochFigure } from "./epoch.js";
import type { GemmResults } from "./gemm.js";
import { findRow } from "./peers.js";

/** What the earlier sections measured. */
export interface Measured {
  e2eBuild: BuildName;
  gemm: GemmResults;
  rows: Row[];
  epochs: EpochFigure[];
  photoRuns: PhotoRun[] | undefined;
}

export function targetsSection(
  bench: Bench,
  { e2eBuild, gemm: { shapes: SHAPES, gemmShare }, rows, epochs, photoRuns }: Measured,
): void {
  const { say } = bench;
  const row = (arch: string, what: string, batch: number, threads: number) => findRow(rows, arch, what, batch, threads);
  const lat = row("seed", "infer", 1, 1)!;
  const vs = (r: Row | undefined, peer: string) => (r && best(r, peer) ? r.ours.median / best(r, peer)!.m.median : NaN);
  const bigShapes = SHAPES.filter(({ call: { M, N, K } }) => Math.min(M, N, K) >= 16).map(
    ({ name }) => gemmShare[`${e2eBuild} ${name}`],
  );
  const ep = (arch: string, t: number) => epochs.find((e) => e.arch === arch && e.threads === t);
  const epochShare = (arch: string, t: number) => (ep(arch, t)?.epoch ?? NaN) / (ep(arch, t)?.step ?? NaN);
  const targets: [string, number, number, string][] = [
    ["unet24 training b64 vs PyTorch, 1 thread", vs(row("unet24", "train", 64, 1), "PyTorch"), 1.0, "×"],
    ["unet24 training b64 vs PyTorch, 2 threads", vs(row("unet24", "train", 64, 2), "PyTorch"), 1.0, "×"],
    ["unet24 inference b256 vs PyTorch, 1 thread", vs(row("unet24", "infer", 256, 1), "PyTorch"), 1.2, "×"],
    ["unet24 inference b256 vs PyTorch, 2 threads", vs(row("unet24", "infer", 256, 2), "PyTorch"), 1.2, "×"],
    ["unet24 inference b256 vs ONNX Runtime web, 1 thread", vs(row("unet24", "infer", 256, 1), "ORT web"), 3, "×"],
    ["unet24 inference b256 vs ONNX Runtime web, 2 threads", vs(row("unet24", "infer", 256, 2), "ORT web"), 3, "×"],
    [
      "unet24 inference b256 vs ONNX Runtime node, 2 threads (reported)",
      vs(row("unet24", "infer", 256, 2), "ORT node"),
      0,
      "×",
    ],
    [
      "seed CLI epoch vs PyTorch training, 1 thread",
      (ep("seed", 1)?.epoch ?? NaN) / (ep("seed", 1)?.torch ?? NaN),
      2,
      "×",
    ],
    [
      "seed CLI epoch vs PyTorch training, 2 threads",
      (ep("seed", 2)?.epoch ?? NaN) / (ep("seed", 2)?.torch ?? NaN),
      2,
      "×",
    ],
    ["seed CLI epoch ÷ step alone, 2 threads", epochShare("seed", 2), 0.9, "×"],
    ["unet24 CLI epoch ÷ step alone, 2 threads", epochShare("unet24", 2), 0.9, "×"],
    ["unet32 photo-patch CLI epoch ÷ step alone, 2 threads", epochShare("unet32", 2), 0.9, "×"],
    ["seed batch-1 latency (ms, lower is better)", 1000 / lat.ours.median, 0.06, "ms"],
    ["GEMM on the large shapes (M, N, K ≥ 16), worst % of peak", 100 * Math.min(...bigShapes), 60, "%"],
    [
      "24 MP photo (gray and colour): most wasm memory (MiB, lower is better)",
      photoRuns ? Math.max(...photoRuns.map((r) => r.wasmMiB)) : NaN,
      512,
      "MiB",
    ],
  ];
  say(`## Targets`);
  say();
  say(`| target | measured | goal | met |`);
  say(`|---|---|---|---|`);
  for (const [name, v, goal, unit] of targets) {
    const atMost = unit === "ms" || unit === "MiB",
      met = atMost ? v <= goal : v >= goal;
    const shown = Number.isFinite(v) ? `${v.toFixed(unit === "ms" ? 3 : unit === "MiB" ? 0 : 2)} ${unit}` : "n/a";
    say(
      `| ${name} | ${shown} | ${goal ? `${atMost ? "≤" : "≥"} ${goal} ${unit}` : "-"} | ${!goal ? "-" : Number.isFinite(v) ? (met ? "yes" : "no") : "n/a"} |`,
    );
  }
  say();
}

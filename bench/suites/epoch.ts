// A whole CLI training epoch against the step alone (bench/e2e.ts's epochAgainstStep): `seed` and
// `unet24` on MNIST, `unet32` on patches of the committed training photos, beside PyTorch's step.
import { copyFileSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BuildName } from "../../host/core/engine.js";
import { PACKAGE_ROOT } from "../../host/node/files.js";
import { best, epochAgainstStep, fmt, type EpochData, type Row } from "../e2e.js";
import type { Bench } from "./context.js";
import { findRow } from "./peers.js";

/** One epoch's medians (items/s): the CLI epoch, the step alone, PyTorch's best training step. */
export interface EpochFigure {
  arch: string;
  data: string;
  threads: number;
  epoch: number;
  step: number;
  torch?: number;
}

export async function epochSection(bench: Bench, rows: Row[], e2eBuild: BuildName): Promise<EpochFigure[]> {
  const { say, seconds: SECONDS, rounds: ROUNDS, patchEpoch: PATCH_EPOCH } = bench;
  say(`## A whole CLI training epoch against the step alone`);
  say();
  say(
    `\`denoise-wasm train --epochs 1 --batch 64\`: on MNIST (batch assembly, per-image noise on the threads, the step, the per-step ` +
      `non-finite check and progress included), and on the photo folder data/photos/train (${PATCH_EPOCH.perImage} random ${PATCH_EPOCH.patch}×${PATCH_EPOCH.patch} ` +
      `patches per photo under the 8 flips and rotations, decoded on demand, noise σ 0–55 drawn per patch, clipped to 8 bits). Items/s as the CLI ` +
      `prints them for the epoch (the validation pass and checkpoint write after it are not in the epoch's time). The step alone ` +
      `(for patches: \`unet32\` on ${PATCH_EPOCH.patch}×${PATCH_EPOCH.patch}, batch 64) is timed again here, each round right before the epoch, so ` +
      `that the two share the machine's state of the moment: median [min–max] of ${ROUNDS} round${ROUNDS > 1 ? "s" : ""}, ratio of the medians.`,
  );
  say();
  say(
    `| network | data | threads | CLI epoch | step alone | epoch ÷ step | PyTorch training step (best) | epoch ÷ PyTorch |`,
  );
  say(`|---|---|---|---|---|---|---|---|`);
  const epochs: EpochFigure[] = [];
  // The photo epoch reads the 9 committed photos of data/photos/train (its files, not the subfolder
  // data/photos/make.py adds for the photo model's training), so it is the same in every clone.
  const patchDir = mkdtempSync(join(tmpdir(), "denoise-wasm-bench-photos-"));
  for (const d of readdirSync(join(PACKAGE_ROOT, "data/photos/train"), { withFileTypes: true })) {
    if (d.isFile()) copyFileSync(join(PACKAGE_ROOT, "data/photos/train", d.name), join(patchDir, d.name));
  }
  const epochRuns: [string, EpochData, number[]][] = [
    ["seed", { kind: "mnist" }, [1, 2]],
    ["unet24", { kind: "mnist", limit: 6400 }, [1, 2]],
    ["unet32", { kind: "photos", dir: patchDir, ...PATCH_EPOCH }, [2]],
  ];
  for (const [arch, data, threadCounts] of epochRuns) {
    const label =
      data.kind === "mnist"
        ? `MNIST, ${data.limit ?? 60000} images`
        : `${data.perImage} patches × ${readdirSync(data.dir).length} photos`;
    for (const threads of threadCounts) {
      const r = findRow(rows, arch, "train", 64, threads)!,
        torch = best(r, "PyTorch")?.m.median;
      const m = await epochAgainstStep(r, threads, e2eBuild, data, ROUNDS, SECONDS);
      if (typeof m === "string") {
        say(`| ${arch} | ${label} | ${threads} | ${m} | | | | |`);
        continue;
      }
      const { epoch: e, step: s } = m;
      epochs.push({ arch, data: data.kind, threads, epoch: e.median, step: s.median, torch });
      say(
        `| ${arch} | ${label} | ${threads} | ${fmt(e)} | ${fmt(s)} | ${(e.median / s.median).toFixed(2)} | ${torch?.toFixed(0) ?? "-"} | ${torch ? (e.median / torch).toFixed(2) + "×" : "-"} |`,
      );
    }
  }
  say();
  return epochs;
}

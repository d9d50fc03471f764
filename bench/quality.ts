// `npm run quality`: the parity table of the notebook model against PyTorch. Trains `seed` with the
// notebook recipe (5 epochs, batch 64, Adam 1e-3, target = clean) once per noise type and once on
// mixed noise, evaluates every model on every test noise with the reference protocol (full 10k test
// set, fixed noisy copies), and prints / writes bench/QUALITY.md with PyTorch's numbers
// (../shared/reference/pytorch_seed.md, copied below) and the difference. Options: --epochs N,
// --threads N (default 2), --limit N (training images, for a quick look).
import { join } from "node:path";
import { SEED } from "../host/core/arch.js";
import { evaluate, type EvalTable } from "../host/core/eval.js";
import { Model } from "../host/core/model.js";
import { openNodeEngine, nodePool } from "../host/node/engine.js";
import { loadSplit, PACKAGE_ROOT, writeFileAtomic } from "../host/node/files.js";
import { EVAL_NOISES, type NoiseKind } from "../host/core/noise.js";
import { stderrProgress } from "../host/node/progress.js";
import { trainModel } from "../host/core/train.js";
import { DEFAULT_DATA } from "../host/node/files.js";

/** PyTorch 1.13, same protocol (../shared/reference/pytorch_seed.md): PSNR dB / SSIM per test noise. */
const PYTORCH: Record<string, Record<string, [number, number]>> = {
  gaussian: { gaussian: [19.88, 0.8607], "salt-pepper": [22.0, 0.9158], speckle: [18.97, 0.8496] },
  "salt-pepper": { gaussian: [16.54, 0.7449], "salt-pepper": [24.24, 0.9507], speckle: [15.65, 0.7392] },
  speckle: { gaussian: [5.74, 0.1187], "salt-pepper": [19.08, 0.8048], speckle: [22.8, 0.9408] },
  mixed: { gaussian: [19.44, 0.843], "salt-pepper": [22.64, 0.9268], speckle: [20.59, 0.8962] },
};

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const epochs = arg("--epochs", 5),
  threads = arg("--threads", 2),
  limit = arg("--limit", 0) || undefined;

const engine = await openNodeEngine({ threads: threads > 1 });
const pool = threads > 1 ? await nodePool(engine, threads) : undefined;
const train = loadSplit(DEFAULT_DATA, "train"),
  test = loadSplit(DEFAULT_DATA, "test");
const tables: Record<string, EvalTable> = {};
const seconds: Record<string, number> = {};
const models: NoiseKind[] = ["gaussian", "salt-pepper", "speckle", "mixed"];
for (const [k, noise] of models.entries()) {
  const model = new Model(engine, SEED, 64, pool);
  model.init(1000 + k);
  const run = trainModel(model, train, {
    noise,
    epochs,
    batch: 64,
    seed: 1000 + k,
    shuffle: true,
    limit,
    progress: stderrProgress(),
  });
  seconds[noise] = run.seconds;
  tables[noise] = evaluate(model, test, { progress: stderrProgress() }).table;
}
pool?.close();

const lines = [
  "# Quality: the notebook model (`seed`) against PyTorch",
  "",
  `Command: \`npm run quality\`${process.argv.slice(2).length ? ` (${process.argv.slice(2).join(" ")})` : ""}; ${engine.build} build, ${threads} thread(s); ` +
    `${epochs} epochs, batch 64, Adam 1e-3, MSE against the clean image; evaluation on the full 10 000 test images, ` +
    "one fixed noisy copy per noise type, PSNR dB / SSIM. PyTorch: ../shared/reference/pytorch_seed.md (same recipe and protocol).",
  "",
  "The parity cells are each noise's own model on that noise, and the blind (mixed) model on every noise;",
  "the other cells (a model tested on a noise it never saw) are shown for information: they swing by",
  "several dB between training seeds in PyTorch as here.",
  "",
  "| model (training noise) | test noise | ours | PyTorch | Δ PSNR (dB) | parity cell: within ±0.3 dB |",
  "|---|---|---|---|---|---|",
];
let worst = 0;
for (const m of models) {
  for (const n of EVAL_NOISES) {
    const ours = tables[m][n].model,
      [pp, ps] = PYTORCH[m][n],
      d = ours.psnr - pp;
    const parity = m === n || m === "mixed";
    if (parity) worst = Math.max(worst, Math.abs(d));
    lines.push(
      `| ${m} (${seconds[m].toFixed(0)} s) | ${n} | ${ours.psnr.toFixed(2)} / ${ours.ssim.toFixed(4)} | ${pp.toFixed(2)} / ${ps.toFixed(4)} | ${d >= 0 ? "+" : ""}${d.toFixed(2)} | ${parity ? (Math.abs(d) <= 0.3 ? "yes" : "**no**") : "(not a parity cell)"} |`,
    );
  }
}
lines.push("", `Largest |Δ PSNR| over the parity cells: ${worst.toFixed(2)} dB.`, "");
lines.push(
  "Baselines on the same noisy copies (PSNR / SSIM):",
  "",
  "| method | gaussian | salt-pepper | speckle |",
  "|---|---|---|---|",
);
for (const method of ["noisy", "median3"] as const) {
  lines.push(
    `| ${method} | ${EVAL_NOISES.map((n) => `${tables.mixed[n][method].psnr.toFixed(2)} / ${tables.mixed[n][method].ssim.toFixed(4)}`).join(" | ")} |`,
  );
}
const text = lines.join("\n") + "\n";
writeFileAtomic(join(PACKAGE_ROOT, "bench/QUALITY.md"), text);
console.log(text);

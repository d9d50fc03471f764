// `node dist/bench/epoch.js [--arch seed|unet24] [--rounds N]`: a
// whole CLI training epoch (`seed`: 60 000 MNIST images; `unet24`: the first 6 400, as `npm run
// bench` times it) against the training step alone, in alternating rounds at 1 and 2 threads
// (median [min–max]) — the part of `npm run bench` that says how much of the step's speed the
// training loop keeps (batch assembly, the per-step checks, progress, pauses for signals, checkpoints).
import { getArch } from "../host/core/arch.js";
import { epochAgainstStep, fmt, type EpochData } from "./e2e.js";

const opt = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const arch = getArch(opt("--arch", "seed")),
  ROUNDS = Number(opt("--rounds", "3"));
if (arch.name !== "seed" && arch.name !== "unet24") throw new Error(`--arch: seed or unet24, not ${arch.name}`);
const images = arch.name === "seed" ? 60000 : 6400;
const data: EpochData = arch.name === "seed" ? { kind: "mnist" } : { kind: "mnist", limit: images };
console.log(`${arch.name}, ${images} MNIST images, batch 64, relaxed build:\n`);
console.log(`| threads | CLI epoch, img/s | step alone, img/s | epoch ÷ step |`);
console.log(`|---|---|---|---|`);
for (const threads of [1, 2]) {
  const m = await epochAgainstStep(
    { arch, what: "train", batch: 64, tfjs: false },
    threads,
    "relaxed",
    data,
    ROUNDS,
    2,
  );
  if (typeof m === "string") throw new Error(m);
  console.log(`| ${threads} | ${fmt(m.epoch)} | ${fmt(m.step)} | ${(m.epoch.median / m.step.median).toFixed(2)} |`);
}

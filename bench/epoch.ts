// `node --experimental-wasm-relaxed-simd dist/bench/epoch.js [--rounds N]`: a whole CLI training
// epoch of `seed` (60 000 MNIST images) against the training step alone, in alternating rounds at
// 1 and 2 threads (median [min–max]) — the part of `npm run bench` that says how much of the
// step's speed the training loop keeps (batch assembly, the per-step checks, progress, pauses for
// signals, checkpoints).
import { SEED } from "../host/core/arch.js";
import { epochAgainstStep, fmt } from "./e2e.js";

const i = process.argv.indexOf("--rounds");
const ROUNDS = i >= 0 ? Number(process.argv[i + 1]) : 3;
console.log(`| threads | CLI epoch, img/s | step alone, img/s | epoch ÷ step |`);
console.log(`|---|---|---|---|`);
for (const threads of [1, 2]) {
  const m = await epochAgainstStep({ arch: SEED, what: "train", batch: 64, tfjs: false }, threads, "relaxed", { kind: "mnist" }, ROUNDS, 2);
  if (typeof m === "string") throw new Error(m);
  console.log(`| ${threads} | ${fmt(m.epoch)} | ${fmt(m.step)} | ${(m.epoch.median / m.step.median).toFixed(2)} |`);
}

// `node --experimental-wasm-relaxed-simd dist/bench/epoch.js [--rounds N]`: a whole CLI training
// epoch of `seed` (60 000 MNIST images) against the training step alone, in alternating rounds at
// 1 and 2 threads (median [min–max]) — the part of `npm run bench` that says how much of the
// step's speed the training loop keeps (batch assembly, the per-step checks, progress, pauses for
// signals, checkpoints).
import { SEED } from "../host/core/arch.js";
import { cliEpoch, fmt, measureOurs } from "./e2e.js";

const i = process.argv.indexOf("--rounds");
const ROUNDS = i >= 0 ? Number(process.argv[i + 1]) : 3;
const med = (v: number[]) => [...v].sort((a, b) => a - b)[(v.length - 1) >> 1];
console.log(`| threads | CLI epoch, img/s | step alone, img/s | epoch ÷ step |`);
console.log(`|---|---|---|---|`);
for (const threads of [1, 2]) {
  const epoch: number[] = [], step: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    step.push(await measureOurs({ arch: SEED, what: "train", batch: 64, tfjs: false }, threads, "relaxed", 2));
    const e = cliEpoch("seed", threads, "relaxed", { kind: "mnist" });
    if (typeof e === "string") throw new Error(e);
    epoch.push(e);
  }
  const m = (v: number[]) => ({ median: med(v), min: Math.min(...v), max: Math.max(...v), samples: v });
  console.log(`| ${threads} | ${fmt(m(epoch))} | ${fmt(m(step))} | ${(med(epoch) / med(step)).toFixed(2)} |`);
}

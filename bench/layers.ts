// `node dist/bench/layers.js [arch] [batch] [build]`: one network's
// forward pass (an inference model, one thread) layer by layer — each layer's fastest of repeated
// runs over about half a second, and their sum (each layer alone: no activation fused into its conv)
// — then the whole forward, to see where a batch's time goes (e.g. `seed 1`, the batch-1 latency).
// Defaults: seed, batch 1, relaxed.
import { getArch } from "../host/core/arch.js";
import type { BuildName } from "../host/core/engine.js";
import { Model } from "../host/core/model.js";
import { openNodeEngine } from "../host/node/engine.js";

const [archName = "seed", batchArg = "1", build = "relaxed"] = process.argv.slice(2);
const arch = getArch(archName),
  B = Number(batchArg);
const engine = await openNodeEngine({ build: build as BuildName, threads: false });
const model = new Model(engine, arch, B, undefined, { inference: true });
const x = engine.exports,
  nf = engine.abi.layerFields;

function fastest(fn: () => void, seconds: number): number {
  fn();
  let best = Infinity;
  for (const end = performance.now() + seconds * 1000; performance.now() < end; ) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

// Layer by layer first: the whole forward, timed after them, then runs optimized code only (V8 starts
// wasm on its baseline compiler), and with each conv's activation fused as inference runs it.
console.log(`| layer | forward, µs (fastest) | share |`);
console.log(`|---|---|---|`);
const times = model.layers.map((_, i) =>
  fastest(() => x.modelForward(model.table + i * nf * 4, 1, B, model.workspace), 0.5),
);
const whole = fastest(() => model.forward(B), 2);
const sum = times.reduce((a, b) => a + b, 0);
model.layers.forEach((l, i) => {
  const name = "name" in l.spec ? `${l.spec.name} (${l.spec.type})` : l.spec.type;
  console.log(`| ${i} ${name} | ${(times[i] * 1000).toFixed(1)} | ${((100 * times[i]) / sum).toFixed(0)} % |`);
});
console.log(`| sum of layers | ${(sum * 1000).toFixed(1)} | |`);
console.log(
  `\n${arch.name}, batch ${B}, ${engine.build} build, one thread: the whole forward ${(whole * 1000).toFixed(1)} µs at its fastest.`,
);

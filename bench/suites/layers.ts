// Per layer: `seed` at batch 64 on one core, each layer's forward and backward timed alone after a
// real training step, their sums, and the Adam update.
import { SEED } from "../../host/core/arch.js";
import type { Engine } from "../../host/core/engine.js";
import { Model } from "../../host/core/model.js";
import { noiseSpec } from "../../host/core/noise.js";
import type { Bench } from "./context.js";

export function layerSection(bench: Bench, relaxed: Engine): void {
  const { say, timeMs, seconds: SECONDS } = bench;
  say(`## Per layer, \`seed\` at batch 64, ${relaxed.build} build, one core (ms)`);
  say();
  say(`| layer | forward | backward |`);
  say(`|---|---|---|`);
  const m = new Model(relaxed, SEED, 64);
  m.init(1);
  const x = relaxed.exports,
    nf = relaxed.abi.layerFields;
  const t = m.targetView(64);
  for (let i = 0; i < t.length; i++) t[i] = (i * 7919) % 13 < 3 ? (i % 255) / 255 : 0;
  m.trainStep(64, noiseSpec("gaussian"));
  let tf = 0,
    tb = 0;
  m.layers.forEach((l, i) => {
    const rec = m.table + i * nf * 4;
    const f = timeMs(() => x.modelForward(rec, 1, 64, m.workspace), SECONDS / 4);
    const b = timeMs(() => x.modelBackward(rec, 1, 64, m.workspace), SECONDS / 4);
    tf += f;
    tb += b;
    say(
      `| ${i} ${"name" in l.spec ? l.spec.name : l.spec.type} (${l.spec.type}) | ${f.toFixed(3)} | ${b.toFixed(3)} |`,
    );
  });
  const o = m.adam;
  const adam = timeMs(
    () =>
      x.adamStep(m.params, m.grads, m.adamM, m.adamV, m.paramFloats, o.lr, o.beta1, o.beta2, o.eps, o.weightDecay, 1),
    SECONDS / 4,
  );
  say(`| all layers | ${tf.toFixed(2)} | ${tb.toFixed(2)} |`);
  say(`| Adam (${m.paramFloats} parameters) | ${adam.toFixed(3)} | |`);
  say();
}

// The bench's per-layer profile (bench/suites/profile.ts) runs the network a group of layers at a
// time with Model.forward(B, first, count): its groups are the plan's steps (plan.ts planSteps), which
// must be the pairs the engine fuses (a fused
// conv's own output stays unwritten, seen in a model that keeps every activation), and the groups in
// order must give the whole forward's bits, on one thread and on two, whether the model keeps its
// activations or reuses their buffers (as denoise and the profile run). A range outside the network
// or through the middle of a step is refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { getArch, SEED } from "../host/core/arch.js";
import { Model } from "../host/core/model.js";
import { planSteps } from "../host/core/plan.js";
import { nodePool, openNodeEngine } from "../host/node/engine.js";
import { testRandom } from "./helpers.js";

test("profile: layer groups are the engine's steps and, run in order, give the whole forward's bits (1 and 2 threads)", async () => {
  const cunet = getArch("cunet32");
  for (const threads of [1, 2]) {
    const engine = await openNodeEngine({ threads: threads > 1 });
    const pool = threads > 1 ? await nodePool(engine, threads) : undefined;
    try {
      for (const arch of [
        SEED,
        getArch("unet24"),
        { ...cunet, input: [cunet.input[0], 32, 40] as [number, number, number] },
      ]) {
        for (const keepActivations of [true, false]) {
          const B = 2,
            m = new Model(engine, arch, B, pool, { inference: true, keepActivations });
          try {
            m.init(3);
            const r = testRandom(9);
            m.inputView(B).set(m.inputView(B).map(() => r()));
            if (keepActivations) m.layers.forEach((_, i) => m.activation(i, B).fill(Number.NaN)); // an unwritten output shows
            m.forward(B);
            const whole = m.outputView(B).slice();
            const groups = planSteps(m.plan);
            if (keepActivations)
              for (const [first, count] of groups)
                assert.equal(
                  Number.isNaN(m.activation(first, B)[0]),
                  count === 2,
                  `${arch.name}: layer ${first} fused?`,
                );
            m.outputView(B).fill(0);
            for (const [first, count] of groups) m.forward(B, first, count);
            assert.ok(
              Buffer.from(m.outputView(B).slice().buffer).equals(Buffer.from(whole.buffer)),
              `${arch.name}, ${threads} thread(s): the groups differ from the whole forward`,
            );
            assert.throws(() => m.forward(B, m.layers.length, 1), /layers/);
            const [inside] = groups.filter(([, count]) => count > 1);
            assert.throws(() => m.forward(B, inside[0] + 1, 1), /not whole steps/); // half a step is refused
            assert.throws(() => m.forward(B, 0, 0), /layers/);
          } finally {
            m.dispose();
          }
        }
      }
    } finally {
      pool?.close();
    }
  }
});

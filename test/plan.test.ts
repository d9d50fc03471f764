// The memory plan (host/core/plan.ts) is the model's real footprint: building a Model moves the
// engine allocator's top by exactly the plan's total, for every named architecture, at 1 and 2
// threads, for training and for inference (buffers reused by liveness, or every layer's kept);
// memory guards refuse from the same numbers; a disposed model gives its memory back.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ARCHS, SEED } from "../host/core/arch.js";
import { UserError } from "../host/core/errors.js";
import { Model } from "../host/core/model.js";
import { checkMemory, planModel } from "../host/core/plan.js";
import { openNodeEngine, nodePool } from "../host/node/engine.js";

test("building a model grows the engine's memory by exactly its plan, for every architecture, 1 and 2 threads, training and inference (reused or kept buffers)", async () => {
  const single = await openNodeEngine({ build: "strict" });
  const threaded = await openNodeEngine({ build: "strict", threads: true });
  const pool = await nodePool(threaded, 2);
  const rows: string[] = [];
  try {
    for (const arch of Object.values(ARCHS)) {
      for (const [engine, p] of [
        [single, undefined],
        [threaded, pool],
      ] as const) {
        const totals: Record<string, number> = {};
        for (const [inference, keepActivations] of [
          [false, false],
          [true, true],
          [true, false],
        ]) {
          const before = engine.heapTop();
          const plan = planModel(engine, arch, { batch: 24, threads: p?.size ?? 1, inference, keepActivations });
          const model = new Model(engine, arch, 24, p, { inference, keepActivations });
          const grown = engine.heapTop() - before;
          assert.equal(
            grown,
            plan.total,
            `${arch.name}, ${p?.size ?? 1} thread(s), ${inference ? `inference (${keepActivations ? "kept" : "reused"} buffers)` : "training"}: allocator grew ${grown}, plan says ${plan.total}`,
          );
          assert.deepEqual(model.plan.arenas, plan.arenas);
          assert.ok(engine.memory.buffer.byteLength >= engine.heapTop(), "memory smaller than what was allocated");
          if (inference) {
            assert.ok(
              !plan.arenas.some((a) =>
                ["grads", "adamM", "adamV", "actGrads", "threadGrads", "stepRecord"].includes(a.kind),
              ),
              "an inference plan holds training arenas",
            );
            assert.throws(() => model.gradsView(), /built for inference only/);
            assert.throws(() => model.trainStep(1), /built for inference only/);
          }
          model.dispose();
          assert.equal(engine.heapTop(), before, "dispose() did not give the memory back");
          totals[inference ? (keepActivations ? "kept" : "reused") : "training"] = plan.total;
        }
        assert.ok(totals.kept < totals.training && totals.reused < totals.kept);
        rows.push(
          `${arch.name} batch 24, ${p?.size ?? 1} thread(s): training ${(totals.training / 2 ** 20).toFixed(2)} MiB, inference ${(totals.kept / 2 ** 20).toFixed(2)} MiB with every activation, ${(totals.reused / 2 ** 20).toFixed(2)} MiB reusing buffers`,
        );
      }
    }
  } finally {
    pool.close();
  }
  console.log(`# memory plans = allocator growth:\n${rows.map((r) => `#   ${r}`).join("\n")}`);
});

test("models come and go without memory growing; the guard refuses a plan over the limit from the plan alone", async () => {
  const engine = await openNodeEngine({ build: "strict" });
  const sizes = [
    [40, 60],
    [100, 28],
    [28, 28],
    [100, 100],
  ];
  const run = () => {
    for (const [h, w] of sizes) {
      const m = new Model(engine, { ...SEED, input: [1, h, w] }, 1, undefined, { inference: true });
      m.forward(1);
      m.dispose();
    }
  };
  run();
  const bytes = engine.memory.buffer.byteLength,
    top = engine.heapTop();
  for (let i = 0; i < 5; i++) run();
  assert.equal(engine.memory.buffer.byteLength, bytes, "memory grew over repeated models");
  assert.equal(engine.heapTop(), top);
  // Disposal is a stack: the older of two live models cannot go first.
  const a = new Model(engine, SEED, 2),
    b = new Model(engine, SEED, 2);
  assert.throws(() => a.dispose(), /reverse order/);
  b.dispose();
  a.dispose();
  // A 5000 × 5000 image through seed: refused with one line, nothing allocated.
  const big = { ...SEED, input: [1, 5000, 5000] as [number, number, number] };
  const plan = planModel(engine, big, { batch: 1, inference: true });
  assert.throws(
    () => checkMemory(engine, plan, big, "huge.png: 5000×5000 pixels"),
    (e: Error) =>
      e instanceof UserError &&
      /^huge\.png: 5000×5000 pixels would need \d+\.\d\d GiB of wasm memory with architecture seed \(limit: 3\.00 GiB\)$/.test(
        e.message,
      ),
  );
  assert.throws(() => new Model(engine, big, 1, undefined, { inference: true }), UserError);
  assert.equal(engine.heapTop(), top);
});

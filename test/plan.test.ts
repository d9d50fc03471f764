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
import { testRandom } from "./helpers.js";

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

test("at photo tile sizes an inference plan is the forward-only workspace (bands of rows), still the allocator's growth, and the banded forward runs within it: the bits of a training plan's whole-image workspace, 1 and 2 threads", async () => {
  // 136 × 200: every convolution of the colour and gray U-Nets takes more than a chunk there, so each
  // forward path runs in bands (Winograd, im2col + GEMM at stride 2, GEMM + col2im, unet's direct loops).
  const single = await openNodeEngine({ build: "strict" });
  const threaded = await openNodeEngine({ build: "strict", threads: true });
  const pool = await nodePool(threaded, 2);
  const rows: string[] = [];
  try {
    for (const base of [ARCHS.cunet32, ARCHS.unet24]) {
      const arch = { ...base, input: [base.input[0], 136, 200] as [number, number, number] };
      for (const [engine, p] of [
        [single, undefined],
        [threaded, pool],
      ] as const) {
        const threads = p?.size ?? 1,
          B = 3;
        const run = (inference: boolean) => {
          const before = engine.heapTop();
          const plan = planModel(engine, arch, { batch: B, threads, inference });
          const model = new Model(engine, arch, B, p, { inference });
          try {
            assert.equal(
              engine.heapTop() - before,
              plan.total,
              `${arch.name}, ${threads} thread(s): allocator growth ≠ plan`,
            );
            model.init(11);
            const r = testRandom(5),
              x = model.inputView(B);
            for (let i = 0; i < x.length; i++) x[i] = (r() + 1) / 2;
            const bytes = model.memoryBytes();
            model.forward(B);
            assert.equal(model.memoryBytes(), bytes, "a forward pass grew memory");
            const ws = plan.arenas.find((a) => a.kind === "workspace")!.bytes;
            return { out: Buffer.from(model.outputView(B).slice().buffer), ws };
          } finally {
            model.dispose();
          }
        };
        const inf = run(true),
          train = run(false);
        // Bands: the inference workspace does not grow with the tile's height (U, the deep layers'
        // transformed kernels, is most of it), the training one (whole images) does.
        const taller = (inference: boolean) =>
          planModel(
            engine,
            { ...arch, input: [arch.input[0], 4 * 136, 200] },
            { batch: B, threads, inference },
          ).arenas.find((a) => a.kind === "workspace")!.bytes;
        assert.ok(inf.ws < train.ws, `${arch.name}: inference workspace ${inf.ws} ≥ training ${train.ws}`);
        assert.ok(taller(true) <= 1.05 * inf.ws, `${arch.name}: the inference workspace grows with the tile's height`);
        assert.ok(
          taller(false) > 2 * train.ws,
          `${arch.name}: the training workspace should grow with the tile's height`,
        );
        assert.ok(
          inf.out.equals(train.out),
          `${arch.name}, ${threads} thread(s): the banded inference workspace changes the output`,
        );
        rows.push(
          `${arch.name} ${arch.input.join("×")}, ${threads} thread(s): workspace ${(train.ws / 2 ** 20).toFixed(1)} → ${(inf.ws / 2 ** 20).toFixed(1)} MiB`,
        );
      }
    }
  } finally {
    pool.close();
  }
  console.log(
    `# per-thread workspace, training (whole images) → inference (bands):\n${rows.map((r) => `#   ${r}`).join("\n")}`,
  );
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
  // A 10000 × 10000 image through seed: refused with one line, nothing allocated.
  const big = { ...SEED, input: [1, 10000, 10000] as [number, number, number] };
  const plan = planModel(engine, big, { batch: 1, inference: true });
  assert.throws(
    () => checkMemory(engine, plan, big, "huge.png: 10000×10000 pixels"),
    (e: Error) =>
      e instanceof UserError &&
      /^huge\.png: 10000×10000 pixels would need \d+\.\d\d GiB of wasm memory with architecture seed \(limit: 3\.00 GiB\)$/.test(
        e.message,
      ),
  );
  assert.throws(() => new Model(engine, big, 1, undefined, { inference: true }), UserError);
  assert.equal(engine.heapTop(), top);
});

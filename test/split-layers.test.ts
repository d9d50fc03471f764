// Threads that share each layer of an inference model (plan.ts splitLayers, assembly/model.ts
// modelForwardPart: bands of every convolution's rows, shares of every elementwise layer) give the
// bits of one thread running the whole batch: the shipped photo and digit models and every named
// architecture, at sizes whose layers run in one chunk and in bands, on 2 and 3 threads (shares of
// uneven rows), in every threads build this Node runs; and such a model's plan is its real footprint.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ARCHS, type Arch } from "../host/core/arch.js";
import { Model } from "../host/core/model.js";
import { planModel } from "../host/core/plan.js";
import { applyWeights, archOf } from "../host/core/weights.js";
import { openNodeEngine, nodePool } from "../host/node/engine.js";
import { DEFAULT_PHOTO_WEIGHTS, DEFAULT_WEIGHTS, readSafetensors } from "../host/node/files.js";
import { inferenceBits, runnable } from "./helpers.js";

test("threads sharing each layer give the bits of one thread: photo model, digit model, every architecture, 2 and 3 threads, every threads build", async () => {
  const photo = readSafetensors(DEFAULT_PHOTO_WEIGHTS),
    digits = readSafetensors(DEFAULT_WEIGHTS);
  const photoArch = archOf(photo, DEFAULT_PHOTO_WEIGHTS, "cunet32");
  const cases: { arch: Arch; load: (m: Model) => void }[] = [
    // 40×56: every layer in one chunk; 200×152: the full-size layers in bands of tile rows.
    ...[
      [40, 56],
      [200, 152],
    ].map(([h, w]) => ({
      arch: { ...photoArch, input: [4, h, w] as [number, number, number] },
      load: (m: Model) => applyWeights(m, photo, DEFAULT_PHOTO_WEIGHTS),
    })),
    {
      arch: { ...archOf(digits, DEFAULT_WEIGHTS, "unet24"), input: [1, 36, 28] },
      load: (m) => applyWeights(m, digits, DEFAULT_WEIGHTS),
    },
    ...Object.values(ARCHS).map((arch) => ({ arch, load: (m: Model) => m.init(7) })),
  ];
  let checked = 0;
  for (const build of ["strict", "relaxed"] as const) {
    if (!runnable(build)) continue;
    const engine = await openNodeEngine({ build, threads: true });
    for (const threads of [2, 3]) {
      const pool = await nodePool(engine, threads);
      try {
        for (const { arch, load } of cases)
          for (const B of [1, 2]) {
            const one = inferenceBits(engine, undefined, arch, B, {}, load, 43),
              shared = inferenceBits(engine, pool, arch, B, { splitLayers: true }, load, 43);
            assert.ok(!new Float32Array(shared.buffer, shared.byteOffset, shared.length / 4).some(Number.isNaN));
            assert.ok(
              shared.equals(one),
              `${build}, ${threads} threads sharing layers, ${arch.name} ${arch.input.join("×")} batch ${B}: output differs from one thread's`,
            );
            checked++;
          }
      } finally {
        pool.close();
      }
    }
  }
  assert.ok(checked > 0, "no threads build runs here");
});

test("a model whose threads share its layers reserves its plan: one region of activations, a workspace per thread", async () => {
  const engine = await openNodeEngine({ build: "strict", threads: true });
  const pool = await nodePool(engine, 2);
  try {
    const tile: Arch = { ...ARCHS.cunet32, input: [4, 256, 192] };
    const before = engine.heapTop();
    const plan = planModel(engine, tile, { batch: 1, threads: 2, inference: true, splitLayers: true });
    const model = new Model(engine, tile, 1, pool, { inference: true, splitLayers: true });
    assert.equal(engine.heapTop() - before, plan.total, "allocator growth ≠ plan");
    model.dispose();
    const slices = planModel(engine, tile, { batch: 2, threads: 2, inference: true });
    const acts = (p: typeof plan) => p.arenas.find((a) => a.kind === "acts")!.bytes;
    assert.equal(plan.arenas.filter((a) => a.kind === "workspace").length, 2);
    assert.equal(plan.arenas.filter((a) => a.kind === "table").length, 1);
    assert.ok(
      acts(plan) < 0.6 * acts(slices),
      `shared ${acts(plan)} bytes of activations against ${acts(slices)} for two slices`,
    );
    assert.throws(() => planModel(engine, tile, { batch: 1, threads: 2, splitLayers: true }), /inference/);
  } finally {
    pool.close();
  }
});

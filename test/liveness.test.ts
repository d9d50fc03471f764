// Inference memory by liveness (host/core/plan.ts liveBuffers): an inference model reuses an
// activation buffer once its last reader has run, so its output must be the bits of the per-layer
// buffers it had before (keepActivations, the layout training keeps), for the shipped photo model
// (cunet32), the digit U-Net and every named architecture, on 1 and 2 threads and in every build
// this Node runs. Then what it saves on the photo model at tile sizes, and what `denoise` picks for
// a 12 MP photo within the default memory, with the halo's share of the time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ARCHS, type Arch } from "../host/core/arch.js";
import { autoTile, DEFAULT_MAX_MEMORY_MIB, paddedSize } from "../host/core/denoise.js";
import { Model } from "../host/core/model.js";
import { planModel } from "../host/core/plan.js";
import { haloOverhead, reachOf, tileGrid } from "../host/core/tiles.js";
import { applyWeights, archOf } from "../host/core/weights.js";
import { openNodeEngine, nodePool } from "../host/node/engine.js";
import { DEFAULT_PHOTO_WEIGHTS, DEFAULT_WEIGHTS, readSafetensors } from "../host/node/files.js";
import { inferenceBits, runnable } from "./helpers.js";

const mib = (b: number) => (b / 2 ** 20).toFixed(0);

test("an inference model that reuses buffers gives the bits of per-layer buffers: photo model, digit model, every architecture, 1 and 2 threads, every build", async () => {
  const photo = readSafetensors(DEFAULT_PHOTO_WEIGHTS),
    digits = readSafetensors(DEFAULT_WEIGHTS);
  const cases: { arch: Arch; load: (m: Model) => void }[] = [
    {
      arch: { ...archOf(photo, DEFAULT_PHOTO_WEIGHTS, "cunet32"), input: [4, 40, 56] },
      load: (m) => applyWeights(m, photo, DEFAULT_PHOTO_WEIGHTS),
    },
    {
      arch: { ...archOf(digits, DEFAULT_WEIGHTS, "unet24"), input: [1, 36, 28] },
      load: (m) => applyWeights(m, digits, DEFAULT_WEIGHTS),
    },
    ...Object.values(ARCHS).map((arch) => ({ arch, load: (m: Model) => m.init(7) })),
  ];
  const rows: string[] = [];
  for (const build of ["strict", "relaxed", "scalar"] as const) {
    if (!runnable(build)) continue;
    for (const threads of build === "scalar" ? [1] : [1, 2]) {
      const engine = await openNodeEngine({ build, threads: threads > 1 });
      const pool = threads > 1 ? await nodePool(engine, threads) : undefined;
      try {
        for (const { arch, load } of cases) {
          const B = 3; // 2 threads: slices of 2 and 1
          const kept = inferenceBits(engine, pool, arch, B, { keepActivations: true }, load, 31),
            live = inferenceBits(engine, pool, arch, B, { keepActivations: false }, load, 31);
          assert.ok(!new Float32Array(live.buffer, live.byteOffset, live.length / 4).some(Number.isNaN));
          assert.ok(
            live.equals(kept),
            `${build}, ${threads} thread(s), ${arch.name} ${arch.input.join("×")}: reused buffers change the output`,
          );
          const [k, l] = [true, false].map(
            (keepActivations) =>
              planModel(engine, arch, { batch: B, threads, inference: true, keepActivations }).arenas.find(
                (a) => a.kind === "acts",
              )!.bytes,
          );
          if (build === "strict")
            rows.push(`${arch.name} ${arch.input.join("×")} batch ${B}, ${threads} thread(s): acts ${k} → ${l} bytes`);
        }
      } finally {
        pool?.close();
      }
    }
  }
  console.log(`# same output bits, activation arena per-layer → reused:\n${rows.map((r) => `#   ${r}`).join("\n")}`);
});

test("a liveness plan is the model's real footprint at photo tile sizes, and training plans keep every activation", async () => {
  const arch = ARCHS.cunet32;
  for (const threads of [1, 2]) {
    const engine = await openNodeEngine({ build: "strict", threads: threads > 1 });
    const pool = threads > 1 ? await nodePool(engine, threads) : undefined;
    try {
      const tile: Arch = { ...arch, input: [4, 256, 192] };
      const before = engine.heapTop();
      const plan = planModel(engine, tile, { batch: threads, threads, inference: true });
      const model = new Model(engine, tile, threads, pool, { inference: true });
      assert.equal(engine.heapTop() - before, plan.total, `${threads} thread(s): allocator growth ≠ plan`);
      // At most three full-resolution 32-channel maps per image beside the input, target and output.
      const map = 32 * 256 * 192;
      assert.ok(plan.threadFloats <= 3 * map, `${plan.threadFloats} floats per thread, over 3 maps of ${map}`);
      assert.throws(() => model.activation(0), /not kept/);
      model.dispose();
      const train = planModel(engine, { ...arch, input: [4, 32, 32] }, { batch: 2, threads });
      assert.equal(train.threadFloats, 0);
      assert.ok(train.buffers.every((b) => b.shared) && train.fused.every((f) => !f));
    } finally {
      pool?.close();
    }
  }
});

test("the photo model's memory by tile size, per-layer buffers against reused ones, and the tiles of a 4000×3000 photo within the default memory", async () => {
  const arch = ARCHS.cunet32,
    limit = DEFAULT_MAX_MEMORY_MIB * 2 ** 20;
  const rows: string[] = [];
  for (const build of ["strict", "relaxed"] as const) {
    if (!runnable(build)) continue;
    for (const threads of [1, 2]) {
      const engine = await openNodeEngine({ build, threads: threads > 1 });
      const sizes = [512, 1024, 2048].map((t) => {
        const at = (keepActivations: boolean) =>
          planModel(
            engine,
            { ...arch, input: [4, t, t] },
            { batch: threads, threads, inference: true, keepActivations },
          );
        const [kept, live] = [at(true), at(false)];
        const ws = live.arenas.filter((a) => a.kind === "workspace").reduce((s, a) => s + a.bytes, 0);
        assert.ok(live.total < kept.total);
        return `${t}²: ${mib(kept.total)} → ${mib(live.total)} MiB (workspaces ${mib(ws)})`;
      });
      const [fh, fw] = paddedSize(arch, 3000, 4000);
      const tile = autoTile(engine, arch, fh, fw, threads, threads, limit);
      const grid = tileGrid(fh, fw, tile, reachOf(arch));
      const used =
        engine.heapTop() +
        planModel(engine, { ...arch, input: [4, grid.th, grid.tw] }, { batch: threads, threads, inference: true })
          .total;
      assert.ok(used <= limit);
      rows.push(
        `${build}, ${threads} thread(s): ${sizes.join("; ")}; 4000×3000 auto: tile ≤ ${tile} px → ${grid.tiles.length} tiles of ${grid.tw}×${grid.th}, ${mib(used)} MiB, halo +${(100 * haloOverhead(4000 * 3000, grid)).toFixed(0)} % of the time`,
      );
    }
  }
  console.log(
    `# cunet32 inference memory (batch = threads), per-layer → reused buffers:\n${rows.map((r) => `#   ${r}`).join("\n")}`,
  );
});

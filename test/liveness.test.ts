// Inference memory by liveness (host/core/plan.ts liveBuffers): an inference model reuses an
// activation buffer once its last reader has run, so its output must be the bits of the per-layer
// buffers it had before (keepActivations, the layout training keeps), for the shipped photo model
// (cunet32), the digit U-Net and every named architecture, on 1 and 2 threads and in every build
// this Node runs. Then what it saves on the photo model at tile sizes, and what `denoise` picks for
// a 12 MP photo within the default memory, with the halo's share of the time.
import { test } from "node:test";
import assert from "node:assert/strict";
import { ARCHS, type Arch } from "../host/core/arch.js";
import { autoTile, DEFAULT_MAX_MEMORY_MIB, paddedSize, tilePlan } from "../host/core/denoise.js";
import type { Engine } from "../host/core/engine.js";
import { Model } from "../host/core/model.js";
import type { ThreadPool } from "../host/core/pool.js";
import { planModel } from "../host/core/plan.js";
import { haloOverhead, reachOf, tileGrid } from "../host/core/tiles.js";
import { applyWeights, archOf } from "../host/core/weights.js";
import { openNodeEngine, nodePool } from "../host/node/engine.js";
import { DEFAULT_PHOTO_WEIGHTS, DEFAULT_WEIGHTS, readSafetensors } from "../host/node/files.js";
import { inferenceBits, runnable } from "./helpers.js";

const mib = (b: number) => (b / 2 ** 20).toFixed(0);

/** Runs `body` on an engine of every build this Node runs, 1 and 2 threads (scalar: 1), with its pool. */
async function eachEngine(
  body: (build: string, threads: number, engine: Engine, pool: ThreadPool | undefined) => void,
): Promise<void> {
  for (const build of ["strict", "relaxed", "scalar"] as const) {
    if (!runnable(build)) continue;
    for (const threads of build === "scalar" ? [1] : [1, 2]) {
      const engine = await openNodeEngine({ build, threads: threads > 1 });
      const pool = threads > 1 ? await nodePool(engine, threads) : undefined;
      try {
        body(build, threads, engine, pool);
      } finally {
        pool?.close();
      }
    }
  }
}

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
  await eachEngine((build, threads, engine, pool) => {
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
  });
  console.log(`# same output bits, activation arena per-layer → reused:\n${rows.map((r) => `#   ${r}`).join("\n")}`);
});

test("a transposed convolution adds itself into its skip where nothing else needs either (plan.ts accumulatesIntoSkip): the bits of the separate add, every build, 1 and 2 threads", async () => {
  const up = (name: string, out = 4) =>
    ({ type: "convTranspose2d", name, out, kernel: 3, stride: 2, padding: 1, outputPadding: 1 }) as const;
  const arch: Arch = {
    name: "accumulate-test",
    description: "which up-samplings add into their skip",
    input: [1, 24, 20],
    layers: [
      { type: "conv2d", name: "a", out: 4, kernel: 3, padding: 1 },
      { type: "leakyRelu", slope: 0.1, id: "s1" }, // 1
      { type: "conv2d", name: "b", out: 4, kernel: 3, stride: 2, padding: 1 },
      { type: "relu", id: "s2" }, // 3
      { type: "conv2d", name: "c", out: 4, kernel: 3, stride: 2, padding: 1 },
      { type: "relu" },
      up("u1"), // 6: its skip s2 dies at its add: accumulates, the add's ReLU on the sum
      { type: "add", with: "s2" },
      { type: "relu" },
      up("u2"), // 9: its skip s1 is read again (layer 12): does not
      { type: "add", with: "s1" },
      { type: "leakyRelu", slope: 0.2, id: "t" }, // 11
      { type: "add", with: "s1" }, // 12
      { type: "conv2d", name: "d", out: 4, kernel: 3, stride: 2, padding: 1 }, // 13
      { ...up("u3"), id: "w" }, // 14: its output is read again (layer 17): does not
      { type: "add", with: "t" }, // 15
      { type: "relu" },
      { type: "add", with: "w" }, // 17
      { type: "conv2d", name: "e", out: 1, kernel: 3, padding: 1, id: "r" }, // 18
      { type: "conv2d", name: "f", out: 2, kernel: 3, stride: 2, padding: 1 },
      up("u4", 1), // 20: its add is the network's output: does not
      { type: "add", with: "r" },
    ],
  };
  await eachEngine((build, threads, engine, pool) => {
    const plan = planModel(engine, arch, { batch: 3, threads, inference: true });
    assert.deepEqual(
      plan.accumulates.flatMap((a, i) => (a ? [i] : [])),
      [6],
      `${build}: the layers that add into their skip`,
    );
    assert.equal(plan.buffers[6].offset, plan.buffers[3].offset, "u1 writes where s2 is");
    for (const splitLayers of [false, true]) {
      const load = (m: Model) => m.init(5);
      const kept = inferenceBits(engine, pool, arch, 3, { keepActivations: true, splitLayers }, load, 8),
        live = inferenceBits(engine, pool, arch, 3, { splitLayers }, load, 8);
      assert.ok(
        live.equals(kept),
        `${build}, ${threads} thread(s), split ${splitLayers}: added into the skip ≠ separate add`,
      );
    }
  });
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
      // Two full-resolution 32-channel maps per image beside the input, target and output: the last
      // up-sampling adds itself into its skip (accumulatesIntoSkip), else it held a third. And no less can
      // be: at the bottom of the U the three skips (32 + 64/4 + 128/16 floats a pixel) and the two ⅛-size
      // 256-channel maps (2 × 256/64) are live at once, as many floats (docs/speed.md, the halo).
      const map = 32 * 256 * 192;
      assert.equal(plan.threadFloats, 2 * map, `${plan.threadFloats} floats per thread, not 2 maps of ${map}`);
      assert.deepEqual(
        plan.accumulates.flatMap((a, i) => (a ? [tile.layers[i].type === "convTranspose2d"] : [])),
        [true, true, true],
      );
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
      const used = engine.heapTop() + tilePlan(engine, arch, grid.th, grid.tw, threads, threads).total;
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

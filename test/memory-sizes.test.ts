// Models of different sizes come and go with flat memory: 50 images of random sizes (gray and
// colour, whole and in tiles, on 1 and 2 threads) through denoisePlanar, the code the CLI's
// `denoise` runs for each of its inputs in one process. After each image the allocator is back at
// its mark; wasm memory grows to the largest tile model once (the first pass) and never again; after
// two passes of warm-up two more leave the JS heap + external memory within a few MB, and RSS
// within the allocators' noise (see RSS_SLACK_MB). And pointers above 2 GiB stay unsigned on the
// JavaScript side.
import { test } from "node:test";
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { SEED } from "../host/core/arch.js";
import { denoisePlanar } from "../host/core/denoise.js";
import type { PlanarImage } from "../host/core/image.js";
import { Model } from "../host/core/model.js";
import { openNodeEngine, nodePool } from "../host/node/engine.js";
import { PACKAGE_ROOT, readSafetensors } from "../host/node/files.js";
import { archOf, applyWeights } from "../host/core/weights.js";
import { testRandom } from "./helpers.js";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;
/**
 * Bounds on growth over the two measured passes (MB). The JS heap + external memory (exact
 * bookkeeping: a leaked copy of one image's planes would be 0.5–1.5 MB) is held to a few MB. RSS
 * moves in steps with nothing leaked — with the JS heap flat at 4.4 MB it stepped by 9 and 17 MB
 * over ten passes (the C allocator and V8 keep freed pages) — so it gets the looser bound.
 */
const IMAGES = 50,
  SLACK_MB = 6,
  RSS_SLACK_MB = 24;
const mb = (b: number) => (b / 2 ** 20).toFixed(1);

test(`${IMAGES} images of random sizes, 2 + 2 passes in one process (1 + 1 on 2 threads): allocator back at its mark after each image, wasm memory flat, JS heap flat within ${SLACK_MB} MB after 2 passes`, async () => {
  const path = `${PACKAGE_ROOT}data/seed-mixed.safetensors`,
    st = readSafetensors(path),
    arch = archOf(st, path, "seed");
  const signed = testRandom(23),
    r = () => (signed() + 1) / 2;
  const sizes = Array.from({ length: IMAGES }, (_, i) => ({
    w: 1 + Math.floor(r() * 240),
    h: 1 + Math.floor(r() * 240),
    colour: i % 3 === 0,
  }));
  const image = ({ w, h, colour }: (typeof sizes)[number], k: number): PlanarImage => ({
    width: w,
    height: h,
    planes: Array.from({ length: colour ? 3 : 1 }, (_, c) =>
      Float32Array.from({ length: w * h }, (_, i) => ((i * 31 + k * 7 + c * 50) % 256) / 255),
    ),
  });
  const report: string[] = [];
  for (const threads of [1, 2]) {
    const engine = await openNodeEngine({ build: "strict", threads: threads > 1 });
    const pool = threads > 1 ? await nodePool(engine, threads) : undefined;
    try {
      const mark = engine.heapTop(),
        // Above the smallest tile's model, below the larger images' whole ones (their inference
        // workspaces are bands of rows: 3.1–6.7 MiB whole on 1 thread, 5.4–12.6 on 2).
        budget = (threads > 1 ? 8.5 : 4.5) * 2 ** 20;
      const tiled = new Set<number>();
      const run = (k: number) => {
        const out = denoisePlanar(arch, image(sizes[k], k), {
          engine,
          pool,
          load: (m) => applyWeights(m, st, path),
          tile: "auto",
          maxBytes: budget,
          colour: "luma-chroma",
          clamp: false,
          progress: (_, total) => {
            if (total > 1) tiled.add(k);
          },
        });
        assert.equal(engine.heapTop(), mark, `image ${k} (${sizes[k].w}×${sizes[k].h}): its model was not given back`);
        assert.equal(out.planes[0].length, sizes[k].w * sizes[k].h);
      };
      const sample = async () => {
        gc();
        await new Promise((r) => setTimeout(r, 100)); // V8 frees ArrayBuffer stores on a background sweeper
        gc();
        const m = process.memoryUsage();
        return { rss: m.rss, js: m.heapUsed + m.external, wasm: engine.memory.buffer.byteLength };
      };
      const start = await sample();
      const pass = () => {
        const t0 = performance.now();
        for (let k = 0; k < IMAGES; k++) run(k);
        if (process.env.MEMDEBUG) console.log(`# pass ${threads}: ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      };
      // Warm-up passes: the JIT, wasm memory grown to the largest tile model, the C and V8 heaps
      // settled. The 2-thread run, slower per image on a busy 2-core machine, does one of each.
      const passes = threads > 1 ? 1 : 2;
      for (let i = 0; i < passes; i++) pass();
      const warm = await sample();
      for (let i = 0; i < passes; i++) pass();
      const end = await sample();
      assert.ok(
        tiled.size > 5 && tiled.size < IMAGES - 5,
        `${tiled.size} of ${IMAGES} images went in tiles: the test should have both kinds`,
      );
      assert.ok(
        warm.wasm <= mark + budget + 65536,
        `wasm memory ${warm.wasm} over the mark ${mark} + budget ${budget}`,
      );
      assert.equal(end.wasm, warm.wasm, "wasm memory grew on later passes over the same sizes");
      const drss = end.rss - warm.rss,
        djs = end.js - warm.js;
      report.push(
        `${threads} thread(s): wasm ${mb(start.wasm)} → ${mb(warm.wasm)} → ${mb(end.wasm)} MiB (tile budget ${mb(budget)}), ${tiled.size} in tiles, RSS ${mb(start.rss)} → ${mb(warm.rss)} → ${mb(end.rss)} MiB, JS heap + external ${mb(start.js)} → ${mb(warm.js)} → ${mb(end.js)} MiB`,
      );
      assert.ok(drss < RSS_SLACK_MB * 2 ** 20, `RSS grew by ${mb(drss)} MB over the measured passes`);
      assert.ok(djs < SLACK_MB * 2 ** 20, `JS heap + external grew by ${mb(djs)} MB over the measured passes`);
    } finally {
      pool?.close();
    }
  }
  const px = sizes.map((s) => s.w * s.h);
  console.log(
    `# ${IMAGES} images (${Math.min(...px)}–${Math.max(...px)} px, a third colour) per run, one process each: ${report.join("; ")}`,
  );
});

test("pointers above 2 GiB are unsigned on the JavaScript side: a model built there runs and reads back like one built low", async () => {
  const low = await openNodeEngine({ build: "strict" }),
    high = await openNodeEngine({ build: "strict" });
  const mark = high.heapTop();
  high.exports.alloc(2 ** 31); // untouched pages: reserved, not resident
  const run = (engine: typeof low) => {
    const model = new Model(engine, SEED, 2);
    model.init(3);
    model.inputView(2).forEach((_, i, a) => {
      a[i] = (i % 97) / 97;
    });
    model.forward(2);
    const out = { first: model.input, top: engine.heapTop(), output: model.outputView(2).slice() };
    model.dispose();
    return out;
  };
  const a = run(low),
    b = run(high);
  assert.ok(b.first >= 2 ** 31 && b.top > 2 ** 31, `pointers ${b.first}, ${b.top} are not above 2 GiB`);
  assert.ok(
    Buffer.from(a.output.buffer).equals(Buffer.from(b.output.buffer)),
    "a model above 2 GiB computes something else",
  );
  high.exports.release(mark);
  assert.equal(high.heapTop(), mark);
  console.log(`# a model at ${mb(b.first)} MiB (top ${mb(b.top)} MiB): same output bits as at ${mb(a.first)} MiB`);
});

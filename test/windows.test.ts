// Output windows (host/core/windows.ts): a tile's layers run only over what its core depends on, and
// the core's output keeps its bits: the photo model in tiles with windows against the same tiles run
// whole, in every build, on 1 and 2 threads, the threads sharing a tile or taking one each. And the
// windows are what they should be: the last layer's is the core, the earliest layers' the whole tile,
// and the halo's share of a 12 MP photo's work falls from +14.6 % to +11.4 %.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { denoiseTiles, type TilingInfo } from "../host/core/denoise.js";
import { planLayers } from "../host/core/plan.js";
import { reachOf, tileGrid } from "../host/core/tiles.js";
import { archOf, applyWeights } from "../host/core/weights.js";
import { outputWindows, WINDOW_STEP, windowedShare } from "../host/core/windows.js";
import { nodePool, openNodeEngine } from "../host/node/engine.js";
import { readSafetensors } from "../host/node/files.js";
import { runnable, testRandom } from "./helpers.js";

const PHOTO = fileURLToPath(new URL("../../data/photo.safetensors", import.meta.url));
const st = readSafetensors(PHOTO),
  arch = archOf(st, PHOTO, "cunet32");

function planes(width: number, height: number, seed: number): Float32Array[] {
  const r = testRandom(seed);
  return [0, 1, 2].map((c) => {
    const data = new Float32Array(width * height);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        data[y * width + x] = Math.min(
          1,
          Math.max(0, 0.5 + 0.3 * Math.sin((x + 7 * c) / 9) * Math.cos(y / 13) + 0.2 * (r() - 0.5)),
        );
    return data;
  });
}

test("windows: the last layer's is the tile's core, rounded to whole Winograd tiles; the first layers' the whole tile; none outside its layer", () => {
  const { layers } = planLayers({ ...arch, input: [4, 320, 448] });
  const core = { y0: 64, y1: 256, x0: 0, x1: 384 }; // a tile at the frame's left edge: no halo on that side
  const w = outputWindows(layers, core);
  const last = w[w.length - 1];
  assert.deepEqual(last, core);
  assert.deepEqual(w[0], { y0: 0, y1: 320, x0: 0, x1: 448 }, "the first layer: the whole tile");
  layers.forEach((l, i) => {
    const [, H, W] = l.outShape,
      r = w[i];
    assert.ok(
      r.y0 >= 0 && r.y1 <= H && r.x0 >= 0 && r.x1 <= W && r.y0 < r.y1 && r.x0 < r.x1,
      `layer ${i}: ${JSON.stringify(r)} in ${H}×${W}`,
    );
    if (l.geom) {
      for (const [v, n] of [
        [r.y0, H],
        [r.y1, H],
        [r.x0, W],
        [r.x1, W],
      ])
        assert.ok(v % WINDOW_STEP === 0 || v === n, `layer ${i}: ${v} is not a tile boundary`);
    }
  });
  // The decoder's full-resolution layers need little more than the core.
  const dec = layers.findIndex((l) => l.spec.type === "conv2d" && l.spec.name === "dec1.0");
  assert.ok(w[dec].y0 >= 56 && w[dec].y1 <= 264, `dec1.0 rows ${w[dec].y0}..${w[dec].y1}`);
});

test("windows: a 12 MP photo's tiles (8 of 1096 × 1568 on 2 threads) run 3 points of halo less: +11.4 % more work than its own pixels, not +14.6 %", () => {
  const reach = reachOf(arch),
    grid = tileGrid(3000, 4000, { h: 1568, w: 1096 }, reach);
  const { layers } = planLayers({ ...arch, input: [4, grid.th, grid.tw] });
  const work = grid.tiles.reduce((s, t) => {
    const w = outputWindows(layers, { y0: t.cy - t.y, y1: t.cy - t.y + t.ch, x0: t.cx - t.x, x1: t.cx - t.x + t.cw });
    return s + grid.th * grid.tw * windowedShare(layers, w, (i) => layers[i].geom !== undefined);
  }, 0);
  const tiled = (grid.tiles.length * grid.th * grid.tw) / 12e6 - 1,
    windowed = work / 12e6 - 1;
  console.log(
    `# 4000 × 3000 in ${grid.tiles.length} tiles of ${grid.tw} × ${grid.th}: halo +${(100 * tiled).toFixed(1)} % of the pixels, +${(100 * windowed).toFixed(1)} % of the work with windows`,
  );
  assert.ok(Math.abs(tiled - 0.1457) < 5e-4, `tiled +${(100 * tiled).toFixed(2)} %`);
  assert.ok(windowed < 0.115, `halo +${(100 * windowed).toFixed(1)} % with windows`);
});

for (const build of ["scalar", "strict", "relaxed"] as const) {
  test(`windows: the photo model's tiles give the same bits with windows as run whole (${build}; 1 thread, 2 sharing a tile, 2 taking one each)`, {
    skip: !runnable(build),
  }, async () => {
    const engine = await openNodeEngine({ build, threads: build !== "scalar" });
    const width = 333,
      height = 277,
      input = planes(width, height, 3);
    const pool = build === "scalar" ? undefined : await nodePool(engine, 2);
    try {
      const layouts: [string, boolean | undefined, boolean][] = [["1 thread", undefined, false]];
      if (pool) layouts.push(["2 threads sharing", true, true], ["2 threads, a tile each", false, true]);
      for (const [what, shared, threaded] of layouts) {
        let info: TilingInfo | undefined;
        const run = (windows: boolean) =>
          denoiseTiles(
            arch,
            width,
            height,
            input,
            {
              engine,
              pool: threaded ? pool : undefined,
              load: (m) => applyWeights(m, st, PHOTO),
              tile: 224,
              maxBytes: 2 ** 30,
              shared,
              windows,
              onTiles: (t) => {
                info = t;
              },
            },
            0.08,
          );
        const whole = run(false),
          tiledInfo = info!,
          windowed = run(true);
        whole.forEach((p, c) => {
          const a = new Uint32Array(p.buffer),
            b = new Uint32Array(windowed[c].buffer);
          const at = a.findIndex((v, i) => v !== b[i]);
          assert.equal(at, -1, `${what}: plane ${c} differs at pixel ${at} (${p[at]} against ${windowed[c][at]})`);
        });
        assert.ok(
          info!.overhead < tiledInfo.overhead,
          `${what}: windows' overhead ${info!.overhead} ≥ ${tiledInfo.overhead}`,
        );
        console.log(
          `# ${build}, ${what}: ${info!.count} tiles of ${info!.tw} × ${info!.th}; halo +${(100 * tiledInfo.overhead).toFixed(0)} % → +${(100 * info!.overhead).toFixed(0)} % with windows; same bits`,
        );
      }
    } finally {
      pool?.close();
    }
  });
}

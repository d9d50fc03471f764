// Tiled denoising (host/core/tiles.ts, denoiseTiled) gives the whole-image pass's output, with one
// tile-sized inference model whatever the image's size: for the seed and the shipped unet24, on one
// and two threads; a halo below the receptive field shows the check can fail; memory stays within
// the budget and flat.
import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { ARCHS, type Arch } from "../host/core/arch.js";
import {
  autoTile,
  autoTileSize,
  denoiseImage,
  denoiseTiled,
  denoiseTiles,
  gridCost,
  paddedSize,
  tilePlan,
} from "../host/core/denoise.js";
import type { GrayImage } from "../host/core/image.js";
import { Model } from "../host/core/model.js";
import { reachOf, tileGrid } from "../host/core/tiles.js";
import { archOf, applyWeights } from "../host/core/weights.js";
import { openNodeEngine, nodePool } from "../host/node/engine.js";
import { readSafetensors } from "../host/node/files.js";
import { diff, runnable, testRandom } from "./helpers.js";

const DEFAULT = fileURLToPath(new URL("../../data/default.safetensors", import.meta.url));
const SEED_W = fileURLToPath(new URL("../../data/seed-mixed.safetensors", import.meta.url));
const PHOTO = fileURLToPath(new URL("../../data/photo.safetensors", import.meta.url));

/** A photo-like test image: smooth shapes plus noise, values in [0, 1]. */
function image(width: number, height: number, seed: number): GrayImage {
  const r = testRandom(seed),
    data = new Float32Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const v =
        0.5 +
        0.3 * Math.sin(x / 9) * Math.cos(y / 13) +
        (Math.hypot(x - width / 3, y - height / 2) < height / 4 ? 0.2 : 0) +
        0.2 * (r() - 0.5);
      data[y * width + x] = Math.min(1, Math.max(0, v));
    }
  }
  return { width, height, data };
}

test("reach: a 3×3 conv sees 1 pixel around, strides multiply it; unet24 needs tiles aligned to 4", () => {
  const one: Arch = {
    name: "c",
    description: "",
    input: [1, 8, 8],
    layers: [{ type: "conv2d", name: "c", out: 1, kernel: 3, padding: 1 }],
  };
  assert.deepEqual(reachOf(one), { radius: 1, align: 1 });
  const r = reachOf(archOf(readSafetensors(DEFAULT), DEFAULT, "unet24"));
  assert.equal(r.align, 4);
  assert.ok(r.radius >= 16 && r.radius <= 48, `unet24 radius ${r.radius}`);
});

test("tile grids: cores cover the frame once, tiles aligned and inside it with a full halo, as few tiles as the size allows and no larger than they need be", () => {
  const reach = reachOf(ARCHS.cunet32),
    halo = Math.ceil(reach.radius / reach.align) * reach.align;
  const r = testRandom(5),
    u = () => (r() + 1) / 2;
  for (let k = 0; k < 300; k++) {
    const fh = reach.align * (1 + Math.floor(u() * 600)),
      fw = reach.align * (1 + Math.floor(u() * 600)),
      side = () => 2 * halo + 4 * reach.align + Math.floor(u() * 3000);
    // square tiles, or a rectangle (autoTileSize's strips)
    const tile = k % 2 ? side() : { h: side(), w: side() },
      { h: tileH, w: tileW } = typeof tile === "number" ? { h: tile, w: tile } : tile;
    const { th, tw, tiles } = tileGrid(fh, fw, tile, reach);
    const owner = new Uint8Array(fh * fw);
    for (const t of tiles) {
      assert.ok(t.y % reach.align === 0 && t.x % reach.align === 0, "a tile starts off the alignment");
      assert.ok(t.y >= 0 && t.x >= 0 && t.y + th <= fh && t.x + tw <= fw, "a tile leaves the frame");
      if (t.cy > 0) assert.ok(t.cy - t.y >= reach.radius, "short halo above");
      if (t.cx > 0) assert.ok(t.cx - t.x >= reach.radius, "short halo left");
      if (t.cy + t.ch < fh) assert.ok(t.y + th - (t.cy + t.ch) >= reach.radius, "short halo below");
      if (t.cx + t.cw < fw) assert.ok(t.x + tw - (t.cx + t.cw) >= reach.radius, "short halo right");
      for (let y = t.cy; y < t.cy + t.ch; y++) for (let x = t.cx; x < t.cx + t.cw; x++) owner[y * fw + x]++;
    }
    assert.ok(
      owner.every((c) => c === 1),
      `${fw}×${fh} in tiles of ${tileH}×${tileW}: a pixel owned by none or two`,
    );
    // Per axis: as many tiles as tiles of the largest size need, each as small as that count allows.
    for (const [n, size, count, tile] of [
      [fh, th, new Set(tiles.map((t) => t.y)).size, tileH],
      [fw, tw, new Set(tiles.map((t) => t.x)).size, tileW],
    ]) {
      const most = Math.min(n, Math.floor(tile / reach.align) * reach.align);
      assert.ok(size <= most);
      if (most >= n) continue;
      assert.equal(count, 1 + Math.ceil((n - most) / (most - 2 * halo)), "more tiles than the largest size needs");
      const smaller = size - reach.align;
      assert.ok(count * smaller - 2 * (count - 1) * halo < n, `tiles of ${smaller} would do as well as ${size}`);
    }
  }
});

/**
 * The fast 3×3 paths (every build) pick their form by layer size (Winograd tile side, the stride-2
 * Winograd where it saves enough products), and a Winograd tile's rounding mixes its pixels, so tiles
 * may round differently from the whole image: equal within 5e-5 (seed's stride-2 layers take the
 * Winograd path in 160 px tiles and the GEMM on the whole image: 1.0e-5 strict, 1.4e-5 relaxed measured).
 */
const TILES_TOLERANCE = 5e-5;

test("tiled denoising equals the whole-image pass (seed, unet24; 1 thread, 2 threads sharing each tile or taking a tile each), and a short halo does not", async () => {
  const single = await openNodeEngine({ build: "strict" });
  const threaded = await openNodeEngine({ build: "strict", threads: true });
  const pool = await nodePool(threaded, 2);
  const rows: string[] = [];
  try {
    for (const path of [SEED_W, DEFAULT]) {
      const st = readSafetensors(path),
        arch = archOf(st, path, "seed");
      // Tiles of 64 px for unet24 (radius 16); 160 for seed (radius 28, its 7×7 bottleneck).
      const tile = arch.name === "seed" ? 160 : 64;
      const img = arch.name === "seed" ? image(331, 257, 3) : image(157, 123, 3);
      const [h, w] = paddedSize(arch, img.height, img.width);
      const whole = new Model(single, { ...arch, input: [1, h, w] }, 1, undefined, { inference: true });
      applyWeights(whole, st, path);
      const ref = denoiseImage(whole, img, h, w);
      whole.dispose();
      for (const [engine, p, shared] of [
        [single, undefined, false],
        [threaded, pool, true],
        [threaded, pool, false],
      ] as const) {
        const before = engine.heapTop();
        const tiled = denoiseTiled(arch, img, {
          engine,
          pool: p,
          load: (m) => applyWeights(m, st, path),
          tile,
          maxBytes: 2 ** 30,
          shared,
        });
        assert.equal(engine.heapTop(), before, "the tile model was not given back");
        const d = diff(tiled.data, ref.data);
        const threads = p ? `2 threads ${shared ? "sharing each tile" : "a tile each"}` : "1 thread";
        rows.push(
          `${arch.name} (reach ${reachOf(arch).radius} px), ${img.width}×${img.height}, ${threads}, ${tileGrid(h, w, tile, reachOf(arch)).tiles.length} tiles of ${tile}: max|Δ| ${d.maxAbs.toExponential(2)}`,
        );
        assert.ok(d.maxAbs <= TILES_TOLERANCE, `${arch.name}: tiles differ from the whole image by ${d.maxAbs}`);
      }
      if (runnable("relaxed")) {
        const relaxed = await openNodeEngine({ build: "relaxed" });
        const wr = new Model(relaxed, { ...arch, input: [1, h, w] }, 1, undefined, { inference: true });
        applyWeights(wr, st, path);
        const refR = denoiseImage(wr, img, h, w);
        wr.dispose();
        const d = diff(
          denoiseTiled(arch, img, { engine: relaxed, load: (m) => applyWeights(m, st, path), tile, maxBytes: 2 ** 30 })
            .data,
          refR.data,
        );
        rows.push(`${arch.name}, relaxed build, tiles of ${tile}: max|Δ| ${d.maxAbs.toExponential(2)}`);
        assert.ok(d.maxAbs <= TILES_TOLERANCE, `${arch.name} relaxed: tiles differ by ${d.maxAbs}`);
      }
      if (arch.name === "unet24") {
        // The same tiles with a halo a quarter of the receptive field: the seams between cores show.
        const r = reachOf(arch);
        const short = denoiseTiled(arch, img, {
          engine: single,
          load: (m) => applyWeights(m, st, path),
          tile,
          maxBytes: 2 ** 30,
          reach: { ...r, radius: Math.floor(r.radius / 4) },
        });
        const d = diff(short.data, ref.data);
        rows.push(
          `${arch.name} with a halo of ${Math.floor(r.radius / 4)} px: max|Δ| ${d.maxAbs.toExponential(2)} (must fail)`,
        );
        assert.ok(d.maxAbs > 1e-3, `a short halo went unnoticed (${d.maxAbs})`);
      }
    }
  } finally {
    pool.close();
  }
  console.log(`# tiles vs whole image:\n${rows.map((r) => `#   ${r}`).join("\n")}`);
});

test("the photo model (cunet32) in tiles of its exact receptive field equals the whole image, and a halo one step shorter does not", async () => {
  const engine = await openNodeEngine({ build: "strict" });
  const st = readSafetensors(PHOTO),
    arch = archOf(st, PHOTO, "cunet32"),
    reach = reachOf(arch);
  const planes = [0, 1, 2].map((c) => image(184, 184, 11 + c).data);
  const run = (tile: number, r = reach) =>
    denoiseTiles(
      arch,
      184,
      184,
      planes,
      { engine, load: (m) => applyWeights(m, st, PHOTO), tile, maxBytes: 2 ** 30, reach: r },
      0.1,
    );
  const whole = run(4096),
    tiled = run(2 * 64 + 32),
    short = run(2 * 64 + 32, { ...reach, radius: reach.radius - reach.align });
  const d = Math.max(...tiled.map((p, c) => diff(p, whole[c]).maxAbs)),
    ds = Math.max(...short.map((p, c) => diff(p, whole[c]).maxAbs));
  console.log(
    `# cunet32, 184×184 colour in 4 tiles of 160: halo of radius ${reach.radius}: max|Δ| ${d.toExponential(2)}; radius ${reach.radius - reach.align}: ${ds.toExponential(2)}`,
  );
  assert.equal(reach.radius, 62); // a halo of 64 (88 before the reach was exact)
  assert.ok(d <= 1e-5, `tiles differ from the whole image by ${d}`);
  assert.ok(ds > 1e-5, `a halo ${reach.align} px short went unnoticed (${ds})`);
});

test("a large image denoises in tiles within the memory budget, and memory stays flat over images of several sizes", async () => {
  const engine = await openNodeEngine({ build: "relaxed" }).catch(() => openNodeEngine({ build: "strict" }));
  const st = readSafetensors(DEFAULT),
    arch = archOf(st, DEFAULT, "unet24");
  const budget = 64 * 2 ** 20;
  const run = (img: GrayImage) =>
    denoiseTiled(arch, img, { engine, load: (m) => applyWeights(m, st, DEFAULT), tile: "auto", maxBytes: budget });
  const big = image(1500, 1100, 5);
  const [fh, fw] = paddedSize(arch, big.height, big.width);
  const t = autoTile(engine, arch, fh, fw, 1, 1, budget);
  const plan = tilePlan(engine, arch, Math.min(t, fh), Math.min(t, fw), 1, 1);
  assert.ok(plan.total <= budget, `tile model ${plan.total} > budget ${budget}`);
  const top = engine.heapTop();
  const out = run(big);
  assert.equal(out.data.length, big.data.length);
  assert.ok(out.data.every(Number.isFinite));
  // Each image's tile model fits the budget; wasm memory grows to the largest of them once, then stays.
  const sizes = [
    [300, 200],
    [1500, 1100],
    [77, 1300],
    [640, 480],
  ];
  for (const [w, h] of sizes) run(image(w, h, w));
  const bytes = engine.memory.buffer.byteLength;
  assert.ok(bytes <= top + budget + 65536, `wasm memory ${bytes} over the allocator's base ${top} + budget ${budget}`);
  for (const [w, h] of sizes) run(image(w, h, w + 1));
  assert.equal(engine.memory.buffer.byteLength, bytes, "memory grew on a second pass over the same sizes");
  assert.equal(engine.heapTop(), top);
  console.log(
    `# 1500×1100 in tiles of ${t} px: tile model ${(plan.total / 2 ** 20).toFixed(1)} MiB (budget ${budget / 2 ** 20} MiB); wasm memory flat over 4 more images`,
  );
});

test("auto tiles: the whole frame when it fits; else a grid within the budget that costs no more than autoTile's squares in the layout it picks (a 1 MP photo on 2 threads: one tile, the threads sharing it)", async () => {
  const engine = await openNodeEngine({ build: "strict" });
  const arch = ARCHS.cunet32,
    reach = reachOf(arch),
    budget = 512 * 2 ** 20;
  const cost = (g: { th: number; tw: number; tiles: readonly unknown[] }, T: number, shared: boolean) =>
    gridCost(g.tiles.length, g.th, g.tw, T, shared);
  for (const [h, w, T] of [
    [1024, 1024, 1],
    [1024, 1024, 2],
    [3000, 4000, 2],
    [2000, 3000, 2],
    [300, 5000, 2],
    [3000, 4000, 3],
  ]) {
    const [fh, fw] = paddedSize(arch, h, w);
    const t = autoTileSize(engine, arch, fh, fw, T, budget),
      grid = tileGrid(fh, fw, t, reach);
    const batch = t.shared ? 1 : T;
    const plan = tilePlan(engine, arch, grid.th, grid.tw, batch, T, t.shared);
    assert.ok(
      plan.total <= budget - engine.heapTop(),
      `${w}×${h}, ${T} threads: ${grid.th}×${grid.tw} tiles over the budget`,
    );
    // Neither layout's squares cost less than the pick.
    for (const shared of T > 1 ? [true, false] : [false]) {
      const square = tileGrid(fh, fw, autoTile(engine, arch, fh, fw, shared ? 1 : T, T, budget, shared), reach);
      assert.ok(
        cost(grid, T, t.shared) <= cost(square, T, shared),
        `${w}×${h}, ${T} threads: the pick costs more than the squares ${shared ? "shared" : "a tile per thread"}`,
      );
    }
    if (T === 1) assert.equal(t.shared, false);
    if (h === 1024) assert.deepEqual([grid.tiles.length, grid.th, grid.tw], [1, fh, fw], "a 1 MP photo: one tile");
    if (T === 2 && h === 1024) assert.ok(t.shared, "a 1 MP photo on 2 threads: the threads share its layers");
    if (T === 2 && h === 3000)
      assert.ok(Math.min(grid.th, grid.tw) >= 1024, "a 12 MP photo on 2 threads: tiles of 1024 or more");
  }
});

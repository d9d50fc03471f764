// The eight symmetries (host/core/symmetry.ts) and the self-ensemble built on them (denoisePlane in
// host/core/denoise.ts): transforms invert exactly and match training's patch copy; the ensemble's
// output is equivariant under every flip / rotation of its input, which a plain pass of a model with
// unsymmetric kernels is not (so the check can fail).
import { test } from "node:test";
import assert from "node:assert/strict";
import { denoisePlanar } from "../host/core/denoise.js";
import { copyPatch } from "../host/core/patches.js";
import { transformPlane } from "../host/core/symmetry.js";
import { loadEngineNode } from "../host/node/engine.js";
import { diff, testRandom, TINY_PHOTO_ARCH } from "./helpers.js";

function plane(w: number, h: number, seed: number): Float32Array {
  const r = testRandom(seed);
  return Float32Array.from({ length: w * h }, () => 0.5 + 0.4 * r());
}

test("transformPlane: the eight transforms are distinct, each inverts exactly, and on a square equals copyPatch", () => {
  const w = 5, h = 3, x = plane(w, h, 1);
  const seen = new Set<string>();
  for (let t = 0; t < 8; t++) {
    const y = transformPlane(x, w, h, t);
    seen.add(y.join(","));
    assert.deepEqual(transformPlane(y, w, h, t, true), x, `transform ${t} does not invert`);
  }
  assert.equal(seen.size, 8);
  // t = 4 is the transpose: row r of the output is column r of the input.
  const tr = transformPlane(x, w, h, 4);
  for (let r = 0; r < w; r++) for (let c = 0; c < h; c++) assert.equal(tr[r * h + c], x[c * w + r]);
  const P = 4, sq = plane(P, P, 2);
  for (let t = 0; t < 8; t++) {
    const patch = new Float32Array(P * P);
    copyPatch(patch, 0, sq, P, 0, 0, P, t);
    assert.deepEqual(patch, transformPlane(sq, P, P, t), `copyPatch and transformPlane disagree on transform ${t}`);
  }
});

test("self-ensemble: equivariant under each flip / rotation of the input, unlike one pass of the model", async () => {
  const arch = TINY_PHOTO_ARCH;
  const engine = await loadEngineNode({ build: "strict" });
  const w = 37, h = 22, x = plane(w, h, 3);
  // Small tiles, so the ensemble goes through the tiled path with grids that differ when transposed.
  const opts = { engine, load: (m: { init(seed: number): void }) => m.init(1), tile: 24, maxBytes: 2 ** 28 };
  const run = (data: Float32Array, width: number, height: number, ensemble: boolean) =>
    denoisePlanar(arch, { width, height, planes: [data] }, { ...opts, ensemble }).planes[0];
  const ens = run(x, w, h, true);
  let plainWorst = 0;
  for (let t = 1; t < 8; t++) {
    const tw = t & 4 ? h : w, th = t & 4 ? w : h, xt = transformPlane(x, w, h, t);
    const d = diff(run(xt, tw, th, true), transformPlane(ens, w, h, t));
    assert.ok(d.maxAbs <= 1e-6, `transform ${t}: the ensemble is off by ${d.maxAbs}`);
    plainWorst = Math.max(plainWorst, diff(run(xt, tw, th, false), transformPlane(run(x, w, h, false), w, h, t)).maxAbs);
  }
  assert.ok(plainWorst > 1e-3, `one pass of the model is already equivariant (${plainWorst}): the check cannot fail`);
  let progress = -1, total = 0;
  denoisePlanar(arch, { width: w, height: h, planes: [x] }, {
    ...opts, ensemble: true, progress: (d, n) => { assert.ok(d >= progress && d <= n, `progress ${d} of ${n} after ${progress}`); progress = d; total = n; },
  });
  assert.equal(progress, total, "the progress does not end at its total");
});

// The eight symmetries (host/core/symmetry.ts) and the self-ensemble built on them (denoisePlane in
// host/core/denoise.ts): transforms invert exactly and match training's patch copy; the ensemble's
// output is equivariant under every flip / rotation of its input, which a plain pass of a model with
// unsymmetric kernels is not (so the check can fail).
import { test } from "node:test";
import assert from "node:assert/strict";
import { denoisePlanar } from "../host/core/denoise.js";
import type { GrayImage } from "../host/core/image.js";
import { copyPatch } from "../host/core/patches.js";
import { transformImage } from "../host/core/symmetry.js";
import { openNodeEngine } from "../host/node/engine.js";
import { diff, testRandom, TINY_PHOTO_ARCH } from "./helpers.js";

function plane(w: number, h: number, seed: number): Float32Array {
  const r = testRandom(seed);
  return Float32Array.from({ length: w * h }, () => 0.5 + 0.4 * r());
}

test("transformImage: the eight transforms are distinct, each inverts exactly, and on a square equals copyPatch", () => {
  const w = 5,
    h = 3,
    x = { width: w, height: h, data: plane(w, h, 1) };
  const seen = new Set<string>();
  for (let t = 0; t < 8; t++) {
    const y = transformImage(x, t);
    seen.add(y.data.join(","));
    assert.deepEqual(transformImage(y, t, true), x, `transform ${t} does not invert`);
  }
  assert.equal(seen.size, 8);
  // t = 4 is the transpose: row r of the output is column r of the input.
  const tr = transformImage(x, 4);
  assert.deepEqual([tr.width, tr.height], [h, w]);
  for (let r = 0; r < w; r++) for (let c = 0; c < h; c++) assert.equal(tr.data[r * h + c], x.data[c * w + r]);
  const P = 4,
    sq = plane(P, P, 2);
  for (let t = 0; t < 8; t++) {
    const patch = new Float32Array(P * P);
    copyPatch(patch, 0, sq, P, 0, 0, P, t);
    assert.deepEqual(
      patch,
      transformImage({ width: P, height: P, data: sq }, t).data,
      `copyPatch and transformImage disagree on transform ${t}`,
    );
  }
});

test("self-ensemble: equivariant under each flip / rotation of the input, unlike one pass of the model", async () => {
  const arch = TINY_PHOTO_ARCH;
  const engine = await openNodeEngine({ build: "strict" });
  const w = 37,
    h = 22,
    x = { width: w, height: h, data: plane(w, h, 3) };
  // Small tiles, so the ensemble goes through the tiled path with grids that differ when transposed.
  const opts = { engine, load: (m: { init(seed: number): void }) => m.init(1), tile: 24, maxBytes: 2 ** 28 };
  const run = (img: GrayImage, ensemble: boolean): GrayImage => ({
    width: img.width,
    height: img.height,
    data: denoisePlanar(arch, { width: img.width, height: img.height, planes: [img.data] }, { ...opts, ensemble })
      .planes[0],
  });
  const ens = run(x, true);
  let plainWorst = 0;
  for (let t = 1; t < 8; t++) {
    const xt = transformImage(x, t);
    const d = diff(run(xt, true).data, transformImage(ens, t).data);
    assert.ok(d.maxAbs <= 1e-6, `transform ${t}: the ensemble is off by ${d.maxAbs}`);
    plainWorst = Math.max(plainWorst, diff(run(xt, false).data, transformImage(run(x, false), t).data).maxAbs);
  }
  assert.ok(plainWorst > 1e-3, `one pass of the model is already equivariant (${plainWorst}): the check cannot fail`);
  let progress = -1,
    total = 0;
  denoisePlanar(
    arch,
    { width: w, height: h, planes: [x.data] },
    {
      ...opts,
      ensemble: true,
      progress: (d, n) => {
        assert.ok(d >= progress && d <= n, `progress ${d} of ${n} after ${progress}`);
        progress = d;
        total = n;
      },
    },
  );
  assert.equal(progress, total, "the progress does not end at its total");
});

// The library's API (host/api.ts through the Node entry, as `import "denoise-wasm"` gives it):
// denoise takes a gray Float32Array or planes and returns the same kind; training on arrays is
// reproducible from its seed, reports every batch, and stops at a batch boundary on an AbortSignal;
// its bytes load back as weights; bad input is refused with a message naming it.
import { test } from "node:test";
import assert from "node:assert/strict";
import { availableParallelism } from "node:os";
import { denoise, fromRGBA, loadEngine, loadWeights, toRGBA, train, weightsFromBytes } from "../host/node/index.js";

const rt = await loadEngine({ build: "strict" });
const S = 28,
  count = 48;
const arrays = {
  width: S,
  height: S,
  count,
  data: new Float32Array(count * S * S).map((_, i) => ((i * 7919) % 997) / 997),
};

test("denoise: a gray Float32Array and the same pixels as one plane give the same output; colour keeps its kind", async () => {
  const w = await loadWeights("photo");
  const data = new Float32Array(45 * 400).map((_, i) => ((i * 31) % 101) / 101);
  const gray = denoise(rt, w, { width: 45, height: 400, data });
  const planar = denoise(rt, w, { width: 45, height: 400, planes: [data] }, { tile: 224 }); // the photo model's halo is 88 px
  assert.deepEqual([gray.width, gray.height, gray.data.length], [45, 400, 45 * 400]);
  // Tiles round like the whole image within 5e-5 (test/tiles.test.ts: the fast 3×3 paths pick their form by layer size).
  let worst = 0;
  gray.data.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - planar.planes[0][i]))));
  assert.ok(worst <= 5e-5, `tiled planes differ from the whole-image gray by ${worst}`);
  const rgba = new Uint8ClampedArray(4 * 6 * 5).map((_, i) => (i % 4 === 3 ? 255 : (i * 37) % 256));
  const out = denoise(rt, w, fromRGBA({ width: 6, height: 5, data: rgba }));
  assert.equal(out.planes.length, 3);
  assert.equal(toRGBA(out).data.length, rgba.length);
  assert.throws(
    () => denoise(rt, w, { width: 45, height: 31, data: new Float32Array(10) }),
    /Float32Array of 45×31 = 1395 samples/,
  );
  const nan = new Float32Array(6 * 5);
  nan[2 * 6 + 4] = NaN;
  assert.throws(() => denoise(rt, w, { width: 6, height: 5, data: nan }), /sample at x 4, y 2 is NaN/);
  assert.throws(
    () => denoise(rt, w, { width: 6, height: 5, planes: [new Float32Array(30), nan, new Float32Array(30)] }),
    /sample of plane 1 at x 4, y 2 is NaN/,
  );
});

test("loadEngine in Node: a thread per core unless told (as the CLI), one with the scalar build", async () => {
  assert.equal(rt.threads, Math.min(availableParallelism(), 64));
  const one = await loadEngine({ build: "strict", threads: 1 }),
    scalar = await loadEngine({ build: "scalar" });
  assert.deepEqual([one.threads, scalar.threads], [1, 1]);
  one.close();
  scalar.close();
});

test("train on arrays: reproducible from the seed, progress per batch, stops on an AbortSignal, bytes load back", async () => {
  const seen: number[] = [];
  const opts = { arch: "unet16", noise: "gaussian" as const, sigma: "25", epochs: 2, batch: 16, seed: 3 };
  const a = await train(rt, arrays, { ...opts, onProgress: (p) => seen.push(p.step + p.epoch / 10) });
  const b = await train(rt, arrays, opts);
  assert.deepEqual(a.bytes, b.bytes, "same seed, same weights");
  assert.deepEqual(seen, [1.1, 2.1, 3.1, 4.2, 5.2, 6.2], "steps 1–6, epochs 1 and 2");
  assert.equal(a.epochs.length, 2);
  assert.equal(a.stopped, false);
  const w = weightsFromBytes(a.bytes);
  assert.equal(w.arch.name, "unet16");
  assert.equal(denoise(rt, w, { width: 30, height: 20, data: new Float32Array(600) }).data.length, 600);

  const stop = new AbortController();
  const c = await train(rt, arrays, { ...opts, signal: stop.signal, onProgress: (p) => p.step === 4 && stop.abort() });
  assert.equal(c.stopped, true);
  assert.equal(c.losses.length, 4);
  await assert.rejects(
    train(rt, { ...arrays, width: 30, data: new Float32Array(count * 30 * S) }, opts),
    /does not map 30×28 images onto themselves/,
  );
  const bad = arrays.data.slice();
  bad[2 * S * S + 5 * S + 7] = Infinity;
  await assert.rejects(train(rt, { ...arrays, data: bad }, opts), /sample of data at image 2, x 7, y 5 is Infinity/);
});

test("strength and sigma steer the photo model: a higher level changes the noisy image more, in order", async () => {
  const w = await loadWeights("photo");
  const W = 64,
    H = 64;
  let s = 12345;
  const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const clean = Array.from({ length: 3 }, (_, c) =>
    new Float32Array(W * H).map((_, i) => 0.3 + 0.4 * ((i % W) / W) + 0.1 * c),
  );
  // white gaussian noise of σ 20 / 255 (Box–Muller)
  const noisy = clean.map((p) =>
    p.map((v) => v + (20 / 255) * Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd())),
  );
  const change = (o: { strength?: number; sigma?: number }) => {
    const out = denoise(rt, w, { width: W, height: H, planes: noisy }, o);
    let d = 0;
    out.planes.forEach((p, c) => p.forEach((v, i) => (d += Math.abs(v - noisy[c][i]))));
    return d / (3 * W * H);
  };
  const byStrength = [0.25, 0.5, 1, 2].map((strength) => change({ strength }));
  const bySigma = [2, 10, 40].map((sigma) => change({ sigma })); // 0–255 scale
  for (const xs of [byStrength, bySigma])
    for (let k = 1; k < xs.length; k++)
      assert.ok(xs[k] > xs[k - 1], `not increasing: ${xs.map((x) => (x * 255).toFixed(2))}`);
  assert.equal(change({ strength: 1 }), change({}), "strength 1 is the default");
  console.log(
    `# mean |change| (levels): strength 0.25–2 ${byStrength.map((x) => (x * 255).toFixed(2)).join(", ")}; σ 2, 10, 40 ${bySigma.map((x) => (x * 255).toFixed(2)).join(", ")}`,
  );
});

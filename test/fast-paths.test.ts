// The 3×3 fast paths (Winograd F(2×2) / F(4×4), stride-2 Winograd, the direct thin-layer loops) run in
// every build: relaxed fuses their multiply-adds, strict multiplies and adds (f32x4.mul / add), and the
// scalar build runs their scalar references, which do the strict kernels' f32 operations lane by lane
// (assembly/conv2d.ts header; winograd.spec.ts checks each path against its references bit for bit).
// Here whole networks: the strict and scalar builds train unet16 (every path: direct first and last
// layers, Winograd, stride 2, transposed stride 2) and run the shipped photo model to the same bits;
// the relaxed build (where this Node runs it) stays within rounding of strict.
//
// Tolerances, measured (2026-12-06): unet16 after 3 Adam steps max|Δw| relaxed vs strict 1.0e-6
// (bound 1e-5); the photo model's output on a 96 × 80 colour image max|Δ| 5.7e-7 on the 0–1 scale
// (bound 1e-4, a fortieth of one 8-bit level).
import assert from "node:assert/strict";
import { test } from "node:test";
import { unet } from "../host/core/arch.js";
import type { BuildName } from "../host/core/engine.js";
import { Model } from "../host/core/model.js";
import { denoise, loadEngine, loadWeights, type PlanarImage } from "../host/node/index.js";
import { openNodeEngine } from "../host/node/engine.js";
import { diff, runnable, testRandom } from "./helpers.js";

const relaxedHere = runnable("relaxed");

/** unet16 from seeded weights, 3 training steps on a batch of 4 random images: the losses and the weights. */
async function trainUnet(build: BuildName): Promise<{ losses: number[]; params: Float32Array }> {
  const engine = await openNodeEngine({ build });
  const model = new Model(engine, unet(16), 4);
  try {
    model.init(11);
    const rnd = testRandom(5);
    const losses: number[] = [];
    for (let s = 0; s < 3; s++) {
      const target = model.targetView(4),
        input = model.inputView(4);
      for (let i = 0; i < target.length; i++) {
        target[i] = 0.5 + 0.4 * rnd();
        input[i] = target[i] + 0.2 * rnd();
      }
      losses.push(model.trainStep(4));
    }
    return { losses, params: model.paramsView().slice() };
  } finally {
    model.dispose();
  }
}

test("unet16 trains to the same bits in the strict and scalar builds (every fast path), and within rounding in relaxed", async () => {
  const strict = await trainUnet("strict");
  const scalar = await trainUnet("scalar");
  assert.deepEqual(strict.losses, scalar.losses);
  assert.ok(Buffer.from(strict.params.buffer).equals(Buffer.from(scalar.params.buffer)), "strict ≠ scalar weights");
  if (relaxedHere) {
    const relaxed = await trainUnet("relaxed");
    const d = diff(relaxed.params, strict.params);
    console.log(`# unet16 relaxed vs strict after 3 steps: max|Δw| ${d.maxAbs.toExponential(2)}`);
    assert.ok(d.maxAbs <= 1e-5, `relaxed vs strict max|Δw| ${d.maxAbs}`);
  }
});

test("the photo model's output: strict = scalar bit for bit, relaxed within 1e-4 of strict", async () => {
  const weights = await loadWeights("photo");
  const W = 96,
    H = 80,
    rnd = testRandom(9);
  const image: PlanarImage = {
    width: W,
    height: H,
    planes: [0, 1, 2].map((c) =>
      new Float32Array(W * H).map((_, i) => 0.2 + 0.15 * c + 0.3 * ((i % W) / W) + 0.08 * rnd()),
    ),
  };
  const run = async (build: BuildName) => {
    const rt = await loadEngine({ build, threads: 1 });
    return denoise(rt, weights, image, { sigma: 20 }).planes;
  };
  const strict = await run("strict");
  const scalar = await run("scalar");
  strict.forEach((p, c) =>
    assert.ok(Buffer.from(p.buffer).equals(Buffer.from(scalar[c].buffer)), `plane ${c}: strict ≠ scalar`),
  );
  if (relaxedHere) {
    const relaxed = await run("relaxed");
    const worst = Math.max(...relaxed.map((p, c) => diff(p, strict[c]).maxAbs));
    console.log(`# photo model ${W}×${H} relaxed vs strict: max|Δ| ${worst.toExponential(2)}`);
    assert.ok(worst <= 1e-4, `relaxed vs strict max|Δ| ${worst}`);
  }
});

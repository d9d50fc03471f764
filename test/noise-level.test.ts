// The noise level a network with a noise-level map is given: measured by the engine on every noisy
// training patch (assembly/noise_level.ts) and by the host at inference (host/core/noise-level.ts).
// The two must be the same number, or the network sees at inference a level it never trained on.
import assert from "node:assert/strict";
import { test } from "node:test";
import { cunet } from "../host/core/arch.js";
import { LEVEL_FLOOR, levelFor } from "../host/core/denoise.js";
import type { PlanarImage } from "../host/core/image.js";
import { Model } from "../host/core/model.js";
import { noiseLevel, planeNoiseSigma } from "../host/core/noise-level.js";
import { noiseSpec } from "../host/core/noise.js";
import { openNodeEngine } from "../host/node/engine.js";
import { testRandom } from "./helpers.js";

/** C planes of a smooth colour field plus gaussian noise of σ, from a seeded generator. */
function noisyImage(C: number, H: number, W: number, sigma: number, seed: number): Float32Array {
  const r = testRandom(seed),
    rnd = () => (r() + 1) / 2, // [0, 1)
    out = new Float32Array(C * H * W);
  for (let c = 0; c < C; c++)
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const u = 1 - rnd(),
          v = rnd();
        const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
        out[(c * H + y) * W + x] = 0.5 + 0.3 * Math.sin(x / 7 + c) * Math.cos(y / 5) + sigma * z;
      }
  return out;
}

const planesOf = (img: Float32Array, C: number, n: number) =>
  Array.from({ length: C }, (_, c) => img.subarray(c * n, (c + 1) * n));

test("the engine's noise level is the host's, bit for bit, on odd and even sizes and 8-bit samples", async () => {
  const engine = await openNodeEngine({ build: "scalar" }),
    e = engine.exports;
  for (const [C, H, W, sigma, eightBit] of [
    [3, 64, 64, 0.1, 0],
    [1, 37, 51, 0.02, 0],
    [3, 9, 16, 0.3, 0],
    [3, 1, 8, 0.1, 0],
    // As a file holds them: few distinct coefficients, long runs of equal ones for the medians to split.
    [3, 96, 80, 0.02, 1],
    [1, 64, 64, 0.004, 1],
  ]) {
    const img = noisyImage(C, H, W, sigma, C * 1000 + H),
      mark = engine.heapTop();
    if (eightBit)
      for (let i = 0; i < img.length; i++) img[i] = Math.round(Math.min(1, Math.max(0, img[i])) * 255) / 255;
    const x = e.alloc(img.length * 4),
      scratch = e.alloc(Math.max(4, (H >> 1) * (W >> 1) * 4));
    new Float32Array(e.memory.buffer, x, img.length).set(img);
    const ours = e.noiseLevel(x, C, H, W, scratch),
      host = noiseLevel(planesOf(img, C, H * W), W, H);
    e.release(mark);
    assert.equal(ours, host, `${C}×${H}×${W}: engine ${ours}, host ${host}`);
  }
});

test("the noise level of white gaussian noise is its σ (within 3 %)", () => {
  for (const sigma of [5, 15, 25, 50].map((s) => s / 255)) {
    const img = noisyImage(1, 256, 256, sigma, 7);
    const est = planeNoiseSigma(img, 256, 256);
    assert.ok(Math.abs(est / sigma - 1) < 0.03, `σ ${sigma * 255}: measured ${est * 255}`);
  }
});

test("a training step fills the noise-level map with the level of each noisy input", async () => {
  const engine = await openNodeEngine({ build: "scalar" });
  const arch = { ...cunet(4), input: [4, 16, 16] as [number, number, number] };
  const B = 3,
    n = 3 * 16 * 16,
    model = new Model(engine, arch, B);
  try {
    model.init(1);
    const target = model.targetView(B);
    for (let b = 0; b < B; b++)
      target.set(
        noisyImage(3, 16, 16, 0, b).map((v) => Math.min(1, Math.max(0, v))),
        b * n,
      );
    model.trainStep(B, noiseSpec("gaussian", { gaussianSigma: 0.05 * 2 }));
    const input = model.inputView(B);
    for (let b = 0; b < B; b++) {
      const img = input.subarray(b * 4 * 256, b * 4 * 256 + n),
        map = input.subarray(b * 4 * 256 + n, (b + 1) * 4 * 256);
      const level = Math.fround(noiseLevel(planesOf(img, 3, 256), 16, 16));
      assert.ok(
        map.every((v) => v === level),
        `image ${b}: map ${map[0]}…, level ${level}`,
      );
      assert.ok(level > 0.05 && level < 0.2, `image ${b}: level ${level} for σ 0.1`);
    }
  } finally {
    model.dispose();
  }
});

test("denoising gives a model the measured level, at least LEVEL_FLOOR, times the strength; a σ given as is", () => {
  const H = 64,
    W = 64,
    n = H * W;
  const image = (sigma: number): PlanarImage => ({
    width: W,
    height: H,
    planes: planesOf(noisyImage(3, H, W, sigma, 5), 3, n),
  });
  const clean = image(0),
    noisy = image(25 / 255),
    measured = noiseLevel(noisy.planes, W, H);
  assert.ok(noiseLevel(clean.planes, W, H) < LEVEL_FLOOR / 4, "the smooth field reads far below the floor");
  assert.equal(levelFor(clean, {}), LEVEL_FLOOR);
  assert.equal(levelFor(clean, { strength: 0.5 }), LEVEL_FLOOR * 0.5);
  assert.equal(levelFor(noisy, {}), measured);
  assert.equal(levelFor(noisy, { strength: 2 }), measured * 2);
  assert.equal(levelFor(clean, { sigma: 1 / 255 }), 1 / 255, "a σ given is not floored");
});

// Training noise is sampled on the threads that train on it, one seed per image (drawn from the
// engine RNG by the main thread): the noisy batch is the same whatever the thread count, it is the
// sampler's own output for that seed, and the main thread's random stream continues unchanged.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SEED } from "../host/core/arch.js";
import { Model } from "../host/core/model.js";
import { noiseSpec } from "../host/core/noise.js";
import { Trainer } from "../host/core/train.js";
import { openNodeEngine, nodePool } from "../host/node/engine.js";
import { makeData } from "./helpers.js";
import { readImages } from "../host/node/files.js";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const dir = mkdtempSync(join(tmpdir(), "denoise-noise-"));
const images = readImages(join(makeData(dir, 96, 8), "train-images-idx3-ubyte"));

test("each image's training noise is the same for 1 and 2 threads, and is the sampler's output for its seed", async () => {
  const single = await openNodeEngine({ build: "strict" });
  const threaded = await openNodeEngine({ build: "strict", threads: true });
  const pool = await nodePool(threaded, 2);
  try {
    const noisy: Float32Array[] = [];
    for (const [engine, p] of [
      [single, undefined],
      [threaded, pool],
    ] as const) {
      const model = new Model(engine, SEED, 32, p);
      model.init(5);
      const trainer = new Trainer(model, images, { noise: "mixed", batch: 32, seed: 9, shuffle: true });
      trainer.step();
      trainer.step(); // the second batch: seeds come after the first batch's draws
      noisy.push(model.inputView(32).slice());
    }
    assert.ok(
      Buffer.from(noisy[0].buffer).equals(Buffer.from(noisy[1].buffer)),
      "the noisy batch depends on the thread count",
    );

    // The same noise straight from the sampler: image b from seed b (a fresh engine, same seeds).
    const e = single.exports,
      n = 784,
      B = 4;
    const m = new Model(single, SEED, B);
    m.targetView(B).set(noisy[0].subarray(0, B * n).map((v) => Math.min(1, Math.max(0, v))));
    const seeds = e.alloc(8 * B),
      rec = e.alloc(single.abi.noiseRecBytes);
    new BigUint64Array(single.memory.buffer, seeds, B).set([1n, 2n, 3n, 4n]);
    const { writeNoiseRecord } = await import("../host/core/abi.js");
    writeNoiseRecord(single.abi, single.memory.buffer, rec, noiseSpec("gaussian", { gaussianSigma: 0.5 }));
    const before = m.rngState();
    e.noiseImages(rec, seeds, m.input, m.target, B, 1, 28, 28); // n = 784
    assert.deepEqual(m.rngState(), before, "noiseImages left the main stream moved");
    const viaSeeds = m.inputView(B).slice();
    for (let b = 0; b < B; b++) {
      e.rngSeed(b + 1, 0);
      e.noiseGaussian(m.input + b * n * 4, m.target + b * n * 4, 1, n, 0.5);
    }
    assert.deepEqual(m.inputView(B), viaSeeds, "noiseImages differs from the sampler seeded per image");
  } finally {
    pool.close();
  }
  console.log("# training noise: identical for 1 and 2 threads; per-image seeds reproduce the sampler");
});

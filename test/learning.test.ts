// Learning on real data: a short run (2 000 MNIST training images, gaussian noise) must raise PSNR
// on 500 test images by at least 5 dB over the noisy input. Proves the whole path (data, noise,
// forward, backward, Adam) learns, not just that each piece matches PyTorch.
import { test } from "node:test";
import assert from "node:assert/strict";
import { SEED } from "../host/core/arch.js";
import { DEFAULT_DATA } from "../host/node/files.js";
import { evaluate } from "../host/core/eval.js";
import { Model } from "../host/core/model.js";
import { openNodeEngine } from "../host/node/engine.js";
import { loadSplit } from "../host/node/files.js";
import { trainModel } from "../host/core/train.js";

test("2 000 images of gaussian training raise test PSNR by ≥ 5 dB over the noisy input", async () => {
  const engine = await openNodeEngine({ build: "strict" });
  const model = new Model(engine, SEED, 16);
  model.init(1);
  model.adam.lr = 2e-3;
  const run = trainModel(model, loadSplit(DEFAULT_DATA, "train"), {
    noise: "gaussian",
    epochs: 6,
    batch: 16,
    seed: 1,
    shuffle: true,
    limit: 2000,
  });
  const ev = evaluate(model, loadSplit(DEFAULT_DATA, "test"), { count: 500, noises: ["gaussian"] });
  const { noisy, model: ours } = ev.table.gaussian;
  console.log(
    `# losses ${run.epochs.map((e) => e.loss.toFixed(4)).join(" ")}; PSNR noisy ${noisy.psnr.toFixed(2)} → model ${ours.psnr.toFixed(2)} dB (+${(ours.psnr - noisy.psnr).toFixed(2)}), SSIM ${noisy.ssim.toFixed(3)} → ${ours.ssim.toFixed(3)}`,
  );
  assert.ok(ours.psnr - noisy.psnr >= 5, `only +${ours.psnr - noisy.psnr} dB`);
  assert.ok(ours.ssim > noisy.ssim);
});

// Memory stays flat over a long run: 10 epochs × 256 MNIST images through the same loop and
// checkpointing the CLI uses (trainLoop, a 2.5 MB checkpoint written atomically at every epoch end).
// Sampled after a full GC at every epoch end:
//  - wasm memory must not change at all once the model is built;
//  - JS heap + external memory (ArrayBuffers, wasm, the image set) may grow by < 1 MB from epoch 2
//    to epoch 10 (exact bookkeeping: a leaked checkpoint buffer per epoch would be 2.5 MB each);
//  - process RSS may grow by < RSS_SLACK_MB from epoch 2 to epoch 10 (epoch 1 warms up the JIT).
//    RSS is allocator-noisy: without checkpoints it grows 0.0–0.3 MB; with them glibc keeps some
//    freed 2.5 MB buffers (it plateaus near 3.5 MB over 60 epochs), hence the bound.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { SEED } from "../host/core/arch.js";
import { dataFacts } from "../host/core/checkpoint.js";
import { DEFAULT_DATA } from "../host/node/files.js";
import { Model } from "../host/core/model.js";
import { openNodeEngine } from "../host/node/engine.js";
import { readImages, saveCheckpoint } from "../host/node/files.js";
import { newRun, Trainer, trainLoop } from "../host/core/train.js";

const RSS_SLACK_MB = 8;
const JS_SLACK_MB = 1;
const EPOCHS = 10;

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

test(`wasm memory constant, JS heap (< ${JS_SLACK_MB} MB) and RSS (< ${RSS_SLACK_MB} MB) flat after epoch 2 over ${EPOCHS} epochs × 256 images with checkpoints`, async () => {
  const tmp = mkdtempSync(join(tmpdir(), "denoise-memory-"));
  const all = readImages(join(DEFAULT_DATA, "train-images-idx3-ubyte"));
  const images = { ...all, count: 256, pixels: all.pixels.subarray(0, 256 * 784) };
  const engine = await openNodeEngine({ build: "strict" });
  const model = new Model(engine, SEED, 32);
  model.init(1);
  const opts = { noise: "mixed" as const, batch: 32, seed: 1, shuffle: true };
  const trainer = new Trainer(model, images, opts),
    run = newRun();
  const settings = {
    ...opts,
    lr: 1e-3,
    data: "memory test",
    epochs: EPOCHS,
    arch: "seed",
    build: engine.build,
    out: join(tmp, "w.safetensors"),
  };
  const facts = dataFacts(images, 256),
    ckpt = join(tmp, "w.ckpt.safetensors");
  const built = model.memoryBytes();
  const samples: { epoch: number; wasm: number; rss: number; js: number }[] = [];
  const it = trainLoop(trainer, EPOCHS, run, {
    onEpochEnd: (rec) => {
      saveCheckpoint(model, ckpt, { settings, state: trainer.state(), data: facts, history: run });
      gc();
      const m = process.memoryUsage();
      samples.push({ epoch: rec.epoch, wasm: model.memoryBytes(), rss: m.rss, js: m.heapUsed + m.external });
    },
  });
  while (!it.next().done);
  const mb = (b: number) => (b / 2 ** 20).toFixed(1);
  console.log(
    `# epoch: wasm MB / RSS MB / JS heap + external MB — ${samples.map((s) => `${s.epoch}: ${mb(s.wasm)} / ${mb(s.rss)} / ${mb(s.js)}`).join(", ")}`,
  );
  for (const s of samples)
    assert.equal(s.wasm, built, `epoch ${s.epoch}: wasm memory ${s.wasm} ≠ ${built} after build`);
  const growth = (k: "rss" | "js") => Math.max(...samples.slice(1).map((s) => s[k])) - samples[1][k];
  console.log(
    `# wasm memory ${mb(built)} MB at every epoch; growth epochs 2→${EPOCHS}: RSS ${mb(growth("rss"))} MB (bound ${RSS_SLACK_MB}), JS heap + external ${(growth("js") / 1024).toFixed(0)} KB (bound ${JS_SLACK_MB} MB)`,
  );
  assert.ok(growth("js") < JS_SLACK_MB * 2 ** 20, `JS heap + external grew by ${mb(growth("js"))} MB after epoch 2`);
  assert.ok(growth("rss") < RSS_SLACK_MB * 2 ** 20, `RSS grew by ${mb(growth("rss"))} MB after epoch 2`);
  assert.equal(run.epochs.length, EPOCHS);
});

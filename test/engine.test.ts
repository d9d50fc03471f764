// The engine as a whole: build selection, memory discipline, training steps across builds,
// Adam over several steps, architectures from descriptions.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { SEED, type Arch } from "../host/core/arch.js";
import { BUILDS, openEngine } from "../host/core/engine.js";
import { openNodeEngine, wasmPath } from "../host/node/engine.js";
import { Model } from "../host/core/model.js";
import { planLayers } from "../host/core/plan.js";
import { stepRecordBytes, writeStepRecord } from "../host/core/abi.js";
import { applyNoise } from "../host/core/noise.js";
import { diff, runnable, testRandom } from "./helpers.js";

const relaxedHere = runnable("relaxed");

test("the probe picks the best build that validates, and a forced build is honoured", async () => {
  const auto = await openNodeEngine({ build: "auto" });
  assert.equal(auto.build, relaxedHere ? "relaxed" : "strict", auto.reason);
  for (const b of BUILDS) {
    if (!runnable(b)) continue;
    const e = await openNodeEngine({ build: b });
    assert.equal(e.build, b);
    assert.equal(e.exports.buildMode(), { scalar: 0, strict: 1, relaxed: 2 }[b]);
  }
  // A runtime without relaxed SIMD: the probe falls back to strict and says why.
  const noRelaxed = await openEngine(async (b) => {
    if (b === "relaxed") return new Uint8Array([0, 1, 2, 3]); // does not validate
    return readFileSync(wasmPath(b));
  });
  assert.equal(noRelaxed.build, "strict");
  assert.match(noRelaxed.reason, /relaxed SIMD not supported/);
  await assert.rejects(openNodeEngine({ build: "bogus" as never }), /unknown build 'bogus'/);
});

function seededBatch(model: Model, B: number, seed: number): void {
  const r = testRandom(seed);
  const t = model.targetView(B);
  for (let i = 0; i < t.length; i++) t[i] = Math.max(0, r()); // digit-like: many zeros, values in [0,1)
}

test("a training step allocates nothing: memory.buffer.byteLength is unchanged", async () => {
  const engine = await openNodeEngine({ build: "strict" });
  const model = new Model(engine, SEED, 64);
  model.init(1);
  const before = model.memoryBytes();
  const buffer = engine.exports.memory.buffer;
  for (let s = 0; s < 5; s++) {
    seededBatch(model, 64, s + 1);
    applyNoise(engine.exports, "mixed", model.input, model.target, 64, model.inputNumel);
    model.trainStep(64);
    model.trainStep(17); // a short last batch too
  }
  assert.equal(model.memoryBytes(), before);
  assert.equal(engine.exports.memory.buffer, buffer, "memory was replaced (grown)");
});

test("strict and scalar builds train bit-identically; relaxed stays within rounding", async () => {
  const run = async (build: "strict" | "scalar" | "relaxed") => {
    const engine = await openNodeEngine({ build });
    const model = new Model(engine, SEED, 16);
    model.init(7);
    const losses: number[] = [];
    for (let s = 0; s < 4; s++) {
      seededBatch(model, 16, 100 + s);
      applyNoise(engine.exports, "gaussian", model.input, model.target, 16, model.inputNumel);
      losses.push(model.trainStep(16));
    }
    return { losses, params: model.paramsView().slice() };
  };
  const strict = await run("strict");
  const scalar = await run("scalar");
  assert.deepEqual(strict.losses, scalar.losses);
  assert.ok(Buffer.from(strict.params.buffer).equals(Buffer.from(scalar.params.buffer)), "strict ≠ scalar weights");
  assert.ok(strict.losses[3] < strict.losses[0], `loss did not fall: ${strict.losses}`);
  if (relaxedHere) {
    const relaxed = await run("relaxed");
    const d = diff(relaxed.params, strict.params);
    console.log(
      `# relaxed vs strict after 4 steps: max|Δw| ${d.maxAbs.toExponential(2)}, losses ${relaxed.losses.map((l) => l.toFixed(6))}`,
    );
    // Adam moves each weight by ≤ ~lr per step; rounding differences must stay far below one step.
    assert.ok(d.maxAbs < 1e-4, `relaxed drifted ${d.maxAbs}`);
  }
});

test("Adam matches torch.optim.Adam's formula over several steps, with weight decay", async () => {
  const engine = await openNodeEngine({ build: "strict" });
  const e = engine.exports;
  const n = 37;
  const p = e.alloc(n * 4),
    g = e.alloc(n * 4),
    m = e.alloc(n * 4),
    v = e.alloc(n * 4);
  const f32 = (ptr: number) => new Float32Array(e.memory.buffer, ptr, n);
  const r = testRandom(3);
  f32(p).set(Array.from({ length: n }, () => r()));
  const [lr, b1, b2, eps, wd] = [1e-2, 0.8, 0.99, 1e-6, 0.05];
  let worst = 0;
  for (let t = 1; t <= 5; t++) {
    // Gradients over five decades, so that ε's place (after the sqrt) and the bias corrections matter.
    f32(g).set(Array.from({ length: n }, () => r() * 10 ** Math.floor(r() * 2.5 - 4)));
    const [P, G, M, V] = [f32(p), f32(g), f32(m), f32(v)].map((a) => Float64Array.from(a));
    e.adamStep(p, g, m, v, n, lr, b1, b2, eps, wd, t);
    const [P1, M1, V1] = [f32(p), f32(m), f32(v)];
    for (let i = 0; i < n; i++) {
      const gi = G[i] + wd * P[i];
      const mi = b1 * M[i] + (1 - b1) * gi;
      const vi = b2 * V[i] + (1 - b2) * gi * gi;
      const pi = P[i] - ((lr / (1 - b1 ** t)) * mi) / (Math.sqrt(vi) / Math.sqrt(1 - b2 ** t) + eps);
      assert.ok(Math.abs(M1[i] - mi) <= 1e-6 * Math.abs(mi) + 1e-30, `m[${i}] step ${t}`);
      assert.ok(Math.abs(V1[i] - vi) <= 1e-6 * Math.abs(vi) + 1e-30, `v[${i}] step ${t}`);
      worst = Math.max(worst, Math.abs(P1[i] - pi));
    }
  }
  console.log(`# Adam, 5 steps vs f64 formula: max |Δp| ${worst.toExponential(2)} (steps are ~${lr})`);
  assert.ok(worst <= 1e-6, `Adam parameter off by ${worst}`);
});

test("architectures come from descriptions: skip connections, leaky ReLU, shape errors", async () => {
  const engine = await openNodeEngine({ build: "strict" });
  const skip: Arch = {
    name: "skip-test",
    description: "residual toy",
    input: [1, 12, 10],
    layers: [
      { type: "conv2d", name: "enc", out: 4, kernel: 3, stride: 2, padding: 1, id: "e" },
      { type: "leakyRelu", slope: 0.1 },
      { type: "conv2d", name: "mid", out: 4, kernel: [3, 1], padding: [1, 0] },
      { type: "add", with: "e" },
      { type: "convTranspose2d", name: "dec", out: 1, kernel: 3, stride: 2, padding: 1, outputPadding: 1 },
      { type: "add", with: "input" },
    ],
  };
  const model = new Model(engine, skip, 3);
  assert.deepEqual(
    model.tensors.map((t) => `${t.name}:${t.shape.join("x")}`),
    ["enc.weight:4x1x3x3", "enc.bias:4", "mid.weight:4x4x3x1", "mid.bias:4", "dec.weight:4x1x3x3", "dec.bias:1"],
  );
  model.init(5);
  seededBatch(model, 3, 9);
  applyNoise(engine.exports, "gaussian", model.input, model.target, 3, model.inputNumel);
  const l0 = model.trainStep(3);
  for (let i = 0; i < 30; i++) model.trainStep(3);
  const l1 = model.trainStep(3);
  assert.ok(l1 < l0, `skip model did not learn: ${l0} → ${l1}`);

  assert.throws(
    () => planLayers({ ...skip, layers: [{ type: "conv2d", name: "c", out: 2, kernel: 3 }] }),
    /differs from its image/,
  );
  assert.throws(
    () => planLayers({ ...skip, layers: [{ type: "add", with: "nope" }] }),
    /no earlier layer has id 'nope'/,
  );
  assert.throws(
    () =>
      planLayers({
        ...skip,
        layers: [{ type: "convTranspose2d", name: "t", out: 1, kernel: 3, stride: 2, outputPadding: 2 }],
      }),
    /output padding/,
  );
  assert.throws(
    () => planLayers({ ...skip, layers: [{ type: "conv2d", name: "c", out: 1, kernel: 30 }] }),
    /larger than padded input/,
  );
  assert.throws(() => new Model(engine, SEED, 0), /batch size/);
  assert.throws(() => model.forward(4), /batch 4 outside 1\.\.3/);
});

test("the seed model's layout table has PyTorch's state-dict names and init bounds", async () => {
  const engine = await openNodeEngine({ build: "strict" });
  const model = new Model(engine, SEED, 1);
  assert.deepEqual(
    model.tensors.map((t) => t.name),
    [
      "encoder.0.weight",
      "encoder.0.bias",
      "encoder.2.weight",
      "encoder.2.bias",
      "encoder.4.weight",
      "encoder.4.bias",
      "decoder.0.weight",
      "decoder.0.bias",
      "decoder.2.weight",
      "decoder.2.bias",
      "decoder.4.weight",
      "decoder.4.bias",
    ],
  );
  assert.equal(
    model.tensors.reduce((a, t) => a + t.numel, 0),
    210_369,
  );
  model.init(123);
  for (const t of model.tensors) {
    const w = model.param(t.name),
      bound = Math.fround(1 / Math.sqrt(t.fanIn));
    let lo = Infinity,
      hi = -Infinity;
    for (const x of w) {
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
    assert.ok(lo >= -bound && hi <= bound, `${t.name} outside ±${bound}`);
    if (t.numel > 1000) assert.ok(hi > 0.95 * bound && lo < -0.95 * bound, `${t.name} does not fill ±${bound}`);
  }
  // PyTorch's ConvTranspose2d fan_in is weight.size(1)·k·k: decoder.0 [64,32,7,7] → 32·49.
  assert.equal(model.tensor("decoder.0.weight").fanIn, 32 * 49);
  const a = model.paramsView().slice();
  model.init(123);
  assert.deepEqual(model.paramsView(), a, "init is not reproducible for a seed");
});

test("evaluation between training steps does not change the training run (RNG state restored)", async () => {
  const { Trainer } = await import("../host/core/train.js");
  const { makeNoisySet } = await import("../host/core/eval.js");
  const engine = await openNodeEngine({ build: "strict" });
  const r = testRandom(11);
  const images = {
    count: 40,
    rows: 28,
    cols: 28,
    pixels: Uint8Array.from({ length: 40 * 784 }, () => (r() > 0.3 ? 0 : 255 * Math.abs(r()))),
    source: "synthetic",
  };
  const run = (withEval: boolean) => {
    const model = new Model(engine, SEED, 8);
    model.init(3);
    const t = new Trainer(model, images, { noise: "mixed", batch: 8, seed: 5, shuffle: true });
    for (let i = 0; i < 12; i++) {
      t.step();
      if (withEval && i === 4) makeNoisySet(model, images, "speckle", 10, 99);
    }
    return model.paramsView().slice();
  };
  assert.deepEqual(run(true), run(false));
});

test("threads: forward is bit-identical to one thread; training is deterministic for a thread count", async () => {
  const { nodePool } = await import("../host/node/engine.js");
  const { weightsDigest } = await import("../host/core/weights.js");
  const single = await openNodeEngine({ build: "strict" });
  const engine = await openNodeEngine({ build: "strict", threads: true });
  const pool = await nodePool(engine, 2);
  try {
    const run = (e: typeof engine, p?: typeof pool) => {
      const model = new Model(e, SEED, 24, p);
      model.init(9);
      const before = e.memory.buffer.byteLength;
      const out: { fwd: Float32Array; losses: number[] } = { fwd: new Float32Array(0), losses: [] };
      for (let s = 0; s < 3; s++) {
        seededBatch(model, 24, 50 + s);
        applyNoise(e.exports, "gaussian", model.input, model.target, 24, model.inputNumel);
        if (s === 0) {
          model.forward(24);
          out.fwd = model.outputView(24).slice();
        }
        out.losses.push(model.trainStep(s === 2 ? 13 : 24)); // a short batch leaves thread 2 idle
      }
      assert.equal(e.memory.buffer.byteLength, before, "threaded steps grew memory");
      return { ...out, digest: weightsDigest(model), params: model.paramsView().slice() };
    };
    const one = run(single),
      two = run(engine, pool),
      twoAgain = run(engine, pool);
    assert.ok(
      Buffer.from(two.fwd.buffer).equals(Buffer.from(one.fwd.buffer)),
      "2-thread forward differs from 1 thread",
    );
    assert.equal(two.digest, twoAgain.digest, "2-thread training is not deterministic");
    const d = diff(two.params, one.params);
    console.log(
      `# 2 threads vs 1 after 3 steps: max|Δw| ${d.maxAbs.toExponential(2)}; losses ${two.losses.map((l) => l.toFixed(6))} vs ${one.losses.map((l) => l.toFixed(6))}`,
    );
    assert.ok(d.maxAbs < 1e-5, `threads drifted ${d.maxAbs}`);
  } finally {
    pool.close();
  }
});

test("a threaded Adam step split into parameter ranges gives the bits of sum-then-step on one thread", async () => {
  for (const build of ["scalar", "strict", "relaxed"] as const) {
    if (!runnable(build)) continue;
    const engine = await openNodeEngine({ build }),
      x = engine.exports;
    const n = 1003,
      r = testRandom(7);
    const fill = (ptr: number, scale: number) => {
      const v = new Float32Array(x.memory.buffer, ptr, n);
      for (let i = 0; i < n; i++) v[i] = scale * (r() - 0.5);
    };
    const [p, g, m, v, a1, a2] = Array.from({ length: 6 }, () => x.alloc(4 * n));
    fill(p, 2);
    fill(g, 1e-2);
    fill(m, 1e-3);
    fill(v, 1e-6);
    fill(a1, 1e-2);
    fill(a2, 1e-2);
    new Float32Array(x.memory.buffer, v, n).forEach((e, i, arr) => {
      arr[i] = Math.abs(e);
    });
    const copy = (ptr: number) => {
      const c = x.alloc(4 * n);
      new Uint8Array(x.memory.buffer).copyWithin(c, ptr, ptr + 4 * n);
      return c;
    };
    const [p2, g2, m2, v2] = [copy(p), copy(g), copy(m), copy(v)];
    const hyper = [1e-3, 0.9, 0.999, 1e-8, 0.01];
    // reference: arenas summed in thread order over everything, one Adam step
    x.addForward(g, g, a1, n);
    x.addForward(g, g, a2, n);
    x.adamStep(p, g, m, v, n, hyper[0], hyper[1], hyper[2], hyper[3], hyper[4], 3);
    // split: three ranges, one of them not a multiple of 4 long
    const rec = x.alloc(stepRecordBytes(engine.abi, 2));
    const [lr, beta1, beta2, eps, weightDecay] = hyper;
    writeStepRecord(engine.abi, x.memory.buffer, rec, {
      lr,
      beta1,
      beta2,
      eps,
      weightDecay,
      t: 3,
      params: p2,
      grads: g2,
      m: m2,
      v: v2,
      arenas: [a1, a2],
    });
    for (const [lo, hi] of [
      [0, 400],
      [400, 701],
      [701, n],
    ])
      x.adamStepShare(rec, lo, hi);
    for (const [name, a, b] of [
      ["params", p, p2],
      ["grads", g, g2],
      ["m", m, m2],
      ["v", v, v2],
    ] as const) {
      assert.ok(
        Buffer.from(x.memory.buffer, a, 4 * n).equals(Buffer.from(x.memory.buffer, b, 4 * n)),
        `${build}: ${name} differ`,
      );
    }
  }
});

test("the mse+l1 loss is MSE + λ·L1 in value and gradient, on one thread and across threads", async () => {
  const { nodePool } = await import("../host/node/engine.js");
  const single = await openNodeEngine({ build: "strict" });
  const model = new Model(single, SEED, 6);
  model.init(3);
  seededBatch(model, 6, 77);
  applyNoise(single.exports, "gaussian", model.input, model.target, 6, model.inputNumel);
  const lambda = 0.25,
    start = model.paramsView().slice();
  // The training step from the same weights with each loss: its loss, and the gradient it leaves.
  const lossAndGrads = (kind: "mse" | "l1" | "mse+l1") => {
    model.loss = kind;
    model.l1Weight = lambda;
    model.paramsView().set(start);
    model.resetOptimizer();
    const loss = model.trainStep(6);
    return { loss, grads: model.gradsView().slice() };
  };
  const mse = lossAndGrads("mse"),
    l1 = lossAndGrads("l1"),
    mix = lossAndGrads("mse+l1");
  assert.equal(mix.loss, Math.fround(mse.loss + Math.fround(lambda * l1.loss)));
  const want = mse.grads.map((g, i) => g + lambda * l1.grads[i]);
  const d = diff(mix.grads, want);
  assert.ok(d.rel <= 1e-6, `mse+l1 gradient off by ${d.maxAbs} (relative ${d.rel})`);
  assert.ok(diff(mix.grads, mse.grads).rel > 1e-3, "the L1 term changed nothing");

  // Threads pass λ to the workers: a 2-thread step's loss equals one thread's.
  const engine = await openNodeEngine({ build: "strict", threads: true });
  const pool = await nodePool(engine, 2);
  try {
    const losses = [undefined, pool].map((p) => {
      const m = new Model(p ? engine : single, SEED, 6, p);
      m.init(3);
      m.loss = "mse+l1";
      m.l1Weight = lambda;
      seededBatch(m, 6, 77);
      applyNoise(m.engine.exports, "gaussian", m.input, m.target, 6, m.inputNumel);
      return m.trainStep(6);
    });
    assert.ok(Math.abs(losses[0] - mix.loss) < 1e-7, `one-thread step loss ${losses[0]} vs ${mix.loss}`);
    assert.ok(Math.abs(losses[1] - losses[0]) < 1e-6, `2-thread loss ${losses[1]} vs ${losses[0]}`);
  } finally {
    pool.close();
  }
});

test("an inference model fuses each conv and add with its ReLU / leaky ReLU: the bits of the unfused forward, in every build", async () => {
  const { getArch } = await import("../host/core/arch.js");
  // A conv read by a later add is not fused (its own output is needed); the others are, on every path
  // (stride 1, stride 2, transposed), and an add followed by its activation.
  const mixed: Arch = {
    name: "fuse-test",
    description: "which pairs fuse",
    input: [1, 12, 10],
    layers: [
      { type: "conv2d", name: "a", out: 4, kernel: 3, padding: 1, id: "e" },
      { type: "leakyRelu", slope: 0.1 },
      { type: "conv2d", name: "b", out: 4, kernel: 3, padding: 1 },
      { type: "relu" },
      { type: "add", with: "e" },
      { type: "relu" },
      { type: "conv2d", name: "c", out: 4, kernel: 3, stride: 2, padding: 1 },
      { type: "leakyRelu", slope: 0.2 },
      { type: "convTranspose2d", name: "d", out: 1, kernel: 3, stride: 2, padding: 1, outputPadding: 1 },
      { type: "relu" },
    ],
  };
  for (const b of BUILDS) {
    if (!runnable(b)) continue;
    const engine = await openNodeEngine({ build: b });
    for (const arch of [mixed, SEED, getArch("unet24")]) {
      const B = 3,
        train = new Model(engine, arch, B),
        infer = new Model(engine, arch, B, undefined, { inference: true, keepActivations: true });
      train.init(4);
      infer.paramsView().set(train.paramsView());
      seededBatch(train, B, 7);
      train.inputView(B).set(train.targetView(B));
      infer.inputView(B).set(train.inputView(B));
      infer.layers.forEach((_, i) => infer.activation(i, B).fill(NaN)); // an unwritten output shows
      train.forward(B);
      infer.forward(B);
      const fused = infer.layers.map((_, i) => Number.isNaN(infer.activation(i, B)[0]));
      const want = arch.layers.map(
        (l, i) =>
          ["conv2d", "convTranspose2d", "add"].includes(l.type) &&
          l.id === undefined &&
          ["relu", "leakyRelu"].includes(arch.layers[i + 1]?.type ?? ""),
      );
      assert.deepEqual(fused, want, `${b} ${arch.name}: fused layers`);
      assert.deepEqual(infer.plan.fused, want, `${b} ${arch.name}: the plan's fused layers`);
      infer.layers.forEach((_, i) => {
        if (fused[i]) return;
        const same = Buffer.from(infer.activation(i, B).slice().buffer).equals(
          Buffer.from(train.activation(i, B).slice().buffer),
        );
        assert.ok(same, `${b} ${arch.name}: layer ${i} (${arch.layers[i].type}) differs from the unfused forward`);
      });
    }
  }
});
